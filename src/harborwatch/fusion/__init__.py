"""Fusion of radar detections with AIS: which vessels a satellite saw were not on AIS ("dark").

For each scene (time ``t``, footprint from ``Scene.info``), every vessel with an AIS position
within ``max_dt_s`` of ``t`` near the footprint gets a position at ``t`` per hull broadcasting
its MMSI (fixes one hull could not join at ``max_hull_kn`` or less belong to another; nearly
always there is one): linear interpolation between the hull's fixes either side, else its
nearest fix. The distance a detection may lie from it
grows with the time to the nearest fix: ``base_distance_m + speed * |dt|`` (the vessel's last
reported speed, at least ``min_speed_kn``, or ``unknown_speed_kn`` when none). When both
lengths are known (AIS static dimensions and the detection's minimum-area rectangle), they must
agree within ``length_tolerance`` (relative). Detections and vessels are then paired one-to-one
by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on distance / allowed
distance.

Classes: ``matched``; ``dark`` (seen, not on AIS); ``ais_only`` (on AIS, not seen), with the
reason: ``outside_swath`` (its position at ``t`` lies outside the footprint), ``on_land_mask``
(inside, but on the detector's land mask, where it could not be seen) or ``missed``.

Dark detections become ``dark_vessel`` events (``mmsi`` 0: no AIS identity; the scene, pixel
box, score, length and a PNG chip of the detection in the attributes; content-hash ids). The
scenes themselves go to the store's ``scenes`` table (time and footprint), so that estimates know
which scenes saw a site, with or without dark detections.
"""

from harborwatch.fusion.assign import counts, fuse_scene, fuse_tables
from harborwatch.fusion.files import fuse, write_chip, write_chips
from harborwatch.fusion.outputs import SCENES, dark_events, scenes_table, structure_events
from harborwatch.fusion.params import FUSED, Fusion

__all__ = ["FUSED", "SCENES", "Fusion", "counts", "dark_events", "fuse", "fuse_scene", "fuse_tables", "scenes_table",
           "structure_events", "write_chip", "write_chips"]
