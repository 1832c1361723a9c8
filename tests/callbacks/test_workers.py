"""Several worker processes: every worker logs the whole set's values, predicting its share.

The exchange logic runs here on threads standing in for processes (a barrier
for the all-gather), on every backend; then two real JAX processes on
localhost (``two_workers.py``) train, and every value both logged is
recomputed in this process on the whole set at the weights they saved
(``workers_harness.py``, shared with the tf_keras test).
"""

import functools
import threading

import keras
import numpy as np
import pytest

from fittrack.callbacks.collectives import TfCollective
from fittrack.callbacks.data import ArrayData
from fittrack.callbacks.eval_sets import ArraySet, MonitorPart
from fittrack.callbacks.evaluation import Chunk
from fittrack.callbacks.inference import Predicted
from fittrack.callbacks.workers import Workers, allocate, block, concat, interleave
from tests.callbacks import workers_harness as harness
from tests.callbacks.workers_harness import build, free_ports, launch


# ----- the exchange, on threads -----
class ThreadCollective:
    """``allgather`` between threads; fails (like a collective) on unequal shapes."""

    def __init__(self, count):
        self.slots, self.barrier = [None] * count, threading.Barrier(count, timeout=30)
        self.shapes = []

    def member(self, index):
        board = self

        class Member:
            def allgather(self, array):
                board.slots[index] = np.array(array)
                board.barrier.wait()
                if index == 0:
                    board.shapes.append(array.shape)
                out = np.stack(board.slots)
                board.barrier.wait()
                return out
        return Member()


def on_threads(count, fn, whole_set=False):
    """``fn(workers)`` on ``count`` threads; the results (or exceptions) in worker order."""
    collective, results = ThreadCollective(count), [None] * count

    def run(i):
        try:
            results[i] = fn(Workers(i, count, whole_set, collective.member(i)))
        except Exception as err:
            results[i] = err
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, collective


def chunk(rows, start=0):
    y = np.arange(start, start + rows)
    out = (y / 10.0).astype("float32")[:, None]
    return Chunk(y, Predicted([(None, out)], [None], 0.5, [out[:, 0] * 2]), None, rows)


def test_uneven_objects_are_padded_gathered_and_trimmed():
    def three_passes(w):
        return [w.allgather_objects("x" * (size + 500 * w.index), "the validation_data")
                for size in (10, 20, 3000)]
    results, collective = on_threads(3, three_passes)
    for r in results:
        assert r[0] == ["x" * 10, "x" * 510, "x" * 1010]
        assert r[1] == ["x" * 20, "x" * 520, "x" * 1020]
        assert r[2] == ["x" * 3000, "x" * 3500, "x" * 4000]
    rows = [shape[0] for shape in collective.shapes]
    # the first pass: lengths, then a row wide enough; the second fits that row (one
    # gather); the third does not (lengths in the too-narrow row, then a wider one)
    assert rows[0] == 8 and rows[1] >= 8 + 1010 and rows[2] == rows[1]
    assert len(rows) == 5 and rows[3] == rows[1] and rows[4] >= 8 + 4000


def test_every_worker_gets_every_chunk_in_the_whole_sets_order():
    rows = [501, 500]
    results, _ = on_threads(2, lambda w: concat(w.exchange(
        lambda: [chunk(rows[w.index], 501 * w.index)], "the validation_data")))
    for chunks in results:
        y = np.concatenate([c.y for c in chunks])
        np.testing.assert_array_equal(y, np.arange(1001))
        out = np.concatenate([c.predicted.outputs[0][1] for c in chunks])
        np.testing.assert_array_equal(out[:, 0], (np.arange(1001) / 10.0).astype("float32"))
        assert sum(c.rows for c in chunks) == 1001


