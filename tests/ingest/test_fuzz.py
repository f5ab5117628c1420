"""Fuzz: in lenient mode no input crashes a reader; in strict mode only harborwatch errors are raised."""

from __future__ import annotations

import contextlib
import gzip
import io
from functools import cache
from pathlib import Path
from unittest.mock import patch

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import HarborwatchError
from harborwatch.ingest.csv import blocks
from harborwatch.ingest.csv.mapping import builtin_mappings
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.records import NormalizeOptions, normalize

GOOD = [
    "\\s:41925,c:1635731889,t:1635731965*66\\!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`,0*37",
    "\\g:1-2-3454,s:41925,c:1635731893,t:1635731965*19\\!AIVDM,2,1,2,,57`B?hl2CdtQ`lO;SK9L4Tl5@62222222222220l1@>666QVS>1jDhSl,0*20",
    "\\g:2-2-3454*5B\\!AIVDM,2,2,2,,SQH888888888880,2*15",
    "1635731889 !AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E",
]
pieces = st.sampled_from(GOOD + ["!AIVDM,", "\\", "*", ",", "\n", "!AIVDM,2,1,9,A,", "c:", "g:1-2-", "\r",
                                 "\ufeff", ",raishub,", "*hh,1342569600", "!AIVDM,1,1,,A,5"])
# tag-block and receiver times of any length (0, 16, 25 digits...), a time field after the checksum
times = st.integers(0, 10**25).map(lambda v: f"\\c:{v}*00\\!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5F,{v}\n")
mutated = st.lists(st.one_of(pieces, times, st.text(max_size=30)), max_size=40).map("".join)
junk_bytes = st.binary(max_size=600)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run_nmea(data: bytes, strict: bool) -> int:
    n = 0
    for d in read_nmea(io.BytesIO(data), chunk_bytes=64):
        b = normalize(d, NormalizeOptions("fuzz", strict=strict))
        assert sum(t.num_rows for t in b.primary_tables().values()) == b.records_in
        n += b.records_in
    return n


@SETTINGS
@given(st.one_of(mutated.map(lambda s: s.encode("utf-8", "surrogatepass")), junk_bytes))
def test_nmea_lenient_never_crashes(data: bytes):
    _run_nmea(data, strict=False)


@SETTINGS
@given(st.one_of(mutated.map(lambda s: s.encode("utf-8", "surrogatepass")), junk_bytes))
def test_nmea_strict_raises_only_harborwatch_errors(data: bytes):
    with contextlib.suppress(HarborwatchError):
        _run_nmea(data, strict=True)


CSV_HEADER = "SHIP_ID;MMSI;IMO;SHIPNAME;LAT;LON;SPEED_KNOTSx10;COURSE;HEADING;STATUS;TIMESTAMP_UTC;DRAUGHT_METERSx10\n"
cell = st.one_of(st.text(alphabet="0123456789.-;\"\nabcE ", max_size=12),
                 st.sampled_from(["", "511", "91", "2023-08-14 07:40:00", "NULL", "N/A", "NaN", "-", "None",
                                  '"', '"quoted', 'quoted"', "1999-01-01 00:00:00", "2999-01-01 00:00:00",
                                  "999999999999999999999"]))
csv_rows = st.lists(st.lists(cell, min_size=0, max_size=14).map(";".join), max_size=25).map("\n".join)


@SETTINGS
@given(csv_rows)
def test_csv_lenient_never_crashes_and_strict_only_raises_ours(body: str):
    data = (CSV_HEADER + body).encode()
    if body.startswith("0"):  # some files start with a byte-order mark
        data = b"\xef\xbb\xbf" + data
    m = builtin_mappings()["marinetraffic"]
    for strict in (False, True):
        try:
            for d in read_csv(io.BytesIO(data), m, "fuzz.csv"):
                b = normalize(d, NormalizeOptions("fuzz.csv", strict=strict))
                assert sum(t.num_rows for t in b.primary_tables().values()) == b.records_in
        except HarborwatchError as e:
            if not strict:  # lenient mode quarantines: it never raises on bad records
                pytest.fail(f"lenient mode raised {type(e).__name__}: {e}")
        except Exception as e:  # pragma: no cover - the failure we look for
            pytest.fail(f"{type(e).__name__}: {e}")


