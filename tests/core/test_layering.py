"""The house's layers: the core depends on no app and on no terminal code, its folders follow
the data flow (reading Rust, then doc rules, then generation), and no module of any package
imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

APPS = ("corpus_miner", "trainer", "lsp_server", "rustdoc_cli", "bench", "demo_page")
PACKAGES = ("rustdoc_core", "rustdoc_console", *APPS)
TERMINAL = ("click", "rich", "rustdoc_console")
"""The core raises plain exceptions; the command line maps them to click and draws the console."""
CORE = REPO_ROOT / "rustdoc_core"
CORE_FILES = sorted(CORE.rglob("*.py"))
LOWER_LAYERS = {"rust": (), "docs": ("rust",)}
"""A core folder -> the core folders it may import besides itself (generation may import all)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (`from a import b`: `a.b`
    where that is a module, else `a`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py")}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_app_and_no_terminal_code(path: Path):
    bad = sorted(name for name in imported_modules(path) if name.split(".")[0] in (*APPS, *TERMINAL))
    assert bad == [], f"{path.relative_to(REPO_ROOT)} imports {bad}"


@pytest.mark.parametrize("folder", sorted(LOWER_LAYERS))
def test_core_folder_imports_only_the_layers_below_it(folder: str):
    allowed = {folder, *LOWER_LAYERS[folder]}
    bad = []
    for path in sorted((CORE / folder).rglob("*.py")):
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "rustdoc_core" and len(parts) > 1 and (CORE / parts[1]).is_dir() and parts[1] not in allowed:
                bad.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    assert bad == []


def test_the_core_folders_are_the_data_flow():
    folders = sorted(p.name for p in CORE.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert folders == ["docs", "generation", "rust"]
    assert {p.name for p in CORE.glob("*.py")} <= {"__init__.py", "atomic.py", "errors.py", "hub.py"}


def test_no_module_imports_itself_back_through_others():
    modules = project_modules()
    graph = {
        name: sorted({target for target in imported_modules(path) if target in modules and target != name})
        for name, path in modules.items()
    }
    cycles = _cycles(graph)
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_check_finds_a_circle():
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": []}) == []


def test_the_command_line_is_the_one_place_that_names_every_app():
    from rustdoc_cli.cli import COMMANDS

    assert {module.split(".")[0] for module, _ in COMMANDS.values()} >= {"corpus_miner", "trainer", "lsp_server", "rustdoc_cli"}
