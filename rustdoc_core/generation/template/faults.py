"""What a template doc must never contain, counted: the template's own fault checker.

The doc checker asks whether a doc follows rustdoc's and clippy's rules; this asks whether the
template said something wrong while following them. It is not run while writing (the template's
grammar refuses what it cannot build); the tests run it over a corpus of real items, and
`python -m bench template` prints its counts on held-out crates. Its codes:

- `doubled-word`: a prose word twice in a row ("for for");
- `some-params`: a summary that names some but not all of a fn's two or more named parameters;
- `none-and-err`: `None` and `Err` in one `# Panics` sentence (a value is one or the other);
- `glued-word`: a prose word that is two words or a name left unsplit (`commondir`, `GitCache`,
  `line1`);
- `broken-acronym`: a word in capitals that is neither a known acronym nor written so in the
  item ("AA", "LS");
- `article-before-non-noun`: "the"/"a"/"an" before a word that is no noun ("the yours",
  "a sealed.");
- `foreign-word`: a prose word of the summary that is neither the template's own nor from the
  item (its name, parameters, types, container, body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rustdoc_core.docs.english import (
    ABBREVIATIONS,
    ACRONYMS,
    FUNCTION_WORDS,
    PREPOSITIONS,
    glued_parts,
    is_adjective,
    is_adverb,
    named_params,
    singular,
    spelled_word,
    split_identifier,
    to_infinitive,
)
from rustdoc_core.rust.items import RustItem

FAULT_CODES = (
    "doubled-word", "some-params", "none-and-err", "glued-word", "broken-acronym", "article-before-non-noun", "foreign-word",
)


@dataclass(frozen=True)
class TemplateFault:
    code: str
    text: str
    """The words at fault, as the doc has them."""


TEMPLATE_WORDS = frozenset("""
a an the this that it its is are be to of for from with without into as at on by in over or and not no if
returns return creates conversion contents create new sets set whether true false one copy copies value values default number
elements element contains contain equal compares comparable they feeds given hasher releases resources held
advances iterator next last removes bounds remaining length dereferences mutably mutable reference references
inner borrows converts parses string tries try convert type runs program writes slice flushes writing out
any buffered data polls completion formats formatter overwrites consumes get skipping usual checks act
types trait builder kind error errors iterator set configuration options settings alias items related
wrapping wraps macro module function method struct enum union variant field constant static enabled if
matches match has can should must needs will whether mutable an over crate occur can that
panics panic unwraps unwrapping fails fail is an err none valid index into reached case assumed unreachable
because implemented yet reaches body operation operations assertion assertions index out bounds also places
where asserts indexes non-null properly aligned reads writes caller guarantee conditions checked version
verifies uphold invariants unsafe rely relies implementors guarantees documents memory safety greater less
than equal to not empty has root result which be fails one it
""".split())
"""The words the template's own sentence frames use."""


def _prose(text: str) -> str:
    """`text` with inline code spans replaced by a placeholder word."""
    return re.sub(r"`[^`]*`", " CODE ", text)


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z0-9'/-]*", _prose(text))


def item_words(item: RustItem) -> set[str]:
    """Every word the item gives: its identifiers (name, parameters, types, container, body)
    split and spelled as the template spells them, in lowercase."""
    out: set[str] = set()
    texts = [item.source, *(c.header for c in item.containers)]
    for identifier in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(texts))):
        for part in split_identifier(identifier):
            pieces = [part, *(glued_parts(part) or ())]
            for piece in pieces:
                out.add(piece.lower())
                out.update(w.lower() for w in spelled_word(piece).split())
                out.update(to_infinitive(piece.lower()).split())  # `lookup`: "looks up"
    return out


def _is_from(word: str, words: set[str]) -> bool:
    lower = word.lower()
    stems = {lower, singular(lower), lower[:-1], lower[:-2], lower[:-3] + "y", lower[:-2] + "e", lower + "s", lower + "es"}
    return bool(stems & words)


def template_faults(item: RustItem, doc: str) -> list[TemplateFault]:
    """The faults of `doc`, the template's doc for `item` (empty: none found)."""
    faults: list[TemplateFault] = []
    summary = doc.split("\n\n", 1)[0]
    for paragraph in doc.split("\n\n"):
        if paragraph.startswith("#"):
            continue  # a heading
        prose = _words(paragraph)
        for a, b in zip(prose, prose[1:]):
            if a != "CODE" and a.lower() == b.lower():
                faults.append(TemplateFault("doubled-word", f"{a} {b}"))
    params = named_params(item) if item.is_fn else []
    if len(params) >= 2:
        spans = set(re.findall(r"`([^`]*)`", summary.removeprefix(f"The `{item.name}`")))
        named = [p for p in params if p in spans]
        if named and len(named) < len(params):
            faults.append(TemplateFault("some-params", ", ".join(named)))
    panics = re.search(r"^# Panics\n\n(.*?)(?=\n# |\Z)", doc, re.S | re.M)
    if panics:
        for one in re.split(r"(?<=\.)\s+", panics.group(1)):
            if "`None`" in one and "`Err`" in one:
                faults.append(TemplateFault("none-and-err", one))
    source_words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", item.source))
    known_acronyms = ACRONYMS | set(ABBREVIATIONS.values())
    for word in _words(doc):
        if word == "CODE":
            continue
        if re.search(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]", word) and word not in known_acronyms:
            faults.append(TemplateFault("glued-word", word))
        elif word.isalpha() and word.islower() and glued_parts(word):
            faults.append(TemplateFault("glued-word", word))
        if len(word) > 1 and word.isupper() and word.isalpha() and word not in known_acronyms and word not in source_words:
            faults.append(TemplateFault("broken-acronym", word))
    for match in re.finditer(r"\b(the|a|an)\s+([A-Za-z][\w'/-]*)(\s*[.,:]|\s*$)?", _prose(summary), re.I):
        word, ends = match.group(2).lower(), match.group(3) is not None
        if word == "code":
            continue
        if word in FUNCTION_WORDS or word in PREPOSITIONS or is_adverb(word) or (ends and is_adjective(word)):
            faults.append(TemplateFault("article-before-non-noun", match.group(0).strip()))
    given = item_words(item)
    for word in _words(summary):
        if word == "CODE" or word.lower() in TEMPLATE_WORDS or _is_from(word, given):
            continue
        faults.append(TemplateFault("foreign-word", word))
    return faults
