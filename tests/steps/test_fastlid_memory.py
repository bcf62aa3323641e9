"""The numpy path's word sums on hostile input: one huge word is summed in windows, in bounded memory, to the
same bits as the one-pass code (and the compiled kernel)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from winnow.steps import _fastlid
from winnow.steps.langid import lite_model_path

_LIMITS = ("_LONG_WORD", "_WINDOW_CHARS", "_NODE_ROWS")


@pytest.fixture(scope="module")
def lid():
    return _fastlid.FastLid(lite_model_path(), native=False)


def _words(rng, n, alphabet):
    return "".join(map(chr, rng.choice(alphabet, n)))


ASCII = np.arange(33, 127)
# 1- to 4-byte UTF-8, and lone surrogates (encoded with surrogatepass: 3 bytes, one character)
MIXED = np.array([0x61, 0x7A, 0xE9, 0x3B1, 0x4E2D, 0x1F600, 0xD800, 0xDBFF, 0xDC00, 0xDFFF])


def _sums(lid, monkeypatch, words, limits):
    for name, value in zip(_LIMITS, limits):
        monkeypatch.setattr(_fastlid, name, value)
    return lid._word_sums(words)


def _same(a, b):
    return a[0].tobytes() == b[0].tobytes() and np.array_equal(a[1], b[1])


def test_reduceat_is_first_row_plus_pairwise_not_a_running_sum():
    """What the windowing relies on, checked rather than assumed: np.add.reduceat along axis 0 gives the segment's
    first row plus numpy's pairwise sum of the rest (a running total carried into the next window rounds
    differently), and reduceat over a -0.0 row and a subtree's rows is that subtree's pairwise sum."""
    rng = np.random.default_rng(3)
    n = 5000
    # float32 rows of widely spread magnitudes: the order of the additions shows in the last bits
    a = (rng.choice([-1.0, 1.0], (n, 16)) * (1 + rng.random((n, 16))) * 2.0 ** rng.integers(-30, 30, (n, 16)))
    a = a.astype(np.float32)
    whole = np.add.reduceat(a, [0], axis=0, dtype=np.float64)[0]
    run = None
    for s in range(0, n, 100):  # the running float64 total as the first row of the next window's reduction
        block = a[s: s + 100].astype(np.float64)
        run = np.add.reduceat(block if run is None else np.vstack([run[None], block]), [0], axis=0)[0]
    assert run.tobytes() != whole.tobytes()

    def pairwise(x):  # numpy's pairwise_sum: halves cut at multiples of 8 above 128 rows
        m = len(x)
        if m <= 128:
            y = np.vstack([np.full((1, x.shape[1]), -0.0), x])
            return np.add.reduceat(y, [0], axis=0)[0]
        half = m // 2 - (m // 2) % 8
        return pairwise(x[:half]) + pairwise(x[half:])

    d = a.astype(np.float64)
    assert (d[0] + pairwise(d[1:])).tobytes() == whole.tobytes()


@pytest.mark.parametrize("variant", ["pruned", "dense", "dense_minn1", "spread", "negzero"])
def test_windowed_sums_are_the_one_pass_sums_to_the_bit(lid, monkeypatch, variant):
    """Random words (ASCII, multi-byte, lone surrogates) in mixed lists of short and long ones, with windows of a
    few characters and pairwise subtrees cut small, so that a word spans many windows and many subtrees."""
    if variant != "pruned":  # every bucket a row (a .bin's layout): ~4 rows a character, none dropped
        monkeypatch.setattr(lid, "_bucket_row", None)
        monkeypatch.setattr(lid, "bucket", len(lid._rows) - lid.nwords)
    if variant in ("dense_minn1", "spread"):  # the 1-gram exclusions at the word's two ends
        monkeypatch.setattr(lid, "minn", 1)
    if variant == "spread":
        # the model's rows sum exactly in float64 in any order (their exponents are close): rows of widely spread
        # magnitudes make the order of the additions show in the last bits
        r = np.random.default_rng(2)
        shape = lid._rows.shape
        rows = r.choice([-1.0, 1.0], shape) * (1 + r.random(shape)) * 2.0 ** r.integers(-40, 40, shape)
        monkeypatch.setattr(lid, "_rows", rows.astype(np.float32))
    if variant == "negzero":  # a sum of -0.0 rows is -0.0: the subtrees' leading row must be -0.0, not 0.0
        monkeypatch.setattr(lid, "_rows", np.full(lid._rows.shape, -0.0, dtype=np.float32))
    rng = np.random.default_rng(7)
    words = [_words(rng, n, alpha) for n, alpha in
             [(1, ASCII), (2, MIXED), (40, MIXED), (2000, ASCII), (1999, MIXED), (5, ASCII), (900, MIXED)]]
    words += ["", "</s>", "__label__en", "hello"]
    want = _sums(lid, monkeypatch, words, (10**12, 1, 1))  # the one-pass code for every word
    assert want[1][3] > 128 and want[1][4] > 128  # long words: subtrees get cut
    for limits in [(0, 1, 1), (0, 3, 8), (39, 7, 130), (1999, 1000, 200), (0, 10**6, 10**6)]:
        assert _same(_sums(lid, monkeypatch, words, limits), want), limits


def test_words_at_the_default_limit(lid, monkeypatch):
    rng = np.random.default_rng(11)
    words = [_words(rng, n, alpha) for n, alpha in
             [(_fastlid._LONG_WORD, ASCII), (_fastlid._LONG_WORD + 1, MIXED), (3 * _fastlid._LONG_WORD, ASCII)]]
    words.insert(1, "short")
    want = _sums(lid, monkeypatch, words, (10**12, _fastlid._WINDOW_CHARS, _fastlid._NODE_ROWS))
    monkeypatch.undo()
    assert _same(lid._word_sums(words), want)


def test_the_compiled_kernel_gives_the_same_floats_on_a_long_word(monkeypatch):
    compiled = _fastlid.FastLid(lite_model_path())
    if not compiled.native:
        pytest.skip("winnow's compiled kernel is not built (make setup)")
    rng = np.random.default_rng(5)
    line = " ".join([_words(rng, 3000, ASCII), "le", _words(rng, 2500, MIXED[MIXED < 0xD800])])
    monkeypatch.setattr(_fastlid, "_LONG_WORD", 100)
    monkeypatch.setattr(_fastlid, "_WINDOW_CHARS", 17)
    monkeypatch.setattr(_fastlid, "_NODE_ROWS", 1)
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    got, want = pure.line_sum(line), compiled.line_sum(line)
    assert got[0].tobytes() == want[0].tobytes() and got[1] == want[1]


def test_one_huge_word_takes_bounded_memory(lid):
    """A 2 MB word: the one-pass code peaked at 435 MB here (tracemalloc; 1.77 GB for 10 MB); windowed, 18 MB."""
    rng = np.random.default_rng(1)
    word = "".join(map(chr, rng.integers(97, 123, 2_000_000)))
    tracemalloc.start()
    try:
        _, cnt = lid._word_sums([word])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert cnt[0] > 100_000
    assert peak < 40e6, peak
