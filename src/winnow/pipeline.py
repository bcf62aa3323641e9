"""Stages, the plan that splits them into passes, and ``run_shard``: the only place steps are chained.

A stage reads shards (with its reader, or from an earlier stage's kept output), runs its steps on every document
and writes kept and rejected documents shard by shard. A ``CorpusStep`` (deduplication) splits its stage into
passes with a barrier between them: pass k ends by *collecting* for corpus step k, then that step *reduces* once,
then pass k+1 starts by *applying* it. Every pass of every shard writes its outputs atomically and then its stats
file and completion marker, so a resumed run skips exactly the work that finished.

Run folder::

    config.resolved.yaml        the pipeline as it ran, every default filled in
    kept/<stage>/<shard>.*      documents that passed
    rejected/<stage>/<shard>.p<k>.*   documents dropped in pass k, each with its Drop
    quarantine/<stage>/<shard>.p<k>.jsonl  records that could not be read or made a step fail
    work/<stage>/...            intermediate documents between passes and corpus steps' private files
    stats/<stage>/p<k>/<shard>.json     per-shard counters (the ledger's entries)
    done/<stage>/p<k>/<shard>   completion markers; done/<stage>/reduce<k> for a corpus step's reduce
    stats.json                  everything merged, per stage and step
    inputs.json                 the input files with size, mtime and a head/tail hash: a resume refuses changes
    winnow.lock                 host and pid of the driver writing the folder (winnow.runfolder)

The run folder may be a URL (``s3://bucket/run``): every file above is then uploaded whole by ``atomic_path``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import faulthandler
import gc
import multiprocessing
import os
import signal
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from time import process_time
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from .document import NORMALISING_REASONS, Document, Quarantine, step_error_line, utf8_safe
from .errors import ConfigError, LedgerError, SetupFailed
from .io.base import ReadGuard, Reader, RemotePath, Writer, as_path, atomic_path, reader_shards, upload_batch
from .io.fields import merge_side_docs, side_path, stage_folder, text_id_names
from .io.jsonl import JsonlReader, JsonlWriter
from .step import Context, CorpusStep, Step, reset_after_interrupt

__all__ = ["Stage", "Pipeline", "ShardTask", "run_shard", "plan_passes", "stage_shards", "Budget", "BudgetExceeded"]

PROGRESS_EVERY = 500  # documents between progress reports from a worker
# Documents are run through the steps in windows, one step over the whole window before the next step (finished and
# written in input order: the same outputs, byte for byte, as one document at a time). A step's tables (fastText's
# buckets, the tokenizer's, zstd's) then stay in the CPU caches over many documents instead of being evicted by the
# other steps after each one: on bench/e2e.py's FineWeb chain (2,120 pages) the process took 0.7-1.6 CPU s less of
# ~12.5-14 (windows of 64 and 256 alike, 16 half of that; results/e2e.md, stop 26). A window also ends at
# WINDOW_CHARS characters of text and HTML, so a run of very large pages holds few of them at once. With a batching
# step the window stays its batch size (a model's batch is not changed by this).
WINDOW_DOCS = 64
WINDOW_CHARS = 8_000_000


@dataclass
class Stage:
    name: str
    steps: list[Step] = field(default_factory=list)
    reader: Reader | None = None
    source: str | None = None  # name of an earlier stage whose kept output this stage reads
    writer: Writer = field(default_factory=JsonlWriter)
    rejects: Writer = field(default_factory=JsonlWriter)
    # a mix stage (winnow.shuffle_merge.Mix): no reader, source or steps; it mixes earlier stages' tokenized outputs
    mix: Any = None


@dataclass
class Pipeline:
    stages: list[Stage]
    name: str = "winnow"
    output_dir: str = "./winnow-out"
    on_drop: str = "route"  # route: rejected docs go to rejected/; annotate: kept, the verdict stored as attribute
    executor: dict[str, Any] = field(default_factory=lambda: {"type": "local"})
    # The run fails (after writing every output) when a stage quarantines more than this share of the records it
    # read. None: only when it quarantined all of them. A reader stage that read no record at all always fails.
    max_quarantined: float | None = None
    # The per-document budget (see ``Budget``): a step running longer than this on one document is stopped and the
    # document quarantined with reason "budget"; 0 disables. 30 s: the slowest step of the default pipeline on the
    # demo crawl takes 0.4 s on one document (gopher_repetition, a 100k-character page; measured on a loaded
    # 2-core machine), so only a pathological page or a machine 75x slower reaches it.
    max_seconds_per_doc: float = 30.0
    # ... and a step that grows the worker's resident memory by more than this many MiB on one document, over its
    # size when that step call started (Linux only; 0 disables). 4096: the default pipeline over the demo crawl
    # peaks at 153 MiB in one process, so normal pages are far from it, while the hostile pages of issue 11 grew a
    # worker by 2-9 GiB.
    max_memory_mb_per_doc: int = 4096

    def validate(self) -> None:
        if self.max_seconds_per_doc < 0 or self.max_memory_mb_per_doc < 0:
            raise ConfigError("run.max_seconds_per_doc and run.max_memory_mb_per_doc must be >= 0 (0 disables)")
        if self.max_quarantined is not None and not 0.0 <= self.max_quarantined <= 1.0:
            raise ConfigError(f"run.max_quarantined must be a share between 0 and 1, got {self.max_quarantined!r}")
        from .runfolder import check_name

        seen: set[str] = set()
        for st in self.stages:
            check_name(st.name, "stage name")  # it becomes a folder under kept/, work/, stats/, done/
            if st.name in seen:
                raise ConfigError(f"two stages are named {st.name!r}")
            if st.mix is not None:
                self._validate_mix(st, seen)
                seen.add(st.name)
                continue
            if st.source is not None and st.source not in seen:
                raise ConfigError(f"stage {st.name!r} reads from {st.source!r}, which is not an earlier stage")
            src = next((s for s in self.stages if s.name == st.source), None)
            if src is not None and src.mix is not None:
                raise ConfigError(f"stage {st.name!r} reads from {st.source!r}, a mix stage, which writes token ids, "
                                  "not documents")
            if src is not None and getattr(src.writer, "tokenized", False):
                raise ConfigError(f"stage {st.name!r} reads from {st.source!r}, whose {src.writer.name} writer writes "
                                  "token ids, not documents")
            if (st.reader is None) == (st.source is None):
                raise ConfigError(f"stage {st.name!r}: give exactly one of reader or source")
            seen.add(st.name)
            # a pipeline built in Python skips the YAML loader, which is where components are validated: check
            # their parameters here too (cheap, and a second check of a YAML-built pipeline changes nothing)
            parts = [("reader", st.reader), ("writer", st.writer), ("rejects", st.rejects)]
            parts += [(f"steps[{i}]", s) for i, s in enumerate(st.steps)]
            for where, obj in parts:
                check = getattr(obj, "validate", None)
                if obj is not None and callable(check):
                    try:
                        check()
                    except ValueError as exc:
                        raise ConfigError(f"stage {st.name!r} {where} ({getattr(obj, 'name', '')}): {exc}") from None

    def _validate_mix(self, st: Stage, seen: set[str]) -> None:
        if st.reader is not None or st.source is not None or st.steps:
            raise ConfigError(f"stage {st.name!r}: a mix stage has no reader, from or steps (its sources say what it "
                              "reads)")
        try:
            st.mix.validate()
        except ValueError as exc:
            raise ConfigError(f"stage {st.name!r} mix: {exc}") from None
        if self.on_drop == "annotate":  # its sources hold every document, the failing ones with their verdicts
            raise ConfigError(f"stage {st.name!r}: a mix in an on_drop: annotate run would mix the documents that "
                              "failed a check too; run with on_drop: route (or winnow apply an annotate run, then mix "
                              "its output)")
        layouts = {}
        for src_name in st.mix.stages_read():
            src = next((s for s in self.stages if s.name == src_name), None)
            if src is None or src_name not in seen:
                known = [s.name for s in self.stages if s.name in seen]
                raise ConfigError(f"stage {st.name!r} mixes {src_name!r}, which is not an earlier stage (earlier: "
                                  f"{', '.join(known) or 'none'}; another run's stage: {{run: DIR, stage: NAME}}, "
                                  "files: {paths: GLOB})")
            if src.mix is None and not getattr(src.writer, "tokenized", False):
                raise ConfigError(f"stage {st.name!r} mixes {src_name!r}, whose {src.writer.name} writer writes "
                                  "documents: a mix takes token ids (writer megatron, datatrove or nanogpt)")
            if src.mix is None:
                layouts[src_name] = src.writer.name
        if len(set(layouts.values())) > 1:
            raise ConfigError(f"stage {st.name!r} mixes stages written in different layouts {layouts}: give them "
                              "one tokenized writer")
        from .io.tokenized import same_tokenizer

        toks = {n: s.writer.tokenizer for n in layouts for s in self.stages if s.name == n}
        if not same_tokenizer(list(toks.values())):
            raise ConfigError(f"stage {st.name!r} mixes stages tokenized with different tokenizers {toks}: their ids "
                              "mean different things")

    def to_dict(self) -> dict[str, Any]:
        from ._components import component_to_dict

        stages = []
        for st in self.stages:
            d: dict[str, Any] = {"name": st.name}
            if st.mix is not None:
                d["mix"] = {k: v for k, v in component_to_dict(st.mix).items() if k != "type"}
                stages.append(d)
                continue
            if st.reader is not None:
                d["reader"] = component_to_dict(st.reader)
            else:
                d["from"] = st.source
            d["steps"] = [component_to_dict(s) for s in st.steps]
            d["writer"] = component_to_dict(st.writer)
            d["rejects"] = component_to_dict(st.rejects)
            stages.append(d)
        run: dict[str, Any] = {"name": self.name, "output_dir": str(self.output_dir)}
        if self.max_quarantined is not None:  # written only when set: older run folders keep resuming
            run["max_quarantined"] = self.max_quarantined
        for key, default in (("max_seconds_per_doc", 30.0), ("max_memory_mb_per_doc", 4096)):
            if getattr(self, key) != default:  # written only when changed, like max_quarantined
                run[key] = getattr(self, key)
        return {"run": run, "executor": dict(self.executor),
                "on_drop": self.on_drop, "stages": stages}


# --- planning --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pass:
    index: int
    apply: int | None  # index (in stage.steps) of the corpus step this pass starts by applying
    steps: tuple[int, ...]  # indices of ordinary steps run in this pass, in order
    collect: int | None  # index of the corpus step this pass ends by collecting for
    last: bool


def plan_passes(stage: Stage) -> list[Pass]:
    passes: list[Pass] = []
    apply: int | None = None
    current: list[int] = []
    for i, step in enumerate(stage.steps):
        if isinstance(step, CorpusStep):
            passes.append(Pass(len(passes), apply, tuple(current), i, False))
            apply, current = i, []
        else:
            current.append(i)
    passes.append(Pass(len(passes), apply, tuple(current), None, True))
    return passes


def step_label(stage: Stage, i: int) -> str:
    name = stage.steps[i].name
    same = [j for j, s in enumerate(stage.steps) if s.name == name]
    return name if len(same) == 1 else f"{name}#{same.index(i) + 1}"


def work_dir(run_dir: Path | RemotePath, stage: Stage, i: int) -> Path | RemotePath:
    return run_dir / "work" / stage.name / f"{i:02d}-{stage.steps[i].name}"


def _reader_for_stage_output(stage: Stage, run_dir: Path | RemotePath) -> Reader:
    from .io.parquet import ParquetReader

    folder = stage_folder(run_dir, "kept", stage.name, stage.writer)
    # the text and id under the names the writer's `fields` gave them (the rest comes from side files)
    text_key, id_key = text_id_names(getattr(stage.writer, "fields", None))
    # Every record here passed the source stage's own reader and size cap: read them back without a smaller
    # default cap (a 33 MiB document kept under a 64 MiB cap was quarantined by the next stage).
    if stage.writer.name == "parquet":
        return ParquetReader(paths=str(folder / "*.parquet"), text_key=text_key, id_key=id_key, shard_size_mb=0,
                             max_record_bytes=_OWN_RECORD_CAP)
    # whole files (shard_size_mb=0): a later stage's shards are named after them, and side files match them whole
    return JsonlReader(paths=str(folder / f"*{stage.writer.extension}"), text_key=text_key, id_key=id_key,
                       shard_size_mb=0, max_record_bytes=_OWN_RECORD_CAP)


# The largest cap a reader takes (1 GiB): for files this run wrote itself, whose records were already admitted.
_OWN_RECORD_CAP = 1 << 30


def stage_shards(pipe: Pipeline, stage: Stage, run_dir: Path | RemotePath) -> list[tuple[str, str]]:
    """(shard name, reader key) pairs for the stage's first pass, in a deterministic order."""
    if stage.reader is not None:
        keys = reader_shards(stage.reader)  # planned once per run (the preflight's listing: io.base.listing_scope)
        width = max(5, len(str(len(keys))))
        return [(f"{i:0{width}d}", k) for i, k in enumerate(keys)]
    src = next(s for s in pipe.stages if s.name == stage.source)
    reader = _reader_for_stage_output(src, run_dir)
    return [(k.rsplit("/", 1)[-1].split(".")[0], k) for k in reader.shards()]


