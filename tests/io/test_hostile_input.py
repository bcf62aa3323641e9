"""Hostile and damaged input (issue 11, items 4, 6, 7, 8, 11): decompression bombs stay within a memory bound,
records of the wrong shape are quarantined one by one with a reason, reader parameters are validated before a run,
and nothing is lost without a record naming it."""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import subprocess
import sys
import tracemalloc
import uuid
import zlib
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from winnow.config import ConfigError, build_component
from winnow.document import Document, Drop, Quarantine, step_error_line
from winnow.io.base import Reader
from winnow.io.jsonl import JsonlReader
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.io.text import TextFolderReader
from winnow.io.warc import WarcReader, WetReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline

from tests.io.test_warc import http_response

MiB = 1 << 20


def read_all(reader: Reader) -> list[Document | Quarantine]:
    return [x for s in reader.shards() for x in reader.read(s)]


def peak_while(fn) -> tuple[object, int]:
    """(result, peak bytes allocated through Python's allocators while fn ran). Every buffer the readers decompress
    into is a Python bytes object (zlib, zstandard, pyarrow's to_pylist), so this sees a bomb being expanded."""
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _gzip_of_a(n: int, head: bytes = b"") -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join([c.compress(head)] + [c.compress(b"a" * MiB) for _ in range(n // MiB)] + [c.flush()])


# --- item 4: every cap is on decompressed bytes ------------------------------------------------------------------

def test_zstd_line_bomb_is_quarantined_with_bounded_memory(tmp_path):
    p = tmp_path / "bomb.jsonl.zst"
    with open(p, "wb") as raw:
        w = zstandard.ZstdCompressor(level=19).stream_writer(raw)
        w.write(b'{"id": "before", "text": "ok"}\n{"id": "bomb", "text": "')
        for _ in range(64):
            w.write(b"a" * MiB)
        w.write(b'"}\n{"id": "after", "text": "still read"}\n')
        w.close()
    assert p.stat().st_size < 16 * 1024  # 64 MiB of text in a few KB
    items, peak = peak_while(lambda: read_all(JsonlReader(paths=str(p), max_record_bytes=MiB)))
    assert [getattr(x, "id", None) for x in items] == ["before", None, "after"]
    q = items[1]
    assert q.reason == "too_large" and q.location == "line 2" and str(p) in q.message
    # Before: the 64 MiB line was decompressed in one call and re-sliced per read (peak > 64 MiB).
    assert peak < 16 * MiB, peak


def test_zstd_reading_stays_linear_in_the_decompressed_size(tmp_path):
    import time

    def make(n):
        p = tmp_path / f"l{n}.jsonl.zst"
        p.write_bytes(zstandard.ZstdCompressor(level=3).compress(b'{"text": "' + b"a" * (n * MiB) + b'"}\n'))
        return p

    def cost(p):
        t = time.process_time()
        read_all(JsonlReader(paths=str(p), max_record_bytes=MiB))
        return time.process_time() - t

    small, big = make(16), make(128)
    cost(small)  # warm up imports
    ratio = cost(big) / max(cost(small), 1e-3)
    # 8x the bytes: linear is ~8; the old re-slicing was quadratic (~64). A wide margin for a loaded machine.
    assert ratio < 30, ratio


def test_truncated_zstd_is_still_reported(tmp_path):
    data = zstandard.ZstdCompressor(write_checksum=True).compress(b"".join(
        orjson.dumps({"id": str(i), "text": "x" * 500}) + b"\n" for i in range(2000)))
    p = tmp_path / "cut.jsonl.zst"
    p.write_bytes(data[: len(data) // 2])
    items = read_all(JsonlReader(paths=str(p)))
    assert isinstance(items[-1], Quarantine) and items[-1].reason == "truncated"
    assert all(isinstance(x, Document) for x in items[:-1]) and len(items) > 1


def _warc_gz(url: str, block: bytes) -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", mtime=0)


def test_warc_content_encoding_bomb_is_capped_on_decoded_bytes(tmp_path):
    payload = _gzip_of_a(64 * MiB, b"<html><body><p>")
    assert len(payload) < 100 * 1024
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n") + payload
    ok = http_response("200 OK", "text/html", b"<html><p>fine</p></html>")
    p = tmp_path / "bomb.warc.gz"
    p.write_bytes(_warc_gz("http://bomb.example/", http) + _warc_gz("http://ok.example/", ok))
    items, peak = peak_while(lambda: read_all(WarcReader(paths=str(p), max_payload_bytes=4 * MiB)))
    assert [type(x).__name__ for x in items] == ["Quarantine", "Document"]
    assert items[0].reason == "too_large" and "bomb.example" in items[0].message and "decodes to more" in items[0].message
    assert peak < 24 * MiB, peak  # before: gzip.decompress expanded all 64 MiB


def test_gzip_content_encoding_under_the_cap_is_still_decoded(tmp_path):
    html = b"<html><body><p>caf\xc3\xa9</p></body></html>"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n" + gzip.compress(html)
    p = tmp_path / "ok.warc.gz"
    p.write_bytes(_warc_gz("http://ok.example/", http))
    (doc,) = read_all(WarcReader(paths=str(p)))
    assert doc.metadata["html"] == html.decode()


def test_parquet_dictionary_bomb_reads_in_bounded_batches(tmp_path):
    p = tmp_path / "dict.parquet"
    rows = 300
    text = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["a" * MiB]))
    pq.write_table(pa.table({"id": [str(i) for i in range(rows)], "text": text}), p, compression="zstd")
    assert p.stat().st_size < 64 * 1024

    def count():
        n = 0
        for item in ParquetReader(paths=str(p)).read(str(p)):
            assert isinstance(item, Document) and len(item.text) == MiB
            n += 1
        return n

    n, peak = peak_while(count)
    assert n == rows
    # Before: each 1024-row batch was decoded whole (here 300 MiB at once).
    assert peak < 160 * MiB, peak


def test_parquet_dictionary_bomb_inside_a_nested_column_is_measured_too(tmp_path):
    from winnow.io.parquet import VALUE_MAP

    rows = 300
    one = pa.array([[("page", {"str": "b" * MiB})]], VALUE_MAP)
    meta = one.take(pa.array([0] * rows))
    t = pa.table({"id": [str(i) for i in range(rows)], "text": ["t"] * rows, "page": meta})
    p = tmp_path / "nested.parquet"
    pq.write_table(t, p, compression="zstd")
    assert p.stat().st_size < 64 * 1024

    def count():
        n = 0
        for item in ParquetReader(paths=str(p), max_record_bytes=2 * MiB).read(str(p)):
            assert isinstance(item, Document)
            n += 1
        return n

    n, peak = peak_while(count)
    assert n == rows and peak < 160 * MiB, peak
    items = list(ParquetReader(paths=str(p), max_record_bytes=MiB // 2).read(str(p)))
    assert {x.reason for x in items} == {"too_large"} and len(items) == rows  # measured without decoding


def test_parquet_value_over_the_cap_is_quarantined_without_decoding(tmp_path):
    p = tmp_path / "one.parquet"
    pq.write_table(pa.table({"id": ["big", "small"], "text": ["a" * (48 * MiB), "b"]}), p, compression="zstd",
                   use_dictionary=False, row_group_size=1)
    items, peak = peak_while(lambda: list(ParquetReader(paths=str(p), max_record_bytes=8 * MiB).read(str(p))))
    assert [type(x).__name__ for x in items] == ["Quarantine", "Document"]
    assert items[0].reason == "too_large" and items[0].location == "rows 1-1" and items[1].text == "b"
    assert peak < 24 * MiB, peak


def test_parquet_page_over_the_cap_in_a_big_row_group_is_not_decoded(tmp_path, monkeypatch):
    import winnow.io.parquet as parquet_io

    monkeypatch.setattr(parquet_io, "_MAX_PAGE_BYTES", 8 * MiB)  # the real cap is 256 MiB; same code path
    p = tmp_path / "big_group.parquet"
    # 300 small rows and one 24 MiB value in one row group: the average row (80 KB) is under max_record_bytes, so
    # only the page headers show that one page decompresses to 24 MiB (it is ~1 KB compressed)
    texts = [f"small {i}" for i in range(300)] + ["a" * (24 * MiB)]
    pq.write_table(pa.table({"id": [str(i) for i in range(301)], "text": texts}), p, compression="zstd",
                   use_dictionary=False)
    second = tmp_path / "fine.parquet"
    pq.write_table(pa.table({"id": ["x"], "text": ["fine"]}), second)
    items = read_all(ParquetReader(paths=[str(p), str(second)], max_record_bytes=MiB))
    assert [(type(x).__name__, getattr(x, "location", None)) for x in items] == \
        [("Quarantine", "rows 1-301"), ("Document", None)]
    assert items[0].reason == "too_large" and "has a page of 25,1" in items[0].message


def test_text_folder_gzip_cap_is_on_decompressed_bytes(tmp_path):
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "bomb.txt.gz").write_bytes(_gzip_of_a(64 * MiB))
    (folder / "ok.txt.gz").write_bytes(gzip.compress(b"hello"))
    reader = TextFolderReader(paths=str(folder), pattern="*.gz", max_file_bytes=MiB)
    items, peak = peak_while(lambda: read_all(reader))
    assert [type(x).__name__ for x in items] == ["Quarantine", "Document"]
    assert items[0].reason == "too_large" and "bomb.txt.gz" in items[0].source and items[1].text == "hello"
    assert peak < 8 * MiB, peak


# --- item 6: records of the wrong shape ----------------------------------------------------------------------------

BAD_WINNOW_RECORDS = [
    ({"id": "x", "text": 5, "metadata": {}, "attributes": {}, "edits": []}, "'text' must be a string"),
    ({"id": "x", "text": "t", "metadata": "str", "attributes": {}, "edits": []}, "'metadata' must be an object"),
    ({"id": "x", "text": "t", "metadata": {}, "attributes": [], "edits": []}, "'attributes' must be an object"),
    ({"id": "x", "text": "t", "metadata": {}, "attributes": {}, "edits": {}}, "'edits' must be a list"),
    ({"id": "x", "text": "t", "metadata": {}, "attributes": {}, "edits": [{"start": "0"}]}, "'start' must be"),
    ({"id": [1], "text": "t", "metadata": {}, "attributes": {}, "edits": []}, "'id' must be a string or an integer"),
    ({"id": "x", "text": "t", "metadata": {}, "attributes": {}, "edits": [], "drop": "yes"}, "'drop' must be"),
    ({"id": "x", "text": "t", "metadata": {}, "attributes": {}, "edits": [], "drop": {"step": 1, "reason": "r"}},
     "'step' must be a string"),
    ({"id": True, "text": "t"}, "'id' must be a string or an integer"),
]


@pytest.mark.parametrize("rec,why", BAD_WINNOW_RECORDS)
def test_wrongly_typed_record_is_quarantined_with_the_field_named(tmp_path, rec, why):
    p = tmp_path / "a.jsonl"
    p.write_bytes(orjson.dumps(rec) + b"\n" + orjson.dumps({"id": "good", "text": "fine"}) + b"\n")
    items = read_all(JsonlReader(paths=str(p)))
    assert isinstance(items[0], Quarantine) and items[0].reason == "bad_record", items[0]
    assert why in items[0].message and items[0].location == "line 1"
    assert items[1].id == "good"


@pytest.mark.parametrize("step", [{"type": "c4_badwords"}, {"type": "url_dedup"}])
def test_a_run_over_wrongly_typed_records_balances_and_goes_on(tmp_path, real_docs, step):
    from winnow.config import build_component as build

    recs = [{"id": d.id, "text": d.text, "url": d.metadata.get("url")} for d in real_docs[:5]]
    recs.insert(2, {"id": "x", "text": 5, "metadata": {}, "attributes": {}, "edits": []})
    recs.insert(4, {"id": "y", "text": "t", "metadata": "str", "attributes": {}, "edits": []})
    p = tmp_path / "in.jsonl"
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(p)), steps=[build("step", step, "step")])])
    st = run_pipeline(pipe, tmp_path / "run", "inline", log=False).stats["stages"][0]
    assert st["in"] == 7 and st["quarantined"] == 2 and st["balanced"]
    assert st["passes"][0]["quarantine_reasons"] == {"bad_record": 2}


