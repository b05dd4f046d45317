"""The doc checker: findings on an item's doc following RFC 1574's headings, the
Rust API Guidelines and clippy's doc lints.

It scores the eval, filters training data, and decides in the server whether a
model's doc can reach the editor (`severity == "error"` blocks it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rustdoc_core.docs.findings import CHECK_CODES, FINDINGS, Finding, finding
from rustdoc_core.docs.markdown import CODE, INDENTED_CODE, LINK_DEF, LIST, TEXT_KINDS, Block, MarkdownDoc, parse_markdown
from rustdoc_core.docs.section_rules import ARGUMENT_SECTIONS, SECTION_RULES, SectionRule
from rustdoc_core.docs.text import HEADING, CodeBlock
from rustdoc_core.rust.items import RustItem
from rustdoc_core.rust.items import parser as _parser
from rustdoc_core.rust.lint_levels import SILENT, attributes_settings, level_of

__all__ = ["Finding"]  # the checker's findings are `findings.Finding`s

SEVERITY: dict[str, str] = {code: FINDINGS[code].severity for code in CHECK_CODES}
"""Every code the checker (and `check --doctests`) reports, and its default severity (from `findings.FINDINGS`)."""

CODES = CHECK_CODES

MAX_FIRST_PARAGRAPH = 200
"""clippy::too_long_first_doc_paragraph's limit, in characters of the raw paragraph."""

# clippy's default `doc-valid-idents`: words doc_markdown accepts without backticks.
VALID_IDENTS = frozenset("""
KiB MiB GiB TiB PiB EiB AccessKit CoAP CoreFoundation CoreGraphics CoreText DevOps Direct2D Direct3D
DirectWrite DirectX ECMAScript GPLv2 GPLv3 GitHub GitLab IPv4 IPv6 InfiniBand RoCE ClojureScript
CoffeeScript JavaScript PostScript PureScript TypeScript PowerPC PowerShell WebAssembly NaN NaNs
OAuth GraphQL OCaml OpenAL OpenDNS OpenGL OpenMP OpenSSH OpenSSL OpenStreetMap OpenTelemetry OpenType
WebGL WebGL2 WebGPU WebRTC WebSocket WebTransport WebP OpenExr YCbCr sRGB TensorFlow TrueType iOS macOS
FreeBSD NetBSD OpenBSD NixOS TeX LaTeX BibTeX BibLaTeX MinGW CamelCase
""".split())

# First words of an imperative summary ("Return the ..."): rustdoc summaries are
# third person ("Returns the ...").
IMPERATIVE_VERBS = frozenset("""
Add Advance Allocate Append Apply Attempt Build Calculate Call Check Clear Clone Close Collect Compare
Compute Construct Consume Convert Copy Count Create Decode Define Delete Deserialize Determine Disable
Display Drop Emit Enable Encode Ensure Escape Evaluate Execute Expand Extend Extract Fetch Filter Find
Flush Format Generate Get Handle Initialize Initialise Insert Invoke Iterate Join Load Lock Make Merge
Normalize Open Parse Perform Pop Print Process Provide Push Read Receive Register Remove Render Replace
Reserve Reset Resolve Retrieve Return Run Save Search Send Serialize Set Shrink Skip Sort Spawn Split
Start Stop Store Take Test Truncate Try Unlock Unwrap Update Validate Verify Visit Wait Walk Wrap Write
Yield
""".split())

_ARG_ENTRY = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+`([a-z_][a-z0-9_]*)`")
_PARAM_PHRASES = (
    re.compile(r"\b(?:the|its|this|a)\s+`([a-z_][a-z0-9_]*)`\s+(?:parameter|argument)\b", re.I),
    re.compile(r"\b(?:parameter|argument)\s+`([a-z_][a-z0-9_]*)`", re.I),
)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GENERIC_IN_PROSE = re.compile(r"(?<=[A-Za-z0-9_])<[A-Za-z&'(\[][^<>\n]*>")


