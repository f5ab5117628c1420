"""The main job: simulate the Rason 2023 scenario, ingest it, detect events, score them.

``run_demo(out)`` writes into ``out``:

* ``scenario-<key>/`` - the simulated feeds and ground truth, cached by the scenario's
  parameters (seed included), so a second run skips simulation;
* ``store/`` - a fresh store with the two feeds ingested;
* ``truth_events.parquet`` / ``.csv`` - the ground truth;
* ``events.parquet`` (GeoParquet), ``events.geojson``, ``events.csv`` - what was detected;
* ``evaluation.json`` - precision, recall and F1 per event type; ``estimates`` (calls per week at
  Rajin per period, with intervals and the truth), ``changes`` (change tests at the calendar's
  dates with the truth's effect) and ``placebo`` (the change test's false-positive rate);
* ``estimates/`` - weekly activity and dark calls (Parquet, CSV), periods and changes (JSON);
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
import pyarrow.parquet as pq

from harborwatch.analysis import RASON_2023, RASON_PERIODS, calls_per_period, truth_calls_per_period
from harborwatch.estimates.run import Estimates, estimate
from harborwatch.evaluation import evaluate, evaluate_estimates, evaluate_radar, evaluate_structures, sampling_floor
from harborwatch.events import EventsConfig, Request, run, write_events
from harborwatch.events.request import remember
from harborwatch.events.rules.gaps import likely_disabling
from harborwatch.report import build_report, claims_html, estimates_html, findings_html, radar_html
from harborwatch.report.figures import estimates_figure
from harborwatch.scenario import Scenario, simulate
from harborwatch.scenario.config import scenario_sites
from harborwatch.screening import Screen, read_lists, screen, seen_from_store
from harborwatch.screening.outputs import dossiers, watchlist_events
from harborwatch.store import IngestOptions, Store, ingest_counts, ingest_files

Say = Callable[[str, int, int], None]
#: The order of the demo's event files.
#: The site the demo estimates and evaluates.
RAJIN = "kp-rajin"
CHONGJIN = "kp-chongjin"
ORDER = [("start", "ascending"), ("type", "ascending"), ("mmsi", "ascending"), ("event_id", "ascending")]


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
    sites = scenario_sites()
    with Store.open(store_dir) as st:
        ingest_reports = _ingest(st, sdir, say)
        req = Request(EventsConfig(), sites)
        events = run(st, req, workers=workers, progress=say)
        st.put_rows("events", events, "event_id")
        remember(st, req)
        hits, wev = _screen(st, sdir, out, say)
        events = pa.concat_tables([events, wev]).sort_by(ORDER)
        radar = _radar(st, sdir, out, sites, say)
        if radar is not None and radar["events"].num_rows:
            events = pa.concat_tables([events, radar["events"]]).sort_by(ORDER)
        say("estimates", 0, 1)
        rail_report = next(ingest_counts(st, [sdir / "rail_counts.csv"]))
        yard, optical = (_rail_yard(st, sdir, out, say), _optical(sdir, out, say)) if radar else (None, None)
        est = estimate(st, sites, RASON_2023, RASON_PERIODS, [RAJIN, CHONGJIN], [RAJIN])
        say("estimates", 1, 1)
        claims = _claims(st, est, sites, out, say)
    files = _write_events(events, sdir, out)
    files.update(_write_estimates(est, out / "estimates"))
    truth = pq.read_table(sdir / "truth_events.parquet")
    say("evaluate", 0, 1)
    scores = evaluate(truth, events)
    floor = _score_radar(radar, sdir, truth, files)
    est_eval = evaluate_estimates(est, truth, pq.read_table(sdir / "truth_cargo.parquet"),
                                  pq.read_table(sdir / "truth_rail.parquet")) | floor
    say("evaluate", 1, 1)
    structures = {"new_structures": radar["new_structures"]} if radar is not None and "new_structures" in radar else {}
    structures.update({"rail_imagery": yard, **optical} if yard is not None and optical is not None else {})
    if radar is not None and optical is not None:
        radar["new_structures_optical"] = optical["new_structures_optical"]
    (out / "evaluation.json").write_text(json.dumps({**scores, **est_eval, **structures}, indent=1) + "\n")
    findings = _findings(cfg, sdir, ingest_reports, events, hits, wev, radar, truth, scores, files)
    bundles = _figures(store_dir, est, est_eval["estimates"], sites, out, say)
    for r in est_eval["estimates"]:
        r["bundle"] = bundles.get(r["site"])
    findings["estimates"] = est_eval["estimates"]
    findings["changes"] = [{k: r[k] for k in ("site", "calendar_date", "found_date", "p_value", "effect", "low",
                                               "high", "truth_effect", "finding")} | {"bundle": bundles.get(r["site"])}
                           for r in est_eval["changes"]]
    findings["placebo"] = est_eval["placebo"]
    findings["claims"] = [{k: r[k] for k in ("claim_id", "status", "measured", "low", "high", "reason", "bundle")}
                          for r in claims]
    findings["goals"] = est_eval["goals"]
    findings["calendar"] = [{"date": e.date, "label": e.label, "source": e.source, "url": e.url} for e in RASON_2023]
    findings["estimates_figure"] = bool(estimates_figure(out / "report" / "figures", est.activity, est.rail_weekly,
                                                         RAJIN, RASON_2023, est.changes, "Rajin"))
    findings["rail"] = {"counts": {k: rail_report[k] for k in ("records_in", "stored", "quarantined", "duplicates")},
                        "imagery": yard, "optical": (optical or {}).get("rail_imagery_optical"),
                        "weekly_rows": est.rail_weekly.num_rows if est.rail_weekly is not None else 0}
    say("report", 0, 1)
    rep = build_report(store_dir, out / "report", sites, title="harborwatch demo: the Rason 2023 scenario (SIMULATED)",
                       extra={"simulated": True, "evaluation": scores,
                              "findings_html": findings_html(findings) + estimates_html(findings)
                              + radar_html(radar) + claims_html(claims, "..")},
                       dossiers=out / "dossiers")
    say("report", 1, 1)
    findings["report"] = {k: str(v) for k, v in rep.items()}
    findings["not_yet"] = (["a learned ship detector at its goal accuracy (the packaged one, for chips, "
                             "scores box F1 0.78 on SSDD validation chips; the demo's 20 m scenes use the CFAR)",
                            "trade statistics in the demo (readers and commands exist)"]
                           + (["radar (install the sat extra: rasterio)"] if radar is None else []))
    (out / "findings.json").write_text(json.dumps(findings, indent=1) + "\n")
    return findings


def _figures(store_dir: Path, est: Estimates, rows: list[dict], sites, out: Path, say: Say) -> dict[str, str]:
    """One evidence bundle per site for the report's estimate figures; site -> path from ``out``."""
    from harborwatch.analysis.periods import month_periods
    from harborwatch.evidence.figures import figure_bundles

    months = sorted(r["period"] for r in rows if len(r["period"]) == 7)
    spans = RASON_PERIODS
    if months:
        t0, t1 = (int(datetime.strptime(m, "%Y-%m").replace(tzinfo=UTC).timestamp()) for m in (months[0], months[-1]))
        spans = (*spans, *month_periods(t0, t1))
    say("figure bundles", 0, 1)
    with Store.open(store_dir, read_only=True) as st:
        written = figure_bundles(st, est, rows, spans, sites, out / "bundles")
    say("figure bundles", 1, 1)
    return {site: str(p.relative_to(out)) for site, p in written.items()}


