"""A high-resolution radar chip of Rajin's quay with ships moored side by side (SIMULATED).

Ports raft ships: a second (and third) hull moors against the first, fenders between them, when
berths are short. In a radar image the hulls of a raft are bright rectangles a few metres apart,
and a detector that joins nearby bright pixels into one object counts the raft as one ship.

:func:`quay_chip` renders the basin in front of Rajin's quay as a spotlight-like chip (``pixel_m``,
default 3 m, on UTM 52N around the scenario's Rajin point): ``berths`` berths 450 m apart along a
quay line just north of the chip, each holding a raft of 1-3 hulls parallel to the quay (lengths
60-180 m, beams about length / 6.5, 2-4 m apart: the diameter of the pneumatic fenders between
rafted hulls), drawn as the scenario's scenes draw ships (sigma0 0.15 + 0.35 * length / 100 m,
sub-pixel coverage) on water of sigma0 0.02, with Gamma speckle of 3 looks. The layout comes
from ``seed``. Truth: one row per hull (pixel row / col of its centre, length, beam, berth, raft
size; :func:`harborwatch.evaluation.radar.hulls_found` scores detections against it). The quay
itself (concrete, brighter than ships) lies outside the chip: this is a test of splitting rafts,
not of telling ships from quays. Berths are farther apart than at a real quay:
at 230 m the CFAR's background window holds the neighbouring rafts and misses hulls whatever the
splitting (see README).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from harborwatch.scenario.radar import _grid, _ship_cover, _write_scene

#: Metres between the quay line and the chip's top edge, and between berths along the quay.
QUAY_OFFSET_M = 30.0
BERTH_SPACING_M = 450.0


def quay_chip(out_dir: Path, seed: int = 2023, pixel_m: float = 3.0, berths: int = 6) -> dict[str, Path]:
    """Render one chip; returns the paths of ``scene`` (a GeoTIFF) and ``truth`` (Parquet)."""
    rng = np.random.default_rng(seed)
    size_km = (berths * BERTH_SPACING_M + 300.0) / 1000.0
    gt, n = _grid(size_km, pixel_m)
    ships = []
    for b in range(berths):
        x = -size_km * 500.0 + 150.0 + (b + 0.5) * BERTH_SPACING_M  # metres east of the chip's centre
        y = size_km * 500.0 - QUAY_OFFSET_M  # the raft's first side, against the quay's fenders
        raft = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        for k in range(raft):
            length = float(rng.uniform(60.0, 180.0))
            beam = length / float(rng.uniform(5.5, 7.5))
            y -= (float(rng.uniform(2.0, 4.0)) if k else 0.0) + beam / 2
            ships.append({"seed": seed, "berth": b, "raft_size": raft, "raft_position": k, "length_m": length,
                          "beam_m": beam, "row": (size_km * 500.0 - y) / pixel_m,
                          "col": (x + size_km * 500.0) / pixel_m, "pixel_m": pixel_m, "simulated": True})
            y -= beam / 2
    mean = np.full((n, n), 0.02)
    for s in ships:
        half = int(s["length_m"] / pixel_m / 2) + 3
        r0, r1 = max(int(s["row"]) - half, 0), min(int(s["row"]) + half + 1, n)
        c0, c1 = max(int(s["col"]) - half, 0), min(int(s["col"]) + half + 1, n)
        cov = _ship_cover((s["row"], s["col"]), np.arange(r0, r1, dtype=float), np.arange(c0, c1, dtype=float),
                          s["length_m"] / pixel_m, s["beam_m"] / pixel_m, 90.0)
        bright = 0.15 + 0.35 * s["length_m"] / 100.0
        mean[r0:r1, c0:c1] = mean[r0:r1, c0:c1] * (1 - cov) + bright * cov
    out_dir.mkdir(parents=True, exist_ok=True)
    scene = out_dir / f"rajin-quay-{seed}.tif"
    _write_scene(scene, mean * rng.gamma(3.0, 1 / 3.0, (n, n)), gt,
                 {"time": datetime(2023, 8, 1, tzinfo=UTC), "scene_id": f"rajin-quay-{seed}"})
    truth = out_dir / f"rajin-quay-{seed}.parquet"
    pq.write_table(pa.Table.from_pylist(ships), truth)
    return {"scene": scene, "truth": truth}


__all__ = ["quay_chip"]
