"""The same pipelines on a real Ray instance (loopback, 2 CPUs, one per test module): byte-identical outputs to
the local executor, a Ray worker process killed for real mid-shard is retried, a shard that keeps failing is
reported while the finished shards balance, and a resumed run skips what finished."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import ray

from winnow.config import load_pipeline
from winnow.document import Drop
from winnow.errors import ConfigError, ShardFailed
from winnow.executors import LocalExecutor, make_executor
from winnow.executors.ray import RayExecutor
from winnow.io.base import atomic_path
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.registry import names, register
from winnow.run import run_pipeline
from winnow.step import CorpusStep, Filter
from winnow.steps.basic import LengthFilter

from tests.conftest import sample_docs
from tests.helpers import read_all, text_records, write_jsonl
from tests.test_budget import _DyingOrjson  # (the same dying parser, inside Ray's workers)

DEFAULT_YAML = Path(__file__).resolve().parents[2] / "src" / "winnow" / "configs" / "default.yaml"

# One Ray instance per test run: `make test` uses `--dist loadfile`, which sends every test of this file to one
# xdist worker. (`xdist_group` marks were tried first: pytest 9.2 stopped honouring them, and two Ray instances
# started side by side on 2 cores.) The guard below makes any other split fail loudly instead of flaking.


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    import fcntl

    # xdist workers share the parent of their basetemp; a second worker reaching this fixture means two Ray
    # instances would compete for the same 2 cores and ports.
    base = tmp_path_factory.getbasetemp()
    lock = open((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "winnow-ray-tests.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        pytest.fail("the Ray tests were split across xdist workers; run them with --dist loadfile")
    # Workers import this module by name (tests.executors.test_ray), which works because Ray starts them in the
    # driver's working directory, the repository root, as a user's cluster would have their package installed.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             object_store_memory=200 * 1024 * 1024)
    yield
    ray.shutdown()
    lock.close()


@pytest.fixture(scope="module")
def local_ex():
    # One pool for the module's reference runs: spawning workers again for every test costs seconds on 2 cores.
    ex = LocalExecutor(workers=2, progress=False)
    yield ex
    ex.close()


def _outputs(run: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(run).items() if k.startswith(("kept/", "rejected/", "quarantine/"))}


def _run(pipe: Pipeline, folder: Path, ex=None):
    # verify_files: the ledger re-counts the records in every output file, not only the stats
    return run_pipeline(pipe, folder, ex, log=False, report=False, verify_files=True)


def _local(tmp: Path, pipe: Pipeline, ex: LocalExecutor):
    return _run(pipe, tmp / "local", ex)


def _counts(stats: dict) -> list[tuple]:
    return [(s["name"], s["in"], s["kept"], s["rejected"], s["quarantined"], s["balanced"]) for s in stats["stages"]]


# --- the demo pipeline, from its YAML file, with executor: {type: ray} -------------------------------------------

def test_demo_pipeline_from_yaml_on_ray_is_byte_identical_to_local(tmp_path, ray_cluster, local_ex):
    pipe = load_pipeline(DEFAULT_YAML, {"executor": {"type": "ray", "retries": 1}})
    assert pipe.executor["type"] == "ray"
    ray_res = _run(pipe, tmp_path / "ray")  # executor built from the pipeline file
    local_res = _local(tmp_path, load_pipeline(DEFAULT_YAML), local_ex)
    out_ray, out_local = _outputs(tmp_path / "ray"), _outputs(tmp_path / "local")
    assert len([k for k in out_ray if k.startswith("kept/main/")]) == 4  # the four sample shards
    assert out_ray == out_local
    assert _counts(ray_res.stats) == _counts(local_res.stats)
    st = ray_res.stats["stages"][0]
    assert st["in"] == 312 and st["balanced"] and st["rejected"] > 0


# --- a corpus step: collect per shard, reduce through executor.map on Ray, apply --------------------------------

@register("_test_ray_exact_once")
@dataclass
class ExactTextOnce(CorpusStep):
    """Keeps the first copy (lowest shard, then position) of every text across the corpus; counts copies."""

    REASONS = ("duplicate_text",)

    def start_collect(self, ctx):
        self._shard = ctx.shard
        self._rows = []

    def collect(self, doc):
        import hashlib

        self._rows.append([hashlib.blake2b(doc.text.encode(), digest_size=8).hexdigest(), len(self._rows)])

    def finish_collect(self, ctx):
        with atomic_path(ctx.work_dir / f"rows-{ctx.shard}.json") as tmp:
            tmp.write_bytes(orjson.dumps({"shard": ctx.shard, "rows": self._rows}))

    def reduce(self, ctx):
        parts = ctx.map(_load_rows, sorted(str(p) for p in ctx.work_dir.glob("rows-*.json")))
        first: dict[str, list] = {}
        copies: dict[str, int] = {}
        for part in parts:  # sorted by shard name: the keeper does not depend on which task finished first
            for h, pos in part["rows"]:
                copies[h] = copies.get(h, 0) + 1
                first.setdefault(h, [part["shard"], pos])
        with atomic_path(ctx.work_dir / "keep.json") as tmp:
            tmp.write_bytes(orjson.dumps({"first": first, "copies": copies}))

    def setup(self, ctx):
        data = orjson.loads((ctx.work_dir / "keep.json").read_bytes())
        self._first, self._copies, self._shard, self._pos = data["first"], data["copies"], ctx.shard, 0

    def process(self, doc):
        import hashlib

        h = hashlib.blake2b(doc.text.encode(), digest_size=8).hexdigest()
        doc.attributes["_test_ray_exact_once.copies"] = self._copies[h]
        if self._first[h] != [self._shard, self._pos]:
            doc.drop = Drop(self.name, "duplicate_text", float(self._copies[h]), 1.0)
        self._pos += 1
        return doc


def _load_rows(path: str) -> dict:
    return orjson.loads(Path(path).read_bytes())


def _overlapping_inputs(tmp: Path, n_shards: int = 4, per: int = 70, step: int = 50) -> tuple[str, int]:
    """Shards that overlap (shard i holds documents [50 i, 50 i + 70)): every overlap is a cross-shard duplicate."""
    docs = sample_docs()
    for i in range(n_shards):
        write_jsonl(tmp / "in" / f"part-{i}.jsonl.zst", text_records(docs, i * step, per))
    return str(tmp / "in" / "*.jsonl.zst"), n_shards * per


def test_corpus_step_on_ray_is_byte_identical_to_local(tmp_path, ray_cluster, local_ex):
    pattern, n = _overlapping_inputs(tmp_path)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern),
                                  steps=[LengthFilter(min_chars=100), ExactTextOnce(), LengthFilter(min_chars=400)])])
    res = _run(pipe, tmp_path / "ray", RayExecutor(retries=1, progress=False))
    ref = _local(tmp_path, pipe, local_ex)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert _counts(res.stats) == _counts(ref.stats)
    st = res.stats["stages"][0]
    dropped = next(s for s in st["steps"] if s["name"] == "_test_ray_exact_once")["dropped"]
    texts = [d.text for i in range(4) for d in sample_docs()[i * 50:i * 50 + 70] if len(d.text) >= 100]
    assert st["in"] == n and st["balanced"] and dropped["duplicate_text"] == len(texts) - len(set(texts)) >= 60
    assert (tmp_path / "ray" / "done" / "s" / "reduce0").exists()


def test_dedup_pipeline_on_ray_is_byte_identical_to_local(tmp_path, ray_cluster, local_ex):
    """Every built-in corpus step (the dedup family) chained in one stage: a pass and a reduce each on Ray."""
    # semantic_dedup's default model is an optional install (tests/steps/test_dedup_semantic.py covers it): here its
    # lexical stand-in, so the clustering and decisions run on Ray everywhere
    steps = [cls(model="hashing") if n == "semantic_dedup" else cls()
             for n, cls in names("step").items() if issubclass(cls, CorpusStep) and not n.startswith("_")]
    if not steps:
        pytest.skip("no built-in corpus (dedup) step is registered")
    pattern, n = _overlapping_inputs(tmp_path, per=40, step=25)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern), steps=steps)])
    res = _run(pipe, tmp_path / "ray", RayExecutor(progress=False))
    ref = _local(tmp_path, pipe, local_ex)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert _counts(res.stats) == _counts(ref.stats)
    st = res.stats["stages"][0]
    assert st["in"] == n and st["balanced"] and st["rejected"] >= 3 * 15  # the overlaps at least
    assert len(list((tmp_path / "ray" / "done" / "s").glob("reduce*"))) == len(steps)


def test_dedup_pipeline_on_ray_to_s3_is_byte_identical_to_local(tmp_path, ray_cluster, local_ex):
    """The run folder on an S3-protocol server (moto's, on loopback; the real s3fs client): shards, MinHash tables,
    bucket edges, connected-component rounds, reduce pieces and markers written by Ray workers that learn the
    endpoint and credentials from the driver's environment (``forward_env``), since this module's Ray instance
    started before the server existed. Small (two shards, six bands): the server takes ~10 ms a request here; the
    default pipeline's four dedup steps run to S3 in tests/io/test_remote_outputs.py."""
    from winnow.steps.dedup import ExactDedup, MinhashDedup

    from tests.io.s3server import read_remote, s3_server

    steps = [MinhashDedup(bands=6, rows=4), ExactDedup()]
    pattern, n = _overlapping_inputs(tmp_path, n_shards=2, per=30, step=20)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern), steps=steps)])
    with s3_server() as bucket:
        # the loopback server's test keys must reach the workers: credentials travel only when named
        res = _run(pipe, f"{bucket}/ray", RayExecutor(progress=False, forward_env=["AWS_*"]))
        remote = read_remote(f"{bucket}/ray")
    ref = _local(tmp_path, pipe, local_ex)
    assert {k: v for k, v in remote.items() if k.startswith(("kept/", "rejected/", "quarantine/"))} == \
        _outputs(tmp_path / "local")
    assert _counts(res.stats) == _counts(ref.stats)
    assert any(k.startswith("work/s/") and k.endswith(".npy") for k in remote)
    assert len([k for k in remote if k.startswith("done/s/reduce")]) == len(steps)
    st = res.stats["stages"][0]
    dropped = {s["name"]: sum(s["dropped"].values()) for s in st["steps"]}
    assert st["in"] == n and st["balanced"] and dropped["minhash_dedup"] >= 10  # the overlap at least