@dataclasses.dataclass
class _HostileReader(Reader):
    """Documents the Python API can build but no file reader yields: a step fails on each of them."""

    name = "hostile"

    def shards(self):
        return ["only"]

    def read(self, shard):
        yield Document(id="meta-str", text="some text here", metadata="str")  # type: ignore[arg-type]
        yield Document(id="set-attr", text="more text", metadata=None, attributes={"a": {1, 2}, 3: "k"})  # type: ignore
        yield Document(id="fine", text="fine text")


def test_the_quarantine_of_a_failed_step_cannot_raise(tmp_path):
    from winnow.steps.quality import C4BadWords  # reads doc.metadata["language"]: fails on a str metadata

    pipe = Pipeline(stages=[Stage("s", reader=_HostileReader(), steps=[C4BadWords()])])
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    st = res.stats["stages"][0]
    assert st["balanced"] and st["quarantined"] == 2 and st["kept"] == 1
    lines = [orjson.loads(x) for f in (tmp_path / "run" / "quarantine").rglob("*.jsonl") for x in f.read_bytes().splitlines()]
    assert sorted(q["location"] for q in lines) == ["document meta-str", "document set-attr"]
    assert all(q["reason"] == "step_error" for q in lines)


def test_step_error_line_survives_anything():
    class Evil:
        def __getattr__(self, name):
            raise RuntimeError("no")

    for doc in (Document(id="a", text="t", metadata="s"), Document(id="b", text="t", attributes={"x": object()}),  # type: ignore
                Document(id="c", text="\ud800"), Evil()):
        line = step_error_line({"reason": "step_error", "location": "document ?"}, doc)
        assert orjson.loads(line)["reason"] == "step_error" and line.endswith(b"\n")


