"""`python -m bench server`: the language server through a real client over stdio.

- code-action list latency (p50/p95) on clap's largest source file, against a no-op
  request's round trip in the same session (the transport's floor); and right after
  each keystroke of real typing there (a word, then Enter, at a dozen places), with
  the server's own CPU time per edit + list, which a busy machine does not inflate,
  and the first list after a pause in typing (the server's parse waits for one);
- time to the first doc on a fresh server, with the template engine and with a model
  (load included), against the same work done in-process;
- generation tokens/s through the server against llama-cpp-python called directly on
  the same GGUF in the same run (target >= 0.9x);
- start-up time and memory without a model, against a bare interpreter / bare pygls.

The model is a random-weight model of Qwen2.5-Coder-1.5B-Instruct's exact shape,
quantized to Q4_K_M with the project's exporter: the real sizes and speeds, built once
(a minute or two) and cached under .cache/bench/.

    python -m bench server [--model GGUF] [--tiny] [--samples 200] [--tokens 128] [--repeat 3] [--threads N]
                           [--no-model] [--only startup|actions|template|model ...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import load as load_bench
from bench.harness import Report, debian_crates

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"

QWEN25_CODER_1_5B = {
    "architectures": ["Qwen2ForCausalLM"],
    "vocab_size": 151936,
    "hidden_size": 1536,
    "intermediate_size": 8960,
    "num_hidden_layers": 28,
    "num_attention_heads": 12,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "initializer_range": 0.02,
}
"""Qwen2.5-Coder-1.5B-Instruct's shape (its config.json's architecture fields)."""

_BUILD = """
import sys, torch
from pathlib import Path
from transformers import Qwen2Config, Qwen2ForCausalLM
from tests.support.qwen2_tokenizer import build_qwen2_tokenizer
from trainer.export import export_model
import json
config, hf_dir, out = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
build_qwen2_tokenizer(hf_dir)
torch.manual_seed(0)
torch.set_default_dtype(torch.bfloat16)
model = Qwen2ForCausalLM(Qwen2Config(**{k: v for k, v in config.items() if k != "architectures"}))
model.save_pretrained(hf_dir, safe_serialization=True)
del model
export_model(hf_dir, out, quant="Q4_K_M", verify=False)
"""


def bench_model() -> Path:
    """The random 1.5B-shape Q4_K_M GGUF, built on first use and cached by its shape.

    (Not by the exporter's source: a speed figure does not change with its edits,
    and a rebuild takes minutes. Delete .cache/bench/ to rebuild.)
    """
    digest = hashlib.sha256(json.dumps({**QWEN25_CODER_1_5B, "quant": "Q4_K_M"}, sort_keys=True).encode()).hexdigest()[:12]
    target = CACHE / f"qwen2.5-coder-1.5b-shape-random-q4_k_m-{digest}.gguf"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"building {target.name} (random weights, Qwen2.5-Coder-1.5B shape; a minute or two)...", file=sys.stderr)
    subprocess.run([str(ROOT / "scripts" / "fetch-llama-sdist")], check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=CACHE) as work:
        subprocess.run(
            [sys.executable, "-c", _BUILD, json.dumps(QWEN25_CODER_1_5B), str(Path(work) / "hf"), str(target)],
            check=True,
            cwd=ROOT,
        )
    return target


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


def _logged_tokens(log: list[str]) -> list[tuple[int, float]]:
    """(tokens, seconds) of each generation, from the server's log lines."""
    text = " ".join(" ".join(log).split())
    return [(int(t), float(s)) for t, s in re.findall(r"edits from model:\S+ \((\d+) tokens in ([\d.]+)s\)", text)]


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


SAMPLE = """\
use std::collections::HashMap;

pub struct Inventory {
    items: HashMap<String, u32>,
}

impl Inventory {
    pub fn restock(&mut self, name: &str, count: u32) -> Result<u32, String> {
        if count == 0 {
            return Err(format!("nothing to restock for {name}"));
        }
        let entry = self.items.entry(name.to_string()).or_insert(0);
        *entry += count;
        Ok(*entry)
    }
}
"""
SAMPLE_URI = "file:///bench/src/inventory.rs"
SAMPLE_POSITION = (7, 12)


