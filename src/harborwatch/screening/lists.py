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
  ``idList``, ``vesselInfo``, ``akaList``);
* ``ofac_advanced_xml``, ``ofac_csv`` (+ ``alt.csv``), ``un_xml``, ``eu_xml``, ``eu_csv``,
  ``uk_csv`` - the governments' own files, read by :mod:`harborwatch.screening.official`
  (which says what each of them holds about ships, and what it does not).

Bad rows never vanish: a row that cannot be read is counted in the reader's report with its
line and reason; ``strict`` raises instead.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from harborwatch.core.errors import DataError, FormatError, InputFileError
from harborwatch.screening import official
from harborwatch.screening.entries import WATCHLIST, ListReport, local, parse_imo, row, xml_elements


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
            out.append(row(f"OpenSanctions:{ds}", str(e.get("id")), src, f"line {n}",
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
    return row(v.get("list_name") or "OFAC SDN", f"ofac:{v.get('imo') or v.get('name')}", src, ref,
                name=v.get("name"), imo=v.get("imo"), callsign=info.get("call_sign"),
                flags=[info["flag"]] if info.get("flag") else [], vessel_type=info.get("vessel_type"),
                program="; ".join(v.get("programs") or []) or None)


def _shadow_entry(v: dict, ref: str, src: str) -> dict:
    return row("shadow fleet", f"shadow:{v.get('imo') or v.get('name')}", src, ref, name=v.get("name"),
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
        out.append(row("GUR", f"gur:{r.get('gur_id') or r.get('imo')}", src, f"line {n}", name=r.get("name"),
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
        imo, _ = parse_imo(r.get("imo"))
        if imo is None:
            rep.skip("bad_imo", strict, f"line {n}")
            continue
        on = [c.upper() for c in lists if str(r.get(c, "")).strip().lower() in ("true", "1", "yes")]
        for lst in on:
            out.append(row(lst, f"{lst.lower()}:{imo}", src, f"line {n}", imo=r.get("imo")))
    return out


def _ofac_sdn_xml(path: Path, src: str, rep: ListReport, strict: bool) -> list[dict]:
    """OFAC ``sdn.xml``: ``sdnEntry`` elements with ``sdnType`` Vessel (others are counted as
    ``not_a_vessel``); IMO and MMSI from ``idList``, call sign, type and flag from ``vesselInfo``,
    other names from ``akaList``."""
    out = []
    for _, el in xml_elements(path, src, ("sdnEntry",)):
        rep.records_in += 1
        f = {local(c.tag): c for c in el}
        uid = (f["uid"].text or "").strip() if "uid" in f else str(rep.records_in)
        ref = f"sdnEntry uid={uid}"
        if "sdnType" not in f or (f["sdnType"].text or "").strip() != "Vessel":
            rep.skip("not_a_vessel", False, ref)
            continue
        name = (f["lastName"].text or "").strip() if "lastName" in f else None
        if not name:
            rep.skip("no_name", strict, ref)
            continue
        programs = [(p.text or "").strip() for p in f.get("programList", []) if p.text]
        akas = []
        for a in f.get("akaList", []):
            parts = {local(c.tag): (c.text or "").strip() for c in a}
            if parts.get("lastName"):
                akas.append(parts["lastName"])
        imo, mmsis = None, []
        for i in f.get("idList", []):
            parts = {local(c.tag): (c.text or "").strip() for c in i}
            kind, num = parts.get("idType", ""), parts.get("idNumber", "")
            if "Vessel Registration" in kind or kind.upper().startswith("IMO"):
                imo = num
            elif kind.upper() == "MMSI":
                mmsis.append(num)
        info = {local(c.tag): (c.text or "").strip() for c in f.get("vesselInfo", [])}
        out.append(row("OFAC SDN", f"ofac:{uid}", src, ref, name=name, former=akas, imo=imo, mmsis=mmsis,
                       callsign=info.get("callSign"), flags=[info["vesselFlag"]] if info.get("vesselFlag") else [],
                       vessel_type=info.get("vesselType"), program="; ".join(programs) or None))
    return out


def detect_format(path: Path, head: str) -> str:
    h = head.lstrip()
    fmt = official.detect(head)
    if fmt:
        return fmt
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
                      hint="supported: OpenSanctions FtM JSON lines, OFAC sdn.xml / sdn_advanced.xml / "
                           "sdn.csv, UN consolidated XML, EU FSD XML / CSV, UK sanctions list CSV, "
                           "OFAC vessels JSON, shadow-fleet JSON, GUR CSV, IMO-flags CSV")


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith(".")
                          and x.name != "manifest.json")  # `lists fetch` writes it beside the lists
        elif p.exists():
            out.append(p)
        else:
            raise InputFileError(f"{p}: no such file or directory")
    return out


def read_lists(paths: Sequence[Path | str], strict: bool = False) -> tuple[pa.Table, list[ListReport]]:
    """All entries of the given list files (or directories of them) as one WATCHLIST table."""
    rows: list[dict] = []
    reports = []
    for p in _files([Path(x) for x in paths]):
        with p.open("rb") as fh:
            head = fh.read(8192).decode("utf-8-sig", errors="replace")
        try:
            fmt = detect_format(p, head)
        except FormatError:
            if any(Path(x) == p for x in paths):  # named explicitly: say so
                raise
            reports.append(ListReport(str(p), "unsupported", records_in=1, reasons={"unknown_format": 1},
                                      skipped=1))
            continue
        rep = ListReport(str(p), fmt)
        # XML is streamed from the file (OFAC's advanced XML is ~100 MB); the rest is read whole
        text = "" if head.lstrip().startswith("<") else p.read_text(encoding="utf-8-sig", errors="replace")
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
        elif fmt == "ofac_advanced_xml":
            got = official.ofac_advanced_xml(p, str(p), rep, strict)
        elif fmt == "un_xml":
            got = official.un_xml(p, str(p), rep, strict)
        elif fmt == "eu_xml":
            got = official.eu_xml(p, str(p), rep, strict)
        elif fmt == "eu_csv":
            got = official.eu_csv(text, str(p), rep, strict)
        elif fmt == "uk_csv":
            got = official.uk_csv(text, str(p), rep, strict)
        elif fmt == "ofac_csv":
            got = official.ofac_csv(text, str(p), rep, strict, p.parent)
        elif fmt == "ofac_alt_csv":
            got = []  # aliases: joined into sdn.csv from the same folder
        elif fmt == "gur":
            got = _gur(text, str(p), rep, strict)
        else:
            got = _imo_flags(text, str(p), rep, strict)
        rep.entries = len(got)
        rows += got
        reports.append(rep)
    return pa.Table.from_pylist(rows, schema=WATCHLIST), reports


__all__ = ["WATCHLIST", "ListReport", "detect_format", "read_lists"]
