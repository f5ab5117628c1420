"""Radar detection benchmark: a full-size Sentinel-1 IW GRD scene end to end, beside a
straightforward sliding-window CFAR.

The scene (default 25,000 x 16,700 px, uint16 amplitude, 10 m, UTM 52N in the Sea of Japan off
Rason, so the land mask is exercised) is generated once into ``benchmarks/_data`` block by block:
Gamma speckle (4.4 looks) with ``--ships`` bright ships. Then ``harborwatch.sar.detect`` runs
on it from disk (windowed reads, tiles, land mask, CFAR, components, filter) and the script
prints time, peak RSS of the process and how many ships were found.

Peer, on a crop: the same two-parameter CFAR statistic with the same windows computed by
``scipy.ndimage.generic_filter`` (a Python callback per pixel over the background window), the
usual straightforward implementation. Its time per pixel is scaled to the full scene; the last
line is ``ratio=<peer time for the scene / harborwatch time>``.

    taskset -c 0,1 python benchmarks/sar.py [--method learned [--precision int8]]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _shared import work_dir

X0, Y0 = 640_000.0, 4_690_000.0  # UTM 52N, sea east of Rason; the scene's west edge runs along the coast


def make_scene(path: Path, rows: int, cols: int, n_ships: int, seed: int = 7) -> np.ndarray:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    ships = np.column_stack([rng.uniform(200, rows - 200, n_ships), rng.uniform(4000, cols - 200, n_ships)])
    if path.exists():
        return ships
    tmp = path.with_suffix(".part")
    block = 1024
    with rasterio.open(tmp, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="uint16",
                       crs="EPSG:32652", transform=from_origin(X0, Y0, 10, 10), tiled=True, blockxsize=512,
                       blockysize=512, BIGTIFF="YES") as ds:
        from rasterio.windows import Window

        for r0 in range(0, rows, block):
            h = min(block, rows - r0)
            amp = np.sqrt(rng.gamma(4.4, 1 / 4.4, size=(h, cols)).astype(np.float32)) * 120.0
            for r, c in ships[(ships[:, 0] >= r0 - 10) & (ships[:, 0] < r0 + h + 10)]:
                rr = slice(max(int(r) - 8 - r0, 0), max(min(int(r) + 8 - r0, h), 0))
                amp[rr, int(c) - 2:int(c) + 2] = 120.0 * 9.0
            ds.write(np.clip(amp, 0, 65535).astype(np.uint16), 1, window=Window(0, r0, cols, h))
    os.replace(tmp, path)
    return ships


def peer_cfar(a: np.ndarray, ht: int, hg: int, hb: int) -> np.ndarray:
    from scipy.ndimage import generic_filter

    size = 2 * hb + 1
    yy, xx = np.mgrid[-hb:hb + 1, -hb:hb + 1]
    ring = ((np.abs(yy) > hg) | (np.abs(xx) > hg)).ravel()

    def stat(w):
        bg = w[ring]
        return (w[len(w) // 2] - bg.mean()) / (bg.std() + 1e-12)

    return generic_filter(a.astype(np.float64), stat, size=size, mode="reflect")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=25_000)
    ap.add_argument("--cols", type=int, default=16_700)
    ap.add_argument("--ships", type=int, default=300)
    ap.add_argument("--crop", type=int, default=160, help="side of the crop the peer runs on")
    ap.add_argument("--method", default="two_parameter", help="Detector method: two_parameter, gamma or learned")
    ap.add_argument("--precision", default="float", help="learned: float or int8 (the quantized network)")
    a = ap.parse_args()
    from harborwatch.sar import Detector, detect, open_scene

    path = work_dir() / f"s1_iw_grd_{a.rows}x{a.cols}.tif"
    t0 = time.perf_counter()
    ships = make_scene(path, a.rows, a.cols, a.ships)
    print(f"scene {path.name}: {a.rows:,} x {a.cols:,} px uint16 ({path.stat().st_size / 1e9:.2f} GB), "
          f"{len(ships)} ships; ready in {time.perf_counter() - t0:.1f} s (not timed)")
    scene = open_scene(path)
    p = Detector(method=a.method, learned_precision=a.precision)
    from dataclasses import replace

    detect(replace(scene, shape=(512, 512)), p)  # numba compiles once (cached on disk after)
    t0 = time.perf_counter()
    det = detect(scene, p)
    ours = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    rows = det["row"].to_numpy()
    cols = det["col"].to_numpy()
    found = sum(bool(np.any((np.abs(rows - r) < 10) & (np.abs(cols - c) < 10))) for r, c in ships)
    print(f"harborwatch ({a.method}, {a.precision}): {ours:.1f} s on {os.cpu_count()} visible cores, "
          f"peak RSS {rss_gb:.2f} GB; {det.num_rows} detections, {found}/{len(ships)} ships found")
    ht, hg, hb = p.windows_px(scene.pixel_m)
    c0 = a.cols // 2  # open sea, away from the coast at the west edge
    crop = scene.read(0, a.crop, c0, c0 + a.crop)
    t0 = time.perf_counter()
    peer_cfar(crop, ht, hg, hb)
    t_crop = time.perf_counter() - t0
    scaled = t_crop * (a.rows * a.cols) / (a.crop * a.crop)
    print(f"peer (scipy.ndimage.generic_filter, same windows {2 * ht + 1}/{2 * hg + 1}/{2 * hb + 1} px): "
          f"{a.crop} x {a.crop} crop in {t_crop:.2f} s -> {scaled:,.0f} s for the scene (statistic only)")
    print(f"ratio={scaled / ours:.1f}")


if __name__ == "__main__":
    main()
