"""`rustdoc-gen generate`'s work: find Rust files, choose the items that need a doc,
ask a generator for each, and turn the docs into line edits, a diff or written files."""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rustdoc_core.doc_edits import (
    DocEdit,
    DocEditError,
    apply_edits,
    crate_doc_edit,
    doc_edits_for,
    has_inner_doc,
)
from rustdoc_core.generators import DocGenerator, GeneratedDoc, GenerationCancelled
from rustdoc_core.prompt import prompt_context
from rustdoc_core.rust_items import RustItem, RustSource

log = logging.getLogger(__name__)

SKIPPED_DIRS = {"target", ".git", ".hg", ".svn", "node_modules"}


class InputError(ValueError):
    """A path the command cannot work on (missing, not Rust, not UTF-8): one line for the user."""


def rust_files(paths: Iterable[Path]) -> list[Path]:
    """The `.rs` files named, or found under named directories (skipping `target/` and hidden dirs)."""
    found: dict[Path, Path] = {}  # resolved -> as the user named it: a file named twice is done once
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"no such file or directory: {path}")
        if path.is_dir():
            for candidate in sorted(_walk(path)):
                found.setdefault(candidate.resolve(), candidate)
        elif path.suffix != ".rs":
            raise InputError(f"not a Rust file (expected a .rs file or a crate directory): {path}")
        else:
            found.setdefault(path.resolve(), path)
    return list(found.values())


def _walk(root: Path) -> Iterator[Path]:
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            if child.name in SKIPPED_DIRS or child.name.startswith("."):
                continue
            yield from _walk(child)
        elif child.suffix == ".rs" and child.is_file():
            yield child


def needs_doc(item: RustItem, include_private: bool = False) -> bool:
    """Whether `generate` should document `item` (ignoring whether it has a doc already).

    Trait-impl members take the trait's doc, test code and `#[doc(hidden)]` items
    are not documentation, and items the parser could not read are left alone.
    """
    if item.in_test or item.doc_hidden or item.is_trait_impl_member or item.in_error:
        return False
    return include_private or item.is_public


def is_crate_root(path: Path) -> bool:
    """`src/lib.rs`, `src/main.rs` and `src/bin/*.rs`: files whose `//!` doc is the crate's."""
    parent = path.parent
    if path.name in ("lib.rs", "main.rs") and parent.name == "src":
        return True
    return parent.name == "bin" and parent.parent.name == "src" or (path.name == "main.rs" and parent.parent.name == "bin")


def module_file_documented(path: Path, item: RustItem) -> bool:
    """`mod x;` whose file (`x.rs` or `x/mod.rs`) opens with a `//!` doc is documented there."""
    if item.kind != "mod" or item.body is not None:
        return False
    explicit = next((m.group(1) for a in item.attributes if (m := re.match(r'#\[\s*path\s*=\s*"([^"]+)"', a))), None)
    base = path.parent if path.name in ("lib.rs", "main.rs", "mod.rs") else path.parent / path.stem
    for module in item.module_path:
        base = base / module
    candidates = [path.parent / explicit] if explicit else [base / f"{item.name}.rs", base / item.name / "mod.rs"]
    for candidate in candidates:
        if candidate.is_file():
            try:
                return has_inner_doc(RustSource(candidate.read_bytes()))
            except OSError:
                return False
    return False


def crate_doc_text(path: Path) -> str:
    """A crate doc from Cargo.toml's `description` when it reads as a clean summary, else the template's."""
    from rustdoc_core.doc_checker import check_doc
    from rustdoc_core.template_engine import template_doc

    name, description = _package_info(path)
    ident = re.sub(r"\W", "_", name) or "crate"
    if not ident[0].isalpha() and ident[0] != "_":
        ident = "_" + ident
    stand_in = RustSource(f"pub mod {ident} {{}}\n").items()[0]
    if description:
        summary = " ".join(description.split())
        first = re.split(r"(?<=[.!?])\s", summary, maxsplit=1)[0].strip()
        if first and not first.endswith((".", "!", "?")):
            first += "."
        if first and not [f for f in check_doc(stand_in, first) if f.severity in ("error", "warning")]:
            return first
    return template_doc(stand_in)


