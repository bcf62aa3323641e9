"""The readers' side of finding a record that kills the worker reading it (winnow.io.base.ReadGuard): each reader
reports a position before it decodes a record, the same position on every attempt, and skips a record whose
position the runner marks as poison (a worker died twice reading it) with one ``reader_died`` quarantine record
naming the file and position, every other record read as without the mark. tests/test_budget.py runs the whole
path (a worker killed while parsing a line, twice)."""

from __future__ import annotations

import gzip

import pytest

from winnow.document import Document, Quarantine
from winnow.io.base import ReadGuard
from winnow.io.jsonl import JsonlReader
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.io.text import TextFolderReader
from winnow.io.warc import WarcReader, WetReader

from tests.helpers import write_jsonl
from tests.io.test_fuzz_readers import WARC_GZ, _warc_record


def _jsonl(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": f"d{i}", "text": f"text {i}"} for i in range(5)])
    return JsonlReader(paths=str(tmp_path / "a.jsonl")), str(tmp_path / "a.jsonl")


def _parquet(tmp_path):
    h = ParquetWriter(rows_per_group=2).open(tmp_path / "a.parquet")
    for i in range(5):
        h.write(Document(id=f"d{i}", text=f"text {i}"))
    h.close()
    return ParquetReader(paths=str(tmp_path / "a.parquet")), str(tmp_path / "a.parquet")


def _text(tmp_path):
    for i in range(4):
        (tmp_path / "t").mkdir(exist_ok=True)
        (tmp_path / "t" / f"{i}.txt").write_text(f"text {i}")
    r = TextFolderReader(paths=str(tmp_path / "t"))
    return r, r.shards()[0]


def _warc(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(WARC_GZ)
    return WarcReader(paths=str(tmp_path / "a.warc.gz")), str(tmp_path / "a.warc.gz")


def _wet(tmp_path):
    (tmp_path / "a.warc.wet.gz").write_bytes(b"".join(
        gzip.compress(_warc_record("conversion", f"http://{i}.example/", f"text {i}".encode(), "text/plain"), mtime=0)
        for i in range(3)))
    return WetReader(paths=str(tmp_path / "a.warc.wet.gz")), str(tmp_path / "a.warc.wet.gz")


def _items(reader, shard, poison=None):
    seen: list[int] = []
    reader._guard = ReadGuard(seen.append, poison or {})
    try:
        out = list(reader.read(shard))
    finally:
        reader._guard = None
    return out, seen


def _key(x):
    return ("doc", x.id, x.text, x.metadata.get("html")) if isinstance(x, Document) else ("q", x.location, x.reason)


@pytest.mark.parametrize("make", [_jsonl, _parquet, _text, _warc, _wet])
def test_each_reader_reports_positions_and_skips_a_poisoned_record(tmp_path, make):
    reader, shard = make(tmp_path)
    assert reader.READ_UNIT
    plain = list(reader.read(shard))
    items, seen = _items(reader, shard)
    assert [_key(x) for x in items] == [_key(x) for x in plain]  # the guard changes nothing read
    positions = [p for p in seen if p >= 0]
    assert positions and positions == sorted(positions)
    assert _items(reader, shard)[1] == seen  # the same positions on every attempt
    # a position whose record was handed over: poisoned, that record alone becomes one reader_died record
    docs = [x for x in plain if isinstance(x, Document)]
    target = docs[1]
    for pos in dict.fromkeys(positions):
        got, _ = _items(reader, shard, {pos: 2})
        if all(_key(target) != _key(x) for x in got):
            break
    else:
        raise AssertionError("no reported position skips the second document")
    dead = [x for x in got if isinstance(x, Quarantine) and x.reason == "reader_died"]
    assert len(dead) == 1 and "died 2 times while reading it" in dead[0].message
    assert shard.split("#")[0] in dead[0].source or dead[0].source.startswith(str(tmp_path))
    kept = [_key(x) for x in got if isinstance(x, Document)]
    # everything else read as without the mark (a Parquet row group goes whole: the second document's group)
    assert set(kept) < {_key(x) for x in docs} and kept == [k for k in (_key(x) for x in docs) if k in set(kept)]
    assert len(kept) >= len(docs) - (2 if reader.READ_UNIT == "row group" else 1)
