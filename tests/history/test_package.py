"""Package rules of the store: no Keras or matplotlib import, its public names (the
doctests and module sizes of the whole package: tests/test_package.py)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

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


def test_public_names():
    assert set(fittrack.history.__all__) == {"CsvStream", "MetricHistory", "batch_csv_path",
                                             "load_history"}
    assert fittrack.MetricHistory is fittrack.history.MetricHistory
    assert fittrack.load_history is fittrack.history.load_history
