"""Optical images (RGB or more bands) for the counters and change tests of :mod:`harborwatch.sar`:
GeoTIFFs read whole with their georeference and the sun's position from their tags, or PNG / JPEG
colour images placed with a grid JSON, as radar quick-looks are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harborwatch.core.errors import InputFileError, require
from harborwatch.sar.scene import IMAGE_SUFFIXES, Scene, open_geotiff, open_image, read_grid


@dataclass(frozen=True)
class OpticalImage:
    """A multi-band image: its georeference (a :class:`~harborwatch.sar.scene.Scene` of band 1),
    all its bands as (bands, rows, cols) float32, and the sun's position from its tags."""

    scene: Scene
    bands: np.ndarray
    sun_azimuth_deg: float | None = None
    sun_elevation_deg: float | None = None


def open_optical(path: Path | str, grid: dict | Path | None = None, pixel_m: float | None = None) -> OpticalImage:
    """A GeoTIFF of two or more bands (RGB, or more), read whole; or a PNG / JPEG colour image,
    placed with ``grid`` (a grid JSON, as for radar quick-looks) and dated from its path."""
    path = Path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _open_plain(path, grid, pixel_m)
    rasterio = require("rasterio", "sat", "reading GeoTIFFs")
    scene = open_geotiff(path)
    with rasterio.open(path) as ds:
        if ds.count < 2:
            raise InputFileError(f"{path}: {ds.count} band; an optical image for counting has 2 or more",
                                 hint="radar scenes are counted with `harborwatch railcars --kind radar`")
        bands = ds.read().astype(np.float32)
        if ds.nodata is not None:
            bands[bands == ds.nodata] = np.nan
        tags = ds.tags()
    return OpticalImage(scene, bands, _tag_float(tags, "SUN_AZIMUTH"), _tag_float(tags, "SUN_ELEVATION"))


def _open_plain(path: Path, grid: dict | Path | None, pixel_m: float | None) -> OpticalImage:
    from PIL import Image

    scene = open_image(path, read_grid(grid) if isinstance(grid, (str, Path)) else grid, pixel_m)
    try:
        with Image.open(path) as im:
            bands = np.moveaxis(np.asarray(im.convert("RGB"), dtype=np.float32), 2, 0)
    except (OSError, ValueError) as e:
        raise InputFileError(f"{path}: cannot read the image ({e})") from e
    return OpticalImage(scene, bands)


def image_kind(path: Path | str) -> str:
    """``"optical"`` for a GeoTIFF of three or more bands (RGB, or more), else ``"radar"`` (also for
    PNG / JPEG, which are often colour-mapped radar quick-looks)."""
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        return "radar"  # plain colour images may be colour-mapped radar quick-looks: say --kind optical
    rasterio = require("rasterio", "sat", "reading GeoTIFFs")
    try:
        with rasterio.open(path) as ds:
            return "optical" if ds.count >= 3 else "radar"
    except rasterio.errors.RasterioIOError as e:
        raise InputFileError(f"{path}: cannot open ({e})") from e


def _tag_float(tags: dict, key: str) -> float | None:
    try:
        return float(tags[key]) if key in tags else None
    except ValueError:
        return None


__all__ = ["OpticalImage", "image_kind", "open_optical"]
