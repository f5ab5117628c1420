"""Every event rule at its edges, on tiny hand-built tracks (port at 0N 10E, sea around 5N 20E)."""

from __future__ import annotations

import json
from unittest import mock

import pyarrow as pa
import pytest
from helpers import T0, events, fixes, north_m, of_type, port, statics  # type: ignore[import-not-found]
from hypothesis import example, given, settings
from hypothesis import strategies as hs

from harborwatch.core.errors import DataError
from harborwatch.events.params import EventsConfig

A, B = 211000001, 211000002
SEA = (5.0, 20.0)


def visit_track(approach_m: float = 2900.0, leave_m: float = 3500.0, in_port_sog: float = 0.0,
                hole_h: float = 0.0, start_min: float = 0.0) -> list:
    rows = [(start_min + m, north_m(d), 10.0, 10.0) for m, d in ((0, 10_000), (10, 7000), (20, 4500),
                                                                    (30, approach_m))]
    t = start_min + 40
    for k in range(37):
        rows.append((t, north_m(1000), 10.0, in_port_sog))
        t += 10 + (hole_h * 60 if k == 18 else 0)
    rows += [(t, north_m(leave_m), 10.0, 8.0), (t + 10, north_m(4100), 10.0, 8.0), (t + 20, north_m(6000), 10.0, 8.0)]
    return rows


def test_port_visit_entry_stop_exit_confidence_4():
    v = of_type(events([fixes(A, visit_track())]), "port_visit")
    assert len(v) == 1
    e = v[0]
    a = json.loads(e["attributes"])
    assert e["site_id"] == "p1" and e["confidence"] == 4
    assert a["entry"] and a["stop"] and a["exit"] and not a["gap"]
    assert int(e["start"].timestamp() * 1000) == T0 + 30 * 60_000  # 2.9 km: inside the 3 km entry
    assert a["arrival_draught_m"] is None  # a vessel without static data


def test_port_visit_entry_just_outside_3km_starts_later():
    e = of_type(events([fixes(A, visit_track(approach_m=3100.0))]), "port_visit")[0]
    assert int(e["start"].timestamp() * 1000) == T0 + 40 * 60_000


def test_port_visit_exit_hysteresis_between_3_and_4_km():
    rows = visit_track(leave_m=3900.0)
    e = of_type(events([fixes(A, rows)]), "port_visit")[0]
    # 3.9 km is still inside the 4 km exit distance: the visit ends there, not before
    assert int(e["end"].timestamp() * 1000) == T0 + int(rows[-3][0] * 60_000)


def test_gap_inside_port_counts_instead_of_a_stop():
    moving = of_type(events([fixes(A, visit_track(in_port_sog=1.0, hole_h=4.1))]), "port_visit")[0]
    assert json.loads(moving["attributes"])["gap"] and moving["confidence"] == 4
    short = of_type(events([fixes(A, visit_track(in_port_sog=1.0, hole_h=3.8))]), "port_visit")[0]
    a = json.loads(short["attributes"])
    assert not a["gap"] and not a["stop"] and short["confidence"] == 2


def test_visit_across_midnight_is_one_visit_with_draughts():
    rows = visit_track(start_min=-300.0)
    st = statics(A, [{"minute": -400, "draught_m": 5.0}, {"minute": -100, "draught_m": 9.5}])
    v = of_type(events([fixes(A, rows)], [st]), "port_visit")
    assert len(v) == 1 and v[0]["start"].day != v[0]["end"].day
    a = json.loads(v[0]["attributes"])
    assert a["arrival_draught_m"] == 5.0 and a["departure_draught_m"] == 9.5


def test_visit_draughts_are_null_without_reported_draughts():
    """Static reports that carry no draught (or are older than the 48 h window) leave both null."""
    for st in (statics(A, [{"minute": -100, "name": "NO DRAUGHT"}]),
               statics(A, [{"minute": -5000, "draught_m": 7.0}])):
        v = of_type(events([fixes(A, visit_track())], [st]), "port_visit")
        a = json.loads(v[0]["attributes"])
        assert a["arrival_draught_m"] is None and a["departure_draught_m"] is None


