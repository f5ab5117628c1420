"""Newlines 8 bytes at a time: the same lines and counts as NumPy finds byte by byte."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.lines import line_bounds, newline_count


def _by_numpy(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NMEA reader's NumPy formulation before the compiled pass."""
    nl = np.flatnonzero(buf == 10)
    if len(nl) == 0 or nl[-1] != len(buf) - 1:
        nl = np.append(nl, len(buf))
    return np.concatenate(([0], nl[:-1] + 1)).astype(np.int64), nl.astype(np.int64)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"a", b"!AIVDM,1,1,,A,13u?et,0*00", b"\n\n", b"\x0a\x0b", b"\xff"]),
                max_size=40), st.integers(0, 7))
def test_lines_and_counts_are_numpys(pieces, skip):
    data = b"".join(pieces)
    buf = np.frombuffer(b"x" * skip + data, np.uint8)[skip:]  # any alignment of the words
    starts, ends = line_bounds(buf)
    want = _by_numpy(buf)
    np.testing.assert_array_equal(starts, want[0])
    np.testing.assert_array_equal(ends, want[1])
    assert newline_count(buf) == newline_count(data) == data.count(b"\n")


def test_edges():
    for data, lines in ((b"", [(0, 0)]), (b"\n", [(0, 0)]), (b"ab", [(0, 2)]), (b"ab\ncd", [(0, 2), (3, 5)]),
                        (b"a" * 20 + b"\n\n", [(0, 20), (21, 21)])):
        s, e = line_bounds(np.frombuffer(data, np.uint8))
        assert list(zip(s.tolist(), e.tolist(), strict=True)) == lines
