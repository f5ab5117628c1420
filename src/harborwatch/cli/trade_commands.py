"""`trade import`, `trade mirror`, `trade reconcile`: trade statistics beside measured activity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harborwatch.cli.common import StoreOpt, _report_json, app, out, sites_of_store

trade_app = typer.Typer(help="Trade statistics: UN Comtrade files, reported petroleum deliveries, mirror "
                             "statistics, reconciliation with measured tanker calls, the UN cap.", no_args_is_help=True)
app.add_typer(trade_app, name="trade")


@trade_app.command("import")
def trade_import(
    files: Annotated[list[Path], typer.Argument(help="UN Comtrade bulk CSVs, or delivery tables (--kind deliveries)")],
    store: StoreOpt = Path("hw-store"),
    kind: Annotated[str, typer.Option("--kind", help="comtrade or deliveries")] = "comtrade",
    source: Annotated[str | None, typer.Option("--source", help="deliveries: who published the figures, for rows "
                                                                 "without a source column")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="stop at the first bad row instead of quarantining it")]
    = False,
) -> None:
    """Read trade files into the store (tables trade / petroleum_deliveries), with the same
    accounting as AIS: records in = stored + quarantined + duplicates."""
    from harborwatch.store import Store
    from harborwatch.store.ingest import ingest_trade

    with Store.open(store) as st:
        for rep in ingest_trade(st, files, kind, strict, source):
            print(_report_json(rep))


@trade_app.command("mirror")
def trade_mirror(
    a: Annotated[str, typer.Option("--a", help="one country as the files name it (ISO alpha-3: PRK)")],
    b: Annotated[str, typer.Option("--b", help="the other country (RUS, CHN...)")],
    store: StoreOpt = Path("hw-store"),
    hs: Annotated[str, typer.Option("--hs", help="HS code prefix (2710: refined petroleum); default all")] = "",
    by: Annotated[str, typer.Option("--by", help="year or month")] = "year",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Mirror statistics: each side's own report beside its partner's, so what one side stopped
    publishing still shows."""
    from harborwatch.estimates.trade import mirror
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        rows = mirror(st.sql("SELECT * FROM trade"), a, b, hs, by)
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    t = Table(title=f"mirror statistics {a} - {b}" + (f", HS {hs}" if hs else ""))
    for c in ("period", "exporter", "importer", "exporter's report (USD)", "importer's report (USD)", "ratio",
              "status"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["period"], r["exporter"], r["importer"], _money(r["exporter_reported_usd"]),
                  _money(r["importer_reported_usd"]), str(r["ratio"] or "-"), r["status"])
    out.print(t)


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


@trade_app.command("reconcile")
def trade_reconcile(
    site: Annotated[str, typer.Option("--site", help="the port the deliveries go to (kp-chongjin)")],
    store: StoreOpt = Path("hw-store"),
    year: Annotated[int | None, typer.Option("--year", help="cap tracker for this year (default: the last)")] = None,
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print {months, cap} as JSON")] = False,
) -> None:
    """Barrels unloaded at a port as measured (tanker calls x estimated barrels) against reported
    deliveries, month by month, and both against the UN cap of 500,000 barrels a year."""
    from harborwatch.analysis import load_calendar
    from harborwatch.estimates.run import estimate
    from harborwatch.estimates.trade import cap_tracker, reconcile
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        est = estimate(st, sites_of_store(st, sites), load_calendar(None), None, [site], [site])
        rows = reconcile(est.cargo_months, st.sql("SELECT * FROM petroleum_deliveries"), site)
    yr = year or max((int(r["month"][:4]) for r in rows), default=0)
    cap = cap_tracker(rows, yr)
    if as_json:
        print(json.dumps({"months": rows, "cap": cap}))
        return
    t = Table(title=f"barrels unloaded at {site}: measured against reported")
    for c in ("month", "measured [90 %]", "reported", "tanker calls", "status"):
        t.add_column(c)
    for r in rows:
        m = "-" if r["measured_barrels"] is None else (f"{r['measured_barrels']:,.0f} [{r['low']:,.0f}, "
                                                       f"{r['high']:,.0f}]")
        t.add_row(r["month"], m, f"{r['reported_barrels']:,.0f}", str(r["tanker_calls"] or "-"), r["status"])
    out.print(t)
    s = cap["share_of_cap"]
    out.print(f"  {yr}: reported {s['reported']:.1%} of the UN cap ({cap['cap_barrels']:,.0f} bbl), measured "
              f"{s['measured']:.1%} [{s['measured_low']:.1%}, {s['measured_high']:.1%}]; passed in: "
              f"{cap['cap_passed_in']}", highlight=False)
