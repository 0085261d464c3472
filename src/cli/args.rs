//! Argument definitions (clap derive). Help texts here are what `--help`, the man page and the
//! shell completions show.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::templates::Template;

/// Generate and edit NixOS configuration flakes for linux-kdevops/nixos-flake from YAML host
/// descriptions, keeping every comment of the files it edits.
#[derive(Debug, Parser)]
#[command(name = "nixgen", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write DIR/host.yaml and DIR/flake.nix from a template.
    Init(InitArgs),
    /// Generate flake.nix from a host description, or bring an existing one in line.
    Generate(GenerateArgs),
    /// Write <root>/<name>/{host.yaml,flake.nix} for each configuration of a fleet file.
    Scaffold(ScaffoldArgs),
    /// Check host or fleet descriptions without writing anything.
    Validate(ValidateArgs),
    /// Read an existing configuration (or a directory of them) back into host.yaml.
    Import(ImportArgs),
    /// Add, remove or list package overlays in an existing flake.
    #[command(subcommand)]
    Overlay(OverlayCommand),
    /// Evaluate each configuration's toplevel with Nix and report its verdict.
    Check(CheckArgs),
    /// Check what a build needs: Nix, flakes enabled, files tracked by git, local inputs, locks.
    Doctor(DoctorArgs),
    /// Explain what a host description key becomes in Nix.
    Explain(ExplainArgs),
    /// Print the JSON Schema of the host description.
    Schema,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// How a writing command treats the files it would change.
#[derive(Debug, Clone, Copy, Default, Args)]
#[group(multiple = false)]
pub struct WriteFlags {
    /// Print a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a unified diff and write.
    #[arg(long)]
    pub diff: bool,
    /// Write nothing; exit 1 when a file is out of date.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to write host.yaml and flake.nix into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// What to set up.
    #[arg(long, short, value_enum)]
    pub template: Option<Template>,
    /// Configuration name (default: the directory's name when usable, else `vm`).
    #[arg(long)]
    pub name: Option<String>,
    /// URL or local path of nixos-flake (default: github:linux-kdevops/nixos-flake).
    #[arg(long, value_name = "URL")]
    pub nixos_flake: Option<String>,
    /// Ask for missing values (only on a terminal).
    #[arg(long, short)]
    pub interactive: bool,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
    /// Do not `git add --intent-to-add` the new files.
    #[arg(long)]
    pub no_git: bool,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The host description.
    #[arg(default_value = "host.yaml", value_name = "HOST.yaml")]
    pub host: PathBuf,
    /// The flake to write (default: flake.nix beside the host description).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Remove items nixgen owns that are no longer in the host description.
    #[arg(long)]
    pub prune: bool,
    /// Replace an existing flake wholesale instead of editing it.
    #[arg(long)]
    pub force: bool,
    /// Print the plan as JSON (the whole output; not with --check or --diff).
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub json: bool,
    /// Do not `git add --intent-to-add` new files.
    #[arg(long)]
    pub no_git: bool,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The configuration's directory, or its flake.nix.
    #[arg(
        default_value = ".",
        value_name = "DIR|FLAKE",
        conflicts_with = "fleet"
    )]
    pub target: PathBuf,
    /// The configuration to import when the flake has several.
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
    /// Import every configuration under DIR (`DIR/*/flake.nix`) into one fleet file.
    #[arg(long, value_name = "DIR")]
    pub fleet: Option<PathBuf>,
    /// Where to write (default: host.yaml beside the flake, or fleet.yaml beside DIR);
    /// `-` for standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct ScaffoldArgs {
    /// The fleet description.
    #[arg(value_name = "FLEET.yaml")]
    pub fleet: PathBuf,
    /// Directory the configurations go into.
    #[arg(long, default_value = "configurations")]
    pub root: PathBuf,
    /// Remove items nixgen owns that are no longer in the description.
    #[arg(long)]
    pub prune: bool,
    /// Replace existing flakes wholesale instead of editing them.
    #[arg(long)]
    pub force: bool,
    /// Do not `git add --intent-to-add` new files.
    #[arg(long)]
    pub no_git: bool,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Host or fleet descriptions.
    #[arg(required = true, value_name = "FILE.yaml")]
    pub files: Vec<PathBuf>,
    /// Print diagnostics as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where an editing command finds its flake and configuration.
#[derive(Debug, Clone, Args)]
pub struct FlakeTarget {
    /// The flake (or module file) to edit.
    #[arg(long, default_value = "flake.nix", value_name = "FILE")]
    pub flake: PathBuf,
    /// The configuration to edit, when the flake has several.
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OverlayCommand {
    /// Build PKG from another source: adds the input (for --src) and the overlay entry.
    Add(OverlayAddArgs),
    /// Remove PKG's overlay entry and the input only it used.
    Remove(OverlayRemoveArgs),
    /// List the overlays of a configuration.
    List(OverlayListArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["src", "github", "git"]))]
pub struct OverlayAddArgs {
    /// Package attribute name, such as fio.
    pub package: String,
    /// A local checkout (becomes a `flake = false` input).
    #[arg(long, value_name = "PATH")]
    pub src: Option<String>,
    /// A GitHub repository (needs --rev; --hash recommended).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Option<String>,
    /// A git URL (needs --rev; --hash recommended).
    #[arg(long, value_name = "URL")]
    pub git: Option<String>,
    /// The commit to build.
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    /// The source's SRI hash (empty: the first build prints it).
    #[arg(long, value_name = "HASH")]
    pub hash: Option<String>,
    /// Input name (default: <PKG>-src).
    #[arg(long, value_name = "NAME")]
    pub input: Option<String>,
    /// Drop the patches earlier layers apply (`patches = [ ];`).
    #[arg(long)]
    pub clear_patches: bool,
    #[command(flatten)]
    pub target: FlakeTarget,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct OverlayRemoveArgs {
    /// Package attribute name.
    pub package: String,
    #[command(flatten)]
    pub target: FlakeTarget,
    #[command(flatten)]
    pub write: WriteFlags,
}

#[derive(Debug, Args)]
pub struct OverlayListArgs {
    #[command(flatten)]
    pub target: FlakeTarget,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Flake directories (or their flake.nix), a directory of configurations
    /// (`configurations/`), or a fleet file; a host.yaml beside a flake is used to point Nix's
    /// errors at the YAML keys they come from.
    #[arg(default_value = ".", value_name = "DIR|FLEET.yaml")]
    pub targets: Vec<PathBuf>,
    /// Where a fleet file's configurations are (as `nixgen scaffold --root`).
    #[arg(long, default_value = "configurations", value_name = "DIR")]
    pub root: PathBuf,
    /// Evaluate only this configuration.
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
    /// Configurations evaluated at once (default: from the cores and the memory; an
    /// evaluation of real nixpkgs takes gigabytes).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Evaluate the directory as it is (`path:`), untracked files included, instead of what
    /// `nix build` sees in a git work tree (tracked files only).
    #[arg(long)]
    pub path: bool,
    /// Print the verdicts as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Passed to Nix as is: use URL for INPUT (repeatable).
    #[arg(long, num_args = 2, value_names = ["INPUT", "URL"], action = clap::ArgAction::Append)]
    pub override_input: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The configuration's directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A key such as `storage`, `storage.mkfsArgs` or `overlays.src`; all keys when absent.
    pub key: Option<String>,
    /// List the systemd units and mounts of this host or fleet file's `storage` and `shares`.
    #[arg(long, value_name = "HOST.yaml")]
    pub file: Option<PathBuf>,
}
