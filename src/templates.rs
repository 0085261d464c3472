//! The starting points `nixgen init` writes, rendered with minijinja from `templates/`.
//!
//! A template only decides what a new host description says (backend, profiles, the commented
//! examples that teach the format) and which commented-out examples the new flake carries. The
//! flake itself is produced by the same generator as `nixgen generate`, so a freshly initialised
//! directory is already up to date and `generate` right after `init` changes nothing.

use minijinja::{context, Environment};

use crate::generate::Examples;
use crate::model::{Backend, Profile, System, DEFAULT_NIXOS_FLAKE};
use crate::yaml::emit::scalar as yaml_scalar;

const HOST_YAML: &str = include_str!("../templates/host.yaml.j2");
const INPUT_EXAMPLES: &str = include_str!("../templates/flake-inputs-examples.nix.j2");
const OVERLAY_EXAMPLES: &str = include_str!("../templates/flake-overlays-examples.nix.j2");

/// The `init` templates, named after what they set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A test VM booted by QEMU + virtiofsd, with the devel profile.
    Imageless,
    /// A disk image for libvirt, with the devel profile.
    Libvirt,
    /// A host that drives guests: libvirt backend, controller profile, a user account.
    Controller,
}

impl Template {
    /// The template's name, as `--template` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Imageless => "imageless",
            Template::Libvirt => "libvirt",
            Template::Controller => "controller",
        }
    }

    /// The backend the template's host description uses.
    pub fn backend(self) -> Backend {
        match self {
            Template::Imageless => Backend::Imageless,
            Template::Libvirt | Template::Controller => Backend::Libvirt,
        }
    }

    /// The profiles the template's host description lists by default.
    pub fn profiles(self) -> Vec<Profile> {
        match self {
            Template::Imageless | Template::Libvirt => vec![Profile::Devel],
            Template::Controller => vec![Profile::Controller],
        }
    }

    /// The default account name (the controller template creates one).
    pub fn user_name(self) -> Option<&'static str> {
        match self {
            Template::Controller => Some("kdevops"),
            _ => None,
        }
    }
}

/// The answers a host description is rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAnswers {
    /// The template, which decides the backend and the defaults of the other answers.
    pub template: Template,
    /// The configuration's name (`name:`, its key under `nixosConfigurations`).
    pub name: String,
    /// The nixos-flake input (`nixosFlake:`): a flake URL or a local checkout's path.
    pub nixos_flake: String,
    /// The profiles listed in `profiles:`, in order.
    pub profiles: Vec<Profile>,
    /// The account written as `user.name:`; `None` leaves the `user:` block commented out.
    pub user_name: Option<String>,
    /// The `hostName:` to write; `None` leaves it commented out, so that nixgen does not set
    /// `networking.hostName`.
    pub host_name: Option<String>,
}

impl HostAnswers {
    /// The template's defaults for a configuration called `name`.
    pub fn defaults(template: Template, name: &str) -> HostAnswers {
        HostAnswers {
            template,
            name: name.to_owned(),
            nixos_flake: DEFAULT_NIXOS_FLAKE.to_owned(),
            profiles: template.profiles(),
            user_name: template.user_name().map(str::to_owned),
            host_name: None,
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template("host.yaml", HOST_YAML)
        .expect("host.yaml template parses");
    env.add_template("inputs", INPUT_EXAMPLES)
        .expect("inputs template parses");
    env.add_template("overlays", OVERLAY_EXAMPLES)
        .expect("overlays template parses");
    env
}

/// Renders the host description for `answers`.
pub fn host_yaml(answers: &HostAnswers) -> String {
    let backend = answers.template.backend();
    environment()
        .get_template("host.yaml")
        .and_then(|t| {
            t.render(context! {
                name => yaml_scalar(&answers.name),
                system => System::default().as_str(),
                backend => backend.as_str(),
                nixos_flake => yaml_scalar(&answers.nixos_flake),
                host_name => answers.host_name.as_deref().map(yaml_scalar),
                profiles => answers.profiles.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                user_name => answers.user_name.as_deref().map(yaml_scalar),
                default_groups => backend.default_groups(),
            })
        })
        .expect("host.yaml template renders")
}

/// The commented-out local-source examples a new flake carries, with paths under `home`.
pub fn flake_examples(home: &str) -> Examples {
    let env = environment();
    let render = |name: &str| {
        env.get_template(name)
            .and_then(|t| t.render(context! { home => home }))
            .expect("example templates render")
            .trim_end()
            .to_owned()
    };
    Examples {
        inputs: Some(render("inputs")),
        overlays: Some(render("overlays")),
    }
}
