"""The output guard: what stands between a generator's raw answer and the user's file.

Every backend's answer goes through `guard_answer(item, raw)`. Small real models loop on a
sentence, answer with the item's own code, leave chat-template tokens behind and
name things that do not exist; the guard removes what is not a doc, in this order:

1. chat-template leftovers and role names are stripped;
2. code blocks that restate the item (its signature or body, a definition of its own
   name) are removed: an example calls the item, it does not define it;
3. the answer is parsed into doc text (`prompt.parse_completion`), and sentences quoting
   a definition of the item in a code span are dropped;
4. repeated sentences, list entries, paragraphs and code blocks are cut to their first
   occurrence; sentences that loop on themselves or define a thing by itself are dropped;
5. a sentence cut off by the token limit is dropped;
6. the doc is held to a length budget by item kind (`BUDGETS`);
7. sentences that call the item by another kind ("the `Glob` trait"), talk about "the
   code" instead of the item, or name something that does not exist (`grounding`) are
   dropped; a summary with one is replaced by the template's (a partial fallback);
8. the checker's findings are repaired (`repair.repair_doc`);
9. a doc that still has an error-severity finding, of the checker or of the guard, is
   replaced by the template's doc.

`generate`, the server and the eval all get their docs from here, so what the eval
measures is what the user gets. The guard's finding codes are defined here, once
(`GUARD_SEVERITY`), as `doc_checker.Finding`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from rustdoc_core.docs.checker import unbalanced_backticks
from rustdoc_core.docs.findings import GUARD_SEVERITY, Finding, finding
from rustdoc_core.docs.markdown import BLANK, CODE, HEADING_BLOCK, INDENTED_CODE, LINK_DEF, LIST, PARAGRAPH, MarkdownDoc, parse_markdown
from rustdoc_core.docs.section_rules import ARGUMENT_SECTIONS, SECTION_RULES, returns_result_like
from rustdoc_core.docs.text import FENCE, code_blocks, normalize_doc
from rustdoc_core.generation.grounding import NameIndex, ungrounded_mentions
from rustdoc_core.generation.prompt import value_type
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.rust.items import RustItem

STEPS = (*GUARD_SEVERITY, "promoted-summary")
"""What `guard_answer` can do to an answer, as recorded in `FinishedDoc.steps`: each finding code it
removed the cause of (the guard's codes and severities are the findings table's, stage "guard"),
and `promoted-summary` when the summary was cut and the answer's next sentence opens the doc
instead (the template's summary is never glued above the answer's words)."""


@dataclass(frozen=True)
class Budget:
    """How much doc an item kind gets: prose paragraphs (the summary included), characters of prose
    after the summary, code blocks, and lines of one code block."""

    paragraphs: int
    chars: int
    code_blocks: int
    code_lines: int = 25


BUDGETS = {
    **{kind: Budget(1, 0, 0) for kind in ("field", "variant")},
    **{kind: Budget(1, 0, 0) for kind in ("const", "static")},
    "type": Budget(2, 200, 0),
    **{kind: Budget(2, 240, 1) for kind in ("struct", "union", "enum")},
    **{kind: Budget(2, 240, 1) for kind in ("fn", "method", "trait_method")},
    "trait": Budget(3, 400, 1),
    "macro": Budget(3, 400, 2),
    "mod": Budget(3, 400, 1),
}
"""The length budget of each kind, the one place it lives (decoding stops at it: `budget_end`).
Set from the human docs of the mined Debian crates (median characters: field 46, variant 60,
enum 75, method 128, fn 136, struct 183): a field, variant or constant is its one-sentence
summary; a fn its summary, one short paragraph and one example, besides the sections the rules
require (`RULED_SECTIONS`); a type its summary and one short paragraph. A kind not listed gets
`DEFAULT_BUDGET`."""
DEFAULT_BUDGET = Budget(3, 400, 1)
_MARK_BEING_WRITTEN = re.compile(r"\s{0,3}(?:#{1,6}|`{1,2}|~{1,2})\s*")
"""The last line of a partial answer that is the start of a heading or fence, not a paragraph."""
RULED_SECTIONS = frozenset(rule.name.lower() for rule in SECTION_RULES)
"""`# Errors`, `# Panics`, `# Safety`: their text is the section rules' (repair writes it from the
code where the answer lacks it), outside the length budget."""


@dataclass(frozen=True)
class FinishedDoc:
    """A doc ready to insert, and what the guard did to the answer it came from."""

    text: str
    provenance: Provenance  # MODEL (kept as written), REPAIRED or TEMPLATE (replaced)
    steps: tuple[str, ...] = ()  # of STEPS, in the order they applied


def guard_finding(code: str, message: str, line: int | None = None, col: int | None = None) -> Finding:
    return finding(code, message, line, col)


# --- 1. chat-template leftovers ----------------------------------------------------------

_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>|<(?:start|end)_of_turn>|</?s>|\[/?INST\]")
_ROLE_LINE = re.compile(r"^\s*(?:<\|?)?(?:system|user|assistant|model|human|bot)(?:\|?>)?\s*:?\s*$", re.I)
_PREFACE = re.compile(
    r"^\s*(?:here(?:'s| is) (?:the|a|an)\b[^\n]*?(?:comment|doc|documentation|rustdoc)[^\n]*:|(?:rustdoc|doc) comment:|#+\s*response:?)\s*$",
    re.I,
)


def chat_leftover_lines(text: str) -> list[int]:
    """Lines holding chat-template tokens, role names or a preface ("Here is the doc comment:")."""
    lines = text.split("\n")
    return [n for n, line in enumerate(lines) if _SPECIAL_TOKEN.search(line) or _ROLE_LINE.match(line) or _PREFACE.match(line)]


def strip_chat_leftovers(text: str) -> str:
    """The answer without chat-template tokens, role-name lines and a preface line; a second turn
    (a new role or start token after the answer) ends the answer."""
    turn = re.search(r"<\|im_start\|>|<start_of_turn>|\n\s*(?:user|human)\s*:?\s*\n", text, re.I)
    if turn and text[: turn.start()].strip():
        text = text[: turn.start()]
    lines = [_SPECIAL_TOKEN.sub("", line) for line in text.split("\n") if not _ROLE_LINE.match(line) and not _PREFACE.match(line)]
    return "\n".join(lines).strip("\n")


# --- 2. echoed code ----------------------------------------------------------------------

_DEFINITION = re.compile(r"\b(?:fn|struct|enum|trait|type|const|static|union|mod)\s+(\w+)\b|\bmacro_rules!\s*(\w+)\b")
"""A Rust definition and the name it defines (one pattern for every item: a pattern per name
would be compiled again for each item of a big file)."""


def _defines(code: str, names: set[str]) -> bool:
    """Whether `code` defines one of `names` (`fn name`, `struct name`, `macro_rules! name`, ...)."""
    return any((m.group(1) or m.group(2)) in names for m in _DEFINITION.finditer(code))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _defined_names(item: RustItem) -> set[str]:
    names = {item.name}
    if item.kind in ("field", "variant"):
        names.update(c.name for c in item.containers[-1:] if c.name)
    return names


def restates_item(item: RustItem, code: str) -> bool:
    """Whether `code` restates `item`: holds its signature, most of its source lines, or a
    definition of its own name (or, for a field or variant, of its type)."""
    body = _squash(code)
    signature = _squash(item.signature)
    if (len(signature) >= 12 or re.search(r"\b(?:fn|struct|enum|trait|type|const|static|union|mod)\b", item.signature)) and signature in body:
        return True
    own = [_squash(line) for line in item.source.split("\n") if len(line.strip()) > 3]
    if len(own) >= 2 and sum(line in body for line in own) * 2 >= len(own):
        return True
    implements = re.search(r"\bimpl\b[^{]*\bfor\b", code) is not None
    if _defines(code, _defined_names(item)) and not (item.kind == "trait_method" and implements):
        return True
    if item.kind == "field" and re.search(rf"^\s*(?:pub(?:\([^)]*\))?\s+)?{re.escape(item.name)}\s*:", code, re.M):
        return True
    return False


def _echo_line_ranges(item: RustItem, text: str) -> list[tuple[int, int]]:
    """Line ranges [start, end) of `text` that restate the item: fenced blocks, or unfenced code
    starting with the item's first source line (up to the next blank line)."""
    lines = text.split("\n")
    ranges = []
    for block in code_blocks(text):
        end = block.start_line + block.body.count("\n") + (3 if block.closed else 2)
        if restates_item(item, block.body) or not block.body.strip():
            ranges.append((block.start_line, min(end, len(lines))))
    first = _squash(item.source.split("\n", 1)[0])
    if len(first) >= 10:
        inside = {n for start, end in _fence_ranges(text) for n in range(start, end)}
        n = 0
        while n < len(lines):
            if n not in inside and _squash(lines[n]).startswith(first):
                end = n
                while end < len(lines) and lines[end].strip():
                    end += 1
                ranges.append((n, end))
                n = end
            n += 1
    return sorted(ranges)


