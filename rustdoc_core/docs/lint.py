"""Lint the docs a crate already has: the checker's findings placed at file, line and column,
as the crate configures its rules (`rule_config`: its lint levels and rustdoc-gen settings, the
command line's selection on top), rendered as clippy-shaped lines, JSON or SARIF 2.1.0, and the
certain fixes applied in place.

`rustdoc-gen check` is a thin command over this; so are the editor's diagnostics.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rustdoc_core.atomic import write_text_atomic
from rustdoc_core.docs.checker import Finding, check_doc, link_findings
from rustdoc_core.docs.edits import DocEdit, apply_edits, line_ending
from rustdoc_core.docs.findings import CERTAIN_FIXES, CHECK_CODES, FINDINGS, TOOL
from rustdoc_core.docs.fixes import DocUpdate, rename_in_line, update_doc
from rustdoc_core.docs.four_slashes import as_doc_line, four_slash_comments, four_slash_rows
from rustdoc_core.docs.rule_config import CommandLineRules, FileRules, file_rules
from rustdoc_core.docs.section_rules import SEVERITIES
from rustdoc_core.rust.crate_index import CrateIndexes
from rustdoc_core.rust.files import InputError, read_rust_file, rust_files
from rustdoc_core.rust.inner_docs import inner_doc, joined_doc
from rustdoc_core.rust.items import DocComment, RustItem, RustSource
from rustdoc_core.rust.macros import macro_items
from rustdoc_core.rust.manifest import nearest_manifest
from rustdoc_core.rust.result_aliases import resolve_result_alias

TOOL_NAME = TOOL
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def help_text(code: str) -> str:
    """What to do about a finding code; says when `--fix` can do it."""
    return FINDINGS[code].full_help


@dataclass(frozen=True)
class LintFinding:
    """A checker finding placed in a file (1-based line and column, as compilers print them)."""

    path: str
    line: int
    column: int
    code: str
    severity: str
    message: str
    item: str
    help: str

    @property
    def fixable(self) -> bool:
        return self.code in CERTAIN_FIXES


@dataclass
class LintReport:
    findings: list[LintFinding] = field(default_factory=list)
    files: int = 0
    items: int = 0
    fixed: int = 0  # findings fixed in place by `fix`
    skipped: list[str] = field(default_factory=list)  # files that could not be read, and why

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def at_or_above(self, severity: str) -> list[LintFinding]:
        worst = SEVERITIES.index(severity)
        return [f for f in self.findings if SEVERITIES.index(f.severity) <= worst]


def crate_link_findings(indexes: CrateIndexes, path: Path, doc: str) -> list[Finding]:
    """Intra-doc links of a doc in file `path` that resolve to nothing in the crate, std or a dependency."""
    index = indexes.index_for(path)
    if index is None or index.resolves(path, "crate") is None:
        return []
    return link_findings(doc, lambda link: bool(index.resolves(path, link)))


# --- linting -------------------------------------------------------------------------


def lint_paths(
    paths: Iterable[Path],
    fix: bool = False,
    doctests: bool = False,
    target_dir: Path | None = None,
    command_line: CommandLineRules | None = None,
) -> LintReport:
    """Lint every documented item of the `.rs` files under `paths`; with `fix`, apply the certain
    fixes to `///` docs first (atomically, file by file) and report what is left; with
    `doctests`, also run `cargo test --doc` once per crate and report each failing example.

    `command_line` is the command line's choice of rules, on top of each crate's settings. Raises
    `RuleConfigError` for settings that cannot be used."""
    report = LintReport()
    indexes = CrateIndexes()
    files = rust_files(paths)
    for path in files:
        try:
            text = read_rust_file(path)
        except InputError as err:
            report.skipped.append(str(err))  # one unreadable file does not stop a crate's check
            continue
        if fix:
            fixed_text, count = fix_source(path, text, indexes, command_line)
            if count:
                write_text_atomic(path, fixed_text)
                report.fixed += count
                text = fixed_text
        report.files += 1
        found, items = lint_source(path, text, indexes, command_line)
        report.findings.extend(found)
        report.items += items
    if doctests:
        for finding in doctest_findings(files, target_dir):
            severity = file_rules(indexes, Path(finding.path), RustSource(""), command_line).severity(finding.code)
            if severity is not None:
                report.findings.append(replace(finding, severity=severity))
        report.findings.sort(key=lambda f: (f.path, f.line, f.column))
    return report


def _documented(source: RustSource) -> list[RustItem]:
    return [i for i in source.items() if i.doc is not None and not i.in_error]


def module_docs(path: Path, source: RustSource, indexes: CrateIndexes) -> list[tuple[RustItem, bool | None]]:
    """The inner docs of a file as items to check, with whether each is exported: the crate's
    (`//!` atop its root) or the module's (atop its own file), and each inline `mod x { ... }`
    whose body opens with one, its outer doc and inner doc read as one, as rustdoc joins them."""
    out: list[tuple[RustItem, bool | None]] = []
    doc = inner_doc(source)
    if doc is not None:
        module = indexes.module_of(path)
        root = module == () or (module is None and path.name in ("lib.rs", "main.rs"))
        name = (module[-1] if module else None) or (path.parent.name if path.name == "mod.rs" else path.stem)
        first = doc.fragments[0]
        item = RustItem(
            kind="crate" if root else "mod", name=name, signature="", source="", start_byte=first.start_byte,
            end_byte=doc.fragments[-1].end_byte, start_line=first.start_line, end_line=doc.end_line, doc_line=first.start_line,
            head_byte=first.start_byte, indent="", visibility="pub", doc=doc,
        )
        out.append((item, True if root else indexes.module_exported(path)))
    for item in source.items():
        if item.kind != "mod" or item.body is None or item.in_error:
            continue
        node = source.tree.root_node.descendant_for_byte_range(item.start_byte, item.start_byte)
        while node is not None and node.type != "mod_item":
            node = node.parent
        body = node.child_by_field_name("body") if node is not None else None
        inner = inner_doc(source, body) if body is not None else None
        if inner is not None:
            fragments = (item.doc.fragments if item.doc is not None else ()) + inner.fragments
            out.append((replace(item, doc=joined_doc(list(fragments))), indexes.exported(path, item)))
    return out


def lint_source(
    path: Path,
    text: str,
    indexes: CrateIndexes | None = None,
    command_line: CommandLineRules | None = None,
    *,
    rules: FileRules | None = None,
    source: RustSource | None = None,
) -> tuple[list[LintFinding], int]:
    """Findings on the docs of one file's items, in file order, at the severity the crate's rules
    give them there (those it turns off left out), and how many docs were checked.

    `rules`: the file's rules, when the caller has them (else read from the crate); `source`:
    a parse of `text`, when the caller has one."""
    indexes = indexes or CrateIndexes()
    source = source if source is not None else RustSource(text)
    rules = rules if rules is not None else file_rules(indexes, path, source, command_line)
    lines = text.split("\n")
    out: list[LintFinding] = []
    modules = module_docs(path, source, indexes)
    joined = {item.start_byte for item, _ in modules}  # inline modules whose inner doc joins their outer one
    # Fns a local `macro_rules!` defines are linted at the macro body's lines, as clippy does.
    items = [(i, indexes.exported(path, i)) for i in _documented(source) if i.start_byte not in joined or i.kind != "mod"]
    items += [(i, indexes.exported(path, i)) for i in macro_items(source) if i.doc is not None] + modules
    aliases = indexes.result_aliases(path, source)
    slashes = {f.item_byte: f for f in four_slash_comments(source)}
    for item, exported in items:
        assert item.doc is not None
        item = resolve_result_alias(item, aliases)  # noqa: PLW2901 - `Fallible<T>` is a `Result`, as clippy sees it
        line_map = doc_line_map(item.doc)
        findings = check_doc(item, item.doc.text, exported)
        findings += crate_link_findings(indexes, path, item.doc.text)
        for finding in findings:
            severity = rules.severity(finding.code, item.start_byte)
            if severity is None:
                continue
            message = finding.message
            if finding.code == "summary-not-sentence" and item.start_byte in slashes:
                message += f" (a `////` line, a plain comment, is left out of it: line {slashes[item.start_byte].rows[0] + 1})"
            line, column = _place(item, finding, line_map, lines)
            out.append(LintFinding(str(path), line, column, finding.code, severity, message, item.label, help_text(finding.code)))
    for found in slashes.values():
        severity = rules.severity("four-slashes", found.item_byte)
        if severity is not None:
            out.append(LintFinding(
                str(path), found.line + 1, found.col + 1, "four-slashes", severity, found.message, found.label,
                help_text("four-slashes"),
            ))
    out.sort(key=lambda f: (f.line, f.column))
    return out, len(items)


def doc_line_map(doc: DocComment) -> list[int]:
    """The file line (0-based) of each line of the doc text, as `_doc_text` joins fragments."""
    rows: list[tuple[int, bool]] = []  # (file line, blank)
    for f in doc.fragments:
        if f.style == "line":
            rows.append((f.start_line, not f.text.strip()))
        elif f.style == "block":
            body = f.text.split("\n")
            while body and not body[0].strip().strip("*").strip():
                body.pop(0)
            first = f.start_line + (f.text.split("\n").index(body[0]) if body else 0)
            rows.extend((first + k, not line.strip()) for k, line in enumerate(body))
        else:
            rows.extend((f.start_line, not line.strip()) for line in f.text.split("\n"))
    while rows and rows[0][1]:
        rows.pop(0)
    return [row for row, _ in rows]


_AT_DOC_START = {"empty-doc", "long-first-paragraph"}
"""Findings about the doc as a whole, placed where clippy puts them: the doc comment's start."""


