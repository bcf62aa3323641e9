"""Stitched pages beyond English: measure the default tier's page model per language and try fits for the pages that
are not English (bench/results/coherence.md, "Stitched pages beyond English, stop 24").

The sets are bench/coherence_lang_heads.py's (bench/coherence_train.py's features of the recipes of
bench/coherence_recipes.py and the real pages of the same half in three layouts), each row with its language: the
pool's (register-multiling), the en/de web-page pool split by coherence._lang's guess (``en`` / ``de``). Real pages
from outside the pool: the human-kept lines of every Turku line-quality document (de, en, es, fi, fr, sv; as they
are, one line per kept line, and flattened), 12+ sentences.

Variants (English pages keep the shipped English head in all of them; each fit as coherence_train.train_on, its
bias then moved **out of fold** (3 folds by page) so that FP of the fit's training real pages of 12+ sentences
score >= 0.5, languages weighted equally):

* ``shipped``: the pooled heads of stitched_model.json for every page not guessed English;
* ``pooled``: the pooled fit refit on all 480 pages per recipe, bias out of fold;
* ``nonen``: one fit on the pages not guessed English only;
* ``norm``: ``nonen`` over features standardised per language by that language's training real pages (mean and
  spread, shrunk towards the script group's by SHRINK pages), so each language's cohesion and sentence-length
  baselines are its own; a language without stats gets its script group's (``latin`` / ``other``).

    PYTHONPATH=src .venv/bin/python bench/coherence_train_nonen.py [--loro] [--lolo] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_lang_heads as clh  # noqa: E402
import coherence_train as ct  # noqa: E402

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps.coherence._lang import GROUPS, guess  # noqa: E402
from winnow.steps.coherence import POOLED_SURE  # noqa: E402

EN = GROUPS.index("en")
FP = 0.015
SHRINK = 100  # pages of the group's stats a language's own stats are mixed with


def wilson(k, n, z=1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def relabel(sets):
    """(x, y, lang, fold, g) with lang 'en/de' split into 'en' / 'de' by the group guess."""
    out = {}
    for k, (x, y, lang, fold, g) in sets.items():
        lang = np.array([("en" if gi == EN else "de") if lg == "en/de" else lg for lg, gi in zip(lang, g)])
        out[k] = (x, y, lang, fold, g)
    return out


# The commit of main before this stop's model (bench "before": the pooled heads and the English head as shipped).
BEFORE_COMMIT = "c953c26"


def shipped_model(with_shift=False, commit=None):
    if commit:
        import subprocess
        root = os.path.join(os.path.dirname(__file__), "..")
        path = f"{commit}:src/winnow/data/coherence/stitched_model.json"
        m = json.loads(subprocess.run(["git", "-C", root, "show", path], capture_output=True, check=True,
                                      text=True).stdout)
    else:
        with open(ct.MODEL) as f:
            m = json.load(f)

    def conv(heads):
        return {h: {"mean": np.array(v["mean"]), "scale": np.where(np.array(v["scale"]) == 0, 1.0, v["scale"]),
                    "w": np.array(v["weights"]), "b": float(v["bias"])} for h, v in heads.items()}
    out = conv(m["heads"]), {g: conv(v) for g, v in m.get("groups", {}).items()}
    return out + (m.get("language_shift") or {},) if with_shift else out


class Shipped:
    """The model file as the step reads it: English pages by the English head, the others by the file's fit for
    their group (moved by their language's shift) or the pooled heads; a page the pooled heads score >= 0.95
    keeps that score."""
    name = "shipped"

    def __init__(self):
        self.pooled, self.groups, self.shift = shipped_model(with_shift=True)

    def fit(self, train, exclude=(), lang_out=None):
        return self

    def nonen(self, x, g, lang):
        s = ct.score(self.pooled, x)
        if "latin" not in self.groups:
            return s
        sg = script_group(lang, g)
        t = {"lang": self.shift.get("lang", {}), "group": self.shift.get("group", {})}
        d = np.array([t["group"].get(y, 0.0) if x == LANG_OUT[0] else t["lang"].get(x, t["group"].get(y, 0.0))
                      for x, y in zip(lang.tolist(), sg.tolist())])
        seen = np.array([x_ in t["lang"] for x_ in lang.tolist()], bool)
        if "blend" in self.shift:
            bw, c = self.shift["blend"]["w"], self.shift["blend"]["c"]
            own = np.max([bw * ct.logit(self.pooled[h], x) + (1 - bw) * (np.where(
                sg == "other", ct.logit(self.groups["other"][h], x), ct.logit(self.groups["latin"][h], x)) - d)
                for h in ct.HEADS], axis=0) + c
        else:
            own = np.where(sg == "other", ct.score(self.groups["other"], x), ct.score(self.groups["latin"], x)) - d
        own = np.where(seen, own, s)  # a language the fit never saw: the pooled fit (the step's page_head)
        return np.maximum(own, np.where(s >= POOLED_SURE, s, -30.0))

    def score(self, x, g, lang):
        s = self.nonen(x, g, lang)
        en = g == EN
        if en.any() and "en" in self.groups:
            p = ct.score(self.pooled, x[en])
            s[en] = np.maximum(ct.score(self.groups["en"], x[en]), np.where(p >= POOLED_SURE, p, -30.0))
        return s


def four(sets, keep=None):
    out = {}
    for k, v in sets.items():
        m = np.ones(len(v[1]), bool) if keep is None else keep(v)
        out[k] = (v[0][m], v[1][m], v[2][m], v[3][m])
    return out


def oof_fit(parts, fp, exclude=(), lang_out=None):
    """coherence_train.train_on, its bias then moved so that ``fp`` of the training real pages of 12+ sentences
    (languages weighted equally) score >= 0 out of fold (3 folds by page; positives always in)."""
    m = ct.train_on(parts, fp, exclude=exclude, lang_out=lang_out)
    x12, _, lang12, fold12 = parts["real12"]
    keep = lang12 != lang_out if lang_out else np.ones(len(lang12), bool)
    o = np.zeros(len(x12))
    oh = {h: np.zeros(len(x12)) for h in m}
    for k in range(ct.FOLDS):
        held = {r: (v[0][v[3] != k], v[1][v[3] != k], v[2][v[3] != k], v[3][v[3] != k])
                if r in ("real", "real12", "untouched") else v for r, v in parts.items()}
        mk = ct.train_on(held, fp, exclude=exclude, lang_out=lang_out)
        for h in m:
            oh[h][fold12 == k] = ct.logit(mk[h], x12[fold12 == k])
    o = np.max(list(oh.values()), axis=0)
    o, lg = o[keep], lang12[keep]
    x12k = x12[keep]
    _, inv, cnt = np.unique(lg, return_inverse=True, return_counts=True)
    w = cnt[inv] ** (ct.LANG_POWER - 1.0)
    if LANG_SHIFT.get("q") is not None:
        # Each language's scores moved by where its training real pages sit (out of fold) against all languages:
        # the difference of a robust statistic (the LANG_SHIFT["q"] quantile), shrunk towards the script group's
        # by LANG_SHIFT["k"] pages; then one cut for all.
        m["lang_shift"] = lang_shifts(o, lg, script_group(lg, np.full(len(lg), -1)), w, LANG_SHIFT["q"],
                                      LANG_SHIFT["k"])
        if lang_out:
            m["lang_shift"]["lang"].pop(lang_out, None)
        o = o - np.array([m["lang_shift"]["lang"].get(x, 0.0) for x in lg])
    shift = -ct._cut(o, w / w.sum(), fp)
    for mh in m.values():
        if isinstance(mh, dict) and "b" in mh:
            mh["b"] += shift
            mh["shift"] += shift
    if BLEND.get("w"):
        # The log-odds of each kind (spun, blocks) as a weighted mean of this fit's (moved by the language's shift)
        # and the pooled fit's, then one more cut at fp: two fits disagree most where one of them extrapolates.
        bw, pooled = BLEND["w"], BLEND["pooled"]
        ls = np.array([m["lang_shift"]["lang"].get(x, 0.0) for x in lg]) if "lang_shift" in m else 0.0
        b = np.max([bw * ct.logit(pooled[h], x12k) + (1 - bw) * (oh[h][keep] + shift - ls) for h in ct.HEADS], axis=0)
        m["blend"] = {"w": bw, "c": -ct._cut(b, w / w.sum(), fp)}
        if not exclude and not lang_out:
            # each language's training real pages flagged (this fit out of fold): the choice of fp reads these
            fl = b + m["blend"]["c"] >= 0
            print(f"oof flagged at fp {fp:.2%}: " + ", ".join(f"{x} {fl[lg == x].mean():.1%} ({(lg == x).sum()})"
                                                         for x in sorted(set(lg.tolist()))), file=sys.stderr)
    return m


BLEND: dict = {}


def blended(m, pooled, x, d):
    """The blend of NonEn fit ``m`` (its log-odds less the language shifts ``d``) with the pooled heads."""
    bw, c = m["blend"]["w"], m["blend"]["c"]
    return np.max([bw * ct.logit(pooled[h], x) + (1 - bw) * (ct.logit(m[h], x) - d) for h in ct.HEADS], axis=0) + c


LANG_SHIFT: dict = {}


def wquantile(v, w, q):
    o = np.argsort(v)
    c = np.cumsum(w[o]) / w.sum()
    return float(v[o][min(len(v) - 1, int(np.searchsorted(c, q)))])


def lang_shifts(o, lg, sg, w, q, k):
    """{"lang": {language: shift}, "group": {script group: shift}}: how far each language's (group's) q-quantile of
    out-of-fold real-page log-odds lies above all languages' (weighted as in the fit), shrunk by k pages."""
    ref = wquantile(o, w, q)
    grp = {}
    for s in set(sg.tolist()):
        sel = sg == s
        grp[s] = wquantile(o[sel], w[sel], q) - ref
    out, of = {}, {}
    for x in set(lg.tolist()):
        sel = lg == x
        n = sel.sum() / 3.0  # three layouts a page
        g = grp[str(sg[sel][0])]
        out[x] = float((n * (np.quantile(o[sel], q) - ref) + k * g) / (n + k))
        of.setdefault(str(sg[sel][0]), []).append(out[x])
    # "group": the shift a language never seen would get from its script group (not used by the step: a language
    # never seen keeps the pooled fit; left out of the fit with its group's shift, Chinese had 6.8-8.3% of its test
    # real pages flagged, 3.8% by the pooled fit).
    return {"lang": out, "group": {s: max(v) for s, v in of.items()}}


