"""Scoring radar detection and dark-vessel classification against the simulated scenes' truth."""

from __future__ import annotations

import pyarrow as pa

from harborwatch.geo.distance import haversine_m_array


def evaluate_radar(fused: pa.Table, truth_vessels: pa.Table, tol_m: float = 300.0) -> dict:
    """Radar detection and dark-vessel classification against the simulated scenes' truth.

    ``fused``: :data:`harborwatch.fusion.FUSED` rows; ``truth_vessels``: every vessel in each
    scene (``scene_id``, ``lat``, ``lon``, ``ais_on``). A detection (class matched or dark) is a
    true detection when it lies within ``tol_m`` of a true vessel of its scene (one-to-one,
    nearest first). ``dark``: detections classed dark against vessels with AIS off."""
    def score(dets: list[dict], truths: list[dict]) -> int:
        pairs = sorted((float(haversine_m_array(d["lat"], d["lon"], t["lat"], t["lon"])), i, j)
                       for i, d in enumerate(dets) for j, t in enumerate(truths))
        used_d, used_t, tp = set(), set(), 0
        for dist, i, j in pairs:
            if dist > tol_m:
                break
            if i not in used_d and j not in used_t:
                used_d.add(i)
                used_t.add(j)
                tp += 1
        return tp

    def prf(tp: int, n_det: int, n_true: int) -> dict:
        p = tp / n_det if n_det else None
        r = tp / n_true if n_true else None
        f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
        return {"truth": n_true, "detected": n_det, "tp": tp, "precision": p, "recall": r, "f1": f}

    rows = [r for r in fused.to_pylist() if r["lat"] is not None]
    truth = truth_vessels.to_pylist()
    tot = {"detection": [0, 0, 0], "dark": [0, 0, 0]}
    for img in sorted({t["scene_id"] for t in truth} | {r["image"] for r in rows}):
        tv = [t for t in truth if t["scene_id"] == img]
        seen = [r for r in rows if r["image"] == img and r["class"] in ("matched", "dark")]
        dark = [r for r in seen if r["class"] == "dark"]
        tdark = [t for t in tv if not t["ais_on"]]
        for k, (d, t) in {"detection": (seen, tv), "dark": (dark, tdark)}.items():
            tot[k][0] += score(d, t)
            tot[k][1] += len(d)
            tot[k][2] += len(t)
    return {"detection": prf(*tot["detection"]), "dark_vessel": prf(*tot["dark"]), "tolerance_m": tol_m}


__all__ = ["evaluate_radar"]


def hulls_found(hulls: list[dict], detections: list[dict], slack_px: float = 1.0) -> dict[str, int]:
    """Detections against hulls lying east-west (the quay chip's truth: ``row``, ``col`` of the
    centre, ``length_m``, ``beam_m``, ``pixel_m``): a detection whose centroid lies in a hull's
    rectangle (plus ``slack_px``) finds it, one to one, best score first
    (:func:`harborwatch.sar.labels.match`, centre rule). True positives, false positives and
    false negatives."""
    from harborwatch.sar.labels import match

    boxes: list[tuple[float, ...]] = []
    for h in hulls:
        half_l = h["length_m"] / h["pixel_m"] / 2 + slack_px
        half_b = h["beam_m"] / h["pixel_m"] / 2 + slack_px
        # inclusive pixel boxes: the centre rule reaches half a pixel past them
        boxes.append((h["col"] - half_l, h["row"] - half_b, h["col"] + half_l - 1, h["row"] + half_b - 1))
    tp = match(detections, boxes, "centre")
    return {"tp": tp, "fp": len(detections) - tp, "fn": len(hulls) - tp}
