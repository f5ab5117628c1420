"""The main job on the default scenario: every detector against the ground truth.

Thresholds (issue 4): port visits and voyages F1 >= 0.95; gaps, dark gaps, encounters,
loitering, identity changes, shared MMSIs and spoofing >= 0.9.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app
from harborwatch.demo import run_demo

#: whole-pipeline tests: the whole job on the default scenario, a year and 24 vessels.
#: `python -m pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

THRESHOLDS = {"port_visit": 0.95, "voyage": 0.95, "gap": 0.9, "dark": 0.9, "encounter": 0.9, "loitering": 0.9,
              "identity_change": 0.9, "shared_mmsi": 0.9, "spoofing": 0.9}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out)


def test_every_detector_meets_its_threshold(default_run):
    out, f = default_run
    scores = json.loads((out / "evaluation.json").read_text())
    low = {k: scores[k]["f1"] for k, v in THRESHOLDS.items() if scores[k]["f1"] is None or scores[k]["f1"] < v}
    assert not low, low
    assert scores["dark_call"]["recall"] >= 0.9
    for k in THRESHOLDS:
        assert scores[k]["truth"] > 0, k


def test_outputs_and_findings(default_run):
    out, f = default_run
    names = {p.name for p in out.iterdir()}
    assert {"truth_events.parquet", "truth_events.csv", "events.parquet", "events.geojson", "events.csv",
            "evaluation.json", "findings.json"} <= names
    assert f["simulated"] is True
    ing = f["ingest"]
    assert ing["records_in"] == ing["stored"] + ing["quarantined"] + ing["duplicates"]
    assert ing["quarantined"] > 0 and ing["duplicates"] > 0  # the feeds carry damaged and repeated lines
    truth = f["rajin_truth"]
    # the storyline: more Rajin calls after the July visit and again after the September summit
    assert (truth["before_2023-07-26"]["per_week"] < truth["2023-07-26_to_2023-09-13"]["per_week"]
            < truth["after_2023-09-13"]["per_week"])
    assert truth["after_2023-09-13"]["dark_calls"] > 0
    # screening against the scenario's SIMULATED watchlist: the listed shuttles are found, also
    # the renamed vessel under its old MMSI (same IMO), and their Rajin calls become events
    sc = f["screening"]
    assert sc["vessels"] >= 8 and sc["at_rajin"] > 0
    assert len(list((out / "dossiers").glob("*.json"))) == sc["vessels"]


def test_evaluate_cli_json(default_run):
    out, _ = default_run
    r = CliRunner().invoke(app, ["evaluate", "--truth", str(out / "truth_events.csv"), "--events",
                                 str(out / "events.geojson"), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output.strip().splitlines()[-1])
    for k in THRESHOLDS:
        assert {"precision", "recall", "f1"} <= set(s[k])
    assert s["port_visit"]["f1"] >= 0.95


def test_demo_cli_small_and_cached(tmp_path):
    r = CliRunner()
    args = ["demo", "--out", str(tmp_path), "--days", "20", "--vessels", "14", "--json"]
    res = r.invoke(app, args)
    assert res.exit_code == 0, res.output
    f = json.loads(res.output.strip().splitlines()[-1])
    assert f["events"]["port_visit"] > 0
    scen = [p for p in tmp_path.iterdir() if p.name.startswith("scenario-")]
    assert len(scen) == 1 and (scen[0] / "DONE").exists()
    stamp = (scen[0] / "DONE").read_text()
    again = json.loads(r.invoke(app, args).output.strip().splitlines()[-1])
    assert (scen[0] / "DONE").read_text() == stamp  # simulation reused
    assert again["events"] == f["events"]


def test_simulate_cli(tmp_path):
    res = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "s"), "--days", "5", "--vessels", "14"])
    assert res.exit_code == 0, res.output
    assert "SIMULATED" in res.output
    assert (tmp_path / "s" / "terrestrial.nmea").stat().st_size > 0


def test_radar_dark_vessels(default_run):
    """The demo renders Sentinel-1-like scenes of the Rajin overpasses, detects ships, fuses them
    with AIS and scores dark-vessel detection against the scenes' truth."""
    pytest.importorskip("rasterio", reason="the radar step needs the sat extra (rasterio)")
    out, f = default_run
    r = f["radar"]
    assert r["scenes"] >= 20 and r["dark_vessel_events"] > 0
    ev = r["evaluation"]
    assert ev["detection"]["recall"] >= 0.85 and ev["detection"]["precision"] >= 0.9, ev
    assert ev["dark_vessel"]["f1"] >= 0.8 and ev["dark_vessel"]["truth"] >= 10, ev
    fc = json.loads((out / "detections.geojson").read_text())
    assert len(fc["harborwatch:scenes"]) == r["scenes"] and fc["features"][0]["geometry"]["type"] == "Point"
    chips = list((out / "chips").glob("*.png"))
    assert len(chips) == r["dark_vessel_events"]
    feats = json.loads((out / "events.geojson").read_text())["features"]
    assert sum(e["properties"]["type"] == "dark_vessel" for e in feats) == r["dark_vessel_events"]
    res = CliRunner().invoke(app, ["evaluate-radar", "--truth", r["truth_scene_vessels"], "--fused",
                                   r["fused_file"], "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == json.loads(json.dumps(ev))  # the CLI gives the demo's figures


def test_estimates_are_evaluated_against_the_truth(default_run):
    """The demo's estimates (calls seen on AIS, dark and radar-only; cargo; rail cars) and change
    tests are in evaluation.json beside the truth. The checks are the default seed's (a regression
    check; the figures on other seeds are in README): calls at Rajin closer to the truth (every
    hull's calls) than AIS alone in every period and inside their intervals, TEU at Rajin,
    barrels at Chongjin inside their intervals, rail cars inside theirs in at least two of the
    three periods, and the 26 July change found within 14 days at p <= 0.05 in calls and in rail
    cars. (Since the scenario's berths changed in the sixth session of 2026-11-30, the default
    seed's rail truth after 13 September, 250.8 cars a week, lies just above its interval's
    250.4: the analyst misses 5 % of cars, and the two count sources' 3 % spread widens the
    interval only a little; on held-out seeds rail periods were covered 11 times in 12.)"""
    from datetime import date

    out, f = default_run
    ev = json.loads((out / "evaluation.json").read_text())
    rows = {r["period"]: r for r in ev["estimates"] if r["site"] == "kp-rajin" and r["quantity"] == "calls_per_week"}
    assert set(rows) == set(f["rajin_truth"])
    for name, r in rows.items():
        ais_only = f["rajin"][name]["per_week"]
        assert abs(r["estimate"] - r["truth"]) <= abs(ais_only - r["truth"]) + 1e-9
        assert r["low"] <= r["truth"] <= r["high"] and r["radar_only_per_week"] > 0
    by_q: dict[str, list] = {}
    for r in ev["estimates"]:
        assert {"quantity", "site", "period", "estimate", "low", "high", "truth"} <= set(r)
        by_q.setdefault(r["quantity"], []).append(r)
    cargo = by_q["teu_loaded"] + by_q["barrels_unloaded"]
    assert len(cargo) == 6 and all(r["covered"] for r in cargo)
    rail = by_q["rail_cars_per_week"]
    assert len(rail) == 3 and sum(r["covered"] for r in rail) >= 2
    assert all(abs(r["estimate"] - r["truth"]) <= 0.15 * r["truth"] for r in rail)
    months = [r["period"] for r in by_q["teu_per_month"]]
    assert len(months) >= 12 and months[:2] == ["2023-01", "2023-02"]
    g = ev["goals"]
    assert g["rows"] == len(ev["estimates"]) and g["rail_cars_per_week_median_rel_error"] <= 0.15
    for series in ("calls_per_week", "rail_cars_per_week"):
        july = next(c for c in ev["changes"] if c["calendar_date"] == "2023-07-26" and c["series"] == series)
        assert abs((date.fromisoformat(july["found_date"]) - date(2023, 7, 26)).days) <= 14 and july["p_value"] <= 0.05
        assert july["low"] <= july["truth_effect"] <= july["high"]
    assert ev["placebo"]["n_dates"] > 0 and ev["placebo"]["false_positive_rate"] <= 0.1
    for name in ("activity.parquet", "changes.json", "cargo.parquet", "cargo_weekly.csv", "rail_weekly.parquet",
                 "radar_presences.parquet", "cargo_periods.json", "rail_periods.json"):
        assert (out / "estimates" / name).exists(), name
    html_text = (out / "report" / "report.html").read_text()
    assert "id='cargo'" in html_text and "id='calendar'" in html_text and "figures/estimates.svg" in html_text
    assert f["rail"]["counts"]["records_in"] == f["rail"]["counts"]["stored"] > 0


def test_the_new_structure_is_found_in_the_radar_stack(default_run):
    """The default seed's cargo facility (May 2023) is the one new structure in the simulated
    scenes; it is found, dated within a revisit, and nothing else is."""
    out, f = default_run
    ev = json.loads((out / "evaluation.json").read_text())
    ns = ev["new_structures"]
    assert (ns["found"], ns["truth"], ns["f1"]) == (1, 1, 1.0) and ns["median_date_error_days"] <= 14
    g = json.loads((out / "new_structures.geojson").read_text())
    assert g["features"][0]["properties"]["first_seen"].startswith("2023-05")
    no = ev["new_structures_optical"]  # and in the optical stacks around it
    assert (no["found"], no["truth"], no["f1"]) == (1, 1, 1.0) and no["median_date_error_days"] <= 30
    assert json.loads((out / "new_structures_optical.geojson").read_text())["features"]
    assert "optical images around each structure" in (out / "report" / "report.html").read_text()


def test_rail_cars_are_counted_on_the_simulated_yard_scenes(default_run):
    """The demo counts the cars on its simulated yard chips and imports them beside the analyst's."""
    pytest.importorskip("rasterio", reason="the radar step needs the sat extra (rasterio)")
    out, f = default_run
    ri = f["rail"]["imagery"]
    # a yard scene from every overpass of the scenario (40 on this seed)
    assert ri["scenes"] == f["radar"]["scenes"] >= 30 and ri["stored"] == ri["scenes"]
    assert ri["mean_abs_error_cars"] <= 1.0
    ev = json.loads((out / "evaluation.json").read_text())
    assert ev["rail_imagery"]["exact"] == ri["exact"]
    html_text = (out / "report" / "report.html").read_text()
    assert "harborwatch railcars" in html_text and "sequential omnibus test" in html_text
    ro = f["rail"]["optical"]  # and on the optical images, shadows and all
    assert ro["images"] >= 20 and ro["exact"] >= ro["images"] - 1 and ro["max_abs_error_cars"] <= 2
    assert ev["rail_imagery_optical"]["exact"] == ro["exact"]
    assert (out / "rail_counts_optical.csv").read_text().count("\n") == ro["images"] + 1
    assert "optical images of the yard" in html_text


def test_the_example_claims_are_checked_bundled_and_shown(default_run):
    """The demo checks the example claims against the SIMULATED scenario, writes one bundle per
    claim, and the report's Claims section links them; a claim bundle verifies."""
    from harborwatch.evidence.verify import verify_bundle

    out, f = default_run
    rows = [json.loads(x) for x in (out / "claims.jsonl").read_text().splitlines()]
    assert len(rows) == 5 and all(r["status"] in ("supported", "contradicted", "insufficient") for r in rows)
    by_id = {r["claim_id"]: r for r in rows}
    assert by_id["rajin-calls-rose-after-visit-2023"]["status"] == "supported"  # the scenario's July rise
    assert by_id["russian-ships-dark-at-rajin-2023"]["evidence"]
    html_text = (out / "report" / "report.html").read_text()
    assert "<h2>Claims</h2>" in html_text and "../bundles/claim-rajin-containers-aug-oct-2023.zip" in html_text
    v = verify_bundle(out / by_id["russian-ships-dark-at-rajin-2023"]["bundle"])
    assert v.ok and v.checked["events_rederived"] >= 1, v.problems


def test_every_estimate_figure_links_to_its_sites_bundle(default_run):
    """Every row of the report's estimate tables, every change finding and the estimates figure
    link to the bundle of their site (one per site), and every event row links to its bundle in
    the API; a figure bundle verifies."""
    import zipfile

    from harborwatch.evidence.verify import verify_bundle

    out, f = default_run
    assert all(r["bundle"] == f"bundles/figures-{r['site']}.zip" for r in f["estimates"])
    assert all(c["bundle"] == f"bundles/figures-{c['site']}.zip" for c in f["changes"])
    html_text = (out / "report" / "report.html").read_text()
    for site in {r["site"] for r in f["estimates"]}:
        assert (out / "bundles" / f"figures-{site}.zip").exists()
        assert html_text.count(f"href='../bundles/figures-{site}.zip'") >= 2, site
    events = html_text.split("<h2>Events</h2>", 1)[1].split("<h2>", 1)[0]
    assert events.count('class="bundle" href="/api/bundles/') == events.count("<tr id=\"ev-")
    rajin = out / "bundles" / "figures-kp-rajin.zip"
    figs = json.loads(zipfile.ZipFile(rajin).read("figures.json"))
    assert {x["quantity"] for x in figs} >= {"calls_per_week", "teu_loaded", "teu_per_month"}
    v = verify_bundle(rajin)
    assert v.ok, v.problems[:5]
