"""`bundle`, `verify`, `claims check`: evidence anyone can check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from harborwatch.cli.common import StoreOpt, app, err, out, sites_of_store
from harborwatch.core.errors import HarborwatchError

claims_app = typer.Typer(help="Claims registry: check published statements against measurements.",
                         no_args_is_help=True)
app.add_typer(claims_app, name="claims")


@app.command()
def bundle(
    store: StoreOpt = Path("hw-store"),
    event: Annotated[list[str] | None, typer.Option("--event", help="event id (or a unique prefix of 8+ hex "
                                                                     "digits); repeatable")] = None,
    claim: Annotated[str | None, typer.Option("--claim", help="claim id in --claims")] = None,
    claims: Annotated[Path | None, typer.Option("--claims", help="claims registry TOML")] = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="the bundle to write (.zip)")] = Path("bundle.zip"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the one the store's "
                                                                "events were made with)")] = None,
    context_h: Annotated[float, typer.Option("--context-h", help="hours of each vessel's records before and after "
                                                                  "its events")] = 48.0,
    key: Annotated[Path | None, typer.Option("--sign-key", help="sign the manifest with this SSH private key "
                                                                "(ssh-keygen -Y sign)")] = None,
) -> None:
    """Write an evidence bundle: the events (or a claim's evidence), the raw records they rest on,
    parameters, software versions, figures and a summary, each hashed in manifest.json."""
    from harborwatch.evidence.bundle import Bundling, build_bundle, find_events
    from harborwatch.evidence.claims import bundle_claim
    from harborwatch.store import Store

    if bool(event) == bool(claim):
        raise HarborwatchError("give either --event ID or --claim ID --claims FILE")
    if claim and claims is None:
        raise HarborwatchError("--claim needs --claims FILE (the registry it is in)")
    with Store.open(store, create=False, read_only=True) as st:
        cat = sites_of_store(st, sites)
        params = Bundling(context_h=context_h)
        if claim and claims is not None:
            p = bundle_claim(st, claims, claim, cat, out_path, params, key)
        else:
            p = build_bundle(st, find_events(st, event or []), cat, out_path, params, key=key)
    out.print(f"wrote {p} ({p.stat().st_size:,} bytes); check it with: harborwatch verify {p}", highlight=False)


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="the bundle (.zip)")],
    allowed_signers: Annotated[Path | None, typer.Option("--allowed-signers", help="require a signature by one of "
                                                                                    "these (ssh-keygen format)")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Check a bundle: every hash, the signature (with --allowed-signers), and the events re-derived
    from the bundled records with the bundled rules. Exit 0 when intact, 1 naming what is not."""
    from harborwatch.evidence.verify import verify_bundle

    v = verify_bundle(path, allowed_signers)
    if as_json:
        print(json.dumps(v.as_dict()))
    else:
        for n in v.notes:
            out.print(f"  note: {n}", highlight=False)
        for p in v.problems:
            err.print(f"[bold red]FAILED:[/bold red] {p}", highlight=False)
        if v.ok:
            c = v.checked
            out.print(f"OK {path}: {c.get('members', 0)} members match the manifest; {c.get('records', 0):,} "
                      f"records reproduce their hashes; {c.get('events_rederived', 0)} events re-derived"
                      + (f"; signed by {c['signed_by']}" if "signed_by" in c else ""), highlight=False)
    raise typer.Exit(0 if v.ok else 1)


@claims_app.command("check")
def claims_check(
    path: Annotated[Path, typer.Argument(help="claims registry TOML (e.g. examples/claims_rason_2023.toml)")],
    store: StoreOpt = Path("hw-store"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the one the store's "
                                                                "events were made with)")] = None,
    calendar: Annotated[Path | None, typer.Option("--calendar", help="event calendar TOML (default: Rason 2023)")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per claim and line")] = False,
) -> None:
    """Check each claim against its measurement: supported, contradicted or insufficient, with the
    measured value, its interval and the evidence (event ids; bundle one with `bundle --claim`)."""
    from rich.table import Table

    from harborwatch.analysis import load_calendar
    from harborwatch.evidence.claims import check_claims, claim_estimates, load_claims
    from harborwatch.store import Store

    claims = load_claims(path)
    with Store.open(store, create=False, read_only=True) as st:
        est = claim_estimates(st, sites_of_store(st, sites), claims, load_calendar(calendar))
        results = check_claims(st, est, claims)
    if as_json:
        keep = ("claim_id", "status", "measured", "low", "high", "evidence", "reason")
        for r in results:
            print(json.dumps({k: r[k] for k in keep}))
        return
    t = Table(title=f"claims of {path} against {store}")
    for c in ("claim", "status", "measured [90 % interval]", "evidence", "why"):
        t.add_column(c)
    colour = {"supported": "green", "contradicted": "red", "insufficient": "yellow"}
    for r in results:
        m = "-" if r["measured"] is None else f"{r['measured']:,.2f} [{r['low']:,.2f}, {r['high']:,.2f}]"
        t.add_row(r["claim_id"], f"[{colour[r['status']]}]{r['status']}[/]", m, f"{len(r['evidence'])} items",
                  r["reason"])
    out.print(t)
