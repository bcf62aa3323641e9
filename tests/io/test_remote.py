"""Inputs on any filesystem fsspec knows: here its in-memory filesystem, a real fsspec implementation."""

import fsspec
import orjson

from winnow.executors import InlineExecutor
from winnow.io.base import expand_paths
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter

from tests.helpers import text_records


def test_reads_and_globs_fsspec_urls(tmp_path, real_docs):
    fs = fsspec.filesystem("memory")
    for i in range(2):
        with fs.open(f"/bucket/crawl/part-{i}.jsonl", "wb") as f:
            for r in text_records(real_docs, i * 10, 10):
                f.write(orjson.dumps(r) + b"\n")
    paths = expand_paths("memory://bucket/crawl/*.jsonl")
    assert [p.split("://")[0] for p in paths] == ["memory", "memory"]
    assert [p.rsplit("/", 1)[1] for p in paths] == ["part-0.jsonl", "part-1.jsonl"]
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths="memory://bucket/crawl/*.jsonl"),
                                  steps=[LengthFilter(min_chars=2000)])])
    res = run_pipeline(pipe, tmp_path / "run", InlineExecutor(), log=False, report=False)
    st = res.stats["stages"][0]
    assert st["in"] == 20 and st["balanced"]
    assert st["kept"] == sum(len(d.text.strip()) >= 2000 for d in real_docs[:20])
