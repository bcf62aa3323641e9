"""How far off is stats.json's token estimate? The exact tokenizer count after every step of the default pipeline,
against the estimate stats.json gives for that step (its characters out x the tokens per character the tokenize
step measured at the end of the pipeline).

    export PYTHONPATH=src
    .venv/bin/python bench/token_estimate.py [--data ../shared/data] [--tokenizer tokenizer.json]
        [--out bench/results/token_estimate.md]

Pipeline: the shipped default pipeline (configs/default.yaml) over the demo crawl shipped in the package, with a
``tokenize`` step inserted after every step (the same tokenizer each time, ``min_tokens: 0``: it drops nothing and
changes no text), so each step's output is counted exactly; the last one plays the tokenize step a user puts at
the end, whose ratio stats.json applies to every other step. Tokenizer: ``--tokenizer``, else the 32,000-id
byte-level BPE bench/tokenizer_speed.py trains on the shared crawl's main-content text (cached in
bench/out/tokenize/).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["TOKENIZERS_PARALLELISM"] = "false"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--tokenizer")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "token_estimate.md"))
    args = ap.parse_args()

    import yaml

    from tokenizer_speed import load_texts, train_tokenizer
    from winnow.cli import DEFAULT_CONFIG
    from winnow.config import pipeline_from_dict
    from winnow.run import run_pipeline

    work = ROOT / "bench" / "out" / "tokenize"
    tok = args.tokenizer or str(train_tokenizer(load_texts(Path(args.data), 400), work / "tokenizer-bpe32k.json"))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    stage = raw["stages"][0]
    real = [s["type"] for s in stage["steps"]]
    steps = []
    for s in stage["steps"]:
        steps += [s, {"type": "tokenize", "tokenizer": tok}]
    stage["steps"] = steps
    raw["executor"] = {"type": "inline"}
    c0 = time.process_time()
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        res = run_pipeline(pipeline_from_dict(raw), Path(tmp) / "run", "inline", log=False, report=False)
    cpu = time.process_time() - c0
    by = {s["name"]: s for s in res.stats["stages"][0]["steps"]}
    counters = [by[f"tokenize#{i + 1}"] for i in range(len(real))]
    last = counters[-1]
    ratio = last["tokens_counted"] / last["tokens_counted_chars"]
    rows = []
    labels = []
    for t in real:  # the labels stats.json gives the real steps (a type used twice would be name#k)
        labels.append(t if real.count(t) == 1 else f"{t}#{labels.count(t) + 1}")
    for label, exact in zip(labels, counters):
        st = by[label]
        est = round(st["chars_out"] * ratio)
        # the exact count of the documents this step passed on: the tokenize step right after it saw exactly them
        assert exact["docs_in"] == st["docs_out"], (label, exact["docs_in"], st["docs_out"])
        err = (est - exact["tokens_counted"]) / exact["tokens_counted"] if exact["tokens_counted"] else 0.0
        local = exact["tokens_counted"] / exact["tokens_counted_chars"] if exact["tokens_counted_chars"] else 0.0
        rows.append((label, st["docs_out"], st["chars_out"], exact["tokens_counted"], est, err, local))
    lines = ["# Token estimates against exact counts (bench/token_estimate.py)", "",
             f"The default pipeline over the demo crawl ({res.stats['stages'][0]['in']} pages), a tokenize step "
             f"after every step ({Path(tok).name}); the estimate is stats.json's: characters out x "
             f"{ratio:.4f} tokens per character, the ratio the last tokenize step measured on "
             f"{last['docs_in']:,} documents. Run in {cpu:.1f} CPU s.", "",
             "| step | docs out | chars out | exact tokens | estimate | estimate error | tokens/char here |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {n} | {d:,} | {c:,} | {x:,} | {e:,} | {err:+.1%} | {loc:.4f} |" for n, d, c, x, e, err, loc in rows]
    worst = max(rows, key=lambda r: abs(r[5]))
    lines += ["", f"Largest error: {worst[5]:+.1%} at {worst[0]}.", "",
              "Reproduce: `PYTHONPATH=src .venv/bin/python bench/token_estimate.py`."]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
