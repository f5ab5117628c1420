"""The detector on real HRSID chips it never saw while being tuned (the test half of the split)."""

from __future__ import annotations

import pytest

from harborwatch.evaluation.chips import evaluate_folder, split
from harborwatch.sar.detect import Detector
from harborwatch.sar.filter import FalseAlarmFilter


@pytest.fixture
def hrsid(shared):
    d = shared / "sar" / "hrsid"
    if not (d / "images").is_dir():
        pytest.skip(f"{d} missing (HRSID chips from ../shared/data)")
    return d


def test_split_is_by_sorted_name_and_filter_never_saw_the_test_chips(hrsid):
    stems = [f.stem for f in (hrsid / "images").glob("*.jpg")]
    sp = split(stems)
    assert len(sp["tune"]) == len(sp["test"]) == 12 and not set(sp["tune"]) & set(sp["test"])
    assert set(FalseAlarmFilter.packaged().meta["trained_on"]["chips"]) == set(sp["tune"])


def test_f1_on_unseen_chips(hrsid):
    stems = [f.stem for f in (hrsid / "images").glob("*.jpg")]
    r = evaluate_folder(hrsid / "images", hrsid, Detector(), pixel_m=3.0, only=set(split(stems)["test"]))
    assert r["images"] == 12 and r["centre_in_box"]["truth"] == 23
    assert r["centre_in_box"]["f1"] >= 0.85, r["centre_in_box"]
    assert r["iou_0_5"]["f1"] >= 0.7, r["iou_0_5"]
