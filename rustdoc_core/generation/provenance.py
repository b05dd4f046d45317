"""Where a doc came from: the one vocabulary the guard, repair, the generators, `generate`'s
summary and the eval share."""

from __future__ import annotations

from enum import Enum


class Provenance(str, Enum):
    """Where a doc's words came from. A `str` enum, so it compares equal to its value and goes
    into JSON (eval caches, reports) as that value."""

    MODEL = "model"
    """The model's answer as it was written (the guard found nothing to change)."""
    REPAIRED = "repaired"
    """The model's answer, mended by the guard (sentences cut, sections added, a summary replaced)."""
    TEMPLATE = "template"
    """The template engine's doc: no model, or the guard replaced an answer it could not save."""
    HUMAN = "human"
    """The human doc (the eval's ceiling)."""
    ERROR = "error"
    """Nothing could be generated (the eval records the failure in its place)."""

    def __str__(self) -> str:
        return self.value

    @property
    def from_model(self) -> bool:
        """Whether words of a model's answer are in the doc."""
        return self in (Provenance.MODEL, Provenance.REPAIRED)
