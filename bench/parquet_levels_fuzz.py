"""Fuzz the Parquet reader's repetition-level walk (winnow.io.parquet._chunk_shape) and the reader around it.

Seeded. Writes unusual but valid files (lists, lists of lists, lists of structs, maps, a list inside a struct, many row
groups, v1/v2 pages, five codecs, dictionary or not, small pages), then:

1. valid files: the longest row the walk reads from every repeated column is the one pyarrow's values give, and the
   reader (its cap lowered so that every chunk is walked) gives pyarrow's rows, all of them, in order;
2. mutated files (bytes of a page header or body flipped, set to 0xff/0x00, a huge varint written, the file cut,
   a page header written again with a size or count negative, 0 or past 32 bits):
   neither the walk nor the reader raises, hangs (an alarm at 20 s) or spends more than --slow CPU seconds on one
   file; where pyarrow reads the mutated file whole, the reader gives its rows too (or quarantines rows; a
   refusal of a file pyarrow reads is counted and listed).

    python bench/parquet_levels_fuzz.py --seed 0 --files 40 --mutations 60

Prints the counts; exits 1 on any crash, hang or slow file.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from winnow.io import parquet as P
from winnow.io.parquet import ParquetReader
from winnow.document import Quarantine


def _leaves(t: pa.DataType):
    """One function a Parquet leaf of ``t`` (in the file's leaf order): a value -> its slots (repetition levels)."""
    if pa.types.is_map(t):
        for k in _leaves(t.key_type):
            yield lambda v, k=k: 1 if not v else sum(k(x[0]) for x in v)
        for f in _leaves(t.item_type):
            yield lambda v, f=f: 1 if not v else sum(f(x[1]) for x in v)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        for f in _leaves(t.value_type):
            yield lambda v, f=f: 1 if not v else sum(f(x) for x in v)
    elif pa.types.is_struct(t):
        for j in range(t.num_fields):
            name = t.field(j).name
            for f in _leaves(t.field(j).type):
                yield lambda v, f=f, name=name: f(None if v is None else v[name])
    else:
        yield lambda v: 1


def _table(rnd: random.Random, rows: int) -> pa.Table:
    def lst(k):
        return [None if rnd.random() < 0.05 else [rnd.randrange(5) for _ in range(rnd.choice([0, 1, 3, k]))]
                for _ in range(rows)]
    long_ = rnd.choice([5, 50, 800])
    cols = {"text": [f"t{i}" for i in range(rows)], "id": [f"r{i}" for i in range(rows)]}
    shapes = rnd.sample(["list", "listlist", "liststruct", "map", "structlist"], rnd.randint(1, 3))
    for s in shapes:
        if s == "list":
            cols[s] = pa.array(lst(long_), pa.list_(pa.int64()))
        elif s == "listlist":
            cols[s] = pa.array([None if v is None else [v[:len(v) // 2], v[len(v) // 2:]] for v in lst(long_)],
                               pa.list_(pa.list_(pa.int64())))
        elif s == "liststruct":
            cols[s] = pa.array([None if v is None else [{"a": x, "b": "s" * x} for x in v] for v in lst(long_)],
                               pa.list_(pa.struct([("a", pa.int64()), ("b", pa.string())])))
        elif s == "map":
            cols[s] = pa.array([None if v is None else [(f"k{j}", x) for j, x in enumerate(v)] for v in lst(long_)],
                               pa.map_(pa.string(), pa.int64()))
        else:
            cols[s] = pa.array([{"l": v, "n": i} for i, v in enumerate(lst(long_))],
                               pa.struct([("l", pa.list_(pa.int64())), ("n", pa.int64())]))
    return pa.table(cols)


def _write(rnd: random.Random, path: Path) -> pa.Table:
    t = _table(rnd, rnd.choice([1, 7, 300, 2000]))
    pq.write_table(t, path, compression=rnd.choice(["none", "snappy", "zstd", "gzip", "brotli"]),
                   use_dictionary=rnd.random() < 0.5, data_page_version=rnd.choice(["1.0", "2.0"]),
                   data_page_size=rnd.choice([64, 1000, 32_768]), row_group_size=rnd.choice([1, 50, 10_000]))
    return t


def _walk_all(path: Path) -> list:
    try:
        md = pq.ParquetFile(path).metadata
    except Exception:  # a footer pyarrow refuses: the reader quarantines the file before any walk
        return []
    out = []
    with open(path, "rb") as f:
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for j in range(rg.num_columns):
                r = md.schema.column(j).max_repetition_level
                out.append((g, j, P._chunk_shape(f, rg.column(j), r, 1 << 40) if r else None))
    return out


def _reader_rows(path: Path) -> list:
    return list(ParquetReader(paths=str(path), format="peer", max_record_bytes=1 << 18).read(str(path)))


def _zz(v: int) -> bytes:
    z, out = (v << 1) if v >= 0 else (((-v) << 1) - 1), bytearray()
    while True:
        out.append((z & 0x7F) | (0x80 if z >> 7 else 0))
        z >>= 7
        if not z:
            return bytes(out)


_HOSTILE = [-1, -(1 << 31), 0, 1, (1 << 31) - 1, 1 << 32, 1 << 40, 1 << 66]


def _lying_header(rnd: random.Random, data: bytes, at: int) -> bytes | None:
    """The page header at ``at`` written again with one of its sizes or counts hostile (a negative, past 32 bits,
    0, ...), over the bytes there (the body after it is cut by as much as the header grew)."""
    try:
        unc, comp, hlen, kind, sub = P._page_info(data[at:at + 4096])
    except Exception:
        return None
    if kind not in (0, 3):
        return None
    f = {"unc": unc, "comp": comp, "nv": sub.get(1, 0), "rep": sub.get(6, 0), "dl": sub.get(5, 0), "enc": 3}
    f[rnd.choice(list(f) if kind == 3 else ["unc", "comp", "nv", "enc"])] = rnd.choice(_HOSTILE)
    if kind == 0:
        body = b"\x2c\x15" + _zz(f["nv"]) + b"\x15" + _zz(0) + b"\x15" + _zz(3) + b"\x15" + _zz(f["enc"])
    else:
        body = (b"\x5c\x15" + _zz(f["nv"]) + b"\x15" + _zz(0) + b"\x15" + _zz(f["nv"]) + b"\x15" + _zz(0)
                + b"\x15" + _zz(f["dl"]) + b"\x15" + _zz(f["rep"]))
    head = b"\x15" + _zz(kind) + b"\x15" + _zz(f["unc"]) + b"\x15" + _zz(f["comp"]) + body + b"\x00\x00"
    return data[:at] + head + data[at + len(head):]


class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--mutations", type=int, default=60)
    ap.add_argument("--slow", type=float, default=5.0, help="CPU seconds one file may take")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    P._WALK_PAGES = 1 << 16  # (as shipped)
    P._MAX_PAGE_BYTES = 1 << 20  # chunks of over 52,428 values are walked by the reader (cap 1 MiB)
    signal.signal(signal.SIGALRM, _alarm)
    counts = dict(valid_files=0, chunks_walked=0, walk_differs=0, reader_differs=0, mutated=0, crashed=0, hung=0,
                  slow=0, pyarrow_reads=0, reader_gives_pyarrows_rows=0, reader_refuses_readable=0)
    worst = 0.0
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.files):
            path = Path(tmp) / f"{k}.parquet"
            t = _write(rnd, path)
            counts["valid_files"] += 1
            md = pq.ParquetFile(path).metadata
            funcs = [f for name in t.column_names for f in _leaves(t.schema.field(name).type)]
            starts = np.cumsum([0] + [md.row_group(g).num_rows for g in range(md.num_row_groups)])
            for g, j, shape in _walk_all(path):
                if shape is None:
                    continue
                counts["chunks_walked"] += 1
                name = md.schema.column(j).path.split(".")[0]
                vals = t.column(name).slice(starts[g], starts[g + 1] - starts[g]).to_pylist()
                true = max(funcs[j](v) for v in vals)
                if shape[1] != true:
                    counts["walk_differs"] += 1
                    findings.append(f"file {k} rg {g} col {j}: walk {shape[1]} true {true}")
            items = _reader_rows(path)
            got = [x.text for x in items if not isinstance(x, Quarantine)]
            if got != t.column("text").to_pylist():
                counts["reader_differs"] += 1
                bad = next((i for i, (x, y) in enumerate(zip(got, t.column("text").to_pylist())) if x != y), None)
                why = sorted({(x.reason, x.message[:150]) for x in items if isinstance(x, Quarantine)})[:2]
                findings.append(f"file {k}: reader {len(got)} rows of {t.num_rows}, first differing {bad}; {why}")
            data = path.read_bytes()
            pages = sorted({c.data_page_offset for g in range(md.num_row_groups)
                            for c in map(md.row_group(g).column, range(md.num_columns))}
                           | {c.dictionary_page_offset for g in range(md.num_row_groups)
                              for c in map(md.row_group(g).column, range(md.num_columns)) if c.has_dictionary_page})
            for m in range(a.mutations):
                b = bytearray(data)
                at = rnd.choice(pages) + rnd.choice([0, 1, 2, 3, 5, 8, rnd.randrange(64), rnd.randrange(4096)])
                op = rnd.randrange(7)
                if op >= 5:
                    lied = _lying_header(rnd, data, rnd.choice(pages))
                    if lied is None:
                        continue
                    b = bytearray(lied)
                elif op == 0:
                    b[at % len(b)] ^= 1 << rnd.randrange(8)
                elif op == 1:
                    for i in range(rnd.randint(1, 8)):
                        b[(at + i) % len(b)] = rnd.choice([0, 0xFF, 0x7F, 0x80])
                elif op == 2:
                    v = bytes([0xFF] * rnd.randint(4, 10) + [0x01])
                    b[at:at + len(v)] = v  # a huge varint, same length
                    del b[len(data):]
                elif op == 3:
                    b[at:at + 4] = rnd.randbytes(4)
                    del b[len(data):]
                else:  # cut inside a page, footer kept (the metadata lies about what follows)
                    cut = rnd.randint(1, 200)
                    b = b[:at] + b[at + cut:]
                mpath = Path(tmp) / f"{k}.{m}.parquet"
                mpath.write_bytes(bytes(b))
                counts["mutated"] += 1
                t0 = time.process_time()
                signal.alarm(20)
                try:
                    _walk_all(mpath)
                    items = _reader_rows(mpath)
                    signal.alarm(0)
                except _Hang:
                    counts["hung"] += 1
                    findings.append(f"file {k} mutation {m}: hung")
                    continue
                except Exception:
                    signal.alarm(0)
                    counts["crashed"] += 1
                    findings.append(f"file {k} mutation {m}: {traceback.format_exc(limit=3)}")
                    continue
                spent = time.process_time() - t0
                worst = max(worst, spent)
                if spent > a.slow:
                    counts["slow"] += 1
                    findings.append(f"file {k} mutation {m}: {spent:.1f} CPU s")
                try:
                    want = pq.read_table(mpath).column("text").to_pylist()
                except Exception:
                    continue
                counts["pyarrow_reads"] += 1
                got = [x.text for x in items if not isinstance(x, Quarantine)]
                if got == want:
                    counts["reader_gives_pyarrows_rows"] += 1
                elif all(isinstance(x, Quarantine) for x in items) or len(got) < len(want):
                    counts["reader_refuses_readable"] += 1
                    reasons = sorted({x.reason for x in items if isinstance(x, Quarantine)})
                    findings.append(f"file {k} mutation {m}: pyarrow reads {len(want)} rows, reader {len(got)} "
                                    f"({reasons})")
                else:
                    counts["reader_differs"] += 1
                    findings.append(f"file {k} mutation {m}: reader rows differ from pyarrow's")
    for f in findings[:40]:
        print(f)
    print(counts, f"worst file {worst:.2f} CPU s")
    return 1 if counts["crashed"] or counts["hung"] or counts["slow"] or counts["walk_differs"] else 0


if __name__ == "__main__":
    sys.exit(main())
