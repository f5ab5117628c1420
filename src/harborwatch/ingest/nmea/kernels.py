"""Numba kernels for NMEA 0183 AIS: scan lines, then decode 6-bit payloads in batches.

Pure functions over a ``uint8`` buffer holding many lines; no I/O, no Python objects.

``scan_lines`` parses one line per call-site index:

* optional NMEA 4.10 tag block ``\\c:1635731889,s:station,g:1-2-3454*hh\\`` (checksum
  verified), or a vendor Unix timestamp before the sentence (``1635731889 !AIVDM...``,
  ``1635731889.5,!AIVDM...``) or after it (``!AIVDM...*hh,1635731889``);
* the sentence ``!xxVDM,count,number,seq,channel,payload,fill*hh`` (``VDM`` or ``VDO``,
  any talker), with its checksum.

``decode_payloads`` decodes payloads of message types 1, 2, 3, 4, 5, 9, 18, 19, 21, 24
and 27 into columns; any other type yields only ``msg_type`` and ``mmsi``.

Null conventions in the output arrays: NaN for floats, -1 for integers (``rot_raw``:
``ROT_MISSING``), timestamp ``TS_MISSING``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

TS_MISSING = np.iinfo(np.int64).min
ROT_MISSING = -1000

# scan status codes (index into SCAN_REASONS)
S_OK = 0
S_BLANK = 1
S_NOT_NMEA = 2
S_BAD_CHECKSUM = 3
S_BAD_TAG_CHECKSUM = 4
S_MALFORMED = 5
S_BAD_FILL = 6
S_BAD_FRAGMENT = 7
S_BAD_CHAR = 8
S_EMPTY_PAYLOAD = 9

SCAN_REASONS = (
    "ok",
    "blank",
    "not_nmea",
    "bad_checksum",
    "bad_tag_block_checksum",
    "malformed_sentence",
    "bad_fill_bits",
    "bad_fragment_fields",
    "bad_payload_character",
    "empty_payload",
)

# decode status codes
D_OK = 0
D_TOO_SHORT = 1

STR_NAME = 20
STR_CALLSIGN = 7
STR_DEST = 20


@njit(cache=True, inline="always")
def _hexval(c: int) -> int:
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -1


@njit(cache=True, inline="always")
def _parse_epoch_ms(buf, i: int, end: int):
    """Parse a Unix time (seconds, optional fraction; or milliseconds if 13 digits).

    Returns (ms, next_index) or (TS_MISSING, i) when no number starts at i.
    """
    j = i
    whole = 0
    nd = 0
    while j < end and 48 <= buf[j] <= 57 and nd < 16:
        whole = whole * 10 + (buf[j] - 48)
        j += 1
        nd += 1
    if nd < 9:  # a Unix time in seconds since 2001 has >= 9 digits
        return TS_MISSING, i
    frac_ms = 0
    if j < end and buf[j] == 46:  # '.'
        j += 1
        scale = 100
        while j < end and 48 <= buf[j] <= 57:
            if scale > 0:
                frac_ms += (buf[j] - 48) * scale
                scale //= 10
            j += 1
    if nd >= 12:  # already milliseconds
        return whole, j
    return whole * 1000 + frac_ms, j


@njit(cache=True, parallel=True, nogil=True)
def scan_lines(
    buf,
    starts,
    ends,
    status,
    ts_ms,
    st_start,
    st_len,
    g_num,
    g_tot,
    g_id,
    frag_count,
    frag_num,
    seq_id,
    channel,
    p_start,
    p_len,
    fill,
    sent_start,
):
    n = starts.shape[0]
    nblocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(nblocks):
        fstart = np.empty(7, np.int64)
        fend = np.empty(7, np.int64)
        vals = np.empty(2, np.int64)
        for k in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _scan_one(buf, k, starts, ends, status, ts_ms, st_start, st_len, g_num, g_tot, g_id, frag_count,
                      frag_num, seq_id, channel, p_start, p_len, fill, sent_start, fstart, fend, vals)
    return 0


_BLOCK = 4096


@njit(cache=True, inline="always")
def _scan_one(buf, k, starts, ends, status, ts_ms, st_start, st_len, g_num, g_tot, g_id, frag_count, frag_num,
              seq_id, channel, p_start, p_len, fill, sent_start, fstart, fend, vals):
    if True:
        s = starts[k]
        e = ends[k]
        # trim CR / whitespace at both ends
        while e > s and (buf[e - 1] == 13 or buf[e - 1] == 32 or buf[e - 1] == 9):
            e -= 1
        while s < e and (buf[s] == 32 or buf[s] == 9):
            s += 1
        ts_ms[k] = TS_MISSING
        st_start[k] = -1
        st_len[k] = 0
        g_num[k] = -1
        g_tot[k] = -1
        g_id[k] = -1
        frag_count[k] = -1
        frag_num[k] = -1
        seq_id[k] = -1
        channel[k] = 0
        p_start[k] = -1
        p_len[k] = 0
        fill[k] = -1
        sent_start[k] = -1
        starts[k] = s
        ends[k] = e
        if s >= e:
            status[k] = S_BLANK
            return
        i = s
        # ---- tag block(s) ------------------------------------------------
        bad_tag = False
        while i < e and buf[i] == 92:  # '\'
            j = i + 1
            star = -1
            cs = 0
            while j < e and buf[j] != 92:
                if buf[j] == 42 and star < 0:
                    star = j
                elif star < 0:
                    cs ^= buf[j]
                j += 1
            if j >= e:  # unterminated tag block
                break
            content_end = star if star >= 0 else j
            if star >= 0:
                if j != star + 3:
                    bad_tag = True
                else:
                    h1 = _hexval(buf[star + 1])
                    h2 = _hexval(buf[star + 2])
                    if h1 < 0 or h2 < 0 or h1 * 16 + h2 != cs:
                        bad_tag = True
            # fields key:value separated by ','
            q = i + 1
            while q < content_end:
                r = q
                while r < content_end and buf[r] != 44:
                    r += 1
                if r - q >= 2 and buf[q + 1] == 58:  # 'x:'
                    key = buf[q]
                    if key == 99:  # c: unix time
                        v, nxt = _parse_epoch_ms(buf, q + 2, r)
                        if v != TS_MISSING:
                            ts_ms[k] = v
                    elif key == 115:  # s: source
                        st_start[k] = q + 2
                        st_len[k] = r - (q + 2)
                    elif key == 103:  # g: n-m-id
                        a = 0
                        part = 0
                        vals0 = -1
                        vals1 = -1
                        ok = True
                        has = False
                        for t in range(q + 2, r):
                            c = buf[t]
                            if 48 <= c <= 57:
                                a = a * 10 + (c - 48)
                                has = True
                            elif c == 45 and has:
                                if part == 0:
                                    vals0 = a
                                elif part == 1:
                                    vals1 = a
                                part += 1
                                a = 0
                                has = False
                            else:
                                ok = False
                        if ok and part == 2 and has:
                            g_num[k] = vals0
                            g_tot[k] = vals1
                            g_id[k] = a
                q = r + 1
            i = j + 1
        if bad_tag:
            status[k] = S_BAD_TAG_CHECKSUM
            return
        # ---- vendor prefix timestamp ---------------------------------------
        if i < e and buf[i] != 33 and buf[i] != 36:
            v, nxt = _parse_epoch_ms(buf, i, e)
            if v != TS_MISSING:
                if ts_ms[k] == TS_MISSING:
                    ts_ms[k] = v
                i = nxt
                while i < e and (buf[i] == 32 or buf[i] == 44 or buf[i] == 59 or buf[i] == 9):
                    i += 1
        # ---- sentence -------------------------------------------------------
        if i >= e or (buf[i] != 33 and buf[i] != 36):
            status[k] = S_NOT_NMEA
            return
        # need "!ttVDM," or "!ttVDO,"
        if (
            i + 7 > e
            or buf[i + 3] != 86
            or buf[i + 4] != 68
            or (buf[i + 5] != 77 and buf[i + 5] != 79)
            or buf[i + 6] != 44
        ):
            status[k] = S_NOT_NMEA
            return
        sent_start[k] = i
        # one pass to '*': XOR checksum, comma positions of the fields after "!ttVDM,", and
        # whether the payload field (the 5th) holds only 6-bit armouring characters
        star = -1
        cs = 0
        for q in range(i + 1, i + 7):
            cs ^= buf[q]
        nf = 0
        a = i + 7
        badc = False
        q = i + 7
        while q < e:
            c = buf[q]
            if c == 42:
                star = q
                break
            cs ^= c
            if c == 44:
                if nf < 7:
                    fstart[nf] = a
                    fend[nf] = q
                nf += 1
                a = q + 1
            elif nf == 4 and not ((48 <= c <= 87) or (96 <= c <= 119)):
                badc = True
            q += 1
        if star < 0 or star + 3 > e:
            status[k] = S_MALFORMED
            return
        h1 = _hexval(buf[star + 1])
        h2 = _hexval(buf[star + 2])
        if h1 < 0 or h2 < 0 or h1 * 16 + h2 != cs:
            status[k] = S_BAD_CHECKSUM
            return
        if nf < 7:
            fstart[nf] = a
            fend[nf] = star
        nf += 1
        # vendor suffix timestamp after the checksum
        t = star + 3
        if t < e:
            while t < e and (buf[t] == 32 or buf[t] == 44 or buf[t] == 59 or buf[t] == 9):
                t += 1
            v, nxt = _parse_epoch_ms(buf, t, e)
            if v != TS_MISSING and ts_ms[k] == TS_MISSING:
                ts_ms[k] = v
        if nf != 6:
            status[k] = S_MALFORMED
            return
        # fragment count / number
        bad = False
        for f in range(2):
            if fend[f] - fstart[f] != 1 or not (49 <= buf[fstart[f]] <= 57):
                bad = True
                break
            vals[f] = buf[fstart[f]] - 48
        if bad or vals[1] > vals[0]:
            status[k] = S_BAD_FRAGMENT
            return
        frag_count[k] = vals[0]
        frag_num[k] = vals[1]
        if fend[2] - fstart[2] == 1 and 48 <= buf[fstart[2]] <= 57:
            seq_id[k] = buf[fstart[2]] - 48
        elif fend[2] != fstart[2]:
            status[k] = S_BAD_FRAGMENT
            return
        if fend[3] - fstart[3] == 1:
            channel[k] = buf[fstart[3]]
        # fill bits
        if fend[5] - fstart[5] != 1 or not (48 <= buf[fstart[5]] <= 53):
            status[k] = S_BAD_FILL
            return
        fill[k] = buf[fstart[5]] - 48
        plen = fend[4] - fstart[4]
        p_start[k] = fstart[4]
        p_len[k] = plen
        if plen == 0:
            status[k] = S_EMPTY_PAYLOAD
            return
        if badc:
            status[k] = S_BAD_CHAR
            return
        if fill[k] > 0 and plen * 6 - fill[k] < 6:
            status[k] = S_BAD_FILL
            return
        status[k] = S_OK


@njit(cache=True, inline="always")
def _six(c: int) -> int:
    v = c - 48
    if v > 40:
        v -= 8
    return v


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _text(buf, p0: int, nbits: int, off: int, nchars: int, out, row: int) -> None:
    """6-bit text: stop at '@', strip spaces at both ends; zero-pad the output row (none if row < 0)."""
    if row < 0:
        return
    width = out.shape[1]
    for j in range(width):
        out[row, j] = 0
    tmp = np.zeros(nchars, np.uint8)
    m = 0
    for j in range(nchars):
        b = off + 6 * j
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
    for j in range(lo, hi):
        out[row, j - lo] = tmp[j]


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
            lon[k] = ((10 * _sbits(buf, p0, 61, 28) + 3) // 6) / 1e6
            lat[k] = ((10 * _sbits(buf, p0, 89, 27) + 3) // 6) / 1e6
            cog[k] = _bits(buf, p0, 116, 12) / 10.0
            heading[k] = _bits(buf, p0, 128, 9)
        elif t == 18 or t == 19:
            if nbits < 133:
                status[k] = D_TOO_SHORT
                continue
            sog[k] = _bits(buf, p0, 46, 10) / 10.0
            accuracy[k] = _bits(buf, p0, 56, 1)
            lon[k] = ((10 * _sbits(buf, p0, 57, 28) + 3) // 6) / 1e6
            lat[k] = ((10 * _sbits(buf, p0, 85, 27) + 3) // 6) / 1e6
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
            lon[k] = ((10000 * _sbits(buf, p0, 44, 18) + 3) // 6) / 1e6
            lat[k] = ((10000 * _sbits(buf, p0, 62, 17) + 3) // 6) / 1e6
            sog[k] = float(_bits(buf, p0, 79, 6))
            cog[k] = float(_bits(buf, p0, 85, 9))
        elif t == 4:
            if nbits < 134:
                status[k] = D_TOO_SHORT
                continue
            accuracy[k] = _bits(buf, p0, 78, 1)
            lon[k] = ((10 * _sbits(buf, p0, 79, 28) + 3) // 6) / 1e6
            lat[k] = ((10 * _sbits(buf, p0, 107, 27) + 3) // 6) / 1e6
        elif t == 9:
            if nbits < 128:
                status[k] = D_TOO_SHORT
                continue
            sog[k] = float(_bits(buf, p0, 50, 10))
            accuracy[k] = _bits(buf, p0, 60, 1)
            lon[k] = ((10 * _sbits(buf, p0, 61, 28) + 3) // 6) / 1e6
            lat[k] = ((10 * _sbits(buf, p0, 89, 27) + 3) // 6) / 1e6
            cog[k] = _bits(buf, p0, 116, 12) / 10.0
        elif t == 21:
            if nbits < 219:
                status[k] = D_TOO_SHORT
                continue
            _text(buf, p0, nbits, 43, 20, name, text_row[k])
            accuracy[k] = _bits(buf, p0, 163, 1)
            lon[k] = ((10 * _sbits(buf, p0, 164, 28) + 3) // 6) / 1e6
            lat[k] = ((10 * _sbits(buf, p0, 192, 27) + 3) // 6) / 1e6
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
                if not (mmsi[k] // 10000000 == 98):  # auxiliary craft carry a mothership MMSI
                    to_bow[k] = _bits(buf, p0, 132, 9)
                    to_stern[k] = _bits(buf, p0, 141, 9)
                    to_port[k] = _bits(buf, p0, 150, 6)
                    to_starboard[k] = _bits(buf, p0, 156, 6)
    return 0


# ---------------------------------------------------------------------------
# multi-sentence reassembly
# ---------------------------------------------------------------------------
R_SINGLE = 0  # not part of a multi-sentence message
R_HEAD = 1  # first line of a complete group: the record (payload in the aux buffer)
R_MEMBER = 2  # other line of a complete group
R_BAD_HEAD = 3  # first line of a rejected group: the record
R_BAD_MEMBER = 4  # other line of a rejected group
R_CARRY = 5  # line of a group still open at the end of a chunk: re-read with the next chunk

MP_OK = 0
MP_INCOMPLETE = 1
MP_OUT_OF_ORDER = 2
MAX_GROUPS = 64
MAX_FRAGS = 9


@njit(cache=True, nogil=True)
def station_keys(buf, st_start, st_len):
    """FNV-1a 64 of each line's station name (0 when none), for grouping fragments."""
    n = st_start.shape[0]
    out = np.zeros(n, np.int64)
    for k in range(n):
        if st_start[k] < 0:
            continue
        h = np.uint64(0xCBF29CE484222325)
        for q in range(st_start[k], st_start[k] + st_len[k]):
            h = (h ^ np.uint64(buf[q])) * np.uint64(0x100000001B3)
        out[k] = np.int64(h >> np.uint64(1)) + 1
    return out


