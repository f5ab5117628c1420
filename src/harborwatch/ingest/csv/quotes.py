"""Stray quotes in CSV exports cost at most their own line.

A field that opens with a quote and never closes it makes a CSV parser read on to the next quote,
possibly the rest of the file. Unless a file really uses quoted fields that span lines (decided
from its first 64 KiB), a record is one physical line: :class:`QuoteGuard` replaces every quote
of a line with an odd number of quotes by :data:`STAND_IN` (same length, so line numbers and
offsets stay), and the reader turns the stand-in back into a quote in the values it reads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

QUOTE = 34
#: The byte a stray quote is read as (ASCII unit separator: never in AIS exports).
STAND_IN = 0x1F
SAMPLE_BYTES = 65536


def odd_quote_lines(a: np.ndarray) -> np.ndarray:
    """Positions of the quotes of every line (of the bytes ``a``) with an odd number of quotes."""
    q = np.flatnonzero(a == QUOTE)
    if not len(q):
        return q
    nl = np.flatnonzero(a == 10)
    line = np.searchsorted(nl, q)
    counts = np.bincount(line, minlength=len(nl) + 1)
    return q[(counts % 2 == 1)[line]]


def spans_lines(sample: bytes, delimiter: str) -> bool:
    """Whether the file's first bytes use quoted fields that hold newlines (then a record may be
    several lines and quotes are left alone)."""
    if b'"' not in sample:
        return False
    cut = sample.rfind(b"\n")
    if cut < 0 or not len(odd_quote_lines(np.frombuffer(sample[:cut + 1], np.uint8))):
        return False
    bad = []

    def skip(row) -> str:
        bad.append(row)
        return "skip"

    try:
        t = pacsv.read_csv(io.BytesIO(sample[:cut + 1]), read_options=pacsv.ReadOptions(autogenerate_column_names=True),
                           parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                            invalid_row_handler=skip),
                           convert_options=pacsv.ConvertOptions(strings_can_be_null=False))
    except pa.ArrowInvalid:
        return False
    if bad:
        return False
    return any(pa.types.is_string(col.type) and pc.any(pc.match_substring(col, "\n")).as_py() for col in t.columns)


class QuoteGuard:
    """A byte stream as blocks of whole lines, with the quotes of odd-quote lines replaced by
    :data:`STAND_IN` (:meth:`blocks`). A block is a view of the bytes read: the pending part of a
    line is the only copy, unless quotes are replaced."""

    def __init__(self, raw, head: bytes = b"", block: int = 4 << 20) -> None:
        self._raw = raw
        self._pending = head  # bytes read ahead (the sample), not yet processed
        self._eof = False
        self._block = block
        #: whether any quote was replaced (the reader then restores them in values)
        self.replaced = False

    def _read_block(self) -> bytes | memoryview | None:
        """The next whole lines (or the rest of the stream), guarded; None at the end."""
        while not self._eof:
            data = self._raw.read(self._block)
            if not data:
                self._eof = True
                block, self._pending = self._pending, b""
                return self._guard(block, len(block))
            buf = self._pending + data if self._pending else data
            cut = buf.rfind(b"\n")
            if cut < 0:
                self._pending = buf
                continue
            self._pending = buf[cut + 1:]
            return self._guard(buf, cut + 1)
        return None

    def blocks(self) -> Iterator[bytes | memoryview]:
        """The stream as guarded blocks of whole lines, about ``block`` bytes each (the last may
        lack its newline)."""
        while (block := self._read_block()) is not None:
            if block:
                yield block

    def _guard(self, buf: bytes, end: int) -> bytes | memoryview:
        """``buf[:end]`` with the quotes of odd-quote lines replaced (a copy only then)."""
        if buf.find(b'"', 0, end) < 0:
            return memoryview(buf)[:end] if end < len(buf) else buf
        a = np.frombuffer(buf, np.uint8, count=end)
        odd = odd_quote_lines(a)
        if not len(odd):
            return memoryview(buf)[:end] if end < len(buf) else buf
        b = a.copy()
        b[odd] = STAND_IN
        self.replaced = True
        return b.tobytes()


def restore(col: pa.Array) -> pa.Array:
    """A text column with the stand-in turned back into the quote it replaced."""
    return pc.replace_substring(col, chr(STAND_IN), '"')


__all__ = ["STAND_IN", "QuoteGuard", "odd_quote_lines", "restore", "spans_lines"]
