"""The run folder on an object store: a real S3-protocol server on loopback (moto's server, the real s3fs client),
the shipped default pipeline (extraction, filters, every dedup step) on real pages of the demo crawl.

A run to ``s3://...`` must leave exactly the objects a run to a local folder leaves, byte for byte (the files that
record timings and the folder's own name aside); a run killed for real resumes from the markers in the bucket;
report and explain read the remote run folder."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
import yaml
import zstandard

from winnow.config import dump_pipeline, load_pipeline
from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.base import RemotePath, as_path, atomic_path
from winnow.run import run_pipeline

from tests.io.s3server import read_local, read_remote, s3_server

DEFAULT_YAML = Path(__file__).resolve().parents[2] / "src" / "winnow" / "configs" / "default.yaml"
SAMPLES = DEFAULT_YAML.parent.parent / "samples" / "crawl"


@pytest.fixture(scope="module")
def bucket():
    with s3_server() as url:
        yield url


@pytest.fixture(scope="module")
def pipeline_yaml(tmp_path_factory) -> Path:
    """The default pipeline on one small shard of real crawl records, four of them twice, so the dedup steps drop.
    One shard: the loopback server takes ~10 ms a request on 2 busy cores, and a run of the default pipeline (five
    passes, four dedup reduces) makes ~350 requests a shard. Cross-shard dedup on S3 is tested on Ray
    (tests/executors/test_ray.py)."""
    tmp = tmp_path_factory.mktemp("remote-in")
    lines = [zstandard.ZstdDecompressor().stream_reader(open(SAMPLES / f"part-{i}.jsonl.zst", "rb")).read()
             .splitlines()[:10] for i in range(2)]
    shards = [lines[0][:6] + lines[1][:6] + lines[0][:4]]
    for i, recs in enumerate(shards):
        (tmp / f"part-{i}.jsonl").write_bytes(b"\n".join(recs) + b"\n")
    pipe = load_pipeline(DEFAULT_YAML)
    pipe.stages[0].reader.paths = str(tmp / "*.jsonl")
    path = tmp / "pipeline.yaml"
    path.write_text(dump_pipeline(pipe))
    return path


@pytest.fixture(scope="module")
def reference(pipeline_yaml, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("remote-ref") / "run"
    run_pipeline(load_pipeline(pipeline_yaml), out, InlineExecutor(), log=False, report=False)
    return read_local(out)


def _comparable(files: dict[str, bytes]) -> dict[str, object]:
    """Everything a run leaves, minus what legitimately differs between two runs: wall times and the worker that ran a shard, the run folder's own
    name (in the resolved config and each first-pass stats file's input), the report (not written by the reference)."""
    out: dict[str, object] = {}
    for name, data in files.items():
        if name == "report.html":
            continue
        if name.endswith(".json") and (name.startswith("stats/") or name == "stats.json") or name.startswith("done/") \
                and "reduce" in name:
            d = orjson.loads(data)
            _drop_seconds(d)
            if name.startswith("stats/"):
                d.pop("input", None)
            out[name] = d
        elif name == "config.resolved.yaml":
            d = yaml.safe_load(data)
            d["run"].pop("output_dir")
            out[name] = d
        else:
            out[name] = data
    return out


def _drop_seconds(d):
    # Times and the worker's pid differ between any two runs (a shard's stats record when and where it ran).
    if isinstance(d, dict):
        for key in ("seconds", "cpu_seconds", "started", "ended", "worker"):
            d.pop(key, None)
        for v in d.values():
            _drop_seconds(v)
    elif isinstance(d, list):
        for v in d:
            _drop_seconds(v)


def test_default_pipeline_to_s3_is_byte_identical_to_a_local_folder(bucket, pipeline_yaml, reference):
    res = run_pipeline(load_pipeline(pipeline_yaml), f"{bucket}/inline", InlineExecutor(), log=False,
                       verify_files=True)  # verify: the ledger re-reads every remote output and counts its records
    assert isinstance(res.run_dir, RemotePath)
    remote = read_remote(f"{bucket}/inline")
    assert any(k.startswith("work/main/") and k.endswith(".npy") for k in remote)  # dedup tables went to S3 too
    assert not [k for k in remote if k.rsplit("/", 1)[-1].startswith(".")]  # no temporary ever uploaded
    assert _comparable(remote) == _comparable(reference)
    st = res.stats["stages"][0]
    assert st["in"] == 16 and st["balanced"] and st["rejected"] >= 4
    assert {s["name"] for s in st["steps"] if s["dropped"]} >= {"exact_dedup"}
    assert b"winnow" in remote["report.html"] and len(remote["report.html"]) > 10_000


def test_run_killed_for_real_resumes_on_the_local_executor(bucket, pipeline_yaml, reference, tmp_path):
    """``winnow run -o s3://...`` killed with SIGKILL after its first shard pass; the same run resumed on the local
    executor (spawned worker processes writing to the bucket) skips that pass and ends byte-identical."""
    url = f"{bucket}/killed"
    done = as_path(url) / "done" / "main" / "p0"
    proc = subprocess.Popen([sys.executable, "-m", "winnow", "run", str(pipeline_yaml), "-o", url,
                             "--executor", "inline"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not done.iterdir():
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # still running: the kill lands mid-run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    left = read_remote(url)
    assert "stats.json" not in left and not any(k.startswith("done/main/p4/") for k in left)
    for name, data in left.items():  # every object under a final name is whole
        if name.endswith(".zst"):
            zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    with LocalExecutor(workers=2, progress=False) as ex:
        res = run_pipeline(load_pipeline(pipeline_yaml), url, ex, log=False, report=False)
    assert res.skipped_shards >= 1
    assert _comparable(read_remote(url)) == _comparable(reference)


def test_report_explain_and_whatif_read_a_remote_run_folder(bucket, pipeline_yaml, capsys):
    from winnow.cli import main

    url = f"{bucket}/inline"  # written by the first test; rerun it here when this test runs alone
    if not (as_path(url) / "stats.json").exists():
        run_pipeline(load_pipeline(pipeline_yaml), url, InlineExecutor(), log=False, report=False)
    kept = read_remote(f"{url}/kept/main")
    doc_id = orjson.loads(zstandard.ZstdDecompressor().stream_reader(io.BytesIO(kept["00000.jsonl.zst"]))
                          .read().splitlines()[0])["id"]
    rc, out = main(["explain", url, doc_id, "--json"]), capsys.readouterr()
    assert rc == 0, out
    assert doc_id in out.out and "kept" in out.out
    (as_path(url) / "report.html").unlink(missing_ok=True)
    rc, out = main(["report", url]), capsys.readouterr()
    assert rc == 0, out
    assert (as_path(url) / "report.html").stat().st_size > 10_000
    rc, out = main(["whatif", url, "--set", "gopher_quality.min_words=10", "--json"]), capsys.readouterr()
    assert rc == 0, out
    assert "gopher_quality" in out.out


def test_atomic_upload_leaves_nothing_when_the_writer_fails(bucket):
    target = as_path(f"{bucket}/atomic/out.jsonl.zst")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert isinstance(tmp, Path) and tmp.name.endswith("-out.jsonl.zst")  # local, the codec's extension last
            tmp.write_bytes(b"half")
            raise RuntimeError("writer died")
    assert not target.exists() and not tmp.exists()
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and not tmp.exists()


def test_key_ranges_read_remotely_equal_the_local_binary_search(bucket, tmp_path):
    """The reduce finds a key range's ends in remote tables by ranged reads around an interpolated guess; on
    uniform hashes, on a long run of one key and on keys that are not uniform at all (the guess is far off and the
    window must widen), it must agree with numpy's binary search on the local copy, partition by partition."""
    import numpy as np

    from winnow.steps import _dedup_store as store

    rng = np.random.default_rng(7)
    tables = {
        "uniform": np.sort(rng.integers(0, 2**64, 5000, dtype=np.uint64)),
        "one_key_run": np.sort(np.concatenate([rng.integers(0, 2**64, 3000, dtype=np.uint64),
                                               np.full(4000, 2**63 + 12345, dtype=np.uint64)])),
        "small_keys": np.sort(rng.integers(0, 5000, 6000, dtype=np.uint64)),  # all in the first 1/2**50 of the range
        "empty": np.zeros(0, dtype=np.uint64),
    }
    shards = tuple(tables)
    remote, local = as_path(f"{bucket}/tables"), tmp_path
    for folder in (remote, local):
        for name, keys in tables.items():
            store.ShardWriter(folder, name).write_table(0, keys, np.arange(len(keys), dtype=np.uint32),
                                                        keys ^ np.uint64(99))
    for parts in (1, 3, 7):
        for part in range(parts):
            got = store.read_table_range(remote, shards, 0, part, parts, True)
            want = store.read_table_range(local, shards, 0, part, parts, True)
            for g, w in zip(got, want):
                assert np.array_equal(g, w)
    fs, _ = store.remote_fs(remote.url)
    paths = [store.remote_fs((remote / f"{n}.t0k.npy").url)[1] for n in shards[:3]]
    layouts = store._headers(fs, paths)
    for x in (1, 2**63 + 12345, 2**63 + 12346, 2500, 2**64 - 1):
        assert store._locate(fs, paths, layouts, [x] * 3) == \
            [int(np.searchsorted(tables[n], np.uint64(x), side="left")) for n in shards[:3]]


def test_two_stages_with_parquet_between_them_on_s3(bucket, tmp_path):
    """A later stage reads the earlier stage's kept Parquet files from the bucket (through fsspec, not pyarrow's
    own S3 client); the ledger's --verify counts Parquet rows in remote files."""
    from winnow.io.jsonl import JsonlReader
    from winnow.io.parquet import ParquetWriter
    from winnow.pipeline import Pipeline, Stage
    from winnow.steps.basic import LengthFilter

    from tests.conftest import sample_docs
    from tests.helpers import text_records, write_jsonl

    docs = sample_docs(60)
    for i in range(2):
        write_jsonl(tmp_path / "in" / f"p{i}.jsonl.zst", text_records(docs, 30 * i, 30))

    def pipe():
        return Pipeline(stages=[
            Stage("a", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl.zst")),
                  steps=[LengthFilter(min_chars=500)], writer=ParquetWriter()),
            Stage("b", source="a", steps=[LengthFilter(min_chars=3000)], writer=ParquetWriter())])

    res = run_pipeline(pipe(), f"{bucket}/parquet", InlineExecutor(), log=False, report=False, verify_files=True)
    run_pipeline(pipe(), tmp_path / "local", InlineExecutor(), log=False, report=False)
    remote, local = read_remote(f"{bucket}/parquet"), read_local(tmp_path / "local")
    assert sorted(k for k in remote if k.startswith("kept/")) == ["kept/README.md",  # the dataset card
                                                                   "kept/a/00000.parquet", "kept/a/00001.parquet",
                                                                   "kept/b/00000.parquet", "kept/b/00001.parquet"]
    assert {k: v for k, v in remote.items() if k.startswith(("kept/", "rejected/"))} == \
        {k: v for k, v in local.items() if k.startswith(("kept/", "rejected/"))}
    a, b = res.stats["stages"]
    assert a["in"] == 60 and b["in"] == a["kept"] and b["balanced"] and 0 < b["kept"] < b["in"]
