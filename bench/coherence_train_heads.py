"""Heads of a language's own for the default tier's page model, fitted on one-language stitched pages, measured
against the rule of bench/results/coherence.md "Stop 29: language heads (session cohhead)", and written into
src/winnow/data/coherence/stitched_model.json when a head passes it.

Candidates (declared in the rule before any of their test figures):

* ``en1``: the English head ("groups"."en") refit as bench/coherence_lang_heads.py's ``Groups(only=("en",))`` fits it
  (two logistic heads over the features and their squares, bias moved out of fold so that 1.0% of the English
  training real pages of 12+ sentences score >= 0.5), on the English-pool stitched pages guessed English of a set
  built from one-language pools (``--new``: coherence_recipes.py --pool-by-lid --langs de en --seed 47
  --per-recipe 480), train half;
* ``de1``: a German head (bench/coherence_langgap.py's ``OwnHead``) on the German-pool stitched pages of the same
  set's train half not guessed English, against the train real pages lid.176 names German.

Subcommands: ``measure [--loro]`` (the rule's tables: leave one recipe out against each head's base, all recipes
in, real pages with Wilson intervals, Turku kept pages, English extraction gold texts, pages not routed unchanged;
``--oracle``: recall at the base's count of flagged test real pages, a diagnostic); ``matched`` (the second round:
``en1`` with its bias matched to the replaced head's training margin, on the fresh seed-53 set); ``probe`` (the
same with the old mixed pages added, a probe); ``write --ship en|en-matched de`` (the model file; same bytes on
every run; not run at stop 29: nothing passed).

    PYTHONPATH=src .venv/bin/python bench/coherence_train_heads.py measure --loro --data ../shared/data
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import glob
import gzip
import json
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_lang_heads as clh  # noqa: E402
import coherence_langgap as lg_  # noqa: E402
import coherence_train as ct  # noqa: E402
import coherence_train_nonen as ctn  # noqa: E402

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps.coherence import POOLED_SURE  # noqa: E402
from winnow.steps.coherence._lang import GROUPS, guess  # noqa: E402

EN = ctn.EN
# The English head's out-of-fold share, as shipped at stop 23 (coherence_lang_heads.GROUP_FP); the German head
# takes the same (OwnHead's default).
EN_FP = clh.GROUP_FP["en"]


@contextlib.contextmanager
def _group_features():
    """coherence_train's featurise with the language group column, as coherence_lang_heads fits with."""
    orig = ct.featurise
    ct.featurise = clh._with_groups(orig)
    try:
        yield
    finally:
        ct.featurise = orig


def turku_set(args):
    """The Turku kept pages, featurised with the group column (cached beside the one-language set's features)."""
    with _group_features():
        return ctn.turku_set(argparse.Namespace(data=args.data, cache=args.cache_new))


def load_train(args, recipes, cache):
    """The train half of a recipe set (coherence_lang_heads' layout, en/de split by the guess), without
    featurising its test half."""
    a = copy.copy(args)
    a.recipes, a.cache = recipes, cache
    with _group_features():
        d = ct.dataset(a, "train")
    return ctn.relabel({k: (v[0][:, :-2], v[1], v[2], v[3], v[0][:, -1].astype(int)) for k, v in d.items()})


def en_head(train, exclude=()):
    """coherence_lang_heads.Groups(only=("en",)).fit's English head (the pages guessed English)."""
    old = ct.LANG_POWER
    ct.LANG_POWER = 0.0  # as Groups ran (coherence_train_nonen's variants set it for their own fits)
    try:
        part = clh.sub(train, lambda lang, g: g == EN)
        m = ct.train_on(part, clh.FP, exclude=exclude)
        o = ct.oof_scores(part, clh.FP, exclude=exclude)
        _, inv, cnt = np.unique(part["real12"][2], return_inverse=True, return_counts=True)
        w = 1.0 / cnt[inv]
        shift = -ct._cut(o, w / w.sum(), EN_FP)
        for mh in m.values():
            mh["b"] += shift
            mh["shift"] += shift
    finally:
        ct.LANG_POWER = old
    return m


