"""The JSON kernels write exactly what Python writes (``repr(round(x, 6))``, ``round(x, 2)``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.events import jsontext as JT
from harborwatch.events.rows import _float_json, json_objects


def _hard_floats(seed: int = 7, n: int = 200_000) -> np.ndarray:
    """Floats where rounding at the 6th (or 2nd) decimal is hardest: exact binary ties
    (k / 128 is exactly halfway at the 6th decimal when k is odd, k / 8 at the 2nd), their
    neighbours one ulp away, decimals near a power of ten and the fast path's bounds, random
    values over 20 orders of magnitude, both signs, zeros."""
    rng = np.random.default_rng(seed)
    k = np.arange(-4000, 4000, dtype=np.float64)
    ties = np.concatenate([k / 128, k / 8, rng.integers(-2**40, 2**40, 20_000) / 128.0])
    near = np.concatenate([np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)])
    edges = np.array([JT.FAST_MIN, JT.FAST_MAX, 9.9e-5, 9.95e-5, 0.99999949, 0.9999995, 999999999.9999995,
                      5e-7, -5e-7, 4.9999999e-7, 1.5e-6, 2.5e-6, 0.0, -0.0, 1e-300, -1e-300, 1e15, 2.0**52])
    edges = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    mag = 10.0 ** rng.uniform(-8, 12, n)
    rand = mag * rng.choice([-1.0, 1.0], n)
    dec = rng.integers(-10**9, 10**9, n) / 10.0 ** rng.integers(0, 9, n)  # short decimals, as data has
    return np.concatenate([ties, near, edges, rand, dec])


def test_floats_written_as_python_writes_them():
    x = _hard_floats()
    got = json_objects(len(x), {"v": x}).to_pylist()
    want = ['{"v":' + _float_json(v) + "}" for v in x.tolist()]
    bad = [(v, g, w) for v, g, w in zip(x.tolist(), got, want, strict=True) if g != w]
    assert not bad, bad[:5]
    # the fast path did most of them (the test would otherwise not test the kernel)
    assert JT.float_fallback(x).mean() < 0.3


def test_round_digits_is_pythons_round():
    x = _hard_floats(seed=11)
    for digits in (0, 2, 6):
        got = JT.round_array(x, digits)
        want = np.array([round(v, digits) for v in x.tolist()])
        assert np.array_equal(got.view(np.int64), want.view(np.int64)), digits  # bit for bit: -0.0 too
        assert JT.round_digits(x, digits)[1].mean() < 0.3  # most by the kernel


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(width=64), st.floats(-1e10, 1e10),
                          st.integers(-10**9, 10**9).map(lambda i: i / 128)), min_size=1, max_size=30))
def test_any_float(xs):
    x = np.array(xs, np.float64)
    assert json_objects(len(x), {"v": x}).to_pylist() == ['{"v":' + _float_json(v) + "}" for v in x.tolist()]
    got = JT.round_array(x, 2)
    assert [repr(v) for v in got.tolist()] == [repr(round(v, 2)) for v in x.tolist()]


def test_ints_to_the_int64_bounds():
    v = np.array([0, 1, -1, 9, 10, -10, 2**63 - 1, -2**63, 123456789012], np.int64)
    assert json_objects(len(v), {"i": v}).to_pylist() == ['{"i":' + str(i) + "}" for i in v.tolist()]
    u = np.array([0, 2**64 - 1], np.uint64)  # past int64: written by Python
    assert json_objects(2, {"u": u}).to_pylist() == ['{"u":0}', '{"u":18446744073709551615}']


def test_times_written_as_numpy_writes_them():
    """ISO texts of epoch milliseconds over the whole range NumPy writes with 4-digit years
    (leap days, century rules, negative times, the last millisecond of a day), and outside it
    (written by Python), NaT as null."""
    rng = np.random.default_rng(5)
    lo, hi = -62135596800000, 253402300799999  # 0001-01-01 .. 9999-12-31T23:59:59.999
    days = np.array(["1970-01-01", "1969-12-31", "2000-02-29", "1900-03-01", "2100-02-28", "2024-02-29",
                     "0001-01-01", "9999-12-31", "1600-02-29"], "datetime64[D]").astype("datetime64[ms]").view(np.int64)
    ms = np.concatenate([rng.integers(lo, hi, 100_000), rng.integers(-10**12, 4 * 10**12, 100_000), days, days - 1,
                         days + 86_399_999, [lo - 1, hi + 1, lo, hi]])
    v = ms.astype("datetime64[ms]")
    v[:3] = np.datetime64("NaT")
    got = json_objects(len(v), {"t": v}).to_pylist()
    text = np.char.add(np.datetime_as_string(v, unit="s"), "Z").tolist()
    want = ['{"t":null}' if np.isnat(x) else '{"t":"' + s + '"}' for x, s in zip(v, text, strict=True)]
    assert got == want
    assert np.array_equal(JT.time_fallback(ms), (ms < lo) | (ms > hi))  # only those outside years 1-9999
