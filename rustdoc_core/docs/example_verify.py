"""Examples verified by the compiler: run a doc's `# Examples` code blocks as doctests against
the user's crate before the doc is inserted, repair what is mechanical, drop what still fails.

The crate's library is built once per `ExampleVerifier` (cargo, its own target dir reused
across items and runs); each example is then one `rustdoc --test` of a one-block Markdown
file with `--extern` on that build, so only that item's example is compiled.
Mechanical repairs, tried in order until one passes: a hidden `use` of the item's path, a
hidden `fn main() -> Result<..>` wrapper for `?`, both. A doc never keeps an example that
failed: the block goes, and an `# Examples` section left empty goes with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rustdoc_core.docs.text import HEADING, CodeBlock, code_blocks, prose_lines
from rustdoc_core.rust.items import RustItem
from rustdoc_core.rust.manifest import CargoManifest, nearest_manifest

DEFAULT_TIMEOUT_S = 120.0
"""Time for one doc's examples, build excluded."""


class VerificationCancelled(Exception):
    """The caller's `cancelled()` said stop; the running compiler was killed."""


class BuildFailed(Exception):
    """The crate itself does not build: examples cannot be checked against it."""


@dataclass(frozen=True)
class ExampleResult:
    status: str  # "passed" | "repaired" | "dropped"
    repairs: tuple[str, ...] = ()
    error: str = ""  # the compiler's last words for a dropped example


@dataclass(frozen=True)
class VerifiedDoc:
    text: str
    examples: tuple[ExampleResult, ...] = ()

    @property
    def dropped(self) -> int:
        return sum(1 for e in self.examples if e.status == "dropped")

    def summary(self, label: str) -> str | None:
        """One line for the user when an example was dropped (None otherwise)."""
        if not self.dropped:
            return None
        return f"{label}: dropped {self.dropped} example(s) that do not compile: {self.examples[-1].error}"


