"""Documents per second of the quality chain, winnow vs datatrove, on one core and the same ~5 KB texts.

The chain is gopher_quality + gopher_repetition + c4_quality + fineweb_quality (datatrove's GopherQualityFilter,
GopherRepetitionFilter, C4QualityFilter, FineWebQualityFilter with their defaults; winnow's steps with variant
"datatrove"). Both run in this one process, pinned to one core, alternating rounds, so that load from other
processes on the machine hits both alike; the table reports each side's best round and the ratio.

Two modes: "all" runs every filter on every document (each filter's full cost); "chain" stops at the first drop
(how a pipeline runs). winnow's tokenizer cache is warmed on documents outside the timed set (steady state of a
long run); "cold" is winnow's first round with an empty cache.

    .bench-venv-quality/bin/python bench/quality_speed.py [--data ../shared/data] [--docs 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_texts(data: Path, n: int, lo: int, hi: int) -> tuple[list[str], list[str]]:
    texts = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for field in ("main_text", "text"):
                t = rec.get(field) or ""
                if lo <= len(t) <= hi:
                    texts.append(t)
    step = max(1, len(texts) // n)
    timed = texts[::step][:n]
    chosen = set(map(id, timed))
    warm = [t for t in texts if id(t) not in chosen]
    return timed, warm


def datatrove_chain():
    from datatrove.data import Document as DTDoc
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    fs = [GopherQualityFilter(), GopherRepetitionFilter(), C4QualityFilter(), FineWebQualityFilter()]
    fs[0].filter(DTDoc(text="warm up spaCy. " * 60, id="w"))

    def run(texts, stop_at_drop):
        kept = 0
        for i, t in enumerate(texts):
            d = DTDoc(text=t, id=str(i))
            ok = True
            for f in fs:
                r = f.filter(d)
                if r is not True:
                    ok = False
                    if stop_at_drop:
                        break
            kept += ok
        return kept

    return run


def winnow_chain():
    from winnow.document import Document
    from winnow.step import Context
    from winnow.steps.quality import C4Quality, FineWebQuality, GopherQuality, GopherRepetition

    steps = [GopherQuality(), GopherRepetition(), C4Quality(), FineWebQuality()]
    for s in steps:
        s.setup(Context())

    def run(texts, stop_at_drop):
        kept = 0
        for i, t in enumerate(texts):
            d = Document(id=str(i), text=t)
            ok = True
            for s in steps:
                d = s.process(d)
                if d.drop is not None:
                    ok = False
                    if stop_at_drop:
                        break
                    d.drop = None
            kept += ok
        return kept

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-chars", type=int, default=4000)
    ap.add_argument("--max-chars", type=int, default=6500)
    ap.add_argument("--core", type=int, default=None, help="pin to this core (default: the last one)")
    ap.add_argument("--out", default=None, help="append the table to this markdown file")
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    core = args.core if args.core is not None else max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    timed, warm = load_texts(data, args.docs, args.min_chars, args.max_chars)
    mean_len = sum(map(len, timed)) / len(timed)
    print(f"{len(timed)} texts, mean {mean_len:.0f} chars; pinned to core {core}; load average {os.getloadavg()[0]:.1f}")

    dt = datatrove_chain()
    t0 = time.perf_counter()
    wn = winnow_chain()
    w_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    wn(timed[:1], False)
    cold_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    dt(timed, False)
    dt_first = len(timed) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    wn(timed, False)
    cold = len(timed) / (time.perf_counter() - t0)
    wn(warm, False)  # steady state: the chunk cache holds what a long run has seen, not the timed texts' answers

    rows = []
    for mode, stop in (("all", False), ("chain", True)):
        best = {"datatrove": 0.0, "winnow": 0.0}
        kept = {}
        for _ in range(args.rounds):
            for name, fn in (("datatrove", dt), ("winnow", wn)):
                t0 = time.perf_counter()
                kept[name] = fn(timed, stop)
                dps = len(timed) / (time.perf_counter() - t0)
                best[name] = max(best[name], dps)
        rows.append((mode, best["datatrove"], best["winnow"], best["winnow"] / best["datatrove"], kept))
    lines = [f"{len(timed)} web texts of {args.min_chars}-{args.max_chars} chars (mean {mean_len:.0f}), one core, "
             f"best of {args.rounds} alternating rounds; load average at start {os.getloadavg()[0]:.1f} on "
             f"{os.cpu_count()} cores (other engineers' jobs share them)", "",
             "| mode | datatrove docs/s | winnow docs/s | ratio | kept (datatrove / winnow) |",
             "|---|---:|---:|---:|---|"]
    for mode, d, w, r, kept in rows:
        lines.append(f"| {mode} | {d:.1f} | {w:.1f} | {r:.1f}x | {kept['datatrove']} / {kept['winnow']} |")
    lines.append(f"| all, winnow's first pass with empty caches (vs the datatrove pass just before it) | "
                 f"{dt_first:.1f} | {cold:.1f} | {cold / dt_first:.1f}x | |")
    lines += ["", f"winnow setup (tokenizer tables) {w_setup:.2f}s; first document {cold_first * 1000:.0f} ms"]
    print("\n".join(lines))
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
