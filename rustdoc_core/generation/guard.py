"""The output guard: what stands between a generator's raw answer and the user's file.

Every backend's answer goes through `finish(item, raw)`. Small real models loop on a
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
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from rustdoc_core.docs.checker import Finding
from rustdoc_core.docs.text import FENCE, HEADING, code_blocks, normalize_doc
from rustdoc_core.generation.grounding import NameIndex, ungrounded_mentions
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.rust.items import RustItem

"""What the guard did to an answer: kept as written, repaired, or replaced by the template's doc."""

GUARD_SEVERITY = {
    "repetition": "error",
    "echoed-code": "error",
    "ungrounded-identifier": "error",
    "chat-leftover": "error",
    "wrong-kind": "error",
    "meta-talk": "error",
    "unfinished-sentence": "warning",
    "over-length": "warning",
}
"""The guard's finding codes and their severities (the checker's own are in `doc_checker.SEVERITY`)."""

STEPS = (*GUARD_SEVERITY, "template-summary")
"""What `finish` can do to an answer, as recorded in `FinishedDoc.steps`: each finding code it
removed the cause of, and `template-summary` when the summary was replaced by the template's."""


@dataclass(frozen=True)
class Budget:
    """How much doc an item kind gets: prose paragraphs, characters of prose, code blocks."""

    paragraphs: int
    chars: int
    code_blocks: int


SMALL_KINDS = ("field", "variant", "const", "static", "type")
BUDGETS = {kind: Budget(2, 320, 0) for kind in SMALL_KINDS}
"""Fields, variants, constants, statics and type aliases get their summary and one more short
paragraph at most; every other kind gets `DEFAULT_BUDGET`."""
DEFAULT_BUDGET = Budget(8, 1600, 3)


@dataclass(frozen=True)
class FinishedDoc:
    """A doc ready to insert, and what the guard did to the answer it came from."""

    text: str
    provenance: Provenance  # MODEL (kept as written), REPAIRED or TEMPLATE (replaced)
    steps: tuple[str, ...] = ()  # of STEPS, in the order they applied


def guard_finding(code: str, message: str, line: int | None = None, col: int | None = None) -> Finding:
    return Finding(code, message, GUARD_SEVERITY[code], line, col)


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

_DEFINES = r"\b(?:fn|struct|enum|trait|type|const|static|union|mod)\s+{name}\b|\bmacro_rules!\s*{name}\b"


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
    for name in _defined_names(item):
        pattern = _DEFINES.format(name=re.escape(name))
        if re.search(pattern, code) and not (item.kind == "trait_method" and implements):
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
    """Whether a sentence quotes a definition of the item in a code span (`` `fn name(...)` ``)."""
    return any(re.search(_DEFINES.format(name=re.escape(name)), span) for span in re.findall(r"`([^`]+)`", sentence) for name in _defined_names(item))


def remove_inline_echo(item: RustItem, doc: str) -> tuple[str, bool]:
    return _drop_sentences(item, doc, lambda s: echoes_inline(item, s))


def remove_echoed_code(item: RustItem, text: str) -> str:
    """`text` without the code that restates the item (and without empty code blocks)."""
    lines = text.split("\n")
    drop = {n for start, end in _echo_line_ranges(item, text) for n in range(start, end)}
    return "\n".join(line for n, line in enumerate(lines) if n not in drop)


# --- paragraphs and sentences ------------------------------------------------------------

_LIST_MARK = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass
class _Block:
    kind: str  # "prose" | "list" | "heading" | "code" | "blank"
    lines: list[str]


def _blocks(doc: str) -> list[_Block]:
    lines = doc.split("\n")
    out: list[_Block] = []
    n = 0
    while n < len(lines):
        line = lines[n]
        fence = FENCE.match(line)
        if fence:
            end = n + 1
            while end < len(lines) and not (lines[end].strip().startswith(fence.group(1)) and not lines[end].strip()[len(fence.group(1)) :].strip()):
                end += 1
            out.append(_Block("code", lines[n : end + 1]))
            n = end + 1
        elif not line.strip():
            out.append(_Block("blank", [line]))
            n += 1
        elif HEADING.match(line):
            out.append(_Block("heading", [line]))
            n += 1
        elif _LINK_DEFINITION.match(line):
            out.append(_Block("linkdef", [line]))
            n += 1
        else:
            end = n
            while end < len(lines) and lines[end].strip() and not FENCE.match(lines[end]) and not HEADING.match(lines[end]) and not _LINK_DEFINITION.match(lines[end]):
                end += 1
            out.append(_Block("list" if _LIST_MARK.match(line) else "prose", lines[n:end]))
            n = end
    return out


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


