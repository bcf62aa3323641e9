"""How the report scales: build report.html for runs of growing size and measure its time, peak memory and size.

The input is the shared crawl (crawl/web-pages.jsonl.gz: 2,111 real pages) repeated with fresh ids, run through
`length` and `fineweb_quality` by default (signals, THRESHOLDS, drops). The report pass, `explain` and `whatif` are each timed
in a fresh process (peak RSS from the OS). No peer builds an equivalent artifact from a run's records, so the
comparison is with the pipeline run itself.

    .venv/bin/python bench/report_scale.py [--data ../shared/data] [--copies 1 5 20]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import zstandard

CHILD = r"""
import resource, sys, time
from pathlib import Path
what, run_dir = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
if what == "report":
    from winnow.report import build_report
    build_report(run_dir)
elif what == "whatif":
    import contextlib, io
    from winnow.report.whatif import whatif
    with contextlib.redirect_stdout(io.StringIO()):
        whatif(run_dir, {"fineweb_quality.char_duplicates_ratio": 0.05})
else:
    import contextlib, io
    from winnow.report.explain import explain
    with contextlib.redirect_stdout(io.StringIO()):
        explain(run_dir, sys.argv[3])
# ru_maxrss of this process starts at its parent's size (Linux keeps it across fork and exec): read this process's
# own high-water mark; the scan's worker processes (if any) are covered by RUSAGE_CHILDREN
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(time.perf_counter() - t, max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""


def make_input(src: Path, copies: int, out: Path, shards: int = 4) -> tuple[int, int]:
    recs = [orjson.loads(line) for line in gzip.open(src, "rb") if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    writers = [zstandard.ZstdCompressor(level=1).stream_writer(open(out / f"part-{i}.jsonl.zst", "wb"))
               for i in range(shards)]
    n = chars = 0
    for c in range(copies):
        for r in recs:
            d = {"id": f"{r['id']}-{c}", "text": r["text"], "url": r.get("url"), "source": r.get("source")}
            writers[n % shards].write(orjson.dumps(d) + b"\n")
            n += 1
            chars += len(r["text"])
    for w in writers:
        w.close()
    return n, chars


def child(what: str, run_dir: Path, *extra: str) -> tuple[float, float]:
    p = subprocess.run([sys.executable, "-c", CHILD, what, str(run_dir), *extra], capture_output=True, text=True,
                       check=True)
    secs, rss_kb = p.stdout.split()
    return float(secs), int(rss_kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--copies", type=int, nargs="+", default=[1, 4, 10])
    ap.add_argument("--steps", default="length,fineweb_quality", help="comma-separated step types to run")
    ap.add_argument("--out", default="bench/results/report_scale.md")
    args = ap.parse_args()
    src = Path(args.data) / "crawl" / "web-pages.jsonl.gz"
    from winnow.config import pipeline_from_dict
    from winnow.run import run_pipeline

    rows = []
    for copies in args.copies:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            n, chars = make_input(src, copies, tmp / "in")
            pipe = pipeline_from_dict({"executor": {"type": "local", "workers": 2}, "stages": [{
                "name": "main", "reader": {"type": "jsonl", "paths": str(tmp / "in" / "*.jsonl.zst")},
                "steps": [{"type": t} for t in args.steps.split(",")],
                "writer": {"type": "jsonl", "compression": "zstd"}}]})
            t = time.perf_counter()
            run_pipeline(pipe, tmp / "run", log=False)  # includes one report build at the end
            run_s = time.perf_counter() - t
            rep_s, rep_mb = child("report", tmp / "run")
            wi_s, wi_mb = child("whatif", tmp / "run")
            ex_s, ex_mb = child("explain", tmp / "run", f"{orjson.loads(gzip.open(src).readline())['id']}-0")
            size_kb = (tmp / "run" / "report.html").stat().st_size / 1024
            rows.append((n, chars, run_s, rep_s, rep_mb, size_kb, wi_s, wi_mb, ex_s))
            print(rows[-1], flush=True)
    lines = [
        "# Report scaling", "",
        f"`{' '.join(['.venv/bin/python', 'bench/report_scale.py', '--copies', *map(str, args.copies), '--steps', args.steps])}` on "
        f"{os.cpu_count()} cores shared with other engineers' benchmarks (timings are noisy; the ratios and the "
        "flat memory are the point). Input: crawl/web-pages.jsonl.gz repeated with fresh ids; pipeline "
        f"`{args.steps}`, local executor with 2 workers; the run time includes writing the report once.", "",
        "| documents | characters | run (s) | report (s) | report docs/s | report peak RSS per process (MB) | report.html (KB) "
        "| whatif (s) | whatif peak RSS (MB) | explain (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, chars, run_s, rep_s, rep_mb, size_kb, wi_s, wi_mb, ex_s in rows:
        lines.append(f"| {n:,} | {chars:,} | {run_s:.1f} | {rep_s:.1f} | {n / rep_s:,.0f} | {rep_mb:.0f} | "
                     f"{size_kb:.0f} | {wi_s:.1f} | {wi_mb:.0f} | {ex_s:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