def test_tf_collective_puts_rows_in_worker_order_and_sends_any_array_as_words():
    board = ThreadCollective(2)

    class OnThreads(TfCollective):
        def _gather(self, array):   # TensorFlow's op (int64 only), ranks the reverse of indices
            assert array.dtype == np.int64 and array.shape[0] == 1
            return board.member(self.index).allgather(array)[::-1].reshape(
                (-1,) + array.shape[1:])

    payloads = [np.arange(13, dtype=np.uint8), np.arange(13, 26, dtype=np.uint8)]
    results = [None, None]

    def run(i):
        collective = OnThreads(i, 2)
        results[i] = (collective.allgather(payloads[i]),
                      collective.allgather(np.full((2, 3), i, dtype=np.float32)))
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for row, floats in results:
        np.testing.assert_array_equal(row, np.stack(payloads))   # 13 bytes: 2 words, trimmed
        assert floats.dtype == np.float32 and floats.shape == (2, 2, 3)
        assert floats[0].max() == 0 and floats[1].min() == 1
    assert board.shapes == [(1,), (1, 2), (1, 3)]   # the indices once, then the payloads


def test_every_nth_batch_is_put_back_in_order():
    per_worker = [[chunk(10, 0), chunk(10, 20), chunk(5, 40)], [chunk(10, 10), chunk(10, 30)]]
    y = np.concatenate([c.y for c in interleave(per_worker)])
    np.testing.assert_array_equal(y, np.arange(45))


def test_an_error_on_one_worker_raises_on_every_worker():
    def produce(w):
        if w.index == 1:
            raise ValueError("bad labels")
        return 1
    results, _ = on_threads(2, lambda w: w.exchange(lambda: produce(w), "the validation_data"))
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad labels"
    assert isinstance(results[0], RuntimeError)
    assert "Worker 1 of 2 failed in the validation_data: ValueError: bad labels" in str(results[0])


def test_shares_blocks_and_proportional_monitor_sizes():
    assert [block(1001, i, 2) for i in range(2)] == [(0, 501), (501, 1001)]
    assert [block(10, i, 3) for i in range(3)] == [(0, 4), (4, 7), (7, 10)]
    assert allocate(100, [501, 500]) == [50, 50]
    assert allocate(100, [700, 301]) == [70, 30]
    assert allocate(7, [3, 0, 9]) == [2, 0, 5]
    assert allocate(2000, [501, 500]) == [501, 500]
    data = ArrayData(np.arange(10.0)[:, None], np.arange(10), np.ones(10), 10)
    shares = [Workers(i, 3, whole_set=True).share(data) for i in range(3)]
    assert [s.y.tolist() for s in shares] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert Workers(1, 3, whole_set=False).share(data) is data
    assert Workers().share(data) is data


class Callback:
    """What the workers read of a MetricsCallback."""

    batch_frequency, epoch_frequency, monitor_size, seed = 1, 1, 100, 0


class Plan:
    outputs: tuple = ()


def test_monitor_parts_are_cut_in_proportion_to_the_shards():
    rows = [700, 301]

    def prepare(w):
        data = ArrayData(np.zeros((rows[w.index], 2)), np.arange(rows[w.index]), None,
                         rows[w.index])
        with w.agree(Callback(), Plan()):
            part = w.monitor(ArraySet("val", "val_", "validation_data", w.share(data), 32),
                             100, np.random.default_rng(0))
        return part.n_rows, part.blocks[0].y
    results, _ = on_threads(2, prepare)
    assert [n for n, _ in results] == [70, 30]
    for n, y in results:
        assert len(np.unique(y)) == n and np.all(np.diff(y) > 0)


def test_identical_shards_get_a_warning():
    data = ArrayData(np.arange(10.0)[:, None], np.arange(10), None, 10)

    def prepare(w):
        with w.agree(Callback(), Plan()):
            w.share(data, "validation_data")
    with pytest.warns(UserWarning, match="Every worker passed the same validation_data") as seen:
        results, _ = on_threads(2, prepare)
    assert results == [None, None] and len(seen) == 2


def test_workers_that_disagree_are_refused_before_training():
    def prepare(w):
        cb = Callback()
        cb.epoch_frequency = 1 + w.index
        with w.agree(cb, Plan()):
            pass
    results, _ = on_threads(2, prepare)
    assert all(isinstance(r, ValueError) and "epoch_frequency" in str(r) for r in results)


