"""What a person reads in a bundle: ``summary.md`` / ``summary.html`` and a map of the events."""

from __future__ import annotations

import html
import io
import json

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.sites.catalogue import SiteCatalogue


def _rows(events: pa.Table) -> list[list[str]]:
    out = []
    for r in events.to_pylist():
        out.append([r["event_id"], r["type"], str(r["mmsi"]) + (f" / {r['mmsi_2']}" if r["mmsi_2"] else ""),
                    r["site_id"] or "", r["start"].strftime("%Y-%m-%d %H:%M"), r["end"].strftime("%Y-%m-%d %H:%M"),
                    str(r["evidence_count"])])
    return out


_HEAD = ["event", "type", "vessel(s)", "site", "start (UTC)", "end (UTC)", "records"]


def _intro(fields: dict, n_records: int) -> list[str]:
    s = fields["subject"]
    what = f"claim {s['id']}" if s.get("kind") == "claim" else f"{len(s.get('ids', []))} event(s)"
    lines = [f"Evidence bundle for {what}, from store {fields['store_id']} ({fields['store']}).",
             f"It quotes {n_records:,} raw records from {len(fields['inputs'])} input file(s), as they were "
             "ingested; manifest.json gives the SHA-256 of every member and of every input file.",
             "Check it with `harborwatch verify BUNDLE.zip`: it checks every hash, re-ingests the records and "
             "re-derives the events with the bundled rules (rules in manifest.json) and sites (sites.geojson)."]
    if s.get("kind") == "claim":
        lines.insert(1, f"Claim: {s.get('text', '')}")
        lines.insert(2, f"Status: {s.get('status')}; measured {s.get('measured')} [{s.get('low')}, {s.get('high')}]"
                        f" ({s.get('measurement')}); {s.get('reason', '')}")
    return lines + [f"Note: {n}" for n in fields.get("notes", [])]


def summary_markdown(events: pa.Table, fields: dict, n_records: int) -> str:
    md = ["# harborwatch evidence bundle", ""] + [ln + "\n" for ln in _intro(fields, n_records)]
    md += ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    md += ["| " + " | ".join(r) + " |" for r in _rows(events)]
    md += ["", "Inputs:", ""] + [f"- `{i['source_file']}` ({i['format']}, SHA-256 {i['sha256']}): "
                                 f"{i['records']:,} records in `{i['member']}`" for i in fields["inputs"]]
    return "\n".join(md) + "\n"


def summary_html(events: pa.Table, fields: dict, n_records: int) -> str:
    e = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in _rows(events))
    intro = "".join(f"<p>{e(p)}</p>" for p in _intro(fields, n_records))
    inputs = "".join(f"<li><code>{e(i['source_file'])}</code> ({e(i['format'])}, SHA-256 {e(str(i['sha256']))}): "
                     f"{i['records']:,} records in <code>{e(i['member'])}</code></li>" for i in fields["inputs"])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>harborwatch evidence bundle</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 6px;"
            "border-bottom:1px solid #ddd;font-size:90%}</style></head><body><h1>harborwatch evidence bundle</h1>"
            f"{intro}<p><img src='figures/events.svg' alt='map of the events and tracks' width='600'></p>"
            f"<table><tr>{''.join(f'<th>{e(h)}</th>' for h in _HEAD)}</tr>{rows}</table>"
            f"<h2>Inputs</h2><ul>{inputs}</ul></body></html>\n")


def track_figure(records: pa.Table, events: pa.Table, sites: SiteCatalogue) -> str:
    """SVG map: the bundled positions of each vessel (``records`` of
    :func:`~harborwatch.evidence.records.select_records`), the events and the sites near them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = records.filter(pc.is_valid(records["lat"])).sort_by([("mmsi", "ascending"), ("timestamp", "ascending")]) \
        if records.num_rows else records
    fig, ax = plt.subplots(figsize=(7, 6))
    mm = pos["mmsi"].to_numpy() if pos.num_rows else []
    for m in sorted(set(mm)):
        sel = mm == m
        ax.plot(pos["lon"].to_numpy()[sel], pos["lat"].to_numpy()[sel], lw=0.8, marker=".", ms=2, label=f"MMSI {m}")
    for r in sites.table.to_pylist():
        ax.plot(r["lon"], r["lat"], marker="s", color="grey", ms=5)
        ax.annotate(r["site_id"], (r["lon"], r["lat"]), fontsize=7, color="grey")
    for r in events.to_pylist():
        if r["lat"] is not None:
            ax.plot(r["lon"], r["lat"], marker="*", color="crimson", ms=11)
            ax.annotate(f"{r['type']} {r['event_id'][:8]}", (r["lon"], r["lat"]), fontsize=7, color="crimson")
    ax.set_xlabel("longitude (°E, WGS 84)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title("bundled records (tracks) and events (stars)")
    if len(set(mm)):
        ax.legend(fontsize=7, loc="best")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def claim_json(result: dict) -> str:
    return json.dumps(result, indent=1, sort_keys=True, default=str) + "\n"


__all__ = ["claim_json", "summary_html", "summary_markdown", "track_figure"]
