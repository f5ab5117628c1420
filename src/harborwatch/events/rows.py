"""Event rows as every rule writes them: column buffers, attribute JSON, evidence ranges, ids.

Nothing here knows the rule parameters: ids are computed through a :class:`Scope`, which the
stages' :class:`~harborwatch.events.context.Context` is."""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.ids import SEPARATOR, canonical_json, digests, encode_json, plain
from harborwatch.events import jsontext as JT
from harborwatch.events.kernels import copy_ranges
from harborwatch.events.schema import RAW, TS
from harborwatch.sites.catalogue import SiteIndex

H = 3_600_000  # ms per hour
DAY = 86_400_000


class Scope(Protocol):
    """What a rule needs of the run besides its own parameters (the stages'
    :class:`~harborwatch.events.context.Context` is one): the event types wanted, the port sites
    with their ids and names as coded columns, and the parameters JSON each type's ids hash."""

    types: frozenset[str]
    ports: SiteIndex

    def parameters(self, types: pa.Array | pa.ChunkedArray) -> pa.Array: ...

    def site_ids(self, rows: np.ndarray) -> pa.DictionaryArray: ...

    def site_names(self, rows: np.ndarray) -> pa.DictionaryArray: ...


def event_ids(t: pa.Table, ctx: Scope) -> pa.Array:
    """``event_id`` of each event row (type, mmsi, mmsi_2, site_id, start, end): the first 32
    hex digits of SHA-256 over those and the type's parameters (:meth:`Scope.parameters`),
    joined by ``|``; times as epoch milliseconds, nulls as ``None``. Reruns give the same ids."""
    if t.num_rows == 0:
        return pa.array([], pa.string())

    def text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
        return pc.fill_null(pc.cast(col, pa.string()), "None")  # as Python's str() writes them

    key = pc.binary_join_element_wise(
        t["type"], text(t["mmsi"]), text(t["mmsi_2"]), text(t["site_id"]), text(pc.cast(t["start"], pa.int64())),
        text(pc.cast(t["end"], pa.int64())), ctx.parameters(t["type"]), SEPARATOR)
    return pa.array(digests(pc.cast(key, pa.binary()).to_pylist()), pa.string())


def coded(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """A column of ``dictionary[indices]`` without a Python object per row; index -1 is null."""
    idx = np.asarray(indices, np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32(), mask=idx < 0), dictionary)


def _float_json(x: float) -> str:
    """One float as :func:`canonical_json` writes it (rounded to 6 decimals; NaN as null)."""
    if x != x:
        return "null"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(round(x, 6))


def track_labels(hull: np.ndarray) -> pa.DictionaryArray:
    """The ``track`` attribute of events: "main" for hull 0, "hull k" for the k-th other hull's
    segment of an MMSI."""
    u, inv = np.unique(np.asarray(hull, np.int64), return_inverse=True)
    return coded(inv.reshape(-1), pa.array(["main" if h == 0 else f"hull {h}" for h in u.tolist()], pa.string()))


def _codes(v: Any, n: int, code_of) -> np.ndarray:
    """Dictionary codes (see :func:`json_objects`) of a column of Python values, or of a scalar
    shared by every row."""
    if isinstance(v, pa.DictionaryArray):  # encode only the entries used
        idx = pc.fill_null(v.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        used, inv = np.unique(idx, return_inverse=True)
        d = v.dictionary
        table = np.array([code_of("null") if k < 0 else code_of(encode_json(plain(d[k].as_py())))
                          for k in used.tolist()],
                         np.int64)
        return table[inv.reshape(-1)]
    if isinstance(v, pa.Array):
        v = v.to_pylist()
    if isinstance(v, np.ndarray):
        if v.dtype == np.bool_:
            return np.where(v, code_of("true"), code_of("false")).astype(np.int64)
        v = v.tolist()
    if not isinstance(v, list):
        return np.full(n, code_of(encode_json(plain(v))), np.int64)
    try:
        arr = pa.array(v)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_null(arr.type)):
        # texts (and None): encode each distinct one once
        d = arr.dictionary_encode()
        table = np.array([code_of(encode_json(x)) for x in d.dictionary.to_pylist()] + [code_of("null")], np.int64)
        return table[pc.fill_null(d.indices, len(d.dictionary)).to_numpy(zero_copy_only=False)]
    cache: dict[Any, int] = {}
    out = np.empty(n, np.int64)
    for i, x in enumerate(v):
        key = (x.__class__, x)  # True == 1 == 1.0, but their JSON differs
        try:
            out[i] = cache[key]
        except KeyError:
            cache[key] = out[i] = code_of(encode_json(plain(x)))
        except TypeError:  # unhashable (a list or dict value)
            out[i] = code_of(encode_json(plain(x)))
    return out


