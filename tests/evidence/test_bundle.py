"""Bundles verify; every kind of tampering is caught and named."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harborwatch.core.errors import InputFileError, NotFoundError
from harborwatch.events.request import recalled_sites
from harborwatch.evidence.bundle import build_bundle, find_events
from harborwatch.evidence.manifest import sha256
from harborwatch.evidence.verify import verify_bundle
from harborwatch.store import Store


def _bundle(store: Path, out: Path, event_type: str, n: int = 1) -> tuple[Path, list[str]]:
    with Store.open(store, read_only=True) as st:
        ids = st.sql("SELECT event_id FROM events WHERE type = ? ORDER BY event_id LIMIT ?",
                     [event_type, n])["event_id"].to_pylist()
        assert ids, f"no {event_type} in the test store"
        return build_bundle(st, find_events(st, ids), recalled_sites(st), out), ids


def _rewrite(src: Path, dst: Path, change: dict[str, bytes], rehash: bool = True, drop: str | None = None) -> Path:
    """A copy of a bundle with members replaced (and, like a careful forger, the manifest rehashed)."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members.update(change)
    if drop:
        members.pop(drop)
    if rehash:
        m = json.loads(members["manifest.json"])
        for n in change:
            m["members"][n] = sha256(change[n])
        members["manifest.json"] = json.dumps(m).encode()
    with zipfile.ZipFile(dst, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return dst


def test_port_visits_from_nmea_verify(small_store, tmp_path):
    p, ids = _bundle(small_store, tmp_path / "b.zip", "port_visit", 3)
    v = verify_bundle(p)
    assert v.ok, v.problems
    assert v.checked["events_rederived"] == 3 and v.checked["records"] > 0
    with zipfile.ZipFile(p) as z:
        names = set(z.namelist())
        m = json.loads(z.read("manifest.json"))
        text = z.read(m["inputs"][0]["member"]).decode()
    assert {"manifest.json", "events.parquet", "events.geojson", "records/index.csv", "sites.geojson",
            "summary.md", "summary.html", "figures/events.svg"} <= names
    assert m["subject"]["ids"] == ids and m["store_id"] and m["inputs"][0]["sha256"]
    assert m["software"]["harborwatch"] and m["parameters"]["events"]["port_visits"]["entry_distance_m"] > 0
    assert text.startswith("\\") or text.startswith("!")  # the raw NMEA lines as ingested (tag blocks kept)


def test_gap_from_csv_verifies(small_store, tmp_path):
    p, _ = _bundle(small_store, tmp_path / "g.zip", "gap")
    v = verify_bundle(p)
    assert v.ok, v.problems
    with zipfile.ZipFile(p) as z:
        m = json.loads(z.read("manifest.json"))
        csv_member = next(i for i in m["inputs"] if i["format"] == "dma")["member"]
        assert z.read(csv_member).decode().startswith("# Timestamp,Type of mobile")  # header, then the rows


def test_altered_missing_and_extra_members_are_named(small_store, tmp_path):
    p, _ = _bundle(small_store, tmp_path / "b.zip", "port_visit")
    with zipfile.ZipFile(p) as z:
        summary = z.read("summary.md")
    bad = _rewrite(p, tmp_path / "t1.zip", {"summary.md": summary + b"edited"}, rehash=False)
    assert verify_bundle(bad).problems == ["altered member summary.md (its SHA-256 is not the manifest's)"]
    gone = _rewrite(p, tmp_path / "t2.zip", {}, drop="sites.geojson")
    assert verify_bundle(gone).problems == ["missing member sites.geojson"]
    extra = _rewrite(p, tmp_path / "t3.zip", {}, rehash=False)
    with zipfile.ZipFile(extra, "a") as z:
        z.writestr("records/more.nmea", "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n")
    assert verify_bundle(extra).problems == ["unexpected member records/more.nmea (not in the manifest)"]


def test_forged_records_and_events_are_caught_even_with_a_rehashed_manifest(small_store, tmp_path):
    p, ids = _bundle(small_store, tmp_path / "b.zip", "port_visit")
    with zipfile.ZipFile(p) as z:
        m = json.loads(z.read("manifest.json"))
        member = m["inputs"][0]["member"]
        lines = z.read(member).decode().splitlines(keepends=True)
        events = pq.read_table(z.open("events.parquet"))
    k = next(i for i, ln in enumerate(lines) if ",1,1," in ln)  # a single-sentence message
    head, _, tail = lines[k].rpartition(",0*")
    lines[k] = head[:-3] + ("AAA" if head[-3:] != "AAA" else "BBB") + ",0*" + tail  # new payload, same checksum
    v = verify_bundle(_rewrite(p, tmp_path / "r.zip", {member: "".join(lines).encode()}))
    assert not v.ok and any(f"{member}: the record at line {k + 1}" in x for x in v.problems), v.problems

    later = events.set_column(events.column_names.index("end"), "end",
                              pa.array([e.replace(hour=(e.hour + 1) % 24) for e in events["end"].to_pylist()],
                                       events.schema.field("end").type))
    sink = pa.BufferOutputStream()
    pq.write_table(later, sink)
    v = verify_bundle(_rewrite(p, tmp_path / "e.zip", {"events.parquet": sink.getvalue().to_pybytes()}))
    assert len(v.problems) == 1 and v.problems[0].startswith(f"event {ids[0]}: its end is "), v.problems


def test_missing_event_and_changed_source_are_one_line_errors(small_store, tmp_path):
    with Store.open(small_store, read_only=True) as st, pytest.raises(NotFoundError, match="no event 00000000 in"):
        find_events(st, ["00000000"])
    copy = tmp_path / "copy"
    shutil.copytree(small_store.parent, copy)
    moved = copy / "store"
    with Store.open(moved, read_only=True) as st:  # the store still names the original inputs: all fine
        assert st.meta("store_id")
    src = small_store.parent / "inputs" / "sample.nmea"
    saved = src.read_bytes()
    try:
        src.write_bytes(saved.replace(b"\n", b"\r\n", 1))
        with pytest.raises(InputFileError, match="changed since it was ingested"):
            _bundle(small_store, tmp_path / "x.zip", "port_visit")
    finally:
        src.write_bytes(saved)


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed")
def test_signed_bundle_verifies_against_allowed_signers_only(small_store, tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "analyst", "-f", str(key)], check=True)
    with Store.open(small_store, read_only=True) as st:
        ids = st.sql("SELECT event_id FROM events WHERE type = 'port_visit' LIMIT 1")["event_id"].to_pylist()
        p = build_bundle(st, find_events(st, ids), recalled_sites(st), tmp_path / "s.zip", key=key)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text("analyst@example.org " + Path(str(key) + ".pub").read_text())
    v = verify_bundle(p, allowed)
    assert v.ok and v.checked["signed_by"] == "analyst@example.org", v.problems
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    allowed.write_text("someone@example.org " + Path(str(other) + ".pub").read_text())
    assert not verify_bundle(p, allowed).ok
    unsigned, _ = _bundle(small_store, tmp_path / "u.zip", "port_visit")
    assert "missing member manifest.json.sig" in verify_bundle(unsigned, allowed).problems[0]
