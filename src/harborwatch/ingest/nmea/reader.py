"""Streaming NMEA 0183 AIS reader: chunks of bytes -> :class:`Decoded` batches.

Memory is bounded by the chunk size. All per-line work is done by numba kernels over
the whole chunk (:mod:`.kernels`): scanning, multi-sentence reassembly, payload decoding
and gathering raw text for the few records that need it.

Multi-sentence grouping: by the tag block group ``g:n-m-id`` where present, else by
(sequential message id, channel, station). A group is complete when its fragments arrive
in order. A fragment out of order sends its group to quarantine as
``multipart_out_of_order``. A group superseded by a new first fragment, left open for
more than ``MAX_OPEN_LINES`` lines, or open at end of input is quarantined as
``multipart_incomplete``. A group still open at the end of a chunk is not decided there:
the chunk is cut before its first line, and those lines are read again with the next
chunk, so results do not depend on where chunks end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa

from harborwatch.ingest.endings import HEAD_BYTES, LineEnds
from harborwatch.ingest.lines import line_bounds
from harborwatch.ingest.nmea import kernels as K
from harborwatch.ingest.nmea.explain import explain_all
from harborwatch.ingest.prefetch import prefetch
from harborwatch.ingest.records import FLOAT_MATRIX, INT_MATRIX, POSITION_TYPES, STATIC_TYPES, Decoded
from harborwatch.ingest.validate import first_occurrences

CHUNK_BYTES = 8 << 20
_IS_POSITION = np.isin(np.arange(64), POSITION_TYPES)
_IS_STATIC = np.isin(np.arange(64), STATIC_TYPES)
MAX_OPEN_LINES = 200
#: reason of each reject code used in _chunk (0 = accepted)
_REASONS = np.array([None, *K.SCAN_REASONS[1:], "multipart_incomplete", "multipart_incomplete",
                     "multipart_out_of_order", "payload_too_short"], dtype=object)
assert _REASONS[10 + K.MP_INCOMPLETE] == "multipart_incomplete"
assert _REASONS[10 + K.MP_OUT_OF_ORDER] == "multipart_out_of_order"


def read_nmea(
    stream: IO[bytes],
    on_progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    prefetch: bool = True,
) -> Iterator[Decoded]:
    """Yield :class:`Decoded` batches; ``on_progress(lines)`` after each chunk.

    With ``prefetch`` the next chunk is read and decoded in a background thread while the
    caller works on the current one (the kernels release the GIL); at most one batch waits.
    """
    gen = _read(stream, on_progress, chunk_bytes)
    return _prefetched(gen) if prefetch else gen



class IncrementalReader:
    """NMEA from a byte stream that arrives in pieces (a socket): :meth:`feed` decodes every
    line it can decide, keeps the rest (a partial last line, multi-sentence groups still open)
    for the next piece, and numbers lines from the start of the stream, so the records equal
    those of reading the whole stream at once."""

    def __init__(self) -> None:
        self.carry = b""
        self.line_base = 0

    def feed(self, data: bytes, final: bool = False) -> list[Decoded]:
        """The batches decided by ``data`` (``final``: nothing follows; decide everything)."""
        block = self.carry + data if self.carry else data  # the only copy of the piece
        end = len(block)
        if not final:
            cut = block.rfind(b"\n")
            if cut < 0:
                self.carry = block
                return []
            end = cut + 1
        if not end:
            self.carry = b""
            return []
        view = np.frombuffer(block, dtype=np.uint8, count=end)
        batch, used_bytes, nlines = _chunk(view, self.line_base, final)
        self.carry = block[used_bytes:]  # lines of still-open groups (read again) and the partial last line
        self.line_base += nlines
        return [batch] if batch is not None and len(batch) else []


def _prefetched(gen: Iterator[Decoded]) -> Iterator[Decoded]:
    """The batches, decoded one ahead in a worker thread."""
    for d, _ in prefetch(gen, _nothing, depth=1):
        yield d


def _nothing(d: Decoded) -> None:
    return None


def _read(stream: IO[bytes], on_progress: Callable[[int], None] | None, chunk_bytes: int) -> Iterator[Decoded]:
    reader = IncrementalReader()
    first = True
    ends = LineEnds(stream, stream.read(HEAD_BYTES), lone=False)  # a file of CR line ends: CR as LF
    while True:
        data = ends.read(chunk_bytes)
        if first and data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is not part of line 1
            data = data[3:]
        first = False
        final = not data
        before = reader.line_base
        yield from reader.feed(data, final)
        if on_progress and reader.line_base > before:
            on_progress(reader.line_base - before)
        if final:
            return


class _Scan:
    """Per-line results of :func:`kernels.scan_lines` over one block."""

    def __init__(self, buf: np.ndarray) -> None:
        self.starts, self.ends = line_bounds(buf)  # 8 bytes at a time: most words hold no newline
        self.next_line_start = np.append(self.starts[1:], len(buf))
        n = len(self.starts)
        i64 = lambda: np.empty(n, np.int64)  # noqa: E731
        self.status = np.empty(n, np.int8)
        self.ts, self.st_start, self.st_len = i64(), i64(), i64()
        self.g_num, self.g_tot, self.g_id = i64(), i64(), i64()
        self.fcount, self.fnum, self.seq = i64(), i64(), i64()
        self.chan = np.empty(n, np.uint8)
        self.p_start, self.p_len, self.fill, self.sent = i64(), i64(), i64(), i64()
        K.scan_lines(buf, self.starts, self.ends, self.status, self.ts, self.st_start, self.st_len, self.g_num,
                     self.g_tot, self.g_id, self.fcount, self.fnum, self.seq, self.chan, self.p_start, self.p_len,
                     self.fill, self.sent)
        self.st_key = K.station_keys(buf, self.st_start, self.st_len)

    def __len__(self) -> int:
        return len(self.starts)


def _assemble(buf: np.ndarray, sc: _Scan, n: int, final: bool):
    role = np.empty(n, np.int8)
    head = np.empty(n, np.int64)
    mp_reason = np.empty(n, np.int8)
    aux = np.empty(int(sc.p_len[:n].sum()) + 1, np.uint8)
    aux_start, aux_len, aux_fill = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    used, carry_from = K.assemble(
        buf, sc.status[:n], sc.fcount[:n], sc.fnum[:n], sc.seq[:n], sc.chan[:n], sc.g_num[:n], sc.g_tot[:n],
        sc.g_id[:n], sc.st_key[:n], sc.p_start[:n], sc.p_len[:n], sc.fill[:n], final, MAX_OPEN_LINES, role, head,
        mp_reason, aux, aux_start, aux_len, aux_fill,
    )
    aux_used = aux[:used] if used else np.zeros(1, np.uint8)
    return role, head, mp_reason, aux_used, aux_start, aux_len, aux_fill, carry_from


def _chunk(buf: np.ndarray, line_base: int, final: bool) -> tuple[Decoded | None, int, int]:
    """Decode the lines of ``buf`` (uint8, ending at a newline unless final); returns
    (batch, bytes consumed, lines consumed)."""
    sc = _Scan(buf)
    n = len(sc)
    role, head, mp_reason, aux, aux_start, aux_len, aux_fill, decided = _assemble(buf, sc, n, final)
    if decided == 0:
        return None, 0, 0  # nothing decidable yet: read more
    if decided < n:  # cut after the last line where no group was open; the rest is read again
        n = decided
        role, head, mp_reason = role[:n], head[:n], mp_reason[:n]
        aux_start, aux_len, aux_fill = aux_start[:n], aux_len[:n], aux_fill[:n]
    consumed = int(sc.next_line_start[n - 1]) if n else 0
    lines = line_base + np.arange(1, n + 1, dtype=np.int64)
    status = sc.status[:n]
    rejected_line = (status != K.S_OK) & (status != K.S_BLANK)
    single = (status == K.S_OK) & (role == K.R_SINGLE)
    complete = role == K.R_HEAD
    bad_group = role == K.R_BAD_HEAD
    rec_single = np.flatnonzero(single | rejected_line)
    rec_multi = np.flatnonzero(complete | bad_group)
    rows = np.concatenate([rec_single, rec_multi])
    m1 = len(rec_single)

    # decode into one set of columns: single lines from the block, complete groups from the aux buffer;
    # text (names, call signs, destinations) only for the message types that carry it
    p1 = (sc.p_start[rec_single], sc.p_len[rec_single], np.where(single[rec_single], sc.fill[rec_single], 0))
    p2 = (aux_start[rec_multi].clip(0), aux_len[rec_multi], aux_fill[rec_multi])
    types = np.concatenate([K.first_types(buf, p1[0], p1[1]), K.first_types(aux, p2[0], p2[1])])
    has_text = np.isin(types, K.TEXT_TYPES)
    text_row = np.where(has_text, np.cumsum(has_text) - 1, -1)
    dec = _alloc_decoded(len(rows), int(has_text.sum()))
    _decode_into(dec, 0, buf, *p1, text_row[:m1])
    _decode_into(dec, m1, aux, *p2, text_row[m1:])
    d_status, msg_type, mmsi = dec[0], dec[1], dec[2]

    # reason codes: scan status (< 10), then multipart (10 + mp_reason), empty payload, too short
    code = np.where(rejected_line[rows], status[rows], 0).astype(np.int16)
    code[m1:][bad_group[rec_multi]] = 10 + mp_reason[rec_multi][bad_group[rec_multi]]
    decodable = code == 0
    empty = decodable & (np.concatenate([sc.p_len[rec_single], aux_len[rec_multi]]) == 0)
    code[empty] = K.S_EMPTY_PAYLOAD
    code[decodable & ~empty & (d_status == K.D_TOO_SHORT)] = 13
    undecoded = code != 0
    reject = _REASONS[code]
    msg_type[undecoded] = -1
    mmsi[undecoded] = -1

    ts, st_codes, st_names = _group_times_and_stations(buf, sc, n, role, head)
    station = pd.Categorical.from_codes(st_codes[rows], categories=st_names) if len(st_names) else None
    raw = _raw_reader(buf, sc, rows, m1, role, head)
    batch = _make_decoded(lines[rows], ts[rows], station, reject, dec, raw, undecoded, text_row)
    batch.content_hash = _content_hasher(buf, aux, sc.p_start[rec_single], sc.p_len[rec_single],
                                         aux_start[rec_multi].clip(0), aux_len[rec_multi], m1)
    return batch, consumed, n


def _group_times_and_stations(buf: np.ndarray, sc: _Scan, n: int, role: np.ndarray,
                              head: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(time per line, station code per line, station names): a group takes the time and the
    station of its first line that has them."""
    ts = sc.ts[:n].copy()
    members = np.flatnonzero(role != K.R_SINGLE)
    if len(members):
        h = head[members]
        has_ts = ts[members] != K.TS_MISSING
        fill_ts = ts[h] == K.TS_MISSING
        ts[h[has_ts & fill_ts]] = ts[members[has_ts & fill_ts]]
    st_codes, st_names = _station_codes(buf, sc, n)
    if len(members):
        need = (st_codes[head[members]] < 0) & (st_codes[members] >= 0)
        st_codes[head[members][need]] = st_codes[members[need]]
    return ts, st_codes, st_names


