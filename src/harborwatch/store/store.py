"""The embedded store: one DuckDB database file in a directory.

Layout (see DESIGN.md, "Store")::

    DIR/harborwatch.duckdb   tables positions, static, stations, other_messages,
                             quarantine, ingest_files, mid; view identity

* **Idempotent** — every row has a ``record_hash``; a batch is inserted with an anti-join
  against the rows already stored (restricted to the batch's time range, so DuckDB's
  zone maps prune the scan), after de-duplicating the batch itself.
* **Atomic** — one transaction per batch, which also updates the file's accounting row.
  A process killed mid-ingest leaves every committed batch and nothing of the others;
  re-running the same ingest stores the rest and counts the committed part as duplicates.
* **Queryable** — :meth:`Store.sql` returns Arrow; ``harborwatch sql`` prints it;
  :meth:`Store.export_parquet` writes Hive-partitioned Parquet by UTC day for Spark,
  pandas and QGIS.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch import __version__
from harborwatch.core import schema as S
from harborwatch.core.errors import StoreError
from harborwatch.core.identifiers import mid_table
from harborwatch.ingest.validate import first_occurrences
from harborwatch.store.ddl import ACCOUNTING_DDL, IDENTITY_VIEW

DB_NAME = "harborwatch.duckdb"
SCHEMA_VERSION = 1
#: DuckDB buffer pool limit; with the streaming readers this bounds ingest memory (see DESIGN.md).
MEMORY_LIMIT = os.environ.get("HARBORWATCH_DUCKDB_MEMORY", "256MB")
#: Write-ahead log size at which DuckDB folds it into the database file. DuckDB's 16 MB default
#: made a batch's commit rewrite the tables' new row groups every few batches; a store writer
#: checkpoints once when it closes instead (and whenever the log passes this size).
CHECKPOINT_THRESHOLD = "128MB"
#: The most hashes a writer keeps of a table without times (see ``Store._known``): 8 MB.
KNOWN_MAX = 1_000_000
#: Seconds :meth:`Store.open` waits while another process holds the store.
LOCK_WAIT_S = float(os.environ.get("HARBORWATCH_LOCK_WAIT_S", "30"))
#: DuckDB's row group (rows). An insert of whole row groups goes straight to the database file;
#: a partial row group left by an insert is rewritten when the store closes.
ROW_GROUP = 122_880
#: Tables whose inserted rows the accounting counts, and the columns it counts them by.
_COUNTED_BY = {"quarantine": ["reason"], "field_issues": ["field", "reason"]}


def _epoch_ms(table: pa.Table) -> np.ndarray | None:
    """A table's times as epoch milliseconds (None: it has no times)."""
    if "timestamp" not in table.column_names:
        return None
    return pc.cast(table.column("timestamp"), pa.int64()).to_numpy(zero_copy_only=False)


