"""Decompression bombs against every reader: CPU seconds and peak RSS of a fresh process reading each one.

Each bomb is a small file that expands to hundreds of MiB (issue 11, item 4): a ``.jsonl.zst`` holding one 512 MiB
line, a WARC response whose payload is ``Content-Encoding: gzip`` (~130 KB -> ~128 MiB), a Parquet file whose one
dictionary value (1 MiB) is referenced by 1400 rows, a Parquet file holding one 256 MiB value, a 300 MiB value
among 300 small rows of one row group (its average row is under the cap), and a ``.txt.gz`` in a text folder
(~260 KB -> 256 MiB); stop 28 added a ``.jsonl.bz2`` and a ``.jsonl.xz`` holding one 256 MiB line, a 30 MB
JSON line of 10 million empty arrays (1 GB of Python objects; also under a 1 GiB address-space limit) and a
Parquet row of 20 million zeros in a list column. Each is read by the reader's ``read()`` in its own subprocess (so peak RSS is
that of the read alone, plus the interpreter and imports: the ``baseline`` row reads one tiny JSONL file), under a
time limit. The files are built in a temporary folder and removed afterwards; no ../shared data is needed.

    PYTHONPATH=src .venv/bin/python bench/reader_bombs.py [--timeout 300] [--out bench/results/reader_bombs.md]

To compare with another checkout, run it twice with PYTHONPATH pointing at each ``src``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

MiB = 1 << 20

CHILD = r"""
import sys, collections, resource
if len(sys.argv) > 3:  # an address-space limit (MiB), as a worker in a container or under ulimit -v has
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]) << 20, resource.RLIM_INFINITY))
from winnow.registry import lookup
import winnow.io.jsonl, winnow.io.parquet, winnow.io.text, winnow.io.warc
kind, path = sys.argv[1], sys.argv[2]
cls = lookup(kind, "reader")
r = cls(paths=path)
n = collections.Counter()
for shard in r.shards():
    for item in r.read(shard):
        n[type(item).__name__ if type(item).__name__ == "Document" else "Q:" + item.reason] += 1
