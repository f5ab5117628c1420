"""A load test of a running server: many requests from concurrent clients, latency percentiles.

Each client is a thread with its own HTTP connection (httpx, keep-alive) that takes the next URL
from a shared list until it is empty. :func:`map_requests` builds a list that looks like people
using the map: event pages for a view and time window, event details, vessels, tracks, series.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from harborwatch.core.errors import require


@dataclass
class LoadResult:
    requests: int
    clients: int
    wall_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def summary(self) -> dict:
        return {"requests": self.requests, "clients": self.clients, "errors": len(self.errors),
                "wall_s": round(self.wall_s, 2), "requests_per_s": round(self.requests / self.wall_s, 1),
                "p50_ms": round(self.percentile(50), 1), "p95_ms": round(self.percentile(95), 1),
                "p99_ms": round(self.percentile(99), 1), "max_ms": round(max(self.latencies_ms, default=0), 1)}


def run_load(base_url: str, paths: list[str], clients: int = 20, timeout_s: float = 30.0) -> LoadResult:
    """GET every path (relative to ``base_url``) once, ``clients`` at a time. A response other
    than 200, or a failed connection, is an error (with its path)."""
    httpx = require("httpx", "serve", "the load test")
    queue = list(reversed(paths))
    lock = threading.Lock()
    res = LoadResult(len(paths), clients, 0.0)

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=timeout_s) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    path = queue.pop()
                t = time.perf_counter()
                try:
                    r = c.get(path)
                    ok, why = r.status_code == 200, f"{r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, type(e).__name__
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    res.latencies_ms.append(ms)
                    if not ok:
                        res.errors.append(f"{path}: {why}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    res.wall_s = time.perf_counter() - t0
    return res


def _window(rng: random.Random, first: datetime, last: datetime, days: int) -> tuple[str, str]:
    span = max((last - first).total_seconds() - days * 86400, 0)
    since = first + timedelta(seconds=rng.uniform(0, span))
    until = since + timedelta(days=days)
    return since.strftime("%Y-%m-%dT%H:%M:%SZ"), until.strftime("%Y-%m-%dT%H:%M:%SZ")


def view_query(rng: random.Random, bbox: list[float], first: datetime, last: datetime) -> str:
    """An events query for a random map view (a tenth to a half of the data's extent) and a
    random window of 7 to 91 days."""
    w, s, e, n = bbox
    f = rng.uniform(0.1, 0.5)
    dx, dy = (e - w) * f, (n - s) * f
    x0, y0 = rng.uniform(w, e - dx), rng.uniform(s, n - dy)
    since, until = _window(rng, first, last, rng.choice([7, 28, 91]))
    return f"/api/events?bbox={x0:.4f},{y0:.4f},{x0 + dx:.4f},{y0 + dy:.4f}&since={since}&until={until}&limit=100"


def map_requests(info: dict, sample: list[dict], n: int, seed: int = 0) -> list[str]:
    """``n`` paths as the map page asks for them: 60 % event pages of a view and window, 15 %
    event details, 10 % vessels, 5 % tracks, 5 % series, 5 % sites / info / health. ``info`` is
    ``/api/info``; ``sample`` a few event features."""
    rng = random.Random(seed)
    first = datetime.fromisoformat(info["first"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(info["last"].replace("Z", "+00:00"))
    ids = [f["id"] for f in sample]
    mmsis = [f["properties"]["mmsi"] for f in sample if f["properties"]["mmsi"]]
    series = info.get("series") or []
    out = []
    for _ in range(n):
        u = rng.random()
        if u < 0.60 or not ids:
            out.append(view_query(rng, info["bbox"], first, last))
        elif u < 0.75:
            out.append(f"/api/events/{rng.choice(ids)}")
        elif u < 0.85 and mmsis:
            out.append(f"/api/vessels/{rng.choice(mmsis)}")
        elif u < 0.90 and mmsis:
            out.append(f"/api/tracks/{rng.choice(mmsis)}")
        elif u < 0.95 and series:
            s = rng.choice(series)
            out.append(f"/api/series?site={s['site']}&quantity={s['quantity']}")
        else:
            out.append(rng.choice(["/api/sites", "/api/info", "/api/health"]))
    return out


__all__ = ["LoadResult", "map_requests", "run_load", "view_query"]
