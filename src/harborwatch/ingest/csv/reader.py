"""CSV reader: pyarrow's CSV parser + a :class:`Mapping` -> Decoded.

A file of one-line records is parsed in blocks of lines by :mod:`.blocks` (numbers typed by
Arrow where every value of the block converts); otherwise, and for any block where a value does
not convert, every column is read as text and converted here, so that a bad value rejects one
row (with the field named) or is nulled as a field issue, instead of failing a whole block.
``source_ref`` is the physical line in the file (the header is line 1), the number a text editor
shows, counted in line feeds (:mod:`harborwatch.ingest.endings`); in a file whose quoted values
span lines (read by Arrow's streaming reader, which numbers records, not lines) it is the line
the record starts on.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from harborwatch.core.errors import FormatError
from harborwatch.ingest.checks import BAD_TIME, NOT_A_NUMBER, NOT_AN_INTEGER, NOT_UTF8, OUT_OF_RANGE, FieldIssue
from harborwatch.ingest.columns import TS_MISSING
from harborwatch.ingest.csv.blocks import Parsed, lines_of, parse_block, parsed_blocks, row_lines
from harborwatch.ingest.csv.mapping import NUMERIC_FIELDS, TEXT_FIELDS, Mapping, split_header
from harborwatch.ingest.csv.numbers import integer_values, prefixed_integers
from harborwatch.ingest.csv.quotes import SAMPLE_BYTES, STAND_IN, QuoteGuard, restore, spans_lines
from harborwatch.ingest.csv.text import cleaned
from harborwatch.ingest.csv.times import parse_times
from harborwatch.ingest.endings import CR_STAND_IN, HEAD_BYTES, LineEnds, restore_cr
from harborwatch.ingest.prefetch import prefetch
from harborwatch.ingest.records import FLOAT_MATRIX, INT_MATRIX, POSITION_TYPES, Decoded

BLOCK_BYTES = 4 << 20
STATIC_FIELDS = ("imo", "name", "callsign", "ship_type", "ship_type_text", "length_m", "beam_m", "draught_m",
                 "destination", "eta", "deadweight_t", "flag", "eta_month")
INT_LIKE = {"mmsi", "msg_type", "heading_deg", "nav_status", "accuracy", "imo", "ship_type", "eta_month", "eta_day",
            "eta_hour", "eta_minute"}


def read_csv(
    stream: IO[bytes],
    mapping: Mapping,
    source_name: str,
    on_progress: Callable[[int], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[Decoded]:
    ends = LineEnds(stream, stream.read(HEAD_BYTES))  # CR line ends, lone CRs
    first = ends.readline()
    header_text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    header = split_header(header_text, mapping.delimiter)
    # MMSI and time are required; any other mapped field whose column is absent reads as null
    essential = {mapping.time_column, *mapping.columns["mmsi"].columns}
    if mapping.ms_column:
        essential.add(mapping.ms_column)
    missing = sorted(c for c in essential if c not in header)
    if missing:
        raise FormatError(
            f"{source_name}:1: columns {missing} required by mapping {mapping.name!r} are not in the header",
            hint="check --format / --mapping",
        )
    present = set(header)
    mapping = replace(
        mapping, columns={k: v for k, v in mapping.columns.items() if all(c in present for c in v.columns)}
    )
    sample = ends.read(SAMPLE_BYTES)
    if not spans_lines(sample, mapping.delimiter):  # records are lines: blocks, parsed in parallel
        yield from _block_batches(QuoteGuard(ends, sample, block=block_bytes), ends, header, mapping, source_name,
                                  on_progress)
        return
    # quoted values span lines, so a record may be several: Arrow's streaming reader, all text
    invalid: list[tuple[int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((int(row.number) if row.number is not None else -1, row.text))
        return "skip"

    try:
        reader = _open(_Chain(sample, ends), header, mapping, on_invalid, block_bytes, multiline=True)
    except pa.ArrowInvalid as e:
        if "Empty CSV" in str(e):
            return  # a header and no rows: no records
        raise FormatError(f"{source_name}: cannot parse as CSV ({e})") from e
    yield from _batches(reader, invalid, mapping, source_name, header, on_progress, ends)


def _block_batches(guard: QuoteGuard, ends: LineEnds, header: list[str], m: Mapping, source_name: str,
                   on_progress: Callable[[int], None] | None) -> Iterator[Decoded]:
    include = sorted(m.required_columns())
    for p in parsed_blocks(guard.blocks(), header, m, include, source_name):
        nrows = p.batch.num_rows if p.batch is not None else 0
        bad_lines = {n for n, _ in p.skipped}
        lines = row_lines(p.line0, nrows, bad_lines)
        real_bad = [(n, t) for n, t in p.skipped if t.strip() != ""]  # blank lines are not records
        if nrows or real_bad:
            # stand-ins were read (only ever turns true; a block parsed ahead may set it early)
            replaced = guard.replaced or ends.replaced
            d = _decode(p.batch, lines, real_bad, m, source_name, header, replaced, p.utf8_replaced)
            if p.typed and (d.issues or (d.reject_mask is not None and d.reject_mask[:nrows].any())):
                # the text path names a bad value as it was written, and decides its fate
                p = parse_block(p.block, p.line0, header, m, include, None)
                d = _decode(p.batch, lines, real_bad, m, source_name, header, replaced, p.utf8_replaced)
            elif p.typed:
                d.raw = _raw_from_block(p, lines, real_bad, m, header, include)
            if replaced:
                d.raw = _restoring(d.raw)
            yield d
        if on_progress:
            on_progress(nrows + len(p.skipped))


def _raw_from_block(p: Parsed, lines: np.ndarray, bad_rows: list[tuple[int, str]], m: Mapping, header: list[str],
                    include: list[str]) -> Callable[[np.ndarray], list[str]]:
    """The raw-text function of a typed block: the rows asked for are parsed again as text from
    their lines (so they read as the text path writes them)."""
    n_ok = p.batch.num_rows if p.batch is not None else 0
    bad_text = [t for _, t in bad_rows]

    def raw(idx: np.ndarray) -> list[str]:
        rows = [int(i) for i in idx]
        ok = [i for i in rows if i < n_ok]
        texts: dict[int, str] = {}
        if ok:
            sub = parse_block(lines_of(p.block, p.line0, [int(lines[i]) for i in ok]), 2, header, m, include, None)
            texts = dict(zip(ok, _raw_texts(sub.batch, [], m, header)(np.arange(len(ok))), strict=True))
        return [texts[i] if i < n_ok else bad_text[i - n_ok] for i in rows]

    return raw


class _Chain(io.RawIOBase):
    """Bytes read ahead, then the rest of the stream."""

    def __init__(self, head: bytes, rest) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buf))
        buf[:len(data)] = data
        return len(data)


def _restoring(raw: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], list[str]]:
    """The raw-text function of a batch, with stray quotes and lone CRs (read as stand-ins) restored."""
    def wrapped(idx: np.ndarray) -> list[str]:
        return [restore_cr(t.replace(chr(STAND_IN), '"')) for t in raw(idx)]
    return wrapped


def _open(stream, header, mapping, on_invalid, block_bytes, multiline: bool = False):
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(column_names=header, block_size=block_bytes, use_threads=False),
        parse_options=pacsv.ParseOptions(
            delimiter=mapping.delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False,
            newlines_in_values=multiline,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            # a file whose values span lines: every column, whose line feeds count (_physical_lines)
            include_columns=list(dict.fromkeys(header)) if multiline else sorted(mapping.required_columns()),
            null_values=list(mapping.null_values),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _parsed(reader, invalid: list) -> Iterator[tuple[pa.RecordBatch | None, list, Exception | None]]:
    """(batch, the rows Arrow skipped while parsing it, parse error) until the end (batch None)."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            batch = None
        except pa.ArrowInvalid as e:
            yield None, [], e
            return
        skipped = list(invalid)
        invalid.clear()
        yield batch, skipped, None
        if batch is None:
            return


