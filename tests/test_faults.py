"""Faults around a run (issue 11): leftover temporary files, inputs rewritten between a kill and the resume, run
folders that are not runs or are in use, names that would become paths outside the run folder, and the errors an
operator meets (a file given as the run folder, a read-only folder, a bad --set)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from dataclasses import dataclass

from winnow.config import load_pipeline
from winnow.errors import ConfigError
from winnow.executors import InlineExecutor
from winnow.run import run_pipeline
from winnow.registry import register
from winnow.runfolder import LOCK_NAME, RunFolderError
from winnow.step import Map

from tests.helpers import read_all, text_records, write_jsonl


def _cfg(tmp_path: Path, steps: list, n_files: int = 2) -> Path:
    cfg = {"executor": "inline",
           "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
                       "steps": steps}]}
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def _inputs(tmp_path: Path, docs, n_files: int = 2, per: int = 15) -> None:
    for i in range(n_files):
        write_jsonl(tmp_path / "in" / f"part-{i}.jsonl", text_records(docs, i * per, per))


def _outputs(run: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(run).items() if k.startswith(("kept/", "rejected/", "quarantine/"))}


# --- item 9: leftover temporary files ---------------------------------------------------------------------------

def test_resume_ignores_and_removes_leftover_temp_files(tmp_path, real_docs):
    docs = [d for d in real_docs if d.text]
    _inputs(tmp_path, docs)
    p = _cfg(tmp_path, [{"type": "length"}, {"type": "minhash_dedup"}])
    run = tmp_path / "run"
    first = run_pipeline(load_pipeline(p), run, log=False)
    ref = _outputs(run)
    # What a worker killed mid-write leaves: a dedup table, a stats file (whole, then half), an output.
    work = next((run / "work" / "a").glob("*minhash_dedup")) / "c"
    lens = sorted(work.glob("*.len.npy"))
    shutil.copy(lens[0], work / f".tmp-host-999-{lens[0].name.replace('00000', '00007')}")
    stats = run / "stats" / "a" / "p0"
    shutil.copy(stats / "00000.json", stats / ".tmp-host-999-00009.json")
    (stats / ".tmp-host-998-00008.json").write_bytes(b'{"in": 1')
    (run / "kept" / "a" / ".tmp-host-999-00001.jsonl.zst").write_bytes(b"half")
    # ... and a resume that has to redo the reduce and the last pass
    shutil.rmtree(run / "done" / "a" / "p1")
    (run / "done" / "a" / "reduce0").unlink()
    again = run_pipeline(load_pipeline(p), run, log=False)
    assert again.stats["stages"][0]["in"] == first.stats["stages"][0]["in"] == 30
    assert again.stats["stages"][0]["balanced"]
    assert _outputs(run) == ref
    assert not [q for q in run.rglob(".tmp-*")], "leftover temporary files are cleaned on resume"


# --- item 10: inputs rewritten between a kill and the resume ----------------------------------------------------

def test_resume_refuses_a_rewritten_input_file(tmp_path, real_docs):
    docs = [d for d in real_docs if d.text]
    _inputs(tmp_path, docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "run"
    run_pipeline(load_pipeline(p), run, log=False)
    (run / "done" / "a" / "p0" / "00001").unlink()  # as if killed before shard 1 finished
    part = tmp_path / "in" / "part-1.jsonl"
    raw = part.read_bytes()
    i = raw.index(b'"text":"') + 8
    part.write_bytes(raw[:i] + (b"Z" if raw[i:i + 1] != b"Z" else b"Y") + raw[i + 1:])  # same size, new content
    with pytest.raises(ConfigError, match=r"input file .*part-1\.jsonl changed since this run started"):
        run_pipeline(load_pipeline(p), run, log=False)
    part.write_bytes(raw)  # restored (new mtime, old content): still refused, the mtime says it was touched
    with pytest.raises(ConfigError, match="modification time differ"):
        run_pipeline(load_pipeline(p), run, log=False)


def test_resume_with_unchanged_inputs_still_works(tmp_path, real_docs):
    docs = [d for d in real_docs if d.text]
    _inputs(tmp_path, docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "run"
    run_pipeline(load_pipeline(p), run, log=False)
    ref = _outputs(run)
    (run / "done" / "a" / "p0" / "00001").unlink()
    again = run_pipeline(load_pipeline(p), run, log=False)
    assert again.skipped_shards == 1 and _outputs(run) == ref
    rec = orjson.loads((run / "inputs.json").read_bytes())
    assert set(rec["stages"]["a"]["files"]) == {str(tmp_path / "in" / f"part-{i}.jsonl") for i in range(2)}


# --- item 13: folders that are not runs, concurrent runs, names that are paths ------------------------------------

def test_a_folder_that_is_not_a_run_is_refused(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "mine"
    run.mkdir()
    (run / "stats.json").write_text("my own numbers")
    with pytest.raises(RunFolderError, match="not empty and is not a winnow run folder"):
        run_pipeline(load_pipeline(p), run, log=False)
    assert (run / "stats.json").read_text() == "my own numbers"
    assert sorted(x.name for x in run.iterdir()) == ["stats.json"]  # nothing written, no lock left behind


def test_a_run_of_another_pipeline_is_refused_even_before_any_shard_finished(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    run = tmp_path / "run"
    run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "length"}])), run, log=False)
    shutil.rmtree(run / "done")
    with pytest.raises(ConfigError, match="different pipeline"):
        run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "length", "min_chars": 7}])), run, log=False)


def test_a_live_lock_is_refused_and_a_dead_one_taken_over(tmp_path, real_docs, capsys):
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "run"
    run.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        (run / LOCK_NAME).write_bytes(orjson.dumps({"host": socket.gethostname(), "pid": holder.pid}))
        with pytest.raises(RunFolderError, match=f"in use by another winnow run: process {holder.pid}"):
            run_pipeline(load_pipeline(p), run, log=False)
    finally:
        holder.kill()
        holder.wait()
    res = run_pipeline(load_pipeline(p), run, log=True, report=False)  # the holder is dead now: taken over
    assert res.stats["stages"][0]["balanced"]
    assert f"taking over the lock {run / LOCK_NAME} left by process {holder.pid}" in capsys.readouterr().err
    assert not (run / LOCK_NAME).exists()


def test_an_empty_lock_left_by_a_killed_run_is_taken_over(tmp_path, real_docs, capsys):
    # a run killed between creating its lock and writing it left an empty file that every later run refused
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_bytes(b"")
    with pytest.raises(RunFolderError, match="unreadable lock file"):  # a fresh one may be a run taking it now
        run_pipeline(load_pipeline(p), run, log=False)
    old = os.stat(run / LOCK_NAME).st_mtime - 60
    os.utime(run / LOCK_NAME, (old, old))
    res = run_pipeline(load_pipeline(p), run, log=True, report=False)
    assert res.stats["stages"][0]["balanced"] and not (run / LOCK_NAME).exists()
    assert "taking over the empty lock" in capsys.readouterr().err
    assert not [f for f in os.listdir(run) if f.startswith(".tmp-")]


def test_a_lock_of_another_host_is_refused(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_bytes(orjson.dumps({"host": "elsewhere.example", "pid": 1}))
    with pytest.raises(RunFolderError, match="process 1 on host elsewhere.example"):
        run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "length"}])), run, log=False)


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", "..", "", "a\nb"])
def test_a_stage_name_that_is_not_one_path_component_is_refused(tmp_path, name):
    cfg = {"stages": [{"name": name, "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": ["length"]}]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    if name == "":
        pytest.skip("an empty name falls back to stage0")
    with pytest.raises(ConfigError, match="not usable as a folder name"):
        load_pipeline(tmp_path / "p.yaml")


# --- item 15: messages, not tracebacks ------------------------------------------------------------------------

def _cli(*argv: str) -> tuple[int, str]:
    out = subprocess.run([sys.executable, "-m", "winnow", *argv], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")})
    return out.returncode, out.stderr


def test_run_folder_that_is_a_file_or_under_a_file_is_a_message(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    f = tmp_path / "afile"
    f.write_text("x")
    for target, what in ((f, "is a file"), (f / "sub", "is under a file")):
        rc, err = _cli("run", str(p), "-o", str(target))
        assert rc == 1 and f"the run folder {target} {what}" in err and "Traceback" not in err, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_run_folder_is_a_message(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    run = tmp_path / "run"
    run_pipeline(load_pipeline(p), run, log=False)
    run.chmod(0o555)
    try:
        for argv in (("run", str(p), "-o", str(run)), ("report", str(run))):
            rc, err = _cli(*argv)
            assert rc == 1 and "Traceback" not in err and "ermission" in err, err
    finally:
        run.chmod(0o755)


# --- item 5: YAML alias bombs, parameter ranges before the run -----------------------------------------------------

def _bomb(levels: int) -> str:
    """10 ** levels leaves in a few hundred bytes."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_before_expansion(tmp_path):
    bomb = _bomb(6)  # 10^6 leaves; the 10^8 took 41 s and 2.3 GB
    assert len(bomb) < 400
    p = tmp_path / "p.yaml"
    p.write_text(bomb + "stages: []\n")
    with pytest.raises(ConfigError, match="expands to more than 100,000 values"):
        load_pipeline(p)
    p.write_text(_bomb(9) + "stages: []\n")  # 10^9: refused as fast (nothing is expanded)
    with pytest.raises(ConfigError, match="expands to more than"):
        load_pipeline(p)