_finding = finding


# --- what an item's doc must contain ---------------------------------------------------


def _is_api(item: RustItem, exported: bool | None = None) -> bool:
    """Public API as clippy's section lints see it: exported (`exported`, when a crate index
    knows it; else `pub` as far as the file shows), not test code, not a trait impl member,
    not `#[doc(hidden)]` nor under a hidden module, impl or trait."""
    public = item.is_public if exported is None else exported
    return (
        public
        and not item.in_test
        and not item.is_trait_impl_member
        and not item.doc_hidden
        and not any(c.doc_hidden for c in item.containers)
    )


def _lint_allowed(item: RustItem, rule: SectionRule) -> bool:
    """`#[allow(clippy::x)]` / `#[expect(...)]` on the item itself, for the lint or a group holding it
    (a crate's own levels are `rule_config`'s: this is what the item alone says)."""
    return level_of(attributes_settings(item.attributes), (rule.clippy_lint, *rule.clippy_groups)) in SILENT


def required_rules(item: RustItem, exported: bool | None = None) -> list[SectionRule]:
    """The section rules that apply to `item`, in RFC 1574 order."""
    if not _is_api(item, exported):
        return []
    return [r for r in SECTION_RULES if r.applies(item) and not _lint_allowed(item, r)]


def required_sections(item: RustItem, exported: bool | None = None) -> set[str]:
    """Sections (`Errors`, `Panics`, `Safety`) the item's doc must have, as clippy's
    missing_errors_doc / missing_panics_doc / missing_safety_doc decide (see `section_rules`)."""
    return {r.name for r in required_rules(item, exported)}


# --- the checker -----------------------------------------------------------------------


def check_doc(item: RustItem, doc: str, exported: bool | None = None) -> list[Finding]:
    """Findings on `doc` (doc text without `///` markers) as the doc of `item`, in a stable order.

    `exported` is whether the crate exports the item (from a crate index); None trusts `pub`.
    Every code is reported; which of them a crate wants is `rule_config`'s business.
    """
    if not doc.strip():
        if item.doc_hidden:  # clippy's doc lints pass `#[doc(hidden)]` items over
            return []
        return [_finding("empty-doc", f"the doc of {item.label} is empty")]
    md = parse_markdown(doc)
    findings: list[Finding] = []
    headings = [block.title for block in md.headings()]
    for rule in required_rules(item, exported):
        if not rule.present(headings):
            findings.append(_finding(rule.code, f"{item.label} needs a `# {rule.name}` section: {rule.why}"))
    for rule in SECTION_RULES:
        if rule.needless_code and rule.needless(item) and rule.present(headings):
            line = next((b.start for b in md.headings() if b.title in rule.headings), None)
            findings.append(_finding(
                rule.needless_code, f"{item.label}: the `# {rule.name}` section is needless: {rule.needless_why}", line
            ))
    findings.extend(_summary_findings(item, md, exported))
    if not item.doc_hidden:  # clippy's doc lints pass `#[doc(hidden)]` items over
        findings.extend(_markdown_findings(md))
    if item.is_fn:
        findings.extend(_param_findings(item, doc))
    findings.extend(_fence_findings(md, doctest_main=not item.doc_hidden))
    return findings


def score_doc(item: RustItem, doc: str) -> float:
    """1.0 for a doc without findings; each error costs 30 %, each warning 10 %, each info 3 %."""
    findings = check_doc(item, doc)
    if any(f.code == "empty-doc" for f in findings):
        return 0.0
    cost = {"error": 0.3, "warning": 0.1, "info": 0.03}
    score = 1.0
    for f in findings:
        score *= 1.0 - cost.get(f.severity, 0.1)
    return round(score, 6)


# --- summary ---------------------------------------------------------------------------

