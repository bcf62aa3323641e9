"""The coherence steps' shortcuts give the answers of the plain computations they replace, bit for bit
(bench/coherence_speed_check.py checks the same on real pages: every removal, score and attribute)."""

import json
import math
import random
from pathlib import Path

import numpy as np
from winnow.document import Document
from winnow.steps import _coherence_pairs as pairs
from winnow.steps import coherence
from winnow.steps.coherence import OfftopicSentences, StitchedDocument, analyse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coherence"
SPECIMEN = FIXTURES.joinpath("stitched-page.txt").read_text(encoding="utf-8")


def _pages(names=("aeb-articles.jsonl", "dolma-pages.jsonl", "register-docs.jsonl")):
    out = [SPECIMEN]
    for name in names:
        with open(FIXTURES / name, encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f]
    return out


def _split_loop(n, diff, by_d):
    """The loop _best_split replaced (coherence.py before the vectorised version), as it was."""
    lg = [math.lgamma(k + 1) for k in range(n + 1)]

    def frac(m, d):
        return 0.0 if m < d else math.exp(lg[m] - lg[m - d] - lg[n] + lg[n - d])

    crossing = 0
    best, best_g = 1.0, 0
    for g in range(1, n):
        crossing += diff[g]
        if g < 3 or n - g < 3:
            continue
        e = sum(c * (1.0 - frac(g, d) - frac(n - g, d)) for d, c in by_d.items())
        r = (crossing + 0.5) / (e + 0.5)
        if r < best:
            best, best_g = r, g
    return best, best_g


def test_best_split_is_the_loop_bit_for_bit_on_random_placements():
    rnd = random.Random(7)
    for _ in range(120):
        n = rnd.randint(6, 300)
        diff = [0] * (n + 2)
        by_d = {}
        for _ in range(rnd.randint(2, 3 * n)):
            d = rnd.randint(2, min(n, 12))
            p = sorted(rnd.sample(range(n), d))
            diff[p[0] + 1] += 1
            diff[p[-1] + 1] -= 1
            by_d[d] = by_d.get(d, 0) + 1
        got = coherence._best_split(n, diff, by_d)
        want = _split_loop(n, diff, by_d)
        assert got == want and type(got[0]) is float and type(got[1]) is int


def test_best_split_is_the_loop_bit_for_bit_on_real_pages(monkeypatch):
    seen = []
    real = coherence._best_split

    def check(n, diff, by_d):
        got = real(n, diff, by_d)
        seen.append(got == _split_loop(n, diff, by_d))
        return got

    monkeypatch.setattr(coherence, "_best_split", check)
    for text in _pages():
        analyse(text)
    assert len(seen) >= 20 and all(seen)


def _state(a):
    """Everything an analysis holds, the sentences' fields included (not the memo, not the lazy caches)."""
    skip = {"memo", "_pair", "_logits", "_score", "graph", "sentences"}
    out = {k: getattr(a, k) for k in a.__slots__ if k not in skip}
    out["sentences"] = [tuple(getattr(s, k) for k in s.__slots__) for s in a.sentences]
    out["pair"] = a.pair
    out["score"] = a.score
    return out


def test_an_analysis_from_a_carried_memo_is_the_fresh_analysis():
    cut = 0
    for text in _pages(("aeb-articles.jsonl", "dolma-pages.jsonl")):
        doc = Document("d", text)
        OfftopicSentences().process(doc)
        if not doc.edits:
            continue
        cut += 1
        carried = coherence._analysis(doc)
        fresh = analyse(doc.text)
        assert carried.memo is not fresh.memo
        assert _state(carried) == _state(fresh)
        # and the sentences' judged rows of the intruder model
        idx = coherence._intruder_candidates(fresh)
        if idx:
            x = pairs.sentence_signals(doc.text, fresh.sentences, idx)
            y = pairs.sentence_signals(doc.text, carried.sentences, idx, carried.memo)
            assert np.array_equal(x, y)
    assert cut >= 5


def test_offtopic_then_stitched_read_each_distinct_sentence_once(monkeypatch):
    """The second analysis (after offtopic_sentences cut the page) works out only the sentences the cut changed,
    and the style vectors are computed once per distinct sentence for the intruder judge and the pair signals."""
    first = {SPECIMEN[s.start:s.end] for s in analyse(SPECIMEN).sentences}
    calls = {"chrome": 0, "style": 0}
    chrome, style = coherence._chrome_reason, pairs.style

    def count_chrome(*a):
        calls["chrome"] += 1
        return chrome(*a)

    def count_style(t):
        calls["style"] += 1
        return style(t)

    monkeypatch.setattr(coherence, "_chrome_reason", count_chrome)
    monkeypatch.setattr(pairs, "style", count_style)
    doc = Document("specimen", SPECIMEN)
    OfftopicSentences().process(doc)
    assert doc.edits  # the specimen loses its chrome
    assert calls["chrome"] == len(first)
    StitchedDocument().process(doc)
    a = coherence._analysis(doc)
    new = {doc.text[s.start:s.end] for s in a.sentences} - first
    assert calls["chrome"] == len(first) + len(new)
    assert calls["style"] == len(a.memo.vectors) <= len(first | new)
    assert "stitched_document.score" in doc.attributes


def test_nothing_removed_nothing_analysed_again(monkeypatch):
    text = " ".join(f"The river {w} flows past the old mill near town." for w in
                    "north south east west upper lower middle far near quiet".split())
    doc = Document("d", text)
    n = {"analyse": 0}
    real = coherence.analyse

    def count(*a, **k):
        n["analyse"] += 1
        return real(*a, **k)

    monkeypatch.setattr(coherence, "analyse", count)
    OfftopicSentences().process(doc)
    StitchedDocument().process(doc)
    assert not doc.edits and n["analyse"] == 1


def test_steps_give_the_same_answers_with_and_without_the_carried_memo(monkeypatch):
    """stitched_document's verdict and attributes on pages offtopic_sentences cut do not depend on the memo."""
    def run():
        out = []
        for i, text in enumerate(_pages(("aeb-articles.jsonl", "dolma-pages.jsonl"))):
            doc = StitchedDocument().process(OfftopicSentences().process(Document(str(i), text)))
            out.append((doc.text, repr(doc.edits), json.dumps(doc.attributes, sort_keys=True), repr(doc.drop)))
        return out

    carried = run()
    with monkeypatch.context() as m:
        m.setattr(coherence, "_carry_memo", lambda doc, a: None)
        fresh = run()
    assert sum(1 for x in carried if x[1] != "[]") >= 5  # pages that were cut, so the memo was carried
    assert carried == fresh


def test_memo_is_per_text_not_per_position():
    """A chrome span inside a sentence moves with the sentence when the text before it changes."""
    chrome = "Posted by admin at 10:42 Cats sleep most of the day in warm places around the house."
    a1 = analyse("A first sentence about cats and their habits. " + chrome)
    memo = a1.memo
    a2 = analyse("Short one. " + chrome, memo=memo)
    a3 = analyse("Short one. " + chrome)
    assert any(s.part for s in a3.sentences) and a2.sentences[1].start != a1.sentences[1].start
    assert [(s.start, s.end, s.part, s.reason) for s in a2.sentences] == [
        (s.start, s.end, s.part, s.reason) for s in a3.sentences]
