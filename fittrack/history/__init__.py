"""The run store: MetricHistory, its CSV files, and the CSV stream.

Pure NumPy/pandas: this package imports neither Keras nor matplotlib.

The files of a run ``run.csv`` (one concept per module):

- ``run.csv``: epoch rows (``epoch,<keys>``), the format of Keras' CSVLogger;
  ``run.batches.csv``: batch rows (``step,epoch,batch,<keys>``)
  (:mod:`.csv_write`, read back exactly by :mod:`.csv_read` after the checks
  of :mod:`.csv_check`). Header cells that a spreadsheet would run as a
  formula get a leading apostrophe (:mod:`.header`); ``epoch``, ``step`` and
  ``batch`` are not keys (:mod:`.keys`).
- ``run.meta.json``: the direction of each metric (:mod:`.meta`).
- ``run.csv.lock``: present while a run writes (:mod:`.lock`).

:class:`CsvStream` writes the batch rows before the epoch rows: the epoch
file is the commit marker, and a resume drops batch rows that it does not
cover (:mod:`.stream`). Appends are undone when they fail (:mod:`.files`);
a file changed by someone else is rewritten from the history (:mod:`.mirror`).

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
