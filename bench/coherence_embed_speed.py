"""Cost of ``stitched_document``'s tiers on 5 KB English pages, CPU time of this process (run it with
OMP_NUM_THREADS=1: numpy on one thread, as the local executor's workers run), side by side in one run.

* ``lexical``, ``pairs``, ``embed``: the whole step, documents handed in batches of ``batch_size`` as the runner
  does (``embed``: the encoder of the shipped model file, all-MiniLM-L6-v2 run by numpy);
* ``encode <model>``: the embedding tier's own work for ``minilm`` and ``minilm-static`` (choosing the sentences,
  embedding them across the batch, the page signals), without the page analysis it shares with the other tiers.

Peak memory (max RSS) is printed after each, so a growth would show.

    OMP_NUM_THREADS=1 .venv/bin/python bench/coherence_embed_speed.py --data ../shared/data [--docs 60]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from winnow.document import Document  # noqa: E402
from winnow.steps.coherence import _embed as E  # noqa: E402
from winnow.steps._encoder import load_encoder  # noqa: E402
from winnow.steps.coherence import StitchedDocument, analyse  # noqa: E402


def texts(data, n):
    out = []
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            t = json.loads(line).get("main_text") or ""
            if len(t.encode()) >= 5000 and E.english(t):
                out.append(t.encode()[:5000].decode(errors="ignore"))
                if len(out) >= n:
                    break
    return out


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_step(tier, ts, batch):
    step = StitchedDocument(tier=tier, device="cpu", batch_size=batch)
    step.setup(None)
    t0 = time.process_time()
    tiers = {}
    for b0 in range(0, len(ts), batch):
        docs = step.process_batch([Document(str(i), t) for i, t in enumerate(ts[b0:b0 + batch], b0)])
        for d in docs:
            k = d.attributes.get("stitched_document.tier")
            tiers[k] = tiers.get(k, 0) + 1
    return len(ts) / (time.process_time() - t0), tiers


def run_encode(model, ts, batch):
    enc = load_encoder(model, device="cpu", step="stitched_document")
    an = [analyse(t) for t in ts]
    t0 = time.process_time()
    n_sent = 0
    for b0 in range(0, len(ts), batch):
        sel = [E.choose(a) for a in an[b0:b0 + batch]]
        pages = [[a.text[a.sentences[i].start:a.sentences[i].end] for i in idx] for a, idx in zip(an[b0:b0 + batch], sel)]
        n_sent += sum(map(len, pages))
        for v in E.embed_pages(enc, pages):
            E.page_signals(v)
    dt = time.process_time() - t0
    return len(ts) / dt, n_sent / dt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=60)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args(argv)
    ts = texts(args.data, args.docs)
    # Warm-up outside the timing: model loading and the static table (cached on disk after the first run).
    run_step("embed", ts[:2], 2)
    run_encode("minilm-static", ts, args.batch)
    print(f"{len(ts)} English pages of 5,000 bytes, batches of {args.batch}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}\n")
    print("| what | docs/s per core (CPU time) | sentences/s | max RSS MB |")
    print("|---|---|---|---|")
    for tier in ("lexical", "pairs", "embed"):
        dps, tiers = run_step(tier, ts, args.batch)
        print(f"| stitched_document tier {tier} (ran: {tiers}) | {dps:.1f} | | {rss_mb():.0f} |")
    for model in ("minilm-static", "minilm"):
        dps, sps = run_encode(model, ts, args.batch)
        print(f"| embedding work only, {model} | {dps:.1f} | {sps:.0f} | {rss_mb():.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
