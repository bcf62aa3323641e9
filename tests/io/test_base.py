"""Writers hand every byte to the file system when they are closed, whatever else still holds the file."""

import gzip

import pytest

from winnow.io.base import open_read, open_write


@pytest.mark.parametrize("ext", [".jsonl.gz", ".jsonl.zst", ".jsonl"])
def test_closed_writer_has_flushed_its_file(tmp_path, ext):
    path = tmp_path / f"out{ext}"
    w = open_write(path)
    raw = getattr(w, "fileobj", None) or getattr(w, "_raw", None) or w  # a live reference, as a traceback holds
    payload = b'{"id": "a", "text": "' + b"x" * 100_000 + b'"}\n'
    w.write(payload)
    w.close()
    assert raw.closed
    with open_read(path) as f:
        assert f.read() == payload
    if ext.endswith(".gz"):
        assert gzip.decompress(path.read_bytes()) == payload
