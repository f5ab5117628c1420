"""The array hashing helpers: compiled, and bit for bit the NumPy formulas stored hashes were made with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from harborwatch.ingest.validate import first_occurrences, hash_text, mix_array, quantize, static_content

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix_numpy(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (h ^ x.astype(np.uint64)) + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _quantize_numpy(values: np.ndarray, scale: float) -> np.ndarray:
    out = np.where(np.isnan(values), -(2**62), np.round(values * scale))
    return out.astype(np.int64).view(np.uint64)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint32, np.uint64]))
def test_mix_array_is_the_numpy_formula(data, dtype):
    n = data.draw(st.integers(0, 50))
    h = data.draw(hnp.arrays(np.uint64, n))
    x = data.draw(hnp.arrays(dtype, n))
    assert mix_array(h, x).tolist() == _mix_numpy(h, x).tolist()


def test_mix_array_takes_a_scalar_side():
    h = np.arange(5, dtype=np.uint64)
    assert mix_array(h, np.uint64(7)).tolist() == _mix_numpy(h, np.full(5, 7, np.uint64)).tolist()


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from([1.0, 10.0, 1e6]), st.sampled_from([np.float64, np.float32]))
def test_quantize_is_the_numpy_formula(data, scale, dtype):
    finite = st.floats(-1e6, 1e6, allow_nan=False, width=32 if dtype == np.float32 else 64)
    halves = st.integers(-2000, 2000).map(lambda k: k / 2 / scale)  # ties round to even, as NumPy does
    values = np.array(data.draw(st.lists(st.one_of(finite, halves, st.just(float("nan"))), max_size=40)), dtype)
    assert quantize(values, scale).tolist() == _quantize_numpy(values, scale).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=30), st.integers(0, 5),
       st.sampled_from(["", "\x00"]))
def test_hash_text_hashes_a_null_as_the_text_given(values, start, null):
    arr = pa.array(values, pa.string()).slice(min(start, len(values)))  # an offset into the buffers, too
    assert hash_text(arr, null=null).tolist() == hash_text(arr.fill_null(null)).tolist()
    filled = arr.fill_null(null)
    assert hash_text(filled).tolist() == [hash_text(pa.array([v]))[0] for v in filled.to_pylist()]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_static_content_mixes_the_attributes_in_order(data):
    n = data.draw(st.integers(0, 20))
    ints = hnp.arrays(np.int64, n, elements=st.integers(-1, 2**40))
    floats = hnp.arrays(np.float64, n, elements=st.one_of(st.floats(0, 500, allow_nan=False), st.just(np.nan)))
    hashes = hnp.arrays(np.uint64, n)
    imo, ship_type, eta, ts, mmsi, mt = (data.draw(ints) for _ in range(6))
    length, beam, draught, dwt = (data.draw(floats) for _ in range(4))
    name, callsign, stt, dest, flag = (data.draw(hashes) for _ in range(5))
    content, key = static_content(imo, name, callsign, ship_type, stt, length, beam, draught, dest, eta, dwt, flag,
                                  ts, mmsi, mt)
    c = np.zeros(n, np.uint64)
    for x in (imo, name, callsign, ship_type, stt, quantize(length, 10), quantize(beam, 10), quantize(draught, 10),
              dest, eta, quantize(dwt, 1), flag):
        c = _mix_numpy(c, x)
    assert content.tolist() == c.tolist()
    assert key.tolist() == _mix_numpy(_mix_numpy(_mix_numpy(c, ts), mmsi), mt).tolist()


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.uint64, st.integers(0, 300), elements=st.integers(0, 40) | st.integers(0, 2**64 - 1)))
def test_first_occurrences_is_not_duplicated(values):
    assert first_occurrences(values).tolist() == (~pd.Series(values).duplicated()).tolist()
