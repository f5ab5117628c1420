"""Watchlist readers: formats detected from content, one table, bad rows counted, real lists."""

from __future__ import annotations

import json

import pytest

from harborwatch.core.errors import DataError, FormatError
from harborwatch.screening.lists import read_lists

FTM = [
    {"id": "os-vessel-1", "schema": "Vessel", "datasets": ["us_ofac_sdn"], "first_seen": "2023-03-01T00:00:00",
     "properties": {"name": ["SEA BREEZE"], "pastNames": ["OCEAN STAR"], "imoNumber": ["IMO 9305609"],
                    "mmsi": ["273319870"], "callSign": ["UBSA1"], "flag": ["ru"], "pastFlags": ["pa"],
                    "programId": ["RUSSIA-EO14024"]}},
    {"id": "os-person-1", "schema": "Person", "properties": {"name": ["Somebody"]}},
]


def test_opensanctions_jsonl(tmp_path):
    p = tmp_path / "os.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in FTM) + "\n{not json\n")
    wl, reps = read_lists([p])
    assert reps[0].format == "opensanctions" and reps[0].records_in == 3 and reps[0].skipped == 2
    assert reps[0].reasons == {"not_a_vessel": 1, "bad_json": 1}
    r = wl.to_pylist()[0]
    assert r["list"] == "OpenSanctions:us_ofac_sdn" and r["imo"] == 9305609 and r["imo_valid"]
    assert r["former_names"] == ["OCEAN STAR"] and r["mmsis"] == [273319870] and r["flags"] == ["RU", "PA"]
    assert r["source_record"] == "line 1" and r["listed_on"] == "2023-03-01"
    with pytest.raises(DataError, match="bad_json"):
        read_lists([p], strict=True)


def test_gur_and_imo_flags_csv(tmp_path):
    g = tmp_path / "gur.csv"
    g.write_text("gur_id,name,imo,mmsi_current,mmsi_legacy,flag,vessel_type,callsign,former_names,build_year,status\n"
                 "1,NEW NAME,9305609,352005626,273319870,Panama,Tanker,3E1,OLD NAME / OLDER NAME,2001,listed\n"
                 ",,,,,,,,,,\n")
    f = tmp_path / "flags.csv"
    f.write_text("imo,ofac,uk,eu\n9305609,True,False,True\nnot-an-imo,True,True,True\n")
    wl, reps = read_lists([tmp_path])
    by = {r.format: r for r in reps}
    assert by["gur"].entries == 1 and by["gur"].skipped == 1
    assert by["imo_flags"].entries == 2 and by["imo_flags"].reasons == {"bad_imo": 1}
    gur = [r for r in wl.to_pylist() if r["list"] == "GUR"][0]
    assert gur["mmsis"] == [352005626, 273319870] and gur["former_names"] == ["OLD NAME", "OLDER NAME"]
    assert sorted(r["list"] for r in wl.to_pylist() if r["list"] != "GUR") == ["EU", "OFAC"]


def test_unknown_format_is_a_clear_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="x.csv"):
        read_lists([p])
    (tmp_path / "un.xml").write_text("<CONSOLIDATED_LIST/>")
    (tmp_path / "x.csv").unlink()
    wl, reps = read_lists([tmp_path])
    assert wl.num_rows == 0 and reps[0].reasons == {"xml_not_supported_yet": 1}


def test_real_lists(shared):
    d = shared / "sanctions"
    if not d.is_dir():
        pytest.skip(f"{d} missing")
    wl, reps = read_lists([d])
    by = {r.format: r for r in reps}
    assert by["gur"].records_in == 1414 and by["ofac_vessels"].records_in == 1450
    assert by["shadow_fleet"].records_in == 2073 and by["imo_flags"].records_in == 1901
    assert by["unsupported"].reasons == {"xml_not_supported_yet": 1}  # the UN consolidated XML
    for r in reps:
        assert r.records_in >= r.skipped
    assert wl.num_rows > 7000
    gur = [r for r in wl.to_pylist() if r["list"] == "GUR" and r["former_names"]]
    assert len(gur) > 100


def test_ofac_sdn_xml():
    from pathlib import Path

    p = Path(__file__).resolve().parents[1] / "fixtures" / "lists" / "sdn_sample.xml"
    wl, reps = read_lists([p])
    r = reps[0]
    assert (r.format, r.records_in, r.entries, r.skipped) == ("ofac_sdn_xml", 3, 1, 2)
    assert r.reasons == {"not_a_vessel": 1, "no_name": 1}
    e = wl.to_pylist()[0]
    assert e["name"] == "SEA BREEZE" and e["imo"] == 9305609 and e["imo_valid"] and e["mmsis"] == [445123456]
    assert e["former_names"] == ["OCEAN STAR"] and e["callsign"] == "HMAB1" and e["flags"] == ["KOREA, NORTH"]
    assert e["program"] == "DPRK3; DPRK4" and e["source_record"] == "sdnEntry uid=90001"
    from harborwatch.screening.match import flag_code

    assert flag_code(e["flags"][0]) == "KP"


def test_fetch_from_local_urls(tmp_path):
    import hashlib
    from pathlib import Path

    from typer.testing import CliRunner

    from harborwatch.cli.main import app

    src = Path(__file__).resolve().parents[1] / "fixtures" / "lists" / "sdn_sample.xml"
    out = tmp_path / "lists"
    res = CliRunner().invoke(app, ["lists", "fetch", "--out", str(out), "--source", "ofac", "--url",
                                   f"ofac={src.as_uri()}"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ofac"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (out / "ofac_sdn.xml").read_bytes() == src.read_bytes()
    assert not list(out.glob(".*.part"))
    wl, _ = read_lists([out])  # the fetched folder is readable as it is (manifest reported, not read)
    assert wl.num_rows == 1
    bad = CliRunner().invoke(app, ["lists", "fetch", "--out", str(out), "--source", "un", "--url",
                                   f"un={(tmp_path / 'missing.xml').as_uri()}"])
    from harborwatch.core.errors import InputFileError

    assert isinstance(bad.exception, InputFileError) and "could not fetch un" in str(bad.exception)
    assert not list(out.glob(".*.part"))
