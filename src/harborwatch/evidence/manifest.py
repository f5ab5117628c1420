"""The bundle's manifest: what it holds, with the SHA-256 of every member, and how it was made.

``manifest.json`` lists every other member with its SHA-256 (``members``), the input files the
records were quoted from with the SHA-256 recorded when they were ingested (``inputs``), the
parameters, the software versions, the store's id and the creation time. It cannot hash itself:
a signature over it (``manifest.json.sig``, made with ``ssh-keygen -Y sign``) covers it, and
through it every member.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from harborwatch import __version__
from harborwatch.core.errors import HarborwatchError

#: The bundle format this version writes and reads.
FORMAT = "harborwatch-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
#: Members that are not listed in the manifest's ``members``.
UNLISTED = (MANIFEST, SIGNATURE)
_PACKAGES = ("numpy", "pyarrow", "duckdb", "numba", "pyais", "shapely", "scipy", "matplotlib")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def software() -> dict[str, str]:
    """Versions of harborwatch, Python and the libraries its results depend on."""
    out = {"harborwatch": __version__, "python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


class BundleWriter:
    """Collects members in memory, then writes the zip with its manifest (members in name order,
    fixed timestamps, so the same content gives the same member bytes)."""

    def __init__(self) -> None:
        self.members: dict[str, bytes] = {}

    def add(self, name: str, data: bytes | str) -> None:
        if name in self.members or name in UNLISTED:
            raise HarborwatchError(f"bundle member {name!r} written twice")
        self.members[name] = data.encode("utf-8") if isinstance(data, str) else data

    def manifest(self, **fields: object) -> dict:
        doc = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "software": software(), **fields}
        doc["members"] = {n: sha256(b) for n, b in sorted(self.members.items())}
        return doc

    def write(self, path: str | Path, manifest: dict, signature: bytes | None = None) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".partial")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(_info(MANIFEST), json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            if signature is not None:
                z.writestr(_info(SIGNATURE), signature)
            for name in sorted(self.members):
                z.writestr(_info(name), self.members[name])
        tmp.replace(p)
        return p


def _info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o644 << 16
    return zi


def manifest_bytes(manifest: dict) -> bytes:
    """The exact bytes :class:`BundleWriter` stores as ``manifest.json`` (what a signature signs)."""
    return (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")


__all__ = ["FORMAT", "MANIFEST", "SIGNATURE", "UNLISTED", "BundleWriter", "manifest_bytes", "sha256", "software"]
