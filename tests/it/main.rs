//! nixgen's integration tests, in one test binary (one link instead of one per suite).
//!
//! Each module is a suite of its own (run one with `cargo test --test it <suite>::`);
//! `support` holds the helpers they share. Data lives beside: `tests/fixtures` (the offline
//! Nix stand-ins), `tests/corpus` (hand-written flakes) and `tests/it/snapshots` (insta).

mod support;

mod check_cli;
mod cli;
mod cli_ux;
mod corpus;
mod editing;
mod eval_generated;
mod fixtures_eval;
mod generate_snapshots;
mod hostile;
mod import;
mod interactive;
mod own_flake;
mod properties;
mod readme;
mod safe_writes;
mod validation;
