"""Line ends: CR-only files read as LF files, lone CRs read as the stand-in, at any read sizes."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.endings import CR_STAND_IN, LineEnds, cr_only, lone_crs


def _expected(data: bytes, head: bytes, lone: bool = True) -> bytes:
    """The bytes LineEnds should give, written byte by byte."""
    if cr_only(head):
        return data.replace(b"\r", b"\n")
    out = bytearray(data)
    if lone:
        for i in range(len(data) - 1):
            if data[i] == 13 and data[i + 1] != 10:
                out[i] = CR_STAND_IN
    return bytes(out)


def _drain(le: LineEnds, steps: list[int], rest: bool) -> list[bytes]:
    """Read to the end: a step of 0 reads a line, any other that many bytes; then the ``rest``
    at once (``read()``), or line by line."""
    got = [le.readline() if k == 0 else le.read(k) for k in steps]
    if rest:
        return [*got, le.read(), le.read()]
    while x := le.readline():
        got.append(x)
    return got


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300).map(lambda b: bytes(b"ab\r\n,"[x % 5] for x in b)), st.data())
def test_any_split_and_read_sizes_give_the_bytes_fixed(data: bytes, draw):
    cut = draw.draw(st.integers(0, len(data)))
    steps = draw.draw(st.lists(st.integers(0, 40), max_size=30))
    lone, rest = draw.draw(st.booleans()), draw.draw(st.booleans())
    head = data[:cut]
    le = LineEnds(io.BytesIO(data[cut:]), head, lone=lone)
    got = _drain(le, steps, rest)
    want = _expected(data, head, lone)
    assert b"".join(got) == want
    assert le.replaced == (lone and not cr_only(head) and want != data)
    if not any(steps) and not rest:  # line by line: every line but the last ends in its LF
        lines = [x for x in got if x]
        assert all(x.endswith(b"\n") for x in lines[:-1])
        assert b"".join(lines).count(b"\n") == len(lines) - (not want.endswith(b"\n") and bool(want))


def test_cr_only_files_are_read_as_lf_files():
    mac = b"MMSI,Time\r1,2\r3,4\r"
    assert cr_only(mac) and not cr_only(b"a\r\nb\r\n") and not cr_only(b"a\nb")
    le = LineEnds(io.BytesIO(mac[12:]), mac[:12])  # the head decides: it has a CR and no LF
    assert list(le) == [b"MMSI,Time\n", b"1,2\n", b"3,4\n"]
    assert not le.replaced  # nothing to restore: a CR there is a line end


def test_lone_crs_are_the_crs_not_before_an_lf_bar_a_last_one():
    data = b"a\rb\r\nc\r\rd\r"
    assert lone_crs(data).tolist() == [1, 6, 7]
    assert lone_crs(b"").tolist() == [] and lone_crs(b"\r").tolist() == []
    # a CR held back at the end of one read is decided by the next read's first byte
    le = LineEnds(io.BytesIO(b"\ny\rz\r"), b"\nx\r")
    assert le.read() == b"\nx\r\ny" + bytes([CR_STAND_IN]) + b"z\r"
    le = LineEnds(io.BytesIO(b"y\r"), b"\nx\r")
    assert le.read() == b"\nx" + bytes([CR_STAND_IN]) + b"y\r" and le.replaced


def test_a_plain_file_is_handed_on_without_a_copy():
    block = b"1,2\n" * 1000
    raw = io.BytesIO(block)
    le = LineEnds(raw, b"")
    got = le.read(len(block))
    assert got == block and not le.replaced


def test_a_long_line_is_read_whole():
    line = b"x" * 1_000_000 + b"\n"
    le = LineEnds(io.BytesIO(line[70_000:] + b"next"), line[:70_000])
    assert le.readline() == line and le.readline() == b"next" and le.readline() == b""
    assert np.frombuffer(line, np.uint8).sum() > 0
