"""The report: one self-contained HTML file (works offline, from disk), figures as SVG and
PNG, and a PDF (WeasyPrint).

Everything comes from the store: events, positions (tracks, thinned deterministically by record
hash), identities, and the ingest accounting for the provenance section. The HTML inlines its
CSS, its small script (a vessel filter) and its SVG figures; it loads nothing from the network.
"""

from __future__ import annotations

import html
import json
import platform
import time
from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch import __version__
from harborwatch.analysis.calendar import RASON_2023, CalendarEntry
from harborwatch.core.errors import HarborwatchError
from harborwatch.events.schema import EVENTS
from harborwatch.report.figures import (
    bbox,
    map_figure,
    weekly_figure,
)
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store import Store

#: Rows of the events table in the PDF (the HTML and the event files have them all).
PDF_EVENT_ROWS = 300
#: About this many track points go on the map.
MAP_POINTS = 60_000

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222;
line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.5em 1em;font-weight:600}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #e5e5e5;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f4f4f4;position:sticky;top:0}
td.num{text-align:right}code{font-size:11px}.muted{color:#777}svg.figure{width:100%;height:auto}
.scroll{max-height:480px;overflow:auto;border:1px solid #ddd}tr:target{background:#fff6a8}
.dossier{border-left:3px solid #b00020;padding-left:.8em;margin:1em 0}.dossier:target{background:#fff6a8}
a.listed{color:#b00020;font-weight:600;font-size:11px}
@media print{.scroll{max-height:none;overflow:visible}.noprint{display:none}}
"""

_JS = """
function filterVessel(m){var rows=document.querySelectorAll('#events tbody tr');var n=0;
rows.forEach(function(r){var show=!m||r.dataset.mmsi===m||r.dataset.mmsi2===m;r.style.display=show?'':'none';
if(show)n++;});document.getElementById('shown').textContent=n;}
document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('vfilter');
if(f)f.addEventListener('input',function(){filterVessel(f.value.trim());});
var h=location.hash;if(h.indexOf('#vessel-events-')===0){f.value=h.slice(15);filterVessel(f.value);}
if(location.protocol==='file:'){document.querySelectorAll('a.bundle').forEach(function(a){a.removeAttribute('href');});}
});
"""


def _svg_inline(path: Path, fig_id: str) -> str:
    text = path.read_text()
    text = text[text.index("<svg"):]
    return text.replace("<svg", f'<svg class="figure" id="{fig_id}" role="img"', 1)


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _ts(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _versions() -> dict[str, str]:
    out = {"harborwatch": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "pyarrow", "duckdb", "numba", "matplotlib", "weasyprint"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _tracks(st: Store, n: int) -> pa.Table:
    """About :data:`MAP_POINTS` of the ``n`` positions, thinned by record hash, in track order."""
    k = max(1, int(n // MAP_POINTS))
    return st.sql(f"SELECT mmsi, lat, lon FROM positions WHERE lat IS NOT NULL AND record_hash % {k} = 0 "
                  "ORDER BY mmsi, timestamp, record_hash")


def _key_attributes(a: dict) -> str:
    keep = ("site_name", "from_site_name", "to_site_name", "duration_h", "distance_m", "likely_disabling",
            "median_distance_m", "mean_speed_kn", "field", "old", "new", "jump_m", "hull", "imo")
    parts = []
    for k in keep:
        if k in a and a[k] is not None:
            v = a[k]
            parts.append(f"{k}={round(v, 1) if isinstance(v, float) else v}")
    return ", ".join(parts)


#: where an event's bundle comes from: the API when the report is served, else the CLI
_BUNDLE_TIP = ("evidence bundle: a link when the report is opened through harborwatch serve (/report/); "
               "from disk: harborwatch bundle --event ")


def _events_rows(ev: pa.Table, limit: int | None) -> str:
    rows = []
    cols = {c: ev[c].to_pylist() for c in ("event_id", "type", "mmsi", "mmsi_2", "site_id", "lat", "lon",
                                          "confidence", "attributes", "evidence_count")}
    start = pc.cast(ev["start"], pa.int64()).to_pylist()
    end = pc.cast(ev["end"], pa.int64()).to_pylist()
    n = ev.num_rows if limit is None else min(limit, ev.num_rows)
    for i in range(n):
        m, m2 = cols["mmsi"][i], cols["mmsi_2"][i]
        a = json.loads(cols["attributes"][i] or "{}")
        m2cell = f'<a href="#vessel-{m2}">{m2}</a>' if m2 is not None else ""
        lat, lon = cols["lat"][i], cols["lon"][i]
        pos = f"{lat:.4f}, {lon:.4f}" if lat is not None and lon is not None else ""
        rows.append(
            f'<tr id="ev-{cols["event_id"][i]}" data-mmsi="{m}" data-mmsi2="{m2 or ""}">'
            f'<td><a class="bundle" href="/api/bundles/{cols["event_id"][i]}" title="{_BUNDLE_TIP}'
            f'{cols["event_id"][i]}"><code>{cols["event_id"][i][:12]}</code></a></td><td>{_e(cols["type"][i])}</td>'
            f'<td><a href="#vessel-{m}">{m}</a></td><td>{m2cell}</td><td>{_ts(start[i])}</td><td>{_ts(end[i])}</td>'
            f'<td>{_e(cols["site_id"][i])}</td><td>{pos}</td><td class="num">{_e(cols["confidence"][i])}</td>'
            f'<td class="num">{cols["evidence_count"][i]}</td><td>{_e(_key_attributes(a))}</td></tr>')
    return "\n".join(rows)


def _vessel_rows(st: Store, ev: pa.Table, listed: Set[int] = frozenset()) -> str:
    ids = st.sql("SELECT mmsi, name, imo, callsign, flag, ship_type, length_m, valid_from, valid_to, n_reports "
                 "FROM identity ORDER BY mmsi, valid_from").to_pylist()
    per: dict[int, list[dict]] = {}
    for r in ids:
        per.setdefault(r["mmsi"], []).append(r)
    first_event: dict[int, str] = {}
    counts: dict[int, dict[str, int]] = {}
    for eid, m, m2, ty in zip(ev["event_id"].to_pylist(), ev["mmsi"].to_pylist(), ev["mmsi_2"].to_pylist(),
                              ev["type"].to_pylist(), strict=True):
        for x in (m, m2):
            if x is None:
                continue
            first_event.setdefault(x, eid)
            c = counts.setdefault(x, {})
            c[ty] = c.get(ty, 0) + 1
    mmsis = sorted(set(per) | set(counts))
    rows = []
    for m in mmsis:
        idl = per.get(m, [])
        names = " / ".join(dict.fromkeys(r["name"] for r in idl if r["name"])) or ""
        imos = ", ".join(dict.fromkeys(str(r["imo"]) for r in idl if r["imo"])) or ""
        last = idl[-1] if idl else {}
        c = counts.get(m, {})
        summary = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        link = (f'<a href="#vessel-events-{m}" onclick="filterVessel(\'{m}\')">{sum(c.values())} events</a> '
                f'(first: <a href="#ev-{first_event[m]}">{first_event[m][:8]}</a>)' if m in first_event else "none")
        if m in listed:
            names_cell = f'{_e(names)} <a href="#dossier-{m}" class="listed">watchlist hit</a>'
        else:
            names_cell = _e(names)
        rows.append(f'<tr id="vessel-{m}"><td>{m}</td><td>{names_cell}</td><td>{_e(imos)}</td>'
                    f'<td>{_e(last.get("callsign"))}</td><td>{_e(last.get("flag"))}</td>'
                    f'<td class="num">{_e(last.get("ship_type"))}</td>'
                    f'<td class="num">{"" if last.get("length_m") is None else round(last["length_m"])}</td>'
                    f'<td>{link}</td><td>{_e(summary)}</td></tr>')
    return "\n".join(rows)


def _feature_text(f: dict) -> str:
    seen, listed = f.get("seen"), f.get("listed")
    same = seen == listed or seen is None
    return f"{f.get('feature')}: {listed}" + ("" if same else f" (seen {seen})")


def _dossiers_html(folder: Path | None, event_mmsis: set[int]) -> tuple[str, set[int]]:
    """The "Watchlist vessels" section from the dossier JSON files ``screen --dossiers`` writes."""
    if folder is None or not folder.is_dir():
        return "", set()
    docs, unreadable = [], []
    for f in sorted(folder.glob("*.json")):
        try:
            d = json.loads(f.read_text())
            int(d["mmsi"])
            docs.append(d)
        except (json.JSONDecodeError, OSError, KeyError, TypeError, ValueError):
            unreadable.append(f.name)  # said in the section, never dropped silently
    parts = []
    for d in sorted(docs, key=lambda d: (-max((h["score"] for h in d.get("hits", [])), default=0), d["mmsi"])):
        m = d["mmsi"]
        names = " / ".join(dict.fromkeys(r["name"] for r in d.get("identity_history", []) if r.get("name")))
        ident = "\n".join(
            f"<tr><td>{_e(r.get('name'))}</td><td>{_e(r.get('imo'))}</td><td>{_e(r.get('callsign'))}</td>"
            f"<td>{_e(r.get('flag'))}</td><td class='num'>{_e(r.get('ship_type'))}</td>"
            f"<td>{_e(str(r.get('valid_from'))[:16])}</td><td>{_e(str(r.get('valid_to'))[:16])}</td>"
            f"<td class='num'>{_e(r.get('n_reports'))}</td></tr>" for r in d.get("identity_history", []))
        hits = "\n".join(
            f"<tr><td>{_e(h['list'])}</td><td>{_e(h.get('program'))}</td><td>{_e(h['entity_id'])}</td>"
            f"<td>{_e(h['name_listed'])}</td><td class='num'>{h['score']:.3f}</td>"
            f"<td>{_e('; '.join(_feature_text(f) for f in h.get('features', [])))}</td>"
            f"<td><code>{_e(Path(h['source_file']).name)}#{_e(h['source_record'])}</code></td></tr>"
            for h in d.get("hits", []))
        by_type: dict[str, int] = {}
        for ev in d.get("events", []):
            by_type[ev["type"]] = by_type.get(ev["type"], 0) + 1
        starts = [str(ev["start"])[:10] for ev in d.get("events", [])]
        evs = (f"{len(starts)} events from {min(starts)} to {max(starts)}: "
               + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) if starts else "no events")
        link = (f' <a class="noprint" href="#vessel-events-{m}" onclick="filterVessel(\'{m}\')">show them</a>'
                if m in event_mmsis else "")
        parts.append(
            f'<div class="dossier" id="dossier-{m}"><h3>MMSI <a href="#vessel-{m}">{m}</a>: {_e(names)}</h3>'
            f"<p>{_e(evs)}.{link}</p>"
            + _table(["list", "program", "entity", "listed name", "score", "features that fired", "list record"],
                     hits)
            + "<p class='muted'>Identity history (what the vessel broadcast):</p>"
            + _table(["name", "IMO", "call sign", "flag", "ship type", "from (UTC)", "to (UTC)", "reports"], ident)
            + "</div>")
    if not parts and not unreadable:
        return "", set()
    skipped = (f"<p class='banner'>{len(unreadable)} dossier files could not be read and are not shown: "
               f"{_e(', '.join(unreadable))}</p>" if unreadable else "")
    text = (f"<h2>Watchlist vessels</h2><p class='muted'>{len(parts)} vessels with watchlist hits, strongest "
            "first; the same dossiers are in <code>dossiers/&lt;mmsi&gt;.json</code>. Scores are the noisy-OR of "
            "the features that fired (weights in <code>harborwatch.screening.match</code>).</p>" + skipped
            + "".join(parts))
    return text, {d["mmsi"] for d in docs}


def _table(head: list[str], body: str, table_id: str = "") -> str:
    ths = "".join(f"<th>{_e(h)}</th>" for h in head)
    tid = f' id="{table_id}"' if table_id else ""
    return f"<table{tid}><thead><tr>{ths}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _evaluation_html(scores: dict) -> str:
    def f(x):
        return "-" if x is None else f"{x:.3f}"

    body = "\n".join(f"<tr><td>{_e(k)}</td><td class='num'>{v.get('truth', '')}</td>"
                     f"<td class='num'>{v.get('detected', '-')}</td><td class='num'>{f(v.get('precision'))}</td>"
                     f"<td class='num'>{f(v.get('recall'))}</td><td class='num'>{f(v.get('f1'))}</td></tr>"
                     for k, v in scores.items())
    return _table(["type", "truth", "detected", "precision", "recall", "F1"], body, "evaluation")


@dataclass(frozen=True)
class _Inputs:
    """What the report reads from the store."""

    ev: pa.Table
    n_positions: int
    tracks: pa.Table
    files: list[dict]
    dossier_html: str
    vessels_html: str


def _read_store(store: Path, dossiers: Path | None) -> _Inputs:
    with Store.open(store, create=False) as st:
        tabs = {r["table_name"] for r in st.sql(
            "SELECT table_name FROM information_schema.tables").to_pylist()}
        if "events" not in tabs:
            raise HarborwatchError(f"{store}: the store has no events yet", hint="run `harborwatch events` first")
        ev = st.sql("SELECT * FROM events ORDER BY start, type, mmsi, event_id")
        ev = ev.select(EVENTS.names).cast(EVENTS)  # the store hands back microsecond times
        n_positions = st.sql("SELECT count(*) AS n FROM positions").to_pylist()[0]["n"]
        tracks = _tracks(st, n_positions)
        files = st.sql("SELECT file, format, sha256, records_in, stored, quarantined, duplicates, finished_at, "
                       "software_version FROM ingest_files WHERE complete ORDER BY finished_at").to_pylist()
        ev_mmsis = set(ev["mmsi"].drop_null().to_pylist()) | set(ev["mmsi_2"].drop_null().to_pylist())
        dossier_html, listed = _dossiers_html(dossiers, ev_mmsis)
        vessels_html = _vessel_rows(st, ev, listed)
    return _Inputs(ev, n_positions, tracks, files, dossier_html, vessels_html)


def _provenance_html(ev: pa.Table, files: list[dict]) -> tuple[str, str]:
    """(input files table, rule parameters table)."""
    params: dict[str, str] = {}
    for ty, p in zip(ev["type"].to_pylist(), ev["parameters"].to_pylist(), strict=True):
        params.setdefault(ty, p)
    prov_files = _table(["file", "format", "sha256", "records in", "stored", "quarantined", "duplicates",
                         "ingested (UTC)", "software"], "\n".join(
        f"<tr><td>{_e(f['file'])}</td><td>{_e(f['format'])}</td><td><code>{_e(f['sha256'])}</code></td>"
        f"<td class='num'>{f['records_in']:,}</td><td class='num'>{f['stored']:,}</td>"
        f"<td class='num'>{f['quarantined']:,}</td><td class='num'>{f['duplicates']:,}</td>"
        f"<td>{_e(str(f['finished_at'])[:19])}</td><td>{_e(f['software_version'])}</td></tr>" for f in files))
    prov_params = _table(["event type", "parameters (units in the names)"], "\n".join(
        f"<tr><td>{_e(k)}</td><td><code>{_e(v)}</code></td></tr>" for k, v in sorted(params.items())))
    return prov_files, prov_params


_EV_HEAD = ["event", "type", "vessel", "other vessel", "start (UTC)", "end (UTC)", "site", "lat, lon",
            "confidence", "evidence", "key attributes"]


def _page(p: dict, event_rows: str, inline_svg: bool, note: str) -> str:
    """The report page from its parts ``p`` (see :func:`build_report`); SVG figures inlined, or
    PNG files referenced (for the PDF)."""
    map_paths, weekly_paths, ev = p["map_paths"], p["weekly_paths"], p["ev"]
    mapfig = (_svg_inline(map_paths["svg"], "map") if inline_svg
              else '<img id="map" src="figures/map.png" alt="map" style="width:100%">')
    weekfig = ("" if not weekly_paths else _svg_inline(weekly_paths["svg"], "weekly") if inline_svg
               else '<img id="weekly" src="figures/weekly.png" alt="weekly series" style="width:100%">')
    title, started, calendar = p["title"], p["started"], p["calendar"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="generator" content="harborwatch {__version__}"><style>{_CSS}</style><script>{_JS}</script></head>
<body>
<h1>{_e(title)}</h1>
<p class="muted">Generated {started:%Y-%m-%d %H:%M} UTC by harborwatch {__version__} from the store
<code>{_e(p["store"])}</code>: {p["n_positions"]:,} positions, {ev.num_rows:,} events.</p>
{p["banner"]}
<h2>Summary</h2><ul>{p["summary"]}</ul>
{p["findings"]}
<h2>Map</h2>
<figure>{mapfig}<figcaption class="muted">Coastlines: the 1 km GLOBE land mask (PyPI global-land-mask).
Tracks thinned to about {MAP_POINTS:,} positions by record hash. Figure files: figures/map.svg, figures/map.png.
Evidence: each plotted event's bundle is linked from its row in the events table below.
</figcaption></figure>
<h2>Weekly port calls and dark gaps</h2>
<figure>{weekfig}<figcaption class="muted">Port calls: detected port visits by start week (Monday, UTC).
Dark gaps: AIS gaps flagged <code>likely_disabling</code>, by the site nearest (within 60 km) to where the
signal was lost. Dashed lines: {_e('; '.join(f'{c.date} {c.label}' for c in calendar))}.
Data: figures/weekly.json. Evidence: each counted event's bundle is linked from its row in the events table
below.</figcaption></figure>
{p["evaluation"]}
{p["dossier_html"]}
<h2>Vessels</h2>
<div class="scroll">{_table(["MMSI", "names", "IMO", "call sign", "flag", "ship type", "length (m)", "events",
                              "by type"], p["vessels_html"], "vessels")}</div>
<h2>Events</h2>
<p class="noprint">Vessel filter (MMSI): <input id="vfilter" size="12"> showing <span id="shown">{ev.num_rows}</span>
rows. {note} An event's id links to its evidence bundle, made on demand, when this report is opened through
<code>harborwatch serve</code> (at /report/); from disk, <code>harborwatch bundle --event ID</code> writes it.</p>
<div class="scroll">{_table(_EV_HEAD, event_rows, "events")}</div>
<h2>Provenance</h2>
<h3>Input files</h3>{p["prov_files"]}
<h3>Rule parameters</h3>{p["prov_params"]}
<h3>Software and run</h3>
<ul>{''.join(f'<li>{_e(k)} {_e(v)}</li>' for k, v in p["versions"].items())}
<li>report generated {started.isoformat(timespec='seconds')} in {{RUN_S}} s</li>
<li>every event's evidence (record hashes of the positions and static reports it rests on) is in
events.parquet / the store's <code>events</code> table</li></ul>
</body></html>"""


def build_report(store: Path, out: Path, sites: SiteCatalogue | None = None,
                 calendar: tuple[CalendarEntry, ...] = RASON_2023, title: str = "harborwatch report",
                 extra: dict | None = None, pdf: bool = True, dossiers: Path | None = None) -> dict[str, Path | str]:
    """Write ``report.html``, ``figures/*.svg|png`` and ``report.pdf`` into ``out``; returns their
    paths (``pdf_error`` instead of ``pdf`` when WeasyPrint could not run). ``dossiers``: the
    folder of vessel dossiers from screening, shown as the "Watchlist vessels" section."""
    t_begin = time.perf_counter()
    started = datetime.now(UTC)
    extra = extra or {}
    sites = sites or SiteCatalogue.default()
    out.mkdir(parents=True, exist_ok=True)
    figs = out / "figures"
    inp = _read_store(store, dossiers)
    ev, tracks = inp.ev, inp.tracks
    ev_lat = ev["lat"].to_numpy(zero_copy_only=False).astype(float)
    ev_lon = ev["lon"].to_numpy(zero_copy_only=False).astype(float)
    extent = bbox(np.concatenate([ev_lat, tracks["lat"].to_numpy(zero_copy_only=False).astype(float)]),
                  np.concatenate([ev_lon, tracks["lon"].to_numpy(zero_copy_only=False).astype(float)]))
    map_paths = map_figure(figs, sites.table, tracks, ev, extent)
    weekly_paths, series = weekly_figure(figs, ev, sites, calendar)
    (figs / "weekly.json").write_text(json.dumps(series) + "\n")
    counts: dict[str, int] = {}
    for t in ev["type"].to_pylist():
        counts[t] = counts.get(t, 0) + 1
    prov_files, prov_params = _provenance_html(ev, inp.files)
    parts = {
        "map_paths": map_paths, "weekly_paths": weekly_paths, "ev": ev, "title": title, "started": started,
        "calendar": calendar, "store": store, "n_positions": inp.n_positions,
        "banner": ('<p class="banner">SIMULATED data: every vessel, identity and movement in this report was '
                   'generated by harborwatch\'s scenario simulator.</p>' if extra.get("simulated") else ""),
        "summary": "".join(f"<li>{_e(k)}: {v:,}</li>" for k, v in sorted(counts.items())),
        "findings": extra.get("findings_html", ""),
        "evaluation": (f"<h2>Evaluation against the ground truth</h2>{_evaluation_html(extra['evaluation'])}"
                       if extra.get("evaluation") else ""),
        "dossier_html": inp.dossier_html, "vessels_html": inp.vessels_html,
        "prov_files": prov_files, "prov_params": prov_params, "versions": _versions(),
    }
    html_text = _page(parts, _events_rows(ev, None), True, "All events are listed.")
    html_path = out / "report.html"
    run_s = f"{time.perf_counter() - t_begin:.1f}"
    html_path.write_text(html_text.replace("{RUN_S}", run_s))
    result: dict[str, Path | str] = {"html": html_path, "map_svg": map_paths["svg"], "map_png": map_paths["png"]}
    if weekly_paths:
        result.update({"weekly_svg": weekly_paths["svg"], "weekly_png": weekly_paths["png"]})
    if pdf:
        note = (f"The first {PDF_EVENT_ROWS} of {ev.num_rows:,} events; all are in report.html and the event files."
                if ev.num_rows > PDF_EVENT_ROWS else "All events are listed.")
        try:
            from weasyprint import HTML

            text = _page(parts, _events_rows(ev, PDF_EVENT_ROWS), False, note).replace("{RUN_S}", run_s)
            HTML(string=text, base_url=str(out)).write_pdf(out / "report.pdf")
            result["pdf"] = out / "report.pdf"
        except (ImportError, OSError) as e:  # WeasyPrint missing, or its system libraries (Pango)
            result["pdf_error"] = f"PDF not written: {e}"
    return result


__all__ = ["build_report"]
