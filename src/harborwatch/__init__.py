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

import os
from importlib.metadata import PackageNotFoundError, version

# numba's parallel kernels run on OpenMP here, whose idle threads spin by default: between the
# ingest's kernel calls they burned about 0.9 of 6 CPU-seconds that the other ingest threads
# needed (2.37M CSV rows on 2 cores: 3.0-3.2 s passive, 3.4-3.7 s spinning). Set before numba
# loads its OpenMP pool (at the first parallel call); an explicit setting is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = version("harborwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
