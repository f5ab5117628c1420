from __future__ import annotations

import pytest

from harborwatch.core import schema as S


def test_every_table_documents_every_column():
    for name, schema in S.TABLES.items():
        for f in schema:
            assert f.metadata and f.metadata.get(b"doc"), f"{name}.{f.name} has no doc"
        assert {"source_file", "source_ref"} <= set(schema.names), name


def test_timestamps_are_utc_aware():
    assert S.POSITIONS.field("timestamp").type.tz == "UTC"
    assert S.STATIC.field("eta").type.tz == "UTC"


@pytest.mark.parametrize("raw,expected", [(0, 0.0), (18, 14.46345), (-18, -14.46345), (126, 708.7092)])
def test_rot_conversion(raw, expected):
    assert S.rot_deg_per_min(raw) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("raw", [-128, 127, -127])
def test_rot_not_available(raw):
    assert S.rot_deg_per_min(raw) is None


# ITU-R M.1371-5 "not available" values per message type, typed from the standard's tables
# (decoded units: degrees, knots), independently of the code's table.
_POS = {"lat": 91.0, "lon": 181.0}
_A = {**_POS, "sog_kn": 102.3, "cog_deg": 360.0, "heading_deg": 511, "nav_status": 15, "rot_raw": -128}
_B = {**_POS, "sog_kn": 102.3, "cog_deg": 360.0, "heading_deg": 511}
_STATIC = {"imo": 0, "ship_type": 0, "draught_m": 0.0, "length_m": 0.0, "beam_m": 0.0, "name": "", "callsign": "",
           "destination": ""}
ITU = {1: _A, 2: _A, 3: _A, 4: _POS, 5: _STATIC, 9: {**_POS, "sog_kn": 1023.0, "cog_deg": 360.0}, 18: _B,
       19: {**_B, **_STATIC}, 21: {**_POS, "name": ""}, 24: _STATIC,
       27: {**_POS, "sog_kn": 63.0, "cog_deg": 511.0, "nav_status": 15}}


def test_sentinel_values_are_the_standards():
    """Keys and values, type by type: a wrong value (say 102.2 for SOG) fails."""
    assert S.SENTINELS == ITU
    assert S.SENTINELS_UNKNOWN_TYPE == {**_A, **_STATIC}
