"""Which process writes files when training runs on several workers.

Every worker computes the same values (they hold the same model), but only
the chief writes the CSV files: TensorFlow's chief (or worker 0) of a
multi-worker strategy, JAX's process 0, torch.distributed's rank 0. A single
process is always the chief.

Example:
    >>> is_chief()
    True
"""

from __future__ import annotations

import sys


def is_chief() -> bool:
    """True unless this process is a non-chief worker of a multi-process run."""
    return _tf_chief() and _jax_chief() and _torch_chief()


def _tf_chief() -> bool:
    tf = sys.modules.get("tensorflow")
    if tf is None or not tf.distribute.has_strategy():
        return True
    resolver = getattr(tf.distribute.get_strategy(), "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if task_type in (None, "chief"):
        return True
    has_chief = "chief" in (resolver.cluster_spec().as_dict() if resolver else {})
    return task_type == "worker" and not has_chief and getattr(resolver, "task_id", 0) == 0


def _jax_chief() -> bool:
    jax = sys.modules.get("jax")
    return jax is None or jax.process_index() == 0


def _torch_chief() -> bool:
    torch = sys.modules.get("torch")
    if torch is None or not torch.distributed.is_available():
        return True
    return not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0
