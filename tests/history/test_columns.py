"""The chunked column table: missing marker, compaction, slices, rewrites."""

from __future__ import annotations

import numpy as np

from fittrack.history.columns import MISSING, MISSING_BITS, Table, is_missing


def test_missing_marker_is_a_nan_distinct_from_every_usual_nan():
    assert np.isnan(MISSING)
    nans = np.array([np.nan, -np.nan, np.float32(np.nan), np.inf - np.inf, 0.0 * np.inf,
                     float("nan")], dtype=np.float64)
    assert not is_missing(nans).any()
    assert is_missing(np.array([MISSING, -MISSING])).all()
    assert np.array([MISSING]).view(np.uint64)[0] == MISSING_BITS


def test_values_survive_compaction_and_slices_cross_blocks():
    table = Table(("step",), buffer_rows=5)
    expected_values, expected_present = [], []
    for step in range(23):
        row = {"a": step * 0.5} if step % 3 else {"b": -1.0}
        table.append((step,), row)
        expected_values.append(step * 0.5 if step % 3 else np.nan)
        expected_present.append(bool(step % 3))
        if step == 11:
            table.compact()  # a short block, merged with the next ones
    assert table.n_rows == 23
    values, present = table.column("a")
    assert present.tolist() == expected_present
    np.testing.assert_array_equal(values, np.array(expected_values))
    for lo, hi in [(0, 23), (3, 17), (4, 5), (10, 10), (20, 99)]:
        v, p = table.column("a", lo, hi)
        assert p.tolist() == expected_present[lo:hi]
        np.testing.assert_array_equal(v, np.array(expected_values[lo:hi]))
        assert table.index_column("step", lo, hi).tolist() == list(range(23))[lo:hi]
    v, p = table.column("b")  # first appears at row 0, missing in most rows
    assert p.sum() == 8 and np.all(v[p] == -1.0) and np.isnan(v[~p]).all()
    assert sum(table.block_lengths("a")) == 22  # column "a" starts at row 1


def test_blocks_do_not_grow_in_number_with_reads():
    table = Table(("step",), buffer_rows=100)
    for step in range(1000):
        table.append((step,), {"x": float(step)})
        table.column("x", step, step + 1)  # a read after every row compacts one row
    assert len(table.block_lengths("x")) <= 10
    np.testing.assert_array_equal(table.column("x")[0], np.arange(1000.0))


def test_from_arrays_drops_columns_without_values_and_keep_rows():
    index = np.array([[0], [1], [2], [3]])
    data = {"a": (np.array([1.0, np.nan, 3.0, 4.0]), np.array([True, True, False, True])),
            "empty": (np.full(4, np.nan), np.zeros(4, bool)),
            "late": (np.array([0.0, 0.0, 0.0, 9.0]), np.array([False, False, False, True]))}
    table = Table.from_arrays(("epoch",), index, data)
    assert table.keys == ["a", "late"]
    v, p = table.column("a")
    assert p.tolist() == [True, True, False, True] and np.isnan(v[1]) and v[3] == 4.0
    revision = table.revision
    table.keep_rows(np.array([True, True, True, False]))
    assert table.revision == revision + 1
    assert table.keys == ["a"] and table.n_rows == 3
    assert table.column("a")[1].tolist() == [True, True, False]
    table.append((7,), {"a": 5.0, "new": 1.0})
    assert table.index_column("epoch").tolist() == [0, 1, 2, 7]
    assert table.column("new")[1].tolist() == [False, False, False, True]


def test_empty_table():
    table = Table(("step", "epoch", "batch"))
    assert table.n_rows == 0 and table.keys == [] and table.columns == ("step", "epoch", "batch")
    assert table.index_column("step").tolist() == []