class Pooled(Shipped):
    name = "pooled"

    def fit(self, train, exclude=(), lang_out=None):
        ct.LANG_POWER = self.power
        LANG_SHIFT.clear()
        LANG_SHIFT.update(self.lshift)
        self.m = oof_fit(four(train), self.fp, exclude, lang_out)
        return self

    def nonen(self, x, g, lang):
        return shifted(self.m, ct.score(self.m, x), lang, g)


def shifted(m, s, lang, g, lang_out=None):
    ls = m.get("lang_shift")
    if not ls:
        return s
    sg = script_group(lang, g)
    return s - np.array([ls["group"].get(y, 0.0) if x == LANG_OUT[0] else ls["lang"].get(x, ls["group"].get(y, 0.0))
                         for x, y in zip(lang.tolist(), sg.tolist())])


LANG_OUT = [None]  # a language left out: its shift is its script group's (a language never seen)


class Before(Shipped):
    """The pooled fit as shipped before (refit: 160 pages per recipe, bias in-sample, languages weighted the same),
    for leaving recipes and languages out."""
    name = "before"

    def fit(self, train, exclude=(), lang_out=None):
        ct.LANG_POWER = 0.0
        self.groups = shipped_model(commit=BEFORE_COMMIT)[1]
        self.shift = {}
        if exclude or lang_out:
            self.pooled = ct.train_on(four(clh.first(train, "train", clh.POOLED_PER_RECIPE)), FP, exclude=exclude,
                                      lang_out=lang_out)
        else:
            self.pooled = shipped_model(commit=BEFORE_COMMIT)[0]
        return self


