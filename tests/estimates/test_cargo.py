"""Cargo per call from hand-built calls: the displacement law, conversions, dark probabilities,
bounds and sums with intervals."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import DataError
from harborwatch.estimates.cargo import RHO_T_M3, Cargo, cargo_kind, with_results
from harborwatch.estimates.cargo_calls import Sums, call_rows, calls_table, estimate_calls
from harborwatch.events.schema import events_from_rows

T0 = 1_690_000_000_000


def _call(i=0, source="ais", ship_type=70, arr=4.0, dep=5.0, prob=1.0, length=100.0, beam=16.0, dwt=None,
          site="kp-a", t=T0) -> dict:
    return {"call_id": f"c{i}", "source": source, "site_id": site, "mmsi": 273000000 + i, "start": t, "end": t + 1,
            "probability": prob, "cargo": cargo_kind(ship_type), "length_m": length, "beam_m": beam,
            "deadweight_t": dwt if dwt is not None else round(0.0057 * length ** 3, -1),
            "deadweight_reported": dwt is not None, "arrival_draught_m": arr, "departure_draught_m": dep,
            "method": "test"}


def test_net_tonnes_follow_the_displacement_law():
    t = with_results(calls_table([_call()]), Cargo())
    expected = RHO_T_M3 * 0.72 * 100 * 16 * 1.0
    assert t["tonnes"][0].as_py() == pytest.approx(expected, abs=0.1)
    assert t["teu"][0].as_py() == pytest.approx(expected / 12, abs=0.1)
    assert t["barrels"][0].as_py() is None  # a cargo ship: TEU, not barrels
    assert t["tonnes_low"][0].as_py() < expected < t["tonnes_high"][0].as_py()


def test_a_tanker_unloading_gives_negative_barrels():
    t = with_results(calls_table([_call(ship_type=80, arr=6.0, dep=3.0)]), Cargo())
    tonnes = RHO_T_M3 * 0.80 * 100 * 16 * -3.0
    assert t["tonnes"][0].as_py() == pytest.approx(tonnes, abs=0.1)
    assert t["barrels"][0].as_py() == pytest.approx(tonnes * 7.75, rel=1e-3)
    assert t["teu"][0].as_py() is None


def test_a_reported_deadweight_bounds_the_change():
    t = with_results(calls_table([_call(arr=1.0, dep=9.0, dwt=3000.0)]), Cargo())
    assert t["tonnes"][0].as_py() == 3000.0
    # a prior deadweight bounds it only at the prior's upper end
    t = with_results(calls_table([_call(arr=1.0, dep=9.0)]), Cargo())
    assert t["tonnes"][0].as_py() == pytest.approx(5700 * math.exp(1.645 * 0.3), rel=1e-3)


def test_calls_without_estimate_have_no_estimate_and_are_counted():
    per_call, sums = estimate_calls([_call(0), _call(1, arr=None, dep=None)])
    assert per_call["tonnes"][1].as_py() is None
    rows = {r["quantity"]: r for r in sums.rows(np.array([True, True]))}
    assert rows["tonnes_loaded"]["calls_without_estimate"] == 1
    assert rows["tonnes_loaded"]["calls"] == 1.0


def test_a_dark_call_counts_with_its_probability():
    per_call, sums = estimate_calls([_call(0, source="dark", prob=0.5)])
    rows = {r["quantity"]: r for r in sums.rows(np.array([True]))}
    full = RHO_T_M3 * 0.72 * 100 * 16
    assert rows["tonnes_loaded"]["estimate"] == pytest.approx(0.5 * full, abs=0.2)
    assert rows["tonnes_loaded"]["low"] == 0.0  # in some draws the call was not made
    assert rows["tonnes_loaded"]["high"] > full * 0.9
    assert per_call["tonnes"][0].as_py() == pytest.approx(full, abs=0.1)  # if it was made


def test_radar_calls_use_the_sites_share_of_deadweight():
    ais = [_call(0, arr=4.0, dep=5.0), _call(1, arr=4.0, dep=5.0)]
    radar = _call(2, source="radar", arr=None, dep=None, length=80.0)
    per_call, _ = estimate_calls([*ais, radar])
    share = RHO_T_M3 * 0.72 * 100 * 16 / 5700.0
    assert per_call["tonnes"][2].as_py() == pytest.approx(share * 0.0057 * 80 ** 3, rel=1e-3)


def test_radar_calls_draw_the_share_of_one_ais_call_per_site():
    # two of three AIS calls moved nothing: the radar-only calls may well have moved nothing too
    ais = [_call(0, arr=4.0, dep=5.0), _call(1, arr=4.0, dep=4.0), _call(2, arr=4.0, dep=4.0)]
    radar = [_call(3 + k, source="radar", arr=None, dep=None, length=80.0) for k in range(5)]
    _, sums = estimate_calls([*ais, *radar])
    sel = np.array([False] * 3 + [True] * 5)
    got = {r["quantity"]: r for r in sums.rows(sel)}["tonnes_loaded"]
    one = RHO_T_M3 * 0.72 * 100 * 16 / 5700.0 * 0.0057 * 80 ** 3  # one radar call at the full share
    assert got["estimate"] == pytest.approx(5 * one / 3, rel=0.05)  # the mean share
    assert got["low"] == 0.0  # all five at a share of 0 together (one draw per site, not per call)
    assert got["high"] > 4 * one


def test_sums_split_loading_from_unloading_and_convert():
    rows = [_call(0, arr=4.0, dep=5.0), _call(1, arr=5.0, dep=4.5), _call(2, ship_type=80, arr=6.0, dep=5.0)]
    _, sums = estimate_calls(rows)
    got = {r["quantity"]: r for r in sums.rows(np.array([True, True, True]))}
    one = RHO_T_M3 * 0.72 * 100 * 16
    assert got["tonnes_loaded"]["estimate"] == pytest.approx(one, abs=0.2)
    assert got["tonnes_unloaded"]["estimate"] == pytest.approx(one / 2 + RHO_T_M3 * 0.8 * 1600, abs=0.2)
    assert got["teu_loaded"]["estimate"] == pytest.approx(one / 12, abs=0.1)
    assert got["barrels_unloaded"]["estimate"] == pytest.approx(RHO_T_M3 * 0.8 * 1600 * 7.75, rel=1e-3)
    for r in got.values():
        assert r["low"] <= r["estimate"] <= r["high"] or r["estimate"] == 0


def test_weekly_sums_have_a_row_per_quantity():
    _, sums = estimate_calls([_call(0), _call(1, t=T0 + 8 * 86_400_000)])
    w = sums.weekly()
    assert w.num_rows == 2 * 6
    assert isinstance(sums, Sums)


def test_calls_come_from_port_visits_and_dark_calls():
    ev = events_from_rows([{
        "event_id": "e1", "type": "port_visit", "mmsi": 273000001, "start": T0, "end": T0 + 3_600_000,
        "lat": 42.0, "lon": 130.0, "site_id": "kp-a", "confidence": 3,
        "attributes": '{"arrival_draught_m": 4.0, "departure_draught_m": 5.5}', "parameters": "{}",
        "evidence_count": 2, "evidence": [1, 2]}])
    dark = pa.table({"gap_event_id": ["g1"], "mmsi": pa.array([273000002], pa.uint32()),
                     "start": pa.array([T0], pa.timestamp("ms", tz="UTC")),
                     "end": pa.array([T0 + 86_400_000], pa.timestamp("ms", tz="UTC")), "site_id": ["kp-a"],
                     "probability": [0.8]})
    parts = {273000001: {"ship_type": 70, "length_m": 100.0, "beam_m": 16.0, "deadweight_t": None},
             273000002: {"ship_type": 80, "length_m": 90.0, "beam_m": 14.0, "deadweight_t": 4000.0}}
    rows = call_rows(ev, dark, parts, {"g1": (6.0, 4.0)})
    assert [r["source"] for r in rows] == ["ais", "dark"]
    assert rows[0]["departure_draught_m"] == 5.5 and rows[0]["deadweight_reported"] is False
    assert rows[1]["arrival_draught_m"] == 6.0 and rows[1]["cargo"] == "petroleum"
    assert rows[1]["deadweight_t"] == 4000.0 and rows[1]["deadweight_reported"] is True


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 12.0), st.floats(1.0, 12.0))
def test_the_sign_of_the_cargo_is_the_sign_of_the_draught_change(arr, dep):
    t = with_results(calls_table([_call(arr=arr, dep=dep)]), Cargo(n_sim=100))
    tonnes = t["tonnes"][0].as_py()
    assert np.sign(round(tonnes, 1)) == np.sign(round(RHO_T_M3 * 0.72 * 1600 * (dep - arr), 1))


def test_bad_parameters_are_refused():
    with pytest.raises(DataError, match="cargo.barrels_per_tonne_high"):
        Cargo(barrels_per_tonne_low=8.0, barrels_per_tonne_high=7.0)
    with pytest.raises(DataError, match="cargo.n_sim"):
        Cargo(n_sim=10)


def test_cargo_kind_from_codes_and_from_exporters_text():
    assert cargo_kind(71) == "dry" and cargo_kind(84) == "petroleum" and cargo_kind(52) == "other"
    assert cargo_kind(None, "Tanker") == "petroleum" and cargo_kind(None, "CARGO") == "dry"
    assert cargo_kind(None, None) == "other" and cargo_kind(None, "Tug") == "other"
