"""Boundary and style change-point signals for the stitched-page model, measured, not shipped (bench/results/
coherence.md, "Stop 27: boundary and style signals (session stylecp)"): compute them for every page of
bench/coherence_train.py's sets, look at each alone, and refit the default tier's page model with them.

Where does one source end and the next begin? Change points of a page's sentence sequence, against its own shuffles.

A block-stitched page is a few runs of coherent sentences, one after another. Each run is written by one hand, so
the sequence of its sentences changes at the stitches: in style (sentence and word length, digits, capitals,
punctuation and quote habits, the function words a writer leans on) and in vocabulary. None of that needs to know
the language. What differs from language to language is the *level* of every such measure (Hindi sentences share
fewer stems than Swedish ones, Chinese has no short words), so each statistic here is read against the same page
with its sentences shuffled: a z-score of "how much better do contiguous segments separate than the same number of
segments drawn anywhere", which is about 0 for a page whose order carries no segments and large for one that is
made of blocks, whatever the language's level.

The statistic is kernel change-point detection (Arlot, Celisse and Harchaoui, 2019): for a similarity matrix K of
the page's sentences and a segmentation into contiguous segments s, T = sum over s of (sum of K over s x s) / |s|,
the within-segment similarity each segment keeps (for K = Z Z^T it is the between-segment sum of squares of the
rows of Z plus a constant). The best segmentation into 2 and into 3 segments is found exactly from the 2-D prefix
sums of K (O(n^2) for 3 segments); the null is the same maximum over the page's sentences in PERMUTATIONS random
orders (seeded from the page's sentences: the same page always gets the same orders). Kernels:

* ``style``: the _pairs.STYLE vector of each sentence, its continuous measures standardised within the page
  (clipped at 3), its binary habits centred (a rare habit is not blown up to a large z);
* ``lexical``: shared repeated content stems, cosine-normalised;
* ``short``: shared short words (mostly function words), cosine-normalised (empty in Chinese: its z is 0);
* ``pairs``: the same-source log-odds of _pairs.pair_logits (style and vocabulary together, learnt on real
  pages).

Many segments (MULTI_SIGNALS): the best segmentation into k = 2..6 segments of 2+ sentences, by dynamic programming
on the same prefix sums, for the style and pair kernels, each against the page's own shuffles.

    PYTHONPATH=src .venv/bin/python bench/coherence_boundary.py --data ../shared/data precompute
    PYTHONPATH=src .venv/bin/python bench/coherence_boundary.py --data ../shared/data check
    PYTHONPATH=src .venv/bin/python bench/coherence_boundary.py --data ../shared/data single
    PYTHONPATH=src .venv/bin/python bench/coherence_boundary.py --data ../shared/data fit [--loro] [--lolo] \
        [--tables] --variants shipped base base+style_multi2_z+... old+...

``precompute`` fills bench/out/features/*.boundary.pkl and *.multi.pkl (the analysis and the pair log-odds of each
text: every recipe file of both halves, the real pages in three layouts, the Turku kept lines; keyed like
coherence_train's caches); bench/coherence_train.py's own caches must be there too (bench/coherence_train_nonen.py
builds them). ``check``: the segmentations against an exhaustive search. ``single``: each signal's ROC AUC alone,
stitched vs real pages of 12+ sentences, per language and per recipe. ``fit``: coherence_train_nonen.py's shipped
recipe refit on these pages without (``base``) and with (``base+S1+S2``) the signals, the pooled fit of the blend
refit on the same columns (``old+...``: the pooled fit keeps the base columns), side by side with the model file
(``shipped``); ``...@blocks`` / ``...@spun``: the new signals in that head only. Printed: ranking, recall per language and recipe, real pages of 12+ flagged (Wilson intervals), Turku,
leave one recipe out, leave one language out.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import coherence_train as ct  # noqa: E402

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps.coherence import analyse  # noqa: E402
from winnow.steps.coherence._pairs import PAIR_MODEL, pair_logits, page_vectors  # noqa: E402


N_CONT = 8  # _pairs.STYLE: the first 8 measures are continuous, the rest binary habits
# Random orders of the page's sentences that make up the null (not tuned): with 20 the null's mean is known to
# 1/sqrt(20) ~ 0.22 of its spread, against medians of the pair kernel's z of ~1.8 on real pages and 6.7-8.6 on
# block pages (train half); each order costs two (n + 1)^2 prefix sums and one (n + 1)^2 maximum.
PERMUTATIONS = 20
# The shortest segment a segmentation may have: a mean over fewer sentences is one sentence's quirks.
MIN_SEGMENT = 3
# z-scores are clipped (not tuned): the page model weighs their squares too, and a long page of two blocks lies far
# out; at 12, 0.6-3.6% of the train half's real pages and 0-26% of its block pages sit at the clip.
Z_CLIP = 12.0


def _best(K: np.ndarray, m: int = MIN_SEGMENT) -> np.ndarray:
    """(..., 2): the best T over contiguous 2-segment and 3-segment segmentations of each (..., n, n) matrix."""
    n = K.shape[-1]
    C = np.zeros(K.shape[:-2] + (n + 1, n + 1))
    C[..., 1:, 1:] = K.cumsum(-1).cumsum(-2)
    d = np.diagonal(C, axis1=-2, axis2=-1)  # d[g] = sum of K over [0, g) x [0, g)
    tot = d[..., n]
    col = C[..., :, n]  # col[g] = sum of K over [0, g) x [0, n)
    g = np.arange(m, n - m + 1)
    # within the first segment, within the last (K is symmetric: C[g, n] = C[n, g])
    first = d / np.maximum(np.arange(n + 1), 1)
    last = (tot[..., None] - 2 * col + d) / np.maximum(n - np.arange(n + 1), 1)
    two = (first[..., g] + last[..., g]).max(-1) if len(g) else np.full(K.shape[:-2], -np.inf)
    three = np.full(K.shape[:-2], -np.inf)
    if n - 2 * m >= m:
        # cuts a in [m, n - 2m], b in [2m, n - m], b - a >= m: ranges, so the (a, b) grid is a slice of C
        a = np.arange(m, n - 2 * m + 1)
        b = np.arange(2 * m, n - m + 1)
        size = b[None, :] - a[:, None]
        ok = size >= m
        mid = (d[..., b][..., None, :] - 2 * C[..., m:n - 2 * m + 1, 2 * m:n - m + 1] + d[..., a][..., :, None])
        t = first[..., a][..., :, None] + last[..., b][..., None, :] + mid / np.where(ok, size, 1)
        three = np.where(ok, t, -np.inf).max((-2, -1))
    return np.stack([two, three], -1)


def change_z(K: np.ndarray, rng: np.random.Generator, perms: int = PERMUTATIONS) -> tuple[float, float]:
    """(z of the best 2-segment T, z of the best 3-segment T) of K against K in ``perms`` random orders."""
    n = K.shape[0]
    if n < 2 * MIN_SEGMENT + 2:
        return 0.0, 0.0
    obs = _best(K)
    p = np.argsort(rng.random((perms, n)), axis=1)
    null = _best(K[p[:, :, None], p[:, None, :]])
    if n < 3 * MIN_SEGMENT:  # too short for three segments: the 2-segment figure stands for both
        obs[1], null[:, 1] = obs[0], null[:, 0]
    mu, sd = null.mean(0), null.std(0)
    # A page whose null has no spread (every sentence alike) has nothing to find.
    z = np.where(sd > 1e-9, (obs - mu) / np.maximum(sd, 1e-9), 0.0)
    z = np.clip(z, -Z_CLIP, Z_CLIP)
    return float(z[0]), float(z[1])


def _cosine(m: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Cosine of 0/1 rows ``m`` whose norms also count ``extra`` items each row has alone (not in m)."""
    k = m.sum(1) + extra
    s = m @ m.T
    return s / np.sqrt(np.maximum(1.0, k[:, None] * k[None, :]))


