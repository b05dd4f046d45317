"""The prompt format: a Rust item (plus bounded context) to chat messages for
Qwen2.5-Coder's chat template, and the model's answer back to doc text.

Training, eval and serving all call these functions, so what the model learned
is what it is asked. Change the format, bump PROMPT_FORMAT_VERSION: a model
records the version it was trained with.

Format v2 added retrieval: documented neighbours of the item (`PromptContext.examples`,
found by `rustdoc_core.generation.retrieval`) shown as examples, their doc above their signature,
bounded by MAX_EXAMPLES and MAX_EXAMPLES_CHARS.

Format v3 orders the parts by how many successive prompts share them, so that llama.cpp's
prefix reuse skips what the prompt before had: the system prompt (every prompt), then the
file's context (module, imports; the container and its members, shared by the items of one
impl or type), then what is the item's own (its examples, what to write, its code).

Format v4 asks for a summary of the item's kind's shape (`item_request`): a fn says what it does
("Returns ...", never when it returns nothing), a type what it is, a field or variant what its value
means, in one sentence; the system prompt forbids `# Arguments`/`# Returns` and empty sections.

Format v5 lists a container's members whole, the item among them ("Nearby items"), so that the
items of one impl or type share that list too, not only its part before the item: in `generate`
the model then evaluates about half as many tokens per item.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from rustdoc_core.docs.text import normalize_doc
from rustdoc_core.rust.items import RustItem, RustSource

PROMPT_FORMAT_VERSION = 5

READABLE_PROMPT_FORMATS = (1, 2, 3, 4, 5)
"""Record versions whose item and context this format can render: training renders every
prompt anew (`retrieval.record_prompt`), so the version a dataset was mined with only says
what its stored `prompt` field looks like."""

PROMPT_RENDERINGS = ("chat", "plain")
"""How the messages reach a model: through its own chat template ("chat"), or, for a
base model without one, as one plain text that the doc continues ("plain")."""

GGUF_RENDERING_KEY = "rustdoc_gen.prompt_rendering"
"""GGUF metadata key naming the rendering a model was trained with (absent: "chat")."""

PLAIN_ANSWER_CUE = "Rustdoc comment:\n"
"""The last line of a plain rendering: the doc starts right after it."""

PLAIN_STOP = ("\n\n\n", "\nItem:\n", "\nWrite the rustdoc comment for", "\n```rust\n")
"""Where a plain-rendered answer ends when the model does not stop by itself."""

MAX_ITEM_CHARS = 1600
MAX_SIBLINGS = 8
MAX_USE_LINES = 10
MAX_CONTEXT_LINE_CHARS = 160

MAX_EXAMPLES = 3
"""Documented neighbours shown at most (retrieval's default k)."""
MAX_EXAMPLE_DOC_CHARS = 480
"""One example's doc at most: its first paragraphs that fit (a code block whole or not at all)."""
MAX_EXAMPLES_CHARS = 1200
"""The examples section at most, headings and fences included (about 300 to 400 tokens of
Rust and English); examples that would pass it are left out, the best ranked first kept."""
EXAMPLES_HEADING = "Documented items of this crate, to follow in wording and style:"

SYSTEM_PROMPT = (
    "You write rustdoc comments for Rust code, in the voice of the crate's own docs. Answer with the doc's "
    "Markdown text itself: no code block around it, no `///` markers, no code of the item. Start with a "
    "one-sentence summary of the shape the request asks for; most items need nothing more, and a longer doc "
    "stays short. Put identifiers and code in backticks, and name only what the code shows. Never write "
    "`# Arguments`, `# Parameters` or `# Returns` sections, nor a section that says there is nothing to say. "
    "Add `# Errors` when a public function returns `Result`, `# Panics` when it can panic, `# Safety` for "
    "`unsafe` functions and traits, and `# Examples` only with Rust code that compiles."
)
"""The shared first part of every prompt (llama.cpp reuses it across items): what any doc is. What
each kind's summary looks like is the item's own request (`item_request`)."""


@dataclass(frozen=True)
class PromptExample:
    """A documented item shown to the model as an example: its signature and its doc."""

    signature: str
    doc: str


@dataclass(frozen=True)
class PromptContext:
    """What surrounds an item, bounded so prompts stay short."""

    container_header: str | None = None
    sibling_signatures: tuple[str, ...] = ()
    use_lines: tuple[str, ...] = ()
    module_path: tuple[str, ...] = ()
    examples: tuple[PromptExample, ...] = ()
    """Documented neighbours (retrieval), best first; empty without retrieval."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PromptContext":
        return cls(
            container_header=data.get("container_header"),
            sibling_signatures=tuple(data.get("sibling_signatures", ())),
            use_lines=tuple(data.get("use_lines", ())),
            module_path=tuple(data.get("module_path", ())),
            examples=tuple(PromptExample(e["signature"], e["doc"]) for e in data.get("examples", ())),
        )

    def with_examples(self, examples: "tuple[PromptExample, ...] | list[PromptExample]") -> "PromptContext":
        return replace(self, examples=tuple(examples))


class FilePrompts:
    """The prompt contexts of one parsed file, read in one pass: its items grouped by container
    and its `use` lines, so that a context costs the item's few siblings, not the whole file."""

    def __init__(self, source: RustSource):
        self.source = source
        self.data = source.data
        """The text this was read from: an edited source needs a new reading."""
        self._groups: dict[tuple, list[RustItem]] = {}
        for item in source.items():
            group = self._groups.setdefault(tuple(item.containers), [])
            if item.kind not in ("field", "variant") and len(group) < MAX_SIBLINGS:
                group.append(item)
        self.use_lines = tuple(_clip(u) for u in source.use_lines(MAX_USE_LINES))

    def context_for(self, item: RustItem) -> PromptContext:
        """Context for `item`: its container's header, its members' signatures (the first
        MAX_SIBLINGS, the same list for each of them: the item may be among them), use lines."""
        container = item.containers[-1] if item.containers else None
        members = [_clip(other.signature) for other in self._groups.get(tuple(item.containers), ())]
        return PromptContext(
            container_header=_clip(container.header) if container is not None else None,
            sibling_signatures=tuple(members),
            use_lines=self.use_lines,
            module_path=item.module_path,
        )


def prompt_context(source: RustSource, item: RustItem) -> PromptContext:
    """Context for one `item` in `source` (for many items of a file, use one `FilePrompts`)."""
    return FilePrompts(source).context_for(item)


def item_code(item: RustItem) -> str:
    """The item as shown to the model: attributes and source, long bodies cut."""
    lines = [f"{item.indent}{a}" for a in item.attributes]
    code = item.indent + item.source
    if len(code) > MAX_ITEM_CHARS:
        kept = code[:MAX_ITEM_CHARS].rsplit("\n", 1)[0]
        hidden = code.count("\n") - kept.count("\n")
        code = f"{kept}\n{item.indent}    // ... {hidden} more lines\n{item.indent}}}"
    lines.append(code)
    return _dedent("\n".join(lines))


def build_messages(item: RustItem, context: PromptContext) -> list[dict[str, str]]:
    """System and user messages asking for `item`'s doc: what successive items of a file share
    first, what is the item's own last (see the module doc)."""
    parts = []
    if context.module_path:
        parts.append(f"Module: `{'::'.join(context.module_path)}`")
    if context.use_lines:
        parts.append("Imports:\n" + "\n".join(context.use_lines))
    if context.container_header:
        parts.append(f"Inside: `{context.container_header}`")
    if context.sibling_signatures:
        parts.append("Nearby items:\n" + "\n".join(f"- `{s}`" for s in context.sibling_signatures))
    shown = examples_section(context.examples)
    if shown:
        parts.append(shown)
    parts.append(item_request(item))
    parts.append(f"Item:\n```rust\n{item_code(item)}\n```")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def item_request(item: RustItem) -> str:
    """What to write for this item: the one part of the request that depends on its kind (the
    summary's shape: what a fn does, what a type is, what a field's or variant's value means)."""
    return f"Write the rustdoc comment for `{item.label}`. {summary_shape(item)}"


def summary_shape(item: RustItem) -> str:
    """The summary a doc of this item opens with, as the request words it: one shape, with one
    opening word at most (a small model writes every opening it is offered, one per line)."""
    kind = item.kind
    if item.is_fn or kind == "macro":
        returns = (item.return_type or "").strip() if item.is_fn else "?"
        if returns == "bool":
            return "Its summary says when it returns `true`: \"Returns `true` if ...\"."
        verb = _opening_verb(item)
        if returns in ("", "()", "!"):
            return f"Its summary says what it does, in the third person (\"{verb or 'Sets'} ...\"); it returns nothing, so never \"Returns ...\"."
        return f"Its summary says what it does, in the third person: \"{verb or 'Returns'} ...\"."
    if kind in ("struct", "union", "enum"):
        return "Its summary says what the type is, as a noun phrase (\"A ...\"), not what it returns."
    if kind == "trait":
        return "Its summary says what the trait is for (\"A trait for ...\")."
    if kind == "type":
        return "Its summary says what the alias stands for (\"A ...\")."
    if kind == "field":
        if value_type(item) == "bool":
            return "One short sentence on what the value means: \"Whether ...\"."
        return "One short sentence on what the value means (\"The ...\"), not the field's name or type."
    if kind == "variant":
        return "One short sentence on what this variant means, not its name or type."
    if kind in ("const", "static"):
        return "One short sentence on what the value is for (\"The ...\"), not its name or type."
    if kind == "mod":
        return "Its summary says what the module provides."
    return "Its summary says what it is."


def _opening_verb(item: RustItem) -> str | None:
    """The verb the template engine opens this fn's summary with ("Sets", "Creates", "Parses"),
    read from its name and signature; None where it has none."""
    from rustdoc_core.generation.template import summary

    word = summary(item).split(" ", 1)[0]
    return word if word.isalpha() and word[:1].isupper() and word.endswith("s") and word not in ("This", "Its") else None


def value_type(item: RustItem) -> str | None:
    """The type of the value an item is or gives: a fn's return type, a field's, constant's or
    static's type, what a type alias stands for; None for other kinds (and a fn returning nothing)."""
    if item.is_fn:
        return (item.return_type or "").strip() or None
    if item.kind in ("field", "const", "static"):
        head = item.signature.split("=", 1)[0]
        return head.split(":", 1)[1].strip() if ":" in head else None
    if item.kind == "type" and "=" in item.signature:
        return item.signature.split("=", 1)[1].strip().rstrip(";").strip()
    return None


def examples_section(examples: tuple[PromptExample, ...]) -> str:
    """The examples as one Rust block, each doc as `///` lines above its signature, within
    MAX_EXAMPLES_CHARS (an example that does not fit is left out, not cut)."""
    shown: list[str] = []
    size = len(EXAMPLES_HEADING) + len("\n```rust\n\n```")
    for example in examples[:MAX_EXAMPLES]:
        doc = clip_doc(example.doc, MAX_EXAMPLE_DOC_CHARS)
        if not doc:
            continue
        lines = [f"/// {line}".rstrip() for line in doc.split("\n")]
        block = "\n".join([*lines, _clip(example.signature)])
        if size + len(block) + 2 > MAX_EXAMPLES_CHARS:
            continue
        size += len(block) + 2
        shown.append(block)
    return EXAMPLES_HEADING + "\n```rust\n" + "\n\n".join(shown) + "\n```" if shown else ""


def clip_doc(doc: str, limit: int) -> str:
    """The first blocks of `doc` (paragraphs, lists, whole code blocks) within `limit` characters;
    a first paragraph longer than that is cut at a word."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in normalize_doc(doc).split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    kept: list[str] = []
    size = 0
    for block in blocks:
        if size + len(block) + 2 * len(kept) > limit:
            break
        kept.append(block)
        size += len(block)
    if not kept and blocks and not blocks[0].lstrip().startswith("```"):
        cut = blocks[0][: limit - 1].rsplit(" ", 1)[0]
        kept = [cut.rstrip(",;:") + "…"]
    return "\n\n".join(kept)


def render_plain(messages: list[dict[str, str]]) -> str:
    """The prompt text for a model without a chat template: the same messages, the doc follows."""
    parts = [m["content"] for m in messages if m["role"] in ("system", "user")]
    return "\n\n".join(parts) + "\n\n" + PLAIN_ANSWER_CUE


def training_record(item: RustItem, context: PromptContext, doc: str) -> dict[str, list[dict[str, str]]]:
    """A record in trl's conversational prompt/completion shape: loss falls on the doc only."""
    return {
        "prompt": build_messages(item, context),
        "completion": [{"role": "assistant", "content": normalize_doc(doc)}],
    }


_MARKER = re.compile(r"^\s*(///|//!)\s?")
_WRAPPING_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n```\s*$", re.S)
_CODE_START = re.compile(r"^\s*(#\[|pub(\(\w+\))?\s|fn\s|impl[\s<]|struct\s|enum\s|trait\s|const\s|static\s|type\s|mod\s|unsafe\s|async\s|macro_rules!)")


def parse_completion(text: str) -> str:
    """The model's answer to clean doc text: no chat tokens, wrapping fences, `///` or echoed code."""
    text = text.replace("<|im_end|>", "").replace("<|endoftext|>", "").strip()
    wrapped = _WRAPPING_FENCE.match(text)
    if wrapped and (wrapped.group(1).lstrip().startswith("///") or not text.startswith("```rust") or _is_prose(wrapped.group(1))):
        text = wrapped.group(1)
    lines = text.split("\n")
    if any(_MARKER.match(line) for line in lines):
        # A `///` answer: keep the marked lines, drop the echoed item after them.
        kept = []
        for line in lines:
            if _MARKER.match(line):
                kept.append(_MARKER.sub("", line, count=1))
            elif kept and line.strip():
                break
        lines = kept
    else:
        while lines and _CODE_START.match(lines[-1]):
            lines.pop()
    return normalize_doc("\n".join(line.rstrip() for line in lines))


def _is_prose(text: str) -> bool:
    """Whether a block a model fenced as Rust is English (the 0.5B wraps its one-line answers so)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return (
        bool(lines)
        and re.match(r"^[A-Z][a-z]+\s", lines[0]) is not None
        and not any(_CODE_START.match(line) or line.endswith((";", "{", "}", ",")) for line in lines)
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CONTEXT_LINE_CHARS else text[: MAX_CONTEXT_LINE_CHARS - 1] + "…"


def _dedent(code: str) -> str:
    lines = code.split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)
