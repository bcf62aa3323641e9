"""What the ids files cost a shuffle-merge: bytes read and peak memory per task, and CPU, on synthetic inputs.

    python bench/shuffle_merge_ids.py [--docs 200000] [--inputs 4] [--files 20] [--work /tmp/x]

Writes --inputs megatron files (the bytes tokenizer, each with its ``<shard>.ids.jsonl``) holding --docs short
documents in all (ids like a crawl's: ``<urn:uuid:...>``-shaped, ~45 characters), then shuffle-merges them into
--files outputs on the inline executor twice: once with tracemalloc (each task's peak of Python and numpy
allocations) and once without (CPU seconds). Bytes read are the process's read() bytes (``rchar`` of
/proc/self/io, Linux) during each task; the tokens are memory maps, which read() does not count, so this is the
ids files, the .idx files and the plan. The same merge with inputs written without ids files (``doc_ids: false``)
gives the part that is not the ids'.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import winnow.shuffle_merge as sm  # noqa: E402
from winnow.document import Document  # noqa: E402
from winnow.io.tokenized import MegatronWriter  # noqa: E402


def rchar() -> int:
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def write_inputs(folder: Path, docs: int, inputs: int, doc_ids: bool) -> str:
    folder.mkdir(parents=True)
    w = MegatronWriter(doc_ids=doc_ids)
    for k in range(inputs):
        h = w.open(folder / f"{k:05d}.bin")
        for i in range(k, docs, inputs):
            u = uuid.UUID(int=i * 2654435761 % (1 << 128))
            h.write(Document(f"<urn:uuid:{u}>", f"document {i} " * 4))
        h.close()
    return str(folder / "*.bin")


def merge(pattern: str, out: Path, files: int, trace: bool) -> list[dict]:
    per: list[dict] = []
    real = sm._run_task

    def measured(task):
        r0, c0 = rchar(), time.process_time()
        if trace:
            tracemalloc.reset_peak()
        res = real(task)
        per.append({"task": type(task).__name__, "read": rchar() - r0, "cpu": time.process_time() - c0,
                    "peak": tracemalloc.get_traced_memory()[1] if trace else 0})
        return res

    sm._run_task = measured
    try:
        if trace:
            tracemalloc.start()
        sm.shuffle_merge([pattern], str(out), files=files, seed=1, executor="inline")
    finally:
        sm._run_task = real
        if trace:
            tracemalloc.stop()
    return per


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--inputs", type=int, default=4)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="shuffle-ids-"))
    shutil.rmtree(work, ignore_errors=True)
    try:
        for doc_ids in (True, False):
            pattern = write_inputs(work / f"in-{doc_ids}", a.docs, a.inputs, doc_ids)
            ids_bytes = sum(p.stat().st_size for p in (work / f"in-{doc_ids}").glob("*.ids.jsonl"))
            mem = merge(pattern, work / f"mem-{doc_ids}", a.files, trace=True)
            cpu = merge(pattern, work / f"cpu-{doc_ids}", a.files, trace=False)
            by: dict[str, list[dict]] = {}
            for m in mem:
                by.setdefault(m["task"], []).append(m)
            print(f"ids files: {doc_ids} ({ids_bytes:,} bytes, {a.docs:,} documents in {a.inputs} inputs -> "
                  f"{a.files} outputs)")
            for name, ms in by.items():
                print(f"  {name} x{len(ms)}: read {sum(m['read'] for m in ms):,} bytes in all "
                      f"(max {max(m['read'] for m in ms):,} a task); peak memory max {max(m['peak'] for m in ms):,} "
                      f"bytes a task")
            print(f"  CPU (all tasks, no tracing): {sum(m['cpu'] for m in cpu):.3f} s; read in all "
                  f"{sum(m['read'] for m in cpu):,} bytes")
    finally:
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
