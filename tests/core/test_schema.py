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


def test_sentinel_table_covers_position_types():
    for t in (1, 2, 3, 18, 19, 27):
        assert {"lat", "lon", "sog_kn", "cog_deg"} <= set(S.SENTINELS[t])
