"""Why stitched pages in other languages are caught less than English ones (bench/results/coherence.md, "Stop 28:
why other languages are caught less (session cohde)"). English and German, side by side, on the sets of
bench/coherence_train_nonen.py (bench/coherence_recipes.py's recipes and real pages, coherence_train's features):

* ``compose``: what the stitched pages labelled German are made of. The en/de pool of coherence_recipes.py holds
  English and German web pages together, so a page stitched from it mixes languages; each sentence's language by
  lid.176 (sentences of 3+ words), the page's by coherence._lang's guess (as the trainers label it);
* ``signals``: per page signal, ROC AUC of stitched (nine recipes) against real pages of 12+ sentences, test half,
  for English, German, German pages stitched from German sources only (``de-mono``) and mixed ones (``de-mix``);
  and the shipped model's score the same way, with the share flagged at the default threshold;
* ``pairs``: the pair model's same-source vs two-source sentence pairs per language, the pools split by lid.176
  (English pages paired with English ones, German with German), random and close-topic second pages apart:
  pair log-odds AUC, stems shared, how many words one 5-letter stem stands for;
* ``read``: the 20 German real pages of the test half the shipped model scores highest, and the 20 German stitched
  pages (German sources only) it scores lowest, for reading;
* ``heads``: each head of the model file ranked per language; ``gaps``: the lexical signals per language on the
  one-language set (``--recipes-lid``); ``own``: a head fitted on one language's pages alone, ranked (a probe);
* ``experiment [--loro]``: the stop's declared candidates (one-language pools) against the shipped model and its
  recipe refit on the old sets; ``ownhead [--loro]``: a German head beside that refit (a probe for the next stop).

    PYTHONPATH=src .venv/bin/python bench/coherence_langgap.py SUBCOMMAND [--data ../shared/data] [--recipes DIR]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_lang_heads as clh  # noqa: E402
import coherence_train as ct  # noqa: E402
import coherence_train_nonen as ctn  # noqa: E402
from coherence_recipes import load  # noqa: E402

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps.coherence import DOC_FEATURES, _TOKEN, _content, analyse  # noqa: E402
from winnow.steps.coherence import _lang  # noqa: E402
from winnow.steps.coherence._pairs import (  # noqa: E402
    PAIR_FEATURES, _model, capitalised_words, pair_features, short_words, style)

MONO = 0.9  # a German stitched page is "mono" when this share of its identified sentences is German


def sent_langs(text):
    """lid.176's language of each sentence of 3+ words."""
    out = []
    for a, b in sentence_spans(text):
        s = " ".join(text[a:b].split())
        if len(s.split()) >= 3:
            out.append(_lang._identify(s) or "?")
    return out


def recipe_rows(args, split, r):
    with gzip.open(os.path.join(args.recipes, f"{split}.{r}.jsonl.gz"), "rt") as f:
        return [json.loads(x) for x in f]


