"""Do two sentences of a page come from the same source? A pairwise model for stitched-page detection.

Sources differ even on one topic: in the words they repeat (names, rare terms), and in the habits of whoever wrote
or typeset them: curly or straight apostrophes and quotes, dashes, sentence length, digits and number formats,
capitalisation, brackets, the person they write in (I / we / you), spacing before punctuation. A written page keeps
its habits and its rare words from the first sentence to the last; a page stitched from several sources mixes them.

``pair_logits`` gives, for every pair of a page's content sentences, the log-odds that both come from the same page,
from a logistic model fitted on real pages only (bench/coherence_pairs.py: positives are two sentences of one page,
negatives a sentence of a page and one of another page of the same language, half of them a page on a close topic).
No stitched page and no recipe is seen in that fit. ``pair_signals`` turns the matrix into a few document signals
that the stitched-page model (stitched_model.json) weighs: how many pairs look foreign, how many neighbouring pairs
do, and how sharply the page splits into two parts (a boundary between blocks, or two groups of shuffled sentences).
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from . import _windows
from .._packaged import packaged_model

try:  # Counter.update's loop, in C: count_into(mapping, items) does mapping[x] = mapping.get(x, 0) + 1 for each x
    from collections import _count_elements as count_into  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover (CPython has it)
    def count_into(mapping, items):
        for x in items:
            mapping[x] = mapping.get(x, 0) + 1

# Apostrophes and quotes as typeset: a straight ' inside a word vs a curly one; straight vs curly/guillemet quotes.
_APOS_STRAIGHT = re.compile(r"\w'\w")
_APOS_CURLY = re.compile(r"\w[\u2019\u02bc]\w")
_Q_STRAIGHT = re.compile(r'"')
_Q_CURLY = re.compile(r"[\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u300c\u300d]")
_DASH_LONG = re.compile(r"[\u2013\u2014]")
_DASH_SPACED = re.compile(r"\s-{1,2}\s")
_ELLIPSIS = re.compile(r"\u2026|\.\.\.")
# A space before a mark: \s[,.;:!?](?:\s|$), written to open with the mark (the engine skips to the marks; the
# same matches, tests/steps/test_coherence_speed.py).
_SPACE_BEFORE = re.compile(r"[,.;:!?](?<=\s.)(?:\s|$)")
_BRACKET = re.compile(r"[(\[]")
_NUMBER_SEP = re.compile(r"\d[,.\u00a0 ]\d{3}(?!\d)")
_DECIMAL = re.compile(r"\d[.,]\d{1,2}(?!\d)")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_SYMBOL = re.compile(r"[&%$\u20ac\u00a3/+*#@]")
# A word in capitals: \b[A-Z\u00c0-\u00de]{2,}\b, written to open with the capital (as _CAPWORD below).
_ALLCAPS = re.compile(r"(?:[A-Z\u00c0-\u00d6\u00d8-\u00de](?<!\w.)|\u00d7(?<=\w.))[A-Z\u00c0-\u00de]+\b")
_WORD = re.compile(r"\w+", re.UNICODE)
# Pronouns of the person a text is written in, in the languages of the evaluation sets: who speaks is a habit of a
# source that holds across its sentences.
_FIRST_SG = frozenset("i me my mine ich mich mir mein meine je moi mon ma mes yo mi mis jag mig min minä minun "
                      "minua eu meu minha saya aku jo meva".split())
_FIRST_PL = frozenset("we us our ours wir uns unser unsere nous notre nos nosotros nuestro nuestra vi oss vår "
                      "våra me meidän nós nosso nossa kami kita nosaltres".split())
_SECOND = frozenset("you your yours du dich dir dein deine ihr euch vous votre vos tu te ton ta tes usted ustedes "
                    "su tú dig din dina sinä sinun te teidän você vocês anda kamu".split())

STYLE = (
    "log_chars", "log_words", "word_length", "upper_share", "capitalised", "digit_share", "comma_rate",
    "nonascii_share",
    # binary habits from here on (STYLE_BINARY)
    "apos_straight", "apos_curly", "quote_straight", "quote_curly", "dash_long", "dash_spaced", "ellipsis",
    "space_before", "bracket", "number_sep", "decimal", "year", "symbol", "allcaps", "first_sg", "first_pl",
    "second", "ends_question", "ends_exclaim", "ends_terminal", "colon",
)
N_CONT = 8


# ASCII characters that are not letters, not capitals, not digits (str.isalpha/isupper/isdigit): bytes.translate
# deletes them to count the rest.
_NOT_ALPHA = bytes(c for c in range(128) if not chr(c).isalpha())
_NOT_UPPER = bytes(c for c in range(128) if not chr(c).isupper())
_NOT_DIGIT = bytes(c for c in range(128) if not chr(c).isdigit())
# ASCII white space as str.split() cuts at it: deleted, what is left is the words' characters.
_SPACE = bytes(c for c in range(128) if chr(c).isspace())


def style(text: str) -> list[float]:
    return style_and_short(text)[0]


# Every pronoun of the three persons: a sentence's words are looked up once, the persons then in what was found.
_PRONOUNS = _FIRST_SG | _FIRST_PL | _SECOND


def style_and_short(text: str) -> tuple[list[float], frozenset]:
    """(style(text), short_words(text)) from one pass of the word pattern: a word of one to three letters is a
    maximal run of \\w of that length with no digit or underscore in it, which is what short_words' pattern finds
    (tests/steps/test_coherence_speed.py holds both to their plain versions)."""
    words = text.split()
    nw = max(1, len(words))
    if text.isascii():
        # Most sentences: the same counts as below, several times faster (letters, capitals and digits counted in
        # C; lower-casing ASCII keeps every word a word, so the text is lower-cased once, not word by word).
        b = text.encode("ascii")
        n_letters, nonascii = len(b.translate(None, _NOT_ALPHA)), 0
        upper = len(b.translate(None, _NOT_UPPER))
        digits = len(b.translate(None, _NOT_DIGIT))
        low = _WORD.findall(text.lower())
        short = frozenset([w for w in low if len(w) <= 3 and w.isalpha()])  # (ASCII: a letter is [a-z])
        n_chars = len(b.translate(None, _SPACE))  # sum(map(len, words)), in C
        # (Curly quotes and long dashes are not ASCII.)
        curly = dash_long = False
    else:
        letters = "".join(filter(str.isalpha, text))
        n_letters, nonascii = len(letters), len(letters) - len(letters.encode("ascii", "ignore"))
        upper = sum(map(str.isupper, letters))
        digits = sum(map(str.isdigit, text))
        found = _WORD.findall(text)
        low = [w.lower() for w in found]
        short = frozenset([w.lower() for w in found if len(w) <= 3 and _SHORT_WORD.fullmatch(w)])
        n_chars = sum(map(len, words))
        curly, dash_long = _Q_CURLY.search(text) is not None, _DASH_LONG.search(text) is not None
    nl = max(1, n_letters)
    end = text.rstrip()[-1:] if text.strip() else ""
    persons = _PRONOUNS.intersection(low)
    # Each pattern is only searched where its key character occurs (the same answers, several times faster).
    return [
        math.log(1 + len(text)), math.log(nw), min(12.0, n_chars / nw),
        upper / nl, sum(1 for w in words if w[:1].isupper()) / nw,
        digits / max(1, len(text)), text.count(",") / nw,
        nonascii / nl,
        1.0 if "'" in text and _APOS_STRAIGHT.search(text) else 0.0,
        1.0 if ("\u2019" in text or "\u02bc" in text) and _APOS_CURLY.search(text) else 0.0,
        1.0 if '"' in text else 0.0, 1.0 if curly else 0.0,
        1.0 if dash_long else 0.0, 1.0 if "-" in text and _DASH_SPACED.search(text) else 0.0,
        1.0 if ("." in text or "\u2026" in text) and _ELLIPSIS.search(text) else 0.0,
        1.0 if " " in text and _SPACE_BEFORE.search(text) else 0.0,
        1.0 if "(" in text or "[" in text else 0.0, 1.0 if digits >= 4 and _NUMBER_SEP.search(text) else 0.0,
        1.0 if digits >= 2 and _DECIMAL.search(text) else 0.0, 1.0 if digits >= 4 and _YEAR.search(text) else 0.0,
        1.0 if _SYMBOL.search(text) else 0.0, 1.0 if upper >= 2 and _ALLCAPS.search(text) else 0.0,
        1.0 if persons and not persons.isdisjoint(_FIRST_SG) else 0.0,
        1.0 if persons and not persons.isdisjoint(_FIRST_PL) else 0.0,
        1.0 if persons and not persons.isdisjoint(_SECOND) else 0.0,
        1.0 if end in "?\uff1f\u061f" else 0.0, 1.0 if end in "!\uff01" else 0.0,
        1.0 if end in ".\u3002\u0964\u06d4" else 0.0,
        1.0 if ":" in text or ";" in text else 0.0,
    ], short


PAIR_FEATURES = (
    tuple(f"d_{s}" for s in STYLE[:N_CONT])
    + tuple(f"x_{s}" for s in STYLE[N_CONT:])  # one has the habit, the other not
    + tuple(f"b_{s}" for s in STYLE[N_CONT:])  # both have it
    + ("clash_apos", "clash_quote", "shared", "shared_rare", "cosine", "shared_caps", "none_shared",
       "log_min_stems", "page_share_a_b", "short_cosine", "none_shared_long")
)


def incidence(sets: list[frozenset]) -> tuple[np.ndarray, np.ndarray, list]:
    """(n, r) 0/1 incidence of the r items found in two or more of the sets (the rest cannot be shared; one zero
    column when there are none), per set how many of its items are in no other set, and the r items in column
    order. Built once per page and shared by the pair and the window signals."""
    n = len(sets)
    # The items' counts first (in C), then a column only for those in two or more sets, in order of first sight
    # (the order the whole 0/1 matrix's columns had). ``lone`` counts whole ones: exact in any order of addition.
    # (The whole matrix, most of whose columns are items of one set, cost three times as much: incidence_plain in
    # tests/steps/test_coherence_speed.py, which holds the two equal.)
    counts: dict = {}
    for st in sets:
        count_into(counts, st)
    ids: dict = {}
    rows, cols = [], []
    lone = np.zeros(n)
    for i, st in enumerate(sets):
        k = 0
        for w in st:
            if counts[w] > 1:
                rows.append(i)
                cols.append(ids.setdefault(w, len(ids)))
            else:
                k += 1
        lone[i] = k
    if not ids:
        return np.zeros((n, 1)), lone, [None]
    # Laid out as the plain version's column selection left it (Fortran order): the products below may add in
    # another order on another layout.
    m = np.zeros((n, len(ids)), order="F")
    m[rows, cols] = 1.0
    return m, lone, list(ids)


def _lexical(stems: list[frozenset], caps: list[frozenset], df: dict, short: list[frozenset],
             inc: tuple | None = None, rows=None) -> list[np.ndarray]:
    """The (n, n) matrices of the lexical pair features, in PAIR_FEATURES order. ``inc``: the incidence() of
    stems, capitalised words and short words when already built. The counts of shared items are products of the
    incidence matrices; the diagonal is left incomplete (pairs of a sentence with itself are never used).
    ``rows``: only these rows (pair_logits)."""
    R = slice(None) if rows is None else rows
    ms, _, items = inc[0] if inc else incidence(stems)
    shared = np.einsum("ik,jk->ij", ms[R], ms)
    # A stem few sentences of the page share is a stronger tie than one the whole page repeats (each shared stem
    # weighted once by 1/df: one factor holds the weight, the other is the plain incidence).
    wt = np.array([1.0 / df.get(w, 1) if w is not None else 0.0 for w in items])
    rare = np.einsum("ik,jk->ij", ms[R] * wt, ms)
    k = np.array([len(st) for st in stems], dtype=float)
    cos = shared / np.sqrt(np.maximum(1.0, k[R][:, None] * k[None, :]))
    mc = (inc[1] if inc else incidence(caps))[0]
    shared_caps = np.einsum("ik,jk->ij", mc[R], mc)
    # How much of the page each sentence's words reach (a sentence tied to many others vs a loner), as a pair.
    reach = ms.sum(1) / np.maximum(1.0, k)
    # Short words (three letters or fewer: mostly function words) tell the language and the register a source is
    # written in ("the"/"der"/"le"; "du" in a forum, "we" in a press release), which content stems ignore.
    mh = (inc[2] if inc else incidence(short))[0]
    ss = np.einsum("ik,jk->ij", mh[R], mh)
    ks = np.array([len(st) for st in short], dtype=float)
    short_cos = ss / np.sqrt(np.maximum(1.0, ks[R][:, None] * ks[None, :]))
    logmin = np.log1p(np.minimum(k[R][:, None], k[None, :]))
    none = (shared == 0).astype(float)
    return [np.minimum(6.0, shared), np.minimum(3.0, rare), cos, np.minimum(3.0, shared_caps), none, logmin,
            reach[R][:, None] * reach[None, :], short_cos, none * logmin]


_I_AS, _I_AC = STYLE.index("apos_straight") - N_CONT, STYLE.index("apos_curly") - N_CONT
_I_QS, _I_QC = STYLE.index("quote_straight") - N_CONT, STYLE.index("quote_curly") - N_CONT


def _clashes(b: np.ndarray, rows=None) -> list[np.ndarray]:
    """One sentence has straight apostrophes (quotes), the other curly ones: two typesetting habits. ``rows``: only
    these rows."""
    a = b if rows is None else b[rows]
    return [np.outer(a[:, _I_AS], b[:, _I_AC]) + np.outer(a[:, _I_AC], b[:, _I_AS]),
            np.outer(a[:, _I_QS], b[:, _I_QC]) + np.outer(a[:, _I_QC], b[:, _I_QS])]


def pair_features(sty: np.ndarray, stems: list[frozenset], caps: list[frozenset], df: dict,
                  short: list[frozenset]) -> np.ndarray:
    """(n, n, len(PAIR_FEATURES)) features of every pair of a page's sentences (for fitting; the step uses the
    equivalent pair_logits). ``df``: in how many of the page's sentences each stem occurs."""
    c = sty[:, :N_CONT]
    b = sty[:, N_CONT:]
    d = np.abs(c[:, None, :] - c[None, :, :])
    x = np.abs(b[:, None, :] - b[None, :, :])
    both = b[:, None, :] * b[None, :, :]
    rest = _clashes(b) + _lexical(stems, caps, df, short)
    return np.concatenate([d, x, both] + [r[..., None] for r in rest], axis=2)


