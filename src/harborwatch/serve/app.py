"""The FastAPI application of ``harborwatch serve``: the JSON / GeoJSON API and the map page.

Everything reads the store through :class:`~harborwatch.serve.state.ServerState`; the only write
is a review, into its own SQLite file, and it needs a bearer token from ``--token-file``.
Errors are JSON ``{"detail", "hint"}``: 404 for a thing that is not there, 422 for a bad
parameter, 401 / 403 for authentication, 413 for an oversized request, 409 when a bundle cannot
be built (its source files moved or changed).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Query
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from harborwatch import __version__
from harborwatch.core.errors import DataError, HarborwatchError, NotFoundError
from harborwatch.evidence.bundle import build_bundle, find_events
from harborwatch.serve import queries as Q
from harborwatch.serve.reviews import MAX_NOTE_CHARS, STATUSES
from harborwatch.serve.state import ServeOptions, ServerState

STATIC = Path(__file__).parent / "static"
#: the largest request body accepted (a review is a few hundred bytes)
MAX_BODY_BYTES = 16 * 1024
_HEX = re.compile(r"^[0-9a-f]{8,64}$")
EventId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class ReviewIn(BaseModel):
    """A review as posted: the event, the analyst's verdict and a note."""

    event_id: EventId
    status: Literal["confirmed", "rejected", "needs_review"]
    note: str = Field("", max_length=MAX_NOTE_CHARS)


class BodyLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` with 413, by its Content-Length
    or, when chunked, as soon as the bytes read pass the limit. The body (at most ``max_bytes``)
    is read here and handed on to the application unchanged."""

    def __init__(self, app: Callable, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, status_code=413)
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await too_big(scope, receive, send)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        messages, seen = [], 0
        while True:
            msg = await receive()
            messages.append(msg)
            seen += len(msg.get("body", b""))
            if seen > self.max_bytes:
                return await too_big(scope, receive, send)
            if msg["type"] != "http.request" or not msg.get("more_body"):
                break

        async def replay() -> dict:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _error(status: int, e: HarborwatchError) -> JSONResponse:
    return JSONResponse({"detail": str(e), "hint": e.hint}, status_code=status)


def _utc(t: datetime | None) -> datetime | None:
    return None if t is None else (t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC))


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError as err:
        raise DataError(f"bad bbox {text[:80]!r}", field="bbox", hint="bbox=west,south,east,north") from err
    return w, s, e, n


def create_app(opts: ServeOptions, state: ServerState | None = None) -> FastAPI:
    """The application over the store in ``opts``, opened when the app starts (or ``state``, opened
    already: the CLI opens it first, so a missing store or token file is its one-line error)."""
    holder: dict[str, ServerState] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder["s"] = state or ServerState.open(opts)
        yield
        holder.pop("s").close()

    app = FastAPI(title="harborwatch", version=__version__, lifespan=lifespan,
                  description="Port calls, AIS gaps, encounters, radar detections and watchlist hits from a "
                              "harborwatch store, with their evidence.")
    app.add_middleware(BodyLimit)
    app.add_exception_handler(NotFoundError, lambda r, e: _error(404, e))
    app.add_exception_handler(DataError, lambda r, e: _error(422, e))
    app.add_exception_handler(HarborwatchError, lambda r, e: _error(400, e))

    def st() -> ServerState:
        return holder["s"]

    for routes in (_read_routes, _vessel_routes, _file_routes, _review_routes):
        routes(app, st)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name, folder in opts.folders().items():
        app.mount(f"/{name}", StaticFiles(directory=folder, html=True), name=name)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    return app


def _read_routes(app: FastAPI, st: Callable[[], ServerState]) -> None:
    @app.get("/api/health")
    def health() -> dict:
        s = st()
        n = s.store().con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        return {"status": "ok", "version": __version__, "store": str(s.opts.store), "events": int(n),
                "estimates": s.series.folder is not None, "reviews_writable": s.tokens is not None}

    @app.get("/api/info")
    def info() -> dict:
        s = st()
        return {**Q.info(s.store()), "series": s.series.available(), "chips": len(s.chips)}

    @app.get("/api/sites")
    def sites() -> dict:
        return st().sites.to_geojson()

    @app.get("/api/basemap")
    def basemap() -> dict:
        return st().basemap()

    @app.get("/api/events")
    def events(type: Annotated[list[str] | None, Query(max_length=200)] = None,
               site: Annotated[str | None, Query(max_length=200)] = None,
               mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
               since: datetime | None = None, until: datetime | None = None,
               bbox: Annotated[str | None, Query(max_length=200, description="west,south,east,north")] = None,
               limit: Annotated[int, Query(ge=1, le=Q.MAX_LIMIT)] = 100,
               cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict:
        types = tuple(t for v in (type or []) for t in v.split(",") if t)
        q = Q.EventQuery(types=types, site=site, mmsi=mmsi, since=_utc(since), until=_utc(until), bbox=_bbox(bbox),
                         limit=limit, cursor=cursor)
        return Q.events_page(st().store(), q)

    @app.get("/api/events/{event_id}")
    def event(event_id: str) -> dict:
        f = Q.event_detail(st().store(), event_id)
        f["properties"]["reviews"] = st().reviews.list(event_id)
        return f



def _vessel_routes(app: FastAPI, st: Callable[[], ServerState]) -> None:
    @app.get("/api/vessels")
    def vessels(q: Annotated[str, Query(min_length=1, max_length=100)]) -> list[dict]:
        return Q.vessel_search(st().store(), q)

    @app.get("/api/vessels/{mmsi}")
    def vessel(mmsi: int) -> dict:
        return Q.vessel(st().store(), mmsi)

    @app.get("/api/tracks/{mmsi}")
    def tracks(mmsi: int, since: datetime | None = None, until: datetime | None = None) -> dict:
        return Q.track(st().store(), mmsi, _utc(since), _utc(until))



def _file_routes(app: FastAPI, st: Callable[[], ServerState]) -> None:
    @app.get("/api/series")
    def series(site: Annotated[str | None, Query(max_length=200)] = None,
               quantity: Annotated[str | None, Query(max_length=100)] = None) -> Any:
        s = st().series
        if site is None or quantity is None:
            return {"series": s.available()}
        return s.series(site, quantity)

    @app.get("/api/chips/{chip_id}")
    def chip(chip_id: str) -> FileResponse:
        path = st().chips.get(chip_id) if _HEX.match(chip_id) else None
        if path is None or not Path(path).is_file():
            raise NotFoundError(f"no chip {chip_id[:70]!r}")
        return FileResponse(path, media_type="image/png" if path.endswith(".png") else "image/jpeg")

    @app.get("/api/bundles/{event_id}")
    def bundle(event_id: str) -> Any:
        s = st()
        if not re.fullmatch(r"[0-9a-f]{32}", event_id):
            raise NotFoundError(f"no event {event_id[:70]!r}", hint="event ids are 32 hex digits")
        out = s.bundle_dir / f"{event_id}.zip"
        with s.bundle_lock:
            if not out.exists():
                try:
                    build_bundle(s.store(), find_events(s.store(), [event_id]), s.sites, out)
                except NotFoundError:
                    raise
                except HarborwatchError as e:
                    return _error(409, e)
        return FileResponse(out, media_type="application/zip", filename=f"harborwatch-bundle-{event_id}.zip")


def _review_routes(app: FastAPI, st: Callable[[], ServerState]) -> None:
    @app.get("/api/reviews")
    def reviews(event_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[dict]:
        return st().reviews.list(event_id, limit)

    @app.post("/api/reviews", status_code=201,
              responses={401: {"description": "no or wrong bearer token"},
                         403: {"description": "the server has no token file"}})
    def add_review(review: ReviewIn, authorization: Annotated[str | None, Header()] = None) -> Any:
        s = st()
        if s.tokens is None:
            return JSONResponse({"detail": "reviews are read-only on this server",
                                 "hint": "start it with --token-file FILE"}, status_code=403)
        scheme, _, token = (authorization or "").partition(" ")
        who = s.tokens.who(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if who is None:
            return JSONResponse({"detail": "a valid bearer token is required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        Q.event_detail(s.store(), review.event_id)  # 404 for an event that is not in the store
        return s.reviews.add(review.event_id, review.status, review.note, who)


__all__ = ["MAX_BODY_BYTES", "STATUSES", "create_app"]