def test_a_recursive_alias_is_refused(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("run: &r {name: *r}\nstages: []\n")
    with pytest.raises(ConfigError, match="recursive alias"):
        load_pipeline(p)


def test_anchors_for_shared_parameters_still_work(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("stages:\n- name: a\n  reader: {type: jsonl, paths: x.jsonl}\n  steps:\n"
                 "  - &len {type: length, min_chars: 7}\n  - *len\n")
    pipe = load_pipeline(p)
    assert [s.min_chars for s in pipe.stages[0].steps] == [7, 7]


def test_set_with_an_alias_bomb_or_a_tag_is_a_message(tmp_path, real_docs):
    _inputs(tmp_path, real_docs)
    p = _cfg(tmp_path, [{"type": "length"}])
    bomb = "".join(f"- &a{i} [" + ",".join([f"*a{i - 1}" if i else "x"] * 10) + "]\n" for i in range(4))
    for value, msg in ((f"[{bomb.replace(chr(10), ' ')}]", "not valid YAML|expands to more than 1,000"),
                       ("!!python/object/apply:os.system [echo hi]", "could not determine a constructor"),
                       ("!!binary aGk=", "run.name: expected a string")):
        rc, err = _cli("run", str(p), "-o", str(tmp_path / "run"), "--set", f"run.name={value}")
        assert rc == 2 and "Traceback" not in err, err
        import re

        assert re.search(msg, err), err
    flow_bomb = "[" + ",".join(["&b [x,x,x,x,x,x,x,x,x,x]"] + ["*b"] * 9) + "]"
    from winnow.config import parse_set_value

    assert parse_set_value(f"run.name={flow_bomb}")[0] == "run.name"  # 100 values: fine
    deep = "[" * 3 + "&c [" + ",".join(["x"] * 10) + "]" + "]" * 3
    assert parse_set_value(f"k={deep}")[1] == [[[["x"] * 10]]]


@pytest.mark.parametrize("step,msg", [
    ({"type": "minhash_dedup", "bands": 1000000}, "bands x rows = 6,000,000 permutations"),
    ({"type": "minhash_dedup", "rows": 0}, "bands and rows must be at least 1"),
    ({"type": "minhash_dedup", "keep": "last"}, "keep must be one of"),
    ({"type": "line_dedup", "min_docs": 0}, "min_docs must be at least 2"),
    ({"type": "line_dedup", "unit": "word"}, "unit must be line, paragraph or sentence"),
    ({"type": "exact_dedup", "normalize": "nfc"}, "normalize must be"),
    ({"type": "url_dedup", "memory_mb": 0}, "memory_mb must be at least 16"),
])
def test_step_parameters_are_checked_before_the_run(tmp_path, step, msg):
    cfg = {"stages": [{"name": "a", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": [step]}]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=msg):
        load_pipeline(tmp_path / "p.yaml")


@pytest.mark.parametrize("stage,msg", [
    ({"writer": {"type": "jsonl", "compression": "bz2"}}, "compression must be one of zstd, gzip, none"),
    ({"writer": {"type": "jsonl", "level": 99}}, r"level 99 is out of range for zstd \(-7..22\)"),
    ({"rejects": {"type": "jsonl", "compression": "gzip", "level": 10}}, "out of range for gzip"),
    ({"writer": {"type": "parquet", "rows_per_group": 0}}, "rows_per_group must be at least 1"),
    ({"reader": {"type": "text", "paths": ".", "files_per_shard": 0}}, "files_per_shard must be at least 1"),
])
def test_reader_and_writer_parameters_are_checked_before_the_run(tmp_path, stage, msg):
    cfg = {"stages": [{"name": "a", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": ["length"], **stage}]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=msg):
        load_pipeline(tmp_path / "p.yaml")


def test_report_survives_extreme_attribute_values(tmp_path):
    """±1e308 attribute values (from input records) made the histogram's span infinite and report.html fail."""
    from winnow.executors import InlineExecutor as Inline
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.report import build_report
    from winnow.steps.basic import LengthFilter

    recs = [{"id": f"d{i}", "text": "word " * (i + 1), "metadata": {}, "edits": [],
             "attributes": {"x.score": [1e308, -1e308, 1.5, 2.5][i % 4], "y.big": 1e308 if i % 2 else 0}}
            for i in range(40)]
    write_jsonl(tmp_path / "in" / "a.jsonl", recs)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[LengthFilter(min_chars=100)])])
    run_pipeline(pipe, tmp_path / "run", Inline(), log=False, report=False)
    html = build_report(tmp_path / "run").read_text()
    assert "x.score" in html and "NaN" not in html and "nan" not in html.replace("nan-", "")


def test_an_unwritable_report_is_a_message(tmp_path, real_docs):
    """What a read-only run folder does to `winnow report`, reproduced as root too: report.html cannot be
    written because a folder is in its place."""
    _inputs(tmp_path, real_docs)
    run = tmp_path / "run"
    run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "length"}])), run, log=False, report=False)
    (run / "report.html").mkdir()
    rc, err = _cli("report", str(run))
    assert rc == 1 and "Traceback" not in err and "report.html" in err, err


