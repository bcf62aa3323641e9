"""Same output for the default pipeline's own-feature steps, chained as the pipeline chains them: line_noise,
offtopic_sentences, stitched_document, gopher_repetition on one Document object each (a dropped document stops
there), every output written (text, edits with reasons and scores, attributes, drop) with each step's CPU seconds,
so two source trees can be compared exactly.

Documents: the e2e documents as they enter line_noise in the default pipeline (``--e2e-run``: a finished run of the
default steps before line_noise, its line_dedup edits and language attributes included), every page of
``<data>/crawl/web-pages.jsonl.gz`` as its whole visible text and as its main text, and every document of
``<data>/crawl/register-multiling`` (11 languages; read as bench/near_copies.py reads them):

    python bench/e2e.py --data ../shared/data --runs none          # builds bench/out/e2e/pages.warc.gz
    python bench/default_steps_same.py --pre-config > bench/out/steps-pre.yaml
    winnow run bench/out/steps-pre.yaml -o bench/out/steps-pre       # the default steps before line_noise
    PYTHONPATH=<old>/src python bench/default_steps_same.py --e2e-run bench/out/steps-pre --out old.jsonl
    PYTHONPATH=src python bench/default_steps_same.py --e2e-run bench/out/steps-pre --out new.jsonl
    cmp old.jsonl new.jsonl                                          # (the CPU seconds go to stderr)
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from time import process_time

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("line_noise", "offtopic_sentences", "stitched_document", "gopher_repetition")


def documents(data: Path, e2e_run: str | None, sets: list[str]):
    from winnow.document import Document

    if e2e_run and "e2e" in sets:
        for f in sorted(Path(e2e_run, "kept").rglob("*.jsonl*")):
            raw = f.read_bytes()
            if f.name.endswith(".zst"):
                import zstandard

                raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
            for line in raw.splitlines():
                if line.strip():
                    yield "e2e", Document.from_json(line)
    for key, name in (("text", "web"), ("main_text", "main")):
        if name not in sets:
            continue
        with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt") as f:
            for line in f:
                r = json.loads(line)
                if r.get(key):
                    yield name, Document(id=f"{r['id']}:{key}", text=r[key])
    if "register" in sets:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from near_copies import register_texts

        for lang, i, text in register_texts(data):
            yield "register", Document(id=f"{lang}{i}", text=text)


def pre_config() -> str:
    """The default pipeline's config up to line_noise over bench/e2e.py's WARC, kept documents uncompressed."""
    import yaml

    cfg = yaml.safe_load((ROOT / "src/winnow/configs/default.yaml").read_text())
    stage = cfg["stages"][0]
    stage["reader"] = {"type": "warc", "paths": str(ROOT / "bench/out/e2e/pages.warc.gz")}
    steps = stage["steps"]
    stage["steps"] = steps[:[s["type"] for s in steps].index("line_noise")]
    stage["writer"] = {"type": "jsonl", "compression": "none"}
    cfg["executor"] = {"type": "inline"}
    return yaml.safe_dump(cfg, sort_keys=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), type=Path)
    ap.add_argument("--e2e-run")
    ap.add_argument("--sets", default="e2e,web,main,register")
    ap.add_argument("--out")
    ap.add_argument("--pre-config", action="store_true", help="print the config of the run --e2e-run reads")
    args = ap.parse_args()
    if args.pre_config:
        print(pre_config(), end="")
        return
    import orjson

    from winnow.registry import load_builtins, lookup
    from winnow.step import Context

    load_builtins()
    steps = []
    for name in STEPS:
        s = lookup(name)()
        s.setup(Context())
        steps.append(s)
    cpu = dict.fromkeys(STEPS, 0.0)
    count: dict[str, int] = {}
    with open(args.out, "wb") as out:
        for which, doc in documents(args.data, args.e2e_run, args.sets.split(",")):
            count[which] = count.get(which, 0) + 1
            for name, step in zip(STEPS, steps):
                c0 = process_time()
                doc = step.process(doc)
                cpu[name] += process_time() - c0
                if doc.drop is not None:
                    break
            out.write(orjson.dumps(doc.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    print(", ".join(f"{k} {v}" for k, v in count.items()) + " documents; CPU s: "
          + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()) + f"; total {sum(cpu.values()):.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
