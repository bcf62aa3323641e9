"""Compression-aware file access, atomic output, and the reader/writer protocols.

Every output file is written under a temporary name beside its final path and renamed when complete, so a killed
run never leaves a half file that a resumed run would trust. gzip output carries no timestamp, so the same input
gives byte-identical files.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar, Iterator

import zstandard

from ..document import Document, Quarantine

__all__ = ["Reader", "Writer", "open_read", "open_write", "atomic_path", "expand_paths", "compression_of"]


SAMPLES_PREFIX = "samples://"


def compression_of(path: str | os.PathLike) -> str | None:
    p = str(path)
    if p.endswith(".gz"):
        return "gzip"
    if p.endswith(".zst") or p.endswith(".zstd"):
        return "zstd"
    return None


def is_remote(path: str | os.PathLike) -> bool:
    p = str(path)
    return "://" in p and not p.startswith((SAMPLES_PREFIX, "file://"))


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise ImportError("reading remote paths (s3://, gs://, ...) needs fsspec and its filesystem package, e.g. "
                          "pip install fsspec s3fs") from None
    return fsspec


def open_read(path: str | os.PathLike) -> IO[bytes]:
    """A binary stream of the decompressed content (local paths, or any URL fsspec knows)."""
    comp = compression_of(path)
    raw = _fsspec().open(str(path), "rb").open() if is_remote(path) else open(path, "rb")
    if comp == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if comp == "zstd":
        return io.BufferedReader(_ZstdReader(raw), buffer_size=1 << 20)
    return raw


class _ZstdReader(io.RawIOBase):
    """Multi-frame zstd decoding that raises EOFError on a truncated stream (zstandard's stream_reader returns the
    partial data silently, which would turn a cut file into a malformed last record)."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self._d = zstandard.ZstdDecompressor()
        self._obj = self._d.decompressobj()
        self._buf = b""
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            chunk = self._raw.read(1 << 18)
            if not chunk:
                if self._in_frame:
                    raise EOFError("zstd stream ends in the middle of a frame (file truncated)")
                return 0
            while chunk:
                if self._obj.eof:
                    self._obj = self._d.decompressobj()
                self._in_frame = True
                self._buf += self._obj.decompress(chunk)
                if self._obj.eof:
                    self._in_frame = False
                    chunk = self._obj.unused_data
                else:
                    chunk = b""
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Host and pid: two nodes writing the same shard onto a shared file system never share a temporary. The final
    # name stays last: its extension picks the codec.
    tmp = final.with_name(f".tmp-{socket.gethostname()}-{os.getpid()}-{final.name}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


class _ZstdWriter:
    """zstandard's stream writer, closing the frame and the file together."""

    def __init__(self, raw: IO[bytes], level: int):
        self._raw = raw
        self._w = zstandard.ZstdCompressor(level=level).stream_writer(raw, closefd=False, write_return_read=True)
        self.closed = False

    def write(self, b) -> int:
        return self._w.write(b)

    def close(self) -> None:
        if not self.closed:
            self._w.close()  # ends the frame
            self._raw.close()
            self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_write(path: str | os.PathLike, level: int = 3) -> IO[bytes]:
    comp = compression_of(path)
    raw = open(path, "wb")
    if comp == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="")  # no timestamp: reproducible bytes
    if comp == "zstd":
        return _ZstdWriter(raw, level)  # type: ignore[return-value]
    return raw


def resolve_path(pattern: str) -> str:
    """``samples://crawl/*.jsonl.zst`` names data shipped inside the package (the demo crawl)."""
    if pattern.startswith(SAMPLES_PREFIX):
        return str(Path(__file__).resolve().parent.parent / "samples" / pattern[len(SAMPLES_PREFIX):])
    return pattern


def expand_paths(paths: str | list[str]) -> list[str]:
    """Glob each pattern; sorted so shard order and names never depend on the file system."""
    pats = [paths] if isinstance(paths, str) else list(paths)
    out: list[str] = []
    for pat in map(resolve_path, pats):
        if is_remote(pat):
            fs, _, _ = _fsspec().get_fs_token_paths(pat)
            out.extend(sorted(fs.unstrip_protocol(m) for m in fs.glob(pat)) or [pat])
            continue
        matches = sorted(glob.glob(os.path.expanduser(pat), recursive=True))
        if not matches and not glob.has_magic(pat):
            matches = [pat]  # let the reader say clearly that it does not exist
        out.extend(matches)
    return out


class Reader:
    """Turns input into Documents. ``shards()`` names independent units of work; ``read(shard)`` streams one,
    yielding a Quarantine for every record it cannot read (never raising on bad input)."""

    name: ClassVar[str] = ""

    def shards(self) -> list[str]:
        raise NotImplementedError

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        raise NotImplementedError


class Writer:
    """Writes one shard's documents to one file. ``extension`` is appended to the shard name."""

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""

    def open(self, path: Path) -> "WriterHandle":
        raise NotImplementedError


class WriterHandle:
    def write(self, doc: Document) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def doc_from_record(rec: dict[str, Any], *, text_key: str, id_key: str, default_id: str,
                    source: str) -> Document:
    """Build a Document from a foreign record: a winnow record round-trips whole; for others, every field but the
    text and the id becomes metadata."""
    if "attributes" in rec and "edits" in rec and "metadata" in rec and text_key == "text":
        return Document.from_dict(rec)
    text = rec[text_key]
    if not isinstance(text, str):
        raise TypeError(f"field {text_key!r} is {type(text).__name__}, not a string")
    rid = rec.get(id_key)
    meta = {k: v for k, v in rec.items() if k not in (text_key, id_key)}
    meta.setdefault("source", source)
    return Document(id=str(rid) if rid is not None else default_id, text=text, metadata=meta)
