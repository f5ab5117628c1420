"""`harborwatch listen` as a user runs it: another process reads the store while it listens, and
SIGTERM stops it with the last batch committed."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from test_live import _line  # type: ignore[import-not-found]


def _exe() -> list[str]:
    beside = Path(sys.executable).parent / "harborwatch"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "harborwatch.cli.main"]


@pytest.mark.slow
def test_listen_while_another_process_reads_then_sigterm(tmp_path: Path):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port = srv.getsockname()[1]
    sent = threading.Event()

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()
            with conn:
                for k in range(80):
                    conn.sendall(_line(k))
                    time.sleep(0.05)
                sent.set()
                time.sleep(30)  # keep the connection open: the listener is stopped by SIGTERM

    threading.Thread(target=serve, daemon=True).start()
    store = tmp_path / "s"
    lis = subprocess.Popen([*_exe(), "listen", f"tcp://127.0.0.1:{port}", "--store", str(store), "--batch-s", "0.3"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        seen = 0
        while time.monotonic() < deadline and not seen:  # another process reads while it listens
            time.sleep(0.5)
            if not (store / "harborwatch.duckdb").exists():
                continue
            r = subprocess.run([*_exe(), "sql", "SELECT count(*) AS n FROM positions", "--store", str(store),
                                "--format", "csv"], capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            seen = int(r.stdout.split()[-1])
        assert seen > 0
        assert sent.wait(30)
        time.sleep(1.0)
        lis.send_signal(signal.SIGTERM)
        out, err = lis.communicate(timeout=60)
    finally:
        if lis.poll() is None:
            lis.kill()
    assert lis.returncode == 0, err
    assert "80 records: 80 stored, 0 quarantined, 0 duplicates" in out
    r = subprocess.run([*_exe(), "store", "info", "--store", str(store), "--json"], capture_output=True, text=True)
    assert '"incomplete": 0' in r.stdout and '"positions": 80' in r.stdout
