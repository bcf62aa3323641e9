"""explain, whatif, report, query and apply on a run folder whose files were cut short, edited by hand, or written in
another shape: one line naming the file, never a traceback (stop 29, robust13)."""

from __future__ import annotations

import shutil

import orjson
import pytest
import yaml
import zstandard

from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp("damaged-run")
    write_jsonl(tmp / "in" / "a.jsonl", text_records(real_docs, 0, 30))
    pipe = pipeline_from_dict(yaml.safe_load(f"""
        executor: inline
        stages:
          - name: main
            reader: {{type: jsonl, paths: "{tmp / 'in' / '*.jsonl'}"}}
            steps: [{{type: length, min_chars: 3000}}]
    """))
    run_pipeline(pipe, tmp / "run", "inline", log=False)
    return tmp / "run"


def _records(path):
    return zstandard.ZstdDecompressor().stream_reader(path.read_bytes()).read().splitlines()


def _write(path, lines):
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\n".join(lines) + b"\n"))


def _cut(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _kept(run):
    return next((run / "kept" / "main").glob("*.jsonl.zst"))


def _rejected(run):
    return next((run / "rejected" / "main").glob("*.jsonl.zst"))


def _edit_record(run):
    lines = _records(_rejected(run))
    rec = orjson.loads(lines[0])
    rec["drop"], rec["attributes"] = "length", [1, 2]
    _write(_rejected(run), [orjson.dumps(rec)] + lines[1:])


def _not_json_line(run):
    lines = _records(_rejected(run))
    _write(_rejected(run), [lines[0][: len(lines[0]) // 2]] + lines[1:])


DAMAGE = {
    "kept file cut short": (lambda run: _cut(_kept(run)), "kept/main/"),
    "rejected file overwritten": (lambda run: _rejected(run).write_bytes(b"\x00garbage" * 100), "rejected/main/"),
    "config not YAML": (lambda run: (run / "config.resolved.yaml").write_text("stages: [unclosed\n"),
                        "config.resolved.yaml: not valid YAML"),
    "stats not JSON": (lambda run: (run / "stats.json").write_text("{not json"), "stats.json: not valid JSON"),
    "stats of another shape": (lambda run: (run / "stats.json").write_text('{"stages": {"main": 1}}'),
                               "stats.json: not the statistics of a run"),
    # passed over as a line that is not JSON is; whatif says its figures leave it out, apply refuses to write an
    # output short by it
    "a record edited by hand": (_edit_record, None),
    "a line not JSON": (_not_json_line, None),
    "index cut short": (lambda run: _cut(run / "index" / "documents.jsonl.zst"), None),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_run_folder_is_a_message_naming_the_file(good_run, tmp_path, capsys, damage):
    # Before: a traceback from the decompressor (EOFError, ZstdError), YAML's parser, orjson, or an AttributeError
    # ('str' object has no attribute 'get') deep inside the report, from every one of these commands.
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    make, says = DAMAGE[damage]
    passed_over = damage in ("a record edited by hand", "a line not JSON")
    # explain reads only the lines holding the id asked for: the damaged record's is asked for there
    some_id = orjson.loads(_records(_rejected(run))[0 if passed_over else 1])["id"]
    make(run)
    for argv in (["explain", run, some_id], ["whatif", run, "--set", "length.min_chars=100"], ["report", run],
                 ["query", run, "SELECT count(*) FROM rejected"], ["apply", run, "-o", tmp_path / "out"]):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        rc = main([str(a) for a in argv])
        cap = capsys.readouterr()
        err = cap.err
        if passed_over and argv[0] in ("explain", "report", "query"):
            # friction13: these passed over it without a word; now a warning names the file and the count, once
            what = "1 line(s) not JSON" if damage == "a line not JSON" else "1 record(s) not of the shape a run writes"
            assert err.count("warning: ") == 1 and f"{_rejected(run)}: {what}" in err, (argv[0], err)
            # the record asked for is the one passed over: explain says it has none, and why
            assert rc == (1 if argv[0] == "explain" else 0), (argv[0], err)
        elif says is None and argv[0] == "whatif" and passed_over:
            assert rc == 0 and "1 line(s) of its files are not JSON or not a document's record" in cap.out, cap.out
        elif says is None and argv[0] == "apply" and passed_over:
            # it wrote an output one document short under "[ledger balanced]"
            assert rc == 1 and "1 line(s) of its files not JSON or not a document's record" in err, err
            assert not (tmp_path / "out" / "kept").exists()  # removed: the folder takes a rerun
        elif says is None:  # read past; a cut index is not used
            assert rc == 0, (argv[0], err)
        else:
            assert rc == 1 and says in err and "Traceback" not in err, (argv[0], err)
