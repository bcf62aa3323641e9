"""Kill a real `winnow run` with SIGKILL midway, run it again, and get byte-identical output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from winnow.config import load_pipeline
from winnow.executors import InlineExecutor
from winnow.run import run_pipeline

from tests.helpers import read_all, text_records, write_jsonl

N_SHARDS = 24


def _outputs(run: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(run).items() if k.startswith(("kept/", "rejected/", "quarantine/"))}


def test_sigkill_then_resume_is_byte_identical(tmp_path, real_docs):
    docs = [d for d in real_docs if d.text] * 3
    per = len(docs) // N_SHARDS
    for i in range(N_SHARDS):
        write_jsonl(tmp_path / "in" / f"p{i:02d}.jsonl.zst", text_records(docs, i * per, per))
    cfg = {
        "run": {"name": "kill", "output_dir": str(tmp_path / "killed")},
        "executor": {"type": "local", "workers": 1},
        "stages": [
            {"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl.zst")},
             "steps": [{"type": "length", "min_chars": 1500}], "writer": {"type": "jsonl", "compression": "gzip"}},
            {"name": "b", "from": "a", "steps": [{"type": "length", "min_chars": 4000}],
             "writer": {"type": "parquet"}},
        ],
    }
    cfg_path = tmp_path / "p.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))

    ref = run_pipeline(load_pipeline(cfg_path), tmp_path / "ref", InlineExecutor(), log=False)

    cmd = [sys.executable, "-m", "winnow", "run", str(cfg_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    done = tmp_path / "killed" / "done" / "a" / "p0"
    deadline = time.time() + 120
    while time.time() < deadline:
        n = len(list(done.iterdir())) if done.exists() else 0
        if n >= 3:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, as a crash or OOM-killer would
    proc.wait()
    finished = len(list(done.iterdir()))
    assert 3 <= finished < N_SHARDS, f"kill landed after {finished} shards"
    assert not (tmp_path / "killed" / "stats.json").exists()

    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"{finished} shard pass(es) were already done and skipped" in out.stdout
    assert "ledger balanced" in out.stdout
    assert _outputs(tmp_path / "killed") == _outputs(tmp_path / "ref")
    assert ref.stats["stages"][1]["kept"] > 0 and ref.stats["stages"][0]["rejected"] > 0


def test_resume_refuses_a_different_pipeline(tmp_path, real_docs):
    write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 10))
    cfg = {"stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
                       "steps": [{"type": "length"}]}]}
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(cfg))
    run_pipeline(load_pipeline(p), tmp_path / "run", InlineExecutor(), log=False)
    cfg["stages"][0]["steps"][0]["min_chars"] = 99
    p.write_text(yaml.safe_dump(cfg))
    import pytest

    from winnow.errors import ConfigError

    # the refusal names what changed, as --set names it, so a user who changed one thing sees which
    with pytest.raises(ConfigError, match=r"different pipeline .*changed: a\.length\.min_chars: 1 -> 99\)\. .*"
                                          r"Give another run folder with -o DIR"):
        run_pipeline(load_pipeline(p), tmp_path / "run", InlineExecutor(), log=False)
    cfg["stages"][0]["steps"][0].pop("min_chars")
    cfg["stages"][0]["reader"]["paths"] = str(tmp_path / "in" / "a.jsonl")
    p.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"changed: a\.reader\.paths: '.*\*\.jsonl' -> '.*a\.jsonl'\)"):
        run_pipeline(load_pipeline(p), tmp_path / "run", InlineExecutor(), log=False)
    cfg["stages"][0]["steps"].append({"type": "sample", "rate": 0.5})
    p.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"a steps: \['length'\] -> \['length', 'sample'\]"):
        run_pipeline(load_pipeline(p), tmp_path / "run", InlineExecutor(), log=False)

    # a list of files (what an unquoted --input glob gives): one added or changed was cut out of the middle of two
    # long lists, and the refusal read "changed: ['in/file-number-1...5.jsonl'] -> ['in/file-number-1...5.jsonl']"
    names = [str(write_jsonl(tmp_path / "in" / f"file-number-{i}-of-the-crawl.jsonl", text_records(real_docs, i, 1)))
             for i in range(1, 7)]
    cfg["stages"][0]["steps"].pop()
    cfg["stages"][0]["reader"]["paths"] = names[:3] + names[4:]
    run_pipeline(load_pipeline(_write(p, cfg)), tmp_path / "list", InlineExecutor(), log=False)
    cfg["stages"][0]["reader"]["paths"] = names[:4] + names[4:]
    with pytest.raises(ConfigError, match=r"changed: a\.reader\.paths: added '.*file-number-4-of-the-crawl\.jsonl'\)"):
        run_pipeline(load_pipeline(_write(p, cfg)), tmp_path / "list", InlineExecutor(), log=False)
    cfg["stages"][0]["reader"]["paths"] = names[:2] + [names[3]] + names[4:]
    with pytest.raises(ConfigError, match=r"changed: a\.reader\.paths\[2\]: '.*-3-of-the-crawl\.jsonl' -> "
                                          r"'.*-4-of-the-crawl\.jsonl'\)"):
        run_pipeline(load_pipeline(_write(p, cfg)), tmp_path / "list", InlineExecutor(), log=False)


def test_resume_refuses_changed_inputs_that_dedup_already_merged(tmp_path, real_docs):
    """An exact copy of a finished input added before a resume: resuming would skip the finished dedup merge and
    keep every copy. The resume is refused; a fresh folder finds the duplicates."""
    import pytest

    from winnow.errors import ConfigError

    write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 20))
    cfg = {"executor": "inline", "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
                                            "steps": [{"type": "exact_dedup"}]}]}
    pipe = lambda: load_pipeline(_write(tmp_path / "p.yaml", cfg))  # noqa: E731
    first = run_pipeline(pipe(), tmp_path / "run", log=False)
    assert first.stats["stages"][0]["kept"] == 20
    (tmp_path / "in" / "b.jsonl").write_bytes((tmp_path / "in" / "a.jsonl").read_bytes())
    with pytest.raises(ConfigError, match=r"input files changed since this run started \(1 new \(first: .*b\.jsonl\)"):
        run_pipeline(pipe(), tmp_path / "run", log=False)
    fresh = run_pipeline(pipe(), tmp_path / "fresh", log=False)
    assert fresh.stats["stages"][0]["kept"] == 20 and fresh.stats["stages"][0]["rejected"] == 20
    (tmp_path / "in" / "b.jsonl").unlink()
    again = run_pipeline(pipe(), tmp_path / "run", log=False)  # the recorded inputs again: resumes, skips all
    assert again.skipped_shards > 0 and again.stats["invocations"] == 2
    assert again.stats["seconds"] >= first.stats["seconds"]  # run time adds up over invocations


def test_an_input_pattern_matching_nothing_is_an_error(tmp_path, capsys):
    from winnow.cli import main

    cfg = {"executor": "inline", "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "nope" / "*.jsonl")},
                                            "steps": [{"type": "length"}]}]}
    assert main(["run", str(_write(tmp_path / "p.yaml", cfg)), "-o", str(tmp_path / "run")]) == 2
    assert "stage a: no input matched" in capsys.readouterr().err


def _write(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_sigkill_with_two_workers_largest_first_and_the_opt_in_options_resumes_byte_identical(tmp_path, real_docs):
    # Two workers hand tasks out largest input first (run._largest_first), so a killed run leaves done a set of
    # shards that is not a prefix in shard order; resumed, it must write what an uninterrupted one-worker run
    # writes, quarantine included, with the opt-in coherence options of the multilingual stop (their stand-in
    # encoder) and a corpus step (a second pass).
    docs = [d for d in real_docs if d.text]
    sizes = [2, 15, 4, 11, 6, 8, 3, 13]  # documents per file: the largest are not the first
    start = 0
    for i, n in enumerate(sizes):
        path = write_jsonl(tmp_path / "in" / f"p{i}.jsonl", text_records(docs, start, n))
        start += n
        if i == 3:
            with open(path, "ab") as f:
                f.write(b'{"id": "broken", "text": "no end\n')  # quarantined: malformed JSON
    cfg = {
        "run": {"name": "kill2", "output_dir": str(tmp_path / "killed")},
        "executor": {"type": "local", "workers": 2},
        "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl"),
                                            "shard_size_mb": 0},
                    "steps": [{"type": "offtopic_sentences", "encoder": "hashing", "intruder_prose_threshold": 0.5,
                               "page_gate": 0, "chrome_encoder": "hashing", "chrome_encoder_threshold": 0.5},
                              {"type": "stitched_document", "heads": "pooled"},
                              {"type": "exact_dedup"}]}],
    }
    cfg_path = tmp_path / "p.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    ref = run_pipeline(load_pipeline(cfg_path), tmp_path / "ref", InlineExecutor(), log=False)

    cmd = [sys.executable, "-m", "winnow", "run", str(cfg_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    done = tmp_path / "killed" / "done" / "a" / "p0"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if done.exists() and any(done.iterdir()):
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted(p.name for p in done.iterdir())
    assert 1 <= len(finished) < len(sizes), f"kill landed after {finished}"
    # the two workers started on the two largest inputs, so one of them finished first
    assert {"00001", "00007"} & set(finished), finished

    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "ledger balanced" in out.stdout
    assert _outputs(tmp_path / "killed") == _outputs(tmp_path / "ref")
    s = ref.stats["stages"][0]
    assert s["quarantined"] == 1 and s["kept"] > 0


def test_the_refusal_shows_both_ends_of_a_long_changed_value():
    # a path longer than the 80 characters shown: what changed is at its end (the file pattern), so both ends show
    from winnow.run import _config_changes

    deep = "/" + "/".join(["a-rather-long-folder-name"] * 6) + "/in/"
    cfg = "stages:\n- name: a\n  reader: {{type: jsonl, paths: '{}'}}\n  steps: []\n"
    (what,) = _config_changes(cfg.format(deep + "*.jsonl"), cfg.format(deep + "a.jsonl"))
    assert what.startswith("a.reader.paths: '/a-rather-long")
    assert "*.jsonl' -> '/a-rather-long" in what and what.endswith("/in/a.jsonl'")



def test_a_run_folder_resumes_with_its_own_config_resolved_yaml(tmp_path, real_docs):
    # config.resolved.yaml is the pipeline as it ran, so running it again on its folder is a resume. gopher_quality's
    # min_mean_word_length (a float parameter whose default is the int 3) is written "3" and read back as 3.0, and
    # the folder was refused as another pipeline ('changed: the files differ'): a folder made before a change of the
    # shipped pipeline (language before unicode_fix) could not be finished as it was begun.
    write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 10))
    cfg = {"stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
                       "steps": [{"type": "gopher_quality"}]}]}
    first = run_pipeline(load_pipeline(_write(tmp_path / "p.yaml", cfg)), tmp_path / "run", InlineExecutor(), log=False)
    cfg["stages"][0]["steps"].insert(0, {"type": "length"})  # (another order of the steps, as a new release's)
    import pytest

    from winnow.errors import ConfigError

    with pytest.raises(ConfigError, match=r"to finish it as it was begun: winnow run .*run/config\.resolved\.yaml -o "):
        run_pipeline(load_pipeline(_write(tmp_path / "p.yaml", cfg)), tmp_path / "run", InlineExecutor(), log=False)
    again = run_pipeline(load_pipeline(tmp_path / "run" / "config.resolved.yaml"), tmp_path / "run", InlineExecutor(),
                         log=False)
    assert again.stats["stages"][0]["kept"] == first.stats["stages"][0]["kept"]


def test_the_refusal_names_a_value_changed_from_true_to_1():
    # True == 1 in Python: the folder was refused (YAML writes them apart) with 'changed: the files differ'
    from winnow.run import _config_changes

    cfg = "stages:\n- name: a\n  reader: {{type: jsonl, paths: a.jsonl, fields: {{x: {}}}}}\n  steps: [{{type: f, at: [{}]}}]\n"
    assert _config_changes(cfg.format("true", 1), cfg.format(1, 1)) == ["a.reader.fields.x: true -> 1"]
    assert _config_changes(cfg.format(1, "false"), cfg.format(1, 0)) == ["a.f.at[0]: false -> 0"]
    assert _config_changes(cfg.format(1, 1), cfg.format(1.0, 1)) == ["the files differ"]  # (never refused: 1.0 is 1)
