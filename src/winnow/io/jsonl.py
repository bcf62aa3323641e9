"""JSON Lines, plain or compressed (.gz, .zst); one document per line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator

import orjson

from ..document import Document, Quarantine
from ..registry import register
from .base import (READ_ERRORS, Reader, Writer, WriterHandle, check_int, check_paths, check_size_mb, check_str,
                   doc_from_record, expand_paths, open_read, open_write)
from .fields import SideWriter, check_fields, normalize_fields, select
from .shards import RangeReader, input_files, plan_jsonl, split_key

__all__ = ["JsonlReader", "JsonlWriter"]

_EXCERPT = 200


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

    def validate(self) -> None:
        check_paths(self)
        check_str(self, "text_key")
        check_str(self, "id_key")
        if self.text_key == self.id_key:
            raise ValueError(f"text_key and id_key are the same field ({self.text_key!r})")
        # 1 GiB: a larger "document" is a dump, and holding it (plus its decoded str) would take several GiB.
        check_int(self, "max_record_bytes", 1, 1 << 30)
        check_size_mb(self)

    def shards(self) -> list[str]:
        return [k for p in expand_paths(self.paths) for k in plan_jsonl(p, self.shard_size_mb)]

    def input_files(self, keys: list[str]) -> list[str]:
        return input_files(keys)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
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
                try:
                    rec = orjson.loads(line)  # orjson rejects invalid UTF-8 itself
                except orjson.JSONDecodeError as exc:
                    try:
                        line.decode("utf-8")
                        reason, what = "malformed_json", f"malformed JSON: {exc}"
                    except UnicodeDecodeError as uexc:
                        reason = "invalid_utf8"
                        what = (f"invalid UTF-8 at byte {uexc.start} of the line (offset {start + uexc.start} of the "
                                f"decompressed file): {uexc.reason}")
                    yield Quarantine(shard, where, reason, f"{shard}, line {lineno}: {what}",
                                     line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if not isinstance(rec, dict):
                    yield Quarantine(shard, where, "not_an_object",
                                     f"{shard}, line {lineno}: a line holds {type(rec).__name__}, not a JSON object",
                                     line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if self.text_key not in rec:
                    yield Quarantine(shard, where, "missing_text",
                                     f"{shard}, line {lineno}: record has no {self.text_key!r} field "
                                     f"(fields: {', '.join(list(rec)[:10])})", line[:_EXCERPT].decode("utf-8", "replace"))
                    continue
                if isinstance(rec.get(self.id_key), float):
                    rec[self.id_key] = _exact_number(line, self.id_key)
                try:
                    doc = doc_from_record(rec, text_key=self.text_key, id_key=self.id_key,
                                          default_id=f"{stem}:{lineno}", source=shard)
                except (TypeError, KeyError, ValueError) as exc:
                    yield Quarantine(shard, where, "bad_record", f"{shard}, line {lineno}: {exc}",
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
    def __init__(self, path: Path, level: int, fields=None, side: Path | None = None):
        self._f = open_write(path, level)
        self._pairs = normalize_fields(fields)
        self._side = SideWriter(side) if side is not None else None

    def write(self, doc: Document) -> None:
        if self._pairs is None and self._side is None:
            self._f.write(doc.to_json())
        else:
            self._f.write(orjson.dumps(select(doc, self._pairs, self._side is not None),
                                       option=orjson.OPT_SERIALIZE_NUMPY))
        self._f.write(b"\n")
        if self._side is not None:
            self._side.write(doc)

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

    compression: str = "zstd"  # zstd | gzip | none
    level: int = 3
    # What each line holds: null = the whole winnow record; a list of names ([id, text, url]: a bare name is a
    # metadata key, or metadata.KEY / attributes.KEY) or a mapping {output name: source} to rename. id and text
    # are required.
    fields: list[str] | dict[str, str] | None = None
    # Attributes, edits and the drop (all but the text) in side files attributes/<kept|rejected>/<stage>/...
    # keyed by id, as Dolma lays them out. null: on when `fields` is given (nothing is lost, explain still works).
    side_files: bool | None = None

    @property
    def writes_side(self) -> bool:
        return self.side_files if self.side_files is not None else self.fields is not None

    # the levels each codec accepts; anything else used to fail at the first shard's first write
    LEVELS: ClassVar[dict[str, tuple[int, int]]] = {"zstd": (-7, 22), "gzip": (0, 9), "none": (-(1 << 30), 1 << 30)}

    def validate(self) -> None:
        if self.compression not in self.LEVELS:
            raise ValueError(f"compression must be one of {', '.join(self.LEVELS)}, got {self.compression!r}")
        lo, hi = self.LEVELS[self.compression]
        if not lo <= self.level <= hi:
            raise ValueError(f"level {self.level} is out of range for {self.compression} ({lo}..{hi})")
        check_fields(self.fields)

    @property
    def extension(self) -> str:  # type: ignore[override]
        return {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}[self.compression]

    def open(self, path: Path, side: Path | None = None) -> _JsonlHandle:
        return _JsonlHandle(path, self.level, self.fields, side)
