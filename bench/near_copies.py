"""line_dedup's copy_share on a corpus of near-copied pages: how many pages survive the default's dedup steps.

A page copied into 3+ documents (a mirror, a syndicated article, a revisit) shares its sentences with every copy.
With ``copy_share: 1.0`` (the behaviour before stop 28) line_dedup removed them from every copy, so none was left for
minhash_dedup to keep; with the shipped 0.5 a copy most of whose units are repeated keeps those it holds first.

The corpus: the real pages of ``crawl/web-pages.jsonl.gz`` and ``crawl/register-multiling`` (``--data``), each
repeated with variations until ``--records``: the page itself, an exact mirror on another host, a line dropped and
a footer added, the same URL with its lines shuffled, a truncation (seeded: the same corpus every time). Then url,
exact, line (sentences, min_docs 3) and minhash dedup run on it twice, copy_share 0.5 and 1.0, and the kept
documents are counted: documents, source pages represented, distinct sentences of 8+ words and the share of those
in more than one kept document (duplication left).

    PYTHONPATH=src .venv/bin/python bench/near_copies.py --data ../shared/data --records 30000
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import zstandard

PIPELINE = """run: {name: near-copies}
executor: {type: local}
on_drop: route
stages:
  - name: main
    reader: {type: jsonl, paths: "%s"}
    steps:
      - {type: url_dedup}
      - {type: exact_dedup}
      - {type: line_dedup, unit: sentence, min_docs: 3}
      - {type: minhash_dedup}
    writer: {type: jsonl}
"""


def pages(data: Path) -> list[dict]:
    out = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            out.append({"id": r["id"], "url": r["url"], "text": r["text"]})
    for lang, i, text in register_texts(data):
        out.append({"id": f"{lang}{i}", "url": f"https://{lang}.example.org/{i}", "text": text})
    return out


def register_texts(data: Path):
    """(language, line number, text) of each register-multiling document of 50+ characters, its paragraph marks
    made line breaks (bench/default_steps_same.py reads them through this too)."""
    for path in sorted(glob.glob(str(data / "crawl" / "register-multiling" / "*" / "*.tsv.gz"))):
        lang = Path(path).parent.name.lower()
        with gzip.open(path, "rt", errors="replace") as f:
            for i, line in enumerate(f):
                parts = line.rstrip("\n").split("\t", 1)
                if len(parts) == 2 and len(parts[1]) >= 50:
                    yield lang, i, parts[1].replace(" ¶ ", "\n")


def vary(r: dict, k: int, rng: random.Random) -> dict:
    lines, url = r["text"].split("\n"), r["url"]
    mode = 0 if k == 0 else 1 + k % 4
    if mode == 1:  # a mirror: the same text on another host
        url = url.replace("://", f"://mirror{k}.")
    elif mode == 2:  # a line dropped, a footer added
        if len(lines) > 3:
            del lines[rng.randrange(len(lines))]
        lines.append(f"Copyright {2000 + k % 25} All rights reserved. Share this article.")
        url += f"?utm_source={k}"
    elif mode == 3:  # a revisit of the same URL with its blocks in another order
        rng.shuffle(lines)
    elif mode == 4:  # cut off
        text = r["text"]
        return {"id": f"{r['id']}~{k}", "url": url + f"#p{k}",
                "text": text[:max(200, len(text) * rng.randint(30, 90) // 100)]}
    return {"id": f"{r['id']}~{k}", "url": url, "text": "\n".join(lines)}


def kept_figures(run: Path) -> dict:
    docs, sources, sentences = 0, set(), collections.Counter()
    for f in sorted((run / "kept").rglob("*.jsonl.zst")):
        for line in zstandard.ZstdDecompressor().stream_reader(f.read_bytes()).read().splitlines():
            d = json.loads(line)
            docs += 1
            sources.add(d["id"].rsplit("~", 1)[0])
            sentences.update({s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", d["text"]) if len(s.split()) >= 8})
    dup = sum(1 for c in sentences.values() if c > 1)
    return {"kept": docs, "sources": len(sources), "sentences": len(sentences),
            "duplicated": round(100 * dup / max(1, len(sentences)), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/data", type=Path)
    ap.add_argument("--records", type=int, default=30000)
    ap.add_argument("--out", default="bench/out/near_copies", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rng = random.Random(28)
    base = pages(args.data)
    docs: list[dict] = []
    k = 0
    while len(docs) < args.records:
        docs.extend(vary(r, k, rng) for r in base[:args.records - len(docs)])
        k += 1
    rng.shuffle(docs)
    shutil.rmtree(args.out, ignore_errors=True)
    (args.out / "in").mkdir(parents=True)
    for s in range(3):
        with gzip.open(args.out / "in" / f"part-{s}.jsonl.gz", "wt") as f:
            f.writelines(json.dumps(d) + "\n" for d in docs[s::3])
    (args.out / "pipe.yaml").write_text(PIPELINE % (args.out.resolve() / "in" / "*.jsonl.gz"))
    print(f"{len(docs):,} records from {len(base):,} real pages")
    print("| copy_share | kept | source pages kept | distinct sentences (8+ words) | of them in 2+ kept documents |")
    print("|---|---|---|---|---|")
    for share in ("0.5", "1.0"):
        run = args.out / f"run-{share}"
        subprocess.run([sys.executable, "-m", "winnow", "run", str(args.out / "pipe.yaml"), "-o", str(run),
                        "--workers", str(args.workers), "--set", f"line_dedup.copy_share={share}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        f = kept_figures(run)
        print(f"| {share} | {f['kept']:,} | {f['sources']:,} | {f['sentences']:,} | {f['duplicated']}% |")


if __name__ == "__main__":
    main()