def _fence_ranges(text: str) -> list[tuple[int, int]]:
    count = len(text.split("\n"))
    return [(b.start_line, min(count, b.start_line + b.body.count("\n") + 3)) for b in code_blocks(text)]


def echoes_inline(item: RustItem, sentence: str) -> bool:
    """Whether a sentence quotes a definition of the item in a code span (`` `fn name(...)` ``);
    a span that only names it with its kind (`` `struct GlobOptions` ``) is a mention, not an echo."""
    names = _defined_names(item)
    return any(_defines(span, names) and not _NAMED_WITH_KIND.fullmatch(span.strip()) for span in re.findall(r"`([^`]+)`", sentence))


_NAMED_WITH_KIND = re.compile(r"(?:pub(?:\([^)]*\))?\s+)?(?:fn|struct|enum|trait|type|const|static|union|mod)\s+\w+")


def remove_inline_echo(item: RustItem, doc: str) -> tuple[str, str | None]:
    return _drop_sentences(doc, lambda s: echoes_inline(item, s))


_DOC_COMMENT_ANSWER = re.compile(r"^\s*```[\w-]*[ \t]*\n\s*///")
"""An answer that is a code block opening with `///` lines: a doc comment, perhaps above the item."""


def remove_echoed_code(item: RustItem, text: str) -> str:
    """`text` without the code that restates the item (and without empty code blocks)."""
    lines = text.split("\n")
    drop = {n for start, end in _echo_line_ranges(item, text) for n in range(start, end)}
    return "\n".join(line for n, line in enumerate(lines) if n not in drop)


# --- paragraphs and sentences ------------------------------------------------------------

_LIST_MARK = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


_GUARD_KINDS = {PARAGRAPH: "prose", LIST: "list", HEADING_BLOCK: "heading", CODE: "code", INDENTED_CODE: "code",
                BLANK: "blank", LINK_DEF: "linkdef"}
"""`docs.markdown`'s block kinds as the guard cuts them (tables and block quotes: "other", kept whole)."""


@dataclass
class _Block:
    """A block of the doc as the guard cuts it: one of `docs.markdown`'s blocks, its lines editable."""

    kind: str  # "prose" | "list" | "heading" | "code" | "blank" | "linkdef" | "other"
    lines: list[str]
    level: int = 0  # a heading's level
    title: str = ""  # a heading's title, lower case


def _blocks(doc: str) -> list[_Block]:
    """The doc's blocks, read by the one Markdown block parser the doc rules share."""
    return _blocks_of(parse_markdown(doc))


def _blocks_of(markdown: MarkdownDoc) -> list[_Block]:
    return [_Block(_GUARD_KINDS.get(b.kind, "other"), list(b.lines), b.level, b.title.lower()) for b in markdown.blocks]


def _render(blocks: Iterable[_Block]) -> str:
    return normalize_doc("\n".join(line for block in blocks for line in block.lines))


def _list_entries(lines: list[str]) -> list[list[str]]:
    entries: list[list[str]] = []
    for line in lines:
        if _LIST_MARK.match(line) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return entries


def _sentences(lines: list[str]) -> list[str]:
    return _SENTENCE_END.split(" ".join(line.strip() for line in lines))


def _key(text: str) -> str:
    """A sentence as compared for repetition: its words, lower case, and the code it names."""
    spans = sorted({span.lower() for span in re.findall(r"`([^`]+)`", text)})
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()) + "\0" + "\0".join(spans)


def _repeats(key: str, seen: set[str]) -> bool:
    """Whether a sentence (by its key) says again what an earlier one said: the same words, or
    nearly (a long sentence differing in a word or two, naming the same code)."""
    words, _, code = key.partition("\0")
    if len(words.split()) < 2:
        return False
    if key in seen:
        return True
    if len(words.split()) < 6:
        return False
    for other in seen:
        other_words, _, other_code = other.partition("\0")
        if other_code == code and len(other_words.split()) >= 6:
            if SequenceMatcher(None, words.split(), other_words.split(), autojunk=False).ratio() >= 0.8:
                return True
    return False


