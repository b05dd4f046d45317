"""The language server's modules import one way: features -> server, wired in one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lsp_server

PACKAGE = Path(lsp_server.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
FEATURES = {"lifecycle", "code_actions", "diagnostics", "progress", "examples"}
WIRING = "wiring"


def _imports(module: str) -> dict[str, bool]:
    """The lsp_server modules `module` imports -> whether only inside a function."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: dict[str, bool] = {}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            names: list[str] = []
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "lsp_server":
                    names = [alias.name for alias in child.names]
                elif child.module.startswith("lsp_server."):
                    names = [child.module.split(".")[1]]
            elif isinstance(child, ast.Import):
                names = [a.name.split(".")[1] for a in child.names if a.name.startswith("lsp_server.")]
            for name in names:
                found[name] = found.get(name, True) and inner
            visit(child, inner)

    visit(tree, False)
    return found


def test_the_server_module_imports_no_feature_and_only_the_wiring_imports_them_all():
    assert FEATURES <= set(MODULES)
    assert not FEATURES & set(_imports("server"))
    assert FEATURES - {"progress", "diagnostics"} <= set(_imports(WIRING))  # what it registers
    importers = {m for m in MODULES if {"code_actions", "lifecycle"} & set(_imports(m))}
    assert importers == {WIRING}


def test_lsp_server_imports_form_no_circle_and_none_hides_in_a_function():
    graph = {m: _imports(m) for m in MODULES}
    # A function-local import of a sibling is allowed only where it keeps the CLI light.
    hidden = {(m, dep) for m, deps in graph.items() for dep, local in deps.items() if local}
    assert hidden <= {("commands", WIRING), ("commands", "model_cache")}

    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in graph.get(module, {}):
            assert state.get(dep) != "open", f"import circle: {' -> '.join([*path, module, dep])}"
            if dep not in state:
                visit(dep, [*path, module])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [])


def test_each_lsp_server_module_imports_alone():
    for module in MODULES:
        done = subprocess.run([sys.executable, "-c", f"import lsp_server.{module}"], capture_output=True, text=True)
        assert done.returncode == 0, f"lsp_server.{module}: {done.stderr.strip().splitlines()[-1:]}"