# --- the per-document budget --------------------------------------------------------------------------------

class BudgetExceeded(BaseException):
    """Raised inside a step by the budget's timer. A BaseException, like KeyboardInterrupt, so that a step's own
    ``except Exception`` cannot swallow it."""


_TICK_S = 0.25  # how often the budget looks; measured cost: one signal and one 40-byte /proc read per tick
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes(fd: int | None = None) -> int | None:
    """The process's resident memory, from /proc/self/statm (Linux); ``fd``: that file, kept open (a pread at offset
    0 makes the kernel write it afresh: 0.7 us with the parsing, against 3 us to open it each time)."""
    try:
        if fd is not None:
            return int(os.pread(fd, 64, 0).split()[1]) * _PAGE
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class Budget:
    """Stops a step that runs too long on one document, or grows the worker's memory too much, so the runner can
    quarantine that document and go on.

    Nothing happens per document but two attribute stores (``since`` set before a step, cleared after); an interval
    timer (SIGALRM every 0.25 s) runs ``_tick`` in the worker's main thread, which raises ``BudgetExceeded`` inside
    the running step when it is over. Python code is interrupted between bytecodes; a C call (a regex, lxml) is
    interrupted when it returns to Python. The memory a step call grows is measured from the worker's resident size
    when that call started (``mark``, one /proc read per step call): what earlier documents left allocated (the
    other documents of a window, a step's caches) is never blamed on the document that happens to run when the
    total crosses the budget. The timer is only armed in the main thread of a process whose SIGALRM is
    unused (local and Ray workers, the inline executor in a CLI run); elsewhere nothing is enforced. Syscalls are
    restarted after the signal (``siginterrupt(False)``), so readers and writers never see EINTR."""

    def __init__(self, seconds: float, memory_mb: int, hard_stop: bool = False):
        self.seconds = float(seconds or 0)
        self.memory = int(memory_mb or 0) * 1024 * 1024
        self.since: float | None = None  # perf_counter when the running step started; None between steps
        self.why = ""
        self._armed = False
        self._old: Any = None
        self._base_rss: int | None = None  # resident size when the running step call started (``mark``)
        self._fd: int | None = None  # /proc/self/statm, open while armed with a memory budget
        # The hard stop, in a worker process only: when no Python has run in the worker's main thread for this long
        # (a C call that never returns, holding the GIL: the timer's handler cannot run), faulthandler's own thread
        # dumps the stack and ends the process. The executor retries the shard; ``Position`` then recognises the
        # document the worker died on. 3x the budget: a step over budget is normally interrupted long before.
        self.hard = max(3 * self.seconds, 1.0) if hard_stop and self.seconds > 0 else 0.0
        self._hard_at = 0.0

    def arm(self) -> bool:
        if (self.seconds <= 0 and self.memory <= 0) or not hasattr(signal, "setitimer"):
            return False
        if threading.current_thread() is not threading.main_thread():
            return False
        old = signal.getsignal(signal.SIGALRM)
        if old not in (signal.SIG_DFL, signal.SIG_IGN, None):
            return False  # someone else's alarm (a test timeout, the host application): leave it alone
        self._old = old
        if self.memory > 0:
            try:
                self._fd = os.open("/proc/self/statm", os.O_RDONLY)
            except OSError:  # not Linux: no resident size to measure, the memory budget is off
                self._fd = None
        signal.signal(signal.SIGALRM, self._tick)
        signal.siginterrupt(signal.SIGALRM, False)
        signal.setitimer(signal.ITIMER_REAL, _TICK_S, _TICK_S)
        self._armed = True
        if self.hard:
            faulthandler.dump_traceback_later(self.hard, exit=True)
            self._hard_at = time.perf_counter()
        return True

    def disarm(self) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, self._old)
            self._armed = False
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._base_rss = None
            if self.hard:
                faulthandler.cancel_dump_traceback_later()

    def _tick(self, signum: int, frame: Any) -> None:
        now = time.perf_counter()
        if self.hard and now - self._hard_at > self.hard / 3:
            # Python runs: push the hard stop back (each call starts a thread, so a third of the way, not per tick)
            faulthandler.dump_traceback_later(self.hard, exit=True)
            self._hard_at = now
        since = self.since
        if since is None:
            return
        if self.seconds > 0 and now - since > self.seconds:
            # once per budget: a step that swallowed the first one gets a second after another full budget
            self.since = since + self.seconds
            self.why = f"ran longer than run.max_seconds_per_doc={self.seconds:g} s"
            raise BudgetExceeded(self.why)
        base = self._base_rss
        if base is not None:
            rss = _rss_bytes(self._fd)
            if rss is not None and rss - base > self.memory:
                self.since = None
                self.why = (f"grew the worker's memory by {(rss - base) >> 20:,} MiB, over "
                            f"run.max_memory_mb_per_doc={self.memory >> 20:,}")
                raise BudgetExceeded(self.why)

    def mark(self) -> None:
        """Before a step call (one document, or a batch): the resident size its growth is measured from. Called
        before ``since`` is set, so a tick never measures a call from the size an earlier call started at."""
        if self._fd is not None:
            self._base_rss = _rss_bytes(self._fd)


