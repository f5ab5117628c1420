"""Write AIS messages as NMEA 0183 sentences with NMEA 4.10 tag blocks.

Position reports (types 1, 3 and 18) are encoded vectorised with NumPy, because a scenario
writes millions of them; static reports (types 5 and 24) are rare and go through
:func:`pyais.encode.encode_dict`. Tests decode every kind with pyais and compare fields.

Every line carries a tag block ``\\s:<station>,c:<unix seconds>*hh\\`` as receivers and
aggregators write it, so the ingest path sees real station names and receive times.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_ARMOR = np.array([v + 48 if v < 40 else v + 56 for v in range(64)], np.uint8)


def _bits(fields: Iterable[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """Pack (values, width) fields MSB first into an (n, total width) array of 0/1."""
    cols = []
    for vals, width in fields:
        v = np.asarray(vals, np.int64) & ((1 << width) - 1)  # two's complement for signed fields
        shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
        cols.append(((v[:, None] >> shifts) & 1).astype(np.uint8))
    return np.concatenate(cols, axis=1) if cols else np.zeros((n, 0), np.uint8)


def _armor(bits: np.ndarray) -> np.ndarray:
    n, w = bits.shape
    assert w % 6 == 0
    six = bits.reshape(n, w // 6, 6) @ np.array([32, 16, 8, 4, 2, 1], np.uint8)
    return _ARMOR[six]


def _scaled(x: np.ndarray, scale: float, missing: int, lo: float, hi: float) -> np.ndarray:
    x = np.asarray(x, np.float64)
    out = np.where(np.isnan(x), missing, np.round(np.clip(x, lo, hi) * scale)).astype(np.int64)
    return out


def position_payloads(msg_type: np.ndarray, mmsi: np.ndarray, t_s: np.ndarray, lat: np.ndarray,
                      lon: np.ndarray, sog_kn: np.ndarray, cog_deg: np.ndarray, heading_deg: np.ndarray,
                      status: np.ndarray) -> np.ndarray:
    """Armored 28-character payloads (n, 28) for position reports of type 1/3 (class A) or 18
    (class B). NaN means "not available" (lat 91, lon 181, sog 102.3, cog 360, heading 511)."""
    n = len(mmsi)
    mt = np.asarray(msg_type, np.int64)
    lon_v = _scaled(lon, 600_000, 181 * 600_000, -180, 180)
    lat_v = _scaled(lat, 600_000, 91 * 600_000, -90, 90)
    sog_v = _scaled(sog_kn, 10, 1023, 0, 102.2)
    cog_v = _scaled(cog_deg % 360.0, 10, 3600, 0, 359.9)
    hdg = np.asarray(heading_deg, np.float64)
    hdg_v = np.where(np.isnan(hdg), 511, np.round(hdg) % 360).astype(np.int64)
    sec = (np.asarray(t_s, np.int64) % 60)
    zero = np.zeros(n, np.int64)
    a = _bits([(mt, 6), (zero, 2), (mmsi, 30), (status, 4), (np.full(n, -128), 8), (sog_v, 10), (zero + 1, 1),
               (lon_v, 28), (lat_v, 27), (cog_v, 12), (hdg_v, 9), (sec, 6), (zero, 2), (zero, 3), (zero, 1),
               (zero, 19)], n)
    b = _bits([(mt, 6), (zero, 2), (mmsi, 30), (zero, 8), (sog_v, 10), (zero + 1, 1), (lon_v, 28), (lat_v, 27),
               (cog_v, 12), (hdg_v, 9), (sec, 6), (zero, 2), (zero + 1, 1), (zero, 1), (zero + 1, 1), (zero + 1, 1),
               (zero + 1, 1), (zero, 1), (zero, 1), (zero, 20)], n)
    return _armor(np.where((mt == 18)[:, None], b, a))


def _hex2(x: np.ndarray) -> np.ndarray:
    digits = np.frombuffer(b"0123456789ABCDEF", np.uint8)
    return np.stack([digits[x >> 4], digits[x & 15]], axis=1)


def tag_block(station: str, t_s: int) -> str:
    body = f"s:{station},c:{int(t_s)}"
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"\\{body}*{cs:02X}\\"


def position_lines(station: str, t_s: np.ndarray, payloads: np.ndarray, channel: np.ndarray) -> bytes:
    """One line per payload: tag block, ``!AIVDM,1,1,,<channel>,<payload>,0*hh``, newline."""
    n = payloads.shape[0]
    if n == 0:
        return b""
    # the sentence: fixed width, checksum over the bytes between '!' and '*'
    head = np.frombuffer(b"AIVDM,1,1,,", np.uint8)
    chan = np.where(np.asarray(channel) == "B", ord("B"), ord("A")).astype(np.uint8)
    body = np.concatenate([np.broadcast_to(head, (n, len(head))), chan[:, None],
                           np.full((n, 1), ord(","), np.uint8), payloads,
                           np.frombuffer(b",0", np.uint8)[None, :].repeat(n, 0)], axis=1)
    cs = np.bitwise_xor.reduce(body, axis=1)
    # the tag block: fixed width too (c: has 10 digits until 2286)
    ts = np.asarray(t_s, np.int64)
    digits = ((ts[:, None] // (10 ** np.arange(9, -1, -1, dtype=np.int64))) % 10 + 48).astype(np.uint8)
    tb_head = np.frombuffer(f"s:{station},c:".encode(), np.uint8)
    tb = np.concatenate([np.broadcast_to(tb_head, (n, len(tb_head))), digits], axis=1)
    tcs = np.bitwise_xor.reduce(tb, axis=1)
    line = np.concatenate([
        np.full((n, 1), ord("\\"), np.uint8), tb, np.full((n, 1), ord("*"), np.uint8), _hex2(tcs),
        np.full((n, 1), ord("\\"), np.uint8), np.full((n, 1), ord("!"), np.uint8), body,
        np.full((n, 1), ord("*"), np.uint8), _hex2(cs), np.full((n, 1), ord("\n"), np.uint8)], axis=1)
    return line.tobytes()


def static_lines(station: str, t_s: int, fields: dict, seq_id: int) -> list[str]:
    """Type 5 (class A static and voyage data) or type 24 (class B, parts A and B) sentences."""
    from pyais.encode import encode_dict

    out = []
    if fields["type"] == 5:
        sentences = encode_dict(fields, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq_id % 10)
        out += [tag_block(station, t_s) + s for s in sentences]
    else:
        for part in (0, 1):
            f = dict(fields, partno=part)
            sentences = encode_dict(f, talker_id="AI", sentence_type="VDM", radio_channel="B")
            out += [tag_block(station, t_s) + s for s in sentences]
    return out


__all__ = ["position_lines", "position_payloads", "static_lines", "tag_block"]
