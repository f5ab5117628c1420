"""CSV layouts as small TOML mapping files.

The built-in layouts (``formats/*.toml``) use the same mechanism a user does with
``--mapping FILE.toml``; see ``docs``-style comments in those files and the README.

A mapping names, for each canonical field, either a column (``sog_kn = "SOG"``) or a
table::

    sog_kn = { column = "SPEED_KNOTSx10", scale = 0.1 }          # scale factor
    sog_kn = { column = "speed", unit = "m/s" }                   # unit conversion
    imo = { column = "IMO", strip_prefix = "IMO" }
    length_m = { sum = ["to_bow", "to_stern"] }
    nav_status = { column = "status", values = { "Moored" = 5 } }
    eta = { column = "ETA", format = "%d/%m/%Y %H:%M:%S" }

``[time]`` gives the timestamp: ``format`` is a strptime pattern, ``unix_s`` or
``unix_ms``; a pattern without a UTC offset needs ``timezone`` (an IANA name), because
a naive time is UTC only where the format says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from harborwatch.core.errors import FormatError

NUMERIC_FIELDS = {
    "mmsi", "msg_type", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "rot_deg_min", "nav_status", "accuracy",
    "imo", "ship_type", "length_m", "beam_m", "draught_m", "deadweight_t", "eta_month", "eta_day", "eta_hour",
    "eta_minute",
}
TEXT_FIELDS = {"name", "callsign", "destination", "ship_type_text", "flag", "station", "receiver"}
TIME_FIELDS = {"eta"}
KNOWN_FIELDS = NUMERIC_FIELDS | TEXT_FIELDS | TIME_FIELDS

SPEED_UNITS = {"kn": 1.0, "knots": 1.0, "m/s": 1.0 / 0.514444, "km/h": 1.0 / 1.852}
LENGTH_UNITS = {"m": 1.0, "dm": 0.1, "cm": 0.01, "ft": 0.3048}
ANGLE_UNITS = {"deg": 1.0, "rad": 57.29577951308232}


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    column: str | None = None
    sum: tuple[str, ...] = ()
    scale: float = 1.0
    strip_prefix: str | None = None
    values: dict[str, Any] | None = None
    format: str | None = None  # for time fields

    @property
    def columns(self) -> tuple[str, ...]:
        return self.sum if self.sum else ((self.column,) if self.column else ())


#: Texts that exports write for "no value": always null, in every layout (a layout's
#: ``null_values`` adds its own, e.g. DMA's "Unknown").
NULL_TOKENS = ("", "NULL", "null", "N/A", "NaN", "-", "None")


@dataclass(frozen=True)
class Mapping:
    name: str
    description: str
    delimiter: str
    header_contains: tuple[str, ...]
    time_column: str
    time_format: str
    timezone: str | None
    ms_column: str | None
    columns: dict[str, ColumnSpec]
    receiver: str = "unknown"
    null_values: tuple[str, ...] = NULL_TOKENS
    source: str = "built-in"

    def required_columns(self) -> set[str]:
        cols = {self.time_column}
        if self.ms_column:
            cols.add(self.ms_column)
        for spec in self.columns.values():
            cols.update(spec.columns)
        return cols


def _err(src: str, msg: str) -> FormatError:
    return FormatError(f"mapping {src}: {msg}", hint="see the built-in mappings with `harborwatch formats --show NAME`")


def parse_mapping(doc: dict, src: str) -> Mapping:
    fmt = doc.get("format", {})
    time = doc.get("time", {})
    cols = doc.get("columns", {})
    if not isinstance(fmt, dict) or not isinstance(time, dict) or not isinstance(cols, dict):
        raise _err(src, "needs tables [format], [time] and [columns]")
    if "column" not in time or "format" not in time:
        raise _err(src, "[time] needs 'column' and 'format' (strptime pattern, unix_s or unix_ms)")
    tfmt = str(time["format"])
    tz = time.get("timezone")
    if tfmt not in ("unix_s", "unix_ms") and "%z" not in tfmt and not tz:
        raise _err(src, f"time format {tfmt!r} has no UTC offset: set [time] timezone (e.g. \"UTC\")")
    specs: dict[str, ColumnSpec] = {}
    for name, val in cols.items():
        if name not in KNOWN_FIELDS:
            raise _err(src, f"unknown field {name!r}; known: {', '.join(sorted(KNOWN_FIELDS))}")
        if isinstance(val, str):
            specs[name] = ColumnSpec(name, column=val)
            continue
        if not isinstance(val, dict):
            raise _err(src, f"field {name!r} must be a column name or a table")
        scale = float(val.get("scale", 1.0))
        unit = val.get("unit")
        if unit is not None:
            table = SPEED_UNITS if name == "sog_kn" else LENGTH_UNITS if name.endswith("_m") else ANGLE_UNITS
            if unit not in table:
                raise _err(src, f"field {name!r}: unit {unit!r} not one of {', '.join(table)}")
            scale *= table[unit]
        total = tuple(val.get("sum", ()))
        if not total and "column" not in val:
            raise _err(src, f"field {name!r} needs 'column' or 'sum'")
        specs[name] = ColumnSpec(
            name, column=val.get("column"), sum=total, scale=scale, strip_prefix=val.get("strip_prefix"),
            values=val.get("values"), format=val.get("format"),
        )
    for need in ("mmsi",):
        if need not in specs:
            raise _err(src, f"field {need!r} is required")
    delim = str(fmt.get("delimiter", ","))
    if len(delim) != 1:
        raise _err(src, "delimiter must be one character")
    receiver = str(fmt.get("receiver", "unknown"))
    if receiver not in ("terrestrial", "satellite", "unknown"):
        raise _err(src, "receiver must be terrestrial, satellite or unknown")
    return Mapping(
        name=str(fmt.get("name", Path(src).stem)),
        description=str(fmt.get("description", "")),
        delimiter=delim,
        header_contains=tuple(fmt.get("header_contains", ())),
        time_column=str(time["column"]),
        time_format=tfmt,
        timezone=tz,
        ms_column=time.get("milliseconds_column"),
        columns=specs,
        receiver=receiver,
        null_values=tuple(dict.fromkeys([*NULL_TOKENS, *fmt.get("null_values", ())])),
        source=src,
    )


def load_mapping(path: str | Path) -> Mapping:
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise FormatError(f"mapping file {p} not found") from e
    except tomllib.TOMLDecodeError as e:
        raise FormatError(f"mapping file {p}: invalid TOML ({e})") from e
    return parse_mapping(doc, str(p))


@lru_cache(maxsize=1)
def builtin_mappings() -> dict[str, Mapping]:
    out: dict[str, Mapping] = {}
    for entry in sorted(files("harborwatch.ingest.csv").joinpath("formats").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            m = parse_mapping(tomllib.loads(entry.read_text(encoding="utf-8")), f"built-in {entry.name}")
            out[m.name] = m
    return out


def builtin_mapping_text(name: str) -> str:
    for entry in files("harborwatch.ingest.csv").joinpath("formats").iterdir():
        if entry.name == f"{name}.toml":
            return entry.read_text(encoding="utf-8")
    raise FormatError(f"no built-in format {name!r}", hint=f"known: {', '.join(builtin_mappings())}")


def split_header(line: str, delimiter: str) -> list[str]:
    return [c.strip().strip('"').strip() for c in line.split(delimiter)]


def detect_csv_format(header_line: str) -> str | None:
    """The built-in layout whose ``header_contains`` columns all appear in the header."""
    best: tuple[int, str] | None = None
    for name, m in builtin_mappings().items():
        cols = set(split_header(header_line, m.delimiter))
        if m.header_contains and all(c in cols for c in m.header_contains):
            score = len(m.header_contains)
            if best is None or score > best[0]:
                best = (score, name)
    return best[1] if best else None
