//! `nixgen init --interactive` and colour at a real pseudo-terminal: each test starts the
//! binary inside a private tmux server (its own socket in a temporary directory), types keys
//! with `send-keys` once the prompt it answers is on the screen, and reads the screen with
//! `capture-pane`. Without tmux on PATH they fail (the CI machine has it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_nixgen");

/// A private tmux server running one shell script in a 120x40 window.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Runs `command` (a shell command line) in `dir` with `HOME=dir/home`; fails without tmux.
    fn start(dir: &Path, env: &str, command: &str) -> Tmux {
        // A terminal test that cannot run must fail, not pass quietly.
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is required for the terminal tests: apt-get install -y tmux"
        );
        // Each server gets its own socket: a socket just killed may still be going away.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let script = dir.join(format!("run-{n}.sh"));
        std::fs::write(
            &script,
            format!(
                "cd '{dir}' || exit 1\nexport HOME='{dir}/home' GIT_CEILING_DIRECTORIES='{parent}'\n\
                 unset NO_COLOR\ntrap 'true' INT\n{env}\n{command}\necho \"EXIT=$?\"\nsleep 600\n",
                dir = dir.display(),
                parent = dir.parent().expect("parent").display(),
            ),
        )
        .expect("script");
        let tmux = Tmux {
            socket: dir.join(format!("tmux-{n}.sock")),
        };
        let out = tmux
            .cmd()
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
            ])
            .arg(format!("sh '{}'", script.display()))
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket).env_remove("TMUX");
        c
    }

    /// Presses keys (tmux key names: `Enter`, `Down`, `Space`, `C-u`).
    fn keys(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "0"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "0", "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    /// The screen and its scrollback; with `escapes`, with colour codes.
    fn screen(&self, escapes: bool) -> String {
        let mut c = self.cmd();
        c.args(["capture-pane", "-p", "-J", "-S", "-200", "-t", "0"]);
        if escapes {
            c.arg("-e");
        }
        String::from_utf8_lossy(&c.output().expect("capture-pane").stdout).into_owned()
    }

    /// Waits until `needle` is on the screen; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(false);
            if screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("`{needle}` never appeared; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the command to end; returns its exit status and the screen.
    fn exit(&self) -> (i32, String) {
        let screen = self.wait_for("EXIT=");
        let code = screen
            .lines()
            .find_map(|l| l.split("EXIT=").nth(1))
            .and_then(|c| c.trim().parse().ok())
            .expect("an exit status");
        (code, screen)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

/// True when `lines` appear in `yaml` one after another, comments after a value ignored.
fn has_lines(yaml: &str, lines: &[&str]) -> bool {
    let plain: Vec<&str> = yaml
        .lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim_end())
        .collect();
    plain.windows(lines.len()).any(|w| w == lines)
}

fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join("home")).expect("home");
    dir
}

/// `nixgen ARGS` outside the terminal, in `dir` with `HOME=dir/home`: (exit code, stderr).
fn nixgen(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = support::run(support::nixgen(dir, &dir.join("home")).args(args));
    (code, stderr)
}

