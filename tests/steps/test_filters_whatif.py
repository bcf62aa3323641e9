"""The thresholds of the new filters (sample.rate, c4_paragraph.min_paragraphs, repetition.max_score,
url_filter.soft_word_threshold) replay in `winnow whatif` exactly as a rerun decides."""

from __future__ import annotations

import orjson
import pytest

from winnow.config import pipeline_from_dict
from winnow.report._run import load_run
from winnow.report.whatif import compute_whatif, resolve_sets
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl

SOFT = ["https://example.net/babes/page", "https://example.net/babes-anus/x", "https://example.net/a"]


def _pipe(src, on_drop="annotate", rate=0.6, min_paragraphs=3, max_score=20, soft=2):
    return pipeline_from_dict({"on_drop": on_drop, "executor": "inline", "stages": [{
        "name": "main", "reader": {"type": "jsonl", "paths": str(src)},
        "steps": [{"type": "url_filter", "soft_word_threshold": soft, "on_missing_url": "keep"},
                  {"type": "sample", "rate": rate},
                  {"type": "c4_paragraph", "min_paragraphs": min_paragraphs},
                  {"type": "repetition", "max_score": max_score}]}]})


@pytest.fixture(scope="module")
def src(tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp("filters-whatif")
    recs = text_records(real_docs, 0, 60)
    for i, r in enumerate(recs):
        r["url"] = SOFT[i % 3] + str(i)
    return write_jsonl(tmp / "in.jsonl", recs), tmp


def _kept(run_dir):
    return orjson.loads((run_dir / "stats.json").read_bytes())["stages"][0]["kept"]


@pytest.mark.parametrize("sets,rerun", [
    ({"sample.rate": 0.3}, {"rate": 0.3}),
    ({"c4_paragraph.min_paragraphs": 1}, {"min_paragraphs": 1}),
    ({"repetition.max_score": 6}, {"max_score": 6}),
    ({"url_filter.soft_word_threshold": 1}, {"soft": 1}),
], ids=["sample", "c4_paragraph", "repetition", "url_filter"])
def test_thresholds_replay_as_a_rerun(src, sets, rerun):
    path, tmp = src
    base = tmp / "base"
    if not base.exists():
        run_pipeline(_pipe(path), base, "inline", log=False, report=False)
    info = load_run(base)
    res = compute_whatif(info, resolve_sets(info, sets))
    name = "rerun-" + "-".join(f"{k}{v}" for k, v in rerun.items())
    run_pipeline(_pipe(path, on_drop="route", **rerun), tmp / name, "inline", log=False, report=False)
    assert res["kept"]["docs"][1] == _kept(tmp / name)
    assert res["kept"]["docs"][1] != res["kept"]["docs"][0]  # the change matters on these documents
