"""What every command module shares: the Typer apps, consoles, options and helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from harborwatch import __version__

if TYPE_CHECKING:
    import pandas as pd
from harborwatch.core.errors import HarborwatchError, InputFileError

app = typer.Typer(
    name="harborwatch",
    help="Evidence about what moves through ports and border crossings, from AIS and satellite imagery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
store_app = typer.Typer(help="Inspect and export a store.", no_args_is_help=True)
app.add_typer(store_app, name="store")
lists_app = typer.Typer(help="Watchlists: download the current public lists.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
sites_app = typer.Typer(help="Site catalogues: the default, anchorages from data, the World Port Index.",
                        no_args_is_help=True)
app.add_typer(sites_app, name="sites")

# soft_wrap: a line longer than the console (a long path, say) is left for the terminal to wrap,
# never broken with a newline that would land in a pipe, a log or a copied path; tables still fit
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}

StoreOpt = Annotated[Path, typer.Option("--store", "-s", help="store directory", envvar="HARBORWATCH_STORE")]


def _version(value: bool) -> None:
    if value:
        out.print(f"harborwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = None,
) -> None:
    _state["debug"] = debug
    _announce_compiles()


#: The listener :func:`_announce_compiles` registered in this process (None before).
_compile_note: dict = {"listener": None}


def _announce_compiles() -> None:
    """Says once a process, on stderr when it is a terminal, that numba is compiling kernels.

    numba reports a compile only when its disk cache has no copy, so this is a fresh install's
    first runs (a minute or two before an ingest's progress moves), or a kernel's first use; later
    runs load the cache. Piped or captured output (``--json`` into a pipeline) gets no note. numba
    is imported here, when a command runs, so that ``harborwatch --help`` stays quick."""
    if _compile_note["listener"] is not None:
        return
    from numba.core import event

    class FirstCompile(event.Listener):
        def __init__(self) -> None:
            self.said = False
            self._lock = threading.Lock()

        def on_start(self, ev: event.Event) -> None:
            if not err.is_terminal:
                return
            with self._lock:
                if self.said:
                    return
                self.said = True
            err.print("compiling numba kernels on their first use after installing: this run takes a minute or two "
                      "longer; later runs load them from numba's cache", highlight=False)

        def on_end(self, ev: event.Event) -> None:
            pass

    listener = FirstCompile()
    event.register("numba:compile", listener)
    _compile_note["listener"] = listener


class _RichProgress:
    """Per-file progress: bytes read (of the file on disk), records, rate; one bar per file, so
    files ingested side by side (``--jobs``) each have theirs."""

    def __init__(self, progress: Progress | None, json_lines: bool) -> None:
        self.p = progress
        self.json_lines = json_lines
        self.tasks: dict[str, TaskID] = {}
        self.records: dict[str, int] = {}

    def start_file(self, name: str, total_bytes: int, fmt: str) -> None:
        self.records[name] = 0
        if self.p is not None:
            label = Path(name.split("!")[-1]).name
            self.tasks[name] = self.p.add_task(f"{label} [{fmt}]", total=max(total_bytes, 1), records=0)

    def advance(self, bytes_done: int, records: int, name: str) -> None:
        self.records[name] = self.records.get(name, 0) + records
        if self.p is not None and name in self.tasks:
            self.p.update(self.tasks[name], completed=bytes_done, records=self.records[name])

    def end_file(self, report: dict) -> None:
        task = self.tasks.get(report["file"])
        if self.p is not None and task is not None:
            self.p.update(task, completed=self.p.tasks[task].total)


def to_pandas(t: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas with nullable integer columns, so an MMSI or IMO column with a
    null prints 9288849, not 9288849.0."""
    import pandas as pd

    ints = {getattr(pa, k)(): getattr(pd, f"{k.capitalize()}Dtype")()
            for k in ("int8", "int16", "int32", "int64")}
    ints.update({getattr(pa, k)(): getattr(pd, "UInt" + k[4:] + "Dtype")() for k in ("uint8", "uint16", "uint32",
                                                                                   "uint64")})
    return t.to_pandas(types_mapper=ints.get)


def _report_json(r: dict) -> str:
    keep = ("file", "format", "records_in", "stored", "quarantined", "duplicates", "quarantine_reasons",
            "field_issues", "stored_by_table", "mmsi_classes", "sha256")
    return json.dumps({k: r[k] for k in keep}, sort_keys=False)


def _parse_time(text: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise HarborwatchError(f"{what} {text!r}: not an ISO 8601 time", hint="e.g. 2023-07-26T00:00:00Z") from e
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _stage_progress(disable: bool) -> tuple[Progress, Callable[[str, int, int], None]]:
    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=err, transient=False, disable=disable)
    tasks: dict[str, TaskID] = {}

    def say(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return progress, say


def _load_sites(path: Path | None):
    from harborwatch.sites import SiteCatalogue

    return SiteCatalogue.default() if path is None else SiteCatalogue.read(path)


def sites_of_store(store, path: Path | None):
    """The site catalogue at ``path``, else the one the store's events were made with, else the default."""
    from harborwatch.events.request import recalled_sites

    if path is not None:
        return _load_sites(path)
    return recalled_sites(store) or _load_sites(None)


SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (the scenario is deterministic for it)")]
DaysOpt = Annotated[int, typer.Option("--days", help="days simulated from 2023-01-01")]
VesselsOpt = Annotated[int, typer.Option("--vessels", help="fleet size (at least 14: the storyline's roles)")]


def _scores_table(scores: dict, title: str) -> Table:
    t = Table(title=title)
    for c in ("type", "truth", "detected", "precision", "recall", "F1"):
        t.add_column(c, justify="left" if c == "type" else "right")

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    for k, v in scores.items():
        if not isinstance(v, dict) or "recall" not in v:  # estimate rows and the like are reported apart
            continue
        t.add_row(k, str(v.get("truth", "")), str(v.get("detected", "-")), f(v.get("precision")), f(v.get("recall")),
                  f(v.get("f1")))
    return t


def check_table_path(path: Path | None) -> None:
    """Fail before any work when ``--out`` names a table format we do not write."""
    if path is not None and path.suffix.lower() not in (".csv", ".parquet"):
        raise InputFileError(f"--out {path}: use .csv or .parquet")


def write_table(t, path: Path) -> None:
    """An Arrow table as Parquet or CSV, chosen by the suffix."""
    check_table_path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(t, path)
    else:
        to_pandas(t).to_csv(path, index=False)
