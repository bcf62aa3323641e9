"""The step protocol and its three helpers.

A step is a dataclass whose fields are its parameters (typed, with the reference defaults) and nothing else, so it
pickles cheaply, round-trips through YAML and can be checked by one conformance test. Heavy state (models, word
lists) is built in ``setup(ctx)`` once per task and kept in attributes that start with ``_``.

Most steps implement one per-document method:

* ``Map.map(doc) -> doc``           edits text (record edits with ``doc.replace_spans``) or metadata
* ``Tagger.score(doc) -> dict``     signals, stored as attributes ``"<step>.<signal>"``
* ``Filter.reject(doc) -> Reject``  a verdict with its reason, value and threshold, or None to keep

The runner, not the step, turns a Reject into ``doc.drop``, counts it, and routes the document. A step whose
decision needs the whole corpus (deduplication) is a ``CorpusStep``: the planner splits its stage around it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator

from .document import Document, Drop

if TYPE_CHECKING:
    from .io.base import RemotePath

__all__ = ["Step", "Map", "Tagger", "Filter", "Reject", "CorpusStep", "Context", "step_params", "after_interrupt",
           "reset_after_interrupt"]

# Shared state a step keeps across documents in several structures updated one after another (a token table and its
# arrays) is left half-updated when a step is stopped in the middle: the per-document budget raises inside it
# between any two bytecodes, and a hostile document can make it raise anywhere. Every later document of the process
# was then judged with the broken table (speed28, stop 28: gopher_quality rejected 45 of 311 documents instead of 15
# after a budget stop inside gopher_repetition). A step module registers here how to start such state afresh
# (``@after_interrupt``); the runner calls ``reset_after_interrupt()`` after any step it stopped or that raised.
_RESETS: list[Any] = []


def after_interrupt(fn: Any) -> Any:
    """Register ``fn()`` to start a module's shared state afresh after a step was stopped or raised midway."""
    _RESETS.append(fn)
    return fn


def reset_after_interrupt() -> None:
    for fn in _RESETS:
        fn()


@dataclass
class Context:
    """What a step may know about where it runs. Built by the runner for each task."""

    # A local Path, or a winnow.io.base.RemotePath when the run folder is a URL (s3://bucket/run). Use only
    # `/`, `.glob()`, `.read_bytes()`, `.exists()` and `winnow.io.base.atomic_path` on them, never `open()` or
    # `Path(str(...))`, and a step works on both.
    run_dir: Path | RemotePath | None = None
    stage: str = ""
    shard: str = ""
    on_drop: str = "route"  # "route" | "annotate"
    work_dir: Path | RemotePath | None = None  # private folder of this step instance inside the run folder
    # For CorpusStep.reduce: runs fn over items in parallel on the run's executor, results in order.
    map: Callable[[Callable[[Any], Any], list[Any]], list[Any]] | None = None
    workers: int = 1

    @property
    def annotate(self) -> bool:
        return self.on_drop == "annotate"


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str
    value: float | None = None
    threshold: float | None = None


