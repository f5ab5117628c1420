"""`harborwatch events` and `harborwatch sites` on the shipped simulated sample."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app


def _ids(store: str) -> list[str]:
    from harborwatch.store import Store

    with Store.open(store, read_only=True) as st:
        return st.sql("SELECT event_id FROM events ORDER BY event_id")["event_id"].to_pylist()


REPO_SAMPLE = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "simulated_rason_sample.nmea"


def test_events_json_counts_and_outputs(tmp_path):
    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", store, "--json"]).exit_code == 0
    res = r.invoke(app, ["events", "--store", store, "--json", "--out", str(tmp_path / "e.csv")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["events"] == sum(out["by_type"].values()) == out["new_in_store"]
    again = json.loads(r.invoke(app, ["events", "--store", store, "--json"]).output.strip().splitlines()[-1])
    assert again["new_in_store"] == 0 and again["events"] == out["events"]
    csv = pd.read_csv(tmp_path / "e.csv")
    assert len(csv) == out["events"]
    for suffix in (".geojson", ".parquet"):
        p = tmp_path / f"e{suffix}"
        assert r.invoke(app, ["events", "--store", store, "--json", "--out", str(p)]).exit_code == 0
    gj = json.loads((tmp_path / "e.geojson").read_text())
    assert len(gj["features"]) == out["events"]
    import geopandas as gpd

    assert len(gpd.read_parquet(tmp_path / "e.parquet")) == out["events"]


def test_events_bad_type_is_one_line_error(tmp_path):
    r = CliRunner()
    store = str(tmp_path / "s")
    r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", store, "--json"])
    res = r.invoke(app, ["events", "--store", store, "--types", "port_visit,dark_magic"])
    # main() turns this HarborwatchError into one line on stderr and exit status 2
    assert res.exit_code != 0 and "dark_magic" in str(res.exception)


def test_sites_list_and_build(tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["sites", "list"])
    assert res.exit_code == 0 and "kp-rajin" in res.output
    store = str(tmp_path / "s")
    r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", store, "--json"])
    res = r.invoke(app, ["sites", "build", "--store", store, "--min-vessels", "1", "-o", str(tmp_path / "a.geojson")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "a.geojson").read_text())["type"] == "FeatureCollection"


def test_events_of_a_large_store_go_in_range_by_range(tmp_path, monkeypatch):
    """Above the engine's chunk size the CLI stores each MMSI range's events as they come: the
    store ends with the events of an in-memory run."""
    from harborwatch.events import engine
    r = CliRunner()
    big, small = str(tmp_path / "big"), str(tmp_path / "small")
    for s in (big, small):
        assert r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", s, "--json"]).exit_code == 0
    assert r.invoke(app, ["events", "--store", small, "--json"]).exit_code == 0
    monkeypatch.setattr(engine, "CHUNK_ROWS", 100)
    res = r.invoke(app, ["events", "--store", big, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])

    assert _ids(big) == _ids(small) and out["new_in_store"] == len(_ids(big)) > 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs Java 17 (java not on PATH)")
def test_events_from_a_lake_with_spark(tmp_path, parquet_tree):
    """`store export --lake` then `events --lake`: the same events as the local engine on the store."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    r = CliRunner()
    store, other = str(tmp_path / "s"), str(tmp_path / "o")
    assert r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", store, "--json"]).exit_code == 0
    local_out, lake_out = tmp_path / "local-events", tmp_path / "lake-events"
    assert r.invoke(app, ["events", "--store", store, "--json", "--out", str(local_out)]).exit_code == 0
    res = r.invoke(app, ["store", "export", str(tmp_path / "lake"), "--store", store, "--lake", "--buckets", "4"])
    assert res.exit_code == 0 and "positions" in res.output, res.output
    res = r.invoke(app, ["events", "--engine", "spark", "--lake", str(tmp_path / "lake"), "--store", other, "--json",
                         "--workers", "2", "--out", str(lake_out)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    # both write the partitioned GeoParquet dataset, byte for byte the same
    want = parquet_tree(local_out)
    assert want and parquet_tree(lake_out) == want

    assert _ids(other) == _ids(store) and out["events"] == len(_ids(store)) > 0


@pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs Java 17 (java not on PATH)")
def test_events_from_a_lake_on_s3_write_events_to_s3(tmp_path, s3, parquet_tree):
    """`store export s3://... --lake`, then `events --engine spark --lake s3://... --out s3://...` (an
    S3 API on localhost; a child process, so that its JVM and Spark's Python workers, which read the
    lake, have the S3 environment): the local engine's files, byte for byte."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    import os
    import subprocess
    import sys

    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(REPO_SAMPLE), "--store", store, "--json"]).exit_code == 0
    local = tmp_path / "local"
    assert r.invoke(app, ["events", "--store", store, "--json", "--out", str(local)]).exit_code == 0
    res = r.invoke(app, ["store", "export", "s3://lake/lake", "--store", store, "--lake", "--buckets", "4"])
    assert res.exit_code == 0 and "s3://lake/lake/positions" in res.output, res.output
    res = subprocess.run([sys.executable, "-m", "harborwatch", "events", "--engine", "spark", "--lake",
                          "s3a://lake/lake", "--store", str(tmp_path / "o"), "--workers", "2", "--json",
                          "--out", "s3://lake/events"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, **s3})
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout.strip().splitlines()[-1])["events"] > 0
    want = parquet_tree(local)
    assert want and parquet_tree("s3://lake/events") == want  # the fixture's server, by its environment