def pair_logits(sty: np.ndarray, stems: list[frozenset], caps: list[frozenset], df: dict, short: list[frozenset],
                model=None, inc: tuple | None = None, rows=None):
    """(n, n) same-source log-odds: the logistic model over pair_features, computed without building the
    (n, n, features) array (the binary terms are matrix products: xor(a, b) = a + b - 2ab). None without model.
    ``rows``: a list of row indices: only those rows, (len(rows), n), each the same bits as the row of the whole
    matrix (the same products on the same operands: each entry sums over the same axis in the same order;
    tests/steps/test_coherence_speed.py holds them to the whole matrix)."""
    m = model or _model()
    if m is None:
        return None
    mean, scale, w, bias = m
    v = w / scale
    const = bias - float(v @ mean)
    nb = len(STYLE) - N_CONT
    vd, vx, vb = v[:N_CONT], v[N_CONT:N_CONT + nb], v[N_CONT + nb:N_CONT + 2 * nb]
    vr = v[N_CONT + 2 * nb:]
    R = slice(None) if rows is None else rows
    c = sty[:, :N_CONT]
    b = sty[:, N_CONT:]
    # einsum, not @: these products are small, and BLAS would spin its threads on them.
    out = np.einsum("ijk,k->ij", np.abs(c[R][:, None, :] - c[None, :, :]), vd)
    r = np.einsum("ik,k->i", b, vx)
    out += r[R][:, None] + r[None, :] + np.einsum("ik,jk->ij", b[R] * (vb - 2 * vx), b)
    for wt, mat in zip(vr, _clashes(b, rows) + _lexical(stems, caps, df, short, inc, rows)):
        out += wt * mat
    return out + const


