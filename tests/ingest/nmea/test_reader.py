"""Hand-written NMEA edge cases for the reader and kernels."""

from __future__ import annotations

import io
from functools import reduce
from operator import xor

import numpy as np
import pyais
import pytest

from harborwatch.ingest.nmea.reader import read_nmea
from harborwatch.ingest.records import Decoded

T0 = 1_690_329_600  # 2023-07-26T00:00:00Z


def cs(body: str) -> str:
    return f"{reduce(xor, body.encode(), 0):02X}"


def sentence(payload: str, fill: int = 0, count: int = 1, num: int = 1, seq: str = "", chan: str = "A") -> str:
    body = f"AIVDM,{count},{num},{seq},{chan},{payload},{fill}"
    return f"!{body}*{cs(body)}"


def tag(**fields: str) -> str:
    body = ",".join(f"{k}:{v}" for k, v in fields.items())
    return f"\\{body}*{cs(body)}\\"


def encode(**msg) -> list[str]:
    """Payload(s) from pyais's encoder (independent of harborwatch's decoder)."""
    return pyais.encode_dict(msg, talker_id="AI")


def payload_of(s: str) -> tuple[str, int]:
    f = s.split("*")[0].split(",")
    return f[5], int(f[6])


def read(text: str) -> list[Decoded]:
    return list(read_nmea(io.BytesIO(text.encode())))


def rows(text: str) -> dict[int, dict]:
    """ref -> {reject, msg_type, mmsi, lat, ...} for every record."""
    out = {}
    for d in read(text):
        for i in range(len(d)):
            st = d.station[i] if d.station is not None else None
            r = {"reject": d.reject[i], "msg_type": int(d.msg_type[i]), "mmsi": int(d.mmsi[i]), "ts": int(d.ts_ms[i]),
                 "station": st if isinstance(st, str) else None}
            for k, v in d.cols.items():
                r[k] = v[i]
            out[int(d.ref[i])] = r
    return out


POS = dict(type=1, mmsi=273312980, lat=42.2455, lon=130.3301, speed=8.3, course=71.0, heading=70, status=0)


def test_position_with_tag_block_time_and_station():
    p, f = payload_of(encode(**POS)[0])
    line = tag(c=str(T0), s="RAJIN-TEST") + sentence(p, f)
    r = rows(line + "\n")[1]
    assert r["reject"] is None
    assert r["mmsi"] == 273312980 and r["msg_type"] == 1
    assert r["lat"] == pytest.approx(42.2455, abs=1e-6) and r["lon"] == pytest.approx(130.3301, abs=1e-6)
    assert r["sog_kn"] == pytest.approx(8.3) and r["cog_deg"] == pytest.approx(71.0) and r["heading_deg"] == 70
    assert r["ts"] == T0 * 1000 and r["station"] == "RAJIN-TEST"


@pytest.mark.parametrize("layout", ["{t} {s}", "{t},{s}", "{t}.250;{s}", "{s},{t}", "{s} {t}"])
def test_vendor_unix_time_before_or_after(layout):
    p, f = payload_of(encode(**POS)[0])
    line = layout.format(t=T0, s=sentence(p, f))
    r = rows(line + "\n")[1]
    assert r["reject"] is None
    assert r["ts"] in (T0 * 1000, T0 * 1000 + 250)


def test_bad_checksum_is_rejected_with_line():
    p, f = payload_of(encode(**POS)[0])
    good = sentence(p, f)
    bad = good[:-2] + ("00" if good[-2:] != "00" else "01")
    r = rows(f"{good}\n{bad}\n")
    assert r[1]["reject"] is None
    assert r[2]["reject"] == "bad_checksum"


def test_bad_tag_block_checksum():
    p, f = payload_of(encode(**POS)[0])
    line = f"\\c:{T0}*00\\" + sentence(p, f)
    assert rows(line + "\n")[1]["reject"] == "bad_tag_block_checksum"


def test_truncated_payload():
    p, f = payload_of(encode(**POS)[0])
    short = p[:15]  # 90 bits: cuts through the position fields
    assert rows(sentence(short, 0) + "\n")[1]["reject"] == "payload_too_short"


@pytest.mark.parametrize("fill", ["6", "x", ""])
def test_wrong_fill_bits(fill):
    p, _ = payload_of(encode(**POS)[0])
    body = f"AIVDM,1,1,,A,{p},{fill}"
    line = f"!{body}*{cs(body)}"
    assert rows(line + "\n")[1]["reject"] in ("bad_fill_bits", "malformed_sentence")


