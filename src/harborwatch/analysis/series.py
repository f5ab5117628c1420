"""Weekly series, with the one definition of a week (:mod:`harborwatch.core.weeks`: Monday
00:00 UTC to the next Monday)."""

from __future__ import annotations

import numpy as np

from harborwatch.core.weeks import DAY_S, WEEK_S, week_dates, week_index, week_of, week_start


def weekly_counts(ms: np.ndarray, week0_s: int, n: int) -> np.ndarray:
    """How many of the times fall in each of ``n`` weeks from ``week0_s``."""
    w = week_index(ms, week0_s)
    return np.bincount(w[(w >= 0) & (w < n)], minlength=n)[:n] if len(w) else np.zeros(n, np.int64)


def weeks_between(a_s: int, b_s: int) -> float:
    """The length of [a, b) in weeks (0 when b <= a)."""
    return max(b_s - a_s, 0) / WEEK_S


__all__ = ["DAY_S", "WEEK_S", "week_dates", "week_index", "week_of", "week_start", "weekly_counts",
           "weeks_between"]
