"""Config ergonomics on the command line: --set by stage name, --input, shipped pipelines by name, winnow init,
validate with --set and a warning for an input pattern that matches nothing, and --set errors that name the key
the user typed."""

from __future__ import annotations

import bz2
import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from winnow.cli import main
from winnow.config import load_pipeline
from winnow.errors import ConfigError

from tests.helpers import text_records, write_jsonl


def _two_stage(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": "inline", "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": ["length"], "writer": "jsonl"},
        {"name": "more", "from": "main", "steps": [{"length": {"min_chars": 5}}]}]}))
    return p


def test_set_by_stage_name(tmp_path):
    p = _two_stage(tmp_path)
    pipe = load_pipeline(p, {"main.reader.paths": "data/*.jsonl", "main.writer.compression": "gzip",
                             "more.length.min_chars": 9})
    assert pipe.stages[0].reader.paths == "data/*.jsonl" and pipe.stages[0].writer.compression == "gzip"
    assert pipe.stages[1].steps[0].min_chars == 9
    with pytest.raises(ConfigError, match=r"--set reader.paths: 'reader' is a key of each stage .* main.reader.paths"):
        load_pipeline(p, {"reader.paths": "y"})
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"}}]}))
    assert load_pipeline(one, {"reader.paths": "z.jsonl"}).stages[0].reader.paths == "z.jsonl"


def test_failing_set_names_the_typed_key(tmp_path):
    p = _two_stage(tmp_path)
    with pytest.raises(ConfigError, match=r"^--set mian.reader.paths: .*did you mean 'main'") as e:
        load_pipeline(p, {"mian.reader.paths": "y"})
    assert "min_words" not in str(e.value)  # the unrelated example it used to print
    with pytest.raises(ConfigError, match=r"--set length.min_chars: step 'length' appears in stages main, more"):
        load_pipeline(p, {"length.min_chars": 3})
    with pytest.raises(ConfigError, match=r"^--set stages.4.reader.paths: .* has no place 'stages.4' \(stages is 2"):
        load_pipeline(p, {"stages.4.reader.paths": "y"})
    with pytest.raises(ConfigError, match=r"unknown parameter 'min_char'.*\n  \(the pipeline as changed by --set "
                                          r"more.length.min_char\)"):
        load_pipeline(p, {"more.length.min_char": 3})


def test_input_sets_the_reader_and_switches_its_type(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x",
                                                                        "text_key": "content"}}]}))
    pipe = load_pipeline(cfg, inputs=["a/*.jsonl.gz", "b/*.jsonl"])
    assert pipe.stages[0].reader.paths == ["a/*.jsonl.gz", "b/*.jsonl"] and pipe.stages[0].reader.text_key == "content"
    pq_pipe = load_pipeline(cfg, inputs=["data/*.parquet"])
    r = pq_pipe.stages[0].reader
    assert r.name == "parquet" and r.paths == "data/*.parquet" and r.text_key == "content"
    with pytest.raises(ConfigError, match=r"--input: the files are of several types \(a\.jsonl \(jsonl\), b\.parquet"):
        load_pipeline(cfg, inputs=["a.jsonl", "b.parquet"])  # one reader: the Parquet file read as JSON lines
    with pytest.raises(ConfigError, match="--input: .* has 2 stages with a reader"):
        two = tmp_path / "two.yaml"
        two.write_text(yaml.safe_dump({"stages": [{"name": n, "reader": {"type": "jsonl", "paths": "x"}}
                                                  for n in ("a", "b")]}))
        load_pipeline(two, inputs=["y.jsonl"])


