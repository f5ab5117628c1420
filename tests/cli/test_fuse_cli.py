"""`harborwatch detect` then `harborwatch fuse` on a GeoTIFF placed over a vessel of the sample feed."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sar"))
from conftest import ship_scene

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simulated_rason_sample.nmea"
rasterio = pytest.importorskip("rasterio", reason="GeoTIFF scenes need the sat extra (rasterio)")


def test_detect_then_fuse(tmp_path):
    from pyproj import Transformer
    from rasterio.transform import from_origin

    from harborwatch.store import Store

    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(SAMPLE), "--store", store, "--json"]).exit_code == 0
    with Store.open(store, create=False) as st:
        fix = st.sql("SELECT mmsi, timestamp, lat, lon FROM positions WHERE mmsi = 273319870 "
                     "ORDER BY timestamp LIMIT 1 OFFSET 60").to_pylist()[0]
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    x, y = fwd.transform(fix["lon"], fix["lat"])
    # 400 x 400 px at 10 m with the vessel at the centre and a second, unknown ship 1 km east
    a = ship_scene((400, 400), ((200.0, 200.0, 10, 2, 0.0), (200.0, 300.0, 10, 2, 0.0)), rcs=200.0)
    when = fix["timestamp"].astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    tif = tmp_path / f"S1A_IW_GRDH_1SDV_{when}_test.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=400, height=400, count=1, dtype="float32", crs="EPSG:32652",
                       transform=from_origin(x - 2000, y + 2000, 10, 10)) as ds:
        ds.write(a, 1)
    det = tmp_path / "det.parquet"
    res = r.invoke(app, ["detect", str(tif), "--out", str(det), "--land-buffer-m", "-1"])
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["fuse", "--store", store, "--detections", str(det), "--json", "--chips",
                         str(tmp_path / "chips"), "--out", str(tmp_path / "fused.csv")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.output.strip().splitlines()]
    seen = sum(x["seen"] for x in rows)
    assert seen == 2 and sum(x["matched"] for x in rows) == 1 and sum(x["dark"] for x in rows) == 1
    with Store.open(store, create=False) as st:
        ev = st.sql("SELECT * FROM events WHERE type = 'dark_vessel'").to_pylist()
    assert len(ev) == 1 and abs(ev[0]["lon"] - fix["lon"]) > 0.005
    assert len(list((tmp_path / "chips").glob("*.png"))) == 1
    fused = (tmp_path / "fused.csv").read_text()
    assert str(fix["mmsi"]) in fused
    again = r.invoke(app, ["fuse", "--store", store, "--detections", str(det)])
    assert again.exit_code == 0 and "(0 new dark_vessel events)" in again.output
    assert np.isfinite(a).all()
