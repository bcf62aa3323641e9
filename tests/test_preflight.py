"""A step that needs a metadata field no document has is refused before the run starts, with a message naming the
step and the field (url_dedup used to keep every duplicate silently when the URL sat under another key)."""

from __future__ import annotations

import json

import pytest
import yaml

from winnow.cli import main
from winnow.config import load_pipeline, pipeline_from_dict
from winnow.errors import ConfigError
from winnow.preflight import check_needed_fields
from winnow.run import run_pipeline

from tests.helpers import write_jsonl


def _pipe(tmp_path, records, steps, reader_extra=None, second=None):
    src = write_jsonl(tmp_path / "in.jsonl", records)
    stages = [{"name": "a", "reader": {"type": "jsonl", "paths": str(src), **(reader_extra or {})}, "steps": steps}]
    if second:
        stages.append({"name": "b", "from": "a", "steps": second})
    return pipeline_from_dict({"executor": {"type": "inline"}, "stages": stages})


NESTED = [{"id": str(i), "text": f"page {i % 2}", "meta": {"url": f"https://a.com/{i % 2}"}} for i in range(6)]


@pytest.mark.parametrize("step", ["url_dedup", "url_filter"])
def test_url_steps_refuse_documents_without_a_url(tmp_path, step):
    pipe = _pipe(tmp_path, NESTED, [{"type": step}])
    with pytest.raises(ConfigError) as e:
        run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    msg = str(e.value)
    assert f"step {step} needs the metadata field 'url'" in msg and "first 6 documents" in msg
    assert "meta" in msg and "url_key" in msg
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_mapping_the_field_makes_the_run_work_and_dedup(tmp_path):
    pipe = _pipe(tmp_path, NESTED, [{"type": "url_dedup"}], {"fields": {"url": "meta.url"}})
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    assert res.stats["stages"][0]["kept"] == 2


def test_a_custom_url_key_is_checked_and_a_later_stage_too(tmp_path):
    recs = [{"id": "1", "text": "x", "link": "https://a.com"}]
    check_needed_fields(_pipe(tmp_path, recs, [{"type": "url_dedup", "url_key": "link"}]))
    with pytest.raises(ConfigError, match="stage b: step url_dedup needs the metadata field 'url'"):
        check_needed_fields(_pipe(tmp_path, recs, [{"type": "length"}], second=[{"type": "url_dedup"}]))


def test_c4_badwords_without_any_language_warns_unless_a_language_step_comes_first(tmp_path, capsys):
    recs = [{"id": "1", "text": "hello there"}]
    w = check_needed_fields(_pipe(tmp_path, recs, [{"type": "c4_badwords"}]))
    assert len(w) == 1 and "'language'" in w[0] and "default_language='en'" in w[0]
    assert "warning" in capsys.readouterr().err
    assert check_needed_fields(_pipe(tmp_path, recs, [{"type": "language"}], second=[{"type": "c4_badwords"}])) == []
    assert check_needed_fields(_pipe(tmp_path, [{**recs[0], "language": "de"}], [{"type": "c4_badwords"}])) == []


def test_cli_says_it_as_a_configuration_error(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", NESTED)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": str(src)}, "steps": [{"type": "url_dedup"}]}]}))
    assert main(["run", str(cfg), "-o", str(tmp_path / "run")]) == 2
    assert "url_dedup needs the metadata field 'url'" in capsys.readouterr().err


def test_validate_refuses_it_too(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", NESTED)
    cfg = tmp_path / "p.yaml"
    reader = {"type": "jsonl", "paths": str(src)}
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "a", "reader": reader, "steps": [{"type": "url_dedup"}]}]}))
    assert main(["validate", str(cfg)]) == 2
    assert "url_dedup needs the metadata field 'url'" in capsys.readouterr().err
    reader["fields"] = {"url": "meta.url"}
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "a", "reader": reader, "steps": [{"type": "url_dedup"}]}]}))
    assert main(["validate", str(cfg)]) == 0 and "valid" in capsys.readouterr().out


# --- inputs and first records (first-day check, session friction8) ------------------------------------------

def _jsonl_pipe(paths, reader_extra=None, run=None):
    raw = {"executor": {"type": "inline"},
           "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": paths, **(reader_extra or {})},
                       "steps": [{"type": "length"}]}]}
    if run:
        raw["run"] = run
    return pipeline_from_dict(raw)


