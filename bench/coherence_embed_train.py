"""Fit and measure the embedding tier of ``stitched_document`` (issue 18): the page model over the pair tier's
signals (winnow.steps.coherence.DOC_FEATURES) plus the sentence-embedding signals of
winnow.steps._coherence_embed (PAGE_SIGNALS), on English pages (the tier embeds English pages only; every other page
falls back to the pair tier, so its figures there are the pair tier's).

Sets, built here from the English pages of ../shared/data (web-pages main_text whose function-word share passes
``_coherence_embed.english``), split in halves by page hash as bench/coherence_recipes.py does (a train page is
never a source of a test specimen):

* the nine stitched recipes of bench/coherence_recipes.py (make / make_v3), ``--per-recipe`` specimens each, seed
  ``embtier/<split>/<recipe>`` (not the seed of the all-language sets: other specimens);
* ``untouched`` specimens and the real English pages of the half themselves (``--real`` of them), as they are,
  flattened to one line and one sentence per line.

For each recipe: leave-one-recipe-out (fit on the train half without it, measure on its test half) for ``embed``
(pair + embedding signals) against ``pairs`` (the same fitter on the pair signals alone, same pages), at the
threshold 0.5 after the same calibration (``--fp`` of the train real pages of 12+ sentences score >= 0.5); then
the model fitted on every recipe, on the test half, with the shipped pair-tier model beside it.

    .venv/bin/python bench/coherence_embed_train.py --data ../shared/data [--split train|test] [--write]

``--split``: only compute (and cache, in bench/out/embtier) one half's features, so the halves can be computed in
two processes. ``--write`` stores the model fitted on every recipe in
src/winnow/data/coherence/stitched_model_embed.json (``--model minilm``; the same bytes for the same data and
encoder). ``--model minilm-static`` measures all-MiniLM-L6-v2 made static the same way (both encoders are computed
in one pass); it gained nothing over the pair tier, so no file is written for it.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_train as ct  # noqa: E402
from coherence_recipes import load, make, make_v3, V3  # noqa: E402

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps import _coherence_embed as E  # noqa: E402
from winnow.steps._encoder import encoder_identity, load_encoder  # noqa: E402
from winnow.steps.coherence import (  # noqa: E402
    DOC_FEATURES, EMBED_FEATURES, EMBED_LOGIT_CLIP, EMBED_MODELS, EMBED_PAIR_SURE, analyse, doc_features)

STITCHED = ct.STITCHED
LOGIT_CLIP = EMBED_LOGIT_CLIP
DATA = os.path.join(os.path.dirname(__file__), "..", "src", "winnow", "data", "coherence")


def specimens(pages, chrome, split, per_recipe, n_real):
    """{group: [text]}: the stitched recipes and untouched specimens from the English pages of one half, and the
    real English pages (three layouts each)."""
    pool = [t for t in pages[split]["en/de"] if E.english(t)]
    out = {}
    cache: dict = {}
    for recipe in STITCHED + ("untouched",):
        rng = random.Random(f"embtier/{split}/{recipe}")
        rows = []
        while len(rows) < per_recipe:
            fam = rng.choice(("web", "turku"))
            if recipe in V3:
                d = make_v3(recipe, pool, "en/de", chrome[fam][split], rng)
            else:
                d = make(recipe, pool, chrome[fam][split], rng, cache)
            if len(sentence_spans(d["text"])) >= 12:
                rows.append(d["text"])
        out[recipe] = rows
    real = []
    for t in pool[:n_real]:
        real += [t, " ".join(t.split()), "\n".join(" ".join(t[a:b].split()) for a, b in sentence_spans(t))]
    out["real"] = real
    return out


class SentenceCache:
    """Sentence text -> unit vector, so that a sentence met in several specimens or layouts is embedded once."""

    def __init__(self, encoder):
        self.enc, self.vec = encoder, {}

    def pages(self, pages):
        todo = sorted({s for p in pages for s in p if s not in self.vec})
        if todo:
            for s, v in zip(todo, E.embed_pages(self.enc, [todo])[0]):
                self.vec[s] = v
        dim = self.enc.dim
        return [np.array([self.vec[s] for s in p], dtype=np.float32).reshape(len(p), dim) for p in pages]


def featurise(texts, caches, batch=40):
    """{encoder: rows of (content sentences, shipped pair-tier logit, DOC_FEATURES..., PAGE_SIGNALS...,
    english)}: the page analysis is shared by the encoders."""
    rows = {m: [] for m in caches}
    for b0 in range(0, len(texts), batch):
        chunk = texts[b0:b0 + batch]
        an = [analyse(t) for t in chunk]
        sel = [E.choose(a) if E.english(t) else [] for t, a in zip(chunk, an)]
        sents = [[t[a.sentences[i].start:a.sentences[i].end] for i in idx] for t, a, idx in zip(chunk, an, sel)]
        base = [[a.n_content_sentences, max(a.logits.values(), default=-30.0)] + doc_features(a) for a in an]
        for m, sc in caches.items():
            for t, b, v in zip(chunk, base, sc.pages(sents)):
                rows[m].append(b + list(E.page_signals(v)) + [float(E.english(t))])
    return {m: np.array(r, dtype=np.float64) for m, r in rows.items()}


ENCODERS = ("minilm", "minilm-static")


def features(args, split, pages, chrome):
    """{group: (rows, sentences per text)} for ``args.model``; every encoder of ENCODERS is computed in the same
    pass (one page analysis) and cached."""
    def path(m):
        return os.path.join(args.cache, f"{split}.{m}.{args.per_recipe}.{args.real}.pkl")

    if os.path.exists(path(args.model)):
        with open(path(args.model), "rb") as f:
            return pickle.load(f)
    models = ENCODERS if args.model in ENCODERS else (args.model,)
    sets = specimens(pages, chrome, split, args.per_recipe, args.real)
    caches = {m: SentenceCache(load_encoder(m, device="cpu", step="stitched_document")) for m in models}
    out = {m: {} for m in models}
    for g, texts in sets.items():
        t0 = time.process_time()
        rows = featurise(texts, caches)
        ns = [len(sentence_spans(t)) for t in texts]
        for m in models:
            out[m][g] = (rows[m], ns)
        print(f"{split} {g}: {len(texts)} texts, {len(caches[models[0]].vec)} sentences embedded so far, "
              f"{time.process_time() - t0:.0f} CPU s", file=sys.stderr)
    os.makedirs(args.cache, exist_ok=True)
    for m in models:
        with open(path(m), "wb") as f:
            pickle.dump(out[m], f)
    return out[args.model]


def groups(feats, cols):
    """coherence_train's {group: (X, y, lang, fold)} from cached rows: English pages of 8+ content sentences;
    'real12': the real pages of 12+ sentences."""
    nd = len(DOC_FEATURES)
    out = {}
    for g, (x, nsent) in feats.items():
        keep = (x[:, 0] >= 8) & (x[:, -1] > 0)
        # DOC_FEATURES, the shipped pair tier's log-odds (clipped as the step clips it), PAGE_SIGNALS
        xx = np.c_[x[:, 2:2 + nd], np.clip(x[:, 1], -LOGIT_CLIP, LOGIT_CLIP), x[:, 2 + nd:2 + nd + len(E.PAGE_SIGNALS)]]
        xx = xx[:, cols]
        fold = (np.arange(len(x)) // (3 if g == "real" else 1)) % ct.FOLDS
        y = np.full(len(x), 0 if g in ("real", "untouched") else 1)
        out[g] = (xx[keep], y[keep], np.full(keep.sum(), "en"), fold[keep])
        out.setdefault("_shipped", {})[g] = x[keep, 1]
        if g == "real":
            k12 = keep & (np.array(nsent) >= 12)
            out["real12"] = (xx[k12], y[k12], np.full(k12.sum(), "en"), fold[k12])
            out["_shipped"]["real12"] = x[k12, 1]
    return out


def train(groups, fp, exclude=()):
    """coherence_train's two logistic heads (spun, blocks; each feature and its square, l2 10, classes weighted
    equally), with the bias set on out-of-fold scores: each third of the real pages (by page, its three layouts
    together) scored by heads fitted without it. Set on their own training scores instead, the biases flagged 1.5%
    of the 710 training pages and 5-7% of the test half's: with ~45 terms a regression fits a few hundred
    negatives closely (the pair-tier fit of coherence_train.py has ~10,000 real pages and did not need this)."""
    neg = np.vstack([groups["real"][0], groups["untouched"][0]])
    neg_fold = np.r_[groups["real"][3], groups["untouched"][3]]
    neg12, fold12 = groups["real12"][0], groups["real12"][3]
    model, oof = {}, {}
    for head, recipes in ct.HEADS.items():
        pos = np.vstack([groups[r][0] for r in recipes if r not in exclude])
        xs, ys = np.vstack([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        fold = np.r_[np.full(len(pos), -1), neg_fold]
        model[head] = ct.fit(ct.expand(xs), ys, l2=ct.L2)
        model[head]["shift"] = 0.0
        o = np.zeros(len(neg12))
        for k in range(ct.FOLDS):
            mk = ct.fit(ct.expand(xs[fold != k]), ys[fold != k], l2=ct.L2)
            o[fold12 == k] = ct.logit(mk, neg12[fold12 == k])
        oof[head] = o
    w = np.full(len(neg12), 1.0 / len(neg12))
    shift = -ct._cut(np.max(list(oof.values()), axis=0), w, fp)
    for m in model.values():
        m["b"] += shift
        m["shift"] += shift
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache", default="bench/out/embtier")
    ap.add_argument("--model", default="minilm", help="encoder (minilm | minilm-static | hashing)")
    ap.add_argument("--per-recipe", type=int, default=40)
    ap.add_argument("--real", type=int, default=250, help="real English pages per half (x3 layouts)")
    ap.add_argument("--fp", type=float, default=0.015)
    ap.add_argument("--split", choices=("train", "test"))
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    pages, chrome = load(args.data)
    if args.split:
        features(args, args.split, pages, chrome)
        return 0
    tr, te = features(args, "train", pages, chrome), features(args, "test", pages, chrome)
    nd = len(DOC_FEATURES)
    both = list(range(nd + 1 + len(E.PAGE_SIGNALS)))
    pair_only = list(range(nd))
    g_e, t_e = groups(tr, both), groups(te, both)
    g_p, t_p = groups(tr, pair_only), groups(te, pair_only)
    shipped = t_e.pop("_shipped")

    def rates_e(model):
        # as the step decides: the embedding tier's model, or the pair tier where it is sure (EMBED_PAIR_SURE)
        return {r: (float(((ct.score(model, x) >= 0) | (shipped[r] >= EMBED_PAIR_SURE)).mean()), len(x))
                for r, (x, _, _, _) in t_e.items()}

    g_e.pop("_shipped"), g_p.pop("_shipped"), t_p.pop("_shipped")
    print(f"encoder {args.model}; English pages of 8+ content sentences; train real {len(g_e['real'][1])}, "
          f"test real {len(t_e['real'][1])} (12+ sentences: {len(t_e['real12'][1])})\n")
    print("Leave one recipe out (test half of the recipe left out; real = test real pages of 12+ sentences):\n")
    print("| recipe left out | n | embed | pairs (refit) | real flagged embed | real flagged pairs |")
    print("|---|---|---|---|---|---|")
    for r in STITCHED:
        re_ = rates_e(train(g_e, args.fp, exclude=(r,)))
        rp = ct.rates(train(g_p, args.fp, exclude=(r,)), t_p)
        print(f"| {r} | {re_[r][1]} | {re_[r][0]:.1%} | {rp[r][0]:.1%} | {re_['real12'][0]:.1%} | "
              f"{rp['real12'][0]:.1%} |")
    me, mp = train(g_e, args.fp), train(g_p, args.fp)
    re_, rp = rates_e(me), ct.rates(mp, t_p)
    print("\nFitted on every recipe, test half (flagged at 0.5):\n")
    print("| set | n | embed | pairs (refit) | pairs (shipped model) |")
    print("|---|---|---|---|---|")
    for g in STITCHED + ("untouched", "real", "real12"):
        print(f"| {g} | {re_[g][1]} | {re_[g][0]:.1%} | {rp[g][0]:.1%} | {(shipped[g] >= 0).mean():.1%} |")
    if args.write:
        if args.model not in EMBED_MODELS:
            raise SystemExit(f"--write: no page model file is named for encoder {args.model!r} (EMBED_MODELS)")
        write(os.path.join(DATA, EMBED_MODELS[args.model]), me, args)
    return 0


def write(path, m, args):
    feats = list(EMBED_FEATURES)
    with open(path, "w") as f:
        json.dump({
            "features": feats,
            "terms": "each feature, then the square of each feature",
            "encoder": args.model,
            "encoder_identity": encoder_identity(args.model),
            "sentences": E.MAX_SENTENCES, "sentence_tokens": E.SENTENCE_TOKENS,
            "heads": {h: ct._head_json(mh) for h, mh in m.items()},
            "provenance": "bench/coherence_embed_train.py --write: one logistic regression per kind of stitching "
                          f"(spun, blocks) over the pair tier's page signals and the sentence-embedding signals "
                          f"of winnow.steps._coherence_embed ({args.model}) and their squares (l2 {ct.L2:g} on "
                          "standardised terms), classes weighted equally, biases shifted so that "
                          f"{args.fp:.1%} of the training real pages of 12+ sentences score >= 0.5 on the larger "
                          f"head, scored out of fold ({ct.FOLDS} folds by page); English pages only (the tier embeds no other): synthetic stitched pages of the "
                          "recipes of bench/coherence_recipes.py (" + ", ".join(STITCHED) + f"; {args.per_recipe} "
                          "each, seed embtier/train/<recipe>) and untouched pages from the English web pages of the "
                          f"train half of ../shared/data, and {args.real} of those pages as they are, flattened and "
                          "one sentence per line",
        }, f, indent=1)
    print(f"wrote {os.path.relpath(path, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
