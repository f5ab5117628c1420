"""Locate the real samples beside the repo (../shared/data or $HARBORWATCH_SHARED/data)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ais_dir() -> Path:
    d = Path(os.environ.get("HARBORWATCH_SHARED", REPO.parent / "shared")) / "data" / "ais"
    if not d.is_dir():
        sys.exit(f"real AIS samples not found at {d}: set HARBORWATCH_SHARED")
    return d


def work_dir() -> Path:
    d = REPO / "benchmarks" / "_data"
    d.mkdir(parents=True, exist_ok=True)
    return d


_PROBE = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
import numpy as np
if sys.argv[1] == "compute":  # a loop in the interpreter: registers and the core's caches
    t = time.perf_counter()
    x = 0
    for i in range(4_000_000):
        x += i * i % 7
else:  # streaming over arrays 100x the caches: memory bandwidth
    a, b = np.ones(32 << 20), np.empty(32 << 20)
    np.multiply(a, 1.0, out=b)  # every page touched before timing
    t = time.perf_counter()
    for _ in range(10):
        np.multiply(a, 1.0001, out=b)
        a, b = b, a
print(time.perf_counter() - t)
"""


def machine_scaling(rounds: int = 3) -> dict[str, float]:
    """How much more two cores do than one on this machine, now: for a compute-bound and a
    memory-bound loop, one process alone on CPU 0 against two at once on CPUs 0 and 1 (the same
    work each), best of ``rounds`` alternating. 2.0 is perfect scaling; a VM whose two vCPUs share
    memory bandwidth, or a host core, gives less. The speed-up a benchmark measures from 1 to 2
    cores cannot be expected above what its mix of the two allows."""
    import subprocess

    def run(kind: str, cpus: list[int]) -> float:
        ps = [subprocess.Popen([sys.executable, "-c", _PROBE, kind, str(c)], stdout=subprocess.PIPE, text=True)
              for c in cpus]
        return max(float(p.communicate()[0]) for p in ps)

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return {}
    out = {}
    for kind in ("compute", "memory"):
        alone, both = [], []
        for _ in range(rounds):
            alone.append(run(kind, cpus[:1]))
            both.append(run(kind, cpus[:2]))
        out[kind] = 2 * min(alone) / min(both)
    return out
