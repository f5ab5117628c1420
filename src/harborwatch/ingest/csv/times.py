"""Times of a fixed layout (``%Y-%m-%dT%H:%M:%S`` and the like) parsed by one compiled pass.

``pyarrow.compute.strptime`` is the reference: this module gives its result, faster (1.5-1.7
against 2.8 ms for a block of 45k times, with the conversion to Arrow), for the values it is
sure of, and hands the whole column to ``strptime`` otherwise. A format qualifies when it holds
each of ``%Y %m %d %H %M %S`` once and otherwise literal characters; a value qualifies when it
has exactly the format's length, digits where the fields are (four for the year, two for the
others), the literal characters where they are, and a real calendar date and time of day (no
24:00, no leap second, no 30 February). For such a value ``strptime`` reads the same date and
time; any other value (a missing zero, a stray space, an impossible date) sends the column to
``strptime``, which decides.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from harborwatch.ingest.validate import string_buffers

_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


def fixed_layout(fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(start of Y, m, d, H, M, S; the expected byte at each position, 0 for a digit), or None
    when ``fmt`` is not a fixed layout."""
    starts = {}
    expect: list[int] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            code = fmt[i + 1 : i + 2]
            if code not in _WIDTH or code in starts:
                return None
            starts[code] = len(expect)
            expect += [0] * _WIDTH[code]
            i += 2
        else:
            b = ch.encode()
            if len(b) != 1 or b[0] < 32 or b[0] > 126 or ch.isdigit():  # printable ASCII, not a digit
                return None
            expect.append(b[0])
            i += 1
    if len(starts) != len(_WIDTH):
        return None
    return np.array([starts[c] for c in "YmdHMS"], np.int64), np.array(expect, np.uint8)


def parse_times(text: pa.Array | pa.ChunkedArray, fmt: str) -> pa.Array:
    """``pc.strptime(text, format=fmt, unit="ms", error_is_null=True)``, by the compiled pass when
    the format and every value qualify."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    layout = fixed_layout(fmt) if pa.types.is_string(text.type) and len(text) else None
    if layout is not None and text.null_count < len(text):
        valid = text.is_valid().to_numpy(zero_copy_only=False)
        ms, ok = _parse(*string_buffers(text), valid, layout[0], layout[1])
        if ok:
            return pa.array(ms, pa.int64(), mask=~valid).cast(pa.timestamp("ms"))
    return pc.strptime(text, format=fmt, unit="ms", error_is_null=True)


@njit(cache=True, nogil=True)
def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, nogil=True)
def _parse(offsets, data, valid, starts, expect):
    n = offsets.shape[0] - 1
    out = np.zeros(n, np.int64)
    length = expect.shape[0]
    field = np.full(length, -1, np.int64)  # the field (0-5: Y m d H M S) each digit belongs to
    for f in range(6):
        for k in range(4 if f == 0 else 2):
            field[starts[f] + k] = f
    mdays = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    v = np.zeros(6, np.int64)
    for i in range(n):
        if not valid[i]:
            continue
        a = offsets[i]
        if offsets[i + 1] - a != length:
            return out, False
        v[:] = 0
        for k in range(length):
            c = np.int64(data[a + k])
            f = field[k]
            if f < 0:
                if c != expect[k]:
                    return out, False
            elif c < 48 or c > 57:
                return out, False
            else:
                v[f] = v[f] * 10 + c - 48
        y, mo, d, hh, mi, ss = v[0], v[1], v[2], v[3], v[4], v[5]
        if y < 1 or mo < 1 or mo > 12 or d < 1 or hh > 23 or mi > 59 or ss > 59:
            return out, False
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        if d > mdays[mo - 1] + (1 if mo == 2 and leap else 0):
            return out, False
        out[i] = ((_days_from_civil(y, mo, d) * 24 + hh) * 60 + mi) * 60000 + ss * 1000
    return out, True


__all__ = ["fixed_layout", "parse_times"]
