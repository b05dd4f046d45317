"""Where a corpus comes from: local checkouts and git URLs (cloned shallow into a
cache), each with its name, commit and license."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rustdoc_console import UserError

log = logging.getLogger(__name__)

_URL = re.compile(r"^(https?|git|ssh|file)://|^[\w.-]+@[\w.-]+:")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class RepoSource:
    """One repository to mine: a local directory plus its provenance."""

    name: str
    root: Path
    url: str  # the git URL, or the local path as given (resolved)
    commit: str | None
    license: str | None


def is_git_url(text: str) -> bool:
    return bool(_URL.match(text))


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/rustdoc-gen/repos`, or `~/.cache/rustdoc-gen/repos`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rustdoc-gen" / "repos"


def repo_name_of(url_or_path: str) -> str:
    tail = url_or_path.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or "repo"


def split_rev(spec: str) -> tuple[str, str | None]:
    """`URL#REV` -> (URL, REV); a plain URL -> (URL, None)."""
    if "#" in spec:
        url, rev = spec.rsplit("#", 1)
        return url, rev or None
    return spec, None


def local_source(path: Path, name: str | None = None) -> RepoSource:
    """A local checkout as a source (commit from git when the path is a repo's root)."""
    if not path.exists():
        raise UserError(f"no such file or directory: {path}")
    if not path.is_dir():
        raise UserError(f"not a directory: {path} (give a repository or crate directory)")
    root = path.resolve()
    return RepoSource(name or root.name, root, str(root), _head_commit(root), detect_license(root))


def git_source(url: str, rev: str | None, cache: Path, name: str | None = None) -> RepoSource:
    """Clone `url` shallow at `rev` (default branch if None) into `cache`, reusing a pinned clone."""
    root = clone_shallow(url, rev, cache)
    return RepoSource(name or repo_name_of(url), root, url, _head_commit(root), detect_license(root))


def clone_shallow(url: str, rev: str | None, cache: Path) -> Path:
    """A checkout of `url` at `rev` under `cache`, made atomically.

    A clone pinned to a full commit hash is reused as is; a branch, tag or the
    default branch is fetched again, since it may have moved.
    """
    key = hashlib.sha256(f"{url}#{rev or ''}".encode()).hexdigest()[:12]
    dest = cache / f"{repo_name_of(url)}-{key}"
    if rev and _FULL_SHA.match(rev) and _head_commit(dest) == rev:
        return dest
    log.debug("cloning %s%s into %s", url, f" at {rev}" if rev else "", dest)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=cache))
    except OSError as exc:
        raise UserError(f"cannot use the clone cache {cache}: {exc.strerror or exc}") from None
    with _status(f"cloning {url}" + (f" at {rev}" if rev else "")):
        return _clone_into(work, dest, url, rev)


def _status(message: str):
    """A transient spinner on a terminal (nothing in logs or pipes, nothing under --quiet)."""
    from contextlib import nullcontext

    from rustdoc_console import is_quiet, stderr

    return nullcontext() if is_quiet() else stderr.status(message)


def _clone_into(work: Path, dest: Path, url: str, rev: str | None) -> Path:
    try:
        _git(["init", "-q", str(work)], url)
        target = rev or "HEAD"
        fetched = _git(["-C", str(work), "fetch", "-q", "--depth", "1", url, target], url, check=False)
        if fetched.returncode != 0:
            if not rev:
                raise UserError(f"cannot clone {url}: {_last_line(fetched.stderr)}")
            # Servers that refuse to serve a bare commit hash: fetch everything, then check out.
            full = _git(["-C", str(work), "fetch", "-q", url, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], url, check=False)
            if full.returncode != 0:
                raise UserError(f"cannot clone {url}: {_last_line(full.stderr)}")
            target = rev if _git(["-C", str(work), "rev-parse", "-q", "--verify", f"{rev}^{{commit}}"], url, check=False).returncode == 0 else f"origin/{rev}"
        else:
            target = "FETCH_HEAD"
        checkout = _git(["-C", str(work), "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", target], url, check=False)
        if checkout.returncode != 0:
            raise UserError(f"cannot check out {rev or 'HEAD'} of {url}: {_last_line(checkout.stderr)}")
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        try:
            os.replace(work, dest)
        except OSError:
            # Another run put its clone there first; use it if it is at the wanted commit.
            wanted = _head_commit(work)
            if wanted is None or _head_commit(dest) != wanted:
                raise UserError(f"cannot place the clone of {url} in {dest}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _git(args: list[str], url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, env=env, timeout=1800)
    except FileNotFoundError:
        raise UserError("git is not installed; it is needed to mine git URLs") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"cannot clone {url}: git timed out") from None
    if check and done.returncode != 0:
        raise UserError(f"cannot clone {url}: {_last_line(done.stderr)}")
    return done


def _last_line(text: str) -> str:
    """git's own reason: its first `fatal:`/`error:` line, else its last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else "git failed"


def _head_commit(root: Path) -> str | None:
    """HEAD's commit when `root` is the top of a git work tree, else None."""
    if not (root / ".git").exists():
        return None
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and _FULL_SHA.match(commit) else None


# --- licenses -----------------------------------------------------------------------

_LICENSE_FILES = re.compile(r"^(LICEN[CS]E|COPYING|UNLICENSE)([-_.].*)?$", re.I)
_LICENSE_TEXTS = (
    ("Apache-2.0", re.compile(r"Apache License,?\s+Version 2\.0", re.I)),
    ("MIT", re.compile(r"Permission is hereby granted, free of charge", re.I)),
    ("Unlicense", re.compile(r"This is free and unencumbered software released into the public domain", re.I)),
    ("BSD-3-Clause", re.compile(r"Neither the name of .{0,200} may be used to endorse", re.I | re.S)),
    ("GPL-3.0", re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 3", re.I)),
    ("GPL-2.0", re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 2", re.I)),
    ("MPL-2.0", re.compile(r"Mozilla Public License,? (Version|v\.?) ?2\.0", re.I)),
)


def detect_license(root: Path) -> str | None:
    """SPDX expression from Cargo.toml's `license` (workspace-aware), else from LICENSE files."""
    from_manifest = _manifest_license(root)
    if from_manifest:
        return from_manifest
    found: list[str] = []
    try:
        names = sorted(p.name for p in root.iterdir() if p.is_file() and _LICENSE_FILES.match(p.name))
    except OSError:
        return None
    for name in names:
        try:
            text = (root / name).read_text("utf-8", errors="replace")[:20000]
        except OSError:
            continue
        for spdx, pattern in _LICENSE_TEXTS:
            if pattern.search(text) and spdx not in found:
                found.append(spdx)
                break
    return " OR ".join(found) if found else None


def _manifest_license(root: Path) -> str | None:
    try:
        manifest = tomllib.loads((root / "Cargo.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    package = manifest.get("package", {})
    license_ = package.get("license")
    if isinstance(license_, dict) and license_.get("workspace"):
        license_ = manifest.get("workspace", {}).get("package", {}).get("license")
    if not isinstance(license_, str) or not license_.strip():
        license_ = manifest.get("workspace", {}).get("package", {}).get("license")
    if not isinstance(license_, str) or not license_.strip():
        return None
    # The old `MIT/Apache-2.0` form means `MIT OR Apache-2.0`.
    return " OR ".join(part.strip() for part in license_.split("/")) if "/" in license_ else license_.strip()
