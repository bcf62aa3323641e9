"""Parquet in and out. winnow's own records keep every field as typed columns: metadata and attributes are maps from
name to a typed value (a struct with one slot per type: bool, int, float, str, and json for lists and mappings such
as an annotate run's verdicts), edits a list of structs, the drop four plain columns. A query reads
``attributes['gopher_quality.words'].int`` without parsing JSON, and a document reads back exactly as written (an
int stays an int, a missing attribute stays missing). Files written before typed columns (JSON strings) still
read back."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import zstandard

from ..document import Document, Drop, Edit, Quarantine, RecordError
from ..registry import register
from .base import (Reader, Writer, WriterHandle, _open_raw, check_int, check_paths, check_read_options, check_size_mb,
                   check_str, doc_from_record, expand_paths, is_remote, record_problem, select_records)
from .fields import SideWriter, check_fields, check_format, format_record, normalize_fields, read_format, value_of
from .shards import input_files, plan_parquet, split_key

__all__ = ["ParquetReader", "ParquetWriter"]

VALUE = pa.struct([("bool", pa.bool_()), ("int", pa.int64()), ("float", pa.float64()), ("str", pa.string()),
                   ("json", pa.string())])
# A list of (key, value) structs, not an Arrow map: the same bytes on disk, but Hugging Face `datasets` has no type
# for maps and refused these files ("map<...> does not have a datasets dtype equivalent"), while it reads a list of
# structs as a sequence of dicts. Files written with the map type earlier still read (decode_map takes both).
ENTRY = pa.struct([("key", pa.string()), ("value", VALUE)])
VALUE_MAP = pa.list_(ENTRY)
EDIT = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("step", pa.string()), ("reason", pa.string()),
                  ("removed", pa.string()), ("replacement", pa.string()), ("score", pa.float64()),
                  ("rule", pa.string())])
DROP = pa.struct([("step", pa.string()), ("reason", pa.string()), ("value", pa.float64()),
                  ("threshold", pa.float64())])
SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("metadata", VALUE_MAP), ("attributes", VALUE_MAP),
    ("edits", pa.list_(EDIT)), ("drop_step", pa.string()), ("drop_reason", pa.string()),
    ("drop_value", pa.float64()), ("drop_threshold", pa.float64()),
])
_INT64 = (-(1 << 63), (1 << 63) - 1)


def encode_value(v: Any) -> dict[str, Any] | None:
    """One value in its typed slot (None: every slot null)."""
    if v is None:
        return None
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return {"bool": bool(v)}
    if isinstance(v, (int, np.integer)):
        # beyond int64 (a 128-bit hash): its decimal digits are valid JSON for the same int
        return {"int": int(v)} if _INT64[0] <= int(v) <= _INT64[1] else {"json": str(int(v))}
    if isinstance(v, (float, np.floating)):
        return {"float": float(v)}
    if isinstance(v, str):
        return {"str": v}
    return {"json": orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode()}


def decode_value(slots: dict[str, Any] | None) -> Any:
    if not slots:
        return None
    for key in ("bool", "int", "float", "str"):
        if slots.get(key) is not None:
            return slots[key]
    j = slots.get("json")
    if j is None:
        return None
    if j[:1].isdigit() or (j[:1] == "-" and j[1:2].isdigit()):
        try:
            return int(j)  # an int beyond int64 (orjson would read it back as a float)
        except ValueError:
            pass
    return orjson.loads(j)


def encode_map(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": encode_value(v)} for k, v in d.items()]


def decode_map(col: Any) -> dict[str, Any]:
    if col is None:
        return {}
    if isinstance(col, str):  # a file from before typed columns
        return orjson.loads(col)
    out: dict[str, Any] = {}
    for entry in col:  # {"key", "value"} structs; (key, value) pairs in files written with the Arrow map type
        k, v = (entry["key"], entry["value"]) if isinstance(entry, dict) else entry
        out[k] = decode_value(v)
    return out


def _edits(col: Any) -> list[Edit]:
    if col is None:
        return []
    if isinstance(col, str):
        col = orjson.loads(col)
    return [Edit.from_dict(e) for e in col]


def _edit_dicts(col: Any) -> Any:
    if col is None:
        return []
    return orjson.loads(col) if isinstance(col, str) else col


def _row_to_doc(row: dict) -> Document:
    """A row of winnow's own schema. Each field is decoded and type-checked (a RecordError names the column), so
    one damaged row is one quarantined row."""
    drop = None
    if row.get("drop_reason") is not None:
        drop = Drop.from_dict({"step": row.get("drop_step"), "reason": row["drop_reason"],
                               "value": row.get("drop_value"), "threshold": row.get("drop_threshold")})
    fields: dict[str, Any] = {}
    for key, decode in (("metadata", decode_map), ("attributes", decode_map), ("edits", _edit_dicts)):
        try:
            fields[key] = decode(row.get(key))
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise RecordError(f"column {key!r} cannot be decoded: {exc}") from None
    doc = Document.from_dict({"id": row.get("id"), "text": row.get("text"), **fields})
    doc.drop = drop
    return doc


# Decoded rows are turned into Python objects in groups of at most this many bytes (the exact decoded size, measured
# on the dictionary-encoded batch before decoding it). Tuned on 12k real pages written by ParquetWriter: from 16 MiB
# up the read speed is the same within noise; a worker's peak stays near the budget.
_DECODE_BUDGET = 32 << 20


# A page that decompresses to more than this, or a row of more than this / _ARROW_BYTES_PER_VALUE values
# (_chunk_shape), is not decoded (its row group is quarantined): writers cut pages at ~1 MiB (pyarrow, parquet-mr),
# so only a single huge value makes a page this large (a 30 KB zstd page can hold 1 GB), and only a run-length
# encoded run of millions of values a row this long. The cap is max(this, 4 x max_record_bytes) so that a legitimate
# row under max_record_bytes always fits.
_MAX_PAGE_BYTES = 256 << 20


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[i]
        i += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, i
        shift += 7
        if shift > 70:
            raise ValueError("varint too long")


def _skip(buf: bytes, i: int, ftype: int, depth: int = 0) -> int:
    """Position after one Thrift compact-protocol value of type ``ftype`` starting at ``i``."""
    if depth > 32:
        raise ValueError("Thrift value nested too deeply")
    if i > len(buf):  # past the bytes read: the caller reads more or gives up (a hostile count cannot spin)
        raise IndexError("Thrift value runs past the buffer")
    if ftype in (1, 2):  # booleans carry their value in the type
        return i
    if ftype == 3:
        return i + 1
    if ftype in (4, 5, 6):
        return _varint(buf, i)[1]
    if ftype == 7:
        return i + 8
    if ftype == 8:
        n, i = _varint(buf, i)
        return i + n
    if ftype in (9, 10):
        head = buf[i]
        i += 1
        n, etype = head >> 4, head & 0x0F
        if n == 15:
            n, i = _varint(buf, i)
        if etype in (1, 2):  # in a list a boolean takes one byte
            return i + n
        for _ in range(n):
            i = _skip(buf, i, etype, depth + 1)
        return i
    if ftype == 11:
        n, i = _varint(buf, i)
        if n:
            kv = buf[i]
            i += 1
            kt, vt = (3 if t in (1, 2) else t for t in (kv >> 4, kv & 0x0F))  # booleans: one byte each
            for _ in range(n):
                i = _skip(buf, i, kt, depth + 1)
                i = _skip(buf, i, vt, depth + 1)
        return i
    if ftype == 12:
        fid = 0
        while True:
            fid, ftype, i = _field(buf, i, fid)
            if ftype < 0:
                return i
            i = _skip(buf, i, ftype, depth + 1)
    raise ValueError(f"unknown Thrift type {ftype}")


def _field(buf: bytes, i: int, fid: int) -> tuple[int, int, int]:
    """(field id, type, position of its value) of the Thrift compact field header at ``i`` that follows field
    ``fid``; type -1 for the struct's end (the position is then the one after it)."""
    b = buf[i]
    i += 1
    if b == 0:
        return fid, -1, i
    if b >> 4:  # the id as a delta from the field before
        return fid + (b >> 4), b & 0x0F, i
    z, i = _varint(buf, i)
    return (z >> 1) ^ -(z & 1), b & 0x0F, i