def _package_info(path: Path) -> tuple[str, str | None]:
    for parent in path.resolve().parents:
        manifest = parent / "Cargo.toml"
        if manifest.is_file():
            try:
                package = tomllib.loads(manifest.read_text(encoding="utf-8")).get("package", {})
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                break
            name = str(package.get("name") or parent.name)
            if path.parent.name == "bin" or (path.name == "main.rs" and path.parent.parent.name == "bin"):
                name = path.stem if path.name != "main.rs" else path.parent.name
            description = package.get("description")
            return name, description if isinstance(description, str) else None
    return path.parent.parent.name if path.parent.name == "src" else path.stem, None


# --- `type X<T> = Result<T, E>` aliases ------------------------------------------------------------

_TYPE_ALIAS = re.compile(r"^(?:pub(?:\s*\([^)]*\))?\s+)?type\s+(\w+)\s*(?:<(.*?)>)?\s*=\s*(.+?)\s*;?\s*$", re.S)


@dataclass(frozen=True)
class ResultAlias:
    """`type MathResult<T> = Result<T, MathError>`: its generic parameter names and target."""

    params: tuple[str, ...]
    target: str


def collect_result_aliases(sources: Iterable[RustSource]) -> dict[str, ResultAlias]:
    """Type aliases (outside impls and traits) that stand for a `Result`, by name, across the given files.

    clippy sees through `fn f() -> MathResult<()>` and asks for `# Errors`; the
    item model reads the written return type only, so `generate` expands these.
    """
    from rustdoc_core.rust_items import returns_result

    aliases: dict[str, ResultAlias] = {}
    for source in sources:
        for item in source.items():
            if item.kind != "type" or item.container is not None:
                continue
            match = _TYPE_ALIAS.match(" ".join(item.source.split()))
            if not match or not returns_result(match.group(3)):
                continue
            params = tuple(
                p.split(":")[0].split("=")[0].strip()
                for p in _split_top_level(match.group(2) or "")
                if p.strip() and not p.strip().startswith("'")
            )
            aliases[match.group(1)] = ResultAlias(params, match.group(3))
    return aliases


def resolve_result_alias(item: RustItem, aliases: dict[str, ResultAlias]) -> RustItem:
    """`item` with a return type written through a Result alias expanded (`MathResult<i64>` -> `Result<i64, MathError>`)."""
    from rustdoc_core.rust_items import returns_result

    if not item.is_fn or not item.return_type or returns_result(item.return_type):
        return item
    head, _, rest = item.return_type.partition("<")
    alias = aliases.get(head.strip().split("::")[-1])
    if alias is None:
        return item
    args = [a for a in _split_top_level(rest.rsplit(">", 1)[0]) if a.strip() and not a.strip().startswith("'")] if rest else []
    target = alias.target
    for param, arg in zip(alias.params, args):
        target = re.sub(rf"\b{re.escape(param)}\b", arg.strip(), target)
    return replace(item, return_type=target)


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


@dataclass
class ItemOutcome:
    """What happened to one item (or the crate doc) of a file."""

    path: Path
    line: int  # 0-based line of the item
    label: str
    status: str  # "documented" | "skipped" | "failed"
    origin: str | None = None  # generator's origin: "template" | "model" | "repaired"
    message: str | None = None

    def where(self) -> str:
        return f"{self.path}:{self.line + 1}"


@dataclass
class FileJob:
    """One Rust file: its text, parse, and the items it wants documented."""

    path: Path
    text: str
    source: RustSource
    items: list[RustItem]
    needs_crate_doc: bool
    already_documented: int = 0
    unreadable: list[RustItem] = field(default_factory=list)
    """Items inside code the parser could not read: left alone, reported as skipped."""
    bom: str = ""
    """A byte order mark the file starts with: kept out of `text` and put back first when writing."""

    @property
    def work(self) -> int:
        return len(self.items) + len(self.unreadable) + (1 if self.needs_crate_doc else 0)


@dataclass
class FileResult:
    path: Path
    old_text: str
    new_text: str
    outcomes: list[ItemOutcome] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def read_rust_file(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start}): {path}") from err


