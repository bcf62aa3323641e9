"""Real runs for the report tests: the demo pipeline over the demo crawl, and a richer pipeline (edits, a language
tag, a filter with THRESHOLDS) over the same 312 real pages, in both on_drop modes. Each run is made once per
session (per xdist worker) with the inline executor: the test-only steps live in this process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rpt_steps  # noqa: E402  (registers the test steps)

from winnow.config import load_pipeline, pipeline_from_dict  # noqa: E402
from winnow.run import run_pipeline  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "src" / "winnow" / "configs" / "default.yaml"
HOSTILE = REPO / "tests" / "fixtures" / "report" / "hostile.jsonl"


def rich_pipeline(on_drop: str = "route", *, min_chars: int = 200, min_words: int = 100,
                  max_mean_word_len: float = 10.0, paths: str = "samples://crawl/part-[01].jsonl.zst"):
    raw = {"run": {"name": "report-test"}, "on_drop": on_drop, "executor": {"type": "inline"},
           "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": paths},
                       "steps": [{"type": "rpt_lines"}, {"type": "length", "min_chars": min_chars},
                                 {"type": "rpt_lang"},
                                 {"type": "rpt_words", "min_words": min_words,
                                  "max_mean_word_len": max_mean_word_len}],
                       "writer": {"type": "jsonl", "compression": "zstd"}}]}
    return pipeline_from_dict(raw)


def run(pipe, out: Path) -> Path:
    run_pipeline(pipe, out, "inline", log=False)
    return out


@pytest.fixture(scope="session", autouse=True)
def _test_steps():
    yield
    rpt_steps.unregister()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    return run(load_pipeline(DEFAULT_CONFIG), tmp_path_factory.mktemp("demo") / "run")


@pytest.fixture(scope="session")
def rich_route(tmp_path_factory) -> Path:
    return run(rich_pipeline("route"), tmp_path_factory.mktemp("rich-route") / "run")


@pytest.fixture(scope="session")
def rich_annotate(tmp_path_factory) -> Path:
    return run(rich_pipeline("annotate"), tmp_path_factory.mktemp("rich-annotate") / "run")


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory) -> Path:
    return run(rich_pipeline("route", min_words=30, paths=str(HOSTILE)), tmp_path_factory.mktemp("hostile") / "run")