KERNELS = ("style", "lexical", "short", "pairs")
CP_SIGNALS = tuple(f"{k}_cp{s}_z" for k in KERNELS for s in (2, 3))


def seed(texts: list[str]) -> int:
    return zlib.crc32("\n".join(texts).encode("utf-8", "surrogatepass"))


def kernels(sty: np.ndarray, inc: tuple, lg: np.ndarray | None) -> dict[str, np.ndarray]:
    """The (n, n) similarity matrices of KERNELS from _pairs.page_vectors's style matrix and incidences and the
    pair log-odds (None: no pair kernel)."""
    c = sty[:, :N_CONT]
    sd = c.std(0)
    zc = np.clip((c - c.mean(0)) / np.where(sd > 1e-9, sd, 1.0), -3.0, 3.0)
    b = sty[:, N_CONT:] - sty[:, N_CONT:].mean(0)
    z = np.c_[zc, b]
    (ms, lone, _), _, (mh, slone, _) = inc
    out = {"style": z @ z.T, "lexical": _cosine(ms, lone), "short": _cosine(mh, slone)}
    if lg is not None:
        k = lg.copy()
        np.fill_diagonal(k, 0.0)
        out["pairs"] = k
    return out


def boundary_signals(texts: list[str], sty: np.ndarray, inc: tuple, lg: np.ndarray | None) -> tuple:
    """CP_SIGNALS of a page's content sentences (in order), from _pairs.page_vectors's answer and pair log-odds."""
    rng = np.random.default_rng(seed(texts))
    ks = kernels(sty, inc, lg)
    out: list[float] = []
    for name in KERNELS:
        out += change_z(ks[name], rng) if name in ks else (0.0, 0.0)
    return tuple(out)