def test_input_folder_becomes_a_glob_of_its_files(tmp_path, monkeypatch):
    # datatrove's and Dolma's readers take a folder; --input FOLDER used to quarantine it as unreadable_file.
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"}}]}))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d" / "2024").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{"id": "1", "text": "x"}]), tmp_path / "d" / "2024" / "p.parquet")
    (tmp_path / "d" / ".hidden.jsonl").write_text("{}")  # hidden files are left out, as ** leaves them
    r = load_pipeline(cfg, inputs=["d/"]).stages[0].reader
    assert r.name == "parquet" and r.paths == "d/**/*.parquet"
    write_jsonl(tmp_path / "e" / "a.jsonl.gz", [{"id": "1", "text": "x"}])
    write_jsonl(tmp_path / "e" / "b.jsonl", [{"id": "2", "text": "x"}])
    assert load_pipeline(cfg, inputs=["e"]).stages[0].reader.paths == ["e/**/*.jsonl", "e/**/*.jsonl.gz"]
    # a checksum beside a file, or a compression the readers do not open, is no input: it was read as JSON Lines
    (tmp_path / "e" / "a.jsonl.gz.md5").write_text("0123abcd  a.jsonl.gz\n")
    (tmp_path / "e" / "c.jsonl.lz4").write_bytes(b"\x04\x22\x4d\x18")
    assert load_pipeline(cfg, inputs=["e"]).stages[0].reader.paths == ["e/**/*.jsonl", "e/**/*.jsonl.gz"]
    # bz2 and xz are read (as datatrove and Dolma read them)
    (tmp_path / "e" / "d.jsonl.bz2").write_bytes(bz2.compress(b'{"id": "6", "text": "x"}\n'))
    assert load_pipeline(cfg, inputs=["e"]).stages[0].reader.paths == ["e/**/*.jsonl", "e/**/*.jsonl.bz2",
                                                                       "e/**/*.jsonl.gz"]
    # ... as JSON Lines only: the WARC reader undoes gzip and zstd itself, and a.warc.bz2 was taken and every
    # record quarantined as 'corrupt or truncated WARC data'
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "a.warc.bz2").write_bytes(bz2.compress(b"WARC/1.0\r\n"))
    (tmp_path / "w" / "b.warc.gz").write_bytes(b"")
    html = tmp_path / "h.yaml"
    html.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"},
                                                "steps": [{"type": "html_extract"}]}]}))
    r = load_pipeline(html, inputs=["w"]).stages[0].reader
    assert r.name == "warc" and r.paths == "w/**/*.warc.gz"
    write_jsonl(tmp_path / "d" / "c.jsonl", [{"id": "3", "text": "x"}])
    with pytest.raises(ConfigError, match=r"several readers \(1 \*\.jsonl, 1 \*\.parquet\)"):
        load_pipeline(cfg, inputs=["d"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="the folder holds no .jsonl"):
        load_pipeline(cfg, inputs=["empty"])
    # newline-delimited JSON under its other name: a folder of .ndjson files was "holds no .jsonl ... file"
    write_jsonl(tmp_path / "n" / "a.ndjson", [{"id": "4", "text": "x"}])
    write_jsonl(tmp_path / "n" / "b.ndjson.gz", [{"id": "5", "text": "x"}])
    r = load_pipeline(cfg, inputs=["n"]).stages[0].reader
    assert r.name == "jsonl" and r.paths == ["n/**/*.ndjson", "n/**/*.ndjson.gz"]


def test_input_folder_of_text_or_html_files_uses_the_text_reader(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x", "limit": 5}}]}))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "a").mkdir(parents=True)
    (tmp_path / "t" / "a" / "one.txt").write_text("a page")
    r = load_pipeline(cfg, inputs=["t"]).stages[0].reader
    assert (r.name, r.paths, r.pattern, r.field, r.limit) == ("text", "t", "**/*.txt*", "text", 5)
    assert [d.id for s in r.shards() for d in r.read(s)] == ["a/one.txt"]
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "p.html").write_text("<p>a page</p>")
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"},
                                               "steps": ["html_extract"]}]}))
    r = load_pipeline(cfg, inputs=["h"]).stages[0].reader
    assert (r.name, r.pattern, r.field) == ("text", "**/*.htm*", "html")
    # both kinds in one folder: refused saying so (it said the folder held no .txt or .html file)
    (tmp_path / "h" / "notes.txt").write_text("a note")
    with pytest.raises(ConfigError, match=r"both \.txt and \.html files.*--input 'h/\*\*/\*\.txt'"):
        load_pipeline(cfg, inputs=["h"])
    # as that refusal says (or a file, or a glob of them): the text reader, not the jsonl reader, which quarantined
    # every line of a .txt as malformed JSON and refused the run ("The reader wants JSON Lines")
    r = load_pipeline(cfg, inputs=["h/**/*.txt"]).stages[0].reader
    assert (r.name, r.paths, r.field) == ("text", "h/**/*.txt", "text")
    assert [(d.id, d.text) for s in r.shards() for d in r.read(s)] == [("notes.txt", "a note")]
    r = load_pipeline(cfg, inputs=["h/p.html"]).stages[0].reader
    assert (r.name, r.field) == ("text", "html")
    assert [d.metadata["html"] for s in r.shards() for d in r.read(s)] == ["<p>a page</p>"]
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"one\ntwo\n"))
    r = load_pipeline(cfg, inputs=["notes.txt.gz", "h/notes.txt"]).stages[0].reader
    assert [d.text for s in r.shards() for d in r.read(s)] == ["one\ntwo\n", "a note"]
    assert load_pipeline(cfg, inputs=["a.txt.jsonl"]).stages[0].reader.name == "jsonl"
    assert load_pipeline(cfg, inputs=["h/*.txt*"]).stages[0].reader.name == "text"  # the folder form's glob
    with pytest.raises(ConfigError, match=r"several types \(h/notes.txt \(text\), b.jsonl \(jsonl\)\)"):
        load_pipeline(cfg, inputs=["h/notes.txt", "b.jsonl"])
    # friction13: folders of .txt files with other folders or files of them: one text reader (two folders were
    # refused as 'the folder holds no .jsonl ... .txt ... file', a folder with a file as 'several types (t (?), ...)')
    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "two.txt").write_text("a second page")
    for inputs, want in ((["t", "u"], ["a page", "a second page"]), (["t", "h/notes.txt"], ["a page", "a note"]),
                         (["notes.txt.gz", "u"], ["one\ntwo\n", "a second page"])):
        r = load_pipeline(cfg, inputs=inputs).stages[0].reader
        assert (r.name, r.paths, r.pattern, r.field) == ("text", inputs, "**/*.txt*", "text")
        assert [d.text for s in r.shards() for d in r.read(s)] == want
    (tmp_path / "j").mkdir()
    write_jsonl(tmp_path / "j" / "a.jsonl", [{"id": "1", "text": "x"}])
    with pytest.raises(ConfigError, match=r"several types \(t \(text\), j \(jsonl\)\)"):
        load_pipeline(cfg, inputs=["t", "j"])


