"""Compiled passes over the newlines of a byte buffer, 8 bytes at a time (pure; no I/O).

A word of 8 bytes holds a newline count that one subtraction-free expression gives exactly
(:func:`newlines_in`); a record line is tens of bytes, so most words hold none and are skipped
whole. The CSV reader counts a block's lines (:func:`newline_count`) and finds the lines of its
quarantined rows with it, the NMEA reader the lines of a chunk (:func:`line_bounds`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_LO7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_NL8 = np.uint64(0x0A0A0A0A0A0A0A0A)
_ONES = np.uint64(0x0101010101010101)


@njit(cache=True, nogil=True, inline="always")
def newlines_in(w):
    """Newline bytes in a 64-bit word (exact: no borrow crosses bytes)."""
    x = w ^ _NL8
    y = ~(((x & _LO7) + _LO7) | x | _LO7)  # the high bit of each zero byte of x
    return ((y >> np.uint64(7)) * _ONES) >> np.uint64(56)


def line_bounds(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every line of ``buf`` (uint8), int64: the end is the newline's index, or
    ``len(buf)`` for a last line without one; a buffer that ends in a newline has no empty line
    after it. As ``np.flatnonzero(buf == 10)`` and the starts after each, without the buffer-sized
    temporary."""
    return _line_bounds(np.ascontiguousarray(buf, np.uint8))


def newline_count(buf: np.ndarray | bytes | memoryview) -> int:
    """The newline bytes of a buffer."""
    return int(_count(np.frombuffer(buf, np.uint8) if not isinstance(buf, np.ndarray) else buf))


@njit(cache=True, nogil=True)
def _count(buf):
    full = buf.shape[0] - buf.shape[0] % 8
    count = 0
    for w in buf[:full].view(np.uint64):
        count += newlines_in(w)
    for k in range(full, buf.shape[0]):
        count += buf[k] == 10
    return count


@njit(cache=True, nogil=True)
def _line_bounds(buf):
    n = buf.shape[0]
    full = n - n % 8
    words = buf[:full].view(np.uint64)
    count = _count(buf)
    open_end = n == 0 or buf[n - 1] != 10
    lines = count + (1 if open_end else 0)
    starts = np.empty(lines, np.int64)
    ends = np.empty(lines, np.int64)
    j = 0
    start = 0
    for i in range(words.shape[0]):
        if newlines_in(words[i]) == 0:
            continue
        for k in range(8 * i, 8 * i + 8):
            if buf[k] == 10:
                starts[j] = start
                ends[j] = k
                start = k + 1
                j += 1
    for k in range(full, n):
        if buf[k] == 10:
            starts[j] = start
            ends[j] = k
            start = k + 1
            j += 1
    if open_end:
        starts[j] = start
        ends[j] = n
    return starts, ends


__all__ = ["line_bounds", "newline_count", "newlines_in"]
