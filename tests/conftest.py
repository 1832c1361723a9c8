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

if os.environ["KERAS_BACKEND"] == "jax" and "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    # The tests build many identical small models (and start processes that train them):
    # JAX's compilation cache, in a temporary folder removed at exit, compiles each once.
    # A cached executable is the one XLA compiled for the same program: same numbers.
    import atexit
    import shutil
    import tempfile

    _cache = tempfile.mkdtemp(prefix="fittrack-tests-jax-cache-")
    atexit.register(shutil.rmtree, _cache, True)
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _cache
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "-1"
