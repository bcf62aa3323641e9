"""The same-source pair model behind stitched_document (winnow.steps.coherence._pairs)."""

import json
import random
from pathlib import Path

import numpy as np
import pytest

from winnow.document import Document
from winnow.sentences import split_sentences
from winnow.steps.coherence import _pairs as pairs
from winnow.steps.coherence import StitchedDocument, analyse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coherence"


def _jsonl(name):
    with open(FIXTURES / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _inputs(sentences):
    a = analyse(" ".join(sentences))
    texts = [" ".join(sentences)[s.start:s.end] for s in a.sentences if s.stems]
    stems = [s.stems for s in a.sentences if s.stems]
    df = {}
    for st in stems:
        for w in st:
            df[w] = df.get(w, 0) + 1
    return (np.array([pairs.style(t) for t in texts]), stems, [pairs.capitalised_words(t) for t in texts], df,
            [pairs.short_words(t) for t in texts])


def test_fast_pair_logits_equal_the_fitted_model_over_explicit_features():
    docs = _jsonl("aeb-articles.jsonl")
    sentences = split_sentences(" ".join(docs[0]["text"].split()))[:12] + split_sentences(
        " ".join(docs[1]["text"].split()))[:12]
    args = _inputs(sentences)
    feats = pairs.pair_features(*args)
    assert feats.shape[2] == len(pairs.PAIR_FEATURES)
    mean, scale, w, b = pairs._model()
    explicit = b + ((feats - mean) / scale) @ w
    assert np.allclose(pairs.pair_logits(*args), explicit)


def test_sentences_of_one_page_look_alike_more_than_sentences_of_two():
    docs = _jsonl("aeb-articles.jsonl")
    same = cross = 0
    for k in range(0, 20, 2):
        a = split_sentences(" ".join(docs[k]["text"].split()))[:10]
        b = split_sentences(" ".join(docs[k + 1]["text"].split()))[:10]
        lg = pairs.pair_logits(*_inputs(a + b))
        n = len(a)
        if lg.shape[0] != len(a) + len(b):
            continue
        inside = (lg[:n, :n].sum() - np.trace(lg[:n, :n]) + lg[n:, n:].sum() - np.trace(lg[n:, n:])) / (
            n * (n - 1) + len(b) * (len(b) - 1))
        same += inside > lg[:n, n:].mean()
        cross += 1
    assert cross >= 8 and same >= cross - 1


def test_typesetting_habits_mixed_between_sentences_count_as_a_clash():
    one_hand = ["It's here and it's fine.", "Don't go - stay.", "We're done - really.", "It's late."]
    two_hands = ["It's here and it's fine.", "Don't go there.", "It\u2019s late now.", "We\u2019re done."]
    assert pairs.habit_clashes(one_hand) == 0
    assert pairs.habit_clashes(two_hands) == 1
    # One sentence with both forms (a quotation pasted in) is not two sources.
    assert pairs.habit_clashes(["It's and it\u2019s.", "Plain text here.", "More plain text."]) == 0


def test_pair_signals_see_a_boundary_between_blocks():
    # A matrix of two sources in blocks: high log-odds inside each block, low across.
    n = 16
    src = np.array([0] * 8 + [1] * 8)
    lg = np.where(src[:, None] == src[None, :], 1.0, -1.0)
    s = dict(zip(pairs.PAIR_SIGNALS, pairs.pair_signals(lg)))
    assert s["pair_split"] == pytest.approx(2.0)
    assert s["pair_tile_max"] == pytest.approx(2.0)
    assert s["pair_adjacent_low"] == pytest.approx(1 / 15)
    one = dict(zip(pairs.PAIR_SIGNALS, pairs.pair_signals(np.ones((n, n)))))
    assert one["pair_split"] == pytest.approx(0.0) and one["pair_low"] == 0.0


def test_stitched_fixture_articles_are_flagged_and_their_sources_are_not():
    # Sentences of four unrelated real articles shuffled together, and runs of them one after another: at the
    # default threshold most are flagged, few of the articles on their own are.
    docs = _jsonl("aeb-articles.jsonl")
    rng = random.Random(3)
    spun = blocks = originals = 0
    for k in range(10):
        parts = docs[4 * k: 4 * k + 4]
        runs = [split_sentences(" ".join(d["text"].split()))[:8] for d in parts]
        flat = [s for r in runs for s in r]
        blocks += StitchedDocument().process(Document("b", " ".join(flat))).drop is not None
        rng.shuffle(flat)
        spun += StitchedDocument().process(Document("s", " ".join(flat))).drop is not None
        originals += sum(StitchedDocument().process(Document("o", d["text"])).drop is not None for d in parts)
    # (Of the 40 articles, two score >= 0.5: a digest of ten news items, and a news page with a teaser inside.)
    assert spun >= 8 and blocks >= 8 and originals <= 2


def test_without_the_pair_model_the_page_is_not_scored(monkeypatch):
    monkeypatch.setattr(pairs, "_model", lambda: None)
    docs = _jsonl("aeb-articles.jsonl")
    a = analyse(" ".join(docs[0]["text"].split()))
    assert a.pair == pairs.NEUTRAL and a.score == 0.0


def test_lexical_tier_scores_without_the_pair_signals(monkeypatch):
    from winnow.steps import coherence

    specimen = (FIXTURES / "stitched-page.txt").read_text(encoding="utf-8")
    paired = StitchedDocument().process(Document("s", specimen))
    assert paired.attributes["stitched_document.tier"] == "pairs"

    def boom(*a, **k):
        raise AssertionError("the lexical tier computed the pair signals")

    monkeypatch.setattr(pairs, "page_signals", boom)
    coherence._model.cache_clear()
    doc = StitchedDocument(tier="lexical").process(Document("s", specimen))
    assert doc.drop is not None and doc.attributes["stitched_document.tier"] == "lexical"
    assert doc.attributes["stitched_document.kind"] in ("spun", "blocks")
    assert doc.attributes["stitched_document.score"] != paired.attributes["stitched_document.score"]
    with pytest.raises(ValueError, match="tier"):
        StitchedDocument(tier="embedding").validate()
