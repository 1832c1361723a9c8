"""The ``fittrack`` command line.

    fittrack demo [--backend B] [--epochs N] [--out DIR]
    fittrack plot CSV [CSV ...] -o PNG [--labels L ...] [--metrics NAME ...]
                  [--level epoch|batch] [--smoothing W] [--max-panels N]
    fittrack summary CSV [CSV ...] [--labels L ...] [--metrics NAME ...] [--level epoch|batch]
    fittrack curves CSV -o PNG [--epoch last|N|best:KEY] [--dataset val|train]
    fittrack --version

CSV is a file written by fittrack (``MetricsCallback(csv_path=...)``,
``MetricHistory.to_csv``) or by Keras' ``CSVLogger``; ``--sep ';'`` reads
other separators. Several files are compared: one colour per run in ``plot``,
one table naming each run in ``summary`` (labels: the file names, or
``--labels``). ``--metrics`` takes metric names, keys or aliases (``acc`` and
``accuracy`` find each other). Errors are one line on stderr, ``fittrack
<command>: error: ...``, with exit code 2. Output cut short by the reader
(``fittrack summary run.csv | head -1``) ends the command quietly (exit 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from fittrack.cli_files import CurvedRun, UsageError, existing_file, load_runs, one_line


def build_parser() -> argparse.ArgumentParser:
    from fittrack import __version__

    parser = argparse.ArgumentParser(
        prog="fittrack", description="Exact whole-dataset metrics for Keras training runs.",
        epilog="Run 'fittrack <command> --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"fittrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="train on scikit-learn's digits with the callback",
                          description="Train a small model on scikit-learn's bundled digits "
                          "data with per-epoch and per-batch metrics; write history.csv, "
                          "history.batches.csv and curves.png; print a summary.")
    demo.add_argument("--backend", choices=["jax", "tensorflow", "torch"], default=None,
                      help="Keras backend (default: $KERAS_BACKEND, else the first installed)")
    demo.add_argument("--epochs", type=_positive_int, default=10, help="epochs (default 10)")
    demo.add_argument("--out", default="fittrack-demo", help="output folder")

    plot = sub.add_parser("plot", help="draw history CSVs as a PNG (several runs: compared)",
                          description="Draw history CSVs: one panel per metric, training and "
                          "validation together, the best epoch marked; several files are "
                          "drawn on the same panels, one colour per run.")
    _add_files(plot)
    plot.add_argument("-o", "--output", required=True, help="the image to write (.png, .svg, .pdf)")
    _add_selection(plot)
    plot.add_argument("--smoothing", type=float, default=0.0,
                      help="moving-average weight in [0, 1) for --level batch (default 0)")
    plot.add_argument("--batch-overlay", action="store_true",
                      help="draw the batch rows as points among the epoch curves")
    plot.add_argument("--max-panels", type=_positive_int, default=20,
                      help="at most this many panels without --metrics (default 20)")
    plot.add_argument("--title", default=None, help="a title over the figure")
    plot.add_argument("--dpi", type=_positive_int, default=110, help="resolution (default 110)")

    summary = sub.add_parser("summary", help="print best and final values of history CSVs",
                             description="Print, per metric: the best epoch and value, the "
                             "final value, and the final train-validation gap; several files "
                             "make one table with a column naming the run.")
    _add_files(summary)
    _add_selection(summary)

    curves = sub.add_parser("curves", help="draw the ROC/PR curves and confusion matrix of a run",
                            description="Draw one evaluation's ROC curve, PR curve and "
                            "confusion matrix from the run's curves file (<name>.curves.npz "
                            "beside the CSV, written with MetricsCallback(curves=True)).")
    curves.add_argument("csv", help="the run's CSV file (or its .curves.npz file)")
    curves.add_argument("-o", "--output", required=True, help="the image to write")
    curves.add_argument("--epoch", default="last",
                        help="last (default), an epoch number, or best:KEY (e.g. best:val_auc)")
    curves.add_argument("--dataset", choices=["val", "train"], default="val",
                        help="validation (default) or training data")
    curves.add_argument("--kinds", nargs="+", choices=["roc", "pr", "confusion"], default=None,
                        help="the panels (default: every kind the file holds)")
    curves.add_argument("--model-output", default=None, metavar="NAME",
                        help="the model output (multi-output models)")
    curves.add_argument("--sep", default=",", help="the CSV's field separator (default ',')")
    curves.add_argument("--dpi", type=_positive_int, default=110, help="resolution (default 110)")
    return parser


def _add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", nargs="+", help="fittrack or Keras CSVLogger CSV files")
    parser.add_argument("--labels", nargs="+", metavar="LABEL", default=None,
                        help="one name per file (default: the file names)")
    parser.add_argument("--sep", default=",", help="the CSV field separator (default ',')")


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", nargs="+", metavar="NAME", default=None,
                        help="only these metrics (names, keys or aliases: auc, val_auc, acc)")
    parser.add_argument("--level", choices=["epoch", "batch"], default=None,
                        help="epoch rows or batch rows (default: epoch rows if the files have "
                        "any, else batch rows)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; received {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (argparse exits 2 on bad usage)."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # a reader gone away (| head) shows here at the latest
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"plot": run_plot, "summary": run_summary, "curves": run_curves}
    try:
        if args.command == "demo":
            from fittrack.demo import run_demo

            run_demo(backend=args.backend, epochs=args.epochs, out=args.out)
        else:
            commands[args.command](args)
    except BrokenPipeError:
        raise
    except (UsageError, OSError, ValueError, RuntimeError, KeyError) as err:
        print(f"fittrack {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 2
    return 0


def run_plot(args: argparse.Namespace) -> None:
    """``fittrack plot``: the CSVs drawn as one figure, written to ``args.output``."""
    runs, level = load_runs(args)
    from matplotlib.figure import Figure  # not pyplot: no window, no display needed

    from fittrack.plots import plot_history

    source = runs if len(runs) > 1 or args.labels else next(iter(runs.values()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plot_history(source, args.metrics, level=level, smoothing=args.smoothing,
                           batch_overlay=args.batch_overlay, title=args.title, fig=Figure(),
                           max_panels=args.max_panels)
    for warning in caught:
        print(f"fittrack plot: warning: {one_line(warning.message)}", file=sys.stderr)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=args.dpi)
    print(f"wrote {output}")


def run_summary(args: argparse.Namespace) -> None:
    """``fittrack summary``: best and final values per key (and per run), as one table."""
    from fittrack.history.summary import format_summary, summarize

    runs, level = load_runs(args)
    for path, history in zip(args.csv, runs.values()):
        if level == "epoch":
            epochs = history.epoch
            what = f"{len(epochs)} epochs ({min(epochs)}-{max(epochs)})" if epochs else "no epochs"
        else:
            steps = history.steps
            what = (f"{len(steps)} batch rows (steps {min(steps)}-{max(steps)})" if steps
                    else "no batch rows")
        print(f"{path}: {what}")
    source = runs if len(runs) > 1 else next(iter(runs.values()))
    print(format_summary(summarize(source, args.metrics, level), level))


def run_curves(args: argparse.Namespace) -> None:
    """``fittrack curves``: one evaluation's ROC/PR curves and confusion matrix, as an image."""
    from matplotlib.figure import Figure

    from fittrack.history.curve_store import CurveStore, curves_path
    from fittrack.plots import plot_curves

    path = existing_file(args.csv)
    npz = path if path.name.endswith(".curves.npz") else curves_path(path)
    if not npz.is_file():
        raise UsageError(f"{args.csv!r} has no curves file {str(npz)!r} beside it; a run "
                         f"writes one with MetricsCallback(csv_path=..., curves=True)")
    csv = npz.with_name(npz.name[: -len(".curves.npz")] + ".csv")
    run = CurvedRun(CurveStore.load(npz), csv, args.sep)
    fig = plot_curves(run, args.kinds, epoch=args.epoch, dataset=args.dataset,
                      output=args.model_output, fig=Figure())
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=args.dpi)
    print(f"wrote {output}")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