def test_one_process_hands_everything_back_unchanged():
    w = Workers()
    chunks, sets = [chunk(3)], [object()]
    assert w.gathering(sets, None) == (sets, None)
    with w.agree(None, None):
        pass
    assert not w.multi and chunks[0].rows == 3


def test_monitor_part_keeps_rows_in_order():
    blocks = [ArrayData(np.zeros((5, 1)), np.arange(5), None, 5),
              ArrayData(np.zeros((4, 1)), np.arange(5, 9), None, 4)]
    part = MonitorPart(ArraySet("val", "val_", "validation_data", blocks[0], 8), blocks)
    part.keep(4, np.random.default_rng(3))
    y = np.concatenate([b.y for b in part.blocks])
    assert part.n_rows == 4 and len(y) == 4 and np.all(np.diff(y) > 0)


# ----- two JAX processes on localhost -----
@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    pytest.importorskip("tensorflow", reason="the two-worker scenarios read a tf.data.Dataset")
    out = tmp_path_factory.mktemp("workers")
    port = str(free_ports(1)[0])
    env = {"KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": ""}
    return out, launch("two_workers.py", out, [[str(i), port, str(out)] for i in range(2)],
                       [env] * 2, timeout=300)


@functools.lru_cache(maxsize=1)
def reference_model():
    return build(keras)


def check_points(results, name, levels):
    harness.check_points(results, name, levels, reference_model())


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX processes (jax.distributed)")
def test_each_shard_predicted_by_its_worker_every_value_the_whole_sets(two_workers):
    _out, results = two_workers
    check_points(results, "shards", ["batch", "epoch"])
    for i, rows in enumerate((501, 500)):
        run = results[i]["shards"]
        assert run["rows_predicted"]["val"] == rows * run["epochs_run"]   # its shard only
        assert run["rows_predicted"]["train"] == 400 * run["epochs_run"]


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX processes (jax.distributed)")
def test_early_stopping_on_a_computed_key_stops_both_workers_together(two_workers):
    _, results = two_workers
    assert results[0]["shards"]["epochs_run"] == results[1]["shards"]["epochs_run"] == 2
    values = [{k: v for k, v in results[i]["shards"]["history"].items()
               if k != "eval_seconds"} for i in (0, 1)]   # each worker's own timing differs
    assert values[0] == values[1]
    assert "val_auc" in values[0]


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX processes (jax.distributed)")
def test_only_the_chief_writes_files(two_workers):
    from fittrack import load_history

    out, results = two_workers
    assert (out / "shards0.csv").exists() and (out / "shards0.batches.csv").exists()
    assert not list(out.glob("shards1*")) and not list(out.glob("whole1*"))
    saved = load_history(out / "shards0.csv")
    assert saved["val_auc"] == pytest.approx(results[1]["shards"]["history"]["val_auc"])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX processes (jax.distributed)")
def test_whole_set_on_every_worker_each_predicts_its_share(two_workers):
    _, results = two_workers
    check_points(results, "whole", ["batch", "epoch"])
    for i, rows in enumerate((501, 500)):
        run = results[i]["whole"]
        assert run["rows_predicted"]["val"] == rows * run["epochs_run"]   # its block
        # the train stream: the first batch (the checks), then every other batch of 100
        assert run["rows_predicted"]["stream"] == 100 + 400 * run["epochs_run"]


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX processes (jax.distributed)")
def test_set_ups_that_cannot_be_exact_fail_before_training_on_every_worker(two_workers):
    _, results = two_workers
    for r in results:
        assert r["different_sets"].startswith("ValueError: With auto_shard_dataset=True every "
                                              "worker passes the whole validation_data")
    assert results[1]["bad_labels"].startswith("ValueError: validation_data: targets of shape")
    assert results[0]["bad_labels"].startswith(
        "RuntimeError: Worker 1 of 2 failed in the checks before training: ValueError")
