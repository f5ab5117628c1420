"""The ``harborwatch`` command line (typer + rich).

Errors print as one line (what, where, what to do) unless ``--debug`` is given.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from harborwatch import __version__
from harborwatch.core.errors import HarborwatchError, InputFileError

app = typer.Typer(
    name="harborwatch",
    help="Evidence about what moves through ports and border crossings, from AIS and satellite imagery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
store_app = typer.Typer(help="Inspect and export a store.", no_args_is_help=True)
app.add_typer(store_app, name="store")
lists_app = typer.Typer(help="Watchlists: download the current public lists.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
sites_app = typer.Typer(help="Site catalogues: the default, anchorages from data, the World Port Index.",
                        no_args_is_help=True)
app.add_typer(sites_app, name="sites")

out = Console()
err = Console(stderr=True)
_state = {"debug": False}

StoreOpt = Annotated[Path, typer.Option("--store", "-s", help="store directory", envvar="HARBORWATCH_STORE")]


def _version(value: bool) -> None:
    if value:
        out.print(f"harborwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = None,
) -> None:
    _state["debug"] = debug


class _RichProgress:
    """Per-file progress: bytes read (of the file on disk), records, rate."""

    def __init__(self, progress: Progress | None, json_lines: bool) -> None:
        self.p = progress
        self.json_lines = json_lines
        self.task: TaskID | None = None
        self.records = 0

    def start_file(self, name: str, total_bytes: int, fmt: str) -> None:
        self.records = 0
        if self.p is not None:
            label = Path(name.split("!")[-1]).name
            self.task = self.p.add_task(f"{label} [{fmt}]", total=max(total_bytes, 1), records=0)

    def advance(self, bytes_done: int, records: int) -> None:
        self.records += records
        if self.p is not None and self.task is not None:
            self.p.update(self.task, completed=bytes_done, records=self.records)

    def end_file(self, report: dict) -> None:
        if self.p is not None and self.task is not None:
            task = self.p.tasks[self.task]
            self.p.update(self.task, completed=task.total)


def _report_json(r: dict) -> str:
    keep = ("file", "format", "records_in", "stored", "quarantined", "duplicates", "quarantine_reasons",
            "stored_by_table", "mmsi_classes", "sha256")
    return json.dumps({k: r[k] for k in keep}, sort_keys=False)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files: NMEA or CSV, optionally .gz/.bz2/.zip")],
    store: StoreOpt = Path("hw-store"),
    format: Annotated[
        Optional[str], typer.Option("--format", "-f", help="force a format: nmea or a CSV layout (see `formats`)")
    ] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", "-m", help="TOML mapping for another CSV layout")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="stop at the first bad record")] = False,
    receiver: Annotated[
        Optional[str], typer.Option("--receiver", help="terrestrial, satellite or unknown (overrides the format)")
    ] = None,
    assume_time: Annotated[
        Optional[str], typer.Option("--assume-time", help="UTC time (ISO 8601) for records that carry none")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file on stdout")] = False,
) -> None:
    """Ingest AIS files into the store (idempotent; bad records are quarantined)."""
    from harborwatch.store import IngestOptions, Store, ingest_files

    if receiver is not None and receiver not in ("terrestrial", "satellite", "unknown"):
        raise HarborwatchError(f"--receiver {receiver!r}: use terrestrial, satellite or unknown")
    when = _parse_time(assume_time, "--assume-time") if assume_time else None
    opt = IngestOptions(format=format, mapping=mapping, strict=strict, receiver=receiver, assume_time=when)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[records]:>10,} rec"),
        TransferSpeedColumn(), TimeElapsedColumn(), console=err, transient=False, disable=as_json,
    )
    totals = {"records_in": 0, "stored": 0, "quarantined": 0, "duplicates": 0}
    reports = []
    with Store.open(store) as st, progress:
        for rep in ingest_files(st, paths, opt, _RichProgress(progress, as_json)):
            reports.append(rep)
            for k in totals:
                totals[k] += rep[k]
            if as_json:
                print(_report_json(rep), flush=True)
        st.con.execute("CHECKPOINT")
    if not as_json:
        t = Table(title=f"ingest -> {store}", show_lines=False)
        t.add_column("file", overflow="ellipsis", min_width=12, ratio=1)
        t.add_column("format")
        for col in ("records in", "stored", "quarantined", "duplicates"):
            t.add_column(col, justify="right")
        for r in reports:
            t.add_row(Path(r["file"]).name, r["format"], f"{r['records_in']:,}", f"{r['stored']:,}",
                      f"{r['quarantined']:,}", f"{r['duplicates']:,}")
        if len(reports) > 1:
            t.add_row("total", "", *(f"{totals[k]:,}" for k in totals))
        out.print(t)
        for r in reports:
            if r["quarantine_reasons"]:
                reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(r["quarantine_reasons"].items(), key=lambda kv: -kv[1]))
                out.print(f"  quarantined in {Path(r['file']).name}: {reasons}", highlight=False)
        if any(r["quarantined"] for r in reports):
            out.print(f"  see them with: harborwatch quarantine --store {store}", highlight=False)
        untimed = sum(r["quarantine_reasons"].get("no_timestamp", 0) for r in reports)
        if untimed:
            err.print(f"[yellow]{untimed:,} records carried no timestamp and were quarantined; "
                      "pass --assume-time ISO-TIME to ingest them as of a known time[/yellow]")


def _parse_time(text: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise HarborwatchError(f"{what} {text!r}: not an ISO 8601 time", hint="e.g. 2023-07-26T00:00:00Z") from e
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@store_app.command("info")
def store_info(
    store: StoreOpt = Path("hw-store"),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Row counts, time span, vessels and ingest accounting of a store."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        info = st.info()
    if as_json:
        print(json.dumps(info, default=str))
        return
    t = Table(title=f"store {info['store']}", show_header=False)
    for k, v in info["rows"].items():
        t.add_row(f"rows: {k}", f"{v:,}")
    t.add_row("vessels (MMSI)", f"{info['vessels']:,}")
    t.add_row("time span", f"{info['first_timestamp']} .. {info['last_timestamp']}")
    for k, v in info["ingests"].items():
        t.add_row(f"ingest: {k}", f"{v:,}")
    for k, v in info["quarantine_reasons"].items():
        t.add_row(f"quarantined: {k}", f"{v:,}")
    out.print(t)


@store_app.command("export")
def store_export(
    dest: Annotated[Path, typer.Argument(help="output directory")],
    store: StoreOpt = Path("hw-store"),
) -> None:
    """Export positions, static reports and stations as Parquet partitioned by UTC day."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        for p in st.export_parquet(dest):
            out.print(f"wrote {p}")


