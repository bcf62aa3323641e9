"""Per-language page heads of the stitched-page model: measure them against the pooled fit, leave one recipe out and
leave one language out, and per-language thresholds; ``--write`` stores the chosen fit in
src/winnow/data/coherence/stitched_model.json (the default tier's page model).

The sets are those of bench/coherence_train.py (its ``dataset``: the stitched recipes of bench/coherence_recipes.py
against the real pages of the same half, as they are, flattened and one sentence per line), each page also labelled
with its language group as the step will see it (winnow.steps.coherence._lang.guess: ``en`` / ``latin`` /
``other``). Variants, all with coherence_train.train_on's fit and calibration (1.5% of the training real pages of
12+ sentences of the fit's languages, languages weighted equally, score >= 0.5):

* ``pooled``: one fit on all languages (what was shipped before);
* ``groups``: one fit per group on that group's pages, each calibrated on its own real pages;
* ``norm``: one fit on all languages with every feature standardised per group by the group's training real pages
  (mean and spread), so each group's cohesion baseline is its own;
* ``+lang-thr``: any of these with the bias moved per language so that FP of that language's training real pages
  of 12+ sentences score >= 0.5 (languages with fewer than MIN_PAGES such pages keep the fit's bias).

    PYTHONPATH=src .venv/bin/python bench/coherence_lang_heads.py --data ../shared/data [--languages] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_train as ct  # noqa: E402

from winnow.steps.coherence._lang import GROUPS, guess  # noqa: E402
from winnow.steps.coherence import DOC_FEATURES, POOLED_SURE  # noqa: E402

MODEL = ct.MODEL
MIN_PAGES = 200  # a language's own threshold only from this many training real pages of 12+ sentences (x3 layouts)


def _with_groups(featurise):
    """coherence_train.featurise with each page's language group appended as a last column (so that dataset()'s
    masks keep them aligned)."""
    def wrapped(texts, cache_file):
        x, n = featurise(texts, cache_file)
        g = np.array([GROUPS.index(guess(t)) for t in texts], dtype=float)
        return np.c_[x, np.arange(len(texts)), g], n
    return wrapped


def load_sets(args):
    ct.featurise = _with_groups(ct.featurise)
    out = []
    for split in ("train", "test"):
        d = ct.dataset(args, split)
        out.append({k: (v[0][:, :-2], v[1], v[2], v[3], v[0][:, -1].astype(int)) for k, v in d.items()})
        # the row of each page in its recipe file (the first POOLED_PER_RECIPE of each are the pooled fit's)
        ROWS[split] = {k: v[0][:, -2].astype(int) for k, v in d.items()}
    return out


ROWS: dict = {}
# The pooled fit (every page whose group has no fit of its own) on the first 160 pages of each recipe, as shipped
# before: refit on all 480 it flagged 2.1% of the Swedish and 2.3% of the Chinese test real pages (1.3%, 1.5%
# before); the English fit needs the 480 (English is ~1/20 of them).
POOLED_PER_RECIPE = 160


def first(sets, split, n):
    """The sets with each recipe cut to its first n pages (real pages untouched)."""
    return {k: v if k in ("real", "real12") else tuple(a[ROWS[split][k] < n] for a in v) for k, v in sets.items()}


def sub(sets, mask_fn):
    """The sets restricted to rows where mask_fn(lang, group) holds, in coherence_train's 4-tuple layout."""
    out = {}
    for k, (x, y, lang, fold, g) in sets.items():
        m = mask_fn(lang, g)
        out[k] = (x[m], y[m], lang[m], fold[m])
    return out


def four(sets):
    return {k: v[:4] for k, v in sets.items()}


class Pooled:
    name = "pooled"

    def fit(self, train, exclude=(), lang_out=None):
        self.m = ct.train_on(four(first(train, "train", POOLED_PER_RECIPE)), FP, exclude=exclude, lang_out=lang_out)
        return self

    def score(self, x, g):
        return ct.score(self.m, x)


