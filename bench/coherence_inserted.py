"""Inserted sentences: how much of what was inserted into a real page the default pipeline's sentence and line
steps remove, how much of the host page they keep, and how much they take from untouched pages.

Reads the sets of bench/coherence_recipes.py (``inserted_web``, ``inserted_turku``, ``inserted_shop`` and
``untouched``, test half) and runs the default pipeline's cleaning steps in order: line_noise, offtopic_sentences,
stitched_document (its score; a flagged page is counted, not dropped, so its sentences stay measured).
A gold span counts as removed when at least half of its characters went.

offtopic_sentences' rules and line_noise's model (human line labels and the article benchmark,
bench/line_noise_train.py) never saw these sets; offtopic_sentences' intruder model (bench/coherence_intruders.py)
was fitted on their train half, so the test half (the default) is held-out pages of the same recipes. Two
overlaps to keep in mind: ``inserted_turku``'s chrome lines are lines of the Turku train split, on which
line_noise was fitted, and ``inserted_web``'s come partly from the article benchmark's pages, also in its
training; ``inserted_shop``'s chrome was written for this benchmark and is the fair test of chrome.

    .venv/bin/python bench/coherence_recipes.py --only inserted_web inserted_turku inserted_shop untouched
    .venv/bin/python bench/coherence_inserted.py [--recipes bench/out/recipes] [--thresholds 0.6 0.696 0.8] [--per-lang]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import sys

from winnow.document import Document
from winnow.sentences import sentence_spans
from winnow.steps.coherence import OfftopicSentences, StitchedDocument
from winnow.steps.noise_lines import LineNoise


def removed_mask(text: str, with_lines: bool = True, intruders=None) -> tuple[list[bool], float]:
    """Per character of ``text``: removed by the chain; and the stitched score. ``intruders``: None = the shipped
    defaults, 1.0 = the intruder judge off, (chrome, prose): offtopic_sentences' intruder_threshold and
    intruder_prose_threshold."""
    d = Document("x", text)
    pos = list(range(len(text)))
    gone = [False] * len(text)
    score = 0.0
    if intruders is None:
        off = OfftopicSentences()
    elif intruders == 1.0:
        off = OfftopicSentences(intruder_threshold=1.0, intruder_prose_threshold=1.0)
    else:
        off = OfftopicSentences(intruder_threshold=intruders[0], intruder_prose_threshold=intruders[1])
    chain = ([LineNoise()] if with_lines else []) + [off, StitchedDocument()]
    for st in chain:
        n0 = len(d.edits)
        if isinstance(st, StitchedDocument):
            st.reject(d)
            score = d.attributes["stitched_document.score"]
            continue
        d = st.map(d)
        out, last = [], 0
        for e in sorted(d.edits[n0:], key=lambda e: e.start):
            out.extend(pos[last:e.start])
            for i in pos[e.start:e.end]:
                if i >= 0:
                    gone[i] = True
            out.extend([-1] * len(e.replacement))
            last = e.end
        out.extend(pos[last:])
        pos = out
    return gone, score


def frac(mask, a, b):
    """Share of the characters a..b that were removed."""
    return sum(mask[a:b]) / max(1, b - a)


def evaluate(rows, with_lines=True, intruders=None, key=lambda d: d["recipe"]):
    by = collections.defaultdict(lambda: collections.Counter())
    for d in rows:
        text = d["text"]
        mask, score = removed_mask(text, with_lines, intruders)
        c = by[key(d)]
        c["pages"] += 1
        c["flagged"] += score >= 0.5
        if d["recipe"].startswith("untouched"):
            for a, b in sentence_spans(text):
                c["sents"] += 1
                c["sents_removed"] += frac(mask, a, b) >= 0.5
            continue
        for a, b, kind, *_ in d["gold"]:
            c[f"{kind}"] += 1
            c[f"{kind}_removed"] += frac(mask, a, b) >= 0.5
        for a, b in d["host"]:
            c["host"] += 1
            c["host_kept"] += frac(mask, a, b) < 0.5
        c[d["layout"]] += 1
    return by


def table(by, label):
    for recipe, c in sorted(by.items()):
        if str(recipe).startswith("untouched"):
            print(f"| {recipe}, {label} | {c['pages']} | | | {c['sents_removed'] / max(1, c['sents']):.2%} |")
            continue
        ins = (c["foreign_removed"] + c["chrome_removed"]) / max(1, c["foreign"] + c["chrome"])
        print(f"| {recipe}, {label} | {c['pages']} | {ins:.1%} ({c['foreign_removed'] / max(1, c['foreign']):.1%}"
              f" / {c['chrome_removed'] / max(1, c['chrome']):.1%}) | {c['host_kept'] / max(1, c['host']):.1%} | |")


def speed(args):
    import time

    texts = []
    for recipe in ("inserted_web", "inserted_turku", "inserted_shop", "untouched"):
        with gzip.open(os.path.join(args.recipes, f"{args.split}.{recipe}.jsonl.gz"), "rt", encoding="utf-8") as f:
            texts += [json.loads(x)["text"][:5000] for x in f]
    texts = [t for t in texts if len(t) >= 4000][: args.speed]
    from winnow.steps.coherence import _segment_model

    thr = args.prose[0] if args.prose else _segment_model()[2]  # the model file's threshold
    steps = [("prose judge off (default)", lambda: OfftopicSentences()),
             (f"prose judge on ({thr})", lambda: OfftopicSentences(intruder_prose_threshold=thr))]
    for rnd in range(2):
        for label, make in steps:
            for with_stitched in (False, True):
                t0 = time.process_time()
                st, sd = make(), StitchedDocument()
                for t in texts:
                    d = st.map(Document("x", t))
                    if with_stitched:
                        sd.reject(d)
                dt = time.process_time() - t0
                print(f"round {rnd + 1}: {label}{' + stitched_document' if with_stitched else ''}: "
                      f"{len(texts) / dt:.0f} docs/s per core ({dt:.2f} CPU s, {len(texts)} texts)")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", default="bench/out/recipes")
    ap.add_argument("--split", default="test")
    ap.add_argument("--thresholds", type=float, nargs="*", default=[],
                    help="also measure the intruder judge with both thresholds (chrome-shaped lines, prose) at these")
    ap.add_argument("--per-lang", action="store_true", help="per language, at the shipped defaults")
    ap.add_argument("--intruded", default=None,
                    help="also the clumped variants of bench/coherence_intruders.py build (e.g. bench/out/intruders)")
    ap.add_argument("--only-intruded", action="store_true", help="only those")
    ap.add_argument("--prose", type=float, nargs="*", default=[],
                    help="also with the segment judge on at these intruder_prose_threshold values (defaults else)")
    ap.add_argument("--by-layout", action="store_true", help="per layout, at the first --prose value")
    ap.add_argument("--speed", type=int, default=0,
                    help="only time offtopic_sentences (prose judge off / on at the first --prose value, default "
                         "the model file's threshold) on this many texts of the recipes cut to 5,000 characters; "
                         "CPU seconds")
    args = ap.parse_args(argv)
    if args.speed:
        return speed(args)
    rows = []
    for recipe in () if args.only_intruded else ("inserted_web", "inserted_turku", "inserted_shop", "untouched"):
        fn = os.path.join(args.recipes, f"{args.split}.{recipe}.jsonl.gz")
        if os.path.exists(fn):
            with gzip.open(fn, "rt", encoding="utf-8") as f:
                rows.extend(json.loads(x) for x in f)
    if args.intruded:
        sys.path.insert(0, os.path.dirname(__file__))
        import coherence_intruders as ci

        for d in ci.read(args.intruded, args.split, list(ci.VARIANTS) + ["untouched"]):
            d["recipe"] = "untouched (clump set)" if d["variant"] == "untouched" else "clumps:" + d["variant"]
            rows.append(d)
    print(f"| recipe ({args.split} half) | pages | inserted removed (foreign / chrome) | "
          "host sentences kept | untouched sentences removed |")
    print("|---|---|---|---|---|")
    configs = [("line_noise, no intruder judge", True, 1.0), ("shipped defaults", True, None)]
    configs += [(f"intruder thresholds {t} (chrome and prose)", True, (t, t)) for t in args.thresholds]
    configs += [(f"segment judge on at {t}", True, (None, t)) for t in args.prose]
    for label, with_lines, intruders in configs:
        by = evaluate(rows, with_lines, intruders)
        table(by, label)
    if args.by_layout and args.prose:
        print()
        by = evaluate(rows, True, (None, args.prose[0]),
                      key=lambda d: (d["layout"], d["recipe"].startswith("untouched")))
        for (lay, unt), c in sorted(by.items()):
            if unt:
                print(f"| {lay}, untouched | {c['pages']} | | | {c['sents_removed'] / max(1, c['sents']):.2%} |")
            else:
                print(f"| {lay}, inserted | {c['pages']} | "
                      f"{(c['foreign_removed']) / max(1, c['foreign']):.1%} foreign | "
                      f"{c['host_kept'] / max(1, c['host']):.1%} | |")
    if args.per_lang:
        print()
        print("| language (shipped defaults) | pages | inserted removed (foreign / chrome) | host sentences kept | "
              "untouched sentences removed |")
        print("|---|---|---|---|---|")
        by = evaluate(rows, True, None, key=lambda d: (d["lang"], d["recipe"] == "untouched"))
        for lang in sorted({k[0] for k in by}):
            ins, unt = by.get((lang, False), collections.Counter()), by.get((lang, True), collections.Counter())
            n_ins = ins["foreign"] + ins["chrome"]
            print(f"| {lang} | {ins['pages']} + {unt['pages']} | "
                  f"{(ins['foreign_removed'] + ins['chrome_removed']) / max(1, n_ins):.1%} "
                  f"({ins['foreign_removed'] / max(1, ins['foreign']):.1%} / "
                  f"{ins['chrome_removed'] / max(1, ins['chrome']):.1%}) | {ins['host_kept'] / max(1, ins['host']):.1%} | "
                  f"{unt['sents_removed'] / max(1, unt['sents']):.2%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
