"""The (IMO, MMSI) summary and the identity links across MMSIs."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
from helpers import port  # type: ignore[import-not-found]
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.events.context import Context
from harborwatch.events.fixes import prepare_static
from harborwatch.events.params import EventsConfig
from harborwatch.events.rules.identity import ids_summary
from harborwatch.events.schema import IDS

# few vessels and IMOs, mostly valid: a vessel often switches between IMOs and back
rows = st.lists(st.tuples(st.sampled_from([211000001, 273000003]), st.integers(0, 50),
                          st.sampled_from([9074729, 9176187, None]), st.sampled_from([True, True, True, False, None]),
                          st.sampled_from([1, 1, 3, None])),  # reports a row stands for (None: an older store)
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_ids_summary_is_the_group_by_of_valid_imos(data):
    static = prepare_static(pa.table({
        "mmsi": pa.array([r[0] for r in data], pa.uint32()),
        "timestamp": pa.array([r[1] * 60_000 for r in data], pa.timestamp("ms", tz="UTC")),
        "record_hash": pa.array(range(1000, 1000 + len(data)), pa.uint64()),
        "imo": pa.array([r[2] for r in data], pa.uint32()),
        "imo_valid": pa.array([r[3] for r in data], pa.bool_()),
        "reports": pa.array([r[4] for r in data], pa.int32()),
    }))
    got = [] if static is None else ids_summary(static).to_pylist()
    want: dict[tuple[int, int], dict] = {}
    for r in ([] if static is None else static.to_pylist()):  # time order
        if r["imo"] is None or not r["imo_valid"]:
            continue
        w = want.setdefault((r["imo"], r["mmsi"]), {"imo": r["imo"], "mmsi": r["mmsi"], "first": r["timestamp"],
                                                    "reports": 0, "ref_first": r["record_hash"]})
        w.update(last=r["timestamp"], ref_last=r["record_hash"], reports=w["reports"] + r["reports"])
    assert sorted(got, key=lambda x: (x["imo"], x["mmsi"])) == [want[k] for k in sorted(want)]


def test_links_across_mmsis_skip_imos_on_one_mmsi():
    # IMO 9074729 on two MMSIs at once, 9176187 on one only (it sorts between the others),
    # 9231614 on one MMSI, then on another
    ms = 60_000
    ids = pa.table({
        "imo": pa.array([9074729, 9074729, 9176187, 9231614, 9231614], pa.uint32()),
        "mmsi": pa.array([211000001, 273000002, 211000003, 211000004, 273000005], pa.uint32()),
        "first": pa.array([0, 10 * ms, 0, 0, 100 * ms], pa.timestamp("ms", tz="UTC")),
        "last": pa.array([50 * ms, 60 * ms, 99 * ms, 40 * ms, 150 * ms], pa.timestamp("ms", tz="UTC")),
        "reports": pa.array([5, 6, 7, 8, 9], pa.int64()),
        "ref_first": pa.array([1, 3, 5, 7, 9], pa.uint64()), "ref_last": pa.array([2, 4, 6, 8, 10], pa.uint64()),
    }, schema=IDS)
    ctx = Context(EventsConfig(), port())
    got = sorted((e["type"], e["mmsi"], e["mmsi_2"], json.loads(e["attributes"])["imo"], e["evidence"])
                 for e in ctx.cfg.identity.across_mmsis(ids, ctx).to_pylist())
    assert got == [("identity_change", 211000004, 273000005, 9231614, [8, 9]),
                   ("shared_imo", 211000001, 273000002, 9074729, [1, 2, 3, 4])]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([211000001, 273000003]),
                          st.sampled_from(["OCEAN STAR", "ocean  star", " Ocean Star", "SEA", "", None]),
                          st.sampled_from([9074729, 0, None, 9176187])), max_size=40))
def test_value_runs_are_the_runs_of_normalised_values(data):
    """Runs found on spans of equal raw values equal the runs of per-row normalised values
    (nulls, empty text and IMO 0 skipped)."""
    from harborwatch.events.rules.identity import _normalized, _value_runs

    data = sorted(data, key=lambda r: r[0])  # rows by vessel, as the stages give them
    mm = np.array([r[0] for r in data], np.int64)
    for k, typ in ((1, pa.string()), (2, pa.uint32())):
        col = pa.chunked_array([pa.array([r[k] for r in data], typ)], typ)
        codes, values = _normalized(col)  # per row
        want, prev = [], None
        for i, c in enumerate(codes.tolist()):
            if c < 0:
                continue
            v = c if values is None else values[c]
            if prev is not None and prev[0] == mm[i] and prev[1] == v:
                want[-1][1] = i
            else:
                want.append([i, i, v])
            prev = (mm[i], v)
        r0, r1, vals = _value_runs(mm, col)
        assert [[int(a), int(b), v] for a, b, v in zip(r0, r1, vals, strict=True)] == want