def test_bad_payload_character_and_not_nmea_and_blank():
    body = "AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa{,0"
    text = f"!{body}*{cs(body)}\n\nhello world\n"
    r = rows(text)
    assert r[1]["reject"] == "bad_payload_character"
    assert 2 not in r  # blank lines are not records
    assert r[3]["reject"] == "not_nmea"


def test_the_checksum_is_checked_before_the_field_count():
    # the payload runs to the '*' (no fill field): a wrong checksum is what the line is rejected
    # for; with the right checksum, the missing field
    body = "AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa"
    r = rows(f"!{body}*{'00' if cs(body) != '00' else '01'}\n!{body}*{cs(body)}\n!{body},0*{cs(body + ',0')}\n")
    assert [r[k]["reject"] for k in (1, 2)] == ["bad_checksum", "malformed_sentence"]
    assert r[3]["reject"] is None


STATIC = dict(type=5, mmsi=445123000, imo=9305609, callsign="HMAA", shipname="SIM SHUTTLE", ship_type=70,
              to_bow=100, to_stern=20, to_port=8, to_starboard=8, draught=5.8, destination="RAJIN",
              month=8, day=14, hour=6, minute=30)


def _two_parts() -> list[str]:
    parts = encode(**STATIC)
    assert len(parts) == 2
    return parts


def test_multipart_reassembled_with_tag_group():
    p1, f1 = payload_of(_two_parts()[0])
    p2, f2 = payload_of(_two_parts()[1])
    l1 = tag(g="1-2-77", c=str(T0), s="st") + sentence(p1, f1, 2, 1, "3")
    l2 = tag(g="2-2-77") + sentence(p2, f2, 2, 2, "3")
    r = rows(f"{l1}\n{l2}\n")
    assert list(r) == [1]  # one record, referenced by its first line
    rec = r[1]
    assert rec["reject"] is None and rec["msg_type"] == 5 and rec["imo"] == 9305609
    assert rec["name"] == "SIM SHUTTLE" and rec["callsign"] == "HMAA" and rec["destination"] == "RAJIN"
    assert rec["length_m"] == 120 and rec["beam_m"] == 16 and rec["draught_m"] == pytest.approx(5.8)
    assert rec["ts"] == T0 * 1000


def test_multipart_by_sequence_id_and_channel_interleaved():
    a1, fa1 = payload_of(_two_parts()[0])
    a2, fa2 = payload_of(_two_parts()[1])
    pos, pf = payload_of(encode(**POS)[0])
    lines = [
        f"{T0} " + sentence(a1, fa1, 2, 1, "1", "A"),
        f"{T0} " + sentence(pos, pf),
        f"{T0} " + sentence(a2, fa2, 2, 2, "1", "A"),
    ]
    r = rows("\n".join(lines) + "\n")
    assert r[1]["reject"] is None and r[1]["msg_type"] == 5
    assert r[2]["reject"] is None and r[2]["msg_type"] == 1
    assert 3 not in r


def test_multipart_out_of_order_and_missing_are_quarantined():
    p1, f1 = payload_of(_two_parts()[0])
    p2, f2 = payload_of(_two_parts()[1])
    out_of_order = [sentence(p2, f2, 2, 2, "4"), sentence(p1, f1, 2, 1, "4")]
    r = rows("\n".join(out_of_order) + "\n")
    assert r[1]["reject"] == "multipart_out_of_order"
    assert r[2]["reject"] == "multipart_incomplete"  # a first part whose second never came
    missing = [sentence(p1, f1, 2, 1, "5"), sentence(p1, f1, 2, 1, "5"), sentence(p2, f2, 2, 2, "5")]
    r = rows("\n".join(missing) + "\n")
    assert r[1]["reject"] == "multipart_incomplete"
    assert r[2]["reject"] is None and r[2]["msg_type"] == 5


def test_six_bit_text_with_at_padding():
    msg = dict(type=24, mmsi=244270489, partno=0, shipname="SY-LUNDE")
    p, f = payload_of(encode(**msg)[0])
    r = rows(sentence(p, f) + "\n")[1]
    assert r["name"] == "SY-LUNDE"  # '@' padding and trailing spaces removed


