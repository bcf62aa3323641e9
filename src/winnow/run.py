"""The driver: plan each stage into passes, skip what finished, hand the rest to an executor, reduce corpus steps
between passes, and check the ledger at every barrier.

The ledger: for every pass of every stage, records in = kept + rejected + quarantined, shard by shard and in
total, and the kept of pass k is the input of pass k+1. The counts in the stats files are checked against the
documents actually present in the output files.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .config import dump_pipeline
from .document import utf8_safe
from .errors import ConfigError, LedgerError, ShardFailed, TooMuchQuarantined
from .executors import Executor, TaskFailure, make_executor
from .executors.base import NotRun
from .io.base import RemotePath, as_path, atomic_path, forget_listings, is_temp_name, open_read, read_many
from .runfolder import Inputs, RunFolderError, RunLock, check_folder, clean_temp_files
from .pipeline import Pipeline, ShardTask, WarmUp, paths_for, plan_passes, stage_shards, step_label, work_dir
from .results import RunOutputs, format_stats
from .step import Context

__all__ = ["run_pipeline", "RunResult", "load_stats", "format_stats"]


@dataclass
class RunResult(RunOutputs):
    """What ``run_pipeline`` returns: ``summary`` (the table), ``counts``, and the records as streams: ``kept()``,
    ``rejected()``, ``quarantined()`` (see winnow.results)."""

    run_dir: Path | RemotePath
    stats: dict[str, Any]
    failures: list[TaskFailure] = field(default_factory=list)
    skipped_shards: int = 0


def _count_records(path: Path | RemotePath) -> int:
    if not path.exists():
        return 0
    from .io.tokenized import count_documents

    n_docs = count_documents(path)  # a tokenized writer's file: its index says (None for document files)
    if n_docs is not None:
        return n_docs
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if isinstance(path, RemotePath):
            with open_read(path) as f:
                return pq.ParquetFile(f).metadata.num_rows
        return pq.ParquetFile(path).metadata.num_rows
    n = 0
    with open_read(path) as f:
        while chunk := f.read(1 << 22):
            n += chunk.count(b"\n")
    return n


def _done_markers(folder: Path | RemotePath) -> set[str]:
    """The completion markers in one pass's folder, listed once: on an object store one listing replaces a
    request per shard."""
    try:
        return {p.name for p in folder.iterdir() if not is_temp_name(p.name)}
    except FileNotFoundError:
        return set()


def _check_pass_ledger(run_dir: Path | RemotePath, pipe: Pipeline, si: int, pi: int, shards: list[str],
                       prev: dict[str, int] | None, verify_files: bool) -> dict[str, int]:
    stage = pipe.stages[si]
    ps = plan_passes(stage)[pi]
    kept_by_shard: dict[str, int] = {}
    done = _done_markers(run_dir / "done" / stage.name / f"p{pi}")
    finished = [shard for shard in shards if shard in done]
    stats = read_many([paths_for(run_dir, stage, pi, shard, ps.last)["stats"] for shard in finished])
    for shard, raw in zip(finished, stats):
        p = paths_for(run_dir, stage, pi, shard, ps.last)
        if raw is None:
            raise LedgerError(f"{stage.name}/p{pi}/{shard}: completion marker without its stats file {p['stats']}")
        s = orjson.loads(raw)
        if s["in"] != s["kept"] + s["rejected"] + s["quarantined"]:
            raise LedgerError(f"ledger does not balance for {stage.name}/p{pi}/{shard}: in={s['in']} kept={s['kept']} "
                              f"rejected={s['rejected']} quarantined={s['quarantined']}")
        if prev is not None and shard in prev and prev[shard] != s["in"]:
            raise LedgerError(f"{stage.name}/p{pi}/{shard}: read {s['in']} documents but the previous pass kept "
                              f"{prev[shard]}")
        if verify_files:
            for key, want in (("kept", s["kept"]), ("rejected", s["rejected"]), ("quarantine", s["quarantined"])):
                got = _count_records(p[key])
                if got != want:
                    raise LedgerError(f"{stage.name}/p{pi}/{shard}: {p[key]} holds {got} records, stats say {want}")
        kept_by_shard[shard] = s["kept"]
    return kept_by_shard


def _largest_first(tasks: list[ShardTask], sizes: dict[str, int]) -> list[int]:
    """The order to hand a pass's tasks to the workers: largest input first (shard order among equals). A pass ends
    at a barrier when its last task does; with the big tasks first, the last ones to start are small and the workers
    finish close together (the greedy longest-first schedule). Input bytes stand in for the work: on the e2e WARC
    split in 8 files the heavy pass's CPU per shard follows its input's size (0.63 MB: 4.0-4.9 s, 0.78 MB: 4.8-5.8 s
    over four runs; bench/results/e2e.md, "two workers"). A size that cannot be read counts 0."""
    from .io.shards import split_key

    weights: list[int] = []
    listed: dict[str, int] = {}
    folders: set[str] = set()
    for t in tasks:
        path, rng = split_key(t.key)
        if rng is not None and rng.kind == "bytes":
            weights.append(rng.end - rng.start)
            continue
        size = sizes.get(utf8_safe(path))
        if size is None:  # a later pass's work file, or a stage reading another's output: list each folder once
            p = as_path(path)
            folder = str(p.parent)
            if folder not in folders:
                folders.add(folder)
                try:
                    for q in p.parent.iterdir():
                        listed[str(q)] = q.stat().st_size
                except Exception:  # the order is a speed-up only: a listing that fails (a store's error) leaves it
                    pass
            size = listed.get(str(p), 0)
        weights.append(size)
    return sorted(range(len(tasks)), key=lambda i: -weights[i])


def _pass_desc(stage: Any, ps: Any, n: int) -> str:
    """What the progress shows for a pass: its number of the stage's passes and the steps it runs, from the corpus
    step it applies to the one it collects for. "main pass 4" alone did not say which steps ran at 19 docs/s."""
    if n == 1:
        return stage.name
    idx = ([ps.apply] if ps.apply is not None else []) + list(ps.steps) + ([ps.collect] if ps.collect is not None else [])
    span = step_label(stage, idx[0]) + (f"..{step_label(stage, idx[-1])}" if len(idx) > 1 else "")
    return f"{stage.name} pass {ps.index + 1}/{n} ({span})"


def run_pipeline(pipe: Pipeline, run_dir: str | Path | RemotePath | None = None,
                 executor: Executor | dict | str | None = None,
                 *, verify_files: bool = False, log: bool = True, report: bool = True) -> RunResult:
    """Run (or resume) every stage. ``verify_files`` re-counts the records in every output file against the stats
    (decompressing everything once more); the per-shard and per-pass balance is always checked. The run folder may
    be a local path or a URL on any filesystem fsspec knows (``s3://bucket/run``)."""
    from .io.base import listing_scope

    with listing_scope():  # the preflight lists the inputs and plans the shards once; the run takes that plan
        return _run_pipeline(pipe, run_dir, executor, verify_files, log, report)


def _run_pipeline(pipe: Pipeline, run_dir: str | Path | RemotePath | None, executor: Executor | dict | str | None,
                  verify_files: bool, log: bool, report: bool) -> RunResult:
    from .preflight import check_needed_fields, plan_notes  # a step needing a field no document has: refused

    check_needed_fields(pipe, log)
    plan_notes(pipe, log)  # what tier auto chose, before the first document
    run_dir = as_path(run_dir if run_dir is not None else pipe.output_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RunFolderError(f"the run folder {run_dir} is a file, not a folder; give a folder with -o") from None
    except NotADirectoryError:
        raise RunFolderError(f"the run folder {run_dir} is under a file, not a folder; give a folder with -o") from None
    except PermissionError as exc:
        raise RunFolderError(f"cannot create the run folder {run_dir}: {exc.strerror} ({exc.filename})") from None
    except OSError as exc:  # a read-only file system, or a place that takes no new folders (/proc: "No such file")
        raise RunFolderError(f"cannot create the run folder {run_dir}: {exc.strerror or exc}; give -o a folder on a "
                             "writable file system") from None
    lock = RunLock(run_dir, log)
    try:
        lock.acquire()
    except PermissionError as exc:
        raise RunFolderError(f"the run folder {run_dir} is not writable: {exc.strerror} ({exc.filename})") from None
    try:
        return _run_locked(pipe, run_dir, executor, verify_files, log, report)
    finally:
        lock.release()


def _run_locked(pipe: Pipeline, run_dir: Path | RemotePath, executor: Executor | dict | str | None,
                verify_files: bool, log: bool, report: bool) -> RunResult:
    check_folder(run_dir)
    removed = clean_temp_files(run_dir)
    if removed and log:
        print(f"[winnow] removed {removed} temporary file(s) left by an interrupted run", file=sys.stderr)
    pipe.output_dir = str(run_dir)
    resolved = dump_pipeline(pipe)
    cfg_path = run_dir / "config.resolved.yaml"
    if cfg_path.exists():
        old = cfg_path.read_text()
        if _strip_executor(old) != _strip_executor(resolved):
            # a user who changed only --input or one --set reads "different pipeline" as a mystery: name what changed
            changed = _config_changes(old, resolved)
            what = "; ".join(changed[:3]) + (f"; and {len(changed) - 3} more" if len(changed) > 3 else "")
            from ._terminal import shell_path

            # (a folder begun before a shipped pipeline changed, or with other --set values, is finished by its own
            # config, which holds its inputs too)
            raise ConfigError(f"{run_dir} holds a run of a different pipeline (see {cfg_path}; changed: {what}). Resuming "
                              f"it would mix outputs. Give another run folder with -o DIR, or delete this one; to "
                              f"finish it as it was begun: winnow run {shell_path(cfg_path)} -o {shell_path(run_dir)}")
    with atomic_path(cfg_path) as tmp:
        tmp.write_text(resolved)

    own_executor = not isinstance(executor, Executor)
    ex = executor if isinstance(executor, Executor) else make_executor(executor or pipe.executor)
    resuming = (run_dir / "done").exists()
    failures: list[TaskFailure] = []
    skipped = 0
    not_run = 0  # shards the executor did not start once a setup failed for good (NotRun)
    t0 = time.perf_counter()
    try:
        inputs = Inputs(run_dir, resuming)
        started = False
        for si, stage in enumerate(pipe.stages):
            if stage.mix is not None:  # earlier stages are finished: mix their tokenized outputs
                from .shuffle_merge import run_mix_stage

                run_mix_stage(pipe, stage, run_dir, ex, log)
                continue
            shards = stage_shards(pipe, stage, run_dir)
            # the preflight's listings served this stage's plan; a later stage lists its own input when it starts
            forget_listings()
            if not started:  # the workers start and import while the inputs are fingerprinted and the passes planned
                ex.start(WarmUp(pipe), len(shards))
                started = True
            if stage.reader is not None:
                if not shards:
                    raise ConfigError(f"stage {stage.name}: no input matched {getattr(stage.reader, 'paths', '?')!r} "
                                      "(a typo in the path, or the wrong working folder?)")
                inputs.check(stage.name, [key for _, key in shards], stage.reader)
                if log:
                    _idle_workers_note(stage.name, [key for _, key in shards], ex.workers, stage.reader, inputs.sizes)
            prev_kept: dict[str, int] | None = None
            passes = plan_passes(stage)
            for ps in passes:
                tasks = []
                done = _done_markers(run_dir / "done" / stage.name / f"p{ps.index}")
                for name, key in shards:
                    if prev_kept is not None and name not in prev_kept:
                        continue  # that shard failed in an earlier pass
                    k = key if ps.index == 0 else str(run_dir / "work" / stage.name / f"p{ps.index - 1}" / f"{name}.jsonl.zst")
                    task = ShardTask(pipe, si, ps.index, name, k, str(run_dir))
                    if name in done:
                        skipped += 1
                        continue
                    tasks.append(task)
                desc = _pass_desc(stage, ps, len(passes))
                order = _largest_first(tasks, inputs.sizes) if ex.workers > 1 else list(range(len(tasks)))
                results: list[Any] = [None] * len(tasks)
                for i, res in zip(order, ex.run_tasks([tasks[i] for i in order], desc=desc)):
                    results[i] = res
                for res in results:  # in shard order, whatever order they ran in: the first failure named is stable
                    if isinstance(res, TaskFailure):
                        failures.append(res)
                    elif isinstance(res, NotRun):
                        not_run += 1
                if ps.index == 0 and stage.reader is not None and log:
                    moved = inputs.changed_since(stage.name)
                    if moved:
                        print(f"[winnow] warning: stage {stage.name}: {len(moved)} input file(s) changed while this "
                              f"run read them: {'; '.join(moved[:3])}{' ...' if len(moved) > 3 else ''}. Their "
                              "documents are those read at that moment (lines appended after were not read), and a "
                              "resume of this folder will refuse the changed file; rerun into a new folder once the "
                              "files are complete", file=sys.stderr, flush=True)
                prev_kept = _check_pass_ledger(run_dir, pipe, si, ps.index, [n for n, _ in shards], prev_kept,
                                               verify_files)
                if failures:
                    break
                if ps.collect is not None:
                    marker = run_dir / "done" / stage.name / f"reduce{ps.index}"
                    if not marker.exists():
                        step = stage.steps[ps.collect]
                        wd = work_dir(run_dir, stage, ps.collect)
                        wd.mkdir(parents=True, exist_ok=True)
                        tr, cr = time.perf_counter(), time.process_time()
                        step.reduce(Context(run_dir=run_dir, stage=stage.name, shard="", on_drop=pipe.on_drop,
                                            work_dir=wd, map=ex.map, workers=ex.workers))
                        # cpu_seconds: this (driving) process only; work a reduce fans out to workers is not in it
                        with atomic_path(marker) as tmp:
                            tmp.write_bytes(orjson.dumps({"step": step_label(stage, ps.collect),
                                                          "seconds": time.perf_counter() - tr,
                                                          "cpu_seconds": time.process_time() - cr}))
            if failures:
                break
        if getattr(ex, "worker_deaths", 0):  # a killed worker (and those torn down with it) left temporary files
            clean_temp_files(run_dir)
        if own_executor:
            ex.finish()  # its workers exit while the stats, index and report are written; close() joins them
        return _end_of_run(pipe, run_dir, resuming, time.perf_counter() - t0, failures, skipped, log, report,
                           not_run)
    finally:
        if own_executor:
            ex.close()


def _failures_by_error(first: TaskFailure, others: list[TaskFailure], shown: int = 5) -> str:
    """The other failed shards, grouped by their error: a setup error (a missing package, a tokenizer) fails every
    shard alike, and the message repeated it once per shard (4 shards: four copies; a corpus of 1,000: a page)."""
    groups: dict[str, list[TaskFailure]] = {}
    for f in others:
        groups.setdefault(f.error, []).append(f)
    parts = []
    for error, fs in groups.items():
        labels = ", ".join(f.label for f in fs[:shown]) + (f" and {len(fs) - shown} more" if len(fs) > shown else "")
        attempts = sorted({f.attempts for f in fs})
        tries = f"{attempts[0]} attempts" if len(attempts) == 1 else "attempts " + "/".join(map(str, attempts))
        parts.append(f"{labels} ({tries}): " + ("the same error" if error == first.error else error))
    return "; ".join(parts)


def _end_of_run(pipe: Pipeline, run_dir: Path | RemotePath, resuming: bool, elapsed: float,
                failures: list[TaskFailure], skipped: int, log: bool, report: bool, not_run: int = 0) -> RunResult:
    stats = load_stats(run_dir, pipe)
    stats["seconds"], stats["invocations"] = _run_time(run_dir, resuming, elapsed)
    if failures:  # the run ends here, its stats those of the shards that finished: whatif, apply, report refuse it
        stats["failed"] = [f.label for f in failures]
    with atomic_path(run_dir / "stats.json") as tmp:
        tmp.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
    result = RunResult(run_dir, stats, failures, skipped)
    if failures:
        setup = next((f for f in failures if f.setup), None)
        if setup is not None:
            # The stage stopped at it: the same on every shard and every attempt, so it is named once, first
            first, others = setup, [f for f in failures if f is not setup]
            cause = (f"{first.error.removeprefix('winnow.errors.SetupFailed: ')}. A step's setup failed before any document was read, in a way a retry cannot "
                     f"change: the stage stopped there ({not_run} shard(s) not started)")
            raise ShardFailed(first.label, cause + (f"; {len(others)} more shard(s) failed: " +
                                                    _failures_by_error(first, others) if others else "") +
                              ". Fix it (install the package, give the file), then rerun to resume; finished shards "
                              "are kept and balanced.")
        first, others = failures[0], failures[1:]
        cause = f"after {first.attempts} attempts: {first.error}"
        if others:
            cause += f"; {len(others)} more shard(s) failed: " + _failures_by_error(first, others)
        full = any(("No space left on device" in f.error or "Disk quota exceeded" in f.error) for f in failures)
        # a read-only file system fails a shard at once too (executors.base._NOT_RETRIED): "rerun to resume" alone
        # fails the same way until it is writable again
        ro = any("Read-only file system" in f.error for f in failures)
        raise ShardFailed(first.label, cause + ". Finished shards are kept and balanced; " +
                          ("free space on the run folder's file system, then rerun to resume (a full disk fails a "
                           "shard at once, without running it again)." if full else
                           "remount the read-only file system read-write (or copy the run folder to a writable "
                           "place), then rerun to resume." if ro else "rerun to resume."))
    from .report.index import write_index  # explain's id/URL -> file and position index; never fails the run

    write_index(run_dir, log)
    from .card import write_card  # kept/README.md, the Hub's dataset card; never fails the run

    write_card(run_dir, log)
    if report:
        _write_report(run_dir, log)
    problem = quarantine_problem(stats, pipe)
    if problem:
        raise TooMuchQuarantined(problem, result)
    return result


def quarantine_problem(stats: dict[str, Any], pipe: Pipeline) -> str | None:
    """Why the run must fail for its quarantine, or None. A wrong ``text_key`` quarantines every record and the
    run used to end with rc 0, the only useful message buried in quarantine/*.jsonl."""
    limit = pipe.max_quarantined
    by_name = {s.name: s for s in pipe.stages}
    for sd in stats["stages"]:
        stage = by_name.get(sd["name"])
        n_in, n_q = sd["in"], sd["quarantined"]
        if n_in == 0:
            if stage is not None and stage.reader is not None:
                return (f"stage {sd['name']}: the reader matched input files but read no record from them "
                        f"({getattr(stage.reader, 'paths', '?')!r}: empty files?)")
            continue
        share = n_q / n_in
        too_many = n_q == n_in if limit is None else share > limit
        if too_many:
            allowed = "all of them" if limit is None else f"more than run.max_quarantined={limit:g}"
            firsts = "; ".join(f"{r}: {m}" for r, m in sd.get("quarantine_first", {}).items())
            return (f"stage {sd['name']}: {n_q:,} of {n_in:,} records quarantined ({allowed}); "
                    f"first of each reason: {firsts or '-'} (all in {pipe.output_dir}/quarantine/{sd['name']}/). "
                    "Set run.max_quarantined to a share (0..1) to accept more.")
    return None


def _run_time(run_dir: Path | RemotePath, resuming: bool, elapsed: float) -> tuple[float, int]:
    """Wall seconds over every invocation that wrote stats.json (a killed one never did), and how many."""
    prev_s, prev_n = 0.0, 0
    if resuming:
        try:
            old = orjson.loads((run_dir / "stats.json").read_bytes())
            prev_s, prev_n = float(old.get("seconds") or 0.0), int(old.get("invocations") or 1)
        except (FileNotFoundError, ValueError):
            pass
    return round(prev_s + elapsed, 3), prev_n + 1


def _write_report(run_dir: Path | RemotePath, log: bool) -> None:
    """The HTML report is built from the run folder alone; a missing or failing report never fails a run."""
    try:
        from .report import build_report
    except ImportError:
        return
    try:
        build_report(run_dir)
    except Exception as exc:  # the run's outputs stand; say why the report is missing
        if log:
            print(f"[winnow] report not written: {type(exc).__name__}: {exc}", file=sys.stderr)


_WHOLE_FILE_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz")


# Inputs under this many MB per shard are not worth a note about idle workers: a worker's start costs more.
_SPLIT_NOTE_MB = 8


def _idle_workers_note(stage: str, keys: list[str], workers: int, reader: Any = None,
                       sizes: dict[str, int] | None = None) -> None:
    """Say so when workers will stay idle because compressed files are read whole, one worker each (a single
    .jsonl.gz ran on one worker of sixteen, silently), or because the files are smaller than the reader's
    shard_size_mb (a 21 MB Parquet file ran on one worker of two for 36 s, silently: friction10)."""
    whole = [k for k in keys if k.lower().endswith(_WHOLE_FILE_SUFFIXES)]
    size_mb = getattr(reader, "shard_size_mb", None)
    if workers > len(keys) and not whole and keys and size_mb and size_mb > 0 and sizes:
        total = sum(sizes.get(k, 0) for k in keys) / 2**20
        if total >= _SPLIT_NOTE_MB * len(keys):
            import dataclasses

            smaller = max(1, int(total / workers))
            try:  # named only when it does split them (skip/limit read files whole, Parquet cuts at row groups)
                more = len(dataclasses.replace(reader, shard_size_mb=smaller).shards()) > len(keys)
            except Exception:
                more = False
            if more:
                print(f"[winnow] stage {stage}: {len(keys):,} shard(s) for {workers:,} workers, so "
                      f"{workers - len(keys):,} stay idle: the reader cuts files into shards of about "
                      f"shard_size_mb={size_mb:g} MB and these {total:,.0f} MB make {len(keys):,}; "
                      f"--set {stage}.reader.shard_size_mb={smaller} gives each worker a share", file=sys.stderr)
        return
    if workers > len(keys) and whole:
        name = os.path.basename(whole[0])
        also = (" (or decompress it: an uncompressed JSON Lines file is split by the reader's shard_size_mb)"
                if ".jsonl" in name.lower() else "")
        print(f"[winnow] stage {stage}: {len(keys):,} shard(s) for {workers:,} workers, so {workers - len(keys):,} "
              f"stay idle: a compressed file ({name}) is read whole by one worker; split it into several files"
              f"{also} to use them", file=sys.stderr)


def _strip_executor(cfg: str) -> str:
    import yaml

    return yaml.safe_dump(_same_numbers(_resume_relevant(cfg)), sort_keys=True)


def _same_numbers(x: Any) -> Any:
    """A whole float as the int it equals: a float parameter whose default is written as an int (gopher_quality's
    min_mean_word_length: 3) is read back from config.resolved.yaml as 3.0, so running a folder's own config on it
    was refused as another pipeline ('changed: the files differ', the names compared equal)."""
    if isinstance(x, dict):
        return {k: _same_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_same_numbers(v) for v in x]
    if type(x) is float and x.is_integer():
        return int(x)
    return x


def _config_changes(old: str, new: str) -> list[str]:
    """What differs between two resolved pipelines, as `key: old -> new` with stages and steps named as --set names
    them (`main.reader.paths`, `main.fineweb_quality.line_punct_thr`); resume-irrelevant keys are left out."""
    out: list[str] = []

    def label(item: object, i: int) -> str:
        if isinstance(item, dict):
            for key in ("name", "type"):
                if isinstance(item.get(key), str):
                    return item[key]
        return str(i)

    def walk(a: object, b: object, path: str, field: str = "") -> None:
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                sub = f"{path}.{key}" if path else str(key)
                if key in ("stages", "steps") and path != "":
                    sub = path  # stages and steps are named by their own name/type, as in --set
                elif key == "stages":
                    sub = ""
                walk(a.get(key), b.get(key), sub, str(key))
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) \
                and [label(x, i) for i, x in enumerate(a)] == [label(x, i) for i, x in enumerate(b)] \
                and any(isinstance(x, dict) for x in a):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}.{label(x, i)}" if path else label(x, i))
            return
        if isinstance(a, list) and isinstance(b, list) and any(isinstance(x, dict) for x in a + b):
            names = lambda xs: [label(x, i) for i, x in enumerate(xs)]  # noqa: E731
            where = f"{path} {field}" if path else field
            out.append(f"{where}: {_short(names(a))} -> {_short(names(b))}")
            return
        if isinstance(a, list) and isinstance(b, list):
            # a list of files (an unquoted --input glob): one added or changed sat in the middle of two long lists,
            # which _short cuts out; name the items that differ instead
            if len(a) == len(b):
                diffs = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
                out.extend(f"{path}[{i}]: {_short(x)} -> {_short(y)}" for i, x, y in diffs[:3])
                if len(diffs) > 3:
                    out.append(f"{path}: {len(diffs) - 3:,} more item(s)")
                return
            try:  # sets: 'in' on the lists took 12 s of CPU for 30,000 files and one added
                in_a, in_b = set(a), set(b)
            except TypeError:  # items that cannot be hashed (lists in the list): few, compared as they are
                in_a, in_b = a, b
            added, removed = [y for y in b if y not in in_a], [x for x in a if x not in in_b]
            if added or removed:
                def some(xs: list) -> str:
                    return ", ".join(map(_short, xs[:3])) + (f" and {len(xs) - 3:,} more" if len(xs) > 3 else "")

                out.append(f"{path}: " + "; ".join(f"{what} {some(xs)}" for what, xs in (("added", added),
                                                                                       ("removed", removed)) if xs))
                return
        out.append(f"{path}: {_short(a)} -> {_short(b)}")

    walk(_bools_apart(_resume_relevant(old)), _bools_apart(_resume_relevant(new)), "")
    return out or ["the files differ"]


