"""Training-ready output: writers select and rename fields, put attributes and edits in side files keyed by id
(read back by the next stage, the report, explain, whatif and apply), and Parquet stores typed columns."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from winnow.cli import main
from winnow.config import load_pipeline
from winnow.document import Document, Drop, Edit
from winnow.errors import ConfigError
from winnow.io.base import open_read
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.run import run_pipeline

from tests.helpers import read_all, text_records, write_jsonl


def _lines(p: Path) -> list[dict]:
    with open_read(p) as f:
        return [orjson.loads(x) for x in f if x.strip()]


def _cfg(tmp_path: Path, src: Path, writer_a: dict, writer_b: dict, mode: str = "route") -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "on_drop": mode, "stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "gopher_quality", "min_words": 150}, {"type": "c4_quality"}], "writer": writer_a},
        {"name": "b", "from": "a", "steps": [{"type": "length", "min_chars": 6000}], "writer": writer_b,
         "rejects": writer_b}]}, sort_keys=False))
    return p


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_fields_and_side_files_keep_explain_whatif_and_the_next_stage_working(tmp_path, real_docs, capsys, fmt):
    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 40))
    cfg = _cfg(tmp_path, src, {"type": fmt, "fields": ["id", "text", "url"]},
               {"type": fmt, "fields": {"doc_id": "id", "content": "text", "link": "url"}})
    res = run_pipeline(load_pipeline(cfg), tmp_path / "run", "inline", log=False, verify_files=True)
    run = tmp_path / "run"
    ext = ".jsonl.zst" if fmt == "jsonl" else ".parquet"
    kept_b = run / "kept" / "b" / f"00000{ext}"
    if fmt == "jsonl":
        rows = _lines(kept_b)
    else:
        rows = pq.read_table(kept_b).to_pylist()
        assert pq.read_schema(kept_b).names == ["doc_id", "content", "link"]
    assert rows and all(set(r) == {"doc_id", "content", "link"} for r in rows)  # training-ready: nothing else
    assert all(isinstance(r["link"], str) for r in rows) and any(r["link"].startswith("http") for r in rows)
    # the side file mirrors the documents file, keyed by id, with everything but the text
    side = _lines(run / "attributes" / "kept" / "b" / "00000.jsonl.zst")
    assert [s["id"] for s in side] == [r["doc_id"] for r in rows]
    assert "text" not in side[0] and set(side[0]) == {"id", "metadata", "attributes", "edits", "drop"}
    # stage b read stage a's documents whole again: a's signals and edits travelled through the side files
    assert all("gopher_quality.words" in s["attributes"] and "length.chars" in s["attributes"] for s in side)
    assert any(e["step"] == "c4_quality" for s in side for e in s["edits"])
    rej = [r for p in sorted((run / "attributes" / "rejected" / "b").glob("*.jsonl.zst")) for r in _lines(p)]
    assert rej and all(r["drop"]["step"] == "length" for r in rej)
    st = res.stats["stages"]
    assert st[1]["in"] == st[0]["kept"] and all(s["balanced"] for s in st)
    # the Python API reads them back whole too
    from winnow import open_run

    kept = list(open_run(run).kept())
    assert [d.id for d in kept] == [s["id"] for p in sorted((run / "attributes" / "kept" / "b").glob("*"))
                                    for s in _lines(p)]
    assert all(d.text and "gopher_quality.words" in d.attributes for d in kept)
    assert all(d.drop and d.drop.step == "length" for d in open_run(run).rejected("b"))

    # explain and whatif read the side files
    did = rows[0]["doc_id"]
    assert main(["explain", str(run), did, "--json"]) == 0
    ex = json.loads(capsys.readouterr().out)
    assert json.dumps(ex).count("gopher_quality.words") >= 1 and "kept" in json.dumps(ex)
    for idx in (run / "index").glob("*"):  # without the explain index: the scan finds the side files too
        idx.unlink()
    assert main(["explain", str(run), did, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ex
    assert main(["whatif", str(run), "--set", "gopher_quality.min_words=100000", "--json"]) == 0
    w = json.loads(capsys.readouterr().out)
    assert w["kept"]["docs"] == [st[1]["kept"], 0]
    html = (run / "report.html").read_text()
    assert 'class="warn"' not in html  # the report's counts, rebuilt from the documents, match the ledger


def test_fields_must_name_id_and_text(tmp_path, real_docs):
    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 2))
    with pytest.raises(ConfigError, match="fields must include text"):
        load_pipeline(_cfg(tmp_path, src, {"type": "jsonl", "fields": ["id", "url"]}, {"type": "jsonl"}))


def test_side_files_resume_byte_identical(tmp_path, real_docs):
    for i in range(3):
        write_jsonl(tmp_path / "in" / f"p{i}.jsonl", text_records(real_docs, i * 10, 10))
    cfg = _cfg(tmp_path, tmp_path / "in" / "*.jsonl", {"type": "jsonl", "side_files": True},
               {"type": "parquet", "fields": ["id", "text"]})
    run_pipeline(load_pipeline(cfg), tmp_path / "ref", "inline", log=False)
    run_pipeline(load_pipeline(cfg), tmp_path / "re", "inline", log=False)
    # a shard that did not finish: its marker and outputs gone (side files too), as after a kill
    for p in [tmp_path / "re" / "done" / "a" / "p0" / "00001", tmp_path / "re" / "kept" / "a" / "00001.jsonl.zst",
              tmp_path / "re" / "attributes" / "kept" / "a" / "00001.jsonl.zst", tmp_path / "re" / "done" / "b"]:
        if p.is_dir():
            import shutil

            shutil.rmtree(p)
        else:
            p.unlink()
    run_pipeline(load_pipeline(cfg), tmp_path / "re", "inline", log=False)
    pick = lambda d: {k: v for k, v in read_all(d).items() if k.startswith(("kept/", "rejected/", "attributes/"))}  # noqa: E731
    ref = pick(tmp_path / "ref")
    assert any(k.startswith("attributes/kept/a/") for k in ref) and ref == pick(tmp_path / "re")
    # side_files without fields: id, text, metadata inline
    assert set(_lines(tmp_path / "ref" / "kept" / "a" / "00000.jsonl.zst")[0]) == {"id", "text", "metadata"}


def test_parquet_typed_columns_round_trip(tmp_path):
    docs = [Document("a", "hello world", {"url": "http://x", "n": 3, "nested": {"a": [1, 2]}},
                     {"q.words": 2, "q.ratio": 0.5, "q.flag": True, "q.lang": "en", "big": 1 << 70, "none": None,
                      "x.drop": {"step": "q", "reason": "r", "value": 1, "threshold": 2}},
                     [Edit(0, 1, "s", "r", "x", "", None), Edit(2, 3, "s", "whitespace", "  ", " ", 0.5)],
                     Drop("q", "r", 1.0, 2.0)),
            Document("b", "t")]
    h = ParquetWriter().open(tmp_path / "f.parquet")
    for d in docs:
        h.write(d)
    h.close()
    schema = pq.read_schema(tmp_path / "f.parquet")
    for name in ("attributes", "metadata"):  # a list of {key, value} structs (an Arrow map: datasets can't load it)
        t = schema.field(name).type
        assert pa.types.is_list(t) and [f.name for f in t.value_type] == ["key", "value"]
    assert pa.types.is_list(schema.field("edits").type)
    back = list(ParquetReader(paths=str(tmp_path / "f.parquet")).read(str(tmp_path / "f.parquet")))
    assert [b.to_dict() for b in back] == [d.to_dict() for d in docs]
    a = back[0].attributes
    assert type(a["q.words"]) is int and type(a["q.ratio"]) is float and a["q.flag"] is True and a["big"] == 1 << 70
    # typed values are queryable without parsing JSON
    attrs = {e["key"]: e["value"] for e in pq.read_table(tmp_path / "f.parquet").column("attributes").to_pylist()[0]}
    assert attrs["q.words"]["int"] == 2 and attrs["q.ratio"]["float"] == 0.5


def test_parquet_files_from_before_typed_columns_still_read(tmp_path):
    old = pa.schema([("id", pa.string()), ("text", pa.string()), ("metadata", pa.string()),
                     ("attributes", pa.string()), ("edits", pa.string()), ("drop_step", pa.string()),
                     ("drop_reason", pa.string()), ("drop_value", pa.float64()), ("drop_threshold", pa.float64())])
    row = {"id": "a", "text": "t", "metadata": '{"url": "u"}', "attributes": '{"x": 1}', "edits": "[]",
           "drop_step": None, "drop_reason": None, "drop_value": None, "drop_threshold": None}
    pq.write_table(pa.Table.from_pylist([row], schema=old), tmp_path / "o.parquet")
    (d,) = ParquetReader(paths=str(tmp_path / "o.parquet")).read(str(tmp_path / "o.parquet"))
    assert d.metadata == {"url": "u"} and d.attributes == {"x": 1}


def test_whitespace_normalisation_is_counted_apart(tmp_path, real_docs):
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.steps.extract import HtmlExtract
    from winnow.steps.quality import C4Quality

    # the pages' HTML as the reader gives it (metadata.html), extracted, then C4's line cleaning
    src = write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": d.id, "text": "", "html": d.metadata["html"]}
                                                    for d in real_docs[:40]])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(src)),
                                  steps=[HtmlExtract(), C4Quality(filter_no_terminal_punct=False)])])
    st = run_pipeline(pipe, tmp_path / "run", "inline", log=False).stats["stages"][0]["steps"][1]
    docs = [Document.from_dict(r) for p in sorted((tmp_path / "run").glob("*/s/*.jsonl.zst")) for r in _lines(p)]
    content = sum(any(e.reason != "whitespace" for e in d.edits) for d in docs)
    spaces = sum(any(e.reason == "whitespace" for e in d.edits) for d in docs)
    assert spaces > content  # C4 trims nearly every page; few lose content
    assert st["edited"] == content and st["normalised"] == spaces
    html = (tmp_path / "run" / "report.html").read_text()
    assert f"+{spaces} whitespace" in html and 'class="warn"' not in html


def test_parquet_written_with_the_arrow_map_type_still_reads(tmp_path):
    # files written before the typed columns became lists of {key, value} structs hold Arrow maps
    import pyarrow.parquet as pq

    from winnow.io.parquet import SCHEMA, VALUE, encode_map

    old_map = pa.map_(pa.string(), VALUE)
    schema = pa.schema([pa.field(f.name, old_map) if f.name in ("metadata", "attributes") else f for f in SCHEMA])
    doc = Document("a", "text", metadata={"url": "https://x.example/", "n": 3}, attributes={"s.score": 0.5})
    row = {f.name: None for f in SCHEMA}
    row.update(id="a", text="text", edits=[],
               metadata=[(e["key"], e["value"]) for e in encode_map(doc.metadata)],
               attributes=[(e["key"], e["value"]) for e in encode_map(doc.attributes)])
    pq.write_table(pa.Table.from_pylist([row], schema=schema), tmp_path / "old.parquet")
    back = list(ParquetReader(paths=str(tmp_path / "old.parquet")).read(str(tmp_path / "old.parquet")))
    assert [b.to_dict() for b in back] == [doc.to_dict()]


def test_zstd_writes_gathered_in_chunks_give_the_bytes_of_one_write_per_record(tmp_path, monkeypatch):
    """The zstd writer hands the compressor chunks of _ZSTD_CHUNK bytes instead of every record's line and newline:
    the file must hold the same frame, byte for byte, as the same lines written one call at a time (run folders and
    resumed runs are compared byte for byte), whatever the chunk size, and end with the last partial chunk."""
    import random

    import zstandard

    from winnow.io import base

    rng = random.Random(3)
    words = [bytes(rng.choice(b"abcdefghij \xc3\xa9") for _ in range(rng.randint(1, 12))) for _ in range(500)]
    lines = [b" ".join(rng.choices(words, k=rng.choice((1, 20, 300, 5000)))) for _ in range(900)]  # ~8 MB
    want = tmp_path / "one-write-each.zst"
    with open(want, "wb") as raw:
        w = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
        for line in lines:
            w.write(line)
            w.write(b"\n")
        w.close()
    for chunk in (1 << 20, 1000, 1 << 17, 7):
        monkeypatch.setattr(base, "_ZSTD_CHUNK", chunk)
        got = tmp_path / f"chunks-{chunk}.jsonl.zst"
        f = base.open_write(got, 3)
        for line in lines:
            f.write(line)
            f.write(b"\n")
        f.close()
        assert got.read_bytes() == want.read_bytes(), chunk
    assert zstandard.ZstdDecompressor().stream_reader(want.read_bytes()).read() == b"".join(x + b"\n" for x in lines)
