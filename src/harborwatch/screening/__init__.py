"""Sanctions and watchlist screening: list readers and explainable matching."""

from harborwatch.screening.lists import WATCHLIST, read_lists
from harborwatch.screening.match import HITS, Screen, Seen, screen, seen_from_store

__all__ = ["HITS", "WATCHLIST", "Screen", "Seen", "read_lists", "screen", "seen_from_store"]
