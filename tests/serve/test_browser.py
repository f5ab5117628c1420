"""The map page in headless Debian Chromium, every request beyond the test server blocked."""

from __future__ import annotations

import pytest


def test_map_renders_layers_load_and_an_event_click_opens_its_popup(live_server, chromium, tmp_path):
    exe, args = chromium
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (dev extra)")
    outside, problems = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 860})

        def route(r):
            if not r.request.url.startswith((live_server, "data:", "blob:")):
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(live_server + "/")
        page.wait_for_function("() => window.hw && window.hw.ready", timeout=60_000)
        hw = page.evaluate("() => window.hw")
        assert hw["basemap"] and hw["sites"] > 0 and hw["events"] == 8 and not hw["errors"], hw
        canvas = page.evaluate("() => { const c = document.querySelector('#map canvas'); return c && "
                               "[c.width, c.height]; }")
        assert canvas and canvas[0] > 300 and canvas[1] > 200
        # every layer is on the map with its data
        layers = page.evaluate("() => ['land-world', 'land-region', 'sites', 'track', 'events', 'dark']"
                               ".filter(id => map.getLayer(id))")
        assert layers == ["land-world", "land-region", "sites", "track", "events", "dark"]
        assert page.evaluate("() => map.querySourceFeatures('events').length") > 0
        assert page.locator("#chart polyline.estimate").count() == 1
        # click the gap event: its popup shows the event, its evidence and the bundle link
        loads = page.evaluate("() => { const f = map.querySourceFeatures('events').find(f => f.properties.type "
                              "=== 'gap'); map.jumpTo({center: f.geometry.coordinates, zoom: 9}); return hw.loads; }")
        # the move reloads the events in view: wait for that, then for the map to settle
        page.wait_for_function(f"() => hw.loads > {loads} && map.loaded() && !map.isMoving()", timeout=30_000)
        page.wait_for_timeout(300)
        xy = page.evaluate("""() => {
            const f = map.querySourceFeatures('events').find(f => f.properties.type === 'gap');
            const p = map.project(f.geometry.coordinates); const r = map.getCanvas().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y, f.properties.event_id]; }""")
        page.mouse.click(xy[0], xy[1])
        popup = page.locator(".maplibregl-popup .popup h3")
        popup.wait_for(timeout=15_000)
        assert popup.inner_text() == "gap"
        text = page.inner_text(".maplibregl-popup")
        assert xy[2] in text and "evidence:" in text and "evidence bundle (zip)" in text
        assert page.get_attribute(".maplibregl-popup a[download]", "href") == f"/api/bundles/{xy[2]}"
        # vessel search finds the vessel and draws its track
        page.fill("#vsearch", "TEST TWO")
        page.locator("#vresults li[data-mmsi]").first.click()
        page.wait_for_function("() => window.hw.track === 60")
        assert "TEST TWO" in page.inner_text("#vessel")
        page.screenshot(path=str(tmp_path / "map.png"))
        browser.close()
    assert not outside, outside
    assert not problems, problems
    assert (tmp_path / "map.png").stat().st_size > 20_000
