"""`harborwatch detect` and `detect-eval` on synthetic chips with YOLO labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from harborwatch.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sar"))
from conftest import ship_scene


def _chips(tmp_path):
    from PIL import Image

    imgs, labels = tmp_path / "images", tmp_path / "labels"
    imgs.mkdir()
    labels.mkdir()
    for k in range(2):
        ships = ((60.0 + 40 * k, 80.0, 14, 4, 0.0), (150.0, 150.0, 16, 4, 90.0))
        a = ship_scene((200, 200), ships, seed=k)
        Image.fromarray(np.clip(a * 20, 0, 255).astype(np.uint8)).save(imgs / f"chip{k}.png")
        (labels / f"chip{k}.txt").write_text("".join(
            f"0 {c / 200} {r / 200} {(w if ang == 0 else ln) / 200 + 0.01} {(ln if ang == 0 else w) / 200 + 0.01}\n"
            for r, c, ln, w, ang in ships))
    return imgs, labels


def test_detect_writes_geojson(tmp_path):
    imgs, _ = _chips(tmp_path)
    out = tmp_path / "d.geojson"
    r = CliRunner().invoke(app, ["detect", str(imgs / "chip0.png"), str(imgs / "chip1.png"), "--out", str(out),
                                 "--pixel-m", "10", "--no-filter"])
    assert r.exit_code == 0, r.output
    fc = json.loads(out.read_text())
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 4
    p = fc["features"][0]["properties"]
    assert fc["features"][0]["geometry"] is None  # a plain image has pixel coordinates only
    assert p["image"] == "chip0" and len(p["bbox_px"]) == 4 and 0 <= p["score"] <= 1 and p["length_m"] > 100
    csv_out = tmp_path / "d.csv"
    assert CliRunner().invoke(app, ["detect", str(imgs / "chip0.png"), "--out", str(csv_out)]).exit_code == 0
    assert csv_out.read_text().splitlines()[0].startswith("image,detection_id,bbox_px")


def test_detect_eval_json(tmp_path):
    imgs, labels = _chips(tmp_path)
    r = CliRunner().invoke(app, ["detect-eval", "--images", str(imgs), "--labels", str(labels), "--pixel-m", "10",
                                 "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["images"] == 2 and res["centre_in_box"]["truth"] == 4
    assert res["centre_in_box"]["f1"] == 1.0 and res["iou_0_5"]["recall"] >= 0.5


def test_detect_splits_rafted_hulls_on_request(tmp_path):
    """`--split-side-by-side` on the scenario's quay chip: more detections, each in a hull."""
    import pyarrow.parquet as pq

    from harborwatch.evaluation.radar import hulls_found
    from harborwatch.scenario.quay import quay_chip

    p = quay_chip(tmp_path, seed=2)
    truth = pq.read_table(p["truth"]).to_pylist()
    found = {}
    for flag in ([], ["--split-side-by-side"]):
        out = tmp_path / f"d{len(flag)}.geojson"
        res = CliRunner().invoke(app, ["detect", str(p["scene"]), "--land-buffer-m", "-1", "--out", str(out),
                                       *flag])
        assert res.exit_code == 0, res.output
        feats = json.loads(out.read_text())["features"]
        found[len(flag)] = hulls_found(truth, [f["properties"] for f in feats])
    assert found[1]["tp"] > found[0]["tp"] and found[1]["fp"] <= 1


def test_detect_eval_takes_the_learned_networks_precision(tmp_path):
    imgs, labels = _chips(tmp_path)
    got = {}
    for precision in ("float", "int8"):
        r = CliRunner().invoke(app, ["detect-eval", "--images", str(imgs), "--labels", str(labels), "--method",
                                     "learned", "--precision", precision, "--json"])
        assert r.exit_code == 0, r.output
        got[precision] = json.loads(r.output)["centre_in_box"]
    assert got["float"]["truth"] == got["int8"]["truth"] == 4
    assert abs(got["float"]["tp"] - got["int8"]["tp"]) <= 1  # the same ships, give or take one
    r = CliRunner().invoke(app, ["detect-eval", "--images", str(imgs), "--labels", str(labels), "--method",
                                 "learned", "--precision", "int4", "--json"])
    assert r.exit_code != 0 and "int4" in str(r.exception)
