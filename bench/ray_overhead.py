"""Ray against the local executor on the same input: overhead per document, and scaling from 1 to 2 CPUs.

    python bench/ray_overhead.py [--data ../shared/data] [--docs 20000] [--shards 16] [--reps 3]
                                 [--steps length --steps length,exact_dedup] [--out bench/results/ray.md]
                                 [--model-docs 1500 | --model-docs 0]

Input: crawl/web-pages.jsonl.gz (real pages) repeated to --docs documents with fresh ids, split into --shards
.jsonl.zst shards. Each --steps is one pipeline (comma-separated registered step names with default parameters
except ``length``, which uses the demo pipeline's min_chars=200); ``length`` alone is the demo pipeline, the
worst case for overhead because the steps do almost nothing, and a corpus step adds two barriers and a reduce
that fans out through ``executor.map``.

Every configuration runs on one warm executor (Ray's worker processes and the local pool already started: their
start-up is a fixed cost per run, reported apart), interleaved with the others in every repetition so that load
from other processes on the machine falls on all of them alike; the table gives the median. Ray runs on a private
local instance (``address: local``) with as many CPUs as this machine; "1 CPU" caps the tasks in flight at one.

Then, for docs/scaling.md, the cost of every registered step alone (after ``length``) on --model-docs documents in
one process (the inline executor, one core): documents per core-hour from the runner's own per-step timers, a
corpus step's reduce time, the peak bytes its work folder holds per input document (what a cluster's shuffle
moves), and the process's peak RSS, each step in a fresh process so the RSS is its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from winnow.executors import LocalExecutor  # noqa: E402
from winnow.io.jsonl import JsonlReader, JsonlWriter  # noqa: E402
from winnow.pipeline import Pipeline, Stage  # noqa: E402
from winnow.registry import lookup  # noqa: E402
from winnow.run import run_pipeline  # noqa: E402

from overhead import make_input  # noqa: E402  (bench/ is on sys.path when a bench script runs)


def build(spec: str, in_dir: Path) -> Pipeline:
    steps = []
    for name in spec.split(","):
        cls = lookup(name.strip())
        steps.append(cls(min_chars=200) if name.strip() == "length" else cls())
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(in_dir / "*.jsonl.zst")), steps=steps,
                                  writer=JsonlWriter())])


def _proc_table() -> tuple[dict[int, int], dict[int, float]]:
    """pid -> parent, pid -> CPU seconds (user + system, plus reaped children's), from Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ... utime is the 12th
        parent[int(d)] = int(rest[1])
        cpu[int(d)] = sum(int(x) for x in rest[11:15]) / tick
    return parent, cpu


def _descendants(parent: dict[int, int], root: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for pid, pp in parent.items():
        kids.setdefault(pp, []).append(pid)
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        out.add(p)
        todo.extend(kids.get(p, []))
    return out


def _pool_pids(ex) -> set[int]:
    pool = getattr(ex, "_pool", None)
    return set(getattr(pool, "_processes", None) or {})


def timed_run(pipe: Pipeline, out: Path, ex, others: list) -> tuple[float, float, int]:
    """Wall seconds, and CPU seconds of the processes doing this executor's work: this driver plus the local
    executor's pool, or plus every Ray process (daemons and workers), never another executor's idle pool. CPU
    time is what other jobs on the machine cannot stretch."""
    from winnow.executors import LocalExecutor

    shutil.rmtree(out, ignore_errors=True)
    _, cpu0 = _proc_table()
    t = time.perf_counter()
    res = run_pipeline(pipe, out, ex, log=False, report=False)
    dt = time.perf_counter() - t
    parent, cpu1 = _proc_table()
    me = os.getpid()
    pools = set().union(*(_pool_pids(o) for o in others if isinstance(o, LocalExecutor)))
    if isinstance(ex, LocalExecutor):
        mine = {me} | _pool_pids(ex)
    else:
        tracker = {p for p in _descendants(parent, me) if parent.get(p) == me and p not in pools
                   and "resource_tracker" in _cmdline(p)}
        mine = _descendants(parent, me) - pools - tracker
    cpu = sum(cpu1.get(p, 0.0) - cpu0.get(p, 0.0) for p in mine)
    st = res.stats["stages"][0]
    assert st["balanced"], "ledger does not balance"
    shutil.rmtree(out, ignore_errors=True)
    return dt, cpu, st["kept"]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _measure_step(args: tuple[str, str, str]) -> dict:
    """In a fresh process: [length, step] inline; per-step seconds, reduce seconds, peak work bytes, peak RSS."""
    import resource

    from winnow.executors import InlineExecutor

    name, in_dir, out = args

    class Watching(InlineExecutor):
        peak = between = 0  # the step's own files; the documents written between passes

        def _look(self):
            stage = Path(out) / "work" / "s"
            own = sum(_dir_bytes(d) for d in stage.iterdir() if not d.name.startswith("p")) if stage.exists() else 0
            Watching.peak = max(Watching.peak, own)
            Watching.between = max(Watching.between, _dir_bytes(stage / "p0"))

        def run_tasks(self, tasks, desc=""):
            self._look()
            return super().run_tasks(tasks, desc)

        def map(self, fn, items):
            self._look()
            return super().map(fn, items)

    spec = "length" if name == "length" else f"length,{name}"
    try:
        pipe = build(spec, Path(in_dir))
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        res = run_pipeline(pipe, out, Watching(), log=False, report=False)
        wall = time.perf_counter() - t
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
    except Exception as exc:  # a step whose optional dependency or model is missing here: say so in the table
        return {"name": name, "error": f"{type(exc).__name__}: {str(exc)[:80]}"}
    st = res.stats["stages"][0]
    reduce_s = sum(orjson.loads(p.read_bytes()).get("seconds", 0.0)
                   for p in (Path(out) / "done" / "s").glob("reduce*"))
    # The runner's timers are wall clock; other jobs on these cores stretch them. The process's CPU share over
    # the run turns them into CPU seconds, which is what a core-hour buys.
    cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    cpu_share = min(1.0, cpu / wall)
    return {"name": name, "in": st["in"], "kept": st["kept"], "wall": wall, "cpu_share": cpu_share, "cpu": cpu,
            "chars": st["passes"][0]["chars_in"], "reduce_cpu_s": cpu_share * reduce_s,
            "work_peak": Watching.peak, "between": Watching.between, "rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a spawned child would report its parent's peak.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def model_table(data: Path, tmp: Path, n_docs: int) -> list[str]:
    import multiprocessing as mp

    from winnow.registry import names

    n = make_input(data, tmp / "model-in", n_docs, 4, ".jsonl.zst")
    skip = {"html_extract": "needs raw HTML (see bench/results/ for extraction's numbers)",
            "url_dedup": "needs metadata url_key from html_extract"}
    rows = []
    ctx = mp.get_context("spawn")
    for name in ["length"] + [k for k in names("step") if k != "length" and not k.startswith("_")]:
        if name in skip:
            rows.append({"name": name, "error": skip[name]})
            continue
        with ctx.Pool(1) as pool:
            r = pool.apply(_measure_step, ((name, str(tmp / "model-in"), str(tmp / f"model-{name}")),))
        shutil.rmtree(tmp / f"model-{name}", ignore_errors=True)
        rows.append(r)
        print(f"model {name}: {r}", file=sys.stderr, flush=True)
    chars = next((r["chars"] / r["in"] for r in rows if "chars" in r), 0)
    base = next(r["cpu"] for r in rows if r["name"] == "length")
    lines = ["", f"## Per-step cost, one core ({n:,} documents of crawl/web-pages, {chars:,.0f} characters each on "
             "average; each step alone after `length`)", "",
             "A step's cost is the process CPU time (user + system, so other jobs on these cores do not inflate "
             "it) of the run [length, step] minus that of [length] alone; the `length` row is the run itself "
             "(read, parse, write compressed, ledger): every stage pays it once per pass. A corpus step's cost "
             "includes its extra passes and its reduce, which is also given alone per 1,000 documents (its wall "
             "time x the run's CPU share). Work folder: the step's own files (keys, tables, edges) at their peak, "
             "and the documents written between its passes, per input document: the bytes a cluster's shared "
             "storage carries for it.", "",
             "| step | docs / core-hour | reduce CPU s per 1k docs | step files, bytes/doc | between passes, bytes/doc "
             "| peak RSS MB | kept | CPU share |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | not measured: {r['error']} | | | | | | |")
            continue
        own = r["cpu"] if r["name"] == "length" else r["cpu"] - base
        per_h = f"{r['in'] / own * 3600:,.0f}" if own > 0.02 * base else "below noise"
        k = max(r["in"], 1)
        lines.append(f"| {r['name']} | {per_h} | {1000 * r['reduce_cpu_s'] / k:.2f} | {r['work_peak'] / k:,.0f} "
                     f"| {r['between'] / k:,.0f} | {r['rss_mb']:.0f} | {r['kept']:,} / {r['in']:,} "
                     f"| {r['cpu_share']:.2f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3, help="0 skips the Ray/local comparison")
    ap.add_argument("--steps", action="append", help="a pipeline: comma-separated step names (repeatable)")
    ap.add_argument("--out", default="bench/results/ray.md")
    ap.add_argument("--model-docs", type=int, default=1500, help="documents for the per-step table; 0 skips it")
    args = ap.parse_args()
    specs = args.steps or ["length", "length,exact_dedup"]
    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-ray-"))
    try:
        lines = overhead_table(args, specs, tmp) if args.reps else []
        if args.model_docs:
            lines += model_table(Path(args.data), tmp, args.model_docs)
        text = "\n".join(lines) + "\n"
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def overhead_table(args, specs: list[str], tmp: Path) -> list[str]:
    from winnow.executors.ray import RayExecutor

    load0 = os.getloadavg()
    n = make_input(Path(args.data), tmp / "in", args.docs, args.shards, ".jsonl.zst")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    t = time.perf_counter()
    ray_owner = RayExecutor(address="local", progress=False)  # starts (and at the end stops) a private Ray
    t_ray_start = time.perf_counter() - t
    executors = {
        "local, 1 worker": LocalExecutor(workers=1, progress=False),
        "local, 2 workers": LocalExecutor(workers=2, progress=False),
        "ray, 1 CPU": RayExecutor(workers=1, progress=False),
        "ray, 2 CPUs": ray_owner,
    }
    pipes = {spec: build(spec, tmp / "in") for spec in specs}
    warm: dict[str, float] = {}
    others = list(executors.values())
    for name, ex in executors.items():  # first run starts worker processes: measured, then left out
        warm[name], _, _ = timed_run(pipes[specs[0]], tmp / "warm", ex, others)
    times: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    kept: dict[tuple[str, str], int] = {}
    for rep in range(args.reps):
        for spec, pipe in pipes.items():
            order = list(executors) if rep % 2 == 0 else list(reversed(executors))
            for name in order:
                dt, cpu, k = timed_run(pipe, tmp / "out", executors[name], others)
                times.setdefault((spec, name), []).append(dt)
                cpus.setdefault((spec, name), []).append(cpu)
                kept[(spec, name)] = k
                print(f"rep {rep} {spec:<22} {name:<18} {dt:6.2f} s wall {cpu:6.2f} s CPU  load "
                      f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    t = time.perf_counter()
    for ex in executors.values():
        ex.close()
    t_close = time.perf_counter() - t
    load1 = os.getloadavg()

    lines = [f"# Ray executor against the local executor ({n:,} documents, {args.shards} shards, {cores} cores)",
             "", "Command: `" + " ".join(["python", "bench/ray_overhead.py"] + sys.argv[1:]) + "`", "",
             f"Load average on the machine (other engineers' jobs share these cores): {load0[0]:.1f} at the "
             f"start, {load1[0]:.1f} at the end; medians of {args.reps} interleaved repetitions.", "",
             "CPU = user + system seconds of the processes doing the work (the driver plus the local pool, or "
             "plus every Ray daemon and worker): other jobs cannot stretch it, so the overhead per document is "
             "read from it; wall seconds show the scaling.", "",
             "| pipeline | executor | wall s (median) | docs/s | CPU s (median) | CPU µs/doc | "
             "Ray's CPU overhead per doc vs local, same CPUs |", "|---|---|---:|---:|---:|---:|---:|"]
    for spec in specs:
        med = {name: statistics.median(times[(spec, name)]) for name in executors}
        cmed = {name: statistics.median(cpus[(spec, name)]) for name in executors}
        for name in executors:
            k = kept[(spec, name)]
            assert k == kept[(spec, "local, 1 worker")], "executors disagree on what is kept"
            ref = "local, 1 worker" if "1" in name.split(",")[1] else "local, 2 workers"
            over = "-" if name.startswith("local") else (
                f"{100 * (cmed[name] / cmed[ref] - 1):+.1f}% ({1e6 * (cmed[name] - cmed[ref]) / n:+.0f} µs)")
            lines.append(f"| {spec} | {name} | {med[name]:.2f} | {n / med[name]:,.0f} | {cmed[name]:.2f} | "
                         f"{1e6 * cmed[name] / n:,.0f} | {over} |")
        lines.append(f"| {spec} | wall-clock speed-up 1 -> 2 CPUs | ray "
                     f"{med['ray, 1 CPU'] / med['ray, 2 CPUs']:.2f}x, local "
                     f"{med['local, 1 worker'] / med['local, 2 workers']:.2f}x | | | | |")
    lines += ["", "Fixed costs per run, not per document (excluded above):", "",
              f"- starting a local Ray instance: {t_ray_start:.1f} s; closing every executor: {t_close:.1f} s",
              "- first run on a fresh executor (worker processes start and import winnow): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in warm.items())]
    return lines


if __name__ == "__main__":
    main()
