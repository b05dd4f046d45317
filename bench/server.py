"""`python -m bench server`: the language server through a real client over stdio.

- code-action list latency (p50/p95) on clap's largest source file, against a no-op
  request's round trip in the same session (the transport's floor); and right after
  each keystroke of real typing there (a word, then Enter, at a dozen places), with
  the server's own CPU time per edit + list, which a busy machine does not inflate,
  and the first list after a pause in typing (the server's parse waits for one);
- time to the first doc on a fresh server with the template engine, against the same
  work done in-process;
- the real models (`--only model`): Qwen2.5-Coder-1.5B-Instruct (the product's default)
  and 0.5B, from `scripts/fetch-real-models`, on fixed held-out items (Debian's globset,
  `src/glob.rs`, docs stripped), in file order as `generate` asks for them: prompt tokens
  (and those evaluated, the rest reused from the KV cache), generated tokens, time to the
  first token, to the first sentence and to the finished doc, p50 and p95, against raw
  llama-cpp-python on the same prompt tokens in the same run (`create_completion` from a
  cold cache) and against issue 24's reference call (260 prompt tokens, 40 generated);
  the drafters (prompt lookup; the 0.5B drafting for the 1.5B) against plain decoding,
  with their answers compared; the editor's time to the first sentence and to the edit
  through the real server, once the model has loaded as the file opened; and the docs
  that decoding's stop rules changed, raw's beside ours;
- start-up time and memory without a model, against a bare interpreter / bare pygls.

    python -m bench server [--model GGUF ...] [--tiny] [--items N] [--no-editor] [--samples 200] [--repeat 3]
                           [--threads N] [--no-model] [--only startup|actions|template|model ...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench import load as load_bench
from bench.harness import Report, debian_crates

ROOT = Path(__file__).resolve().parent.parent

def tiny_model() -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.support.fixtures import tiny_gguf_file

    return tiny_gguf_file("Q4_K_M")


def largest_clap_file() -> Path:
    clap = debian_crates(["clap"])[0]
    return max(clap.rglob("*.rs"), key=lambda p: p.stat().st_size)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return seconds * 1000


def _cpu_s(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


NOOP_CPU_SAMPLES = 50


def _rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


# --- the measurements ------------------------------------------------------------------------------


async def _timed(coro) -> tuple[float, object]:
    start = time.perf_counter()
    result = await coro
    return time.perf_counter() - start, result


async def code_action_latency(report: Report, path: Path, samples: int) -> None:
    from rustdoc_core.rust.items import RustSource
    from tests.support.lsp_client import server_session

    text = path.read_text(encoding="utf-8")
    items = RustSource(text).items()
    step = max(1, len(items) // samples)
    points = [(i.start_line, len(i.indent) + 4) for i in items[::step]][:samples]
    uri = path.resolve().as_uri()
    async with server_session() as client:
        client.open(uri, text)
        await client.code_actions(uri, points[0])  # the first parse is not what a user waits on later
        noop, listed = [], []
        for line, character in points:
            seconds, _ = await _timed(client.code_actions("file:///nowhere.rs", (line, character)))
            noop.append(seconds)
            seconds, actions = await _timed(client.code_actions(uri, (line, character)))
            assert actions, f"no action at {line}:{character}"
            listed.append(seconds)
        # CPU time the server spends: what a busy machine adds to the wall times above is not in it.
        before = _cpu_s(client.process.pid)
        for line, character in points[:NOOP_CPU_SAMPLES]:
            await client.code_actions("file:///nowhere.rs", (line, character))
        noop_cpu = (_cpu_s(client.process.pid) - before) / min(NOOP_CPU_SAMPLES, len(points))
        before = _cpu_s(client.process.pid)
        typing = await _list_while_typing(client, uri, text, items)
        typed = typing.right_after
        await asyncio.sleep(TYPING_PAUSE_S)  # the parse that waited for a pause counts too
        typed_cpu = (_cpu_s(client.process.pid) - before) / len(typed)
        # Again, pausing after each place (the word and Enter): the list after the pause follows
        # the server's parse and its full read of the file.
        again = RustSource(typing.text).items()
        paused = await _list_while_typing(client, uri, typing.text, again, typing.version, pause_s=TYPING_PAUSE_S)
        rss = _rss_mb(client.process.pid)
    name = f"{path.parent.parent.name}/{path.relative_to(path.parent.parent)}"
    report.notes.append(f"code actions: {name}, {text.count(chr(10)):,} lines, {len(items)} items, {len(points)} cursor positions")
    report.notes.append(
        f"typing: {TYPED_WORD!r} a key at a time, then Enter, at {TYPING_PLACES} places (half in fn bodies, half in docs), "
        f"{len(typed)} edits, each followed at once by a code-action list at the cursor; then again at the "
        f"places of the text as typed, listing when the cursor arrives and again after a {TYPING_PAUSE_S:.1f} s pause "
        "at the end of each place"
    )
    report.add("code-action list p50", _ms(statistics.median(listed)), "ms", _ms(statistics.median(noop)), "no-op request p50", target="< 50 ms")
    report.add("code-action list p95", _ms(_percentile(listed, 0.95)), "ms", _ms(_percentile(noop, 0.95)), "no-op request p95", target="< 100 ms")
    report.add(
        "code-action list right after each edit p50", _ms(statistics.median(typed)), "ms",
        _ms(statistics.median(noop)), "no-op request p50",
    )
    report.add(
        "code-action list right after each edit p95", _ms(_percentile(typed, 0.95)), "ms",
        _ms(_percentile(noop, 0.95)), "no-op request p95", target="<= 5 ms",
    )
    report.add(
        "code-action list right after each edit p95, pausing between places", _ms(_percentile(paused.right_after, 0.95)), "ms",
        _ms(_percentile(noop, 0.95)), "no-op request p95", target="<= 5 ms",
    )
    report.add(
        "code-action list after a pause in typing p95", _ms(_percentile(paused.after_pause, 0.95)), "ms",
        _ms(_percentile(noop, 0.95)), "no-op request p95",
    )
    report.add(
        "server CPU per edit + list (mean, with the parse after the pause)", _ms(typed_cpu), "ms", _ms(noop_cpu),
        "server CPU per no-op request",
    )
    report.add("server RSS with that file open", rss, "MB")


TYPED_WORD = "value"
TYPING_PLACES = 12
TYPING_PAUSE_S = 0.5
"""A pause in typing: past the server's parse (`documents.PARSE_PAUSE_S`) and its full read
of the file (`undocumented.SETTLE_S`)."""


@dataclass
class Typing:
    right_after: list[float]
    """Seconds of each code-action list asked right after a keystroke."""
    after_pause: list[float]
    """Seconds of the list asked after the pause at the end of each place (with a pause)."""
    text: str
    """The document as typed."""
    version: int


async def _list_while_typing(client, uri: str, text: str, items, version: int = 1, pause_s: float | None = None) -> Typing:
    """Type a word and a newline at several places, as an editor sends it (one change per key),
    listing code actions at the cursor after every change. With `pause_s`, as an editor with a
    user who pauses: a list when the cursor arrives at a place, and once more after pausing
    that long at its end."""
    from lsprotocol import types

    lines = text.split("\n")
    bodies = [i for i in items if i.is_fn and i.body_start_line is not None and i.end_line > i.body_start_line + 2]
    documented = [i for i in items if i.doc is not None]
    half = TYPING_PLACES // 2
    places = sorted(
        {i.body_start_line + 1 for i in bodies[:: max(1, len(bodies) // half)][:half]}
        | {i.doc.start_line for i in documented[:: max(1, len(documented) // half)][:half]},
        reverse=True,  # from the bottom up, so an edit does not move the places still to come
    )
    typing = Typing([], [], text, version)
    for line in places:
        character = len(lines[line])
        indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
        if pause_s is not None:
            await client.code_actions(uri, (line, character))  # as an editor asks when the cursor arrives
        for key in [*TYPED_WORD, "\n" + indent]:
            typing.version += 1
            at = types.Position(line=line, character=character)
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=typing.version),
                    content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=key)],
                )
            )
            lines[line : line + 1] = (lines[line][:character] + key + lines[line][character:]).split("\n")
            if key.startswith("\n"):
                line, character = line + 1, len(indent)
            else:
                character += len(key)
            elapsed, _ = await _timed(client.code_actions(uri, (line, character)))
            typing.right_after.append(elapsed)
        if pause_s is not None:
            await asyncio.sleep(pause_s)
            elapsed, _ = await _timed(client.code_actions(uri, (line, character)))
            typing.after_pause.append(elapsed)
    typing.text = "\n".join(lines)
    return typing


async def template_first_doc(report: Report, path: Path) -> None:
    from rustdoc_core.docs.edits import doc_edit
    from rustdoc_core.generation.template import template_doc
    from rustdoc_core.rust.items import RustSource
    from tests.support.lsp_client import server_session

    text = path.read_text(encoding="utf-8")
    source = RustSource(text)
    item = next(i for i in source.items() if i.is_fn and i.doc is not None)
    uri = path.resolve().as_uri()
    position = (item.start_line, len(item.indent) + 4)
    async with server_session() as client:
        client.open(uri, text)
        start = time.perf_counter()
        action = (await client.code_actions(uri, position, only=["refactor.rewrite.rustdoc"]))[0]
        resolved = await client.code_action_resolve_async(action)
        seconds = time.perf_counter() - start
        assert resolved.edit is not None
    start = time.perf_counter()
    doc_edit(source, item, template_doc(item))
    direct = time.perf_counter() - start
    report.add("time to first doc, template (list + resolve)", _ms(seconds), "ms", _ms(direct), "template_doc + doc_edit in-process")


# --- the model figures: the real Qwen models on held-out items ------------------------------------

HELD_OUT = ("globset", "src/glob.rs")
"""The fixed held-out items: those of Debian's globset `src/glob.rs` that want a doc, its docs
stripped as `generate` meets them (26: methods, variants, fields, structs, an enum)."""

REFERENCE_PROMPT, REFERENCE_ANSWER = 260, 40
"""Issue 24's reference call: a 260-token prompt from a cold cache, then a 40-token answer."""

