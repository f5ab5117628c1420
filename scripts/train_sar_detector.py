"""Train the learned ship detector on the SSDD training split and export it as ONNX.

    pip install -e ".[train]"      # PyTorch (CPU is enough)
    python scripts/train_sar_detector.py [--data ../shared/data/sar/ssdd/train] [--epochs 60] [--seed 0]

The chips are split by sorted name: every fifth (positions 4, 9, 14, ...) is the validation
split, never trained on; the rest are trained on. The network is a small CenterNet (Zhou et al.,
"Objects as Points", 2019): a stride-2 stem and two stride-2 stages, one skip back to a grid of a
quarter of the image, and three heads (centre heatmap, sub-cell offset, log box size), about
230k parameters, small enough to train on two CPU cores in under half an hour. Loss: CenterNet's
focal loss on the heatmap, L1 on offset and log size at the centres. Training: random 256 x 256
crops, flips and quarter turns, AdamW, one-cycle schedule, a
fixed seed, deterministic kernels on the CPU (so a CPU run repeats bit for bit; a GPU run with
``--device cuda`` is faster and close, not identical). Every hyperparameter here was set before the
first run, except the number of epochs: a first run of 24 and a second of 60, the one shipped
because it scored higher on the validation split, which is scored at the end with the packaged decoding
(:class:`harborwatch.sar.learned.LearnedDetector`). Writes the ONNX file (default: the package's
``sar/data/ship_detector.onnx``) and a JSON of the run beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from harborwatch.sar.labels import find_labels, match  # noqa: E402
from harborwatch.sar.learned import STRIDE, LearnedDetector, decode, prepare  # noqa: E402

CROP = 256


def load(folder: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, prepared image, boxes as [x0, y0, x1, y1] exclusive pixels) per chip."""
    from PIL import Image

    out = []
    for f in sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() in (".jpg", ".png", ".tif")):
        a = np.asarray(Image.open(f).convert("L"), dtype=np.float32)
        boxes = find_labels(folder / "labels", f.stem, a.shape[1], a.shape[0]) or []
        b = np.array([[x0, y0, x1 + 1, y1 + 1] for x0, y0, x1, y1 in boxes], np.float32).reshape(-1, 4)
        out.append((f.name, prepare(a), b))
    return out