MODULE_PAGE_KINDS = frozenset({"fn", "struct", "enum", "union", "trait", "type", "const", "static", "macro", "mod"})
"""Items a module's page lists with their first paragraph (not fields, variants, nor an impl's or
a trait's members): the ones clippy::too_long_first_doc_paragraph looks at."""


def first_paragraph_too_long(item: RustItem, md: MarkdownDoc, exported: bool | None = None) -> int | None:
    """The length clippy::too_long_first_doc_paragraph finds too long, or None where it does not fire.

    As clippy 0.1.95 does: only exported items of a module page; the first paragraph (or heading,
    or list entry) counts its characters as written, with the line break after it when more text
    follows; over `MAX_FIRST_PARAGRAPH`, and only when the paragraph reaches past the first doc
    line (`///` line, `#[doc]` attribute or `/** */` block) into a second one.
    """
    if item.doc_hidden or item.kind not in MODULE_PAGE_KINDS or item.container is not None:
        return None
    if not (item.is_public if exported is None or item.kind == "macro" else exported):
        return None
    first = next((b for b in md.blocks if b.kind in TEXT_KINDS), None)
    if first is None:
        return None
    lines = first.entries()[0] if first.kind == LIST else first.numbered
    length = len("\n".join(line for _, line in lines))
    fragments = item.doc.fragments if item.doc is not None and item.doc.text == md.text else None
    trailing_blank = bool(fragments) and not fragments[-1].text.strip()
    if lines[-1][0] + 1 < len(md.lines) or trailing_blank:
        length += 1  # the paragraph's line break, when anything follows it
    if length <= MAX_FIRST_PARAGRAPH:
        return None
    pieces = [f.text for f in fragments] if fragments else md.lines
    if len(pieces) < 2 or len(pieces[0].strip()) >= length:
        return None
    return length


def _summary_findings(item: RustItem, md: MarkdownDoc, exported: bool | None) -> list[Finding]:
    lines = md.lines
    start, end = md.summary_range()
    findings = []
    too_long = first_paragraph_too_long(item, md, exported)
    if too_long is not None:
        findings.append(_finding(
            "long-first-paragraph",
            f"the first paragraph is {too_long} characters; keep the summary under {MAX_FIRST_PARAGRAPH + 1}",
        ))
    raw = "\n".join(lines[start:end])
    if too_long is None and len(raw) > MAX_FIRST_PARAGRAPH:  # where clippy's lint does not look
        findings.append(_finding(
            "long-summary", f"the summary is {len(raw)} characters; keep it under {MAX_FIRST_PARAGRAPH + 1}", start
        ))
    summary = " ".join(line.strip() for line in lines[start:end])
    if not summary:
        findings.append(_finding("summary-not-sentence", "the doc does not start with a summary sentence", start))
        return findings
    first = summary[0]
    if first.islower():  # scripts without case (CJK) and leading punctuation are fine
        findings.append(_finding("summary-not-sentence", "the summary should start with a capital letter", start))
    if not summary.rstrip().endswith((".", "。")):
        findings.append(_finding("summary-not-sentence", "the summary should end with a period", end - 1))
    if item.is_fn or item.kind == "macro":
        word = re.split(r"[\s,.:;]", summary, maxsplit=1)[0]
        if word in IMPERATIVE_VERBS:
            findings.append(_finding(
                "summary-not-sentence",
                f"the summary should be in the third person (`{word}s ...`, not `{word} ...`)",
                start,
            ))
    return findings


# --- doc_markdown ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProseWord:
    """A word of prose as clippy's doc_markdown sees it, and where it stands in the doc."""

    word: str
    line: int
    col: int  # column of `word` (after trimming) in its line


def _as_markdown(doc: str | MarkdownDoc) -> MarkdownDoc:
    return doc if isinstance(doc, MarkdownDoc) else parse_markdown(doc)


