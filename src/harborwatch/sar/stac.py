"""Finding Sentinel-1 GRD scenes over a site and a date range in STAC catalogues.

:func:`search` asks a STAC API through ``pystac-client`` (the ``sat`` extra): Microsoft Planetary
Computer (``planetary-computer``, collection ``sentinel-1-grd``) or the Copernicus Data Space
Ecosystem (``cdse``, collection ``sentinel-1-grd``), or any STAC API URL. :func:`read_items`
reads recorded items instead (a STAC ItemCollection, a list of items, or the compact
``{id, datetime, sat, orbit, bbox, collection}`` records of ``latakia_s1/config/s1_selected.json``),
so a search can be reproduced offline. Both give the same scene rows: id, UTC time,
platform, orbit direction, relative orbit, instrument mode, polarisations, bbox, collection and
asset links. Planetary Computer's asset links need signing (``planetary-computer`` package)
before download; harborwatch does not download them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from harborwatch.core.errors import FormatError, InputFileError, require

CATALOGS = {
    "planetary-computer": ("https://planetarycomputer.microsoft.com/api/stac/v1", "sentinel-1-grd"),
    "cdse": ("https://stac.dataspace.copernicus.eu/v1", "sentinel-1-grd"),
}

def _utc(s: str) -> str:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC).isoformat().replace("+00:00", "Z")


def normalise(item: dict) -> dict:
    """One scene row from a STAC item (dict) or a compact record."""
    if "properties" in item:
        p = item["properties"]
        return {"id": item["id"], "time": _utc(p.get("datetime") or p.get("start_datetime")),
                "platform": (p.get("platform") or "").upper() or None,
                "orbit": p.get("sat:orbit_state"), "relative_orbit": p.get("sat:relative_orbit"),
                "mode": p.get("sar:instrument_mode"), "polarisations": p.get("sar:polarizations") or [],
                "bbox": item.get("bbox"), "collection": item.get("collection"),
                "assets": {k: v.get("href") for k, v in (item.get("assets") or {}).items()}}
    if "id" in item and "datetime" in item:
        return {"id": item["id"], "time": _utc(item["datetime"]), "platform": (item.get("sat") or "").upper() or None,
                "orbit": item.get("orbit"), "relative_orbit": item.get("relative_orbit"), "mode": None,
                "polarisations": [], "bbox": item.get("bbox"), "collection": item.get("collection"), "assets": {}}
    raise FormatError(f"not a STAC item: keys {sorted(item)[:8]}")


def read_items(path: Path) -> list[dict]:
    """Scenes from recorded items (see the module docstring), sorted by time."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputFileError(f"{path}: cannot read STAC items ({e})") from e
    items = doc.get("features", []) if isinstance(doc, dict) else doc
    return sorted((normalise(i) for i in items), key=lambda s: (s["time"], s["id"]))


def search(bbox: tuple[float, float, float, float], start: str, end: str, catalog: str = "planetary-computer",
           mode: str | None = "IW", limit: int = 500) -> list[dict]:
    """Sentinel-1 GRD scenes intersecting ``bbox`` (west, south, east, north) between ``start``
    and ``end`` (ISO dates or times), from a named catalogue or a STAC API URL."""
    Client = require("pystac_client", "sat", "STAC search").Client
    url, collection = CATALOGS.get(catalog, (catalog, "sentinel-1-grd"))
    try:
        client = Client.open(url)
        found = client.search(collections=[collection], bbox=list(bbox), datetime=f"{start}/{end}",
                              max_items=limit)
        items = [i.to_dict() for i in found.items()]
    except Exception as e:  # network, HTTP and API errors all end here, with the URL
        raise InputFileError(f"STAC search at {url} failed: {e}",
                             hint="check the network, or use recorded items (--items FILE)") from e
    scenes = [normalise(i) for i in items]
    if mode:
        scenes = [s for s in scenes if s["mode"] in (None, mode)]
    return sorted(scenes, key=lambda s: (s["time"], s["id"]))


def covering(scenes: list[dict], lon: float, lat: float) -> list[dict]:
    """The scenes whose bbox contains the point."""
    return [s for s in scenes
            if s["bbox"] and s["bbox"][0] <= lon <= s["bbox"][2] and s["bbox"][1] <= lat <= s["bbox"][3]]


__all__ = ["CATALOGS", "covering", "normalise", "read_items", "search"]
