"""What the two trainers share (winnow.train: fastText; winnow.train_embed: a head over sentence embeddings): the
labelled example, the deterministic held-out split, the validation metrics and the model card. A module of its
own so that neither trainer imports the other for them (the CLI in winnow.train dispatches to both)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WinnowError


@dataclass
class Example:
    text: str
    label: str
    score: float | None = None  # the numeric target when the labels came from scores


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def split(examples: list[Example], valid: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Deterministic held-out set: the examples whose seeded hash (of position and text) is smallest."""
    if not 0 < valid < 1:
        raise WinnowError(f"--valid is a fraction between 0 and 1, got {valid}")

    def rank(i: int, ex: Example) -> bytes:
        return hashlib.blake2b(f"{seed}\x00{i}\x00{ex.text}".encode(), digest_size=8).digest()

    order = sorted(range(len(examples)), key=lambda i: rank(i, examples[i]))
    n_valid = max(1, round(len(examples) * valid))
    held = set(order[:n_valid])
    train = [ex for i, ex in enumerate(examples) if i not in held]
    val = [ex for i, ex in enumerate(examples) if i in held]
    return train, val


def _metrics(val: list[Example], preds: list[list[tuple[str, float]]], labels: list[str]) -> dict[str, Any]:
    idx = {lb: i for i, lb in enumerate(labels)}
    conf = [[0] * len(labels) for _ in labels]
    for ex, p in zip(val, preds):
        conf[idx[ex.label]][idx[p[0][0]]] += 1
    per = {}
    for lb, i in idx.items():
        tp = conf[i][i]
        fp = sum(conf[r][i] for r in range(len(labels))) - tp
        fn = sum(conf[i]) - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lb] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": sum(conf[i])}
    acc = sum(conf[i][i] for i in range(len(labels))) / max(1, len(val))
    out: dict[str, Any] = {"documents": len(val), "accuracy": round(acc, 4),
                           "macro_f1": round(sum(v["f1"] for v in per.values()) / max(1, len(per)), 4),
                           "per_label": per, "confusion": {"labels": labels, "rows_true_cols_predicted": conf}}
    if all(ex.score is not None for ex in val) and all(_is_number(lb) for lb in labels):
        # regression view of integer classes: the expected score under the predicted distribution
        err = [abs(sum(float(lb) * p for lb, p in pr) - ex.score) for ex, pr in zip(val, preds)]
        out["mae"] = round(sum(err) / max(1, len(err)), 4)
    return out


def card_markdown(card: dict[str, Any]) -> str:
    v = card["validation"]
    d = card["data"]
    what = ("fastText supervised classifier" if card.get("kind", "fasttext") == "fasttext" else
            f"Embedding {card['parameters'].get('task', 'classification')} head (`embedding_classifier`)")
    lines = [f"# Model card: {Path(card['model']).name}", "",
             f"{what} trained with `winnow train-classifier` ({card['trainer']}).", "",
             "## Data", ""]
    for k, val in d.items():
        if k != "labels":
            lines.append(f"- {k}: {val}")
    lines.append("- labels: " + ", ".join(f"{lb} ({n})" for lb, n in d["labels"].items()))
    lines += ["", "## Parameters", "", "| parameter | value |", "|---|---|"]
    lines += [f"| {k} | {val} |" for k, val in card["parameters"].items()]
    lines += ["", f"## Validation ({v['documents']} held-out documents)", "",
              f"accuracy {v['accuracy']}, macro F1 {v['macro_f1']}" + (f", MAE {v['mae']}" if "mae" in v else "")
              + (f", RMSE {v['rmse']}" if "rmse" in v else "") + (f", Pearson r {v['pearson_r']}" if "pearson_r" in v
                                                                  else ""), "",
              "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| {lb} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |"
              for lb, m in v["per_label"].items()]
    labels = v["confusion"]["labels"]
    lines += ["", "Confusion matrix (rows: true label, columns: predicted):", "",
              "| true \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for lb, row in zip(labels, v["confusion"]["rows_true_cols_predicted"]):
        lines.append(f"| {lb} | " + " | ".join(str(x) for x in row) + " |")
    if card.get("top_features"):
        lines += ["", "## Top features (words pushing hardest toward each label)", ""]
        for lb, words in card["top_features"].items():
            lines.append(f"- {lb}: " + ", ".join(f"`{w}`" for w in words))
    t = card["training_seconds"]
    lines += ["", f"Training took {t['cpu']} s CPU ({t['wall']} s wall"
              + (f"; embedding {t['embedding_cpu']} s, fitting the head {t['fit_cpu']} s" if "fit_cpu" in t else "")
              + f"); the model file is {card['bytes']:,} bytes.", ""]
    return "\n".join(lines)