def test_a_missing_input_file_is_refused_before_the_run(tmp_path):
    # It used to be quarantined as unreadable_file; the run failed after every pass, advising max_quarantined.
    with pytest.raises(ConfigError, match=r"input '.*nope\.jsonl' does not exist"):
        run_pipeline(_jsonl_pipe(str(tmp_path / "nope.jsonl")), tmp_path / "run", "inline", log=False)
    assert not (tmp_path / "run").exists()


def test_a_folder_given_to_a_file_reader_is_refused_with_a_glob(tmp_path):
    write_jsonl(tmp_path / "data" / "sub" / "a.jsonl.gz", [{"id": "1", "text": "x"}])
    with pytest.raises(ConfigError, match=r"is a folder.*data/\*\*/\*\.jsonl\.gz"):
        run_pipeline(_jsonl_pipe(str(tmp_path / "data")), tmp_path / "run", "inline", log=False)


def test_a_wrong_text_key_is_refused_before_the_run_with_what_to_set(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "content": "words " * 5} for i in range(30)])
    with pytest.raises(ConfigError) as e:
        run_pipeline(_jsonl_pipe(str(src)), tmp_path / "run", "inline", log=False)
    msg = str(e.value)
    assert "all 30 record(s) read were quarantined" in msg and "fields: id, content" in msg
    assert "--set main.reader.text_key=FIELD" in msg and not (tmp_path / "run").exists()
    # an explicit max_quarantined accepts it: the run quarantines them
    res = run_pipeline(_jsonl_pipe(str(src), run={"max_quarantined": 1.0}), tmp_path / "run", "inline", log=False)
    assert res.stats["stages"][0]["quarantined"] == 30


def test_first_records_stop_at_the_first_document(tmp_path):
    # one bad record before good ones is the run's to quarantine, not a reason to refuse it
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "0", "content": "x"}\n{"id": "1", "text": "a document"}\n')
    res = run_pipeline(_jsonl_pipe(str(src)), tmp_path / "run", "inline", log=False)
    assert res.stats["stages"][0]["quarantined"] == 1 and res.stats["stages"][0]["kept"] == 1


def test_inputs_without_permission_say_so(tmp_path, monkeypatch):
    # as root every access succeeds, so the denial is simulated: os.access says no for the locked folder and what
    # lies in it, as it would for another user (the glob then matched nothing: "no input matched", a false lead)
    import os

    locked = tmp_path / "locked"
    write_jsonl(locked / "a.jsonl", [{"id": "1", "text": "x"}])
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: not str(p).startswith(str(locked)) and real(p, mode))
    with pytest.raises(ConfigError, match=r"the folder '.*locked' cannot be listed \(permission denied\)"):
        check_needed_fields(_jsonl_pipe(str(locked / "*.jsonl")))
    with pytest.raises(ConfigError, match=r"input '.*a\.jsonl' cannot be read \(permission denied\)"):
        check_needed_fields(_jsonl_pipe(str(locked / "a.jsonl")))
    with pytest.raises(ConfigError, match=r"cannot be reached: permission denied on the folder '.*locked'"):
        check_needed_fields(_jsonl_pipe(str(locked / "sub" / "b.jsonl")))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"}}]}))
    with pytest.raises(ConfigError, match=r"--input .*locked: the folder cannot be listed \(permission denied\)"):
        load_pipeline(cfg, inputs=[str(locked)])


def test_a_json_array_file_is_refused_saying_how_to_convert_it(tmp_path):
    src = tmp_path / "data.json"
    src.write_text('[{"id": "1", "text": "a"}, {"id": "2", "text": "b"}]')
    with pytest.raises(ConfigError, match=r"all 1 record\(s\) read.*not_an_object.*jq -c '\.\[\]'"):
        check_needed_fields(_jsonl_pipe(str(src)))