# --- found while fixing the readers: faults the runner itself let through ----------------------------------------

def test_an_input_file_name_that_is_not_utf8_runs_and_resumes(tmp_path, real_docs):
    # inputs.json recorded the name with orjson, which refuses the surrogates that stand for undecodable bytes
    name = os.fsdecode(b"part-\xff.jsonl")
    write_jsonl(tmp_path / "in" / name, text_records(real_docs, 0, 5))
    pipe = load_pipeline(_cfg(tmp_path, [{"type": "length", "min_chars": 1}]))
    first = run_pipeline(pipe, tmp_path / "run", executor=InlineExecutor(), report=False)
    assert first["stages"][0]["kept"] == 5
    again = run_pipeline(pipe, tmp_path / "run", executor=InlineExecutor(), report=False)
    assert again["stages"][0]["kept"] == 5


def test_a_python_api_pipeline_checks_reader_and_writer_parameters(tmp_path):
    from winnow import Pipeline, Stage
    from winnow.io.jsonl import JsonlReader

    pipe = Pipeline(stages=[Stage("main", reader=JsonlReader(paths=str(tmp_path / "*.jsonl"), max_record_bytes=-1),
                                  steps=[])])
    with pytest.raises(ConfigError, match="max_record_bytes"):
        pipe.validate()


