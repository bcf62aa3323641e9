"""Site chrome told by its shape: evidence for offtopic_sentences' ``site_chrome`` that needs no phrase list.

The phrase tables of coherence.py (CHROME_FAMILIES, _CHROME) find the furniture they were written for; chrome in
wording nobody wrote down ("Versandkostenfrei ab 29 EUR", "12 Antworten | Neuester Beitrag von kasia88") is found
only by what it looks like. ``chrome_probabilities`` scores each short sentence the rules left alone on
``SHAPE_FEATURES``: its length, case pattern, digits, dates, prices and times, separators and brackets, share of
function words (the per-language lists coherence.py and noise_lines.py already hold: prose has them, furniture
has few), URL/handle/e-mail shapes, whether it stands on a line of its own, its position and repetition on the
page, how many of its stems the rest of the page shares (a heading shares the topic's words, a menu item does
not) and the same of its neighbours. No web vocabulary and no chrome phrase enters the features, so a family of
chrome that no table names is judged as any other.

The model (winnow/data/coherence/chrome_shape.json: gradient-boosted trees read by _trees.py) is fitted by
bench/coherence_chrome_shape.py on silver labels from real HTML renderings: each page of
crawl/web-pages.jsonl.gz (train half) in its whole visible text, a sentence counting as furniture when its line is
not in the page's main content, plus the same furniture lines inserted into all-content pages of other sites.
Its threshold, the guards below and their provenance are in that script and in the file.

What is content though short (the issue's examples): rows of a table (bars or tabs in the line, or a run of such
rows), items of a list (a run of 3+ lines opened by the same bullet or numbering), a heading (a line without
sentence end followed by prose that shares its stems) and a personal aside (a sentence of 8+ words with its full
stop): the guards in ``removals`` keep them whatever the model says.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from .. import _trees, _wordlists
from .._packaged import packaged_model

__all__ = ["SHAPE_FEATURES", "MODEL", "MAX_WORDS", "CONTACT", "candidates", "shape_features",
           "chrome_probabilities", "removals"]

MODEL = "chrome_shape.json"
# Longest sentence judged (words): chrome longer than this is a banner of running sentences, which the phrase rules
# and the intruder judge see; 99% of the silver furniture sentences of the train half have at most 30 words.
MAX_WORDS = 30

SHAPE_FEATURES = (
    "log_chars", "log_words", "cjk", "terminal", "colon_end", "question_end", "first_cap", "caps", "all_caps",
    "digits", "numbers", "date", "time", "price", "separators", "brackets", "symbols", "function", "url", "handle",
    "mean_word_len", "bullet", "own_line", "line_sents", "rel_pos", "edge", "repeated", "stems", "linked",
    "strong", "prev_terminal", "next_terminal", "prev_log_words", "next_log_words", "prev_linked", "next_linked",
    "doc_terminal", "doc_short", "doc_log_sents",
)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)
_END = frozenset(".!?\u3002\uff01\uff1f\u0964\u061f\u06d4\u2026")
_CLOSERS = "\"'\u201d\u2019)\u00bb\u300d\u300f]\uff09"
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\d{4}\s*\u5e74|\b(?:1[89]|20)\d\d\b")
_TIME = re.compile(r"\b\d{1,2}[:.h]\d{2}\b(?!\d)|\b\d{1,2}\s?(?:am|pm)\b", re.IGNORECASE)
_PRICE = re.compile(r"[$\u20ac\u00a3\u00a5\uffe5\u20bd\u20b9\u20a9\u20ba\u0e3f]|\d[.,]\d\d(?!\d)"
                    r"|\b[A-Z]{3}\s?\d|\d\s?[A-Z]{3}\b|\d\s?(?:kr|z\u0142|\u5186|\u5143)")
_SEPARATOR = re.compile(r"\s[|\u00bb\u203a\u2022\u00b7/>\u2013\u2014~:-]\s|[|\u00a6\u2022\u00b7\u00bb\u203a\u2192]")
_BRACKET = re.compile(r"[()\[\]\uff08\uff09{}<>]")
_SYMBOL = re.compile(r"[^\w\s]|_")
_URL = re.compile(r"https?://|www\.|\w\.(?:com|org|net|html?|php|info|co)\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)[@#]\w|\S@\S+\.\w")
_BULLET = re.compile(
    r"^\s*(?:[-*\u2022\u00b7\u25cf\u25aa\u25ba\u2013\u2014+>]\s|\d{1,3}[.)]\s|[a-z][.)]\s|\(\d{1,3}\)\s)")


@functools.lru_cache(maxsize=1)
def _function_words() -> frozenset:
    """Function words of the languages the project has lists for: coherence.py's stop stems (4+ letters, 13
    languages) and noise_lines.py's short ones (en de fr es sv fi), both in _wordlists."""
    return _wordlists.STOP | _wordlists.FUNCTION


