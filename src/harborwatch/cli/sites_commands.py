"""`sites build|from-wpi|list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harborwatch.cli.common import (
    StoreOpt,
    _load_sites,
    out,
    sites_app,
)


@sites_app.command("build")
def sites_build(
    store: StoreOpt = Path("hw-store"),
    out_path: Annotated[Path, typer.Option("--out", "-o", help=".geojson or .parquet")] = Path("anchorages.geojson"),
    min_vessels: Annotated[int, typer.Option("--min-vessels", help="distinct stopped vessels per cell")] = 20,
    cell_m: Annotated[float, typer.Option("--cell-m", help="grid cell size, metres")] = 500.0,
    max_speed: Annotated[float, typer.Option("--max-speed-knots", help="stopped below this speed")] = 0.5,
    ports: Annotated[Path | None, typer.Option("--ports", help="name anchorages after the nearest port of "
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
    sites: Annotated[Path | None, typer.Option("--sites", help="catalogue (default: the shipped one)")] = None,
) -> None:
    """Show a site catalogue with the source of each site's coordinates."""
    cat = _load_sites(sites)
    t = Table(title=f"{len(cat)} sites")
    for c in ("site_id", "kind", "lat", "lon", "radius_m", "source"):
        t.add_column(c, overflow="fold")
    for r in cat.table.to_pylist():
        t.add_row(r["site_id"], r["kind"], f"{r['lat']:.4f}", f"{r['lon']:.4f}", f"{r['radius_m']:.0f}", r["source"])
    out.print(t)
