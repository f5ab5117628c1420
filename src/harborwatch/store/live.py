"""Live NMEA feeds into the store: ``harborwatch listen tcp://HOST:PORT | udp://[HOST]:PORT``.

AIS-catcher, rtl-ais, AISHub and shore stations serve NMEA over TCP or UDP. A :class:`Listener`
reads the stream, decodes it incrementally
(:class:`~harborwatch.ingest.nmea.reader.IncrementalReader`: a sentence group split across
reads is kept until it is complete) and commits a micro-batch every ``batch_s`` seconds with the
same normalisation and accounting as a file: ``records_in = stored + quarantined + duplicates``
per batch, on one ``ingest_files`` row for the session (``file`` = the URL).

**Single writer, short transactions.** DuckDB lets one process hold a store for writing. The
listener opens the store only to commit a batch and closes it at once, so ``sql``, ``events``
and ``report`` run while it listens: a process that finds the store busy waits for the commit
(:meth:`~harborwatch.store.store.Store.open` polls for up to 30 s), and the listener keeps its
batch in memory while a reader holds the store, committing it when the store is free again.

**Connections.** TCP reconnects with exponential backoff (0.5 s doubling to ``max_backoff_s``).
A line cut by a dropped connection is ended there and read like any other line, so it is
quarantined with its reason (nothing vanishes); the sender's next line starts afresh.

**Times.** Lines that carry no time (no tag block, no receiver time after the checksum) get the
time they arrived, appended after the checksum as receivers such as AIS-catcher write it
(``*hh,1690000000.123``), so the raw text shows where the time came from.

**Stopping.** :meth:`Listener.stop` (Ctrl-C or SIGTERM in the CLI) ends the loop; the last
batch, with any line still open, is committed and the session's row is marked complete.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harborwatch.core.errors import InputFileError, StoreError
from harborwatch.ingest.nmea.reader import IncrementalReader
from harborwatch.ingest.records import Decoded, NormalizeOptions, normalize
from harborwatch.store.store import Store


@dataclass(frozen=True)
class ListenOptions:
    """``batch_s``: seconds between commits; ``stamp``: give untimed lines their arrival time;
    ``receiver``: terrestrial, satellite or unknown; ``max_backoff_s``: the longest wait
    between reconnection attempts; ``connect_timeout_s``: to give up one attempt."""

    batch_s: float = 5.0
    stamp: bool = True
    receiver: str = "unknown"
    max_backoff_s: float = 30.0
    connect_timeout_s: float = 5.0


@dataclass
class ListenStatus:
    """What the session has done so far (the CLI's live status line)."""

    url: str
    connected: bool = False
    connections: int = 0
    bytes: int = 0
    lines: int = 0
    batches: int = 0
    records_in: int = 0
    stored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    pending_batches: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Lines per second since the start."""
        return self.lines / max(time.monotonic() - self.started, 1e-9)


def parse_url(url: str) -> tuple[str, str, int]:
    """(``tcp`` or ``udp``, host, port) of ``tcp://HOST:PORT`` or ``udp://[HOST]:PORT``."""
    u = urlsplit(url)
    if u.scheme not in ("tcp", "udp") or u.port is None:
        raise InputFileError(f"{url!r}: expected tcp://HOST:PORT or udp://[HOST]:PORT",
                             hint="e.g. tcp://127.0.0.1:10110 (AIS-catcher) or udp://:10110")
    host = u.hostname or ("0.0.0.0" if u.scheme == "udp" else "127.0.0.1")
    return u.scheme, host, u.port


def stamp_lines(block: bytes, t: float) -> bytes:
    """Complete lines of ``block`` with the arrival time ``t`` appended to those that carry none."""
    out = []
    suffix = f",{t:.3f}".encode()
    for line in block.split(b"\n"):
        body = line.rstrip(b"\r")
        star = body.rfind(b"*")
        start = max(body.find(b"!"), body.find(b"$"))
        # no tag-block time before the sentence, nothing after its checksum
        untimed = star > start >= 0 and len(body) == star + 3 and b"c:" not in body[:start]
        out.append(body + suffix + line[len(body):] if untimed else line)
    return b"\n".join(out)


class Listener:
    """One listening session into the store at ``store_dir``; :meth:`run` blocks until
    :meth:`stop`."""

    def __init__(self, store_dir: str | Path, url: str, opt: ListenOptions | None = None,
                 on_status: Callable[[ListenStatus], None] | None = None) -> None:
        self.store_dir = Path(store_dir)
        self.url = url
        self.kind, self.host, self.port = parse_url(url)
        self.opt = opt or ListenOptions()
        self.on_status = on_status or (lambda s: None)
        self.status = ListenStatus(url)
        self.run_id = uuid.uuid4().hex[:12]
        self._stop = threading.Event()
        self._reader = IncrementalReader()
        self._sha = hashlib.sha256()
        self._waiting: list[Decoded] = []  # decoded batches not yet committed (store busy)
        self._nopt = NormalizeOptions(source_file=url, receiver=self.opt.receiver)

    def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict:
        """Listen until stopped; returns the session's accounting row."""
        with Store.open(self.store_dir) as st:
            st.start_file(self.run_id, self.url, "nmea")
        pending = bytearray()
        deadline = time.monotonic() + self.opt.batch_s
        for data in self._receive():
            if data:
                pending += data
            if time.monotonic() >= deadline or self._stop.is_set():
                self._commit(bytes(pending), final=self._stop.is_set())
                pending.clear()
                deadline = time.monotonic() + self.opt.batch_s
            if self._stop.is_set():
                break
        if pending or self._reader.carry or self._waiting:
            self._commit(bytes(pending), final=True)
        return self._finish()

    def _finish(self) -> dict:
        while True:
            try:
                with Store.open(self.store_dir) as st:
                    if self._waiting:
                        self._write(st)
                    return st.finish_file(self.run_id, self.url, self._sha.hexdigest())
            except StoreError:
                time.sleep(0.5)  # a reader holds the store: the session ends when it can be recorded

    def _commit(self, data: bytes, final: bool) -> None:
        if self.opt.stamp and data:
            data = stamp_lines(data, time.time())
        self._waiting += self._reader.feed(data, final=final)
        self.status.pending_batches = len(self._waiting)
        if self._waiting:
            try:
                with Store.open(self.store_dir, wait_s=min(self.opt.batch_s, 5.0)) as st:
                    self._write(st)
            except StoreError:
                pass  # busy: the batches wait in memory for the next commit
        self.on_status(self.status)

    def _write(self, st: Store) -> None:
        for d in self._waiting:
            nb = normalize(d, self._nopt)
            new = st.write_batch(nb.primary_tables(), {"static": nb.static_secondary,
                                                       "field_issues": nb.field_issues},
                                 {"run_id": self.run_id, "file": self.url, "records_in": nb.records_in,
                                  "mmsi_classes": dict(nb.mmsi_classes)})
            s = self.status
            n_q = new.get("quarantine", 0)
            n_s = sum(v for k, v in new.items() if k != "quarantine")
            s.records_in += nb.records_in
            s.stored += n_s
            s.quarantined += n_q
            s.duplicates += nb.records_in - n_s - n_q
            s.batches += 1
        self._waiting = []
        self.status.pending_batches = 0

    # ------------------------------------------------------------------ sockets
    def _receive(self) -> Iterator[bytes]:
        """Bytes as they arrive (b"" every ~0.2 s of silence, so the loop can commit and stop)."""
        if self.kind == "udp":
            yield from self._udp()
        else:
            yield from self._tcp()

    def _tcp(self) -> Iterator[bytes]:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.opt.connect_timeout_s)
            except OSError:
                self.status.connected = False
                self.on_status(self.status)
                until = time.monotonic() + backoff
                while time.monotonic() < until:  # wait, but let the loop commit and stop meanwhile
                    if self._stop.wait(min(0.2, max(until - time.monotonic(), 0.0))):
                        return
                    yield b""
                backoff = min(backoff * 2, self.opt.max_backoff_s)
                continue
            backoff = 0.5
            self.status.connected = True
            self.status.connections += 1
            sock.settimeout(0.2)
            last = b"\n"
            with sock:
                while not self._stop.is_set():
                    try:
                        data = sock.recv(1 << 16)
                    except TimeoutError:
                        yield b""
                        continue
                    except OSError:
                        data = b""
                    if not data:  # the sender closed or dropped the connection
                        break
                    self._count(data)
                    last = data[-1:]
                    yield data
            self.status.connected = False
            if last != b"\n":
                yield b"\n"  # a line cut by the drop ends here (and is quarantined for what it is)

    def _udp(self) -> Iterator[bytes]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.settimeout(0.2)
            self.status.connected = True
            while not self._stop.is_set():
                try:
                    data, _ = sock.recvfrom(1 << 16)
                except TimeoutError:
                    yield b""
                    continue
                whole = data if data.endswith(b"\n") else data + b"\n"  # a datagram holds whole sentences
                self._count(data, whole.count(b"\n"))
                yield whole

    def _count(self, data: bytes, lines: int | None = None) -> None:
        """Hashes the bytes as received; ``lines`` where they end in a line the bytes do not close."""
        self._sha.update(data)
        self.status.bytes += len(data)
        self.status.lines += data.count(b"\n") if lines is None else lines


__all__ = ["ListenOptions", "ListenStatus", "Listener", "parse_url", "stamp_lines"]
