"""Event kernels: numba functions over tracks laid end to end (``offsets`` per track).

A *track* here is one vessel's main track (its primary segments in time order) or one
secondary hull segment. Inputs are sorted by time within each track; nothing here does I/O.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from harborwatch.geo.distance import ecef_m, haversine_m, speed_kn
from harborwatch.sites.catalogue import nearest_site


@njit(cache=True, inline="always")
def _speed_at(i, a, b, t, step, sog, min_dt_s):
    """Reported speed over ground, or the implied speed from the neighbouring fix
    (``step``: :func:`~harborwatch.tracks.kernels.step_distances`)."""
    if not math.isnan(sog[i]):
        return sog[i]
    if i > a:
        return speed_kn(step[i], t[i] - t[i - 1], min_dt_s)
    if i + 1 < b:
        return speed_kn(step[i + 1], t[i + 1] - t[i], min_dt_s)
    return np.nan


@njit(cache=True, nogil=True)
def port_visits(offsets, t, step, sog, dist, site, entry_m, exit_m, stop_begin_kn, stop_end_kn, min_gap_ms,
                min_dt_s):
    """Port visits per track: GFW's entry / stop / gap / exit state machine.

    ``step``: metres from the previous fix of the track (:func:`~harborwatch.tracks.kernels.step_distances`).
    ``dist``/``site``: distance (m) to, and row of, the nearest port site for every fix.
    A visit starts at the first fix within ``entry_m`` and ends at the last fix before one
    beyond ``exit_m`` (or at the track's end). Returns per visit: track, first fix, last fix,
    site row, entry, stop, gap and exit flags (int8 0/1), and the index of the first fix
    of the stop (-1 if none).
    """
    out = np.empty((16, 9), np.int64)
    m = 0
    for v in range(offsets.shape[0] - 1):
        a, b = offsets[v], offsets[v + 1]
        inside = False
        start = -1
        best_d = 1e300
        best_site = -1
        entry = stop = gap = 0
        stopped = False
        stop_idx = -1
        i = a
        while i <= b:
            ends = False
            exited = False
            if i == b:
                ends = inside
            elif inside and dist[i] > exit_m:
                ends = True
                exited = True
            if ends:
                if m == out.shape[0]:
                    out = _grow(out, m)
                out[m, 0] = v
                out[m, 1] = start
                out[m, 2] = i - 1
                out[m, 3] = best_site
                out[m, 4] = entry
                out[m, 5] = stop
                out[m, 6] = gap
                out[m, 7] = 1 if exited else 0
                out[m, 8] = stop_idx
                m += 1
                inside = False
            if i == b:
                break
            if not inside:
                if dist[i] <= entry_m and site[i] >= 0:
                    inside = True
                    start = i
                    entry = 1 if i > a else 0
                    stop = gap = 0
                    stop_idx = -1
                    best_d = dist[i]
                    best_site = site[i]
                    spd = _speed_at(i, a, b, t, step, sog, min_dt_s)
                    stopped = spd < stop_begin_kn
                    if stopped:
                        stop = 1
                        stop_idx = i
            else:
                if dist[i] < best_d and site[i] >= 0:
                    best_d = dist[i]
                    best_site = site[i]
                if t[i] - t[i - 1] >= min_gap_ms:
                    gap = 1
                spd = _speed_at(i, a, b, t, step, sog, min_dt_s)
                if not stopped and spd < stop_begin_kn:
                    stopped = True
                    if stop == 0:
                        stop_idx = i
                    stop = 1
                elif stopped and spd > stop_end_kn:
                    stopped = False
            i += 1
    return out[:m]


@njit(cache=True, nogil=True)
def _grow(arr, m):
    """``arr`` with twice the rows, the first ``m`` copied (output buffers of unknown length)."""
    new = np.empty((arr.shape[0] * 2,) + arr.shape[1:], arr.dtype)
    dst, src = new.reshape(-1), arr.reshape(-1)
    for i in range(m * (arr.size // arr.shape[0])):  # by element: a slice assignment compiles numba's shape errors
        dst[i] = src[i]
    return new


@njit(cache=True, nogil=True)
def slow_runs(offsets, t, step, sog, max_speed_kn, max_gap_ms, min_dt_s):
    """Runs of consecutive fixes slower than ``max_speed_kn``, broken by silences > ``max_gap_ms``
    (``step``: :func:`~harborwatch.tracks.kernels.step_distances`).

    Returns per run: track, first fix, last fix, along-track distance (m).
    """
    idx = np.empty((16, 3), np.int64)
    dist = np.empty(16, np.float64)
    m = 0
    for v in range(offsets.shape[0] - 1):
        a, b = offsets[v], offsets[v + 1]
        start = -1
        acc = 0.0
        for i in range(a, b + 1):
            slow = i < b and _speed_at(i, a, b, t, step, sog, min_dt_s) < max_speed_kn
            broken = slow and start >= 0 and t[i] - t[i - 1] > max_gap_ms
            if start >= 0 and (not slow or broken):  # close the current run at i - 1
                if m == idx.shape[0]:
                    idx = _grow(idx, m)
                    dist = _grow(dist, m)
                idx[m, 0] = v
                idx[m, 1] = start
                idx[m, 2] = i - 1
                dist[m] = acc
                m += 1
                start = -1
            if slow:
                if start < 0:
                    start = i
                    acc = 0.0
                else:
                    acc += step[i]
    return idx[:m], dist[:m]


@njit(cache=True, nogil=True)
def encounter_runs(pair_offsets, slot, row_a, row_b, lat, lon, spd, d, max_distance_m, min_slots,
                   max_median_kn, merge_slots, min_port_m, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy,
                   cell_keys, cell_start, cell_sites, cell_deg):
    """Encounters per vessel pair from their joined, slot-sorted resampled positions.

    Pair row ``i`` joins point ``row_a[i]`` with point ``row_b[i]`` (``lat``, ``lon``,
    ``spd``: per point), ``d[i]`` metres apart. A run is consecutive slots with the two at
    most ``max_distance_m`` apart; it qualifies with at least ``min_slots`` slots, both median
    speeds below ``max_median_kn`` and its middle position at least ``min_port_m`` from every
    port site. Qualifying runs of one pair less than ``merge_slots`` apart merge. Returns
    (events: pair, first row, last row, middle row, number of close slots; close mask per row).
    """
    n = slot.shape[0]
    close = np.zeros(n, np.bool_)
    for i in range(n):
        close[i] = d[i] <= max_distance_m
    ev = np.empty((16, 5), np.int64)
    m = 0
    for p in range(pair_offsets.shape[0] - 1):
        a, b = pair_offsets[p], pair_offsets[p + 1]
        last_end = -1  # row index of the last qualifying run's end, for merging
        i = a
        while i < b:
            if not close[i]:
                i += 1
                continue
            j = i
            while j + 1 < b and close[j + 1] and slot[j + 1] == slot[j] + 1:
                j += 1
            k = j - i + 1
            ok = k >= min_slots
            if ok:
                sa = spd[row_a[i:j + 1]]
                sb = spd[row_b[i:j + 1]]
                ma = np.nanmedian(sa) if np.any(~np.isnan(sa)) else np.nan
                mb = np.nanmedian(sb) if np.any(~np.isnan(sb)) else np.nan
                ok = ma < max_median_kn and mb < max_median_kn
            if ok:
                mid = i + k // 2
                pd, _ = nearest_site(0.5 * (lat[row_a[mid]] + lat[row_b[mid]]), lon[row_a[mid]], slat, slon, scos,
                                     srad, ring_offsets, ring_index, vx, vy, cell_keys, cell_start, cell_sites,
                                     cell_deg)
                ok = pd >= min_port_m
            if ok:
                if last_end >= 0 and ev[m - 1, 0] == p and slot[i] - slot[last_end] < merge_slots:
                    ev[m - 1, 2] = j
                    ev[m - 1, 4] += k
                    # keep the middle of the longest constituent run
                    if k > ev[m - 1, 3] >> 32:
                        ev[m - 1, 3] = (k << 32) | (i + k // 2)
                else:
                    if m == ev.shape[0]:
                        ev = _grow(ev, m)
                    ev[m, 0] = p
                    ev[m, 1] = i
                    ev[m, 2] = j
                    ev[m, 3] = (k << 32) | (i + k // 2)
                    ev[m, 4] = k
                    m += 1
                last_end = j
            i = j + 1
    out = ev[:m].copy()
    for e in range(m):
        out[e, 3] = out[e, 3] & 0xFFFFFFFF
    return out, close


@njit(cache=True, nogil=True)
def range_argmin(x, first, last):
    """Per range ``k``: the index of the smallest ``x`` in ``first[k]..last[k]`` (the first such)."""
    out = np.empty(first.shape[0], np.int64)
    for k in range(first.shape[0]):
        best = first[k]
        for i in range(first[k] + 1, last[k] + 1):
            if x[i] < x[best]:
                best = i
        out[k] = best
    return out


@njit(cache=True, nogil=True)
def asof(key, t, qkey, qt):
    """Per query: the last row ``i`` with ``key[i] == qkey`` and ``t[i] <= qt`` (-1 if none).

    Rows are sorted by (key, t); so are the answers' candidates, found by binary search."""
    out = np.full(qkey.shape[0], -1, np.int64)
    n = key.shape[0]
    if n == 0:
        return out
    for q in range(qkey.shape[0]):
        lo, hi = 0, n  # first row with (key, t) > (qkey, qt)
        while lo < hi:
            mid = (lo + hi) // 2
            if key[mid] < qkey[q] or (key[mid] == qkey[q] and t[mid] <= qt[q]):
                lo = mid + 1
            else:
                hi = mid
        if lo > 0 and key[lo - 1] == qkey[q]:
            out[q] = lo - 1
    return out


@njit(cache=True, nogil=True)
def distances(lat1, lon1, lat2, lon2):
    """:func:`~harborwatch.geo.distance.haversine_m` element by element (metres)."""
    out = np.empty(lat1.shape[0], np.float64)
    for i in range(lat1.shape[0]):
        out[i] = haversine_m(lat1[i], lon1[i], lat2[i], lon2[i])
    return out


@njit(cache=True, nogil=True)
def true_runs(offsets, mask):
    """Runs of consecutive True in ``mask`` inside each track: (first row, last row) per run."""
    first = np.empty(16, np.int64)
    last = np.empty(16, np.int64)
    m = 0
    for v in range(offsets.shape[0] - 1):
        i = offsets[v]
        b = offsets[v + 1]
        while i < b:
            if not mask[i]:
                i += 1
                continue
            j = i
            while j + 1 < b and mask[j + 1]:
                j += 1
            if m == first.shape[0]:
                first = _grow(first, m)
                last = _grow(last, m)
            first[m] = i
            last[m] = j
            m += 1
            i = j + 1
    return first[:m], last[:m]


@njit(cache=True, nogil=True)
def slot_buckets(slot):
    """Points grouped by slot without a sort (a stable counting sort): (order, start) where the
    points of slot ``slot.min() + k`` are ``order[start[k]:start[k + 1]]``, in input order."""
    n = slot.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(1, np.int64)
    s0 = slot.min()
    ns = slot.max() - s0 + 1
    count = np.zeros(ns + 1, np.int64)
    for r in range(n):
        count[slot[r] - s0 + 1] += 1
    start = np.cumsum(count)
    order = np.empty(n, np.int64)
    fill = start[:-1].copy()
    for r in range(n):
        k = slot[r] - s0
        order[fill[k]] = r
        fill[k] += 1
    return order, start


@njit(cache=True, nogil=True)
def bucket_pairs(order, start, k0, k1, mmsi, lat, lon, max_distance_m):
    """The space-time join for slots ``k0..k1-1`` of :func:`slot_buckets`: every pair of points
    in one slot, of different vessels, at most ``max_distance_m`` apart (great circle).

    Inside a slot, points are sorted along the Earth-centred axis on which they spread most
    and swept with a window of ``max_distance_m`` (a straight line is never longer than the
    great circle), so only near pairs are measured. Points are laid out by track (increasing
    with (mmsi, hull)) then slot. Returns (point a, point b, distance in m), a before b, in
    slot order; slot ranges are independent (threads may run disjoint ones).
    """
    gmax = 0
    for k in range(k0, k1):
        gmax = max(gmax, start[k + 1] - start[k])
    xyz = np.empty((gmax, 3), np.float64)
    ea = np.empty(16, np.int64)
    eb = np.empty(16, np.int64)
    ed = np.empty(16, np.float64)
    # a millionth of slack: rounding never drops a pair the great-circle test would keep
    reach = max_distance_m * (1.0 + 1e-6)
    chord2 = reach * reach
    m = 0
    for k in range(k0, k1):
        a, b = start[k], start[k + 1]
        g = b - a
        if g < 2:
            continue
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        for j in range(g):
            r = order[a + j]
            x, y, z = ecef_m(lat[r], lon[r])
            xyz[j, 0], xyz[j, 1], xyz[j, 2] = x, y, z
            for ax in range(3):
                lo[ax] = min(lo[ax], xyz[j, ax])
                hi[ax] = max(hi[ax], xyz[j, ax])
        axis = 0
        for ax in range(1, 3):
            if hi[ax] - lo[ax] > hi[axis] - lo[axis]:
                axis = ax
        srt = np.argsort(xyz[:g, axis])
        for p in range(g):
            jx = srt[p]
            cx = xyz[jx, axis]
            for q in range(p + 1, g):
                jy = srt[q]
                if xyz[jy, axis] - cx > reach:
                    break
                x, y = order[a + jx], order[a + jy]
                if mmsi[x] == mmsi[y]:
                    continue
                dx = xyz[jx, 0] - xyz[jy, 0]
                dy = xyz[jx, 1] - xyz[jy, 1]
                dz = xyz[jx, 2] - xyz[jy, 2]
                if dx * dx + dy * dy + dz * dz > chord2:
                    continue
                xa, xb = min(x, y), max(x, y)
                dist = haversine_m(lat[xa], lon[xa], lat[xb], lon[xb])
                if dist > max_distance_m:
                    continue
                if m == ea.shape[0]:
                    ea = _grow(ea, m)
                    eb = _grow(eb, m)
                    ed = _grow(ed, m)
                ea[m] = xa
                eb[m] = xb
                ed[m] = dist
                m += 1
    return ea[:m], eb[:m], ed[:m]


@njit(cache=True, nogil=True)
def track_index(mmsi, hull):
    """Track number (0, 1, ...) of each point of points ordered by (mmsi, hull)."""
    n = mmsi.shape[0]
    out = np.empty(n, np.int64)
    t = 0
    for i in range(n):
        if i > 0 and (mmsi[i] != mmsi[i - 1] or hull[i] != hull[i - 1]):
            t += 1
        out[i] = t
    return out


@njit(cache=True, nogil=True)
def group_pairs(chunks_a, chunks_b, chunks_d, trk):
    """Pairs found in slot order (point ``a``, point ``b``, distance ``d``, given as lists of
    chunks, one per slot range) laid out by (track a, track b, slot), as
    :func:`encounter_runs` reads them: a counting sort by track a, then a stable sort by track
    b inside each. Returns (point a, point b, distance, offsets of each pair of tracks)."""
    m = 0
    nt = 0
    for c in range(len(chunks_a)):
        ea = chunks_a[c]
        m += ea.shape[0]
        for e in range(ea.shape[0]):
            nt = max(nt, trk[ea[e]] + 1)
    tc = np.zeros(nt + 1, np.int64)
    for c in range(len(chunks_a)):
        ea = chunks_a[c]
        for e in range(ea.shape[0]):
            tc[trk[ea[e]] + 1] += 1
    tstart = np.cumsum(tc)
    tfill = tstart[:-1].copy()
    ra = np.empty(m, np.int64)
    rb = np.empty(m, np.int64)
    rd = np.empty(m, np.float64)
    for c in range(len(chunks_a)):
        ea, eb, ed = chunks_a[c], chunks_b[c], chunks_d[c]
        for e in range(ea.shape[0]):
            k = tfill[trk[ea[e]]]
            ra[k], rb[k], rd[k] = ea[e], eb[e], ed[e]
            tfill[trk[ea[e]]] += 1
    poff = np.empty(m + 1, np.int64)
    npairs = 0
    for v in range(nt):
        a, b = tstart[v], tstart[v + 1]
        if b == a:
            continue
        keys = np.empty(b - a, np.int64)
        for i in range(b - a):
            keys[i] = trk[rb[a + i]]
        o = np.argsort(keys, kind="mergesort")
        sa, sb, sd = ra[a:b][o], rb[a:b][o], rd[a:b][o]
        for i in range(b - a):  # by element: a slice assignment compiles numba's shape-error path (4 s)
            ra[a + i], rb[a + i], rd[a + i] = sa[i], sb[i], sd[i]
            if i == 0 or keys[o[i]] != keys[o[i - 1]]:
                poff[npairs] = a + i
                npairs += 1
    poff[npairs] = m
    return ra, rb, rd, poff[:npairs + 1]


@njit(cache=True, nogil=True)
def encounter_stats(evs, close, d, spd, row_a, row_b):
    """Per encounter of :func:`encounter_runs`, over its close rows: median and least distance
    (m) and each vessel's median speed (kn; NaN when it has none)."""
    m = evs.shape[0]
    med_d = np.empty(m)
    min_d = np.empty(m)
    med_a = np.empty(m)
    med_b = np.empty(m)
    for e in range(m):
        sel = np.flatnonzero(close[evs[e, 1]:evs[e, 2] + 1]) + evs[e, 1]
        dd = d[sel]
        med_d[e] = np.median(dd)
        min_d[e] = dd.min()
        sa = spd[row_a[sel]]
        sb = spd[row_b[sel]]
        med_a[e] = np.nanmedian(sa) if np.any(~np.isnan(sa)) else np.nan
        med_b[e] = np.nanmedian(sb) if np.any(~np.isnan(sb)) else np.nan
    return med_d, min_d, med_a, med_b


@njit(cache=True, nogil=True)
def encounter_evidence(evs, close, ref0_a, ref1_a, ref0_b, ref1_b, row_a, row_b):
    """Per encounter: the sorted distinct records of its close rows (row ``i`` rests on
    ``ref0_a[row_a[i]]``, ``ref1_a[row_a[i]]``, ``ref0_b[row_b[i]]``, ``ref1_b[row_b[i]]``).
    Returns (offsets, values)."""
    m = evs.shape[0]
    offsets = np.zeros(m + 1, np.int64)
    total = 0
    for e in range(m):
        total += 4 * (evs[e, 2] - evs[e, 1] + 1)
    values = np.empty(total, np.uint64)
    k = 0
    for e in range(m):
        buf = np.empty(4 * (evs[e, 2] - evs[e, 1] + 1), np.uint64)
        n = 0
        for i in range(evs[e, 1], evs[e, 2] + 1):
            if close[i]:
                buf[n] = ref0_a[row_a[i]]
                buf[n + 1] = ref1_a[row_a[i]]
                buf[n + 2] = ref0_b[row_b[i]]
                buf[n + 3] = ref1_b[row_b[i]]
                n += 4
        buf = np.sort(buf[:n])
        for j in range(n):
            if j == 0 or buf[j] != buf[j - 1]:
                values[k] = buf[j]
                k += 1
        offsets[e + 1] = k
    return offsets, values[:k]


@njit(cache=True, nogil=True)
def copy_ranges(dst, dst_start, src, src_start, length):
    """``dst[dst_start[k]:dst_start[k] + length[k]] = src[src_start[k]:src_start[k] + length[k]]`` for each k."""
    for k in range(length.shape[0]):
        d, s = dst_start[k], src_start[k]
        for i in range(length[k]):
            dst[d + i] = src[s + i]


@njit(cache=True, nogil=True)
def track_port_reach(offsets, lat, dist, step, max_abs_lat):
    """Per track: an upper bound, in metres, of the distance from any point of the track (its
    fixes and the straight segments between consecutive fixes) to the nearest port site.

    The distance to the nearest site is 1-Lipschitz, so on the segment between fixes ``i - 1``
    and ``i`` (``step[i]`` metres long) it is at most ``(dist[i - 1] + dist[i] + step[i]) / 2``;
    at a fix it is ``dist[i]``. ``inf`` for a track with a fix beyond ``max_abs_lat`` degrees
    of latitude, where the tangent-plane distance to polygon sites bends too much for the bound."""
    nt = offsets.shape[0] - 1
    out = np.full(nt, -np.inf)
    for v in range(nt):
        a, b = offsets[v], offsets[v + 1]
        best = -np.inf
        for i in range(a, b):
            if not abs(lat[i]) <= max_abs_lat:
                best = np.inf
                break
            best = max(best, dist[i])
            if i > a:
                best = max(best, 0.5 * (dist[i - 1] + dist[i] + step[i]))
        out[v] = best
    return out


@njit(cache=True, nogil=True)
def reception_runs(lat, lon, t, code, mmsi, cell_deg, ncol, d0, ndays, nrec, day_ms):
    """Runs of consecutive fixes of one vessel with one (reception cell, UTC day, receiver kind)
    key: (key, MMSI, fixes) per run. The key is ``((row * ncol + col) * ndays + day - d0) * nrec
    + code``, rows and columns of ``cell_deg`` cells from 90S and 180W."""
    n = lat.shape[0]
    keys = np.empty(n, np.int64)
    mms = np.empty(n, np.int64)
    cnt = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        r = np.int64(math.floor((lat[i] + 90.0) / cell_deg))
        c = np.int64(math.floor((lon[i] + 180.0) / cell_deg))
        key = ((r * ncol + c) * ndays + (t[i] // day_ms - d0)) * nrec + code[i]
        if m > 0 and key == keys[m - 1] and mmsi[i] == mms[m - 1]:
            cnt[m - 1] += 1
        else:
            keys[m] = key
            mms[m] = mmsi[i]
            cnt[m] = 1
            m += 1
    return keys[:m], mms[:m], cnt[:m]


@njit(cache=True, nogil=True)
def gather_fixes(idx, t, lat, lon, sog, mmsi, hull, refs, receiver):
    """The rows ``idx`` of a partition's fix columns in one pass, and the offsets of the tracks
    they form (a new track wherever (mmsi, hull) changes)."""
    n = idx.shape[0]
    ot, ola, olo, osg = np.empty(n, t.dtype), np.empty(n, lat.dtype), np.empty(n, lon.dtype), np.empty(n, sog.dtype)
    om, oh = np.empty(n, mmsi.dtype), np.empty(n, hull.dtype)
    orf, orc = np.empty(n, refs.dtype), np.empty(n, receiver.dtype)
    off = np.empty(n + 1, np.int64)
    k = 0
    for j in range(n):
        i = idx[j]
        ot[j], ola[j], olo[j], osg[j] = t[i], lat[i], lon[i], sog[i]
        om[j], oh[j], orf[j], orc[j] = mmsi[i], hull[i], refs[i], receiver[i]
        if j == 0 or om[j] != om[j - 1] or oh[j] != oh[j - 1]:
            off[k] = j
            k += 1
    off[k] = n
    return ot, ola, olo, osg, om, oh, orf, orc, off[:k + 1]


@njit(cache=True, nogil=True)
def range_order(mmsi, his):
    """Rows grouped by MMSI range without a sort (a stable counting sort): range ``k`` holds the
    MMSIs in ``(his[k - 1], his[k]]`` (``his`` increasing). Returns (order, end of each range in
    ``order``); inside a range rows keep their input order."""
    n = mmsi.shape[0]
    k = his.shape[0]
    part = np.empty(n, np.int32)
    count = np.zeros(k, np.int64)
    for i in range(n):
        p = np.searchsorted(his, np.int64(mmsi[i]))
        part[i] = p
        count[p] += 1
    ends = np.cumsum(count)
    fill = ends - count
    order = np.empty(n, np.int64)
    for i in range(n):
        order[fill[part[i]]] = i
        fill[part[i]] += 1
    return order, ends
