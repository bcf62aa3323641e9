"""Fit the window-level same-source model of winnow.steps.coherence._windows on real pages only, and measure it.

Each example is a pool like a block-stitched page: a contiguous run of up to 16 content sentences of a real page A
followed by a run of up to 16 of a page B of the same language (half of the time a random page, half the page among
40 random ones that shares most content words with A: a close topic), from the ``train`` half of ../shared/data
(the halves of bench/coherence_recipes.py). For each window size k (2, 3, 4), gaps whose k sentences on both sides
lie inside A or inside B are positives, the gap between A and B is the negative; the features are computed in the
pool, as on a page. No stitched recipe is used.

    .venv/bin/python bench/coherence_windows.py [--data ../shared/data] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from coherence_pairs import auc, content  # noqa: E402
from coherence_recipes import load  # noqa: E402
from coherence_train import fit, logit  # noqa: E402

from winnow.steps.coherence._pairs import incidence, style  # noqa: E402
from winnow.steps.coherence._windows import KS, WINDOW_FEATURES, WINDOW_MODEL, Profiles  # noqa: E402

MODEL = os.path.join(os.path.dirname(__file__), "..", "src", "winnow", "data", "coherence", WINDOW_MODEL)


def run(view, rng, lo=4, hi=16):
    n = len(view[0])
    m = min(n, rng.randint(lo, hi))
    s = rng.randint(0, n - m)
    return [x[s:s + m] for x in view]


def windows(pages, rng, per_k=3):
    xs, ys = [], []
    views = {}

    def v(t):
        return views.get(t) or views.setdefault(t, content(t))

    for lang, lst in sorted(pages.items()):
        lst = [t for t in lst if len(t) >= 500]
        if len(lst) < 10:
            continue
        for ia, ta in enumerate(lst):
            va = v(ta)
            if len(va[0]) < 6:
                continue
            cand = [c for c in rng.sample(range(len(lst)), min(40, len(lst))) if c != ia]
            if rng.random() < 0.5:
                sa = set().union(*va[1])
                ib = max(cand, key=lambda c: (len(sa & set().union(*v(lst[c])[1])), c))
            else:
                ib = rng.choice(cand)
            vb = v(lst[ib])
            if len(vb[0]) < 4:
                continue
            ra, rb = run(va, rng), run(vb, rng)
            na = len(ra[0])
            texts, stems, caps, short = (ra[j] + rb[j] for j in range(4))
            p = Profiles(np.array([style(t) for t in texts]), (incidence(stems), incidence(caps), incidence(short)))
            n = len(texts)
            for k in KS:
                if na < k or n - na < k:
                    continue
                f = p.features(k)
                g = np.arange(k, n - k + 1)
                pos = np.flatnonzero((g + k <= na) | (g - k >= na))
                neg = np.flatnonzero(g == na)
                take = rng.sample(list(pos), min(per_k, len(pos)))
                xs += [f[take], f[neg]]
                ys += [np.ones(len(take)), np.zeros(len(neg))]
    return np.vstack(xs), np.concatenate(ys)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    pages, _ = load(args.data)
    rng = random.Random(args.seed)
    xtr, ytr = windows(pages["train"], rng)
    xte, yte = windows(pages["test"], rng)
    print(f"windows: train {len(ytr)}, test {len(yte)}; {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    m = fit(xtr, ytr, l2=1.0)
    ik = WINDOW_FEATURES.index("log_k")
    te = auc(logit(m, xte), yte)
    per_k = {k: auc(logit(m, xte[np.isclose(xte[:, ik], np.log(k))]), yte[np.isclose(xte[:, ik], np.log(k))])
             for k in KS}
    print(f"window AUC: train {auc(logit(m, xtr), ytr):.3f}, test {te:.3f}; test per k: "
          + ", ".join(f"k={k} {a:.3f}" for k, a in per_k.items()))
    for name, w in sorted(zip(WINDOW_FEATURES, m["w"]), key=lambda t: -abs(t[1]))[:15]:
        print(f"  {name:24s} {w:+.3f}")
    if args.write:
        with open(MODEL, "w") as f:
            json.dump({
                "features": list(WINDOW_FEATURES),
                "mean": [round(float(v), 6) for v in m["mean"]], "scale": [round(float(v), 6) for v in m["scale"]],
                "weights": [round(float(v), 6) for v in m["w"]], "bias": round(float(m["b"]), 6),
                "provenance": "bench/coherence_windows.py --write (seed %d): logistic regression, adjacent windows "
                              "of 2-4 content sentences inside one real page vs the end of one page followed by "
                              "the start of another of the same language (half on a close topic), from the train "
                              "half of ../shared/data (web-pages main_text, register-multiling); no synthetic "
                              "stitched page used; window AUC on the test half %.3f (%s)"
                              % (args.seed, te, ", ".join(f"k={k} {a:.3f}" for k, a in per_k.items())),
            }, f, indent=1)
        print(f"wrote {os.path.relpath(MODEL, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
