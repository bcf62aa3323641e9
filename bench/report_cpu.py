"""Where the report's CPU goes on finished run folders (issue 13, "outside the steps").

For each run folder: CPU seconds (``time.process_time``, imports and a warm-up render excluded) of the whole
``render_report``, of ``collect`` alone, and of its parts measured apart: reading and decoding the terminal records,
``doc_path`` (of which counting each final text's whitespace tokens), and tallying each step's edits (``_tally``).
Prints the rendered HTML's sha256 so two checkouts can be compared byte for byte (``--html`` writes it out too).

    PYTHONPATH=src .venv/bin/python bench/report_cpu.py bench/out/e2e/run-fineweb bench/out/e2e/run-default

(run folders as ``bench/e2e.py --runs fineweb,default`` leaves them). Reads the run records only.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from winnow.report import render_report
from winnow.report._collect import _tally, collect
from winnow.report._run import doc_path, iter_records, load_run, terminal_files, ws_tokens


def _cpu(fn, reps: int) -> tuple[float, object]:
    """The smallest CPU time of ``reps`` calls (the least disturbed by other work on a shared machine)."""
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def measure(run: Path, reps: int, html_out: Path | None) -> str:
    render_report(run)  # warm-up: lazy imports, the page cache
    t_render, html = _cpu(lambda: render_report(run), reps)
    info = load_run(run)
    t_collect, _ = _cpu(lambda: collect(info), reps)
    files = terminal_files(info)
    t_read, recs = _cpu(lambda: list(iter_records(files)), reps)
    t_path, paths = _cpu(lambda: [doc_path(info, r) for r in recs], reps)
    t_ws, _ = _cpu(lambda: [ws_tokens(r.doc.get("text") or "") for r in recs], reps)
    groups = [es for p in paths for es in p.edits if es]
    t_tally, _ = _cpu(lambda: [_tally(es) for es in groups], reps)
    if html_out:
        html_out.write_text(html, encoding="utf-8")
    return (f"| {run.name} | {len(recs):,} | {sum(map(len, groups)):,} | {t_render:.3f} | {t_collect:.3f} | "
            f"{t_read:.3f} | {t_path:.3f} ({t_ws:.3f}) | {t_tally:.3f} | "
            f"`{hashlib.sha256(html.encode()).hexdigest()[:16]}` |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--html", type=Path, default=None, help="write each run's report to this folder")
    a = ap.parse_args()
    print("| run | records | edits | render_report | collect | read records | doc_path (whitespace tokens) "
          "| edit tally | report sha256 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in a.runs:
        print(measure(run, a.reps, a.html / f"{run.name}.html" if a.html else None), flush=True)


if __name__ == "__main__":
    main()
