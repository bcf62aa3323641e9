"""The coherence steps' shortcuts give the answers of the plain computations they replace, bit for bit
(bench/coherence_speed_check.py checks the same on real pages: every removal, score and attribute)."""

import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
from winnow.document import Document
from winnow.steps.coherence import _pairs as pairs
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
        analyse(text).split_ratio
    assert len(seen) >= 20 and all(seen)


def _state(a):
    """Everything an analysis holds, the sentences' fields included (not the memo, not the lazy caches)."""
    skip = {"memo", "_pair", "_logits", "_score", "_topics", "sentences"}
    out = {k: getattr(a, k) for k in a.__slots__ if k not in skip}
    out.update((k, getattr(a, k)) for k in coherence._TOPIC_NEUTRAL if k != "graph")
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
    assert cut >= 2


def test_offtopic_then_stitched_read_each_distinct_sentence_once(monkeypatch):
    """The second analysis (after offtopic_sentences cut the page) works out only the sentences the cut changed,
    and the style vectors are computed once per distinct sentence for the intruder judge and the pair signals."""
    first = {SPECIMEN[s.start:s.end] for s in analyse(SPECIMEN).sentences}
    calls = {"chrome": 0, "style": 0}
    chrome, style = coherence._chrome_reason, pairs.style_and_short

    def count_chrome(*a):
        calls["chrome"] += 1
        return chrome(*a)

    def count_style(t):
        calls["style"] += 1
        return style(t)

    monkeypatch.setattr(coherence, "_chrome_reason", count_chrome)
    monkeypatch.setattr(pairs, "style_and_short", count_style)
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
    assert sum(1 for x in carried if x[1] != "[]") >= 2  # pages that were cut, so the memo was carried
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