def _i32(z: int) -> int:
    """The Thrift i32 a zigzag varint holds: one past 32 bits is not an i32 (a hostile 2**66 reached f.read as an
    OverflowError, which nothing caught: the worker failed instead of the chunk being read as usual)."""
    if z >> 32:
        raise ValueError("Thrift i32 past 32 bits")
    return (z >> 1) ^ -(z & 1)


def _struct_ints(buf: bytes, i: int) -> tuple[dict[int, int], int]:
    """The i32 and boolean fields (by field id) of the Thrift compact struct at ``i``, and the position after it."""
    out: dict[int, int] = {}
    fid = 0
    while True:
        fid, ftype, i = _field(buf, i, fid)
        if ftype < 0:
            return out, i
        if ftype == 5:
            z, i = _varint(buf, i)
            out[fid] = _i32(z)
        elif ftype in (1, 2):  # a boolean field carries its value in its type
            out[fid] = int(ftype == 1)
        else:
            i = _skip(buf, i, ftype)


def _page_info(buf: bytes) -> tuple[int, int, int, int, dict[int, int]]:
    """(uncompressed size, compressed size, header length, page type, data page header's i32 fields) of the Parquet
    PageHeader at the start of ``buf``; the fields are {} for a dictionary or index page. Type 0 is a v1 data page
    (fields: 1 num_values, 4 repetition level encoding), 3 a v2 one (1 num_values, 6 repetition levels' bytes)."""
    top: dict[int, int] = {}
    sub: dict[int, int] = {}
    i = 0
    fid = 0
    while True:
        fid, ftype, i = _field(buf, i, fid)
        if ftype < 0:
            break
        if fid in (1, 2, 3) and ftype == 5:
            z, i = _varint(buf, i)
            top[fid] = _i32(z)
        elif fid in (5, 8) and ftype == 12:  # DataPageHeader / DataPageHeaderV2
            sub, i = _struct_ints(buf, i)
        else:
            i = _skip(buf, i, ftype)
    if 2 not in top or 3 not in top or top[2] < 0 or top[3] < 0:
        # a negative uncompressed size made the level walk read the rest of the file (f.read(-n) reads it all)
        raise ValueError("page header without sizes")
    return top[2], top[3], i, top.get(1, -1), sub


# Arrow memory a value of a list column takes while pyarrow decodes it, besides its bytes: measured on one row of
# 20 million int64 zeros in a list column (the 34 KB file of bench/reader_bombs.py): 388 MiB of pyarrow's pool
# (value, definition and repetition levels, offsets, validity), 19.4 bytes a value; 20 million distinct ones took 41.
# pyarrow decodes a batch of whole rows at a time (however many values a page holds: a DuckDB file of 100,000 rows of
# 1,024 ones in a list column is one page of 102 million values, read at a 35 MB peak), so what a batch costs is
# this x the values of its rows: a row with more than cap / this values is not decoded, and a row group whose rows
# hold many values is read in batches of fewer rows (_decode_plan).
_ARROW_BYTES_PER_VALUE = 20

# pyarrow's codec names for the ones a Parquet column chunk names (LZ4, Hadoop's framing, has none: its repetition
# levels are not read, and its pages' value counts bound the rows instead)
_CODECS = {"UNCOMPRESSED": None, "SNAPPY": "snappy", "GZIP": "gzip", "BROTLI": "brotli", "ZSTD": "zstd",
           "LZ4_RAW": "lz4_raw"}


# Runs of repetition levels read in one column chunk at most (~5 microseconds each): a writer makes two or three a
# row (DuckDB's row groups are 122,880 rows); past this a page's value count bounds its rows, as when the levels
# cannot be read, so that a page of millions of one-level runs costs seconds, not minutes.
_LEVEL_RUNS = 1 << 20


