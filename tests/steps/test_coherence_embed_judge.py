"""offtopic_sentences' embedding judge (``encoder``): the segment judge with a sentence encoder's evidence beside the
lexical one (winnow.steps._coherence_intruders.embed_features). Tested with the ``hashing`` encoder (its own model
file, fitted by bench/coherence_embed_intruders.py as the others are), so no model package is needed."""

import numpy as np
import pytest

from winnow.document import Document
from winnow.steps import _coherence_intruders as J
from winnow.steps import _encoder, coherence
from winnow.steps.coherence import OfftopicSentences

from .test_coherence_intruders import _intruded, _measure


def _thr():
    return coherence._embed_model("hashing")[2]


def test_embedding_judge_removes_inserted_clumps_and_keeps_the_host():
    step = OfftopicSentences(intruder_prose_threshold=_thr(), encoder="hashing")
    step.validate()
    recall, host_kept = _measure(step, clumps=True)
    assert recall >= 0.27  # 0.33 (the lexical judge alone on these pages: 0.32; hashing is a lexical stand-in)
    assert host_kept >= 0.97


def test_removals_carry_reason_score_and_near_record():
    thr = _thr()
    for text, _, _ in _intruded(clumps=True)[:8]:
        doc = OfftopicSentences(intruder_prose_threshold=thr, encoder="hashing").map(Document("x", text))
        judged = [e for e in doc.edits if e.reason == "off_topic"]
        assert all(thr <= e.score <= 1.0 for e in judged)
        assert "offtopic_sentences.near" in doc.attributes
        if judged:
            return
    pytest.fail("the embedding judge removed nothing from 8 intruded pages")


# whatif's replay of intruder_prose_threshold: test_coherence_intruders.py, parametrized by encoder.


def test_batched_documents_are_judged_as_one_by_one(monkeypatch):
    # process_batch embeds the sentences of all its documents in one call; each document's edits are the same as
    # when it is mapped alone.
    step = OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing")
    texts = [t for t, _, _ in _intruded(clumps=True)[:6]]
    calls = []
    real = _encoder.HashingEncoder.encode
    monkeypatch.setattr(_encoder.HashingEncoder, "encode",
                        lambda self, xs, **kw: calls.append(len(xs)) or real(self, xs, **kw))
    alone = [[(e.start, e.end, e.reason, e.score) for e in step.map(Document(str(i), t)).edits]
             for i, t in enumerate(texts)]
    calls.clear()
    batched = [[(e.start, e.end, e.reason, e.score) for e in d.edits]
               for d in step.process_batch([Document(str(i), t) for i, t in enumerate(texts)])]
    assert batched == alone
    assert len(calls) == 1 and calls[0] > 6 * 12
    assert step.batching() == step.embed_batch
    assert OfftopicSentences().batching() == 0


def test_default_never_loads_an_encoder(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the encoder was loaded")

    monkeypatch.setattr(_encoder, "load_encoder", boom)
    text = _intruded(clumps=True)[0][0]
    OfftopicSentences().map(Document("x", text))
    OfftopicSentences(intruder_prose_threshold=0.8).map(Document("x", text))  # the lexical judge: no encoder


def test_embedded_sentences_per_page_are_bounded(monkeypatch):
    # Only the first EMBED_MAX_CHUNKS chunks of a page's candidates are embedded (and judged).
    text = "\n".join(t for t, _, _ in _intruded(clumps=True)[:6])
    monkeypatch.setattr(J, "CHUNK", 20)
    monkeypatch.setattr(coherence, "EMBED_MAX_CHUNKS", 2)
    seen = []
    real = _encoder.HashingEncoder.encode
    monkeypatch.setattr(_encoder.HashingEncoder, "encode",
                        lambda self, xs, **kw: seen.append(len(xs)) or real(self, xs, **kw))
    a = coherence.analyse(text)
    assert len(coherence._intruder_candidates(a)) > 60
    doc = OfftopicSentences(intruder_prose_threshold=0.0, encoder="hashing").map(Document("x", text))
    assert sum(seen) <= 40
    last = max(e.end for e in doc.edits if e.reason == "off_topic")
    cut = coherence._chunks(coherence._intruder_candidates(a))[1][-1]
    assert last <= a.sentences[cut].end + 1


def test_validation():
    with pytest.raises(ValueError, match="encoder must be one of"):
        OfftopicSentences(intruder_prose_threshold=0.8, encoder="nonesuch").validate()
    with pytest.raises(ValueError, match="intruder_prose_threshold < 1"):
        OfftopicSentences(encoder="hashing").validate()
    with pytest.raises(ValueError, match="device"):
        OfftopicSentences(intruder_prose_threshold=0.8, encoder="hashing", device="tpu").validate()
    OfftopicSentences(intruder_prose_threshold=0.8, encoder="hashing").validate()


def test_embed_features_see_a_foreign_run():
    # Unit vectors: a run far from every other sentence has the lowest centroid cosine and best-neighbour cosine.
    rng = np.random.default_rng(0)
    topic = rng.normal(size=16)
    e = topic + 0.5 * rng.normal(size=(20, 16))
    e[8:10] = rng.normal(size=(2, 16)) * 2
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    segs = J.segments(20)
    x = J.embed_features(e, segs)
    assert x.shape == (len(segs), len(J.EMBED_BASE))
    col = J.EMBED_BASE.index("e_out")
    assert segs[int(np.argmin(x[:, col]))] in ((8, 9), (9, 10), (8, 10))
    xh = J.embed_features(e, segs, host=np.r_[np.ones(8), np.zeros(2), np.ones(10)])
    assert xh.shape == (len(segs), len(J.EMBED_FEATURES))
