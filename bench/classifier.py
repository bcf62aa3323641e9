"""Model-based quality: fastText classifiers trained with `winnow train-classifier` on the labelled data at hand,
their validation F1, training time, inference speed through the `classifier` step, and the decontamination index's
memory.

    PYTHONPATH=src .venv/bin/python bench/classifier.py [--data ../shared/data] [--only lines,extraction,register,speed,decont]

Needs winnow[train] (fasttext-wheel). Prints markdown tables (pasted into bench/results/classifier.md). All times
are CPU seconds of this process (time.process_time), one thread.

Tasks (every split is by document, never by line, so a page's boilerplate never sits on both sides):
* lines: the Turku line-quality labels (OSCAR documents, 1 keep / 0 noise, 6 languages): every split's documents
  pooled (fr and sv have no train split here) and split 80/20 by a seeded hash of the document's key.
* extraction: lines of each page's visible text (crawl/web-pages.jsonl.gz) labelled main when the line is a line
  of the page's gold main text (or, at 40+ characters, a substring of it), else boilerplate; the Zyte benchmark's
  and CleanEval's gold; pages split 80/20 by a seeded hash of their id.
* register: the register (genre) corpora, main register (first upper-case label) per document, 9 classes, 11
  languages; train-classifier's own 10% validation split.
* speed: document-level inference through the classifier step on 5,000-character documents (real pages cut or
  joined to 5,000 characters).
* decont: the decontaminate step's n-gram index built from 10^5 and 10^6 benchmark n-grams: array bytes, peak
  memory of the build (in a fresh process each) and build time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from winnow.document import Document  # noqa: E402
from winnow.step import Context  # noqa: E402
from winnow.steps.classify import Classifier, load_fasttext, predict_all  # noqa: E402
from winnow.train import Example, TrainParams, train_classifier  # noqa: E402

TURKU_LANGS = ("de", "en", "es", "fi", "fr", "sv")
REGISTER_FILES = ["ArCORE/ar", "CaCORE/ca", "SpaCORE/test", "FinCORE/dev", "FinCORE/test", "FrCORE/dev",
                  "FrCORE/test", "HiCORE/hi", "IdCORE/id", "PtCORE/pt", "SvCORE/train", "SvCORE/dev", "SvCORE/test",
                  "UrCORE/ur", "SimChiCORE/all"]


def _f1(pairs: list[tuple[str, str]], positive: str) -> dict[str, float]:
    tp = sum(1 for t, p in pairs if t == positive and p == positive)
    fp = sum(1 for t, p in pairs if t != positive and p == positive)
    fn = sum(1 for t, p in pairs if t == positive and p != positive)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"p": prec, "r": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}


def _evaluate(model_path: Path, held: list[Example]) -> list[tuple[str, str]]:
    model = load_fasttext(model_path)
    return [(ex.label, predict_all(model, ex.text)[0][0]) for ex in held]


def _report_binary(name: str, card: dict, held: list[Example], model_path: Path, positive: str, negative: str) -> str:
    pairs = _evaluate(model_path, held)
    pos = _f1(pairs, positive)
    neg = _f1(pairs, negative)
    acc = sum(1 for t, p in pairs if t == p) / len(pairs)
    majority = max(sum(1 for t, _ in pairs if t == positive), sum(1 for t, _ in pairs if t == negative)) / len(pairs)
    par = card["parameters"]
    return (f"| {name} | epoch {par['epoch']} | {card['data']['train']:,} | {len(held):,} | {acc:.3f} ({majority:.3f}) "
            f"| {pos['p']:.3f} / {pos['r']:.3f} / {pos['f1']:.3f} | {neg['p']:.3f} / {neg['r']:.3f} / {neg['f1']:.3f} "
            f"| {(pos['f1'] + neg['f1']) / 2:.3f} | {card['training_seconds']['cpu']:.1f} | {card['bytes'] / 1e6:.1f} |")


BINARY_HEADER = ("| task | setting | train | held-out | accuracy (majority) | keep/main P / R / F1 | noise/boilerplate "
                 "P / R / F1 | macro F1 | train CPU s | model MB |\n|---|---|---|---|---|---|---|---|---|---|")


# --- Turku lines ---------------------------------------------------------------------------------------------------

def turku_docs(data: Path) -> list[tuple[str, list[Example]]]:
    """Every labelled document of every split (fr and sv have no train split here), keyed by language/split/n."""
    out = []
    for lang in TURKU_LANGS:
        for split in ("train", "dev", "test"):
            p = data / "lines" / "turku-line-quality" / lang / f"{split}.json.gz"
            if not p.exists():
                continue
            for i, doc in enumerate(json.loads(gzip.open(p).read())):
                ex = [Example(line, "keep" if int(lab) == 1 else "noise")
                      for line, lab in zip(doc["text"], doc["labels"]) if line.strip()]
                out.append((f"{lang}/{split}/{i}", ex))
    return out


def _held(key: str) -> bool:
    return hashlib.blake2b(key.encode(), digest_size=8).digest()[0] < 52  # ~20% of documents, seeded by the key


def bench_lines(data: Path, tmp: Path, epochs: list[int]) -> list[str]:
    docs = turku_docs(data)
    train = [e for k, ex in docs if not _held(k) for e in ex]
    held = [e for k, ex in docs if _held(k) for e in ex]
    n_held = sum(1 for k, _ in docs if _held(k))
    rows = []
    for ep in epochs:
        card = train_classifier(train, tmp / f"turku{ep}.bin", TrainParams(epoch=ep), {"source": "turku"})
        rows.append(_report_binary(f"Turku lines ({len(docs)} docs, {n_held} held out)", card, held,
                                   tmp / f"turku{ep}.bin", "keep", "noise"))
    return rows


# --- extraction gold: main text vs boilerplate -----------------------------------------------------------------------

_WS = re.compile(r"\s+")
_MARK = re.compile(r"^\s*<(p|h|l)>\s*", re.I)


def _norm(s: str) -> str:
    return _WS.sub(" ", s).strip()


def _gold_for(data: Path, rec: dict, aeb: dict) -> str | None:
    if rec["source"] == "scrapinghub-aeb":
        stem = Path(rec["file"]).name.split(".")[0]
        return aeb.get(stem, {}).get("articleBody")
    if rec["source"] == "cleaneval":
        f = rec["file"].replace("/input/", "/gold/").replace(".html.gz", ".txt.gz")
        p = data / f
        if not p.exists():
            return None
        lines = gzip.open(p, "rt", encoding="utf-8", errors="replace").read().split("\n")
        return "\n".join(_MARK.sub("", ln) for ln in lines if not ln.startswith("URL:"))
    return None


def extraction_pages(data: Path) -> list[tuple[str, list[Example]]]:
    aeb = json.load(open(data / "extraction" / "scrapinghub-aeb" / "ground-truth.json"))
    pages = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            gold = _gold_for(data, rec, aeb)
            if not gold:
                continue
            gold_norm = _norm(gold)
            gold_lines = {_norm(g) for g in gold.split("\n") if g.strip()}
            ex = []
            for ln in rec["text"].split("\n"):
                n = _norm(ln)
                if not n:
                    continue
                main = n in gold_lines or (len(n) >= 40 and n in gold_norm)
                ex.append(Example(ln.strip(), "main" if main else "boilerplate"))
            pages.append((rec["id"], ex))
    return pages


def bench_extraction(data: Path, tmp: Path, epochs: list[int]) -> list[str]:
    pages = extraction_pages(data)
    held_ids = {pid for pid, _ in pages if _held(pid)}
    train = [e for pid, ex in pages if pid not in held_ids for e in ex]
    held = [e for pid, ex in pages if pid in held_ids for e in ex]
    rows = []
    for ep in epochs:
        card = train_classifier(train, tmp / f"extr{ep}.bin", TrainParams(epoch=ep), {"source": "extraction gold"})
        rows.append(_report_binary(f"extraction lines ({len(pages)} pages, {len(held_ids)} held out)", card, held,
                                   tmp / f"extr{ep}.bin", "main", "boilerplate"))
    return rows


# --- register genres ---------------------------------------------------------------------------------------------------

def register(data: Path) -> list[Example]:
    out = []
    for f in REGISTER_FILES:
        with gzip.open(data / "crawl" / "register-multiling" / f"{f}.tsv.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t", 1)
                if len(parts) != 2 or not parts[1].strip():
                    continue
                mains = [lb for lb in parts[0].split() if lb.isupper()]
                if mains:
                    out.append(Example(parts[1], mains[0]))
    return out


def bench_register(data: Path, tmp: Path, epochs: list[int]) -> list[str]:
    ex = register(data)
    rows = []
    for ep in epochs:
        card = train_classifier(ex, tmp / f"reg{ep}.bin", TrainParams(epoch=ep), {"source": "register"})
        v = card["validation"]
        counts = card["data"]["labels"]
        majority = max(counts.values()) / sum(counts.values())
        rows.append(f"| register (9 classes, 11 langs) | epoch {ep} | {card['data']['train']:,} | {v['documents']:,} "
                    f"| {v['accuracy']:.3f} ({majority:.3f}) | macro F1 {v['macro_f1']:.3f} | "
                    f"{card['training_seconds']['cpu']:.1f} | {card['bytes'] / 1e6:.1f} |")
    return rows


# --- inference speed --------------------------------------------------------------------------------------------------

def five_kb_docs(data: Path, n: int) -> list[str]:
    texts = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
    out, buf = [], ""
    for t in texts * 4:
        buf += t + "\n"
        while len(buf) >= 5000:
            out.append(buf[:5000])
            buf = buf[5000:]
            if len(out) == n:
                return out
    return out


def bench_speed(data: Path, tmp: Path, models: list[tuple[str, Path]], n: int) -> list[str]:
    docs = five_kb_docs(data, n)
    rows = []
    for name, path in models:
        for level in ("document", "line"):
            step = Classifier(model=str(path), level=level)
            step.setup(Context())
            batch = [Document(str(i), t) for i, t in enumerate(docs)]
            step.process(batch[0])
            t0 = time.process_time()
            for d in batch:
                step.process(d)
            cpu = time.process_time() - t0
            rows.append(f"| {name} | {level} | {len(docs):,} | {cpu:.2f} | {len(docs) / cpu:,.0f} |")
    return rows


def bench_decont_speed(data: Path, tmp: Path, n: int) -> list[str]:
    from winnow.steps.contamination import Decontaminate

    docs = five_kb_docs(data, n)
    path = tmp / "speed-bench.jsonl"
    subprocess.run([sys.executable, "-c", _DECONT_MAKE, "1000000", str(path)], check=True)
    rows = []
    for variant in ("gpt3", "datatrove"):
        step = Decontaminate(benchmarks=[str(path)], variant=variant, action="drop")
        step.setup(Context())
        batch = [Document(str(i), t) for i, t in enumerate(docs)]
        t0 = time.process_time()
        for d in batch:
            step.process(d)
        cpu = time.process_time() - t0
        rows.append(f"| {variant} | {len(step._index.hashes):,} | {len(docs):,} | {cpu:.2f} | {len(docs) / cpu:,.0f} |")
    return rows


# --- decontamination index memory -----------------------------------------------------------------------------------

_DECONT_MAKE = r"""
import random, sys, orjson
target, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(0)
def word(i):  # letters only: datatrove's normalisation folds every digit run to "0"
    s = ""
    for _ in range(4):
        s += "abcdefghijklmnopqrstuvwxyz"[i % 26]
        i //= 26
    return s