def real_texts(args, split):
    """The texts of coherence_train.dataset's real rows (three layouts a page), with each page's source record."""
    pages, _ = load(args.data)
    src = {}
    with gzip.open(os.path.join(args.data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            src.setdefault(d.get("main_text") or "", (d.get("source"), d.get("url")))
    texts, meta = [], []
    for lang, lst in sorted(pages[split].items()):
        for t in lst:
            texts += [t, " ".join(t.split()), "\n".join(" ".join(t[a:b].split()) for a, b in sentence_spans(t))]
            meta += [(lang, src.get(t, ("register", None)), lay) for lay in ("as is", "flat", "lines")]
    return texts, meta


def mono_mask(args, sets, split="test"):
    """{recipe: bool array over the kept rows}: German share of identified sentences >= MONO (rows labelled de)."""
    out = {}
    for r in ct.STITCHED:
        rows = recipe_rows(args, split, r)
        x, _, lang, _, g = sets[r]
        idx = clh.ROWS[split][r]
        m = np.zeros(len(lang), bool)
        for i, (lg, ri) in enumerate(zip(lang, idx)):
            if lg == "de":
                sl = sent_langs(rows[ri]["text"])
                m[i] = bool(sl) and sl.count("de") / len(sl) >= MONO
        out[r] = m
    return out


def compose(args):
    train, test = (ctn.relabel(s) for s in clh.load_sets(args))
    print("\n## What the stitched pages labelled en / de are made of (lid.176 per sentence of 3+ words)\n")
    print("| half | recipe | pages en | en: share with German sentences | pages de | de: German sources only "
          f"(>= {MONO:.0%} de) | de: mean share of English sentences |\n|---|---|---|---|---|---|---|")
    tot = collections.Counter()
    for split, sets in (("train", train), ("test", test)):
        for r in ct.STITCHED:
            rows = recipe_rows(args, split, r)
            _, _, lang, _, g = sets[r]
            idx = clh.ROWS[split][r]
            en = de = en_mixed = de_mono = 0
            de_en = []
            for lg, ri in zip(lang, idx):
                if lg not in ("en", "de"):
                    continue
                sl = sent_langs(rows[ri]["text"])
                if not sl:
                    continue
                if lg == "en":
                    en += 1
                    en_mixed += sl.count("de") > 0
                else:
                    de += 1
                    de_mono += sl.count("de") / len(sl) >= MONO
                    de_en.append(sl.count("en") / len(sl))
            tot.update({(split, "en"): en, (split, "en_mixed"): en_mixed, (split, "de"): de,
                        (split, "de_mono"): de_mono})
            print(f"| {split} | {r} | {en} | {en_mixed / max(1, en):.0%} | {de} | {de_mono} "
                  f"({de_mono / max(1, de):.0%}) | {np.mean(de_en) if de_en else float('nan'):.0%} |", flush=True)
    for split in ("train", "test"):
        print(f"\n{split}: en pages {tot[(split, 'en')]} ({tot[(split, 'en_mixed')]} with German sentences), de pages "
              f"{tot[(split, 'de')]} ({tot[(split, 'de_mono')]} from German sources only)")
    # real pages labelled de: what language lid.176 gives them
    for split, sets in (("test", test),):
        texts, meta = real_texts(args, split)
        x, _, lang, _, g = sets["real12"]
        # real12 rows: the real rows with 12+ sentences; ROWS gives their index in the texts list
        idx = clh.ROWS[split]["real12"]
        c = collections.Counter()
        for lg, ri in zip(lang, idx):
            if lg == "de" and ri % 3 == 0:
                c[_lang.language(texts[ri])] += 1
        print(f"\n{split} real pages of 12+ sentences labelled de (as is layout), lid.176: " +
              ", ".join(f"{k} {v}" for k, v in c.most_common()))
    return 0


def auc(pos, neg):
    return ctn.auc(np.asarray(pos, float), np.asarray(neg, float))


def signals(args):
    train, test = (ctn.relabel(s) for s in clh.load_sets(args))
    mono = mono_mask(args, test)
    shipped = ctn.variant("shipped").fit(train)

    def groups(sets, lg):
        pos = {"all": [], "mono": [], "mix": []}
        for r in ct.STITCHED:
            x, _, lang, _, g = sets[r]
            sel = lang == lg
            pos["all"].append(x[sel])
            if lg == "de":
                pos["mono"].append(x[sel & mono[r]])
                pos["mix"].append(x[sel & ~mono[r]])
        x, _, lang, _, g = sets["real12"]
        return {k: np.vstack(v) for k, v in pos.items() if v}, x[lang == lg], g[lang == lg]

    pen, nen, gen = groups(test, "en")
    pde, nde, gde = groups(test, "de")
    cols = [("en", pen["all"], nen), ("de", pde["all"], nde), ("de-mono", pde["mono"], nde), ("de-mix", pde["mix"], nde)]
    print("\n## Signals: ROC AUC stitched (nine recipes) vs real pages of 12+ sentences, test half\n")
    print("pages: " + ", ".join(f"{n} {len(p)} stitched / {len(q)} real" for n, p, q in cols))
    print("\n| signal | " + " | ".join(n for n, _, _ in cols) + " | en - de-mono |\n|---|" + "---|" * (len(cols) + 1))
    rows = []
    for j, name in enumerate(DOC_FEATURES):
        a = [auc(p[:, j], q[:, j]) for _, p, q in cols]
        rows.append((name, a))
    for name, a in sorted(rows, key=lambda t: -(abs(t[1][0] - 0.5) - abs(t[1][2] - 0.5))):
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in a) + f" | {abs(a[0] - .5) - abs(a[2] - .5):+.3f} |")
    # the shipped model's score
    print("\n| shipped score | " + " | ".join(n for n, _, _ in cols) + " |\n|---|" + "---|" * len(cols))
    sc = []
    for n, p, q in cols:
        lg = "en" if n == "en" else "de"
        gp = np.full(len(p), ctn.EN if lg == "en" else 1)
        gq = gen if lg == "en" else gde
        sp = shipped.score(p, gp, np.full(len(p), lg))
        sq = shipped.score(q, gq, np.full(len(q), lg))
        sc.append((auc(sp, sq), (sp >= 0).mean(), (sq >= 0).mean(), float(np.quantile(sq, 0.98)),
                   float(np.median(sp)), float((sp > np.quantile(sq, 0.98)).mean()),
                   float((sp > np.quantile(sq, 0.985)).mean())))
    # the last two rows: an oracle threshold read on the language's own test real pages (diagnosis only)
    for k, what in enumerate(("ROC AUC", "stitched flagged", "real flagged", "real 98th pct log-odds",
                              "stitched median log-odds", "recall at the language's own 2% (oracle)",
                              "recall at the language's own 1.5% (oracle)")):
        print(f"| {what} | " + " | ".join(f"{s[k]:.3f}" for s in sc) + " |")
    # Where the languages' pages sit, signal by signal: medians in standard deviations of the English real pages
    # (real en, real de, stitched en, stitched de-mono), the signals whose de-mono - de real gap is smallest against
    # en stitched - en real first (the signals that separate in English and not in German, and why: the real pages
    # moved or the stitched ones)
    sd = nen.std(0) + 1e-9
    med = [np.median(v, 0) / sd for v in (nen, nde, pen["all"], pde["mono"])]
    gap_en, gap_de = med[2] - med[0], med[3] - med[1]
    print("\n| signal | real en | real de | stitched en | stitched de-mono | gap en | gap de |\n|---|---|---|---|---|---|---|")
    for j in np.argsort(-(np.abs(gap_en) - np.abs(gap_de)))[:14]:
        print(f"| {DOC_FEATURES[j]} | " + " | ".join(f"{m[j]:+.2f}" for m in med) + f" | {gap_en[j]:+.2f} | {gap_de[j]:+.2f} |")
    # Which fit, or which language? Each head of the model file on each language's pages (ROC AUC does not depend
    # on a shift or a bias, so the heads are compared as they rank).
    heads = {"English head": shipped.groups.get("en"), "non-English fit": shipped.groups.get("latin"),
             "pooled fit": shipped.pooled}
    print("\n| ROC AUC by head | " + " | ".join(n for n, _, _ in cols) + " |\n|---|" + "---|" * len(cols))
    for hn, hm in heads.items():
        if hm:
            print(f"| {hn} | " + " | ".join(f"{auc(ct.score(hm, p), ct.score(hm, q)):.3f}" for _, p, q in cols) + " |")
    # the same by recipe: de-mono vs en flagged
    print("\n| recipe | en flagged | de flagged | de-mono flagged (pages) | de-mix flagged (pages) |\n|---|---|---|---|---|")
    for r in ct.STITCHED:
        x, _, lang, _, g = test[r]
        s = shipped.score(x, g, lang) >= 0
        e, d = lang == "en", lang == "de"
        print(f"| {r} | {s[e].mean():.0%} ({e.sum()}) | {s[d].mean():.0%} ({d.sum()}) | "
              f"{s[d & mono[r]].mean():.0%} ({(d & mono[r]).sum()}) | {s[d & ~mono[r]].mean():.0%} "
              f"({(d & ~mono[r]).sum()}) |")
    return 0


