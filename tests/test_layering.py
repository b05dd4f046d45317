"""The shared core depends on nothing that depends on it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

APPS = ("corpus_miner", "trainer", "lsp_server", "rustdoc_cli", "bench", "demo_page")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "rustdoc_core").glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_app(path: Path):
    apps = sorted(name for name in imported_modules(path) if name.split(".")[0] in APPS)
    assert apps == [], f"{path.name} imports {apps}"


def test_the_command_line_is_the_one_place_that_names_every_app():
    from rustdoc_cli.cli import COMMANDS

    assert {module.split(".")[0] for module, _ in COMMANDS.values()} >= {"corpus_miner", "trainer", "lsp_server", "rustdoc_cli"}
