"""Does `rustdoc-gen check` agree with the real clippy? On Debian's clap (4.0, its builder
module inside), globset and grep-* crates, `cargo clippy` runs offline against Debian's
registry with every doc lint that a `check` code is named after turned on (the pedantic ones
too), and `check` runs with the same codes selected; per code, the precision and recall of
check's findings against clippy's, matched by file, line and column.

    python -m bench clippy [--crates clap,globset,...] [--show 5]

Both tools read the same copy of each crate, as its default features build it: the copy's
manifest keeps what those features need (no dev-dependencies, examples or benches), and code
compiled out by a `#[cfg]` (or a `#[cfg_attr]` that does not apply) is blanked with spaces,
lines kept, so that neither tool sees what rustc does not; a `#[cfg_attr(..., doc = "...")]`
that applies becomes the `#[doc = "..."]` the build sees (check reads cfg_attr docs as docs.rs
shows them, every feature on). `check` reads the files of the
library's module tree, as clippy does. The dependencies come from Debian's librust-*-dev
packages (`scripts/fetch-debian-crates`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path

from bench.harness import Report, debian_crates
from rustdoc_core.docs.findings import FINDINGS
from rustdoc_core.docs.lint import lint_paths
from rustdoc_core.docs.rule_config import CommandLineRules
from rustdoc_core.rust.crate_index import CrateIndex
from rustdoc_core.rust.items import RustSource

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "clippy-bench"
DEFAULT_CRATES = "clap,globset,grep-cli,grep-matcher,grep-printer,grep-regex,grep-searcher"
DEPENDENCY_PACKAGES = (
    # what the crates' default features build against, from Debian bookworm
    "librust-aho-corasick-dev", "librust-atty-dev", "librust-base64-dev", "librust-bitflags-dev", "librust-bstr-dev",
    "librust-bytecount-dev", "librust-cfg-if-dev", "librust-encoding-rs-dev", "librust-encoding-rs-io-dev",
    "librust-fnv-dev", "librust-itoa-dev", "librust-lazy-static-dev", "librust-libc-dev", "librust-log-dev",
    "librust-memchr-dev", "librust-memmap2-dev", "librust-once-cell-dev", "librust-os-str-bytes-dev",
    "librust-regex-automata-dev", "librust-regex-dev", "librust-regex-syntax-dev", "librust-ryu-dev",
    "librust-same-file-dev", "librust-serde-dev", "librust-serde-derive-dev", "librust-serde-json-dev",
    "librust-strsim-dev", "librust-termcolor-dev", "librust-thread-local-dev", "librust-winapi-dev",
    "librust-winapi-util-dev", "librust-proc-macro2-dev", "librust-quote-dev", "librust-syn-dev",
    "librust-unicode-ident-dev", "librust-clap-lex-dev", "librust-winapi-i686-pc-windows-gnu-dev",
    "librust-winapi-x86-64-pc-windows-gnu-dev", "librust-byteorder-dev",
)
CLIPPY_CODES = {code: rule.source for code, rule in FINDINGS.items() if rule.source.startswith("clippy::") and rule.stage == "check"}
"""`check`'s codes named after a clippy lint, and the lint."""
TARGET = 0.95

Place = tuple[str, int, int, str]  # file (relative to the crate), line, column, code


# --- the crates, as their default features build them ---------------------------------------


def registry(work: Path) -> Path:
    """A directory source holding the crates and their dependencies (links into Debian's registries)."""
    fetch = ROOT / "scripts" / "fetch-debian-crates"
    env = {**os.environ, "RUSTDOC_GEN_DEBIAN_DIR": str(CACHE / "debian")}
    done = subprocess.run([str(fetch), *DEPENDENCY_PACKAGES], env=env, check=True, capture_output=True, text=True)
    sources = [Path("/usr/share/cargo/registry"), Path(done.stdout.strip().splitlines()[-1]), debian_crates(["globset"])[0].parent]
    union = work / "registry"
    union.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if source.is_dir():
            for crate in source.iterdir():
                if (crate / "Cargo.toml").is_file() and not (union / crate.name).exists():
                    (union / crate.name).symlink_to(crate)
    return union


