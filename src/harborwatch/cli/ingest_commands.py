"""`ingest`, `counts`, `store info|export`, `quarantine`, `sql`, `formats`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from harborwatch.cli.common import (
    StoreOpt,
    _parse_time,
    _report_json,
    _RichProgress,
    app,
    err,
    out,
    store_app,
    to_pandas,
)
from harborwatch.core.errors import HarborwatchError
from harborwatch.core.filesystems import is_uri


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files: NMEA or CSV, optionally .gz/.bz2/.zip")],
    store: StoreOpt = Path("hw-store"),
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="force a format: nmea or a CSV layout (see `formats`)")
    ] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="TOML mapping for another CSV layout")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="stop at the first bad record")] = False,
    receiver: Annotated[
        str | None, typer.Option("--receiver", help="terrestrial, satellite or unknown (overrides the format)")
    ] = None,
    assume_time: Annotated[
        str | None, typer.Option("--assume-time", help="UTC time (ISO 8601) for records that carry none")
    ] = None,
    min_time: Annotated[
        str | None, typer.Option("--min-time", help="earlier times are implausible (default 2000-01-01T00:00:00Z)")
    ] = None,
    max_time: Annotated[
        str | None, typer.Option("--max-time", help="later times are implausible (default: a day after now)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file on stdout")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="worker processes reading files side by side "
                                                                   "(one file each; this process writes)")] = 1,
) -> None:
    """Ingest AIS files into the store (idempotent; bad records are quarantined, unusable optional
    fields are stored as null and counted as field issues)."""
    from harborwatch.store import IngestOptions, Store, ingest_files

    if receiver is not None and receiver not in ("terrestrial", "satellite", "unknown"):
        raise HarborwatchError(f"--receiver {receiver!r}: use terrestrial, satellite or unknown")
    when = _parse_time(assume_time, "--assume-time") if assume_time else None
    opt = IngestOptions(format=format, mapping=mapping, strict=strict, receiver=receiver, assume_time=when,
                        min_time=_parse_time(min_time, "--min-time") if min_time else None,
                        max_time=_parse_time(max_time, "--max-time") if max_time else None)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[records]:>10,} rec"),
        TransferSpeedColumn(), TimeElapsedColumn(), console=err, transient=False, disable=as_json,
    )
    totals = {"records_in": 0, "stored": 0, "quarantined": 0, "duplicates": 0}
    reports = []
    with Store.open(store) as st, progress:
        for rep in ingest_files(st, paths, opt, _RichProgress(progress, as_json), jobs=jobs):
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
                by_count = sorted(r["quarantine_reasons"].items(), key=lambda kv: -kv[1])
                reasons = ", ".join(f"{k} {v:,}" for k, v in by_count)
                out.print(f"  quarantined in {Path(r['file']).name}: {reasons}", highlight=False)
        if any(r["quarantined"] for r in reports):
            out.print(f"  see them with: harborwatch quarantine --store {store}", highlight=False)
        for r in reports:
            if r.get("field_issues"):
                issues = ", ".join(f"{f} {why} {k:,}" for f, by in sorted(r["field_issues"].items())
                                   for why, k in sorted(by.items()))
                out.print(f"  stored with a field set to null in {Path(r['file']).name}: {issues}", highlight=False)
        if any(r.get("field_issues") for r in reports):
            out.print(f"  see them with: harborwatch quarantine --fields --store {store}", highlight=False)
        untimed = sum(r["quarantine_reasons"].get("no_timestamp", 0) for r in reports)
        if untimed:
            err.print(f"[yellow]{untimed:,} records carried no timestamp and were quarantined; "
                      "pass --assume-time ISO-TIME to ingest them as of a known time[/yellow]")


@app.command()
def listen(
    url: Annotated[str, typer.Argument(help="tcp://HOST:PORT (AIS-catcher, rtl-ais, AISHub...) or udp://[HOST]:PORT")],
    store: StoreOpt = Path("hw-store"),
    batch_s: Annotated[float, typer.Option("--batch-s", help="seconds between commits")] = 5.0,
    receiver: Annotated[str, typer.Option("--receiver", help="terrestrial, satellite or unknown")] = "terrestrial",
    no_stamp: Annotated[bool, typer.Option("--no-stamp", help="do not give untimed lines their arrival time")] = False,
) -> None:
    """Read a live NMEA feed into the store in micro-batches until Ctrl-C or SIGTERM (readers such as
    `sql`, `events` and `report` keep working meanwhile)."""
    import signal

    from harborwatch.store.live import Listener, ListenOptions

    if receiver not in ("terrestrial", "satellite", "unknown"):
        raise HarborwatchError(f"--receiver {receiver!r}: use terrestrial, satellite or unknown")
    if batch_s <= 0:
        raise HarborwatchError(f"--batch-s {batch_s}: must be > 0")

    def show(s) -> None:
        state = "connected" if s.connected else "waiting for the feed"
        err.print(f"\r{s.url} {state}: {s.rate:,.0f} lines/s, {s.records_in:,} records, {s.stored:,} stored, "
                  f"{s.quarantined:,} quarantined, {s.duplicates:,} duplicates"
                  + (f", {s.pending_batches} batches waiting for the store" if s.pending_batches else ""),
                  end="", highlight=False, soft_wrap=True)

    lis = Listener(store, url, ListenOptions(batch_s=batch_s, stamp=not no_stamp, receiver=receiver), show)
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly: the loop commits the last batch and returns
        signal.signal(sig, lambda *_: lis.stop())
    err.print(f"listening on {url} into {store}; Ctrl-C stops (the last batch is committed)", highlight=False)
    rep = lis.run()
    err.print("")
    out.print(f"{rep.get('records_in', 0):,} records: {rep.get('stored', 0):,} stored, "
              f"{rep.get('quarantined', 0):,} quarantined, {rep.get('duplicates', 0):,} duplicates", highlight=False)


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
    dest: Annotated[str, typer.Argument(help="output directory; with --lake also a URI (s3://, gs://, hdfs://)")],
    store: StoreOpt = Path("hw-store"),
    lake: Annotated[bool, typer.Option("--lake", help="GeoParquet partitioned by day and MMSI bucket, for "
                                                      "harborwatch events --lake (Spark)")] = False,
    buckets: Annotated[int, typer.Option("--buckets", help="MMSI buckets of the lake (mmsi % buckets)")] = 16,
    period: Annotated[str, typer.Option("--period", help="time partitions of the lake: day or month (regional "
                                                         "feeds: month, so files are not tiny)")] = "day",
) -> None:
    """Export positions, static reports and stations as Parquet partitioned by UTC day (with --lake:
    GeoParquet by day or month and MMSI bucket)."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        if lake:
            from harborwatch.store.lake import export_lake

            for name, n in export_lake(st, dest, buckets, period=period).items():
                out.print(f"wrote {dest.rstrip('/')}/{name}: {n:,} rows", highlight=False)
            return
        if is_uri(dest):
            raise HarborwatchError(f"{dest}: a plain export goes to a local folder",
                                   hint="export a lake (--lake) to a URI, or a folder here")
        for p in st.export_parquet(Path(dest)):
            out.print(f"wrote {p}")