def loops(text: str, *, phrases: bool = True) -> bool:
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


_CIRCULAR = re.compile(
    r"\b(\w+ \w+),? (?:that|which) (?:can be used|is used|allows?(?: \w+)?|lets? \w+) to (?:create|define|implement|build|represent|make) (?:an? |the )?(?:\w+ )?\1\b",
    re.I,
)


def circular(sentence: str) -> bool:
    """Whether a sentence defines a thing by itself ("a custom type that can be used to create a
    custom type"): small models fill a doc with these."""
    return _CIRCULAR.search(sentence.replace("`", "")) is not None


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
            if (key in seen and len(block.lines) > 2) or loops("\n".join(block.lines[1:-1]), phrases=False):
                found.append((line, block.lines[0]))
            seen.add(key)
        elif block.kind in ("prose", "list"):
            units = [" ".join(e) for e in _list_entries(block.lines)] if block.kind == "list" else _sentences(block.lines)
            for unit in units:
                key = _key(unit)
                if _repeats(key, seen) or loops(unit) or circular(unit):
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
            if key not in seen and not loops("\n".join(block.lines[1:-1]), phrases=False):
                out.append(block)
            seen.add(key)
        elif block.kind == "list":
            kept = []
            for entry in _list_entries(block.lines):
                key = _key(" ".join(entry))
                if not _repeats(key, seen) and not loops(" ".join(entry)):
                    kept.extend(entry)
                seen.add(key)
            out.append(_Block("list", kept))
        elif block.kind == "prose":
            sentences = _sentences(block.lines)
            kept_sentences = []
            for sentence in sentences:
                key = _key(sentence)
                if not _repeats(key, seen) and not loops(sentence) and not circular(sentence):
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
    match = HEADING.match(block.lines[0])
    return len(match.group(1)) if match else 0


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
    """The doc cut to its kind's budget: whole paragraphs and code blocks, in order, while they fit."""
    return _drop_empty_headings(_within_budget(budget_of(item), _blocks(doc))[0])


def budget_end(item: RustItem, doc: str, budget: Budget | None = None) -> int | None:
    """The line of `doc` from which `budget` (default: the item kind's) keeps nothing more, or None
    while all of it fits: where decoding can stop, since `apply_budget` would cut the rest."""
    blocks = _blocks(doc)
    full_at = _within_budget(budget or budget_of(item), blocks)[1]
    return None if full_at is None else sum(len(block.lines) for block in blocks[:full_at])


def _within_budget(budget: Budget, blocks: list[_Block]) -> tuple[list[_Block], int | None]:
    """The blocks `budget` keeps, and the index of the block from which it keeps no more (None: all fit)."""
    paragraphs = chars = codes = 0
    out: list[_Block] = []
    full_at: int | None = None
    for index, block in enumerate(blocks):
        if block.kind == "blank":
            out.append(block)
            continue
        if full_at is not None:
            continue
        if block.kind == "code":
            codes += 1
            if codes <= budget.code_blocks:
                out.append(block)
            continue
        if block.kind == "heading":
            if budget.code_blocks == 0:
                full_at = index  # small kinds: no sections
                continue
            out.append(block)
            continue
        size = sum(len(line.strip()) for line in block.lines)
        if paragraphs and (paragraphs + 1 > budget.paragraphs or chars + size > budget.chars):
            full_at = index
            continue
        paragraphs += 1
        chars += size
        out.append(block)
    return out, full_at


# --- 6. grounding and the item's kind ----------------------------------------------------

_KIND_WORDS = "struct|structure|enum|enumeration|trait|function|method|macro|constant|module|field|variant|union"
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
    named = re.search(rf"(?<![\w:])`?{re.escape(item.name)}(?:\(\))?`?\s+({_KIND_WORDS})\b", sentence, re.I)
    this = re.match(rf"^\s*(?:This|It)\s+(?:is\s+)?(?:an?\s+)?(?:[\w-]+\s+){{0,2}}?({_KIND_WORDS})\b", sentence)
    for match in (named, this):
        if match and match.group(1).lower() not in allowed:
            return match.group(1)
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


def remove_meta_talk(item: RustItem, doc: str) -> tuple[str, bool]:
    return _drop_sentences(item, doc, meta_talk)


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


