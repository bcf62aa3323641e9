"""kill -9 in the middle of a shuffle-merge or a mix, then the same command again: are the outputs (tokens, index,
ids) byte-identical to an uninterrupted one, does every output's ids file name its own documents, and does the
resumed folder hold no temporary file of the killed writers?

    PYTHONPATH=src python bench/shuffle_merge_kill.py --out bench/out/smkill --kills 6

Writes 6 tokenized inputs (4,000 documents each, one with none, with ids files), merges them into 40 files (mix:
30, two sources) with the local executor and 2 workers, once whole and then ``--kills`` times killed with SIGKILL
once the n-th output file appeared (n spread over the outputs), each followed by a resume; prints one line a kill.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def _prep(base: Path) -> None:
    from winnow.document import Document
    from winnow.io.tokenized import FORMATS

    words = "the of and to in a is that for it as was with be by on not he this are or his from at which".split()
    w = FORMATS["nanogpt"](doc_ids=True)
    (base / "in").mkdir(parents=True)
    for k in range(6):
        h = w.open(base / "in" / f"{k:05d}.bin")
        for i in range(0 if k == 2 else 4000):  # input 2 holds no document
            h.write(Document(f"d{k}-{i}", " ".join(words[(i * 7 + k * 3 + j) % len(words)] for j in range(60 + i % 90))))
        h.close()


def _run(base: Path, what: str, out: Path) -> None:
    from winnow.shuffle_merge import mix, shuffle_merge

    ins = [str(base / "in" / f"{k:05d}.bin") for k in range(6)]
    if what == "shuffle-merge":
        shuffle_merge(ins, str(out), files=40, seed=3, executor="local", workers=2)
    else:
        mix({"a": ins[:1] + ins[2:], "b": ins[1:2]}, {"a": 2, "b": 1}, str(out), files=30, seed=4,
            tokens=3_000_000, executor="local", workers=2)


def _digest(out: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(out.iterdir()):
        if p.is_file() and p.suffix != ".json":  # the plan and mixture records name the folder and time it
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


def _ids_match(base: Path, out: Path) -> int:
    """Outputs' documents whose tokens differ from those of the input document their ids line names."""
    import numpy as np
    import orjson

    from winnow.io.tokenized import read_tokenized

    def docs(path: Path) -> list[tuple[str, bytes]]:
        tf = read_tokenized(str(path), "nanogpt")
        ids = [orjson.loads(x)["id"] for x in path.with_suffix(".ids.jsonl").read_bytes().splitlines()]
        assert len(ids) == len(tf)
        return [(x, np.asarray(tf.tokens[tf.bounds[i]:tf.bounds[i + 1]]).tobytes()) for i, x in enumerate(ids)]

    src = dict(d for p in sorted((base / "in").glob("[0-9]*.bin")) for d in docs(p))
    return sum(src[x] != t for p in sorted(out.glob("[!.]*.bin")) for x, t in docs(p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    base = Path(args.out)
    if args.child:
        _run(base, args.child[0], Path(args.child[1]))
        return
    shutil.rmtree(base, ignore_errors=True)
    _prep(base)
    me = [sys.executable, __file__, "--out", str(base), "--child"]
    for what, files in (("shuffle-merge", 40), ("mix", 30)):
        subprocess.run([*me, what, str(base / f"{what}-whole")], check=True)
        want = _digest(base / f"{what}-whole")
        for i in range(args.kills):
            out = base / f"{what}-{i}"
            n = 1 + i * (files - 1) // max(1, args.kills - 1)
            p = subprocess.Popen([*me, what, str(out)], stderr=subprocess.DEVNULL)
            while p.poll() is None and (not out.exists() or sum(1 for q in out.glob("[!.]*.bin")) < n):
                time.sleep(0.002)
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            done = sum(1 for q in out.glob("[!.]*.bin")) if out.exists() else 0
            temps = sorted(q.name for q in out.rglob(".tmp-*")) if out.exists() else []
            subprocess.run([*me, what, str(out)], check=True, stderr=subprocess.DEVNULL)
            left = sorted(q.name for q in out.rglob(".tmp-*")) + sorted(q.name for q in out.glob(".by-output"))
            print(f"{what}: killed with {done}/{files} outputs written, {len(temps)} temporary file(s); resumed: "
                  f"{'identical' if _digest(out) == want else 'DIFFERENT'}, ids mismatches {_ids_match(base, out)}, "
                  f"left over {left or 'none'}", flush=True)


if __name__ == "__main__":
    main()