def test_voyage_between_two_ports():
    from harborwatch.sites.catalogue import SiteCatalogue

    two = SiteCatalogue(__import__("pyarrow").concat_tables([port().table, port(lat=1.0, site_id="p2").table]))
    rows = visit_track()
    t = rows[-1][0]
    # sail north to p2 at ~11 kn (1 degree = 111 km in ~5.5 h) and stop there
    for k in range(1, 34):
        rows.append((t + 10 * k, north_m(6000) + (1.0 - north_m(7000)) * k / 33, 10.0, 11.0))
    t = rows[-1][0]
    rows += [(t + 10 * k, 1.0 + north_m(500), 10.0, 0.0) for k in range(1, 20)]
    evs = events([fixes(A, rows)], sites=two)
    voy = of_type(evs, "voyage")
    assert len(voy) == 1
    a = json.loads(voy[0]["attributes"])
    assert a["from_site_id"] == "p1" and a["to_site_id"] == "p2"
    assert 100_000 < a["distance_m"] < 125_000


def sea_track(mmsi: int, minutes: list[float], lat: float = SEA[0], lon: float = SEA[1], sog: float = 0.5) -> list:
    return [(m, lat, lon, sog) for m in minutes]


def test_gap_threshold_6h_edges_and_over_24h():
    before = [10 * k for k in range(13)]
    for hole_h, expect in ((5.9, 0), (6.1, 1), (30.0, 1)):
        after = [before[-1] + hole_h * 60 + 10 * k for k in range(13)]
        g = of_type(events([fixes(A, sea_track(A, before + after, sog=10.0))], types=("gap",)), "gap")
        assert len(g) == expect, hole_h
        if expect:
            assert json.loads(g[0]["attributes"])["duration_h"] == pytest.approx(hole_h)


def test_likely_disabling_needs_12h_and_good_reception():
    dense = [5 * k for k in range(200)]  # 12 fixes an hour: good reception in the cell
    after = [dense[-1] + 13 * 60 + 5 * k for k in range(50)]
    g = of_type(events([fixes(A, sea_track(A, dense + after, sog=10.0))], types=("gap",)), "gap")[0]
    a = json.loads(g["attributes"])
    assert a["likely_disabling"] and g["confidence"] == 3
    sparse = [0, 180, 360]  # 8 fixes a day: poor reception, the silence proves nothing
    after = [360 + 13 * 60, 360 + 13 * 60 + 180]
    g = of_type(events([fixes(B, sea_track(B, sparse + after, sog=10.0))], types=("gap",)), "gap")[0]
    assert not json.loads(g["attributes"])["likely_disabling"]


def pair(dist_m: float, hours: float, lat: float = SEA[0], lon: float = SEA[1], lon_b: float | None = None):
    mins = [10 * k for k in range(int(hours * 6) + 1)]
    a = fixes(A, [(m, lat, lon, 0.3) for m in mins])
    b = fixes(B, [(m, lat + north_m(dist_m), lon if lon_b is None else lon_b, 0.3) for m in mins])
    return [a, b]


def test_encounter_distance_and_duration_edges():
    assert len(of_type(events(pair(450, 3)), "encounter")) == 1
    assert len(of_type(events(pair(550, 3)), "encounter")) == 0
    assert len(of_type(events(pair(300, 2.0)), "encounter")) == 1  # 13 slots = 2 h exactly
    assert len(of_type(events(pair(300, 1.8)), "encounter")) == 0
    e = of_type(events(pair(450, 3)), "encounter")[0]
    assert {e["mmsi"], e["mmsi_2"]} == {A, B} and e["evidence_count"] > 0


def test_encounter_near_a_port_is_not_one():
    near = pair(300, 3, lat=north_m(5000), lon=10.0)  # 5 km from the port: < 10 km
    assert of_type(events(near), "encounter") == []


def test_tracks_that_never_leave_port_are_left_out_of_the_join():
    from harborwatch.events import stages
    from harborwatch.events.context import Context

    moored = pair(300, 3, lat=north_m(7000), lon=10.0)  # 7 km from the port all along
    ctx = Context(EventsConfig(), port())
    for ps in (moored, pair(300, 3, lat=north_m(9000), lon=10.0)):  # 9 km: the encounter could sit 10 km out
        out = stages.vessel_stage(pa.concat_tables(ps), None, ctx)
        assert (out["points"].num_rows == 0) == (ps is moored)


