"""Load: 2,000 requests from 20 concurrent clients against a real server, with no error."""

from __future__ import annotations

import httpx

from harborwatch.serve.load import map_requests, run_load


def test_2000_requests_from_20_clients_without_an_error(live_server):
    info = httpx.get(live_server + "/api/info").json()
    sample = httpx.get(live_server + "/api/events?limit=50").json()["features"]
    paths = map_requests(info, sample, 2000, seed=1)
    assert sum(p.startswith("/api/events?bbox=") for p in paths) > 1000
    res = run_load(live_server, paths, clients=20)
    assert res.errors == [], res.errors[:5]
    assert len(res.latencies_ms) == 2000
    s = res.summary()
    assert s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] <= s["max_ms"]
    print(s)


def test_the_load_test_counts_errors(live_server):
    res = run_load(live_server, ["/api/health", "/api/events/" + "0" * 32, "/api/nothing"], clients=2)
    assert sorted(e.split(":")[1].strip() for e in res.errors) == ["404", "404"]
