"""The (IMO, MMSI) summary equals the plain group-by it is defined as."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.events.identity import _ids_summary
from harborwatch.events.stages import _prepare_static

# few vessels and IMOs, mostly valid: a vessel often switches between IMOs and back
rows = st.lists(st.tuples(st.sampled_from([211000001, 273000003]), st.integers(0, 50),
                          st.sampled_from([9074729, 9176187, None]), st.sampled_from([True, True, True, False, None])),
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_ids_summary_is_the_group_by_of_valid_imos(data):
    static = _prepare_static(pa.table({
        "mmsi": pa.array([r[0] for r in data], pa.uint32()),
        "timestamp": pa.array([r[1] * 60_000 for r in data], pa.timestamp("ms", tz="UTC")),
        "record_hash": pa.array(range(1000, 1000 + len(data)), pa.uint64()),
        "imo": pa.array([r[2] for r in data], pa.uint32()),
        "imo_valid": pa.array([r[3] for r in data], pa.bool_()),
    }))
    got = [] if static is None else _ids_summary(static).to_pylist()
    want: dict[tuple[int, int], dict] = {}
    for r in ([] if static is None else static.to_pylist()):  # time order
        if r["imo"] is None or not r["imo_valid"]:
            continue
        w = want.setdefault((r["imo"], r["mmsi"]), {"imo": r["imo"], "mmsi": r["mmsi"], "first": r["timestamp"],
                                                    "reports": 0, "ref_first": r["record_hash"]})
        w.update(last=r["timestamp"], ref_last=r["record_hash"], reports=w["reports"] + 1)
    assert sorted(got, key=lambda x: (x["imo"], x["mmsi"])) == [want[k] for k in sorted(want)]
