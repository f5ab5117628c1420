"""Ship detection in radar scenes: CFAR -> connected components -> learned false-alarm filter.

A scene is processed in tiles (``tile_px`` square cores, each read with a margin of half the
background window, so every pixel's statistic is the one a whole-scene pass would give);
components are kept by the tile that holds their centroid, so a ship on a tile edge is reported
once. Memory is bounded by the tile: about 60 bytes per pixel of a read window. Components
longer than ``max_length_m`` are dropped (and may differ between tilings: they are not ships).

Each detection: pixel box ``[col_min, row_min, col_max, row_max]`` (inclusive), intensity-
weighted centroid (row, col; lon / lat when georeferenced), area, length and width from the
minimum-area rectangle of the component's pixels (metres when the pixel size is known),
orientation of the long side (degrees clockwise from image up, 0-180), CFAR statistics, and
``score``: the false-alarm filter's probability that it is a ship (see
:mod:`harborwatch.sar.filter`), or, with the filter off, a logistic of the CFAR excess.

``Detector(method="learned")`` runs the packaged network instead of the CFAR
(:mod:`harborwatch.sar.learned`), tile by tile, each box kept by the tile holding its centre and
dropped when that lies on land; its boxes are axis-aligned, its score is the network's, and the
CFAR statistics are null.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

from harborwatch.core.ids import content_id
from harborwatch.sar.cfar import cfar_statistics, gamma_ratio_threshold, normalise
from harborwatch.sar.scene import Scene

#: One row per detection (units in the names; lon / lat WGS 84, null without georeference).
DETECTIONS = pa.schema([
    pa.field("image", pa.string(), False),
    pa.field("detection_id", pa.string(), False),
    pa.field("row", pa.float64(), False),
    pa.field("col", pa.float64(), False),
    pa.field("bbox_px", pa.list_(pa.int32(), 4), False),  # col_min, row_min, col_max, row_max
    pa.field("lon", pa.float64()),
    pa.field("lat", pa.float64()),
    pa.field("area_px", pa.int32(), False),
    pa.field("length_px", pa.float64(), False),
    pa.field("width_px", pa.float64(), False),
    pa.field("length_m", pa.float64()),
    pa.field("width_m", pa.float64()),
    pa.field("orientation_deg", pa.float64(), False),
    # the CFAR statistics: null for the learned detector
    pa.field("peak_z", pa.float64()),
    pa.field("mean_z", pa.float64()),
    pa.field("contrast_db", pa.float64()),
    pa.field("background_cv", pa.float64()),
    pa.field("score", pa.float64(), False),
    pa.field("time", pa.timestamp("ms", tz="UTC")),
])


@dataclass(frozen=True)
class Detector:
    """Detection parameters. Window sizes are full widths in metres, converted with the scene's
    pixel size (or ``assume_pixel_m`` for images that have none)."""

    method: str = "two_parameter"  # or "gamma" (CFAR), or "learned" (harborwatch.sar.learned)
    target_m: float = 20.0
    guard_m: float = 300.0
    background_m: float = 800.0
    k: float = 4.0  # two-parameter: z above which a pixel is a candidate
    pfa: float = 1e-7  # gamma: false-alarm probability per pixel
    looks: float = 4.4  # gamma: equivalent number of looks (Sentinel-1 IW GRD-H: 4.4)
    min_background_frac: float = 0.25
    min_pixels: int = 3
    max_length_m: float = 500.0
    join_m: float = 20.0  # candidate pixels this close belong to one object
    nodata_margin_m: float = 100.0  # pixels this close to no-data areas (image borders, masked land) are not used
    land_buffer_m: float = 200.0  # the packaged 1 km land mask, buffered by this much (< 0: no land mask)
    assume_pixel_m: float = 10.0
    tile_px: int = 2048
    learned_tile_px: int = 2048  # the learned detector's tiles, with 64 px of context each side (3,072: no faster)
    learned_precision: str = "float"  # or "int8": the quantized network, about 2.5x faster (README)
    use_filter: bool = True
    min_score: float = 0.5  # detections the filter scores below this are dropped
    split_side_by_side: bool = False  # split objects whose profile across them has dark valleys
    split_valley: float = 0.5  # a valley: a strip at most this fraction of the weaker peak beside it

    def windows_px(self, pixel_m: float) -> tuple[int, int, int]:
        ht = max(0, int(round(self.target_m / pixel_m / 2)))
        hg = max(ht + 1, int(round(self.guard_m / pixel_m / 2)))
        hb = max(hg + 2, int(round(self.background_m / pixel_m / 2)))
        return ht, hg, hb


def _rect(rows: np.ndarray, cols: np.ndarray) -> tuple[float, float, float]:
    """Length, width (pixels) and orientation (deg clockwise from up, 0-180) of the minimum-area
    rectangle around the pixels' squares."""
    import shapely

    if len(rows) == 1:
        return 1.0, 1.0, 0.0
    corners = np.concatenate([np.column_stack([cols + dc, rows + dr]) for dr in (0, 1) for dc in (0, 1)])
    rect = shapely.minimum_rotated_rectangle(shapely.multipoints(corners))
    xy = np.asarray(rect.exterior.coords)[:4] if rect.geom_type == "Polygon" else corners[:2]
    e1, e2 = xy[1] - xy[0], xy[2] - xy[1]
    l1, l2 = float(np.hypot(*e1)), float(np.hypot(*e2))
    long_edge = e1 if l1 >= l2 else e2
    ang = float(np.degrees(np.arctan2(long_edge[0], -long_edge[1]))) % 180.0  # x right, rows down
    return max(l1, l2, 1.0), max(min(l1, l2), 1.0), ang