def matched(m, ref, train):
    """Head ``m`` with its bias moved so that it flags as many English training real pages of 12+ sentences (guessed
    English, in sample) as head ``ref`` does (stop 29's second round: a new head spends the old one's margin)."""
    x, _, _, _, g = train["real12"]
    x = x[g == EN]
    k = int((ct.score(ref, x) >= 0).sum())
    s = np.sort(ct.score(m, x))[::-1]
    shift = -((s[k - 1] + s[k]) / 2) if 0 < k < len(s) else 0.0
    out = {h: dict(v) for h, v in m.items()}
    for mh in out.values():
        mh["b"] += shift
        mh["shift"] += shift
    return out


def measure_matched(args):
    """The second round: ``en1m`` against the shipped head (all recipes in) and against the base (left out), on the
    test half of ``--fresh``."""
    t0 = time.process_time()
    new_tr = load_train(args, args.new, args.cache_new)
    old480 = load_train(args, args.old480, args.cache480)
    fr_tr, fr_te, _ = lg_.load_dir(args, args.fresh, args.cache_fresh, lid_labels=True)
    del fr_tr
    xe, ge = extraction_set(args)
    turku = turku_set(args)
    print(f"sets: {time.process_time() - t0:.0f} s CPU", file=sys.stderr, flush=True)
    shipped = ctn.Shipped()
    en1 = en_head(new_tr)
    en1m = matched(en1, shipped.groups["en"], new_tr)
    xt, _, _, _, gt = new_tr["real12"]
    print(f"\nEnglish training real pages of 12+ flagged in sample: shipped {int((ct.score(shipped.groups['en'], xt[gt == EN]) >= 0).sum())}, "
          f"en1 {int((ct.score(en1, xt[gt == EN]) >= 0).sum())}, en1m {int((ct.score(en1m, xt[gt == EN]) >= 0).sum())} "
          f"of {int((gt == EN).sum())}; bias moved by {en1m['spun']['b'] - en1['spun']['b']:+.3f}")
    models = {"shipped": shipped, "+en1m": WithHeads(shipped, en=en1m)}
    print(f"\n## All recipes in, fresh test half ({args.fresh}): recall per recipe, English pool\n")
    print("| model | " + " | ".join(ct.STITCHED) + " | all nine | untouched |\n|---|" + "---|" * (len(ct.STITCHED) + 2))
    for n, m in models.items():
        cells = []
        for r in ct.STITCHED + ("untouched",):
            h_, t = pool_recall(m, fr_te, "en", (r,))
            cells.append(f"{h_ / max(1, t):.1%}" + (f" ({t})" if n == "shipped" else ""))
        h_, t = pool_recall(m, fr_te, "en")
        cells.insert(len(ct.STITCHED), f"**{h_ / max(1, t):.1%}** ({t})")
        print(f"| {n} | " + " | ".join(cells) + " |")
    xr12, _, lr12, _, gr12 = fr_te["real12"]
    en_sel = (lr12 == "en") & (gr12 == EN)
    for n, m in models.items():
        f = m.score(xr12, gr12, lr12) >= 0
        fe = m.score(xe, ge, np.full(len(ge), "?"))[ge == EN] >= 0
        x, lang, g = turku
        tk = ", ".join(f"{l_} {int((m.score(x[lang == l_], g[lang == l_], lang[lang == l_]) >= 0).sum())}/"
                       f"{int((lang == l_).sum())}" for l_ in sorted(set(lang.tolist())))
        other = gr12 != EN
        print(f"\n{n}: English test real 12+ {pct(int(f[en_sel].sum()), int(en_sel.sum()))}; all guessed English "
              f"{pct(int(f[gr12 == EN].sum()), int((gr12 == EN).sum()))}; extraction gold {pct(int(fe.sum()), len(fe))}; "
              f"other pages {pct(int(f[other].sum()), int(other.sum()))}; Turku {tk}")
    diff = 0.0
    for r, (x_, _, l_, _, g_) in fr_te.items():
        keep = g_ != EN
        if keep.any():
            diff = max(diff, float(np.abs(models["+en1m"].score(x_[keep], g_[keep], l_[keep]) -
                                          shipped.score(x_[keep], g_[keep], l_[keep])).max()))
    print(f"\nPages not guessed English (every fresh test set): largest score difference {diff:g}")
    sp = [np.concatenate([m.score(*(fr_te[r][i][fr_te[r][2] == "en"] for i in (0, 4, 2))) for r in ct.STITCHED])
          for m in models.values()]
    sq = [m.score(xr12[en_sel], gr12[en_sel], lr12[en_sel]) for m in models.values()]
    print("ROC AUC (English pool stitched vs English real 12+): " + ", ".join(
        f"{n} {ctn.auc(a, b):.3f}" for n, a, b in zip(models, sp, sq)))
    print("\n## Leave one recipe out, fresh test half, English pool (real = English test real 12+ flagged)\n")
    print("| left out | base | en1m | real base | real en1m |\n|---|---|---|---|---|")
    sums = np.zeros(2)
    for r in ct.STITCHED:
        ex = (r,)
        bh = en_head(old480, ex)
        b = WithHeads(shipped, en=bh)
        c = WithHeads(shipped, en=matched(en_head(new_tr, ex), bh, new_tr))
        rec = [pool_recall(m, fr_te, "en", (r,)) for m in (b, c)]
        rec = [h_ / max(1, t) for h_, t in rec]
        sums += rec
        fr = [(m.score(xr12[en_sel], gr12[en_sel], lr12[en_sel]) >= 0).mean() for m in (b, c)]
        print(f"| {r} | {rec[0]:.1%} | **{rec[1]:.1%}** ({(rec[1] - rec[0]) * 100:+.1f}) | {fr[0]:.1%} | {fr[1]:.1%} |",
              flush=True)
    s = sums / len(ct.STITCHED)
    print(f"| **mean** | **{s[0]:.1%}** | **{s[1]:.1%}** | | |")
    print(f"(measure: {time.process_time() - t0:.0f} s CPU)", file=sys.stderr)
    return 0


