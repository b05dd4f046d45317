"""`python -m bench server --only load`: K editors at once, each its own `rustdoc-gen serve`
process (as K people's editors would be), each asking for the code actions at an undocumented
item of its own file and resolving the item's action, in a loop; first with the template engine
(the baseline), then with every editor's `model.path` on one shared model server: llama-cpp-python's
OpenAI-compatible server on the real Qwen2.5-Coder-0.5B (`tests.support.model_server`).

Printed: p50/p95 of the code-action list and of the resolve, the requests made, and the errors
(a request that failed, an action list without the item's action, a resolve without an edit, a
doc that fell back to the template because the server failed). Nothing may be lost: every
request is answered within its timeout, or it counts as unanswered.

    python -m bench server --only load [--clients 8] [--rounds 3] [--template-rounds 20] [--load-model GGUF]
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import Report, debian_crates

REQUEST_TIMEOUT_S = 600.0
"""A request not answered in this long counts as unanswered (a shared server queues K editors' answers)."""
MAX_TOKENS = 32
"""Short answers: the figure is the sharing, not the length of a doc."""
SOURCE = ("same-file", "src/unix.rs")
"""Each editor's file: Debian's same-file `unix.rs`, stripped of its docs (13 items), one copy per editor."""


@dataclass
class EditorLoad:
    """What one editor asked for and got."""

    lists: list[float] = field(default_factory=list)  # seconds per code-action list
    resolves: list[float] = field(default_factory=list)  # seconds per resolve
    errors: list[str] = field(default_factory=list)
    unanswered: int = 0

    @property
    def requests(self) -> int:
        return len(self.lists) + len(self.resolves) + self.unanswered


def stripped_source() -> str:
    crate, = debian_crates([SOURCE[0]])
    text = (crate / SOURCE[1]).read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("///"))


async def editor_loop(client, uri: str, text: str, rounds: int, *, model: bool) -> EditorLoad:
    """`rounds` times: the actions at the next undocumented item, then its action resolved."""
    from lsp_server.code_actions import ITEM_KIND
    from rustdoc_core.rust.items import RustSource

    load = EditorLoad()
    items = [item for item in RustSource(text).items() if item.doc is None and item.kind != "impl"]
    lines = text.split("\n")
    for round_ in range(rounds):
        item = items[round_ % len(items)]
        line = lines[item.start_line]
        column = line.find(item.name) if item.name and item.name in line else len(item.indent)
        start = time.perf_counter()
        try:
            actions = await asyncio.wait_for(client.code_actions(uri, (item.start_line, column), only=[ITEM_KIND]), REQUEST_TIMEOUT_S)
        except asyncio.TimeoutError:
            load.unanswered += 1
            continue
        except Exception as err:  # noqa: BLE001 - counted, the loop goes on
            load.errors.append(f"list at {item.label}: {type(err).__name__}: {err}")
            continue
        load.lists.append(time.perf_counter() - start)
        action = next((a for a in actions if item.label in a.title), None)
        if action is None:
            load.errors.append(f"no action for {item.label}")
            continue
        told = len(client.messages)
        start = time.perf_counter()
        try:
            resolved = await asyncio.wait_for(client.code_action_resolve_async(action), REQUEST_TIMEOUT_S)
        except asyncio.TimeoutError:
            load.unanswered += 1
            continue
        except Exception as err:  # noqa: BLE001 - counted, the loop goes on
            load.errors.append(f"resolve of {item.label}: {type(err).__name__}: {err}")
            continue
        load.resolves.append(time.perf_counter() - start)
        if resolved.edit is None:
            load.errors.append(f"no edit for {item.label}")
        if model:
            load.errors.extend(f"{item.label}: {m.message}" for m in client.messages[told:] if "template engine" in m.message)
    return load