# Page headers walked in one column chunk at most (~9 us each, ~0.6 s): a chunk of millions of tiny pages (a 1 GB
# one of 140-byte pages, 7 million) cost ~1 min, ~10 x pyarrow's own reading of it. Past this the chunk's metadata
# bounds the rest (its values as part of the row in progress, its uncompressed size as one page). Writers' pages are
# 1 MB or 20,000 rows (pyarrow, parquet-mr) or a part of a row group (DuckDB): 65,536 such pages would be 64 GB.
_WALK_PAGES = 1 << 16


def _zero_bits(b: int) -> tuple[int, int, int] | None:
    at = [k for k in range(8) if not b >> k & 1]
    return (at[0], at[-1], max((y - x for x, y in zip(at, at[1:])), default=0)) if at else None


# for each byte of 8 one-bit levels (the first level in the lowest bit): where its 0 levels (row starts) are, the
# first and last, and the most levels between two of them; None for a byte of no row start
_ZERO_BITS = [_zero_bits(b) for b in range(256)]


def _longest_rows(data: bytes, n: int, width: int, state: list[int]) -> bool:
    """Walk ``n`` repetition levels (RLE/bit-packed hybrid, ``width`` bits each) in ``data``: ``state`` is [values of
    the row not yet ended, most values in an ended row, runs left to read], carried from page to page (a row starts
    at level 0). False when the runs left ran out (``state`` is then not to be used)."""
    cur, best, runs = state
    i, left, vbytes = 0, n, (width + 7) // 8
    while left > 0:
        runs -= 1
        if runs < 0:
            return False
        head, i = _varint(data, i)
        if head & 1:  # bit-packed: (head >> 1) groups of 8 levels, `width` bytes a group
            groups = head >> 1
            if groups == 0 or i + groups * width > len(data):
                raise ValueError("repetition levels cut short")
            if width == 1 and groups * 8 <= left and groups <= 4096:
                # a list's levels as writers pack them: a few bytes around each row start, the rest 0xff (no row
                # starts); the bytes between the first and the last row start a byte at a time (numpy's call cost
                # ~5 us a run: 0.25 s for 50,000 rows of an embedding column)
                tail = data[i:i + groups].lstrip(b"\xff")
                cur += (groups - len(tail)) * 8
                core = tail.rstrip(b"\xff")
                for b in core:
                    zeros = _ZERO_BITS[b]
                    if zeros is None:
                        cur += 8
                    else:
                        first, last, gap = zeros
                        best = max(best, cur + first, gap)
                        cur = 8 - last
                cur += (len(tail) - len(core)) * 8
                i += groups
                left -= groups * 8
                continue
            for g0 in range(0, groups, 1 << 16):  # a slice at a time: 8 bits a level as numpy unpacks them
                g1 = min(groups, g0 + (1 << 16))
                take = min((g1 - g0) * 8, left)
                bits = np.unpackbits(np.frombuffer(data, np.uint8, (g1 - g0) * width, i + g0 * width),
                                     bitorder="little")
                zeros = np.flatnonzero(~bits[:take * width].reshape(take, width).any(axis=1))
                if len(zeros):
                    best = max(best, cur + int(zeros[0]), int(np.diff(zeros).max()) if len(zeros) > 1 else 0)
                    cur = take - int(zeros[-1])
                else:
                    cur += take
                left -= take
                if left == 0:
                    break
            i += groups * width
        else:  # a run of (head >> 1) copies of one level
            count = min(head >> 1, left)
            if count == 0 or i + vbytes > len(data):
                raise ValueError("repetition levels cut short")
            if int.from_bytes(data[i:i + vbytes], "little") == 0:  # `count` rows begin, all but the last of 1 value
                best = max(best, cur, 1 if count > 1 else 0)
                cur = 1
            else:
                cur += count
            i += vbytes
            left -= count
    state[:] = [cur, best, runs]
    return True


def _chunk_shape(f, c: Any, max_rep: int, cap: int) -> tuple[int, int, bool] | None:
    """(largest uncompressed page, most values in one row, whether the walk stopped at _WALK_PAGES: the rest of the
    chunk then counts as one page and its values as the row in progress) of column chunk ``c`` of an open local file,
    walking its page headers and, in a repeated column (``max_rep`` > 0), its repetition levels: a page's value count
    says nothing of its rows (one row of 20 million zeros, or 100,000 rows of 1,024 ones). A repeated column whose
    levels cannot be read (a codec pyarrow lacks, the deprecated bit-packed level encoding) counts a page's values as
    one row's. A page over ``cap`` ends the walk (its row group is not read). None when a header cannot be parsed (the
    chunk is then read as usual)."""
    start = c.dictionary_page_offset if c.has_dictionary_page else c.data_page_offset
    pos, end, largest = start, start + c.total_compressed_size, 0
    width = max_rep.bit_length()
    codec = _CODECS.get(c.compression, "?")
    state = [0, 1 if max_rep == 0 else 0, _LEVEL_RUNS]
    pages = seen = unc_seen = 0
    cut = False
    try:
        while pos < end:
            pages += 1
            if pages > _WALK_PAGES:  # the rest bounded by the chunk's own counts, not walked
                cut = True
                largest = max(largest, c.total_uncompressed_size - unc_seen)
                if max_rep:
                    state = [state[0] + max(c.num_values - seen, 0), state[1], 0]
                break
            f.seek(pos)
            head = f.read(4096)
            try:
                unc, comp, hlen, kind, sub = _page_info(head)
            except IndexError:  # a header with large statistics: read more once
                f.seek(pos)
                head = f.read(1 << 20)
                unc, comp, hlen, kind, sub = _page_info(head)
            largest = max(largest, unc)
            if unc > cap:
                break
            values = max(sub.get(1, 0), 0)
            unc_seen += unc
            seen += values if kind in (0, 3) else 0
            if max_rep and values and kind in (0, 3):
                try:
                    levels = _levels(f, pos + hlen, comp, unc, kind, sub, codec)
                    walked = levels is not None and _longest_rows(levels, values, width, state)
                except (IndexError, ValueError, OverflowError, EOFError, OSError, zlib.error, zstandard.ZstdError,
                        pa.ArrowException):  # pa.decompress raises a plain OSError for corrupt data
                    walked = False  # levels that do not parse: a crafted page is bounded by its value count
                if not walked:
                    state = [0, max(state[1], state[0] + values), 0]
            pos += hlen + comp
        return largest, max(state[:2]), cut
    except (IndexError, ValueError, OSError, OverflowError):
        return None


