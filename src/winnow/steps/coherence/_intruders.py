"""Which runs of sentences of a page were inserted from another page? Segment evidence for offtopic_sentences.

Sentences lifted from other pages come in clumps: one, two or three consecutive sentences of the same donor page,
dropped at a sentence boundary of the host. Judged one by one, a sentence of a clump looks at home: its neighbours
are its own kin and share its words. Judged as a unit, the clump stands out: the run shares few words and few
habits with the page outside it, and the sentences either side of it fit each other better than they fit the run
(the thread of the host goes over it). So every run of 1-3 consecutive content sentences is a candidate
*segment*, described by ``SEGMENT_FEATURES`` computed from the page's same-source pair log-odds
(_pairs.pair_logits, fitted on real pages only), the window model's gap log-odds at its two edges
(_windows.gap_logits), the page's stems it shares, and its language against the page's (fastText
lid.176 through _fastlid, when the model file is installed; a neutral 0 otherwise).

Donors recur: a page stuffed from five donors has several clumps of each, which tie to each other and not to the
host. A second round (``host_*`` features) weighs every other sentence by how much it looks like the host in the
first round (1 - its first-round probability), so clumps of one donor stop vouching for each other.

``chunk_probabilities`` scores every segment with the two rounds of gradient-boosted trees of
intruder_segments.json (fitted by bench/coherence_intruders.py on its own intruded pages; round two on round one's
out-of-fold probabilities) and ``decode`` keeps the most likely non-overlapping segments above a threshold, in
descending order, so the segments kept at a threshold are exactly the prefix of that order above it (what
``winnow whatif`` replays). Cost: the pair matrix of the page and ~3n segments' features, twice; only when
offtopic_sentences' ``intruder_prose_threshold`` is set (off by default: bench/results/coherence.md).
"""

from __future__ import annotations

import functools

import numpy as np

from . import _pairs
from .. import _trees
from . import _windows

# Longest run judged as one inserted unit.
MAX_RUN = 3
# Content sentences judged at once: longer pages are judged in chunks of this many (the matrix stays ~0.1 MB).
CHUNK = 120
# Outside sentences on each side of a segment that make up its context.
_CTX = 3

BASE = ("out_mean", "out_share", "out_top3", "ctx_mean", "edge", "bridge_gain", "inner", "links_out",
        "strong_out", "log_stems", "gap2", "gap3", "page_mean", "log_n", "run2", "run3", "lang_off")
SEGMENT_FEATURES = BASE + ("host_mean", "host_top3", "host_links", "p1")


@functools.cache
def _lid():
    """fastText lid.176 (the language step's model file) through _fastlid, or None when not installed."""
    try:
        from .. import _fastlid
        from .._fasttext import lite_model_path

        return _fastlid.load(lite_model_path())
    except Exception:  # noqa: BLE001 - an optional extra: no model, no language evidence
        return None


def _lang(texts: list[str]) -> tuple[list[str | None], str | None]:
    """Per sentence its top language when fastText is sure (>= 0.5) and the sentence has 4+ words, and the page's
    language (the top label of all sentences together)."""
    lid = _lid()
    if lid is None:
        return [None] * len(texts), None
    out = []
    # (fastText's sigmoid overflows float32 on some sentences: exp(-d) becomes inf, the node's probability 0, as in
    # the library; the warning says nothing here.)
    with np.errstate(over="ignore"):
        for t in texts:
            line = " ".join(t.split())
            r = lid.predict(line) if len(line.split()) >= 4 or not line.isascii() else None
            out.append(r[0] if r and r[1] >= 0.5 else None)
        r = lid.predict(" ".join(" ".join(texts).split()))
    return out, (r[0] if r and r[1] >= 0.5 else None)


