"""Real runs for the report tests: the demo pipeline over the demo crawl, and a richer pipeline (edits, a language
tag, a filter with THRESHOLDS) over half of the same real pages (two shards), in both on_drop modes. Each run is made once per
session (per xdist worker) with the inline executor: the test-only steps live in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report import rpt_steps
from tests.report.runs import DEFAULT_CONFIG, HOSTILE, rich_pipeline, run
from winnow.config import load_pipeline


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