# Many segments: the best segmentation into k = 2..KMAX contiguous segments of MULTI_MIN_SEGMENT+ sentences (dynamic
# programming over the prefix sums, O(k n^2)), each against the page's own shuffles. A block page of 4-8 sources has
# 3-7 stitches, which a 2- or 3-segment split sees only in part. KMAX 6: 2-8 sources in the recipes' range, and
# the cost grows with k; segments of 2: block_short's shortest runs (chosen from the recipes' description, not
# from any measure).
KMAX = 6
MULTI_MIN_SEGMENT = 2
MULTI_KERNELS = ("style", "pairs")
MULTI_SIGNALS = tuple(f"{k}_multi{j}_z" for k in MULTI_KERNELS for j in range(2, KMAX + 1))


def best_k(K: np.ndarray, m: int = MULTI_MIN_SEGMENT, kmax: int = KMAX) -> np.ndarray:
    """(..., kmax - 1): the best T over contiguous segmentations into k = 2..kmax segments of m+ sentences."""
    n = K.shape[-1]
    C = np.zeros(K.shape[:-2] + (n + 1, n + 1))
    C[..., 1:, 1:] = K.cumsum(-1).cumsum(-2)
    d = np.diagonal(C, axis1=-2, axis2=-1)
    idx = np.arange(n + 1)
    size = idx[None, :] - idx[:, None]
    # G[a, b]: what segment [a, b) keeps, -inf when shorter than m
    G = np.where(size >= m, (d[..., None, :] - 2 * C + d[..., :, None]) / np.maximum(size, 1), -np.inf)
    F = G[..., 0, :]  # F[b]: the best for [0, b) in one segment
    out = []
    for _ in range(2, kmax + 1):
        F = (F[..., :, None] + G).max(-2)
        out.append(F[..., n])
    return np.stack(out, -1)