def probe_mixed(args):
    """A probe for the next stop, not a candidate (read on round 1's seed-47 test half, whose figures were seen):
    the English head fitted on the one-language pages of the new set **and** the old 480 set's English pages (half
    of them mixing in German), bias matched as in the second round; leave one recipe out against the base."""
    new_tr = load_train(args, args.new, args.cache_new)
    old480 = load_train(args, args.old480, args.cache480)
    _, te, _ = lg_.load_dir(args, args.new, args.cache_new, lid_labels=True)
    both = {k: tuple(np.concatenate([a, b]) for a, b in zip(new_tr[k], old480[k])) if k not in ("real", "real12")
            else new_tr[k] for k in new_tr}
    shipped = ctn.Shipped()
    xr, _, lr, _, gr = te["real12"]
    sel = (lr == "en") & (gr == EN)
    print("\n| left out | base | en1m (one-language) | en1m + old pages | real: base / en1m / + old |\n|---|---|---|---|---|")
    sums = np.zeros(3)
    for r in ct.STITCHED:
        bh = en_head(old480, (r,))
        ms = [WithHeads(shipped, en=bh), WithHeads(shipped, en=matched(en_head(new_tr, (r,)), bh, new_tr)),
              WithHeads(shipped, en=matched(en_head(both, (r,)), bh, new_tr))]
        rec = [pool_recall(m, te, "en", (r,)) for m in ms]
        rec = np.array([h_ / max(1, t) for h_, t in rec])
        sums += rec
        fr = [(m.score(xr[sel], gr[sel], lr[sel]) >= 0).mean() for m in ms]
        print(f"| {r} | {rec[0]:.1%} | {rec[1]:.1%} ({(rec[1] - rec[0]) * 100:+.1f}) | {rec[2]:.1%} "
              f"({(rec[2] - rec[0]) * 100:+.1f}) | " + " / ".join(f"{v:.1%}" for v in fr) + " |", flush=True)
    s = sums / len(ct.STITCHED)
    print(f"| **mean** | {s[0]:.1%} | {s[1]:.1%} | {s[2]:.1%} | |")
    return 0


def de_head(train, exclude=()):
    """coherence_langgap.OwnHead's German head (its ``m``)."""
    old = ct.LANG_POWER
    ct.LANG_POWER = 0.0
    try:
        return lg_.OwnHead(None, "de", fp=EN_FP).fit([train], exclude=exclude).m
    finally:
        ct.LANG_POWER = old


