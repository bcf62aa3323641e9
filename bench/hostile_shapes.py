"""CPU time and peak memory of one hostile document per shape (issue 11, items 1-3), each in its own process.

The shapes are the ones the issue names: deeply nested lists and divs, a tag with 200k attributes (html_extract,
combined backend), a run of one punctuation character (the spaCy-compatible tokenizer
of gopher_quality / gopher_repetition / fineweb_quality). `--baseline-src` runs the same shapes against another
checkout's src/ (e.g. `git worktree add /tmp/before 8175377`) for a before/after table.

    python bench/hostile_shapes.py [--baseline-src OTHER/src] [--timeout 30] [--out bench/results/hostile_shapes.md]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["ul:20000", "ul:40000", "ulli:20000", "div:40000", "article:40000", "div:100000", "attrs:200000",
         "tok:6250", "tok:100000"]


def one(case: str) -> str:
    """Runs in the child: builds the shape, times the call, prints 'cpu_s peak_mb'."""
    shape, n = case.split(":")
    n = int(n)
    if shape.startswith("tok"):
        from winnow.steps._tokenize import SpacyEnglish

        tk = SpacyEnglish()
        text = "x " + "=" * n + " y"
        t = time.process_time()
        tk.words(text)
        tk.sentence_count(text)
    else:
        from winnow.steps.extract import extract

        html = {"ul": "<ul>" * n + "<li>x", "ulli": "<ul><li>x" * n,
                "attrs": "<div " + " ".join(f"a{i}=x" for i in range(n)) + ">text</div>"}.get(
            shape, f"<{shape}>" * n + "text" + f"</{shape}>" * n)
        html = "<html><body>" + html + "</body></html>"
        t = time.process_time()
        extract(html, "combined")
    return f"{time.process_time() - t:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"


def measure(src: Path, case: str, timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}  # that tree's winnow, not the installed one
    try:
        out = subprocess.run([sys.executable, __file__, "--child", case], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s (killed)"
    if out.returncode:
        return "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1][:80]
    cpu, mb = out.stdout.split()[-2:]
    return f"{cpu} s / {mb} MB"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", help=argparse.SUPPRESS)  # one case, in this process
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.child:
        print(one(args.child))
        return 0
    head = "| shape | " + ("before | " if args.baseline_src else "") + "this tree |"
    rows = [head, "|---" * (head.count("|") - 1) + "|"]
    for case in CASES:
        cells = [measure(args.baseline_src, case, args.timeout)] if args.baseline_src else []
        cells.append(measure(ROOT / "src", case, args.timeout))
        rows.append(f"| `{case}` | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    if args.out:
        args.out.write_text("# Hostile document shapes: CPU seconds / peak RSS, one process each\n\n"
                            f"Command: `python bench/hostile_shapes.py{' --baseline-src <before>/src' if args.baseline_src else ''}"
                            f" --timeout {args.timeout:.0f}` (before = commit 8175377). The tokenizer cache's bound (no chunk over"
                            " 256 characters is kept) is a test, tests/steps/test_quality.py.\n\n" + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
