"""The learned ship detector: a small CenterNet-style network, run with onnxruntime on the CPU.

The network (trained by ``scripts/train_sar_detector.py`` on the SSDD training split, weights
shipped as ``sar/data/ship_detector.onnx``) reads one radar chip and returns, on a grid of a
quarter of the image's resolution, a heatmap of ship centres, each centre's sub-cell offset and
the log of its box width and height. :func:`decode` turns the peaks of the heatmap into boxes.

The input is :func:`prepare`'s: the logarithm of the amplitude, centred on the chip's median and
scaled by the spread up to its 99.5th percentile, so 8-bit quick-looks, uint16 GRD amplitudes and
calibrated sigma0 look alike to the network. Training and inference share this function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from harborwatch.core.errors import DataError, require

#: The network's output grid is this many pixels per cell.
STRIDE = 4
#: Images are padded to a multiple of this (the encoder halves the grid three times).
MULTIPLE = 8


def prepare(a: np.ndarray) -> np.ndarray:
    """The network's input from an image (2-D; several channels are averaged): float32, and
    computed in float32 (a 2,240 px tile of a full scene in 0.1 s rather than 0.26 s in float64;
    the inputs differ by under 1e-6)."""
    x = np.asarray(a, dtype=np.float32)
    if x.ndim == 3:
        x = x.mean(axis=2)
    x = np.log1p(np.clip(np.nan_to_num(x), 0, None))
    m, q = (float(v) for v in np.percentile(x, [50, 99.5]))
    return ((x - m) / max(q - m, 1e-3)).astype(np.float32)


@dataclass(frozen=True)
class LearnedDetector:
    """Decoding parameters of the learned detector.

    Attributes:
        min_score: heatmap peaks below this are not ships. 0.4: chosen on the SSDD validation
            split among 0.3 (CenterNet's usual threshold, the first default), 0.35, 0.4, 0.45, 0.5
            and 0.6 for the best box IoU F1; the HRSID chips played no part.
        peak_px: a peak is the highest cell within this window of cells. 3.
        precision: the packaged network to run: "float" (32-bit) or "int8" (quantized by
            ``scripts/quantize_sar_detector.py``: about 2.5 times faster on CPUs with 8-bit
            dot-product instructions, a little less accurate; README). "float".
    """

    min_score: float = 0.4
    peak_px: int = 3
    precision: str = "float"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise DataError(f"learned detector precision {self.precision!r}: use " + " or ".join(PRECISIONS))

    @property
    def model(self) -> Path:
        """The packaged network of this precision."""
        return packaged_model(self.precision)

    def apply(self, image: np.ndarray, model: str | Path | None = None) -> list[dict]:
        """Boxes found in one image (any size): dicts with ``row``, ``col`` (box centre),
        ``bbox_px`` (col_min, row_min, col_max, row_max, inclusive) and ``score``."""
        heat, off, size = run_network(prepare(image), model or self.model)
        return decode(heat, off, size, self, image.shape[:2])


def run_network(x: np.ndarray, model: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's outputs for one prepared image: heatmap (h, w) in 0..1, offset (2, h, w)
    and log size (2, h, w), on the grid of :data:`STRIDE` pixels."""
    sess = _session(str(model) if model else None)
    h, w = x.shape
    ph, pw = -h % MULTIPLE, -w % MULTIPLE
    xp = np.pad(x, ((0, ph), (0, pw)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
    heat, off, size = sess.run(None, {"image": xp[None, None]})
    gh, gw = -(-h // STRIDE), -(-w // STRIDE)
    return heat[0, 0, :gh, :gw], off[0, :, :gh, :gw], size[0, :, :gh, :gw]


def decode(heat: np.ndarray, off: np.ndarray, size: np.ndarray, p: LearnedDetector,
           shape: tuple[int, int]) -> list[dict]:
    """Boxes at the heatmap's local maxima of at least ``p.min_score``, clipped to the image."""
    from scipy.ndimage import maximum_filter

    peaks = (heat >= p.min_score) & (heat == maximum_filter(heat, size=p.peak_px, mode="constant"))
    out: list[dict[str, Any]] = []
    for gy, gx in zip(*np.nonzero(peaks), strict=True):
        cy = (gy + off[1, gy, gx]) * STRIDE
        cx = (gx + off[0, gy, gx]) * STRIDE
        bw, bh = float(np.exp(size[0, gy, gx])), float(np.exp(size[1, gy, gx]))
        c0, r0 = max(cx - bw / 2, 0.0), max(cy - bh / 2, 0.0)
        c1, r1 = min(cx + bw / 2, shape[1]) - 1, min(cy + bh / 2, shape[0]) - 1
        out.append({"row": float(cy), "col": float(cx), "score": float(heat[gy, gx]),
                    "bbox_px": [int(round(c0)), int(round(r0)), int(round(max(c1, c0))), int(round(max(r1, r0)))],
                    "length_px": max(bw, bh), "width_px": min(bw, bh)})
    out.sort(key=lambda d: -d["score"])
    return out


#: The packaged networks: the trained one, and the same quantized to 8-bit integers.
PRECISIONS = ("float", "int8")


def packaged_model(precision: str = "float") -> Path:
    name = "ship_detector.onnx" if precision == "float" else f"ship_detector_{precision}.onnx"
    return Path(str(resources.files("harborwatch.sar") / "data" / name))


@lru_cache(maxsize=4)
def _session(model: str | None):
    ort = require("onnxruntime", "sar", "the learned ship detector")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 0  # all cores
    # no busy-waiting between operators: the thread that reads and scales the next tile needs the
    # cores in those gaps (a 2,176 px tile: 0.56 s against 0.60 s with spinning, alone)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model or str(packaged_model()), opts, providers=["CPUExecutionProvider"])


__all__ = ["MULTIPLE", "PRECISIONS", "STRIDE", "LearnedDetector", "decode", "packaged_model", "prepare",
           "run_network"]
