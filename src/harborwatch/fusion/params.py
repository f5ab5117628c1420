"""Fusion parameters and the table fusion writes."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from harborwatch.core.params import Params

KN = 1852.0 / 3600.0  # metres per second in a knot

#: One row per detection or AIS vessel of a scene.
FUSED = pa.schema([
    pa.field("image", pa.string(), False),
    pa.field("time", pa.timestamp("ms", tz="UTC")),
    pa.field("class", pa.string(), False),  # matched | dark | ais_only
    pa.field("reason", pa.string()),  # ais_only: outside_swath | on_land_mask | missed
    pa.field("detection_id", pa.string()),
    pa.field("mmsi", pa.uint32()),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("distance_m", pa.float64()),  # matched: detection to AIS position at t
    pa.field("allowed_m", pa.float64()),
    pa.field("ais_dt_s", pa.float64()),  # time from t to the nearest AIS fix
    pa.field("length_sar_m", pa.float64()),
    pa.field("length_ais_m", pa.float64()),
    pa.field("score", pa.float64()),
    pa.field("site_id", pa.string()),
])


@dataclass(frozen=True)
class Fusion(Params):
    """Matching parameters (distances in metres, speeds in knots, times in seconds).

    Attributes:
        base_distance_m: position and geolocation error allowed at the fix's own time. 500 m.
        min_speed_kn: a vessel is assumed to move at least this fast between fixes. 2 kn.
        unknown_speed_kn: the speed assumed when none was reported. 20 kn.
        max_dt_s: AIS fixes further than this from the acquisition time are not used. 3 h.
        length_tolerance: radar and AIS lengths may differ by this share of the larger. 0.5.
        max_hull_kn: fixes of one MMSI that only a faster vessel could join belong to different
            hulls (a shared or spoofed identity; the track segmentation's 30 kn). 30 kn.
        max_spike_fixes: a hull of at most this many fixes near the scene is a position spike,
            not a second hull (the track segmentation's noise rule). 2.
    """

    section = "fusion"

    base_distance_m: float = 500.0
    min_speed_kn: float = 2.0
    unknown_speed_kn: float = 20.0
    max_dt_s: float = 3 * 3600.0
    length_tolerance: float = 0.5
    max_hull_kn: float = 30.0
    max_spike_fixes: int = 2

    def validate(self) -> None:
        self.positive("max_dt_s", "unknown_speed_kn", "length_tolerance", "max_hull_kn")
        self.at_least("max_spike_fixes", 0)
        self.non_negative("base_distance_m", "min_speed_kn")


__all__ = ["FUSED", "KN", "Fusion"]