def multi_z(K: np.ndarray, rng: np.random.Generator, perms: int = PERMUTATIONS) -> np.ndarray:
    """z of best_k(K) against K in ``perms`` random orders (0 where a page is too short for k segments)."""
    n = K.shape[0]
    obs = best_k(K)
    p = np.argsort(rng.random((perms, n)), axis=1)
    null = best_k(K[p[:, :, None], p[:, None, :]])
    ok = np.isfinite(obs)
    fin = np.where(np.isfinite(null), null, 0.0)
    mu, sd = fin.mean(0), fin.std(0)
    with np.errstate(invalid="ignore"):
        z = np.where(ok & (sd > 1e-9), (obs - mu) / np.maximum(sd, 1e-9), 0.0)
    return np.clip(z, -Z_CLIP, Z_CLIP)


def multi_signals(texts: list[str], sty: np.ndarray, inc: tuple, lg: np.ndarray) -> tuple:
    """MULTI_SIGNALS of a page's content sentences (its own random orders, seeded as boundary_signals's)."""
    ks = kernels(sty, inc, lg)
    rng = np.random.default_rng(seed(texts))
    return tuple(float(v) for name in MULTI_KERNELS for v in multi_z(ks[name], rng))


def _prepare(t: str):
    a = analyse(t)
    v = page_vectors(t, a.sentences)
    if v is None:
        return None
    texts, sty, stems, caps, short, inc, _ = v
    df = dict(zip(inc[0][2], inc[0][0].sum(0)))
    return texts, sty, inc, pair_logits(sty, stems, caps, df, short, inc=inc)


def page(t: str) -> tuple:
    p = _prepare(t)
    return (0.0,) * len(CP_SIGNALS) if p is None else boundary_signals(*p)


def page_multi(t: str) -> tuple:
    p = _prepare(t)
    return (0.0,) * len(MULTI_SIGNALS) if p is None else multi_signals(*p)


SIGNALS = CP_SIGNALS + MULTI_SIGNALS


def boundary(texts, cache_file):
    """SIGNALS of each text, cached in two files (the change points of 2-3 segments were computed first)."""
    (x,) = ct._cached(cache_file.replace(".pkl", ".boundary.pkl"), ct._key(CP_SIGNALS, texts, [PAIR_MODEL]),
                      lambda: [np.array([page(t) for t in texts])])
    (y,) = ct._cached(cache_file.replace(".pkl", ".multi.pkl"), ct._key(MULTI_SIGNALS, texts, [PAIR_MODEL]),
                      lambda: [np.array([page_multi(t) for t in texts])])
    return np.c_[x, y]


def all_texts(args):
    """(texts, cache file) of every set coherence_train.dataset and coherence_train_nonen.turku_set read."""
    import coherence_train_nonen as ne
    from coherence_recipes import load
    out = []
    pages, _ = load(args.data)
    for split in ("train", "test"):
        for r in ct.STITCHED + ("untouched", "inserted_web", "inserted_turku"):
            with gzip.open(os.path.join(args.recipes, f"{split}.{r}.jsonl.gz"), "rt") as f:
                out.append(([json.loads(x)["text"] for x in f], os.path.join(args.cache, f"{split}.{r}.pkl")))
        texts = []
        for lang, lst in sorted(pages[split].items()):
            for t in lst:
                texts += [t, " ".join(t.split()), "\n".join(" ".join(t[a:b].split()) for a, b in sentence_spans(t))]
        out.append((texts, os.path.join(args.cache, f"{split}.real.pkl")))
    out.append(([t for _, t in ne.turku_pages(args.data)], os.path.join(args.cache, "turku_kept.pkl")))
    return out


def precompute(args):
    for texts, cache in all_texts(args):
        t0 = time.process_time()
        boundary(texts, cache)
        print(f"{os.path.basename(cache)}: {len(texts)} texts, {time.process_time() - t0:.0f} s CPU",
              file=sys.stderr, flush=True)


