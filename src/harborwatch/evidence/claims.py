"""The claims registry: published statements, each bound to a named measurement and checked.

A registry is a TOML file of ``[[claims]]`` tables::

    [[claims]]
    id = "rajin-containers-aug-oct-2023"
    text = "About 2,000 containers left Rajin for Russia between August and October 2023."
    subject = "containers loaded at Rajin"
    quantity = "teu_loaded"                 # a measurement of harborwatch.evidence.measurements
    site = "kp-rajin"
    period = { start = 2023-08-01, end = 2023-11-01 }   # UTC dates, end exclusive
    comparator = { op = "approx", value = 2000, tolerance = 0.5 }
    source = { publisher = "...", url = "https://...", date = 2023-10-13 }

Comparators, on the measurement's interval [low, high]:
- ``>=``, ``>``, ``<=``, ``<`` against ``value``: supported when the whole interval satisfies it,
  contradicted when none of it does, insufficient otherwise;
- ``approx``: ``value`` within a relative ``tolerance``: supported when the measured value is in
  the band, contradicted when the interval misses it, insufficient otherwise;
- ``increase`` / ``decrease`` (``quantity = "change"``): supported when the interval excludes 0
  in that direction and the placebo p-value is at most ``alpha`` (default 0.05), contradicted when
  it excludes 0 in the other direction, insufficient otherwise.
A measurement without data is insufficient, with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from harborwatch.core.errors import DataError, NotFoundError
from harborwatch.core.tomlfiles import read_toml
from harborwatch.estimates.run import Estimates
from harborwatch.events import EVENTS
from harborwatch.evidence.bundle import Bundling, build_bundle, find_events
from harborwatch.evidence.measurements import MEASUREMENTS, Measured, measure
from harborwatch.evidence.summary import claim_json
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store.store import Store

OPS = (">=", ">", "<=", "<", "approx", "increase", "decrease")
#: The packaged example registry (also examples/claims_rason_2023.toml).
EXAMPLE_CLAIMS = Path(__file__).parent / "data" / "claims_rason_2023.toml"
_REQUIRED = ("id", "text", "subject", "quantity", "site", "comparator", "source")


def _check(c: dict, n: int, origin: str) -> None:
    where = f"claim {n} ({c.get('id', 'no id')})"
    for k in _REQUIRED:
        if k not in c:
            raise DataError(f"{where} has no {k}", source=origin, field=k)
    for k in ("publisher", "url", "date"):
        if k not in c["source"]:
            raise DataError(f"{where}: source has no {k}", source=origin, field=f"source.{k}")
    if c["quantity"] not in MEASUREMENTS:
        raise DataError(f"{where}: unknown quantity {c['quantity']!r}; expected one of {', '.join(MEASUREMENTS)}",
                        source=origin, field="quantity")
    op = c["comparator"].get("op")
    if op not in OPS:
        raise DataError(f"{where}: comparator op {op!r}; expected one of {', '.join(OPS)}", source=origin,
                        field="comparator.op")
    if op in ("increase", "decrease") and c["quantity"] != "change":
        raise DataError(f"{where}: {op} needs quantity = \"change\"", source=origin, field="comparator.op")
    if op not in ("increase", "decrease") and not isinstance(c["comparator"].get("value"), int | float):
        raise DataError(f"{where}: comparator {op} needs a numeric value", source=origin, field="comparator.value")
    if c["quantity"] == "change" and "calendar_event" not in c:
        raise DataError(f"{where}: a change needs calendar_event", source=origin, field="calendar_event")
    if c.get("flag") and c["quantity"] not in ("port_calls", "dark_calls"):
        raise DataError(f"{where}: flag applies to port_calls and dark_calls only", source=origin, field="flag")
    for k in ("start", "end"):
        v = c.get("period", {}).get(k)
        if v is not None and not isinstance(v, date | datetime):
            raise DataError(f"{where}: period.{k} must be a TOML date", source=origin, field=f"period.{k}")


def load_claims(path: str | Path) -> list[dict]:
    """The claims of a registry file, checked (errors name the file, the claim and the key)."""
    p = Path(path)
    doc = read_toml(p, "claims")
    claims = doc.get("claims", [])
    if not isinstance(claims, list) or not claims:
        raise DataError("no [[claims]] in the file", source=str(p))
    seen = set()
    for n, c in enumerate(claims, start=1):
        _check(c, n, str(p))
        if c["id"] in seen:
            raise DataError(f"claim id {c['id']!r} appears twice", source=str(p), field="id")
        seen.add(c["id"])
    return claims


def judge(c: dict, m: Measured) -> tuple[str, str]:
    """(status, reason) of a claim given its measurement."""
    cmp, op = c["comparator"], c["comparator"]["op"]
    if m.value is None or m.low is None or m.high is None:
        return "insufficient", m.note or "no measurement"
    lo, hi = m.low, m.high
    if op in ("increase", "decrease"):
        alpha = cmp.get("alpha", 0.05)
        s = 1 if op == "increase" else -1
        a, b = sorted((s * lo, s * hi))
        p_ok = m.p_value is None or m.p_value <= alpha
        if a > 0 and p_ok:
            return "supported", f"{op} of {m.value:+.2f} [{lo:+.2f}, {hi:+.2f}], p = {m.p_value}"
        if b < 0:
            return "contradicted", f"the interval [{lo:+.2f}, {hi:+.2f}] shows the opposite change"
        return "insufficient", f"change {m.value:+.2f} [{lo:+.2f}, {hi:+.2f}], p = {m.p_value} (alpha {alpha})"
    v = float(cmp["value"])
    if op == "approx":
        t = float(cmp.get("tolerance", 0.25))
        band = (v * (1 - t), v * (1 + t))
        if band[0] <= m.value <= band[1]:
            return "supported", f"{m.value:,.1f} is within {t:.0%} of {v:,.0f}"
        if hi < band[0] or lo > band[1]:
            return "contradicted", f"[{lo:,.1f}, {hi:,.1f}] lies outside {v:,.0f} ± {t:.0%}"
        return "insufficient", f"{m.value:,.1f} is outside {v:,.0f} ± {t:.0%}, but the interval reaches it"
    holds = {">=": lambda x: x >= v, ">": lambda x: x > v, "<=": lambda x: x <= v, "<": lambda x: x < v}[op]
    if holds(lo) and holds(hi):
        return "supported", f"[{lo:,.1f}, {hi:,.1f}] {op} {v:,.0f}"
    if not holds(lo) and not holds(hi):
        return "contradicted", f"[{lo:,.1f}, {hi:,.1f}] is not {op} {v:,.0f}"
    return "insufficient", f"[{lo:,.1f}, {hi:,.1f}] straddles {v:,.0f}"


def check_claims(store: Store, est: Estimates, claims: list[dict], seed: int = 0) -> list[dict]:
    """One result per claim: ``{claim_id, status, measured, low, high, evidence, reason}`` and the
    claim's quantity, site, period and source."""
    out = []
    for c in claims:
        m = measure(store, est, c, seed)
        status, reason = judge(c, m)
        period = {k: str(v) for k, v in c.get("period", {}).items()}
        out.append({"claim_id": c["id"], "status": status, "measured": m.value, "low": m.low, "high": m.high,
                    "evidence": m.evidence, "reason": reason, "quantity": c["quantity"], "site": c["site"],
                    "period": period, "p_value": m.p_value, "note": m.note, "text": c["text"],
                    "source": {k: str(v) for k, v in c["source"].items()}})
    return out


