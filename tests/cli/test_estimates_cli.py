"""`harborwatch counts` and `harborwatch structures` from the command line, and what
`harborwatch estimate` writes for cargo and rail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app


def test_counts_command_reports_the_accounting(tmp_path):
    p = tmp_path / "rail.csv"
    p.write_text("date,site_id,rail_cars\n2023-07-01,kp-ru-tumangang-khasan,21\n2023-07-04,kp-ru-tumangang-khasan,"
                 "x\n")
    r = CliRunner().invoke(app, ["counts", str(p), "--store", str(tmp_path / "s"), "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output.strip().splitlines()[-1])
    assert (rep["records_in"], rep["stored"], rep["quarantined"], rep["duplicates"]) == (2, 1, 1, 0)
    r = CliRunner().invoke(app, ["counts", str(p), "--store", str(tmp_path / "s"), "--strict"])
    assert r.exit_code != 0 and "rail.csv:3" in str(r.exception) and "not_a_number" in str(r.exception)


def test_estimate_writes_cargo_and_rail_tables(tmp_path):
    from harborwatch.events.schema import events_from_rows
    from harborwatch.store import Store

    t0 = int(datetime(2023, 1, 2, tzinfo=UTC).timestamp() * 1000)
    rows = [{"event_id": f"e{k}", "type": "port_visit", "mmsi": 273000001, "start": t0 + k * 7 * 86_400_000,
             "end": t0 + k * 7 * 86_400_000 + 86_400_000, "lat": 42.24, "lon": 130.3, "site_id": "kp-rajin",
             "confidence": 3, "attributes": json.dumps({"arrival_draught_m": 4.0, "departure_draught_m": 5.0}),
             "parameters": "{}", "evidence_count": 2, "evidence": [1, 2]} for k in range(40)]
    counts = tmp_path / "rail.csv"
    counts.write_text("date,site_id,rail_cars\n" + "".join(
        f"{(datetime(2023, 1, 2) + timedelta(days=3 * k)).date()},kp-ru-tumangang-khasan,{20 + k % 5}\n"
        for k in range(90)))
    # a second source counts every other of those days, and 2 more cars each time
    other = tmp_path / "rail_imagery.csv"
    other.write_text("date,site_id,rail_cars,source\n" + "".join(
        f"{(datetime(2023, 1, 2) + timedelta(days=3 * k)).date()},kp-ru-tumangang-khasan,{22 + k % 5},imagery\n"
        for k in range(0, 90, 2)))
    with Store.open(tmp_path / "s") as st:
        st.put_rows("events", events_from_rows(rows), "event_id")
    r = CliRunner()
    assert r.invoke(app, ["counts", str(counts), "--store", str(tmp_path / "s")]).exit_code == 0
    assert r.invoke(app, ["counts", str(other), "--store", str(tmp_path / "s")]).exit_code == 0
    res = r.invoke(app, ["estimate", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "e"), "--site",
                         "kp-rajin"])
    assert res.exit_code == 0, res.output
    for name in ("cargo.parquet", "cargo.csv", "cargo_weekly.parquet", "rail_daily.csv", "rail_weekly.parquet",
                 "cargo_periods.json", "rail_periods.json", "estimates.svg"):
        assert (tmp_path / "e" / name).exists(), name
    rail = json.loads((tmp_path / "e" / "rail_periods.json").read_text())
    assert rail and all(130 < r["estimate"] < 170 for r in rail if r["estimate"])  # 22-23 a day
    assert all(r["source_spread"] > 0.05 for r in rail) and "count sources run" in res.output
    cargo = [r for r in json.loads((tmp_path / "e" / "cargo_periods.json").read_text())
             if r["quantity"] == "tonnes_loaded"]
    # no static report gives the vessel's length and beam: every call is counted as without an estimate
    assert sum(r["calls_without_estimate"] for r in cargo) == 40 and all(r["estimate"] == 0 for r in cargo)


def test_structures_command_on_a_geotiff_stack(tmp_path):
    rasterio = pytest.importorskip("rasterio", reason="GeoTIFF scenes need the sat extra (rasterio)")
    from rasterio.transform import from_origin

    rng = np.random.default_rng(2)
    files = []
    for i in range(12):
        m = np.full((100, 100), 0.02)
        if i >= 5:
            m[30:50, 30:60] = 0.5
        dn = np.clip(np.sqrt(m * rng.gamma(4.4, 1 / 4.4, m.shape)) * 10_000, 1, 65_535).astype(np.uint16)
        f = tmp_path / f"S1A_IW_GRDH_1SDV_{(datetime(2023, 1, 1) + timedelta(days=12 * i)):%Y%m%dT060000}.tif"
        with rasterio.open(f, "w", driver="GTiff", width=100, height=100, count=1, dtype="uint16", crs="EPSG:32652",
                           transform=from_origin(500_000, 4_700_000, 10, 10)) as ds:
            ds.write(dn, 1)
        files.append(str(f))
    out = tmp_path / "new.geojson"
    r = CliRunner().invoke(app, ["structures", *files, "--out", str(out)])
    assert r.exit_code == 0, r.output
    g = json.loads(out.read_text())
    assert len(g["features"]) == 1 and g["features"][0]["properties"]["first_seen"] == "2023-03-02"
    assert "1 new structures in 12 scenes" in r.output


def test_railcars_command_writes_counts_that_counts_imports(tmp_path):
    rasterio = pytest.importorskip("rasterio", reason="GeoTIFF scenes need the sat extra (rasterio)")
    from pyproj import Transformer
    from rasterio.transform import from_origin

    rng = np.random.default_rng(4)
    m = np.full((200, 300), 0.1)
    m[99:101, 20:280] = 0.06
    for k in range(9):  # nine cars from x = 200 m
        m[99:101, 40 + 3 * k:43 + 3 * k] = 1.5
    dn = np.clip(np.sqrt(m * rng.gamma(4.4, 1 / 4.4, m.shape)) * 10_000, 1, 65_535).astype(np.uint16)
    img = tmp_path / "S1A_IW_GRDH_1SDV_20230801T212000.tif"
    with rasterio.open(img, "w", driver="GTiff", width=300, height=200, count=1, dtype="uint16", crs="EPSG:32652",
                       transform=from_origin(600_000, 4_700_000, 5, 5)) as ds:
        ds.write(dn, 1)
    inv = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    y = 4_700_000 - 100.5 * 5
    tracks = tmp_path / "tracks.geojson"
    tracks.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
        "geometry": {"type": "LineString", "coordinates": [inv.transform(600_100, y), inv.transform(601_400, y)]}}]}))
    out = tmp_path / "cars.csv"
    r = CliRunner().invoke(app, ["railcars", str(img), "--tracks", str(tracks), "--site", "kp-x", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "9 cars in 1 trains" in r.output
    r = CliRunner().invoke(app, ["counts", str(out), "--store", str(tmp_path / "s"), "--json"])
    rep = json.loads(r.output.strip().splitlines()[-1])
    assert rep["stored"] == 1 and rep["quarantined"] == 0


def test_railcars_command_counts_optical_images_and_takes_the_sun(tmp_path):
    pytest.importorskip("rasterio", reason="GeoTIFF images need the sat extra (rasterio)")
    pytest.importorskip("astral")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from harborwatch.scenario.optical import rail_yard_optical

    d = tmp_path / "scenario"
    d.mkdir()
    pq.write_table(pa.table({"date": ["2023-01-01", "2023-01-02"], "site_id": ["kp-ru-tumangang-khasan"] * 2,
                             "rail_cars": [30, 30]}), d / "truth_rail.parquet")
    paths = rail_yard_optical(d, every_days=1, clear_share=0.999)
    truth = pq.read_table(paths["truth"]).to_pylist()
    img = sorted(paths["scenes"].glob("*.tif"))[0]
    out = tmp_path / "cars.csv"
    r = CliRunner().invoke(app, ["railcars", str(img), "--tracks", str(paths["tracks"]), "--site",
                                 "kp-ru-tumangang-khasan", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output.strip().splitlines()[0])
    assert got["kind"] == "optical" and got["rail_cars"] == truth[0]["cars"] == 30
    # a January sun at 21 degrees: without it the shadows on the next siding read as cars
    r = CliRunner().invoke(app, ["railcars", str(img), "--tracks", str(paths["tracks"]), "--site", "kp-x",
                                 "--sun-elevation", "89", "--sun-azimuth", "180", "--json"])
    assert json.loads(r.output.strip().splitlines()[0])["rail_cars"] > 30
    r = CliRunner().invoke(app, ["railcars", str(img), "--tracks", str(paths["tracks"]), "--site", "kp-x",
                                 "--kind", "sonar"])
    assert r.exit_code != 0 and "--kind 'sonar'" in str(r.exception)