def test_a_file_in_another_encoding_is_refused_saying_how_to_convert_it(tmp_path):
    # a whole Latin-1 or UTF-16 file got only "set run.max_quarantined to run anyway" (which quarantines all of
    # it), and UTF-16's later lines, read as malformed JSON, got the advice to convert a JSON array with jq
    recs = [json.dumps({"id": str(i), "text": f"Caf\u00e9 num\u00e9ro {i}."}, ensure_ascii=False) for i in range(3)]
    for enc, name in (("latin-1", "a.jsonl"), ("utf-16", "b.jsonl")):
        (tmp_path / name).write_bytes("\n".join(recs).encode(enc) + "\n".encode(enc))
        with pytest.raises(ConfigError, match=r"invalid_utf8: .*The reader wants UTF-8: convert the file first, "
                                              r"e\.g\. iconv -f cp1252 -t utf-8 .*-f utf-16") as err:
            check_needed_fields(_jsonl_pipe(str(tmp_path / name)))
        assert "jq" not in str(err.value)


def test_records_without_ids_in_files_of_the_same_name_are_warned_of(tmp_path):
    # datatrove and Dolma repeat file names across folders (a/00000.jsonl, b/00000.jsonl): records without an id
    # got 00000:1, 00000:2, ... in both, silently
    for sub in ("a", "b"):
        write_jsonl(tmp_path / "no_ids" / sub / "00000.jsonl", [{"text": f"{sub} {i}"} for i in range(3)])
        write_jsonl(tmp_path / "ids" / sub / "00000.jsonl", [{"id": f"{sub}{i}", "text": "x"} for i in range(3)])
    write_jsonl(tmp_path / "apart" / "a.jsonl", [{"text": "x"}])
    write_jsonl(tmp_path / "apart" / "b.jsonl", [{"text": "y"}])
    warned = check_needed_fields(_jsonl_pipe(str(tmp_path / "no_ids" / "*" / "*.jsonl")), log=False)
    assert len(warned) == 1 and "2 input files share the stem '00000'" in warned[0], warned
    assert "ids repeat (00000:1 in each)" in warned[0] and "main.reader.id_key" in warned[0]
    for fine in ("ids/*/*.jsonl", "apart/*.jsonl"):  # ids of their own, or distinct names
        assert check_needed_fields(_jsonl_pipe(str(tmp_path / fine)), log=False) == []


def test_a_glob_matching_folders_is_refused_naming_a_glob_of_their_files(tmp_path):
    # --input 'data/*' over data/a/, data/b/ quarantined each folder "Is a directory" and advised max_quarantined
    for sub in ("b", "a"):
        write_jsonl(tmp_path / "data" / sub / "00000.jsonl.gz", [{"id": sub, "text": "x"}])
    with pytest.raises(ConfigError, match=r"input '.*data/\*' matches 2 folder\(s\) \(.*data/a, .*data/b\); the "
                                          r"jsonl reader reads files: give a glob of the files in them, e\.g\. "
                                          r"'.*data/\*\*/\*\.jsonl\.gz'"):
        check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "*")))
    check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "**" / "*.jsonl.gz")), log=False)  # as it says: fine
    # with files beside the folders, the glob of the folders' files would add theirs: the files-only one is named too
    write_jsonl(tmp_path / "data" / "top.jsonl.gz", [{"id": "t", "text": "x"}])
    with pytest.raises(ConfigError, match=r"'.*data/\*\*/\*\.jsonl\.gz', or only the files beside them, e\.g\. "
                                          r"'.*data/\*\.jsonl\.gz'"):
        check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "*")))


def test_a_glob_matching_files_of_another_type_is_refused(tmp_path):
    # a jsonl reader over data/* used to read the Parquet file's bytes as JSON lines (quarantined line by line)
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_jsonl(tmp_path / "data" / "a.jsonl", [{"id": "1", "text": "x"}])
    pq.write_table(pa.Table.from_pylist([{"id": "2", "text": "y"}]), tmp_path / "data" / "b.parquet")
    with pytest.raises(ConfigError, match=r"matches 1 file\(s\) the jsonl reader cannot read \(.*b\.parquet\)"):
        check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "*")))
    check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "*.jsonl")))  # narrowed: fine


