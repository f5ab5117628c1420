"""The main job: simulate the Rason 2023 scenario, ingest it, detect events, score them.

``run_demo(out)`` writes into ``out``:

* ``scenario-<key>/`` - the simulated feeds and ground truth, cached by the scenario's
  parameters (seed included), so a second run skips simulation;
* ``store/`` - a fresh store with the two feeds ingested;
* ``truth_events.parquet`` / ``.csv`` - the ground truth;
* ``events.parquet`` (GeoParquet), ``events.geojson``, ``events.csv`` - what was detected;
* ``evaluation.json`` - precision, recall and F1 per event type;
* ``findings.json`` - the summary figures the command prints.

* ``report/`` - ``report.html`` (self-contained), ``report.pdf`` and ``figures/``.

* ``dossiers/`` - one JSON per vessel on the scenario's SIMULATED watchlist.

Screening runs against the scenario's own SIMULATED watchlist; its port visits by listed vessels
become ``watchlist_vessel_at_site`` events. Radar detection and estimates are not written yet;
the summary says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.evaluate import evaluate, evaluate_radar
from harborwatch.events import EventsConfig, Request, run, write_events
from harborwatch.report import build_report
from harborwatch.scenario import Scenario, simulate
from harborwatch.scenario.config import scenario_sites
from harborwatch.scenario.story import SUMMIT_2023_09_13, VISIT_2023_07_26
from harborwatch.screening import Screen, read_lists, screen, seen_from_store
from harborwatch.screening.outputs import dossiers, watchlist_events
from harborwatch.store import IngestOptions, Store, ingest_files

Say = Callable[[str, int, int], None]


def scenario_dir(out: Path, cfg: Scenario, say: Say) -> Path:
    """The scenario's files under ``out``, simulated unless already there for these parameters."""
    d = out / f"scenario-{cfg.key()}"
    done = d / "DONE"
    if not done.exists():
        if d.exists():
            shutil.rmtree(d)
        tmp = out / f".scenario-{cfg.key()}.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        simulate(cfg, tmp, progress=say)
        (tmp / "DONE").write_text(datetime.now(UTC).isoformat() + "\n")
        tmp.rename(d)
    else:
        say("simulate (cached)", 1, 1)
    return d


