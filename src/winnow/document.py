"""The one record type that flows through a pipeline, and the small records that describe what happened to it.

A Document carries its text plus everything a later reader of the corpus needs to defend a decision: the reader's
metadata, the signals steps computed (``attributes``, keyed ``"step.signal"``), the spans cleaning steps removed
(``edits``) and, when a filter rejected it, the ``drop``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["Document", "Drop", "Edit", "Quarantine", "RecordError", "record_id", "step_error_line", "NORMALISING_REASONS"]

# Edit reasons that only normalise whitespace and line breaks. C4's line cleaning trims every document, so counting
# these as edits called nearly every document "edited"; stats and the report count them apart ("normalised").
NORMALISING_REASONS = frozenset({"whitespace", "line_break"})


class RecordError(ValueError):
    """A record that claims to be a winnow document but has a field of the wrong type. The message names the field,
    so a reader can quarantine the record with it instead of letting a step fail on the value later."""


def _need(d: dict, key: str, types: type | tuple[type, ...], what: str, ctx: str, optional: bool = False) -> Any:
    v = d.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, types) or isinstance(v, bool):  # bool is an int in Python, never a valid value here
        got = "nothing" if key not in d else f"{type(v).__name__} {_short(v)}"
        raise RecordError(f"{ctx}{key!r} must be {what}, got {got}")
    return v


def _short(v: Any) -> str:
    r = repr(v[:61] if isinstance(v, (str, bytes, list)) else v)  # never the repr of a 500 MB value
    return r if len(r) <= 60 else r[:57] + "..."


def record_id(value: Any, field: str = "id") -> str | None:
    """A record's id as text, exactly: strings as they are, integers in full (never through a float). None when
    absent; a RecordError for a value that cannot name a document (a list, an object, true/false)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return repr(value)
    if hasattr(value, "as_tuple"):  # decimal.Decimal (a Parquet decimal column): its exact digits
        return str(value)
    raise RecordError(f"field {field!r} must be a string or an integer, got {type(value).__name__} {_short(value)}")


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
        if not isinstance(d, dict):
            raise RecordError(f"'drop' must be an object or null, got {type(d).__name__} {_short(d)}")
        w = "field 'drop': "
        return cls(_need(d, "step", str, "a string", w), _need(d, "reason", str, "a string", w),
                   _need(d, "value", (int, float), "a number or null", w, optional=True),
                   _need(d, "threshold", (int, float), "a number or null", w, optional=True))


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
    # Which of the step's rules made the edit, where a reason has several (offtopic_sentences' site_chrome: a
    # phrase, a menu trail, a navigation bar, ...; the step's RULES name them). Absent from the record when None.
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"start": self.start, "end": self.end, "step": self.step, "reason": self.reason,
             "removed": self.removed, "replacement": self.replacement}
        if self.score is not None:
            d["score"] = self.score
        if self.rule is not None:
            d["rule"] = self.rule
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Edit":
        if type(d) is dict:  # the fast path: a well-formed edit (a document can carry hundreds)
            s, e, st, r = d.get("start"), d.get("end"), d.get("step"), d.get("reason")
            rm, rp, sc, ru = d.get("removed", ""), d.get("replacement", ""), d.get("score"), d.get("rule")
            if (type(s) is int and type(e) is int and type(st) is str and type(r) is str and type(rm) is str
                    and type(rp) is str and (sc is None or type(sc) is float or type(sc) is int)
                    and (ru is None or type(ru) is str) and 0 <= s <= e):
                return cls(s, e, st, r, rm, rp, sc, ru)
        if not isinstance(d, dict):
            raise RecordError(f"each of 'edits' must be an object, got {type(d).__name__} {_short(d)}")
        w = "an edit's "
        start, end = _need(d, "start", int, "an integer", w), _need(d, "end", int, "an integer", w)
        if not 0 <= start <= end:
            raise RecordError(f"edit span {start}:{end} is not a range")
        return cls(start, end, _need(d, "step", str, "a string", w), _need(d, "reason", str, "a string", w),
                   _need(d, "removed", str, "a string", w, optional=True) or "",
                   _need(d, "replacement", str, "a string", w, optional=True) or "",
                   _need(d, "score", (int, float), "a number or null", w, optional=True),
                   _need(d, "rule", str, "a string or null", w, optional=True))


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
    def replace_spans(self, step: str, spans: list[tuple]) -> None:
        """Apply non-overlapping ``(start, end, reason, replacement, score)`` spans of the current text at once and
        record them as edits; a sixth item, where given, names the rule that made the edit (``Edit.rule``). Spans
        are sorted here so callers may produce them in any order."""
        if not spans:
            return
        spans = sorted(spans, key=lambda s: (s[0], s[1]))
        text = self.text
        out: list[str] = []
        pos = 0
        for sp in spans:
            if len(sp) == 5:
                start, end, reason, replacement, score = sp
                rule = None
            else:
                start, end, reason, replacement, score, rule = sp
            if start < pos or end < start or end > len(text):
                raise ValueError(f"{step}: overlapping or out-of-range edit span {start}:{end} (text length {len(text)})")
            out.append(text[pos:start])
            out.append(replacement)
            self.edits.append(Edit(start, end, step, reason, text[start:end], replacement, score, rule))
            pos = end
        out.append(text[pos:])
        self.text = "".join(out)

    def remove_spans(self, step: str, spans: list[tuple]) -> None:
        """Remove ``(start, end, reason, score)`` spans (a fifth item: the rule, as in replace_spans)."""
        self.replace_spans(step, [(sp[0], sp[1], sp[2], "", *sp[3:]) for sp in spans])

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
        """A Document from its ``to_dict`` form. Every field's type is checked (a RecordError names the first wrong
        one): a record read from a file is untrusted, and a wrong type found here is one quarantined record, where
        found by a step it would be a failed step or, worse, a failed quarantine."""
        if not isinstance(d, dict):
            raise RecordError(f"a document must be an object, got {type(d).__name__}")
        rid = record_id(d.get("id"))
        if rid is None:
            raise RecordError("field 'id' is missing")
        text = _need(d, "text", str, "a string", "field ")
        meta = _need(d, "metadata", dict, "an object", "field ", optional=True)
        attrs = _need(d, "attributes", dict, "an object", "field ", optional=True)
        edits = _need(d, "edits", list, "a list", "field ", optional=True)
        drop = d.get("drop")
        return cls(
            id=rid,
            text=text,
            metadata=meta if meta is not None else {},
            attributes=attrs if attrs is not None else {},
            edits=[Edit.from_dict(e) for e in edits or ()],
            drop=Drop.from_dict(drop) if drop is not None else None,
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
        return {"source": utf8_safe(self.source), "location": utf8_safe(self.location), "reason": utf8_safe(self.reason),
                "message": utf8_safe(self.message), "excerpt": utf8_safe(self.excerpt)}


def utf8_safe(s: Any) -> Any:
    """``s`` unless it holds lone surrogates (a file name that is not UTF-8), which JSON writers refuse; then the
    same text with those as backslash escapes, the same way every time (so a resume compares like with like)."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")
    except AttributeError:
        return str(s)


def step_error_line(base: dict[str, Any], doc: Any) -> bytes:
    """The quarantine line (JSON, newline-terminated) for a document a step failed or ran out of budget on. It cannot raise: the document
    may be exactly what made the step fail (metadata that is not a dict, an attribute orjson cannot encode), and a
    failing quarantine would fail the whole shard on every retry. Each fallback keeps as much as it can."""
    try:
        out = dict(base)
        meta = getattr(doc, "metadata", None)
        src = meta.get("source") if isinstance(meta, dict) else None
        if isinstance(src, str):
            out["source"] = src
        try:
            out["document"] = doc.to_dict()
            return orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        except Exception:
            pass
        try:  # non-string keys, sets, objects: written as their repr
            return orjson.dumps(out, default=repr, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS) + b"\n"
        except Exception:
            pass
        out["document"] = {"id": _safe_repr(getattr(doc, "id", None)), "text": _safe_repr(getattr(doc, "text", None)),
                           "unserialisable": True}
        return orjson.dumps({k: (v if isinstance(v, (str, int, dict)) else _safe_repr(v)) for k, v in out.items()}) + b"\n"
    except Exception:  # the last resort: a line that still counts the document and says why it is bare
        reason = base.get("reason") if isinstance(base, dict) and isinstance(base.get("reason"), str) else ""
        reason = reason if reason.isidentifier() else "step_error"
        return b'{"reason": "%s", "message": "quarantine record could not be encoded"}\n' % reason.encode()


def _safe_repr(v: Any) -> str:
    try:
        return v if isinstance(v, str) else repr(v)
    except Exception:
        return f"<{type(v).__name__}>"
