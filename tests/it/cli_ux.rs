//! The command line as a new user meets it, through the real binary: `nixgen explain`, shell
//! completions (sourced into a real bash), the man page, closed pipes, colour and hints in
//! diagnostics, `--json` output, and git awareness in temporary repositories. Every run gets a
//! temporary current directory, `HOME` inside it, and git that cannot see any repository above
//! it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_nixgen");

const HOST: &str = "name: devel\nbackend: imageless\nprofiles: [devel]\n";

/// Two configurations, for `--config` completion.
const TWO_CONFIGS: &str = r#"{
  inputs.nixos-flake.url = "github:linux-kdevops/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { self, nixpkgs, nixos-flake, ... }: {
    nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ nixos-flake.nixosModules.backends.imageless ];
    };
    nixosConfigurations.storage = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ nixos-flake.nixosModules.backends.imageless ];
    };
  };
}
"#;

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        Sandbox { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self, cmd: &mut Command) {
        cmd.current_dir(self.path())
            .env("HOME", self.path().join("home"))
            .env("NO_COLOR", "1")
            .env(
                "GIT_CEILING_DIRECTORIES",
                self.path().parent().expect("parent"),
            )
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd.args(args);
        cmd
    }

    fn run_cmd(mut cmd: Command) -> (i32, String, String) {
        let out = cmd.stdin(Stdio::null()).output().expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        Self::run_cmd(self.cmd(args))
    }

    fn git(&self, dir: &str, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        cmd.arg("-C").arg(self.path().join(dir)).args(args);
        let out = cmd.output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs what nixgen told the user to run, exactly as printed, in a shell.
    fn sh(&self, line: &str) {
        let mut cmd = Command::new("sh");
        self.env(&mut cmd);
        let out = cmd.arg("-c").arg(line).output().expect("sh runs");
        assert!(
            out.status.success(),
            "`{line}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).expect("read")
    }
}

/// The line after `marker` in `text` (where nixgen prints a command to run), trimmed.
fn line_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no `{marker}` in:\n{text}"));
    lines.next().expect("a line follows").trim()
}

// --- explain --------------------------------------------------------------------------------

#[test]
fn explain_lists_every_key_of_the_contract() {
    let sb = Sandbox::new();
    let (code, stdout, stderr) = sb.run(&["explain"]);
    assert_eq!(code, 0, "{stderr}");
    for key in [
        "name",
        "system",
        "backend",
        "nixosFlake",
        "hostName",
        "profiles",
        "testSuites",
        "user",
        "user.name",
        "user.extraGroups",
        "shares",
        "shares.tag",
        "shares.options",
        "storage",
        "storage.device",
        "storage.fsType",
        "storage.options",
        "storage.mkfsArgs",
        "storage.autoFormat",
        "overlays",
        "overlays.src",
        "overlays.input",
        "overlays.clearPatches",
        "overlays.github",
        "overlays.git",
        "packages",
        "modules",
        "defaults",
        "configurations",
    ] {
        let listed = stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some(key));
        assert!(listed, "`{key}` is not in the table:\n{stdout}");
    }
}

