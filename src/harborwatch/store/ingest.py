"""Ingest files into a store: open -> detect -> read -> normalise -> write, with accounting.

For every file (and every archive member): ``records_in == stored + quarantined +
duplicates``, where a record is one NMEA message (a sentence group) or one CSV row.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import pickle
import queue
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Protocol, cast

import pyarrow as pa

from harborwatch.core import schema as S
from harborwatch.core.errors import FormatError, HarborwatchError
from harborwatch.core.identifiers import MMSI_CLASS_NAMES, MMSI_VESSEL
from harborwatch.ingest.checks import time_bounds
from harborwatch.ingest.counts import read_counts
from harborwatch.ingest.csv.mapping import Mapping, builtin_mappings, load_mapping
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.prefetch import prefetch
from harborwatch.ingest.records import NormalizedBatch, NormalizeOptions, normalize
from harborwatch.ingest.sources import Member, detect_format, list_members, open_member, sniff
from harborwatch.ingest.trade import read_comtrade, read_deliveries
from harborwatch.store.store import ROW_GROUP, Store

# Positions are written a whole number of DuckDB row groups (store.ROW_GROUP) per insert, with
# the rows that came with them: a row group or more goes straight to the database file (a
# smaller insert goes through the write-ahead log, a commit's flush per batch), and a partial row
# group left at the end of an insert is rewritten when the store closes (0.6 s of 1.7 s for 2.4M
# positions written 131,072 rows at a time).

#: Writes per transaction: a commit costs 30-70 ms (the log's flush), a sixth of a row group's
#: write. A killed ingest keeps what was committed (see DESIGN.md, "Store").
COMMIT_EVERY = 8


class Progress(Protocol):
    """Per-file progress; with ``jobs`` > 1 several files are under way at once (``name`` says which)."""

    def start_file(self, name: str, total_bytes: int, fmt: str) -> None: ...
    def advance(self, bytes_done: int, records: int, name: str) -> None: ...
    def end_file(self, report: dict) -> None: ...


class _NoProgress:
    def start_file(self, name: str, total_bytes: int, fmt: str) -> None:
        pass

    def advance(self, bytes_done: int, records: int, name: str) -> None:
        pass

    def end_file(self, report: dict) -> None:
        pass


@dataclass(frozen=True)
class IngestOptions:
    format: str | None = None  # "nmea", a built-in CSV layout, or None = detect
    mapping: str | Path | None = None  # a TOML mapping file (implies CSV)
    strict: bool = False
    receiver: str | None = None  # overrides the format's receiver kind
    assume_time: datetime | None = None  # timestamp for records that carry none
    min_time: datetime | None = None  # earlier times are implausible (default 2000-01-01)
    max_time: datetime | None = None  # later times are implausible (default: a day after the clock)


def _resolve(m: Member, opt: IngestOptions) -> tuple[str, Mapping | None]:
    if opt.mapping is not None:
        mp = load_mapping(opt.mapping)
        return mp.name, mp
    if opt.format:
        if opt.format == "nmea":
            return "nmea", None
        maps = builtin_mappings()
        if opt.format not in maps:
            raise FormatError(f"unknown format {opt.format!r}", hint=f"known: nmea, {', '.join(maps)}")
        return opt.format, maps[opt.format]
    fmt = detect_format(sniff(m), m.name)
    return fmt, (None if fmt == "nmea" else builtin_mappings()[fmt])


def ingest_files(
    store: Store, paths: Iterable[str | Path], opt: IngestOptions = IngestOptions(), progress: Progress | None = None,
    jobs: int = 1,
) -> Iterator[dict]:
    """Ingest each path; yield one accounting report (dict) per file or archive member.

    With ``jobs`` > 1, that many worker processes read and normalise files (one file each at a
    time) while this process writes; reports then come in the order files finish. Identical
    records in two files are stored once either way, but which file counts them as duplicates
    then depends on which was written first. The workers are spawned, so a script that calls
    this with ``jobs`` > 1 needs the usual ``if __name__ == "__main__":`` guard."""
    progress = progress or _NoProgress()
    run_id = uuid.uuid4().hex[:12]
    assume_ms = int(opt.assume_time.timestamp() * 1000) if opt.assume_time else None
    lo, hi = time_bounds(_ms(opt.min_time), _ms(opt.max_time))  # one clock reading per ingest
    members = [m for p in paths for m in list_members(p)]
    args = (opt, assume_ms, lo, hi)
    if jobs > 1 and len(members) > 1:
        yield from _parallel(store, run_id, members, args, progress, min(jobs, len(members)))
        return
    for m in members:
        w = _FileWriter(store, run_id, m, progress)
        for kind, payload in _member_batches(m, *args):
            if (report := w.on(kind, payload)) is not None:
                yield report


def _member_batches(m: Member, opt: IngestOptions, assume_ms: int | None, lo: int, hi: int
                    ) -> Iterator[tuple[str, object]]:
    """One file's work short of the store: ``("start", format)``, then ``("batch", (normalised
    batch, bytes consumed, records))`` for each batch, then ``("done", sha256)``."""
    fmt, mapping = _resolve(m, opt)
    receiver = opt.receiver or (mapping.receiver if mapping else "unknown")
    nopt = NormalizeOptions(source_file=m.name, strict=opt.strict, receiver=receiver, assume_time_ms=assume_ms,
                            min_time_ms=lo, max_time_ms=hi)
    yield "start", fmt
    with open_member(m) as (stream, counter):
        batches = read_nmea(stream) if mapping is None else read_csv(stream, mapping, m.name)
        # the next batch is read and normalised in a thread while the ones before are handed on
        for decoded, nb in prefetch(batches, partial(normalize, opt=nopt), depth=2):
            yield "batch", (nb, counter.consumed, len(decoded))
        yield "done", counter.sha256.hexdigest()


class _FileWriter:
    """One file's side of the store: its accounting row, and its batches written together once
    they hold a DuckDB row group's worth of positions."""

    def __init__(self, store: Store, run_id: str, m: Member, progress: Progress) -> None:
        self.store, self.run_id, self.m, self.progress = store, run_id, m, progress
        self.pending: list[NormalizedBatch] = []
        self.writes = 0

    def on(self, kind: str, payload: object) -> dict | None:
        """Handle one message of :func:`_member_batches`; the file's report once it is done."""
        if kind == "start":
            self.start(str(payload))
        elif kind == "batch":
            nb, consumed, records = cast(tuple[NormalizedBatch, int, int], payload)
            self.batch(nb, consumed, records)
        else:
            return self.done(str(payload))
        return None

    def start(self, fmt: str) -> None:
        self.store.start_file(self.run_id, self.m.name, fmt)
        self.progress.start_file(self.m.name, self.m.size, fmt)

    def batch(self, nb: NormalizedBatch, consumed: int, records: int) -> None:
        self.pending.append(nb)
        if sum(b.positions.num_rows for b in self.pending) >= ROW_GROUP:
            self.writes += 1
            carried = _write(self.store, self.run_id, self.m.name, self.pending, whole_row_groups=True,
                             commit=self.writes % COMMIT_EVERY == 0)
            self.pending = [carried] if carried is not None else []
        self.progress.advance(consumed, records, self.m.name)

    def done(self, sha: str) -> dict:
        if self.pending:
            _write(self.store, self.run_id, self.m.name, self.pending)
            self.pending = []
        report = self.store.finish_file(self.run_id, self.m.name, sha)
        self.progress.end_file(report)
        return report


