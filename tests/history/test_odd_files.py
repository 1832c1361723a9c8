"""The reader never crashes and never reads a wrong value: each odd file of issue 10.

Every refused file gets a ValueError (or FileNotFoundError) naming the file
and, where there is one, the line; never a bare StopIteration, _csv.Error or
UnicodeDecodeError, never a value read wrong.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fittrack.history import MetricHistory, load_history
from fittrack.history.header import escape_cell, unescape_cell


def _write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_integral_float_epochs_are_integers(tmp_path):
    path = _write(tmp_path, "f.csv", "epoch,loss\n0.0,0.5\n1.0,0.25\n2e0,0.125\n")
    history = load_history(path)
    assert history.epoch == [0, 1, 2] and history["loss"] == [0.5, 0.25, 0.125]
    path = _write(tmp_path, "b.csv", "step,epoch,batch,x\n1.0,0.0,0,1\n2,0,1.0,2\n")
    assert load_history(path).steps == [1, 2]


@pytest.mark.parametrize("cell", ["99999999999999999999", "18446744073709551615",
                                  "9223372036854775808", "-1", "0.5", "inf", "nan", "1e300",
                                  "x", "True"])
def test_epochs_out_of_range_or_not_whole_are_refused(tmp_path, cell):
    path = _write(tmp_path, "e.csv", f"epoch,loss\n0,0.5\n{cell},0.25\n")
    with pytest.raises(ValueError, match=r"e\.csv', line 3: the column 'epoch' must hold whole "
                                         r"numbers from 0 to 2\*\*63 - 1; data row 2"):
        load_history(path)


def test_the_largest_epoch_is_read_exactly(tmp_path):
    path = _write(tmp_path, "e.csv", "epoch,loss\n9223372036854775807,0.5\n")
    assert load_history(path).epoch == [2 ** 63 - 1]


def test_a_cell_over_128_kib(tmp_path):
    big = "9" * 200_000
    path = _write(tmp_path, "h.csv", f'epoch,"{big}",loss\n0,1,2\n')    # a huge (quoted) name
    assert load_history(path).keys() == [big, "loss"]
    path = _write(tmp_path, "q.csv", f'epoch,loss\n0,"{big}x"\n')        # a huge text cell
    with pytest.raises(ValueError, match=r"q\.csv', line 2: the column 'loss' must hold numbers"):
        load_history(path)
    path = _write(tmp_path, "n.csv", f"epoch,loss\n0,0.{'5' * 150_000}\n")  # a huge number
    assert load_history(path)["loss"] == [float("0." + "5" * 150_000)]


def test_binary_and_utf16_files_are_refused_by_name(tmp_path, rng):
    text = "epoch,loss\n0,0.5\n"
    for name, data in [("u16.csv", text.encode("utf-16")),
                       ("u16be.csv", text.encode("utf-16-be")),
                       ("bin.csv", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()),
                       ("model.h5", b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00")]:
        with pytest.raises(ValueError, match=rf"{name}' is not UTF-8 text: it holds NUL bytes"):
            load_history(_write(tmp_path, name, data))
    latin = _write(tmp_path, "latin.csv", "epoch,précision\n0,0.5\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv', line 1: the header is not UTF-8"):
        load_history(latin)
    latin = _write(tmp_path, "latin2.csv", b"epoch,loss\n0,0.5\n1,\xe90\n")
    with pytest.raises(ValueError, match=r"latin2\.csv', line 3: not UTF-8"):
        load_history(latin)
    bom = _write(tmp_path, "bom.csv", "\ufeffepoch,loss\r\n0,0.5\r\n".encode("utf-8"))
    assert load_history(bom).history == {"loss": [0.5]}


@pytest.mark.parametrize("text, line, what", [
    ("epoch,loss,acc\n0,1,0.57\n1,0.9,0.5", 3, "does not end with a line break"),   # torn
    ("epoch,loss,acc\n0,1,0.57\n1,0.9", 3, "does not end with a line break"),
    ("epoch,loss,acc\n0,1,0.5\n1,0.9\n2,0.8,0.6\n", 3, "2 fields where the header has 3"),
    ("epoch,loss\n0,1\n\n1,2,3\n", 4, "3 fields, more than the 2"),
    ("epoch,loss\n0,1\n1,2\n1,3\n", 4, "repeats epoch 1 \\(line 3 holds epoch 1\\)"),
    ("epoch,loss\n0,1\n2,2\n1,3\n", 4, "goes back to epoch 1"),
    ("step,epoch,batch,x\n1,0,0,1\n3,0,2,1\n3,1,0,1\n", 4, "repeats step 3"),
    ("step,epoch,batch,x\n1,0,0,1\n3,1,2,1\n4,0,0,1\n", 4, "goes back to epoch 0"),
    ('epoch,loss,x\n0,1,"[1, 2]"\n1,2\n', 3, "2 fields where the header has 3"),
    ('epoch,"a\n', 1, "the header cannot be read"),
    ('epoch,loss\n0,1\n1,"2\n', 3, "a quoted cell is not closed"),
    ('epoch,loss,x\n0,1,"a\nb"\n1,2,"3"\n', 3, "the column 'x' must hold numbers; data row 1"),
])
def test_untrustworthy_rows_are_refused_naming_the_line(tmp_path, text, line, what):
    path = _write(tmp_path, "run.csv", text)
    with pytest.raises(ValueError, match=rf"run\.csv', line {line}: .*{what}"):
        load_history(path)


def test_header_names_must_be_unique_and_present(tmp_path):
    path = _write(tmp_path, "dup.csv", "epoch,loss,epoch\n0,1,0\n")
    with pytest.raises(ValueError, match="line 1: the header names 'epoch' twice"):
        load_history(path)
    path = _write(tmp_path, "gap.csv", "epoch,,loss\n0,1,0\n")
    with pytest.raises(ValueError, match="line 1: column 2 of the header has no name"):
        load_history(path)


def test_not_a_regular_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="is a folder"):
        load_history(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_history(tmp_path / "missing" / "run.csv")
    os.mkfifo(tmp_path / "pipe.csv")  # stat only: reading it would wait for a writer
    with pytest.raises(ValueError, match=r"pipe\.csv' is a FIFO \(named pipe\), not a regular"):
        load_history(tmp_path / "pipe.csv")


def test_blank_lines_and_crlf_are_read(tmp_path):
    path = _write(tmp_path, "k.csv", "epoch,loss\r\n0,0.5\r\n\r\n1,NA\r\n2,nan\r\n")
    history = load_history(path)
    assert history.epoch == [0, 1, 2]
    assert history.to_frame()["loss"].isna().tolist() == [False, True, True]
    assert np.isnan(history["loss"][1]) and len(history["loss"]) == 2


def test_formula_like_names_are_escaped_in_the_header_and_read_back(tmp_path):
    names = ["=1+1", "+cost", "-loss", "@sum", "\tx", "'quoted", "''", "'=x", "normal"]
    history = MetricHistory()
    history.record_epoch(0, {name: float(i) for i, name in enumerate(names)})
    path = history.to_csv(tmp_path / "run.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert not [cell for cell in header if cell.startswith(("=", "+", "-", "@", "\t"))]
    assert header[1:4] == ["'=1+1", "'+cost", "'-loss"]
    assert load_history(path).keys() == names
    for name in names:
        assert unescape_cell(escape_cell(name)) == name
    assert unescape_cell("'plain") == "'plain"  # only what escaping makes is un-escaped


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_file_cut_at_any_byte_is_refused_or_read_exactly(tmp_path, end):
    """Truncation at every byte: either a clear error or a prefix of the rows, exactly."""
    rows = [(e, e / 3, 0.57 + e if e % 2 else None) for e in range(8)]
    text = end.join(["epoch,loss,val_accuracy"] + [
        f"{e},{loss!r},{'' if acc is None else repr(acc)}" for e, loss, acc in rows]) + end
    data = text.encode()
    path = tmp_path / "cut.csv"
    read = refused = 0
    for cut in range(1, len(data) + 1):
        path.write_bytes(data[:cut])
        try:
            history = load_history(path)
        except ValueError as error:
            assert "cut.csv" in str(error)
            refused += 1
            continue
        n = len(history.epoch)
        read += n > 0
        assert history.epoch == [r[0] for r in rows[:n]]
        assert history.history.get("loss", []) == [r[1] for r in rows[:n]]
        expected = [r[2] for r in rows[:n] if r[2] is not None]
        assert history.history.get("val_accuracy", []) == expected
    assert read == len(rows) and refused > len(data) // 2  # rows only at the line ends


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), header=st.sampled_from([b"", b"epoch,loss\n",
                                                            b"step,epoch,batch,x\n"]))
def test_any_bytes_give_a_table_or_a_clear_error(tmp_path_factory, data, header):
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(header + data)
    try:
        load_history(path)
    except ValueError as error:
        assert "f.csv" in str(error)