# --- a Ray worker killed with SIGKILL in the middle of a shard --------------------------------------------------

@register("_test_ray_wait_to_be_killed")
@dataclass
class WaitToBeKilled(Filter):
    """In shard ``shard``, before its first document, publishes its worker's pid and waits (up to 60 s) for the
    test to kill it; once the kill is recorded it does nothing (the retry and every later run)."""

    flag_dir: str = ""
    shard: str = "00001"
    REASONS = ("never",)

    def setup(self, ctx):
        self._armed = ctx.shard == self.shard

    def reject(self, doc):
        if self._armed:
            self._armed = False
            flags = Path(self.flag_dir)
            if not (flags / "killed").exists():
                with atomic_path(flags / "pid") as tmp:
                    tmp.write_text(str(os.getpid()))
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not (flags / "killed").exists():
                    time.sleep(0.05)
        return None


def _killer(flags: Path, record: dict) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if (flags / "pid").exists():
            pid = int((flags / "pid").read_text())
            record["pid"] = pid
            os.kill(pid, signal.SIGKILL)
            (flags / "killed").write_text(str(pid))
            return
        time.sleep(0.05)


def test_worker_killed_mid_shard_is_retried_and_output_identical(tmp_path, ray_cluster, local_ex):
    pattern, n = _overlapping_inputs(tmp_path, step=70)  # disjoint shards
    flags = tmp_path / "flags"
    flags.mkdir()
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern),
                                  steps=[WaitToBeKilled(flag_dir=str(flags)), LengthFilter(min_chars=1500)])])
    record: dict = {}
    t = threading.Thread(target=_killer, args=(flags, record), daemon=True)
    t.start()
    res = _run(pipe, tmp_path / "ray", RayExecutor(retries=2, progress=False))
    t.join(timeout=5)
    pid = record.get("pid")
    assert pid is not None and pid != os.getpid()  # a Ray worker, not this driver, was killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # and it is really gone
    st = res.stats["stages"][0]
    assert st["in"] == n and st["balanced"] and not res.failures
    ref = _local(tmp_path, pipe, local_ex)  # the kill is recorded, so the step is now inert
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert _counts(res.stats) == _counts(ref.stats)


