"""Helpers for the callback tests."""

import keras


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
