"""Every rule's parameters are checked when made, and a rules file is read one section at a time."""

from __future__ import annotations

import pytest

from harborwatch.core.errors import DataError
from harborwatch.events.params import EventsConfig
from harborwatch.events.rules import Encounters, Gaps, Identity, Loitering, PortVisits, Spoofing, Voyages
from harborwatch.tracks.algorithms import Clean, Resample, Segment

BAD = [
    (PortVisits, {"entry_distance_m": -1.0}, "port_visits.entry_distance_m"),
    (PortVisits, {"exit_distance_m": 2000.0}, "port_visits.exit_distance_m"),  # below the entry distance
    (PortVisits, {"stop_end_knots": 0.1}, "port_visits.stop_end_knots"),  # below the stop speed
    (Voyages, {"min_visit_confidence": 5}, "voyages.min_visit_confidence"),
    (Gaps, {"min_duration_h": 0.0}, "gaps.min_duration_h"),
    (Gaps, {"reception_cell_deg": float("nan")}, "gaps.reception_cell_deg"),
    (Encounters, {"max_distance_m": 0.0}, "encounters.max_distance_m"),
    (Encounters, {"max_distance_m": 0.0}, "encounters.max_distance_m"),
    (Loitering, {"min_duration_h": -4.0}, "loitering.min_duration_h"),
    (Identity, {"min_reports": 0}, "identity.min_reports"),
    (Spoofing, {"min_land_fixes": 0}, "spoofing.min_land_fixes"),
    (Clean, {"clock_offset_s": -1.0}, "clean.clock_offset_s"),
    (Segment, {"max_open": 0}, "segment.max_open"),
    (Resample, {"step_min": float("inf")}, "resample.step_min"),
]


@pytest.mark.parametrize(("cls", "values", "key"), BAD, ids=[k for _, _, k in BAD])
def test_a_meaningless_value_cannot_be_made(cls, values, key):
    with pytest.raises(DataError) as e:
        cls(**values)
    assert e.value.field == key and key in str(e.value)


@pytest.mark.parametrize("cls", [PortVisits, Voyages, Gaps, Encounters, Loitering, Identity, Spoofing, Clean,
                                 Segment, Resample])
def test_defaults_are_valid(cls):
    cls().validate()


def test_a_section_is_checked_with_all_its_keys(tmp_path):
    """Moving both hysteresis distances up at once is valid, though the first alone is not."""
    cfg = EventsConfig.from_dict({"port_visits": {"entry_distance_m": 5000, "exit_distance_m": 6000}})
    assert (cfg.port_visits.entry_distance_m, cfg.port_visits.exit_distance_m) == (5000.0, 6000.0)
    p = tmp_path / "rules.toml"
    p.write_text("[port_visits]\nentry_distance_m = 5000\n")
    with pytest.raises(DataError) as e:
        EventsConfig.from_toml(p)
    assert str(p) in str(e.value) and "port_visits.exit_distance_m" in str(e.value)
