"""CSV layouts: built-in mappings on hand-made fixtures, user mappings, bad rows."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from harborwatch.core.errors import FormatError
from harborwatch.ingest.csv.mapping import builtin_mappings, detect_csv_format, load_mapping, parse_mapping
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.records import NormalizeOptions, normalize
from harborwatch.ingest.sources import detect_format

FIX = Path(__file__).resolve().parents[2] / "fixtures"


def _normalized(path: Path, fmt: str):
    m = builtin_mappings()[fmt]
    with open(path, "rb") as f:
        return [normalize(d, NormalizeOptions(str(path), receiver=m.receiver)) for d in read_csv(f, m, str(path))]


def test_marinetraffic_fixture():
    path = FIX / "marinetraffic_export.csv"
    assert detect_format(path.read_bytes()[:4000], str(path)) == "marinetraffic"
    (b,) = _normalized(path, "marinetraffic")
    assert b.records_in == 8
    pos = b.positions.to_pandas()
    assert len(pos) == 5  # rows 2-6 of the file (one an exact duplicate, removed by the store, not here)
    first = pos.iloc[1]
    assert first.sog_kn == pytest.approx(8.3) and first.source_ref == 3
    assert str(first.timestamp) == "2023-08-14 07:40:00+00:00"
    dprk = pos[pos.mmsi == 445123000].iloc[0]
    assert np.isnan(dprk.heading_deg)  # 511 = not available
    static = b.static_secondary.to_pandas()
    s0 = static.iloc[0]
    assert s0.draught_m == pytest.approx(5.8) and s0.deadweight_t == 7200 and s0.flag == "RU" and s0.imo == 9305609
    assert bool(s0.imo_valid)
    assert not static[static.name == "BADIMO"].imo_valid.iloc[0]
    q = b.quarantine.to_pandas().set_index("source_ref")
    assert q.loc[7, "reason"] == "lat_out_of_range"
    assert q.loc[8, "reason"] == "bad_timestamp"
    assert q.loc[9, "reason"] == "wrong_column_count"
    assert "SHORTROW" in q.loc[9, "raw"]


def test_dma_fixture_day_first_and_text_codes():
    path = FIX / "dma_aisdk_sample.csv"
    assert detect_format(path.read_bytes(), str(path)) == "dma"
    (b,) = _normalized(path, "dma")
    pos = b.positions.to_pandas()
    assert str(pos.timestamp.iloc[0]) == "2021-11-01 00:00:00+00:00"
    assert pos.nav_status.iloc[0] == 0 and pos.receiver.iloc[0] == "terrestrial"
    assert str(pos[pos.mmsi == 219000002].timestamp.iloc[0]) == "2021-11-13 12:30:00+00:00"  # 13/11, day first
    assert b.stations.num_rows == 1 and b.stations.column("station_class")[0].as_py() == "coast_station"
    st = b.static_secondary.to_pandas()
    assert str(st.eta.iloc[0]) == "2021-11-02 06:00:00+00:00" and st.imo.isna().all()


def test_rate_of_turn_is_the_columns_value_in_degrees_a_minute(tmp_path: Path):
    # CSV exports give the rate of turn in degrees a minute, not AIS's raw ROT: the raw row of the
    # normaliser's matrix must say so for every row, or the value would be re-derived from it
    dma = (FIX / "dma_aisdk_sample.csv").read_text().splitlines()
    dma[1] = dma[1].replace(",Under way using engine,0.0,", ",Under way using engine,-7.5,")
    p = tmp_path / "dma.csv"
    p.write_text("\n".join(dma) + "\n")
    (b,) = _normalized(p, "dma")
    pos = b.positions.to_pandas().set_index("source_ref")
    assert pos.loc[2, "rot_deg_min"] == -7.5 and pos.loc[3, "rot_deg_min"] == 0.0
    assert pos.rot_deg_min.isna().sum() == len(pos) - 2  # rows without a ROT value: null
    (mt,) = _normalized(FIX / "marinetraffic_export.csv", "marinetraffic")  # a layout without ROT
    assert mt.positions.column("rot_deg_min").null_count == mt.positions.num_rows


def test_user_mapping_with_units_and_local_time(tmp_path: Path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        """
[format]
name = "myexport"
delimiter = "|"
[time]
column = "when"
format = "%Y-%m-%d %H:%M"
timezone = "Asia/Vladivostok"
[columns]
mmsi = "id"
lat = "y"
lon = "x"
sog_kn = { column = "speed", unit = "m/s" }
length_m = { column = "len", unit = "ft" }
name = "vessel"
"""
    )
    data = tmp_path / "d.txt"
    data.write_text("id|when|y|x|speed|len|vessel\n273312980|2023-07-26 10:00|43.1|131.9|5.144|328|Sim One\n")
    m = load_mapping(mapping)
    with open(data, "rb") as f:
        (d,) = list(read_csv(f, m, str(data)))
    b = normalize(d, NormalizeOptions(str(data)))
    p = b.positions.to_pandas().iloc[0]
    assert str(p.timestamp) == "2023-07-26 00:00:00+00:00"  # Vladivostok is UTC+10
    assert p.sog_kn == pytest.approx(10.0, abs=0.01)
    s = b.static_secondary.to_pandas().iloc[0]
    assert s.length_m == pytest.approx(99.97, abs=0.01) and s["name"] == "SIM ONE"


def test_mapping_errors_are_clear():
    with pytest.raises(FormatError, match="timezone"):
        parse_mapping({"format": {}, "time": {"column": "t", "format": "%Y"}, "columns": {"mmsi": "m"}}, "x.toml")
    with pytest.raises(FormatError, match="unknown field"):
        parse_mapping({"format": {}, "time": {"column": "t", "format": "unix_s"}, "columns": {"mmsi": "m", "spd": "s"}},
                      "x.toml")


def test_missing_columns_named(tmp_path: Path):
    p = tmp_path / "x.csv"
    p.write_text("MMSI,BaseDateTime,LAT\n1,2,3\n")
    with open(p, "rb") as f:
        list(read_csv(f, builtin_mappings()["noaa"], str(p)))
    p.write_text("LAT,LON,BaseDateTime\n1,2,3\n")
    with open(p, "rb") as f, pytest.raises(FormatError, match="MMSI"):
        list(read_csv(f, builtin_mappings()["noaa"], str(p)))


@pytest.mark.parametrize(
    "name,fmt",
    [
        ("aisdb_test_data_noaa_20230111.csv", "noaa"),
        ("aisdb_test_data_20210701_spire_decoded.csv", "decoded_dump"),
        ("baltic_april_2018_20k_sample.csv", "baltic_decoded"),
        ("aisdb_test_data_20211101.nm4", "nmea"),
        ("pyais_nmea_data_sample.txt", "nmea"),
    ],
)
def test_detection_on_real_files(ais_dir: Path, name: str, fmt: str):
    path = ais_dir / name
    assert detect_format(path.read_bytes()[:65536], str(path)) == fmt
    if fmt != "nmea":
        assert detect_csv_format(path.read_text().splitlines()[0]) == fmt


def test_unparsable_eta_is_a_field_issue_and_milliseconds_are_quarantined(tmp_path: Path):
    """A bad ETA (optional) is stored as null and counted, never dropped silently; a bad
    milliseconds column (part of the time) rejects its row with the field named."""
    dma = (FIX / "dma_aisdk_sample.csv").read_text().splitlines()
    dma[1] = dma[1].replace("02/11/2021 06:00:00", "soon")
    p = tmp_path / "dma.csv"
    p.write_text("\n".join(dma) + "\n")
    (b,) = _normalized(p, "dma")
    assert b.quarantine.num_rows == 0
    fi = b.field_issues.to_pylist()
    assert [(r["source_ref"], r["field"], r["reason"], r["value"]) for r in fi] == [(2, "eta", "bad_time", "soon")]
    dump = tmp_path / "dump.csv"
    dump.write_text("MMSI,Message_ID,Time,Millisecond,Latitude,Longitude\n"
                    "273312980,1,20210701_185151,680,42.1,131.0\n273312980,1,20210701_185152,abc,42.1,131.0\n")
    (b,) = _normalized(dump, "decoded_dump")
    q = b.quarantine.to_pandas()
    assert list(q.source_ref) == [3] and q.reason[0] == "bad_timestamp" and q.field[0] == "Millisecond"
    assert str(b.positions.column("timestamp")[0].as_py()) == "2021-07-01 18:51:51.680000+00:00"


def test_quoted_values_spanning_lines_are_read_whole(tmp_path: Path):
    """A file whose quoted values hold newlines is read by the streaming reader, record by record;
    a record's reference is still the physical line it starts on (the header is line 1), counted
    from the line feeds in its values and in the rows Arrow skipped, so that the evidence reader
    finds it."""
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Remark\n"
    rows = ['211000001,2023-01-01T00:00:00,54.1,10.2,1.0,2.0,3,"TWO\nLINES",IMO9074729,X,70,\n',  # lines 2-3
            "211000002,2023-01-01T00:00:01,54.2,10.3,1.0,2.0,3,PLAIN,,Y,70,\n",  # 4
            '211000004,2023-01-01T00:00:02,54.2,10.3,1.0,2.0,3,"CRLF\r\nNAME",,Y,70,"an\nunmapped\nnote"\n',  # 5-8
            "\n",  # 9: a blank line (a record of nulls, quarantined, as in a file read by lines)
            "211000003,2023-01-01T00:00:02,95.0,10.3,1.0,2.0,3,BAD LAT,,Z,70,\n"]  # 10
    # past the first 64 KiB (which decide how the file is read): plain rows, a row with the wrong
    # number of columns, and another record of two lines
    rows += [f"2110{k:05d},2023-01-01T01:00:00,54.3,10.3,1.0,2.0,3,P{k},,Z,70,\n" for k in range(1200)]  # 11-1210
    rows += ["1,2,3\n",  # 1211
             '211000006,2023-01-01T00:00:03,54.3,10.3,1.0,2.0,3,"LATE\nTWO",,Z,70,\n',  # 1212-1213
             "211000005,2023-01-01T00:00:03,54.3,10.3,1.0,2.0,3,LAST,,Z,70,\n"]  # 1214
    p = tmp_path / "multiline.csv"
    p.write_text(header + "".join(rows))
    bs = _normalized(p, "noaa")
    refs = [r for b in bs for r in b.positions["source_ref"].to_pylist()]
    assert refs[:3] == [2, 4, 5] and refs[-2:] == [1212, 1214] and refs[3:-2] == list(range(11, 1211))
    names = {n for b in bs for n in b.static_secondary["name"].to_pylist()}
    assert {"CRLF\r\nNAME", "LAST", "PLAIN", "TWO\nLINES", "LATE\nTWO"} <= names
    q = [(r, why) for b in bs for r, why in zip(b.quarantine["source_ref"].to_pylist(),
                                                 b.quarantine["reason"].to_pylist(), strict=True)]
    assert sorted(q) == [(9, "missing_mmsi"), (10, "lat_out_of_range"), (1211, "wrong_column_count")]
    lines = p.read_bytes().split(b"\n")
    mmsi = [m for b in bs for m in b.positions["mmsi"].to_pylist()]
    for ref, m in zip(refs, mmsi, strict=True):
        assert lines[ref - 1].startswith(str(m).encode())
    assert sum(b.records_in for b in bs) == 1208


def _noaa_rows(ais_dir: Path, n: int) -> tuple[str, list[str]]:
    import gzip

    with gzip.open(ais_dir / "noaa_2020-01-01_uswestcoast.csv.gz", "rt") as f:
        return f.readline(), [f.readline().rstrip("\n") for _ in range(n)]


def _tables(path: Path):
    (b,) = _normalized(path, "noaa")
    return b.records_in, {k: getattr(b, k).drop_columns(["source_file"]) if "source_file" in getattr(b, k).column_names
                          else getattr(b, k) for k in ("positions", "static_secondary", "quarantine")}


def test_a_file_whose_lines_end_in_cr_alone_reads_as_its_lf_twin(ais_dir: Path, tmp_path: Path):
    """Excel for Mac's "CSV (Macintosh)" ends lines in CR alone: read as it was, the whole file was
    one header line, and every record vanished."""
    header, rows = _noaa_rows(ais_dir, 300)
    (tmp_path / "lf.csv").write_text(header + "\n".join(rows) + "\n")
    (tmp_path / "mac.csv").write_bytes((header + "\n".join(rows) + "\n").replace("\n", "\r").encode())
    assert _tables(tmp_path / "mac.csv") == _tables(tmp_path / "lf.csv")
    assert _tables(tmp_path / "mac.csv")[0] == 300


@pytest.mark.parametrize("where", [0, 1, 7])  # in the MMSI, in the time, in the (text) vessel name
def test_a_lone_cr_inside_a_line_keeps_the_line_one_record(ais_dir: Path, tmp_path: Path, where: int):
    """Arrow ends a row at a lone CR: the line became two rows, and every later row of its block was
    numbered a line too far (a quarantined row showed another row's text). The CR now stays in its
    value, which is rejected or counted as the bad value it is, and in the raw text."""
    header, rows = _noaa_rows(ais_dir, 40)
    fields = rows[20].split(",")
    fields[where] = fields[where][:3] + "\r" + fields[where][3:]
    rows[20] = ",".join(fields)
    p = tmp_path / "lone_cr.csv"
    p.write_bytes((header + "\n".join(rows) + "\n").encode())
    n, t = _tables(p)
    assert n == 40
    refs = sorted(t["positions"]["source_ref"].to_pylist() + t["quarantine"]["source_ref"].to_pylist())
    assert refs == list(range(2, 42))  # one record a line, each at its own line
    if where == 7:  # a name with a CR in it is stored as written
        assert 22 in t["positions"]["source_ref"].to_pylist()
        assert fields[7] in t["static_secondary"]["name"].to_pylist()
    else:
        (raw,) = t["quarantine"].filter(pc.equal(t["quarantine"]["source_ref"], 22))["raw"].to_pylist()
        assert "\r" in raw and raw.startswith(f"MMSI={fields[0]},")
    lines = p.read_bytes().split(b"\n")
    for ref, mmsi in zip(t["positions"]["source_ref"].to_pylist(), t["positions"]["mmsi"].to_pylist(), strict=True):
        assert lines[ref - 1].startswith(str(mmsi).encode())


@pytest.mark.parametrize("blank", ["", "\r", "   ", ",", ",,,,,,,,,,"])
def test_blank_lines_are_not_records_and_keep_the_lines_after_them(ais_dir: Path, tmp_path: Path, blank: str):
    """Arrow reads an empty line as a row of nulls; it was counted and quarantined as missing_mmsi.
    A line of commas is a record (of the wrong width, or of empty values) and stays one."""
    header, rows = _noaa_rows(ais_dir, 30)
    p = tmp_path / "blanks.csv"
    p.write_bytes((header + "\n".join(rows[:10] + [blank, blank] + rows[10:]) + "\n").encode())
    n, t = _tables(p)
    record = "," in blank
    assert n == (32 if record else 30)
    assert t["positions"]["source_ref"].to_pylist() == list(range(2, 12)) + list(range(14, 34))
    assert t["quarantine"]["source_ref"].to_pylist() == ([12, 13] if record else [])
    if blank == ",,,,,,,,,,":
        assert t["quarantine"]["reason"].to_pylist() == ["missing_mmsi"] * 2


@pytest.mark.parametrize("block", [128, 512, 1 << 20])
def test_streamed_rows_keep_their_lines_around_runs_of_skipped_rows(block: int):
    """Arrow reports a skipped row while parsing ahead, and a block may hold skipped rows only:
    each is placed by its record number, never by the batch it came with."""
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType\n"

    def good(k: int) -> str:
        return f"2110{k:05d},2023-01-01T00:00:00,54.1,10.2,1.0,2.0,3,N{k},,X,70\n"

    rows = (['211000001,2023-01-01T00:00:00,54.1,10.2,1.0,2.0,3,"TWO\nLINES",IMO9074729,X,70\n']
            + [good(k) for k in range(1200)] + ["1,2,3\n"] * 40 + [good(k) for k in range(1200, 1210)] + ["4,5\n"]
            + [good(k) for k in range(1210, 1215)])
    data = (header + "".join(rows)).encode()
    opt = NormalizeOptions("x.csv", min_time_ms=0, max_time_ms=2**62)
    noaa = builtin_mappings()["noaa"]
    got = [normalize(d, opt) for d in read_csv(io.BytesIO(data), noaa, "x.csv", block_bytes=block)]
    lines = data.split(b"\n")
    refs = [(r, m) for b in got for r, m in zip(b.positions["source_ref"].to_pylist(), b.positions["mmsi"].to_pylist(),
                                                  strict=True)]
    assert len(refs) == 1216 and all(lines[r - 1].startswith(str(m).encode()) for r, m in refs)
    assert sorted(r for b in got for r in b.quarantine["source_ref"].to_pylist()) == [*range(1204, 1244), 1254]