print(dict(sorted(n.items())))
"""


def _zstd_line(path: Path, n: int) -> None:
    import zstandard

    with open(path, "wb") as raw:
        w = zstandard.ZstdCompressor(level=19).stream_writer(raw)
        w.write(b'{"id": "bomb", "text": "')
        chunk = b"a" * MiB
        for _ in range(n // MiB):
            w.write(chunk)
        w.write(b'"}\n')
        w.close()


def _gzip_stream(n: int, head: bytes = b"") -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(head)]
    chunk = b"a" * MiB
    for _ in range(n // MiB):
        out.append(c.compress(chunk))
    out.append(c.flush())
    return b"".join(out)


def _warc(path: Path, n: int) -> None:
    payload = _gzip_stream(n, b"<html><body><p>")
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(payload)) + payload
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://bomb.example/\r\n"
            b"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(http))
    path.write_bytes(gzip.compress(head + http + b"\r\n\r\n", mtime=0))


def _parquet_dict(path: Path, rows: int, value_bytes: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["a" * value_bytes]))
    ids = pa.array([str(i) for i in range(rows)])
    pq.write_table(pa.table({"id": ids, "text": text}), path, compression="zstd", compression_level=19)


def _parquet_one(path: Path, value_bytes: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["big"], "text": ["a" * value_bytes]}), path, compression="zstd",
                   compression_level=19, use_dictionary=False)


def _parquet_big_group(path: Path, value_bytes: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"small {i}" for i in range(300)] + ["a" * value_bytes]
    pq.write_table(pa.table({"id": [str(i) for i in range(301)], "text": texts}), path, compression="zstd",
                   compression_level=19, use_dictionary=False)


def _packed_line(path: Path, n: int, codec: str) -> None:
    import bz2
    import lzma

    c = bz2.BZ2Compressor(9) if codec == "bz2" else lzma.LZMACompressor(preset=1)
    with open(path, "wb") as f:
        f.write(c.compress(b'{"id": "bomb", "text": "'))
        chunk = b"a" * MiB
        for _ in range(n // MiB):
            f.write(c.compress(chunk))
        f.write(c.compress(b'"}\n{"id": "after", "text": "fine"}\n'))
        f.write(c.flush())


def _json_arrays(path: Path, n: int) -> None:
    """One line of ``n`` empty JSON arrays (3 bytes each, under max_record_bytes): ~24x its size as Python objects."""
    with open(path, "wb") as f:
        f.write(b'{"id": "before", "text": "fine"}\n{"id": "bomb", "text": "x", "m": [')
        f.write(b"[]," * n + b"[]]}\n")
        f.write(b'{"id": "after", "text": "fine"}\n')


def _parquet_list(path: Path, n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": f"d{i}", "text": f"text {i}", "m": [i]} for i in range(2000)]
    pq.write_table(pa.Table.from_pylist(rows[:1000] + [{"id": "big", "text": "x", "m": [0] * n}] + rows[1000:]), path,
                   row_group_size=100_000)


def _text_gz(folder: Path, n: int) -> None:
    folder.mkdir()
    (folder / "bomb.txt.gz").write_bytes(_gzip_stream(n))


def build(tmp: Path) -> list[tuple[str, str, Path]]:
    """Write the bombs (run in a child process: peak RSS survives exec on Linux, so a parent that held a 256 MiB
    string while building would report it for every reader it starts)."""
    cases = []
    small = tmp / "baseline.jsonl"
    small.write_bytes(b'{"id": "1", "text": "hello"}\n')
    cases.append(("baseline (tiny JSONL)", "jsonl", small))
    p = tmp / "line.jsonl.zst"
    _zstd_line(p, 512 * MiB)
    cases.append(("jsonl.zst, one 512 MiB line", "jsonl", p))
    p = tmp / "bomb.warc.gz"
    _warc(p, 128 * MiB)
    cases.append(("warc, gzip Content-Encoding 128 MiB", "warc", p))
    p = tmp / "dict.parquet"
    _parquet_dict(p, 1400, MiB)
    cases.append(("parquet, 1 MiB dictionary value x 1400 rows", "parquet", p))
    p = tmp / "one.parquet"
    _parquet_one(p, 256 * MiB)
    cases.append(("parquet, one 256 MiB value", "parquet", p))
    p = tmp / "group.parquet"
    _parquet_big_group(p, 300 * MiB)
    cases.append(("parquet, 300 small rows + one 300 MiB value", "parquet", p))
    _text_gz(tmp / "txt", 256 * MiB)
    cases.append(("text folder, .txt.gz of 256 MiB", "text", tmp / "txt"))
    # stop 28 (robust12)
    for codec in ("bz2", "xz"):
        p = tmp / f"line.jsonl.{codec}"
        _packed_line(p, 256 * MiB, codec)
        cases.append((f"jsonl.{codec}, one 256 MiB line", "jsonl", p))
    p = tmp / "arrays.jsonl"
    _json_arrays(p, 10_000_000)
    cases.append(("jsonl, a 30 MB line of 10M empty arrays", "jsonl", p))
    cases.append(("the same, under a 1 GiB address-space limit", "jsonl@1024", p))
    p = tmp / "zeros.parquet"
    _parquet_list(p, 20_000_000)
    cases.append(("parquet, one row of 20M zeros in a list column", "parquet", p))
    return cases


def measure(kind: str, path: Path, timeout: float) -> tuple[str, float, float, str]:
    """(status, CPU seconds, peak RSS MiB, what was read) of a child process reading ``path``."""
    t0 = time.monotonic()
    kind, _, limit = kind.partition("@")
    args = [sys.executable, "-c", CHILD, kind, str(path)] + ([limit] if limit else [])
    if kind == "text":
        args = [sys.executable, "-c", CHILD.replace("cls(paths=path)", "cls(paths=path, pattern='**/*')"), kind,
                str(path)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    status = "ok"
    while True:
        pid, wstatus, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pid, wstatus, ru = os.wait4(proc.pid, 0)
            status = f"killed after {timeout:.0f} s"
            break
        time.sleep(0.05)
    out = proc.stdout.read().decode().strip()
    err = proc.stderr.read().decode().strip()
    proc.returncode = os.waitstatus_to_exitcode(wstatus)
    if status == "ok" and proc.returncode != 0:
        status = f"exit {proc.returncode}: {err.splitlines()[-1][:80] if err else ''}"
    return status, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default=None, help="also write the table to this Markdown file")
    ap.add_argument("--build", help=argparse.SUPPRESS)  # internal: write the bombs into this folder
    args = ap.parse_args()
    if args.build:
        for label, kind, path in build(Path(args.build)):
            print(f"{label}\t{kind}\t{path}")
        return
    with tempfile.TemporaryDirectory(prefix="winnow-bombs-") as d:
        listing = subprocess.run([sys.executable, __file__, "--build", d], check=True, capture_output=True, text=True)
        cases = [(label, kind, Path(path)) for label, kind, path in
                 (line.split("\t") for line in listing.stdout.splitlines())]
        rows = ["| bomb | input bytes | status | CPU s | peak RSS MiB | read |", "|---|---:|---|---:|---:|---|"]
        for label, kind, path in cases:
            size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
            status, cpu, rss, out = measure(kind, path, args.timeout)
            rows.append(f"| {label} | {size:,} | {status} | {cpu:.2f} | {rss:.0f} | {out} |")
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
