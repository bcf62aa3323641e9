"""Framework overhead: a pipeline with no steps against plain orjson read+write of the same shards in one process,
and scaling of the local executor from 1 to 2 workers.

    python bench/overhead.py [--data ../shared/data] [--docs 100000] [--shards 8]

Input: crawl/web-pages.jsonl.gz repeated to --docs documents, split into --shards .jsonl.gz shards.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from winnow.executors import InlineExecutor, LocalExecutor  # noqa: E402
from winnow.io.base import open_read, open_write  # noqa: E402
from winnow.io.jsonl import JsonlReader, JsonlWriter  # noqa: E402
from winnow.pipeline import Pipeline, Stage  # noqa: E402
from winnow.run import run_pipeline  # noqa: E402


def make_input(data: Path, folder: Path, n_docs: int, n_shards: int, ext: str = ".jsonl.gz") -> int:
    """web-pages.jsonl.gz repeated to ``n_docs`` records with unique ids, in ``n_shards`` files."""
    recs = [orjson.loads(line) for line in gzip.open(data / "crawl" / "web-pages.jsonl.gz")]
    folder.mkdir(parents=True, exist_ok=True)
    per = n_docs // n_shards
    k = 0
    for s in range(n_shards):
        path = folder / f"part-{s:03d}{ext}"
        # gzip level 1: building the input is not what is measured, and level 9 triples its time
        with (gzip.open(path, "wb", compresslevel=1) if ext.endswith(".gz") else open_write(path, level=1)) as f:
            for _ in range(per):
                r = dict(recs[k % len(recs)])
                r["id"] = f"{r.get('id', 'doc')}-{k}"
                f.write(orjson.dumps(r) + b"\n")
                k += 1
    return k


def _cpu() -> float:
    """CPU seconds of this process and its finished children: robust to other jobs on shared cores."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, *a, **kw) -> tuple[float, float]:
    t, c = time.perf_counter(), _cpu()
    fn(*a, **kw)
    return time.perf_counter() - t, _cpu() - c


def floor(in_dir: Path, out_dir: Path) -> float:
    """The least any framework must do: parse each line, serialise it, write it compressed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for p in sorted(in_dir.glob("*.jsonl.gz")):
        with open_read(p) as f, open_write(out_dir / (p.name.split(".")[0] + ".jsonl.zst")) as w:
            for line in f:
                rec = orjson.loads(line)
                w.write(orjson.dumps(rec) + b"\n")
    return time.perf_counter() - t


def winnow_run(in_dir: Path, out_dir: Path, executor, verify: bool, steps: int = 0, budget: bool = True) -> float:
    from winnow.steps.basic import LengthFilter

    # ``steps`` cheap steps (a length check each) make the per-step bookkeeping visible, e.g. the budget's
    # two attribute stores per step; ``budget=False`` turns the per-document budget off for the comparison.
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(in_dir / "*.jsonl.gz")),
                                  steps=[LengthFilter(min_chars=0) for _ in range(steps)], writer=JsonlWriter())],
                    **({} if budget else {"max_seconds_per_doc": 0, "max_memory_mb_per_doc": 0}))
    t = time.perf_counter()
    with executor:  # closing reaps the workers, so their CPU time is counted
        res = run_pipeline(pipe, out_dir, executor, verify_files=verify, log=False, report=False)
    assert res.stats["stages"][0]["balanced"]
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--out", default="bench/results/overhead.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-"))
    try:
        n = make_input(Path(args.data), tmp / "in", args.docs, args.shards)
        rows = []
        w_floor, c_floor = timed(floor, tmp / "in", tmp / "floor")
        rows.append(("plain orjson read+write, 1 process", w_floor, c_floor))
        w_in, c_in = timed(winnow_run, tmp / "in", tmp / "inline", InlineExecutor(), verify=False)
        rows.append(("winnow, no steps, inline (1 process)", w_in, c_in))
        w_v, c_v = timed(winnow_run, tmp / "in", tmp / "inline_v", InlineExecutor(), verify=True)
        rows.append(("winnow, no steps, inline, --verify re-counts outputs", w_v, c_v))
        cpu_budget = {}
        for budget in (False, True):
            w_b, c_b = cpu_budget[budget] = timed(winnow_run, tmp / "in", tmp / f"steps{budget}", InlineExecutor(), verify=False,
                             steps=10, budget=budget)
            rows.append((f"winnow, 10 length steps, inline, budget {'on' if budget else 'off'}", w_b, c_b))
        w1, c1 = timed(winnow_run, tmp / "in", tmp / "w1", LocalExecutor(workers=1, progress=False), verify=False)
        rows.append(("winnow local executor, 1 worker", w1, c1))
        w2, c2 = timed(winnow_run, tmp / "in", tmp / "w2", LocalExecutor(workers=2, progress=False), verify=False)
        rows.append(("winnow local executor, 2 workers", w2, c2))
        load = os.getloadavg()
        lines = [f"# Framework overhead ({n:,} documents, {args.shards} shards, {os.cpu_count()} cores, "
                 f"load average at the end {load[0]:.1f})", "",
                 "CPU = CPU seconds of the process and its workers (robust to other jobs on the cores); wall = elapsed.",
                 "", "| run | wall s | CPU s | docs/s (wall) | wall vs floor | CPU vs floor |",
                 "|---|---:|---:|---:|---:|---:|"]
        for name, w, c in rows:
            lines.append(f"| {name} | {w:.2f} | {c:.2f} | {n / w:,.0f} | {w / w_floor:.2f}x | {c / c_floor:.2f}x |")
        lines += ["", f"- framework overhead over the floor, inline: {100 * (c_in / c_floor - 1):.1f}% CPU, "
                      f"{100 * (w_in / w_floor - 1):.1f}% wall",
                  f"- with the ledger's --verify re-count of every output: {100 * (c_v / c_floor - 1):.1f}% CPU",
                  f"- per-document budget (10 steps): {100 * (cpu_budget[True][1] / cpu_budget[False][1] - 1):+.1f}% CPU, "
                  f"{100 * (cpu_budget[True][0] / cpu_budget[False][0] - 1):+.1f}% wall with it on",
                  f"- scaling 1 -> 2 workers (wall): {w1 / w2:.2f}x speed-up, efficiency {100 * w1 / w2 / 2:.0f}%"]
        text = "\n".join(lines) + "\n"
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
