"""Sentence embeddings of a page and the topical-coherence signals computed from them (issue 18's embedding tier).

A page's content sentences (those the coherence analysis counts: no chrome verdict, 3+ content stems) are embedded
with an encoder of ``_encoder`` (``minilm``: all-MiniLM-L6-v2; ``minilm-static``; ``hashing`` for tests), one unit
vector each. A written page holds together: each sentence sits near its neighbours and near the page's centroid. A
page stitched from several sources has several clusters, contiguous ones (block-stitched) or interleaved ones
(spun), and a block-stitched page has deep valleys of similarity at its seams (TextTiling's "depth").

Cost is bounded: at most ``MAX_SENTENCES`` sentences per page, chosen evenly along the page (a deterministic
choice that keeps their order), each cut at ``SENTENCE_TOKENS`` tokens; sentences of many pages go to the encoder in
one call (``embed_pages``), so the encoder's passes are full.

* ``choose(analysis)``: which sentences (indices into ``analysis.sentences``) are embedded;
* ``embed_pages(encoder, texts_per_page)``: unit vectors per page, one encoder call;
* ``sentence_signals(vecs)``: per sentence (SENTENCE_SIGNALS): how it sits against the rest of its page;
* ``page_signals(vecs)``: per page (PAGE_SIGNALS), and ``partition(vecs)``: the clusters found.

Nothing here depends on a particular encoder's scale except ``CLUSTER_LINK`` (see there).
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np

__all__ = ["MAX_SENTENCES", "SENTENCE_TOKENS", "MIN_SENTENCES", "CLUSTER_LINK", "SENTENCE_SIGNALS",
           "PAGE_SIGNALS", "NEUTRAL", "choose", "embed_pages", "sentence_signals", "page_signals", "partition",
           "agglomerate", "english"]

# At most this many sentences of a page are embedded: a page of 12-60 content sentences (most pages the step
# judges) is embedded whole; a longer one is sampled evenly. 64 bounds a page's cost to ~64 short encoder inputs
# and its similarity matrix to 64 x 64.
MAX_SENTENCES = 64
# A sentence is cut at this many tokens ([CLS] and [SEP] included): sentences average ~25-35 WordPiece tokens, so
# this cuts only run-on "sentences" (a page without punctuation), whose first 64 tokens say what they are about.
SENTENCE_TOKENS = 64
# Fewer embedded sentences than this: the page signals are NEUTRAL (the step scores pages of 8+ content sentences).
MIN_SENTENCES = 6
# Average-linkage clusters closer than this (mean cosine between their sentences) are merged when the page's
# clusters are reported. For all-MiniLM-L6-v2, sentences of one page average ~0.25-0.45 with each other and
# sentences of unrelated pages ~0.0-0.1; 0.12 sits between (read off bench/coherence_embed_train.py's train half;
# the model's own signals do not depend on it: they use the k=2 and k=3 cuts of the same tree).
CLUSTER_LINK = 0.12
# TextTiling's block: the mean of this many sentences on each side of a gap.
BLOCK = 3

SENTENCE_SIGNALS = ("centroid", "best_neighbour", "adjacent", "centroid_rel")
PAGE_SIGNALS = (
    "emb_adjacent", "emb_far", "emb_gap_z", "emb_centroid_mean", "emb_centroid_low", "emb_depth_max",
    "emb_depth_second", "emb_split_gain", "emb_k2_gain", "emb_k2_minor", "emb_k2_runs", "emb_k3_gain",
    "emb_clusters",
)
# What a page too short to judge gets: a page whose sentences all hold together.
NEUTRAL = (0.4, 0.3, 0.0, 0.5, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


# English function words: all-MiniLM-L6-v2 was trained on English pairs, so other languages' sentences land in a
# few crowded corners of its space and their similarities say little. A page is embedded only when these words are
# a good share of its words: on the train half of ../shared/data, the English web pages have 0.25-0.38 (German ones
# of the same pool and every register page in 11 other languages: under 0.05 at the 95th percentile; one
# Indonesian page of 592 above 0.2). 0.2 sits between.
_EN = frozenset("""the and of to in is that for it with as on are was be this by or from at an have not you we they
which their has but can will his her its been were would there what all if more when one about so""".split())
_WORD = re.compile(r"[A-Za-z']+|[^\W\d_]+")
ENGLISH_SHARE = 0.2


def english(text: str, chars: int = 3000) -> bool:
    """Whether the start of ``text`` reads as English (function-word share >= ENGLISH_SHARE, 20+ words)."""
    words = _WORD.findall(text[:chars])
    if len(words) < 20:
        return False
    return sum(1 for w in words if w.lower() in _EN) >= ENGLISH_SHARE * len(words)


def choose(analysis: Any, max_sentences: int = MAX_SENTENCES) -> list[int]:
    """Indices into ``analysis.sentences`` of the sentences to embed: the content sentences (no chrome verdict,
    3+ content stems: those ``n_content_sentences`` counts), at most ``max_sentences`` of them, evenly spaced
    along the page when there are more (first and last always in)."""
    idx = [i for i, s in enumerate(analysis.sentences) if s.reason is None and len(s.stems) >= 3]
    m = len(idx)
    if m <= max_sentences:
        return idx
    if max_sentences <= 1:
        return idx[:max_sentences]
    return [idx[(k * (m - 1)) // (max_sentences - 1)] for k in range(max_sentences)]


def embed_pages(encoder: Any, pages: Sequence[Sequence[str]], tokens: int = SENTENCE_TOKENS) -> list[np.ndarray]:
    """Unit vectors (float32, one row per sentence) of each page's sentences, in one encoder call for all pages
    (the encoder groups inputs of one length into a pass, so more pages mean fuller passes)."""
    # Whitespace is made single spaces: a sentence is the same input whatever the page's layout (one line, one
    # sentence per line, hard-wrapped), whatever the encoder's tokenizer does with line breaks.
    flat = [" ".join(t.split()) for p in pages for t in p]
    if not flat:
        return [np.zeros((0, getattr(encoder, "dim", 384)), dtype=np.float32) for _ in pages]
    vecs = np.asarray(encoder.encode(flat, max_tokens=tokens, max_chunks=1), dtype=np.float32)
    out, k = [], 0
    for p in pages:
        out.append(vecs[k:k + len(p)])
        k += len(p)
    return out


def _sim(vecs: np.ndarray) -> np.ndarray:
    v = np.asarray(vecs, dtype=np.float64)
    return v @ v.T


def sentence_signals(vecs: np.ndarray) -> np.ndarray:
    """One row of SENTENCE_SIGNALS per sentence (rows of unit vectors ``vecs``, in page order):

    * centroid: cosine with the centroid of the page's other sentences (leave-one-out);
    * best_neighbour: the highest cosine with any other sentence of the page;
    * adjacent: the mean cosine with the sentence before and after it;
    * centroid_rel: centroid minus the page's median centroid (how far below its page it sits).

    A page of one sentence gets zeros."""
    v = np.asarray(vecs, dtype=np.float64)
    n = len(v)
    out = np.zeros((n, len(SENTENCE_SIGNALS)))
    if n < 2:
        return out
    total = v.sum(0)
    rest = total[None, :] - v
    norms = np.maximum(np.linalg.norm(rest, axis=1), 1e-12)
    out[:, 0] = (v * rest).sum(1) / norms
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)
    out[:, 1] = s.max(1)
    adj = np.zeros(n)
    cnt = np.zeros(n)
    d = (v[:-1] * v[1:]).sum(1)
    adj[:-1] += d
    adj[1:] += d
    cnt[:-1] += 1
    cnt[1:] += 1
    out[:, 2] = adj / cnt
    out[:, 3] = out[:, 0] - float(np.median(out[:, 0]))
    return out


def agglomerate(sim: np.ndarray) -> list[tuple[int, int, float]]:
    """Average-linkage merges of a similarity matrix: (kept cluster, merged cluster, link) per merge, in order.
    Deterministic (ties: the lowest indices)."""
    n = len(sim)
    if n < 2:
        return []
    tot = np.array(sim, dtype=np.float64, copy=True)  # sums of pairwise similarities between clusters
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    merges = []
    for _ in range(n - 1):
        link = tot / np.outer(size, size)
        mask = ~(alive[:, None] & alive[None, :])
        link[mask] = -np.inf
        np.fill_diagonal(link, -np.inf)
        k = int(np.argmax(link))
        i, j = divmod(k, n)
        i, j = min(i, j), max(i, j)
        merges.append((i, j, float(link[i, j])))
        tot[i, :] += tot[j, :]
        tot[:, i] += tot[:, j]
        size[i] += size[j]
        alive[j] = False
        tot[j, :] = 0.0
        tot[:, j] = 0.0
    return merges


def _labels(n: int, merges: list[tuple[int, int, float]], upto: int) -> np.ndarray:
    """Cluster label per item after the first ``upto`` merges (labels: the cluster's first member, renumbered in
    order of first appearance)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in merges[:upto]:
        parent[find(j)] = find(i)
    roots: dict[int, int] = {}
    return np.array([roots.setdefault(find(x), len(roots)) for x in range(n)])


