"""The context of one run of the event stages: rule parameters, port sites, wanted types."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.ids import canonical_json
from harborwatch.events.params import EVENT_TYPES, EventsConfig
from harborwatch.events.rows import coded
from harborwatch.sites.catalogue import PORT_KINDS, SiteCatalogue, SiteIndex


class Context:
    """What every stage needs besides the data: rule parameters, port sites, wanted types."""

    def __init__(self, cfg: EventsConfig, sites: SiteCatalogue, types: Iterable[str] | None = None) -> None:
        self.cfg = cfg
        self.types = frozenset(types or EVENT_TYPES)
        ports = sites.filter_kinds(PORT_KINDS)
        reach = max(cfg.port_visits.exit_distance_m, cfg.encounters.min_port_distance_m,
                    cfg.loitering.min_port_distance_m) + 1000.0
        self.ports: SiteIndex = ports.index(max_query_m=reach)
        #: site id and name of each port row of :attr:`ports`, dictionaries of :func:`coded` columns
        self.port_id_array = pa.array(ports.ids(), pa.string())
        self.port_name_array = ports.table["name"].combine_chunks().cast(pa.string())
        self._params: dict[str, str] = {}

    def parameters_json(self, event_type: str) -> str:
        """:func:`canonical_json` of every rule parameter an event of this type depends on."""
        text = self._params.get(event_type)
        if text is None:
            text = self._params[event_type] = canonical_json(self.cfg.parameters_for(event_type))
        return text

    def parameters(self, types: pa.Array | pa.ChunkedArray) -> pa.Array:
        """:meth:`parameters_json` of each row's event type."""
        kinds = pc.unique(types)
        texts = pa.array([self.parameters_json(k) for k in kinds.to_pylist()], pa.string())
        return texts.take(pc.index_in(types, kinds))

    def site_ids(self, rows) -> pa.DictionaryArray:
        """Site ids of port rows of :attr:`ports` (-1: null), as a coded column."""
        return coded(rows, self.port_id_array)

    def site_names(self, rows) -> pa.DictionaryArray:
        """Site names of port rows of :attr:`ports` (-1: null), as a coded column."""
        return coded(rows, self.port_name_array)


__all__ = ["Context"]