# Capitalised words: (?<![.!?]\s)(?<!^)\b[A-Z\u00c0-\u00de][\w'-]{2,}, written to open with the capital (the
# engine then skips to the capitals instead of trying the look-behinds at every place: ~2x faster, the same
# matches; tests/steps/test_coherence_speed.py holds it to that pattern). The word boundary before the capital:
# a character outside \w before it, except before the multiplication sign (U+00D7, in the range but not \w),
# which needs a \w before it.
_CAPWORD = re.compile(r"(?:[A-Z\u00c0-\u00d6\u00d8-\u00de](?<=\W.)|\u00d7(?<=\w.))(?<![.!?]\s.)[\w'-]{2,}")


_SHORT = re.compile(r"(?<!\w)[^\W\d_]{1,3}(?!\w)", re.UNICODE)
# One of its matches, whole: a word of _WORD (a run of \w) that is one to three letters (no digit, no underscore).
_SHORT_WORD = re.compile(r"[^\W\d_]{1,3}", re.UNICODE)


def short_words(text: str) -> frozenset:
    """Words of one to three letters, lower-cased (none in Chinese/Japanese, which have no spaces)."""
    return frozenset(w.lower() for w in _SHORT.findall(text))


def capitalised_words(text: str) -> frozenset:
    """Capitalised words not at the start of the sentence: names, which tie sentences of one source."""
    return frozenset(w.lower() for w in _CAPWORD.findall(text.strip()))


