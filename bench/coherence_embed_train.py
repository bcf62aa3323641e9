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
src/winnow/data/coherence/stitched_model_embed.json (``--model minilm``) or stitched_model_embed_static.json
(``--model minilm-static``), the same bytes for the same data and encoder. Both encoders are computed in one pass.
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
from winnow.steps.coherence import DOC_FEATURES, EMBED_MODELS, analyse, doc_features  # noqa: E402

STITCHED = ct.STITCHED
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
        return [np.array([self.vec[s] for s in p], dtype=np.float32).reshape(len(p), -1) for p in pages]


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
        xx = x[:, 2:2 + nd + len(E.PAGE_SIGNALS)][:, cols]
        fold = (np.arange(len(x)) // (3 if g == "real" else 1)) % ct.FOLDS
        y = np.full(len(x), 0 if g in ("real", "untouched") else 1)
        out[g] = (xx[keep], y[keep], np.full(keep.sum(), "en"), fold[keep])
        out.setdefault("_shipped", {})[g] = x[keep, 1]
        if g == "real":
            k12 = keep & (np.array(nsent) >= 12)
            out["real12"] = (xx[k12], y[k12], np.full(k12.sum(), "en"), fold[k12])
            out["_shipped"]["real12"] = x[k12, 1]
    return out


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
    both = list(range(nd + len(E.PAGE_SIGNALS)))
    pair_only = list(range(nd))
    g_e, t_e = groups(tr, both), groups(te, both)
    g_p, t_p = groups(tr, pair_only), groups(te, pair_only)
    shipped = t_e.pop("_shipped")
    g_e.pop("_shipped"), g_p.pop("_shipped"), t_p.pop("_shipped")
    print(f"encoder {args.model}; English pages of 8+ content sentences; train real {len(g_e['real'][1])}, "
          f"test real {len(t_e['real'][1])} (12+ sentences: {len(t_e['real12'][1])})\n")
    print("Leave one recipe out (test half of the recipe left out; real = test real pages of 12+ sentences):\n")
    print("| recipe left out | n | embed | pairs (refit) | real flagged embed | real flagged pairs |")
    print("|---|---|---|---|---|---|")
    for r in STITCHED:
        re_ = ct.rates(ct.train_on(g_e, args.fp, exclude=(r,)), t_e)
        rp = ct.rates(ct.train_on(g_p, args.fp, exclude=(r,)), t_p)
        print(f"| {r} | {re_[r][1]} | {re_[r][0]:.1%} | {rp[r][0]:.1%} | {re_['real12'][0]:.1%} | "
              f"{rp['real12'][0]:.1%} |")
    me, mp = ct.train_on(g_e, args.fp), ct.train_on(g_p, args.fp)
    re_, rp = ct.rates(me, t_e), ct.rates(mp, t_p)
    print("\nFitted on every recipe, test half (flagged at 0.5):\n")
    print("| set | n | embed | pairs (refit) | pairs (shipped model) |")
    print("|---|---|---|---|---|")
    for g in STITCHED + ("untouched", "real", "real12"):
        print(f"| {g} | {re_[g][1]} | {re_[g][0]:.1%} | {rp[g][0]:.1%} | {(shipped[g] >= 0).mean():.1%} |")
    if args.write:
        write(os.path.join(DATA, EMBED_MODELS[args.model]), me, args)
    return 0


def write(path, m, args):
    feats = list(DOC_FEATURES) + list(E.PAGE_SIGNALS)
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
                          "head; English pages only (the tier embeds no other): synthetic stitched pages of the "
                          "recipes of bench/coherence_recipes.py (" + ", ".join(STITCHED) + f"; {args.per_recipe} "
                          "each, seed embtier/train/<recipe>) and untouched pages from the English web pages of the "
                          f"train half of ../shared/data, and {args.real} of those pages as they are, flattened and "
                          "one sentence per line",
        }, f, indent=1)
    print(f"wrote {os.path.relpath(path, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
