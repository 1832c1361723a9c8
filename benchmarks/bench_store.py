"""Benchmark of the MetricHistory batch table (a script, not a test).

Measures, each scenario in a fresh subprocess so memory numbers are clean:

1. appending 1,000,000 batch rows x 10 keys with ``record_batch``
   (``record``: rows cycled from 1,000 prebuilt dicts, the store's cost alone;
   ``fresh``: a new dict of new floats per row, as the callback passes them,
   with the time spent building those dicts reported apart);
2. the store's RSS growth against the raw float64 size (1M x 10 x 8 bytes);
3. ``to_csv(level="batch")`` of those rows, the file size, and reading the
   file back with ``load_history`` (checked to be exact).

Usage:
    python benchmarks/bench_store.py [--rows 1000000] [--keys 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from fittrack.history import MetricHistory, load_history

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_values(rows: int, keys: int, seed: int = 0) -> np.ndarray:
    """Half full-precision floats (losses), half k/1024 fractions (accuracies)."""
    rng = np.random.default_rng(seed)
    values = rng.random((rows, keys))
    values[:, keys // 2:] = rng.integers(0, 1025, (rows, keys - keys // 2)) / 1024
    return values


def append_rows(mode: str, rows: int, keys: int) -> dict:
    names = [f"metric_{i}" for i in range(keys)]
    history = MetricHistory()
    chunk = 1000
    start_rss = rss_bytes()
    build = build_cpu = 0.0
    if mode == "record":
        prebuilt = [dict(zip(names, row)) for row in make_values(chunk, keys).tolist()]
        start_rss = rss_bytes()
        t0, c0 = time.perf_counter(), time.process_time()
        for step in range(rows):
            history.record_batch(step + 1, step // 1000, step % 1000, prebuilt[step % chunk])
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    else:
        rng = np.random.default_rng(1)
        t0, c0 = time.perf_counter(), time.process_time()
        for lo in range(0, rows, chunk):
            b0, bc0 = time.perf_counter(), time.process_time()
            dicts = [dict(zip(names, row)) for row in rng.random((chunk, keys)).tolist()]
            build += time.perf_counter() - b0
            build_cpu += time.process_time() - bc0
            for i, values in enumerate(dicts, lo):
                history.record_batch(i + 1, i // 1000, i % 1000, values)
            del dicts, values
        elapsed = time.perf_counter() - t0 - build
        cpu = time.process_time() - c0 - build_cpu
    history._batches.compact()
    raw = rows * keys * 8
    return {"mode": mode, "seconds": elapsed, "cpu_seconds": cpu, "build_seconds": build,
            "rss_growth": rss_bytes() - start_rss, "peak_growth": peak_rss_bytes() - start_rss,
            "raw": raw}


def csv_round_trip(rows: int, keys: int) -> dict:
    names = [f"metric_{i}" for i in range(keys)]
    history = MetricHistory()
    values = make_values(rows, keys)
    for step, row in enumerate(values.tolist()):
        history.record_batch(step + 1, step // 1000, step % 1000, dict(zip(names, row)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.batches.csv")
        t0, c0 = time.perf_counter(), time.process_time()
        history.to_csv(path, level="batch")
        write, write_cpu = time.perf_counter() - t0, time.process_time() - c0
        size = os.path.getsize(path)
        t0 = time.perf_counter()
        back = load_history(path)
        read = time.perf_counter() - t0
    frame = back.to_frame("batch")
    exact = bool(np.array_equal(frame[names].to_numpy(), values)
                 and frame["step"].tolist() == list(range(1, rows + 1)))
    return {"write_seconds": write, "write_cpu_seconds": write_cpu, "size": size,
            "read_seconds": read, "exact": exact}


def run_child(scenario: str, rows: int, keys: int) -> dict:
    command = [sys.executable, __file__, "--child", scenario, "--rows", str(rows),
               "--keys", str(keys)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--child", choices=["record", "fresh", "csv"])
    args = parser.parse_args()
    if args.child:
        result = (csv_round_trip(args.rows, args.keys) if args.child == "csv"
                  else append_rows(args.child, args.rows, args.keys))
        print(json.dumps(result))
        return
    mb = 1e6
    print(f"MetricHistory batch table: {args.rows:,} rows x {args.keys} keys, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"Python {sys.version.split()[0]}")
    for mode in ("record", "fresh"):
        r = run_child(mode, args.rows, args.keys)
        label = "record_batch (prebuilt dicts)" if mode == "record" else \
            "record_batch (a fresh dict per row)"
        extra = f"  [+ {r['build_seconds']:.2f} s building the dicts]" if mode == "fresh" else ""
        print(f"  {label}: {r['seconds']:.2f} s wall, {r['cpu_seconds']:.2f} s CPU "
              f"({r['seconds'] / args.rows * 1e6:.2f} us/row){extra}")
        print(f"    RSS growth {r['rss_growth'] / mb:.0f} MB = {r['rss_growth'] / r['raw']:.2f} x "
              f"raw float64 ({r['raw'] / mb:.0f} MB); peak growth "
              f"{r['peak_growth'] / mb:.0f} MB = {r['peak_growth'] / r['raw']:.2f} x")
    r = run_child("csv", args.rows, args.keys)
    print(f"  to_csv(level='batch'): {r['write_seconds']:.2f} s wall, "
          f"{r['write_cpu_seconds']:.2f} s CPU, file {r['size'] / mb:.1f} MB")
    print(f"  load_history of that file: {r['read_seconds']:.2f} s, exact round trip: "
          f"{r['exact']}")


if __name__ == "__main__":
    main()