def _batches(reader, invalid, mapping, source_name, header, on_progress, ends: LineEnds) -> Iterator[Decoded]:
    next_record = 2  # Arrow's number of the next record (the header is record 1)
    next_line = 2  # the physical line it starts on (the header is line 1)
    keep = sorted(mapping.required_columns())
    pending: dict[int, str] = {}  # skipped rows not yet placed: record number -> text
    # Arrow parses the next blocks in a thread of its own (it lets go of the GIL), while this
    # thread converts the ones before
    for (batch, skipped, error), _ in prefetch(_parsed(reader, invalid), lambda x: None, depth=2):
        if error is not None:
            raise FormatError(f"{source_name}: CSV parse error near line {next_line}: {error}") from error
        # rows Arrow skipped (wrong column count), by record number, which Arrow counts from the
        # start of the stream *after* the header we consumed. Arrow parses ahead, so a row may be
        # reported before the batch it belongs to: it waits for the batch whose records pass it.
        pending.update((n + 1, t) for n, t in skipped)
        nrows = batch.num_rows if batch is not None else 0
        records = row_lines(next_record, nrows, set(pending))
        upto = _placed_upto(records, batch, pending, next_record)
        bad = [(n, pending.pop(n)) for n in sorted(pending) if n <= upto]
        lines, bad_lines, next_record, next_line = _physical_lines(batch, records, bad, next_record, next_line)
        # a skipped blank line is not a record
        real_bad = [(int(n), t) for n, (_, t) in zip(bad_lines, bad, strict=True) if t.strip() != ""]
        if nrows or real_bad:
            d = _decode(None if batch is None else batch.select(keep), lines, real_bad, mapping, source_name, header,
                        ends.replaced)
            if ends.replaced:
                d.raw = _restoring(d.raw)
            yield d
        if on_progress:
            on_progress(nrows + len(bad))
        if batch is None:
            return


