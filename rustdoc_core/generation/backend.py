"""What every doc backend shares: the protocol it follows, the answer it gives, and the errors
it raises. The backends themselves are `generators` (the template engine, llama.cpp in this
process) and `openai_backend` (a model server over HTTP); the registry that names them by spec
is `generators.GENERATOR_KINDS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rustdoc_core.generation.prompt import PromptContext
from rustdoc_core.rust.items import RustItem


@dataclass(frozen=True)
class Answer:
    """What a backend wrote for an item, before the output guard."""

    text: str
    tokens: int = 0  # generated tokens (0 for the template)


class GenerationCancelled(Exception):
    """`should_stop` said stop: the user cancelled (editor request cancelled, Ctrl+C)."""


class ModelLoadError(Exception):
    """A model that cannot be used: a GGUF missing, not a GGUF, or refused by llama.cpp; a model
    server that does not answer or is not one. One line for the user."""


class BackendUnavailable(ModelLoadError):
    """The backend stopped answering in the middle of a run (a model server gone): no later item
    can be answered either, so the run stops here instead of failing item after item."""


class GenerationError(Exception):
    """The model could not answer for this item (e.g. the prompt does not fit the context)."""


OnToken = Callable[[int, str], None]
"""Hears an answer as it forms: the tokens generated so far and the text they make."""

AnswerEnd = Callable[[str], "int | None"]
"""Where a partial answer is complete: the offset in it after which the output guard would keep
nothing more (the backend stops there and answers with the text before it), or None to go on
(`answer_end.answer_end(item)`)."""


class DocGenerator(Protocol):
    """A backend. `load` does the slow part (and raises ModelLoadError); `answer` loads on first use.
    `pipeline.document_item` is how a doc is asked for: it builds the context, asks, guards.

    `answer` checks `should_stop` (cancellation) as often as it can, reports the answer as it
    forms to `on_token`, and ends it where `ends_at` says it is complete.

    A backend that can take several answers at once (a model server) says how many in
    `concurrent_requests`; `pipeline.document_items` then asks that many at a time. Without
    the attribute, one at a time."""

    name: str
    is_model: bool
    """False: deterministic docs from the item alone (the template), whose `answer` also takes
    `error_meanings`, what the crate's docs say its error types are."""

    @property
    def loaded(self) -> bool: ...

    def load(self) -> None: ...

    def answer(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: OnToken | None = None,
        ends_at: AnswerEnd | None = None,
    ) -> Answer: ...

    def close(self) -> None: ...
