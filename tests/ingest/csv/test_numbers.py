"""Numbers of CSV fields: integers behind a prefix read as the regular expression and cast read
them; integer fields checked and converted as the numpy formulation did."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.csv.numbers import integer_values, prefixed_integers


def _general(col: pa.Array, prefix: str) -> np.ndarray | None:
    stripped = pc.replace_substring_regex(col, f"^{prefix}", "")
    try:
        return pc.cast(stripped, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None


def test_imo_numbers_with_and_without_the_prefix():
    col = pa.array(["IMO9318503", None, "9074729", "IMO0000001"])
    got = prefixed_integers(col, "IMO")
    assert got is not None and np.array_equal(got, [9318503, np.nan, 9074729, 1], equal_nan=True)
    for bad in (["IMO"], ["IMO 9318503"], ["IMOIMO1"], ["12IMO3"], ["1e3"], ["IMO-1"], ["1" * 16]):
        assert prefixed_integers(pa.array(bad), "IMO") is None, bad
    assert prefixed_integers(col, "I.O") is None  # a pattern, not plain text: the general path


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 10**15 - 1).map(str), st.integers(0, 10**9).map("IMO{}".format),
                          st.text("IMO0123456789 .-e", max_size=8)), max_size=15), st.integers(0, 3))
def test_the_compiled_pass_reads_what_the_general_path_reads(values, start):
    col = pa.array(values, pa.string()).slice(start)
    got = prefixed_integers(col, "IMO")
    if got is not None:
        ref = _general(col, "IMO")
        assert ref is not None and np.array_equal(got, ref, equal_nan=True)


def _integers_by_numpy(values: np.ndarray, largest: int):
    """The reader's numpy formulation before the compiled pass."""
    frac = ~np.isnan(values) & (values != np.round(values))
    huge = ~np.isnan(values) & ~frac & (np.abs(values) > largest)
    ints = np.where(np.isnan(values) | frac | huge, -1, np.nan_to_num(values)).astype(np.int64)
    return ints, frac, huge


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(), st.integers(-2**40, 2**40).map(float),
                          st.sampled_from([2.0**31 - 1, 2.0**31, -(2.0**31 - 1), 0.5, -0.0, np.inf, -np.inf])),
                max_size=30))
def test_integer_values_are_what_numpy_makes_of_them(values):
    arr = np.array(values, np.float64)
    got, want = integer_values(arr, 2**31 - 1), _integers_by_numpy(arr, 2**31 - 1)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_integer_values_name_fractions_and_overflows():
    ints, frac, huge = integer_values(np.array([3.0, np.nan, 2.5, 3e9, -np.inf, -4.0]), 2**31 - 1)
    assert ints.tolist() == [3, -1, -1, -1, -1, -4]
    assert frac.tolist() == [False, False, True, False, False, False]
    assert huge.tolist() == [False, False, False, True, True, False]
