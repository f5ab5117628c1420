"""`harborwatch serve`: the startup line with the URL, loopback by default, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from harborwatch.cli.main import app

pytest.importorskip("uvicorn", reason="the web service needs the serve extra")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_its_url_and_answers(small_store):
    port = _free_port()
    p = subprocess.Popen([sys.executable, "-m", "harborwatch.cli.main", "serve", "--store", str(small_store),
                          "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line and "/docs" in line
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and p.poll() is None, p.stderr.read()
                time.sleep(0.1)
        assert r.json()["status"] == "ok" and r.json()["reviews_writable"] is False
    finally:
        p.terminate()
        p.wait(timeout=20)


def test_serve_errors_name_the_problem(tmp_path, small_store):
    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "nowhere")])
    assert r.exit_code != 0 and "no harborwatch store here" in str(r.exception)
    bad = tmp_path / "tokens.txt"
    bad.write_text("bob:short\n")
    r = CliRunner().invoke(app, ["serve", "--store", str(small_store), "--token-file", str(bad)])
    assert r.exit_code != 0 and "token shorter than 16" in str(r.exception) and "tokens.txt:1" in str(r.exception)
