"""Report figures with matplotlib (Agg): the map and the weekly series, as SVG and PNG.

Coastlines come from the packaged 1 km land mask (:mod:`harborwatch.geo.landmask`), drawn
as filled land and its outline, so the map needs no download.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.series import week_dates, week_index, week_start
from harborwatch.events.rules.gaps import likely_disabling
from harborwatch.geo.landmask import is_land

#: Marker style per event type on the map.
STYLE = {
    "encounter": ("*", "#d62728", 120, "encounter (ship-to-ship)"),
    "loitering": ("o", "#ff7f0e", 28, "loitering"),
    "gap": ("v", "#111111", 36, "AIS gap, likely disabling"),
    "on_land": ("X", "#9467bd", 60, "position on land"),
    "teleport": ("P", "#9467bd", 60, "teleport"),
    "shared_mmsi": ("D", "#8c564b", 40, "one MMSI, two hulls"),
    "dark_vessel": ("^", "#e377c2", 60, "radar detection not on AIS"),
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, stem: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in ("svg", "png"):
        p = out / f"{stem}.{ext}"
        fig.savefig(p, dpi=130, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        paths[ext] = p
    return paths


def _legend(ax, **kw) -> None:
    """A legend on ``ax`` when it has labelled artists (none: no empty box, no matplotlib warning)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def bbox(lats: np.ndarray, lons: np.ndarray, margin_deg: float = 0.3) -> tuple[float, float, float, float]:
    """A map extent holding the central 98 % of the points, with a margin."""
    ok = ~(np.isnan(lats) | np.isnan(lons))
    la, lo = lats[ok], lons[ok]
    if len(la) == 0:
        return (-60.0, 75.0, -180.0, 180.0)
    a, b = np.percentile(la, [1, 99])
    c, d = np.percentile(lo, [1, 99])
    return (float(a - margin_deg), float(b + margin_deg), float(c - margin_deg), float(d + margin_deg))


