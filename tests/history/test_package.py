"""Package rules: no Keras or matplotlib import, doctests pass, modules stay small."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import fittrack.history

MODULES = sorted(info.name for info in pkgutil.iter_modules(fittrack.history.__path__,
                                                            "fittrack.history."))


def test_importing_the_history_package_imports_no_framework():
    code = ("import fittrack.history, fittrack, sys; h = fittrack.MetricHistory(); "
            "h.record_epoch(0, {'loss': 1.0}); h.to_frame(); "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'keras', 'tensorflow', 'jax', 'torch', 'matplotlib'}); print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    assert tried > 0, f"{name} has no docstring example"


@pytest.mark.parametrize("name", MODULES)
def test_modules_stay_small(name):
    lines = Path(importlib.import_module(name).__file__).read_text().count("\n")
    assert lines <= 300, f"{name} has {lines} lines"


def test_public_names():
    assert set(fittrack.history.__all__) == {"CsvStream", "MetricHistory", "batch_csv_path",
                                             "load_history"}
    assert fittrack.MetricHistory is fittrack.history.MetricHistory
    assert fittrack.load_history is fittrack.history.load_history
