"""Fit and measure the chrome-shape model of offtopic_sentences (src/winnow/data/coherence/chrome_shape.json).

Silver labels from real HTML renderings: every page of crawl/web-pages.jsonl.gz has its whole visible text
(``text``: what a WET record holds) and its main content (``main_text``, resiliparse). A sentence of the whole text
whose line is not a line of the main content (and, for sentences of 25+ characters, not inside it either) is
labelled furniture, any other content. Each page is read twice: with its line breaks and flattened to one line (a
sentence then counts furniture when >= 80% of its characters come from furniture lines, content when <= 20%, and
is left out between). A third set puts the furniture lines of the pages (1-30 words, 2-6 of them, three rounds)
into all-content texts (human ground-truth article bodies of scrapinghub-aeb, register documents in 11 languages)
at random sentence boundaries, on their own line or glued with a space: the shape of chrome away from the rest of
a site's template. Only pages of the ``train`` half of bench/coherence_recipes.py's split are fitted on; the test
half stays unseen. How noisy the silver labels are: ``--audit`` prints a sample to read (bench/results/coherence.md,
"Site chrome by its shape").

Signals: winnow.steps.coherence._chrome.SHAPE_FEATURES (no web vocabulary, no chrome phrase). Model: the
gradient-boosted trees of bench/line_noise_train.py (fit_gbm: depth 3, 200 trees, rate 0.1). Threshold: the
lowest probability (on a grid of 0.01) at which offtopic_sentences' new removals, with the content guards of
coherence._chrome.removals, take at most ``--budget`` (0.25%) of the sentences of a second, disjoint set of the
train half's all-content texts (the other half of the bodies and register documents, as written); the goal of
issue 18 is <= 2% of untouched sentences for every step together, and line_noise already
takes ~2%.

    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py [--data ../shared/data] [--write]
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py --folds      # leave-site-out, leave-language-out
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py --audit 60   # silver labels to read by hand
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py --inserted   # bench/coherence_chrome.py's chrome
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py --sample 150 --every 3 --seed 23  # to label
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome_shape.py --speed      # docs/s per core, off vs on

``--folds`` (fits of 100 trees on the pages with line breaks only, to bound the cost): (a) leave-site-out: the web
pages split in 5 folds by site (host name; pages without a URL are their
own site), the model fitted on 4 folds' pages (and insertions built from them) and measured on the fifth's pages
as they are; (b) leave-language-out: the same with the language (a function-word guess per page; zh by script) as
the fold. Reported: ROC AUC, and recall of furniture and content kept at the threshold of the shipped file (the
silver labels as they are, guards not applied: a menu of bulleted lines is a "list" to the guards).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import os
import random
import sys
import time
from urllib.parse import urlparse

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from coherence_recipes import half, register_train  # noqa: E402
from line_noise_train import fit_gbm  # noqa: E402

from winnow.steps.coherence import _chrome as cc  # noqa: E402
from winnow.steps import _trees  # noqa: E402
from winnow.steps.coherence import analyse  # noqa: E402

MODEL_PATH = os.path.join(HERE, "..", "src", "winnow", "data", "coherence", cc.MODEL)
MAX_LINES = 400  # lines of a page read (cost bound; the same cap as bench/line_noise_train.py)
DEPTH, TREES, RATE = 3, 200, 0.1
# Each host page gets its furniture this many times (other lines, other places): isolated chrome in running text is
# what the model must learn, and a page's own template shows little of it. (3: set once, not tuned.)
INSERT_ROUNDS = 3
# The folds' fits: fewer trees and the pages with line breaks only (the shipped fit also reads them flattened), so
# that 5 + 4 fits run in well under an hour on a shared core; their figures are a floor for the shipped model's.
FOLD_TREES = 100

_LANG_WORDS = {
    "en": "the and of to is in that for with was",
    "de": "der die und das ist nicht mit von den für",
    "fr": "le les et des est une dans pour que pas",
    "es": "el los las y que del por una para con",
    "it": "il che di per non una della sono gli con",
    "pl": "i w na się nie z do jest że to",
    "pt": "o os e que do da não uma para com",
    "nl": "de het een en van is niet dat op te",
}


def guess_lang(text: str) -> str:
    """A page's language from its function words (zh/ja by script): only to group pages into folds."""
    sample = text[:5000]
    if sum(1 for c in sample if "\u3040" <= c <= "\u9fff") > 0.15 * max(1, len(sample)):
        return "zh"
    words = collections.Counter(sample.lower().split())
    best, score = "other", 0
    for lang, ws in _LANG_WORDS.items():
        sc = sum(words[w] for w in ws.split())
        if sc > score:
            best, score = lang, sc
    return best if score >= 5 else "other"