def test_shipped_pipeline_by_name_with_input(tmp_path, monkeypatch, capsys, real_docs):
    monkeypatch.chdir(tmp_path)
    table = pa.Table.from_pylist(text_records(real_docs, 0, 15))
    (tmp_path / "data").mkdir()
    pq.write_table(table, tmp_path / "data" / "part.parquet")
    rc = main(["run", "fineweb", "--input", "data/*.parquet", "-o", "run", "--executor", "inline"])
    assert rc == 0, capsys.readouterr().err
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]
    assert stats["in"] == 15 and stats["quarantined"] == 0 and stats["steps"][0]["name"] == "language"
    resolved = yaml.safe_load((tmp_path / "run" / "config.resolved.yaml").read_text())
    assert resolved["stages"][0]["reader"]["type"] == "parquet"


def test_an_unquoted_input_glob_the_shell_expanded_is_taken_whole(tmp_path, monkeypatch, capsys, real_docs):
    # `--input data/*.jsonl` unquoted: the shell passes every file, and argparse refused all but the first
    # ("unrecognized arguments: data/b.jsonl ..."); each is now an input, with --input=X too
    monkeypatch.chdir(tmp_path)
    for i, name in enumerate(("a", "b", "c")):
        write_jsonl(tmp_path / "data" / f"{name}.jsonl", text_records(real_docs, 2 * i, 2))
    (tmp_path / "notes.md").write_text("x")
    for how in (["--input", "data/a.jsonl"], ["--input=data/a.jsonl"]):
        rc = main(["run", "fineweb", *how, "data/b.jsonl", "data/c.jsonl", "-o", f"run{len(how)}", "--executor",
                   "inline"])
        assert rc == 0, capsys.readouterr().err
        assert json.loads((tmp_path / f"run{len(how)}" / "stats.json").read_text())["stages"][0]["in"] == 6
    # .txt files too (the text reader's): "unrecognized arguments: notes/b.txt"
    (tmp_path / "notes").mkdir()
    for name in ("a", "b"):
        (tmp_path / "notes" / f"{name}.txt").write_text(f"note {name}")
    assert main(["validate", "default", "--input", "notes/a.txt", "notes/b.txt"]) == 0, capsys.readouterr().err
    # what is not an existing input file is argparse's to refuse, as before: a typo, a file no reader reads
    for stray in ("data/d.jsonl", "notes.md"):
        with pytest.raises(SystemExit):
            main(["validate", "fineweb", "--input", "data/a.jsonl", stray])
        assert f"unrecognized arguments: {stray}" in capsys.readouterr().err


