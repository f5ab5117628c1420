"""Identity events: changes in a vessel's static reports, and IMO numbers across MMSIs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.events.common import Context, EventRows, empty_table
from harborwatch.events.schema import IDS
from harborwatch.tracks.track import vessel_offsets

_ID_FIELDS = ("name", "imo", "callsign", "flag")


def _norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str):
        v = " ".join(v.upper().split())
        return v or None
    return v or None  # IMO 0 means "not given"


def _static_sorted(static: pa.Table) -> pa.Table:
    need = ["mmsi", "timestamp", "record_hash", "imo", "imo_valid", "name", "callsign", "flag"]
    s = static
    for c in need:
        if c not in s.column_names:
            s = s.append_column(c, pa.nulls(s.num_rows, pa.string() if c in ("name", "callsign", "flag")
                                            else pa.bool_() if c == "imo_valid" else pa.uint32()))
    return s.select(need).sort_by([("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")])


def _identity_events(static: pa.Table, ctx: Context, ev: EventRows) -> None:
    types = ctx.types
    want_change, want_invalid = "identity_change" in types, "invalid_imo" in types
    if not (want_change or want_invalid):
        return
    s = _static_sorted(static)
    min_reports = ctx.cfg.identity.min_reports
    cols = {c: s[c].to_pylist() for c in s.column_names}
    ts = pc.cast(s["timestamp"], pa.int64()).to_numpy(zero_copy_only=False)
    off = vessel_offsets(s["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64))
    for v in range(len(off) - 1):
        a, b = int(off[v]), int(off[v + 1])
        m = cols["mmsi"][a]
        if want_change:
            for f in _ID_FIELDS:
                cur, cur_ref = None, None
                cand, cand_n, cand_first = None, 0, -1
                for i in range(a, b):
                    x = _norm(cols[f][i])
                    if x is None:
                        continue
                    if cur is None:
                        cur, cur_ref = x, i
                        continue
                    if x == cur:
                        cur_ref, cand, cand_n = i, None, 0
                        continue
                    if x != cand:
                        cand, cand_n, cand_first = x, 0, i
                    cand_n += 1
                    if cand_n >= min_reports:
                        ev.add("identity_change", m, ts[cur_ref], ts[cand_first], None, None,
                               [cols["record_hash"][cur_ref], cols["record_hash"][cand_first]],
                               {"field": f, "old": cur, "new": cand, "reports_of_new": cand_n}, confidence=2)
                        cur, cur_ref, cand, cand_n = cand, i, None, 0
        if want_invalid:
            seen: dict[int, list[int]] = {}
            for i in range(a, b):
                imo = cols["imo"][i]
                if imo and cols["imo_valid"][i] is False:
                    seen.setdefault(imo, []).append(i)
            for imo, idx in sorted(seen.items()):
                ev.add("invalid_imo", m, ts[idx[0]], ts[idx[-1]], None, None,
                       [cols["record_hash"][i] for i in idx], {"imo": imo, "reports": len(idx)}, confidence=2)


def _ids_summary(static: pa.Table) -> pa.Table:
    s = _static_sorted(static)
    s = s.filter(pc.and_(pc.is_valid(s["imo"]), pc.fill_null(s["imo_valid"], False)))
    if s.num_rows == 0:
        return empty_table(IDS)
    g = s.group_by(["imo", "mmsi"], use_threads=False).aggregate(
        [("timestamp", "min"), ("timestamp", "max"), ("timestamp", "count"), ("record_hash", "first"),
         ("record_hash", "last")])
    return pa.table({"imo": g["imo"], "mmsi": g["mmsi"], "first": g["timestamp_min"], "last": g["timestamp_max"],
                     "reports": pc.cast(g["timestamp_count"], pa.int64()), "ref_first": g["record_hash_first"],
                     "ref_last": g["record_hash_last"]}, schema=IDS)


def cross_identity(ids: pa.Table, ctx: Context) -> pa.Table:
    """``shared_imo`` (one IMO on MMSIs reporting at overlapping times) and ``identity_change``
    of MMSI (the IMO moves to a new MMSI; the flag changes when the MID does)."""
    ev = EventRows()
    if ids.num_rows == 0 or not ({"shared_imo", "identity_change"} & ctx.types):
        return ev.table()
    from harborwatch.core.identifiers import mmsi_flag

    rows = ids.sort_by([("imo", "ascending"), ("first", "ascending"), ("mmsi", "ascending")])
    cols = {c: rows[c].to_pylist() for c in ("imo", "mmsi", "reports", "ref_first", "ref_last")}
    first = pc.cast(rows["first"], pa.int64()).to_numpy(zero_copy_only=False)
    last = pc.cast(rows["last"], pa.int64()).to_numpy(zero_copy_only=False)
    imo = np.array(cols["imo"], np.int64)
    off = vessel_offsets(imo)
    for g in range(len(off) - 1):
        a, b = int(off[g]), int(off[g + 1])
        if b - a < 2:
            continue
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
    return ev.table()
