"""The sampling floor of calls per week at a site: how close *any* estimator built on the scenes
can come to the truth, given when the scenes were taken.

Calls of hulls that never transmit near the site and whose silence no transmission brackets
(radar-only calls) are known only from the scenes: each scene samples who is present, and a
dwell-time model turns presence into calls per week (:mod:`harborwatch.estimates.presences`). With
a scene every 6-12 days a period of seven weeks has five or six scenes, and whether a hull that
spends a third of its time in port happens to be there at each pass is a coin toss.

The *oracle* here has every advantage an estimator could have:

* it counts every other call exactly: calls seen on AIS and dark calls bracketed by a silence;
* it sees every radar-only hull present at each scene time that covers the site, with no missed
  or false detection;
* it knows the true mean stay of the radar-only calls.

It estimates calls per week as the exact calls per week plus the mean number of radar-only
hulls present per scene divided by the mean stay (Little's law), as the estimator does. Its
error is due to the scene times alone, so an error goal tighter than the oracle's cannot be met
reliably by any estimator that samples presence at those times.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.periods import RASON_PERIODS, Period, site_visits, truth_calls_per_period
from harborwatch.analysis.series import weeks_between
from harborwatch.estimates.presences import H_PER_WEEK, epoch_ms


def _s(col) -> np.ndarray:
    """Seconds since the epoch (float) of a timestamp column of any unit."""
    return epoch_ms(col) / 1000


def radar_only(truth: pa.Table, site_id: str) -> np.ndarray:
    """Per ``port_visit`` row of the truth at the site (in :func:`site_visits` order): True when the
    hull's AIS was off for the whole call and no ``dark_call`` row (a silence bracketed by
    transmissions) covers it."""
    v = site_visits(truth, site_id)
    off = np.array(['"ais": "off"' in a for a in v["attributes"].to_pylist()], bool)
    d = truth.filter(pc.and_(pc.equal(truth["type"], "dark_call"), pc.equal(truth["site_id"], site_id)))
    bracketed = set(zip(d["vessel"].to_pylist(), _s(d["start"]).tolist(), strict=True))
    keys = zip(v["vessel"].to_pylist(), _s(v["start"]).tolist(), strict=True)
    return off & ~np.array([k in bracketed for k in keys], bool)


def covering_scenes(overpasses: pa.Table, lat: float, lon: float) -> np.ndarray:
    """Distinct times (seconds) of the scenes whose footprint (``lat_min`` .. ``lon_max``) covers the point."""
    if overpasses.num_rows == 0:
        return np.zeros(0)
    inside = ((overpasses["lat_min"].to_numpy() <= lat) & (lat <= overpasses["lat_max"].to_numpy())
              & (overpasses["lon_min"].to_numpy() <= lon) & (lon <= overpasses["lon_max"].to_numpy()))
    return np.unique(_s(overpasses["time"])[inside])


def sampling_floor(truth: pa.Table, overpasses: pa.Table, site_id: str = "kp-rajin",
                   spans: tuple[Period, ...] = RASON_PERIODS) -> dict:
    """The oracle's calls per week at the site in each period (see the module's docstring) against
    the truth: ``{site, mean_stay_h, rows: [{period, scenes, truth, radar_only_truth,
    oracle_radar_only, oracle_estimate, oracle_rel_error}], within_10pct}``. ``overpasses``: the
    scenario's ``truth_overpasses`` (scene time and footprint bounds)."""
    v = site_visits(truth, site_id)
    if v.num_rows == 0:
        return {"site": site_id, "mean_stay_h": None, "rows": [], "within_10pct": 0}
    a, b = _s(v["start"]), _s(v["end"])
    dark = radar_only(truth, site_id)
    stay_w = float((b - a)[dark].mean()) / 3600 / H_PER_WEEK if dark.any() else None
    times = covering_scenes(overpasses, float(v["lat"][0].as_py()), float(v["lon"][0].as_py()))
    tr = truth_calls_per_period(truth, site_id, spans, all_hulls=True)
    t0, t1 = float(_s(truth["start"]).min()), float(_s(truth["end"]).max())
    rows = []
    for name, lo, hi in spans:
        lo_s, hi_s = (t0 if lo is None else lo), (t1 if hi is None else hi)
        weeks, truth_pw = weeks_between(int(lo_s), int(hi_s)), tr[name]["per_week"]
        if not weeks or not truth_pw:
            continue
        start_in = (a >= lo_s) & (a < hi_s)
        sc = times[(times >= lo_s) & (times < hi_s)]
        present = np.array([int(((a <= t) & (t < b) & dark).sum()) for t in sc])
        radar = float(present.mean()) / stay_w if stay_w and len(sc) else 0.0
        est = float((start_in & ~dark).sum()) / weeks + radar
        rows.append({"period": name, "scenes": int(len(sc)), "truth": truth_pw,
                     "radar_only_truth": round(float((start_in & dark).sum()) / weeks, 2),
                     "oracle_radar_only": round(radar, 2), "oracle_estimate": round(est, 2),
                     "oracle_rel_error": round((est - truth_pw) / truth_pw, 4)})
    return {"site": site_id, "mean_stay_h": None if stay_w is None else round(stay_w * H_PER_WEEK, 1),
            "rows": rows, "within_10pct": sum(abs(r["oracle_rel_error"]) <= 0.10 for r in rows)}


__all__ = ["covering_scenes", "radar_only", "sampling_floor"]
