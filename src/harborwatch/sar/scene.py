"""Radar scenes: one interface over GeoTIFFs, Sentinel-1 SAFE products, plain images and images
on a known grid, read window by window so that a full scene never has to sit in memory.

A :class:`Scene` has ``shape`` (rows, cols), ``read(r0, r1, c0, c1)`` returning **intensity**
(linear power, float32: DN² for Sentinel-1 amplitude GRD, sigma0 for a calibrated SAFE, the
grey level for display images, whose scale is unknown), ``pixel_m`` (ground pixel size in
metres, None when unknown) and, when georeferenced, ``lonlat(rows, cols)`` for pixel centres
(WGS 84 degrees).

Georeference comes from, in order: a GeoTIFF's affine transform and CRS; a GeoTIFF's or a SAFE
annotation's GCP grid (interpolated linearly in (row, col)); a grid JSON (``epsg``, ``transform``
in GDAL order ``[x0, dx, 0, y0, 0, -dy]``, ``width``, ``height``; an image of another size on the
same extent is rescaled, as the Latakia crops are).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from harborwatch.core.errors import DataError, FormatError, InputFileError, require

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
#: The most pixels a PNG / JPEG may declare: it is read whole into memory as float32 (a full
#: Sentinel-1 IW quick-look is far smaller). ``HARBORWATCH_MAX_IMAGE_PIXELS`` changes it.
MAX_IMAGE_PIXELS = int(os.environ.get("HARBORWATCH_MAX_IMAGE_PIXELS", "200000000"))
#: The most pixels a GeoTIFF / SAFE band may declare (read by windows; a full IW GRD band is
#: about 0.45 G pixels). ``HARBORWATCH_MAX_SCENE_PIXELS`` changes it.
MAX_SCENE_PIXELS = int(os.environ.get("HARBORWATCH_MAX_SCENE_PIXELS", "2000000000"))


def _check_pixels(path: Path, width: int, height: int, limit: int, env: str) -> None:
    """Refuse an image whose header declares more pixels than ``limit`` (a decompression bomb
    or a corrupt header), before anything is read."""
    if width * height > limit:
        raise InputFileError(f"{path}: the header declares {width:,} x {height:,} pixels, more than the "
                             f"{limit:,} harborwatch reads", hint=f"set {env} to read larger images")
TIFF_SUFFIXES = {".tif", ".tiff"}


@dataclass(frozen=True)
class Scene:
    """One radar image (see the module docstring for units and georeference)."""

    name: str
    shape: tuple[int, int]
    reader: Callable[[int, int, int, int], np.ndarray] = field(repr=False)
    pixel_m: float | None = None
    units: str = "grey"  # "dn2" (Sentinel-1 amplitude squared), "sigma0", "linear", "grey"
    time: datetime | None = None
    crs: str | None = None  # e.g. "EPSG:32636"
    geotransform: tuple[float, ...] | None = None  # GDAL order
    gcps: np.ndarray | None = field(default=None, repr=False)  # (n, 4): row, col, lon, lat
    source: str = ""

    def read(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Intensity of rows [r0, r1) and columns [c0, c1) as float32."""
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, self.shape[0]), min(c1, self.shape[1])
        return self.reader(r0, r1, c0, c1)

    @property
    def georeferenced(self) -> bool:
        return self.geotransform is not None or (self.gcps is not None and len(self.gcps) >= 3)

    def lonlat(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 longitude and latitude of pixel positions (fractional rows / cols allowed;
        the centre of pixel (r, c) is (r + 0.5, c + 0.5))."""
        rows = np.asarray(rows, dtype=np.float64)
        cols = np.asarray(cols, dtype=np.float64)
        if self.geotransform is not None:
            g = self.geotransform
            x = g[0] + cols * g[1] + rows * g[2]
            y = g[3] + cols * g[4] + rows * g[5]
            if self.crs in (None, "EPSG:4326"):
                return x, y
            from pyproj import Transformer

            t = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            lon, lat = t.transform(x, y)
            return np.asarray(lon), np.asarray(lat)
        if self.gcps is not None and len(self.gcps) >= 3:
            from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator

            pts = self.gcps[:, :2]
            out = []
            for k in (2, 3):
                lin = LinearNDInterpolator(pts, self.gcps[:, k])(rows, cols)
                near = NearestNDInterpolator(pts, self.gcps[:, k])(rows, cols)
                out.append(np.where(np.isnan(lin), near, lin))
            return out[0], out[1]
        raise DataError(f"{self.name}: the image has no georeference", source=self.source,
                        hint="give its grid with --grid FILE.json, or use a GeoTIFF / SAFE product")

    def info(self) -> dict:
        """What fusion needs to know of the scene: name, source, time, pixel size, shape and, when
        georeferenced, its footprint (lon / lat ring along the image edges)."""
        d: dict[str, Any] = {
            "image": self.name, "source": self.source, "time": self.time.isoformat() if self.time else None,
            "pixel_m": self.pixel_m, "shape": list(self.shape), "footprint": None}
        if self.georeferenced:
            h, w = self.shape
            k = np.linspace(0.0, 1.0, 9)
            rows = np.concatenate([0 * k, k * h, 0 * k + h, (1 - k) * h])
            cols = np.concatenate([k * w, 0 * k + w, (1 - k) * w, 0 * k])
            lon, lat = self.lonlat(rows, cols)
            d["footprint"] = [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
        return d

    def tiles(self, size: int, margin: int):
        """(core window, read window) pairs covering the scene: cores of ``size`` pixels, each
        read with ``margin`` extra pixels on every side (clipped at the edges)."""
        rows, cols = self.shape
        for r0 in range(0, rows, size):
            for c0 in range(0, cols, size):
                core = (r0, min(r0 + size, rows), c0, min(c0 + size, cols))
                read = (max(r0 - margin, 0), min(r0 + size + margin, rows), max(c0 - margin, 0),
                        min(c0 + size + margin, cols))
                yield core, read


def _array_scene(name: str, a: np.ndarray, **kw) -> Scene:
    a = np.ascontiguousarray(a, dtype=np.float32)
    return Scene(name=name, shape=a.shape, reader=lambda r0, r1, c0, c1: a[r0:r1, c0:c1], **kw)


def from_array(a: np.ndarray, name: str = "array", **kw) -> Scene:
    """A scene over an in-memory 2-D intensity array."""
    if a.ndim != 2:
        raise DataError(f"{name}: expected a 2-D array, got shape {a.shape}")
    return _array_scene(name, a, **kw)


def read_grid(path: Path) -> dict:
    """A grid JSON (``epsg``, ``transform`` GDAL order, ``width``, ``height``)."""
    try:
        g = json.loads(Path(path).read_text())
        g["transform"] = [float(x) for x in g["transform"]]
        int(g["epsg"]), int(g["width"]), int(g["height"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise FormatError(f"not a grid JSON ({e})", source=str(path),
                          hint='expected {"epsg": 32636, "transform": [x0, dx, 0, y0, 0, -dy], "width": W, '
                               '"height": H}') from e
    return g


def _time_from_name(name: str) -> datetime | None:
    m = re.search(r"(\d{8}T\d{6})", name)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def open_image(path: Path, grid: dict | None = None, pixel_m: float | None = None,
               grey_db: float | None = None) -> Scene:
    """A PNG / JPEG (grey levels; colour images, such as colour-mapped quick-looks, become the mean
    of their channels, which keeps a monotone colour map monotone), optionally on a grid."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            _check_pixels(path, im.width, im.height, MAX_IMAGE_PIXELS, "HARBORWATCH_MAX_IMAGE_PIXELS")
            rgb = np.asarray(im.convert("RGB") if im.mode not in ("L", "I", "F", "I;16") else im, dtype=np.float32)
            a = rgb.mean(axis=2) if rgb.ndim == 3 else rgb
    except Image.DecompressionBombError as e:  # PIL's own guard, for limits above ours
        raise InputFileError(f"{path}: {e}", hint="set HARBORWATCH_MAX_IMAGE_PIXELS to read larger images") from e
    except (OSError, ValueError, SyntaxError) as e:  # PIL raises these on broken files
        raise InputFileError(f"{path}: cannot read the image ({e})") from e
    units = "grey"
    if grey_db:  # a dB-scaled quick-look: back to (relative) linear power; 0 stays no-data
        a = np.where(a > 0, 10.0 ** ((a - a.max()) * grey_db / 10.0), 0.0).astype(np.float32)
        units = "linear"
    kw: dict = {"pixel_m": pixel_m, "units": units, "time": _time_from_name(str(path)), "source": str(path)}
    if grid is not None:
        t = grid["transform"]
        sy, sx = grid["height"] / a.shape[0], grid["width"] / a.shape[1]
        if abs(sx - sy) > 0.01 * max(sx, sy):
            raise DataError(f"{path}: image {a.shape[1]}x{a.shape[0]} does not have the grid's aspect "
                            f"({grid['width']}x{grid['height']})", source=str(path))
        gt = (t[0], t[1] * sx, t[2] * sy, t[3], t[4] * sx, t[5] * sy)
        kw.update(geotransform=gt, crs=f"EPSG:{int(grid['epsg'])}", pixel_m=abs(gt[1]))
    name = path.parent.name if path.stem in ("vv_original", "vv", "image", "rgb") else path.stem
    return _array_scene(name, a, **kw)


def _pixel_m_from_transform(ds) -> float | None:
    t = ds.transform
    if ds.crs is None or t.is_identity:
        return None
    if ds.crs.is_projected:
        return float(abs(t.a))
    lat = t.f + t.e * ds.height / 2
    return float(abs(t.a) * 111_320 * np.cos(np.radians(lat)))


def open_geotiff(path: Path, band: int = 1) -> Scene:
    """A GeoTIFF through rasterio, read by windows. Integer data is taken as amplitude
    (intensity = DN²), floating-point data as linear intensity."""
    rasterio = require("rasterio", "sat", "reading GeoTIFFs")
    Window = require("rasterio.windows", "sat", "reading GeoTIFFs").Window
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as e:
        raise InputFileError(f"{path}: cannot open ({e})") from e
    _check_pixels(path, ds.width, ds.height, MAX_SCENE_PIXELS, "HARBORWATCH_MAX_SCENE_PIXELS")
    is_int = np.issubdtype(np.dtype(ds.dtypes[band - 1]), np.integer)
    nodata = ds.nodata

    def reader(r0, r1, c0, c1):
        a = ds.read(band, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float32)
        if nodata is not None:
            a[a == nodata] = np.nan
        return a * a if is_int else a

    gt = None
    crs = None
    gcps = None
    if ds.crs is not None and not ds.transform.is_identity:
        t = ds.transform
        gt = (t.c, t.a, t.b, t.f, t.d, t.e)
        crs = ds.crs.to_string()
    else:
        g, _gcrs = ds.gcps
        if g:
            gcps = np.array([[p.row, p.col, p.x, p.y] for p in g], dtype=np.float64)
    when = _time_from_name(path.name)
    tags = ds.tags()
    if when is None and tags.get("TIFFTAG_DATETIME"):
        try:
            when = datetime.strptime(tags["TIFFTAG_DATETIME"], "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            when = None
    return Scene(name=path.stem, shape=(ds.height, ds.width), reader=reader, pixel_m=_pixel_m_from_transform(ds),
                 units="dn2" if is_int else "linear", time=when, crs=crs, geotransform=gt, gcps=gcps,
                 source=str(path))


# --- Sentinel-1 SAFE ------------------------------------------------------------------------------

class _Safe:
    """Files of a SAFE product, in a folder or a zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.suffix.lower() == ".zip" else None
        names = self.zip.namelist() if self.zip else [str(p.relative_to(path)) for p in path.rglob("*")]
        self.names = [n.replace("\\", "/") for n in names]

    def find(self, pattern: str) -> list[str]:
        rx = re.compile(pattern, re.I)
        return sorted(n for n in self.names if rx.search(n))

    def text(self, name: str) -> str:
        if self.zip:
            return self.zip.read(name).decode("utf-8")
        return (self.path / name).read_text()

    def gdal_path(self, name: str) -> str:
        return f"/vsizip/{self.path}/{name}" if self.zip else str(self.path / name)


def _xml(text: str):
    import xml.etree.ElementTree as ET

    return ET.fromstring(text)


def _calibration_lut(xml_text: str, lut: str = "sigmaNought"):
    """(lines, pixels, values) of a Sentinel-1 calibration LUT."""
    root = _xml(xml_text)
    lines, pixels, values = [], None, []
    for v in root.iter("calibrationVector"):
        lines.append(int(v.findtext("line")))
        px = np.array(v.findtext("pixel").split(), dtype=np.float64)
        vals = np.array(v.findtext(lut).split(), dtype=np.float64)
        if pixels is None:
            pixels = px
        elif len(px) != len(pixels) or np.any(px != pixels):
            vals = np.interp(pixels, px, vals)
        values.append(vals)
    if not lines:
        raise FormatError(f"no calibrationVector with {lut}")
    return np.array(lines, np.float64), pixels, np.vstack(values)


def open_safe(path: Path, polarisation: str = "vv") -> Scene:
    """A Sentinel-1 GRD SAFE product (folder or .zip): the measurement TIFF of ``polarisation``,
    calibrated to sigma0 with ``calibration/calibration-*.xml`` (sigma0 = DN² / A², A bilinear
    in (line, pixel)), georeferenced from the annotation's geolocation grid, pixel size and time
    from the annotation."""
    rasterio = require("rasterio", "sat", "reading SAFE products")
    Window = require("rasterio.windows", "sat", "reading SAFE products").Window
    try:
        safe = _Safe(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise InputFileError(f"{path}: cannot open the SAFE product ({e})") from e
    pol = polarisation.lower()
    meas = safe.find(rf"measurement/[^/]*-{pol}-[^/]*\.tiff?$")
    ann = safe.find(rf"annotation/[^/]*-{pol}-[^/]*\.xml$")
    cal = safe.find(rf"annotation/calibration/calibration-[^/]*-{pol}-[^/]*\.xml$")
    if not (meas and ann and cal):
        have = sorted({m.group(1) for n in safe.find(r"measurement/") if (m := re.search(r"-(vv|vh|hh|hv)-", n))})
        raise FormatError(f"{path}: no {pol.upper()} measurement / annotation / calibration in this SAFE product",
                          source=str(path), hint=f"polarisations present: {', '.join(have) or 'none'}")
    a = _xml(safe.text(ann[0]))
    gcps = np.array([[float(p.findtext("line")), float(p.findtext("pixel")), float(p.findtext("longitude")),
                      float(p.findtext("latitude"))] for p in a.iter("geolocationGridPoint")], dtype=np.float64)
    px_m = a.findtext(".//rangePixelSpacing")
    t0 = a.findtext(".//adsHeader/startTime") or a.findtext(".//startTime")
    when = datetime.fromisoformat(t0).replace(tzinfo=UTC) if t0 else None
    lines, pixels, values = _calibration_lut(safe.text(cal[0]))
    ds = rasterio.open(safe.gdal_path(meas[0]))

    def reader(r0, r1, c0, c1):
        dn = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float32)
        rr = np.arange(r0, r1, dtype=np.float64)
        cc = np.arange(c0, c1, dtype=np.float64)
        # bilinear LUT: along pixels for every vector, then along lines
        by_line = np.vstack([np.interp(cc, pixels, v) for v in values])
        if len(lines) > 1:
            idx = np.clip(np.searchsorted(lines, rr, side="right") - 1, 0, len(lines) - 2)
            w = np.clip((rr - lines[idx]) / (lines[idx + 1] - lines[idx]), 0.0, 1.0)[:, None]
            lut = by_line[idx] * (1 - w) + by_line[idx + 1] * w
        else:
            lut = np.broadcast_to(by_line[0], (len(rr), len(cc)))
        return (dn * dn / (lut * lut)).astype(np.float32)

    name = path.name.removesuffix(".zip").removesuffix(".SAFE")
    return Scene(name=name, shape=(ds.height, ds.width), reader=reader, pixel_m=float(px_m) if px_m else None,
                 units="sigma0", time=when or _time_from_name(name), gcps=gcps, source=str(path))


def open_scene(path: Path | str, grid: Path | dict | None = None, pixel_m: float | None = None,
               polarisation: str = "vv", grey_db: float | None = None) -> Scene:
    """Open any supported image (see the module docstring); ``grid`` places a plain image,
    ``pixel_m`` declares the pixel size of an image that has none, ``grey_db`` says a plain
    image is dB-scaled with this many dB per grey level (it is turned back into power)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".zip" or path.name.upper().endswith(".SAFE"):
        if path.is_dir() and not path.name.upper().endswith(".SAFE") and not (path / "manifest.safe").exists():
            raise FormatError(f"{path}: a folder that is not a SAFE product (no manifest.safe)", source=str(path))
        return open_safe(path, polarisation)
    if suffix in TIFF_SUFFIXES:
        s = open_geotiff(path)
        return replace(s, pixel_m=pixel_m) if pixel_m and s.pixel_m is None else s
    if suffix in IMAGE_SUFFIXES:
        g = read_grid(grid) if isinstance(grid, (str, Path)) else grid
        return open_image(path, g, pixel_m, grey_db)
    raise FormatError(f"{path}: not a supported image (GeoTIFF, SAFE folder or .zip, PNG, JPEG)", source=str(path))


__all__ = ["Scene", "from_array", "open_geotiff", "open_image", "open_safe", "open_scene", "read_grid"]
