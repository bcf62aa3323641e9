"""`winnow inspect` reads a file with the reader its type implies, record by record, and shows each record's
decisions (a WARC file used to be one document, reported as Serbian)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from winnow.cli import main
from winnow.io.warc import WarcReader

from tests.helpers import text_records, write_jsonl

WARC = Path(__file__).resolve().parent / "fixtures" / "extract" / "warcfile.warc.gz"


def _pipeline(tmp_path: Path, steps: list, reader: dict | None = None) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": reader or {"type": "jsonl", "paths": "x"},
                                             "steps": steps}]}))
    return p


def test_warc_is_read_record_by_record(tmp_path, capsys):
    want = [d for d in WarcReader(paths=str(WARC)).read(str(WARC))]
    assert len(want) > 5
    p = _pipeline(tmp_path, [{"type": "length", "min_chars": 500}])  # no html_extract: inspect adds it
    assert main(["inspect", str(WARC), "--pipeline", str(p), "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r.get("id") for r in recs] == [d.id for d in want]
    assert [r["url"] for r in recs] == [d.metadata["url"] for d in want]
    assert any(r["kept"] for r in recs) and not all(r["kept"] for r in recs)
    for r in recs:  # every record's own decisions: extracted, then measured
        assert "html_extract.chars" in r["attributes"] or r["drop"]["step"] == "html_extract"
        if r["kept"]:
            assert r["attributes"]["length.chars"] >= 500 and r["text"]


def test_warc_terminal_output_and_default_pipeline(tmp_path, capsys):
    assert main(["inspect", str(WARC), "--no-color"]) == 0
    out = capsys.readouterr().out
    n = sum(1 for _ in WarcReader(paths=str(WARC)).read(str(WARC)))
    headers = [ln for ln in out.splitlines() if ln.startswith("== ")]
    assert len(headers) == n and all(" http" in h for h in headers)
    assert any("DROPPED by language: wrong_language" in h for h in headers)


def test_parquet_rows_and_the_pipelines_reader_settings(tmp_path, capsys, real_docs):
    rows = [{"doc": r["id"], "content": r["text"]} for r in text_records(real_docs, 0, 4)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    p = _pipeline(tmp_path, [{"type": "length", "min_chars": 3000}],
                  {"type": "parquet", "paths": "x", "text_key": "content", "id_key": "doc"})
    assert main(["inspect", str(tmp_path / "d.parquet"), "--pipeline", str(p), "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in recs] == [r["doc"] for r in rows]
    assert [r["kept"] for r in recs] == [len(r["content"].strip()) >= 3000 for r in rows]
    # the same settings for JSON Lines when the pipeline reads JSON Lines
    src = write_jsonl(tmp_path / "d.jsonl.gz", rows)
    p = _pipeline(tmp_path, ["length"], {"type": "jsonl", "paths": "x", "text_key": "content", "id_key": "doc"})
    assert main(["inspect", str(src), "--pipeline", str(p), "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in recs] == [r["doc"] for r in rows] and all("quarantined" not in r for r in recs)


def test_an_edit_names_its_rule_in_both_outputs(tmp_path, capsys):
    body = ("The harbour of the old town was rebuilt after the great storm of 1872. Its new quays were made of "
            "granite brought from the northern quarries by rail.")
    src = write_jsonl(tmp_path / "d.jsonl.gz", [{"id": "a", "text": f"{body}\nHome | About | Contact | Blog\n{body}"}])
    p = _pipeline(tmp_path, ["offtopic_sentences"])
    assert main(["inspect", str(src), "--pipeline", str(p), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out.splitlines()[0])
    assert [(e["reason"], e["rule"]) for e in rec["edits"]] == [("site_chrome", "bar_menu")]
    assert main(["inspect", str(src), "--pipeline", str(p), "--no-color"]) == 0
    assert "[offtopic_sentences: site_chrome rule=bar_menu score=0.900]" in capsys.readouterr().out


def test_a_file_with_nothing_to_show_says_why_and_fails(tmp_path, capsys):
    # A wrongly keyed file printed one QUARANTINED line per record and exited 0; an empty file printed nothing at all.
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text("".join(json.dumps({"id": f"d{i}", "body": "Some text here."}) + "\n" for i in range(3)))
    assert main(["inspect", str(wrong), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert "every record of" in err and "(3)" in err and "text_key" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["inspect", str(empty)]) == 1
    assert "holds no records" in capsys.readouterr().err
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": "A sentence of text. Another one follows it here."}) + "\n")
    assert main(["inspect", str(good), "--no-color"]) == 0


def test_set_overrides_the_pipeline_as_run_takes_it(tmp_path, capsys):
    # The hint for a wrongly keyed file was to copy a pipeline with `winnow init`, edit its reader and pass it with
    # --pipeline; `winnow run` takes --set main.reader.text_key=FIELD, and now inspect does too (thresholds as well).
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text("".join(json.dumps({"id": f"d{i}", "body": "Some text here. " * (i + 1)}) + "\n"
                             for i in range(3)))
    p = _pipeline(tmp_path, [{"type": "length", "min_chars": 1}])
    assert main(["inspect", str(wrong), "--pipeline", str(p), "--no-color"]) == 1
    assert "--set s.reader.text_key=FIELD" in capsys.readouterr().err
    assert main(["inspect", str(wrong), "--pipeline", str(p), "--json", "--set", "s.reader.text_key=body",
                 "--set", "length.min_chars=20"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["kept"]) for r in recs] == [("d0", False), ("d1", True), ("d2", True)]


def test_a_file_with_nothing_to_show_gets_the_advice_for_its_reasons(tmp_path, capsys):
    # every such file was told to name another text field: a Latin-1 file or a JSON array is not fixed that way
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps({"id": "a", "text": "Caf\u00e9."}, ensure_ascii=False).encode("latin-1") + b"\n")
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([{"id": "a", "text": "x"}]) + "\n")
    for src, advice in ((latin, "iconv -f cp1252 -t utf-8"), (arr, "jq -c '.[]'")):
        assert main(["inspect", str(src), "--no-color"]) == 1
        err = capsys.readouterr().err
        assert advice in err and "text_key" not in err, err


def test_set_reaches_a_reader_of_another_type_as_input_does(tmp_path, capsys, real_docs):
    # the hint for a Parquet file with the text under 'content' is --set main.reader.text_key=content; with the
    # default pipeline (a jsonl reader) the Parquet reader was built from defaults and still read 'text'
    rows = [{"doc": r["id"], "content": r["text"]} for r in text_records(real_docs, 0, 3)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    assert main(["inspect", str(tmp_path / "d.parquet"), "--json", "--set", "main.reader.text_key=content",
                 "--set", "main.reader.id_key=doc"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in recs] == [r["doc"] for r in rows]


def test_limit_stops_after_that_many_documents(tmp_path, capsys, real_docs):
    # a corpus shard (5,002 Parquet rows) went through the default pipeline's steps record by record for 192 s,
    # with no way to stop but Ctrl-C or knowing `--set main.reader.limit` (friction10)
    rows = text_records(real_docs, 0, 6)
    src = write_jsonl(tmp_path / "d.jsonl", rows)
    p = _pipeline(tmp_path, ["length"], {"type": "jsonl", "paths": "x"})
    assert main(["inspect", str(src), "--pipeline", str(p), "--json", "--limit", "2"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == [r["id"] for r in rows[:2]]
    assert main(["inspect", str(src), "--pipeline", str(p), "--limit", "3", "--no-color"]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n== ") + out.out.startswith("== ") == 3 and "first 3 records" in out.err
    assert main(["inspect", str(src), "--limit", "0"]) == 2
    # quarantined records count too: a file whose first lines are all bad printed every one of them (review12)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{not json\n" * 50 + src.read_bytes())
    assert main(["inspect", str(bad), "--pipeline", str(p), "--limit", "5", "--no-color"]) == 1  # nothing shown
    out = capsys.readouterr()
    assert out.out.count("QUARANTINED") == 5 and "== " not in out.out and "first 5 records" in out.err
    assert "the first 5 records of" in out.err and "were all quarantined" in out.err
    assert main(["inspect", str(bad), "--pipeline", str(p), "--limit", "1", "--no-color"]) == 1
    err = capsys.readouterr().err  # (it read 'the first 1 records ... were all quarantined')
    assert "the first record of" in err and "(--limit) was quarantined: " in err and "records" not in err


def test_a_run_folder_is_refused_with_the_commands_that_read_it(tmp_path, capsys, real_docs):
    # friction11: `winnow inspect RUN` read the run folder as documents: config.resolved.yaml, stats.json and
    # report.html each went through the steps as a page ("config.resolved.yaml DROPPED by language")
    src = write_jsonl(tmp_path / "d.jsonl", text_records(real_docs, 0, 4))
    p = _pipeline(tmp_path, ["length"], {"type": "jsonl", "paths": str(src)})
    assert main(["run", str(p), "-o", str(tmp_path / "run"), "--executor", "inline"]) == 0
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "run"), "--pipeline", str(p)]) == 1
    out = capsys.readouterr()
    assert out.out == "" and "is a winnow run folder" in out.err and "winnow explain" in out.err
    kept = sorted((tmp_path / "run" / "kept").rglob("*.jsonl.zst"))[0]
    assert main(["inspect", str(kept), "--pipeline", str(p), "--limit", "1"]) == 0
    assert "first record: --limit" in capsys.readouterr().err
