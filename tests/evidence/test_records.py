"""The evidence reader quotes a stored record's own line, whatever the file's line ends."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from harborwatch.evidence.records import ingested_file, read_source
from harborwatch.store import Store
from harborwatch.store.ingest import ingest_files


def _rows(ais_dir: Path, n: int) -> tuple[str, list[str]]:
    with gzip.open(ais_dir / "noaa_2020-01-01_uswestcoast.csv.gz", "rt") as f:
        return f.readline(), [f.readline().rstrip("\n") for _ in range(n)]


@pytest.mark.parametrize("kind", ["cr_only", "lone_cr", "multiline"])
def test_every_stored_record_is_quoted_from_its_own_line(ais_dir: Path, tmp_path: Path, kind: str):
    header, rows = _rows(ais_dir, 60)
    if kind == "lone_cr":  # a CR inside line 12's vessel name, and one inside line 30's MMSI
        f = rows[10].split(",")
        f[7] = f[7][:2] + "\r" + f[7][2:]
        rows[10] = ",".join(f)
        rows[28] = rows[28][:4] + "\r" + rows[28][4:]
    if kind == "multiline":  # quoted names of two and three lines
        for i, parts in ((3, "A\nB"), (20, "C\r\nD\nE")):
            f = rows[i].split(",")
            f[7] = f'"{parts}"'
            rows[i] = ",".join(f)
    text = header + "\n".join(rows) + "\n"
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(text.replace("\n", "\r").encode() if kind == "cr_only" else text.encode())
    with Store.open(tmp_path / "store") as st:
        (report,) = ingest_files(st, [path])
        assert report["records_in"] == 60
        refs = st.sql("SELECT source_ref, mmsi FROM positions ORDER BY source_ref").to_pylist()
        quarantined = st.sql("SELECT source_ref, raw FROM quarantine").to_pylist()
        fmt, sha = ingested_file(st, str(path))
    want = {r["source_ref"] for r in refs} | {q["source_ref"] for q in quarantined}
    got = read_source(str(path), fmt, sha, want)
    assert got.header == header.rstrip("\n")
    for r in refs:
        assert got.lines[r["source_ref"]].startswith(str(r["mmsi"]))
    for q in quarantined:  # the raw text read at ingest is that line's (its first line's) values
        mmsi = q["raw"].split(",")[0].removeprefix("MMSI=")
        assert got.lines[q["source_ref"]].startswith(mmsi)
    if kind == "lone_cr":
        assert [q["source_ref"] for q in quarantined] == [30]
        assert "\r" in got.lines[12] and 12 in {r["source_ref"] for r in refs}
    if kind == "multiline":
        assert [r["source_ref"] for r in refs][3:6] == [5, 7, 8] and max(want) == 64
