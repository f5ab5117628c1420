"""Events an analyst can cite: port visits, voyages, gaps, encounters, loitering, identity, spoofing."""

from harborwatch.events.engine import run
from harborwatch.events.export import write_event_dataset, write_events
from harborwatch.events.params import (
    EVENT_TYPES,
    Encounters,
    EventsConfig,
    Gaps,
    Identity,
    Loitering,
    PortVisits,
    Spoofing,
    Voyages,
)
from harborwatch.events.request import Request
from harborwatch.events.schema import EVENTS

__all__ = [
    "EVENTS",
    "EVENT_TYPES",
    "Encounters",
    "EventsConfig",
    "Gaps",
    "Identity",
    "Loitering",
    "PortVisits",
    "Request",
    "Spoofing",
    "Voyages",
    "run",
    "write_event_dataset",
    "write_events",
]