def default_features(manifest: dict) -> tuple[set[str], set[str]]:
    """(features, optional dependencies) the default features turn on."""
    features = manifest.get("features", {})
    optional = {name for name, spec in manifest.get("dependencies", {}).items() if isinstance(spec, dict) and spec.get("optional")}
    on: set[str] = set()
    deps: set[str] = set()
    pending = ["default"] if "default" in features else []
    while pending:
        name = pending.pop()
        if name in on:
            continue
        on.add(name)
        for entry in features.get(name, []):
            if entry.startswith("dep:"):
                deps.add(entry[4:])
            elif "/" in entry:
                dep = entry.split("/", 1)[0]
                if not dep.endswith("?") and dep in optional:
                    deps.add(dep)
                    on.add(dep)
            elif entry in features:
                pending.append(entry)
            elif entry in optional:
                deps.add(entry)
                on.add(entry)
    return on, deps


def trimmed_manifest(text: str) -> str:
    """The manifest with what the default features do not need left out: dev-dependencies,
    examples, tests, benches, and optional dependencies they do not turn on."""
    manifest = tomllib.loads(text)
    _, kept = default_features(manifest)
    optional = {name for name, spec in manifest.get("dependencies", {}).items() if isinstance(spec, dict) and spec.get("optional")}
    dropped = optional - kept
    out: list[str] = []
    keep = True
    for line in text.split("\n"):
        header = re.match(r"^\[\[?([^\]]+)\]\]?\s*$", line)
        if header:
            name = header.group(1).strip()
            dep = re.match(r"^(?:target\..+\.)?dependencies\.(.+)$", name)
            keep = not (
                name in ("features", "example", "test", "bench")
                or "dev-dependencies" in name
                or (dep is not None and dep.group(1).strip('"') in dropped)
            )
        if keep:
            out.append(line)
    features = {}
    for name, entries in manifest.get("features", {}).items():
        features[name] = [e for e in entries if re.split(r"[/?]", e.removeprefix("dep:"))[0] not in dropped]
    out.append("[features]")
    out.extend(f"{json.dumps(name)} = {json.dumps(entries)}" for name, entries in features.items())
    return "\n".join(out) + "\n"


_CFG_TRUE = {"unix", "debug_assertions", "target_os=linux", "target_family=unix", "target_arch=x86_64",
             "target_pointer_width=64", "target_endian=little", "panic=unwind", "target_env=gnu"}
_CFG_FALSE_NAMES = {"test", "windows", "doc", "docsrs", "miri", "wasm", "loom", "fuzzing", "nightly"}


