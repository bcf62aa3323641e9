"""bench/coherence_heldout.py's ``--set step.field=value``: an override is checked as a pipeline file's parameter
would be (the step's own validation), so an opt-in tier the step would refuse is not measured as a silent no-op."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "coherence_heldout.py"


@pytest.fixture
def heldout():
    spec = importlib.util.spec_from_file_location("coherence_heldout_under_test", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("override, message", [
    ({"encoder": "hashing"}, "intruder_prose_threshold < 1"),  # an encoder alone judges nothing: refused
    ({"max_intruder_share": 2.0}, "fraction"),
    ({"nonesuch": 1}, "nonesuch"),
    # types, as a pipeline file checks them (dataclasses.replace took these, and the run used them as they were)
    ({"embed_batch": 2.5}, "embed_batch"),
    ({"max_intruder_share": True}, "max_intruder_share"),
])
def test_overrides_are_validated(heldout, monkeypatch, override, message):
    monkeypatch.setattr(heldout, "OVERRIDES", {"offtopic_sentences": override})
    with pytest.raises(SystemExit, match=message):
        heldout.default_steps(False)


def test_a_valid_override_is_applied(heldout, monkeypatch):
    monkeypatch.setattr(heldout, "OVERRIDES", {"offtopic_sentences": {"intruder_prose_threshold": 0.9}})
    st = next(s for s in heldout.default_steps(False) if s.name == "offtopic_sentences")
    assert st.intruder_prose_threshold == 0.9
