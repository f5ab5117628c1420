"""GeoParquet points without a geometry library: WKB written by NumPy, the ``geo`` metadata by hand.

Every GeoParquet file harborwatch writes (event files, the Parquet lake of ``store export
--lake``) carries a ``geometry`` column of little-endian WKB points (lon, lat; WGS 84) and the
GeoParquet 1.1 ``geo`` key in its schema metadata, so QGIS, GeoPandas and DuckDB's spatial
extension read it as geometry. The bytes depend only on the coordinates, so the same rows give
the same file.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: one WKB point: byte order (1 = little-endian), geometry type (1 = Point), x, y
_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _f64(a: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """Floats, null as NaN."""
    if isinstance(a, np.ndarray):
        return a.astype(np.float64)
    arr = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pc.fill_null(arr.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)


def wkb_points(lat: pa.Array | pa.ChunkedArray | np.ndarray, lon: pa.Array | pa.ChunkedArray | np.ndarray
               ) -> pa.Array:
    """WKB points (binary) of (lon, lat); null where either is null or NaN."""
    la, lo = _f64(lat), _f64(lon)
    n = len(la)
    rec = np.zeros(n, _WKB)
    rec["order"], rec["type"], rec["x"], rec["y"] = 1, 1, lo, la
    valid = ~(np.isnan(la) | np.isnan(lo))
    offsets = np.arange(n + 1, dtype=np.int32) * _WKB.itemsize
    mask = pa.array(valid).buffers()[1] if not valid.all() else None
    return pa.BinaryArray.from_buffers(pa.binary(), n, [mask, pa.py_buffer(offsets.tobytes()),
                                                        pa.py_buffer(rec.tobytes())], null_count=int(n - valid.sum()))


def geo_metadata(column: str = "geometry") -> bytes:
    """The GeoParquet 1.1 ``geo`` metadata value for one WKB point column in WGS 84."""
    meta = {"version": "1.1.0", "primary_column": column,
            "columns": {column: {"encoding": "WKB", "geometry_types": ["Point"]}}}
    return json.dumps(meta, sort_keys=True).encode()


def with_points(t: pa.Table, lat: str = "lat", lon: str = "lon", column: str = "geometry") -> pa.Table:
    """``t`` with a WKB point column of its ``lat``/``lon`` and the ``geo`` metadata."""
    t = t.append_column(column, wkb_points(t[lat], t[lon]))
    md = dict(t.schema.metadata or {})
    md[b"geo"] = geo_metadata(column)
    return t.replace_schema_metadata(md)


__all__ = ["geo_metadata", "with_points", "wkb_points"]
