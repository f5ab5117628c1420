"""Column helpers: the runs of repeated static attributes CSV rows carry."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.columns import static_runs


def test_a_run_keeps_its_first_and_last_row():
    # vessel 1: A A A B (B alone), vessel 2: A; rows not in vessel order
    mmsi = np.array([1, 2, 1, 1, 1])
    ts = np.array([0, 5, 10, 20, 30])
    content = np.array([7, 7, 7, 7, 9], np.uint64)
    rows, reports = static_runs(mmsi, ts, content)
    assert rows.tolist() == [0, 1, 3, 4]  # input order; row 2 (the middle of the run) goes
    assert reports.tolist() == [2, 1, 1, 1]


def test_time_order_not_input_order_makes_the_runs():
    mmsi = np.array([1, 1, 1])
    ts = np.array([30, 0, 10])
    content = np.array([9, 7, 7], np.uint64)
    rows, reports = static_runs(mmsi, ts, content)
    assert rows.tolist() == [0, 1, 2] and reports.tolist() == [1, 1, 1]  # run 7 7 (rows 1, 2), then 9


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 20), st.integers(0, 2)), max_size=60))
def test_runs_keep_every_count_and_every_change(data):
    mmsi = np.array([r[0] for r in data], np.int64)
    ts = np.array([r[1] for r in data], np.int64)
    content = np.array([r[2] for r in data], np.uint64)
    rows, reports = static_runs(mmsi, ts, content)
    assert (np.diff(rows) > 0).all() and (reports >= 1).all()
    for m in set(mmsi.tolist()):
        mine = mmsi == m
        kept = mmsi[rows] == m
        # every report is counted once, and the first and last time of every value is kept
        assert reports[kept].sum() == mine.sum()
        for c in set(content[mine].tolist()):
            sel = mine & (content == c)
            ksel = kept & (content[rows] == c)
            assert ts[rows][ksel].min() == ts[sel].min() and ts[rows][ksel].max() == ts[sel].max()
        # the values in time order, with repeats collapsed, are the same
        o = np.lexsort((ts[mine], np.zeros(mine.sum())))
        full = content[mine][o]
        k = np.lexsort((ts[rows][kept], np.zeros(kept.sum())))
        short = content[rows][kept][k]
        assert [x for i, x in enumerate(full) if i == 0 or x != full[i - 1]] == \
            [x for i, x in enumerate(short) if i == 0 or x != short[i - 1]]
