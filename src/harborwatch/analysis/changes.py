"""Changes in weekly series, and whether they can be attributed to a dated event.

For a weekly series (calls per week at a site, say) and a calendar date:

* **change points**: where the series' level changes, found by ``ruptures`` (PELT on the mean,
  with a BIC-like penalty scaled by the series' own noise), independently of the calendar;
* **effect**: the mean after the date minus the mean before, with a 90 % interval from a
  bootstrap that resamples weeks within each side;
* **placebo test**: the same comparison at other dates where nothing is known to have happened:
  every date inside the weeks before the event (comparing only weeks before it) and inside the
  weeks after it (only weeks after it), so no placebo straddles the event's own change. Each
  comparison is a Welch t statistic, so windows of different lengths compare fairly; the p-value
  is the share of placebo dates whose |t| is at least the event's, counting the event itself
  (no distributional assumption; its resolution is 1 / (1 + placebo dates), so p <= 0.05 needs
  at least 19 of them: about 30 weeks on each side with the default ``min_weeks``);
* **counterfactual**: with control series (sites not expected to change), a difference in
  differences, ``y ~ treated * after`` by OLS in ``statsmodels`` with standard errors robust to
  heteroskedasticity: the interaction is the effect net of what happened at the controls;
* **a finding in plain words**, quoting all of the above.

The change-point date is reported beside the calendar date (``found_date``): a change found
within ``match_days`` of the event supports attributing it to the event; the placebo p-value
says how unusual a change of that size is at that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from harborwatch.core.errors import require
from harborwatch.core.params import Params
from harborwatch.core.weeks import WEEK_S


@dataclass(frozen=True)
class StepTest(Params):
    """Parameters of a change test at a calendar date.

    Attributes:
        min_weeks: weeks needed on each side of a date (the event's and every placebo's). 6.
        n_boot: bootstrap resamples of the effect's interval. 2000.
        level: the interval's coverage. 0.9.
        match_days: a change point this close to the event supports it. 14.
        penalty_scale: the change-point penalty is this x log(n) x the series' noise variance. 3.
        seed: of the bootstrap's random numbers (results are reproducible). 0.
    """

    section = "changes"

    min_weeks: int = 6
    n_boot: int = 2000
    level: float = 0.9
    match_days: int = 14
    penalty_scale: float = 3.0
    seed: int = 0

    def validate(self) -> None:
        self.at_least("min_weeks", 2)
        self.at_least("n_boot", 100)
        self.positive("penalty_scale", "match_days")
        self.coverage("level")


def _noise_var(y: np.ndarray) -> float:
    """Robust noise variance of a series with level shifts: from the median absolute first
    difference (a step adds one large difference, not a shift of the median)."""
    d = np.diff(y)
    if len(d) == 0:
        return 1.0
    mad = np.median(np.abs(d - np.median(d)))
    return float(max((1.4826 * mad) ** 2 / 2.0, np.var(y) / 100.0, 1e-9))


def change_points(y: np.ndarray, p: StepTest | None = None) -> list[int]:
    """Indices where a new level starts (PELT, ``l2`` cost), found without the calendar."""
    p = p or StepTest()
    rpt = require("ruptures", "analysis", "change points")
    y = np.asarray(y, np.float64)
    if len(y) < 2 * p.min_weeks:
        return []
    pen = p.penalty_scale * np.log(len(y)) * _noise_var(y)
    ends = rpt.Pelt(model="l2", min_size=p.min_weeks, jump=1).fit(y).predict(pen=pen)
    return [int(e) for e in ends[:-1]]


def _welch_t(before: np.ndarray, after: np.ndarray) -> float:
    """Welch's t of after - before (the noise floor keeps constant windows finite)."""
    se = np.sqrt(before.var(ddof=1) / len(before) + after.var(ddof=1) / len(after) + 1e-12)
    return float((after.mean() - before.mean()) / se)


def _placebo_t(y: np.ndarray, k: int, m: int) -> list[float]:
    """Welch t at every date inside the weeks before ``k`` (using only those) and inside the
    weeks from ``k`` on (only those), with ``m`` weeks on each side."""
    pre, post = y[:k], y[k:]
    return ([_welch_t(pre[:j], pre[j:]) for j in range(m, len(pre) - m + 1)]
            + [_welch_t(post[:j], post[j:]) for j in range(m, len(post) - m + 1)])


def _as_large(y: np.ndarray, k: int, m: int, t0: float) -> tuple[int, int]:
    """(placebo dates whose |t| is at least ``|t0|``, placebo dates) for a change at week ``k``."""
    placebo = _placebo_t(y, k, m)
    return int(sum(abs(t) >= abs(t0) - 1e-12 for t in placebo)), len(placebo)


