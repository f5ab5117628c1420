"""New structures at Latakia port, 2022-2026, from the real Sentinel-1 crops of one track.

    python scripts/latakia_structures.py [--data ../shared/data/sar/latakia_s1] [--out docs/latakia_structures]

Takes the crops (``raw_s1/<scene>/vv_original.jpg``) of one ascending track (acquisitions
within two minutes of the most common time of day: one viewing geometry, so that a change is a
change on the ground and not of incidence), places them on ``config/fixed_grid.json``, turns
the colour-mapped dB quick-looks back into power (``--grey-db``, as ``latakia_series.py``), divides
each by its median (the quick-looks' grey scale is not the same from scene to scene) and runs
``harborwatch.sar.structures.find_structures``. The quick-looks are JPEG-compressed and their
speckle statistics are not those of a GRD product, so ``--looks`` is a rough assumption (4.4: the
sea's spread of about 4.4 grey levels). Writes ``<out>.geojson`` and ``<out>.png`` (the mean
image of the stack in dB with each structure outlined and labelled with the date first seen) and
prints the structures. There is no ground truth for Latakia: this shows what the method finds on
real data, to be checked against optical imagery (``raw_s2_rgb``).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
from pathlib import Path

import numpy as np


def _track(files: list[Path], minutes: int = 2) -> list[Path]:
    """The files acquired within ``minutes`` of the most common time of day (HHMM in the name)."""
    def hhmm(f: Path) -> int:
        t = f.parent.name.split("_")[4][9:13]
        return int(t[:2]) * 60 + int(t[2:])

    mode = collections.Counter(hhmm(f) for f in files).most_common(1)[0][0]
    return [f for f in files if abs(hhmm(f) - mode) <= minutes]


def main() -> None:
    shared = Path(os.environ.get("HARBORWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=shared / "data" / "sar" / "latakia_s1")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "latakia_structures")
    ap.add_argument("--grey-db", type=float, default=0.5)
    ap.add_argument("--looks", type=float, default=4.4)
    ap.add_argument("--multilook", type=int, default=3)
    ap.add_argument("--no-normalize", action="store_true", help="keep each quick-look's own grey scale")
    a = ap.parse_args()

    from harborwatch.sar.scene import open_scene, read_grid
    from harborwatch.sar.structures import Structures, find_structures, multilook, stack

    grid = read_grid(a.data / "config" / "fixed_grid.json")
    files = _track(sorted((a.data / "raw_s1").glob("*/vv_original.jpg")))
    scenes = [open_scene(f, grid=grid, grey_db=a.grey_db) for f in files]
    p = Structures(looks=a.looks, multilook=a.multilook, normalize=not a.no_normalize)
    g = find_structures(scenes, p)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".geojson").write_text(json.dumps(g, indent=1) + "\n")
    print(f"{len(scenes)} scenes of one track, {scenes[0].time.date()} .. {scenes[-1].time.date()}: "
          f"{len(g['features'])} new structures")
    for f in g["features"]:
        q = f["properties"]
        print(f"  {q['id']}: first seen {q['first_seen']} (not on {q['last_before']}), {q['area_m2']:,.0f} m2, "
              f"+{q['brightening_db']} dB")
    _figure(scenes, g, multilook(stack(scenes)[0], a.multilook), a.multilook, a.out.with_suffix(".png"))


def _figure(scenes: list, g: dict, x: np.ndarray, m: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pyproj import Transformer

    ref = sorted(scenes, key=lambda s: s.time)[0]
    gt = ref.geotransform
    to_px = Transformer.from_crs("EPSG:4326", ref.crs, always_xy=True)
    fig, ax = plt.subplots(figsize=(7, 9))
    ax.imshow(10 * np.log10(np.maximum(x.mean(axis=0), 1e-6)), cmap="gray",
              extent=(0, x.shape[2] * m, x.shape[1] * m, 0))
    for f in g["features"]:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            ring = np.array(poly[0])
            ex, ey = to_px.transform(ring[:, 0], ring[:, 1])
            cols, rows = (np.asarray(ex) - gt[0]) / gt[1], (np.asarray(ey) - gt[3]) / gt[5]
            ax.plot(cols, rows, color="#ff7f0e", linewidth=1.2)
        ax.annotate(f["properties"]["first_seen"][:7], (cols.mean(), rows.min()), color="#ff7f0e", fontsize=7,
                    ha="center", va="bottom")
    ax.set_title(f"Latakia: new structures in {len(scenes)} Sentinel-1 scenes of one track\n"
                 "(mean backscatter, dB; outlines labelled with the month first seen)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    main()