def test_intruder_probabilities_of_some_sentences_are_those_of_all(monkeypatch):
    """Chunks without a wanted sentence are skipped; every probability given is the one the full judgement gives
    (small chunks, so that pages have several and a short tail)."""
    monkeypatch.setattr(pairs, "CHUNK", 13)
    rnd = random.Random(3)
    tried = 0
    for text in _pages(("aeb-articles.jsonl",)):
        a = analyse(text)
        full = coherence.intruder_probabilities(a)
        if len(full) < 30:
            continue
        idx = list(full)
        for only in ({idx[0]}, {idx[-1]}, {idx[-2], idx[len(idx) // 2]}, set(rnd.sample(idx, 3))):
            some = coherence.intruder_probabilities(a, only)
            assert only <= set(some) and (len(some) < len(full) or len(only) > 1)
            assert all(some[i] == full[i] for i in some)
            tried += 1
    assert tried >= 8


def test_pair_logits_of_some_rows_are_those_rows_of_the_whole_matrix_bit_for_bit():
    """The intruder judge asks for the rows of a page's furniture-shaped lines only: each row must be the same
    bits as the whole matrix's (the judge's scores are rounded and compared with a threshold). Random pages of
    random sizes (a shared vocabulary from tiny to large, binary habits), rows from one to all, in any order."""
    rnd = random.Random(11)
    vocab = [f"w{i}" for i in range(3000)]
    checked = 0
    for _ in range(150):
        n = rnd.randint(2, 130)
        v = rnd.randint(5, 3000)
        stems = [frozenset(rnd.sample(vocab[:v], rnd.randint(0, min(v, 30)))) for _ in range(n)]
        caps = [frozenset(rnd.sample(vocab[:v], rnd.randint(0, 5))) for _ in range(n)]
        short = [frozenset(rnd.sample(vocab[:200], rnd.randint(0, 15))) for _ in range(n)]
        sty = np.array([[rnd.random() * 5 for _ in range(pairs.N_CONT)]
                        + [float(rnd.random() < 0.3) for _ in range(len(pairs.STYLE) - pairs.N_CONT)]
                        for _ in range(n)])
        df = {}
        for st in stems:
            for w in st:
                df[w] = df.get(w, 0) + 1
        full = pairs.pair_logits(sty, stems, caps, df, short)
        for rows in ([0], [n - 1], sorted(rnd.sample(range(n), rnd.randint(1, n))), rnd.sample(range(n), n)):
            assert np.array_equal(pairs.pair_logits(sty, stems, caps, df, short, rows=rows), full[rows])
            checked += 1
    assert checked == 600


def test_intruder_rows_of_the_wanted_sentences_are_those_of_their_whole_chunks(monkeypatch):
    """sentence_signals(..., only, rows_only=True) fills the wanted rows with the same bits as the whole chunks'
    (small chunks, so that pages have several and a short tail)."""
    monkeypatch.setattr(pairs, "CHUNK", 13)
    rnd = random.Random(5)
    tried = 0
    for text in _pages(("aeb-articles.jsonl", "register-docs.jsonl")):
        a = analyse(text)
        idx = coherence._intruder_candidates(a)
        if len(idx) < 30:
            continue
        for only in ({idx[0]}, {idx[-1]}, {idx[-2], idx[len(idx) // 2]}, set(rnd.sample(idx, 5))):
            full = pairs.sentence_signals(text, a.sentences, idx, a.memo, only)
            rows = pairs.sentence_signals(text, a.sentences, idx, a.memo, only, rows_only=True)
            want = [k for k, i in enumerate(idx) if i in only]
            assert np.array_equal(rows[want], full[want]) and rows[want].any()
            tried += 1
    assert tried >= 8


def test_judged_rows_follow_the_last_writer():
    # 245 rows in chunks of 120: [0, 120), [120, 240), and the short tail [240, 245) judged as [125, 245)
    assert pairs._chunk_rows(245) == [(0, 120), (120, 240), (125, 245)]
    assert pairs.judged_rows(245, [5]) == list(range(120))
    assert pairs.judged_rows(245, [121]) == list(range(120, 125))  # rows 125.. are the tail chunk's
    assert pairs.judged_rows(245, [244]) == list(range(125, 245))
    assert pairs._chunk_rows(250)[-1] == (240, 250)  # a tail of 8 or more is a chunk of its own


def test_judged_rows_is_linear_in_the_judged_sentences():
    # A long page whose chrome-shaped lines are all in its second half: each chunk was checked against every wanted
    # position (1 s at 100,000 sentences, quadratic). Scaling ratio of 8x the rows, with a wide margin (linear: ~8;
    # quadratic: ~64), best of three.
    import time

    def cost(n):
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            pairs.judged_rows(n, list(range(n // 2, n)))
            best = min(best, time.process_time() - t)
        return best

    small, large = cost(40_000), cost(320_000)
    assert large < 25 * max(small, 0.002), (small, large)


def _style_before(text):
    """coherence._pairs.style before its ASCII shortcut (the counts by filter and map, the words lower-cased one by
    one), as it was."""
    P = pairs
    words = text.split()
    nw = max(1, len(words))
    letters = "".join(filter(str.isalpha, text))
    nl = max(1, len(letters))
    upper = sum(map(str.isupper, letters))
    digits = sum(map(str.isdigit, text))
    toks = {w.lower() for w in P._WORD.findall(text)}
    end = text.rstrip()[-1:] if text.strip() else ""
    return [
        math.log(1 + len(text)), math.log(nw), min(12.0, sum(map(len, words)) / nw),
        upper / nl, sum(1 for w in words if w[:1].isupper()) / nw,
        digits / max(1, len(text)), text.count(",") / nw,
        (len(letters) - len(letters.encode("ascii", "ignore"))) / nl,
        float("'" in text and bool(P._APOS_STRAIGHT.search(text))),
        float(("\u2019" in text or "\u02bc" in text) and bool(P._APOS_CURLY.search(text))),
        float('"' in text), float(bool(P._Q_CURLY.search(text))),
        float(bool(P._DASH_LONG.search(text))), float("-" in text and bool(P._DASH_SPACED.search(text))),
        float(("." in text or "\u2026" in text) and bool(P._ELLIPSIS.search(text))),
        float(" " in text and bool(re.search(r"\s[,.;:!?](?:\s|$)", text))),
        float("(" in text or "[" in text), float(digits >= 4 and bool(P._NUMBER_SEP.search(text))),
        float(digits >= 2 and bool(P._DECIMAL.search(text))), float(digits >= 4 and bool(P._YEAR.search(text))),
        float(bool(P._SYMBOL.search(text))),
        float(upper >= 2 and bool(re.search(r"\b[A-Z\u00c0-\u00de]{2,}\b", text))),
        float(not toks.isdisjoint(P._FIRST_SG)),
        float(not toks.isdisjoint(P._FIRST_PL)), float(not toks.isdisjoint(P._SECOND)),
        float(end in "?\uff1f\u061f"), float(end in "!\uff01"), float(end in ".\u3002\u0964\u06d4"),
        float(":" in text or ";" in text),
    ]


def test_style_is_the_same_as_before_its_ascii_shortcut():
    rnd = random.Random(11)
    texts = [t[s.start:s.end] for t in _pages()[:60] for s in analyse(t).sentences]
    alphabet = "aZ9 _'\"-.,;:!?()[]&%$/+*#@\u2019\u00e9\u00c9\u0130\u00b2\u216b\u4e00\u2026\t\n\x0b\x1c\u201c\u2014\u00d7Q\u00de"
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(2000)]
    texts += ["I think WE said 2,000 (you) -- 3.5 in 1999...", "", "   ", "ME. My. OURS! Yours?"]
    assert sum(map(str.isascii, texts)) > 500 and sum(not t.isascii() for t in texts) > 500
    for t in texts:
        assert pairs.style(t) == _style_before(t), t


def test_offtopic_sentences_leaves_the_topic_signals_to_stitched_document(monkeypatch):
    """offtopic_sentences reads the score (and with it the topic signals) only on pages with scattered chrome; on
    the others the signals are computed once, when stitched_document reads them, on the text it judges."""
    calls = []
    real = coherence._topic_signals
    monkeypatch.setattr(coherence, "_topic_signals", lambda a: calls.append(a.text) or real(a))
    for text in _pages(("aeb-articles.jsonl",))[1:]:
        doc = Document("d", text)
        OfftopicSentences().process(doc)
        a = coherence._analysis(doc)
        if a.interleaved_chrome < 3:
            assert calls == []
        calls.clear()
        StitchedDocument().process(doc)
        assert calls in ([], [doc.text])  # once at most, on the text judged
        fresh = analyse(doc.text)
        assert (a.dispersion, a.split_ratio, a.spectral2, a.reuse) == (
            fresh.dispersion, fresh.split_ratio, fresh.spectral2, fresh.reuse)
        calls.clear()


def _tricky_texts(rnd, pieces, n=3000):
    """Strings built from ``pieces`` in random case with random glue (ASCII and not: accents, a dotted capital I,
    the Kelvin sign and the long s that fold to ASCII letters, CJK, Arabic, Hebrew), and the empty string."""
    glue = [" ", "  ", ", ", "; ", " - ", " | ", " \u00b7 ", "\u2022", "\n", "\t", ". ", "x", "1", "\u00e9",
            "\u0130", "\u212a", "\u017f", "\u4e00\u4e8c", "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd"]
    out = [""]
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 6)):
            p = rnd.choice(pieces)
            p = "".join(c.upper() if rnd.random() < 0.3 else c for c in p)
            parts += [p, rnd.choice(glue)]
        out.append("".join(parts))
    return out


def test_chrome_phrases_searched_folded_are_found_where_the_ignorecase_search_finds_them():
    """_search_folded (ASCII text lower-cased, the pattern without IGNORECASE) answers as _CHROME.search does."""
    rnd = random.Random(17)
    pieces = ["we use cookies", "all rights reserved", "skip to main content", "posted by admin on ",
              "show 3 more comments", "by clicking \u201cpost", "Privacy Policy | ", "terms of use and",
              "leave a reply", "tous droits r\u00e9serv\u00e9s", "alla r\u00e4ttigheter f\u00f6rbeh\u00e5llna",
              "subscribe to our newsletter", "log in to reply", "the", "cookie", "sk\u0130p to content", "\u212aeep",
              "\u017fign up or log in"]
    texts = _tricky_texts(rnd, pieces) + [t[s.start:s.end] for t in _pages()[:40] for s in analyse(t).sentences]
    found = 0
    for t in texts:
        want = coherence._CHROME.search(t)
        got = coherence._search_folded(coherence._CHROME, coherence._CHROME_FOLDED, t)
        assert (got and got.span()) == (want and want.span()), t
        found += want is not None
    assert found > 1000 and sum(map(str.isascii, texts)) > 1000


def test_folding_refuses_patterns_it_would_change():
    for rx in (r"Skip", r"\u212aelvin", r"\u017fign", r"caf\u00c9"):
        with pytest.raises(AssertionError):
            coherence._folded(re.compile(rx, re.IGNORECASE))
    assert coherence._folded(re.compile(r"caf\u00e9 \S+", re.IGNORECASE)).flags & re.IGNORECASE == 0


def test_the_separator_count_is_searched_only_where_it_can_reach_four():
    rnd = random.Random(19)
    texts = _tricky_texts(rnd, ["a", "b c", ",", ";", "-", "\u2013", "|", "\u00b7", "\u2022", " ", ", ", " - "])
    for t in texts:
        assert len(coherence._SEPARATORS.findall(t)) <= sum(map(t.count, coherence._SEPARATOR_CHARS)), t


def test_furniture_words_and_contact_lines_answer_as_when_the_contact_was_searched_first():
    rnd = random.Random(23)
    pieces = ["newsletter", "login", "your basket is empty", "info@example.com", "Tel: +49 30 1234567", "password",
              "the", "of", "\u8d2d\u7269\u8f66", "(030) 123 456", "shop", "checkout", "Proceed"]
    for t in _tricky_texts(rnd, pieces):
        low = coherence._LETTERS.findall(t.lower())
        want = None if len(low) > coherence._VOCAB_MAX_WORDS or coherence._chrome.CONTACT.search(t) else (
            coherence._vocabulary_chrome(t, low))
        assert coherence._vocabulary_chrome(t, low) == want, t


def test_coverage_takes_the_three_most_frequent_stems_as_the_full_sort_does():
    rnd = random.Random(29)
    for _ in range(400):
        vocab = [f"s{i}" for i in range(rnd.randint(1, 30))]
        sents = [coherence.Sentence(0, 1, frozenset(rnd.sample(vocab, rnd.randint(0, len(vocab)))), 5)
                 for _ in range(rnd.randint(1, 12))]
        df = {}
        for s in sents:
            for w in s.stems:
                df[w] = df.get(w, 0) + 1
        top = set(sorted(df, key=lambda w: (-df[w], w))[:3])
        xs = [s.stems for s in sents if len(s.stems) >= 3]
        want = sum(1 for x in xs if not top.isdisjoint(x)) / max(1, len(xs)) if df else 0.0
        assert coherence._coverage(sents, df) == want


def test_capitalised_words_are_those_of_the_plain_pattern():
    """_pairs._CAPWORD opens with the capital; the plain pattern it replaces opens with its look-behinds."""
    plain = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z\u00c0-\u00de][\w'-]{2,}")
    rnd = random.Random(31)
    alphabet = "aZQ9 _'\"-.,;:!?()[]\u00c0\u00d6\u00d7\u00d8\u00de\u00df\u00e9\u00f7\u0130\u212a\u4e00\t\n\x1c\u2019"
    texts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))) for _ in range(20000)]
    texts += [t[s.start:s.end] for t in _pages()[:60] for s in analyse(t).sentences]
    texts += ["3840\u00d72160 Audio", "\u00d7Ab x\u00d7Ab", "Is it? Yes Sir. No Way! The Hague"]
    for t in texts:
        assert pairs._CAPWORD.findall(t.strip()) == plain.findall(t.strip()), t
        assert pairs.capitalised_words(t) == frozenset(w.lower() for w in plain.findall(t.strip()))


def _incidence_plain(sets):
    """_pairs.incidence before it counted the items first (the whole 0/1 matrix, its columns of items in two or more
    sets selected), as it was."""
    n = len(sets)
    ids: dict = {}
    rows, cols = [], []
    for i, st in enumerate(sets):
        for w in st:
            rows.append(i)
            cols.append(ids.setdefault(w, len(ids)))
    m = np.zeros((n, max(1, len(ids))))
    m[rows, cols] = 1.0
    keep = m.sum(0) > 1
    lone = m[:, ~keep].sum(1)
    if not keep.any():
        return np.zeros((n, 1)), lone, [None]
    items = list(ids)
    return m[:, keep], lone, [items[j] for j in np.flatnonzero(keep)]


def _same_array(x, y):
    """Equal values, shape, dtype and memory layout (a product may add in another order on another layout)."""
    return (x.dtype == y.dtype and x.shape == y.shape and x.strides == y.strides and x.tobytes() == y.tobytes())


def test_incidence_is_the_plain_matrix_in_values_order_and_layout():
    rnd = random.Random(5)
    cases = [[], [frozenset()], [frozenset("ab")], [frozenset("ab"), frozenset("cd")]]
    for _ in range(300):
        vocab = [f"w{k}" for k in range(rnd.randint(1, 60))]
        cases.append([frozenset(rnd.sample(vocab, rnd.randint(0, min(12, len(vocab)))))
                      for _ in range(rnd.randint(1, 40))])
    for t in _pages()[:40]:
        a = analyse(t)
        cases.append([s.stems for s in a.sentences])
        cases.append([pairs.capitalised_words(t[s.start:s.end]) for s in a.sentences])
    for sets in cases:
        (m, lone, items), (m0, lone0, items0) = pairs.incidence(sets), _incidence_plain(sets)
        assert _same_array(m, m0) and _same_array(lone, lone0) and items == items0


def test_style_and_short_words_of_one_pass_are_those_of_the_plain_functions():
    rnd = random.Random(17)
    texts = [t[s.start:s.end] for t in _pages()[:60] for s in analyse(t).sentences]
    # letters, digits, the underscore, numerals that are \w but not \d (², Ⅻ), a capital whose lower case is two
    # characters (İ), CJK, marks, the three persons' pronouns
    alphabet = ["a", "Z", "9", "_", "'", " ", "\t", ".", ",", "\u00b2", "\u216b", "\u0130", "\u4e00", "\u00e9",
                "\u0301", "-", "\u2019", "I", "we", "Du", "vous", "min\u00e4", "ab", "abc", "abcd", "\u00c9t\u00e9"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))) for _ in range(4000)]
    assert sum(map(str.isascii, texts)) > 1000 and sum(not t.isascii() for t in texts) > 1000
    for t in texts:
        sty, short = pairs.style_and_short(t)
        assert sty == _style_before(t), t
        assert short == frozenset(w.lower() for w in pairs._SHORT.findall(t)), t
        assert list(short) == list(pairs.short_words(t)), t  # the same order of iteration: the same columns
        assert pairs.vectors([t])[0][:3] == [sty, pairs.capitalised_words(t), short]


