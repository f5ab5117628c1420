"""The SIMULATED optical images of the rail yard: cloud-free acquisitions at 10:30 local time,
the sun in the tags, shadows away from the sun, the day's cars, and a count that matches."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("rasterio")
pytest.importorskip("astral")

from harborwatch.sar.optical import open_optical
from harborwatch.sar.railcars import read_tracks
from harborwatch.sar.railcars_optical import count_cars_optical
from harborwatch.scenario.optical import rail_yard_optical


@pytest.fixture(scope="module")
def yard(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenario-optical")
    days = [date(2023, 1, 1) + timedelta(days=k) for k in range(365)]
    cars = [20 + (k * 37) % 90 for k in range(365)]  # 20-109 cars: up to two sidings full
    pq.write_table(pa.table({"date": [x.isoformat() for x in days], "site_id": ["kp-ru-tumangang-khasan"] * 365,
                             "rail_cars": cars}), d / "truth_rail.parquet")
    return d, rail_yard_optical(d, every_days=30, clear_share=0.99)


def test_images_are_taken_late_morning_with_the_sun_in_the_tags(yard):
    import rasterio

    _, paths = yard
    files = sorted(paths["scenes"].glob("*.tif"))
    assert 10 <= len(files) <= 13  # one a month, nearly all clear
    truth = pq.read_table(paths["truth"]).to_pylist()
    assert [r["scene_id"] for r in truth] == [f.stem for f in files]
    for f in files:
        with rasterio.open(f) as ds:
            tags = ds.tags()
            assert ds.count == 3 and ds.dtypes[0] == "uint8" and ds.crs.to_epsg() == 32652
        el = float(tags["SUN_ELEVATION"])
        assert 15 < el < 75 and 110 < float(tags["SUN_AZIMUTH"]) < 170  # morning: the sun in the south-east
        assert tags["TIFFTAG_DATETIME"].endswith(("01:47:26", "01:47:25"))  # 10:30 local solar time at 130.6 E
    elev = [r["sun_elevation_deg"] for r in truth]
    assert max(elev) - min(elev) > 30  # winter to summer


def test_rendering_is_deterministic(yard, tmp_path):
    d, paths = yard
    again = rail_yard_optical(d, tmp_path / "again", every_days=30, clear_share=0.99)
    a = sorted(paths["scenes"].glob("*.tif"))[0]
    b = sorted(again["scenes"].glob("*.tif"))[0]
    assert open_optical(a).bands.tobytes() == open_optical(b).bands.tobytes()


def test_shadows_fall_away_from_the_sun_in_winter(yard):
    _, paths = yard
    first = sorted(paths["scenes"].glob("*.tif"))[0]  # January: the sun at about 21 degrees
    img = open_optical(first)
    grey = img.bands.mean(axis=0)
    # the ground between the southern siding (track 0, 24 m above the bottom edge) and the next,
    # north of it, darkens where trains stand on track 0; the ground south of it does not
    rows = grey.shape[0]
    row0 = rows - int(24 / 0.5)
    north, south = grey[row0 - 14: row0 - 6], grey[row0 + 6: row0 + 14]
    dark = 0.6 * np.median(south)
    assert (north < dark).mean() > 0.02 and (south < dark).mean() < 0.001


def test_the_counter_matches_the_truth(yard):
    _, paths = yard
    truth = {r["scene_id"]: r["cars"] for r in pq.read_table(paths["truth"]).to_pylist()}
    lines = read_tracks(paths["tracks"])
    got = {f.stem: count_cars_optical(open_optical(f), lines)["cars"] for f in sorted(paths["scenes"].glob("*.tif"))}
    errors = [abs(got[k] - truth[k]) for k in truth]
    assert sum(e == 0 for e in errors) >= len(errors) - 1
    assert max(errors) <= 2


@pytest.fixture(scope="module")
def facility(tmp_path_factory):
    import json

    d = tmp_path_factory.mktemp("scenario-facility")
    days = [date(2023, 1, 1) + timedelta(days=k) for k in range(365)]
    pq.write_table(pa.table({"date": [x.isoformat() for x in days], "site_id": ["kp-ru-tumangang-khasan"] * 365,
                             "rail_cars": [20] * 365}), d / "truth_rail.parquet")
    ring = [[130.2935, 42.246], [130.2985, 42.246], [130.2985, 42.249], [130.2935, 42.249], [130.2935, 42.246]]
    truth = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "Polygon", "coordinates": [ring]}, "properties": {"id": "new-quay", "site_id": "kp-rajin",
                                                                  "appears": "2023-05-10"}}]}
    (d / "truth_facilities.geojson").write_text(json.dumps(truth))
    from harborwatch.scenario.optical import facilities_optical

    return d, truth, facilities_optical(d)


def test_optical_stacks_show_the_structure_from_the_day_it_appears(facility):
    from harborwatch.evaluation.structures import evaluate_structures
    from harborwatch.sar.structures_optical import find_structures_optical

    _, truth, paths = facility
    files = sorted(paths["new-quay"].glob("*.tif"))
    assert 25 <= len(files) <= 50  # every five days, about half lost to cloud
    g = find_structures_optical([open_optical(f) for f in files])
    ev = evaluate_structures(g, truth)
    assert (ev["found"], ev["f1"]) == (1, 1.0)
    assert 0 <= ev["date_errors_days"][0] <= 30  # the first clear image after it appeared


def test_structures_command_takes_optical_geotiffs(facility, tmp_path):
    import json

    from typer.testing import CliRunner

    from harborwatch.cli.main import app

    _, _, paths = facility
    out = tmp_path / "found.geojson"
    r = CliRunner().invoke(app, ["structures", *map(str, sorted(paths["new-quay"].glob("*.tif"))), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "colour changed by" in r.output
    g = json.loads(out.read_text())
    assert len(g["features"]) == 1 and g["features"][0]["properties"]["first_seen"] >= "2023-05-10"
