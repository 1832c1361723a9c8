"""Which Keras an object comes from, and what tf_keras' CallbackList asks of a callback;
the other callbacks of the same ``fit``, found on the call stack."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import keras


# ----- which Keras an object comes from
def is_tf_keras(obj: Any) -> bool:
    """True for a model, layer, loss or callback of tf_keras (Keras 2), read from the
    top module of the first Keras class in its MRO (a user's subclass is in ``__main__``)."""
    for cls in type(obj).__mro__:
        top = (getattr(cls, "__module__", None) or "").split(".")[0]
        if top == "tf_keras":
            return True
        if top == "keras":
            return False
    return False


# ----- the callback protocol of tf_keras' CallbackList
class TfKerasCallbackHooks:
    """What tf_keras' ``CallbackList`` asks of every callback (tf_keras/src/callbacks.py,
    ``CallbackList.__init__``), which a Keras 3 ``Callback`` lacks. Mixed into a Keras 3
    callback, it runs in both ``fit`` loops. Both Keras mark their no-op base hooks with
    ``_is_default``; a hook that is overridden (or set on the instance) has none."""

    _supports_tf_logs = False      # logs arrive as Python floats
    _chief_worker_only = None      # read by tf_keras' multi-worker callback filter

    def _implements_train_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_batch_begin", "on_batch_end",
                               "on_train_batch_begin", "on_train_batch_end")

    def _implements_test_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_test_batch_begin", "on_test_batch_end")

    def _implements_predict_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_predict_batch_begin", "on_predict_batch_end")


def _any_overridden(callback: Any, *hooks: str) -> bool:
    return any(not getattr(getattr(callback, h, None), "_is_default", False) for h in hooks)


# ----- the other callbacks of this fit
def _is_callback_list(obj: Any) -> bool:
    if isinstance(obj, keras.callbacks.CallbackList):
        return True
    cls = type(obj)
    return (cls.__name__ == "CallbackList" and (cls.__module__ or "").startswith("tf_keras")
            and isinstance(getattr(obj, "callbacks", None), list))


def sibling_callbacks(depth: int = 8) -> list[Any] | None:
    """The ``callbacks`` of the ``CallbackList`` (Keras 3 or tf_keras) calling us,
    found on the stack (or None)."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if owner is not None and _is_callback_list(owner):
            return list(owner.callbacks)
        frame = frame.f_back
    return None


def fit_arguments(depth: int = 12) -> dict[str, Any]:
    """Arguments of the ``fit`` call running us (``validation_split``...), or {}."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return {}
        if frame.f_code.co_name == "fit" and "validation_split" in frame.f_locals:
            return dict(frame.f_locals)
        frame = frame.f_back
    return {}
