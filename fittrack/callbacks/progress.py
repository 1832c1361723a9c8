"""A progress line for evaluations that take a while.

A whole-dataset evaluation can take seconds; Keras' own progress bar then
stops moving and training looks stuck. When Keras shows progress
(``verbose`` != 0), an evaluation that runs longer than ``AFTER_SECONDS``
prints one line, updated in place, naming the dataset and how many batches
are done; a short one prints nothing.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> progress = Progress(verbose=True, stream=out, after_seconds=0.0)
    >>> progress.start("validation_data", total=2)
    >>> progress.step(); progress.step(); progress.finish()
    >>> "validation_data 2/2 batches" in out.getvalue()
    True
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

AFTER_SECONDS = 2.0


class Progress:
    """Reports one evaluation at a time; silent unless ``verbose`` and slow."""

    def __init__(self, verbose: bool, stream: TextIO | None = None,
                 after_seconds: float | None = None):
        self.verbose = bool(verbose)
        self.stream = stream
        self.after_seconds = AFTER_SECONDS if after_seconds is None else after_seconds
        self._label, self._done = "", 0
        self._total: int | None = None
        self._start = 0.0
        self._shown = False

    def start(self, label: str, total: int | None) -> None:
        """A new evaluation of ``total`` batches (None: unknown)."""
        self._label, self._total, self._done = label, total, 0
        self._start, self._shown = time.perf_counter(), False

    def step(self) -> None:
        """One more batch done."""
        self._done += 1
        if self.verbose and time.perf_counter() - self._start >= self.after_seconds:
            self._write("\r")

    def finish(self) -> None:
        """End the line (only if one was shown)."""
        if self._shown:
            self._write("\r")
            (self.stream or sys.stdout).write("\n")

    def _write(self, prefix: str) -> None:
        total = "" if self._total is None else f"/{self._total}"
        elapsed = time.perf_counter() - self._start
        stream = self.stream or sys.stdout
        stream.write(f"{prefix}fittrack: evaluating {self._label} {self._done}{total} batches "
                     f"({elapsed:.1f} s)")
        stream.flush()
        self._shown = True
