"""Screenshot of the `harborwatch serve` map (for the README): starts the server on a store, opens
the page in headless Chromium, loads a vessel's track, opens a dark-vessel popup with its chip.

    python docs/map_screenshot.py harborwatch-demo/store docs/map.png
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import httpx
from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(base: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            sys.exit("the server stopped")
        try:
            httpx.get(base + "/api/health", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit("the server did not start")


def shoot(base: str, png: str, exe: str) -> None:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        page.wait_for_function("() => window.hw && window.hw.ready", timeout=120_000)
        # a vessel with a watchlist hit: its track
        hit = httpx.get(base + "/api/events?type=watchlist_vessel_at_site&limit=1").json()["features"]
        if hit:
            page.fill("#vsearch", str(hit[0]["properties"]["mmsi"]))
            page.locator("#vresults li[data-mmsi]").first.click()
            page.wait_for_function("() => window.hw.track > 0", timeout=60_000)
        # a dark vessel near Rajin: its popup with the radar chip
        n = page.evaluate("() => hw.loads")
        page.evaluate("() => map.jumpTo({center: [130.32, 42.22], zoom: 9})")
        page.wait_for_function(f"() => hw.loads > {n} && map.loaded() && !map.isMoving()", timeout=60_000)
        xy = page.evaluate("""() => { const f = map.queryRenderedFeatures({layers: ['dark']})[0];
            if (!f) return null; const p = map.project(f.geometry.coordinates);
            const r = map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""")
        if xy:
            page.mouse.click(xy[0], xy[1])
            page.locator(".maplibregl-popup .popup h3").wait_for(timeout=30_000)
            page.wait_for_timeout(500)
        page.screenshot(path=png)
        b.close()


def main(store: str, png: str) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("no Chromium on PATH (Debian package chromium)")
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "harborwatch.cli.main", "serve", "--store", store,
                               "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        _wait(base, server)
        shoot(base, png, exe)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