def _placed_upto(records: np.ndarray, batch: pa.RecordBatch | None, pending: dict[int, str], next_record: int) -> int:
    """The last record number a streamed batch accounts for: its last row's; at the end, every
    skipped row's; for a batch of skipped rows only, the run of them from ``next_record`` (a row
    past a gap belongs to a batch still to come)."""
    if len(records):
        return int(records[-1])
    if batch is None:
        return max(pending, default=0)
    upto = next_record - 1
    while upto + 1 in pending:
        upto += 1
    return upto


def _physical_lines(batch: pa.RecordBatch | None, records: np.ndarray, bad: list[tuple[int, str]], next_record: int,
                    next_line: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The first physical lines of a streamed batch's records (the parsed rows, numbered
    ``records``, and the ``bad`` ones Arrow skipped, with their texts): a record spans one line
    and one more for each LF in its values (every column is read) or text. Returns those of the
    rows, those of the bad ones, and the next record's number and line."""
    lfs = np.zeros(len(records), np.int64)
    for col in batch.columns if batch is not None else []:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            lfs += pc.fill_null(pc.count_substring(col, "\n"), 0).to_numpy(zero_copy_only=False)
    rec = np.concatenate([records, np.array([n for n, _ in bad], np.int64)])
    extra = np.concatenate([lfs, np.array([t.count("\n") for _, t in bad], np.int64)])
    if not len(rec):
        return records, rec, next_record, next_line
    o = np.argsort(rec, kind="stable")
    lines = np.empty_like(rec)
    lines[o] = next_line + (rec[o] - next_record) + np.cumsum(extra[o]) - extra[o]
    last = int(rec.max())
    return (lines[:len(records)], lines[len(records):], last + 1,
            next_line + last + 1 - next_record + int(extra.sum()))


