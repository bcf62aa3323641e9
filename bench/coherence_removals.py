"""Sample what offtopic_sentences and line_noise remove from real pages, for labelling by hand, and score the labels.

Real pages of many sites: the WARC captures and CCNet documents of crawl/cc-fixtures (run through html_extract),
the full visible text (`text`, what a WET record holds) of crawl/web-pages.jsonl.gz, and the register documents.
At most ``--per-site`` removals per site, so no site dominates.

    .venv/bin/python bench/coherence_removals.py sample [--data ../shared/data] > bench/out/removals.jsonl
    .venv/bin/python bench/coherence_removals.py sample --intruders   # only the intruder judge's removals
    .venv/bin/python bench/coherence_removals.py sample --intruders --prose 0.9   # with the segment judge on
    .venv/bin/python bench/coherence_removals.py sample --intruders --prose 0.85 --encoder minilm-static
    .venv/bin/python bench/coherence_removals.py sample --fresh --each-reason --seed 42   # sites never labelled,
        # up to --per-site removals of each reason per page (so link_text and off_topic are not crowded out)
    .venv/bin/python bench/coherence_removals.py sample --fresh --words --seed 24   # only what CHROME_WORDS and menu trails add
    .venv/bin/python bench/coherence_removals.py sample --fresh --each-reason --half 0 --seed 2501   # the sites of
        # one half (by a hash of the site's name): fix on it, then measure on --half 1
    .venv/bin/python bench/coherence_removals.py score [--labels bench/data/coherence_removal_labels.jsonl]

``score`` reports precision per reason of the labels as recorded (label "ok" = the removal is right, "wrong" =
content was removed); it does not re-run the step, so after a change, sample again and label the new removals.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import hashlib
import json
import math
import os
import random
import sys
from urllib.parse import urlparse

from winnow.document import Document
from winnow.sentences import sentence_spans
from winnow.steps.coherence import OfftopicSentences
from winnow.steps.noise_lines import LineNoise

sys.path.insert(0, os.path.dirname(__file__))
from coherence_recipes import REGISTER  # noqa: E402


def pages(data, warcs=True):
    """(site, text) of real pages (``warcs``: with the WARC captures, which cost the most: html_extract)."""
    from winnow.io.warc import WarcReader
    from winnow.steps.extract import HtmlExtract

    ext = HtmlExtract()
    for fn in sorted(glob.glob(os.path.join(data, "crawl/cc-fixtures/*/*.warc.gz"))) if warcs else ():
        r = WarcReader(paths=fn)
        for d in r.read(fn):
            if not isinstance(d, Document):
                continue
            d = ext.process(d)
            if d.drop is None and d.text:
                yield urlparse(d.metadata.get("url") or "").netloc or fn, d.text
    for fn in sorted(glob.glob(os.path.join(data, "crawl/cc-fixtures/dolma/*.json*.gz"))):
        with gzip.open(fn, "rt") as f:
            for line in f:
                d = json.loads(line)
                yield urlparse(d.get("id") or "").netloc or fn, d.get("text") or ""
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            # A page without a URL (most of CleanEval) is named by its set and id, so a fresh sample can leave it out.
            yield urlparse(d.get("url") or "").netloc or f"{d.get('source')}:{d.get('id')}", d.get("text") or ""
    for lang, pat in REGISTER.items():
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", pat))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for i, line in enumerate(f):
                    labels, _, text = line.rstrip("\n").partition("\t")
                    yield f"{lang}-register-{i}", text


def sample(args):
    rng = random.Random(args.seed)
    # The default pipeline's order: line_noise, then offtopic_sentences.
    chain = [LineNoise(), OfftopicSentences() if args.prose is None else
             OfftopicSentences(intruder_prose_threshold=args.prose, encoder=args.encoder)]
    by_reason = collections.defaultdict(list)
    counts = collections.Counter()
    skip, unnamed = set(), []
    if args.fresh:  # a fresh sample: no page of a site that already has a label
        with open(args.labels, encoding="utf-8") as f:
            for x in f:
                if x.strip():
                    r = json.loads(x)
                    skip.add(r["site"])
                    # Older labels of pages without a URL have site "": leave out the pages that hold their text.
                    if not r["site"] and len(r["text"]) >= 12:
                        unnamed.append(r["text"])
    for k, (site, text) in enumerate(pages(args.data, not args.no_warcs)):
        if not text.strip() or k % args.every != args.offset or site in skip:
            continue
        if ":" in site and any(u in text for u in unnamed):
            continue
        if args.half is not None and _half(site) != args.half:
            continue
        d = Document("x", text)
        for step in chain:
            d = step.map(d)
        if args.words:
            # Only what stop 24's family-free furniture rules added (the furniture words of coherence.CHROME_WORDS
            # and the menu trails of _trail_end): the removals the same chain makes without them.
            from winnow.steps import coherence as C

            saved = C._CHROME_WORDS, C._trail_end
            C._CHROME_WORDS, C._trail_end = ({}, None, {}), lambda t: None
            try:
                base = Document("x", text)
                for step in chain:
                    base = step.map(base)
            finally:
                C._CHROME_WORDS, C._trail_end = saved
            old = {(e.step, e.start, e.end) for e in base.edits}
            new = [e for e in d.edits if (e.step, e.start, e.end) not in old]
            counts["pages"] += 1
            counts["sentences"] += len(sentence_spans(text))
            counts["removed"] += len(new)
        if args.intruders:
            # Only what the intruder judge added: the removals that offtopic_sentences without it does not make.
            base = Document("x", text)
            for step in [chain[0], OfftopicSentences(intruder_threshold=1.0, intruder_prose_threshold=1.0)]:
                base = step.map(base)
            old = {(e.step, e.start, e.end) for e in base.edits}
            new = [e for e in d.edits if (e.step, e.start, e.end) not in old]
            counts["pages"] += 1
            counts["sentences"] += len(sentence_spans(text))
            counts["removed"] += len(new)
            # pages the embedding judge's page gate looked at, and those it let through (any off_topic removal)
            counts["gate_judged"] += "offtopic_sentences.page_gate" in d.attributes
            counts["pages_off_topic"] += any(e.reason == "off_topic" for e in new)
        # Context from the text each step saw: an edit's offsets index the text as it was when its step ran.
        edits = [(e, _seen(text, d.edits, e)) for e in (new if args.intruders or args.words else d.edits)
                 if not args.rule or e.rule in args.rule]
        rng.shuffle(edits)
        if args.each_reason:  # up to --per-site removals of each reason from the page, not of all reasons together
            edits = [x for r in dict.fromkeys(e.reason for e, _ in edits)
                     for x in [y for y in edits if y[0].reason == r][: args.per_site]]
        else:
            edits = edits[: args.per_site]
        for e, seen in edits:
            row = removal_row(site, e, seen)
            by_reason[e.reason].append(row)
            if args.stream:  # as found, in page order (a sample that may be cut short), not shuffled at the end
                print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.stream and args.intruders:
            print(f"pages {counts['pages']}, gate judged {counts['gate_judged']}, pages with off_topic "
                  f"{counts['pages_off_topic']}, removals {counts['removed']}", file=sys.stderr, flush=True)
    for reason, lst in sorted(by_reason.items()) if not args.stream else ():
        rng.shuffle(lst)
        for r in lst[: args.per_reason]:
            print(json.dumps(r, ensure_ascii=False))
        print(f"{reason}: {len(lst)} removals, {min(len(lst), args.per_reason)} sampled", file=sys.stderr)
    if args.words:
        print(f"furniture words and menu trails: {counts['removed']} removals in {counts['pages']} pages of {counts['sentences']} "
              f"sentences ({counts['removed'] / max(1, counts['sentences']):.2%})", file=sys.stderr)
    if args.intruders:
        print(f"intruder judge: {counts['removed']} removals in {counts['pages']} pages of {counts['sentences']} "
              f"sentences ({counts['removed'] / max(1, counts['sentences']):.2%}); off_topic removals on "
              f"{counts['pages_off_topic']} pages; the page gate judged {counts['gate_judged']} pages",
              file=sys.stderr)


def _half(site: str) -> int:
    """0 or 1 by a hash of the site's name that does not depend on the process (a sample to fix on and, from the
    other half of the sites, a fresh sample to measure the fixes on)."""
    return hashlib.md5(site.encode("utf-8")).digest()[0] & 1


def removal_row(site: str, e, seen: str) -> dict:
    """A removal as a row to label: its site, reason, score, text and 120 characters either side in ``seen`` (the
    text its step saw; _seen), line breaks shown as " / "."""
    return {"site": site, "reason": e.reason, **({"rule": e.rule} if e.rule else {}), "score": e.score,
            "text": e.removed.strip(),
            "before": seen[max(0, e.start - 120): e.start].replace("\n", " / "),
            "after": seen[e.end: e.end + 120].replace("\n", " / ")}


def _seen(text, edits, edit):
    """The text as the step that made ``edit`` saw it: the original with the earlier steps' edits applied."""
    from winnow.document import Document as D

    d = D("x", text)
    for st in dict.fromkeys(e.step for e in edits):
        if st == edit.step:
            return d.text
        d.replace_spans(st, [(e.start, e.end, e.reason, e.replacement, e.score) for e in edits if e.step == st])
    return d.text


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion k/n ((0, 1) when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def score(args):
    with open(args.labels, encoding="utf-8") as f:
        rows = [json.loads(x) for x in f if x.strip()]
    if args.code:  # only the labels of one sample (their `code` field names the code and commit that made them)
        rows = [r for r in rows if args.code in r.get("code", "")]
    by = collections.defaultdict(collections.Counter)
    for r in rows:
        # The intruder judge's removals are counted apart: its prose removals are off by default.
        judge = " (intruder judge)" if "intruder judge" in r.get("code", "") else ""
        # Removals sampled from pages nobody altered, to find where such pages lose sentences: a search for errors
        # (sentences, not one removal per site), counted apart from the random samples of removals.
        judge = " (untouched pages)" if r.get("code", "").startswith("untouched pages") else judge
        by[r["reason"] + judge][r["label"]] += 1
    print("| reason | labelled | right | wrong | precision | 95% Wilson interval |\n|---|---|---|---|---|---|")
    for reason, c in sorted(by.items()):
        n = c["ok"] + c["wrong"]
        lo, hi = wilson(c["ok"], n)
        print(f"| {reason} | {n} | {c['ok']} | {c['wrong']} | {c['ok'] / max(1, n):.2f} | {lo:.2f}-{hi:.2f} |")
    ruled = collections.defaultdict(collections.Counter)
    for r in rows:
        if r.get("rule"):  # labels sampled since removals name their rule (stop 26)
            ruled[f"{r['reason']} / {r['rule']}"][r["label"]] += 1
    if ruled:
        print("\n| reason / rule | labelled | right | wrong | precision | 95% Wilson interval |\n|---|---|---|---|---|---|")
        for key, c in sorted(ruled.items()):
            n = c["ok"] + c["wrong"]
            lo, hi = wilson(c["ok"], n)
            print(f"| {key} | {n} | {c['ok']} | {c['wrong']} | {c['ok'] / max(1, n):.2f} | {lo:.2f}-{hi:.2f} |")
    print(f"\n{len(rows)} labels from {len({r['site'] for r in rows})} sites")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("sample", "score"))
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--per-site", type=int, default=1)
    ap.add_argument("--per-reason", type=int, default=80)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--intruders", action="store_true",
                    help="sample only the removals of offtopic_sentences' intruder judge")
    ap.add_argument("--words", action="store_true",
                    help="sample: only the removals that offtopic_sentences' furniture words (CHROME_WORDS) and menu "
                         "trails (_trail_end) add")
    ap.add_argument("--prose", type=float, default=None,
                    help="offtopic_sentences' intruder_prose_threshold (the segment judge on; default off)")
    ap.add_argument("--encoder", default=None,
                    help="offtopic_sentences' encoder (the embedding judge; with --prose)")
    ap.add_argument("--rule", nargs="*", default=None,
                    help="sample: only the removals of these rules (Edit.rule: family_phrase, bar_menu, ...)")
    ap.add_argument("--code", default="", help="score: only labels whose code field contains this")
    ap.add_argument("--no-warcs", action="store_true", help="sample: leave out the WARC captures (quicker)")
    ap.add_argument("--fresh", action="store_true",
                    help="sample: leave out every site that already has a label in --labels")
    ap.add_argument("--each-reason", action="store_true",
                    help="sample: --per-site removals of each reason per page (the rarer reasons are not crowded out)")
    ap.add_argument("--every", type=int, default=1, help="sample: only every k-th page (a quicker sample)")
    ap.add_argument("--stream", action="store_true",
                    help="sample: print each removal as found, in page order, and progress to stderr")
    ap.add_argument("--half", type=int, choices=(0, 1), default=None,
                    help="sample: only the pages of the sites in this half (by a hash of the site's name): fix on "
                         "one half, measure the fixes on the other")
    ap.add_argument("--offset", type=int, default=0, help="sample: with --every k, the pages at k*i + offset")
    ap.add_argument("--labels", default=os.path.join(os.path.dirname(__file__), "data", "coherence_removal_labels.jsonl"))
    args = ap.parse_args(argv)
    sample(args) if args.mode == "sample" else score(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