@settings(max_examples=60, deadline=None)
@given(hs.floats(0.0, 14_000.0), hs.floats(-2_500.0, 2_500.0), hs.floats(0.0, 700.0), hs.floats(-300.0, 300.0),
       hs.integers(13, 40))
@example(10_300.0, 0.0, 200.0, 0.0, 20)  # just far enough out all along: an encounter, the tracks kept
@example(6_000.0, 1_500.0, 100.0, 0.0, 40)  # leaving port together: an encounter once out
def test_leaving_port_bound_tracks_out_changes_no_encounter(start_m, north_m_per_h, apart_m, drift_m_per_h, n):
    """A pair drifting in or out of a port together: the same encounters whether tracks that
    never leave the port are joined or not (:func:`harborwatch.events.rules.encounters._points`)."""
    from harborwatch.events.rules import encounters

    mins = [10 * k for k in range(n)]
    a = fixes(A, [(m, north_m(start_m + north_m_per_h * m / 60), 10.0, 0.3) for m in mins])
    b = fixes(B, [(m, north_m(start_m + north_m_per_h * m / 60 + apart_m + drift_m_per_h * m / 60), 10.001, 0.3)
                  for m in mins])
    pruned = events([a, b], types=("encounter",))
    with mock.patch.object(encounters, "PORT_BOUND_MAX_LAT", -1.0):  # every track's bound is inf: none left out
        joined = events([a, b], types=("encounter",))
    assert pruned == joined
    if (start_m, north_m_per_h) in ((10_300.0, 0.0), (6_000.0, 1_500.0)):
        assert len(joined) == 1


def test_encounter_across_the_antimeridian():
    evs = events(pair(0, 3, lon=179.999, lon_b=-179.999))  # about 220 m apart at 5N
    assert len(of_type(evs, "encounter")) == 1


def test_encounters_less_than_4h_apart_merge():
    mins = [10 * k for k in range(61)]  # 10 h
    a = fixes(A, [(m, *SEA, 0.3) for m in mins])
    # close for 0-3 h, far 3-6 h (3 h < 4 h), close again 6-10 h
    b = fixes(B, [(m, SEA[0] + north_m(300 if (m <= 180 or m >= 360) else 5000), SEA[1], 0.3) for m in mins])
    enc = of_type(events([a, b]), "encounter")
    assert len(enc) == 1
    assert json.loads(enc[0]["attributes"])["duration_h"] == pytest.approx(10.0)


def test_loitering_edges():
    assert len(of_type(events([fixes(A, sea_track(A, [10 * k for k in range(31)]))]), "loitering")) == 1  # 5 h
    assert of_type(events([fixes(A, sea_track(A, [10 * k for k in range(22)]))]), "loitering") == []  # 3.5 h
    near = fixes(A, sea_track(A, [10 * k for k in range(31)], lat=north_m(5000), lon=10.0))
    assert of_type(events([near]), "loitering") == []


def test_two_hulls_on_one_mmsi_become_two_tracks():
    rows = []
    for k in range(40):
        rows.append((10 * k, 5.0, 20.0 + k * 0.002, 6.0))
        rows.append((10 * k + 5, 6.0, 21.0 + k * 0.002, 6.0))  # 120 km away at the same time
    evs = events([fixes(A, rows)])
    hulls = of_type(evs, "shared_mmsi")
    assert len(hulls) == 1 and json.loads(hulls[0]["attributes"])["separation_m"] > 100_000
    assert of_type(evs, "teleport") == []
    # and no fake gaps or zig-zag: each hull is a continuous track
    assert of_type(evs, "gap") == []


def test_teleport_spike():
    rows = [(10 * k, 5.0, 20.0 + 0.02 * k, 7.0) for k in range(20)]
    rows[10] = (100, 5.5, 20.2, 7.0)  # 55 km off the track for one fix
    tp = of_type(events([fixes(A, rows)]), "teleport")
    assert len(tp) == 1 and json.loads(tp[0]["attributes"])["jump_m"] > 50_000


def test_on_land_and_waterway_exclusion():
    inland = [(10 * k, 50.0, 10.0 + 0.001 * k, 5.0) for k in range(6)]  # central Germany
    assert len(of_type(events([fixes(A, inland)], types=("on_land",)), "on_land")) == 1
    # a second vessel in the same cell: a waterway the mask lacks, not spoofing
    other = [(10 * k, 50.01, 10.0, 5.0) for k in range(6)]
    assert of_type(events([fixes(A, inland), fixes(B, other)], types=("on_land",)), "on_land") == []


