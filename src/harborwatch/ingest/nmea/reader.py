"""Streaming NMEA 0183 AIS reader: chunks of bytes -> :class:`Decoded` batches.

Memory is bounded by the chunk size: lines are scanned and single-sentence payloads
decoded in numba over the whole chunk; multi-sentence messages are reassembled in
Python (a few per cent of a feed) and decoded by the same kernel.

Multi-sentence grouping: by the tag block group ``g:n-m-id`` where present, else by
(sequential message id, channel, station). A group is emitted when its last fragment
arrives in order; a fragment out of order, a new first fragment while a group is open,
a group left open for more than ``MAX_OPEN_LINES`` lines or at end of file sends the
whole group to quarantine (``multipart_out_of_order`` / ``multipart_incomplete``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from harborwatch.ingest.nmea import kernels as K
from harborwatch.ingest.records import POSITION_TYPES, STATIC_TYPES, Decoded

CHUNK_BYTES = 8 << 20
MAX_OPEN_LINES = 200


@dataclass
class _Fragment:
    line: int
    text: bytes
    payload: bytes
    fill: int
    ts: int
    station: str | None


@dataclass
class _Group:
    key: tuple
    total: int
    frags: list[_Fragment] = field(default_factory=list)


@dataclass
class _Pending:
    """Records produced in Python (groups and rejected fragments) for the next batch."""

    refs: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    station: list[str | None] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    payload: list[bytes] = field(default_factory=list)  # b"" for rejected ones
    fill: list[int] = field(default_factory=list)
    reject: list[str | None] = field(default_factory=list)

    def add(self, g_frags: list[_Fragment], reject: str | None) -> None:
        first = g_frags[0]
        self.refs.append(first.line)
        self.ts.append(next((f.ts for f in g_frags if f.ts != K.TS_MISSING), K.TS_MISSING))
        self.station.append(next((f.station for f in g_frags if f.station), None))
        self.raw.append("\n".join(f.text.decode("ascii", "replace") for f in g_frags))
        self.payload.append(b"".join(f.payload for f in g_frags) if reject is None else b"")
        self.fill.append(g_frags[-1].fill if reject is None else 0)
        self.reject.append(reject)

    def __len__(self) -> int:
        return len(self.refs)


class Assembler:
    def __init__(self) -> None:
        self.open: dict[tuple, _Group] = {}
        self.out = _Pending()

    def feed(self, key: tuple, num: int, total: int, frag: _Fragment) -> None:
        g = self.open.get(key)
        if num == 1:
            if g is not None:
                self.out.add(g.frags, "multipart_incomplete")
            self.open[key] = _Group(key, total, [frag])
            return
        if g is None or len(g.frags) + 1 != num or g.total != total:
            if g is not None:
                del self.open[key]
                self.out.add(g.frags + [frag], "multipart_out_of_order")
            else:
                self.out.add([frag], "multipart_out_of_order")
            return
        g.frags.append(frag)
        if num == total:
            del self.open[key]
            self.out.add(g.frags, None)

    def expire(self, current_line: int | None) -> None:
        """Quarantine groups open for too long (all of them at end of input)."""
        for key in list(self.open):
            g = self.open[key]
            if current_line is None or current_line - g.frags[-1].line > MAX_OPEN_LINES:
                del self.open[key]
                self.out.add(g.frags, "multipart_incomplete")

    def take(self) -> _Pending:
        out, self.out = self.out, _Pending()
        return out


def _decode_into(buf: np.ndarray, p_start, p_len, fill) -> tuple[np.ndarray, ...]:
    n = len(p_start)
    status = np.empty(n, np.int8)
    msg_type = np.empty(n, np.int16)
    mmsi = np.empty(n, np.int64)
    f = {k: np.empty(n, np.float64) for k in ("lat", "lon", "sog_kn", "cog_deg", "draught_m")}
    i64 = {k: np.empty(n, np.int64) for k in (
        "heading_deg", "rot_raw", "nav_status", "accuracy", "imo", "ship_type", "to_bow", "to_stern",
        "to_port", "to_starboard", "eta_month", "eta_day", "eta_hour", "eta_minute", "part_no")}
    name = np.zeros((n, K.STR_NAME), np.uint8)
    callsign = np.zeros((n, K.STR_CALLSIGN), np.uint8)
    dest = np.zeros((n, K.STR_DEST), np.uint8)
    K.decode_payloads(
        buf, p_start, p_len, fill, status, msg_type, mmsi, f["lat"], f["lon"], f["sog_kn"], f["cog_deg"],
        i64["heading_deg"], i64["rot_raw"], i64["nav_status"], i64["accuracy"], i64["imo"], i64["ship_type"],
        i64["to_bow"], i64["to_stern"], i64["to_port"], i64["to_starboard"], f["draught_m"], i64["eta_month"],
        i64["eta_day"], i64["eta_hour"], i64["eta_minute"], i64["part_no"], name, callsign, dest,
    )
    return status, msg_type, mmsi, f, i64, name, callsign, dest


def _texts(arr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """uint8 (n, w) zero-padded -> object array of str (None when empty)."""
    out = np.full(arr.shape[0], None, dtype=object)
    if len(rows):
        sub = np.ascontiguousarray(arr[rows]).view(f"S{arr.shape[1]}").ravel()
        vals = np.char.decode(sub, "ascii").astype(object)
        vals[vals == ""] = None
        out[rows] = vals
    return out


def read_nmea(
    stream: BinaryIO,
    on_progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Decoded]:
    """Yield one :class:`Decoded` batch per chunk; ``on_progress(lines)`` after each."""
    asm = Assembler()
    carry = b""
    line_base = 0
    while True:
        data = stream.read(chunk_bytes)
        eof = not data
        if eof:
            block = carry
            carry = b""
        else:
            block = carry + data
            cut = block.rfind(b"\n")
            if cut < 0:
                carry = block
                continue
            block, carry = block[: cut + 1], block[cut + 1 :]
        if block:
            batches, nlines = _chunk(block, line_base, asm)
            line_base += nlines
            yield from (b for b in batches if len(b))
            if on_progress:
                on_progress(nlines)
        if eof:
            asm.expire(None)
            tail = asm.take()
            if len(tail):
                yield _pending_batch(tail)
            return


def _station_strings(buf: np.ndarray, st_start: np.ndarray, st_len: np.ndarray) -> np.ndarray:
    """Object array of station names, decoding each distinct name once."""
    n = len(st_start)
    out = np.full(n, None, dtype=object)
    has = st_start >= 0
    if not has.any():
        return out
    idx = np.flatnonzero(has)
    maxlen = int(st_len[idx].max())
    if maxlen == 0:
        return out
    # fixed-width byte matrix of the names, then unique rows
    pos = st_start[idx, None] + np.arange(maxlen)[None, :]
    valid = np.arange(maxlen)[None, :] < st_len[idx, None]
    mat = np.where(valid, buf[np.minimum(pos, len(buf) - 1)], 0).astype(np.uint8)
    keys = np.ascontiguousarray(mat).view(f"S{maxlen}").ravel()
    uniq, inv = np.unique(keys, return_inverse=True)
    names = np.array([u.decode("ascii", "replace") for u in uniq], dtype=object)
    out[idx] = names[inv]
    return out


def _chunk(block: bytes, line_base: int, asm: Assembler) -> tuple[list[Decoded], int]:
    buf = np.frombuffer(block, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    if len(nl) == 0 or nl[-1] != len(buf) - 1:
        nl = np.append(nl, len(buf))
    starts = np.concatenate(([0], nl[:-1] + 1)).astype(np.int64)
    ends = nl.astype(np.int64)
    n = len(starts)
    status = np.empty(n, np.int8)
    ts = np.empty(n, np.int64)
    st_start = np.empty(n, np.int64)
    st_len = np.empty(n, np.int64)
    g_num = np.empty(n, np.int64)
    g_tot = np.empty(n, np.int64)
    g_id = np.empty(n, np.int64)
    fcount = np.empty(n, np.int64)
    fnum = np.empty(n, np.int64)
    seq = np.empty(n, np.int64)
    chan = np.empty(n, np.uint8)
    p_start = np.empty(n, np.int64)
    p_len = np.empty(n, np.int64)
    fill = np.empty(n, np.int64)
    sent = np.empty(n, np.int64)
    K.scan_lines(buf, starts, ends, status, ts, st_start, st_len, g_num, g_tot, g_id, fcount, fnum, seq, chan,
                 p_start, p_len, fill, sent)
    lines = line_base + np.arange(1, n + 1, dtype=np.int64)
    stations = _station_strings(buf, st_start, st_len)

    def raw_line(i: int) -> str:
        return block[starts[i] : ends[i]].decode("ascii", "replace").strip()

    ok = status == K.S_OK
    multi = ok & (fcount > 1)
    single = ok & (fcount == 1)
    # ---- multi-sentence: reassemble in order --------------------------------
    for i in np.flatnonzero(multi):
        frag = _Fragment(
            line=int(lines[i]),
            text=block[starts[i] : ends[i]].strip(),
            payload=block[p_start[i] : p_start[i] + p_len[i]],
            fill=int(fill[i]),
            ts=int(ts[i]),
            station=stations[i],
        )
        if g_id[i] >= 0:
            key: tuple = ("g", int(g_id[i]))
            num, total = int(g_num[i]), int(g_tot[i])
        else:
            key = ("s", int(seq[i]), int(chan[i]), stations[i])
            num, total = int(fnum[i]), int(fcount[i])
        asm.feed(key, num, total, frag)
        asm.expire(int(lines[i]))
    pend = asm.take()

    # ---- single-sentence and rejected lines ----------------------------------
    rejected_lines = ~ok & (status != K.S_BLANK)
    rows = np.flatnonzero(single | rejected_lines)
    m = len(rows)
    dec = _decode_into(buf, p_start[rows], p_len[rows], np.where(single[rows], fill[rows], 0))
    d_status, msg_type, mmsi, f, i64, name, callsign, dest = dec
    reject = np.full(m, None, dtype=object)
    bad = rejected_lines[rows]
    reasons = np.array(K.SCAN_REASONS, dtype=object)
    reject[bad] = reasons[status[rows][bad]]
    too_short = ~bad & (d_status == K.D_TOO_SHORT)
    reject[too_short] = "payload_too_short"
    msg_type[bad] = -1
    mmsi[bad] = -1

    def raw_single(idx: np.ndarray) -> list[str]:
        return [raw_line(int(rows[j])) for j in idx]

    single_batch = _make_decoded(
        refs=lines[rows], ts=ts[rows], station=stations[rows], reject=reject, dec=dec, raw=raw_single,
    )
    if len(pend) == 0:
        return [single_batch], n
    return [single_batch, _pending_batch(pend)], n


def _make_decoded(refs, ts, station, reject, dec, raw) -> Decoded:
    d_status, msg_type, mmsi, f, i64, name, callsign, dest = dec
    m = len(refs)
    mt = msg_type.astype(np.int64)
    ok = reject == None  # noqa: E711
    has_pos = ok & np.isin(mt, POSITION_TYPES)
    static_rows = ok & np.isin(mt, STATIC_TYPES)
    cols: dict[str, np.ndarray] = {
        "lat": f["lat"], "lon": f["lon"], "sog_kn": f["sog_kn"], "cog_deg": f["cog_deg"],
        "draught_m": f["draught_m"],
        "heading_deg": i64["heading_deg"], "nav_status": i64["nav_status"], "accuracy": i64["accuracy"],
        "rot_raw": i64["rot_raw"], "imo": i64["imo"], "ship_type": i64["ship_type"],
        "eta_month": i64["eta_month"], "eta_day": i64["eta_day"], "eta_hour": i64["eta_hour"],
        "eta_minute": i64["eta_minute"],
    }
    # dimensions: length = bow + stern, beam = port + starboard; 0 = not available
    bow, stern, port, stbd = i64["to_bow"], i64["to_stern"], i64["to_port"], i64["to_starboard"]
    length = np.where((bow >= 0) & (stern >= 0), bow + stern, -1).astype(np.float64)
    beam = np.where((port >= 0) & (stbd >= 0), port + stbd, -1).astype(np.float64)
    length[length < 0] = np.nan
    beam[beam < 0] = np.nan
    cols["length_m"] = length
    cols["beam_m"] = beam
    srows = np.flatnonzero(static_rows | (mt == 21))
    cols["name"] = _texts(name, srows)
    cols["callsign"] = _texts(callsign, srows)
    cols["destination"] = _texts(dest, srows)
    # class B part A carries only the name, part B the rest: blank the fields not carried
    # so that they read as "not reported" rather than as "empty"
    return Decoded(
        ref=np.asarray(refs, dtype=np.int64), ts_ms=np.asarray(ts, dtype=np.int64), mmsi=mmsi,
        msg_type=msg_type.astype(np.int64), has_pos=has_pos, has_static=static_rows, raw=raw, cols=cols,
        station=np.asarray(station, dtype=object), reject=reject,
    )


def _pending_batch(p: _Pending) -> Decoded:
    payload = b"".join(p.payload)
    buf = np.frombuffer(payload, dtype=np.uint8) if payload else np.zeros(1, np.uint8)
    lens = np.array([len(x) for x in p.payload], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
    fill = np.array(p.fill, dtype=np.int64)
    dec = _decode_into(buf, starts, lens, fill)
    d_status = dec[0]
    reject = np.array(p.reject, dtype=object)
    empty = (reject == None) & (lens == 0)  # noqa: E711
    reject[empty] = "empty_payload"
    short = (reject == None) & (d_status == K.D_TOO_SHORT)  # noqa: E711
    reject[short] = "payload_too_short"
    bad = reject != None  # noqa: E711
    dec[1][bad] = -1
    dec[2][bad] = -1
    raws = p.raw
    return _make_decoded(
        refs=np.array(p.refs, dtype=np.int64), ts=np.array(p.ts, dtype=np.int64),
        station=np.array(p.station, dtype=object), reject=reject, dec=dec,
        raw=lambda idx: [raws[int(j)] for j in idx],
    )