@app.command()
def quarantine(
    store: StoreOpt = Path("hw-store"),
    reason: Annotated[Optional[str], typer.Option("--reason", help="only this reason code")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="rows to show (0 = all)")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per record")] = False,
) -> None:
    """List rejected records with file, line or row, reason and raw text."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        rows = st.quarantine(limit=limit or None, reason=reason).to_pylist()
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    t = Table(title="quarantine")
    for col in ("file:ref", "reason", "detail", "raw"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(f"{Path(r['source_file']).name}:{r['source_ref']}", r["reason"], r["detail"] or "", r["raw"][:100])
    out.print(t)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL (DuckDB dialect) over the store's tables")],
    store: StoreOpt = Path("hw-store"),
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Run SQL against the store (tables: positions, static, stations, quarantine, identity, ...)."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        result = st.sql(query)
    df = result.to_pandas()
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", lines=True, date_format="iso"))
    else:
        t = Table()
        for c in df.columns:
            t.add_column(str(c))
        for row in df.head(1000).itertuples(index=False):
            t.add_row(*("" if v is None else str(v) for v in row))
        out.print(t)
        if len(df) > 1000:
            err.print(f"(showing 1,000 of {len(df):,} rows; use --format csv for all)")


@app.command()
def formats(
    show: Annotated[Optional[str], typer.Option("--show", help="print the mapping file of a built-in format")] = None,
) -> None:
    """List the input formats harborwatch recognises (and their mapping files)."""
    from harborwatch.ingest.csv.mapping import builtin_mapping_text, builtin_mappings

    if show:
        out.print(builtin_mapping_text(show), markup=False, highlight=False)
        return
    t = Table(title="formats (detected from content; --format forces one)")
    t.add_column("name")
    t.add_column("description")
    t.add_row("nmea", "NMEA 0183 !AIVDM/!AIVDO, NMEA 4.10 tag blocks, Unix-time prefix or suffix columns")
    for name, m in builtin_mappings().items():
        t.add_row(name, m.description)
    out.print(t)


def _stage_progress(disable: bool) -> tuple[Progress, Callable[[str, int, int], None]]:
    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=err, transient=False, disable=disable)
    tasks: dict[str, TaskID] = {}

    def say(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return progress, say


def _load_sites(path: Path | None):
    from harborwatch.sites import SiteCatalogue

    return SiteCatalogue.default() if path is None else SiteCatalogue.read(path)


@app.command()
def events(
    store: StoreOpt = Path("hw-store"),
    sites: Annotated[Optional[Path], typer.Option("--sites", help="site catalogue (.geojson/.parquet); "
                                                  "default: the shipped Rason catalogue")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="UTC start (ISO 8601), inclusive")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="UTC end (ISO 8601), exclusive")] = None,
    types: Annotated[Optional[str], typer.Option("--types", help="comma-separated event types (default: all)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local or spark")] = "local",
    workers: Annotated[Optional[int], typer.Option("--workers", help="processes (local) or cores (spark)")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML file overriding rule parameters")] = None,
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="write events to .csv, .geojson or "
                                                     ".parquet (GeoParquet)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print counts per event type as JSON")] = False,
) -> None:
    """Detect events (port visits, voyages, gaps, encounters, loitering, identity, spoofing) and store them."""
    from harborwatch.events import EVENT_TYPES, EventsConfig, Request, run, write_events
    from harborwatch.store import Store

    cfg = EventsConfig.from_toml(config) if config else EventsConfig()
    wanted = tuple(t.strip() for t in types.split(",") if t.strip()) if types else EVENT_TYPES
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise HarborwatchError(f"--types: unknown event type {unknown[0]!r}", hint="one of " + ", ".join(EVENT_TYPES))
    req = Request(cfg, _load_sites(sites), wanted, _parse_time(since, "--since") if since else None,
                  _parse_time(until, "--until") if until else None)
    progress, say = _stage_progress(as_json)
    with Store.open(store, create=False) as st, progress:
        table = run(st, req, engine=engine, workers=workers, progress=say)
        added = st.put_rows("events", table, "event_id")
    counts: dict[str, int] = {}
    for t in table["type"].to_pylist():
        counts[t] = counts.get(t, 0) + 1
    if out_path is not None:
        write_events(table, out_path)
    if as_json:
        print(json.dumps({"events": table.num_rows, "new_in_store": added,
                          "by_type": dict(sorted(counts.items())), "out": str(out_path) if out_path else None}))
        return
    t = Table(title=f"events in {store} ({engine} engine)")
    t.add_column("type")
    t.add_column("events", justify="right")
    for k in EVENT_TYPES:
        if k in counts:
            t.add_row(k, f"{counts[k]:,}")
    t.add_row("total", f"{table.num_rows:,}")
    out.print(t)
    out.print(f"  {added:,} new in the store (table events); reruns add none", highlight=False)
    if out_path is not None:
        out.print(f"  written to {out_path}", highlight=False)


SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (the scenario is deterministic for it)")]
DaysOpt = Annotated[int, typer.Option("--days", help="days simulated from 2023-01-01")]
VesselsOpt = Annotated[int, typer.Option("--vessels", help="fleet size (at least 14: the storyline's roles)")]


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


def _scores_table(scores: dict, title: str) -> Table:
    t = Table(title=title)
    for c in ("type", "truth", "detected", "precision", "recall", "F1"):
        t.add_column(c, justify="left" if c == "type" else "right")

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    for k, v in scores.items():
        t.add_row(k, str(v.get("truth", "")), str(v.get("detected", "-")), f(v.get("precision")), f(v.get("recall")),
                  f(v.get("f1")))
    return t


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="ground truth (truth_events.parquet/.csv)")],
    events_file: Annotated[Path, typer.Option("--events", help="detected events (.parquet, .csv or .geojson)")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object with an entry per type")] = False,
) -> None:
    """Precision, recall and F1 per event type against the scenario's ground truth."""
    from harborwatch.evaluate import TOLERANCES, read_table
    from harborwatch.evaluate import evaluate as score

    scores = score(read_table(truth), read_table(events_file))
    if as_json:
        print(json.dumps(scores, sort_keys=True))
        return
    out.print(_scores_table(scores, f"{events_file.name} against {truth.name}"))
    tol = ", ".join(f"{k} {v.time_h:g} h" + (f"/{v.space_km:g} km" if v.space_km else "") for k, v in TOLERANCES.items())
    out.print(f"  tolerances: {tol}", highlight=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for everything the job writes")] = Path(
        "harborwatch-demo"),
    seed: SeedOpt = 2023,
    days: DaysOpt = 365,
    vessels: VesselsOpt = 24,
    workers: Annotated[Optional[int], typer.Option("--workers", help="processes for event detection")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """The main job on the SIMULATED Rason 2023 scenario: simulate (cached), ingest, events, evaluate."""
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
    sc = f["screening"]
    out.print(f"  watchlist (SIMULATED list): {sc['vessels']} vessels hit; {sc['listed_vessel_port_visits']} port "
              f"visits by listed vessels, {sc['at_rajin']} of them at Rajin", highlight=False)
    rd = f.get("radar")
    if rd:
        ev = rd["evaluation"]
        out.print(f"  radar (SIMULATED scenes): {rd['scenes']} overpasses of Rajin; {rd['rajin']['seen']} ships seen "
                  f"at Rajin, {rd['rajin']['dark']} not on AIS; dark vessels against the truth: precision "
                  f"{ev['dark_vessel']['precision']:.3f}, recall {ev['dark_vessel']['recall']:.3f}", highlight=False)
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
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for report.html, report.pdf and figures/")] = Path(
        "hw-report"),
    sites: Annotated[Optional[Path], typer.Option("--sites", help="site catalogue (default: the shipped one)")] = None,
    title: Annotated[str, typer.Option("--title", help="report title")] = "harborwatch report",
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="skip the PDF")] = False,
    dossiers: Annotated[Optional[Path], typer.Option(
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


@app.command()
def screen(
    lists: Annotated[list[Path], typer.Option("--lists", "-l", help="watchlist file or folder (repeatable)")],
    store: StoreOpt = Path("hw-store"),
    sites: Annotated[Optional[str], typer.Option("--sites", help="only vessels with port visits at these site ids "
                                                 "(comma-separated; run `events` first)")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="UTC start (ISO 8601)")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="UTC end (ISO 8601), exclusive")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="minimum score of a hit (0-1)")] = 0.7,
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="write hits to .csv or .parquet")] = None,
    dossier_dir: Annotated[Optional[Path], typer.Option("--dossiers", help="write one JSON dossier per vessel "
                                                        "with hits into this folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per hit on stdout")] = False,
) -> None:
    """Screen every vessel seen (with its identity history) against watchlists; explain each hit.

    Port visits by vessels with hits become `watchlist_vessel_at_site` events in the store."""
    from harborwatch.screening import Screen, read_lists, seen_from_store
    from harborwatch.screening import screen as run_screen
    from harborwatch.screening.outputs import dossiers, watchlist_events
    from harborwatch.store import Store

    wl, reports = read_lists(lists)
    site_ids = [x.strip() for x in sites.split(",") if x.strip()] if sites else None
    params = Screen(threshold=threshold)
    with Store.open(store, create=False) as st:
        seen = seen_from_store(st, _parse_time(since, "--since") if since else None,
                               _parse_time(until, "--until") if until else None, site_ids)
        hits = run_screen(seen, wl, params)
        wev = watchlist_events(st, hits, params, site_ids)
        added = st.put_rows("events", wev, "event_id") if wev.num_rows else 0
        written = dossiers(st, hits, dossier_dir) if dossier_dir is not None and hits.num_rows else []
    if not as_json:
        err.print(f"  {wev.num_rows} watchlist_vessel_at_site events ({added} new in the store)"
                  + (f"; {len(written)} dossiers in {dossier_dir}" if dossier_dir is not None else ""),
                  highlight=False)
    if out_path is not None:
        if out_path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(hits, out_path)
        elif out_path.suffix.lower() == ".csv":
            hits.to_pandas().to_csv(out_path, index=False)
        else:
            raise HarborwatchError(f"--out {out_path}: use .csv or .parquet")
    if as_json:
        for h in hits.to_pylist():
            h["features"] = json.loads(h["features"])
            print(json.dumps(h, sort_keys=True, default=str))
        return
    for r in reports:
        skipped = f", {r.skipped} skipped ({', '.join(f'{k} {v}' for k, v in r.reasons.items())})" if r.skipped else ""
        out.print(f"  {Path(r.file).name}: {r.format}, {r.records_in:,} records, {r.entries:,} entries{skipped}",
                  highlight=False)
    t = Table(title=f"{hits.num_rows} hits among {len(seen)} vessels against {wl.num_rows:,} list entries")
    for c in ("MMSI", "name seen", "name listed", "list", "score", "features"):
        t.add_column(c)
    for h in hits.to_pylist():
        feats = ", ".join(f["feature"] for f in json.loads(h["features"]))
        t.add_row(str(h["mmsi"]), h["name_seen"] or "", h["name_listed"] or "", h["list"], f"{h['score']:.2f}", feats)
    out.print(t)