def _as_text(arr: pa.BinaryArray) -> pa.Array:
    """Binary as UTF-8 strings; bytes that are not UTF-8 are replaced."""
    try:
        return arr.cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array([b.decode("utf-8", "replace") for b in arr.to_pylist()], pa.string())


def _raw_reader(buf: np.ndarray, sc: _Scan, rows: np.ndarray, m1: int, role: np.ndarray,
                head: np.ndarray) -> Callable[[np.ndarray], pa.Array]:
    """Function (records) -> their raw text as Arrow strings: a line, or a group's lines joined
    by newlines (records from ``m1`` on are groups, gathered in numba)."""
    starts, ends = sc.starts, sc.ends

    def raw(idx: np.ndarray) -> pa.Array:
        idx = np.asarray(idx, dtype=np.int64)
        line_idx = rows[idx]
        data, offsets = K.gather(buf, starts, ends, line_idx)
        text = _as_text(pa.BinaryArray.from_buffers(pa.binary(), len(idx),
                                                    [None, pa.py_buffer(offsets), pa.py_buffer(data)]))
        multi = np.flatnonzero(idx >= m1)
        if not len(multi):
            return text
        mem = np.flatnonzero(role != K.R_SINGLE)
        mem = mem[np.lexsort((mem, head[mem]))]
        heads = line_idx[multi]
        lo = np.searchsorted(head[mem], heads, side="left")
        hi = np.searchsorted(head[mem], heads, side="right")
        sel = np.concatenate([mem[a:b] for a, b in zip(lo, hi, strict=True)])
        bounds = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int64)
        gdata, goffsets = K.gather_groups(buf, starts, ends, sel, bounds)
        groups = _as_text(pa.BinaryArray.from_buffers(pa.binary(), len(multi), [None, pa.py_buffer(goffsets),
                                                                                 pa.py_buffer(gdata)]))
        order = np.arange(len(idx))
        order[multi] = len(idx) + np.arange(len(multi))
        return pa.concat_arrays([text, groups]).take(pa.array(order))

    return raw


