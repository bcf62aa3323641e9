from pathlib import Path

import pytest
import yaml

from winnow.cli import DEFAULT_CONFIG, main
from winnow.config import dump_pipeline, load_pipeline, pipeline_from_dict
from winnow.errors import ConfigError


def _cfg(steps, **extra):
    return {"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": steps}], **extra}


def test_unknown_step_says_did_you_mean():
    with pytest.raises(ConfigError) as e:
        pipeline_from_dict(_cfg([{"type": "lenght"}]))
    msg = str(e.value)
    assert "unknown step type 'lenght'" in msg and "did you mean 'length'" in msg and "steps[0]" in msg


def test_unknown_parameter_says_did_you_mean():
    with pytest.raises(ConfigError) as e:
        pipeline_from_dict(_cfg([{"type": "length", "min_char": 10}]))
    assert "unknown parameter 'min_char'" in str(e.value) and "did you mean 'min_chars'" in str(e.value)


def test_wrong_type_is_named():
    with pytest.raises(ConfigError) as e:
        pipeline_from_dict(_cfg([{"type": "length", "min_chars": "ten"}]))
    assert "min_chars" in str(e.value) and "expected an integer" in str(e.value) and "'ten'" in str(e.value)
    with pytest.raises(ConfigError) as e:
        pipeline_from_dict(_cfg([{"type": "length", "min_chars": True}]))
    assert "expected an integer" in str(e.value)
    # an optional parameter says so in the same words, YAML's null included (was "'ten' is not int or NoneType")
    bad = _cfg([])
    bad["stages"][0]["reader"]["limit"] = "ten"
    with pytest.raises(ConfigError, match=r"reader \(jsonl\)\.limit: expected an integer or null, got str 'ten'$"):
        pipeline_from_dict(bad)


def test_unknown_reader_executor_and_keys():
    bad = _cfg([])
    bad["stages"][0]["reader"]["type"] = "jsonll"
    with pytest.raises(ConfigError, match="did you mean 'jsonl'"):
        pipeline_from_dict(bad)
    with pytest.raises(ConfigError, match="did you mean 'local'"):
        pipeline_from_dict(_cfg([], executor={"type": "locl"}))
    with pytest.raises(ConfigError, match="did you mean 'stages'"):
        pipeline_from_dict({"stage": []})
    with pytest.raises(ConfigError, match="did you mean 'workers'"):
        pipeline_from_dict(_cfg([], executor={"type": "local", "worker": 2}))
    with pytest.raises(ConfigError, match="not an earlier stage"):
        pipeline_from_dict({"stages": [{"name": "b", "from": "a"}]})


def test_interpolation_and_resolved_round_trip(tmp_path):
    raw = _cfg([{"type": "length", "min_chars": 5}], run={"name": "x", "output_dir": str(tmp_path / "out")})
    raw["stages"][0]["reader"]["paths"] = "${run.output_dir}/in/*.jsonl"
    pipe = pipeline_from_dict(raw)
    assert pipe.stages[0].reader.paths == str(tmp_path / "out") + "/in/*.jsonl"
    dumped = dump_pipeline(pipe)
    again = pipeline_from_dict(yaml.safe_load(dumped))
    assert dump_pipeline(again) == dumped
    assert yaml.safe_load(dumped)["stages"][0]["steps"][0] == {"type": "length", "min_chars": 5,
                                                               "max_chars": 10_000_000}


def test_validate_cli(tmp_path, capsys):
    assert main(["validate", str(DEFAULT_CONFIG)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_cfg([{"type": "gopher_qualty"}])))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "gopher_qualty" in err


def test_config_error_stops_before_reading(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_cfg([{"type": "length"}, {"type": "length", "nope": 1}])))
    with pytest.raises(ConfigError):
        load_pipeline(bad)
    assert not (tmp_path / "winnow-out").exists()


