"""Trade readers on hand-made files in the documented layouts, with exact accounting."""

from __future__ import annotations

from pathlib import Path

import pytest

from harborwatch.core.errors import DataError, FormatError
from harborwatch.ingest.trade import BARRELS_PER_TONNE, read_comtrade, read_deliveries
from harborwatch.store import Store
from harborwatch.store.ingest import ingest_trade

TRADE = Path(__file__).resolve().parents[1] / "fixtures" / "trade"


def test_comtrade_current_layout():
    t = read_comtrade(TRADE / "comtrade_plus.csv")
    assert t.fmt == "comtrade" and t.records_in == 7
    assert [r["reason"] for r in t.rejects] == ["bad_value", "out_of_range"]
    assert {r["source_ref"] for r in t.rejects} == {6, 7}  # physical lines (header = 1)
    first = t.rows[0]
    assert (first["reporter"], first["partner"], first["flow"], first["hs_code"], first["year"], first["month"]) == (
        "CHN", "PRK", "export", "2710", 2021, None)
    assert first["value_usd"] == 950000 and first["net_weight_kg"] == 1200000


def test_comtrade_legacy_layout_and_strict_mode():
    t = read_comtrade(TRADE / "comtrade_legacy.csv")
    assert t.fmt == "comtrade-legacy" and len(t.rows) == 2 and t.rows[1]["flow"] == "import"
    assert t.rows[0]["month"] == 7 and t.rejects[0]["reason"] == "not_a_number"
    with pytest.raises(DataError, match="comtrade_legacy.csv:4"):
        read_comtrade(TRADE / "comtrade_legacy.csv", strict=True)


def test_not_comtrade_is_a_format_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="not a UN Comtrade bulk CSV"):
        read_comtrade(p)


def test_deliveries_convert_tonnes_and_quarantine_bad_rows():
    t = read_deliveries(TRADE / "deliveries.csv")
    assert t.records_in == 6 and len(t.rows) == 2
    assert sorted(r["reason"] for r in t.rejects) == ["bad_time", "missing_field", "missing_field", "out_of_range"]
    cn = next(r for r in t.rows if r["supplier"] == "CN")
    assert cn["barrels"] == pytest.approx(1000 * BARRELS_PER_TONNE) and "7.33 bbl/t" in cn["note"]
    t = read_deliveries(TRADE / "deliveries.csv", source="a newspaper")
    assert len(t.rows) == 3  # the row without a source takes the one given


def test_ingest_accounts_for_every_row_and_is_idempotent(tmp_path):
    with Store.open(tmp_path / "s") as st:
        rep = next(ingest_trade(st, [TRADE / "comtrade_plus.csv"]))
        assert (rep["records_in"], rep["stored"], rep["quarantined"], rep["duplicates"]) == (7, 4, 2, 1)
        again = next(ingest_trade(st, [TRADE / "comtrade_plus.csv"]))
        assert again["stored"] == 0 and again["records_in"] == again["quarantined"] + again["duplicates"]
        rep = next(ingest_trade(st, [TRADE / "deliveries.csv"], "deliveries"))
        assert rep["records_in"] == rep["stored"] + rep["quarantined"] + rep["duplicates"] == 6
        assert st.sql("SELECT count(*) AS n FROM petroleum_deliveries")["n"][0].as_py() == 2
