"""WARC (``response`` records, raw HTML) and WET (``conversion`` records, plain text) readers.

Parsing uses FastWARC: on the benchmark pages it iterates and reads payloads many times faster than warcio (see
bench/results/extraction.md, "WARC reading"). FastWARC stops at the first corrupt gzip member and returns a
truncated last record without complaint, so this module adds what a crawl pipeline needs on top: a record whose
payload is shorter than its ``Content-Length`` is quarantined as ``truncated``; after a corrupt region the reader
re-synchronises on the next record boundary (next gzip member, next zstd frame, or next ``WARC/`` header line)
and reads on; a zstd WARC with a dictionary frame cannot resume mid-file (every frame needs the dictionary).

Every HTTP response becomes a Document. Only an HTML page with status 200 carries its decoded HTML in
``metadata["html"]``; other responses carry their ``http_status`` and ``content_type`` but no payload, and the
``html_extract`` step rejects them with a reason (``http_status``, ``not_html``). A status code or a MIME type is a
decision a user may want to revisit (keep ``text/plain``, or redirects), so it is made by a step, recorded per
document and counted in the run's drop table; quarantine is kept for bytes the reader could not read.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import zstandard

from ..document import Document, Quarantine
from ..registry import register
from .base import Reader, check_int, check_paths, check_read_options, check_size_mb, expand_paths, path_text, \
    select_records
from .shards import _PLAIN_MAGIC, _ZSTD_MAGIC, _find_next, _record_magic, input_files, plan_warc, split_key

__all__ = ["WarcReader", "WetReader", "decode_html", "is_html_type"]

_EXCERPT = 200
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xhtml", "text/xhtml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_BOM_START = tuple(bytes(b[:1]) for b, _ in _BOMS)  # a payload starting with none of these bytes has no BOM
# WHATWG: these labels mean windows-1252 on the web; decoding as latin-1 loses the 0x80-0x9f punctuation.
_WEB_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                "ascii": "cp1252", "iso8859-1": "cp1252", "x-sjis": "shift_jis", "gb2312": "gb18030", "gbk": "gb18030"}


def is_html_type(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() in _HTML_TYPES


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WEB_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # unknown label, or one with a NUL in it
        return None
    # Python also knows bytes-to-bytes "codecs" (base64, zlib, rot13); a page cannot be in one of those.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_html(payload: bytes, declared: str | None = None) -> tuple[str, str, str]:
    """Decode an HTML payload; never raises. Returns ``(text, codec, how)`` where ``how`` says which evidence won:
    ``bom``, ``utf16`` (no BOM, but a NUL in every other byte), ``utf8`` (the bytes are valid UTF-8), ``http`` (the server's charset), ``meta`` (the page's own
    ``<meta charset>``), ``detected`` (uchardet) or ``fallback``.

    Valid UTF-8 wins over a declared legacy charset because a server's ``charset=iso-8859-1`` is wrong far more
    often than non-ASCII bytes happen to form valid UTF-8."""
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return payload[len(bom):].decode(name, "replace"), name, "bom"
    wide = _utf16(payload)
    if wide:
        return payload.decode(wide, "replace"), wide, "utf16"
    try:
        return payload.decode("utf-8"), "utf-8", "utf8"
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(payload, 0, 4096)
    for label, how in ((declared, "http"), (m.group(1).decode("ascii", "ignore") if m else None, "meta")):
        name = _codec(label)
        if name and name not in ("utf-8", "utf-16-le", "utf-16-be", "utf-16"):
            try:
                return payload.decode(name), name, how
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding

        name = detect_encoding(payload)
        return bytes_to_str(payload, name, errors="replace"), _codec(name) or name, "detected"
    except Exception:  # the detector is optional and must never take a page down with it
        return payload.decode("cp1252", "replace"), "cp1252", "fallback"


def _utf16(payload: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for a payload without a BOM whose first KiB has a NUL in every other byte (ASCII
    markup in UTF-16), else None. Such bytes are valid UTF-8 (NUL is a character there), so a UTF-16 page used to be
    read as UTF-8: its markup, NULs between the letters, was kept as the page's text."""
    head = payload[:1024]
    if b"\x00" not in head or len(head) < 16:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