class WithHeads:
    """``base`` (a coherence_train_nonen model) for every page, except pages guessed English (``en``: that English
    head instead of the base's) and pages whose language is German and not guessed English (``de``), as the step
    chooses; a page ``pooled`` (the file's pooled heads unless given) scores >= POOLED_SURE keeps that score."""

    def __init__(self, base, en=None, de=None, pooled=None):
        self.base, self.en, self.de = base, en, de
        self.pooled = pooled if pooled is not None else ctn.shipped_model()[0]

    def routed(self, g, lang):
        r = np.zeros(len(g), bool)
        if self.en is not None:
            r |= g == EN
        if self.de is not None:
            r |= (lang == "de") & (g != EN)
        return r

    def score(self, x, g, lang):
        s = self.base.score(x, g, lang)
        for m, sel in ((self.en, g == EN), (self.de, (lang == "de") & (g != EN))):
            if m is not None and sel.any():
                p = ct.score(self.pooled, x[sel])
                s[sel] = np.maximum(ct.score(m, x[sel]), np.where(p >= POOLED_SURE, p, -30.0))
        return s


def extraction_set(args):
    """English gold texts of the extraction sets (coherence_lang_extraction.py's pages: 12+ sentences, as written
    and flattened, 8+ content sentences), their features and groups."""
    d = os.path.join(args.data, "extraction")
    texts = [v["articleBody"] for v in json.load(open(os.path.join(d, "scrapinghub-aeb/ground-truth.json"))).values()]
    for sub in ("cleaneval/final/gold", "cleaneval/dev/gold", "cleanportaleval/gold"):
        for fn in sorted(glob.glob(os.path.join(d, sub, "*.txt.gz"))):
            t = re.sub(r"^URL:.*\n", "", gzip.open(fn, "rt", errors="replace").read())
            paras = [" ".join(p.split()) for p in re.split(r"<(?:p|h|l)>", t)]
            texts.append("\n".join(p for p in paras if p))
    texts = [x for t in texts if len(sentence_spans(t)) >= 12 for x in (t, " ".join(t.split()))]
    x, n = ct.featurise(texts, os.path.join(args.cache_new, "extraction_gold.pkl"))
    g = np.array([GROUPS.index(guess(t)) for t in texts])
    keep = n >= 8
    return x[keep], g[keep]


def pct(k, n):
    lo, hi = ctn.wilson(k, n)
    return f"{k / max(1, n):.1%} ({lo:.1%}-{hi:.1%}, {k}/{n})"


def pool_recall(m, sets, lg, recipes=ct.STITCHED):
    hit = tot = 0
    for r in recipes:
        x, _, lang, _, g = sets[r]
        sel = lang == lg
        hit += int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())
        tot += int(sel.sum())
    return hit, tot


