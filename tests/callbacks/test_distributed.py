"""Same values under data parallelism as on one device; only the chief writes files.

Each scenario runs in a subprocess: the device count must be set before the
backend starts. The subprocess trains under the strategy, then copies the final
weights into a plain single-device model and scores it with scikit-learn.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.keras_under_test import BACKEND, uses_tensorflow

COMMON = textwrap.dedent("""
    import json
    import numpy as np
    from sklearn.metrics import f1_score, roc_auc_score

    def data():
        rng = np.random.default_rng(0)
        x = rng.normal(size=(301, 5)).astype("float32")
        return x, (x[:, 0] + 0.3 * rng.normal(size=301) > 0).astype("int64")

    def build(keras):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
        m.compile("adam", "binary_crossentropy")
        return m

    def report(keras, cb, model, x, y, single):
        single.set_weights(model.get_weights())
        p = single.predict_on_batch(x)[:, 0]
        print("RESULT " + json.dumps({
            "callback": [cb.history["val_auc"][-1], cb.history["val_f1"][-1]],
            "single_device": [roc_auc_score(y, p), f1_score(y, p > 0.5)]}), flush=True)
""")

TF_SCRIPT = COMMON + textwrap.dedent("""
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tests.keras_under_test import keras    # Keras 3, or tf_keras (TF_USE_LEGACY_KERAS=1)
    from fittrack import MetricsCallback
    x, y = data()
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = build(keras)
    cb = MetricsCallback(["auc", "f1"], validation_data=(x, y), batch_frequency=3, batch_size=64,
                         csv_path=sys.argv[1])
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    report(keras, cb, model, x, y, build(keras))
""")

JAX_SCRIPT = COMMON + textwrap.dedent("""
    import sys
    import jax, keras
    from fittrack import MetricsCallback
    assert len(jax.devices()) == 2
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    x, y = data()
    model = build(keras)
    cb = MetricsCallback(["auc", "f1"], validation_data=(x, y), batch_frequency=3, batch_size=64,
                         csv_path=sys.argv[1])
    model.fit(x[:288], y[:288], epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    keras.distribution.set_distribution(None)
    report(keras, cb, model, x, y, build(keras))
""")


def run(script, tmp_path, **env):
    path = tmp_path / "run.py"
    path.write_text(script)
    proc = subprocess.run([sys.executable, str(path), str(tmp_path / "h.csv")], text=True,
                          capture_output=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=os.getcwd(), **env))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[0][7:])


def check(result, tmp_path):
    assert result["callback"] == pytest.approx(result["single_device"], abs=1e-9)
    assert (tmp_path / "h.csv").exists() and (tmp_path / "h.batches.csv").exists()


@pytest.mark.skipif(not uses_tensorflow(), reason="tf.distribute")
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    check(run(TF_SCRIPT, tmp_path), tmp_path)


@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution on JAX (Keras 3)")
def test_jax_data_parallel_on_two_host_devices(tmp_path):
    result = run(JAX_SCRIPT, tmp_path, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    check(result, tmp_path)


def test_only_the_chief_writes_files(tmp_path, monkeypatch, binary_data):
    from fittrack import MetricsCallback
    from fittrack.callbacks import metrics_callback
    from tests.callbacks.probes import binary_classifier

    monkeypatch.setattr(metrics_callback, "is_chief", lambda: False)
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=tmp_path / "w.csv")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert len(cb.history["val_auc"]) == 2
    assert not (tmp_path / "w.csv").exists()
