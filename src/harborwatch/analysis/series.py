"""Weekly series: the one definition of a week (Monday 00:00 UTC to the next Monday)."""

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


def week_index(ms: np.ndarray, week0_s: int) -> np.ndarray:
    """The week (0 = the week starting at ``week0_s``) of each time in epoch milliseconds."""
    return (np.asarray(ms, np.int64) // 1000 - week0_s) // WEEK_S


def week_dates(week0_s: int, n: int) -> list[datetime]:
    """The first day (Monday, UTC) of ``n`` weeks from ``week0_s``."""
    return [datetime.fromtimestamp(week0_s + k * WEEK_S, UTC) for k in range(n)]


def weekly_counts(ms: np.ndarray, week0_s: int, n: int) -> np.ndarray:
    """How many of the times fall in each of ``n`` weeks from ``week0_s``."""
    w = week_index(ms, week0_s)
    return np.bincount(w[(w >= 0) & (w < n)], minlength=n)[:n] if len(w) else np.zeros(n, np.int64)


def weeks_between(a_s: int, b_s: int) -> float:
    """The length of [a, b) in weeks (0 when b <= a)."""
    return max(b_s - a_s, 0) / WEEK_S


__all__ = ["DAY_S", "WEEK_S", "week_dates", "week_index", "week_start", "weekly_counts", "weeks_between"]
