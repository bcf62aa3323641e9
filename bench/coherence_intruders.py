"""Fit the intruder model of offtopic_sentences: which sentences of a page were inserted from elsewhere.

Each content sentence of a page of 12+ content sentences gets the signals of
winnow.steps._coherence_pairs.sentence_signals (its row of the page's same-source log-odds: mean, share of
same-source pairs, its three best pairs, its neighbourhood; and the share of its stems the page repeats). A
logistic regression over them is fitted on the train half of bench/coherence_recipes.py's ``inserted_web``,
``inserted_turku``, ``inserted_shop`` (inserted sentences and chrome lines = 1, the host's sentences = 0) and
``untouched`` (all 0). The probability threshold is set so that ``--rate`` of the untouched train pages'
sentences (all of them, scored or not) would be removed. Writes src/winnow/data/coherence/intruder_model.json.

    .venv/bin/python bench/coherence_recipes.py --only inserted_web inserted_turku inserted_shop untouched
    .venv/bin/python bench/coherence_intruders.py [--recipes bench/out/recipes] [--rate 0.01] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys

import numpy as np

from winnow.steps import _coherence_pairs as P
from winnow.steps.coherence import analyse, _intruder_candidates

RECIPES = ("inserted_web", "inserted_turku", "inserted_shop", "untouched")
OUT = os.path.join(os.path.dirname(__file__), "..", "src", "winnow", "data", "coherence", "intruder_model.json")


def rows(recipes_dir, split):
    for r in RECIPES:
        with gzip.open(os.path.join(recipes_dir, f"{split}.{r}.jsonl.gz"), "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def label(s, d):
    for a, b, _kind in d.get("gold", []):
        if min(b, s.end) - max(a, s.start) >= 0.5 * (s.end - s.start):
            return 1
    return 0


def features(recipes_dir, split):
    """x, y, untouched flag, language per scored sentence; and the number of untouched sentences in all."""
    xs, ys, un, langs = [], [], [], []
    n_untouched = 0
    for d in rows(recipes_dir, split):
        a = analyse(d["text"])
        if d["recipe"] == "untouched":
            n_untouched += len(a.sentences)
        idx = _intruder_candidates(a)
        if not idx:
            continue
        x = P.sentence_signals(d["text"], a.sentences, idx)
        for k, i in enumerate(idx):
            xs.append(x[k])
            ys.append(label(a.sentences[i], d))
            un.append(d["recipe"] == "untouched")
            langs.append(d["lang"])
    return np.array(xs), np.array(ys, float), np.array(un), np.array(langs), n_untouched


def fit(x, y, l2=1.0):
    """Logistic regression on standardised signals (Newton's method, l2 penalty on the weights)."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mu) / sd, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-z @ w))
        g = z.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        h = (z * (p * (1 - p))[:, None]).T @ z + l2 * np.eye(len(w))
        w -= np.linalg.solve(h, g)
    return mu, sd, w


def prob(m, x):
    mu, sd, w = m
    return 1 / (1 + np.exp(-(np.c_[(x - mu) / sd, np.ones(len(x))] @ w)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--rate", type=float, default=0.01, help="share of untouched train sentences removed")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    x, y, un, _langs, n_un = features(args.recipes, "train")
    m = fit(x, y)
    p = prob(m, x)
    pu = np.sort(p[un])[::-1]
    k = int(args.rate * n_un)
    thr = float(pu[k]) if k < len(pu) else 0.99
    print(f"train: {len(y)} scored sentences, {int(y.sum())} inserted; threshold {thr:.3f} "
          f"(removes {args.rate:.1%} of {n_un} untouched sentences); inserted above: {(p[y == 1] >= thr).mean():.1%}")
    xt, yt, unt, langt, n_unt = features(args.recipes, "test")
    pt = prob(m, xt)
    for t in (thr, 0.5, 0.6, 0.7, 0.8):
        print(f"test threshold {t:.3f}: inserted (scored) {(pt[yt == 1] >= t).mean():.1%}, host {(pt[(yt == 0) & ~unt] >= t).mean():.2%}, "
              f"untouched sentences {(pt[unt] >= t).sum() / n_unt:.2%}")
    if args.write:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        with open(OUT, "w", encoding="utf-8") as f:
            json.dump({"features": list(P.SENTENCE_SIGNALS), "mean": m[0].tolist(), "scale": m[1].tolist(),
                       "weights": m[2][:-1].tolist(), "bias": float(m[2][-1]), "threshold": round(thr, 3),
                       "provenance": f"bench/coherence_intruders.py --rate {args.rate} at {commit}: train half of "
                                     "bench/coherence_recipes.py's inserted_web/_turku/_shop and untouched (seed 29); "
                                     "threshold = the probability above which that share of the untouched train "
                                     "pages' sentences lie"}, f, indent=1)
        print("wrote", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
