"""Kernels for canonical JSON text of event attribute columns (see
:func:`harborwatch.events.rows.json_objects`).

Every event carries its attributes as JSON text with sorted keys and floats rounded to 6
decimals, written as Python writes ``repr(round(x, 6))``. Building that text value by value in
Python holds the GIL for most of an event stage, so these kernels write it from columns in
numba: no Python object per value, and the GIL is released.

Floats: ``round(x, 6)`` in Python is the exact binary value of ``x`` rounded half-to-even at
the 6th decimal; :func:`scaled_rint` computes the same integer ``N = round(x * 10**6)``
exactly (Dekker's error-free product, then the tie decided by the product's rounding error),
and for ``1e-4 <= |N| / 10**6 < 1e9`` Python's shortest ``repr`` of the rounded value is the
decimal ``N / 10**6`` with trailing zeros dropped (two decimals of 6 places are then further
apart than a double's spacing, so no shorter text reads back as the same double). Any other
value (NaN, infinities, smaller or larger magnitudes, which ``repr`` writes with an exponent)
is flagged by :func:`float_fallback` and its text is written by Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
#: |x| bounds of the fast path: below, ``repr`` writes an exponent; above, doubles are spaced
#: more than 1e-6 apart.
FAST_MIN = 1e-4
FAST_MAX = 1e9
DIGITS = 6
#: Most bytes one fast-path float takes: sign, 9 integer digits, point, 6 decimals.
FLOAT_WIDTH = 17
#: Most bytes one int64 takes.
INT_WIDTH = 20

#: Bytes of one time: ``"YYYY-MM-DDTHH:MM:SSZ"`` with its quotes.
TIME_WIDTH = 22

FLOAT, INT, CODE, TIME = 0, 1, 2, 3  # column kinds in :func:`json_rows`


@njit(cache=True, nogil=True, inline="always")
def _two_product(a, b):
    """(p, e) with p = fl(a * b) and a * b = p + e exactly (no overflow assumed)."""
    p = a * b
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


@njit(cache=True, nogil=True)
def scaled_rint(x, scale):
    """The exact value of ``x * scale`` rounded half to even, as a float (``scale`` a power of
    ten that a double holds exactly; ``|x * scale| < 2**52``)."""
    y, e = _two_product(x, scale)
    r = np.rint(y)
    h = y - r  # exact: |h| <= 0.5, and y, r share the double grid
    # y sits exactly halfway: the rounding error of the product decides (none: a true tie,
    # which rint already settled to even)
    if h == 0.5 and e > 0.0:
        r += 1.0
    elif h == -0.5 and e < 0.0:
        r -= 1.0
    return r


def round_array(x: np.ndarray, digits: int) -> np.ndarray:
    """Python's ``round(v, digits)`` of every value, as float64 (see :func:`round_digits`)."""
    x = np.ascontiguousarray(x, np.float64)
    out, slow = round_digits(x, digits)
    idx = np.flatnonzero(slow)
    if len(idx):
        out[idx] = [round(v, digits) for v in x[idx].tolist()]
    return out


@njit(cache=True, nogil=True)
def round_digits(x, digits):
    """Python's ``round(x, digits)`` for most values (the exact half-to-even rounding of the
    binary value, then the double nearest that decimal); values whose scaled magnitude reaches
    4e15 (or NaN/inf) are returned unchanged and flagged in the second array, for Python."""
    n = x.shape[0]
    out = np.empty(n, np.float64)
    slow = np.zeros(n, np.bool_)
    scale = 10.0 ** digits
    for i in range(n):
        v = x[i]
        if not (abs(v) * scale < 4.0e15):  # also NaN and inf
            out[i] = v
            slow[i] = True
            continue
        r = scaled_rint(v, scale)
        q = r / scale  # correctly rounded: the double nearest the decimal r / 10**digits
        if q == 0.0 and (v < 0.0 or (v == 0.0 and np.signbit(v))):
            q = -0.0
        out[i] = q
    return out, slow


@njit(cache=True, nogil=True)
def float_fallback(x):
    """Values :func:`json_rows` does not write itself (Python writes them)."""
    n = x.shape[0]
    out = np.zeros(n, np.bool_)
    for i in range(n):
        v = x[i]
        a = abs(v)
        if not (a < FAST_MAX):  # also NaN and inf
            out[i] = True
        elif a != 0.0:
            r = abs(scaled_rint(v, 1e6))
            if r != 0.0 and r < 100.0:  # 0 < |round(v, 6)| < 1e-4: written with an exponent
                out[i] = True
    return out


@njit(cache=True, nogil=True)
def _civil(ms):
    """(year, month, day, seconds of the day) of epoch milliseconds, UTC, proleptic Gregorian
    (whole seconds, rounded down as NumPy converts milliseconds to seconds)."""
    s = ms // 1000
    days = s // 86400
    sod = s - days * 86400
    # days since 1970-01-01 to a civil date: the era / year-of-era arithmetic of the
    # proleptic Gregorian calendar (400-year eras of 146097 days, years starting in March)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return y, m, d, sod


