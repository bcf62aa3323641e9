"""The run folder on S3 against a local folder: the same dedup pipeline, requests and bytes by kind, and what the
reduce reads with ranged reads compared with fetching whole key tables. Optionally, the local code path against an
earlier winnow (to show that remote support costs local runs nothing).

    python bench/remote_outputs.py [--data ../shared/data] [--docs 2000] [--shards 4]
        [--baseline-src /tmp/winnow-before/src]   # e.g. git archive 577a2d5 src | tar -x -C /tmp/winnow-before

The S3 server is moto's, on loopback, in this process (pip install 'winnow[dev]'): its latency (~10 ms a request on
2 busy cores, CPU-bound) is not a cloud store's (~10-30 ms, but parallel), so read the request and byte counts as
the portable result and the wall times as this machine's.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.overhead import _cpu, make_input  # noqa: E402


def _pipeline(pattern: str):
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.steps.dedup import ExactDedup, LineDedup, MinhashDedup

    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern),
                                  steps=[ExactDedup(), MinhashDedup(), LineDedup()])])


def _count_s3():
    """Counts every S3 call s3fs makes in this process, with the bytes each moved."""
    import s3fs.core

    calls: collections.Counter = collections.Counter()
    nbytes: collections.Counter = collections.Counter()
    orig = s3fs.core.S3FileSystem._call_s3

    async def counted(self, method, *a, **kw):
        out = await orig(self, method, *a, **kw)
        calls[method] += 1
        if method == "put_object":
            body = kw.get("Body", b"")
            nbytes["up"] += len(body) if isinstance(body, (bytes, bytearray)) else 0
        elif method == "upload_part":
            nbytes["up"] += len(kw.get("Body", b""))
        elif method == "get_object" and isinstance(out, dict):
            nbytes["down"] += int(out.get("ContentLength", 0))
        return out

    s3fs.core.S3FileSystem._call_s3 = counted
    return calls, nbytes


def remote_vs_local(data: Path, n_docs: int, n_shards: int) -> list[str]:
    from tests.io.s3server import read_local, read_remote, s3_server
    from winnow.executors import InlineExecutor
    from winnow.run import run_pipeline
    from winnow.steps import _dedup_store as store

    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-remote-"))
    make_input(data, tmp / "in", n_docs, n_shards, ext=".jsonl.zst")
    pattern = str(tmp / "in" / "*.jsonl.zst")
    w0, c0 = time.perf_counter(), _cpu()
    run_pipeline(_pipeline(pattern), tmp / "run", InlineExecutor(), log=False, report=False)
    local_wall, local_cpu = time.perf_counter() - w0, _cpu() - c0
    local = read_local(tmp / "run")
    # What fetching whole key tables would have read: every table task reads every shard's key file of its table.
    whole = 0
    for step in sorted((tmp / "run" / "work" / "s").iterdir()):
        keys = sorted((step / "c").glob("*.t*k.npy"))
        tables = {p.name.split(".")[1] for p in keys}
        rows = sum(len(store.load(p)) for p in keys if p.name.split(".")[1] == "t0k")
        parts = store.parts_for(rows, 96, 512)
        whole += parts * sum(p.stat().st_size for p in keys) if tables else 0
    calls, nbytes = _count_s3()
    with s3_server() as bucket:
        w0, c0 = time.perf_counter(), _cpu()
        run_pipeline(_pipeline(pattern), f"{bucket}/run", InlineExecutor(), log=False, report=False)
        s3_wall, s3_cpu = time.perf_counter() - w0, _cpu() - c0
        calls, nbytes = collections.Counter(calls), collections.Counter(nbytes)  # the run's, not the check's below
        remote = read_remote(f"{bucket}/run")
    same = all(remote.get(k) == v for k, v in local.items() if k.startswith(("kept/", "rejected/", "quarantine/")))
    key_bytes = sum(len(v) for k, v in local.items() if k.startswith("work/") and ".t" in k and k.endswith("k.npy"))
    out_bytes = sum(len(v) for v in local.values())
    n_req = sum(calls.values())
    return [
        f"# Run folder on S3 (moto, loopback) vs a local folder: {n_docs:,} documents, {n_shards} shards, "
        f"exact + minhash + line dedup, inline executor",
        "",
        "| run folder | wall s | CPU s | requests | uploaded MB | downloaded MB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| local folder | {local_wall:.2f} | {local_cpu:.2f} | - | - | - |",
        f"| s3:// (moto on loopback) | {s3_wall:.2f} | {s3_cpu:.2f} | {n_req:,} | {nbytes['up'] / 1e6:.2f} | "
        f"{nbytes['down'] / 1e6:.2f} |",
        "",
        "- requests by kind: " + ", ".join(f"{k} {v:,}" for k, v in calls.most_common()),
        f"- requests per shard and pass: {n_req / (n_shards * 4):.1f} (4 passes: 3 corpus steps)",
        f"- outputs byte-identical to the local folder's: {same}",
        f"- the run folder holds {out_bytes / 1e6:.2f} MB, of which key tables {key_bytes / 1e6:.2f} MB",
        f"- the reduce fetching whole key tables instead of key ranges would download {whole / 1e6:.2f} MB of keys "
        f"(every table task reads every shard's key file of its table); ranged reads download the ranges "
        f"(each key once per table) plus ~4 KB windows per shard and task",
    ]


def key_range_reads(n_shards: int, rows: int, parts: int) -> list[str]:
    """The reduce's read of one table, split into ``parts`` key ranges, from S3: ranged reads of each range (what
    winnow does) against fetching every shard's whole key array per range task (then the same slices)."""
    import numpy as np

    from tests.io.s3server import s3_server
    from winnow.io.base import as_path
    from winnow.steps import _dedup_store as store

    calls, nbytes = _count_s3()
    rng = np.random.default_rng(1)
    out = []
    with s3_server() as bucket:
        folder = as_path(f"{bucket}/tables")
        shards = tuple(f"{i:05d}" for i in range(n_shards))
        for s in shards:
            keys = rng.integers(0, 2**64, rows, dtype=np.uint64)
            store.ShardWriter(folder, s).write_table(0, keys, np.arange(rows, dtype=np.uint32), keys ^ np.uint64(1))

        def whole(part: int):
            lo, hi = store._range(part, parts)
            keys_all = store.load_many([folder / f"{s}.t0k.npy" for s in shards])
            specs = []
            for s, keys in zip(shards, keys_all):
                a = int(np.searchsorted(keys, np.uint64(lo)))
                b = len(keys) if hi is None else int(np.searchsorted(keys, np.uint64(hi)))
                specs += [(folder / f"{s}.t0o.npy", a, b), (folder / f"{s}.t0k2.npy", a, b)]
            return store.load_rows_many(specs)

        for name, fn in (("ranged reads of each key range (winnow)",
                          lambda p: store.read_table_range(folder, shards, 0, p, parts, True)),
                         ("whole key arrays per range task", whole)):
            calls.clear()
            nbytes.clear()
            t = time.perf_counter()
            for p in range(parts):
                fn(p)
            out.append(f"| {name} | {time.perf_counter() - t:.2f} | {sum(calls.values()):,} | "
                       f"{nbytes['down'] / 1e6:.2f} |")
    size = n_shards * rows * 20 / 1e6
    return [f"# One table's reduce read from S3: {n_shards} shards x {rows:,} keys, {parts} key-range tasks "
            f"(keys {n_shards * rows * 8 / 1e6:.1f} MB, with ordinals and second keys {size:.1f} MB)", "",
            "| strategy | wall s | requests | downloaded MB |", "|---|---:|---:|---:|"] + out


