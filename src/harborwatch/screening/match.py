"""Explainable matching of seen vessels against watchlist entries.

Each candidate pair gets *features*, each with a documented weight; the score is their noisy-OR,
``1 - prod(1 - weight)``, so no single weak feature makes a hit and the features that fired are
the explanation. Default threshold: :attr:`Screen.threshold` = 0.7.

========================  ======  ===============================================================
feature                   weight  fires when
========================  ======  ===============================================================
``imo``                   0.95    same IMO number, valid check digit on both sides
``imo_unchecked``         0.60    same IMO number, check digit invalid on one side
``mmsi``                  0.70    the seen MMSI is the entry's current MMSI
``mmsi_legacy``           0.50    the seen MMSI is one of the entry's former MMSIs
``name``                  0.50    same normalised name (current or former, either side)
``name_fuzzy``            <=0.40  names >= ``name_min_score`` alike (rapidfuzz token_sort_ratio)
``callsign``              0.40    same call sign
``flag``                  0.10    a seen flag is among the entry's flags
========================  ======  ===============================================================

Time and identity awareness: MMSIs are reassigned, so an MMSI match where both sides carry
valid, *different* IMO numbers is dropped (reported as ``mmsi_reassigned``, weight 0); any
pair with different valid IMOs has its score multiplied by 0.3 (``imo_conflict``). Seen names,
IMOs, call signs and flags include the vessel's whole identity history in the store, so a
vessel seen under an old name matches its listed new name.

Blocking: candidates are the entries sharing an IMO, an MMSI, a call sign or a name token
(tokens of 3+ letters on at most 200 entries). A pair that shares only a name can score at
most ``name`` + ``flag`` = 0.55; when that is below the threshold (the default 0.7), the
name-token block is skipped, because none of its pairs could become a hit. This is exact: a
lower threshold (``--threshold 0.5``) brings name-only candidates back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa

WEIGHTS = {"imo": 0.95, "imo_unchecked": 0.60, "mmsi": 0.70, "mmsi_legacy": 0.50, "name": 0.50,
           "name_fuzzy": 0.40, "callsign": 0.40, "flag": 0.10}
_PREFIX = re.compile(r"^(M\s*/\s*[VTYS]|M\s*\.\s*[VTYS]\s*\.?|MV|MT|MY|SS|RV|FV|TB)\s+")
_PUNCT = re.compile(r"[^A-Z0-9 ]+")

HITS = pa.schema([
    pa.field("mmsi", pa.uint32(), False), pa.field("imo", pa.uint32()), pa.field("name_seen", pa.string()),
    pa.field("name_listed", pa.string()), pa.field("list", pa.string(), False), pa.field("program", pa.string()),
    pa.field("entity_id", pa.string(), False), pa.field("imo_listed", pa.uint32()),
    pa.field("score", pa.float64(), False),
    pa.field("features", pa.string(), False), pa.field("source_file", pa.string(), False),
    pa.field("source_record", pa.string(), False),
])


@lru_cache(maxsize=200_000)
def normalize_name(name: str | None) -> str:
    """Upper-case ASCII (transliterated with anyascii), no punctuation, no M/V, MT... prefix."""
    if not name:
        return ""
    from anyascii import anyascii

    s = anyascii(name).upper().strip()
    s = _PREFIX.sub("", s)
    s = _PUNCT.sub(" ", s)
    return " ".join(s.split())


@lru_cache(maxsize=1)
def _flag_codes() -> dict[str, str]:
    from harborwatch.core.identifiers import mid_table

    out = {}
    for iso, name in mid_table().values():
        out[name.upper()] = iso
        out[iso.upper()] = iso
        out[re.sub(r"\s*\(.*\)", "", name.upper())] = out.get(re.sub(r"\s*\(.*\)", "", name.upper()), iso)
    out.update({"RUSSIA": "RU", "NORTH KOREA": "KP", "DPRK": "KP", "SOUTH KOREA": "KR", "UNITED KINGDOM": "GB",
                "UK": "GB", "USA": "US", "UNITED STATES": "US", "VIETNAM": "VN", "IRAN": "IR", "SYRIA": "SY",
                "KOREA, NORTH": "KP", "KOREA, SOUTH": "KR", "TANZANIA": "TZ", "BOLIVIA": "BO",
                "HONG KONG": "HK", "CAMEROUN": "CM"})
    out["KOREA"] = "KR"
    return out


@lru_cache(maxsize=4096)
def flag_code(flag: str | None) -> str | None:
    """ISO 3166 alpha-2 code of a flag given as a code or a country name; None if unknown."""
    if not flag:
        return None
    return _flag_codes().get(" ".join(flag.upper().split()))


@dataclass(frozen=True)
class Screen:
    """Matching parameters (see the module docstring for the features and weights)."""

    threshold: float = 0.7
    name_min_score: float = 90.0  # rapidfuzz token_sort_ratio, 0-100
    conflict_factor: float = 0.3


@dataclass
class Seen:
    """One vessel as the store saw it: its MMSI and every identity it reported."""

    mmsi: int
    names: list[str]
    imos: list[tuple[int, bool]]
    callsigns: list[str]
    flags: list[str]
    first: object = None
    last: object = None


class Index:
    """Blocking indexes over a watchlist: by IMO, MMSI, call sign and name token."""

    def __init__(self, wl: pa.Table) -> None:
        self.rows = wl.to_pylist()
        self.by_imo: dict[int, list[int]] = {}
        self.by_mmsi: dict[int, list[int]] = {}
        self.by_call: dict[str, list[int]] = {}
        self.by_token: dict[str, list[int]] = {}
        self.names: list[list[str]] = []
        self.flags: list[set] = []
        for i, r in enumerate(self.rows):
            self.flags.append({flag_code(x) for x in r["flags"]} - {None})
            if r["imo"]:
                self.by_imo.setdefault(r["imo"], []).append(i)
            for m in r["mmsis"]:
                self.by_mmsi.setdefault(m, []).append(i)
            if r["callsign"]:
                self.by_call.setdefault(r["callsign"], []).append(i)
            ns = [n for n in {normalize_name(x) for x in [r["name"], *r["former_names"]]} if n]
            self.names.append(ns)
            for n in ns:
                for tok in set(n.split()):
                    if len(tok) >= 3 and not tok.isdigit():
                        self.by_token.setdefault(tok, []).append(i)
        # very common tokens (SEA, STAR...) do not block: they would pair everything
        self.by_token = {k: v for k, v in self.by_token.items() if len(v) <= 200}


class _Prepared:
    """What the features need of one seen vessel, computed once per vessel."""

    __slots__ = ("calls", "flags", "imos", "names")

    def __init__(self, s: Seen) -> None:
        self.imos = dict(s.imos)
        self.names = {n: raw for raw in s.names if (n := normalize_name(raw))}
        self.calls = {c.upper() for c in s.callsigns}
        self.flags = {flag_code(x) for x in s.flags} - {None}


def _features(s: Seen, r: dict, names_r: list[str], p: Screen, prep: _Prepared | None = None,
              flags_r: set | None = None) -> list[dict]:
    from rapidfuzz.fuzz import token_sort_ratio

    prep = prep or _Prepared(s)
    f: list[dict] = []
    seen_imos = prep.imos
    if r["imo"] and r["imo"] in seen_imos:
        ok = bool(r["imo_valid"]) and seen_imos[r["imo"]]
        f.append({"feature": "imo" if ok else "imo_unchecked", "seen": r["imo"], "listed": r["imo"]})
    conflict = bool(r["imo"] and r["imo_valid"] and r["imo"] not in seen_imos
                    and any(ok and i != r["imo"] for i, ok in seen_imos.items()))
    if r["mmsis"] and s.mmsi in r["mmsis"]:
        kind = "mmsi" if r["mmsis"][0] == s.mmsi else "mmsi_legacy"
        f.append({"feature": "mmsi_reassigned" if conflict else kind, "seen": s.mmsi, "listed": s.mmsi})
    seen_norm = prep.names
    exact = [(n, seen_norm[n]) for n in names_r if n in seen_norm]
    if exact:
        f.append({"feature": "name", "seen": exact[0][1], "listed": exact[0][0]})
    elif seen_norm and names_r:
        best = max(((token_sort_ratio(a, b), sa, b) for a, sa in seen_norm.items() for b in names_r),
                   key=lambda x: x[0])
        if best[0] >= p.name_min_score:
            f.append({"feature": "name_fuzzy", "seen": best[1], "listed": best[2], "similarity": round(best[0], 1)})
    if r["callsign"] and r["callsign"] in prep.calls:
        f.append({"feature": "callsign", "seen": r["callsign"], "listed": r["callsign"]})
    listed_flags = flags_r if flags_r is not None else {flag_code(x) for x in r["flags"]} - {None}
    common = listed_flags & prep.flags
    if common:
        f.append({"feature": "flag", "seen": sorted(common)[0], "listed": sorted(common)[0]})
    if conflict:
        f.append({"feature": "imo_conflict", "seen": [i for i, ok in s.imos if ok], "listed": r["imo"]})
    return f


def score(features: list[dict], p: Screen) -> float:
    keep = 1.0
    for x in features:
        w = WEIGHTS.get(x["feature"], 0.0)
        if x["feature"] == "name_fuzzy":
            w *= x["similarity"] / 100.0
        keep *= 1.0 - w
    s = 1.0 - keep
    if any(x["feature"] == "imo_conflict" for x in features):
        s *= p.conflict_factor
    return round(s, 4)


def screen(seen: list[Seen], wl: pa.Table, p: Screen | None = None) -> pa.Table:
    """Hits (score >= threshold) of every seen vessel against every entry, best first per vessel."""
    import json

    p = p or Screen()
    idx = Index(wl)
    names_can_hit = 1.0 - (1.0 - WEIGHTS["name"]) * (1.0 - WEIGHTS["flag"]) >= p.threshold
    out = []
    for s in seen:
        prep = _Prepared(s)
        cand: set[int] = set()
        for i, _ in s.imos:
            cand.update(idx.by_imo.get(i, []))
        cand.update(idx.by_mmsi.get(s.mmsi, []))
        for c in s.callsigns:
            cand.update(idx.by_call.get(c.upper(), []))
        if names_can_hit:
            for n in prep.names:
                for tok in set(n.split()):
                    cand.update(idx.by_token.get(tok, []))
        hits = []
        for i in cand:
            r = idx.rows[i]
            f = _features(s, r, idx.names[i], p, prep, idx.flags[i])
            sc = score(f, p)
            if sc >= p.threshold:
                name_seen = next((x["seen"] for x in f if x["feature"] in ("name", "name_fuzzy")),
                                 s.names[-1] if s.names else None)
                hits.append({"mmsi": s.mmsi, "imo": next((i for i, ok in s.imos if ok), None),
                             "name_seen": name_seen, "name_listed": r["name"], "list": r["list"],
                             "program": r["program"], "entity_id": r["entity_id"], "imo_listed": r["imo"],
                             "score": sc, "features": json.dumps(f, sort_keys=True, default=str),
                             "source_file": r["source_file"], "source_record": r["source_record"]})
        hits.sort(key=lambda h: (-h["score"], h["list"], h["entity_id"]))
        out += hits
    return pa.Table.from_pylist(out, schema=HITS)


def seen_from_store(store, since=None, until=None, site_ids: list[str] | None = None) -> list[Seen]:
    """Vessels in a store's identity history (optionally only those seen in a time window, or
    with port visits at the given sites), with every name, IMO, call sign and flag they used."""
    where, params = [], []
    if since is not None:
        where.append("valid_to >= ?")
        params.append(since)
    if until is not None:
        where.append("valid_from < ?")
        params.append(until)
    if site_ids:
        where.append("mmsi IN (SELECT DISTINCT mmsi FROM events WHERE type = 'port_visit' AND site_id IN ("
                     + ", ".join("?" for _ in site_ids) + "))")
        params += list(site_ids)
    sql = ("SELECT mmsi, valid_from, valid_to, name, imo, imo_invalid_reported, callsign, flag, flag_reported "
           "FROM identity" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY mmsi, valid_from")
    rows = store.sql(sql, params).to_pylist()
    out: dict[int, Seen] = {}
    for r in rows:
        s = out.setdefault(r["mmsi"], Seen(r["mmsi"], [], [], [], [], r["valid_from"], r["valid_to"]))
        s.last = r["valid_to"]
        if r["name"] and r["name"] not in s.names:
            s.names.append(r["name"])
        for imo, ok in ((r["imo"], True), (r["imo_invalid_reported"], False)):
            if imo and (imo, ok) not in s.imos:
                s.imos.append((imo, ok))
        if r["callsign"] and r["callsign"] not in s.callsigns:
            s.callsigns.append(r["callsign"])
        for fl in (r["flag"], r["flag_reported"]):
            if fl and fl not in s.flags:
                s.flags.append(fl)
    return list(out.values())

__all__ = ["HITS", "WEIGHTS", "Index", "Screen", "Seen", "flag_code", "normalize_name", "score", "screen",
           "seen_from_store"]
