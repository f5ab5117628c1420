"""Figure bundles: one per site, figures.json maps each figure to its events or count rows, and
the bundle verifies."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

from harborwatch.analysis.calendar import RASON_2023
from harborwatch.analysis.periods import Period
from harborwatch.estimates.run import estimate
from harborwatch.evidence.figures import figure_bundles
from harborwatch.evidence.verify import verify_bundle
from harborwatch.sites import SiteCatalogue
from harborwatch.store import Store, ingest_counts

YEAR = Period("2023", int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()),
              int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()))
JULY = Period("2023-07", int(datetime(2023, 7, 1, tzinfo=UTC).timestamp()),
              int(datetime(2023, 8, 1, tzinfo=UTC).timestamp()))


def test_one_bundle_per_site_with_each_figures_evidence(store_maker, tmp_path):
    store = store_maker(tmp_path)
    counts = tmp_path / "counts.csv"
    counts.write_text("date,site_id,rail_cars\n2023-07-01,kp-ru-tumangang-khasan,12\n"
                      "2023-07-02,kp-ru-tumangang-khasan,15\n2023-08-02,kp-ru-tumangang-khasan,9\n")
    with Store.open(store) as st:
        next(ingest_counts(st, [counts]))
    sites = SiteCatalogue.default()
    with Store.open(store, read_only=True) as st:
        visits = st.sql("SELECT site_id, count(*) AS n FROM events WHERE type = 'port_visit' GROUP BY 1 "
                        "ORDER BY 2 DESC").to_pylist()
        site = visits[0]["site_id"]
        est = estimate(st, sites, RASON_2023, (YEAR,), [site])
        rows = [{"site": site, "period": "2023", "quantity": "calls_per_week", "estimate": 1.0, "low": 0.5,
                 "high": 2.0},
                {"site": site, "period": "2023", "quantity": "teu_loaded", "estimate": 0.0, "low": 0.0, "high": 0.0},
                {"site": "kp-ru-tumangang-khasan", "period": "2023-07", "quantity": "rail_cars_per_week",
                 "estimate": 94.5, "low": 80.0, "high": 110.0},
                {"site": site, "period": "not-a-period", "quantity": "calls_per_week", "estimate": 1.0, "low": 0.0,
                 "high": 2.0}]
        written = figure_bundles(st, est, rows, (YEAR, JULY), sites, tmp_path / "bundles")
    assert set(written) == {site, "kp-ru-tumangang-khasan"}
    z = zipfile.ZipFile(written[site])
    figs = json.loads(z.read("figures.json"))
    assert [f["quantity"] for f in figs] == ["calls_per_week", "teu_loaded"]  # the unknown period is left out
    assert len(figs[0]["events"]) == visits[0]["n"] and figs[0]["count_rows"] == []
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["subject"]["kind"] == "figures" and manifest["subject"]["evidence_total"] == visits[0]["n"]
    v = verify_bundle(written[site])
    assert v.ok, v.problems
    rail = zipfile.ZipFile(written["kp-ru-tumangang-khasan"])
    figs = json.loads(rail.read("figures.json"))
    assert figs[0]["events"] == [] and figs[0]["count_rows"] == [f"{counts}#line 2", f"{counts}#line 3"]
    lines = rail.read("counts.csv").decode().splitlines()
    assert len(lines) == 3 and "rail_cars" in lines[1] + lines[2]
    assert verify_bundle(written["kp-ru-tumangang-khasan"]).ok
