"""Gradient-boosted trees as winnow's bench fitters write them (bench/line_noise_train.py's ``fit_gbm`` layout):
complete binary trees of one fixed depth, stored level by level (node k's children are 2k+1 and 2k+2), a bias and
a learning rate. One reader and one walker for every shipped tree model (line_noise, the intruder segment judge,
the page model's tree heads)."""

from __future__ import annotations

import numpy as np

__all__ = ["load", "logits", "probabilities"]


def load(m: dict) -> dict:
    """A tree model's JSON (``{"trees": {feature, threshold, value, depth}, "bias", "rate"}``) as arrays."""
    t = m["trees"]
    return {"feature": np.array(t["feature"], dtype=np.int64), "threshold": np.array(t["threshold"], dtype=float),
            "value": np.array(t["value"], dtype=float), "depth": int(t["depth"]), "bias": float(m["bias"]),
            "rate": float(m["rate"])}


def logits(m: dict, x: np.ndarray) -> np.ndarray:
    """Log-odds per row of ``x`` (rows x features): every tree walked at once, ``depth`` steps of indexing. The
    arrays are read by flat index (row * width + column into the raveled array: one take instead of a pair of
    broadcast index arrays, half the time); the same elements as logits_plain's, summed in the same (rows, trees)
    layout, so the same bits (tests/steps/test_trees.py)."""
    feat, thr, val = m["feature"], m["threshold"], m["value"]
    n_trees, width = feat.shape
    depth = m["depth"]
    if (x.ndim != 2 or width != 2 ** depth - 1 or val.shape[1] != 2 ** depth or thr.shape != feat.shape
            or (feat.size and (feat.min() < 0 or feat.max() >= x.shape[1]))):
        # (a flat index out of its row would read another row's value where the plain indexing raises or wraps)
        return logits_plain(m, x)
    x = np.ascontiguousarray(x)
    xf, ff, tf = x.ravel(), feat.ravel(), thr.ravel()
    base = (np.arange(n_trees) * width)[None, :]
    row = (np.arange(x.shape[0]) * x.shape[1])[:, None]
    node = np.zeros((x.shape[0], n_trees), dtype=np.int64)
    for _ in range(depth):
        k = base + node
        node = 2 * node + 1 + (xf[row + ff[k]] > tf[k])
    leaf = (np.arange(n_trees) * val.shape[1])[None, :] + node - (2 ** depth - 1)
    return m["bias"] + m["rate"] * val.ravel()[leaf].sum(1)


def logits_plain(m: dict, x: np.ndarray) -> np.ndarray:
    """:func:`logits` by broadcast fancy indexing (how it was written first; the reference its tests hold it to)."""
    feat, thr, val = m["feature"], m["threshold"], m["value"]
    cols = np.arange(feat.shape[0])
    rows = np.arange(x.shape[0])[:, None]
    node = np.zeros((x.shape[0], feat.shape[0]), dtype=np.int64)
    for _ in range(m["depth"]):
        node = 2 * node + 1 + (x[rows, feat[cols, node]] > thr[cols, node])
    return m["bias"] + m["rate"] * val[cols, node - (2 ** m["depth"] - 1)].sum(1)


def probabilities(m: dict, x: np.ndarray) -> np.ndarray:
    """The logistic of :func:`logits` (clipped so no row overflows)."""
    return 1.0 / (1.0 + np.exp(-np.clip(logits(m, x), -30, 30)))
