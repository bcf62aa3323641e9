"""explain takes a URL or a unique id prefix, and reads the index a run writes at its end (id -> file, position;
URL -> id) instead of every record file; a stale or missing index falls back to scanning."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.report import explain as explain_mod
from winnow.report.index import INDEX, load_index
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl


WRITERS = {"jsonl": "{type: jsonl}", "parquet": "{type: parquet}",
           # only some fields in the documents files, the rest in side files (attributes/...)
           "fields": "{type: jsonl, fields: {doc: id, body: text, url: url}}"}


@pytest.fixture(scope="module", params=list(WRITERS))
def run_dir(request, tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp(f"explain-index-{request.param}")
    recs = text_records(real_docs, 0, 40)
    write_jsonl(tmp / "in" / "a.jsonl", recs[:20] + [{"id": "broken", "body": "no text"}])
    write_jsonl(tmp / "in" / "b.jsonl", recs[20:])
    pipe = pipeline_from_dict(yaml.safe_load(f"""
        executor: inline
        stages:
          - name: main
            reader: {{type: jsonl, paths: "{tmp / 'in' / '*.jsonl'}"}}
            steps: [{{type: length, min_chars: 3000}}, exact_dedup]
            writer: {WRITERS[request.param]}
            rejects: {WRITERS[request.param]}
    """))
    run_pipeline(pipe, tmp / "run", "inline", log=False, report=False)
    return tmp / "run", recs


def _story(capsys, *args):
    rc = main(["explain", *map(str, args), "--json"])
    cap = capsys.readouterr()
    return rc, (json.loads(cap.out) if rc == 0 else cap.err)


def test_url_and_prefix_from_the_index_without_scanning(run_dir, capsys, monkeypatch):
    run, recs = run_dir
    assert (run / INDEX).exists() and load_index(run) is not None

    def no_scan(*a, **k):
        raise AssertionError("explain scanned the run's files although the index is there")

    monkeypatch.setattr(explain_mod, "iter_everything", no_scan)
    monkeypatch.setattr(explain_mod, "find_records", no_scan)
    for r in (recs[3], recs[25]):
        rc, by_id = _story(capsys, run, r["id"])
        assert rc == 0 and by_id["matched_by"] == "id" and by_id["records"][0]["id"] == r["id"]
        rc, by_url = _story(capsys, run, r["url"])
        assert rc == 0 and by_url["matched_by"] == "url" and by_url["records"] == by_id["records"]
        prefix = next(r["id"][:n] for n in range(1, len(r["id"]) + 1)
                      if sum(x["id"].startswith(r["id"][:n]) for x in recs) == 1)
        rc, by_prefix = _story(capsys, run, prefix)
        assert rc == 0 and by_prefix["matched_by"] == "prefix" and by_prefix["records"] == by_id["records"]
    stories = [_story(capsys, run, r["id"])[1]["records"][0] for r in recs]
    assert {s["outcome"] for s in stories} == {"kept", "rejected"}  # both kinds of file are indexed and read back
    # every record read back whole: its signals and text, from side files too
    assert all(s["steps"][0]["checks"][0]["value"] == len(r["text"].strip()) for s, r in zip(stories, recs)
               if s["steps"][0]["status"] != "not reached")
    assert all(s["text_preview"] == r["text"][:300] for s, r in zip(stories, recs))
    ambiguous = next(r["id"][:1] for r in recs if sum(x["id"][:1] == r["id"][:1] for x in recs) > 1)
    rc, err = _story(capsys, run, ambiguous)
    assert rc == 1 and "give more of it" in err
    rc, err = _story(capsys, run, "no-such-thing")
    assert rc == 1 and "no document with id, URL or id prefix" in err


def test_a_stale_or_missing_index_falls_back_to_scanning(run_dir, capsys, tmp_path):
    run, recs = run_dir
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    rc, want = _story(capsys, copy, recs[5]["url"])
    assert rc == 0
    kept = sorted((copy / "kept" / "main").iterdir())[0]
    kept.write_bytes(kept.read_bytes())  # same content: still usable
    assert load_index(copy) is not None
    extra = copy / "rejected" / "main" / "zz-extra.jsonl"
    extra.write_text("")  # a file the index never saw: it is not trusted any more
    assert load_index(copy) is None
    rc, got = _story(capsys, copy, recs[5]["url"])
    assert rc == 0 and got["records"] == want["records"] and got["matched_by"] == "url"
    extra.unlink()
    (copy / INDEX).unlink()
    rc, got = _story(capsys, copy, recs[5]["id"][:12])
    assert rc == 0 and got["records"] == want["records"] and got["matched_by"] == "prefix"
