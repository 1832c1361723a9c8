"""Test-wide settings: a Keras backend (one per pytest process) and a headless matplotlib.

With ``TF_USE_LEGACY_KERAS=1`` the models of the tests are tf_keras models
(``tests/keras_under_test.py``) and Keras 3, which fittrack imports, runs on
TensorFlow too.
"""

import os

_LEGACY = os.environ.get("TF_USE_LEGACY_KERAS", None) in ("true", "True", "1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow" if _LEGACY else "jax")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
