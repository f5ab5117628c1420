"""Checking a bundle without trusting whoever made it.

1. Every member listed in ``manifest.json`` is present with its SHA-256; nothing else is there.
2. With an ``allowed_signers`` file, ``manifest.json.sig`` is a valid signature by one of them.
3. The quoted records are ingested into a fresh store with harborwatch's own readers: each
   must come back with the ``record_hash`` the index gives it (altered text does not).
4. The events engine runs on them with the bundled rules and sites; every bundled track event
   must come back with the same id, fields, evidence and attributes, and each event's stated
   parameters must be the bundled rules'. A gap's reception estimate (its ``reception_*`` and
   ``likely_disabling`` attributes and its confidence) is measured over every vessel near it, not
   only the bundled ones, so it is noted when it differs, not checked. A watchlist event must
   repeat a port visit that comes back.

Dark-vessel events are checked by hash only: re-deriving one needs the whole scene's detections.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from harborwatch.core.ids import canonical_json
from harborwatch.events import EVENT_TYPES, EventsConfig, Request, run
from harborwatch.evidence.manifest import FORMAT, MANIFEST, SIGNATURE, UNLISTED, sha256
from harborwatch.evidence.signing import verify as verify_signature
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store.ingest import IngestOptions, ingest_files
from harborwatch.store.store import Store


@dataclass
class Verification:
    """What :func:`verify_bundle` found: ``ok`` when there are no ``problems``."""

    path: str
    problems: list[str] = field(default_factory=list)
    checked: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"bundle": self.path, "ok": self.ok, "problems": self.problems, "checked": self.checked,
                "notes": self.notes}


def _hashes(z: zipfile.ZipFile, manifest: dict, v: Verification) -> None:
    listed = manifest.get("members", {})
    names = set(z.namelist())
    for name, want in sorted(listed.items()):
        if name not in names:
            v.problems.append(f"missing member {name}")
        elif sha256(z.read(name)) != want:
            v.problems.append(f"altered member {name} (its SHA-256 is not the manifest's)")
    for name in sorted(names - set(listed) - set(UNLISTED)):
        v.problems.append(f"unexpected member {name} (not in the manifest)")
    v.checked["members"] = len(listed)


def _signature(z: zipfile.ZipFile, allowed: Path | None, v: Verification) -> None:
    signed = SIGNATURE in z.namelist()
    if allowed is None:
        if signed:
            v.notes.append("signed; the signature was not checked (pass --allowed-signers)")
        return
    if not signed:
        v.problems.append("missing member manifest.json.sig (a signature was asked for)")
        return
    try:
        v.checked["signed_by"] = verify_signature(z.read(MANIFEST), z.read(SIGNATURE), allowed)
    except Exception as e:  # a bad signature is a finding, not a crash
        v.problems.append(str(e))


def _records(z: zipfile.ZipFile, manifest: dict, tmp: Path, v: Verification) -> Store:
    """Ingest the quoted records into a fresh store; check each comes back with its hash."""
    st = Store.open(tmp / "store")
    for inp in manifest.get("inputs", []):
        f = tmp / inp["member"]
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(z.read(inp["member"]))
        list(ingest_files(st, [f], IngestOptions(format=inp["format"], receiver=inp.get("receiver"))))
    got = {int(h) for t in ("positions", "static") for h in st.sql(f"SELECT record_hash FROM {t}")["record_hash"]
           .to_pylist()}
    index = list(csv.DictReader(io.StringIO(z.read("records/index.csv").decode("utf-8"))))
    bad = [r for r in index if int(r["record_hash"]) not in got]
    for r in bad[:5]:
        v.problems.append(f"{r['member']}: the record at line {r['member_line']} does not reproduce record_hash "
                          f"{r['record_hash']} (its text was altered)")
    if len(bad) > 5:
        v.problems.append(f"... and {len(bad) - 5} more records do not reproduce")
    v.checked["records"] = len(index) - len(bad)
    return st


def _events(z: zipfile.ZipFile, manifest: dict, st: Store, v: Verification) -> None:
    """Re-derive the bundled events from the ingested records."""
    events = pq.read_table(io.BytesIO(z.read("events.parquet"))).to_pylist()
    cfg = EventsConfig.from_dict(manifest["parameters"]["events"], "manifest.json")
    sites = SiteCatalogue.from_geojson_text(z.read("sites.geojson").decode("utf-8"), "sites.geojson")
    again = {r["event_id"]: r for r in run(st, Request(cfg, sites), workers=1).to_pylist()}
    n = 0
    for e in events:
        if e["type"] in EVENT_TYPES:
            n += 1
            if canonical_json(json.loads(e["parameters"])) != canonical_json(cfg.parameters_for(e["type"])):
                v.problems.append(f"event {e['event_id']}: its parameters are not the bundled rules")
            _same(e, again.get(e["event_id"]), v)
        elif e["type"] == "watchlist_vessel_at_site":
            n += 1
            visit = json.loads(e["attributes"] or "{}").get("visit_event_id")
            r = again.get(visit)
            if r is None or sorted(r["evidence"] or []) != sorted(e["evidence"] or []):
                v.problems.append(f"event {e['event_id']}: the port visit {visit} it repeats does not come back "
                                  "from the bundled records")
        else:
            v.notes.append(f"event {e['event_id']} ({e['type']}): checked by hash only, not re-derived")
    v.checked["events_rederived"] = n


#: What a gap's reception estimate decides, measured over every vessel around it, not only the
#: bundled ones: noted when it differs, not checked.
_CONTEXT_ATTRIBUTES = ("reception_", "likely_disabling")
_CONTEXT_FIELDS = {"gap": ("confidence",)}
_FIELDS = ("type", "mmsi", "mmsi_2", "start", "end", "lat", "lon", "site_id", "confidence", "parameters")


def _same(e: dict, r: dict | None, v: Verification) -> None:
    """Compare a bundled event with the one re-derived: every field, evidence and attribute."""
    eid = e["event_id"]
    if r is None:
        v.problems.append(f"event {eid} ({e['type']}) does not come back from the bundled records")
        return
    if sorted(r["evidence"] or []) != sorted(e["evidence"] or []):
        v.problems.append(f"event {eid}: re-derived from other records than its evidence")
    context = _CONTEXT_FIELDS.get(e["type"], ())
    for f in _FIELDS:
        if e[f] != r[f] and f not in context:
            v.problems.append(f"event {eid}: its {f} is {e[f]}, re-derived {r[f]}")
    a, b = json.loads(e["attributes"] or "{}"), json.loads(r["attributes"] or "{}")
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    wrong = [k for k in differ if not k.startswith(_CONTEXT_ATTRIBUTES)]
    for k in wrong:
        v.problems.append(f"event {eid}: attribute {k} is {a.get(k)}, re-derived {b.get(k)}")
    if len(differ) > len(wrong) or any(e[f] != r[f] for f in context):
        v.notes.append(f"event {eid}: its reception estimate differs when re-derived from the bundle alone "
                       "(it is measured over every vessel nearby); not checked")


def verify_bundle(path: str | Path, allowed_signers: Path | None = None, rederive: bool = True) -> Verification:
    """Check a bundle (see the module's docstring); never raises on a damaged bundle."""
    v = Verification(str(path))
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        v.problems.append(f"{path}: not a readable zip ({e})")
        return v
    with z:
        if MANIFEST not in z.namelist():
            v.problems.append("missing member manifest.json")
            return v
        try:
            manifest = json.loads(z.read(MANIFEST))
        except ValueError as e:
            v.problems.append(f"manifest.json: not JSON ({e})")
            return v
        if manifest.get("format") != FORMAT:
            v.problems.append(f"manifest.json: format {manifest.get('format')!r}, expected {FORMAT}")
            return v
        _hashes(z, manifest, v)
        _signature(z, allowed_signers, v)
        if v.problems or not rederive:
            return v
        with tempfile.TemporaryDirectory() as d:
            st = _records(z, manifest, Path(d), v)
            try:
                if not v.problems:
                    _events(z, manifest, st, v)
            finally:
                st.close()
    return v


__all__ = ["Verification", "verify_bundle"]
