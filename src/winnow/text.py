"""Segmentation computed once per document and shared by every step.

The peers re-split the text in each filter (datatrove's spaCy word split is most of its Gopher time). Here a step
asks ``segments(doc)`` and gets the cached object for the document's *current* text; a step that edits the text
invalidates the cache simply by assigning a new string (the cache is keyed on the string's identity).

Any step may add its own derived view with ``segments(doc).memo("key", fn)``: the value is computed on first use
and shared by every later step that asks for the same key (for example a tokenizer-specific word list).
"""

from __future__ import annotations

import re
from typing import Any, Callable

__all__ = ["Segments", "segments"]

_PARAGRAPH_SPLIT = re.compile(r"\n{2,}")


class Segments:
    __slots__ = ("text", "_memo")

    def __init__(self, text: str):
        self.text = text
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, fn: Callable[[str], Any]) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = fn(self.text)
            return value

    @property
    def words(self) -> list[str]:
        """Whitespace tokens."""
        return self.memo("words", str.split)

    @property
    def lines(self) -> list[str]:
        """Lines as split on "\\n" (empty lines included)."""
        return self.memo("lines", lambda t: t.split("\n"))

    @property
    def nonempty_lines(self) -> list[str]:
        """Stripped non-empty lines."""
        return self.memo("nonempty_lines", lambda t: [s for s in (ln.strip() for ln in t.split("\n")) if s])

    @property
    def paragraphs(self) -> list[str]:
        return self.memo("paragraphs", lambda t: _PARAGRAPH_SPLIT.split(t.strip()))

    @property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans ``(start, end)`` into the text, whitespace excluded (see winnow.sentences)."""
        from .sentences import sentence_spans

        return self.memo("sentences", sentence_spans)


def segments(doc) -> Segments:
    seg = doc._segments
    if seg is None or seg.text is not doc.text:
        seg = doc._segments = Segments(doc.text)
    return seg