def _place(item: RustItem, finding: Finding, line_map: list[int], lines: list[str]) -> tuple[int, int]:
    """1-based (line, column) of a finding: its doc line and word, or the item's own line."""
    if finding.code in _AT_DOC_START and item.doc is not None:
        row = line_map[finding.line] if finding.line is not None and finding.line < len(line_map) else item.doc.start_line
        text = lines[row] if row < len(lines) else ""
        return row + 1, len(text) - len(text.lstrip()) + 1
    if finding.line is None or finding.line >= len(line_map):
        return item.start_line + 1, len(item.indent) + 1
    row = line_map[finding.line]
    text = lines[row] if row < len(lines) else ""
    found = re.search(r"//[/!]", text)
    marker = found.start() + 3 if found else 0  # a `/** */` block's line or a `#[doc]`: the whole line
    start = marker if found else len(text) - len(text.lstrip())
    while start < len(text) and text[start] == " ":
        start += 1
    if finding.col is not None and item.doc is not None:
        # The doc text is unindented by the common indent; the word sits that far in.
        doc_line = item.doc.text.split("\n")[finding.line]
        offset = text[marker:].rstrip("\r").find(doc_line) if doc_line else -1
        if offset != -1:
            return row + 1, marker + offset + finding.col + 1
    return row + 1, start + 1


