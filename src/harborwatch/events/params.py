"""Every rule's parameters in one object (:class:`EventsConfig`), read from TOML.

Each rule is a frozen parameter class in :mod:`harborwatch.events.rules`, units in the names,
defaults documented, values checked when made.

Defaults follow Global Fishing Watch's published definitions where GFW has one. All of
them can be overridden from a TOML file (``harborwatch events --config rules.toml``)::

    [port_visits]
    entry_distance_m = 2000

    [gaps]
    min_duration_h = 8

Unknown sections or keys are errors naming the file and the key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from harborwatch.core.errors import DataError
from harborwatch.core.tomlfiles import read_toml
from harborwatch.events.rules import Encounters, Gaps, Identity, Loitering, PortVisits, Spoofing, Voyages
from harborwatch.tracks.algorithms import Clean, Segment

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

    def to_dict(self) -> dict:
        """Every section's parameters (what :meth:`from_dict` reads back)."""
        return {f.name: asdict(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_toml(cls, path: str | Path) -> EventsConfig:
        return cls.from_dict(read_toml(path, "rules"), str(path))

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
            changes: dict = {}
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
                changes[k] = v
            try:  # all keys of a section at once: a rule checks its values together (hysteresis)
                current = replace(current, **changes)
            except DataError as e:
                raise DataError(str(e), source=origin, field=e.field) from e
            cfg = replace(cfg, **{section: current})
        return cfg


__all__ = ["EVENT_TYPES", "SECTION_OF", "Encounters", "EventsConfig", "Gaps", "Identity", "Loitering",
           "PortVisits", "Spoofing", "Voyages"]