def web_pages(data):
    """[{site, lang, half, lines, labels, main}] of crawl/web-pages.jsonl.gz: the visible text's non-empty lines
    (first MAX_LINES), each labelled 1 when it is not main content (see the module's docstring)."""
    out = []
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            text, main = d.get("text") or "", d.get("main_text") or ""
            if len(main) < 200 or len(text) < 300:
                continue
            site = urlparse(d.get("url") or "").netloc or f"{d['source']}:{d.get('id')}"
            lines = [" ".join(x.split()) for x in text.split("\n") if x.strip()][:MAX_LINES]
            main_lines = {" ".join(x.split()) for x in main.split("\n") if x.strip()}
            norm = " ".join(main.split())
            labels = [int(not (x in main_lines or (len(x) >= 25 and x in norm))) for x in lines]
            out.append({"key": len(out), "site": site, "lang": guess_lang(main), "half": half(main or text),
                        "lines": lines, "labels": labels, "main": main})
    return out


def register_docs(data, n=1200, seed=7):
    """(lang, text) of register documents in the train half (all content)."""
    return register_train(data, n, seed)


def all_candidates(a):
    """Every sentence of 1..MAX_WORDS words (CJK: short), whatever the rules said: fitting on what the rules miss
    would tie the model to today's phrase lists."""
    out = []
    for i, s in enumerate(a.sentences):
        if 1 <= s.n_words <= cc.MAX_WORDS or (s.n_words == 0 and 0 < s.end - s.start <= 3 * cc.MAX_WORDS
                                              and cc._CJK.search(a.text, s.start, s.end)):
            out.append(i)
    return out


def rows_of(text, char_label, lo=0.2, hi=0.8):
    """Feature rows and labels of a text whose characters carry a 0/1 label (``char_label``: list of (start, end,
    label) runs): furniture when >= hi of the sentence's characters are, content when <= lo."""
    a = analyse(text)
    idx = all_candidates(a)
    if not idx:
        return np.zeros((0, len(cc.SHAPE_FEATURES))), np.zeros(0)
    lab = np.zeros(len(text) + 1)
    for s0, e0, y in char_label:
        if y:
            lab[s0:e0] = 1
    keep, ys = [], []
    cum = np.concatenate([[0], np.cumsum(lab)])
    for i in idx:
        s = a.sentences[i]
        f = (cum[s.end] - cum[s.start]) / max(1, s.end - s.start)
        if f >= hi:
            keep.append(i)
            ys.append(1)
        elif f <= lo:
            keep.append(i)
            ys.append(0)
    return cc.shape_features(a, keep), np.array(ys, dtype=float)


def join_lines(lines, labels, sep):
    text, runs = "", []
    for x, y in zip(lines, labels):
        if text:
            text += sep
        runs.append((len(text), len(text) + len(x), y))
        text += x
    return text, runs


def page_rows(p, seps=("\n", " ")):
    xs, ys = [], []
    for sep in seps:
        x, y = rows_of(*join_lines(p["lines"], p["labels"], sep))
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def inserted_rows(hosts, pool, rng):
    """Furniture lines of ``pool`` put into all-content ``hosts`` (see the module's docstring)."""
    from winnow.sentences import sentence_spans

    xs, ys = [], []
    for host in hosts:
        hs = [" ".join(host[a:b].split()) for a, b in sentence_spans(host)][:80]
        hs = [s for s in hs if s]
        if len(hs) < 6:
            continue
        items = [(s, 0) for s in hs]
        for _ in range(rng.randint(2, 6)):
            items.insert(rng.randrange(len(items) + 1), (rng.choice(pool), 1))
        sep = rng.choice(("\n", " "))
        if sep == "\n":
            # Paragraphs of 1-4 host sentences, an inserted line on a line of its own.
            text, runs, para = "", [], 0
            for j, (s, y) in enumerate(items):
                if text:
                    brk = y or items[j - 1][1] or para >= rng.randint(1, 4)
                    text += "\n" if brk else " "
                    para = 0 if brk else para
                runs.append((len(text), len(text) + len(s), y))
                text += s
                para += 1 - y
        else:
            text, runs = join_lines([s for s, _ in items], [y for _, y in items], " ")
        x, y = rows_of(text, runs)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def furniture_pool(pages):
    return sorted({x for p in pages for x, y in zip(p["lines"], p["labels"])
                   if y and 1 <= len(x.split()) <= cc.MAX_WORDS})


