"""Arrow columns from NumPy ones, and the content helpers normalisation shares.

Pure functions over arrays (no I/O): wrapping NumPy columns and validity masks as Arrow arrays
without copying, repeated text, and the runs of repeated static attributes
(:func:`static_runs`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from harborwatch.core import schema as S
from harborwatch.ingest import validate as V

#: The int64 stand-in for a missing time.
TS_MISSING = np.iinfo(np.int64).min


def ts_array(ms: np.ndarray) -> pa.Array:
    mask = ms == TS_MISSING
    return pa.array(np.where(mask, 0, ms), type=pa.int64(), mask=mask).cast(S.TIMESTAMP)


def nullable(values: np.ndarray, typ: pa.DataType, missing: int = -1) -> pa.Array:
    if values.dtype.kind == "f":
        mask = np.isnan(values)
        return pa.array(np.where(mask, 0, values), mask=mask).cast(typ, safe=False)
    mask = values == missing
    return pa.array(np.where(mask, 0, values), mask=mask).cast(typ, safe=False)


def text_array(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string(), from_pandas=True)


def repeat(value: str | None, n: int) -> pa.Array:
    """``n`` copies of one text value, built from its offsets and bytes directly (``pa.repeat``
    of a string scalar costs about 7 us a row)."""
    if value is None:
        return pa.nulls(n, pa.string())
    b = value.encode()
    if not b or len(b) * n >= 2**31:
        return pa.repeat(pa.scalar(value, pa.string()), n)
    offsets = np.arange(0, (n + 1) * len(b), len(b), dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(b * n)])


def arrow(values: np.ndarray, typ: pa.DataType, valid: np.ndarray | None = None) -> pa.Array:
    """Wrap a NumPy column (and a validity mask) as an Arrow array without copying the values."""
    bitmap = None
    nulls = 0
    if valid is not None:
        nulls = int(len(valid) - np.count_nonzero(valid))
        if nulls:
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    if typ == pa.bool_():
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values))
    return pa.Array.from_buffers(typ, len(values), [bitmap, data], null_count=nulls)


@cache
def null_text_hash() -> np.uint64:
    """The hash of a null text value (hashed like the NUL character); on first use, not at
    import (the kernel would load then)."""
    return V.hash_text(pa.array(["\x00"]))[0]


def static_runs(mmsi: np.ndarray, ts: np.ndarray, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows to keep of a batch's repeated static attributes, and the reports each stands for.

    A run is a vessel's consecutive rows (by time; equal times in input order) with one
    ``content`` hash. Its first row stands for all but the last report, its last row for itself,
    so the first and last times of every value, and the count of reports, are kept. Returns
    (kept rows in input order, reports of each)."""
    n = len(mmsi)
    # stable: equal (mmsi, time) keep their input order; rows already in time order (exports
    # usually are) need the vessel key only
    if (np.diff(ts) >= 0).all():
        codes = pd.factorize(mmsi)[0]  # a few thousand vessels: a radix sort of 16-bit codes
        o = np.argsort(codes.astype(np.int16) if len(codes) and codes.max() < 2**15 else codes, kind="stable")
    else:
        o = np.lexsort((ts, mmsi))
    m, c = mmsi[o], content[o]
    brk = np.ones(n, dtype=bool)
    brk[1:] = (m[1:] != m[:-1]) | (c[1:] != c[:-1])
    start = np.flatnonzero(brk)
    end = np.append(start[1:], n) - 1
    long = end > start
    rep = np.zeros(n, dtype=np.int32)
    rep[start] = np.where(long, end - start, 1)
    rep[end[long]] = 1
    keep = np.zeros(n, dtype=bool)
    keep[o] = rep > 0
    reports = np.zeros(n, dtype=np.int32)
    reports[o] = rep
    rows = np.flatnonzero(keep)
    return rows, reports[rows]


__all__ = ["TS_MISSING", "arrow", "null_text_hash", "nullable", "repeat", "static_runs", "text_array",
           "ts_array"]