# --- doctests --------------------------------------------------------------------------

# The name is empty for a crate's own doc (`//!`, `#![doc = include_str!("../README.md")]`): `src/lib.rs - (line 3)`.
_DOCTEST_NAME = re.compile(r"^\s*(?P<file>\S.*?\.rs) - (?:(?P<name>.+?) )?\(line (?P<line>\d+)\)(?: - compile fail)?$")
_DOCTEST_OUTPUT = re.compile(r"^---- (?P<file>\S.*?\.rs) - (?:(?P<name>.+?) )?\(line (?P<line>\d+)\) stdout ----$")


def doctest_findings(files: Sequence[Path], target_dir: Path | None = None, timeout_s: float = 1800) -> list[LintFinding]:
    """`failing-doctest` for each example `cargo test --doc` fails, at its fence in `files`.

    One run per crate holding any of the files; crates without a library are passed over.
    """
    wanted = {p.resolve(): p for p in files}
    crates = {m.directory for p in files if (m := nearest_manifest(p.parent, package_only=True)) is not None}
    out: list[LintFinding] = []
    for crate in sorted(crates):
        if not (crate / "src" / "lib.rs").is_file():
            continue
        for rel, line, name, error in _failing_doctests(crate, target_dir, timeout_s):
            path = wanted.get((crate / rel).resolve())
            if path is None:
                continue
            text = path.read_text(encoding="utf-8", errors="replace").split("\n")
            column = text[line - 1].find("```") + 1 if 0 < line <= len(text) else 1
            out.append(LintFinding(
                str(path), line, max(column, 1), "failing-doctest", FINDINGS["failing-doctest"].severity,
                f"the example of `{name}` fails `cargo test --doc`: {error}", name, help_text("failing-doctest"),
            ))
    return out


def _failing_doctests(crate: Path, target_dir: Path | None, timeout_s: float) -> list[tuple[str, int, str, str]]:
    """(file relative to the crate, fence line, doctest name, first error line) of each failure."""
    from rustdoc_core.docs.example_verify import _tool

    env = dict(os.environ)
    if target_dir is not None:
        env["CARGO_TARGET_DIR"] = str(target_dir)
    run = subprocess.run(
        [_tool("cargo"), "test", "--doc", "--no-fail-fast", "--", "--color", "never"],
        cwd=crate, env=env, capture_output=True, text=True, timeout=timeout_s,
    )
    lines = run.stdout.splitlines()
    errors: dict[tuple[str, int], str] = {}
    current: tuple[str, int] | None = None
    after_panic = False
    for line in lines:
        header = _DOCTEST_OUTPUT.match(line)
        if header:
            current, after_panic = (header.group("file"), int(header.group("line"))), False
            continue
        if current is None or current in errors:
            continue
        if after_panic and line.strip():
            errors[current] = f"panicked: {line.strip()}"
        elif line.startswith("error"):
            errors[current] = line.strip()
        after_panic = "panicked at" in line
    failures = []
    in_list = False
    for line in lines:
        if line.strip() == "failures:":
            in_list = True
            continue
        if in_list:
            match = _DOCTEST_NAME.match(line)
            if match:
                key = (match.group("file"), int(match.group("line")))
                failures.append((key[0], key[1], match.group("name") or "the crate doc", errors.get(key, "it fails")))
            elif line.strip() and not line.startswith(" "):
                in_list = False
    if run.returncode != 0 and not failures:
        raise DoctestRunFailed(_cargo_failure(run.stderr))
    return failures