@register("_test_odd_metadata")
@dataclass
class OddMetadata(Map):
    """Hands the next step a metadata it cannot read, as a plugin step or a Python reader can."""

    def map(self, doc):
        if doc.id.endswith("-4"):
            doc.metadata = "not a mapping"
        return doc


def test_a_corpus_step_that_raises_in_collect_quarantines_the_document(tmp_path, real_docs):
    recs = [{"id": f"d-{i}", "text": d.text, "url": f"https://a.example/{i % 3}"} for i, d in enumerate(real_docs[:6])]
    write_jsonl(tmp_path / "in" / "part-0.jsonl", recs)
    pipe = load_pipeline(_cfg(tmp_path, [{"type": "_test_odd_metadata"}, {"type": "url_dedup"}]))
    res = run_pipeline(pipe, tmp_path / "run", executor=InlineExecutor(), report=False)
    st = res["stages"][0]
    assert (st["in"], st["quarantined"]) == (6, 1)
    # the three URLs kept once each; d-4 is quarantined and not also counted as a duplicate of d-1
    assert st["kept"] == 3 and st["rejected"] == 2
    quar = b"".join(v for k, v in read_all(tmp_path / "run").items() if k.startswith("quarantine/"))
    assert b"url_dedup" in quar and b"d-4" in quar


