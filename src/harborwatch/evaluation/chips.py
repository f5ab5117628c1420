"""Scoring radar detections against labelled chips (``harborwatch detect-eval``).

The HRSID chips in ``../shared/data/sar/hrsid`` are split once, by name: sorted by file name,
the chips at even positions *tune* (they trained the false-alarm filter and chose the detector
parameters), the chips at odd positions *test* (never seen while tuning). :func:`split` is the
one place that rule lives.
"""

from __future__ import annotations

from pathlib import Path

from harborwatch.core.errors import InputFileError
from harborwatch.sar.detect import Detector, detect
from harborwatch.sar.labels import find_labels, match, prf
from harborwatch.sar.scene import IMAGE_SUFFIXES, TIFF_SUFFIXES, open_scene


def split(stems: list[str]) -> dict[str, list[str]]:
    s = sorted(stems)
    return {"tune": s[0::2], "test": s[1::2]}


def image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | TIFF_SUFFIXES)
    if not files:
        raise InputFileError(f"{folder}: no images (.png, .jpg, .tif)")
    return files


def evaluate_folder(images: Path, labels: Path, p: Detector | None = None, pixel_m: float | None = None,
                    only: set[str] | None = None, progress=None) -> dict:
    """Precision, recall and F1 under both matching rules, overall and per image."""
    p = p or Detector()
    files = [f for f in image_files(images) if only is None or f.stem in only]
    per = []
    tot = {"centre": [0, 0, 0], "iou": [0, 0, 0]}
    missing = []
    for i, f in enumerate(files):
        scene = open_scene(f, pixel_m=pixel_m)
        boxes = find_labels(Path(labels), f.stem, scene.shape[1], scene.shape[0])
        if boxes is None:
            missing.append(f.name)
            continue
        dets = detect(scene, p).to_pylist()
        row = {"image": f.name, "truth": len(boxes), "detections": len(dets)}
        for rule in ("centre", "iou"):
            tp = match(dets, boxes, rule)
            row[f"tp_{rule}"] = tp
            t = tot[rule]
            t[0] += tp
            t[1] += len(dets)
            t[2] += len(boxes)
        per.append(row)
        if progress:
            progress(i + 1, len(files))
    return {"images": len(per), "centre_in_box": prf(*tot["centre"]), "iou_0_5": prf(*tot["iou"]),
            "per_image": per, "unlabelled": missing}


__all__ = ["evaluate_folder", "image_files", "split"]
