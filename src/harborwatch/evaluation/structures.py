"""New structures found in radar stacks against a scenario's truth polygons."""

from __future__ import annotations

from datetime import date

import numpy as np


def evaluate_structures(found: dict, truth: dict) -> dict:
    """Precision, recall and F1 of found structures (GeoJSON FeatureCollections of polygons) against
    the true ones: a found polygon that overlaps a true one is a true positive, one true structure
    counts once; ``median_date_error_days`` is over the matched pairs (first seen minus appears)."""
    from shapely.geometry import shape

    t_shapes = [(shape(f["geometry"]), f["properties"]) for f in truth.get("features", [])]
    matched_truth: set[int] = set()
    tp_found = 0
    errors = []
    for f in found.get("features", []):
        g = shape(f["geometry"])
        hits = [k for k, (tg, _) in enumerate(t_shapes) if g.intersects(tg)]
        if not hits:
            continue
        tp_found += 1
        k = max(hits, key=lambda i: g.intersection(t_shapes[i][0]).area)
        if k not in matched_truth:
            matched_truth.add(k)
            err = (date.fromisoformat(f["properties"]["first_seen"])
                   - date.fromisoformat(t_shapes[k][1]["appears"])).days
            errors.append(err)
    n_found, n_truth = len(found.get("features", [])), len(t_shapes)
    precision = tp_found / n_found if n_found else None
    recall = len(matched_truth) / n_truth if n_truth else None
    f1 = (2 * precision * recall / (precision + recall) if precision and recall else 0.0) \
        if precision is not None and recall is not None else None
    return {"found": n_found, "truth": n_truth, "precision": precision, "recall": recall, "f1": f1,
            "median_date_error_days": float(np.median(np.abs(errors))) if errors else None,
            "date_errors_days": errors}


__all__ = ["evaluate_structures"]
