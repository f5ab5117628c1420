"""Store layer: the embedded DuckDB store and the ingest orchestration that fills it."""

from harborwatch.store.ingest import IngestOptions, ingest_counts, ingest_files
from harborwatch.store.store import Store

__all__ = ["IngestOptions", "Store", "ingest_counts", "ingest_files"]
