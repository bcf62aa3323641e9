"""``winnow train-classifier``: train a supervised fastText model (or, with ``--kind embedding``, a head over
sentence embeddings: ``winnow.train_embed``) on labelled text, deterministically, and write it with a card that says
what it was trained on and how well it does on held-out documents.

Labelled data comes as JSONL/Parquet records with a text and a label (or a numeric score), as two folders of
positive and negative documents, or as a winnow run folder (kept vs rejected, or an attribute against a
threshold). A seeded hash of each example's position and text sets aside the validation set, so the same input
and seed give the same split, the same model bytes (fastText on one thread) and the same card.

Training needs the full fastText binding (``pip install 'winnow[train]'``); the model it writes is applied with
the ``classifier`` step, which feeds the model exactly the text this module trains on (``model_input``).
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import orjson

from .errors import WinnowError
from .steps.classify import load_fasttext, model_input, predict_all
from ._train_common import Example, _metrics, card_markdown, split  # noqa: F401 (split, card_markdown: re-exported)

__all__ = ["TrainParams", "Example", "train_classifier", "split", "load_records", "load_folders", "load_run_labels",
           "fasttext_trainer"]


@dataclass
class TrainParams:
    # fastText's defaults, except wordNgrams=2 (DCLM's quality classifier and fastText's own text-classification
    # tutorial use bigrams) and bucket: fastText's 2M buckets make an 800 MB model at dim 100; 200k keep it near
    # 80 MB, and for the few hundred thousand documents such a model is trained on the extra collisions do not
    # show in validation F1 (bench/results/classifier.md).
    epoch: int = 5
    lr: float = 0.1
    dim: int = 100
    word_ngrams: int = 2
    min_count: int = 1
    bucket: int = 200_000
    loss: str = "softmax"
    seed: int = 0
    valid: float = 0.1  # fraction held out for validation
    quantize: bool = False  # write a compressed .ftz (fastText's product quantisation) instead of a .bin
    # One thread: fastText's Hogwild updates make a multi-threaded run differ from run to run.
    threads: int = 1


def fasttext_trainer():
    """The fastText module with training in it. fasttext-predict (inference) and the full binding install a module
    of the same name; whichever was installed last wins, and only the full one can train."""
    try:
        import fasttext
        import fasttext_pybind
    except ImportError as exc:
        raise WinnowError("training needs the fastText binding: pip install 'winnow[train]'") from exc
    if not hasattr(fasttext_pybind, "train") or not hasattr(fasttext, "train_supervised"):
        raise WinnowError("the installed fasttext module is fasttext-predict's (predict only), which shares its name "
                          "with the training binding; reinstall the training one over it: "
                          "pip install --force-reinstall --no-deps fasttext-wheel")
    return fasttext


# --- reading labelled data ----------------------------------------------------------------------------------------

def _label_token(label: Any) -> str:
    s = str(label).strip()
    if not s:
        raise WinnowError("an empty label")
    return "_".join(s.split())  # fastText labels are single tokens


def _records(path: str) -> Iterator[dict[str, Any]]:
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=4096):
            yield from batch.to_pylist()
        return
    from .io.base import open_read

    with open_read(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise WinnowError(f"{path}: line {n} is not JSON: {exc}") from None


def load_records(paths: list[str], text_field: str = "text", label_field: str = "label",
                 score_field: str | None = None, threshold: float | None = None,
                 positive: str = "pos", negative: str = "neg") -> list[Example]:
    """Examples from JSONL/Parquet files. With ``score_field``: a threshold makes two labels (score >= threshold:
    positive); without one, each score rounded to an integer is a class (FineWeb-Edu's 0-5 annotations)."""
    from .io.base import expand_paths

    out: list[Example] = []
    files = expand_paths(paths)
    if not files:
        raise WinnowError(f"no files match {paths}")
    for path in files:
        for n, rec in enumerate(_records(path), 1):
            text = rec.get(text_field)
            if not isinstance(text, str):
                raise WinnowError(f"{path}: record {n} has no text field {text_field!r}")
            if score_field:
                v = rec.get(score_field)
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise WinnowError(f"{path}: record {n}: score field {score_field!r} is not a number: {v!r}")
                label = (positive if v >= threshold else negative) if threshold is not None else str(round(v))
                out.append(Example(text, label, float(v)))
            else:
                if rec.get(label_field) is None:
                    raise WinnowError(f"{path}: record {n} has no label field {label_field!r}")
                out.append(Example(text, _label_token(rec[label_field])))
    return out


def _folder_texts(folder: str) -> list[str]:
    root = Path(folder)
    if not root.is_dir():
        raise WinnowError(f"not a folder: {folder}")
    texts = []
    for p in sorted(q for q in root.rglob("*") if q.is_file() and not q.name.startswith(".")):
        name = p.name
        if ".jsonl" in name or name.endswith(".parquet"):
            texts.extend(r["text"] for r in _records(str(p)) if isinstance(r.get("text"), str))
        else:
            texts.append(p.read_text(encoding="utf-8", errors="replace"))
    return texts


def load_folders(positives: str, negatives: str, positive: str = "pos", negative: str = "neg") -> list[Example]:
    """Every file in each folder is one document (.txt and the like), or holds documents (.jsonl*, .parquet)."""
    return ([Example(t, _label_token(positive)) for t in _folder_texts(positives)]
            + [Example(t, _label_token(negative)) for t in _folder_texts(negatives)])


def load_run_labels(run_dir: str, attribute: str | None = None, threshold: float | None = None,
                    positive: str | None = None, negative: str | None = None) -> list[Example]:
    """Examples from a winnow run: each document's final text labelled kept or rejected (in an annotate run:
    whether any step would have dropped it), or, with ``attribute``, by that recorded signal against
    ``threshold`` (at or above: positive). Documents without the attribute are left out."""
    from .io.base import as_path
    from .report._run import doc_path, iter_terminal, load_run, numeric

    if attribute and threshold is None:
        raise WinnowError("an attribute needs a threshold")
    positive = positive or ("pos" if attribute else "kept")
    negative = negative or ("neg" if attribute else "rejected")
    info = load_run(as_path(run_dir))
    out = []
    for rec in iter_terminal(info):
        text = rec.doc.get("text") or ""
        if attribute:
            v = numeric((rec.doc.get("attributes") or {}).get(attribute))
            if v is None:
                continue
            out.append(Example(text, positive if v >= threshold else negative, v))
        else:
            kept = doc_path(info, rec).first_drop is None and rec.where == "kept"
            out.append(Example(text, positive if kept else negative))
    return out


# --- the split, training and evaluation ---------------------------------------------------------------------------

def _top_features(model: Any, labels: list[str], n: int = 15) -> dict[str, list[str]]:
    """The words whose presence pushes hardest toward each label: each word's input vector through the output
    layer, minus the mean over labels (word n-gram buckets have no names and are left out)."""
    import numpy as np

    try:
        words = model.get_words()
        w_in = model.get_input_matrix()[: len(words)]
        w_out = model.get_output_matrix()
    except Exception:  # a quantized model has no dense matrices
        return {}
    model_labels = [lb.removeprefix("__label__") for lb in model.get_labels()]
    logits = w_in @ w_out.T  # (words, labels)
    logits = logits - logits.mean(axis=1, keepdims=True)
    out = {}
    for lb in labels:
        j = model_labels.index(lb)
        col = logits[:, j]
        top = np.argsort(-col, kind="stable")[: n * 3]
        out[lb] = [words[i] for i in top if words[i] != "</s>"][:n]
    return out


def train_classifier(examples: list[Example], output: str | Path, params: TrainParams | None = None,
                     source: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train, save ``output`` (.bin, or .ftz when quantized), evaluate on the held-out set and write the card
    (``<output>.card.json`` and ``.card.md``). Returns the card."""
    params = params or TrainParams()
    fasttext = fasttext_trainer()
    if len(examples) < 2:
        raise WinnowError(f"need at least two labelled documents, got {len(examples)}")
    labels = sorted({ex.label for ex in examples})
    if len(labels) < 2:
        raise WinnowError(f"need at least two labels, got only {labels}")
    train, val = split(examples, params.valid, params.seed)
    output = Path(output)
    if params.quantize and output.suffix != ".ftz":
        output = output.with_suffix(".ftz")
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.process_time()
    w0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="winnow-train-") as tmp:
        train_file = Path(tmp) / "train.txt"
        with open(train_file, "w", encoding="utf-8") as f:
            for ex in train:
                f.write(f"__label__{ex.label} {model_input(ex.text)}\n")
        model = fasttext.train_supervised(
            input=str(train_file), epoch=params.epoch, lr=params.lr, dim=params.dim, wordNgrams=params.word_ngrams,
            minCount=params.min_count, bucket=params.bucket, loss=params.loss, seed=params.seed,
            thread=params.threads, verbose=0)
        features = _top_features(model, labels)
        if params.quantize:
            model.quantize(input=str(train_file), retrain=False, thread=params.threads, verbose=0)
        tmp_out = output.with_name(f".{output.name}.{os.getpid()}.part")
        model.save_model(str(tmp_out))
        os.replace(tmp_out, output)
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    # Evaluate the saved file through the classifier step's own code path: the numbers describe what a run gets.
    saved = load_fasttext(output)
    preds = [predict_all(saved, ex.text) for ex in val]
    card = {
        "model": str(output), "bytes": output.stat().st_size,
        "data": {**(source or {}), "documents": len(examples), "train": len(train), "validation": len(val),
                 "labels": {lb: sum(1 for ex in examples if ex.label == lb) for lb in labels}},
        "parameters": asdict(params),
        "validation": _metrics(val, preds, labels),
        "top_features": features,
        "training_seconds": {"cpu": round(cpu, 2), "wall": round(wall, 2)},
        "trainer": _trainer_version(),
    }
    Path(f"{output}.card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    Path(f"{output}.card.md").write_text(card_markdown(card))
    return card


def _trainer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("fasttext-wheel", "fasttext"):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    return "fasttext (version unknown)"


def yaml_snippet(card: dict[str, Any]) -> str:
    labels = list(card["data"]["labels"])
    pos = next((lb for lb in ("pos", "kept", "hq", "positive") if lb in labels), labels[-1])
    if card.get("kind") == "embedding":
        if card["parameters"].get("task") == "regression":
            return (f"- type: embedding_classifier\n  head: {card['model']}\n  # tag only; to filter, keep the "
                    f"documents whose predicted score reaches a minimum:\n  # keep: {{score: {pos}}}\n")
        return (f"- type: embedding_classifier\n  head: {card['model']}\n  # tag only; to filter, keep the "
                f"documents whose '{pos}' probability reaches a minimum:\n  # keep: {{{pos}: 0.5}}\n")
    return (f"- type: classifier\n  model: {card['model']}\n  # tag only; to filter, keep the documents whose "
            f"'{pos}' probability reaches a minimum:\n  # keep: {{{pos}: 0.5}}\n")


# --- command line ---------------------------------------------------------------------------------------------------

def add_arguments(sp) -> None:
    g = sp.add_argument_group("labelled data (one of)")
    g.add_argument("--data", nargs="+", metavar="FILE", help="JSONL/Parquet files (globs) with a text and a label or score")
    g.add_argument("--positives", metavar="DIR", help="folder of positive documents (with --negatives)")
    g.add_argument("--negatives", metavar="DIR", help="folder of negative documents")
    g.add_argument("--run", metavar="RUN_DIR", help="a winnow run folder: kept vs rejected, or --attribute")
    sp.add_argument("--text-field", default="text")
    sp.add_argument("--label-field", default="label")
    sp.add_argument("--score-field", help="a numeric field: integer classes, or two labels with --threshold")
    sp.add_argument("--attribute", help="with --run: a recorded attribute (e.g. classifier.hq) against --threshold")
    sp.add_argument("--threshold", type=float, help="score/attribute at or above it: the positive label")
    sp.add_argument("--positive-label", help="label name for positives (default pos; kept for --run)")
    sp.add_argument("--negative-label", help="label name for negatives (default neg; rejected for --run)")
    sp.add_argument("-o", "--output", default=None,
                    help="model file to write (default classifier.bin; with --kind embedding, classifier.json)")
    sp.add_argument("--kind", choices=["fasttext", "embedding"], default="fasttext",
                    help="fasttext: a fastText model (the classifier step); embedding: a head over sentence "
                         "embeddings (the embedding_classifier step)")
    from .train_embed import EmbedParams

    e = EmbedParams()
    g = sp.add_argument_group("--kind embedding")
    g.add_argument("--encoder", default=e.encoder, help="minilm (all-MiniLM-L6-v2), minilm-static (the same made "
                   "static: one vector per token, ~10x+ faster, less accurate), hashing, or a model folder")
    g.add_argument("--max-tokens", type=int, default=e.max_tokens, help="tokens per document; the rest is cut")
    g.add_argument("--task", default=e.task, choices=["auto", "classification", "regression"],
                   help="auto: regression when --score-field gives numbers (no --threshold), else classification")
    g.add_argument("--hidden", type=int, default=e.hidden, help="0: linear head; N: one hidden layer of N units")
    g.add_argument("--l2", type=float, default=e.l2, help="L2 penalty on the head's weights")
    g.add_argument("--iterations", type=int, default=e.iterations, help="full-batch Adam steps (not for linear "
                   "regression, solved in closed form)")
    g.add_argument("--device", default=e.device, choices=["auto", "cpu", "cuda"],
                   help="where the encoder runs while embedding the examples (cpu: reproducible to the byte)")
    d = TrainParams()
    sp.add_argument("--valid", type=float, default=d.valid, help="fraction held out for validation")
    sp.add_argument("--seed", type=int, default=d.seed, help="validation split and training seed")
    sp.add_argument("--epoch", type=int, default=d.epoch, help="passes over the data (fastText's default; a few "
                    "hundred documents often need ~25)")
    sp.add_argument("--lr", type=float, default=d.lr, help="learning rate (fastText's default; try 0.5 on small data)")
    sp.add_argument("--dim", type=int, default=d.dim, help="vector size (smaller: smaller model)")
    sp.add_argument("--word-ngrams", type=int, default=d.word_ngrams, help="longest word n-gram used as a feature")
    sp.add_argument("--min-count", type=int, default=d.min_count, help="rarest word kept")
    sp.add_argument("--bucket", type=int, default=d.bucket, help="hash buckets for n-grams (most of the model's size)")
    sp.add_argument("--loss", default=d.loss, choices=["softmax", "ova", "hs", "ns"], help="fastText loss")
    sp.add_argument("--quantize", action="store_true", help="write a compressed .ftz")
    sp.add_argument("--threads", type=int, default=d.threads,
                    help="training threads (more than 1 is faster but not reproducible)")


def main(args) -> int:
    sources = [x for x in (args.data, args.positives or args.negatives, args.run) if x]
    if len(sources) != 1:
        raise WinnowError("give exactly one of --data FILE..., --positives DIR --negatives DIR, --run RUN_DIR")
    pos, neg = args.positive_label, args.negative_label
    if args.data:
        if args.threshold is not None and not args.score_field:
            raise WinnowError("--threshold needs --score-field (or --run with --attribute)")
        examples = load_records(args.data, args.text_field, args.label_field, args.score_field, args.threshold,
                                pos or "pos", neg or "neg")
        source = {"source": "records", "files": args.data,
                  "target": args.score_field or args.label_field}
    elif args.positives or args.negatives:
        if not (args.positives and args.negatives):
            raise WinnowError("--positives and --negatives go together")
        examples = load_folders(args.positives, args.negatives, pos or "pos", neg or "neg")
        source = {"source": "folders", "positives": args.positives, "negatives": args.negatives}
    else:
        if args.attribute and args.threshold is None:
            raise WinnowError("--attribute needs --threshold")
        examples = load_run_labels(args.run, args.attribute, args.threshold, pos, neg)
        source = {"source": "run", "run": args.run,
                  "target": f"{args.attribute} >= {args.threshold}" if args.attribute else "kept vs rejected"}
    if getattr(args, "kind", "fasttext") == "embedding":
        from .train_embed import EmbedParams, train_embedding_head

        eparams = EmbedParams(encoder=args.encoder, max_tokens=args.max_tokens, task=args.task, hidden=args.hidden,
                              l2=args.l2, iterations=args.iterations, seed=args.seed, valid=args.valid,
                              device=args.device)
        card = train_embedding_head(examples, args.output or "classifier.json", eparams, source)
    else:
        params = TrainParams(epoch=args.epoch, lr=args.lr, dim=args.dim, word_ngrams=args.word_ngrams,
                             min_count=args.min_count, bucket=args.bucket, loss=args.loss, seed=args.seed,
                             valid=args.valid, quantize=args.quantize, threads=args.threads)
        card = train_classifier(examples, args.output or "classifier.bin", params, source)
    v = card["validation"]
    print(f"model: {card['model']}  ({card['bytes']:,} bytes; card: {card['model']}.card.md)")
    print(f"validation ({v['documents']} documents): accuracy {v['accuracy']}, macro F1 {v['macro_f1']}"
          + (f", MAE {v['mae']}" if "mae" in v else "") + (f", Pearson r {v['pearson_r']}" if "pearson_r" in v else ""))
    warning = one_class_warning(v)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print("use it in a pipeline:")
    sys.stdout.write(yaml_snippet(card))
    return 0


def one_class_warning(validation: dict[str, Any]) -> str | None:
    """A message when the model gives one label to every validation document of several labels: fastText's
    defaults (5 epochs, lr 0.1) often end there on a few hundred documents, and the scores then sit near 0.5 so
    no threshold separates anything. Seen on 300 labelled crawl pages: macro F1 0.32 at the defaults, 0.93 with
    --epoch 25 --lr 0.5."""
    conf = validation.get("confusion") or {}
    labels, rows = conf.get("labels") or [], conf.get("rows_true_cols_predicted") or []
    if len(labels) < 2 or sum(1 for r in rows if sum(r)) < 2:
        return None
    used = [j for j in range(len(labels)) if any(r[j] for r in rows)]
    if len(used) != 1:
        return None
    return (f"the model answers {labels[used[0]]!r} for every validation document (macro F1 "
            f"{validation.get('macro_f1')}): it has learnt nothing usable. Train longer or faster "
            "(e.g. --epoch 25 --lr 0.5), or give it more labelled data.")
