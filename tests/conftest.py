"""Shared fixtures: the real public data beside the repo (``../shared/data`` or $HARBORWATCH_SHARED)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data() -> Path | None:
    root = Path(os.environ.get("HARBORWATCH_SHARED", REPO.parent / "shared"))
    data = root / "data"
    return data if data.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    data = shared_data()
    if data is None:
        pytest.skip("real data not found: set HARBORWATCH_SHARED to the folder holding data/ (default ../shared)")
    return data


@pytest.fixture(scope="session")
def ais_dir(shared: Path) -> Path:
    d = shared / "ais"
    if not d.is_dir():
        pytest.skip(f"{d} missing")
    return d


def _parquet_tree(location) -> dict[str, bytes]:
    """Every ``.parquet`` file under a folder or URI, by its path below it, with its bytes."""
    from harborwatch.core.filesystems import filesystem, parquet_files

    fs, base = filesystem(location)
    return {f.path[len(base.rstrip("/")) + 1:]: fs.open_input_file(f.path).readall() for f in parquet_files(location)}


@pytest.fixture(scope="session")
def parquet_tree():
    """``parquet_tree(folder_or_uri)``: its Parquet files as {path below it: bytes}, to compare
    outputs byte for byte wherever they were written (a folder, ``s3://``)."""
    return _parquet_tree


@pytest.fixture
def s3(monkeypatch):
    """An S3 API on localhost (moto's server) and the environment pyarrow (and a child process)
    reaches it by: ``s3://`` URIs then go to it. Yields the environment; the bucket ``lake``
    exists, empty."""
    server = pytest.importorskip("moto.server", reason="the S3 tests need moto[server] (the dev extra)")
    boto3 = pytest.importorskip("boto3")
    srv = server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}", "AWS_EC2_METADATA_DISABLED": "true"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"]).create_bucket(Bucket="lake")
    yield env
    srv.stop()


# --- a small store with events (evidence bundles, claims), from the repository's simulated NMEA sample
# and a hand-made CSV

SAMPLE = REPO / "examples" / "simulated_rason_sample.nmea"
DMA_HEAD = ("# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,"
            "Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,"
            "Data source type,A,B,C,D")


def dma_rows_with_gap() -> str:
    """One vessel steaming east in the Sea of Japan, silent for 20 h in the middle: a gap event."""
    t0 = datetime(2023, 8, 1, tzinfo=UTC)
    lines = [DMA_HEAD]
    for k in range(60):
        t = t0 + timedelta(minutes=10 * k) + (timedelta(hours=20) if k >= 30 else timedelta())
        lon = 132.0 + 0.03 * k + (0.9 if k >= 30 else 0)
        lines.append(f"{t:%d/%m/%Y %H:%M:%S},Class A,273123456,40.500000,{lon:.6f},Under way using engine,0.0,10.0,"
                     f"90.0,90,Unknown,UBCD1,TEST TWO,Cargo,,20,120,GPS,6.5,NAJIN,,AIS,100,20,10,10")
    return "\n".join(lines) + "\n"


def make_store(d: Path) -> Path:
    from harborwatch.events import EventsConfig, Request, run
    from harborwatch.events.request import remember
    from harborwatch.sites import SiteCatalogue
    from harborwatch.store import Store
    from harborwatch.store.ingest import IngestOptions, ingest_files

    src = d / "inputs"
    src.mkdir(parents=True)
    shutil.copy(SAMPLE, src / "sample.nmea")
    (src / "gap.csv").write_text(dma_rows_with_gap())
    with Store.open(d / "store") as st:
        list(ingest_files(st, [src / "sample.nmea"], IngestOptions(receiver="terrestrial")))
        list(ingest_files(st, [src / "gap.csv"], IngestOptions(format="dma")))
        req = Request(EventsConfig(), SiteCatalogue.default())
        st.put_rows("events", run(st, req, workers=1), "event_id")
        remember(st, req)
    return d / "store"


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="session")
def store_maker():
    """:func:`make_store`, for fixtures elsewhere that need a store of their own to add to."""
    return make_store


#: Debian Chromium in a container: no GPU (WebGL by SwiftShader), no sandbox, no background traffic
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> tuple[str, list[str]]:
    """(executable, arguments) of the Chromium the browser tests drive; skips when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p, CHROMIUM_ARGS
    pytest.skip("no Chromium on PATH (Debian package chromium)")