def test_identity_changes_need_repeated_values():
    st = statics(A, [{"minute": 0, "name": "OLD NAME"}, {"minute": 10, "name": "OLD NAME"},
                     {"minute": 20, "name": "X#GARBLE"}, {"minute": 30, "name": "OLD NAME"},
                     {"minute": 40, "name": "NEW NAME"}, {"minute": 50, "name": "NEW  name"}])
    ch = of_type(events([], [st]), "identity_change")
    assert len(ch) == 1
    a = json.loads(ch[0]["attributes"])
    assert (a["field"], a["old"], a["new"]) == ("name", "OLD NAME", "NEW NAME")


def test_identity_changes_count_the_reports_a_row_stands_for():
    # a CSV run of 4 equal names is stored as two rows (3 + 1 reports): it passes min_reports 3;
    # two single reports do not
    st = statics(A, [{"minute": 0, "name": "OLD NAME", "reports": 5}, {"minute": 40, "name": "OLD NAME"},
                     {"minute": 50, "name": "NEW NAME", "reports": 3}, {"minute": 80, "name": "NEW NAME"}])
    cfg = EventsConfig.from_dict({"identity": {"min_reports": 4}})
    ch = of_type(events([], [st], cfg=cfg), "identity_change")
    assert [json.loads(e["attributes"])["new"] for e in ch] == ["NEW NAME"]
    single = statics(A, [{"minute": 0, "name": "OLD NAME"}, {"minute": 40, "name": "NEW NAME"},
                         {"minute": 50, "name": "NEW NAME"}, {"minute": 60, "name": "NEW NAME"}])
    assert of_type(events([], [single], cfg=cfg), "identity_change") == []
    bad = statics(A, [{"minute": 0, "imo": 1234567, "imo_valid": False, "reports": 6},
                      {"minute": 60, "imo": 1234567, "imo_valid": False}])
    assert [json.loads(e["attributes"])["reports"] for e in of_type(events([], [bad]), "invalid_imo")] == [7]


def test_invalid_and_shared_imo_and_mmsi_change():
    bad = statics(A, [{"minute": 0, "imo": 1234567, "imo_valid": False}])
    assert len(of_type(events([], [bad]), "invalid_imo")) == 1
    s1 = statics(A, [{"minute": 0, "imo": 9074729, "imo_valid": True},
                     {"minute": 100, "imo": 9074729, "imo_valid": True}])
    s2 = statics(B, [{"minute": 50, "imo": 9074729, "imo_valid": True}])
    sh = of_type(events([], [s1, s2]), "shared_imo")
    assert len(sh) == 1 and {sh[0]["mmsi"], sh[0]["mmsi_2"]} == {A, B}
    s3 = statics(273000003, [{"minute": 500, "imo": 9074729, "imo_valid": True}])
    ch = [e for e in of_type(events([], [s1, s3]), "identity_change") if json.loads(e["attributes"])["field"] == "mmsi"]
    assert len(ch) == 1 and json.loads(ch[0]["attributes"])["flag_changed"]  # MID 211 (DE) -> 273 (RU)


def test_event_ids_are_content_hashes():
    tr = [fixes(A, visit_track())]
    a = [e["event_id"] for e in events(tr)]
    assert a == [e["event_id"] for e in events(tr)]
    other = EventsConfig.from_dict({"port_visits": {"entry_distance_m": 2950}})
    b = [e["event_id"] for e in of_type(events(tr, cfg=other), "port_visit")]
    assert set(b).isdisjoint(a)


def test_config_file_errors_name_the_key(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text("[gaps]\nmin_duration_h = 8\n")
    assert EventsConfig.from_toml(p).gaps.min_duration_h == 8.0
    p.write_text("[gaps]\nmin_hours = 8\n")
    with pytest.raises(DataError, match="gaps.min_hours"):
        EventsConfig.from_toml(p)
    p.write_text("[gapz]\n")
    with pytest.raises(DataError, match="gapz"):
        EventsConfig.from_toml(p)
    p.write_text("[encounters]\nmax_distance_m = 0.0\n")
    with pytest.raises(DataError, match="encounters.max_distance_m"):
        EventsConfig.from_toml(p)
