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
    gur = next(r for r in wl.to_pylist() if r["list"] == "GUR")
    assert gur["mmsis"] == [352005626, 273319870] and gur["former_names"] == ["OLD NAME", "OLDER NAME"]
    assert sorted(r["list"] for r in wl.to_pylist() if r["list"] != "GUR") == ["EU", "OFAC"]


def test_unknown_format_is_a_clear_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="x.csv"):
        read_lists([p])
    (tmp_path / "other.xml").write_text("<somethingElse/>")
    (tmp_path / "x.csv").unlink()
    wl, reps = read_lists([tmp_path])
    assert wl.num_rows == 0 and reps[0].reasons == {"unknown_format": 1}


def test_real_lists(shared):
    d = shared / "sanctions"
    if not d.is_dir():
        pytest.skip(f"{d} missing")
    wl, reps = read_lists([d])
    by = {r.format: r for r in reps}
    assert by["gur"].records_in == 1414 and by["ofac_vessels"].records_in == 1450
    assert by["shadow_fleet"].records_in == 2073 and by["imo_flags"].records_in == 1901
    assert "unsupported" not in by
    # the UN list has no vessel entries; it names vessels in its ship owners' designations
    un = by["un_xml"]
    assert un.records_in == 1003 and un.reasons["not_a_vessel"] == 730 and 20 <= un.entries <= 40
    un_names = {r["name"] for r in wl.to_pylist() if r["list"] == "UN SC"}
    assert {"NAM SAN 8", "YU JONG 2", "ASIA BRIDGE 1", "KOTI", "XIN GUANG HAI"} <= un_names
    assert not any(w in n for n in un_names for w in ("SHIPPING", "DPRK", "IMO", "COMPANY"))
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


FIX = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "lists"

# (fixture, format, records in, entries, reasons, list name, listed_on, flags)
OFFICIAL = [
    ("sdn_advanced_sample.xml", "ofac_advanced_xml", 3, 1, {"not_a_vessel": 1, "no_name": 1}, "OFAC SDN",
     "2018-02-23", ["KOREA, NORTH", "PANAMA"]),
    ("sdn.csv", "ofac_csv", 3, 1, {"not_a_vessel": 1, "short_row": 1}, "OFAC SDN", None, ["KOREA, NORTH"]),
    ("eu_fsd.xml", "eu_xml", 3, 1, {"not_a_vessel": 1, "no_name": 1}, "EU", "2024-06-24", []),
    ("eu_fsd.csv", "eu_csv", 2, 1, {"not_a_vessel": 1}, "EU", "2024-06-24", []),
    ("uk_sanctions_list.csv", "uk_csv", 3, 1, {"not_a_vessel": 1, "no_name": 1}, "UK", "2025-05-09",
     ["PANAMA", "GABON", "LIBERIA"]),
    ("uk_ofsi_conlist.csv", "uk_csv", 2, 1, {"not_a_vessel": 1}, "UK OFSI", "2025-05-09", ["PANAMA", "GABON"]),
]


@pytest.mark.parametrize(("name", "fmt", "n_in", "n_out", "reasons", "lst", "listed_on", "flags"), OFFICIAL)
def test_official_layouts(name, fmt, n_in, n_out, reasons, lst, listed_on, flags):
    wl, reps = read_lists([FIX / name])
    r = reps[0]
    assert (r.format, r.records_in, r.entries, r.reasons) == (fmt, n_in, n_out, reasons)
    assert r.records_in == r.entries + r.skipped
    e = wl.to_pylist()[0]
    assert e["name"] == "SEA BREEZE" and e["imo"] == 9305609 and e["imo_valid"]
    assert e["list"] == lst and e["listed_on"] == listed_on and e["flags"] == flags
    if fmt != "uk_csv" or lst == "UK":  # the OFSI fixture has no alias row
        assert e["former_names"] == ["OCEAN STAR"]


def test_ofac_details_from_advanced_xml_and_csv():
    adv = read_lists([FIX / "sdn_advanced_sample.xml"])[0].to_pylist()[0]
    csv_ = read_lists([FIX / "sdn.csv"])[0].to_pylist()[0]
    for e in (adv, csv_):
        assert e["mmsis"] == [445123456] and e["callsign"] == "HMAB1" and e["program"] == "DPRK3; DPRK4"
        assert e["vessel_type"] == "Crude Oil Tanker"
    assert adv["source_record"] == "Profile ID=90001" and csv_["source_record"] == "line 1"


