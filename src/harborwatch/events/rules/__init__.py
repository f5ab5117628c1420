"""One module per event rule. Each rule is a frozen parameter class (units in the names, values
checked when made) whose methods apply it to a partition's tracks (:class:`~harborwatch.events.fixes.Tracks`)
or static reports, appending its events to an :class:`~harborwatch.events.rows.EventRows`."""

from harborwatch.events.rules.encounters import Encounters
from harborwatch.events.rules.gaps import Gaps
from harborwatch.events.rules.identity import Identity
from harborwatch.events.rules.loitering import Loitering
from harborwatch.events.rules.port_visits import PortVisits
from harborwatch.events.rules.spoofing import Spoofing
from harborwatch.events.rules.voyages import Voyages

__all__ = ["Encounters", "Gaps", "Identity", "Loitering", "PortVisits", "Spoofing", "Voyages"]