PAIR_MODEL = "pair_model.json"


@functools.cache
def _model():
    m = packaged_model("coherence", PAIR_MODEL, PAIR_FEATURES, "bench/coherence_pairs.py")
    if m is None:
        return None
    return np.array(m["mean"]), np.array(m["scale"]), np.array(m["weights"]), float(m["bias"])


PAIR_SIGNALS = ("pair_mean", "pair_low", "pair_adjacent", "pair_adjacent_low", "pair_split", "pair_fiedler",
                "pair_worst", "pair_tile_max", "pair_tile_second", "pair_near_far", "habit_clashes"
                ) + _windows.WINDOW_SIGNALS
# Sentences on each side of a gap that the local boundary depth compares (TextTiling's block size, in sentences).
_TILE = 4


def pair_signals(lg: np.ndarray) -> list[float]:
    """Document signals from the (n, n) matrix of same-source log-odds of a page's content sentences in order.

    * ``pair_mean``/``pair_low``: mean log-odds over all pairs and the share of pairs below 0 (order-free: a page of
      several sources has many foreign pairs however they are laid out);
    * ``pair_adjacent``/``pair_adjacent_low``: the same over neighbouring sentences (shuffled sources: many low);
    * ``pair_split``: the best single boundary, as mean log-odds inside the two sides minus across (blocks);
    * ``pair_fiedler``: the second eigenvalue of the normalised Laplacian of the same-source probabilities (small
      when the sentences fall into two groups that do not look alike, in any order);
    * ``pair_worst``: the mean log-odds of the sentence that fits the page least (an intruder).
    """
    n = lg.shape[0]
    lg = lg.copy()
    np.fill_diagonal(lg, 0.0)
    iu = np.triu_indices(n, 1)
    v = lg[iu]
    adj = np.diagonal(lg, 1)
    # Best boundary from prefix sums of the matrix: s(a, b) = sum of lg over rows a..b-1 and columns a..b-1.
    c = np.zeros((n + 1, n + 1))
    c[1:, 1:] = np.cumsum(np.cumsum(lg, 0), 1)
    g = np.arange(3, n - 2)
    best = -1e9
    if len(g):
        left, right, cross = c[g, g], c[n, n] - c[g, n] - c[n, g] + c[g, g], c[g, n] - c[g, g]
        d = (left + right) / (g * (g - 1) + (n - g) * (n - g - 1)) - cross / (g * (n - g))
        best = float(d.max())
    p = 1.0 / (1.0 + np.exp(-np.clip(lg, -30, 30)))
    np.fill_diagonal(p, 0.0)
    p += 1e-3
    dg = 1.0 / np.sqrt(p.sum(1))
    lap = np.eye(n) - p * dg[:, None] * dg[None, :]
    ev = np.linalg.eigvalsh(lap)
    rows = lg.sum(1) / (n - 1)
    # Local boundary depth at each gap (TextTiling on the same-source matrix): pairs inside the _TILE sentences
    # before and inside the _TILE after, against pairs across. Block-stitched pages have one deep gap per stitch.
    g = np.arange(2, n - 1)
    a0, b1 = np.maximum(0, g - _TILE), np.minimum(n, g + _TILE)

    def box(r0, r1, c0, c1):  # sum of lg[r0:r1, c0:c1] from the prefix sums
        return c[r1, c1] - c[r0, c1] - c[r1, c0] + c[r0, c0]

    nl, nr = (g - a0) * (g - a0 - 1), (b1 - g) * (b1 - g - 1)
    inside = (box(a0, g, a0, g) + box(g, b1, g, b1)) / np.maximum(1, nl + nr)
    depth = inside - box(a0, g, g, b1) / ((g - a0) * (b1 - g))
    tile_max = float(depth.max()) if len(depth) else 0.0
    # The second deepest gap at least _TILE sentences away from the deepest (a page of 3+ sources has two).
    second = 0.0
    if len(depth):
        k = int(depth.argmax())
        far = np.r_[depth[:max(0, k - _TILE)], depth[k + _TILE + 1:]]
        second = float(far.max()) if len(far) else 0.0
    dist = iu[1] - iu[0]
    near, far_ = v[dist <= 2], v[dist >= 6]
    near_far = float(near.mean() - far_.mean()) if len(far_) else 0.0
    return [float(v.mean()), float((v < 0).mean()), float(adj.mean()), float((adj < 0).mean()),
            float(best if best > -1e9 else 0.0), float(ev[1]), float(rows.min()), tile_max, second, near_far]


