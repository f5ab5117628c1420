"""Mirror statistics, reconciliation with measured barrels, and the UN cap tracker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from harborwatch.core.schema import DELIVERIES
from harborwatch.estimates.trade import UN_CAP_BARRELS, cap_tracker, mirror, reconcile
from harborwatch.ingest.trade import read_comtrade

TRADE = Path(__file__).resolve().parents[1] / "fixtures" / "trade"


def test_mirror_shows_what_one_side_stopped_publishing():
    t = read_comtrade(TRADE / "comtrade_plus.csv").tables()["trade"]
    rows = {(r["period"], r["exporter"]): r for r in mirror(t, "CHN", "PRK", "2710")}
    r21 = rows[("2021", "CHN")]
    assert r21["status"] == "both" and r21["ratio"] == pytest.approx(1010000 / 950000, abs=1e-3)
    r22 = rows[("2022", "CHN")]  # 2022: the DPRK published nothing; China's exports still show
    assert r22["status"] == "importer_silent" and r22["importer_reported_usd"] is None
    assert r22["exporter_reported_usd"] == 2 * 1300000  # the fixture's duplicate row counts until ingest drops it
    assert all(r["exporter"] != "RUS" for r in rows.values())  # Russia - DPRK is another pair


def _deliveries(*rows: tuple[str, float]) -> pa.Table:
    return pa.Table.from_pylist([{"date": datetime.fromisoformat(d).replace(tzinfo=UTC), "barrels": b,
                                  "source": "test", "source_file": "x", "source_ref": i, "record_hash": i}
                                 for i, (d, b) in enumerate(rows)], schema=DELIVERIES)


def test_reconcile_and_cap():
    months = [{"site": "kp-chongjin", "period": p, "quantity": "barrels_unloaded", "estimate": e, "low": lo,
               "high": hi, "calls": 2.0} for p, e, lo, hi in (("2023-01", 300_000, 250_000, 350_000),
                                                                ("2023-02", 100_000, 80_000, 120_000),
                                                                ("2023-03", 10_000, 5_000, 40_000))]
    months.append({"site": "elsewhere", "period": "2023-01", "quantity": "barrels_unloaded", "estimate": 9e9,
                   "low": 9e9, "high": 9e9, "calls": 1.0})
    rows = reconcile(months, _deliveries(("2023-01-10", 20_000), ("2023-02-03", 100_000), ("2023-04-01", 5_000)),
                     "kp-chongjin")
    status = {r["month"]: r["status"] for r in rows}
    assert status == {"2023-01": "above_reported", "2023-02": "consistent", "2023-03": "above_reported",
                      "2023-04": "not_measured"}
    cap = cap_tracker(rows, 2023)
    assert cap["cap_barrels"] == UN_CAP_BARRELS
    assert cap["share_of_cap"]["reported"] == pytest.approx(125_000 / UN_CAP_BARRELS)
    assert cap["cap_passed_in"]["measured"] is None and cap["cap_passed_in"]["measured_high"] == "2023-03"
    assert cap["months"][-1]["cumulative_measured"] == 410_000
