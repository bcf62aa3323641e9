"""Folders of text (or HTML) files: one file, one document."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..document import Document, Quarantine
from ..registry import register
from .base import (READ_ERRORS, Reader, check_int, check_paths, check_read_options, check_str, compression_of,
                   expand_paths, open_read, path_text, select_records)

__all__ = ["TextFolderReader"]


@register("text", kind="reader")
@dataclass
class TextFolderReader(Reader):
    """Every file matching ``pattern`` under each folder in ``paths`` is a document whose id is its relative path;
    a file (or glob of files) in ``paths`` is one whatever ``pattern``, its id its name. Files are grouped into shards of ``files_per_shard`` in sorted order. With ``field: html`` the content goes to
    ``metadata["html"]`` (for ``html_extract``) and the text starts empty."""

    paths: str | list[str] = "."
    pattern: str = "**/*.txt"
    files_per_shard: int = 1000
    field: str = "text"  # text | html
    # Decompressed bytes: a 261 KB .txt.gz can hold 256 MiB.
    max_file_bytes: int = 64 * 1024 * 1024
    # Per shard of files, as the other readers per file: skip the first documents, keep a deterministic sample
    # (a hash of seed and the id), stop after limit. Documents left out are not read (not counted).
    skip: int = 0
    sample: float = 1.0
    seed: int = 0
    limit: int | None = None

    def validate(self) -> None:
        check_paths(self)
        check_str(self, "pattern")
        check_int(self, "files_per_shard", 1)  # 0 used to be a ZeroDivisionError when listing the shards
        check_str(self, "field", ("text", "html"))
        check_int(self, "max_file_bytes", 1, 1 << 30)  # as the other readers' max_record_bytes
        check_read_options(self)

    @property
    def yields_html(self) -> bool:
        return self.field == "html"

    def input_files(self, shards: list[str]) -> list[str]:
        """The files these shards read (one listing): what a resume fingerprints (winnow.runfolder.Inputs)."""
        files = self._files()
        out: list[str] = []
        for shard in shards:
            i = int(shard.rsplit("#", 1)[1])
            out.extend(p for _, p in files[i * self.files_per_shard:(i + 1) * self.files_per_shard])
        return out

    def _files(self) -> list[tuple[str, str]]:
        out = []
        for folder in expand_paths(self.paths):
            base = Path(folder)
            files = sorted(p for p in base.glob(self.pattern) if p.is_file()) if base.is_dir() else [base]
            out.extend((str(base), str(p)) for p in files)
        return out

    def shards(self) -> list[str]:
        files = self._files()
        n = max(1, -(-len(files) // self.files_per_shard))
        return [f"{self.paths if isinstance(self.paths, str) else ','.join(self.paths)}#{i}" for i in range(n)]

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        return select_records(self._read(shard), self.limit, self.skip, self.sample, self.seed)

    READ_UNIT = "file"  # its index in the shard's files (ReadGuard)

    def _read(self, shard: str) -> Iterator[Document | Quarantine]:
        guard = self._guard  # the runner's (ReadGuard)
        i = int(shard.rsplit("#", 1)[1])
        files = self._files()[i * self.files_per_shard:(i + 1) * self.files_per_shard]
        for k, (base, path) in enumerate(files):
            rel = path_text(os.path.relpath(path, base) if path != base else Path(path).name)
            name, path = path, path_text(path)  # name opens the file; path is what records say
            if guard is not None:
                if k in guard.poison:
                    yield guard.skipped(path, "file", k)
                    continue
                guard.at(k)
            opened = False
            try:
                comp = compression_of(name)
                size = os.path.getsize(name)
                if not comp and size > self.max_file_bytes:
                    yield Quarantine(path, "file", "too_large",
                                     f"{path}: {size:,} bytes exceeds max_file_bytes={self.max_file_bytes:,}")
                    continue
                with open_read(name) as f:
                    opened = True
                    raw = f.read(self.max_file_bytes + 1)  # never more than the cap plus one byte, decompressed
                if len(raw) > self.max_file_bytes:
                    yield Quarantine(path, "file", "too_large",
                                     f"{path}: decompresses to more than max_file_bytes={self.max_file_bytes:,} "
                                     f"bytes ({size:,} bytes compressed)")
                    continue
            except READ_ERRORS as exc:
                if opened and comp:  # a cut or damaged .gz/.zst: `truncated`, as the JSONL and WARC readers call it
                    yield Quarantine(path, "file", "truncated", f"{path}: compressed file is truncated or corrupt: {exc}")
                else:
                    yield Quarantine(path, "file", "unreadable_file", f"{path}: cannot read: {exc}")
                continue
            if self.field == "html":
                yield Document(id=rel, text="", metadata={"source": path, "html": _decode_html(raw)})
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Quarantine(path, f"byte {exc.start}", "invalid_utf8",
                                 f"{path}: invalid UTF-8 at byte {exc.start}: {exc.reason}",
                                 raw[max(0, exc.start - 40):exc.start + 40].decode("utf-8", "replace"))
                continue
            yield Document(id=rel, text=text, metadata={"source": path})


def _decode_html(raw: bytes) -> str:
    # HTML pages declare their own charsets; html_extract re-decodes from bytes when it can. Here: UTF-8, else
    # cp1252 (the web's most common legacy charset), never an exception.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")
