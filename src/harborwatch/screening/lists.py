"""Watchlist readers: every supported list becomes one :data:`WATCHLIST` table.

Supported (detected from the content, not the file name):

* ``opensanctions`` - FollowTheMoney entities as JSON lines (schema ``Vessel``: name,
  imoNumber, mmsi, callSign, flag, pastFlags, pastNames, type, program / topics, datasets);
* ``ofac_vessels`` - vessels parsed from OFAC ``sdn.xml`` as JSON (``{"vessels": [{imo, name,
  programs, vessel_info: {call_sign, flag, vessel_type}}]}``);
* ``shadow_fleet`` - merged shadow-fleet JSON (``{"vessels": [{imo, name, flag, vessel_type,
  sanctions_sources}]}``);
* ``gur`` - Ukraine's GUR "War & Sanctions" vessel CSV (name, imo, mmsi_current, mmsi_legacy,
  flag, callsign, former_names separated by " / ");
* ``imo_flags`` - a CSV of IMO numbers with one boolean column per list (imo, ofac, uk, eu);
* ``ofac_sdn_xml`` - OFAC's ``sdn.xml`` (``sdnEntry`` with ``sdnType`` Vessel; IMO and MMSI from
  ``idList``, ``vesselInfo``, ``akaList``).

Not yet: the UN consolidated XML (its entries are companies; the UN's vessel designations are
not in it), OFAC ``sdn_advanced.xml`` and CSV, and the EU and UK layouts.

Bad rows never vanish: a row that cannot be read is counted in the reader's report with its
line and reason; ``strict`` raises instead.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from harborwatch.core.errors import DataError, FormatError, InputFileError
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


def _imo(x) -> tuple[int | None, bool | None]:
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


def _row(lst: str, eid: str, src: str, ref: str, *, name=None, former=(), imo=None, mmsis=(), callsign=None,
         flags=(), vessel_type=None, program=None, listed_on=None) -> dict:
    imo_v, ok = _imo(imo)
    return {"list": lst, "program": program, "entity_id": eid, "name": _up(name),
            "former_names": [n for n in (_up(x) for x in former) if n],
            "imo": imo_v, "imo_valid": ok, "mmsis": [m for m in (_mmsi(x) for x in mmsis) if m is not None],
            "callsign": _up(callsign), "flags": [f for f in (_up(x) for x in flags) if f],
            "vessel_type": vessel_type, "listed_on": listed_on, "source_file": src, "source_record": ref}


def _opensanctions(text: str, src: str, rep: ListReport, strict: bool) -> list[dict]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        rep.records_in += 1
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            rep.skip("bad_json", strict, f"line {n}")
            continue
        if e.get("schema") != "Vessel":
            rep.skip("not_a_vessel", False, f"line {n}")
            continue
        p = e.get("properties", {})
        names = p.get("name", [])
        progs = p.get("programId", []) or p.get("program", []) or p.get("topics", [])
        for ds in (e.get("datasets") or ["opensanctions"]):
            out.append(_row(f"OpenSanctions:{ds}", str(e.get("id")), src, f"line {n}",
                            name=names[0] if names else None, former=names[1:] + p.get("pastNames", []),
                            imo=(p.get("imoNumber") or [None])[0], mmsis=p.get("mmsi", []),
                            callsign=(p.get("callSign") or [None])[0],
                            flags=p.get("flag", []) + p.get("pastFlags", []), vessel_type=(p.get("type") or [None])[0],
                            program="; ".join(progs) or None,
                            listed_on=(e.get("first_seen") or "")[:10] or None))
    return out


def _json_vessels(doc: dict, src: str, rep: ListReport, strict: bool, entry) -> list[dict]:
    """Rows from ``doc["vessels"]``; ``entry(vessel, ref)`` maps one vessel to a row."""
    out = []
    for k, v in enumerate(doc.get("vessels", [])):
        rep.records_in += 1
        if not v.get("name") and not v.get("imo"):
            rep.skip("no_name_no_imo", strict, f"vessels[{k}]")
            continue
        out.append(entry(v, f"vessels[{k}]"))
    return out


def _ofac_entry(v: dict, ref: str, src: str) -> dict:
    info = v.get("vessel_info") or {}
    return _row(v.get("list_name") or "OFAC SDN", f"ofac:{v.get('imo') or v.get('name')}", src, ref,
                name=v.get("name"), imo=v.get("imo"), callsign=info.get("call_sign"),
                flags=[info["flag"]] if info.get("flag") else [], vessel_type=info.get("vessel_type"),
                program="; ".join(v.get("programs") or []) or None)


def _shadow_entry(v: dict, ref: str, src: str) -> dict:
    return _row("shadow fleet", f"shadow:{v.get('imo') or v.get('name')}", src, ref, name=v.get("name"),
                imo=v.get("imo"), flags=[v["flag"]] if v.get("flag") else [], vessel_type=v.get("vessel_type"),
                program="; ".join(v.get("sanctions_sources") or []) or None)


def _gur(text: str, src: str, rep: ListReport, strict: bool) -> list[dict]:
    out = []
    for n, r in enumerate(csv.DictReader(io.StringIO(text)), 2):
        rep.records_in += 1
        if not r.get("name") and not r.get("imo"):
            rep.skip("no_name_no_imo", strict, f"line {n}")
            continue
        former = [x.strip() for x in (r.get("former_names") or "").split(" / ") if x.strip()]
        legacy = [x.strip() for x in (r.get("mmsi_legacy") or "").replace(";", ",").split(",") if x.strip()]
        out.append(_row("GUR", f"gur:{r.get('gur_id') or r.get('imo')}", src, f"line {n}", name=r.get("name"),
                        former=former, imo=r.get("imo"), mmsis=[r.get("mmsi_current")] + legacy,
                        callsign=r.get("callsign"), flags=[r["flag"]] if r.get("flag") else [],
                        vessel_type=r.get("vessel_type"), program=r.get("status") or None))
    return out


def _imo_flags(text: str, src: str, rep: ListReport, strict: bool) -> list[dict]:
    out = []
    reader = csv.DictReader(io.StringIO(text))
    lists = [c for c in reader.fieldnames or [] if c != "imo"]
    for n, r in enumerate(reader, 2):
        rep.records_in += 1
        imo, _ = _imo(r.get("imo"))
        if imo is None:
            rep.skip("bad_imo", strict, f"line {n}")
            continue
        on = [c.upper() for c in lists if str(r.get(c, "")).strip().lower() in ("true", "1", "yes")]
        for lst in on:
            out.append(_row(lst, f"{lst.lower()}:{imo}", src, f"line {n}", imo=r.get("imo")))
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ofac_sdn_xml(path: Path, src: str, rep: ListReport, strict: bool) -> list[dict]:
    """OFAC ``sdn.xml``: ``sdnEntry`` elements with ``sdnType`` Vessel (others are counted as
    ``not_a_vessel``); IMO and MMSI from ``idList``, call sign, type and flag from ``vesselInfo``,
    other names from ``akaList``."""
    import xml.etree.ElementTree as ET

    out = []
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            if _local(el.tag) != "sdnEntry":
                continue
            rep.records_in += 1
            f = {_local(c.tag): c for c in el}
            uid = (f["uid"].text or "").strip() if "uid" in f else str(rep.records_in)
            ref = f"sdnEntry uid={uid}"
            if "sdnType" not in f or (f["sdnType"].text or "").strip() != "Vessel":
                rep.skip("not_a_vessel", False, ref)
                el.clear()
                continue
            name = (f["lastName"].text or "").strip() if "lastName" in f else None
            if not name:
                rep.skip("no_name", strict, ref)
                el.clear()
                continue
            programs = [(p.text or "").strip() for p in f.get("programList", []) if p.text]
            akas = []
            for a in f.get("akaList", []):
                parts = {_local(c.tag): (c.text or "").strip() for c in a}
                if parts.get("lastName"):
                    akas.append(parts["lastName"])
            imo, mmsis = None, []
            for i in f.get("idList", []):
                parts = {_local(c.tag): (c.text or "").strip() for c in i}
                kind, num = parts.get("idType", ""), parts.get("idNumber", "")
                if "Vessel Registration" in kind or kind.upper().startswith("IMO"):
                    imo = num
                elif kind.upper() == "MMSI":
                    mmsis.append(num)
            info = {_local(c.tag): (c.text or "").strip() for c in f.get("vesselInfo", [])}
            out.append(_row("OFAC SDN", f"ofac:{uid}", src, ref, name=name, former=akas, imo=imo, mmsis=mmsis,
                            callsign=info.get("callSign"), flags=[info["vesselFlag"]] if info.get("vesselFlag")
                            else [], vessel_type=info.get("vesselType"), program="; ".join(programs) or None))
            el.clear()
    except ET.ParseError as e:
        raise DataError(f"invalid XML: {e}", source=src, ref=e.position[0], reason="bad_xml") from e
    return out


def detect_format(path: Path, head: str) -> str:
    h = head.lstrip()
    if h.startswith("<") and "sdnList" in head:
        return "ofac_sdn_xml"
    if h.startswith("{") and '"schema"' in head.split("\n", 1)[0]:
        return "opensanctions"
    if h.startswith("{"):
        if '"sanctions_sources"' in head or '"total_sanctions"' in head:
            return "shadow_fleet"
        if '"vessel_info"' in head or '"source_xml"' in head:
            return "ofac_vessels"
    first = h.split("\n", 1)[0].lower()
    if "former_names" in first and "imo" in first:
        return "gur"
    if first.startswith("imo,") and ("ofac" in first or "uk" in first or "eu" in first):
        return "imo_flags"
    raise FormatError(f"unknown watchlist format (first line: {first[:80]!r})", source=str(path),
                      hint="supported: OpenSanctions FtM JSON lines, OFAC sdn.xml, OFAC vessels JSON, "
                           "shadow-fleet JSON, GUR CSV, IMO-flags CSV")


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith("."))
        elif p.exists():
            out.append(p)
        else:
            raise InputFileError(f"{p}: no such file or directory")
    return out


def read_lists(paths: list[Path | str], strict: bool = False) -> tuple[pa.Table, list[ListReport]]:
    """All entries of the given list files (or directories of them) as one WATCHLIST table."""
    rows: list[dict] = []
    reports = []
    for p in _files([Path(x) for x in paths]):
        text = p.read_text(encoding="utf-8-sig", errors="replace")
        try:
            fmt = detect_format(p, text[:4096])
        except FormatError:
            if any(Path(x) == p for x in paths):  # named explicitly: say so
                raise
            reason = "xml_not_supported_yet" if text.lstrip().startswith("<") else "unknown_format"
            reports.append(ListReport(str(p), "unsupported", records_in=1, reasons={reason: 1}, skipped=1))
            continue
        rep = ListReport(str(p), fmt)
        if fmt == "opensanctions":
            got = _opensanctions(text, str(p), rep, strict)
        elif fmt in ("ofac_vessels", "shadow_fleet"):
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(f"invalid JSON: {e.msg}", source=str(p), ref=e.lineno, reason="bad_json") from e
            make = _ofac_entry if fmt == "ofac_vessels" else _shadow_entry
            got = _json_vessels(doc, str(p), rep, strict, lambda v, ref, make=make, src=str(p): make(v, ref, src))
        elif fmt == "ofac_sdn_xml":
            got = _ofac_sdn_xml(p, str(p), rep, strict)
        elif fmt == "gur":
            got = _gur(text, str(p), rep, strict)
        else:
            got = _imo_flags(text, str(p), rep, strict)
        rep.entries = len(got)
        rows += got
        reports.append(rep)
    return pa.Table.from_pylist(rows, schema=WATCHLIST), reports


__all__ = ["WATCHLIST", "ListReport", "detect_format", "read_lists"]
