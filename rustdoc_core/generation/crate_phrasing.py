"""The template's opening verb following the crate's own, from retrieved examples.

Crates phrase the same kinds of item their own way: clap writes "Get the help ...",
"Create a new ...", "Reports whether ... is set" where the template writes "Returns",
"Creates", "Returns `true` if". With retrieval on, the template's opening for a getter,
a constructor or a predicate takes the verb the item's documented neighbours of the
same shape agree on; nothing else of the template's doc changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rustdoc_core.generation.prompt import PromptExample

PREDICATE, CONSTRUCTOR, GETTER = "predicate", "constructor", "getter"

TEMPLATE_OPENINGS = (("Returns `true` if ", PREDICATE), ("Creates ", CONSTRUCTOR), ("Returns ", GETTER))
"""How the template opens each shape of summary it writes (longest first)."""

VERBS = {
    PREDICATE: ("report", "check", "return", "test", "determine", "indicate", "tell"),
    CONSTRUCTOR: ("create", "construct", "build", "make", "return"),
    GETTER: ("get", "return", "retrieve", "provide", "fetch"),
}
"""Stems of the verbs a crate may open each shape with."""

MIN_AGREEING = 2
"""Examples that must open the same way before the template follows them."""


def _shape_of(signature: str) -> str | None:
    returns = signature.rsplit("->", 1)[1].strip() if "->" in signature else ""
    if returns == "bool":
        return PREDICATE
    if returns == "Self" or " fn new" in f" {signature}":
        return CONSTRUCTOR
    if "&self" in signature and returns:
        return GETTER
    return None


def _opening(doc: str, shape: str) -> str | None:
    """The opening phrase of an example's doc for `shape` ("Reports whether ", "Get "), or None."""
    words = doc.split()
    if len(words) < 3 or not words[0].isalpha() or not words[0][0].isupper():
        return None
    if not words[0].lower().startswith(VERBS[shape]):
        return None
    if shape == PREDICATE:
        return f"{words[0]} whether " if words[1] == "whether" else None
    return f"{words[0]} "


def follow_crate_phrasing(doc: str, signature: str, examples: Sequence[PromptExample]) -> str:
    """`doc` (the template's) opening as the examples of the same shape agree, else unchanged."""
    shape = _shape_of(signature)
    opening = next((o for o, s in TEMPLATE_OPENINGS if s == shape and doc.startswith(o)), None)
    if shape is None or opening is None:
        return doc
    votes = Counter(
        phrase for e in examples if _shape_of(e.signature) == shape and (phrase := _opening(e.doc, shape)) is not None
    )
    if not votes:
        return doc
    phrase, count = votes.most_common(1)[0]
    if count < MIN_AGREEING or phrase == opening:
        return doc
    return phrase + doc[len(opening):]