class Chunk:
    """The pair matrix, gap log-odds and incidences of up to CHUNK consecutive content sentences of a page."""

    def __init__(self, texts: list[str], stems: list[frozenset]):
        n = self.n = len(texts)
        sty = np.array([_pairs.style(t) for t in texts])
        caps = [_pairs.capitalised_words(t) for t in texts]
        short = [_pairs.short_words(t) for t in texts]
        inc = (_pairs.incidence(stems), _pairs.incidence(caps), _pairs.incidence(short))
        self.ms = inc[0][0]
        self.df = self.ms.sum(0)
        df = dict(zip(inc[0][2], self.df))
        lg = _pairs.pair_logits(sty, stems, caps, df, short, inc=inc)
        np.fill_diagonal(lg, 0.0)
        self.lg = lg
        self.size = np.array([len(s) for s in stems], dtype=float)
        gaps = _windows.gap_logits(_windows.Profiles(sty, inc)) or {}
        # gap g (between sentence g-1 and g) for every g in 0..n, NaN where the windows do not fit
        self.gap = {}
        for k in (2, 3):
            a = np.full(n + 1, np.nan)
            if k in gaps:
                a[k:n - k + 1] = gaps[k] - np.median(gaps[k])
            self.gap[k] = a
        langs, page = _lang(texts)
        self.lang_off = np.array([1.0 if (x is not None and page is not None and x != page) else 0.0
                                  for x in langs])
        self.page_mean = float(lg.sum() / max(1, n * (n - 1)))


def segments(n: int) -> list[tuple[int, int]]:
    return [(a, a + L) for L in range(1, MAX_RUN + 1) for a in range(0, n - L + 1)]


def _box(c2: np.ndarray, r0, r1, c0, c1):
    """Sums of a matrix over rows r0..r1-1 and columns c0..c1-1 (arrays of bounds) from its 2-D prefix sums."""
    return c2[r1, c1] - c2[r0, c1] - c2[r1, c0] + c2[r0, c0]


def _prefix2(m: np.ndarray) -> np.ndarray:
    c2 = np.zeros((m.shape[0] + 1, m.shape[1] + 1))
    c2[1:, 1:] = np.cumsum(np.cumsum(m, 0), 1)
    return c2


def _top_outside(lg: np.ndarray, cols_ok: np.ndarray, a: np.ndarray, L: int, k: int = 3) -> np.ndarray:
    """Per segment [a, a+L): the mean over its rows of each row's k best log-odds with sentences outside the segment
    whose column is allowed (cols_ok); NaN where a row has none."""
    n = lg.shape[0]
    m = np.where(cols_ok[None, :], lg, -np.inf)
    np.fill_diagonal(m, -np.inf)
    kk = min(n, k + MAX_RUN)
    order = np.argsort(-m, 1, kind="stable")[:, :kk]
    vals = np.take_along_axis(m, order, 1)
    rows = a[:, None] + np.arange(L)[None, :]  # (segs, L)
    v, cidx = vals[rows], order[rows]  # (segs, L, kk)
    ok = ((cidx < a[:, None, None]) | (cidx >= a[:, None, None] + L)) & np.isfinite(v)
    first = ok & (np.cumsum(ok, 2) <= k)
    cnt = first.sum(2)
    per_row = np.where(cnt > 0, np.where(first, v, 0.0).sum(2) / np.maximum(1, cnt), np.nan)
    return per_row.mean(1)