def plan_file(path: Path, *, include_private: bool = False, overwrite: bool = False) -> FileJob:
    """Parse a file and choose its items: those needing a doc that lack one (or all, with `overwrite`)."""
    text = read_rust_file(path)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    source = RustSource(text)
    chosen: list[RustItem] = []
    documented = 0
    unreadable: list[RustItem] = []
    for item in source.items():
        if item.in_error and item.doc is None and needs_doc(replace(item, in_error=False), include_private):
            unreadable.append(item)
            continue
        if not needs_doc(item, include_private):
            continue
        has_doc = item.doc is not None or module_file_documented(path, item)
        if has_doc:
            documented += 1
            if not overwrite or item.doc is None:
                continue
        chosen.append(item)
    crate_root = is_crate_root(path)
    needs_crate = crate_root and not has_inner_doc(source)
    if crate_root and not needs_crate:
        documented += 1
    return FileJob(path, text, source, chosen, needs_crate, documented, unreadable, bom)


def document_file(
    job: FileJob,
    generator: DocGenerator,
    *,
    on_item: Callable[[ItemOutcome], None] | None = None,
    on_progress: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    result_aliases: dict[str, ResultAlias] | None = None,
) -> FileResult:
    """Generate a doc for each chosen item of `job` and apply them all to its text.

    An item whose doc fails (generator error, an edit that cannot be made) is
    reported and left as it was; the others still go in. `on_item` hears every
    outcome, `on_progress` once per unit of `job.work` as it is done.
    """
    edits: list[DocEdit] = []
    outcomes: list[ItemOutcome] = []

    def record(outcome: ItemOutcome) -> None:
        outcomes.append(outcome)
        if on_item is not None:
            on_item(outcome)

    def progress() -> None:
        if on_progress is not None:
            on_progress()

    for item in job.unreadable:
        record(ItemOutcome(job.path, item.start_line, item.label, "skipped", message="inside code with a syntax error"))
        progress()
    if job.needs_crate_doc:
        try:
            edits.append(crate_doc_edit(job.source, crate_doc_text(job.path)))
            record(ItemOutcome(job.path, 0, "crate doc (//!)", "documented", "template"))
        except DocEditError as err:
            record(ItemOutcome(job.path, 0, "crate doc (//!)", "skipped", message=str(err)))
        except Exception as err:  # the items still get their docs
            log.debug("crate doc failed", exc_info=True)
            record(ItemOutcome(job.path, 0, "crate doc (//!)", "failed", message=f"{type(err).__name__}: {err}"))
        progress()
    generated: list[tuple[RustItem, GeneratedDoc]] = []
    for item in job.items:
        try:
            if result_aliases:
                item = resolve_result_alias(item, result_aliases)
            generated.append((item, generator.generate(item, prompt_context(job.source, item), should_stop=should_stop)))
        except GenerationCancelled:
            raise
        except Exception as err:  # one bad item must not sink the file: report it and go on
            log.debug("generation failed for %s", item.label, exc_info=True)
            record(ItemOutcome(job.path, item.start_line, item.label, "failed", message=f"{type(err).__name__}: {err}"))
        progress()
    item_edits, refused = doc_edits_for(job.source, [(item, doc.text) for item, doc in generated])
    edits.extend(item_edits)
    refused_at = {item.start_byte: err for item, err in refused}
    for item, doc in generated:
        if item.start_byte in refused_at:
            record(ItemOutcome(job.path, item.start_line, item.label, "skipped", message=str(refused_at[item.start_byte])))
        else:
            record(ItemOutcome(job.path, item.start_line, item.label, "documented", doc.origin))
    return FileResult(job.path, job.bom + job.text, job.bom + apply_edits(job.text, edits), outcomes)


def unified_diff(path: Path, old: str, new: str) -> str:
    """A `git apply`-able unified diff of one file, with `\\ No newline at end of file` where due."""
    old_lines = _diff_lines(old)
    new_lines = _diff_lines(new)
    name = _diff_name(path)
    out = []
    for line in difflib.unified_diff(old_lines, new_lines, f"a/{name}", f"b/{name}"):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif not line.endswith("\n"):
            out.append(line + "\n\\ No newline at end of file\n")
        else:
            out.append(line)
    return "".join(out)


def _diff_name(path: Path) -> str:
    """The path as `git apply` wants it after `a/`: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix().lstrip("/")


def _diff_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def summarize(outcomes: Iterable[ItemOutcome]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "documented" and outcome.origin:
            counts[f"origin:{outcome.origin}"] += 1
    return counts
