"""The warnings fittrack gives, under one base class users (and tests) can filter.

Example:
    >>> import warnings
    >>> from fittrack.notices import FittrackWarning
    >>> warnings.simplefilter("ignore", FittrackWarning)   # silence fittrack only
"""

from __future__ import annotations


class FittrackWarning(UserWarning):
    """Base of every warning fittrack gives."""


class FittrackRuntimeWarning(FittrackWarning, RuntimeWarning):
    """Something failed at run time and was recorded instead of stopping training
    (a metric or the loss recorded as NaN, the live plot turned off, no curves)."""
