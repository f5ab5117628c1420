"""The claims registry: validation that names the claim and key, and the verdict logic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.core.errors import DataError
from harborwatch.evidence.claims import EXAMPLE_CLAIMS, judge, load_claims
from harborwatch.evidence.measurements import Measured

BASE = """
[[claims]]
id = "c1"
text = "t"
subject = "s"
quantity = "{q}"
site = "kp-rajin"
comparator = {{ op = "{op}", value = 1 }}
source = {{ publisher = "p", url = "https://example.org", date = 2023-01-01 }}
"""


def test_the_example_registry_loads():
    claims = load_claims(EXAMPLE_CLAIMS)
    assert len(claims) >= 4 and all(c["source"]["publisher"] for c in claims)
    assert {c["quantity"] for c in claims} >= {"teu_loaded", "dark_calls", "change", "new_structures"}


@pytest.mark.parametrize(("q", "op", "match"), [
    ("teu_carried", ">=", "unknown quantity 'teu_carried'"),
    ("port_calls", "about", "comparator op 'about'"),
    ("port_calls", "increase", "increase needs quantity"),
    ("change", ">=", "a change needs calendar_event"),
])
def test_bad_claims_name_the_claim_and_the_key(tmp_path, q, op, match):
    p = tmp_path / "c.toml"
    p.write_text(BASE.format(q=q, op=op))
    with pytest.raises(DataError, match=match) as e:
        load_claims(p)
    assert "c.toml" in str(e.value) and "c1" in str(e.value)


def test_duplicate_ids_and_missing_source_fields_are_errors(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(BASE.format(q="port_calls", op=">=") * 2)
    with pytest.raises(DataError, match="appears twice"):
        load_claims(p)
    p.write_text(BASE.format(q="port_calls", op=">=").replace('url = "https://example.org", ', ""))
    with pytest.raises(DataError, match="source has no url"):
        load_claims(p)


def _claim(op: str, value: float = 10.0, **kw) -> dict:
    return {"comparator": {"op": op, "value": value, **kw}}


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(finite, finite, finite, finite)
def test_threshold_verdicts_follow_the_interval(a, b, x, v):
    lo, hi = sorted((a, b))
    status, _ = judge(_claim(">=", v), Measured(x, lo, hi))
    assert status == ("supported" if lo >= v else "contradicted" if hi < v else "insufficient")
    status, _ = judge(_claim("<", v), Measured(x, lo, hi))
    assert status == ("supported" if hi < v else "contradicted" if lo >= v else "insufficient")


def test_approx_increase_and_missing_data():
    assert judge(_claim("approx", 2000, tolerance=0.5), Measured(2282.7, 1698, 3168))[0] == "supported"
    assert judge(_claim("approx", 2000, tolerance=0.1), Measured(3000, 2900, 3100))[0] == "contradicted"
    assert judge(_claim("approx", 2000, tolerance=0.1), Measured(2300, 2100, 2500))[0] == "insufficient"
    up = {"comparator": {"op": "increase"}}
    assert judge(up, Measured(2.2, 1.7, 2.7, p_value=0.03))[0] == "supported"
    assert judge(up, Measured(2.2, 1.7, 2.7, p_value=0.2))[0] == "insufficient"  # placebo dates as large
    assert judge(up, Measured(-2.2, -2.7, -1.7, p_value=0.03))[0] == "contradicted"
    assert judge({"comparator": {"op": "decrease"}}, Measured(-2.2, -2.7, -1.7, p_value=0.03))[0] == "supported"
    assert judge(_claim(">=", 1), Measured(None, None, None, note="no cargo estimates")) == (
        "insufficient", "no cargo estimates")
