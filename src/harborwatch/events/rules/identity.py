"""Identity events: changes in a vessel's static reports, IMO numbers across MMSIs, and second
hulls broadcasting one MMSI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.identifiers import mmsi_flag
from harborwatch.core.params import Params
from harborwatch.events.fixes import Tracks
from harborwatch.events.rows import EventRows, Scope, changes, empty_table, ranges
from harborwatch.events.schema import IDS
from harborwatch.geo.distance import haversine_m
from harborwatch.tracks.track import vessel_offsets

_ID_FIELDS = ("name", "imo", "callsign", "flag")


def _normalized(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list | None]:
    """Identity values as compared, coded: (code per row, value per code). Text is upper-cased
    with runs of white space made one space; empty text and IMO 0 ("not given") are null, code
    -1. Equal values share a code. Numbers are their own codes (value list None)."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        # static reports repeat a few values many times: normalise each distinct value once
        enc = col.dictionary_encode()
        d = enc.dictionary
        d = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_upper(d), r"\s+", " "))
        canon: dict[str, int] = {}
        remap = np.array([-1 if not v else canon.setdefault(v, len(canon)) for v in d.to_pylist()] + [-1], np.int64)
        idx = pc.fill_null(enc.indices, len(d)).to_numpy(zero_copy_only=False).astype(np.int64)
        return remap[idx], list(canon)
    x = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(x == 0, -1, x), None


