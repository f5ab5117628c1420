"""The quarantine's explanations of rejected NMEA lines, one at a time and a batch at once."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.nmea.explain import _READS, explain, explain_all
from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.nmea.scan import SCAN_REASONS
from harborwatch.ingest.records import NormalizeOptions, normalize

REASONS = sorted({*SCAN_REASONS, *_READS, "mmsi_invalid"})


def one_by_one(raw: list[str | None], reasons: list[str]) -> list[tuple[str | None, str | None]]:
    return [explain(r or "", reason) for r, reason in zip(raw, reasons, strict=True)]


def batch(raw: list[str | None], reasons: list[str]) -> list[tuple[str | None, str | None]]:
    fields, details = explain_all(pa.array(raw, pa.string()), np.array(reasons, dtype=object))
    return list(zip(fields.tolist(), details.tolist(), strict=True))


def test_each_reason_is_explained_from_its_fields():
    lines = ["!AIVDM,1,1,,A,,0*26", "!AIVDM,2,1,3,B,55NBXF0,0*2C\n!AIVDM,2,2,3,B,888,2*10",
             "!AIVDM,1,1,,A,13u?et,7*00", "!AIVDM,x,1,,A,13u,0*00", "garbage", "\\s:r1*00\\!AIVDM,1,1,,A,1,0*00"]
    reasons = ["empty_payload", "multipart_incomplete", "bad_fill_bits", "bad_fragment_fields", "not_nmea",
               "bad_tag_block_checksum"]
    got = batch(lines, reasons)
    assert got == one_by_one(lines, reasons)
    assert got[0] == ("payload", "payload '' is empty")
    assert got[1] == ("fragment", "fragment 1 of 2, 2 line(s) of the group read: its other fragments never "
                                  "arrived (or came more than 200 lines later)")
    assert got[2] == ("fill_bits", "fill bits '7'; expected 0 to 5")
    assert got[3][0] == "fragment" and "'x'" in got[3][1]
    assert got[4] == (None, "no !xxVDM or !xxVDO sentence on the line (it reads 'garbage')")
    assert got[5][0] == "tag_block"


def test_lines_that_share_their_fields_but_not_their_text_get_their_own_explanation():
    # the same payload reason and payload: one explanation; a checksum reads the whole line
    lines = ["\\c:1*00\\!AIVDM,1,1,,A,,0*26", "\\c:2*00\\!AIVDM,1,1,,B,,0*25", "!AIVDM,1,1,,A,abc,0*00",
             "!AIVDM,1,1,,A,abd,0*00", None, ""]
    reasons = ["empty_payload", "empty_payload", "bad_checksum", "bad_checksum", "not_nmea", "not_nmea"]
    got = batch(lines, reasons)
    assert got == one_by_one(lines, reasons)
    assert got[2] != got[3]  # the computed checksums differ
    for reason, bad in (("bad_payload_character", ["!AIVDM,1,1,,A,ab~,0*00", "!AIVDM,1,1,,A,cd~,0*00"]),
                        ("bad_fill_bits", ["!AIVDM,1,1,,A,ab,7*00", "!AIVDM,1,1,,A,ab,8*00"]),
                        ("bad_fragment_fields", ["!AIVDM,0,1,,A,ab,0*00", "!AIVDM,x,1,,A,ab,0*00",
                                                 "!AIVDM,0,x,,A,ab,0*00"])):
        got = batch(bad, [reason] * len(bad))
        assert got == one_by_one(bad, [reason] * len(bad)) and len(set(got)) == len(bad)


def test_an_empty_batch():
    fields, details = explain_all(pa.array([], pa.string()), np.array([], dtype=object))
    assert len(fields) == len(details) == 0


_PIECES = st.sampled_from(["!AIVDM,", "$BSVDO,", "!aiVDM,", ",", ",,", "*", "*1F", "\\", "\\s:x,c:1*5A\\", "1", "2",
                           "A", "B", "13u?etPP00PA", "", " ", "\n", "\r", "é", "x\ny", "VDM", "!", "0", "5", "7"])


_FIELD = st.sampled_from(["", "1", "2", "9", "x", "A", "13u?et", "55NB~", "é"])
#: sentences of a few fields (so that rows of one reason differ in a field or two), before and
#: after other text, and groups of several lines
_SENTENCES = st.builds(
    lambda pre, talker, fields, post, more: pre + talker + ",".join(fields) + post + more,
    st.sampled_from(["", "\\c:1*00\\", "x "]), st.sampled_from(["!AIVDM,", "$ABVDO,"]),
    st.lists(_FIELD, max_size=8), st.sampled_from(["", "*00", "*5C,1690329600"]),
    st.sampled_from(["", "\n!AIVDM,2,2,3,B,88,2*10", "\n\n"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.lists(_PIECES, max_size=12).map("".join), _SENTENCES),
                          st.sampled_from(REASONS)), max_size=25))
def test_a_batch_explains_every_line_as_explain_does(rows):
    raw = [r for r, _ in rows]
    reasons = [reason for _, reason in rows]
    assert batch(raw, reasons) == one_by_one(raw, reasons)


def test_real_feeds_quarantine_is_explained_as_line_by_line(ais_dir):
    """Every rejected line of the two real NMEA samples: the batch gives what explain gives."""
    n, seen = 0, set()
    for name in ("pyais_nmea_data_sample.txt", "aisdb_test_data_20211101.nm4"):
        with open(ais_dir / name, "rb") as f:
            for d in read_nmea(f):
                rej = np.flatnonzero(d.reject_mask)
                raw = d.raw(rej)
                reasons = d.reject[rej]
                seen.update(reasons.tolist())
                assert batch(raw.to_pylist(), reasons.tolist()) == one_by_one(raw.to_pylist(), reasons.tolist())
                q = normalize(d, NormalizeOptions(source_file=name)).quarantine
                n += q.num_rows
                mine = dict(zip(q["source_ref"].to_pylist(), q["detail"].to_pylist(), strict=True))
                for i, r, reason in zip(rej.tolist(), raw.to_pylist(), reasons.tolist(), strict=True):
                    assert mine[int(d.ref[i])] == explain(r or "", reason)[1]
    assert n > 500 and len(seen) >= 2, (n, seen)  # 911 rows; empty payloads and lost fragments