def content(text):
    a = analyse(text)
    out = [(text[s.start:s.end], s.stems) for s in a.sentences if s.reason is None and len(s.stems) >= 2]
    return ([t for t, _ in out], [st for _, st in out], [capitalised_words(t) for t, _ in out],
            [short_words(t) for t, _ in out])


def words(text):
    """Content words as _content sees them (4+ letters, not stop words), whole."""
    return [t for t in _TOKEN.findall(text.lower()) if len(t) >= 4 and _content([t])]


def pairs(args):
    """Per language (pools split by lid.176): same-page vs two-page pairs of test-half real pages."""
    pages, _ = load(args.data)
    pools = collections.defaultdict(list)
    for lg, lst in pages["test"].items():
        for t in lst:
            if len(t) < 500:
                continue
            pools[_lang.language(t) if lg == "en/de" else lg].append(t)
    m = _model()
    mu, sd, w, b = m
    sd = np.where(sd == 0, 1.0, sd)
    fi = {f: PAIR_FEATURES.index(f) for f in ("shared", "shared_rare", "cosine", "shared_caps", "short_cosine",
                                              "none_shared")}
    print("\n## Same-page vs two-page sentence pairs, test half, pools split by lid.176\n")
    print("| language | pages | pairs | negatives | pair AUC | stems shared, same / two pages | share of pairs "
          "sharing none, same / two | capitalised shared, same / two | short-word cosine, same / two | "
          "char 5-gram Jaccard AUC | stem cosine AUC | words per stem |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    for lg in args.langs.split(","):
        lst = pools.get(lg, [])
        if len(lst) < 20:
            continue
        rng = random.Random(5)
        views = {}

        def view(t):
            if t not in views:
                views[t] = content(t)
            return views[t]
        for kind in ("random", "close"):
            X, Y, J = [], [], []
            for ia, ta in enumerate(lst):
                va = view(ta)
                if len(va[0]) < 6:
                    continue
                cand = [c for c in rng.sample(range(len(lst)), min(40, len(lst))) if c != ia]
                if kind == "close":
                    sa = set().union(*va[1])
                    ib = max(cand, key=lambda c: (len(sa & set().union(*view(lst[c])[1])), c))
                else:
                    ib = rng.choice(cand)
                vb = view(lst[ib])
                if len(vb[0]) < 3:
                    continue
                pa = sorted(rng.sample(range(len(va[0])), min(15, len(va[0]))))
                pb = sorted(rng.sample(range(len(vb[0])), min(rng.randint(3, 15), len(vb[0]))))
                texts = [va[0][i] for i in pa] + [vb[0][i] for i in pb]
                stems = [va[1][i] for i in pa] + [vb[1][i] for i in pb]
                caps = [va[2][i] for i in pa] + [vb[2][i] for i in pb]
                short = [va[3][i] for i in pa] + [vb[3][i] for i in pb]
                src = np.array([0] * len(pa) + [1] * len(pb))
                df = collections.Counter(x for st in stems for x in st)
                f = pair_features(np.array([style(t) for t in texts]), stems, caps, df, short)
                grams = [set(x[k:k + 5] for x in words(t) for k in range(max(1, len(x) - 4))) for t in texts]
                iu = np.triu_indices(len(texts), 1)
                same = (src[:, None] == src[None, :])[iu]
                ff = f[iu]
                jac = np.array([len(grams[i] & grams[j]) / max(1, len(grams[i] | grams[j])) for i, j in zip(*iu)])
                for idx, lab in ((np.flatnonzero(same), 1), (np.flatnonzero(~same), 0)):
                    take = rng.sample(list(idx), min(15, len(idx)))
                    X.append(ff[take])
                    Y.append(np.full(len(take), lab))
                    J.append(jac[take])
            X, Y, J = np.vstack(X), np.concatenate(Y), np.concatenate(J)
            s = ((X - mu) / sd) @ w + b
            pos, neg = Y == 1, Y == 0

            def two(f):
                return f"{X[pos, fi[f]].mean():.2f} / {X[neg, fi[f]].mean():.2f}"
            wps = collections.defaultdict(set)
            for t in lst[:300]:
                for x in words(t):
                    wps[x[:5]].add(x)
            print(f"| {lg} ({kind}) | {len(lst)} | {len(Y)} | {kind} | {auc(s[pos], s[neg]):.3f} | {two('shared')} | "
                  f"{two('none_shared')} | {two('shared_caps')} | {two('short_cosine')} | "
                  f"{auc(J[pos], J[neg]):.3f} | {auc(X[pos, fi['cosine']], X[neg, fi['cosine']]):.3f} | "
                  f"{np.mean([len(v) for v in wps.values()]):.2f} |", flush=True)
    return 0


def read(args):
    train, test = (ctn.relabel(s) for s in clh.load_sets(args))
    mono = mono_mask(args, test)
    shipped = ctn.variant("shipped").fit(train)
    texts, meta = real_texts(args, "test")
    x, _, lang, _, g = test["real12"]
    idx = clh.ROWS["test"]["real12"]
    sel = np.flatnonzero(lang == "de")
    s = shipped.score(x[sel], g[sel], lang[sel])
    out = []
    seen = set()
    for k in np.argsort(-s):
        ri = idx[sel[k]]
        page = ri // 3
        if page in seen:
            continue
        seen.add(page)
        out.append(("real", float(s[k]), meta[ri], texts[ri]))
        if len(seen) == 20:
            break
    miss = []
    for r in ct.STITCHED:
        rows = recipe_rows(args, "test", r)
        xr, _, lr, _, gr = test[r]
        m = (lr == "de") & mono[r]
        sr = shipped.score(xr[m], gr[m], lr[m])
        for v, ri in zip(sr, clh.ROWS["test"][r][m]):
            miss.append((float(v), r, rows[ri]["text"]))
    miss.sort()
    with open(args.out, "w") as f:
        for kind, v, mt, t in out:
            f.write(f"=== REAL score {v:+.2f} {mt}\n{t[:3000]}\n\n")
        for v, r, t in miss[:20]:
            f.write(f"=== MISSED {r} score {v:+.2f}\n{t[:3000]}\n\n")
    print(f"wrote {args.out}: {len(out)} real, {min(20, len(miss))} missed of {len(miss)} German-only stitched pages "
          f"({sum(v < 0 for v, _, _ in miss)} below the threshold)")
    return 0


def load_dir(args, recipes, cache, lid_labels=False):
    """(train, test, rows) of one recipe set (coherence_train_nonen's layout, en/de split by the guess); with
    ``lid_labels`` the real pages of the en/de pool not guessed English take lid.176's language (as the step names a
    page's language), instead of all being ``de``."""
    import copy
    a = copy.copy(args)
    a.recipes, a.cache = recipes, cache
    orig = ct.featurise
    try:
        tr, te = clh.load_sets(a)
    finally:
        ct.featurise = orig
    rows = {k: dict(v) for k, v in clh.ROWS.items()}
    tr, te = ctn.relabel(tr), ctn.relabel(te)
    if lid_labels:
        for split, sets in (("train", tr), ("test", te)):
            texts = _REAL_TEXTS.get(split) or _REAL_TEXTS.setdefault(split, real_texts(args, split)[0])
            for k in ("real", "real12"):
                x, y, lang, fold, g = sets[k]
                lang = lang.copy()
                for i in np.flatnonzero(lang == "de"):
                    lang[i] = _lang.language(texts[rows[split][k][i]]) or "?"
                sets[k] = (x, y, lang, fold, g)
    return tr, te, rows


_REAL_TEXTS: dict = {}
SHIP = "nonen:pw=0.5:sq=0.9:bw=0.5"
KNOWN = ("ar", "ca", "de", "es", "fi", "fr", "hi", "id", "pt", "sv", "ur", "zh")


def known_only(sets, rows):
    """Rows of the languages of the pools (a web page lid.176 names Polish or Japanese, a dozen pages each, is left
    out of the fit: its shift would be read from a dozen pages; a page lid.176 names English that the guess does
    not is left out too, so the shifts get no "en" entry and such a page keeps the pooled fit, as before). ``rows``
    (coherence_lang_heads.ROWS of the set) cut the same way."""
    out, rw = {}, {s: dict(v) for s, v in rows.items()}
    for k, v in sets.items():
        m = np.isin(v[2], KNOWN) | (v[4] == ctn.EN)
        out[k] = tuple(a[m] for a in v)
        rw["train"][k] = rows["train"][k][m]
    return out, rw


def fitted(name, sets, rows, exclude=()):
    clh.ROWS.clear()
    clh.ROWS.update({k: dict(v) for k, v in rows.items()})
    v = ctn.variant("shipped" if name == "shipped" else SHIP)
    v.name = name
    return v.fit(sets, exclude=exclude)


def experiment(args):
    """The shipped model, the shipped recipe refit on the old sets (``base``) and on the sets built from
    one-language pools with the real pages labelled by lid.176 (``lidpool``), measured on the same test pages: the
    one-language test half (``--recipes-lid``) and the German/English-only set (``--recipes-ende``)."""
    t0 = __import__("time").process_time()
    old_tr, _, old_rows = load_dir(args, args.recipes, args.cache)
    lid_tr, lid_te, lid_rows = load_dir(args, args.recipes_lid, args.cache_lid, lid_labels=True)
    ende_tr, ende_te, ende_rows = load_dir(args, args.recipes_ende, args.cache_ende, lid_labels=True)
    lid_tr, lid_rows = known_only(lid_tr, lid_rows)
    # lidpool+ende: the same with the German/English-only set's train half added (its rows after the set's own,
    # so the pooled refit of the blend, on each recipe's first 160 rows, stays the same)
    more_tr = dict(lid_tr)
    more_rows = {s: dict(v) for s, v in lid_rows.items()}
    for k in ct.STITCHED + ("untouched",):
        more_tr[k] = tuple(np.concatenate([a, b]) for a, b in zip(lid_tr[k], ende_tr[k]))
        more_rows["train"][k] = np.r_[lid_rows["train"][k], 100000 + np.arange(len(ende_tr[k][1]))]
    orig = ct.featurise
    ct.featurise = clh._with_groups(orig)  # turku_set drops the two columns the wrapper appends
    try:
        turku = ctn.turku_set(args)
    finally:
        ct.featurise = orig
    print(f"sets: {__import__('time').process_time() - t0:.0f} s CPU", file=sys.stderr, flush=True)
    trains = {"shipped": (old_tr, old_rows), "base": (old_tr, old_rows), "lidpool": (lid_tr, lid_rows),
              "lidpool+ende": (more_tr, more_rows)}
    models = {n: fitted(n, tr, rw) for n, (tr, rw) in trains.items()}
    langs = sorted(set(lid_te["real12"][2].tolist()) & set(KNOWN + ("en",)))
    ctn.ranking(models, lid_te, langs)
    print("\n## All recipes in the fit, one-language test half: recall over the nine recipes / real 12+ flagged")
    for n, m in models.items():
        cells = []
        for lg in langs:
            hit, tot, k, nn = ctn.flagged_in(m, lid_te, lg)
            lo, hi = ctn.wilson(k, nn)
            cells.append(f"{lg} {hit / max(1, tot):.0%} / {k / max(1, nn):.1%} ({lo:.1%}-{hi:.1%}, {nn})")
        print(f"\n{n}: " + "; ".join(cells), flush=True)
    x, lang, g = turku
    print("\nTurku kept lines (12+ sentences) flagged: " + "; ".join(
        f"{n}: " + ", ".join(f"{lg} {(m.score(x[lang == lg], g[lang == lg], lang[lang == lg]) >= 0).mean():.1%}"
                             for lg in sorted(set(lang.tolist()))) + f" ({len(lang)})" for n, m in models.items()))
    print("\nGerman/English-only set (test half), all recipes in: " + "; ".join(
        f"{n}: de {_rec(m, ende_te, 'de'):.1%}, en {_rec(m, ende_te, 'en'):.1%}" for n, m in models.items()))
    if not args.loro:
        return 0
    print("\n## Leave one recipe out (one-language test half, pages not guessed English; de-only set)\n")
    print("| left out | " + " | ".join(f"{n} | {n} real | {n} de-only" for n in models if n != "shipped")
          + " |\n|---" + "|---|---|---" * (len(models) - 1) + "|")
    per_lang = {n: {} for n in models if n != "shipped"}
    means = {n: [] for n in per_lang}
    for r in ct.STITCHED:
        cells = []
        for n in per_lang:
            tr, rw = trains[n]
            m = fitted(n, tr, rw, exclude=(r,))
            x, _, lang, _, g = lid_te[r]
            f = m.score(x, g, lang) >= 0
            for lg in set(lang.tolist()):
                hp = per_lang[n].setdefault(lg, [0, 0])
                hp[0] += int(f[lang == lg].sum())
                hp[1] += int((lang == lg).sum())
            x12, _, l12, _, g12 = lid_te["real12"]
            fr = m.score(x12, g12, l12) >= 0
            xe, _, le, _, ge = ende_te[r]
            de = (le == "de") & (ge != ctn.EN)
            fd = m.score(xe[de], ge[de], le[de]) >= 0
            hp = per_lang[n].setdefault("de-only set", [0, 0])
            hp[0] += int(fd.sum())
            hp[1] += int(de.sum())
            means[n].append(f[g != ctn.EN].mean())
            cells += [f"{f[g != ctn.EN].mean():.1%}", f"{fr[g12 != ctn.EN].mean():.1%}", f"{fd.mean():.1%}"]
        print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
    print("| mean | " + " | ".join(f"{np.mean(means[n]):.1%} | | " for n in per_lang) + " |")
    print("\nPer language, left out:\n")
    ctn.per_lang_table(per_lang, per_lang, sorted(per_lang["base"]))
    return 0


def _rec(m, sets, lg):
    hit = tot = 0
    for r in ct.STITCHED:
        x, _, lang, _, g = sets[r]
        sel = (lang == lg)
        hit += int((m.score(x[sel], g[sel], lang[sel]) >= 0).sum())
        tot += int(sel.sum())
    return hit / max(1, tot)


def gaps(args):
    """Per language (one-language test half; real pages labelled by lid.176): for the lexical signals, the median of
    the real pages of 12+ sentences and of the stitched pages (nine recipes), in standard deviations of all real
    pages, and the signal's ROC AUC (folded: 0.5 = no separation)."""
    _, te, _ = load_dir(args, args.recipes_lid, args.cache_lid, lid_labels=True)
    names = ("reuse", "spectral2", "local_cohesion", "cohesion_z", "novelty_late", "outlier_fraction", "pair_low",
             "habit_clashes", "chrome_fraction", "log_sentences")
    js = [DOC_FEATURES.index(n) for n in names]
    xr, _, lr, _, _ = te["real12"]
    sd = xr.std(0) + 1e-9
    langs = [lg for lg in sorted(set(lr.tolist())) if lg in KNOWN + ("en",)]
    print("\n| language | pages (stitched / real) | " + " | ".join(f"{n}: real / stitched / AUC" for n in names)
          + " |\n|---|---|" + "---|" * len(names))
    for lg in langs:
        p = np.vstack([te[r][0][te[r][2] == lg] for r in ct.STITCHED])
        q = xr[lr == lg]
        cells = []
        for j in js:
            a = auc(p[:, j], q[:, j])
            cells.append(f"{np.median(q[:, j]) / sd[j]:+.2f} / {np.median(p[:, j]) / sd[j]:+.2f} / {max(a, 1 - a):.2f}")
        print(f"| {lg} | {len(p)} / {len(q)} | " + " | ".join(cells) + " |")
    return 0


def own_heads(args):
    """A probe, not a candidate: a head fitted on one language's pages alone (as the English head is), its ROC AUC
    on the language's test pages against the shipped model's. Stitched pages of the one-language set (and, for de
    and en, the German/English-only set), real pages labelled by lid.176."""
    lid_tr, lid_te, _ = load_dir(args, args.recipes_lid, args.cache_lid, lid_labels=True)
    ende_tr, ende_te, _ = load_dir(args, args.recipes_ende, args.cache_ende, lid_labels=True)
    shipped = ctn.variant("shipped").fit(lid_tr)
    print("\n| language | training stitched pages | test stitched / real 12+ | shipped AUC | own head AUC | "
          "non-English fit AUC |\n|---|---|---|---|---|---|")
    for lg in args.langs.split(","):
        def part(sets_list, keys):
            out = {}
            for k in keys:
                vs = [tuple(a[(v[k][2] == lg)] for a in v[k]) for v in sets_list if k in v]
                out[k] = tuple(np.concatenate(z) for z in zip(*vs))
            return out
        both = [lid_tr, ende_tr] if lg in ("de", "en") else [lid_tr]
        tr = part(both, ct.STITCHED + ("untouched",))
        tr.update(part([lid_tr], ("real", "real12")))
        te = part([lid_te, ende_te] if lg in ("de", "en") else [lid_te], ct.STITCHED)
        te.update(part([lid_te], ("real12",)))
        old = ct.LANG_POWER
        ct.LANG_POWER = 0.0
        m = ct.train_on({k: v[:4] for k, v in tr.items()}, 0.015)
        ct.LANG_POWER = old
        p = np.vstack([te[r][0] for r in ct.STITCHED])
        pg = np.concatenate([te[r][4] for r in ct.STITCHED])
        q, qg = te["real12"][0], te["real12"][4]
        sp = shipped.score(p, pg, np.full(len(p), lg))
        sq = shipped.score(q, qg, np.full(len(q), lg))
        nf = shipped.groups["latin"]
        print(f"| {lg} | {sum(len(tr[r][1]) for r in ct.STITCHED)} | {len(p)} / {len(q)} | {auc(sp, sq):.3f} | "
              f"{auc(ct.score(m, p), ct.score(m, q)):.3f} | {auc(ct.score(nf, p), ct.score(nf, q)):.3f} |", flush=True)
    return 0


class OwnHead:
    """For the next stop, not a candidate of this one (its ranking was read on the test half first): ``base`` for
    every page, except a page of language ``lang`` (not guessed English), judged by a head fitted on that language's
    pages alone as the English head is (coherence_lang_heads.Groups: bias out of fold, 3 folds by page, so that
    ``fp`` of its training real pages of 12+ sentences score >= 0.5; a page the pooled fit scores >= POOLED_SURE
    keeps that score)."""

    def __init__(self, base, lang, fp=0.010):
        self.base, self.lang, self.fp, self.name = base, lang, fp, f"base+{lang} head"

    def fit(self, sets_list, exclude=()):
        lg = self.lang
        keys = ct.STITCHED + ("untouched",)
        part = {}
        for k in keys + ("real", "real12"):
            src = sets_list if k in keys else sets_list[:1]
            vs = [tuple(a[(v[k][2] == lg) & (v[k][4] != ctn.EN)] for a in v[k][:4]) for v in src]
            part[k] = tuple(np.concatenate(z) for z in zip(*vs))
        old = ct.LANG_POWER
        ct.LANG_POWER = 0.0
        try:
            m = ct.train_on(part, self.fp, exclude=exclude)
            o = ct.oof_scores(part, self.fp, exclude=exclude)
            shift = -ct._cut(o, np.full(len(o), 1.0 / len(o)), self.fp)
            for mh in m.values():
                mh["b"] += shift
        finally:
            ct.LANG_POWER = old
        self.m = m
        return self

    def score(self, x, g, lang):
        s = self.base.score(x, g, lang)
        sel = (lang == self.lang) & (g != ctn.EN)
        if sel.any():
            p = ct.score(self.base.pooled, x[sel])
            s[sel] = np.maximum(ct.score(self.m, x[sel]), np.where(p >= ctn.POOLED_SURE, p, -30.0))
        return s


def own_head_run(args):
    """OwnHead for German: all recipes in and leave one recipe out, against base (the shipped recipe refit on the
    old sets), on the one-language test half and the German-only set."""
    old_tr, _, old_rows = load_dir(args, args.recipes, args.cache)
    lid_tr, lid_te, lid_rows = load_dir(args, args.recipes_lid, args.cache_lid, lid_labels=True)
    ende_tr, ende_te, _ = load_dir(args, args.recipes_ende, args.cache_ende, lid_labels=True)
    orig = ct.featurise
    ct.featurise = clh._with_groups(orig)
    try:
        turku = ctn.turku_set(args)
    finally:
        ct.featurise = orig
    langs = sorted(set(lid_te["real12"][2].tolist()) & set(KNOWN + ("en",)))
    for r in (None,) + (ct.STITCHED if args.loro else ()):
        ex = () if r is None else (r,)
        base = fitted("base", old_tr, old_rows, exclude=ex)
        own = OwnHead(base, "de").fit([lid_tr, ende_tr], exclude=ex)
        if r is None:
            for n, m in (("base", base), ("base+de head", own)):
                cells = []
                for lg in langs:
                    hit, tot, k, nn = ctn.flagged_in(m, lid_te, lg)
                    lo, hi = ctn.wilson(k, nn)
                    cells.append(f"{lg} {hit / max(1, tot):.0%} / {k / max(1, nn):.1%} ({lo:.1%}-{hi:.1%}, {nn})")
                x, lang, g = turku
                tk = ", ".join(f"{lg} {(m.score(x[lang == lg], g[lang == lg], lang[lang == lg]) >= 0).mean():.1%}"
                               for lg in sorted(set(lang.tolist())))
                print(f"\n{n}: " + "; ".join(cells) + f"\nTurku kept: {tk}\nde-only set: {_rec(m, ende_te, 'de'):.1%}",
                      flush=True)
            continue
        cells = []
        for m in (base, own):
            x, _, lang, _, g = lid_te[r]
            f = m.score(x, g, lang) >= 0
            de = (lang == "de") & (g != ctn.EN)
            xe, _, le, _, ge = ende_te[r]
            d2 = (le == "de") & (ge != ctn.EN)
            fd = m.score(xe[d2], ge[d2], le[d2]) >= 0
            x12, _, l12, _, g12 = lid_te["real12"]
            fr = m.score(x12, g12, l12) >= 0
            sel = (l12 == "de") & (g12 != ctn.EN)
            cells += [f"{f[g != ctn.EN].mean():.1%}", f"{f[de].mean():.0%} ({de.sum()})", f"{fd.mean():.1%}",
                      f"{fr[sel].mean():.1%}"]
        print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("compose", "signals", "pairs", "read", "heads", "experiment", "gaps", "own", "ownhead"))
    ap.add_argument("--recipes-lid", default="bench/out/recipes_lid")
    ap.add_argument("--cache-lid", default="bench/out/features_lid")
    ap.add_argument("--recipes-ende", default="bench/out/recipes_ende")
    ap.add_argument("--cache-ende", default="bench/out/features_ende")
    ap.add_argument("--loro", action="store_true")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("--langs", default="en,de,fr,sv,fi")
    ap.add_argument("--out", default="bench/out/langgap_read.txt")
    args = ap.parse_args(argv)
    return {"compose": compose, "signals": signals, "pairs": pairs, "read": read, "heads": heads,
            "experiment": experiment, "gaps": gaps, "own": own_heads, "ownhead": own_head_run}[args.what](args)



