"""Numba kernel: scan NMEA 0183 lines (tag blocks, vendor time columns, sentence fields, checksums).

``scan_lines`` parses every line of a ``uint8`` buffer:

* an optional NMEA 4.10 tag block ``\\c:1635731889,s:station,g:1-2-3454*hh\\`` (its checksum
  is verified), or a vendor Unix time before the sentence (``1635731889 !AIVDM...``,
  ``1635731889.5,!AIVDM...``) or after it (``!AIVDM...*hh,1635731889``);
* the sentence ``!xxVDM,count,number,seq,channel,payload,fill*hh`` (``VDM`` or ``VDO``, any
  talker), with its checksum, fragment fields, fill bits and payload characters.

Pure functions over arrays; no I/O.
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
def _parse_epoch_ms(buf, i: int, end: int, min_digits: int):
    """Parse a Unix time (seconds, optional fraction; or milliseconds if 13 digits).

    Returns (ms, next_index) or (TS_MISSING, i) when no number of at least ``min_digits``
    digits starts at i. At most 16 digits are read (larger values do not fit the ms count);
    whether the time is plausible is decided later, on every record."""
    j = i
    whole = 0
    nd = 0
    while j < end and 48 <= buf[j] <= 57 and nd < 16:
        whole = whole * 10 + (buf[j] - 48)
        j += 1
        nd += 1
    if nd < min_digits or nd == 0:
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
#: 1 for the bytes of the 6-bit armouring alphabet (``0``-``W`` and `````-``w``)
_ARMOUR = np.array([1 if (48 <= c <= 87) or (96 <= c <= 119) else 0 for c in range(256)], np.uint8)


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
                    if key == 99:  # c: unix time (any number: c:0 is a time, an implausible one)
                        v, nxt = _parse_epoch_ms(buf, q + 2, r, 1)
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
            v, nxt = _parse_epoch_ms(buf, i, e, 9)  # a bare Unix time in seconds since 2001 has >= 9 digits
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
                if nf == 4:  # the payload, the longest field: a tight loop to its end
                    q += 1
                    while q < e:
                        c = buf[q]
                        if c == 44 or c == 42:
                            break
                        cs ^= c
                        badc |= _ARMOUR[c] == 0
                        q += 1
                    continue
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
        # vendor suffix after the checksum: the first of its comma-separated fields that is a
        # Unix time (AIS-catcher: ``*hh,1342569600``; AISHub: ``*hh,raishub,1342569600``)
        t = star + 3
        while t < e and ts_ms[k] == TS_MISSING:
            while t < e and (buf[t] == 32 or buf[t] == 44 or buf[t] == 59 or buf[t] == 9):
                t += 1
            v, nxt = _parse_epoch_ms(buf, t, e, 9)
            if v != TS_MISSING:
                ts_ms[k] = v
                break
            while t < e and buf[t] != 44 and buf[t] != 59:  # skip a field that is not a time
                t += 1
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


