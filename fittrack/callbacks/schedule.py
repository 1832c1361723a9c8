"""When the callback evaluates: every N epochs, and every N training batches.

Epochs follow Keras' ``validation_freq`` rule: with ``epoch_frequency=N`` the
epochs ``e`` with ``(e + 1) % N == 0`` are evaluated. Batches: ``step`` counts
the training batches run so far in this ``fit`` (from 1, across epochs); an
evaluation is due when ``step`` reaches a multiple of ``batch_frequency``
(with ``steps_per_execution > 1`` Keras reports several batches at once, and
a multiple passed over inside them still counts). A resumed run (``append=True``
with ``initial_epoch=k``) starts counting at ``k * steps_per_epoch``, so it
evaluates at the same steps an uninterrupted run would.

Example:
    >>> s = Schedule(epoch_frequency=2, batch_frequency=3)
    >>> s.begin_epoch(0)
    >>> [s.advance(b) for b in range(4)], s.step
    ([False, False, True, False], 4)
    >>> s.epoch_due(0), s.epoch_due(1)
    (False, True)
"""

from __future__ import annotations


class Schedule:
    """Counts steps and says which epochs and steps are evaluated."""

    def __init__(self, epoch_frequency: int = 1, batch_frequency: int | None = None):
        self.epoch_frequency = epoch_frequency
        self.batch_frequency = batch_frequency
        self.reset()

    def reset(self, step: int = 0) -> None:
        """Start a new ``fit`` with ``step`` batches already run (0, or a resumed run's)."""
        self.step = step
        self.epoch: int | None = None
        self._epoch_base = step

    def begin_epoch(self, epoch: int) -> None:
        """Remember the epoch; steps continue from the previous epoch's last."""
        self.epoch = epoch
        self._epoch_base = self.step

    def epoch_due(self, epoch: int) -> bool:
        """True when ``epoch`` (0-based) is one to evaluate."""
        return (epoch + 1) % self.epoch_frequency == 0

    def advance(self, batch: int) -> bool:
        """Record that Keras finished ``batch`` (its index in the epoch); True if due."""
        new_step = self._epoch_base + batch + 1
        every = self.batch_frequency
        due = bool(every) and new_step // every > self.step // every  # type: ignore[operator]
        self.step = max(self.step, new_step)
        return due