class NonEn(Shipped):
    name = "nonen"

    def fit(self, train, exclude=(), lang_out=None):
        ct.LANG_POWER = self.power
        LANG_SHIFT.clear()
        LANG_SHIFT.update(self.lshift)
        BLEND.clear()
        self.pooled = shipped_model()[0]
        if self.bw:
            if exclude or lang_out:
                # the pooled fit as shipped, refit without the recipe or language left out
                ct.LANG_POWER = 0.0
                self.pooled = ct.train_on(four(clh.first(train, "train", clh.POOLED_PER_RECIPE)), FP, exclude=exclude,
                                          lang_out=lang_out)
                ct.LANG_POWER = self.power
            BLEND.update(w=self.bw, pooled=self.pooled)
        if self.n:
            train = clh.first(train, "train", self.n)
        ct.KIND = self.kind  # this fit's heads only (the pooled fit above stays logistic)
        try:
            self.m = oof_fit(four(train, lambda v: v[4] != EN), self.fp, exclude, lang_out)
        finally:
            ct.KIND = "lr"
        return self

    def nonen(self, x, g, lang):
        # as the step: a page the pooled fit (as shipped) scores >= 0.95 keeps that score (coherence.POOLED_SURE)
        p = ct.score(self.pooled, x)
        if "blend" in self.m:
            d = shifted(self.m, np.zeros(len(x)), lang, g)
            own = blended(self.m, self.pooled, x, -d)
        else:
            own = shifted(self.m, ct.score(self.m, x), lang, g)
        if "lang_shift" in self.m:
            # as the step: a language without a shift (never seen by the fit) keeps the pooled fit
            seen = np.array([x_ in self.m["lang_shift"]["lang"] and x_ != LANG_OUT[0] for x_ in lang.tolist()], bool)
            own = np.where(seen, own, p)
        return np.maximum(own, np.where(p >= POOLED_SURE, p, -30.0))


