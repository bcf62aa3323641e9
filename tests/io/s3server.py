"""A real S3-protocol server on loopback for the tests (moto's threaded server, spoken to by the real s3fs client):
no cloud account, nothing mocked inside winnow."""

from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import Path
from typing import Iterator

import pytest


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Start the server, point the S3 environment variables at it (the way a user points winnow at MinIO or
    another S3-compatible store), create a bucket; yields ``s3://<bucket>``."""
    moto_server = pytest.importorskip("moto.server", reason="needs moto[server] (the dev extra)")
    s3fs = pytest.importorskip("s3fs", reason="needs s3fs (the s3 extra)")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    srv = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "winnow-test",
                     "AWS_SECRET_ACCESS_KEY": "winnow-test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            mp.setenv(k, v)
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(k, raising=False)
        s3fs.S3FileSystem.clear_instance_cache()  # a cached client would still talk to an earlier server
        # moto keeps its buckets in process-wide memory, shared by every server started in this process (another
        # test file on the same xdist worker): a fresh bucket each time.
        bucket = f"winnow-test-{uuid.uuid4().hex[:12]}"
        s3fs.S3FileSystem().mkdir(bucket)
        try:
            yield f"s3://{bucket}"
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            srv.stop()


def read_remote(url: str) -> dict[str, bytes]:
    """Every object under a URL (relative name -> bytes), like tests.helpers.read_all for a local folder."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url, use_listings_cache=False)
    return {p[len(root.rstrip("/")) + 1:]: fs.cat_file(p) for p in sorted(fs.find(root))}


def read_local(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}
