"""One test over every registered step: what a step must do to be part of winnow."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
import yaml

from winnow.config import build_component, component_to_dict
from winnow.document import Document
from winnow.registry import names
from winnow.step import Context, CorpusStep

from tests.conftest import sample_docs

STEPS = names("step")
DOCS = sample_docs(60)


def test_registry_is_not_empty():
    assert "length" in STEPS


@pytest.mark.parametrize("name", sorted(n for n in STEPS if not n.startswith("_")))
def test_default_constructible_and_yaml_round_trip(name):
    cls = STEPS[name]
    step = cls()
    assert dataclasses.is_dataclass(step), f"{name} must be a dataclass whose fields are its parameters"
    d = component_to_dict(step)
    again = build_component("step", yaml.safe_load(yaml.safe_dump(d)), name)
    assert component_to_dict(again) == d
    assert pickle.loads(pickle.dumps(step)).__class__ is cls
    assert cls.REASONS, f"{name} declares no REASONS"
    assert (cls.__doc__ or "").strip() and not cls.__doc__.startswith(cls.__name__ + "("), \
        f"{name} needs a docstring (winnow steps shows its first line)"


@pytest.mark.parametrize("name", sorted(n for n, c in STEPS.items() if not issubclass(c, CorpusStep) and not n.startswith("_")))
def test_streams_lazily_and_emits_only_declared_reasons(name):
    step = STEPS[name]()
    pulled = []

    def source():
        for d in DOCS:
            pulled.append(d.id)
            yield Document(id=d.id, text=d.text, metadata=dict(d.metadata))

    it = step(source(), Context(on_drop="route"))
    first = next(it)
    # a step that scores documents in batches (batching() > 0) reads one batch ahead, never more
    ahead = min(max(1, step.batching()), len(DOCS))
    assert len(pulled) == ahead, f"{name} read ahead {len(pulled)} documents before yielding the first"
    out = [first, *it]
    assert len(out) == len(DOCS)
    reasons = set(STEPS[name].REASONS)
    for doc in out:
        if doc.drop is not None:
            assert doc.drop.step == name and doc.drop.reason in reasons, doc.drop
        for e in doc.edits:
            assert e.step == name and e.reason in reasons, e
    # a step must still be picklable after setup (executors may ship it again)
    pickle.dumps(step)


@pytest.mark.parametrize("name", sorted(n for n in STEPS if not n.startswith("_")))
def test_thresholds_name_real_parameters(name):
    cls = STEPS[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    for param, spec in getattr(cls, "THRESHOLDS", {}).items():
        assert param in fields, f"{name}.THRESHOLDS names unknown parameter {param}"
        attr, op, reason = spec
        assert attr.startswith(name + ".") and op in ("<", ">", "<=", ">=") and reason in cls.REASONS


@pytest.mark.parametrize("name", sorted(n for n in STEPS if not n.startswith("_")))
def test_fractions_name_real_parameters_and_defaults_validate(name):
    cls = STEPS[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    assert set(cls.FRACTIONS) <= fields, f"{name}.FRACTIONS names unknown parameters"
    cls().validate()  # the reference defaults are valid


def test_a_fraction_out_of_range_is_a_config_error():
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    def cfg(step):
        return {"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x.jsonl"}, "steps": [step]}]}

    with pytest.raises(ConfigError, match=r"language\): min_score is a fraction between 0 and 1, got 65"):
        pipeline_from_dict(cfg({"type": "language", "min_score": 65}))
    with pytest.raises(ConfigError, match="dup_7_gram_frac is a fraction"):
        pipeline_from_dict(cfg({"type": "gopher_repetition", "dup_7_gram_frac": -0.1}))
    assert pipeline_from_dict(cfg({"type": "gopher_repetition", "dup_7_gram_frac": None}))  # None: rule off
    assert pipeline_from_dict(cfg({"type": "fineweb_quality", "new_line_ratio": 1.5}))  # not a fraction
