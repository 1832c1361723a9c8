"""Rules for the whole package: every docstring example runs, modules stay small,
and the import graph has no cycle."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import fittrack

ROOT = Path(fittrack.__file__).parent
MODULES = sorted(["fittrack"] + [info.name for info in pkgutil.walk_packages(
    fittrack.__path__, "fittrack.")])


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failures, tried = doctest.testmod(module, optionflags=flags)
    assert failures == 0
    if name.startswith("fittrack.history."):   # the store's modules each show an example
        assert tried > 0, f"{name} has no docstring example"


@pytest.mark.parametrize("name", MODULES)
def test_modules_stay_small(name):
    lines = Path(importlib.import_module(name).__file__).read_text().count("\n")
    assert lines <= 300, f"{name} has {lines} lines: split it by concept"


def _module_imports(name: str) -> set[str]:
    """fittrack modules imported at module level (imports inside functions are lazy)."""
    path = Path(importlib.import_module(name).__file__)
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fittrack"):
            for alias in node.names:   # "from fittrack.metrics import task": the submodule
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("fittrack")}
    return found - {name}


def test_the_import_graph_has_no_cycle():
    """Packages import their modules (re-exports); a module importing its own package's
    name is fine only when that name is one of the package's submodules."""
    graph = {name: {dep for dep in _module_imports(name) if dep in MODULES} for name in MODULES}
    packages = {name for name in MODULES if Path(importlib.import_module(name).__file__).name
                == "__init__.py"}
    edges = {name: {dep for dep in deps if not (name in packages and dep.startswith(name + "."))}
             for name, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in MODULES:
        if name not in state:
            visit(name, [name])
    assert cycles == []