# --- a shard that keeps failing; then the resumed run ------------------------------------------------------------

@register("_test_ray_fails_while_flagged")
@dataclass
class FailsWhileFlagged(Filter):
    """Raises in setup (outside the per-document guard, so the shard itself fails) for ``shard`` while the file
    ``flag`` exists; logs every attempt of every shard to ``log_dir/<shard>`` to count real attempts."""

    flag: str = ""
    log_dir: str = ""
    shard: str = "00002"
    missing: bool = False  # every shard fails as when a package is not installed (a setup failed for good)
    REASONS = ("never",)

    def setup(self, ctx):
        with open(Path(self.log_dir) / ctx.shard, "a") as f:  # one file per shard: no concurrent appends
            f.write("attempt\n")
        if self.missing and Path(self.flag).exists():
            raise ModuleNotFoundError("No module named 'not_installed_here'")
        if ctx.shard == self.shard and Path(self.flag).exists():
            raise RuntimeError("disk on fire")

    def reject(self, doc):
        return None


def test_failing_shard_is_reported_then_resume_skips_finished_shards(tmp_path, ray_cluster, local_ex):
    pattern, _ = _overlapping_inputs(tmp_path, step=70)
    flag, logs = tmp_path / "flag", tmp_path / "logs"
    flag.write_text("on")
    logs.mkdir()
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern),
                                  steps=[FailsWhileFlagged(flag=str(flag), log_dir=str(logs)),
                                         LengthFilter(min_chars=1500)])])
    ex = RayExecutor(retries=1, progress=False)
    with pytest.raises(ShardFailed) as e:
        _run(pipe, tmp_path / "ray", ex)
    msg = str(e.value)
    assert "s/p0/00002" in msg and "disk on fire" in msg and "2 attempts" in msg
    assert (logs / "00002").read_text().count("attempt") == 2  # 1 + retries, really run
    done = sorted(p.name for p in (tmp_path / "ray" / "done" / "s" / "p0").iterdir())
    assert done == ["00000", "00001", "00003"]
    stats = orjson.loads((tmp_path / "ray" / "stats.json").read_bytes())["stages"][0]
    assert stats["in"] == 3 * 70 and stats["balanced"]

    flag.unlink()
    res = _run(pipe, tmp_path / "ray", ex)  # same pipeline, same folder: a resume
    assert res.skipped_shards == 3 and not res.failures
    for shard in ("00000", "00001", "00003"):
        assert (logs / shard).read_text().count("attempt") == 1  # finished shards were not run again
    assert (logs / "00002").read_text().count("attempt") == 3
    assert res.stats["stages"][0]["in"] == 4 * 70 and res.stats["stages"][0]["balanced"]
    _local(tmp_path, pipe, local_ex)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")


