"""HTML sections of findings computed elsewhere (the demo's summary and its radar run), for the
report's ``findings_html``."""

from __future__ import annotations

import base64
import html
from pathlib import Path


def radar_html(r: dict | None) -> str:
    """The radar section of the demo's findings: per-scene counts, scores against the scenes'
    truth and a gallery of the dark detections' chips (inlined PNG)."""
    if r is None:
        return "<p>Radar: not run (install the sat extra, rasterio).</p>"
    ev = r.get("evaluation", {})

    def f(x):
        return "-" if x is None else f"{x:.3f}"

    rows = "".join(f"<tr><td>{html.escape(c['image'])}</td><td>{str(c['time'])[:16]}</td><td class='num'>{c['seen']}"
                   f"</td><td class='num'>{c['on_ais']}</td><td class='num'>{c['matched']}</td>"
                   f"<td class='num'>{c['dark']}</td></tr>" for c in r["per_scene"])
    d, k = ev.get("detection", {}), ev.get("dark_vessel", {})
    gallery = "".join(
        f"<figure style='display:inline-block;margin:4px;text-align:center'><img alt='radar chip' width='96' "
        f"height='96' style='image-rendering:pixelated' src='data:image/png;base64,"
        f"{base64.b64encode(Path(c['png']).read_bytes()).decode()}'><figcaption class='muted' style='font-size:10px'>"
        f"{html.escape(c['time'])}<br>{html.escape(c['site_id'] or '-')}, {c['length_m'] or 0:.0f} m, "
        f"score {c['score']:.2f}</figcaption></figure>" for c in r.get("chips", [])[:24] if Path(c["png"]).is_file())
    return (f"<h3>Radar overpasses of Rajin (SIMULATED Sentinel-1-like scenes)</h3><p>{r['scenes']} scenes; "
            f"{r['dark_vessel_events']} detections not on AIS became <code>dark_vessel</code> events. Against the "
            f"scenes' truth (within {ev.get('tolerance_m', 300):.0f} m): ships detected: precision "
            f"{f(d.get('precision'))}, recall {f(d.get('recall'))}; dark vessels (detections not on AIS vs. "
            f"vessels with AIS off): precision {f(k.get('precision'))}, recall {f(k.get('recall'))}, "
            f"F1 {f(k.get('f1'))}.</p><div class='scroll'><table id='radar'><thead><tr><th>scene</th>"
            "<th>time (UTC)</th><th>seen at Rajin</th><th>on AIS</th><th>both</th><th>dark</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
            + (f"<p>Detections not on AIS (64 x 64 px chips of the scenes, log scale):</p><div>{gallery}</div>"
               if gallery else "") + _structures_html(r.get("new_structures"))
            + _structures_html(r.get("new_structures_optical"), "optical images around each structure (largest "
                               "persistent step in colour)", "new_structures_optical.geojson"))


def _structures_html(ns: dict | None, stack: str = "stack of scenes (sequential omnibus test)",
                     file: str = "new_structures.geojson") -> str:
    """One paragraph on the new structures found in a stack, against the truth."""
    if not ns:
        return ""
    return (f"<p>New structures in the {stack}: {ns['found']} found, "
            f"{ns['truth']} in the scenario's truth; precision {ns['precision']}, recall {ns['recall']}, F1 "
            f"{ns['f1']}; dated {ns['median_date_error_days']} days from the truth (median). Polygons: "
            f"<code>{file}</code>.</p>")