def test_shell_expanded_file_names_with_glob_characters_are_taken_literally(tmp_path, monkeypatch, capsys,
                                                                            real_docs):
    # `--input *.jsonl` unquoted over a*b.jsonl, axb.jsonl and x[1].jsonl: the shell hands over three file names,
    # and each was taken as a glob: 'a*b.jsonl' matched axb.jsonl too (read twice) and 'x[1].jsonl' matched
    # nothing (its documents left out, silently). A name the shell gave is a file, not a pattern.
    monkeypatch.chdir(tmp_path)
    for i, name in enumerate(("a*b", "axb", "x[1]")):
        write_jsonl(tmp_path / f"{name}.jsonl", text_records(real_docs, 2 * i, 2))
    rc = main(["run", "fineweb", "--input", "a*b.jsonl", "axb.jsonl", "x[1].jsonl", "-o", "run", "--executor",
               "inline"])
    assert rc == 0, capsys.readouterr().err
    inputs = json.loads((tmp_path / "run" / "inputs.json").read_text())["stages"]["main"]["keys"]
    assert sorted(inputs) == ["a*b.jsonl", "axb.jsonl", "x[1].jsonl"]
    assert json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]["in"] == 6
    # one such file named alone (quoted, or the only one the shell found) matched nothing as a glob and was refused
    # ("no input matched"): a glob that matches nothing where a file of that very name exists means the file
    rc = main(["run", "fineweb", "--input", "x[1].jsonl", "-o", "one", "--executor", "inline"])
    assert rc == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "one" / "stats.json").read_text())["stages"][0]["in"] == 2
    # resumed with the same command: the same run, nothing done again
    assert main(["run", "fineweb", "--input", "a*b.jsonl", "axb.jsonl", "x[1].jsonl", "-o", "run", "--executor",
                 "inline"]) == 0
    assert "resumed" in capsys.readouterr().out


def test_a_json_pipeline_file_after_input_is_the_pipeline(tmp_path, monkeypatch, capsys, real_docs):
    # `winnow run --input data/a.jsonl pipe.json`: argparse took pipe.json for the pipeline, as it should; taking
    # the files after --input as the shell's expansion of a glob, it became an input and "the following arguments
    # are required: pipeline" (a .json file is a file the jsonl reader reads)
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "data" / "a.jsonl", text_records(real_docs, 0, 3))
    (tmp_path / "pipe.json").write_text(json.dumps({"executor": {"type": "inline"}, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": "nothing.jsonl"}, "steps": [{"type": "length"}]}]}))
    assert main(["run", "--input", "data/a.jsonl", "pipe.json", "-o", "run"]) == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]["in"] == 3


def test_a_json_pipeline_file_after_several_expanded_inputs_is_the_pipeline(tmp_path, monkeypatch, capsys,
                                                                             real_docs):
    # `winnow run --input data/*.jsonl pipe.json` unquoted, the glob matching 3 files: argparse cannot place them,
    # so the names after --input are read as the shell's expansion, and pipe.json (a file the jsonl reader reads)
    # was taken for a fourth input: "the following arguments are required: pipeline"
    monkeypatch.chdir(tmp_path)
    for k in range(3):
        write_jsonl(tmp_path / "data" / f"a{k}.jsonl", text_records(real_docs, k, 1))
    (tmp_path / "pipe.json").write_text(json.dumps({"executor": {"type": "inline"}, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": "nothing.jsonl"}, "steps": [{"type": "length"}]}]}))
    files = [f"data/a{k}.jsonl" for k in range(3)]
    assert main(["run", "--input", *files, "pipe.json", "-o", "run"]) == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]["in"] == 3
    assert main(["run", "--input", *files, "-o", "run2", "pipe.json"]) == 0, capsys.readouterr().err


def test_validate_takes_set_and_warns_on_unmatched_input(tmp_path, monkeypatch, capsys, real_docs):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "fineweb", "--set", "gopher_quality.min_words=100", "--resolved"]) == 0
    cap = capsys.readouterr()
    assert "min_words: 100" in cap.out
    assert "warning: stage main: input 'data/*.jsonl.zst' matches no file" in cap.err
    write_jsonl(tmp_path / "data" / "a.jsonl.zst", text_records(real_docs, 0, 2))
    assert main(["validate", "fineweb"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["validate", "fineweb", "--set", "gopher_quality.min_wrds=1"]) == 2
    assert "--set gopher_quality.min_wrds" in capsys.readouterr().err


def test_init_copies_a_shipped_pipeline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "commoncrawl"]) == 0
    copy = tmp_path / "commoncrawl.yaml"
    assert "winnow validate commoncrawl.yaml" in capsys.readouterr().out
    assert load_pipeline(copy).name == "commoncrawl"
    copy.write_text(copy.read_text() + "# edited\n")
    assert main(["init", "commoncrawl"]) == 1  # an edited copy is never overwritten silently
    assert copy.read_text().endswith("# edited\n")
    assert main(["init", "commoncrawl", "--force"]) == 0 and not copy.read_text().endswith("# edited\n")
    assert main(["init", "fineweeb"]) == 2 and "did you mean 'fineweb'" in capsys.readouterr().err
    assert main(["validate", "nope.yaml"]) == 2
    assert "shipped pipelines, usable by name: commoncrawl, default, fineweb" in capsys.readouterr().err


def test_a_data_file_in_place_of_the_pipeline_says_how_to_give_it(tmp_path, monkeypatch, capsys, real_docs):
    # `winnow run data.jsonl` used to parse the data as YAML: "not valid YAML: expected '<document start>'"
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "data.jsonl", text_records(real_docs, 0, 2))
    (tmp_path / "my.warc.yaml").write_text("stages: []\n")
    assert main(["run", "data.jsonl"]) == 2
    assert "data.jsonl names input data, not a pipeline" in capsys.readouterr().err
    assert main(["validate", "crawl/*.warc.gz"]) == 2
    assert "winnow run default --input 'crawl/*.warc.gz'" in capsys.readouterr().err
    main(["validate", "my.warc.yaml"])  # a pipeline file whose name holds .warc is still read as one
    assert "names input data" not in capsys.readouterr().err
    assert main(["run", "default", "--workers", "-3", "--input", "data.jsonl"]) == 2
    assert "--workers must be 0 (all cores) or more" in capsys.readouterr().err
    # the inline executor takes no workers: it said "unknown parameter 'workers' for executor inline"
    assert main(["run", "default", "--workers", "2", "--executor", "inline", "--input", "data.jsonl"]) == 2
    assert "--workers applies to the local and ray executors" in capsys.readouterr().err


