"""Estimates from events: activity per site and week (today: calls seen on AIS, with Poisson
intervals); cargo, rail and dark calls will grow here (see README, "What is not done yet")."""

from harborwatch.estimates.activity import ACTIVITY, Activity, period_calls, weekly_calls

__all__ = ["ACTIVITY", "Activity", "period_calls", "weekly_calls"]