def script_group(lang, g):
    return np.where(g == EN, "en", np.where(np.isin(lang, ["hi", "ur", "ar", "zh"]), "other", "latin"))


class Norm(Shipped):
    """nonen over features standardised per language (stats of the language's training real pages, all layouts,
    shrunk towards its script group's by SHRINK pages)."""

    own = True  # leaving a language out keeps its stats (its real pages need no labels)

    def stats(self, train, lang_out=None):
        x, _, lang, _, g = train["real"]
        ne = g != EN
        if lang_out and not self.own:
            ne &= lang != lang_out
        sg = script_group(lang, g)
        grp = {}
        for s in ("latin", "other"):
            sel = ne & (sg == s)
            grp[s] = (x[sel].mean(0), x[sel].std(0) + 1e-9, int(sel.sum()))
        allm, alls = x[ne].mean(0), x[ne].std(0) + 1e-9
        grp["any"] = (allm, alls, int(ne.sum()))
        st = {}
        for lg in np.unique(lang[ne]):
            sel = ne & (lang == lg)
            n = sel.sum() / 3.0  # three layouts a page
            gm, gs, _ = grp[str(sg[sel][0])]
            k = self.shrink
            mu = (n * x[sel].mean(0) + k * gm) / (n + k)
            var = (n * x[sel].var(0) + k * gs ** 2) / (n + k)
            st[str(lg)] = (mu, np.sqrt(var) + 1e-9)
        self.st, self.grp = st, grp

    def z(self, x, g, lang):
        sg = script_group(lang, g)
        out = np.empty_like(x)
        for lg, s in set(zip(lang.tolist(), sg.tolist())):
            sel = (lang == lg) & (sg == s)
            mu, sd = self.grp["any"][:2] if s == "en" else (self.st.get(lg) or self.grp[s][:2])
            out[sel] = (x[sel] - mu) / sd
        return out

    def fit(self, train, exclude=(), lang_out=None):
        ct.LANG_POWER = self.power
        LANG_SHIFT.clear()
        LANG_SHIFT.update(self.lshift)
        self.stats(train, lang_out)
        zt = {k: (self.z(v[0], v[4], v[2]),) + v[1:] for k, v in train.items()}
        self.m = oof_fit(four(zt, lambda v: v[4] != EN), self.fp, exclude, lang_out)
        return self

    def nonen(self, x, g, lang):
        return shifted(self.m, ct.score(self.m, self.z(x, g, lang)), lang, g)


def add_extra(args, train, test):
    """Append the stitched recipes (and untouched pages) of more recipe sets (coherence_recipes.py --out DIR, another
    seed) to both halves (``--extra-split train``: to the train half only, so the measures stay on the main set's
    test pages); their rows count after the main set's (so ``n=`` cuts keep the main set's first)."""
    halves = (("train", train), ("test", test)) if args.extra_split == "both" else (("train", train),)
    for k, d in enumerate(args.extra):
        for split, sets in halves:
            for r in ct.STITCHED + ("untouched",):
                with gzip.open(os.path.join(d, f"{split}.{r}.jsonl.gz"), "rt") as f:
                    rows = [json.loads(x) for x in f]
                cache = os.path.join(args.cache, f"extra{k}_{os.path.basename(d.rstrip('/'))}.{split}.{r}.pkl")
                x, n = ct.featurise([row["text"] for row in rows], cache)
                keep = n >= 8
                lang = np.array([row["lang"] for row in rows])[keep]
                new = (x[keep, :-2], np.full(keep.sum(), 0 if r == "untouched" else 1), lang,
                       (np.arange(len(rows)) % ct.FOLDS)[keep], x[keep, -1].astype(int))
                sets[r] = tuple(np.concatenate([a, b]) for a, b in zip(sets[r], new))
                clh.ROWS[split][r] = np.r_[clh.ROWS[split][r], 100000 * (k + 1) + np.arange(keep.sum())]
            print(f"extra {d} {split}: features", file=sys.stderr, flush=True)


