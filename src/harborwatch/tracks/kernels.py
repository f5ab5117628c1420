"""Track kernels: pure numba functions over one vessel's time-sorted arrays.

Every kernel takes plain arrays (``t`` = epoch milliseconds UTC as int64, ``lat``/``lon`` in
degrees with NaN for missing, speeds in knots) and returns arrays; none does I/O. The
``*_batch`` drivers run a kernel over many vessels laid end to end, with ``offsets`` giving
each vessel's slice (``offsets[i]:offsets[i+1]``), so the Python interpreter is not entered
once per vessel. A batch result is, by construction, the concatenation of the per-vessel
results: partitioning vessels differently cannot change it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from harborwatch.geo.distance import (
    haversine_cos_m,
    haversine_m,
    interpolate,
    lat_cos,
    speed_kn,
)

# cleaning reason codes (index into CLEAN_REASONS)
KEEP, NO_POSITION, DUPLICATE, CLOCK_OFFSET, OUTLIER = 0, 1, 2, 3, 4
CLEAN_REASONS = ("kept", "no_position", "duplicate", "clock_offset", "outlier")


@njit(cache=True, nogil=True)
def clean_track(t, lat, lon, sog, cog, sat, clock_offset_ms):
    """Reason code per position (0 = keep) for one vessel's time-sorted positions.

    * ``no_position``: latitude or longitude missing.
    * ``duplicate``: same time, position, speed and course as a kept report.
    * ``clock_offset``: the same report (position, speed, course) received by the other
      receiver kind (terrestrial vs satellite) up to ``clock_offset_ms`` later: one message
      received twice with a receiver clock offset. A moored ship repeating its position
      through the same kind of receiver is not affected.

    Position spikes are found later, by segmentation (code ``outlier``).
    """
    n = t.shape[0]
    code = np.zeros(n, np.int8)
    prev = -1
    for i in range(n):
        if math.isnan(lat[i]) or math.isnan(lon[i]):
            code[i] = NO_POSITION
            continue
        j = prev
        while j >= 0 and t[i] - t[j] <= clock_offset_ms:
            if code[j] == KEEP and lat[j] == lat[i] and lon[j] == lon[i] and (
                sog[j] == sog[i] or (math.isnan(sog[j]) and math.isnan(sog[i]))
            ) and (cog[j] == cog[i] or (math.isnan(cog[j]) and math.isnan(cog[i]))):
                if t[i] == t[j]:
                    code[i] = DUPLICATE
                    break
                if sat[i] != sat[j]:
                    code[i] = CLOCK_OFFSET
                    break
            j -= 1
        if code[i] == KEEP:
            prev = i
    return code


@njit(cache=True, nogil=True)
def segment_track(t, lat, lon, keep, max_gap_ms, max_speed_knots, min_dt_s, max_open):
    """Segment id per position (-1 where ``keep`` is false) for one vessel.

    Each fix joins the open segment whose last fix is nearest, among those it can reach at an
    implied speed of at most ``max_speed_knots`` and whose last fix is at most ``max_gap_ms``
    old; otherwise it opens a new segment. (Nearest, not slowest: a vessel under way is as
    "plausible" from a segment left hours ago far behind as from its own last fix minutes ago.)
    Two hulls broadcasting one MMSI at the same time therefore become two interleaved segments
    instead of one zig-zag track. At most ``max_open`` segments stay open; the stalest is closed when another is needed.
    """
    n = t.shape[0]
    seg = np.full(n, -1, np.int32)
    open_id = np.full(max_open, -1, np.int32)
    open_last = np.zeros(max_open, np.int64)  # index of the last fix of each open segment
    next_id = 0
    for i in range(n):
        if not keep[i]:
            continue
        best = -1
        best_v = 1e300  # distance (m) to the best segment's last fix
        for k in range(max_open):
            if open_id[k] < 0:
                continue
            j = open_last[k]
            dt = t[i] - t[j]
            if dt > max_gap_ms:
                open_id[k] = -1  # closed by the gap
                continue
            d = haversine_m(lat[j], lon[j], lat[i], lon[i])
            v = speed_kn(d, dt, min_dt_s)
            if v <= max_speed_knots and (d < best_v or (d == best_v and t[j] > t[open_last[best]])):
                best = k
                best_v = d
        if best < 0:
            slot = -1
            for k in range(max_open):
                if open_id[k] < 0:
                    slot = k
                    break
            if slot < 0:  # close the stalest
                slot = 0
                for k in range(1, max_open):
                    if t[open_last[k]] < t[open_last[slot]]:
                        slot = k
            open_id[slot] = next_id
            next_id += 1
            best = slot
        seg[i] = open_id[best]
        open_last[best] = i
    return seg


@njit(cache=True, nogil=True)
def primary_segments(t, seg, n_seg):
    """Per segment: (first index, last index, count, is_primary).

    A segment is *secondary* when it overlaps in time a segment with more fixes (ties go to
    the lower id): the fixes of a second hull sharing the MMSI, or a burst of noise. The
    primary segments never overlap; in time order they form the vessel's main track.
    """
    first = np.full(n_seg, -1, np.int64)
    last = np.full(n_seg, -1, np.int64)
    count = np.zeros(n_seg, np.int64)
    for i in range(t.shape[0]):
        s = seg[i]
        if s < 0:
            continue
        if first[s] < 0:
            first[s] = i
        last[s] = i
        count[s] += 1
    primary = np.ones(n_seg, np.bool_)
    for a in range(n_seg):
        for b in range(n_seg):
            if a == b:
                continue
            if t[first[a]] <= t[last[b]] and t[first[b]] <= t[last[a]]:
                if count[b] > count[a] or (count[b] == count[a] and b < a):
                    primary[a] = False
                    break
    return first, last, count, primary


@njit(cache=True, nogil=True)
def clean_segment_batch(offsets, t, lat, lon, sog, cog, sat, clock_offset_ms, max_gap_ms, max_speed_knots,
                        min_dt_s, max_open, noise_max_fixes):
    """:func:`clean_track`, :func:`segment_track` and :func:`primary_segments` per vessel.

    A secondary segment of at most ``noise_max_fixes`` fixes is a position spike inside
    another track: its fixes get code ``outlier`` and segment -1. Returns (reason code,
    segment id, is_primary) per position; segment ids are renumbered 0.. in order of first fix.
    """
    n = t.shape[0]
    code = np.zeros(n, np.int8)
    seg = np.full(n, -1, np.int32)
    primary = np.zeros(n, np.bool_)
    for v in range(offsets.shape[0] - 1):
        a, b = offsets[v], offsets[v + 1]
        c = clean_track(t[a:b], lat[a:b], lon[a:b], sog[a:b], cog[a:b], sat[a:b], clock_offset_ms)
        s = segment_track(t[a:b], lat[a:b], lon[a:b], c == KEEP, max_gap_ms, max_speed_knots, min_dt_s, max_open)
        ns = 0
        for x in s:
            ns = max(ns, x + 1)
        if ns > 0:
            _, _, count, prim = primary_segments(t[a:b], s, ns)
            newid = np.full(ns, -1, np.int32)
            k = 0
            for i in range(b - a):
                x = s[i]
                if x < 0:
                    continue
                if not prim[x] and count[x] <= noise_max_fixes:
                    c[i] = OUTLIER
                    s[i] = -1
                    continue
                if newid[x] < 0:
                    newid[x] = k
                    k += 1
                s[i] = newid[x]
                primary[a + i] = prim[x]
        for i in range(b - a):  # element by element: a slice assignment compiles numba's shape-error path (3 s)
            code[a + i] = c[i]
            seg[a + i] = s[i]
    return code, seg, primary


@njit(cache=True, nogil=True)
def resample_count(offsets, t, step_ms, keep):
    """Number of ``step_ms`` slots inside each kept track (first pass of :func:`resample_fill`)."""
    total = 0
    for v in range(offsets.shape[0] - 1):
        a, b = offsets[v], offsets[v + 1]
        if b - a == 0 or not keep[v]:
            continue
        k0 = (t[a] + step_ms - 1) // step_ms
        k1 = t[b - 1] // step_ms
        if k1 >= k0:
            total += k1 - k0 + 1
    return total


@njit(cache=True, nogil=True)
def resample_fill(offsets, t, lat, lon, step_ms, max_gap_ms, min_dt_s, keep):
    """Positions at every multiple of ``step_ms`` inside each track ``v`` with ``keep[v]``,
    linearly interpolated.

    Slots between fixes more than ``max_gap_ms`` apart are skipped (nothing is invented
    across a gap). The speed of a slot is the implied speed, in knots, between the two fixes
    around it (NaN when a fix falls exactly on a slot with no neighbour within the gap).
    Returns (track index, slot number, lat, lon, speed_kn, index of the fix before, index of
    the fix after).
    """
    cap = resample_count(offsets, t, step_ms, keep)
    trk = np.empty(cap, np.int64)
    slot = np.empty(cap, np.int64)
    olat = np.empty(cap, np.float64)
    olon = np.empty(cap, np.float64)
    ospd = np.empty(cap, np.float64)
    oi0 = np.empty(cap, np.int64)
    oj = np.empty(cap, np.int64)
    m = 0
    for v in range(offsets.shape[0] - 1):
        a, b = offsets[v], offsets[v + 1]
        if b - a == 0 or not keep[v]:
            continue
        k = (t[a] + step_ms - 1) // step_ms
        i = a
        while k * step_ms <= t[b - 1]:
            s = k * step_ms
            while i + 1 < b and t[i + 1] <= s:
                i += 1
            # t[i] is the last fix at or before s
            if i + 1 < b:
                i0, j = i, i + 1
            elif i > a:
                i0, j = i - 1, i
            else:
                i0, j = i, i
            spd = np.nan
            if t[j] > t[i0] and t[j] - t[i0] <= max_gap_ms:
                spd = speed_kn(haversine_m(lat[i0], lon[i0], lat[j], lon[j]), t[j] - t[i0], min_dt_s)
            emit = True
            if t[i] == s:
                la, lo = lat[i], lon[i]
            elif t[j] - t[i0] <= max_gap_ms:
                f = (s - t[i0]) / (t[j] - t[i0])
                la, lo = interpolate(lat[i0], lon[i0], lat[j], lon[j], f)
            else:
                emit = False
                la, lo = np.nan, np.nan
            if emit:
                trk[m] = v
                slot[m] = k
                olat[m] = la
                olon[m] = lo
                ospd[m] = spd
                oi0[m] = i0
                oj[m] = j
                m += 1
            k += 1
    return trk[:m], slot[:m], olat[:m], olon[:m], ospd[:m], oi0[:m], oj[:m]


@njit(cache=True, nogil=True)
def step_distances(offsets, lat, lon):
    """Metres from the previous fix of the same track to each fix (0 at a track's first fix)."""
    out = np.zeros(lat.shape[0], np.float64)
    for v in range(offsets.shape[0] - 1):
        if offsets[v + 1] == offsets[v]:
            continue
        c0 = lat_cos(lat[offsets[v]])
        for i in range(offsets[v] + 1, offsets[v + 1]):
            c1 = lat_cos(lat[i])
            out[i] = haversine_cos_m(lat[i - 1], lon[i - 1], c0, lat[i], lon[i], c1)
            c0 = c1
    return out


@njit(cache=True, nogil=True)
def cumulative_distance(offsets, step):
    """Along-track distance in metres from each track's first fix, from :func:`step_distances`."""
    out = np.zeros(step.shape[0], np.float64)
    for v in range(offsets.shape[0] - 1):
        for i in range(offsets[v] + 1, offsets[v + 1]):
            out[i] = out[i - 1] + step[i]
    return out
