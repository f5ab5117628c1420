"""Local folders and URIs (``s3://``, ``gs://``, ``hdfs://``) as one pyarrow file system API.

The lake, the Spark engine's tasks and the event datasets read and write through here, so a
path on a laptop and a bucket on a cluster take the same code.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from harborwatch.core.errors import HarborwatchError


def is_uri(path: str | Path) -> bool:
    return "://" in str(path)


def filesystem(location: str | Path) -> tuple[pafs.FileSystem, str]:
    """The file system and path of a local folder or a URI (Hadoop's ``s3a://`` is read as ``s3://``)."""
    text = str(location)
    if not is_uri(text):
        return pafs.LocalFileSystem(), str(Path(text).absolute())
    if text.startswith("s3a://"):
        text = "s3://" + text[len("s3a://"):]
    try:
        return pafs.FileSystem.from_uri(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise HarborwatchError(f"cannot open {location}: {e}",
                               hint="give a local folder, or a URI pyarrow opens (s3://, gs://, hdfs://)") from e


def parquet_files(location: str | Path) -> list[pafs.FileInfo]:
    """Every ``.parquet`` file under a folder or URI, sorted by path; none if it does not exist."""
    fs, base = filesystem(location)
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.NotFound:
        return []
    found = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    return sorted((f for f in found if f.type == pafs.FileType.File and f.path.endswith(".parquet")),
                  key=lambda f: f.path)


__all__ = ["filesystem", "is_uri", "parquet_files"]
