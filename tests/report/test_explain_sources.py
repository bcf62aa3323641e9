"""`winnow explain` and the report show the sources a stitched page was found made of, with their sentences
(issue 18: "this page is stitched from 4 sources" with the sentences of each), read back from the run's records."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.report import rpt_steps  # noqa: F401  (registers _rpt_lines)
from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.document import Document
from winnow.report import render_report
from winnow.report._run import doc_path, iter_terminal, load_run, stitched_sources
from winnow.run import run_pipeline
from winnow.sentences import sentence_spans
from winnow.steps.coherence import OfftopicSentences

SPECIMEN = (Path(__file__).resolve().parents[1] / "fixtures" / "coherence" / "stitched-page.txt").read_text()


def _run(tmp: Path, on_drop: str, after: list[dict]) -> Path:
    src = tmp / "in.jsonl"
    src.write_bytes(orjson.dumps({"id": "specimen", "text": SPECIMEN}) + b"\n")
    raw = {"run": {"name": "sources"}, "on_drop": on_drop, "executor": {"type": "inline"},
           "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": str(src)},
                       "steps": [{"type": "offtopic_sentences"}, {"type": "stitched_document"}, *after],
                       "writer": {"type": "jsonl"}}]}
    out = tmp / "run"
    run_pipeline(pipeline_from_dict(raw), out, "inline", log=False)
    return out


def _judged_sentences() -> list[str]:
    # The text stitched_document judged, made here by running the cleaning step itself (not from the records).
    text = OfftopicSentences().map(Document("specimen", SPECIMEN)).text
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize("on_drop,after", [
    ("route", []),
    # a later step removes the whole (one-line) text: the sources are read against the text before its edit
    ("annotate", [{"type": "_rpt_lines", "min_words": 100_000}]),
])
def test_explain_quotes_each_source_of_the_specimen(tmp_path, capsys, on_drop, after):
    run_dir = _run(tmp_path, on_drop, after)
    rec = next(iter_terminal(load_run(run_dir)))
    attrs = rec.doc["attributes"]
    groups = attrs["stitched_document.clusters"]
    assert len(groups) == attrs["stitched_document.sources"] >= 2
    if after:
        assert rec.doc["text"] == ""  # the later edit really happened
    sents = _judged_sentences()
    assert main(["explain", str(run_dir), "specimen", "--json"]) == 0
    story = orjson.loads(capsys.readouterr().out)["records"][0]
    step = next(s for s in story["steps"] if s["step"] == "stitched_document")
    assert [s["sentences"] for s in step["sources"]] == groups
    assert [s["quotes"] for s in step["sources"]] == [[sents[i] for i in g[:2]] for g in groups]
    assert main(["explain", str(run_dir), "specimen"]) == 0
    out = capsys.readouterr().out
    assert f"stitched from {len(groups)} sources" in out
    assert f"source 1: {len(groups[0])} sentences: {sents[groups[0][0]]!r}"[:80] in out
    html = render_report(run_dir)
    assert f"stitched from {len(groups)} sources" in html and "<q>" in html


def test_sources_that_do_not_fit_the_text_show_indices_only(tmp_path):
    run_dir = _run(tmp_path, "route", [])
    info = load_run(run_dir)
    rec = next(iter_terminal(info))
    path = doc_path(info, rec)
    j = next(k for k, s in enumerate(path.steps) if s.type == "stitched_document")
    assert stitched_sources(rec.doc, path, j)
    n = len(sentence_spans(rec.doc["text"]))
    for bad in ([[0, 1], [n]], [[0], [-1]], [[0, 1]], [[0, "x"]], [[0], []], "0,1", [[True], [1]]):
        rec.doc["attributes"]["stitched_document.clusters"] = bad
        assert stitched_sources(rec.doc, path, j) is None
