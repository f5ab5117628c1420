"""One fused numba pass over decoded records: sentinels -> null, ROT, ranges, MMSI class, position hash.

The sentinel and range tables come from :mod:`harborwatch.core.schema` (compiled here
into lookup arrays once); the MMSI classes from :mod:`harborwatch.core.identifiers`.
Checks run in a fixed order and the first failure is the record's reason:
reader rejection, ``no_timestamp``, ranges in :data:`~harborwatch.core.schema.RANGES`
order, ``mmsi_invalid``, ``mmsi_unknown_mid``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, prange

from harborwatch.core import schema as S
from harborwatch.core.identifiers import MMSI_INVALID, MMSI_UNKNOWN_MID, mmsi_class_one

TS_MISSING = np.iinfo(np.int64).min

#: Numeric fields handled by the kernel, in the order of its lookup tables.
FIELDS = ("lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status", "rot_raw", "imo", "ship_type",
          "length_m", "beam_m", "draught_m")
F = {name: i for i, name in enumerate(FIELDS)}
POSITION_CHECKED = ("lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")

#: Speed over ground of a SAR aircraft (type 9) is 0-1022 kn; 1023 is "not available".
SAR_MAX_SOG_KN = 1022.0
#: Range-checked fields that make a record: out of range, the record is quarantined. Any other
#: out-of-range field is stored as null and counted as a field issue (``out_of_range``).
ESSENTIAL = ("lat", "lon")

# reason codes
OK, PRE_REJECTED, NO_TIMESTAMP, MMSI_BAD, MMSI_MID, IMPLAUSIBLE_TIME = 0, 1, 2, 3, 4, 5
RANGE_BASE = 10  # + index into RANGE_FIELDS
RANGE_FIELDS = tuple(S.RANGES)


def reason_names() -> np.ndarray:
    names = np.full(RANGE_BASE + len(RANGE_FIELDS), None, dtype=object)
    names[NO_TIMESTAMP] = "no_timestamp"
    names[MMSI_BAD] = "mmsi_invalid"
    names[MMSI_MID] = "mmsi_unknown_mid"
    names[IMPLAUSIBLE_TIME] = "implausible_time"
    for i, f in enumerate(RANGE_FIELDS):
        names[RANGE_BASE + i] = f"{f}_out_of_range"
    return names


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    sent = np.full((len(FIELDS), 65), np.nan)
    for t, table in S.SENTINELS.items():
        for name, v in table.items():
            if name in F:
                sent[F[name], t] = float(v)
    for name, v in S.SENTINELS_UNKNOWN_TYPE.items():
        if name in F:
            sent[F[name], 64] = float(v)
    known_type = np.zeros(64, dtype=np.bool_)
    known_type[list(S.SENTINELS)] = True
    lo = np.array([S.RANGES[f][0] for f in RANGE_FIELDS], dtype=np.float64)
    hi = np.array([S.RANGES[f][1] for f in RANGE_FIELDS], dtype=np.float64)
    return sent, known_type, lo, hi


SENT, KNOWN_TYPE, LO, HI = _tables()


def _per_type(sent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each type key (0..64): the fields that have a sentinel and their values, packed."""
    start = np.zeros(66, dtype=np.int64)
    fields: list[int] = []
    values: list[float] = []
    for key in range(65):
        start[key] = len(fields)
        for f in range(sent.shape[0]):
            if not np.isnan(sent[f, key]):
                fields.append(f)
                values.append(sent[f, key])
    start[65] = len(fields)
    return start, np.array(fields, dtype=np.int64), np.array(values, dtype=np.float64)


SENT_START, SENT_FIELD, SENT_VALUE = _per_type(SENT)
# column index (in FIELDS) of each range-checked field, and whether it is a position field
RANGE_COL = np.array([F[f] for f in RANGE_FIELDS], dtype=np.int64)
RANGE_POS = np.array([f in POSITION_CHECKED for f in RANGE_FIELDS], dtype=np.bool_)
RANGE_ESSENTIAL = np.array([f in ESSENTIAL for f in RANGE_FIELDS], dtype=np.bool_)

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_NAN_CODE = np.uint64(0xC000000000000000)