def has_word_loop(text: str, *, phrases: bool = True) -> bool:
    """Whether text repeats a run of words three times in a row, or (`phrases`) one 4-word phrase
    three times anywhere."""
    words = text.split()
    for size in range(1, 7):
        for i in range(len(words) - 3 * size + 1):
            if words[i : i + size] == words[i + size : i + 2 * size] == words[i + 2 * size : i + 3 * size]:
                return True
    if not phrases:
        return False
    grams = [" ".join(words[i : i + 4]).lower() for i in range(len(words) - 3)]
    return any(grams.count(g) >= 3 for g in set(grams))


_DEFINES_ITSELF = re.compile(
    r"\b(\w+ \w+),? (?:that|which) (?:can be used|is used|allows?(?: \w+)?|lets? \w+) to (?:create|define|implement|build|represent|make) (?:an? |the )?(?:\w+ )?\1\b",
    re.I,
)


def defines_itself(sentence: str) -> bool:
    """Whether a sentence defines a thing by itself ("a custom type that can be used to create a
    custom type"): small models fill a doc with these."""
    return _DEFINES_ITSELF.search(sentence.replace("`", "")) is not None


def _paragraph(lines: list[str], sentences: list[str]) -> list[str]:
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return [indent + " ".join(sentences)] if sentences else []


# --- 3. repetition -----------------------------------------------------------------------


def repetitions(doc: str) -> list[tuple[int, str]]:
    """(line, text) of each sentence, list entry, paragraph or code block that repeats an earlier one
    or loops on itself."""
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    line = 0
    for block in _blocks(doc):
        if block.kind == "code":
            key = "\0code\0" + "\n".join(block.lines)
            if (key in seen and len(block.lines) > 2) or has_word_loop("\n".join(block.lines[1:-1]), phrases=False):
                found.append((line, block.lines[0]))
            seen.add(key)
        elif block.kind in ("prose", "list"):
            units = [" ".join(e) for e in _list_entries(block.lines)] if block.kind == "list" else _sentences(block.lines)
            for unit in units:
                key = _key(unit)
                if _repeats(key, seen) or has_word_loop(unit) or defines_itself(unit):
                    found.append((line, unit))
                seen.add(key)
        line += len(block.lines)
    return found


def cut_repetition(doc: str) -> str:
    """Each sentence, list entry, paragraph and code block kept at its first occurrence only;
    sentences that loop on themselves dropped."""
    seen: set[str] = set()
    out: list[_Block] = []
    for block in _blocks(doc):
        if block.kind == "code":
            key = "\0code\0" + "\n".join(block.lines)
            if key not in seen and not has_word_loop("\n".join(block.lines[1:-1]), phrases=False):
                out.append(block)
            seen.add(key)
        elif block.kind == "list":
            kept = []
            for entry in _list_entries(block.lines):
                key = _key(" ".join(entry))
                if not _repeats(key, seen) and not has_word_loop(" ".join(entry)):
                    kept.extend(entry)
                seen.add(key)
            out.append(_Block("list", kept))
        elif block.kind == "prose":
            sentences = _sentences(block.lines)
            kept_sentences = []
            for sentence in sentences:
                key = _key(sentence)
                if not _repeats(key, seen) and not has_word_loop(sentence) and not defines_itself(sentence):
                    kept_sentences.append(sentence)
                seen.add(key)
            out.append(_Block("prose", block.lines if kept_sentences == sentences else _paragraph(block.lines, kept_sentences)))
        else:
            out.append(block)
    return _drop_empty_headings(out)


def _drop_empty_headings(blocks: list[_Block]) -> str:
    content = [i for i, b in enumerate(blocks) if b.kind != "blank" and b.lines]
    keep = []
    for position, index in enumerate(content):
        block = blocks[index]
        following = blocks[content[position + 1]] if position + 1 < len(content) else None
        if block.kind == "heading" and (following is None or following.kind == "heading" and _level(following) <= _level(block)):
            continue
        keep.append(index)
    kept = set(keep) | {i for i, b in enumerate(blocks) if b.kind == "blank"}
    return _render(b for i, b in enumerate(blocks) if i in kept)


def _level(block: _Block) -> int:
    return block.level


# --- 4. a sentence cut off by the token limit --------------------------------------------

_ENDS_SENTENCE = re.compile(r"[.!?:;)\]\"]$")


def unfinished_tail(doc: str) -> int | None:
    """The line of a last prose paragraph (not the summary) that stops mid-sentence, or None."""
    blocks = _blocks(doc)
    content = [b for b in blocks if b.kind not in ("blank", "linkdef")]
    if not content or content[-1].kind != "prose":
        return None
    last = content[-1].lines[-1].rstrip()
    open_span = _sentences(content[-1].lines)[-1].count("`") % 2 == 1
    if _ENDS_SENTENCE.search(last) and not open_span and not last.endswith("::"):
        return None
    if len(content) < 2 and len(_sentences(content[-1].lines)) < 2:
        return None  # a summary without its period: repair adds it
    return len(doc.rstrip("\n").split("\n")) - 1


def open_code_span(sentence: str) -> bool:
    """Whether a sentence or list entry leaves a code span open (a backtick without its pair)."""
    return sentence.count("`") % 2 == 1


def drop_unfinished_tail(doc: str) -> str:
    """The doc without a last sentence cut off by the token limit, nor any sentence or list entry
    that leaves a code span open (rustdoc would render the rest of the paragraph as code)."""
    if any(open_code_span(t) for _, t in _prose_sentences(doc)):
        doc = _drop_sentences_only(doc, open_code_span)
    if unfinished_tail(doc) is None:
        return doc
    blocks = _blocks(doc)
    last = max(i for i, b in enumerate(blocks) if b.kind not in ("blank", "linkdef"))
    sentences = _sentences(blocks[last].lines)
    blocks[last] = _Block("prose", _paragraph(blocks[last].lines, sentences[:-1]))
    return _drop_empty_headings(blocks)


# --- 5. length budget ----------------------------------------------------------------------


def budget_of(item: RustItem) -> Budget:
    return BUDGETS.get(item.kind, DEFAULT_BUDGET)


def over_budget(item: RustItem, doc: str) -> bool:
    return apply_budget(item, doc) != normalize_doc(doc)