def _worker(members: list[Member], args: tuple, tasks, results) -> None:
    """A worker process: read and normalise the files it is given, hand every message on."""
    while (i := tasks.get()) is not None:
        try:
            for kind, payload in _member_batches(members[i], *args):
                results.put((i, kind, payload))
        except BaseException as e:  # raised in the writing process, as it would be without workers
            try:
                pickle.dumps(e)
            except Exception:
                e = HarborwatchError(f"{members[i].name}: {type(e).__name__}: {e}")
            results.put((i, "error", e))
            return


def _parallel(store: Store, run_id: str, members: list[Member], args: tuple, progress: Progress,
              jobs: int) -> Iterator[dict]:
    """:func:`ingest_files` with ``jobs`` worker processes reading and normalising files."""
    ctx = mp.get_context("spawn")  # not fork: this process holds DuckDB's threads
    tasks, results = ctx.Queue(), ctx.Queue(maxsize=4 * jobs)  # bounded: memory stays bounded
    for i in range(len(members)):
        tasks.put(i)
    for _ in range(jobs):
        tasks.put(None)
    procs = [ctx.Process(target=_worker, args=(members, args, tasks, results), daemon=True,
                         name=f"harborwatch-ingest-{k}") for k in range(jobs)]
    for p in procs:
        p.start()
    writers: dict[int, _FileWriter] = {}
    finished = 0
    try:
        while finished < len(members):
            try:
                i, kind, payload = results.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise HarborwatchError(f"an ingest worker died (exit code {dead[0].exitcode})",
                                           hint="run with --jobs 1 to see the error") from None
                continue
            if kind == "error":
                raise payload
            w = writers.setdefault(i, _FileWriter(store, run_id, members[i], progress))
            if (report := w.on(kind, payload)) is not None:
                finished += 1
                yield report
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _write(store: Store, run_id: str, name: str, nbs: list[NormalizedBatch], whole_row_groups: bool = False,
           commit: bool = True) -> NormalizedBatch | None:
    """Normalised batches in one transaction (``commit=False``: left open for the next ones),
    with their accounting. ``whole_row_groups``: the positions beyond the last whole row group
    are not written but returned, as a batch of their own records, for the next write (so the
    accounting of every transaction is exact); with ``commit=False`` too, so are the other
    tables' rows and the derived ones, which the transaction's last write then inserts together
    (one insert a table a transaction, not one a write)."""
    classes: Counter = Counter()
    for nb in nbs:
        classes.update(nb.mmsi_classes)
    records_in = sum(nb.records_in for nb in nbs)

    def joined(tables: list[pa.Table]) -> pa.Table:
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    primary = {k: joined([nb.primary_tables()[k] for nb in nbs]) for k in nbs[0].primary_tables()}
    secondary = {"static": joined([nb.static_secondary for nb in nbs]),
                 "field_issues": joined([nb.field_issues for nb in nbs])}
    carried = None
    pos = primary["positions"]
    tail = pos.num_rows % ROW_GROUP if whole_row_groups else 0
    defer = whole_row_groups and not commit  # the rows other than whole row groups of positions wait
    if tail or defer:
        keep = pos.num_rows - tail
        # positions are vessel records (one each); they count where they are written, and the
        # records of the rows carried count with them
        vessels = Counter({MMSI_CLASS_NAMES[MMSI_VESSEL]: keep})
        carried = NormalizedBatch(
            records_in=records_in - keep if defer else tail, positions=pos.slice(keep),
            static=primary["static"] if defer else S.STATIC.empty_table(),
            static_secondary=secondary["static"] if defer else S.STATIC.empty_table(),
            stations=primary["stations"] if defer else S.STATIONS.empty_table(),
            other_messages=primary["other_messages"] if defer else S.OTHER_MESSAGES.empty_table(),
            quarantine=primary["quarantine"] if defer else S.QUARANTINE.empty_table(),
            mmsi_classes=+(classes - vessels) if defer else Counter({MMSI_CLASS_NAMES[MMSI_VESSEL]: tail}),
            field_issues=secondary["field_issues"] if defer else S.FIELD_ISSUES.empty_table())
        primary["positions"] = pos.slice(0, keep)
        if defer:
            primary, secondary = {"positions": primary["positions"]}, {}
        records_in -= carried.records_in
        classes.subtract(carried.mmsi_classes)
    account = {"run_id": run_id, "file": name, "records_in": records_in, "mmsi_classes": dict(+classes)}
    store.write_batch(primary, secondary, account, commit=commit)
    return carried