def net():
    import torch.nn as nn

    def block(cin: int, cout: int, stride: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True))

    class CenterNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.s2 = nn.Sequential(nn.Conv2d(1, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
            self.s4 = block(24, 48, 2)
            self.s8 = block(48, 64, 2)
            self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(64, 48, 3, 1, 1, bias=False),
                                    nn.BatchNorm2d(48), nn.ReLU(inplace=True))
            self.mix = block(96, 48, 1)
            self.heat = nn.Sequential(nn.Conv2d(48, 32, 3, 1, 1), nn.ReLU(inplace=True), nn.Conv2d(32, 1, 1))
            self.off = nn.Sequential(nn.Conv2d(48, 32, 3, 1, 1), nn.ReLU(inplace=True), nn.Conv2d(32, 2, 1))
            self.size = nn.Sequential(nn.Conv2d(48, 32, 3, 1, 1), nn.ReLU(inplace=True), nn.Conv2d(32, 2, 1))
            self.heat[-1].bias.data.fill_(-2.19)  # CenterNet's prior: sigmoid = 0.1

        def forward(self, x):
            import torch

            f4 = self.s4(self.s2(x))
            f = self.mix(torch.cat([f4, self.up(self.s8(f4))], 1))
            return torch.sigmoid(self.heat(f)), self.off(f), self.size(f)

    return CenterNet()


def targets(boxes: np.ndarray, h: int, w: int) -> tuple[np.ndarray, ...]:
    """Heatmap (Gaussian per centre), offset and log size at the centre cells, and their mask."""
    gh, gw = h // STRIDE, w // STRIDE
    heat = np.zeros((1, gh, gw), np.float32)
    off = np.zeros((2, gh, gw), np.float32)
    size = np.zeros((2, gh, gw), np.float32)
    mask = np.zeros((1, gh, gw), np.float32)
    yy, xx = np.mgrid[0:gh, 0:gw]
    for x0, y0, x1, y1 in boxes:
        bw, bh = x1 - x0, y1 - y0
        if bw < 1 or bh < 1:
            continue
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        ix, iy = int(cx), int(cy)
        if not (0 <= ix < gw and 0 <= iy < gh):
            continue
        sigma = max(0.6, min(bw, bh) / STRIDE / 3)
        heat[0] = np.maximum(heat[0], np.exp(-((xx - ix) ** 2 + (yy - iy) ** 2) / (2 * sigma**2)))
        off[:, iy, ix] = (cx - ix, cy - iy)
        size[:, iy, ix] = (math.log(bw), math.log(bh))
        mask[0, iy, ix] = 1.0
    return heat, off, size, mask


def crop(x: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A CROP x CROP window (padded where the chip is smaller), flipped and turned at random."""
    h, w = x.shape
    ph, pw = max(CROP - h, 0), max(CROP - w, 0)
    if ph or pw:
        x = np.pad(x, ((0, ph), (0, pw)), mode="constant", constant_values=float(np.median(x)))
        h, w = x.shape
    r0 = int(rng.integers(0, h - CROP + 1))
    c0 = int(rng.integers(0, w - CROP + 1))
    x = x[r0:r0 + CROP, c0:c0 + CROP]
    b = b - np.array([c0, r0, c0, r0], np.float32)
    b = np.clip(b, 0, CROP)
    b = b[((b[:, 2] - b[:, 0]) >= 2) & ((b[:, 3] - b[:, 1]) >= 2)]
    if rng.random() < 0.5:
        x = x[:, ::-1]
        b = np.stack([CROP - b[:, 2], b[:, 1], CROP - b[:, 0], b[:, 3]], 1)
    if rng.random() < 0.5:
        x = x[::-1, :]
        b = np.stack([b[:, 0], CROP - b[:, 3], b[:, 2], CROP - b[:, 1]], 1)
    if rng.random() < 0.5:  # a quarter turn: transpose
        x = x.T
        b = b[:, [1, 0, 3, 2]]
    return np.ascontiguousarray(x), b.astype(np.float32)


def focal(pred, gt):
    import torch

    p = pred.clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum() - (torch.log(1 - p) * p**2 * (1 - gt) ** 4 * neg).sum()
    return loss / pos.sum().clamp(min=1.0)


def train(chips: list, epochs: int, seed: int, device: str, batch: int = 16, log=print):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if device == "cpu":
        torch.use_deterministic_algorithms(True)
    model = net().to(device)
    steps = epochs * math.ceil(len(chips) / batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    for ep in range(epochs):
        model.train()
        order = rng.permutation(len(chips))
        total, t0 = 0.0, time.perf_counter()
        for s in range(0, len(order), batch):
            xs, ts = [], []
            for i in order[s:s + batch]:
                x, b = crop(chips[i][1], chips[i][2], rng)
                xs.append(x[None])
                ts.append(targets(b, CROP, CROP))
            x = torch.from_numpy(np.stack(xs)).to(device)
            heat, off, size, mask = (torch.from_numpy(np.stack([t[k] for t in ts])).to(device) for k in range(4))
            ph, po, ps = model(x)
            n = mask.sum().clamp(min=1.0)
            loss = focal(ph, heat) + ((po - off).abs() * mask).sum() / n + 0.1 * ((ps - size).abs() * mask).sum() / n
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(xs)
        log(f"epoch {ep + 1}/{epochs}: loss {total / len(chips):.3f} ({time.perf_counter() - t0:.0f} s)")
    return model.eval().cpu()


def export(model, path: Path) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, 64, 64), str(path), input_names=["image"],
                      output_names=["heat", "offset", "log_size"], opset_version=17, dynamo=False,
                      dynamic_axes={"image": {2: "h", 3: "w"}, "heat": {2: "gh", 3: "gw"},
                                    "offset": {2: "gh", 3: "gw"}, "log_size": {2: "gh", 3: "gw"}})


def score(chips: list, model_path: Path) -> dict:
    """Precision, recall and F1 (box IoU >= 0.5 and centre in box) with the packaged decoding."""
    from harborwatch.sar.learned import run_network

    p = LearnedDetector()
    tot = {"iou": [0, 0, 0], "centre": [0, 0, 0]}
    for _, x, b in chips:
        heat, off, size = run_network(x, model_path)
        dets = decode(heat, off, size, p, x.shape)
        boxes = [(x0, y0, x1 - 1, y1 - 1) for x0, y0, x1, y1 in b.tolist()]
        for rule in tot:
            tot[rule][0] += match(dets, boxes, rule)
            tot[rule][1] += len(dets)
            tot[rule][2] += len(boxes)
    out = {}
    for rule, (tp, nd, nt) in tot.items():
        pr, rc = tp / max(nd, 1), tp / max(nt, 1)
        out[rule] = {"tp": tp, "detections": nd, "truth": nt, "precision": round(pr, 4), "recall": round(rc, 4),
                     "f1": round(2 * pr * rc / max(pr + rc, 1e-9), 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sar" / "ssdd" / "train")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "harborwatch" / "sar" / "data" / "ship_detector.onnx")
    a = ap.parse_args()
    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    chips = load(a.data)
    val = [c for i, c in enumerate(chips) if i % 5 == 4]
    fit = [c for i, c in enumerate(chips) if i % 5 != 4]
    print(f"{len(fit)} training chips, {len(val)} validation chips ({a.data})")
    t0 = time.perf_counter()
    model = train(fit, a.epochs, a.seed, a.device)
    export(model, a.out)
    result = {"data": str(a.data), "training_chips": len(fit), "validation_chips": len(val), "epochs": a.epochs,
              "seed": a.seed, "device": a.device, "torch": torch.__version__,
              "train_s": round(time.perf_counter() - t0), "parameters": sum(p.numel() for p in model.parameters()),
              "validation": score(val, a.out)}
    a.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["validation"]))


if __name__ == "__main__":
    main()
