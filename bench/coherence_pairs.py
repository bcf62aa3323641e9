"""Fit the same-source pair model of winnow.steps._coherence_pairs on real pages only, and measure it.

Pairs come from real pages of the ``train`` half of ../shared/data (web-pages main_text, register-multiling; the
halves of bench/coherence_recipes.py): a page A of 6+ content sentences is pooled with a page B of the same language
(half of the time a random page, half the page among 40 random ones that shares most content words with A: a close
topic), up to 15 sentences of each; pairs inside A or inside B are positives, pairs across are negatives. The
features of a pair are computed in that pool, as they would be on a page stitched from A and B. No stitched recipe is
used: the model only learns what sentences of one page share that sentences of two pages do not.

    .venv/bin/python bench/coherence_pairs.py [--data ../shared/data] [--write]
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
from coherence_recipes import load  # noqa: E402
from coherence_train import fit, logit  # noqa: E402

from winnow.steps._coherence_pairs import PAIR_FEATURES, PAIR_MODEL, capitalised_words, pair_features, short_words, style  # noqa
from winnow.steps import _coherence_pairs  # noqa: E402
from winnow.steps.coherence import analyse  # noqa: E402

# Sentences and stems only: the page signals need the model being fitted here.
_coherence_pairs.page_signals = lambda text, sentences: _coherence_pairs.NEUTRAL

MODEL = os.path.join(os.path.dirname(__file__), "..", "src", "winnow", "data", "coherence", PAIR_MODEL)


def content(text):
    """(sentence texts, stems, capitalised words) of a page's content sentences."""
    a = analyse(text)
    out = [(text[s.start:s.end], s.stems) for s in a.sentences if s.reason is None and len(s.stems) >= 2]
    return ([t for t, _ in out], [st for _, st in out], [capitalised_words(t) for t, _ in out],
            [short_words(t) for t, _ in out])


def pairs(pages, rng, per_page=30):
    xs, ys = [], []
    views = {}
    for lang, lst in sorted(pages.items()):
        lst = [t for t in lst if len(t) >= 500]
        if len(lst) < 10:
            continue
        for ia, ta in enumerate(lst):
            va = views.get(ta) or views.setdefault(ta, content(ta))
            if len(va[0]) < 6:
                continue
            cand = rng.sample(range(len(lst)), min(40, len(lst)))
            cand = [c for c in cand if c != ia]
            if rng.random() < 0.5:
                sa = set().union(*va[1])
                ib = max(cand, key=lambda c: (len(sa & set().union(*(views.get(lst[c]) or views.setdefault(
                    lst[c], content(lst[c])))[1])), c))
            else:
                ib = rng.choice(cand)
            vb = views.get(lst[ib]) or views.setdefault(lst[ib], content(lst[ib]))
            if len(vb[0]) < 3:
                continue
            pick_a = sorted(rng.sample(range(len(va[0])), min(15, len(va[0]))))
            pick_b = sorted(rng.sample(range(len(vb[0])), min(rng.randint(3, 15), len(vb[0]))))
            texts = [va[0][i] for i in pick_a] + [vb[0][i] for i in pick_b]
            stems = [va[1][i] for i in pick_a] + [vb[1][i] for i in pick_b]
            caps = [va[2][i] for i in pick_a] + [vb[2][i] for i in pick_b]
            short = [va[3][i] for i in pick_a] + [vb[3][i] for i in pick_b]
            src = np.array([0] * len(pick_a) + [1] * len(pick_b))
            df: dict = {}
            for st in stems:
                for w in st:
                    df[w] = df.get(w, 0) + 1
            f = pair_features(np.array([style(t) for t in texts]), stems, caps, df, short)
            n = len(texts)
            iu = np.triu_indices(n, 1)
            same = (src[:, None] == src[None, :])[iu]
            ff = f[iu]
            pos, neg = np.flatnonzero(same), np.flatnonzero(~same)
            for idx, lab in ((pos, 1), (neg, 0)):
                take = rng.sample(list(idx), min(per_page // 2, len(idx)))
                xs.append(ff[take])
                ys.append(np.full(len(take), lab))
    return np.vstack(xs), np.concatenate(ys)


def auc(s, y):
    order = np.argsort(s)
    r = np.empty(len(s))
    r[order] = np.arange(1, len(s) + 1)
    npos = (y == 1).sum()
    return (r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    pages, _ = load(args.data)
    rng = random.Random(args.seed)
    xtr, ytr = pairs(pages["train"], rng)
    xte, yte = pairs(pages["test"], rng)
    print(f"pairs: train {len(ytr)}, test {len(yte)}; {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    m = fit(xtr, ytr, l2=1.0)
    print(f"pair AUC: train {auc(logit(m, xtr), ytr):.3f}, test {auc(logit(m, xte), yte):.3f}")
    for name, w in sorted(zip(PAIR_FEATURES, m["w"]), key=lambda t: -abs(t[1]))[:20]:
        print(f"  {name:24s} {w:+.3f}")
    if args.write:
        with open(MODEL, "w") as f:
            json.dump({
                "features": list(PAIR_FEATURES),
                "mean": [round(float(v), 6) for v in m["mean"]], "scale": [round(float(v), 6) for v in m["scale"]],
                "weights": [round(float(v), 6) for v in m["w"]], "bias": round(float(m["b"]), 6),
                "provenance": "bench/coherence_pairs.py --write (seed %d): logistic regression, same-page vs "
                              "two-page sentence pairs pooled from real pages of the train half of ../shared/data "
                              "(web-pages main_text, register-multiling; half the second pages on a close topic); "
                              "no synthetic stitched page used; pair AUC on the test half %.3f"
                              % (args.seed, auc(logit(m, xte), yte)),
            }, f, indent=1)
        print(f"wrote {os.path.relpath(MODEL, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