def json_objects(n: int, attributes: dict[str, Any]) -> pa.StringArray:
    """:func:`canonical_json` of ``n`` objects given as columns (arrays or lists of length ``n``,
    or scalars shared by every row), as an Arrow string array; the same text, written by
    :func:`harborwatch.events.jsontext.json_rows` without a Python object per value.

    Float arrays use NaN for null; ``datetime64`` arrays are written as ISO 8601 UTC texts to
    the second (``2023-07-26T00:00:00Z``), NaT as null."""
    if n == 0:
        return pa.array([], pa.string())
    texts: list[bytes] = []
    known: dict[str, int] = {}

    def code_of(text: str) -> int:
        c = known.get(text)
        if c is None:
            c = known[text] = len(texts)
            texts.append(text.encode())  # ASCII: json escapes the rest
        return c

    names = sorted(attributes)
    nk = len(names)
    kind = np.full(nk, JT.CODE, np.int8)
    fvals = np.zeros((nk, n), np.float64)
    ivals = np.zeros((nk, n), np.int64)
    codes = np.full((nk, n), -1, np.int64)
    keys = np.empty(nk, np.int64)
    width = 2 + nk
    for k, name in enumerate(names):
        keys[k] = code_of(encode_json(name) + ":")
        width += len(texts[keys[k]])
        v = attributes[name]
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            x = np.ascontiguousarray(v, np.float64)
            kind[k], fvals[k] = JT.FLOAT, x
            slow = np.flatnonzero(JT.float_fallback(x))
            if len(slow):
                codes[k, slow] = [code_of(_float_json(t)) for t in x[slow].tolist()]
            used = np.unique(codes[k, slow])
            width += max([JT.FLOAT_WIDTH] + [len(texts[c]) for c in used.tolist()])
        elif isinstance(v, np.ndarray) and v.dtype.kind == "M":  # times: ISO 8601 UTC text, NaT null
            ms = v.astype("datetime64[ms]").view(np.int64)
            kind[k], ivals[k] = JT.TIME, ms
            nat = np.isnat(v)
            slow = np.flatnonzero(JT.time_fallback(ms) & ~nat)
            codes[k, nat] = code_of("null")
            if len(slow):
                codes[k, slow] = [code_of(encode_json(x + "Z")) for x in
                                  np.datetime_as_string(v[slow].astype("datetime64[ms]"), unit="s").tolist()]
            used = np.unique(codes[k, slow])
            width += max([JT.TIME_WIDTH] + [len(texts[c]) for c in used.tolist()])
        elif isinstance(v, np.ndarray) and v.dtype.kind in "iu" and (len(v) == 0 or int(v.max()) < 2**63):
            kind[k], ivals[k] = JT.INT, v
            width += JT.INT_WIDTH
        else:
            codes[k] = _codes(v, n, code_of)
            used = np.unique(codes[k])
            width += max(len(texts[c]) for c in used.tolist())
    lens = np.array([len(t) for t in texts], np.int64)
    doff = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lens, out=doff[1:])
    dbuf = np.frombuffer(b"".join(texts), np.uint8)
    buf, offsets = JT.json_rows(kind, fvals, ivals, codes, dbuf, doff, keys, width)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def changes(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per row: whether its value differs from the previous row's (row 0: True; two nulls are
    equal). Runs of equal values can then be handled once, by their first row."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    new = np.ones(n, bool)
    if n > 1 and pa.types.is_null(col.type):  # nothing but nulls
        new[1:] = False
    elif n > 1:
        a, b = col.slice(0, n - 1), col.slice(1)
        same = pc.or_kleene(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
        new[1:] = ~same.to_numpy(zero_copy_only=False)
    return new


def ranges(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> pa.ListArray:
    """List array whose row ``k`` is ``values[first[k]:last[k] + 1]`` (evidence of many events)."""
    first = np.asarray(first, np.int64)
    lens = np.asarray(last, np.int64) - first + 1
    offsets = np.zeros(len(first) + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    out = np.empty(int(offsets[-1]), np.uint64)
    copy_ranges(out, offsets[:-1], np.asarray(values).astype(np.uint64, copy=False), first, lens)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(out, pa.uint64()))


def take_lists(lists: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``lists`` (a chunked list<uint64> column) at ``rows``, gathered in one pass from the
    chunks (Arrow's take would first concatenate every chunk); nulls stay null."""
    rows = np.asarray(rows, np.int64)
    chunks = [c for c in lists.chunks if len(c)]
    if not chunks or any(c.null_count for c in chunks):
        return lists.take(pa.array(rows)).combine_chunks() if len(rows) else pa.array([], lists.type)
    base = np.cumsum([0] + [len(c) for c in chunks])
    which = np.searchsorted(base, rows, side="right") - 1
    local = rows - base[which]
    start = np.empty(len(rows), np.int64)
    lens = np.empty(len(rows), np.int64)
    for k, c in enumerate(chunks):
        sel = np.flatnonzero(which == k)
        off = c.offsets.to_numpy().astype(np.int64)
        start[sel] = off[local[sel]]
        lens[sel] = off[local[sel] + 1] - start[sel]
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    values = np.empty(int(offsets[-1]), np.uint64)
    for k, c in enumerate(chunks):
        sel = np.flatnonzero(which == k)
        src = c.values.to_numpy(zero_copy_only=False).astype(np.uint64, copy=False)
        copy_ranges(values, offsets[:-1][sel], src, start[sel], lens[sel])
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values, pa.uint64()))


def _nullable_float(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, np.float64)
    return pa.array(x, pa.float64(), mask=np.isnan(x))


#: :data:`RAW` without the ids, which :meth:`EventRows.table` adds.
_ROWS = pa.schema([f for f in RAW if f.name != "event_id"])


class EventRows:
    """Column buffers for RAW rows: one event at a time (:meth:`add`) or many (:meth:`extend`)."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {f.name: [] for f in _ROWS if f.name != "evidence"}
        self._evidence: list[np.ndarray] = []
        self._batches: list[pa.Table] = []

    def extend(self, type: str, mmsi: np.ndarray, start: np.ndarray, end: np.ndarray, lat: np.ndarray,
               lon: np.ndarray, evidence: pa.ListArray, attributes: dict[str, Any],
               mmsi_2: np.ndarray | None = None, site_id: list | pa.Array | None = None,
               confidence: np.ndarray | None = None) -> None:
        """Many events of one type as columns; ``lat``/``lon`` NaN and ``site_id`` None are null.

        ``attributes`` maps each key to a column or a scalar (see :func:`json_objects`)."""
        n = len(mmsi)
        if n == 0:
            return
        self._batches.append(pa.table({
            "type": pa.array([type] * n, pa.string()),
            "mmsi": pa.array(np.asarray(mmsi, np.int64), pa.uint32()),
            "mmsi_2": pa.nulls(n, pa.uint32()) if mmsi_2 is None else pa.array(np.asarray(mmsi_2, np.int64),
                                                                                  pa.uint32()),
            "start": pa.array(np.asarray(start, np.int64), TS),
            "end": pa.array(np.asarray(end, np.int64), TS),
            "lat": _nullable_float(lat), "lon": _nullable_float(lon),
            "site_id": pa.nulls(n, pa.string()) if site_id is None else (
                site_id.cast(pa.string()) if isinstance(site_id, pa.Array) else pa.array(site_id, pa.string())),
            "confidence": pa.nulls(n, pa.int8()) if confidence is None else pa.array(np.asarray(confidence),
                                                                                     pa.int8()),
            "attributes": json_objects(n, attributes),
            "evidence": evidence,
        }, schema=_ROWS))

    def add(self, type: str, mmsi: int, start: int, end: int, lat: float | None, lon: float | None,
            evidence: Any, attributes: dict, mmsi_2: int | None = None, site_id: str | None = None,
            confidence: int | None = None) -> None:
        c = self.cols
        c["type"].append(type)
        c["mmsi"].append(int(mmsi))
        c["mmsi_2"].append(None if mmsi_2 is None else int(mmsi_2))
        c["start"].append(int(start))
        c["end"].append(int(end))
        c["lat"].append(None if lat is None or math.isnan(lat) else float(lat))
        c["lon"].append(None if lon is None or math.isnan(lon) else float(lon))
        c["site_id"].append(site_id)
        c["confidence"].append(confidence)
        c["attributes"].append(canonical_json(attributes))
        self._evidence.append(np.asarray(evidence, dtype=np.uint64).reshape(-1))

    def table(self, ctx: Scope) -> pa.Table:
        """The events as :data:`RAW` rows, with their ids (:func:`event_ids`)."""
        ev = self._evidence
        offsets = np.zeros(len(ev) + 1, np.int32)
        np.cumsum([len(e) for e in ev], out=offsets[1:])
        values = np.concatenate(ev) if ev else np.zeros(0, np.uint64)
        cols = dict(self.cols)
        cols["evidence"] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint64()))
        rows = pa.table({f.name: cols[f.name] for f in _ROWS}, schema=_ROWS)
        if self._batches:
            rows = pa.concat_tables([rows, *self._batches]).combine_chunks()
        return rows.add_column(0, RAW.field("event_id"), event_ids(rows, ctx))


def empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()
