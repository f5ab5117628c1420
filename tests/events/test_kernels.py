"""The event kernels against direct computations."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numba.typed import List

from harborwatch.events import kernels as EK
from harborwatch.events.context import Context
from harborwatch.events.params import EventsConfig
from harborwatch.events.rules.encounters import close_pairs
from harborwatch.events.schema import PAIRS, POINTS
from harborwatch.geo.distance import haversine_m
from harborwatch.sites.catalogue import SiteCatalogue

# fixes scattered within about a km of 5N 20E (no port): a few vessels, hulls and slots
fix = st.tuples(st.integers(0, 5), st.integers(0, 1), st.integers(0, 15),
                st.floats(-0.006, 0.006), st.floats(-0.006, 0.006), st.floats(0.0, 3.0))


def _points(fixes: list[tuple]) -> pa.Table:
    """POINTS rows as the vessel stage lays them out: one per (vessel, hull, slot), by track then slot."""
    uniq = {(m, h, s): (la, lo, sp) for m, h, s, la, lo, sp in fixes}
    keys = sorted(uniq)
    return pa.table({
        "slot": np.array([k[2] for k in keys], np.int64),
        "mmsi": pa.array([211_000_000 + k[0] for k in keys], pa.uint32()),
        "hull": pa.array([k[1] for k in keys], pa.int32()),
        "lat": np.array([5.0 + uniq[k][0] for k in keys]), "lon": np.array([20.0 + uniq[k][1] for k in keys]),
        "speed_kn": np.array([uniq[k][2] for k in keys]),
        "ref0": pa.array(np.arange(len(keys), dtype=np.uint64)),
        "ref1": pa.array(np.arange(len(keys), dtype=np.uint64) + 1000),
    }, schema=POINTS)


def _brute_pairs(t: pa.Table, max_distance_m: float = 500.0) -> pa.Table:
    """Every pair of rows of different vessels in one slot within the distance, by brute force."""
    r = t.to_pylist()
    out = []
    for a in r:
        for b in r:
            if a["slot"] == b["slot"] and a["mmsi"] < b["mmsi"] and \
                    haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]) <= max_distance_m:
                out.append({**{f"{k}_a": a[k] for k in ("mmsi", "hull", "lat", "lon", "ref0", "ref1")},
                            **{f"{k}_b": b[k] for k in ("mmsi", "hull", "lat", "lon", "ref0", "ref1")},
                            "slot": a["slot"], "speed_a": a["speed_kn"], "speed_b": b["speed_kn"]})
    return pa.Table.from_pylist(out, schema=PAIRS)


@settings(max_examples=60, deadline=None)
@given(st.lists(fix, min_size=0, max_size=60), st.integers(1, 3))
def test_every_join_gives_the_encounters_of_the_brute_force_pairs(fixes, workers):
    """The local engine's join, and the per-pair stage on close_pairs (out-of-core and Spark
    engines), against the pair stage on every close pair found by brute force."""
    t = _points(fixes)
    ctx = Context(EventsConfig(), SiteCatalogue.default())
    enc = ctx.cfg.encounters
    want = enc.pairs(_brute_pairs(t), ctx)
    assert enc.join(t, ctx, workers=workers).equals(want)
    assert enc.pairs(close_pairs(enc, t, workers), ctx).equals(want)
    # slots are independent: the pairs of any grouping of slots together are the pairs of all
    if t.num_rows:
        odd = pc.equal(pc.bit_wise_and(t["slot"], 1), 1)
        parts = pa.concat_tables([close_pairs(enc, t.filter(odd)), close_pairs(enc, t.filter(pc.invert(odd)))])
        assert enc.pairs(parts, ctx).equals(want)
        # in groups of whole vessel pairs of a few rows: the same events, in another order
        by_id = [("event_id", "ascending")]
        assert enc.pairs(parts, ctx, rows_at_once=3).sort_by(by_id).equals(want.sort_by(by_id))


@settings(max_examples=60, deadline=None)
@given(st.lists(fix, min_size=0, max_size=60), st.sampled_from([(500.0, 1.0), (10.0, 0.01), (500.0, 0.0)]))
def test_bucket_pairs_finds_every_close_pair_once(fixes, scale):
    """Against all pairs in a slot within the distance: scattered, tightly packed, and all on
    one spot (every sweep axis tied)."""
    maxd, shrink = scale
    t = _points([(m, h, s, la * shrink, lo * shrink, sp) for m, h, s, la, lo, sp in fixes])
    if t.num_rows == 0:
        return
    mm = t["mmsi"].to_numpy().astype(np.int64)
    key = mm * 1_000_000 + t["hull"].to_numpy().astype(np.int64)
    slot = t["slot"].to_numpy()
    trk = np.concatenate([[0], np.cumsum(key[1:] != key[:-1])])
    lat, lon = t["lat"].to_numpy(), t["lon"].to_numpy()
    order, start = EK.slot_buckets(slot)
    ea, eb, ed = EK.bucket_pairs(order, start, 0, len(start) - 1, mm, lat, lon, maxd)
    assert all(ed[i] == haversine_m(lat[ea[i]], lon[ea[i]], lat[eb[i]], lon[eb[i]]) for i in range(len(ea)))
    # the pairs in two chunks, as two threads find them
    h = len(ea) // 2
    ra, rb, rd, poff = EK.group_pairs(*(List([x[:h], x[h:]]) for x in (ea, eb, ed)), trk)
    got = [(int(key[a]), int(key[b]), int(slot[a])) for a, b in zip(ra, rb, strict=True)]
    assert sorted(zip(ra.tolist(), rb.tolist(), rd.tolist(), strict=True)) == sorted(
        zip(ea.tolist(), eb.tolist(), ed.tolist(), strict=True))
    # pair offsets: where the pair of tracks changes
    heads = [i for i in range(len(ra)) if i == 0 or (trk[ra[i]], trk[rb[i]]) != (trk[ra[i - 1]], trk[rb[i - 1]])]
    assert poff.tolist() == heads + [len(ra)]
    n = len(key)
    want = sorted((int(key[a]), int(key[b]), int(slot[a])) for a in range(n) for b in range(n)
                  if slot[a] == slot[b] and mm[a] < mm[b] and haversine_m(lat[a], lon[a], lat[b], lon[b]) <= maxd)
    assert got == want  # every close pair once, in (track a, track b, slot) order


def test_encounter_found_by_both_joins():
    """Two vessels drifting 200 m apart for 3 h: one encounter, whichever join."""
    fixes = [(0, 0, s, 0.0, 0.0, 0.5) for s in range(20)] + [(1, 0, s, 0.0018, 0.0, 0.5) for s in range(20)]
    t = _points(fixes)
    ctx = Context(EventsConfig(), SiteCatalogue.default())
    enc = ctx.cfg.encounters
    local, spark = enc.join(t, ctx), enc.pairs(close_pairs(enc, t), ctx)
    assert local.num_rows == 1 and local.equals(spark)
    assert local["type"].to_pylist() == ["encounter"]


#: Three pairs of vessels drifting 200 m apart for 3 h, each pair 1.1 km from the next; the
#: first vessel's MMSI also has a second hull, 70 km away.
_DRIFTING = [(m, 0, s, 0.01 * k, d, 0.5) for k, (m0, m1) in enumerate([(0, 1), (2, 3), (4, 5)])
             for m, d in ((m0, 0.0), (m1, 0.0018)) for s in range(20)] + [(0, 1, s, 0.5, 0.5, 0.5) for s in range(20)]


@settings(max_examples=40, deadline=None)
@given(st.lists(fix, min_size=0, max_size=60), st.randoms(use_true_random=False))
def test_the_join_orders_its_points_whatever_order_they_come_in(fixes, rnd):
    """Whole vessels in any order (as the Spark engine's tasks send them: a stable sort by MMSI
    orders them) and rows in any order (a sort by all keys): the events of ordered points."""
    t = _points(_DRIFTING + [(m + 6, *rest) for m, *rest in fixes])  # three encounters, and any others
    ctx = Context(EventsConfig(), SiteCatalogue.default())
    enc = ctx.cfg.encounters
    want = enc.join(t, ctx)
    assert want.num_rows >= 3
    mm = t["mmsi"].to_pylist()
    vessels = sorted(set(mm))
    rnd.shuffle(vessels)
    blocks = [i for v in vessels for i in range(t.num_rows) if mm[i] == v]
    rows = list(range(t.num_rows))
    rnd.shuffle(rows)
    for order in (blocks, rows):
        assert enc.join(t.take(pa.array(order, pa.int64())), ctx).equals(want)


def test_the_pair_stage_in_groups_keeps_each_vessel_pair_whole():
    """Three pairs drifting 200 m apart for 3 h, the pair stage a few rows at a time: the same
    three encounters as in one go (a pair cut between groups would lose its run)."""
    t = _points(_DRIFTING)
    ctx = Context(EventsConfig(), SiteCatalogue.default())
    enc = ctx.cfg.encounters
    whole = enc.pairs(close_pairs(enc, t), ctx)
    grouped = enc.pairs(close_pairs(enc, t), ctx, rows_at_once=7)
    assert whole.num_rows == 3
    by_id = [("event_id", "ascending")]
    assert grouped.sort_by(by_id).equals(whole.sort_by(by_id))


def test_range_argmin_asof_and_true_runs():
    x = np.array([3.0, 1.0, 1.0, 5.0, 0.5])
    assert EK.range_argmin(x, np.array([0, 3]), np.array([2, 4])).tolist() == [1, 4]
    key, t = np.array([1, 1, 2, 2]), np.array([10, 20, 5, 30])
    assert EK.asof(key, t, np.array([1, 1, 2, 2, 3, 0]), np.array([15, 25, 4, 30, 1, 99])).tolist() == \
        [0, 1, -1, 3, -1, -1]
    f, last = EK.true_runs(np.array([0, 3, 6]), np.array([1, 1, 0, 0, 1, 1], bool))
    assert f.tolist() == [0, 4] and last.tolist() == [1, 5]


_SQUARE = ('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon",'
           '"coordinates":[[[10.0,0.0],[10.05,0.0],[10.05,0.03],[10.0,0.03],[10.0,0.0]]]},'
           '"properties":{"site_id":"sq","name":"Square","kind":"port"}},'
           '{"type":"Feature","geometry":{"type":"Point","coordinates":[10.1,0.06]},'
           '"properties":{"site_id":"pt","name":"Point","kind":"port","radius_m":500}}]}')


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.15, 0.2), st.floats(9.85, 10.25)), min_size=1, max_size=8),
       st.sampled_from([0.0, 60.0]))
@example(pts=[(0.015, 10.025), (0.06, 10.1)], lat0=60.0)  # from inside one port to the other: farther between
def test_track_port_reach_bounds_every_point_of_the_track(tmp_path_factory, pts, lat0):
    """Fixes around a polygon port and a point port (at the equator and at 60N): the bound is
    at least the distance of every fix and of points along each segment between them."""
    from harborwatch.geo.distance import interpolate
    from harborwatch.tracks import kernels as TK

    p = tmp_path_factory.mktemp("sites") / "s.geojson"
    p.write_text(_SQUARE.replace("0.0,", f"{lat0},").replace(",0.03]", f",{lat0 + 0.03}]")
                 .replace("0.06]", f"{lat0 + 0.06}]").replace(",0.0]", f",{lat0}]"))
    idx = SiteCatalogue.read(p).index(max_query_m=12_000.0)
    lat = np.array([lat0 + a for a, _ in pts])
    lon = np.array([b for _, b in pts])
    off = np.array([0, len(pts)], np.int64)
    dist, _ = idx.nearest(lat, lon)
    reach = EK.track_port_reach(off, lat, dist, TK.step_distances(off, lat, lon), 85.0)[0]
    f = np.linspace(0.0, 1.0, 21)
    along = [interpolate(lat[i], lon[i], lat[i + 1], lon[i + 1], x) for i in range(len(pts) - 1) for x in f]
    if along:
        d, _ = idx.nearest(np.array([a for a, _ in along]), np.array([b for _, b in along]))
        dist = np.concatenate([dist, d])
    assert np.all(dist <= reach + 1.0)  # inf beyond the index's range: then the bound is inf too
    assert EK.track_port_reach(off, lat, dist[:len(pts)], np.zeros(len(pts)), -1.0)[0] == np.inf  # past the latitude


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=0, max_size=30), st.data())
def test_gather_fixes_is_fancy_indexing_and_track_offsets(keys, data):
    from harborwatch.tracks.track import vessel_offsets

    n = len(keys)
    mm = np.array([211_000_000 + k[0] for k in keys], np.int64)
    hull = np.array([k[1] for k in keys], np.int64)
    cols = (np.arange(n, dtype=np.int64) * 1000, np.linspace(50, 60, n), np.linspace(0, 10, n), np.full(n, 0.5), mm,
            hull, np.arange(n, dtype=np.uint64) + 7, np.arange(n, dtype=np.int64) % 3)
    idx = np.array(sorted(data.draw(st.lists(st.integers(0, max(0, n - 1)), max_size=n))) if n else [], np.int64)
    idx = idx[np.lexsort((hull[idx], mm[idx]))] if len(idx) else idx
    *got, off = EK.gather_fixes(idx, *cols)
    for g, c in zip(got, cols, strict=True):
        assert g.dtype == c.dtype and np.array_equal(g, c[idx])
    assert np.array_equal(off, vessel_offsets(mm[idx] * 1_000_000 + hull[idx]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=40), st.lists(st.integers(0, 2**32 - 2), max_size=5))
def test_range_order_is_a_stable_sort_by_range(mmsi, cuts):
    mm = np.array(mmsi, np.uint32)
    his = np.array(sorted(set(cuts)) + [2**32 - 1], np.int64)
    order, ends = EK.range_order(mm, his)
    part = np.searchsorted(his, mm.astype(np.int64), side="left")
    assert np.array_equal(order, np.argsort(part, kind="stable"))
    assert np.array_equal(ends, np.cumsum(np.bincount(part, minlength=len(his))))