def _content_hasher(buf: np.ndarray, aux: np.ndarray, p_start1: np.ndarray, p_len1: np.ndarray,
                    p_start2: np.ndarray, p_len2: np.ndarray, m1: int) -> Callable[[np.ndarray], np.ndarray]:
    """Function (records) -> hash of the payload alone (same message, other tag block or
    station: same hash); records from ``m1`` on are groups, read from the aux buffer."""
    def content_hash(idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty(len(idx), np.uint64)
        a, b = idx < m1, idx >= m1
        out[a] = K.payload_hashes(buf, p_start1[idx[a]], p_len1[idx[a]])
        out[b] = K.payload_hashes(aux, p_start2[idx[b] - m1], p_len2[idx[b] - m1])
        return out

    return content_hash


def _alloc_decoded(n: int, n_text: int) -> tuple:
    """Output columns of the decoder; the validated fields are rows of two matrices (see records)."""
    status = np.empty(n, np.int8)
    msg_type = np.empty(n, np.int16)
    mmsi = np.empty(n, np.int64)
    fl = np.empty((len(FLOAT_MATRIX), n), np.float64)
    it = np.empty((len(INT_MATRIX), n), np.int64)
    f = {k: fl[j] for j, k in enumerate(FLOAT_MATRIX)}
    i64 = {k: it[j] for j, k in enumerate(INT_MATRIX)}
    i64.update({k: np.empty(n, np.int64) for k in (
        "accuracy", "to_bow", "to_stern", "to_port", "to_starboard", "eta_month", "eta_day", "eta_hour", "eta_minute",
        "part_no")})
    f["_matrices"] = (fl, it)
    name = np.zeros((max(n_text, 1), K.STR_NAME), np.uint8)
    callsign = np.zeros((max(n_text, 1), K.STR_CALLSIGN), np.uint8)
    dest = np.zeros((max(n_text, 1), K.STR_DEST), np.uint8)
    return status, msg_type, mmsi, f, i64, name, callsign, dest


def _decode_into(dec: tuple, at: int, buf: np.ndarray, p_start, p_len, fill, text_row) -> None:
    """Decode payloads into rows ``at .. at + len(p_start)`` of the columns ``dec``."""
    n = len(p_start)
    if n == 0:
        return
    sl = slice(at, at + n)
    status, msg_type, mmsi, f, i64, name, callsign, dest = dec
    if buf.flags.writeable:  # one compiled kernel: numba types a read-only array apart from a writable one
        buf = buf.view()
        buf.flags.writeable = False
    K.decode_payloads(
        buf, p_start, p_len, fill, status[sl], msg_type[sl], mmsi[sl], f["lat"][sl], f["lon"][sl], f["sog_kn"][sl],
        f["cog_deg"][sl], i64["heading_deg"][sl], i64["rot_raw"][sl], i64["nav_status"][sl], i64["accuracy"][sl],
        i64["imo"][sl], i64["ship_type"][sl], i64["to_bow"][sl], i64["to_stern"][sl], i64["to_port"][sl],
        i64["to_starboard"][sl], f["draught_m"][sl], i64["eta_month"][sl], i64["eta_day"][sl], i64["eta_hour"][sl],
        i64["eta_minute"][sl], i64["part_no"][sl], name, callsign, dest, text_row,
    )


def _texts(arr: np.ndarray, rows: np.ndarray, mat_rows: np.ndarray, n: int) -> np.ndarray:
    """Text of records ``rows`` (rows ``mat_rows`` of the zero-padded byte matrix) -> object array of n."""
    out = np.full(n, None, dtype=object)
    if len(rows):
        data, offsets = K.fixed_text(arr, mat_rows)
        text = pa.StringArray.from_buffers(len(rows), pa.py_buffer(offsets), pa.py_buffer(data))  # 6-bit text is ASCII
        vals = text.to_numpy(zero_copy_only=False)
        vals[np.diff(offsets) == 0] = None
        out[rows] = vals
    return out


def _station_codes(buf: np.ndarray, sc: _Scan, n: int) -> tuple[np.ndarray, list[str]]:
    """Station of each line as a code into a list of distinct names (-1 = none)."""
    keys = sc.st_key[:n]
    codes = np.full(n, -1, dtype=np.int32)
    has = keys != 0
    if not has.any():
        return codes, []
    inv = pd.factorize(keys[has])[0]  # a hash table, numbered as the stations first appear
    first = np.flatnonzero(first_occurrences(inv))
    idx = np.flatnonzero(has)[first]
    names = [bytes(buf[sc.st_start[i] : sc.st_start[i] + sc.st_len[i]]).decode("utf-8", "replace") for i in idx]
    codes[has] = inv
    return codes, names


def _six_bits(payload: str, start: int, length: int) -> int:
    """Bits ``start`` .. ``start + length`` of a 6-bit armoured payload, as an unsigned integer."""
    v = 0
    for k in range(start, start + length):
        c = ord(payload[k // 6]) - 48
        c = c - 8 if c > 40 else c
        v = (v << 1) | ((c >> (5 - k % 6)) & 1)
    return v


def _sar_altitudes(raw, rows: np.ndarray, n: int) -> np.ndarray:
    """Altitude (m; -1 not available) of the SAR aircraft reports (type 9) ``rows``: bits 38-49
    of the payload (4095 = not available, 4094 = 4094 m or higher). Few rows: read from the text."""
    alt = np.full(n, -1, np.int64)
    if len(rows):
        for i, text in zip(rows.tolist(), raw(rows).to_pylist(), strict=True):
            line = (text or "").split("\n")[0]
            start = max(line.find("!"), line.find("$"))  # after any tag block or receiver prefix
            fields = line[start:].split("*")[0].split(",") if start >= 0 else []
            payload = fields[5] if len(fields) > 5 else ""
            if len(payload) * 6 >= 50:
                v = _six_bits(payload, 38, 12)
                alt[i] = -1 if v == 4095 else v
    return alt


def _make_decoded(refs, ts, station, reject, dec, raw, rejected, text_row) -> Decoded:
    _status, msg_type, mmsi, f, i64, name, callsign, dest = dec
    mt = msg_type.astype(np.int64)
    ok = ~rejected
    t = np.clip(mt, 0, 63)
    has_pos = ok & _IS_POSITION[t]
    static_rows = ok & _IS_STATIC[t]
    cols: dict[str, np.ndarray] = {
        "lat": f["lat"], "lon": f["lon"], "sog_kn": f["sog_kn"], "cog_deg": f["cog_deg"],
        "draught_m": f["draught_m"],
        "heading_deg": i64["heading_deg"], "nav_status": i64["nav_status"], "accuracy": i64["accuracy"],
        "rot_raw": i64["rot_raw"], "imo": i64["imo"], "ship_type": i64["ship_type"],
        "eta_month": i64["eta_month"], "eta_day": i64["eta_day"], "eta_hour": i64["eta_hour"],
        "eta_minute": i64["eta_minute"],
    }
    # dimensions (static rows only): length = bow + stern, beam = port + starboard (0 = not available)
    srows = np.flatnonzero(static_rows | (mt == 21))
    length, beam = f["length_m"], f["beam_m"]  # rows of the float matrix
    length[:] = np.nan
    beam[:] = np.nan
    bow, stern = i64["to_bow"][srows], i64["to_stern"][srows]
    port, stbd = i64["to_port"][srows], i64["to_starboard"][srows]
    length[srows] = np.where((bow >= 0) & (stern >= 0), bow + stern, np.nan)
    beam[srows] = np.where((port >= 0) & (stbd >= 0), port + stbd, np.nan)
    cols["length_m"] = length
    cols["beam_m"] = beam
    srows = srows[text_row[srows] >= 0]
    cols["name"] = _texts(name, srows, text_row[srows], len(mt))
    cols["callsign"] = _texts(callsign, srows, text_row[srows], len(mt))
    cols["destination"] = _texts(dest, srows, text_row[srows], len(mt))
    cols["altitude_m"] = _sar_altitudes(raw, np.flatnonzero(ok & (mt == 9)), len(mt))
    return Decoded(
        ref=np.asarray(refs, dtype=np.int64), ts_ms=np.asarray(ts, dtype=np.int64), mmsi=mmsi, msg_type=mt,
        has_pos=has_pos, has_static=static_rows, raw=raw, cols=cols, station=station,
        reject=reject, reject_mask=rejected, matrices=f["_matrices"],
        time_source="the time (tag block c:, or the receiver's Unix time before or after the sentence)",
        explain=explain_all,
    )