def apply_budget(item: RustItem, doc: str) -> str:
    """The doc cut to its kind's budget: whole paragraphs and code blocks, in order, while they fit.
    A link definition is no paragraph: it stays while a kept block uses it (`MarkdownDoc.select`),
    so no `[`x`][c]` is left dangling."""
    markdown = parse_markdown(doc)
    blocks = _blocks_of(markdown)
    kept = {id(block) for block in _within_budget(budget_of(item), blocks)[0]}
    within = markdown.select(i for i, block in enumerate(blocks) if id(block) in kept)
    return _drop_empty_headings(_blocks(within))


def budget_end(item: RustItem, doc: str, budget: Budget | None = None) -> int | None:
    """The line of `doc` from which `budget` (default: the item kind's) keeps nothing more, or None
    while all of it fits: where decoding can stop, since `apply_budget` would cut the rest."""
    blocks = _blocks(doc)
    full_at = _within_budget(budget or budget_of(item), blocks)[1]
    return None if full_at is None else sum(len(block.lines) for block in blocks[:full_at])


def _drop_lead_in(kept: list[_Block]) -> None:
    """Drop the paragraph that introduces a code block the budget cut ("Adding a string:")."""
    last = next((i for i in range(len(kept) - 1, -1, -1) if kept[i].kind != "blank"), None)
    if last is not None and kept[last].kind == "prose" and kept[last].lines[-1].rstrip().endswith(":"):
        del kept[last]


def _within_budget(budget: Budget, blocks: list[_Block]) -> tuple[list[_Block], int | None]:
    """The blocks `budget` keeps, and the index of the block from which it keeps no more (None: all fit)."""
    paragraphs = chars = codes = 0
    out: list[_Block] = []
    full_at: int | None = None
    section = ""
    for index, block in enumerate(blocks):
        if block.kind in ("blank", "linkdef"):
            out.append(block)  # a link definition goes or stays with its users (`apply_budget`)
            continue
        if full_at is not None:
            continue
        if block.kind == "code":
            codes += 1
            if len(block.lines) > budget.code_lines + 2:
                full_at = index  # a block this long is an echo of the item, not an example
            if codes <= budget.code_blocks and full_at is None:
                out.append(block)
            else:
                _drop_lead_in(out)
            continue
        if block.kind == "heading":
            if budget.code_blocks == 0:
                full_at = index  # small kinds: no sections
                continue
            section = block.title
            out.append(block)
            continue
        if section in RULED_SECTIONS:
            out.append(block)  # what the section rules require is not the budget's to cut
            continue
        if index == len(blocks) - 1 and _MARK_BEING_WRITTEN.fullmatch("".join(block.lines)):
            out.append(block)  # a heading or fence being written (decoding asks about partial answers)
            continue
        size = sum(len(line.strip()) for line in block.lines)
        if paragraphs and (paragraphs + 1 > budget.paragraphs or chars + size > budget.chars):
            full_at = index
            continue
        if paragraphs:
            chars += size  # the summary's own length is the summary rules' business
        paragraphs += 1
        out.append(block)
    return out, full_at


# --- 6. grounding and the item's kind ----------------------------------------------------

_KIND_WORDS = "struct|structure|enum|enumeration|trait|function|method|macro|constant|module|field|variant|union"
_NAMED_KIND = re.compile(rf"(?<![\w:])`?([A-Za-z_]\w*)(?:\(\))?`?\s+({_KIND_WORDS})\b", re.I)
"""A name followed by a kind noun ("`Glob` trait"): one pattern, the name compared after."""
KIND_NOUNS = {
    "fn": ("function", "method"),
    "method": ("function", "method"),
    "trait_method": ("function", "method"),
    "struct": ("struct", "structure"),
    "enum": ("enum", "enumeration"),
    "union": ("union",),
    "trait": ("trait",),
    "macro": ("macro",),
    "const": ("constant",),
    "static": ("constant",),
    "mod": ("module",),
    "field": ("field",),
    "variant": ("variant",),
}
"""What a doc may call an item of each kind (of the nouns `wrong_kind` looks for); kinds not
listed (type aliases) may be called anything."""


def wrong_kind(item: RustItem, sentence: str) -> str | None:
    """The noun a sentence calls the item by when it is not the item's kind ("The `Glob` trait",
    "This is a custom trait" of an enum), or None."""
    allowed = KIND_NOUNS.get(item.kind)
    if allowed is None:
        return None
    named = next((m for m in _NAMED_KIND.finditer(sentence) if m.group(1).lower() == item.name.lower()), None)
    this = re.match(rf"^\s*(?:This|It)\s+(?:is\s+)?(?:an?\s+)?(?:[\w-]+\s+){{0,2}}?({_KIND_WORDS})\b", sentence)
    for match in (named, this):
        noun = match.group(match.lastindex) if match else None
        if noun and noun.lower() not in allowed:
            return noun
    return None


def wrong_kind_sentences(item: RustItem, doc: str) -> list[tuple[int, str]]:
    return [(line, s) for line, s in _prose_sentences(doc) if wrong_kind(item, s)]


def _prose_sentences(doc: str) -> list[tuple[int, str]]:
    found = []
    line = 0
    for block in _blocks(doc):
        if block.kind in ("prose", "list"):
            found += [(line, s) for s in _sentences(block.lines)]
        line += len(block.lines)
    return found


_META = re.compile(
    r"\b(?:the (?:original|above|given|following|provided) code|this (?:code|snippet)|the code (?:is|was|above|snippet)|"
    r"(?:a|this) refactored version|code snippet|is written in rust|here is the|i have (?:written|added)|"
    r"breakdown of the code|the (?:first|next|last|following) line (?:defines|declares|creates))\b",
    re.I,
)


def meta_talk(sentence: str) -> bool:
    """Whether a sentence talks about the answer or "the code" instead of documenting the item
    ("This is a refactored version of the original code", "The code is written in Rust")."""
    return _META.search(sentence) is not None


def remove_meta_talk(item: RustItem, doc: str) -> tuple[str, str | None]:  # noqa: ARG001 - as the other removers
    return _drop_sentences(doc, meta_talk)


def _drop_sentences_only(doc: str, bad) -> str:
    """The doc without the sentences and list entries `bad` says cannot be saved."""
    out: list[_Block] = []
    for block in _blocks(doc):
        if block.kind == "list":
            out.append(_Block("list", [line for entry in _list_entries(block.lines) if not bad(" ".join(entry)) for line in entry]))
        elif block.kind == "prose":
            sentences = _sentences(block.lines)
            kept = [t for t in sentences if not bad(t)]
            out.append(block if kept == sentences else _Block("prose", _paragraph(block.lines, kept)))
        else:
            out.append(block)
    return _drop_empty_headings(out)


