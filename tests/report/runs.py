"""Pipelines and runs shared by the report tests."""

from __future__ import annotations

from pathlib import Path

from tests.report import rpt_steps  # noqa: F401  (registers the test steps)
from winnow.config import pipeline_from_dict
from winnow.run import run_pipeline

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "src" / "winnow" / "configs" / "default.yaml"
HOSTILE = REPO / "tests" / "fixtures" / "report" / "hostile.jsonl"


def rich_pipeline(on_drop: str = "route", *, min_chars: int = 200, min_words: int = 100,
                  max_mean_word_len: float = 10.0, paths: str = "samples://crawl/part-[01].jsonl.zst"):
    raw = {"run": {"name": "report-test"}, "on_drop": on_drop, "executor": {"type": "inline"},
           "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": paths},
                       "steps": [{"type": "_rpt_lines"}, {"type": "length", "min_chars": min_chars},
                                 {"type": "_rpt_lang"},
                                 {"type": "_rpt_words", "min_words": min_words,
                                  "max_mean_word_len": max_mean_word_len}],
                       "writer": {"type": "jsonl", "compression": "zstd"}}]}
    return pipeline_from_dict(raw)


def run(pipe, out: Path) -> Path:
    run_pipeline(pipe, out, "inline", log=False)
    return out
