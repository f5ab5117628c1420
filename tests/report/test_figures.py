"""Figures drawn from tiny hand-made tables."""

from __future__ import annotations

import warnings

import pyarrow as pa

from harborwatch.events.schema import EVENTS
from harborwatch.report.figures import map_figure

SITES = pa.table({"site_id": ["kp-rajin"], "name": ["Rajin"], "lat": [42.24], "lon": [130.30]})
TRACKS = pa.table({"mmsi": pa.array([1, 1, 1], pa.uint32()), "lat": [42.10, 42.15, 42.20],
                   "lon": [130.40, 130.35, 130.31]})
EXTENT = (42.0, 42.4, 130.1, 130.6)


def _one_event(kind: str) -> pa.Table:
    cols = {f.name: pa.nulls(1, f.type) for f in EVENTS}
    cols.update(type=pa.array([kind]), lat=pa.array([42.2]), lon=pa.array([130.35]))
    return pa.table({f.name: cols[f.name].cast(f.type) for f in EVENTS})


def test_a_map_has_a_legend_only_when_it_shows_events(tmp_path):
    """A window with a site and a track but no events: matplotlib warned "No artists with labels
    found to put in legend" on every such map (and drew an empty box); now no legend is drawn.
    With an encounter the legend names it, with its count."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = map_figure(tmp_path / "empty", SITES, TRACKS, EVENTS.empty_table(), EXTENT)
    assert empty["png"].stat().st_size > 0
    assert 'id="legend_1"' not in empty["svg"].read_text()
    svg = map_figure(tmp_path / "one", SITES, TRACKS, _one_event("encounter"), EXTENT)["svg"].read_text()
    assert 'id="legend_1"' in svg and "encounter (ship-to-ship) (1)" in svg
