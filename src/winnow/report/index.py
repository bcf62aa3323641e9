"""The explain index: where each document's records lie in a run folder, written at the end of a run, so that
``winnow explain RUN_DIR ID`` (or a URL, or a unique id prefix) opens only the files that hold the document instead
of decompressing and parsing every record of the run.

``index/documents.jsonl.zst``: a header ``{"version": 1, "files": [[relative path, size], ...]}``, then one line
per record, ``[id, url, file number, record number]`` (a JSON Lines file's line, a Parquet file's row; explain
decompresses the file up to that record and parses only it). It covers ``kept/``, ``rejected/`` and ``quarantine/`` (a quarantined record
is indexed when it carries its document, as a step's failure does), not ``work/``. The index is used only while
the folder still holds exactly the files it lists, with their sizes; otherwise explain scans as before.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson

from ..io.base import READ_ERRORS, RemotePath, as_path, atomic_path, open_read
from ..io.fields import DOLMA_DOCUMENTS, record_files

__all__ = ["write_index", "load_index", "Index", "INDEX"]

INDEX = Path("index") / "documents.jsonl.zst"
VERSION = 1
_WHERE = ("kept", "rejected", "quarantine")


def _output_files(run_dir: Path | RemotePath) -> list[tuple[str, Path | RemotePath, int]]:
    """(relative path, path, size) of every record file under kept/, rejected/ and quarantine/, in a fixed order."""
    out = []
    for where in _WHERE:
        base = run_dir / where
        if not isinstance(base, RemotePath) and not base.exists():
            continue
        for stage in sorted(base.iterdir(), key=lambda p: p.name):
            if not stage.is_dir():
                continue
            for p in record_files(stage):  # in either layout (Dolma's has them in documents/)
                inner = p.parent.name == DOLMA_DOCUMENTS and p.parent.parent.name == stage.name
                rel = f"{where}/{stage.name}/" + (f"{DOLMA_DOCUMENTS}/" if inner else "")
                out.append((rel + p.name, p, p.stat().st_size))
    return out


def _nth_line(path: Path | RemotePath, n: int) -> bytes | None:
    """Line n (from 0) of a possibly compressed file, decompressing up to it and parsing nothing else."""
    with open_read(path) as f:
        for i, line in enumerate(f):
            if i == n:
                return line
    return None


def _nth_row(path: Path | RemotePath, n: int) -> dict[str, Any] | None:
    """Row n (from 0) of a Parquet file as written, reading only its row group."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path if isinstance(path, Path) else open_read(path))
    try:
        start = 0
        for g in range(pf.metadata.num_row_groups):
            rows = pf.metadata.row_group(g).num_rows
            if n < start + rows:
                return pf.read_row_group(g).slice(n - start, 1).to_pylist()[0]
            start += rows
        return None
    finally:
        pf.close(force=True)


def _side(path: Path | RemotePath) -> Path | RemotePath | None:
    from ._run import _side_of

    return _side_of(path)


