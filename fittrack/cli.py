"""The ``fittrack`` command line.

    fittrack demo [--backend B] [--epochs N] [--out DIR]
    fittrack plot CSV -o PNG [--metrics NAME ...] [--level epoch|batch] [--smoothing W]
    fittrack summary CSV [--metrics NAME ...] [--level epoch|batch]

CSV is a file written by fittrack (``MetricsCallback(csv_path=...)``,
``MetricHistory.to_csv``) or by Keras' ``CSVLogger``. Errors are one line on
stderr, ``fittrack <command>: error: ...``, with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence


class UsageError(Exception):
    """A user error the command line reports in one line (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fittrack", description="Exact whole-dataset metrics for Keras training runs.",
        epilog="Run 'fittrack <command> --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="train on scikit-learn's digits with the callback",
                          description="Train a small model on scikit-learn's bundled digits "
                          "data with per-epoch and per-batch metrics; write history.csv, "
                          "history.batches.csv and curves.png; print a summary.")
    demo.add_argument("--backend", choices=["jax", "tensorflow", "torch"], default=None,
                      help="Keras backend (default: $KERAS_BACKEND, else the first installed)")
    demo.add_argument("--epochs", type=_positive_int, default=10, help="epochs (default 10)")
    demo.add_argument("--out", default="fittrack-demo", help="output folder")

    plot = sub.add_parser("plot", help="draw a history CSV as a PNG",
                          description="Draw a history CSV: one panel per metric, training and "
                          "validation together, the best epoch marked.")
    plot.add_argument("csv", help="a fittrack or Keras CSVLogger CSV file")
    plot.add_argument("-o", "--output", required=True, help="the image to write (.png, .svg, .pdf)")
    _add_selection(plot)
    plot.add_argument("--smoothing", type=float, default=0.0,
                      help="moving-average weight in [0, 1) for --level batch (default 0)")
    plot.add_argument("--batch-overlay", action="store_true",
                      help="draw the batch rows as points under the epoch curves")
    plot.add_argument("--title", default=None, help="a title over the figure")
    plot.add_argument("--dpi", type=_positive_int, default=110, help="resolution (default 110)")

    summary = sub.add_parser("summary", help="print best and final values of a history CSV",
                             description="Print, per metric: the best epoch and value, the "
                             "final value, and the final train-validation gap.")
    summary.add_argument("csv", help="a fittrack or Keras CSVLogger CSV file")
    _add_selection(summary)
    return parser


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", nargs="+", metavar="NAME", default=None,
                        help="only these metrics (names or keys: auc, val_auc, ...)")
    parser.add_argument("--level", choices=["epoch", "batch"], default=None,
                        help="epoch rows or batch rows (default: epoch rows if the file has "
                        "any, else batch rows)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; received {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (argparse exits 2 on bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from fittrack.demo import run_demo

            run_demo(backend=args.backend, epochs=args.epochs, out=args.out)
        elif args.command == "plot":
            run_plot(args)
        elif args.command == "summary":
            run_summary(args)
    except (UsageError, OSError, ValueError, RuntimeError) as err:
        print(f"fittrack {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    return 0


def run_plot(args: argparse.Namespace) -> None:
    """``fittrack plot``: the CSV drawn as one figure, written to ``args.output``."""
    history = _load(args.csv)
    level = _level(history, args.level, args.csv)
    _check_metrics(history, args.metrics, level)
    from matplotlib.figure import Figure  # not pyplot: no window, no display needed

    from fittrack.plots import plot_history

    fig = plot_history(history, args.metrics, level=level, smoothing=args.smoothing,
                       batch_overlay=args.batch_overlay, title=args.title, fig=Figure())
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=args.dpi)
    print(f"wrote {output}")


def run_summary(args: argparse.Namespace) -> None:
    """``fittrack summary``: best and final values per key, printed as a table."""
    from fittrack.plots.summary import format_summary, summarize

    history = _load(args.csv)
    level = _level(history, args.level, args.csv)
    _check_metrics(history, args.metrics, level)
    if level == "epoch":
        epochs = history.epoch
        what = f"{len(epochs)} epochs ({min(epochs)}-{max(epochs)})"
    else:
        what = f"{len(history.steps)} batch rows (steps {min(history.steps)}-{max(history.steps)})"
    print(f"{args.csv}: {what}")
    print(format_summary(summarize(history, args.metrics, level), level))


def _load(path: str) -> Any:
    from fittrack.history import load_history

    if not Path(path).exists():
        raise UsageError(f"no such file: {path!r}")
    if Path(path).is_dir():
        raise UsageError(f"{path!r} is a folder; give the CSV file inside it")
    return load_history(path)


def _level(history: Any, requested: str | None, path: str) -> str:
    available = [level for level, keys in (("epoch", history.keys()),
                                           ("batch", history.batch_keys)) if keys]
    if not available:
        raise UsageError(f"{path!r} has no rows of metric values")
    if requested is None:
        return available[0]
    if requested not in available:
        raise UsageError(f"{path!r} has no {requested} rows; it has {available[0]} rows "
                         f"(use --level {available[0]})")
    return requested


def _check_metrics(history: Any, metrics: list[str] | None, level: str) -> None:
    if not metrics:
        return
    keys = history.keys() if level == "epoch" else history.batch_keys
    unknown = [name for name in metrics if not _selects(keys, name)]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise UsageError(f"unknown column{'s' if len(unknown) > 1 else ''} {names}; the "
                         f"{level} columns are: {', '.join(keys)}")


def _selects(keys: list[str], name: str) -> bool:
    from fittrack.plots.panels import group_keys

    try:
        group_keys(keys, [name])
    except ValueError:
        return False
    return True


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    if isinstance(err, FileNotFoundError) and not text:
        text = "file not found"
    return text


if __name__ == "__main__":
    sys.exit(main())
