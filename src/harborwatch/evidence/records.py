"""The raw records an event rests on: found in the store by ``record_hash``, read back from their
source files by ``source_file`` and ``source_ref``, as the text that was ingested.

An NMEA record is its sentence group (the lines of a multi-sentence message, tag blocks
included), re-read with harborwatch's own NMEA reader so the grouping is the one ingest used.
A CSV record is its physical line (``source_ref`` is the line number, the header being line 1);
the header goes with it. Each source file's SHA-256 is compared with the one the store recorded
when it was ingested, so a file changed since then is named instead of quoted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from harborwatch.core.errors import InputFileError, StoreError
from harborwatch.ingest.endings import HEAD_BYTES, LineEnds
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.sources import Member, list_members, open_member
from harborwatch.store.store import Store

#: Store tables whose rows a track event rests on.
RECORD_TABLES = ("positions", "static")


@dataclass(frozen=True)
class Window:
    """One vessel's records from ``since`` (inclusive) to ``until`` (exclusive), UTC."""

    mmsi: int
    since: datetime
    until: datetime


@dataclass
class SourceRecords:
    """The records of one source file, as ingested."""

    source_file: str
    format: str
    receiver: str | None
    sha256: str | None
    lines: dict[int, str] = field(default_factory=dict)  # source_ref -> raw text
    header: str | None = None  # CSV: the header line

    def text(self) -> str:
        """The file of these records: (header and) records in source order, one per line group."""
        body = [self.lines[r] for r in sorted(self.lines)]
        head = [self.header] if self.header is not None else []
        return "\n".join(head + body) + "\n"


def windows_of(events: pa.Table, context_h: float) -> list[Window]:
    """Per vessel of the events (``mmsi`` and ``mmsi_2``), the span of its events widened by
    ``context_h`` on each side, overlapping spans merged."""
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    pad = timedelta(hours=context_h)
    for r in events.select(["mmsi", "mmsi_2", "start", "end"]).to_pylist():
        for m in (r["mmsi"], r["mmsi_2"]):
            if m:  # 0: no AIS identity (a radar detection)
                spans.setdefault(int(m), []).append((r["start"] - pad, r["end"] + pad))
    out = []
    for m, s in sorted(spans.items()):
        s.sort()
        lo, hi = s[0]
        for a, b in s[1:]:
            if a > hi:
                out.append(Window(m, lo, hi))
                lo, hi = a, b
            else:
                hi = max(hi, b)
        out.append(Window(m, lo, hi))
    return out


def select_records(store: Store, windows: Iterable[Window], evidence: Iterable[int],
                   static_lead_h: float = 0.0) -> pa.Table:
    """Positions and static reports of the windows (static from ``static_lead_h`` earlier), and
    every record named in ``evidence``: ``table, mmsi, timestamp, lat, lon (positions; null for
    static reports), record_hash, source_file, source_ref, receiver``, without repeats."""
    parts = []
    cols = "mmsi, timestamp, record_hash, source_file, source_ref, receiver"
    where = {"positions": "lat, lon", "static": "NULL::DOUBLE AS lat, NULL::DOUBLE AS lon"}
    lead = timedelta(hours=static_lead_h)
    for w in windows:
        parts.append(store.sql(f"SELECT 'positions' AS \"table\", {cols}, {where['positions']} FROM positions "
                               "WHERE mmsi = ? AND timestamp >= ? AND timestamp < ?", [w.mmsi, w.since, w.until]))
        parts.append(store.sql(f"SELECT 'static' AS \"table\", {cols}, {where['static']} FROM static "
                               "WHERE mmsi = ? AND timestamp >= ? AND timestamp < ?",
                               [w.mmsi, w.since - lead, w.until]))
    wanted = pa.table({"h": pa.array(sorted(set(evidence)), pa.uint64())})
    store.con.register("_wanted", wanted)
    try:
        for t in RECORD_TABLES:
            parts.append(store.sql(f"SELECT '{t}' AS \"table\", {cols}, {where[t]} FROM {t} "
                                   "JOIN _wanted ON record_hash = h"))
    finally:
        store.con.unregister("_wanted")
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return pa.table({"table": pa.array([], pa.string())})
    t = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    # one row per (table, record_hash): a record in two windows or in a window and the evidence
    t = t.group_by(["table", "record_hash"], use_threads=False).aggregate(
        [(c, "first") for c in ("mmsi", "timestamp", "lat", "lon", "source_file", "source_ref", "receiver")])
    t = t.rename_columns([c.removesuffix("_first") for c in t.column_names])
    return t.sort_by([("source_file", "ascending"), ("source_ref", "ascending"), ("table", "ascending")])