vocab = [word(i) for i in range(50000)]
with open(path, "wb") as f:
    for _ in range(target // 100):
        f.write(orjson.dumps({"text": " ".join(rng.choices(vocab, k=112))}) + b"\n")  # 100 13-grams a record
"""
_DECONT_CHILD = r"""
import sys, time, tracemalloc, orjson
sys.path.insert(0, sys.argv[1])
import numpy
from winnow.steps.contamination import build_index
tracemalloc.start()
t0 = time.process_time()
idx = build_index([sys.argv[2]], "gpt3", 13, ["text"])
cpu = time.process_time() - t0
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(orjson.dumps({"ngrams": len(idx.hashes), "bytes": idx.nbytes, "traced_peak": traced_peak,
                    "cpu": cpu}).decode())
"""


def bench_decont(tmp: Path) -> list[str]:
    rows = []
    for target in (100_000, 1_000_000):
        path = tmp / f"bench{target}.jsonl"
        subprocess.run([sys.executable, "-c", _DECONT_MAKE, str(target), str(path)], check=True)
        # the build in a fresh process (tracemalloc counts numpy's arrays too; its overhead inflates the CPU time)
        res = subprocess.run([sys.executable, "-c", _DECONT_CHILD, str(ROOT / "src"), str(path)],
                             capture_output=True, text=True, check=True)
        r = json.loads(res.stdout)
        rows.append(f"| {r['ngrams']:,} | {r['bytes'] / 1e6:.1f} | {r['traced_peak'] / 1e6:.0f} | {r['cpu']:.2f} |")
    return rows


# --- the built-in embedding head: main text vs page chrome (Zyte's article-extraction benchmark, MIT) ---------------

HEAD_OUT = "src/winnow/data/heads/boilerplate.json"


def boilerplate_examples(data: Path) -> list[dict]:
    """One ``main`` document per page (the benchmark's gold article body) and one ``boilerplate`` document (the
    lines of the page's visible text that are not in the gold body, in page order; pages with under 200 characters
    of them give none)."""
    aeb = json.load(open(data / "extraction" / "scrapinghub-aeb" / "ground-truth.json"))
    out = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec["source"] != "scrapinghub-aeb":
                continue
            gold = aeb.get(Path(rec["file"]).name.split(".")[0], {}).get("articleBody")
            if not gold:
                continue
            gold_norm = _norm(gold)
            gold_lines = {_norm(g) for g in gold.split("\n") if g.strip()}
            chrome = [ln.strip() for ln in rec["text"].split("\n") if _norm(ln)
                      and not (_norm(ln) in gold_lines or (len(_norm(ln)) >= 40 and _norm(ln) in gold_norm))]
            out.append({"id": rec["id"], "text": gold.strip(), "label": "main"})
            if sum(len(c) for c in chrome) >= 200:
                out.append({"id": rec["id"] + "-chrome", "text": "\n".join(chrome), "label": "boilerplate"})
    return out


def build_head(data: Path) -> None:
    """Writes the built-in head and its card with `winnow train-classifier --kind embedding` (paths relative to the
    repository, so the card names no machine's folders)."""
    import os

    from winnow.cli import main as cli

    os.chdir(ROOT)
    src = Path("bench/out/boilerplate-head.jsonl")
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in boilerplate_examples(data)))
    cli(["train-classifier", "--kind", "embedding", "--data", str(src), "-o", HEAD_OUT])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--only", default="lines,extraction,register,speed,decont")
    ap.add_argument("--epochs", default="5,25", help="training epochs compared (fastText's default is 5)")
    ap.add_argument("--docs", type=int, default=3000, help="5 KB documents timed for inference")
    args = ap.parse_args()
    data = Path(args.data)
    only = set(args.only.split(","))
    epochs = [int(e) for e in args.epochs.split(",")]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        if only & {"lines", "extraction"}:
            print(BINARY_HEADER)
            if "lines" in only:
                print("\n".join(bench_lines(data, tmp, epochs)))
            if "extraction" in only:
                print("\n".join(bench_extraction(data, tmp, epochs)))
            print()
        if "register" in only:
            print("| task | setting | train | validation | accuracy (majority) | F1 | train CPU s | model MB |\n"
                  "|---|---|---|---|---|---|---|---|")
            print("\n".join(bench_register(data, tmp, epochs)))
            print()
        if "speed" in only:
            models = [(p.stem, p) for p in sorted(tmp.glob("*5.bin")) if p.stem in ("turku5", "extr5")]
            if not models:
                card = train_classifier([e for _, ex in turku_docs(data) for e in ex], tmp / "turku.bin")
                models = [("turku", Path(card["model"]))]
            print("| model | level | docs (5,000 chars) | CPU s | docs/s per core |\n|---|---|---|---|---|")
            print("\n".join(bench_speed(data, tmp, models, args.docs)))
            print()
            print("| decontaminate | index 13-grams | docs (5,000 chars) | CPU s | docs/s per core |\n|---|---|---|---|---|")
            print("\n".join(bench_decont_speed(data, tmp, args.docs)))
            print()
        if "decont" in only:
            # (ru_maxrss is no measure here: Linux carries the high-water mark of the forking parent across exec)
            print("| distinct 13-grams in the index | index MB (kept arrays) | peak Python+numpy allocation during the "
                  "build, MB | build CPU s (traced) |\n|---|---|---|---|")
            print("\n".join(bench_decont(tmp)))
    if "head" in only:
        build_head(data)


if __name__ == "__main__":
    main()