def test_html_readers_need_html_extract_first():
    warc = {"type": "warc", "paths": "x/*.warc.gz"}

    def stage(reader, steps):
        return {"stages": [{"name": "s", "reader": reader, "steps": steps}]}

    # ... and names the shipped pipelines that do (`winnow run fineweb --input x.warc.gz` is refused so)
    with pytest.raises(ConfigError, match=r"first step must be html_extract; it starts with 'gopher_quality' \(the "
                                          r"shipped commoncrawl and default pipelines start with it: winnow run "
                                          r"commoncrawl --input"):
        pipeline_from_dict(stage(warc, ["gopher_quality"]))
    with pytest.raises(ConfigError, match="it has no steps"):
        pipeline_from_dict(stage(warc, []))
    with pytest.raises(ConfigError, match="it starts with 'unicode_fix'"):
        pipeline_from_dict(stage(warc, ["unicode_fix", "html_extract"]))
    html_folder = {"type": "text", "paths": "pages", "pattern": "*.html", "field": "html"}
    with pytest.raises(ConfigError, match="reader 'text' yields raw HTML"):
        pipeline_from_dict(stage(html_folder, ["length"]))
    with pytest.raises(ConfigError, match=r"steps\[1\] \(html_extract\): a step that reads raw HTML must be"):
        pipeline_from_dict(_cfg(["unicode_fix", "html_extract"]))
    assert pipeline_from_dict(stage(warc, ["html_extract", "gopher_quality"]))
    # FineWeb's order: datatrove's URLFilter before extraction (the URL alone; a blocked page is not extracted)
    pipe = pipeline_from_dict(stage(warc, ["url_filter", "html_extract", "gopher_quality"]))
    assert [s.name for s in pipe.stages[0].steps] == ["url_filter", "html_extract", "gopher_quality"]
    with pytest.raises(ConfigError, match="it starts with 'length'"):  # a step reading text still may not
        pipeline_from_dict(stage(warc, ["url_filter", "length", "html_extract"]))
    with pytest.raises(ConfigError, match="it has no step that reads text"):
        pipeline_from_dict(stage(warc, ["url_filter"]))
    assert pipeline_from_dict(stage({**html_folder, "field": "text"}, ["length"]))
    assert pipeline_from_dict(_cfg(["html_extract", "length"]))  # JSONL whose metadata carries html


def test_step_short_form():
    pipe = pipeline_from_dict(_cfg([{"length": {"min_chars": 10}}, {"url_dedup": None}, "gopher_quality"]))
    steps = pipe.stages[0].steps
    assert [s.name for s in steps] == ["length", "url_dedup", "gopher_quality"] and steps[0].min_chars == 10
    with pytest.raises(ConfigError, match="did you mean 'min_chars'"):
        pipeline_from_dict(_cfg([{"length": {"min_char": 10}}]))
    with pytest.raises(ConfigError, match="expected a mapping with a 'type' key"):
        pipeline_from_dict(_cfg([{"length": 10}]))


def test_set_addresses_a_step_by_its_type(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": "x.jsonl"},
         "steps": ["unicode_fix", {"type": "length", "min_chars": 5}, {"url_dedup": None}]},
        {"name": "b", "from": "a", "steps": [{"length": {"min_chars": 7}}, "gopher_quality"]}]}))
    pipe = load_pipeline(p, {"gopher_quality.min_words": 80, "a.length.min_chars": 9, "b.length.min_chars": 11,
                             "url_dedup.url_key": "link", "stages.0.steps.1.max_chars": 1000})
    a, b = pipe.stages
    assert b.steps[1].min_words == 80 and a.steps[1].min_chars == 9 and b.steps[0].min_chars == 11
    assert a.steps[2].url_key == "link" and a.steps[1].max_chars == 1000
    with pytest.raises(ConfigError, match="'length' appears in stages a, b; prefix the stage: a.length.min_chars or"):
        load_pipeline(p, {"length.min_chars": 3})
    with pytest.raises(ConfigError, match="'gopher_qualty' is not a step of .*did you mean 'gopher_quality'"):
        load_pipeline(p, {"gopher_qualty.min_words": 3})
    with pytest.raises(ConfigError, match="unknown parameter 'min_word'; did you mean 'min_words'"):
        load_pipeline(p, {"gopher_quality.min_word": 3})


