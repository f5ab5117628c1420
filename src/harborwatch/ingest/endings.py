"""Line ends: files whose lines end in CR alone, and lone CRs inside lines.

harborwatch numbers a record by its physical line, counted in line feeds (LF), and the evidence
reader quotes a record by that number. Two inputs would break the count:

- a file whose lines end in CR alone (the classic Mac convention; Excel for Mac still writes it
  as "CSV (Macintosh)"). Read as it was, such a file is one line: for CSV its header line, with
  nothing after it; for NMEA one bad record. When the file's head has a CR and no LF,
  :class:`LineEnds` reads every CR as an LF (CSV, NMEA and the evidence reader).
- a lone CR inside a line of an LF or CRLF CSV file (corrupt or hand-edited input). Arrow's CSV
  parser ends a row at a CR, an LF or a CRLF, so it would make two rows of that line, and number
  every later row of its block one line too far. It is read as :data:`CR_STAND_IN` instead, so
  the line stays one record, and the reader turns the stand-in back into a CR in the values and
  raw text it reads (a value with a CR in it is then rejected or counted as the bad value it is).

Either way a byte is read as one byte, so offsets stay, and the file's hash (taken of the bytes
under this reader) is of the file as it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

CR, LF = 13, 10
#: The byte a lone CR is read as (ASCII record separator: never in AIS exports).
CR_STAND_IN = 0x1E
_CR_TO_LF = bytes.maketrans(b"\r", b"\n")
#: The head of a file that decides its line ends (:func:`cr_only`).
HEAD_BYTES = 1 << 16
#: Bytes read at a time by :meth:`LineEnds.readline`.
_LINE_READ = 1 << 16


def cr_only(head: bytes) -> bool:
    """Whether a file whose first bytes are ``head`` ends its lines in CR alone."""
    return b"\r" in head and b"\n" not in head


def lone_crs(data: bytes) -> np.ndarray:
    """Positions of the CRs of ``data`` that are not followed by an LF, bar a CR that is its last
    byte (a line end at the end of a file)."""
    a = np.frombuffer(data, np.uint8)
    cr = np.flatnonzero(a[:-1] == CR)
    return cr[a[cr + 1] != LF]


class LineEnds:
    """A byte stream (``read``, ``readline``, iteration by line) read with CR-only line ends as
    LFs (when the head says so, :func:`cr_only`), or else with lone CRs as :data:`CR_STAND_IN`
    (``lone=False`` leaves them, for the NMEA reader and the evidence reader, which split lines
    at LFs alone). ``head``: the bytes already read from ``raw``, which come first."""

    def __init__(self, raw, head: bytes = b"", lone: bool = True) -> None:
        self._raw = raw
        self.cr_only = cr_only(head)
        self._lone = lone
        self._held = b""  # a CR at the end of what was read: whether it is lone, the next byte says
        self._eof = False
        #: whether any lone CR was read as the stand-in (the reader then restores them in values)
        self.replaced = False
        self._buf = self._fix(head, final=False)
        self._pos = 0  # where the bytes not yet returned start in _buf

    def _fix(self, data: bytes, final: bool) -> bytes:
        if self._held:
            data, self._held = self._held + data, b""
        if self.cr_only:
            return data.translate(_CR_TO_LF) if b"\r" in data else data
        if not self._lone or b"\r" not in data:
            return data
        # a last CR is held back for the next bytes, which say whether it is lone (at the end of
        # the stream it is a line end); the CRs before it are decided here
        hold = not final and data.endswith(b"\r")
        if data.count(b"\r") - hold == data.count(b"\r\n"):  # CRLF line ends only
            lone = None
        else:
            lone = lone_crs(data)
        if hold:
            data, self._held = data[:-1], b"\r"
        if lone is None or not len(lone):
            return data
        b = np.frombuffer(data, np.uint8).copy()
        b[lone] = CR_STAND_IN
        self.replaced = True
        return b.tobytes()

    def _more(self, n: int) -> bool:
        """Read up to ``n`` more bytes into the buffer; False at the end of the stream."""
        if self._eof:
            return False
        data = self._raw.read(n)
        if not data:
            self._eof = True
            fixed = self._fix(b"", final=True)
        else:
            fixed = self._fix(data, final=False)
        if self._pos >= len(self._buf):
            self._buf, self._pos = fixed, 0
        elif fixed:
            self._buf, self._pos = self._buf[self._pos:] + fixed, 0
        return bool(data)

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes (all that are left when ``n`` is negative or None)."""
        if n is None or n < 0:
            parts = [self._buf[self._pos:]]
            self._buf, self._pos = b"", 0
            while self._more(1 << 20):
                parts.append(self._buf)
                self._buf = b""
            parts.append(self._buf)  # what the end of the stream released (a held CR)
            self._buf = b""
            return b"".join(parts)
        while len(self._buf) - self._pos < n and self._more(n - (len(self._buf) - self._pos)):
            pass
        if self._pos == 0 and len(self._buf) <= n:  # the usual case: what was read, as it is
            out, self._buf = self._buf, b""
            return out
        out = self._buf[self._pos:self._pos + n]
        self._pos += len(out)
        return out

    def readline(self) -> bytes:
        """The next line, with its LF (none at the end of the stream)."""
        seen = 0  # bytes after _pos already searched
        while (i := self._buf.find(b"\n", self._pos + seen)) < 0:
            seen = len(self._buf) - self._pos
            if not self._more(max(_LINE_READ, seen)):  # a long line: reads double, so it costs O(n)
                return self.read()
        out = self._buf[self._pos:i + 1]
        self._pos = i + 1
        return out

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def restore_cr(text: str) -> str:
    """``text`` with :data:`CR_STAND_IN` turned back into the CR it stands for."""
    return text.replace(chr(CR_STAND_IN), "\r")


__all__ = ["CR_STAND_IN", "HEAD_BYTES", "LineEnds", "cr_only", "lone_crs", "restore_cr"]
