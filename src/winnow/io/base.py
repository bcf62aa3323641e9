"""Compression-aware file access, atomic output, and the reader/writer protocols.

Every output file is written under a temporary name beside its final path and renamed when complete, so a killed
run never leaves a half file that a resumed run would trust. gzip output carries no timestamp, so the same input
gives byte-identical files.

A run folder may also be a URL on any filesystem fsspec knows (``s3://bucket/run``, ``gs://...``): ``as_path``
gives a ``RemotePath`` there (the few pathlib calls the runner makes, over fsspec), and ``atomic_path`` writes a
local temporary file and uploads it with one PUT, which an object store makes visible whole or not at all.
"""

from __future__ import annotations

import glob
import gzip
import io
import lzma
import os
import socket
import tempfile
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar, Iterator

import zstandard

from ..document import Document, Quarantine, RecordError, _short, record_id

__all__ = ["Reader", "Writer", "open_read", "open_write", "atomic_path", "expand_paths", "compression_of", "as_path",
           "RemotePath", "remove_tree", "local_copy", "upload_batch", "read_many", "is_temp_name", "lookup",
           "select_records", "sampled", "FORMATS", "ReadGuard"]

# Temporary names: ``atomic_path`` writes ``.tmp-<host>-<pid>-<final name>`` beside the final file (and
# ``.winnow-*`` in the system temporary folder for uploads). A killed process leaves them behind; every listing of a
# run folder must skip them, or a resume reads a half-written file as a finished one.
TEMP_PREFIXES = (".tmp-", ".winnow-")


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIXES)