async def model_figures(report: Report, gguf: Path, tokens: int, repeat: int, threads: int | None) -> None:
    from tests.support.lsp_client import server_session

    settings = {"model": {"path": str(gguf), "maxTokens": tokens, "threads": threads}}
    server_runs: list[float] = []
    direct_runs: list[float] = []
    server_tokens: list[int] = []
    async with server_session(initialization_options=settings) as client:
        client.open(SAMPLE_URI, SAMPLE)
        action = (await client.code_actions(SAMPLE_URI, SAMPLE_POSITION, only=["refactor.rewrite.rustdoc"]))[0]
        first, resolved = await _timed(client.code_action_resolve_async(action))
        assert resolved.edit is not None
        rss_model = _rss_mb(client.process.pid)
        direct = DirectLlama(gguf, threads)
        try:
            direct_first = direct.first(tokens)
            for _ in range(repeat):  # alternate, so a busy moment hits both sides alike
                seconds, _ = await _timed(client.code_action_resolve_async(action))
                server_runs.append(seconds)
                server_tokens.append(_logged_tokens(client.server_log)[-1][0])
                direct_runs.append(direct.timed(tokens))
        finally:
            direct.close()
        generated = _logged_tokens(client.server_log)
    server_rate = max(n / s for n, s in zip(server_tokens, server_runs))
    direct_rate = max(direct.tokens / s for s in direct_runs)
    report.add(
        "time to first doc, model (load + prompt + generate)", first, "s", direct_first, "llama-cpp-python direct, same work"
    )
    report.add(
        "generation through the server", server_rate, "tokens/s", direct_rate, "llama-cpp-python direct",
        target=">= 0.9x", higher_is_better=True,
    )
    report.add("server RSS with the model loaded", rss_model, "MB")
    report.notes.append(
        f"model: {gguf.name} ({gguf.stat().st_size / 1e6:,.0f} MB), {threads or 'default'} threads, max {tokens} tokens; "
        f"server generations (tokens, s in the generator): {generated}; direct: {direct.tokens} tokens per run"
    )


class DirectLlama:
    """llama-cpp-python called directly on the same GGUF, prompt and decoding as the server."""

    def __init__(self, gguf: Path, threads: int):
        self.gguf = gguf
        self.threads = threads
        self.llm = None
        self.prompt: list[int] = []
        self.tokens = 0

    def first(self, max_tokens: int) -> float:
        start = time.perf_counter()
        import llama_cpp
        from llama_cpp import llama_chat_format

        from rustdoc_core.generation.prompt import build_messages, prompt_context
        from rustdoc_core.rust.items import RustSource

        llm = llama_cpp.Llama(model_path=str(self.gguf), n_ctx=4096, n_threads=self.threads, seed=0, verbose=False)
        source = RustSource(SAMPLE)
        item = source.item_at(*SAMPLE_POSITION)
        formatter = llama_chat_format.Jinja2ChatFormatter(
            template=llm.metadata["tokenizer.chat_template"],
            eos_token=llm._model.token_get_text(llm.token_eos()),
            bos_token=llm._model.token_get_text(llm.token_bos()),
        )
        formatted = formatter(messages=build_messages(item, prompt_context(source, item)))
        self.prompt = llm.tokenize(formatted.prompt.encode(), add_bos=not formatted.added_special, special=True)
        self.llm = llm
        self._generate(max_tokens)
        return time.perf_counter() - start

    def _generate(self, max_tokens: int) -> None:
        from llama_cpp import StoppingCriteriaList

        produced = 0

        def count(input_ids, logits) -> bool:  # noqa: ARG001 - llama-cpp-python's signature
            nonlocal produced
            produced = max(produced, len(input_ids) - len(self.prompt) + 1)
            return False

        out = self.llm.create_completion(
            prompt=self.prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0, seed=0,
            stream=True, stopping_criteria=StoppingCriteriaList([count]),
        )
        for _ in out:
            pass
        self.tokens = produced

    def timed(self, max_tokens: int) -> float:
        start = time.perf_counter()
        self._generate(max_tokens)
        return time.perf_counter() - start

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
            self.llm = None
        gc.collect()


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
    parser.add_argument("--model", type=Path, help="a GGUF to measure (default: the random 1.5B-shape Q4_K_M, built once)")
    parser.add_argument("--tiny", action="store_true", help="use the tests' tiny GGUF instead (fast, not the real sizes)")
    parser.add_argument("--no-model", action="store_true", help="skip the model figures")
    parser.add_argument("--samples", type=int, default=200, help="cursor positions for the code-action latency")
    parser.add_argument("--tokens", type=int, default=128, help="tokens to generate per doc for the model figures")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the timed runs (best counts)")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="llama.cpp threads, server and direct alike (default: llama-cpp-python's, half the cores; "
        "more threads than idle cores makes llama.cpp's spinning threads crawl)",
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
        if "model" in parts:
            gguf = options.model or (tiny_model() if options.tiny else bench_model())
            await model_figures(report, gguf, options.tokens, options.repeat, options.threads)

    asyncio.run(main())
    if "load" in parts:
        load_bench.figures(report, options)
    return report
