"""Encounter points of an out-of-core run, spilled to disk by slot window.

The out-of-core local engine resamples each MMSI range's tracks to encounter slots
(:data:`~harborwatch.events.schema.POINTS`), as the in-memory engine does, but it does not keep
them: :class:`PointSpill` appends them to one Arrow IPC file per window of slots. Pairs form
within one slot, so the join then reads one window at a time
(:func:`~harborwatch.events.rules.encounters.close_pairs`), and only the close pairs, far fewer
than the points, stay in memory for the per-pair stage.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from harborwatch.events.schema import POINTS


class PointSpill:
    """POINTS tables appended by slot window: window ``k`` holds the slots in
    ``[edges[k - 1], edges[k])`` (``edges`` ascending; the first and last windows are open)."""

    def __init__(self, edges: np.ndarray, directory: str | Path | None = None) -> None:
        self.edges = np.asarray(edges, np.int64)
        self._tmp = tempfile.TemporaryDirectory(prefix="harborwatch-spill-", dir=directory)
        self.dir = Path(self._tmp.name)
        self._writers: dict[int, ipc.RecordBatchStreamWriter] = {}
        self._closed = False

    def add(self, points: pa.Table) -> None:
        if points.num_rows == 0:
            return
        points = points.cast(POINTS)
        w = np.searchsorted(self.edges, points["slot"].to_numpy(zero_copy_only=False), side="right")
        for k, rows in groups(w):
            if k not in self._writers:
                self._writers[k] = ipc.new_stream(str(self.dir / f"w{k:05d}.arrows"), POINTS)
            self._writers[k].write_table(points.take(pa.array(rows)))

    def windows(self) -> Iterator[pa.Table]:
        """Each window's points (in no particular order), one window in memory at a time."""
        self._close_writers()
        for k in sorted(self._writers):
            with ipc.open_stream(str(self.dir / f"w{k:05d}.arrows")) as r:
                yield r.read_all()

    def _close_writers(self) -> None:
        if not self._closed:
            for w in self._writers.values():
                w.close()
            self._closed = True

    def close(self) -> None:
        self._close_writers()
        self._tmp.cleanup()

    def __enter__(self) -> PointSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def groups(key: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(value, rows)`` for each distinct value of an integer key, ascending; rows in their
    order (a stable sort, no hashing)."""
    order = np.argsort(key, kind="stable")
    ks = key[order]
    cuts = np.flatnonzero(np.diff(ks)) + 1
    for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(ks)]]), strict=True):
        yield int(ks[a]), order[a:b]


def slot_edges(first_ms: int, last_ms: int, step_ms: int, windows: int) -> np.ndarray:
    """Inner edges of ``windows`` windows of equal length over the slots from ``first_ms`` to
    ``last_ms`` (slot = time // step)."""
    lo, hi = first_ms // step_ms, last_ms // step_ms + 1
    return np.unique(np.linspace(lo, hi, max(windows, 1) + 1).astype(np.int64)[1:-1])


__all__ = ["PointSpill", "groups", "slot_edges"]
