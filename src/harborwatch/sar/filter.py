"""The learned false-alarm filter: logistic regression over features of each CFAR candidate.

Features (scale-free, so they carry between sensors and pixel sizes): CFAR peak and mean z,
contrast (dB over the background mean), background coefficient of variation (land and quays are
heterogeneous), log area, log length, elongation (length / width of the minimum-area
rectangle) and fill (area / rectangle area).

The weights are trained by the project (``scripts/train_sar_filter.py``: scikit-learn
``LogisticRegression`` on the candidates of the HRSID *tuning* chips, labelled by the
centre-in-box rule) and shipped as a small JSON file in the package
(``harborwatch/sar/data/false_alarm_filter.json``) with the training chips, the detector
parameters and the scores on the tuning chips; applying them needs only NumPy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from harborwatch.core.errors import DataError

FEATURES = ("peak_z", "mean_z", "contrast_db", "background_cv", "log_area", "log_length", "elongation", "fill")
WEIGHTS_FILE = Path(__file__).parent / "data" / "false_alarm_filter.json"


def feature_matrix(cands: list[dict]) -> np.ndarray:
    rows = []
    for c in cands:
        area = max(c["area_px"], 1)
        rect = max(c["length_px"] * c["width_px"], 1.0)
        rows.append([min(c["peak_z"], 100.0), min(c["mean_z"], 100.0), c["contrast_db"], min(c["background_cv"], 10.0),
                     np.log(area), np.log(max(c["length_px"], 1.0)), c["length_px"] / max(c["width_px"], 1.0),
                     min(area / rect, 1.0)])
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))


@dataclass(frozen=True)
class FalseAlarmFilter:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict

    @classmethod
    def load(cls, path: Path) -> FalseAlarmFilter:
        d = json.loads(Path(path).read_text())
        if tuple(d["features"]) != FEATURES:
            raise DataError(f"{path}: trained on features {d['features']}, this version computes {FEATURES}")
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]),
                   {k: v for k, v in d.items() if k not in ("mean", "scale", "coef", "intercept")})

    @staticmethod
    @lru_cache(maxsize=1)
    def packaged() -> FalseAlarmFilter:
        return FalseAlarmFilter.load(WEIGHTS_FILE)

    def predict(self, cands: list[dict]) -> list[float]:
        """Probability that each candidate is a ship."""
        if not cands:
            return []
        x = (feature_matrix(cands) - self.mean) / self.scale
        return [float(v) for v in 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))]


__all__ = ["FEATURES", "FalseAlarmFilter", "feature_matrix"]
