"""Decoded records and their normalisation into the canonical tables.

Every reader (NMEA, CSV) fills one :class:`Decoded` batch: NumPy columns, one row per
input record, in source units already converted to the canonical ones (degrees, knots,
metres), with AIS sentinels still in place. :func:`normalize` then

1. maps "not available" sentinels to null, from :data:`harborwatch.core.schema.SENTINELS`
   (one table per message type);
2. checks ranges, timestamps and MMSIs; each failure becomes a quarantine row with a
   reason code (or a :class:`~harborwatch.core.errors.DataError` in strict mode);
3. routes every record to exactly one primary table (positions, static, stations,
   other_messages, quarantine) and computes its content hash.

The identity ``records_in == sum of primary rows`` holds for every batch by construction
and is asserted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from harborwatch.core import schema as S
from harborwatch.core.errors import DataError
from harborwatch.core.identifiers import MMSI_CLASS_NAMES, MMSI_VESSEL, imo_is_valid, mid_known
from harborwatch.ingest import validate as V
from harborwatch.ingest.checks import FieldIssue, implausible, issues_table, range_issues, time_bounds, time_detail
from harborwatch.ingest.columns import (
    TS_MISSING,
    arrow,
    null_text_hash,
    nullable,
    repeat,
    static_runs,
    text_array,
    ts_array,
)

POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATION_POSITION_TYPES = (4, 9, 21)
STATIC_TYPES = (5, 19, 24)

FLOAT_FIELDS = ("lat", "lon", "sog_kn", "cog_deg", "rot_deg_min", "length_m", "beam_m", "draught_m", "deadweight_t")
INT_FIELDS = ("heading_deg", "nav_status", "accuracy", "imo", "ship_type", "rot_raw", "altitude_m")
TEXT_FIELDS = ("name", "callsign", "destination", "ship_type_text", "flag", "reject_detail", "reject_field")


@dataclass
class Decoded:
    """Columns of ``n`` decoded records (NumPy; floats NaN = missing, ints -1 = missing).

    ``raw(indices)`` returns the raw text of those records (only called for the rows
    that need it: quarantined and undecoded messages). ``reject`` holds a reason code
    where the reader already rejected the record (checksum, incomplete multipart, ...).
    """

    ref: np.ndarray
    ts_ms: np.ndarray
    mmsi: np.ndarray
    msg_type: np.ndarray
    has_pos: np.ndarray
    has_static: np.ndarray
    raw: Callable[[np.ndarray], Sequence[str] | pa.Array]
    #: numeric columns as NumPy; text columns as NumPy object arrays or Arrow string arrays
    cols: dict[str, Any] = field(default_factory=dict)
    station: np.ndarray | pd.Categorical | pa.Array | None = None  # str per record (None = unknown)
    reject: np.ndarray | None = None  # object array of reason codes / None
    reject_mask: np.ndarray | None = None  # bool, reject != None (readers that have it pass it)
    #: (float matrix, int matrix) whose rows are the columns FLOAT_MATRIX / INT_MATRIX, if the reader has them
    matrices: tuple[np.ndarray, np.ndarray] | None = None
    #: content hash of undecoded messages (NMEA: the payload alone); None = hash the raw text
    content_hash: Callable[[np.ndarray], np.ndarray] | None = None
    #: optional fields the reader could not parse (already null in ``cols``)
    issues: list[FieldIssue] = field(default_factory=list)
    #: where the record's time was read, for messages about it
    time_source: str = "time"
    #: (raw texts, reasons) -> (fields, details), object arrays, of records the reader rejected
    #: (NMEA); called once a batch for those records, on the raw text normalisation gathers anyway
    #: for the quarantine
    explain: Callable[[pa.Array, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    def __len__(self) -> int:
        return len(self.ref)

    def take(self, name: str, idx: np.ndarray) -> np.ndarray:
        """Column ``name`` at rows ``idx``; an absent column yields all-missing values of len(idx)."""
        if name in self.cols:
            return self.cols[name][idx]
        return _missing(name, len(idx))

    def col(self, name: str) -> np.ndarray:
        """A column, created as all-missing on first use."""
        if name not in self.cols:
            self.cols[name] = _missing(name, len(self))
        return self.cols[name]


def _missing(name: str, n: int) -> np.ndarray:
    if name in FLOAT_FIELDS:
        return np.full(n, np.nan)
    if name in INT_FIELDS:
        return np.full(n, -1, dtype=np.int64)
    if name == "eta_ms":
        return np.full(n, TS_MISSING, dtype=np.int64)
    return np.full(n, None, dtype=object)


@dataclass
class NormalizedBatch:
    """One batch ready for the store: Arrow tables in the canonical schemas."""

    records_in: int
    positions: pa.Table
    static: pa.Table  # primary static records (static reports)
    static_secondary: pa.Table  # static attributes carried by position rows (CSV exports)
    stations: pa.Table
    other_messages: pa.Table
    quarantine: pa.Table
    mmsi_classes: Counter = field(default_factory=Counter)
    field_issues: pa.Table = field(default_factory=S.FIELD_ISSUES.empty_table)

    def primary_tables(self) -> dict[str, pa.Table]:
        return {
            "positions": self.positions,
            "static": self.static,
            "stations": self.stations,
            "other_messages": self.other_messages,
            "quarantine": self.quarantine,
        }


@dataclass(frozen=True)
class NormalizeOptions:
    source_file: str
    strict: bool = False
    receiver: str = "unknown"
    assume_time_ms: int | None = None
    #: plausible times (epoch ms): None = 2000-01-01, and a day after the clock
    min_time_ms: int | None = None
    max_time_ms: int | None = None


# ---------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------
def _eta_ms(d: Decoded, ts_ms: np.ndarray) -> None:
    """Turn ETA month/day/hour/minute (no year) into a UTC timestamp near the report time."""
    cols = d.cols
    if "eta_month" not in cols:
        return
    mo, dy, hr, mi = (cols.pop(k) for k in ("eta_month", "eta_day", "eta_hour", "eta_minute"))
    ok = (mo >= 1) & (mo <= 12) & (dy >= 1) & (dy <= 31) & (hr >= 0) & (hr < 24) & (mi >= 0) & (mi < 60)
    ok &= ts_ms != TS_MISSING
    eta = np.full(len(d), TS_MISSING, dtype=np.int64)
    if ok.any():
        idx = np.flatnonzero(ok)
        year = ts_ms[idx].astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970
        for bump in (0, 1):
            months = (year + bump - 1970) * 12 + (mo[idx] - 1)
            start = months.astype("datetime64[M]")
            days_in_month = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
            valid_day = dy[idx] <= days_in_month
            t = (
                start.astype("datetime64[D]")
                + (dy[idx] - 1).astype("timedelta64[D]")
                + (hr[idx] * 60 + mi[idx]).astype("timedelta64[m]")
            ).astype("datetime64[ms]").astype(np.int64)
            # an ETA more than ~half a year in the past is next year's
            use = valid_day & ((bump == 1) | (t >= ts_ms[idx] - 183 * 86_400_000))
            if bump == 0:
                eta[idx[use]] = t[use]
            else:
                late = (eta[idx] == TS_MISSING) & valid_day & (t - 366 * 86_400_000 < ts_ms[idx] - 183 * 86_400_000)
                eta[idx[late]] = t[late]
    d.cols["eta_ms"] = eta


def _station_array(d: Decoded, idx: np.ndarray) -> pa.Array:
    """Stations may be an object array or a pandas Categorical (codes into few names)."""
    if d.station is None:
        return pa.nulls(len(idx), pa.string())
    if isinstance(d.station, pa.Array):
        return d.station.take(pa.array(idx))
    if isinstance(d.station, pd.Categorical):
        codes = d.station.codes[idx]
        return pa.DictionaryArray.from_arrays(
            pa.array(codes, mask=codes < 0), pa.array(list(d.station.categories), pa.string())
        ).cast(pa.string())
    return text_array(d.station[idx])


FLOAT_MATRIX = ("lat", "lon", "sog_kn", "cog_deg", "length_m", "beam_m", "draught_m")
INT_MATRIX = ("heading_deg", "nav_status", "rot_raw", "imo", "ship_type")


def _field_matrices(d: Decoded) -> tuple[np.ndarray, np.ndarray]:
    """Stack the kernel's float fields (lat, lon, sog, cog, length, beam, draught) and int fields
    (heading, nav_status, rot_raw, imo, ship_type) as 2-D arrays, rows in FIELDS order.

    A reader that already holds them as rows of two matrices (``d.matrices``) is used as is."""
    if d.matrices is not None:
        return d.matrices
    n = len(d)
    fl = np.empty((7, n), dtype=np.float64)
    for row, name in enumerate(("lat", "lon", "sog_kn", "cog_deg", "length_m", "beam_m", "draught_m")):
        fl[row] = d.col(name)
    it = np.empty((5, n), dtype=np.int64)
    for row, name in enumerate(("heading_deg", "nav_status", "rot_raw", "imo", "ship_type")):
        if name == "rot_raw" and name not in d.cols:
            it[row] = -1000  # the source gives deg/min directly (or nothing)
        else:
            it[row] = d.col(name)
    return fl, it


def _unstack(d: Decoded, fl: np.ndarray, it: np.ndarray) -> None:
    for row, name in enumerate(("lat", "lon", "sog_kn", "cog_deg", "length_m", "beam_m", "draught_m")):
        d.cols[name] = fl[row]
    for row, name in enumerate(("heading_deg", "nav_status", "rot_raw", "imo", "ship_type")):
        d.cols[name] = it[row]


_REASON_NAMES = V.reason_names()
#: (matrix, row) of each range-checked field in the kernel's float and int matrices
_MATRIX_ROW = {**{f: (0, k) for k, f in enumerate(FLOAT_MATRIX)}, **{f: (1, k) for k, f in enumerate(INT_MATRIX)}}


def _range_values(fl: np.ndarray, it: np.ndarray):
    """Function (field, rows) -> the values as read, as text (before they are nulled)."""
    def value_of(f: str, rows: np.ndarray) -> list[str]:
        m, k = _MATRIX_ROW[f]
        v = (fl if m == 0 else it)[k, rows]
        return [repr(float(x)) for x in v] if m == 0 else [str(int(x)) for x in v]
    return value_of


def _null_out_of_range(bits: np.ndarray, fl: np.ndarray, it: np.ndarray) -> None:
    """Null, in place, the out-of-range optional fields flagged in ``bits`` (see V.validate)."""
    if not bits.any():
        return
    for j, f in enumerate(V.RANGE_FIELDS):
        rows = np.flatnonzero((bits >> np.uint32(j)) & np.uint32(1))
        if len(rows):
            m, k = _MATRIX_ROW[f]
            if m == 0:
                fl[k, rows] = np.nan
            else:
                it[k, rows] = -1


def normalize(d: Decoded, opt: NormalizeOptions) -> NormalizedBatch:
    n = len(d)
    pre = d.reject if d.reject is not None else np.full(n, None, dtype=object)
    pre_mask = d.reject_mask if d.reject_mask is not None else pre != None  # noqa: E711
    rfields = d.cols.pop("reject_field", np.full(n, None, dtype=object))
    details = d.cols.pop("reject_detail", np.full(n, None, dtype=object))

    ts = d.ts_ms.copy()
    if opt.assume_time_ms is not None:
        ts[ts == TS_MISSING] = opt.assume_time_ms
    fl, it = _field_matrices(d)
    rot = d.col("rot_deg_min")
    code = np.empty(n, dtype=np.int16)
    mclass = np.empty(n, dtype=np.int8)
    pos_hash = np.empty(n, dtype=np.uint64)
    bits = np.zeros(n, dtype=np.uint32)
    V.validate(d.msg_type.astype(np.int64, copy=False), d.mmsi.astype(np.int64, copy=False), ts, d.has_pos,
               pre_mask, fl, it, rot, V.SENT_START, V.SENT_FIELD, V.SENT_VALUE, V.KNOWN_TYPE, V.LO, V.HI, V.RANGE_COL,
               V.RANGE_POS, V.RANGE_ESSENTIAL, mid_known(), code, mclass, pos_hash, bits)
    t_lo, t_hi = time_bounds(opt.min_time_ms, opt.max_time_ms)
    code[(code == V.OK) & implausible(ts, t_lo, t_hi)] = V.IMPLAUSIBLE_TIME
    issues = list(d.issues) + range_issues(bits, code == V.OK, V.RANGE_FIELDS, _range_values(fl, it))
    _null_out_of_range(bits, fl, it)
    _unstack(d, fl, it)
    _eta_ms(d, ts)

    rejected = code != V.OK
    reasons = pre.copy()
    new = np.flatnonzero(rejected & ~pre_mask)
    if len(new):
        reasons[new] = _REASON_NAMES[code[new]]
        for i in new.tolist():
            rfields[i], details[i] = _why(d, i, int(code[i]), ts, t_lo, t_hi)
    rej_idx = np.flatnonzero(rejected)
    rej_raw = _raw_array(d, rej_idx)  # gathered once: for the reader's explanations and the quarantine rows
    if d.explain is not None:  # the reader's own reasons, explained from the raw text
        ask = pre_mask[rej_idx] & (details[rej_idx] == None)  # noqa: E711
        if ask.any():
            at = rej_idx[ask]
            rfields[at], details[at] = d.explain(rej_raw.filter(pa.array(ask)), reasons[at])
    if opt.strict:
        _raise_first(d, opt, rejected, reasons, rfields, details, issues)

    mt = d.msg_type
    has_pos, has_static = d.has_pos, d.has_static
    ok = ~rejected
    is_vessel = mclass == MMSI_VESSEL
    # base station, SAR aircraft and aid-to-navigation reports are station rows whatever the MMSI
    # (a type 4 or 21 from a ship-like MMSI keeps its position and name queryable)
    station_kind = ok & ((~is_vessel & (has_pos | has_static)) | np.isin(mt, STATION_POSITION_TYPES))
    pos_rows = ok & is_vessel & has_pos
    static_rows = ok & is_vessel & has_static & ~has_pos
    secondary_rows = ok & is_vessel & has_static & has_pos
    other_rows = ok & ~pos_rows & ~static_rows & ~station_kind

    cls, cnt = np.unique(mclass[ok], return_counts=True)
    counts = Counter({MMSI_CLASS_NAMES[int(c)]: int(k) for c, k in zip(cls, cnt, strict=True)})
    pidx, sidx, stidx = np.flatnonzero(pos_rows), np.flatnonzero(static_rows), np.flatnonzero(station_kind)
    batch = NormalizedBatch(
        records_in=n,
        positions=_positions(d, pidx, ts, pos_hash[pidx], opt),
        static=_static(d, sidx, ts, opt),
        static_secondary=_static(d, np.flatnonzero(secondary_rows), ts, opt, runs=True),
        stations=_stations(d, stidx, ts, mclass, opt),
        other_messages=_other(d, np.flatnonzero(other_rows), ts, opt),
        quarantine=_quarantine(d, rej_idx, rej_raw, reasons, rfields, details, opt),
        mmsi_classes=counts,
    )
    if issues:  # each issue row is keyed by its stored record
        rec_hash = np.zeros(n, np.uint64)
        for idx, t in ((pidx, batch.positions), (sidx, batch.static), (stidx, batch.stations)):
            if len(idx):
                rec_hash[idx] = t["record_hash"].to_numpy()
        batch.field_issues = issues_table(issues, pos_rows | static_rows | station_kind, rec_hash, d.ref,
                                          opt.source_file)
    total = sum(t.num_rows for t in batch.primary_tables().values())
    assert total == n, f"accounting broken: {total} != {n}"
    return batch


def _why(d: Decoded, i: int, c: int, ts: np.ndarray, t_lo: int, t_hi: int) -> tuple[str, str]:
    """(field, detail) of record ``i`` rejected by the normaliser with code ``c``."""
    if c == V.IMPLAUSIBLE_TIME:
        return "timestamp", time_detail(int(ts[i]), t_lo, t_hi, d.time_source)
    if c == V.NO_TIMESTAMP:
        return "timestamp", "no time in the record (no tag block c:, no time column); pass --assume-time to ingest it"
    if c in (V.MMSI_BAD, V.MMSI_MID):
        mi = int(d.mmsi[i])
        return "mmsi", (f"mmsi={mi} is not a valid MMSI" if c == V.MMSI_BAD
                        else f"mmsi={mi:09d}: MID {mi // 1_000_000} is not allocated")
    f = str(_REASON_NAMES[c]).removesuffix("_out_of_range")
    lo, hi = S.RANGES[f]
    return f, f"{f}={d.cols[f][i]} not in [{lo}, {hi}]"


def _raise_first(d: Decoded, opt: NormalizeOptions, rejected: np.ndarray, reasons: np.ndarray, rfields: np.ndarray,
                 details: np.ndarray, issues: list[FieldIssue]) -> None:
    """Strict mode: the first rejected record, else the first unusable field, as a DataError."""
    if rejected.any():
        first = int(np.flatnonzero(rejected)[0])
        raw_text = _raw_array(d, np.array([first]))[0].as_py()
        raise DataError(
            f"{details[first] or reasons[first]}; record: {raw_text[:120]!r}",
            source=opt.source_file, ref=int(d.ref[first]), reason=str(reasons[first]), field=rfields[first],
            hint="run without --strict to quarantine bad records and continue",
        )
    if issues:
        fi = min(issues, key=lambda x: int(x.rows[0]))
        r = int(fi.rows[0])
        raise DataError(f"{fi.field}={fi.values[0]!r} cannot be used ({fi.reason}); lenient mode stores the record "
                        "with the field null", source=opt.source_file, ref=int(d.ref[r]), reason=fi.reason,
                        field=fi.field, hint="run without --strict to store such records and count the field")


def _provenance(d: Decoded, idx: np.ndarray, h: np.ndarray, opt: NormalizeOptions) -> list[pa.Array]:
    return [repeat(opt.source_file, len(idx)), pa.array(d.ref[idx], pa.int64()), pa.array(h, pa.uint64())]


def _positions(d: Decoded, idx: np.ndarray, ts: np.ndarray, h: np.ndarray, opt: NormalizeOptions) -> pa.Table:
    n = len(idx)
    fl, it = d.matrices if d.matrices is not None else _field_matrices(d)
    cols = {name: np.empty(n, dtype) for name, dtype in (
        ("mmsi", np.uint32), ("ts", np.int64), ("lat", np.float64), ("lon", np.float64), ("sog", np.float32),
        ("cog", np.float32), ("hdg", np.int16), ("rot", np.float32), ("nav", np.int8), ("acc", np.bool_),
        ("mt", np.int8))}
    valid = np.empty((9, n), dtype=np.bool_)
    V.gather_positions(idx, d.mmsi.astype(np.int64, copy=False), ts, fl, it, d.col("rot_deg_min"), d.col("accuracy"),
                       d.msg_type.astype(np.int64, copy=False), *cols.values(), valid)
    arrays = [
        arrow(cols["mmsi"], pa.uint32()),
        arrow(cols["ts"], S.TIMESTAMP),  # positions always have a time (else quarantined)
        arrow(cols["lat"], pa.float64(), valid[0]),
        arrow(cols["lon"], pa.float64(), valid[1]),
        arrow(cols["sog"], pa.float32(), valid[2]),
        arrow(cols["cog"], pa.float32(), valid[3]),
        arrow(cols["hdg"], pa.int16(), valid[4]),
        arrow(cols["rot"], pa.float32(), valid[5]),
        arrow(cols["nav"], pa.int8(), valid[6]),
        arrow(cols["acc"], pa.bool_(), valid[7]),
        arrow(cols["mt"], pa.int8(), valid[8]),
        repeat(opt.receiver, n),
        _station_array(d, idx),
        *_provenance(d, idx, h, opt),
    ]
    return pa.Table.from_arrays(arrays, schema=S.POSITIONS)


def _text_hash(d: Decoded, name: str, idx: np.ndarray) -> np.ndarray:
    """The hash of text column ``name`` at rows ``idx`` (null hashes like NUL). An Arrow column
    that most rows are taken from is hashed whole, without a copy of its text."""
    col = d.cols.get(name)
    if col is None:  # the reader has no such column: every value null
        return np.full(len(idx), null_text_hash(), np.uint64)
    if isinstance(col, pa.Array) and 4 * len(idx) >= len(col):
        return V.hash_text(col, null="\x00")[idx]
    return V.hash_text(_text_take(d, name, idx), null="\x00")


def _text_take(d: Decoded, name: str, idx: np.ndarray) -> pa.Array:
    """Text column ``name`` at rows ``idx`` as Arrow (nulls when the reader has none)."""
    col = d.cols.get(name)
    if col is None:
        return pa.nulls(len(idx), pa.string())
    if isinstance(col, pa.Array):
        return col.take(pa.array(idx))
    return pa.array(col[idx], type=pa.string(), from_pandas=True)


_STATIC_TEXT = ("name", "callsign", "ship_type_text", "destination", "flag")


def _static(d: Decoded, idx: np.ndarray, ts: np.ndarray, opt: NormalizeOptions, runs: bool = False) -> pa.Table:
    """Static rows ``idx``. ``runs``: the attributes CSV position rows carry, which repeat on
    every row; each run of one vessel's equal attributes (in time order) keeps its first and
    last row (:func:`static_runs`)."""
    if not len(idx):
        return S.STATIC.empty_table()
    num = {k: d.take(k, idx) for k in ("imo", "ship_type", "length_m", "beam_m", "draught_m", "eta_ms",
                                       "deadweight_t")}
    th = {k: _text_hash(d, k, idx) for k in _STATIC_TEXT}
    reports = np.ones(len(idx), np.int32)
    if runs:
        mm, tt = d.mmsi[idx].astype(np.int64), ts[idx]
        # the attributes' hash, and the key of a row repeated exactly (vessel, time, type and
        # attributes), which is one report, as its record hash makes it one record
        c, key = V.static_content(num["imo"], th["name"], th["callsign"], num["ship_type"], th["ship_type_text"],
                                  num["length_m"], num["beam_m"], num["draught_m"], th["destination"], num["eta_ms"],
                                  num["deadweight_t"], th["flag"], tt, mm, d.msg_type[idx].astype(np.int64))
        u = np.flatnonzero(V.first_occurrences(key))
        keep, reports = static_runs(mm[u], tt[u], c[u])
        keep = u[keep]
        if len(keep) < len(idx):
            idx = idx[keep]
            num = {k: v[keep] for k, v in num.items()}
            th = {k: v[keep] for k, v in th.items()}
    content = [num["imo"].astype(np.uint64), th["name"], th["callsign"], num["ship_type"].astype(np.uint64),
               th["ship_type_text"], V.quantize(num["length_m"], 10), V.quantize(num["beam_m"], 10),
               V.quantize(num["draught_m"], 10), th["destination"], num["eta_ms"].view(np.uint64),
               V.quantize(num["deadweight_t"], 1), th["flag"]]  # V.static_content mixes the same, in this order
    text = {k: _text_take(d, k, idx) for k in _STATIC_TEXT}  # the rows kept only
    mmsi, t, mt = d.mmsi[idx], ts[idx], d.msg_type[idx]
    h = np.zeros(len(idx), dtype=np.uint64)
    h = V.mix_array(h, np.full(len(idx), 0x5747, dtype=np.uint64))  # domain: static
    for x in (mmsi.astype(np.uint64), t.view(np.uint64), mt.astype(np.uint64), *content):
        h = V.mix_array(h, x)
    imo = num["imo"]
    arrays = [
        pa.array(mmsi, pa.uint32()),
        ts_array(t),
        nullable(mt, pa.int8()),
        nullable(imo, pa.uint32()),
        pa.array(imo_is_valid(imo), mask=imo == -1),
        text["name"],
        text["callsign"],
        nullable(num["ship_type"], pa.int16()),
        text["ship_type_text"],
        nullable(num["length_m"], pa.float32()),
        nullable(num["beam_m"], pa.float32()),
        nullable(num["draught_m"], pa.float32()),
        text["destination"],
        ts_array(num["eta_ms"]),
        nullable(num["deadweight_t"], pa.float32()),
        text["flag"],
        repeat(opt.receiver, len(idx)),
        _station_array(d, idx),
        *_provenance(d, idx, h, opt),
        pa.array(reports, pa.int32()),
    ]
    return pa.Table.from_arrays(arrays, schema=S.STATIC)


def _stations(d: Decoded, idx: np.ndarray, ts: np.ndarray, mclass: np.ndarray, opt: NormalizeOptions) -> pa.Table:
    if not len(idx):
        return S.STATIONS.empty_table()
    lat, lon, name = d.take("lat", idx), d.take("lon", idx), _text_take(d, "name", idx)
    sar = d.msg_type[idx] == 9  # speed, course and altitude only from SAR aircraft reports
    sog = np.where(sar, d.take("sog_kn", idx), np.nan)
    cog = np.where(sar, d.take("cog_deg", idx), np.nan)
    alt = np.where(sar, d.take("altitude_m", idx), -1)
    mmsi, t, mt = d.mmsi[idx], ts[idx], d.msg_type[idx]
    h = np.zeros(len(idx), dtype=np.uint64)
    h = V.mix_array(h, np.full(len(idx), 0x5354, dtype=np.uint64))  # domain: stations
    for x in (mmsi.astype(np.uint64), t.view(np.uint64), mt.astype(np.uint64), V.quantize(lat, 1e6),
              V.quantize(lon, 1e6), V.hash_text(name, null="\x00")):
        h = V.mix_array(h, x)
    names = np.array([MMSI_CLASS_NAMES[int(c)] for c in range(12)], dtype=object)
    arrays = [
        pa.array(mmsi, pa.uint32()),
        ts_array(t),
        pa.array(names[mclass[idx]], pa.string()),
        nullable(mt, pa.int8()),
        nullable(lat, pa.float64()),
        nullable(lon, pa.float64()),
        name,
        repeat(opt.receiver, len(idx)),
        _station_array(d, idx),
        *_provenance(d, idx, h, opt),
        nullable(sog, pa.float32()),
        nullable(cog, pa.float32()),
        nullable(alt, pa.int16()),
    ]
    return pa.Table.from_arrays(arrays, schema=S.STATIONS)


def _other(d: Decoded, idx: np.ndarray, ts: np.ndarray, opt: NormalizeOptions) -> pa.Table:
    if not len(idx):
        return S.OTHER_MESSAGES.empty_table()
    raw = _raw_array(d, idx)
    mmsi, t, mt = d.mmsi[idx], ts[idx], d.msg_type[idx]
    h = np.zeros(len(idx), dtype=np.uint64)
    h = V.mix_array(h, np.full(len(idx), 0x4F54, dtype=np.uint64))
    # identity: time and content; NMEA readers give a hash of the payload alone, so that the
    # same message heard by two stations (other tag block) is one record
    content = d.content_hash(idx) if d.content_hash is not None else V.hash_text(raw)
    h = V.mix_array(V.mix_array(h, t.view(np.uint64)), content)
    arrays = [
        nullable(mmsi, pa.uint32()),
        ts_array(t),
        nullable(mt, pa.int8()),
        raw,
        _station_array(d, idx),
        *_provenance(d, idx, h, opt),
    ]
    return pa.Table.from_arrays(arrays, schema=S.OTHER_MESSAGES)


def _quarantine(
    d: Decoded, idx: np.ndarray, raw: pa.Array, reasons: np.ndarray, rfields: np.ndarray, details: np.ndarray,
    opt: NormalizeOptions,
) -> pa.Table:
    if not len(idx):
        return S.QUARANTINE.empty_table()
    rs = pa.array(reasons[idx].astype(object), pa.string())
    h = V.mix_array(V.mix_array(np.zeros(len(idx), np.uint64), V.hash_text(raw)), V.hash_text(rs))
    arrays = [
        repeat(opt.source_file, len(idx)),
        pa.array(d.ref[idx], pa.int64()),
        rs,
        text_array(rfields[idx]),
        text_array(details[idx]),
        raw,
        pa.array(h, pa.uint64()),
    ]
    return pa.Table.from_arrays(arrays, schema=S.QUARANTINE)


def _raw_array(d: Decoded, idx: np.ndarray) -> pa.Array:
    """Raw text of records ``idx`` as an Arrow string array (readers may return a list)."""
    if not len(idx):
        return pa.array([], pa.string())
    raw = d.raw(idx)
    return raw if isinstance(raw, pa.Array) else pa.array(list(raw), pa.string())
