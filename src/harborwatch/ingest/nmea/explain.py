"""Why the NMEA reader rejected a line: the field and a sentence for the quarantine table.

The kernels give a reason code per line; only the few rejected lines are explained here, from
their raw text, so a reader of the quarantine sees the expected and computed checksums, or what
the line holds instead of a sentence. :func:`explain_all` explains a batch's rejected lines at
once: it calls :func:`explain` once per distinct value of what the explanation reads, which for
most reasons is a field or two of the sentence, not the whole line (a feed's rejected lines are
mostly a few kinds: 53k empty payloads in the decode benchmark's 1M lines took 0.15 s one by one).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.ingest.validate import first_occurrences

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


#: What :func:`explain` reads of a line, by reason, besides the reason and the sentence's field
#: count: the sentence's fields (by index), and whether it reads the group's line count. Other
#: reasons read the whole line.
_READS: dict[str, tuple[tuple[int, ...], bool]] = {
    "malformed_sentence": ((), False),
    "bad_fill_bits": ((6,), False),
    "bad_fragment_fields": ((1, 2), False),
    "bad_payload_character": ((5,), False),
    "empty_payload": ((5,), False),
    "payload_too_short": ((5,), False),
    "multipart_incomplete": ((1, 2), True),
    "multipart_out_of_order": ((1, 2), True),
}


def explain_all(raw: pa.Array, reasons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[explain(r or "", reason) for r, reason in zip(raw, reasons)]`` as two object arrays
    (fields, details), with :func:`explain` called once per distinct key: the reason, the
    sentence's field count, and what :data:`_READS` says that reason reads (the whole line and
    the group's line count for any other reason). The fields are cut here as :func:`_fields`
    cuts them (tested to agree)."""
    n = len(raw)
    fields, details = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    if n == 0:
        return fields, details
    text = pc.fill_null(raw, "")
    # the first line's sentence, to its checksum's '*' (null: none)
    sentence = pc.struct_field(pc.extract_regex(text, "^[^\n]*?(?P<s>" + _SENTENCE.pattern + "[^*\n]*)"), [0])
    split = pc.split_pattern(sentence, ",")
    nf = pc.fill_null(pc.list_value_length(split), 0).to_numpy(zero_copy_only=False)
    starts = np.asarray(split.offsets)[:-1]  # a null list's offset is where the next one starts
    values = split.values if len(split.values) else pa.array([""])  # a fresh array: offsets from 0
    kind, names = pd.factorize(reasons)
    keys = [kind, nf]
    for k in (1, 2, 5, 6):
        used = np.isin(kind, [i for i, r in enumerate(names) if k in _READS.get(r, ((), False))[0]])
        keys.append(_codes(values, np.where(used & (nf > k), starts + k, -1)))
    whole = ~np.isin(names, list(_READS))[kind]
    if whole.any():
        line = pc.struct_field(pc.extract_regex(text, r"^(?P<l>[^\n]*)"), [0])
        keys.append(_codes(line, np.where(whole, np.arange(n), -1)))
    lines = whole | np.isin(names, [r for r, (_, g) in _READS.items() if g])[kind]
    if lines.any():
        keys.append(np.where(lines, pc.count_substring(text, "\n").to_numpy(zero_copy_only=False), -1))
    # one code per distinct key, numbered as they first appear (each step keeps codes below n)
    code = np.asarray(kind, np.int64)
    for key in keys[1:]:
        part = np.asarray(key, np.int64)
        code = pd.factorize(code * (int(part.max()) + 2) + (part + 1))[0].astype(np.int64)
    first = np.flatnonzero(first_occurrences(code))
    table = np.array([explain(text[int(i)].as_py(), str(reasons[i])) for i in first], dtype=object)
    fields[:], details[:] = table[code, 0], table[code, 1]
    return fields, details


def _codes(strings: pa.Array, at: np.ndarray) -> np.ndarray:
    """A code per row for ``strings[at]`` (equal strings, equal codes), -1 where ``at`` is -1."""
    got = pc.dictionary_encode(strings.take(pa.array(np.where(at >= 0, at, 0))))
    return np.where(at >= 0, got.indices.to_numpy(zero_copy_only=False), -1)


__all__ = ["explain", "explain_all"]
