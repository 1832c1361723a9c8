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
