"""Side files and Dolma attribute sets follow their documents file line by line. A review found four ways they
fell out of step (byte-range shards, a quarantined line, a next stage's smaller size cap, a damaged line): each
lost verdicts silently, quarantined good documents, or failed the shard. Each case here failed before the fix."""

from __future__ import annotations

import orjson

from winnow.document import Document
from winnow.io.jsonl import JsonlReader, JsonlWriter
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter


def _dolma(tmp_path, n=200):
    docs, attrs = tmp_path / "dd" / "documents", tmp_path / "dd" / "attributes" / "tox"
    docs.mkdir(parents=True)
    attrs.mkdir(parents=True)
    with open(docs / "a.jsonl", "wb") as d, open(attrs / "a.jsonl", "wb") as a:
        for i in range(n):
            d.write(orjson.dumps({"id": f"d{i}", "text": "t" * 50, "source": "s", "added": "", "created": "",
                                  "metadata": {}}) + b"\n")
            a.write(orjson.dumps({"id": f"d{i}", "attributes": {"tox__x__score": [[0, 50, i]]}}) + b"\n")
    return docs / "a.jsonl"


def _read(reader):
    return [it for k in reader.shards() for it in reader.read(k)]


def test_dolma_attributes_survive_a_shard_size_that_would_split_the_file(tmp_path):
    path = _dolma(tmp_path)
    out = _read(JsonlReader(paths=str(path), format="dolma", attributes=["tox"], shard_size_mb=0.002))
    docs = [x for x in out if isinstance(x, Document)]
    assert len(docs) == 200 and all(d.attributes["tox__x__score"][0][2] == int(d.id[1:]) for d in docs)


def test_a_quarantined_documents_line_does_not_put_later_attributes_out_of_step(tmp_path):
    path = _dolma(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[10] = b'{"id":"d10","text":5}'
    path.write_bytes(b"\n".join(lines))
    out = _read(JsonlReader(paths=str(path), format="dolma", attributes=["tox"]))
    docs = [x for x in out if isinstance(x, Document)]
    assert len(docs) == 199 and [x.reason for x in out if not isinstance(x, Document)] == ["bad_record"]
    assert all(d.attributes["tox__x__score"][0][2] == int(d.id[1:]) for d in docs)


def _annotated_datatrove_run(tmp_path):
    src = tmp_path / "in" / "a.jsonl"
    src.parent.mkdir()
    src.write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": "x" * (i * 3)}) + b"\n" for i in range(100)))
    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src)), steps=[LengthFilter(min_chars=100)],
                                  writer=JsonlWriter(format="datatrove", compression="none"))], on_drop="annotate")
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    return tmp_path / "run" / "kept" / "s1"


def test_a_run_written_in_datatrove_layout_reads_back_whole_at_any_shard_size(tmp_path):
    kept = _annotated_datatrove_run(tmp_path)
    for size in (0, 0.002):  # before: byte ranges skipped the side file, so verdicts and attributes vanished
        docs = [d for d in _read(JsonlReader(paths=str(kept / "*.jsonl"), format="datatrove", shard_size_mb=size))
                if isinstance(d, Document)]
        assert len(docs) == 100 and all(d.attributes for d in docs)
        assert sum(any(k.endswith(".drop") for k in d.attributes) for d in docs) == 34


def test_a_damaged_line_of_a_file_with_a_side_file_is_quarantined_not_raised(tmp_path):
    kept = _annotated_datatrove_run(tmp_path)
    f = next(kept.glob("*.jsonl"))
    lines = f.read_bytes().split(b"\n")
    lines[3] = b'{"id":"d3","text":'
    f.write_bytes(b"\n".join(lines))
    out = _read(JsonlReader(paths=str(kept / "*.jsonl"), format="datatrove"))
    docs = [x for x in out if isinstance(x, Document)]
    assert len(out) == 100 and len(docs) == 99 and all(d.attributes for d in docs)


def test_a_later_stage_reads_back_what_the_first_admitted(tmp_path):
    # s1 admits a 33 MiB document under its 64 MiB cap; s2's reader of s1's output had the 32 MiB default
    src = tmp_path / "in" / "a.jsonl"
    src.parent.mkdir()
    src.write_bytes(orjson.dumps({"id": "big", "text": "a" * (33 << 20)}) + b"\n"
                    + orjson.dumps({"id": "small", "text": "hello"}) + b"\n")
    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src), max_record_bytes=64 << 20),
                                  writer=JsonlWriter(fields=["id", "text"])),
                            Stage("s2", source="s1")])
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    s2 = res.stats["stages"][1]
    assert (s2["in"], s2["kept"], s2["quarantined"]) == (2, 2, 0)
