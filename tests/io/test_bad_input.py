"""Every kind of bad input is quarantined with a message naming the file and place; the run goes on and the
ledger balances."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter
from winnow.document import Quarantine

from tests.helpers import text_records, write_jsonl


def _run(tmp_path: Path, pattern: str):
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern, max_record_bytes=8 * 1024 * 1024),
                                  steps=[LengthFilter(min_chars=200)])])
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False, verify_files=True)
    st = res.stats["stages"][0]
    assert st["balanced"] and st["in"] == st["kept"] + st["rejected"] + st["quarantined"]
    q = [orjson.loads(line) for p in sorted((tmp_path / "run" / "quarantine").rglob("*.jsonl"))
         for line in p.read_bytes().splitlines()]
    return st, q


def test_malformed_json_line(tmp_path, real_docs):
    p = tmp_path / "in" / "a.jsonl"
    recs = text_records(real_docs, 0, 5)
    lines = [orjson.dumps(r) for r in recs]
    lines.insert(2, b'{"id": "broken", "text": "unterminated')
    p.parent.mkdir()
    p.write_bytes(b"\n".join(lines) + b"\n")
    st, q = _run(tmp_path, str(p))
    assert st["in"] == 6 and st["quarantined"] == 1
    assert q[0]["reason"] == "malformed_json" and q[0]["location"] == "line 3"
    assert str(p) in q[0]["message"] and "line 3" in q[0]["message"]


def test_invalid_utf8(tmp_path, real_docs):
    p = tmp_path / "in" / "a.jsonl"
    p.parent.mkdir()
    good = orjson.dumps(text_records(real_docs, 0, 1)[0])
    p.write_bytes(good + b"\n" + b'{"id": "bad", "text": "caf\xe9 au lait"}\n' + good + b"\n")
    st, q = _run(tmp_path, str(p))
    assert st["in"] == 3 and st["quarantined"] == 1
    assert q[0]["reason"] == "invalid_utf8" and "line 2" in q[0]["location"]
    assert f"invalid UTF-8 at byte 26 of the line (offset {len(good) + 1 + 26} of" in q[0]["message"]


@pytest.mark.parametrize("ext", [".jsonl.gz", ".jsonl.zst"])
def test_truncated_compressed_file(tmp_path, real_docs, ext):
    p = write_jsonl(tmp_path / "in" / f"a{ext}", text_records(real_docs, 0, 40))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])
    st, q = _run(tmp_path, str(p))
    assert st["quarantined"] == 1, q
    assert q[-1]["reason"] == "truncated" and "truncated" in q[-1]["message"]
    assert 0 < st["kept"] + st["rejected"] < 40  # the records before the cut were read


def test_record_without_text_field(tmp_path, real_docs):
    recs = text_records(real_docs, 0, 3)
    recs.insert(1, {"id": "notext", "content": "the text is under another key"})
    p = write_jsonl(tmp_path / "in" / "a.jsonl", recs)
    st, q = _run(tmp_path, str(p))
    assert st["quarantined"] == 1 and q[0]["reason"] == "missing_text"
    assert "'text'" in q[0]["message"] and "content" in q[0]["message"]


def test_empty_file(tmp_path, real_docs):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_bytes(b"")
    write_jsonl(tmp_path / "in" / "full.jsonl", text_records(real_docs, 0, 4))
    st, q = _run(tmp_path, str(tmp_path / "in" / "*.jsonl"))
    assert st["in"] == 4 and st["quarantined"] == 0 and q == []


def test_huge_document_is_quarantined_without_crashing(tmp_path, real_docs):
    recs = text_records(real_docs, 0, 2)
    big = {"id": "huge", "text": (real_docs[5].text + "\n") * (100 * 1024 * 1024 // (len(real_docs[5].text) + 1) + 1)}
    assert len(big["text"]) >= 100 * 1024 * 1024
    p = write_jsonl(tmp_path / "in" / "a.jsonl.zst", [recs[0], big, recs[1]])
    st, q = _run(tmp_path, str(p))
    assert st["in"] == 3 and st["quarantined"] == 1
    assert q[0]["reason"] == "too_large" and "line 2" in q[0]["message"]


def test_a_byte_order_mark_opening_the_file_is_not_part_of_the_first_record(tmp_path):
    # Windows tools write one; the first record used to be quarantined as malformed_json. Elsewhere it is damage.
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "first"}\n\xef\xbb\xbf{"id": "b", "text": "x"}\n')
    items = list(JsonlReader(paths=str(p)).read(str(p)))
    assert items[0].id == "a" and items[0].text == "first"
    assert isinstance(items[1], Quarantine) and items[1].reason == "malformed_json" and items[1].location == "line 2"


def test_missing_input_file_is_reported(tmp_path):
    items = list(JsonlReader(paths=str(tmp_path / "nope.jsonl")).read(str(tmp_path / "nope.jsonl")))
    assert len(items) == 1 and isinstance(items[0], Quarantine) and items[0].reason == "unreadable_file"


def test_gzip_truncated_text_folder_and_parquet_garbage(tmp_path, real_docs):
    from winnow.io.parquet import ParquetReader
    from winnow.io.text import TextFolderReader

    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "ok.txt").write_text(real_docs[0].text)
    (tmp_path / "txt" / "bad.txt").write_bytes(b"ol\xe9 \xff\xfe")
    items = [x for s in TextFolderReader(paths=str(tmp_path / "txt")).shards()
             for x in TextFolderReader(paths=str(tmp_path / "txt")).read(s)]
    assert sorted(type(x).__name__ for x in items) == ["Document", "Quarantine"]
    (tmp_path / "x.parquet").write_bytes(b"PAR1 this is not parquet")
    items = list(ParquetReader(paths=str(tmp_path / "x.parquet")).read(str(tmp_path / "x.parquet")))
    assert items[0].reason == "unreadable_file"


def test_parquet_without_the_text_column_names_the_columns(tmp_path):
    # as the JSONL reader does, so a wrong text_key shows its fix (it said "field 'text' must be a string, got nothing")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from winnow.io.parquet import ParquetReader

    p = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "content": "words"}]), p)
    items = list(ParquetReader(paths=str(p)).read(str(p)))
    assert items[0].reason == "missing_text" and "no 'text' field (fields: id, content)" in items[0].message


@pytest.mark.parametrize("fmt", ["winnow", "datatrove", "dolma"])
def test_the_same_bad_record_gets_the_same_reason_and_message_from_jsonl_and_parquet(tmp_path, fmt):
    # friction10: a null text was `missing_text` from Parquet but `bad_record` from JSON Lines. A null is how Parquet
    # stores a missing value, so both are `missing_text`; a text of another type is `bad_record` in both.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from winnow.io.jsonl import JsonlReader
    from winnow.io.parquet import ParquetReader

    rows = [{"id": "a", "text": None, "n": 1}, {"id": "b", "text": "fine", "n": 2}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    (tmp_path / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows)
                                       + b'{"id": "c", "n": 3}\n{"id": "d", "text": 5}\n')
    pq.write_table(pa.Table.from_pylist([{"id": "c", "n": 3}]), tmp_path / "c.parquet")
    pq.write_table(pa.Table.from_pylist([{"id": "d", "text": 5}]), tmp_path / "d.parquet")

    def bad(reader, path):
        return [(x.reason, x.message.split(": ", 1)[1]) for x in reader(paths=str(path), format=fmt).read(str(path))
                if isinstance(x, Quarantine)]

    from_jsonl = bad(JsonlReader, tmp_path / "a.jsonl")
    from_parquet = [q for name in ("a", "c", "d") for q in bad(ParquetReader, tmp_path / f"{name}.parquet")]
    assert [r for r, _ in from_jsonl] == ["missing_text", "missing_text", "bad_record"]
    assert from_parquet == from_jsonl, (from_parquet, from_jsonl)
    assert "'text' is null" in from_jsonl[0][1] and "fields: id, n" in from_jsonl[1][1]


def test_a_cut_compressed_file_is_truncated_in_the_text_folder_reader_as_in_jsonl(tmp_path):
    # the text folder reader called a cut .txt.gz `unreadable_file`, the JSONL and WARC readers `truncated`
    from winnow.io.text import TextFolderReader

    body = "".join(f"line {i} of some words\n" for i in range(20000)).encode()
    cut = gzip.compress(body)[:2000]
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt.gz").write_bytes(cut)
    reader = TextFolderReader(paths=str(tmp_path / "txt"), pattern="*.txt.gz")
    items = [x for s in reader.shards() for x in reader.read(s)]
    assert [x.reason for x in items] == ["truncated"] and "truncated or corrupt" in items[0].message
    lines = "".join(orjson.dumps({"id": str(i), "text": f"words {i}"}).decode() + "\n" for i in range(20000))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines.encode())[:2000])
    assert [x.reason for x in JsonlReader(paths=str(tmp_path / "a.jsonl.gz")).read(str(tmp_path / "a.jsonl.gz"))
            if isinstance(x, Quarantine)] == ["truncated"]
