"""One big input file becomes several shards (byte ranges cut at line starts or WARC record boundaries, runs of
Parquet row groups): the same documents, ids and quarantine positions as reading it whole, deterministic and
resumable."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from winnow.io.jsonl import JsonlReader
from winnow.io.parquet import ParquetReader
from winnow.io.shards import split_key
from winnow.io.warc import WarcReader
from winnow.document import Quarantine
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter
from winnow.steps.dedup import ExactDedup

from tests.helpers import read_all, text_records

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "extract"


def _all(reader, keys):
    out = []
    for k in keys:
        for item in reader.read(k):
            out.append(("Q", item.source, item.location, item.reason) if isinstance(item, Quarantine)
                       else (item.id, item.text, item.metadata.get("warc_offset"), item.metadata.get("source")))
    return out


def _big_jsonl(tmp_path: Path, real_docs) -> Path:
    recs = text_records(real_docs) + text_records(real_docs[:40])  # 40 exact duplicates for exact_dedup
    lines = [orjson.dumps(r) for r in recs]
    for i in range(0, len(lines), 50):  # records without an id: their default id is file stem and line number
        d = orjson.loads(lines[i])
        del d["id"]
        lines[i] = orjson.dumps(d)
    lines.insert(123, b'{"id": "broken", "text": "unterminated')  # a quarantine position to compare
    p = tmp_path / "in" / "big.jsonl"
    p.parent.mkdir()
    p.write_bytes(b"\n".join(lines) + b"\n")
    return p


def test_jsonl_split_gives_the_same_documents_ids_and_positions(tmp_path, real_docs):
    p = _big_jsonl(tmp_path, real_docs)
    whole = JsonlReader(paths=str(p), shard_size_mb=0)
    split = JsonlReader(paths=str(p), shard_size_mb=0.5)
    keys = split.shards()
    assert whole.shards() == [str(p)] and len(keys) > 3
    assert split.shards() == keys  # deterministic
    assert split.input_files(keys) == [str(p)]
    assert _all(split, keys) == _all(whole, [str(p)])
    starts = [split_key(k)[1].start for k in keys]
    data = p.read_bytes()
    assert all(s == 0 or data[s - 1:s] == b"\n" for s in starts)  # every range starts at a line start


def test_split_run_keeps_the_same_set_with_ledger_and_resume(tmp_path, real_docs):
    p = _big_jsonl(tmp_path, real_docs)

    def run(size, out):
        pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(p), shard_size_mb=size),
                                      steps=[LengthFilter(min_chars=500), ExactDedup()])])
        return run_pipeline(pipe, tmp_path / out, "inline", log=False, verify_files=True).stats["stages"][0]

    def kept_ids(out):
        from winnow.io.base import open_read

        ids = []
        for f in sorted((tmp_path / out / "kept" / "s").glob("*.jsonl.zst")):
            with open_read(f) as fh:
                ids += [orjson.loads(x)["id"] for x in fh]
        return ids

    one, many = run(0, "one"), run(0.5, "many")
    assert one["passes"][0]["shards"] == 1 and many["passes"][0]["shards"] > 3
    assert many["balanced"] and (many["in"], many["quarantined"]) == (one["in"], one["quarantined"]) == (
        len(real_docs) + 41, 1)
    assert kept_ids("many") == kept_ids("one") and len(kept_ids("one")) < len(real_docs)
    dedup = lambda st: next(s["dropped"] for s in st["steps"] if s["name"] == "exact_dedup")  # noqa: E731
    assert dedup(many) == dedup(one) != {}  # the duplicates across ranges
    q = lambda out: [orjson.loads(x) for f in sorted((tmp_path / out / "quarantine").rglob("*.jsonl"))  # noqa: E731
                     for x in f.read_bytes().splitlines()]
    assert [(r["source"], r["location"]) for r in q("many")] == [(str(p), "line 124")] == \
           [(r["source"], r["location"]) for r in q("one")]
    # resume: a shard whose marker is gone is redone, byte for byte
    ref = read_all(tmp_path / "many")
    (tmp_path / "many" / "done" / "s" / "p0" / "00002").unlink()
    shutil.rmtree(tmp_path / "many" / "done" / "s" / "p1")
    (tmp_path / "many" / "done" / "s" / "reduce0").unlink()
    run(0.5, "many")
    again = read_all(tmp_path / "many")
    pick = lambda d: {k: v for k, v in d.items() if k.startswith(("kept/", "rejected/", "quarantine/"))}  # noqa: E731
    assert pick(again) == pick(ref)


@pytest.mark.parametrize("plain", [False, True])
def test_warc_split_at_record_boundaries(tmp_path, plain):
    src = FIXTURES / "warcfile.warc.gz"
    if plain:
        p = tmp_path / "warcfile.warc"
        p.write_bytes(gzip.decompress(src.read_bytes()))
    else:
        p = tmp_path / "warcfile.warc.gz"
        shutil.copy(src, p)
    whole = WarcReader(paths=str(p), shard_size_mb=0)
    split = WarcReader(paths=str(p), shard_size_mb=(0.1 if plain else 0.03))
    keys = split.shards()
    assert len(keys) > 2 and split.shards() == keys
    got, want = _all(split, keys), _all(whole, [str(p)])
    assert len(want) > 5 and got == want  # same records, same file-absolute offsets and ids


def test_parquet_split_by_row_groups(tmp_path, real_docs):
    rows = [{"id": (d.id if i % 7 else None), "text": d.text, "url": d.metadata.get("url")}
            for i, d in enumerate(real_docs)]
    p = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(rows), p, row_group_size=25)
    whole = ParquetReader(paths=str(p), shard_size_mb=0)
    split = ParquetReader(paths=str(p), shard_size_mb=0.3)
    keys = split.shards()
    assert len(keys) > 2 and split.input_files(keys) == [str(p)]
    got, want = _all(split, keys), _all(whole, [str(p)])
    assert got == want and any(":" in g[0] for g in got)  # default ids (stem:row) are file-absolute
