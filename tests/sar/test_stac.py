"""STAC search against a local STAC API (recorded items served over HTTP) and recorded files."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app
from harborwatch.sar.stac import covering, read_items, search

pytest.importorskip("pystac_client", reason="STAC search needs the sat extra (pystac-client)")


def _item(i: str, when: str, bbox: list[float], orbit: str = "descending") -> dict:
    w, s, e, n = bbox
    return {"type": "Feature", "stac_version": "1.0.0", "id": i, "collection": "sentinel-1-grd", "bbox": bbox,
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
            "properties": {"datetime": when, "platform": "sentinel-1a", "sat:orbit_state": orbit,
                           "sat:relative_orbit": 61, "sar:instrument_mode": "IW", "sar:polarizations": ["VV", "VH"]},
            "links": [], "assets": {"vv": {"href": f"https://example.invalid/{i}/vv.tiff"}}}


ITEMS = [_item("S1A_IW_GRDH_1SDV_20230801T093012_A", "2023-08-01T09:30:12Z", [129.5, 41.5, 131.5, 43.0]),
         _item("S1A_IW_GRDH_1SDV_20230813T093013_B", "2023-08-13T09:30:13Z", [129.5, 41.5, 131.5, 43.0]),
         _item("S1A_IW_GRDH_1SDV_20230805T213000_C", "2023-08-05T21:30:00Z", [132.0, 42.0, 134.0, 43.5]),
         _item("S1A_IW_GRDH_1SDV_20231001T093012_D", "2023-10-01T09:30:12Z", [129.5, 41.5, 131.5, 43.0])]


class _Api(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _send(self, doc):
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _search(self, params):
        box = [float(x) for x in params["bbox"].split(",")] if isinstance(params["bbox"], str) else params["bbox"]
        t0, t1 = (datetime.fromisoformat(x.replace("Z", "+00:00")) for x in params["datetime"].split("/"))
        hits = [i for i in ITEMS if not (i["bbox"][2] < box[0] or i["bbox"][0] > box[2] or i["bbox"][3] < box[1]
                                         or i["bbox"][1] > box[3])
                and t0 <= datetime.fromisoformat(i["properties"]["datetime"].replace("Z", "+00:00")) <= t1]
        self._send({"type": "FeatureCollection", "features": hits, "links": []})

    def do_GET(self):
        u = urlparse(self.path)
        root = f"http://127.0.0.1:{self.server.server_port}"
        if u.path in ("", "/"):
            self._send({"type": "Catalog", "id": "test", "description": "test STAC API", "stac_version": "1.0.0",
                        "conformsTo": ["https://api.stacspec.org/v1.0.0/core",
                                       "https://api.stacspec.org/v1.0.0/item-search",
                                       "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"],
                        "links": [{"rel": "self", "href": root + "/"}, {"rel": "root", "href": root + "/"},
                                  {"rel": "search", "href": root + "/search", "method": "GET",
                                   "type": "application/geo+json"},
                                  {"rel": "search", "href": root + "/search", "method": "POST",
                                   "type": "application/geo+json"}]})
        elif u.path == "/search":
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            self._search(q)
        else:
            self.send_error(404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self._search(json.loads(self.rfile.read(n)))


@pytest.fixture
def api():
    srv = HTTPServer(("127.0.0.1", 0), _Api)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_port}/"
    srv.shutdown()


def test_search_a_stac_api(api):
    got = search((130.2, 42.1, 130.4, 42.3), "2023-08-01", "2023-08-31", catalog=api)
    assert [s["id"][-1] for s in got] == ["A", "B"]
    s = got[0]
    assert s["time"] == "2023-08-01T09:30:12Z" and s["platform"] == "SENTINEL-1A" and s["orbit"] == "descending"
    assert s["polarisations"] == ["VV", "VH"] and s["assets"]["vv"].endswith("/vv.tiff")


def test_search_failure_names_the_url():
    from harborwatch.core.errors import InputFileError

    with pytest.raises(InputFileError, match="127.0.0.1:9"):
        search((0, 0, 1, 1), "2023-01-01", "2023-01-02", catalog="http://127.0.0.1:9/")


def test_cli_site_search_and_recorded_items(api, tmp_path):
    r = CliRunner().invoke(app, ["stac-search", "--site", "kp-rajin", "--since", "2023-08-01", "--until", "2023-12-31",
                                 "--catalog", api, "--json", "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["id"][-1] for x in r.output.strip().splitlines()] == ["A", "B", "D"]
    rec = tmp_path / "items.json"
    rec.write_text(json.dumps({"type": "FeatureCollection", "features": ITEMS}))
    r2 = CliRunner().invoke(app, ["stac-search", "--bbox", "132.5,42.5,133.0,43.0", "--since", "2023-08-01", "--until",
                                  "2023-08-31", "--items", str(rec), "--json"])
    assert r2.exit_code == 0 and [json.loads(x)["id"][-1] for x in r2.output.strip().splitlines()] == ["C"]


def test_recorded_latakia_items(shared):
    p = shared / "sar" / "latakia_s1" / "config" / "s1_selected.json"
    if not p.is_file():
        pytest.skip(f"{p} missing")
    scenes = read_items(p)
    assert len(scenes) > 300 and all(s["time"].endswith("Z") for s in scenes)
    assert scenes == sorted(scenes, key=lambda s: (s["time"], s["id"]))
    over = covering(scenes, 35.77, 35.52)  # Latakia port
    assert len(over) >= 0.9 * len(scenes) and {s["orbit"] for s in over} <= {"ascending", "descending"}
