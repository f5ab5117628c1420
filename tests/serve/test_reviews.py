"""Tokens and the review log."""

from __future__ import annotations

import pytest

from harborwatch.core.errors import DataError, InputFileError
from harborwatch.serve.reviews import ReviewLog, Tokens


def test_tokens_name_the_reviewer_and_refuse_everything_else(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# comment\n\nalice:aaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbb\nteam:lead:cccccccccccccccccccc\n")
    t = Tokens.read(f)
    assert t.who("aaaaaaaaaaaaaaaaaaaa") == "alice"
    assert t.who("bbbbbbbbbbbbbbbbbbbb") == "analyst"
    assert t.who("cccccccccccccccccccc") == "team:lead"
    for wrong in ("", "aaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa", "alice:aaaaaaaaaaaaaaaaaaaa",
                  "AAAAAAAAAAAAAAAAAAAA"):
        assert t.who(wrong) is None


def test_token_file_errors(tmp_path):
    with pytest.raises(InputFileError, match="cannot read"):
        Tokens.read(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(DataError, match="no token"):
        Tokens.read(tmp_path / "empty.txt")
    (tmp_path / "short.txt").write_text("ok:aaaaaaaaaaaaaaaaaaaa\nbob:short\n")
    with pytest.raises(DataError, match=r"short.txt:2: token shorter"):
        Tokens.read(tmp_path / "short.txt")


def test_review_log_keeps_history_newest_first(tmp_path):
    from datetime import UTC, datetime

    log = ReviewLog(tmp_path / "r.sqlite")
    a = log.add("e1", "needs_review", "", "alice", datetime(2024, 1, 1, tzinfo=UTC))
    b = log.add("e1", "confirmed", "imagery shows it", "bob", datetime(2024, 1, 2, tzinfo=UTC))
    log.add("e2", "rejected", "", "alice", datetime(2024, 1, 3, tzinfo=UTC))
    assert log.list("e1") == [b, a] and len(log.list()) == 3
    assert a["review_id"] != b["review_id"] and len(a["review_id"]) == 32
    with pytest.raises(DataError, match="status"):
        log.add("e1", "maybe", "", "alice")
    log.close()
    assert len(ReviewLog(tmp_path / "r.sqlite").list()) == 3