def _claims(st: Store, est: Estimates, sites, out: Path, say: Say) -> list[dict]:
    """The example claims checked against the SIMULATED scenario, one evidence bundle each."""
    from harborwatch.evidence.bundle import Bundling
    from harborwatch.evidence.claims import EXAMPLE_CLAIMS, bundle_claim, check_claims, load_claims

    claims = load_claims(EXAMPLE_CLAIMS)
    results = check_claims(st, est, claims)
    for k, r in enumerate(results):
        say("claims and bundles", k, len(results))
        p = bundle_claim(st, EXAMPLE_CLAIMS, r["claim_id"], sites, out / "bundles" / f"claim-{r['claim_id']}.zip",
                         Bundling(max_events=50), result=r)
        r["bundle"] = str(p.relative_to(out))
    say("claims and bundles", len(results), len(results))
    (out / "claims.jsonl").write_text("".join(json.dumps({k: r[k] for k in (
        "claim_id", "status", "measured", "low", "high", "evidence", "reason", "bundle")}) + "\n" for r in results))
    return results


def _write_estimates(est: Estimates, out: Path) -> dict[str, str]:
    """The estimates as Parquet and CSV (activity, dark calls) and JSON (periods, changes)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, t in est.tables().items():
        pq.write_table(t, out / f"{name}.parquet")
        t.to_pandas().to_csv(out / f"{name}.csv", index=False)
        files[f"estimates/{name}.parquet"] = str(out / f"{name}.parquet")
    for name, rows in (("periods", est.periods), ("changes", est.changes), ("cargo_periods", est.cargo_periods),
                       ("rail_periods", est.rail_periods)):
        (out / f"{name}.json").write_text(json.dumps(rows, indent=1) + "\n")
        files[f"estimates/{name}.json"] = str(out / f"{name}.json")
    return files


def _ingest(st: Store, sdir: Path, say: Say) -> list[dict]:
    """Both simulated feeds into the store; their accounting reports."""
    reports = []
    for name, receiver in (("terrestrial.nmea", "terrestrial"), ("satellite.nmea", "satellite")):
        say(f"ingest {name}", 0, 1)
        reports += list(ingest_files(st, [sdir / name], IngestOptions(receiver=receiver)))
        say(f"ingest {name}", 1, 1)
    return reports


def _screen(st: Store, sdir: Path, out: Path, say: Say) -> tuple[pa.Table, pa.Table]:
    """Screening against the scenario's SIMULATED watchlist: (hits, watchlist events, stored)."""
    say("screen", 0, 1)
    wl, _ = read_lists([sdir / "simulated_watchlist.ftm.jsonl"])
    params = Screen()
    hits = screen(seen_from_store(st), wl, params)
    wev = watchlist_events(st, hits, params)
    st.put_rows("events", wev, "event_id")
    dossiers(st, hits, out / "dossiers")
    say("screen", 1, 1)
    return hits, wev


