"""Counts in the store: accounting (in = stored + quarantined + duplicates) and idempotence."""

from __future__ import annotations

from harborwatch.store import Store, ingest_counts


def test_counts_are_accounted_and_reimport_adds_nothing(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("date,site_id,rail_cars\n2023-07-01,kp-x,12\n2023-07-01,kp-x,12\n2023-07-02,kp-x,oops\n")
    with Store.open(tmp_path / "s") as st:
        first = next(ingest_counts(st, [p]))
        again = next(ingest_counts(st, [p]))
        n = st.sql("SELECT count(*) AS n FROM counts")["n"][0].as_py()
        q = st.sql("SELECT reason FROM quarantine")["reason"].to_pylist()
    assert (first["records_in"], first["stored"], first["quarantined"], first["duplicates"]) == (3, 1, 1, 1)
    assert (again["stored"], again["quarantined"], again["duplicates"]) == (0, 0, 3)
    assert first["format"] == "counts-csv" and n == 1 and q == ["not_a_number"]