@app.command()
def quarantine(
    store: StoreOpt = Path("hw-store"),
    reason: Annotated[str | None, typer.Option("--reason", help="only this reason code")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="rows to show (0 = all)")] = 50,
    fields: Annotated[bool, typer.Option("--fields", help="list field issues (stored records with a field set "
                                                         "to null) instead of rejected records")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per record")] = False,
) -> None:
    """List rejected records with file, line or row, reason and raw text (``--fields``: the optional
    fields stored as null, with the value as read)."""
    from harborwatch.store import Store

    with Store.open(store, create=False, read_only=True) as st:
        listing = st.field_issues if fields else st.quarantine
        rows = listing(limit=limit or None, reason=reason).to_pylist()
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    if fields:
        title, cols = "field issues (records stored with the field null)", ("field", "reason", "value as read")
        cells = [(r["field"], r["reason"], r["value"] or "") for r in rows]
    else:
        title, cols = "quarantine", ("reason", "detail", "raw")
        cells = [(r["reason"], r["detail"] or "", r["raw"][:100]) for r in rows]
    t = Table(title=title)
    for col in ("file:ref", *cols):
        t.add_column(col, overflow="fold")
    for r, c in zip(rows, cells, strict=True):
        t.add_row(f"{Path(r['source_file']).name}:{r['source_ref']}", *c)
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
    df = to_pandas(result)  # identifiers stay integers where a column has nulls
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
    show: Annotated[str | None, typer.Option("--show", help="print the mapping file of a built-in format")] = None,
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


@app.command()
def counts(
    paths: Annotated[list[Path], typer.Argument(help="counts files: CSV, GeoJSON or COCO JSON")],
    store: StoreOpt = Path("hw-store"),
    quantity: Annotated[str, typer.Option("--quantity", help="what was counted")] = "rail_cars",
    site: Annotated[str | None, typer.Option("--site", help="site of records that name none")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="stop at the first bad record")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file on stdout")] = False,
) -> None:
    """Import counts made at a site (rail cars on a crossing's sidings...) from analysts' CSV,
    GeoJSON or COCO files; bad records are quarantined, re-importing adds nothing."""
    from harborwatch.store import Store, ingest_counts

    with Store.open(store) as st:
        for rep in ingest_counts(st, paths, quantity, site, strict):
            if as_json:
                print(_report_json(rep), flush=True)
                continue
            out.print(f"{Path(rep['file']).name} ({rep['format']}): {rep['records_in']:,} records in, "
                      f"{rep['stored']:,} stored, {rep['quarantined']:,} quarantined, {rep['duplicates']:,} "
                      "duplicates", highlight=False)
            for k, v in sorted(rep["quarantine_reasons"].items()):
                out.print(f"  quarantined: {k} {v:,}", highlight=False)
