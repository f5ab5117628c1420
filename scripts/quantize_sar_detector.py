"""Quantize the packaged ship detector to 8-bit integers (onnxruntime static quantization).

    python scripts/quantize_sar_detector.py [--data ../shared/data/sar/ssdd/train] [--chips 80]

Takes the shipped float network (``sar/data/ship_detector.onnx``), calibrates its activations on
the first ``--chips`` training chips of the SSDD training split (by sorted name, the validation
split's every fifth chip left out, so nothing here sees the chips its figures are measured on),
and writes ``sar/data/ship_detector_int8.onnx``: QDQ format, weights int8 per channel,
activations uint8, min-max calibration (deterministic: the same chips give the same file). The
network then runs about 2.5 times faster on CPUs with 8-bit dot-product instructions (VNNI), for a
small loss of accuracy (README). Writes a JSON of the run beside it, with the validation split's
figures at the packaged decoding.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def _chips(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() in (".jpg", ".png", ".tif"))


def main() -> None:
    shared = Path(os.environ.get("HARBORWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=shared / "data" / "sar" / "ssdd" / "train")
    ap.add_argument("--chips", type=int, default=80)
    a = ap.parse_args()

    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from PIL import Image

    from harborwatch.sar.learned import MULTIPLE, packaged_model, prepare

    chips = _chips(a.data)
    fit = [c for i, c in enumerate(chips) if i % 5 != 4][: a.chips]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(fit)

        def get_next(self) -> dict | None:
            f = next(self.it, None)
            if f is None:
                return None
            x = prepare(np.asarray(Image.open(f).convert("L"), np.float32))
            h, w = x.shape
            return {"image": np.pad(x, ((0, -h % MULTIPLE), (0, -w % MULTIPLE)), mode="edge")[None, None]}

    out = packaged_model("int8")
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the pre-processing leaves temporary files in the working folder
        try:
            pre = Path(tmp) / "pre.onnx"
            quant_pre_process(str(packaged_model()), str(pre), skip_symbolic_shape=True)
            quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        finally:
            os.chdir(here)
    record = {"data": str(a.data), "calibration_chips": len(fit), "format": "QDQ, int8 weights per channel, uint8 "
              "activations, min-max calibration", "validation": _score([c for i, c in enumerate(chips) if i % 5 == 4],
                                                                        a.data)}
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record["validation"]))


def _score(chips: list[Path], folder: Path) -> dict:
    """The int8 network on the validation chips, at the packaged decoding."""
    from PIL import Image

    from harborwatch.sar.labels import find_labels, match, prf
    from harborwatch.sar.learned import LearnedDetector

    net = LearnedDetector(precision="int8")
    tp = {"iou": 0, "centre": 0}
    n_det = n_true = 0
    for f in chips:
        img = np.asarray(Image.open(f).convert("L"), np.float32)
        boxes = find_labels(folder / "labels", f.stem, img.shape[1], img.shape[0]) or []
        dets = net.apply(img)
        for rule in tp:
            tp[rule] += match(dets, boxes, rule)
        n_det, n_true = n_det + len(dets), n_true + len(boxes)
    return {rule: prf(k, n_det, n_true) for rule, k in tp.items()}


if __name__ == "__main__":
    main()
