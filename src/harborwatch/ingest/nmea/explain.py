"""Why the NMEA reader rejected a line: the field and a sentence for the quarantine table.

The kernels give a reason code per line; only the few rejected lines are explained here, from
their raw text, so a reader of the quarantine sees the expected and computed checksums, or what
the line holds instead of a sentence.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[!$][A-Z]{2}VD[MO],")


def _xor(text: str) -> int:
    cs = 0
    for ch in text:
        cs ^= ord(ch)
    return cs


def _show(text: str, n: int = 40) -> str:
    t = text.strip()
    return repr(t[:n] + ("..." if len(t) > n else ""))


def _checksum(line: str) -> tuple[str | None, str | None]:
    m = _SENTENCE.search(line)
    star = line.find("*", m.start()) if m else -1
    if m is None or star < 0:
        return "checksum", "no checksum found"
    given = line[star + 1:star + 3]
    return "checksum", f"checksum *{given} given, *{_xor(line[m.start() + 1:star]):02X} computed over the sentence"


def _tag_checksum(line: str) -> tuple[str | None, str | None]:
    if not line.startswith("\\"):
        return "tag_block", "no tag block"
    end = line.find("\\", 1)
    block = line[1:end] if end > 0 else line[1:]
    star = block.rfind("*")
    if star < 0:
        return "tag_block", f"tag block {_show(block)} has no checksum"
    return "tag_block", (f"tag block checksum *{block[star + 1:star + 3]} given, *{_xor(block[:star]):02X} "
                         "computed over the tag block")


def _fields(line: str) -> list[str]:
    m = _SENTENCE.search(line)
    if m is None:
        return []
    star = line.find("*", m.start())
    return line[m.start():star if star > 0 else len(line)].split(",")


def explain(raw: str, reason: str) -> tuple[str | None, str | None]:
    """(field, detail) of a line (a group: its lines joined by newlines) rejected for ``reason``."""
    line = raw.split("\n", 1)[0]
    f = _fields(line)
    if reason == "bad_checksum":
        return _checksum(line)
    if reason == "bad_tag_block_checksum":
        return _tag_checksum(line)
    if reason == "not_nmea":
        return None, f"no !xxVDM or !xxVDO sentence on the line (it reads {_show(line)})"
    if reason == "malformed_sentence":
        return None, f"an AIS sentence has 7 fields up to the checksum; this one has {len(f)}" if f else \
            "the sentence is cut before its checksum"
    if reason == "bad_fill_bits" and len(f) >= 7:
        return "fill_bits", f"fill bits {f[6]!r}; expected 0 to 5"
    if reason == "bad_fragment_fields" and len(f) >= 3:
        return "fragment", f"fragment count {f[1]!r} and number {f[2]!r} must be digits 1-9, number <= count"
    if reason in ("bad_payload_character", "empty_payload", "payload_too_short") and len(f) >= 6:
        what = {"bad_payload_character": "holds characters outside the 6-bit armouring alphabet",
                "empty_payload": "is empty", "payload_too_short": "is too short for its message type"}[reason]
        return "payload", f"payload {_show(f[5], 30)} {what}"
    if reason in ("multipart_incomplete", "multipart_out_of_order"):
        parts = raw.count("\n") + 1
        frag = f"fragment {f[2]} of {f[1]}" if len(f) >= 3 else "a fragment"
        what = ("its other fragments never arrived (or came more than 200 lines later)"
                if reason == "multipart_incomplete" else "its fragments arrived out of order")
        return "fragment", f"{frag}, {parts} line(s) of the group read: {what}"
    return None, None


__all__ = ["explain"]
