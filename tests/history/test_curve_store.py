"""CurveStore: records by epoch, dataset, output and kind; its one file; epoch names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from fittrack.history.curve_store import CurveStore, curves_path, resolve_epoch
from fittrack.metrics.curve_points import curves_for


def _predictions(epoch: int, n: int = 900, classes: int = 2):  # short curves: not thinned
    rng = np.random.default_rng(epoch)
    y = rng.integers(0, classes, n)
    if classes == 2:
        p = np.clip(rng.normal(0.4 + 0.1 * epoch * y, 0.25), 0, 1).astype(np.float32)
    else:
        p = rng.dirichlet(np.ones(classes), n).astype(np.float32)
    return y, p, rng.random(n)


@pytest.fixture
def store():
    s = CurveStore()
    for epoch in range(3):
        for dataset in ("train", "val"):
            y, p, w = _predictions(epoch + (dataset == "val") * 10)
            s.add_curves(epoch, dataset, curves_for(y, p, w))
    return s


def _check_against_sklearn(store: CurveStore, epoch: int, dataset: str) -> None:
    y, p, w = _predictions(epoch + (dataset == "val") * 10)
    roc = store.get("roc", dataset, epoch)
    for name, expected in zip(("fpr", "tpr", "thresholds"), roc_curve(y, p, sample_weight=w)):
        np.testing.assert_array_equal(roc[name], expected)
    pr = store.get("pr", dataset, epoch)
    precision, recall, thresholds = precision_recall_curve(y, p, sample_weight=w)
    np.testing.assert_array_equal(pr["precision"], precision)
    np.testing.assert_array_equal(pr["recall"], recall)
    np.testing.assert_array_equal(pr["thresholds"][:-1], thresholds)
    matrix = store.get("confusion", dataset, epoch)["matrix"]
    np.testing.assert_allclose(matrix, confusion_matrix(y, (p > 0.5).astype(int),
                                                        sample_weight=w), rtol=1e-12)


def test_records_equal_sklearn_before_and_after_the_file_round_trip(store, tmp_path):
    path = store.save(curves_path(tmp_path / "run.csv"))
    assert path == tmp_path / "run.curves.npz"
    loaded = CurveStore.load(path)
    assert loaded.keys() == store.keys()
    for source in (store, loaded):
        for epoch in range(3):
            for dataset in ("train", "val"):
                _check_against_sklearn(source, epoch, dataset)
    for key in store:
        a, b = store.get(key[3], key[1], key[0]), loaded.get(key[3], key[1], key[0])
        assert a.keys() == b.keys()
        for name in a:
            assert a[name].dtype == b[name].dtype
            np.testing.assert_array_equal(a[name], b[name])


def test_multiclass_and_named_outputs_round_trip(tmp_path):
    s = CurveStore()
    y, p, _ = _predictions(0, 500, classes=4)
    s.add_curves(0, "val", curves_for(y, p), output="digits")
    s.add_curves(0, "val", curves_for(y % 2, p[:, 1]), output="parity")
    loaded = CurveStore.load(s.save(tmp_path / "c.npz"))
    roc = loaded.get("roc", output="digits")
    assert np.unique(roc["class"]).tolist() == [0, 1, 2, 3]
    for k in range(4):
        np.testing.assert_array_equal(roc["tpr"][roc["class"] == k], roc_curve(y == k, p[:, k])[1])
    with pytest.raises(KeyError, match="outputs"):
        loaded.get("roc")  # two outputs: say which
    assert loaded.get("confusion", output="parity")["matrix"].shape == (2, 2)


def test_get_last_epoch_by_default_and_a_clear_error_otherwise(store):
    np.testing.assert_array_equal(store.get("roc")["fpr"], store.get("roc", "val", 2)["fpr"])
    assert store.epochs("roc", "val") == [0, 1, 2]
    with pytest.raises(KeyError, match=r"epoch=7.*epochs \[0, 1, 2\]"):
        store.get("roc", epoch=7)
    with pytest.raises(KeyError, match="curves=True"):
        CurveStore().get("pr")
    with pytest.raises(ValueError, match="dataset must be one of"):
        store.add(0, "test", "roc", store.get("roc"))


def test_records_are_read_only_copies(store):
    source = {"fpr": np.array([0.0, 1.0]), "tpr": np.array([0.0, 1.0]),
              "thresholds": np.array([np.inf, 0.5])}
    store.add(5, "val", "roc", source)
    source["fpr"][0] = 9.0
    got = store.get("roc", epoch=5)
    assert got["fpr"][0] == 0.0 and got["class"].tolist() == [1, 1]
    with pytest.raises(ValueError, match="read-only"):
        got["fpr"][0] = 1.0


def test_add_checks_the_arrays():
    with pytest.raises(ValueError, match="missing"):
        CurveStore().add(0, "val", "pr", {"precision": [1.0], "recall": [0.0]})
    with pytest.raises(ValueError, match="one length"):
        CurveStore().add(0, "val", "roc", {"fpr": [0, 1], "tpr": [0], "thresholds": [1, 0]})
    with pytest.raises(ValueError, match="kind must be one of"):
        CurveStore().add(0, "val", "det", {})


def test_truncate_for_a_resumed_run(store):
    store.truncate(1)
    assert store.epochs() == [0]


def test_the_file_is_the_documented_npz(store, tmp_path):
    path = store.save(tmp_path / "run.curves.npz")
    store.save(path)  # replaced atomically: no temporary file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.curves.npz"]
    with np.load(path, allow_pickle=False) as data:
        assert str(data["format"]) == "fittrack-curves 1"
        index = json.loads(str(data["index"]))
        assert index[0] == {"epoch": 0, "dataset": "train", "output": None, "kind": "roc",
                            "arrays": ["fpr", "tpr", "thresholds", "class"]}
        assert len(index) == len(store)
        np.testing.assert_array_equal(data["r0.fpr"], store.get("roc", "train", 0)["fpr"])


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="curves=True"):
        CurveStore.load(tmp_path / "nope.curves.npz")
    bad = tmp_path / "bad.curves.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.curves.npz.*not a fittrack curves file"):
        CurveStore.load(bad)
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(ValueError, match="format"):
        CurveStore.load(tmp_path / "other.npz")


@pytest.mark.parametrize("epoch, expected", [
    (None, None), ("last", None), (3, 3), (np.int64(4), 4), ("5", 5), ("best:val_auc", 7),
])
def test_resolve_epoch(epoch, expected):
    assert resolve_epoch(epoch, {"val_auc": 7}.__getitem__) == expected


@pytest.mark.parametrize("epoch", ["best:", "first", True, 2.5])
def test_resolve_epoch_rejects_other_values(epoch):
    with pytest.raises(ValueError, match="best:<key>"):
        resolve_epoch(epoch)


def test_best_needs_the_history():
    with pytest.raises(ValueError, match="needs the run's history"):
        resolve_epoch("best:val_auc")
