"""``paragraph_language``: the language of each paragraph (Dolma's ``ft_lang_id_paragraph_v1``), and optionally
only the document's main language kept.

Paragraphs are Dolma's: every line (up to and including its ``"\\n"``) that is not blank. Each is given to the same
fastText model as the ``language`` step (lid.176.ftz shipped in a wheel, or ``model_path``), lowercased with its
line break turned into a space as Dolma's fastText taggers do (``lowercase: false`` gives the text as it is, as
datatrove's document-level filter does). The document's main language is the one with the most characters among
its paragraphs. With ``keep_main_only`` the paragraphs confidently in another language (score >= ``min_score``) are
removed as ``other_language`` edits (the removed text, its language and score recorded), which is how a page with
an English article and a block of Russian comments keeps the article alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..document import Document
from ..registry import register
from ..step import Context, Map

__all__ = ["ParagraphLanguage", "paragraph_spans"]

_PARA = re.compile(r"[^\n]*\n|[^\n]+$")  # Dolma's split_paragraphs: a line with its break, or the last line


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, its "\\n" included (Dolma's split_paragraphs, remove_empty=True)."""
    return [(m.start(), m.end()) for m in _PARA.finditer(text) if m.group(0).strip()]


@register("paragraph_language")
@dataclass
class ParagraphLanguage(Map):
    """Tag each paragraph's language (Dolma's ft_lang_id_paragraph_v1) and the main language; optionally remove the others."""

    # Remove the paragraphs in another language than the document's main one (edits with reason other_language).
    keep_main_only: bool = False
    # A paragraph is removed only when the model gives its other language at least this score (short lines such
    # as "Menu" get unsure labels and stay).
    min_score: float = 0.5
    # Lowercase each paragraph before prediction, as Dolma's fastText taggers do.
    lowercase: bool = True
    # Paragraphs recorded as [start, end, language, score] in paragraph_language.paragraphs (the first ones; the
    # main language counts all).
    max_recorded: int = 1000
    # A fastText language-ID model instead of the shipped lid.176.ftz (Dolma used lid.176.bin).
    model_path: str | None = None

    REASONS: ClassVar[tuple[str, ...]] = ("other_language",)
    FRACTIONS = ("min_score",)

    def validate(self) -> None:
        super().validate()
        if self.model_path is not None and not Path(self.model_path).expanduser().is_file():
            raise ValueError(f"model_path: no such file {self.model_path!r}")
        if self.max_recorded < 0:
            raise ValueError("max_recorded must not be negative")

    def setup(self, ctx: Context) -> None:
        from .langid import load_model

        self._model = load_model(Path(self.model_path).expanduser() if self.model_path else None)

    def map(self, doc: Document) -> Document:
        if getattr(self, "_model", None) is None:
            self.setup(Context())
        from .langid import predict

        text = doc.text
        rows: list[tuple[int, int, str | None, float]] = []
        chars: dict[str, int] = {}
        for s, e in paragraph_spans(text):
            para = text[s:e]
            pairs = predict(self._model, para.lower() if self.lowercase else para)
            lang, score = (pairs[0][0], round(pairs[0][1], 4)) if pairs else (None, 0.0)
            rows.append((s, e, lang, score))
            if lang is not None:
                chars[lang] = chars.get(lang, 0) + (e - s)
        total = sum(chars.values())
        # ties broken by the language code, never by dict order
        main = min(chars, key=lambda k: (-chars[k], k)) if chars else None
        at = doc.attributes
        at["paragraph_language.main"] = main
        at["paragraph_language.main_share"] = round(chars[main] / total, 4) if main else 0.0
        at["paragraph_language.count"] = len(rows)
        at["paragraph_language.paragraphs"] = [list(r) for r in rows[: self.max_recorded]]
        if self.keep_main_only and main is not None:
            drop = [(s, e, "other_language", score) for s, e, lang, score in rows
                    if lang is not None and lang != main and score >= self.min_score]
            if drop:
                at["paragraph_language.removed"] = len(drop)
                doc.remove_spans(self.name, drop)
        return doc

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
