from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.core.identifiers import (
    MMSI_ATON,
    MMSI_AUXILIARY,
    MMSI_COAST_STATION,
    MMSI_GROUP,
    MMSI_HANDHELD,
    MMSI_INVALID,
    MMSI_SAR_AIRCRAFT,
    MMSI_SART,
    MMSI_UNKNOWN_MID,
    MMSI_VESSEL,
    classify_mmsi,
    imo_check_digit,
    imo_is_valid,
    mid_table,
    mmsi_flag,
)


def test_mmsi_classes():
    cases = {
        273312980: MMSI_VESSEL,      # Russia
        445123000: MMSI_VESSEL,      # DPRK
        2190068: MMSI_COAST_STATION,  # 002190068 with its leading zeros lost
        21900680: MMSI_GROUP,        # 021900680
        111273100: MMSI_SAR_AIRCRAFT,
        992731234: MMSI_ATON,
        982731234: MMSI_AUXILIARY,
        827312345: MMSI_HANDHELD,
        970012345: MMSI_SART,
        299123456: MMSI_UNKNOWN_MID,  # MID 299 is not allocated
        123456789: MMSI_INVALID,
        0: MMSI_INVALID,
        1_000_000_000: MMSI_INVALID,
        -1: MMSI_INVALID,
    }
    got = classify_mmsi(np.array(list(cases)))
    assert dict(zip(cases, got.tolist(), strict=True)) == cases


def test_flags_from_mid():
    assert mmsi_flag(np.array([273312980, 445123000, 636021061, 2190068])).tolist() == ["RU", "KP", "LR", None]


def test_imo_check_digit():
    assert imo_is_valid(np.array([9305609, 9307839, 9305608, 123, 0])).tolist() == [True, True, False, False, False]
    assert imo_check_digit(930560) == 9


@given(st.integers(100000, 999999))
def test_imo_property(stem):
    full = stem * 10 + imo_check_digit(stem)
    assert imo_is_valid(np.array([full]))[0]
    wrong = stem * 10 + (imo_check_digit(stem) + 1) % 10
    assert not imo_is_valid(np.array([wrong]))[0]


def test_mid_table_agrees_with_real_country_column(ais_dir: Path):
    """The Baltic sample names the flag country of each MMSI; our MID table must agree."""
    names = {}
    with open(ais_dir / "baltic_april_2018_20k_sample.csv", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            names[int(row["mmsi"])] = row["country"]
    mids = mid_table()
    checked = 0
    for mmsi, country in names.items():
        mid = mmsi // 1_000_000
        if mid in mids and country:
            ours = mids[mid][1].lower()
            assert country.lower().split(" (")[0][:5] in ours or ours[:5] in country.lower(), (mmsi, country, ours)
            checked += 1
    assert checked > 300
