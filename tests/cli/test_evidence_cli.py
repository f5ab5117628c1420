"""`harborwatch bundle`, `verify` and `claims check` from the command line."""

from __future__ import annotations

import json
import zipfile

from typer.testing import CliRunner

from harborwatch.cli.main import app
from harborwatch.store import Store


def test_bundle_then_verify_exit_codes(small_store, tmp_path):
    with Store.open(small_store, read_only=True) as st:
        eid = st.sql("SELECT event_id FROM events ORDER BY event_id LIMIT 1")["event_id"][0].as_py()
    out = tmp_path / "e.zip"
    r = CliRunner().invoke(app, ["bundle", "--store", str(small_store), "--event", eid[:10], "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["verify", str(out), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"], r.output
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(bad, "w") as w:
        for n in z.namelist():
            w.writestr(n, z.read(n) + (b" " if n == "events.geojson" else b""))
    r = CliRunner().invoke(app, ["verify", str(bad)])
    assert r.exit_code == 1 and "altered member events.geojson" in r.output


def test_bundle_of_a_missing_event_is_a_one_line_error(small_store, tmp_path):
    import sys

    from harborwatch.cli.main import main

    argv = sys.argv
    sys.argv = ["harborwatch", "bundle", "--store", str(small_store), "--event", "ffffffffffff",
                "--out", str(tmp_path / "x.zip")]
    try:
        main()
    except SystemExit as e:
        assert e.code == 2
    finally:
        sys.argv = argv
    assert not (tmp_path / "x.zip").exists()


def _port_calls_claim(cid: str, text: str, op: str, value: int) -> str:
    return f"""
[[claims]]
id = "{cid}"
text = "{text}"
subject = "port calls at Rajin"
quantity = "port_calls"
site = "kp-rajin"
comparator = {{ op = "{op}", value = {value} }}
source = {{ publisher = "test", url = "https://example.org", date = 2023-12-01 }}
"""


def test_claims_check_prints_one_json_line_per_claim(small_store, tmp_path):
    reg = tmp_path / "claims.toml"
    reg.write_text(_port_calls_claim("visits", "Ships called at Rajin in 2023.", ">=", 1)
                   + _port_calls_claim("many-visits", "Ships called at Rajin more than 500 times.", ">", 500))
    r = CliRunner().invoke(app, ["claims", "check", str(reg), "--store", str(small_store), "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.output.strip().splitlines()]
    assert [x["claim_id"] for x in rows] == ["visits", "many-visits"]
    assert set(rows[0]) == {"claim_id", "status", "measured", "low", "high", "evidence", "reason"}
    with Store.open(small_store, read_only=True) as st:
        n = st.sql("SELECT count(*) AS n FROM events WHERE type = 'port_visit' AND site_id = 'kp-rajin'")["n"][0]
    assert rows[0]["measured"] == n.as_py() and len(rows[0]["evidence"]) == n.as_py()
    assert rows[0]["status"] == ("supported" if n.as_py() >= 1 else "contradicted")
    assert rows[1]["status"] == "contradicted"
    b = tmp_path / "c.zip"
    r = CliRunner().invoke(app, ["bundle", "--store", str(small_store), "--claim", "visits", "--claims", str(reg),
                                 "--out", str(b)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["verify", str(b), "--json"])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(b) as z:
        assert json.loads(z.read("claim.json"))["claim_id"] == "visits"
