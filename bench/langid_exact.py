"""The language step's cached-vector fastText (src/winnow/steps/_fastlid.py) against the fastText library itself.

    PYTHONPATH=src .venv/bin/python bench/langid_exact.py [--data ../shared/data] [--extracted bench/out/e2e/extracted.jsonl]

On every text and main text of ``<data>/crawl/web-pages.jsonl.gz`` (and, when given, the e2e pages as html_extract
wrote them), one process, the shipped lid.176.ftz: the top label and probability from the library
(``langid.predict``) and from ``FastLid.predict``, compared: labels that differ, the largest probability difference,
how many probabilities are bit-equal, how many scores differ once rounded to the 4 decimals the step stores, and the
language step's English keep/drop decisions at min_score 0.65. CPU seconds: the library, the cached version on its
first pass (every word new) and on a second pass (every word cached).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # bench/ scripts named like standard modules must not shadow them


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--extracted", default=None, help="a JSONL of {text} (bench/e2e.py's extracted.jsonl)")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    data = Path(args.data) if Path(args.data).is_absolute() else (ROOT / args.data).resolve()

    from winnow.steps._fastlid import FastLid
    from winnow.steps.langid import lite_model_path, load_model, predict

    texts = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r[k] for k in ("text", "main_text") if r.get(k)]
    n_shared = len(texts)
    if args.extracted and Path(args.extracted).exists():
        # split on "\n" only: the texts hold U+2028 and friends unescaped, which str.splitlines would cut at
        texts += [json.loads(ln)["text"] for ln in Path(args.extracted).read_text(encoding="utf-8").split("\n")
                  if ln.strip()]
    texts = texts[: args.limit]
    model = load_model()
    fast = FastLid(lite_model_path())
    lines = [t.replace("\n", " ").strip() for t in texts]

    t0 = time.process_time()
    ref = [predict(model, t) for t in texts]
    lib_cpu = time.process_time() - t0
    t0 = time.process_time()
    got = [fast.predict(x) if x else None for x in lines]
    cold_cpu = time.process_time() - t0
    t0 = time.process_time()
    again = [fast.predict(x) if x else None for x in lines]
    warm_cpu = time.process_time() - t0
    assert again == got, "the cached pass must give the same answers as the first"

    def decide(pair):
        return pair is not None and pair[0] == "en" and round(pair[1], 4) >= 0.65

    labels = equal = stored = decisions = 0
    max_diff = 0.0
    for r, g in zip(ref, got):
        r = r[0] if r else None
        if (r is None) != (g is None):
            labels += 1
            continue
        if r is None:
            equal += 1
            continue
        if r[0] != g[0]:
            labels += 1
        d = abs(r[1] - g[1])
        max_diff = max(max_diff, d)
        equal += d == 0.0
        stored += round(r[1], 4) != round(g[1], 4)
        decisions += decide(r) != decide(g)
    n = len(texts)
    chars = sum(map(len, texts))
    print(f"{n} texts ({n_shared} shared-corpus texts and main texts, {n - n_shared} e2e extracted pages), "
          f"mean {chars // max(1, n):,} chars, lid.176.ftz\n")
    print("| | library (fastText) | cached word vectors |\n|---|---:|---:|")
    print(f"| CPU s, first pass | {lib_cpu:.2f} | {cold_cpu:.2f} ({lib_cpu / cold_cpu:.1f}x) |")
    print(f"| CPU s, second pass (words cached) | | {warm_cpu:.2f} ({lib_cpu / warm_cpu:.1f}x) |")
    print(f"| distinct words cached | | {len(fast._index):,} |\n")
    print(f"top labels that differ: {labels}; largest probability difference: {max_diff:.3g}; bit-equal "
          f"probabilities: {equal} / {n}; stored scores (4 decimals) that differ: {stored}; English keep/drop "
          f"decisions at 0.65 that differ: {decisions} / {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
