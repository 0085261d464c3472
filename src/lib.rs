//! nixgen: generate and edit NixOS configuration flakes for linux-kdevops/nixos-flake.
//!
//! The crate is layered so that each module has one job:
//! - [`yaml`] parses YAML into a tree that knows where every key is, and deserializes it;
//! - [`model`] is the host description (types, loading, validation, path resolution);
//! - [`keys`] is the key table: per YAML key, the module it imports, the options it owns and
//!   what `explain` says (generation, reconcile, check and explain all read it);
//! - [`nix`] is the Nix syntax layer (data model, printer, escaping, parsing, formatting);
//! - [`generate`] turns a validated host into a plan of what the flake owns, and emits it;
//! - [`edit`] brings an existing flake (and the module files it imports) in line with a plan
//!   through the syntax tree;
//! - [`import`] reads an existing configuration back into a host description, and proves
//!   that `generate` would change nothing;
//! - [`templates`] holds what `nixgen init` starts from;
//! - [`fsio`] and [`git`] write files atomically and tell git about them;
//! - [`check`] runs Nix on a flake and maps its errors back to the YAML;
//! - [`doctor`] checks the set-up a build needs, each problem with its fix;
//! - [`diag`] is the error type: diagnostics with file, line and column;
//! - [`systemd`] names the units a mount point or device becomes (for `nixgen explain`);
//! - [`cli`] is the command line on top of all of it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod diag;
pub mod doctor;
pub mod edit;
pub mod fsio;
pub mod generate;
pub mod git;
pub mod import;
pub mod keys;
pub mod model;
pub mod nix;
pub mod systemd;
pub mod templates;
pub mod yaml;