def run_demo(out: Path, cfg: Scenario | None = None, say: Say | None = None, workers: int | None = None) -> dict:
    """Run the whole job; returns the findings (also written to ``findings.json``)."""
    cfg = cfg or Scenario()
    say = say or (lambda stage, done, total: None)
    out.mkdir(parents=True, exist_ok=True)
    sdir = scenario_dir(out, cfg, say)
    store_dir = out / "store"
    if store_dir.exists():
        shutil.rmtree(store_dir)
    ingest_reports = []
    with Store.open(store_dir) as st:
        for name, receiver in (("terrestrial.nmea", "terrestrial"), ("satellite.nmea", "satellite")):
            say(f"ingest {name}", 0, 1)
            ingest_reports += list(ingest_files(st, [sdir / name], IngestOptions(receiver=receiver)))
            say(f"ingest {name}", 1, 1)
        sites = scenario_sites()
        events = run(st, Request(EventsConfig(), sites), workers=workers, progress=say)
        st.put_rows("events", events, "event_id")
        # screening against the scenario's SIMULATED watchlist
        say("screen", 0, 1)
        wl, _ = read_lists([sdir / "simulated_watchlist.ftm.jsonl"])
        params = Screen()
        hits = screen(seen_from_store(st), wl, params)
        wev = watchlist_events(st, hits, params)
        st.put_rows("events", wev, "event_id")
        events = pa.concat_tables([events, wev]).sort_by([("start", "ascending"), ("type", "ascending"),
                                                          ("mmsi", "ascending"), ("event_id", "ascending")])
        dossiers(st, hits, out / "dossiers")
        say("screen", 1, 1)
        radar = _radar(st, sdir, out, sites, say)
        if radar is not None and radar["events"].num_rows:
            events = pa.concat_tables([events, radar["events"]]).sort_by(
                [("start", "ascending"), ("type", "ascending"), ("mmsi", "ascending"), ("event_id", "ascending")])
    files = {}
    for suffix in (".parquet", ".geojson", ".csv"):
        files[f"events{suffix}"] = str(write_events(events, out / f"events{suffix}"))
    for name in ("truth_events.parquet", "truth_events.csv"):
        shutil.copyfile(sdir / name, out / name)
        files[name] = str(out / name)
    import pyarrow.parquet as pq

    truth = pq.read_table(sdir / "truth_events.parquet")
    say("evaluate", 0, 1)
    scores = evaluate(truth, events)
    if radar is not None:
        radar.pop("events")
        radar["evaluation"] = evaluate_radar(radar.pop("fused"), pq.read_table(radar["truth_scene_vessels"]))
        files["detections.geojson"] = radar["detections"]
    say("evaluate", 1, 1)
    (out / "evaluation.json").write_text(json.dumps(scores, indent=1) + "\n")
    findings = {
        "simulated": True,
        "scenario": {"seed": cfg.seed, "start": cfg.start, "days": cfg.days, "vessels": cfg.vessels,
                     "dir": str(sdir)},
        "ingest": {k: sum(r[k] for r in ingest_reports) for k in ("records_in", "stored", "quarantined",
                                                                   "duplicates")},
        "events": _counts(events),
        "screening": {"hits": hits.num_rows, "vessels": len(set(hits["mmsi"].to_pylist())),
                      "listed_vessel_port_visits": wev.num_rows,
                      "at_rajin": int(pc.sum(pc.equal(wev["site_id"], "kp-rajin")).as_py() or 0)
                      if wev.num_rows else 0},
        "radar": None if radar is None else {k: v for k, v in radar.items() if k != "per_scene"},
        "rajin": rajin_calls(events),
        "rajin_truth": truth_rajin_calls(truth),
        "dark_gaps_detected": int(sum(1 for a in events.filter(pc.equal(events["type"], "gap"))["attributes"]
                                      .to_pylist() if '"likely_disabling":true' in a)),
        "evaluation": {k: {m: v.get(m) for m in ("precision", "recall", "f1")} for k, v in scores.items()},
        "files": files,
    }
    say("report", 0, 1)
    rep = build_report(store_dir, out / "report", sites, title="harborwatch demo: the Rason 2023 scenario (SIMULATED)",
                       extra={"simulated": True, "evaluation": scores,
                              "findings_html": _findings_html(findings) + _radar_html(radar)},
                       dossiers=out / "dossiers")
    say("report", 1, 1)
    findings["report"] = {k: str(v) for k, v in rep.items()}
    findings["not_yet"] = ["estimates"] + (["radar (install the sat extra: rasterio)"] if radar is None else [])
    (out / "findings.json").write_text(json.dumps(findings, indent=1) + "\n")
    return findings


def _radar(st, sdir: Path, out: Path, sites, say: Say) -> dict | None:
    """Render the SIMULATED radar scenes of the Rajin overpasses, detect ships, fuse with AIS and
    put ``dark_vessel`` events in the store. None when the sat extra (rasterio) is missing."""
    try:
        import rasterio  # noqa: F401
    except ImportError:
        return None
    from dataclasses import asdict

    from harborwatch.fusion import Fusion, counts, dark_events, fuse, write_chips
    from harborwatch.sar import Detector, detect, open_scene
    from harborwatch.sar.masks import read_polygons
    from harborwatch.sar.outputs import write_detections
    from harborwatch.scenario.radar import render

    paths = render(sdir, progress=lambda i, n: say("radar scenes", i, n))
    water = read_polygons(paths["harbour_water"])
    files = sorted(paths["scenes"].glob("*.tif"))
    det_p, fus_p = Detector(), Fusion()
    tables, infos = [], []
    for k, f in enumerate(files):
        sc = open_scene(f)
        infos.append(sc.info())
        tables.append(detect(sc, det_p, water=water))
        say("detect ships", k + 1, len(files))
    det = pa.concat_tables(tables)
    det_path = write_detections(det, out / "detections.geojson", infos)
    say("fuse with AIS", 0, 1)
    fused = fuse(st, det, infos, fus_p, sites, water)
    import pyarrow.parquet as pq

    pq.write_table(fused, out / "fused.parquet")
    dev = dark_events(fused, det, infos, fus_p, write_chips(fused, det, infos, out / "chips"), asdict(det_p))
    st.put_rows("events", dev, "event_id")
    say("fuse with AIS", 1, 1)
    per_scene = [c for c in counts(fused) if c["site_id"] == "kp-rajin"]
    chips = []
    for e in dev.to_pylist():
        a = json.loads(e["attributes"])
        if a.get("chip_png"):
            chips.append({"png": a["chip_png"], "scene": a["scene"], "time": str(e["start"])[:16],
                          "score": a["score"], "length_m": a["length_m"], "site_id": e["site_id"]})
    return {"scenes": len(files), "detections": str(det_path), "fused": fused, "fused_file": str(out / "fused.parquet"),
            "dark_vessel_events": dev.num_rows,
            "truth_scene_vessels": str(paths["truth_scene_vessels"]), "events": dev,
            "per_scene": per_scene, "chips": chips,
            "rajin": {"scenes": len(per_scene), "seen": sum(c["seen"] for c in per_scene),
                      "on_ais": sum(c["on_ais"] for c in per_scene), "dark": sum(c["dark"] for c in per_scene)}}


