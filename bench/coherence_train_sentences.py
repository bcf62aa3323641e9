"""Fit the off-topic sentence model (logistic regression over winnow.steps.coherence.SENT_FEATURES) and measure it
leave-one-recipe-out.

Positives: sentences inserted into real pages by bench/coherence_recipes.py (``inserted_web``, ``inserted_turku``:
sentences of unrelated pages plus chrome lines of two site families) and lines humans labelled noise in
../shared/data/lines/turku-line-quality (train split). Negatives: the host pages' own sentences, every sentence of
the ``untouched`` recipe and of a sample of real training pages, and the Turku lines labelled clean. Sentences
that the chrome patterns already remove are left out (the step removes them whatever the model says). Classes get
equal weight; the bias is moved so that ``--fp`` of the real pages' sentences score >= 0.5.

    .venv/bin/python bench/coherence_train_sentences.py [--data ../shared/data] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import glob
import json
import os
import pickle
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from coherence_recipes import load  # noqa: E402
from coherence_train import calibrate, fit, logit  # noqa: E402

from winnow.steps.coherence import SENT_FEATURES, analyse, doc_logit, sentence_features  # noqa: E402

# An experiment, not shipped: at the real-page removal rates winnow accepts it found fewer inserted sentences
# than the rules do (bench/results/coherence.md).
MODEL = os.path.join("bench", "out", "offtopic_model.json")


def labelled(text, gold):
    """(features, labels, chrome-by-pattern mask) for one text; gold = [(a, b)] of the foreign material."""
    a = analyse(text)
    rows = sentence_features(a, text, doc_logit(a))
    ys, pat = [], []
    for s in a.sentences:
        cover = sum(max(0, min(s.end, e) - max(s.start, b)) for b, e in gold)
        ys.append(1 if cover >= 0.5 * (s.end - s.start) else 0)
        pat.append(s.reason is not None)
    return rows, ys, pat


def turku_docs(data, split):
    out = []
    for fn in sorted(glob.glob(os.path.join(data, f"lines/turku-line-quality/*/{split}.json.gz"))):
        lang = fn.split(os.sep)[-2]
        with gzip.open(fn, "rt") as f:
            for d in json.load(f):
                lines = d["text"]
                text = "\n".join(lines)
                gold, pos = [], 0
                for ln, lab in zip(lines, d["labels"]):
                    if str(lab) == "0":
                        gold.append((pos, pos + len(ln)))
                    pos += len(ln) + 1
                out.append((lang, text, gold))
    return out


def build(args, split):
    cache = os.path.join(args.cache, f"sent.{split}.pkl")
    if os.path.exists(cache) and not args.refresh:
        with open(cache, "rb") as f:
            return pickle.load(f)
    groups = {}
    for r in ("inserted_web", "inserted_turku", "untouched"):
        with gzip.open(os.path.join(args.recipes, f"{split}.{r}.jsonl.gz"), "rt") as f:
            docs = [json.loads(x) for x in f]
        groups[r] = [labelled(d["text"], [(g[0], g[1]) for g in d["gold"]]) for d in docs]
    pages, _ = load(args.data)
    rng = random.Random(7)
    real = [t for lst in pages[split].values() for t in lst]
    rng.shuffle(real)
    groups["real"] = [labelled(t if i % 2 else " ".join(t.split()), []) for i, t in enumerate(real[: args.real])]
    groups["turku"] = [labelled(t, g) for _, t, g in turku_docs(args.data, "train" if split == "train" else "dev")]
    with open(cache, "wb") as f:
        pickle.dump(groups, f)
    return groups


def stack(groups, names):
    xs, ys = [], []
    for g in names:
        for rows, y, pat in groups[g]:
            for r, l, p in zip(rows, y, pat):
                if not p:
                    xs.append(r)
                    ys.append(l)
    return np.array(xs), np.array(ys, dtype=float)


def evaluate(m, groups):
    """Per group: recall of the foreign units (pattern or model), share of own sentences removed."""
    out = {}
    for g, docs in groups.items():
        tp = pos = fp = neg = 0
        for rows, y, pat in docs:
            pred = logit(m, np.array(rows)) >= 0 if rows else []
            for r, l, p in zip(pred, y, pat):
                hit = bool(r) or p
                if l:
                    pos += 1
                    tp += hit
                else:
                    neg += 1
                    fp += hit
        out[g] = {"recall": tp / max(1, pos), "removed_own": fp / max(1, neg),
                  "precision": tp / max(1, tp + fp), "pos": pos, "neg": neg}
    return out


def train(groups, names, fp):
    x, y = stack(groups, names)
    m = fit(x, y)
    xr, _ = stack(groups, ["real", "untouched"])
    return calibrate(m, xr, fp)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("--real", type=int, default=600, help="real pages sampled as negatives")
    ap.add_argument("--fp", type=float, default=0.01)
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(args.cache, exist_ok=True)
    tr, te = build(args, "train"), build(args, "test")
    allg = ["inserted_web", "inserted_turku", "untouched", "real", "turku"]
    m = train(tr, allg, args.fp)

    def show(title, res):
        print(f"\n## {title}\n\n| set | foreign recall | own sentences removed | precision |\n|---|---|---|---|")
        for g, r in res.items():
            print(f"| {g} | {r['recall']:.1%} ({r['pos']}) | {r['removed_own']:.2%} ({r['neg']}) | {r['precision']:.3f} |")

    show("All recipes (fit on train, measured on test; turku = dev split)", evaluate(m, te))
    for out in ("inserted_web", "inserted_turku", "turku"):
        mo = train(tr, [g for g in allg if g != out], args.fp)
        res = evaluate(mo, te)
        show(f"Left out: {out}", {out: res[out], "real": res["real"], "untouched": res["untouched"]})
    if args.write:
        with open(MODEL, "w") as f:
            json.dump({
                "features": list(SENT_FEATURES),
                "mean": [round(float(v), 6) for v in m["mean"]],
                "scale": [round(float(v), 6) for v in m["scale"]],
                "weights": [round(float(v), 6) for v in m["w"]],
                "bias": round(float(m["b"]), 6),
                "prior_shift": round(m["shift"], 6),
                "provenance": "bench/coherence_train_sentences.py --write: logistic regression, classes weighted "
                              f"equally, bias shifted so {args.fp:.0%} of real pages' sentences score >= 0.5; "
                              "inserted recipes of bench/coherence_recipes.py (seed 29, train half) and "
                              "turku-line-quality train labels",
            }, f, indent=1)
        print(f"\nwrote {MODEL}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
