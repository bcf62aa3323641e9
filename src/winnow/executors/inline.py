"""Runs every task in this process, in order: the same ``run_shard`` as the other executors, easy to debug."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from .base import Executor, NotRun, TaskFailure, retryable, stops_stage


@dataclass
class InlineExecutor(Executor):
    """Every task in this process, one after another: for tests, debugging and small inputs."""

    retries: int = 0  # further attempts of a task after its first
    # A bar on a terminal: shards done, and documents and documents/s as each shard runs (from run_shard's progress
    # reports, every 500 documents or half a second). Nothing when stderr is not a terminal (no log lines either:
    # a script's or a test's stderr stays as it was). A single big shard used to show nothing until it ended.
    progress: bool = True

    @property
    def workers(self) -> int:  # type: ignore[override]
        return 1

    def run_tasks(self, tasks: list[Any], desc: str = "") -> list[Any]:
        from .local import Progress

        prog = Progress(len(tasks), desc, self.progress and sys.stderr.isatty())
        results: list[Any] = []
        stopped = False  # a setup failed for good (stops_stage): the tasks after it are not run
        try:
            for task in tasks:
                if stopped:
                    results.append(NotRun(getattr(task, "label", repr(task))))  # not counted done: it was not run
                    continue
                for attempt in range(self.retries + 1):
                    try:
                        results.append(task(prog.add) if prog.bar is not None else task())
                        break
                    except Exception as exc:
                        err = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                        if attempt == self.retries or not retryable(exc):
                            stopped = stops_stage(exc)
                            results.append(TaskFailure(getattr(task, "label", repr(task)), err, attempt + 1, stopped))
                            break
                prog.shard_done()
        finally:
            prog.close()
        return results

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return [fn(x) for x in items]