def _components(cand, z, ratio, cv, inten, core, read, join_px, min_pixels, split_valley=None):
    """Component measurements of the candidate mask of one read window (kept when the
    centroid lies in the core); with ``split_valley``, components of ships moored side by side
    are split first (:func:`side_by_side`)."""
    from scipy.ndimage import binary_dilation, find_objects, label

    grown = binary_dilation(cand, iterations=join_px) if join_px > 0 else cand
    lab, _ = label(grown, structure=np.ones((3, 3), bool))
    lab = np.where(cand, lab, 0)
    out = []
    for k, sl in enumerate(find_objects(lab), 1):
        if sl is None:
            continue
        rr, cc = np.nonzero(lab[sl] == k)
        if len(rr) < min_pixels:
            continue
        rr = rr + sl[0].start
        cc = cc + sl[1].start
        parts = [np.arange(len(rr))] if split_valley is None else side_by_side(
            rr, cc, inten[rr, cc].astype(np.float64), split_valley)
        for idx in parts:
            if len(idx) >= min_pixels and (d := _measure(rr[idx], cc[idx], z, ratio, cv, inten, core, read)):
                out.append(d)
    return out


def _measure(rr, cc, z, ratio, cv, inten, core, read) -> dict | None:
    """One object's measurements from its pixels (window coordinates); None when its centroid
    lies outside the core."""
    r0, c0 = read[0], read[2]
    w = inten[rr, cc].astype(np.float64)
    w = w - w.min() + 1e-9 if w.sum() <= 0 else w
    rowc = float((rr * w).sum() / w.sum()) + 0.5 + r0
    colc = float((cc * w).sum() / w.sum()) + 0.5 + c0
    if not (core[0] <= rowc < core[1] and core[2] <= colc < core[3]):
        return None
    peak = int(np.argmax(z[rr, cc]))
    length, width, ang = _rect(rr.astype(np.float64), cc.astype(np.float64))
    rp = ratio[rr[peak], cc[peak]]
    return {"row": rowc, "col": colc,
            "bbox_px": [int(cc.min() + c0), int(rr.min() + r0), int(cc.max() + c0), int(rr.max() + r0)],
            "area_px": len(rr), "length_px": length, "width_px": width, "orientation_deg": ang,
            "peak_z": float(z[rr, cc].max()), "mean_z": float(z[rr, cc].mean()),
            "contrast_db": float(10 * np.log10(max(float(rp), 1e-6))),
            "background_cv": float(cv[rr[peak], cc[peak]])}


