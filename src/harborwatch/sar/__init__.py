"""Radar (Sentinel-1) ship detection: scenes, land masks, CFAR, components, the learned
false-alarm filter, and scoring against labelled chips."""

from harborwatch.sar.detect import DETECTIONS, Detector, candidates, detect
from harborwatch.sar.scene import Scene, from_array, open_scene

__all__ = ["DETECTIONS", "Detector", "Scene", "candidates", "detect", "from_array", "open_scene"]
