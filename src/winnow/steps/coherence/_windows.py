"""Do the k sentences before a gap and the k after it come from the same source? Window-level evidence for
stitched-page detection.

A single pair of sentences says little about their source (the pair model of _pairs reaches a pair ROC AUC
of 0.72 on held-out real pages): most sentences share no rare word and use none of the typesetting habits that tell
two writers apart. A window of k sentences pools them: its rare words, names, function-word profile and the share
of its sentences with each habit are a profile of its writer, and two adjacent windows of one page share it far
more often than the last k sentences of one page and the first k of another (a block stitch).

``window_logits`` gives, for every gap of a page's content sentences with k sentences on both sides, the log-odds
that both sides come from one page, from a logistic model fitted on real pages only (bench/coherence_windows.py;
positives: two adjacent windows inside one page; negatives: the end of one page followed by the start of another of
the same language, half of them on a close topic). ``window_signals`` turns the gap profiles into page signals:
the lowest gap (a block boundary), how many separate low gaps there are (change points: one per stitch), and the
mean over gaps (on a shuffled page every window mixes sources, and the profiles of two mixes differ less than
two halves of one source; the mean still moves).

Everything is computed from per-sentence vectors that _pairs already has (style habits, content stems,
capitalised words, short words) with prefix sums over the sentence axis: a few small numpy products per page.
"""

from __future__ import annotations

import functools

import numpy as np

from .._packaged import packaged_model

# Window sizes in sentences (each side of the gap). 2 sees short runs; 4 pools enough sentences for habits to show.
KS = (2, 3, 4)

N_CONT = 8  # _pairs.STYLE: the first 8 are continuous, the rest binary habits
N_STYLE = 29
# Indices of the straight/curly apostrophe and quote habits in the binary part of STYLE (same order as there).
_AS, _AC, _QS, _QC = 0, 1, 2, 3

WINDOW_FEATURES = (
    tuple(f"d_style{i}" for i in range(N_CONT))          # |mean difference| of the continuous style measures
    + tuple(f"d_habit{i}" for i in range(N_STYLE - N_CONT))  # |difference| of the share of sentences with a habit
    + ("d_len_sd", "clash_apos", "clash_quote", "shared", "cosine", "shared_rare", "none_shared", "log_min_union",
       "shared_caps", "short_cosine", "log_k")
)