def _own_line(text: str, s) -> bool:
    """Only white space between the sentence and the line breaks around it. Read outward from the sentence and
    stopped at the first other character: slicing to the line's ends cost a whole line per sentence, quadratic on
    a page flattened to one line (30 s of 100,000 sentences)."""
    k = s.start
    while k > 0 and text[k - 1] != "\n":
        if not text[k - 1].isspace():
            return False
        k -= 1
    k, n = s.end, len(text)
    while k < n and text[k] != "\n":
        if not text[k].isspace():
            return False
        k += 1
    return True


def candidates(a) -> list[int]:
    """Indices of the sentences the model judges: left alone by the rules, alone on their line, 1..MAX_WORDS words
    (or CJK text of at most 3*MAX_WORDS characters). A short piece inside a line of running text is more often a
    piece of a sentence the splitter cut (a quote's attribution after "»", an address after "Jl.", a film's credits,
    opening hours after "Di.") than furniture: of 95 removals on real pages read by hand before this condition, 13 of
    the 21 wrong ones were such pieces (bench/results/coherence.md, "Site chrome by its shape"). So the model judges
    lines, and chrome glued into a one-line page is left to the phrase rules."""
    out = []
    text = a.text
    for i, s in enumerate(a.sentences):
        if s.reason is not None or not _own_line(text, s):
            continue
        if 1 <= s.n_words <= MAX_WORDS or (s.n_words == 0 and 0 < s.end - s.start <= 3 * MAX_WORDS
                                           and _CJK.search(text, s.start, s.end)):
            out.append(i)
    return out


def _ends(t: str) -> bool:
    t = t.rstrip().rstrip(_CLOSERS)
    return bool(t) and t[-1] in _END


