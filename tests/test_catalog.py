"""`winnow steps` documents every component a pipeline file can name (steps, readers, writers, executors), and
`winnow steps NAME` shows one in full with an example pipeline that validates as printed."""

from __future__ import annotations

import json

import pytest
import yaml

from winnow.catalog import components, example_yaml
from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.errors import ConfigError

from tests.helpers import skip_if_model_package_missing

COMPONENTS = components()


def test_listing_covers_readers_writers_and_executors(capsys):
    assert main(["steps", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by = {(r["component"], r["name"]): r for r in rows}
    assert {"jsonl", "parquet", "warc", "wet", "text"} <= {n for c, n in by if c == "reader"}
    assert {("writer", "jsonl"), ("writer", "parquet"), ("executor", "local"), ("executor", "ray")} <= set(by)
    params = {p["name"]: p for p in by["reader", "jsonl"]["params"]}
    assert {"paths", "text_key", "id_key"} <= set(params) and "text" in params["text_key"]["note"]
    assert {p["name"] for p in by["writer", "jsonl"]["params"]} >= {"compression"}
    # a Python-only executor parameter is not offered to a pipeline file, which would refuse it
    assert "progress" not in {p["name"] for p in by["executor", "ray"]["params"]}
    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    assert "== readers" in out and "text_key: str = 'text'" in out and "== executors" in out


def test_one_component_in_full(capsys):
    assert main(["steps", "language"]) == 0  # was "unrecognized arguments"
    out = capsys.readouterr().out
    assert out.startswith("language  [step: filter]")
    assert "model_path: str | None = None" in out and "lid.176.bin" in out and "lid.176.ftz" in out
    assert "min_score: drop when language.score < min_score  (low_score)" in out
    assert "reasons: wrong_language, low_score, no_text" in out
    assert "example pipeline" in out and "- type: language" in out
    assert main(["steps", "jsonl"]) == 0  # a reader and a writer share the name: both shown
    out = capsys.readouterr().out
    assert "jsonl  [reader]" in out and "jsonl  [writer]" in out and "zstd | gzip | none" in out
    assert main(["steps", "langauge"]) == 2
    assert "did you mean 'language'" in capsys.readouterr().err


@pytest.mark.parametrize("kind,name,cls", COMPONENTS, ids=[f"{k}:{n}" for k, n, _ in COMPONENTS])
def test_every_example_validates_and_uses_the_component(kind, name, cls):
    try:
        pipe = pipeline_from_dict(yaml.safe_load(example_yaml(kind, name, cls)), where=f"example of {kind} {name}")
    except ConfigError as exc:
        skip_if_model_package_missing(exc)
        raise
    st = pipe.stages[0]
    if kind == "step":
        assert isinstance(st.steps[0], cls) and st.steps[0].name == name
    elif kind == "reader":
        assert isinstance(st.reader, cls)
    elif kind == "writer":
        assert isinstance(st.writer, cls)
    elif kind == "stage":
        assert isinstance(pipe.stages[-1].mix, cls) and pipe.stages[-1].mix.stages_read()
    else:
        assert pipe.executor["type"] == name and len(pipe.executor) > 1
