"""LivePlot: one display then in-place updates in a kernel; nothing elsewhere."""

from __future__ import annotations

import sys
import types

import pytest

from fittrack.history import MetricHistory
from fittrack.plots import LivePlot
from fittrack.plots.live import in_notebook


class FakeHandle:
    def __init__(self, log):
        self.log = log

    def update(self, obj):
        self.log.append(("update", obj))


class FakeImage:
    def __init__(self, data, format):
        self.data, self.format = data, format


@pytest.fixture
def kernel(monkeypatch):
    """A fake IPython running inside a Jupyter kernel; returns the display log."""
    log = []

    def display(obj, display_id=False):
        log.append(("display", obj, display_id))
        return FakeHandle(log) if display_id else None

    ipython = types.ModuleType("IPython")
    shell = types.SimpleNamespace(kernel=object())
    ipython.get_ipython = lambda: shell
    # matplotlib reads it when it makes its first canvas; from 8.24 it leaves IPython alone
    ipython.version_info = (8, 24, 0)
    display_module = types.ModuleType("IPython.display")
    display_module.display, display_module.Image = display, FakeImage
    ipython.display = display_module
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    return log


def _grow(history, epoch):
    history.record_epoch(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1),
                                 "auc": 0.5 + 0.05 * epoch})


def test_in_a_kernel_one_display_then_updates(kernel):
    live = LivePlot()
    assert live.active
    history = MetricHistory()
    for epoch in range(4):
        _grow(history, epoch)
        live.update(history)
    assert [entry[0] for entry in kernel] == ["display", "update", "update", "update"]
    assert kernel[0][2] is True  # display_id=True: the output can be replaced
    images = [entry[1] for entry in kernel]
    assert all(isinstance(i, FakeImage) and i.format == "png" for i in images)
    assert all(i.data.startswith(b"\x89PNG") for i in images)
    assert live.updates == 4
    assert len(live.figure.axes) == 2  # one figure, redrawn: loss and auc panels
    live.close()
    assert live.figure is None


def test_every_n_and_batch_level(kernel):
    live = LivePlot(["auc"], every=2, level="batch")
    history = MetricHistory()
    for step in range(1, 6):
        history.record_batch(step, 0, step - 1, {"auc": 0.1 * step})
        live.update(history)
    assert [entry[0] for entry in kernel] == ["display", "update", "update"]  # calls 1, 3, 5


def test_drawing_error_turns_it_off_with_one_warning(kernel):
    live = LivePlot(["no_such_metric"])
    history = MetricHistory()
    _grow(history, 0)
    with pytest.warns(RuntimeWarning, match="LivePlot turned off.*no_such_metric"):
        live.update(history)
    live.update(history)  # no second warning, no display
    assert kernel == [] and not live.active


def test_plain_process_displays_nothing(monkeypatch):
    shown = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: None  # IPython imported, but no shell (a script)
    display_module = types.ModuleType("IPython.display")
    display_module.display = lambda *a, **k: shown.append(a)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    live = LivePlot()
    history = MetricHistory()
    _grow(history, 0)
    live.update(history)
    assert not live.active and shown == [] and live.updates == 0 and live.figure is None


def test_terminal_ipython_is_not_a_notebook(monkeypatch):
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace()  # TerminalInteractiveShell: no kernel
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not in_notebook()
    monkeypatch.delitem(sys.modules, "IPython")
    assert not in_notebook()


def test_bad_arguments():
    with pytest.raises(ValueError, match="every"):
        LivePlot(every=0)
    with pytest.raises(ValueError, match="own figure"):
        LivePlot(fig=object())
