"""Parameters of every event rule: small frozen classes, units in the names, defaults documented.

Defaults follow Global Fishing Watch's published definitions where GFW has one. All of
them can be overridden from a TOML file (``harborwatch events --config rules.toml``)::

    [port_visits]
    entry_distance_m = 2000

    [gaps]
    min_duration_h = 8

Unknown sections or keys are errors naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from harborwatch.core.errors import DataError, InputFileError
from harborwatch.tracks.algorithms import Clean, Resample, Segment


@dataclass(frozen=True)
class PortVisits:
    """Port visits (GFW's port visit events).

    Attributes:
        entry_distance_m: a vessel enters a site when within this distance of it. 3000 m.
        exit_distance_m: and leaves when further than this. 4000 m.
        stop_begin_knots: a port stop begins below this speed. 0.2 kn.
        stop_end_knots: and ends above this speed. 0.5 kn.
        min_gap_h: a silence of at least this long inside a site is a port gap. 4 h.
        draught_window_h: arrival (departure) draught is the last static report at most this
            long before the visit starts (ends). 48 h.

    Confidence (GFW): 4 = entry, stop or gap, and exit; 3 = stop or gap with entry or exit;
    2 = entry and exit only; 1 = anything less (only one of entry, exit, stop or gap: the
    track starts or ends in port, or the fixes are too sparse).
    """

    entry_distance_m: float = 3000.0
    exit_distance_m: float = 4000.0
    stop_begin_knots: float = 0.2
    stop_end_knots: float = 0.5
    min_gap_h: float = 4.0
    draught_window_h: float = 48.0


@dataclass(frozen=True)
class Voyages:
    """Port-to-port legs between consecutive port visits of a vessel's main track.

    Attributes:
        min_visit_confidence: only visits of at least this confidence end or start a leg. 2.
    """

    min_visit_confidence: int = 2


@dataclass(frozen=True)
class Gaps:
    """AIS gaps: silences in a vessel's main track.

    Attributes:
        min_duration_h: a gap is at least this long. 6 h.
        disabling_min_duration_h: a gap this long where reception is good is *likely
            disabling* (the transponder was switched off). 12 h.
        reception_cell_deg: reception is estimated per cell of this size. 1 degree.
        reception_window_days: and over this many days centred on the gap's start. 7.
        min_reception_positions_per_day: reception is *good* when vessels in the cell were
            heard at least this many times a day on average (class A ships report every
            2-10 s under way; 10 a day is very poor reception). 10.
    """

    min_duration_h: float = 6.0
    disabling_min_duration_h: float = 12.0
    reception_cell_deg: float = 1.0
    reception_window_days: int = 7
    min_reception_positions_per_day: float = 10.0


@dataclass(frozen=True)
class Encounters:
    """Encounters (possible ship-to-ship transfers), GFW's definition.

    Attributes:
        step_min: tracks are resampled to this step. 10 min.
        max_interpolation_gap_h: no position is interpolated across a longer silence. 2 h.
        max_distance_m: the two vessels are at most this far apart. 500 m.
        min_duration_h: for at least this long (consecutive slots). 2 h.
        max_median_speed_knots: each vessel's median speed during it is below this. 2 kn.
        min_port_distance_m: its median position is at least this far from every port site. 10 km.
        merge_gap_h: encounters of the same pair less than this apart are merged. 4 h.
        cell_m: edge of the space buckets of the join, metres (>= 2 x max_distance_m). 2000 m.
    """

    step_min: float = 10.0
    max_interpolation_gap_h: float = 2.0
    max_distance_m: float = 500.0
    min_duration_h: float = 2.0
    max_median_speed_knots: float = 2.0
    min_port_distance_m: float = 10_000.0
    merge_gap_h: float = 4.0
    cell_m: float = 2000.0

    def __post_init__(self) -> None:
        if not (self.cell_m >= 2 * self.max_distance_m and self.cell_m >= 10.0):
            raise DataError(f"encounters.cell_m = {self.cell_m} m must be at least 2 x max_distance_m "
                            f"({2 * self.max_distance_m} m) and 10 m", field="encounters.cell_m")

    def resample(self) -> Resample:
        return Resample(step_min=self.step_min, max_gap_h=self.max_interpolation_gap_h)


@dataclass(frozen=True)
class Loitering:
    """Loitering: a vessel drifting or slow for hours away from ports.

    Attributes:
        max_speed_knots: fixes slower than this (speed over ground, or implied speed when
            none is reported) form a run. 2 kn.
        min_duration_h: a run lasts at least this long. 4 h.
        max_mean_speed_knots: and its mean speed (along-track distance / duration) is
            below this. 2 kn.
        max_gap_h: a silence longer than this breaks a run. 6 h.
        min_port_distance_m: its median position is at least this far from every port site. 10 km.
    """

    max_speed_knots: float = 2.0
    min_duration_h: float = 4.0
    max_mean_speed_knots: float = 2.0
    max_gap_h: float = 6.0
    min_port_distance_m: float = 10_000.0


@dataclass(frozen=True)
class Identity:
    """Identity events from static reports (name, IMO, call sign, flag) and across MMSIs.

    Attributes:
        min_reports: a new value counts only once seen in at least this many reports
            (one garbled type 5 message is not a renaming). 2.
        min_hull_fixes: a second hull on one MMSI needs a segment of at least this many
            fixes overlapping the main track in time. 10.
    """

    min_reports: int = 2
    min_hull_fixes: int = 10


@dataclass(frozen=True)
class Spoofing:
    """Position spoofing and errors.

    Attributes:
        teleport_distance_m: a dropped position spike at least this far from the track is a
            teleport. 10 km.
        land_margin_m: a fix is on land when it and eight points this far from it (N, NE,
            E, ... NW) are all on land in the mask (PyPI ``global-land-mask``, ~1 km cells),
            and it is not inside a port site's exit distance. This keeps harbours, rivers
            and canals narrower than twice the margin out; wider inland waterways are land
            to the mask. 10 km.
        min_land_fixes: consecutive on-land fixes needed. 2.
        waterway_cell_deg, waterway_min_vessels: where at least this many distinct vessels
            are "on land" in one cell of this size, the mask is missing a waterway (the Kiel
            Canal, the Limfjord, a river port); those events are dropped. 0.1 degree, 2.
    """

    teleport_distance_m: float = 10_000.0
    land_margin_m: float = 10000.0
    min_land_fixes: int = 2
    waterway_cell_deg: float = 0.1
    waterway_min_vessels: int = 2


EVENT_TYPES = (
    "port_visit", "voyage", "gap", "encounter", "loitering",
    "identity_change", "invalid_imo", "shared_imo", "shared_mmsi", "teleport", "on_land",
)

#: Which parameter section governs each event type (recorded in each event's ``parameters``).
SECTION_OF = {
    "port_visit": "port_visits", "voyage": "voyages", "gap": "gaps", "encounter": "encounters",
    "loitering": "loitering", "identity_change": "identity", "invalid_imo": "identity", "shared_imo": "identity",
    "shared_mmsi": "identity", "teleport": "spoofing", "on_land": "spoofing",
}


@dataclass(frozen=True)
class EventsConfig:
    """Every rule's parameters in one object."""

    clean: Clean = field(default_factory=Clean)
    segment: Segment = field(default_factory=Segment)
    port_visits: PortVisits = field(default_factory=PortVisits)
    voyages: Voyages = field(default_factory=Voyages)
    gaps: Gaps = field(default_factory=Gaps)
    encounters: Encounters = field(default_factory=Encounters)
    loitering: Loitering = field(default_factory=Loitering)
    identity: Identity = field(default_factory=Identity)
    spoofing: Spoofing = field(default_factory=Spoofing)

    def parameters_for(self, event_type: str) -> dict:
        """The parameters an event of this type depends on (its own rule, cleaning, segmentation)."""
        sec = SECTION_OF[event_type]
        return {"clean": asdict(self.clean), "segment": asdict(self.segment), sec: asdict(getattr(self, sec))}

    @classmethod
    def from_toml(cls, path: str | Path) -> EventsConfig:
        p = Path(path)
        if not p.exists():
            raise InputFileError(f"{p}: no such rules file")
        try:
            doc = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise DataError(f"not valid TOML: {e}", source=str(p)) from e
        return cls.from_dict(doc, str(p))

    @classmethod
    def from_dict(cls, doc: dict, origin: str = "<dict>") -> EventsConfig:
        cfg = cls()
        names = {f.name for f in fields(cls)}
        for section, values in doc.items():
            if section not in names:
                raise DataError(f"unknown section [{section}]; expected one of {', '.join(sorted(names))}",
                                source=origin, field=section)
            if not isinstance(values, dict):
                raise DataError(f"[{section}] must be a table of key = value", source=origin, field=section)
            current = getattr(cfg, section)
            allowed = {f.name: f for f in fields(current)}
            for k, v in values.items():
                if k not in allowed:
                    raise DataError(f"unknown key {section}.{k}; expected one of {', '.join(sorted(allowed))}",
                                    source=origin, field=f"{section}.{k}")
                typ = type(getattr(current, k))
                if typ is float and isinstance(v, int) and not isinstance(v, bool):
                    v = float(v)
                if not isinstance(v, typ) or isinstance(v, bool):
                    raise DataError(f"{section}.{k} must be a {typ.__name__}, got {v!r}", source=origin,
                                    field=f"{section}.{k}")
                current = replace(current, **{k: v})
            cfg = replace(cfg, **{section: current})
        return cfg
