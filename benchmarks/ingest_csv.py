"""CSV ingest against DuckDB's own load of the same file, side by side.

The file is the real one-day US West Coast MarineCadastre CSV (../shared/data/ais, 473k rows),
repeated ``--copies`` times with the time moved a day per copy (5 copies: 2.37M rows), written
once under benchmarks/_data. harborwatch ingests it into a fresh store (validation, hashing,
de-duplication, accounting); DuckDB runs ``CREATE TABLE t AS SELECT * FROM read_csv(...)`` into a
fresh database file. Each is timed in a fresh process, the two alternating, best of ``--repeat`` each, up to its store's
close; harborwatch's process first ingests the file's first 2,000 lines into a throwaway store, so
that numba's cache load (about 0.3 s, once per process) is not timed. The last line is
``ratio=<duckdb time / harborwatch time>``.

``--files`` writes the copies as one file per day instead (what MarineCadastre publishes);
harborwatch ingests them with ``--jobs`` worker processes, DuckDB reads the list of files.

    python benchmarks/ingest_csv.py [--copies 5] [--repeat 3] [--files --jobs 2]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _shared import ais_dir, work_dir

HW = """
import itertools, sys, time
from harborwatch.store import Store
from harborwatch.store.ingest import IngestOptions, ingest_files
files, jobs = sys.argv[1].split(","), int(sys.argv[3])
# imports and numba's cache load (about 0.3 s, once per process) are not the ingest: the first
# 2,000 lines of the file go into a throwaway store first
with open(files[0], "rb") as f, open(sys.argv[2] + ".warm.csv", "wb") as w:
    w.writelines(itertools.islice(f, 2000))
with Store.open(sys.argv[2] + ".warm") as warm:
    list(ingest_files(warm, [sys.argv[2] + ".warm.csv"]))
st = Store.open(sys.argv[2])
t = time.perf_counter()
rs = list(ingest_files(st, files, IngestOptions(), jobs=jobs))
st.close()  # a writer's close folds its log into the file, as DuckDB's own close does below
print(time.perf_counter() - t, *(sum(r[k] for r in rs) for k in ("records_in", "stored", "quarantined",
                                                                   "duplicates")))
"""

DUCK = """
import sys, time, duckdb
files = sys.argv[1].split(",")
# no progress bar (it prints on stdout when a query runs past 2 s; harborwatch's ingest shows none here)
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [files])
con.close()
t = time.perf_counter() - t
count = duckdb.connect()
count.execute("SET enable_progress_bar = false")
print(t, count.execute("SELECT count(*) FROM read_csv(?)", [files]).fetchall()[0][0])
"""


def build(copies: int, files: bool = False) -> list[Path]:
    """The copies in one file, or in one file per day (``files``); made once, reused."""
    outs = ([work_dir() / f"noaa_x{copies}_day{k}.csv" for k in range(copies)] if files
            else [work_dir() / f"noaa_x{copies}.csv"])
    if all(o.exists() for o in outs):
        return outs
    src = ais_dir() / "noaa_2020-01-01_uswestcoast.csv.gz"
    with gzip.open(src, "rt") as f:
        header, *rows = f.read().splitlines()
    groups = [[k] for k in range(copies)] if files else [list(range(copies))]
    for out, days in zip(outs, groups, strict=True):
        with open(out.with_suffix(".partial"), "w") as w:
            w.write(header + "\n")
            for k in days:
                for line in rows:
                    mmsi, ts, rest = line.split(",", 2)
                    t = datetime.fromisoformat(ts) + timedelta(days=k)
                    w.write(f"{mmsi},{t:%Y-%m-%dT%H:%M:%S},{rest}\n")
    for o in outs:
        o.with_suffix(".partial").rename(o)
    return outs


def timed(code: str, paths: list[Path], *extra: str) -> tuple[float, list[str]]:
    """One run of ``code`` in a fresh process on a fresh store: (seconds, the rest it printed)."""
    d = Path(tempfile.mkdtemp())
    try:
        r = subprocess.run([sys.executable, "-c", code, ",".join(map(str, paths)), str(d / "db"), *extra],
                           capture_output=True, text=True, check=True)
        out = r.stdout.split()
        return float(out[0]), out[1:]
    finally:
        shutil.rmtree(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--files", action="store_true", help="one file per day instead of one file")
    ap.add_argument("--jobs", type=int, default=1, help="harborwatch's worker processes (with --files)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    paths = build(a.copies, a.files)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} file(s): {paths[0].name}..., {size:,.0f} MB (made in {time.perf_counter() - t0:.0f} s)")
    # the two alternate, so that a change in the machine's speed during the run touches both
    hws, ducks = [], []
    for _ in range(a.repeat):
        t, acc = timed(HW, paths, str(a.jobs))
        hws.append(t)
        t, rows = timed(DUCK, paths)
        ducks.append(t)
    hw, duck = min(hws), min(ducks)
    runs = ", ".join(f"{h:.2f}/{d:.2f}" for h, d in zip(hws, ducks, strict=True))
    print(f"harborwatch ingest (jobs={a.jobs}): {hw:.2f} s; records in {int(acc[0]):,} = stored {int(acc[1]):,} + "
          f"quarantined {int(acc[2]):,} + duplicates {int(acc[3]):,}; {int(acc[0]) / hw:,.0f} rows/s")
    print(f"duckdb {__import__('duckdb').__version__} CREATE TABLE AS read_csv: {duck:.2f} s, {int(rows[0]):,} rows")
    print(f"runs (harborwatch/duckdb s): {runs}")
    print(f"ratio={duck / hw:.2f}")


if __name__ == "__main__":
    main()