SUMMARY_CUT, SUMMARY_LOST = "cut", "lost"
"""What a cut did to the summary paragraph: some of its sentences went (the next one opens the
doc), or all of it (nothing of the answer is fit to open the doc: later paragraphs of a small
model's answer are where its worst sentences are)."""


DEGENERATE = ("echoed-code", "meta-talk", "wrong-kind")
"""Codes of sentences that show the answer is not a doc at all: when one is the summary, no later
sentence of its paragraph is promoted to open the doc."""


def _drop_sentences(doc: str, bad) -> tuple[str, str | None]:
    """The doc without the sentences and list entries `bad` says cannot be saved, and what that
    did to the summary paragraph (None, SUMMARY_CUT or SUMMARY_LOST). Nothing is put in their
    place: the template's summary is never glued above the answer's words."""
    blocks = _blocks(doc)
    first = next((b for b in blocks if b.kind != "blank"), None)
    hit = None
    if first is not None and first.kind == "prose":
        cut = [bad(s) for s in _sentences(first.lines)]
        hit = SUMMARY_LOST if all(cut) else SUMMARY_CUT if any(cut) else None
    return _drop_sentences_only(doc, bad), hit


def remove_wrong_kind(item: RustItem, doc: str) -> tuple[str, str | None]:
    """The doc without sentences that call the item by another kind's name."""
    return _drop_sentences(doc, lambda s: wrong_kind(item, s) is not None)


def remove_ungrounded(item: RustItem, doc: str, names: NameIndex | None, context_code: Iterable[str] = ()) -> tuple[str, str | None]:
    """The doc without the sentences (and list entries) that name what does not exist, and whether
    the summary had one."""
    mentions = ungrounded_mentions(item, doc, names, context_code=context_code)
    if not mentions:
        return doc, None
    spans = {m.text for m in mentions}
    return _drop_sentences(doc, lambda s: any(f"`{t}`" in s or f"[{t}]" in s or f"({t})" in s for t in spans))


# --- 7. what the item's kind and signature say -------------------------------------------

FN_LIKE_KINDS = ("fn", "method", "trait_method", "macro")
"""Kinds whose summary says what they do ("Returns ...", "Creates ..."); every other kind's says
what it is or what its value means."""

_FN_OPENING = re.compile(r"^\s*(?:It\s+|This\s+\w+\s+)?(Returns?|Gets|Creates|Constructs|Retrieves)\b")
"""How a summary opens when it says what a function does."""
_RETURNS_BOOL = re.compile(
    r"^\s*Returns?\s+(?:(?:`true`|true)\s+(?:if|when|iff)|whether|(?:a\s+)?`?bool(?:ean)?`?\s+(?:indicating|saying|telling)\s+(?:whether|if))"
    r"\s+(?P<rest>.+)$",
    re.S,
)
_RETURNS_THING = re.compile(r"^\s*Returns?\s+(?P<article>a|an|the)\s+(?P<rest>.+)$", re.S)


def misshapen(item: RustItem, sentence: str) -> bool:
    """Whether a summary sentence has the shape of a function's ("Returns ...", "Creates ...") on
    an item that is not one: a struct, field, variant, constant, trait or module says what it is."""
    return item.kind not in FN_LIKE_KINDS and _FN_OPENING.match(sentence) is not None


def summary_sentence(doc: str) -> str | None:
    """The doc's first sentence when the doc opens with a prose paragraph, else None."""
    first = next((b for b in _blocks(doc) if b.kind != "blank"), None)
    if first is None or first.kind != "prose":
        return None
    return _sentences(first.lines)[0]


def misshapen_summary(item: RustItem, doc: str) -> bool:
    """Whether the doc's summary has a function's shape on an item that is not a function."""
    sentence = summary_sentence(doc)
    return sentence is not None and misshapen(item, sentence)


def reshaped(item: RustItem, sentence: str) -> str | None:
    """A misshapen summary in the item's own shape, where the words allow it: "Returns `true` if
    X" of a `bool` value -> "Whether X"; "Returns the X" -> "The X". None: it cannot be saved."""
    is_bool = re.search(r"\bbool\b", value_type(item) or "") is not None
    match = _RETURNS_BOOL.match(sentence)
    if match:
        return f"Whether {match.group('rest')}" if is_bool else None
    match = _RETURNS_THING.match(sentence)
    if match and not re.match(r"(?:`?(?:true|false|Ok|Err|Some|None)\b)", match.group("rest")):
        return f"{match.group('article').capitalize()} {match.group('rest')}"
    return None


def reshape_summary(item: RustItem, doc: str) -> tuple[str, str | None]:
    """The doc with a misshapen summary rewritten in the item's shape, or cut where it cannot be;
    and what that did to the summary (see `_drop_sentences`)."""
    sentence = summary_sentence(doc)
    if sentence is None or not misshapen(item, sentence):
        return doc, None
    better = reshaped(item, sentence)
    if better is None:
        return _drop_sentences(doc, lambda s: s == sentence)
    blocks = _blocks(doc)
    index = next(i for i, b in enumerate(blocks) if b.kind != "blank")
    sentences = _sentences(blocks[index].lines)
    blocks[index] = _Block("prose", _paragraph(blocks[index].lines, [better, *sentences[1:]]))
    return _render(blocks), None


_CLAIM_START = re.compile(
    r"^\W*(?:(?:it|this\s+(?:function|method|fn)|the\s+(?:function|method))\s+(?:also\s+|then\s+)?)?returns?\b"
    r"(?!\s+(?:early|immediately|without|once|as soon|right away|control))"
    r"|^\W*`?(?:true|false|Ok|Err|Some|None)\b",
    re.I,
)
"""A sentence whose subject is the item's value: "Returns ...", "It returns ...", "`true` if ..."
(not "If the closure returns `false`, ...", whose subject is another)."""


def _returned(literals: str, *, error: bool = False) -> re.Pattern[str]:
    """Where a claim sentence says one of `literals` is what comes back: "returns `x`", "or `x`",
    "otherwise `x`", or `x` first ("`None` if ..."); with `error`, "returns an error" too. The
    literals keep their case (`None`, not "none"); the words around them do not."""
    lit = rf"`?(?:{literals})\b"
    what = rf"(?i:either\s+|an?\s+)?(?:{lit}{'|(?i:error)' if error else ''})"
    return re.compile(rf"(?i:\breturns?\s+){what}|(?i:\b(?:or|otherwise|else)\s+(?:returns?\s+)?){what}|^\W*{lit}")