def test_workers_0_overrides_the_pipeline_files_workers(tmp_path, monkeypatch, capsys, real_docs):
    # --workers 0 (all cores) was dropped as false, so a pipeline file's workers: 1 stood, silently
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "data.jsonl", text_records(real_docs, 0, 2))
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "executor": {"type": "local", "workers": 1},
        "stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "data.jsonl"}, "steps": [{"type": "length"}]}]}))
    assert main(["run", "p.yaml", "--workers", "0", "-o", "run"]) == 0, capsys.readouterr().err
    assert yaml.safe_load((tmp_path / "run" / "config.resolved.yaml").read_text())["executor"]["workers"] == 0


def test_input_folder_is_listed_once_and_its_first_records_read_once(tmp_path, monkeypatch):
    # `winnow run P --input FOLDER` walked the folder six times before the first document (the config's two
    # looks at it, the preflight's glob, its two samples' shard plans, the run's plan) and read the first shard's
    # first records twice (the first-records check, then the fields check). Now once each.
    import builtins
    import glob
    import os

    data = tmp_path / "data"
    rows = [{"id": f"{i}", "text": "a plain sentence of text. " * 10, "url": f"https://x.org/{i}"} for i in range(5)]
    write_jsonl(data / "a.jsonl.gz", rows)
    write_jsonl(data / "2024" / "b.jsonl.gz", rows[:2])
    cfg = tmp_path / "p.yaml"  # url_dedup needs a field: the fields check samples the first shard
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [{
        "name": "s", "reader": {"type": "jsonl", "paths": "x"}, "steps": ["url_dedup", "length"]}]}))
    walks, opens = [], []
    real_scandir, real_open = os.scandir, builtins.open

    def scandir(path="."):
        if not isinstance(path, int) and os.path.abspath(path) == str(data):
            walks.append(path)
        return real_scandir(path)

    def counting_open(f, *a, **k):
        if str(f).endswith("a.jsonl.gz"):
            opens.append(f)
        return real_open(f, *a, **k)

    monkeypatch.setattr(os, "scandir", scandir)
    glob.glob(os.path.join(str(data), "**", "*"), recursive=True)
    one_walk, walks[:] = len(walks), []  # what one glob of the folder costs in scandir calls
    monkeypatch.setattr(builtins, "open", counting_open)
    assert main(["run", str(cfg), "--input", str(data), "-o", str(tmp_path / "run")]) == 0
    monkeypatch.setattr(builtins, "open", real_open)
    assert len(walks) == one_walk
    assert len(opens) == 2  # the preflight's one read of the first shard, the run's read
    kept = json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][0]
    assert (kept["in"], kept["kept"]) == (7, 5)  # both files read (the two of b.jsonl.gz repeat a's URLs)
