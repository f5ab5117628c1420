"""A small store with events, positions, estimates and one radar chip, and a client of its server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("fastapi", reason="the web service needs the serve extra (pip install -e .[dev])")

from harborwatch.core.ids import content_id
from harborwatch.events.schema import EVENTS

TOKEN = "s3cret-token-for-tests-0123456789"


def _dark_event(chip: Path) -> pa.Table:
    attrs = {"detection_id": "8f37f432571a07fc75fecbf2", "chip_png": str(chip), "length_m": 60.0, "score": 0.86}
    row = {"event_id": content_id("dark_vessel", "test-chip"), "type": "dark_vessel", "mmsi": 0, "mmsi_2": None,
           "start": datetime(2023, 8, 1, 21, 20, tzinfo=UTC), "end": datetime(2023, 8, 1, 21, 20, tzinfo=UTC),
           "lat": 42.23, "lon": 130.30, "site_id": "kp-rajin", "confidence": 2, "attributes": json.dumps(attrs),
           "parameters": "{}", "evidence_count": 0, "evidence": []}
    return pa.Table.from_pylist([row], schema=EVENTS)


@pytest.fixture(scope="session")
def served(tmp_path_factory, store_maker) -> dict:
    from PIL import Image
    from typer.testing import CliRunner

    from harborwatch.cli.main import app
    from harborwatch.store import Store

    d = tmp_path_factory.mktemp("serve")
    store = store_maker(d)
    r = CliRunner().invoke(app, ["estimate", "--store", str(store), "--out", str(d / "estimates")])
    assert r.exit_code == 0, r.output
    chip = d / "chips" / "8f37f432571a07fc75fecbf2.png"
    chip.parent.mkdir()
    Image.new("L", (24, 24), 40).save(chip)
    with Store.open(store) as st:
        st.put_rows("events", _dark_event(chip), "event_id")
    tokens = d / "tokens.txt"
    tokens.write_text(f"# reviewers\nalice:{TOKEN}\n")
    return {"store": store, "tokens": tokens, "dir": d}


@pytest.fixture()
def client(served, tmp_path):
    from fastapi.testclient import TestClient

    from harborwatch.serve import ServeOptions
    from harborwatch.serve.app import create_app

    opts = ServeOptions(store=served["store"], token_file=served["tokens"], reviews=tmp_path / "reviews.sqlite",
                        bundles=tmp_path / "bundles")
    with TestClient(create_app(opts)) as c:
        yield c


@pytest.fixture(scope="session")
def live_server(served, tmp_path_factory):
    """A real uvicorn server on a free loopback port, in a thread: its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from harborwatch.serve import ServeOptions
    from harborwatch.serve.app import create_app

    d = tmp_path_factory.mktemp("live")
    opts = ServeOptions(store=served["store"], token_file=served["tokens"], reviews=d / "reviews.sqlite",
                        bundles=d / "bundles")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(opts), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
