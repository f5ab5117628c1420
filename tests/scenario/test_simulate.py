"""The simulated scenario: deterministic, labelled, synthetic identities, ITU intervals, truth."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from harborwatch.core.identifiers import imo_is_valid, mmsi_flag
from harborwatch.scenario import Scenario, simulate
from harborwatch.scenario.simulate import _intervals


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    cfg = Scenario(days=40, vessels=15)
    d = tmp_path_factory.mktemp("scn")
    return cfg, d, simulate(cfg, d)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_files_other_seed_other_files(small, tmp_path):
    cfg, d, _ = small
    again = simulate(cfg, tmp_path / "a")
    assert again.truth.equals(small[2].truth)
    for name in ("terrestrial.nmea", "satellite.nmea", "truth_events.parquet"):
        assert _digest(d / name) == _digest(tmp_path / "a" / name)
    other = simulate(Scenario(days=40, vessels=15, seed=7), tmp_path / "b")
    assert _digest(d / "terrestrial.nmea") != _digest(other.files["terrestrial"])


def test_everything_is_labelled_simulated(small):
    _, d, r = small
    assert "SIMULATED" in (d / "SIMULATED.txt").read_text()
    meta = json.loads(pq.read_schema(d / "truth_events.parquet").metadata[b"harborwatch"])
    assert meta["simulated"] is True
    assert all(v["simulated"] for v in pq.read_table(d / "truth_vessels.parquet").to_pylist())


def test_identities_are_plausible(small):
    _, d, r = small
    v = pq.read_table(d / "truth_vessels.parquet").to_pylist()
    assert len({x["vessel"] for x in v}) == 15
    imos = np.array([x["imo"] for x in v if x["imo"]], np.int64)
    assert imo_is_valid(imos).all()
    flags = mmsi_flag(np.array([x["mmsi"] for x in v], np.int64))
    assert set(flags) <= {"RU", "KP", "SL", "CM", "MN", "TG", "KR", "PA"}
    # the renamed vessel keeps its IMO under a new MMSI with another flag
    ren = [x for x in v if x["role"] == "renamed"]
    assert len(ren) == 1 or (len(ren) == 2 and ren[0]["imo"] == ren[1]["imo"] and ren[0]["mmsi"] != ren[1]["mmsi"])


def test_itu_reporting_intervals():
    status = np.array([5, 1, 0, 0, 0, 0])
    sog = np.array([0.1, 2.0, 0.0, 12.0, 18.0, 25.0])
    assert _intervals(status, sog, "A").tolist() == [180, 180, 10, 10, 6, 2]
    assert _intervals(status, sog, "B").tolist() == [30] * 6
    turning = np.array([False, False, True, True, True, True])
    assert _intervals(status, sog, "A", turning).round(2).tolist() == [180, 180, 3.33, 3.33, 2, 2]


def test_feeds_are_real_nmea_with_noise(small):
    _, d, r = small
    lines = (d / "terrestrial.nmea").read_bytes().splitlines()
    assert all(x.startswith(b"\\s:") for x in lines)
    assert len(lines) > int((r.messages["feed"].to_numpy() == 0).sum())
    assert len(set(lines)) < len(lines)  # repeated lines


def test_truth_has_the_storyline(small):
    _, d, r = small
    types = set(r.truth["type"].to_pylist())
    assert {"port_visit", "voyage", "gap", "encounter", "loitering"} <= types
    rail = pq.read_table(d / "truth_rail.parquet").to_pylist()
    assert len(rail) == 40 and all(x["rail_cars"] >= 0 for x in rail)
    scenes = pq.read_table(d / "truth_overpasses.parquet").to_pylist()
    assert scenes and all(s["scene_id"].startswith("SIM-S1-") for s in scenes)
    seen = pq.read_table(d / "truth_overpass_vessels.parquet").to_pylist()
    assert seen and all(s["length_m"] > 0 for s in seen)
    fac = json.loads((d / "truth_facilities.geojson").read_text())
    assert fac["features"][0]["properties"]["appears"] == "2023-05-10"


def test_rail_cars_step_up_after_july():
    from harborwatch.scenario.story import rail_cars

    r = rail_cars(np.random.default_rng(1), Scenario().t_start, 365)
    before = np.mean([x["rail_cars"] for x in r if x["date"] < "2023-07-26"])
    after = np.mean([x["rail_cars"] for x in r if x["date"] >= "2023-09-13"])
    assert after > before * 1.5


def test_cargo_ledger_and_draughts_agree(small):
    from harborwatch.scenario.cargo import BBL_PER_T, draught_for

    _, d, r = small
    cargo = pq.read_table(d / "truth_cargo.parquet").to_pylist()
    assert {c["cargo"] for c in cargo} == {"containers", "petroleum"}
    by_key = {v.key: v for v in r.fleet.vessels}
    for c in cargo:
        v = by_key[c["vessel"]]
        # the draught the vessel reports after the operation is the one its load implies
        assert float(v.draught_at(np.array([int(c["time"].timestamp())]))[0]) == c["draught_m"]
        if c["cargo"] == "petroleum" and c["tonnes_unloaded"]:
            assert c["barrels_unloaded"] == round(c["tonnes_unloaded"] * BBL_PER_T)
    ship = by_key[cargo[0]["vessel"]]
    assert draught_for(ship, 2000.0) > draught_for(ship, 0.0)
    counts = (d / "rail_counts.csv").read_text().splitlines()
    assert counts[0] == '"date","site_id","rail_cars","source"' and 5 <= len(counts) - 1 < 40  # gaps in coverage


def test_each_seed_places_its_own_new_structure_on_land():
    from harborwatch.geo.landmask import is_land
    from harborwatch.scenario.story import facility_geojson

    seen = set()
    for seed in (2023, 5, 7, 11, 29):
        f = facility_geojson(seed)["features"][0]
        ring = np.array(f["geometry"]["coordinates"][0])
        lon, lat = ring[:-1, 0].mean(), ring[:-1, 1].mean()
        assert bool(is_land(np.array([lat]), np.array([lon]))[0])
        assert "2023-03-01" <= f["properties"]["appears"] <= "2023-10-31"
        seen.add((round(lon, 3), round(lat, 3)))
    assert len(seen) == 5
    assert facility_geojson(2023)["features"][0]["properties"]["appears"] == "2023-05-10"