def test_official_strict_mode_raises_on_bad_records(tmp_path):
    for name, reason in [("sdn.csv", "short_row"), ("eu_fsd.xml", "no_name"), ("uk_sanctions_list.csv", "no_name"),
                         ("sdn_advanced_sample.xml", "no_name")]:
        with pytest.raises(DataError, match=reason):
            read_lists([FIX / name], strict=True)
    bad = tmp_path / "broken.xml"
    bad.write_text((FIX / "eu_fsd.xml").read_text()[:900])
    with pytest.raises(DataError, match="invalid XML"):
        read_lists([bad])


def test_un_vessels_named_by_ship_owners():
    wl, reps = read_lists([FIX / "un_consolidated.xml"])
    r = reps[0]
    assert (r.records_in, r.entries, r.reasons) == (4, 3, {"not_a_vessel": 1, "no_vessel_named": 1})
    rows = wl.to_pylist()
    assert [x["name"] for x in rows] == ["SEA BREEZE 7", "RAJIN STAR", "KOTI"]
    assert all(x["imo"] is None for x in rows)  # the IMO number in the comment is the company's
    assert rows[0]["program"].startswith("UN DPRK KPe.901") and rows[0]["listed_on"] == "2018-03-30"
    assert rows[0]["source_record"] == "ENTITY DATAID=9000002"


def test_official_lists_match_a_renamed_vessel():
    """One vessel seen under its former name is found on every official list that carries it."""
    from harborwatch.screening.match import Screen, Seen, screen

    wl, _ = read_lists([FIX])
    seen = [Seen(mmsi=445123456, names=["OCEAN STAR"], imos=[(9305609, True)], callsigns=[], flags=[])]
    hits = screen(seen, wl, Screen())
    lists = sorted(set(hits["list"].to_pylist()))
    assert lists == ["EU", "OFAC SDN", "UK", "UK OFSI"]
    assert all(h >= 0.95 for h in hits["score"].to_pylist())


def test_every_fetched_list_is_read(tmp_path):
    """`lists fetch` of every source (from local copies of the fixtures), then `read_lists` on the
    folder: each file is recognised, and manifest.json is not taken for a list."""
    import shutil

    from harborwatch.screening.fetch import SOURCES, fetch

    opensanctions = tmp_path / "os.jsonl"
    opensanctions.write_text("\n".join(json.dumps(x) for x in FTM) + "\n")
    local = {"opensanctions": opensanctions, "ofac": FIX / "sdn_sample.xml",
             "ofac_advanced": FIX / "sdn_advanced_sample.xml", "un": FIX / "un_consolidated.xml",
             "eu": FIX / "eu_fsd.csv", "uk": FIX / "uk_sanctions_list.csv"}
    assert set(local) == set(SOURCES)
    out = tmp_path / "lists"
    fetch(out, urls={k: v.as_uri() for k, v in local.items()})
    shutil.copy(FIX / "eu_fsd.xml", out / "eu_fsd.xml")
    wl, reps = read_lists([out])
    assert sorted(r.format for r in reps) == ["eu_csv", "eu_xml", "ofac_advanced_xml", "ofac_sdn_xml",
                                              "opensanctions", "uk_csv", "un_xml"]
    assert {"OFAC SDN", "UN SC", "EU", "UK", "OpenSanctions:us_ofac_sdn"} == set(wl["list"].to_pylist())


def test_fetch_refuses_bad_targets_sources_contents_and_sizes(tmp_path):
    """Issue 16: one-line errors, never tracebacks, and nothing half-kept."""
    from pathlib import Path

    from typer.testing import CliRunner

    from harborwatch.cli.main import app
    from harborwatch.core.errors import InputFileError
    from harborwatch.screening.fetch import fetch

    src = Path(__file__).resolve().parents[1] / "fixtures" / "lists" / "sdn_sample.xml"
    a_file = tmp_path / "notafolder"
    a_file.write_text("x")
    r = CliRunner().invoke(app, ["lists", "fetch", "--out", str(a_file), "--source", "ofac", "--url",
                                 f"ofac={src.as_uri()}"])
    assert isinstance(r.exception, InputFileError) and "is a file" in str(r.exception)
    out = tmp_path / "lists"
    with pytest.raises(InputFileError, match="unknown list 'ofca'"):
        fetch(out, ["ofac"], {"ofca": src.as_uri()})
    page = tmp_path / "error.html"
    page.write_text("<!DOCTYPE html><html><body>Service unavailable</body></html>\n")
    with pytest.raises(InputFileError, match="is not a un list"):
        fetch(out, ["un"], {"un": page.as_uri()})
    with pytest.raises(InputFileError, match="is not a un list"):  # another list is not the one named
        fetch(out, ["un"], {"un": src.as_uri()})
    with pytest.raises(InputFileError, match="stopped after 100 bytes"):
        fetch(out, ["ofac"], {"ofac": src.as_uri()}, max_bytes=100)
    assert not list(out.glob("*.xml")) and not list(out.glob(".*.part"))
