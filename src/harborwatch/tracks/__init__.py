"""Track types and track kernels: one vessel's time-sorted positions, cleaned and segmented."""

from harborwatch.tracks.algorithms import Clean, Resample, Segment, prepare
from harborwatch.tracks.track import Track, TrackCollection

__all__ = ["Clean", "Resample", "Segment", "Track", "TrackCollection", "prepare"]
