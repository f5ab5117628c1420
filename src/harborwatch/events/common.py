"""What every event stage shares: the context, event row buffers, deterministic JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from harborwatch.events.params import EVENT_TYPES, EventsConfig
from harborwatch.events.schema import RAW
from harborwatch.sites.catalogue import PORT_KINDS, SiteCatalogue, SiteIndex

H = 3_600_000  # ms per hour
DAY = 86_400_000


class Context:
    """What every stage needs besides the data: rule parameters, port sites, wanted types."""

    def __init__(self, cfg: EventsConfig, sites: SiteCatalogue, types: Iterable[str] | None = None) -> None:
        self.cfg = cfg
        self.types = frozenset(types or EVENT_TYPES)
        ports = sites.filter_kinds(PORT_KINDS)
        reach = max(cfg.port_visits.exit_distance_m, cfg.encounters.min_port_distance_m,
                    cfg.loitering.min_port_distance_m) + 1000.0
        self.ports: SiteIndex = ports.index(max_query_m=reach)
        self.port_ids = ports.ids()
        self.port_names = ports.table["name"].to_pylist()


def _plain(v: Any) -> Any:
    if isinstance(v, float):
        return None if v != v else round(v, 6)
    if isinstance(v, bool | int | str) or v is None:
        return v
    if isinstance(v, np.floating):
        return _plain(float(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def canonical_json(d: dict) -> str:
    """Deterministic JSON (sorted keys; floats rounded to 6 decimals, NaN as null, NumPy
    scalars as Python numbers, so every engine prints the same text)."""
    return _ENCODE({k: _plain(v) for k, v in d.items()})


class EventRows:
    """Column buffers for RAW rows."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {f.name: [] for f in RAW if f.name != "evidence"}
        self._evidence: list[np.ndarray] = []

    def add(self, type: str, mmsi: int, start: int, end: int, lat: float | None, lon: float | None,
            evidence: Any, attributes: dict, mmsi_2: int | None = None, site_id: str | None = None,
            confidence: int | None = None) -> None:
        c = self.cols
        c["type"].append(type)
        c["mmsi"].append(int(mmsi))
        c["mmsi_2"].append(None if mmsi_2 is None else int(mmsi_2))
        c["start"].append(int(start))
        c["end"].append(int(end))
        c["lat"].append(None if lat is None or math.isnan(lat) else float(lat))
        c["lon"].append(None if lon is None or math.isnan(lon) else float(lon))
        c["site_id"].append(site_id)
        c["confidence"].append(confidence)
        c["attributes"].append(canonical_json(attributes))
        self._evidence.append(np.asarray(evidence, dtype=np.uint64).reshape(-1))

    def table(self) -> pa.Table:
        ev = self._evidence
        offsets = np.zeros(len(ev) + 1, np.int32)
        np.cumsum([len(e) for e in ev], out=offsets[1:])
        values = np.concatenate(ev) if ev else np.zeros(0, np.uint64)
        cols = dict(self.cols)
        cols["evidence"] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint64()))
        return pa.table({f.name: cols[f.name] for f in RAW}, schema=RAW)


def empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()