def ingested_file(store: Store, source_file: str) -> tuple[str, str | None]:
    """(format, SHA-256) of the last complete ingest of a source file."""
    rows = store.con.execute(
        "SELECT format, sha256 FROM ingest_files WHERE file = ? AND complete ORDER BY finished_at DESC LIMIT 1",
        [source_file]).fetchall()
    if not rows:
        raise StoreError(f"{store.path}: no complete ingest of {source_file} is recorded",
                         hint="the store's records name a file it has no accounting for")
    return rows[0][0], rows[0][1]


def _member(source_file: str) -> Member:
    path = source_file.split("!", 1)[0]
    if not Path(path).exists():
        raise InputFileError(f"{path}: the source file of stored records is gone",
                             hint="a bundle quotes the records as ingested; put the file back where it was ingested "
                                  "from")
    for m in list_members(path):
        if m.name == source_file:
            return m
    raise InputFileError(f"{source_file}: no such member in {path}")


def read_source(source_file: str, fmt: str, sha256: str | None, refs: set[int],
                receiver: str | None = None) -> SourceRecords:
    """The raw text of the records at ``refs`` of a source file (checked against its SHA-256)."""
    m = _member(source_file)
    rec = SourceRecords(source_file, fmt, receiver, sha256)
    with open_member(m) as (stream, counter):
        if fmt == "nmea":
            want = np.fromiter(refs, np.int64, len(refs))
            for d in read_nmea(stream):
                idx = np.flatnonzero(np.isin(d.ref, want))
                if len(idx):
                    raw = d.raw(idx)
                    texts = raw.to_pylist() if isinstance(raw, pa.Array) else list(raw)
                    rec.lines.update(zip(d.ref[idx].tolist(), texts))
        else:  # lines as the CSV reader counts them (a file whose lines end in CR alone: at each CR)
            for n, line in enumerate(LineEnds(stream, stream.read(HEAD_BYTES), lone=False), start=1):
                if n == 1:
                    rec.header = line.decode("utf-8", "replace").rstrip("\r\n")
                elif n in refs:
                    rec.lines[n] = line.decode("utf-8", "replace").rstrip("\r\n")
        while stream.read(1 << 20):  # the rest, for the hash
            pass
        got = counter.sha256.hexdigest()
    if sha256 and got != sha256:
        raise InputFileError(f"{source_file}: changed since it was ingested (SHA-256 {got[:12]}..., "
                             f"recorded {sha256[:12]}...)", hint="re-ingest it, or restore the file that was ingested")
    missing = sorted(refs - set(rec.lines))
    if missing:
        raise InputFileError(f"{source_file}: no record at line {missing[0]} (of {len(missing)} missing)",
                             hint="the file differs from the one ingested")
    return rec


def read_records(store: Store, records: pa.Table) -> list[SourceRecords]:
    """The raw text of the records of :func:`select_records`, one :class:`SourceRecords` per file."""
    out: list[SourceRecords] = []
    if records.num_rows == 0:
        return out
    by_file: dict[str, set[int]] = {}
    receivers: dict[str, set[str | None]] = {}
    for f, ref, rcv in zip(records["source_file"].to_pylist(), records["source_ref"].to_pylist(),
                           records["receiver"].to_pylist()):
        by_file.setdefault(f, set()).add(int(ref))
        receivers.setdefault(f, set()).add(rcv)
    for f in sorted(by_file):
        fmt, sha = ingested_file(store, f)
        rcv = receivers[f]
        out.append(read_source(f, fmt, sha, by_file[f], next(iter(rcv)) if len(rcv) == 1 else None))
    return out


__all__ = ["RECORD_TABLES", "SourceRecords", "Window", "ingested_file", "read_records", "read_source",
           "select_records", "windows_of"]
