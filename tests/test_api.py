"""The Python API: step, reader and writer classes under their registry names, a step's two ways of streaming, and
a run's outputs read back through RunResult / open_run."""

from __future__ import annotations

import pkgutil

import pytest

import winnow
from winnow import Document, Pipeline, Stage, open_run, readers, run_pipeline, steps, writers
from winnow.registry import names

from tests.helpers import text_records, write_jsonl


def test_every_component_by_its_registry_name():
    for kind, ns in (("step", steps), ("reader", readers), ("writer", writers)):
        for name, cls in names(kind).items():
            if name.startswith("_"):  # private steps that other test modules register are not exported
                continue
            assert getattr(ns, name) is cls, (kind, name)
            assert name in dir(ns)
    from winnow.steps import language, minhash_dedup

    assert language is names()["language"] and minhash_dedup.__name__ == "MinhashDedup"
    with pytest.raises(AttributeError, match="did you mean 'gopher_quality'"):
        steps.gopher_qualty  # noqa: B018


def test_no_step_module_hides_a_step_name():
    # a module winnow/steps/<name>.py would shadow the class steps.<name> once imported
    modules = {m.name for m in pkgutil.iter_modules(winnow.steps.__path__)}
    assert not modules & set(names("step")), modules & set(names("step"))


def test_calling_a_step_yields_dropped_documents_too_filter_only_the_kept():
    docs = [Document(id="short", text="hi"), Document(id="long", text="x" * 50)]
    out = list(steps.length(min_chars=10)([Document(d.id, d.text) for d in docs]))
    assert [d.id for d in out] == ["short", "long"]
    assert out[0].drop.reason == "too_short" and out[0].drop.value == 2 and out[1].drop is None
    kept = list(steps.length(min_chars=10).filter([Document(d.id, d.text) for d in docs]))
    assert [d.id for d in kept] == ["long"]
    # a chain of filters keeps what a pipeline would: the second never sees (or re-judges) the first's drops
    chain = steps.length(max_chars=40).filter(steps.length(min_chars=10).filter(
        [Document(d.id, d.text) for d in docs]))
    assert list(chain) == []


def test_run_result_reads_back_kept_rejected_and_quarantined(tmp_path, real_docs):
    recs = text_records(real_docs, 0, 12) + [{"id": "no-text", "body": "x"}]
    write_jsonl(tmp_path / "in" / "a.jsonl", recs)
    pipe = Pipeline(stages=[Stage("main", reader=readers.jsonl(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[steps.length(min_chars=3000)], writer=writers.parquet())],
                    executor={"type": "inline"})
    res = run_pipeline(pipe, tmp_path / "run", report=False)
    n_short = sum(len(d.text.strip()) < 3000 for d in real_docs[:12])
    assert res.counts == {"main": {"in": 13, "kept": 12 - n_short, "rejected": n_short, "quarantined": 1}}
    assert res.summary.startswith(f"stage main: 13 in -> {12 - n_short} kept")
    assert res["stages"][0]["kept"] == 12 - n_short  # still reads as the stats mapping it used to be
    kept = list(res.kept())
    assert sorted(d.id for d in kept) == sorted(d.id for d in real_docs[:12] if len(d.text.strip()) >= 3000)
    assert all(isinstance(d, Document) and d.attributes["length.chars"] >= 3000 for d in kept)
    rejected = list(res.rejected())
    assert len(rejected) == n_short and all(d.drop.reason == "too_short" and d.drop.threshold == 3000
                                            for d in rejected)
    (q,) = list(res.quarantined())
    assert q["reason"] == "missing_text" and "line 13" in q["location"]
    again = open_run(tmp_path / "run")
    assert again.counts == res.counts and [d.id for d in again.kept()] == [d.id for d in kept]
    with pytest.raises(KeyError, match="no stage 'nope'"):
        list(again.kept("nope"))
