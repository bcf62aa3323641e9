"""``embedding_classifier``: FineWeb-Edu's recipe. A sentence-embedding model embeds each document (truncated to
``max_tokens``), and a small head (linear, or one hidden layer) trained with ``winnow train-classifier --kind
embedding`` turns the embedding into label probabilities (classification) or a score (regression).

Documents are embedded in batches of ``batch_size`` (the runner hands a batching step that many at a time; the
steps around it still see one document at a time), in numpy on the CPU, or in torch on a CUDA GPU when torch is
installed and one is present (``device: auto``; ``winnow.steps._encoder``).

The head is one JSON file (``winnow-embedding-head`` format, version 1): the encoder it was trained on and the
truncation, the labels (or the one output ``score``), a standardisation of the embedding (mean and scale), and the
layers as plain lists of numbers, so the file is small, diffable and written byte for byte the same by the same
training. Built-in heads live in ``winnow/data/heads/`` with their cards (``boilerplate``: main text vs page chrome).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..document import Document, Drop
from ..registry import register
from ..step import Context, Filter, Reject
from ._encoder import DEVICES, load_encoder, minilm_zip
from .classify import replay_keep

__all__ = ["EmbeddingClassifier", "Head", "load_head", "head_path", "BUILTIN_HEADS", "HEAD_FORMAT"]

HEAD_FORMAT = "winnow-embedding-head"
_HEADS_DIR = Path(__file__).resolve().parent.parent / "data" / "heads"


def _builtin_heads() -> dict[str, Path]:
    return {p.name[: -len(".json")]: p for p in sorted(_HEADS_DIR.glob("*.json")) if not p.name.endswith(".card.json")}


BUILTIN_HEADS = _builtin_heads()


@dataclass
class Head:
    """A trained head: ``predict(embeddings)`` -> probabilities per label (classification) or the score."""

    task: str  # classification | regression
    labels: list[str]  # classification: the classes; regression: ["score"]
    encoder: str  # minilm | hashing | a model folder or .zip
    max_tokens: int
    mean: np.ndarray
    scale: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]  # (weight [out, in], bias [out]); ReLU between them
    target_range: tuple[float, float] | None = None  # regression: the lowest and highest training target
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, emb: np.ndarray) -> np.ndarray:
        z = (np.asarray(emb, dtype=np.float64) - self.mean) / self.scale
        # One row per matrix product: a product over n rows sums in another order than over one (BLAS chooses its
        # kernel by shape), so a document's last bits depended on the documents scored beside it. A row costs
        # ~2 us with the built-in head (~1 us in one product), against ~150 ms to embed a 5 KB page with MiniLM
        # and ~2 ms with minilm-static.
        rows = z[:, None, :]
        for i, (w, b) in enumerate(self.layers):
            rows = rows @ w.T + b
            if i + 1 < len(self.layers):
                rows = np.maximum(rows, 0.0)
        z = rows[:, 0, :]
        if self.task == "regression":
            return z[:, :1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        def num(a: np.ndarray) -> Any:
            return np.asarray(a, dtype=np.float64).round(8).tolist()  # 8 decimals: the file stays small

        out = {"format": HEAD_FORMAT, "version": 1, "task": self.task, "labels": list(self.labels),
               "encoder": {"model": self.encoder, "max_tokens": int(self.max_tokens), "dim": int(len(self.mean))},
               "mean": num(self.mean), "scale": num(self.scale),
               "layers": [{"weight": num(w), "bias": num(b)} for w, b in self.layers]}
        if self.target_range is not None:
            out["target_range"] = [float(self.target_range[0]), float(self.target_range[1])]
        if self.meta:
            out["meta"] = self.meta
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any], where: str = "head") -> Head:
        if d.get("format") != HEAD_FORMAT or d.get("version") != 1:
            raise ValueError(f"{where}: not a {HEAD_FORMAT} file of version 1 (format={d.get('format')!r}, "
                             f"version={d.get('version')!r}); winnow train-classifier --kind embedding writes one")
        task = d.get("task")
        if task not in ("classification", "regression"):
            raise ValueError(f"{where}: task must be classification or regression, not {task!r}")
        layers = [(np.asarray(x["weight"], dtype=np.float64), np.asarray(x["bias"], dtype=np.float64))
                  for x in d.get("layers") or []]
        mean = np.asarray(d["mean"], dtype=np.float64)
        scale = np.asarray(d["scale"], dtype=np.float64)
        labels = [str(x) for x in d.get("labels") or []]
        n_out = 1 if task == "regression" else len(labels)
        dims_in = [len(mean)] + [len(w) for w, _ in layers[:-1]]
        if (not layers or len(scale) != len(mean) or any(w.ndim != 2 or w.shape[1] != n or len(b) != w.shape[0]
                                                         for (w, b), n in zip(layers, dims_in))
                or layers[-1][0].shape[0] != n_out or (task == "classification" and len(labels) < 2)):
            raise ValueError(f"{where}: its layers, standardisation and labels do not fit together")
        enc = d.get("encoder") or {}
        rng = d.get("target_range")
        return cls(task, labels, str(enc.get("model", "minilm")), int(enc.get("max_tokens", 256)), mean, scale,
                   layers, tuple(rng) if rng else None, dict(d.get("meta") or {}))


def head_path(spec: str) -> Path:
    if spec in BUILTIN_HEADS:
        return BUILTIN_HEADS[spec]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ValueError(f"embedding_classifier: head: no such file {spec!r} (a head .json written by "
                         f"winnow train-classifier --kind embedding, or a built-in head: {', '.join(BUILTIN_HEADS)})")
    return path


_HEADS: dict[tuple[str, int, int], Head] = {}
_LOCK = threading.Lock()


def load_head(spec: str) -> Head:
    path = head_path(spec)
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _LOCK:
        head = _HEADS.get(key)
        if head is None:
            try:
                d = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"embedding_classifier: head {spec!r} is not readable JSON: {exc}") from None
            head = _HEADS[key] = Head.from_json(d, where=f"embedding_classifier: head {spec!r}")
    return head


def _head_key(spec: str) -> str:
    import re

    if spec in BUILTIN_HEADS:
        return spec
    base = spec.rstrip("/").rsplit("/", 1)[-1]
    base = base[: -len(".json")] if base.endswith(".json") else base
    return re.sub(r"[^0-9A-Za-z_-]+", "_", base).strip("_") or "head"


@register("embedding_classifier")
@dataclass
class EmbeddingClassifier(Filter):
    """Score documents with a sentence-embedding model and a small trained head (FineWeb-Edu's recipe): label
    probabilities or a score as embedding_classifier.<name>.<label>; with keep {label: min_score}, drop the
    documents below. Batched across documents; numpy on the CPU, torch on a CUDA GPU when present.

    The default head, boilerplate, tells main text (an article's body) from page chrome (navigation, footers,
    link lists): trained with `winnow train-classifier --kind embedding` on the Zyte article-extraction benchmark's
    gold bodies (MIT) against the rest of each page's visible text; its card is beside it in winnow/data/heads/.
    A real use names its own head; a head trained with --encoder minilm-static (MiniLM made static: a vector per
    token, averaged) runs at ~450 documents/s per core instead of ~6. Regression heads (FineWeb-Edu's 0-5 educational score) record ``score`` and
    ``int_score`` (rounded, clipped to the training range); keep: {score: 3} keeps a score of 3 or more.
    """

    # a head .json from `winnow train-classifier --kind embedding`, or a built-in name (boilerplate)
    head: str = "boilerplate"
    # The name in attribute keys (embedding_classifier.<model_name>.<label>); default: the built-in name or the
    # file name without .json.
    model_name: str = ""
    labels: list[str] = field(default_factory=list)  # labels whose scores are recorded; empty: all of the head's
    # {label: minimum}: keep a document only when every listed label (or, for a regression head, score) reaches
    # its minimum. Empty: the step only tags.
    keep: dict[str, float] = field(default_factory=dict)
    # One minimum for every label in keep, overriding their values: the threshold `winnow whatif` moves
    # (--set embedding_classifier.min_score=0.7).
    min_score: float | None = None
    # Tokens per document, [CLS] and [SEP] included; the rest is cut (FineWeb-Edu truncates too). 0: what the head
    # was trained with (256 for the built-in one). 128 takes a third of the CPU time on 5 KB pages, but the
    # built-in head then labels 16% of them otherwise (bench/results/classifier.md): train at the length you apply.
    max_tokens: int = 0
    # Documents handed to the step at once. On the CPU the encoder runs them 16 to a forward pass (64 to a pass
    # took 2x the CPU time, 4 took 1.1x: bench/results/classifier.md), so there 64 only bounds what one call holds;
    # on a GPU a call is one pass of up to 64 documents (GPU speed not measured: no GPU was at hand).
    batch_size: int = 64
    # auto: a CUDA GPU through torch when torch is installed and sees one, else numpy on the CPU | cpu | cuda
    device: str = "auto"

    REASONS: ClassVar[tuple[str, ...]] = ("low_score",)
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "min_score": ("embedding_classifier.keep_score", "<", "low_score")}
    REPLAYABLE = ("keep", "min_score")
    REPLAY_REASONS = ("low_score",)

    def validate(self) -> None:
        super().validate()
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.batch_size < 1 or self.max_tokens < 0 or 0 < self.max_tokens < 8:
            raise ValueError("batch_size must be >= 1 and max_tokens 0 (the head's) or >= 8")
        for label, v in self.keep.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"keep.{label} is a minimum score, got {v!r}")
        if self.min_score is not None and not self.keep:
            raise ValueError("min_score applies to the labels in keep; name them, e.g. keep: {main: 0.5}")
        if self.labels and self.keep:
            missing = [k for k in self.keep if k not in self.labels]
            if missing:
                raise ValueError(f"keep names labels that labels leaves out: {missing}")
        head = load_head(self.head)  # said before a run starts, not by every worker's setup
        unknown = [lb for lb in list(self.labels) + list(self.keep) if lb not in head.labels]
        if unknown:
            raise ValueError(f"head {self.head!r} has no label(s) {unknown} (its labels: {', '.join(head.labels)})")
        if head.task == "classification":
            for label, v in list(self.keep.items()) + [("min_score", self.min_score)]:
                if v is not None and not 0 <= v <= 1:
                    raise ValueError(f"{label}: a classification head's scores are probabilities between 0 and 1, "
                                     f"got {v!r}")
        if head.encoder in ("minilm", "minilm-static"):
            minilm_zip("embedding_classifier")  # a missing model package: a message now, not a failed shard later

    @property
    def key(self) -> str:
        return self.model_name or _head_key(self.head)

    def batching(self) -> int:
        return self.batch_size

    def setup(self, ctx: Context) -> None:
        self._head = load_head(self.head)
        self._encoder = load_encoder(self._head.encoder, device=self.device, step="embedding_classifier")
        self._labels = list(self.labels) or list(self._head.labels)
        self._index = {lb: i for i, lb in enumerate(self._head.labels)}
        self._thr = ({lb: float(self.min_score) for lb in self.keep} if self.min_score is not None
                     else {lb: float(v) for lb, v in self.keep.items()})
        self._prefix = f"{self.name}.{self.key}."
        self._tokens = self.max_tokens or self._head.max_tokens

    def scores(self, texts: list[str]) -> np.ndarray:
        """The head's outputs for each text: (texts, labels) probabilities, or (texts, 1) scores."""
        if getattr(self, "_head", None) is None:
            self.setup(Context())
        emb = self._encoder.encode(texts, max_tokens=self._tokens, max_chunks=1)
        return self._head.predict(emb)

    def _decide(self, doc: Document, out: np.ndarray) -> Reject | None:
        attrs = doc.attributes
        prefix = self._prefix
        values = {lb: float(out[self._index[lb]]) for lb in self._head.labels}
        for label in self._labels:
            # rounded to keep the records short; not what makes them reproducible (a value near a rounding boundary
            # moves with its last bit): the encoder (on the CPU) and the head compute each document by the same
            # operations whatever the batch, so batch_size and the documents around it change no bit
            attrs[prefix + label] = round(values[label], 6)
        if self._head.task == "regression":
            lo, hi = self._head.target_range or (-np.inf, np.inf)
            attrs[prefix + "int_score"] = int(round(min(max(values["score"], lo), hi)))
        if not self._thr:
            return None
        keep = {lb: round(values[lb], 6) for lb in self._thr}
        low = min(keep, key=lambda lb: (keep[lb], lb))  # the keep label with the lowest score: what min_score meets
        attrs[f"{self.name}.keep_label"] = low
        attrs[f"{self.name}.keep_score"] = keep[low]
        for label in sorted(self._thr):
            if keep[label] < self._thr[label]:
                attrs[f"{self.name}.failed_label"] = label
                return Reject("low_score", keep[label], self._thr[label])
        return None

    def reject(self, doc: Document) -> Reject | None:
        return self._decide(doc, self.scores([doc.text])[0])

    def process_batch(self, docs: list[Document]) -> list[Document]:
        out = self.scores([d.text for d in docs])
        for doc, row in zip(docs, out):
            verdict = self._decide(doc, row)
            if verdict is not None:
                doc.drop = Drop(self.name, verdict.reason, float(verdict.value), float(verdict.threshold))
        return docs

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        # the decision of _decide from the label scores it recorded (same labels, same order, same minimums)
        if not params.get("keep"):
            return True, None, None, None
        prefix = f"{cls.name}.{params.get('model_name') or _head_key(params.get('head') or 'boilerplate')}."
        return replay_keep(attrs, params, prefix)