def heads(args):
    """ROC AUC of each head of the model file, per language (stitched nine recipes vs real 12+, test half)."""
    train, test = (ctn.relabel(s) for s in clh.load_sets(args))
    shipped = ctn.variant("shipped").fit(train)
    hs = {"English head": shipped.groups.get("en"), "non-English fit": shipped.groups.get("latin"),
          "pooled fit": shipped.pooled}
    langs = sorted(set(test["real12"][2].tolist()))
    print("\n| head | " + " | ".join(langs) + " |\n|---|" + "---|" * len(langs))
    for hn, hm in hs.items():
        cells = []
        for lg in langs:
            p = np.vstack([test[r][0][test[r][2] == lg] for r in ct.STITCHED])
            q = test["real12"][0][test["real12"][2] == lg]
            cells.append(f"{auc(ct.score(hm, p), ct.score(hm, q)):.3f}")
        print(f"| {hn} | " + " | ".join(cells) + " |")
    cells = []
    for lg in langs:
        p = [test[r] for r in ct.STITCHED]
        sp = np.concatenate([shipped.score(v[0][v[2] == lg], v[4][v[2] == lg], v[2][v[2] == lg]) for v in p])
        v = test["real12"]
        sq = shipped.score(v[0][v[2] == lg], v[4][v[2] == lg], v[2][v[2] == lg])
        cells.append(f"{auc(sp, sq):.3f}")
    print("| shipped (as the step) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
