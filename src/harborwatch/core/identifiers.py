"""Vessel identifiers: MMSI classes and flags (ITU-R M.585), IMO numbers (check digit).

All functions are vectorised over NumPy integer arrays; MMSIs are handled as integers,
so a number that lost its leading zeros in a CSV export (``2191000`` for the coast
station ``002191000``) classifies exactly like its 9-digit form.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib.resources import files

import numpy as np

# MMSI classes (int8 codes, stable: they are stored)
MMSI_INVALID = 0
MMSI_VESSEL = 1
MMSI_COAST_STATION = 2
MMSI_GROUP = 3
MMSI_SAR_AIRCRAFT = 4
MMSI_ATON = 5
MMSI_AUXILIARY = 6
MMSI_HANDHELD = 7
MMSI_SART = 8
MMSI_MOB = 9
MMSI_EPIRB = 10
MMSI_UNKNOWN_MID = 11

MMSI_CLASS_NAMES = {
    MMSI_INVALID: "invalid",
    MMSI_VESSEL: "vessel",
    MMSI_COAST_STATION: "coast_station",
    MMSI_GROUP: "group_call",
    MMSI_SAR_AIRCRAFT: "sar_aircraft",
    MMSI_ATON: "aid_to_navigation",
    MMSI_AUXILIARY: "auxiliary_craft",
    MMSI_HANDHELD: "handheld_vhf",
    MMSI_SART: "sart",
    MMSI_MOB: "man_overboard",
    MMSI_EPIRB: "epirb",
    MMSI_UNKNOWN_MID: "unknown_mid",
}

#: Classes that are not vessels: kept out of vessel tracks, stored in ``stations``.
NON_VESSEL_CLASSES = (
    MMSI_COAST_STATION,
    MMSI_GROUP,
    MMSI_SAR_AIRCRAFT,
    MMSI_ATON,
    MMSI_AUXILIARY,
    MMSI_HANDHELD,
    MMSI_SART,
    MMSI_MOB,
    MMSI_EPIRB,
)


@lru_cache(maxsize=1)
def mid_table() -> dict[int, tuple[str, str]]:
    """ITU Maritime Identification Digits: ``{mid: (iso2, country)}``."""
    text = files("harborwatch.core").joinpath("data/mid.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {int(r["mid"]): (r["iso2"], r["country"]) for r in rows}


@lru_cache(maxsize=1)
def _mid_known() -> np.ndarray:
    known = np.zeros(1000, dtype=bool)
    known[list(mid_table())] = True
    return known


@lru_cache(maxsize=1)
def _mid_iso2() -> np.ndarray:
    iso = np.full(1000, None, dtype=object)
    for mid, (code, _name) in mid_table().items():
        iso[mid] = code
    return iso


def _digits(v: np.ndarray, start: int, n: int) -> np.ndarray:
    """Digits ``start .. start+n`` (0 = leftmost) of the 9-digit zero-padded number."""
    return (v // 10 ** (9 - start - n)) % 10**n


def classify_mmsi(mmsi: np.ndarray) -> np.ndarray:
    """Classify MMSIs (int array; negative = missing) into the ``MMSI_*`` codes."""
    v = np.asarray(mmsi, dtype=np.int64)
    out = np.full(v.shape, MMSI_INVALID, dtype=np.int8)
    ok = (v > 0) & (v <= 999_999_999)
    known = _mid_known()
    d1 = _digits(v, 0, 1)
    d2 = _digits(v, 0, 2)
    d3 = _digits(v, 0, 3)

    def mid_at(start: int) -> np.ndarray:
        return known[np.clip(_digits(v, start, 3), 0, 999)]

    vessel = ok & (d1 >= 2) & (d1 <= 7)
    out[vessel & mid_at(0)] = MMSI_VESSEL
    out[vessel & ~mid_at(0)] = MMSI_UNKNOWN_MID
    coast = ok & (d2 == 0)
    out[coast & mid_at(2)] = MMSI_COAST_STATION
    group = ok & (d1 == 0) & (d2 != 0)
    out[group & mid_at(1)] = MMSI_GROUP
    out[ok & (d3 == 111) & mid_at(3)] = MMSI_SAR_AIRCRAFT
    out[ok & (d2 == 99) & mid_at(2)] = MMSI_ATON
    out[ok & (d2 == 98) & mid_at(2)] = MMSI_AUXILIARY
    out[ok & (d1 == 8) & mid_at(1)] = MMSI_HANDHELD
    out[ok & (d3 == 970)] = MMSI_SART
    out[ok & (d3 == 972)] = MMSI_MOB
    out[ok & (d3 == 974)] = MMSI_EPIRB
    return out


def mmsi_flag(mmsi: np.ndarray) -> np.ndarray:
    """ISO 3166 alpha-2 flag of each vessel MMSI from its MID (object array, None if unknown)."""
    v = np.asarray(mmsi, dtype=np.int64)
    mid = np.clip(_digits(v, 0, 3), 0, 999)
    flags = _mid_iso2()[mid]
    flags[classify_mmsi(v) != MMSI_VESSEL] = None
    return flags


def imo_is_valid(imo: np.ndarray) -> np.ndarray:
    """True where ``imo`` is a 7-digit IMO ship number with a correct check digit.

    The check digit is the last digit of sum(d_i * w_i) for the first six digits with
    weights 7, 6, 5, 4, 3, 2 (IMO Resolution A.1078(28)).
    """
    v = np.asarray(imo, dtype=np.int64)
    ok = (v >= 1_000_000) & (v <= 9_999_999)
    total = np.zeros(v.shape, dtype=np.int64)
    for i, weight in enumerate((7, 6, 5, 4, 3, 2)):
        total += ((v // 10 ** (6 - i)) % 10) * weight
    return ok & (total % 10 == v % 10)


def imo_check_digit(first_six: int) -> int:
    """The check digit for a 6-digit IMO stem (``imo_check_digit(930783) == 9``)."""
    digits = [int(c) for c in f"{first_six:06d}"]
    return sum(d * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10