@njit(cache=True, nogil=True)
def _reject_group(slot, g_members, g_count, role, head, mp_reason, reason):
    h = g_members[slot, 0]
    for j in range(g_count[slot]):
        m = g_members[slot, j]
        role[m] = R_BAD_MEMBER
        head[m] = h
    role[h] = R_BAD_HEAD
    mp_reason[h] = reason


@njit(cache=True, nogil=True)
def assemble(buf, status, fcount, fnum, seq, chan, g_num, g_tot, g_id, st_key, p_start, p_len, fill,
             final, max_open, role, head, mp_reason, aux_buf, aux_start, aux_len, aux_fill):
    """Group fragments into messages (see reader docstring).

    Returns (aux bytes used, lines decided). When groups are still open at the end of the
    chunk (and it is not the final one) only the lines up to the last point where no group
    was open are decided; the caller cuts the chunk there and reads the rest again.
    """
    n = status.shape[0]
    g_active = np.zeros(MAX_GROUPS, np.bool_)
    g_kind = np.zeros(MAX_GROUPS, np.int64)
    g_k1 = np.zeros(MAX_GROUPS, np.int64)
    g_k2 = np.zeros(MAX_GROUPS, np.int64)
    g_k3 = np.zeros(MAX_GROUPS, np.int64)
    g_total = np.zeros(MAX_GROUPS, np.int64)
    g_count = np.zeros(MAX_GROUPS, np.int64)
    g_members = np.zeros((MAX_GROUPS, MAX_FRAGS), np.int64)
    used = 0
    n_active = 0
    safe = -1  # last line after which no group was open: lines up to it are decided for good
    for k in range(n):
        role[k] = R_SINGLE
        head[k] = k
        mp_reason[k] = MP_OK
        aux_start[k] = -1
        aux_len[k] = 0
        aux_fill[k] = 0
    for k in range(n):
        if status[k] != S_OK or fcount[k] < 2:
            if n_active == 0:
                safe = k
            continue
        if g_id[k] >= 0:
            kind, k1, k2, k3 = 0, g_id[k], 0, 0
            num, total = g_num[k], g_tot[k]
        else:
            kind, k1, k2, k3 = 1, seq[k], np.int64(chan[k]), st_key[k]
            num, total = fnum[k], fcount[k]
        slot = -1
        for j in range(MAX_GROUPS):
            if g_active[j] and g_kind[j] == kind and g_k1[j] == k1 and g_k2[j] == k2 and g_k3[j] == k3:
                slot = j
                break
        if num == 1 and total >= 2 and total <= MAX_FRAGS:
            if slot >= 0:
                _reject_group(slot, g_members, g_count, role, head, mp_reason, MP_INCOMPLETE)
            else:
                oldest = -1
                for j in range(MAX_GROUPS):
                    if not g_active[j]:
                        slot = j
                        break
                    if oldest < 0 or g_members[j, 0] < g_members[oldest, 0]:
                        oldest = j
                if slot < 0:
                    slot = oldest
                    _reject_group(slot, g_members, g_count, role, head, mp_reason, MP_INCOMPLETE)
            if not g_active[slot]:
                n_active += 1
            g_active[slot] = True
            g_kind[slot] = kind
            g_k1[slot] = k1
            g_k2[slot] = k2
            g_k3[slot] = k3
            g_total[slot] = total
            g_count[slot] = 1
            g_members[slot, 0] = k
            continue
        if slot < 0 or g_count[slot] + 1 != num or g_total[slot] != total:
            if slot >= 0:
                if g_count[slot] < MAX_FRAGS:
                    g_members[slot, g_count[slot]] = k
                    g_count[slot] += 1
                _reject_group(slot, g_members, g_count, role, head, mp_reason, MP_OUT_OF_ORDER)
                role[k] = R_BAD_MEMBER
                head[k] = g_members[slot, 0]
                g_active[slot] = False
                n_active -= 1
            else:
                role[k] = R_BAD_HEAD
                mp_reason[k] = MP_OUT_OF_ORDER
            continue
        g_members[slot, g_count[slot]] = k
        g_count[slot] += 1
        if num == total:
            h = g_members[slot, 0]
            aux_start[h] = used
            for j in range(g_count[slot]):
                m = g_members[slot, j]
                for q in range(p_start[m], p_start[m] + p_len[m]):
                    aux_buf[used] = buf[q]
                    used += 1
                role[m] = R_MEMBER
                head[m] = h
            role[h] = R_HEAD
            aux_len[h] = used - aux_start[h]
            aux_fill[h] = fill[k]
            g_active[slot] = False
            n_active -= 1
        # expire groups left open too long
        for j in range(MAX_GROUPS):
            if g_active[j] and k - g_members[j, g_count[j] - 1] > max_open:
                _reject_group(j, g_members, g_count, role, head, mp_reason, MP_INCOMPLETE)
                g_active[j] = False
                n_active -= 1
        if n_active == 0:
            safe = k
    if n_active == 0 or final:
        for j in range(MAX_GROUPS):
            if g_active[j]:
                _reject_group(j, g_members, g_count, role, head, mp_reason, MP_INCOMPLETE)
        return used, n
    # groups still open: decide nothing after the last safe line; the caller reads the rest again
    return used, safe + 1