_BOOL_CLAIM = _returned("true|false")
_RESULT_CLAIM = _returned("Ok|Err", error=True)
_OPTION_CLAIM = _returned("Some|None")


def _param_types(item: RustItem) -> str:
    return " ".join(p.type or "" for p in item.params) if item.is_fn else ""


def contradicted(item: RustItem, sentence: str) -> str | None:
    """What a sentence claims about the item's value that its signature contradicts, or None:
    `true`/`false` without a `bool`, `Ok`/`Err` or "returns an error" without a `Result`,
    `Some`/`None` without an `Option`, "Returns" of a function that returns nothing. The return
    type is the resolved one (`Fallible<T>` is a `Result`: the pipeline expands aliases first)."""
    if item.kind in ("macro", "mod", "trait") or not _CLAIM_START.match(sentence):
        return None  # no value of their own to contradict, or not a claim about the item's value
    if item.kind in ("struct", "enum", "union", "variant"):
        return f"a {item.kind} is not a `bool`" if _BOOL_CLAIM.search(sentence) else None
    value = value_type(item) or ""
    params = _param_types(item)
    if item.is_fn and value in ("", "()", "!") and re.match(r"^\W*(?:\w+\s+){0,3}?returns?\b", sentence, re.I):
        return "it returns nothing"
    if _BOOL_CLAIM.search(sentence) and not re.search(r"\bbool\b", value + " " + params):
        return f"`{value}` is not a `bool`" if value else "it is not a `bool`"
    if _RESULT_CLAIM.search(sentence) and not re.search(r"Result|Error|\bErr\b", value + " " + params):
        if not (item.is_fn and returns_result_like(item)):
            return f"`{value}` is not a `Result`" if value else "it returns no `Result`"
    if _OPTION_CLAIM.search(sentence) and "Option" not in value + " " + params:
        return f"`{value}` is not an `Option`" if value else "it returns no `Option`"
    return None


CLAIMLESS_SECTIONS = frozenset({"panics", "safety", "examples", "example"})
"""Sections whose sentences are not about the item's value (`Err` in "Panics if `x` is an `Err`")."""


def _claim_sentences(doc: str) -> list[tuple[int, str]]:
    """(line, sentence) of the prose that may speak of the item's value: not under `# Panics` or `# Safety`."""
    found = []
    line = 0
    section = None
    for block in _blocks(doc):
        if block.kind == "heading":
            section = block.title
        elif block.kind in ("prose", "list") and section not in CLAIMLESS_SECTIONS:
            found += [(line, s) for s in _sentences(block.lines)]
        line += len(block.lines)
    return found


def contradicted_sentences(item: RustItem, doc: str) -> list[tuple[int, str]]:
    return [(line, s) for line, s in _claim_sentences(doc) if contradicted(item, s)]


def remove_contradicted(item: RustItem, doc: str) -> tuple[str, str | None]:
    """The doc without the sentences the signature contradicts, and what that did to the summary."""
    marked = {s for _, s in contradicted_sentences(item, doc)}
    return _drop_sentences(doc, lambda s: s in marked) if marked else (doc, None)


COPY_RUN = 10
"""Consecutive words shared with another item's doc that make a copy (the issue's measure)."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower().replace("`", ""))


def word_runs(text: str, size: int = COPY_RUN) -> set[tuple[str, ...]]:
    """Every run of `size` consecutive words of a text (lower case, punctuation and backticks gone)."""
    words = _words(text)
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


class DocRuns:
    """Every run of COPY_RUN words of a set of docs, with the items whose doc holds it (keyed as
    `retrieval.item_key`): what a new doc may not copy from. The crate context keeps one of the
    crate's documented items (a small model recalls a neighbour's doc from its pretraining even
    when no prompt showed it); the eval's measure is one of the whole dataset."""

    def __init__(self, docs: Iterable[tuple[str, str]] = (), size: int = COPY_RUN, *, base: "DocRuns | None" = None) -> None:
        self.size = size
        self.base = base
        """More docs looked at too (the eval's dataset under a crate context's own files)."""
        self._owners: dict[tuple[str, ...], set[str]] = {}
        for key, doc in docs:
            self.add(key, doc)

    def add(self, key: str, doc: str) -> None:
        for run in word_runs(doc, self.size):
            self._owners.setdefault(run, set()).add(key)

    def _owners_of(self, run: tuple[str, ...]) -> set[str]:
        owners = self._owners.get(run, set())
        return owners | self.base._owners_of(run) if self.base is not None else owners

    def others(self, run: tuple[str, ...], own: str | None) -> bool:
        """Whether an item other than `own` has this run in its doc."""
        return bool(self._owners_of(run) - {own})

    def copied_from(self, own: str | None, doc: str, own_doc: str = "") -> set[str]:
        """The items other than `own` whose doc `doc` shares a run with (runs of `own_doc`, the
        item's own human doc, are not copies)."""
        mine = word_runs(own_doc, self.size)
        return {k for run in word_runs(doc, self.size) - mine for k in self._owners_of(run) if k != own}


def copied_sentences(
    doc: str, others: Iterable[str] = (), size: int = COPY_RUN, *, known: DocRuns | None = None, own: str | None = None
) -> list[tuple[int, str]]:
    """Sentences and list entries of `doc` that hold words of a run of `size` words shared with
    one of `others` (the retrieved examples' docs) or with another item's doc in `known` (`own`
    is the item's key there); a run across two sentences marks both."""
    runs = set().union(*(word_runs(o, size) for o in others)) if others else set()
    if not runs and known is None:
        return []
    prose = _prose_sentences(doc)
    words = [(index, word) for index, (_, sentence) in enumerate(prose) for word in _words(sentence)]
    marked: set[int] = set()
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        run = tuple(word for _, word in window)
        if run in runs or (known is not None and known.size == size and known.others(run, own)):
            marked.update(index for index, _ in window)
    return [prose[index] for index in sorted(marked)]


def remove_copied(doc: str, others: Iterable[str], known: DocRuns | None = None, own: str | None = None) -> tuple[str, str | None]:
    """The doc without what it copied from the retrieved examples or another item of the crate,
    and what that did to the summary."""
    marked = {s for _, s in copied_sentences(doc, tuple(others), known=known, own=own)}
    return _drop_sentences(doc, lambda s: s in marked) if marked else (doc, None)


# --- 8. sections no Rust doc needs ----------------------------------------------------------

NEEDLESS_SECTIONS = frozenset({*ARGUMENT_SECTIONS, "returns", "return", "return value", "return values", "returns value"})
"""Lower-cased headings rustdoc's conventions have no use for: parameters and the return value are
said in prose (RFC 1574, the API guidelines)."""