#[test]
fn enter_at_every_prompt_gives_a_configuration_that_validates_and_generates() {
    let dir = sandbox();
    let t = Tmux::start(dir.path(), "", &format!("'{BIN}' init box --interactive"));
    t.wait_for("imageless  - a test VM");
    t.keys(&["Enter"]);
    t.wait_for("Configuration name [box]:");
    t.keys(&["Enter"]);
    t.wait_for("nixos-flake (URL or local checkout) [github:linux-kdevops/nixos-flake]:");
    t.keys(&["Enter"]);
    t.wait_for("Profiles (space toggles, enter accepts)");
    t.keys(&["Enter"]);
    t.wait_for("User account (empty: none)");
    t.keys(&["Enter"]);
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("created box/host.yaml"), "{screen}");
    assert!(screen.contains("next steps:"), "{screen}");

    let yaml = std::fs::read_to_string(dir.path().join("box/host.yaml")).expect("host.yaml");
    for want in [
        "name: box",
        "backend: imageless",
        "nixosFlake: github:linux-kdevops/nixos-flake",
        "profiles: [devel]",
    ] {
        assert!(has_lines(&yaml, &[want]), "no `{want}` in:\n{yaml}");
    }
    assert!(
        !has_lines(&yaml, &["user:"]),
        "no account unless asked: {yaml}"
    );
    let (code, stderr) = nixgen(dir.path(), &["validate", "box/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = nixgen(dir.path(), &["generate", "box/host.yaml", "--check"]);
    assert_eq!(
        code, 0,
        "generate accepts it and has nothing to change: {stderr}"
    );
}

#[test]
fn answers_are_checked_and_a_local_checkout_becomes_an_absolute_path_url() {
    let dir = sandbox();
    std::fs::create_dir_all(dir.path().join("home/src/empty")).unwrap();
    std::fs::create_dir_all(dir.path().join("home/src/nixos-flake")).unwrap();
    std::fs::write(
        dir.path().join("home/src/nixos-flake/flake.nix"),
        "{ outputs = _: { }; }\n",
    )
    .unwrap();
    let t = Tmux::start(
        dir.path(),
        "",
        &format!("'{BIN}' init lab --interactive --no-git"),
    );
    t.wait_for("controller - a host that drives guests");
    t.keys(&["Down", "Enter"]); // libvirt
    t.wait_for("Configuration name [lab]:");
    t.type_text("9bad");
    t.keys(&["Enter"]);
    t.wait_for("letters, digits, `_` and `-`, starting with a letter");
    t.keys(&["C-u"]);
    t.type_text("storage-lab");
    t.keys(&["Enter"]);
    t.wait_for("nixos-flake (URL or local checkout)");
    t.type_text("~/src/empty");
    t.keys(&["Enter"]);
    t.wait_for("has no flake.nix");
    t.keys(&["C-u"]);
    t.type_text("~/src/nixos-flake");
    t.keys(&["Enter"]);
    t.wait_for("Profiles (space toggles, enter accepts)");
    t.keys(&["Down", "Space", "Enter"]); // devel (default) + build-tools
    t.wait_for("User account (empty: none)");
    t.type_text("Root");
    t.keys(&["Enter"]);
    t.wait_for("lower-case letters");
    t.keys(&["C-u"]);
    t.type_text("kdevops");
    t.keys(&["Enter"]);
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");

    let yaml = std::fs::read_to_string(dir.path().join("lab/host.yaml")).expect("host.yaml");
    let home = dir.path().join("home");
    let flake = format!("nixosFlake: path:{}/src/nixos-flake", home.display());
    for want in [
        &["name: storage-lab"][..],
        &["backend: libvirt"],
        &[flake.as_str()],
        &["profiles: [devel, build-tools]"],
        &["user:", "  name: kdevops"],
    ] {
        assert!(has_lines(&yaml, want), "no `{want:?}` in:\n{yaml}");
    }
    let (code, stderr) = nixgen(dir.path(), &["validate", "lab/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    // --no-git: nothing added; the next steps carry the command instead.
    assert!(
        screen.contains("git init && git add host.yaml flake.nix"),
        "{screen}"
    );
}

#[test]
fn values_given_as_options_are_not_asked_for() {
    let dir = sandbox();
    let t = Tmux::start(
        dir.path(),
        "",
        &format!(
            "'{BIN}' init --interactive --template controller --name ctl \
             --nixos-flake github:linux-kdevops/nixos-flake --no-git"
        ),
    );
    // Only profiles and the user are left to ask; the controller's defaults are preselected.
    t.wait_for("Profiles (space toggles, enter accepts)");
    t.keys(&["Enter"]);
    t.wait_for("User account (empty: none) [kdevops]:");
    t.keys(&["Enter"]);
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Template:"), "{screen}");
    assert!(!screen.contains("Configuration name"), "{screen}");
    let yaml = std::fs::read_to_string(dir.path().join("host.yaml")).unwrap();
    assert!(has_lines(&yaml, &["profiles: [controller]"]), "{yaml}");
    assert!(has_lines(&yaml, &["user:", "  name: kdevops"]), "{yaml}");
}

#[test]
fn without_a_terminal_on_stdin_interactive_does_not_prompt() {
    let dir = sandbox();
    // At a terminal, but stdin is a pipe: no prompt may wait for keys that never come.
    let t = Tmux::start(
        dir.path(),
        "",
        &format!("echo | '{BIN}' init quiet --interactive --no-git"),
    );
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("--interactive needs a terminal"),
        "{screen}"
    );
    assert!(!screen.contains("Template:"), "{screen}");
    assert!(dir.path().join("quiet/host.yaml").exists());

    // And with no terminal at all (stdin null), straight from the test.
    let (code, stderr) = nixgen(dir.path(), &["init", "plain", "--interactive", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("--interactive needs a terminal"),
        "{stderr}"
    );
    let (code, stderr) = nixgen(dir.path(), &["validate", "plain/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn interrupting_the_prompts_writes_nothing() {
    let dir = sandbox();
    let t = Tmux::start(dir.path(), "", &format!("'{BIN}' init gone --interactive"));
    t.wait_for("imageless  - a test VM");
    t.keys(&["Enter"]);
    t.wait_for("Configuration name [gone]:");
    t.keys(&["C-c"]);
    let (code, screen) = t.exit();
    assert_ne!(code, 0, "{screen}");
    assert!(!dir.path().join("gone").exists(), "{screen}");
}

#[test]
fn diagnostics_are_coloured_on_a_terminal_unless_no_color() {
    let dir = sandbox();
    std::fs::write(dir.path().join("bad.yaml"), "name: a\nbackend: qemu\n").unwrap();
    let run = |env: &str, args: &str| -> String {
        let t = Tmux::start(
            dir.path(),
            env,
            &format!("'{BIN}' {args} validate bad.yaml"),
        );
        let (code, _) = t.exit();
        assert_eq!(code, 1);
        t.screen(true)
    };
    let coloured = run("", "");
    assert!(
        coloured.contains('\x1b'),
        "a terminal gets colour: {coloured:?}"
    );
    assert!(coloured.contains("error"), "{coloured:?}");
    let plain = run("export NO_COLOR=1", "");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    assert!(plain.contains("error: unknown value `qemu`"), "{plain}");
    let never = run("", "--color never");
    assert!(!never.contains('\x1b'), "--color never: {never:?}");
}
