"""Checks on decoded records that do not reject them: plausible times, and optional fields that
cannot be used (stored as null and counted, never nulled silently).

A record is quarantined only when what makes it a record is bad: its MMSI, its time, and its
position for a position report. Any other field that does not parse or lies outside its range
becomes null, and becomes one row of the ``field_issues`` table naming the field, the reason
and the value as read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from harborwatch.core import schema as S
from harborwatch.ingest.validate import hash_text, mix_array

TS_MISSING = np.iinfo(np.int64).min
#: Times before this (2000-01-01 UTC) are implausible for AIS (``--min-time`` changes it).
MIN_TIME_MS = 946_684_800_000
#: Times more than this after the ingest's clock are implausible (``--max-time`` sets a bound).
MAX_FUTURE_MS = 86_400_000

#: Reasons of field issues.
NOT_A_NUMBER, NOT_AN_INTEGER, BAD_TIME, OUT_OF_RANGE = "not_a_number", "not_an_integer", "bad_time", "out_of_range"
#: A text field with bytes that are not UTF-8 (read with U+FFFD in their place, then nulled).
NOT_UTF8 = "not_utf8"


@dataclass
class FieldIssue:
    """Rows whose ``field`` could not be used, why, and each row's value as read."""

    rows: np.ndarray
    field: str
    reason: str
    values: list[str]


def time_bounds(min_ms: int | None, max_ms: int | None) -> tuple[int, int]:
    """(earliest, latest) plausible epoch ms: the options, else 2000-01-01 and a day after now."""
    lo = MIN_TIME_MS if min_ms is None else min_ms
    hi = int(time.time() * 1000) + MAX_FUTURE_MS if max_ms is None else max_ms
    return lo, hi


def implausible(ts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Times given (not missing) that lie outside [lo, hi]."""
    return (ts != TS_MISSING) & ((ts < lo) | (ts > hi))


def _iso(ms: int) -> str:
    try:
        return np.datetime64(int(ms), "ms").astype("datetime64[s]").astype(str) + "Z"
    except (OverflowError, ValueError):
        return "out of the calendar"


def time_detail(ms: int, lo: int, hi: int, source: str) -> str:
    """Why a time is implausible, naming where it was read."""
    where = f"{source} = {ms} ms ({_iso(ms)})"
    if ms < lo:
        return f"{where} is before {_iso(lo)}; pass --min-time to accept earlier times"
    return f"{where} is after {_iso(hi)}; pass --max-time to accept later times"


def range_issues(bits: np.ndarray, ok: np.ndarray, fields: tuple[str, ...], value_of) -> list[FieldIssue]:
    """Field issues of the records ``ok`` whose bit ``j`` is set (field ``fields[j]`` out of
    range); ``value_of(field, rows)`` gives the values as read."""
    out: list[FieldIssue] = []
    if not bits.any():
        return out
    for j, f in enumerate(fields):
        rows = np.flatnonzero(ok & ((bits >> np.uint32(j)) & np.uint32(1)).astype(bool))
        if len(rows):
            out.append(FieldIssue(rows, f, OUT_OF_RANGE, value_of(f, rows)))
    return out


def issues_table(issues: list[FieldIssue], stored: np.ndarray, record_hash: np.ndarray, refs: np.ndarray,
                 source_file: str) -> pa.Table:
    """The ``field_issues`` rows of the records stored (``stored``); each keyed by the hash of its
    record and field, so re-ingesting a file (or a copy of it) adds none."""
    parts = []
    for fi in issues:
        keep = stored[fi.rows]
        rows = fi.rows[keep]
        if not len(rows):
            continue
        vals = [v for v, k in zip(fi.values, keep, strict=True) if k]
        fname = pa.array([fi.field], pa.string())
        h = mix_array(record_hash[rows], np.full(len(rows), hash_text(fname)[0], np.uint64))
        parts.append(pa.table({
            "source_file": pa.array([source_file] * len(rows), pa.string()),
            "source_ref": pa.array(refs[rows], pa.int64()),
            "field": pa.array([fi.field] * len(rows), pa.string()),
            "reason": pa.array([fi.reason] * len(rows), pa.string()),
            "value": pa.array(vals, pa.string()),
            "record_hash": pa.array(h, pa.uint64()),
        }, schema=S.FIELD_ISSUES))
    return pa.concat_tables(parts) if parts else S.FIELD_ISSUES.empty_table()


__all__ = ["BAD_TIME", "MIN_TIME_MS", "NOT_AN_INTEGER", "NOT_A_NUMBER", "OUT_OF_RANGE", "FieldIssue", "implausible",
           "issues_table", "range_issues", "time_bounds", "time_detail"]
