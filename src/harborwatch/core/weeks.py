"""The one definition of a week: Monday 00:00 UTC to the next Monday, in seconds since the epoch.

Every weekly series (report charts, period analyses, radar scene series) bins with these.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

DAY_S = 86_400
WEEK_S = 7 * DAY_S
#: 1970-01-05, the first Monday after the epoch (a Thursday), in seconds.
_MONDAY_S = 4 * DAY_S


def week_start(t_s: int) -> int:
    """The Monday 00:00 UTC on or before ``t_s`` (seconds since the epoch)."""
    return t_s - (t_s - _MONDAY_S) % WEEK_S


def week_of(t: str | datetime) -> str:
    """The ISO date of the Monday (UTC) of the week holding a time given as ISO text or a
    datetime (naive times are UTC)."""
    d = datetime.fromisoformat(t) if isinstance(t, str) else t
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return datetime.fromtimestamp(week_start(int(d.timestamp())), UTC).date().isoformat()


def week_index(ms: np.ndarray, week0_s: int) -> np.ndarray:
    """The week (0 = the week starting at ``week0_s``) of each time in epoch milliseconds."""
    return (np.asarray(ms, np.int64) // 1000 - week0_s) // WEEK_S


def week_dates(week0_s: int, n: int) -> list[datetime]:
    """The first day (Monday, UTC) of ``n`` weeks from ``week0_s``."""
    return [datetime.fromtimestamp(week0_s + k * WEEK_S, UTC) for k in range(n)]


__all__ = ["DAY_S", "WEEK_S", "week_dates", "week_index", "week_of", "week_start"]