def measure(args):
    t0 = time.process_time()
    new_tr, new_te, _ = lg_.load_dir(args, args.new, args.cache_new, lid_labels=True)
    old480 = load_train(args, args.old480, args.cache480)
    old_tr, _, old_rows = lg_.load_dir(args, args.recipes, args.cache)
    turku = turku_set(args)
    xe, ge = extraction_set(args)
    print(f"sets: {time.process_time() - t0:.0f} s CPU", file=sys.stderr, flush=True)

    shipped = ctn.Shipped()
    t1 = time.process_time()
    cand = {"en": en_head(new_tr), "de": de_head(new_tr)}
    print(f"fit both heads: {time.process_time() - t1:.0f} s CPU", file=sys.stderr, flush=True)
    base_en_all = en_head(old480)
    # how close the base's refit comes to the shipped English head (same recipe, same set, today's features)
    xr12, _, lr12, _, gr12 = new_te["real12"]
    sel = gr12 == EN
    a, b = ct.score(shipped.groups["en"], xr12[sel]), ct.score(base_en_all, xr12[sel])
    print(f"\nEnglish head refit on the old 480 set against the file's, test real pages guessed English: "
          f"score correlation {np.corrcoef(a, b)[0, 1]:.4f}, flagged {(a >= 0).mean():.1%} vs {(b >= 0).mean():.1%}")
    models = {"shipped": shipped, "+en1": WithHeads(shipped, en=cand["en"]), "+de1": WithHeads(shipped, de=cand["de"]),
              "+en1+de1": WithHeads(shipped, en=cand["en"], de=cand["de"])}

    print("\n## All recipes in, new test half (seed 47): recall per recipe on the language's pool\n")
    for lg in ("en", "de"):
        print(f"\n{lg}:\n\n| model | " + " | ".join(ct.STITCHED) + " | all nine | untouched |\n|---|" +
              "---|" * (len(ct.STITCHED) + 2))
        for n, m in models.items():
            cells = []
            for r in ct.STITCHED + ("untouched",):
                h, t = pool_recall(m, new_te, lg, (r,))
                cells.append(f"{h / max(1, t):.1%}" + (f" ({t})" if n == "shipped" else ""))
            h, t = pool_recall(m, new_te, lg)
            cells.insert(len(ct.STITCHED), f"**{h / max(1, t):.1%}** ({t})")
            print(f"| {n} | " + " | ".join(cells) + " |")

    print("\n## Real pages of 12+ sentences flagged, test half (95% Wilson)\n")
    print("| model | English (guessed en, pool en/de) | all pages guessed English | German (lid.176 de, not guessed en) "
          "| every other page |\n|---|---|---|---|---|")
    en_sel = (lr12 == "en") & (gr12 == EN)
    de_sel = (lr12 == "de") & (gr12 != EN)
    for n, m in models.items():
        f = m.score(xr12, gr12, lr12) >= 0
        oth = ~(gr12 == EN) & ~de_sel
        print(f"| {n} | {pct(f[en_sel].sum(), en_sel.sum())} | {pct(f[gr12 == EN].sum(), (gr12 == EN).sum())} | "
              f"{pct(f[de_sel].sum(), de_sel.sum())} | {pct(f[oth].sum(), oth.sum())} |")
    print("\nExtraction gold texts (outside the pool; 12+ sentences, as written and flattened), pages guessed "
          "English: " + "; ".join(f"{n} {pct(int((m.score(xe, ge, np.full(len(ge), '?'))[ge == EN] >= 0).sum()), int((ge == EN).sum()))}"
                                  for n, m in models.items()))
    x, lang, g = turku
    print("\nTurku kept pages (12+ sentences) flagged: " + "; ".join(
        f"{n}: " + ", ".join(f"{l_} {int((m.score(x[lang == l_], g[lang == l_], lang[lang == l_]) >= 0).sum())}/"
                             f"{int((lang == l_).sum())}" for l_ in sorted(set(lang.tolist())))
        for n, m in models.items()))
    # rule 6: pages not routed to a head score as before, on every test page
    diff = 0.0
    for r, (x_, _, l_, _, g_) in new_te.items():
        m = models["+en1+de1"]
        keep = ~m.routed(g_, l_)
        if keep.any():
            diff = max(diff, float(np.abs(m.score(x_[keep], g_[keep], l_[keep]) -
                                          shipped.score(x_[keep], g_[keep], l_[keep])).max()))
    print(f"\nPages not routed to a head (every test set): largest score difference {diff:g}")
    for lg in ("en", "de"):
        print(f"\nROC AUC, {lg} pool stitched vs its real 12+ (as routed): " + ", ".join(
            f"{n} {ctn.auc(np.concatenate([m.score(*(new_te[r][i][new_te[r][2] == lg] for i in (0, 4, 2))) for r in ct.STITCHED]), m.score(xr12[en_sel if lg == 'en' else de_sel], gr12[en_sel if lg == 'en' else de_sel], lr12[en_sel if lg == 'en' else de_sel])):.3f}"
            for n, m in models.items()))
    print(f"\n(measure so far: {time.process_time() - t0:.0f} s CPU)", file=sys.stderr, flush=True)
    if args.oracle:
        oracle(new_te, models, en_sel, de_sel)
    if not args.loro:
        return 0

    print("\n## Leave one recipe out, new test half: recall on the language's pool (real = its real 12+ flagged)\n")
    print("| left out | en: base | en1 | real base | real en1 | de: base | de1 | real base | real de1 |\n"
          "|---|---|---|---|---|---|---|---|---|")
    sums = np.zeros(4)
    for r in ct.STITCHED:
        t2 = time.process_time()
        ex = (r,)
        b_en = WithHeads(shipped, en=en_head(old480, ex))
        c_en = WithHeads(shipped, en=en_head(new_tr, ex))
        b_de = lg_.fitted("base", old_tr, old_rows, exclude=ex)
        c_de = WithHeads(b_de, de=de_head(new_tr, ex), pooled=b_de.pooled)
        cells, k = [], 0
        for (bm, cm, lg, rs) in ((b_en, c_en, "en", en_sel), (b_de, c_de, "de", de_sel)):
            rec = []
            for m in (bm, cm):
                h, t = pool_recall(m, new_te, lg, (r,))
                rec.append(h / max(1, t))
                sums[k] += h / max(1, t)
                k += 1
            fr = [(m.score(xr12[rs], gr12[rs], lr12[rs]) >= 0).mean() for m in (bm, cm)]
            if args.oracle:
                at_rate(cm, bm, new_te, rs, lg, (r,), key=f"{lg} candidate at base's real count")
            cells += [f"{rec[0]:.1%}", f"**{rec[1]:.1%}** ({rec[1] - rec[0]:+.1%})", f"{fr[0]:.1%}", f"{fr[1]:.1%}"]
        print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
        print(f"  ({r}: {time.process_time() - t2:.0f} s CPU)", file=sys.stderr, flush=True)
    s = sums / len(ct.STITCHED)
    print(f"| mean | {s[0]:.1%} | **{s[1]:.1%}** | | | {s[2]:.1%} | **{s[3]:.1%}** | | |")
    if args.oracle:
        print("\n(oracle, leave one recipe out: " + "; ".join(f"{k} {np.mean(v):.1%}" for k, v in ORACLE.items()) + ")")
    return 0


