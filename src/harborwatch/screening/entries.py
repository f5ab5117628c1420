"""The watchlist table and the helpers every list reader shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from harborwatch.core.errors import DataError
from harborwatch.core.identifiers import imo_is_valid

#: One row per list entry. Names and flags upper-case as published; lists are empty, not null.
WATCHLIST = pa.schema([
    pa.field("list", pa.string(), False),  # e.g. OFAC SDN, GUR, OpenSanctions:<dataset>
    pa.field("program", pa.string()),  # sanctions programme(s), "; "-joined
    pa.field("entity_id", pa.string(), False),  # the list's own id, or list:IMO
    pa.field("name", pa.string()),
    pa.field("former_names", pa.list_(pa.string()), False),
    pa.field("imo", pa.uint32()),
    pa.field("imo_valid", pa.bool_()),
    pa.field("mmsis", pa.list_(pa.uint32()), False),  # current first, then legacy
    pa.field("callsign", pa.string()),
    pa.field("flags", pa.list_(pa.string()), False),  # current first, then past
    pa.field("vessel_type", pa.string()),
    pa.field("listed_on", pa.string()),  # ISO date where the list gives one
    pa.field("source_file", pa.string(), False),
    pa.field("source_record", pa.string(), False),  # line (JSONL/CSV) or JSON path
])


@dataclass
class ListReport:
    file: str
    format: str
    records_in: int = 0
    entries: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, strict: bool, ref: str) -> None:
        if strict:
            raise DataError(f"cannot read list entry ({reason})", source=self.file, ref=None, reason=reason,
                            hint=f"record {ref}")
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def parse_imo(x) -> tuple[int | None, bool | None]:
    if x is None or x == "":
        return None, None
    s = str(x).strip().upper().removeprefix("IMO").strip()
    if not s.isdigit():
        return None, None
    v = int(s)
    if v <= 0 or v >= 10_000_000:
        return None, None
    return v, bool(imo_is_valid(np.array([v], np.int64))[0])


def _mmsi(x) -> int | None:
    s = str(x or "").strip()
    if s.endswith(".0"):
        s = s[:-2]
    return int(s) if s.isdigit() and 100_000_000 <= int(s) <= 999_999_999 else None


def _up(x) -> str | None:
    s = " ".join(str(x).split()).upper() if x not in (None, "") else ""
    return s or None


def row(lst: str, eid: str, src: str, ref: str, *, name=None, former=(), imo=None, mmsis=(), callsign=None,
         flags=(), vessel_type=None, program=None, listed_on=None) -> dict:
    imo_v, ok = parse_imo(imo)
    return {"list": lst, "program": program, "entity_id": eid, "name": _up(name),
            "former_names": [n for n in (_up(x) for x in former) if n],
            "imo": imo_v, "imo_valid": ok, "mmsis": [m for m in (_mmsi(x) for x in mmsis) if m is not None],
            "callsign": _up(callsign), "flags": [f for f in (_up(x) for x in flags) if f],
            "vessel_type": vessel_type, "listed_on": listed_on, "source_file": src, "source_record": ref}


def local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def xml_elements(path, src: str, tags):
    """Stream the elements of an XML file whose tag (without namespace) is in ``tags``, as
    ``(tag, element)``; each is cleared once the caller moves on, so memory stays flat on
    100 MB lists. Invalid XML raises :class:`DataError` with the file and line."""
    import xml.etree.ElementTree as ET

    try:
        for _, el in ET.iterparse(path, events=("end",)):
            tag = local(el.tag)
            if tag in tags:
                yield tag, el
                el.clear()
    except ET.ParseError as err:
        raise DataError(f"invalid XML: {err}", source=src, ref=err.position[0], reason="bad_xml") from err


__all__ = ["WATCHLIST", "ListReport", "local", "parse_imo", "row", "xml_elements"]
