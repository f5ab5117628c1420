"""A partition's kept fixes as arrays: what every per-vessel rule reads.

:func:`fixes` cleans and segments a partition's positions (:mod:`harborwatch.tracks`) and
gathers the kept fixes ordered by (mmsi, hull, time); :class:`Tracks` adds what the rules share:
the nearest port site of every fix, the step from the previous fix, and per-track MMSI and hull.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.schema import STATIC
from harborwatch.events import kernels as EK
from harborwatch.events.rows import changes
from harborwatch.tracks import kernels as TK
from harborwatch.tracks.algorithms import Clean, Segment, clean_and_segment
from harborwatch.tracks.track import TrackCollection, is_ordered, kernel_arrays

#: Position columns the stages read (others are dropped before sorting, to move less data).
POSITION_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg", "receiver", "record_hash")
#: Static-report columns the stages read.
STATIC_COLUMNS = ("mmsi", "timestamp", "record_hash", "imo", "imo_valid", "name", "callsign", "flag", "draught_m",
                  "reports")


@dataclass(frozen=True)
class Fixes:
    """The kept fixes of a partition as arrays, ordered by (mmsi, hull, time): each vessel's main
    track (hull 0), then its second hulls. ``off`` marks where each track starts."""

    t: np.ndarray  # int64 ms since the epoch, UTC
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    sog: np.ndarray  # float64 knots, NaN when not reported
    mm: np.ndarray  # int64 MMSI
    hull: np.ndarray  # int64: 0 main track, k > 0 the k-th other hull's segment
    refs: np.ndarray  # uint64 record_hash
    receiver: np.ndarray  # int64 receiver kind, index into ``receivers``
    receivers: tuple[str, ...]  # receiver kinds, sorted (a null kind is "unknown")
    off: np.ndarray  # int64 track offsets

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class Near:
    """Per kept fix (:class:`Fixes`): metres to the nearest port site (inf beyond the index's
    range), that site's row (-1: none), and metres from the previous fix of its track."""

    dist: np.ndarray
    site: np.ndarray
    step: np.ndarray


@dataclass(frozen=True)
class Tracks:
    """What the per-vessel rules read: the fixes, their port distances and steps, each track's
    MMSI and hull (``trk_mmsi[k]``, ``trk_hull[k]`` for track ``k``), and the time-step floor of
    implied speeds (``min_dt_s``, from :class:`~harborwatch.tracks.algorithms.Segment`)."""

    fx: Fixes
    near: Near
    trk_mmsi: np.ndarray
    trk_hull: np.ndarray
    min_dt_s: float

    @classmethod
    def of(cls, fx: Fixes, near: Near, min_dt_s: float) -> Tracks:
        first = fx.off[:-1]
        return cls(fx, near, fx.mm[first], fx.hull[first], min_dt_s)


def fixes(positions: pa.Table, clean: Clean, segment: Segment) -> tuple[Fixes, Fixes]:
    """Clean and segment a partition's positions: (kept fixes, spikes dropped as outliers)."""
    tc = TrackCollection(positions.select([c for c in POSITION_COLUMNS if c in positions.column_names]))
    tab = tc.table
    a = kernel_arrays(tab)
    code, seg, prim = clean_and_segment(tc, clean, segment, a)
    mm = tab["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    refs = tab["record_hash"].to_numpy(zero_copy_only=False).astype(np.uint64)
    receiver, receivers = receiver_codes(tab["receiver"])
    hull = np.where(prim, 0, seg.astype(np.int64) + 1)

    def pick(idx: np.ndarray) -> Fixes:
        t, la, lo, sog, m, h, r, rc, off = EK.gather_fixes(idx, a["t"], a["lat"], a["lon"], a["sog"], mm, hull, refs,
                                                          receiver)
        return Fixes(t, la, lo, sog, m, h, r, rc, receivers, off)

    keep = np.flatnonzero(seg >= 0)
    if not prim[keep].all():  # second hulls sort after the main track of their MMSI
        keep = keep[np.argsort(mm[keep] * 1_000_000 + hull[keep], kind="stable")]
    return pick(keep), pick(np.flatnonzero(code == TK.OUTLIER))


def receiver_codes(col: pa.ChunkedArray) -> tuple[np.ndarray, tuple[str, ...]]:
    """(code per row, receiver kinds sorted): a null kind is "unknown". Consecutive reports
    mostly share a kind, so only the first of each run of equal values is encoded."""
    col = col.combine_chunks()
    heads = np.flatnonzero(changes(col))
    d = col.take(pa.array(heads)).dictionary_encode()
    kinds = [x or "unknown" for x in d.dictionary.to_pylist()] + ["unknown"]
    names = sorted(set(kinds))
    remap = np.array([names.index(x) for x in kinds], np.int64)
    codes = remap[pc.fill_null(d.indices, len(kinds) - 1).to_numpy(zero_copy_only=False).astype(np.int64)]
    return np.repeat(codes, np.diff(np.append(heads, len(col)))), tuple(names)


def prepare_static(static: pa.Table | None, empty: bool = False) -> pa.Table | None:
    """The static columns the stages read, with the store's types (DuckDB and Spark hand back
    microsecond times), ordered by (mmsi, timestamp, record_hash); None when there are none
    (an empty table when ``empty``). ``reports`` is never null."""
    if static is None or static.num_rows == 0:
        return pa.schema([STATIC.field(n) for n in STATIC_COLUMNS]).empty_table() if empty else None
    s = static
    for c in STATIC_COLUMNS:
        if c not in s.column_names:
            s = s.append_column(c, pa.nulls(s.num_rows, STATIC.field(c).type))
    s = s.select(list(STATIC_COLUMNS))
    s = s.cast(pa.schema([STATIC.field(n) for n in STATIC_COLUMNS]))
    if s["reports"].null_count:  # a store made before the column: one report a row
        s = s.set_column(s.column_names.index("reports"), "reports", pc.fill_null(s["reports"], 1))
    if not is_ordered(s):
        s = s.sort_by([("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")])
    return s


__all__ = ["POSITION_COLUMNS", "STATIC_COLUMNS", "Fixes", "Near", "Tracks", "fixes", "prepare_static",
           "receiver_codes"]
