"""Tokenization throughput per core: winnow's tokenize step (and its tokenized writers) against the tokenizers
library's own batch encode on the same texts, and datatrove's DocumentTokenizer beside them in the same run.

    export PYTHONPATH=src
    .venv/bin/python bench/tokenizer_speed.py [--data ../shared/data] [--limit 400] [--repeats 7]
        [--tokenizer tokenizer.json] [--peer-python .bench-venv-tok/bin/python] [--out bench/results/tokenize.md]

Texts: the ``main_text`` of ``<data>/crawl/web-pages.jsonl.gz`` (resiliparse's main content of every page of the
shared extraction sets) of at least 200 characters, the first ``--limit`` of them: what a curation run keeps is
main-content text of this kind. Tokenizer: ``--tokenizer``, else a byte-level BPE with 32,000 ids trained here on
those texts with ``tokenizers`` (no hub access offline; the shape of GPT-2's / Llama-3's tokenizers: byte-level
pre-tokenizer, BPE merges), cached in bench/out/tokenize/.

Every side runs single-threaded (TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1: winnow runs one worker process
per core, so per core is the unit) and is timed in CPU seconds (``time.process_time``) around the work only (the
texts are in memory before the clock starts); the sides alternate ``--repeats`` times, in an order rotated
each round, and each keeps its fastest round (the machine is shared); the last column is the median over rounds of
a side's time over the reference's time in the same round. Sides:

* ``tokenizers encode_batch_fast``: the reference, ids only (taken out as lists, as any writer must), batches of
  1,000 texts.
* ``tokenizers encode_batch``: the same with offsets (what datatrove calls).
* ``winnow tokenize step``: ``Tokenize`` over Documents (per-document encode, attribute, ids kept for the writer).
* ``winnow step + megatron writer`` / ``+ datatrove writer``: the step, then the writer reusing its ids, to files.
* ``datatrove DocumentTokenizer``: datatrove 0.10.1's step (batch 1,000, EOS appended, no shuffle) writing its
  .ds files, in the peer venv (``--peer-python``; skipped when absent). Its .ds/.ds.index bytes are compared with
  winnow's datatrove writer's on the same texts: the layouts must be identical.

Peer venv (git-ignored): ``python3 -m venv .bench-venv-tok && .bench-venv-tok/bin/pip install datatrove==0.10.1
tokenizers``.
"""

from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # before tokenizers starts its pool: one core per side
os.environ["RAYON_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

PEER = r"""
import json, os, sys, time, glob
os.environ["TOKENIZERS_PARALLELISM"] = "false"; os.environ["RAYON_NUM_THREADS"] = "1"
from datatrove.data import Document
from datatrove.pipeline.tokens.tokenizer import DocumentTokenizer
texts = json.load(open(sys.argv[1])); tok = sys.argv[2]; out = sys.argv[3]; repeats = int(sys.argv[4])
best = None
for r in range(repeats):
    folder = f"{out}/r{r}"
    step = DocumentTokenizer(folder, tokenizer_name_or_path=tok, eos_token="<|endoftext|>", batch_size=1000,
                             shuffle_documents=False, save_final_metadata=False)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    t0 = time.process_time()
    res = step.run(iter(docs), rank=0, world_size=1)  # a terminal step: returns None in 0.10.1
    for _ in res or ():
        pass
    cpu = time.process_time() - t0
    best = cpu if best is None else min(best, cpu)
ds = sorted(p for p in glob.glob(f"{out}/r0/*.ds"))
print(json.dumps({"cpu": best, "ds": ds}))
"""


def load_texts(data: Path, limit: int) -> list[str]:
    out = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line).get("main_text") or ""
            if len(t) >= 200:
                out.append(t)
                if len(out) >= limit:
                    break
    return out