def _levels(f, at: int, comp: int, unc: int, kind: int, sub: dict[int, int], codec: str | None) -> bytes | None:
    """The repetition levels of the data page whose body (``comp`` bytes) is at ``at``, or None when they cannot be
    read here."""
    if kind == 3:  # v2: the levels come first, never compressed
        n = sub.get(6, -1)
        if not 0 <= n <= min(comp, unc):  # levels are part of the page: no more than its uncompressed size
            raise ValueError("repetition levels past the page")
        f.seek(at)
        return f.read(n)
    if sub.get(4, 3) != 3 or codec == "?":  # v1: RLE levels (not BIT_PACKED), after a 4-byte length
        return None
    f.seek(at)
    # no codec makes a page much larger than it was (Snappy's worst case is 1.17 x): a header that says so is not
    # believed beyond that (its page's head is all the walk needs)
    body = f.read(min(comp, unc + unc // 4 + 4096))
    # only the head of the page is decompressed where the codec allows it: the whole page (a list of floats, an
    # embedding) cost 0.37 CPU s for 147 MB, 18% of reading the file
    head = _head(body, 4, unc, codec)
    n = int.from_bytes(head[:4], "little")
    if len(head) < 4 or n > unc - 4:
        raise ValueError("repetition levels past the page")
    head = _head(body, 4 + n, unc, codec)
    if len(head) < 4 + n:
        raise ValueError("repetition levels past the page")
    return head[4:4 + n]


def _head(body: bytes, want: int, unc: int, codec: str | None) -> bytes:
    """At least the first ``want`` bytes (fewer only when there are fewer) of a page body compressed with ``codec``."""
    if codec is None:
        return body[:want]
    if codec == "snappy":
        # by hand only for a head of a few KB (real levels); a longer one in C, bounded by the page's size (a
        # crafted page's levels claiming 256 MB are ~4 million tags, seconds of Python a page)
        if want <= 1 << 16:
            return _snappy_head(body, want)
    if codec == "zstd":
        import io

        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body)) as r:
            return r.read(want)
    if codec == "gzip":
        return zlib.decompressobj(32 + zlib.MAX_WBITS).decompress(body, want)
    return pa.decompress(body, decompressed_size=unc, codec=codec, asbytes=True)


