"""`harborwatch trade import` and `trade mirror` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from harborwatch.cli.main import app

TRADE = Path(__file__).resolve().parents[1] / "fixtures" / "trade"


def test_trade_import_then_mirror(tmp_path):
    s = str(tmp_path / "s")
    r = CliRunner().invoke(app, ["trade", "import", str(TRADE / "comtrade_plus.csv"), "--store", s])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output.strip().splitlines()[-1])
    assert rep["records_in"] == rep["stored"] + rep["quarantined"] + rep["duplicates"] == 7
    r = CliRunner().invoke(app, ["trade", "mirror", "--a", "PRK", "--b", "CHN", "--hs", "2710", "--store", s,
                                 "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.output.strip().splitlines()]
    assert [(x["period"], x["status"]) for x in rows] == [("2021", "both"), ("2022", "importer_silent")]
    assert rows[1]["exporter_reported_usd"] == 1300000  # the duplicate row was not stored twice
    r = CliRunner().invoke(app, ["trade", "import", str(TRADE / "deliveries.csv"), "--kind", "deliveries",
                                 "--store", s, "--strict"])
    assert r.exit_code != 0 and "deliveries.csv:4" in str(r.exception)