@njit(cache=True, nogil=True)
def time_fallback(ms):
    """Times :func:`json_rows` does not write itself (years outside 1-9999; Python writes them)."""
    n = ms.shape[0]
    out = np.zeros(n, np.bool_)
    for i in range(n):
        y, _, _, _ = _civil(ms[i])
        out[i] = y < 1 or y > 9999
    return out


@njit(cache=True, nogil=True, inline="always")
def _write_digits(buf, pos, v, k):
    """``v`` as exactly ``k`` decimal digits (zero-padded)."""
    for j in range(pos + k - 1, pos - 1, -1):
        buf[j] = 48 + v % 10
        v //= 10
    return pos + k


@njit(cache=True, nogil=True)
def _write_time(buf, pos, ms):
    """``"YYYY-MM-DDTHH:MM:SSZ"`` (quoted) of epoch milliseconds, as NumPy's
    ``datetime_as_string(..., unit="s")`` + ``Z`` writes it, for years 1-9999."""
    y, m, d, sod = _civil(ms)
    buf[pos] = 34
    pos = _write_digits(buf, pos + 1, y, 4)
    buf[pos] = 45
    pos = _write_digits(buf, pos + 1, m, 2)
    buf[pos] = 45
    pos = _write_digits(buf, pos + 1, d, 2)
    buf[pos] = 84  # 'T'
    pos = _write_digits(buf, pos + 1, sod // 3600, 2)
    buf[pos] = 58
    pos = _write_digits(buf, pos + 1, sod // 60 % 60, 2)
    buf[pos] = 58
    pos = _write_digits(buf, pos + 1, sod % 60, 2)
    buf[pos] = 90  # 'Z'
    buf[pos + 1] = 34
    return pos + 2


@njit(cache=True, nogil=True, inline="always")
def _write_uint(buf, pos, u):
    """Decimal digits of ``u`` >= 0 at ``pos``; returns the next position."""
    if u == 0:
        buf[pos] = 48
        return pos + 1
    k = 0
    w = u
    while w > 0:
        w //= 10
        k += 1
    end = pos + k
    w = u
    for j in range(end - 1, pos - 1, -1):
        buf[j] = 48 + w % 10
        w //= 10
    return end


@njit(cache=True, nogil=True, inline="always")
def _write_float6(buf, pos, v):
    """``repr(round(v, 6))`` of a fast-path value (see :func:`float_fallback`)."""
    r = scaled_rint(v, 1e6)
    if v < 0.0 or (v == 0.0 and np.signbit(v)):
        buf[pos] = 45  # '-': also round(-1e-7, 6) == -0.0
        pos += 1
    n = np.int64(abs(r))
    pos = _write_uint(buf, pos, n // 1000000)
    buf[pos] = 46  # '.'
    pos += 1
    frac = n % 1000000
    if frac == 0:
        buf[pos] = 48
        return pos + 1
    div = 100000
    while frac > 0:
        d = frac // div
        buf[pos] = 48 + d
        pos += 1
        frac -= d * div
        div //= 10
    return pos


@njit(cache=True, nogil=True)
def json_rows(kind, fvals, ivals, codes, dbuf, doff, keys, width):
    """One JSON object per row: ``{key:value,...}`` over columns in key order.

    ``kind[k]``: FLOAT (``fvals[k, i]``), INT (``ivals[k, i]``), TIME (``ivals[k, i]``, epoch
    milliseconds, written as a quoted ISO 8601 UTC text) or CODE; a value with
    ``codes[k, i] >= 0`` is the ready text ``dbuf[doff[c]:doff[c + 1]]`` instead (null, text,
    floats Python wrote). ``keys[k]`` is the dictionary entry of ``"key":``; ``width`` is an
    upper bound of bytes per row. Returns (UTF-8 bytes, int32 offsets)."""
    nk, n = codes.shape
    buf = np.empty(n * width, np.uint8)
    offsets = np.empty(n + 1, np.int32)
    pos = 0
    for i in range(n):
        offsets[i] = pos
        buf[pos] = 123  # '{'
        pos += 1
        for k in range(nk):
            if k:
                buf[pos] = 44  # ','
                pos += 1
            c = keys[k]
            for j in range(doff[c], doff[c + 1]):
                buf[pos] = dbuf[j]
                pos += 1
            c = codes[k, i]
            if c >= 0:
                for j in range(doff[c], doff[c + 1]):
                    buf[pos] = dbuf[j]
                    pos += 1
            elif kind[k] == FLOAT:
                pos = _write_float6(buf, pos, fvals[k, i])
            elif kind[k] == TIME:
                pos = _write_time(buf, pos, ivals[k, i])
            else:
                v = ivals[k, i]
                if v < 0:
                    buf[pos] = 45
                    pos += 1
                    if v == -9223372036854775807 - 1:  # -2**63: no int64 holds its magnitude
                        pos = _write_uint(buf, pos, np.int64(922337203685477580))
                        buf[pos] = 56  # its last digit, 8
                        pos += 1
                    else:
                        pos = _write_uint(buf, pos, -v)
                else:
                    pos = _write_uint(buf, pos, v)
        buf[pos] = 125  # '}'
        pos += 1
    offsets[n] = pos
    return buf[:pos], offsets