def with_boundary(featurise, cols):
    """coherence_train.featurise with the boundary signals ``cols`` appended (before coherence_lang_heads's row and
    group columns, which it appends after this)."""
    def wrapped(texts, cache_file):
        x, n = featurise(texts, cache_file)
        if not cols:
            return x, n
        b = boundary(texts, cache_file)
        return np.c_[x, b[:, [SIGNALS.index(c) for c in cols]]], n
    return wrapped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--cache", default="bench/out/features")
    ap.add_argument("what", choices=("precompute", "check", "single", "fit"))
    args, rest = ap.parse_known_args(argv)
    if args.what == "check":
        return check()
    if args.what == "precompute":
        precompute(args)
        return 0
    if args.what == "single":
        return single(args)
    return fit_main(args, rest)


def check():
    """_best and best_k against an exhaustive search of the segmentations, on random kernels and a batch of them."""
    import itertools
    rng = np.random.default_rng(0)
    for n in (9, 10, 13, 16):
        x = rng.normal(size=(n, 5))
        K = x @ x.T

        def t(cuts):
            b = [0, *cuts, n]
            return sum(K[i:j, i:j].sum() / (j - i) for i, j in zip(b, b[1:]))

        def brute(k, m):
            c = [t(cs) for cs in itertools.combinations(range(1, n), k - 1)
                 if all(j - i >= m for i, j in zip((0,) + cs, cs + (n,)))]
            return max(c) if c else -np.inf
        want = [brute(2, MIN_SEGMENT), brute(3, MIN_SEGMENT)]
        assert np.allclose(_best(K), want), (n, _best(K), want)
        want = [brute(k, MULTI_MIN_SEGMENT) for k in range(2, KMAX + 1)]
        assert np.allclose(best_k(K), want), (n, best_k(K), want)
        p = np.array([rng.permutation(n) for _ in range(3)])
        bk = best_k(K[p[:, :, None], p[:, None, :]])
        assert np.allclose(bk[1], best_k(K[np.ix_(p[1], p[1])]))
    # a page of three blocks stands out; the same sentences shuffled do not
    x = np.r_[rng.normal(size=(14, 6)), rng.normal(size=(14, 6)) + 1.2, rng.normal(size=(14, 6)) - 1.2]
    blocks = change_z(x @ x.T, np.random.default_rng(1))
    y = x[rng.permutation(len(x))]
    shuffled = change_z(y @ y.T, np.random.default_rng(1))
    assert min(blocks) > 4 and max(shuffled) < 2, (blocks, shuffled)
    assert multi_z(x @ x.T, np.random.default_rng(1)).min() > 4
    print("check: segmentations = exhaustive search; blocks z", np.round(blocks, 1), "shuffled", np.round(shuffled, 1))
    return 0


def single(args):
    """Each signal alone: ROC AUC of stitched pages (each recipe) vs real pages of 12+ sentences, per language."""
    import coherence_train_nonen as ne
    train, test, _ = _load(args)
    nb = len(SIGNALS)
    for name, d in (("train", train), ("test", test)):
        x12, _, l12, _, g12 = d["real12"]
        langs = sorted(set(l12.tolist()))
        print(f"\n## {name} half: ROC AUC of each signal, stitched (9 recipes) vs real 12+, per language\n")
        print("| signal | " + " | ".join(langs) + " | mean | block recipes (mean of 5) |\n|---" +
              "|---" * (len(langs) + 2) + "|")
        blocks = [r for r in ct.STITCHED if r.startswith("block")]
        for j in range(nb):
            col = x12.shape[1] - nb + j
            cells = []
            for lg in langs:
                pos = np.concatenate([d[r][0][d[r][2] == lg, col] for r in ct.STITCHED])
                cells.append(ne.auc(pos, x12[l12 == lg, col]))
            bl = np.mean([ne.auc(d[r][0][:, col], x12[:, col]) for r in blocks])
            print(f"| {SIGNALS[j]} | " + " | ".join(f"{c:.3f}" for c in cells) + f" | {np.mean(cells):.3f} | "
                  f"{bl:.3f} |")
        print("\nper recipe (all languages): " + "; ".join(
            f"{r} " + ", ".join(f"{ne.auc(d[r][0][:, x12.shape[1] - nb + j], x12[:, x12.shape[1] - nb + j]):.2f}"
                                for j in range(nb)) for r in ct.STITCHED))
    return 0