NEUTRAL = (0.0,) * len(PAIR_SIGNALS)

# Two ways of typesetting one thing: a page set by one hand (or one CMS) uses one of them throughout; a page pasted
# together from several sources mixes them, each in its own sentences.
_HABITS = (
    # (characters one of which the first way needs, its pattern, the same for the second way)
    ("'", _APOS_STRAIGHT, "\u2019\u02bc", _APOS_CURLY),
    ('"', _Q_STRAIGHT, "\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u300c\u300d", _Q_CURLY),
    ("-", re.compile(r"\s-\s"), "\u2013\u2014", re.compile(r"\s[\u2013\u2014]\s")),
    (".", re.compile(r"(?<!\.)\.\.\.(?!\.)"), "\u2026", re.compile(r"\u2026")),
    (",", re.compile(r"\d,\d{3}(?!\d)"), ".\u00a0\u202f", re.compile(r"\d[.\u00a0\u202f]\d{3}(?!\d)")),
    # Tokenised text (" , " and a detached final period, as some corpora store it) against typed text.
    (",.", re.compile(r"\w\s,\s|\w\s\.$"), ",.", re.compile(r"\w,\s|\w\.$")),
)


def _has(text: str, chars: str, pattern: re.Pattern) -> bool:
    return any(map(text.__contains__, chars)) and pattern.search(text) is not None


