"""`events`, `simulate`, `evaluate`, `demo`, `report`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    import pyarrow as pa

from harborwatch.cli.common import (
    DaysOpt,
    SeedOpt,
    StoreOpt,
    VesselsOpt,
    _load_sites,
    _parse_time,
    _scores_table,
    _stage_progress,
    app,
    err,
    out,
    write_table,
)
from harborwatch.core.errors import HarborwatchError, InputFileError


@app.command()
def events(
    store: StoreOpt = Path("hw-store"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (.geojson/.parquet); "
                                                  "default: the shipped Rason catalogue")] = None,
    since: Annotated[str | None, typer.Option("--since", help="UTC start (ISO 8601), inclusive")] = None,
    until: Annotated[str | None, typer.Option("--until", help="UTC end (ISO 8601), exclusive")] = None,
    types: Annotated[str | None, typer.Option("--types", help="comma-separated event types (default: all)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local or spark")] = "local",
    workers: Annotated[int | None, typer.Option("--workers", help="threads (local) or cores (spark)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file overriding rule parameters")] = None,
    out_path: Annotated[str | None, typer.Option("--out", "-o", help="write events to .csv, .geojson or "
                                                    ".parquet (GeoParquet), or to a folder or URI (no suffix): "
                                                    "GeoParquet partitioned by type and month")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print counts per event type as JSON")] = False,
    lake: Annotated[str | None, typer.Option("--lake", help="read positions from this lake (store export --lake; "
                                                            "a path, or a URI pyarrow opens: s3://, gs://, "
                                                            "hdfs://) with the Spark engine")]
    = None,
    master: Annotated[str | None, typer.Option("--master", help="Spark master URL for --lake (default: local; "
                                                                "spark-submit sets its own)")] = None,
) -> None:
    """Detect events (port visits, voyages, gaps, encounters, loitering, identity, spoofing) and store them."""
    from harborwatch.events import EVENT_TYPES, EventsConfig, Request, run, write_events
    from harborwatch.events.request import remember
    from harborwatch.store import Store
    from harborwatch.store.appender import KeyedAppender

    cfg = EventsConfig.from_toml(config) if config else EventsConfig()
    wanted = tuple(t.strip() for t in types.split(",") if t.strip()) if types else EVENT_TYPES
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise HarborwatchError(f"--types: unknown event type {unknown[0]!r}", hint="one of " + ", ".join(EVENT_TYPES))
    req = Request(cfg, _load_sites(sites), wanted, _parse_time(since, "--since") if since else None,
                  _parse_time(until, "--until") if until else None)
    progress, say = _stage_progress(as_json)
    counts: dict[str, int] = {}
    run_by: dict[str, str | None] = {"engine": engine}  # what ran it: the report names it

    def keep(t: pa.Table) -> None:  # into the store as they come (a large store's ranges one by one)
        put(t)  # the KeyedAppender of the store opened below: it writes whole row groups
        for k in t["type"].to_pylist():
            counts[k] = counts.get(k, 0) + 1

    if lake is not None:
        from harborwatch.events.spark import run_spark_lake, session_master

        run_by["engine"] = "spark"
        with progress:
            table = run_spark_lake(lake, req, workers, master, say)
        run_by["master"] = session_master()  # the submission's, under spark-submit
        with Store.open(store) as st:
            with KeyedAppender(st, "events", "event_id") as put:
                keep(table)
            added = put.added
            remember(st, req)
        if out_path is not None:
            write_events(table, out_path)
    else:
        with Store.open(store, create=False) as st, progress:
            # a large store's events come a few thousand at a time: they go in whole row groups
            with KeyedAppender(st, "events", "event_id") as put:
                if out_path is None:
                    run(st, req, engine=engine, workers=workers, progress=say, sink=keep)
                else:  # the file is written whole, in order
                    table = run(st, req, engine=engine, workers=workers, progress=say)
                    keep(table)
                    write_events(table, out_path)
            added = put.added
            remember(st, req)
    _report_events(counts, added, store, out_path, as_json, run_by)


def _report_events(counts: dict[str, int], added: int, store: Path, out_path: str | None, as_json: bool,
                   run: dict[str, str | None]) -> None:
    """What ``events`` found, as a table or (``--json``) one line; ``run`` names the engine (and
    for a lake the Spark master)."""
    from harborwatch.events import EVENT_TYPES

    total = sum(counts.values())
    if as_json:
        print(json.dumps({"events": total, "new_in_store": added, "by_type": dict(sorted(counts.items())),
                          "out": str(out_path) if out_path else None, **run}))
        return
    how = f"{run['engine']} engine" + (f" on {run['master']}" if "master" in run else "")
    t = Table(title=f"events in {store} ({how})")
    t.add_column("type")
    t.add_column("events", justify="right")
    for k in EVENT_TYPES:
        if k in counts:
            t.add_row(k, f"{counts[k]:,}")
    t.add_row("total", f"{total:,}")
    out.print(t)
    out.print(f"  {added:,} new in the store (table events); reruns add none", highlight=False)
    if out_path is not None:
        out.print(f"  written to {out_path}", highlight=False)


@app.command()
def estimate(
    store: StoreOpt = Path("hw-store"),
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the tables and JSON")] = Path(
        "hw-estimates"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the shipped one)")] = None,
    calendar: Annotated[Path | None, typer.Option("--calendar", help="event calendar TOML (default: Rason 2023)")]
    = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="calls per period and changes at these sites "
                                                                   "(repeatable; default: changes at every site)")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the period and change rows as JSON lines")] = False,
) -> None:
    """Weekly calls per site (seen on AIS, and dark calls inferred from the silences that bracket
    them), calls per week in the periods between calendar dates, and their changes at the
    calendar's dates (placebo test, difference in differences against the other ports, findings);
    cargo per call from draught changes (tonnes, TEU, barrels) summed per week and period; rail
    cars per day, week and period from the counts in the store (`harborwatch counts`). With
    --site, also estimates.svg/png: the series with intervals and the calendar."""
    from harborwatch.analysis import load_calendar
    from harborwatch.estimates.run import estimate as run_estimates
    from harborwatch.store import Store

    cal = load_calendar(calendar)
    cat = _load_sites(sites)
    with Store.open(store, create=False, read_only=True) as st:
        res = run_estimates(st, cat, cal, None, site or [], site)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, t in res.tables().items():
        write_table(t, out_dir / f"{name}.parquet")
        write_table(t, out_dir / f"{name}.csv")
    (out_dir / "periods.json").write_text(json.dumps(res.periods, indent=1) + "\n")
    (out_dir / "changes.json").write_text(json.dumps(res.changes, indent=1) + "\n")
    (out_dir / "cargo_periods.json").write_text(json.dumps(res.cargo_periods, indent=1) + "\n")
    (out_dir / "rail_periods.json").write_text(json.dumps(res.rail_periods, indent=1) + "\n")
    if site:
        from harborwatch.report.figures import estimates_figure

        estimates_figure(out_dir, res.activity, res.rail_weekly, site[0], cal, res.changes)
    if as_json:
        for r in res.periods + res.cargo_periods + res.rail_periods + res.changes:
            print(json.dumps(r))
        return
    out.print(f"activity: {res.activity.num_rows:,} site-weeks; dark calls: {res.dark_calls.num_rows:,} "
              f"(gap, site) rows; changes: {len(res.changes)} tests -> {out_dir}", highlight=False)
    for r in res.periods:
        out.print(f"  {r['site']} {r['period']}: {r['estimate']} calls/week [{r['low']}, {r['high']}] "
                  f"({r['ais_calls']} seen on AIS, {r['dark_calls_expected']} dark expected, "
                  f"{r['radar_only_per_week']} radar-only a week)", highlight=False)
    for r in res.cargo_periods:
        if r["estimate"]:
            out.print(f"  {r['site']} {r['period']}: {r['quantity']} {r['estimate']:,.0f} [{r['low']:,.0f}, "
                      f"{r['high']:,.0f}] over {r['calls']} calls", highlight=False)
    for r in res.rail_periods:
        apart = f"; its count sources run {math.expm1(r['source_spread']):.1%} apart" if r.get("source_spread") else ""
        out.print(f"  {r['site']} {r['period']}: {r['quantity']} {r['estimate']} [{r['low']}, {r['high']}] "
                  f"from {r['days_observed']} counted days{apart}", highlight=False)
    for r in res.changes:
        if r["p_value"] <= 0.05:
            out.print(f"  {r['finding']}", highlight=False)


def _print_estimates(f: dict) -> None:
    """The demo's estimates: calls per week at Rajin, cargo and rail per period, the goals, and the
    changes found."""
    for r in f.get("estimates", []):
        q = r["quantity"]
        if q == "calls_per_week" and r["site"] == "kp-rajin":
            radar = ("no radar scenes" if r.get("radar_only_per_week") is None
                     else f"{r['radar_only_per_week']} radar-only a week")
            out.print(f"  estimated calls per week at {r['site']}, {r['period']}: {r['estimate']} "
                      f"[{r['low']}, {r['high']}] ({r['ais_calls']} seen on AIS, {r['dark_calls_expected']} dark "
                      f"expected, {radar}; truth, every hull: {r['truth']})", highlight=False)
        elif q in ("teu_loaded", "barrels_unloaded", "rail_cars_per_week"):
            out.print(f"  {q} at {r['site']}, {r['period']}: {r['estimate']:,.1f} [{r['low']:,.1f}, "
                      f"{r['high']:,.1f}] (truth {r['truth']:,.1f})", highlight=False)
    g = f.get("goals")
    if g:
        out.print(f"  goals: Rajin calls within 10 % in {g['rajin_calls_within_10pct']} of {g['rajin_calls_rows']} "
                  f"periods; median error of TEU per month {g['teu_per_month_median_rel_error']}, of rail cars per "
                  f"week {g['rail_cars_per_week_median_rel_error']}; intervals cover the truth in {g['covered']} of "
                  f"{g['rows']} rows", highlight=False)
    for c in f.get("changes", []):
        if c["p_value"] <= 0.05:
            out.print(f"  {c['finding']}", highlight=False)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the NMEA feeds and the ground truth")] = Path(
        "hw-scenario"),
    seed: SeedOpt = 2023,
    days: DaysOpt = 365,
    vessels: VesselsOpt = 24,
) -> None:
    """Write the SIMULATED Rason 2023 scenario: NMEA feeds (terrestrial, satellite) and ground truth."""
    from harborwatch.scenario import Scenario
    from harborwatch.scenario import simulate as sim

    if days < 1 or vessels < 1:
        raise HarborwatchError("--days and --vessels must be positive")
    progress, say = _stage_progress(False)
    with progress:
        r = sim(Scenario(seed=seed, days=days, vessels=vessels), out_dir, progress=say)
    out.print(f"SIMULATED scenario (seed {seed}): {len(r.fleet.vessels)} vessels, {r.messages.num_rows:,} position "
              f"messages kept by the feeds, {r.truth.num_rows:,} ground-truth events", highlight=False)
    for k, v in r.files.items():
        out.print(f"  {k:<24} {v}", highlight=False)


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="ground truth (truth_events.parquet/.csv)")],
    events_file: Annotated[Path, typer.Option("--events", help="detected events (.parquet, .csv or .geojson)")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object with an entry per type")] = False,
) -> None:
    """Precision, recall and F1 per event type against the scenario's ground truth."""
    from harborwatch.evaluation import TOLERANCES, read_table
    from harborwatch.evaluation import evaluate as score

    scores = score(read_table(truth), read_table(events_file))
    if as_json:
        print(json.dumps(scores, sort_keys=True))
        return
    out.print(_scores_table(scores, f"{events_file.name} against {truth.name}"))
    tol = ", ".join(f"{k} {v.time_h:g} h" + (f"/{v.space_km:g} km" if v.space_km else "")
                    for k, v in TOLERANCES.items())
    out.print(f"  tolerances: {tol}", highlight=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for everything the job writes")] = Path(
        "harborwatch-demo"),
    seed: SeedOpt = 2023,
    days: DaysOpt = 365,
    vessels: VesselsOpt = 24,
    workers: Annotated[int | None, typer.Option("--workers", help="threads for event detection")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """The main job on the SIMULATED Rason 2023 scenario: simulate (cached), ingest, events, screening,
    radar (scenes, detect, fuse), evaluate, report."""
    from harborwatch.demo import run_demo
    from harborwatch.scenario import Scenario

    progress, say = _stage_progress(as_json)
    with progress:
        f = run_demo(out_dir, Scenario(seed=seed, days=days, vessels=vessels), say=say, workers=workers)
    if as_json:
        print(json.dumps(f, sort_keys=True))
        return
    ing = f["ingest"]
    out.print(f"[bold]harborwatch demo[/bold] - SIMULATED Rason scenario, seed {seed}, {days} days", highlight=False)
    out.print(f"  ingested {ing['records_in']:,} records: {ing['stored']:,} stored, {ing['quarantined']:,} "
              f"quarantined, {ing['duplicates']:,} duplicates", highlight=False)
    ev = f["events"]
    out.print("  events: " + ", ".join(f"{k} {v:,}" for k, v in ev.items()), highlight=False)
    out.print("  Rajin port calls per week: " + "; ".join(
        f"{k} {v['per_week']}" for k, v in f["rajin"].items() if v["per_week"] is not None), highlight=False)
    out.print("  in the ground truth (AIS on or off): " + "; ".join(
        f"{k} {v['per_week']} ({v['dark_calls']} dark)" for k, v in f["rajin_truth"].items()
        if v["per_week"] is not None), highlight=False)
    out.print(f"  gaps flagged as likely AIS disabling: {f['dark_gaps_detected']}", highlight=False)
    _print_estimates(f)
    sc = f["screening"]
    out.print(f"  watchlist (SIMULATED list): {sc['vessels']} vessels hit; {sc['listed_vessel_port_visits']} port "
              f"visits by listed vessels, {sc['at_rajin']} of them at Rajin", highlight=False)
    rd = f.get("radar")
    if rd:
        ev = rd["evaluation"]
        out.print(f"  radar (SIMULATED scenes): {rd['scenes']} overpasses of Rajin; {rd['rajin']['seen']} ships seen "
                  f"at Rajin, {rd['rajin']['dark']} not on AIS; dark vessels against the truth: precision "
                  f"{ev['dark_vessel']['precision']:.3f}, recall {ev['dark_vessel']['recall']:.3f}", highlight=False)
        ri = (f.get("rail") or {}).get("imagery")
        if ri:
            out.print(f"  rail cars counted on {ri['scenes']} SIMULATED yard scenes: {ri['exact']} exact, mean error "
                      f"{ri['mean_abs_error_cars']} cars; imported beside the analyst's counts", highlight=False)
        ro = (f.get("rail") or {}).get("optical")
        if ro:
            out.print(f"  rail cars counted on {ro['images']} SIMULATED optical images (0.5 m, shadows told apart): "
                      f"{ro['exact']} exact, mean error {ro['mean_abs_error_cars']} cars", highlight=False)
        ns = rd.get("new_structures")
        if ns:
            out.print(f"  new structures in the radar stack: {ns['found']} found, {ns['truth']} in the truth; F1 "
                      f"{ns['f1']}, date error {ns['median_date_error_days']} days", highlight=False)
        no = rd.get("new_structures_optical")
        if no:
            out.print(f"  new structures in the optical stacks: {no['found']} found, {no['truth']} in the truth; F1 "
                      f"{no['f1']}, date error {no['median_date_error_days']} days", highlight=False)
    for c in f.get("claims", []):
        m = "-" if c["measured"] is None else f"{c['measured']:,.2f} [{c['low']:,.2f}, {c['high']:,.2f}]"
        out.print(f"  claim {c['claim_id']} (checked against the SIMULATED scenario): {c['status']}, measured {m}; "
                  f"{c['reason']}; evidence in {c['bundle']}", highlight=False)
    scores = json.loads((out_dir / "evaluation.json").read_text())
    out.print(_scores_table(scores, "detected events against the ground truth"))
    out.print(f"  files in {out_dir}: " + ", ".join(Path(p).name for p in f["files"].values()), highlight=False)
    rep = f["report"]
    out.print(f"  [bold]report:[/bold] {rep['html']}" + (f" and {rep['pdf']}" if "pdf" in rep else ""), highlight=False)
    if "pdf_error" in rep:
        err.print(f"[yellow]{rep['pdf_error']}[/yellow]")
    out.print("  not yet in this version: " + ", ".join(f["not_yet"]), highlight=False)


@app.command()
def report(
    store: StoreOpt = Path("hw-store"),
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for report.html, report.pdf and figures/")]
    = Path("hw-report"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the shipped one)")] = None,
    title: Annotated[str, typer.Option("--title", help="report title")] = "harborwatch report",
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="skip the PDF")] = False,
    dossiers: Annotated[Path | None, typer.Option(
        "--dossiers", help="folder of vessel dossiers from `screen --dossiers`: shown as a report section")] = None,
) -> None:
    """Write the report of a store's events: self-contained HTML (offline), SVG/PNG figures and a PDF."""
    from harborwatch.report import build_report

    progress, say = _stage_progress(False)
    with progress:
        say("report", 0, 1)
        if dossiers is not None and not dossiers.is_dir():
            raise InputFileError(f"{dossiers}: no such folder", hint="write it with `harborwatch screen --dossiers`")
        r = build_report(store, out_dir, _load_sites(sites), title=title, pdf=not no_pdf, dossiers=dossiers)
        say("report", 1, 1)
    for k, v in r.items():
        if k == "pdf_error":
            err.print(f"[yellow]{v}[/yellow]")
        else:
            out.print(f"  {k:<11} {v}", highlight=False)
