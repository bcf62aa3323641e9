"""How a run ends: a run that quarantined everything fails with the first message of each reason; an annotate run
says what it would keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from winnow.cli import main
from winnow.errors import TooMuchQuarantined
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter

from tests.helpers import text_records, write_jsonl


def _cfg(tmp_path: Path, src: Path, **reader) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "s", "reader": {"type": "jsonl", "paths": str(src), **reader},
         "steps": [{"type": "length", "min_chars": 100}]}]}))
    return p


def test_wrong_text_key_fails_with_the_readers_message(tmp_path, capsys, real_docs):
    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 12))
    # refused before the run (winnow.preflight), with the reader's message and what to set
    rc = main(["run", str(_cfg(tmp_path, src, text_key="content")), "-o", str(tmp_path / "run")])
    cap = capsys.readouterr()
    assert rc == 2 and "record has no 'content' field" in cap.err and "reader.text_key=FIELD" in cap.err
    assert not (tmp_path / "run").exists()
    # accepted with run.max_quarantined, the run fails at its end above that share
    cfg = _cfg(tmp_path, src, text_key="content")
    cfg.write_text(cfg.read_text() + "run: {max_quarantined: 0.5}\n")
    rc = main(["run", str(cfg), "-o", str(tmp_path / "run")])
    cap = capsys.readouterr()
    assert rc == 1
    # the table is still printed, with the first message of the reason under it
    assert "12 in -> 0 kept, 0 rejected, 12 quarantined" in cap.out
    assert "first missing_text:" in cap.out and "record has no 'content' field" in cap.out
    assert "12 of 12 records quarantined" in cap.err and "record has no 'content' field" in cap.err
    # the outputs and stats were written all the same
    assert json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]["quarantined"] == 12


def test_share_of_quarantined_is_configurable(tmp_path, real_docs):
    recs = text_records(real_docs, 0, 10)
    bad = [{"id": f"bad{i}", "body": "x"} for i in range(3)]
    src = write_jsonl(tmp_path / "in" / "a.jsonl", recs + bad)

    def run(limit, out):
        pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(src)), steps=[LengthFilter(min_chars=1)])],
                        max_quarantined=limit)
        return run_pipeline(pipe, tmp_path / out, "inline", log=False, report=False)

    assert run(None, "a").stats["stages"][0]["quarantined"] == 3  # default: only "all of them" fails
    assert run(0.5, "b").stats["stages"][0]["quarantined"] == 3
    with pytest.raises(TooMuchQuarantined, match=r"3 of 13 records quarantined .*max_quarantined=0.1.*missing_text"):
        run(0.1, "c")


def test_reader_stage_that_reads_nothing_fails(tmp_path):
    src = tmp_path / "in" / "empty.jsonl"
    src.parent.mkdir()
    src.write_bytes(b"")
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(src)), steps=[LengthFilter()])])
    with pytest.raises(TooMuchQuarantined, match="read no record"):
        run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)


def test_max_quarantined_in_the_pipeline_file(tmp_path, real_docs):
    from winnow.config import load_pipeline
    from winnow.errors import ConfigError

    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 2))
    p = _cfg(tmp_path, src)
    assert load_pipeline(p, {"run.max_quarantined": 0.25}).max_quarantined == 0.25
    with pytest.raises(ConfigError, match="max_quarantined"):
        load_pipeline(p, {"run.max_quarantined": 2})


def test_annotate_run_says_what_it_would_keep(tmp_path, capsys, real_docs):
    from winnow.run import format_stats
    from winnow.steps.quality import GopherQuality

    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 60))

    def run(mode):
        pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(src)),
                                      steps=[LengthFilter(min_chars=2000), GopherQuality(min_words=300)])],
                        on_drop=mode)
        return run_pipeline(pipe, tmp_path / mode, "inline", log=False, report=mode == "annotate")

    route_run, ann_run = run("route"), run("annotate")
    route, ann = route_run.stats, ann_run.stats
    # the command it suggests is one to paste: this run's folder, not RUN_DIR
    assert f"(write them: winnow apply {ann_run.run_dir} -o OUT)" in ann_run.summary
    r, a = route["stages"][0], ann["stages"][0]
    assert a["kept"] == 60 and 0 < r["kept"] < 60
    assert a["would_keep"] == r["kept"] == r["would_keep"]
    # per step, cumulative: what a routing run has left after each step
    assert [s["would_keep"] for s in a["steps"]] == [s["docs_out"] for s in r["steps"]]
    assert a["steps"][0]["would_keep"] > a["steps"][1]["would_keep"]
    text = format_stats(ann)
    assert f"would keep {r['kept']}" in text and "would keep" in text.splitlines()[2]
    # each rule's count there is every document failing it, more than whatif's first failures: the heading says so
    assert "fails by rule (all documents; whatif/apply count first failures)" in text
    assert "dropped / edits by reason" in format_stats(route)
    on_disk = json.loads((tmp_path / "annotate" / "stats.json").read_text())["stages"][0]
    assert on_disk["would_keep"] == r["kept"]
    html = (tmp_path / "annotate" / "report.html").read_text()
    assert f"It would keep {r['kept']} documents" in html and "<th class=n>would keep</th>" in html


def test_workers_left_idle_by_compressed_files_are_named(tmp_path, capsys, real_docs):
    # one .jsonl.gz with --workers 2 ran on one worker, saying nothing; an uncompressed file is split instead
    from winnow.executors.local import LocalExecutor

    gz = write_jsonl(tmp_path / "in" / "a.jsonl.gz", text_records(real_docs, 0, 6))
    plain = write_jsonl(tmp_path / "in" / "b.jsonl", text_records(real_docs, 6, 6))
    for src, run, note in ((gz, "gz", True), (plain, "plain", False)):
        pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(src)), steps=[LengthFilter()])])
        run_pipeline(pipe, tmp_path / run, LocalExecutor(workers=2), log=True, report=False)
        err = capsys.readouterr().err
        said = ("stage s: 1 shard(s) for 2 workers, so 1 stay idle: a compressed file (a.jsonl.gz) is read whole by "
                "one worker; split it into several files (or decompress it") in err
        assert said is note, err


def test_workers_left_idle_by_files_under_the_shard_size_are_named(tmp_path, capsys):
    # a 21 MB Parquet file (or JSONL) under shard_size_mb ran on one worker of two for 36 s, silently (friction10);
    # the note names the value that splits it, and only when that value does (limit reads files whole)
    import os

    from winnow.run import _idle_workers_note

    recs = [{"id": str(i), "text": f"page {i} " + "word " * 6000} for i in range(300)]  # ~9 MB
    src = write_jsonl(tmp_path / "big.jsonl", recs)
    sizes = {str(src): os.path.getsize(src)}
    reader = JsonlReader(paths=str(src))
    keys = reader.shards()
    assert len(keys) == 1
    _idle_workers_note("s", keys, 2, reader, sizes)
    err = capsys.readouterr().err
    assert "stage s: 1 shard(s) for 2 workers, so 1 stay idle" in err and "--set s.reader.shard_size_mb=4 " in err
    assert len(JsonlReader(paths=str(src), shard_size_mb=4).shards()) >= 2  # the value named does split it
    _idle_workers_note("s", keys, 2, JsonlReader(paths=str(src), limit=100), sizes)  # read whole: no use
    small = write_jsonl(tmp_path / "small.jsonl", recs[:5])
    _idle_workers_note("s", [str(small)], 2, JsonlReader(paths=str(small)), {str(small): os.path.getsize(small)})
    assert capsys.readouterr().err == ""


def test_shards_failing_alike_are_reported_once_not_once_each(tmp_path):
    # friction12: a tokenizer the workers cannot load failed every shard of its pass, and the message repeated the
    # same error once per shard ("3 more shard(s) failed: 00001 (3 attempts): FileNotFoundError: ...; 00002 ...")
    from winnow.errors import ShardFailed
    from winnow.steps.tokens import Tokenize

    for i in range(8):
        write_jsonl(tmp_path / f"in{i}.jsonl", [{"id": f"f{i}-{j}", "text": "some words here"} for j in range(3)])
    missing = "memory://nowhere-friction12/tokenizer.json"  # a remote address: checked when the run loads it
    pipe = Pipeline(stages=[Stage("main", reader=JsonlReader(paths=str(tmp_path / "in*.jsonl")),
                                  steps=[Tokenize(tokenizer=missing)])])
    with pytest.raises(ShardFailed) as exc:
        run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    msg = str(exc.value)
    assert msg.count("tokenizer not found") == 1, msg
    # friction13: and the stage stops at the first one (a setup that failed for good), the others not started
    assert "main/p0/00000" in msg and "stage stopped there (7 shard(s) not started)" in msg, msg


def test_other_shards_failing_alike_are_grouped_by_error():
    from winnow.executors import TaskFailure
    from winnow.run import _failures_by_error

    first = TaskFailure("s/p0/00000", "RuntimeError: disk on fire", 3)
    others = [TaskFailure(f"s/p0/{i:05d}", "RuntimeError: disk on fire", 3) for i in range(1, 8)]
    others.insert(2, TaskFailure("s/p0/00099", "OSError: [Errno 5] Input/output error", 2))
    assert _failures_by_error(first, others) == ("s/p0/00001, s/p0/00002, s/p0/00003, s/p0/00004, s/p0/00005 and 2 "
                                                 "more (3 attempts): the same error; s/p0/00099 (2 attempts): "
                                                 "OSError: [Errno 5] Input/output error")
