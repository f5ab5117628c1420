"""Counts files (CSV, GeoJSON, COCO): what is read, what is quarantined and why, strict mode."""

from __future__ import annotations

import json

import pytest

from harborwatch.core.errors import DataError, FormatError
from harborwatch.ingest.counts import read_counts


def test_csv_counts_and_their_rejects(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("date,site_id,rail_cars,source\n2023-07-01,kp-x,12,me\n2023-07-02T10:00:00Z,,5,me\n"
                 "yesterday,kp-x,4,me\n2023-07-03,kp-x,-2,me\n2023-07-04,kp-x,2.5,me\n2023-07-05,kp-x,many,me\n")
    c = read_counts(p)
    assert c.fmt == "csv" and c.records_in == 6
    assert [(r["site_id"], r["count"], r["source"]) for r in c.rows] == [("kp-x", 12, "me")]
    assert [(q["source_ref"], q["reason"], q["field"]) for q in c.rejects] == [
        (3, "missing_field", "site_id"), (4, "bad_time", "time"), (5, "out_of_range", "rail_cars"),
        (6, "out_of_range", "rail_cars"), (7, "not_a_number", "rail_cars")]
    assert len(c.rows) + len(c.rejects) == c.records_in


def test_site_option_fills_records_without_one(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("time,count\n2023-07-01 06:30,7\n")
    c = read_counts(p, site="kp-y")
    assert c.rows[0]["site_id"] == "kp-y" and c.rows[0]["observed_at"].hour == 6


def test_strict_mode_names_file_line_and_field(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("date,site_id,rail_cars\n2023-07-01,kp-x,1\n2023-07-02,kp-x,x\n")
    with pytest.raises(DataError) as e:
        read_counts(p, strict=True)
    assert e.value.ref == 3 and e.value.field == "rail_cars" and str(p) in str(e.value)


def test_geojson_features_carry_counts_and_where(tmp_path):
    p = tmp_path / "c.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [130.6, 42.4]},
         "properties": {"date": "2023-08-01", "site_id": "kp-x", "rail_cars": 31}},
        {"type": "Feature", "geometry": None, "properties": {"site_id": "kp-x", "rail_cars": 3}}]}))
    c = read_counts(p)
    assert c.fmt == "geojson" and c.rows[0]["lon"] == 130.6 and c.rows[0]["count"] == 31
    assert [q["reason"] for q in c.rejects] == ["bad_time"]


def test_coco_images_are_counts_of_their_rail_car_boxes(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png", "date_captured": "2023-08-01 02:00:00"},
                   {"id": 2, "file_name": "b.png", "date_captured": "2023-08-05 02:00:00"},
                   {"id": 3, "file_name": "c.png"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 7}, {"id": 2, "image_id": 1, "category_id": 7},
                        {"id": 3, "image_id": 1, "category_id": 9}],
        "categories": [{"id": 7, "name": "rail_car"}, {"id": 9, "name": "truck"}]}))
    c = read_counts(p, site="kp-x")
    assert c.fmt == "coco" and [r["count"] for r in c.rows] == [2, 0]
    assert [q["source_ref"] for q in c.rejects] == [3]


def test_files_that_are_not_counts_are_refused(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="rail_cars"):
        read_counts(p)
    j = tmp_path / "c.json"
    j.write_text('{"x": 1}')
    with pytest.raises(FormatError, match="neither"):
        read_counts(j)
