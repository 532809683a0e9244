"""The house rules of ``grader/``: layers import only downwards, no module imports itself in a circle, and modules
and functions stay small enough to read.

Every import counts, also one inside a function: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "grader"
#: Each layer, and the layers it may import (itself included). The journey of a submission runs down the
#: list; feedback reads results data only, so it needs nothing but core.
ALLOWED = {
    "core": {"core"},
    "sandbox": {"core", "sandbox"},
    "submissions": {"core", "sandbox", "submissions"},
    "checks": {"core", "sandbox", "submissions", "checks"},
    "engine": {"core", "sandbox", "submissions", "checks", "engine"},
    "feedback": {"core", "feedback"},
    "authoring": {"core", "sandbox", "submissions", "checks", "engine", "authoring"},
    "batch": {"core", "sandbox", "submissions", "checks", "engine", "feedback", "batch"},
    "cli": set(),  # the top: anything
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str | None:
    """``grader.engine.grade`` -> ``engine``; the package's own ``__init__`` belongs to no layer (it imports nothing)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return parts[1] if parts[1] in ALLOWED else "cli"


def _imports(module: str) -> set[str]:
    """The grader modules ``module`` imports, anywhere in its file."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_graph_is_read():
    assert len(MODULES) > 40
    assert "grader.core.types" in GRAPH["grader.engine.grade"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_layer_imports_only_the_layers_below_it(module):
    layer = _layer(module)
    if layer in (None, "cli"):
        return
    upward = sorted(f"{target} ({_layer(target)})" for target in GRAPH[module]
                    if _layer(target) is not None and _layer(target) not in ALLOWED[layer])
    assert upward == [], f"{module} ({layer}) imports upwards: {upward}"


def test_no_import_cycle():
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_layers_check_can_fail():
    assert "engine" not in ALLOWED["checks"] and "batch" not in ALLOWED["feedback"]
    assert _layer("grader.checks.plugin") == "checks" and _layer("grader.cli") == "cli"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_stay_readable(module):
    text = MODULES[module].read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{module} has more than {MAX_MODULE_LINES} lines"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == [], f"{module}: functions over {MAX_FUNCTION_LINES} lines: {long}"