def test_run_folder_on_a_file_system_that_takes_no_folders_is_a_message(tmp_path, real_docs, monkeypatch):
    """-o on a read-only file system, or under /proc (mkdir says "No such file or directory"), names the run folder
    and what to do, not a bare OS error."""
    import errno

    from winnow.runfolder import RunFolderError

    _inputs(tmp_path, real_docs)
    pipe = load_pipeline(_cfg(tmp_path, [{"type": "length"}]))
    real_mkdir = Path.mkdir
    for err in (errno.EROFS, errno.ENOENT):
        def refuse(self, *a, _err=err, **k):
            if self.name == "run":
                raise OSError(_err, os.strerror(_err), str(self))
            return real_mkdir(self, *a, **k)

        monkeypatch.setattr(Path, "mkdir", refuse)
        with pytest.raises(RunFolderError, match=f"cannot create the run folder .*run: {os.strerror(err)}; give -o"):
            run_pipeline(pipe, tmp_path / "run", log=False)


from winnow.io.jsonl import JsonlWriter  # noqa: E402


@dataclass
class _FullDiskJsonl(JsonlWriter):
    """JSON Lines into a file system that is full: every write raises ENOSPC (or ``err``); each open is counted in
    ``count``."""

    count: str = ""
    err: int = 28  # errno.ENOSPC

    def open(self, path, side=None):
        import errno

        with open(self.count, "a") as f:
            f.write("open\n")
        handle = super().open(path, side)

        def full(*a, **k):
            raise OSError(self.err, os.strerror(self.err))

        handle.write = handle.write_encoded = full
        return handle


@pytest.mark.parametrize("executor", ["inline", "local"])
def test_a_full_disk_fails_the_shard_at_once_and_says_to_free_space(tmp_path, real_docs, executor):
    # A shard that hit a full disk was run twice more (all its work redone, 3x the time on a 256 MB shard) to fail
    # the same way, and the run ended "rerun to resume", which fails again until space is freed.
    from winnow.errors import ShardFailed
    from winnow.executors import LocalExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage

    _inputs(tmp_path, real_docs, n_files=1)
    count = tmp_path / "opens"
    pipe = Pipeline(stages=[Stage("a", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")), steps=[],
                                  writer=_FullDiskJsonl(count=str(count)))])
    ex = InlineExecutor(progress=False) if executor == "inline" else LocalExecutor(workers=1, progress=False)
    with ex, pytest.raises(ShardFailed) as err:
        run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    assert count.read_text() == "open\n"
    assert "No space left on device" in str(err.value) and "free space" in str(err.value)


def test_a_shard_on_a_read_only_file_system_fails_at_once_and_says_to_remount(tmp_path, real_docs):
    # it ended "rerun to resume" (review16), which fails the same way until the file system is writable again
    import errno

    from winnow.errors import ShardFailed
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage

    _inputs(tmp_path, real_docs, n_files=1)
    count = tmp_path / "opens"
    pipe = Pipeline(stages=[Stage("a", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")), steps=[],
                                  writer=_FullDiskJsonl(count=str(count), err=errno.EROFS))])
    with pytest.raises(ShardFailed) as err:
        run_pipeline(pipe, tmp_path / "run", InlineExecutor(progress=False), log=False, report=False)
    assert count.read_text() == "open\n"
    assert "Read-only file system" in str(err.value) and "read-write" in str(err.value), str(err.value)