def shape_features(a, idx: list[int]) -> np.ndarray:
    """One row of SHAPE_FEATURES per sentence index in ``idx`` (of the analysis ``a`` of coherence.analyse)."""
    text, sents = a.text, a.sentences
    n = len(sents)
    if not idx:
        return np.zeros((0, len(SHAPE_FEATURES)))
    fw = _function_words()
    terminal = [_ends(text[s.start:s.end]) for s in sents]
    doc_terminal = sum(terminal) / max(1, n)
    doc_short = sum(1 for s in sents if s.n_words <= 6) / max(1, n)
    log_n = math.log1p(n)
    counts: dict[str, int] = {}
    keys = []
    for s in sents:
        k = " ".join(text[s.start:s.end].lower().split())
        keys.append(k)
        counts[k] = counts.get(k, 0) + 1

    def linked(s) -> float:
        return s.links / len(s.stems) if s.stems else -1.0

    rows = []
    for i in idx:
        s = sents[i]
        t = text[s.start:s.end]
        nc = len(t)
        words = _WORD.findall(t)
        nw = len(words)
        letters = [w for w in words if w[0].isalpha()]
        cased = [w for w in letters if w[0].upper() != w[0].lower()]
        caps = sum(1 for w in cased if w[0].isupper()) / len(cased) if cased else -1.0
        all_caps = sum(1 for w in cased if len(w) >= 2 and w.isupper()) / len(cased) if cased else -1.0
        first = next((c for c in t if c.isalpha()), "")
        cjk = len(_CJK.findall(t)) / max(1, nc)
        # Line context: the sentence alone on its line, or several sentences to the line.
        ls = text.rfind("\n", 0, s.start) + 1
        le = text.find("\n", s.end)
        le = len(text) if le < 0 else le
        own_line = float(not text[ls:s.start].strip() and not text[s.end:le].strip())
        # Sentences sharing the line: counted by neighbours whose spans fall inside [ls, le).
        line_sents = 1
        j = i - 1
        while j >= 0 and sents[j].end > ls and line_sents < 5:
            line_sents += 1
            j -= 1
        j = i + 1
        while j < n and sents[j].start < le and line_sents < 5:
            line_sents += 1
            j += 1
        p = sents[i - 1] if i > 0 else None
        q = sents[i + 1] if i + 1 < n else None
        rows.append([
            math.log1p(nc), math.log1p(nw), cjk, float(terminal[i]), float(t.rstrip().endswith((":", "\uff1a"))),
            float(t.rstrip()[-1:] in "?\uff1f\u061f"), float(first.isupper()) if first else -1.0, caps, all_caps,
            len(_DIGIT.findall(t)) / max(1, nc), min(6, len(_NUMBER.findall(t))), float(bool(_DATE.search(t))),
            float(bool(_TIME.search(t))), float(bool(_PRICE.search(t))), min(8, len(_SEPARATOR.findall(t))),
            min(6, len(_BRACKET.findall(t))), len(_SYMBOL.findall(t)) / max(1, nc),
            sum(1 for w in words if w.lower() in fw) / nw if nw else -1.0,
            float(bool(_URL.search(t))), float(bool(_HANDLE.search(t))),
            sum(len(w) for w in words) / nw if nw else 0.0, float(bool(_BULLET.match(t))),
            own_line, line_sents, i / max(1, n - 1), min(10, i, n - 1 - i), min(5, counts[keys[i]] - 1),
            min(12, len(s.stems)), linked(s), s.strong / len(s.stems) if s.stems else -1.0,
            float(terminal[i - 1]) if p else -1.0, float(terminal[i + 1]) if q else -1.0,
            math.log1p(p.n_words) if p else -1.0, math.log1p(q.n_words) if q else -1.0,
            linked(p) if p else -2.0, linked(q) if q else -2.0,
            doc_terminal, doc_short, log_n,
        ])
    return np.asarray(rows, dtype=float)


@functools.lru_cache(maxsize=1)
def _model() -> tuple | None:
    m = packaged_model("coherence", MODEL, SHAPE_FEATURES, "bench/coherence_chrome_shape.py")
    if m is None:
        return None
    return _trees.load(m), float(m["threshold"])


def chrome_probabilities(a, idx: list[int] | None = None) -> dict[int, float]:
    """Sentence index -> probability that it is site furniture, for the candidates (or ``idx``); {} without the
    model file."""
    m = _model()
    idx = candidates(a) if idx is None else idx
    if m is None or not idx:
        return {}
    p = _trees.probabilities(m[0], shape_features(a, idx))
    return {i: float(q) for i, q in zip(idx, p)}


