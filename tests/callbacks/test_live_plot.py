"""MetricsCallback(live_plot=...): one figure redrawn in place per epoch in Jupyter."""

import pytest

from fittrack import MetricsCallback
from tests.callbacks.probes import binary_classifier
from tests.plots.test_live import kernel  # noqa: F401 - the fake Jupyter kernel fixture


def test_live_plot_displays_once_then_updates_each_epoch(kernel, binary_data):  # noqa: F811
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), live_plot={"metrics": ["auc"]})
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert [entry[0] for entry in kernel] == ["display", "update", "update"]
    assert cb.live.updates == 3 and cb.live.figure is None   # closed at train end


def test_live_plot_outside_a_notebook_draws_nothing(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), live_plot=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert cb.live.active is False and cb.live.updates == 0


def test_live_plot_rejects_other_values(binary_data):
    _x, _y, xv, yv = binary_data
    with pytest.raises(TypeError, match="live_plot must be"):
        MetricsCallback(["auc"], validation_data=(xv, yv), live_plot="yes")
