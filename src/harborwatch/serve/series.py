"""Weekly series for the map's panel, read from an estimates folder (``harborwatch estimate --out``
or a demo's ``estimates/``): calls per week with their intervals, rail cars, cargo; the periods
and changes around calendar dates; and the event calendar itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.core.errors import NotFoundError

#: (file, estimate column, low column, high column) of the per-site weekly quantities of activity.parquet
_ACTIVITY = {"calls": ("calls", "low", "high"), "ais_calls": ("ais_calls", None, None),
             "dark_calls": ("dark_calls", None, None), "radar_calls": ("radar_calls", None, None)}


def _day(v) -> str:
    return (v.date() if isinstance(v, datetime) else v).isoformat() if isinstance(v, date) else str(v)


def _num(v) -> float | None:
    return None if v is None else round(float(v), 3)


@dataclass
class SeriesSource:
    """The weekly tables of one estimates folder, loaded once; ``folder`` None = no estimates."""

    folder: Path | None
    calendar: tuple[CalendarEntry, ...] = ()
    _points: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    _json: dict[str, list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.folder is None or not (self.folder / "activity.parquet").exists():
            self.folder = None
            return
        act = pq.read_table(self.folder / "activity.parquet").to_pylist()
        for r in act:
            for q, (col, lo, hi) in _ACTIVITY.items():
                self._points.setdefault((r["site_id"], q), []).append(
                    {"week": _day(r["week"]), "estimate": _num(r[col]),
                     "low": _num(r[lo]) if lo else None, "high": _num(r[hi]) if hi else None})
        for name in ("rail_weekly", "cargo_weekly"):
            p = self.folder / f"{name}.parquet"
            if p.exists():
                for r in pq.read_table(p).to_pylist():
                    self._points.setdefault((r["site_id"], r["quantity"]), []).append(
                        {"week": _day(r["week"]), "estimate": _num(r["estimate"]), "low": _num(r["low"]),
                         "high": _num(r["high"])})
        for pts in self._points.values():
            pts.sort(key=lambda p: p["week"])
        for name in ("periods", "changes", "cargo_periods", "rail_periods"):
            p = self.folder / f"{name}.json"
            self._json[name] = json.loads(p.read_text()) if p.exists() else []

    def available(self) -> list[dict]:
        """(site, quantity, weeks) of every series, sites and quantities sorted."""
        return [{"site": s, "quantity": q, "weeks": len(p)} for (s, q), p in sorted(self._points.items())]

    def series(self, site: str, quantity: str) -> dict:
        """The weekly points of one series, with the periods and changes of that site and quantity
        and the calendar."""
        if self.folder is None:
            raise NotFoundError("the server has no estimates",
                                hint="write them with harborwatch estimate --out DIR and start the server with "
                                     "--estimates DIR")
        pts = self._points.get((site, quantity))
        if pts is None:
            have = sorted({q for s, q in self._points if s == site})
            raise NotFoundError(f"no series {quantity!r} at {site!r}",
                                hint=f"quantities there: {', '.join(have)}" if have else "no series at that site")
        names = {"calls": "calls_per_week", "rail_cars": "rail_cars_per_week"}
        qname = names.get(quantity, quantity)
        rows = [r for k in ("periods", "cargo_periods", "rail_periods") for r in self._json.get(k, [])]
        periods = [r for r in rows if r.get("site") == site and r.get("quantity") == qname]
        changes = [r for r in self._json.get("changes", []) if r.get("site") == site and r.get("series") == qname]
        return {"site": site, "quantity": quantity, "points": pts, "periods": periods, "changes": changes,
                "calendar": [{"id": e.id, "date": e.date, "label": e.label, "source": e.source, "url": e.url}
                             for e in self.calendar]}


__all__ = ["SeriesSource"]
