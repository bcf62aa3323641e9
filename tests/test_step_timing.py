"""Per-step CPU seconds in stats.json, beside wall seconds (issue 13): on a loaded machine wall seconds inside a step
include the time other processes held the core, so step shares read from them lie; CPU seconds do not."""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson

from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.registry import lookup, register
from winnow.run import format_stats, run_pipeline
from winnow.step import Map

from tests.helpers import write_jsonl


@register("_test_timing_sleep")
@dataclass
class Sleeper(Map):
    """Waits 0.2 s per document without using the CPU (what a step looks like when another process holds the core)."""

    def map(self, doc):
        time.sleep(0.2)
        return doc


@register("_test_timing_burn")
@dataclass
class Burner(Map):
    """Uses 0.1 s of this process's CPU per document, however long that takes on a loaded machine."""

    def map(self, doc):
        end = time.process_time() + 0.1
        while time.process_time() < end:
            pass
        return doc


def test_stats_hold_cpu_seconds_per_step_beside_wall_seconds(tmp_path):
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": f"doc {i}"} for i in range(3)])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("_test_timing_sleep", "step")(), lookup("_test_timing_burn", "step")()])])
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=True)
    on_disk = orjson.loads((tmp_path / "run" / "stats.json").read_bytes())
    steps = {s["name"]: s for s in on_disk["stages"][0]["steps"]}
    sleep, burn = steps["_test_timing_sleep"], steps["_test_timing_burn"]
    # the sleeper waited 0.6 s of wall clock and used almost no CPU; the burner used its 0.3 s of CPU
    assert sleep["seconds"] >= 0.55 and sleep["cpu_seconds"] < 0.15
    assert burn["cpu_seconds"] >= 0.29 and burn["seconds"] >= burn["cpu_seconds"] - 0.01
    # the shard's own CPU (reading, writing, steps) is recorded too, and covers its steps
    shard = orjson.loads(next((tmp_path / "run" / "stats" / "s" / "p0").glob("*.json")).read_bytes())
    assert shard["cpu_seconds"] >= burn["cpu_seconds"]
    # the summary's and the report's step times are CPU seconds: the sleeper shows (near) zero
    summary = format_stats(res.stats)
    assert "CPU s" in summary
    line = next(ln for ln in summary.splitlines() if "_test_timing_sleep" in ln)
    assert float(line.split()[4]) < 0.15
    html = (tmp_path / "run" / "report.html").read_text()
    assert "CPU seconds spent inside each step" in html


def test_report_of_a_run_without_cpu_times_says_they_are_wall_seconds(tmp_path):
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "d0", "text": "doc"}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("_test_timing_burn", "step")()])])
    run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    # a run folder written before steps were CPU-timed: no cpu_seconds anywhere
    path = tmp_path / "run" / "stats.json"
    stats = orjson.loads(path.read_bytes())
    for st in stats["stages"][0]["steps"]:
        st.pop("cpu_seconds")
    path.write_bytes(orjson.dumps(stats))
    from winnow.report import build_report

    build_report(tmp_path / "run")
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Wall-clock seconds spent inside each step" in html and "CPU seconds spent inside" not in html
