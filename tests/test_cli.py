"""The command line, run in-process: files written, output printed, errors and exit codes."""

from __future__ import annotations

import pytest

import fittrack.plots
from fittrack.cli import main
from fittrack.history import MetricHistory

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run_csv(tmp_path):
    h = MetricHistory()
    for epoch in range(4):
        h.record_epoch(epoch, {"loss": 1.0 - 0.2 * epoch, "val_loss": [0.9, 0.7, 0.6, 0.65][epoch],
                               "auc": 0.6 + 0.1 * epoch, "val_auc": [0.6, 0.7, 0.75, 0.72][epoch]})
        for batch in (1, 3):
            step = 4 * epoch + batch + 1
            h.record_batch(step, epoch, batch, {"loss": 1.0 / step, "val_auc": 1 - 1.0 / step})
    path = h.to_csv(tmp_path / "run.csv")
    h.to_csv(tmp_path / "run.batches.csv", level="batch")
    return path


@pytest.fixture
def figures(monkeypatch):
    """The figures the CLI draws, captured through fittrack.plots.plot_history."""
    drawn = []
    original = fittrack.plots.plot_history

    def spy(*args, **kwargs):
        drawn.append(original(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(fittrack.plots, "plot_history", spy)
    return drawn


def _error_line(capsys, command):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"fittrack {command}: error: ")
    return err


def test_plot_writes_a_png(run_csv, tmp_path, capsys, figures):
    out = tmp_path / "figs" / "curves.png"
    assert main(["plot", str(run_csv), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(PNG)
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert [ax.get_title() for ax in figures[0].axes] == ["loss", "auc"]
    assert figures[0].axes[0].get_xlabel() == "epoch"
    assert _legend(figures[0].axes[1]) == ["training", "validation", "best 0.75 (epoch 2)"]
    assert main(["plot", str(run_csv), "-o", str(out), "--labels", "mine"]) == 0
    assert _legend(figures[1].axes[1])[0] == "mine: best 0.75 (epoch 2)"


def test_plot_metrics_and_batch_level(run_csv, tmp_path, figures):
    out = tmp_path / "b.png"
    assert main(["plot", str(run_csv), "-o", str(out), "--metrics", "val_auc",
                 "--level", "batch", "--smoothing", "0.5"]) == 0
    assert out.read_bytes().startswith(PNG)
    (ax,) = figures[0].axes
    assert (ax.get_title(), ax.get_xlabel()) == ("auc", "step")


def test_plot_a_batches_file_picks_the_batch_level(run_csv, tmp_path, figures):
    assert main(["plot", str(tmp_path / "run.batches.csv"), "-o", str(tmp_path / "b.png")]) == 0
    assert {ax.get_xlabel() for ax in figures[0].axes} == {"step"}


def test_summary(run_csv, capsys):
    assert main(["summary", str(run_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{run_csv}: 4 epochs (0-3)"
    assert lines[1].split()[:2] == ["metric", "better"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["loss", "val_loss", "auc", "val_auc"]
    assert rows["val_auc"] == ["val_auc", "higher", "2", "0.7500", "0.7200", "0.1800"]
    assert rows["val_loss"][:5] == ["val_loss", "lower", "2", "0.6000", "0.6500"]
    assert rows["loss"] == ["loss", "lower", "3", "0.4000", "0.4000"]


def test_summary_batch_level(run_csv, capsys):
    assert main(["summary", str(run_csv), "--level", "batch", "--metrics", "val_auc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("8 batch rows (steps 2-16)")
    assert lines[1].split()[2:4] == ["best", "step"]
    assert [line.split()[0] for line in lines[2:]] == ["val_auc"]


@pytest.mark.parametrize("command", ["plot", "summary"])
def test_missing_file(tmp_path, capsys, command):
    args = [command, str(tmp_path / "nope.csv")] + (["-o", str(tmp_path / "x.png")]
                                                    if command == "plot" else [])
    assert main(args) == 2
    assert _error_line(capsys, command) == \
        f"fittrack {command}: error: no such file: {str(tmp_path / 'nope.csv')!r}\n"
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("command", ["plot", "summary"])
def test_unknown_column_lists_the_available_ones(run_csv, tmp_path, capsys, command):
    args = [command, str(run_csv), "--metrics", "auc", "aucc"] + (
        ["-o", str(tmp_path / "x.png")] if command == "plot" else [])
    assert main(args) == 2
    err = _error_line(capsys, command)
    assert "unknown column 'aucc'" in err
    assert "loss, val_loss, auc, val_auc" in err
    assert not (tmp_path / "x.png").exists()


def test_wrong_level_and_bad_csv(run_csv, tmp_path, capsys):
    assert main(["plot", str(tmp_path / "run.batches.csv"), "-o", str(tmp_path / "x.png"),
                 "--level", "epoch"]) == 2
    assert "use --level batch" in _error_line(capsys, "plot")
    bad = tmp_path / "bad.csv"
    bad.write_text("time,loss\n0,1\n")
    assert main(["summary", str(bad)]) == 2
    assert "starts with the column 'time'" in _error_line(capsys, "summary")
    assert main(["summary", str(tmp_path)]) == 2
    assert "is a folder" in _error_line(capsys, "summary")


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", "run.csv"])  # -o is required
    assert exit_info.value.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_demo(tmp_path, capsys):
    import keras

    out = tmp_path / "demo"
    assert main(["demo", "--epochs", "2", "--out", str(out),
                 "--backend", keras.backend.backend()]) == 0
    text = capsys.readouterr().out
    assert "best val_auc" in text and "gap (train-val)" in text
    for name in ("history.csv", "history.batches.csv"):
        assert (out / name).stat().st_size > 0
    assert (out / "curves.png").read_bytes().startswith(PNG)
    history = MetricHistory.from_csv(out / "history.csv")
    assert history.epoch == [0, 1] and history.batch_keys


# ----- several runs, curves, version, separators, aliases, odd files, broken pipes -----

def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def two_runs(tmp_path):
    a = _write(tmp_path / "lr_1e-3.csv", "epoch,loss,val_loss,acc,val_acc\n"
               "0,0.9,1.0,0.6,0.55\n1,0.5,0.7,0.8,0.70\n2,0.4,0.75,0.85,0.68\n")
    b = _write(tmp_path / "lr_1e-2.csv", "epoch,loss,val_loss,accuracy,val_accuracy,eval_seconds\n"
               "0,0.8,0.9,0.7,0.6,1.5\n1,0.6,0.8,0.75,0.72,1.2\n")
    return a, b


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_plot_several_files_names_the_runs(two_runs, tmp_path, capsys, figures):
    out = tmp_path / "both.png"
    assert main(["plot", *map(str, two_runs), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(PNG)
    fig = figures[0]
    assert [ax.get_title() for ax in fig.axes] == ["loss", "acc"]  # acc and accuracy: one panel
    for ax in fig.axes:
        assert [entry.split(":")[0] for entry in _legend(ax)[:2]] == ["lr_1e-3", "lr_1e-2"]
    assert main(["plot", *map(str, two_runs), "-o", str(out), "--labels", "slow", "fast"]) == 0
    assert _legend(figures[1].axes[0])[0].startswith("slow: best")


def test_plot_labels_must_match_the_files(two_runs, tmp_path, capsys):
    assert main(["plot", *map(str, two_runs), "-o", str(tmp_path / "x.png"),
                 "--labels", "one"]) == 2
    assert "--labels gives 1 names for 2 files" in _error_line(capsys, "plot")


def test_summary_of_several_files_is_one_table_naming_each_run(two_runs, capsys):
    assert main(["summary", *map(str, two_runs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{two_runs[0]}: 3 epochs (0-2)"
    assert lines[1] == f"{two_runs[1]}: 2 epochs (0-1)"
    assert lines[2].split()[:3] == ["run", "metric", "better"]
    rows = [line.split() for line in lines[3:]]
    assert [row[:2] for row in rows] == [
        ["lr_1e-3", "loss"], ["lr_1e-2", "loss"], ["lr_1e-3", "val_loss"], ["lr_1e-2", "val_loss"],
        ["lr_1e-3", "acc"], ["lr_1e-2", "accuracy"], ["lr_1e-3", "val_acc"],
        ["lr_1e-2", "val_accuracy"]]  # eval_seconds is a timing key: left out
    assert rows[-1] == ["lr_1e-2", "val_accuracy", "higher", "1", "0.7200", "0.7200", "0.0300"]


def test_metrics_find_aliases_and_timing_keys_when_asked(two_runs, capsys):
    assert main(["summary", str(two_runs[0]), "--metrics", "accuracy"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:]] == \
        ["acc", "val_acc"]
    assert main(["summary", str(two_runs[1]), "--metrics", "val_acc", "eval_seconds"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:]] == \
        ["accuracy", "val_accuracy", "eval_seconds"]


def test_semicolon_separated_files(tmp_path, capsys):
    path = _write(tmp_path / "semi.csv", "epoch;loss;val_loss\n0;0.5;0.6\n1;0.25;0.4\n")
    assert main(["summary", str(path), "--sep", ";"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == \
        ["val_loss", "lower", "1", "0.4000", "0.4000", "-0.1500"]
    assert main(["summary", str(path)]) == 2
    assert "sep=';'" in _error_line(capsys, "summary")


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fittrack {fittrack.__version__}"


def test_wide_file_is_capped_with_a_message_naming_metrics(tmp_path, capsys, figures):
    header = ",".join(f"m{i}" for i in range(300))
    rows = "\n".join(f"{e}," + ",".join(str((i * e) % 7) for i in range(300)) for e in range(3))
    path = _write(tmp_path / "wide.csv", f"epoch,{header}\n{rows}\n")
    assert main(["plot", str(path), "-o", str(tmp_path / "w.png")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("fittrack plot: warning: 300 metrics to plot; drawing the first 20")
    assert "--metrics" in err and err.count("\n") == 1
    assert len(figures[0].axes) == 20
    assert main(["plot", str(path), "-o", str(tmp_path / "w.png"), "--max-panels", "3"]) == 0
    assert len(figures[1].axes) == 3


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe\x00\x01binary\x00data", "is not UTF-8 text"),
    ("epoch,loss\n0,0.5\n".encode("utf-16"), "is not UTF-8 text"),
    (b"epoch,loss\n0.0,0.5\n1.5,0.4\n", "must hold whole numbers"),
    (b"epoch,loss\n0,0.5\n1,0.4,9\n", "odd.csv"),
    (b"", "odd.csv"),
])
def test_odd_files_give_one_line_errors(tmp_path, capsys, content, expected):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    for command in (["summary", str(path)], ["plot", str(path), "-o", str(tmp_path / "o.png")]):
        assert main(command) == 2
        err = _error_line(capsys, command[0])
        assert expected in err and str(path) in err


def test_reader_failures_of_any_kind_stay_one_line(run_csv, capsys, monkeypatch):
    import fittrack.history

    def broken(*args, **kwargs):
        raise StopIteration

    monkeypatch.setattr(fittrack.history, "load_history", broken)
    assert main(["summary", str(run_csv)]) == 2
    assert f"cannot read {str(run_csv)!r} (StopIteration" in _error_line(capsys, "summary")


@pytest.fixture
def curves_run(tmp_path):
    import numpy as np

    from fittrack.history.curve_store import CurveStore, curves_path
    from fittrack.metrics.curve_points import curves_for

    history, store = MetricHistory(), CurveStore()
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    for epoch, val_auc in enumerate([0.7, 0.9, 0.8]):
        history.record_epoch(epoch, {"loss": 1.0 / (epoch + 1), "val_auc": val_auc})
        for dataset in ("train", "val"):
            p = np.clip(rng.normal(0.4 + 0.1 * epoch * y, 0.2), 0, 1).astype(np.float32)
            store.add_curves(epoch, dataset, curves_for(y, p))
    path = history.to_csv(tmp_path / "run.csv")
    store.save(curves_path(path))
    return path, store


@pytest.fixture
def curve_figures(monkeypatch):
    drawn = []
    original = fittrack.plots.plot_curves

    def spy(*args, **kwargs):
        drawn.append(original(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(fittrack.plots, "plot_curves", spy)
    return drawn


def test_curves_command(curves_run, tmp_path, capsys, curve_figures):
    import numpy as np

    path, store = curves_run
    out = tmp_path / "c.png"
    assert main(["curves", str(path), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(PNG)
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    fig = curve_figures[-1]
    assert [ax.get_title() for ax in fig.axes] == ["ROC curve", "precision-recall curve",
                                                   "confusion matrix"]
    assert fig.get_suptitle() == "validation data, epoch 2"
    for args, epoch, dataset in ((["--epoch", "best:val_auc"], 1, "val"),
                                 (["--epoch", "0", "--dataset", "train"], 0, "train")):
        assert main(["curves", str(path), "-o", str(out), "--kinds", "roc", *args]) == 0
        (ax,) = curve_figures[-1].axes
        roc = next(line for line in ax.get_lines() if line.get_label().startswith("AUC"))
        np.testing.assert_array_equal(roc.get_ydata(), store.get("roc", dataset, epoch)["tpr"])


@pytest.mark.parametrize("args, expected", [
    (["--epoch", "9"], "No 'roc' curve for dataset='val', epoch=9; the store has epochs [0, 1, 2]"),
    (["--epoch", "best:f1"], "'f1' is not an epoch-level key"),
    (["--epoch", "first"], "epoch must be None, 'last', an epoch number or 'best:<key>'"),
])
def test_curves_errors_are_one_line(curves_run, tmp_path, capsys, args, expected):
    assert main(["curves", str(curves_run[0]), "-o", str(tmp_path / "c.png"), *args]) == 2
    assert expected in _error_line(capsys, "curves")
    assert not (tmp_path / "c.png").exists()


def test_curves_without_a_curves_file(run_csv, tmp_path, capsys):
    assert main(["curves", str(run_csv), "-o", str(tmp_path / "c.png")]) == 2
    assert "has no curves file" in _error_line(capsys, "curves")


def test_broken_pipe_exits_quietly(tmp_path):
    import os
    import subprocess
    import sys

    header = ",".join(f"m{i}" for i in range(3000))  # > 64 KiB of output: the pipe fills
    path = _write(tmp_path / "wide.csv", f"epoch,{header}\n0," + ",".join(["0.5"] * 3000) + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(__import__("pathlib").Path(fittrack.__file__).parents[1])]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    command = (f"{sys.executable} -m fittrack.cli summary {path} 2>{tmp_path / 'err.txt'}"
               f" | head -1")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.stdout == f"{path}: 1 epochs (0-0)\n"
    assert (tmp_path / "err.txt").read_text() == ""
    assert result.returncode == 0