def test_a_setup_that_fails_for_good_stops_the_stage_on_ray_and_the_run_resumes(tmp_path, ray_cluster, local_ex):
    # Ray retried it (retry_exceptions) and started every shard: each failed 1 + retries times alike
    pattern, _ = _overlapping_inputs(tmp_path, step=70)
    flag, logs = tmp_path / "flag", tmp_path / "logs"
    flag.write_text("on")
    logs.mkdir()
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=pattern),
                                  steps=[FailsWhileFlagged(flag=str(flag), log_dir=str(logs), missing=True),
                                         LengthFilter(min_chars=1500)])])
    ex = RayExecutor(retries=1, workers=1, progress=False)  # one task in flight: the first shard alone runs
    with pytest.raises(ShardFailed) as e:
        _run(pipe, tmp_path / "ray", ex)
    msg = str(e.value)
    assert "s/p0/00000" in msg and "No module named 'not_installed_here'" in msg and "stage stopped" in msg, msg
    assert "(3 shard(s) not started)" in msg, msg
    assert sorted(p.name for p in logs.iterdir()) == ["00000"] and (logs / "00000").read_text() == "attempt\n"
    flag.unlink()
    res = _run(pipe, tmp_path / "ray", ex)  # installed: the same command resumes
    assert not res.failures and res.stats["stages"][0]["in"] == 4 * 70 and res.stats["stages"][0]["balanced"]
    _local(tmp_path, pipe, local_ex)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")