def _running(pid: int) -> bool:
    """Whether process ``pid`` of this host runs: a zombie does not (a killed driver's worker stays one until it is
    reaped, a second or more after the kill)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's: leave its files alone
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:][:1] != b"Z"
    except (OSError, ValueError):
        return True  # no /proc (not Linux): kill(pid, 0) said so


def remove_dead_temps(folder: str | os.PathLike) -> int:
    """Remove the temporary files (``atomic_path``'s) directly in a local ``folder`` that a process of this host
    left and that is no longer running (killed while writing); those of a running process or another host stay.
    For a folder no lock guards (shuffle-merge's and mix's outputs); a run folder's lock lets it remove them all."""
    mine = f"{TEMP_PREFIXES[0]}{socket.gethostname()}-"
    n = 0
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in names:
        pid = name[len(mine):].split("-", 1)[0] if name.startswith(mine) else ""
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        if _running(int(pid)):
            continue
        n += unlink_if_there(os.path.join(folder, name))
    return n


def unlink_if_there(path: str) -> bool:
    """Remove a file another process may have removed first; whether this call did."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


SAMPLES_PREFIX = "samples://"


def compression_of(path: str | os.PathLike) -> str | None:
    p = str(path)
    if p.endswith(".gz"):
        return "gzip"
    if p.endswith(".zst") or p.endswith(".zstd"):
        return "zstd"
    if p.endswith(".bz2"):
        return "bz2"
    if p.endswith(".xz"):
        return "xz"
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


def remote_fs(url: str):
    """(filesystem, path inside it) for a URL. Listings are never cached: other processes (workers, another node)
    add files to the run folder while this one runs, and a stale listing would hide a finished shard."""
    return _fsspec().core.url_to_fs(url, use_listings_cache=False)


class RemotePath:
    """The part of pathlib's API that the runner, the dedup store and the report use, over an fsspec URL.

    It has no ``__fspath__`` on purpose: handing one to ``open()`` or numpy fails loudly instead of writing a local
    file named ``s3:/...``. Object stores have no folders, so ``mkdir`` does nothing and a "folder" exists when
    something is stored under it."""

    __slots__ = ("url", "_kind", "_size")

    def __init__(self, url: str, _kind: str | None = None, _size: int | None = None):
        proto, _, rest = str(url).partition("://")
        self.url = f"{proto}://{rest.rstrip('/')}" if rest.strip("/") else str(url)
        # What a listing already said ("file" | "directory", the size): saves a request per entry.
        self._kind, self._size = _kind, _size

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemotePath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: "RemotePath") -> bool:
        return self.url < other.url

    def __reduce__(self):
        return (RemotePath, (self.url,))

    def __truediv__(self, other: str | os.PathLike) -> "RemotePath":
        return RemotePath(f"{self.url}/{str(other).strip('/')}")

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[1] if "/" in self.url.split("://", 1)[1] else ""

    @property
    def parent(self) -> "RemotePath":
        proto, rest = self.url.split("://", 1)
        return RemotePath(f"{proto}://{rest.rsplit('/', 1)[0]}") if "/" in rest else self

    @property
    def suffix(self) -> str:
        name = self.name
        i = name.rfind(".")
        return name[i:] if 0 < i < len(name) - 1 else ""

    def with_name(self, name: str) -> "RemotePath":
        return self.parent / name

    def relative_to(self, other: "RemotePath | str") -> str:
        base = str(other).rstrip("/") + "/"
        if not self.url.startswith(base):
            raise ValueError(f"{self.url} is not under {other}")
        return self.url[len(base):]

    def _fs(self):
        return remote_fs(self.url)

    def exists(self) -> bool:
        fs, p = self._fs()
        return fs.exists(p)

    def is_dir(self) -> bool:
        if self._kind is not None:
            return self._kind == "directory"
        fs, p = self._fs()
        return fs.isdir(p)

    def is_file(self) -> bool:
        if self._kind is not None:
            return self._kind == "file"
        fs, p = self._fs()
        return fs.isfile(p)

    def stat(self) -> os.stat_result:
        if self._size is None:
            fs, p = self._fs()
            self._size = int(fs.size(p))
        return os.stat_result((0o100644, 0, 0, 1, 0, 0, self._size, 0, 0, 0))

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        pass

    def _wrap(self, fs, entries) -> list["RemotePath"]:
        return [RemotePath(fs.unstrip_protocol(e["name"]), "directory" if e.get("type") == "directory" else "file",
                           e.get("size")) for e in entries]

    def iterdir(self) -> list["RemotePath"]:
        fs, p = self._fs()
        try:
            return self._wrap(fs, [e for e in fs.ls(p, detail=True) if e["name"].rstrip("/") != p.rstrip("/")])
        except FileNotFoundError:
            return []

    def glob(self, pattern: str) -> list["RemotePath"]:
        fs, p = self._fs()
        return self._wrap(fs, fs.glob(f"{p}/{pattern}", detail=True).values())

    def read_bytes(self) -> bytes:
        fs, p = self._fs()
        return _cat_whole(fs, p)

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def unlink(self, missing_ok: bool = False) -> None:
        fs, p = self._fs()
        try:
            fs.rm_file(p)
        except FileNotFoundError:
            if not missing_ok:
                raise


def _cat_whole(fs, p: str) -> bytes:
    # An explicit range ("bytes=0-") is one GET; without it s3fs sends a HEAD first. An empty object answers a range
    # with 416 on S3, hence the plain read as the fallback.
    try:
        return fs.cat_file(p, start=0)
    except FileNotFoundError:
        raise
    except OSError:
        return fs.cat_file(p)


def as_path(p: "str | os.PathLike | RemotePath") -> "Path | RemotePath":
    """A run folder or a file in it: ``Path`` for local paths, ``RemotePath`` for URLs (``Path("s3://b/run")``
    would silently become the local folder ``s3:/b/run``)."""
    if isinstance(p, (Path, RemotePath)):
        return p
    s = os.fspath(p)
    if is_remote(s):
        return RemotePath(s)
    return Path(s[len("file://"):] if s.startswith("file://") else s)


def remove_tree(path: "Path | RemotePath") -> None:
    """``shutil.rmtree(path, ignore_errors=True)`` for local and remote folders."""
    if isinstance(path, RemotePath):
        fs, p = remote_fs(path.url)
        try:
            fs.rm(p, recursive=True)
        except FileNotFoundError:
            pass
        return
    import shutil

    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def local_copy(path: "Path | RemotePath") -> Iterator[Path]:
    """A local file with the content of ``path`` (the file itself when it is local), removed afterwards. A file
    memory-mapped from it stays readable after the removal (POSIX keeps unlinked mapped files)."""
    if not isinstance(path, RemotePath):
        yield Path(path)
        return
    fs, p = remote_fs(path.url)
    fd, tmp = tempfile.mkstemp(prefix=".winnow-", suffix="-" + path.name)
    os.close(fd)
    try:
        fs.get_file(p, tmp)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


def _open_raw(path: "str | os.PathLike | RemotePath") -> IO[bytes]:
    if is_remote(path):
        fs, p = remote_fs(str(path))
        return fs.open(p, "rb")
    return open(path, "rb")


def open_read(path: "str | os.PathLike | RemotePath") -> IO[bytes]:
    """A binary stream of the decompressed content (local paths, or any URL fsspec knows)."""
    comp = compression_of(path)
    raw = _open_raw(path)
    if comp == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if comp == "zstd":
        return io.BufferedReader(_ZstdReader(raw), buffer_size=1 << 20)
    # bz2 and xz (datatrove and Dolma read them; a .jsonl.bz2 was read byte for byte as JSON Lines and every line
    # quarantined as invalid UTF-8, with the advice to convert it with iconv): the standard library's readers bound
    # each read's output, so readline(max_record_bytes + 1) keeps a bomb to one record, and a cut file raises EOFError
    if comp == "bz2":
        import bz2

        return bz2.BZ2File(raw, "rb")
    if comp == "xz":
        import lzma

        return lzma.LZMAFile(raw, "rb")
    return raw


class _ZstdReader(io.RawIOBase):
    """Multi-frame zstd decoding with bounded output that raises EOFError on a truncated stream.

    zstandard's ``stream_reader`` bounds each read's output (a decompressobj does not: 16 KB of input can expand to
    512 MiB in one call), but it returns the partial data of a cut file silently, which would turn a truncated file
    into a malformed last record. So the compressed bytes pass through a ``_FrameTracker`` on their way in, which
    follows the frame and block headers and says at the end whether the stream stopped between two frames."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self._tracker = _FrameTracker(raw)
        self._r = zstandard.ZstdDecompressor().stream_reader(self._tracker, read_size=1 << 18,
                                                              read_across_frames=True, closefd=False)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._r.readinto(b)
        if n == 0 and not self._tracker.complete():
            raise EOFError("zstd stream ends in the middle of a frame (file truncated)")
        return n

    def close(self) -> None:
        if not self.closed:
            self._r.close()
            self._raw.close()
        super().close()


class _FrameTracker:
    """A pass-through reader over a zstd stream that walks the frame headers (RFC 8878, section 3.1) and the 3-byte
    block headers without decoding anything, so that at the end of the input it knows whether the last frame was
    complete. Cost: a few Python operations per block (a block is at most 128 KiB of output)."""

    _MAGIC = b"\x28\xb5\x2f\xfd"

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self._skip = 0  # payload bytes to pass before the next header
        self._head = b""  # bytes of the header being gathered
        self._want = 4  # size of that header
        self._state = "magic"  # magic | skippable | descriptor | block | lost
        self._checksum = 0
        self.read_bytes = 0

    def complete(self) -> bool:
        # "lost": bytes this walker does not understand; zstd itself will have raised on them if they were bad.
        return self._state == "lost" or (self._state == "magic" and not self._head and self._skip == 0)

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data:
            self.read_bytes += len(data)
            self._feed(memoryview(data))
        return data

    def _feed(self, mv: memoryview) -> None:
        i, n = 0, len(mv)
        while i < n and self._state != "lost":
            if self._skip:
                k = min(self._skip, n - i)
                self._skip -= k
                i += k
                continue
            k = min(self._want - len(self._head), n - i)
            self._head += bytes(mv[i:i + k])
            i += k
            if len(self._head) == self._want:
                head, self._head = self._head, b""
                self._header(head)

    def _header(self, h: bytes) -> None:
        st = self._state
        if st == "magic":
            if h == self._MAGIC:
                self._state, self._want = "descriptor", 1
            elif h[0] & 0xF0 == 0x50 and h[1:] == b"\x2a\x4d\x18":
                self._state, self._want = "skippable", 4
            else:
                self._state = "lost"
        elif st == "skippable":
            self._skip = int.from_bytes(h, "little")
            self._state, self._want = "magic", 4
        elif st == "descriptor":
            d = h[0]
            fcs_flag, single, did_flag = d >> 6, (d >> 5) & 1, d & 3
            self._checksum = 4 if d & 4 else 0
            rest = (0 if single else 1) + (0, 1, 2, 4)[did_flag] + ((1 if single else 0), 2, 4, 8)[fcs_flag]
            self._state, self._want = "block", 3
            self._skip = rest
        elif st == "block":
            v = int.from_bytes(h, "little")
            last, btype, size = v & 1, (v >> 1) & 3, v >> 3
            self._skip = 1 if btype == 1 else size
            if last:  # then the optional content checksum, then the next frame
                self._skip += self._checksum
                self._state, self._want = "magic", 4


@contextmanager
def atomic_path(path: "str | os.PathLike | RemotePath") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds. For a URL, the
    temporary file is local and is uploaded with one PUT (an object appears whole or not at all: no rename)."""
    if is_remote(path):
        with _atomic_upload(str(path)) as tmp:
            yield tmp
        return
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Host and pid: two nodes writing the same shard onto a shared file system never share a temporary. The final
    # name stays last: its extension picks the codec.
    tmp = final.with_name(f"{TEMP_PREFIXES[0]}{socket.gethostname()}-{os.getpid()}-{final.name}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


_batches = threading.local()


@contextmanager
def upload_batch() -> Iterator[None]:
    """Remote files written with ``atomic_path`` inside the block are uploaded together when it ends, as concurrent
    PUTs (one round trip instead of one per file); if the block raises, none is. Each object still appears whole or
    not at all. Local files are unaffected (renamed one by one, as without the block)."""
    stack = _batches.__dict__.setdefault("stack", [])
    items: list[tuple[str, str]] = []
    stack.append(items)
    ok = False
    try:
        yield
        ok = True
    finally:
        stack.pop()
        try:
            if ok and items:
                by_fs: dict[int, tuple[Any, list[str], list[str]]] = {}
                for tmp, url in items:
                    fs, p = remote_fs(url)
                    entry = by_fs.setdefault(id(fs), (fs, [], []))
                    entry[1].append(tmp)
                    entry[2].append(p)
                for fs, tmps, paths in by_fs.values():
                    fs.put(tmps, paths)
        finally:
            for tmp, _ in items:
                os.unlink(tmp)


@contextmanager
def _atomic_upload(url: str) -> Iterator[Path]:
    fs, p = remote_fs(url)
    # The final name stays last: its extension picks the codec, as beside a local output.
    fd, tmp = tempfile.mkstemp(prefix=".winnow-", suffix="-" + url.rsplit("/", 1)[-1])
    os.close(fd)
    stack = getattr(_batches, "stack", None)
    try:
        yield Path(tmp)
    except BaseException:
        os.unlink(tmp)
        raise
    if stack:
        stack[-1].append((tmp, url))  # uploaded (and removed) when the batch ends
        return
    try:
        fs.put_file(tmp, p)
    finally:
        os.unlink(tmp)


def read_many(paths: "list[Path | RemotePath]") -> list[bytes | None]:
    """The bytes of several files (None for a missing one); remote files are fetched concurrently."""
    if not paths:
        return []
    if not isinstance(paths[0], RemotePath):
        return [p.read_bytes() if p.exists() else None for p in paths]
    fs, _ = remote_fs(paths[0].url)
    inner = [remote_fs(p.url)[1] for p in paths]
    got = fs.cat_ranges(inner, [0] * len(inner), [None] * len(inner), on_error="return")  # see _cat_whole
    return [None if isinstance(g, FileNotFoundError) else _cat_whole(fs, p) if isinstance(g, BaseException) else g
            for p, g in zip(inner, got)]


_ZSTD_CHUNK = 1 << 20


class _ZstdWriter:
    """zstandard's stream writer, closing the frame and the file together.

    Writes are gathered into chunks of _ZSTD_CHUNK bytes before they reach the compressor (a record is a line or
    two, and each call into zstandard cost as much as compressing a small line; its tables also stayed in the CPU
    caches for a whole chunk). The compressed bytes are the same: the stream is one frame whose blocks the
    compressor cuts from its own buffer, whatever the sizes of the writes that filled it (tests/io/test_writers.py)."""

    def __init__(self, raw: IO[bytes], level: int):
        self._raw = raw
        self._w = zstandard.ZstdCompressor(level=level).stream_writer(raw, closefd=False, write_return_read=True)
        self._buf = bytearray()
        self.closed = False

    def write(self, b) -> int:
        buf = self._buf
        buf += b
        if len(buf) >= _ZSTD_CHUNK:
            self._w.write(buf)
            buf.clear()
        return len(b)

    def close(self) -> None:
        if not self.closed:
            if self._buf:
                self._w.write(self._buf)
                self._buf.clear()
            self._w.close()  # ends the frame
            self._raw.close()
            self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _GzipWriter(gzip.GzipFile):
    # GzipFile never closes a file object it was handed: the last buffered bytes would reach the disk only when
    # the garbage collector got to it, possibly after the atomic rename.
    def close(self) -> None:
        raw = self.fileobj
        try:
            super().close()
        finally:
            if raw is not None:
                raw.close()


def open_write(path: str | os.PathLike, level: int = 3) -> IO[bytes]:
    comp = compression_of(path)
    raw = open(path, "wb")
    if comp == "gzip":
        return _GzipWriter(fileobj=raw, mode="wb", mtime=0, filename="")  # no timestamp: reproducible bytes
    if comp == "zstd":
        return _ZstdWriter(raw, level)  # type: ignore[return-value]
    return raw


def resolve_path(pattern: str) -> str:
    """``samples://crawl/*.jsonl.zst`` names data shipped inside the package (the demo crawl)."""
    if pattern.startswith(SAMPLES_PREFIX):
        return str(Path(__file__).resolve().parent.parent / "samples" / pattern[len(SAMPLES_PREFIX):])
    return pattern


# --- listing the inputs once ----------------------------------------------------------------------------------
# Before a run starts, ``--input FOLDER``, the preflight checks and the planning each wanted the input files: the
# folder was walked six times and the first shard opened twice before the first document ran (a slow network file
# system pays each walk). Inside ``listing_scope`` (a CLI command, a run_pipeline call) a local glob is listed once
# and the result handed along (``listed``); a reader's shards are planned once (``reader_shards``). Outside one,
# everything lists afresh as before. The scope ends with the call: a second run in the same process lists again.

_listing: dict[Any, Any] | None = None


@contextmanager
def listing_scope() -> Iterator[None]:
    global _listing
    if _listing is not None:  # nested (the CLI's scope around run_pipeline's): the outer one's listings stand
        yield
        return
    _listing = {}
    try:
        yield
    finally:
        _listing = None


def listed(pattern: str, files: list[str] | None = None) -> list[str]:
    """``glob.glob(pattern, recursive=True)`` of a local pattern, listed at most once in a ``listing_scope``;
    ``files``: what the caller already found by listing it (``--input FOLDER``'s walk), kept for the next ones."""
    if _listing is None:
        return list(files) if files is not None else glob.glob(pattern, recursive=True)
    key = ("glob", pattern)
    if files is not None:
        _listing[key] = list(files)
    elif key not in _listing:
        _listing[key] = glob.glob(pattern, recursive=True)
    return list(_listing[key])


def forget_listings() -> None:
    """The listings made so far in this scope are let go (the run calls it once the first stage is planned): a later
    stage lists its input when it starts, so files that landed there while the earlier stages ran are read."""
    if _listing is not None:
        _listing.clear()


def reader_shards(reader: Any) -> list[str]:
    """``reader.shards()``, planned once in a ``listing_scope`` (the preflight's two samples and the run's plan)."""
    if _listing is None:
        return reader.shards()
    key = ("shards", id(reader))
    hit = _listing.get(key)
    if hit is None or hit[0] is not reader:
        hit = _listing[key] = (reader, reader.shards())
    return list(hit[1])


def literal_file(local: str) -> bool:
    """A glob that matches nothing where a file of that very name exists (``x[1].jsonl``): the file is meant."""
    return glob.has_magic(local) and os.path.isfile(local)


def expand_paths(paths: str | list[str]) -> list[str]:
    """Glob each pattern; sorted so shard order and names never depend on the file system."""
    pats = [paths] if isinstance(paths, str) else list(paths)
    out: list[str] = []
    for pat in map(resolve_path, pats):
        if is_remote(pat):
            fs, p = remote_fs(pat)
            out.extend(sorted(fs.unstrip_protocol(m) for m in fs.glob(p)) or [pat])
            continue
        local = os.path.expanduser(pat)
        # a pattern the preflight (or --input FOLDER) listed in this scope; any other is listed now, not kept: a
        # later stage's input (an earlier stage's kept files) must be listed when that stage starts
        known = _listing.get(("glob", local)) if _listing is not None else None
        matches = sorted(known if known is not None else glob.glob(local, recursive=True))
        if not matches and literal_file(local):
            matches = [local]  # a file whose name its glob does not match (x[1].jsonl: '[1]' matches '1')
        elif not matches and not glob.has_magic(pat):
            matches = [pat]  # let the reader say clearly that it does not exist
        out.extend(matches)
    return out


# File name extensions -> the reader that reads them (``--input`` switches the reader by them).
INPUT_TYPES = ((".parquet", "parquet"), (".wet", "wet"), (".warc", "warc"), (".jsonl", "jsonl"), (".json", "jsonl"),
               (".ndjson", "jsonl"))  # newline-delimited JSON: JSON Lines by another name (BigQuery, jq users)


def _last_type(low: str) -> tuple[int, str] | None:
    """Where the last input type's extension in a lower-cased file name starts, and its reader: the one nearest
    the end names the format (``x.warc.wet.gz`` is WET, ``x.warc.jsonl.gz`` JSON Lines made from a WARC)."""
    best = None
    for ext, t in INPUT_TYPES:
        at = low.rfind(ext)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, t)
    return best


