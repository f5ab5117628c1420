"""`serve`: the web map and HTTP API over a store."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from harborwatch.cli.common import StoreOpt, app, err, out
from harborwatch.core.errors import require


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@app.command()
def serve(
    store: StoreOpt = Path("hw-store"),
    host: Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="bearer tokens allowed to post reviews, "
                                                                         "one 'name:token' per line")] = None,
    estimates: Annotated[Path | None, typer.Option("--estimates", help="estimates folder (harborwatch estimate "
                                                                        "--out); default: ../estimates beside the "
                                                                        "store, when there")] = None,
    reviews: Annotated[Path | None, typer.Option("--reviews", help="reviews database (SQLite); default: "
                                                                    "reviews.sqlite in the store folder")] = None,
    calendar: Annotated[Path | None, typer.Option("--calendar", help="event calendar TOML for the series panel "
                                                                      "(default: Rason 2023)")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="report folder to serve at /report/ (default: "
                                                                  "../report beside the store, when there)")] = None,
) -> None:
    """Serve the interactive map at / and the JSON/GeoJSON API at /api (OpenAPI at /docs), reading
    the store read-only. Reviews need --token-file; without it they are read-only."""
    uvicorn = require("uvicorn", "serve", "harborwatch serve")
    require("fastapi", "serve", "harborwatch serve")
    from harborwatch.serve.app import create_app
    from harborwatch.serve.state import ServeOptions, ServerState

    opts = ServeOptions(store=store, estimates=estimates, reviews=reviews, token_file=token_file, calendar=calendar,
                        report=report)
    state = ServerState.open(opts)  # fails here, with the CLI's message, on a missing store or token file
    if not _loopback(host):
        err.print(f"warning: listening on {host}: anyone who can reach this machine can read the store"
                  + ("" if token_file else "; reviews stay read-only without --token-file"), highlight=False)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"harborwatch serve: http://{shown}:{port}/  (store {store}; API docs at http://{shown}:{port}/docs; "
              "Ctrl+C stops)", highlight=False, soft_wrap=True)
    uvicorn.run(create_app(opts, state), host=host, port=port, log_level="warning")