def _to_float(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values, bad) where bad marks non-null text that is not a number. "nan" (any case, as
    Python and numpy print a missing float) is NaN, so null, on both paths, as the block parser's
    typed numbers have it; "inf" is an infinity, which the range checks then reject."""
    try:
        vals = pc.cast(col, pa.float64())
        return vals.to_numpy(zero_copy_only=False), np.zeros(len(col), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        s = pd.Series(col.to_numpy(zero_copy_only=False), dtype=object).str.strip()
        num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(num) & s.notna().to_numpy() & ~s.str.lower().isin(_NAN_TEXT).to_numpy()
        return num, bad


#: Text a float cast reads as NaN (Arrow's and pandas' parsers agree on these).
_NAN_TEXT = ("nan", "+nan", "-nan")


def _parse_time(col: pa.Array, fmt: str, tz: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(epoch ms with TS_MISSING, bad) for a text column."""
    n = len(col)
    if fmt in ("unix_s", "unix_ms"):
        vals, bad = _to_float(col)
        ms = vals * (1000.0 if fmt == "unix_s" else 1.0)
        out = np.where(np.isnan(ms), TS_MISSING, np.round(np.nan_to_num(ms))).astype(np.int64)
        return out, bad
    if pa.types.is_timestamp(col.type):  # converted by the block parser, with the same format
        parsed, bad = col, np.zeros(n, dtype=bool)
    else:
        parsed = parse_times(col, fmt)
        unparsed = (parsed.is_null() if n else pa.array([], pa.bool_())).to_numpy(zero_copy_only=False)
        bad = unparsed & ~col.is_null().to_numpy(zero_copy_only=False)
    ms = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)
    ms = np.where(pd.isna(ms), TS_MISSING, ms).astype(np.int64) if parsed.null_count else ms.astype(np.int64)
    if tz and tz.upper() != "UTC" and "%z" not in fmt:
        ok = ms != TS_MISSING
        if ok.any():
            local = pd.to_datetime(ms[ok], unit="ms").tz_localize(ZoneInfo(tz), ambiguous="NaT", nonexistent="NaT")
            conv = local.tz_convert("UTC").as_unit("ms").asi8
            ms[ok] = np.where(local.isna(), TS_MISSING, conv)
    return ms, bad


class _Rejects:
    """The first reason, field and detail of each row's rejection (None: not rejected)."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.field = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)
        self.mask = np.zeros(n, dtype=bool)  # rejected rows (reason is not None)

    def mark(self, bad: np.ndarray, reason: str, field: str | None, detail: Callable[..., str]) -> None:
        """Reject the rows where ``bad`` (the first reason wins); ``detail(row)`` says why."""
        for i in np.flatnonzero(bad & ~self.mask):
            self.reason[i] = reason
            self.field[i] = field
            self.detail[i] = detail(int(i))
            self.mask[i] = True


def _restored(col: pa.Array) -> pa.Array:
    """A column with stray quotes and lone CRs (read as :data:`~harborwatch.ingest.csv.quotes.STAND_IN`
    and :data:`~harborwatch.ingest.endings.CR_STAND_IN`) back."""
    if col.null_count == len(col) or not pa.types.is_string(col.type):
        return col
    if pc.any(pc.match_substring(col, chr(STAND_IN))).as_py():
        col = restore(col)
    if pc.any(pc.match_substring(col, chr(CR_STAND_IN))).as_py():
        col = pc.replace_substring(col, chr(CR_STAND_IN), "\r")
    return col


def _numeric(spec, get: dict, n_ok: int) -> tuple[np.ndarray, np.ndarray]:
    """A numeric field's values (the sum of its columns, scaled) and which rows failed to parse."""
    total: np.ndarray | None = None  # one column (the usual case): its values, not a sum
    anybad = np.zeros(n_ok, dtype=bool)
    for c in spec.columns:
        col = get[c]
        if spec.strip_prefix and not spec.values:
            fast = prefixed_integers(col, spec.strip_prefix)
            if fast is not None:  # plain digits behind the prefix: what the general path reads
                total = fast if total is None else total + fast
                continue
        if spec.strip_prefix:
            col = pc.replace_substring_regex(col, f"^{spec.strip_prefix}", "")
        if spec.values:
            mapped = pd.Series(col.to_numpy(zero_copy_only=False), dtype=object).map(spec.values)
            unknown = mapped.isna().to_numpy() & ~col.is_null().to_numpy(zero_copy_only=False)
            vals = mapped.to_numpy(dtype=np.float64, na_value=np.nan)
            # numbers are accepted as codes too
            num, nbad = _to_float(col)
            vals = np.where(unknown & ~nbad, num, vals)
            bad = unknown & nbad
        else:
            vals, bad = _to_float(col)
        total = vals if total is None else total + vals
        anybad |= bad
    if total is None:
        total = np.zeros(n_ok)
    return (total if spec.scale == 1 else total * spec.scale), anybad