def _snappy_head(buf: bytes, want: int) -> bytes:
    """The first ``want`` bytes of a raw Snappy block (a length, then literals and back-references)."""
    _, i = _varint(buf, 0)
    out = bytearray()
    n = len(buf)
    while len(out) < want and i < n:
        tag = buf[i]
        i += 1
        kind = tag & 3
        if kind == 0:  # a literal: its length - 1 in the tag, or in the 1-4 bytes after it
            size = tag >> 2
            if size >= 60:
                k = size - 59
                size = int.from_bytes(buf[i:i + k], "little")
                i += k
            size += 1
            if i + size > n:
                raise ValueError("Snappy literal past the block")
            out += buf[i:i + size]
            i += size
            continue
        if kind == 1:
            size, off = ((tag >> 2) & 7) + 4, ((tag >> 5) << 8) | buf[i]
            i += 1
        else:
            size, off = (tag >> 2) + 1, int.from_bytes(buf[i:i + 2 * kind - 2], "little")
            i += 2 * kind - 2
        if not 0 < off <= len(out):
            raise ValueError("Snappy back-reference before the start")
        size = min(size, want - len(out))
        # an overlapping copy repeats the last `off` bytes: one slice (a byte at a time, a stream of offset-1
        # copies took 0.9 CPU s for 4 MB of head, a minute for a page's 256 MB)
        part = out[len(out) - off:len(out) - off + size]
        out += part if off >= size else (part * (size // off + 1))[:size]
    return bytes(out)


@register("parquet", kind="reader")
@dataclass
class ParquetReader(Reader):
    """Parquet files, one document per row; one shard per file, or per run of row groups of a file over
    shard_size_mb. Every column but the text and the id goes to metadata; a winnow output file is read back whole."""

    paths: str | list[str] = "*.parquet"  # a glob or a list of globs; local paths or URLs (s3://...)
    text_key: str = "text"  # the column holding the document's text (a row without a string there is quarantined)
    id_key: str = "id"  # the column holding its id (missing: file stem and row number)
    batch_size: int = 1024  # rows read at a time (decoded in runs of at most 32 MiB)
    # A row whose string and binary values add up to more than this is quarantined (decompressed bytes: a 4.8 KB
    # file can hold a 1.4 GB column once decoded).
    max_record_bytes: int = 32 * 1024 * 1024

    def validate(self) -> None:
        check_paths(self)
        check_str(self, "text_key")
        check_str(self, "id_key")
        if self.text_key == self.id_key:
            raise ValueError(f"text_key and id_key are the same field ({self.text_key!r})")
        check_int(self, "batch_size", 1, 1 << 20)
        check_int(self, "max_record_bytes", 1, 1 << 30)  # as JsonlReader
        check_size_mb(self)
        check_read_options(self)
        check_format(self)

    # A file larger than this is read as several shards of whole row groups, so one big file uses every worker;
    # 0: one shard per file.
    shard_size_mb: float = 256.0
    # As JsonlReader: the layout (winnow | datatrove | dolma), metadata from other (dotted) columns, and per file
    # skip / sample / seed / limit (documents left out are not read). (Dolma's attribute files are JSONL beside
    # JSONL documents: `attributes` is the JSONL reader's.)
    format: str = "winnow"
    fields: dict[str, str] | None = None
    skip: int = 0
    sample: float = 1.0
    seed: int = 0
    limit: int | None = None

    def shards(self) -> list[str]:
        # skip/limit count per whole file, and a run's side file follows a peer-layout file from its first row
        whole = self.skip > 0 or self.limit is not None or self.format != "winnow"
        size = 0 if whole else self.shard_size_mb
        return [k for p in expand_paths(self.paths) for k in plan_parquet(p, size)]

    def input_files(self, keys: list[str]) -> list[str]:
        return input_files(keys)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        items = read_format(self._read_file(shard), shard, self.format, None)
        return select_records(items, self.limit, self.skip, self.sample, self.seed)

    def _read_file(self, shard: str) -> Iterator[Document | Quarantine]:
        shard, rng = split_key(shard)  # row groups of a big file: row numbers and default ids stay file-absolute
        stem = Path(shard).name.split(".")[0]
        try:
            # A URL through fsspec, as every other reader: pyarrow's own S3/GCS clients would need their own
            # credentials and endpoint settings.
            if is_remote(shard):
                with _open_raw(shard) as fh:
                    meta = pq.read_metadata(fh)
            else:
                meta = pq.read_metadata(shard)
            names = meta.schema.to_arrow_schema().names
            # Every string leaf (nested ones too: winnow's typed metadata map) is read dictionary-encoded: a
            # dictionary value is repeated once per row that refers to it when decoded, so 1400 rows turn a 1 MiB
            # dictionary (a few hundred compressed bytes) into 1.4 GB. Encoded, each row's exact decoded size is
            # known before anything is decoded.
            leaves = [meta.schema.column(j).path for j in range(meta.num_columns)
                      if meta.schema.column(j).physical_type == "BYTE_ARRAY"]
            pf = pq.ParquetFile(_open_raw(shard) if is_remote(shard) else shard, read_dictionary=leaves)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: not a readable Parquet file: {exc}")
            return
        try:
            yield from self._read(pf, shard, stem, set(SCHEMA.names) <= set(names), rng)
        finally:
            pf.close(force=True)  # force: a file object we handed in (a URL's) is not closed otherwise

    READ_UNIT = "row group"

    def _read(self, pf: pq.ParquetFile, shard: str, stem: str, native: bool, rng) -> Iterator[Document | Quarantine]:
        # the runner's ReadGuard: the row group being decoded, written again after each row handed over (the runner
        # clears it between windows), so a worker that dies decoding a row group blames that group
        guard = self._guard
        try:
            groups = range(rng.start, rng.end) if rng is not None else range(pf.metadata.num_row_groups)
            reps = [pf.metadata.schema.column(j).max_repetition_level for j in range(pf.metadata.num_columns)]
        except Exception as exc:
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: unreadable Parquet metadata: {exc}")
            return
        row_no = rng.base if rng is not None else 0  # row numbers stay file-absolute in a range of row groups
        for g in groups:
            try:
                rg = pf.metadata.row_group(g)
                n_rows = rg.num_rows
                per_row = sum(rg.column(j).total_uncompressed_size for j in range(rg.num_columns)) // max(n_rows, 1)
            except Exception as exc:
                yield Quarantine(shard, f"row group {g}", "corrupt_record",
                                 f"{shard}: row group {g} (after row {row_no}) has unreadable metadata: {exc}")
                continue
            first = row_no + 1
            if guard is not None:
                if g in guard.poison:
                    row_no += n_rows
                    yield guard.skipped(shard, f"rows {first}-{row_no}", g)
                    continue
                guard.at(g)
            why, batch = self._decode_plan(rg, shard, reps)
            if why is not None:
                row_no += n_rows
                yield Quarantine(shard, f"rows {first}-{row_no}", "too_large",
                                 f"{shard}: row group {g} (rows {first}-{row_no}) {why}; not read")
                continue
            if per_row > self.max_record_bytes:
                # Not decoded at all: its rows average more than the cap (a plain-encoded value is decompressed
                # whole with its page). One quarantine record names the rows.
                row_no += n_rows
                yield Quarantine(shard, f"rows {first}-{row_no}", "too_large",
                                 f"{shard}: row group {g} (rows {first}-{row_no}) holds ~{per_row:,} bytes per row "
                                 f"once decompressed, over max_record_bytes={self.max_record_bytes:,}; not read")
                continue
            done = 0
            try:
                for rb in pf.iter_batches(batch_size=batch, row_groups=[g]):
                    for row, size in _rows(rb, self.max_record_bytes):
                        row_no += 1
                        done += 1
                        if row is None:
                            yield Quarantine(shard, f"row {row_no}", "too_large",
                                             f"{shard}: row {row_no} holds {size:,} bytes once decoded (strings, and 8 "
                                             f"for every other value), over max_record_bytes="
                                             f"{self.max_record_bytes:,}")
                        else:
                            yield self._doc(row, native, shard, stem, row_no)
                        if guard is not None:
                            guard.at(g)
            except Exception as exc:  # pyarrow raises several types for damaged pages
                row_no = first - 1 + n_rows
                where = f"rows {first + done}-{row_no}" if n_rows - done > 1 else f"row {first + done}"
                yield Quarantine(shard, where, "corrupt_record",
                                 f"{shard}: row group {g}: {where} cannot be decoded: {exc}")

    def _page_cap(self) -> int:
        return max(_MAX_PAGE_BYTES, 4 * self.max_record_bytes)

    def _decode_plan(self, rg: Any, shard: str, reps: list[int]) -> tuple[str | None, int]:
        """(why the row group is not decoded, or None; rows to decode at a time). Only a chunk whose uncompressed
        size, or (repeated: ``reps`` are the columns' repetition levels) whose values at _ARROW_BYTES_PER_VALUE, is
        over the cap can hold a page or a row over it, so ordinary row groups cost nothing; their page headers are
        walked in a local file (a remote one would need a request per page: there the average-row check below is the
        bound). A flat column's page is decoded a batch of rows at a time, whatever its value count (a DuckDB file
        of 14 million rows in one row group has pages of 14 million values)."""
        cap = self._page_cap()
        big = [(c, r) for c, r in zip(map(rg.column, range(rg.num_columns)), reps)
               if max(c.total_uncompressed_size, c.num_values * _ARROW_BYTES_PER_VALUE * (r > 0)) > cap]
        if not big or is_remote(shard):
            return None, self.batch_size
        batch = self.batch_size
        with open(shard, "rb") as f:
            for c, r in big:
                shape = _chunk_shape(f, c, r, cap)
                if shape is None:
                    continue
                page, row, cut = shape
                # past _WALK_PAGES the rest is a bound, not a page or a row that was seen: the message says so (it
                # named "a page of 12,905 bytes" in a chunk of 70-byte pages)
                past = (f" (column {c.path_in_schema} has more than {_WALK_PAGES:,} pages: the part past them was not "
                        "walked and counts as ") if cut else ""
                if page > cap:
                    return (f"may have a page of up to {page:,} bytes once decompressed (over {cap:,}){past}one page)"
                            if cut else f"has a page of {page:,} bytes once decompressed (over {cap:,})"), batch
                if row * _ARROW_BYTES_PER_VALUE > cap:
                    return (f"{'may have a row of up to' if cut else 'has a row of'} {row:,} values in column "
                            f"{c.path_in_schema}, ~{row * _ARROW_BYTES_PER_VALUE:,} bytes once decoded (over {cap:,})"
                            + (f"{past}the row in progress)" if cut else "")), batch
                batch = max(1, min(batch, cap // (max(row, 1) * _ARROW_BYTES_PER_VALUE)))
        return None, batch

    def _doc(self, row: dict, native: bool, shard: str, stem: str, row_no: int) -> Document | Quarantine:
        try:
            if native and self.format == "winnow":  # winnow's own rows read back whole (`fields` is for others)
                return _row_to_doc(row)
            if self.format != "winnow" and isinstance(row.get("metadata"), dict):
                # a struct column has one set of keys for every row: a key a row did not have reads as null
                row["metadata"] = {k: v for k, v in row["metadata"].items() if v is not None}
            return doc_from_record(row, text_key=self.text_key, id_key=self.id_key,
                                   default_id=f"{stem}:{row_no}", source=shard, fields=self.fields)
        except (ValueError, TypeError, KeyError) as exc:  # RecordError and JSONDecodeError are ValueErrors
            text = row.get(self.text_key)
            reason, what = record_problem(row, self.text_key, exc)  # as the JSONL reader says it
            return Quarantine(shard, f"row {row_no}", reason, f"{shard}, row {row_no}: {what}",
                              text[:200] if isinstance(text, str) else "")


def _string_bytes(arr: pa.Array) -> np.ndarray:
    """Bytes of each row of ``arr`` once decoded (string and binary data, and 8 for every other value), computed on
    the encoded form (through dictionaries, structs, lists and maps) without decoding anything."""
    t = arr.type
    n = len(arr)
    if pa.types.is_dictionary(t):
        per_value = _string_bytes(arr.dictionary)
        idx = pc.fill_null(arr.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        return np.where(arr.is_valid().to_numpy(zero_copy_only=False), per_value[idx] if len(per_value) else 0, 0)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_struct(t):
        out = np.zeros(n, np.int64)
        for child in arr.flatten():  # flatten applies the struct's own offset
            out += _string_bytes(child)
        return out
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t):
        offsets = arr.offsets.to_numpy(zero_copy_only=False).astype(np.int64)  # into the unsliced .values
        # (a map's items are key/value structs, counted below; MapType has no value_type)
        if not pa.types.is_map(t) and _scalar(t.value_type):
            # 8 bytes an item, counted from the offsets: an array of 8s for 20 million items, its cumsum and their
            # concatenation took 480 MB beside pyarrow's own decoding of the same row
            return (offsets[1:] - offsets[:-1]) * 8
        per_item = _string_bytes(arr.values)
        cum = np.concatenate([[0], np.cumsum(per_item)])
        return cum[offsets[1:]] - cum[offsets[:-1]]
    if pa.types.is_fixed_size_list(t) and _scalar(t.value_type):
        return np.where(arr.is_valid().to_numpy(zero_copy_only=False), t.list_size * 8, 8).astype(np.int64)
    if pa.types.is_fixed_size_list(t):
        # (an embedding column): counted as 8 bytes a row, a fixed-size list of 20 million zeros passed the cap that
        # the same row held as a list did not. .values ignores the array's offset; a null row decodes to None.
        size = t.list_size
        per_item = _string_bytes(arr.values)
        start = arr.offset * size
        sums = per_item[start: start + n * size].reshape(n, size).sum(axis=1) if size else np.zeros(n, np.int64)
        return np.where(arr.is_valid().to_numpy(zero_copy_only=False), sums, 8).astype(np.int64)
    # Any other value (a number, a boolean, a null) is 8 bytes at least once decoded (its slot in a Python list or
    # dict, besides the object): counted as 8, so a list column cannot hold a row's memory past the cap. Counted as 0,
    # one row of 20 million zeros in a list (a few KB of Parquet, run-length encoded) became a 1.8 GB document.
    return np.full(n, 8, np.int64)


def _scalar(t: pa.DataType) -> bool:
    """Whether _string_bytes counts every value of type ``t`` as 8 bytes (no strings, no nesting inside)."""
    return not (pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t)
                or pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_nested(t))


def _rows(rb: pa.RecordBatch, cap: int) -> Iterator[tuple[dict | None, int]]:
    """(row as a dict, its bytes of strings) for each row of a batch whose string leaves are dictionary-encoded;
    None instead of the dict for a row over ``cap``. Rows are decoded in runs of at most _DECODE_BUDGET bytes."""
    sizes = np.zeros(rb.num_rows, np.int64)
    for col in rb.columns:
        sizes += _string_bytes(col)
    size_list = sizes.tolist()
    i, n_rows = 0, rb.num_rows
    while i < n_rows:
        if size_list[i] > cap:
            yield None, size_list[i]
            i += 1
            continue
        j, total = i, 0
        while j < n_rows and size_list[j] <= cap and (j == i or total + size_list[j] <= _DECODE_BUDGET):
            total += size_list[j]
            j += 1
        for k, row in enumerate(rb.slice(i, j - i).to_pylist()):  # dictionaries decode to their values here
            yield row, size_list[i + k]
        i = j


def _full_row(doc: Document) -> dict[str, Any]:
    d = doc.drop
    return {
        "id": doc.id, "text": doc.text, "metadata": encode_map(doc.metadata), "attributes": encode_map(doc.attributes),
        "edits": [e.to_dict() for e in doc.edits],
        "drop_step": d.step if d else None, "drop_reason": d.reason if d else None,
        "drop_value": d.value if d else None, "drop_threshold": d.threshold if d else None,
    }


_CORE_TYPES = {"id": pa.string(), "text": pa.string(), "metadata": VALUE_MAP, "attributes": VALUE_MAP,
               "edits": pa.list_(EDIT), "drop": DROP}


def _infer_struct(dicts: list[dict]) -> pa.DataType | None:
    """A struct type for the metadata of a peer's layout, from the first row group: one field per key whose values
    pyarrow can type together and Parquet can write (a key of mixed types, only nulls or an empty dict anywhere in
    its values is left out: it is in the side file)."""
    keys: dict[str, None] = {}
    for d in dicts:
        keys.update(dict.fromkeys(d))
    fields = []
    for k in keys:
        try:
            t = pa.array([d.get(k) for d in dicts]).type
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            continue
        if t != pa.null() and _no_empty_struct(t):  # Parquet cannot write a struct without fields, even nested
            fields.append((str(k), t))
    return pa.struct(fields) if fields else None


def _fit(meta: Any, t: pa.StructType) -> dict | None:
    """``meta`` in the struct's shape; a value that does not fit its field's type becomes null (it is in the side
    file)."""
    if not isinstance(meta, dict):
        return None
    out = {}
    for f in t:
        v = meta.get(f.name)
        if v is not None:
            try:
                pa.scalar(v, type=f.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                v = None
        out[f.name] = v
    return out


_PA_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


def _same(a: Any, b: Any) -> bool:
    """Whether ``b`` (a value read back from Arrow) is ``a``: a null and an absent key alike (a struct column has
    every key in every row), a tuple a list, an int stored in a double column its float."""
    if isinstance(a, dict):
        present = {k for k, v in a.items() if v is not None}
        return (isinstance(b, dict) and present == {k for k, v in b.items() if v is not None}
                and all(_same(a[k], b[k]) for k in present))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    try:
        return bool(a == b)
    except Exception:  # an array-like compared element-wise: not a value Arrow gives back as it was
        return False


_PLAIN = {str: pa.string(), bool: pa.bool_(), float: pa.float64()}


def _plain_type(v: Any) -> pa.DataType | None:
    """The Arrow type of a plain value (most metadata: strings, numbers), which Arrow holds as it is, without asking
    pyarrow (two conversions per value doubled the writer's time per document); None for anything else."""
    t = _PLAIN.get(type(v))
    if t is None and type(v) is int and -2 ** 63 <= v < 2 ** 63:
        t = pa.int64()
    return t


def _no_empty_struct(t: pa.DataType) -> bool:
    """Whether Parquet can store the type: a struct without fields (an empty dict's) cannot be written."""
    if pa.types.is_struct(t):
        return t.num_fields > 0 and all(_no_empty_struct(f.type) for f in t)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _no_empty_struct(t.value_type)
    return True


class _ParquetHandle(WriterHandle):
    def __init__(self, path: Path, rows_per_group: int, fields=None, side: Path | None = None, fmt: str = "winnow"):
        self._path = path
        self._fmt = fmt
        if fmt != "winnow":
            fields = None
        self._pairs = normalize_fields(fields)
        if fmt != "winnow":
            self._pairs = [("_fmt", "_fmt")]  # the rows are the format's records; the schema comes at first flush
        elif self._pairs is None and side is not None:
            self._pairs = [("id", "id"), ("text", "text"), ("metadata", "metadata")]
        self._side = SideWriter(side, fmt) if side is not None else None
        self._schema = SCHEMA if self._pairs is None else None  # a selection's other columns: typed at first flush
        self._writer: pq.ParquetWriter | None = None
        self._rows: list[dict] = []
        self._n = rows_per_group
        # A peer's layout without side files: the metadata struct is all there is, so a value it cannot hold is
        # refused (the runner quarantines the document) instead of written as null. Until the first row group
        # fixes the struct, one value per Arrow type seen for each key, to find a value no column could share.
        self._strict = fmt != "winnow" and self._side is None
        self._seen: dict[str, dict[pa.DataType, Any]] = {}

    def write(self, doc: Document) -> None:
        self.write_encoded(self.encode(doc))

    def encode(self, doc: Document) -> tuple[dict, Any, dict]:
        # The row and its side line are built before either is kept: a value that cannot be encoded raises here
        # with nothing written, so the runner can quarantine that document alone (and never collects it).
        if self._fmt != "winnow":
            row = format_record(doc, self._fmt)
        elif self._pairs is None:
            row = _full_row(doc)
        else:
            row = {out: value_of(doc, src) for out, src in self._pairs}
            for out, src in self._pairs:  # typed at flush, for many rows at once: check this row's values now
                if src in ("metadata", "attributes"):
                    encode_map(row[out]) if isinstance(row[out], dict) else None
                elif src not in _CORE_TYPES:
                    encode_value(row[out])
        side = self._side.encode(doc) if self._side is not None else None
        seen = self._check_metadata(row.get("metadata")) if self._strict else {}
        return row, side, seen

    def write_encoded(self, encoded: tuple[dict, Any, dict]) -> None:
        row, side, seen = encoded
        for k, (t, v) in seen.items():
            self._seen.setdefault(k, {})[t] = v
        self._rows.append(row)
        if side is not None:
            self._side.write_line(side)
        if len(self._rows) >= self._n:
            self._flush()

    def _check_metadata(self, meta: Any) -> dict[str, tuple[pa.DataType, Any]]:
        """Raises for a metadata value the struct column cannot hold as it is (with no side file it would be lost);
        returns the keys' types this row adds to those seen in the first row group."""
        if not isinstance(meta, dict):
            return {}
        hint = "; with side_files: false the Parquet metadata column is all there is (side files keep it whole)"
        struct = None
        if self._schema is not None and "metadata" in self._schema.names:
            struct = self._schema.field("metadata").type
        new: dict[str, tuple[pa.DataType, Any]] = {}
        for key, v in meta.items():
            if v is None:
                continue
            k = str(key)
            if self._schema is not None:  # the struct was typed from the first row group
                if struct is None or struct.get_field_index(k) < 0:
                    raise ValueError(f"metadata key {k!r}: no document of the file's first row group had it, so its "
                                     f"metadata column has no such field{hint}")
                t = struct.field(k).type
                if _plain_type(v) == t:
                    continue
                try:
                    ok = _same(v, pa.scalar(v, type=t).as_py())
                except _PA_ERRORS:
                    ok = False
                if not ok:
                    raise ValueError(f"metadata key {k!r}: a {type(v).__name__} value does not fit its column's type "
                                     f"{t} (typed from the file's first row group){hint}")
                continue
            t = _plain_type(v)
            ok = t is not None
            if not ok:
                try:
                    t = pa.scalar(v).type
                    ok = _same(v, pa.scalar(v, type=t).as_py()) and _no_empty_struct(t)
                except _PA_ERRORS:
                    ok = False
            if not ok:
                raise ValueError(f"metadata key {k!r}: Parquet cannot hold this {type(v).__name__} value as it is{hint}")
            seen = self._seen.get(k, {})
            if t not in seen:
                try:
                    pa.array([*seen.values(), v])  # one column for all the group's values of this key
                except _PA_ERRORS:
                    raise ValueError(f"metadata key {k!r}: a {type(v).__name__} value ({t}) where earlier documents of "
                                     f"the row group have {', '.join(map(str, seen))}: one column cannot hold both"
                                     f"{hint}") from None
                new[k] = (t, v)
        return new

    def _selected_schema(self) -> pa.Schema:
        cols = []
        for out, src in self._pairs:
            if src in _CORE_TYPES:
                cols.append((out, _CORE_TYPES[src]))
            else:
                # a metadata key: a plain string column when the first rows hold strings (url, date), else typed
                # values; a later non-string value in a string column is stored as its JSON text
                vals = [r[out] for r in self._rows if r[out] is not None]
                cols.append((out, pa.string() if all(isinstance(v, str) for v in vals) else VALUE))
        return pa.schema(cols)

    def _format_schema(self) -> pa.Schema:
        cols = [("text", pa.string()), ("id", pa.string())] if self._fmt == "datatrove" else \
            [("id", pa.string()), ("text", pa.string()), ("source", pa.string())]
        for k in ("added", "created") if self._fmt == "dolma" else ():
            if any(k in r for r in self._rows):
                cols.append((k, pa.string()))
        meta = _infer_struct([r.get("metadata") or {} for r in self._rows])
        if meta is not None:
            cols.append(("metadata", meta))
        return pa.schema(cols)

    def _convert(self, rows: list[dict]) -> list[dict]:
        if self._fmt != "winnow":
            out = []
            for r in rows:
                c = {}
                for f in self._schema:
                    v = r.get(f.name)
                    if f.name == "metadata":
                        v = _fit(v, f.type)
                    elif v is not None and not isinstance(v, str):
                        v = str(v)
                    c[f.name] = v
                out.append(c)
            return out
        out = []
        for r in rows:
            c = {}
            for f in self._schema:
                v = r[f.name]
                if f.type == VALUE_MAP:
                    v = encode_map(v) if isinstance(v, dict) else None
                elif f.type == VALUE:
                    v = encode_value(v)
                elif f.type == pa.string() and v is not None and not isinstance(v, str):
                    v = orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode()
                c[f.name] = v
            out.append(c)
        return out

    def _flush(self) -> None:
        if self._schema is None:
            self._schema = self._format_schema() if self._fmt != "winnow" else self._selected_schema()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, self._schema, compression="zstd")
        if self._rows:
            rows = self._rows if self._pairs is None else self._convert(self._rows)
            self._writer.write_table(pa.Table.from_pylist(rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        try:
            self._flush()
            self._writer.close()
        finally:
            if self._side is not None:
                self._side.close()


@register("parquet", kind="writer")
@dataclass
class ParquetWriter(Writer):
    """Parquet (zstd) with typed columns id, text, metadata and attributes (maps of typed values), edits (a list
    of structs) and the drop's step, reason, value and threshold; or the columns ``fields`` selects."""

    rows_per_group: int = 2048  # rows per row group
    # The columns: null = the whole record; a list of names ([id, text, url]: a bare name is a metadata key, or
    # metadata.KEY / attributes.KEY) or a mapping {column: source} to rename. id and text are required.
    fields: list[str] | dict[str, str] | None = None
    # Attributes, edits and the drop in side files attributes/<kept|rejected>/<stage>/<stem>.jsonl.zst keyed by
    # id (Dolma's layout). null: on when `fields` is given.
    side_files: bool | None = None
    # The columns' layout: winnow (above), datatrove (text, id, metadata: a struct, as datatrove's ParquetWriter
    # writes) or dolma (id, text, source, added, created, metadata). The metadata struct's fields are typed from the
    # first row group; a value that does not fit is null in the column and whole in the side file (on by default
    # with datatrove or dolma, so nothing is lost). With side_files: false a document with such a value (another
    # type than its column's, a key the first row group lacked) is quarantined (write_error), as JSONL does with
    # a value it cannot encode. dolma: in <stage>/documents/, the side file in
    # <stage>/attributes/winnow/<stem>.jsonl.zst (Dolma's own tools read JSONL documents only).
    format: str = "winnow"
    extension = ".parquet"

    def validate(self) -> None:
        if self.rows_per_group < 1:
            raise ValueError(f"rows_per_group must be at least 1, got {self.rows_per_group}")
        check_fields(self.fields)
        check_format(self)

    @property
    def writes_side(self) -> bool:
        if self.side_files is not None:
            return self.side_files
        return self.fields is not None or self.format != "winnow"

    def open(self, path: Path, side: Path | None = None) -> _ParquetHandle:
        return _ParquetHandle(path, self.rows_per_group, self.fields, side, self.format)
