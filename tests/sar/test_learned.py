"""The learned ship detector: input scaling, decoding, the packaged network, and training that
repeats bit for bit on the CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from harborwatch.core.errors import DataError
from harborwatch.sar.detect import DETECTIONS, Detector, detect
from harborwatch.sar.learned import STRIDE, LearnedDetector, decode, packaged_model, prepare
from harborwatch.sar.scene import from_array

from .conftest import ship_scene

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def test_prepare_does_not_depend_on_the_images_scale():
    rng = np.random.default_rng(0)
    a = rng.gamma(4.4, 50.0, (64, 80)).astype(np.float32) + 20.0
    x, y = prepare(a), prepare(a * 30.0)
    assert x.dtype == np.float32 and x.shape == a.shape
    assert np.abs(x - y).max() < 0.05  # log1p: exact for large values, close for these
    assert prepare(np.dstack([a, a, a])).shape == a.shape


def test_decode_finds_each_peak_once_with_its_box():
    heat = np.zeros((20, 30), np.float32)
    off = np.zeros((2, 20, 30), np.float32)
    size = np.zeros((2, 20, 30), np.float32)
    heat[5, 7], heat[5, 8] = 0.9, 0.6  # one peak and its shoulder
    off[:, 5, 7] = (0.5, 0.25)
    size[:, 5, 7] = (np.log(12.0), np.log(40.0))
    heat[15, 20] = 0.2  # below the threshold
    got = decode(heat, off, size, LearnedDetector(), (80, 120))
    assert len(got) == 1
    d = got[0]
    assert d["col"] == pytest.approx(7.5 * STRIDE) and d["row"] == pytest.approx(5.25 * STRIDE)
    assert d["length_px"] == pytest.approx(40.0) and d["width_px"] == pytest.approx(12.0)
    assert d["bbox_px"] == [24, 1, 35, 40] and d["score"] == pytest.approx(0.9)


def test_the_packaged_network_finds_ships_on_a_synthetic_chip():
    ships = ((60.0, 70.0, 30, 6, 0.0), (150.0, 200.0, 40, 8, 90.0), (220.0, 90.0, 24, 6, 45.0))
    scene = from_array(ship_scene((280, 300), ships, rcs=40.0, seed=3), name="chip")
    t = detect(scene, Detector(method="learned"))
    assert t.schema == DETECTIONS
    rows = t.to_pylist()
    for r, c, *_ in ships:  # each ship has a detection whose box holds its centre
        assert any(d["bbox_px"][0] <= c <= d["bbox_px"][2] + 1 and d["bbox_px"][1] <= r <= d["bbox_px"][3] + 1
                   for d in rows), (r, c)
    assert len(rows) <= len(ships) + 1
    assert detect(from_array(ship_scene((280, 300), (), seed=4), name="sea"), Detector(method="learned")
                  ).num_rows <= 1


def test_the_quantized_network_finds_the_same_ships():
    ships = ((60.0, 70.0, 30, 6, 0.0), (150.0, 200.0, 40, 8, 90.0), (220.0, 90.0, 24, 6, 45.0))
    a = ship_scene((280, 300), ships, rcs=40.0, seed=3)
    f32, i8 = LearnedDetector().apply(a), LearnedDetector(precision="int8").apply(a)
    assert packaged_model("int8").stat().st_size < packaged_model().stat().st_size / 2
    for r, c, *_ in ships:
        near = [d for d in i8 if abs(d["row"] - r) < 8 and abs(d["col"] - c) < 8]
        assert near and any(abs(d["row"] - near[0]["row"]) < 4 and abs(d["col"] - near[0]["col"]) < 4 for d in f32)
    assert len(i8) <= len(ships) + 1
    t = detect(from_array(a, name="chip"), Detector(method="learned", learned_precision="int8"))
    assert t.num_rows == len(i8)
    with pytest.raises(DataError, match="precision 'int4'"):
        LearnedDetector(precision="int4")


def test_a_ship_on_a_tile_edge_is_reported_once():
    a = ship_scene((300, 300), ((150.0, 128.0, 40, 8, 90.0),), rcs=40.0, seed=5)
    whole = detect(from_array(a, name="x"), Detector(method="learned")).to_pylist()
    tiled = detect(from_array(a, name="x"), Detector(method="learned", learned_tile_px=128)).to_pylist()
    assert len(whole) == 1 and len(tiled) == 1


def test_training_repeats_bit_for_bit_on_the_cpu():
    """Two runs of the training script's loop with the same seed give the same weights."""
    torch = pytest.importorskip("torch", reason="training needs the 'train-detector' extra (PyTorch)")
    sys.path.insert(0, str(SCRIPTS))
    import train_sar_detector as T

    rng = np.random.default_rng(0)
    chips = []
    for k in range(6):
        ships = ((float(rng.uniform(40, 200)), float(rng.uniform(40, 200)), 20, 5, 0.0),)
        a = ship_scene((240, 260), ships, seed=k)
        r, c = ships[0][:2]
        chips.append((f"c{k}", prepare(a), np.array([[c - 2.5, r - 10, c + 2.5, r + 10]], np.float32)))
    torch.set_num_threads(1)
    a = T.train(chips, epochs=1, seed=7, device="cpu", batch=3, log=lambda _: None)
    b = T.train(chips, epochs=1, seed=7, device="cpu", batch=3, log=lambda _: None)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka


def test_the_network_ships_with_its_training_record():
    import json

    rec = json.loads(packaged_model().with_suffix(".json").read_text())
    assert rec["seed"] == 0 and rec["training_chips"] + rec["validation_chips"] == 928
    assert packaged_model().stat().st_size < 2_000_000


def test_learned_detections_are_valid_geojson(tmp_path):
    """The CFAR statistics the network has not are null, in the table and in GeoJSON, and the
    file reads back."""
    import json

    from harborwatch.sar.outputs import write_detections

    t = detect(from_array(ship_scene((200, 200), ((100.0, 100.0, 30, 6, 0.0),), rcs=40.0), name="c"),
               Detector(method="learned"))
    assert t.num_rows >= 1
    text = write_detections(t, tmp_path / "d.geojson").read_text()
    assert "NaN" not in text
    props = json.loads(text)["features"][0]["properties"]
    assert props["peak_z"] is None and 0 < props["score"] <= 1
    from harborwatch.sar.outputs import read_detections

    back, _ = read_detections(tmp_path / "d.geojson")
    assert back.num_rows == t.num_rows and back["peak_z"].null_count == t.num_rows