_AT = struct.Struct("<q")
_AT_SPAN = struct.Struct("<qq")  # the first and last ordinal of a batch (the same one for a single document)
# In the first field instead of an ordinal: the worker is in its reader, at the reader's own position (ReadGuard) in
# the second field, or (a reader that reports none) handing over the shard's record of that ordinal.
_READING, _READING_ITEM = -2, -3


class Position:
    """Which document of a shard the worker is on, so that a document that kills its worker is found.

    A worker killed while on one document (the OOM killer, the hard stop) runs no cleanup, so the runner writes the
    document's ordinal to ``work/<stage>/budget/p<k>-<shard>.at`` before its steps and -1 after it (two 8-byte
    ``pwrite`` calls per document); a Python-level exit removes the file. The next attempt of the shard finds the
    file, counts a death on that ordinal in ``.deaths.json``, and a document on which the worker died twice is
    quarantined with reason ``budget`` instead of run again: the shard and the run go on. Local run folders only.

    A batching step's call covers several documents (``at(first, last)``): a death there is blamed on none of them.
    The next attempt runs that batch one document at a time (``unbatched``), and a death on one of its documents
    then counts twice (it was in the batch that died too), so the attempt after that skips it, as for a document
    that killed its worker twice on its own.

    A worker can die in its reader too, with no document in hand (a record of 1 GB of small JSON objects being
    built, a crash in a decoder): a reader that reports its position (``ReadGuard``: the JSON Lines line, the
    Parquet row group, the WARC record's byte) has it written as ``(_READING, position)``, and a record a worker
    died reading twice is skipped by the reader, quarantined as ``reader_died`` with its file and position. For a
    reader that reports none, the runner writes the ordinal of the record it asks for, and after two deaths there
    the shard's reading stops at that record (one ``reader_died`` record says the rest was not read)."""

    def __init__(self, run_dir: Path | RemotePath, stage: str, pass_index: int, shard: str, enabled: bool = True):
        self.fd: int | None = None
        self.poison: dict[int, int] = {}
        self.deaths: dict[int, int] = {}  # every ordinal a worker died on, with the count (poison: those >= 2)
        self.batches: list[tuple[int, int]] = []  # batches a worker died in: run one document at a time
        # deaths in the reader: at its own positions (ReadGuard), and at the ordinals of records of a reader that
        # reports none; poison: those of 2 deaths or more
        self.read_deaths: dict[int, int] = {}
        self.read_poison: dict[int, int] = {}
        self.item_deaths: dict[int, int] = {}
        self.item_poison: dict[int, int] = {}
        if isinstance(run_dir, RemotePath) or not enabled:
            return
        folder = Path(run_dir) / "work" / stage / "budget"
        self.path = folder / f"p{pass_index}-{shard}.at"
        deaths_path = folder / f"p{pass_index}-{shard}.deaths.json"
        try:
            rec = orjson.loads(deaths_path.read_bytes())
            batches = [(int(a), int(b)) for a, b in rec.pop("batches", [])]
            reading = {int(k): int(v) for k, v in rec.pop("reading", {}).items()}
            items = {int(k): int(v) for k, v in rec.pop("reading_records", {}).items()}
            deaths = {int(k): int(v) for k, v in rec.items()}
        except (FileNotFoundError, ValueError, AttributeError, TypeError):
            deaths, batches, reading, items = {}, [], {}, {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = b""
        at, last = (_AT_SPAN.unpack(raw) if len(raw) == _AT_SPAN.size else
                    (_AT.unpack(raw)[0],) * 2 if len(raw) == _AT.size else (-1, -1))
        if at > 0 or (at in (_READING, _READING_ITEM) and last >= 0):
            if at == _READING:
                reading[last] = reading.get(last, 0) + 1
            elif at == _READING_ITEM:
                items[last] = items.get(last, 0) + 1
            elif last > at:
                batches.append((at, last))
            else:
                deaths[at] = deaths.get(at, 0) + 1 + any(a <= at <= b for a, b in batches)
            out: dict[str, Any] = {str(k): v for k, v in sorted(deaths.items())}
            if batches:
                out["batches"] = sorted(set(batches))
            if reading:
                out["reading"] = {str(k): v for k, v in sorted(reading.items())}
            if items:
                out["reading_records"] = {str(k): v for k, v in sorted(items.items())}
            with atomic_path(deaths_path) as tmp:
                tmp.write_bytes(orjson.dumps(out))
        self.deaths = deaths
        self.poison = {k: v for k, v in deaths.items() if v >= 2}
        self.batches = sorted(set(batches))
        self.read_deaths, self.item_deaths = reading, items
        self.read_poison = {k: v for k, v in reading.items() if v >= 2}
        self.item_poison = {k: v for k, v in items.items() if v >= 2}
        folder.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        global _position
        _position = self

    def at(self, n: int, last: int | None = None) -> None:
        """On document ``n`` (-1: none), or on the batch of documents ``n`` to ``last``."""
        if self.fd is not None:
            os.pwrite(self.fd, _AT_SPAN.pack(n, n if last is None else last), 0)

    def reading(self, pos: int) -> None:
        """In the reader, at its own position ``pos`` (ReadGuard.at; -1: between records)."""
        if self.fd is not None:
            os.pwrite(self.fd, _AT_SPAN.pack(_READING, pos) if pos >= 0 else _AT_SPAN.pack(-1, -1), 0)

    def reading_record(self, n: int) -> None:
        """In a reader that reports no position, asked for the shard's record ``n``."""
        if self.fd is not None:
            os.pwrite(self.fd, _AT_SPAN.pack(_READING_ITEM, n), 0)

    def unbatched(self, first: int, last: int) -> bool:
        """Whether a worker died in a batch overlapping documents ``first`` to ``last``."""
        return any(a <= last and first <= b for a, b in self.batches)

    def close(self) -> None:
        """A Python-level end of the attempt (finished, failed, terminated): no document is to blame."""
        global _position
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        if _position is self:
            _position = None


_position: Position | None = None


def _disk_failure(exc: BaseException) -> bool:
    """A step's exception that is the file system's (a full disk or quota, a read-only or failing device), not the
    document's: quarantining the document would move it out of the run for good (a resume skips a finished shard)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)


# What a quarantine record keeps of a document a worker died on twice: encoding it whole can be what killed the
# worker (a record whose 10 million small JSON arrays took 1 GB: orjson.dumps of it crashed a worker held to 1.5 GB
# of address space, so the quarantine record killed the third attempt too). 2,000 characters: enough to recognise a
# page in `winnow explain`; metadata strings up to that long, numbers and booleans are kept, anything else is named.
_POISON_CHARS = 2000


def _poison_summary(doc: Document) -> Document:
    meta = doc.metadata if isinstance(doc.metadata, dict) else {}
    small: dict[str, Any] = {}
    left: list[str] = []
    for k, v in meta.items():
        if type(k) is str and (v is None or type(v) in (bool, int, float) or
                               (type(v) is str and len(v) <= _POISON_CHARS)):
            small[k] = v
        else:
            left.append(utf8_safe(str(k))[:100])
    if left:
        small["left_out"] = left[:100]
    text = doc.text if isinstance(doc.text, str) else ""
    if len(text) > _POISON_CHARS:
        small["text_chars"] = len(text)
    return Document(id=doc.id, text=text[:_POISON_CHARS], metadata=small)


def _watch_reading(source: Iterator[Document | Quarantine], position: Position,
                   key: str) -> Iterator[Document | Quarantine]:
    """The records of a reader that reports no position (a plugin's), each ordinal written to ``position`` before
    the reader is asked for it. After a worker died twice there the record cannot be skipped alone (only the reader
    knows where it ends), so reading stops before it, with one quarantine record that says so: the records before
    it are run as usual and the shard completes."""
    it = iter(source)
    n = 0
    while True:
        n += 1
        if n in position.item_poison:
            yield Quarantine(key, f"record {n}", "reader_died",
                             f"{key}: the worker died {position.item_poison[n]} times while its reader read record "
                             f"{n} of the shard (killed for memory, or a crash in a decoder); this reader reports no "
                             f"position to skip one record by, so the records from there to the shard's end were not "
                             f"read")
            return
        position.reading_record(n)
        try:
            item = next(it)
        except StopIteration:
            return
        yield item


def abandon_position() -> None:
    """For a worker's SIGTERM handler (the pool tearing down after another worker died): this worker's document is
    not to blame."""
    if _position is not None:
        _position.close()


# --- running one shard ------------------------------------------------------------------------------------------

@dataclass
class StepStats:
    name: str
    docs_in: int = 0
    docs_out: int = 0
    # documents with no failing verdict so far (cumulative through the pipeline): what a routing run would have
    # left after this step. Equals docs_out when routing; in annotate mode it is what `winnow apply` would keep.
    would_keep: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    edited: int = 0  # documents with an edit other than whitespace normalisation
    normalised: int = 0  # documents whose whitespace or line breaks the step normalised (NORMALISING_REASONS)
    edits: dict[str, int] = field(default_factory=dict)
    chars_removed: int = 0
    errors: int = 0
    seconds: float = 0.0  # wall clock inside the step: inflated when other processes share the cores
    # CPU seconds inside the step (time.process_time: this process's CPU, so a step's own helper threads count;
    # thread_time would miss them). What a step costs whatever the machine's load; the report and the run summary
    # show this one.
    cpu_seconds: float = 0.0
    chars_out: int = 0  # characters of the documents the step passed on (its docs_out), as it left them
    # A step that counts tokenizer tokens (``COUNTS_TOKENS``: the attribute it writes, the tokenize step's
    # "tokenize.tokens"): the tokens and characters of every document it counted, and the tokens of those it passed
    # on. stats.json turns the first two into the tokens-per-character ratio behind every other step's estimate.
    tokens_counted: int = 0
    tokens_counted_chars: int = 0
    tokens_out: int = 0


@dataclass
class ShardTask:
    """Everything a worker needs to run one pass of one shard; picklable, so any executor can ship it."""

    pipeline: Pipeline
    stage_index: int
    pass_index: int
    shard: str
    key: str  # reader key (a path for file readers)
    run_dir: str

    @property
    def label(self) -> str:
        """What messages call the task: its folder names (``main/p1/00000``: passes and shards numbered from 0, as
        the run folder's ``work/``, ``done/`` and ``stats/`` are, so a message points at its files), and for a stage
        of several passes the pass as the progress counts it, from 1 ("main/p1/00000 (pass 2/5)", beside the
        progress line "main pass 2/5 (...)"; friction10: the two read as different passes)."""
        stage = self.pipeline.stages[self.stage_index]
        n = len(plan_passes(stage))
        own = f"{stage.name}/p{self.pass_index}/{self.shard}"
        return own if n == 1 else f"{own} (pass {self.pass_index + 1}/{n})"

    def __call__(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        return run_shard(self, progress)


@dataclass
class WarmUp:
    """Run on each worker as the executor starts it, while the driver is still planning: unpickling the pipeline
    imports every step's module (numpy, the coherence steps' phrase tables: most of a worker's start-up), which the
    first task would otherwise do. Loads no model and touches no file."""

    pipeline: Pipeline

    def __call__(self, progress: Callable[[int, int], None] | None = None) -> None:
        return None


class _Entry:
    """One document on its way through a shard's steps."""

    __slots__ = ("n", "doc", "alive", "live", "failed", "quar")

    def __init__(self, n: int, doc: Document | None, alive: bool):
        self.n = n  # its ordinal in the shard (Position's unit)
        self.doc = doc  # None: a record the reader quarantined (only its line, in quar)
        self.alive = alive  # no failing verdict yet (annotate mode)
        self.live = doc is not None  # still going through the steps: not dropped (routing) and not quarantined
        self.failed = False  # quarantined by a step
        # (reason, message, line) of its quarantine, written when the window is finished, in input order
        self.quar: tuple[str, str, bytes] | None = None


def paths_for(run_dir: Path | RemotePath, stage: Stage, pass_index: int, shard: str,
              last: bool) -> dict[str, Path | RemotePath]:
    kept = (stage_folder(run_dir, "kept", stage.name, stage.writer) / f"{shard}{stage.writer.extension}" if last
            else run_dir / "work" / stage.name / f"p{pass_index}" / f"{shard}.jsonl.zst")
    return {
        "kept": kept,
        "rejected": stage_folder(run_dir, "rejected", stage.name, stage.rejects) /
        f"{shard}.p{pass_index}{stage.rejects.extension}",
        "quarantine": run_dir / "quarantine" / stage.name / f"{shard}.p{pass_index}.jsonl",
        "stats": run_dir / "stats" / stage.name / f"p{pass_index}" / f"{shard}.json",
        "done": run_dir / "done" / stage.name / f"p{pass_index}" / shard,
    }


def _open_writer(writer: Writer, tmp: Path, final: Path | RemotePath, stack: contextlib.ExitStack):
    """A writer's handle, with its side file (written atomically beside the documents file's) when it has one."""
    companions = getattr(writer, "companions", ())
    if companions:  # a tokenized writer's index files: renamed into place before the tokens file
        from .io.tokenized import companion_path

        return writer.open(tmp, companions={c: stack.enter_context(atomic_path(
            companion_path(final, writer.extension, c))) for c in companions})
    if not getattr(writer, "writes_side", False):
        return writer.open(tmp)
    return writer.open(tmp, side=stack.enter_context(atomic_path(side_path(final))))


_FROZEN: set = set()


def _freeze_once(key: tuple) -> None:
    """gc.freeze() once per pass in this process, after its first window: the steps' models, tables and caches
    (loaded at setup or at their first document) leave the cyclic collector's view, so its full collections stop
    walking them again and again (default pipeline on the e2e documents: 19 full collections, 0.8 of 43 CPU s).
    Only the collector's view changes: reference counting frees everything as before, and nothing a step outputs
    depends on it."""
    if key not in _FROZEN:
        _FROZEN.add(key)
        gc.freeze()


# Errors of a step's setup that no retry and no other shard changes: a package not installed, a model or tokenizer
# file (local, or remote and answered "not found" or "forbidden") not there, a parameter the loaded model refuses
# (a label it lacks). They become SetupFailed, which the executors neither retry nor meet again on every other shard.
# Anything else stays retried as before: a RuntimeError, or an OSError of a network or a file system (a
# connection reset while a model downloads) may pass.
_SETUP_FOR_GOOD = (ImportError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, ValueError,
                   ConfigError)


def run_shard(task: ShardTask, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    pipe = task.pipeline
    stage = pipe.stages[task.stage_index]
    run_dir = as_path(task.run_dir)
    ps = plan_passes(stage)[task.pass_index]
    out = paths_for(run_dir, stage, ps.index, task.shard, ps.last)
    annotate = pipe.on_drop == "annotate"
    t_start = time.perf_counter()
    c_start = process_time()
    started = time.time()  # wall clock: with `ended` and `worker`, a run's schedule (bench/workers_timeline.py)

    if ps.index == 0:
        src_stage = next(s for s in pipe.stages if s.name == stage.source) if stage.reader is None else None
        reader = stage.reader if src_stage is None else _reader_for_stage_output(src_stage, run_dir)
        source: Iterator[Document | Quarantine] = reader.read(task.key)
        if src_stage is not None and getattr(src_stage.writer, "writes_side", False):
            source = merge_side_docs(source, side_path(as_path(task.key)))
    else:
        reader = JsonlReader(paths=task.key, max_record_bytes=_OWN_RECORD_CAP)
        source = reader.read(task.key)

    order = ([ps.apply] if ps.apply is not None else []) + list(ps.steps)
    steps = [(i, stage.steps[i], step_label(stage, i)) for i in order]
    # In annotate mode a verdict is stored as "<label>.drop"; a label used by several stages is qualified with the
    # stage so the verdicts of one document do not overwrite each other.
    other_labels = {step_label(s, j) for s in pipe.stages if s is not stage for j in range(len(s.steps))}
    verdict_key = {label: (f"{stage.name}/{label}.drop" if label in other_labels else f"{label}.drop")
                   for _, _, label in steps}
    stats = [StepStats(label) for _, _, label in steps]
    token_keys = [getattr(step, "COUNTS_TOKENS", None) for _, step, _ in steps]
    for i, step, label in steps:
        try:
            step.setup(Context(run_dir=run_dir, stage=stage.name, shard=task.shard, on_drop=pipe.on_drop,
                               work_dir=work_dir(run_dir, stage, i)))
        except _SETUP_FOR_GOOD as exc:
            raise SetupFailed(f"step {label}: its setup failed: {type(exc).__name__}: {exc}") from exc
    collector: CorpusStep | None = None
    collect_stats = None
    if ps.collect is not None:
        collector = stage.steps[ps.collect]  # type: ignore[assignment]
        collect_ctx = Context(run_dir=run_dir, stage=stage.name, shard=task.shard, on_drop=pipe.on_drop,
                              work_dir=work_dir(run_dir, stage, ps.collect))
        collect_ctx.work_dir.mkdir(parents=True, exist_ok=True)
        collector.start_collect(collect_ctx)
        collect_stats = StepStats(step_label(stage, ps.collect) + ":collect")

    n_in = n_kept = n_rej = n_quar = 0
    n_would_keep = 0  # kept documents without a failing verdict (annotate); n_kept when routing
    chars_in = chars_out = 0
    tokens_out = 0  # the kept documents' tokenize.tokens (the tokenize step's count), when a step recorded it
    quarantine_reasons: dict[str, int] = {}
    quarantine_first: dict[str, str] = {}  # reason -> its first message: the run summary shows it
    died_on: list[dict[str, Any]] = []  # documents an earlier attempt's worker died on once (run again)
    pending = pending_chars = 0
    last_report = t_start
    # On an object store the three outputs (and a collector's tables) go up together; locally this changes nothing.
    kept_writer = stage.writer if ps.last else JsonlWriter(level=1)
    with upload_batch(), atomic_path(out["kept"]) as kept_tmp, atomic_path(out["rejected"]) as rej_tmp, \
            atomic_path(out["quarantine"]) as quar_tmp, contextlib.ExitStack() as sides:
        # side files (attributes/...) are renamed into place first, then the documents files, then stats and done
        kept_w = _open_writer(kept_writer, kept_tmp, out["kept"], sides)
        rej_w = _open_writer(stage.rejects, rej_tmp, out["rejected"], sides)
        quar_f = open(quar_tmp, "wb")
        budget = Budget(pipe.max_seconds_per_doc, pipe.max_memory_mb_per_doc,
                        hard_stop=multiprocessing.parent_process() is not None)
        # part of the budget: off with it (max_seconds_per_doc and max_memory_mb_per_doc both 0)
        position = Position(run_dir, stage.name, ps.index, task.shard,
                            enabled=pipe.max_seconds_per_doc > 0 or pipe.max_memory_mb_per_doc > 0)
        unit = getattr(reader, "READ_UNIT", "")
        if position.fd is not None:  # a worker killed in the reader blames the record it was reading
            if unit:
                reader._guard = ReadGuard(position.reading, position.read_poison)
            else:
                source = _watch_reading(source, position, str(task.key))
            for pos, n in sorted(position.read_deaths.items()) if unit else sorted(position.item_deaths.items()):
                if n == 1:
                    where = f"{unit} {pos}" if unit else f"record {pos}"
                    died_on.append({"reading": where, "deaths": n})
                    print(f"[winnow] {task.label}: a worker died while reading {where} of {task.key!s:.300}; "
                          f"reading it again (a second death quarantines it)", file=sys.stderr, flush=True)
        def quarantine_line(why: str, msg: str, line: bytes) -> None:
            quarantine_reasons[why] = quarantine_reasons.get(why, 0) + 1
            quarantine_first.setdefault(why, msg)
            quar_f.write(line)

        def quarantine_entry(doc: Document, why: str, step: str | None, msg: str) -> tuple[str, str, bytes]:
            """A document a step could not finish (error, budget, a worker's death), encoded with the document by
            step_error_line whatever it holds (it cannot raise); counted and written by quarantine_line."""
            return why, msg, step_error_line({
                "stage": stage.name, "pass": ps.index, "source": str(task.key),
                "location": f"document {doc.id!s:.200}", "reason": why, "step": step, "message": msg}, doc)

        _unencoded = object()

        def write_or_quarantine(handle, doc: Document, encoded: Any = _unencoded) -> bool:
            """Write one document (or what ``handle.encode`` made of it); one the writer cannot encode (a value a
            step or a user function left that JSON or Parquet cannot hold) is quarantined alone instead of failing
            the shard. The handles encode everything before writing a byte, so a refused document leaves no partial
            line behind."""
            try:
                if encoded is _unencoded:
                    encoded = handle.encode(doc)
                handle.write_encoded(encoded)
                return True
            except OSError:
                # the file system's failure (a full disk, a quota, an I/O error), not the document's: it fails the
                # shard, whose outputs are then never renamed into place. Quarantined as write_error, each document
                # met on a full disk was moved out of the run for good (a resume skips a finished shard), and a
                # compressed stream that failed half-way through a write went on being written.
                raise
            except Exception as exc:
                write_failed(handle, doc, exc)
                return False

        def write_failed(handle, doc: Document, exc: Exception) -> None:
            nonlocal n_quar
            n_quar += 1
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            where = "rejects" if handle is rej_w else "writer"
            quarantine_line(*quarantine_entry(doc, "write_error", None,
                                              f"the {where} could not encode document {doc.id}: {tb}"))

        # A step that scores documents in batches (batching() > 0: the embedding classifier) gets them in windows
        # of that many; the steps around it still run one document at a time. With no such step the window is one
        # document and this is the plain per-document chain.
        batch_at = {k: s.batching() for k, (_, s, _) in enumerate(steps) if s.batching() > 0}
        # The apply pass's corpus step matches documents by position (CorpusStep's contract): one quarantined before
        # it (a record that killed its worker twice, or its reader could not read back) is announced in its place.
        skip_apply = getattr(steps[0][1], "skipped", None) if ps.apply is not None and 0 not in batch_at else None
        window = max(batch_at.values(), default=WINDOW_DOCS)
        window_cap = WINDOW_CHARS if not batch_at else float("inf")

        def fail(e: _Entry, k: int, exc: BaseException, t0: float, c0: float) -> None:
            """Step k raised on e's document, or ran over its budget: the document is quarantined, and the shared
            state steps keep across documents is started afresh (it may be half-updated: winnow.step)."""
            nonlocal n_quar
            reset_after_interrupt()
            label, st = steps[k][2], stats[k]
            st.seconds += time.perf_counter() - t0
            st.cpu_seconds += process_time() - c0
            st.errors += 1
            n_quar += 1
            if isinstance(exc, BudgetExceeded):
                why = "budget"
                msg = (f"step {label} stopped on document {e.doc.id}: it {budget.why} "
                       f"(after {time.perf_counter() - t0:.1f} s)")
            else:
                why = "step_error"
                tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
                msg = f"step {label} raised on document {e.doc.id}: {tb}"
            e.quar = quarantine_entry(e.doc, why, label, msg)
            e.failed, e.live = True, False

        def account(e: _Entry, k: int, before: int, n_edits: int) -> None:
            """Step k's edits, tokens and verdict on e's document, counted; a drop ends its chain when routing."""
            label, st, doc, tok_key = steps[k][2], stats[k], e.doc, token_keys[k]
            n_tok = doc.attributes.get(tok_key) if tok_key else None
            if type(n_tok) is int:
                st.tokens_counted += n_tok
                st.tokens_counted_chars += len(doc.text)
            if len(doc.edits) != n_edits:
                new = doc.edits[n_edits:]
                n_norm = sum(x.reason in NORMALISING_REASONS for x in new)
                st.edited += n_norm < len(new)  # a content edit, not only whitespace normalisation
                st.normalised += n_norm > 0
                st.chars_removed += before - len(doc.text)
                for x in new:
                    st.edits[x.reason] = st.edits.get(x.reason, 0) + 1
            if doc.drop is not None:
                reason = doc.drop.reason
                st.dropped[reason] = st.dropped.get(reason, 0) + 1
                if annotate:
                    doc.attributes[verdict_key[label]] = doc.drop.to_dict()
                    doc.drop = None
                    e.alive = False
                else:
                    e.live = False
                    return
            st.docs_out += 1
            st.chars_out += len(doc.text)
            if type(n_tok) is int:
                st.tokens_out += n_tok
            st.would_keep += e.alive

        def run_step(e: _Entry, k: int) -> None:
            st, doc = stats[k], e.doc
            st.docs_in += 1
            before, n_edits = len(doc.text), len(doc.edits)
            budget.mark()
            c0 = process_time()
            t0 = budget.since = time.perf_counter()
            try:
                e.doc = steps[k][1].process(doc)
                budget.since = None
            except (Exception, BudgetExceeded) as exc:  # one bad document must not stop the run
                budget.since = None
                if _disk_failure(exc):  # the file system's, not the document's: the shard fails (write_or_quarantine)
                    raise
                fail(e, k, exc, t0, c0)
                return
            st.seconds += time.perf_counter() - t0
            st.cpu_seconds += process_time() - c0
            account(e, k, before, n_edits)

        def run_batch(live: list[_Entry], k: int) -> None:
            step, st = steps[k][1], stats[k]
            docs = [e.doc for e in live]
            sizes = [(len(d.text), len(d.edits)) for d in docs]
            if position.unbatched(live[0].n, live[-1].n):  # a worker died in this batch: find the document
                for e in live:
                    position.at(e.n)
                    run_step(e, k)
                return
            # A worker that dies inside the batch is blamed on none of its documents: the next attempt runs them
            # one at a time (Position).
            position.at(live[0].n, live[-1].n)
            budget.mark()
            c0 = process_time()
            t0 = time.perf_counter()
            budget.since = t0 + budget.seconds * (len(live) - 1)  # the per-document budget, once per document
            try:
                out = step.process_batch(docs)
                budget.since = None
                if len(out) != len(docs):
                    raise RuntimeError(f"process_batch returned {len(out)} documents for {len(docs)}")
            except (Exception, BudgetExceeded) as exc:
                budget.since = None
                reset_after_interrupt()
                st.seconds += time.perf_counter() - t0
                st.cpu_seconds += process_time() - c0
                # again one document at a time, so that only the document at fault is quarantined
                for e in live:
                    position.at(e.n)
                    run_step(e, k)
                return
            st.seconds += time.perf_counter() - t0
            st.cpu_seconds += process_time() - c0
            st.docs_in += len(live)
            for e, doc, (before, n_edits) in zip(live, out, sizes):
                e.doc = doc
                account(e, k, before, n_edits)

        def finish(e: _Entry) -> None:
            """The document's end: rejected, collected and kept, or (quarantined already) nothing."""
            nonlocal n_quar, n_rej, n_kept, n_would_keep, chars_out, tokens_out
            doc = e.doc
            if e.quar is not None:
                quarantine_line(*e.quar)
            if doc is None or e.failed:  # quarantined by the reader or a step, or skipped as poison
                return
            # Writing it (encoding, compressing, a corpus step's collect) can kill the worker too (a huge document,
            # the OOM killer): the next attempt must know which document that was, not blame none (flush resets it).
            position.at(e.n)
            if doc.drop is not None:
                if not write_or_quarantine(rej_w, doc):
                    return
                n_rej += 1
                return
            encoded = _unencoded
            if collector is not None:
                # encoded before it is collected: a document its pass file cannot hold must not be collected (the
                # apply pass reads that file and must see exactly the documents collected, in order)
                try:
                    encoded = kept_w.encode(doc)
                except Exception as exc:
                    write_failed(kept_w, doc, exc)
                    return
                c0 = process_time()
                t0 = time.perf_counter()
                try:
                    collector.collect(doc)
                except Exception as exc:  # a corpus step's collect is a step too: one document, not the shard
                    if _disk_failure(exc):  # its tables on a full disk: the shard fails, as a writer's would
                        raise
                    collect_stats.seconds += time.perf_counter() - t0
                    collect_stats.cpu_seconds += process_time() - c0
                    collect_stats.errors += 1
                    n_quar += 1
                    tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    quarantine_line(*quarantine_entry(doc, "step_error", collector.name,
                                                      f"step {collector.name} raised collecting document {doc.id}: {tb}"))
                    return
                collect_stats.seconds += time.perf_counter() - t0
                collect_stats.cpu_seconds += process_time() - c0
                collect_stats.docs_in += 1
                collect_stats.docs_out += 1
                collect_stats.chars_out += len(doc.text)
                collect_stats.would_keep += e.alive
                # Collected, it must be in the pass file: the apply pass matches that file's documents to the
                # collected ones by position, and a document quarantined here (write_error: a compressor out of
                # memory) gave every later document of the shard the decision of the one before it. A write that
                # fails now fails the shard (retried), as a full disk does.
                try:
                    kept_w.write_encoded(encoded)
                except OSError:
                    raise
                except Exception as exc:
                    raise RuntimeError(f"document {doc.id!s:.200} was collected by {collector.name} but could not be "
                                       f"written to the pass file: {type(exc).__name__}: {exc}") from exc
            elif not write_or_quarantine(kept_w, doc, encoded):
                return
            n_kept += 1
            n_would_keep += e.alive
            chars_out += len(doc.text)
            n_tok = doc.attributes.get("tokenize.tokens")
            if type(n_tok) is int:
                tokens_out += n_tok

        def flush(items: list[_Entry]) -> None:
            """Each step over a window of documents (in input order; a batching step's in one call), the next step
            over those still live, then each document's end, in input order (WINDOW_DOCS)."""
            for k in range(len(steps)):
                if k in batch_at:
                    live = [e for e in items if e.live]
                    if live:
                        run_batch(live, k)
                    continue
                for e in items:
                    if e.live:
                        position.at(e.n)
                        run_step(e, k)
                    elif skip_apply is not None and k == 0 and e.doc is None:
                        skip_apply()  # a collected document quarantined before its apply: its place in the order
            for e in items:
                finish(e)
            position.at(-1)  # between windows (reading the next one) no document is to blame

        budget.arm()
        try:
            items: list[_Entry] = []
            window_chars = 0
            for item in source:
                n_in += 1
                pending += 1
                if progress is not None and (pending >= PROGRESS_EVERY or
                                             (pending & 15 == 0 and time.perf_counter() - last_report > 0.5)):
                    progress(pending, pending_chars)
                    pending = pending_chars = 0
                    last_report = time.perf_counter()
                if isinstance(item, Quarantine):
                    n_quar += 1
                    e = _Entry(n_in, None, False)
                    e.quar = (item.reason, item.message,
                              orjson.dumps({"stage": stage.name, "pass": ps.index, **item.to_dict()}) + b"\n")
                else:
                    doc = item
                    if doc.drop is not None:  # a rejected winnow record read again: history, not this run's verdict
                        if isinstance(doc.metadata, dict):
                            doc.metadata["input_drop"] = doc.drop.to_dict()
                        doc.drop = None
                    # annotate: a verdict recorded by an earlier pass or stage already rules the document out
                    alive = not annotate or not any(k.endswith(".drop") and isinstance(v, dict)
                                                    for k, v in doc.attributes.items())
                    chars_in += len(doc.text)
                    pending_chars += len(doc.text)
                    if n_in in position.deaths and n_in not in position.poison:
                        # an earlier attempt's worker died on it once (killed, out of memory): it runs again; the
                        # shard's stats and the log name it (the ordinal alone in deaths.json told the user nothing)
                        died_on.append({"document": utf8_safe(str(doc.id)), "ordinal": n_in,
                                        "deaths": position.deaths[n_in]})
                        print(f"[winnow] {task.label}: a worker died while on document {doc.id!s:.200} (record "
                              f"{n_in} of the shard); running it again (a second death quarantines it)",
                              file=sys.stderr, flush=True)
                    if n_in in position.poison:
                        n_quar += 1
                        e = _Entry(n_in, None, False)
                        # encoded while the document is blamed: a death here is its own, not the reader's line's
                        position.at(n_in)
                        e.quar = quarantine_entry(_poison_summary(doc), "budget", None,
                                                  f"document {doc.id} was skipped: the worker died "
                                                  f"{position.poison[n_in]} times while on it (killed for memory, or "
                                                  "stopped by the hard stop in a call that never returned); the record "
                                                  f"keeps its first {_POISON_CHARS:,} characters and its small metadata")
                        position.at(-1)
                    else:
                        e = _Entry(n_in, doc, alive)
                        html = doc.metadata.get("html") if type(doc.metadata) is dict else None
                        window_chars += len(doc.text) + (len(html) if type(html) is str else 0)
                items.append(e)
                if len(items) >= window or window_chars >= window_cap:
                    flush(items)
                    items = []
                    window_chars = 0
                    _freeze_once((stage.name, ps.index))
            flush(items)
        finally:
            budget.disarm()
            if getattr(reader, "_guard", None) is not None:
                reader._guard = None
            position.close()
            kept_w.close()
            rej_w.close()
            quar_f.close()
        if collector is not None:
            collector.finish_collect(collect_ctx)
    if progress is not None and pending:
        progress(pending, pending_chars)

    all_stats = stats + ([collect_stats] if collect_stats else [])
    result = {
        "stage": stage.name, "pass": ps.index, "shard": task.shard, "input": utf8_safe(task.key),
        "in": n_in, "kept": n_kept, "rejected": n_rej, "quarantined": n_quar, "would_keep": n_would_keep,
        "quarantine_reasons": quarantine_reasons, "quarantine_first": quarantine_first, "chars_in": chars_in, "chars_out": chars_out,
        "tokens_out": tokens_out, "seconds": round(time.perf_counter() - t_start, 6),
        "cpu_seconds": round(process_time() - c_start, 6),
        "started": round(started, 3), "ended": round(time.time(), 3), "worker": os.getpid(),
        "steps": [dataclasses.asdict(s) for s in all_stats],
    }
    if died_on:  # only then: the stats of a shard no worker died in stay as they were
        result["worker_deaths"] = died_on
    if n_in != n_kept + n_rej + n_quar:  # cannot happen unless run_shard itself is wrong; fail loudly
        raise LedgerError(f"{task.label}: {n_in} in != {n_kept} kept + {n_rej} rejected + {n_quar} quarantined")
    with atomic_path(out["stats"]) as tmp:
        tmp.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    with atomic_path(out["done"]) as tmp:
        tmp.write_bytes(b"")
    return result