def _table_file(store: Store, run_id: str, path: str | Path, fmt: str, tables: dict, records_in: int) -> dict:
    """Store the rows a table file's reader gave (one batch), with the file's accounting row."""
    store.start_file(run_id, str(path), fmt)
    store.write_batch(tables, {}, {"run_id": run_id, "file": str(path), "records_in": records_in})
    return store.finish_file(run_id, str(path), hashlib.sha256(Path(path).read_bytes()).hexdigest())


def ingest_counts(store: Store, paths: Iterable[str | Path], quantity: str = "rail_cars", site: str | None = None,
                  strict: bool = False) -> Iterator[dict]:
    """Ingest counts files (:mod:`harborwatch.ingest.counts`) into the ``counts`` table, with the
    same accounting as AIS files; yield one report per file."""
    run_id = uuid.uuid4().hex[:12]
    for p in paths:
        c = read_counts(p, quantity, site, strict)
        yield _table_file(store, run_id, p, f"counts-{c.fmt}", c.tables(), c.records_in)


def ingest_trade(store: Store, paths: Iterable[str | Path], kind: str = "comtrade", strict: bool = False,
                 source: str | None = None) -> Iterator[dict]:
    """Ingest UN Comtrade bulk CSVs (``kind="comtrade"``) or refined-petroleum delivery tables
    (``kind="deliveries"``) into the ``trade`` / ``petroleum_deliveries`` tables, with the same
    accounting as AIS files; yield one report per file."""
    if kind not in ("comtrade", "deliveries"):
        raise FormatError(f"unknown trade file kind {kind!r}", hint="comtrade or deliveries")
    run_id = uuid.uuid4().hex[:12]
    for p in paths:
        t = read_comtrade(p, strict) if kind == "comtrade" else read_deliveries(p, strict, source=source)
        yield _table_file(store, run_id, p, t.fmt, t.tables(), t.records_in)