# Payloads a server labelled text/html that are files of another kind (by their first bytes): a crawler that stored
# a PDF or an image under a wrong Content-Type. Decoded as text, they were kept as pages of binary garbage
# (150,000 characters from a 200 KB PDF); they get this content_type instead and html_extract rejects them
# (not_html) with the declared type kept in ``declared_type``.
_BINARY_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
                 (b"GIF89a", "image/gif"), (b"\xff\xd8\xff", "image/jpeg"), (b"PK\x03\x04", "application/zip"),
                 (b"\x1f\x8b", "application/gzip"), (_ZSTD_MAGIC, "application/zstd"), (b"OggS", "audio/ogg"),
                 (b"ID3", "audio/mpeg"), (b"\x00\x00\x01\x00", "image/x-icon"), (b"wOFF", "font/woff"),
                 (b"wOF2", "font/woff2"), (b"\x7fELF", "application/x-executable"))


def _binary_type(payload: bytes) -> str | None:
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "image/webp"
    if payload[4:8] == b"ftyp":
        return "video/mp4"
    for magic, name in _BINARY_MAGIC:
        if payload.startswith(magic):
            return name
    return None


def _dechunk(payload: bytes) -> bytes | None:
    """The body of an HTTP ``Transfer-Encoding: chunked`` payload (hex size line, that many bytes, CRLF, ..., a 0
    size), or None when the bytes are not chunked (a crawler that stored the body de-chunked and kept the header).
    A body cut short keeps what it has (WARC-Truncated records). The chunk size lines used to be kept in the page's
    text, and a chunked gzip body (its magic behind the first size line) was decoded as text: binary garbage kept."""
    out: list[bytes] = []
    i, n = 0, len(payload)
    while i < n:
        j = payload.find(b"\n", i, i + 1024)  # a size line (hex digits, maybe ";extensions")
        if j < 0:
            return None
        size = payload[i:j].split(b";", 1)[0].strip()
        if not size or len(size) > 15 or size.strip(b"0123456789abcdefABCDEF"):
            return None
        size_n = int(size, 16)
        i = j + 1
        if size_n == 0:
            return b"".join(out)
        out.append(payload[i:i + size_n])
        i += size_n
        if payload.startswith(b"\r\n", i):
            i += 2
        elif payload.startswith(b"\n", i):
            i += 1
        elif i < n:
            return None  # the bytes after a chunk are not a line end: not chunked after all
    return b"".join(out) if out else None


class _TooLarge(Exception):
    pass


class _Undecodable(Exception):
    pass