def side_by_side(rr: np.ndarray, cc: np.ndarray, w: np.ndarray, valley: float) -> list[np.ndarray]:
    """Indices of the pixels of each ship in one object, split where ships lie side by side.

    The pixels' intensities are summed in strips one pixel wide along the object's long axis
    (from the minimum-area rectangle; a raft of up to three hulls is still longer than wide).
    Ships moored side by side give one peak per hull with a dark strip between them (water,
    fenders); one hull gives a plateau. The object is cut at the deepest interior strip whose
    sum is at most ``valley`` times the smaller of the highest strips on either side (that
    strip belongs to neither part), and each part is split again the same way. Strips across
    the long axis would be short, so speckle alone would make valleys there: they are not used."""
    if len(rr) < 4:
        return [np.arange(len(rr))]
    _, width, ang = _rect(rr.astype(np.float64), cc.astype(np.float64))
    if width < 3:
        return [np.arange(len(rr))]
    t = np.radians(ang)
    across = (cc + 0.5) * np.cos(t) + (rr + 0.5) * np.sin(t)
    strip = np.floor(across - across.min()).astype(np.int64)
    prof = np.bincount(strip, weights=w)
    best, cut = valley, -1
    for i in range(1, len(prof) - 1):
        side = min(prof[:i].max(), prof[i + 1:].max())
        if side > 0 and prof[i] / side <= best:
            best, cut = prof[i] / side, i
    if cut < 0:
        return [np.arange(len(rr))]
    out = []
    for sel in (np.flatnonzero(strip < cut), np.flatnonzero(strip > cut)):
        if len(sel):
            out += [sel[i] for i in side_by_side(rr[sel], cc[sel], w[sel], valley)]
    return out


def learned_candidates(scene: Scene, p: Detector = Detector(), user_mask=None, progress=None,
                       water=None) -> list[dict]:
    """The learned detector's boxes (:mod:`harborwatch.sar.learned`) over the scene's tiles, each
    kept by the tile holding its centre, without those whose centre is on (buffered) land. A
    worker thread reads the next tile, masks its land and scales it while the network runs on
    this one (onnxruntime and numpy release the GIL)."""
    from harborwatch.ingest.prefetch import prefetch
    from harborwatch.sar.learned import LearnedDetector, decode, prepare, run_network
    from harborwatch.sar.masks import land_mask

    net = LearnedDetector(precision=p.learned_precision)
    margin = 64  # pixels of context around a tile's core (the network's view is about 60 px)
    tiles = list(scene.tiles(p.learned_tile_px, margin))

    def tile_input(t: tuple) -> tuple:
        read = t[1]
        a = scene.read(*read)
        land = (land_mask(scene, read, p.land_buffer_m, user_mask, water=water)
                if scene.georeferenced and p.land_buffer_m >= 0 else None)
        return prepare(a), a.shape[:2], land

    out: list[dict] = []
    for i, ((core, read), (x, shape, land)) in enumerate(prefetch(tiles, tile_input, depth=1)):
        inner = (slice(core[0] - read[0], core[1] - read[0]), slice(core[2] - read[2], core[3] - read[2]))
        if land is not None and land[inner].all():  # nothing on this tile's core can be kept
            if progress:
                progress(i + 1, len(tiles))
            continue
        for d in decode(*run_network(x, net.model), net, shape):
            r, c = d["row"] + read[0], d["col"] + read[2]
            if not (core[0] <= r < core[1] and core[2] <= c < core[3]):
                continue
            if land is not None and land[min(int(d["row"]), land.shape[0] - 1), min(int(d["col"]), land.shape[1] - 1)]:
                continue
            b = d["bbox_px"]
            bbox = [b[0] + read[2], b[1] + read[0], b[2] + read[2], b[3] + read[0]]
            out.append({"row": r, "col": c, "bbox_px": bbox,
                        "area_px": int((bbox[2] - bbox[0] + 1) * (bbox[3] - bbox[1] + 1)),
                        "length_px": d["length_px"], "width_px": d["width_px"],
                        "orientation_deg": 0.0 if bbox[3] - bbox[1] >= bbox[2] - bbox[0] else 90.0,
                        "peak_z": None, "mean_z": None, "contrast_db": None, "background_cv": None,
                        "score": d["score"]})
        if progress:
            progress(i + 1, len(tiles))
    return _suppress(out) if len(tiles) > 1 else out