def map_figure(out: Path, sites: pa.Table, tracks: pa.Table, events: pa.Table,
               extent: tuple[float, float, float, float]) -> dict[str, Path]:
    """Land, sites, vessel tracks (``tracks``: mmsi, lat, lon in time order) and events."""
    plt = _plt()
    la0, la1, lo0, lo1 = extent
    step = max((la1 - la0), (lo1 - lo0)) / 700.0
    glat = np.arange(la0, la1 + step, step)
    glon = np.arange(lo0, lo1 + step, step)
    GLA, GLO = np.meshgrid(glat, glon, indexing="ij")
    land = is_land(GLA.ravel(), GLO.ravel()).reshape(GLA.shape).astype(float)
    fig, ax = plt.subplots(figsize=(10, 8))
    ax.set_facecolor("#dbe9f4")
    ax.contourf(glon, glat, land, levels=[0.5, 1.5], colors=["#efe9dc"])
    ax.contour(glon, glat, land, levels=[0.5], colors=["#7f7f7f"], linewidths=0.6)
    mm = tracks["mmsi"].to_numpy(zero_copy_only=False)
    tla = tracks["lat"].to_numpy(zero_copy_only=False)
    tlo = tracks["lon"].to_numpy(zero_copy_only=False)
    # a new line per vessel, and wherever consecutive kept fixes are > 15 km apart (gaps, jumps)
    jump = np.hypot(np.diff(tla), np.diff(tlo) * np.cos(np.radians(tla[:-1]))) * 111.2 > 15.0
    cut = np.flatnonzero((np.diff(mm) != 0) | jump) + 1
    for a, b in zip(np.concatenate([[0], cut]), np.concatenate([cut, [len(mm)]]), strict=True):
        ax.plot(tlo[a:b], tla[a:b], color="#1f77b4", linewidth=0.35, alpha=0.35, gid=f"track-{mm[a]}")
    # sites, sized by detected port visits
    visits = events.filter(pc.equal(events["type"], "port_visit"))
    counts: dict[str, int] = {}
    for s in visits["site_id"].to_pylist():
        counts[s] = counts.get(s, 0) + 1
    for r in sites.to_pylist():
        if not (la0 <= r["lat"] <= la1 and lo0 <= r["lon"] <= lo1):
            continue
        n = counts.get(r["site_id"], 0)
        ax.scatter([r["lon"]], [r["lat"]], s=30 + 4 * np.sqrt(n), marker="s", color="#2ca02c",
                   edgecolor="black", linewidth=0.5, zorder=5)
        ax.annotate(f"{r['name']} ({n})", (r["lon"], r["lat"]), xytext=(4, 4), textcoords="offset points",
                    fontsize=7, zorder=6)
    for ty, (marker, color, size, label) in STYLE.items():
        e = events.filter(pc.equal(events["type"], ty))
        if ty == "gap":
            e = e.filter(likely_disabling(e))
        if e.num_rows == 0:
            continue
        ax.scatter(e["lon"].to_numpy(zero_copy_only=False), e["lat"].to_numpy(zero_copy_only=False), marker=marker,
                   s=size, color=color, edgecolor="white", linewidth=0.4, zorder=7, label=f"{label} ({e.num_rows})")
    ax.set_xlim(lo0, lo1)
    ax.set_ylim(la0, la1)
    ax.set_aspect(1 / np.cos(np.radians((la0 + la1) / 2)))
    ax.set_xlabel("longitude (degrees east, WGS 84)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title("Sites (port visits in brackets), tracks and events")
    _legend(ax, loc="lower right", fontsize=7, framealpha=0.9)
    paths = _save(fig, out, "map")
    plt.close(fig)
    return paths


def gap_sites(gaps: pa.Table, catalogue, within_m: float = 60_000.0) -> list[str | None]:
    """The site nearest to where each gap began, if within ``within_m``."""
    if gaps.num_rows == 0:
        return []
    idx = catalogue.index(max_query_m=within_m)
    d, k = idx.nearest(gaps["lat"].to_numpy(zero_copy_only=False), gaps["lon"].to_numpy(zero_copy_only=False))
    ids = catalogue.ids()
    return [ids[int(j)] if j >= 0 and dd <= within_m else None for dd, j in zip(d, k, strict=True)]


def weekly_figure(out: Path, events: pa.Table, catalogue, calendar: tuple[CalendarEntry, ...],
                  top: int = 4) -> tuple[dict[str, Path], dict]:
    """Weekly port calls per site (the busiest ``top`` sites) and likely-disabling gaps per week
    by the nearest site within 60 km of where the signal was lost; calendar entries as lines."""
    plt = _plt()
    start = pc.cast(events["start"], pa.int64()).to_numpy(zero_copy_only=False)
    if len(start) == 0:
        return {}, {}
    t0 = int(start.min()) // 1000
    week0 = week_start(t0)
    nweeks = int(week_index(np.array([start.max()]), week0)[0]) + 1
    visits = events.filter(pc.equal(events["type"], "port_visit"))
    vs = visits["site_id"].to_pylist()
    vw = week_index(pc.cast(visits["start"], pa.int64()).to_numpy(zero_copy_only=False), week0)
    by_site: dict[str, int] = {}
    for s in vs:
        by_site[s] = by_site.get(s, 0) + 1
    sites = [s for s, _ in sorted(by_site.items(), key=lambda kv: -kv[1])[:top]]
    if "kp-rajin" in by_site and "kp-rajin" not in sites:
        sites = ["kp-rajin"] + sites[:-1]
    gaps = events.filter(likely_disabling(events))
    gw = week_index(pc.cast(gaps["start"], pa.int64()).to_numpy(zero_copy_only=False), week0)
    gsite = gap_sites(gaps, catalogue)
    site_names = dict(zip(catalogue.ids(), catalogue.table["name"].to_pylist(), strict=True))
    x = np.array(week_dates(week0, nweeks))
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    series: dict = {"weeks": [d.date().isoformat() for d in x], "port_calls": {}, "dark_gaps": {}}
    for s in sites:
        counts = np.bincount(vw[np.array([v == s for v in vs])], minlength=nweeks)[:nweeks]
        axes[0].step(x, counts, where="post", label=site_names.get(s, s), linewidth=1.2)
        series["port_calls"][s] = counts.tolist()
    axes[0].set_ylabel("port calls per week")
    _legend(axes[0], fontsize=8, ncol=2)
    groups = sorted({g or "at sea" for g in gsite})
    bottom = np.zeros(nweeks)
    for gname in groups:
        sel = np.array([(g or "at sea") == gname for g in gsite], bool)
        counts = np.bincount(gw[sel], minlength=nweeks)[:nweeks] if sel.any() else np.zeros(nweeks, int)
        axes[1].bar(x, counts, width=6, bottom=bottom, align="edge", label=site_names.get(gname, gname))
        bottom += counts
        series["dark_gaps"][gname] = counts.tolist()
    axes[1].set_ylabel("gaps flagged likely\nAIS disabling, per week")
    _legend(axes[1], fontsize=7, ncol=3, title="signal lost nearest to", title_fontsize=7)
    lo, hi = x[0], x[-1]
    for c in calendar:
        d = datetime.fromtimestamp(c.epoch_s, UTC)
        if lo <= d <= hi:
            for ax in axes:
                ax.axvline(d, color="#d62728", linestyle="--", linewidth=1)
            axes[0].annotate(c.label, (d, axes[0].get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=7,
                             color="#d62728")
    axes[0].set_title("Weekly port calls and dark gaps, with the event calendar")
    fig.autofmt_xdate()
    paths = _save(fig, out, "weekly")
    plt.close(fig)
    return paths, series


def _dates(col) -> np.ndarray:
    return np.array([datetime(d.year, d.month, d.day, tzinfo=UTC) for d in col.to_pylist()])


def estimates_figure(out: Path, activity: pa.Table, rail: pa.Table | None, site: str,
                     calendar: tuple[CalendarEntry, ...], changes: list[dict], label: str = "") -> dict[str, Path]:
    """The estimated series with their 90 % intervals: calls per week at ``site`` (seen on AIS,
    plus the expected dark calls) and rail cars per week at each site with counts (weeks
    without counts left empty); calendar dates as dashed lines, change points found as dots."""
    plt = _plt()
    act = activity.filter(pc.equal(activity["site_id"], site))
    panels = 1 + int(rail is not None and rail.num_rows > 0)
    fig, axes = plt.subplots(panels, 1, figsize=(11, 3.6 * panels), sharex=True, squeeze=False)
    ax = axes[0][0]
    if act.num_rows:
        x = _dates(act["week"])
        dark = act["dark_calls"].to_numpy()
        ax.fill_between(x, act["low"].to_numpy() + dark, act["high"].to_numpy() + dark, step="post", alpha=0.25,
                        label="90 % interval")
        ax.step(x, act["calls"].to_numpy(), where="post", label="calls (AIS + expected dark)", linewidth=1.4)
        ax.step(x, act["ais_calls"].to_numpy(), where="post", label="seen on AIS", linewidth=0.9, linestyle=":")
    ax.set_ylabel("calls per week")
    ax.set_title(f"Estimated calls per week at {label or site}" + (" and rail cars per week" if panels > 1 else ""))
    _legend(ax, fontsize=8)
    if panels > 1 and rail is not None:
        rx = axes[1][0]
        for s in sorted(set(rail["site_id"].to_pylist())):
            r = rail.filter(pc.and_(pc.equal(rail["site_id"], s), pc.is_valid(rail["estimate"])))
            x, y = _dates(r["week"]), r["estimate"].to_numpy()
            rx.errorbar(x, y, yerr=[y - r["low"].to_numpy(), r["high"].to_numpy() - y], fmt="o", markersize=3,
                        linewidth=0.8, label=s)
        rx.set_ylabel("rail cars per week")
        _legend(rx, fontsize=8)
    for a in (row[0] for row in axes):
        for c in calendar:
            a.axvline(datetime.fromtimestamp(c.epoch_s, UTC), color="#d62728", linestyle="--", linewidth=1)
    for ch in changes:
        if ch.get("found_date"):
            k = 0 if ch["series"] == "calls_per_week" else min(1, panels - 1)
            axes[k][0].plot([datetime.fromisoformat(ch["found_date"]).replace(tzinfo=UTC)], [0], "v", color="black",
                            markersize=7, clip_on=False)
    fig.autofmt_xdate()
    paths = _save(fig, out, "estimates")
    plt.close(fig)
    return paths


__all__ = ["STYLE", "bbox", "estimates_figure", "gap_sites", "map_figure", "weekly_figure"]
