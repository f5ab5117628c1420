"""Write events as GeoParquet, GeoJSON or CSV (chosen by the file suffix), or as a partitioned
GeoParquet dataset (a folder or a URI), byte-for-byte reproducible: the same events give the same
files, whichever engine found them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from harborwatch.core.errors import HarborwatchError
from harborwatch.core.filesystems import filesystem, is_uri
from harborwatch.core.geoparquet import with_points

FORMATS = (".parquet", ".geoparquet", ".geojson", ".json", ".csv")


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` names a partitioned dataset (a URI, or a path with no file suffix)."""
    return is_uri(path) or Path(path).suffix == ""


def write_events(events: pa.Table, path: str | Path) -> Path:
    """One file whose suffix gives the format, or the partitioned dataset of
    :func:`write_event_dataset` where ``path`` has no suffix."""
    if is_dataset(path):
        write_event_dataset(events, path)
        return Path(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise HarborwatchError(f"{p}: event files are {', '.join(FORMATS)}",
                               hint="or give a folder (no suffix) for a partitioned GeoParquet dataset")
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


def write_event_dataset(events: pa.Table, dest: str | Path) -> dict[str, int]:
    """Events as GeoParquet partitioned Hive-style by type and UTC month of their start,
    ``<dest>/type=<type>/month=<YYYY-MM>/events.parquet``, each file sorted by (start, event_id).
    An earlier event dataset in ``dest`` is replaced; a folder holding anything else is refused.
    Returns the rows written per partition folder.

    Spark, DuckDB (``read_parquet('<dest>/**/*.parquet', hive_partitioning = true)``), pandas
    and QGIS read it; both engines write it through here, so the same events give the same bytes.
    """
    try:
        fs, root = filesystem(dest)
    except HarborwatchError as e:
        raise HarborwatchError(f"cannot write events to {dest}: {e}", hint=e.hint) from e
    fs.create_dir(root, recursive=True)
    # what an earlier dataset left is replaced; anything else there is the user's, and kept
    held = fs.get_file_info(pafs.FileSelector(root))
    foreign = [f.base_name for f in held if not (f.type == pafs.FileType.Directory and f.base_name.startswith("type="))]
    if foreign:
        raise HarborwatchError(f"{dest} holds {foreign[0]!r}, which is not part of an event dataset",
                               hint="give an empty or new folder (an earlier event dataset there is replaced)")
    for f in held:
        fs.delete_dir(f.path)
    if events.num_rows == 0:
        return {}
    month = pc.strftime(events["start"], "%Y-%m")
    keyed = events.append_column("_month", month).sort_by(
        [("type", "ascending"), ("_month", "ascending"), ("start", "ascending"), ("event_id", "ascending")])
    keys = [f"type={t}/month={m}" for t, m in zip(keyed["type"].to_pylist(), keyed["_month"].to_pylist(),
                                                strict=True)]
    written: dict[str, int] = {}
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            part = keyed.slice(start, i - start).drop_columns(["type", "_month"])
            folder = f"{root}/{keys[start]}"
            fs.create_dir(folder, recursive=True)
            with fs.open_output_stream(f"{folder}/events.parquet") as f:
                pq.write_table(with_points(part), f, compression="zstd")
            written[keys[start]] = part.num_rows
            start = i
    return written
