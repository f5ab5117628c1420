"""``harborwatch serve``: an HTTP API and a web map over a store (the ``serve`` extra:
FastAPI and uvicorn). :func:`create_app` builds the application; the API reads the store
read-only and writes only reviews, to their own SQLite file."""

from harborwatch.serve.state import ServeOptions

__all__ = ["ServeOptions"]