def cfg_value(predicate: str, features: set[str]) -> bool | None:
    """A `cfg` predicate's value for a Linux x86_64 build with `features` on; None if unknown."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][\w]*|[(),=]', predicate)
    position = 0

    def parse() -> bool | None:
        nonlocal position
        name = tokens[position]
        position += 1
        if name in ("any", "all", "not") and position < len(tokens) and tokens[position] == "(":
            position += 1
            values = []
            while tokens[position] != ")":
                values.append(parse())
                if tokens[position] == ",":
                    position += 1
            position += 1
            if name == "not":
                return None if values[0] is None else not values[0]
            if name == "any":
                return True if True in values else (None if None in values else False)
            return False if False in values else (None if None in values else True)
        if position < len(tokens) and tokens[position] == "=":
            value = tokens[position + 1].strip('"')
            position += 2
            if name == "feature":
                return value in features
            key = f"{name}={value}"
            if key in _CFG_TRUE:
                return True
            return False if name.startswith("target_") or name == "panic" else None
        if name in _CFG_TRUE:
            return True
        return False if name in _CFG_FALSE_NAMES else None

    try:
        return parse()
    except IndexError:
        return None


_CFG = re.compile(r"^#!?\[\s*cfg\s*\((.*)\)\s*\]$", re.S)
_CFG_ATTR = re.compile(r"^#!?\[\s*cfg_attr\s*\((.*)\)\s*\]$", re.S)


def _split_cfg_attr(arguments: str) -> str:
    """The predicate of `cfg_attr(predicate, attrs...)`."""
    depth = 0
    for i, ch in enumerate(arguments):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            return arguments[:i]
    return arguments


def compiled_out(data: bytes, features: set[str]) -> list[tuple[int, int]]:
    """Byte ranges of a file that the build leaves out: items, fields, statements under a false
    `#[cfg]` (their docs and attributes too), attributes under a `#[cfg_attr]` that does not
    apply, and the whole file under a false `#![cfg]`."""
    root = RustSource(data).tree.root_node
    out: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        head: int | None = None  # where the next node's docs and attributes start
        drop = False
        children = node.children
        for position, child in enumerate(children):
            text = (child.text or b"").decode("utf-8", "replace")
            if child.type == "inner_attribute_item":
                cfg = _CFG.match(text)
                if cfg and cfg_value(cfg.group(1), features) is False:
                    return [(node.start_byte, node.end_byte)]
                attr = _CFG_ATTR.match(text)
                if attr and cfg_value(_split_cfg_attr(attr.group(1)), features) is False:
                    out.append((child.start_byte, child.end_byte))
                continue
            if child.type in ("line_comment", "block_comment", "attribute_item"):
                head = child.start_byte if head is None else head
                if child.type == "attribute_item":
                    cfg = _CFG.match(text)
                    attr = _CFG_ATTR.match(text)
                    if cfg and cfg_value(cfg.group(1), features) is False:
                        drop = True
                    elif attr and cfg_value(_split_cfg_attr(attr.group(1)), features) is False:
                        out.append((child.start_byte, child.end_byte))
                continue
            if child.type in _ATTRIBUTES_INSIDE and _leading_cfg_is_false(child, features):
                drop, head = True, child.start_byte if head is None else head
            if drop and head is not None:
                after = children[position + 1] if position + 1 < len(children) else None
                out.append((head, after.end_byte if after is not None and after.type == "," else child.end_byte))
            elif child.named_child_count:
                stack.append(child)
            head, drop = None, False
    return out


_ATTRIBUTES_INSIDE = frozenset({"field_initializer", "shorthand_field_initializer", "match_arm"})
"""Nodes whose attributes are their own first children (`S { #[cfg(x)] a: 1 }`), not siblings."""


def _leading_cfg_is_false(node, features: set[str]) -> bool:
    for child in node.children:
        if child.type != "attribute_item":
            return False
        cfg = _CFG.match((child.text or b"").decode("utf-8", "replace"))
        if cfg and cfg_value(cfg.group(1), features) is False:
            return True
    return False


_DOC_ONLY = re.compile(r"^\s*(doc\s*=\s*(?:\"(?:[^\"\\\\]|\\\\.)*\"|r#*\".*\"#*))\s*$", re.S)


def applied_doc_attributes(data: bytes, features: set[str]) -> list[tuple[int, bytes]]:
    """`#[cfg_attr(PREDICATE, doc = "...")]` whose predicate holds for `features`, each as
    (start, the same bytes as `#[doc = "..."]` padded with spaces): the doc line the build sees,
    which `check` then reads as such (it reads a `cfg_attr` doc as docs.rs would, all features on)."""
    out: list[tuple[int, bytes]] = []
    stack = [RustSource(data).tree.root_node]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.type != "attribute_item":
                if child.named_child_count:
                    stack.append(child)
                continue
            original = child.text or b""
            attr = _CFG_ATTR.match(original.decode("utf-8", "replace"))
            if not attr:
                continue
            predicate = _split_cfg_attr(attr.group(1))
            doc = _DOC_ONLY.match(attr.group(1)[len(predicate) + 1 :])
            if doc and cfg_value(predicate, features) is True:
                plain = f"#[{doc.group(1)}]".encode()
                if len(plain) <= len(original) and b"\n" not in original:
                    out.append((child.start_byte, plain.ljust(len(original))))
    return out


def rewrite(data: bytes, replacements: list[tuple[int, bytes]]) -> bytes:
    """The bytes with each (start, bytes) put in place, lengths kept."""
    out = bytearray(data)
    for start, new in replacements:
        out[start : start + len(new)] = new
    return bytes(out)


def blank(data: bytes, ranges: list[tuple[int, int]]) -> bytes:
    """The bytes with each range's characters made spaces, line breaks kept."""
    out = bytearray(data)
    for start, end in ranges:
        for i in range(start, end):
            if out[i] not in b"\r\n":
                out[i] = 0x20
    return bytes(out)


def prepared_crate(source: Path, work: Path) -> Path:
    """A copy of the crate as its default features build it (see the module doc)."""
    crate = work / source.name
    if crate.exists():
        shutil.rmtree(crate)
    shutil.copytree(source, crate, ignore=shutil.ignore_patterns("target", ".cargo_vcs_info.json"))
    manifest_text = (crate / "Cargo.toml").read_text(encoding="utf-8")
    features, _ = default_features(tomllib.loads(manifest_text))
    (crate / "Cargo.toml").write_text(trimmed_manifest(manifest_text), encoding="utf-8")
    (crate / "Cargo.lock").unlink(missing_ok=True)
    for path in crate.rglob("*.rs"):
        data = path.read_bytes()
        ranges, docs = compiled_out(data, features), applied_doc_attributes(data, features)
        if ranges or docs:
            path.write_bytes(blank(rewrite(data, docs), ranges))
    return crate


# --- the two tools ------------------------------------------------------------------------


