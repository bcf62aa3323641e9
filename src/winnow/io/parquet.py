"""Parquet in and out. winnow's own records keep every field: dict-valued fields are stored as JSON strings so that
arbitrary attributes survive the round trip unchanged; the drop is four plain columns for easy querying."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..document import Document, Drop, Edit, Quarantine
from ..registry import register
from .base import Reader, Writer, WriterHandle, _open_raw, doc_from_record, expand_paths, is_remote

__all__ = ["ParquetReader", "ParquetWriter"]

SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("metadata", pa.string()), ("attributes", pa.string()),
    ("edits", pa.string()), ("drop_step", pa.string()), ("drop_reason", pa.string()),
    ("drop_value", pa.float64()), ("drop_threshold", pa.float64()),
])


def _row_to_doc(row: dict) -> Document:
    drop = None
    if row.get("drop_reason") is not None:
        drop = Drop(row["drop_step"], row["drop_reason"], row["drop_value"], row["drop_threshold"])
    return Document(id=row["id"], text=row["text"], metadata=orjson.loads(row["metadata"]),
                    attributes=orjson.loads(row["attributes"]),
                    edits=[Edit.from_dict(e) for e in orjson.loads(row["edits"])], drop=drop)


@register("parquet", kind="reader")
@dataclass
class ParquetReader(Reader):
    """Parquet files, one document per row; one shard per file. Every column but the text and the id goes to
    metadata; a winnow output file is read back whole."""

    paths: str | list[str] = "*.parquet"  # a glob or a list of globs; local paths or URLs (s3://...)
    text_key: str = "text"  # the column holding the document's text (a row without a string there is quarantined)
    id_key: str = "id"  # the column holding its id (missing: file stem and row number)
    batch_size: int = 1024  # rows decoded at a time

    def shards(self) -> list[str]:
        return expand_paths(self.paths)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        stem = Path(shard).name.split(".")[0]
        try:
            # A URL through fsspec, as every other reader: pyarrow's own S3/GCS clients would need their own
            # credentials and endpoint settings.
            pf = pq.ParquetFile(_open_raw(shard) if is_remote(shard) else shard)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: not a readable Parquet file: {exc}")
            return
        native = set(SCHEMA.names) <= set(pf.schema_arrow.names)
        row_no = 0
        try:
            for batch in pf.iter_batches(batch_size=self.batch_size):
                for row in batch.to_pylist():
                    row_no += 1
                    if native:
                        yield _row_to_doc(row)
                        continue
                    text = row.get(self.text_key)
                    if not isinstance(text, str):
                        yield Quarantine(shard, f"row {row_no}", "missing_text",
                                         f"{shard}: row {row_no} has no string {self.text_key!r} field")
                        continue
                    yield doc_from_record(row, text_key=self.text_key, id_key=self.id_key,
                                          default_id=f"{stem}:{row_no}", source=shard)
        except Exception as exc:
            yield Quarantine(shard, f"row {row_no}", "truncated",
                             f"{shard}: cannot read past row {row_no}: {exc}")
        finally:
            pf.close(force=True)  # force: a file object we handed in (a URL's) is not closed otherwise


class _ParquetHandle(WriterHandle):
    def __init__(self, path: Path, rows_per_group: int):
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")
        self._rows: list[dict] = []
        self._n = rows_per_group

    def write(self, doc: Document) -> None:
        d = doc.drop
        self._rows.append({
            "id": doc.id, "text": doc.text,
            "metadata": orjson.dumps(doc.metadata).decode(),
            "attributes": orjson.dumps(doc.attributes, option=orjson.OPT_SERIALIZE_NUMPY).decode(),
            "edits": orjson.dumps([e.to_dict() for e in doc.edits]).decode(),
            "drop_step": d.step if d else None, "drop_reason": d.reason if d else None,
            "drop_value": d.value if d else None, "drop_threshold": d.threshold if d else None,
        })
        if len(self._rows) >= self._n:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


@register("parquet", kind="writer")
@dataclass
class ParquetWriter(Writer):
    """Parquet (zstd) with columns id, text, metadata, attributes, edits and the drop's step, reason, value and
    threshold."""

    rows_per_group: int = 2048  # rows per row group
    extension = ".parquet"

    def validate(self) -> None:
        if self.rows_per_group < 1:
            raise ValueError(f"rows_per_group must be at least 1, got {self.rows_per_group}")

    def open(self, path: Path) -> _ParquetHandle:
        return _ParquetHandle(path, self.rows_per_group)
