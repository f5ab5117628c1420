"""Web service benchmark: /api/events with a bbox and a time window on a store of 10M positions and
100k events, beside the same query sent straight to DuckDB; then the load test's request mix.

The store is synthetic (made once, under benchmarks/_data/serve-<positions>-<events>): vessels on
random walks over the Sea of Japan through 2023, events of every type spread over the same box
and year. The server runs as its own process (``harborwatch serve``), the clients in this one.

Lines printed:
* ``events_query`` - ``--queries`` map-view queries (a tenth to a half of the box, windows of
  7 to 91 days, limit 100), one client: p50 / p95 in ms, through HTTP and straight to DuckDB;
* ``load`` - ``--requests`` requests of the map's mix from ``--clients`` clients: errors, p50, p95;
* ``ratio=<p95 through the API / p95 of the same SQL in DuckDB>`` (the peer: DuckDB itself).

    taskset -c 0,1 python benchmarks/serve.py
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _shared import work_dir

TYPES = ["port_visit", "voyage", "gap", "encounter", "loitering", "watchlist_vessel_at_site", "dark_vessel"]


def build(d: Path, positions: int, events: int, vessels: int = 2000) -> Path:
    from harborwatch.events.schema import EVENTS
    from harborwatch.store import Store

    store = d / "store"
    if (store / "done").exists():
        return store
    with Store.open(store) as st:
        per = positions // vessels
        t0 = time.perf_counter()
        st.con.execute(f"""
            INSERT INTO positions (mmsi, timestamp, lat, lon, sog_kn, cog_deg, msg_type, receiver, source_file,
                                   source_ref, record_hash)
            SELECT 273000000 + v AS mmsi,
                   TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(k * (31536000 // {per})) AS timestamp,
                   35 + 8 * ((v * 7919) % 1000) / 1000.0 + 0.5 * sin(k / 300.0 + v) AS lat,
                   128 + 10 * ((v * 104729) % 1000) / 1000.0 + 0.5 * cos(k / 250.0 + v) AS lon,
                   10.0, 90.0, 1, 'terrestrial', 'synthetic', v * {per} + k, hash(v, k)
            FROM range({vessels}) r(v), range({per}) s(k)
            ORDER BY mmsi, timestamp""")
        print(f"positions: {positions:,} in {time.perf_counter() - t0:.1f} s", flush=True)
        st.put_rows("events", EVENTS.empty_table(), "event_id")  # the table, with the events schema
        types = "[" + ",".join(f"'{t}'" for t in TYPES) + "]"
        st.con.execute(f"""
            INSERT INTO events
            SELECT md5(i::VARCHAR) AS event_id, {types}[1 + (hash(i, 1) % {len(TYPES)})::INTEGER] AS type,
                   (273000000 + hash(i, 2) % {vessels})::UINTEGER AS mmsi, NULL,
                   TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds((hash(i, 3) % 31536000)::BIGINT) AS start,
                   TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds((hash(i, 3) % 31536000)::BIGINT
                       + (hash(i, 4) % 172800)::BIGINT) AS "end",
                   35 + 8 * (hash(i, 5) % 100000) / 100000.0, 128 + 10 * (hash(i, 6) % 100000) / 100000.0,
                   NULL, 2, '{{}}', '{{}}', 0, []
            FROM range({events}) r(i)""")
        print(f"events: {events:,}", flush=True)
    (store / "done").touch()
    return store


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _direct(store: Path, queries: list[str]) -> list[float]:
    """The same queries as SQL through DuckDB, without HTTP: the peer."""
    from urllib.parse import parse_qs, urlparse

    from harborwatch.serve.queries import EventQuery, events_page
    from harborwatch.store import Store

    out = []
    with Store.open(store, read_only=True) as st:
        for q in queries:
            p = {k: v[0] for k, v in parse_qs(urlparse(q).query).items()}
            box = tuple(float(x) for x in p["bbox"].split(","))
            eq = EventQuery(bbox=box, since=datetime.fromisoformat(p["since"].replace("Z", "+00:00")),  # type: ignore
                            until=datetime.fromisoformat(p["until"].replace("Z", "+00:00")), limit=int(p["limit"]))
            t = time.perf_counter()
            cond, params = eq.where()
            st.con.execute(f"SELECT * FROM events WHERE {cond} ORDER BY start, event_id LIMIT ?",
                           [*params, eq.limit + 1]).fetchall()
            out.append((time.perf_counter() - t) * 1000)
            events_page(st, eq)  # the same rows, shaped as GeoJSON (not timed): checks the query runs
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--positions", type=int, default=10_000_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    a = ap.parse_args()
    import httpx

    from harborwatch.serve.load import map_requests, run_load, view_query

    store = build(work_dir() / f"serve-{a.positions}-{a.events}", a.positions, a.events)
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "harborwatch.cli.main", "serve", "--store", str(store),
                               "--port", str(port)], stdout=subprocess.DEVNULL, env=os.environ.copy())
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/api/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        info = httpx.get(base + "/api/info", timeout=60).json()
        rng = random.Random(7)
        first = datetime.fromisoformat(info["first"].replace("Z", "+00:00"))
        last = datetime.fromisoformat(info["last"].replace("Z", "+00:00"))
        queries = [view_query(rng, info["bbox"], first, last) for _ in range(a.queries)]
        run_load(base, queries[:50], clients=1)  # warm up
        api = run_load(base, queries, clients=1)
        direct = np.array(_direct(store, queries))
        print(f"events_query: {a.queries} queries, 1 client, {a.positions:,} positions, {a.events:,} events: "
              f"API p50 {api.percentile(50):.1f} ms, p95 {api.percentile(95):.1f} ms, errors {len(api.errors)}; "
              f"DuckDB direct p50 {np.percentile(direct, 50):.1f} ms, p95 {np.percentile(direct, 95):.1f} ms")
        sample = httpx.get(base + "/api/events?limit=200", timeout=60).json()["features"]
        load = run_load(base, map_requests(info, sample, a.requests, seed=1), clients=a.clients)
        print("load:", load.summary())
        print(f"ratio={api.percentile(95) / np.percentile(direct, 95):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
