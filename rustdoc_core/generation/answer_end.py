"""Where a model's answer is complete: decoding stops there instead of writing what the output
guard would cut afterwards.

- A field, a variant or a constant is documented in one sentence: its answer ends with its
  summary paragraph (`SUMMARY_ONLY_KINDS`).
- Every kind ends where its length budget (`guard.budget_of`, by kind) keeps nothing more
  (`guard.budget_end`): the first paragraph past the budget's count or characters, or a
  section heading for the kinds that get none.
- An answer that has started to loop (`guard.repeats_itself`) ends at once; the guard cuts
  the repetition.

The cut falls at the start of the first block the guard would drop, so the guard keeps
of a stopped answer what it would have kept of the whole one.
"""

from __future__ import annotations

from dataclasses import replace

from rustdoc_core.generation.generators import AnswerEnd
from rustdoc_core.generation.guard import budget_end, budget_of, repeats_itself
from rustdoc_core.rust.items import RustItem

SUMMARY_ONLY_KINDS = frozenset({"field", "variant", "const"})
"""Kinds whose doc is its summary: a model's answer for them ends with its first paragraph."""


def answer_end(item: RustItem) -> AnswerEnd:
    """`ends_at` for `item`'s answer (see the module doc): the offset in a partial answer where
    it is complete, or None while it may go on."""
    budget = budget_of(item)
    if item.kind in SUMMARY_ONLY_KINDS:
        budget = replace(budget, paragraphs=1)

    def ends_at(text: str) -> int | None:
        line = budget_end(item, text, budget)
        if line is not None:
            return sum(len(kept) + 1 for kept in text.split("\n")[:line])
        if repeats_itself(text):
            return len(text)
        return None

    return ends_at
