#!/usr/bin/env python3
"""Checks tests/corpus/manifest.json against the corpus files.

- every corpus .nix file has exactly one entry and every entry names a file
- entry fields and types; default_config is the only config or null
- refuse is a string exactly for files under refuse/
- comments equals the count of `#` and `/* */` comment tokens outside strings
- overlays match the `prev.<pkg>.overrideAttrs` / `super.<pkg>.overrideAttrs`
  entries found outside comments (package, input, source; in file order)
- files are 20-120 lines, LF only, no trailing whitespace, end with a newline
- at least 8 files whose style says "nixfmt fixed point" are nixfmt fixed points
- for files that are not refused: the input names and configuration names
  match what Nix evaluates with stub inputs (stub.nix)

Exit status 1 on any failure.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from count_comments import count_comments, strip_comments  # noqa: E402

FIELDS = {"file", "configs", "default_config", "overlays", "inputs",
          "comments", "style", "refuse"}
errors = []


def err(f, msg):
    errors.append(f"{f}: {msg}")


def overlay_entries(src):
    text = strip_comments(src)
    pat = re.compile(r"\b(?:prev|super)\.\"?([A-Za-z_][\w'-]*)\"?\.overrideAttrs\b")
    ms = list(pat.finditer(text))
    out = []
    for k, m in enumerate(ms):
        seg = text[m.end(): ms[k + 1].start() if k + 1 < len(ms) else len(text)]
        if "fetchFromGitHub" in seg:
            out.append({"package": m.group(1), "input": None, "source": "github"})
        elif "fetchgit" in seg:
            out.append({"package": m.group(1), "input": None, "source": "git"})
        else:
            s = re.search(r"\bsrc\s*=\s*(?:inputs\.)?\"?([A-Za-z_][\w'-]*)\"?\s*;", seg)
            out.append({"package": m.group(1), "input": s.group(1) if s else "?",
                        "source": "input"})
    return out


def nix_eval(path):
    expr = f"import {HERE}/stub.nix {path}"
    r = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:]
    return json.loads(r.stdout), None


def main():
    os.chdir(HERE)
    with open("manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    files = sorted([f for f in os.listdir(".") if f.endswith(".nix") and f != "stub.nix"]
                   + ["refuse/" + f for f in os.listdir("refuse") if f.endswith(".nix")])
    listed = [e.get("file") for e in manifest]
    for f in files:
        if listed.count(f) != 1:
            err(f, f"listed {listed.count(f)} times in manifest.json")
    for f in listed:
        if f not in files:
            err(f, "in manifest.json but no such file")
    fixed = 0
    for e in manifest:
        f = e.get("file")
        if set(e) != FIELDS:
            err(f, f"fields {sorted(set(e) ^ FIELDS)} missing or unexpected")
            continue
        if f not in files:
            continue
        raw = open(f, "rb").read()
        src = raw.decode("utf-8")
        lines = src.split("\n")
        if b"\r" in raw:
            err(f, "contains CR")
        if not src.endswith("\n"):
            err(f, "does not end with a newline")
        n = src.count("\n")
        if not 20 <= n <= 120:
            err(f, f"{n} lines, want 20-120")
        for i, l in enumerate(lines, 1):
            if l != l.rstrip():
                err(f, f"line {i}: trailing whitespace")
        if not (isinstance(e["configs"], list) and all(isinstance(c, str) for c in e["configs"])):
            err(f, "configs must be a list of strings")
        want_default = e["configs"][0] if len(e["configs"]) == 1 else None
        if e["default_config"] != want_default:
            err(f, f"default_config {e['default_config']!r}, want {want_default!r}")
        if not isinstance(e["style"], str) or not e["style"]:
            err(f, "style must be a non-empty string")
        is_refuse = f.startswith("refuse/")
        if is_refuse != isinstance(e["refuse"], str):
            err(f, "refuse must be a reason string exactly for files under refuse/")
        c = count_comments(src)
        if e["comments"] != c:
            err(f, f"comments {e['comments']} in manifest, counted {c}")
        got = overlay_entries(src)
        want = [{k: o[k] for k in ("package", "input", "source")} for o in e["overlays"]]
        if got != want:
            err(f, f"overlays {want} in manifest, found {got}")
        for o in e["overlays"]:
            if o["source"] not in ("input", "github", "git") or \
                    (o["source"] == "input") != isinstance(o["input"], str):
                err(f, f"bad overlay entry {o}")
            if set(o) - {"package", "input", "source", "config"}:
                err(f, f"unexpected overlay fields {o}")
            if "config" in o and o["config"] is not None and o["config"] not in e["configs"]:
                err(f, f"overlay config {o['config']!r} is not a configuration")
        if len(set(e["inputs"])) != len(e["inputs"]):
            err(f, "duplicate input names")
        if "nixfmt fixed point" in e["style"]:
            r = subprocess.run(["nixfmt", "-"], input=raw, capture_output=True)
            if r.returncode != 0 or r.stdout != raw:
                err(f, "style says nixfmt fixed point but nixfmt changes it")
            else:
                fixed += 1
        if not is_refuse:
            ev, why = nix_eval(os.path.join(HERE, f))
            if ev is None:
                err(f, f"stub evaluation failed: {why}")
            else:
                if sorted(e["inputs"]) != ev["inputs"]:
                    err(f, f"inputs {e['inputs']} in manifest, Nix says {ev['inputs']}")
                if sorted(e["configs"]) != ev["configs"]:
                    err(f, f"configs {e['configs']} in manifest, Nix says {ev['configs']}")
    if fixed < 8:
        err("manifest.json", f"only {fixed} nixfmt fixed points, want at least 8")
    for x in errors:
        print("FAIL", x)
    top = sum(1 for f in listed if not f.startswith("refuse/"))
    print(f"manifest: {len(manifest)} entries ({top} corpus, {len(manifest) - top} refuse), "
          f"{fixed} nixfmt fixed points, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
