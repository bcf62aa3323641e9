"""Control characters from crawled pages never reach the terminal raw (issue 11, item 14): ``explain`` and
``inspect`` escape them in text output and keep JSON output valid (and equal) JSON."""

from __future__ import annotations

import os

import orjson
import pytest

from winnow.executors import InlineExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps.basic import LengthFilter

from tests.helpers import write_jsonl

EVIL_ID = "doc\x1b]0;pwned\x07\x1b[2J"
EVIL_TEXT = ("Title \x1b]0;owned\x07 then \x1b[2J\x1b[H a cleared screen, a C1 CSI \x9b31m red, "
             "and a \u202e reversed tail.\nsecond line\tafter a tab")
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _no_raw(out: str) -> None:
    for ch in RAW:
        assert ch not in out, f"{ch!r} reached the terminal"


def test_explain_escapes_control_characters(tmp_path, capsys):
    from winnow.report.explain import explain

    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": EVIL_ID, "text": EVIL_TEXT, "url": "http://x/\x1b[31m"}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[LengthFilter(min_chars=10_000)])])
    run_pipeline(pipe, tmp_path / "run", InlineExecutor(), log=False, report=False)
    assert explain(tmp_path / "run", EVIL_ID) == 0
    out = capsys.readouterr().out
    _no_raw(out)
    assert "\\x1b]0;pwned\\x07" in out
    assert explain(tmp_path / "run", EVIL_ID, as_json=True) == 0
    out = capsys.readouterr().out
    _no_raw(out)
    assert orjson.loads(out)["id"] == EVIL_ID  # the same JSON, escaped


def test_inspect_escapes_control_characters(tmp_path, capsys):
    from winnow.inspect import inspect_path

    write_jsonl(tmp_path / "a.jsonl", [{"id": EVIL_ID, "text": EVIL_TEXT}])
    assert inspect_path(str(tmp_path / "a.jsonl"), _default(), as_json=False, color=True) == 0
    out = capsys.readouterr().out
    _no_raw(out.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[2m", "").replace("\x1b[31m", "")
            .replace("\x1b[32m", ""))  # its own colour codes aside
    assert "\\x1b[2J" in out and "second line" in out
    assert inspect_path(str(tmp_path / "a.jsonl"), _default(), as_json=True, color=False) == 0
    out = capsys.readouterr().out
    _no_raw(out)
    rec = orjson.loads(out.splitlines()[0])
    assert rec["id"] == EVIL_ID


def _default() -> str:
    from winnow.cli import DEFAULT_CONFIG

    return str(DEFAULT_CONFIG)


@pytest.mark.parametrize("folder, doc_id", [("-run", "-x1"), ("my run", "http://a.b/?q=1&r=2"), ("it's", "naïve")])
def test_a_command_shown_to_paste_gives_the_folder_and_id_back(folder, doc_id):
    # an id with a leading '-' after the folder was read as an option by argparse: it goes after '--'
    import shlex

    from winnow._terminal import shell_arg, shell_path
    from winnow.cli import build_parser

    args = build_parser().parse_args(shlex.split(f"explain {shell_path(folder)} {shell_arg(doc_id)}"))
    assert os.path.normpath(args.run_dir) == folder and args.doc_id == doc_id
