"""Same output, less CPU, for line_noise: the step on real pages, every output written (text, edits with their
scores, attributes, drop) with its CPU seconds, so two versions of the code can be compared exactly and side by side.

Pages: the crawl pages of ``<data>/crawl/web-pages.jsonl.gz`` (``--pages`` of them, each as its main text and as
its whole visible text), the coherence fixtures, and, with ``--e2e-run``, the documents as they enter line_noise in
the default pipeline on bench/e2e.py's WARC (a finished run of the default pipeline's steps before line_noise):

    python bench/e2e.py --data ../shared/data --runs none         # builds bench/out/e2e/pages.warc.gz
    python bench/line_noise_speed_check.py --pre-config > bench/out/noisespeed-pre.yaml
    winnow run bench/out/noisespeed-pre.yaml -o bench/out/noisespeed-pre   # the default steps before line_noise

    PYTHONPATH=src python bench/line_noise_speed_check.py --e2e-run bench/out/noisespeed-pre --out new.pkl
    python bench/line_noise_speed_check.py --compare old.pkl new.pkl
    # both versions in one invocation, alternating, each in its own process (CPU seconds of the step):
    python bench/line_noise_speed_check.py --e2e-run bench/out/noisespeed-pre --side-by-side <old>/src src --rounds 2
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pre_config() -> str:
    """The default pipeline's steps before line_noise, on bench/e2e.py's WARC, inline."""
    sys.path.insert(0, str(ROOT / "bench"))
    import e2e

    steps = e2e.default_steps().split("\n")
    cut = next(i for i, ln in enumerate(steps) if "line_noise" in ln)
    return ("run: {name: noisespeed-pre}\nexecutor: {type: inline}\non_drop: route\nstages:\n  - name: main\n"
            "    reader: {type: warc, paths: \"bench/out/e2e/pages.warc.gz\"}\n    steps:\n"
            + "\n".join(steps[:cut]) + "\n    writer: {type: jsonl}\n")


def inputs(data: Path, pages: int, e2e_run: str | None) -> list[tuple[str, dict]]:
    """[(name, Document record)]: crawl pages as main and whole text, the coherence fixtures, the e2e documents."""
    sys.path.insert(0, str(ROOT / "bench"))
    from coherence_glued_check import texts  # the same pages, as (name, text)

    out = [(name, {"id": name, "text": t}) for name, t in texts(data, pages)] if pages else []
    if e2e_run:
        files = sorted((Path(e2e_run) / "kept").rglob("*.jsonl*"))
        for p in files:
            raw = p.read_bytes()
            if p.suffix == ".zst":
                import zstandard

                raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
            for line in raw.splitlines():
                rec = json.loads(line)
                out.append((f"e2e:{rec['id']}", rec))
    return out


def run(docs) -> tuple[list, dict]:
    from winnow.document import Document
    from winnow.steps.noise_lines import LineNoise

    step = LineNoise()
    cpu = 0.0
    results = []
    for name, rec in docs:
        doc = Document.from_dict(rec) if "edits" in rec else Document(rec["id"], rec["text"])
        t0 = time.process_time()
        doc = step.process(doc)
        cpu += time.process_time() - t0
        results.append((name, doc.text, repr(doc.edits), json.dumps(doc.attributes, sort_keys=True),
                        repr(doc.drop)))
    return results, {"line_noise": cpu}


def side_by_side(a: argparse.Namespace) -> None:
    """Run each source tree's version in its own process, alternating, and print the CPU of the step."""
    rows = []
    for r in range(a.rounds):
        for label, src in (("old", a.side_by_side[0]), ("new", a.side_by_side[1])):
            out = ROOT / "bench" / "out" / f"noisespeed-{label}.pkl"
            env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()), OMP_NUM_THREADS="1")
            cmd = [sys.executable, str(Path(__file__).resolve()), "--data", a.data, "--pages", str(a.pages),
                   "--out", str(out)] + (["--e2e-run", a.e2e_run] if a.e2e_run else [])
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
            cpu = pickle.loads(out.read_bytes())["cpu"]
            rows.append((r, label, cpu))
            print(f"round {r} {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()), flush=True)
    old = pickle.loads((ROOT / "bench/out/noisespeed-old.pkl").read_bytes())
    new = pickle.loads((ROOT / "bench/out/noisespeed-new.pkl").read_bytes())
    diff = [x[0] for x, y in zip(old["results"], new["results"]) if x != y]
    print(f"{len(new['results'])} documents, {len(diff)} differ (text, edits, attributes, drop) {diff[:10]}")
    for step in rows[0][2]:
        o = [c[step] for _, lab, c in rows if lab == "old"]
        n = [c[step] for _, lab, c in rows if lab == "new"]
        print(f"| {step} | {min(o):.2f} | {min(n):.2f} | {min(o) / max(1e-9, min(n)):.2f}x |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--pages", type=int, default=800, help="crawl pages (each as main text and whole text)")
    ap.add_argument("--e2e-run", help="a run folder of the default steps before line_noise (see --pre-config)")
    ap.add_argument("--out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--side-by-side", nargs=2, metavar=("OLD_SRC", "NEW_SRC"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pre-config", action="store_true", help="print the config of the run --e2e-run reads")
    a = ap.parse_args()
    if a.pre_config:
        print(pre_config(), end="")
        return
    if a.side_by_side:
        side_by_side(a)
        return
    if a.compare:
        x, y = (pickle.loads(Path(p).read_bytes()) for p in a.compare)
        diff = [r[0] for r, s in zip(x["results"], y["results"]) if r != s]
        print(f"{len(x['results'])} documents, {len(diff)} differ; cpu {x['cpu']} vs {y['cpu']}")
        print(diff[:20])
        sys.exit(1 if diff or len(x["results"]) != len(y["results"]) else 0)
    docs = inputs(Path(a.data), a.pages, a.e2e_run)
    if a.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile(time.process_time)  # CPU time: wall time charges waits on a busy machine to calls
        pr.enable()
        run(docs)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(40)
        return
    results, cpu = run(docs)
    print(f"{len(docs)} documents, cpu " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()))
    if a.out:
        Path(a.out).write_bytes(pickle.dumps({"results": results, "cpu": cpu}))


if __name__ == "__main__":
    main()
