"""Write events as GeoParquet, GeoJSON or CSV (chosen by the file suffix), byte-for-byte
reproducible: the same events give the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from harborwatch.core.errors import HarborwatchError
from harborwatch.core.geoparquet import with_points

FORMATS = (".parquet", ".geoparquet", ".geojson", ".json", ".csv")


def write_events(events: pa.Table, path: str | Path) -> Path:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise HarborwatchError(f"{p}: event files are {', '.join(FORMATS)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".parquet", ".geoparquet"):
        pq.write_table(with_points(events), p, compression="zstd")
    elif suffix in (".geojson", ".json"):
        feats = []
        for r in events.to_pylist():
            geom = None if r["lat"] is None else {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
            props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
            props["start"] = r["start"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            props["end"] = r["end"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            props["attributes"] = json.loads(r["attributes"]) if r["attributes"] else None
            props["parameters"] = json.loads(r["parameters"]) if r["parameters"] else None
            props["evidence"] = [str(x) for x in (r["evidence"] or [])]  # 64-bit ids exceed JS numbers
            feats.append({"type": "Feature", "id": r["event_id"], "geometry": geom, "properties": props})
        p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":")) + "\n",
                     encoding="utf-8")
    else:
        ev = events.set_column(events.column_names.index("evidence"), "evidence",
                               pa.array([";".join(str(x) for x in (e or [])) for e in events["evidence"].to_pylist()],
                                        pa.string()))
        ev = ev.set_column(ev.column_names.index("start"), "start",
                           pc.strftime(ev["start"], "%Y-%m-%dT%H:%M:%SZ"))
        ev = ev.set_column(ev.column_names.index("end"), "end", pc.strftime(ev["end"], "%Y-%m-%dT%H:%M:%SZ"))
        pacsv.write_csv(ev, p)
    return p
