"""The vessel stage over MMSI ranges gives the rows of one call."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.events.params import EventsConfig
from harborwatch.events.request import Request
from harborwatch.events.stages import finalize, vessel_stage, vessel_stage_parts

from .helpers import fixes, north_m, port, statics


def _events(out: dict[str, pa.Table], ctx) -> pa.Table:
    return finalize([out["events"], ctx.cfg.encounters.join(out["points"], ctx)], out["ids"], out["reception"], ctx)


def test_parts_give_the_events_of_one_call():
    # ten vessels: port calls, gaps and a pair that meets; static reports, one vessel with no positions
    pos = []
    for v in range(10):
        rows = [(m * 10.0, north_m(300 * v if m < 30 else 30 * m), 10.0, 0.1 if m < 30 else 12.0)
                for m in range(60) if not (v % 3 == 0 and 35 <= m < 50)]
        pos.append(fixes(211_000_000 + 7 * v, rows))
    positions = pa.concat_tables(pos)
    static = pa.concat_tables([statics(211_000_000 + 7 * v, [{"minute": 5, "imo": 9074729, "name": f"V{v}"}])
                               for v in (0, 3, 4, 11)])  # 211000077 has no positions
    ctx = Request(EventsConfig(), port(lat=0.0, lon=10.0, radius_m=2_000.0)).context()
    whole = vessel_stage(positions, static, ctx)
    for part_rows in (45, 100, 250, 10_000):
        parts = vessel_stage_parts(positions, static, ctx, part_rows)
        for k in ("events", "points", "ids"):
            assert parts[k].num_rows == whole[k].num_rows, (part_rows, k)
        # reception counts come per range (finalize sums them): the same positions in all
        assert pc.sum(parts["reception"]["positions"]) == pc.sum(whole["reception"]["positions"])
        assert _events(parts, ctx).equals(_events(whole, ctx))
    assert _events(whole, ctx).num_rows >= 10  # a port visit of each vessel at least
    shuffled = positions.take(pa.array(list(range(positions.num_rows))[::-1]))  # not in MMSI order: one call
    assert _events(vessel_stage_parts(shuffled, static, ctx, 45), ctx).equals(_events(whole, ctx))
