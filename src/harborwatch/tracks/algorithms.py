"""Track algorithms as small parameter classes (frozen dataclasses; units in the field names).

Each has ``apply(track)``. :func:`prepare` runs cleaning and segmentation over a whole
:class:`~harborwatch.tracks.track.TrackCollection` in one numba call; the result per vessel
is the same whichever vessels share the call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.params import Params
from harborwatch.tracks import kernels as K
from harborwatch.tracks.track import (
    Track,
    TrackCollection,
    kernel_arrays,
    vessel_offsets,
)


@dataclass(frozen=True)
class Clean(Params):
    """Drop fixes that are not new information before any event rule sees them.

    Attributes:
        clock_offset_s: a report repeated (same position, speed and course) by the other
            receiver kind (satellite vs terrestrial) within this many seconds is one message
            received twice with a receiver clock offset; the later copy is dropped. 300 s.

    Exact duplicates (same time and content) are dropped too. Out-of-order messages need
    no rule: tracks are sorted by time before any kernel runs. Position spikes are dropped
    by :class:`Segment` (reason ``outlier``).
    """

    section = "clean"

    clock_offset_s: float = 300.0

    def validate(self) -> None:
        self.non_negative("clock_offset_s")

    def codes(self, track: Track) -> np.ndarray:
        """Reason code per fix (index into :data:`~harborwatch.tracks.kernels.CLEAN_REASONS`)."""
        a = track.arrays()
        return K.clean_track(a["t"], a["lat"], a["lon"], a["sog"], a["cog"], a["sat"],
                             int(self.clock_offset_s * 1000))

    def apply(self, track: Track) -> Track:
        keep = self.codes(track) == K.KEEP
        return Track(track.table.filter(pa.array(keep)), sorted=True)


@dataclass(frozen=True)
class Segment(Params):
    """Split a vessel's fixes into physically consistent segments (one per hull and voyage leg).

    Attributes:
        max_gap_h: a silence longer than this ends a segment. 24 h.
        max_speed_knots: a fix joins a segment only if reachable from that segment's last fix
            at no more than this implied speed. 30 kn.
        min_dt_s: time-step floor for implied speeds, so GNSS noise between fixes seconds
            apart does not look like high speed. 60 s.
        max_open: segments followed at once (hulls sharing an MMSI). 8.
        noise_max_fixes: a segment of at most this many fixes that overlaps a larger one in
            time is a position spike; its fixes are dropped with reason ``outlier``. 2.
    """

    section = "segment"

    max_gap_h: float = 24.0
    max_speed_knots: float = 30.0
    min_dt_s: float = 60.0
    max_open: int = 8
    noise_max_fixes: int = 2

    def validate(self) -> None:
        self.positive("max_gap_h", "max_speed_knots", "min_dt_s")
        self.at_least("max_open", 1)
        self.at_least("noise_max_fixes", 0)

    def apply(self, track: Track, clean: Clean | None = None) -> Track:
        """The track with ``clean_reason``, ``segment`` (int32, -1 = dropped) and ``primary`` columns."""
        out = prepare(TrackCollection(track.table, sorted=True), clean or Clean(), self)
        return Track(out, sorted=True)

    def split(self, track: Track) -> list[Track]:
        """Cleaned fixes as one :class:`Track` per segment, in order of first fix."""
        t = self.apply(track).table
        t = t.filter(pc.greater_equal(t["segment"], 0))
        return [Track(t.filter(pc.equal(t["segment"], s)), sorted=True)
                for s in sorted(pc.unique(t["segment"]).to_pylist())]


@dataclass(frozen=True)
class Resample(Params):
    """Positions every ``step_min`` minutes by linear interpolation inside a track.

    Attributes:
        step_min: slot length, minutes; slots are aligned to multiples of it since the epoch. 10.
        max_gap_h: no slot is invented between fixes further apart than this. 2 h.
        min_dt_s: time-step floor for the slot speed. 60 s.
    """

    section = "resample"

    step_min: float = 10.0
    max_gap_h: float = 2.0
    min_dt_s: float = 60.0

    def validate(self) -> None:
        self.positive("step_min", "max_gap_h", "min_dt_s")

    def apply(self, track: Track) -> pa.Table:
        a = track.arrays()
        ok = ~(np.isnan(a["lat"]) | np.isnan(a["lon"]))
        off = np.array([0, int(ok.sum())], np.int64)
        _, slot, lat, lon, spd, _, _ = K.resample_fill(off, a["t"][ok], a["lat"][ok], a["lon"][ok],
                                                 int(self.step_min * 60_000), int(self.max_gap_h * 3_600_000),
                                                 self.min_dt_s, np.ones(1, np.bool_))
        step = int(self.step_min * 60_000)
        return pa.table({
            "timestamp": pa.array(slot * step, pa.timestamp("ms", tz="UTC")),
            "lat": lat, "lon": lon, "speed_kn": spd,
        })


def params_dict(obj: object) -> dict:
    return asdict(obj)  # type: ignore[call-overload]


def clean_and_segment(tracks: TrackCollection, clean: Clean, segment: Segment,
                      arrays: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position: the reason code (index into :data:`~harborwatch.tracks.kernels.CLEAN_REASONS`,
    int8), the segment id (int32 per vessel, -1 for dropped fixes) and whether the segment is
    the vessel's primary one (bool; false on a second hull). ``arrays``: the collection's
    :func:`~harborwatch.tracks.track.kernel_arrays`, when the caller has them already."""
    a = arrays if arrays is not None else kernel_arrays(tracks.table)
    return K.clean_segment_batch(
        tracks.offsets, a["t"], a["lat"], a["lon"], a["sog"], a["cog"], a["sat"], int(clean.clock_offset_s * 1000),
        int(segment.max_gap_h * 3_600_000), segment.max_speed_knots, segment.min_dt_s, segment.max_open,
        segment.noise_max_fixes)


def prepare(tracks: TrackCollection, clean: Clean, segment: Segment) -> pa.Table:
    """Clean and segment every vessel; returns the table with three columns added.

    ``clean_reason`` (string; ``kept`` or why the fix was dropped), ``segment`` (int32 per
    vessel, -1 for dropped fixes) and ``primary`` (bool; false on a second hull's segment).
    """
    code, seg, prim = clean_and_segment(tracks, clean, segment)
    reasons = pa.DictionaryArray.from_arrays(pa.array(code, pa.int8()), pa.array(K.CLEAN_REASONS))
    return (tracks.table.append_column("clean_reason", pc.cast(reasons, pa.string()))
            .append_column("segment", pa.array(seg, pa.int32()))
            .append_column("primary", pa.array(prim, pa.bool_())))


__all__ = ["Clean", "Resample", "Segment", "clean_and_segment", "params_dict", "prepare", "vessel_offsets"]
