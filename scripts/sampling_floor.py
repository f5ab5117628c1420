"""The sampling floor of Rajin's calls per week on the SIMULATED scenario, over many seeds.

For each seed this simulates the scenario only (no pipeline; about 25 s a seed) and runs
:func:`harborwatch.evaluation.floor.sampling_floor`: an oracle that counts every call seen on AIS
or bracketed by a silence exactly, sees every radar-only hull at each scene time without error
and knows their true mean stay. Its error comes from the scene times alone, so it bounds how
close any estimator that samples presence at those times can come.

    python scripts/sampling_floor.py --seeds 200-229 --work /tmp/floor

prints a row per seed and period, then how many periods are within 10 % of the truth and on how
many seeds every period is.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from harborwatch.evaluation.floor import sampling_floor
from harborwatch.scenario import Scenario, simulate


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="200-229", help="seeds: 200-229 or 5,7,11")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "harborwatch-sampling-floor",
                    help="where the scenarios are written (about 150 MB a seed; a seed's folder is reused if there)")
    a = ap.parse_args()
    within = rows = every = 0
    seeds = _seeds(a.seeds)
    for s in seeds:
        out = a.work / f"seed-{s}"
        if not (out / "truth_overpasses.parquet").exists():
            simulate(Scenario(seed=s), out)
        f = sampling_floor(pq.read_table(out / "truth_events.parquet"), pq.read_table(out / "truth_overpasses.parquet"))
        for r in f["rows"]:
            print(f"seed {s:4d}  {r['period']:26s} scenes {r['scenes']:2d}  radar-only {r['oracle_radar_only']:5.2f}"
                  f" (truth {r['radar_only_truth']:4.2f})  oracle {r['oracle_estimate']:5.2f}  truth {r['truth']:5.2f}"
                  f"  error {r['oracle_rel_error']:+7.1%}")
        within += f["within_10pct"]
        rows += len(f["rows"])
        every += f["within_10pct"] == len(f["rows"])
    print(f"oracle within 10 %: {within} of {rows} periods; every period on {every} of {len(seeds)} seeds")


if __name__ == "__main__":
    main()
