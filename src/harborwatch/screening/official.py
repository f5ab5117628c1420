"""Readers for the governments' own list files: UN, OFAC (advanced XML, CSV), EU and UK.

Each reader takes the file and a :class:`~harborwatch.screening.entries.ListReport` and returns
:data:`~harborwatch.screening.entries.WATCHLIST` rows; records that are not vessels are counted as
``not_a_vessel``, unreadable ones with their reason (or raised, in strict mode).

What each list holds about ships differs, and the readers say so rather than guess:

* **UN Security Council consolidated list** (``consolidated.xml``): individuals and entities
  only. The 1718 Committee's DPRK vessel designations are not entries of this file; what it has
  are the ship-owning and ship-managing companies, whose ``COMMENTS1`` name the vessels they own
  or manage ("Registered owner of DPRK tanker NAM SAN 8 ..."). The reader turns every vessel
  named there into an entry (name only: the IMO numbers in those comments are the *company's*
  IMO numbers, so they are not used), with the entity's reference and listing date. Names are
  taken from upper-case runs of two or more words in a comment that mentions a vessel, tanker or
  ship, or a single upper-case word straight after one of those words; the company's own name
  and common acronyms are excluded. Such entries can only corroborate (a name alone scores 0.5,
  below the default threshold); they never make a hit by themselves.
* **OFAC SDN, advanced XML** (``sdn_advanced.xml``): profiles of party sub-type ``Vessel``;
  names from the identity's aliases (the primary ``Name`` first), IMO and MMSI from the
  ``IDRegDocuments`` of that identity, call sign, vessel type and flags from the features
  (``VersionDetail`` text, a ``DetailReference`` or a ``Location``'s country), programmes and
  the listing date from the ``SanctionsEntries``.
* **OFAC SDN, CSV** (``sdn.csv``, no header: ent_num, name, type, programs, title, call sign,
  vessel type, tonnage, GRT, flag, owner, remarks; ``-0-`` is empty): ``vessel`` rows; IMO and
  MMSI from the remarks. Aliases come from ``alt.csv`` in the same folder when it is there.
* **EU consolidated financial sanctions** (FSD XML 1.1 ``export`` / CSV 1.1 with ``;``): the EU
  has no vessel subject type, so an entity counts as a vessel when one of its identifications is
  an IMO number (type, description or remark says IMO). The port-access-ban ship annex of
  Regulation 833/2014 is published in the Official Journal, not in this file.
* **UK sanctions list** (FCDO ``UK-Sanctions-List.csv``) and the older OFSI consolidated list
  (``ConList.csv``): designations of type ``Ship``, one row per name, grouped by their unique or
  group id; IMO number, current and previous flags, type of ship, regime, date designated.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from harborwatch.core.errors import DataError
from harborwatch.screening.entries import ListReport, local, row, xml_elements

_NA = "-0-"


# --- UN -------------------------------------------------------------------------------------

_SHIP_WORD = re.compile(r"\b(vessels?|tankers?|ships?|freighters?)\b", re.I)
_UPPER_RUN = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:[ \t\n]+[A-Z0-9]+)+(?![\w-])")
_AFTER_WORD = re.compile(r"\b(?:vessel|tanker|ship)\s+(?:the\s+)?[\"“]?([A-Z][A-Z0-9]{2,})(?![\w-])")
_NOT_NAMES = {"DPRK", "UN", "IMO", "MMSI", "US", "USD", "UAE", "PRC", "ROK", "EU", "UK", "INTERPOL", "OMM",
              "KOMID", "ETA", "LTD", "CO", "STS", "AIS"}
_COMPANY = re.compile(r"\b(SHIPPING|COMPANY|CO|LTD|LIMITED|CORP|CORPORATION|TRADING|JV|INC)\b")


def _un_vessel_names(comment: str, own: set[str]) -> list[str]:
    if not _SHIP_WORD.search(comment):
        return []
    runs = []
    for m in _UPPER_RUN.finditer(comment):
        words = m.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if len(words) >= 2 and sum(c.isalpha() for c in "".join(words)) >= 3 and not _COMPANY.search(
                " ".join(words)):
            runs.append(" ".join(words))
    singles = [m.group(1) for m in _AFTER_WORD.finditer(comment) if m.group(1) not in _NOT_NAMES]
    out = []
    for n in runs + [w for w in singles if not any(r.startswith(w + " ") for r in runs)]:
        if n not in out and n not in own and not (" " in n and any(n in o for o in own)):
            out.append(n)
    return out


def un_xml(path: Path, src: str, rep: ListReport, strict: bool) -> list[dict]:
    out = []
    for tag, el in xml_elements(path, src, ("INDIVIDUAL", "ENTITY")):
        rep.records_in += 1
        f = {local(c.tag): (c.text or "").strip() for c in el if len(c) == 0}
        ref = f"{tag} DATAID={f.get('DATAID', rep.records_in)}"
        if tag == "INDIVIDUAL":
            rep.skip("not_a_vessel", False, ref)
            continue
        own = {f.get("FIRST_NAME", "").upper()} | {
            (a.findtext("ALIAS_NAME") or "").strip().upper() for a in el if local(a.tag) == "ENTITY_ALIAS"}
        names = _un_vessel_names(" ".join((f.get("COMMENTS1") or "").split()), own - {""})
        if not names:
            rep.skip("no_vessel_named", False, ref)
            continue
        program = (f"UN {f.get('UN_LIST_TYPE', '')} {f.get('REFERENCE_NUMBER', '')}: vessel named in the "
                   f"designation of {f.get('FIRST_NAME', '')}")
        for n in names:
            out.append(row("UN SC", f"un:{f.get('REFERENCE_NUMBER', f.get('DATAID'))}:{n}", src, ref, name=n,
                           program=" ".join(program.split()), listed_on=f.get("LISTED_ON") or None))
    return out


# --- OFAC advanced XML -----------------------------------------------------------------------

_REF_SETS = {"AliasType", "FeatureType", "IDRegDocType", "PartySubType", "DetailReference", "Country",
             "SanctionsType", "List"}


def _date(el) -> str | None:
    if el is None:
        return None
    p = {local(c.tag): (c.text or "").strip() for c in el}
    try:
        return f"{int(p['Year']):04d}-{int(p.get('Month') or 1):02d}-{int(p.get('Day') or 1):02d}"
    except (KeyError, ValueError):
        return None


def ofac_advanced_xml(path: Path, src: str, rep: ListReport, strict: bool) -> list[dict]:
    """OFAC's ``sdn_advanced.xml``, streamed: reference values and documents first, then the vessel
    profiles, then the sanctions entries that give their programmes."""
    ref: dict[str, dict[str, str]] = {k: {} for k in _REF_SETS}
    loc_country: dict[str, str] = {}
    docs: dict[str, list[tuple[str, str]]] = {}
    vessels: dict[str, dict] = {}
    programs: dict[str, list[str]] = {}
    listed: dict[str, str] = {}
    tags = _REF_SETS | {"Location", "IDRegDocument", "DistinctParty", "SanctionsEntry"}
    for tag, el in xml_elements(path, src, tags):
        if tag in _REF_SETS:
            if el.get("ID") is not None:
                ref[tag][el.get("ID")] = (el.text or "").strip()
        elif tag == "Location":
            for c in el.iter():
                if local(c.tag) == "LocationCountry" and c.get("CountryID"):
                    loc_country[el.get("ID")] = c.get("CountryID")
        elif tag == "IDRegDocument":
            no = "".join(c.text or "" for c in el if local(c.tag) == "IDRegistrationNo").strip()
            docs.setdefault(el.get("IdentityID"), []).append((el.get("IDRegDocTypeID"), no))
        elif tag == "DistinctParty":
            rep.records_in += 1
            _ofac_party(el, ref, loc_country, vessels, rep)
        elif el.get("ProfileID") in vessels:  # SanctionsEntry of a vessel
            pid = el.get("ProfileID")
            for c in el:
                if local(c.tag) == "SanctionsMeasure" and ref["SanctionsType"].get(
                        c.get("SanctionsTypeID")) == "Program":
                    txt = "".join(x.text or "" for x in c if local(x.tag) == "Comment").strip()
                    if txt:
                        programs.setdefault(pid, []).append(txt)
                elif local(c.tag) == "EntryEvent" and pid not in listed:
                    d = _date(next((x for x in c if local(x.tag) == "Date"), None))
                    if d:
                        listed[pid] = d
    out = []
    for pid, v in vessels.items():
        r = f"Profile ID={pid}"
        if not v["names"]:
            rep.skip("no_name", strict, r)
            continue
        imo, mmsis = None, []
        for type_id, no in docs.get(v["identity"], []):
            kind = ref["IDRegDocType"].get(type_id, "")
            if "Vessel Registration" in kind or kind.upper().startswith("IMO"):
                imo = imo or no
            elif kind.upper() == "MMSI":
                mmsis.append(no)
        feats = v["features"]
        out.append(row("OFAC SDN", f"ofac:{pid}", src, r, name=v["names"][0], former=v["names"][1:], imo=imo,
                       mmsis=mmsis, callsign=(feats.get("Vessel Call Sign") or [None])[0],
                       flags=feats.get("Vessel Flag", []) + feats.get("Other Vessel Flag", []),
                       vessel_type=(feats.get("Vessel Type") or feats.get("VESSEL TYPE") or [None])[0],
                       program="; ".join(programs.get(pid, [])) or None, listed_on=listed.get(pid)))
    return out


def _ofac_party(el, ref, loc_country, vessels, rep) -> None:
    for prof in (c for c in el if local(c.tag) == "Profile"):
        pid = prof.get("ID")
        if ref["PartySubType"].get(prof.get("PartySubTypeID")) != "Vessel":
            rep.skip("not_a_vessel", False, f"Profile ID={pid}")
            continue
        names: list[tuple[int, str]] = []
        identity = None
        features: dict[str, list[str]] = {}
        for c in prof:
            t = local(c.tag)
            if t == "Identity" and (identity is None or c.get("Primary") == "true"):
                identity = c.get("ID")
                for a in (x for x in c if local(x.tag) == "Alias"):
                    kind = ref["AliasType"].get(a.get("AliasTypeID"), "")
                    for dn in (x for x in a if local(x.tag) == "DocumentedName"):
                        n = " ".join((p.text or "").strip() for p in dn.iter() if local(p.tag) == "NamePartValue")
                        if n.strip():
                            rank = 0 if a.get("Primary") == "true" or kind == "Name" else 1
                            names.append((rank, n.strip()))
            elif t == "Feature":
                kind = ref["FeatureType"].get(c.get("FeatureTypeID"), "")
                for vd in c.iter():
                    lt = local(vd.tag)
                    val = None
                    if lt == "VersionDetail":
                        val = (vd.text or "").strip() or ref["DetailReference"].get(vd.get("DetailReferenceID"))
                    elif lt == "VersionLocation":
                        val = ref["Country"].get(loc_country.get(vd.get("LocationID"), ""))
                    if val:
                        features.setdefault(kind, []).append(val)
        names.sort(key=lambda x: x[0])
        vessels[pid] = {"names": list(dict.fromkeys(n for _, n in names)), "identity": identity,
                        "features": features}


# --- OFAC CSV ----------------------------------------------------------------------------------

_SDN_COLS = ["ent_num", "name", "type", "programs", "title", "call_sign", "vessel_type", "tonnage", "grt", "flag",
             "owner", "remarks"]
_IMO_RE = re.compile(r"\bIMO\s*(\d{7})\b", re.I)
_MMSI_RE = re.compile(r"\bMMSI\s*(\d{9})\b", re.I)


def _na(x: str | None) -> str:
    x = (x or "").strip()
    return "" if x == _NA else x


def _alt_names(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in ("alt.csv", "ALT.CSV"):
        p = folder / name
        if p.is_file():
            for r in csv.reader(io.StringIO(p.read_text(encoding="utf-8-sig", errors="replace"))):
                if len(r) >= 4 and _na(r[3]):
                    out.setdefault(r[0].strip(), []).append(_na(r[3]))
            break
    return out


def ofac_csv(text: str, src: str, rep: ListReport, strict: bool, folder: Path) -> list[dict]:
    alts = _alt_names(folder)
    out = []
    for n, r in enumerate(csv.reader(io.StringIO(text)), 1):
        if not r or (len(r) == 1 and not r[0].strip()) or r[0].strip() == "\x1a":
            continue  # blank lines and the DOS end-of-file mark OFAC's CSV ends with
        rep.records_in += 1
        if len(r) < len(_SDN_COLS):
            rep.skip("short_row", strict, f"line {n}")
            continue
        f = dict(zip(_SDN_COLS, (_na(x) for x in r), strict=False))
        if f["type"].lower() != "vessel":
            rep.skip("not_a_vessel", False, f"line {n}")
            continue
        if not f["name"]:
            rep.skip("no_name", strict, f"line {n}")
            continue
        imo = _IMO_RE.search(f["remarks"])
        progs = [p.strip(" []") for p in f["programs"].split("] [") if p.strip(" []")]
        out.append(row("OFAC SDN", f"ofac:{f['ent_num']}", src, f"line {n}", name=f["name"],
                       former=alts.get(f["ent_num"], []), imo=imo.group(1) if imo else None,
                       mmsis=_MMSI_RE.findall(f["remarks"]), callsign=f["call_sign"] or None,
                       flags=[f["flag"]] if f["flag"] else [], vessel_type=f["vessel_type"] or None,
                       program="; ".join(progs) or None))
    return out


# --- EU -----------------------------------------------------------------------------------------

def _eu_imo(idents: list[dict]) -> str | None:
    for i in idents:
        blob = " ".join(str(i.get(k) or "") for k in ("type", "description", "remark", "number"))
        if "IMO" in blob.upper():
            m = re.search(r"\d{7}", str(i.get("number") or ""))
            if m:
                return m.group(0)
    return None


def _eu_entity(rep: ListReport, strict: bool, src: str, ref: str, ent: dict) -> dict | None:
    imo = _eu_imo(ent["idents"])
    if imo is None and ent["subject"].lower() not in ("vessel", "ship"):
        rep.skip("not_a_vessel", False, ref)
        return None
    names = list(dict.fromkeys(n for n in ent["names"] if n))
    if not names:
        rep.skip("no_name", strict, ref)
        return None
    dates = sorted(d for d in ent["dates"] if d)
    return row("EU", f"eu:{ent['id']}", src, ref, name=names[0], former=names[1:], imo=imo,
               program="; ".join(dict.fromkeys(p for p in ent["programmes"] if p)) or None,
               listed_on=dates[0] if dates else None)


def eu_xml(path: Path, src: str, rep: ListReport, strict: bool) -> list[dict]:
    out = []
    for _, el in xml_elements(path, src, ("sanctionEntity",)):
        rep.records_in += 1
        ent = {"id": el.get("logicalId"), "subject": "", "names": [], "idents": [], "programmes": [], "dates": []}
        for c in el:
            t = local(c.tag)
            if t == "subjectType":
                ent["subject"] = c.get("code") or ""
            elif t == "nameAlias":
                ent["names"].append((c.get("wholeName") or "").strip())
            elif t == "regulation":
                ent["programmes"].append(c.get("programme"))
                ent["dates"].append(c.get("publicationDate"))
            elif t == "identification":
                ent["idents"].append({"type": c.get("identificationTypeCode"), "number": c.get("number"),
                                      "description": c.get("identificationTypeDescription"),
                                      "remark": " ".join(x.text or "" for x in c if local(x.tag) == "remark")})
        r = _eu_entity(rep, strict, src, f"sanctionEntity logicalId={ent['id']}", ent)
        if r:
            out.append(r)
    return out


def eu_csv(text: str, src: str, rep: ListReport, strict: bool) -> list[dict]:
    ents: dict[str, dict] = {}
    for n, r in enumerate(csv.DictReader(io.StringIO(text), delimiter=";"), 2):
        eid = (r.get("Entity_LogicalId") or "").strip()
        if not eid:
            rep.records_in += 1
            rep.skip("no_entity_id", strict, f"line {n}")
            continue
        e = ents.setdefault(eid, {"id": eid, "line": n, "subject": r.get("Entity_SubjectType") or "", "names": [],
                                  "idents": [], "programmes": [], "dates": []})
        e["names"].append((r.get("NameAlias_WholeName") or "").strip())
        e["programmes"].append(r.get("Entity_Regulation_Programme"))
        e["dates"].append(r.get("Entity_Regulation_PublicationDate"))
        if r.get("Identification_Number"):
            e["idents"].append({"type": r.get("Identification_TypeCode"), "number": r.get("Identification_Number"),
                                "description": r.get("Identification_TypeDescription"),
                                "remark": r.get("Identification_Remark")})
    out = []
    for e in ents.values():
        rep.records_in += 1
        got = _eu_entity(rep, strict, src, f"line {e['line']} (Entity_LogicalId={e['id']})", e)
        if got:
            out.append(got)
    return out


# --- UK -----------------------------------------------------------------------------------------

def _first(r: dict, *cols: str) -> str:
    for c in cols:
        v = (r.get(c) or "").strip()
        if v:
            return v
    return ""


def _uk_date(s: str) -> str | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%b-%Y"):
        try:
            return datetime.strptime(s.strip(), fmt).date().isoformat()
        except ValueError:
            pass
    return None


def uk_csv(text: str, src: str, rep: ListReport, strict: bool) -> list[dict]:
    lines = text.splitlines(keepends=True)
    head = next((i for i, ln in enumerate(lines[:10]) if "Name 6" in ln), None)
    if head is None:
        raise DataError("no header row with 'Name 6' in the first 10 lines", source=src, reason="no_header")
    new_layout = "Designation Type" in lines[head]
    groups: dict[str, list[tuple[int, dict]]] = {}
    for n, r in enumerate(csv.DictReader(io.StringIO("".join(lines[head:]))), head + 2):
        gid = _first(r, "Unique ID", "Group ID")
        if not gid:
            rep.records_in += 1
            rep.skip("no_group_id", strict, f"line {n}")
            continue
        groups.setdefault(gid, []).append((n, r))
    lst = "UK" if new_layout else "UK OFSI"
    out = []
    for gid, rows in groups.items():
        rep.records_in += 1
        ref = f"line {rows[0][0]} (id {gid})"
        if not any(_first(r, "Designation Type", "Group Type").lower() == "ship" for _, r in rows):
            rep.skip("not_a_vessel", False, ref)
            continue
        rows.sort(key=lambda x: not _first(x[1], "Name type", "Alias Type").lower().startswith("primary name"))
        names = list(dict.fromkeys(
            n for n in (" ".join(_first(r, "Name 6").split()) or " ".join(
                _first(r, f"Name {k}") for k in range(1, 6) if _first(r, f"Name {k}")) for _, r in rows) if n))
        if not names:
            rep.skip("no_name", strict, ref)
            continue
        r0 = rows[0][1]
        flags = [_first(r0, "Current believed flag of ship")] + [
            x.strip() for x in _first(r0, "Previous flags").replace(";", ",").split(",")]
        listed = _uk_date(_first(r0, "Date Designated", "UK Sanctions List Date Designated", "Listed On"))
        out.append(row(lst, f"uk:{gid}", src, ref, name=names[0], former=names[1:],
                       imo=_first(r0, "IMO number") or None, flags=[f for f in flags if f],
                       vessel_type=_first(r0, "Type of ship") or None,
                       program=_first(r0, "Regime Name", "Regime") or None, listed_on=listed))
    return out


def detect(head: str) -> str | None:
    """The official layout ``head`` (the first few KB of a file) is in, or None."""
    h = head.lstrip()
    if h.startswith("<"):
        if "<CONSOLIDATED_LIST" in head:
            return "un_xml"
        if "<Sanctions" in head and ("ADVANCED_XML" in head or "ReferenceValueSets" in head):
            return "ofac_advanced_xml"
        if "<export" in head and "fsd" in head:
            return "eu_xml"
        return None
    first = h.split("\n", 1)[0]
    if "Entity_LogicalId" in first and ";" in first:
        return "eu_csv"
    if "Name 6" in head and ("Designation Type" in head or "Group Type" in head):
        return "uk_csv"
    try:
        r = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    if len(r) == len(_SDN_COLS) and r[0].strip().isdigit() and _na(r[2]).lower() in (
            "", "individual", "vessel", "aircraft"):
        return "ofac_csv"
    if len(r) == 5 and r[0].strip().isdigit() and r[2].strip().lower() in ("aka", "fka", "nka"):
        return "ofac_alt_csv"
    return None


__all__ = ["detect", "eu_csv", "eu_xml", "ofac_advanced_xml", "ofac_csv", "uk_csv", "un_xml"]
