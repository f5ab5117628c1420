"""Label formats and the two matching rules."""

from __future__ import annotations

import numpy as np

from harborwatch.sar.labels import find_labels, mask_boxes, match, prf, voc_boxes, yolo_boxes


def test_formats(tmp_path):
    (tmp_path / "a.txt").write_text("0 0.5 0.25 0.1 0.05\n\n")
    assert np.allclose(yolo_boxes(tmp_path / "a.txt", 200, 400), [(90.0, 90.0, 109.0, 109.0)])
    (tmp_path / "b.xml").write_text("<annotation><object><name>ship</name><bndbox><xmin>5</xmin><ymin>6</ymin>"
                                    "<xmax>15</xmax><ymax>26</ymax></bndbox></object></annotation>")
    assert voc_boxes(tmp_path / "b.xml") == [(5.0, 6.0, 15.0, 26.0)]
    from PIL import Image

    m = np.zeros((50, 50, 3), np.uint8)
    m[10:14, 20:30, 1] = 255
    m[40:45, 2:4, 1] = 255
    Image.fromarray(m).save(tmp_path / "c.png")
    assert sorted(mask_boxes(tmp_path / "c.png")) == [(2, 40, 3, 44), (20, 10, 29, 13)]
    (tmp_path / "masks").mkdir()
    Image.fromarray(m).save(tmp_path / "masks" / "d.png")
    assert len(find_labels(tmp_path, "d", 50, 50)) == 2 and find_labels(tmp_path, "zzz", 50, 50) is None


def test_matching_rules_are_one_to_one():
    boxes = [(10, 10, 30, 20), (100, 100, 110, 140)]
    dets = [{"row": 15.5, "col": 20.5, "bbox_px": [10, 10, 30, 20], "score": 0.9},
            {"row": 16.5, "col": 21.5, "bbox_px": [18, 12, 24, 18], "score": 0.8},  # a second hit on ship 1
            {"row": 120.5, "col": 105.5, "bbox_px": [104, 100, 106, 102], "score": 0.7}]  # centre in, small box
    assert match(dets, boxes, "centre") == 2
    assert match(dets, boxes, "iou") == 1
    assert prf(2, 3, 2) == {"tp": 2, "detections": 3, "truth": 2, "precision": 0.6667, "recall": 1.0, "f1": 0.8}
