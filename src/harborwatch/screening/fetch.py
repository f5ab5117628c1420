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
#: The watchlist layout each source's file must be in (``lists.detect_format``).
KINDS: dict[str, str] = {"opensanctions": "opensanctions", "ofac": "ofac_sdn_xml",
                         "ofac_advanced": "ofac_advanced_xml", "un": "un_xml", "eu": "eu_csv", "uk": "uk_csv"}
#: Downloads larger than this are stopped (``--max-bytes``): the largest list (OpenSanctions'
#: sanctions entities) is well under it.
MAX_BYTES = 4 << 30


def _check_kind(n: str, tmp: Path, url: str) -> None:
    """The fetched file is the kind of list the source names, else an error (an HTML error page,
    a login form or another list is not kept)."""
    from harborwatch.core.errors import FormatError
    from harborwatch.screening.lists import detect_format

    with open(tmp, "rb") as fh:
        head = fh.read(8192).decode("utf-8-sig", errors="replace")
    try:
        got = detect_format(tmp, head)
    except FormatError:
        got = None
    if got != KINDS[n]:
        first = head.lstrip().split("\n", 1)[0][:80]
        raise InputFileError(f"{url} is not a {n} list (it reads {first!r}); nothing was kept",
                             hint=f"check the address, or pass --url {n}=URL of the {KINDS[n]} file")


def fetch(out_dir: Path, names: list[str] | None = None, urls: dict[str, str] | None = None,
          timeout_s: float = 60.0, progress=None, max_bytes: int = MAX_BYTES) -> dict[str, dict]:
    """Download the named lists (default: all) into ``out_dir``; returns the manifest entries.
    Each file is checked to be the kind of list its source names and may be at most
    ``max_bytes``; a file that fails either is not kept."""
    names = names or list(SOURCES)
    unknown = [n for n in [*names, *(urls or {})] if n not in SOURCES]
    if unknown:
        raise InputFileError(f"unknown list {unknown[0]!r}", hint="one of " + ", ".join(SOURCES))
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(f"{out_dir} is a file; --out names the folder the lists go into",
                             hint="pass a folder (it is created when missing)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputFileError(f"{out_dir}: cannot create the folder ({e.strerror})") from e
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
                    size += len(chunk)
                    if size > max_bytes:
                        raise _TooBig(size)
                    f.write(chunk)
                    h.update(chunk)
                    if progress:
                        progress(n, size)
            _check_kind(n, Path(tmp), url)
            os.replace(tmp, dest)
        except _TooBig:
            Path(tmp).unlink(missing_ok=True)
            raise InputFileError(f"{url}: stopped after {max_bytes:,} bytes, the most a {n} list may have; "
                                 "nothing was kept", hint="pass --max-bytes N if the list has really grown") from None
        except InputFileError:
            Path(tmp).unlink(missing_ok=True)
            raise
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


class _TooBig(Exception):
    """A download passed the size cap (internal: turned into an InputFileError)."""


__all__ = ["KINDS", "MAX_BYTES", "SOURCES", "fetch"]
