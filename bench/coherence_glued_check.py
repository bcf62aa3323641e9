"""Same output, less CPU: run OfftopicSentences on real pages and write every removal (span, reason, score) and
the CPU seconds, so two versions of the code (PYTHONPATH=<tree>/src) can be compared exactly.

    PYTHONPATH=src python bench/coherence_glued_check.py --out new.pkl [--pages 300] [--profile]
    python bench/coherence_glued_check.py --compare old.pkl new.pkl
"""
import argparse
import gzip
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts(data: Path, pages: int) -> list[tuple[str, str]]:
    out = []
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= pages:
                break
            d = json.loads(line)
            for field in ("main_text", "text"):
                if d.get(field):
                    out.append((f"{d['id']}:{field}", d[field]))
    for p in sorted((ROOT / "tests" / "fixtures" / "coherence").glob("*.jsonl")):
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines()):
            d = json.loads(line)
            if d.get("text"):
                out.append((f"{p.name}:{i}", d["text"]))
    return out


def run(docs) -> tuple[list, float]:
    from winnow.document import Document
    from winnow.steps.coherence import OfftopicSentences

    step = OfftopicSentences()
    results = []
    cpu = 0.0
    for name, text in docs:
        doc = Document(name, text)
        t0 = time.process_time()
        doc = step.process(doc)
        cpu += time.process_time() - t0
        results.append((name, doc.text, repr(doc.edits), repr(doc.drop)))
    return results, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--compare", nargs=2)
    a = ap.parse_args()
    if a.compare:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _step_speed import compare  # the speed checks' comparison of two saved outputs

        sys.exit(compare(*a.compare))
    docs = texts(Path(a.data), a.pages)
    if a.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile(time.process_time)
        pr.enable()
        run(docs)
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(r"coherence.py|re\.|method", 45)
        return
    results, cpu = run(docs)
    print(f"{len(docs)} documents, offtopic_sentences cpu {cpu:.2f}s")
    if a.out:
        Path(a.out).write_bytes(pickle.dumps({"results": results, "cpu": cpu}))


if __name__ == "__main__":
    main()
