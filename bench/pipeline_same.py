"""Same output, less CPU, for a whole pipeline: two source trees run the same config, alternating, each in its own
process (CPU seconds and peak RSS from rusage), and every file of the two run folders is compared.

    python bench/e2e.py --data ../shared/data --runs none      # builds bench/out/e2e/pages.warc.gz
    python bench/pipeline_same.py CONFIG --old <old>/src --new src --rounds 2 [--env WINNOW_PURE_PYTHON=1]

Compared: every record of every JSON Lines file (kept, rejected, quarantine, pass files; compressed or not, record
by record), every other JSON file (stats, ledger, inputs, done markers) with the fields that measure time removed
(seconds, cpu_seconds, started, ended, ...), and every other file byte for byte except the HTML report (it shows the
timings). A difference is listed by path; the exit status is 1 when any.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench/out/pipeline_same"
# Fields that measure time or the process, not the output.
_TIMING = ("seconds", "started", "ended", "elapsed", "wall", "pid", "worker", "host", "time", "load", "rss")


def run(src: str, config: str, out: Path, env_extra: dict) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve()), "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1",
           **env_extra}
    t0 = time.time()
    with open(str(out) + ".log", "w") as log:
        p = subprocess.Popen([sys.executable, "-m", "winnow", "run", config, "-o", str(out)], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{src}: the run failed, see {out}.log")
    return {"cpu": ru.ru_utime + ru.ru_stime, "wall": time.time() - t0, "rss": ru.ru_maxrss / 1024}


def _strip(x):
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if not any(t in k.lower() for t in _TIMING)}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


def _content(p: Path, root: Path):
    raw = p.read_bytes()
    if p.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif p.name.endswith(".zst"):
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
    raw = raw.replace(str(root).encode(), b"RUN_DIR")  # stats name their input file, inside the run folder
    if ".jsonl" in p.name:
        return [_strip(json.loads(line)) if "stats" in p.parts else json.loads(line)
                for line in raw.splitlines() if line.strip()]
    if p.suffix == ".json" or raw.startswith(b"{"):  # the done markers of a corpus step's reduce are JSON too
        return _strip(json.loads(raw))
    return raw


def compare(a: Path, b: Path) -> tuple[int, list[str]]:
    """(files compared, differences) between two run folders."""
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    diffs = [f"only in old: {p}" for p in sorted(fa - fb)] + [f"only in new: {p}" for p in sorted(fb - fa)]
    n = 0
    for rel in sorted(fa & fb):
        if rel.name == "report.html" or rel.name.endswith(".log") or rel.name == "config.resolved.yaml":
            continue
        n += 1
        x, y = _content(a / rel, a), _content(b / rel, b)
        if x != y:
            if isinstance(x, list) and isinstance(y, list):
                bad = [i for i, (u, v) in enumerate(zip(x, y)) if u != v]
                diffs.append(f"{rel}: {len(bad)} records differ (first {bad[:5]}), {len(x)} vs {len(y)} records")
            else:
                diffs.append(f"{rel}: differs")
    return n, diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("--old", required=True, help="the old source tree (its src folder)")
    ap.add_argument("--new", default=str(ROOT / "src"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for both sides")
    ap.add_argument("--name", default="run")
    ap.add_argument("--compare-only", action="store_true", help="compare the folders of an earlier invocation")
    args = ap.parse_args()
    env = dict(e.split("=", 1) for e in args.env)
    OUT.mkdir(parents=True, exist_ok=True)
    cpu: dict[str, list] = {"old": [], "new": []}
    for r in range(0 if args.compare_only else args.rounds):
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            res = run(getattr(args, side), args.config, OUT / f"{args.name}-{side}", env)
            cpu[side].append(res["cpu"])
            print(f"round {r + 1} {side}: {res['cpu']:.2f} CPU s, {res['wall']:.1f} wall s, {res['rss']:.0f} MB, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    if not args.compare_only:
        o, n = min(cpu["old"]), min(cpu["new"])
        print(f"best of {args.rounds}: old {o:.2f} CPU s, new {n:.2f} CPU s: {100 * (1 - n / o):.1f}% less")
    files, diffs = compare(OUT / f"{args.name}-old", OUT / f"{args.name}-new")
    print(f"{files} files compared, {len(diffs)} differ" + (":" if diffs else ""))
    for d in diffs[:40]:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