def turku_pages(data):
    """(lang, text) of the Turku documents' human-kept lines, as they are and flattened (500+ characters)."""
    out = []
    for lang in sorted(os.listdir(os.path.join(data, "lines/turku-line-quality"))):
        for split in ("train", "dev"):
            fn = os.path.join(data, "lines/turku-line-quality", lang, f"{split}.json.gz")
            if not os.path.exists(fn):
                continue
            with gzip.open(fn, "rt") as f:
                for d in json.load(f):
                    kept = [x.strip() for x, y in zip(d["text"], d["labels"]) if str(y) != "0" and x.strip()]
                    t = "\n".join(kept)
                    if len(t) >= 500:
                        out += [(lang, t), (lang, " ".join(t.split()))]
    return out


def turku_set(args):
    rows = turku_pages(args.data)
    texts = [t for _, t in rows]
    x, n = ct.featurise(texts, os.path.join(args.cache, "turku_kept.pkl"))
    x = x[:, :-2]  # coherence_lang_heads appends the row and the group
    g = np.array([GROUPS.index(guess(t)) for t in texts])
    long_ = (n >= 8) & (np.array([len(sentence_spans(t)) for t in texts]) >= 12)
    lang = np.array([lg for lg, _ in rows])
    return x[long_], lang[long_], g[long_]


def flagged_in(m, test, lg):
    """Language lg's stitched test pages flagged (hits, pages) and its real pages of 12+ sentences flagged (k, n)."""
    hit = tot = 0
    for r in ct.STITCHED:
        x, _, lang, _, g = test[r]
        sel = lang == lg
        hit += int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())
        tot += int(sel.sum())
    x, _, lang, _, g = test["real12"]
    sel = lang == lg
    return hit, tot, int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum()), int(sel.sum())


def recall_table(models, test, langs, title):
    print(f"\n## {title}\n")
    for name, m in models.items():
        print(f"\n### {name}\n")
        print("| language | " + " | ".join(ct.STITCHED) + " | all | untouched | real 12+ (95% CI) |\n|---" +
              "|---" * (len(ct.STITCHED) + 3) + "|")
        for lg in langs:
            cells, hit, tot = [], 0, 0
            for r in ct.STITCHED:
                x, _, lang, _, g = test[r]
                sel = lang == lg
                if not sel.any():
                    cells.append("-")
                    continue
                f = m.score(x[sel], g[sel], lang[sel]) >= 0
                hit += f.sum()
                tot += sel.sum()
                cells.append(f"{f.mean():.0%}")
            x, _, lang, _, g = test["untouched"]
            sel = lang == lg
            u = f"{int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())}/{int(sel.sum())}" if sel.any() else "-"
            x, _, lang, _, g = test["real12"]
            sel = lang == lg
            k = int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())
            lo, hi = wilson(k, int(sel.sum()))
            print(f"| {lg} | " + " | ".join(cells) + f" | {hit / max(tot, 1):.1%} | {u} "
                  f"| {k / max(1, sel.sum()):.1%} ({lo:.1%}-{hi:.1%}, {int(sel.sum())}) |", flush=True)


def summary(models, test, turku, langs):
    """One row per variant: each language's recall over the nine recipes / its test real pages of 12+ flagged."""
    print("\n## Summary, test half: recall over the nine recipes / real pages of 12+ flagged, per language\n")
    nl = [lg for lg in langs if lg != "en"]
    print("| variant | " + " | ".join(nl) + " | mean recall (not en) | worst real | Turku worst |\n|---" +
          "|---" * (len(nl) + 3) + "|")
    for name, m in models.items():
        cells, recs, worst = [], [], 0.0
        for lg in nl:
            hit, tot, k, n = flagged_in(m, test, lg)
            fr = k / n if n else float("nan")
            worst = max(worst, fr) if n >= 150 else worst
            recs.append(hit / max(tot, 1))
            cells.append(f"{hit / max(tot, 1):.0%} / {fr:.1%}")
        x, lang, g = turku
        tw = max(float((m.score(x[lang == lg], g[lang == lg], lang[lang == lg]) >= 0).mean()) for lg in set(lang))
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean(recs):.1%} | {worst:.1%} | {tw:.1%} |", flush=True)