# _HABITS for an ASCII text: the characters it can hold (a way none of whose characters is ASCII is absent).
_HABITS_ASCII = tuple(("".join(filter(str.isascii, ca)), a, "".join(filter(str.isascii, cb)), b)
                      for ca, a, cb, b in _HABITS)


def habits(text: str) -> tuple[tuple[bool, bool], ...]:
    """Per habit of _HABITS, whether the text has its first way and whether it has its second."""
    return tuple((_has(text, ca, a), _has(text, cb, b))
                 for ca, a, cb, b in (_HABITS_ASCII if text.isascii() else _HABITS))


def habit_clashes(texts: list[str], flags: list[tuple] | None = None) -> float:
    """How many of _HABITS a page uses both ways (in different sentences, each way in 2+ sentences or in 10% of
    them): 0 on a page set by one hand. ``flags``: habits() of each text, when already known."""
    n = len(texts)
    out = 0.0
    need = max(2, 0.1 * n)
    flags = [habits(t) for t in texts] if flags is None else flags
    for h in range(len(_HABITS)):
        only_a = only_b = 0
        for f in flags:
            x, y = f[h]
            only_a += x and not y
            only_b += y and not x
        if only_a >= need and only_b >= need:
            out += 1.0
    return out


def vectors(texts: list[str], memo=None) -> list[list]:
    """[style, capitalised words, short words, habits (None until asked)] of each text, from ``memo`` (a
    coherence.SentenceMemo: filed by the sentence's text) where the text was seen before: the pair signals, the
    intruder judge and a second analysis of the page after offtopic_sentences's cuts share them."""
    known = memo.vectors if memo is not None else {}
    out = []
    for t in texts:
        v = known.get(t)
        if v is None:
            sty, short = style_and_short(t)
            v = known[t] = [sty, capitalised_words(t), short, None]
        out.append(v)
    return out


