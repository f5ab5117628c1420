"""Fuzz: in lenient mode no input crashes a reader; in strict mode only harborwatch errors are raised."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import HarborwatchError
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
