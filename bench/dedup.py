"""Dedup evaluation: quality on labelled near-duplicates, speed and memory against datasketch and datatrove, and
peak RSS at scale.

    python bench/dedup.py --data ../shared/data                 # quality + peers + scale 100k
    python bench/dedup.py --scale 100000,1000000 --skip-quality  # the scale runs only
    python bench/dedup.py --sweep                                # n-gram / bands x rows on the labelled set
    python bench/dedup.py --substring 100000 --skip-quality --scale '' --out /tmp/sub.md   # substring_dedup
    python bench/dedup.py --semantic 0.8,0.85,0.9 --skip-quality --scale '' --out /tmp/sem.md   # semantic_dedup
    python bench/dedup.py --semantic 0.95,0.97 --model multilingual-e5-small --unrelated 200 --skip-quality --scale ''
        --out /tmp/sem.md   # another encoder, and the top cosine between unrelated real pages
    python bench/dedup.py --against 20000 --skip-quality --scale '' --out /tmp/ag.md   # B against A's index vs A+B

Peers run in the same bench venv (``pip install -e . datasketch datatrove psutil``), each method in its own
process so its peak RSS (whole process tree, sampled every 50 ms) is its own. Everything runs side by side in one
invocation on the same input; the machine is shared, so compare ratios, not absolute seconds.

Labelled set (``crawl/web-pages.jsonl.gz``): originals are real pages; natural near-duplicates among them are
removed first (5-gram Jaccard >= 0.6 with an earlier page) so the only true duplicates are the ones made here.
Half the originals get one or two copies with a realistic edit: changed boilerplate (header and footer lines
swapped for another site's), truncation, small rewrites (2% of words replaced, deleted or inserted), reordered
paragraphs, or two of these together. Hard negatives are the other pages of the same site that share its template;
they stay as they are. Metrics over the drop decisions: a drop is correct if another member of its true cluster is
kept; precision = correct drops / drops, recall = correct drops / (docs that should go), false-removal rate =
true clusters with no member left / true clusters.

Clough & Stevenson (``reuse/clough-stevenson``): 5 Wikipedia sources first, then 95 student answers labelled
cut / light / heavy / non; an answer counts as flagged when it is dropped as a duplicate.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# A script in bench/ named like a standard module (bench/tokenize.py did) shadows it while bench/ is sys.path[0]
# (numpy.ma's import of inspect -> tokenize failed); nothing here imports a sibling script, so bench/ leaves the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "src"))

NGRAM, BANDS, ROWS = 5, 14, 8


# --- data --------------------------------------------------------------------------------------------------------

def load_pages(data: Path) -> list[dict]:
    out = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if len(r["text"].split()) >= 100:
                out.append({"id": r["id"], "text": r["text"], "url": r.get("url") or "", "source": r["source"]})
    return out


def _shingles(text: str) -> set:
    from winnow.steps.dedup import tokens

    t = tokens(text)
    return {" ".join(t[i:i + NGRAM]) for i in range(max(1, len(t) - NGRAM + 1))}


def remove_natural_duplicates(pages: list[dict], limit: float = 0.6) -> tuple[list[dict], int]:
    """Drop pages that already have a near-duplicate earlier in the list (exact Jaccard over candidate pairs)."""
    import numpy as np

    from winnow.steps.dedup import MinHasher

    sig, _ = MinHasher(NGRAM, 64, seed=99).signatures([p["text"] for p in pages])
    sh = [None] * len(pages)
    drop = set()
    for i in range(len(pages)):
        est = (sig[:i] == sig[i]).mean(axis=1) if i else np.zeros(0)
        for j in np.flatnonzero(est >= limit - 0.25):
            if j in drop:
                continue
            sh[i] = sh[i] or _shingles(pages[i]["text"])
            sh[j] = sh[j] or _shingles(pages[j]["text"])
            if len(sh[i] & sh[j]) / len(sh[i] | sh[j]) >= limit:
                drop.add(i)
                break
    return [p for i, p in enumerate(pages) if i not in drop], len(drop)


EDITS = ("boilerplate", "truncation", "rewrite", "reorder", "rewrite+truncation")


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def make_edit(text: str, kind: str, rng: random.Random, donor: str) -> str:
    paras = _paragraphs(text)
    if kind == "boilerplate":
        # another site's chrome (its short lines: menus, footers) in place of this page's first and last lines
        d = [p for p in _paragraphs(donor) if len(p.split()) <= 8] or ["Home", "Contact"]
        k = max(1, len(paras) // 8)
        return "\n".join(d[:k] + paras[k:-k or None] + d[-k:])
    if kind == "truncation":
        words = text.split(" ")
        return " ".join(words[: int(len(words) * rng.uniform(0.6, 0.9))])
    if kind == "rewrite":
        words = text.split(" ")
        for _ in range(max(1, len(words) // 50)):
            i = rng.randrange(len(words))
            op = rng.random()
            if op < 0.5:
                words[i] = rng.choice(("very", "really", "new", "also", "however", "the", "a", "this"))
            elif op < 0.75:
                words[i] = ""
            else:
                words[i] = words[i] + " " + rng.choice(("indeed", "now", "still"))
        return " ".join(w for w in words if w)
    if kind == "reorder":
        if len(paras) < 3:
            return text[::-1]  # cannot happen for pages of >= 100 words with paragraphs; keeps it total
        rng.shuffle(paras)
        return "\n".join(paras)
    if kind == "rewrite+truncation":
        return make_edit(make_edit(text, "rewrite", rng, donor), "truncation", rng, donor)
    raise ValueError(kind)


def labelled_web_set(data: Path, n_orig: int = 1200, seed: int = 5) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    pages = load_pages(data)
    pages, n_natural = remove_natural_duplicates(pages)
    rng.shuffle(pages)
    pages = pages[:n_orig]
    docs = []
    for i, p in enumerate(pages):
        docs.append({"id": f"o{i}", "text": p["text"], "cluster": i, "kind": "original",
                     "site": urlsplit(p["url"]).hostname or p["source"]})
    copies = []
    for i, p in enumerate(pages[: n_orig // 2]):
        for c in range(1 + (i % 3 == 0)):
            kind = EDITS[(i + c) % len(EDITS)]
            donor = pages[(i + 7) % len(pages)]["text"]
            copies.append({"id": f"o{i}-c{c}", "text": make_edit(p["text"], kind, rng, donor), "cluster": i,
                           "kind": kind, "site": docs[i]["site"]})
    rng.shuffle(copies)
    docs += copies  # which member of a cluster is kept does not change the metrics
    sites = defaultdict(int)
    for d in docs[: len(pages)]:
        sites[d["site"]] += 1
    info = {"originals": len(pages), "copies": len(copies), "natural_removed": n_natural,
            "same_site_pages": sum(n for n in sites.values() if n > 1)}
    return docs, info


def clough_stevenson(data: Path) -> list[dict]:
    folder = data / "reuse" / "clough-stevenson" / "data"
    docs = [{"id": f"orig_task{t}", "text": (folder / f"orig_task{t}.txt").read_text(errors="replace"),
             "cluster": f"task{t}", "kind": "orig"} for t in "abcde"]
    with open(folder / "file_information.csv") as f:
        for row in csv.DictReader(f):
            if row["Category"] == "orig":
                continue
            docs.append({"id": row["File"], "text": (folder / row["File"]).read_text(errors="replace"),
                         "cluster": f"task{row['Task']}" if row["Category"] != "non" else row["File"],
                         "kind": row["Category"]})
    return docs


def synthetic(n: int, data: Path, out: Path, shards: int = 16, seed: int = 1, words_per_doc: int = 300) -> None:
    """n documents of ~words_per_doc words cut from real paragraphs; 20% are edited copies of an earlier one."""
    import orjson
    import zstandard

    rng = random.Random(seed)
    pool = [p.split() for pg in load_pages(data) for p in _paragraphs(pg["text"]) if len(p.split()) >= 20]
    out.mkdir(parents=True, exist_ok=True)
    writers = [zstandard.ZstdCompressor(level=1).stream_writer(open(out / f"{s:03d}.jsonl.zst", "wb"))
               for s in range(shards)]
    recent: list[list[str]] = []
    for i in range(n):
        if recent and rng.random() < 0.2:
            words = list(rng.choice(recent))
            for _ in range(max(1, len(words) // 50)):
                words[rng.randrange(len(words))] = "edited"
            words = words[: int(len(words) * rng.uniform(0.8, 1.0))]
        else:
            words = []
            while len(words) < words_per_doc:
                p = rng.choice(pool)
                a = rng.randrange(len(p))
                words += p[a:a + min(120, words_per_doc)]
        if len(recent) < 5000:
            recent.append(words)
        else:
            recent[rng.randrange(5000)] = words
        writers[i % shards].write(orjson.dumps({"id": f"s{i}", "text": " ".join(words)}) + b"\n")
    for w in writers:
        w.close()


# --- methods (each in its own process) ------------------------------------------------------------------------

def _write_input(docs: list[dict], folder: Path, shards: int = 2) -> None:
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        with open(folder / f"{s:03d}.jsonl", "wb") as f:
            for d in docs[s::shards] if shards > 1 else docs:
                f.write(orjson.dumps({"id": d["id"], "text": d["text"]}) + b"\n")


def _read_ids(folder: Path) -> list[str]:
    import orjson

    from winnow.io.base import open_read

    ids = []
    for p in sorted(folder.rglob("*.jsonl*")):
        with open_read(p) as f:
            ids += [orjson.loads(line)["id"] for line in f if line.strip()]
    return ids


def run_winnow(inp: Path, work: Path, workers: int, params: dict) -> dict:
    from winnow.executors import InlineExecutor, LocalExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.run import run_pipeline
    import orjson

    from winnow.steps.dedup import MinHasher, MinhashDedup

    params = dict(params)
    if not params.pop("_sig", True):  # scale runs: no separate timing, which would hold every text in memory
        texts = []
    else:  # signatures alone, as for the peers: tokens + MinHash of every document, batched as the step does
        texts = [orjson.loads(line)["text"] for p in sorted(inp.glob("*.jsonl*"))
                 for line in (_zread(p) if p.suffix == ".zst" else open(p, "rb"))]
    h = MinHasher(params.get("ngram", NGRAM), params.get("bands", BANDS) * params.get("rows", ROWS))
    t0 = time.perf_counter()
    batch, words = [], 0
    for t in texts:
        batch.append(t)
        words += len(t)
        if words >= 2_000_000:
            h.signatures(batch)
            batch, words = [], 0
    h.signatures(batch)
    t_sig = time.perf_counter() - t0
    timed = bool(texts)
    del texts, batch
    import winnow.run

    winnow.run._write_report = lambda run_dir, log: None  # the HTML report is another step's cost, not dedup's
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(inp / "*.jsonl*")),
                                  steps=[MinhashDedup(**params)])])
    ex = InlineExecutor() if workers == 1 else LocalExecutor(workers=workers, progress=False)
    t0 = time.perf_counter()
    res = run_pipeline(pipe, work, ex, log=False, verify_files=False)
    total = time.perf_counter() - t0
    ex.close()
    reduce_s = json.loads((work / "done" / "s" / "reduce0").read_text())["seconds"]
    if not timed:
        t_sig = next(s for s in res.stats["stages"][0]["steps"] if s["name"].endswith(":collect"))["seconds"]
    return {"dropped": _read_ids(work / "rejected"), "seconds": total, "signature_s": t_sig,
            "cluster_s": reduce_s}


def _zread(p: Path):
    from winnow.io.base import open_read

    with open_read(p) as f:
        yield from f


def run_datasketch(inp: Path, work: Path, workers: int, params: dict) -> dict:
    import orjson
    from datasketch import MinHash, MinHashLSH

    words = re.compile(r"[^\W_]+")  # lower-cased alphanumeric words, as text-dedup feeds datasketch

    n, b, r = params.get("ngram", NGRAM), params.get("bands", BANDS), params.get("rows", ROWS)
    docs = [orjson.loads(line) for p in sorted(inp.glob("*.jsonl")) for line in open(p, "rb")]
    t0 = time.perf_counter()
    sigs = []
    for d in docs:
        t = words.findall(d["text"].lower())
        sh = {" ".join(t[i:i + n]).encode() for i in range(max(1, len(t) - n + 1))} if t else set()
        m = MinHash(num_perm=b * r)
        m.update_batch(list(sh))
        sigs.append(m)
    t_sig = time.perf_counter() - t0
    lsh = MinHashLSH(num_perm=b * r, params=(b, r))
    for i, m in enumerate(sigs):
        lsh.insert(i, m)
    parent = list(range(len(docs)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            a, c = find(i), find(j)
            if a != c:
                parent[max(a, c)] = min(a, c)
    dropped = [d["id"] for i, d in enumerate(docs) if find(i) != i]
    return {"dropped": dropped, "seconds": time.perf_counter() - t0, "signature_s": t_sig,
            "cluster_s": time.perf_counter() - t0 - t_sig}


def run_datatrove(inp: Path, work: Path, workers: int, params: dict) -> dict:
    import orjson
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    try:
        from datatrove.utils.hashing import HashConfig

        cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=params.get("ngram", NGRAM),
                            num_buckets=params.get("bands", BANDS), hashes_per_bucket=params.get("rows", ROWS))
    except ImportError:
        cfg = MinhashConfig(n_grams=params.get("ngram", NGRAM), num_buckets=params.get("bands", BANDS),
                            hashes_per_bucket=params.get("rows", ROWS))
    tasks = len(list(inp.glob("*.jsonl")))
    w = str(work)
    times = {}
    stages = [
        ("signature", [JsonlReader(str(inp), glob_pattern="*.jsonl"),
                       MinhashDedupSignature(output_folder=f"{w}/sigs", config=cfg)], tasks),
        ("buckets", [MinhashDedupBuckets(input_folder=f"{w}/sigs", output_folder=f"{w}/buckets", config=cfg)],
         cfg.num_buckets),
        ("cluster", [MinhashDedupCluster(input_folder=f"{w}/buckets", output_folder=f"{w}/remove_ids",
                                         config=cfg)], 1),
        ("filter", [JsonlReader(str(inp), glob_pattern="*.jsonl"),
                    MinhashDedupFilter(input_folder=f"{w}/remove_ids"), JsonlWriter(f"{w}/out")], tasks),
    ]
    t0 = time.perf_counter()
    for name, pipeline, n in stages:
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=workers, logging_dir=f"{w}/logs/{name}",
                              skip_completed=False).run()
        times[name] = time.perf_counter() - t
    kept = set()
    for p in (work / "out").rglob("*.jsonl*"):
        op = gzip.open if str(p).endswith(".gz") else open
        with op(p, "rb") as f:
            kept |= {orjson.loads(line)["id"] for line in f}
    all_ids = [orjson.loads(line)["id"] for p in sorted(inp.glob("*.jsonl")) for line in open(p, "rb")]
    return {"dropped": [i for i in all_ids if i not in kept], "seconds": time.perf_counter() - t0,
            "signature_s": times["signature"], "cluster_s": times["buckets"] + times["cluster"]}


def run_substring(inp: Path, work: Path, workers: int, params: dict) -> dict:
    """substring_dedup through the runner; CPU seconds of this process and its (reaped) workers."""
    import resource

    from winnow.executors import InlineExecutor, LocalExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.run import run_pipeline
    from winnow.steps.substring import SubstringDedup

    import winnow.run

    winnow.run._write_report = lambda run_dir, log: None
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(inp / "*.jsonl*")),
                                  steps=[SubstringDedup(**params)])])
    ex = InlineExecutor() if workers == 1 else LocalExecutor(workers=workers, progress=False)
    t0 = time.perf_counter()
    res = run_pipeline(pipe, work, ex, log=False, verify_files=False)
    total = time.perf_counter() - t0
    ex.close()
    cpu = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    steps = {x["name"]: x for x in res.stats["stages"][0]["steps"]}
    reduce_s = json.loads((work / "done" / "s" / "reduce0").read_text())["seconds"]
    return {"dropped": [], "seconds": total, "cpu_s": cpu, "cluster_s": reduce_s,
            "collect_s": steps["substring_dedup:collect"]["seconds"],
            "edits": steps["substring_dedup"]["edits"].get("repeated_substring", 0),
            "chars_removed": steps["substring_dedup"]["chars_removed"]}


def run_step(inp: Path, work: Path, workers: int, params: dict) -> dict:
    """One dedup step (``params["step"]`` with ``params["kw"]``) over ``inp``/``params["glob"]`` into
    ``params["run_dir"]`` (kept: a later run reads its index); CPU seconds of this process and its workers."""
    import resource

    from winnow.executors import InlineExecutor, LocalExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.registry import lookup
    from winnow.run import run_pipeline

    import winnow.run

    winnow.run._write_report = lambda run_dir, log: None
    step = lookup(params["step"])(**params.get("kw", {}))
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(inp / params["glob"])), steps=[step])])
    ex = InlineExecutor() if workers == 1 else LocalExecutor(workers=workers, progress=False)
    res = run_pipeline(pipe, params["run_dir"], ex, log=False, verify_files=False)
    ex.close()
    cpu = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    st = {x["name"]: x for x in res.stats["stages"][0]["steps"]}[params["step"]]
    return {"dropped": [], "cpu_s": cpu, "in": res.stats["stages"][0]["in"], "edits": st.get("edits", {}),
            "drops": st.get("dropped", {})}


METHODS = {"winnow": run_winnow, "datasketch": run_datasketch, "datatrove": run_datatrove, "substring": run_substring,
           "step": run_step}


def against_bench(data: Path, tmp: Path, emit, n_docs: int, words: int) -> None:
    """Dedup against a reference index: crawl B (the last 4 of 16 synthetic shards) against crawl A's index (the
    first 12), beside A+B in one run; the same kept set of B is checked, and the index's size measured."""
    import shutil

    import orjson

    from winnow.io.base import open_read

    folder = tmp / f"ag{n_docs}"
    synthetic(n_docs, data, folder, words_per_doc=words)  # 20% edited copies of recent documents: B copies A
    for f in sorted(folder.glob("*.jsonl.zst")):  # A's shards in a/, B's in b/: A's sort first in A+B
        sub = folder / ("a" if int(f.name[:3]) < 12 else "b")
        sub.mkdir(exist_ok=True)
        f.rename(sub / f.name)
    a_glob, b_glob, ab_glob = "a/*.jsonl.zst", "b/*.jsonl.zst", "*/*.jsonl.zst"
    b_ids = {orjson.loads(line)["id"] for f in sorted((folder / "b").glob("*.jsonl.zst"))
             for line in open_read(f).read().splitlines()}

    def kept_b(run: Path) -> dict[str, str]:
        out = {}
        for f in sorted((run / "kept").rglob("*.jsonl*")):
            for line in open_read(f).read().splitlines():
                r = orjson.loads(line)
                if r["id"] in b_ids:
                    out[r["id"]] = r["text"]
        return out

    rows = []
    for step, kw in (("substring_dedup", {}), ("semantic_dedup", {"model": "hashing"}), ("minhash_dedup", {})):
        runs = {}
        for name, glob, extra in (("A+B", ab_glob, {}), ("A", a_glob, {}),
                                  ("B against A", b_glob, {"against": [str(tmp / f"{step}-A")]})):
            rd = tmp / f"{step}-{name.replace(' ', '_').replace('+', '')}"
            res = run_method("step", folder, 1, {"step": step, "kw": {**kw, **extra}, "glob": glob,
                                                 "run_dir": str(rd)}, timeout=3600)
            if "error" in res:
                raise RuntimeError(f"{step} {name}: {res['error']}")
            runs[name] = (rd, res)
        idx = next((runs["A"][0] / "work").glob("*/*/index.json")).parent
        man = orjson.loads((idx / "index.json").read_bytes())
        size = sum(p.stat().st_size for p in (idx / man["tables"]).rglob("*") if p.is_file())
        kab, kb = kept_b(runs["A+B"][0]), kept_b(runs["B against A"][0])
        same = sum(1 for i in set(kab) | set(kb) if kab.get(i) == kb.get(i))
        only_here, only_ab = len(set(kab) - set(kb)), len(set(kb) - set(kab))  # dropped in one run only
        ra, rb, rab = runs["A"][1], runs["B against A"][1], runs["A+B"][1]
        removed = sum(rb["edits"].values()) + sum(rb["drops"].values())
        rows.append([step, ra["in"], rb["in"], rab["cpu_s"], ra["cpu_s"], rb["cpu_s"], rb["cpu_s"] / rab["cpu_s"],
                     f"{rab['peak_rss_mb']:.0f} / {rb['peak_rss_mb']:.0f}",
                     size / 2**20, size / ra["in"], removed, f"{same} / {len(set(kab) | set(kb))}",
                     f"{only_here} / {only_ab}"])
        for rd, _ in runs.values():
            shutil.rmtree(rd, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    emit(f"\n## Dedup against a reference index (`against`)\n\n{n_docs:,} synthetic documents of ~{words} words "
         f"(20% edited copies of recent ones) in 16 shards: A = the first 12, B = the last 4. One process per run, "
         f"one worker; CPU seconds of the process tree. 'B kept alike' compares B's kept documents (id and text) "
         f"between the B-against-A run and the A+B run. semantic_dedup runs with the `hashing` encoder here, so "
         f"its CPU is the clustering and search; with all-MiniLM-L6-v2 (~5 documents per CPU second) the A+B run "
         f"would also re-embed A, which the index spares.\n\n" + table(
             ["step", "A docs", "B docs", "A+B CPU s", "A CPU s", "B against A CPU s", "B-vs-A / A+B CPU",
              "peak RSS MB A+B / B-vs-A",
              "index MB", "index B/doc", "B removals (edits+drops)", "B kept alike",
              "B dropped only against / only A+B"], rows))


# --- substring_dedup ---------------------------------------------------------------------------------------------

def _window_hashes(texts: list[str], L: int) -> list[list[int]]:
    """Plain reference: Python hashes of every L-token window, for a brute-force scan."""
    out = []
    for t in texts:
        w = t.split()
        out.append([hash(tuple(w[i:i + L])) for i in range(len(w) - L + 1)])
    return out


def semantic_bench(data: Path, emit, thresholds: list[float], keep: str, model: str = "minilm",
                   unrelated: int = 0) -> None:
    """semantic_dedup on Clough & Stevenson: the share of each kind of answer dropped over the threshold, and the
    encoder's speed. The embeddings are computed once (the first run) and reused by the other thresholds. With
    ``unrelated``: the top cosine between unrelated real pages (that many web pages and register-multiling pages in
    several languages; a pair whose word 5-gram Jaccard is >= 0.3 is a near-duplicate, not unrelated) and of a few
    degenerate texts against them: how many of them each threshold would drop."""
    import winnow.steps.semantic as sem
    from winnow.document import Document

    cs = clough_stevenson(data)
    real = sem.load_encoder(model)
    cache: dict[str, object] = {}
    cpu = [0.0]

    class Cached:
        dim = real.dim

        def encode(self, texts, **kw):
            import numpy as np

            miss = [t for t in texts if t not in cache]
            if miss:
                c0 = time.process_time()
                for t, v in zip(miss, real.encode(miss, **kw)):
                    cache[t] = v
                cpu[0] += time.process_time() - c0
            return np.vstack([cache[t] for t in texts])

    load = sem.load_encoder
    sem.load_encoder = lambda model, **kw: Cached()
    rows = []
    docs = [Document(d["id"], d["text"]) for d in cs]
    for t in thresholds:
        out = list(sem.SemanticDedup(model=model, threshold=t, keep=keep)(docs))
        dropped = {d.id for d in out if d.drop is not None}
        k = per_kind(cs, dropped)
        m = cs_metrics(cs, dropped, ("cut", "light", "heavy"))
        rows.append([t, k.get("cut", 0.0), k.get("light", 0.0), k.get("heavy", 0.0), k.get("non", 0.0),
                     sum(1 for d in cs if d["kind"] == "orig" and d["id"] in dropped), m["f1"]])
    words = sum(len(d["text"].split()) for d in cs)
    emit(f"\n## semantic_dedup on Clough & Stevenson\n\n5 Wikipedia sources and 95 answers (19 cut, 19 light, 19 heavy "
         f"revisions, 38 independent 'non' answers on the same 5 questions); model {model} (256-token "
         f"chunks, up to 4 averaged), one cluster (100 documents < cluster_size), keep: {keep}. Share of each kind "
         f"dropped. MinHash at its defaults flags cut 0.105, light 0.053, heavy 0.000 (table above).\n\n"
         f"Encoder: {len(cs)} documents ({words:,} words) in {cpu[0]:.1f} CPU s on one BLAS thread: "
         f"{len(cs) / cpu[0]:.2f} documents/s per core ({words / cpu[0]:,.0f} words/s).\n\n" + table(
             ["threshold", "cut", "light", "heavy", "non (independent)", "sources dropped", "F1 revisions vs non"],
             rows))
    sem.load_encoder = load
    if unrelated:
        unrelated_bench(data, emit, thresholds, model, unrelated, Cached(), cpu)


MULTILING = {"ar": "ArCORE/ar.tsv.gz", "ca": "CaCORE/ca.tsv.gz", "hi": "HiCORE/hi.tsv.gz", "id": "IdCORE/id.tsv.gz",
             "pt": "PtCORE/pt.tsv.gz", "ur": "UrCORE/ur.tsv.gz", "fr": "FrCORE/test.tsv.gz", "sv": "SvCORE/dev.tsv.gz",
             "fi": "FinCORE/dev.tsv.gz"}
DEGENERATE = {"'Yes.' x10k lines": "Yes.\n" * 10000, "'Ok.' x10k": "Ok. " * 10000,
              "emoji only": "\U0001F600\U0001F44D\U0001F525 " * 300, "'a' x32k": "a" * 32000,
              "digits": " ".join(str(i) for i in range(3000))}


def unrelated_bench(data: Path, emit, thresholds: list[float], model: str, n: int, enc, cpu) -> None:
    """The top cosine of each real page to any other (the near-duplicates by word 5-gram Jaccard >= 0.3 left out):
    a threshold at or below it would drop an unrelated page."""
    import numpy as np

    pages = load_pages(data)
    web = [p["text"] for p in pages[::max(1, len(pages) // n)][:n]]
    root = data / "crawl" / "register-multiling"
    per = max(1, n // (2 * len(MULTILING)))
    ml, langs = [], []
    for lang, rel in MULTILING.items():
        f = root / rel
        if not f.exists():
            continue
        with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
            rows = [ln.rstrip("\n").split("\t", 1)[-1] for ln in fh]
        rows = [r for r in rows if len(r.split()) >= 50][:per]
        ml += rows
        langs += [lang] * len(rows)
    texts = web + ml
    c0 = cpu[0]
    emb = enc.encode(texts, max_tokens=256, max_chunks=4, batch=16)
    deg = enc.encode(list(DEGENERATE.values()), max_tokens=256, max_chunks=4, batch=16)
    sims = emb @ emb.T
    np.fill_diagonal(sims, -1.0)

    def shingles(t):
        w = t.split()
        return {tuple(w[i:i + 5]) for i in range(max(1, len(w) - 4))}

    sh = [shingles(t) for t in texts]
    top, near = np.full(len(texts), -1.0), 0
    for i in range(len(texts)):
        for j in np.argsort(-sims[i]):
            a, b = sh[i], sh[int(j)]
            if len(a & b) / max(1, len(a | b)) < 0.3:
                top[i] = sims[i, j]
                break
            near += 1
    emit(f"\n### Unrelated real pages, model {model}\n\n{len(web)} pages of crawl/web-pages.jsonl.gz (evenly spaced, "
         f">= 100 words) and {len(ml)} register-multiling pages (>= 50 words; "
         f"{', '.join(f'{k} {langs.count(k)}' for k in MULTILING if k in langs)}); each page's top cosine to any "
         f"other page whose word 5-gram Jaccard with it is < 0.3 ({near} nearer pairs skipped as near-duplicates). "
         f"Embedding: {cpu[0] - c0:.1f} CPU s.\n\nTop cosine quantiles: " + ", ".join(
             f"p{q} {np.quantile(top, q / 100):.3f}" for q in (50, 90, 99, 100)) + "\n\n" + table(
             ["threshold", "web pages with an unrelated page >= threshold", "multiling pages",
              "share of all pages"],
             [[t, int((top[:len(web)] >= t).sum()), int((top[len(web):] >= t).sum()), float((top >= t).mean())]
              for t in thresholds]))
    dsim = deg @ emb.T
    rows = []
    for k, (name, v) in enumerate(zip(DEGENERATE, dsim)):
        j = int(np.argmax(v))
        rows.append([name, float(v[j]), (langs[j - len(web)] if j >= len(web) else "web")])
    emit("\nDegenerate texts, their top cosine to a real page (and its source):\n\n" + table(
        ["text", "top cosine", "page"], rows))


def substring_bench(data: Path, tmp: Path, emit, scales: list[int], words: int, workers: int) -> None:
    import numpy as np

    from winnow.document import Document
    from winnow.steps.substring import SubstringDedup, _eligible, suffix_blocks, token_spans

    rng = random.Random(9)
    pages = [p["text"] for p in load_pages(data)][:1500]
    # planted spans: a 70-token boilerplate paragraph on every 20th page, and 60 passages of 50-500 tokens copied
    # from one page into a later one
    boiler = " ".join(pages[0].split()[200:270])
    texts = [t.split() for t in pages]
    planted = []
    for i in range(1, len(texts)):
        if i % 20 == 0:
            at = rng.randrange(len(texts[i]))
            texts[i][at:at] = boiler.split()
            planted.append((i, boiler))
    for k in range(60):
        a, b = sorted(rng.sample(range(len(texts)), 2))
        n = rng.choice([50, 80, 120, 200, 350, 500])
        src = texts[a]
        if len(src) <= n:
            continue
        s0 = rng.randrange(len(src) - n)
        passage = src[s0:s0 + n]
        at = rng.randrange(len(texts[b]))
        texts[b][at:at] = passage
        planted.append((b, " ".join(passage)))
    texts = [" ".join(t) for t in texts]
    # 1. library suffix array vs the plain numpy doubling on the same partition
    toks = [token_spans(t)[0] for t in texts]
    lens = np.array([len(t) for t in toks], dtype=np.int64)
    n, dstart, ok = _eligible(lens, 50)
    is_tok = np.ones(n, dtype=bool)
    is_tok[dstart + lens] = False
    seq = np.zeros(n, dtype=np.uint32)
    seq[is_tok] = np.unique(np.concatenate(toks), return_inverse=True)[1].astype(np.uint32) + 1
    rows, canon = [], []
    for backend in ("divsufsort", "doubling"):
        c0 = time.process_time()
        order, new = suffix_blocks(seq, ok, 50, backend)
        cpu = time.process_time() - c0
        starts = np.flatnonzero(new)
        cnt = np.diff(np.append(starts, len(order)))
        minpos = np.minimum.reduceat(order, starts)
        canon.append(sorted(zip(minpos.tolist(), cnt.tolist())))
        rows.append([backend, int(is_tok.sum()), cpu, is_tok.sum() / cpu / 1e6, int((cnt >= 2).sum())])
    emit(f"\n## substring_dedup\n\n### Suffix blocks: pydivsufsort vs plain numpy prefix doubling\n\n"
         f"{len(texts)} real pages (web-pages.jsonl.gz) with planted spans as one partition, min_length 50; "
         f"CPU seconds, one core. Same blocks: {canon[0] == canon[1]}; doubling / divsufsort CPU = "
         f"{rows[1][2] / rows[0][2]:.1f}x.\n\n" + table(
             ["backend", "tokens", "CPU s", "M tokens/s", "repeated windows (blocks)"], rows))
    # 2. planted spans: all found, and nothing beyond what a brute-force window scan calls repeated
    docs = [Document(f"p{i:05d}", t) for i, t in enumerate(texts)]
    c0 = time.process_time()
    out = list(SubstringDedup(min_words=0)(docs))
    cpu = time.process_time() - c0
    found = sum(1 for i, p in planted if p not in out[i].text)
    seen, brute = set(), 0
    for hs in _window_hashes(texts, 50):
        cov = set()
        for j, h in enumerate(hs):
            if h in seen:
                cov.update(range(j, j + 50))
            seen.add(h)
        brute += len(cov)
    removed = sum(len(e.removed.split()) for d in out for e in d.edits)
    emit(f"\n### Planted spans in real pages\n\n{len(planted)} planted copies (a 70-token boilerplate on every "
         f"20th page, passages of 50-500 tokens copied into later pages): **{found} of {len(planted)} removed "
         f"wholly**. Tokens removed: {removed:,}; a brute-force scan of every 50-token window counts {brute:,} "
         f"repeated tokens (equal means nothing removed beyond what repeats). Step CPU: {cpu:.1f} s for "
         f"{len(texts)} pages ({sum(len(t) for t in toks) / cpu / 1e6:.2f} M tokens/s end to end).\n")
    edits = sorted((e for d in out for e in d.edits), key=lambda e: (-e.score, -len(e.removed)))
    top, shown = [], set()
    for e in edits:
        key = " ".join(e.removed.split()[:12])
        if key in shown or any(key in p for _, p in planted):
            continue  # the pages' own repeats, not the planted ones
        shown.add(key)
        top.append([int(e.score), len(e.removed.split()), " ".join(e.removed.split())[:110].replace("|", "/")])
        if len(top) == 10:
            break
    emit("Top repeated spans found in the real pages themselves (not planted):\n\n" + table(
        ["count", "tokens", "span (start)"], top))
    # 3. scale
    for n_docs in scales:
        folder = tmp / f"sub{n_docs}"
        t0 = time.perf_counter()
        synthetic(n_docs, data, folder, words_per_doc=words)
        gen = time.perf_counter() - t0
        rows = []
        for w in sorted({1, workers}):
            res = run_method("substring", folder, w, {}, timeout=5400)
            if "error" in res:
                rows.append([w, "failed: " + res["error"][:80]] + [""] * 6)
                continue
            rows.append([w, n_docs, res["edits"], res["chars_removed"], res["cpu_s"], n_docs / res["cpu_s"],
                         res["cluster_s"], res["peak_rss_mb"]])
        emit(f"\n### Scale: {n_docs:,} synthetic documents (~{words} words cut from real paragraphs, 20% edited "
             f"copies; generated in {gen:.0f} s), memory_mb 512\n\n" + table(
                 ["workers", "docs", "spans removed", "chars removed", "CPU s (process tree)", "docs / CPU s",
                  "reduce wall s", "peak RSS MB (process tree)"], rows))
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def worker_main(argv: list[str]) -> None:
    method, inp, work, workers, params, out = argv
    res = METHODS[method](Path(inp), Path(work), int(workers), json.loads(params))
    Path(out).write_text(json.dumps(res))


def run_method(method: str, inp: Path, workers: int = 1, params: dict | None = None,
               timeout: float = 3600) -> dict:
    """Run one method in a child process; its whole process tree's RSS is sampled for the peak."""
    import psutil

    with tempfile.TemporaryDirectory(prefix=f"dedup-{method}-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--_worker", method, str(inp), str(Path(tmp) / "work"), str(workers),
               json.dumps(params or {}), str(out)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                return {"error": "timeout"}
        err = proc.stderr.read().decode(errors="replace")
        if proc.returncode != 0 or not out.exists():
            return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"}
        res = json.loads(out.read_text())
        res["peak_rss_mb"] = peak / 2**20
        res["wall_s"] = time.perf_counter() - t0
        return res


# --- metrics -------------------------------------------------------------------------------------------------------

def drop_metrics(docs: list[dict], dropped: set[str]) -> dict:
    clusters = defaultdict(list)
    for d in docs:
        clusters[d["cluster"]].append(d["id"])
    correct = should = lost = 0
    for members in clusters.values():
        n_drop = sum(m in dropped for m in members)
        should += len(members) - 1
        if n_drop == len(members):
            lost += 1
            correct += len(members) - 1
        else:
            correct += n_drop
    n = len(dropped)
    p = correct / n if n else 1.0
    r = correct / should if should else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "drops": n,
            "false_removal_rate": lost / len(clusters)}


def per_kind(docs: list[dict], dropped: set[str]) -> dict:
    tot, hit = defaultdict(int), defaultdict(int)
    for d in docs:
        tot[d["kind"]] += 1
        hit[d["kind"]] += d["id"] in dropped
    return {k: hit[k] / tot[k] for k in tot}


def cs_metrics(docs: list[dict], dropped: set[str], positives: tuple[str, ...]) -> dict:
    answers = [d for d in docs if d["kind"] in positives + ("non",)]
    tp = sum(d["id"] in dropped for d in answers if d["kind"] in positives)
    fp = sum(d["id"] in dropped for d in answers if d["kind"] == "non")
    fn = sum(d["id"] not in dropped for d in answers if d["kind"] in positives)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# --- report --------------------------------------------------------------------------------------------------------

def table(headers: list[str], rows: list[list]) -> str:
    def fmt(x):
        return f"{x:.3f}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        worker_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--methods", default="winnow,datasketch,datatrove")
    ap.add_argument("--scale", default="100000", help="synthetic corpus sizes for the RSS runs ('' for none)")
    ap.add_argument("--scale-peers", action="store_true", help="also run the peers on the smallest scale corpus")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--sweep", action="store_true", help="winnow's n-gram and bands x rows on the labelled set")
    ap.add_argument("--sweep-grid", default="", help="n:bands:rows:verify,... instead of the built-in grid")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scale-words", type=int, default=300, help="words per synthetic document")
    ap.add_argument("--scale-workers", default="1,2", help="winnow's worker counts for the scale runs")
    ap.add_argument("--semantic", default="", help="semantic_dedup on Clough & Stevenson at these thresholds")
    ap.add_argument("--semantic-keep", default="central")
    ap.add_argument("--model", default="minilm", help="semantic_dedup's encoder for --semantic")
    ap.add_argument("--unrelated", type=int, default=0,
                    help="with --semantic: top cosines between this many unrelated web pages (and as many "
                         "register-multiling pages)")
    ap.add_argument("--substring", default="", help="substring_dedup: backends, planted spans, then these scales")
    ap.add_argument("--against", type=int, default=0, help="B against A's index vs A+B, on this many documents")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "dedup.md"))
    ap.add_argument("--append", action="store_true", help="add to the results file instead of replacing it")
    args = ap.parse_args()
    data = Path(args.data)
    methods = [m for m in args.methods.split(",") if m]
    report = [f"# Dedup benchmark\n\n`python bench/dedup.py {' '.join(sys.argv[1:])}` "
              f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores shared with "
              f"other benchmarks: compare ratios within a table, not absolute seconds)\n"]

    def emit(s: str) -> None:
        print(s, flush=True)
        report.append(s)

    tmp = Path(tempfile.mkdtemp(prefix="winnow-dedup-bench-"))
    if args.semantic:
        semantic_bench(data, emit, [float(x) for x in args.semantic.split(",")], args.semantic_keep, args.model,
                       args.unrelated)
    if args.substring:
        scales = [int(x) for x in args.substring.split(",") if x not in ("", "0")]
        substring_bench(data, tmp, emit, scales, args.scale_words, args.workers)
    if args.against:
        against_bench(data, tmp, emit, args.against, args.scale_words)
    if not args.skip_quality or args.sweep:
        web, info = labelled_web_set(data)
        cs = clough_stevenson(data)
        _write_input(web, tmp / "web")
        _write_input(cs, tmp / "cs", shards=1)
        emit(f"\n## Labelled web set\n\n{info['originals']} real pages ({info['natural_removed']} natural "
             f"near-duplicates removed first), {info['copies']} edited copies; {info['same_site_pages']} originals "
             f"share their site with another original (hard negatives). {len(web)} documents. "
             f"MinHash: {NGRAM}-grams, {BANDS} bands x {ROWS} rows for every method (FineWeb's setting), and "
             f"winnow at its defaults.\n")
    if args.sweep:
        rows = []
        grid = [(3, 14, 8, 0), (5, 14, 8, 0), (5, 20, 5, 0), (5, 9, 13, 0), (5, 16, 7, 0), (7, 14, 8, 0),
                (5, 112, 1, 0), (5, 20, 5, 0.4), (5, 20, 5, 0.5), (5, 25, 4, 0.5), (5, 14, 8, 0.5)]
        if args.sweep_grid:
            grid = [tuple(float(x) if "." in x else int(x) for x in g.split(":")) for g in args.sweep_grid.split(",")]
        for n, b, r, v in grid:
            prm = {"ngram": n, "bands": b, "rows": r, "verify": v}
            res = run_method("winnow", tmp / "web", 1, prm)
            m = drop_metrics(web, set(res["dropped"]))
            c = cs_metrics(cs, set(run_method("winnow", tmp / "cs", 1, prm)["dropped"]), ("cut", "light"))
            rows.append([f"{n}-gram {b}x{r}" + (f" verify {v}" if v else ""), f"{(1 / b) ** (1 / r):.2f}",
                         m["precision"], m["recall"], m["f1"], m["false_removal_rate"], c["f1"], res["seconds"]])
        emit("\n### Parameter sweep (winnow)\n\n" + table(
            ["setting", "threshold ~(1/b)^(1/r)", "P", "R", "F1", "false removal", "C&S F1 (cut+light)",
             "seconds"], rows))
    if not args.skip_quality:
        rows, kinds, cs_rows, speed = [], [], [], []
        runs = []
        for m in methods:  # every method at FineWeb's setting; winnow also at its own defaults
            runs.append((m, m, {"bands": BANDS, "rows": ROWS, "verify": 0} if m == "winnow" else {}))
            if m == "winnow":
                runs.append(("winnow (defaults)", m, {}))
        for label, m, prm in runs:
            res = run_method(m, tmp / "web", 1, prm)
            if "error" in res:
                emit(f"\n{label}: failed: {res['error']}")
                continue
            dm = drop_metrics(web, set(res["dropped"]))
            pk = per_kind(web, set(res["dropped"]))
            rows.append([label, dm["precision"], dm["recall"], dm["f1"], dm["false_removal_rate"], dm["drops"]])
            kinds.append([label] + [pk.get(k, 0.0) for k in ("original",) + EDITS])
            speed.append([label, len(web), res["signature_s"], len(web) / res["signature_s"], res["cluster_s"],
                          res["seconds"], res["peak_rss_mb"]])
            cres = run_method(m, tmp / "cs", 1, prm)
            if "error" not in cres:
                cd = set(cres["dropped"])
                ck = per_kind(cs, cd)
                cs_rows.append([label] + [ck.get(k, 0.0) for k in ("cut", "light", "heavy", "non")]
                               + [cs_metrics(cs, cd, ("cut",))["f1"], cs_metrics(cs, cd, ("cut", "light"))["f1"]])
        emit("\n### Duplicate detection (drop decisions)\n\n" + table(
            ["method", "precision", "recall", "F1", "false-removal rate", "drops"], rows))
        emit("\n### Share dropped, by kind of document\n\n" + table(["method", "originals"] + list(EDITS), kinds))
        emit("\n### Clough & Stevenson: share of answers flagged, and F1\n\n" + table(
            ["method", "cut", "light", "heavy", "non (independent)", "F1 cut vs non", "F1 cut+light vs non"],
            cs_rows))
        emit("\n### Speed and memory on the labelled set (1 process each)\n\n" + table(
            ["method", "docs", "signature s", "signature docs/s", "buckets+clusters s", "method s", "peak RSS MB"],
            speed))
    for n in [int(x) for x in args.scale.split(",") if x]:
        folder = tmp / f"syn{n}"
        t0 = time.perf_counter()
        synthetic(n, data, folder, words_per_doc=args.scale_words)
        gen = time.perf_counter() - t0
        rows = []
        for m in (methods if args.scale_peers else ["winnow"]):
            ws = [int(x) for x in args.scale_workers.split(",")]
            for w in (ws if m == "winnow" else [args.workers if m == "datatrove" else 1]):
                res = run_method(m, folder, w, {"_sig": False} if m == "winnow" else {}, timeout=5400)
                if "error" in res:
                    rows.append([m, w, "failed: " + res["error"][:80], "", "", "", "", ""])
                    continue
                rows.append([m, w, n, len(res["dropped"]), res["signature_s"], res["cluster_s"], res["seconds"],
                             res["peak_rss_mb"]])
        emit(f"\n### Scale: {n:,} synthetic documents (~{args.scale_words} words from real paragraphs, 20% edited copies; "
             f"generated in {gen:.0f} s)\n\n" + table(
                 ["method", "workers", "docs", "dropped", "signature s", "buckets+clusters s", "method s",
                  "peak RSS MB (process tree)"], rows))
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and args.append:
        report = [out.read_text().rstrip(), "\n---\n"] + report
    out.write_text("\n".join(report) + "\n")
    print(f"\nwritten to {out}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)  # generated corpora and work folders: hundreds of MB at scale


if __name__ == "__main__":
    main()