# Pages longer than this many content sentences are judged on an even sample of them (the matrix is n x n).
MAX_SENTENCES = 80


def page_vectors(text: str, sentences, memo=None):
    """(texts, style matrix, stems, capitalised words, short words, incidences, per-text vectors()) of a page's
    content sentences (those without a chrome reason and with 2+ content stems; an even sample of MAX_SENTENCES on
    longer pages); None under 8."""
    idx = [i for i, s in enumerate(sentences) if s.reason is None and len(s.stems) >= 2]
    if len(idx) < 8:
        return None
    if len(idx) > MAX_SENTENCES:
        idx = [idx[round(k * (len(idx) - 1) / (MAX_SENTENCES - 1))] for k in range(MAX_SENTENCES)]
    texts = [text[sentences[i].start:sentences[i].end] for i in idx]
    stems = [sentences[i].stems for i in idx]
    vec = vectors(texts, memo)
    caps = [v[1] for v in vec]
    short = [v[2] for v in vec]
    return texts, np.array([v[0] for v in vec]), stems, caps, short, (
        incidence(stems), incidence(caps), incidence(short)), vec


def window_signals(v) -> tuple:
    """WINDOW_SIGNALS from page_vectors' answer (NEUTRAL for None)."""
    if v is None:
        return _windows.NEUTRAL
    return _windows.window_signals(_windows.Profiles(v[1], v[5]))


def page_signals(text: str, sentences, memo=None) -> tuple:
    """PAIR_SIGNALS of a page from its analysed sentences (winnow.steps.coherence.Sentence); NEUTRAL when under 8
    content sentences or without the models. ``memo``: a coherence.SentenceMemo (see vectors())."""
    if _model() is None:
        return NEUTRAL
    v = page_vectors(text, sentences, memo)
    if v is None:
        return NEUTRAL
    texts, sty, stems, caps, short, inc, vec = v
    # In how many of the page's sentences each stem occurs (the stems in one only are never shared).
    df = dict(zip(inc[0][2], inc[0][0].sum(0)))
    lg = pair_logits(sty, stems, caps, df, short, inc=inc)
    for x, t in zip(vec, texts):
        if x[3] is None:
            x[3] = habits(t)
    return tuple(pair_signals(lg)) + (habit_clashes(texts, [x[3] for x in vec]),) + window_signals(v)


# ----------------------------------------------------------------------------------------------------------------
# Intruders: how each sentence sits against the rest of its page.

SENTENCE_SIGNALS = ("row_mean", "row_share", "row_top3", "row_local", "links")
# Content sentences judged at once: a longer page is judged in consecutive chunks of this many, so the (n, n)
# matrix stays bounded (120 x 120 log-odds, ~0.1 MB).
CHUNK = 120
# Sentences on each side whose log-odds make up ``row_local``.
_LOCAL = 3


def _chunk_rows(n: int) -> list[tuple[int, int]]:
    """[(first, end)) of the rows of ``n`` judged sentences that each chunk of sentence_signals fills (a short tail
    is judged with the CHUNK sentences before it)."""
    out = []
    for c0 in range(0, n, CHUNK):
        if n - c0 < 8 and c0:
            out.append((max(0, n - CHUNK), n))
        else:
            out.append((c0, min(n, c0 + CHUNK)))
    return out