ORACLE: dict = {}


def at_rate(m, base, sets, real_sel, lg, recipes=ct.STITCHED, key=None):
    """A diagnostic, not a rule item (it reads the test real pages to place the threshold): recall of ``m`` on the
    language's pool when its threshold flags as many of the language's test real pages of 12+ as ``base`` does."""
    x, _, lang, _, g = sets["real12"]
    sb = base.score(x[real_sel], g[real_sel], lang[real_sel])
    sm = np.sort(m.score(x[real_sel], g[real_sel], lang[real_sel]))[::-1]
    k = int((sb >= 0).sum())
    cut = (sm[k - 1] + sm[k]) / 2 if 0 < k < len(sm) else 0.0
    hit = tot = 0
    for r in recipes:
        xr, _, lr, _, gr = sets[r]
        sel = lr == lg
        hit += int((m.score(xr[sel], gr[sel], lr[sel]) >= cut).sum())
        tot += int(sel.sum())
    if key:
        ORACLE.setdefault(key, []).append(hit / max(1, tot))
    return hit / max(1, tot), k


def oracle(te, models, en_sel, de_sel):
    print("\n## Diagnostic (not a rule item): recall at the shipped model's count of flagged test real pages of the "
          "language (threshold placed on the test real pages)\n")
    for lg, n, sel in (("en", "+en1", en_sel), ("de", "+de1", de_sel)):
        cells = [f"{r} {at_rate(models[n], models['shipped'], te, sel, lg, (r,))[0]:.1%}" for r in ct.STITCHED]
        rec, k = at_rate(models[n], models["shipped"], te, sel, lg)
        print(f"{lg}: {n} at the shipped model's {k} flagged real pages: all nine {rec:.1%} (shipped "
              f"{pool_recall(models['shipped'], te, lg)[0] / max(1, pool_recall(models['shipped'], te, lg)[1]):.1%}); "
              + ", ".join(cells))


