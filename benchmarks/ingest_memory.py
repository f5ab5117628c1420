"""Ingest a >= 10M-row CSV built from the real NOAA sample into a fresh store: rows/s and peak RSS.

Rows are the 1,000 real MarineCadastre rows repeated with timestamps shifted by one
minute per copy, so every row is a distinct record. Peak RSS is the child process's
``ru_maxrss``. Goal: peak RSS <= 1 GB, independent of file size (run with --rows 2000000
and 10000000 to see it flat). Last line: ``peak_rss_mb=<MB>``.

    python benchmarks/ingest_memory.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta

from _shared import ais_dir, work_dir

CHILD = """
import sys, time
from harborwatch.store import Store, ingest_files
t = time.perf_counter()
with Store.open(sys.argv[1]) as st:
    (rep,) = list(ingest_files(st, [sys.argv[2]]))
print(rep["records_in"], rep["stored"], rep["quarantined"], rep["duplicates"], time.perf_counter() - t)
"""


def build(rows: int):
    path = work_dir() / f"noaa_{rows}.csv"
    if path.exists():
        return path
    lines = (ais_dir() / "aisdb_test_data_noaa_20230111.csv").read_text().splitlines()
    header, body = lines[0], lines[1:]
    parsed = [(r.split(",", 2)) for r in body]
    with open(path, "w") as f:
        f.write(header + "\n")
        written = 0
        k = 0
        while written < rows:
            for mmsi, ts, rest in parsed:
                t = datetime.fromisoformat(ts) + timedelta(minutes=k)
                f.write(f"{mmsi},{t:%Y-%m-%dT%H:%M:%S},{rest}\n")
                written += 1
                if written >= rows:
                    break
            k += 1
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    path = build(args.rows)
    store = work_dir() / "ingest_memory_store"
    shutil.rmtree(store, ignore_errors=True)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(store), str(path)], capture_output=True, text=True,
                         check=True)
    wall = time.perf_counter() - t
    rin, stored, quar, dups, secs = out.stdout.split()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"file: {path} ({path.stat().st_size / 1e9:.2f} GB, {int(rin):,} rows)")
    print(f"stored {int(stored):,}, quarantined {int(quar):,}, duplicates {int(dups):,}")
    print(f"ingest: {float(secs):.1f} s = {int(rin) / float(secs):,.0f} rows/s (process wall {wall:.1f} s)")
    print(f"peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
