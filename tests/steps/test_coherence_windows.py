"""The window-level same-source model behind stitched_document (winnow.steps.coherence._windows)."""

import json
from pathlib import Path

import numpy as np

from winnow.sentences import split_sentences
from winnow.steps.coherence import _pairs as pairs
from winnow.steps.coherence import _windows as windows
from winnow.steps.coherence import analyse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coherence"


def _docs():
    with open(FIXTURES / "aeb-articles.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _profiles(sentences):
    text = " ".join(sentences)
    a = analyse(text)
    keep = [s for s in a.sentences if s.stems]
    texts = [text[s.start:s.end] for s in keep]
    stems = [s.stems for s in keep]
    return (texts, np.array([pairs.style(t) for t in texts]), stems, [pairs.capitalised_words(t) for t in texts],
            [pairs.short_words(t) for t in texts])


def _prof(sty, stems, caps, short):
    return windows.Profiles(sty, (pairs.incidence(stems), pairs.incidence(caps), pairs.incidence(short)))


def test_window_features_from_prefix_sums_equal_the_windows_counted_directly():
    docs = _docs()
    sentences = split_sentences(" ".join(docs[2]["text"].split()))[:9] + split_sentences(
        " ".join(docs[3]["text"].split()))[:9]
    texts, sty, stems, caps, short = _profiles(sentences)
    f = _prof(sty, stems, caps, short).features(3)
    n = len(texts)
    assert f.shape == (n - 5, len(windows.WINDOW_FEATURES))
    col = {name: i for i, name in enumerate(windows.WINDOW_FEATURES)}
    df = {}
    for st in stems:
        for w in st:
            df[w] = df.get(w, 0) + 1
    for row, g in enumerate(range(3, n - 2)):
        left, right = set().union(*stems[g - 3:g]), set().union(*stems[g:g + 3])
        shared = left & right
        assert f[row, col["shared"]] == min(10, len(shared))
        assert np.isclose(f[row, col["cosine"]], len(shared) / np.sqrt(max(1, len(left) * len(right))))
        assert np.isclose(f[row, col["shared_rare"]], min(4.0, sum(1 / df[w] for w in shared)))
        assert f[row, col["shared_caps"]] == min(4, len(set().union(*caps[g - 3:g]) & set().union(*caps[g:g + 3])))
        assert np.allclose(f[row, :8], np.abs(sty[g - 3:g, :8].mean(0) - sty[g:g + 3, :8].mean(0)))
        hl = np.array([sum(w in s for s in short[g - 3:g]) for w in sorted(set().union(*short))], dtype=float)
        hr = np.array([sum(w in s for s in short[g:g + 3]) for w in sorted(set().union(*short))], dtype=float)
        assert np.isclose(f[row, col["short_cosine"]], hl @ hr / np.sqrt(max(1e-9, (hl @ hl) * (hr @ hr))))


def test_the_gap_between_two_articles_is_the_lowest_window_on_most_pages():
    # Runs of two unrelated real articles one after another: the window model, fitted on other pages, puts its
    # lowest gap at (or next to) the stitch on most of them.
    docs = _docs()
    v, c = windows._model()
    hits = tried = 0
    for k in range(0, 20, 2):
        a = split_sentences(" ".join(docs[k]["text"].split()))[:8]
        b = split_sentences(" ".join(docs[k + 1]["text"].split()))[:8]
        texts, sty, stems, caps, short = _profiles(a + b)
        if len(texts) != 16:
            continue
        lg = _prof(sty, stems, caps, short).features(4) @ v + c  # gaps 4..12; the stitch is gap 8
        tried += 1
        hits += abs(int(lg.argmin()) + 4 - 8) <= 1
    assert tried >= 8 and hits >= tried - 2


def test_window_signals_see_the_stitch_and_are_neutral_without_the_model(monkeypatch):
    docs = _docs()
    one = split_sentences(" ".join(docs[4]["text"].split()))[:16]
    two = split_sentences(" ".join(docs[4]["text"].split()))[:8] + split_sentences(
        " ".join(docs[5]["text"].split()))[:8]
    sig = {}
    for name, s in (("one", one), ("two", two)):
        _, sty, stems, caps, short = _profiles(s)
        sig[name] = dict(zip(windows.WINDOW_SIGNALS,
                             windows.window_signals(_prof(sty, stems, caps, short))))
    assert sig["two"]["win4_min"] < sig["one"]["win4_min"]
    monkeypatch.setattr(windows, "_model", lambda: None)
    _, sty, stems, caps, short = _profiles(two)
    assert windows.window_signals(_prof(sty, stems, caps, short)) == windows.NEUTRAL