def write(args):
    """stitched_model.json with the heads of ``--ship`` fitted on all nine recipes of the new set's train half:
    ``en`` replaces "groups"."en"; ``de`` is "language_heads"."de" (the step's page_head: a page whose language is
    German and whose group is not English). Everything else in the file is kept as it is."""
    new_tr, _, _ = lg_.load_dir(args, args.new, args.cache_new, lid_labels=True)
    with open(ct.MODEL) as f:
        cur = json.load(f)
    what = []
    if "en" in args.ship or "en-matched" in args.ship:
        m = en_head(new_tr)
        prov = PROV_EN
        if "en-matched" in args.ship:
            # the head it replaces, as main had it (so that a second run writes the same bytes)
            m = matched(m, ctn.shipped_model(commit=REPLACED)[1]["en"], new_tr)
            prov = PROV_EN.replace("write --ship en ", "write --ship en-matched ").replace(
                ", its English-pool pages", "; the bias then moved so that it flags in sample as many of those "
                "training real pages as the head it replaced did (stop 29's second round); its English-pool pages")
        cur["groups"]["en"] = {h: ct._head_json(mh) for h, mh in m.items()}
        cur["group_languages"]["en"] = ["en"]
        cur["provenance"] = prov
        what.append("en")
    if "de" in args.ship:
        cur["language_heads"] = {"de": {h: ct._head_json(mh) for h, mh in de_head(new_tr).items()}}
        cur["provenance_language_heads"] = PROV_DE
        what.append("de")
    with open(ct.MODEL, "w") as f:
        json.dump(cur, f, indent=1)
    print(f"wrote {os.path.relpath(ct.MODEL, os.path.join(os.path.dirname(__file__), '..'))}: {', '.join(what)}",
          file=sys.stderr)
    return 0


# main's commit with the English head of stop 23 (the head the second round's candidate replaces)
REPLACED = "21e3640"
_FIT = ("two logistic regressions (spun, blocks) over the features and their squares (l2 10 on standardised terms, "
        "bench/coherence_train.py), classes weighted equally, their bias moved so that 1.0% of the language's "
        "training real pages of 12+ sentences (as they are, flattened, one sentence per line) score >= 0.5 out of "
        "fold (3 folds by page); synthetic stitched pages of bench/coherence_recipes.py --pool-by-lid --langs de en "
        "--seed 47 --per-recipe 480 (one-language pools: the en/de web-page pool split by lid.176), train half of "
        "../shared/data; pair signals from pair_model.json")
PROV_EN = ("bench/coherence_train_heads.py write --ship en (stop 29): 'heads' is the pooled fit as bench/coherence_"
           "train.py --write wrote it (main 10be911, 160 pages per recipe), kept as it was; 'groups'.'en' the English "
           "head: " + _FIT + ", its English-pool pages guessed English (_lang.guess) against the train real pages "
           "guessed English; 'groups'.'latin'/'other' and 'language_shift': see provenance_groups_latin_other")
PROV_DE = ("bench/coherence_train_heads.py write --ship de (stop 29): 'language_heads'.'de', the German head "
           "(stitched_document judges a page by it when its language, the language step's label or lid.176, is de "
           "and its group is not en): " + _FIT + ", its German-pool pages not guessed English against the train "
           "real pages lid.176 names German and not guessed English")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("measure", "matched", "probe", "write"))
    ap.add_argument("--loro", action="store_true")
    ap.add_argument("--oracle", action="store_true", help="also recall at the base's count of flagged test real pages")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--new", default="bench/out/recipes_new", help="the one-language set (seed 47)")
    ap.add_argument("--cache-new", default="bench/out/features_new")
    ap.add_argument("--old480", default="bench/out/recipes480", help="stop 23's set (seed 29, 480 a recipe)")
    ap.add_argument("--cache480", default="bench/out/features480")
    ap.add_argument("--recipes", default="bench/out/recipes", help="the old 160-a-recipe set (seed 29)")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("--ship", nargs="*", default=[], choices=("en", "en-matched", "de"))
    ap.add_argument("--fresh", default="bench/out/recipes_s53", help="the second round's test set (seed 53, English)")
    ap.add_argument("--cache-fresh", default="bench/out/features_s53")
    args = ap.parse_args(argv)
    # coherence_langgap.load_dir reads these names
    args.recipes_lid, args.cache_lid = args.new, args.cache_new
    return {"measure": measure, "matched": measure_matched, "probe": probe_mixed, "write": write}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