def _windows(pref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums over the k rows before and the k rows after every gap g in [k, n - k], from prefix sums (n + 1, ...)."""
    n = pref.shape[0] - 1
    g = np.arange(k, n - k + 1)
    return pref[g] - pref[g - k], pref[g + k] - pref[g]


def _prefix(a: np.ndarray) -> np.ndarray:
    out = np.zeros((a.shape[0] + 1,) + a.shape[1:])
    np.cumsum(a, axis=0, out=out[1:])
    return out


class Profiles:
    """The prefix sums of one page's per-sentence vectors, from which any window size's features follow (two
    prefix-sum arrays, so that each window size costs two subtractions and a few reductions)."""

    def __init__(self, sty: np.ndarray, inc: tuple):
        """``sty``: _pairs.style of each sentence; ``inc``: _pairs.incidence of the sentences'
        content stems, capitalised words and short words."""
        (m, lone, _), (c, _, _), (s, slone, _) = inc
        self.n = len(sty)
        self.v = (m.shape[1], c.shape[1])
        # A stem in few of the page's sentences is a stronger tie than one the whole page repeats (idf on the page).
        self.idf = 1.0 / np.maximum(1.0, m.sum(0))
        # Style, log words squared, unshared stems, unshared short words (they count in a window's profile norm).
        self.dense = _prefix(np.column_stack([sty, sty[:, 1] ** 2, lone, slone]))
        self.inc = _prefix(np.concatenate([m, c, s], axis=1))

    def features(self, k: int) -> np.ndarray:
        """(gaps, len(WINDOW_FEATURES)) for every gap with k content sentences on each side."""
        dl, dr = _windows(self.dense, k)
        ml, mr = dl / k, dr / k
        d = np.abs(ml[:, :N_STYLE] - mr[:, :N_STYLE])
        sdl = np.sqrt(np.maximum(0.0, ml[:, N_STYLE] - ml[:, 1] ** 2))
        sdr = np.sqrt(np.maximum(0.0, mr[:, N_STYLE] - mr[:, 1] ** 2))
        b_l, b_r = ml[:, N_CONT:N_STYLE], mr[:, N_CONT:N_STYLE]
        clash_a = b_l[:, _AS] * b_r[:, _AC] + b_l[:, _AC] * b_r[:, _AS]
        clash_q = b_l[:, _QS] * b_r[:, _QC] + b_l[:, _QC] * b_r[:, _QS]
        il, ir = _windows(self.inc, k)
        vs, vc = self.v
        both = (il > 0) & (ir > 0)
        bs = both[:, :vs]
        shared = bs.sum(1).astype(float)
        ul = (il[:, :vs] > 0).sum(1) + dl[:, N_STYLE + 1]
        ur = (ir[:, :vs] > 0).sum(1) + dr[:, N_STYLE + 1]
        cos = shared / np.sqrt(np.maximum(1.0, ul * ur))
        rare = bs @ self.idf
        shared_caps = both[:, vs:vs + vc].sum(1).astype(float)
        hl, hr = il[:, vs + vc:], ir[:, vs + vc:]
        # A short word in one sentence only adds 1 to its window's squared norm and nothing to the product.
        nl = np.einsum("ij,ij->i", hl, hl) + dl[:, N_STYLE + 2]
        nr = np.einsum("ij,ij->i", hr, hr) + dr[:, N_STYLE + 2]
        short_cos = np.einsum("ij,ij->i", hl, hr) / np.sqrt(np.maximum(1e-9, nl * nr))
        g = len(shared)
        return np.column_stack([d, np.abs(sdl - sdr), clash_a, clash_q, np.minimum(10.0, shared), cos,
                                np.minimum(4.0, rare), (shared == 0).astype(float), np.log1p(np.minimum(ul, ur)),
                                np.minimum(4.0, shared_caps), short_cos, np.full(g, np.log(k))])


WINDOW_MODEL = "window_model.json"


@functools.cache
def _model():
    m = packaged_model("coherence", WINDOW_MODEL, WINDOW_FEATURES, "bench/coherence_windows.py")
    if m is None:
        return None
    mean, scale, w = (np.array(m[x]) for x in ("mean", "scale", "weights"))
    v = w / scale
    return v, float(m["bias"]) - float(v @ mean)


WINDOW_SIGNALS = ("win2_mean", "win2_low", "win3_min", "win3_changes", "win4_mean", "win4_min", "win4_depth")
NEUTRAL = (0.0,) * len(WINDOW_SIGNALS)


def window_signals(p: Profiles) -> tuple:
    """WINDOW_SIGNALS of a page; NEUTRAL without the model.

    * ``win2_mean``/``win2_low``: mean log-odds over gaps of 2 sentences a side, and the share below 0 (shuffled
      sources: many low gaps);
    * ``win3_min``/``win4_min``: the lowest gap (a block boundary);
    * ``win3_changes``: gaps below 0 that are the lowest within 3 sentences either way (change points: one per
      stitch of a block-stitched page);
    * ``win4_mean``/``win4_depth``: the mean, and how far the lowest gap lies below the median gap (a boundary
      against the page's own level).
    """
    lg = gap_logits(p)
    return NEUTRAL if lg is None else signals(lg)


def gap_logits(p: Profiles) -> dict | None:
    """{k: same-source log-odds of the windows either side of every gap, in order}; None without the model."""
    m = _model()
    if m is None:
        return None
    v, c = m
    return {k: p.features(k) @ v + c for k in KS if p.n >= 2 * k}


def signals(lg: dict) -> tuple:
    """WINDOW_SIGNALS from gap_logits' answer."""
    out = []
    l2 = lg.get(2)
    out += [float(l2.mean()), float((l2 < 0).mean())] if l2 is not None and len(l2) else [0.0, 0.0]
    l3 = lg.get(3)
    if l3 is not None and len(l3):
        pad = np.r_[np.full(3, np.inf), l3, np.full(3, np.inf)]
        local = np.min(np.lib.stride_tricks.sliding_window_view(pad, 7), axis=1)
        out += [float(l3.min()), float(((l3 < 0) & (l3 <= local)).sum())]
    else:
        out += [0.0, 0.0]
    l4 = lg.get(4)
    if l4 is not None and len(l4):
        out += [float(l4.mean()), float(l4.min()), float(np.median(l4) - l4.min())]
    else:
        out += [0.0, 0.0, 0.0]
    return tuple(out)
