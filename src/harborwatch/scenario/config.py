"""The parameters of the simulated scenario (:class:`Scenario`) and its sites."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pyarrow as pa

from harborwatch.scenario.story import Sites
from harborwatch.sites.catalogue import SCHEMA, SiteCatalogue

#: The scenario's one port outside the default catalogue (hand-entered from public maps).
BUSAN_SITE = {"site_id": "kr-busan", "name": "Busan (scenario)", "kind": "port", "radius_m": 3000.0,
              "country": "KR", "unlocode": "KRPUS", "source": "hand-entered from public maps for the simulated "
              "scenario's long-haul leg; about 1 km", "lat": 35.08, "lon": 129.06}
#: Version of what a scenario folder holds (part of the demo's cache key).
OUTPUT_FORMAT = 5


@dataclass(frozen=True)
class Scenario:
    """Parameters of the simulated Rason 2023 scenario (deterministic for a seed)."""

    seed: int = 2023
    start: str = "2023-01-01"
    days: int = 365
    vessels: int = 24
    feed_interval_s: int = 360
    static_interval_h: float = 2.0
    range_m: float = 74_000.0  # 40 nautical miles
    message_loss: float = 0.15
    satellite_gap_h: tuple[float, float] = (0.5, 2.5)
    satellite_pass_min: float = 10.0
    satellite_p: float = 0.3
    duplicate_rate: float = 0.01
    corrupt_rate: float = 0.0005
    overpass_days: tuple[int, int] = (6, 12)

    def key(self) -> str:
        """Content hash of the parameters and the output format: the cache key of a written scenario."""
        return hashlib.sha256(json.dumps({**asdict(self), "format": OUTPUT_FORMAT}, sort_keys=True)
                              .encode()).hexdigest()[:12]

    @property
    def t_start(self) -> int:
        return int(datetime.fromisoformat(self.start).replace(tzinfo=UTC).timestamp())

    @property
    def t_end(self) -> int:
        return self.t_start + self.days * 86_400


def default_sites() -> Sites:
    """The scenario's sites (:func:`scenario_sites`) as positions, radii and kinds."""
    t = scenario_sites().table
    ids = t["site_id"].to_pylist()
    return Sites(dict(zip(ids, zip(t["lat"].to_pylist(), t["lon"].to_pylist(), strict=True), strict=True)),
                 dict(zip(ids, (float(r or 0.0) for r in t["radius_m"].to_pylist()), strict=True)),
                 dict(zip(ids, t["kind"].to_pylist(), strict=True)))


def scenario_sites():
    """The site catalogue of the scenario: the default catalogue plus its Busan."""
    cat = SiteCatalogue.default()
    extra = pa.Table.from_pylist([{k: BUSAN_SITE.get(k) for k in SCHEMA.names}], schema=SCHEMA)
    return SiteCatalogue(pa.concat_tables([cat.table.cast(SCHEMA), extra]), origin="scenario")


__all__ = ["BUSAN_SITE", "OUTPUT_FORMAT", "Scenario", "default_sites", "scenario_sites"]
