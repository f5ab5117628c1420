"""Train the radar false-alarm filter (reproducible; CPU, seconds).

    python scripts/train_sar_filter.py [--hrsid ../shared/data/sar/hrsid] [--out FILE.json]

(default output: ``src/harborwatch/sar/data/false_alarm_filter.json``, the file the package ships.)

Candidates: the CFAR candidates (``harborwatch.sar.detect.candidates``, default detector but
``k`` = 3.0 so that weak ships and more false alarms are seen, pixel size 3 m) of the HRSID
*tuning* chips (``harborwatch.evaluation.chips.split``); a candidate
is a ship when its centroid lies in a label box. Model: scikit-learn ``LogisticRegression``
(L2, C=1, balanced classes) on standardised features. Written as JSON: feature names, scaler,
coefficients, the chips used, the detector parameters and the scores on those chips.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from harborwatch.evaluation.chips import split
    from harborwatch.sar.detect import Detector, candidates
    from harborwatch.sar.filter import FEATURES, WEIGHTS_FILE, feature_matrix
    from harborwatch.sar.labels import find_labels, match
    from harborwatch.sar.scene import open_scene

    shared = Path(os.environ.get("HARBORWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hrsid", type=Path, default=shared / "data" / "sar" / "hrsid")
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    ap.add_argument("--k", type=float, default=3.0, help="CFAR z threshold for the candidates")
    ap.add_argument("--pixel-m", type=float, default=3.0, help="pixel size assumed for the chips (HRSID: 0.5-3 m)")
    a = ap.parse_args()
    p = Detector(k=a.k, assume_pixel_m=a.pixel_m)
    stems = sorted(f.stem for f in (a.hrsid / "images").glob("*.jpg"))
    tune = split(stems)["tune"]
    xs, ys = [], []
    for stem in tune:
        scene = open_scene(a.hrsid / "images" / f"{stem}.jpg")
        boxes = find_labels(a.hrsid, stem, scene.shape[1], scene.shape[0])
        for c in candidates(scene, p):
            c["score"] = 1.0
            xs.append(feature_matrix([c])[0])
            ys.append(match([c], boxes, "centre"))
    x, y = np.array(xs), np.array(ys)
    sc = StandardScaler().fit(x)
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(sc.transform(x), y)
    prob = lr.predict_proba(sc.transform(x))[:, 1]
    out = {"features": list(FEATURES), "mean": sc.mean_.tolist(), "scale": sc.scale_.tolist(),
           "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]),
           "trained_on": {"dataset": "HRSID chips (tuning split)", "chips": tune, "candidates": len(y),
                          "ships": int(y.sum())},
           "detector": asdict(p), "training_accuracy": round(float(((prob >= 0.5) == y).mean()), 4),
           "script": "scripts/train_sar_filter.py"}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(y)} candidates ({int(y.sum())} ships) from {len(tune)} chips; training accuracy "
          f"{out['training_accuracy']}; wrote {a.out}")


if __name__ == "__main__":
    main()