_NOTHING_TO_SAY = re.compile(
    r"^(?:(?:this|the|it|that)\s+(?:\w+\s+){0,2}?)?(?:does\s+not|doesn't|do\s+not|will\s+not|won't|never|cannot|can't|should\s+not)\s+"
    r"(?:\w+\s+){0,2}?(?:panic|fail|error|return\s+(?:an?\s+)?errors?|be\s+unsafe|have\s+(?:any\s+)?(?:safety|errors|side))"
    r"|^(?:none|n/?a|nothing|no\s+(?:errors?|panics?|safety\s+\w+)|not\s+applicable)\b",
    re.I,
)


def _section_spans(blocks: list[_Block]) -> list[tuple[int, int, str]]:
    """(heading index, end index, lower-cased title) of each section: its heading and what stands
    under it, up to the next heading of its level or above."""
    spans = []
    for index, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        level = _level(block)
        end = next((j for j in range(index + 1, len(blocks)) if blocks[j].kind == "heading" and _level(blocks[j]) <= level), len(blocks))
        title = block.title.strip("*_: ")
        spans.append((index, end, title))
    return spans


def _says_nothing(blocks: list[_Block]) -> bool:
    text = " ".join(" ".join(b.lines) for b in blocks if b.kind in ("prose", "list")).strip()
    if any(b.kind == "code" for b in blocks):
        return False
    return not text or all(_NOTHING_TO_SAY.match(s.strip(" -*")) for s in _SENTENCE_END.split(text))


def needless_sections(doc: str) -> list[tuple[int, str]]:
    """(line, title) of each section the doc does not need: `# Arguments`, `# Returns` and their
    kin, and sections that say there is nothing to say ("This function does not panic.")."""
    blocks = _blocks(doc)
    lines = [0]
    for block in blocks:
        lines.append(lines[-1] + len(block.lines))
    return [
        (lines[start], title)
        for start, end, title in _section_spans(blocks)
        if title in NEEDLESS_SECTIONS or _says_nothing(blocks[start + 1 : end])
    ]


def remove_needless_sections(doc: str) -> str:
    """The doc without the sections `needless_sections` finds (a required one the item lacks
    afterwards is written by repair, from the code)."""
    blocks = _blocks(doc)
    drop: set[int] = set()
    for start, end, title in _section_spans(blocks):
        if title in NEEDLESS_SECTIONS or _says_nothing(blocks[start + 1 : end]):
            drop.update(range(start, end))
    return _render(b for i, b in enumerate(blocks) if i not in drop) if drop else doc


# --- 9. well-formed Markdown -----------------------------------------------------------------


def malformed(doc: str) -> bool:
    """Whether the doc is malformed Markdown: a paragraph with a backtick that opens no code span
    (an odd count), or a code fence never closed."""
    return bool(unbalanced_backticks(doc)) or any(not b.closed for b in code_blocks(doc))


def well_formed(doc: str) -> str:
    """The doc with every paragraph well-formed: sentences and list entries leaving a code span open
    dropped (a paragraph still unbalanced, whole), and a fence left open closed."""
    if any(open_code_span(t) for _, t in _prose_sentences(doc)):
        doc = _drop_sentences_only(doc, open_code_span)
    bad = {line for line, _ in unbalanced_backticks(doc)}
    if bad:
        blocks, kept, line = _blocks(doc), [], 0
        for block in blocks:
            if not (block.kind in ("prose", "list") and any(line <= n < line + len(block.lines) for n in bad)):
                kept.append(block)
            line += len(block.lines)
        doc = _drop_empty_headings(kept)
    blocks = code_blocks(doc)
    if blocks and not blocks[-1].closed:
        fence = FENCE.match(doc.split("\n")[blocks[-1].start_line])
        doc = doc.rstrip("\n") + "\n" + (fence.group(1) if fence else "```")
    return normalize_doc(doc)


# --- 10. what opens the doc -------------------------------------------------------------------

_DANGLING = frozenset(
    "it its they their them these those also however but and or so otherwise then additionally furthermore "
    "moreover note hence thus alternatively instead".split()
)
"""First words that lean on a sentence before them: such a sentence cannot open a doc."""


def opens_with_summary(doc: str) -> bool:
    """Whether the doc opens with a sentence that can stand alone as its summary: prose, not a
    heading, list or code, and not leaning on a sentence before it ("It also ...")."""
    sentence = summary_sentence(doc)
    if sentence is None:
        return False
    words = re.findall(r"[A-Za-z']+", sentence)
    return bool(words) and words[0].lower() not in _DANGLING


# --- findings ----------------------------------------------------------------------------


def guard_findings(
    item: RustItem,
    doc: str,
    names: NameIndex | None = None,
    context_code: Iterable[str] = (),
    examples: Iterable[str] = (),
    *,
    known: DocRuns | None = None,
    own: str | None = None,
) -> list[Finding]:
    """The guard's findings on a doc or a raw answer: chat leftovers, echoed code, repetition,
    ungrounded names, a summary of the wrong shape, claims the signature contradicts, words copied
    from `examples` (the retrieved docs), needless sections, malformed Markdown, an unfinished last
    sentence, a doc over its kind's budget."""
    findings = [guard_finding("chat-leftover", "chat-template text in the doc", n) for n in chat_leftover_lines(doc)[:1]]
    echoes = [start for start, _ in _echo_line_ranges(item, doc)] + [n for n, t in _prose_sentences(doc) if echoes_inline(item, t)]
    for start in sorted(echoes)[:1]:
        findings.append(guard_finding("echoed-code", f"the doc restates {item.label} as code instead of using it", start))
    for line, text in repetitions(doc)[:1]:
        findings.append(guard_finding("repetition", f"repeats itself: {text[:60]!r}", line))
    for line, _ in [(n, t) for n, t in _prose_sentences(doc) if meta_talk(t)][:1]:
        findings.append(guard_finding("meta-talk", "talks about the code or the answer instead of documenting the item", line))
    for line, text in wrong_kind_sentences(item, doc)[:1]:
        findings.append(guard_finding("wrong-kind", f"calls {item.label} a {wrong_kind(item, text)}", line))
    for mention in ungrounded_mentions(item, doc, names, context_code=context_code):
        findings.append(guard_finding("ungrounded-identifier", f"`{mention.name}` names nothing in the item, the crate, std or a dependency", mention.line, mention.col))
    if misshapen_summary(item, doc):
        findings.append(guard_finding("misshapen-summary", f"the summary of {item.label} says what a function does, not what the {item.kind} is", 0))
    for line, text in contradicted_sentences(item, doc)[:1]:
        findings.append(guard_finding("contradicted-claim", f"the signature contradicts {text[:60]!r}: {contradicted(item, text)}", line))
    for line, text in copied_sentences(doc, tuple(examples), known=known, own=own)[:1]:
        findings.append(guard_finding("copied-doc", f"copied from another item's doc: {text[:60]!r}", line))
    for line, title in needless_sections(doc)[:1]:
        findings.append(guard_finding("needless-section", f"the `# {title.title()}` section says nothing the doc needs", line))
    if malformed(doc):
        findings.append(guard_finding("malformed-markdown", "a code span or code fence is left open"))
    tail = unfinished_tail(doc)
    tail = next((n for n, t in _prose_sentences(doc) if open_code_span(t)), tail)
    if tail is not None:
        findings.append(guard_finding("unfinished-sentence", "the doc ends mid-sentence", tail))
    if over_budget(item, doc):
        budget = budget_of(item)
        findings.append(guard_finding("over-length", f"longer than a {item.kind}'s doc gets ({budget.paragraphs} paragraphs, {budget.chars} characters)"))
    return findings


