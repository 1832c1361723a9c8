"""Helpers for the callback tests (models of the Keras under test: Keras 3 or tf_keras)."""

from tests.keras_under_test import flatten, keras


class Probe(keras.callbacks.Callback):
    """Placed after MetricsCallback: keeps each epoch's logs and the model's predictions."""

    def __init__(self, *xs):
        super().__init__()
        self.xs = xs
        self.logs, self.preds = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs or {}))
        self.preds.append([self.model.predict(x, verbose=0) for x in self.xs])


def dense_classifier(n_in, n_out, activation, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((n_in,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(n_out, activation=activation),
    ])
    return model


def binary_classifier(seed=0, metrics=None):
    """The callback tests' usual model: 5 inputs, one sigmoid output, compiled with Adam
    and binary cross-entropy (``metrics`` passed to ``compile``)."""
    model = dense_classifier(5, 1, "sigmoid", seed=seed)
    model.compile("adam", "binary_crossentropy", metrics=metrics)
    return model


def _rows(x):
    return len(flatten(x)[0])


class EvalProbe(keras.callbacks.Callback):
    """Placed after MetricsCallback: each epoch's logs and, for each named dataset
    ``(x, y)`` or ``(x, y, sample_weight)``, the model's predictions and Keras'
    ``evaluate`` on the whole set in one batch."""

    def __init__(self, **datasets):
        super().__init__()
        self.datasets = datasets
        self.logs, self.preds, self.evals = [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs or {}))
        preds, evals = {}, {}
        for name, (x, y, *w) in self.datasets.items():
            n = _rows(x)
            preds[name] = self.model.predict(x, batch_size=n, verbose=0)
            evals[name] = self.model.evaluate(x, y, sample_weight=w[0] if w else None,
                                              batch_size=n, verbose=0, return_dict=True)
        self.preds.append(preds)
        self.evals.append(evals)