_BARS = re.compile(r"[|\u00a6\t]")
# A line of an organisation's contact details: an e-mail address, a labelled phone or fax number, or a number in
# the shapes only phone numbers take (an international prefix, an area code in brackets). Content of the
# organisation's own page, not furniture: 4 of 7 wrong removals of the e5 chrome judge's fresh sample were such
# lines ("Info: (212) ...", phone, fax; bench/results/coherence.md, "Chrome by meaning"), and the phrase rules keep
# them for the same reason (hand labels). Used by the judges' guards here, by _chrome_embed and by
# coherence.py's intruder judge, furniture words and menu trails.
# The e-mail's local part starts where a run of its characters starts: without the lookbehind a search tried every
# position of a long run with no "@" ("a" x 32,000: 2.5 s, quadratic; tests/test_fuzz_steps.py), and a match found
# inside a run is also one from the run's start, so the same texts match.
CONTACT = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[^\W\d_]{2,}"
    r"|\b(?:tel|t\u00e9l|phone|fon|telefon|t\u00e9l\u00e9phone|tel\u00e9fono|telefone|telefono|puh|puhelin|fax|"
    r"mob|mobil|mobile|tfn|\u0442\u0435\u043b|\u0442\u0435\u043b\u0435\u0444\u043e\u043d|hotline)\b\.?\s*:?\s*[+(]?\d"
    r"|(?:\u96fb\u8a71|\u7535\u8bdd|\u0647\u0627\u062a\u0641)\s*[:\uff1a]?\s*[+(]?\d"
    r"|(?<![\w+])\+\d{1,3}[\s./-]?\(?\d{1,5}\)?(?:[\s./-]?\d{2,5}){2,}"
    r"|(?<!\w)\(\d{2,5}\)\s?\d{2,5}[\s./-]?\d{2,5}",
    re.IGNORECASE)


def _line(text: str, s) -> str:
    ls = text.rfind("\n", 0, s.start) + 1
    le = text.find("\n", s.end)
    return text[ls: len(text) if le < 0 else le]


def _marker(line: str) -> str:
    """The opening mark of a list item ("-", "1.", "a)"), digits collapsed; "" when none."""
    m = _BULLET.match(line)
    return re.sub(r"\d+", "0", m.group(0).strip()) if m else ""


def _content_shaped(a, i: int) -> bool:
    """Tables, lists, headings and asides are content, however short (see the module's docstring)."""
    text, sents = a.text, a.sentences
    s = sents[i]
    t = text[s.start:s.end].strip()
    line = _line(text, s)
    if "\t" in line.strip() or (_BARS.search(line) and any(
            _BARS.search(_line(text, sents[j])) and _line(text, sents[j]) != line
            for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(sents))):
        return True  # a row of a table: cells in a run of lines (a lone "Add to cart | Wishlist" line is not)
    if s.n_words >= 8 and _ends(t):
        return True  # a sentence of its own: the author's
    if CONTACT.search(t):
        return True  # a contact line of the organisation's own page
    mk = _marker(line)
    if mk:
        # A list: the same opening mark on the line before or after, or a lead-in ending with a colon. (At first
        # two such neighbours of four were asked for: of 70 removals read by hand, 5 of the 11 wrong ones were items
        # of the page's own lists of two or three, or after "... either be:".)
        for j in (i - 1, i + 1):
            if 0 <= j < len(sents) and _marker(_line(text, sents[j])) == mk:
                return True
        if i > 0 and text[sents[i - 1].start:sents[i - 1].end].rstrip().endswith((":", "\uff1a")):
            return True
    nxt = sents[i + 1] if i + 1 < len(sents) else None
    if nxt is not None and s.stems and nxt.n_words >= 8 and _ends(text[nxt.start:nxt.end]) and (
            s.stems & nxt.stems):
        return True  # a heading over the paragraph it names
    return False


def removals(a, threshold: float | None = None, taken: frozenset | set = frozenset()) -> list[tuple]:
    """(start, end, "site_chrome", score) for the candidates whose probability reaches ``threshold`` (None: the
    model file's) and that no content guard keeps; [] without the model file or with threshold >= 1."""
    m = _model()
    if m is None:
        return []
    thr = m[1] if threshold is None else threshold
    if thr > 1.0 - 1e-9:
        return []
    idx = [i for i in candidates(a) if a.sentences[i].start not in taken]
    out = []
    for i, q in chrome_probabilities(a, idx).items():
        if q >= thr and not _content_shaped(a, i):
            s = a.sentences[i]
            out.append((s.start, s.end, "site_chrome", round(q, 3)))
    return out
