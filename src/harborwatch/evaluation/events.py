"""Score detected events against the scenario's ground truth: precision, recall, F1 per type.

Matching is one-to-one (greedy, closest first) between truth rows and detections that refer
to the same vessel(s) and agree in time:

* same MMSI (unordered pair for encounters; either MMSI of an identity change);
* same site for port visits, same origin and destination for voyages;
* start and end each within the type's ``time_h`` tolerance, or a temporal IoU >= 0.5;
* for encounters and loitering, positions within ``space_km``.

Detections map to truth types: ``port_visit``, ``voyage``, ``gap``, ``encounter``,
``loitering`` one to one; ``identity_change`` (the per-field detections of one change, within
the tolerance, count once); ``spoofing`` from ``teleport`` and ``on_land`` (per vessel and
episode); ``shared_mmsi``; ``dark`` from gaps flagged ``likely_disabling``. Truth rows the
feeds cannot show (a visit with the transponder off or partly off, a voyage across an MMSI
change or a dark leg, a gap on an MMSI two hulls share) are *ambiguous*: a detection matching
one is neither a true nor a false positive, and they are not counted in recall. A
``shared_mmsi`` detection of a vessel inside one of its spoofing episodes is counted as
explained by that episode (the spoofed fixes form a second track).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.errors import HarborwatchError
from harborwatch.geo.distance import haversine_m_array


@dataclass(frozen=True)
class Tolerance:
    time_h: float
    space_km: float | None = None


TOLERANCES: dict[str, Tolerance] = {
    "port_visit": Tolerance(2.0),
    "voyage": Tolerance(3.0),
    "gap": Tolerance(1.0),
    "dark": Tolerance(3.0),
    "encounter": Tolerance(2.0, 5.0),
    "loitering": Tolerance(2.0, 10.0),
    "identity_change": Tolerance(72.0),
    "shared_mmsi": Tolerance(24.0),
    "spoofing": Tolerance(12.0),
}
TYPES = tuple(TOLERANCES)


def read_table(path: str | Path) -> pa.Table:
    """Events or truth from .parquet, .csv or .geojson (as written by harborwatch)."""
    p = Path(path)
    if not p.exists():
        raise HarborwatchError(f"{p}: no such file")
    suf = p.suffix.lower()
    if suf == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(p)
    elif suf == ".csv":
        import pyarrow.csv as pcsv

        t = pcsv.read_csv(p)
    elif suf in (".geojson", ".json"):
        feats = json.loads(p.read_text())["features"]
        # nested values (attributes, parameters, evidence) stay JSON text: their types vary by event
        props = [{k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
                  for k, v in f["properties"].items()} for f in feats]
        t = pa.Table.from_pylist(props)
    else:
        raise HarborwatchError(f"{p}: expected .parquet, .csv or .geojson")
    for c in ("start", "end"):
        if c not in t.column_names:
            raise HarborwatchError(f"{p}: no column {c!r}")
        if not pa.types.is_timestamp(t[c].type):  # text from CSV / GeoJSON: ISO 8601 in UTC
            import pandas as pd

            ts = pd.to_datetime(pd.Series(t[c].to_pylist()), utc=True, format="ISO8601")
            t = t.set_column(t.column_names.index(c), c, pa.array(ts, pa.timestamp("ms", tz="UTC")))
    return t


def _rows(t: pa.Table) -> list[dict]:
    out = []
    start = pc.cast(pc.cast(t["start"], pa.timestamp("ms", tz="UTC")), pa.int64()).to_pylist()
    end = pc.cast(pc.cast(t["end"], pa.timestamp("ms", tz="UTC")), pa.int64()).to_pylist()
    cols = {c: t[c].to_pylist() for c in t.column_names if c not in ("start", "end", "evidence")}
    for i in range(t.num_rows):
        r = {c: v[i] for c, v in cols.items()}
        a = r.get("attributes")
        r["attributes"] = json.loads(a) if isinstance(a, str) and a else (a or {})
        r["start"], r["end"] = start[i] / 3.6e6, end[i] / 3.6e6  # hours since the epoch
        out.append(r)
    return out


def _km(a: dict, b: dict) -> float:
    if a.get("lat") is None or b.get("lat") is None:
        return 0.0
    return float(haversine_m_array(a["lat"], a["lon"], b["lat"], b["lon"])) / 1000.0


def _time_ok(t: dict, d: dict, tol_h: float) -> bool:
    if abs(t["start"] - d["start"]) <= tol_h and abs(t["end"] - d["end"]) <= tol_h:
        return True
    inter = min(t["end"], d["end"]) - max(t["start"], d["start"])
    union = max(t["end"], d["end"]) - min(t["start"], d["start"])
    return union > 0 and inter / union >= 0.5


def _same_vessel(kind: str, t: dict, d: dict) -> bool:
    tm = {t.get("mmsi"), t.get("mmsi_2")} - {None}
    dm = {d.get("mmsi"), d.get("mmsi_2")} - {None}
    if kind == "encounter":
        return tm == dm
    return bool(tm & dm)


def _compatible(kind: str, t: dict, d: dict) -> bool:
    if not _same_vessel(kind, t, d):
        return False
    if kind == "port_visit" and t.get("site_id") != d.get("site_id"):
        return False
    if kind == "voyage":
        ta, da = t["attributes"], d["attributes"]
        if ta.get("from_site_id") != da.get("from_site_id") or ta.get("to_site_id") != da.get("to_site_id"):
            return False
    tol = TOLERANCES[kind]
    if tol.space_km is not None and _km(t, d) > tol.space_km:
        return False
    return _time_ok(t, d, tol.time_h)


def _episodes(rows: list[dict], gap_h: float) -> list[dict]:
    """Merge detections of one vessel closer than ``gap_h`` into one (identity, spoofing)."""
    rows = sorted(rows, key=lambda r: (r.get("mmsi"), r["start"]))
    out: list[dict] = []
    for r in rows:
        if out and out[-1].get("mmsi") == r.get("mmsi") and r["start"] - out[-1]["end"] <= gap_h:
            out[-1]["end"] = max(out[-1]["end"], r["end"])
            if r.get("mmsi_2") is not None:
                out[-1]["mmsi_2"] = r["mmsi_2"]
        else:
            out.append(dict(r))
    return out


def _detections(kind: str, ev: list[dict], truth: list[dict]) -> list[dict]:
    if kind in ("port_visit", "voyage", "gap", "encounter", "loitering", "shared_mmsi"):
        out = [r for r in ev if r["type"] == kind]
    elif kind == "dark":
        out = [r for r in ev if r["type"] == "gap" and r["attributes"].get("likely_disabling")]
    elif kind == "identity_change":
        out = _episodes([r for r in ev if r["type"] == "identity_change"], TOLERANCES[kind].time_h)
    elif kind == "spoofing":
        out = _episodes([r for r in ev if r["type"] in ("teleport", "on_land")], TOLERANCES[kind].time_h)
    else:  # pragma: no cover - TYPES is closed
        raise HarborwatchError(kind)
    if kind == "shared_mmsi":  # spoofed fixes form a second track: explained by the spoofing episode
        spoof = [t for t in truth if t["type"] == "spoofing"]
        out = [r for r in out if not any(r["mmsi"] == s["mmsi"] and r["start"] < s["end"] + 1 and
                                          r["end"] > s["start"] - 1 for s in spoof)]
    return out


def _ambiguous(kind: str, t: dict) -> bool:
    a = t["attributes"]
    if kind in ("port_visit", "loitering") and a.get("ais", "on") != "on":
        return True
    return bool(a.get("ambiguous"))


def evaluate(truth: pa.Table, events: pa.Table) -> dict[str, dict]:
    """Per truth type: counts, precision, recall and F1 (None where undefined)."""
    tr, ev = _rows(truth), _rows(events)
    out: dict[str, dict] = {}
    for kind in TYPES:
        ts = [t for t in tr if t["type"] == kind]
        ds = _detections(kind, ev, tr)
        by_mmsi: dict[Any, list[int]] = {}
        for j, d in enumerate(ds):
            for m in {d.get("mmsi"), d.get("mmsi_2")} - {None}:
                by_mmsi.setdefault(m, []).append(j)
        cand = []
        for i, t in enumerate(ts):
            near = sorted({j for m in {t.get("mmsi"), t.get("mmsi_2")} - {None} for j in by_mmsi.get(m, [])})
            for j in near:
                d = ds[j]
                if _compatible(kind, t, d):
                    cost = abs(t["start"] - d["start"]) + abs(t["end"] - d["end"])
                    cand.append((cost, i, j))
        cand.sort()
        ti, dj = set(), set()
        pairs = []
        for _, i, j in cand:
            if i not in ti and j not in dj:
                ti.add(i)
                dj.add(j)
                pairs.append((i, j))
        amb_t = {i for i, t in enumerate(ts) if _ambiguous(kind, t)}
        tp = sum(1 for i, _ in pairs if i not in amb_t)
        ignored = sum(1 for i, _ in pairs if i in amb_t)
        n_truth = len(ts) - len(amb_t)
        n_det = len(ds) - ignored
        fp = n_det - tp
        fn = n_truth - tp
        prec = tp / n_det if n_det else None
        rec = tp / n_truth if n_truth else None
        f1 = (2 * prec * rec / (prec + rec) if prec is not None and rec is not None and prec + rec > 0
              else (0.0 if prec is not None and rec is not None else None))
        out[kind] = {"truth": n_truth, "detected": n_det, "true_positives": tp, "false_positives": fp,
                     "false_negatives": fn, "ignored_ambiguous": len(amb_t), "precision": prec, "recall": rec,
                     "f1": f1, "tolerance_h": TOLERANCES[kind].time_h,
                     "tolerance_km": TOLERANCES[kind].space_km}
    out["dark_call"] = _dark_calls(tr, ev)
    return out


def _dark_calls(tr: list[dict], ev: list[dict]) -> dict:
    """Recall of dark port calls: a truth call with the transponder off inside a detected gap
    of that vessel (precision is that of ``dark``)."""
    calls = [t for t in tr if t["type"] == "dark_call"]
    gaps = [r for r in ev if r["type"] == "gap"]
    found = sum(1 for c in calls if any(g["mmsi"] == c["mmsi"] and g["start"] <= c["start"] + 0.5 and
                                        g["end"] >= c["end"] - 0.5 for g in gaps))
    return {"truth": len(calls), "true_positives": found, "false_negatives": len(calls) - found,
            "precision": None, "recall": found / len(calls) if calls else None, "f1": None}


__all__ = ["TOLERANCES", "TYPES", "Tolerance", "evaluate", "read_table"]
