"""Real pages from outside the page model's training pool flagged by the pooled fit and by the fit stitched_document
picks per language group: the gold main texts of the extraction sets (scrapinghub-aeb article bodies, CleanEval
final and dev, CleanPortalEval), pages of 12+ sentences, as written and flattened to one line.

    PYTHONPATH=src .venv/bin/python bench/coherence_lang_extraction.py [../shared/data/extraction]
"""
import collections
import glob
import gzip
import json
import re
import sys

from winnow.sentences import sentence_spans
from winnow.steps import coherence as c
from winnow.steps.coherence._lang import guess
D = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/extraction"
texts = []
for v in json.load(open(f"{D}/scrapinghub-aeb/ground-truth.json")).values():
    texts.append(("aeb", v["articleBody"]))
for sub in ("cleaneval/final/gold", "cleaneval/dev/gold", "cleanportaleval/gold"):
    for fn in sorted(glob.glob(f"{D}/{sub}/*.txt.gz")):
        t = gzip.open(fn, "rt", errors="replace").read()
        t = re.sub(r"^URL:.*\n", "", t)
        paras = [" ".join(p.split()) for p in re.split(r"<(?:p|h|l)>", t)]
        texts.append((sub.split("/")[0], "\n".join(p for p in paras if p)))
cnt = collections.Counter(); hit = collections.Counter(); top = []
for src, t in texts:
    if len(sentence_spans(t)) < 12:
        continue
    for layout, x in (("as is", t), ("flat", " ".join(t.split()))):
        a = c.analyse(x)
        if a.n_content_sentences < 8:
            continue
        g = guess(x)
        key = (src, g)
        cnt[key] += 1
        for flag, head in ((True, "pooled"), (False, c.page_head(a))):
            s = max(c.doc_logits(a, head=head).values(), default=-30)
            hit[key + (flag,)] += s >= 0
        if g == "en" and max(c.doc_logits(a).values()) >= 0:
            top.append((src, layout, x[:80]))
print("| source | group | pages | pooled flagged | shipped (head by group) flagged |\n|---|---|---|---|---|")
for k in sorted(cnt):
    print(f"| {k[0]} | {k[1]} | {cnt[k]} | {hit[k + (True,)] / cnt[k]:.1%} | {hit[k + (False,)] / cnt[k]:.1%} |")
en = [k for k in cnt if k[1] == "en"]
n = sum(cnt[k] for k in en)
print(f"| all | en | {n} | {sum(hit[k + (True,)] for k in en) / n:.1%} | {sum(hit[k + (False,)] for k in en) / n:.1%} |")
for t in top[:40]:
    print("#", t)
