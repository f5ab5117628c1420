"""CSV ingest against DuckDB's own load of the same file, side by side.

The file is the real one-day US West Coast MarineCadastre CSV (../shared/data/ais, 473k rows),
repeated ``--copies`` times with the time moved a day per copy (5 copies: 2.37M rows), written
once under benchmarks/_data. harborwatch ingests it into a fresh store (validation, hashing,
de-duplication, accounting); DuckDB runs ``CREATE TABLE t AS SELECT * FROM read_csv(...)`` into a
fresh database file. Each is timed in a fresh process, best of ``--repeat``. The last line is
``ratio=<duckdb time / harborwatch time>``.

    python benchmarks/ingest_csv.py [--copies 5] [--repeat 3]
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
import sys, time
from harborwatch.store import Store
from harborwatch.store.ingest import IngestOptions, ingest_files
import harborwatch.ingest.csv.reader  # imports and numba's cache load are not the ingest
with Store.open(sys.argv[2]) as st:
    t = time.perf_counter()
    r = list(ingest_files(st, [sys.argv[1]], IngestOptions()))[0]
    print(time.perf_counter() - t, r["records_in"], r["stored"], r["quarantined"], r["duplicates"])
"""

DUCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}')")
con.close()
print(time.perf_counter() - t, duckdb.sql(f"SELECT count(*) FROM read_csv('{sys.argv[1]}')").fetchall()[0][0])
"""


def build(copies: int) -> Path:
    out = work_dir() / f"noaa_x{copies}.csv"
    if out.exists():
        return out
    src = ais_dir() / "noaa_2020-01-01_uswestcoast.csv.gz"
    with gzip.open(src, "rt") as f:
        header, *rows = f.read().splitlines()
    tmp = out.with_suffix(".partial")
    with open(tmp, "w") as w:
        w.write(header + "\n")
        for k in range(copies):
            for line in rows:
                mmsi, ts, rest = line.split(",", 2)
                t = datetime.fromisoformat(ts) + timedelta(days=k)
                w.write(f"{mmsi},{t:%Y-%m-%dT%H:%M:%S},{rest}\n")
    tmp.rename(out)
    return out


def timed(code: str, path: Path, repeat: int) -> tuple[float, list[str]]:
    best, last = 1e30, []
    for _ in range(repeat):
        d = Path(tempfile.mkdtemp())
        try:
            r = subprocess.run([sys.executable, "-c", code, str(path), str(d / "db")], capture_output=True, text=True,
                               check=True)
            last = r.stdout.split()
            best = min(best, float(last[0]))
        finally:
            shutil.rmtree(d)
    return best, last[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    t0 = time.perf_counter()
    path = build(a.copies)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:,.0f} MB (made in {time.perf_counter() - t0:.0f} s)")
    hw, acc = timed(HW, path, a.repeat)
    print(f"harborwatch ingest: {hw:.2f} s; records in {int(acc[0]):,} = stored {int(acc[1]):,} + quarantined "
          f"{int(acc[2]):,} + duplicates {int(acc[3]):,}; {int(acc[0]) / hw:,.0f} rows/s")
    duck, rows = timed(DUCK, path, a.repeat)
    print(f"duckdb {__import__('duckdb').__version__} CREATE TABLE AS read_csv: {duck:.2f} s, {int(rows[0]):,} rows")
    print(f"ratio={duck / hw:.2f}")


if __name__ == "__main__":
    main()
