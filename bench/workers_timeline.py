"""Where a multi-worker run loses time: the schedule of one run, phase by phase, and the same tasks simulated.

    export PYTHONPATH=src
    python bench/workers_timeline.py [--data ../shared/data] [--workers 1,2] [--out bench/out/timeline]
    python bench/workers_timeline.py --analyse bench/out/timeline/run-w1 bench/out/timeline/run-w2
    python bench/workers_timeline.py --replay bench/out/e2e/run-w1 bench/out/e2e/run-w2 W1_WALL W2_WALL

Runs the default pipeline (the same steps as ``bench/e2e.py --runs workers``) on the e2e WARC split into 8 files
(``bench/out/e2e/parts``, built by ``bench/e2e.py --runs none`` when absent), local executor, once per worker count,
each run a whole process (CPU seconds of the process and its workers from ``wait4``). Inside that process the
driver is timed phase by phase (wall and its own CPU): start-up and imports, planning and input fingerprints, each
pass's tasks, the ledger check and the corpus step's reduce after it, and the end (stats, index, card, report).
Each task's wall stamps, CPU seconds and worker come from its stats file (``started``, ``ended``, ``cpu_seconds``,
``worker``).

Why simulated: the machine is shared, so wall-clock ratios measured on it say more about the neighbours than about
winnow. The analysis therefore also replays the measured per-task CPU seconds on N idle workers (each pass's tasks
handed out in submission order to the first free worker, a barrier after each pass, the driver's measured serial
phases between) and reports the predicted wall and speed-up; and the same with the tasks handed out largest first.
``--replay`` does the same for two finished runs without timeline marks (``bench/e2e.py --runs workers``' w1 and w2
folders and their measured walls): the 2-worker run's own per-task CPU (its contention and noise included) in shard
order, largest input first and largest CPU first (an oracle), plus the 1-worker run's serial time (its wall less
its tasks' CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

_T0_WALL, _T0_CPU = time.time(), time.process_time()  # as early as the process can stamp (child mode)

ROOT = Path(__file__).resolve().parent.parent


# --- child: one run with the driver's phases stamped -----------------------------------------------------------

def _child(cfg: str, run_dir: str, out: str) -> None:
    marks: list[tuple[str, float, float]] = [("process start", _T0_WALL, _T0_CPU)]

    def mark(what: str) -> None:
        marks.append((what, time.time(), time.process_time()))

    import winnow.run as run_mod
    from winnow.config import load_pipeline
    from winnow.executors import local

    mark("imports")
    real_run_tasks, real_ledger = local.LocalExecutor.run_tasks, run_mod._check_pass_ledger
    real_get_pool = local.LocalExecutor._get_pool

    def run_tasks(self, tasks, desc=""):
        mark(f"submit {desc} ({len(tasks)} tasks)")
        res = real_run_tasks(self, tasks, desc)
        mark(f"tasks done {desc}")
        return res

    def get_pool(self):
        if self._pool is None:
            mark("pool start")
        return real_get_pool(self)

    def ledger(*a, **k):
        res = real_ledger(*a, **k)
        mark(f"ledger p{a[3]}")
        return res

    local.LocalExecutor.run_tasks, local.LocalExecutor._get_pool = run_tasks, get_pool
    run_mod._check_pass_ledger = ledger
    for modname, fname in (("winnow.run", "load_stats"), ("winnow.report.index", "write_index"),
                           ("winnow.card", "write_card"), ("winnow.run", "_write_report")):
        mod = __import__(modname, fromlist=[fname])
        real = getattr(mod, fname)

        def wrapped(*a, _real=real, _name=fname, **k):
            mark(f"before {_name}")
            r = _real(*a, **k)
            mark(f"after {_name}")
            return r

        setattr(mod, fname, wrapped)
    pipe = load_pipeline(cfg)
    mark("config loaded")
    run_mod.run_pipeline(pipe, run_dir, log=False)
    mark("run returned")
    Path(out).write_text(json.dumps(marks))


# --- analysis ---------------------------------------------------------------------------------------------------

def tasks_of(run_dir: Path) -> list[dict]:
    rows = []
    for f in sorted((run_dir / "stats").glob("*/p*/*.json")):
        s = json.loads(f.read_text())
        rows.append({"pass": s["pass"], "shard": s["shard"], "cpu": s["cpu_seconds"], "wall": s["seconds"],
                     "start": s.get("started"), "end": s.get("ended"), "worker": s.get("worker"),
                     "chars_in": s["chars_in"], "bytes_in": _input_bytes(run_dir, s)})
    return rows


def _input_bytes(run_dir: Path, s: dict) -> int:
    p = Path(s["input"])
    return p.stat().st_size if p.exists() else 0


def simulate(passes: dict[int, list[float]], workers: int, serial_between: list[float], largest_first: bool,
             weights: dict[int, list[float]] | None = None) -> float:
    """Each pass's task durations on ``workers`` idle workers, handed to the first free worker in submission order
    (or ordered by ``weights`` descending, largest first), a barrier after each pass, then the serial gap."""
    t = 0.0
    for k in sorted(passes):
        durs = passes[k]
        order = list(range(len(durs)))
        if largest_first:
            w = (weights or passes)[k]
            order.sort(key=lambda i: -w[i])
        free = [t] * workers
        for i in order:
            j = min(range(workers), key=lambda x: free[x])
            free[j] += durs[i]
        t = max(free) + (serial_between[k] if k < len(serial_between) else 0.0)
    return t


def analyse(run_dirs: list[Path]) -> None:
    for rd in run_dirs:
        tl = json.loads((rd.parent / f"{rd.name}.timeline.json").read_text()) if (
            rd.parent / f"{rd.name}.timeline.json").exists() else None
        rows = tasks_of(rd)
        print(f"== {rd}")
        by_pass: dict[int, list[dict]] = {}
        for r in rows:
            by_pass.setdefault(r["pass"], []).append(r)
        workers = len({r["worker"] for r in rows})
        for k, rs in sorted(by_pass.items()):
            cpu = sum(r["cpu"] for r in rs)
            span = max(r["end"] for r in rs) - min(r["start"] for r in rs)
            print(f"  p{k}: {len(rs)} tasks, CPU {cpu:6.2f} s (min {min(r['cpu'] for r in rs):.2f}, max "
                  f"{max(r['cpu'] for r in rs):.2f}), span {span:6.2f} s wall, {workers} worker(s)")
        if tl:
            t0 = tl[0][1]
            prev_w, prev_c = tl[0][1], tl[0][2]
            print("  driver (wall s since process start, driver's own CPU s since the previous mark):")
            for what, w, c in tl[1:]:
                print(f"    {w - t0:7.2f}  +{w - prev_w:6.2f} wall  +{c - prev_c:5.2f} CPU  {what}")
                prev_w, prev_c = w, c
            first_start = min(r["start"] for r in rows)
            pool = next((w for what, w, _ in tl if what == "pool start"), None)
            if pool is not None:
                print(f"  pool start -> first task starts: {first_start - pool:.2f} s wall (spawn, worker imports)")
        if (rd.parent / f"{rd.name}.result.json").exists():
            print("  CPU seconds by phase:")
            for k, v in phases(rd).items():
                if not k.startswith("_"):
                    print(f"    {v:7.2f}  {k}")
    w1 = next((rd for rd in run_dirs if rd.name.endswith("w1")), None)
    if w1 is not None and (w1.parent / f"{w1.name}.result.json").exists():
        one = predict(w1, 1)["shard order"]
        for c in (1.0, 1.04):
            p2 = predict(w1, 2, c)
            print(f"  predicted from {w1} (idle cores; 2 workers' task CPU x {c}): 1 worker {one:.2f} s; 2 workers: "
                  + ", ".join(f"{k} {v:.2f} s ({one / v:.2f}x)" for k, v in p2.items()))


def phases(rd: Path) -> dict:
    """The driver's serial phases in CPU seconds (its own process_time between marks) and the workers' CPU outside
    their tasks (spawn, imports, warm-up, exit: the process tree's CPU less the tasks' and the driver's)."""
    tl = json.loads((rd.parent / f"{rd.name}.timeline.json").read_text())
    res = json.loads((rd.parent / f"{rd.name}.result.json").read_text())
    rows = tasks_of(rd)
    names = [m[0] for m in tl]
    cpu = {m[0]: m[2] for m in tl}

    def between(a: str, b: str) -> float:
        return cpu[b] - cpu[a]

    first_submit = next(n for n in names if n.startswith("submit"))
    submits = [n for n in names if n.startswith("submit")]
    dones = [n for n in names if n.startswith("tasks done")]
    pool = "pool start"
    out = {"start (imports, config)": between("process start", "config loaded"),
           "planning (inputs, shards)": between("config loaded", first_submit) if names.index(pool) > names.index(
               first_submit) else between("config loaded", pool) + between(pool, first_submit),
           "between passes (ledger, reduce)": sum(between(d, s) for d, s in zip(dones, submits[1:])),
           "driver during passes": sum(between(s, d) for s, d in zip(submits, dones)),
           "end (stats, index, card, report)": between(dones[-1], "run returned")}
    task_cpu = sum(r["cpu"] for r in rows)
    driver = tl[-1][2] - tl[0][2]
    out["tasks"] = task_cpu
    out["workers outside tasks (spawn, imports, exit)"] = res["cpu"] - task_cpu - driver
    out["process tree"] = res["cpu"]
    out["_pool_before_planning"] = names.index(pool) < names.index(first_submit)
    return out


def predict(w1: Path, n: int, contention: float = 1.0) -> dict:
    """Wall seconds on ``n`` idle cores, from one 1-worker run's measured CPU: the driver's serial phases, the
    workers' start-up (overlapping the planning when the pool starts before it), each pass's tasks scheduled on
    ``n`` workers (times ``contention``: the CPU two busy workers cost more per task) with a barrier after each,
    in shard order and largest input first."""
    ph = phases(w1)
    rows = tasks_of(w1)
    passes: dict[int, list[float]] = {}
    weights: dict[int, list[float]] = {}
    for r in sorted(rows, key=lambda r: (r["pass"], r["shard"])):
        passes.setdefault(r["pass"], []).append(r["cpu"] * (contention if n > 1 else 1.0))
        weights.setdefault(r["pass"], []).append(r["bytes_in"])
    worker_start = ph["workers outside tasks (spawn, imports, exit)"]
    head = ph["start (imports, config)"] + (max(ph["planning (inputs, shards)"], worker_start)
                                            if ph["_pool_before_planning"] else ph["planning (inputs, shards)"]
                                            + worker_start)
    tail = ph["between passes (ledger, reduce)"] + ph["end (stats, index, card, report)"]
    out = {}
    for lf, name in ((False, "shard order"), (True, "largest input first"), ("oracle", "largest CPU first")):
        out[name] = head + tail + simulate(passes, n, [], bool(lf), None if lf == "oracle" else weights)
    out["no barriers"] = head + tail + sum(map(sum, passes.values())) / n
    return out


def replay(w1: Path, w2: Path, w1_wall: float, w2_wall: float | None = None) -> None:
    """The 2-worker run's own per-task CPU seconds (its contention and noise included) replayed on 2 idle workers in
    shard order and largest input first, plus the serial time of the 1-worker run (its wall less its tasks' CPU):
    what the task order alone changes, for runs without timeline marks (bench/e2e.py's w1/w2 folders)."""
    rows1, rows2 = tasks_of(w1), tasks_of(w2)
    serial = w1_wall - sum(r["cpu"] for r in rows1)
    passes: dict[int, list[float]] = {}
    weights: dict[int, list[float]] = {}
    for r in sorted(rows2, key=lambda r: (r["pass"], r["shard"])):
        passes.setdefault(r["pass"], []).append(r["cpu"])
        weights.setdefault(r["pass"], []).append(r["bytes_in"])
    print(f"  1 worker: {w1_wall:.2f} s wall, tasks {sum(r['cpu'] for r in rows1):.2f} CPU s, serial {serial:.2f} s")
    print(f"  2 workers' tasks: {sum(map(sum, passes.values())):.2f} CPU s")
    for lf, name in ((False, "shard order"), (True, "largest input first"), ("oracle", "largest CPU first")):
        per = {k: simulate({k: v}, 2, [], bool(lf), None if lf == "oracle" else {k: weights[k]})
               for k, v in passes.items()}
        t = serial + sum(per.values())
        print(f"  2 workers, {name}: passes " + " + ".join(f"{v:.2f}" for v in per.values())
              + f" + serial {serial:.2f} = {t:.2f} s: {w1_wall / t:.2f}x" + (
                  f" (measured {w2_wall:.2f} s, {w1_wall / w2_wall:.2f}x)" if w2_wall and not lf else ""))
    print(f"  no barrier at all: {serial + sum(map(sum, passes.values())) / 2:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--out", default="bench/out/timeline")
    ap.add_argument("--analyse", nargs="*")
    ap.add_argument("--replay", nargs=4, metavar=("W1_RUN", "W2_RUN", "W1_WALL", "W2_WALL"))
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.replay:
        replay(Path(args.replay[0]), Path(args.replay[1]), float(args.replay[2]), float(args.replay[3]))
        return
    if args.analyse:
        analyse([Path(p) for p in args.analyse])
        return
    import e2e

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = e2e.OUT / "parts"
    if not parts.exists():
        e2e.OUT.mkdir(parents=True, exist_ok=True)
        e2e.build_warc(Path(args.data), e2e.OUT, None)
    runs = []
    for n in [int(x) for x in args.workers.split(",")]:
        rd = out / f"run-w{n}"
        import shutil

        shutil.rmtree(rd, ignore_errors=True)
        cfg = out / f"w{n}.yaml"
        cfg.write_text(f"run: {{name: timeline-w{n}}}\nexecutor: {{type: local, workers: {n}}}\non_drop: route\n"
                       f"stages:\n  - name: main\n    reader: {{type: warc, paths: \"{parts}/*.warc.gz\"}}\n"
                       f"    steps:\n{e2e.default_steps()}    writer: {{type: jsonl}}\n")
        res = e2e.run_measured([sys.executable, str(Path(__file__).resolve()), "--child", str(cfg), str(rd),
                                str(out / f"run-w{n}.timeline.json")], e2e._winnow_env(), out / f"w{n}.log")
        (out / f"run-w{n}.result.json").write_text(json.dumps({k: res[k] for k in ("wall", "cpu", "load")}))
        print(f"w{n}: {res['wall']:.2f} s wall, {res['cpu']:.2f} CPU s (all processes), load {res['load']}",
              flush=True)
        runs.append(rd)
    analyse(runs)


if __name__ == "__main__":
    main()
