"""Store: exact accounting on every real sample, idempotence, atomicity under kill -9, identity history."""

from __future__ import annotations

import bz2
import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from harborwatch.store import IngestOptions, Store, ingest_files
from harborwatch.store.store import ROW_GROUP

EXPECTED = {  # file: (records_in, vessels with positions) -- figures from the real files
    "aisdb_test_data_noaa_20230111.csv": (1000, 997),
    "aisdb_test_data_20210701_spire_decoded.csv": (2498, None),
    "baltic_april_2018_20k_sample.csv": (19999, 387),
    "aisdb_test_data_20211101.nm4": (979, None),
    "pyais_nmea_data_sample.txt": (898, None),
}


def _ingest(store_dir: Path, paths, **kw) -> list[dict]:
    with Store.open(store_dir) as st:
        return list(ingest_files(st, paths, IngestOptions(**kw)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accounting_identity_on_real_files(tmp_path: Path, ais_dir: Path, name: str):
    (rep,) = _ingest(tmp_path / "s", [ais_dir / name])
    assert rep["records_in"] == rep["stored"] + rep["quarantined"] + rep["duplicates"]
    assert rep["records_in"] == EXPECTED[name][0]
    assert rep["complete"] and len(rep["sha256"]) == 64
    with Store.open(tmp_path / "s") as st:
        q = st.sql("SELECT count(*) AS n FROM quarantine").column("n")[0].as_py()
        stored = sum(st.sql(f"SELECT count(*) AS n FROM {t}").column("n")[0].as_py()
                     for t in ("positions", "static", "stations", "other_messages"))
        assert q == rep["quarantined"]
        assert stored >= rep["stored"]  # plus static attributes carried by CSV position rows
        vessels = EXPECTED[name][1]
        if vessels is not None:
            assert st.sql("SELECT count(DISTINCT mmsi) AS n FROM positions").column("n")[0].as_py() == vessels


def test_every_shared_file_ingests_and_reingest_adds_nothing(tmp_path: Path, ais_dir: Path):
    """The samples whose counts are known (``EXPECTED``; larger files in the folder, like the
    473k-row NOAA day, are left to the benchmarks)."""
    files = [ais_dir / n for n in sorted(EXPECTED)]
    first = _ingest(tmp_path / "s", files)
    with Store.open(tmp_path / "s") as st:
        before = st.info()["rows"]
    again = _ingest(tmp_path / "s", files)
    with Store.open(tmp_path / "s") as st:
        assert st.info()["rows"] == before
    for r in again:
        assert r["stored"] == 0 and r["quarantined"] == 0 and r["duplicates"] == r["records_in"]
    assert sum(r["records_in"] for r in first) == sum(v[0] for v in EXPECTED.values())


def test_same_records_in_compressed_copies_add_nothing(tmp_path: Path, ais_dir: Path):
    src = ais_dir / "aisdb_test_data_20211101.nm4"
    data = src.read_bytes()
    gz, bz, zp = tmp_path / "a.gz", tmp_path / "b.bz2", tmp_path / "c.zip"
    gz.write_bytes(gzip.compress(data))
    bz.write_bytes(bz2.compress(data))
    with zipfile.ZipFile(zp, "w") as z:
        z.writestr("inner/feed.nm4", data)
    reps = _ingest(tmp_path / "s", [src, gz, bz, zp])
    assert reps[0]["stored"] > 900
    assert [r["stored"] + r["quarantined"] for r in reps[1:]] == [0, 0, 0]
    assert reps[3]["file"].endswith("c.zip!inner/feed.nm4")


def test_duplicate_sentence_from_second_receiver_is_a_duplicate(tmp_path: Path, ais_dir: Path):
    lines = (ais_dir / "aisdb_test_data_20211101.nm4").read_text().splitlines()
    line = next(ln for ln in lines if ",1,1," in ln and "s:" in ln)
    other = line.replace("s:", "s:9", 1)  # a different station (tag checksum now wrong for this variant)
    from functools import reduce
    from operator import xor

    body = other[1:other.index("*")]
    other = "\\" + body + "*" + f"{reduce(xor, body.encode(), 0):02X}" + other[other.index("\\", 1):]
    p = tmp_path / "two.nm4"
    p.write_text(line + "\n" + other + "\n")
    (rep,) = _ingest(tmp_path / "s", [p])
    assert (rep["stored"], rep["duplicates"], rep["quarantined"]) == (1, 1, 0)


def test_strict_mode_stops_with_file_and_line(tmp_path: Path, ais_dir: Path):
    from harborwatch.core.errors import DataError

    with pytest.raises(DataError) as e:
        _ingest(tmp_path / "s", [ais_dir / "aisdb_test_data_20211101.nm4"], strict=True)
    assert "aisdb_test_data_20211101.nm4:147" in str(e.value) and e.value.reason == "mmsi_invalid"


def test_identity_history_follows_a_rename(tmp_path: Path):
    p = tmp_path / "renames.csv"
    p.write_text(
        "SHIP_ID;MMSI;IMO;SHIPNAME;CALLSIGN;FLAG;LAT;LON;SPEED_KNOTSx10;COURSE;HEADING;STATUS;TIMESTAMP_UTC\n"
        "1;273312980;9305609;OLD NAME;UBAH3;RU;42.1;131.0;0;0;0;5;2023-05-01 00:00:00\n"
        "1;273312980;9305609;OLD NAME;UBAH3;RU;42.1;131.0;0;0;0;5;2023-05-02 00:00:00\n"
        "1;273312980;9305609;NEW NAME;UBAH3;KM;42.1;131.0;0;0;0;5;2023-06-01 00:00:00\n"
        "1;273312980;9305608;NEW NAME;UBAH3;KM;42.1;131.0;0;0;0;5;2023-06-02 00:00:00\n"
    )
    _ingest(tmp_path / "s", [p])
    with Store.open(tmp_path / "s") as st:
        hist = st.identity(273312980).to_pylist()
    assert [h["name"] for h in hist] == ["OLD NAME", "NEW NAME", "NEW NAME"]
    assert [h["flag_reported"] for h in hist] == ["RU", "KM", "KM"]
    assert hist[0]["n_reports"] == 2 and hist[0]["flag"] == "RU"
    assert hist[2]["imo"] == 9305609 and hist[2]["imo_invalid_reported"] == 9305608  # bad check digit kept apart


def test_python_api_returns_arrow_and_pandas(tmp_path: Path, ais_dir: Path):
    _ingest(tmp_path / "s", [ais_dir / "baltic_april_2018_20k_sample.csv"])
    with Store.open(tmp_path / "s") as st:
        t = st.positions(mmsi=205366000)
        assert t.num_rows > 10 and str(t.schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
        df = t.to_pandas()
        assert df.timestamp.is_monotonic_increasing
        out = st.export_parquet(tmp_path / "pq")
        assert any((out[0]).glob("day=2018-04-01/*.parquet"))


CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import harborwatch.store.ingest as ingest
    from harborwatch.store import Store, ingest_files
    from harborwatch.store.store import ROW_GROUP

    ingest.COMMIT_EVERY = 2  # a commit every 2 row groups' writes (8 by default), so one lands early

    class Stall:
        # once 3 row groups' worth of records are read (2 writes committed, a third under way), say
        # so and stall until killed: the kill lands mid-ingest whatever the machine's speed
        records = 0

        def start_file(self, name, total_bytes, fmt):
            pass

        def advance(self, bytes_done, records, name):
            self.records += records
            if self.records >= 3 * ROW_GROUP:
                Path(sys.argv[3]).touch()
                time.sleep(600)

        def end_file(self, report):
            pass

    with Store.open(sys.argv[1]) as st:
        for rep in ingest_files(st, [sys.argv[2]], progress=Stall()):
            pass
    """
)


@pytest.mark.slow
def test_kill_during_ingest_leaves_store_consistent_and_rerun_completes(tmp_path: Path, ais_dir: Path):
    src = (ais_dir / "baltic_april_2018_20k_sample.csv").read_text().splitlines()
    header, rows = src[0], src[1:]
    big = tmp_path / "big.csv"
    # 30 copies with shifted times (distinct records), about 600k rows, several batches
    with open(big, "w") as f:
        f.write(header + "\n")
        for k in range(30):
            for r in rows:
                parts = r.split(";")
                parts[1] = str(int(float(parts[1])) + k * 86_400_000)
                f.write(";".join(parts) + "\n")
    store = tmp_path / "s"
    stalled = tmp_path / "stalled"
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, str(store), str(big), str(stalled)])
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not stalled.exists():
        time.sleep(0.05)
    assert stalled.exists() and proc.poll() is None, "the ingest ended before it could be killed mid-way"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(store) as st:
        acct = st.sql("SELECT records_in, stored, quarantined, duplicates, complete FROM ingest_files").to_pylist()
        n_pos = st.sql("SELECT count(*) AS n FROM positions").column("n")[0].as_py()
        # no half batch: the rows visible are exactly those the committed accounting says
        assert n_pos == sum(a["stored"] for a in acct)
        assert all(a["records_in"] == a["stored"] + a["quarantined"] + a["duplicates"] for a in acct)
        # the committed row groups are there, the file is not complete, the open transaction is gone
        assert len(acct) == 1 and not acct[0]["complete"]
        assert 2 * ROW_GROUP <= n_pos < 3 * ROW_GROUP
        (rep,) = list(ingest_files(st, [big]))
        assert rep["complete"]
        assert rep["records_in"] == rep["stored"] + rep["duplicates"] + rep["quarantined"]
        total = st.sql("SELECT count(*) AS n, count(DISTINCT record_hash) AS h FROM positions").to_pylist()[0]
    assert total["n"] == total["h"] == 30 * len(rows)


def test_a_store_from_an_earlier_version_opens_and_gains_the_new_columns(tmp_path: Path):
    """Read-only: info works without the new tables; read-write: missing tables and columns are added."""
    with Store.open(tmp_path / "s") as st:
        st.con.execute("DROP TABLE field_issues")
        st.con.execute("ALTER TABLE stations DROP COLUMN altitude_m")
    with Store.open(tmp_path / "s", read_only=True) as st:
        assert "field_issues" not in st.info()["rows"]
    with Store.open(tmp_path / "s") as st:
        assert "field_issues" in st.info()["rows"]
        cols = {r[0] for r in st.con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'stations'").fetchall()}
        assert "altitude_m" in cols


def test_batches_left_open_commit_together_or_roll_back_together(tmp_path: Path, ais_dir: Path):
    from harborwatch.ingest.csv.mapping import builtin_mappings
    from harborwatch.ingest.csv.reader import read_csv
    from harborwatch.ingest.records import NormalizeOptions, normalize

    src = ais_dir / "aisdb_test_data_noaa_20230111.csv"
    with open(src, "rb") as f:
        nb = normalize(next(read_csv(f, builtin_mappings()["noaa"], str(src))), NormalizeOptions(str(src)))
    half = nb.positions.num_rows // 2
    first, second = nb.positions.slice(0, half), nb.positions.slice(half)

    def write(st: Store, t: pa.Table, commit: bool) -> None:
        st.write_batch({"positions": t}, {}, {"run_id": "r", "file": "f", "records_in": t.num_rows}, commit=commit)

    with Store.open(tmp_path / "s") as st:
        st.start_file("r", "f", "noaa")
        write(st, first, commit=False)
        with pytest.raises(duckdb.Error):  # the second batch fails: neither is kept
            write(st, second.append_column("no_such_column", pa.nulls(second.num_rows)), commit=True)
        assert st.sql("SELECT count(*) AS n FROM positions")["n"][0].as_py() == 0
        write(st, first, commit=False)
        write(st, second, commit=False)
        st.commit_batches()
        rep = st.finish_file("r", "f", None)
        write(st, first, commit=False)  # all stored already; put_rows commits what is left open first
        assert st.put_rows("notes", pa.table({"k": [1]}), "k") == 1
    assert rep["stored"] == nb.positions.num_rows == rep["records_in"]


def test_a_batch_overlapping_the_stored_rows_in_time_stores_only_the_new_ones(tmp_path: Path, ais_dir: Path):
    from harborwatch.ingest.csv.mapping import builtin_mappings
    from harborwatch.ingest.csv.reader import read_csv
    from harborwatch.ingest.records import NormalizeOptions, normalize

    src = ais_dir / "aisdb_test_data_noaa_20230111.csv"
    with open(src, "rb") as f:
        nb = normalize(next(read_csv(f, builtin_mappings()["noaa"], str(src))), NormalizeOptions(str(src)))
    pos = nb.positions.sort_by("timestamp")
    n = pos.num_rows
    a, b = pos.slice(0, 6 * n // 10), pos.slice(4 * n // 10)  # b repeats the last third of a, in time
    with Store.open(tmp_path / "s") as st:
        st.start_file("r", "f", "noaa")
        got = [st.write_batch({"positions": t}, {}, {"run_id": "r", "file": "f", "records_in": t.num_rows})
               for t in (a, b, pos.slice(n // 2, 10))]
        rep = st.finish_file("r", "f", None)
        stored = st.sql("SELECT count(*) AS n FROM positions")["n"][0].as_py()
    assert [g["positions"] for g in got] == [a.num_rows, n - a.num_rows, 0]
    assert stored == n and rep["duplicates"] == b.num_rows - (n - a.num_rows) + 10


def test_rows_at_the_latest_stored_time_are_found_with_or_without_the_writers_memory(tmp_path: Path, ais_dir: Path):
    from harborwatch.ingest.csv.mapping import builtin_mappings
    from harborwatch.ingest.csv.reader import read_csv
    from harborwatch.ingest.records import NormalizeOptions, normalize

    src = ais_dir / "aisdb_test_data_noaa_20230111.csv"
    with open(src, "rb") as f:
        nb = normalize(next(read_csv(f, builtin_mappings()["noaa"], str(src))), NormalizeOptions(str(src)))
    pos = nb.positions.slice(0, 11)
    times = [0, 0, 1, 1, 2, 2, 2, 3, 4, 5, 5]  # seconds; each row keeps its own hash
    ts_type = pos.schema.field("timestamp").type
    rows = pos.set_column(pos.column_names.index("timestamp"), "timestamp",
                          pa.array([1_600_000_000_000 + 1000 * s for s in times], pa.int64()).cast(ts_type))

    def write(st: Store, t: pa.Table, commit: bool = True) -> int:
        got = st.write_batch({"positions": t}, {}, {"run_id": "r", "file": "f", "records_in": t.num_rows},
                             commit=commit)
        return got["positions"]

    with Store.open(tmp_path / "s") as st:
        st.start_file("r", "f", "noaa")
        assert write(st, rows.slice(0, 6)) == 6
        # the next batch shares only the latest time (2 s) with the table: the writer's memory
        # of the rows at that time finds the repeated one
        assert write(st, pa.concat_tables([rows.slice(5, 1), rows.slice(6, 2)])) == 2
        assert st._edges["positions"][0] == 1_600_000_003_000
    with Store.open(tmp_path / "s") as st:  # a new writer has no memory: the table is asked
        st.start_file("r", "f", "noaa")
        assert write(st, rows.slice(7, 2)) == 1
        assert write(st, rows.slice(9, 2), commit=False) == 2
        with pytest.raises(duckdb.Error):  # rolls back the two rows at 5 s, which the writer remembered
            bad = rows.slice(0, 1).set_column(rows.column_names.index("record_hash"), "record_hash",
                                              pa.array([12345], pa.uint64()))
            write(st, bad.append_column("no_such_column", pa.nulls(1)))
        assert write(st, rows.slice(9, 2)) == 2
        assert st.sql("SELECT count(*) AS n FROM positions")["n"][0].as_py() == 11


@pytest.mark.parametrize("known_max", [1_000_000, 3])
def test_quarantine_repeats_are_found_from_memory_or_by_query(tmp_path: Path, ais_dir: Path, monkeypatch,
                                                              known_max: int):
    from harborwatch.store import store as store_module

    monkeypatch.setattr(store_module, "KNOWN_MAX", known_max)  # 3: the writer forgets, and asks the table
    src = ais_dir / "aisdb_test_data_20211101.nm4"
    copy = tmp_path / "copy.nm4"
    copy.write_bytes(src.read_bytes())
    reps = _ingest(tmp_path / "s", [src, copy])
    assert reps[0]["quarantined"] == 13 and reps[1]["quarantined"] == 0
    with Store.open(tmp_path / "s") as st:
        q = st.sql("SELECT * FROM quarantine LIMIT 2")
    with Store.open(tmp_path / "t") as st:  # an empty store: this writer knows its quarantine
        fresh = q.set_column(q.column_names.index("record_hash"), "record_hash", pa.array([1, 2], pa.uint64()))
        acc = {"run_id": "r", "file": "f", "records_in": 2}
        st.start_file("r", "f", "nmea")
        assert st.write_batch({"quarantine": fresh}, {}, acc, commit=False)["quarantine"] == 2
        with pytest.raises(duckdb.Error):  # rolls the two back: neither may count as stored
            bad = fresh.slice(0, 1).set_column(fresh.column_names.index("record_hash"), "record_hash",
                                               pa.array([3], pa.uint64()))
            st.write_batch({"quarantine": bad.append_column("no_such_column", pa.nulls(1))}, {}, acc)
        assert st.write_batch({"quarantine": fresh}, {}, acc)["quarantine"] == 2


def test_running_out_of_duckdbs_memory_names_the_setting_that_raises_it(tmp_path: Path):
    from harborwatch.core.errors import HarborwatchError

    with Store.open(tmp_path / "s") as st:
        st.con.execute("SET memory_limit = '8MB'")
        with pytest.raises(HarborwatchError) as err:
            st.sql("SELECT list(i) AS l FROM range(50000000) t(i)")
    assert "Out of Memory" in str(err.value) and "HARBORWATCH_DUCKDB_MEMORY" in err.value.hint
