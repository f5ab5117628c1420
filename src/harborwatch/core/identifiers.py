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
from numba import njit

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


@njit(cache=True, inline="always")
def mmsi_class_one(v: int, known) -> int:
    """Class of one MMSI (see the MMSI_* codes); ``known[mid]`` marks allocated MIDs."""
    if v <= 0 or v > 999_999_999:
        return MMSI_INVALID
    d1 = v // 100_000_000
    d2 = v // 10_000_000
    d3 = v // 1_000_000
    if d3 == 970:
        return MMSI_SART
    if d3 == 972:
        return MMSI_MOB
    if d3 == 974:
        return MMSI_EPIRB
    if 2 <= d1 <= 7:
        return MMSI_VESSEL if known[d3] else MMSI_UNKNOWN_MID
    if d2 == 0:  # 00MIDxxxx
        return MMSI_COAST_STATION if known[(v // 10_000) % 1000] else MMSI_INVALID
    if d1 == 0:  # 0MIDxxxxx
        return MMSI_GROUP if known[(v // 100_000) % 1000] else MMSI_INVALID
    if d3 == 111:  # 111MIDxxx
        return MMSI_SAR_AIRCRAFT if known[(v // 1000) % 1000] else MMSI_INVALID
    if d2 == 99:  # 99MIDxxxx
        return MMSI_ATON if known[(v // 10_000) % 1000] else MMSI_INVALID
    if d2 == 98:  # 98MIDxxxx
        return MMSI_AUXILIARY if known[(v // 10_000) % 1000] else MMSI_INVALID
    if d1 == 8:  # 8MIDxxxxx
        return MMSI_HANDHELD if known[(v // 100_000) % 1000] else MMSI_INVALID
    return MMSI_INVALID


@njit(cache=True)
def _classify(v, known, out):
    for i in range(v.shape[0]):
        out[i] = mmsi_class_one(v[i], known)


def mid_known() -> np.ndarray:
    """Boolean array indexed by MID (0..999): allocated by the ITU."""
    return _mid_known()


def classify_mmsi(mmsi: np.ndarray) -> np.ndarray:
    """Classify MMSIs (int array; negative = missing) into the ``MMSI_*`` codes."""
    v = np.ascontiguousarray(mmsi, dtype=np.int64)
    out = np.empty(v.shape[0], dtype=np.int8)
    _classify(v, _mid_known(), out)
    return out


def mmsi_flag(mmsi: np.ndarray) -> np.ndarray:
    """ISO 3166 alpha-2 flag of each vessel MMSI from its MID (object array, None if unknown)."""
    v = np.asarray(mmsi, dtype=np.int64)
    mid = np.clip(v // 1_000_000, 0, 999)
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