class _Bool:
    """A boolean that equals no number: in Python True == 1, so a value changed from true to 1 (which the resume check
    tells apart: YAML writes them differently) compared equal here, and the refusal read 'changed: the files
    differ'."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value

    def __hash__(self) -> int:
        return hash((_Bool, self.value))

    def __repr__(self) -> str:
        return "true" if self.value else "false"  # as the pipeline file writes it


def _bools_apart(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _bools_apart(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_bools_apart(v) for v in x]
    return _Bool(x) if isinstance(x, bool) else x


def _short(value: object) -> str:
    text = "null" if value is None else repr(value)  # as the pipeline file writes it
    # long values are cut in the middle: two paths differ at their ends (a.jsonl vs *.jsonl) at least as often as
    # at their starts, and a head alone hid what changed
    return text if len(text) <= 80 else text[:38] + "..." + text[-39:]


def _resume_relevant(cfg: str) -> dict:
    from .config import load_yaml

    d = load_yaml(cfg, "config.resolved.yaml") or {}
    d.pop("executor", None)
    for key in ("output_dir", "max_seconds_per_doc", "max_memory_mb_per_doc"):
        # the budget decides only the fate of pathological documents; raising it is how an operator resumes a run
        # whose budget stopped too much
        d.get("run", {}).pop(key, None)
    return d


def load_stats(run_dir: str | Path | RemotePath, pipe: Pipeline) -> dict[str, Any]:
    """Merge the per-shard stats files into per-stage, per-step totals."""
    run_dir = as_path(run_dir)
    out: dict[str, Any] = {"on_drop": pipe.on_drop, "stages": []}
    for stage in pipe.stages:
        if stage.mix is not None:
            from .shuffle_merge import mix_stage_stats

            out["stages"].append(mix_stage_stats(run_dir, stage.name))
            continue
        sd: dict[str, Any] = {"name": stage.name, "passes": []}
        steps: dict[str, dict[str, Any]] = {}
        for ps in plan_passes(stage):
            folder = run_dir / "stats" / stage.name / f"p{ps.index}"
            tot = {"in": 0, "kept": 0, "rejected": 0, "quarantined": 0, "chars_in": 0, "chars_out": 0, "shards": 0,
                   "quarantine_reasons": {}, "quarantine_first": {}, "would_keep": 0}
            # pathlib's glob matches hidden names: a killed worker's .tmp-* stats file would count twice
            files = sorted(p for p in (folder.glob("*.json") if isinstance(folder, RemotePath) or folder.exists()
                                       else []) if not is_temp_name(p.name))
            for raw in read_many(files):
                s = orjson.loads(raw)
                tot["shards"] += 1
                for k in ("in", "kept", "rejected", "quarantined", "chars_in", "chars_out"):
                    tot[k] += s[k]
                tot["cpu_seconds"] = tot.get("cpu_seconds", 0.0) + s.get("cpu_seconds", 0.0)  # the shard's whole CPU
                tot["tokens_out"] = tot.get("tokens_out", 0) + s.get("tokens_out", 0)  # tokenize step's counts
                tot["would_keep"] += s.get("would_keep", s["kept"])  # a shard from before the count: route
                for r, n in s["quarantine_reasons"].items():
                    tot["quarantine_reasons"][r] = tot["quarantine_reasons"].get(r, 0) + n
                for r, m in s.get("quarantine_first", {}).items():  # shards in name order: the first shard's wins
                    tot["quarantine_first"].setdefault(r, m)
                for st in s["steps"]:
                    agg = steps.setdefault(st["name"], {"name": st["name"], "docs_in": 0, "docs_out": 0, "dropped": {},
                                                        "edited": 0, "edits": {}, "chars_removed": 0, "errors": 0,
                                                        "seconds": 0.0, "cpu_seconds": 0.0, "would_keep": 0,
                                                        "normalised": 0})
                    for k in ("docs_in", "docs_out", "edited", "chars_removed", "errors", "seconds"):
                        agg[k] += st[k]
                    agg["cpu_seconds"] += st.get("cpu_seconds", 0.0)  # 0 in a shard written before CPU was timed
                    agg["would_keep"] += st.get("would_keep", st["docs_out"])
                    agg["normalised"] += st.get("normalised", 0)
                    for k in _TOKEN_FIELDS:  # absent from the shards of older runs: the key stays out then
                        if k in st:
                            agg[k] = agg.get(k, 0) + st[k]
                    for key in ("dropped", "edits"):
                        for r, n in st[key].items():
                            agg[key][r] = agg[key].get(r, 0) + n
            sd["passes"].append(tot)
        sd["steps"] = list(steps.values())
        first, last = sd["passes"][0], sd["passes"][-1]
        sd["in"] = first["in"]
        sd["kept"] = last["kept"]
        sd["tokens_out"] = last.get("tokens_out", 0)
        # annotate: the documents without a failing verdict, what `winnow apply` writes (= kept when routing)
        sd["would_keep"] = last["would_keep"]
        sd["rejected"] = sum(p["rejected"] for p in sd["passes"])
        sd["quarantined"] = sum(p["quarantined"] for p in sd["passes"])
        sd["quarantine_first"] = {}
        for p in sd["passes"]:
            for r, m in p["quarantine_first"].items():
                sd["quarantine_first"].setdefault(r, m)
        sd["balanced"] = sd["in"] == sd["kept"] + sd["rejected"] + sd["quarantined"]
        out["stages"].append(sd)
    _token_estimates(out)
    return out


_TOKEN_FIELDS = ("chars_out", "tokens_counted", "tokens_counted_chars", "tokens_out")


def _token_estimates(out: dict[str, Any]) -> None:
    """Tokenizer tokens after every step. Exact only where a step counted them (the tokenize step, ``tokens_out``:
    the tokens of the documents it passed on). Everywhere else an estimate, labelled as one: the characters the
    step passed on times the tokens per character the counting step measured on every document it saw.
    Re-tokenizing after every step would cost a tokenizer pass per step; the ratio costs nothing. Its error: text
    that a later step removes (boilerplate, other languages) may tokenize denser or sparser than what reached the
    tokenizer, so the estimates before that step are the rougher ones (measured on the default pipeline: 13.5% low
    after extraction, within 2% after the quality filters; bench/results/token_estimate.md). The first counting
    step of the run gives the ratio (one tokenizer per run is the normal case)."""
    for sd in out["stages"]:
        for step in sd.get("steps", []):
            if not step.get("tokens_counted") and not step.get("tokens_counted_chars"):
                for k in ("tokens_counted", "tokens_counted_chars", "tokens_out"):  # a step that counts nothing
                    step.pop(k, None)
    counters = [(sd["name"], st) for sd in out["stages"] for st in sd.get("steps", []) if st.get("tokens_counted_chars")]
    if not counters:
        return
    where, st = counters[0]
    ratio = st["tokens_counted"] / st["tokens_counted_chars"]
    out["tokens"] = {"measured_at": f"{where}/{st['name']}", "docs": st["docs_in"], "chars": st["tokens_counted_chars"],
                     "tokens": st["tokens_counted"], "tokens_per_char": round(ratio, 6),
                     "estimate": "tokens_out_est = chars_out x tokens_per_char, for every step without its own count"}
    for sd in out["stages"]:
        for step in sd.get("steps", []):
            if "chars_out" in step and not step.get("tokens_counted_chars"):
                step["tokens_out_est"] = round(step["chars_out"] * ratio)
