"""Analysts' reviews of events, and the bearer tokens that may write them.

Reviews live in their own SQLite file (default ``<store>/reviews.sqlite``), not in the store: the
server holds the store read-only, and a review is the analyst's judgement, not a derived fact.
Reviews are appended, never overwritten: an event's status is its latest review, and the history
says who decided what and when. A review's id is the content id of what it says.

The token file holds one token per line, ``name:token`` (the name is recorded as the reviewer) or
a bare token (recorded as ``analyst``); blank lines and ``#`` comments are skipped. Tokens are
compared as SHA-256 digests with :func:`hmac.compare_digest`, against every entry, so the time a
check takes says nothing about how much of a token was right.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harborwatch.core.errors import DataError, InputFileError
from harborwatch.core.ids import content_id

STATUSES = ("confirmed", "rejected", "needs_review")
MAX_NOTE_CHARS = 2000
#: shortest token accepted in a token file
MIN_TOKEN_CHARS = 16


@dataclass(frozen=True)
class Tokens:
    """(reviewer name, SHA-256 of the token) pairs read from a token file."""

    entries: tuple[tuple[str, bytes], ...]

    @classmethod
    def read(cls, path: str | Path) -> Tokens:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise InputFileError(f"{p}: cannot read the token file ({e.strerror})") from e
        entries = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, token = line.rpartition(":")
            name = name.strip() or "analyst"
            if len(token) < MIN_TOKEN_CHARS:
                raise DataError(f"token shorter than {MIN_TOKEN_CHARS} characters", source=str(p), ref=n,
                                hint="make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
            entries.append((name, hashlib.sha256(token.encode()).digest()))
        if not entries:
            raise DataError("no token in the token file", source=str(p))
        return cls(tuple(entries))

    def who(self, token: str) -> str | None:
        """The name of the entry whose token this is, or None. Checks every entry."""
        given = hashlib.sha256(token.encode()).digest()
        found = None
        for name, digest in self.entries:
            if hmac.compare_digest(given, digest):
                found = name
        return found


class ReviewLog:
    """The reviews of one server, in a SQLite file (thread-safe: one lock around the connection)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._con = sqlite3.connect(self.path, check_same_thread=False)
            self._con.execute("CREATE TABLE IF NOT EXISTS reviews (review_id TEXT PRIMARY KEY, event_id TEXT NOT "
                              "NULL, status TEXT NOT NULL, note TEXT NOT NULL, reviewer TEXT NOT NULL, "
                              "created_at TEXT NOT NULL)")
            self._con.execute("CREATE INDEX IF NOT EXISTS reviews_event ON reviews (event_id, created_at)")
            self._con.commit()
        except sqlite3.Error as e:
            raise InputFileError(f"{self.path}: cannot open the reviews database ({e})",
                                 hint="give a writable file with --reviews") from e
        self._lock = threading.Lock()

    def add(self, event_id: str, status: str, note: str, reviewer: str, now: datetime | None = None) -> dict:
        if status not in STATUSES:
            raise DataError(f"status must be one of {', '.join(STATUSES)}, not {status!r}", field="status")
        if len(note) > MAX_NOTE_CHARS:
            raise DataError(f"note longer than {MAX_NOTE_CHARS} characters", field="note")
        at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        row = {"review_id": content_id("review", event_id, status, note, reviewer, at), "event_id": event_id,
               "status": status, "note": note, "reviewer": reviewer, "created_at": at}
        with self._lock:
            self._con.execute("INSERT OR IGNORE INTO reviews VALUES (:review_id, :event_id, :status, :note, "
                              ":reviewer, :created_at)", row)
            self._con.commit()
        return row

    def list(self, event_id: str | None = None, limit: int = 1000) -> list[dict]:
        """Reviews, newest first; of one event when ``event_id`` is given."""
        q = "SELECT review_id, event_id, status, note, reviewer, created_at FROM reviews"
        args: list = []
        if event_id:
            q += " WHERE event_id = ?"
            args.append(event_id)
        q += " ORDER BY created_at DESC, review_id LIMIT ?"
        with self._lock:
            rows = self._con.execute(q, [*args, limit]).fetchall()
        keys = ("review_id", "event_id", "status", "note", "reviewer", "created_at")
        return [dict(zip(keys, r)) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._con.close()


__all__ = ["MAX_NOTE_CHARS", "STATUSES", "ReviewLog", "Tokens"]
