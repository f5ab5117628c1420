"""Events benchmark: harborwatch (all event types) against MovingPandas (stop detection), same data.

The data is derived from the real Baltic sample (../shared/data/ais): its 20k positions,
replicated with shifted MMSIs and times to ``--positions`` rows. MovingPandas builds a
TrajectoryCollection and runs TrajectoryStopDetector with the port-stop parameters (stops
within 500 m for >= 1 h) on a ``--mp-positions`` slice (it is slow); harborwatch runs every
event type (cleaning, segmentation, port visits at WPI sites, voyages, gaps, encounters,
loitering, identity, spoofing) on all rows with the local engine. Both are timed in this
process, best of ``--repeat``. The last line is ``ratio=<harborwatch positions/s / MovingPandas
positions/s>``.

    python benchmarks/events.py --positions 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).parent))
from _shared import ais_dir  # noqa: E402


def derived(n: int, store_dir: Path) -> tuple[pa.Table, pa.Table]:
    from harborwatch.store.ingest import ingest_files
    from harborwatch.store.store import Store

    st = Store.open(store_dir)
    list(ingest_files(st, [ais_dir() / "baltic_april_2018_20k_sample.csv"]))
    pos, sta = st.positions(), st.sql("SELECT * FROM static")
    st.close()
    reps = max(1, -(-n // pos.num_rows))
    outs, stats = [], []
    for k in range(reps):
        # copy k: other vessels (MMSI + k*1000, same MID) a day later
        def shift(t: pa.Table) -> pa.Table:
            t = t.set_column(t.column_names.index("mmsi"), "mmsi", pc.cast(pc.add(pc.cast(t["mmsi"], pa.int64()),
                                                                                 k * 1000), pa.uint32()))
            ts = pc.cast(t["timestamp"], pa.int64())
            unit = 1000 if t.schema.field("timestamp").type.unit == "us" else 1
            ts = pc.add(ts, (k % 7) * 86_400_000 * unit)
            t = t.set_column(t.column_names.index("timestamp"), "timestamp", pc.cast(ts, t.schema.field("timestamp").type))
            return t.set_column(t.column_names.index("record_hash"), "record_hash",
                                pc.cast(pc.add(pc.cast(t["record_hash"], pa.decimal128(21, 0)), k), pa.uint64())
                                if False else pc.bit_wise_xor(t["record_hash"], pa.scalar(k * 0x9E3779B97F4A7C15 % 2**64, pa.uint64())))
        outs.append(shift(pos))
        stats.append(shift(sta))
    return pa.concat_tables(outs).slice(0, n), pa.concat_tables(stats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=1_000_000)
    ap.add_argument("--mp-positions", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    a = ap.parse_args()
    import tempfile

    from harborwatch.events.engine import Request, detect
    from harborwatch.events.params import EventsConfig
    from harborwatch.sites.build import read_wpi

    wpi = Path(ais_dir()).parent / "ports" / "WPI_Pub150.csv"
    with tempfile.TemporaryDirectory() as tmp:
        pos, sta = derived(a.positions, Path(tmp) / "s")
    req = Request(EventsConfig(), read_wpi(wpi))
    detect(pos.slice(0, 20_000), sta, req, workers=1)  # compile / warm caches
    best_hw = 1e30
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        ev = detect(pos, sta, req, workers=a.workers)
        best_hw = min(best_hw, time.perf_counter() - t0)
    counts = {}
    for t in ev["type"].to_pylist():
        counts[t] = counts.get(t, 0) + 1
    print(f"harborwatch: {pos.num_rows:,} positions, all event types, {a.workers} workers: {best_hw:.2f} s "
          f"= {pos.num_rows / best_hw:,.0f} positions/s; events {counts}")

    import geopandas as gpd
    import movingpandas as mpd

    sub = pos.slice(0, a.mp_positions).to_pandas()
    best_mp = 1e30
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.GeoDataFrame(sub, geometry=gpd.points_from_xy(sub.lon, sub.lat), crs=4326).set_index("timestamp")
            tc = mpd.TrajectoryCollection(gdf, "mmsi", min_length=0)
            stops = mpd.TrajectoryStopDetector(tc).get_stop_segments(min_duration=timedelta(hours=1), max_diameter=500)
        best_mp = min(best_mp, time.perf_counter() - t0)
    print(f"MovingPandas {mpd.__version__}: {len(sub):,} positions, stop detection only: {best_mp:.2f} s "
          f"= {len(sub) / best_mp:,.0f} positions/s; {len(stops)} stops")
    print(f"ratio={(pos.num_rows / best_hw) / (len(sub) / best_mp):.1f}")


if __name__ == "__main__":
    main()
