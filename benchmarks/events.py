"""Events benchmark: harborwatch (all event types) against MovingPandas (stop detection), same data.

The data is derived from a real sample in ../shared/data/ais (``--source``): by default the Baltic
sample's 20k positions here, and the one-day US West Coast file's 472k with ``--spark`` and out of
core, replicated as other vessels on other days to ``--positions`` rows. MovingPandas builds a
TrajectoryCollection and runs TrajectoryStopDetector with the port-stop parameters (stops
within 500 m for >= 1 h) on a ``--mp-positions`` slice (it is slow); harborwatch runs every
event type (cleaning, segmentation, port visits at WPI sites, voyages, gaps, encounters,
loitering, identity, spoofing) on all rows with the local engine. Both are timed in this
process, best of ``--repeat`` (harborwatch after one untimed run of the same work, which
compiles and dispatches the numba kernels and fills the memory pools). The last line is
``ratio=<harborwatch positions/s / MovingPandas positions/s>``.
``--spark N`` instead times the Spark engine on a lake (local[1] and local[2]) against the local engine
on a store, both from data at rest, each in a process of its own bound to as many CPUs as it has
cores (``--no-pin``: not bound), on N positions, the four processes' timed runs taken in rounds, one
run at a time. It prints every timed run, the speed-ups from the best runs, from the medians and as
the median of the rounds' own ratios (runs on a shared VM vary by 10-15 %), and as its last line
``spark_vs_local=<Spark local[2] time / local engine time on 2 workers>`` (best runs).
By default harborwatch's rows are ordered by (mmsi, timestamp, record_hash), the order in which
``Store.positions()`` hands them to ``harborwatch events`` and in which MovingPandas gets its rows
here (the real sample as stored); the sort is not timed. ``--interleaved`` leaves the copies one
after another and the static reports unsorted, so harborwatch's split and sort are timed too.

    python benchmarks/events.py --positions 2000000 --repeat 3
    python benchmarks/events.py --spark 2000000 --repeat 3
    python benchmarks/events.py --positions 100000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).parent))
from _shared import ais_dir, machine_scaling, work_dir

#: The real samples the derived data can start from (``--source``): the one-day US West Coast
#: MarineCadastre file (472k positions of 1,160 vessels; issue 21's input for the Spark and
#: out-of-core runs) and the Baltic sample (20k positions of 387 vessels; the MovingPandas
#: comparison's input, and the Spark and out-of-core runs' up to the fourth session of 2026-12-02).
#: ``scenario`` is the simulated Rason year (default parameters), simulated first.
SOURCES = {"westcoast": "noaa_2020-01-01_uswestcoast.csv.gz", "baltic": "baltic_april_2018_20k_sample.csv"}


def _source_store(source: str, store_dir: Path):
    """A fresh store at ``store_dir`` holding ``source`` (a real sample, or the simulated scenario)."""
    from harborwatch.store.ingest import ingest_files
    from harborwatch.store.store import Store

    if source == "scenario":
        from harborwatch.scenario import Scenario, simulate

        files = simulate(Scenario(), store_dir.parent / f"{store_dir.name}-scenario").files
        inputs = [files["terrestrial"], files["satellite"]]
    else:
        inputs = [ais_dir() / SOURCES[source]]
    st = Store.open(store_dir)
    list(ingest_files(st, inputs))
    return st


def _layout(vessels: int, first_us: int, last_us: int, imos: int = 0) -> dict[str, int]:
    """How copies of a source are numbered and placed: each copy's vessels take an MMSI block of
    ``stride`` (a power of ten above the vessel count), ``per_mid`` copies share one MID, each
    copy starts ``span_days`` (the source's whole days) after the one before, and its IMO stems a
    block of ``imo_stride``."""
    stride = max(1_000, 10 ** len(str(vessels)))
    span = max(1, -(-(last_us - first_us + 1) // (86_400 * 10**6)))
    return {"stride": stride, "per_mid": 1_000_000 // stride, "span_days": span,
            "imo_stride": max(1_000, 10 ** len(str(imos)))}


def derived(n: int, store_dir: Path, source: str = "baltic") -> tuple[pa.Table, pa.Table]:
    """``n`` positions: copies of ``source`` as other vessels on other days.

    Copy ``k`` gives every vessel a new MMSI, (MID + 10 * (k div per_mid)) * 10^6 +
    (k mod per_mid) * stride + its rank in the source (:func:`_layout`; the same MID, so the same
    flag, for the first ``per_mid`` copies; no copy takes another vessel's MMSI), moves it
    k * span_days later (no copy meets another copy of itself), gives it an IMO number of its own
    (unique per copy and vessel; a valid check digit stays valid, an invalid one invalid) and
    fresh record hashes. For the Baltic sample that is the earlier runs' data, row for row.
    """
    from harborwatch.core.identifiers import imo_check_digit

    st = _source_store(source, store_dir)
    pos, sta = st.positions(), st.sql("SELECT * FROM static")
    st.close()
    reps = max(1, -(-n // pos.num_rows))
    imos = sorted({int(x) for x in sta["imo"].drop_null().to_pylist() if x})
    rank = {x: i for i, x in enumerate(imos)}
    mmsis = np.unique(pos["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64))
    ts = pc.cast(pos["timestamp"], pa.timestamp("us", "UTC")).cast(pa.int64())
    lay = _layout(len(mmsis), pc.min(ts).as_py(), pc.max(ts).as_py(), len(imos))
    if 100_000 + reps * lay["imo_stride"] > 999_999:
        sys.exit(f"{n:,} positions need {reps} copies of {source}: too many for distinct IMO numbers")

    def shift(t: pa.Table, k: int) -> pa.Table:
        def put(name: str, arr: pa.Array) -> None:
            nonlocal t
            t = t.set_column(t.column_names.index(name), name, arr)

        m = t["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
        mid = m // 1_000_000 + 10 * (k // lay["per_mid"])
        put("mmsi", pa.array(mid * 1_000_000 + k % lay["per_mid"] * lay["stride"] + np.searchsorted(mmsis, m),
                             pa.uint32()))
        ty = t.schema.field("timestamp").type
        days = k * lay["span_days"]
        put("timestamp", pc.cast(pc.add(pc.cast(t["timestamp"], pa.int64()), days * 86_400 * 10**6), ty)
            if ty.unit == "us" else pc.cast(pc.add(pc.cast(t["timestamp"], pa.int64()), days * 86_400_000), ty))
        put("record_hash", pc.bit_wise_xor(t["record_hash"], pa.scalar(k * 0x9E3779B97F4A7C15 % 2**64, pa.uint64())))
        if k and "imo" in t.column_names:
            # an invalid IMO stays invalid (wrong check digit), a valid one stays valid
            ok = t["imo_valid"].to_pylist()
            stem = [None if not x else 100_000 + k * lay["imo_stride"] + rank[x] for x in t["imo"].to_pylist()]
            put("imo", pa.array([None if s is None else s * 10 + (imo_check_digit(s) + (0 if v else 1)) % 10
                                 for s, v in zip(stem, ok, strict=True)], pa.uint32()))
        return t

    outs = [shift(pos, k) for k in range(reps)]
    stats = [shift(sta, k) for k in range(reps)]
    return pa.concat_tables(outs).slice(0, n), pa.concat_tables(stats)


def derived_store(n: int, store_dir: Path, source: str = "westcoast") -> Path:
    """A store of ``n`` positions for the out-of-core run, replicated from ``source`` in DuckDB
    (never in memory), numbered and placed as :func:`derived` does; copies after the first carry
    no IMO (the same IMO on thousands of MMSIs would make every copy an identity case). Made once,
    reused."""
    done = store_dir / "done"
    if done.exists():
        return store_dir
    st = _source_store(source, store_dir)
    base, vessels, first, last = st.sql(
        "SELECT count(*) AS n, count(DISTINCT mmsi) AS v, epoch_us(min(timestamp)) AS a, epoch_us(max(timestamp)) AS b "
        "FROM positions").to_pylist()[0].values()
    lay = _layout(vessels, first, last)
    reps = -(-n // base)
    st.con.execute("SET memory_limit = '6GB'")
    t0 = time.perf_counter()
    for name, imo in (("positions", None), ("static", "CASE WHEN k = 0 THEN p.imo END")):
        cols = [r[0] for r in st.con.execute(f"DESCRIBE {name}").fetchall()]
        over = {"mmsi": f"CAST((p.mmsi // 1000000 + k // {lay['per_mid']} * 10) * 1000000 "
                        f"+ (k % {lay['per_mid']}) * {lay['stride']} + r.rank AS UINTEGER)",
                "timestamp": f"p.timestamp + to_days(CAST(k * {lay['span_days']} AS INTEGER))",
                "record_hash": "xor(p.record_hash, CAST((k * 2654435761) % 18446744073709551615 AS UBIGINT))"}
        if imo:
            over["imo"] = imo
        sel = ", ".join(over.get(c, f"p.{c}") for c in cols)
        limit = f"LIMIT {n}" if name == "positions" else ""
        st.con.execute(f"""
            CREATE TEMP TABLE base_{name} AS SELECT * FROM {name};
            DELETE FROM {name};
            INSERT INTO {name}
            SELECT {sel} FROM base_{name} p
            JOIN (SELECT mmsi, CAST(dense_rank() OVER (ORDER BY mmsi) - 1 AS BIGINT) AS rank
                  FROM (SELECT DISTINCT mmsi FROM base_positions)) r USING (mmsi)
            CROSS JOIN range({reps}) t(k)
            ORDER BY 1, 2 {limit}""")
        print(f"store: {name} replicated in {time.perf_counter() - t0:.0f} s", flush=True)
    st.con.execute("CHECKPOINT")
    st.close()
    done.touch()
    return store_dir


def _out_of_core(n: int, workers: int, source: str) -> None:
    """The local engine on a store of ``n`` positions read out of core: time and peak RSS."""
    import multiprocessing
    import resource

    from harborwatch.events.engine import run_local
    from harborwatch.events.params import EventsConfig
    from harborwatch.events.request import Request
    from harborwatch.sites.build import read_wpi
    from harborwatch.store.appender import KeyedAppender
    from harborwatch.store.store import Store

    store = work_dir() / f"events-store-{source}-{n}"
    # built in a child process, so that this process's peak RSS is the engine's alone
    child = multiprocessing.get_context("spawn").Process(target=derived_store, args=(n, store, source))
    child.start()
    child.join()
    req = Request(EventsConfig(), read_wpi(Path(ais_dir()).parent / "ports" / "WPI_Pub150.csv"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts: dict[str, int] = {}

    def keep(t: pa.Table) -> None:  # what `harborwatch events --store` does: into the store, range by range
        put(t)
        for k in t["type"].to_pylist():
            counts[k] = counts.get(k, 0) + 1

    with Store.open(store) as st:
        st.con.execute("DROP TABLE IF EXISTS events")
        n_rows = st.sql("SELECT count(*) AS n FROM positions")["n"][0].as_py()
        t0 = time.perf_counter()
        with KeyedAppender(st, "events", "event_id") as put:  # in whole row groups, as the command does
            run_local(st, req, workers=workers, sink=keep)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"out of core: {n_rows:,} positions ({source}) from the store, events into it, {workers} workers: "
          f"{wall:.1f} s = {n_rows / wall:,.0f} positions/s; events {counts}")
    print(f"peak RSS {peak:,.0f} MB (before the run {before:,.0f} MB)")


CHILD = """
import os, sys, time
if sys.argv[7] == "pin":  # before anything starts a thread: the JVM and Python workers inherit it
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:int(sys.argv[2])])
import pyarrow.parquet as pq
sys.path.insert(0, sys.argv[5])
from harborwatch.events.params import EventsConfig
from harborwatch.events.request import Request
from harborwatch.sites.build import read_wpi
engine, cores, data, wpi = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
req = Request(EventsConfig(), read_wpi(wpi))
if engine == "spark":
    from harborwatch.events.spark import _session, events_from_lake
    spark = _session(cores)
    spark.sparkContext.setLogLevel("ERROR")
    ctx = req.context()
    go = lambda: events_from_lake(spark, data, ctx, cores)
