"""CSV blocks parsed in worker threads, numeric columns typed by Arrow's parser, text as fallback.

A file whose records are single lines (the usual export; see :mod:`.quotes`) is cut into blocks
of whole lines. Each block is parsed on its own by ``pyarrow.csv.read_csv`` in a small thread
pool (Arrow lets go of the GIL), so blocks are parsed ahead of decoding, in parallel where there
are cores to spare.

The mapping's plain numeric columns (no prefix to strip, no text codes) are parsed straight to
float64 by Arrow's converters, and its time column is converted to timestamps in the same thread
(by the text path's :func:`.times.parse_times`); the reader then has nothing to convert. A block
where any such value does not convert (a typo, a stray space) is parsed again with every column
as text, which is the reader's exact path: it rejects or nulls the one bad value and names it.
Typed and text parsing give the same values wherever both succeed (tested on every sample), so a
record's content, hash and fate do not depend on the path its block took.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numba import njit

from harborwatch.core.errors import FormatError
from harborwatch.ingest.csv.mapping import NUMERIC_FIELDS, Mapping
from harborwatch.ingest.csv.times import parse_times
from harborwatch.ingest.lines import newline_count as newlines  # a block's lines, read ahead
from harborwatch.ingest.lines import newlines_in
from harborwatch.ingest.prefetch import prefetch

#: Blocks parsed ahead of the one being decoded (each about BLOCK_BYTES of text).
AHEAD = 3
#: Parsing threads: the cores the decoding and writing threads leave (at least one). On 2 cores a
#: second parsing thread only competes with the writer, which is then the bottleneck (2.37M rows:
#: 2.57-2.73 s with one, 2.63-2.92 s with two).
THREADS = max(1, min(AHEAD, (os.cpu_count() or 2) - 2))


@dataclass(frozen=True)
class Parsed:
    """One parsed block: its bytes, the physical line of its first line, the rows (None: none
    parsed), the lines Arrow skipped (physical line, text) and whether numbers came typed."""

    block: bytes | memoryview
    line0: int
    batch: pa.RecordBatch | None
    skipped: list[tuple[int, str]]
    typed: bool
    #: bytes that are not UTF-8 were read as U+FFFD (text parsing only; the reader nulls such text)
    utf8_replaced: bool = False


def typed_columns(header: list[str], m: Mapping) -> dict[str, pa.DataType]:
    """Columns Arrow may parse to numbers or times: used only by plain numeric fields (float64),
    or the time column (timestamp, or float64 for epoch formats) and the milliseconds column."""
    uses: dict[str, set[pa.DataType | None]] = {}
    for name, spec in m.columns.items():
        plain = name in NUMERIC_FIELDS and not spec.strip_prefix and not spec.values
        for c in spec.columns:
            uses.setdefault(c, set()).add(pa.float64() if plain else None)
    epoch = m.time_format in ("unix_s", "unix_ms")
    if not epoch and "%z" in m.time_format:
        uses.setdefault(m.time_column, set()).add(None)  # offsets: the text path's own handling
    else:
        uses.setdefault(m.time_column, set()).add(pa.float64() if epoch else pa.timestamp("ms"))
    if m.ms_column:
        uses.setdefault(m.ms_column, set()).add(pa.float64())
    return {c: next(iter(u)) for c, u in uses.items() if c in header and len(u) == 1 and None not in u}


def parse_block(block: bytes | memoryview, line0: int, header: list[str], m: Mapping, include: list[str],
                typed: dict[str, pa.DataType] | None) -> Parsed:
    """Parse one block (``typed``: these columns as numbers and times, falling back to text for
    the whole block when any value does not convert)."""
    if typed:
        try:
            return _parse(block, line0, header, m, include, typed)
        except pa.ArrowInvalid:
            pass
    try:
        return _parse(block, line0, header, m, include, {})
    except pa.ArrowInvalid as e:
        if "UTF8" not in str(e):
            raise
    # bytes that are not UTF-8 would fail the block: they are read as U+FFFD (newlines are ASCII,
    # so the lines stay where they were)
    fixed = bytes(block).decode("utf-8", errors="replace").encode("utf-8")
    p = _parse(fixed, line0, header, m, include, {})
    return Parsed(block, line0, p.batch, p.skipped, False, utf8_replaced=True)


def _parse(block: bytes | memoryview, line0: int, header: list[str], m: Mapping, include: list[str],
           typed: dict[str, pa.DataType]) -> Parsed:
    skipped: list[tuple[int, str]] = []

    def on_invalid(row) -> str:
        # the row's number is its line within the block, from 1
        skipped.append((line0 + int(row.number) - 1, row.text))
        return "skip"

    # times are read as text and converted after (as the text path does: .times.parse_times):
    # the CSV reader's own timestamp parser took twice as long (23.5 ms against 11.9 + 2.8-5.4
    # with strptime, in runs on this VM, for a 4 MB block of the US West Coast day)
    time_type = typed.get(m.time_column)
    times = time_type is not None and pa.types.is_timestamp(time_type)
    types = {c: pa.string() for c in header} | {c: t for c, t in typed.items() if not (times and c == m.time_column)}
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=include, null_values=list(m.null_values), strings_can_be_null=True,
        quoted_strings_can_be_null=True)
    try:
        t = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(block)),
            read_options=pacsv.ReadOptions(column_names=header, block_size=len(block) + 1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=m.delimiter, invalid_row_handler=on_invalid,
                                             ignore_empty_lines=False),
            convert_options=convert)
    except pa.ArrowInvalid as e:
        if typed or "Empty CSV" not in str(e):
            raise
        t = None
    batch = None
    if t is not None and t.num_rows:
        if times and m.time_column in t.column_names:
            t = _times_typed(t, m.time_column, m.time_format)
        batches = t.combine_chunks().to_batches()
        batch = batches[0] if len(batches) == 1 else pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
        batch, skipped = _without_empty_lines(block, line0, batch, skipped)
    return Parsed(block, line0, batch, skipped, bool(typed))


def row_lines(start: int, nrows: int, skipped: set[int]) -> np.ndarray:
    """The lines of ``nrows`` parsed rows: those from ``start`` on that are not ``skipped``."""
    if not skipped:
        return np.arange(start, start + nrows, dtype=np.int64)
    cand = np.arange(start, start + nrows + len(skipped), dtype=np.int64)
    return cand[~np.isin(cand, np.fromiter(skipped, dtype=np.int64))][:nrows]


def _without_empty_lines(block: bytes | memoryview, line0: int, batch: pa.RecordBatch,
                         skipped: list[tuple[int, str]]) -> tuple[pa.RecordBatch | None, list[tuple[int, str]]]:
    """Arrow reads an empty line as a row of nulls (empty lines are kept, so that rows stay
    lines): such rows leave the batch and join the skipped lines, with an empty text, which are
    no records. A row of empty values (``,,,``) is a record, and stays. Costs nothing unless every
    column has a null."""
    if any(c.null_count == 0 for c in batch.columns):
        return batch, skipped
    null = np.ones(batch.num_rows, bool)
    for c in batch.columns:
        null &= pc.is_null(c).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(null)
    if not len(rows):
        return batch, skipped
    lines = row_lines(line0, batch.num_rows, {n for n, _ in skipped})[rows]
    a = np.frombuffer(block, np.uint8)
    starts, ends = _spans(a, lines - line0)
    size = ends - starts
    empty = (size == 0) | ((size == 1) & (a[np.minimum(starts, len(a) - 1)] == 10)) | (
        (size == 2) & (a[np.minimum(starts, len(a) - 1)] == 13))
    if not empty.any():
        return batch, skipped
    drop = np.zeros(batch.num_rows, bool)
    drop[rows[empty]] = True
    kept = batch.filter(pa.array(~drop))
    return (kept if kept.num_rows else None), sorted(skipped + [(int(n), "") for n in lines[empty]])


def _times_typed(t: pa.Table, column: str, fmt: str) -> pa.Table:
    """The time column converted with ``fmt``; a value that does not convert fails the typed
    parse (:class:`pyarrow.ArrowInvalid`), so the block takes the text path."""
    text = t.column(column)
    ts = parse_times(text, fmt)
    if ts.null_count != text.null_count:
        raise pa.ArrowInvalid(f"a value of {column} does not match {fmt!r}")
    return t.set_column(t.column_names.index(column), column, ts)


def parsed_blocks(blocks: Iterable[bytes | memoryview], header: list[str], m: Mapping, include: list[str],
                  source_name: str) -> Iterator[Parsed]:
    """Each block parsed, in order: the blocks are read (and the file hashed) a thread ahead, and
    parsed by :data:`THREADS` threads, :data:`AHEAD` blocks ahead."""
    typed = typed_columns(header, m)
    pending: deque[tuple[int, Future]] = deque()
    line = 2  # the header is line 1
    it = iter(prefetch(blocks, newlines, depth=2))
    more = True
    with ThreadPoolExecutor(THREADS, thread_name_prefix="harborwatch-csv") as pool:
        try:
            while True:
                while more and len(pending) < AHEAD:
                    nxt = next(it, None)
                    if nxt is None:
                        more = False
                        break
                    block, n_lines = nxt
                    pending.append((line, pool.submit(parse_block, block, line, header, m, include, typed)))
                    line += n_lines
                if not pending:
                    return
                line0, fut = pending.popleft()
                try:
                    yield fut.result()
                except pa.ArrowInvalid as e:
                    raise FormatError(f"{source_name}: CSV parse error in the block from line {line0}: {e}") from e
        finally:
            for _, f in pending:
                f.cancel()


@njit(cache=True, nogil=True)
def _spans(a: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (past the newline) of lines ``wanted`` (0-based, ascending) of bytes ``a``.
    Newlines are counted 8 bytes at a time up to the word holding a wanted line's start."""
    n = len(a)
    starts = np.empty(len(wanted), np.int64)
    ends = np.empty(len(wanted), np.int64)
    words = a[: n - n % 8].view(np.uint64)
    i, line = 0, 0  # line: the line byte i is in
    for k in range(len(wanted)):
        target = wanted[k]
        while line < target and i % 8 != 0 and i < n:  # up to a word boundary
            line += a[i] == 10
            i += 1
        while line < target and i + 8 <= n:
            c = int(newlines_in(words[i // 8]))
            if line + c >= target:
                break
            line += c
            i += 8
        while line < target and i < n:
            line += a[i] == 10
            i += 1
        starts[k] = i
        j = i
        while j < n and a[j] != 10:
            j += 1
        ends[k] = min(j + 1, n)
    return starts, ends


def lines_of(block: bytes | memoryview, line0: int, wanted: list[int]) -> bytes:
    """The lines ``wanted`` (physical numbers within the block, ascending) of a block, in that
    order, each ending in a newline."""
    a = np.frombuffer(block, np.uint8)
    starts, ends = _spans(a, np.asarray(wanted, np.int64) - line0)
    out = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        text = a[s:e].tobytes()
        out.append(text if text.endswith(b"\n") else text + b"\n")
    return b"".join(out)


__all__ = ["AHEAD", "THREADS", "Parsed", "lines_of", "newlines", "parse_block", "parsed_blocks", "row_lines",
           "typed_columns"]