def test_sentinels_are_still_raw_in_decoded_columns():
    msg = dict(POS, lat=91.0, lon=181.0, speed=102.3, heading=511, course=360.0)
    p, f = payload_of(encode(**msg)[0])
    r = rows(sentence(p, f) + "\n")[1]
    assert r["lat"] == 91.0 and r["lon"] == 181.0 and r["heading_deg"] == 511
    assert r["sog_kn"] == pytest.approx(102.3) and r["cog_deg"] == pytest.approx(360.0)


def test_chunk_boundaries_do_not_change_results():
    p, f = payload_of(encode(**POS)[0])
    p1, f1 = payload_of(_two_parts()[0])
    p2, f2 = payload_of(_two_parts()[1])
    lines = []
    for k in range(300):
        lines.append(f"{T0 + k} " + sentence(p, f))
        lines.append(f"{T0 + k} " + sentence(p1, f1, 2, 1, str(k % 10)))
        lines.append(f"{T0 + k} " + sentence(p2, f2, 2, 2, str(k % 10)))
    text = ("\n".join(lines) + "\n").encode()

    def collect(chunk: int) -> list[tuple]:
        got = []
        for d in read_nmea(io.BytesIO(text), chunk_bytes=chunk):
            got += [(int(d.ref[i]), d.reject[i], int(d.msg_type[i])) for i in range(len(d))]
        return sorted(got)

    whole = collect(1 << 20)
    assert len(whole) == 600 and all(r is None for _, r, _ in whole)
    assert collect(977) == whole


def test_a_file_whose_lines_end_in_cr_alone_reads_as_its_lf_twin(ais_dir):
    """Lines ending in CR alone (the classic Mac convention) were one line, so one bad record."""
    text = (ais_dir / "aisdb_test_data_20211101.nm4").read_bytes().replace(b"\r\n", b"\n")

    def collect(data: bytes) -> list[tuple]:
        return [(int(d.ref[i]), d.reject[i], int(d.mmsi[i])) for d in read_nmea(io.BytesIO(data), chunk_bytes=4099)
                for i in range(len(d))]

    lf = collect(text)
    assert len(lf) > 500 and collect(text.replace(b"\n", b"\r")) == lf


def test_station_names_decoded_once_per_distinct_value():
    p, f = payload_of(encode(**POS)[0])
    text = "".join(tag(c=str(T0 + i), s=f"st{i % 3}") + sentence(p, f) + "\n" for i in range(9))
    d = read(text)[0]
    assert sorted(set(d.station)) == ["st0", "st1", "st2"]
    assert np.all(d.ts_ms == (T0 + np.arange(9)) * 1000)


def test_the_decoder_compiles_once_for_every_message_type_and_buffer():
    """Numba compiled ``_bits`` once per call site's literal offsets (102 versions, and the decoder
    twice: once for a read-only buffer, once for the multi-part one), so a fresh install's first
    ingest spent a minute compiling. The bit readers have fixed signatures and the decoder is
    always given a read-only buffer: reading every message type, single and multi-part, adds no
    compiled version."""
    from harborwatch.ingest.nmea import decode

    msgs = [POS, dict(type=18, mmsi=273312981, lat=42.1, lon=130.2, speed=1.0, course=2.0, heading=3),
            dict(type=19, mmsi=273312982, lat=42.1, lon=130.2, shipname="B", ship_type=70),
            dict(type=27, mmsi=273312983, lat=42.1, lon=130.2, speed=1, course=2, status=0),
            dict(type=4, mmsi=2731100, lat=42.1, lon=130.2),
            dict(type=9, mmsi=111273312, lat=42.1, lon=130.2, speed=100, course=2.0, alt=10),
            dict(type=21, mmsi=992731001, lat=42.1, lon=130.2, name="BUOY NUMBER ONE AT RAJIN PORT"),
            dict(type=24, mmsi=273312984, partno=0, shipname="C"),
            dict(type=24, mmsi=273312984, partno=1, ship_type=70, callsign="ABC")]
    text = "".join(s + "\n" for m in msgs for s in encode(**m))
    lines = [tag(c=str(T0)) + sentence(*payload_of(s)) for s in encode(**POS)]
    parts = _two_parts()
    text += "\n".join(lines + parts) + "\n"
    r = rows(text)
    assert {v["msg_type"] for v in r.values()} == {1, 4, 5, 9, 18, 19, 21, 24, 27}
    assert all(v["reject"] is None for v in r.values())
    assert len(decode._bits.signatures) == len(decode._text.signatures) == len(decode._text_ext.signatures) == 2
    assert len(decode.decode_payloads.signatures) == 1
