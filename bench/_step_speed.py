"""The driver shared by the step speed checks (bench/coherence_speed_check.py, bench/line_noise_speed_check.py):
the run of the default pipeline's steps before the checked step, its documents read back, and the command line
(one run, ``--profile``, ``--compare`` of two outputs, ``--side-by-side`` of two source trees in their own processes,
alternating). Each check supplies only which step it runs and on which pages."""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


def pre_config(before: str, name: str) -> str:
    """The default pipeline's steps before the first step whose line names ``before``, on bench/e2e.py's WARC."""
    sys.path.insert(0, str(ROOT / "bench"))
    import e2e

    steps = e2e.default_steps().split("\n")
    cut = next(i for i, ln in enumerate(steps) if before in ln)
    return (f"run: {{name: {name}}}\nexecutor: {{type: inline}}\non_drop: route\nstages:\n  - name: main\n"
            "    reader: {type: warc, paths: \"bench/out/e2e/pages.warc.gz\"}\n    steps:\n"
            + "\n".join(steps[:cut]) + "\n    writer: {type: jsonl}\n")


def e2e_documents(e2e_run: str) -> list[tuple[str, dict]]:
    """[(name, record)] of a finished pre-config run's kept documents (compressed or not), in file order."""
    out = []
    for p in sorted((Path(e2e_run) / "kept").rglob("*.jsonl*")):
        raw = p.read_bytes()
        if p.suffix == ".zst":
            import zstandard

            raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
        for line in raw.splitlines():
            rec = json.loads(line)
            out.append((f"e2e:{rec['id']}", rec))
    return out


def timed(docs, steps) -> tuple[list, dict]:
    """Run ``steps`` in order on each document; every output (text, edits, attributes, drop) and CPU per step."""
    from winnow.document import Document

    cpu = {s.name: 0.0 for s in steps}
    results = []
    for name, rec in docs:
        doc = Document.from_dict(rec) if "edits" in rec else Document(rec["id"], rec["text"])
        for s in steps:
            t0 = time.process_time()
            doc = s.process(doc)
            cpu[s.name] += time.process_time() - t0
        results.append((name, doc.text, repr(doc.edits), json.dumps(doc.attributes, sort_keys=True),
                        repr(doc.drop)))
    return results, cpu


def compare(old: str, new: str) -> int:
    """Print how many documents of two saved outputs (``--out``) differ and their CPU; 1 when any differs."""
    x, y = (pickle.loads(Path(p).read_bytes()) for p in (old, new))
    diff = [r[0] for r, s in zip(x["results"], y["results"]) if r != s]
    print(f"{len(x['results'])} documents, {len(diff)} differ; cpu {x['cpu']} vs {y['cpu']}")
    print(diff[:20])
    return 1 if diff or len(x["results"]) != len(y["results"]) else 0


def _side_by_side(a: argparse.Namespace, script: str, prefix: str) -> None:
    rows = []
    outs = {label: ROOT / "bench" / "out" / f"{prefix}-{label}.pkl" for label in ("old", "new")}
    for r in range(a.rounds):
        for label, src in (("old", a.side_by_side[0]), ("new", a.side_by_side[1])):
            env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()), OMP_NUM_THREADS="1")
            cmd = [sys.executable, script, "--data", a.data, "--pages", str(a.pages), "--out", str(outs[label])]
            subprocess.run(cmd + (["--e2e-run", a.e2e_run] if a.e2e_run else []), env=env, check=True,
                           stdout=subprocess.DEVNULL)
            cpu = pickle.loads(outs[label].read_bytes())["cpu"]
            rows.append((r, label, cpu))
            print(f"round {r} {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()), flush=True)
    old, new = (pickle.loads(outs[label].read_bytes()) for label in ("old", "new"))
    diff = [x[0] for x, y in zip(old["results"], new["results"]) if x != y]
    print(f"{len(new['results'])} documents, {len(diff)} differ (text, edits, attributes, drop) {diff[:10]}")
    for step in rows[0][2]:
        o = [c[step] for _, lab, c in rows if lab == "old"]
        n = [c[step] for _, lab, c in rows if lab == "new"]
        print(f"| {step} | {min(o):.2f} | {min(n):.2f} | {min(o) / max(1e-9, min(n)):.2f}x |")


def main(doc: str, script: str, *, before: str, prefix: str,
         inputs: Callable[[Path, int, str | None], list], run: Callable[[list], tuple[list, dict]]) -> None:
    """The command line of a speed check: ``before`` names the checked step (the pre-config stops there), ``prefix``
    names its run and output files, ``inputs(data, pages, e2e_run)`` gives the documents, ``run(docs)`` times them."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--pages", type=int, default=800, help="crawl pages (each as main text and whole text)")
    ap.add_argument("--e2e-run", help=f"a run folder of the default steps before {before} (see --pre-config)")
    ap.add_argument("--out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--side-by-side", nargs=2, metavar=("OLD_SRC", "NEW_SRC"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pre-config", action="store_true", help="print the config of the run --e2e-run reads")
    a = ap.parse_args()
    if a.pre_config:
        print(pre_config(before, f"{prefix}-pre"), end="")
        return
    if a.side_by_side:
        _side_by_side(a, str(Path(script).resolve()), prefix)
        return
    if a.compare:
        sys.exit(compare(*a.compare))
    docs = inputs(Path(a.data), a.pages, a.e2e_run)
    if a.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile(time.process_time)  # CPU time: wall time charges waits on a busy machine to calls
        pr.enable()
        run(docs)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(45)
        return
    results, cpu = run(docs)
    print(f"{len(docs)} documents, cpu " + ", ".join(f"{k} {v:.2f}s" for k, v in cpu.items()))
    if a.out:
        Path(a.out).write_bytes(pickle.dumps({"results": results, "cpu": cpu}))