async def editors(count: int, rounds: int, settings: dict, files: list[Path], text: str, *, model: bool) -> list[EditorLoad]:
    """`count` editors, each its own server process and file, all looping at once."""
    from tests.support.lsp_client import server_session

    async with AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(stack.enter_async_context(server_session(initialization_options=settings, root_uri=f.parent.as_uri())) for f in files[:count])
        )
        for client, path in zip(clients, files):
            client.open(path.as_uri(), text)
        return await asyncio.gather(
            *(editor_loop(client, path.as_uri(), text, rounds, model=model) for client, path in zip(clients, files))
        )


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _add(report: Report, what: str, loads: list[EditorLoad], baseline: list[EditorLoad] | None) -> None:
    lists = [s for load in loads for s in load.lists]
    resolves = [s for load in loads for s in load.resolves]
    base_lists = [s for load in baseline or [] for s in load.lists]
    base_resolves = [s for load in baseline or [] for s in load.resolves]
    base = "template" if baseline is not None else None
    for name, values, base_values in (("code-action list", lists, base_lists), ("resolve", resolves, base_resolves)):
        for q, label in ((0.5, "p50"), (0.95, "p95")):
            report.add(
                f"{what}: {name} {label}", _p(values, q) * 1000, "ms",
                _p(base_values, q) * 1000 if base_values else None, base,
            )
    report.add(f"{what}: requests answered", sum(len(x.lists) + len(x.resolves) for x in loads), "")
    report.add(f"{what}: unanswered", sum(x.unanswered for x in loads), "", target="0")
    report.add(f"{what}: errors", sum(len(x.errors) for x in loads), "", target="0")
    for load in loads:
        report.notes.extend(f"{what}: {error}" for error in load.errors[:5])


def load_figures(report: Report, *, clients: int, rounds: int, template_rounds: int, gguf: Path) -> None:
    """The template engine's figures, then the shared server's (see the module doc)."""
    from tests.support.model_server import model_server

    text = stripped_source()
    with tempfile.TemporaryDirectory(prefix="rustdoc-gen-load-") as tmp:
        files = []
        for k in range(clients):  # each editor's own workspace and file
            path = Path(tmp) / f"editor{k}" / "unix.rs"
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
            files.append(path)
        template = asyncio.run(editors(clients, template_rounds, {}, files, text, model=False))
        _add(report, f"template, {clients} editors", template, None)
        with model_server(gguf, Path(tmp) / "server.log") as server:
            settings = {"model": {"path": server.url, "maxTokens": MAX_TOKENS}}
            start = time.perf_counter()
            shared = asyncio.run(editors(clients, rounds, settings, files, text, model=True))
            seconds = time.perf_counter() - start
        _add(report, f"one shared server, {clients} editors", shared, template)
    resolves = sum(len(x.resolves) for x in shared)
    report.notes.append(
        f"load: {clients} `serve` processes, each on its own copy of {SOURCE[0]} {SOURCE[1]} (docs stripped); "
        f"template {template_rounds} rounds each, shared server {rounds} rounds each ({resolves} docs in {seconds:.0f}s: "
        f"{resolves / seconds:.2f} docs/s), llama-cpp-python's server on {gguf.name}, max {MAX_TOKENS} tokens, greedy"
    )
    report.notes.append(
        f"median resolves per editor: {statistics.median(len(x.resolves) for x in shared):.0f} "
        "(llama-cpp-python's server answers one request at a time: the others queue)"
    )


def add_arguments(parser) -> None:
    """The load figures' options, on `python -m bench server` (and `python -m bench load`)."""
    parser.add_argument("--clients", type=int, default=8, help="--only load: editors at once, each its own serve process")
    parser.add_argument("--rounds", type=int, default=3, help="--only load: list + resolve rounds per editor on the shared server")
    parser.add_argument("--template-rounds", type=int, default=20, help="--only load: rounds per editor with the template engine")
    parser.add_argument(
        "--load-model", type=Path, default=None,
        help="--only load: the GGUF the shared server serves (default: the real Qwen2.5-Coder-0.5B, fetched once)",
    )


def figures(report: Report, options) -> None:
    """The load figures for parsed `add_arguments` options."""
    gguf = options.load_model
    if gguf is None:
        from tests.support.real_models import real_model

        gguf = real_model("qwen05")
    load_figures(report, clients=options.clients, rounds=options.rounds, template_rounds=options.template_rounds, gguf=gguf)


def run(args: list[str]) -> Report:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    report = Report("language servers under load (K rustdoc-gen serve processes, one shared model server)")
    figures(report, parser.parse_args(args))
    return report