def test_habits_of_an_ascii_text_are_those_of_every_way():
    rnd = random.Random(23)
    pieces = ["'", '"', "-", " - ", "...", "....", ",", "1,000", "1.000", " , ", " .", "a.", "x", "9", " ", "\t"]
    texts = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 10))) for _ in range(4000)]
    texts += [t[s.start:s.end] for t in _pages()[:30] for s in analyse(t).sentences]
    for t in texts:
        assert pairs.habits(t) == tuple((pairs._has(t, ca, a), pairs._has(t, cb, b))
                                        for ca, a, cb, b in pairs._HABITS), t


def test_orthonormal_iterations_are_numpys_qr_bit_for_bit():
    """_smallest_eigen's rounds through numpy's LAPACK kernels give np.linalg.qr's q, the same bits, on the
    graphs of real pages and on random ones; a matrix with a value that is not finite goes to np.linalg.qr."""
    rng = np.random.default_rng(3)
    laps = []
    for n in list(range(4, 40)) + [80, 150]:
        w = rng.random((n, n))
        w = (w + w.T) / 2
        np.fill_diagonal(w, 0.0)
        w += 0.02
        dg = 1.0 / np.sqrt(w.sum(1))
        laps.append(np.eye(n) - w * dg[:, None] * dg[None, :])
    for t in _pages()[:40]:
        g = analyse(t).graph
        if g is not None:
            laps.append(g[3])
    assert len(laps) > 50
    for lap in laps:
        n = lap.shape[0]
        b = np.eye(n) - 0.5 * lap
        for k, iters in ((min(4, n), 30), (min(8, n), 40)):
            q0 = np.random.default_rng(0).standard_normal((n, k))
            q = q0
            for _ in range(iters):
                q, _ = np.linalg.qr(b @ q)
            assert _same_array(coherence._orthonormal_iterations(b, q0, iters), q)
    assert coherence._qr_kernels_agree()  # (on this numpy the kernels' path is the one taken)
    bad = laps[0].copy()
    bad[0, 1] = np.nan
    assert coherence._orthonormal_iterations(np.eye(len(bad)) - 0.5 * bad, np.ones((len(bad), 2)), 3) is None


def test_qr_kernels_that_changed_their_contract_are_not_used(monkeypatch):
    """A numpy whose private qr_r_raw no longer overwrote its argument would give another q without an error: the
    check at first use sees it and _smallest_eigen takes np.linalg.qr."""
    raw, reduced = coherence._QR_KERNELS
    monkeypatch.setattr(coherence, "_QR_KERNELS", (lambda a, signature: raw(a.copy(), signature=signature), reduced))
    coherence._qr_kernels_agree.cache_clear()
    try:
        assert not coherence._qr_kernels_agree()
        assert coherence._orthonormal_iterations(np.eye(5), np.ones((5, 2)), 3) is None
    finally:
        coherence._qr_kernels_agree.cache_clear()
