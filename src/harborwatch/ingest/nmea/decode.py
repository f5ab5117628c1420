"""Numba kernels: decode 6-bit AIS payloads into columns (types 1-5, 9, 18, 19, 21, 24, 27).

Null conventions in the outputs: NaN for floats, -1 for integers, ``ROT_MISSING`` for the rate
of turn. Coordinates use pyais's integer rounding, so values agree with pyais exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types

from harborwatch.ingest.nmea.scan import ROT_MISSING

D_OK = 0
D_TOO_SHORT = 1

#: Width of the name column: 20 characters, plus the 14 of a type 21 name extension.
STR_NAME = 34
#: Type 21: the name extension starts at this bit and holds at most this many characters.
EXT_BIT, EXT_CHARS = 272, 14
STR_CALLSIGN = 7
STR_DEST = 20

# The bit and text readers are compiled for these types only. Left to numba, each call's literal
# offsets and widths made a version of its own: 102 of ``_bits``, 26 of the text readers, a
# minute of compiling on a fresh install's first NMEA ingest for no gain in speed.
_I = types.int64
_BUFS = (types.Array(types.uint8, 1, "C", readonly=True), types.Array(types.uint8, 1, "C"))
_OUT = types.Array(types.uint8, 2, "C")


@njit(cache=True, inline="always")
def _six(c: int) -> int:
    v = c - 48
    if v > 40:
        v -= 8
    return v


@njit([_I(b, _I, _I, _I) for b in _BUFS], cache=True, nogil=True)
def _bits(buf, p0: int, off: int, n: int) -> int:
    """Unsigned integer of ``n`` bits starting at bit ``off`` of the payload at ``p0``."""
    v = 0
    i = off
    end = off + n
    while i < end:
        ci = i // 6
        bi = i - ci * 6
        take = 6 - bi
        if end - i < take:
            take = end - i
        c = _six(buf[p0 + ci])
        chunk = (c >> (6 - bi - take)) & ((1 << take) - 1)
        v = (v << take) | chunk
        i += take
    return v


@njit(cache=True, inline="always")
def _sbits(buf, p0: int, off: int, n: int) -> int:
    v = _bits(buf, p0, off, n)
    if v & (1 << (n - 1)):
        v -= 1 << n
    return v


@njit(cache=True, inline="always")
def _deg(v: int, scale: int) -> float:
    """Degrees from a coordinate in 1/10000 minute (scale 10) or 1/10 minute (scale 10000).

    round(v / 600000, 6) computed in integers, exactly as pyais does: nearest integer of
    v * scale / 6, in millionths of a degree (v * scale / 6 is never halfway between integers).
    """
    return ((scale * v + 3) // 6) / 1e6


@njit([types.none(b, _I, _I, _I, _I, _I, _I, _OUT, _I) for b in _BUFS], cache=True, nogil=True)
def _text_ext(buf, p0: int, nbits: int, off: int, nchars: int, off2: int, nchars2: int, out, row: int) -> None:
    """Like :func:`_text` over two bit ranges read one after the other (a type 21 name and its
    extension): each stops at its first '@'; spaces are stripped at both ends of the whole."""
    if row < 0:
        return
    width = out.shape[1]
    for j in range(width):
        out[row, j] = 0
    tmp = np.zeros(nchars + nchars2, np.uint8)
    m = 0
    for part in range(2):
        o = off if part == 0 else off2
        cnt = nchars if part == 0 else nchars2
        for j in range(cnt):
            b = o + 6 * j
            if b + 6 > nbits and part == 1:  # the extension holds whole characters only
                break
            if b >= nbits:
                break
            take = 6 if nbits - b >= 6 else nbits - b
            v = _bits(buf, p0, b, take) << (6 - take)
            if v < 32:
                v += 64
            if v == 64:
                break
            tmp[m] = v
            m += 1
    lo = 0
    while lo < m and tmp[lo] == 32:
        lo += 1
    hi = m
    while hi > lo and tmp[hi - 1] == 32:
        hi -= 1
    for j in range(lo, min(hi, lo + width)):
        out[row, j - lo] = tmp[j]


@njit([types.none(b, _I, _I, _I, _I, _OUT, _I) for b in _BUFS], cache=True, nogil=True)
def _text(buf, p0: int, nbits: int, off: int, nchars: int, out, row: int) -> None:
    """6-bit text: stop at '@', strip spaces at both ends; zero-pad the output row (none if row < 0)."""
    _text_ext(buf, p0, nbits, off, nchars, 0, 0, out, row)


@njit(cache=True, parallel=True, nogil=True)
def decode_payloads(
    buf,
    p_start,
    p_len,
    fill,
    status,
    msg_type,
    mmsi,
    lat,
    lon,
    sog,
    cog,
    heading,
    rot_raw,
    nav_status,
    accuracy,
    imo,
    ship_type,
    to_bow,
    to_stern,
    to_port,
    to_starboard,
    draught,
    eta_month,
    eta_day,
    eta_hour,
    eta_minute,
    part_no,
    name,
    callsign,
    destination,
    text_row,
):
    """Decode payloads; text fields go to row ``text_row[k]`` of the (compact) text matrices."""
    n = p_start.shape[0]
    for k in prange(n):
        p0 = p_start[k]
        nbits = p_len[k] * 6 - fill[k]
        msg_type[k] = -1
        mmsi[k] = -1
        lat[k] = np.nan
        lon[k] = np.nan
        sog[k] = np.nan
        cog[k] = np.nan
        heading[k] = -1
        rot_raw[k] = ROT_MISSING
        nav_status[k] = -1
        accuracy[k] = -1
        imo[k] = -1
        ship_type[k] = -1
        to_bow[k] = -1
        to_stern[k] = -1
        to_port[k] = -1
        to_starboard[k] = -1
        draught[k] = np.nan
        eta_month[k] = -1
        eta_day[k] = -1
        eta_hour[k] = -1
        eta_minute[k] = -1
        part_no[k] = -1
        status[k] = D_OK
        if nbits < 38:
            status[k] = D_TOO_SHORT
            if nbits >= 6:
                msg_type[k] = _bits(buf, p0, 0, 6)
            continue
        t = _bits(buf, p0, 0, 6)
        msg_type[k] = t
        mmsi[k] = _bits(buf, p0, 8, 30)
        if t == 1 or t == 2 or t == 3:
            if nbits < 137:
                status[k] = D_TOO_SHORT
                continue
            nav_status[k] = _bits(buf, p0, 38, 4)
            rot_raw[k] = _sbits(buf, p0, 42, 8)
            sog[k] = _bits(buf, p0, 50, 10) / 10.0
            accuracy[k] = _bits(buf, p0, 60, 1)
            lon[k] = _deg(_sbits(buf, p0, 61, 28), 10)
            lat[k] = _deg(_sbits(buf, p0, 89, 27), 10)
            cog[k] = _bits(buf, p0, 116, 12) / 10.0
            heading[k] = _bits(buf, p0, 128, 9)
        elif t == 18 or t == 19:
            if nbits < 133:
                status[k] = D_TOO_SHORT
                continue
            sog[k] = _bits(buf, p0, 46, 10) / 10.0
            accuracy[k] = _bits(buf, p0, 56, 1)
            lon[k] = _deg(_sbits(buf, p0, 57, 28), 10)
            lat[k] = _deg(_sbits(buf, p0, 85, 27), 10)
            cog[k] = _bits(buf, p0, 112, 12) / 10.0
            heading[k] = _bits(buf, p0, 124, 9)
            if t == 19:
                if nbits < 301:
                    status[k] = D_TOO_SHORT
                    continue
                _text(buf, p0, nbits, 143, 20, name, text_row[k])
                ship_type[k] = _bits(buf, p0, 263, 8)
                to_bow[k] = _bits(buf, p0, 271, 9)
                to_stern[k] = _bits(buf, p0, 280, 9)
                to_port[k] = _bits(buf, p0, 289, 6)
                to_starboard[k] = _bits(buf, p0, 295, 6)
        elif t == 27:
            if nbits < 94:
                status[k] = D_TOO_SHORT
                continue
            accuracy[k] = _bits(buf, p0, 38, 1)
            nav_status[k] = _bits(buf, p0, 40, 4)
            lon[k] = _deg(_sbits(buf, p0, 44, 18), 10000)
            lat[k] = _deg(_sbits(buf, p0, 62, 17), 10000)
            sog[k] = float(_bits(buf, p0, 79, 6))
            cog[k] = float(_bits(buf, p0, 85, 9))
        elif t == 4:
            if nbits < 134:
                status[k] = D_TOO_SHORT
                continue
            accuracy[k] = _bits(buf, p0, 78, 1)
            lon[k] = _deg(_sbits(buf, p0, 79, 28), 10)
            lat[k] = _deg(_sbits(buf, p0, 107, 27), 10)
        elif t == 9:
            if nbits < 128:
                status[k] = D_TOO_SHORT
                continue
            sog[k] = float(_bits(buf, p0, 50, 10))
            accuracy[k] = _bits(buf, p0, 60, 1)
            lon[k] = _deg(_sbits(buf, p0, 61, 28), 10)
            lat[k] = _deg(_sbits(buf, p0, 89, 27), 10)
            cog[k] = _bits(buf, p0, 116, 12) / 10.0
        elif t == 21:
            if nbits < 219:
                status[k] = D_TOO_SHORT
                continue
            _text_ext(buf, p0, nbits, 43, 20, EXT_BIT, EXT_CHARS, name, text_row[k])
            accuracy[k] = _bits(buf, p0, 163, 1)
            lon[k] = _deg(_sbits(buf, p0, 164, 28), 10)
            lat[k] = _deg(_sbits(buf, p0, 192, 27), 10)
        elif t == 5:
            if nbits < 302:
                status[k] = D_TOO_SHORT
                continue
            imo[k] = _bits(buf, p0, 40, 30)
            _text(buf, p0, nbits, 70, 7, callsign, text_row[k])
            _text(buf, p0, nbits, 112, 20, name, text_row[k])
            ship_type[k] = _bits(buf, p0, 232, 8)
            to_bow[k] = _bits(buf, p0, 240, 9)
            to_stern[k] = _bits(buf, p0, 249, 9)
            to_port[k] = _bits(buf, p0, 258, 6)
            to_starboard[k] = _bits(buf, p0, 264, 6)
            eta_month[k] = _bits(buf, p0, 274, 4)
            eta_day[k] = _bits(buf, p0, 278, 5)
            eta_hour[k] = _bits(buf, p0, 283, 5)
            eta_minute[k] = _bits(buf, p0, 288, 6)
            draught[k] = _bits(buf, p0, 294, 8) / 10.0
            _text(buf, p0, nbits, 302, 20, destination, text_row[k])
        elif t == 24:
            if nbits < 40:
                status[k] = D_TOO_SHORT
                continue
            pn = _bits(buf, p0, 38, 2)
            part_no[k] = pn
            if pn == 0:
                if nbits < 160:
                    status[k] = D_TOO_SHORT
                    continue
                _text(buf, p0, nbits, 40, 20, name, text_row[k])
            elif pn == 1:
                if nbits < 162:
                    status[k] = D_TOO_SHORT
                    continue
                ship_type[k] = _bits(buf, p0, 40, 8)
                _text(buf, p0, nbits, 90, 7, callsign, text_row[k])
                if mmsi[k] // 10000000 != 98:  # auxiliary craft carry a mothership MMSI
                    to_bow[k] = _bits(buf, p0, 132, 9)
                    to_stern[k] = _bits(buf, p0, 141, 9)
                    to_port[k] = _bits(buf, p0, 150, 6)
                    to_starboard[k] = _bits(buf, p0, 156, 6)
    return 0


@njit(cache=True, nogil=True)
def fixed_text(mat, rows):
    """Rows of a zero-padded (n, w) byte matrix as Arrow string buffers (data, int32 offsets)."""
    m = rows.shape[0]
    w = mat.shape[1]
    offsets = np.empty(m + 1, np.int32)
    total = 0
    for j in range(m):
        offsets[j] = total
        k = 0
        while k < w and mat[rows[j], k] != 0:
            k += 1
        total += k
    offsets[m] = total
    data = np.empty(total, np.uint8)
    pos = 0
    for j in range(m):
        k = 0
        while k < w and mat[rows[j], k] != 0:
            data[pos] = mat[rows[j], k]
            pos += 1
            k += 1
    return data, offsets


@njit(cache=True, nogil=True)
def payload_hashes(buf, p_start, p_len):
    """FNV-1a 64 of each payload (identity of undecoded messages, whatever tag block or station)."""
    n = p_start.shape[0]
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(0xCBF29CE484222325)
        for q in range(p_start[i], p_start[i] + p_len[i]):
            h = (h ^ np.uint64(buf[q])) * np.uint64(0x100000001B3)
        out[i] = h
    return out


TEXT_TYPES = (5, 19, 21, 24)


@njit(cache=True, nogil=True)
def first_types(buf, p_start, p_len):
    """Message type from the first payload character (-1 for an empty payload)."""
    n = p_start.shape[0]
    out = np.empty(n, np.int64)
    for k in range(n):
        out[k] = _six(buf[p_start[k]]) if p_len[k] > 0 else -1
    return out