@dataclass(frozen=True)
class StepResult:
    """The change at one date: means before and after with intervals, the effect and its
    interval, the placebo p-value, and the change point nearest the date."""

    date: str
    before: float
    before_low: float
    before_high: float
    after: float
    after_low: float
    after_high: float
    effect: float
    low: float
    high: float
    p_value: float
    n_placebo: int
    placebo_as_large: int
    found_date: str | None
    found_within: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def step_test(y: np.ndarray, weeks_s: np.ndarray, date_s: int, p: StepTest | None = None) -> StepResult | None:
    """The change of ``y`` (one value per week starting at ``weeks_s``, seconds) at ``date_s``;
    None when the date leaves fewer than ``min_weeks`` weeks on a side."""
    p = p or StepTest()
    y = np.asarray(y, np.float64)
    weeks_s = np.asarray(weeks_s, np.int64)
    k = int(np.searchsorted(weeks_s, date_s))  # the first week starting on or after the date
    m = p.min_weeks
    if k < m or len(y) - k < m:
        return None
    eff = float(y[k:].mean() - y[:k].mean())
    t0 = _welch_t(y[:k], y[k:])
    rng = np.random.default_rng(p.seed)
    b = rng.choice(y[:k], size=(p.n_boot, k)).mean(axis=1)
    a = rng.choice(y[k:], size=(p.n_boot, len(y) - k)).mean(axis=1)
    lo_q, hi_q = (1 - p.level) / 2, 1 - (1 - p.level) / 2
    as_large, n_placebo = _as_large(y, k, m, t0)
    cps = change_points(y, p)
    found = min(cps, key=lambda c: abs(c - k)) if cps else None
    found_date = (datetime.fromtimestamp(int(weeks_s[found]), UTC).date().isoformat()
                  if found is not None else None)
    within = found is not None and abs(int(weeks_s[found]) - date_s) <= p.match_days * 86_400 + WEEK_S // 2
    return StepResult(
        date=datetime.fromtimestamp(date_s, UTC).date().isoformat(),
        before=float(y[:k].mean()), before_low=float(np.quantile(b, lo_q)), before_high=float(np.quantile(b, hi_q)),
        after=float(y[k:].mean()), after_low=float(np.quantile(a, lo_q)), after_high=float(np.quantile(a, hi_q)),
        effect=eff, low=float(np.quantile(a - b, lo_q)), high=float(np.quantile(a - b, hi_q)),
        p_value=(1 + as_large) / (1 + n_placebo), n_placebo=n_placebo, placebo_as_large=as_large,
        found_date=found_date, found_within=bool(within),
    )


def diff_in_diff(y: np.ndarray, controls: np.ndarray, weeks_s: np.ndarray, date_s: int,
                 level: float = 0.9) -> dict | None:
    """Difference in differences of ``y`` against the mean of ``controls`` (one row per control
    series) at ``date_s``: ``y ~ treated * after`` by OLS (HC1 standard errors). None without
    controls or weeks on both sides."""
    controls = np.atleast_2d(np.asarray(controls, np.float64))
    if controls.size == 0:
        return None
    sm = require("statsmodels.api", "analysis", "the difference-in-differences counterfactual")
    after = (np.asarray(weeks_s, np.int64) >= date_s).astype(float)
    if after.all() or not after.any():
        return None
    c = controls.mean(axis=0)
    yy = np.concatenate([np.asarray(y, np.float64), c])
    treated = np.concatenate([np.ones(len(y)), np.zeros(len(c))])
    post = np.concatenate([after, after])
    X = np.column_stack([np.ones(len(yy)), treated, post, treated * post])
    fit = sm.OLS(yy, X).fit(cov_type="HC1")
    lo, hi = fit.conf_int(alpha=1 - level)[3]
    return {"effect": float(fit.params[3]), "low": float(lo), "high": float(hi), "p_value": float(fit.pvalues[3]),
            "control_before": float(c[after == 0].mean()), "control_after": float(c[after == 1].mean())}


def finding(series: str, site: str, event: str, r: StepResult, did: dict | None = None, unit: str = "") -> str:
    """The result in plain words, with every number it rests on."""
    direction = "rose" if r.effect > 0 else "fell" if r.effect < 0 else "did not change"
    text = (f"{series} at {site} {direction} from {r.before:.2f} [{r.before_low:.2f}, {r.before_high:.2f}] to "
            f"{r.after:.2f} [{r.after_low:.2f}, {r.after_high:.2f}]{unit} after {event} ({r.date}); change "
            f"{r.effect:+.2f} [{r.low:+.2f}, {r.high:+.2f}], p = {r.p_value:.3f} "
            f"({r.placebo_as_large} of {r.n_placebo} placebo dates as large)")
    if r.found_date:
        text += (f"; a change point was found on {r.found_date}"
                 + (" (close to the event)" if r.found_within else " (not close to the event)"))
    else:
        text += "; no change point was found"
    if did is not None:
        text += (f"; net of control ports {did['effect']:+.2f} [{did['low']:+.2f}, {did['high']:+.2f}] "
                 f"(difference in differences, p = {did['p_value']:.3f})")
    return text + "."




def placebo_rate(y: np.ndarray, weeks_s: np.ndarray, event_dates_s: list[int], p: StepTest | None = None,
                 away_weeks: int = 4, alpha: float = 0.05) -> dict:
    """How often the test calls a change where none is known. The series' level is first taken
    out between consecutive event dates (each stretch minus its own mean: what the events
    explain), then the test runs on what is left at every week start at least ``away_weeks``
    from each event date and ``min_weeks`` from the ends; ``fired``: how many of those ``n_dates``
    give p <= ``alpha``; their share is the false-positive rate."""
    p = p or StepTest()
    y = np.asarray(y, np.float64)
    weeks_s = np.asarray(weeks_s, np.int64)
    cuts = sorted(int(np.searchsorted(weeks_s, d)) for d in event_dates_s)
    bounds = sorted({0, *[c for c in cuts if 0 < c < len(y)], len(y)})
    resid = y.copy()
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        resid[a:b] -= y[a:b].mean()
    tested = significant = 0
    for j in range(p.min_weeks, len(y) - p.min_weeks + 1):
        if any(abs(j - c) < away_weeks for c in cuts):
            continue
        # the step test's p-value at week j (its interval and change points are not needed here)
        as_large, n_placebo = _as_large(resid, j, p.min_weeks, _welch_t(resid[:j], resid[j:]))
        tested += 1
        significant += (1 + as_large) / (1 + n_placebo) <= alpha
    return {"n_dates": tested, "fired": significant, "false_positive_rate": significant / tested if tested else None}


__all__ = ["StepResult", "StepTest", "change_points", "diff_in_diff", "finding", "placebo_rate", "step_test"]
