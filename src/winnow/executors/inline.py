"""Runs every task in this process, in order: the same ``run_shard`` as the other executors, easy to debug."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Callable

from .base import Executor, TaskFailure


@dataclass
class InlineExecutor(Executor):
    """Every task in this process, one after another: for tests, debugging and small inputs."""

    retries: int = 0  # further attempts of a task after its first

    @property
    def workers(self) -> int:  # type: ignore[override]
        return 1

    def run_tasks(self, tasks: list[Any], desc: str = "") -> list[Any]:
        results = []
        for task in tasks:
            for attempt in range(self.retries + 1):
                try:
                    results.append(task())
                    break
                except Exception as exc:
                    err = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    if attempt == self.retries:
                        results.append(TaskFailure(getattr(task, "label", repr(task)), err, attempt + 1))
        return results

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        return [fn(x) for x in items]
