"""CurveStore: ROC curves, PR curves and confusion matrices per evaluated epoch.

A record is a dict of NumPy arrays (see :mod:`fittrack.metrics.curve_points`)
under ``(epoch, dataset, output, kind)``: ``dataset`` is ``"train"`` or
``"val"``, ``output`` a model output's name (None for a single-output model),
``kind`` one of ``"roc"`` (``fpr, tpr, thresholds, class``), ``"pr"``
(``precision, recall, thresholds, class``) or ``"confusion"`` (``matrix``,
rows = true class, and ``labels``).

The file, ``run.curves.npz`` beside ``run.csv`` (:func:`curves_path`), is one
NumPy ``.npz`` archive, rewritten atomically at each save, read back with
``np.load(path)`` (no pickle) or :meth:`CurveStore.load`:

- ``format``: the string ``"fittrack-curves 1"``;
- ``index``: a JSON list, one object per record, in order:
  ``{"epoch": 3, "dataset": "val", "output": null, "kind": "roc",
  "arrays": ["fpr", "tpr", "thresholds", "class"]}``;
- ``r<i>.<name>``: array ``<name>`` of record ``i`` (``r0.fpr``, ...).

Example:
    >>> store = CurveStore()
    >>> store.add(0, "val", "roc", {"fpr": [0, 0, 1], "tpr": [0, 1, 1], "thresholds": [9, .8, .1]})
    >>> store.add(1, "val", "roc", {"fpr": [0, 1], "tpr": [0, 1], "thresholds": [9, .5]})
    >>> store.get("roc")["fpr"].tolist(), store.get("roc", epoch=0)["class"].tolist()
    ([0.0, 1.0], [1, 1, 1])
    >>> store.epochs("roc"), curves_path("logs/run.csv").as_posix()
    ([0, 1], 'logs/run.curves.npz')
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fittrack.history.files import atomic_write

FORMAT = "fittrack-curves 1"
DATASETS = ("train", "val")
#: kind -> the arrays a record of that kind must hold (``class`` is added if absent)
ARRAYS = {"roc": ("fpr", "tpr", "thresholds"), "pr": ("precision", "recall", "thresholds"),
          "confusion": ("matrix", "labels")}
Key = tuple[int, str, "str | None", str]


def curves_path(csv_path: str | os.PathLike) -> Path:
    """The curves file that goes with the history CSV ``csv_path``.

    Example:
        >>> curves_path("run.csv").name, curves_path("run").name
        ('run.curves.npz', 'run.curves.npz')
    """
    path = Path(csv_path)
    stem = path.name[:-4] if path.suffix.lower() == ".csv" else path.name
    return path.with_name(stem + ".curves.npz")


def resolve_epoch(epoch: int | str | None,
                  best_epoch: Callable[[str], int] | None = None) -> int | None:
    """The epoch ``epoch`` names: None for the last one, an int, or the best epoch of a key.

    ``epoch`` is None, ``"last"``, an int, a string of digits, or
    ``"best:<key>"``; the last needs ``best_epoch(key)``, the run's best epoch
    of ``key`` (``lambda key: history.best(key)[0]``).

    Example:
        >>> best = {"val_auc": 4}.get
        >>> resolve_epoch("last"), resolve_epoch("7"), resolve_epoch("best:val_auc", best)
        (None, 7, 4)
    """
    if epoch is None or epoch == "last":
        return None
    if isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool):
        return int(epoch)
    if isinstance(epoch, str) and epoch.strip().isdigit():
        return int(epoch)
    if isinstance(epoch, str) and epoch.startswith("best:") and epoch[5:]:
        if best_epoch is None:
            raise ValueError(f"epoch={epoch!r} needs the run's history to find the best epoch "
                             f"of {epoch[5:]!r}; pass the MetricHistory (or the CSV file), or "
                             f"an epoch number.")
        return int(best_epoch(epoch[5:]))
    raise ValueError(f"epoch must be None, 'last', an epoch number or 'best:<key>' "
                     f"(e.g. 'best:val_auc'); received {epoch!r}.")


class CurveStore:
    """Curve records of a run, by ``(epoch, dataset, output, kind)``; see the module docstring."""

    def __init__(self) -> None:
        self._records: dict[Key, dict[str, np.ndarray]] = {}
        self.revision = 0  # counts changes: a file written at one revision is current

    def add(self, epoch: int, dataset: str, kind: str, arrays: Mapping[str, Any],
            output: str | None = None) -> None:
        """Store (or replace) one record; the arrays are copied and made read-only."""
        _check_choice("dataset", dataset, DATASETS)
        _check_choice("kind", kind, tuple(ARRAYS))
        missing = [name for name in ARRAYS[kind] if name not in arrays]
        if missing:
            raise ValueError(f"A {kind!r} record needs the arrays {list(ARRAYS[kind])}; "
                             f"missing {missing}.")
        record = {str(name): np.array(values) for name, values in arrays.items()}
        if kind != "confusion":
            record = {name: values.astype(np.int64 if name == "class" else np.float64)
                      for name, values in record.items()}
            record.setdefault("class", np.ones(len(record["thresholds"]), dtype=np.int64))
            lengths = {name: len(values) for name, values in record.items()}
            if len(set(lengths.values())) != 1:
                raise ValueError(f"The arrays of a {kind!r} record must have one length; "
                                 f"received {lengths}.")
        for values in record.values():
            values.setflags(write=False)
        self._records[(int(epoch), dataset, output, kind)] = record
        self.revision += 1

    def add_curves(self, epoch: int, dataset: str, curves: Mapping[str, Mapping[str, Any]],
                   output: str | None = None) -> None:
        """Store every kind of ``curves`` (what ``curves_for`` returns) for one evaluation."""
        for kind, arrays in curves.items():
            self.add(epoch, dataset, kind, arrays, output)

    def get(self, kind: str, dataset: str = "val", epoch: int | None = None,
            output: str | None = None) -> dict[str, np.ndarray]:
        """The arrays of one record; ``epoch=None``: the last epoch that has one.

        ``output=None`` on a store of named outputs picks the only one, if there is one.

        Raises:
            KeyError: no such record (the message lists what the store holds).
        """
        output = self._output(kind, dataset, output)
        epochs = sorted(key[0] for key in self._records if key[1:] == (dataset, output, kind))
        if not epochs or (epoch is not None and int(epoch) not in epochs):
            held = f"epochs {epochs}" if epochs else f"none (it holds {self._summary()})"
            raise KeyError(f"No {kind!r} curve for dataset={dataset!r}, epoch={epoch!r}"
                           f"{'' if output is None else f', output={output!r}'}; the store has "
                           f"{held}. Curves are kept with MetricsCallback(curves=True).")
        return dict(self._records[(epochs[-1] if epoch is None else int(epoch), dataset,
                                   output, kind)])

    def last_epoch(self, kind: str, dataset: str = "val", output: str | None = None) -> int:
        """The epoch ``get(kind, dataset, None, output)`` returns (KeyError if none)."""
        output = self._output(kind, dataset, output)
        epochs = [key[0] for key in self._records if key[1:] == (dataset, output, kind)]
        if not epochs:
            self.get(kind, dataset, None, output)  # raises, saying what the store holds
        return max(epochs)

    def epochs(self, kind: str | None = None, dataset: str | None = None,
               output: str | None = None) -> list[int]:
        """Sorted epochs with a record of ``kind`` for ``dataset`` and ``output`` (None: any)."""
        return sorted({e for e, d, o, k in self._records
                       if (kind is None or k == kind) and (dataset is None or d == dataset)
                       and (output is None or o == output)})

    def keys(self) -> list[Key]:
        """Every ``(epoch, dataset, output, kind)``, in the order they were added."""
        return list(self._records)

    def kinds(self) -> list[str]:
        """The kinds the store holds, in the order roc, pr, confusion."""
        held = {key[3] for key in self._records}
        return [kind for kind in ARRAYS if kind in held]

    def truncate(self, epoch: int) -> None:
        """Drop the records of epochs ``>= epoch`` (a resumed run replaces them)."""
        kept = {key: r for key, r in self._records.items() if key[0] < epoch}
        if len(kept) != len(self._records):
            self._records = kept
            self.revision += 1

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Key]:
        return iter(self.keys())

    def __repr__(self) -> str:
        return f"CurveStore({self._summary()})"

    def _summary(self) -> str:
        if not self._records:
            return "no records"
        epochs = self.epochs()
        outputs = sorted({str(key[2]) for key in self._records if key[2] is not None})
        return (f"{len(self._records)} records, epochs {epochs[0]}-{epochs[-1]}, kinds "
                f"{self.kinds()}, datasets {sorted({k[1] for k in self._records})}"
                + (f", outputs {outputs}" if outputs else ""))

    def _output(self, kind: str, dataset: str, output: str | None) -> str | None:
        """``output``, or the only output with such records when None is asked for."""
        names = {key[2] for key in self._records if key[3] == kind and key[1] == dataset}
        if output is not None or None in names or len(names) <= 1:
            return output if output is not None else next(iter(names), None)
        raise KeyError(f"The store holds {kind!r} curves of several outputs, "
                       f"{sorted(names, key=str)}; choose one with output=<name>.")

    # ----- the file -----
    def save(self, path: str | os.PathLike) -> Path:
        """Write every record to ``path`` (one ``.npz`` file, atomically); return the path."""
        index: list[dict] = []
        arrays: dict[str, Any] = {"format": np.array(FORMAT)}
        for i, ((epoch, dataset, output, kind), record) in enumerate(self._records.items()):
            index.append({"epoch": epoch, "dataset": dataset, "output": output, "kind": kind,
                          "arrays": list(record)})
            arrays.update((f"r{i}.{name}", _narrow(values) if name == "class" else values)
                          for name, values in record.items())
        arrays["index"] = np.array(json.dumps(index))
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        atomic_write(path, [buffer.getvalue()])
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> CurveStore:
        """Read a file written by :meth:`save`.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a fittrack curves file (the message names it).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{str(path)!r} does not exist; a run writes its curves "
                                    f"there with MetricsCallback(csv_path=..., curves=True).")
        store = cls()
        try:
            if not zipfile.is_zipfile(path):
                raise ValueError("not an .npz archive")
            with np.load(path, allow_pickle=False) as data:
                if "format" not in data.files or str(data["format"]) != FORMAT:
                    raise ValueError(f"expected the format {FORMAT!r}")
                for i, entry in enumerate(json.loads(str(data["index"]))):
                    arrays = {name: data[f"r{i}.{name}"] for name in entry["arrays"]}
                    store.add(entry["epoch"], entry["dataset"], entry["kind"], arrays,
                              entry["output"])
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            raise ValueError(f"{str(path)!r} is not a fittrack curves file ({error}). It is "
                             f"written beside the history CSV as <name>.curves.npz.") from None
        return store


def _narrow(classes: np.ndarray) -> np.ndarray:
    """Class numbers in the smallest integer type that holds them (1 byte for < 256)."""
    return classes.astype(np.min_scalar_type(int(classes.max()))) if len(classes) and \
        classes.min() >= 0 else classes


def _check_choice(what: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {list(choices)}; received {value!r}.")
