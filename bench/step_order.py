"""The default pipeline with ``language`` before ``unicode_fix`` (shipped since stop 28, FineWeb's order) against the
order before (repair first), on the real pages of ``../shared/data/crawl`` (75% not English): the steps' CPU and
whether both orders keep the same documents with the same texts and drop the others for the same reasons.

    PYTHONPATH=src OMP_NUM_THREADS=1 .venv/bin/python bench/step_order.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from near_copies import pages  # noqa: E402  (the same real pages, read the same way)

DEFAULT = Path(__file__).resolve().parents[1] / "src" / "winnow" / "configs" / "default.yaml"


def config(inp: Path, repair_first: bool) -> dict:
    cfg = yaml.safe_load(DEFAULT.read_text())
    stage = cfg["stages"][0]
    stage["reader"] = {"type": "jsonl", "paths": str(inp)}
    steps = [s for s in stage["steps"] if s["type"] != "html_extract"]  # the records are text already
    types = [s["type"] for s in steps]
    i, j = types.index("unicode_fix"), types.index("language")
    fix, lang = steps[i], steps[j]
    steps[min(i, j)], steps[max(i, j)] = (fix, lang) if repair_first else (lang, fix)
    stage["steps"] = steps
    cfg["executor"] = {"type": "inline"}
    return cfg


def fates(run: Path) -> tuple[str, collections.Counter, dict]:
    h, drops = hashlib.sha256(), collections.Counter()
    for where in ("kept", "rejected"):
        for f in sorted((run / where).rglob("*.jsonl.zst")):
            for line in zstandard.ZstdDecompressor().stream_reader(f.read_bytes()).read().splitlines():
                d = json.loads(line)
                if where == "kept":
                    h.update(d["id"].encode() + b"\0" + d["text"].encode() + b"\0")
                else:
                    drops[(d["drop"]["step"], d["drop"]["reason"])] += 1
    steps = json.loads((run / "stats.json").read_text())["stages"][0]["steps"]
    return h.hexdigest(), drops, {s["name"]: s.get("cpu_seconds", 0.0) for s in steps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/data", type=Path)
    ap.add_argument("--out", default="bench/out/step_order", type=Path)
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    inp = args.out / "pages.jsonl"
    recs = pages(args.data)
    inp.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in recs))
    got = {}
    for name, repair_first in (("repair first", True), ("language first (shipped)", False)):
        pipe = args.out / f"{'a' if repair_first else 'b'}.yaml"
        pipe.write_text(yaml.safe_dump(config(inp.resolve(), repair_first), sort_keys=False))
        run = pipe.with_suffix("")
        subprocess.run([sys.executable, "-m", "winnow", "run", str(pipe), "-o", str(run)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got[name] = fates(run)
    print(f"{len(recs):,} real pages")
    print("| order | steps' CPU s | unicode_fix CPU s | language CPU s |")
    print("|---|---|---|---|")
    for name, (_, _, cpu) in got.items():
        print(f"| {name} | {sum(cpu.values()):.1f} | {cpu.get('unicode_fix', 0):.2f} | {cpu.get('language', 0):.2f} |")
    (ha, da, _), (hb, db, _) = got.values()
    print(f"kept documents and texts identical: {ha == hb}; drops by step and reason identical: {da == db}")


if __name__ == "__main__":
    main()