def findings_html(f: dict) -> str:
    """The findings section: ingest accounting, likely-disabling gaps, Rajin calls per period."""
    rows = []
    for (name, det), (_, tru) in zip(f["rajin"].items(), f["rajin_truth"].items(), strict=True):
        rows.append(f"<tr><td>{html.escape(name)}</td><td class='num'>{det['per_week']}</td>"
                    f"<td class='num'>{tru['per_week']}</td><td class='num'>{tru['dark_calls']}</td></tr>")
    ing = f["ingest"]
    return (f"<h2>Findings</h2><p>Ingested {ing['records_in']:,} records: {ing['stored']:,} stored, "
            f"{ing['quarantined']:,} quarantined, {ing['duplicates']:,} duplicates. "
            f"{f['dark_gaps_detected']} AIS gaps were flagged as likely disabling.</p>"
            "<table id='rajin'><thead><tr><th>period</th><th>Rajin calls per week seen on AIS</th>"
            "<th>in the ground truth</th><th>truth calls with AIS off</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _bundle_link(r: dict, prefix: str = "..") -> str:
    """A table cell linking a figure's row to its evidence bundle (paths relative to the demo folder)."""
    b = r.get("bundle")
    return (f"<td><a href='{html.escape(prefix)}/{html.escape(b)}' title='evidence bundle'>bundle</a></td>" if b
            else "<td>-</td>")


def estimates_html(f: dict) -> str:
    """The estimates section: calls per week at Rajin with intervals against the truth, and the
    change findings at the calendar's dates."""
    rows = [r for r in f.get("estimates") or [] if r["quantity"] == "calls_per_week"]
    if not rows:
        return ""

    def num(x) -> str:
        return "-" if x is None else f"{x:.2f}"

    body = "".join(
        f"<tr><td>{html.escape(r['site'])}</td><td>{html.escape(r['period'])}</td>"
        f"<td class='num'>{num(r['estimate'])}</td>"
        f"<td class='num'>[{num(r['low'])}, {num(r['high'])}]</td><td class='num'>{r['ais_calls']}</td>"
        f"<td class='num'>{num(r['dark_calls_expected'])}</td><td class='num'>{num(r.get('radar_only_per_week'))}</td>"
        f"<td class='num'>{num(r['truth'])}</td>"
        f"<td class='num'>{r['truth_dark_calls']}</td>{_bundle_link(r)}</tr>" for r in rows)
    changes = "".join(f"<li>{html.escape(c['finding'])} Truth: {num(c['truth_effect'])} calls a week."
                      + (f" Evidence: <a href='../{html.escape(c['bundle'])}'>bundle</a>." if c.get("bundle") else "")
                      + "</li>" for c in f.get("changes") or [])
    pl = f.get("placebo") or {}
    sites = f" over {len(pl['by_site'])} sites' series" if pl.get("by_site") else ""
    placebo = (f"<p>Away from the calendar's dates the change test fired at {pl['false_positive_rate']:.0%} of "
               f"{pl['n_dates']} dates{sites} (p &lt;= 0.05).</p>" if pl.get("n_dates") else "")
    fig = ("<figure><img src='figures/estimates.svg' alt='estimated series with intervals' style='width:100%'>"
           "<figcaption>Estimated series with 90 % intervals; dashed lines: the event calendar; triangles: change "
           "points found." + _figure_evidence(rows) + "</figcaption></figure>" if f.get("estimates_figure") else "")
    return ("<h3>Estimates: calls per week (seen on AIS, dark and radar-only), 90 % intervals</h3>" + fig +
            "<table id='estimates'><thead><tr><th>site</th><th>period</th><th>estimate</th><th>interval</th>"
            "<th>seen on AIS</th><th>dark calls (expected)</th><th>radar-only per week</th>"
            "<th>truth (every hull)</th><th>truth dark calls</th><th>evidence</th>"
            "</tr></thead><tbody>"
            + body + "</tbody></table>" + (f"<ul>{changes}</ul>" if changes else "") + placebo
            + _cargo_rail_html(f) + _calendar_html(f.get("calendar") or []))


def _figure_evidence(rows: list[dict]) -> str:
    """The caption's links to the bundles behind the plotted sites."""
    links = {r["site"]: r["bundle"] for r in rows if r.get("bundle")}
    return (" Evidence: " + ", ".join(f"<a href='../{html.escape(b)}'>{html.escape(s)}</a>" for s, b in links.items())
            + "." if links else "")


def _cargo_rail_html(f: dict) -> str:
    """Cargo and rail per period against the truth."""
    rows = [r for r in f.get("estimates") or [] if r["quantity"] != "calls_per_week"]
    if not rows:
        return ""

    def n(x) -> str:
        return "-" if x is None else f"{x:,.0f}"

    body = "".join(
        f"<tr><td>{html.escape(r['site'])}</td><td>{html.escape(r['period'])}</td><td>{html.escape(r['quantity'])}"
        f"</td><td class='num'>{n(r['estimate'])}</td><td class='num'>[{n(r['low'])}, {n(r['high'])}]</td>"
        f"<td class='num'>{n(r['truth'])}</td><td>{'yes' if r['covered'] else 'no'}</td>{_bundle_link(r)}</tr>"
        for r in rows)
    g = f.get("goals") or {}
    goal = (f"<p>Rajin calls within 10 % of the truth in {g['rajin_calls_within_10pct']} of {g['rajin_calls_rows']} "
            f"periods; median relative error of TEU per month {g['teu_per_month_median_rel_error']}, of rail cars per "
            f"week {g['rail_cars_per_week_median_rel_error']}; the 90 % intervals cover the truth in {g['covered']} "
            f"of {g['rows']} rows.</p>" if g else "")
    return (goal + "<h3>Cargo (net of each call, from draught changes) and rail cars, 90 % intervals</h3>"
            "<table id='cargo'><thead><tr><th>site</th><th>period</th><th>quantity</th><th>estimate</th>"
            "<th>interval</th><th>truth</th><th>truth in interval</th><th>evidence</th></tr></thead><tbody>" + body
            + "</tbody></table>"
            "<p>Cargo from a draught change shows only the net of what a call loads and unloads; the truth column "
            "is that net (the gross is in evaluation.json).</p>" + _yard_html((f.get("rail") or {}).get("imagery"))
            + _optical_html((f.get("rail") or {}).get("optical")))


def _yard_html(ri: dict | None) -> str:
    """One paragraph on the rail cars counted on the yard's radar chips."""
    if not ri:
        return ""
    return (f"<p>Rail cars were also counted on {ri['scenes']} SIMULATED radar chips of the Tumangang - Khasan "
            f"yard (<code>harborwatch railcars</code>): {ri['exact']} exact, mean error {ri['mean_abs_error_cars']} "
            "cars; these counts sit beside the analyst's in the rail estimates.</p>")


def _optical_html(ro: dict | None) -> str:
    """One paragraph on the rail cars counted on the yard's optical images."""
    if not ro:
        return ""
    return (f"<p>And on {ro['images']} SIMULATED optical images of the yard (0.5 m, cloud-free, the sun's position "
            f"from their tags to tell shadows on the next siding from cars): {ro['exact']} exact, mean error "
            f"{ro['mean_abs_error_cars']} cars (written to <code>rail_counts_optical.csv</code>, not imported).</p>")


def _calendar_html(calendar: list[dict]) -> str:
    """The event calendar with a source for each date."""
    if not calendar:
        return ""
    body = "".join(
        f"<tr><td>{html.escape(c['date'])}</td><td>{html.escape(c['label'])}</td><td>"
        + (f"<a href='{html.escape(c['url'])}'>{html.escape(c['source'])}</a>" if c.get("url")
           else html.escape(c.get("source") or "")) + "</td></tr>" for c in calendar)
    return ("<h3>Event calendar</h3><table id='calendar'><thead><tr><th>date</th><th>event</th><th>source</th></tr>"
            "</thead><tbody>" + body + "</tbody></table>")


__all__ = ["estimates_html", "findings_html", "radar_html"]


def claims_html(results: list[dict], base: str = ".") -> str:
    """The "Claims" section: each claim, its verdict, the measurement with its interval, and a
    link to its evidence bundle (``base``: the bundles' folder relative to the report)."""
    if not results:
        return ""
    rows = []
    for r in results:
        m = "-" if r["measured"] is None else f"{r['measured']:,.2f} [{r['low']:,.2f}, {r['high']:,.2f}]"
        link = (f"<a href='{html.escape(base + '/' + r['bundle'])}'>bundle</a>" if r.get("bundle") else "")
        src = r.get("source", {})
        rows.append(f"<tr><td>{html.escape(r['text'])}<br><small>{html.escape(src.get('publisher', ''))}, "
                    f"{html.escape(src.get('date', ''))}</small></td><td>{html.escape(r['status'])}</td>"
                    f"<td class='num'>{m}</td><td>{html.escape(r['quantity'])} at {html.escape(r['site'])}</td>"
                    f"<td>{len(r['evidence'])} items; {link}</td><td>{html.escape(r['reason'])}</td></tr>")
    return ("<h2>Claims</h2><p>Published statements of the kind the Rason reporting made, each bound to a "
            "measurement and checked against the <b>SIMULATED</b> scenario (the verdicts say nothing about the "
            "real world). Each links to an evidence bundle; check one with <code>harborwatch verify</code>.</p>"
            "<table id='claims'><thead><tr><th>claim</th><th>verdict</th><th>measured [90 % interval]</th>"
            "<th>measurement</th><th>evidence</th><th>why</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")