@dataclass
class ExampleVerifier:
    """Doctests for one crate: build once, then `verify(item, doc)` per generated doc."""

    manifest: CargoManifest
    target_dir: Path | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    cancelled: Callable[[], bool] | None = None
    _rlib: Path | None = field(default=None, init=False)

    @classmethod
    def for_path(cls, path: Path, **kwargs: object) -> "ExampleVerifier | None":
        """A verifier for the crate holding `path`; None where no `Cargo.toml` with a library is found."""
        manifest = nearest_manifest(path if path.is_dir() else path.parent, package_only=True)
        if manifest is None or not (manifest.directory / "src" / "lib.rs").is_file():
            return None
        return cls(manifest, **kwargs)  # type: ignore[arg-type]

    # --- the crate's build -------------------------------------------------------------

    def build(self) -> Path:
        """The crate's rlib, built (once) with cargo."""
        if self._rlib is not None:
            return self._rlib
        cargo = _tool("cargo")
        env = dict(os.environ)
        if self.target_dir is not None:
            env["CARGO_TARGET_DIR"] = str(self.target_dir)
        run = self._run([cargo, "build", "--lib", "--message-format=json"], cwd=self.manifest.directory, env=env, timeout=600)
        lib = (self.manifest.directory / "src" / "lib.rs").resolve()
        for line in run.stdout.splitlines():
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            target = message.get("target") or {}
            if message.get("reason") == "compiler-artifact" and Path(target.get("src_path", "")).resolve() == lib:
                rlibs = [Path(f) for f in message.get("filenames", []) if f.endswith(".rlib")]
                if rlibs:
                    self._rlib = rlibs[0]
        if run.returncode != 0 or self._rlib is None:
            raise BuildFailed(_last_error(run.stdout + run.stderr) or "cargo build failed")
        return self._rlib

    # --- one doc -------------------------------------------------------------------------

    def verify(self, item: RustItem, doc: str, module_path: tuple[str, ...] = (), *, repair: bool = True) -> VerifiedDoc:
        """The doc with each tested example passing, repaired, or dropped.

        `module_path` is the item's module inside the crate (for a `use` repair that names it).
        `repair=False` runs each example as written (the eval's measure: what passes as it stands).
        """
        blocks = [
            b for b in _example_blocks(doc)
            if b.closed and b.is_tested and "compile_fail" not in b.info and b.body.strip()
        ]
        if not blocks:
            return VerifiedDoc(doc)
        rlib = self.build()
        deadline = time.monotonic() + self.timeout_s
        results: list[ExampleResult] = []
        lines = doc.split("\n")
        for block in reversed(blocks):  # bottom-up: earlier blocks keep their line numbers
            result, body = self._verify_block(block, item, module_path, rlib, deadline, repair)
            start, end = block.start_line, block.start_line + block.body.count("\n") + 2
            if result.status == "dropped":
                lines[start : end + 1] = []
            elif result.status == "repaired":
                lines[start + 1 : end] = body.split("\n")
            results.insert(0, result)
        text = "\n".join(lines)
        if any(r.status == "dropped" for r in results):
            text = _without_empty_examples(text)
        return VerifiedDoc(text, tuple(results))

    def _verify_block(
        self, block: CodeBlock, item: RustItem, module_path: tuple[str, ...], rlib: Path, deadline: float, repair: bool = True
    ) -> tuple[ExampleResult, str]:
        crate = self.manifest.crate_name or "crate"
        error = ""
        for repairs in _repair_plans(block, item) if repair else [()]:
            body = block.body
            for repair in repairs:
                body = _REPAIRS[repair](body, item, crate, module_path)
            ok, error = self._doctest(block.info, body, rlib, deadline)
            if ok:
                return ExampleResult("repaired" if repairs else "passed", repairs), body
        return ExampleResult("dropped", (), error), block.body

    def _doctest(self, info: str, body: str, rlib: Path, deadline: float) -> tuple[bool, str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, "out of time for this doc's examples"
        crate = self.manifest.crate_name or "crate"
        edition = str(self.manifest.package.get("edition", "2015"))
        with tempfile.TemporaryDirectory(prefix="rustdoc-gen-example-") as tmp:
            page = Path(tmp) / "example.md"
            page.write_text(f"```{info}\n{body}\n```\n", encoding="utf-8")
            run = self._run(
                [
                    _tool("rustdoc"), "--test", str(page), "--edition", edition,
                    "--extern", f"{crate}={rlib}", "-L", f"dependency={rlib.parent}",
                ],
                cwd=Path(tmp),
                env=dict(os.environ),
                timeout=remaining,
            )
        return run.returncode == 0, _last_error(run.stdout + "\n" + run.stderr)

    def _run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a tool, killing it when time is up or the caller cancels."""
        with subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
            end = time.monotonic() + timeout
            while True:
                try:
                    out, err = proc.communicate(timeout=0.2)
                    return subprocess.CompletedProcess(args, proc.returncode, out, err)
                except subprocess.TimeoutExpired:
                    if self.cancelled is not None and self.cancelled():
                        proc.kill()
                        proc.communicate()
                        raise VerificationCancelled() from None
                    if time.monotonic() > end:
                        proc.kill()
                        out, err = proc.communicate()
                        return subprocess.CompletedProcess(args, -9, out, (err or "") + "\nerror: timed out")


# --- repairs ---------------------------------------------------------------------------


def _item_name_for_use(item: RustItem) -> str:
    """What an example names to reach the item: the fn, or the type/trait a method belongs to."""
    c = item.container
    if c is not None and c.kind == "impl" and c.self_type:
        return c.self_type.split("<", 1)[0].split("::")[-1].strip()
    if c is not None and c.kind == "trait" and c.name:
        return c.name
    return item.name


def _add_use(body: str, item: RustItem, crate: str, module_path: tuple[str, ...]) -> str:
    name = _item_name_for_use(item)
    path = "::".join((crate, *module_path, *item.module_path, name))
    return f"# use {path};\n{body}"


def _add_root_use(body: str, item: RustItem, crate: str, module_path: tuple[str, ...]) -> str:
    return f"# use {crate}::{_item_name_for_use(item)};\n{body}"


def _wrap_main(body: str, item: RustItem, crate: str, module_path: tuple[str, ...]) -> str:
    return (
        "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n"
        f"{body}\n"
        "# Ok(())\n"
        "# }"
    )


_REPAIRS: dict[str, Callable[[str, RustItem, str, tuple[str, ...]], str]] = {
    "use": _add_use,
    "use-root": _add_root_use,
    "main-wrapper": _wrap_main,
}


def _repair_plans(block: CodeBlock, item: RustItem) -> list[tuple[str, ...]]:
    """Repair combinations to try, the one the code surely needs first (a bare name with no
    `use` of it, `?` with no `main`), then the original, then the rest: each try is a compile."""
    source = block.doctest_source()
    name = _item_name_for_use(item)
    imported = any(name in line for line in source.split("\n") if line.strip().startswith("use "))
    uses = [] if imported else ["use", "use-root"]
    wrap = ["main-wrapper"] if "?" in source and "fn main" not in source and "Ok::<" not in source else []
    bare = not imported and re.search(rf"(?<![\w:]){re.escape(name)}\b", source) is not None
    likely = tuple(([uses[0]] if bare and uses else []) + wrap)
    plans: list[tuple[str, ...]] = [likely, ()]
    plans += [(u,) for u in uses] + [(w,) for w in wrap]
    plans += [(u, w) for u in uses for w in wrap]
    return list(dict.fromkeys(plans))


# --- doc text --------------------------------------------------------------------------


def _example_blocks(doc: str) -> list[CodeBlock]:
    """Code blocks under an `# Examples` (or `# Example`) heading."""
    headings = [(n, m.group(2).strip()) for n, line in prose_lines(doc) if (m := HEADING.match(line))]
    ranges = []
    for i, (number, title) in enumerate(headings):
        if title.lower() in ("examples", "example"):
            end = headings[i + 1][0] if i + 1 < len(headings) else len(doc.split("\n"))
            ranges.append((number, end))
    return [b for b in code_blocks(doc) if any(start < b.start_line < end for start, end in ranges)]


def _without_empty_examples(doc: str) -> str:
    from rustdoc_core.docs.fixes import drop_empty_section

    text = drop_empty_section(doc, ("Examples", "Example"))
    return "\n".join(line.rstrip() for line in text.rstrip("\n").split("\n")).rstrip("\n")


def _last_error(output: str) -> str:
    """The first `error...` line of compiler output, for one line in the summary."""
    for line in output.splitlines():
        if line.startswith("error"):
            return line.strip()
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _tool(name: str) -> str:
    """`cargo`/`rustdoc` from PATH, or beside the rustup-installed cargo."""
    found = shutil.which(name) or next(
        (str(p) for p in [Path.home() / ".cargo" / "bin" / name] if p.is_file()), None
    )
    if found is None:
        raise BuildFailed(f"{name} is not installed")
    return found