def test_validation_reports_every_problem_at_once(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("executor: {type: locl}\nstages:\n  - name: main\n    reader: {type: jsonll, paths: x.jsonl}\n"
                 "    steps:\n      - {type: gopher_qualty}\n      - {type: language, min_scor: 0.5}\n"
                 "      - {type: length, min_chars: ten}\n")
    with pytest.raises(ConfigError) as e:
        load_pipeline(p)
    msg = str(e.value)
    assert msg.startswith("5 problems:")
    for part in ("did you mean 'jsonl'", "did you mean 'gopher_quality'", "did you mean 'min_score'",
                 "expected an integer", f"{p}: executor: unknown executor type 'locl'; did you mean 'local'"):
        assert part in msg


def test_set_type_switches_a_writer_keeping_the_parameters_the_new_type_takes(tmp_path):
    # friction12: `winnow run fineweb --set main.writer.type=parquet` failed on "unknown parameter 'compression'",
    # the shipped file's jsonl setting the user never wrote
    from winnow.config import load_pipeline

    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{
        "name": "main", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": ["length"],
        "writer": {"type": "jsonl", "compression": "zstd", "format": "datatrove"},
        "rejects": {"type": "jsonl", "compression": "zstd"}}]}))
    stage = load_pipeline(cfg, {"main.writer.type": "parquet", "main.rejects.type": "parquet"}).stages[0]
    assert (stage.writer.name, stage.writer.format) == ("parquet", "datatrove") and stage.rejects.name == "parquet"
    with pytest.raises(ConfigError, match="unknown writer type 'parqet'; did you mean 'parquet'"):
        load_pipeline(cfg, {"main.writer.type": "parqet"})
    with pytest.raises(ConfigError, match="unknown parameter 'compression'"):  # a key the user sets is still checked
        load_pipeline(cfg, {"main.writer.type": "parquet", "main.writer.compression": "gzip"})


def test_a_set_value_starting_with_a_glob_star_is_the_string(tmp_path):
    # friction12: `--set main.reader.paths=*.jsonl.gz` (a datatrove user's glob_pattern) failed with "not valid
    # YAML: while scanning an alias": YAML reads a leading * as an alias, which a one-value document never defines
    from winnow.config import load_pipeline, parse_set_value

    assert parse_set_value("main.reader.paths=*.jsonl.gz") == ("main.reader.paths", "*.jsonl.gz")
    assert parse_set_value("k=[a, b]") == ("k", ["a", "b"])  # other values are YAML as before
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "x"}}]}))
    pipe = load_pipeline(cfg, dict([parse_set_value("main.reader.paths=**/*.jsonl.gz")]))
    assert pipe.stages[0].reader.paths == "**/*.jsonl.gz"


def test_set_values_of_globs_in_a_list_or_with_spaces_and_a_type_set_after_its_parameter(tmp_path):
    # review14: the leading-* rule (7bd3174) kept the spaces around a glob (' *.jsonl' matched no file), a list of
    # globs still failed as YAML aliases, and a parameter set before the new type it does not take (--set
    # main.writer.compression=gzip --set main.writer.type=parquet) was dropped without a word (d443a07)
    from winnow.config import load_pipeline, parse_set_value

    assert parse_set_value("main.reader.paths= *.jsonl ") == ("main.reader.paths", "*.jsonl")
    assert parse_set_value("k=[*.jsonl, a/*.gz ,*.x]") == ("k", ["*.jsonl", "a/*.gz", "*.x"])
    assert parse_set_value("k=['*.a', *.b]") == ("k", ["*.a", "*.b"])
    with pytest.raises(ConfigError, match="undefined alias 'y'"):  # a mapping's alias is not a glob
        parse_set_value("k={x: *y}")
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{
        "name": "main", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": ["length"],
        "writer": {"type": "jsonl", "compression": "zstd"}}]}))
    with pytest.raises(ConfigError, match="unknown parameter 'compression'"):
        load_pipeline(cfg, {"main.writer.compression": "gzip", "main.writer.type": "parquet"})
    assert load_pipeline(cfg, {"main.writer.compression": "gzip"}).stages[0].writer.compression == "gzip"