@lists_app.command("fetch")
def lists_fetch(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the lists and manifest.json")] = Path(
        "hw-lists"),
    source: Annotated[Optional[list[str]], typer.Option("--source", help="opensanctions, ofac, un, eu or uk "
                                                          "(repeatable; default all)")] = None,
    url: Annotated[Optional[list[str]], typer.Option("--url", help="NAME=URL to override a source's address")] = None,
) -> None:
    """Download the current public lists (OpenSanctions, OFAC, UN, EU, UK), with SHA-256 in manifest.json."""
    from harborwatch.screening.fetch import fetch

    urls = {}
    for u in url or []:
        if "=" not in u:
            raise HarborwatchError(f"--url {u!r}: use NAME=URL")
        k, v = u.split("=", 1)
        urls[k.strip()] = v.strip()
    got = fetch(out_dir, source, urls)
    for n, e in got.items():
        out.print(f"  {n:<14} {e['bytes']:>12,} bytes  sha256 {e['sha256'][:16]}  {out_dir / e['file']}",
                  highlight=False)


@sites_app.command("build")
def sites_build(
    store: StoreOpt = Path("hw-store"),
    out_path: Annotated[Path, typer.Option("--out", "-o", help=".geojson or .parquet")] = Path("anchorages.geojson"),
    min_vessels: Annotated[int, typer.Option("--min-vessels", help="distinct stopped vessels per cell")] = 20,
    cell_m: Annotated[float, typer.Option("--cell-m", help="grid cell size, metres")] = 500.0,
    max_speed: Annotated[float, typer.Option("--max-speed-knots", help="stopped below this speed")] = 0.5,
    ports: Annotated[Optional[Path], typer.Option("--ports", help="name anchorages after the nearest port of "
                                                  "this catalogue or World Port Index CSV")] = None,
) -> None:
    """Derive anchorages from the store's positions (cells where many vessels stop)."""
    from harborwatch.sites.build import Anchorages, anchorages, read_wpi
    from harborwatch.store import Store

    named = None
    if ports is not None:
        named = read_wpi(ports) if ports.suffix.lower() == ".csv" else _load_sites(ports)
    with Store.open(store, create=False, read_only=True) as st:
        cat = anchorages(st, Anchorages(cell_m=cell_m, max_speed_knots=max_speed, min_vessels=min_vessels), named)
    cat.write(out_path)
    out.print(f"{len(cat):,} anchorages -> {out_path}", highlight=False)