def build(pages, clean_hosts, seed, cache=None):
    """Training rows: the pages (two layouts) and insertions of their furniture into the clean hosts (``cache``:
    page rows computed once, for the folds)."""
    rng = random.Random(seed)
    xs, ys, ws = [], [], []
    for p in pages:
        if cache is not None:
            # (The folds: with line breaks only, a quarter of the cost.)
            if p["key"] not in cache:
                cache[p["key"]] = page_rows(p, ("\n",))
            x, y = cache[p["key"]]
        else:
            x, y = page_rows(p)
        xs.append(x)
        ys.append(y)
        ws.append(np.ones(len(y)))
    pool = furniture_pool(pages)
    for _ in range(INSERT_ROUNDS):
        x, y = inserted_rows(clean_hosts, pool, rng)
        xs.append(x)
        ys.append(y)
        ws.append(np.ones(len(y)))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def fit(x, y, w):
    return fit_gbm(x, y, w, depth=DEPTH, trees=TREES, rate=RATE)


def auc(p, y):
    order = np.argsort(p, kind="mergesort")
    r = np.empty(len(p))
    r[order] = np.arange(1, len(p) + 1)
    n1 = y.sum()
    n0 = len(y) - n1
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / max(1, n1 * n0))


def untouched_rate(model, texts, thr_grid):
    """Share of sentences of all-content texts that removals() would take, per threshold of the grid (the model
    given, content guards on)."""
    m = _trees.load(model)
    n = 0
    hits = np.zeros(len(thr_grid))
    for t in texts:
        a = analyse(t)
        n += len(a.sentences)
        idx = cc.candidates(a)
        if not idx:
            continue
        p = _trees.probabilities(m, cc.shape_features(a, idx))
        for i, q in zip(idx, p):
            if q >= thr_grid[0] and not cc._content_shaped(a, i):
                hits += q >= thr_grid
    return hits / max(1, n), n


def clean_sets(data, reg):
    """Two disjoint sets of all-content texts (the train half's register documents and the article benchmark's
    human ground-truth bodies, scrapinghub-aeb, MIT): hosts for the insertions, and the set the threshold is set
    on. (The web pages' main text is no such set: resiliparse's main content of the CleanEval pages holds menus,
    "Search", "Next", sponsored links.)"""
    gt = json.load(open(os.path.join(data, "extraction/scrapinghub-aeb/ground-truth.json"), encoding="utf-8"))
    aeb = [v["articleBody"] for k, v in sorted(gt.items()) if half(v["articleBody"]) == "train"]
    texts = [t for _, t in reg]
    return aeb[0::2] + texts[0::2], aeb[1::2] + texts[1::2]


def folds(args, pages, hosts, thr):
    cache: dict = {}

    def run(key, groups):
        print(f"\n| left out ({key}) | pages | furniture sents | content sents | AUC | furniture recall @ {thr} "
              f"| content kept @ {thr} |\n|---|---|---|---|---|---|---|")
        tot = collections.Counter()
        for g in groups:
            tr = [p for p in pages if key_of(p, key) != g]
            te = [p for p in pages if key_of(p, key) == g]
            if not te:
                continue
            x, y, w = build(tr, hosts, args.seed, cache)
            m = _trees.load(fit_gbm(x, y, w, depth=DEPTH, trees=FOLD_TREES, rate=RATE))
            xt, yt = [], []
            for p in te:
                # Measured on the pages with their line breaks (as WET text comes).
                a, b = rows_of(*join_lines(p["lines"], p["labels"], "\n"))
                xt.append(a)
                yt.append(b)
            xt, yt = np.concatenate(xt), np.concatenate(yt)
            pt = _trees.probabilities(m, xt)
            rec = float((pt[yt == 1] >= thr).mean())
            kept = float((pt[yt == 0] < thr).mean())
            print(f"| {g} | {len(te)} | {int(yt.sum())} | {int((1 - yt).sum())} | {auc(pt, yt):.3f} | {rec:.1%} "
                  f"| {kept:.1%} |", flush=True)
            tot["f"] += yt.sum()
            tot["fr"] += (pt[yt == 1] >= thr).sum()
            tot["c"] += (1 - yt).sum()
            tot["ck"] += (pt[yt == 0] < thr).sum()
        print(f"| all, each left out | | {int(tot['f'])} | {int(tot['c'])} | | {tot['fr'] / max(1, tot['f']):.1%} "
              f"| {tot['ck'] / max(1, tot['c']):.1%} |")

    def key_of(p, key):
        if key == "site":
            return int(hashlib.sha1(p["site"].encode()).hexdigest(), 16) % 5
        return p["lang"]

    run("site", range(5))
    langs = collections.Counter(p["lang"] for p in pages)
    print("languages of the web pages:", dict(langs.most_common()))
    run("lang", [g for g, c in langs.most_common() if c >= 40])