def _write_events(events: pa.Table, sdir: Path, out: Path) -> dict[str, str]:
    """The detected events (Parquet, GeoJSON, CSV) and the ground truth, beside each other."""
    files = {}
    for suffix in (".parquet", ".geojson", ".csv"):
        files[f"events{suffix}"] = str(write_events(events, out / f"events{suffix}"))
    for name in ("truth_events.parquet", "truth_events.csv"):
        shutil.copyfile(sdir / name, out / name)
        files[name] = str(out / name)
    return files


def _findings(cfg: Scenario, sdir: Path, ingest_reports: list[dict], events: pa.Table, hits: pa.Table,
              wev: pa.Table, radar: dict | None, truth: pa.Table, scores: dict, files: dict) -> dict:
    """The summary figures the command prints (``findings.json``)."""
    return {
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
        "rajin": calls_per_period(events),
        "rajin_truth": truth_calls_per_period(truth),
        "dark_gaps_detected": int(pc.sum(likely_disabling(events)).as_py() or 0),
        "evaluation": {k: {m: v.get(m) for m in ("precision", "recall", "f1")} for k, v in scores.items()},
        "files": files,
    }


def _score_radar(radar: dict | None, sdir: Path, truth: pa.Table, files: dict) -> dict:
    """Scores the radar run in place (detections and dark classes, new structures) and adds its
    files; returns ``{"sampling_floor": ...}``, how close any estimator sampling presence at these
    scene times could come to Rajin's calls (``{}`` without radar)."""
    if radar is None:
        return {}
    radar.pop("events")
    radar["evaluation"] = evaluate_radar(radar.pop("fused"), pq.read_table(radar["truth_scene_vessels"]))
    files["detections.geojson"] = radar["detections"]
    if radar["structures"]:
        radar["new_structures"] = evaluate_structures(json.loads(Path(radar["structures"]).read_text()),
                                                      json.loads((sdir / "truth_facilities.geojson").read_text()))
        files["new_structures.geojson"] = radar["structures"]
    return {"sampling_floor": sampling_floor(truth, pq.read_table(sdir / "truth_overpasses.parquet"))}


def _radar(st, sdir: Path, out: Path, sites, say: Say) -> dict | None:
    """Render the SIMULATED radar scenes of the Rajin overpasses, detect ships, fuse with AIS and
    put ``dark_vessel`` events in the store. None when the sat extra (rasterio) is missing."""
    try:
        import rasterio  # noqa: F401
    except ImportError:
        return None
    from dataclasses import asdict

    from harborwatch.fusion import Fusion, counts, dark_events, fuse, scenes_table, structure_events, write_chips
    from harborwatch.sar import Detector, detect, open_scene
    from harborwatch.sar.masks import read_polygons
    from harborwatch.sar.outputs import write_detections
    from harborwatch.sar.structures import Structures, find_structures
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

    pq.write_table(fused, out / "fused.parquet")
    dev = dark_events(fused, det, infos, fus_p, write_chips(fused, det, infos, out / "chips"), asdict(det_p))
    st.put_rows("events", dev, "event_id")
    st.put_rows("scenes", scenes_table(infos), "scene_id")
    say("fuse with AIS", 1, 1)
    structures_path = None
    if len(files) >= 3:  # a stack needs three scenes at least (a short scenario may have fewer)
        say("new structures", 0, 1)
        structures = find_structures([open_scene(f) for f in files], Structures())
        structures_path = out / "new_structures.geojson"
        structures_path.write_text(json.dumps(structures) + "\n")
        st.put_rows("events", structure_events(structures, sites), "event_id")
        say("new structures", 1, 1)
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
            "per_scene": per_scene, "chips": chips, "structures": str(structures_path) if structures_path else None,
            "rajin": {"scenes": len(per_scene), "seen": sum(c["seen"] for c in per_scene),
                      "on_ais": sum(c["on_ais"] for c in per_scene), "dark": sum(c["dark"] for c in per_scene)}}


