"""Dark calls from hand-built silences: time, heading and reported destination decide the site."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.core.errors import DataError
from harborwatch.core.ids import canonical_json
from harborwatch.estimates.dark_calls import (
    DarkCalls,
    candidate_gaps,
    dark_calls,
    expected_by_site,
    names_site,
    posterior,
    site_weights,
    site_words,
)
from harborwatch.events.schema import events_from_rows

# the silence starts and ends at sea; one port about 80 km west of there, one about 80 km north,
# and the vessel's home port about 40 km east
PORTS = pa.table({"site_id": ["kp-west", "ru-north", "ru-home"], "name": ["Westport Rajin", "Northport", "Home port"],
                  "lat": [42.0, 42.72, 42.0], "lon": [130.03, 131.0, 131.48], "radius_m": [1000.0] * 3,
                  "unlocode": ["KPWST", None, None]})
START = (42.0, 131.0)


def _gap(hours: float, site_off=None, likely=True) -> dict:
    a = {"duration_h": hours, "end_lat": START[0], "end_lon": START[1], "off_site_id": site_off, "on_site_id": None,
         "likely_disabling": likely}
    t0 = 1_690_000_000_000
    return {"event_id": f"g{hours}", "type": "gap", "mmsi": 273000001, "start": t0, "end": t0 + int(hours * 3.6e6),
            "lat": START[0], "lon": START[1], "site_id": None, "confidence": 3, "attributes": canonical_json(a),
            "parameters": "{}", "evidence_count": 2, "evidence": [1, 2]}


def _probs(hours: float, cog_out: float, cog_back: float, dest: str | None = None) -> dict[str, float]:
    """One silence judged alone (uniform site prior: with one silence the fitted prior would
    simply sharpen its own evidence)."""
    p = DarkCalls(site_prior="uniform")
    gaps = candidate_gaps(events_from_rows([_gap(hours)]), p)
    t = dark_calls(gaps, {1: cog_out, 2: cog_back}, PORTS, p, {f"g{hours}": dest})
    return dict(zip(t["site_id"].to_pylist(), t["probability"].to_pylist(), strict=True))


def test_time_rules_out_ports_too_far_for_the_silence():
    # 7 h: only home (about 40 km away, twice: 43 nm at 14 kn is 3 h, plus a 2 h stay) fits
    p = _probs(7, 90.0, 270.0)
    assert set(p) == {"ru-home"}


def test_heading_and_destination_pick_the_port():
    west = _probs(60, 270.0, 90.0)  # leaves heading west, comes back heading east
    assert max(west, key=west.get) == "kp-west"
    north = _probs(60, 0.0, 180.0)
    assert max(north, key=north.get) == "ru-north"
    named = _probs(60, math.nan, math.nan, dest="RAJIN")  # no course; the destination names Westport Rajin
    unnamed = _probs(60, math.nan, math.nan)
    assert max(named, key=named.get) == "kp-west" and named["kp-west"] > 2 * unnamed["kp-west"]
    assert sum(named.values()) < 1  # the rest is the null: no call at all


def test_unknown_courses_are_uniform():
    p = _probs(60, math.nan, math.nan)
    assert p and all(0 <= q <= 1 for q in p.values())


def test_only_gaps_at_sea_and_flagged_are_candidates():
    ev = events_from_rows([_gap(60), _gap(61, site_off="ru-home"), _gap(62, likely=False)])
    assert candidate_gaps(ev, DarkCalls())["event_id"].to_pylist() == ["g60"]
    assert len(candidate_gaps(ev, DarkCalls(only_likely_disabling=False))) == 2


def test_destination_words():
    words = site_words(PORTS)
    assert names_site("RAJIN", words[0]) and names_site("KP WST", words[0]) and names_site("KPWST", words[0])
    assert names_site("HOME", words[2]) and not names_site("PORT", words[2])  # generic words do not name a site
    assert not names_site(None, words[0]) and not names_site("RAJINSKY", words[0])
    assert json.dumps(sorted(words[1])) == '["NORTHPORT"]'


def _many(west: int, north: int, p: DarkCalls) -> dict[str, float]:
    """Expected dark calls per site from silences that lean weakly west or north (courses 60
    degrees off the bearing, so each one alone is ambiguous)."""
    return expected_by_site(pa.Table.from_pylist(_rows(west, north, p)))


def _rows(west: int, north: int, p: DarkCalls) -> list[dict]:
    """The dark-call rows of :func:`_many`'s silences."""
    rows, courses = [], {}
    for i in range(west + north):
        g = _gap(60) | {"event_id": f"g{i}", "evidence": [2 * i + 1, 2 * i + 2]}
        out, back = (270.0 + 60, 90.0 - 60) if i < west else (0.0 + 60, 180.0 - 60)
        courses.update({2 * i + 1: out, 2 * i + 2: back})
        rows.append(g)
    gaps = candidate_gaps(events_from_rows(rows), p)
    return dark_calls(gaps, courses, PORTS, p).to_pylist()


def test_the_fitted_site_prior_lets_the_other_silences_count():
    uniform = _many(20, 0, DarkCalls(site_prior="uniform"))
    fitted = _many(20, 0, DarkCalls())
    assert fitted["kp-west"] > uniform["kp-west"] + 3  # twenty silences leaning west make west likelier
    assert fitted["kp-west"] <= 20 and sum(fitted.values()) <= 20  # never more calls than silences
    # two directions: the weights follow the evidence of each group, not one winner for all
    rows = _rows(20, 10, DarkCalls())  # each row records the share its site was given
    shares = {r["site_id"]: r["site_share"] for r in rows}
    assert shares["kp-west"] > shares["ru-north"] > 0 and sum(shares.values()) <= 1 + 1e-9
    mixed = _many(20, 10, DarkCalls())
    assert mixed["kp-west"] > 18 and mixed["ru-north"] > 6  # 19.4 and 7.1; uniform: 15.6 and 8.7 of 20 and 10
    assert mixed["kp-west"] + mixed["ru-north"] + mixed.get("ru-home", 0.0) <= 30


def test_site_weights_are_equal_when_uniform_and_a_fixed_point_when_fitted():
    lik = np.array([[2.0, 1.0, 0.0], [2.0, 1.0, 1.0], [0.0, 3.0, 1.0]])
    p = DarkCalls()
    assert site_weights(lik, DarkCalls(site_prior="uniform")).tolist() == pytest.approx([1 / 3] * 3)
    w = site_weights(lik, p)
    calls = posterior(lik, w, p).sum(axis=0) + p.site_pseudo_calls  # a site starts with one call of its own
    assert w == pytest.approx(calls / calls.sum(), abs=1e-5)
    ml = site_weights(lik, DarkCalls(site_pseudo_calls=0.0))  # maximum likelihood sharpens further
    assert ml.max() > w.max()
    assert (posterior(lik, w, p)[lik == 0] == 0).all()  # a site the time rules out stays at 0
    with pytest.raises(DataError, match="dark_calls.site_prior"):
        DarkCalls(site_prior="learned")


def test_a_few_silences_along_a_coast_of_ports_do_not_pile_onto_one():
    # ten silences, each leaning a little to a different one of 40 ports along a coast
    lik = np.full((10, 40), 1.0)
    for i in range(10):
        lik[i, 4 * i] = 1.3
    spread = site_weights(lik, DarkCalls())
    piled = site_weights(lik, DarkCalls(site_pseudo_calls=0.0))
    assert spread.max() < 2 * spread.min()  # one pseudo-call a site keeps the shares near equal
    assert piled.max() > 5 * np.median(piled)  # maximum likelihood alone lets a few ports take them
