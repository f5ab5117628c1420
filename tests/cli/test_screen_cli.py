"""`harborwatch screen` on the shipped simulated sample with a hand-made OpenSanctions list."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from harborwatch.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simulated_rason_sample.nmea"


def test_screen_json_hits_explained(tmp_path):
    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(SAMPLE), "--store", store, "--json"]).exit_code == 0
    lst = tmp_path / "os.jsonl"
    lst.write_text(json.dumps({"id": "x1", "schema": "Vessel", "datasets": ["test_list"], "properties": {
        "name": ["RENAMED ONE"], "pastNames": ["SIM SHUTTLE ONE"], "callSign": ["UBSA1"],
        "programId": ["TEST-PROGRAM"]}}) + "\n" + json.dumps({"id": "x2", "schema": "Vessel", "properties": {
            "name": ["UNRELATED"], "imoNumber": ["9190327"]}}) + "\n")
    res = r.invoke(app, ["screen", "--store", store, "--lists", str(lst), "--json", "--out", str(tmp_path / "h.csv")])
    assert res.exit_code == 0, res.output
    hits = [json.loads(x) for x in res.output.strip().splitlines()]
    by = {h["entity_id"]: h for h in hits}
    assert set(by) == {"x1", "x2"}
    assert by["x1"]["mmsi"] == 273319870 and by["x1"]["name_listed"] == "RENAMED ONE"
    assert by["x1"]["list"] == "OpenSanctions:test_list" and by["x1"]["program"] == "TEST-PROGRAM"
    assert sorted(f["feature"] for f in by["x1"]["features"]) == ["callsign", "name"]
    assert by["x2"]["mmsi"] == 273319880 and by["x2"]["score"] == 0.95
    for k in ("mmsi", "imo", "name_seen", "name_listed", "list", "program", "score", "features"):
        assert k in by["x1"]
    assert (tmp_path / "h.csv").read_text().count("\n") == 3
    table = r.invoke(app, ["screen", "--store", store, "--lists", str(lst)])
    assert table.exit_code == 0 and "2 hits among 3 vessels" in table.output


def test_screen_adds_site_events_and_dossiers(tmp_path):
    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(SAMPLE), "--store", store, "--json"]).exit_code == 0
    assert r.invoke(app, ["events", "--store", store, "--json"]).exit_code == 0
    lst = tmp_path / "os.jsonl"
    lst.write_text(json.dumps({"id": "x2", "schema": "Vessel", "datasets": ["t"], "properties": {
        "name": ["UNRELATED"], "imoNumber": ["9190327"]}}) + "\n")
    args = ["screen", "--store", store, "--lists", str(lst), "--json", "--dossiers", str(tmp_path / "d")]
    res = r.invoke(app, args)
    assert res.exit_code == 0, res.output
    from harborwatch.store import Store

    with Store.open(store, create=False) as st:
        wev = st.sql("SELECT * FROM events WHERE type = 'watchlist_vessel_at_site'").to_pylist()
        visits = st.sql("SELECT * FROM events WHERE type = 'port_visit' AND mmsi = 273319880").to_pylist()
    assert len(wev) == len(visits) > 0
    a = json.loads(wev[0]["attributes"])
    assert a["entity_id"] == "x2" and a["score"] == 0.95 and a["visit_event_id"] in {v["event_id"] for v in visits}
    assert wev[0]["evidence_count"] > 0
    again = r.invoke(app, args[:-3])  # the table output says how many events were new
    assert again.exit_code == 0 and "(0 new in the store)" in again.output
    with Store.open(store, create=False) as st:
        n = st.sql("SELECT count(*) AS n FROM events WHERE type = 'watchlist_vessel_at_site'").to_pylist()[0]["n"]
    assert n == len(wev)  # idempotent
    d = json.loads((tmp_path / "d" / "273319880.json").read_text())
    assert d["hits"][0]["entity_id"] == "x2" and d["identity_history"] and d["events"]
    rep = r.invoke(app, ["report", "--store", store, "--out", str(tmp_path / "rep"), "--no-pdf", "--dossiers",
                         str(tmp_path / "d")])
    assert rep.exit_code == 0, rep.output
    html = (tmp_path / "rep" / "report.html").read_text()
    assert 'id="dossier-273319880"' in html and "UNRELATED" in html
    missing = r.invoke(app, ["report", "--store", store, "--out", str(tmp_path / "rep"), "--dossiers",
                             str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "no such folder" in str(missing.exception)
