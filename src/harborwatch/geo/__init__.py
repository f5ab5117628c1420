"""Geometry at the bottom of the layers, beside ``core``: great-circle distances and the land mask.

Every layer that needs positions on the Earth (tracks, radar, sites, events, fusion, the
scenario, the report) imports this package, never ``tracks``, for them.
"""
