"""Parquet in and out. winnow's own records keep every field as typed columns: metadata and attributes are maps from
name to a typed value (a struct with one slot per type: bool, int, float, str, and json for lists and mappings such
as an annotate run's verdicts), edits a list of structs, the drop four plain columns. A query reads
``attributes['gopher_quality.words'].int`` without parsing JSON, and a document reads back exactly as written (an
int stays an int, a missing attribute stays missing). Files written before typed columns (JSON strings) still
read back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..document import Document, Drop, Edit, Quarantine
from ..registry import register
from .base import Reader, Writer, WriterHandle, _open_raw, doc_from_record, expand_paths, is_remote
from .fields import SideWriter, check_fields, normalize_fields, value_of
from .shards import input_files, plan_parquet, split_key

__all__ = ["ParquetReader", "ParquetWriter"]

VALUE = pa.struct([("bool", pa.bool_()), ("int", pa.int64()), ("float", pa.float64()), ("str", pa.string()),
                   ("json", pa.string())])
VALUE_MAP = pa.map_(pa.string(), VALUE)
EDIT = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("step", pa.string()), ("reason", pa.string()),
                  ("removed", pa.string()), ("replacement", pa.string()), ("score", pa.float64())])
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


def encode_map(d: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    return [(str(k), encode_value(v)) for k, v in d.items()]


def decode_map(col: Any) -> dict[str, Any]:
    if col is None:
        return {}
    if isinstance(col, str):  # a file from before typed columns
        return orjson.loads(col)
    return {k: decode_value(v) for k, v in col}


def _edits(col: Any) -> list[Edit]:
    if col is None:
        return []
    if isinstance(col, str):
        col = orjson.loads(col)
    return [Edit.from_dict(e) for e in col]


def _row_to_doc(row: dict) -> Document:
    drop = None
    if row.get("drop_reason") is not None:
        drop = Drop(row["drop_step"], row["drop_reason"], row["drop_value"], row["drop_threshold"])
    return Document(id=row["id"], text=row["text"], metadata=decode_map(row["metadata"]),
                    attributes=decode_map(row["attributes"]), edits=_edits(row["edits"]), drop=drop)


@register("parquet", kind="reader")
@dataclass
class ParquetReader(Reader):
    """Parquet files, one document per row; one shard per file. Every column but the text and the id goes to
    metadata; a winnow output file is read back whole."""

    paths: str | list[str] = "*.parquet"  # a glob or a list of globs; local paths or URLs (s3://...)
    text_key: str = "text"  # the column holding the document's text (a row without a string there is quarantined)
    id_key: str = "id"  # the column holding its id (missing: file stem and row number)
    batch_size: int = 1024  # rows decoded at a time

    # A file larger than this is read as several shards of whole row groups, so one big file uses every worker;
    # 0: one shard per file.
    shard_size_mb: float = 256.0

    def shards(self) -> list[str]:
        return [k for p in expand_paths(self.paths) for k in plan_parquet(p, self.shard_size_mb)]

    def input_files(self, keys: list[str]) -> list[str]:
        return input_files(keys)

    def read(self, shard: str) -> Iterator[Document | Quarantine]:
        shard, rng = split_key(shard)  # row groups of a big file: row numbers and default ids stay file-absolute
        stem = Path(shard).name.split(".")[0]
        try:
            # A URL through fsspec, as every other reader: pyarrow's own S3/GCS clients would need their own
            # credentials and endpoint settings.
            pf = pq.ParquetFile(_open_raw(shard) if is_remote(shard) else shard)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield Quarantine(shard, "file", "unreadable_file", f"{shard}: not a readable Parquet file: {exc}")
            return
        native = set(SCHEMA.names) <= set(pf.schema_arrow.names)
        row_no = rng.base if rng is not None else 0
        groups = list(range(rng.start, rng.end)) if rng is not None else None
        try:
            for batch in pf.iter_batches(batch_size=self.batch_size, row_groups=groups):
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


class _ParquetHandle(WriterHandle):
    def __init__(self, path: Path, rows_per_group: int, fields=None, side: Path | None = None):
        self._path = path
        self._pairs = normalize_fields(fields)
        if self._pairs is None and side is not None:
            self._pairs = [("id", "id"), ("text", "text"), ("metadata", "metadata")]
        self._side = SideWriter(side) if side is not None else None
        self._schema = SCHEMA if self._pairs is None else None  # a selection's other columns: typed at first flush
        self._writer: pq.ParquetWriter | None = None
        self._rows: list[dict] = []
        self._n = rows_per_group

    def write(self, doc: Document) -> None:
        if self._pairs is None:
            self._rows.append(_full_row(doc))
        else:
            self._rows.append({out: value_of(doc, src) for out, src in self._pairs})
        if self._side is not None:
            self._side.write(doc)
        if len(self._rows) >= self._n:
            self._flush()

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

    def _convert(self, rows: list[dict]) -> list[dict]:
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
            self._schema = self._selected_schema()
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
    extension = ".parquet"

    def validate(self) -> None:
        if self.rows_per_group < 1:
            raise ValueError(f"rows_per_group must be at least 1, got {self.rows_per_group}")
        check_fields(self.fields)

    @property
    def writes_side(self) -> bool:
        return self.side_files if self.side_files is not None else self.fields is not None

    def open(self, path: Path, side: Path | None = None) -> _ParquetHandle:
        return _ParquetHandle(path, self.rows_per_group, self.fields, side)