# --- item 7: one bad Parquet row is one quarantined row --------------------------------------------------------------

def test_one_bad_parquet_row_is_quarantined_alone(tmp_path):
    # winnow's schema as written before typed columns (JSON text), which the reader still reads back
    n = 10
    cols = {"id": [str(i) for i in range(n)], "text": [f"text {i}" for i in range(n)],
            "metadata": ['{"n": %d}' % i for i in range(n)], "attributes": ["{}"] * n, "edits": ["[]"] * n,
            "drop_step": [None] * n, "drop_reason": [None] * n, "drop_value": [None] * n, "drop_threshold": [None] * n}
    cols["metadata"][2] = "{bad"
    cols["edits"][6] = '[{"start": 0}]'
    cols["attributes"][8] = '"not a map"'
    types = {"drop_value": pa.float64(), "drop_threshold": pa.float64()}
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()}), bad,
                   row_group_size=4)
    items = list(ParquetReader(paths=str(bad)).read(str(bad)))
    assert len(items) == 10
    q = [x for x in items if isinstance(x, Quarantine)]
    assert [(x.location, x.reason) for x in q] == [("row 3", "bad_record"), ("row 7", "bad_record"),
                                                   ("row 9", "bad_record")]
    assert "'metadata'" in q[0].message and "'end' must be an integer" in q[1].message
    assert "'attributes'" in q[2].message
    assert [x.id for x in items if isinstance(x, Document)] == ["0", "1", "3", "4", "5", "7", "9"]


def test_one_bad_row_of_typed_columns_is_quarantined_alone(tmp_path):
    good = tmp_path / "own.parquet"
    h = ParquetWriter(rows_per_group=4).open(good)
    for i in range(10):
        h.write(Document(id=str(i), text=f"text {i}", metadata={"n": i, "tags": ["a", i]}))
    h.close()
    t = pq.read_table(good)
    meta = t.column("metadata").to_pylist()
    meta[4] = [{"key": "tags", "value": {"bool": None, "int": None, "float": None, "str": None, "json": "[bad"}}]
    t = t.set_column(t.schema.get_field_index("metadata"), "metadata", pa.array(meta, t.schema.field("metadata").type))
    pq.write_table(t, tmp_path / "bad.parquet", row_group_size=4)
    items = list(ParquetReader(paths=str(tmp_path / "bad.parquet")).read(str(tmp_path / "bad.parquet")))
    assert [x.location for x in items if isinstance(x, Quarantine)] == ["row 5"]
    assert len([x for x in items if isinstance(x, Document)]) == 9
    assert items[0].metadata == {"n": 0, "tags": ["a", 0]}


# --- item 8: every reader parameter is validated before a run -----------------------------------------------------

@pytest.mark.parametrize("reader,param,value", [
    ("jsonl", "max_record_bytes", -1), ("jsonl", "max_record_bytes", 0), ("jsonl", "max_record_bytes", 1 << 40),
    ("jsonl", "text_key", ""), ("jsonl", "paths", []), ("jsonl", "id_key", "text"),
    ("parquet", "batch_size", 0), ("parquet", "max_record_bytes", -5), ("parquet", "text_key", ""),
    ("text", "files_per_shard", 0), ("text", "max_file_bytes", -1), ("text", "field", "pdf"), ("text", "pattern", ""),
    ("warc", "max_payload_bytes", 0), ("wet", "max_payload_bytes", -1), ("warc", "paths", [""]),
])
def test_bad_reader_parameters_are_refused_before_a_run(reader, param, value):
    with pytest.raises(ConfigError, match=param if param != "id_key" else "same field"):
        build_component("reader", {"type": reader, param: value}, "stages[0].reader")


def test_winnow_validate_refuses_a_negative_record_cap(tmp_path, capsys):
    from winnow.cli import main

    cfg = tmp_path / "p.yaml"
    cfg.write_text("stages:\n  - name: s\n    reader: {jsonl: {paths: x.jsonl, max_record_bytes: -1}}\n"
                   "    steps: []\n")
    assert main(["validate", str(cfg)]) == 2
    assert "max_record_bytes must be between 1" in capsys.readouterr().err


# --- item 11: nothing lost without a record naming it --------------------------------------------------------------

def _warc_rec(url: str, block: bytes, extra_length: int = 0, gz: bool = True) -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block) + extra_length}\r\n\r\n")
    raw = head.encode() + block + b"\r\n\r\n"
    return gzip.compress(raw, mtime=0) if gz else raw


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("overstate", ["past_the_end", "over_one_record"])
def test_overstated_content_length_names_the_record_and_reads_the_swallowed_ones(tmp_path, gz, overstate):
    blocks = [(f"http://x.example/{i}", http_response("200 OK", "text/html", f"<html><p>page {i}</p>".encode() * 5))
              for i in range(4)]
    parts = [_warc_rec(u, b, gz=gz) for u, b in blocks]
    extra = 10 ** 6 if overstate == "past_the_end" else len(_warc_rec(*blocks[2], gz=False))
    parts[1] = _warc_rec(*blocks[1], extra_length=extra, gz=gz)
    p = tmp_path / ("x.warc.gz" if gz else "x.warc")
    p.write_bytes(b"".join(parts))
    items = read_all(WarcReader(paths=str(p)))
    assert [x.metadata["url"] if isinstance(x, Document) else x.reason for x in items] == \
        ["http://x.example/0", "overlapping_record", "http://x.example/2", "http://x.example/3"]
    q = items[1]
    assert "http://x.example/1" in q.message and "http://x.example/2" in q.message and q.location.startswith("byte ")