else:
    from harborwatch.events.engine import run
    from harborwatch.store.store import Store
    st = Store.open(data, read_only=True)
    go = lambda: run(st, req, workers=cores)
print("ready", flush=True)
ev = None
for line in sys.stdin:  # the parent's orders, one a line: "go" (one run; its time is printed) or "end"
    if line.strip() == "end":
        break
    t0 = time.perf_counter()
    ev = go()
    print(time.perf_counter() - t0, flush=True)
pq.write_table(ev, sys.argv[6])
"""


#: Untimed runs of each engine before the timed ones (``--warmup``).
WARMUP = 6


def _spark(n: int, repeat: int, wpi: Path, pin: bool = True, warmup: int = WARMUP, source: str = "westcoast") -> None:
    """The Spark engine on a lake against the local engine on a store, from the same data at rest.

    ``n`` derived positions go into a fresh store (``harborwatch events --store``: the local engine
    reads the store and runs) and, by ``store export --lake --period month``, into a lake of 4 MMSI
    buckets per core (``harborwatch events --lake``: Spark tasks read the lake's files and run).
    Each engine runs in a process of its own (nothing else in its memory) on 1 and 2 cores: four
    processes, all started before any run is timed. Each first makes ``warmup`` untimed runs
    (Spark's session start and Python workers, the JVM's compiler, numba's dispatch: a local[1]
    run at 2M positions kept getting faster for about six runs, 4.4 s to 2.5-2.9 s, and local[2]
    for about five, 3.1 s to 1.6-1.8 s), one process at a time. Then the timed runs go round the
    four processes ``repeat`` times, one run at a time (the others wait), so that a slow spell of
    a shared VM falls on every engine alike: when each process ran all its runs in turn, one slow
    spell during the local[2] process's runs gave a speed-up of 1.21 against 1.65-2.00 in the other
    runs of that session. The speed-ups are given by the best runs, by the medians, and as the
    median of each round's own ratio. Last, the machine's own scaling from 1 to 2 CPUs, for a
    compute-bound and a memory-bound loop (``_shared.machine_scaling``): a shared VM's second vCPU
    is not always a whole core's worth, and no engine scales past its machine.
    With ``pin`` each process is bound to as many CPUs as it has cores (``sched_setaffinity``,
    inherited by the JVM, its threads and the Python workers): otherwise a "1 core" run still
    has the machine's other CPUs for the JVM's garbage collector, compiler and shuffle threads,
    DuckDB's and Arrow's thread pools, and the 1-to-2-core speed-up measures less than the second
    core's worth."""
    import tempfile

    import pyarrow.parquet as pq

    from harborwatch.store.lake import export_lake
    from harborwatch.store.store import Store

    src = str(Path(__file__).resolve().parents[1] / "src")
    mid = statistics.median

    def start(engine: str, cores: int, data: str, out: str) -> subprocess.Popen:
        # the child's log (Spark's warnings) goes to a file: a pipe nobody reads would fill and stall it
        with open(f"{out}.log", "w") as log:
            p = subprocess.Popen([sys.executable, "-c", CHILD, engine, str(cores), data, str(wpi), src, out,
                                  "pin" if pin else "free"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        _answer(p, out)  # "ready": set up, before the next one starts
        return p

    with tempfile.TemporaryDirectory() as tmp:
        pos, sta = derived(n, Path(tmp) / "s", source)
        order = [("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")]
        pos = pos.sort_by(order)
        sta = sta.filter(pc.is_in(sta["mmsi"], pc.unique(pos["mmsi"]))).sort_by(order)
        with Store.open(f"{tmp}/store") as st:
            st.con.execute("INSERT INTO positions BY NAME SELECT * FROM pos")
            st.con.execute("INSERT INTO static BY NAME SELECT * FROM sta")
            for cores in (1, 2):
                export_lake(st, f"{tmp}/lake{cores}", buckets=4 * cores, period="month", tables=("positions", "static"))
        del pos, sta
        runs = [(e, c) for c in (1, 2) for e in ("local", "spark")]
        outs = {(e, c): f"{tmp}/{e}{c}.parquet" for e, c in runs}
        procs = {(e, c): start(e, c, f"{tmp}/store" if e == "local" else f"{tmp}/lake{c}", outs[e, c])
                 for e, c in runs}
        times: dict[tuple[str, int], list[float]] = {r: [] for r in runs}
        try:
            for r in runs:
                for _ in range(warmup):
                    _order(procs[r], outs[r])
            for k in range(repeat):
                for r in runs if k % 2 == 0 else runs[::-1]:  # each process first and last by turns
                    times[r].append(_order(procs[r], outs[r]))
        finally:
            for r, p in procs.items():
                try:
                    p.communicate("end\n", timeout=600)
                except (OSError, ValueError):  # it died already (its log says why below)
                    p.wait()
                if p.returncode:
                    sys.exit(f"the {r[0]} run on {r[1]} core(s) failed:\n{Path(outs[r] + '.log').read_text()[-3000:]}")
        for cores in (1, 2):
            same = pq.read_table(f"{tmp}/local{cores}.parquet").equals(pq.read_table(f"{tmp}/spark{cores}.parquet"))
            print(f"{cores} core(s), {n:,} positions ({source}): local engine from the store "
                  f"{_runs(times['local', cores])}; Spark local[{cores}] from the lake {_runs(times['spark', cores])}; "
                  f"same events: {same}")
    how = "each run pinned to its cores" if pin else "runs not pinned: a 1-core run has the other CPUs"
    for name, engine in (("local engine 2 / 1 workers", "local"), ("Spark local[2] / local[1]", "spark")):
        one, two = times[engine, 1], times[engine, 2]
        print(f"{name} speed-up: {min(one) / min(two):.2f} (medians {mid(one) / mid(two):.2f}; median of the "
              f"rounds' ratios {mid(a / b for a, b in zip(one, two, strict=True)):.2f}; {how})")
    if pin and (m := machine_scaling()):
        print(f"this machine, now: two processes on 2 CPUs do {m['compute']:.2f}x the work of one on 1 CPU in a "
              f"compute-bound loop, {m['memory']:.2f}x in a memory-bound one")
    print(f"spark_vs_local={min(times['spark', 2]) / min(times['local', 2]):.2f}")


def _answer(p: subprocess.Popen, out: str) -> str:
    """The next line of the child writing ``out``; its log (``out``.log) if it died instead."""
    line = p.stdout.readline() if p.stdout else ""
    if not line:
        p.wait()
        sys.exit(f"the process writing {out} failed:\n{Path(out + '.log').read_text()[-3000:]}")
    return line.strip()


def _order(p: subprocess.Popen, out: str) -> float:
    """One run of the child writing ``out``, in its own time (seconds)."""
    assert p.stdin is not None
    p.stdin.write("go\n")
    p.stdin.flush()
    return float(_answer(p, out))


def _runs(times: list[float]) -> str:
    """A child's timed runs: the best (what the ratios use), and all of them in order when more than one."""
    return f"{min(times):.2f} s" + (f" (runs {', '.join(f'{t:.2f}' for t in times)})" if len(times) > 1 else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=1_000_000)
    ap.add_argument("--mp-positions", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--interleaved", action="store_true",
                    help="time unsorted input: the copies one after another (harborwatch's sort is timed)")
    ap.add_argument("--spark", type=int, default=0, metavar="N",
                    help="time the Spark engine on a lake against the local engine on a store, N positions")
    ap.add_argument("--no-pin", action="store_true",
                    help="with --spark: do not bind each run to as many CPUs as it has cores")
    ap.add_argument("--warmup", type=int, default=WARMUP,
                    help="with --spark: untimed runs of each engine before the timed ones (1: the earlier benchmark)")
    ap.add_argument("--out-of-core", action="store_true",
                    help="build a store of --positions rows (in DuckDB) and run the local engine on it out of "
                         "core; implied above 18M positions")
    ap.add_argument("--source", choices=[*SOURCES, "scenario"],
                    help="what the positions are copied from: default westcoast with --spark and out of core, "
                         "baltic for the MovingPandas comparison")
    a = ap.parse_args()
    if a.out_of_core or a.positions > 18_000_000:
        _out_of_core(a.positions, a.workers, a.source or "westcoast")
        return
    wpi = Path(ais_dir()).parent / "ports" / "WPI_Pub150.csv"
    if a.spark:
        _spark(a.spark, a.repeat, wpi, pin=not a.no_pin, warmup=a.warmup, source=a.source or "westcoast")
        return
    import tempfile

    from harborwatch.events.engine import detect
    from harborwatch.events.params import EventsConfig
    from harborwatch.events.request import Request
    from harborwatch.sites.build import read_wpi

    with tempfile.TemporaryDirectory() as tmp:
        pos, sta = derived(a.positions, Path(tmp) / "s", a.source or "baltic")
    mp_rows = pos.slice(0, a.mp_positions)  # MovingPandas gets the real sample, in store order, either way
    if not a.interleaved:
        order = [("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")]
        pos, sta = pos.sort_by(order), sta.sort_by(order)
    req = Request(EventsConfig(), read_wpi(wpi))
    # one untimed run of the same work first: numba compilation and dispatch, memory pools
    detect(pos, sta, req, workers=a.workers)
    best_hw = 1e30
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        ev = detect(pos, sta, req, workers=a.workers)
        best_hw = min(best_hw, time.perf_counter() - t0)
    counts = {}
    for t in ev["type"].to_pylist():
        counts[t] = counts.get(t, 0) + 1
    order_name = "interleaved" if a.interleaved else "store order"
    print(f"harborwatch: {pos.num_rows:,} positions ({order_name}), all event types, {a.workers} workers: "
          f"{best_hw:.2f} s = {pos.num_rows / best_hw:,.0f} positions/s; events {counts}")


    import geopandas as gpd
    import movingpandas as mpd

    sub = mp_rows.to_pandas()
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
