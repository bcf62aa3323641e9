"""Small general-purpose steps that belong to no family."""

from __future__ import annotations

from dataclasses import dataclass

from ..document import Document
from ..registry import register
from ..step import Filter, Reject


@register("length")
@dataclass
class LengthFilter(Filter):
    """Drop documents whose text (after earlier cleaning) is shorter or longer than the bounds, in characters."""

    min_chars: int = 1
    max_chars: int = 10_000_000
    REASONS = ("too_short", "too_long")
    THRESHOLDS = {"min_chars": ("length.chars", "<", "too_short"), "max_chars": ("length.chars", ">", "too_long")}

    def reject(self, doc: Document) -> Reject | None:
        n = len(doc.text.strip())
        doc.attributes["length.chars"] = n
        if n < self.min_chars:
            return Reject("too_short", n, self.min_chars)
        if n > self.max_chars:
            return Reject("too_long", n, self.max_chars)
        return None
