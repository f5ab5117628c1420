"""Site catalogues: the shipped one, file round trips, the nearest-site index, derived anchorages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.core.errors import DataError
from harborwatch.sites import SiteCatalogue
from harborwatch.sites.build import Anchorages, anchorages, read_wpi
from harborwatch.store.store import Store


def test_default_catalogue_has_the_rason_sites_with_sources():
    cat = SiteCatalogue.default()
    ids = set(cat.ids())
    for sid in ("kp-rajin", "kp-sonbong", "kp-chongjin", "ru-vostochny", "ru-nakhodka", "ru-vladivostok",
                "ru-zarubino", "ru-posyet", "ru-slavyanka", "ru-dunay", "ru-bolshoy-kamen", "kp-ru-tumangang-khasan"):
        assert sid in ids
    for r in cat.table.to_pylist():
        assert r["source"] and r["kind"] in ("port", "terminal", "rail_crossing")
    rajin = cat.table.filter(pa.compute.equal(cat.table["site_id"], "kp-rajin")).to_pylist()[0]
    assert "60510" in rajin["source"] and rajin["unlocode"] == "KP RJN"


@pytest.mark.parametrize("suffix", [".geojson", ".parquet"])
def test_round_trip(tmp_path, suffix):
    cat = SiteCatalogue.default()
    assert SiteCatalogue.read(cat.write(tmp_path / f"s{suffix}")).table.equals(cat.table)


def test_polygon_site_distance(tmp_path):
    p = tmp_path / "poly.geojson"
    p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon",'
                 '"coordinates":[[[10,0],[10.1,0],[10.1,0.1],[10,0.1],[10,0]]]},'
                 '"properties":{"site_id":"box","kind":"terminal","source":"test"}}]}')
    ix = SiteCatalogue.read(p).index()
    d, k = ix.nearest(np.array([0.05, 0.05, 0.05]), np.array([10.05, 10.2, 11.0]))
    assert d[0] == 0.0 and k[0] == 0
    assert d[1] == pytest.approx(11_119, rel=0.01)
    assert np.isinf(d[2]) and k[2] == -1  # beyond the index range


def test_bad_catalogues_are_named_errors(tmp_path):
    p = tmp_path / "bad.geojson"
    p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
                 '"coordinates":[1,2]},"properties":{"site_id":"x","kind":"harbour"}}]}')
    with pytest.raises(DataError, match="kind 'harbour'"):
        SiteCatalogue.read(p)


def test_anchorages_from_stops(tmp_path):
    st = Store.open(tmp_path / "s")
    rows = []
    for m in range(5):  # five vessels stopped in one cell, one moving elsewhere
        rows += [(211000000 + m, 1_690_000_000_000 + k * 60_000, 42.20001 + 0.00001 * m, 130.30001, 0.1)
                 for k in range(3)]
    rows += [(211000009, 1_690_000_000_000, 42.5, 130.5, 9.0)]
    from harborwatch.core.schema import POSITIONS

    n = len(rows)
    cols = {f.name: pa.nulls(n, f.type) for f in POSITIONS}
    cols.update({"mmsi": pa.array([r[0] for r in rows], pa.uint32()),
                 "timestamp": pa.array([r[1] for r in rows], pa.timestamp("ms", tz="UTC")),
                 "lat": [r[2] for r in rows], "lon": [r[3] for r in rows],
                 "sog_kn": pa.array([r[4] for r in rows], pa.float32()),
                 "source_file": ["t"] * n, "source_ref": pa.array(range(n), pa.int64()),
                 "record_hash": pa.array(range(n), pa.uint64())})
    st.con.register("x", pa.table(cols, schema=POSITIONS))
    st.con.execute("INSERT INTO positions SELECT * FROM x")
    cat = anchorages(st, Anchorages(min_vessels=5), SiteCatalogue.default())
    assert len(cat) == 1
    r = cat.table.to_pylist()[0]
    assert r["kind"] == "anchorage" and "Rajin" in r["name"] and "5 vessels" in r["source"]
    assert len(anchorages(st, Anchorages(min_vessels=6))) == 0


def test_world_port_index(shared):
    wpi = read_wpi(shared / "ports" / "WPI_Pub150.csv")
    assert len(wpi) > 3000
    najin = wpi.table.filter(pa.compute.equal(wpi.table["site_id"], "wpi-60510")).to_pylist()[0]
    assert najin["name"] == "Najin" and najin["country"] == "KP"


def test_nearest_point_site_is_the_plain_minimum():
    """The grid index with its pruning and cached cosines gives the minimum over all point
    sites of haversine minus radius, bit for bit (within the index's range)."""
    import numpy as np
    import pyarrow as pa

    from harborwatch.geo.distance import haversine_m
    from harborwatch.sites.catalogue import SCHEMA

    rng = np.random.default_rng(2)
    n = 60
    slat, slon, rad = rng.uniform(54, 56, n), rng.uniform(10, 14, n), rng.choice([0.0, 500.0, 2000.0], n)
    cat = SiteCatalogue(pa.table({"site_id": [f"s{i}" for i in range(n)], "name": [f"S{i}" for i in range(n)],
                                  "kind": ["port"] * n, "lat": slat, "lon": slon, "radius_m": rad,
                                  "geometry": pa.nulls(n, pa.binary()), "country": ["XX"] * n,
                                  "unlocode": pa.nulls(n, pa.string()), "source": ["test"] * n}, schema=SCHEMA))
    idx = cat.index(max_query_m=15_000.0)
    lat, lon = rng.uniform(53.8, 56.2, 3000), rng.uniform(9.8, 14.2, 3000)
    dist, site = idx.nearest(lat, lon)
    for i in range(len(lat)):
        d = [max(haversine_m(lat[i], lon[i], slat[k], slon[k]) - rad[k], 0.0) for k in range(n)]
        k = int(np.argmin(d))
        if d[k] <= 15_000.0:  # the catalogue orders its rows by site id
            assert dist[i] == d[k] and idx.site_ids[site[i]] == f"s{k}"
        else:
            assert site[i] == -1 or dist[i] >= d[k]
