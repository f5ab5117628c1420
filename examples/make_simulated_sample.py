"""Write examples/simulated_rason_sample.nmea: a tiny SIMULATED AIS feed near Rajin (Najin), DPRK.

Synthetic identities only (no real vessel): three ships with plausible MMSIs (Russian and
DPRK MIDs) and valid IMO check digits, reported every 3 minutes for 6 hours on
2023-08-14 with NMEA 4.10 tag blocks (c: time, s: station), one static report each, and
two deliberately corrupt lines so that the quarantine has something to show.
Deterministic; run ``python examples/make_simulated_sample.py`` to regenerate.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import xor
from pathlib import Path

import pyais

T0 = 1_691_971_200  # 2023-08-14T00:00:00Z
RAJIN = (42.2446, 130.2950)


def tagged(sentence: str, t: int, station: str, group: str | None = None) -> str:
    fields = ([f"g:{group}"] if group else []) + [f"s:{station}", f"c:{t}"]
    body = ",".join(fields)
    return f"\\{body}*{reduce(xor, body.encode(), 0):02X}\\{sentence}"


def main() -> None:
    ships = [
        dict(mmsi=273319870, imo=9305609, name="SIM SHUTTLE ONE", callsign="UBSA1", ship_type=70, bearing=100.0),
        dict(mmsi=273319880, imo=9190327, name="SIM SHUTTLE TWO", callsign="UBSA2", ship_type=70, bearing=160.0),
        dict(mmsi=445990010, imo=8712312, name="SIM CHOLLIMA", callsign="HMSA3", ship_type=80, bearing=200.0),
    ]
    lines = []
    group = 100
    for s in ships:
        group += 1
        parts = pyais.encode_dict(
            dict(type=5, mmsi=s["mmsi"], imo=s["imo"], shipname=s["name"], callsign=s["callsign"],
                 ship_type=s["ship_type"], to_bow=90, to_stern=20, to_port=9, to_starboard=9, draught=6.4,
                 destination="RAJIN", month=8, day=14, hour=12, minute=0),
            talker_id="AI",
        )
        for k, p in enumerate(parts, start=1):
            lines.append((T0, tagged(p, T0, "SIM-RAJIN", f"{k}-{len(parts)}-{group}")))
        for i in range(120):  # 6 h at 3 min
            t = T0 + 60 + i * 180
            dist_nm = 0.2 * i if i < 60 else 0.2 * (120 - i)  # out and back
            b = math.radians(s["bearing"])
            lat = RAJIN[0] + dist_nm / 60 * math.cos(b)
            lon = RAJIN[1] + dist_nm / 60 * math.sin(b) / math.cos(math.radians(RAJIN[0]))
            sog = 4.0 if 0 < i < 120 else 0.0
            cog = s["bearing"] if i < 60 else (s["bearing"] + 180) % 360
            (p,) = pyais.encode_dict(dict(type=1, mmsi=s["mmsi"], lat=round(lat, 5), lon=round(lon, 5), speed=sog,
                                          course=cog, heading=int(cog), status=0), talker_id="AI")
            lines.append((t, tagged(p, t, "SIM-RAJIN")))
    lines.sort(key=lambda x: x[0])
    text = [ln for _, ln in lines]
    text.insert(10, text[9][:-2] + "00")  # corrupt checksum
    text.insert(20, "!AIVDM,1,1,,A,,0*26")  # empty payload
    out = Path(__file__).with_name("simulated_rason_sample.nmea")
    out.write_text("\n".join(text) + "\n")
    print(f"wrote {out} ({len(text)} lines)")


if __name__ == "__main__":
    main()
