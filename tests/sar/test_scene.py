"""Scene readers: GeoTIFF (transform or GCPs), images on a grid, Sentinel-1 SAFE (folder and zip)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from harborwatch.core.errors import DataError, FormatError
from harborwatch.sar.scene import open_scene

rasterio = pytest.importorskip("rasterio", reason="the GeoTIFF / SAFE readers need the sat extra (rasterio)")


def test_geotiff_utm_windowed_dn_squared(tmp_path):
    from rasterio.transform import from_origin

    dn = (np.arange(60 * 80, dtype=np.uint16).reshape(60, 80) % 500) + 1
    p = tmp_path / "S1A_IW_GRDH_1SDV_20230801T093012_x.tif"
    with rasterio.open(p, "w", driver="GTiff", width=80, height=60, count=1, dtype="uint16", crs="EPSG:32652",
                       transform=from_origin(610_000, 4_676_000, 10, 10), tiled=True, blockxsize=16,
                       blockysize=16) as ds:
        ds.write(dn, 1)
    s = open_scene(p)
    assert s.shape == (60, 80) and s.pixel_m == 10.0 and s.units == "dn2" and s.crs == "EPSG:32652"
    assert s.time.isoformat() == "2023-08-01T09:30:12+00:00"
    assert np.array_equal(s.read(10, 20, 30, 45), dn[10:20, 30:45].astype(np.float32) ** 2)
    lon, lat = s.lonlat([0.5], [0.5])
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(lon[0], lat[0])
    assert abs(x - 610_005) < 0.01 and abs(y - 4_675_995) < 0.01


def test_geotiff_with_gcps(tmp_path):
    from rasterio.control import GroundControlPoint as GCP

    gcps = [GCP(row=r, col=c, x=130.0 + c * 0.001, y=42.0 - r * 0.001) for r in (0, 50) for c in (0, 50)]
    p = tmp_path / "gcp.tif"
    with rasterio.open(p, "w", driver="GTiff", width=50, height=50, count=1, dtype="float32", gcps=gcps,
                       crs="EPSG:4326") as ds:
        ds.write(np.ones((50, 50), np.float32), 1)
    s = open_scene(p)
    assert s.units == "linear" and s.georeferenced
    lon, lat = s.lonlat([25.0], [10.0])
    assert np.isclose(lon[0], 130.010) and np.isclose(lat[0], 41.975)


def test_image_on_a_grid_is_rescaled(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((137, 96), 50, np.uint8)).save(tmp_path / "vv_original.jpg")
    grid = {"epsg": 32636, "transform": [744440.0, 10.0, 0.0, 3941150.0, 0.0, -10.0], "width": 964, "height": 1373}
    (tmp_path / "grid.json").write_text(json.dumps(grid))
    s = open_scene(tmp_path / "vv_original.jpg", grid=tmp_path / "grid.json")
    assert s.name == tmp_path.name and s.crs == "EPSG:32636"
    assert abs(s.pixel_m - 10.0 * 964 / 96) < 1e-6
    lon, lat = s.lonlat([137.0], [96.0])  # the far corner of the image is the far corner of the grid
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True).transform(lon[0], lat[0])
    assert abs(x - (744440 + 9640)) < 0.5 and abs(y - (3941150 - 13730)) < 0.5
    with pytest.raises(DataError, match="aspect"):
        bad = dict(grid, width=2000)
        open_scene(tmp_path / "vv_original.jpg", grid=bad)


def test_plain_image_has_pixels_only(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "chip.png")
    s = open_scene(tmp_path / "chip.png")
    assert s.shape == (20, 30) and not s.georeferenced and s.pixel_m is None
    with pytest.raises(DataError, match="no georeference"):
        s.lonlat([1], [1])
    with pytest.raises(FormatError):
        (tmp_path / "x.bmpx").write_text("x")
        open_scene(tmp_path / "x.bmpx")


def _safe(root, dn, lut_lines, lut_pixels, lut_values, zipped=False):
    """A minimal Sentinel-1 GRD SAFE product in the published layout."""
    name = "S1A_IW_GRDH_1SDV_20230801T093012_20230801T093037_049681_05F9C1_ABCD.SAFE"
    base = root / name
    (base / "measurement").mkdir(parents=True)
    (base / "annotation" / "calibration").mkdir(parents=True)
    (base / "manifest.safe").write_text("<xfdu/>")
    stem = "s1a-iw-grd-vv-20230801t093012-20230801t093037-049681-05f9c1-001"
    h, w = dn.shape
    with rasterio.open(base / "measurement" / f"{stem}.tiff", "w", driver="GTiff", width=w, height=h, count=1,
                       dtype="uint16") as ds:
        ds.write(dn, 1)
    pts = "".join(f"<geolocationGridPoint><line>{r}</line><pixel>{c}</pixel><latitude>{42.0 - r * 1e-3}</latitude>"
                  f"<longitude>{130.0 + c * 1e-3}</longitude></geolocationGridPoint>"
                  for r in (0, h - 1) for c in (0, w - 1))
    (base / "annotation" / f"{stem}.xml").write_text(
        f"<product><adsHeader><startTime>2023-08-01T09:30:12.123456</startTime></adsHeader><imageAnnotation>"
        f"<imageInformation><rangePixelSpacing>1.0e+01</rangePixelSpacing></imageInformation></imageAnnotation>"
        f"<geolocationGrid><geolocationGridPointList>{pts}</geolocationGridPointList></geolocationGrid></product>")
    vecs = "".join(f"<calibrationVector><line>{ln}</line><pixel>{' '.join(map(str, lut_pixels))}</pixel>"
                   f"<sigmaNought>{' '.join(map(str, vals))}</sigmaNought></calibrationVector>"
                   for ln, vals in zip(lut_lines, lut_values, strict=True))
    (base / "annotation" / "calibration" / f"calibration-{stem}.xml").write_text(
        f"<calibration><calibrationVectorList>{vecs}</calibrationVectorList></calibration>")
    if not zipped:
        return base
    z = root / (name.removesuffix(".SAFE") + ".zip")
    with zipfile.ZipFile(z, "w") as zf:
        for f in base.rglob("*"):
            if f.is_file():
                zf.write(f, f.relative_to(root))
    return z


@pytest.mark.parametrize("zipped", [False, True])
def test_safe_calibrated_to_sigma0(tmp_path, zipped):
    dn = np.full((40, 60), 100, np.uint16)
    path = _safe(tmp_path, dn, [0, 39], [0, 59], [[100.0, 200.0], [300.0, 400.0]], zipped)
    s = open_scene(path)
    assert s.units == "sigma0" and s.pixel_m == 10.0 and s.time.year == 2023 and s.georeferenced
    a = s.read(0, 40, 0, 60)
    assert np.isclose(a[0, 0], 100.0 ** 2 / 100.0 ** 2) and np.isclose(a[0, 59], 100.0 ** 2 / 200.0 ** 2)
    assert np.isclose(a[39, 0], 100.0 ** 2 / 300.0 ** 2)
    lut = (100.0 + 100.0 * 30 / 59) * (1 - 20 / 39) + (300.0 + 100.0 * 30 / 59) * (20 / 39)  # bilinear
    assert np.isclose(s.read(20, 21, 30, 31)[0, 0], 100.0 ** 2 / lut ** 2)
    lon, lat = s.lonlat([39.0], [59.0])
    assert np.isclose(lon[0], 130.059) and np.isclose(lat[0], 41.961)
    with pytest.raises(FormatError, match="VH"):
        open_scene(path, polarisation="vh")


def _png_header_only(path, width: int, height: int) -> None:
    import struct
    import zlib

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def test_bombs_and_broken_files_are_one_line_errors(tmp_path):
    """Issue 16: a header declaring 60,000 x 60,000 pixels, or a broken TIFF, is refused before
    anything is read, as one line with a hint, never a traceback."""
    from typer.testing import CliRunner

    from harborwatch.cli.main import app
    from harborwatch.core.errors import InputFileError

    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 60_000, 60_000)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20)
    for f, words in ((bomb, "pixels"), (broken, "cannot open")):
        r = CliRunner().invoke(app, ["detect", str(f), "--out", str(tmp_path / "d.geojson")])
        assert isinstance(r.exception, InputFileError), r.exception
        assert words in str(r.exception)


def test_pixel_guard_below_pils_own(tmp_path, monkeypatch):
    from harborwatch.core.errors import InputFileError
    from harborwatch.sar import scene

    img = tmp_path / "big.png"
    _png_header_only(img, 3000, 3000)
    monkeypatch.setattr(scene, "MAX_IMAGE_PIXELS", 1_000_000)
    with pytest.raises(InputFileError, match="3,000 x 3,000 pixels"):
        scene.open_image(img)
