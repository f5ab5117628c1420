"""The vectorised NMEA encoder: pyais decodes every sentence to the values encoded."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import decode

from harborwatch.scenario import nmea


def _sentence(line: str) -> str:
    return line[line.rindex("\\") + 1:]


@settings(max_examples=150, deadline=None)
@given(msg_type=st.sampled_from([1, 3, 18]), mmsi=st.integers(200_000_000, 775_999_999),
       lat=st.floats(-90, 90), lon=st.floats(-180, 180), sog=st.floats(0, 102.2), cog=st.floats(0, 359.9),
       heading=st.integers(0, 359), t=st.integers(1_600_000_000, 1_800_000_000), status=st.integers(0, 15))
def test_position_reports_round_trip_through_pyais(msg_type, mmsi, lat, lon, sog, cog, heading, t, status):
    pay = nmea.position_payloads(np.array([msg_type]), np.array([mmsi]), np.array([t]), np.array([lat]),
                                 np.array([lon]), np.array([sog]), np.array([cog]), np.array([heading]),
                                 np.array([status]))
    line = nmea.position_lines("TEST", np.array([t]), pay, np.array(["A"])).decode()
    assert line.startswith(f"\\s:TEST,c:{t}*") and line.endswith("\n")
    m = decode(_sentence(line.strip())).asdict()
    assert m["msg_type"] == msg_type and m["mmsi"] == mmsi and m["second"] == t % 60
    assert abs(m["lat"] - lat) < 1e-5 and abs(m["lon"] - lon) < 1e-5
    assert abs(m["speed"] - sog) <= 0.0501 and abs(m["course"] - cog) <= 0.0501  # 0.1 kn, 0.1 degree steps
    assert m["heading"] == heading
    if msg_type != 18:
        assert int(m["status"]) == status


def test_not_available_values_and_checksums():
    pay = nmea.position_payloads(np.array([1]), np.array([273000001]), np.array([0]), np.array([np.nan]),
                                 np.array([np.nan]), np.array([np.nan]), np.array([np.nan]), np.array([np.nan]),
                                 np.array([0]))
    line = nmea.position_lines("X", np.array([1690000000]), pay, np.array(["B"])).decode().strip()
    m = decode(_sentence(line)).asdict()
    assert (m["lat"], m["lon"], m["speed"], m["course"], m["heading"]) == (91.0, 181.0, 102.3, 360.0, 511)
    tag, sentence = line[1:].split("\\", 1)
    body, cs = tag.split("*")
    x = 0
    for ch in body.encode():
        x ^= ch
    assert f"{x:02X}" == cs
    assert ",B," in sentence


def test_static_reports_decode():
    fields = {"type": 5, "mmsi": 273123456, "imo": 9123463, "shipname": "SONGBO", "callsign": "UBCD1",
              "ship_type": 70, "to_bow": 90, "to_stern": 20, "to_port": 8, "to_starboard": 9, "draught": 6.4,
              "destination": "RAJIN", "month": 5, "day": 3, "hour": 12, "minute": 0, "ais_version": 0, "epfd": 1}
    lines = nmea.static_lines("RU-POSYET", 1690000000, fields, 3)
    assert len(lines) == 2
    m = decode(*[_sentence(x) for x in lines]).asdict()
    assert (m["mmsi"], m["imo"], m["shipname"], m["callsign"], m["destination"]) == (
        273123456, 9123463, "SONGBO", "UBCD1", "RAJIN")
    assert abs(m["draught"] - 6.4) < 1e-6
    b = nmea.static_lines("SAT", 1690000000, {"type": 24, "mmsi": 273000002, "shipname": "TUG", "callsign": "UB1",
                                              "ship_type": 52, "to_bow": 18, "to_stern": 6, "to_port": 4,
                                              "to_starboard": 4}, 0)
    assert [decode(_sentence(x)).asdict()["partno"] for x in b] == [0, 1]