def _drop_sentences(item: RustItem, doc: str, bad) -> tuple[str, bool]:
    """The doc without the sentences and list entries `bad` says cannot be saved; a summary with one
    becomes the template's summary. Also says whether the summary was replaced."""
    from rustdoc_core.generation.template import summary

    blocks = _blocks(doc)
    first = next((i for i, b in enumerate(blocks) if b.kind != "blank"), None)
    replaced = False
    out: list[_Block] = []
    for i, block in enumerate(blocks):
        if i == first and block.kind == "prose" and any(bad(s) for s in _sentences(block.lines)):
            out.append(_Block("prose", [summary(item)]))
            replaced = True
        elif block.kind == "list":
            out.append(_Block("list", [line for entry in _list_entries(block.lines) if not bad(" ".join(entry)) for line in entry]))
        elif block.kind == "prose":
            sentences = _sentences(block.lines)
            kept = [s for s in sentences if not bad(s)]
            out.append(block if kept == sentences else _Block("prose", _paragraph(block.lines, kept)))
        else:
            out.append(block)
    return _drop_empty_headings(out), replaced


def remove_wrong_kind(item: RustItem, doc: str) -> tuple[str, bool]:
    """The doc without sentences that call the item by another kind's name."""
    return _drop_sentences(item, doc, lambda s: wrong_kind(item, s) is not None)


def remove_ungrounded(item: RustItem, doc: str, names: NameIndex | None, context_code: Iterable[str] = ()) -> tuple[str, bool]:
    """The doc without the sentences (and list entries) that name what does not exist; an
    ungrounded summary becomes the template's summary. Also says whether that happened."""
    mentions = ungrounded_mentions(item, doc, names, context_code=context_code)
    if not mentions:
        return doc, False
    spans = {m.text for m in mentions}
    return _drop_sentences(item, doc, lambda s: any(f"`{t}`" in s or f"[{t}]" in s or f"({t})" in s for t in spans))


# --- findings ----------------------------------------------------------------------------


def guard_findings(item: RustItem, doc: str, names: NameIndex | None = None, context_code: Iterable[str] = ()) -> list[Finding]:
    """The guard's findings on a doc or a raw answer: chat leftovers, echoed code, repetition,
    ungrounded names, an unfinished last sentence, a doc over its kind's budget."""
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
    return _repeats(_key(sentences[-1]), {_key(s) for s in sentences[:-1]}) or loops(sentences[-1])


# --- the guard ---------------------------------------------------------------------------


def finish(item: RustItem, raw: str, *, names: NameIndex | None = None, context_code: Iterable[str] = ()) -> FinishedDoc:
    """The doc to insert for `item`, from a generator's raw answer.

    `names` is the crate's name index (None: only the item, its context and std count as
    real); `context_code` is code around the item the prompt showed (sibling signatures,
    `use` lines), whose names are real too.
    """
    from rustdoc_core.generation.prompt import parse_completion
    from rustdoc_core.generation.repair import repair_doc
    from rustdoc_core.generation.template import template_doc

    context_code = tuple(context_code)
    steps: list[str] = []

    def step(code: str, before: str, after: str) -> str:
        if normalize_doc(after) != normalize_doc(before) and code not in steps:
            steps.append(code)
        return after

    as_written = parse_completion(raw)
    text = step("chat-leftover", raw, strip_chat_leftovers(raw))
    text = parse_completion(step("echoed-code", text, remove_echoed_code(item, text)))
    inline, echo_summary = remove_inline_echo(item, text)
    text = step("echoed-code", text, inline)
    text = step("repetition", text, cut_repetition(text))
    text = step("unfinished-sentence", text, drop_unfinished_tail(text))
    text = step("over-length", text, apply_budget(item, text))
    kinded, wrong_summary = remove_wrong_kind(item, text)
    text = step("wrong-kind", text, kinded)
    plain, meta_summary = remove_meta_talk(item, text)
    text = step("meta-talk", text, plain)
    grounded, ungrounded_summary = remove_ungrounded(item, text, names, context_code)
    text = step("ungrounded-identifier", text, grounded)
    if echo_summary or wrong_summary or meta_summary or ungrounded_summary:
        steps.append("template-summary")
    repaired = repair_doc(item, text)
    if repaired.origin == Provenance.TEMPLATE:
        return FinishedDoc(repaired.text, Provenance.TEMPLATE, tuple(steps))
    final = normalize_doc(repaired.text)
    if any(f.severity == "error" for f in guard_findings(item, final, names, context_code)):
        return FinishedDoc(template_doc(item), Provenance.TEMPLATE, tuple(steps))
    if steps and final == normalize_doc(template_doc(item)):
        return FinishedDoc(final, Provenance.TEMPLATE, tuple(steps))  # nothing of the answer is left
    kept = not steps and final == normalize_doc(as_written)
    return FinishedDoc(final, Provenance.MODEL if kept else Provenance.REPAIRED, tuple(steps))