class Groups:
    """One head per language group; a group with too few training pages gets the pooled head. ``oof``: the bias
    is then moved by what out-of-fold scores of the group's training real pages say: a head fitted on one group's
    few hundred pages fits its own negatives closely, and calibrated on them it flagged 2.3-5.9% of the test
    half's real pages instead of 1.5%."""

    def __init__(self, oof=True, only=GROUPS, name=None):
        self.oof, self.only = oof, only
        self.name = name or ("groups" if oof else "groups (in-sample bias)")

    def fit(self, train, exclude=(), lang_out=None):
        self.pooled = ct.train_on(four(first(train, "train", POOLED_PER_RECIPE)), FP, exclude=exclude,
                                  lang_out=lang_out)
        self.m = {}
        for gi, gn in enumerate(GROUPS):
            if gn not in self.only:
                continue
            part = sub(train, lambda lang, g: (g == gi) & ((lang != lang_out) if lang_out else True))
            if min(len(part[r][1]) for r in ct.STITCHED if r not in exclude) < 10 or len(part["real12"][1]) < 100:
                continue
            m = ct.train_on(part, FP, exclude=exclude)
            if self.oof:
                x12, _, lang12, fold12 = part["real12"]
                o = np.zeros(len(x12))
                for k in range(ct.FOLDS):
                    held = {r: (v[0][v[3] != k], v[1][v[3] != k], v[2][v[3] != k], v[3][v[3] != k])
                            if r in ("real", "real12", "untouched") else v for r, v in part.items()}
                    o[fold12 == k] = ct.score(ct.train_on(held, FP, exclude=exclude), x12[fold12 == k])
                _, inv, cnt = np.unique(lang12, return_inverse=True, return_counts=True)
                w = 1.0 / cnt[inv]
                shift = -ct._cut(o, w / w.sum(), GROUP_FP.get(gn, FP))
                for mh in m.values():
                    mh["b"] += shift
                    mh["shift"] += shift
            self.m[gi] = m
        return self

    def score(self, x, g):
        s = ct.score(self.pooled, x)
        for gi, m in self.m.items():
            sel = g == gi
            if sel.any():
                # a page the pooled fit is sure of stays flagged (coherence.POOLED_SURE)
                s[sel] = np.maximum(ct.score(m, x[sel]), np.where(s[sel] >= POOLED_SURE, s[sel], -30.0))
        return s


class Norm:
    """One fit over features standardised per group by the group's training real pages."""
    name = "norm"

    def _z(self, x, g):
        z = (x - self.mu[-1]) / self.sd[-1]
        for gi in self.mu:
            if gi >= 0 and (g == gi).any():
                z[g == gi] = (x[g == gi] - self.mu[gi]) / self.sd[gi]
        return z

    def fit(self, train, exclude=(), lang_out=None):
        x, _, lang, _, g = train["real"]
        keep = (lang != lang_out) if lang_out else np.ones(len(g), bool)
        self.mu, self.sd = {-1: x[keep].mean(0)}, {-1: x[keep].std(0) + 1e-9}
        for gi, _ in enumerate(GROUPS):
            sel = keep & (g == gi)
            if sel.sum() >= 100:
                self.mu[gi], self.sd[gi] = x[sel].mean(0), x[sel].std(0) + 1e-9
        zt = {k: (self._z(v[0], v[4]),) + v[1:4] for k, v in train.items()}
        self.m = ct.train_on(zt, FP, exclude=exclude, lang_out=lang_out)
        return self

    def score(self, x, g):
        return ct.score(self.m, self._z(x, g))


class LangThr:
    """A variant with its bias moved per language (languages of MIN_PAGES+ training real pages of 12+ sentences)."""

    def __init__(self, base):
        self.base = base
        self.name = base.name + "+lang-thr"

    def fit(self, train, exclude=(), lang_out=None):
        self.base.fit(train, exclude, lang_out)
        x, _, lang, _, g = train["real12"]
        s = self.base.score(x, g)
        self.shift = {}
        for lg in np.unique(lang):
            sel = lang == lg
            if lg != lang_out and sel.sum() >= MIN_PAGES:
                self.shift[lg] = -ct._cut(s[sel], np.full(sel.sum(), 1.0 / sel.sum()), FP)
        return self

    def score_lang(self, x, g, lang):
        s = self.base.score(x, g)
        for lg, sh in self.shift.items():
            s[lang == lg] += sh
        return s