def _rail_yard(st, sdir: Path, out: Path, say: Say) -> dict:
    """Render the SIMULATED rail-yard chips of the Tumangang - Khasan crossing, count the cars on
    the sidings (``harborwatch railcars``), import the counts into the store beside the analyst's,
    and compare them with the cars the scenes show."""
    import numpy as np

    from harborwatch.ingest.counts import write_counts
    from harborwatch.sar import open_scene
    from harborwatch.sar.railcars import count_row, read_tracks
    from harborwatch.scenario.radar import rail_yard

    paths = rail_yard(sdir, progress=lambda i, n: say("rail yard scenes", i, n))
    lines = read_tracks(paths["tracks"])
    truth = {r["scene_id"]: r["cars"] for r in pq.read_table(paths["truth"]).to_pylist()}
    rows, errors = [], []
    for f in sorted(paths["scenes"].glob("*.tif")):
        row, _ = count_row(open_scene(f), lines, "kp-ru-tumangang-khasan", "harborwatch railcars (SIMULATED scenes)")
        rows.append(row)
        errors.append(row["rail_cars"] - truth.get(f.stem.removesuffix("-yard"), 0))
    path = write_counts(rows, out / "rail_counts_imagery.csv")
    rep = next(ingest_counts(st, [path]))
    err = np.abs(np.array(errors, float))
    return {"scenes": len(rows), "stored": rep["stored"], "duplicates": rep["duplicates"],
            "mean_abs_error_cars": round(float(err.mean()), 2) if len(err) else None,
            "exact": int((err == 0).sum()), "file": str(path)}


def _optical(sdir: Path, out: Path, say: Say) -> dict:
    """The SIMULATED optical images: rail cars on the yard's (``rail_imagery_optical``) and new
    structures in the stacks around the scenario's structures (``new_structures_optical``)."""
    from harborwatch.sar.optical import open_optical
    from harborwatch.sar.structures_optical import find_structures_optical
    from harborwatch.scenario.optical import facilities_optical

    feats: list[dict] = []
    for folder in facilities_optical(sdir, progress=lambda i, n: say("optical images of structures", i, n)).values():
        files = sorted(folder.glob("*.tif"))
        if len(files) >= 3:  # a stack needs three images at least (a short scenario may have fewer)
            feats += find_structures_optical([open_optical(f) for f in files])["features"]
    found = {"type": "FeatureCollection", "features": feats}
    (out / "new_structures_optical.geojson").write_text(json.dumps(found) + "\n")
    return {"rail_imagery_optical": _rail_yard_optical(sdir, out, say),
            "new_structures_optical": evaluate_structures(found, json.loads((sdir / "truth_facilities.geojson")
                                                                             .read_text()))}


def _rail_yard_optical(sdir: Path, out: Path, say: Say) -> dict:
    """Render the SIMULATED optical images of the same yard (0.5 m, cloud-free ones, sun in the
    tags), count the cars (``harborwatch railcars``, optical) and compare them with the truth.
    The counts are written for ``harborwatch counts``, not imported: the estimates use the
    analyst's and the radar counts, so their figures do not depend on this step."""
    import numpy as np

    from harborwatch.ingest.counts import write_counts
    from harborwatch.sar.railcars import read_tracks
    from harborwatch.sar.railcars_optical import optical_count_row
    from harborwatch.scenario.optical import rail_yard_optical

    paths = rail_yard_optical(sdir, progress=lambda i, n: say("rail yard optical images", i, n))
    lines = read_tracks(paths["tracks"])
    truth = {r["scene_id"]: r["cars"] for r in pq.read_table(paths["truth"]).to_pylist()}
    rows, errors = [], []
    for f in sorted(paths["scenes"].glob("*.tif")):
        row, _ = optical_count_row(f, lines, "kp-ru-tumangang-khasan", "harborwatch railcars (SIMULATED optical)")
        rows.append(row)
        errors.append(row["rail_cars"] - truth.get(f.stem, 0))
    path = write_counts(rows, out / "rail_counts_optical.csv")
    err = np.abs(np.array(errors, float))
    return {"images": len(rows), "mean_abs_error_cars": round(float(err.mean()), 2) if len(err) else None,
            "exact": int((err == 0).sum()), "max_abs_error_cars": int(err.max()) if len(err) else None,
            "file": str(path)}


def _counts(events: pa.Table) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in events["type"].to_pylist():
        out[t] = out.get(t, 0) + 1
    return dict(sorted(out.items()))


__all__ = ["run_demo", "scenario_dir"]
