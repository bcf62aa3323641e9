"""Fit and measure the embedding tier of ``stitched_document`` (issue 18): the page model over the pair tier's
signals (winnow.steps.coherence.DOC_FEATURES) plus the sentence-embedding signals of
winnow.steps.coherence._embed (PAGE_SIGNALS), on English pages (the tier embeds English pages only; every other page
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
from winnow.steps.coherence import _embed as E  # noqa: E402
from winnow.steps._encoder import E5_MODEL, encoder_identity, load_encoder  # noqa: E402
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
        # keyed as embed_pages feeds the encoder: whitespace made single spaces
        pages = [[" ".join(s.split()) for s in p] for p in pages]
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


# --- every language (multilingual-e5-small) ---------------------------------------------------------------------

ML = E5_MODEL
# The encoders measured in every language (``--model``): multilingual-e5-small, and e5-static (its static table,
# _e5static; the same sets, page signals and fitter, ~100x cheaper).
ML_MODELS = {E5_MODEL: "e5", "e5-static": "e5-static"}
# The sentence caps measured in one pass (the page signals of the first n content sentences chosen evenly; a
# sentence embedded for one cap is reused by the others through SentenceCache).
CAPS = (64, 32, 24)
# Pool pages per language and half (the first ones, in file order): tf-idf neighbours are searched in the pool.
# 150 was set by the cost: sentences shared by specimens of a pool are embedded once (SentenceCache), and this
# benchmark had ~0.2 of a shared core.
POOL_CAP = 150
# The languages of issue 18's checks (Arabic register documents exist too; left out for the cost).
LANGS = ("ca", "de", "en", "es", "fi", "fr", "hi", "id", "pt", "sv", "ur", "zh")
_LANGS = [LANGS]  # --langs: a subset (its cache files carry the subset's name)


def lang_pools(pages, split):
    """{lang: [text]} of one half: the English and the other (German) web pages apart, and each register
    language; languages with 20+ pages, sorted."""
    ende = pages[split]["en/de"]
    out = {"en": [t for t in ende if E.english(t)], "de": [t for t in ende if not E.english(t)]}
    out.update({lg: lst for lg, lst in pages[split].items() if lg != "en/de"})
    return {lg: lst[:POOL_CAP] for lg, lst in sorted(out.items()) if len(lst) >= 20 and lg in _LANGS[0]}


def specimens_ml(pages, chrome, split, per_recipe, n_real):
    """{group: (texts, langs)}: per language, ``per_recipe`` specimens of each stitched recipe and of untouched
    (seed embtier-ml/<split>/<lang>/<recipe>), and ``n_real`` real pages in three layouts."""
    out = {g: ([], []) for g in STITCHED + ("untouched", "real")}
    cache: dict = {}
    for lang, pool in lang_pools(pages, split).items():
        for recipe in STITCHED + ("untouched",):
            rng = random.Random(f"embtier-ml/{split}/{lang}/{recipe}")
            n, tries = 0, 0
            while n < per_recipe and tries < 20 * per_recipe:
                tries += 1
                fam = rng.choice(("web", "turku"))
                if recipe in V3:
                    d = make_v3(recipe, pool, lang, chrome[fam][split], rng)
                else:
                    d = make(recipe, pool, chrome[fam][split], rng, cache)
                if len(sentence_spans(d["text"])) >= 12:
                    out[recipe][0].append(d["text"])
                    out[recipe][1].append(lang)
                    n += 1
        for t in pool[:n_real]:
            out["real"][0].extend([t, " ".join(t.split()),
                                   "\n".join(" ".join(t[a:b].split()) for a, b in sentence_spans(t))])
            out["real"][1].extend([lang] * 3)
    return out


def featurise_ml(texts, cache, batch=40):
    """{cap: rows of (content sentences, shipped pair-tier logit, DOC_FEATURES..., PAGE_SIGNALS..., 1.0)} for
    each cap of CAPS; every language is embedded (no English gate)."""
    rows = {c: [] for c in CAPS}
    for b0 in range(0, len(texts), batch):
        chunk = texts[b0:b0 + batch]
        an = [analyse(t) for t in chunk]
        base = [[a.n_content_sentences, max(a.logits.values(), default=-30.0)] + doc_features(a) for a in an]
        for cap in CAPS:
            sel = [E.choose(a, cap) if a.n_content_sentences >= 8 else [] for a in an]
            sents = [[t[a.sentences[i].start:a.sentences[i].end] for i in idx] for t, a, idx in zip(chunk, an, sel)]
            for b, v in zip(base, cache.pages(sents)):
                rows[cap].append(b + list(E.page_signals(v)) + [1.0])
    return {c: np.array(r, dtype=np.float64) for c, r in rows.items()}


def features_ml(args, split, pages, chrome):
    """{cap: {group: (rows, sentences per text, langs)}}, cached in bench/out/embtier one file per group (so that
    ``--groups`` lets several processes share the work)."""
    def path(g):
        return os.path.join(args.cache, f"{split}.ml{_tag(args)}.{args.per_recipe}.{args.real}.{g}.pkl")

    names = STITCHED + ("untouched", "real")
    # --split computes (the groups not cached yet); the tables only read what is cached
    todo = [g for g in (args.groups or names) if not os.path.exists(path(g))] if args.split else []
    if todo:
        sets = specimens_ml(pages, chrome, split, args.per_recipe, args.real)
        cache = SentenceCache(load_encoder(args.model, device="cpu", step="stitched_document"))
        os.makedirs(args.cache, exist_ok=True)
        for g in todo:
            texts, langs = sets[g]
            t0 = time.process_time()
            rows = featurise_ml(texts, cache)
            ns = [len(sentence_spans(t)) for t in texts]
            with open(path(g), "wb") as f:
                pickle.dump({c: (rows[c], ns, np.array(langs)) for c in CAPS}, f)
            print(f"{split} {g}: {len(texts)} texts, {len(cache.vec)} sentences embedded so far, "
                  f"{time.process_time() - t0:.0f} CPU s", file=sys.stderr, flush=True)
    if args.split:
        return None
    out = {c: {} for c in CAPS}
    missing = [g for g in names if not os.path.exists(path(g))]
    if missing:
        print(f"{split}: no features for {', '.join(missing)} (left out of every table)", file=sys.stderr)
    for g in (g for g in names if g not in missing):
        with open(path(g), "rb") as f:
            d = pickle.load(f)
        for c in CAPS:
            out[c][g] = d[c]
    return out


def refresh_pair(args, pages, chrome):
    """Rewrite the cached column of the shipped pair tier's log-odds (the head's input pair_tier_logit) with the pair
    tier as it is now, for the pages whose language group has its own fit (winnow.steps.coherence._lang; the pooled
    fit, unchanged, judges the rest): the pair tier changed after the features were embedded, the embeddings did
    not."""
    from winnow.steps.coherence import _lang as _coherence_lang
    from winnow.steps.coherence import _group_models

    groups = set(_group_models())
    for split in ("train", "test"):
        sets = specimens_ml(pages, chrome, split, args.per_recipe, args.real)
        for g, (texts, _) in sets.items():
            path = os.path.join(args.cache, f"{split}.ml{_tag(args)}.{args.per_recipe}.{args.real}.{g}.pkl")
            with open(path, "rb") as f:
                d = pickle.load(f)
            n = 0
            for i, t in enumerate(texts):
                if _coherence_lang.guess(t) in groups:
                    lg = max(analyse(t).logits.values(), default=-30.0)
                    for c in CAPS:
                        d[c][0][i, 1] = lg
                    n += 1
            with open(path, "wb") as f:
                pickle.dump(d, f)
            print(f"{split} {g}: {n} of {len(texts)} pair log-odds refreshed", file=sys.stderr, flush=True)
    return 0


def _tag(args):
    # multilingual-e5-small's cache files keep their names; another encoder's carry its name
    tag = "" if args.model == ML else "." + args.model
    return tag + ("." + "-".join(args.langs) if args.langs else "")


def groups_ml(feats, cols):
    """{group: (X, y, lang, fold)} of one half and one cap: pages of 8+ content sentences; 'real12': the real pages
    of 12+ sentences; '_shipped': the shipped pair tier's log-odds per group."""
    nd = len(DOC_FEATURES)
    out = {"_shipped": {}}
    for g, (x, nsent, lang) in feats.items():
        keep = x[:, 0] >= 8
        xx = np.c_[x[:, 2:2 + nd], np.clip(x[:, 1], -LOGIT_CLIP, LOGIT_CLIP),
                   x[:, 2 + nd:2 + nd + len(E.PAGE_SIGNALS)]][:, cols]
        fold = (np.arange(len(x)) // (3 if g == "real" else 1)) % ct.FOLDS
        y = np.full(len(x), 0 if g in ("real", "untouched") else 1)
        out[g] = (xx[keep], y[keep], lang[keep], fold[keep])
        out["_shipped"][g] = x[keep, 1]
        if g == "real":
            k12 = keep & (np.array(nsent) >= 12)
            out["real12"] = (xx[k12], y[k12], lang[k12], fold[k12])
            out["_shipped"]["real12"] = x[k12, 1]
    return out


def _balanced(lang):
    # every language weighs the same among the negatives (as bench/coherence_train.py): en/de and sv have most pages
    _, inv, cnt = np.unique(lang, return_inverse=True, return_counts=True)
    w = 1.0 / cnt[inv]
    return w / w.sum()


def train_ml(gr, fp, exclude=(), lang_out=None):
    """train()'s two heads over pages of every language (languages weighted equally among the negatives), without
    the recipes ``exclude`` and the language ``lang_out``; the common bias set on out-of-fold scores of the real
    pages of 12+ sentences and the untouched specimens so that a language-balanced share ``fp`` scores >= 0.5."""
    def part(names):
        xs, ls, fs = [], [], []
        for r in names:
            x, _, lang, fold = gr[r]
            keep = lang != lang_out
            xs.append(x[keep]), ls.append(lang[keep]), fs.append(fold[keep])
        return np.vstack(xs), np.concatenate(ls), np.concatenate(fs)

    neg, neg_lang, neg_fold = part([g for g in ("real", "untouched") if g in gr])
    neg12, lang12, fold12 = part([g for g in ("real12", "untouched") if g in gr])
    w12 = _balanced(lang12)
    model, oof = {}, {}
    for head, recipes in ct.HEADS.items():
        pos, _, _ = part([r for r in recipes if r not in exclude and r in gr])
        xs, ys = np.vstack([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        sw = np.r_[np.ones(len(pos)), _balanced(neg_lang) * len(neg)]
        fold = np.r_[np.full(len(pos), -1), neg_fold]
        model[head] = ct.fit(ct.expand(xs), ys, l2=ct.L2, sw=sw)
        model[head]["shift"] = 0.0
        o = np.zeros(len(neg12))
        for k in range(ct.FOLDS):
            tr = fold != k
            mk = ct.fit(ct.expand(xs[tr]), ys[tr], l2=ct.L2, sw=sw[tr])
            o[fold12 == k] = ct.logit(mk, neg12[fold12 == k])
        oof[head] = o
    shift = -ct._cut(np.max(list(oof.values()), axis=0), w12, fp)
    for m in model.values():
        m["b"] += shift
        m["shift"] += shift
    return model


def flags(model, gr, sure=True):
    """{group: (flagged bool array, lang array)}: as the step decides (the embedding tier's model, or the pair tier
    where it is sure) when ``sure``; the model alone (the pair tier refit) otherwise."""
    out = {}
    for g, v in gr.items():
        if g.startswith("_"):
            continue
        x, _, lang, _ = v
        f = ct.score(model, x) >= 0
        if sure:
            f = f | (gr["_shipped"][g] >= EMBED_PAIR_SURE)
        out[g] = (f, lang)
    return out


def _pct(f):
    return f"{f.mean():.0%}" if len(f) else "-"


def speed(args, pages):
    """CPU seconds per document, one thread, of the embedding tier's work past the pair tier's (choose the
    sentences, embed them, the page signals) at each cap of CAPS, and of the pair tier's page analysis, on
    ``args.speed`` pages of the test half (languages in turn): as they are, and cut or repeated to 5,000
    characters. Pages are embedded in batches of 32 documents, as the step does."""
    import itertools

    from winnow.steps._encoder import single_thread_blas

    single_thread_blas()
    pools = lang_pools(pages, "test")
    mixed = [t for t in itertools.chain.from_iterable(itertools.zip_longest(*pools.values())) if t]
    real = mixed[:args.speed]
    five = [(t * (5000 // len(t) + 1))[:5000] for t in real]
    enc = load_encoder(args.model, device="cpu", step="stitched_document")
    print(f"encoder {args.model}, one thread; {len(real)} pages of the test half, {len(pools)} languages in turn\n")
    print("| pages | mean chars | pair tier docs/s | " + " | ".join(f"embed cap {c}: sentences/page, docs/s"
                                                         for c in CAPS) + " |")
    print("|---" * (3 + len(CAPS)) + "|")
    for name, texts in (("real length", real), ("5 KB", five)):
        t0 = time.process_time()
        an = [analyse(t) for t in texts]
        pair = time.process_time() - t0
        cells = []
        for cap in CAPS:
            t0, n = time.process_time(), 0
            for b in range(0, len(an), 32):
                part = an[b:b + 32]
                sel = [E.choose(a, cap) if a.n_content_sentences >= 8 else [] for a in part]
                n += sum(map(len, sel))
                vecs = E.embed_pages(enc, [[a.text[a.sentences[i].start:a.sentences[i].end] for i in idx]
                                           for a, idx in zip(part, sel)])
                for v in vecs:
                    E.page_signals(v)
            emb = time.process_time() - t0
            cells.append(f"{n / len(texts):.1f}, {len(texts) / (pair + emb):.2f}")
        print(f"| {name} | {sum(map(len, texts)) / len(texts):.0f} | {len(texts) / pair:.1f} | " +
              " | ".join(cells) + " |")
    return 0


def main_ml(args, pages, chrome):
    tr, te = features_ml(args, "train", pages, chrome), features_ml(args, "test", pages, chrome)
    nd = len(DOC_FEATURES)
    both, pair_only = list(range(nd + 1 + len(E.PAGE_SIGNALS))), list(range(nd))
    cap = args.cap
    col = ML_MODELS[args.model]
    g_e, t_e = groups_ml(tr[cap], both), groups_ml(te[cap], both)
    g_p, t_p = groups_ml(tr[cap], pair_only), groups_ml(te[cap], pair_only)
    langs = sorted(set(t_e["real"][2]))
    recipes = [r for r in STITCHED if r in g_e and r in t_e]
    print(f"encoder {args.model}, sentence cap {cap}; pages of 8+ content sentences; languages {' '.join(langs)}; "
          f"recipes {' '.join(recipes)}; "
          f"train: {sum(len(g_e[r][1]) for r in recipes)} stitched, {len(g_e['real'][1])} real (3 layouts), "
          f"{len(g_e.get('untouched', [0, []])[1])} untouched; test: {sum(len(t_e[r][1]) for r in recipes)} stitched, "
          f"{len(t_e['real'][1])} real ({len(t_e['real12'][1])} of 12+ sentences), "
          f"{len(t_e.get('untouched', [0, []])[1])} "
          "untouched\n")

    # leave one recipe out: each recipe's test pages scored by the heads fitted without it
    held_e, held_p = {}, {}
    print("Leave one recipe out (fit on the train half without the recipe, measured on its test half; real = test "
          "real pages of 12+ sentences, every language):\n")
    print(f"| recipe left out | n | {col} | pairs (refit) | real flagged {col} | real flagged pairs |\n|---|---|---|---|---|---|")
    for r in recipes:
        fe, fp_ = flags(train_ml(g_e, args.fp, exclude=(r,)), t_e), flags(train_ml(g_p, args.fp, exclude=(r,)), t_p, False)
        held_e[r], held_p[r] = fe[r], fp_[r]
        print(f"| {r} | {len(fe[r][0])} | {_pct(fe[r][0])} | {_pct(fp_[r][0])} | {fe['real12'][0].mean():.1%} | "
              f"{fp_['real12'][0].mean():.1%} |")
    me, mp = train_ml(g_e, args.fp), train_ml(g_p, args.fp)
    fe, fpp = flags(me, t_e), flags(mp, t_p, False)
    shipped = {g: (t_e["_shipped"][g] >= 0, t_e[g][2]) for g in fe}
    print("\nPer language, test half: stitched recall left one recipe out (each recipe scored by the heads fitted "
          "without it; spun = the four spun recipes, block = the five block ones), and real pages flagged by the "
          "heads fitted on every recipe (real: every layout of 8+ content sentences; real12: 12+ sentences; "
          "untouched specimens):\n")
    print(f"| lang | spun {col} | spun pairs | block {col} | block pairs | real {col} | real pairs | real pairs shipped | "
          f"real12 {col} | real12 pairs | untouched {col} | untouched pairs | n stitched / real / real12 |")
    print("|---" * 13 + "|")
    for lg in langs + ["all"]:
        def sel(d, names):
            return np.concatenate([d[r][0][(d[r][1] == lg) | (lg == "all")] for r in names if r in d] or [[]])
        sp, bl = ct.HEADS["spun"], ct.HEADS["blocks"]
        cells = [_pct(sel(held_e, sp)), _pct(sel(held_p, sp)), _pct(sel(held_e, bl)), _pct(sel(held_p, bl))]
        for g in ("real", "real12", "untouched"):
            cells += [f"{sel(fe, [g]).mean():.1%}", f"{sel(fpp, [g]).mean():.1%}"] if g in fe else ["-", "-"]
            if g == "real":
                cells.append(f"{sel(shipped, ['real']).mean():.1%}")
        n = f"{len(sel(held_e, recipes))} / {len(sel(fe, ['real']))} / {len(sel(fe, ['real12']))}"
        print(f"| {lg} | " + " | ".join(cells) + f" | {n} |")

    print("\nLeave one language out (fit on the train half without the language, measured on its test half):\n")
    print(f"| lang left out | stitched {col} | stitched pairs | real {col} | real pairs | real12 {col} | real12 pairs |")
    print("|---" * 7 + "|")
    tot = {k: [] for k in ("se", "sp")}
    for lg in (langs if len(langs) > 1 else []):  # one language (--langs): nothing to leave out
        le = flags(train_ml(g_e, args.fp, lang_out=lg), t_e)
        lp = flags(train_ml(g_p, args.fp, lang_out=lg), t_p, False)

        def only(d, gs):
            return np.concatenate([d[g][0][d[g][1] == lg] for g in gs])
        se, sp_ = only(le, recipes), only(lp, recipes)
        tot["se"].append(se), tot["sp"].append(sp_)
        print(f"| {lg} | {_pct(se)} | {_pct(sp_)} | {only(le, ['real']).mean():.1%} | {only(lp, ['real']).mean():.1%} "
              f"| {only(le, ['real12']).mean():.1%} | {only(lp, ['real12']).mean():.1%} |")
    if tot["se"]:
        print(f"| all | {_pct(np.concatenate(tot['se']))} | {_pct(np.concatenate(tot['sp']))} | | | | |")

    print("\nSentence cap (heads refitted at each cap on the train half, test half, every language):\n")
    print("| cap | spun | block | real flagged | real12 flagged | untouched flagged |\n|---|---|---|---|---|---|")
    for c in CAPS:
        ge, tt = groups_ml(tr[c], both), groups_ml(te[c], both)
        f = flags(train_ml(ge, args.fp), tt)
        print(f"| {c} | {_pct(np.concatenate([f[r][0] for r in ct.HEADS['spun'] if r in f] or [[]]))} | "
              f"{_pct(np.concatenate([f[r][0] for r in ct.HEADS['blocks'] if r in f] or [[]]))} | "
              f"{f['real'][0].mean():.1%} | "
              f"{f['real12'][0].mean():.1%} | {_pct(f['untouched'][0]) if 'untouched' in f else '-'} |")
    if args.minilm_en:
        minilm_english(args, pages, chrome, held_e, fe, t_e)
    if args.write:
        args.recipes_used = recipes
        if ML_MODELS[args.model] not in EMBED_MODELS:
            raise SystemExit(f"--write: stitched_document has no page model file for {args.model!r} (EMBED_MODELS)")
        write(os.path.join(DATA, EMBED_MODELS[ML_MODELS[args.model]]), me, args, args.model, cap)
    return 0


def minilm_english(args, pages, chrome, held_e, fe, t_e):
    """The shipped minilm page model (stitched_model_embed.json, fitted on other English pages of the train half)
    on the English test pages of these sets, decided as the step decides (the pair tier where the page does not
    read as English or the pair tier is sure), beside e5 (left one recipe out, and fitted on every recipe)."""
    from winnow.steps.coherence import EMBED_MODEL, _apply, _model

    head = _model(EMBED_MODEL)
    sets = specimens_ml(pages, chrome, "test", args.per_recipe, args.real)
    cache = {"minilm": SentenceCache(load_encoder("minilm", device="cpu", step="stitched_document"))}
    nd = len(DOC_FEATURES)
    print("\nEnglish test pages: the shipped minilm model beside e5 (8+ content sentences):\n")
    print("| set | n | e5 left out | e5 all recipes | minilm (shipped) | pairs (shipped) |\n|---|---|---|---|---|---|")
    for g in [r for r in STITCHED if r in fe] + ["untouched", "real"]:
        texts = [t for t, lg in zip(*sets[g]) if lg == "en"]
        x = featurise(texts, cache)["minilm"]
        x = x[x[:, 0] >= 8]
        pair = x[:, 1]
        lg = np.array([max(_apply(head, list(r[2:2 + nd]) + [float(np.clip(r[1], -LOGIT_CLIP, LOGIT_CLIP))] +
                                  list(r[2 + nd:2 + nd + len(E.PAGE_SIGNALS)])).values()) for r in x])
        mini = np.where(x[:, -1] > 0, (lg >= 0) | (pair >= EMBED_PAIR_SURE), pair >= 0)
        en_left = held_e[g][0][held_e[g][1] == "en"] if g in held_e else np.zeros(0)
        en_all = fe[g][0][fe[g][1] == "en"] if g in fe else np.zeros(0)
        print(f"| {g} | {len(x)} | {_pct(en_left)} | {_pct(en_all)} | {_pct(mini)} | {_pct(pair >= 0)} |")


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
    ap.add_argument("--speed", type=int, default=0, help=f"{ML}: measure the cost on this many pages instead")
    ap.add_argument("--minilm-en", action="store_true", help=f"{ML}: the shipped minilm model on the English pages too")
    ap.add_argument("--groups", nargs="*", help=f"{ML} with --split: compute only these groups' features")
    ap.add_argument("--refresh-pair", action="store_true",
                    help=f"{ML}: recompute the cached pair-tier log-odds with the current pair tier")
    ap.add_argument("--cap", type=int, default=64, choices=CAPS, help=f"{ML}: sentences embedded per page")
    ap.add_argument("--langs", nargs="*", help=f"{ML}: only these languages (of {' '.join(LANGS)})")
    args = ap.parse_args(argv)
    if args.langs:
        _LANGS[0] = tuple(args.langs)
    if args.model in ML_MODELS and not (args.split or args.speed or args.minilm_en or args.refresh_pair):
        return main_ml(args, None, None)  # the tables read the cached features only
    pages, chrome = load(args.data)
    if args.model in ML_MODELS:
        if args.speed:
            return speed(args, pages)
        if args.refresh_pair:
            return refresh_pair(args, pages, chrome)
        if args.split:
            features_ml(args, args.split, pages, chrome)
            return 0
        return main_ml(args, pages, chrome)
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


def write(path, m, args, encoder=None, cap=None):
    feats = list(EMBED_FEATURES)
    encoder = encoder or args.model
    if encoder in ML_MODELS:
        what = (f"pages of every language of ../shared/data ({args.per_recipe} specimens of each recipe ("
                + ", ".join(args.recipes_used) + ") and of "
                "untouched per language, seed embtier-ml/train/<lang>/<recipe>, from the English and the other "
                "web pages and the register documents of each language of the train half, and "
                f"{args.real} real pages per language as they are, flattened and one sentence per line), "
                "languages weighted equally among the negatives")
    else:
        what = ("English pages only (the tier embeds no other): synthetic stitched pages of the "
                "recipes of bench/coherence_recipes.py (" + ", ".join(STITCHED) + f"; {args.per_recipe} "
                "each, seed embtier/train/<recipe>) and untouched pages from the English web pages of the "
                f"train half of ../shared/data, and {args.real} of those pages as they are, flattened and "
                "one sentence per line")
    with open(path, "w") as f:
        json.dump({
            "features": feats,
            "terms": "each feature, then the square of each feature",
            "encoder": encoder,
            "encoder_identity": encoder_identity(encoder),
            "sentences": cap or E.MAX_SENTENCES, "sentence_tokens": E.SENTENCE_TOKENS,
            "heads": {h: ct._head_json(mh) for h, mh in m.items()},
            "provenance": "bench/coherence_embed_train.py " + (f"--model {encoder} " if encoder in ML_MODELS else "") +
                          "--write: one logistic regression per kind "
                          f"of stitching (spun, blocks) over the pair tier's page signals and the sentence-embedding "
                          f"signals of winnow.steps.coherence._embed ({encoder}) and their squares (l2 {ct.L2:g} on "
                          "standardised terms), classes weighted equally, biases shifted so that "
                          f"{args.fp:.1%} of the training real pages of 12+ sentences score >= 0.5 on the larger "
                          f"head, scored out of fold ({ct.FOLDS} folds by page); {what}",
        }, f, indent=1)
    print(f"wrote {os.path.relpath(path, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
