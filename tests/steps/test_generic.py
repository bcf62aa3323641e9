"""regex, sample and function: datatrove's RegexFilter / SamplerFilter / LambdaFilter cases plus what winnow adds
(recorded matches, a time budget, a sample that does not depend on order, callables that travel)."""

from __future__ import annotations

import pickle
import time

import pytest

from winnow import Document, steps
from winnow.step import Reject

# datatrove tests/pipeline/filters/test_filters.py (0.10, Apache-2.0): the text of its regex and lambda cases
TEXT_LF_1 = ("I wish it need not have happened in my time,' said Frodo. 'So do I,' said Gandalf, 'and so do all who "
             "live to see such times. But that is not for them to decide. All we have to decide is what to do with "
             "the time that is given us.'")


def test_regex_golden_case_from_datatrove():
    step = steps.regex(pattern=r"(?i)copyright")
    hit = step.process(Document(id="a", text=TEXT_LF_1 + "\n\nCoPyRiGhT"))
    assert hit.drop.reason == "pattern_found" and hit.attributes["regex.match"] == "CoPyRiGhT"
    assert hit.drop.value == len(TEXT_LF_1) + 2 == hit.attributes["regex.start"]
    assert step.process(Document(id="b", text=TEXT_LF_1)).drop is None


def test_regex_tag_and_keep_modes_and_flags():
    text = "Lorem ipsum\nCOOKIE policy"
    tag = steps.regex(pattern="^cookie", flags=["IGNORECASE", "MULTILINE"], action="tag")
    d = tag.process(Document(id="t", text=text))
    assert d.drop is None and d.attributes["regex.matched"] is True and d.attributes["regex.match"] == "COOKIE"
    assert steps.regex(pattern="^cookie", action="tag").process(Document(id="t", text=text)).attributes[
        "regex.matched"] is False
    keep = steps.regex(pattern="ipsum", action="keep")
    assert keep.process(Document(id="k", text=text)).drop is None
    assert keep.process(Document(id="k", text="nothing")).drop.reason == "pattern_missing"
    long = steps.regex(pattern="x+", action="tag").process(Document(id="l", text="x" * 5000))
    assert len(long.attributes["regex.match"]) == 200  # a long match is recorded, not copied whole


def test_regex_validation_names_the_problem():
    with pytest.raises(ValueError, match="does not compile"):
        steps.regex(pattern="(unclosed").validate()
    with pytest.raises(ValueError, match="unknown"):
        steps.regex(pattern="a", flags=["IGNORCASE"]).validate()


def test_catastrophic_pattern_stops_at_the_budget_and_the_run_quarantines_the_document(tmp_path):
    from winnow.executors import InlineExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.run import run_pipeline

    from tests.helpers import write_jsonl

    step = steps.regex(pattern=r"(a|aa)+$", timeout_s=0.2)
    evil = "a" * 60 + "!"  # ~fib(60) backtracking paths without the budget (re: hours)
    t = time.process_time()
    with pytest.raises(RuntimeError, match="timeout_s=0.2"):
        step.process(Document(id="e", text=evil))
    assert time.process_time() - t < 30  # stopped (the unbounded search would run for hours)
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "ok", "text": "aaa"}, {"id": "evil", "text": evil}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")), steps=[step])])
    res = run_pipeline(pipe, tmp_path / "run", InlineExecutor(), log=False, report=False)
    assert res.counts["s"] == {"in": 2, "kept": 0, "rejected": 1, "quarantined": 1}
    (q,) = list(res.quarantined())
    assert "timeout_s" in q["message"]


def test_sample_is_deterministic_by_id_and_independent_of_order():
    docs = [Document(id=f"doc-{i}", text=f"text {i}") for i in range(2000)]
    kept = {d.id for d in steps.sample(rate=0.3, seed=7).filter(docs)}
    assert 0.25 * 2000 < len(kept) < 0.35 * 2000  # datatrove's test: the rate controls the share kept
    again = {d.id for d in steps.sample(rate=0.3, seed=7).filter(
        [Document(id=d.id, text=d.text) for d in reversed(docs)])}
    assert again == kept  # the same documents in any order (datatrove's stream sampler differs here)
    other = {d.id for d in steps.sample(rate=0.3, seed=8).filter([Document(id=d.id, text=d.text) for d in docs])}
    assert other != kept
    bigger = {d.id for d in steps.sample(rate=0.5, seed=7).filter([Document(id=d.id, text=d.text) for d in docs])}
    assert kept < bigger  # nested samples: raising the rate only adds documents (whatif replays it)
    d = steps.sample(rate=0.0).process(Document(id="x", text="y"))
    assert d.drop.reason == "not_sampled" and d.drop.threshold == 0.0 and d.drop.value == d.attributes["sample.draw"]


def test_sample_rate_is_a_fraction():
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    with pytest.raises(ConfigError, match="rate is a fraction"):
        pipeline_from_dict({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x"},
                                        "steps": [{"type": "sample", "rate": 50}]}]})


def is_long(doc):  # a module-level function: travels by its import name
    return len(doc.text) > 10


def test_function_golden_case_from_datatrove():
    step = steps.function(lambda doc: doc.metadata["test"] > 0)
    doc = Document(id="0", text=TEXT_LF_1, metadata={"test": 1})
    assert step.process(doc).drop is None
    doc.metadata["test"] = -1
    assert step.process(doc).drop.reason == "rejected"


def test_function_results_tags_reasons_and_errors():
    out = list(steps.function(lambda d: {"n": len(d.text)})([Document(id="a", text="abc")]))
    assert out[0].drop is None and out[0].attributes["function.n"] == 3
    d = steps.function(lambda d: Reject("no_cats", 0, 1)).process(Document(id="a", text="x"))
    assert (d.drop.reason, d.drop.value, d.drop.threshold, d.attributes["function.reason"]) == ("rejected", 0, 1, "no_cats")
    d = steps.function(lambda d: (False, "dt_reason")).process(Document(id="a", text="x"))
    assert d.drop.reason == "rejected" and d.attributes["function.reason"] == "dt_reason"
    with pytest.raises(TypeError, match="returned str"):
        steps.function(lambda d: "yes").process(Document(id="a", text="x"))


def test_function_by_import_name_travels_and_a_lambda_says_why_it_cannot():
    step = steps.function(is_long)
    assert step.function == "tests.steps.test_generic:is_long"
    again = pickle.loads(pickle.dumps(step))
    assert again.process(Document(id="a", text="short")).drop is not None
    assert steps.function("tests.steps.test_generic:is_long").process(Document(id="b", text="x" * 20)).drop is None
    lam = steps.function(lambda d: True)
    assert lam.function.startswith("<python:")
    with pytest.raises(TypeError, match="define it at module level, or run with executor inline"):
        pickle.dumps(lam)
    with pytest.raises(ValueError, match="cannot be imported"):
        steps.function("tests.steps.test_generic:nope").validate()


def test_function_lambda_runs_in_an_inline_pipeline(tmp_path):
    from winnow.executors import InlineExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.run import run_pipeline

    from tests.helpers import write_jsonl

    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "keep me"}, {"id": "b", "text": "spam spam"}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[steps.function(lambda d: "spam" not in d.text)])])
    res = run_pipeline(pipe, tmp_path / "run", InlineExecutor(), log=False, report=False)
    assert res.counts["s"] == {"in": 2, "kept": 1, "rejected": 1, "quarantined": 0}
    assert [d.id for d in res.rejected()] == ["b"]
