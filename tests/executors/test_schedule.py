"""The schedule of a run with several workers: each pass hands its tasks out largest input first (a pass ends at a
barrier when its last task does), and the outputs, the ledger and the failure named first do not depend on that
order; the local executor starts its workers before the first pass (``start``) and lets them exit while the run's
report is written (``finish``), and no worker outlives the run."""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from winnow.errors import ShardFailed
from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.registry import register
from winnow.run import run_pipeline
from winnow.step import Filter
from winnow.steps.basic import LengthFilter
from winnow.steps.dedup import ExactDedup

from tests.helpers import read_all, text_records, write_jsonl


class Recording(InlineExecutor):
    """Runs in this process, in the order given, and records that order; says it has two workers."""

    def __init__(self, workers: int = 2):
        super().__init__()
        self._n = workers
        self.calls: list[list[str]] = []

    @property
    def workers(self) -> int:  # type: ignore[override]
        return self._n

    def run_tasks(self, tasks, desc=""):
        self.calls.append([t.label.split(" ")[0] for t in tasks])  # the folder names, without "(pass 2/2)"
        return super().run_tasks(tasks, desc)


# documents per shard: shard 00002 has the most, 00000 the fewest
_SIZES = [5, 20, 40, 12, 12]


def _inputs(tmp_path: Path, docs) -> str:
    start = 0
    for i, n in enumerate(_SIZES):
        write_jsonl(tmp_path / "in" / f"part-{i}.jsonl", text_records(docs, start, n))
        start += n
    return str(tmp_path / "in" / "*.jsonl")


def _pipe(pattern: str, *steps) -> Pipeline:
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern, shard_size_mb=0),
                                  steps=[LengthFilter(min_chars=200), ExactDedup(), *steps])])


def _outputs(run: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(run).items() if k.startswith(("kept/", "rejected/", "quarantine/"))}


def test_largest_input_first_same_bytes(tmp_path, real_docs):
    pattern = _inputs(tmp_path, real_docs)
    ex = Recording()
    a = run_pipeline(_pipe(pattern), tmp_path / "a", ex, log=False, verify_files=True)
    files = {f"{i:05d}": (tmp_path / "in" / f"part-{i}.jsonl").stat().st_size for i in range(len(_SIZES))}
    order = sorted(files, key=lambda n: (-files[n], n))
    assert ex.calls[0] == [f"s/p0/{n}" for n in order] and order[0] == "00002" and order[-1] == "00000"
    # the second pass reads the first pass's work files: ordered by their sizes, listed once
    work = tmp_path / "a" / "work" / "s" / "p0"
    sizes = {p.name.split(".")[0]: p.stat().st_size for p in work.iterdir()}
    want = sorted(sizes, key=lambda n: (-sizes[n], n))
    assert ex.calls[1] == [f"s/p1/{n}" for n in want] and want != sorted(sizes)
    one = Recording(workers=1)  # one worker: shard order, as before
    b = run_pipeline(_pipe(pattern), tmp_path / "b", one, log=False, verify_files=True)
    assert one.calls[0] == [f"s/p0/{n:05d}" for n in range(5)]
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")
    assert a.stats["stages"][0]["kept"] == b.stats["stages"][0]["kept"] > 0


@register("_test_fails_on_two_shards")
@dataclass
class FailsOnTwoShards(Filter):
    REASONS = ("never",)

    def setup(self, ctx):
        if ctx.shard in ("00001", "00002"):
            raise RuntimeError(f"broken shard {ctx.shard}")

    def reject(self, doc):
        return None


def test_failures_named_in_shard_order(tmp_path, real_docs):
    pattern = _inputs(tmp_path, real_docs)
    ex = Recording()
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern, shard_size_mb=0),
                                  steps=[FailsOnTwoShards()])])
    with pytest.raises(ShardFailed) as e:
        run_pipeline(pipe, tmp_path / "run", ex, log=False)
    assert ex.calls[0][:2] == ["s/p0/00002", "s/p0/00001"]  # 00002 ran first: it is the larger
    msg = str(e.value)
    assert msg.index("s/p0/00001") < msg.index("s/p0/00002")


@dataclass
class _WritePid:
    folder: str

    def __call__(self, progress=None):
        Path(self.folder, str(os.getpid())).write_text("")


@dataclass
class _DieOnce:
    """Kills its worker the first time (a warm-up that breaks the pool before any task is handed over)."""

    folder: str

    def __call__(self, progress=None):
        flag = Path(self.folder, "died")
        if not flag.exists():
            flag.write_text("")
            os._exit(1)


@dataclass
class _Square:
    x: int
    label: str = "square"

    def __call__(self, progress=None):
        return self.x * self.x


def test_start_spawns_every_worker_and_runs_the_warm_up(tmp_path):
    ex = LocalExecutor(workers=2, progress=False)
    try:
        ex.start(_WritePid(str(tmp_path)))
        assert len(ex._pool._processes) == 2  # spawned now, not at the first task
        assert ex.run_tasks([_Square(i) for i in range(4)]) == [0, 1, 4, 9]
    finally:
        ex.close()
    pids = {p.name for p in tmp_path.iterdir()}
    assert pids and str(os.getpid()) not in pids


def test_start_spawns_no_more_workers_than_tasks():
    ex = LocalExecutor(workers=4, progress=False)
    try:
        ex.start(tasks=1)  # a one-shard run on a many-core machine starts one worker, not one per core
        assert len(ex._pool._processes) == 1
    finally:
        ex.close()


def test_a_pool_broken_while_warming_up_is_replaced(tmp_path):
    ex = LocalExecutor(workers=2, progress=False, retries=1)
    try:
        ex.start(_DieOnce(str(tmp_path)))
        deadline = time.time() + 60
        while not ex._pool._broken and time.time() < deadline:  # the break is seen before the tasks are handed over
            time.sleep(0.05)
        assert ex._pool._broken
        assert ex.run_tasks([_Square(i) for i in range(3)]) == [0, 1, 4]
    finally:
        ex.close()


def test_finish_lets_workers_go_and_close_joins_them(tmp_path, real_docs):
    ex = LocalExecutor(workers=2, progress=False)
    ex.start()
    procs = list(ex._pool._processes.values())
    ex.finish()
    assert ex._pool is None
    ex.close()
    assert procs and not any(p.is_alive() for p in procs)
    # a run that makes its own executor leaves no worker behind
    pattern = _inputs(tmp_path, real_docs)
    run_pipeline(_pipe(pattern), tmp_path / "run", {"type": "local", "workers": 2, "progress": False}, log=False)
    assert multiprocessing.active_children() == []
