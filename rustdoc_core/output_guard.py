"""The output guard: what stands between a generator's raw answer and the user's file.

Every backend's answer goes through `finish(item, raw)`: the answer is parsed into
doc text (`prompt.parse_completion`), the checker's findings are repaired where
that is mechanical (`repair.repair_doc`), and an answer that cannot be used is
replaced by the template's doc. `generate`, the server and the eval all get their
docs from here, so what the eval measures is what the user gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from rustdoc_core.rust_items import RustItem

VERDICTS = ("kept", "repaired", "replaced")
"""What the guard did to an answer: kept as written, repaired, or replaced by the template's doc."""


@dataclass(frozen=True)
class FinishedDoc:
    """A doc ready to insert, and what the guard did to the answer it came from."""

    text: str
    verdict: str  # one of VERDICTS


def finish(item: RustItem, raw: str) -> FinishedDoc:
    """The doc to insert for `item`, from a generator's raw answer."""
    from rustdoc_core.prompt import parse_completion
    from rustdoc_core.repair import repair_doc

    repaired = repair_doc(item, parse_completion(raw))
    verdict = {"model": "kept", "repaired": "repaired", "template": "replaced"}[repaired.origin]
    return FinishedDoc(repaired.text, verdict)