def features(c: Chunk, segs: list[tuple[int, int]], host: np.ndarray | None = None) -> np.ndarray:
    """(len(segs), len(SEGMENT_FEATURES)) in the order of ``segs`` (as segments() lists them); ``host``: per
    sentence the weight of a host sentence (1 - first-round probability); None for the first round (host_* then
    equal the plain ones and p1 = 0)."""
    n, lg, ms, df = c.n, c.lg, c.ms, c.df
    w = np.ones(n) if host is None else host
    c_lg = _prefix2(lg)
    c_pos = _prefix2((lg > 0).astype(float))
    c_w = _prefix2(lg * w[None, :])
    pm = np.zeros((n + 1, ms.shape[1]))
    np.cumsum(ms, 0, out=pm[1:])
    pwm = np.zeros((n + 1, ms.shape[1]))
    np.cumsum(ms * w[:, None], 0, out=pwm[1:])
    wdf = pwm[n]
    psize = np.r_[0.0, np.cumsum(c.size)]
    pw = np.r_[0.0, np.cumsum(w)]
    adj = np.r_[np.diagonal(lg, 1), 0.0]  # adj[i] = lg[i, i+1]
    blocks = []
    for L in range(1, MAX_RUN + 1):
        if L > n:
            break
        a = np.arange(0, n - L + 1)
        b = a + L
        full = _box(c_lg, a, b, 0, n)
        inner_sum = _box(c_lg, a, b, a, b)
        nout = L * (n - L)
        out_mean = (full - inner_sum) / nout
        out_share = (_box(c_pos, a, b, 0, n) - _box(c_pos, a, b, a, b)) / nout
        out_top3 = _top_outside(lg, np.ones(n, bool), a, L)
        out_top3 = np.where(np.isnan(out_top3), out_mean, out_top3)
        c0, c1 = np.maximum(0, a - _CTX), np.minimum(n, b + _CTX)
        nctx = (a - c0) + (c1 - b)
        ctx_sum = _box(c_lg, a, b, c0, a) + _box(c_lg, a, b, b, c1)
        ctx_mean = np.where(nctx > 0, ctx_sum / np.maximum(1, L * nctx), out_mean)
        has_l, has_r = a > 0, b < n
        e_l = np.where(has_l, adj[np.maximum(0, a - 1)], 0.0)
        e_r = np.where(has_r, adj[np.minimum(n - 1, b - 1)], 0.0)
        ne = has_l.astype(float) + has_r
        edge = np.where(ne > 0, (e_l + e_r) / np.maximum(1, ne), out_mean)
        bridge = np.where(has_l & has_r, lg[np.maximum(0, a - 1), np.minimum(n - 1, b)], c.page_mean)
        inner = inner_sum / (L * (L - 1)) if L > 1 else np.zeros(len(a))
        cin = pm[b] - pm[a]
        ext = df[None, :] - cin
        per = np.maximum(1.0, (psize[b] - psize[a]) / L)
        links_out = np.minimum(1.0, ((cin > 0) & (ext > 0)).sum(1) / per)
        strong_out = np.minimum(1.0, ((cin > 0) & (ext >= 3)).sum(1) / per)
        g2 = np.fmin(c.gap[2][a], c.gap[2][b])
        g3 = np.fmin(c.gap[3][a], c.gap[3][b])
        wout = np.maximum(1e-9, pw[n] - (pw[b] - pw[a]))
        host_mean = (_box(c_w, a, b, 0, n) - _box(c_w, a, b, a, b)) / (L * wout)
        host_top3 = _top_outside(lg, w >= 0.5, a, L)
        host_top3 = np.where(np.isnan(host_top3), out_top3, host_top3)
        hext = wdf[None, :] - (pwm[b] - pwm[a])
        host_links = np.minimum(1.0, ((cin > 0) & (hext >= 0.5)).sum(1) / per)
        p1 = 1.0 - (pw[b] - pw[a]) / L
        lang = np.array([c.lang_off[x:x + L].mean() for x in a])
        k = len(a)
        blocks.append(np.column_stack([
            out_mean, out_share, out_top3, ctx_mean, edge, bridge - edge, inner, links_out, strong_out,
            np.log1p(per), np.nan_to_num(g2), np.nan_to_num(g3), np.full(k, c.page_mean), np.full(k, np.log(n)),
            np.full(k, float(L == 2)), np.full(k, float(L == 3)), lang, host_mean, host_top3, host_links, p1]))
    return np.vstack(blocks) if blocks else np.zeros((0, len(SEGMENT_FEATURES)))