def train_tokenizer(texts: list[str], path: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if path.exists():
        return path
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=32000, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--tokenizer")
    ap.add_argument("--peer-python", default=str(ROOT / ".bench-venv-tok" / "bin" / "python"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "tokenize.md"))
    args = ap.parse_args()

    from tokenizers import Tokenizer

    from winnow.document import Document
    from winnow.io.tokenized import DatatroveWriter, MegatronWriter
    from winnow.steps.tokens import Tokenize

    texts = load_texts(Path(args.data), args.limit)
    chars = sum(len(t) for t in texts)
    work = ROOT / "bench" / "out" / "tokenize"
    tok_path = Path(args.tokenizer) if args.tokenizer else train_tokenizer(texts, work / "tokenizer-bpe32k.json")
    ref = Tokenizer.from_file(str(tok_path))
    n_tokens = sum(len(e.ids) for e in ref.encode_batch_fast(texts, add_special_tokens=False))
    tmp = Path(tempfile.mkdtemp(prefix="tok-", dir=work))

    def batches(fn):
        for i in range(0, len(texts), 1000):  # the ids as Python lists: what any writer has to take out
            [e.ids for e in fn(texts[i:i + 1000], add_special_tokens=False)]

    def step_only():
        step = Tokenize(tokenizer=str(tok_path))
        for _ in step([Document(str(i), t) for i, t in enumerate(texts)]):
            pass

    def with_writer(cls, name):
        def run():
            step = Tokenize(tokenizer=str(tok_path))
            h = cls(tokenizer=str(tok_path)).open(tmp / name)
            for d in step([Document(str(i), t) for i, t in enumerate(texts)]):
                h.write(d)
            h.close()
        return run

    sides = {
        "tokenizers encode_batch_fast (reference)": lambda: batches(ref.encode_batch_fast),
        "tokenizers encode_batch (with offsets)": lambda: batches(ref.encode_batch),
        "winnow tokenize step": step_only,
        "winnow step + megatron writer": with_writer(MegatronWriter, "w.bin"),
        "winnow step + datatrove writer": with_writer(DatatroveWriter, "w.ds"),
    }
    Tokenize(tokenizer=str(tok_path)).setup(None)  # load once outside the clock (workers load it in setup)
    best: dict[str, float] = {}
    rounds: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotated: no side always runs first
            fn = sides[name]
            t0 = time.process_time()
            fn()
            cpu = time.process_time() - t0
            best[name] = min(best.get(name, cpu), cpu)
            rounds[name].append(cpu)
    refname = "tokenizers encode_batch_fast (reference)"
    # paired: each round's side against the same round's reference, so drift in the machine's load cancels
    paired = {name: statistics.median(c / r for c, r in zip(cpus, rounds[refname])) for name, cpus in rounds.items()}

    peer_note = ""
    peer = Path(args.peer_python)
    if peer.exists():
        (tmp / "texts.json").write_text(json.dumps(texts))
        res = subprocess.run([str(peer), "-c", PEER, str(tmp / "texts.json"), str(tok_path), str(tmp / "dt"),
                              str(args.repeats)], capture_output=True, text=True)
        if res.returncode == 0:
            info = json.loads(res.stdout.strip().splitlines()[-1])
            best["datatrove DocumentTokenizer"] = info["cpu"]
            same = (len(info["ds"]) == 1 and Path(info["ds"][0]).read_bytes() == (tmp / "w.ds").read_bytes()
                    and Path(info["ds"][0] + ".index").read_bytes() == (tmp / "w.ds.index").read_bytes())
            peer_note = (f"datatrove's .ds and .ds.index for the same texts are {'byte-identical to' if same else 'DIFFERENT from'}"
                         " winnow's datatrove writer's.")
        else:
            peer_note = f"datatrove side failed: {res.stderr.strip().splitlines()[-1] if res.stderr else res.returncode}"
    else:
        peer_note = f"datatrove side skipped: no peer venv at {peer}"

    refcpu = best[refname]
    lines = [
        "# Tokenization throughput per core (bench/tokenizer_speed.py)", "",
        f"{len(texts)} main-content texts from the shared crawl, {chars / 1e6:.1f} M characters, {n_tokens / 1e6:.2f} M "
        f"tokens ({tok_path.name}, {ref.get_vocab_size():,} ids); one thread per side, CPU seconds, best of "
        f"{args.repeats} alternating rounds on a shared 2-core machine.", "",
        "| side | CPU s (best) | M chars/s/core | k tokens/s/core | best vs best reference | median paired ratio |",
        "|---|---:|---:|---:|---:|---:|"]
    for name, cpu in best.items():
        pr = f"{paired[name]:.2f}x" if name in paired else "(separate process)"
        lines.append(f"| {name} | {cpu:.2f} | {chars / cpu / 1e6:.2f} | {n_tokens / cpu / 1e3:.0f} | "
                     f"{cpu / refcpu:.2f}x | {pr} |")
    lines += ["", peer_note, "",
              f"Reproduce: `PYTHONPATH=src .venv/bin/python bench/tokenizer_speed.py --limit {args.limit} --repeats "
              f"{args.repeats}` (peer: `--peer-python .bench-venv-tok/bin/python`, datatrove 0.10.1)."]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
