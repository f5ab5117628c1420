"""harborwatch: evidence about what moves through ports and border crossings.

AIS vessel tracking and satellite imagery become port calls, dark calls, ship-to-ship
transfers and sanctioned-vessel hits, each traceable to the records it came from.

Layers (data flows one way; a lower layer never imports a higher one)::

    core | geo -> ingest -> store -> sar | sites | tracks -> events -> fusion | screening
        -> analysis -> scenario -> evaluation -> report -> demo -> cli

Quick start::

    from harborwatch.events import EventsConfig, Request, run
    from harborwatch.sites import SiteCatalogue
    from harborwatch.store import Store, ingest_files

    with Store.open("hw-store") as store:
        reports = list(ingest_files(store, ["positions.nmea.gz"]))  # one accounting dict per file
        events = run(store, Request(EventsConfig(), SiteCatalogue.default()))
        df = store.sql("SELECT mmsi, count(*) AS n FROM positions GROUP BY mmsi").to_pandas()
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("harborwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