# A round of intruder_segments.json: boosted trees in the layout every tree model of winnow shares (_trees).
runtime = _trees.load
predict = _trees.probabilities


def chunk_probabilities(c: Chunk, round1: dict, round2: dict | None,
                        e: np.ndarray | None = None) -> tuple[list, np.ndarray]:
    """(segments, probability per segment) of one chunk: the first round on the base features, then (when given)
    the second with the host weights from the first. With ``e`` (the chunk's unit sentence vectors) the embedding
    features follow the lexical ones in both rounds (a model fitted so: intruder_embed_*.json)."""
    segs = segments(c.n)
    x = features(c, segs)[:, :len(BASE)]
    if e is not None:
        x = np.c_[x, embed_features(e, segs)]
    p = predict(round1, x)
    if round2 is None:
        return segs, p
    host = 1.0 - sentence_max(c.n, segs, p)
    x2 = features(c, segs, host=host)
    if e is not None:
        x2 = np.c_[x2, embed_features(e, segs, host=host)]
    return segs, predict(round2, x2)


def sentence_max(n: int, segs: list, p: np.ndarray) -> np.ndarray:
    """Per sentence, the highest probability of a segment that holds it."""
    out = np.zeros(n)
    for (a, b), q in zip(segs, p):
        out[a:b] = np.maximum(out[a:b], q)
    return out


def decode(segs: list, p: np.ndarray, floor: float, limit: int) -> list[tuple[int, int, float]]:
    """Non-overlapping segments with probability >= floor, most likely first, at most ``limit`` sentences in all:
    [(a, b, probability)] in that order (so the answer at a higher threshold is a prefix of this one)."""
    order = np.argsort(-p, kind="stable")
    taken = np.zeros(max((b for _, b in segs), default=0), dtype=bool)
    out, used = [], 0
    for j in order:
        q = float(p[j])
        if q < floor:
            break
        a, b = segs[j]
        if taken[a:b].any() or used + (b - a) > limit:
            continue
        taken[a:b] = True
        used += b - a
        out.append((a, b, q))
    return out


# --------------------------------------------------------------------------------------------------------------
# Embedding evidence (offtopic_sentences' ``encoder``): how a run's sentence embeddings sit against the rest of the
# page. Topic, not habits: a donor on another subject is far from the page's centroid and from every sentence of
# it, whatever its typesetting; a host sentence far from the centroid (an aside, a caption) still has a close
# neighbour or is bridged by nothing. All cosines of unit vectors (_encoder), so the features mean the same for
# every encoder; the page's own spread (the median of its sentences' leave-one-out centroid cosines) is a feature,
# and the run's cosine is also given relative to it.

# Tokens per sentence embedded: a sentence longer than this is judged by its first 128 tokens (bounded cost).
EMBED_TOKENS = 128
EMBED_BASE = ("e_out", "e_out_rel", "e_out_mean", "e_top3", "e_ctx", "e_edge", "e_bridge", "e_inner", "e_page",
              "e_spread")
EMBED_FEATURES = EMBED_BASE + ("e_host_out", "e_host_top3")


