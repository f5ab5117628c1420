"""The ``harborwatch`` command line (typer + rich).

Errors print as one line (what, where, what to do) unless ``--debug`` is given.
"""

from __future__ import annotations

import sys

from rich.markup import escape

# the command modules register their commands on `app` when imported, in the order `--help` lists them
# isort: off
from harborwatch.cli import ingest_commands  # noqa: F401
from harborwatch.cli import analysis_commands  # noqa: F401
from harborwatch.cli import screen_commands  # noqa: F401
from harborwatch.cli import sar_commands  # noqa: F401
from harborwatch.cli import sites_commands  # noqa: F401
from harborwatch.cli import evidence_commands  # noqa: F401
from harborwatch.cli import trade_commands  # noqa: F401
from harborwatch.cli import serve_commands  # noqa: F401
# isort: on
from harborwatch.cli.common import _load_sites, _stage_progress, _state, app, err, out  # noqa: F401
from harborwatch.core.errors import HarborwatchError


def main() -> None:
    try:
        app()
    except HarborwatchError as e:
        if _state["debug"]:
            raise
        msg = str(e).replace("\n", " ")
        hint = f" ({e.hint})" if e.hint else ""
        err.print(f"[bold red]error:[/bold red] {escape(msg)}{escape(hint)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; committed batches are kept, re-run the same command to complete")
        sys.exit(130)


if __name__ == "__main__":
    main()