@cache
def _real_rows(ais_dir: Path) -> tuple[str, list[str]]:
    with gzip.open(ais_dir / "noaa_2020-01-01_uswestcoast.csv.gz", "rt") as f:
        return f.readline(), [f.readline().rstrip("\n") for _ in range(2000)]


_EDITS = list("0123456789.,-+eE \"'\tNaInfT:Zx") + ["\r", "é", "\x00", "nan", "1e400", "2020-13-01T00:00:00", ",,"]


@st.composite
def _mutated_rows(draw, rows: list[str]) -> str:
    """Real rows with some bytes inserted, deleted or replaced, and some names quoted over lines."""
    start = draw(st.integers(0, len(rows) - 60))
    out = []
    for line in rows[start:start + draw(st.integers(1, 60))]:
        kind = draw(st.integers(0, 9))
        if kind == 9 and (f := line.split(",")) and len(f) > 8:
            breaks = draw(st.sampled_from(["\n", "\r\n", "\n\n", "\r", ","]))
            f[7] = '"' + f[7][:3] + breaks + f[7][3:] + '"'
            line = ",".join(f)
        for _ in range(draw(st.integers(1, 3)) if kind >= 6 and kind < 9 else 0):
            at, edit = draw(st.integers(0, len(line))), draw(st.sampled_from(_EDITS))
            line = draw(st.sampled_from([line[:at] + edit + line[at:], line[:at] + line[at + 1:],
                                         line[:at] + edit + line[at + 1:]]))
        out.append(line)
    return "\n".join(out) + draw(st.sampled_from(["\n", "", "\r\n"]))


def _read_noaa(data: bytes, block: int, text_only: bool) -> list:
    opt = NormalizeOptions("fuzz.csv", receiver="terrestrial", min_time_ms=946_684_800_000,
                           max_time_ms=1_798_761_600_000)
    with contextlib.ExitStack() as stack:
        if text_only:  # every block by the text path, which names a bad value as written
            stack.enter_context(patch.object(blocks, "typed_columns", lambda header, m: {}))
        out = []
        for d in read_csv(io.BytesIO(data), builtin_mappings()["noaa"], "fuzz.csv", block_bytes=block):
            b = normalize(d, opt)
            assert sum(t.num_rows for t in b.primary_tables().values()) == b.records_in
            out.append(b)
        return out


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.sampled_from([256, 1024, 1 << 20]))
def test_mutated_real_rows_read_alike_typed_or_as_text_each_at_its_own_line(ais_dir: Path, data, block: int):
    """Differential: a block's numbers typed by Arrow or read as text give the same tables; and
    every record is stored at the physical line it starts on (this found a CR inside a line
    shifting later rows, and records counted instead of lines where values span lines)."""
    header, rows = _real_rows(ais_dir)
    raw = (header + data.draw(_mutated_rows(rows))).encode("utf-8", "surrogatepass")
    typed, text = _read_noaa(raw, block, False), _read_noaa(raw, block, True)
    for name in ("positions", "static_secondary", "quarantine", "field_issues"):
        assert pa.concat_tables([getattr(b, name) for b in typed]).equals(
            pa.concat_tables([getattr(b, name) for b in text])), name
    lines = raw.split(b"\n")
    for b in typed:
        for ref, mmsi in zip(b.positions["source_ref"].to_pylist(), b.positions["mmsi"].to_pylist(), strict=True):
            assert str(mmsi).encode() in lines[ref - 1].split(b",")[0]
        for ref, text_ in zip(b.quarantine["source_ref"].to_pylist(), b.quarantine["raw"].to_pylist(), strict=True):
            first = text_.removeprefix("MMSI=").split(",")[0].split("\n")[0].replace("\r", "")
            assert lines[ref - 1].replace(b"\r", b"").decode("utf-8", "replace").startswith(first)
