"""The machine a benchmark runs on: its CPU, NumPy, and how fast NumPy sorts there.

Every exact ranking metric (AUC, PR AUC) and every curve sorts, so their cost
follows ``np.sort``'s speed, which is not the same on every CPU of a
generation. On AMD Zen 4 (CPU family 25 with AVX-512: EPYC 9004, Ryzen 7000)
NumPy runs its AVX-512 sort, whose memory-destination compress-store is
microcoded there (numpy/x86-simd-sort issue 6): measured on this project's
machine on 2026-12-04, one sort of 1M uint32 keys took 31 ms, and 5.5 ms with
``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"`` set before Python
started (NumPy's AVX2 sort); float64 56 ms and 10 ms. Figures measured on
such a machine are flagged here, so that they are not compared with others
as they are.

Usage: ``python benchmarks/machine.py`` (``run.py`` prints it first).
"""

from __future__ import annotations

import platform
import time

import numpy as np

#: keys sorted to measure the sort's speed
SORT_KEYS = 1 << 20


def cpu() -> dict[str, str]:
    """``model name``, ``vendor_id`` and ``cpu family`` from ``/proc/cpuinfo`` (Linux;
    elsewhere only what :mod:`platform` knows)."""
    fields = {"model name": platform.processor() or platform.machine()}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "vendor_id", "cpu family") and value.strip():
                    fields[key] = value.strip()
                if not line.strip():
                    break      # the first processor is enough
    except OSError:
        pass
    return fields


def numpy_avx512() -> bool:
    """Whether NumPy dispatches to its AVX-512 (x86-64-v4) code in this process."""
    features = getattr(getattr(np, "_core", None), "_multiarray_umath", None)
    return bool(getattr(features, "__cpu_features__", {}).get("X86_V4", False))


def sort_ns_per_key(repeats: int = 5) -> float:
    """The best of ``repeats`` sorts of 2**20 random float32 keys, in ns per key."""
    keys = np.random.default_rng(0).random(SORT_KEYS, dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        work = keys.copy()
        start = time.perf_counter()
        work.sort()
        best = min(best, time.perf_counter() - start)
    return best * 1e9 / SORT_KEYS


def describe() -> dict[str, object]:
    """The CPU, NumPy's version and dispatch, the sort's speed, and whether the slow
    AVX-512 sort of AMD Zen 4 is in use."""
    info = cpu()
    avx512 = numpy_avx512()
    zen4 = info.get("vendor_id") == "AuthenticAMD" and info.get("cpu family") == "25"
    return {"cpu": info.get("model name", "?"), "numpy": np.__version__,
            "numpy_avx512": avx512, "sort_ns_per_key": round(sort_ns_per_key(), 2),
            "zen4_avx512_sort": zen4 and avx512}


if __name__ == "__main__":
    facts = describe()
    print(" | ".join(f"{k}: {v}" for k, v in facts.items()))
    if facts["zen4_avx512_sort"]:
        print('AMD Zen 4 with NumPy\'s AVX-512 sort: NPY_DISABLE_CPU_FEATURES="X86_V4 '
              'AVX512_ICL AVX512_SPR" makes the sorts (and the ranking metrics) faster.')
