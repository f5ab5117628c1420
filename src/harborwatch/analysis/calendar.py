"""The event calendar as data: dated events, each with its source, read from TOML.

The packaged calendar (``analysis/data/rason_2023.toml``) holds the public dates of the Rason
2023 story; users pass their own file in the same format. Charts draw the entries as lines, and
period analyses (:mod:`harborwatch.analysis.periods`) cut series at chosen entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from harborwatch.core.errors import DataError
from harborwatch.core.tomlfiles import parse_toml, read_toml


@dataclass(frozen=True)
class CalendarEntry:
    """One dated event: ``date`` (YYYY-MM-DD, a UTC day), the ``label`` charts draw, the
    ``source`` that reported it, a stable ``id`` and an optional ``url``."""

    date: str
    label: str
    source: str = ""
    id: str = ""
    url: str | None = None

    @property
    def epoch_s(self) -> int:
        """Seconds since the epoch at 00:00 UTC of the day."""
        return int(datetime.fromisoformat(self.date).replace(tzinfo=UTC).timestamp())


def _entries(doc: dict, origin: str) -> tuple[CalendarEntry, ...]:
    events = doc.get("event")
    if not isinstance(events, list) or not events:
        raise DataError("a calendar needs at least one [[event]] table", source=origin, field="event")
    out = []
    for k, e in enumerate(events, 1):
        if not isinstance(e, dict):
            raise DataError(f"event {k} is not a table", source=origin, field="event")
        unknown = set(e) - {"id", "date", "label", "source", "url"}
        if unknown:
            raise DataError(f"event {k}: unknown key {sorted(unknown)[0]!r}", source=origin, field=sorted(unknown)[0])
        for key in ("date", "label", "source"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise DataError(f"event {k}: {key} is required (a text)", source=origin, field=key)
        try:
            datetime.strptime(e["date"], "%Y-%m-%d")
        except ValueError as err:
            raise DataError(f"event {k}: date {e['date']!r} is not YYYY-MM-DD", source=origin, field="date") from err
        out.append(CalendarEntry(e["date"], e["label"], e["source"], e.get("id") or e["date"], e.get("url")))
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise DataError("event ids must be unique", source=origin, field="id")
    return tuple(sorted(out, key=lambda e: e.date))


def load_calendar(path: str | Path | None = None) -> tuple[CalendarEntry, ...]:
    """The entries of a calendar file (the packaged Rason 2023 calendar when ``path`` is None),
    in date order. Errors name the file, the entry and the key."""
    if path is not None:
        return _entries(read_toml(path, "calendar"), str(path))
    text = resources.files("harborwatch.analysis").joinpath("data/rason_2023.toml").read_text(encoding="utf-8")
    origin = "rason_2023.toml (packaged)"
    return _entries(parse_toml(text, origin), origin)


def entry(calendar: tuple[CalendarEntry, ...], id_or_date: str) -> CalendarEntry:
    """The entry with this id or date."""
    for e in calendar:
        if id_or_date in (e.id, e.date):
            return e
    raise DataError(f"no calendar entry {id_or_date!r}; the calendar has {', '.join(e.id for e in calendar)}")


#: The packaged calendar of the Rason 2023 story.
RASON_2023 = load_calendar()

__all__ = ["RASON_2023", "CalendarEntry", "entry", "load_calendar"]
