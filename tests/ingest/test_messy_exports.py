"""Issue 16: messy real exports lose no valid record, hostile values never crash a reader.

Each test here failed before its fix."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from harborwatch.ingest.csv.mapping import builtin_mappings
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.records import NormalizeOptions, normalize
from harborwatch.store import IngestOptions, Store, ingest_files

MT_HEADER = ("SHIP_ID;MMSI;IMO;SHIPNAME;CALLSIGN;FLAG;LAT;LON;SPEED_KNOTSx10;COURSE;HEADING;STATUS;TIMESTAMP_UTC;"
             "SHIPTYPE;LENGTH;WIDTH;DWT;DRAUGHT_METERSx10;DESTINATION\n")


def _mt_row(k: int, dwt: str = "7200", draught: str = "58", heading: str = "70", status: str = "0",
            name: str = "SIMULATED SHUTTLE 1") -> str:
    return (f"7123{k};2733129{k % 100:02d};9305609;{name};UBAH3;RU;42.{2400 + k};130.3120;83;71;{heading};{status};"
            f"2023-08-14 {6 + k // 60:02d}:{k % 60:02d}:00;Cargo;120;18;{dwt};{draught};RAJIN\n")


def _normalized_csv(text: str, fmt: str = "marinetraffic", **kw):
    m = builtin_mappings()[fmt]
    return [normalize(d, NormalizeOptions("t.csv", **kw)) for d in read_csv(io.BytesIO(text.encode()), m, "t.csv")]


def _ingest(tmp_path: Path, name: str, data: bytes, **kw) -> dict:
    p = tmp_path / name
    p.write_bytes(data)
    with Store.open(tmp_path / "store") as st:
        (rep,) = list(ingest_files(st, [p], IngestOptions(**kw)))
    return rep


# 1. NULL tokens and unparsable optional fields ---------------------------------------------------

def test_null_tokens_in_optional_columns_are_null_not_quarantine():
    tokens = ["NULL", "null", "N/A", "NaN", "-", "None", ""]
    rows = "".join(_mt_row(k, dwt=t, draught=t) for k, t in enumerate(tokens))
    (b,) = _normalized_csv(MT_HEADER + rows)
    assert b.quarantine.num_rows == 0 and b.positions.num_rows == len(tokens)
    assert b.static_secondary["deadweight_t"].null_count == len(tokens)
    assert b.field_issues.num_rows == 0  # a null token is "not given", not an issue


def test_unparsable_optional_field_becomes_null_and_is_counted(tmp_path):
    rows = _mt_row(1, dwt="lots") + _mt_row(2, heading="999") + _mt_row(3)
    rep = _ingest(tmp_path, "mt.csv", (MT_HEADER + rows).encode())
    assert rep["stored"] == 3 and rep["quarantined"] == 0
    assert rep["field_issues"] == {"deadweight_t": {"not_a_number": 1}, "heading_deg": {"out_of_range": 1}}
    with Store.open(tmp_path / "store") as st:
        got = st.sql("SELECT source_ref, field, reason, value FROM field_issues ORDER BY source_ref").to_pylist()
        assert got == [{"source_ref": 2, "field": "deadweight_t", "reason": "not_a_number", "value": "lots"},
                       {"source_ref": 3, "field": "heading_deg", "reason": "out_of_range", "value": "999"}]
        hd = st.sql("SELECT heading_deg FROM positions ORDER BY timestamp").column(0).to_pylist()
        assert hd == [70, None, 70]
    assert _ingest(tmp_path, "mt.csv", (MT_HEADER + rows).encode())["field_issues"] == {}  # re-ingest adds none


def test_bad_essential_fields_still_quarantine():
    bad_lat = _mt_row(1).replace(";42.2401;", ";95.0;")
    bad_mmsi = _mt_row(2).replace(";273312902;", ";NULL;")
    (b,) = _normalized_csv(MT_HEADER + bad_lat + bad_mmsi)
    assert sorted(b.quarantine["reason"].to_pylist()) == ["lat_out_of_range", "missing_mmsi"]


# 2. huge tag-block times -----------------------------------------------------------------------

def _nmea_line(body: str) -> str:
    """``body*hh`` with the NMEA checksum (XOR of the characters after a leading ! or $)."""
    cs = 0
    for ch in body.lstrip("!$"):
        cs ^= ord(ch)
    return f"{body}*{cs:02X}"


POS = "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0"


def _tagged(c: str) -> bytes:
    tag = _nmea_line(f"c:{c}")[0:]
    return f"\\{tag}\\{_nmea_line(POS)}\n".encode()


def test_a_16_digit_tag_block_time_is_quarantined_not_a_crash(tmp_path):
    rep = _ingest(tmp_path, "big.nmea", _tagged("1234567890123456") + _tagged("1690000000"))
    assert rep["records_in"] == 2 and rep["stored"] == 1
    assert rep["quarantine_reasons"] == {"implausible_time": 1}


# 3. a stray quote costs one line ---------------------------------------------------------------

def test_one_stray_quote_costs_at_most_its_line():
    rows = [_mt_row(k) for k in range(1000)]
    rows[10] = rows[10].replace("SIMULATED SHUTTLE 1", '"SIMULATED SHUTTLE 1')  # a quote opening a field
    bs = _normalized_csv(MT_HEADER + "".join(rows))
    assert sum(b.records_in for b in bs) == 1000
    assert sum(b.positions.num_rows for b in bs) >= 999


def test_bytes_that_are_not_utf8_cost_their_field_not_the_file(tmp_path):
    rows = [_mt_row(k).encode() for k in range(5)]
    rows[1] = rows[1].replace(b"SIMULATED SHUTTLE 1", b"SIMULATED \xff\xfe 1")  # a name: nulled, counted
    rows[3] = rows[3].replace(b";42.2403;", b";4\xff.2403;")  # a latitude: the record is quarantined
    rep = _ingest(tmp_path, "latin.csv", MT_HEADER.encode() + b"".join(rows))
    assert rep["records_in"] == 5 and rep["stored"] == 4 and rep["quarantined"] == 1
    assert rep["field_issues"] == {"name": {"not_utf8": 1}} and rep["quarantine_reasons"] == {"bad_value": 1}
    with Store.open(tmp_path / "store") as st:
        issue = st.sql("SELECT source_ref, value FROM field_issues").to_pylist()
        q = st.sql("SELECT source_ref, field, raw FROM quarantine").to_pylist()
    assert issue == [{"source_ref": 3, "value": "SIMULATED \ufffd\ufffd 1"}]
    assert q[0]["source_ref"] == 5 and q[0]["field"] == "lat" and "LAT=4\ufffd.2403" in q[0]["raw"]


def test_a_row_repeated_exactly_is_one_static_report():
    rows = [_mt_row(1), _mt_row(1), _mt_row(2), _mt_row(3)]  # row 1 twice: one record, one report
    (b,) = _normalized_csv(MT_HEADER + "".join(rows))
    assert sum(b.static_secondary["reports"].to_pylist()) == 3


# 4. implausible times --------------------------------------------------------------------------

def test_times_before_2000_or_in_the_future_are_quarantined():
    rows = _mt_row(1).replace("2023-08-14 06:01:00", "1999-12-31 23:59:59") + \
        _mt_row(2).replace("2023-08-14 06:02:00", "2100-01-01 00:00:00") + _mt_row(3)
    (b,) = _normalized_csv(MT_HEADER + rows)
    assert b.quarantine["reason"].to_pylist() == ["implausible_time", "implausible_time"]
    assert b.positions.num_rows == 1


def test_time_bounds_can_be_configured():
    rows = _mt_row(1).replace("2023-08-14 06:01:00", "1999-12-31 23:59:59")
    (b,) = _normalized_csv(MT_HEADER + rows, min_time_ms=0)
    assert b.positions.num_rows == 1


def test_c0_is_an_implausible_time_not_a_missing_tag_block():
    (b,) = [normalize(d, NormalizeOptions("t.nmea")) for d in read_nmea(io.BytesIO(_tagged("0")))]
    assert b.quarantine["reason"].to_pylist() == ["implausible_time"]
    assert "c:" in b.quarantine["detail"][0].as_py() and "no tag block" not in b.quarantine["detail"][0].as_py()


# 5. format detection ---------------------------------------------------------------------------

def test_byte_order_mark_costs_nothing(tmp_path):
    rep = _ingest(tmp_path, "bom.csv", b"\xef\xbb\xbf" + (MT_HEADER + _mt_row(1) + _mt_row(2)).encode())
    assert rep["stored"] == 2 and rep["quarantined"] == 0


def test_nmea_with_garbage_lines_between_is_recognised(tmp_path):
    good = [_tagged(str(1690000000 + k)).decode() for k in range(6)]
    text = "".join(g + f"garbage line {k}\x00\r\n" + f"## comment {k};with;semicolons\n" for k, g in enumerate(good))
    rep = _ingest(tmp_path, "noisy.txt", text.encode())
    assert rep["format"] == "nmea" and rep["stored"] == 6
    assert rep["records_in"] == rep["stored"] + rep["quarantined"] + rep["duplicates"]
    assert rep["quarantine_reasons"].get("not_nmea") == 12


# 8. details of reasons raised while reading ------------------------------------------------------

def test_reader_reasons_say_why():
    good = _nmea_line(POS)
    bad_cs = good[:-2] + ("00" if good[-2:] != "00" else "01")
    text = f"\\c:1690000000*57\\{bad_cs}\nhello world\n".encode()
    (b,) = [normalize(d, NormalizeOptions("t.nmea")) for d in read_nmea(io.BytesIO(text))]
    q = {r["reason"]: r for r in b.quarantine.to_pylist()}
    assert q["bad_checksum"]["field"] == "checksum"
    detail = q["bad_checksum"]["detail"]
    assert f"*{bad_cs[-2:]} given" in detail and f"*{good[-2:]} computed" in detail
    assert "no !xxVDM or !xxVDO sentence" in q["not_nmea"]["detail"] and "hello world" in q["not_nmea"]["detail"]


# 7. AISHub time suffix -------------------------------------------------------------------------

def test_aishub_time_suffix_is_read(tmp_path):
    line = f"{_nmea_line(POS)},raishub,1342569600\n".encode()
    rep = _ingest(tmp_path, "hub.nmea", line)
    assert rep["stored"] == 1
    with Store.open(tmp_path / "store") as st:
        t = st.sql("SELECT epoch_ms(timestamp) AS t FROM positions").column(0)[0].as_py()
    assert t == 1342569600 * 1000
    from datetime import UTC, datetime

    rep = _ingest(tmp_path, "hub2.nmea", line.replace(b"1342569600", b"1342569660"),
                  assume_time=datetime(2023, 1, 1, tzinfo=UTC))  # the line's own time wins over --assume-time
    with Store.open(tmp_path / "store") as st:
        got = st.sql("SELECT epoch_ms(timestamp) // 1000 AS t FROM positions ORDER BY t").column(0).to_pylist()
    assert rep["stored"] == 1 and got == [1342569600, 1342569660]


# 11. identifiers are integers ------------------------------------------------------------------

def test_identity_view_shows_imo_as_an_integer(tmp_path):
    _ingest(tmp_path, "mt.csv", (MT_HEADER + _mt_row(1) + _mt_row(2)).encode())
    with Store.open(tmp_path / "store") as st:
        t = st.sql("SELECT imo, mmsi FROM identity")
    assert all(str(f.type).startswith(("int", "uint")) for f in t.schema), t.schema
    assert np.array(t["imo"].to_pylist()).dtype.kind in "iu"


# 10. a killed ingest that was re-run is not incomplete for ever ---------------------------------

def test_rerun_clears_the_incomplete_count(tmp_path):
    p = tmp_path / "mt.csv"
    p.write_bytes((MT_HEADER + _mt_row(1)).encode())
    with Store.open(tmp_path / "store") as st:
        st.start_file("killedrun", str(p), "marinetraffic")  # as a run killed before it finished
        assert st.info()["ingests"]["incomplete"] == 1
        list(ingest_files(st, [p]))
        assert st.info()["ingests"]["incomplete"] == 0


# 11. identifiers print as integers ---------------------------------------------------------------

def test_sql_prints_identifiers_as_integers(tmp_path):
    from typer.testing import CliRunner

    from harborwatch.cli.main import app

    rows = _mt_row(1) + _mt_row(2).replace(";9305609;", ";;")  # one vessel without an IMO: a null in the column
    _ingest(tmp_path, "mt.csv", (MT_HEADER + rows).encode())
    r = CliRunner().invoke(app, ["sql", "SELECT mmsi, imo FROM identity ORDER BY mmsi", "--store",
                                 str(tmp_path / "store"), "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "9305609" in r.output and "9305609.0" not in r.output


def test_strict_mode_raises_on_a_field_issue(tmp_path):
    import pytest

    from harborwatch.core.errors import DataError

    with pytest.raises(DataError) as e:
        _normalized_csv(MT_HEADER + _mt_row(1, dwt="lots"), strict=True)
    assert e.value.field == "deadweight_t" and e.value.ref == 2


def test_cli_lists_field_issues(tmp_path):
    from typer.testing import CliRunner

    from harborwatch.cli.main import app

    _ingest(tmp_path, "mt.csv", (MT_HEADER + _mt_row(1, dwt="lots")).encode())
    r = CliRunner().invoke(app, ["quarantine", "--fields", "--json", "--store", str(tmp_path / "store")])
    assert r.exit_code == 0, r.output
    assert '"field": "deadweight_t"' in r.output and '"value": "lots"' in r.output


# 6. message content ------------------------------------------------------------------------------

def _encoded(fields: dict) -> bytes:
    from pyais.encode import encode_dict

    return "".join(f"\\c:{1690000000 + k}*{_cs(f'c:{1690000000 + k}')}\\{s}\n"
                   for k, s in enumerate(encode_dict(fields, talker_id="AI"))).encode()


def _cs(text: str) -> str:
    c = 0
    for ch in text:
        c ^= ord(ch)
    return f"{c:02X}"


def _stations(tmp_path, data: bytes) -> list[dict]:
    _ingest(tmp_path, "m.nmea", data)
    with Store.open(tmp_path / "store") as st:
        return st.sql("SELECT * FROM stations").to_pylist()


def test_type_21_name_extension_is_decoded(tmp_path):
    (r,) = _stations(tmp_path, _encoded({"msg_type": 21, "mmsi": 992731234, "name": "RAJIN PORT ENTRANCE ",
                                         "name_ext": "EAST BUOY", "lat": 42.2, "lon": 130.3}))
    assert r["name"] == "RAJIN PORT ENTRANCE EAST BUOY"


def test_type_9_speed_course_and_altitude_are_stored(tmp_path):
    (r,) = _stations(tmp_path, _encoded({"msg_type": 9, "mmsi": 111273100, "alt": 1500, "speed": 250,
                                         "course": 88.5, "lat": 42.2, "lon": 130.3}))
    assert (r["station_class"], r["sog_kn"], r["cog_deg"], r["altitude_m"]) == ("sar_aircraft", 250.0, 88.5, 1500)


def test_aid_to_navigation_report_from_a_ship_like_mmsi_is_a_station(tmp_path):
    (r,) = _stations(tmp_path, _encoded({"msg_type": 21, "mmsi": 273312980, "name": "FLOATING BEACON",
                                         "lat": 42.2, "lon": 130.3}))
    assert (r["name"], round(r["lat"], 3), r["station_class"]) == ("FLOATING BEACON", 42.2, "vessel")


def test_a_huge_identifier_is_not_wrapped_into_another():
    rows = (_mt_row(1).replace(";9305609;", ";999999999999999999999;")
            + _mt_row(2).replace(";273312902;", ";4294967296;"))
    (b,) = _normalized_csv(MT_HEADER + rows)
    assert b.static_secondary["imo"].to_pylist() == [None]  # not 999999999999999999999 modulo 2**32
    assert b.field_issues.select(["field", "reason"]).to_pylist() == [{"field": "imo", "reason": "out_of_range"}]
    assert b.quarantine["reason"].to_pylist() == ["bad_value"] and b.quarantine["field"].to_pylist() == ["mmsi"]
