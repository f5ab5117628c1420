"""Screening benchmark: 100k seen vessels against 20k watchlist entries, beside a naive pairwise loop.

List entries: the real lists in ../shared/data/sanctions (about 7.8k entries), topped up to
``--entries`` with synthetic entries (syllable names, valid IMOs, some MMSIs and call signs).
Seen vessels: ``--vessels`` synthetic vessels; 2 % are listed vessels seen under their IMO,
their MMSI, an old name with the call sign, or a transliterated / misspelt name. harborwatch
(blocked, explainable) screens all of them; the naive loop computes the same features for
every (vessel, entry) pair on a ``--naive`` subset of vessels, and its time is scaled to all
vessels. The last line is ``ratio=<naive time / harborwatch time>``.

    python benchmarks/screen.py --vessels 100000 --entries 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))
from _shared import ais_dir

SYL = ["AN", "BO", "DA", "GOR", "KA", "LI", "MA", "NO", "PO", "RA", "SE", "TA", "VO", "YU", "ZA", "KHO", "MI", "SO",
       "PYO", "RYONG", "SONG", "HWA", "CHON", "KUM", "MYO", "BAEK", "STAR", "OCEAN", "GLORY", "LUCKY", "NOVA"]


def _name(rng: np.random.Generator) -> str:
    words = ["".join(rng.choice(SYL, int(rng.integers(2, 4)))) for _ in range(int(rng.integers(1, 3)))]
    return " ".join(words) + (f" {int(rng.integers(1, 30))}" if rng.random() < 0.3 else "")


def _imo(rng: np.random.Generator) -> int:
    from harborwatch.core.identifiers import imo_check_digit

    stem = int(rng.integers(100_000, 999_999))
    return stem * 10 + imo_check_digit(stem)


def data(n_vessels: int, n_entries: int, seed: int = 1):
    from harborwatch.screening import WATCHLIST, Seen, read_lists

    rng = np.random.default_rng(seed)
    real, _ = read_lists([ais_dir().parent / "sanctions"])
    rows = real.to_pylist()
    while len(rows) < n_entries:
        rows.append({"list": "SYNTHETIC", "program": "BENCH", "entity_id": f"syn:{len(rows)}", "name": _name(rng),
                     "former_names": [_name(rng)] if rng.random() < 0.3 else [], "imo": _imo(rng), "imo_valid": True,
                     "mmsis": [int(rng.integers(200_000_000, 775_999_999))] if rng.random() < 0.5 else [],
                     "callsign": f"X{int(rng.integers(10_000, 99_999))}" if rng.random() < 0.5 else None,
                     "flags": ["PANAMA"], "vessel_type": None, "listed_on": None, "source_file": "synthetic",
                     "source_record": str(len(rows))})
    wl = pa.Table.from_pylist(rows[:n_entries], schema=WATCHLIST)
    listed = [r for r in rows[:n_entries] if r["name"]]
    seen = []
    for k in range(n_vessels):
        mmsi = 200_000_000 + k
        if rng.random() < 0.02:  # a listed vessel, seen one way or another
            r = listed[int(rng.integers(0, len(listed)))]
            how = int(rng.integers(0, 4))
            if how == 0 and r["imo"]:
                seen.append(Seen(mmsi, [_name(rng)], [(r["imo"], bool(r["imo_valid"]))], [], []))
            elif how == 1 and r["mmsis"]:
                seen.append(Seen(r["mmsis"][0], [r["name"]], [], [], []))
            elif how == 2 and r["callsign"]:
                seen.append(Seen(mmsi, [(r["former_names"] or [r["name"]])[0]], [], [r["callsign"]], []))
            else:
                name = r["name"]
                i = int(rng.integers(0, max(1, len(name) - 1)))
                seen.append(Seen(mmsi, [name[:i] + name[i + 1:]], [], [], []))
            continue
        seen.append(Seen(mmsi, [_name(rng)], [(_imo(rng), True)] if rng.random() < 0.8 else [],
                         [f"Y{int(rng.integers(10_000, 99_999))}"], ["PA"]))
    return seen, wl


def naive(seen, wl, p):
    """Every pair, the same features and score, no blocking."""
    from harborwatch.screening.match import Index, _features, score

    idx = Index(wl)
    hits = 0
    for s in seen:
        for i, r in enumerate(idx.rows):
            if score(_features(s, r, idx.names[i], p), p) >= p.threshold:
                hits += 1
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vessels", type=int, default=100_000)
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--naive", type=int, default=200, help="vessels the naive loop screens (time scaled up)")
    a = ap.parse_args()
    from harborwatch.screening import Screen, screen

    seen, wl = data(a.vessels, a.entries)
    p = Screen()
    t0 = time.perf_counter()
    hits = screen(seen, wl, p)
    ours = time.perf_counter() - t0
    print(f"harborwatch: {len(seen):,} vessels x {wl.num_rows:,} entries: {ours:.2f} s, {hits.num_rows:,} hits "
          f"({len(set(hits['mmsi'].to_pylist())):,} vessels)")
    low = Screen(threshold=0.5)
    t0 = time.perf_counter()
    n_low = screen(seen, wl, low).num_rows
    print(f"  (at --threshold 0.5, where name-only pairs can hit and are compared too: "
          f"{time.perf_counter() - t0:.2f} s, {n_low:,} hits)")
    sub = seen[:a.naive]
    t0 = time.perf_counter()
    n_naive = naive(sub, wl, p)
    t_sub = time.perf_counter() - t0
    ours_sub = screen(sub, wl, p).num_rows
    scaled = t_sub * len(seen) / len(sub)
    print(f"naive pairwise loop: {len(sub):,} vessels x {wl.num_rows:,} entries: {t_sub:.2f} s -> {scaled:,.0f} s "
          f"for all; hits on the subset: naive {n_naive}, harborwatch {ours_sub}")
    print(f"ratio={scaled / ours:.1f}")


if __name__ == "__main__":
    main()