REAL_MODELS = ("qwen15", "qwen05")
"""The real models measured by default (`scripts/fetch-real-models`): the product's 1.5B, then the 0.5B."""

DRAFT_TOKENS_LOOKUP = 2  # prompt lookup: its authors' advice for a CPU
DRAFT_TOKENS_MODEL = 3
REFERENCE_EVERY = 6
"""Items between two reference calls (their median counts: the machine's load drifts)."""
PICK_PAUSE_S = 1.0
"""How long the editor bench's user takes to pick the action from the list (its second pass)."""


def held_out_items(limit: int | None) -> tuple[Path, str, list]:
    """The held-out file (its path, its text stripped of docs) and its items that want a doc."""
    from rustdoc_core.rust.doc_policy import wants_doc
    from rustdoc_core.rust.items import RustSource
    from tests.cli.test_generate_crates import strip_docs

    path = debian_crates([HELD_OUT[0]])[0] / HELD_OUT[1]
    text = strip_docs(path.read_text(encoding="utf-8"))
    source = RustSource(text)
    items = [i for i in source.items() if wants_doc(i, include_private=False, path=path) and not source.shares_line(i)]
    return path, text, items[:limit]


@dataclass
class DocRun:
    """One item's doc through one decoder: what it cost and what it wrote."""

    label: str
    prompt: int  # prompt tokens
    evaluated: int  # of those, evaluated for this item (the rest came from the cache)
    tokens: int  # generated
    first_token: float  # seconds
    first_sentence: float  # seconds until the doc's first sentence was complete
    seconds: float  # until the finished doc (the guard's too)
    raw: str
    doc: str
    drafted: int = 0
    accepted: int = 0


