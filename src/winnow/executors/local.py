"""A pool of worker processes on this machine.

Workers are started with ``spawn`` (not ``fork``): a forked child inherits the parent's threads and locks (tqdm's
monitor, a logging handler) and can deadlock; spawn costs under a second once per run. A worker killed in the
middle of a shard breaks the pool; the executor then builds a new pool and resubmits the unfinished shards, up to
``retries`` times each: an attempt is charged to the shard whose worker died, not to those of the workers torn down
with it nor to those still queued (each worker says on a pipe which task it starts).

Workers die with the driver. A driver killed with SIGKILL (the OOM killer, ``kill -9``) runs no cleanup, so each
worker asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG`` on Linux) and, on every system, a
watchdog thread exits the worker once its parent pid changes. Workers ignore SIGINT: a Ctrl-C reaches the whole
process group, and the driver alone decides; on an interrupt (SIGINT, or SIGTERM in the CLI) the driver kills its
workers instead of waiting for their shards, whose outputs are atomic and are redone on resume.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import queue as queue_mod
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable

from .base import Executor, NotRun, TaskFailure, retryable, stops_stage

_progress_queue = None
_started = None  # the write end of the pipe on which a worker says which task it starts (``_run_marked``)
_token = 0  # the submission this worker runs (``_run_marked``); its progress reports carry it


# How often a worker checks that its driver is still alive where the kernel cannot tell it (not Linux): a worker
# outlives a SIGKILLed driver by at most this long; the check is one getppid call.
_PARENT_POLL_S = 1.0


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: the kernel kills us when the parent dies
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the driver died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="winnow-parent-watch", daemon=True).start()


def _terminated(signum, frame) -> None:
    # The pool tears down the other workers with SIGTERM when one dies, and the driver does on an interrupt: the
    # document this worker is on is not to blame (winnow.pipeline.Position counts deaths to find hostile ones).
    # The exit status says "torn down" whatever happens before it: an exception here (the signal landing inside
    # Position.close, between its os.close and its fd = None, makes the handler's close raise EBADF) would go on
    # in the interrupted task and end the worker with another status, charging its shard an attempt.
    try:
        from ..pipeline import abandon_position

        abandon_position()
    finally:
        os._exit(_TORN_DOWN)


# The exit status of a worker stopped by SIGTERM through _terminated (128 + 15, as a shell reports it): after a pool
# broke, the workers that exited so were torn down with it, and the others died on their own (LocalExecutor charges
# only their tasks an attempt).
_TORN_DOWN = 143


# How long the driver waits, at most, for the exit status of a worker that has exited but that the pool's own thread
# reaped first (``_died_on_their_own``): that thread stores it as soon as it runs again, so this bounds only a thread
# that is not scheduled for that long (a generous bound: 0.5 s was enough to lose it in a test, see
# tests/executors/test_local.py), or a status some other code reaped and never stores.
_STATUS_WAIT_S = 10.0


def _died_on_their_own(procs: dict[int, Any], deadline: float) -> set[int]:
    """The pids of a broken pool's workers (``procs``: pid -> Process) that died on their own, not torn down by the
    pool (_TORN_DOWN, or -SIGTERM before their handler was set): the pool's manager thread terminates the others
    now, and each is waited for until ``deadline`` (one that has not exited by then is not counted)."""
    for p in procs.values():
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    dead = set()
    for pid, p in procs.items():
        code = p.exitcode
        # The pool's manager thread joins its workers too (is_alive, join): when its waitpid reaps one first, ours
        # gets ECHILD and the status is stored in the Process only once that thread holds the GIL again; under
        # load that was after this check, the worker that died was in no one's `dead`, and every started task
        # was charged an attempt (the torn-down worker's too: the flaky test_budget "two documents" test). A
        # worker whose sentinel says it has exited has its status coming: wait for it.
        limit = time.monotonic() + _STATUS_WAIT_S
        while code is None and _exited(p) and time.monotonic() < limit:
            time.sleep(0.005)
            code = p.exitcode
        if code is not None and code not in (_TORN_DOWN, -signal.SIGTERM):
            dead.add(pid)
    return dead


def _exited(p: Any) -> bool:
    try:
        return bool(mp_connection.wait([p.sentinel], timeout=0))
    except (OSError, ValueError):  # its sentinel closed: nothing more can be learned of it
        return False


def _init_worker(q, parent: int | None = None, started: Any = None) -> None:
    global _progress_queue, _started
    _progress_queue = q
    _started = started
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and kills the pool
    signal.signal(signal.SIGTERM, _terminated)
    if parent is not None:
        _die_with_parent(parent)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one worker per core: keep numeric libraries single-threaded


def _report(docs: int, chars: int) -> None:
    if _progress_queue is not None:
        _progress_queue.put((_token, docs, chars))


def _run_task(task: Any) -> Any:
    global _token
    _token = 0  # reports no submission of run_tasks counts
    return task(_report)


def _run_marked(token: int, task: Any) -> Any:
    """``_run_task``, first telling the driver that this worker took submission ``token``: when a worker dies, the
    pool fails every future it holds, the queued ones too, and only a task a worker had started may be charged an
    attempt. A write of a few bytes on a pipe is whole (under PIPE_BUF) and in the kernel before the task runs, so
    a worker killed at once still said it (a multiprocessing.Queue's feeder thread would die with it)."""
    global _token
    _token = token
    if _started is not None:
        _started.send_bytes(token.to_bytes(8, "little") + os.getpid().to_bytes(8, "little"))
    return task(_report)


def _nothing(progress: Any = None) -> None:
    return None


class Progress:
    """A tqdm bar on a terminal (documents/s, MB/s, ETA by shards); a log line every ~10% of the shards otherwise,
    and one at least every ``LOG_EVERY_S`` while documents come: a corpus of a few large files (compressed JSONL is
    one shard per file) otherwise printed nothing until its first file was done (friction10: 3 files of 5,000 pages,
    the first line after a minute; a file of 200k pages would be silent for half an hour)."""

    LOG_EVERY_S = 60.0

    def __init__(self, total: int, desc: str, enabled: bool):
        self.total, self.desc = total, desc
        self.docs = self.chars = self.done = 0
        self.t0 = self._last_log = time.perf_counter()
        self.tty = enabled and sys.stderr.isatty()
        self.enabled = enabled
        self._next_log = 0.1
        self.bar = None
        if self.tty and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="shard", dynamic_ncols=True, leave=True)

    def add(self, docs: int, chars: int) -> None:
        """Count documents read (negative: an attempt's count dropped when its task runs again)."""
        self.docs += docs
        self.chars += chars
        if self.bar is not None:
            dt = max(time.perf_counter() - self.t0, 1e-9)
            self.bar.set_postfix_str(f"{self.docs:,} docs {self.docs / dt:,.0f} docs/s {self.chars / dt / 1e6:.1f} MB/s",
                                     refresh=False)
            self.bar.refresh()
        elif self.enabled and docs > 0 and time.perf_counter() - self._last_log >= self.LOG_EVERY_S:
            self._log()

    def _log(self) -> None:
        now = time.perf_counter()
        dt = max(now - self.t0, 1e-9)
        self._last_log = now
        print(f"[winnow] {self.desc}: {self.done}/{self.total} shards, {self.docs:,} docs, "
              f"{self.docs / dt:,.0f} docs/s, {dt:,.0f} s", file=sys.stderr, flush=True)

    def shard_done(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled and self.total and self.done / self.total >= self._next_log:
            self._log()
            while self._next_log <= self.done / self.total:
                self._next_log += 0.1

    def note(self, msg: str) -> None:
        """A line for the user, above the bar on a terminal."""
        if self.bar is not None:
            self.bar.write(msg, file=sys.stderr)
        elif self.enabled:
            print(msg, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class LocalExecutor(Executor):
    """A pool of worker processes on this machine (spawned: a script needs the ``if __name__ == "__main__"``
    guard)."""

    workers: int = 0  # 0: all cores
    retries: int = 2  # further attempts of a task after its first (a killed worker or an exception)
    progress: bool = True  # a progress bar on a terminal

    def __post_init__(self) -> None:
        if self.workers <= 0:
            self.workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self._ctx = mp.get_context("spawn")
        self._queue = None
        self._started: Any = None  # (read end, write end) of the pipe _run_marked reports on
        self._submitted = 0  # submission tokens handed out (_run_marked)
        self._pool: ProcessPoolExecutor | None = None
        self._leaving: list[Any] = []  # pools told to shut down (finish) whose workers close() still joins
        # Pools broken by a worker's death so far: the run then removes the temporary files the dead (and the
        # terminated) workers left in the run folder, which no later attempt renames or removes.
        self.worker_deaths = 0

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            if self._queue is None:
                self._queue = self._ctx.Queue()
            if self._started is None:
                self._started = self._ctx.Pipe(duplex=False)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx, initializer=_init_worker,
                                             initargs=(self._queue, os.getpid(), self._started[1]))
        return self._pool

    def _reset_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _kill_pool(self) -> None:
        """On an interrupt: kill the workers now rather than wait for their shards (which a resume redoes)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:  # SIGTERM first: the worker forgets its document position (see _terminated)
            try:
                p.terminate()
            except (OSError, ValueError):
                pass
        for p in procs:
            p.join(timeout=2)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        pool.shutdown(wait=False, cancel_futures=True)

    def _drain(self, prog: Progress, live: dict[int, list[int]]) -> None:
        """Count the progress reports of the submissions in ``live`` (each task's latest: token -> [docs, chars]
        counted so far); a report of an earlier attempt (one that arrives after its task was resubmitted) or of an
        earlier run_tasks call is not counted."""
        if self._queue is None:
            return
        while True:
            try:
                tok, docs, chars = self._queue.get_nowait()
            except (queue_mod.Empty, OSError, EOFError):
                return
            counted = live.get(tok)
            if counted is not None:
                counted[0] += docs
                counted[1] += chars
                prog.add(docs, chars)

    def _took(self) -> dict[int, int]:
        """The submission tokens workers said they started (``_run_marked``), each with the worker's pid."""
        out: dict[int, int] = {}
        if self._started is not None:
            conn = self._started[0]
            try:
                while conn.poll():
                    msg = conn.recv_bytes()
                    out[int.from_bytes(msg[:8], "little")] = int.from_bytes(msg[8:], "little")
            except (OSError, EOFError):
                pass
        return out

    def run_tasks(self, tasks: list[Any], desc: str = "") -> list[Any]:
        results: list[Any] = [None] * len(tasks)
        attempts = [0] * len(tasks)
        remaining = set(range(len(tasks)))
        prog = Progress(len(tasks), desc, self.progress)
        token = [0] * len(tasks)  # each task's latest submission
        taken: dict[int, int] = {}  # the submissions a worker started: the worker's pid
        # Each task's latest submission: the documents and characters its progress reports counted. A task run
        # again (its worker died, or was torn down with one that did, or it raised) reads its shard from the
        # start: the attempt before's count is dropped, or the display counted that shard's documents twice
        # (360 docs for 312 in `winnow demo --workers 2` with a worker killed).
        live: dict[int, list[int]] = {}

        def submit(pool: ProcessPoolExecutor, i: int) -> Any:
            before = live.pop(token[i], None)
            if before is not None:
                prog.add(-before[0], -before[1])
            self._submitted += 1
            token[i] = self._submitted
            live[token[i]] = [0, 0]
            return pool.submit(_run_marked, self._submitted, tasks[i])

        stopped = False  # a task's setup failed for good (stops_stage): no other task is started or run again

        def not_run(i: int) -> None:
            # not counted done: the progress said "100/100 shards" of a stage that stopped at its sixth
            results[i] = NotRun(getattr(tasks[i], "label", repr(tasks[i])))
            remaining.discard(i)

        try:
            while remaining:
                if stopped:  # the tasks a broken pool failed after the stop are not run again
                    for i in sorted(remaining):
                        not_run(i)
                    break
                pool = self._get_pool()
                futures: dict[Any, int] = {}
                broken = False
                died: list[int] = []  # tasks whose futures the pool's breaking failed
                try:
                    for i in sorted(remaining):
                        futures[submit(pool, i)] = i
                except BrokenProcessPool:  # a worker died before these were handed over (idle, or warming up)
                    broken, futures = True, {}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    self._drain(prog, live)
                    taken.update(self._took())  # read as they come: a full pipe would block the workers
                    for fut in done:
                        i = futures[fut]
                        try:
                            results[i] = fut.result()
                            remaining.discard(i)
                            prog.shard_done()
                        except BrokenProcessPool:
                            broken = True  # a worker died (killed, out of memory): retry on a fresh pool
                            died.append(i)
                        except Exception as exc:
                            attempts[i] += 1
                            err = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                            if attempts[i] > self.retries or not retryable(exc) or stopped:
                                results[i] = TaskFailure(getattr(tasks[i], "label", repr(tasks[i])), err, attempts[i],
                                                         stops_stage(exc))
                                remaining.discard(i)
                                prog.shard_done()
                                if stops_stage(exc) and not stopped:
                                    # Every other shard would fail the same way: those not started are not run
                                    # (a future a worker already holds cannot be cancelled; it ends as it ends)
                                    stopped = True
                                    prog.note(f"[winnow] {results[i].label}: {exc}; stopping the stage (every "
                                              "shard would fail alike)")
                                    for f in list(pending):
                                        if f.cancel():
                                            pending.discard(f)
                                            not_run(futures[f])
                            else:
                                futures[submit(pool, i)] = i
                                pending.add(next(f for f, j in futures.items() if j == i and not f.done()))
                if broken:
                    self.worker_deaths += 1
                    procs = dict(getattr(pool, "_processes", None) or {})  # gone from the pool once it is reset
                    self._reset_pool()
                    # Charged an attempt: the task of the worker that died, not those of the workers torn down
                    # with it (they exit _TORN_DOWN) nor those still queued. Where that cannot be told (a worker
                    # died idle, or its task never said it started): the tasks started, else every unfinished one
                    # as before, so that each death charges one at least and the retries always end.
                    taken.update(self._took())
                    if died:
                        started = [i for i in died if token[i] in taken]
                        dead = _died_on_their_own(procs, time.monotonic() + 2.0)
                        charged = [i for i in started if taken[token[i]] in dead] or started or died
                    else:
                        charged = sorted(remaining)
                    for i in charged:
                        attempts[i] += 1
                        label = getattr(tasks[i], "label", None)
                        if label is not None and attempts[i] <= self.retries:
                            prog.note(f"[winnow] {label}: a worker process died (killed, or out of memory); "
                                      f"running the shard again (attempt {attempts[i] + 1} of {self.retries + 1})")
                    for i in list(remaining):
                        if attempts[i] > self.retries:
                            results[i] = TaskFailure(getattr(tasks[i], "label", repr(tasks[i])),
                                                     ("worker process died (killed, out of memory, or, in a script, the "
                                                      "pipeline was started without an `if __name__ == \"__main__\":` "
                                                      "guard, which spawned workers need)"), attempts[i])
                            remaining.discard(i)
                            prog.shard_done()
        except BaseException:  # KeyboardInterrupt, SystemExit: the workers must not outlive the driver's decision
            self._kill_pool()
            raise
        finally:
            self._drain(prog, live)
            prog.close()
        return results

    def start(self, warm: Any = None, tasks: int | None = None) -> None:
        # The pool spawns a worker per submitted call while none is idle: one call per worker starts them. Never
        # more than the tasks: a 3-shard run on a 64-core machine starts 3 workers, as it did without this. A
        # worker that takes two of the calls leaves another to start cold; nothing waits for these calls, and a
        # failing one costs nothing (the task that follows meets the same failure and is retried as usual).
        n = self.workers if tasks is None else min(self.workers, tasks)
        if n <= 0:
            return
        pool = self._get_pool()
        for _ in range(n):
            pool.submit(_run_task, warm if warm is not None else _nothing)

    def finish(self) -> None:
        # The workers exit (the interpreter's teardown: a tenth of a second or more with models in memory) while the
        # driver writes the run's stats, index and report; close() joins them.
        if self._pool is not None:
            thread = getattr(self._pool, "_executor_manager_thread", None)
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False)
            self._pool = None
            self._leaving.append((thread, procs))

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        pool = self._get_pool()
        try:
            return list(pool.map(fn, items))
        except (KeyboardInterrupt, SystemExit):
            self._kill_pool()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for thread, procs in self._leaving:
            if thread is not None:
                thread.join()
            for p in procs:
                p.join()
        self._leaving = []
        if self._queue is not None:
            self._queue.close()
            self._queue = None
        if self._started is not None:
            for conn in self._started:
                conn.close()
            self._started = None
