"""Where untouched real pages lose sentences to the default pipeline's coherence steps, by step, reason and layout.

Issue 18 asks that pages nobody stitched or intruded lose <= 2% of their sentences. This runs real pages of 12+
sentences through the coherence steps in the default pipeline's order (line_noise, offtopic_sentences; then
stitched_document, which only drops pages and is counted apart) and counts a sentence removed when at least half its
non-space characters were deleted, charged to the step (and reason) that deleted most of them.

Pages (each set split in two halves by bench/coherence_recipes.py's hash; develop on ``train``, report ``test``):
* ``web``: crawl/web-pages.jsonl.gz ``main_text`` (CleanEval, the article and trafilatura benchmarks: many sites,
  en/de mostly), with the page's own line breaks;
* ``cc``: crawl/cc-fixtures (dolma's CCNet documents and the WARC captures through html_extract);
* ``turku``: the human-kept lines of the Turku line-quality documents (``--turku-split``, default train), each
  document's kept lines as a page;
* ``register``: the register documents in 11 languages (written on one line).
Each page in three layouts: as it is (``own``), one paragraph per 1-4 sentences (``para``: short sentences then
stand alone on a line) and all on one line (``oneline``).

    PYTHONPATH=src .venv/bin/python bench/untouched_loss.py --data ../shared/data --half test [--per-set 400]
    ... --dump bench/out/untouched_removed.jsonl     # every removed sentence with its line and context, to read
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import random
import sys
import time

import numpy as np

from winnow.document import Document
from winnow.sentences import sentence_spans
from winnow.steps.coherence import OfftopicSentences, StitchedDocument
from winnow.steps.noise_lines import LineNoise

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from coherence_recipes import REGISTER, half  # noqa: E402


def _web(data):
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            yield f"web:{d.get('source')}", d.get("main_text") or ""


def _cc(data):
    from winnow.io.warc import WarcReader
    from winnow.steps.extract import HtmlExtract

    for fn in sorted(glob.glob(os.path.join(data, "crawl/cc-fixtures/dolma/*.json*.gz"))):
        with gzip.open(fn, "rt") as f:
            for line in f:
                yield "cc:ccnet", json.loads(line).get("text") or ""
    ext = HtmlExtract()
    for fn in sorted(glob.glob(os.path.join(data, "crawl/cc-fixtures/*/*.warc.gz"))):
        for d in WarcReader(paths=fn).read(fn):
            if isinstance(d, Document):
                d = ext.process(d)
                if d.drop is None and d.text:
                    yield "cc:warc", d.text


def _turku(data, split):
    for fn in sorted(glob.glob(os.path.join(data, "lines/turku-line-quality/*", f"{split}.json.gz"))):
        lang = os.path.basename(os.path.dirname(fn))
        with gzip.open(fn, "rt") as f:
            for d in json.load(f):
                kept = [x for x, y in zip(d["text"], d["labels"]) if x.strip() and str(y) != "0"]
                yield f"turku:{lang}", "\n".join(kept)


def _register(data):
    for lang, pat in sorted(REGISTER.items()):
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", pat))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for line in f:
                    labels, _, text = line.rstrip("\n").partition("\t")
                    if "MT" not in labels.split():
                        yield f"register:{lang}", text


def pages(data, which, hf, per_set, seed, turku_split):
    """{set: [(source, text)]}: pages of 12+ sentences in half ``hf``, at most ``per_set`` per set (seeded)."""
    gens = {"web": lambda: _web(data), "cc": lambda: _cc(data), "turku": lambda: _turku(data, turku_split),
            "register": lambda: _register(data)}
    out = {}
    for name in which:
        rows = [(s, t) for s, t in gens[name]() if t.strip() and (name == "turku" or half(t) == hf)
                and len(sentence_spans(t)) >= 12]
        random.Random(seed).shuffle(rows)
        out[name] = rows[:per_set]
    return out


def layouts(text, rng):
    spans = sentence_spans(text)
    sents = [" ".join(text[a:b].split()) for a, b in spans]
    paras, i = [], 0
    while i < len(sents):
        k = rng.randint(1, 4)
        paras.append(" ".join(sents[i:i + k]))
        i += k
    return {"own": text, "para": "\n".join(paras), "oneline": " ".join(sents)}


CHAIN = (LineNoise, OfftopicSentences)


def run(text, chain):
    """(per-character owner of the deletion: '' kept, else 'step:reason'; the document after the chain; per-character
    rule of the deletion where the edit names one (Edit.rule), else '')."""
    owner = np.array([""] * len(text), dtype=object)
    rule = np.array([""] * len(text), dtype=object)
    pos = np.arange(len(text))  # original offset of each character of the current text (-1: inserted)
    d = Document("u", text)
    for st in chain:
        n0 = len(d.edits)
        d = st.process(d)
        new = sorted(d.edits[n0:], key=lambda e: e.start)
        keep, last = [], 0
        for e in new:
            keep.append(pos[last:e.start])
            seg = pos[e.start:e.end]
            seg = seg[seg >= 0]
            if e.reason != "whitespace":
                owner[seg] = f"{e.step}:{e.reason}"
                rule[seg] = e.rule or ""
            keep.append(np.full(len(e.replacement), -1))
            last = e.end
        keep.append(pos[last:])
        pos = np.concatenate(keep) if keep else pos
    return owner, d, rule


def sentence_loss(text, owner, rule=None):
    """[(sentence span, owner or '', rule or '')] with owner set when half its non-space characters went (the most
    common), and the rule most of its removed characters name."""
    out = []
    for a, b in sentence_spans(text):
        idx = [i for i in range(a, b) if not text[i].isspace()]
        if not idx:
            continue
        gone = [owner[i] for i in idx if owner[i]]
        who = collections.Counter(gone).most_common(1)[0][0] if 2 * len(gone) >= len(idx) else ""
        ru = ""
        if who and rule is not None:
            ru = collections.Counter(rule[i] for i in idx if owner[i] == who).most_common(1)[0][0]
        out.append(((a, b), who, ru))
    return out


def line_of(text, a, b):
    s = text.rfind("\n", 0, a) + 1
    e = text.find("\n", b)
    return text[s: e if e >= 0 else len(text)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--half", default="test", choices=("train", "test"))
    ap.add_argument("--sets", nargs="*", default=["web", "cc", "turku", "register"])
    ap.add_argument("--turku-split", default="train", help="which Turku split's kept lines (dev is a test set)")
    ap.add_argument("--per-set", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1811)
    ap.add_argument("--threshold", type=float, default=None, help="line_noise threshold (default: the step's)")
    ap.add_argument("--dump", default="", help="write every removed sentence (JSON lines) here")
    args = ap.parse_args(argv)
    ln = LineNoise() if args.threshold is None else LineNoise(threshold=args.threshold)
    chain = [ln, OfftopicSentences()]
    stitched = StitchedDocument()
    rng = random.Random(args.seed)
    sets = pages(args.data, args.sets, args.half, args.per_set, args.seed, args.turku_split)
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    rows = []
    total = collections.defaultdict(collections.Counter)
    rules = collections.Counter()  # reason:rule -> sentences removed, every set and layout
    t0 = time.process_time()
    for name, docs in sets.items():
        stats = collections.defaultdict(collections.Counter)
        for src, text in docs:
            for lay, t in layouts(text, rng).items():
                owner, d, rule = run(t, chain)
                d = stitched.process(d)
                c = stats[lay]
                c["pages"] += 1
                c["flagged"] += d.drop is not None
                for (a, b), who, ru in sentence_loss(t, owner, rule):
                    c["sentences"] += 1
                    if who:
                        c["removed"] += 1
                        c[who] += 1
                        if ru:
                            rules[who.split(":", 1)[1] + ":" + ru] += 1
                        if dump:
                            dump.write(json.dumps({"set": name, "source": src, "layout": lay, "by": who, "rule": ru,
                                                   "sentence": t[a:b], "line": line_of(t, a, b),
                                                   "before": t[max(0, a - 200):a], "after": t[b:b + 200]},
                                                  ensure_ascii=False) + "\n")
        for lay, c in stats.items():
            rows.append((name, lay, c))
            total[lay].update(c)
    for lay, c in total.items():
        rows.append(("all", lay, c))
    allc = collections.Counter()
    for c in total.values():
        allc.update(c)
    rows.append(("all", "all", allc))
    whos = sorted({k for _, _, c in rows for k in c if ":" in k})
    print(f"\nhalf {args.half}, line_noise threshold {ln.threshold}, seed {args.seed}; CPU {time.process_time() - t0:.0f} s\n")
    print("| set | layout | pages | sentences | removed | " + " | ".join(whos) + " | stitched flagged |")
    print("|---|---|---|---|---|" + "---|" * len(whos) + "---|")
    for name, lay, c in rows:
        n = max(1, c["sentences"])
        print(f"| {name} | {lay} | {c['pages']} | {c['sentences']} | {c['removed'] / n:.2%} | "
              + " | ".join(f"{c[w] / n:.2%}" for w in whos) + f" | {c['flagged'] / max(1, c['pages']):.1%} |")
    n = max(1, allc["sentences"])
    print("\nby rule (every set and layout; share of all sentences): "
          + ", ".join(f"{k} {v} ({v / n:.3%})" for k, v in rules.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