def embed_features(e: np.ndarray, segs: list[tuple[int, int]], host: np.ndarray | None = None) -> np.ndarray:
    """(len(segs), len(EMBED_BASE)) from the chunk's unit sentence vectors ``e`` (n, d), in the order of
    ``segs``; with ``host`` (per sentence the weight of a host sentence) also the two host columns
    (EMBED_FEATURES)."""
    n = e.shape[0]
    s = (e @ e.T).astype(float)
    np.fill_diagonal(s, 0.0)
    tot = e.sum(0).astype(float)
    # each sentence against the centroid of the others: the page's own spread
    loo = (e @ tot - 1.0) / np.maximum(1e-9, np.linalg.norm(tot[None, :] - e, axis=1))
    med = float(np.median(loo)) if n else 0.0
    spread = float(np.median(np.abs(loo - med))) if n else 0.0
    page = float(s.sum() / max(1, n * (n - 1)))
    c_s = _prefix2(s)
    pe = np.zeros((n + 1, e.shape[1]))
    np.cumsum(e, 0, out=pe[1:])
    adj = np.r_[np.diagonal(s, 1), 0.0]
    if host is not None:
        pw = np.zeros((n + 1, e.shape[1]))
        np.cumsum(e * host[:, None], 0, out=pw[1:])
    blocks = []
    for L in range(1, MAX_RUN + 1):
        if L > n:
            break
        a = np.arange(0, n - L + 1)
        b = a + L
        seg = pe[b] - pe[a]
        segu = seg / np.maximum(1e-9, np.linalg.norm(seg, axis=1, keepdims=True))
        rest = tot[None, :] - seg
        e_out = (segu * rest).sum(1) / np.maximum(1e-9, np.linalg.norm(rest, axis=1))
        nout = max(1, L * (n - L))
        e_out_mean = (_box(c_s, a, b, 0, n) - _box(c_s, a, b, a, b)) / nout
        top3 = _top_outside(s, np.ones(n, bool), a, L)
        top3 = np.where(np.isnan(top3), e_out_mean, top3)
        c0, c1 = np.maximum(0, a - _CTX), np.minimum(n, b + _CTX)
        nctx = (a - c0) + (c1 - b)
        ctx = np.where(nctx > 0, (_box(c_s, a, b, c0, a) + _box(c_s, a, b, b, c1)) / np.maximum(1, L * nctx),
                       e_out_mean)
        has_l, has_r = a > 0, b < n
        e_l = np.where(has_l, adj[np.maximum(0, a - 1)], 0.0)
        e_r = np.where(has_r, adj[np.minimum(n - 1, b - 1)], 0.0)
        ne = has_l.astype(float) + has_r
        edge = np.where(ne > 0, (e_l + e_r) / np.maximum(1, ne), e_out_mean)
        bridge = np.where(has_l & has_r, s[np.maximum(0, a - 1), np.minimum(n - 1, b)], page)
        inner = _box(c_s, a, b, a, b) / (L * (L - 1)) if L > 1 else np.ones(len(a))
        k = len(a)
        cols = [e_out, e_out - med, e_out_mean, top3, ctx, edge, bridge - edge, inner, np.full(k, page),
                np.full(k, spread)]
        if host is not None:
            hrest = pw[n][None, :] - (pw[b] - pw[a])
            h_out = (segu * hrest).sum(1) / np.maximum(1e-9, np.linalg.norm(hrest, axis=1))
            h_top3 = _top_outside(s, host >= 0.5, a, L)
            cols += [h_out, np.where(np.isnan(h_top3), top3, h_top3)]
        blocks.append(np.column_stack(cols))
    width = len(EMBED_FEATURES if host is not None else EMBED_BASE)
    return np.vstack(blocks) if blocks else np.zeros((0, width))


# --------------------------------------------------------------------------------------------------------------
# The page gate of the embedding judge. Real pages are rarely intruded, so any per-run threshold that takes a fair
# share of inserted runs also fires on real content: the sentences of a real page that sit furthest from its
# centroid are asides, quotes, captions and list items (21 of 75 such removals right, bench/results/coherence.md).
# The gate first asks whether the page as a whole was intruded, from page-level evidence, and only on a page it
# lets through are the runs judged one by one. ``GATE_FEATURES``, over the judged chunks of the page:
#
# * p_max, p_top3: the best run's round-two probability and the mean of the best three non-overlapping runs'
#   (a page with one doubtful run is not a page with three confident ones);
# * p_mass, p_share: the mean of each sentence's best run probability, and the share of sentences at >= 0.5;
# * loo_tail: the share of sentences whose leave-one-out centroid cosine lies more than 3 robust deviations (median
#   absolute deviation, at least 0.02) below the page's median: a heavy low tail, the trace of a second, scattered
#   population; loo_gap: the median minus the mean of the lowest tenth; loo_spread: the deviation itself (a page
#   that wanders everywhere is diverse, not intruded);
# * lang_off: the share of sentences fastText places in another language than the page (0 without the model);
# * log_n: the page's judged sentences.
#
# A logistic head over them (standardised; fitted by bench/coherence_embed_intruders.py gate) gives the page's
# probability of being intruded.
GATE_FEATURES = ("p_max", "p_top3", "p_mass", "p_share", "loo_tail", "loo_gap", "loo_spread", "lang_off", "log_n")


