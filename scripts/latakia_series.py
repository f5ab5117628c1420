"""Weekly vessel counts of Latakia port from the 328 real Sentinel-1 crops, beside the counts of
the pipeline that published them.

    python scripts/latakia_series.py [--data ../shared/data/sar/latakia_s1] [--out docs/latakia]

Detection: ``harborwatch.sar.detect`` on every ``raw_s1/<scene>/vv_original.jpg``, placed with
``config/fixed_grid.json`` (the crops are that grid shrunk to 842 x 1200 px, about 11.4 m). The
crops are colour-mapped dB quick-looks; ``--grey-db`` (default 0.5 dB per grey level: the sea's
speckle spread, about 4.4 grey levels, is the 2.2 dB of 4.4-look intensity) turns them back into
power. The port basin and anchorage polygons of ``config/zones.geojson`` (UTM 36N) are the
zones, and the basin is water for the land mask (the 1 km mask calls it land). Detections that
recur at one place in 40 % of the scenes are fixed structures and are left out
(``harborwatch.sar.series.fixed_structures``).

Comparison: ``detections/port_activity_dataset.csv`` (per scene ``vessel_count_in_port`` and
``vessel_count_anchorage``: the other pipeline's model output, not truth), averaged per week the
same way. Writes ``<out>.csv`` (both weekly series), ``<out>_scenes.csv`` and ``<out>.png``;
prints the correlation and mean difference per zone.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np


def main() -> None:
    shared = Path(os.environ.get("HARBORWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=shared / "data" / "sar" / "latakia_s1")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "latakia")
    ap.add_argument("--grey-db", type=float, default=0.5)
    ap.add_argument("--limit", type=int, default=0, help="only the first N scenes (0: all)")
    a = ap.parse_args()
    import pyarrow as pa

    from harborwatch.sar import Detector, detect, open_scene
    from harborwatch.sar.masks import read_polygons
    from harborwatch.sar.scene import read_grid
    from harborwatch.sar.series import fixed_structures, scene_counts, weekly

    grid = read_grid(a.data / "config" / "fixed_grid.json")
    crs = f"EPSG:{grid['epsg']}"
    zfile = a.data / "config" / "zones.geojson"
    zones = {name: read_polygons(zfile, crs, where={"role": role})
             for name, role in (("port", "zone_port"), ("anchorage", "zone_anchor"))}
    water = zones["port"]  # the basin only: the anchorage polygon reaches onto the beach
    files = sorted((a.data / "raw_s1").glob("*/vv_original.jpg"))
    if a.limit:
        files = files[:a.limit]
    p = Detector()
    tables, infos = [], []
    for k, f in enumerate(files):
        sc = open_scene(f, grid=grid, grey_db=a.grey_db)
        infos.append(sc.info())
        tables.append(detect(sc, p, water=water))
        if (k + 1) % 50 == 0:
            print(f"  {k + 1}/{len(files)} scenes")
    det = pa.concat_tables(tables)
    fixed = fixed_structures(det)
    print(f"{int(fixed.sum())} of {det.num_rows} detections recur at fixed places (structures): left out")
    det = det.filter(pa.array(~fixed))
    ours = scene_counts(det, infos, zones)
    theirs = []
    with (a.data / "detections" / "port_activity_dataset.csv").open() as fh:
        for r in csv.DictReader(fh):
            theirs.append({"image": r["scene_id"], "time": f"{r['acquisition_date']}T{r['acquisition_time']}+00:00",
                           "port": int(r["vessel_count_in_port"]), "anchorage": int(r["vessel_count_anchorage"]),
                           "total": int(r["vessel_count"])})
    names = {r["image"] for r in ours}
    theirs = [r for r in theirs if r["image"] in names]
    wo = {r["week"]: r for r in weekly(ours, ["port", "anchorage", "total"])}
    wt = {r["week"]: r for r in weekly(theirs, ["port", "anchorage", "total"])}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with a.out.with_name(a.out.name + "_scenes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", "time", "port", "anchorage", "total"])
        for r in ours:
            w.writerow([r["image"], r["time"], r["port"], r["anchorage"], r["total"]])
    weeks = sorted(set(wo) | set(wt))
    with a.out.with_suffix(".csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["week", "scenes", "port", "anchorage", "their_scenes", "their_port", "their_anchorage"])
        for wk in weeks:
            o, h = wo.get(wk, {}), wt.get(wk, {})
            w.writerow([wk, o.get("scenes", 0), o.get("port", ""), o.get("anchorage", ""), h.get("scenes", 0),
                        h.get("port", ""), h.get("anchorage", "")])
    both = [wk for wk in weeks if wk in wo and wk in wt]
    print(f"{len(files)} scenes, {det.num_rows} detections; {len(weeks)} weeks ({len(both)} with both series)")
    for z in ("port", "anchorage"):
        x = np.array([wo[k][z] for k in both])
        y = np.array([wt[k][z] for k in both])
        r = float(np.corrcoef(x, y)[0, 1]) if len(both) > 2 and x.std() and y.std() else float("nan")
        print(f"  {z}: harborwatch mean {x.mean():.2f} per scene, theirs {y.mean():.2f}; weekly correlation "
              f"{r:.2f}; mean difference {np.mean(x - y):+.2f}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num

    fig, axes = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    for ax, z in zip(axes, ("port", "anchorage"), strict=True):
        for src, lab, col in ((wo, "harborwatch", "#1f77b4"), (wt, "the Latakia pipeline's counts", "#ff7f0e")):
            ks = sorted(src)
            ax.plot([date2num(np.datetime64(k)) for k in ks], [src[k][z] for k in ks], lw=1, color=col, label=lab)
        ax.set_ylabel(f"vessels in {z}\n(weekly mean)")
        ax.xaxis_date()
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[0].set_title("Latakia port, Sentinel-1 VV crops 2022-2026: vessels per scene, weekly mean")
    fig.tight_layout()
    fig.savefig(a.out.with_suffix(".png"), dpi=110)


if __name__ == "__main__":
    main()