def audit(args, pages, n):
    """A sample of silver sentences (train half, with line breaks) to read by hand: label, sentence, its line."""
    rng = random.Random(args.seed)
    out = []
    for p in pages:
        if p["half"] != "train":
            continue
        text, runs = join_lines(p["lines"], p["labels"], "\n")
        a = analyse(text)
        for i in all_candidates(a):
            s = a.sentences[i]
            y = next(r[2] for r in runs if r[0] <= s.start < r[1] + 1)
            out.append((y, p["site"], text[s.start:s.end]))
    rng.shuffle(out)
    for y in (1, 0):
        print(f"--- silver label {y} ---")
        for k, (yy, site, t) in enumerate(x for x in out if x[0] == y):
            if k >= n:
                break
            print(json.dumps({"silver": yy, "site": site, "text": t[:200]}, ensure_ascii=False))


def inserted(args):
    """bench/coherence_chrome.py's chrome (14 families written by hand, 15 languages) inserted into test-half pages:
    units removed, host sentences kept, untouched sentences removed, with the shape model off and on; and leave one
    family out (the family's phrases switched off in the rules: families_off)."""
    import contextlib

    import coherence_chrome as bc
    from coherence_recipes import load

    from winnow.steps import coherence

    @contextlib.contextmanager
    def shape(on):
        # The chain of bench/coherence_inserted.removed_mask builds OfftopicSentences() with its defaults (the
        # model off): "on" runs its removals at the model file's threshold.
        saved = cc.removals
        if on:
            cc.removals = lambda a, threshold=None, taken=frozenset(): saved(
                a, None if threshold is not None and threshold >= 1.0 else threshold, taken)
        else:
            cc.removals = lambda a, threshold=None, taken=frozenset(): []
        try:
            yield
        finally:
            cc.removals = saved

    pages, _ = load(args.data)
    rows = bc.build(pages["test"], args.pages, 41)
    fams = sorted(bc.FAMILIES)
    res = {}
    for on in (False, True):
        t0 = time.process_time()
        with shape(on):
            by = bc.measure(rows)
            lofo = collections.Counter()
            for fam in fams:
                sub = [dict(r, units=[u for u in r["units"] if u[2] is None or u[2][0] == fam], untouched="")
                       for r in rows]
                sub = [r for r in sub if any(u[2] for u in r["units"])]
                with coherence.families_off([fam]):
                    c = bc.measure(sub)["all"]
                by["lofo:" + fam] = c
                lofo["chrome"] += c["chrome"]
                lofo["chrome_removed"] += c["chrome_removed"]
            by["lofo"] = lofo
        res[on] = by
        print(f"shape model {'on' if on else 'off'}: {time.process_time() - t0:.0f} CPU s", flush=True)
    print(f"\n{len(rows)} pages\n\n| set | units | removed, shape off | removed, shape on | host kept off / on "
          "| untouched removed off / on |\n|---|---|---|---|---|---|")
    for k in ("all", "line", "breaks"):
        a, b = res[False][k], res[True][k]
        print(f"| {k} | {a['chrome']} | {bc.pct(a, 'chrome')} | {bc.pct(b, 'chrome')} | {bc.pct(a, 'host')} / "
              f"{bc.pct(b, 'host')} | {bc.pct(a, 'sents')} / {bc.pct(b, 'sents')} |")
    a, b = res[False]["lofo"], res[True]["lofo"]
    print(f"| all, each family left out | {a['chrome']} | {bc.pct(a, 'chrome')} | {bc.pct(b, 'chrome')} | | |")
    print("\n| family | units | left out, shape off | left out, shape on | all rules, off | all rules, on |"
          "\n|---|---|---|---|---|---|")
    for fam in fams:
        a, b = res[False]["lofo:" + fam], res[True]["lofo:" + fam]
        c, d = res[False]["fam:" + fam], res[True]["fam:" + fam]
        print(f"| {fam} | {a['chrome']} | {bc.pct(a, 'chrome')} | {bc.pct(b, 'chrome')} | {bc.pct(c, 'chrome')} "
              f"| {bc.pct(d, 'chrome')} |")


