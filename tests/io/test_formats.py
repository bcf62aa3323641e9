"""Peers' layouts both ways (``format: winnow | datatrove | dolma``) and the readers' options users expect (skip,
sample, limit, metadata from dotted paths, ``**`` globs). The peers' files are hand-made fixtures in their writers'
exact layouts: tests/fixtures/peers/SOURCE.txt says where each layout is defined."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from winnow.config import load_pipeline
from winnow.document import Document, Drop, Edit, Quarantine
from winnow.io.base import open_read
from winnow.io.fields import side_path
from winnow.io.jsonl import JsonlReader, JsonlWriter
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.io.text import TextFolderReader
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl

PEERS = Path(__file__).resolve().parent.parent / "fixtures" / "peers"


def _read(reader) -> list:
    return [x for shard in reader.shards() for x in reader.read(shard)]


def _docs(reader) -> list[Document]:
    return [x for x in _read(reader) if isinstance(x, Document)]


def _lines(p: Path) -> list[dict]:
    with open_read(p) as f:
        return [orjson.loads(x) for x in f if x.strip()]


# --- reading the peers' files -----------------------------------------------------------------------------------

def test_datatrove_jsonl_nested_and_expanded_metadata_read_as_metadata():
    docs = _docs(JsonlReader(paths=str(PEERS / "datatrove" / "*.jsonl"), format="datatrove"))
    by_id = {d.id: d for d in docs}
    assert set(by_id) == {"cc/0", "cc/1", "cc/2", "cc/3"}
    assert by_id["cc/0"].metadata["url"] == "https://a.com/x" and by_id["cc/0"].metadata["language"] == "en"
    assert "metadata" not in by_id["cc/0"].metadata and by_id["cc/0"].metadata["language_score"] == 0.93
    assert by_id["cc/3"].metadata["url"] == "https://b.org/y" and by_id["cc/3"].metadata["language"] == "fr"
    assert by_id["cc/2"].text == "A page with no metadata." and by_id["cc/2"].attributes == {}


def test_datatrove_parquet_struct_metadata_without_the_nulls_of_absent_keys(tmp_path):
    # datatrove's ParquetWriter: pyarrow table from the adapted dicts; a key absent from a row becomes null there
    rows = [r for r in (orjson.loads(x) for x in (PEERS / "datatrove" / "00000.jsonl").read_bytes().splitlines())]
    rows[0]["metadata"]["only_here"] = 1
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "00000.parquet")
    docs = _docs(ParquetReader(paths=str(tmp_path / "*.parquet"), format="datatrove"))
    assert docs[0].metadata["only_here"] == 1 and docs[0].metadata["url"] == "https://a.com/x"
    assert "only_here" not in docs[1].metadata  # not a null that no document had
    assert docs[1].metadata["language"] == "en"


def test_dolma_documents_with_an_attribute_set():
    docs = _docs(JsonlReader(paths=str(PEERS / "dolma" / "documents" / "*.jsonl"), format="dolma",
                             attributes=["quality"]))
    assert [d.id for d in docs] == ["d0", "d1"]
    assert docs[0].metadata == {"source": "common-crawl", "added": "2024-01-01T00:00:00Z",
                                "created": "2023-06-01T00:00:00Z", "url": "https://c.net/0"}
    assert docs[1].attributes == {"quality__gopher__word_count": [[0, 27, 4.0]]}


def test_dolma_missing_or_out_of_step_attributes_are_quarantined_not_dropped(tmp_path):
    root = tmp_path / "d"
    shutil.copytree(PEERS / "dolma", root)
    got = _read(JsonlReader(paths=str(root / "documents" / "*.jsonl"), format="dolma", attributes=["nope"]))
    assert len(got) == 1 and isinstance(got[0], Quarantine) and got[0].reason == "missing_attributes"
    assert "'nope'" in got[0].message
    att = root / "attributes" / "quality" / "part-0.jsonl"
    att.write_bytes(att.read_bytes().splitlines(keepends=True)[1])  # d1 only: d0's record is missing
    got = _read(JsonlReader(paths=str(root / "documents" / "*.jsonl"), format="dolma", attributes=["quality"]))
    assert [type(x).__name__ for x in got] == ["Quarantine", "Quarantine"]
    assert all(q.reason == "attributes_mismatch" for q in got)


# --- writing them, and reading back ---------------------------------------------------------------------------

def _rich_docs(real_docs, n=12) -> list[Document]:
    out = []
    for i, d in enumerate(real_docs[:n]):
        meta = {"source": "crawl.jsonl", "url": d.metadata.get("url"), "language": "en", "n": i}
        if i % 3 == 0:
            meta["added"] = "2024-01-01"
        if i == 5:
            meta["n"] = "five"  # a type the first row group did not have: the column cannot hold it
        doc = Document(id=f"doc-{i}", text=d.text, metadata=meta,
                       attributes={"gopher_quality.words": i * 10, "lang.score": 0.5 + i / 100})
        if i % 2:
            doc.edits = [Edit(0, 1, "c4_quality", "line", d.text[:1])]
        if i % 4 == 1:
            doc.drop = Drop("length", "too_short", 3.0, 100.0)
        out.append(doc)
    return out


@pytest.mark.parametrize("fmt", ["datatrove", "dolma"])
@pytest.mark.parametrize("writer,reader", [(JsonlWriter, JsonlReader), (ParquetWriter, ParquetReader)])
def test_write_then_read_with_the_same_format_gives_the_same_documents(tmp_path, real_docs, fmt, writer, reader):
    docs = _rich_docs(real_docs)
    w = writer(format=fmt, **({"rows_per_group": 4} if writer is ParquetWriter else {}))
    w.validate()
    assert w.writes_side
    path = tmp_path / "run" / "kept" / "main" / f"00000{w.extension}"
    side = side_path(path)
    path.parent.mkdir(parents=True)
    side.parent.mkdir(parents=True)
    h = w.open(path, side=side)
    for d in docs:
        h.write(d)
    h.close()
    # the documents file is the peer's layout exactly
    rows = _lines(path) if writer is JsonlWriter else pq.read_table(path).to_pylist()
    keys = {"text", "id", "metadata"} if fmt == "datatrove" else {"id", "text", "source", "added", "metadata"}
    assert all(set(r) <= keys for r in rows) and set(rows[0]) == keys
    if fmt == "datatrove":
        assert rows[0]["metadata"]["url"] == docs[0].metadata["url"]
    else:
        assert rows[0]["source"] == "crawl.jsonl" and rows[0]["added"] == "2024-01-01"
        assert "source" not in rows[0]["metadata"]
    back = _docs(reader(paths=str(path), format=fmt))
    assert back == docs  # attributes, edits and the drop from the side file
    # without the side file, the peer's fields alone still give the text, id and metadata
    side.unlink()
    bare = _docs(reader(paths=str(path), format=fmt))
    assert [(d.id, d.text) for d in bare] == [(d.id, d.text) for d in docs]
    assert bare[0].metadata == docs[0].metadata


def test_dolma_side_files_hold_dolma_attribute_spans(tmp_path):
    doc = Document(id="a", text="hello world", metadata={"source": "s"},
                   attributes={"gopher_quality.words": 2, "lang.score": 0.75, "classify.labels": ["x"],
                               "flag": True, "quality__gopher__word_count": [[0, 11, 2.0]]},
                   edits=[Edit(0, 1, "c4_quality", "line", "h")], drop=Drop("length", "too_short", 11.0, 100.0))
    path = tmp_path / "run" / "kept" / "s" / "00000.jsonl.zst"
    side = side_path(path)
    path.parent.mkdir(parents=True)
    side.parent.mkdir(parents=True)
    h = JsonlWriter(format="dolma").open(path, side=side)
    h.write(doc)
    h.close()
    (rec,) = _lines(side)
    assert rec["id"] == "a" and rec["attributes"] == {
        "winnow__gopher_quality__words": [[0, 11, 2]], "winnow__lang__score": [[0, 11, 0.75]],
        "quality__gopher__word_count": [[0, 11, 2.0]]}  # Dolma's own spans stay as they are
    assert rec["winnow_attributes"] == {"classify.labels": ["x"], "flag": True}
    assert _docs(JsonlReader(paths=str(path), format="dolma")) == [doc]


def test_datatrove_writer_without_side_files_writes_only_datatrove_fields(tmp_path):
    w = JsonlWriter(format="datatrove", compression="none", side_files=False)
    assert not w.writes_side
    h = w.open(tmp_path / "0.jsonl")
    h.write(Document(id="a", text="x", metadata={"url": "u"}))
    h.write(Document(id="b", text="y"))
    h.close()
    assert _lines(tmp_path / "0.jsonl") == [{"text": "x", "id": "a", "metadata": {"url": "u"}}, {"text": "y", "id": "b"}]


def test_format_and_fields_are_alternatives():
    with pytest.raises(ValueError, match="fields"):
        JsonlWriter(format="datatrove", fields=["id", "text"]).validate()
    with pytest.raises(ValueError, match="format must be one of"):
        JsonlReader(format="hf").validate()
    with pytest.raises(ValueError, match="needs format: dolma"):
        JsonlReader(attributes=["q"]).validate()


@pytest.mark.parametrize("kind,fmt", [("jsonl", "datatrove"), ("parquet", "datatrove"), ("jsonl", "dolma"),
                                      ("parquet", "dolma")])
def test_a_run_writes_datatrove_and_a_second_run_reads_that_folder_as_is(tmp_path, real_docs, kind, fmt, capsys):
    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 30))
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "gopher_quality"}], "writer": {"type": kind, "format": fmt}},
        {"name": "b", "from": "a", "steps": [{"type": "length", "min_chars": 3000}],
         "writer": {"type": kind, "format": fmt}}]}))
    run_pipeline(load_pipeline(cfg), tmp_path / "run", "inline", log=False)
    # Dolma's layout: documents/ beside attributes/winnow/, gzip by default
    ext = ".parquet" if kind == "parquet" else ".jsonl.gz" if fmt == "dolma" else ".jsonl.zst"
    folder_b = tmp_path / "run" / "kept" / "b" / ("documents" if fmt == "dolma" else "")
    kept_b = folder_b / f"00000{ext}"
    # stage b read stage a's datatrove files with their side files: the attributes of both stages are there
    docs = _docs((JsonlReader if kind == "jsonl" else ParquetReader)(paths=str(kept_b), format=fmt))
    assert docs and all("gopher_quality.words" in d.attributes and "length.chars" in d.attributes for d in docs)
    assert any(d.metadata.get("url") for d in docs)
    # a second run on the datatrove folder: no conversion step
    cfg2 = tmp_path / "p2.yaml"
    cfg2.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "c", "reader": {"type": kind, "format": fmt,
                                 "paths": str(folder_b / f"*{ext}")},
         "steps": [{"type": "url_dedup"}]}]}))
    res = run_pipeline(load_pipeline(cfg2), tmp_path / "run2", "inline", log=False)
    out = _docs(JsonlReader(paths=str(tmp_path / "run2" / "kept" / "c" / "*.jsonl.zst")))
    assert [d.id for d in out] == [d.id for d in docs]
    assert out[0].metadata["url"] == docs[0].metadata["url"]
    # explain reads the side files of the peer's layout: the decisions of stage a are there
    from winnow.cli import main
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "run"), docs[0].id, "--json"]) == 0
    assert "gopher_quality" in capsys.readouterr().out


# --- reader options -------------------------------------------------------------------------------------------

def _numbered(tmp_path: Path, n: int = 50) -> Path:
    return write_jsonl(tmp_path / "n.jsonl", [{"id": f"r{i}", "text": f"text {i}"} for i in range(n)])


def test_skip_sample_limit_are_deterministic_and_per_file(tmp_path):
    p = _numbered(tmp_path)
    ids = lambda **kw: [d.id for d in _docs(JsonlReader(paths=str(p), **kw))]
    assert ids(limit=5) == ["r0", "r1", "r2", "r3", "r4"]
    assert ids(skip=47) == ["r47", "r48", "r49"]
    assert ids(skip=10, limit=2) == ["r10", "r11"]
    half = ids(sample=0.5)
    assert 10 < len(half) < 40 and half == ids(sample=0.5)  # the same documents every time
    assert half != ids(sample=0.5, seed=1)
    assert set(ids(sample=0.25)) <= set(half)  # a smaller fraction of the same seed is a subset
    assert ids(sample=0.5, limit=3) == half[:3]
    # a big file is not split into ranges when counting from its start
    assert len(JsonlReader(paths=str(p), shard_size_mb=0.0001, limit=3).shards()) == 1
    for bad in ({"limit": -1}, {"sample": 0}, {"sample": 1.5}, {"skip": "2"}):
        with pytest.raises(ValueError):
            JsonlReader(paths=str(p), **bad).validate()


def test_quarantined_records_are_still_reported_under_sample(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"id": "a", "text": "x"}\n{not json\n{"id": "b", "text": "y"}\n')
    got = _read(JsonlReader(paths=str(p), sample=0.0001))
    assert [x.reason for x in got] == ["malformed_json"]


def test_limit_skip_on_parquet_and_text_folders(tmp_path):
    pq.write_table(pa.Table.from_pylist([{"id": f"p{i}", "text": "t"} for i in range(9)]), tmp_path / "a.parquet")
    assert [d.id for d in _docs(ParquetReader(paths=str(tmp_path / "a.parquet"), skip=2, limit=3))] == \
        ["p2", "p3", "p4"]
    folder = tmp_path / "txt"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(f"doc {i}")
    assert [d.id for d in _docs(TextFolderReader(paths=str(folder), limit=2))] == ["0.txt", "1.txt"]


def test_run_ledger_counts_only_the_documents_read(tmp_path):
    p = _numbered(tmp_path)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "s", "reader": {"type": "jsonl", "paths": str(p), "skip": 5, "limit": 20},
         "steps": [{"type": "length", "min_chars": 7}]}]}))
    run_pipeline(load_pipeline(cfg), tmp_path / "run", "inline", log=False)
    kept = _docs(JsonlReader(paths=str(tmp_path / "run" / "kept" / "s" / "*.jsonl.zst")))
    rej = _docs(JsonlReader(paths=str(tmp_path / "run" / "rejected" / "s" / "*")))
    assert len(kept) + len(rej) == 20 and kept[0].id == "r10"
    st = orjson.loads((tmp_path / "run" / "stats.json").read_bytes())["stages"][0]
    assert (st["in"], st["kept"] + st["rejected"], st["balanced"]) == (20, 20, True)  # skipped: not read


def test_fields_from_nested_paths_are_moved_into_metadata(tmp_path):
    # RedPajama-style: {"raw_content", "doc_id", "meta": {"url", "lang"}}
    p = write_jsonl(tmp_path / "rp.jsonl", [{"raw_content": "hello", "doc_id": 7, "body": {"html": "<p>"},
                                            "meta": {"url": "https://x.org", "lang": "en"}, "title": "T"}])
    r = JsonlReader(paths=str(p), text_key="raw_content", id_key="doc_id",
                    fields={"url": "meta.url", "language": "meta.lang", "headline": "title"})
    r.validate()
    (d,) = _docs(r)
    assert d.id == "7" and d.text == "hello"
    assert d.metadata["url"] == "https://x.org" and d.metadata["language"] == "en" and d.metadata["headline"] == "T"
    assert "title" not in d.metadata and d.metadata["meta"] == {}  # moved, not copied
    assert d.metadata["body"] == {"html": "<p>"}
    (d2,) = _docs(JsonlReader(paths=str(p), text_key="body.html", id_key="doc_id"))  # a dotted text key
    assert d2.text == "<p>" and d2.metadata["raw_content"] == "hello" and d2.metadata["body"] == {}


def test_a_glob_over_nested_folders(tmp_path):
    for rel in ("a/x.jsonl", "a/b/y.jsonl", "a/b/c/z.jsonl", "other.jsonl"):
        write_jsonl(tmp_path / rel, [{"id": rel, "text": "t"}])
    r = JsonlReader(paths=str(tmp_path / "a" / "**" / "*.jsonl"))
    assert sorted(d.id for d in _docs(r)) == ["a/b/c/z.jsonl", "a/b/y.jsonl", "a/x.jsonl"]


def test_warc_reader_takes_the_same_options():
    from winnow.io.warc import WarcReader

    cc = Path(__file__).resolve().parent.parent / "fixtures" / "extract" / "warcfile.warc.gz"
    every = [d.id for d in _docs(WarcReader(paths=str(cc)))]
    assert len(every) == 16
    assert [d.id for d in _docs(WarcReader(paths=str(cc), skip=3, limit=4))] == every[3:7]
    half = [d.id for d in _docs(WarcReader(paths=str(cc), sample=0.5, seed=3))]
    assert half == [i for i in every if i in set(half)] and 0 < len(half) < 16
    with pytest.raises(ValueError, match="sample"):
        WarcReader(paths=str(cc), sample=2).validate()