def auc(pos, neg):
    """ROC AUC of scores ``pos`` (stitched) against ``neg`` (real), ties counted half (mean ranks)."""
    _, inv, cnt = np.unique(np.r_[pos, neg], return_inverse=True, return_counts=True)
    r = (np.cumsum(cnt) - (cnt - 1) / 2.0)[inv]
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def ranking(models, test, langs, oracle=0.02):
    """How well each fit ranks, apart from where its threshold sits: per language (pages not guessed English),
    ROC AUC of the score, the nine recipes' test pages against the language's test real pages of 12+ sentences,
    and the share of those stitched pages above the language's own ``oracle`` quantile of its real pages (an
    oracle threshold, read on the test half: for diagnosis, never for a choice)."""
    print(f"\n## Ranking, test half: ROC AUC / recall at each language's own {oracle:.0%} of real pages (oracle)\n")
    nl = [lg for lg in langs if lg != "en"]
    print("| variant | " + " | ".join(nl) + " | mean |\n|---" + "|---" * (len(nl) + 1) + "|")
    for name, m in models.items():
        cells, aucs, recs = [], [], []
        for lg in nl:
            pos = []
            for r in ct.STITCHED:
                x, _, lang, _, g = test[r]
                sel = (lang == lg) & (g != EN)
                pos.append(m.score(x[sel], g[sel], lang[sel]))
            pos = np.concatenate(pos)
            x, _, lang, _, g = test["real12"]
            sel = (lang == lg) & (g != EN)
            neg = m.score(x[sel], g[sel], lang[sel])
            a, rc = auc(pos, neg), float((pos > np.quantile(neg, 1 - oracle)).mean())
            aucs.append(a)
            recs.append(rc)
            cells.append(f"{a:.3f} / {rc:.0%}")
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean(aucs):.3f} / {np.mean(recs):.1%} |", flush=True)


def signals(train, test, langs, ref=("sv", "fr", "fi", "id"), top=12):
    """Which page signals separate each language's stitched pages (nine recipes) from its real pages of 12+
    sentences: per signal, the ROC AUC folded about 0.5 (a signal that falls counts as one that rises), mean of
    the two halves; the signals where ``langs[0]`` falls furthest below the ``ref`` languages' mean first."""
    from winnow.steps.coherence import DOC_FEATURES

    def folded(d, lg):
        pos = np.vstack([d[r][0][(d[r][2] == lg) & (d[r][4] != EN)] for r in ct.STITCHED])
        x, _, lang, _, g = d["real12"]
        neg = x[(lang == lg) & (g != EN)]
        return np.array([abs(auc(pos[:, j], neg[:, j]) - 0.5) + 0.5 for j in range(x.shape[1])])

    a = {lg: (folded(train, lg) + folded(test, lg)) / 2 for lg in set(langs) | set(ref)}
    base = np.mean([a[lg] for lg in ref], axis=0)
    print(f"\n## Signals: folded ROC AUC, stitched vs real 12+ (mean of both halves); {langs[0]} vs "
          f"{'/'.join(ref)}\n")
    print("| signal | " + "/".join(ref) + " | " + " | ".join(langs) + " |\n|---|---" + "|---" * len(langs) + "|")
    for j in np.argsort(-(base - a[langs[0]]))[:top]:
        print(f"| {DOC_FEATURES[j]} | {base[j]:.3f} | " + " | ".join(f"{a[lg][j]:.3f}" for lg in langs) + " |")
    print("\nbest single signal: " + ", ".join(f"{lg} {DOC_FEATURES[int(np.argmax(a[lg]))]} {a[lg].max():.3f}"
                                             for lg in langs))


def real_table(models, sets, title):
    x, lang, g = sets
    print(f"\n## {title}\n")
    langs = sorted(set(lang))
    print("| language | pages | " + " | ".join(models) + " |\n|---|---" + "|---" * len(models) + "|")
    for lg in langs:
        sel = lang == lg
        cells = []
        for m in models.values():
            k = int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())
            lo, hi = wilson(k, int(sel.sum()))
            cells.append(f"{k / sel.sum():.1%} ({lo:.1%}-{hi:.1%})")
        print(f"| {lg} | {int(sel.sum())} | " + " | ".join(cells) + " |")


def nonen_mask(lang, g):
    return g != EN


