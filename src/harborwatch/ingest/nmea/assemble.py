"""Numba kernels: reassemble multi-sentence messages, and gather raw line text into Arrow buffers."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from harborwatch.ingest.nmea.scan import S_OK

# ---------------------------------------------------------------------------
# multi-sentence reassembly
# ---------------------------------------------------------------------------
R_SINGLE = 0  # not part of a multi-sentence message
R_HEAD = 1  # first line of a complete group: the record (payload in the aux buffer)
R_MEMBER = 2  # other line of a complete group
R_BAD_HEAD = 3  # first line of a rejected group: the record
R_BAD_MEMBER = 4  # other line of a rejected group

MP_OK = 0
MP_INCOMPLETE = 1
MP_OUT_OF_ORDER = 2
MAX_GROUPS = 64
MAX_FRAGS = 9


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


