"""Ground-truth boxes for radar chips, and detection scoring against them.

Label formats (found by file name beside or under ``--labels``, same stem as the image):

* YOLO text: ``class cx cy w h`` per line, normalised to the image size;
* Pascal VOC XML: ``<object><bndbox><xmin>..<ymin>..<xmax>..<ymax>``;
* segmentation masks (HRSID style, PNG): ship pixels are non-black (any channel > 127); each
  8-connected blob is one ship.

Boxes are ``(col_min, row_min, col_max, row_max)`` in pixels, inclusive, like detections'
``bbox_px``. Two matching rules, each one-to-one and greedy (best first):

* ``centre``: the detection's centroid lies inside the label box (detections ordered by score);
* ``iou``: box IoU >= 0.5 (pairs ordered by IoU).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harborwatch.core.errors import DataError, FormatError


def yolo_boxes(path: Path, width: int, height: int) -> list[tuple[float, ...]]:
    out: list[tuple[float, ...]] = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            _, cx, cy, w, h = (float(x) for x in parts[:5])
        except ValueError as e:
            raise DataError(f"not a YOLO label line: {line!r}", source=str(path), ref=n) from e
        out.append(((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width - 1, (cy + h / 2) * height - 1))
    return out


def voc_boxes(path: Path) -> list[tuple[float, ...]]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise FormatError(f"invalid VOC XML: {e}", source=str(path)) from e
    out: list[tuple[float, ...]] = []
    for o in root.iter("object"):
        b = o.find("bndbox")
        if b is None:
            continue
        out.append(tuple(float(b.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax")))
    return out


def mask_boxes(path: Path) -> list[tuple[float, ...]]:
    from PIL import Image
    from scipy.ndimage import find_objects, label

    with Image.open(path) as im:
        a = np.asarray(im)
    ship = (a > 127).any(axis=-1) if a.ndim == 3 else a > 127
    lab, _ = label(ship, structure=np.ones((3, 3), bool))
    return [(s[1].start, s[0].start, s[1].stop - 1, s[0].stop - 1) for s in find_objects(lab) if s is not None]


def find_labels(labels_dir: Path, stem: str, width: int, height: int) -> list[tuple[float, ...]] | None:
    """Boxes for the image ``stem`` from the first label file found (YOLO, VOC, mask)."""
    for sub in ("", "labels_yolo", "labels", "annotations", "masks"):
        d = labels_dir / sub if sub else labels_dir
        if (d / f"{stem}.txt").is_file():
            return yolo_boxes(d / f"{stem}.txt", width, height)
        if (d / f"{stem}.xml").is_file():
            return voc_boxes(d / f"{stem}.xml")
        if (d / f"{stem}.png").is_file():
            return mask_boxes(d / f"{stem}.png")
    return None


def _iou(a, b) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0]) + 1
    ih = min(a[3], b[3]) - max(a[1], b[1]) + 1
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    area = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
    return inter / area


def match(dets: list[dict], boxes: list[tuple[float, ...]], rule: str) -> int:
    """True positives: detections (dicts with ``row``, ``col``, ``bbox_px``, ``score``) matched
    one-to-one to label boxes under ``rule`` (``centre`` or ``iou``)."""
    used: set[int] = set()
    tp = 0
    if rule == "centre":
        for d in sorted(dets, key=lambda d: -d["score"]):
            x, y = d["col"] - 0.5, d["row"] - 0.5
            for j, b in enumerate(boxes):
                if j not in used and b[0] - 0.5 <= x <= b[2] + 0.5 and b[1] - 0.5 <= y <= b[3] + 0.5:
                    used.add(j)
                    tp += 1
                    break
        return tp
    if rule != "iou":
        raise DataError(f"unknown matching rule {rule!r}; expected iou or centre")
    pairs = sorted(((_iou(d["bbox_px"], b), i, j) for i, d in enumerate(dets) for j, b in enumerate(boxes)),
                   reverse=True)
    taken: set[int] = set()
    for v, i, j in pairs:
        if v < 0.5:
            break
        if i in taken or j in used:
            continue
        taken.add(i)
        used.add(j)
        tp += 1
    return tp


def prf(tp: int, n_det: int, n_true: int) -> dict:
    p = tp / n_det if n_det else (1.0 if n_true == 0 else 0.0)
    r = tp / n_true if n_true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "detections": n_det, "truth": n_true, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(f, 4)}


__all__ = ["find_labels", "mask_boxes", "match", "prf", "voc_boxes", "yolo_boxes"]