def variant(spec):
    """A variant from its name: ``shipped``, ``pooled``, ``nonen`` or ``norm``, then options ``:fp=0.02`` (the
    out-of-fold share of flagged training real pages), ``:pw=0.5`` (coherence_train.LANG_POWER), ``:k=100``
    (SHRINK), ``:sq=0.9``/``:sk=100`` (the shift's quantile and shrinkage), ``:bw=0.5`` (the blend),
    ``:n=480`` (the first n pages of each recipe), ``:kind=gbt`` (nonen: boosted trees)."""
    kind, *opts = spec.split(":")
    o = dict(x.split("=") for x in opts)
    fp, pw, k = float(o.get("fp", FP)), float(o.get("pw", 0.0)), float(o.get("k", SHRINK))
    v = {"shipped": Shipped, "before": Before, "pooled": Pooled, "nonen": NonEn, "norm": Norm}[kind]()
    v.name, v.fp, v.power, v.shrink = spec, fp, pw, k
    v.lshift = {"q": float(o["sq"]), "k": float(o.get("sk", 100))} if "sq" in o else {}
    v.n = int(o.get("n", 0))  # the first n stitched pages of each recipe only (a learning curve)
    v.bw = float(o.get("bw", 0.0))  # the pooled fit's weight in a blend
    v.kind = o.get("kind", "lr")  # nonen: "gbt" fits boosted trees (coherence_train.KIND) instead
    return v


def variants(which):
    return {w: variant(w) for w in which}


SHIP = "nonen:pw=0.5:sq=0.9:bw=0.5"


