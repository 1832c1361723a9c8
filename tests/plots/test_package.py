"""Package rules for fittrack.plots: docstring examples pass, modules stay small."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import fittrack.plots

MODULES = sorted(info.name for info in pkgutil.iter_modules(fittrack.plots.__path__,
                                                            "fittrack.plots."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


@pytest.mark.parametrize("name", MODULES)
def test_modules_stay_small(name):
    lines = Path(importlib.import_module(name).__file__).read_text().count("\n")
    assert lines <= 300, f"{name} has {lines} lines"
