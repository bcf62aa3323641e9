"""Fit the same-source pair model of winnow.steps.coherence._pairs on real pages only, and measure it.

Pairs come from real pages of the ``train`` half of ../shared/data (web-pages main_text, register-multiling; the
halves of bench/coherence_recipes.py): a page A of 6+ content sentences is pooled with a page B of the same language
(half of the time a random page, half the page among 40 random ones that shares most content words with A: a close
topic), up to 15 sentences of each; pairs inside A or inside B are positives, pairs across are negatives. The
features of a pair are computed in that pool, as they would be on a page stitched from A and B. No stitched recipe is
used: the model only learns what sentences of one page share that sentences of two pages do not.

    .venv/bin/python bench/coherence_pairs.py [--data ../shared/data] [--write]

``--by-lang hi,ur,ar,zh,fr,sv``: per language, the test-half pair AUC of the shipped model, of a refit on the
language's own train pairs and of refits on script groups (does the model read Devanagari / Arabic-script pages
worse because it was fitted mostly on Latin-script pages?); ``--stems`` swaps the pages' content stems for
Devanagari and Arabic-script words first (``strip4``: vowel signs and diacritics removed, 3+ letters, the first 4;
``full3``: whole words of 3+ letters; both without the words on more than 15% of the language's train pages).
bench/results/coherence.md, "Stitched pages beyond English, second pass".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from coherence_recipes import load  # noqa: E402
from coherence_train import fit, logit  # noqa: E402

from winnow.steps.coherence._pairs import PAIR_FEATURES, PAIR_MODEL, capitalised_words, pair_features, short_words, style  # noqa
from winnow.steps.coherence import _pairs as _coherence_pairs  # noqa: E402
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


# Vowel signs, viramas, nuktas (Devanagari) and harakat (Arabic script): written or left out by habit, so a word's
# letters without them are the word (the --stems probe).
_MARKS = re.compile(r"[\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u064b-\u065f\u0670\u06d6-\u06ed]")
_TOK = re.compile(r"(?:[^\W\d_]|[\u0900-\u0dff\u064b-\u065f\u0670])+")


def swap_stems(mode, train_pages):
    """Make content() give other stems (``mode`` strip4 / full3, see the module's text); the words on more than 15%
    of the language's train pages (function words) are left out."""
    common = collections.Counter()
    for t in train_pages:
        common.update({_MARKS.sub("", w) for w in _TOK.findall(t.lower())})
    stop = {w for w, c in common.items() if c > 0.15 * len(train_pages)}
    plain = content

    def swapped(text):
        a = analyse(text)
        out = []
        for s in a.sentences:
            if s.reason is not None or len(s.stems) < 2:
                continue
            t = text[s.start:s.end]
            toks = _TOK.findall(t.lower())
            base = [_MARKS.sub("", w) for w in toks]
            if mode == "strip4":
                st = frozenset(b[:4] for b in base if len(b) >= 3 and b not in stop)
            else:
                st = frozenset(w for w, b in zip(toks, base) if len(b) >= 3 and b not in stop)
            out.append((t, st or s.stems))
        return ([t for t, _ in out], [st for _, st in out], [capitalised_words(t) for t, _ in out],
                [short_words(t) for t, _ in out])
    return swapped if mode != "cur" else plain


def by_lang(pages, langs, seed, stems="cur"):
    """Per language: test pair AUC of the shipped model, of a refit on the language's train pairs and on groups."""
    global content
    shipped = _coherence_pairs._model()
    mu, sd, w, b = shipped
    sets = {}
    plain = content
    for lg in langs:
        content = swap_stems(stems, pages["train"][lg])
        rng = random.Random(seed)
        sets[lg] = (pairs({lg: pages["train"][lg]}, rng), pairs({lg: pages["test"][lg]}, rng))
        content = plain
    groups = {"hi+ur+ar+zh": [x for x in ("hi", "ur", "ar", "zh") if x in sets],
              "hi+ur+ar": [x for x in ("hi", "ur", "ar") if x in sets]}
    fits = {g: fit(np.vstack([sets[x][0][0] for x in ls]), np.concatenate([sets[x][0][1] for x in ls]), l2=1.0)
            for g, ls in groups.items() if ls}
    print(f"\n| language (stems {stems}) | test pairs | shipped model | own refit | " + " | ".join(fits)
          + " |\n|---|---|---|---|" + "---|" * len(fits))
    for lg, ((xtr, ytr), (xte, yte)) in sets.items():
        own = fit(xtr, ytr, l2=1.0)
        ship = ((xte - mu) / np.where(sd == 0, 1.0, sd)) @ w + b
        print(f"| {lg} | {len(yte)} | {auc(ship, yte):.3f} | {auc(logit(own, xte), yte):.3f} | "
              + " | ".join(f"{auc(logit(m, xte), yte):.3f}" for m in fits.values()) + " |", flush=True)


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
    ap.add_argument("--by-lang", default=None, help="comma-separated languages: per-language pair AUC, then stop")
    ap.add_argument("--stems", choices=("cur", "strip4", "full3"), default="cur", help="with --by-lang (see above)")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    pages, _ = load(args.data)
    if args.by_lang:
        by_lang(pages, args.by_lang.split(","), args.seed, args.stems)
        print(f"{time.process_time() - t0:.0f} s CPU", file=sys.stderr)
        return 0
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