#[test]
fn explain_storage_names_the_units_and_mounts() {
    let sb = Sandbox::new();
    let (code, stdout, stderr) = sb.run(&["explain", "storage"]);
    assert_eq!(code, 0, "{stderr}");
    for want in [
        "nixos-flake.nixosModules.mounts.storage",
        "nixos-flake.storage.\"/mnt/nvme0\" = {",
        "format-dev-nvme0n1.service",
        "mnt-nvme0.mount",
        "dev-nvme0n1.device",
        "mkfs --type xfs -b size=16k -s size=16k /dev/nvme0n1",
        "mkfs-dev-nvme1n1.service",
        "mnt-nvme1.mount",
        "mnt-data.mount",
        "nixgen explain storage --file host.yaml",
    ] {
        assert!(stdout.contains(want), "no `{want}` in:\n{stdout}");
    }
    // Only entries with mkfsArgs get nixos-flake's format service.
    assert!(!stdout.contains("format-mnt-data.service"), "{stdout}");

    let (code, stdout, _) = sb.run(&["explain", "shares"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("etc-xdg\\x2dhost.mount"), "{stdout}");
    assert!(stdout.contains("mnt-home.mount"), "{stdout}");
    assert!(stdout.contains("virtiofs tag `home`"), "{stdout}");
}

#[test]
fn explain_file_shows_the_units_of_the_users_own_mount_points() {
    let sb = Sandbox::new();
    sb.write(
        "host.yaml",
        "name: box\nbackend: imageless\n\
         storage:\n  /mnt/my-scratch: { device: /dev/disk/by-id/nvme-Fast_1, fsType: xfs, mkfsArgs: [-f] }\n\
         shares:\n  /srv/src tree: { tag: src }\n",
    );
    let (code, stdout, stderr) = sb.run(&["explain", "storage", "--file", "host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("format-dev-disk-by\\x2did-nvme\\x2dFast_1.service"),
        "{stdout}"
    );
    assert!(stdout.contains("mnt-my\\x2dscratch.mount"), "{stdout}");
    assert!(
        stdout.contains("dev-disk-by\\x2did-nvme\\x2dFast_1.device"),
        "{stdout}"
    );
    assert!(!stdout.contains("srv-src"), "storage only: {stdout}");
    let (code, stdout, _) = sb.run(&["explain", "--file", "host.yaml"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("srv-src\\x20tree.mount"), "{stdout}");

    // The names are systemd's own, where systemd-escape is there to ask.
    if let Ok(out) = Command::new("systemd-escape")
        .args(["--path", "/mnt/my-scratch", "/srv/src tree"])
        .output()
    {
        let names = String::from_utf8_lossy(&out.stdout);
        for name in names.split_whitespace() {
            assert!(
                stdout.contains(&format!("{name}.mount")),
                "{name}:\n{stdout}"
            );
        }
    }

    // A fleet lists each configuration.
    sb.write(
        "fleet.yaml",
        "defaults: { backend: imageless }\nconfigurations:\n  a: { storage: { /mnt/a: { device: /dev/vda, fsType: ext4 } } }\n  b: {}\n",
    );
    let (code, stdout, stderr) = sb.run(&["explain", "storage", "--file", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("configuration a:"), "{stdout}");
    assert!(stdout.contains("mnt-a.mount"), "{stdout}");
    assert!(stdout.contains("configuration b:"), "{stdout}");

    // Units exist only for storage and shares: the error says what to run instead.
    let (code, _, stderr) = sb.run(&["explain", "hostName", "--file", "host.yaml"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("= help: run `nixgen explain hostName`"),
        "{stderr}"
    );
}

#[test]
fn explain_accepts_sub_keys_and_suggests_on_typos() {
    let sb = Sandbox::new();
    let (code, stdout, _) = sb.run(&["explain", "storage.mkfsArgs"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("storage.mkfsArgs:"), "{stdout}");
    assert!(stdout.contains("format-<escaped device>.service"));
    let (_, same, _) = sb.run(&["explain", "mkfsArgs"]);
    assert_eq!(same, stdout, "a unique field name finds its key");
    let (_, same, _) = sb.run(&["explain", "storage./mnt/nvme0.mkfsArgs"]);
    assert_eq!(same, stdout, "the user's own mount point in the middle");

    let (code, stdout, _) = sb.run(&["explain", "overlays.src"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("flake = false;"), "{stdout}");
    assert!(stdout.contains("src = inputs.fio-src;"), "{stdout}");

    let (code, stdout, stderr) = sb.run(&["explain", "storge"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("error: `storge` is not a host description key"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `storage`?"), "{stderr}");
    let (code, _, stderr) = sb.run(&["explain", "zzz"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("= help: `nixgen explain` lists every key"),
        "{stderr}"
    );
}

// --- completions and man --------------------------------------------------------------------

/// Sources `nixgen completions bash` into a real bash and runs the completion function on
/// `line` (the cursor at its end); returns the candidates.
fn bash_complete(sb: &Sandbox, line: &str) -> Vec<String> {
    let (code, script, _) = sb.run(&["completions", "bash"]);
    assert_eq!(code, 0);
    let script_path = sb.write("nixgen.bash", &script);
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let driver = format!(
        r#"source {script}
line={line:?}
COMP_LINE="$line"
COMP_POINT=${{#line}}
read -ra COMP_WORDS <<< "$line"
[[ "$line" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
spec=$(complete -p nixgen)
func=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<< "$spec")
"$func" nixgen "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        script = script_path.display(),
    );
    let mut cmd = Command::new("bash");
    sb.env(&mut cmd);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = cmd
        .env("PATH", path)
        .arg("--norc")
        .arg("-c")
        .arg(driver)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_configuration_names_after_config() {
    let sb = Sandbox::new();
    sb.write("flake.nix", TWO_CONFIGS);
    sb.write("vms/other.nix", &TWO_CONFIGS.replace("storage", "minimal"));
    sb.write("vms/flake.nix", &TWO_CONFIGS.replace("devel", "guest"));

    assert_eq!(
        bash_complete(&sb, "nixgen overlay list --config "),
        ["devel", "storage"]
    );
    assert_eq!(
        bash_complete(&sb, "nixgen overlay add fio --src ~/fio --config st"),
        ["storage"]
    );
    assert_eq!(
        bash_complete(
            &sb,
            "nixgen overlay remove fio --flake vms/other.nix --config "
        ),
        ["devel", "minimal"]
    );
    assert_eq!(
        bash_complete(&sb, "nixgen check vms --config "),
        ["guest", "storage"]
    );
    // No flake: no candidates, and no error text in the user's prompt.
    assert!(bash_complete(&sb, "nixgen check nowhere --config ").is_empty());
    // Everything else is still clap's completion.
    assert_eq!(bash_complete(&sb, "nixgen gen"), ["generate"]);
    let opts = bash_complete(&sb, "nixgen overlay list --");
    assert!(opts.contains(&"--config".to_owned()), "{opts:?}");
}

#[test]
fn zsh_and_fish_scripts_call_nixgen_for_configuration_names() {
    let sb = Sandbox::new();
    let (code, zsh, _) = sb.run(&["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(
        zsh.starts_with("#compdef nixgen\n"),
        "zsh needs #compdef first"
    );
    assert!(zsh.contains(":NAME:_nixgen_config_names'"), "{zsh}");
    assert!(!zsh.contains(
        "'--config=[The configuration to edit, when the flake has several]:NAME:_default'"
    ));
    let (code, fish, _) = sb.run(&["completions", "fish"]);
    assert_eq!(code, 0);
    let config_lines: Vec<&str> = fish.lines().filter(|l| l.contains(" -l config ")).collect();
    assert!(!config_lines.is_empty());
    for l in config_lines {
        assert!(
            l.contains("(nixgen __complete-config -- (commandline -opc)"),
            "{l}"
        );
    }
    // Syntax-check the scripts where the shells are installed.
    for (shell, script, check) in [("zsh", &zsh, "-n"), ("fish", &fish, "--no-execute")] {
        let path = sb.write(&format!("nixgen.{shell}"), script);
        if let Ok(out) = Command::new(shell).arg(check).arg(&path).output() {
            assert!(
                out.status.success(),
                "{shell}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // The helper the scripts call: names only, for the flake the words point at.
    sb.write("flake.nix", TWO_CONFIGS);
    let (code, stdout, stderr) =
        sb.run(&["__complete-config", "--", "nixgen", "check", "--config"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "devel\nstorage\n", "")
    );
}

#[test]
fn the_completion_helper_is_in_no_help_man_page_or_completion() {
    let sb = Sandbox::new();
    for args in [
        &["--help"][..],
        &["man"],
        &["completions", "bash"],
        &["completions", "fish"],
    ] {
        let (code, stdout, _) = sb.run(args);
        assert_eq!(code, 0);
        let mentions = stdout
            .lines()
            .filter(|l| l.contains("__complete-config"))
            .filter(|l| {
                !l.contains("nixgen __complete-config --") && !l.contains("__complete-config -- \"")
            })
            .count();
        assert_eq!(mentions, 0, "{args:?} lists the helper as a command");
    }
    let (_, man, _) = sb.run(&["man"]);
    assert!(
        man.contains(".SH \"NIXGEN EXPLAIN\""),
        "each command has a section"
    );
}

/// Runs `nixgen ARGS` with a standard output whose reader is already gone.
fn run_into_closed_pipe(sb: &Sandbox, args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = sb
        .cmd(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    for args in [
        &["completions", "fish"][..],
        &["completions", "bash"],
        &["completions", "zsh"],
        &["man"],
        &["schema"],
        &["explain"],
        &["explain", "storage"],
        &["validate", "--json", "host.yaml"],
        &["generate", "--dry-run"],
    ] {
        let (code, stderr) = run_into_closed_pipe(&sb, args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
    // The same through a real shell pipeline.
    let mut sh = Command::new("sh");
    sb.env(&mut sh);
    let out = sh
        .arg("-c")
        .arg(format!(
            "for c in 'completions fish' man schema; do {BIN} $c | head -1 >/dev/null; done"
        ))
        .output()
        .expect("sh");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// --- diagnostics ----------------------------------------------------------------------------

#[test]
fn diagnostics_show_the_line_a_caret_and_what_to_do() {
    let sb = Sandbox::new();
    sb.write(
        "host.yaml",
        "name: box\nbackend: imageless\nstorage:\n  /mnt/a: { device: /dev/vdb, fsTyp: xfs }\n",
    );
    let (code, _, stderr) = sb.run(&["validate", "host.yaml"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--> host.yaml:4:"), "{stderr}");
    assert!(
        stderr.contains("4 |   /mnt/a: { device: /dev/vdb, fsTyp: xfs }"),
        "{stderr}"
    );
    let caret = stderr
        .lines()
        .find(|l| l.trim_end().ends_with('^'))
        .expect("a caret line");
    let source = stderr.lines().find(|l| l.starts_with("4 |")).unwrap();
    assert_eq!(
        source.find("fsTyp"),
        caret.find('^'),
        "the caret is under the key:\n{stderr}"
    );
    assert!(stderr.contains("= help:"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "NO_COLOR, not a terminal: {stderr:?}"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let sb = Sandbox::new();
    sb.write("host.yaml", "name: a\nbackend: qemu\n");
    // Not a terminal, NO_COLOR unset: plain.
    let (_, _, plain) = Sandbox::run_cmd({
        let mut c = sb.cmd(&["validate", "host.yaml"]);
        c.env_remove("NO_COLOR");
        c
    });
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let (_, _, never) = sb.run(&["--color", "never", "validate", "host.yaml"]);
    assert!(!never.contains('\x1b'));
    let (_, _, always) = sb.run(&["--color", "always", "validate", "host.yaml"]);
    assert!(always.contains("\x1b[1;31merror\x1b[0m"), "{always:?}");
    assert_eq!(
        always
            .replace("\x1b[0m", "")
            .replace("\x1b[1;31m", "")
            .replace("\x1b[1;34m", "")
            .replace("\x1b[1;36m", "")
            .replace("\x1b[1m", ""),
        plain,
        "colour changes nothing but colour"
    );
}

#[test]
fn errors_of_init_and_explain_say_what_to_do_next() {
    let sb = Sandbox::new();
    let (code, _, stderr) = sb.run(&["init", "--nixos-flake", "nowhere", "--no-git"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--nixos-flake:"), "{stderr}");
    assert!(stderr.contains("= help:"), "{stderr}");
    let (code, _, _) = sb.run(&["init", "--no-git"]);
    assert_eq!(code, 0);
    let (code, _, stderr) = sb.run(&["init", "--no-git"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("= help: use `nixgen generate`"), "{stderr}");
}

// --- init's nixos-flake location -------------------------------------------------------------

#[test]
fn init_stores_a_local_nixos_flake_as_an_absolute_path_url() {
    let sb = Sandbox::new();
    sb.write("home/src/nixos-flake/flake.nix", "{ outputs = _: { }; }\n");
    let home = sb.path().join("home");
    let (code, _, stderr) = sb.run(&[
        "init",
        "a",
        "--nixos-flake",
        "~/src/nixos-flake",
        "--no-git",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let want = format!("nixosFlake: path:{}/src/nixos-flake\n", home.display());
    assert!(
        sb.read("a/host.yaml").contains(&want),
        "{}",
        sb.read("a/host.yaml")
    );
    assert!(sb.read("a/flake.nix").contains(&format!(
        "nixos-flake.url = \"path:{}/src/nixos-flake\";",
        home.display()
    )));
    // Relative to where the command runs, not to the new directory.
    let (code, _, stderr) = sb.run(&[
        "init",
        "b/c",
        "--nixos-flake",
        "home/src/nixos-flake",
        "--no-git",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(sb.read("b/c/host.yaml").contains(&want));
    // A checkout without flake.nix: written, with a warning that says why Nix will fail.
    let (code, _, stderr) = sb.run(&["init", "d", "--nixos-flake", "./home", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("has no flake.nix"), "{stderr}");
    // URLs stay as they are.
    let (code, _, _) = sb.run(&[
        "init",
        "e",
        "--nixos-flake",
        "github:me/nixos-flake/dev",
        "--no-git",
    ]);
    assert_eq!(code, 0);
    assert!(sb
        .read("e/host.yaml")
        .contains("nixosFlake: github:me/nixos-flake/dev\n"));
    for d in ["a", "b/c", "d", "e"] {
        let (code, _, stderr) = sb.run(&["validate", &format!("{d}/host.yaml")]);
        assert_eq!(code, 0, "{d}: {stderr}");
    }
}

// --- --json ---------------------------------------------------------------------------------

#[test]
fn validate_json_gives_file_line_column_message() {
    let sb = Sandbox::new();
    sb.write("good.yaml", HOST);
    sb.write(
        "bad.yaml",
        "name: x\nbackend: imageless\nprofiles: [devel, devl]\n",
    );
    let (code, stdout, stderr) = sb.run(&["validate", "--json", "good.yaml", "bad.yaml"]);
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "JSON mode prints nothing else: {stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(v["valid"], false);
    let diags: Vec<&Value> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(diags.len(), 1, "{stdout}");
    let d = &diags[0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "bad.yaml", "{d}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(19)),
        "{d}"
    );
    assert_eq!(d["message"], "unknown value `devl`");
    assert!(
        d["help"]
            .as_str()
            .is_some_and(|h| h.contains("did you mean `devel`?")),
        "{d}"
    );

    let (code, stdout, _) = sb.run(&["validate", "--json", "good.yaml"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);
    let errors: Vec<&Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{stdout}");
}

#[test]
fn generate_dry_run_json_is_the_plan_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.write(
        "host.yaml",
        "name: box\nbackend: libvirt\nprofiles: [devel]\nstorage:\n  /mnt/a: { device: /dev/vdb, fsType: ext4 }\n\
         overlays:\n  fio: { src: ./fio }\npackages: [gdb]\n",
    );
    let (code, stdout, _) = sb.run(&["generate", "--dry-run", "--json"]);
    assert_eq!(code, 0);
    assert!(
        !sb.path().join("flake.nix").exists(),
        "dry run writes nothing"
    );
    let v: Value = serde_json::from_str(&stdout).expect("stdout is only JSON");
    assert_eq!(v["outcome"], "create");
    assert_eq!(v["configuration"], "box");
    assert_eq!(v["system"], "x86_64-linux");
    let inputs: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["nixos-flake", "nixpkgs", "fio-src"]);
    assert_eq!(v["inputs"][2]["flake"], false);
    assert_eq!(
        v["inputs"][2]["location"],
        serde_json::json!([
            "type = \"path\";",
            format!("path = \"{}/fio\";", sb.path().display())
        ])
    );
    assert!(v["modules"]
        .as_array()
        .unwrap()
        .contains(&Value::from("nixos-flake.nixosModules.mounts.storage")));
    assert_eq!(v["packages"], serde_json::json!(["gdb"]));
    assert_eq!(v["overlays"][0]["package"], "fio");

    let (code, _, _) = sb.run(&["generate", "--no-git"]);
    assert_eq!(code, 0);
    let (_, stdout, _) = sb.run(&["generate", "--dry-run", "--json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["outcome"], "up-to-date");
    assert_eq!(v["diff"], "");
}

#[test]
fn overlay_list_json_lists_what_overlay_add_wrote() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    assert_eq!(sb.run(&["generate", "--no-git"]).0, 0);
    sb.write("src/fio/README", "fio\n");
    let (code, _, stderr) = sb.run(&[
        "overlay",
        "add",
        "fio",
        "--src",
        "./src/fio",
        "--clear-patches",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = sb.run(&[
        "overlay",
        "add",
        "damo",
        "--github",
        "damonitor/damo",
        "--rev",
        "v1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = sb.run(&["overlay", "list", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let rows = v.as_array().expect("a list");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["package"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fio", "damo"], "{stdout}");
    assert_eq!(rows[0]["config"], "devel");
    assert_eq!(rows[0]["clearPatches"], true, "{stdout}");
    assert_eq!(rows[1]["source"]["kind"], "github", "{stdout}");
    assert!(stdout.contains("damonitor"), "{stdout}");
    assert!(
        stdout.contains(&format!("path:{}/src/fio", sb.path().display())),
        "{stdout}"
    );
}

// --- git ------------------------------------------------------------------------------------

#[test]
fn init_scaffold_generate_add_new_files_with_intent_to_add() {
    let sb = Sandbox::new();
    sb.git(".", &["init", "-q"]);
    let (code, _, stderr) = sb.run(&["init", "vm"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("git: vm/flake.nix added with --intent-to-add"),
        "{stderr}"
    );
    assert!(!stderr.contains("git init"), "{stderr}");

    sb.write(
        "fleet.yaml",
        "defaults: { backend: imageless }\nconfigurations:\n  a: {}\n  b: {}\n",
    );
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");

    sb.write("solo/host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["generate", "solo/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("git: solo/flake.nix added with --intent-to-add"),
        "{stderr}"
    );

    let listed = sb.git(".", &["ls-files"]);
    assert_eq!(
        listed,
        "configurations/a/flake.nix\nconfigurations/a/host.yaml\nconfigurations/b/flake.nix\n\
         configurations/b/host.yaml\nsolo/flake.nix\nvm/flake.nix\nvm/host.yaml\n"
    );
    // Intent to add: known to git (so Nix sees them), nothing staged yet.
    let status = sb.git(".", &["status", "--porcelain"]);
    assert!(status.contains(" A vm/flake.nix"), "{status}");
}

#[test]
fn no_git_adds_nothing_and_prints_the_command() {
    let sb = Sandbox::new();
    sb.git(".", &["init", "-q"]);
    let (code, _, stderr) = sb.run(&["init", "vm", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(sb.git(".", &["ls-files"]), "");
    assert!(!stderr.contains("intent-to-add"), "{stderr}");
    assert!(stderr.contains("  git add host.yaml flake.nix"), "{stderr}");

    sb.write("g/host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["generate", "g/host.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(sb.git(".", &["ls-files"]), "");
    let cmd = line_after(&stderr, "not added to git (--no-git)");
    assert_eq!(cmd, "git -C g add flake.nix");
    sb.sh(cmd);
    assert_eq!(sb.git(".", &["ls-files"]), "g/flake.nix\n");
}

#[test]
fn outside_a_work_tree_the_exact_commands_are_printed_and_work() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["generate"]);
    assert_eq!(code, 0, "{stderr}");
    let cmd = line_after(&stderr, "is not in a git repository");
    assert_eq!(cmd, "git init && git add flake.nix");
    sb.sh(cmd);
    assert_eq!(sb.git(".", &["ls-files"]), "flake.nix\n");

    let sb = Sandbox::new();
    let (code, _, stderr) = sb.run(&["init", "my vm"]);
    assert_eq!(code, 0, "{stderr}");
    // init puts them into its next steps, after `cd`.
    assert!(stderr.contains("  cd my vm\n"), "{stderr}");
    assert!(
        stderr.contains(
            "  git init && git add host.yaml flake.nix   # flakes only see files git tracks"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("git init").count(), 1, "said once: {stderr}");

    sb.write(
        "fleet.yaml",
        "defaults: { backend: imageless }\nconfigurations:\n  a: {}\n  b: {}\n",
    );
    let (code, _, stderr) = sb.run(&["scaffold", "--root", "confs", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    for dir in ["confs/a", "confs/b"] {
        let cmd = format!("git -C {dir} init && git -C {dir} add host.yaml flake.nix");
        assert!(stderr.contains(&format!("  {cmd}\n")), "{stderr}");
        sb.sh(&cmd);
        assert_eq!(sb.git(dir, &["ls-files"]), "flake.nix\nhost.yaml\n");
    }
}

/// A fleet of `n` configurations with nothing but a backend.
fn fleet(n: usize) -> String {
    let mut text = String::from("defaults: { backend: imageless }\nconfigurations:\n");
    for i in 0..n {
        text.push_str(&format!("  host{i}: {{}}\n"));
    }
    text
}

#[test]
fn a_large_fleet_outside_git_gets_one_command_for_all_of_it() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", &fleet(5));
    let (code, _, stderr) = sb.run(&["scaffold", "--root", "confs", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("note:").count(), 1, "one note: {stderr}");
    let cmd = line_after(&stderr, "confs is not in a git repository");
    assert_eq!(cmd, "git -C confs init && git -C confs add .");
    sb.sh(cmd);
    let listed = sb.git("confs", &["ls-files"]);
    assert_eq!(listed.lines().count(), 10, "{listed}");
    assert!(listed.contains("host4/flake.nix\n"), "{listed}");
}

#[test]
fn a_large_fleet_in_a_repository_is_added_with_one_git_call_per_question() {
    let sb = Sandbox::new();
    sb.git(".", &["init", "-q"]);
    sb.write("fleet.yaml", &fleet(6));
    let (code, _, stderr) = sb.run(&["scaffold", "--root", "confs", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "git: 12 new files added with --intent-to-add (confs/host0/host.yaml ... \
             confs/host5/flake.nix)"
        ),
        "{stderr}"
    );
    assert_eq!(sb.git(".", &["ls-files"]).lines().count(), 12);
    // Up to date and tracked: nothing to say about git.
    let (code, _, stderr) = sb.run(&["scaffold", "--root", "confs", "fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("git"), "{stderr}");

    // --no-git: one `git add` for the fleet, which works as printed.
    let (code, _, stderr) = sb.run(&["scaffold", "--root", "more", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    let cmd = line_after(&stderr, "not added to git (--no-git)");
    assert_eq!(cmd, "git -C more add .");
    sb.sh(cmd);
    assert_eq!(sb.git(".", &["ls-files", "more"]).lines().count(), 12);
}

#[test]
fn a_configuration_in_an_ignored_directory_gets_its_own_repository() {
    // nixos-flake's checkout ignores configurations/: git add would refuse the files.
    let sb = Sandbox::new();
    sb.git(".", &["init", "-q"]);
    sb.write(".gitignore", "configurations/\n");
    let (code, _, stderr) = sb.run(&["init", "configurations/my-vm"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "  git init && git add host.yaml flake.nix   # a repository of its own: the one at {} \
             ignores this directory",
            sb.path().canonicalize().unwrap().display()
        )),
        "{stderr}"
    );
    sb.sh("cd configurations/my-vm && git init -q && git add host.yaml flake.nix");
    assert_eq!(
        sb.git("configurations/my-vm", &["ls-files"]),
        "flake.nix\nhost.yaml\n"
    );
    // Now it is its own work tree: generate adds nothing, warns about nothing.
    let (code, _, stderr) = sb.run(&["generate", "configurations/my-vm/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("git"), "{stderr}");
}

#[test]
fn an_untracked_flake_is_warned_about() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    assert_eq!(sb.run(&["generate", "--no-git"]).0, 0);
    sb.git(".", &["init", "-q"]);
    // Up to date, but Nix cannot see it.
    let (code, _, stderr) = sb.run(&["generate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("flake.nix is up to date"), "{stderr}");
    let cmd = line_after(&stderr, "is not tracked by git");
    assert_eq!(cmd, "git add flake.nix");
    sb.sh(cmd);
    let (_, _, stderr) = sb.run(&["generate"]);
    assert!(!stderr.contains("not tracked"), "{stderr}");
    // --dry-run and --check never touch git.
    std::fs::remove_file(sb.path().join("flake.nix")).unwrap();
    sb.sh("git rm -q --cached flake.nix");
    let (_, _, stderr) = sb.run(&["generate", "--dry-run"]);
    assert!(!stderr.contains("git"), "{stderr}");
    assert_eq!(sb.git(".", &["ls-files"]), "");
}
