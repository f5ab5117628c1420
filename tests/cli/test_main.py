"""The command line as a user runs it (subprocess, installed entry point)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def hw(*args: str) -> subprocess.CompletedProcess:
    beside = Path(sys.executable).parent / "harborwatch"
    exe = str(beside) if beside.exists() else shutil.which("harborwatch")
    cmd = [exe] if exe else [sys.executable, "-m", "harborwatch.cli.main"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300)


def test_ingest_json_lines_and_reingest(tmp_path: Path):
    store = tmp_path / "s"
    r = hw("ingest", str(FIX / "marinetraffic_export.csv"), str(FIX / "dma_aisdk_sample.csv"), "--store", str(store),
           "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [Path(x["file"]).name for x in lines] == ["marinetraffic_export.csv", "dma_aisdk_sample.csv"]
    for x in lines:
        assert set(x) >= {"file", "records_in", "stored", "quarantined", "duplicates", "quarantine_reasons"}
        assert x["records_in"] == x["stored"] + x["quarantined"] + x["duplicates"]
    assert lines[0]["duplicates"] == 1 and lines[0]["quarantine_reasons"]["wrong_column_count"] == 1
    again_run = hw("ingest", str(FIX / "dma_aisdk_sample.csv"), "--store", str(store), "--json")
    again = [json.loads(x) for x in again_run.stdout.splitlines()]
    assert again[0]["stored"] == 0 and again[0]["duplicates"] == again[0]["records_in"]

    info = json.loads(hw("store", "info", "--store", str(store), "--json").stdout)
    assert info["rows"]["positions"] == 7 and info["ingests"]["files"] == 3
    q = hw("quarantine", "--store", str(store), "--json")
    assert {json.loads(x)["reason"] for x in q.stdout.splitlines()} >= {"wrong_column_count", "bad_timestamp"}
    s = hw("sql", "SELECT count(*) AS n FROM positions", "--store", str(store), "--format", "csv")
    assert s.stdout.splitlines() == ["n", "7"]


def test_ingest_with_worker_processes(tmp_path: Path):
    """`--jobs 2`: the files are read side by side, with the same accounting and rows."""
    files = [str(FIX / "marinetraffic_export.csv"), str(FIX / "dma_aisdk_sample.csv")]
    r = hw("ingest", *files, "--store", str(tmp_path / "s"), "--json", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    lines = {Path(x["file"]).name: x for x in map(json.loads, r.stdout.splitlines())}
    assert sorted(lines) == ["dma_aisdk_sample.csv", "marinetraffic_export.csv"]
    assert lines["marinetraffic_export.csv"]["quarantine_reasons"]["wrong_column_count"] == 1
    assert all(x["records_in"] == x["stored"] + x["quarantined"] + x["duplicates"] for x in lines.values())
    s = hw("sql", "SELECT count(*) AS n FROM positions", "--store", str(tmp_path / "s"), "--format", "csv")
    assert s.stdout.splitlines() == ["n", "7"]


def test_errors_are_one_line_without_traceback(tmp_path: Path):
    r = hw("ingest", str(tmp_path / "missing.nmea"), "--store", str(tmp_path / "s"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("error:") and "missing.nmea" in r.stderr
    bad = tmp_path / "x.txt"
    bad.write_text("hello,world\n1,2\n")
    r = hw("ingest", str(bad), "--store", str(tmp_path / "s"))
    assert r.returncode == 2 and "unrecognised format" in r.stderr and "--format" in r.stderr
    r = hw("store", "info", "--store", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "no harborwatch store" in r.stderr
    assert hw("ingest", str(FIX / "dma_aisdk_sample.csv"), "--store", str(tmp_path / "s")).returncode == 0
    r = hw("store", "export", "s3://bucket/x", "--store", str(tmp_path / "s"))  # a URI takes --lake
    assert r.returncode == 2 and "local folder" in r.stderr and "--lake" in r.stderr


def test_strict_mode_names_file_and_line(tmp_path: Path):
    r = hw("ingest", str(FIX / "marinetraffic_export.csv"), "--store", str(tmp_path / "s"), "--strict")
    assert r.returncode == 2
    assert "marinetraffic_export.csv:7" in r.stderr and "lat_out_of_range" in r.stderr


@pytest.mark.parametrize("cmd", [["--help"], ["formats"], ["--version"]])
def test_help_and_formats(cmd):
    r = hw(*cmd)
    assert r.returncode == 0 and r.stdout