def repeats_itself(text: str) -> bool:
    """Whether a partial answer has started to loop: its last complete sentence or line repeats an
    earlier one. Cheap enough to ask after every few tokens (the decode stop condition)."""
    done = text[: max(text.rfind("\n"), *(text.rfind(p) for p in ". ! ?".split())) + 1]
    lines = [line.strip() for line in done.split("\n") if line.strip() and not FENCE.match(line)]
    if len(lines) >= 3 and len(lines[-1]) > 2 and lines[-1] == lines[-2] == lines[-3]:
        return True
    sentences = [s for s in _SENTENCE_END.split(" ".join(lines)) if len(s.split()) >= 3]
    if not sentences:
        return False
    return _repeats(_key(sentences[-1]), {_key(s) for s in sentences[:-1]}) or has_word_loop(sentences[-1])


# --- the guard ---------------------------------------------------------------------------


def guard_answer(
    item: RustItem,
    raw: str,
    *,
    names: NameIndex | None = None,
    context_code: Iterable[str] = (),
    examples: Iterable[str] = (),
    known: DocRuns | None = None,
    own: str | None = None,
    error_meanings: Mapping[str, str] | None = None,
) -> FinishedDoc:
    """The doc to insert for `item`, from a generator's raw answer.

    `names` is the crate's name index (None: only the item, its context and std count as
    real); `context_code` is code around the item the prompt showed (sibling signatures,
    `use` lines), whose names are real too; `examples` are the docs of the retrieved examples
    the prompt showed, and `known` the docs of the crate's documented items (`own`: the item's
    key among them), none of which the doc may copy. `error_meanings` (the crate's error types,
    `section_text.error_type_meanings`) lets a `# Errors` the guard adds say what the error is.
    """
    from rustdoc_core.generation.prompt import parse_completion
    from rustdoc_core.generation.repair import repair_doc
    from rustdoc_core.generation.template import template_doc

    context_code = tuple(context_code)
    examples = tuple(examples)
    steps: list[str] = []
    summary: set[str] = set()  # what the cuts did to the summary paragraph

    def step(code: str, before: str, after: str) -> str:
        if normalize_doc(after) != normalize_doc(before) and code not in steps:
            steps.append(code)
        return after

    def cut(code: str, before: str, removed: tuple[str, str | None]) -> str:
        if removed[1] is not None:
            # A summary cut as degenerate (echoed code, talk about "the code", the wrong kind)
            # discredits the rest of its paragraph: nothing of it is promoted.
            summary.add(SUMMARY_LOST if code in DEGENERATE else removed[1])
        return step(code, before, removed[0])

    as_written = parse_completion(raw)
    text = step("chat-leftover", raw, strip_chat_leftovers(raw))
    if _DOC_COMMENT_ANSWER.match(text):
        # The doc as `///` lines in a code block, the item's code after them (the examples' own
        # form): the doc is what the lines say; the code after them goes as an echo.
        doc = parse_completion(text)
        text = step("echoed-code", text, doc) if restates_item(item, text) else doc
    text = parse_completion(step("echoed-code", text, remove_echoed_code(item, text)))
    text = cut("echoed-code", text, remove_inline_echo(item, text))
    text = step("repetition", text, cut_repetition(text))
    text = step("unfinished-sentence", text, drop_unfinished_tail(text))
    text = step("needless-section", text, remove_needless_sections(text))
    text = step("over-length", text, apply_budget(item, text))
    text = cut("wrong-kind", text, remove_wrong_kind(item, text))
    text = cut("meta-talk", text, remove_meta_talk(item, text))
    text = cut("ungrounded-identifier", text, remove_ungrounded(item, text, names, context_code))
    text = cut("copied-doc", text, remove_copied(text, examples, known, own))
    text = cut("contradicted-claim", text, remove_contradicted(item, text))
    for _ in range(3):  # a cut summary lets its next sentence up, which may be misshapen too
        before = text
        text = cut("misshapen-summary", text, reshape_summary(item, text))
        if text == before:
            break
    if SUMMARY_LOST in summary or not opens_with_summary(text):
        # Nothing the answer said first is fit to open the doc: the template's doc alone, never
        # its summary glued above the answer's words.
        return FinishedDoc(template_doc(item, error_meanings=error_meanings), Provenance.TEMPLATE, tuple(steps))
    if SUMMARY_CUT in summary:
        steps.append("promoted-summary")
    repaired = repair_doc(item, text, error_meanings=error_meanings)
    if repaired.origin == Provenance.TEMPLATE:
        return FinishedDoc(repaired.text, Provenance.TEMPLATE, tuple(steps))
    final = normalize_doc(step("malformed-markdown", repaired.text, well_formed(repaired.text)))
    if any(f.severity == "error" for f in guard_findings(item, final, names, context_code, examples, known=known, own=own)):
        return FinishedDoc(template_doc(item, error_meanings=error_meanings), Provenance.TEMPLATE, tuple(steps))
    if steps and final == normalize_doc(template_doc(item, error_meanings=error_meanings)):
        return FinishedDoc(final, Provenance.TEMPLATE, tuple(steps))  # nothing of the answer is left
    kept = not steps and final == normalize_doc(as_written)
    return FinishedDoc(final, Provenance.MODEL if kept else Provenance.REPAIRED, tuple(steps))