@sites_app.command("from-wpi")
def sites_from_wpi(
    wpi: Annotated[Path, typer.Argument(help="NGA World Port Index CSV (Pub. 150)")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help=".geojson or .parquet")] = Path("ports.geojson"),
    radius_m: Annotated[float, typer.Option("--radius-m", help="site radius around each port point")] = 2000.0,
) -> None:
    """Turn the World Port Index into a site catalogue."""
    from harborwatch.sites.build import read_wpi

    cat = read_wpi(wpi, radius_m)
    cat.write(out_path)
    out.print(f"{len(cat):,} ports -> {out_path}", highlight=False)


@sites_app.command("list")
def sites_list(
    sites: Annotated[Optional[Path], typer.Option("--sites", help="catalogue (default: the shipped one)")] = None,
) -> None:
    """Show a site catalogue with the source of each site's coordinates."""
    cat = _load_sites(sites)
    t = Table(title=f"{len(cat)} sites")
    for c in ("site_id", "kind", "lat", "lon", "radius_m", "source"):
        t.add_column(c, overflow="fold")
    for r in cat.table.to_pylist():
        t.add_row(r["site_id"], r["kind"], f"{r['lat']:.4f}", f"{r['lon']:.4f}", f"{r['radius_m']:.0f}", r["source"])
    out.print(t)


from harborwatch.cli import sar_commands  # noqa: E402,F401  (registers detect and detect-eval on `app`)


def main() -> None:
    try:
        app()
    except HarborwatchError as e:
        if _state["debug"]:
            raise
        msg = str(e).replace("\n", " ")
        hint = f" ({e.hint})" if e.hint else ""
        err.print(f"[bold red]error:[/bold red] {escape(msg)}{escape(hint)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; committed batches are kept, re-run the same command to complete")
        sys.exit(130)


if __name__ == "__main__":
    main()
