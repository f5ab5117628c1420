"""Ingest files into a store: open -> detect -> read -> normalise -> write, with accounting.

For every file (and every archive member): ``records_in == stored + quarantined +
duplicates``, where a record is one NMEA message (a sentence group) or one CSV row.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from harborwatch.core.errors import FormatError
from harborwatch.ingest.checks import time_bounds
from harborwatch.ingest.counts import read_counts
from harborwatch.ingest.csv.mapping import Mapping, builtin_mappings, load_mapping
from harborwatch.ingest.csv.reader import read_csv
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.prefetch import prefetch
from harborwatch.ingest.records import NormalizedBatch, NormalizeOptions, normalize
from harborwatch.ingest.sources import Member, detect_format, list_members, open_member, sniff
from harborwatch.ingest.trade import read_comtrade, read_deliveries
from harborwatch.store.store import Store

#: Positions written per transaction at least (with the static rows that come with them): a
#: DuckDB row group (122,880 rows) or more goes straight to the database file, a smaller insert
#: through the write-ahead log, which costs a commit's flush per batch.
WRITE_ROWS = 122_880


class Progress(Protocol):
    def start_file(self, name: str, total_bytes: int, fmt: str) -> None: ...
    def advance(self, bytes_done: int, records: int) -> None: ...
    def end_file(self, report: dict) -> None: ...


class _NoProgress:
    def start_file(self, name: str, total_bytes: int, fmt: str) -> None:
        pass

    def advance(self, bytes_done: int, records: int) -> None:
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
    store: Store, paths: Iterable[str | Path], opt: IngestOptions = IngestOptions(), progress: Progress | None = None
) -> Iterator[dict]:
    """Ingest each path; yield one accounting report (dict) per file or archive member."""
    progress = progress or _NoProgress()
    run_id = uuid.uuid4().hex[:12]
    assume_ms = int(opt.assume_time.timestamp() * 1000) if opt.assume_time else None
    lo, hi = time_bounds(_ms(opt.min_time), _ms(opt.max_time))  # one clock reading per ingest
    members = [m for p in paths for m in list_members(p)]
    for m in members:
        fmt, mapping = _resolve(m, opt)
        receiver = opt.receiver or (mapping.receiver if mapping else "unknown")
        nopt = NormalizeOptions(source_file=m.name, strict=opt.strict, receiver=receiver, assume_time_ms=assume_ms,
                                min_time_ms=lo, max_time_ms=hi)
        store.start_file(run_id, m.name, fmt)
        progress.start_file(m.name, m.size, fmt)
        with open_member(m) as (stream, counter):
            if mapping is None:
                batches = read_nmea(stream)
            else:
                batches = read_csv(stream, mapping, m.name)
            # the next batch is read and normalised in a thread while the ones before are written;
            # they are written together once they hold a DuckDB row group's worth of positions
            pending: list[NormalizedBatch] = []
            for decoded, nb in prefetch(batches, partial(normalize, opt=nopt), depth=1):
                pending.append(nb)
                if sum(b.positions.num_rows for b in pending) >= WRITE_ROWS:
                    _write(store, run_id, m.name, pending)
                    pending = []
                progress.advance(counter.consumed, len(decoded))
            if pending:
                _write(store, run_id, m.name, pending)
            sha = counter.sha256.hexdigest()
        report = store.finish_file(run_id, m.name, sha)
        progress.end_file(report)
        yield report


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _write(store: Store, run_id: str, name: str, nbs: list[NormalizedBatch]) -> None:
    """Normalised batches in one transaction, with their accounting."""
    classes: Counter = Counter()
    for nb in nbs:
        classes.update(nb.mmsi_classes)
    account = {"run_id": run_id, "file": name, "records_in": sum(nb.records_in for nb in nbs),
               "mmsi_classes": dict(classes)}

    def joined(tables: list[pa.Table]) -> pa.Table:
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    primary = {k: joined([nb.primary_tables()[k] for nb in nbs]) for k in nbs[0].primary_tables()}
    store.write_batch(primary, {"static": joined([nb.static_secondary for nb in nbs]),
                                "field_issues": joined([nb.field_issues for nb in nbs])}, account)


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