def test_json_lines_named_after_the_warc_they_came_from_are_json_lines(tmp_path):
    # CC-MAIN-...warc.jsonl.gz (a WARC's records as JSON Lines): the type is the extension nearest the end; the
    # first one found (.warc) refused the jsonl reader's glob, and --input FOLDER picked the warc reader for it
    for name in ("CC-MAIN-1-00000.warc.jsonl", "CC-MAIN-1-00001.warc.wet.jsonl"):
        write_jsonl(tmp_path / "data" / name, [{"id": name, "text": "some words here"}])
    check_needed_fields(_jsonl_pipe(str(tmp_path / "data" / "*.jsonl")))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"}}]}))
    pipe = load_pipeline(cfg, inputs=[str(tmp_path / "data")])
    assert pipe.stages[0].reader.name == "jsonl"
    check_needed_fields(pipe)


def test_url_dedup_on_documents_with_no_url_at_all_only_warns(tmp_path, capsys):
    # plain {"id", "text"} records (or a folder of .txt files): url_dedup keeps each of them, so the default
    # pipeline used to be refused on such data; a URL elsewhere in the records is still refused (above)
    recs = [{"id": str(i), "text": f"page {i}", "source": "books"} for i in range(4)]
    warnings = check_needed_fields(_pipe(tmp_path, recs, [{"type": "url_dedup"}]), log=False)
    assert len(warnings) == 1 and "nor anything like a URL: url_dedup keeps every document" in warnings[0]
    res = run_pipeline(_pipe(tmp_path, recs, [{"type": "url_dedup"}]), tmp_path / "run", "inline", log=False)
    assert res.stats["stages"][0]["kept"] == 4
    # url_filter drops a document without a URL: still refused; so is a URL under another key
    with pytest.raises(ConfigError, match="step url_filter needs the metadata field 'url'"):
        check_needed_fields(_pipe(tmp_path, recs, [{"type": "url_filter"}]))
    linked = [{"id": "1", "text": "x", "page": "https://a.com/1"}]
    with pytest.raises(ConfigError, match="step url_dedup needs the metadata field 'url'"):
        check_needed_fields(_pipe(tmp_path, linked, [{"type": "url_dedup"}]))


def test_a_field_whose_name_only_holds_the_letters_of_url_is_no_url(tmp_path):
    # legal records ({"jurisdiction", "court"}) have no URL: "uri" inside "jurisdiction" (or "security", "during")
    # made url_dedup refuse them; a part of a name that is a URL word still counts (sourceUrls, WARC-Target-URI)
    recs = [{"id": str(i), "text": f"page {i}", "jurisdiction": "us", "security": "public"} for i in range(3)]
    warnings = check_needed_fields(_pipe(tmp_path, recs, [{"type": "url_dedup"}]), log=False)
    assert len(warnings) == 1 and "nor anything like a URL" in warnings[0]
    for key in ("sourceUrls", "WARC-Target-URI", "hyperlink"):
        linked = [{"id": "1", "text": "x", key: "a.com/1"}]
        with pytest.raises(ConfigError, match="step url_dedup needs the metadata field 'url'"):
            check_needed_fields(_pipe(tmp_path, linked, [{"type": "url_dedup"}]))


def test_a_glob_matching_nothing_is_refused_before_the_run_folder_is_made(tmp_path):
    with pytest.raises(ConfigError, match=r"no input matched .*nothing/\*\.jsonl"):
        run_pipeline(_jsonl_pipe(str(tmp_path / "nothing" / "*.jsonl")), tmp_path / "run", "inline", log=False)
    assert not (tmp_path / "run").exists()  # it used to be left behind, empty
    write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "x"}])  # one pattern of two matching: the run goes on
    check_needed_fields(_jsonl_pipe([str(tmp_path / "nothing" / "*.jsonl"), str(tmp_path / "*.jsonl")]))


