"""Documents go through a shard's steps in windows (winnow.pipeline.WINDOW_DOCS, WINDOW_CHARS): one step over the
whole window, then the next. Every output must be what one document at a time gives, byte for byte: the kept,
rejected and quarantine files in input order, and the stats' first quarantine message per reason the first
document's, even where a later document fails at an earlier step than an earlier one."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest

from winnow import pipeline as pl
from winnow.executors import InlineExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.registry import lookup, register
from winnow.run import run_pipeline
from winnow.step import Map

from tests.helpers import read_all


@register("_test_window_fail")
@dataclass
class FailOn(Map):
    """Raises on a document whose text holds ``word``; others pass."""

    word: str = "boom"

    def map(self, doc):
        if self.word in doc.text.split():
            raise ValueError(f"{self.word!r} in {doc.id}")
        return doc


def _write_input(path) -> list[str]:
    """30 records: good ones, ones failing at the second step (d3, d17) before ones failing at the first (d4,
    d18), short ones that the length filter rejects, and malformed lines the reader quarantines."""
    lines, ids = [], []
    for i in range(30):
        if i in (5, 20):
            lines.append(b'{"id": "bad", "text": ')  # malformed: quarantined by the reader
            continue
        words = {3: "late", 17: "late", 4: "early", 18: "early"}.get(i, "plain")
        text = f"document {i} " + (f"{words} " * 30 if i % 7 else "x")  # every 7th too short to keep
        lines.append(orjson.dumps({"id": f"d{i}", "text": text}))
        ids.append(f"d{i}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return ids


def _run(tmp_path, name: str) -> tuple[dict[str, bytes], dict]:
    fail = lookup("_test_window_fail", "step")
    steps = [fail(word="early"), lookup("length", "step")(min_chars=20), fail(word="late")]
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")), steps=steps)])
    run_pipeline(pipe, tmp_path / name, executor=InlineExecutor(), log=False, report=False)
    out = {k: v for k, v in read_all(tmp_path / name).items() if k.startswith(("kept/", "rejected/", "quarantine/"))}
    return out, orjson.loads((tmp_path / name / "stats" / "s" / "p0" / "00000.json").read_bytes())


@pytest.mark.parametrize("docs,chars", [(64, 8_000_000), (4, 8_000_000), (64, 100)])
def test_windows_give_the_outputs_of_one_document_at_a_time(tmp_path, monkeypatch, docs, chars):
    _write_input(tmp_path / "in" / "a.jsonl")
    monkeypatch.setattr(pl, "WINDOW_DOCS", 1)
    ref, ref_stats = _run(tmp_path, "one")
    monkeypatch.setattr(pl, "WINDOW_DOCS", docs)
    monkeypatch.setattr(pl, "WINDOW_CHARS", chars)
    got, stats = _run(tmp_path, "win")
    assert got == ref
    assert stats["quarantine_first"] == ref_stats["quarantine_first"]
    assert stats["quarantine_reasons"] == ref_stats["quarantine_reasons"] == {"malformed_json": 2, "step_error": 4}
    # the quarantine file lists them in input order: d3 failed at the last step before d4 failed at the first
    quar = [orjson.loads(x) for x in got["quarantine/s/00000.p0.jsonl"].splitlines()]
    where = [q.get("location") for q in quar]
    assert where == ["document d3", "document d4", "line 6", "document d17", "document d18", "line 21"]
    assert "d3" in stats["quarantine_first"]["step_error"]