def scores(model, x, g, lang):
    return model.score_lang(x, g, lang) if hasattr(model, "score_lang") else model.score(x, g)


def flagged(model, sets, r, only=None):
    x, _, lang, _, g = sets[r]
    sel = np.ones(len(lang), bool) if only is None else only(lang, g)
    if not sel.any():
        return float("nan"), 0
    return float((scores(model, x[sel], g[sel], lang[sel]) >= 0).mean()), int(sel.sum())


def boot_ci(v, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    if len(v) == 0:
        return (float("nan"), float("nan"))
    b = rng.choice(v, size=(n, len(v)), replace=True).mean(1)
    return float(np.quantile(b, 0.025)), float(np.quantile(b, 0.975))


FP = 0.015
# The share of a group's training real pages (out of fold) its own fit may flag, where it differs from FP. English:
# at 1.5% the English fit flagged 1.5-2.0% of the test half's English real pages and 1.9% of English article texts
# from outside the pool it was fitted on (extraction gold texts: 2.6% of the scrapinghub-aeb articles), against
# 0.2% for the pooled fit; 1.0% keeps that margin (bench/results/coherence.md, "Per-language page heads").
GROUP_FP = {"en": 0.010}


SHIPPED = "en head"


def variants():
    # SHIPPED: the English head only (the Latin-script and other heads, calibrated out of fold, lost recall against
    # the pooled fit; bench/results/coherence.md)
    return [Pooled(), Groups(oof=False), Groups(), Groups(only=("en",), name=SHIPPED), Norm(), LangThr(Pooled())]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("--languages", action="store_true", help="also leave one language out")
    ap.add_argument("--write", action="store_true", help="write the group heads into stitched_model.json")
    ap.add_argument("--ship", nargs="*", default=list(GROUPS), choices=GROUPS,
                    help="the groups whose own fit is written (the others get the pooled fit)")
    ap.add_argument("--extra-en", default=None, metavar="DIR",
                    help="recipes built from the English/German pool only (coherence_recipes.py --langs en/de): "
                         "their test half measured by fits on the main training set, all recipes and left out")
    ap.add_argument("--en-fp", type=float, default=GROUP_FP["en"], help="the English fit's share of flagged real pages")
    ap.add_argument("--no-eval", action="store_true", help="only fit (and --write), no tables")
    args = ap.parse_args(argv)
    GROUP_FP["en"] = args.en_fp
    os.makedirs(args.cache, exist_ok=True)
    t0 = time.process_time()
    train, test = load_sets(args)
    print(f"features: {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    langs = sorted(set(test["real12"][2]))

    print("## Pages per language group (test half)\n")
    print("| set | " + " | ".join(GROUPS) + " |\n|---" + "|---" * len(GROUPS) + "|")
    for r in ct.STITCHED + ("untouched", "real12"):
        print(f"| {r} | " + " | ".join(str(int((test[r][4] == gi).sum())) for gi in range(len(GROUPS))) + " |")
    print("\nLanguage label (pool) against the guessed group, real pages of 12+ sentences, test half:\n")
    print("| language | " + " | ".join(GROUPS) + " |\n|---" + "|---" * len(GROUPS) + "|")
    for lg in langs:
        sel = test["real12"][2] == lg
        print(f"| {lg} | " + " | ".join(str(int((test["real12"][4][sel] == gi).sum())) for gi in range(len(GROUPS)))
              + " |")

    models = {v.name: v.fit(train) for v in variants()}
    if args.no_eval:
        if args.write:
            write(models[SHIPPED], train, args.ship)
        return 0
    print("\n## All recipes in the fit, test half: flagged per recipe and group\n")
    print("| variant | group | " + " | ".join(ct.STITCHED) + " | untouched | real 12+ |\n|---|---" +
          "|---" * (len(ct.STITCHED) + 2) + "|")
    for name, m in models.items():
        for gi, gn in [(None, "all")] + list(enumerate(GROUPS)):
            only = None if gi is None else (lambda lang, g, gi=gi: g == gi)
            cells = [flagged(m, test, r, only)[0] for r in ct.STITCHED + ("untouched", "real12")]
            print(f"| {name} | {gn} | " + " | ".join(f"{c:.1%}" for c in cells) + " |")

    print("\n## Real pages of 12+ sentences flagged per language, test half (95% bootstrap interval over pages)\n")
    print("| language | pages | " + " | ".join(models) + " |\n|---|---" + "|---" * len(models) + "|")
    for lg in langs:
        cells = []
        for m in models.values():
            x, _, lang, _, g = test["real12"]
            sel = lang == lg
            v = (scores(m, x[sel], g[sel], lang[sel]) >= 0).astype(float)
            lo, hi = boot_ci(v)
            cells.append(f"{v.mean():.1%} ({lo:.1%}-{hi:.1%})")
        print(f"| {lg} | {int((test['real12'][2] == lg).sum())} | " + " | ".join(cells) + " |")
    print("\nPer-language recall (all nine recipes together), test half:\n")
    print("| language | " + " | ".join(models) + " |\n|---" + "|---" * len(models) + "|")
    for lg in langs:
        cells = []
        for m in models.values():
            hit = tot = 0
            for r in ct.STITCHED:
                f, n = flagged(m, test, r, lambda lang, g: lang == lg)
                if n:
                    hit += f * n
                    tot += n
            cells.append(f"{hit / max(tot, 1):.1%} ({tot})")
        print(f"| {lg} | " + " | ".join(cells) + " |")

    print("\n## Leave one recipe out (fit without it; measured on its test pages; real = test real 12+)\n")
    print("| left out | " + " | ".join(f"{n} | {n} en | {n} real | {n} real en" for n in models) + " |\n|---" +
          "|---|---|---|---" * len(models) + "|")
    mean = {n: [] for n in models}
    for r in ct.STITCHED:
        cells = []
        for v in variants():
            m = v.fit(train, exclude=(r,))
            f = flagged(m, test, r)[0]
            mean[v.name].append(f)
            cells += [f"{f:.1%}", f"{flagged(m, test, r, lambda lang, g: g == 0)[0]:.1%}",
                      f"{flagged(m, test, 'real12')[0]:.1%}", f"{flagged(m, test, 'real12', lambda lang, g: g == 0)[0]:.1%}"]
        print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
    print("| mean | " + " | ".join(f"{np.mean(mean[n]):.1%} | | | " for n in models) + " |")
    if args.extra_en:
        extra(args, train, models)

    if args.languages:
        print("\n## Leave one language out (fit without the language; its test pages; all nine recipes together)\n")
        print("| language | " + " | ".join(f"{n} recall | {n} real 12+" for n in models) + " |\n|---" +
              "|---|---" * len(models) + "|")
        for lg in langs:
            cells = []
            for v in variants():
                m = v.fit(train, lang_out=lg)
                hit = tot = 0
                for r in ct.STITCHED:
                    f, n = flagged(m, test, r, lambda lang, g: lang == lg)
                    hit += f * n
                    tot += n
                cells += [f"{hit / max(tot, 1):.1%}", f"{flagged(m, test, 'real12', lambda lang, g: lang == lg)[0]:.1%}"]
            print(f"| {lg} | " + " | ".join(cells) + " |", flush=True)

    if args.write:
        write(models[SHIPPED], train, args.ship)
    return 0


def extra(args, train, models):
    """Recall on a second, English/German-only recipe set (its test half; the pages the step would judge with the
    English head are those guessed ``en``)."""
    sets = {}
    for r in ct.STITCHED + ("untouched",):
        import gzip
        with gzip.open(os.path.join(args.extra_en, f"test.{r}.jsonl.gz"), "rt") as f:
            texts = [json.loads(x)["text"] for x in f]
        x, n = ct.featurise(texts, os.path.join(args.cache, f"extra_en.test.{r}.pkl"))
        keep = n >= 8
        sets[r] = (x[keep, :-2], None, np.array(["en/de"] * keep.sum()), None, x[keep, -1].astype(int))
    en = lambda lang, g: g == 0  # noqa: E731
    print(f"\n## Second English/German recipe set ({args.extra_en}, test half, pages guessed English)\n")
    print("| variant | " + " | ".join(ct.STITCHED) + " | untouched |\n|---" + "|---" * (len(ct.STITCHED) + 1) + "|")
    for name, m in models.items():
        print(f"| {name} | " + " | ".join(f"{flagged(m, sets, r, en)[0]:.1%} ({flagged(m, sets, r, en)[1]})"
                                          for r in ct.STITCHED + ("untouched",)) + " |")
    print("\nLeft out (fit on the main training set without the recipe):\n")
    print("| left out | " + " | ".join(models) + " |\n|---" + "|---" * len(models) + "|")
    for r in ct.STITCHED:
        print(f"| {r} | " + " | ".join(f"{flagged(v.fit(train, exclude=(r,)), sets, r, en)[0]:.1%}"
                                       for v in variants()) + " |", flush=True)


def write(gm, train, ship=GROUPS):
    heads = {GROUPS[gi]: {h: ct._head_json(mh) for h, mh in m.items()} for gi, m in gm.m.items() if GROUPS[gi] in ship}
    langs = {g: sorted(set(train["real12"][2][train["real12"][4] == GROUPS.index(g)])) for g in heads}
    with open(MODEL) as f:
        cur = json.load(f)
    out = {
        "features": list(DOC_FEATURES),
        "terms": "each feature, then the square of each feature",
        # The pooled fit as shipped (bench/coherence_train.py --write, 160 pages per recipe), kept byte for byte:
        # refit here on the same data it came out close but not identical (weights within 0.44 standardised
        # units), and a refit on all 480 pages per recipe flagged 2.1% of the Swedish and 2.3% of the Chinese test
        # real pages (1.3%, 1.5% as shipped). The embedding tier reads its log-odds too.
        "heads": cur["heads"],
        "groups": heads,
        "group_languages": langs,
        "provenance": "bench/coherence_lang_heads.py --write --ship " + " ".join(heads) + ": 'heads' is the pooled "
                      "fit (all languages; every page of a group without its own fit) as bench/coherence_train.py "
                      "--write wrote it (main 10be911, 160 pages per recipe), kept as it was; 'groups' the fit on the "
                      "pages of one language group only (winnow.steps.coherence._lang, each page labelled by its "
                      "guess: " + ", ".join(f"{g} from the {'/'.join(v)} pool" for g, v in langs.items()) + "), its "
                      "bias then moved so that " + ", ".join(f"{GROUP_FP.get(g, FP):.1%} ({g})" for g in heads) +
                      " of the group's training real pages of 12+ sentences score >= 0.5 out of fold (3 folds by "
                      "page); each fit as in bench/coherence_train.py: one logistic regression per kind of "
                      f"stitching (spun, blocks) over the features and their squares (l2 {ct.L2:g} on "
                      "standardised terms), classes weighted equally, every language weighing the same among the "
                      f"real pages, biases shifted so that {FP:.1%} of the training real pages of 12+ sentences (as "
                      "they are, flattened, one sentence per line) score >= 0.5 on the larger head; synthetic "
                      "stitched pages of bench/coherence_recipes.py --per-recipe 480 (seed 29: " +
                      ", ".join(ct.STITCHED) + ") from the train half of ../shared/data (web-pages main_text, "
                      "register-multiling); pair signals from pair_model.json",
    }
    with open(MODEL, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {os.path.relpath(MODEL, os.path.join(os.path.dirname(__file__), '..'))}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
