"""Trade statistics: UN Comtrade bulk CSV files, and tables of refined-petroleum deliveries.

**UN Comtrade.** Both bulk layouts are read, told apart by their header:
- the current API / bulk layout (``reporterISO``, ``partnerISO``, ``flowCode`` M/X/RM/RX,
  ``cmdCode``, ``refYear``, ``refMonth`` or ``period``, ``primaryValue``, ``netWgt``, ``qty``,
  ``qtyUnitAbbr``);
- the legacy bulk layout (``Reporter ISO``, ``Partner ISO``, ``Trade Flow``, ``Commodity Code``,
  ``Year``, ``Period``, ``Trade Value (US$)``, ``Netweight (kg)``, ``Qty``, ``Qty Unit``).

**Petroleum deliveries** (the kind the UN 1718 Committee publishes from member states' reports):
a CSV with ``date`` and ``barrels`` or ``tonnes`` (converted at ``barrels_per_tonne``, 7.33 by
default, a common figure for gasoil and diesel; state yours), and ``source``; ``supplier`` and
``note`` are kept.

A row that cannot be used goes to the quarantine with a reason and the field (strict mode
raises), so records in = stored + quarantined + duplicates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from harborwatch.core.errors import FormatError
from harborwatch.core.ids import content_id
from harborwatch.core.schema import DELIVERIES, QUARANTINE, TRADE
from harborwatch.ingest.counts import parse_time, quarantine_row

#: Barrels per tonne of gasoil / diesel (density about 0.86 t/m3); an assumption, stated in the rows.
BARRELS_PER_TONNE = 7.33
_FLOWS = {"m": "import", "x": "export", "rm": "re-import", "rx": "re-export", "import": "import",
          "export": "export", "re-import": "re-import", "re-export": "re-export"}
#: (canonical column, current layout, legacy layout)
_COMTRADE = (("reporter", "reporterISO", "Reporter ISO"), ("partner", "partnerISO", "Partner ISO"),
             ("flow", "flowCode", "Trade Flow"), ("hs_code", "cmdCode", "Commodity Code"),
             ("year", "refYear", "Year"), ("period", "period", "Period"),
             ("value_usd", "primaryValue", "Trade Value (US$)"), ("net_weight_kg", "netWgt", "Netweight (kg)"),
             ("quantity", "qty", "Qty"), ("quantity_unit", "qtyUnitAbbr", "Qty Unit"),
             ("reporter_name", "reporterDesc", "Reporter"), ("partner_name", "partnerDesc", "Partner"))


@dataclass
class TradeRecords:
    """Rows read from a trade file: stored rows of ``table``, quarantined rows, records read."""

    table: str
    rows: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    records_in: int = 0
    fmt: str = ""

    def tables(self) -> dict[str, pa.Table]:
        schema = TRADE if self.table == "trade" else DELIVERIES
        return {self.table: pa.Table.from_pylist(self.rows, schema=schema),
                "quarantine": pa.Table.from_pylist(self.rejects, schema=QUARANTINE)}


def _hash(*parts) -> int:
    return int(content_id(*parts, digits=16), 16)


class _Rows:
    def __init__(self, name: str, table: str, strict: bool) -> None:
        self.name, self.strict = name, strict
        self.out = TradeRecords(table)

    def reject(self, ref: int, raw: str, reason: str, fld: str, detail: str) -> None:
        self.out.rejects.append(quarantine_row(self.name, ref, raw, reason, fld, detail, self.strict))


def _number(v: str | None) -> float | None:
    v = (v or "").strip().replace(",", "")
    return None if v == "" else float(v)


def _csv(path: Path) -> csv.DictReader:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise FormatError(f"{path}: cannot read ({e.strerror or e})") from e
    return csv.DictReader(io.StringIO(text))


def _comtrade_row(r: _Rows, ref: int, raw: str, get) -> None:
    flow = _FLOWS.get((get("flow") or "").strip().lower())
    if flow is None:
        return r.reject(ref, raw, "bad_value", "flow", f"trade flow {get('flow')!r} is not M, X, RM, RX or a name")
    reporter = (get("reporter") or get("reporter_name") or "").strip()
    partner = (get("partner") or get("partner_name") or "").strip()
    if not reporter or not partner:
        return r.reject(ref, raw, "missing_field", "reporter" if not reporter else "partner", "no country given")
    period = (get("period") or "").strip()
    try:
        year = int(get("year") or period[:4])
        month = int(period[4:6]) if len(period) >= 6 else None
        vals = {k: _number(get(k)) for k in ("value_usd", "net_weight_kg", "quantity")}
    except ValueError as e:
        return r.reject(ref, raw, "not_a_number", "period/value", f"not a number: {e}")
    if month is not None and not 1 <= month <= 12:
        return r.reject(ref, raw, "out_of_range", "period", f"period {period!r}: no month {month}")
    hs = (get("hs_code") or "TOTAL").strip()
    r.out.rows.append({"reporter": reporter, "partner": partner, "flow": flow, "hs_code": hs, "year": year,
                       "month": month, **vals, "quantity_unit": (get("quantity_unit") or "").strip() or None,
                       "source_file": r.name, "source_ref": ref,
                       "record_hash": _hash("trade", reporter, partner, flow, hs, year, month, vals["value_usd"],
                                            vals["net_weight_kg"])})


def read_comtrade(path: str | Path, strict: bool = False) -> TradeRecords:
    """Read a UN Comtrade bulk CSV (either layout) into ``trade`` rows."""
    path = Path(path)
    rows = _csv(path)
    names = set(rows.fieldnames or [])
    layout = 1 if "reporterISO" in names or "reporterCode" in names else 2 if "Reporter ISO" in names else 0
    if layout == 0:
        raise FormatError(f"{path}: not a UN Comtrade bulk CSV (no reporterISO or 'Reporter ISO' column)",
                          hint=f"columns found: {sorted(names)[:12]}")
    cols = {c[0]: c[layout] for c in _COMTRADE}
    r = _Rows(str(path), "trade", strict)
    r.out.fmt = "comtrade" if layout == 1 else "comtrade-legacy"
    for row in rows:
        r.out.records_in += 1
        raw = ",".join("" if v is None else str(v) for v in row.values())
        _comtrade_row(r, rows.line_num, raw, lambda k, row=row: row.get(cols[k]))
    return r.out


def read_deliveries(path: str | Path, strict: bool = False, barrels_per_tonne: float = BARRELS_PER_TONNE,
                    source: str | None = None) -> TradeRecords:
    """Read a CSV of refined-petroleum deliveries (date, barrels or tonnes, source) into
    ``petroleum_deliveries`` rows."""
    path = Path(path)
    rows = _csv(path)
    if not rows.fieldnames or "date" not in rows.fieldnames or not ({"barrels", "tonnes"} & set(rows.fieldnames)):
        raise FormatError(f"{path}: a deliveries CSV needs date and barrels or tonnes columns",
                          hint=f"columns found: {rows.fieldnames}")
    r = _Rows(str(path), "petroleum_deliveries", strict)
    r.out.fmt = "deliveries"
    for row in rows:
        r.out.records_in += 1
        ref, raw = rows.line_num, ",".join("" if v is None else str(v) for v in row.values())
        try:
            t = parse_time(row.get("date"))
        except (ValueError, TypeError):
            r.reject(ref, raw, "bad_time", "date", f"date {row.get('date')!r} is not an ISO 8601 date")
            continue
        try:
            bbl, tonnes = _number(row.get("barrels")), _number(row.get("tonnes"))
        except ValueError:
            r.reject(ref, raw, "not_a_number", "barrels", "barrels or tonnes is not a number")
            continue
        if bbl is None and tonnes is None:
            r.reject(ref, raw, "missing_field", "barrels", "neither barrels nor tonnes given")
            continue
        note = (row.get("note") or "").strip()
        if bbl is None and tonnes is not None:
            bbl = tonnes * barrels_per_tonne
            note = (note + "; " if note else "") + f"barrels from tonnes at {barrels_per_tonne} bbl/t"
        if bbl is None or bbl < 0:
            r.reject(ref, raw, "out_of_range", "barrels", f"barrels {bbl} < 0")
            continue
        src = (row.get("source") or source or "").strip()
        if not src:
            r.reject(ref, raw, "missing_field", "source", "no source (give --source for the whole file)")
            continue
        r.out.rows.append({"date": t, "barrels": bbl, "tonnes": tonnes, "supplier": (row.get("supplier") or None),
                           "source": src, "note": note or None, "source_file": r.name, "source_ref": ref,
                           "record_hash": _hash("delivery", int(t.timestamp()), bbl, src, row.get("supplier"))})
    return r.out


__all__ = ["BARRELS_PER_TONNE", "TradeRecords", "read_comtrade", "read_deliveries"]
