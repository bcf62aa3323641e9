"""Line-shaped rules that datatrove users run next to the quality filters: C4's paragraph filter (from mC4) and the
symbol-lines remover.

* ``c4_paragraph`` (``variant: "datatrove"``, the same rule as TFDS mC4's ``paragraph_filter``): a page needs at
  least three "paragraphs", i.e. lines of at least 200 characters. The references take the three longest lines and
  compare the shortest of them with 200; counting the lines that reach 200 decides identically and gives a value
  to record and to re-threshold.
* ``symbol_lines`` (``variant: "datatrove"``, datatrove's ``SymbolLinesFormatter``): removes lines made only of
  symbols (and spaces). Like datatrove it splits with ``str.splitlines`` and joins with ``"\\n"``, so other line
  breaks become ``"\\n"`` and a final line break goes; those changes are recorded as ``line_break`` edits (a
  normalising reason) and every removed line as a ``symbol_line`` edit, so the input text can be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..document import Document
from ..registry import register
from ..step import Filter, Map, Reject
from . import _tokenize as tk

__all__ = ["C4Paragraph", "SymbolLines"]

# datatrove's PUNCTUATION_SET (its punctuation plus terminal punctuation of every script), from the tables
# generated into _tokenize from datatrove 0.10.1
DT_SYMBOLS = frozenset(tk.DT_PUNCTUATION) | frozenset(tk.DT_TERMINAL_PUNCTUATION)


def _check_variant(step, allowed: tuple[str, ...]) -> None:
    if step.variant not in allowed:
        raise ValueError(f"unknown variant {step.variant!r}; expected one of {', '.join(allowed)}")


@register("c4_paragraph")
@dataclass
class C4Paragraph(Filter):
    """C4's paragraph filter (mC4, as datatrove's C4ParagraphFilter): drop pages with fewer than 3 lines of 200+ characters."""

    # "datatrove": datatrove 0.10's C4ParagraphFilter, itself TFDS mC4's paragraph_filter.
    variant: Literal["datatrove"] = "datatrove"
    # A page needs at least this many "paragraphs" (lines of at least min_paragraph_len characters).
    min_paragraphs: int = 3
    # Characters a line needs to count as a paragraph (Python characters of the line, spaces included).
    min_paragraph_len: int = 200

    REASONS: ClassVar[tuple[str, ...]] = ("too_few_paragraphs",)
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "min_paragraphs": ("c4_paragraph.paragraphs", "<", "too_few_paragraphs")}

    def validate(self) -> None:
        super().validate()
        _check_variant(self, ("datatrove",))
        if self.min_paragraphs < 0 or self.min_paragraph_len < 0:
            raise ValueError("min_paragraphs and min_paragraph_len must not be negative")

    def reject(self, doc: Document) -> Reject | None:
        # The references split on "\n" only (not str.splitlines): a "\r\n" line keeps its "\r" and counts it.
        n = sum(1 for line in doc.text.split("\n") if len(line) >= self.min_paragraph_len)
        doc.attributes["c4_paragraph.paragraphs"] = n
        if n < self.min_paragraphs:
            return Reject("too_few_paragraphs", n, self.min_paragraphs)
        return None


@register("symbol_lines")
@dataclass
class SymbolLines(Map):
    """Remove lines made only of symbols (datatrove's SymbolLinesFormatter): '---', '|', '>>>' lines."""

    # "datatrove": datatrove 0.10's SymbolLinesFormatter.
    variant: Literal["datatrove"] = "datatrove"
    # The characters that make a line a symbol line (spaces are always allowed in one); null: datatrove's
    # punctuation set (ASCII and CJK punctuation plus the terminal punctuation of many scripts).
    symbols: list[str] | None = None
    # What a run of consecutive symbol lines becomes: "" (removed, datatrove's default) or e.g. "\n" to leave a
    # paragraph break where they were.
    replace_char: str = ""

    REASONS: ClassVar[tuple[str, ...]] = ("symbol_line", "line_break")

    def validate(self) -> None:
        super().validate()
        _check_variant(self, ("datatrove",))
        if self.symbols is not None and any(not isinstance(s, str) or len(s) != 1 for s in self.symbols):
            raise ValueError("symbols: a list of single characters")

    def _symbol_set(self) -> frozenset[str]:
        s = getattr(self, "_set", None)
        if s is None:
            s = self._set = DT_SYMBOLS if self.symbols is None else frozenset(self.symbols)
        return s

    def map(self, doc: Document) -> Document:
        text = doc.text
        symbols = self._symbol_set()
        pieces = text.splitlines(keepends=True)
        # Pass 1, datatrove's decision: which lines are symbol lines, and which output element each line owns
        # (a kept line; the first line of a removed run when replace_char is set). Output = "\n".join(elements).
        kinds = []  # per line: "keep", "first_removed" (owns a replace_char element) or "removed"
        in_removed = False
        last_owner = -1
        for i, piece in enumerate(pieces):
            line = piece.splitlines()[0] if piece.splitlines() else ""
            is_sym = line.strip() != "" and all(c in symbols or c == " " for c in line)
            if is_sym and not in_removed:
                kinds.append("first_removed")
                in_removed = True
                if self.replace_char:
                    last_owner = i
            elif is_sym:
                kinds.append("removed")
            else:
                kinds.append("keep")
                in_removed = False
                last_owner = i
        # Pass 2: the same output as edits on the input's offsets.
        spans: list[tuple[int, int, str, str, float | None]] = []
        removed = 0
        pos = 0
        for i, (piece, kind) in enumerate(zip(pieces, kinds)):
            line_len = len(piece.splitlines()[0]) if piece.splitlines() else 0
            sep = "\n" if i < last_owner else ""  # the join's "\n" after every element but the last
            if kind == "keep":
                term = piece[line_len:]
                if term != sep:
                    spans.append((pos + line_len, pos + len(piece), "line_break", sep, None))
            else:
                removed += 1
                repl = self.replace_char + sep if kind == "first_removed" and self.replace_char else ""
                spans.append((pos, pos + len(piece), "symbol_line", repl, None))
            pos += len(piece)
        doc.attributes["symbol_lines.removed_lines"] = removed
        if spans:
            doc.replace_spans(self.name, spans)
        return doc
