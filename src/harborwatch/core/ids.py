"""The one content-id recipe, and the deterministic JSON it hashes.

Every id harborwatch derives from content (events, watchlist hits at a site, dark radar
detections, radar detections, ground-truth events) is :func:`content_id` of the parts that make
the thing what it is: their ``str()`` joined by ``|`` (``None`` as ``None``, times as epoch
milliseconds, parameter objects as :func:`canonical_json`), hashed with SHA-256 and cut to a
fixed number of hex digits. The same parts always give the same id, on any engine or machine,
so a rerun finds the rows it already stored and a reader can recompute an id from what it
describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

#: Separator of the parts of a content key.
SEPARATOR = "|"
#: Hex digits of an event id (128 bits).
EVENT_ID_DIGITS = 32


def plain(v: Any) -> Any:
    """``v`` as plain JSON values: floats rounded to 6 decimals (NaN as None), NumPy scalars as
    Python numbers, tuples as lists, dict and list members likewise."""
    if isinstance(v, float):
        return None if v != v else round(v, 6)
    if isinstance(v, bool | int | str) or v is None:
        return v
    if isinstance(v, np.floating):
        return plain(float(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    return v


#: JSON text of plain values: sorted keys, no spaces.
encode_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def canonical_json(d: dict) -> str:
    """Deterministic JSON (sorted keys; floats rounded to 6 decimals, NaN as null, NumPy
    scalars as Python numbers, so every engine prints the same text)."""
    return encode_json({k: plain(v) for k, v in d.items()})


def content_key(*parts: Any) -> str:
    """The text a content id hashes: each part's ``str()`` joined by :data:`SEPARATOR`."""
    return SEPARATOR.join(str(p) for p in parts)


def digest(key: str | bytes, digits: int = EVENT_ID_DIGITS) -> str:
    """The first ``digits`` hex digits of SHA-256 of a content key."""
    b = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(b).hexdigest()[:digits]


def content_id(*parts: Any, digits: int = EVENT_ID_DIGITS) -> str:
    """The id of the thing these parts describe: :func:`digest` of :func:`content_key`."""
    return digest(content_key(*parts), digits)


def digests(keys: Iterable[bytes], digits: int = EVENT_ID_DIGITS) -> list[str]:
    """:func:`digest` of many keys already joined (a column built with the same separator)."""
    sha = hashlib.sha256
    return [sha(k).hexdigest()[:digits] for k in keys]


__all__ = ["EVENT_ID_DIGITS", "SEPARATOR", "canonical_json", "content_id", "content_key", "digest", "digests",
           "encode_json", "plain"]