def claim_estimates(store: Store, sites: SiteCatalogue, claims: list[dict], calendar=None) -> Estimates:
    """The estimates the claims need (every claim's site; the packaged calendar by default)."""
    from harborwatch.analysis.calendar import load_calendar
    from harborwatch.estimates.run import estimate

    site_ids = sorted({c["site"] for c in claims})
    return estimate(store, sites, calendar or load_calendar(None), None, site_ids, site_ids)


def bundle_claim(store: Store, claims_file: Path, claim_id: str, sites: SiteCatalogue, out: str | Path,
                 params: Bundling | None = None, key: Path | None = None, est: Estimates | None = None,
                 result: dict | None = None) -> Path:
    """The bundle of one claim: its check (``result`` of :func:`check_claims` when already made),
    the registry, and the events its measurement rests on."""
    params = params or Bundling()
    if result is None:
        claims = load_claims(claims_file)
        chosen = [c for c in claims if c["id"] == claim_id]
        if not chosen:
            raise NotFoundError(f"no claim {claim_id} in {claims_file}",
                                hint="ids: " + ", ".join(c["id"] for c in claims))
        result = check_claims(store, est or claim_estimates(store, sites, chosen), chosen)[0]
    ids = [e for e in result["evidence"] if "#" not in e][: params.max_events]
    events = find_events(store, ids) if ids else EVENTS.empty_table()
    subject = {"kind": "claim", "id": claim_id, "text": result["text"], "status": result["status"],
               "measured": result["measured"], "low": result["low"], "high": result["high"],
               "measurement": result["quantity"], "reason": result["reason"],
               "evidence_bundled": len(ids), "evidence_total": len(result["evidence"])}
    extra = {"claim.json": claim_json(result).encode(), "claims.toml": Path(claims_file).read_bytes()}
    return build_bundle(store, events, sites, out, params, subject, extra, key)


__all__ = ["EXAMPLE_CLAIMS", "OPS", "bundle_claim", "check_claims", "claim_estimates", "judge", "load_claims"]