def judged_rows(n: int, wanted: list[int]) -> list[int]:
    """The rows that sentence_signals(..., only) fills as sentence_signals(...) does, ``wanted`` (positions among
    the n judged sentences) among them: those whose last writer (the tail chunk overwrites rows of the chunk before
    it) is a chunk that holds a wanted sentence, in order."""
    chunks = _chunk_rows(n)
    owner = [0] * n
    for j, (a, b) in enumerate(chunks):
        owner[a:b] = [j] * (b - a)
    seen = [0] * (n + 1)  # seen[k]: wanted positions below k (a chunk holds one when its count goes up: linear)
    for k in wanted:
        seen[k + 1] = 1
    for k in range(n):
        seen[k + 1] += seen[k]
    done = {j for j, (a, b) in enumerate(chunks) if seen[b] > seen[a]}
    return [k for k in range(n) if owner[k] in done]


def sentence_signals(text: str, sentences, idx: list[int], memo=None, only: set | None = None,
                     rows_only: bool = False) -> np.ndarray:
    """(len(idx), len(SENTENCE_SIGNALS)) signals of the content sentences ``idx`` of a page against the others:

    * ``row_mean``: the mean same-source log-odds of the sentence with every other one;
    * ``row_share``: the share of those pairs that look same-source (log-odds > 0);
    * ``row_top3``: the mean of its three best pairs (a host sentence has a few close kin on its page; an
      inserted one from an unrelated page has none);
    * ``row_local``: the mean over the sentences within three places of it (inserted sentences sit among
      host sentences they do not resemble; the page's own sentences sit among their neighbours);
    * ``links``: the share of its content stems that another sentence of the page has.

    A single pair is weak evidence (pair ROC AUC 0.72); a sentence's row aggregates it over the page. Raw rows
    beat rows standardised within the page (robust z) on the recipes' train half: at 2% of untouched pages'
    sentences, 27% vs 10% of inserted sentences fall below for ``row_top3`` (bench/coherence_intruders.py).

    ``only``: the sentences wanted (chunks without one are left at zero, see judged_rows); with ``rows_only``, of
    the chunks holding one only the rows of the wanted sentences are filled, each the same bits as when its whole
    chunk is judged (a row needs the whole chunk's vectors but only its own row of log-odds: the intruder judge
    asks for the few furniture-shaped lines of a page, a tenth of its sentences)."""
    out = np.zeros((len(idx), len(SENTENCE_SIGNALS)))
    if _model() is None:
        return out
    for c0 in range(0, len(idx), CHUNK):
        part = idx[c0:c0 + CHUNK]
        if len(part) < 8 and c0:  # a short tail is judged with the chunk before it
            part = idx[max(0, len(idx) - CHUNK):]
        if only is not None and only.isdisjoint(part):
            continue  # ``only``: the sentences wanted; a chunk without any is left at zero (see judged_rows)
        texts = [text[sentences[i].start:sentences[i].end] for i in part]
        stems = [sentences[i].stems for i in part]
        df: dict = {}
        for st in stems:
            count_into(df, st)
        vec = vectors(texts, memo)
        n = len(part)
        k = np.arange(n)
        rows = [j for j, i in enumerate(part) if i in only] if rows_only and only is not None else None
        lg = pair_logits(np.array([v[0] for v in vec]), stems, [v[1] for v in vec], df, [v[2] for v in vec],
                         rows=rows)
        kr = k if rows is None else k[rows]
        off = kr[:, None] != k[None, :]  # (~np.eye(n) on the rows asked for)
        mean = (lg * off).sum(1) / (n - 1)
        share = ((lg > 0) & off).sum(1) / (n - 1)
        top3 = np.sort(np.where(off, lg, -np.inf), 1)[:, -3:].mean(1)
        band = (np.abs(kr[:, None] - k[None, :]) <= _LOCAL) & off
        local = (lg * band).sum(1) / np.maximum(1, band.sum(1))
        links = np.array([sentences[part[j]].links / max(1, len(sentences[part[j]].stems)) for j in kr])
        first = len(idx) - n if c0 and len(idx[c0:c0 + CHUNK]) < 8 else c0
        out[first + kr] = np.c_[mean, share, top3, local, links]
    return out