def _entries(path: Path | RemotePath) -> Iterator[tuple[str, Any, int]]:
    """(id, url, record number) of every record in one file that carries a document id. A documents file written
    with ``fields`` is indexed from its side file, which holds the ids and metadata in the same order."""
    side = _side(path)
    if side is None and path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path if isinstance(path, Path) else open_read(path))
        try:
            row = 0
            cols = [c for c in ("id", "metadata") if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(batch_size=4096, columns=cols):
                d = batch.to_pydict()
                ids = d.get("id") or [None] * batch.num_rows
                metas = d.get("metadata") or [None] * batch.num_rows
                for i in range(batch.num_rows):
                    if ids[i] is not None:
                        yield str(ids[i]), _url(metas[i]), row + i
                row += batch.num_rows
        finally:
            pf.close(force=True)
        return
    with open_read(side if side is not None else path) as f:
        for no, line in enumerate(f):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(rec, dict):
                continue
            doc = rec.get("document") if "document" in rec else rec
            if not isinstance(doc, dict) or doc.get("id") is None:
                continue  # a record the reader could not parse has no id
            yield str(doc["id"]), _url(doc.get("metadata")), no


def _url(meta: Any) -> Any:
    """metadata["url"] from a Parquet metadata cell: a typed list of key/value structs (or the key, slots pairs of an Arrow map), a JSON string (files
    from before typed columns) or a mapping."""
    if isinstance(meta, (str, bytes)):
        try:
            meta = orjson.loads(meta)
        except orjson.JSONDecodeError:
            return None
    if isinstance(meta, dict):
        return meta.get("url")
    if isinstance(meta, list):
        for item in meta:
            if isinstance(item, dict) and set(item) == {"key", "value"}:  # the typed list of key/value structs
                item = (item["key"], item["value"])
            if isinstance(item, (tuple, list)) and len(item) == 2 and item[0] == "url":
                from ..io.parquet import decode_value

                return decode_value(item[1]) if isinstance(item[1], dict) else item[1]
    return None


def write_index(run_dir: Path | RemotePath | str, log: bool = True) -> None:
    """Write the explain index of a finished run. Never fails the run: explain scans without it."""
    try:
        import zstandard

        run_dir = as_path(run_dir)
        files = _output_files(run_dir)
        with atomic_path(run_dir / INDEX) as tmp, open(tmp, "wb") as raw:
            with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as w:
                w.write(orjson.dumps({"version": VERSION, "files": [[rel, size] for rel, _, size in files]}) + b"\n")
                for no, (_, path, _) in enumerate(files):
                    for doc_id, url, pos in _entries(path):
                        w.write(orjson.dumps([doc_id, url if isinstance(url, str) else None, no, pos]) + b"\n")
    except Exception as exc:  # the run's outputs stand; explain falls back to reading every file
        if log:
            print(f"[winnow] explain index not written: {type(exc).__name__}: {exc}", file=sys.stderr)


@dataclass
class Hit:
    id: str
    url: str | None
    file: str  # relative to the run folder
    pos: int


class Index:
    def __init__(self, run_dir: Path | RemotePath, files: list[str]):
        self.run_dir, self.files = run_dir, files

    def _lines(self) -> Iterator[list[Any]]:
        with open_read(self.run_dir / INDEX) as f:
            f.readline()  # the header
            for line in f:
                yield orjson.loads(line)

    def find(self, query: str, limit: int = 20) -> tuple[str, list[Hit], list[str]]:
        """``(how, hits, candidates)``: how is "id", "url", "prefix" or "" (nothing); hits are the records of the
        matched document(s); candidates are the ids an ambiguous prefix matched (at most ``limit``)."""
        by_id: list[Hit] = []
        by_url: list[Hit] = []
        by_prefix: dict[str, list[Hit]] = {}
        for doc_id, url, no, pos in self._lines():
            if doc_id == query:
                by_id.append(Hit(doc_id, url, self.files[no], pos))
            elif url == query:
                by_url.append(Hit(doc_id, url, self.files[no], pos))
            elif not by_id and doc_id.startswith(query) and (doc_id in by_prefix or len(by_prefix) <= limit):
                by_prefix.setdefault(doc_id, []).append(Hit(doc_id, url, self.files[no], pos))
        if by_id:
            return "id", by_id, []
        if by_url:
            return "url", by_url, []
        if len(by_prefix) == 1:
            return "prefix", next(iter(by_prefix.values())), []
        return "", [], sorted(by_prefix)[:limit]

    def read(self, hit: Hit) -> dict[str, Any] | None:
        """The record at a hit's position, whole (side files merged in), or None when the file no longer holds it
        there."""
        path = self.run_dir / hit.file
        try:
            side = _side(path)
            parquet = hit.file.endswith(".parquet")
            if side is None:
                if parquet:
                    from ..io.parquet import _row_to_doc

                    row = _nth_row(path, hit.pos)
                    return None if row is None else _row_to_doc(row).to_dict()
                line = _nth_line(path, hit.pos)
                return None if line is None else orjson.loads(line)
            from ..io.fields import fields_for_file, merge_side, text_id_names

            row = _nth_row(path, hit.pos) if parquet else orjson.loads(_nth_line(path, hit.pos) or b"null")
            side_line = _nth_line(side, hit.pos)
            if row is None or side_line is None:
                return None
            text_field, id_field = text_id_names(fields_for_file(path))
            return next(merge_side(iter([row]), iter([orjson.loads(side_line)]), text_field, id_field, str(path)))
        except (*READ_ERRORS, ValueError, IndexError, KeyError, TypeError, AttributeError, StopIteration):
            return None


def load_index(run_dir: Path | RemotePath | str) -> Index | None:
    """The run's index if it lists exactly the record files the folder holds now (names and sizes), else None."""
    run_dir = as_path(run_dir)
    path = run_dir / INDEX
    try:
        if not path.exists():
            return None
        with open_read(path) as f:
            head = orjson.loads(f.readline())
        if head.get("version") != VERSION:
            return None
        listed = [tuple(x) for x in head["files"]]
        now = [(rel, size) for rel, _, size in _output_files(run_dir)]
        if listed != now:  # a resumed, failed or changed run since: the index would miss or misplace records
            return None
        return Index(run_dir, [rel for rel, _ in listed])
    except (*READ_ERRORS, ValueError, KeyError, TypeError, AttributeError):
        # a cut index (EOFError from its zstd stream: explain stopped with a traceback) is read as no index: the
        # record files are scanned instead
        return None
