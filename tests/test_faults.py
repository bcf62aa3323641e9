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

from winnow.config import load_pipeline
from winnow.errors import ConfigError
from winnow.executors import InlineExecutor
from winnow.run import run_pipeline
from winnow.runfolder import LOCK_NAME, RunFolderError

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