def sample_new(args):
    """The shape model's new removals on real pages of many sites (bench/coherence_removals.py's pages: WARC
    captures through html_extract, CCNet documents, the web pages' whole visible text, register documents), the
    default chain (line_noise, offtopic_sentences) with the model on against it off; one removal per site, shuffled
    with ``--seed``, as JSON lines to label by hand (bench/data/coherence_removal_labels.jsonl's format)."""
    from coherence_removals import _seen, pages as real_pages, removal_row

    from winnow.document import Document
    from winnow.sentences import sentence_spans
    from winnow.steps.coherence import OfftopicSentences
    from winnow.steps.noise_lines import LineNoise

    rng = random.Random(args.seed)
    ln = LineNoise()
    on, off = OfftopicSentences(chrome_shape_threshold=None), OfftopicSentences(chrome_shape_threshold=1.0)
    out, n_pages, n_sents, n_new = [], 0, 0, 0
    seen_sites = set()
    for k, (site, text) in enumerate(real_pages(args.data)):
        if not text.strip() or k % args.every:
            continue
        d0 = ln.map(Document("x", text))
        a, b = on.map(_copy(d0)), off.map(_copy(d0))
        old = {(e.start, e.end) for e in b.edits if e.step == "offtopic_sentences"}
        new = [e for e in a.edits if e.step == "offtopic_sentences" and (e.start, e.end) not in old]
        n_pages += 1
        n_sents += len(sentence_spans(d0.text))
        n_new += len(new)
        if new and site not in seen_sites:
            seen_sites.add(site)
            e = rng.choice(new)
            seen = _seen(text, a.edits, e)
            out.append(removal_row(site, e, seen))
    rng.shuffle(out)
    for r in out[: args.sample]:
        print(json.dumps(r, ensure_ascii=False))
    print(f"{n_pages} pages, {n_sents} sentences after line_noise: {n_new} new removals "
          f"({n_new / max(1, n_sents):.2%}) on {len(seen_sites)} sites", file=sys.stderr)


def _copy(d):
    from winnow.document import Document

    c = Document(d.id, d.text)
    c.edits = list(d.edits)
    c.attributes = dict(d.attributes)
    return c


