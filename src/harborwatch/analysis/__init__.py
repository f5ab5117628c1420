"""Analysis of event series: the event calendar (dated events with sources, as data), weekly
series and periods between calendar dates. The estimates layer (activity, cargo, rail) grows
here, above events, fusion and screening."""

from harborwatch.analysis.calendar import RASON_2023, CalendarEntry, load_calendar
from harborwatch.analysis.periods import RASON_PERIODS, Period, calls_per_period, per_period, truth_calls_per_period

__all__ = ["RASON_2023", "RASON_PERIODS", "CalendarEntry", "Period", "calls_per_period", "load_calendar",
           "per_period", "truth_calls_per_period"]