def _connect(db: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, waiting (polling) while another process holds the file's lock."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as e:
            msg = str(e).splitlines()[0]
            if "lock" in msg.lower() and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            raise StoreError(f"{db}: cannot open ({msg})",
                             hint="another harborwatch process is using the store; try again when it is done") from e
        except duckdb.Error as e:
            raise StoreError(f"{db}: not a valid store ({str(e).splitlines()[0]})") from e


class Store:
    """An open harborwatch store. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.con = con
        self._open_batches = False  # a write_batch transaction left open (commit=False)
        #: per table, epoch ms bounds that hold every stored row's time (None: no rows), widened
        #: by each insert; read from the table on first use. One writer holds a store at a time,
        #: and a rolled-back insert only leaves the bounds wider than they need be.
        self._spans: dict[str, tuple[int, int] | None] = {}
        #: per table, the hashes of the rows stored at its latest time (the upper bound of its
        #: span), when this writer inserted them all: the table had no row that late before. A
        #: time-ordered file's next batch shares only that time with the table, so its lookup needs
        #: no query. Dropped on rollback, and wherever ``_spans`` is.
        self._edges: dict[str, tuple[int, np.ndarray]] = {}
        #: per table without times (quarantine), every stored hash, sorted, when this writer
        #: stored them all (the table was empty when it first looked), up to KNOWN_MAX; the
        #: lookup then needs no query. Forgotten (None) on rollback, and wherever ``_spans`` is
        #: dropped; a table not yet looked at is looked at afresh.
        self._known: dict[str, np.ndarray | None] = {}

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, directory: str | Path, *, create: bool = True, read_only: bool = False,
             wait_s: float | None = None) -> Store:
        """Open (or create) the store in ``directory``. DuckDB lets one process write at a time:
        while another holds the store (a ``listen`` commit, an ingest), this waits up to
        ``wait_s`` seconds (``HARBORWATCH_LOCK_WAIT_S``, default 30) before giving up."""
        d = Path(directory)
        db = d / DB_NAME
        if not db.exists():
            if not create or read_only:
                raise StoreError(f"{d}: no harborwatch store here",
                                 hint="ingest something first: harborwatch ingest FILE --store DIR")
            d.mkdir(parents=True, exist_ok=True)
        con = _connect(db, read_only, LOCK_WAIT_S if wait_s is None else wait_s)
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET enable_progress_bar = false")  # harborwatch shows its own progress
        store = cls(d, con)
        if not read_only:
            con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            store._init_schema()
        return store

    def close(self) -> None:
        self.commit_batches()
        self.con.close()  # a writer's close checkpoints the log into the file

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _init_schema(self) -> None:
        c = self.con
        c.execute("BEGIN TRANSACTION")
        try:
            for name, schema in S.TABLES.items():
                exists = c.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
                ).fetchall()[0][0]
                if not exists:
                    empty = schema.empty_table()  # noqa: F841  (referenced by name in SQL)
                    c.execute(f"CREATE TABLE {name} AS SELECT * FROM empty")
                else:  # a store made by an earlier version: add the columns it lacks (null there)
                    self._add_missing_columns(name, schema)
            c.execute(ACCOUNTING_DDL)
            has_mid = c.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'mid'")
            if not has_mid.fetchall()[0][0]:
                mids = pa.table({  # noqa: F841  (referenced by name in SQL)
                    "mid": pa.array(list(mid_table()), pa.int32()),
                    "iso2": [v[0] for v in mid_table().values()],
                    "country": [v[1] for v in mid_table().values()],
                })
                c.execute("CREATE TABLE mid AS SELECT * FROM mids")
            c.execute(IDENTITY_VIEW)
            c.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            # the store's id (named in evidence bundles); made once, kept for the store's life
            c.execute("INSERT INTO meta SELECT 'store_id', ? WHERE NOT EXISTS "
                      "(SELECT 1 FROM meta WHERE key = 'store_id')", [uuid.uuid4().hex])
            c.execute("COMMIT")
        except Exception:
            c.execute("ROLLBACK")
            raise

    def _add_missing_columns(self, name: str, schema: pa.Schema) -> None:
        have = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
        for f in schema:
            if f.name not in have:
                empty = pa.table({f.name: pa.array([], f.type)})  # noqa: F841  (referenced by name in SQL)
                sql_type = self.con.sql(f"SELECT {f.name} FROM empty").types[0]
                self.con.execute(f"ALTER TABLE {name} ADD COLUMN {f.name} {sql_type}")

    # ------------------------------------------------------------------ writing
    def write_batch(self, tables: dict[str, pa.Table], secondary: dict[str, pa.Table], account: dict,
                    commit: bool = True) -> dict[str, int]:
        """Insert one batch atomically; return newly stored rows per table.

        ``tables`` hold primary records (each counts in the accounting), ``secondary``
        records derived from them (static attributes of CSV position rows). ``account`` is
        ``{'run_id', 'file', ...}``; the file's accounting row is updated in the same
        transaction. ``commit=False`` leaves the transaction open for the next batches (a
        commit costs 30-70 ms); :meth:`commit_batches` or a later ``commit=True`` ends it, and an
        error rolls back every batch since the last commit.
        """
        c = self.con
        new: dict[str, int] = {}
        if not self._open_batches:
            c.execute("BEGIN TRANSACTION")
            self._open_batches = True
        try:
            reasons: dict[str, int] = {}
            issues: dict[str, dict[str, int]] = {}
            for name, table in tables.items():
                new[name] = self._insert_dedup(name, table)
                if name == "quarantine":
                    for r in self._returned:
                        reasons[r[0]] = reasons.get(r[0], 0) + 1
            for name, table in secondary.items():
                self._insert_dedup(name, table)
                if name == "field_issues":
                    for f, r in self._returned:
                        by = issues.setdefault(f, {})
                        by[r] = by.get(r, 0) + 1
            self._update_account({**account, "reasons": reasons, "field_issues": issues}, new)
            if commit:
                self.commit_batches()
        except BaseException:
            self._open_batches = False
            self._forget_written()
            c.execute("ROLLBACK")
            raise
        return new

    def _forget_written(self) -> None:
        """Forget what this writer remembers of the rows it wrote (``_edges``, ``_known``): after a
        rollback or a failed commit it may hold rows that were not kept."""
        self._edges.clear()
        self._known = dict.fromkeys(self._known)

    def commit_batches(self) -> None:
        """Commit the batches :meth:`write_batch` left open, if any."""
        if self._open_batches:
            self._open_batches = False
            try:
                self.con.execute("COMMIT")
            except BaseException:
                self._forget_written()
                raise

    def _insert_dedup(self, name: str, table: pa.Table) -> int:
        self._returned: list[tuple] = []
        if table.num_rows == 0:
            return 0
        # the batch's own repeats (the first of each hash stays; a hash table, not a sort), and
        # the hashes already stored
        keep = first_occurrences(table.column("record_hash").to_numpy())
        ms = _epoch_ms(table)  # the batch's times, once for the lookup and the writer's memory
        seen = self._stored_hashes(name, table, ms)
        if seen is not None and len(seen):
            keep &= ~pc.is_in(table["record_hash"], seen).to_numpy(zero_copy_only=False)
        if not keep.any():
            return 0
        # one chunk, copied once: DuckDB inserts several chunks in parallel, and each thread
        # leaves a partial row group that the store's close must rewrite (for 2.4M positions, that
        # doubled the cost). Whole row groups in parallel (one chunk each, insertion order not
        # kept) were tried: no faster on 2 cores, where the readers use the other core, and the
        # rows' order then depends on the threads.
        batch = table.combine_chunks()
        sql = f"INSERT INTO {name} BY NAME SELECT * FROM batch"
        if not keep.all():  # DuckDB drops the rows as it reads them (an Arrow take cost 4x more)
            batch = batch.append_column("_hw_keep", pa.array(keep))
            sql = f"INSERT INTO {name} BY NAME SELECT * EXCLUDE (_hw_keep) FROM batch WHERE _hw_keep"
        before = self._span(name) if ms is not None else None
        self._widen(name, ms)  # before the insert: a failed insert leaves the bounds wider only
        inserted = int(self.con.execute(sql).fetchall()[0][0])
        if ms is not None:
            self._move_edge(name, table, keep, before, ms)
        elif (had := self._known.get(name)) is not None:
            known = np.union1d(had, table.column("record_hash").to_numpy()[keep])
            self._known[name] = known if len(known) <= KNOWN_MAX else None
        if name in _COUNTED_BY:  # the accounting counts the reasons of the rows inserted: the kept ones
            kept = table.select(_COUNTED_BY[name]).filter(pa.array(keep))
            self._returned = list(zip(*(kept.column(c).to_pylist() for c in _COUNTED_BY[name]), strict=True))
            if len(self._returned) != inserted:
                raise StoreError(f"{name}: {inserted} rows inserted, {len(self._returned)} kept")
        return inserted

    def _stored_hashes(self, name: str, table: pa.Table, ms: np.ndarray | None) -> pa.Array | None:
        """The hashes of ``table`` already in table ``name`` (None: none can be).

        Equal hashes mean equal times, so only the batch's rows within the stored rows' time
        bounds can be stored: a batch outside them (a time-ordered file's next batch, bar the
        second it shares with the last) needs no lookup, and otherwise the lookup is restricted
        to the overlap, where DuckDB's zone maps skip the rest of the table and the batch is the
        hash join's small build side. ``ms``: the batch's times (:func:`_epoch_ms`)."""
        batch = table
        if ms is None:
            if name not in self._known:  # first look: an empty table's hashes are all this writer's
                empty = not self.con.execute(f"SELECT 1 FROM {name} LIMIT 1").fetchall()
                self._known[name] = np.zeros(0, np.uint64) if empty else None
            known = self._known[name]
            if known is not None:
                h = table.column("record_hash").to_numpy()
                return pa.array(h[np.isin(h, known)], pa.uint64())
            return self.con.sql(f"SELECT record_hash FROM {name} WHERE record_hash IN "
                                "(SELECT record_hash FROM batch)").to_arrow_table()["record_hash"]
        span = self._span(name)
        if span is None or int(ms.max()) < span[0] or int(ms.min()) > span[1]:
            return None
        lo, hi = max(int(ms.min()), span[0]), min(int(ms.max()), span[1])
        edge = self._edges.get(name)
        if lo == hi == span[1] and edge is not None and edge[0] == lo:  # only the latest time is shared
            at = table.column("record_hash").to_numpy()[ms == lo]
            return pa.array(at[np.isin(at, edge[1])], pa.uint64())
        batch = table.filter(pa.array((ms >= lo) & (ms <= hi)))  # noqa: F841  (in the SQL)
        got = self.con.sql(f"SELECT record_hash FROM {name} WHERE timestamp BETWEEN "
                           "make_timestamptz(?::BIGINT * 1000) AND make_timestamptz(?::BIGINT * 1000) "
                           "AND record_hash IN (SELECT record_hash FROM batch)", params=[lo, hi]).to_arrow_table()
        return got["record_hash"]

    def _move_edge(self, name: str, table: pa.Table, keep: np.ndarray, before: tuple[int, int] | None,
                   ms: np.ndarray) -> None:
        """After an insert of ``table``'s rows ``keep`` (times ``ms``): the hashes at the table's
        latest time (``_edges``), when this writer knows them all. ``before``: the span before the
        insert."""
        hi = int(ms.max())
        new = table.column("record_hash").to_numpy()[keep & (ms == hi)]
        edge = self._edges.get(name)
        if before is None or hi > before[1]:  # no row was as late before: all at hi are these
            self._edges[name] = (hi, new)
        elif hi == before[1] and edge is not None and edge[0] == hi:
            self._edges[name] = (hi, np.concatenate([edge[1], new]))

    def _span(self, name: str) -> tuple[int, int] | None:
        """Epoch ms bounds of table ``name``'s times (see ``_spans``)."""
        if name not in self._spans:
            lo, hi = self.con.execute(f"SELECT epoch_ms(min(timestamp)), epoch_ms(max(timestamp)) FROM {name}"
                                      ).fetchall()[0]
            self._spans[name] = None if lo is None else (int(lo), int(hi))
        return self._spans[name]

    def _widen(self, name: str, ms: np.ndarray | None) -> None:
        """Widen table ``name``'s time bounds by the times ``ms`` of rows being inserted."""
        if ms is not None and len(ms):
            b_lo, b_hi = int(ms.min()), int(ms.max())
            span = self._span(name)
            self._spans[name] = (b_lo, b_hi) if span is None else (min(span[0], b_lo), max(span[1], b_hi))

    def start_file(self, run_id: str, file: str, fmt: str) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO ingest_files (run_id, file, format, sha256, started_at, finished_at, complete, "
            "records_in, stored, quarantined, duplicates, stored_by_table, quarantine_reasons, mmsi_classes, "
            "software_version, field_issues) "
            "VALUES (?, ?, ?, NULL, ?, NULL, false, 0, 0, 0, 0, '{}', '{}', '{}', ?, '{}')",
            [run_id, file, fmt, datetime.now(UTC), __version__],
        )

    def _update_account(self, a: dict, new: dict[str, int]) -> None:
        rows = self.con.execute(
            "SELECT records_in, stored, quarantined, duplicates, stored_by_table, quarantine_reasons, mmsi_classes, "
            "field_issues FROM ingest_files WHERE run_id = ? AND file = ?",
            [a["run_id"], a["file"]],
        ).fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise StoreError(f"no accounting row for {a['file']}")
        rin, stored, quar, dups, by_table, reasons, classes, issues = row
        by_table, reasons, classes = json.loads(by_table), json.loads(reasons), json.loads(classes)
        issues = json.loads(issues or "{}")
        for f, by in a.get("field_issues", {}).items():
            mine = issues.setdefault(f, {})
            for r, k in by.items():
                mine[r] = mine.get(r, 0) + k
        n_q = new.get("quarantine", 0)
        n_s = sum(v for k, v in new.items() if k != "quarantine")
        for k, v in new.items():
            if k != "quarantine" and v:
                by_table[k] = by_table.get(k, 0) + v
        for k, v in a.get("reasons", {}).items():
            reasons[k] = reasons.get(k, 0) + v
        for k, v in a.get("mmsi_classes", {}).items():
            classes[k] = classes.get(k, 0) + v
        self.con.execute(
            "UPDATE ingest_files SET records_in = ?, stored = ?, quarantined = ?, duplicates = ?, "
            "stored_by_table = ?, quarantine_reasons = ?, mmsi_classes = ?, field_issues = ? "
            "WHERE run_id = ? AND file = ?",
            [rin + a["records_in"], stored + n_s, quar + n_q, dups + a["records_in"] - n_s - n_q,
             json.dumps(by_table, sort_keys=True), json.dumps(reasons, sort_keys=True),
             json.dumps(classes, sort_keys=True), json.dumps(issues, sort_keys=True), a["run_id"], a["file"]],
        )

    def finish_file(self, run_id: str, file: str, sha256: str | None) -> dict:
        self.commit_batches()
        self.con.execute(
            "UPDATE ingest_files SET complete = true, finished_at = ?, sha256 = ? WHERE run_id = ? AND file = ?",
            [datetime.now(UTC), sha256, run_id, file],
        )
        return self.file_report(run_id, file)

    def file_report(self, run_id: str, file: str) -> dict:
        cur = self.con.execute("SELECT * FROM ingest_files WHERE run_id = ? AND file = ?", [run_id, file])
        cols = [d[0] for d in cur.description]
        rec = dict(zip(cols, cur.fetchall()[0], strict=True))
        for k in ("stored_by_table", "quarantine_reasons", "mmsi_classes", "field_issues"):
            rec[k] = json.loads(rec[k] or "{}")
        return rec

    # ------------------------------------------------------------------ reading
    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table (``store_id``, ``schema_version``, ``events_config``...), or None."""
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL against the store and return an Arrow table."""
        try:
            rel = self.con.sql(query, params=list(params) if params else None)
            return rel.to_arrow_table() if rel is not None else pa.table({})
        except duckdb.Error as e:
            from harborwatch.core.errors import HarborwatchError

            if isinstance(e, duckdb.OutOfMemoryException):  # no query for the tables' names then
                hint = (f"DuckDB's memory is capped at {MEMORY_LIMIT} for this store; set "
                        "HARBORWATCH_DUCKDB_MEMORY (e.g. 1GB) to raise the cap")
            else:
                hint = "tables: " + ", ".join(self.tables())
            raise HarborwatchError(f"SQL error: {str(e).splitlines()[0]}", hint=hint) from e

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def positions(self, mmsi: int | Sequence[int] | None = None, since: datetime | None = None,
                  until: datetime | None = None) -> pa.Table:
        """Vessel positions ordered by (mmsi, timestamp), optionally filtered."""
        where: list[str] = []
        params: list[Any] = []
        if mmsi is not None:
            ids = [mmsi] if isinstance(mmsi, int) else list(mmsi)
            where.append(f"mmsi IN ({','.join('?' * len(ids))})")
            params += ids
        if since is not None:
            where.append("timestamp >= ?")
            params.append(since)
        if until is not None:
            where.append("timestamp < ?")
            params.append(until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self.sql(f"SELECT * FROM positions {clause} ORDER BY mmsi, timestamp, record_hash", params)

    def identity(self, mmsi: int | None = None) -> pa.Table:
        """Per-MMSI, time-ranged identity history (name, IMO, call sign, type, size, flag)."""
        if mmsi is None:
            return self.sql("SELECT * FROM identity ORDER BY mmsi, valid_from")
        return self.sql("SELECT * FROM identity WHERE mmsi = ? ORDER BY valid_from", [mmsi])

    def _listing(self, columns: str, table: str, order: str, limit: int | None, reason: str | None) -> pa.Table:
        q = f"SELECT {columns} FROM {table}" + (" WHERE reason = ?" if reason else "") + f" ORDER BY {order}"
        if limit:
            q += f" LIMIT {int(limit)}"
        return self.sql(q, [reason] if reason else [])

    def quarantine(self, limit: int | None = None, reason: str | None = None) -> pa.Table:
        """Rejected records: file, line or row, reason, field, detail and the raw text."""
        return self._listing("source_file, source_ref, reason, field, detail, raw", "quarantine",
                             "source_file, source_ref", limit, reason)

    def field_issues(self, limit: int | None = None, reason: str | None = None) -> pa.Table:
        """Stored records with an optional field set to null: file, line or row, field, reason
        and the value as read."""
        return self._listing("source_file, source_ref, field, reason, value", "field_issues",
                             "source_file, source_ref, field", limit, reason)

    def info(self) -> dict:
        have = set(self.tables())  # a store made by an earlier version, opened read-only, may lack some
        counts = {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in S.TABLES if t in have}
        span = self.con.execute(
            "SELECT min(timestamp), max(timestamp), count(DISTINCT mmsi) FROM positions").fetchall()[0]
        files = self.con.execute(
            "SELECT count(*), sum(records_in), sum(stored), sum(quarantined), sum(duplicates) FROM ingest_files"
        ).fetchall()[0]
        # a file is incomplete while no run of it has completed (a killed run that was re-run is done)
        incomplete = self.con.execute(
            "SELECT count(*) FROM (SELECT file FROM ingest_files GROUP BY file HAVING NOT bool_or(complete))"
        ).fetchall()[0][0]
        reasons = self.con.execute("SELECT reason, count(*) FROM quarantine GROUP BY 1 ORDER BY 2 DESC").fetchall()
        db = self.path / DB_NAME
        return {
            "store": str(self.path),
            "size_bytes": db.stat().st_size if db.exists() else 0,
            "rows": counts,
            "vessels": span[2],
            "first_timestamp": span[0].isoformat() if span[0] else None,
            "last_timestamp": span[1].isoformat() if span[1] else None,
            "ingests": {
                "files": files[0], "records_in": int(files[1] or 0), "stored": int(files[2] or 0),
                "quarantined": int(files[3] or 0), "duplicates": int(files[4] or 0), "incomplete": incomplete,
            },
            "quarantine_reasons": dict(reasons),
        }

    def put_rows(self, name: str, table: pa.Table, key: str) -> int:
        """Add the rows of ``table`` whose ``key`` is not yet in table ``name`` (created on first use
        with the Arrow schema). Idempotent: putting the same rows twice adds nothing. Returns rows added."""
        if not name.isidentifier() or not key.isidentifier():
            raise StoreError(f"bad table or key name {name!r}/{key!r}")
        c = self.con
        self.commit_batches()  # its own transaction, after any batches an ingest left open
        self._spans.pop(name, None)  # the time bounds the ingest keeps are read again on next use
        self._edges.pop(name, None)
        self._known[name] = None
        c.register("_incoming", table)
        try:
            c.execute("BEGIN")
            if name not in self.tables():
                c.execute(f"CREATE TABLE {name} AS SELECT * FROM _incoming LIMIT 0")
            before = c.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            c.execute(f"INSERT INTO {name} SELECT * FROM _incoming i WHERE NOT EXISTS "
                      f"(SELECT 1 FROM {name} e WHERE e.{key} = i.{key})")
            after = c.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            c.execute("COMMIT")
        except duckdb.Error as e:
            c.execute("ROLLBACK")
            raise StoreError(f"{self.path}: cannot write {name}: {str(e).splitlines()[0]}") from e
        finally:
            c.unregister("_incoming")
        return int(after - before)

    def export_parquet(self, out_dir: str | Path,
                       tables: Sequence[str] = ("positions", "static", "stations")) -> list[Path]:
        """Write tables as Parquet, Hive-partitioned by UTC day (``day=YYYY-MM-DD``)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for t in tables:
            target = out / t
            self.con.execute(
                f"COPY (SELECT *, strftime(timestamp, '%Y-%m-%d') AS day FROM {t} ORDER BY mmsi, timestamp) "
                f"TO '{target}' (FORMAT PARQUET, PARTITION_BY (day), OVERWRITE_OR_IGNORE true)"
            )
            written.append(target)
        return written