def speed(args):
    """docs/s per core (CPU time) of offtopic_sentences + stitched_document on 200 test-half pages cut to 5,000
    bytes (bench/coherence_chrome.py's pages: real pages flattened to one line, and the same with chrome inserted),
    tier lexical and the default tier, the shape model off and on, alternating twice in this one process."""
    import coherence_chrome as bc
    from coherence_recipes import load

    from winnow.document import Document
    from winnow.steps.coherence import OfftopicSentences, StitchedDocument

    pages, _ = load(args.data)
    rows = bc.build(pages["test"], 400, 41)
    sets = {}
    for key in ("untouched", "text"):
        sets[key] = [" ".join(r[key].split()).encode()[:5000].decode(errors="ignore") for r in rows
                     if len(r[key].encode()) >= 5000][:200]
    res = collections.defaultdict(list)
    for _ in range(2):
        for tier in ("lexical", "pairs"):
            for key, texts in sets.items():
                for on in (False, True):
                    steps = (OfftopicSentences(chrome_shape_threshold=None if on else 1.0), StitchedDocument(tier=tier))
                    t0 = time.process_time()
                    for t in texts:
                        d = Document("x", t)
                        for st in steps:
                            d = st.process(d)
                    res[(tier, key, on)].append(len(texts) / (time.process_time() - t0))
    print("| tier | pages | shape off (docs/s per core) | shape on | ratio on/off |\n|---|---|---|---|---|")
    for tier in ("lexical", "pairs"):
        for key in sets:
            a, b = res[(tier, key, False)], res[(tier, key, True)]
            print(f"| {tier} | {'real' if key == 'untouched' else 'chrome inserted'} | "
                  f"{' / '.join(f'{x:.0f}' for x in a)} | {' / '.join(f'{x:.0f}' for x in b)} | "
                  f"{sum(b) / sum(a):.2f} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.0025,
                    help="share of all-content train sentences the new removals may take (sets the threshold)")
    ap.add_argument("--write", action="store_true", help="write the model file")
    ap.add_argument("--out", default=MODEL_PATH, help="--write: where (default: the package's file)")
    ap.add_argument("--folds", action="store_true", help="leave-site-out and leave-language-out")
    ap.add_argument("--audit", type=int, default=0, help="print this many silver sentences of each label")
    ap.add_argument("--inserted", action="store_true",
                    help="bench/coherence_chrome.py's inserted chrome, shape model off and on (and left-out families)")
    ap.add_argument("--pages", type=int, default=400, help="--inserted: host pages")
    ap.add_argument("--sample", type=int, default=0, help="print this many of the model's new removals on real pages")
    ap.add_argument("--every", type=int, default=1, help="--sample: only every k-th page")
    ap.add_argument("--speed", action="store_true", help="docs/s per core, shape model off and on, both tiers")
    args = ap.parse_args(argv)
    if args.inserted:
        inserted(args)
        return 0
    if args.sample:
        sample_new(args)
        return 0
    if args.speed:
        speed(args)
        return 0
    pages = web_pages(args.data)
    if args.audit:
        audit(args, pages, args.audit)
        return 0
    reg = register_docs(args.data)
    train = [p for p in pages if p["half"] == "train"]
    hosts, held = clean_sets(args.data, reg)
    if args.folds and not args.write:
        # At the shipped file's threshold, without refitting it.
        folds(args, pages, hosts, cc._model()[1])
        return 0
    x, y, w = build(train, hosts, args.seed)
    print(f"{len(train)} train pages, {len(hosts)} host texts: {len(y)} rows, {int(y.sum())} furniture", flush=True)
    model = fit(x, y, w)
    grid = np.round(np.arange(0.3, 1.0, 0.01), 2)
    # The threshold's set as written (the model judges only sentences alone on their line: a flattened text has
    # none).
    rate, n = untouched_rate(model, held, grid)
    ok = [t for t, r in zip(grid, rate) if r <= args.budget]
    thr = float(ok[0]) if ok else 1.0
    print(f"threshold {thr} (all-content sentences {n}: removed "
          f"{dict(zip(grid[::5].tolist(), rate[::5].round(4).tolist()))})")
    p = _trees.probabilities(_trees.load(model), x)
    print(f"in-sample AUC {auc(p, y):.3f}; furniture at threshold {(p[y == 1] >= thr).mean():.1%}, "
          f"content kept {(p[y == 0] < thr).mean():.1%}")
    if args.folds:
        folds(args, pages, hosts, thr)
    if args.write:
        out = {
            "features": list(cc.SHAPE_FEATURES),
            **model,
            "threshold": thr,
            "provenance": {
                "script": "bench/coherence_chrome_shape.py --write",
                "data": ("crawl/web-pages.jsonl.gz of ../shared/data (pages of scrapinghub/article-extraction-"
                         "benchmark MIT, trafilatura tests Apache-2.0, readability test pages Apache-2.0, CleanEval "
                         "evaluation only), train half of bench/coherence_recipes.py's split: sentences of the whole "
                         "visible text labelled furniture when their line is not in the page's main content "
                         "(silver labels), with line breaks and flattened; plus those furniture lines inserted "
                         "into all-content texts (scrapinghub-aeb ground-truth bodies, register documents of the "
                         "train half, TurkuNLP CORE). The file holds tree thresholds over shape signals only, no "
                         "text."),
                "rows": int(len(y)), "furniture_rows": int(y.sum()),
                "threshold": (f"lowest grid value (0.01 steps) at which the new removals take <= {args.budget:.2%}"
                              f" of the sentences of a disjoint set of all-content texts of the train half, as "
                              f"written ({n} sentences)"),
                "gbm": {"depth": DEPTH, "trees": TREES, "rate": RATE, "seed": args.seed},
            },
        }
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", os.path.relpath(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
