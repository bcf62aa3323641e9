"""A fast rule-based sentence segmenter that returns character spans.

Spans ``(start, end)`` index the text and exclude surrounding whitespace, so a cleaning step can remove a sentence
with ``doc.remove_spans`` and the edit record shows exactly what went. Crawled text is the target: line breaks are
boundaries (except soft wraps that continue in lower case), and a period is a boundary unless the word before it
is a known abbreviation ("St.", "Aug.", "Dr."), a single initial ("J. R. R."), a one- or two-digit ordinal before
a capital ("3. Oktober"), or the next word starts in lower case. Non-Latin terminators (。！？ ।॥ ؟ ۔) need no
following space. Quotes and brackets that close a sentence stay with it; those that open one start the next.
"""

from __future__ import annotations

import re

__all__ = ["sentence_spans", "split_sentences"]

# Words that end in a period without ending the sentence. Lower-cased, without the period. Titles, months and
# reference words are almost always followed by a name or a number; the second set ends sentences as often as not
# and is only kept inside when the next word is not capitalised (handled by the generic lower-case rule).
_NEVER_FINAL = frozenset(
    """
    mr mrs ms messrs dr prof st ste mt ft rev hon gen col lt sgt capt cmdr adm maj gov sen rep pres supt insp
    jan feb mar apr jun jul aug sep sept oct nov dec
    ed eds op cit ibid approx cf viz vs v
    e.g i.e a.m p.m u.s.a
    dipl ing mag bzw ggf usw vgl evtl inkl ca nr tel str hr fr frl
    mme mlle mm
    sr sra srta dña dª av avda pág núm
    bl.a t.ex s.k dvs mfl osv
    esim ks mm jne yms
    """.split()
)

# Words that abbreviate only before a number ("No. 5", "pp. 12", "Fig. 3") and end sentences otherwise ("no.").
_BEFORE_NUMBER = frozenset("no nos nr vol vols pp p fig figs ch chap sec art eq ref refs ca tel".split())

# Terminator cluster, then closing quotes/brackets (possibly with more terminators inside, as in "(origin?).").
_CLOSERS = r"(?:[\"'\u201d\u2019\u00bb\u300d\u300f)\]\uff09]+[.!?\u2026\u3002\uff01\uff1f]*)*"
_TERM_PLAIN = re.compile(
    r"(?:[.!?\u2026]+|[\u3002\uff01\uff1f\uff0e]+|[\u0964\u0965\u061f\u06d4]+)" + _CLOSERS + r"|\n"
)
# The same matches, written to start with one character class: sre then skips to the next terminator or line break
# in a tight loop instead of trying the alternation at every position (the scan was two thirds of the segmenter's
# CPU on the e2e documents; tests/test_sentences.py holds the two to each other). The first character picks its
# cluster's class by a lookbehind (the three classes and the line break are disjoint).
_TERM = re.compile(
    r"[.!?\u2026\u3002\uff01\uff1f\uff0e\u0964\u0965\u061f\u06d4\n]"
    r"(?:(?<=[.!?\u2026])[.!?\u2026]*" + _CLOSERS + r"|(?<=[\u3002\uff01\uff1f\uff0e])[\u3002\uff01\uff1f\uff0e]*"
    + _CLOSERS + r"|(?<=[\u0964\u0965\u061f\u06d4])[\u0964\u0965\u061f\u06d4]*" + _CLOSERS + r"|(?<=\n))"
)
_WORD_BEFORE = re.compile(r"([^\s\"'(\[\u201c\u2018\u00ab]+)$")
_OPENERS = "\"'\u201c\u2018\u00ab\u300c\u300e([\uff08\u00bf\u00a1-\u2013\u2014*\u2022"
_PUNCT_ONLY = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u0964\u0965\u061f\u06d4\"'\u201d\u2019\u00bb)\]\s]+$")
_CJK_TERM = frozenset("\u3002\uff01\uff1f")
_SPACE = frozenset(" \t\r\f\v\u00a0\u2009\u200b\u3000")


def _is_boundary(text: str, m_start: int, m_end: int, n: int) -> bool:
    term = text[m_start]
    # CJK full stops end a sentence whatever follows; "." after CJK text is also final.
    if term in _CJK_TERM:
        return True
    if m_end >= n:
        return True
    nxt = text[m_end]
    if nxt not in _SPACE and nxt != "\n":
        # "3.5", "e.g.,", "U.S.-based", "file.txt": a terminator glued to the next character is not a boundary,
        # except for the scripts whose terminators take no space.
        return term in "\u0964\u0965\u061f\u06d4"
    # Look at the first character of the next word, skipping spaces and opening punctuation.
    i = m_end
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n:
        return True
    if text[i] == "\n":
        return True
    while i < n and text[i] in _OPENERS:
        i += 1
    if i >= n:
        return True
    c = text[i]
    if c.islower():
        return False
    if term in "!?\u2026\u061f\u0964\u0965\u06d4" or text[m_end - 1] in "!?\"'\u201d\u2019)":
        return True
    # A period: inspect the word before it.
    if m_start == 0 or text[m_start - 1] in _SPACE:
        return True  # "Lenin . Together": detached period
    w = _WORD_BEFORE.search(text, max(0, m_start - 40), m_start)
    if w is None:
        return True
    word = w.group(1)
    low = word.lower()
    if low in _NEVER_FINAL or (c.isdigit() and low in _BEFORE_NUMBER):
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        return False  # an initial: "J. Edgar", "George W. Bush"
    if "." in word and len(word) <= 6 and all(len(p) <= 2 for p in word.split(".")):
        # "U.S." / "z.B." / "e.g": abbreviation with inner dots; final only before a capitalised common word is
        # ambiguous, so prefer not splitting when a digit follows (a date or a page number).
        return not c.isdigit()
    if word.isdigit() and len(word) <= 2 and c.isupper():
        return False  # ordinal "3. Oktober", list item "1. Introduction"
    if c.isdigit():
        # "Aug. 31" handled above; "in 1907. 1908 was" is rare next to "No. 5", "pp. 12": keep together when the
        # word before is short (likely an abbreviation).
        return len(word) > 3
    return True


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of ``text``, whitespace excluded, in order."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    start = 0
    for m in _TERM.finditer(text):
        ms, me = m.start(), m.end()
        if text[ms] == "\n":
            # Soft wrap: a line that does not end a sentence continued by a lower-case word.
            j = me
            while j < n and text[j] in _SPACE:
                j += 1
            if j < n and text[j].islower() and ms > start and text[ms - 1] not in ".!?:;" and text[ms - 1] not in _SPACE:
                k = ms - 1
                if text[k].isalnum() or text[k] in ",-":
                    continue
            end = ms
        else:
            if not _is_boundary(text, ms, me, n):
                continue
            end = me
        _emit(text, start, end, spans)
        start = end if text[ms] != "\n" else me
    _emit(text, start, n, spans)
    return spans


def _emit(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        if spans and "\n" not in text[spans[-1][1]:start] and _PUNCT_ONLY.match(text, start, end):
            # A stray closing mark ('!' after '...', '».') belongs to the sentence before it.
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))


def split_sentences(text: str) -> list[str]:
    """The sentences as strings (convenience for tests and benchmarks)."""
    return [text[s:e] for s, e in sentence_spans(text)]