def clippy_places(crate: Path, env: dict[str, str], timeout_s: float = 1800) -> set[Place]:
    """Where `cargo clippy` (lib and bins) reports each of `CLIPPY_CODES`' lints, as codes."""
    lints = {lint: code for code, lint in CLIPPY_CODES.items()}
    flags = [arg for lint in lints for arg in ("-W", lint)]
    run = subprocess.run(
        ["cargo", "clippy", "--offline", "--quiet", "--message-format=json", "--lib", "--bins", "--", *flags],
        cwd=crate, env=env, capture_output=True, text=True, timeout=timeout_s,
    )
    places: set[Place] = set()
    for line in run.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("reason") != "compiler-message":
            continue
        diagnostic = message["message"]
        lint = (diagnostic.get("code") or {}).get("code")
        if lint not in lints:
            continue
        span = next(s for s in diagnostic["spans"] if s["is_primary"])
        file = Path(span["file_name"])
        if file.is_absolute():
            try:
                file = file.relative_to(crate)
            except ValueError:
                continue
        places.add((file.as_posix(), span["line_start"], span["column_start"], lints[lint]))
    if run.returncode != 0 and not places:
        raise SystemExit(f"error: cargo clippy failed in {crate}: {run.stderr.strip().splitlines()[-1:]}")
    return places


def check_places(crate: Path) -> tuple[set[Place], int]:
    """Where `rustdoc-gen check --select <the clippy codes>` reports, over the files rustc compiles
    for the library (and `src/main.rs`), and how many docs it checked."""
    files = sorted(CrateIndex.build(crate).files)
    if (crate / "src" / "main.rs").is_file():
        files.append((crate / "src" / "main.rs").resolve())
    report = lint_paths(files, command_line=CommandLineRules(select=tuple(CLIPPY_CODES)))
    resolved = crate.resolve()
    return {
        (Path(f.path).resolve().relative_to(resolved).as_posix(), f.line, f.column, f.code) for f in report.findings
    }, report.items


# --- the comparison -----------------------------------------------------------------------


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench clippy")
    parser.add_argument("--crates", default=DEFAULT_CRATES)
    parser.add_argument("--show", type=int, default=0, help="print up to N disagreements per code")
    options = parser.parse_args(args)
    if shutil.which("cargo") is None or subprocess.run(["cargo", "clippy", "--version"], capture_output=True).returncode:
        raise SystemExit("error: this bench runs the real clippy; install cargo-clippy")
    work = CACHE / "work"
    work.mkdir(parents=True, exist_ok=True)
    union = registry(CACHE)
    home = CACHE / "cargo-home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "{union}"\n[net]\noffline = true\n'
    )
    env = {**os.environ, "CARGO_HOME": str(home), "CARGO_TARGET_DIR": str(CACHE / "target")}
    ours: dict[str, set[Place]] = defaultdict(set)
    theirs: dict[str, set[Place]] = defaultdict(set)
    docs = 0
    names = [n.strip() for n in options.crates.split(",") if n.strip()]
    for source in debian_crates(names):
        crate = prepared_crate(source, work)
        for place in clippy_places(crate, env):
            theirs[place[3]].add((source.name, *place))
        found, checked = check_places(crate)
        docs += checked
        for place in found:
            ours[place[3]].add((source.name, *place))
    report = Report(f"check against cargo clippy {_clippy_version(env)}: precision and recall per code ({', '.join(names)})")
    notes = []
    for code, lint in CLIPPY_CODES.items():
        agree = ours[code] & theirs[code]
        only_ours, only_theirs = ours[code] - theirs[code], theirs[code] - ours[code]
        precision = len(agree) / len(ours[code]) if ours[code] else 1.0
        recall = len(agree) / len(theirs[code]) if theirs[code] else 1.0
        report.add(f"{code} precision", precision, "", target=f">= {TARGET}", higher_is_better=True)
        report.add(f"{code} recall", recall, "", target=f">= {TARGET}", higher_is_better=True)
        notes.append(f"{code} ({lint}): clippy {len(theirs[code])}, check {len(ours[code])}, both {len(agree)}")
        for name, places in (("check only", only_ours), ("clippy only", only_theirs)):
            for crate, file, line, column, _ in sorted(places)[: options.show]:
                notes.append(f"    {name}: {crate}/{file}:{line}:{column}")
    report.notes = [f"{docs} docs checked; both tools read each crate as its default features build it", *notes]
    return report


def _clippy_version(env: dict[str, str]) -> str:
    done = subprocess.run(["cargo", "clippy", "--version"], env=env, capture_output=True, text=True)
    return done.stdout.split()[1] if done.returncode == 0 and len(done.stdout.split()) > 1 else "?"