def _content_decode(payload: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo a gzip/deflate Content-Encoding, never producing more than ``limit`` bytes (raises _TooLarge): 130 KB of
    gzip can hold 128 MiB, and the payload cap is on the bytes as stored.

    Common Crawl stores payloads already decoded and renames the header; other crawlers (ClueWeb) keep a
    Content-Encoding header over plain bytes. Decode only when the bytes really are compressed."""
    enc = (encoding or "").strip().lower()
    if enc == "br":
        # Brotli has no magic bytes: a payload stored decoded fails to decode and is returned as it is
        try:
            import brotli
        except ImportError:
            raise _Undecodable("its Content-Encoding is br (Brotli), which needs the brotli package "
                               "(pip install brotli)") from None
        d = brotli.Decompressor()
        try:
            out = d.process(payload, output_buffer_limit=limit + 1)
        except brotli.error:
            return payload
        except TypeError:
            # brotli before 1.2 (Nov 2025; fastwarc asks for any version) has no output_buffer_limit: the record was
            # quarantined as "cannot be parsed: ... unexpected keyword argument", which named neither the package nor
            # the fix; decoding without a bound would let 100 KB become gigabytes
            raise _Undecodable(f"its Content-Encoding is br (Brotli), which the brotli package installed "
                               f"({getattr(brotli, '__version__', '?')}) cannot decode within a bound: "
                               f"pip install 'brotli>=1.2'") from None
        if len(out) > limit:
            raise _TooLarge(len(payload))
        return out
    if enc == "zstd" and payload[:4] == _ZSTD_MAGIC:
        import io

        try:
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(payload)) as r:
                out = r.read(limit + 1)
        except zstandard.ZstdError:
            return payload
        if len(out) > limit:
            raise _TooLarge(len(payload))
        return out
    if enc in ("gzip", "x-gzip") and payload[:2] == b"\x1f\x8b":
        modes = (16 + zlib.MAX_WBITS,)
    elif enc == "deflate" and payload and payload[:1] != b"<":
        modes = (zlib.MAX_WBITS, -zlib.MAX_WBITS)  # zlib-wrapped as the RFC says, or raw as many servers send
    else:
        return payload
    for wbits in modes:
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(payload, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit:
            raise _TooLarge(len(payload))
        return out
    return payload


def _uri(value: str | None) -> str:
    # WARC 1.0 drafts (and Dolma's fixtures) wrap the target URI in angle brackets.
    v = (value or "").strip()
    return v[1:-1] if v.startswith("<") and v.endswith(">") else v


def _iter_records(path: str, record_types: Any, begin: int = 0, end: int | None = None,
                  resync: list[bytes] | None = None) -> Iterator[tuple[str, Any, int]]:
    """Yield ``("record", record, offset)`` for readable records and ``("error", message, offset)`` for corrupt
    regions, resynchronising after each error so the rest of the file is still read. With a range, only the
    records that start in bytes [begin, end) (``begin`` is a record start; see winnow.io.shards).

    A consumer that finds a record whose Content-Length runs over the records after it appends to ``resync`` before
    asking for the next record: the bytes the next record starts with in a plain WARC (empty when unknown), and
    reading restarts at the first record boundary after the current record instead of after its claimed end."""
    from fastwarc.warc import ArchiveIterator

    with open(path, "rb") as f, open(path, "rb") as scan:
        magic = _record_magic(f.read(4))
        start = begin
        in_error = False  # one corrupt region gives one error, however many resync attempts it takes
        while True:
            f.seek(start)
            last = start - 1
            restart = None
            try:
                it = ArchiveIterator(f, record_types=record_types, parse_http=False)
                for rec in it:
                    if end is not None and rec.stream_pos >= end:
                        return  # the next range's first record
                    last = rec.stream_pos
                    in_error = False
                    yield "record", rec, rec.stream_pos
                    if resync:
                        needle = resync.pop() if magic == _PLAIN_MAGIC else b""
                        resync.clear()
                        restart = _find_next(scan, last + 1, needle or magic) if magic is not None else None
                        if restart is not None and end is not None and restart >= end:
                            return  # the swallowed record starts in the next range, which reads it
                        if restart is not None:
                            break
            except OSError as exc:  # FastWARC raises OSError for decompression and parse failures
                where = max(last, start)
                nxt = _find_next(f, where + 1, magic) if magic is not None else None
                if nxt is not None and end is not None and nxt >= end:
                    nxt = None  # the rest belongs to the next range, which reads it
                if not in_error:
                    msg = str(exc) or type(exc).__name__
                    if nxt is None:
                        msg += " (no readable record after it)" if magic is not None else \
                            " (zstd with a dictionary: reading cannot resume mid-file)"
                    yield "error", msg, where
                in_error = True
                if nxt is None:
                    return
                start = nxt
                continue
            if restart is None:
                return
            start = restart


def _ends_as_said(path: str, offset: int, length: Any) -> bool:
    """Whether the record at ``offset`` ends where its Content-Length says: the blank line that closes a record right
    after that many bytes of block. Asked only when the data after a record does not parse, to tell a record whose
    length lied (its remains are that data) from a good record followed by damage of its own."""
    try:
        n = int(length)
    except (TypeError, ValueError):
        return False
    if not 0 <= n <= 1 << 30:
        return False
    want = n + (1 << 20)  # the header (a few hundred bytes), the block and the blank line after it
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            head = f.read(4)
            f.seek(offset)
            if head[:2] == b"\x1f\x8b" or head == _ZSTD_MAGIC:
                d = zlib.decompressobj(31) if head[:2] == b"\x1f\x8b" else zstandard.ZstdDecompressor().decompressobj()
                data = b""
                while len(data) < want and not d.eof:
                    chunk = f.read(1 << 16)
                    if not chunk:
                        break
                    data += d.decompress(chunk)
            else:
                data = f.read(want)
    except (OSError, zlib.error, zstandard.ZstdError):
        return False
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    if not ends:
        return False
    i = min(ends)
    end = i + (4 if data.startswith(b"\r\n\r\n", i) else 2) + n
    return data.startswith(b"\r\n\r\n", end) or data.startswith(b"\n\n", end)


# A record header inside another record's block: what a Content-Length that overstates the record leaves behind.
_EMBEDDED = re.compile(rb"\r?\n\r?\n(WARC/1\.[01]\r?\n(?:[^\r\n]{0,400}\r?\n){0,12}?WARC-Type:[^\r\n]{0,100}\r?\n)")
_HEADER_FIELD = re.compile(rb"\n(WARC-Target-URI|WARC-Record-ID):[ \t]*([^\r\n]{0,2000})")


def _embedded_record(body: bytes) -> tuple[int, bytes, str] | None:
    """(position in ``body``, the first bytes of that record, a name for it) of the first WARC record header found
    inside a record's block, or None. The plain search comes first: almost no block contains ``WARC/1.``."""
    i = body.find(b"WARC/1.")
    if i < 0:
        return None
    m = _EMBEDDED.search(body, max(0, i - 4))
    if m is None:
        return None
    j = m.start(1)
    end = body.find(b"\n\r\n", j, j + 8192)
    fields: dict[str, str] = {}
    for k, v in _HEADER_FIELD.findall(body, j, end if end > 0 else j + 8192):  # that record's own header only
        fields.setdefault(k.decode(), v.decode("utf-8", "replace").strip())
    return j, body[j:j + 64], _uri(fields.get("WARC-Target-URI") or fields.get("WARC-Record-ID") or "?")


@dataclass
class _Base(Reader):
    paths: str | list[str] = "*.warc.gz"
    # Common Crawl truncates payloads at 1 MiB; anything far larger is a video or an archive, not a page.
    max_payload_bytes: int = 16 * 1024 * 1024

    # A file larger than this is read as several shards (byte ranges cut at record boundaries: gzip members, zstd
    # frames or WARC headers), so one big crawl file uses every worker; 0: one shard per file.
    shard_size_mb: float = 256.0
    # As the other readers, per file: skip the first documents, keep a deterministic sample (a hash of seed and the
    # id), stop after limit. Documents left out are not read (not counted).
    skip: int = 0
    sample: float = 1.0
    seed: int = 0
    limit: int | None = None

    def shards(self) -> list[str]:
        size = 0 if self.skip > 0 or self.limit is not None else self.shard_size_mb  # counted from a file's start
        return [k for p in expand_paths(self.paths) for k in plan_warc(p, size)]

    def _select(self, items: Iterator[Document | Quarantine]) -> Iterator[Document | Quarantine]:
        return select_records(items, self.limit, self.skip, self.sample, self.seed)

    def input_files(self, keys: list[str]) -> list[str]:
        return input_files(keys)

    def _open_check(self, shard: str) -> Quarantine | None:
        if not Path(shard).is_file():
            return Quarantine(shard, "file", "unreadable_file", f"{shard}: no such file")
        try:
            with open(shard, "rb") as f:
                head = f.read(6)
        except OSError:
            return None  # the reader's own open says what is wrong
        for magic, name, cat in ((b"BZh", "bzip2", "bzcat"), (b"\xfd7zXZ\x00", "xz", "xzcat")):
            if head.startswith(magic):
                # FastWARC reads gzip and zstd members only: a bz2/xz file read as one "corrupt WARC record" said
                # nothing of why (review12)
                return Quarantine(shard, "file", "unreadable_file",
                                  f"{shard}: a WARC file compressed with {name}, which the WARC reader does not read "
                                  f"(it reads plain, gzip and zstd WARC files); recompress it: "
                                  f"{cat} FILE | gzip > FILE.warc.gz")
        return None

    def validate(self) -> None:
        check_paths(self)
        check_int(self, "max_payload_bytes", 1, 1 << 30)  # 1 GiB: as the other readers' record caps
        check_size_mb(self)
        check_read_options(self)

    def _read_payload(self, rec: Any, shard: str, offset: int, resync: list[bytes]) -> bytes | Quarantine:
        expected = rec.content_length
        url = _uri(rec.headers.get("WARC-Target-URI"))
        if expected > self.max_payload_bytes:
            # Not read. Its Content-Length may also be a lie that covers the records after it: read on from the
            # next record boundary rather than from where it claims to end.
            resync.append(b"")
            return Quarantine(shard, f"byte {offset}", "too_large",
                              f"{shard}: record at byte {offset} ({url}) has {expected:,} payload bytes, over "
                              f"max_payload_bytes={self.max_payload_bytes:,}; reading resumed at the next record")
        try:
            body = rec.reader.read()
        except OSError as exc:
            return Quarantine(shard, f"byte {offset}", "corrupt_record",
                              f"{shard}: record at byte {offset} cannot be read: {exc}")
        inner = _embedded_record(body)
        if inner is not None:
            # The Content-Length ran over the next record: the block is this record plus that one (and maybe more).
            pos, head, name = inner
            resync.append(head)
            return Quarantine(shard, f"byte {offset}", "overlapping_record",
                              f"{shard}: record at byte {offset} ({url}) claims {expected:,} payload bytes, but the "
                              f"record of {name} starts {pos:,} bytes into them: its Content-Length overstates it, so "
                              f"it is quarantined and reading resumed at the record of {name}",
                              body[:_EXCERPT].decode("utf-8", "replace"))
        if len(body) < expected:
            return Quarantine(shard, f"byte {offset}", "truncated",
                              f"{shard}: record at byte {offset} ({url}) is "
                              f"truncated: {len(body):,} of {expected:,} payload bytes; records before it were read",
                              body[:_EXCERPT].decode("utf-8", "replace"))
        return body

    def _common_meta(self, rec: Any, shard: str, offset: int) -> dict[str, Any]:
        h = rec.headers
        date = rec.record_date
        meta: dict[str, Any] = {
            "url": _uri(h.get("WARC-Target-URI")),
            "warc_date": date.isoformat() if date is not None else (h.get("WARC-Date") or None),
            "warc_record_id": (h.get("WARC-Record-ID") or "").strip("<>") or None,
            "source": path_text(shard),
            "warc_offset": offset,
        }
        if h.get("WARC-Truncated"):
            meta["warc_truncated"] = h.get("WARC-Truncated")
        return meta

    READ_UNIT = "the record at byte"

    def _read(self, shard: str, record_types: Any, build) -> Iterator[Document | Quarantine]:
        # the runner's ReadGuard: the byte offset of the record whose payload is read and decoded (a gzip
        # Content-Encoding, the charset detection), -1 while the WARC framing itself is parsed (which cannot skip one
        # record: a worker that dies there blames none)
        guard = self._guard
        shard, rng = split_key(shard)  # a byte range of a big file: offsets stay file-absolute
        bad = self._open_check(shard)
        if bad:
            yield bad
            return
        stem = Path(shard).name.split(".")[0]
        # The last record built, handed over once the next record (or the file's end) shows that its block ended
        # where its Content-Length said. Data that does not parse right after a record means its Content-Length lied
        # (too short: the page cut, the rest read as garbage; -5, "abc" or 10^20: read as 0 bytes): that record was
        # kept cut (or quarantined as bad_http) and its remains quarantined again as corrupt_record, one record
        # counted twice. It is one quarantine record now.
        held: tuple[int, Any, Document | Quarantine] | None = None
        try:
            resync: list[bytes] = []
            for kind, item, offset in _iter_records(shard, record_types, *((rng.start, rng.end) if rng else (0, None)),
                                                    resync=resync):
                if held is not None:
                    h_offset, h_rec, h_out = held
                    held = None
                    if kind == "error" and h_offset == offset and not _ends_as_said(shard, offset, h_rec[1]):
                        yield self._misframed(h_rec, shard, offset, item, h_out)
                        continue
                    yield h_out
                if kind == "error":
                    yield Quarantine(shard, f"byte {offset}", "corrupt_record",
                                     f"{shard}: corrupt or truncated WARC data after the record at byte {offset}: {item}; "
                                     f"reading resumed at the next record boundary")
                    continue
                if guard is not None:
                    if offset in guard.poison:
                        yield guard.skipped(shard, f"byte {offset}", offset)
                        continue
                    guard.at(offset)
                try:
                    out = build(item, shard, offset, stem, resync)
                    if guard is not None:
                        guard.at(-1)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    out = Quarantine(shard, f"byte {offset}", "bad_record",
                                     f"{shard}: record at byte {offset} cannot be parsed: {exc}")
                if out is not None:
                    held = (offset, (_uri(item.headers.get("WARC-Target-URI")), item.headers.get("Content-Length")),
                            out)
            if held is not None:
                yield held[2]
        except OSError as exc:
            if held is not None:
                yield held[2]
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: cannot read: {exc}")

    @staticmethod
    def _misframed(rec: tuple[str, Any], shard: str, offset: int, error: str,
                   out: Document | Quarantine) -> Quarantine:
        url, length = rec
        was = (f"read as {out.reason}" if isinstance(out, Quarantine) else
               f"its payload read as {len((out.metadata or {}).get('html') or out.text):,} characters")
        return Quarantine(shard, f"byte {offset}", "corrupt_record",
                          f"{shard}: record at byte {offset} ({url}): what follows the {length!s:.40} bytes its "
                          f"Content-Length gives is not the next record ({error}), so that length is wrong (or junk "
                          f"follows the record); quarantined whole ({was}), reading resumed at the next record "
                          f"boundary")


def _http_head(body: bytes) -> tuple[int | None, dict[str, str], int]:
    """Split an HTTP response block into status, headers (lower-case names) and the payload's offset in ``body``
    (the payload is not copied out). Accepts LF-only line ends, which old crawlers (ClueWeb09) wrote."""
    end = body.find(b"\r\n\r\n")
    sep = 4
    # Only a blank LF-only line before the CRLF one matters: bounded, the search no longer runs through the
    # payload of every page without "\n\n" (0.05 CPU s on the 233 MB of bench/e2e.py's WARC).
    lf = body.find(b"\n\n", 0, end + 1 if end >= 0 else len(body))
    if lf >= 0 and (end < 0 or lf < end):
        end, sep = lf, 2
    if end < 0:
        head, start = body, len(body)
    else:
        head, start = body[:end], end + sep
    lines = head.decode("latin-1").splitlines()
    status = None
    if lines:
        parts = lines[0].split(None, 2)
        if len(parts) >= 2 and parts[0].upper().startswith("HTTP/") and parts[1].isdigit():
            status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, sep_, v = line.partition(":")
        if sep_:
            headers[k.strip().lower()] = v.strip()
    return status, headers, start


@register("warc", kind="reader")
@dataclass
class WarcReader(_Base):
    """WARC ``response`` records (gzip, zstd or uncompressed) -> Documents with the HTML in ``metadata["html"]``."""

    paths: str | list[str] = "*.warc*"
    yields_html = True  # not a field: the first step must be html_extract (checked by config validation)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        from fastwarc.warc import WarcRecordType

        yield from self._select(self._read(shard, WarcRecordType.response, self._build))

    def _build(self, rec: Any, shard: str, offset: int, stem: str, resync: list[bytes]) -> Document | Quarantine | None:
        body = self._read_payload(rec, shard, offset, resync)
        if isinstance(body, Quarantine):
            return body
        meta = self._common_meta(rec, shard, offset)
        status, headers, start = _http_head(body)
        if status is None:
            return Quarantine(shard, f"byte {offset}", "bad_http",
                              f"{shard}: response record at byte {offset} ({meta['url']}) has no HTTP status line",
                              body[:_EXCERPT].decode("utf-8", "replace"))
        ctype_full = headers.get("content-type", "")
        ctype = ctype_full.split(";")[0].strip().lower()
        identified = (rec.headers.get("WARC-Identified-Payload-Type") or "").strip().lower()
        declared = None
        m = re.search(r"charset\s*=\s*[\"']?([^\"';\s]+)", ctype_full, re.I)
        if m:
            declared = m.group(1)
        meta.update(http_status=status, content_type=ctype or identified or None)
        if identified and identified != ctype:
            meta["identified_type"] = identified
        rid = meta["warc_record_id"] or f"{stem}:{offset}"
        html_like = is_html_type(ctype) or (not ctype and (is_html_type(identified) or
                                                           body[start:start + 256].lstrip()[:1] == b"<"))
        if status != 200 or not html_like:
            return Document(id=rid, text="", metadata=meta)  # html_extract rejects it, with the reason
        if not headers.get("content-encoding") and not headers.get("transfer-encoding") and \
                not body.startswith(_BOM_START, start, start + 1) and body.find(b"\x00", start, start + 1024) < 0 \
                and _binary_type(body[start:start + 16]) is None:
            # The common case, decoded where it lies: copying the payload out of the record first cost as much as
            # decoding it (0.16 CPU s on bench/e2e.py's 233 MB). Anything else takes the general path below.
            try:
                html = codecs.utf_8_decode(memoryview(body)[start:], "strict", True)[0]
            except UnicodeDecodeError:
                pass
            else:
                meta.update(charset="utf-8", charset_source="utf8", html=html)
                if declared:
                    meta["http_charset"] = declared
                return Document(id=rid, text="", metadata=meta)
        payload = body[start:]
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body_ = _dechunk(payload)  # b"" for an empty body (a 0 size line alone), which is not its own text
            payload = payload if body_ is None else body_
        try:
            payload = _content_decode(payload, headers.get("content-encoding"), self.max_payload_bytes)
        except _Undecodable as exc:
            return Quarantine(shard, f"byte {offset}", "bad_http",
                              f"{shard}: response record at byte {offset} ({meta['url']}) cannot be decoded: {exc}")
        except _TooLarge:
            return Quarantine(shard, f"byte {offset}", "too_large",
                              f"{shard}: record at byte {offset} ({meta['url']}) has a {headers.get('content-encoding')}"
                              f" payload of {len(payload):,} bytes that decodes to more than max_payload_bytes="
                              f"{self.max_payload_bytes:,}")
        sniffed = _binary_type(payload[:16])
        if sniffed:
            meta.update(content_type=sniffed, declared_type=ctype or identified or None)
            return Document(id=rid, text="", metadata=meta)  # html_extract rejects it (not_html)
        html, codec, how = decode_html(payload, declared)
        meta.update(charset=codec, charset_source=how, html=html)
        if declared:
            meta["http_charset"] = declared
        return Document(id=rid, text="", metadata=meta)


@register("wet", kind="reader")
@dataclass
class WetReader(_Base):
    """WET ``conversion`` records (Common Crawl's extracted plain text) -> Documents."""

    paths: str | list[str] = "*.warc.wet*"

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        from fastwarc.warc import WarcRecordType

        yield from self._select(self._read(shard, WarcRecordType.conversion, self._build))

    def _build(self, rec: Any, shard: str, offset: int, stem: str, resync: list[bytes]) -> Document | Quarantine | None:
        body = self._read_payload(rec, shard, offset, resync)
        if isinstance(body, Quarantine):
            return body
        meta = self._common_meta(rec, shard, offset)
        h = rec.headers
        meta["content_type"] = (h.get("Content-Type") or "text/plain").split(";")[0].strip()
        for key, name in (("WARC-Refers-To", "warc_refers_to"),
                          ("WARC-Identified-Content-Language", "language_hint")):
            if h.get(key):
                meta[name] = h.get(key).strip("<>")
        text, codec, how = decode_html(body, "utf-8")
        meta.update(charset=codec)
        if how not in ("utf8", "bom"):
            meta["charset_source"] = how
        return Document(id=meta["warc_record_id"] or f"{stem}:{offset}", text=text, metadata=meta)
