"""Small steps used only by the report tests: a line-removing Map, a language Tagger and a Filter that declares
THRESHOLDS, so a real run exercises edits, a language breakdown and re-thresholding whatever filters ship."""

from __future__ import annotations

import re
from dataclasses import dataclass

from winnow.document import Document
from winnow.registry import _REGISTRY, register
from winnow.step import Filter, Map, Reject, Tagger
from winnow.text import segments

NAMES = ("_rpt_lines", "_rpt_lang", "_rpt_words")
_NAV = re.compile(r"^\s*(share|subscribe|sign in|log in|menu|search|home|advertisement|read more)\b", re.I)


@register("_rpt_lines")
@dataclass
class RptLines(Map):
    """Remove navigation-like lines and lines of fewer than min_words words."""

    min_words: int = 3
    REASONS = ("nav_line", "short_line")

    def map(self, doc: Document) -> Document:
        spans = []
        pos = 0
        for line in doc.text.split("\n"):
            end = pos + len(line)
            if line.strip():
                if _NAV.match(line):
                    spans.append((pos, min(end + 1, len(doc.text)), "nav_line", None))
                elif len(line.split()) < self.min_words:
                    spans.append((pos, min(end + 1, len(doc.text)), "short_line", float(len(line.split()))))
            pos = end + 1
        doc.remove_spans(self.name, spans)
        return doc


@register("_rpt_lang")
@dataclass
class RptLang(Tagger):
    """Tag 'en' when the text is mostly ASCII letters, else 'xx' (a stand-in for language identification)."""

    REASONS = ()

    def score(self, doc: Document) -> dict:
        letters = [c for c in doc.text[:5000] if c.isalpha()]
        ascii_share = sum(c.isascii() for c in letters) / len(letters) if letters else 0.0
        return {"lang": "en" if ascii_share > 0.9 else "xx", "ascii_share": round(ascii_share, 4)}


@register("_rpt_words")
@dataclass
class RptWords(Filter):
    """Drop documents with too few words or too long words on average."""

    min_words: int = 50
    max_mean_word_len: float = 10.0
    REASONS = ("too_few_words", "long_words")
    THRESHOLDS = {"min_words": ("_rpt_words.n_words", "<", "too_few_words"),
                  "max_mean_word_len": ("_rpt_words.mean_word_len", ">", "long_words")}

    def reject(self, doc: Document) -> Reject | None:
        words = segments(doc).words
        n = len(words)
        mean = sum(map(len, words)) / n if n else 0.0
        doc.attributes["_rpt_words.n_words"] = n
        doc.attributes["_rpt_words.mean_word_len"] = mean
        if n < self.min_words:
            return Reject("too_few_words", n, self.min_words)
        if mean > self.max_mean_word_len:
            return Reject("long_words", mean, self.max_mean_word_len)
        return None


def unregister() -> None:
    for name in NAMES:
        _REGISTRY["step"].pop(name, None)