def write(v, train):
    """stitched_model.json with the non-English fit as the heads of groups ``latin`` and ``other`` and its shift
    per language; the pooled heads and the English head kept as they are."""
    with open(ct.MODEL) as f:
        cur = json.load(f)
    heads = {h: ct._head_json(mh) for h, mh in v.m.items() if h in ct.HEADS}
    ls = v.m["lang_shift"]
    langs = sorted(set(train["real12"][2][train["real12"][4] != EN].tolist()))
    out = dict(cur)
    out["groups"] = {"en": cur["groups"]["en"], "latin": heads, "other": heads}
    out["group_languages"] = {"en": cur["group_languages"]["en"], "latin": langs, "other": langs}
    out["language_shift"] = {
        "heads": ["latin", "other"],
        "lang": {k: round(float(x), 4) for k, x in sorted(ls["lang"].items())},
        "blend": {"w": v.m["blend"]["w"], "c": round(float(v.m["blend"]["c"]), 6)},
    }
    out["provenance_groups_latin_other"] = (
        f"bench/coherence_train_nonen.py --write ({SHIP}): 'groups' latin and other are one fit on the pages not "
        "guessed English (winnow.steps.coherence._lang.guess; languages " + ", ".join(langs) + ", the en/de web "
        "pages guessed otherwise labelled de) as in bench/coherence_train.py (one logistic regression per kind of "
        f"stitching over the features and their squares, l2 {ct.L2:g}, classes weighted equally), each language "
        f"weighing (its pages) ** {v.power:g} among the real pages; 'language_shift': each language's "
        f"{LANG_SHIFT['q']:.0%} quantile of out-of-fold log-odds of its training real pages of 12+ sentences "
        f"(3 folds by page) less all languages', shrunk towards its script group's by {LANG_SHIFT['k']:g} pages "
        "(hi, ur, ar, zh: other; the rest latin), subtracted from the log-odds (a language not in 'lang' keeps the "
        "pooled heads); then the bias moved so that "
        f"{v.fp:.1%} of those pages score >= 0.5 out of fold; 'blend': each kind's log-odds are then w times the "
        "pooled heads' plus (1 - w) times this fit's (moved), plus c, c set so that "
        f"{v.fp:.1%} of those pages score >= 0.5 (this fit's log-odds out of fold, the pooled heads' as they are); "
        "synthetic stitched pages of bench/coherence_recipes.py --per-recipe 480 (seed 29: " + ", ".join(ct.STITCHED)
        + ") from the train half of ../shared/data (web-pages main_text, register-multiling); pair signals from "
        "pair_model.json")
    with open(ct.MODEL, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote src/winnow/data/coherence/stitched_model.json", file=sys.stderr)


def per_lang_table(models, per_lang, langs):
    """Recall per language over the left-out recipes: hits / pages of the language, for each model."""
    print("| language | " + " | ".join(models) + " |\n|---" + "|---" * len(models) + "|")
    for lg in langs:
        print(f"| {lg} | " + " | ".join(f"{per_lang[n][lg][0] / max(1, per_lang[n][lg][1]):.1%} "
                                       f"({per_lang[n][lg][1]})" for n in models) + " |")


def lolo_header(models, what=""):
    what = f" {what}" if what else ""
    print(f"\n## Leave one language out: fit without the language{what}; its test pages (recall, real 12+)\n")
    print("| language | " + " | ".join(f"{n} recall | {n} real 12+" for n in models) + " |\n|---" +
          "|---|---" * len(models) + "|")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("--variants", nargs="*", default=["shipped", "pooled", "nonen", "norm"])
    ap.add_argument("--extra", nargs="*", default=[], help="more recipe sets to add")
    ap.add_argument("--extra-split", choices=("both", "train"), default="both",
                    help="the halves of the --extra sets to add (train: the fits see more pages, the tables measure "
                         "the main set's test half as before)")
    ap.add_argument("--loro", action="store_true")
    ap.add_argument("--lolo", action="store_true")
    ap.add_argument("--no-tables", action="store_true")
    ap.add_argument("--summary", action="store_true", help="only the summary table of the variants")
    ap.add_argument("--ranking", action="store_true", help="per language: ROC AUC and recall at an oracle threshold")
    ap.add_argument("--signals", default=None, metavar="LANGS",
                    help="comma-separated languages: which page signals separate their stitched pages, then stop")
    ap.add_argument("--write", action="store_true", help=f"write the variant {SHIP} into stitched_model.json")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    train, test = (relabel(s) for s in clh.load_sets(args))
    add_extra(args, train, test)
    turku = turku_set(args)
    print(f"features: {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    langs = sorted(set(test["real12"][2]))
    if args.signals:
        signals(train, test, args.signals.split(","))
        return 0
    models = {k: v.fit(train) for k, v in variants(args.variants).items()}
    print(f"fits: {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    if args.ranking:
        ranking(models, test, langs)
    if args.summary:
        summary(models, test, turku, langs)
    elif not args.no_tables:
        recall_table(models, test, langs, "All recipes in the fit, test half: flagged per language and recipe")
        real_table(models, turku, "Turku kept lines (12+ sentences, as they are and flattened): flagged")
    if args.loro:
        print("\n## Leave one recipe out: recall on the left-out recipe's test pages not guessed English "
              "(English: guessed English); real 12+ not English\n")
        print("| left out | " + " | ".join(f"{n} | {n} en | {n} real" for n in models) + " |\n|---" +
              "|---|---|---" * len(models) + "|")
        mean = {n: [] for n in models}
        per_lang = {n: {} for n in models}  # language -> [hits, pages] over the left-out recipes
        for r in ct.STITCHED:
            cells = []
            for n, v in variants(args.variants).items():
                m = v.fit(train, exclude=(r,))
                x, _, lang, _, g = test[r]
                f = m.score(x, g, lang) >= 0
                for lg in set(lang.tolist()):
                    hp = per_lang[n].setdefault(lg, [0, 0])
                    hp[0] += int(f[lang == lg].sum())
                    hp[1] += int((lang == lg).sum())
                x12, _, l12, _, g12 = test["real12"]
                fr = m.score(x12, g12, l12) >= 0
                mean[n].append(f[g != EN].mean())
                cells += [f"{f[g != EN].mean():.1%}", f"{f[g == EN].mean():.1%}", f"{fr[g12 != EN].mean():.1%}"]
            print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
        print("| mean | " + " | ".join(f"{np.mean(mean[n]):.1%} | | " for n in models) + " |")
        print("\nPer language: each recipe's test pages of the language, measured by the fit without that recipe, "
              "all nine recipes together\n")
        per_lang_table(models, per_lang, langs)
    if args.lolo:
        lolo_header(models, "(stitched and real pages)")
        for lg in langs:
            if lg == "en":
                continue
            cells = []
            for n, v in variants(args.variants).items():
                m = v.fit(train, lang_out=lg)
                LANG_OUT[0] = lg
                hit, tot, k, n = flagged_in(m, test, lg)
                cells += [f"{hit / max(tot, 1):.1%}", f"{k / max(1, n):.1%} ({k}/{n})"]
            LANG_OUT[0] = None
            print(f"| {lg} | " + " | ".join(cells) + " |", flush=True)
    if args.write:
        write(variant(SHIP).fit(train), train)
    print(f"total: {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
