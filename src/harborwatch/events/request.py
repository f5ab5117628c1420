"""What to detect (:class:`Request`) and reading its inputs from a store: shared by both engines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from harborwatch.core.errors import HarborwatchError
from harborwatch.core.ids import canonical_json
from harborwatch.events.context import Context
from harborwatch.events.params import EVENT_TYPES, EventsConfig
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store.store import Store


@dataclass
class Request:
    """What to detect: rules, sites, event types and a time window (UTC, end exclusive)."""

    cfg: EventsConfig
    sites: SiteCatalogue
    types: Sequence[str] = EVENT_TYPES
    since: datetime | None = None
    until: datetime | None = None

    def context(self) -> Context:
        bad = [t for t in self.types if t not in EVENT_TYPES]
        if bad:
            raise HarborwatchError(f"unknown event type {bad[0]!r}; expected some of {', '.join(EVENT_TYPES)}")
        return Context(self.cfg, self.sites, self.types)


def read_inputs(store: Store, req: Request, mmsi_range: tuple[int, int] | None = None,
                columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
                ordered: bool = True) -> tuple[pa.Table, pa.Table]:
    """Positions in the window, and static reports of those vessels (from a draught window
    earlier), ordered by (mmsi, timestamp, record_hash) unless not ``ordered`` (then in no set
    order: DuckDB's sort takes its whole memory cap for a few million rows, while the engine's
    threads sort their own partitions). ``mmsi_range`` (lo, hi]: only those vessels;
    ``columns``: only these position and static columns."""
    pos_where: list[str] = []
    st_where: list[str] = []
    pos_params: list = []
    st_params: list = []
    if req.since is not None:
        pos_where.append("timestamp >= ?")
        pos_params.append(req.since)
        st_where.append("timestamp >= ?")
        st_params.append(req.since - timedelta(hours=req.cfg.port_visits.draught_window_h))
    if req.until is not None:
        for w, p in ((pos_where, pos_params), (st_where, st_params)):
            w.append("timestamp < ?")
            p.append(req.until)
    if mmsi_range is not None:
        for w, p in ((pos_where, pos_params), (st_where, st_params)):
            w.append("mmsi > ? AND mmsi <= ?")
            p += list(mmsi_range)
    pos_cols, st_cols = ("*", "*") if columns is None else (", ".join(columns[0]), ", ".join(columns[1]))
    order = "ORDER BY mmsi, timestamp, record_hash" if ordered else ""

    def clause(w: list[str]) -> str:
        return ("WHERE " + " AND ".join(w)) if w else ""

    positions = store.sql(f"SELECT {pos_cols} FROM positions {clause(pos_where)} {order}", pos_params)
    static = store.sql(f"SELECT {st_cols} FROM static {clause(st_where)} {order}", st_params)
    return positions, static


def window_clause(req: Request) -> tuple[str, list]:
    """``WHERE`` over positions' timestamps for the request's window (empty when unbounded)."""
    where, params = [], []
    if req.since is not None:
        where.append("timestamp >= ?")
        params.append(req.since)
    if req.until is not None:
        where.append("timestamp < ?")
        params.append(req.until)
    return ("WHERE " + " AND ".join(where)) if where else "", params


def count_positions(store: Store, req: Request) -> int:
    """Positions in the request's window."""
    clause, params = window_clause(req)
    return int(store.sql(f"SELECT count(*) AS n FROM positions {clause}", params)["n"][0].as_py())


def remember(store: Store, req: Request) -> None:
    """Record a run's rules and sites in the store's ``meta`` table, for evidence bundles."""
    store.set_meta("events_config", canonical_json(req.cfg.to_dict()))
    store.set_meta("events_sites", json.dumps(req.sites.to_geojson(), separators=(",", ":")))


def recalled_sites(store: Store) -> SiteCatalogue | None:
    """The sites of the store's last events run (:func:`remember`), if recorded."""
    text = store.meta("events_sites")
    return SiteCatalogue.from_geojson_text(text, f"{store.path} (meta events_sites)") if text else None


__all__ = ["Request", "count_positions", "read_inputs", "recalled_sites", "remember", "window_clause"]
