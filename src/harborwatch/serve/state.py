"""What one running server holds: the read-only store (a DuckDB cursor per worker thread), the
chip index, the estimates, the reviews, the tokens, the basemap and the bundles built so far."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from harborwatch.analysis.calendar import CalendarEntry, load_calendar
from harborwatch.core.errors import NotFoundError
from harborwatch.events.request import recalled_sites
from harborwatch.geo.basemap import land_polygons
from harborwatch.serve.queries import chip_index, info
from harborwatch.serve.reviews import ReviewLog, Tokens
from harborwatch.serve.series import SeriesSource
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store import Store

#: the world's land at this stride of mask cells (about 0.2 degrees), drawn below zoom 6
WORLD_STEP = 24
#: the land around the events at full resolution (30 arc-seconds, about 0.9 km), within this many degrees of them
REGION_STEP = 1
REGION_PAD_DEG = 3.0
REGION_MAX_DEG = 40.0


@dataclass(frozen=True)
class ServeOptions:
    """How ``harborwatch serve`` was started. ``estimates`` None: ``<store>/../estimates`` when it
    exists; ``reviews`` None: ``<store>/reviews.sqlite``; ``token_file`` None: reviews read-only;
    ``bundles``: where bundles made on demand go (a temporary folder by default)."""

    store: Path
    estimates: Path | None = None
    reviews: Path | None = None
    token_file: Path | None = None
    calendar: Path | None = None
    bundles: Path | None = None
    report: Path | None = None

    def folders(self) -> dict[str, Path]:
        """The folders served as they are: ``/report`` (``report`` or ``report/`` beside the store,
        as ``demo`` writes it) and ``/bundles`` (the figure and claim bundles beside it)."""
        out = {"report": self.report or self.store.parent / "report", "bundles": self.store.parent / "bundles"}
        return {k: v for k, v in out.items() if v.is_dir()}


@dataclass
class ServerState:
    opts: ServeOptions
    root: Store
    sites: SiteCatalogue
    series: SeriesSource
    reviews: ReviewLog
    tokens: Tokens | None
    chips: dict[str, str]
    bundle_dir: Path
    bundle_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _basemap: dict | None = None

    @classmethod
    def open(cls, opts: ServeOptions) -> ServerState:
        root = Store.open(opts.store, create=False, read_only=True)
        if "events" not in root.tables():
            root.close()
            raise NotFoundError(f"{opts.store}: no events in the store",
                                hint="run harborwatch events --store DIR first (or harborwatch demo)")
        estimates = opts.estimates or opts.store.parent / "estimates"
        calendar: tuple[CalendarEntry, ...] = load_calendar(opts.calendar)
        bundle_dir = opts.bundles or Path(tempfile.mkdtemp(prefix="harborwatch-bundles-"))
        bundle_dir.mkdir(parents=True, exist_ok=True)
        return cls(opts=opts, root=root, sites=recalled_sites(root) or SiteCatalogue.default(),
                   series=SeriesSource(estimates if estimates.is_dir() else None, calendar),
                   reviews=ReviewLog(opts.reviews or opts.store / "reviews.sqlite"),
                   tokens=Tokens.read(opts.token_file) if opts.token_file else None,
                   chips=chip_index(root), bundle_dir=bundle_dir)

    def store(self) -> Store:
        """This thread's view of the store (DuckDB connections are not shared between threads)."""
        s = getattr(self._local, "store", None)
        if s is None:
            s = Store(self.root.path, self.root.con.cursor())
            self._local.store = s
        return s

    def basemap(self) -> dict:
        """Land polygons: the world at :data:`WORLD_STEP` (``detail`` = world) and the events'
        region at :data:`REGION_STEP` (``detail`` = region), computed once."""
        if self._basemap is None:
            feats = [{"type": "Feature", "geometry": g, "properties": {"detail": "world"}}
                     for g in land_polygons(-90, 90, -180, 180, WORLD_STEP, digits=3)]
            box = info(self.store())["bbox"]
            if box is not None:
                w, s, e, n = box
                cx, cy = (w + e) / 2, (s + n) / 2
                half_x = min((e - w) / 2 + REGION_PAD_DEG, REGION_MAX_DEG / 2)
                half_y = min((n - s) / 2 + REGION_PAD_DEG, REGION_MAX_DEG / 2)
                feats += [{"type": "Feature", "geometry": g, "properties": {"detail": "region"}}
                          for g in land_polygons(max(cy - half_y, -90), min(cy + half_y, 90), max(cx - half_x, -180),
                                                 min(cx + half_x, 180), REGION_STEP)]
            self._basemap = {"type": "FeatureCollection", "features": feats,
                             "attribution": "land: GLOBE 1 km land mask (PyPI global-land-mask)"}
        return self._basemap

    def close(self) -> None:
        self.reviews.close()
        self.root.close()


__all__ = ["ServeOptions", "ServerState"]
