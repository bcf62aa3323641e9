"""JSON Lines, plain or compressed (.gz, .zst); one document per line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator

import orjson

from ..document import Document, Quarantine
from ..registry import register
from .base import (FORMATS, READ_ERRORS, Reader, Writer, WriterHandle, check_int, check_paths,
                   check_read_options, check_size_mb, check_str, doc_from_record, expand_paths, open_read, open_write,
                   record_problem, select_records)
from .fields import SideWriter, check_fields, check_format, format_record, normalize_fields, read_format, select
from .shards import RangeReader, input_files, plan_jsonl, split_key

__all__ = ["JsonlReader", "JsonlWriter"]

_EXCERPT = 200

# Memory a line's JSON takes as Python objects, estimated before it is decoded (lines over _ESTIMATE_FROM bytes
# only: a shorter one cannot take more than ~30 MB): _CONTAINER_BYTES for each '[', _OBJECT_BYTES for each '{' and
# _SLOT_BYTES for each ',' (brackets and commas inside strings count too). Measured: a 30 MB line of 10 million empty
# arrays took 900 MB beyond the interpreter (90 bytes an array and its comma); a line of 2 million one-key objects
# ({"a":1}) 169 bytes an object, 21x the line, which the 80 of an array counted as 12x (review14: a 32 MiB line of
# them took ~680 MB past the 512 MiB bound). Still under-counted (no value is counted): objects of three numbers
# 12.2x (estimated 9.7x), arrays of three numbers 17.1x (15.2x). A line whose estimate is over _OBJECT_FACTOR x
# max_record_bytes (512 MiB at the default) is quarantined undecoded, whatever memory the process has: before, such
# a line was decoded where memory allowed and quarantined ("ran out of memory") where it did not, so the same input
# gave different outputs on different machines. 16x leaves room for legitimate structure: a 32 MiB line of Dolma
# attribute spans ([0, 10, 0.5], ...) estimates ~300 MB.
_ESTIMATE_FROM = 1 << 20
_CONTAINER_BYTES = 80
_OBJECT_BYTES = 176
_SLOT_BYTES = 8
_OBJECT_FACTOR = 16


@register("jsonl", kind="reader")
@dataclass
class JsonlReader(Reader):
    """JSON Lines, plain or compressed (.gz, .zst), one document per line; one shard per file, or per range of an
    uncompressed file over shard_size_mb. Every field but the text and the id goes to metadata; a winnow output
    record is read back whole."""

    paths: str | list[str] = "*.jsonl*"  # a glob or a list of globs; local paths or URLs (s3://...)
    text_key: str = "text"  # the field holding the document's text (a record without it is quarantined)
    id_key: str = "id"  # the field holding its id (missing: file stem and line number)
    # A record longer than this is quarantined without being held in memory whole.
    max_record_bytes: int = 32 * 1024 * 1024

    # An uncompressed file larger than this is read as several shards (byte ranges cut at line starts), so one big
    # file uses every worker; 0: one shard per file. Compressed files are never split (see winnow.io.shards).
    shard_size_mb: float = 256.0
    # The record layout: winnow (any JSON object; winnow's own records read back whole), datatrove ({text, id,
    # metadata}, nested or expanded) or dolma ({id, text, source, added, created, metadata} plus the attribute
    # files named in `attributes`). With datatrove or dolma, a file written by winnow in that format gets its
    # attributes, edits and drop back from its side file (attributes/<kept|rejected>/<stage>/...).
    format: str = "winnow"
    # dolma: attribute sets to merge, read from the path with /documents/ replaced by /attributes/<name>/
    attributes: list[str] | None = None
    # Metadata taken from other fields of the record, moved there: {url: metadata.url, lang: meta.language}; text_key
    # and id_key may be dotted paths too (content.body).
    fields: dict[str, str] | None = None
    # Per file, in this order: skip its first `skip` documents, keep a deterministic `sample` fraction of the rest
    # (a hash of `seed` and the id), stop after `limit` documents. Documents left out are not read (not counted).
    skip: int = 0
    sample: float = 1.0
    seed: int = 0
    limit: int | None = None

    def validate(self) -> None:
        check_paths(self)
        check_str(self, "text_key")
        check_str(self, "id_key")
        if self.text_key == self.id_key:
            raise ValueError(f"text_key and id_key are the same field ({self.text_key!r})")
        # 1 GiB: a larger "document" is a dump, and holding it (plus its decoded str) would take several GiB.
        check_int(self, "max_record_bytes", 1, 1 << 30)
        check_size_mb(self)
        check_read_options(self)
        check_format(self)

    def _whole_files(self) -> bool:
        # skip and limit count from the start of each file, and a peer layout's side files (a winnow run's, Dolma's
        # attribute sets) follow their documents file line by line from its start: a byte range cannot know its
        # position in either
        return self.skip > 0 or self.limit is not None or self.format != "winnow"

    def shards(self) -> list[str]:
        size = 0 if self._whole_files() else self.shard_size_mb
        return [k for p in expand_paths(self.paths) for k in plan_jsonl(p, size)]

    def input_files(self, keys: list[str]) -> list[str]:
        return input_files(keys)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        items = read_format(self._read(shard), shard, self.format, self.attributes)
        return select_records(items, self.limit, self.skip, self.sample, self.seed)

    READ_UNIT = "line"

    def _read(self, shard: str) -> Iterator[Document | Quarantine]:
        guard = self._guard  # the runner's (ReadGuard): each line's number goes to it before the line is read
        shard, rng = split_key(shard)  # a range of a big file: positions and default ids stay file-absolute
        stem = Path(shard).name.split(".")[0]
        try:
            stream = open_read(shard) if rng is None else RangeReader(shard, rng.start, rng.end)
        except OSError as exc:
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: cannot open: {exc}")
            return
        lineno = rng.base if rng is not None else 0
        offset = rng.start if rng is not None else 0
        with stream:
            while True:
                if guard is not None:
                    guard.at(lineno + 1)
                try:
                    line = stream.readline(self.max_record_bytes + 1)
                except READ_ERRORS as exc:
                    yield Quarantine(shard, f"byte {offset}", "truncated",
                                     f"{shard}: compressed stream is truncated or corrupt after line {lineno} "
                                     f"(decompressed byte {offset}): {exc}; records before it were read")
                    return
                if not line:
                    return
                lineno += 1
                where = f"line {lineno}"
                start = offset
                offset += len(line)
                if start == 0 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]  # a UTF-8 byte order mark (Windows tools write one) opens the file, not record 1
                if len(line) > self.max_record_bytes and not line.endswith(b"\n"):
                    # Skip the rest of the oversized record in chunks.
                    size = len(line)
                    try:
                        while line and not line.endswith(b"\n"):
                            line = stream.readline(1 << 20)
                            size += len(line)
                            offset += len(line)
                    except READ_ERRORS:
                        pass  # the stream's own damage is reported by the next readline
                    yield Quarantine(shard, where, "too_large",
                                     f"{shard}, line {lineno}: record of {size:,} bytes exceeds max_record_bytes="
                                     f"{self.max_record_bytes:,}")
                    continue
                if not line.strip():
                    continue  # blank lines are not records
                if guard is not None and lineno in guard.poison:
                    yield guard.skipped(shard, where, lineno, line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if len(line) > _ESTIMATE_FROM:
                    arrays, objects = line.count(b"["), line.count(b"{")
                    containers = arrays + objects
                    estimate = (len(line) + _CONTAINER_BYTES * arrays + _OBJECT_BYTES * objects
                                + _SLOT_BYTES * line.count(b","))
                    if estimate > _OBJECT_FACTOR * self.max_record_bytes:
                        yield Quarantine(shard, where, "too_large",
                                         f"{shard}, line {lineno}: the record of {len(line):,} bytes holds up to "
                                         f"{containers:,} JSON arrays and objects, ~{estimate:,} bytes as Python "
                                         f"objects: over {_OBJECT_FACTOR} x max_record_bytes="
                                         f"{_OBJECT_FACTOR * self.max_record_bytes:,}; not decoded",
                                         line[:_EXCERPT].decode("utf-8", "replace"))
                        continue
                try:
                    rec = orjson.loads(line)  # orjson rejects invalid UTF-8 itself
                except (MemoryError, SystemError, orjson.JSONDecodeError) as exc:
                    # A line under max_record_bytes can still take ~30x its size as Python objects (31 MiB of empty
                    # arrays: 1 GB), more than a worker held to less memory has. orjson says so as a SystemError
                    # caused by MemoryError, or as a JSONDecodeError "Not enough memory to allocate buffer" (the
                    # shard failed on every attempt; the record was called malformed). Where the allocation fails
                    # decides which (and orjson may crash instead: the runner's ReadGuard finds that line).
                    if isinstance(exc, orjson.JSONDecodeError) and not str(exc).startswith("Not enough memory"):
                        try:
                            line.decode("utf-8")
                            reason, what = "malformed_json", f"malformed JSON: {exc}"
                        except UnicodeDecodeError as uexc:
                            reason = "invalid_utf8"
                            what = (f"invalid UTF-8 at byte {uexc.start} of the line (offset {start + uexc.start} of "
                                    f"the decompressed file): {uexc.reason}")
                        yield Quarantine(shard, where, reason, f"{shard}, line {lineno}: {what}",
                                         line[:_EXCERPT].decode("utf-8", "replace"))
                        continue
                    if isinstance(exc, SystemError) and not isinstance(exc.__cause__, MemoryError):
                        raise
                    exc = None  # let the partial objects go before anything else is allocated
                    yield Quarantine(shard, where, "too_large",
                                     f"{shard}, line {lineno}: the record of {len(line):,} bytes ran out of memory "
                                     f"as it was decoded (its JSON holds too many values for this process)",
                                     line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if not isinstance(rec, dict):
                    yield Quarantine(shard, where, "not_an_object",
                                     f"{shard}, line {lineno}: a line holds {type(rec).__name__}, not a JSON object",
                                     line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if isinstance(rec.get(self.id_key), float):
                    rec[self.id_key] = _exact_number(line, self.id_key)
                try:
                    doc = doc_from_record(rec, text_key=self.text_key, id_key=self.id_key,
                                          default_id=f"{stem}:{lineno}", source=shard, fields=self.fields)
                except (TypeError, KeyError, ValueError) as exc:
                    reason, what = record_problem(rec, self.text_key, exc)
                    yield Quarantine(shard, where, reason, f"{shard}, line {lineno}: {what}",
                                     line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                yield doc


def _exact_number(line: bytes, key: str) -> Any:
    """The literal text of a numeric field. orjson reads an integer beyond 64 bits as a float, and ids 2**64 + 1 and
    2**64 + 2 would then both become 1.8446744073709552e+19: the standard library parser, with every number kept as
    its text, gives the digits exactly. Called only for a float-valued id (rare), so its cost does not matter."""
    try:
        return json.loads(line, parse_int=str, parse_float=str, parse_constant=str)[key]
    except (ValueError, KeyError, TypeError, RecursionError):
        return orjson.loads(line)[key]


class _JsonlHandle(WriterHandle):
    def __init__(self, path: Path, level: int, fields=None, side: Path | None = None, fmt: str = "winnow"):
        self._f = open_write(path, level)
        self._pairs = normalize_fields(fields)
        self._side = SideWriter(side, fmt) if side is not None else None
        self._fmt = fmt

    def write(self, doc: Document) -> None:
        self.write_encoded(self.encode(doc))

    def encode(self, doc: Document) -> tuple[bytes, bytes | None]:
        # Everything is encoded before a byte is written: a value JSON cannot hold raises here with both files
        # untouched, so the runner can quarantine that document and the files stay line-aligned.
        if self._fmt != "winnow":
            line = orjson.dumps(format_record(doc, self._fmt), option=orjson.OPT_SERIALIZE_NUMPY)
        elif self._pairs is None and self._side is None:
            line = doc.to_json()
        else:
            line = orjson.dumps(select(doc, self._pairs, self._side is not None), option=orjson.OPT_SERIALIZE_NUMPY)
        return line, (self._side.encode(doc) if self._side is not None else None)

    def write_encoded(self, encoded: tuple[bytes, bytes | None]) -> None:
        line, side = encoded
        self._f.write(line)
        self._f.write(b"\n")
        if side is not None:
            self._side.write_line(side)

    def write_raw(self, obj: dict) -> None:
        self._f.write(orjson.dumps(obj))
        self._f.write(b"\n")

    def close(self) -> None:
        try:
            self._f.close()
        finally:
            if self._side is not None:
                self._side.close()


@register("jsonl", kind="writer")
@dataclass
class JsonlWriter(Writer):
    """JSON Lines (zstd, gzip or plain): the whole winnow record per line, or the fields selected, with the rest in
    side files keyed by id."""

    # zstd | gzip | none; null: zstd, or gzip with format: dolma (Dolma's datasets are .json.gz/.jsonl.gz; its
    # mixer reads .zst too, choosing the codec by the extension, and its attribute files take the same name)
    compression: str | None = None
    level: int = 3
    # What each line holds: null = the whole winnow record; a list of names ([id, text, url]: a bare name is a
    # metadata key, or metadata.KEY / attributes.KEY) or a mapping {output name: source} to rename. id and text
    # are required.
    fields: list[str] | dict[str, str] | None = None
    # Attributes, edits and the drop (all but the text) in side files attributes/<kept|rejected>/<stage>/...
    # keyed by id, as Dolma lays them out. null: on when `fields` is given (nothing is lost, explain still works).
    side_files: bool | None = None
    # The record layout: winnow (above), datatrove ({text, id, metadata}: what datatrove's JsonlWriter writes) or
    # dolma ({id, text, source, added, created, metadata}: Dolma's documents). With datatrove or dolma, side files
    # are on unless turned off, so attributes, edits and drops are kept beside (nothing lost, explain works).
    # dolma lays each stage folder out as a Dolma dataset that `dolma mix` reads as it is: <stage>/documents/<file>
    # and <stage>/attributes/winnow/<file> (signals as Dolma spans winnow__<step>__<signal>).
    format: str = "winnow"

    @property
    def writes_side(self) -> bool:
        if self.side_files is not None:
            return self.side_files
        return self.fields is not None or self.format != "winnow"

    # the levels each codec accepts; anything else used to fail at the first shard's first write
    LEVELS: ClassVar[dict[str, tuple[int, int]]] = {"zstd": (-7, 22), "gzip": (0, 9), "none": (-(1 << 30), 1 << 30)}

    @property
    def codec(self) -> str:
        if self.compression is not None:
            return self.compression
        return "gzip" if self.format == "dolma" else "zstd"

    def validate(self) -> None:
        if self.codec not in self.LEVELS:
            raise ValueError(f"compression must be one of {', '.join(self.LEVELS)}, got {self.compression!r}")
        lo, hi = self.LEVELS[self.codec]
        if not lo <= self.level <= hi:
            raise ValueError(f"level {self.level} is out of range for {self.codec} ({lo}..{hi})")
        check_fields(self.fields)
        check_format(self)

    @property
    def extension(self) -> str:  # type: ignore[override]
        return {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}[self.codec]

    def open(self, path: Path, side: Path | None = None) -> _JsonlHandle:
        return _JsonlHandle(path, self.level, self.fields, side, self.format)