def _suppress(dets: list[dict], cell_px: int = 64) -> list[dict]:
    """Best first, without the boxes whose centre lies in a better box: the same ship seen by two
    tiles (each with its own context) is one detection. Kept boxes are looked up by grid cell."""
    kept: list[dict] = []
    grid: dict[tuple[int, int], list[dict]] = {}
    for d in sorted(dets, key=lambda d: -d["score"]):
        gr, gc = int(d["row"] // cell_px), int(d["col"] // cell_px)
        near = [k for dr in (-2, -1, 0, 1, 2) for dc in (-2, -1, 0, 1, 2) for k in grid.get((gr + dr, gc + dc), [])]
        if any(k["bbox_px"][0] <= d["col"] <= k["bbox_px"][2] + 1 and k["bbox_px"][1] <= d["row"] <= k["bbox_px"][3] + 1
               for k in near):
            continue
        kept.append(d)
        grid.setdefault((gr, gc), []).append(d)
    return kept


def candidates(scene: Scene, p: Detector = Detector(), user_mask=None, progress=None, water=None) -> list[dict]:
    """CFAR candidates of a scene, before the false-alarm filter (see the module docstring)."""
    from harborwatch.sar.masks import land_mask

    if p.method not in ("two_parameter", "gamma"):
        from harborwatch.core.errors import DataError

        raise DataError(f"unknown CFAR method {p.method!r}", hint="two_parameter, gamma or learned")
    px = scene.pixel_m or p.assume_pixel_m
    ht, hg, hb = p.windows_px(px)
    ring = (2 * hb + 1) ** 2 - (2 * hg + 1) ** 2
    min_bg = max(1.0, p.min_background_frac * ring)
    join_px = int(round(p.join_m / px))
    nodata_px = int(np.ceil(p.nodata_margin_m / px))
    thr_ratio = gamma_ratio_threshold(p.pfa, p.looks, (2 * ht + 1) ** 2) if p.method == "gamma" else None
    out: list[dict] = []
    # a kept component's pixels lie within half a maximum ship length (+ the join distance) of
    # its centroid in the core, and each of them needs its whole background window read
    margin = hb + join_px + int(np.ceil(p.max_length_m / px / 2)) + 2
    tiles = list(scene.tiles(p.tile_px, margin))
    for i, (core, read) in enumerate(tiles):
        a = scene.read(*read)
        valid = np.isfinite(a) & (a > 0)
        if nodata_px and not valid.all():
            # no-data areas (at least 5 x 5 px: not a dark pixel of an 8-bit image) and a margin
            from scipy.ndimage import binary_dilation, binary_opening

            big = binary_opening(~valid, structure=np.ones((5, 5), bool))
            if big.any():
                valid &= ~binary_dilation(big, iterations=nodata_px)
        if scene.georeferenced and (p.land_buffer_m >= 0):
            valid &= ~land_mask(scene, read, p.land_buffer_m, user_mask, water=water)
        if valid.any():
            x, _ = normalise(a, valid)
            z, ratio, cv = cfar_statistics(x, valid, ht, hg, hb, min_bg)
            cand = (ratio > thr_ratio) if thr_ratio is not None else (z > p.k)
            cand &= valid
            if cand.any():
                out += _components(cand, z, ratio, cv, x, core, read, join_px, p.min_pixels,
                                   p.split_valley if p.split_side_by_side else None)
        if progress:
            progress(i + 1, len(tiles))
    max_len_px = p.max_length_m / px
    return [d for d in out if d["length_px"] <= max_len_px]


def detect(scene: Scene, p: Detector = Detector(), user_mask=None, progress=None, water=None) -> pa.Table:
    """Detections of one scene as a :data:`DETECTIONS` table (see the module docstring).
    ``user_mask`` / ``water``: shapely geometries (lon / lat) masked / forced to water."""
    from harborwatch.sar.filter import FalseAlarmFilter

    if p.method == "learned":
        cands = learned_candidates(scene, p, user_mask, progress, water)
        keep = [(c, c.pop("score")) for c in cands]
    else:
        cands = candidates(scene, p, user_mask, progress, water)
        if p.use_filter and cands:
            scores = FalseAlarmFilter.packaged().predict(cands)
        else:
            scores = [float(1 / (1 + np.exp(-(c["peak_z"] - p.k)))) for c in cands]
        keep = [(c, s) for c, s in zip(cands, scores, strict=True) if not p.use_filter or s >= p.min_score]
    px = scene.pixel_m
    rows = []
    lon = lat = None
    if keep and scene.georeferenced:
        lon, lat = scene.lonlat([c["row"] for c, _ in keep], [c["col"] for c, _ in keep])
    params = repr(sorted(asdict(p).items()))
    for k, (c, s) in enumerate(keep):
        did = content_id(scene.name, f"{c['row']:.2f}", f"{c['col']:.2f}", params, digits=24)
        rows.append({**c, "image": scene.name, "detection_id": did, "score": round(float(s), 4),
                     "lon": None if lon is None else float(lon[k]), "lat": None if lat is None else float(lat[k]),
                     "length_m": None if px is None else c["length_px"] * px,
                     "width_m": None if px is None else c["width_px"] * px, "time": scene.time})
    rows.sort(key=lambda r: (r["row"], r["col"]))
    return pa.Table.from_pylist(rows, schema=DETECTIONS)


__all__ = ["DETECTIONS", "Detector", "candidates", "detect", "learned_candidates", "side_by_side"]