ND = 0  # the number of base features (DOC_FEATURES), set when the sets are loaded


def _load(args):
    import coherence_lang_heads as clh
    import coherence_train_nonen as ne
    global ND
    from winnow.steps.coherence import DOC_FEATURES
    ND = len(DOC_FEATURES)
    ct.featurise = with_boundary(ct.featurise, list(SIGNALS))
    train, test = (ne.relabel(s) for s in clh.load_sets(args))
    return train, test, ne.turku_set(args)


def _cols(sets, cols):
    idx = list(range(ND)) + [ND + SIGNALS.index(c) for c in cols]
    return {k: (v[0][:, idx],) + tuple(v[1:]) for k, v in sets.items()}


def variant(spec):
    """``base`` / ``+sig1+sig2``: coherence_train_nonen's shipped recipe (SHIP: the fit on the pages not English,
    shifted per language, blended with a pooled fit) refit on these pages, the pooled fit of the blend refit on the
    same columns; ``shipped``: the model file as it is. English pages: the file's English head (not refit) in
    every variant."""
    import coherence_train_nonen as ne
    if spec == "shipped":
        class S(ne.Shipped):
            def score(self, x, g, lang):
                return super().score(x[:, :ND], g, lang)
        v = S()
        v.name = spec
        return v
    full = spec
    spec, _, only = spec.partition("@")
    cols = [c for c in spec.split("+")[1:] if c]
    # "old+...": the pooled fit of the blend stays on the base features (as the file's pooled heads would if only
    # the fit of the pages not English took the new signals); "base+...": it is refit with them too.
    pooled_cols = [] if spec.startswith("old") else cols
    base = ne.variant(ne.SHIP)
    file_pooled, file_groups = ne.shipped_model()

    class B(type(base)):
        def fit(self, train, exclude=(), lang_out=None):
            if not only:
                return self._fit(train, exclude, lang_out)
            # "...@spun" / "...@blocks": the new signals in that head only. coherence_train.train_on fits the heads
            # in HEADS order, each through coherence_train.fit on expand(x): the other head gets the new columns
            # (and their squares) as zeros, so its weights on them stay 0.
            fit0, calls = ct.fit, [0]
            heads = list(ct.HEADS)

            def masked(x, y, l2=1.0, sw=None):
                h = heads[calls[0] % len(heads)]
                calls[0] += 1
                if h != only and cols and x.shape[1] == 2 * (ND + len(cols)):
                    x = x.copy()
                    nb = ND + len(cols)
                    x[:, ND:nb] = 0.0
                    x[:, nb + ND:] = 0.0
                return fit0(x, y, l2=l2, sw=sw)
            ct.fit = masked
            try:
                return self._fit(train, exclude, lang_out)
            finally:
                ct.fit = fit0

        def _fit(self, train, exclude=(), lang_out=None):
            import coherence_lang_heads as clh
            tr = _cols(train, cols)
            ct.LANG_POWER = 0.0
            pooled = ct.train_on(clh.four(_cols(train, pooled_cols)), ne.FP, exclude=exclude, lang_out=lang_out)
            if pooled_cols != cols:
                # scored on the variant's columns: the new ones weigh 0 in the pooled heads
                k = len(cols)
                for h in pooled.values():
                    if isinstance(h, dict) and "w" in h:
                        nb = len(h["mean"]) // 2
                        h["mean"] = np.r_[h["mean"][:nb], np.zeros(k), h["mean"][nb:], np.zeros(k)]
                        h["scale"] = np.r_[h["scale"][:nb], np.ones(k), h["scale"][nb:], np.ones(k)]
                        h["w"] = np.r_[h["w"][:nb], np.zeros(k), h["w"][nb:], np.zeros(k)]
            ct.LANG_POWER = self.power
            ne.LANG_SHIFT.clear()
            ne.LANG_SHIFT.update(self.lshift)
            ne.BLEND.clear()
            ne.BLEND.update(w=self.bw, pooled=pooled)
            self.pooled = pooled
            self.m = ne.oof_fit(ne.four(tr, lambda v: v[4] != ne.EN), self.fp, exclude, lang_out)
            return self

        def score(self, x, g, lang):
            xs = x[:, list(range(ND)) + [ND + SIGNALS.index(c) for c in cols]]
            s = self.nonen(xs, g, lang)
            en = g == ne.EN
            if en.any():
                p = ct.score(file_pooled, x[en, :ND])
                s[en] = np.maximum(ct.score(file_groups["en"], x[en, :ND]), np.where(p >= ne.POOLED_SURE, p, -30.0))
            return s
    v = B()
    v.__dict__.update(base.__dict__)
    v.name = full
    return v


