"""Site chrome told by its meaning: evidence for offtopic_sentences' ``site_chrome`` in any language.

Chrome is a small semantic domain (share, follow, subscribe, cookies, log in, menus, comments, related posts,
copyright, pagination, ads, ...) whose meaning does not change with its wording or language: "Share on Facebook",
"Auf Facebook teilen" and "分享到微博" sit close together in a multilingual sentence encoder's space, while the
phrase tables of coherence.py know only the wordings they list, and the shape model (_chrome) cannot tell
a lone menu line from a lone heading. ``probabilities`` scores short lines the rules left alone with a logistic
regression over the line's unit vector (multilingual-e5-small by default; any encoder of _encoder with a model file
here) and a few shape signals (``SHAPE``). The model files (winnow/data/coherence/chrome_embed_<encoder>.json) are
fitted by bench/coherence_chrome_embed.py on chrome lines of 25 site families in 15 languages written for the
benchmarks (bench/coherence_chrome.py, bench/data/chrome_families_stop23.json) against short content lines of real
pages (human-labelled clean lines of turku-line-quality, register documents, web pages' main text).

What is judged (``candidates``): sentences the rules left alone, alone on their line, of 1..MAX_WORDS words (or a
short CJK line), not shaped like content by _chrome's guards (table rows, list items with a sibling, a
heading over its paragraph, a sentence of 8+ words with its full stop), at most MAX_PER_PAGE a page (the first in
page order): the encoder costs ~10 ms a line on one core, so a page's bill is bounded.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from . import _chrome as _shape
from .._packaged import packaged_model

__all__ = ["SHAPE", "MAX_WORDS", "MAX_PER_PAGE", "TOKENS", "ENCODERS", "line_shape", "features", "candidates",
           "model", "model_name", "probabilities", "page_vectors", "removals"]

# Longest line judged, in words: 97% of the benchmark chrome lines have at most 12 words; a longer own line is a
# banner of sentences (cookie text, newsletter pitch) that the phrase rules and the intruder judge read.
MAX_WORDS = 12
# At most this many lines of a page are embedded (the first in page order): bounds the encoder's cost per page
# (~10 ms a line on one core for multilingual-e5-small); a page with more candidate lines than this is a menu or a
# list page, whose runs of short lines line_noise already judges.
MAX_PER_PAGE = 24
# Token budget per line: MAX_WORDS words of any script fit in 48 SentencePiece tokens with the "query: " prefix.
TOKENS = 48
# Encoders with a model file: the multilingual one, and the lexical stand-in for tests and machines without it.
ENCODERS = ("multilingual-e5-small", "hashing")

SHAPE = ("log_chars", "log_words", "terminal", "digits", "cjk", "separators", "first_upper")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_SEP = re.compile(r"[|\u00a6\u2022\u00b7\u00bb\u203a>/]")
_END = frozenset(".!?\u3002\uff01\uff1f\u061f\u2026")


def line_shape(t: str) -> list[float]:
    """SHAPE of one line: what a vector of its meaning does not carry (length, a full stop, digits)."""
    t = " ".join(t.split())
    nc = len(t)
    nw = len(t.split())
    end = t.rstrip("\"')\u201d\u2019\u00bb]")
    first = next((c for c in t if c.isalpha()), "")
    return [math.log1p(nc) / 5.0, math.log1p(nw) / 3.0, float(bool(end) and end[-1] in _END),
            sum(c.isdigit() for c in t) / max(1, nc), len(_CJK.findall(t)) / max(1, nc),
            min(3, len(_SEP.findall(t))) / 3.0, float(first.isupper()) if first else 0.0]


def features(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    """The model's input rows: each line's unit vector, then its SHAPE."""
    if not texts:
        return np.zeros((0, vectors.shape[1] + len(SHAPE) if vectors.ndim == 2 else len(SHAPE)))
    return np.hstack([np.asarray(vectors, dtype=np.float64), np.asarray([line_shape(t) for t in texts])])


def model_name(encoder: str) -> str:
    return "chrome_embed_" + encoder.replace("-", "_") + ".json"


@functools.lru_cache(maxsize=4)
def model(encoder: str) -> tuple | None:
    """(weights, bias, threshold, encoder identity) of the model file for ``encoder``, or None when none ships."""
    m = packaged_model("coherence", model_name(encoder), SHAPE, "bench/coherence_chrome_embed.py")
    if m is None:
        return None
    return (np.asarray(m["weights"], dtype=np.float64), float(m["bias"]), float(m["threshold"]),
            str(m.get("encoder_identity", "")))


def candidates(a, taken: frozenset | set = frozenset()) -> list[int]:
    """Sentence indices judged on the page (see the module's docstring)."""
    out = []
    text = a.text
    for i in _shape.candidates(a):
        s = a.sentences[i]
        if s.start in taken:
            continue
        cjk = s.n_words == 0 or _CJK.search(text, s.start, s.end)
        if not cjk and s.n_words > MAX_WORDS:
            continue
        if cjk and s.end - s.start > 4 * MAX_WORDS:
            continue
        if _shape._content_shaped(a, i):
            continue
        out.append(i)
        if len(out) >= MAX_PER_PAGE:
            break
    return out


def page_vectors(encoder, pages: list[list[str]]) -> list[np.ndarray]:
    """The lines of several pages embedded in one call (the encoder batches them); one array per page."""
    flat = [t for p in pages for t in p]
    if not flat:
        return [np.zeros((0, getattr(encoder, "dim", 384)), dtype=np.float32) for _ in pages]
    vec = encoder.encode([" ".join(t.split()) for t in flat], max_tokens=TOKENS, max_chunks=1)
    out, k = [], 0
    for p in pages:
        out.append(vec[k:k + len(p)])
        k += len(p)
    return out


def probabilities(m: tuple, texts: list[str], vectors: np.ndarray) -> np.ndarray:
    """Probability that each line is site chrome."""
    if not texts:
        return np.zeros(0)
    z = features(texts, vectors) @ m[0] + m[1]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def removals(a, m: tuple, idx: list[int], vectors: np.ndarray, threshold: float | None = None,
             taken: frozenset | set = frozenset()) -> list[tuple]:
    """(start, end, "site_chrome", score) for the judged lines ``idx`` (their ``vectors`` in order) whose
    probability reaches ``threshold`` (None: the model file's)."""
    thr = m[2] if threshold is None else threshold
    if thr > 1.0 - 1e-9 or not idx:
        return []
    texts = [a.text[a.sentences[i].start:a.sentences[i].end] for i in idx]
    p = probabilities(m, texts, vectors)
    out = []
    for i, q in zip(idx, p):
        s = a.sentences[i]
        if q >= thr and s.start not in taken:
            out.append((s.start, s.end, "site_chrome", round(float(q), 3)))
    return out
