"""Ingest with worker processes (``jobs``): the same store and accounting as one process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harborwatch.core.errors import DataError
from harborwatch.store import IngestOptions, Store, ingest_files

FILES = ("aisdb_test_data_noaa_20230111.csv", "aisdb_test_data_20210701_spire_decoded.csv",
         "baltic_april_2018_20k_sample.csv", "aisdb_test_data_20211101.nm4", "pyais_nmea_data_sample.txt")
TABLES = ("positions", "static", "stations", "other_messages", "quarantine", "field_issues")
COUNTS = ("format", "records_in", "stored", "quarantined", "duplicates", "stored_by_table", "quarantine_reasons",
          "sha256", "complete")


class _Seen:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.advanced: dict[str, int] = {}
        self.ended: list[str] = []

    def start_file(self, name: str, total_bytes: int, fmt: str) -> None:
        self.started.append(name)

    def advance(self, bytes_done: int, records: int, name: str) -> None:
        assert name in self.started and name not in self.ended
        self.advanced[name] = self.advanced.get(name, 0) + records

    def end_file(self, report: dict) -> None:
        self.ended.append(report["file"])


def _run(store: Path, files: list[Path], jobs: int, **kw) -> tuple[dict[str, dict], dict[str, list], _Seen]:
    seen = _Seen()
    with Store.open(store) as st:
        reports = {r["file"]: r for r in ingest_files(st, files, IngestOptions(**kw), seen, jobs=jobs)}
        rows = {t: sorted(st.sql(f"SELECT record_hash FROM {t}")["record_hash"].to_pylist()) for t in TABLES}
    return reports, rows, seen


@pytest.mark.slow
def test_workers_store_what_one_process_stores(tmp_path: Path, ais_dir: Path):
    files = [ais_dir / f for f in FILES]
    one, rows_one, _ = _run(tmp_path / "one", files, jobs=1)
    two, rows_two, seen = _run(tmp_path / "two", files, jobs=3)
    assert sorted(two) == sorted(one) == sorted(str(f) for f in files)
    for f in one:  # these files share no records, so each file's accounting is the same too
        assert {k: two[f][k] for k in COUNTS} == {k: one[f][k] for k in COUNTS}
        assert two[f]["records_in"] == two[f]["stored"] + two[f]["quarantined"] + two[f]["duplicates"]
    assert rows_two == rows_one and len(rows_one["positions"]) > 20_000
    assert sorted(seen.started) == sorted(seen.ended) == sorted(one)
    assert seen.advanced == {f: one[f]["records_in"] for f in one}
    # again, with workers: every record is a duplicate now
    again, rows_again, _ = _run(tmp_path / "two", files, jobs=2)
    assert rows_again == rows_one and all(r["duplicates"] == r["records_in"] for r in again.values())


def test_a_workers_error_is_raised_with_file_and_line(tmp_path: Path, ais_dir: Path):
    """Strict mode: the first bad record, found in a worker, stops the ingest here."""
    good = tmp_path / "good.nm4"  # the lines before the first bad record
    good.write_text("\n".join((ais_dir / "aisdb_test_data_20211101.nm4").read_text().splitlines()[:140]) + "\n")
    files = [good, ais_dir / "aisdb_test_data_20211101.nm4"]
    with pytest.raises(DataError) as e:
        _run(tmp_path / "s", files, jobs=2, strict=True)
    assert "aisdb_test_data_20211101.nm4:147" in str(e.value) and e.value.reason == "mmsi_invalid"
    with Store.open(tmp_path / "s") as st:  # what was written stays consistent: no half-written batch
        info = st.sql("SELECT file, complete FROM ingest_files").to_pylist()
    assert all(r["file"] in [str(f) for f in files] for r in info)


def test_csv_static_runs_leave_the_identity_view_as_every_row_would(tmp_path: Path, ais_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    """The attributes a CSV repeats on every row are stored as runs (first and last row); the
    identity view (periods, first and last times, report counts) is what storing every row gives."""
    import numpy as np

    from harborwatch.ingest import records

    baltic = (ais_dir / "baltic_april_2018_20k_sample.csv").read_text().splitlines(keepends=True)
    repeated = tmp_path / "baltic_with_repeats.csv"  # every tenth row twice: a repeat is not a report
    repeated.write_text("".join([baltic[0]] + [r for k, r in enumerate(baltic[1:]) for _ in range(1 + (k % 10 == 0))]))
    files = [ais_dir / "aisdb_test_data_noaa_20230111.csv", repeated]
    cols = "mmsi, valid_from, valid_to, n_reports, name, imo, callsign, ship_type, length_m, beam_m, flag"

    def ingest(name: str) -> tuple[list, int, int]:
        with Store.open(tmp_path / name) as st:
            reports = list(ingest_files(st, files))
            ident = st.sql(f"SELECT {cols} FROM identity ORDER BY mmsi, valid_from").to_pylist()
            rows = st.sql("SELECT count(*) AS n, sum(reports) AS r FROM static").to_pylist()[0]
        assert all(r["records_in"] == r["stored"] + r["quarantined"] + r["duplicates"] for r in reports)
        return ident, rows["n"], rows["r"]

    runs, n_runs, r_runs = ingest("runs")
    monkeypatch.setattr(records, "static_runs", lambda m, t, c: (np.arange(len(m)), np.ones(len(m), np.int32)))
    every, n_every, r_every = ingest("every")
    assert runs == every and len(runs) > 100
    assert r_runs == r_every == n_every and n_runs < n_every / 5


def test_whole_row_group_writes_store_and_count_what_single_writes_do(tmp_path: Path, ais_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    """Positions are written in whole row groups, the rest carried to the next write with its
    records, several writes to a transaction whose last write inserts the other tables' rows: the
    store and every count are as with the defaults (which never carry on these small files), and
    every commit leaves the rows stored equal to the accounting."""
    from functools import partial

    from harborwatch.store import ingest as I

    files = [ais_dir / "baltic_april_2018_20k_sample.csv", ais_dir / "aisdb_test_data_noaa_20230111.csv",
             ais_dir / "aisdb_test_data_20211101.nm4"]
    monkeypatch.setattr(I, "read_csv", partial(I.read_csv, block_bytes=64 << 10))  # many batches a file
    want_reports, want_rows, _ = _run(tmp_path / "one", files, 1)
    monkeypatch.setattr(I, "ROW_GROUP", 200)
    monkeypatch.setattr(I, "COMMIT_EVERY", 3)
    writes: list[int] = []
    inserted: list[tuple[bool, set[str]]] = []  # per write: committed, tables given rows
    exact: list[bool] = []  # after each commit: the rows stored are those the accounting counts
    real, real_batch = I._write, Store.write_batch

    def spy(store, run_id, name, nbs, whole_row_groups=False, commit=True):
        carried = real(store, run_id, name, nbs, whole_row_groups, commit)
        if whole_row_groups:
            n = sum(nb.positions.num_rows for nb in nbs) - (carried.positions.num_rows if carried else 0)
            writes.append(n)
        return carried

    def batch_spy(self, tables, secondary, account, commit=True):
        new = real_batch(self, tables, secondary, account, commit)
        inserted.append((commit, {k for k, t in {**tables, **secondary}.items() if t.num_rows}))
        if commit:
            acc = self.sql("SELECT sum(quarantined) AS q, sum(stored) AS s FROM ingest_files")
            rows = self.sql("SELECT (SELECT count(*) FROM quarantine) AS q, (SELECT count(*) FROM positions) + "
                            "(SELECT count(*) FROM stations) + (SELECT count(*) FROM other_messages) AS s")
            by_table = [json.loads(v) for v in self.sql("SELECT stored_by_table FROM ingest_files")[0].to_pylist()]
            static = sum(b.get("static", 0) for b in by_table)
            exact.append(acc["q"][0].as_py() == rows["q"][0].as_py()
                         and acc["s"][0].as_py() - static == rows["s"][0].as_py())
        return new

    monkeypatch.setattr(I, "_write", spy)
    monkeypatch.setattr(Store, "write_batch", batch_spy)
    got_reports, got_rows, _ = _run(tmp_path / "carry", files, 1)
    assert got_rows == want_rows
    for f, r in want_reports.items():
        assert {k: got_reports[f][k] for k in COUNTS} == {k: r[k] for k in COUNTS}
        assert got_reports[f]["mmsi_classes"] == r["mmsi_classes"]
    assert len(writes) > 40 and all(n % 200 == 0 for n in writes)
    assert all(tables <= {"positions"} for commit, tables in inserted if not commit)
    assert sum(1 for commit, tables in inserted if commit and "static" in tables) >= 3
    assert len(exact) > 15 and all(exact)
