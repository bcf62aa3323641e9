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
