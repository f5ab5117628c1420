"""Rail cars counted on hand-made optical images: colours darker, brighter and as bright as the
ballast, shadows across the next siding, and the ballast's colour as the mode of a busy yard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasterio")

from harborwatch.core.errors import InputFileError
from harborwatch.sar.optical import OpticalImage, open_optical
from harborwatch.sar.railcars_optical import OpticalRailCars, ballast_colour, count_cars_optical

PIXEL = 0.5
X0, Y0 = 500_000.0, 4_700_000.0  # UTM 52N, top left
W_M, H_M = 400.0, 40.0
TRACKS_Y = (Y0 - 12.0, Y0 - 20.0, Y0 - 28.0)  # three sidings 8 m apart, running east
BALLAST = (126, 122, 116)
GROUND = (112, 104, 82)
BLACK, WHITE, RED = (40, 40, 44), (212, 212, 206), (150, 60, 50)  # RED: about the ballast's brightness


def _tracks() -> list[np.ndarray]:
    from pyproj import Transformer

    inv = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    return [np.array([inv.transform(X0 + 20.0, y), inv.transform(X0 + W_M - 20.0, y)]) for y in TRACKS_Y]


def _image(tmp_path: Path, cars: list[tuple[int, float, int, tuple]], shadow: tuple[float, float] | None = None,
           sun: tuple[float, float] | None = None, bands: int = 3, name: str = "opt.tif") -> Path:
    """``cars``: (track, x from the left edge in m, number of 14 m cars 1 m apart, colour).
    ``shadow``: (dx, dy) in metres, the shadow of a car's top; each car shades the ground it covers."""
    import rasterio
    from rasterio.transform import Affine

    rng = np.random.default_rng(0)
    rows, cols = int(H_M / PIXEL), int(W_M / PIXEL)
    x = X0 + (np.arange(cols) + 0.5) * PIXEL
    y = Y0 - (np.arange(rows) + 0.5) * PIXEL
    px, py = np.meshgrid(x, y)
    img = np.empty((3, rows, cols))
    bed = np.zeros((rows, cols), bool)
    for ty in TRACKS_Y:
        bed |= np.abs(py - ty) <= 1.6
    for b in range(3):
        img[b] = np.where(bed, BALLAST[b], GROUND[b]) + rng.normal(0, 5, (rows, cols))
    boxes = []
    for track, x_m, n, colour in cars:
        for k in range(n):
            xa = X0 + x_m + 15.0 * k
            boxes.append((xa, xa + 14.0, TRACKS_Y[track], colour))
    if shadow is not None:
        for xa, xb, ty, _ in boxes:
            sweep = np.zeros((rows, cols), bool)
            for t in np.linspace(0, 1, 41):
                sweep |= ((px - t * shadow[0] >= xa) & (px - t * shadow[0] <= xb)
                          & (np.abs(py - t * shadow[1] - ty) <= 1.5))
            img[:, sweep] *= 0.42
    for xa, xb, ty, colour in boxes:
        m = (px >= xa) & (px <= xb) & (np.abs(py - ty) <= 1.5)
        for b in range(3):
            img[b][m] = colour[b] + rng.normal(0, 4, int(m.sum()))
    data = np.clip(np.round(img), 0, 255).astype(np.uint8)[:bands]
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=bands, dtype="uint8",
                       crs="EPSG:32652", transform=Affine.from_gdal(X0, PIXEL, 0, Y0, 0, -PIXEL)) as ds:
        ds.write(data)
        ds.update_tags(TIFFTAG_DATETIME="2023:12:20 01:47:00")
        if sun is not None:
            ds.update_tags(SUN_AZIMUTH=str(sun[0]), SUN_ELEVATION=str(sun[1]))
    return path


def test_cars_darker_brighter_and_as_bright_as_the_ballast_are_counted(tmp_path):
    cars = [(0, 30.0, 6, BLACK), (1, 50.0, 4, WHITE), (2, 100.0, 10, RED), (0, 200.0, 3, WHITE)]
    got = count_cars_optical(open_optical(_image(tmp_path, cars)), _tracks())
    assert [t["cars"] for t in got["tracks"]] == [9, 4, 10]
    assert [t["trains"] for t in got["tracks"]] == [2, 1, 1]
    assert got["cars"] == 23
    assert got["ballast"] == pytest.approx(BALLAST, abs=3)