def _gain(sim: np.ndarray, lab: np.ndarray) -> float:
    """Mean similarity within clusters minus mean similarity across them (pairs of distinct sentences)."""
    same = lab[:, None] == lab[None, :]
    off = ~np.eye(len(lab), dtype=bool)
    w, x = sim[same & off], sim[~same]
    if not len(w) or not len(x):
        return 0.0
    return float(w.mean() - x.mean())


def _depths(sim: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """TextTiling depth at each gap between sentences: how far the similarity of the blocks on either side dips
    below the highest similarity reached on its left and on its right."""
    n = len(sim)
    if n < 2 * block:
        return np.zeros(0)
    g = np.array([sim[max(0, t - block):t, t:t + block].mean() for t in range(1, n)])
    left = np.maximum.accumulate(g)
    right = np.maximum.accumulate(g[::-1])[::-1]
    d = (left - g) + (right - g)
    return d[block - 1: n - block]  # gaps with a full block on each side


def _split_gain(sim: np.ndarray, lo: int = 3) -> float:
    """The best single cut of the page into a head and a tail: mean similarity within the parts minus across
    them (high for a page of two blocks from two sources)."""
    n = len(sim)
    if n < 2 * lo:
        return 0.0
    cs = np.cumsum(np.cumsum(sim, 0), 1)  # cs[i, j]: sum of sim[:i+1, :j+1]
    total = cs[-1, -1]
    best = -1.0
    cdiag = np.cumsum(np.diag(sim))
    diag = float(cdiag[-1])
    for g in range(lo, n - lo + 1):
        a = cs[g - 1, g - 1]  # head block incl. diagonal
        cross = cs[g - 1, -1] - a
        b = total - a - 2 * cross
        na, nb = g, n - g
        diag_a = float(cdiag[g - 1])
        within = (a - diag_a + b - (diag - diag_a)) / (na * (na - 1) + nb * (nb - 1))
        best = max(best, within - cross / (na * nb))
    return float(best)


def partition(vecs: np.ndarray, link: float = CLUSTER_LINK, min_size: int = 2) -> list[list[int]]:
    """The page's clusters, as row indices of ``vecs`` per cluster (each in page order, clusters by first
    member): average-linkage clusters cut where the link falls below ``link``; clusters of fewer than
    ``min_size`` sentences join the cluster they are most similar to. One cluster when nothing stands apart."""
    n = len(vecs)
    if n == 0:
        return []
    sim = _sim(vecs)
    merges = agglomerate(sim)
    upto = sum(1 for _, _, lk in merges if lk >= link)
    lab = _labels(n, merges, upto)
    big = [c for c in range(lab.max() + 1) if (lab == c).sum() >= min_size]
    if len(big) <= 1:
        return [list(range(n))]
    cent = np.stack([sim[:, lab == c].mean(1) for c in big], axis=1)  # mean similarity of each item to each big
    final = np.array([big[int(np.argmax(cent[i]))] if lab[i] not in big else lab[i] for i in range(n)])
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(int(final[i]), []).append(i)
    return sorted(groups.values())


def page_signals(vecs: np.ndarray, link: float = CLUSTER_LINK) -> tuple[float, ...]:
    """PAGE_SIGNALS of a page's sentence vectors (unit rows, in page order); NEUTRAL below MIN_SENTENCES rows.

    * emb_adjacent, emb_far: mean cosine of neighbouring sentences and of sentences 3+ apart;
    * emb_gap_z: how many standard errors the first lies above the second (a written page: well above 0;
      a spun page: about 0);
    * emb_centroid_mean, emb_centroid_low: mean leave-one-out centroid cosine, and the mean of its lowest quarter;
    * emb_depth_max, emb_depth_second: the two deepest TextTiling valleys (a block-stitched page's seams);
    * emb_split_gain: the best head/tail cut's within-minus-across similarity;
    * emb_k2_gain, emb_k3_gain: the same for average-linkage's 2- and 3-cluster cuts; emb_k2_minor: the smaller
      of the 2 clusters' share; emb_k2_runs: label changes along the page at the 2-cluster cut over n-1 (blocks:
      near 0; interleaved sources: near 0.5);
    * emb_clusters: clusters of 2+ sentences at the ``link`` cut (partition), capped at 8.
    """
    v = np.asarray(vecs, dtype=np.float64)
    n = len(v)
    if n < MIN_SENTENCES:
        return NEUTRAL
    sim = v @ v.T
    adj = np.diag(sim, 1)
    far = np.concatenate([np.diag(sim, k) for k in range(3, n)]) if n > 3 else np.zeros(0)
    a_m, f_m = float(adj.mean()), float(far.mean()) if len(far) else float(adj.mean())
    sd = float(far.std()) if len(far) > 1 else 0.1
    z = (a_m - f_m) / max(sd / math.sqrt(n - 1), 1e-3)
    ss = sentence_signals(v)
    cen = np.sort(ss[:, 0])
    low = float(cen[: max(1, n // 4)].mean())
    dep = np.sort(_depths(sim))[::-1]
    d1 = float(dep[0]) if len(dep) else 0.0
    d2 = float(dep[1]) if len(dep) > 1 else 0.0
    merges = agglomerate(sim)
    lab2 = _labels(n, merges, n - 2)
    lab3 = _labels(n, merges, n - 3) if n >= 3 else lab2
    minor = min(int((lab2 == 0).sum()), int((lab2 == 1).sum())) / n
    runs = float((lab2[1:] != lab2[:-1]).sum()) / (n - 1)
    upto = sum(1 for _, _, lk in merges if lk >= link)
    labk = _labels(n, merges, upto)
    k = sum(1 for c in range(labk.max() + 1) if (labk == c).sum() >= 2)
    return (
        round(a_m, 6), round(f_m, 6), round(max(-5.0, min(z, 10.0)), 6), round(float(ss[:, 0].mean()), 6),
        round(low, 6), round(d1, 6), round(d2, 6), round(_split_gain(sim), 6), round(_gain(sim, lab2), 6),
        round(minor, 6), round(runs, 6), round(_gain(sim, lab3), 6), float(min(max(k, 1), 8)),
    )
