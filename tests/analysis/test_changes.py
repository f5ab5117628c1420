"""Change points, placebo tests and the difference in differences on synthetic weekly series."""

from __future__ import annotations

import numpy as np
import pytest

from harborwatch.analysis.changes import StepTest, change_points, diff_in_diff, finding, step_test
from harborwatch.core.weeks import WEEK_S, week_start

W0 = week_start(1_672_531_200)  # the week of 2023-01-01
WEEKS = W0 + WEEK_S * np.arange(52)
EVENT = W0 + 29 * WEEK_S + 2 * 86_400  # a Wednesday in week 29


def _series(seed: int, before: float, after: float, k: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.poisson(before, k), rng.poisson(after, 52 - k)]).astype(float)


def test_a_real_step_is_significant_and_found_near_the_event():
    """Calls per week doubling (3 -> 6, Poisson) on 30 + 22 weeks, ten series: every one at
    p <= 0.05, the change point within 14 days of the event in most (noise can move it by
    weeks), and the 90 % interval of the effect covering the true step in most."""
    rs = [step_test(_series(seed, 3.0, 6.0), WEEKS, EVENT) for seed in range(1, 11)]
    assert all(r is not None and r.p_value <= 0.05 for r in rs)
    assert sum(r.found_within for r in rs) >= 8
    assert sum(r.low <= 3.0 <= r.high for r in rs) >= 8


def test_placebo_false_positives_are_rare_without_a_change():
    """No change: p <= 0.05 at the event date in about 5 % of series, never much more."""
    ps = [step_test(_series(s, 4.0, 4.0), WEEKS, EVENT).p_value for s in range(100)]
    assert np.mean(np.array(ps) <= 0.05) <= 0.10


def test_change_points_without_the_calendar():
    assert change_points(np.r_[np.full(20, 2.0), np.full(20, 8.0)] + 0.01 * np.arange(40) % 0.03) == [20]
    assert change_points(np.full(40, 3.0)) == []
    assert change_points(np.arange(5.0)) == []  # too short for two segments


def test_dates_without_enough_weeks_on_a_side():
    assert step_test(_series(1, 3, 6), WEEKS, W0 + 2 * WEEK_S) is None
    assert step_test(_series(1, 3, 6), WEEKS, W0 + 60 * WEEK_S) is None


def test_difference_in_differences_removes_what_happened_everywhere():
    rng = np.random.default_rng(7)
    common = np.r_[np.zeros(30), np.full(22, 2.0)]  # every port got 2 more calls a week
    y = 3 + common + np.r_[np.zeros(30), np.full(22, 3.0)] + rng.normal(0, 0.5, 52)  # and this one 3 more
    controls = np.stack([5 + common + rng.normal(0, 0.5, 52) for _ in range(3)])
    did = diff_in_diff(y, controls, WEEKS, EVENT)
    assert did is not None and did["low"] <= 3.0 <= did["high"] and did["p_value"] < 0.01
    assert diff_in_diff(y, np.zeros((0, 52)), WEEKS, EVENT) is None


def test_finding_quotes_the_numbers():
    r = step_test(_series(1, 3.0, 6.0), WEEKS, EVENT)
    text = finding("calls per week", "Rajin", "the 26 July visit", r)
    assert "rose from" in text and f"p = {r.p_value:.3f}" in text and f"of {r.n_placebo} placebo dates" in text


def test_parameters_are_checked():
    from harborwatch.core.errors import DataError

    with pytest.raises(DataError, match="changes.level"):
        StepTest(level=1.2)


def test_placebo_rate_counts_changes_the_events_do_not_explain():
    """Steps at the event dates only: the residual test fires rarely; an extra step halfway
    between them that no event explains is found at the dates around it."""
    from harborwatch.analysis.changes import placebo_rate

    rng = np.random.default_rng(5)
    events = [W0 + 20 * WEEK_S, W0 + 40 * WEEK_S]
    weeks = W0 + WEEK_S * np.arange(60)
    explained = np.r_[rng.poisson(2, 20), rng.poisson(5, 20), rng.poisson(8, 20)].astype(float)
    r = placebo_rate(explained, weeks, events)
    assert r["n_dates"] >= 20 and r["false_positive_rate"] <= 0.1
    unexplained = np.r_[rng.poisson(2, 10), rng.poisson(9, 50)].astype(float)  # a step at week 10, no event
    assert placebo_rate(unexplained, weeks, events)["false_positive_rate"] > 0.1