def _radar_html(r: dict | None) -> str:
    import html

    if r is None:
        return "<p>Radar: not run (install the sat extra, rasterio).</p>"
    ev = r.get("evaluation", {})

    def f(x):
        return "-" if x is None else f"{x:.3f}"

    rows = "".join(f"<tr><td>{html.escape(c['image'])}</td><td>{str(c['time'])[:16]}</td><td class='num'>{c['seen']}"
                   f"</td><td class='num'>{c['on_ais']}</td><td class='num'>{c['matched']}</td>"
                   f"<td class='num'>{c['dark']}</td></tr>" for c in r["per_scene"])
    d, k = ev.get("detection", {}), ev.get("dark_vessel", {})
    import base64

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
               if gallery else ""))


def _findings_html(f: dict) -> str:
    import html

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


def _counts(events: pa.Table) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in events["type"].to_pylist():
        out[t] = out.get(t, 0) + 1
    return dict(sorted(out.items()))


PERIODS = (("before_2023-07-26", None, VISIT_2023_07_26),
           ("2023-07-26_to_2023-09-13", VISIT_2023_07_26, SUMMIT_2023_09_13),
           ("after_2023-09-13", SUMMIT_2023_09_13, None))


def _rajin_visits(t: pa.Table) -> pa.Table:
    return t.filter(pc.and_(pc.equal(t["type"], "port_visit"), pc.equal(t["site_id"], "kp-rajin")))


def _per_period(visits: pa.Table, whole: pa.Table, dark=None) -> dict:
    """Calls per period (visit start, seconds) and per week; the periods open and close with
    ``whole``'s first start and last end. ``dark`` (bool per visit) adds ``dark_calls``."""
    t = pc.cast(visits["start"], pa.int64()).to_numpy(zero_copy_only=False) // 1000
    t0 = pc.cast(pc.min(whole["start"]), pa.int64()).as_py() // 1000 if whole.num_rows else 0
    t1 = pc.cast(pc.max(whole["end"]), pa.int64()).as_py() // 1000 if whole.num_rows else 0
    out = {}
    for name, a, b in PERIODS:
        a, b = (t0 if a is None else a), (t1 if b is None else b)
        weeks = max(b - a, 0) / (7 * 86_400)
        sel = (t >= a) & (t < b)
        n = int(sel.sum())
        out[name] = {"calls": n, "weeks": round(weeks, 1), "per_week": round(n / weeks, 2) if weeks else None}
        if dark is not None:
            out[name]["dark_calls"] = int((sel & dark).sum())
    return out


def rajin_calls(events: pa.Table) -> dict:
    """Detected port calls at Rajin per week before the 26 July visit, between it and the
    13 September summit, and after."""
    return _per_period(_rajin_visits(events), events)


def truth_rajin_calls(truth: pa.Table) -> dict:
    """The same figures from the ground truth, with the calls made with AIS off."""
    import numpy as np

    ev = _rajin_visits(truth)
    # the second hull that borrows an MMSI is left out: it is the shared-MMSI story, not a caller
    ev = ev.filter(pc.invert(pc.match_substring(ev["attributes"], '"role": "twin"')))
    dark = np.array(['"ais": "off"' in a for a in ev["attributes"].to_pylist()], bool)
    return _per_period(ev, truth, dark)


__all__ = ["rajin_calls", "run_demo", "scenario_dir"]
