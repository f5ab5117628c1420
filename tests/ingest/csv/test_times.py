"""Fixed-layout times: the compiled pass gives strptime's result, or strptime decides."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.csv.times import fixed_layout, parse_times

FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y%m%d_%H%M%S"]


def _render(fmt: str, y: int, mo: int, d: int, h: int, mi: int, s: int) -> str:
    return (fmt.replace("%Y", f"{y:04d}").replace("%m", f"{mo:02d}").replace("%d", f"{d:02d}")
            .replace("%H", f"{h:02d}").replace("%M", f"{mi:02d}").replace("%S", f"{s:02d}"))


def _strptime(arr: pa.Array, fmt: str) -> pa.Array:
    return pc.strptime(arr, format=fmt, unit="ms", error_is_null=True)


def test_which_formats_have_a_fixed_layout():
    assert all(fixed_layout(f) is not None for f in FORMATS)
    for f in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S %H", "%y-%m-%d %H:%M:%S",
              "%Y-%m-%d\t%H:%M:%S", "%Y-%m-%d 1%H:%M:%S"):
        assert fixed_layout(f) is None, f


def test_a_day_of_times_and_nulls():
    arr = pa.array(["2020-01-01T00:00:00", None, "2020-02-29T23:59:59", "1969-12-31T23:59:59"])
    assert parse_times(arr, FORMATS[0]).equals(_strptime(arr, FORMATS[0]))
    assert parse_times(arr, FORMATS[0]).type == pa.timestamp("ms")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FORMATS), st.data())
def test_parse_times_is_strptime(fmt, data):
    field = st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                      st.integers(0, 61), st.integers(0, 61))
    rendered = field.map(lambda t: _render(fmt, *t))
    value = st.one_of(rendered, rendered.map(lambda s: s[:-1]), rendered.map(lambda s: " " + s),
                      rendered.map(lambda s: s.replace("0", "x", 1)), st.none(), st.text(max_size=20))
    values = data.draw(st.lists(value, max_size=12))
    start = data.draw(st.integers(0, 2))
    arr = pa.array(values, pa.string()).slice(start)
    assert parse_times(arr, fmt).equals(_strptime(arr, fmt))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FORMATS), st.lists(st.datetimes(), min_size=1, max_size=10))
def test_real_times_take_the_compiled_pass_and_read_as_strptime(fmt, times):
    arr = pa.array([t.strftime(fmt) for t in times])
    assert parse_times(arr, fmt).equals(_strptime(arr, fmt))


def test_a_chunked_column():
    arr = pa.chunked_array([["2020-01-01T00:00:00"], [None, "2020-01-01T00:00:01"]])
    assert parse_times(arr, FORMATS[0]).equals(_strptime(arr.combine_chunks(), FORMATS[0]))
