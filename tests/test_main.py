"""``harborwatch/__main__.py``: ``python -m harborwatch``, and the application file of the README's
``spark-submit`` recipe, run on a Spark cluster of its own (``local-cluster``: a master, a worker
and an executor in JVMs of their own, as on a real cluster)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import harborwatch
from harborwatch.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "simulated_rason_sample.nmea"
MAIN = Path(harborwatch.__file__).with_name("__main__.py")


def test_python_m_harborwatch_is_the_command_line():
    res = subprocess.run([sys.executable, "-m", "harborwatch", "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "events" in res.stdout and "ingest" in res.stdout


@pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs Java 17 (java not on PATH)")
def test_spark_submit_runs_events_on_the_submitted_cluster(tmp_path, parquet_tree):
    """The README's recipe (``spark-submit .../harborwatch/__main__.py events --engine spark
    --lake ...``) runs on the master it was submitted to, not on a local Spark of its own, and
    writes the local engine's events byte for byte."""
    pyspark = pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    home = Path(pyspark.__file__).parent
    r = CliRunner()
    store = str(tmp_path / "s")
    assert r.invoke(app, ["ingest", str(EXAMPLE), "--store", store, "--json"]).exit_code == 0
    assert r.invoke(app, ["events", "--store", store, "--json", "--out", str(tmp_path / "local")]).exit_code == 0
    assert r.invoke(app, ["store", "export", str(tmp_path / "lake"), "--store", store, "--lake",
                          "--buckets", "4"]).exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "SPARK_"))}
    env.update(SPARK_HOME=str(home), PYSPARK_DRIVER_PYTHON=sys.executable)
    master = "local-cluster[1,2,1024]"  # one worker of two cores, 1 GB
    res = subprocess.run(
        [str(home / "bin" / "spark-submit"), "--master", master, "--conf", f"spark.pyspark.python={sys.executable}",
         "--conf", "spark.ui.enabled=false", str(MAIN), "events", "--engine", "spark", "--lake",
         str(tmp_path / "lake"), "--store", str(tmp_path / "o"), "--json", "--out", str(tmp_path / "submitted")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["engine"] == "spark" and got["master"] == master and got["events"] > 0
    want = parquet_tree(tmp_path / "local")
    assert want and parquet_tree(tmp_path / "submitted") == want