def fit_main(args, rest):
    import coherence_train_nonen as ne
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="*", default=["shipped", "base"])
    ap.add_argument("--loro", action="store_true")
    ap.add_argument("--lolo", action="store_true")
    ap.add_argument("--tables", action="store_true")
    o = ap.parse_args(rest)
    t0 = time.process_time()
    train, test, turku = _load(args)
    langs = sorted(set(test["real12"][2]))
    models = {s: variant(s).fit(train) for s in o.variants}
    print(f"fits: {time.process_time() - t0:.0f} s CPU", file=sys.stderr, flush=True)
    ne.ranking(models, test, langs)
    ne.summary(models, test, turku, langs)
    if o.tables:
        ne.recall_table(models, test, langs, "All recipes in the fit, test half: flagged per language and recipe")
        ne.real_table(models, turku, "Turku kept lines (12+ sentences, as they are and flattened): flagged")
    if o.loro:
        print("\n## Leave one recipe out: recall on the left-out recipe's test pages not guessed English; real 12+ "
              "not English flagged by the same fit\n")
        print("| left out | " + " | ".join(f"{n} | {n} real" for n in models) + " |\n|---" +
              "|---|---" * len(models) + "|")
        mean = {n: [] for n in models}
        per_lang = {n: {} for n in models}
        for r in ct.STITCHED:
            cells = []
            for n in models:
                m = variant(n).fit(train, exclude=(r,))
                x, _, lang, _, g = test[r]
                f = m.score(x, g, lang) >= 0
                for lg in set(lang[g != ne.EN].tolist()):
                    hp = per_lang[n].setdefault(lg, [0, 0])
                    sel = (lang == lg) & (g != ne.EN)
                    hp[0] += int(f[sel].sum())
                    hp[1] += int(sel.sum())
                x12, _, l12, _, g12 = test["real12"]
                fr = m.score(x12, g12, l12) >= 0
                mean[n].append(f[g != ne.EN].mean())
                cells += [f"{f[g != ne.EN].mean():.1%}", f"{fr[g12 != ne.EN].mean():.1%}"]
            print(f"| {r} | " + " | ".join(cells) + " |", flush=True)
        print("| mean | " + " | ".join(f"{np.mean(mean[n]):.1%} | " for n in models) + " |")
        print("\nPer language (pages not guessed English), all nine left-out recipes together\n")
        ne.per_lang_table(models, per_lang, sorted(per_lang[next(iter(models))]))
    if o.lolo:
        ne.lolo_header(models)
        for lg in langs:
            if lg == "en":
                continue
            cells = []
            for n in models:
                m = variant(n).fit(train, lang_out=lg)
                ne.LANG_OUT[0] = lg
                hit, tot, k, nn = ne.flagged_in(m, test, lg)
                cells += [f"{hit / max(tot, 1):.1%}", f"{k / max(1, nn):.1%} ({k}/{nn})"]
            ne.LANG_OUT[0] = None
            print(f"| {lg} | " + " | ".join(cells) + " |", flush=True)
    print(f"total: {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
