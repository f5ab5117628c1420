"""harborwatch: evidence about what moves through ports and border crossings.

AIS vessel tracking and satellite imagery become port calls, dark calls, ship-to-ship
transfers and sanctioned-vessel hits, each traceable to the records it came from.

Layers (data flows one way; a lower layer never imports a higher one)::

    core -> ingest -> store -> tracks -> events -> fusion/screening/estimates -> reports/serve -> cli

Quick start::

    from harborwatch.store import Store
    with Store.open("hw-store") as store:
        store.ingest(["positions.nmea.gz"])
        df = store.sql("SELECT mmsi, count(*) FROM positions GROUP BY mmsi").to_pandas()
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("harborwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
