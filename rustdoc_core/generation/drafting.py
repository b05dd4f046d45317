"""Drafters for speculative decoding: cheap guesses at the next tokens, which `LlamaGenerator`
verifies in one batch and keeps only as far as the model would have sampled them itself. The
answer is the same as without one up to llama.cpp's numerics: a batch's logits differ from one
token's in the last bits, enough to flip a near-tie. `python -m bench server --only model`
(2026-12-07, 10 globset items) found the 1.5B's answers identical for 7/10 items with prompt
lookup and 6/10 with the 0.5B drafting, and both slower than plain decoding (1.20x and 1.53x
at p50), so no backend uses a drafter by default.

Both follow llama-cpp-python's `LlamaDraftModel` interface (`drafter(input_ids) -> draft ids`):

- `prompt_lookup(n)`: llama-cpp-python's `LlamaPromptLookupDecoding`, which proposes what
  followed the last tokens where they occurred before in the prompt or the answer (docs repeat
  the item's identifiers);
- `ModelDrafter`: a small model of the same vocabulary (Qwen2.5-Coder-0.5B for the 1.5B)
  proposing its own greedy continuation; it keeps its own KV cache, reused across calls.

`python -m bench server --only model` measures them against plain decoding.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rustdoc_core.generation.generators import ModelLoadError, check_gguf_file


def prompt_lookup(num_pred_tokens: int = 2, max_ngram_size: int = 2) -> Any:
    """llama-cpp-python's prompt-lookup drafter (its authors suggest 2 draft tokens on a CPU)."""
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    return LlamaPromptLookupDecoding(max_ngram_size=max_ngram_size, num_pred_tokens=num_pred_tokens)


def model_drafter(model_path: str | Path, num_pred_tokens: int = 3, *, threads: int | None = None, context_size: int = 4096) -> Any:
    """A `ModelDrafter` over the GGUF at `model_path` (loaded at once; raises ModelLoadError)."""
    from llama_cpp.llama_speculative import LlamaDraftModel

    class ModelDrafter(LlamaDraftModel):
        """A small model's greedy continuation as the draft. Its KV cache holds the context of the
        last call; the next call evaluates only what changed (the tokens the big model took)."""

        def __init__(self) -> None:
            import llama_cpp

            check_gguf_file(Path(model_path), "draft model")
            try:
                self.llm = llama_cpp.Llama(
                    model_path=str(model_path), n_ctx=context_size, n_threads=threads, verbose=False
                )
            except Exception as err:  # noqa: BLE001 - llama.cpp's own wording
                raise ModelLoadError(f"cannot load draft model {model_path}: {' '.join(str(err).split())}") from err
            self.num_pred_tokens = num_pred_tokens
            self.seconds = 0.0
            """Time spent drafting, all calls together."""

        def __call__(self, input_ids: Any, /, **kwargs: Any) -> Any:  # noqa: ARG002 - the interface's
            import llama_cpp
            import numpy as np

            from rustdoc_core.generation.generators import _evaluate_prompt

            start = time.perf_counter()
            llm = self.llm
            context = [int(t) for t in input_ids]
            if len(context) + self.num_pred_tokens >= llm._n_ctx:
                return np.array([], dtype=np.intc)
            _evaluate_prompt(llm, context)
            draft: list[int] = []
            for _ in range(self.num_pred_tokens):
                logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm._n_vocab,))
                token = int(np.argmax(logits))
                if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                    break
                draft.append(token)
                if len(draft) < self.num_pred_tokens:
                    llm.eval([token])
            self.seconds += time.perf_counter() - start
            return np.array(draft, dtype=np.intc)

        def close(self) -> None:
            self.llm.close()

    return ModelDrafter()