def _value_runs(mmsi: np.ndarray, col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray, list]:
    """Runs of one vessel's equal consecutive non-null values, as :func:`_normalized` compares
    them: (row of first, row of last, value). ``col`` is ordered like ``mmsi``.

    Nulls are skipped (a report without the field neither confirms nor contradicts it). Static
    reports repeat the same text many times, so only the first row of each span of equal raw
    values of one vessel is normalised."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    new = changes(col)
    new[1:] |= mmsi[1:] != mmsi[:-1]
    heads = np.flatnonzero(new)
    ends = np.append(heads[1:], n) - 1  # last row of each span
    codes, values = _normalized(col.take(pa.array(heads)))
    ok = codes >= 0
    heads, ends, c = heads[ok], ends[ok], codes[ok]
    if len(heads) == 0:
        return heads, ends, []
    vm = mmsi[heads]
    start = np.ones(len(heads), bool)
    start[1:] = (c[1:] != c[:-1]) | (vm[1:] != vm[:-1])
    first = np.flatnonzero(start)
    last = np.append(first[1:], len(heads)) - 1
    firsts = c[first].tolist()
    return heads[first], ends[last], firsts if values is None else [values[k] for k in firsts]


@dataclass(frozen=True)
class Identity(Params):
    """Identity events from static reports (name, IMO, call sign, flag) and across MMSIs.

    Attributes:
        min_reports: a new value counts only once seen in at least this many reports
            (one garbled type 5 message is not a renaming). 2.
        min_hull_fixes: a second hull on one MMSI needs a segment of at least this many
            fixes overlapping the main track in time. 10.
    """

    section = "identity"

    min_reports: int = 2
    min_hull_fixes: int = 10

    def validate(self) -> None:
        self.at_least("min_reports", 1)
        self.at_least("min_hull_fixes", 1)

    def apply(self, static: pa.Table | None, scope: Scope, ev: EventRows) -> None:
        """``identity_change`` and ``invalid_imo`` events of a partition's static reports,
        ordered by (mmsi, timestamp, record_hash)."""
        if static is not None:
            _static_events(self, static, scope, ev)

    def across_mmsis(self, ids: pa.Table, scope: Scope) -> pa.Table:
        """``shared_imo`` and ``identity_change`` of MMSI from every partition's
        :func:`ids_summary` (on the driver), as RAW rows with ids."""
        return _across_mmsis(ids, scope)

    def hulls(self, tr: Tracks, scope: Scope, ev: EventRows) -> None:
        """``shared_mmsi``: a second hull's segment of at least ``min_hull_fixes`` fixes on an
        MMSI, with its separation from the main track at its middle fix."""
        if "shared_mmsi" not in scope.types:
            return
        fx, off, trk_mmsi, trk_hull = tr.fx, tr.fx.off, tr.trk_mmsi, tr.trk_hull
        t, lat, lon = fx.t, fx.lat, fx.lon
        for v in np.flatnonzero(trk_hull != 0).tolist():
            a, b = int(off[v]), int(off[v + 1])
            if b - a < self.min_hull_fixes:
                continue
            m = int(trk_mmsi[v])
            va = int(np.searchsorted(trk_mmsi, m))  # the main track of the vessel (hull 0 sorts first)
            mid = (a + b) // 2
            sep = None
            if trk_hull[va] == 0:
                ma, mb = int(off[va]), int(off[va + 1])
                k = ma + int(np.clip(np.searchsorted(t[ma:mb], t[mid]), 0, mb - ma - 1))
                sep = haversine_m(lat[mid], lon[mid], lat[k], lon[k])
            ev.add("shared_mmsi", m, int(t[a]), int(t[b - 1]), float(lat[mid]), float(lon[mid]), fx.refs[a:b], {
                "hull": int(trk_hull[v]), "fixes": b - a, "separation_m": sep,
            }, confidence=2 if sep is not None and sep > 50_000 else 1)


def _static_events(p: Identity, static: pa.Table, ctx: Scope, ev: EventRows) -> None:
    """From static reports ordered by (mmsi, timestamp, record_hash):
    ``identity_change`` (a name / IMO / call sign / flag replaced by a new value reported at
    least ``min_reports`` times in a row) and ``invalid_imo`` (an IMO with a bad check digit).

    The debounce runs over runs of equal consecutive reports, so its cost grows with the
    number of changes, not of reports."""
    types = ctx.types
    want_change, want_invalid = "identity_change" in types, "invalid_imo" in types
    if not (want_change or want_invalid):
        return
    s = static
    min_reports = p.min_reports
    ts = pc.cast(s["timestamp"], pa.int64()).to_numpy(zero_copy_only=False)
    mm = s["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    refs = s["record_hash"].to_numpy(zero_copy_only=False)
    # reports before each row: a row may stand for a run of equal reports (see the schema)
    before = np.concatenate([[0], np.cumsum(s["reports"].to_numpy(zero_copy_only=False), dtype=np.int64)])
    if want_change:
        for f in _ID_FIELDS:
            r0, r1, vals = _value_runs(mm, s[f])
            # only vessels with more than one run of values can have changed
            rm = mm[r0]
            several = np.zeros(len(rm), bool)
            if len(rm) > 1:
                several[1:] |= rm[1:] == rm[:-1]
                several[:-1] |= rm[1:] == rm[:-1]
            cur_m = -1
            for k in np.flatnonzero(several).tolist():
                m, x = int(mm[r0[k]]), vals[k]
                n = int(before[r1[k] + 1] - before[r0[k]])
                if m != cur_m:  # a vessel's first value
                    cur_m, cur, cur_ref, cand, cand_n, cand_first = m, x, int(r1[k]), None, 0, -1
                    continue
                if x == cur:
                    cur_ref, cand, cand_n = int(r1[k]), None, 0
                    continue
                if x != cand:
                    cand, cand_n, cand_first = x, 0, int(r0[k])
                cand_n += n
                if cand_n >= min_reports:
                    ev.add("identity_change", m, ts[cur_ref], ts[cand_first], None, None,
                           [refs[cur_ref], refs[cand_first]],
                           {"field": f, "old": cur, "new": cand, "reports_of_new": min_reports}, confidence=2)
                    cur, cur_ref, cand, cand_n = cand, int(r1[k]), None, 0
    if want_invalid:
        bad = pc.and_(pc.is_valid(s["imo"]), pc.and_(pc.not_equal(s["imo"], 0),
                                                    pc.equal(pc.fill_null(s["imo_valid"], True), False)))
        rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))  # by vessel, then time
        if len(rows) == 0:
            return
        imo = pc.fill_null(s["imo"], 0).to_numpy(zero_copy_only=False).astype(np.int64)
        rows = rows[np.lexsort((imo[rows], mm[rows]))]  # stable: each (vessel, IMO) group stays in time order
        gm, gi = mm[rows], imo[rows]
        new_group = np.ones(len(rows), bool)
        new_group[1:] = (gm[1:] != gm[:-1]) | (gi[1:] != gi[:-1])
        first = np.flatnonzero(new_group)
        last = np.append(first[1:], len(rows)) - 1
        ev.extend("invalid_imo", gm[first], ts[rows[first]], ts[rows[last]], np.full(len(first), np.nan),
                  np.full(len(first), np.nan), ranges(refs[rows], first, last),
                  {"imo": gi[first], "reports": np.add.reduceat(np.diff(before)[rows], first)},
                  confidence=np.full(len(first), 2, np.int8))


def ids_summary(static: pa.Table) -> pa.Table:
    """Per (IMO, MMSI) with a valid IMO: first and last report times, number of reports, and
    the first and last report's record. ``static`` is ordered by (mmsi, timestamp, record_hash)."""
    s = static.select(["mmsi", "imo", "timestamp", "record_hash", "imo_valid", "reports"])  # not the text columns
    s = s.filter(pc.and_(pc.is_valid(s["imo"]), pc.fill_null(s["imo_valid"], False)))
    if s.num_rows == 0:
        return empty_table(IDS)
    mm = s["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    imo = s["imo"].to_numpy(zero_copy_only=False).astype(np.int64)
    # runs of reports with one (MMSI, IMO); then the runs of each pair, in time order
    new = np.ones(len(mm), bool)
    new[1:] = (mm[1:] != mm[:-1]) | (imo[1:] != imo[:-1])
    r0 = np.flatnonzero(new)
    r1 = np.append(r0[1:], len(mm)) - 1
    o = np.lexsort((imo[r0], mm[r0]))  # stable: a pair's runs stay in time order
    r0, r1 = r0[o], r1[o]
    gm, gi = mm[r0], imo[r0]
    head = np.ones(len(r0), bool)
    head[1:] = (gm[1:] != gm[:-1]) | (gi[1:] != gi[:-1])
    g0 = np.flatnonzero(head)
    g1 = np.append(g0[1:], len(r0)) - 1
    first, last = r0[g0], r1[g1]  # rows of each pair's first and last report
    before = np.concatenate([[0], np.cumsum(s["reports"].to_numpy(zero_copy_only=False), dtype=np.int64)])
    reports = np.add.reduceat(before[r1 + 1] - before[r0], g0)
    ts, refs = s["timestamp"].combine_chunks(), s["record_hash"].combine_chunks()
    return pa.table({"imo": pa.array(gi[g0], pa.uint32()), "mmsi": pa.array(gm[g0], pa.uint32()),
                     "first": ts.take(pa.array(first)), "last": ts.take(pa.array(last)),
                     "reports": pa.array(reports, pa.int64()), "ref_first": refs.take(pa.array(first)),
                     "ref_last": refs.take(pa.array(last))}, schema=IDS)


def _across_mmsis(ids: pa.Table, ctx: Scope) -> pa.Table:
    """``shared_imo`` (one IMO on MMSIs reporting at overlapping times) and ``identity_change``
    of MMSI (the IMO moves to a new MMSI; the flag changes when the MID does)."""
    ev = EventRows()
    if ids.num_rows == 0 or not ({"shared_imo", "identity_change"} & ctx.types):
        return ev.table(ctx)
    rows = ids.sort_by([("imo", "ascending"), ("first", "ascending"), ("mmsi", "ascending")])
    # only IMOs on more than one MMSI
    imo = rows["imo"].to_numpy(zero_copy_only=False).astype(np.int64)
    sizes = np.diff(vessel_offsets(imo))
    if not (sizes >= 2).any():
        return ev.table(ctx)
    rows = rows.filter(pa.array(np.repeat(sizes >= 2, sizes)))
    cols = {c: rows[c].to_pylist() for c in ("imo", "mmsi", "reports", "ref_first", "ref_last")}
    first = pc.cast(rows["first"], pa.int64()).to_numpy(zero_copy_only=False)
    last = pc.cast(rows["last"], pa.int64()).to_numpy(zero_copy_only=False)
    imo = np.array(cols["imo"], np.int64)
    off = vessel_offsets(imo)
    for g in range(len(off) - 1):
        a, b = int(off[g]), int(off[g + 1])
        for i in range(a, b):
            for j in range(i + 1, b):
                mi, mj = cols["mmsi"][i], cols["mmsi"][j]
                lo, hi = (i, j) if mi < mj else (j, i)
                if first[j] <= last[i] and "shared_imo" in ctx.types:
                    s, e = max(first[i], first[j]), min(last[i], last[j])
                    ev.add("shared_imo", cols["mmsi"][lo], s, e, None, None,
                           [cols["ref_first"][i], cols["ref_last"][i], cols["ref_first"][j], cols["ref_last"][j]],
                           {"imo": int(imo[a]), "reports": cols["reports"][lo], "reports_2": cols["reports"][hi]},
                           mmsi_2=cols["mmsi"][hi], confidence=2)
                elif j == i + 1 and "identity_change" in ctx.types:
                    fi, fj = mmsi_flag(np.array([mi, mj]))
                    ev.add("identity_change", mi, last[i], first[j], None, None,
                           [cols["ref_last"][i], cols["ref_first"][j]],
                           {"field": "mmsi", "imo": int(imo[a]), "old": mi, "new": mj,
                            "old_flag": fi, "new_flag": fj, "flag_changed": fi != fj},
                           mmsi_2=mj, confidence=2)
    return ev.table(ctx)


__all__ = ["Identity", "ids_summary"]
