"""Blocks of lines parsed with typed numbers, and the text path they fall back to."""

from __future__ import annotations

import io
from dataclasses import replace
from unittest import mock

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.csv import blocks as B
from harborwatch.ingest.csv.mapping import builtin_mappings
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.records import NormalizeOptions, normalize

NOAA = builtin_mappings()["noaa"]
HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType"


def test_only_plain_numeric_and_time_columns_are_typed():
    header = HEADER.split(",")
    m = replace(NOAA, columns={k: v for k, v in NOAA.columns.items() if all(c in header for c in v.columns)})
    t = B.typed_columns(header, m)
    assert t["LAT"] == pa.float64() and t["MMSI"] == pa.float64() and t["BaseDateTime"] == pa.timestamp("ms")
    assert "IMO" not in t and "VesselName" not in t  # a prefix to strip; text
    offset = replace(m, time_format="%Y-%m-%dT%H:%M:%S%z")
    assert "BaseDateTime" not in B.typed_columns(header, offset)


def test_a_value_that_does_not_convert_sends_the_block_to_text():
    header = HEADER.split(",")
    good = b"211000001,2023-01-01T00:00:00,54.1,10.2,1.0,2.0,3,A,IMO9074729,X,70\n"
    bad = good + b"211000002,2023-01-01T00:00:01,54.1x,10.2,1.0,2.0,3,A,IMO9074729,X,70\n"
    include = sorted(NOAA.required_columns() & set(header))
    typed = B.typed_columns(header, NOAA)
    p = B.parse_block(good, 2, header, NOAA, include, typed)
    assert p.typed and p.batch.schema.field("LAT").type == pa.float64()
    q = B.parse_block(bad, 2, header, NOAA, include, typed)
    assert not q.typed and q.batch.schema.field("LAT").type == pa.string() and q.batch.num_rows == 2


def test_nan_and_infinity_mean_the_same_on_every_path():
    """"nan" is a missing number (null) and "inf" an out-of-range one, whether the block is parsed
    with typed numbers, as text that casts whole, or as text that does not (a padded " 54.1" sends
    the column to the per-value parser, which had called "nan" not a number: found by the property
    below in CI)."""
    good = "211000001,2023-01-01T00:00:00,54.1,10.2,1.0,2.0,3,A,IMO9074729,X,70\n"
    for bad, lat, detail in (("nan", [54.1, None], []), ("NaN", [54.1, None], []),
                             ("inf", [54.1], ["lat=inf not in [-90.0, 90.0]"])):
        for other in ("54.1", " 54.1"):
            text = (HEADER + "\n" + good.replace("54.1", other) + good.replace("54.1", bad)).encode()
            for typed in (True, False):
                got = dict(_ingest(text, typed))
                assert [r["lat"] for r in got["positions"]] == lat
                assert [q["detail"] for q in got["quarantine"]] == detail


def test_lines_of_a_block_with_and_without_a_last_newline():
    block = b"a\nbb\n\nccc"
    assert B.lines_of(block, 10, [10, 12, 13]) == b"a\n\nccc\n"
    assert B.lines_of(memoryview(block + b"\n")[:9], 10, [11]) == b"bb\n"
    assert B.newlines(block) == 3


_numbers = st.one_of(st.floats(-200, 200, allow_nan=False).map(lambda x: f"{x:.5f}"), st.integers(-5, 600).map(str),
                     st.sampled_from(["", "NULL", "N/A", "-", " 1.5", "1.5 ", "+2", "1e3", "x", "511", "nan", "inf"]))
_rows = st.lists(st.tuples(st.sampled_from(["211000001", "273000002", "1.5", "", "9999999999", "abc"]),
                           st.sampled_from(["2023-01-01T00:00:00", "2023-01-01T00:01:00", "2023-13-01T00:00:00", ""]),
                           _numbers, _numbers, _numbers, st.sampled_from(["A", " b ", ""]),
                           st.sampled_from(["IMO9074729", "IMO12", "", "9176187"])),
                 min_size=1, max_size=25)


def _ingest(text: bytes, typed: bool) -> list[tuple[str, list[dict]]]:
    with mock.patch.object(B, "typed_columns", B.typed_columns if typed else lambda header, m: {}):
        out = []
        for d in read_csv(io.BytesIO(text), NOAA, "t.csv"):
            nb = normalize(d, NormalizeOptions("t.csv", min_time_ms=0, max_time_ms=2**62))
            out += [(k, t.to_pylist()) for k, t in nb.primary_tables().items()]
            out += [("issues", nb.field_issues.to_pylist()), ("static2", nb.static_secondary.to_pylist())]
        return out


@settings(max_examples=150, deadline=None)
@given(_rows)
def test_typed_and_text_parsing_store_the_same(rows):
    lines = [f"{m},{t},{lat},{lon},{sog},1.0,3,{name},{imo},X,70" for m, t, lat, lon, sog, name, imo in rows]
    text = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    assert _ingest(text, True) == _ingest(text, False)


def test_raw_text_of_a_typed_block_is_the_text_paths():
    text = (HEADER + "\n211000001,2023-01-01T00:00:00,54.10,10.2,1.0,2.0,3,A,IMO9074729,X,70.0\n"
            "100,2023-01-01T00:00:00,91,10.2,1.0,2.0,3,B,,Y,70\n").encode()
    typed, plain = _ingest(text, True), _ingest(text, False)
    q = dict(typed)["quarantine"]
    assert q == dict(plain)["quarantine"] and len(q) == 1
    assert q[0]["raw"].startswith("MMSI=100,BaseDateTime=2023-01-01T00:00:00,LAT=91,")
    assert np.array_equal([r["source_ref"] for r in dict(typed)["positions"]], [2])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=40), st.booleans(),
       st.data())
def test_lines_of_finds_every_line_the_word_at_a_time_count_skips_to(lines, last_newline, data):
    block = b"\n".join(lines) + (b"\n" if last_newline else b"")
    wanted = sorted(data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=len(lines))))
    assert B.lines_of(block, 5, [w + 5 for w in wanted]) == b"".join(lines[w] + b"\n" for w in wanted)