def _link_definitions(md: MarkdownDoc) -> dict[str, str]:
    """Reference-style link definitions, lower-cased label -> target."""
    return {label: definition.target for label, definition in md.link_definitions.items()}


def _is_web_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _link_end(text: str, open_at: int) -> int | None:
    """Index just past the `]` that closes the `[` at `open_at` (nesting and code spans aside)."""
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "\n" and text[i + 1 : i + 2] == "\n":
            return None
        i += 1
    return None


def _text_spans(block: list[tuple[int, str]], links: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """(line, col, text) pieces of a prose block outside code spans, link targets, the text of
    links to web pages (clippy does not check those), footnote references and HTML."""
    links = links or {}
    joined = "\n".join(line for _, line in block)
    starts = []
    offset = 0
    for number, line in block:
        starts.append((offset, number))
        offset += len(line) + 1
    skip = [False] * len(joined)
    i = 0
    n = len(joined)
    while i < n:
        ch = joined[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "`":
            j = i
            while j < n and joined[j] == "`":
                j += 1
            run = j - i
            close = _find_backtick_run(joined, j, run)
            if close is None:
                i = j
                continue
            for k in range(i, close + run):
                skip[k] = True
            i = close + run
            continue
        if ch == "[" and (i == 0 or joined[i - 1] != "!"):
            end = _link_end(joined, i)
            if end is not None:
                label = joined[i + 1 : end - 1]
                target = None
                if label.startswith("^"):
                    target = "footnote"
                elif end < n and joined[end] == "(":
                    close = joined.find(")", end)
                    target = joined[end + 1 : close].strip().split(" ")[0].strip("<>") if close != -1 else None
                    end = close + 1 if close != -1 else end
                elif end < n and joined[end] == "[":
                    close = joined.find("]", end)
                    ref = joined[end + 1 : close] if close != -1 else ""
                    target = links.get((ref or label).strip().lower())
                    end = close + 1 if close != -1 else end
                else:
                    target = links.get(label.strip().lower())
                if target == "footnote" or (target is not None and _is_web_url(target)):
                    for k in range(i, end):
                        skip[k] = True
                    i = end
                    continue
        if ch == "]" and i + 1 < n and joined[i + 1] == "[":
            j = joined.find("]", i + 1)
            if j != -1:
                for k in range(i + 1, j + 1):
                    skip[k] = True
                i = j + 1
                continue
        if ch == "]" and i + 1 < n and joined[i + 1] == "(":
            depth = 0
            j = i + 1
            while j < n:
                if joined[j] == "(":
                    depth += 1
                elif joined[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            for k in range(i + 1, min(j + 1, n)):
                skip[k] = True
            i = j + 1
            continue
        if ch == "<" and i + 1 < n and (joined[i + 1].isalpha() or joined[i + 1] in "/!"):
            j = joined.find(">", i)
            newline = joined.find("\n", i)
            if j != -1 and (newline == -1 or j < newline):
                for k in range(i, j + 1):
                    skip[k] = True
                i = j + 1
                continue
        i += 1
    pieces: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        if skip[i]:
            i += 1
            continue
        j = i
        while j < n and not skip[j] and joined[j] != "\n":
            j += 1
        if j > i:
            base, number = max((s for s in starts if s[0] <= i), key=lambda s: s[0])
            pieces.append((number, i - base, joined[i:j]))
        i = j if j > i else i + 1
    return pieces


def _find_backtick_run(text: str, start: int, run: int) -> int | None:
    i = start
    while i < len(text):
        if text[i] == "`":
            j = i
            while j < len(text) and text[j] == "`":
                j += 1
            if j - i == run:
                return i
            i = j
        else:
            if text[i] == "\n" and text[i + 1 : i + 2] == "\n":
                return None
            i += 1
    return None


def _trim(c: str) -> bool:
    return not c.isalnum() and c != ":"


def prose_words(doc: str | MarkdownDoc) -> list[ProseWord]:
    """Words of the doc's prose, split and trimmed the way clippy's doc_markdown does."""
    md = _as_markdown(doc)
    out: list[ProseWord] = []
    links = _link_definitions(md)
    for block in md.prose_blocks():
        spans = _text_spans(block, links)
        if _unbalanced(spans):
            continue  # clippy reports the paragraph's backticks instead of its words
        for line, col, text in spans:
            for match in re.finditer(r"[^\s']+", text):
                orig = match.group(0)
                end = len(orig)
                while end > 0 and _trim(orig[end - 1]):
                    end -= 1
                if orig[end : end + 2] == "()":
                    end += 2
                begin = 0
                while begin < end and _trim(orig[begin]):
                    begin += 1
                word = orig[begin:end]
                if word.startswith(":") and not word.startswith("::"):
                    stripped = word.lstrip(":")
                    begin += len(word) - len(stripped)
                    word = stripped
                if word.endswith(":") and not word.endswith("::"):
                    word = word.rstrip(":")
                if word:
                    out.append(ProseWord(word, line, col + match.start() + begin))
    return out


def _unbalanced(spans: list[tuple[int, int, str]]) -> bool:
    return any(re.search(r"(?<!\\)`", text) for _, _, text in spans)


def unbalanced_backticks(doc: str | MarkdownDoc) -> list[tuple[int, int]]:
    """(line, col) of each prose paragraph with a backtick that opens no code span."""
    md = _as_markdown(doc)
    links = _link_definitions(md)
    out = []
    for block in md.prose_blocks():
        if _unbalanced(_text_spans(block, links)):
            number, line = block[0]
            out.append((number, len(line) - len(line.lstrip())))
    return out


def _is_camel_case(word: str) -> bool:
    if word[:1].isdigit() or word[:1].islower():
        return False
    s = word[:-1] if word.endswith("s") else word
    return (
        all(c.isalnum() for c in s)
        and sum(1 for c in s if c.isupper()) > 1
        and any(c.islower() for c in s)
    )


def needs_backticks(word: str) -> bool:
    """clippy::doc_markdown's test for a prose word that looks like code."""
    if not word or word in VALID_IDENTS or all(c == ":" for c in word):
        return False
    if _URL.match(word):
        return False
    has_underscore = word != "_" and "\\_" not in word and "_" in word
    has_hyphen = word != "-" and "-" in word
    if has_underscore and has_hyphen:
        return False
    return has_underscore or "::" in word or _is_camel_case(word) or word.endswith("()")


def _is_bare_url(word: str) -> bool:
    return bool(_URL.match(word)) and len(word.split("://", 1)[1]) > 0


def bare_urls(doc: str | MarkdownDoc) -> list[ProseWord]:
    """URLs in prose outside `<...>` and links: clippy's doc_markdown and rustdoc's bare_urls flag them."""
    return [w for w in prose_words(doc) if _is_bare_url(w.word)]


def code_like_words(doc: str | MarkdownDoc) -> list[ProseWord]:
    """Prose words clippy's doc_markdown wants in backticks."""
    return [w for w in prose_words(doc) if needs_backticks(w.word)]


def generic_types_in_prose(doc: str | MarkdownDoc) -> list[tuple[int, int, str]]:
    """`Vec<T>`-like text outside backticks: rustdoc reads `<T>` as an unclosed HTML tag."""
    out = []
    for block in _as_markdown(doc).prose_blocks():
        joined_lines = dict(block)
        for number, line in block:
            for match in _GENERIC_IN_PROSE.finditer(_mask_code(line)):
                out.append((number, match.start(), joined_lines[number][match.start() : match.end()]))
    return out


def _mask_code(line: str) -> str:
    """The line with inline code spans blanked out (same length)."""
    return re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)


def _markdown_findings(doc: MarkdownDoc) -> list[Finding]:
    findings = []
    words = prose_words(doc)
    for w in words:  # each occurrence, as clippy reports them
        if needs_backticks(w.word):
            findings.append(_finding("doc-markdown", f"item in documentation is missing backticks: `{w.word}`", w.line, w.col))
    for w in words:
        if _is_bare_url(w.word):
            findings.append(_finding("doc-markdown", f"bare URL; write it as `<{w.word}>`", w.line, w.col))
    for line, col in unbalanced_backticks(doc):
        findings.append(_finding("doc-markdown", "backticks are unbalanced; a backtick may be missing a pair", line, col))
    for line, col, text in generic_types_in_prose(doc):
        # rustdoc's invalid_html_tags, not a clippy lint
        findings.append(_finding("invalid-html-tag", f"generic type outside backticks reads as an HTML tag: `{text}`", line, col))
    return findings


# --- intra-doc links -------------------------------------------------------------------

_LINK_PATH = re.compile(
    r"^(?:(?:struct|enum|trait|union|mod|module|const|constant|fn|function|method|derive|type|value|macro|prim|primitive|field|variant|tymethod|static)@)?"
    r"(?P<path>(?:::)?[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)(?:\(\)|!|<[^>]*>)?$"
)


def _link_path(text: str) -> str | None:
    """The Rust path a link target names (`struct@Foo`, `foo()`, `Vec<T>` -> `Foo`, `foo`, `Vec`)."""
    match = _LINK_PATH.match(text.strip().strip("`").strip())
    return match.group("path") if match else None


def intra_doc_links(doc: str | MarkdownDoc) -> list[tuple[int, int, str]]:
    """(line, col, path) of the intra-doc links of a doc, as rustdoc resolves them: `[`Foo`]`,
    `[text](crate::foo)`, `[text][ref]` with `[ref]: path`. Plain `[word]` without backticks or
    `::` is left out (rustdoc does not insist on those), and so are URLs and anchors."""
    md = _as_markdown(doc)
    links = _link_definitions(md)
    definition_lines = {b.start for b in md.blocks if b.kind == LINK_DEF}
    out = []
    for number, line in md.prose_lines():
        if number in definition_lines:
            continue
        masked = _mask_code_keep_brackets(line)
        i = 0
        while i < len(line):
            if masked[i] != "[" or (i > 0 and line[i - 1] in "!\\"):
                i += 1
                continue
            end = _link_end(masked, i)
            if end is None:
                i += 1
                continue
            start = i
            label = line[i + 1 : end - 1]
            if label.startswith("^"):  # a footnote reference
                i = end
                continue
            target: str | None
            explicit = False
            after = end
            if end < len(line) and line[end] == "(":
                close = line.find(")", end)
                target = line[end + 1 : close].strip().split(" ")[0].strip("<>") if close != -1 else None
                explicit = True
                after = close + 1 if close != -1 else end
            elif end < len(line) and line[end] == "[":
                close = line.find("]", end)
                ref = line[end + 1 : close] if close != -1 else ""
                target = links.get((ref or label).strip().lower(), ref or label)
                explicit = True
                after = close + 1 if close != -1 else end
            else:
                defined = links.get(label.strip().lower())
                target, explicit = (defined, True) if defined is not None else (label, False)
            i = after
            if not target or "://" in target or target.startswith("#") or "/" in target or target.endswith((".html", ".md")):
                continue
            if not explicit and "`" not in label and "::" not in label:
                continue
            path = _link_path(target)
            if path is not None:
                out.append((number, start, path))
    return out


def _mask_code_keep_brackets(line: str) -> str:
    """The line with `[`/`]` inside code spans blanked, other characters kept (same length)."""
    return re.sub(r"(`+)(.+?)\1", lambda m: m.group(0).replace("[", " ").replace("]", " "), line)


def link_findings(doc: str, resolves: Callable[[str], bool]) -> list[Finding]:
    """`unresolved-link` for each intra-doc link whose path `resolves(path)` does not find."""
    return [
        _finding("unresolved-link", f"unresolved link to `{path}`", line, col)
        for line, col, path in intra_doc_links(doc)
        if not resolves(path)
    ]


# --- parameters ------------------------------------------------------------------------


def param_mentions(doc: str) -> list[tuple[int, str, str]]:
    """(line, name, how) for names the doc presents as parameters: `# Arguments` entries and
    phrases like "the `x` parameter" / "argument `x`"."""
    out = []
    section = None
    for number, line in parse_markdown(doc).prose_lines():
        heading = HEADING.match(line)
        if heading:
            section = heading.group(2).strip().lower()
            continue
        if section in ARGUMENT_SECTIONS:
            entry = _ARG_ENTRY.match(line)
            if entry:
                out.append((number, entry.group(1), "entry"))
                continue
        masked = line
        for pattern in _PARAM_PHRASES:
            for match in pattern.finditer(masked):
                out.append((number, match.group(1), "phrase"))
    return out


def _known_names(item: RustItem) -> set[str]:
    names = set(item.param_names) | {"self"}
    names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", item.signature))
    return names


def unknown_params(item: RustItem, doc: str) -> list[tuple[int, str, str]]:
    """Parameter mentions of names the fn does not have (nor uses anywhere in its signature)."""
    if not item.is_fn:
        return []
    known = _known_names(item)
    return [m for m in param_mentions(doc) if m[1] not in known]


def _param_findings(item: RustItem, doc: str) -> list[Finding]:
    findings = []
    for line, name, _ in unknown_params(item, doc):
        findings.append(_finding("unknown-param", f"{item.label} has no parameter `{name}`", line))
    return findings


# --- code blocks -----------------------------------------------------------------------


def _fence_findings(md: MarkdownDoc, doctest_main: bool = True) -> list[Finding]:
    findings = []
    for block in md.blocks:
        if block.kind not in (CODE, INDENTED_CODE):
            continue
        if block.kind == CODE and not block.closed:
            findings.append(_finding("unbalanced-fence", "a code fence is never closed", block.start))
        main = needless_doctest_main(block) if doctest_main else None
        if main is not None:
            findings.append(_finding(
                "fn-main-in-doctest", "the example is only `fn main() { ... }`; rustdoc wraps examples in one", *main
            ))
        if block.kind != CODE or not block.closed:
            continue
        code = CodeBlock(block.info, block.body, block.start, block.closed)
        if not code.is_tested or "compile_fail" in code.info or not code.doctest_source().strip():
            continue  # an `ignore` block need not be Rust: crates put globs and shell lines in them
        if not rust_block_parses(code):
            findings.append(_finding("invalid-rust-fence", "a Rust code block does not parse as Rust", block.start))
        elif main is None and declares_main(code):
            findings.append(_finding(
                "doctest-declares-main", "the example declares `fn main()`; rustdoc wraps examples in one", block.start
            ))
    return findings


def clippy_code_tags(info: str) -> tuple[bool, bool, bool]:
    """(rust, ignore, compile_fail) of a fence's info string, as clippy (and rustdoc) read it."""
    rust, ignore, compile_fail = True, False, False
    seen_rust = seen_other = False
    for tag in re.split(r"[, \t]", info):
        tag = tag.strip()
        if not tag:
            continue
        if tag == "rust":
            seen_rust = True
        elif tag in ("ignore", "no_run", "should_panic"):
            ignore = ignore or tag == "ignore"
            seen_rust = not seen_other
        elif tag in ("compile_fail", "test_harness", "standalone_crate"):
            compile_fail = compile_fail or tag == "compile_fail"
            seen_rust = not seen_other or seen_rust
        elif tag.startswith("ignore-"):
            seen_rust = True
        elif tag.startswith("edition"):
            pass
        else:
            seen_other = True
    return rust and (seen_rust or not seen_other), ignore, compile_fail


_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<comment>//[^\n]*)|(?P<block>/\*)|(?P<raw>b?r\#*")|(?P<string>b?"(?:[^"\\]|\\.)*")"""
    r"""|(?P<char>b?'(?:[^'\\\n]|\\[^\n]+?)')|(?P<lifetime>'[A-Za-z_]\w*)|(?P<ident>[A-Za-z_]\w*)|(?P<number>\d[\w.]*)|(?P<punct>.)""",
    re.S,
)


def _rust_tokens(text: str) -> list[tuple[str, int]]:
    """Rust tokens (text, offset) as rustc's lexer splits them, without whitespace and comments;
    punctuation one character each (`->` is `-` then `>`)."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        assert match is not None
        kind = match.lastgroup
        end = match.end()
        if kind == "block":  # nested block comments
            depth, end = 1, i + 2
            while end < len(text) and depth:
                if text.startswith("/*", end):
                    depth, end = depth + 1, end + 2
                elif text.startswith("*/", end):
                    depth, end = depth - 1, end + 2
                else:
                    end += 1
        elif kind == "raw":
            hashes = match.group("raw").count("#")
            close = text.find('"' + "#" * hashes, end)
            end = len(text) if close == -1 else close + 1 + hashes
            out.append((text[i:end], i))
        elif kind not in ("space", "comment"):
            out.append((match.group(0), i))
        i = end
    return out


def needless_doctest_main(block: Block) -> tuple[int, int] | None:
    """(line, col) of the `fn` of a doctest that is only `fn main() { ... }`, as
    clippy::needless_doctest_main finds it (0.1.95): the code, hidden lines and all, starts with
    `fn main()` returning `()` and nothing follows its body; comments do not count."""
    if block.kind == CODE:
        rust, ignore, compile_fail = clippy_code_tags(block.info)
        if not rust or ignore or compile_fail:
            return None
        first, lines = block.start + 1, list(block.lines[1:-1] if block.closed else block.lines[1:])
    else:
        first, lines = block.start, list(block.lines)
    text = "\n".join(lines)
    if "main" not in text:
        return None
    tokens = _rust_tokens(text)
    words = [t for t, _ in tokens]
    if words[:4] != ["fn", "main", "(", ")"]:
        return None
    rest = words[4:]
    if rest[:1] == ["{"]:
        body = 5
    elif rest[:5] == ["-", ">", "(", ")", "{"]:
        body = 9
    else:
        return None
    depth = 1
    for position in range(body, len(words)):
        if words[position] == "{":
            depth += 1
        elif words[position] == "}":
            depth -= 1
            if depth == 0:
                if position + 1 < len(words):
                    return None
                break
    offset = tokens[0][1]
    line = text.count("\n", 0, offset)
    return first + line, offset - (text.rfind("\n", 0, offset) + 1)


def _parses(source: str) -> bool:
    tree = _parser().parse(source.encode("utf-8"))
    return not tree.root_node.has_error


def rust_block_parses(block: CodeBlock) -> bool:
    """Whether a doctest parses: as a file of items, or wrapped in `fn main` as rustdoc does."""
    source = block.doctest_source()
    if _parses(source):
        return True
    # Inner attributes (`#![..]`) and `extern crate` stay outside the wrapper, like rustdoc.
    head, body = [], []
    for line in source.split("\n"):
        stripped = line.strip()
        if not body and (stripped.startswith("#![") or stripped.startswith("extern crate")):
            head.append(line)
        else:
            body.append(line)
    return _parses("\n".join(head) + "\nfn main() {\n" + "\n".join(body) + "\n}\n")


def declares_main(block: CodeBlock) -> bool:
    tree = _parser().parse(block.doctest_source().encode("utf-8"))
    for child in tree.root_node.named_children:
        if child.type == "function_item":
            name = child.child_by_field_name("name")
            if name is not None and name.text == b"main":
                return True
    return False