@register("_test_full_disk_step")
@dataclass
class _FullDiskStep(Map):
    """A step whose own file (a cache, a table) is on a full disk."""

    def map(self, doc):
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "cache.bin")


def test_a_step_that_meets_a_full_disk_fails_the_shard_instead_of_quarantining_documents(tmp_path, real_docs):
    # Quarantined as step_error, every document was moved out of the run for good by a full disk.
    from winnow.errors import ShardFailed

    _inputs(tmp_path, real_docs, n_files=1)
    with pytest.raises(ShardFailed, match="No space left on device.*free space"):
        run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "_test_full_disk_step"}])), tmp_path / "run", log=False,
                     report=False)
    assert not list((tmp_path / "run").glob("quarantine/**/*.jsonl"))


def test_full_and_read_only_file_systems_say_what_to_do():
    # The driver's own write on a full disk (stats.json after the shards failed) ended "winnow: No space left on
    # device", naming no file and no way out; a read-only one named only the lock file.
    import errno

    from winnow.cli import _what_to_do

    assert "free space" in _what_to_do(OSError(errno.ENOSPC, "No space left on device"))
    assert "run the same command again" in _what_to_do(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert "remount it read-write" in _what_to_do(OSError(errno.EROFS, "Read-only file system", "r/winnow.lock"))
    assert _what_to_do(OSError(errno.ENOENT, "No such file or directory")) == ""


@register("_test_appender")
@dataclass
class _Appender(Map):
    """Appends a record to ``path`` on its first document: a crawler still writing the file the run reads."""

    path: str = ""

    def map(self, doc):
        if self.path and not getattr(self, "_done", False):
            self._done = True
            with open(self.path, "ab") as f:
                f.write(b'{"id": "late", "text": "appended while the run read the file"}\n')
        return doc


def test_an_input_file_that_grows_while_it_is_read_is_named(tmp_path, real_docs, capfd):
    # A file still being written was read as it was at some moment, silently; only a resume refused the folder.
    _inputs(tmp_path, real_docs, n_files=2)
    grown = tmp_path / "in" / "part-1.jsonl"
    run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "_test_appender", "path": str(grown)}])), tmp_path / "run",
                 report=False)
    err = capfd.readouterr().err
    assert "1 input file(s) changed while this run read them" in err and f"{grown} (size" in err, err
    run_pipeline(load_pipeline(_cfg(tmp_path, [{"type": "_test_appender"}])), tmp_path / "run2", report=False)
    assert "changed while this run read them" not in capfd.readouterr().err


def test_a_collected_document_the_pass_file_could_not_take_fails_the_shard_not_the_apply_pass(tmp_path, monkeypatch):
    # A document written after its collect (the writer's compressor out of memory, once) was quarantined as
    # write_error though exact_dedup had collected it: the apply pass matches its pass file's documents to the
    # collected ones by position, so every later document of the shard got the row of the one before it (4 of 7
    # quarantined as step_error). The shard fails now and its retry writes it.
    from winnow.io import jsonl as jm
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.registry import lookup

    texts = ["a", "x", "b", "b", "c", "c", "d"]
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    real_open, failed = jm.JsonlWriter.open, []

    def open_once_failing(self, path, side=None):
        handle = real_open(self, path, side)
        real = handle.write_encoded

        def write_encoded(enc):
            if b'"d1"' in enc[0] and not failed:
                failed.append(path)
                raise MemoryError("the compressor ran out of memory")
            return real(enc)

        handle.write_encoded = write_encoded
        return handle

    monkeypatch.setattr(jm.JsonlWriter, "open", open_once_failing)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("exact_dedup", "step")(normalize="none")])])
    res = run_pipeline(pipe, tmp_path / "run", InlineExecutor(retries=1, progress=False), log=False, report=False)
    st = res.stats["stages"][0]
    assert failed and (st["in"], st["kept"], st["rejected"], st["quarantined"]) == (7, 5, 2, 0)