def mix_array(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:func:`mix` over arrays: splitmix64 step of (h ^ x), wrapping uint64 arithmetic (``x`` as
    NumPy's ``astype(np.uint64)`` reads it). One compiled pass, without NumPy's temporaries, and
    without the GIL."""
    h, x = np.broadcast_arrays(np.asarray(h, np.uint64), _as_u64(np.asarray(x)))
    return _mix_arrays(np.ascontiguousarray(h), np.ascontiguousarray(x))


def _as_u64(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint64:
        return x
    if x.dtype == np.int64:
        return x.view(np.uint64)  # the bits astype gives
    return x.astype(np.uint64)


@njit(cache=True, nogil=True)
def _mix_arrays(h, x):
    out = np.empty(h.shape[0], np.uint64)
    for i in range(h.shape[0]):
        out[i] = mix(h[i], x[i])
    return out


def static_content(imo, name, callsign, ship_type, ship_type_text, length_m, beam_m, draught_m, destination, eta_ms,
                   deadweight_t, flag, ts, mmsi, msg_type) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the hash of its static attributes (the :func:`mix` of each, in this order: integers
    and times as their uint64 bits, texts as their :func:`hash_text`, lengths quantised to 0.1 m
    and deadweight to 1 t by :func:`qf`), and that hash mixed with the time, MMSI and message
    type (the key of a row repeated exactly). One compiled pass over the columns."""
    f = [np.ascontiguousarray(x, np.float64) for x in (length_m, beam_m, draught_m, deadweight_t)]
    i = [np.ascontiguousarray(x, np.int64) for x in (imo, ship_type, eta_ms, ts, mmsi, msg_type)]
    t = [np.ascontiguousarray(x, np.uint64) for x in (name, callsign, ship_type_text, destination, flag)]
    return _static_content(i[0], t[0], t[1], i[1], t[2], f[0], f[1], f[2], t[3], i[2], f[3], t[4], i[3], i[4], i[5])


@njit(cache=True, nogil=True)
def _static_content(imo, name, callsign, ship_type, ship_type_text, length_m, beam_m, draught_m, destination, eta_ms,
                    deadweight_t, flag, ts, mmsi, msg_type):
    n = imo.shape[0]
    content = np.empty(n, np.uint64)
    key = np.empty(n, np.uint64)
    for i in range(n):
        h = mix(np.uint64(0), np.uint64(imo[i]))
        h = mix(h, name[i])
        h = mix(h, callsign[i])
        h = mix(h, np.uint64(ship_type[i]))
        h = mix(h, ship_type_text[i])
        h = mix(h, qf(length_m[i], 10.0))
        h = mix(h, qf(beam_m[i], 10.0))
        h = mix(h, qf(draught_m[i], 10.0))
        h = mix(h, destination[i])
        h = mix(h, np.uint64(eta_ms[i]))
        h = mix(h, qf(deadweight_t[i], 1.0))
        h = mix(h, flag[i])
        content[i] = h
        key[i] = mix(mix(mix(h, np.uint64(ts[i])), np.uint64(mmsi[i])), np.uint64(msg_type[i]))
    return content, key


def first_occurrences(values: np.ndarray) -> np.ndarray:
    """True where a value is seen for the first time (in order), as pandas' ``duplicated(keep=
    "first")`` negated: a compiled open-addressing hash set, without the GIL."""
    return _first_occurrences(_as_u64(np.ascontiguousarray(values)))


@njit(cache=True, nogil=True)
def _first_occurrences(v):
    n = v.shape[0]
    size = 16
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    slots = np.zeros(size, np.uint64)  # 0: an empty slot (the value 0 is kept aside)
    zero_seen = False
    out = np.empty(n, np.bool_)
    for i in range(n):
        x = v[i]
        if x == 0:
            out[i] = not zero_seen
            zero_seen = True
            continue
        j = mix(x, np.uint64(0)) & mask  # the values may be hashes or small integers: spread them
        while slots[j] != 0 and slots[j] != x:
            j = (j + np.uint64(1)) & mask
        out[i] = slots[j] == 0
        slots[j] = x
    return out


def quantize(values: np.ndarray, scale: float) -> np.ndarray:
    """Quantised floats for hashing, as uint64 (NaN -> a fixed code): :func:`qf` over an array."""
    values = np.asarray(values)
    if values.dtype != np.float64:  # scaled in the array's own type first, as NumPy would
        values, scale = values * scale, 1.0
    return _quantize(np.ascontiguousarray(values, np.float64), float(scale))


@njit(cache=True, nogil=True)
def _quantize(values, scale):
    out = np.empty(values.shape[0], np.uint64)
    for i in range(values.shape[0]):
        out[i] = qf(values[i], scale)
    return out


@njit(cache=True, inline="always")
def mix(h, x):
    """splitmix64 step of (h ^ x)."""
    z = (h ^ x) + _GOLD
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def qf(v, scale):
    """Quantised float as uint64 for hashing; NaN -> a fixed code."""
    if np.isnan(v):
        return _NAN_CODE
    return np.uint64(np.int64(np.round(v * scale)))


@njit(cache=True, parallel=True, nogil=True)
def validate(mt, mmsi, ts, has_pos, pre, vals_f, vals_i, rot_deg_min, sent_start, sent_field, sent_value, known_type,
             lo, hi, range_col, range_pos, range_essential, mid_known, reason, mclass, pos_hash, issues):
    """In place: null sentinels in ``vals_f`` (float fields, rows = FIELDS indices 0-3, 9-11) and
    ``vals_i`` (int fields 4-8); fill ``rot_deg_min`` from rot_raw; write reason, class and hash.
    An essential field out of range is the record's reason; any other sets bit ``j`` (its index
    in RANGE_FIELDS) of ``issues`` and stays in place for the caller to read and null."""
    n = mt.shape[0]
    for i in prange(n):
        t = mt[i]
        key = t if (t >= 0 and t < 64 and known_type[t]) else 64
        for p in range(sent_start[key], sent_start[key + 1]):
            f = sent_field[p]
            s = sent_value[p]
            if 4 <= f <= 8:
                if vals_i[f - 4, i] == np.int64(s):
                    vals_i[f - 4, i] = -1000 if f == 6 else -1
            else:
                row = f if f < 4 else f - 5
                if vals_f[row, i] == s:
                    vals_f[row, i] = np.nan
        raw = vals_i[2, i]
        if -127 < raw < 127 and raw != -1000:
            v = (raw / 4.733) ** 2
            rot_deg_min[i] = v if raw >= 0 else -v
        elif raw != -1000:
            rot_deg_min[i] = np.nan
        cls = mmsi_class_one(mmsi[i], mid_known)
        mclass[i] = cls
        r = 0
        if pre[i]:
            r = PRE_REJECTED
        elif ts[i] == TS_MISSING:
            r = NO_TIMESTAMP
        else:
            check_pos = has_pos[i] or t == 4 or t == 9 or t == 21
            for j in range(range_col.shape[0]):
                if range_pos[j] and not check_pos:
                    continue
                c = range_col[j]
                out = False
                top = hi[j]
                if t == 9 and c == 2:  # SAR aircraft: speed 0-1022 kn in 1 kn steps (ITU-R M.1371-5)
                    top = SAR_MAX_SOG_KN
                if 4 <= c <= 8:
                    iv = vals_i[c - 4, i]
                    out = iv != -1 and (iv < lo[j] or iv > top)
                else:
                    fv = vals_f[c if c < 4 else c - 5, i]
                    out = not np.isnan(fv) and (fv < lo[j] or fv > top)
                if out:
                    if range_essential[j]:
                        r = RANGE_BASE + j
                        break
                    issues[i] |= np.uint32(1) << np.uint32(j)
            if r == 0:
                if cls == MMSI_INVALID:
                    r = MMSI_BAD
                elif cls == MMSI_UNKNOWN_MID:
                    r = MMSI_MID
        reason[i] = r
        h = mix(np.uint64(0), np.uint64(mmsi[i]))
        h = mix(h, np.uint64(ts[i]))
        h = mix(h, qf(vals_f[0, i], 1e6))
        h = mix(h, qf(vals_f[1, i], 1e6))
        h = mix(h, qf(vals_f[2, i], 10.0))
        h = mix(h, qf(vals_f[3, i], 10.0))
        h = mix(h, np.uint64(vals_i[0, i]))
        h = mix(h, np.uint64(vals_i[1, i]))
        h = mix(h, qf(rot_deg_min[i], 10.0))
        pos_hash[i] = h
    return 0


@njit(cache=True, nogil=True)
def _hash_utf8(offsets, data, start):
    n = offsets.shape[0] - 1
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(0xCBF29CE484222325)
        for q in range(offsets[i] - start, offsets[i + 1] - start):
            h = (h ^ np.uint64(data[q])) * np.uint64(0x100000001B3)
        out[i] = mix(h, np.uint64(offsets[i + 1] - offsets[i]))
    return out


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's value offsets (int64, ``len(arr) + 1``, into the bytes) and its bytes
    (uint8), views of its buffers for the compiled passes over text. A null slot's bytes are
    unspecified: callers mask them with the array's validity."""
    _, off, data = arr.buffers()
    offsets = np.frombuffer(off, np.int32)[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    return offsets, (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))


def hash_text(arr, null: str = "") -> np.ndarray:
    """64-bit hash of each value of an Arrow string array (FNV-1a of the UTF-8 bytes, then
    splitmix); a null hashes as the text ``null``. Read from the array's buffers, not copied."""
    if not isinstance(arr, pa.Array):
        arr = pa.array(arr, pa.string())
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    if len(arr) == 0:
        return np.zeros(0, np.uint64)
    if arr.null_count == len(arr):
        return np.full(len(arr), hash_text(pa.array([null]))[0], np.uint64)
    out = _hash_utf8(*string_buffers(arr), 0)
    if arr.null_count:  # a null slot's bytes are unspecified: its hash is set here
        out[~arr.is_valid().to_numpy(zero_copy_only=False)] = hash_text(pa.array([null]))[0]
    return out


@njit(cache=True, inline="always")
def _valid_float(v):
    """(not null, value with null as 0)."""
    if np.isnan(v):
        return False, 0.0
    return True, v


@njit(cache=True, parallel=True, nogil=True)
def gather_positions(idx, mmsi, ts, vals_f, vals_i, rot, acc, mt, o_mmsi, o_ts, o_lat, o_lon, o_sog, o_cog, o_hdg,
                     o_rot, o_nav, o_acc, o_mt, valid):
    """Rows ``idx`` into the typed columns of the positions table; ``valid[c, j]`` = not null, for the
    nullable columns in order lat, lon, sog, cog, heading, rot, nav_status, accuracy, msg_type."""
    for j in prange(idx.shape[0]):
        i = idx[j]
        o_mmsi[j] = mmsi[i]
        o_ts[j] = ts[i]
        valid[0, j], o_lat[j] = _valid_float(vals_f[0, i])
        valid[1, j], o_lon[j] = _valid_float(vals_f[1, i])
        valid[2, j], o_sog[j] = _valid_float(vals_f[2, i])
        valid[3, j], o_cog[j] = _valid_float(vals_f[3, i])
        h = vals_i[0, i]
        valid[4, j] = h != -1
        o_hdg[j] = h if h != -1 else 0
        valid[5, j], o_rot[j] = _valid_float(rot[i])
        s = vals_i[1, i]
        valid[6, j] = s != -1
        o_nav[j] = s if s != -1 else 0
        a = acc[i]
        valid[7, j] = a != -1
        o_acc[j] = a == 1
        t = mt[i]
        valid[8, j] = t != -1
        o_mt[j] = t if t != -1 else 0
    return 0
