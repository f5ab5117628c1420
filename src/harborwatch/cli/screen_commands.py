"""`screen` and `lists fetch`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harborwatch.cli.common import (
    StoreOpt,
    _parse_time,
    app,
    check_table_path,
    err,
    lists_app,
    out,
    write_table,
)
from harborwatch.core.errors import HarborwatchError


@app.command()
def screen(
    lists: Annotated[list[Path], typer.Option("--lists", "-l", help="watchlist file or folder (repeatable)")],
    store: StoreOpt = Path("hw-store"),
    sites: Annotated[str | None, typer.Option("--sites", help="only vessels with port visits at these site ids "
                                                 "(comma-separated; run `events` first)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="UTC start (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="UTC end (ISO 8601), exclusive")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="minimum score of a hit (0-1)")] = 0.7,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write hits to .csv or .parquet")] = None,
    dossier_dir: Annotated[Path | None, typer.Option("--dossiers", help="write one JSON dossier per vessel "
                                                        "with hits into this folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per hit on stdout")] = False,
) -> None:
    """Screen every vessel seen (with its identity history) against watchlists; explain each hit.

    Port visits by vessels with hits become `watchlist_vessel_at_site` events in the store."""
    from harborwatch.screening import Screen, read_lists, seen_from_store
    from harborwatch.screening import screen as run_screen
    from harborwatch.screening.outputs import dossiers, watchlist_events
    from harborwatch.store import Store

    check_table_path(out_path)
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
        write_table(hits, out_path)
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
    source: Annotated[list[str] | None, typer.Option("--source", help="opensanctions, ofac, un, eu or uk "
                                                          "(repeatable; default all)")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="NAME=URL to override a source's address")] = None,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="stop a download larger than this")] = 4 << 30,
) -> None:
    """Download the current public lists (OpenSanctions, OFAC, UN, EU, UK), with SHA-256 in manifest.json."""
    from harborwatch.screening.fetch import fetch

    urls = {}
    for u in url or []:
        if "=" not in u:
            raise HarborwatchError(f"--url {u!r}: use NAME=URL")
        k, v = u.split("=", 1)
        urls[k.strip()] = v.strip()
    got = fetch(out_dir, source, urls, max_bytes=max_bytes)
    for n, e in got.items():
        out.print(f"  {n:<14} {e['bytes']:>12,} bytes  sha256 {e['sha256'][:16]}  {out_dir / e['file']}",
                  highlight=False)
