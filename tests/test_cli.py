from __future__ import annotations

import json
from pathlib import Path

import yaml

from winnow.cli import main

from tests.conftest import SAMPLES
from tests.helpers import text_records, write_jsonl

SPECIMEN = Path(__file__).resolve().parent / "fixtures" / "foundation" / "stitched-page.txt"


def test_steps_lists_parameters_defaults_and_reasons(capsys):
    assert main(["steps", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    length = rows["length"]
    assert {"name": "min_chars", "type": "int", "default": 1} in [
        {k: p[k] for k in ("name", "type", "default")} for p in length["params"]]
    assert length["reasons"] == ["too_short", "too_long"] and length["kind"] == "filter"
    assert main(["steps"]) == 0
    assert "reasons: too_short, too_long" in capsys.readouterr().out


def test_steps_says_which_rules_remove_site_chrome(capsys):
    # A new user reading `winnow steps offtopic_sentences` saw remove_chrome with no word of what it removes: the
    # stop's furniture words and menu trails (and their scores, all an edit records) were in code comments only.
    assert main(["steps", "offtopic_sentences"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    help_ = out[out.index("remove_chrome: bool = True"):out.index("remove_off_topic:")]
    for words in ("furniture words", "menu trails", "navigation bars", "link_text", "reference_list", "0.75"):
        assert words in help_, words


def _pipeline(tmp_path: Path, steps: list) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"},
                                             "steps": steps}]}))
    return p


def test_inspect_json_on_text_and_jsonl(tmp_path, capsys, real_docs):
    p = _pipeline(tmp_path, [{"type": "length", "min_chars": 20000}])
    assert main(["inspect", str(SPECIMEN), "--pipeline", str(p), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert set(rec) >= {"id", "kept", "drop", "attributes", "edits", "text"}
    assert rec["kept"] is False and rec["drop"]["reason"] == "too_short"
    assert rec["drop"]["value"] == len(SPECIMEN.read_text().strip()) and rec["drop"]["threshold"] == 20000
    assert rec["text"] == SPECIMEN.read_text()

    src = write_jsonl(tmp_path / "d.jsonl", text_records(real_docs, 0, 5))
    assert main(["inspect", str(src), "--pipeline", str(p), "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in recs] == [d.id for d in real_docs[:5]]
    assert [r["kept"] for r in recs] == [len(d.text.strip()) >= 20000 for d in real_docs[:5]]


def test_inspect_terminal_output_names_the_drop(tmp_path, capsys):
    p = _pipeline(tmp_path, [{"type": "length", "min_chars": 20000}])
    assert main(["inspect", str(SPECIMEN), "--pipeline", str(p), "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "DROPPED by length: too_short" in out and "threshold 20000" in out


def test_run_cli_prints_ledger_table(tmp_path, capsys, real_docs):
    src = write_jsonl(tmp_path / "in" / "a.jsonl.gz", text_records(real_docs, 0, 30))
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "s", "reader": {"type": "jsonl", "paths": str(src)}, "steps": [{"type": "length", "min_chars": 3000}]}]}))
    assert main(["run", str(p), "-o", str(tmp_path / "run"), "--verify"]) == 0
    out = capsys.readouterr().out
    n_short = sum(len(d.text.strip()) < 3000 for d in real_docs[:30])
    assert f"30 in -> {30 - n_short} kept, {n_short} rejected, 0 quarantined  [ledger balanced]" in out
    assert f"too_short={n_short}" in out
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    assert stats["stages"][0]["steps"][0]["dropped"] == {"too_short": n_short}
    resolved = yaml.safe_load((tmp_path / "run" / "config.resolved.yaml").read_text())
    assert resolved["stages"][0]["steps"][0] == {"type": "length", "min_chars": 3000, "max_chars": 10_000_000}


def test_steps_shows_whole_first_paragraph(capsys):
    assert main(["steps", "--json"]) == 0
    rows = {r["name"]: r["doc"] for r in json.loads(capsys.readouterr().out)}
    assert rows["url_dedup"].endswith("documents without one are kept.")  # a one-line cut ended at "without one"
    assert "\n" not in rows["line_dedup"] and rows["line_dedup"].endswith("is dropped.")


def test_closed_pipe_and_missing_file_are_not_tracebacks(tmp_path):
    import subprocess
    import sys

    # `winnow steps | head -1`: the reader closes the pipe early
    proc = subprocess.run(f"'{sys.executable}' -m winnow.cli steps | head -1", shell=True, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.count("\n") == 1 and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    missing = subprocess.run([sys.executable, "-m", "winnow.cli", "inspect", str(tmp_path / "nope.html")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert f"no such file or folder: {tmp_path / 'nope.html'}" in missing.stderr


def test_native_thread_pools_default_to_one_thread_per_process():
    """winnow runs one worker per core; numpy's OpenBLAS (and OpenMP) would start a thread per core in each process
    too, whose spinning cost the default pipeline ~40% more CPU under the inline executor (bench/results/e2e.md).
    The CLI sets them to one thread before numpy loads, unless the user chose a value."""
    import os
    import subprocess
    import sys

    probe = ("import os, sys; from winnow.cli import main; main(['steps', 'length']); "
             "import numpy; print('THREADS', os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert "THREADS 1 1" in out.stdout, out.stderr[-2000:]
    out = subprocess.run([sys.executable, "-c", probe], env={**env, "OPENBLAS_NUM_THREADS": "3"}, capture_output=True,
                         text=True, timeout=120)
    assert "THREADS 3 1" in out.stdout, out.stderr[-2000:]


def test_a_remote_stores_error_is_a_message_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    # -o s3://bucket/run without credentials printed botocore's traceback through fsspec
    import pytest

    import winnow.cli as cli

    class NoCredentialsError(Exception):
        pass

    NoCredentialsError.__module__ = "botocore.exceptions"

    def fails(args):
        raise NoCredentialsError("Unable to locate credentials")

    monkeypatch.setattr(cli, "cmd_steps", fails)
    assert main(["steps"]) == 1
    assert ("winnow: the storage library could not reach a remote path: NoCredentialsError: Unable to locate "
            "credentials") in capsys.readouterr().err

    def bug(args):
        raise KeyError("x")

    monkeypatch.setattr(cli, "cmd_steps", bug)
    with pytest.raises(KeyError):
        main(["steps"])


def test_progress_names_each_pass_and_its_steps(tmp_path, monkeypatch, real_docs):
    # "main pass 4: 19 docs/s" did not say which steps ran slowly (friction10, the default pipeline's 5 passes)
    from winnow.executors.inline import InlineExecutor

    descs = []
    run_tasks = InlineExecutor.run_tasks

    def recorded(self, tasks, desc=""):
        descs.append(desc)
        return run_tasks(self, tasks, desc=desc)

    monkeypatch.setattr(InlineExecutor, "run_tasks", recorded)
    src = write_jsonl(tmp_path / "in" / "a.jsonl.gz", text_records(real_docs, 0, 10))
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "s", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "length", "min_chars": 10}, {"type": "exact_dedup"}, {"type": "gopher_quality"},
                   {"type": "pii"}]},
        {"name": "t", "from": "s", "steps": [{"type": "length"}]}]}))
    assert main(["run", str(p), "-o", str(tmp_path / "run")]) == 0
    assert descs == ["s pass 1/2 (length..exact_dedup)", "s pass 2/2 (exact_dedup..pii)", "t"]