def input_suffix(name: str) -> str | None:
    """The part of a file name from its input type's extension on (``x.warc.wet.gz`` -> ``.wet.gz``), or None."""
    found = _last_type(name.lower())
    return name[found[0]:] if found is not None and found[0] > 0 else None


def implied_reader(patterns: list[str]) -> str | None:
    """The reader type every pattern's file name implies (``data/*.parquet`` -> parquet), or None."""
    kinds = set()
    for pat in patterns:
        found = _last_type(pat.rsplit("/", 1)[-1].lower())
        kinds.add(found[1] if found is not None else None)
    return kinds.pop() if len(kinds) == 1 else None


def input_suffixes(folder: str, found: list[str] | None = None) -> dict[str, int]:
    """How many files of each input suffix (``.jsonl.gz``: 12) lie in a local ``folder`` and the folders below it
    (hidden ones left out, as ``**`` leaves them); ``found``: the folder's walk (``folder_walk``) if made already."""
    out: dict[str, int] = {}
    for f in found if found is not None else folder_walk(folder):
        suffix = input_suffix(os.path.basename(f))
        # only the type's extension and a compression the readers open (a.jsonl.gz, a.jsonl.bz2; not a.jsonl.gz.md5,
        # a checksum beside it, nor a.jsonl.lz4, which would be read as JSON Lines byte for byte)
        rest = suffix and suffix.lower().lstrip(".").partition(".")[2]
        # bz2 and xz: JSON Lines only (open_read); the WARC/WET readers undo gzip and zstd themselves, and a.warc.bz2
        # was taken and every record quarantined as 'corrupt or truncated WARC data'
        if (suffix is not None and rest in ("", "gz", "zst", "zstd", "bz2", "xz") and os.path.isfile(f)
                and (rest not in ("bz2", "xz") or _last_type(suffix.lower())[1] == "jsonl")):
            out[suffix] = out.get(suffix, 0) + 1
    return out


