"""Every YAML pipeline snippet in the README and docs/ validates: a user copying one gets a working file."""

import re
from pathlib import Path

import pytest
import yaml

from winnow.config import pipeline_from_dict
from winnow.errors import ConfigError

from tests.helpers import skip_if_model_package_missing

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SNIPPETS = [(p.name, p.read_text()[:m.start()].count("\n") + 1, m.group(1))
            for p in DOCS for m in re.finditer(r"```ya?ml\n(.*?)```", p.read_text(), re.S)]


def _as_pipeline(raw: dict) -> dict:
    # Fragments (a steps list, an executor line) are completed into a one-stage pipeline around them.
    if "stages" in raw:
        return raw
    stage = {"name": "s", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": raw.pop("steps", [])}
    return {**raw, "stages": [stage]}


def test_docs_have_yaml_snippets():
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize("doc,line,text", SNIPPETS, ids=[f"{d}:{n}" for d, n, _ in SNIPPETS])
def test_yaml_snippet_validates(doc, line, text):
    try:
        pipeline_from_dict(_as_pipeline(yaml.safe_load(text)), where=f"{doc}:{line}")
    except ConfigError as exc:
        skip_if_model_package_missing(exc)
        # A snippet of `against:` names the user's own earlier runs, one of `tokenize` the user's own tokenizer.json:
        # that those are not here are the problems allowed (the checks themselves are tested in
        # tests/steps/test_dedup_reference.py and tests/steps/test_tokenize.py); every other key still counts.
        problems = [p for p in str(exc).splitlines()[1:] if p.strip()] or [str(exc)]
        if all(" index there (a run folder whose " in p or re.search(r"tokenizer '[^']*': no such file", p)
               for p in problems):
            return
        raise
