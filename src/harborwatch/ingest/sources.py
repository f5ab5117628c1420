"""Opening input files: transparent .gz / .bz2 / .zip (by content, not by name) and format detection."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from harborwatch.core.errors import FormatError, InputFileError

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Member:
    """One logical input: a plain file, or one member of an archive."""

    name: str  # shown in accounting and provenance: "path" or "path!member"
    path: Path
    member: str | None
    size: int  # bytes read for progress: on disk (plain, gz, bz2) or the zip member uncompressed
    compression: str | None


def list_members(path: str | Path) -> list[Member]:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file", hint="check the path")
    if p.is_dir():
        raise InputFileError(f"{p}: is a directory", hint="pass the files inside it (e.g. DIR/*.nmea)")
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise InputFileError(f"{p}: cannot read ({e.strerror})") from e
    size = p.stat().st_size
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(p) as z:
                infos = [i for i in z.infolist() if not i.is_dir()]
        except zipfile.BadZipFile as e:
            raise InputFileError(f"{p}: damaged zip archive ({e})") from e
        return [Member(f"{p}!{i.filename}", p, i.filename, i.file_size, "zip") for i in infos]
    comp = "gzip" if head.startswith(GZIP_MAGIC) else "bz2" if head.startswith(BZ2_MAGIC) else None
    return [Member(str(p), p, None, size, comp)]


class _CountingReader(io.RawIOBase):
    """Wraps the raw (compressed) file to report how many bytes were consumed."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b) or 0  # type: ignore[attr-defined]
        self.consumed += n
        if n:
            self.sha256.update(memoryview(b)[:n])
        return n


@contextmanager
def open_member(m: Member) -> Iterator[tuple[IO[bytes], _CountingReader]]:
    """Yield (decompressed binary stream, counter of compressed bytes consumed)."""
    try:
        raw = open(m.path, "rb")  # noqa: SIM115 (closed in the finally below)
    except OSError as e:
        raise InputFileError(f"{m.path}: cannot open ({e.strerror})") from e
    try:
        if m.compression == "zip":
            z = zipfile.ZipFile(raw)
            inner = z.open(m.member or "")
            counter = _CountingReader(inner)  # zip: progress and hash over the member's content
            yield io.BufferedReader(counter, buffer_size=1 << 20), counter
            return
        counter = _CountingReader(raw)
        buffered = io.BufferedReader(counter, buffer_size=1 << 20)
        if m.compression == "gzip":
            yield cast(IO[bytes], gzip.GzipFile(fileobj=buffered)), counter
        elif m.compression == "bz2":
            yield bz2.BZ2File(buffered), counter
        else:
            yield buffered, counter
    except (EOFError, OSError, zipfile.BadZipFile) as e:
        if isinstance(e, InputFileError):
            raise
        raise InputFileError(f"{m.name}: cannot decompress ({e})", hint="the file may be truncated") from e
    finally:
        raw.close()


def sniff(m: Member, nbytes: int = 65536) -> bytes:
    """The first bytes of a member, decompressed."""
    with open_member(m) as (stream, _):
        try:
            return stream.read(nbytes)
        except (EOFError, OSError) as e:
            raise InputFileError(f"{m.name}: cannot decompress ({e})") from e


#: An AIS sentence: !xxVDM / !xxVDO (or $), with its fields up to the checksum.
_NMEA_SENTENCE = re.compile(r"[!$][A-Z]{2}VD[MO],[^*]*\*[0-9A-Fa-f]{2}")


def detect_format(head: bytes, name: str) -> str:
    """'nmea' or the name of a CSV layout, from the content of the first lines."""
    from harborwatch.ingest.csv.mapping import detect_csv_format

    text = head.decode("utf-8-sig", errors="replace")  # a byte-order mark is not content
    # lines end at newlines only: form feeds, NUL or Unicode separators in noise do not split
    lines = [ln.strip(" \t\r\x00") for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise FormatError(f"{name}: empty file, nothing to ingest")
    fmt = detect_csv_format(lines[0])
    if fmt is not None:  # a known header decides
        return fmt
    sample = lines[:200]
    nmea_like = sum(1 for ln in sample if _NMEA_SENTENCE.search(ln))
    # valid sentences among noise (garbage lines, comments, status lines) are still NMEA
    if nmea_like and nmea_like * 5 >= len(sample):
        return "nmea"
    raise FormatError(
        f"{name}: unrecognised format (first line: {lines[0][:100]!r})",
        hint="pass --format NAME or --mapping FILE.toml (see `harborwatch formats`)",
    )
