"""The executor seam: one method that runs tasks and returns their results in order."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import SetupFailed


@dataclass
class TaskFailure:
    """A task that kept failing after its retries. Returned in place of its result so the driver can finish the
    other tasks, keep their ledger, and then fail the run naming this one."""

    label: str
    error: str
    attempts: int
    # the error came from a step's setup and is the same on every shard (SetupFailed): the executor stopped the
    # stage at it, and the tasks it had not started are NotRun
    setup: bool = False


@dataclass
class NotRun:
    """A task the executor did not run because another one's setup failed for good (``stops_stage``): the other
    shards would have failed the same way, each after its own retries. Its shard has no completion marker, so a
    resume runs it."""

    label: str


# A shard that fails on these fails again at once: a full disk, a quota, a file system mounted read-only. Running it
# again redoes all of its work first (a shard of 256 MB of JSON Lines: minutes, three times) only to fail at its
# first write; the run stops instead, and the same command resumes once there is room.
_NOT_RETRIED = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def retryable(exc: BaseException) -> bool:
    """Whether running a task that raised ``exc`` again can help."""
    return not (isinstance(exc, SetupFailed) or (isinstance(exc, OSError) and exc.errno in _NOT_RETRIED))


def stops_stage(exc: BaseException) -> bool:
    """Whether ``exc`` fails every other task of the stage too, so that none is worth starting: a step's setup that
    failed for good (a package or a model file missing), raised before the task read a document. A run of 100 shards
    printed and waited through 300 such failures (3 attempts each)."""
    return isinstance(exc, SetupFailed)


class Executor:
    workers: int = 1

    def run_tasks(self, tasks: list[Any], desc: str = "") -> list[Any]:
        """Run each task (a picklable callable taking an optional progress callback); results in order, a
        TaskFailure for a task that failed ``retries + 1`` times."""
        raise NotImplementedError

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """Plain parallel map for a corpus step's reduce; raises on the first failure."""
        raise NotImplementedError

    def start(self, warm: Any = None, tasks: int | None = None) -> None:
        """A hint that ``tasks`` tasks (None: many) are coming: start that many workers (at most) now, so that their
        start-up (a new interpreter, imports) overlaps the driver's planning. ``warm``, a picklable callable like a
        task, is run on them first (what it does must not matter to any output). The default does nothing."""

    def finish(self) -> None:
        """No more tasks are coming: let the workers go without waiting for them (``close`` waits). The default
        does nothing."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
