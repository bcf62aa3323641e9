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
    """Log-odds per row of ``x`` (rows x features): every tree walked at once, ``depth`` steps of fancy indexing."""
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
