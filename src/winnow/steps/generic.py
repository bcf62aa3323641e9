"""General-purpose steps a pipeline author writes in a line: a user regex, a deterministic sample, and a Python
function as a step.

* ``regex`` drops (datatrove's ``RegexFilter``: drop a document in which the pattern is found) or tags on a user
  pattern and records the match. A pattern is compiled by the ``regex`` package (VERSION0, the ``re`` syntax) so each
  search can carry a time budget: a catastrophic pattern (``(a+)+$`` on a long run of ``a``) stops after
  ``timeout_s`` and the document is quarantined with a message naming the pattern, instead of hanging the shard.
* ``sample`` keeps a fraction of documents chosen by a hash of (seed, id): the same documents on every run, on any
  number of workers, in any order. datatrove's ``SamplerFilter`` draws from a random stream instead, so which
  documents it keeps depends on their order; only the expected fraction is comparable.
* ``function`` runs a Python callable on each document (datatrove's ``LambdaFilter``), from the Python API.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject

__all__ = ["RegexStep", "Sample", "FunctionStep"]

_FLAGS = ("IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII")
_MAX_RECORDED = 200  # characters of a match kept as an attribute: enough to recognise it, never a whole page


def _flags(mod, names: list[str]) -> int:
    out = 0
    for f in names:
        out |= getattr(mod, f)
    return out


class PatternTimeout(RuntimeError):
    """A user pattern ran past its time budget on one document (the runner quarantines that document)."""


@register("regex")
@dataclass
class RegexStep(Filter):
    """Drop (or tag) documents in which a user regex is found, the match recorded; a time budget stops catastrophic patterns."""

    # The pattern (Python `re` syntax). Empty: the step does nothing (keeps every document untagged).
    pattern: str = ""
    # "drop": drop a document in which the pattern is found (datatrove's RegexFilter); "keep": drop one in which it
    # is NOT found; "tag": drop nothing, only record regex.matched / regex.match / regex.start.
    action: Literal["drop", "keep", "tag"] = "drop"
    # Flags by name: IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII.
    flags: list[str] = field(default_factory=list)
    # Time budget of one search, in wall-clock seconds (the `regex` package's timeout): a pattern that backtracks
    # catastrophically on a document stops there and the document is quarantined with a message naming the
    # pattern (the run goes on). 10 s: a two-branch pattern searched 10.8 MB of text in 0.4 s on the loaded 2-core
    # machine, so a linear pattern never reaches it on a document winnow reads. 0: no budget (plain `re`, which
    # cannot be stopped).
    timeout_s: float = 10.0

    REASONS: ClassVar[tuple[str, ...]] = ("pattern_found", "pattern_missing")

    def validate(self) -> None:
        super().validate()
        bad = [f for f in self.flags if f not in _FLAGS]
        if bad:
            raise ValueError(f"flags: unknown {bad}; expected any of {', '.join(_FLAGS)}")
        if self.timeout_s < 0:
            raise ValueError("timeout_s must not be negative")
        if self.pattern:
            self._compile()

    def _compile(self):
        import re

        try:
            if self.timeout_s > 0:
                import regex

                # VERSION0 keeps re's syntax and semantics
                return regex.compile(self.pattern, _flags(regex, self.flags) | regex.VERSION0)
            return re.compile(self.pattern, _flags(re, self.flags))
        except ImportError:
            raise ValueError("timeout_s needs the `regex` package (pip install regex), or set timeout_s: 0") from None
        except Exception as exc:  # re.error / regex.error: say which pattern
            raise ValueError(f"pattern {self.pattern!r} does not compile: {exc}") from None

    def setup(self, ctx: Context) -> None:
        self._re = self._compile() if self.pattern else None

    def reject(self, doc: Document) -> Reject | None:
        rx = getattr(self, "_re", False)
        if rx is False:
            self.setup(Context())
            rx = self._re
        if rx is None:
            return None
        if self.timeout_s > 0:
            try:
                m = rx.search(doc.text, timeout=self.timeout_s)
            except TimeoutError:
                raise PatternTimeout(f"pattern {self.pattern!r} ran past timeout_s={self.timeout_s} on this document "
                                     "(catastrophic backtracking?): rewrite it or raise timeout_s") from None
        else:
            m = rx.search(doc.text)
        doc.attributes["regex.matched"] = m is not None
        if m is not None:
            doc.attributes["regex.match"] = m.group(0)[:_MAX_RECORDED]
            doc.attributes["regex.start"] = m.start()
            if self.action == "drop":
                return Reject("pattern_found", m.start(), None)
        elif self.action == "keep":
            return Reject("pattern_missing", None, None)
        return None


def _unit(seed: int, doc_id: str) -> float:
    """A uniform number in [0, 1) from (seed, id), the same in every process (not Python's salted hash)."""
    h = hashlib.blake2b(f"{seed}\x00{doc_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2.0**64


@register("sample")
@dataclass
class Sample(Filter):
    """Keep a deterministic fraction of documents, chosen by a hash of (seed, id): the same ones on every run."""

    # Fraction of documents to keep (datatrove's SamplerFilter rate, its default).
    rate: float = 0.5
    # Another seed keeps another sample of the same size.
    seed: int = 0

    REASONS: ClassVar[tuple[str, ...]] = ("not_sampled",)
    FRACTIONS = ("rate",)
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {"rate": ("sample.draw", ">=", "not_sampled")}

    def reject(self, doc: Document) -> Reject | None:
        u = _unit(self.seed, doc.id)
        doc.attributes["sample.draw"] = u
        if u >= self.rate:
            return Reject("not_sampled", u, self.rate)
        return None


def _import(ref: str) -> Callable[..., Any]:
    mod, sep, qual = ref.partition(":")
    if not sep or not mod or not qual:
        raise ValueError(f"function {ref!r}: expected 'package.module:function'")
    try:
        obj: Any = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"function {ref!r} cannot be imported: {exc}") from None
    if not callable(obj):
        raise ValueError(f"function {ref!r} is not callable")
    return obj


def _reference(fn: Callable[..., Any]) -> str | None:
    """'module:qualname' when that name imports back to this very object (a module-level function)."""
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not mod or not qual or "<" in qual or mod == "__main__":
        return None
    try:
        return f"{mod}:{qual}" if _import(f"{mod}:{qual}") is fn else None
    except ValueError:
        return None


@register("function")
@dataclass
class FunctionStep(Filter):
    """A Python function as a step (datatrove's LambdaFilter): True keeps, False drops, a dict tags, a Reject explains.

    In Python pass the callable: ``steps.function(lambda doc: "lorem" not in doc.text)``. A module-level function is
    stored as its import name ('package.module:function'), so the step also works on worker processes and in a
    pipeline file; a lambda or closure runs only in this process (``executor: inline``, or the step called directly)."""

    # The callable, or its import name 'package.module:function'. It receives the Document and returns True/None
    # (keep), False (drop, reason "rejected"), a dict (attributes "function.<key>", keep) or a winnow.step.Reject
    # whose reason is kept as the attribute function.reason (drop reason "rejected", its value and threshold).
    # Empty: keeps every document.
    function: Any = ""

    REASONS: ClassVar[tuple[str, ...]] = ("rejected",)

    def __post_init__(self) -> None:
        if callable(self.function):
            fn = self.function
            self._fn = fn
            # store a name that a YAML dump, a resumed run and a worker can use; a lambda has none
            self.function = _reference(fn) or f"<python: {getattr(fn, '__qualname__', type(fn).__name__)}>"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.function, str):
            raise ValueError("function: a callable or its import name 'package.module:function'")
        if self.function and getattr(self, "_fn", None) is None:
            if self.function.startswith("<python:"):
                raise ValueError(f"function {self.function} is a lambda or closure: it exists only in the Python "
                                 "process that made it; use a module-level function to name it in a pipeline file")
            _import(self.function)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        if self.function.startswith("<python:"):
            # without a name the callable itself must travel; a lambda cannot, and says so here, not in a worker
            import pickle

            try:
                pickle.dumps(self._fn)
            except Exception as exc:
                raise TypeError(f"steps.function({self.function[9:-1]}) cannot be sent to another process ({exc}): "
                                "define it at module level, or run with executor inline") from None
            state["_fn"] = self._fn
        return state

    def setup(self, ctx: Context) -> None:
        if getattr(self, "_fn", None) is None and self.function:
            if self.function.startswith("<python:"):
                raise ValueError(f"function {self.function}: the callable did not travel with the step")
            self._fn = _import(self.function)

    def reject(self, doc: Document) -> Reject | None:
        fn = getattr(self, "_fn", None)
        if fn is None:
            if not self.function:
                return None
            self.setup(Context())
            fn = self._fn
        out = fn(doc)
        if out is None or out is True:
            return None
        if out is False:
            return Reject("rejected", None, None)
        if isinstance(out, Reject):
            doc.attributes["function.reason"] = out.reason
            return Reject("rejected", out.value, out.threshold)
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], bool):  # datatrove's (False, "reason")
            if out[0]:
                return None
            doc.attributes["function.reason"] = str(out[1])
            return Reject("rejected", None, None)
        if isinstance(out, dict):
            for k, v in out.items():
                doc.attributes[f"function.{k}"] = v
            return None
        raise TypeError(f"function {self.function} returned {type(out).__name__}; expected bool, None, dict, "
                        "a (bool, reason) pair or a winnow.step.Reject")
