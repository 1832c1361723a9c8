"""tf_keras under MultiWorkerMirroredStrategy: every worker passes the whole sets, predicts
its share, and logs the whole sets' values.

Two worker processes on localhost (``two_workers_tf.py``, TF_CONFIG with free
ports) train; every value both logged is recomputed in this process, by one
tf_keras model on the whole sets at the weights they saved. The workers'
indices are read from the strategy's cluster resolver (with TensorFlow alone).
"""

import functools
import json
from types import SimpleNamespace

import pytest

from tests.callbacks.workers_harness import N_TRAIN, build, check_points, free_ports, launch
from tests.keras_under_test import TF_KERAS

needs_tf_keras = pytest.mark.skipif(not TF_KERAS, reason="tf_keras (TF_USE_LEGACY_KERAS=1): "
                                    "Keras 3's fit fails under MultiWorkerMirroredStrategy "
                                    "(keras#20585)")


def under_strategy(cluster, task_type, task_id):
    """A model as tf_worker sees it, under a MultiWorkerMirroredStrategy of this cluster
    (not started: only its cluster resolver is read)."""
    tf = pytest.importorskip("tensorflow")
    strategy = object.__new__(tf.distribute.MultiWorkerMirroredStrategy)
    strategy._extended = SimpleNamespace(_cluster_resolver=tf.distribute.cluster_resolver.
                                         SimpleClusterResolver(tf.train.ClusterSpec(cluster),
                                                               task_type=task_type,
                                                               task_id=task_id))
    return SimpleNamespace(distribute_strategy=strategy)


def test_worker_index_chief_first_then_workers_in_task_order():
    from fittrack.callbacks.collectives import tf_worker

    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"], "evaluator": ["d:1"]}
    assert tf_worker(under_strategy(cluster, "chief", 0)) == (0, 3)
    assert tf_worker(under_strategy(cluster, "worker", 0)) == (1, 3)
    assert tf_worker(under_strategy(cluster, "worker", 1)) == (2, 3)
    assert tf_worker(under_strategy(cluster, "evaluator", 0)) == (0, 1)   # not a worker
    assert tf_worker(under_strategy({"worker": ["b:1"]}, "worker", 0)) == (0, 1)
    tf = pytest.importorskip("tensorflow")
    assert tf_worker(SimpleNamespace(distribute_strategy=tf.distribute.get_strategy())) == (0, 1)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    pytest.importorskip("tf_keras")
    out = tmp_path_factory.mktemp("workers_tf")
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    envs = [{"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
             "TF_USE_LEGACY_KERAS": "1", "KERAS_BACKEND": "tensorflow",
             "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""} for i in range(2)]
    return out, launch("two_workers_tf.py", out, [[str(out)]] * 2, envs, timeout=240)


@functools.lru_cache(maxsize=1)
def reference_model():
    import tf_keras

    return build(tf_keras)


@needs_tf_keras
def test_every_value_is_the_whole_sets_on_both_workers(two_workers):
    _, results = two_workers
    assert [r["index_count"] for r in results] == [[0, 2], [1, 2]]
    check_points(results, "whole", ["batch", "epoch"], reference_model())
    logged = set(results[0]["whole"]["points"][-1]["logs"])
    assert {"loss", "auc", "val_loss", "val_auc", "val_accuracy", "val_f1"} <= logged


@needs_tf_keras
def test_each_worker_predicts_its_share(two_workers):
    _, results = two_workers
    for i, rows in enumerate((501, 500)):
        run = results[i]["whole"]
        assert run["rows_predicted"]["val"] == rows * run["epochs_run"]   # its block
        # the train stream (8 batches of 100): the first batch (the checks), then every
        # other batch
        assert run["rows_predicted"]["stream"] == 100 + N_TRAIN // 2 * run["epochs_run"]
        # the monitor subsets (all rows, monitor_size=1001): its part of each set, each
        # set predicted apart (activity regularisers)
        evaluations = sum(p["level"] == "batch" for p in run["points"])
        assert evaluations == 4 * run["epochs_run"]
        assert run["rows_predicted"]["monitors_0"] == N_TRAIN // 2 * evaluations
        assert run["rows_predicted"]["monitors_1"] == rows * evaluations


@needs_tf_keras
def test_early_stopping_on_a_computed_key_stops_both_workers_together(two_workers):
    _, results = two_workers
    assert results[0]["whole"]["epochs_run"] == results[1]["whole"]["epochs_run"] == 2
    values = [{k: v for k, v in results[i]["whole"]["history"].items()
               if k != "eval_seconds"} for i in (0, 1)]   # each worker's own timing differs
    assert values[0] == values[1] and "val_auc" in values[0]


@needs_tf_keras
def test_only_the_chief_writes_files(two_workers):
    from fittrack import load_history

    out, results = two_workers
    assert (out / "whole0.csv").exists() and (out / "whole0.batches.csv").exists()
    assert not list(out.glob("whole1*"))
    saved = load_history(out / "whole0.csv")
    assert saved["val_auc"] == pytest.approx(results[1]["whole"]["history"]["val_auc"])


@needs_tf_keras
def test_set_ups_that_cannot_be_exact_fail_before_training_on_every_worker(two_workers):
    _, results = two_workers
    for r in results:
        assert r["different_sets"].startswith(
            "ValueError: Under MultiWorkerMirroredStrategy every worker passes the whole "
            "validation_data")
    assert results[1]["bad_labels"].startswith("ValueError: validation_data: targets of shape")
    assert results[0]["bad_labels"].startswith(
        "RuntimeError: Worker 1 of 2 failed in the checks before training: ValueError")
