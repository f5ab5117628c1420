"""The report: self-contained HTML whose map and charts render in headless Chromium, figures,
PDF, linked tables and provenance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harborwatch.demo import run_demo
from harborwatch.scenario import Scenario

#: whole-pipeline tests: the demo on a 30-day scenario, then the report and its browser test.
#: `python -m pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    f = run_demo(out, Scenario(days=30, vessels=14))
    return out, f


def _html(report) -> str:
    out, f = report
    return Path(f["report"]["html"]).read_text()


def test_files_exist(report):
    out, f = report
    r = f["report"]
    for k in ("html", "map_svg", "map_png", "weekly_svg", "weekly_png"):
        assert Path(r[k]).stat().st_size > 1000, k
    if "pdf_error" in r:
        pytest.skip(r["pdf_error"])
    assert Path(r["pdf"]).read_bytes()[:5] == b"%PDF-"


def test_html_is_self_contained(report):
    h = _html(report)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", h)
    assert "<link" not in h and "@import" not in h
    assert h.count('<svg class="figure"') == 2


def test_tables_link_to_each_other(report):
    h = _html(report)
    ids = set(re.findall(r'id="([^"]+)"', h))
    vessel_links = set(re.findall(r'href="#(vessel-\d+)"', h))
    event_links = set(re.findall(r'href="#(ev-[0-9a-f]+)"', h))
    assert vessel_links and event_links
    assert vessel_links <= ids and event_links <= ids


def test_provenance(report):
    out, f = report
    h = _html(report)
    import hashlib

    for name in ("terrestrial.nmea", "satellite.nmea"):
        digest = hashlib.sha256(next(out.glob(f"scenario-*/{name}")).read_bytes()).hexdigest()
        assert digest in h
    assert "entry_distance_m" in h and "harborwatch 0." in h and "SIMULATED" in h


def test_map_and_charts_render_in_headless_chromium(report, chromium, tmp_path):
    exe, args = chromium
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (dev extra)")
    out, f = report
    url = Path(f["report"]["html"]).resolve().as_uri()
    outside = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(r):
            if not r.request.url.startswith("file:"):
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.goto(url)
        sizes = page.evaluate("""() => ['map', 'weekly'].map(id => {
            const e = document.getElementById(id); const b = e.getBoundingClientRect();
            return {w: b.width, h: b.height, paths: e.querySelectorAll('path').length}; })""")
        for s in sizes:
            assert s["w"] > 300 and s["h"] > 200 and s["paths"] > 20, sizes
        # the vessel filter shows only that vessel's events
        first = page.evaluate("() => document.querySelector('#events tbody tr').dataset.mmsi")
        page.fill("#vfilter", first)
        shown = int(page.inner_text("#shown"))
        expected = page.evaluate(f"""() => [...document.querySelectorAll('#events tbody tr')]
            .filter(r => r.dataset.mmsi === '{first}' || r.dataset.mmsi2 === '{first}').length""")
        assert shown == expected > 0
        page.screenshot(path=str(tmp_path / "report.png"))
        browser.close()
    assert not outside, outside
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_watchlist_dossiers_section(report):
    """Screening's dossiers are a report section: every vessel with a hit has one, with its hits,
    the features that fired and its identity history, linked both ways with the vessel table."""
    out, f = report
    h = _html(report)
    dossier_files = sorted((out / "dossiers").glob("*.json"))
    assert dossier_files, "the demo screened no vessel"
    assert "<h2>Watchlist vessels</h2>" in h
    ids = set(re.findall(r'id="([^"]+)"', h))
    for p in dossier_files:
        m = p.stem
        assert f"dossier-{m}" in ids and f'href="#dossier-{m}"' in h and f'href="#vessel-{m}"' in h
    section = h.split("<h2>Watchlist vessels</h2>", 1)[1].split("<h2>", 1)[0]
    assert "SIMULATED-RASON" in section and "imo: " in section and "Identity history" in section
    assert section.count('class="dossier"') == len(dossier_files)