def test_a_later_stage_lists_its_own_input_when_it_starts(tmp_path):
    # The preflight lists every stage's glob and plans its shards before the run (io.base.listing_scope); the first
    # stage takes that plan, but a later stage with its own reader must list its input when it starts, as before:
    # files that appear there while the earlier stages run (a feed landing, another job's output) are read, not
    # left out silently (and the resume after would refuse the inputs as changed).
    from winnow.executors.inline import InlineExecutor

    a_rows = [{"id": f"a{i}", "text": f"a sentence of plain text number {i}. " * 8} for i in range(3)]
    b_rows = [{"id": f"b{i}", "text": f"another sentence of plain text {i}. " * 8} for i in range(2)]
    write_jsonl(tmp_path / "A" / "1.jsonl", a_rows)
    write_jsonl(tmp_path / "B" / "1.jsonl", b_rows)
    pipe = pipeline_from_dict({"stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "A" / "*.jsonl")}, "steps": ["length"]},
        {"name": "b", "reader": {"type": "jsonl", "paths": str(tmp_path / "B" / "*.jsonl")}, "steps": ["length"]}]})

    class Landing(InlineExecutor):
        def run_tasks(self, tasks, desc=""):
            if desc == "a":  # while stage a runs, a second file lands in stage b's folder
                write_jsonl(tmp_path / "B" / "2.jsonl", [{**r, "id": "new" + r["id"]} for r in b_rows])
            return super().run_tasks(tasks, desc)

    res = run_pipeline(pipe, tmp_path / "run", Landing(), log=False)
    assert [s["in"] for s in res.stats["stages"]] == [3, 4]


def test_the_fields_check_reads_past_bad_records_when_max_quarantined_is_set(tmp_path):
    # run.max_quarantined turns the first-records check off, so the fields check samples the first shard alone: it
    # must read past the records quarantined at its start to the documents, as it did before both shared one read
    # (it stopped after SAMPLE quarantined records, saw no document and let url_dedup run on documents whose URL
    # sits under another key: every duplicate kept, silently).
    from winnow.preflight import SAMPLE

    src = tmp_path / "in.jsonl"
    bad = b'{"id": "x", "content": "no text field"}\n' * SAMPLE
    src.write_bytes(bad + b"".join(b'{"id": "%d", "text": "page", "meta": {"url": "https://a.com/"}}\n' % i
                                   for i in range(5)))
    raw = {"executor": {"type": "inline"}, "run": {"max_quarantined": 1.0},
           "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(src)}, "steps": ["url_dedup"]}]}
    with pytest.raises(ConfigError, match="step url_dedup needs the metadata field 'url'"):
        run_pipeline(pipeline_from_dict(raw), tmp_path / "run", "inline", log=False)
    assert not (tmp_path / "run").exists()


def test_the_first_records_check_does_not_decode_a_huge_record_in_the_driver(tmp_path):
    # The check decodes records in the driver, where a record that kills the process is never found again (a
    # worker's death is, by its position): a 20 MB line of empty JSON arrays took ~700 MB there (1 GB for 31 MB),
    # and a driver with less memory failed before the run on every try. It reads records of at most 1 MiB; a
    # longer one is the run's.
    import tracemalloc

    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.preflight import check_first_records, check_needed_fields

    p = tmp_path / "a.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"id":"bomb","text":"x","m":[' + b"[]," * 7_000_000 + b"[]]}\n")
        f.write(b'{"id":"ok","text":"fine","url":"https://a.example/"}\n')
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(p)), steps=[])])
    tracemalloc.start()
    try:
        check_first_records(pipe)
        check_needed_fields(pipe, log=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20, peak
    # a file whose every record is over the check's cap is not refused by it: the run reads them
    p.write_bytes(b'{"id":"big","text":"' + b"a" * (2 << 20) + b'"}\n')
    check_first_records(pipe)


def test_a_record_over_the_first_records_checks_cap_counts_as_a_document_for_it(tmp_path):
    # The check skips records over its own 1 MiB cap (the run reads them with the reader's 32 MiB). Skipped as if
    # absent, a first shard of one 2 MiB page and a second of one bad line was refused ('all 1 record(s) read were
    # quarantined, none became a document'), which the run reads fine (one kept, one quarantined); and a corpus of
    # large records was read whole, shard after shard, looking for a small one.
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.preflight import check_first_records, check_needed_fields

    (tmp_path / "a.jsonl").write_bytes(b'{"id":"big","text":"' + b"a" * (2 << 20) + b'"}\n')
    (tmp_path / "b.jsonl").write_bytes(b'{"id": oops\n')
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "*.jsonl")), steps=[])])
    check_first_records(pipe)
    check_needed_fields(pipe, log=False)
    # one shard: the big page, then a bad line
    (tmp_path / "b.jsonl").unlink()
    (tmp_path / "a.jsonl").write_bytes(b'{"id":"big","text":"' + b"a" * (2 << 20) + b'"}\n{"id": oops\n')
    check_first_records(pipe)