def loo_cosines(e: np.ndarray) -> np.ndarray:
    """Each sentence's cosine with the centroid of the other sentences of its chunk (unit vectors ``e``, (n, d))."""
    tot = e.sum(0).astype(float)
    return (e @ tot - 1.0) / np.maximum(1e-9, np.linalg.norm(tot[None, :] - e, axis=1))


def gate_features(parts: list[tuple[list, np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """One row of GATE_FEATURES for a page from its judged chunks: per chunk (segments, round-two probability per
    segment, leave-one-out centroid cosine per sentence (loo_cosines), lang_off per sentence). Numbers per sentence,
    not vectors: a long page's chunks are embedded window by window, and only these are kept for the gate."""
    sm, loo_all, lang, tops = [], [], [], []
    for segs, p, loo, lang_off in parts:
        n = len(loo)
        if n == 0:
            continue
        sm.append(sentence_max(n, segs, p))
        tops += [q for _, _, q in decode(segs, p, 0.0, n)]
        loo_all.append(np.asarray(loo, dtype=float))
        lang.append(np.asarray(lang_off, dtype=float))
    if not sm:
        return np.zeros(len(GATE_FEATURES))
    s, loo, lo = np.concatenate(sm), np.concatenate(loo_all), np.concatenate(lang)
    top = sorted(tops, reverse=True)[:3]
    top += [0.0] * (3 - len(top))
    med = float(np.median(loo))
    mad = max(0.02, float(np.median(np.abs(loo - med))))
    k = max(1, len(loo) // 10)
    return np.array([float(s.max()), float(np.mean(top)), float(s.mean()), float((s >= 0.5).mean()),
                     float((loo < med - 3.0 * mad).mean()), med - float(np.sort(loo)[:k].mean()),
                     float(np.median(np.abs(loo - med))), float(lo.mean()) if len(lo) else 0.0,
                     float(np.log(len(s)))])


def gate_probability(gate: dict, x: np.ndarray) -> float:
    """The page's probability of being intruded under a gate head {features, mean, scale, coef, bias}."""
    z = (np.asarray(x, float) - np.asarray(gate["mean"])) / np.asarray(gate["scale"])
    return float(1.0 / (1.0 + np.exp(-(float(gate["bias"]) + float(z @ np.asarray(gate["coef"]))))))


def fit_gate(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> dict:
    """A logistic head on standardised features by Newton's method with an L2 penalty (no randomness: the same
    numbers from the same rows)."""
    mean = x.mean(0)
    scale = np.maximum(x.std(0), 1e-6)
    z = (x - mean) / scale
    a = np.c_[np.ones(len(z)), z]
    w = np.zeros(a.shape[1])
    pen = np.r_[0.0, np.full(z.shape[1], l2)]
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        g = a.T @ (p - y) + pen * w
        h = (a * (p * (1 - p))[:, None]).T @ a + np.diag(pen + 1e-9)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return {"features": list(GATE_FEATURES), "mean": [round(float(v), 8) for v in mean],
            "scale": [round(float(v), 8) for v in scale], "bias": round(float(w[0]), 8),
            "coef": [round(float(v), 8) for v in w[1:]]}