class Step:
    """Base of every step. Subclasses are dataclasses; ``name`` is set by ``@register``."""

    name: ClassVar[str] = ""
    REASONS: ClassVar[tuple[str, ...]] = ()  # every drop or edit reason the step can give
    # True for a step that reads raw HTML from metadata["html"] (html_extract). A stage whose reader yields HTML
    # (its ``yields_html`` is true) must start with such a step: validation says so before anything runs.
    READS_HTML: ClassVar[bool] = False
    # False for a step that decides from metadata alone, never the text (url_filter): it may come before
    # html_extract, as datatrove's FineWeb runs URLFilter before extraction (the extraction of a blocked page saved).
    READS_TEXT: ClassVar[bool] = True
    # Parameters that are fractions: validation refuses a value outside [0, 1] (a 65 meant as 0.65) before a run.
    FRACTIONS: ClassVar[tuple[str, ...]] = ()
    # Parameters that ``replay`` can re-decide from recorded attributes, beyond numeric THRESHOLDS (a list of
    # languages, a boolean switch), and the reasons its verdicts can give: ``winnow whatif`` accepts them.
    REPLAYABLE: ClassVar[tuple[str, ...]] = ()
    REPLAY_REASONS: ClassVar[tuple[str, ...]] = ()
    # For a step whose edit reasons have several rules behind them: {rule: (reason, what it removes)}. Each edit
    # names its rule (Edit.rule); ``winnow steps NAME``, ``winnow explain`` and the report show them.
    RULES: ClassVar[dict[str, tuple[str, str]]] = {}
    _ready: bool = False

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        """For a step with REPLAYABLE parameters: its verdict under ``params`` from the attributes a run recorded,
        as ``(decidable, reason or None, value, threshold)``; decidable is False when an attribute it needs is
        missing. It must decide exactly as the step did."""
        raise NotImplementedError

    def validate(self) -> None:
        """Called by config validation after construction; raise ValueError with a message for the user."""
        for name in self.FRACTIONS:
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and 0 <= v <= 1):
                raise ValueError(f"{name} is a fraction between 0 and 1, got {v!r}")

    def setup(self, ctx: Context) -> None:
        """Build heavy state. Called once per task before the first document."""

    def process(self, doc: Document) -> Document:
        raise NotImplementedError

    def batching(self) -> int:
        """Documents this step wants per ``process_batch`` call (a model that scores many texts in one pass);
        0, the default: the runner calls ``process`` one document at a time."""
        return 0

    def process_batch(self, docs: list[Document]) -> list[Document]:
        """The same as ``process`` on each document, in order, for a step whose work is cheaper in batches. The
        runner falls back to ``process`` one document at a time when a batch raises or runs over its budget, so
        that only the document at fault is quarantined."""
        return [self.process(d) for d in docs]

    def __call__(self, docs: Iterable[Document], ctx: Context | None = None) -> Iterator[Document]:
        """Stream documents through this step lazily (the Python API; the runner calls ``process`` directly).

        Every document comes out, the dropped ones too: a dropped document has ``doc.drop`` set (step, reason,
        value, threshold), as ``on_drop: annotate`` keeps it. Use ``filter`` for the kept ones only; chaining
        calls (``b(a(docs))``) would let ``b`` judge, and overwrite the verdict of, what ``a`` dropped."""
        if not self._ready:
            self.setup(ctx or Context())
            self._ready = True
        size = self.batching()
        if size <= 0:
            for doc in docs:
                yield self.process(doc)
            return
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self.process_batch(batch)
                batch = []
        if batch:
            yield from self.process_batch(batch)

    def filter(self, docs: Iterable[Document], ctx: Context | None = None) -> Iterator[Document]:
        """Only the documents this step keeps, lazily: ``b.filter(a.filter(docs))`` is what a pipeline of a then
        b keeps."""
        for doc in self(docs, ctx):
            if doc.drop is None:
                yield doc

    def params(self) -> dict[str, Any]:
        return step_params(self)

    # Heavy state built by setup() (attributes starting with "_") never travels: a worker rebuilds it.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def step_params(step: Any) -> dict[str, Any]:
    return {f.name: getattr(step, f.name) for f in dataclasses.fields(step) if not f.name.startswith("_")}


class Map(Step):
    def map(self, doc: Document) -> Document:
        raise NotImplementedError

    def process(self, doc: Document) -> Document:
        return self.map(doc)


class Tagger(Step):
    def score(self, doc: Document) -> dict[str, Any]:
        raise NotImplementedError

    def process(self, doc: Document) -> Document:
        name = self.name
        for key, value in self.score(doc).items():
            doc.attributes[f"{name}.{key}"] = value
        return doc


class Filter(Step):
    def reject(self, doc: Document) -> Reject | None:
        raise NotImplementedError

    def process(self, doc: Document) -> Document:
        verdict = self.reject(doc)
        if verdict is not None:
            doc.drop = Drop(self.name, verdict.reason, _num(verdict.value), _num(verdict.threshold))
        return doc


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


class CorpusStep(Step):
    """A step that must see the whole corpus before it can decide about one document.

    The planner splits the stage at this step into three passes with barriers between them:

    1. ``collect(doc)`` for every document of every shard (after the steps before it); write what you need
       (signatures, hashes) into ``ctx.work_dir`` under a name containing ``ctx.shard``, atomically, in
       ``finish_collect``.
    2. ``reduce(ctx)`` once, after all shards collected; may fan work out with ``ctx.map``; must keep memory
       bounded (spill to ``ctx.work_dir``).
    3. ``setup(ctx)`` then ``process(doc)`` for every document of every shard, reading what reduce wrote.

    Contract: pass 3 of a shard sees exactly the documents that ``collect`` saw for that shard, in the same order
    (the runner writes them to an intermediate file between the passes), so a step may match by position. A
    document the runner quarantines in pass 3 before this step sees it (it killed its worker twice, or its record
    could not be read back) is announced by ``skipped()`` at its place in that order instead.
    """

    def start_collect(self, ctx: Context) -> None:
        pass

    def collect(self, doc: Document) -> None:
        raise NotImplementedError

    def finish_collect(self, ctx: Context) -> None:
        pass

    def reduce(self, ctx: Context) -> None:
        raise NotImplementedError

    def skipped(self) -> None:
        """Pass 3: the next collected document will not come to ``process`` (quarantined before it); a step that
        matches documents by position moves past it."""