def folder_walk(folder: str) -> list[str]:
    """Every path (files and folders) below a local folder as ``FOLDER/**/*`` globs them (hidden ones left out)."""
    return glob.glob(os.path.join(glob.escape(folder), "**", "*"), recursive=True)


def walk_matches(folder: str, walk: list[str], suffix: str) -> tuple[str, list[str] | None]:
    """The glob ``FOLDER/**/*SUFFIX`` (a folder without wildcards) and what it matches, from the folder's walk:
    the paths whose name ends with the suffix (case-sensitive, as glob is on POSIX). None where the walk's paths
    are not written as that glob writes them (``data//``): the run then lists the glob itself."""
    import fnmatch

    pattern = folder.rstrip("/") + "/**/*" + suffix
    prefix = folder.rstrip("/") + "/"
    if not all(f.startswith(prefix) for f in walk):
        return pattern, None
    return pattern, [f for f in walk if fnmatch.fnmatchcase(os.path.basename(f), "*" + suffix)]


# What reading a damaged or hostile file can raise: a reader turns each into a Quarantine, never lets one escape.
READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError, lzma.LZMAError)


def path_text(path: str) -> str:
    """A file name as text that can be written (JSON, UTF-8): a name with bytes that are not UTF-8 comes from the
    file system with lone surrogates, which no writer accepts; here they become backslash escapes. Unchanged for
    every valid name."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_int(owner: Any, name: str, low: int, high: int | None = None) -> None:
    """Refuse a parameter that is not an integer in [low, high] (a bool is refused too: ``true`` is not a size)."""
    v = getattr(owner, name)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    if v < low or (high is not None and v > high):
        bound = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise ValueError(f"{name} must be {bound}, got {v:,}")


def check_str(owner: Any, name: str, choices: tuple[str, ...] | None = None) -> None:
    v = getattr(owner, name)
    if not isinstance(v, str) or not v:
        raise ValueError(f"{name} must be a non-empty string, got {v!r}")
    if choices is not None and v not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {v!r}")


def check_size_mb(owner: Any, name: str = "shard_size_mb") -> None:
    """A shard size in MB: a finite number, 0 meaning one shard per file."""
    v = getattr(owner, name, None)
    if v is None:
        return
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a number of megabytes, got {v!r}")
    if v < 0:
        raise ValueError(f"{name} must be 0 (one shard per file) or positive, got {v}")


def check_paths(owner: Any, name: str = "paths") -> None:
    v = getattr(owner, name)
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(p, str) and p for p in items):
        raise ValueError(f"{name} must be a path or glob, or a non-empty list of them; got {v!r}")


class ReadGuard:
    """Where a reader is in its shard, for the runner (``winnow.pipeline.Position``), so that a record that kills the
    worker reading it (the OOM killer while a record of 1 GB of small JSON objects is built, a crash in a decoder,
    the hard stop in a C call that never returns) is found and skipped, not read again until the shard fails.

    A reader that declares ``READ_UNIT`` ("line", "row group", ...) calls ``at(pos)`` before it reads and decodes the
    record at ``pos`` (its own unit, the same on every attempt; -1: between records, no record to blame) and skips
    a record whose position is in ``poison`` (a worker died twice reading it), yielding ``skipped(...)`` in its
    place. ``at`` is one 16-byte ``pwrite`` (about 1 us)."""

    __slots__ = ("at", "poison")

    def __init__(self, at: Any, poison: dict[int, int]):
        self.at = at
        self.poison = poison

    def skipped(self, shard: str, where: str, pos: int, excerpt: str = "") -> Quarantine:
        return Quarantine(shard, where, "reader_died",
                          f"{shard}, {where}: the worker died {self.poison[pos]} times while reading it (killed for "
                          f"memory, or a crash or a call that never returned in a decoder); skipped without being "
                          f"decoded", excerpt)


class Reader:
    """Turns input into Documents. ``shards()`` names independent units of work; ``read(shard)`` streams one,
    yielding a Quarantine for every record it cannot read (never raising on bad input)."""

    name: ClassVar[str] = ""
    # The unit of the positions the reader reports to ``_guard`` (see ReadGuard); "" if it reports none (the runner
    # then counts the records it was handed instead).
    READ_UNIT: ClassVar[str] = ""
    _guard: ClassVar["ReadGuard | None"] = None  # set on the instance by the runner while it reads one shard

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

    def encode(self, doc: Document) -> Any:
        """The document as this handle will write it, nothing written yet: raises for a value it cannot hold. The
        runner encodes before a corpus step collects a document, so a document that cannot be written is never
        collected. A handle that encodes only at write time returns the document (write_encoded then writes it)."""
        return doc

    def write_encoded(self, encoded: Any) -> None:
        """Write what ``encode`` returned."""
        self.write(encoded)

    def close(self) -> None:
        raise NotImplementedError


_MISSING = object()


def lookup(rec: dict[str, Any], path: str) -> Any:
    """The value at ``path`` in a record: the field of that exact name, else a dotted path into nested objects
    (``metadata.url``, ``meta.lang``); ``_MISSING`` when there is none."""
    if path in rec:
        return rec[path]
    cur: Any = rec
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def record_problem(rec: dict[str, Any], text_key: str, exc: Exception | None = None) -> tuple[str, str]:
    """The quarantine reason and message (without the location) for a record that is not a document, the same for
    every reader of records (JSON Lines, Parquet, and the datatrove / Dolma layouts read through them): a record
    with no text (the field absent, or null: Parquet has no other way to store a missing value, so JSONL's null
    is the same defect) is ``missing_text``, naming the fields there are so a wrong text_key shows its fix; any
    other wrongly typed field (a number as text, a bad id or metadata) is ``bad_record`` with ``exc`` naming it."""
    text = lookup(rec, text_key)
    if text is _MISSING:
        return "missing_text", f"record has no {text_key!r} field (fields: {', '.join(map(str, list(rec)[:10]))})"
    if text is None:
        return "missing_text", f"field {text_key!r} is null (the record has no text)"
    return "bad_record", str(exc)


def _pop(rec: dict[str, Any], path: str) -> Any:
    """Remove ``path`` from ``rec`` (nested objects along the way are copied first: the caller's record is never
    changed) and return its value, or ``_MISSING``."""
    if path in rec:
        return rec.pop(path)
    head, _, rest = path.partition(".")
    if not rest or not isinstance(rec.get(head), dict):
        return _MISSING
    inner = dict(rec[head])
    v = _pop(inner, rest)
    if v is not _MISSING:
        rec[head] = inner
    return v


def check_field_map(owner: Any, name: str = "fields") -> None:
    v = getattr(owner, name)
    if v is None:
        return
    if not isinstance(v, dict) or not all(isinstance(k, str) and k and isinstance(p, str) and p for k, p in v.items()):
        raise ValueError(f"{name} must map metadata names to fields of the record ({{url: metadata.url}}), got {v!r}")


FORMATS = ("winnow", "datatrove", "dolma")


def check_read_options(owner: Any) -> None:
    """``limit``, ``skip``, ``sample``, ``seed``, ``fields`` and ``format`` of a reader (see ``select_records``)."""
    if owner.limit is not None:
        check_int(owner, "limit", 0)
    check_int(owner, "skip", 0)
    check_int(owner, "seed", 0, (1 << 63) - 1)
    v = owner.sample
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v <= 1:
        raise ValueError(f"sample must be a fraction in (0, 1], got {v!r}")
    if hasattr(owner, "format"):
        check_str(owner, "format", FORMATS)
    if hasattr(owner, "fields"):
        check_field_map(owner)


def sampled(doc_id: str, seed: int, fraction: float) -> bool:
    """Whether a document is in a ``fraction`` sample: a hash of the seed and its id, so the same documents are
    chosen on every run, on any number of workers, and a document keeps its fate when others are added."""
    import hashlib

    h = hashlib.blake2b(f"{seed}\0{doc_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(h, "big") < fraction * 2.0 ** 64


def select_records(items: Iterator[Any], limit: int | None, skip: int, sample: float,
                   seed: int) -> Iterator[Any]:
    """A shard's records after ``skip`` (the first documents of the shard are not read), ``sample`` (a deterministic
    fraction, by id) and ``limit`` (at most this many documents, then the file is closed). Only documents are
    counted; a quarantine record passes through (damaged input is always reported). Documents left out here never
    enter the run: the ledger's "read" counts the documents the reader yielded, so kept + rejected + quarantined
    still equals read."""
    if limit is None and skip == 0 and sample >= 1:
        yield from items
        return
    n_seen = n_out = 0
    for item in items:
        if limit is not None and n_out >= limit:
            return
        if not isinstance(item, Document):
            yield item
            continue
        n_seen += 1
        if n_seen <= skip or (sample < 1 and not sampled(item.id, seed, sample)):
            continue
        n_out += 1
        yield item


def doc_from_record(rec: dict[str, Any], *, text_key: str, id_key: str, default_id: str,
                    source: str, fields: dict[str, str] | None = None) -> Document:
    """Build a Document from a record read from a file; raises RecordError (a ValueError naming the field) for a
    record that cannot be one.

    A record with ``metadata``, ``attributes`` and ``edits`` is winnow's own and round-trips whole, every field's
    type checked (``Document.from_dict``), its ``drop`` included: the runner moves such an earlier verdict to
    ``metadata["input_drop"]`` before the first step, so it is never counted as a step's drop. For any other record,
    every field but the text and the id becomes metadata (a ``drop`` field there is just metadata).

    A foreign record whose ``metadata`` is an object (datatrove's JSONL and Parquet layout ``{"text", "id",
    "metadata": {"url", "language", ...}}``, Dolma's ``{"id", "text", "source", "added", "metadata"}``) has it
    merged into the document's metadata, so ``url_dedup`` finds ``metadata["url"]`` and ``c4_badwords`` the
    language; a nested key that clashes with a top-level field of another value stays in ``metadata["metadata"]``.

    ``fields`` ({metadata name: field or dotted path}) moves values of a foreign record into metadata; ``text_key``
    and ``id_key`` may be dotted paths too (the value is moved out of its nested object, never copied)."""
    if "attributes" in rec and "edits" in rec and "metadata" in rec and text_key == "text":
        return Document.from_dict(rec)
    meta = dict(rec)
    text = _pop(meta, text_key)
    if not isinstance(text, str):
        raise RecordError(f"field {text_key!r} must be a string, got "
                          f"{'nothing' if text is _MISSING else type(text).__name__ + ' ' + _short(text)}")
    rid = _pop(meta, id_key)
    rid = record_id(None if rid is _MISSING else rid, id_key)
    # `fields`: each named metadata key from a field or a dotted path of the record, moved (not copied) there
    moved = {}
    for name, path in (fields or {}).items():
        v = _pop(meta, path)
        if v is not _MISSING:
            moved[name] = v
    nested = meta.get("metadata")
    if isinstance(nested, dict):
        clash = {k: v for k, v in nested.items() if k in meta and k != "metadata" and meta[k] != v}
        del meta["metadata"]
        meta.update((k, v) for k, v in nested.items() if k not in clash)
        if clash:
            meta["metadata"] = clash  # nothing lost: the top-level field keeps the name
    meta.update(moved)
    meta.setdefault("source", path_text(source))
    return Document(id=rid if rid is not None else default_id, text=text, metadata=meta)