#: Fields that make a record: a value that does not parse rejects the row. Any other field that
#: does not parse is stored as null and counted as a field issue.
ESSENTIAL = ("mmsi", "lat", "lon", "msg_type")


#: The largest integer field value (identifiers and codes are stored in 32 bits).
INT_MAX = 2**31 - 1


def _bad(rej: _Rejects, issues: list[FieldIssue], bad: np.ndarray, pad: int, name: str, reason: str,
         quarantine_reason: str, col: pa.Array, column: str, what: str) -> None:
    """Rows whose value of field ``name`` (column ``column``) is bad: rejected when the field is
    essential, else a field issue."""
    if name in ESSENTIAL:
        if bad.any():
            rej.mark(np.pad(bad, (0, pad)), quarantine_reason, name, lambda i: f"{column}={col[i].as_py()!r} {what}")
    elif bad.any():
        rows = np.flatnonzero(bad)
        issues.append(FieldIssue(rows, name, reason, [str(col[int(i)].as_py()) for i in rows]))


def _matrices(n: int) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """The normaliser's two field matrices (:data:`FLOAT_MATRIX`, :data:`INT_MATRIX`) for ``n``
    rows, all missing, and their rows by field: the fields are parsed into them, not stacked
    there afterwards. CSV sources give the rate of turn in degrees a minute (``rot_raw`` -1000)."""
    fl = np.full((len(FLOAT_MATRIX), n), np.nan)
    it = np.full((len(INT_MATRIX), n), -1, dtype=np.int64)
    it[INT_MATRIX.index("rot_raw")] = -1000
    return (fl, it), {**{f: fl[k] for k, f in enumerate(FLOAT_MATRIX)}, **{f: it[k] for k, f in enumerate(INT_MATRIX)}}


