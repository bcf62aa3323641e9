"""The one record type that flows through a pipeline, and the small records that describe what happened to it.

A Document carries its text plus everything a later reader of the corpus needs to defend a decision: the reader's
metadata, the signals steps computed (``attributes``, keyed ``"step.signal"``), the spans cleaning steps removed
(``edits``) and, when a filter rejected it, the ``drop``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["Document", "Drop", "Edit", "Quarantine", "NORMALISING_REASONS"]

# Edit reasons that only normalise whitespace and line breaks. C4's line cleaning trims every document, so counting
# these as edits called nearly every document "edited"; stats and the report count them apart ("normalised").
NORMALISING_REASONS = frozenset({"whitespace", "line_break"})


@dataclass(frozen=True, slots=True)
class Drop:
    step: str  # registry name of the step that rejected the document
    reason: str  # a reason the step declares in REASONS
    value: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "reason": self.reason, "value": self.value, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Drop":
        return cls(d["step"], d["reason"], d.get("value"), d.get("threshold"))


@dataclass(frozen=True, slots=True)
class Edit:
    """A span of the text *as the step saw it* that the step removed or replaced.

    Offsets index the step's input text; edits of one step never overlap and are applied together, so the text
    before any step can be rebuilt from the final text by undoing the steps' edits newest first
    (:func:`winnow.document.undo_edits`).
    """

    start: int
    end: int
    step: str
    reason: str
    removed: str = ""
    replacement: str = ""
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"start": self.start, "end": self.end, "step": self.step, "reason": self.reason,
             "removed": self.removed, "replacement": self.replacement}
        if self.score is not None:
            d["score"] = self.score
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Edit":
        return cls(d["start"], d["end"], d["step"], d["reason"], d.get("removed", ""), d.get("replacement", ""),
                   d.get("score"))


@dataclass(slots=True)
class Document:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    drop: Drop | None = None
    # Derived segmentation shared by all steps (see winnow.text); never serialised.
    _segments: Any = field(default=None, repr=False, compare=False)

    # --- editing -------------------------------------------------------------------------------------------
    def replace_spans(self, step: str, spans: list[tuple[int, int, str, str, float | None]]) -> None:
        """Apply non-overlapping ``(start, end, reason, replacement, score)`` spans of the current text at once and
        record them as edits. Spans are sorted here so callers may produce them in any order."""
        if not spans:
            return
        spans = sorted(spans, key=lambda s: (s[0], s[1]))
        text = self.text
        out: list[str] = []
        pos = 0
        for start, end, reason, replacement, score in spans:
            if start < pos or end < start or end > len(text):
                raise ValueError(f"{step}: overlapping or out-of-range edit span {start}:{end} (text length {len(text)})")
            out.append(text[pos:start])
            out.append(replacement)
            self.edits.append(Edit(start, end, step, reason, text[start:end], replacement, score))
            pos = end
        out.append(text[pos:])
        self.text = "".join(out)

    def remove_spans(self, step: str, spans: list[tuple[int, int, str, float | None]]) -> None:
        self.replace_spans(step, [(s, e, r, "", sc) for s, e, r, sc in spans])

    # --- serialisation -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "metadata": self.metadata,
            "attributes": self.attributes,
            "edits": [e.to_dict() for e in self.edits],
            "drop": self.drop.to_dict() if self.drop else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        drop = d.get("drop")
        return cls(
            id=str(d["id"]),
            text=d["text"],
            metadata=d.get("metadata") or {},
            attributes=d.get("attributes") or {},
            edits=[Edit.from_dict(e) for e in d.get("edits") or []],
            drop=Drop.from_dict(drop) if drop else None,
        )

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY)

    @classmethod
    def from_json(cls, data: bytes | str) -> "Document":
        return cls.from_dict(orjson.loads(data))


def undo_edits(text: str, edits: list[Edit]) -> str:
    """Rebuild the text before all ``edits`` were applied, given the text after them."""
    # Group consecutive edits of one step application; undo newest group first.
    groups: list[list[Edit]] = []
    for e in edits:
        if groups and groups[-1][-1].step == e.step and e.start >= groups[-1][-1].end:
            groups[-1].append(e)
        else:
            groups.append([e])
    for group in reversed(groups):
        out, pos, shift = [], 0, 0
        for e in group:
            o_start = e.start + shift  # where the replacement starts in the edited text
            out.append(text[pos:o_start])
            out.append(e.removed)
            pos = o_start + len(e.replacement)
            shift += len(e.replacement) - (e.end - e.start)
        out.append(text[pos:])
        text = "".join(out)
    return text


@dataclass(frozen=True, slots=True)
class Quarantine:
    """A record a reader could not turn into a Document. It is counted in the ledger and written to quarantine/."""

    source: str  # file the record came from
    location: str  # "line 17" or "byte 40960"
    reason: str  # stable code: malformed_json, invalid_utf8, truncated, missing_text, too_large, ...
    message: str  # human sentence naming file and location
    excerpt: str = ""  # the first bytes of the raw record, for the user to look at

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "location": self.location, "reason": self.reason,
                "message": self.message, "excerpt": self.excerpt}
