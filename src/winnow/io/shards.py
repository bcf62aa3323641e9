"""Splitting one large input file into several shards, so a single big file is read by several workers.

A shard key is the file's path, or the path with a range: ``data.jsonl#bytes=S-E:L`` (the lines starting in bytes
[S, E) of an uncompressed JSONL file, L lines before them), ``crawl.warc.gz#bytes=S-E`` (the WARC records starting
in [S, E): gzip members or zstd frames, one record each, or plain records), ``table.parquet#rowgroups=A-B:R`` (row
groups [A, B), R rows before them). Every boundary is a true record start found when planning, so each record
belongs to exactly one shard; planning is deterministic (the same file and ``shard_size_mb`` give the same keys),
so resume sees the same shards. Positions in quarantine records and default ids (``stem:line``) stay
file-absolute: a split run keeps the same documents, with the same ids, as an unsplit one.

What is not split: compressed JSONL (a gzip or zstd stream cannot be entered mid-way without decompressing what
precedes it), a zstd WARC with a dictionary, remote JSONL and WARC files. Those stay one shard per file.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

__all__ = ["Range", "split_key", "plan_jsonl", "plan_warc", "plan_parquet", "input_files", "RangeReader"]

_KEY = re.compile(r"^(?P<path>.*)#(?P<kind>bytes|rowgroups)=(?P<a>\d+)-(?P<b>\d+)(?::(?P<base>\d+))?$")
_SCAN = 1 << 22  # bytes read at a time when counting lines: large enough that Python's loop is not the cost
# The readers' default shard_size_mb (256) is a choice, not a measurement: a shard of it is minutes of work for the
# slower steps (HTML extraction, language ID), so a worker's setup (models: about a second) is noise, while a 1 GB
# file already spreads over 4 workers.


@dataclass(frozen=True)
class Range:
    kind: str  # "bytes" | "rowgroups"
    start: int
    end: int
    base: int = 0  # lines (JSONL) or rows (Parquet) before the range


def split_key(key: str) -> tuple[str, Range | None]:
    m = _KEY.match(key)
    if m is None:
        return key, None
    return m["path"], Range(m["kind"], int(m["a"]), int(m["b"]), int(m["base"] or 0))


def input_files(keys: Iterable[str]) -> list[str]:
    """The files behind shard keys, each once, in order (the run records and fingerprints files, not ranges)."""
    out: dict[str, None] = {}
    for k in keys:
        out.setdefault(split_key(k)[0], None)
    return list(out)


def _limit(shard_size_mb: float | None) -> int | None:
    if not shard_size_mb or shard_size_mb <= 0:
        return None
    return max(1, int(shard_size_mb * 1024 * 1024))


def _local_size(path: str) -> int | None:
    from .base import is_remote

    if is_remote(path):
        return None
    try:
        return Path(path).stat().st_size
    except OSError:
        return None  # the reader says clearly what is wrong with it


# --- JSONL ---------------------------------------------------------------------------------------------------------

def plan_jsonl(path: str, shard_size_mb: float | None) -> list[str]:
    """Byte ranges that start at line starts, with the number of lines before each (one counting pass)."""
    from .base import compression_of

    limit = _limit(shard_size_mb)
    size = _local_size(path)
    if limit is None or size is None or size <= limit or compression_of(path) is not None:
        return [path]
    bounds, before = [0], [0]  # range starts, and the lines before each
    nominal = limit
    pos = lines = 0  # scan position, and the newlines before it
    with open(path, "rb") as f:
        while chunk := f.read(_SCAN):
            off = 0  # newlines before chunk[off] are counted in `lines`
            while True:
                # the boundary: just after the first newline at or after nominal - 1 (so a line starting exactly at
                # nominal starts the next range)
                lo = max(nominal - 1 - pos, off)
                if lo >= len(chunk):
                    break
                i = chunk.find(b"\n", lo)
                if i < 0:
                    break
                lines += chunk.count(b"\n", off, i + 1)
                off = i + 1
                if pos + off < size:
                    bounds.append(pos + off)
                    before.append(lines)
                nominal = max(nominal + limit, pos + off + 1)
            lines += chunk.count(b"\n", off)
            pos += len(chunk)
    ends = bounds[1:] + [size]
    keys = [f"{path}#bytes={a}-{b}:{n}" for a, b, n in zip(bounds, ends, before)]
    return keys


class RangeReader:
    """A binary stream over bytes [start, end) of a local file, for readers that read lines."""

    def __init__(self, path: str, start: int, end: int):
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left = end - start

    def readline(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        line = self._f.readline(n)
        self._left -= len(line)
        return line

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data

    def __iter__(self):
        while line := self.readline():
            yield line

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- WARC ----------------------------------------------------------------------------------------------------------

def _is_record_start(f: BinaryIO, pos: int, magic: bytes) -> bool:
    """Whether a WARC record really starts at ``pos`` (not just bytes that look like a member header)."""
    f.seek(pos)
    head = f.read(1 << 16)
    if magic == b"\x1f\x8b\x08":
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return d.decompress(head, 16).startswith(b"WARC/")
        except zlib.error:
            return False
    if magic == b"\x28\xb5\x2f\xfd":
        import zstandard

        try:
            return zstandard.ZstdDecompressor().decompressobj().decompress(head)[:5] == b"WARC/"
        except zstandard.ZstdError:
            return False
    return head.startswith(b"WARC/")


# How a WARC's records are framed (read here to plan shards at record boundaries, and by io.warc to resynchronise
# after a corrupt region).
_SCAN_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_PLAIN_MAGIC = b"\nWARC/"


def _find_next(f: BinaryIO, start: int, magic: bytes) -> int | None:
    """Offset of the first plausible record start at or after ``start``: ``magic`` is a gzip member header or a
    zstd frame header in a compressed WARC (one member / frame per record), ``\nWARC/`` in a plain one. None at
    the end of the file."""
    skip = 1 if magic == _PLAIN_MAGIC else 0
    pos = start
    while True:
        f.seek(pos)
        chunk = f.read(_SCAN_CHUNK + len(magic))
        if not chunk:
            return None
        i = chunk.find(magic)
        if i >= 0:
            return pos + i + skip
        if len(chunk) <= len(magic):
            return None
        pos += _SCAN_CHUNK


def _record_magic(head: bytes) -> bytes | None:
    """What a record boundary looks like in this file, or None when reading cannot resume mid-file."""
    if head[:2] == b"\x1f\x8b":
        return _GZIP_MAGIC
    if head == _ZSTD_MAGIC:
        return _ZSTD_MAGIC
    if len(head) == 4 and head[0] & 0xF0 == 0x50 and head[1:] == b"\x2a\x4d\x18":
        # A zstd skippable frame first: the WARC's compression dictionary, which every later frame needs, so a
        # frame found mid-file cannot be decoded on its own.
        return None
    return _PLAIN_MAGIC


def plan_warc(path: str, shard_size_mb: float | None) -> list[str]:
    """Byte ranges that start at record boundaries: gzip members or zstd frames (one record each, as crawlers
    write them), or ``WARC/`` header lines in a plain file."""
    limit = _limit(shard_size_mb)
    size = _local_size(path)
    if limit is None or size is None or size <= limit:
        return [path]
    with open(path, "rb") as f:
        magic = _record_magic(f.read(4))
        if magic is None:  # zstd with a dictionary: no frame decodes on its own
            return [path]
        if magic == _PLAIN_MAGIC:
            # a payload may hold a line starting "WARC/" (an archived WARC): walk the real records instead
            return _plan_plain_warc(path, size, limit)
        bounds = [0]
        nominal = limit
        while nominal < size:
            pos = nominal
            found = None
            while True:
                cand = _find_next(f, pos, magic)
                if cand is None:
                    break
                if _is_record_start(f, cand, magic):
                    found = cand
                    break
                pos = cand + 1
            if found is None:
                break
            if found > bounds[-1]:
                bounds.append(found)
            nominal = max(nominal + limit, found + 1)
    bounds.append(size)
    if len(bounds) == 2:
        return [path]
    return [f"{path}#bytes={a}-{b}" for a, b in zip(bounds, bounds[1:])]


def _plan_plain_warc(path: str, size: int, limit: int) -> list[str]:
    from fastwarc.warc import ArchiveIterator

    bounds = [0]
    nominal = limit
    with open(path, "rb") as f:
        try:
            for rec in ArchiveIterator(f, parse_http=False):
                if rec.stream_pos >= nominal and rec.stream_pos > bounds[-1]:
                    bounds.append(rec.stream_pos)
                    nominal = rec.stream_pos + limit
        except OSError:
            pass  # a corrupt region: the ranges found so far stand; the last one reads (and reports) the rest
    if len(bounds) == 1:
        return [path]
    bounds.append(size)
    return [f"{path}#bytes={a}-{b}" for a, b in zip(bounds, bounds[1:])]


# --- Parquet -------------------------------------------------------------------------------------------------------

def plan_parquet(path: str, shard_size_mb: float | None) -> list[str]:
    """Runs of whole row groups of about ``shard_size_mb`` compressed bytes each (metadata only)."""
    limit = _limit(shard_size_mb)
    if limit is None:
        return [path]
    from .base import _open_raw, is_remote

    try:
        if is_remote(path):
            import pyarrow.parquet as pq

            with _open_raw(path) as raw:
                meta = pq.ParquetFile(raw).metadata
        else:
            if (_local_size(path) or 0) <= limit:
                return [path]
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
    except Exception:  # an unreadable file: the reader quarantines it with its message
        return [path]
    n = meta.num_row_groups
    if n <= 1:
        return [path]
    sizes = [sum(meta.row_group(i).column(c).total_compressed_size for c in range(meta.row_group(i).num_columns))
             for i in range(n)]
    rows = [meta.row_group(i).num_rows for i in range(n)]
    if sum(sizes) <= limit:
        return [path]
    keys = []
    a, acc, rows_before = 0, 0, 0
    for i in range(n):
        acc += sizes[i]
        if acc >= limit or i == n - 1:
            keys.append(f"{path}#rowgroups={a}-{i + 1}:{rows_before}")
            rows_before += sum(rows[a:i + 1])
            a, acc = i + 1, 0
    return keys if len(keys) > 1 else [path]