def test_a_full_disk_fails_the_shard_at_once_on_ray(tmp_path, ray_cluster, real_docs):
    # As the local and inline executors (tests/test_faults.py): Ray retried it (retry_exceptions), each attempt
    # redoing the shard's work to fail at its first write, 1 + retries opens
    from tests.test_faults import _FullDiskJsonl, _inputs

    _inputs(tmp_path, real_docs, n_files=1)
    count = tmp_path / "opens"
    pipe = Pipeline(stages=[Stage("a", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")), steps=[],
                                  writer=_FullDiskJsonl(count=str(count)))])
    with pytest.raises(ShardFailed) as err:
        _run(pipe, tmp_path / "run", RayExecutor(retries=2, progress=False))
    assert count.read_text() == "open\n"
    assert "No space left on device" in str(err.value) and "free space" in str(err.value), str(err.value)


# --- the executor itself ----------------------------------------------------------------------------------------

def test_map_keeps_order_and_raises_the_steps_own_error(ray_cluster):
    ex = make_executor({"type": "ray"})
    assert isinstance(ex, RayExecutor) and ex.workers == 2  # the cluster's CPUs
    assert ex.map(_square, list(range(20))) == [i * i for i in range(20)]
    # Repeated: a failing map once force-cancelled its siblings, and a cancel racing a finishing task aborted
    # this very process (a Ray 2.60 check failure) about once in ten failing maps.
    for _ in range(25):
        with pytest.raises(ValueError, match="no 13"):
            ex.map(_square_but_13, list(range(40)))
    assert RayExecutor(workers=1).workers == 1
    ex.close()
    assert ray.is_initialized()  # the caller's connection stays open


def test_preflight_names_a_node_that_cannot_see_the_run_folder(tmp_path, ray_cluster):
    ex = RayExecutor(progress=False)
    ex._preflight(str(tmp_path))  # visible: passes (and is remembered)
    with pytest.raises(ConfigError, match="cannot see the run folder"):
        ex._preflight(str(tmp_path / "not-mounted-here"))  # checked by a task on the node, not by this process


def _square(x: int) -> int:
    return x * x


def _square_but_13(x: int) -> int:
    if x == 13:
        raise ValueError("no 13")
    return x * x


def test_an_address_nobody_answers_fails_fast():
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from winnow.executors.ray import _check_reachable  # what RayExecutor runs before ray.init(address=...)

    t = time.monotonic()
    for addr in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ConfigError, match="nothing answers"):
            _check_reachable(addr)
    assert time.monotonic() - t < 10


@pytest.mark.parametrize("kw", [{"retries": -1}, {"num_cpus": 0}, {"workers": -2}, {"address": ""},
                                {"forward_env": [1]}, {"forward_env": [""]}])
def test_bad_parameters_are_config_errors(kw):
    with pytest.raises(ConfigError):
        RayExecutor(**kw)  # rejected before any connection is made


