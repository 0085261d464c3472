//! Running Nix on a configuration flake and mapping its errors back to the host description.
//!
//! `nixgen check` asks a real `nix` for `nixosConfigurations.<name>.config.system.build.toplevel.drvPath`
//! of every configuration: that forces the module system, every assertion and every input, but
//! builds nothing. The flake is addressed as `path:<absolute dir>` (a bare `.` in a git work
//! tree would only see tracked files), evaluated `--offline` (Nix then uses what it has cached
//! and downloads only what is missing) and with `--no-write-lock-file` (a check writes
//! nothing). A `flake.lock` is trusted for what it pins, except `path:` inputs: Nix re-uses the
//! store copy that a lock's `narHash` names even after the directory changed, so a stale lock
//! would silently evaluate an old checkout. Every `path:` input of the lock is therefore passed
//! to `--update-input`, and a note says when the lock was behind. (Nix itself re-locks inputs
//! whose URL changed in `flake.nix`, so a lock older than `flake.nix` needs nothing more.)
//! Nix's own error text is kept as Nix printed it; known failures (nixos-flake's storage
//! assertion, an undeclared input, a missing local source, an unknown option, a missing
//! backend) are also turned into [`Diagnostic`](crate::diag::Diagnostic)s that point at the key of the `host.yaml`
//! beside the flake, when there is one.
//!
//! One file per job: [`nix`] finds and runs Nix, [`url`] makes the flake URL, [`lock`] reads
//! `flake.lock`, [`messages`] recognises Nix's failures and [`mapping`] points them at the YAML.

pub mod lock;
pub mod mapping;
pub mod messages;
pub mod nix;
pub mod url;

pub use lock::path_inputs_in_lock;
pub use mapping::{describe, generic_advice, Described};
pub use messages::{findings, Finding};
pub use nix::{
    features, find_nix, flakes_enabled_in_config, nix_missing, tidy_stderr, Evaluator, Features,
    NixRun, FLAKES_CONF_LINE, TOPLEVEL,
};
pub use url::{flake_dir, flake_url, git_flake_url};
