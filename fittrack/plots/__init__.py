"""Line plots of runs (one panel per metric, several runs compared), curve plots
(ROC, PR, confusion matrix) of one evaluation, and a live view for notebooks.

matplotlib is imported when a figure is drawn, not when this package is
imported; Keras is never imported.

Example:
    >>> from fittrack.plots import plot_history
    >>> fig = plot_history({"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]})
    >>> len(fig.axes), fig.axes[0].get_title()
    (1, 'loss')
"""

from fittrack.plots.curve_plot import plot_curves
from fittrack.plots.figure import plot_history
from fittrack.plots.live import LivePlot

__all__ = ["LivePlot", "plot_curves", "plot_history"]
