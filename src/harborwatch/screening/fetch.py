"""Download current public watchlists (when online) into a folder ``screen --lists`` reads.

Each download streams to a temporary file and is renamed into place when complete, so an
interrupted fetch never leaves half a list; ``manifest.json`` records, per file, the URL, size,
SHA-256 and time, which the report's provenance can cite. Any URL can be overridden (also with
``file://`` URLs, which is how the tests exercise this code offline).

The EU and UK lists move their download addresses; their default URLs are the publishers'
documented ones at the time of writing, and ``--url eu=...`` replaces them. Every file fetched
here is a layout :func:`harborwatch.screening.lists.read_lists` reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from harborwatch import __version__
from harborwatch.core.errors import InputFileError

#: name -> (default URL, file name)
SOURCES: dict[str, tuple[str, str]] = {
    "opensanctions": ("https://data.opensanctions.org/datasets/latest/sanctions/entities.ftm.json",
                      "opensanctions_sanctions.ftm.json"),
    "ofac": ("https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML", "ofac_sdn.xml"),
    "ofac_advanced": ("https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML",
                      "ofac_sdn_advanced.xml"),
    "un": ("https://scsanctions.un.org/resources/xml/en/consolidated.xml", "un_consolidated.xml"),
    "eu": ("https://webgate.ec.europa.eu/fsd/fsf/public/files/csvFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
           "eu_sanctions.csv"),
    # the FCDO's UK Sanctions List (OFSI's consolidated list closed in January 2026)
    "uk": ("https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv", "uk_sanctions_list.csv"),
}


def fetch(out_dir: Path, names: list[str] | None = None, urls: dict[str, str] | None = None,
          timeout_s: float = 60.0, progress=None) -> dict[str, dict]:
    """Download the named lists (default: all) into ``out_dir``; returns the manifest entries."""
    names = names or list(SOURCES)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise InputFileError(f"unknown list {unknown[0]!r}", hint="one of " + ", ".join(SOURCES))
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    got = {}
    for n in names:
        url = (urls or {}).get(n) or SOURCES[n][0]
        dest = out_dir / SOURCES[n][1]
        h = hashlib.sha256()
        size = 0
        req = urllib.request.Request(url, headers={"User-Agent": f"harborwatch/{__version__}"})
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{n}-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f, urllib.request.urlopen(req, timeout=timeout_s) as r:
                while chunk := r.read(1 << 20):
                    f.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    if progress:
                        progress(n, size)
            os.replace(tmp, dest)
        except (urllib.error.URLError, OSError, ValueError) as e:
            Path(tmp).unlink(missing_ok=True)
            raise InputFileError(f"could not fetch {n} from {url}: {e}",
                                 hint="check the network, or pass --url NAME=URL (file:// works)") from e
        entry = {"url": url, "file": dest.name, "bytes": size, "sha256": h.hexdigest(),
                 "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}
        manifest[n] = entry
        got[n] = entry
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return got


__all__ = ["SOURCES", "fetch"]
