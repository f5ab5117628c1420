"""`listen`: a live feed from a local socket server that drops the connection mid-stream loses
and duplicates nothing; readers work while it listens; it stops cleanly."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from harborwatch.core.errors import InputFileError
from harborwatch.store import Store
from harborwatch.store.live import Listener, ListenOptions, parse_url, stamp_lines

PAYLOAD = "15M67FC000G?ufbE`FepT@3n00Sa"


def _cs(text: str) -> str:
    c = 0
    for ch in text:
        c ^= ord(ch)
    return f"{c:02X}"


def _line(k: int) -> bytes:
    """A position report with a tag-block time of its own (one a minute)."""
    tag = f"c:{1690000000 + 60 * k}"
    body = f"AIVDM,1,1,,A,{PAYLOAD},0"
    return f"\\{tag}*{_cs(tag)}\\!{body}*{_cs(body)}\n".encode()


class DroppingServer:
    """Serves ``n`` lines over TCP: the first connection is dropped in the middle of line ``cut``;
    the second sends line ``cut`` again, whole, and the rest."""

    def __init__(self, n: int, cut: int) -> None:
        self.n, self.cut = n, cut
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.sock:
            conn, _ = self.sock.accept()
            with conn:
                for k in range(self.cut):
                    conn.sendall(_line(k))
                    time.sleep(0.002)
                conn.sendall(_line(self.cut)[:25])  # the connection drops in the middle of a line
            conn, _ = self.sock.accept()  # the listener reconnects
        # The server stops listening before it sends the rest: a listening socket left open while the
        # second connection closes would let the kernel accept the listener's next reconnection into its
        # backlog, a third connection that a test run in CI once counted.
        with conn:
            for k in range(self.cut, self.n):
                conn.sendall(_line(k))
                time.sleep(0.002)
        self.done.set()


def _wait(cond, timeout_s: float = 20.0) -> None:
    """Waits for ``cond`` (a slow CI machine gets time; a fast one does not wait)."""
    deadline = time.monotonic() + timeout_s
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cond()


def _run(lis: Listener) -> tuple[threading.Thread, dict]:
    result: dict = {}
    t = threading.Thread(target=lambda: result.update(lis.run()), daemon=True)
    t.start()
    return t, result


def test_dropped_connection_loses_and_duplicates_nothing(tmp_path: Path):
    server = DroppingServer(n=60, cut=30)
    lis = Listener(tmp_path / "s", f"tcp://127.0.0.1:{server.port}", ListenOptions(batch_s=0.2))
    t, rep = _run(lis)
    assert server.done.wait(20)
    deadline = time.monotonic() + 20
    while lis.status.batches == 0 and time.monotonic() < deadline:  # a batch is committed while listening
        time.sleep(0.05)
    with Store.open(tmp_path / "s", read_only=True) as st:  # a reader while the listener runs
        during = st.sql("SELECT count(*) AS n FROM positions").column(0)[0].as_py()
    assert during > 0
    lis.stop()
    t.join(20)
    assert not t.is_alive() and rep["complete"]
    with Store.open(tmp_path / "s", read_only=True) as st:
        times = st.sql("SELECT epoch_ms(timestamp) // 1000 AS t FROM positions ORDER BY t").column(0).to_pylist()
        q = st.sql("SELECT reason, raw FROM quarantine").to_pylist()
    assert times == [1690000000 + 60 * k for k in range(60)]  # every line once, none twice
    assert len(q) == 1 and q[0]["raw"] == _line(30)[:25].decode()  # the cut line is kept, quarantined
    assert rep["records_in"] == 61 == rep["stored"] + rep["quarantined"] + rep["duplicates"]
    assert rep["duplicates"] == 0 and lis.status.connections == 2


def test_listener_waits_for_a_feed_and_stops_cleanly(tmp_path: Path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: the listener retries with backoff
    lis = Listener(tmp_path / "s", f"tcp://127.0.0.1:{port}", ListenOptions(batch_s=0.1, max_backoff_s=0.2))
    t, rep = _run(lis)
    time.sleep(0.6)
    lis.stop()
    t.join(10)
    assert not t.is_alive() and rep["complete"] and rep["records_in"] == 0


def test_udp_datagrams(tmp_path: Path):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    lis = Listener(tmp_path / "s", f"udp://127.0.0.1:{port}", ListenOptions(batch_s=0.1))
    t, rep = _run(lis)
    _wait(lambda: lis.status.connected)  # bound: a datagram sent before would be lost, as UDP loses it
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for k in range(5):
            tx.sendto(_line(k).rstrip(b"\n"), ("127.0.0.1", port))
    _wait(lambda: lis.status.lines >= 5)
    lis.stop()
    t.join(10)
    assert rep["stored"] == 5


def test_untimed_lines_get_their_arrival_time():
    body = f"AIVDM,1,1,,A,{PAYLOAD},0"
    untimed = f"!{body}*{_cs(body)}\n".encode()
    stamped = stamp_lines(untimed + _line(1), 1690000000.5)
    first, second = stamped.split(b"\n")[:2]
    assert first.endswith(b",1690000000.500") and second == _line(1).rstrip(b"\n")


def test_bad_urls():
    assert parse_url("tcp://10.0.0.5:10110") == ("tcp", "10.0.0.5", 10110)
    assert parse_url("udp://:10110") == ("udp", "0.0.0.0", 10110)
    for bad in ("http://x:1", "tcp://host", "10110"):
        with pytest.raises(InputFileError):
            parse_url(bad)