def _cargo_failure(stderr: str) -> str:
    """Why `cargo test --doc` failed, in its own words: its first error, not the closing
    "error: doctest failed, to rerun pass `--doc`" that ends every failed run."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    closing = ("to rerun pass", "target failed", "targets failed")  # cargo's summary: `error: 1 target failed:` / `--doc`
    errors = [line for line in lines if line.startswith("error") and not any(c in line for c in closing)]
    if errors:
        return errors[0]
    return "examples failed where they cannot be placed in a .rs file; `cargo test --doc` shows them"


class DoctestRunFailed(Exception):
    """`cargo test --doc` failed without naming a failing doctest (the crate does not build)."""


# --- fixing ----------------------------------------------------------------------------


def fix_source(
    path: Path, text: str, indexes: CrateIndexes | None = None, command_line: CommandLineRules | None = None
) -> tuple[str, int]:
    """The file with the certain fixes applied, and how many findings they fix: `////` lines made
    `///`, then each `///` doc's stale sections and `# Arguments` entries (`update_doc`). A fix
    whose code the crate's rules turn off on the item is not applied: a section whose lint the
    crate allows is never added.

    Only whole lines are added, removed or (`////`) rewritten; every other line keeps its bytes.
    Docs written as `/** */` or `#[doc = ...]` are left alone.
    """
    indexes = indexes or CrateIndexes()
    source = RustSource(text)
    rules = file_rules(indexes, path, source, command_line)
    count = 0
    slashes = [f for f in four_slash_comments(source) if rules.severity("four-slashes", f.item_byte) is not None]
    if slashes:
        lines = text.split("\n")
        for found in slashes:
            for row in found.rows:
                lines[row] = as_doc_line(lines[row])
        text = "\n".join(lines)
        count += len(slashes)
        source = RustSource(text)
        rules = file_rules(indexes, path, source, command_line)
    lines = text.split("\n")
    newline = line_ending(text)
    edits: list[DocEdit] = []
    aliases = indexes.result_aliases(path, source)
    for item in _documented(source):
        found_edit = update_edit(
            resolve_result_alias(item, aliases), lines, newline, indexes.exported(path, item), off=rules.off_codes(item)
        )
        if found_edit is not None:
            edits.append(found_edit[0])
            count += len(found_edit[1].codes)
    if not edits:
        return text, count
    return apply_edits(text, edits), count


def item_update_edit(
    path: Path, source: RustSource, item: RustItem, indexes: CrateIndexes, rules: FileRules | None = None
) -> DocEdit | None:
    """The one whole-line edit of file `path` (parsed as `source`) that makes `item`'s doc right
    for certain, as `check --fix` would: its `////` lines made `///`, then its stale sections and
    `# Arguments` entries updated (`update_edit`), as far as the crate's rules (`rules`, else
    read from the crate) want them. None when there is nothing to fix."""
    text = source.text
    lines = text.split("\n")
    rules = rules if rules is not None else file_rules(indexes, path, source)
    rows: list[int] = []
    if item.container is None and rules.severity("four-slashes", item.start_byte) is not None:
        rows = sorted(four_slash_rows(lines, item.start_line))
    aliases = indexes.result_aliases(path, source)
    exported = indexes.exported(path, item)
    off = rules.off_codes(item)
    if rows:
        lines = list(lines)
        for row in rows:
            lines[row] = as_doc_line(lines[row])
        fixed = RustSource("\n".join(lines))  # the `////` lines are the doc's now
        item = next((i for i in fixed.items() if i.start_line == item.start_line and i.name == item.name), item)
    found = update_edit(resolve_result_alias(item, aliases), lines, line_ending(text), exported, off=off)
    if not rows:
        return found[0] if found is not None else None
    start, end = rows[0], rows[-1] + 1
    if found is not None:
        start, end = min(start, found[0].start_line), max(end, found[0].end_line)

    def kept(first: int, last: int) -> str:
        return "".join(line + "\n" for line in lines[first:last])

    if found is None:
        return DocEdit(start, end, kept(start, end))
    edit = found[0]
    return DocEdit(start, end, kept(start, edit.start_line) + edit.new_text + kept(edit.end_line, end))


def update_edit(
    item: RustItem,
    lines: list[str],
    newline: str,
    exported: bool | None = None,
    sections: Mapping[str, str] | None = None,
    off: Collection[str] = frozenset(),
) -> tuple[DocEdit, DocUpdate] | None:
    """The whole-line edit of the file (`lines`: its text split at `\\n`) that applies
    `update_doc`'s certain fixes to `item`'s `///` doc, and the update; None when nothing in
    the doc is certainly stale, or the doc is not written with `///`.

    The edit spans the doc's lines; the lines it keeps are copied byte for byte. `sections`:
    bodies for missing sections by name (a model's), instead of the template's. `off`: codes
    not to fix (`FileRules.off_codes`: what the crate's rules turn off on the item)."""
    if item.doc is None or any(f.style != "line" for f in item.doc.fragments):
        return None
    update = update_doc(item, item.doc.text, exported, sections, off=off)
    if not update:
        return None
    line_map = doc_line_map(item.doc)
    first = lines[line_map[0]]
    prefix = first[: first.find("///") + 3]
    cr = "\r" if newline == "\r\n" else ""
    new = [f"{prefix} {line}{cr}" if line else f"{prefix}{cr}" for line in update.insert]
    at = line_map[update.insert_before] if update.insert_before < len(line_map) else line_map[-1] + 1
    renamed: dict[int, str] = {}
    for number, old, name in update.renames:
        row = line_map[number]
        marker = lines[row].find("///") + 3
        renamed[row] = lines[row][:marker] + rename_in_line(lines[row][marker:], old, name)
    deleted = {line_map[n] for n in update.delete}
    start, end = line_map[0], max(line_map[-1] + 1, at)
    out: list[str] = []
    for row in range(start, end):
        if row == at:
            out.extend(new)
        if row not in deleted:
            out.append(renamed.get(row, lines[row]))
    if at == end:
        out.extend(new)
    return DocEdit(start, end, "".join(line + "\n" for line in out)), update


# --- rendering ---------------------------------------------------------------------------


def render_human(report: LintReport) -> str:
    """clippy-shaped lines: `path:line:col: code: message`, then `  = help: ...`, then a summary."""
    out = []
    for f in report.findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.severity}[{f.code}]: {f.message}")
        if f.help:
            out.append(f"  = help: {f.help}")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def summary_line(report: LintReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}{'s' if report.count(s) != 1 else ''}" for s in SEVERITIES)
    fixable = sum(1 for f in report.findings if f.fixable)
    line = f"checked {report.items} docs in {report.files} files: {counts}"
    if report.fixed:
        line += f"; fixed {report.fixed}"
    elif fixable:
        line += f" ({fixable} fixable with --fix)"
    return line


def render_json(report: LintReport) -> str:
    data = {
        "tool": TOOL_NAME,
        "findings": [{**asdict(f), "fixable": f.fixable} for f in report.findings],
        "summary": {
            "files": report.files,
            "items": report.items,
            "fixed": report.fixed,
            "skipped": report.skipped,
            **{s: report.count(s) for s in SEVERITIES},
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: LintReport, version: str, base: Path | None = None) -> str:
    """A SARIF 2.1.0 log (one run) that GitHub code scanning accepts; paths relative to `base`."""
    codes = sorted(CHECK_CODES)
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": FINDINGS[code].help},
            "help": {"text": help_text(code)},
            "defaultConfiguration": {"level": _SARIF_LEVEL[FINDINGS[code].severity], "enabled": FINDINGS[code].default_on},
            "properties": {"source": FINDINGS[code].source},
        }
        for code in codes
    ]
    results = []
    for f in report.findings:
        results.append({
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message} ({f.help})" if f.help else f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(Path(f.path), base)},
                    "region": {"startLine": f.line, "startColumn": f.column},
                },
                "logicalLocations": [{"name": f.item}],
            }],
        })
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": version, "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _uri(path: Path, base: Path | None) -> str:
    resolved = path.resolve()
    if base is not None:
        try:
            return resolved.relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix() if not path.is_absolute() else resolved.as_uri()


def render(report: LintReport, fmt: str, version: str, base: Path | None = None) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, version, base)
    return render_human(report)


FORMATS: Sequence[str] = ("human", "json", "sarif")