def test_forward_env_sends_the_storage_settings_set_on_the_driver(monkeypatch):
    from winnow.executors.ray import STORAGE_ENV, _env_to_forward

    for k in [k for k in os.environ if k.startswith(("AWS_", "FSSPEC_", "AZURE_STORAGE_", "GOOGLE_"))]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")  # a credential: never by default (Ray logs runtime_env)
    monkeypatch.setenv("FSSPEC_S3", '{"secret": "s3cr3t"}')
    monkeypatch.setenv("AWSOME", "not a storage setting")
    monkeypatch.setenv("MY_TOKEN", "t")
    assert _env_to_forward(STORAGE_ENV) == {"AWS_DEFAULT_REGION": "eu-1", "AWS_ENDPOINT_URL": "http://minio:9000"}
    assert "AWS_SECRET_ACCESS_KEY" in _env_to_forward(["AWS_*"])
    assert _env_to_forward(["MY_TOKEN"]) == {"MY_TOKEN": "t"}
    assert _env_to_forward([]) == {}


# --- shuffle-merge and mix: tokenized shards shuffled by output tasks on Ray ------------------------------------

def test_shuffle_merge_and_mix_on_ray_write_the_same_bytes_as_inline(tmp_path, ray_cluster):
    from tests.test_shuffle_merge import _inputs, _outputs
    from winnow.shuffle_merge import mix, shuffle_merge

    pattern = _inputs(tmp_path / "in", "megatron")
    other = _inputs(tmp_path / "in2", "megatron", n_files=2)  # a file in two sources is refused: another copy
    for where, ex in (("ray", RayExecutor(retries=1, progress=False)), ("inline", "inline")):
        out = shuffle_merge([pattern], str(tmp_path / f"sm-{where}"), files=3, seed=3, executor=ex)
        assert out["docs"] == 120
        mix({"a": [pattern], "b": [other]}, {"a": 3, "b": 1}, str(tmp_path / f"mix-{where}"), files=2, seed=4,
            executor=ex)
    assert _outputs(tmp_path / "sm-ray", "megatron") == _outputs(tmp_path / "sm-inline", "megatron") != {}
    assert _outputs(tmp_path / "mix-ray", "megatron", "mixed") == _outputs(tmp_path / "mix-inline", "megatron",
                                                                         "mixed") != {}
    assert (tmp_path / "mix-ray" / "mixture.json").read_bytes() == (tmp_path / "mix-inline" / "mixture.json").read_bytes()


# --- hostile input: the same fates as the local executor, a record that kills its reader included -----------------

@dataclass
class _DyingReader(JsonlReader):
    driver: int = 0  # the test's own process, where nothing is patched (the run's first-records check reads there)

    def _read(self, shard):
        import winnow.io.jsonl as jsonl_module

        if os.getpid() != self.driver:
            jsonl_module.orjson = _DyingOrjson()
        return super()._read(shard)


def test_hostile_records_and_a_record_that_kills_its_reader_on_ray_match_local(tmp_path, ray_cluster, local_ex):
    lines = [b'{"id":"a","text":"fine"}', b'{"id":"b","text":"caf\xe9"}', b'{"id":"c","text":' + b'"x' * 100,
             b'{"id":"d","text":"die"}', b"[1, 2]", b'{"id":"e","text":"' + b"y" * 70_000 + b'"}',
             b'{"id":"f","text":"last"}']
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    write_jsonl(tmp_path / "in" / "b.jsonl", text_records(sample_docs(), 0, 20))
    pipe = Pipeline(stages=[Stage("s", reader=_DyingReader(paths=str(tmp_path / "in" / "*.jsonl"),
                                                           max_record_bytes=65536, driver=os.getpid()),
                                  steps=[LengthFilter(min_chars=3)])])
    res = _run(pipe, tmp_path / "ray", RayExecutor(retries=2, progress=False))
    ref = _local(tmp_path, pipe, local_ex)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert _counts(res.stats) == _counts(ref.stats)
    reasons = res.stats["stages"][0]["passes"][0]["quarantine_reasons"]
    assert reasons == {"invalid_utf8": 1, "malformed_json": 1, "reader_died": 1, "not_an_object": 1, "too_large": 1}