@njit(cache=True, nogil=True, parallel=True)
def gather(buf, starts, ends, idx):
    """Bytes of lines ``idx`` concatenated, with Arrow int32 offsets."""
    m = idx.shape[0]
    offsets = np.empty(m + 1, np.int32)
    total = 0
    for j in range(m):
        offsets[j] = total
        total += ends[idx[j]] - starts[idx[j]]
    offsets[m] = total
    data = np.empty(total, np.uint8)
    for j in prange(m):
        s = starts[idx[j]]
        data[offsets[j] : offsets[j + 1]] = buf[s : s + offsets[j + 1] - offsets[j]]
    return data, offsets


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
def gather_groups(buf, starts, ends, members, bounds):
    """Text of groups: lines ``members[bounds[g]:bounds[g+1]]`` joined by newlines, as Arrow buffers."""
    m = bounds.shape[0] - 1
    offsets = np.empty(m + 1, np.int32)
    total = 0
    for g in range(m):
        offsets[g] = total
        for j in range(bounds[g], bounds[g + 1]):
            total += ends[members[j]] - starts[members[j]] + (1 if j > bounds[g] else 0)
    offsets[m] = total
    data = np.empty(total, np.uint8)
    pos = 0
    for g in range(m):
        for j in range(bounds[g], bounds[g + 1]):
            if j > bounds[g]:
                data[pos] = 10
                pos += 1
            for q in range(starts[members[j]], ends[members[j]]):
                data[pos] = buf[q]
                pos += 1
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