_LOCAL_SNIPPET = """
import sys, time, resource
sys.path.insert(0, {src!r})
from winnow.executors import InlineExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.dedup import ExactDedup, MinhashDedup
steps = [] if {empty} else [ExactDedup(), MinhashDedup()]
pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths={pattern!r}), steps=steps)])
t = time.perf_counter()
run_pipeline(pipe, {out!r}, InlineExecutor(), log=False, report=False)
r = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - t, r.ru_utime + r.ru_stime)
"""


def local_before_after(data: Path, n_docs: int, n_shards: int, baseline_src: str, reps: int = 3) -> list[str]:
    """The same local runs with this winnow and an earlier one, alternated in fresh processes."""
    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-local-"))
    make_input(data, tmp / "in", n_docs, n_shards, ext=".jsonl.zst")
    pattern = str(tmp / "in" / "*.jsonl.zst")
    res: dict[tuple[str, bool], list[tuple[float, float]]] = collections.defaultdict(list)
    k = 0
    for _ in range(reps):
        for empty in (True, False):
            for name, src in (("before", baseline_src), ("after", str(ROOT / "src"))):
                k += 1
                code = _LOCAL_SNIPPET.format(src=src, empty=empty, pattern=pattern, out=str(tmp / f"run{k}"))
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                     env={**os.environ, "PYTHONPATH": src})
                wall, cpu = map(float, out.stdout.split()[-2:])
                res[(name, empty)].append((wall, cpu))
    lines = [f"# Local run folder, this winnow against {baseline_src} ({n_docs:,} documents, {n_shards} shards, "
             f"inline, best of {reps}, alternated)", "",
             "| pipeline | before wall s | after wall s | before CPU s | after CPU s | CPU after/before |",
             "|---|---:|---:|---:|---:|---:|"]
    for empty, label in ((True, "no steps (read, write, ledger)"), (False, "exact + minhash dedup")):
        b = min(res[("before", empty)], key=lambda x: x[1])
        a = min(res[("after", empty)], key=lambda x: x[1])
        lines.append(f"| {label} | {b[0]:.2f} | {a[0]:.2f} | {b[1]:.2f} | {a[1]:.2f} | {a[1] / b[1]:.3f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--baseline-src", default="")
    ap.add_argument("--only-tables", action="store_true", help="only the key-range read comparison")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    data = Path(args.data)
    lines = [] if args.only_tables else remote_vs_local(data, args.docs, args.shards) + [""]
    lines += key_range_reads(args.shards * 2, 100 * args.docs, 16)
    if args.baseline_src:
        lines += [""] + local_before_after(data, 20 * args.docs, args.shards, args.baseline_src)
    load = os.getloadavg()[0]
    lines += ["", f"2 cores shared with other jobs; load average at the end {load:.1f}."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
