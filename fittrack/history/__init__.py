"""The run store: MetricHistory, its CSV files, and the CSV stream.

Pure NumPy/pandas: this package imports neither Keras nor matplotlib.

Example:
    >>> from fittrack.history import MetricHistory
    >>> h = MetricHistory()
    >>> h.record_epoch(0, {"loss": 0.5, "val_loss": 0.75})
    >>> h.history
    {'loss': [0.5], 'val_loss': [0.75]}
"""

from fittrack.history.paths import batch_csv_path
from fittrack.history.store import MetricHistory, load_history
from fittrack.history.stream import CsvStream

__all__ = ["CsvStream", "MetricHistory", "batch_csv_path", "load_history"]