def _fields(get: dict, m: Mapping, n: int, n_ok: int, rej: _Rejects, issues: list[FieldIssue],
            utf8_replaced: bool = False, into: dict[str, np.ndarray] | None = None,
            ) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Every mapped field as a column of ``n`` rows (the parsed rows first): (other columns,
    MMSI, message type); values that do not parse reject their row (essential fields, naming the
    field) or become null with a field issue. A field with a row in ``into`` (see
    :func:`_matrices`) is parsed into it."""
    pad = n - n_ok
    into = into or {}
    cols: dict[str, np.ndarray] = {}
    mmsi = np.full(n, -1, dtype=np.int64)
    msg_type = np.full(n, -1, dtype=np.int64)
    for name, spec in m.columns.items():
        if name in NUMERIC_FIELDS:
            values, anybad = _numeric(spec, get, n_ok)
            col0 = get[spec.columns[0]]
            _bad(rej, issues, anybad, pad, name, NOT_A_NUMBER, "bad_value", col0, spec.columns[0], "is not a number")
            if name in INT_LIKE:
                # identifiers and codes fit 31 bits: a larger number would wrap when stored
                ints, frac, huge = integer_values(values, INT_MAX)
                _bad(rej, issues, frac, pad, name, NOT_AN_INTEGER, "bad_value", col0, spec.columns[0],
                     "is not an integer")
                _bad(rej, issues, huge, pad, name, OUT_OF_RANGE, "bad_value", col0, spec.columns[0],
                     f"is larger than {INT_MAX:,}")
                arr = into[name] if name in into else np.full(n, -1, dtype=np.int64)
                arr[:n_ok] = ints
            else:
                arr = into[name] if name in into else np.full(n, np.nan)
                arr[:n_ok] = values
            if name == "mmsi":
                mmsi = arr
            elif name == "msg_type":
                msg_type = arr
            else:
                cols[name] = arr
        elif name in TEXT_FIELDS:  # kept as Arrow text: trimmed, empty -> null, some upper case
            text = cleaned(get[spec.columns[0]], upper=name in ("name", "callsign", "destination"))
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            if utf8_replaced:  # bytes that were not UTF-8: the field is null, and counted
                bad = pc.fill_null(pc.match_substring(text, "\ufffd"), False).to_numpy(zero_copy_only=False)
                if bad.any():
                    rows = np.flatnonzero(bad)
                    issues.append(FieldIssue(rows, name, NOT_UTF8, [text[int(i)].as_py() for i in rows]))
                    text = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)
            cols[name] = pa.concat_arrays([text, pa.nulls(pad, pa.string())]) if pad else text
        elif name == "eta":
            eta_col, eta_fmt = get[spec.columns[0]], spec.format or m.time_format
            e, ebad = _parse_time(eta_col, eta_fmt, m.timezone)
            _bad(rej, issues, ebad, pad, name, BAD_TIME, "bad_value", eta_col, spec.columns[0],
                 f"does not match {eta_fmt!r}")
            arr = np.full(n, TS_MISSING, dtype=np.int64)
            arr[:n_ok] = e
            cols["eta_ms"] = arr
    return cols, mmsi, msg_type


def _times(get: dict, m: Mapping, n: int, n_ok: int, rej: _Rejects) -> np.ndarray:
    """Epoch milliseconds of each row (the time column, plus the milliseconds column if mapped)."""
    pad = n - n_ok
    ts = np.full(n, TS_MISSING, dtype=np.int64)
    t, tbad = _parse_time(get[m.time_column], m.time_format, m.timezone)
    tcol = get[m.time_column]
    rej.mark(np.pad(tbad, (0, pad)), "bad_timestamp", m.time_column,
             lambda i: f"{m.time_column}={tcol[i].as_py()!r} does not match {m.time_format!r}")
    if m.ms_column:
        ms_col = get[m.ms_column]
        extra, ebad = _to_float(ms_col)
        rej.mark(np.pad(ebad, (0, pad)), "bad_timestamp", m.ms_column,
                 lambda i: f"{m.ms_column}={ms_col[i].as_py()!r} is not a number of milliseconds")
        t = np.where((t != TS_MISSING) & ~np.isnan(extra), t + np.nan_to_num(extra).astype(np.int64), t)
    ts[:n_ok] = t
    return ts


def _has_static(cols: dict, n: int) -> np.ndarray:
    """Rows that carry any static field."""
    has_static = np.zeros(n, dtype=bool)
    for f in STATIC_FIELDS:
        key = "eta_ms" if f == "eta" else f
        if key not in cols:
            continue
        a = cols[key]
        if isinstance(a, pa.Array):
            has_static |= a.is_valid().to_numpy(zero_copy_only=False)
        elif a.dtype == object:
            has_static |= a != None  # noqa: E711
        elif a.dtype.kind == "f":
            has_static |= ~np.isnan(a)
        elif key == "eta_ms":
            has_static |= a != TS_MISSING
        else:
            has_static |= a >= 0
    return has_static


def _raw_texts(batch: pa.RecordBatch | None, bad_rows: list[tuple[int, str]], m: Mapping,
               header: list[str]) -> Callable[[np.ndarray], list[str]]:
    """Function (rows) -> each row's text as read: ``column=value`` joined by the delimiter for
    parsed rows, the line itself for rows with the wrong number of columns."""
    n_ok = batch.num_rows if batch is not None else 0
    delim = m.delimiter
    names = [c for c in header if batch is not None and c in batch.schema.names]
    bad_text = [t for _, t in bad_rows]

    def raw(idx: np.ndarray) -> list[str]:
        rows = np.asarray(idx, dtype=np.int64)
        parsed = rows < n_ok
        out: list[str] = [""] * len(rows)
        if batch is not None and parsed.any():
            sub = batch.take(pa.array(rows[parsed]))
            cells = [pc.binary_join_element_wise(f"{c}=", pc.fill_null(pc.cast(sub.column(c), pa.string()), ""), "")
                     for c in names]
            texts = pc.binary_join_element_wise(*cells, delim).to_pylist() if cells else [""] * len(sub)
            for k, t in zip(np.flatnonzero(parsed).tolist(), texts, strict=True):
                out[k] = t
        for k in np.flatnonzero(~parsed).tolist():
            out[k] = bad_text[int(rows[k]) - n_ok]
        return out

    return raw


def _decode(
    batch: pa.RecordBatch | None, lines: np.ndarray, bad_rows: list[tuple[int, str]], m: Mapping, source: str,
    header: list[str], stand_ins: bool = False, utf8_replaced: bool = False,
) -> Decoded:
    n_ok = batch.num_rows if batch is not None else 0
    n = n_ok + len(bad_rows)
    rej = _Rejects(n)
    issues: list[FieldIssue] = []
    ref = np.concatenate([lines, np.array([b[0] for b in bad_rows], dtype=np.int64)])
    cols: dict[str, Any] = {}
    ts = np.full(n, TS_MISSING, dtype=np.int64)
    mmsi = np.full(n, -1, dtype=np.int64)
    msg_type = np.full(n, -1, dtype=np.int64)
    matrices, into = _matrices(n)
    if n_ok and batch is not None:
        get = {name: _restored(batch.column(name)) if stand_ins else batch.column(name)
               for name in batch.schema.names}
        ts = _times(get, m, n, n_ok, rej)
        cols, mmsi, msg_type = _fields(get, m, n, n_ok, rej, issues, utf8_replaced, into)
        mmsi_col = get[m.columns["mmsi"].columns[0]]
        rej.mark(np.pad(mmsi[:n_ok] < 0, (0, len(bad_rows))), "missing_mmsi", "mmsi",
                 lambda i: f"MMSI={mmsi_col[i].as_py()!r}")
    texts = [text for _line, text in bad_rows]
    rej.mark(np.arange(n) >= n_ok, "wrong_column_count", None,
             lambda i: f"{len(texts[i - n_ok].split(m.delimiter))} columns, header has {len(header)}")

    lat = cols.get("lat", np.full(n, np.nan))
    lon = cols.get("lon", np.full(n, np.nan))
    if "msg_type" in m.columns:
        has_pos = np.isin(msg_type, POSITION_TYPES)
    else:
        has_pos = ~np.isnan(lat) | ~np.isnan(lon)
    has_static = _has_static(cols, n)
    ok = ~rej.mask
    has_pos &= ok
    has_static &= ok
    if "msg_type" in m.columns:
        # a decoded-message dump: only static message types carry static data
        has_static &= np.isin(msg_type, (5, 19, 24)) | (msg_type < 0) | has_pos
    cols["reject_field"] = rej.field
    cols["reject_detail"] = rej.detail
    station = cols.pop("station", None)
    return Decoded(
        ref=ref, ts_ms=ts, mmsi=mmsi, msg_type=msg_type, has_pos=has_pos, has_static=has_static,
        raw=_raw_texts(batch, bad_rows, m, header), cols=cols, station=station, reject=rej.reason,
        reject_mask=rej.mask, issues=issues, time_source=f"column {m.time_column}", matrices=matrices,
    )