def test_huge_integer_ids_stay_exact_and_distinct(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"id": 18446744073709551617, "text": "a"}\n{"id": 18446744073709551618, "text": "b"}\n'
                  b'{"id": 12, "text": "c"}\n{"id": 1.5, "text": "d"}\n'
                  b'{"id": 18446744073709551619, "text": "e", "metadata": {}, "attributes": {}, "edits": []}\n')
    ids = [d.id for d in read_all(JsonlReader(paths=str(p)))]
    assert ids == ["18446744073709551617", "18446744073709551618", "12", "1.5", "18446744073709551619"]


def test_a_drop_in_the_input_is_not_counted_as_a_step_drop(tmp_path, real_docs):
    from winnow.steps.basic import LengthFilter

    d = Document(id="old", text=real_docs[0].text, drop=Drop("gopher_quality", "too_few_words", 3.0, 50.0))
    recs = [d.to_dict(), {"id": "foreign", "text": real_docs[1].text, "drop": {"step": "x", "reason": "y"}}]
    p = tmp_path / "in.jsonl"
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(p)), steps=[LengthFilter(min_chars=1)])])
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    st = res.stats["stages"][0]
    assert st["kept"] == 2 and st["rejected"] == 0 and st["balanced"]
    assert all(not s.get("dropped") for s in st["steps"])
    kept = {x.id: x for f in (tmp_path / "run").rglob("kept/**/*.jsonl.zst") for x in
            JsonlReader(paths=str(f)).read(str(f))}
    assert kept["old"].drop is None
    assert kept["old"].metadata["input_drop"] == {"step": "gopher_quality", "reason": "too_few_words",
                                                  "value": 3.0, "threshold": 50.0}
    assert kept["foreign"].metadata["drop"] == {"step": "x", "reason": "y"}  # a foreign field is plain metadata


# --- issue 17 item 1: datatrove's and Dolma's layouts ---------------------------------------------------------------

def test_datatrove_nested_metadata_is_read_as_metadata(tmp_path, real_docs):
    from winnow.steps.dedup import UrlDedup

    recs = [{"text": real_docs[i].text, "id": f"d{i}", "media": [],
             "metadata": {"url": "https://a.com/x" if i < 2 else f"https://a.com/{i}", "language": "en",
                          "dump": "CC-MAIN-2024-10"}} for i in range(4)]
    recs.append({"id": "dolma", "text": real_docs[5].text, "source": "c4", "added": "2024-01-01",
                 "metadata": {"url": "https://b.org/", "source": "clash"}})
    p = tmp_path / "dt.jsonl"
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    docs = read_all(JsonlReader(paths=str(p)))
    assert docs[0].metadata["url"] == "https://a.com/x" and docs[0].metadata["language"] == "en"
    assert "metadata" not in docs[0].metadata and docs[0].metadata["media"] == []
    dolma = docs[4].metadata
    assert dolma["url"] == "https://b.org/" and dolma["source"] == "c4" and dolma["metadata"] == {"source": "clash"}
    # url_dedup sees the nested URL: the duplicate is dropped (before: every document kept)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(p)), steps=[UrlDedup()])])
    st = run_pipeline(pipe, tmp_path / "run", "inline", log=False).stats["stages"][0]
    assert st["kept"] == 4 and st["rejected"] == 1 and st["balanced"]


def test_datatrove_parquet_struct_metadata_is_read_as_metadata(tmp_path):
    p = tmp_path / "dt.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "id": ["1", "2"],
                             "metadata": [{"url": "https://a.com/", "language": "fr"},
                                          {"url": "https://b.com/", "language": "de"}]}), p)
    docs = read_all(ParquetReader(paths=str(p)))
    assert [d.metadata["language"] for d in docs] == ["fr", "de"] and docs[1].metadata["url"] == "https://b.com/"


def test_file_names_that_are_not_utf8_give_writable_records(tmp_path):
    import os

    folder = tmp_path / "txt"
    folder.mkdir()
    odd = os.fsdecode(b"caf\xe9.txt")  # a Latin-1 name: lone surrogates in Python's str
    (folder / odd).write_bytes(b"some text")
    (folder / os.fsdecode(b"bad\xff.txt")).write_bytes(b"\xff\xfe not utf-8")
    items = read_all(TextFolderReader(paths=str(folder)))
    doc = next(x for x in items if isinstance(x, Document))
    assert doc.id == "caf\\xe9.txt" and doc.text == "some text"
    doc.to_json()  # before: orjson refused the surrogate in the id and the source, failing the shard
    q = next(x for x in items if isinstance(x, Quarantine))
    assert q.to_dict()["source"].endswith("bad\\xff.txt") and orjson.dumps(q.to_dict())
    p = tmp_path / os.fsdecode(b"d\xe9.jsonl")
    p.write_bytes(b'{"id": "1", "text": "t"}\n{"broken\n')
    got = read_all(JsonlReader(paths=str(p)))
    got[0].to_json()
    orjson.dumps(got[1].to_dict())


