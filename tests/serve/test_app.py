"""The HTTP API over a small store: every endpoint, auth, bad requests, path traversal."""

from __future__ import annotations

import io
import zipfile

from tests.serve.conftest import TOKEN


def _all_events(client, **params) -> list[dict]:
    feats, cursor = [], None
    while True:
        q = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/events", params=q).json()
        feats += page["features"]
        cursor = page["next_cursor"]
        if cursor is None:
            return feats


def test_health_info_sites_and_openapi(client):
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["events"] == 8 and h["estimates"] is True and h["reviews_writable"] is True
    info = client.get("/api/info").json()
    assert info["events"] == {"port_visit": 6, "gap": 1, "dark_vessel": 1} and info["chips"] == 1
    assert info["first"].endswith("Z") and len(info["bbox"]) == 4
    sites = client.get("/api/sites").json()
    assert sites["type"] == "FeatureCollection" and any(f["id"] == "kp-rajin" for f in sites["features"])
    spec = client.get("/openapi.json").json()
    assert {"/api/events", "/api/reviews", "/api/tracks/{mmsi}", "/api/chips/{chip_id}"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_events_are_geojson_with_event_ids_and_keyset_pages_cover_each_once(client):
    page = client.get("/api/events").json()
    assert page["type"] == "FeatureCollection" and page["count"] == 8 and page["next_cursor"] is None
    f = page["features"][0]
    assert len(f["id"]) == 32 and f["geometry"]["type"] == "Point" and f["properties"]["start"].endswith("Z")
    assert f["properties"]["links"]["bundle"] == f"/api/bundles/{f['id']}"
    paged = _all_events(client, limit=3)
    assert [x["id"] for x in paged] == [x["id"] for x in page["features"]]
    starts = [(x["properties"]["start"], x["id"]) for x in paged]
    assert starts == sorted(starts)


def test_event_filters(client):
    everything = _all_events(client)
    gap = _all_events(client, type="gap")
    assert len(gap) == 1 and gap[0]["properties"]["type"] == "gap"
    assert len(_all_events(client, type="gap,dark_vessel")) == 2
    assert len(_all_events(client, type=["gap", "dark_vessel"])) == 2
    rajin = _all_events(client, site="kp-rajin")
    assert rajin and all(x["properties"]["site_id"] == "kp-rajin" for x in rajin)
    m = everything[0]["properties"]["mmsi"]
    assert all(m in (x["properties"]["mmsi"], x["properties"]["mmsi_2"]) for x in _all_events(client, mmsi=m))
    # the bbox around one event finds it; a bbox elsewhere finds nothing
    lon, lat = gap[0]["geometry"]["coordinates"]
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    assert gap[0]["id"] in [x["id"] for x in _all_events(client, bbox=box)]
    assert _all_events(client, bbox="0,0,1,1") == []
    # a time window: events overlapping [since, until)
    start, end = gap[0]["properties"]["start"], gap[0]["properties"]["end"]
    inside = _all_events(client, since=start, until=end)
    assert gap[0]["id"] in [x["id"] for x in inside]
    assert all(x["properties"]["start"] < end and (x["properties"]["end"] or x["properties"]["start"]) >= start
               for x in inside)
    assert _all_events(client, since="2030-01-01T00:00:00Z") == []


def test_event_detail_vessel_search_track(client):
    gap = _all_events(client, type="gap")[0]
    d = client.get(f"/api/events/{gap['id']}").json()
    assert d["properties"]["evidence"] and all(h.isdigit() for h in d["properties"]["evidence"])
    assert d["properties"]["evidence_count"] == len(d["properties"]["evidence"]) and d["properties"]["reviews"] == []
    m = gap["properties"]["mmsi"]
    v = client.get(f"/api/vessels/{m}").json()
    assert v["identity"][0]["name"] == "TEST TWO" and gap["id"] in [e["id"] for e in v["events"]]
    assert [r["mmsi"] for r in client.get("/api/vessels", params={"q": "test two"}).json()] == [m]
    assert [r["mmsi"] for r in client.get("/api/vessels", params={"q": str(m)[:5]}).json()] == [m]
    t = client.get(f"/api/tracks/{m}").json()
    assert t["geometry"]["type"] == "LineString" and t["properties"]["positions"] == 60
    assert 2 <= t["properties"]["vertices"] <= 60
    # a straight line east simplifies to few vertices; the whole track's extent is kept
    lons = [c[0] for c in t["geometry"]["coordinates"]]
    assert min(lons) == 132.0 and abs(max(lons) - (132.0 + 0.03 * 59 + 0.9)) < 1e-6
    part = client.get(f"/api/tracks/{m}", params={"since": "2023-08-01T00:00:00Z",
                                                   "until": "2023-08-01T01:00:00Z"}).json()
    assert part["properties"]["positions"] == 6
    assert client.get(f"/api/tracks/{m}", params={"since": "2030-01-01T00:00:00"}).status_code == 404
    assert client.get("/api/vessels/1").status_code == 404


def test_series_and_calendar(client):
    listing = client.get("/api/series").json()["series"]
    assert any(r["quantity"] == "calls" for r in listing)
    site = next(r["site"] for r in listing if r["quantity"] == "calls")
    s = client.get("/api/series", params={"site": site, "quantity": "calls"}).json()
    assert s["points"] and {"week", "estimate", "low", "high"} <= set(s["points"][0])
    assert all(p["low"] <= p["estimate"] <= p["high"] for p in s["points"])
    assert any(c["id"] == "rajin-cargo-facility-2023-05" for c in s["calendar"])
    r = client.get("/api/series", params={"site": site, "quantity": "nothing"})
    assert r.status_code == 404 and "calls" in r.json()["hint"]


def test_chips_by_id_only(client):
    dark = _all_events(client, type="dark_vessel")[0]
    url = dark["properties"]["links"]["chip"]
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
    for bad in ("ffffffffffffffffffffffff", "..%2F..%2Fetc%2Fpasswd", "....", "8f37f432571a07fc75fecbf2.png"):
        assert client.get(f"/api/chips/{bad}").status_code == 404, bad


def test_bundle_on_demand_is_a_verifiable_zip(client, tmp_path):
    from harborwatch.evidence.verify import verify_bundle

    gap = _all_events(client, type="gap")[0]
    r = client.get(gap["properties"]["links"]["bundle"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "manifest.json" in names and "events.geojson" in names
    p = tmp_path / "b.zip"
    p.write_bytes(r.content)
    v = verify_bundle(p)
    assert v.ok, v.problems
    assert client.get("/api/bundles/" + "0" * 32).status_code == 404
    assert client.get("/api/bundles/../../etc").status_code == 404


def test_reviews_need_the_right_bearer_token(client):
    ev = _all_events(client, type="gap")[0]["id"]
    body = {"event_id": ev, "status": "confirmed", "note": "seen on imagery"}
    r = client.post("/api/reviews", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/reviews", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/reviews", json=body, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/api/reviews").json() == []
    r = client.post("/api/reviews", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201
    saved = r.json()
    assert saved["reviewer"] == "alice" and saved["status"] == "confirmed" and saved["created_at"].endswith("Z")
    assert client.get("/api/reviews", params={"event_id": ev}).json() == [saved]
    assert client.get(f"/api/events/{ev}").json()["properties"]["reviews"] == [saved]


def test_reviews_survive_a_restart(served, tmp_path):
    from fastapi.testclient import TestClient

    from harborwatch.serve import ServeOptions
    from harborwatch.serve.app import create_app

    opts = ServeOptions(store=served["store"], token_file=served["tokens"], reviews=tmp_path / "r.sqlite")
    with TestClient(create_app(opts)) as c:
        ev = _all_events(c, type="gap")[0]["id"]
        c.post("/api/reviews", json={"event_id": ev, "status": "rejected", "note": "a buoy"},
               headers={"Authorization": f"Bearer {TOKEN}"})
    with TestClient(create_app(opts)) as c:
        assert [r["note"] for r in c.get("/api/reviews").json()] == ["a buoy"]
    # without a token file reviews are read-only
    with TestClient(create_app(ServeOptions(store=served["store"], reviews=tmp_path / "r.sqlite"))) as c:
        r = c.post("/api/reviews", json={"event_id": ev, "status": "rejected"},
                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 403 and "--token-file" in r.json()["hint"]


def test_bad_requests_get_422_with_a_message(client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for params in ({"limit": 0}, {"limit": 5001}, {"limit": "many"}, {"bbox": "1,2,3"}, {"bbox": "0,95,1,96"},
                   {"since": "yesterday"}, {"cursor": "not-a-cursor"}, {"mmsi": -1},
                   {"since": "2023-02-01T00:00:00Z", "until": "2023-01-01T00:00:00Z"}):
        r = client.get("/api/events", params=params)
        assert r.status_code == 422, params
        assert r.json()["detail"], params
    ev = _all_events(client, type="gap")[0]["id"]
    for body in ({"event_id": ev, "status": "maybe"}, {"event_id": "../../x", "status": "confirmed"},
                 {"event_id": ev, "status": "confirmed", "note": "x" * 2001}, {"status": "confirmed"}):
        assert client.post("/api/reviews", json=body, headers=auth).status_code == 422, body
    r = client.post("/api/reviews", json={"event_id": "0" * 32, "status": "confirmed"}, headers=auth)
    assert r.status_code == 404


def test_oversized_requests_and_traversal_are_refused(client):
    big = b'{"event_id": "' + b"a" * 20_000 + b'"}'
    r = client.post("/api/reviews", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413

    def chunks():
        for _ in range(40):
            yield b"x" * 1024

    assert client.post("/api/reviews", content=chunks(), headers={"Content-Type": "application/json"}
                       ).status_code == 413
    for path in ("/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fapp.py",
                 "/api/events/..%2F..%2Fetc%2Fpasswd"):
        r = client.get(path)
        assert r.status_code == 404 and b"root:" not in r.content, path


def test_map_page_and_vendored_maplibre_are_served(client):
    page = client.get("/").text
    assert "/static/vendor/maplibre-gl/maplibre-gl.js" in page and "http" not in page.split("<body>")[1]
    js = client.get("/static/vendor/maplibre-gl/maplibre-gl.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert "BSD" in client.get("/static/vendor/maplibre-gl/LICENSE.txt").text
    land = client.get("/api/basemap").json()
    details = {f["properties"]["detail"] for f in land["features"]}
    assert details == {"world", "region"}