def test_shadows_across_the_next_siding_are_not_cars_when_the_sun_is_known(tmp_path):
    # winter, late morning: sun in the south-south-east at 22 degrees; 4.2 m tall cars cast
    # shadows about 10 m long toward the north-north-west, across the next siding north
    az, el = 157.0, 22.0
    length = 4.2 / np.tan(np.radians(el))
    shadow = (-np.sin(np.radians(az)) * length, -np.cos(np.radians(az)) * length)
    cars = [(2, 40.0, 8, BLACK), (2, 220.0, 5, RED), (0, 60.0, 4, WHITE)]
    no_sun = count_cars_optical(open_optical(_image(tmp_path, cars, shadow, name="a.tif")), _tracks())
    assert no_sun["cars"] > 17  # the shadows on the middle siding read as cars
    with_sun = count_cars_optical(open_optical(_image(tmp_path, cars, shadow, sun=(az, el), name="b.tif")), _tracks())
    assert [t["cars"] for t in with_sun["tracks"]] == [4, 0, 13]
    assert with_sun["tracks"][1]["shaded_m"] > 150
    # the angles can be given instead of read from the tags, with the same result
    given = count_cars_optical(open_optical(_image(tmp_path, cars, shadow, name="c.tif")), _tracks(),
                               OpticalRailCars(sun_azimuth_deg=az, sun_elevation_deg=el))
    assert given["cars"] == 17


def test_a_car_standing_in_a_shadow_is_still_counted(tmp_path):
    az, el = 157.0, 22.0
    length = 4.2 / np.tan(np.radians(el))
    shadow = (-np.sin(np.radians(az)) * length, -np.cos(np.radians(az)) * length)
    cars = [(2, 40.0, 8, BLACK), (1, 40.0, 8, WHITE)]  # a white train in the black train's shadow
    got = count_cars_optical(open_optical(_image(tmp_path, cars, shadow, sun=(az, el))), _tracks())
    assert [t["cars"] for t in got["tracks"]] == [0, 8, 8]


def test_the_ballast_is_the_mode_of_a_busy_yard():
    rng = np.random.default_rng(1)
    bed = rng.normal(BALLAST, 5, (400, 3))
    cars = np.concatenate([rng.normal(c, 4, (200, 3)) for c in (BLACK, WHITE, RED)])  # 60 % cars
    colour, spread = ballast_colour(np.concatenate([bed, cars]), 16.0)
    assert colour == pytest.approx(BALLAST, abs=2)
    assert spread == pytest.approx([5, 5, 5], abs=1.5)


def test_single_band_images_are_refused_with_a_hint(tmp_path):
    with pytest.raises(InputFileError, match="1 band") as e:
        open_optical(_image(tmp_path, [], bands=1))
    assert "radar" in (e.value.hint or "")


def test_optical_image_keeps_the_sun_from_the_tags(tmp_path):
    img = open_optical(_image(tmp_path, [], sun=(150.5, 30.25)))
    assert isinstance(img, OpticalImage)
    assert (img.sun_azimuth_deg, img.sun_elevation_deg) == (150.5, 30.25)
    assert img.bands.shape == (3, 80, 800) and img.scene.pixel_m == pytest.approx(PIXEL)


def test_a_shadow_ending_just_short_of_the_next_centre_line_is_still_a_shadow(tmp_path):
    # the sun due south at 33.5 degrees: shadows reach 7.85 m north of the centre line, 0.15 m
    # short of the next siding's; a sample there mixes the shadowed pixel next to it
    az, el = 180.0, 33.48
    length = 4.2 / np.tan(np.radians(el))
    cars = [(2, 40.0, 10, WHITE)]
    got = count_cars_optical(open_optical(_image(tmp_path, cars, (0.0, length), sun=(az, el))), _tracks())
    assert [t["cars"] for t in got["tracks"]] == [0, 0, 10]