_MEMORY_PROBE = r"""
import resource, sys
from winnow.io.jsonl import JsonlReader
size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (size + (int(sys.argv[2]) << 20), resource.RLIM_INFINITY))
for item in JsonlReader(paths=sys.argv[1]).read(sys.argv[1]):
    print(type(item).__name__, getattr(item, "id", None) or getattr(item, "reason", None), flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/statm: Linux")
@pytest.mark.parametrize("spare_mb", [30, 50])
def test_a_line_whose_json_takes_more_memory_than_the_process_has_is_one_quarantined_record(tmp_path, spare_mb):
    # 3 MB of empty JSON arrays (under max_record_bytes) takes ~70 MB as Python objects (a 31 MB line: 1 GB). In a
    # process with less memory than that (a worker under ulimit -v, a container's limit), orjson says so as a
    # JSONDecodeError "Not enough memory to allocate buffer" (30 MB to spare: the record was called malformed_json)
    # or as a SystemError caused by MemoryError (50 MB: it left the reader, so the shard failed on every attempt, and
    # the run's first-records check failed in the driver with a traceback before any shard ran).
    p = tmp_path / "a.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"id":"a","text":"before"}\n')
        f.write(b'{"id":"bomb","text":"x","m":[' + b"[]," * 1_000_000 + b"[]]}\n")
        f.write(b'{"id":"b","text":"after"}\n')
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(p), str(spare_mb)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n") == ["Document a", "Quarantine too_large", "Document b", ""]


@pytest.mark.parametrize("comp", ["gz", "zst", "plain"])
@pytest.mark.parametrize("length", ["short30", "short1", "long5", "0", "-5", "abc", "99999999999999999999999", ""])
def test_a_content_length_that_lies_a_little_is_one_quarantined_record(tmp_path, comp, length):
    # A Content-Length a little short (or long, or not a byte count: read as 0) cut the page, which was kept (14 of
    # its 44 characters), or quarantined as bad_http, and the rest of its block was quarantined again as
    # corrupt_record: one record counted twice, and a cut page kept. Now it is one corrupt_record naming the
    # length; the records around it are read whole.
    blocks = [(f"http://x.example/{i}", http_response("200 OK", "text/html", f"<html><p>page {i}</p>".encode() * 3))
              for i in range(3)]
    raw = [_warc_rec(u, b, gz=False) for u, b in blocks]
    u, b = blocks[1]
    if length.startswith(("short", "long")):
        raw[1] = _warc_rec(u, b, extra_length=int(length.lstrip("shortlng")) * (-1 if length[0] == "s" else 1),
                          gz=False)
    else:
        raw[1] = raw[1].replace(f"Content-Length: {len(b)}\r\n".encode(), f"Content-Length: {length}\r\n".encode())
    data = (b"".join(gzip.compress(r, mtime=0) for r in raw) if comp == "gz" else
            b"".join(zstandard.ZstdCompressor().compress(r) for r in raw) if comp == "zst" else b"".join(raw))
    p = tmp_path / ("a.warc" + {"gz": ".gz", "zst": ".zst", "plain": ""}[comp])
    p.write_bytes(data)
    items = list(WarcReader(paths=str(p)).read(str(p)))
    assert [type(x).__name__ for x in items] == ["Document", "Quarantine", "Document"], items
    assert [d.metadata["url"] for d in items[::2]] == ["http://x.example/0", "http://x.example/2"]
    assert all(d.metadata["html"] == "<html><p>page 0</p>".replace("0", str(i)) * 3 for i, d in zip((0, 2), items[::2]))
    q = items[1]
    assert q.reason == "corrupt_record" and "http://x.example/1" in q.message and "Content-Length" in q.message


@pytest.mark.parametrize("ext", [".bz2", ".xz"])
def test_bz2_and_xz_json_lines_are_read_and_their_damage_reported(tmp_path, ext):
    # A .jsonl.bz2 or .jsonl.xz (datatrove and Dolma read them) was read byte for byte as JSON Lines: every line
    # quarantined as invalid UTF-8, and the run refused with the advice to convert the file with iconv.
    import bz2
    import lzma

    pack = bz2.compress if ext == ".bz2" else lzma.compress
    lines = b"".join(orjson.dumps({"id": f"d{i}", "text": f"text {i}"}) + b"\n" for i in range(50))
    p = tmp_path / f"a.jsonl{ext}"
    p.write_bytes(pack(lines))
    assert [d.id for d in JsonlReader(paths=str(p)).read(str(p))] == [f"d{i}" for i in range(50)]
    p.write_bytes(pack(lines)[:-30])  # cut short
    items = list(JsonlReader(paths=str(p)).read(str(p)))
    assert items and isinstance(items[-1], Quarantine) and items[-1].reason == "truncated"
    # a bomb: one line of 16 MiB in a few hundred bytes is skipped in pieces, never held whole
    p.write_bytes(pack(b'{"id": "big", "text": "' + b"a" * (16 << 20) + b'"}\n' + lines.split(b"\n")[0] + b"\n"))
    tracemalloc.start()
    try:
        items = list(JsonlReader(paths=str(p), max_record_bytes=1 << 20).read(str(p)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [getattr(x, "reason", None) for x in items] == ["too_large", None] and peak < 16 << 20


def test_a_parquet_row_whose_list_of_numbers_is_over_the_cap_is_quarantined_alone(tmp_path):
    # max_record_bytes counted the strings of a row only: a row holding 20 million zeros in a list column (34 KB of
    # Parquet, run-length encoded) became a document of 1.8 GB of Python objects. Every other value counts 8 bytes.
    rows = [{"id": f"d{i}", "text": f"text {i}", "m": [i, i + 1]} for i in range(300)]
    big = {"id": "big", "text": "x", "m": [0] * 300_000}  # 2.4 MB once decoded
    p = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(rows[:100] + [big] + rows[100:]), p, row_group_size=1000)
    assert p.stat().st_size < 50_000
    items = list(ParquetReader(paths=str(p), max_record_bytes=1 << 20).read(str(p)))
    assert [x.id for x in items if isinstance(x, Document)] == [r["id"] for r in rows]
    (q,) = [x for x in items if isinstance(x, Quarantine)]
    assert (q.reason, q.location) == ("too_large", "row 101") and "2,400,0" in q.message
    assert [d.metadata["m"] for d in items[:2]] == [[0, 1], [1, 2]]  # numbers in lists still read


def test_a_parquet_row_whose_fixed_size_list_is_over_the_cap_is_quarantined_alone(tmp_path):
    # A fixed-size list column (an embedding, Arrow's type restored from the file's schema) was counted as one value
    # of 8 bytes a row: the same row held as a list was quarantined and as a fixed-size list became a document.
    n = 300_000
    t = pa.table({"id": ["a", "big", "c"], "text": ["one", "two", "three"],
                  "m": pa.array([[1, 2] * (n // 2), [0] * n, None], type=pa.list_(pa.int64(), n))})
    p = tmp_path / "a.parquet"
    pq.write_table(t.slice(1), p)
    pq.write_table(t, tmp_path / "b.parquet")
    for name, want in (("a.parquet", ["too_large", None]), ("b.parquet", ["too_large", "too_large", None])):
        items = list(ParquetReader(paths=str(tmp_path / name), max_record_bytes=1 << 20).read(str(tmp_path / name)))
        assert [getattr(x, "reason", None) for x in items] == want, name
        assert "2,400,0" in items[0].message
    emb = pa.table({"text": ["x", "y"], "e": pa.array([[0.5] * 4, [1.5] * 4], type=pa.list_(pa.float32(), 4))})
    pq.write_table(emb, tmp_path / "e.parquet")
    docs = list(ParquetReader(paths=str(tmp_path / "e.parquet")).read(str(tmp_path / "e.parquet")))
    assert [d.metadata["e"] for d in docs] == [[0.5] * 4, [1.5] * 4]  # a small one is still read
    from winnow.io.parquet import _string_bytes

    col = pa.array([["a"], ["bbb"], ["cc"], None], type=pa.list_(pa.string(), 1))
    assert _string_bytes(col.slice(1)).tolist() == [3, 2, 8]  # a sliced array's rows, not its first ones


def test_a_parquet_page_of_millions_of_run_length_encoded_values_is_not_decoded(tmp_path):
    # One row of 14 million zeros in a list column is a few KB of Parquet, run-length encoded in one page whose
    # uncompressed size is small too: pyarrow decoded the whole page (~20 bytes a value, 280 MB here; 20 million
    # zeros in a 34 KB file took 1.1 GB with the row sizes) before the row could be measured. The page header's
    # value count says so before anything is decoded: the row group is quarantined whole, naming its rows.
    import numpy as np

    n = 14_000_000
    offsets = pa.array(np.array([0, 1, 1 + n, 2 + n], dtype=np.int32))
    t = pa.table({"id": ["a", "big", "c"], "text": ["one", "two", "three"],
                  "m": pa.ListArray.from_arrays(offsets, pa.array(np.zeros(2 + n, dtype=np.int64)))})
    p = tmp_path / "a.parquet"
    pq.write_table(t, p)
    pq.write_table(t.slice(0, 1), tmp_path / "b.parquet")  # the group after it is read
    pq.write_table(pa.concat_tables([t, pq.read_table(tmp_path / "b.parquet")]), p, row_group_size=3)
    assert p.stat().st_size < 100_000
    items = list(ParquetReader(paths=str(p)).read(str(p)))
    assert [x.reason if isinstance(x, Quarantine) else x.id for x in items] == ["too_large", "a"]
    assert items[0].location == "rows 1-3" and "a row of 14,000,000 values in column m" in items[0].message


def test_a_parquet_page_of_millions_of_values_in_many_rows_is_read(tmp_path):
    # A page's value count bounds nothing but the rows it spans: DuckDB's defaults write 100,000 rows of a list of
    # 1,024 ones (an attention mask) as one page of 102 million values, and a ROW_GROUP_SIZE of 14 million rows a flat
    # column as pages of 14 million values; pyarrow decodes a batch of rows at a time (35 MB at its peak for the
    # first). Both were quarantined whole as pages of 2 GB and 280 MB "once decoded" (e85f734). Written here by
    # pyarrow with pages as large.
    import numpy as np

    rows, n = 14_000, 1_000
    mask = pa.ListArray.from_arrays(pa.array(np.arange(0, rows * n + 1, n, dtype=np.int32)),
                                    pa.array(np.ones(rows * n, np.int8)))
    lists = tmp_path / "lists.parquet"
    for version in ("1.0", "2.0"):
        pq.write_table(pa.table({"text": ["t"] * rows, "mask": mask}), lists, max_rows_per_page=rows,
                       write_batch_size=rows * n, data_page_version=version)
        assert pq.ParquetFile(lists).metadata.row_group(0).column(1).num_values > 13_500_000
        items = list(ParquetReader(paths=str(lists), format="peer", limit=2).read(str(lists)))
        assert [type(x).__name__ for x in items] == ["Document", "Document"], items
    rows = 14_000_000
    flat = tmp_path / "flat.parquet"
    text = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array(["a page"]))
    pq.write_table(pa.table({"text": text, "score": pa.array(np.zeros(rows, np.int64))}), flat, row_group_size=rows,
                   max_rows_per_page=rows, write_batch_size=rows)
    items = list(ParquetReader(paths=str(flat), format="peer", limit=2).read(str(flat)))
    assert [type(x).__name__ for x in items] == ["Document", "Document"], items


def test_parquet_rows_of_many_values_are_decoded_a_few_at_a_time(tmp_path, monkeypatch):
    # No row over the cap, but 1,024 rows of 1 million zeros (each 8 MB once decoded, under max_record_bytes) were
    # decoded as one batch: ~20 GB of Arrow memory for a few KB of Parquet, each page (4 rows) under the cap. The rows
    # a batch takes are now sized from the longest row: here (the cap lowered to 1 MiB so that the file is small) 2
    # rows of 20,000 values a batch.
    import numpy as np

    from winnow.io import parquet

    monkeypatch.setattr(parquet, "_MAX_PAGE_BYTES", 1 << 20)
    rows, n = 100, 20_000
    t = pa.table({"text": ["t"] * rows, "m": pa.ListArray.from_arrays(
        pa.array(np.arange(0, rows * n + 1, n, dtype=np.int32)), pa.array(np.zeros(rows * n, np.int64)))})
    p = tmp_path / "a.parquet"
    pq.write_table(t, p, max_rows_per_page=2)  # no page over the cap: 40,000 values, 800,000 bytes decoded
    sizes = []
    real = pq.ParquetFile.iter_batches

    def spy(self, batch_size=65536, **kw):
        for rb in real(self, batch_size=batch_size, **kw):
            sizes.append(rb.num_rows)
            yield rb
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    items = list(ParquetReader(paths=str(p), format="peer", max_record_bytes=1 << 18).read(str(p)))
    assert len(items) == rows and all(type(x).__name__ == "Document" for x in items)
    assert max(sizes) == (1 << 20) // (n * 20) == 2, sizes[:5]


def test_parquet_repetition_levels_count_a_row_across_pages():
    # a row a writer spreads over several pages (v1 pages need not start a row) is counted whole: the levels are
    # carried from page to page (each page's own count stays under the cap; robust13's leftover)
    from winnow.io.parquet import _longest_rows

    state = [0, 0, 100]
    assert _longest_rows(bytes([0x02, 0x00, 0x12, 0x01]), 10, 1, state)  # level 0 once, 1 nine times: 10 so far
    assert _longest_rows(bytes([0x0A, 0x01, 0x02, 0x00]), 6, 1, state)  # five more, then a new row
    assert state[:2] == [1, 15]
    # bit-packed: 0,1,1,0,1,1,1,1 (rows of 3, then 5 so far), after a row of 1
    assert _longest_rows(bytes([0x03, 0b11110110]), 8, 1, state) and state[:2] == [5, 15]
    assert not _longest_rows(bytes([0x02, 0x00] * 3), 3, 1, [0, 0, 2])  # past its run budget: not to be used


def test_parquet_page_heads_decompress_as_the_whole_page_does():
    # the repetition levels of a v1 page are read from the head of the page, decompressed alone where the codec
    # allows (Snappy by hand: back-references that overlap, literals of 1-4 length bytes)
    import random

    from winnow.io.parquet import _head

    rnd = random.Random(0)
    for k in range(300):
        unit = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 70)))
        data = (unit * rnd.randint(1, 400) + bytes(rnd.randrange(4) for _ in range(rnd.randint(0, 3000))))
        for codec in ("snappy", "zstd", "gzip", "brotli"):
            comp = pa.compress(data, codec=codec, asbytes=True)
            want = rnd.randint(0, len(data) + 5)
            assert _head(comp, want, len(data), codec)[:want] == data[:want], (k, codec, want)


@pytest.mark.parametrize("codec", ["zstd", "snappy", "gzip", "none", "brotli"])
def test_parquet_longest_row_read_from_the_levels_is_the_true_one(tmp_path, codec):
    # lists and lists of lists, nulls and empty lists, one long row or none, v1 and v2 pages, small pages (a row
    # group of many), dictionary-encoded or not: the longest row the repetition levels give is the one written
    import numpy as np

    from winnow.io.parquet import _chunk_shape

    rng = np.random.default_rng(7)
    for trial in range(8):
        rows = int(rng.integers(1, 2500))
        lens = rng.integers(0, 3, rows) if trial % 3 == 0 else rng.geometric(0.02, rows)
        if trial % 2:
            lens[rng.integers(0, rows)] = int(rng.integers(100, 9000))
        vals = [list(rng.integers(0, 3, n)) if rng.random() > 0.05 else None for n in lens]
        if trial % 4 == 0:
            vals = [[v[:len(v) // 2], v[len(v) // 2:]] if v is not None else None for v in vals]
            typ, true = pa.list_(pa.list_(pa.int64())), max(
                sum(max(len(x), 1) for x in v) if v is not None else 1 for v in vals)
        else:
            typ, true = pa.list_(pa.int64()), max(max(len(v), 1) if v is not None else 1 for v in vals)
        p = tmp_path / f"{trial}.parquet"
        pq.write_table(pa.table({"m": pa.array(vals, typ)}), p, compression=codec, use_dictionary=bool(trial % 3),
                       data_page_version=("1.0", "2.0")[trial % 2], data_page_size=int(rng.integers(100, 100_000)))
        md = pq.ParquetFile(p).metadata
        with open(p, "rb") as f:
            got = _chunk_shape(f, md.row_group(0).column(0), md.schema.column(0).max_repetition_level, 1 << 28)
        assert got is not None and got[1] == true, (trial, got, true)


def test_parquet_row_sizes_of_a_long_list_of_numbers_take_no_memory_per_item():
    # _string_bytes built an array of 8s per item, its cumsum and their concatenation: 480 MB for one row of
    # 20 million zeros, beside pyarrow's own decoding of the row.
    import numpy as np

    from winnow.io.parquet import _string_bytes

    n = 2_000_000
    col = pa.ListArray.from_arrays(pa.array(np.array([0, 3, 3 + n], dtype=np.int32)),
                                   pa.array(np.zeros(3 + n, dtype=np.int64)))
    tracemalloc.start()
    try:
        sizes = _string_bytes(col.slice(0)).tolist()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sizes == [24, 8 * n] and peak < 1 << 20, peak
    fixed = pa.array([[1, 2], None, [3, 4]], type=pa.list_(pa.int64(), 2))
    assert _string_bytes(fixed.slice(1)).tolist() == [8, 16]


def test_a_line_whose_json_would_take_too_much_memory_is_quarantined_on_every_machine(tmp_path):
    # Whether a line of millions of small JSON arrays (under max_record_bytes) became a document or a too_large
    # record depended on the memory of the process that decoded it ("ran out of memory as it was decoded"): the same
    # input, different outputs on different machines. Its containers are counted before decoding now.
    p = tmp_path / "a.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"id":"a","text":"before"}\n')
        f.write(b'{"id":"bomb","text":"x","m":[' + b"[]," * 1_000_000 + b"[]]}\n")  # 3 MB, ~90 MB as objects
        f.write(b'{"id":"prose","text":"' + b"a [b], {c}, " * 150_000 + b'"}\n')  # 1.8 MB of text with brackets
        f.write(b'{"id":"b","text":"after"}\n')
    tracemalloc.start()
    try:
        items = list(JsonlReader(paths=str(p), max_record_bytes=4 << 20).read(str(p)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [x.reason if isinstance(x, Quarantine) else x.id for x in items] == ["a", "too_large", "prose", "b"]
    q = items[1]
    assert q.location == "line 2" and "1,000,003 JSON arrays and objects" in q.message and "not decoded" in q.message
    assert peak < 30 << 20, peak


def test_a_line_of_small_json_objects_is_counted_as_objects(tmp_path):
    # a one-key object takes 169 bytes as Python objects (an array 80): a line of them was estimated at 12x its size
    # and decoded at 21x, past the 16 x max_record_bytes bound (a 32 MiB line: ~680 MB)
    p = tmp_path / "a.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"id":"objects","text":"x","m":[' + b'{"a":1},' * 240_000 + b'{"a":1}]}\n')  # 1.9 MB, ~40 MB
        f.write(b'{"id":"spans","text":"x","m":[' + b"[0,10,0.5]," * 170_000 + b"[0,1,1]]}\n")  # 1.9 MB, ~32 MB
    items = list(JsonlReader(paths=str(p), max_record_bytes=2 << 20).read(str(p)))
    assert [x.reason if isinstance(x, Quarantine) else x.id for x in items] == ["too_large", "spans"]


def _zigzag_varint(v: int) -> bytes:
    z, out = (v << 1) if v >= 0 else (((-v) << 1) - 1), bytearray()
    while True:
        out.append((z & 0x7F) | (0x80 if z >> 7 else 0))
        z >>= 7
        if not z:
            return bytes(out)


def _big_list_file(tmp_path, monkeypatch):
    # a list column whose chunk is over the (lowered) cap, so that its page headers are walked
    import numpy as np

    from winnow.io import parquet

    monkeypatch.setattr(parquet, "_MAX_PAGE_BYTES", 1 << 16)
    n = 20_000
    t = pa.table({"text": ["a", "b"], "m": pa.ListArray.from_arrays(
        pa.array(np.array([0, 1, n], np.int32)), pa.array(np.arange(n, dtype=np.int64)))})
    p = tmp_path / "a.parquet"
    pq.write_table(t, p, compression="none", use_dictionary=False, data_page_version="2.0")
    return p, pq.ParquetFile(p).metadata.row_group(0).column(1)


@pytest.mark.parametrize("sizes", [(3, 100, 1 << 66, 1 << 65), (0, -(1 << 31), 50, 10)])
def test_a_parquet_page_header_whose_sizes_lie_neither_fails_the_worker_nor_reads_the_file(tmp_path, monkeypatch,
                                                                                            sizes):
    # A v2 page header claiming 2**66 compressed bytes and 2**65 bytes of levels (i32 fields given varints past 32
    # bits) raised an OverflowError from f.read that nothing caught: the shard failed (the worker, for a file of
    # many good row groups). A negative uncompressed size made the walk read the rest of the file (f.read(-n)).
    from winnow.io.parquet import _chunk_shape

    kind, unc, comp, rep = sizes
    p, col = _big_list_file(tmp_path, monkeypatch)
    sub = (b"\x5c\x15" + _zigzag_varint(20_000) + b"\x55" + _zigzag_varint(rep) if kind == 3  # v2: levels' bytes
           else b"\x2c\x15" + _zigzag_varint(20_000) + b"\x35" + _zigzag_varint(3))  # v1: RLE levels
    head = (b"\x15" + _zigzag_varint(kind) + b"\x15" + _zigzag_varint(unc) + b"\x15" + _zigzag_varint(comp)
            + sub + b"\x00\x00")
    data = bytearray(p.read_bytes())
    data[col.data_page_offset:col.data_page_offset + len(head)] = head
    p.write_bytes(bytes(data))
    items = list(ParquetReader(paths=str(p), format="peer", max_record_bytes=1 << 12).read(str(p)))
    assert items and all(isinstance(x, Quarantine) for x in items), items
    reads = []

    class Spy(io.BytesIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)
    assert _chunk_shape(Spy(bytes(data)), col, 1, 1 << 16) is None
    assert all(0 <= n <= 1 << 20 for n in reads), reads


def test_parquet_snappy_heads_of_overlapping_copies_are_exact():
    # offset-1..3 copies longer than their offset (a run of one byte, of a pair), heads short and long: the same
    # bytes as the whole stream decompressed in C (the copy is one slice repeated, not a byte at a time)
    from winnow.io.parquet import _head

    for unit in (b"\x07", b"\x01\x02", b"abc"):
        data = b"x" + unit * 50_000 + b"tail"
        comp = pa.compress(data, codec="snappy", asbytes=True)
        for want in (1, 5, 64, 1000, 1 << 16, len(data)):
            assert _head(comp, want, len(data), "snappy")[:want] == data[:want], (unit, want)


@pytest.mark.parametrize("codec", ["brotli", "snappy"])
def test_a_parquet_page_whose_levels_do_not_decompress_is_bounded_by_its_value_count(tmp_path, codec):
    # pa.decompress says corrupt data with a plain OSError, which the walk's page-level catch lacked: the whole
    # chunk went unchecked (None) instead of that page counting its values as one row's
    import numpy as np

    from winnow.io.parquet import _chunk_shape

    n = 200_000
    t = pa.table({"m": pa.ListArray.from_arrays(pa.array(np.array([0, 1, n], np.int32)),
                                                pa.array(np.random.default_rng(0).integers(0, 1 << 40, n)))})
    p = tmp_path / "a.parquet"
    pq.write_table(t, p, compression=codec, use_dictionary=False)
    col = pq.ParquetFile(p).metadata.row_group(0).column(0)
    data = bytearray(p.read_bytes())
    with open(p, "rb") as f:
        hlen = _chunk_shape_header_length(f, col.data_page_offset)
    body = col.data_page_offset + hlen
    data[body:body + 64] = bytes(range(64))  # the compressed head of the page: garbage
    p.write_bytes(bytes(data))
    with open(p, "rb") as f:
        got = _chunk_shape(f, col, 1, 1 << 30)
    assert got is not None and got[1] == n, got


def _chunk_shape_header_length(f, at):
    from winnow.io.parquet import _page_info

    f.seek(at)
    return _page_info(f.read(4096))[2]


def test_a_parquet_chunk_of_very_many_pages_is_walked_in_part_and_bounded_by_its_counts(tmp_path, monkeypatch):
    # a chunk of millions of tiny pages cost ~9 us a page header (a 1 GB file of 140-byte pages: ~10 x pyarrow's
    # reading of it); past _WALK_PAGES the rest is bounded by the chunk's own value count (here a limit of 20 pages:
    # the long row after them is counted, with the rest of the chunk, as part of the row in progress)
    import numpy as np

    from winnow.io import parquet
    from winnow.io.parquet import _chunk_shape

    monkeypatch.setattr(parquet, "_WALK_PAGES", 20, raising=False)
    lens = [2] * 300 + [500] + [2] * 10
    vals = np.random.default_rng(0).integers(0, 1 << 40, sum(lens))
    t = pa.table({"m": pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)),
                                                pa.array(vals))})
    p = tmp_path / "a.parquet"
    pq.write_table(t, p, data_page_size=64, write_batch_size=8, use_dictionary=False, compression="none")
    col = pq.ParquetFile(p).metadata.row_group(0).column(0)
    heads = []

    class Spy(io.BytesIO):
        def read(self, n=-1):
            heads.append(n)
            return super().read(n)
    got = _chunk_shape(Spy(p.read_bytes()), col, 1, 1 << 30)
    assert len([n for n in heads if n == 4096]) == 20, len(heads)  # 20 page headers read, not the chunk's ~150
    assert got is not None and 500 <= got[1] <= col.num_values and got[0] >= 64, got


def test_a_row_group_refused_past_the_page_walk_limit_says_so_and_names_no_page_it_did_not_see(tmp_path, monkeypatch):
    # past _WALK_PAGES the rest of the chunk is bounded as one page (and its values as one row): the row group was
    # quarantined as "has a page of 14,000 bytes once decompressed" when every page held ~70 (review16)
    import numpy as np

    from winnow.io import parquet
    from winnow.io.parquet import ParquetReader

    monkeypatch.setattr(parquet, "_WALK_PAGES", 20)
    monkeypatch.setattr(parquet, "_MAX_PAGE_BYTES", 4096)
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"text": ["t"] * 2000, "n": np.arange(2000, dtype=np.int64)}), p, data_page_size=64,
                   write_batch_size=8, use_dictionary=False, compression="none")
    assert pq.ParquetFile(p).metadata.row_group(0).column(1).total_uncompressed_size > 4 * 4096
    out = list(ParquetReader(paths=str(p), max_record_bytes=100).read(str(p)))
    why = [q.message for q in out if getattr(q, "reason", None) == "too_large"]
    assert len(why) == 1 and "has a page of" not in why[0] and "more than 20 pages" in why[0], why
