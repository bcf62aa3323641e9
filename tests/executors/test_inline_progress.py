"""The inline executor's progress on a terminal: documents and documents/s while a shard runs (a single big shard
showed nothing until it ended), on stderr only, and nothing at all when stderr is not a terminal."""

from __future__ import annotations

import io
import sys

from winnow import pipeline as pl
from winnow.executors import InlineExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter

from tests.helpers import read_all, write_jsonl


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(tmp_path, name: str, progress: bool) -> dict[str, bytes]:
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[LengthFilter(min_chars=20)])])
    run_pipeline(pipe, tmp_path / name, InlineExecutor(progress=progress), log=False, report=False)
    return {k: v for k, v in read_all(tmp_path / name).items() if k.startswith(("kept/", "rejected/"))}


def test_inline_shows_documents_per_second_within_a_shard_on_a_terminal(tmp_path, monkeypatch, capsys):
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": "word " * (i % 9)} for i in range(300)])
    monkeypatch.setattr(pl, "PROGRESS_EVERY", 100)  # a report every 100 documents: three within the one shard
    quiet = _run(tmp_path, "quiet", progress=True)  # stderr is pytest's capture, not a terminal
    assert capsys.readouterr().err == ""
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    shown = _run(tmp_path, "shown", progress=True)
    monkeypatch.undo()
    out = term.getvalue()
    # before the shard ended (0/1 shards) the bar already counted its documents and their rate
    assert "0/1" in out and "100 docs" in out and "200 docs" in out and "docs/s" in out
    assert shown == quiet  # no effect on the outputs
    assert capsys.readouterr().out == ""  # stderr only