def _p(values: list[float], q: float) -> float:
    return _percentile(values, q) if values else float("nan")


def pipeline_run(generator, crate, path: Path, source, item) -> DocRun:
    """One item through the one documenting pipeline on `generator` (its KV cache as the items
    before left it)."""
    from lsp_server.progress import first_sentence
    from rustdoc_core.generation.pipeline import DocRequest, document_item

    marks: dict[str, float] = {}
    start = time.perf_counter()

    def on_token(tokens: int, answer: str) -> None:  # noqa: ARG001
        if "sentence" not in marks and first_sentence(answer)[1]:
            marks["sentence"] = time.perf_counter() - start

    doc = document_item(DocRequest(item, path, source), generator, crate, on_token=on_token)
    seconds = time.perf_counter() - start
    t = generator.last_timings
    return DocRun(
        item.label, t.prompt_tokens, t.prompt_tokens - t.reused_tokens, t.tokens, t.first_token_seconds or seconds,
        marks.get("sentence", seconds), seconds, doc.raw, doc.text, t.drafted, t.accepted,
    )


class RawLlama:
    """llama-cpp-python called as a plain integration would: `create_completion` on the same prompt
    tokens from a cold cache, the same sampling, until EOS or `max_tokens`; and the reference
    260+40 call."""

    def __init__(self, gguf: Path, options):
        import llama_cpp

        self.options = options
        self.llm = llama_cpp.Llama(
            model_path=str(gguf), n_ctx=options.context_size, n_threads=options.threads, seed=options.seed, verbose=False
        )

    def run(self, label: str, prompt: list[int], stop: list[str], finish) -> DocRun:
        from llama_cpp import StoppingCriteriaList

        from lsp_server.progress import first_sentence

        options = self.options
        produced = 0

        def count(input_ids, logits) -> bool:  # noqa: ARG001 - llama-cpp-python's signature
            nonlocal produced
            produced = max(produced, len(input_ids) - len(prompt) + 1)
            return False

        self.llm.reset()  # a cold cache, as for a prompt never seen
        pieces: list[str] = []
        first = sentence = None
        start = time.perf_counter()
        for chunk in self.llm.create_completion(
            prompt=prompt, max_tokens=options.max_tokens, temperature=options.temperature, top_k=1 if options.greedy else 40,
            repeat_penalty=options.repeat_penalty, frequency_penalty=options.frequency_penalty,
            presence_penalty=options.presence_penalty, seed=options.seed, stop=stop, stream=True,
            stopping_criteria=StoppingCriteriaList([count]),
        ):
            now = time.perf_counter() - start
            first = now if first is None else first
            pieces.append(chunk["choices"][0]["text"])
            if sentence is None and first_sentence("".join(pieces))[1]:
                sentence = now
        seconds = time.perf_counter() - start
        raw = "".join(pieces)
        return DocRun(label, len(prompt), len(prompt), produced, first or seconds, sentence or seconds, seconds, raw, finish(raw))

    def reference(self, prompt: list[int]) -> float:
        """Seconds for `REFERENCE_PROMPT` tokens of `prompt` (repeated to length) from a cold cache,
        then `REFERENCE_ANSWER` greedy tokens, EOS or not."""
        tokens = (prompt * (REFERENCE_PROMPT // max(1, len(prompt)) + 1))[:REFERENCE_PROMPT]
        self.llm.reset()
        start = time.perf_counter()
        for n, _ in enumerate(self.llm.generate(tokens, top_k=1, temp=0.0, repeat_penalty=1.0), 1):
            if n == REFERENCE_ANSWER:
                break
        return time.perf_counter() - start

    def close(self) -> None:
        self.llm.close()
        gc.collect()


async def editor_runs(gguf: Path, threads: int | None, path: Path, text: str, items: list, pause: float) -> tuple[list[DocRun], float]:
    """Each item through the real server, in file order, as a user asks for one doc after another
    once the model has loaded (it loads as the file opens): the time from choosing the action until
    a progress report shows the doc's complete first sentence, and until the resolved edit; the
    action chosen `pause` seconds after the list came (the server prefills meanwhile). Also the
    load's seconds."""
    from lsp_server.code_actions import ITEM_KIND
    from tests.support.lsp_client import server_session

    uri = path.resolve().as_uri()
    settings = {"model": {"path": str(gguf), "threads": threads}}
    runs = []
    async with server_session(initialization_options=settings) as client:
        start = time.perf_counter()
        client.open(uri, text)
        loaded = {"state": "ready", "model": gguf.name, "message": None}
        await client.wait_for(lambda: client.statuses[-1:] == [loaded], 300, "the model to load")
        load = time.perf_counter() - start
        await client.wait_for(lambda: any("prefilled" in line for line in client.server_log), 60, "the file's prefill")
        for item in items:
            line = text.split("\n")[item.start_line]
            column = line.find(item.name) if item.name and item.name in line else len(item.indent)
            actions = await client.code_actions(uri, (item.start_line, column), only=[ITEM_KIND])
            action = next(a for a in actions if item.label in a.title)
            await asyncio.sleep(pause)
            seen = len(client.progress)
            start = time.perf_counter()
            pending = asyncio.ensure_future(client.code_action_resolve_async(action))
            sentence = None
            while not pending.done():
                if sentence is None and any(
                    isinstance(v, dict) and v.get("kind") == "report" and re.search(r"[.!?]…?$", v.get("message") or "")
                    for _, v in client.progress[seen:]
                ):
                    sentence = time.perf_counter() - start
                await asyncio.sleep(0.005)
            resolved = await pending
            seconds = time.perf_counter() - start
            assert resolved.edit is not None, f"no edit for {item.label}"
            tokens, _ = _logged_tokens(client.server_log)[-1]
            runs.append(DocRun(item.label, 0, 0, tokens, sentence or seconds, sentence or seconds, seconds, "", ""))
    return runs, load


def _logged_tokens(log: list[str]) -> list[tuple[int, float]]:
    """(tokens, seconds) of each generation, from the server's log lines."""
    text = " ".join(" ".join(log).split())
    return [(int(t), float(s)) for t, s in re.findall(r"edits from model:\S+ \((\d+) tokens in ([\d.]+)s\)", text)]


def model_figures(
    report: Report, gguf: Path, threads: int | None, limit: int | None, draft_model: Path | None, editor: bool, compare_docs: bool
) -> None:
    """The model's figures on the held-out items (see the module doc), against raw llama-cpp-python
    on the same prompts in the same run."""
    from rustdoc_core.generation.crate_context import CrateContext
    from rustdoc_core.generation.decode import DecodeOptions
    from rustdoc_core.generation.drafting import model_drafter, prompt_lookup
    from rustdoc_core.generation.generators import LlamaGenerator
    from rustdoc_core.generation.grounding import context_code
    from rustdoc_core.generation.guard import guard_answer
    from rustdoc_core.rust.items import RustSource

    name = _model_name(gguf)
    options = DecodeOptions(threads=threads)
    path, text, items = held_out_items(limit)
    source = RustSource(text)
    crate = CrateContext.of_files({path: source})

    # The raw calls: the same prompt tokens the product renders, from a cold cache; and the
    # prompts as they were before format v5 (the item left out of its container's members), whose
    # answers in full are the docs as they were before this bench's changes.
    renderer = LlamaGenerator(gguf, options=options)
    renderer.load()
    prompts, old_prompts = [], []
    for item in items:
        context = crate.prompt_context(path, source, item)
        prompts.append((item, context, *renderer._prompt_tokens(item, context)))
        own = " ".join(item.signature.split())
        old = replace(context, sibling_signatures=tuple(s for s in context.sibling_signatures if s != own))
        old_prompts.append((item, old, *renderer._prompt_tokens(item, old)))
    renderer.close()

    def guarded(item, context):
        return lambda answer: guard_answer(item, answer, names=crate.names, context_code=context_code(context)).text

    # Every decoder, each with its own model context, takes each item in turn: a busy moment of
    # the machine hits all of them alike, and each keeps its KV cache from its item before.
    variants: dict[str, object] = {"plain decoding": None, f"prompt lookup ({DRAFT_TOKENS_LOOKUP} tokens)": prompt_lookup(DRAFT_TOKENS_LOOKUP)}
    if draft_model is not None:
        variants[f"{_model_name(draft_model)} drafting ({DRAFT_TOKENS_MODEL} tokens)"] = model_drafter(
            draft_model, DRAFT_TOKENS_MODEL, threads=threads, context_size=options.context_size
        )
    generators = {label: LlamaGenerator(gguf, options=options, drafter=drafter) for label, drafter in variants.items()}
    runs: dict[str, list[DocRun]] = {label: [] for label in generators}
    raw = RawLlama(gguf, options)
    raw_runs: list[DocRun] = []
    old_runs: list[DocRun] = []
    references: list[float] = []
    try:
        for generator in generators.values():
            generator.load()
        for index, ((item, context, tokens, stop), (_, old, old_tokens, old_stop)) in enumerate(zip(prompts, old_prompts)):
            if index % REFERENCE_EVERY == 0:
                references.append(raw.reference(prompts[0][2]))
            raw_runs.append(raw.run(item.label, tokens, stop, guarded(item, context)))
            if compare_docs:
                old_runs.append(raw.run(item.label, old_tokens, old_stop, guarded(item, old)))
            for label, generator in generators.items():
                runs[label].append(pipeline_run(generator, crate, path, source, item))
        references.append(raw.reference(prompts[0][2]))
    finally:
        raw.close()
        for generator in generators.values():
            generator.close()
    old_runs = old_runs or raw_runs
    reference = statistics.median(references)
    product_label = next(iter(runs))
    product = runs[product_label]

    def rows(what: str, ours: list[float], theirs: list[float] | None, unit: str, baseline_name: str, **kw) -> None:
        for q, tag in ((0.5, "p50"), (0.95, "p95")):
            scale = 1000 if unit == "ms" else 1
            report.add(
                f"{name}: {what} {tag}", _p(ours, q) * scale, unit,
                _p(theirs, q) * scale if theirs is not None else None, baseline_name if theirs is not None else None, **kw,
            )

    raw_label = "raw llama-cpp-python, same prompts"
    rows("prompt tokens", [r.prompt for r in product], None, "tokens", "")
    rows("prompt tokens evaluated", [r.evaluated for r in product], [r.prompt for r in product], "tokens", "the whole prompt")
    rows("generated tokens", [r.tokens for r in product], [r.tokens for r in raw_runs], "tokens", raw_label)
    rows("time to first token", [r.first_token for r in product], [r.first_token for r in raw_runs], "s", raw_label)
    rows("time to the first sentence", [r.first_sentence for r in product], [r.first_sentence for r in raw_runs], "s", raw_label)
    rows("time to a finished doc", [r.seconds for r in product], [r.seconds for r in raw_runs], "s", raw_label)
    report.add(
        f"{name}: time to a finished doc p50", _p([r.seconds for r in product], 0.5), "s", reference,
        f"raw {REFERENCE_PROMPT}+{REFERENCE_ANSWER}-token call, median of {len(references)}", target="<= 0.5x",
    )
    plain = [r.seconds for r in product]
    for label, variant in list(runs.items())[1:]:
        same = sum(a.raw == b.raw for a, b in zip(variant, product))
        accepted = sum(r.accepted for r in variant)
        drafted = sum(r.drafted for r in variant)
        report.add(
            f"{name}: {label}, finished doc p50", _p([r.seconds for r in variant], 0.5), "s", _p(plain, 0.5), product_label,
        )
        report.notes.append(
            f"{name}, {label}: {accepted}/{drafted} drafted tokens accepted; same answer as {product_label} for {same}/{len(items)} items"
        )
    if editor:
        for pause in (0.0, PICK_PAUSE_S):
            editor_run, load = asyncio.run(editor_runs(gguf, threads, path, text, items, pause))
            when = "chosen at once" if not pause else f"chosen {pause:g} s after the list"
            rows(f"editor, {when}: time to the first sentence", [r.first_sentence for r in editor_run], None, "s", "", target="p50 <= 1 s")
            rows(f"editor, {when}: time to the edit", [r.seconds for r in editor_run], [r.seconds for r in product], "s", "in-process pipeline")
        report.add(f"{name}: editor: model load (as the file opens)", load, "s")

    prefixes = sum(r.raw.rstrip() == a.raw[: len(r.raw.rstrip())].rstrip() or a.raw.startswith(r.raw.rstrip()) for r, a in zip(product, raw_runs))
    report.notes.append(
        f"{name}: {gguf.name}, {threads or 'default'} threads; {len(items)} items of {HELD_OUT[0]}'s {HELD_OUT[1]} (docs stripped), "
        f"in file order; the answer is the start of raw llama-cpp-python's for {prefixes}/{len(items)}"
    )
    by_length = sum(a.doc != r.doc for r, a in zip(product, raw_runs))
    by_prompt = sum(a.doc != o.doc for a, o in zip(raw_runs, old_runs))
    changed = [(r.label, o.doc, r.doc) for r, o in zip(product, old_runs) if o.doc != r.doc]
    report.notes.append(
        f"{name}: greedy docs changed: {by_length}/{len(items)} by decoding's stop rules (raw on the same prompts -> ours), "
        f"{by_prompt}/{len(items)} by prompt format v5 (raw on v4's prompts -> raw on v5's); old (v4 prompt, decoded to the end) -> new:"
        if compare_docs else f"{name}: docs that decoding's stop rules changed ({by_length}/{len(items)}), raw's doc -> ours:"
    )
    for label, old, new in changed:
        report.notes.append(f"  {label}: {' '.join(old.split())!r}")
        report.notes.append(f"  {' ' * len(label)}  -> {' '.join(new.split())!r}")


def _model_name(gguf: Path) -> str:
    stem = gguf.name.lower()
    for size in ("0.5b", "1.5b", "135m"):
        if size in stem:
            return ("Qwen " if "qwen" in stem else "SmolLM2 ") + size.upper()
    return gguf.stem


async def start_up(report: Report, repeat: int) -> None:
    from lsprotocol import types

    from tests.support.lsp_client import RecordingClient, client_capabilities, server_command

    spawn_to_init: list[float] = []
    rss = 0.0
    for _ in range(repeat):
        client = RecordingClient()
        start = time.perf_counter()
        argv = server_command()
        await client.start_io(argv[0], *argv[1:])
        await client.initialize_async(types.InitializeParams(capabilities=client_capabilities()))
        spawn_to_init.append(time.perf_counter() - start)
        client.initialized(types.InitializedParams())
        await client.wait_for(lambda: client.statuses, what="the first status")  # settings applied
        rss = _rss_mb(client.process.pid)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    floor: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append(time.perf_counter() - start)
    bare = subprocess.run(
        [sys.executable, "-c", "import pygls.lsp.server, lsprotocol.types, psutil; print(psutil.Process().memory_info().rss / 1e6)"],
        check=True, capture_output=True, text=True,
    )
    report.add("start-up: spawn to initialize result", _ms(min(spawn_to_init)), "ms", _ms(min(floor)), "python -c pass", target="< 1000 ms")
    report.add("server RSS after start-up, no model", rss, "MB", float(bare.stdout), "python + pygls + lsprotocol")


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench server", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", type=Path, action="append",
        help="a GGUF to measure (repeatable; default: the real Qwen2.5-Coder 1.5B and 0.5B, fetched once)",
    )
    parser.add_argument("--tiny", action="store_true", help="use the tests' tiny GGUF instead (fast, not the real sizes)")
    parser.add_argument("--no-model", action="store_true", help="skip the model figures")
    parser.add_argument("--items", type=int, default=None, help="held-out items at most (default: all 26)")
    parser.add_argument("--no-editor", action="store_true", help="skip the model figures through the server")
    parser.add_argument("--no-old-docs", action="store_true", help="skip the docs of the prompts before format v5")
    parser.add_argument("--samples", type=int, default=200, help="cursor positions for the code-action latency")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the timed start-up runs (best counts)")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="llama.cpp threads, ours and raw alike (default: llama-cpp-python's, half the cores to generate, all of them "
        "for prompts; more threads than idle cores makes llama.cpp's spinning threads crawl)",
    )
    parser.add_argument(
        "--only", action="append", choices=("startup", "actions", "template", "model", "load"),
        help="measure only these parts (repeatable; default: all)",
    )
    load_bench.add_arguments(parser)
    options = parser.parse_args(args)
    parts = set(options.only or ("startup", "actions", "template", "model"))  # `load` only when asked for
    if options.no_model:
        parts.discard("model")

    report = Report("language server (rustdoc-gen serve over stdio, pygls LanguageClient)")
    path = largest_clap_file()

    async def main() -> None:
        if "startup" in parts:
            await start_up(report, options.repeat)
        if "actions" in parts:
            await code_action_latency(report, path, options.samples)
        if "template" in parts:
            await template_first_doc(report, path)

    asyncio.run(main())
    if "model" in parts:
        if options.tiny:
            models = [tiny_model()]
        else:
            models = options.model or [real_model(name) for name in REAL_MODELS]
        small = min(models, key=lambda m: m.stat().st_size) if len(models) > 1 else None
        for gguf in models:
            draft = small if small is not None and small != gguf and gguf.stat().st_size > 2 * small.stat().st_size else None
            model_figures(report, gguf, options.threads, options.items, draft, not options.no_editor, not options.no_old_docs)
    if "load" in parts:
        load_bench.figures(report, options)
    return report


def real_model(name: str) -> Path:
    """A real model's GGUF (`scripts/fetch-real-models NAME`: fetched, sha256-checked, extracted once)."""
    sys.path.insert(0, str(ROOT))
    from tests.support.real_models import real_model as fetch

    return fetch(name)
