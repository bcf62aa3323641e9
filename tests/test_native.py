"""winnow's compiled kernels (src/winnow/_native): the same results as the pure-Python/numpy paths, to the bit, and
the pure paths whenever the library is absent, broken, stale or switched off."""

from __future__ import annotations

import gzip
import json
import logging
import random
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from winnow import _native
from winnow.steps import _fastlid
from winnow.steps.langid import lite_model_path

SOURCE = Path(_native.__file__).with_name("kernels.c")
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "clean"
# the Makefile's flags (its _kernels.so rule)
CFLAGS = ["-O2", "-fPIC", "-shared", "-ffp-contract=off"]


def _compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


@pytest.fixture
def kernels(tmp_path, monkeypatch):
    """The library as `make setup` built it; where it is not built (pytest run without make), built here from
    kernels.c; skipped only where no C compiler is found."""
    if _native.pure_forced():
        monkeypatch.delenv(_native.ENV)
    lib = _native.kernels()
    if lib is None:
        cc = _compiler()
        if cc is None:
            pytest.skip("no C compiler: the compiled kernels cannot be built here")
        out = tmp_path / "_kernels.so"
        subprocess.run([cc, *CFLAGS, "-o", str(out), str(SOURCE)], check=True)
        monkeypatch.setattr(_native, "LIB_PATH", out)
        lib = _native.kernels()
    assert lib is not None
    return lib


def _words(rng: random.Random, n: int) -> list[str]:
    """n words of every shape the kernel must split and hash like the numpy path: ASCII, accented Latin, CJK,
    4-byte emoji, combining marks, "<" and ">" (fastText's word brackets), labels, "</s>" inside a word, very long
    words (over 128 n-grams: numpy's pairwise summation recurses), one-character words."""
    alphabets = ["abcdefghijklmnopqrstuvwxyz", "ABCXYZ0123456789.,;:!?'\"-", "éèêëàâäôöùûüçñß", "日本語中文한국어",
                 "😀👍🏽🎉𝔘𝔫𝔦", "e\u0301a\u0308", "<>/_", "\u00a0\u2028\u3000\x85"]
    out = []
    for _ in range(n):
        r = rng.random()
        length = rng.randint(1, 12) if r < 0.9 else rng.randint(13, 300) if r < 0.995 else rng.randint(1000, 12000)
        chars = "".join(rng.choice(alphabets) for _ in range(3))
        out.append("".join(rng.choice(chars) for _ in range(length)))
    out += ["", "</s>", "</s>x", "<", ">", "<>", "__label__en", "__label__", "_label__en", "a", "é", "😀"]
    return out


def _lines(seed: int, n_words: int = 6000) -> list[str]:
    rng = random.Random(seed)
    vocab = _words(rng, n_words)
    seps = [" ", " ", " ", " ", "  ", "\t", "\r", "\x0b", "\x0c", "\x00", "\n"]
    lines = []
    for _ in range(120):
        # words repeat within and across lines (the counts and the cache), in no fixed order
        k = rng.randint(1, 300)
        ws = [rng.choice(vocab) if rng.random() < 0.5 else vocab[int(rng.paretovariate(1.0)) % len(vocab)]
              for _ in range(k)]
        line = "".join(w + rng.choice(seps) for w in ws)
        if rng.random() < 0.1:
            line += " </s> after the end of the sentence"
        lines.append(line)
    return lines + [" ".join(vocab[i: i + 50]) for i in range(0, len(vocab), 50)]


def _same_sums(a: _fastlid.FastLid, b: _fastlid.FastLid, lines: list[str]) -> None:
    for line in lines:
        (ta, na), (tb, nb) = a.line_sum(line), b.line_sum(line)
        assert na == nb and ta.tobytes() == tb.tobytes(), line[:80]


def _same(a: _fastlid.FastLid, b: _fastlid.FastLid, lines: list[str]) -> int:
    """Asserts the two give the same input sums (to the bit) and predictions; the number of lines compared."""
    for line in lines:
        (ta, na), (tb, nb) = a.line_sum(line), b.line_sum(line)
        assert na == nb and ta.tobytes() == tb.tobytes(), line[:80]
        assert a.predict(line) == b.predict(line), line[:80]
    return len(lines)


def test_language_kernel_equals_numpy_to_the_bit(kernels):
    compiled = _fastlid.FastLid(lite_model_path())
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    assert compiled.native and not pure.native
    samples = [json.loads(x)["text"] for x in (FIXTURES / "langid_samples.jsonl").read_text("utf-8").splitlines() if x]
    lines = _lines(1) + [t.replace("\n", " ").strip() for t in samples]
    assert _same(compiled, pure, lines) > 200
    # a second pass (every word cached on both sides) and a fresh copy in the other order: the same floats
    assert _same(compiled, pure, lines[::-1])
    assert _same(_fastlid.FastLid(lite_model_path()), pure, lines[::-1])
    # fastText's own answer for edge lines (label only, empty words, the end-of-sentence word first)
    for line in ("</s>", "__label__en", "   ", "\t\x00", "</s> hello"):
        assert compiled.predict(line) == pure.predict(line)
        assert compiled.line_sum(line)[1] == pure.line_sum(line)[1]


def test_language_kernel_sums_in_numpys_order(kernels):
    """The model's rows are of similar size, so a word's float64 sum of float32 rows, kept as float32, comes out
    the same in almost any order. Here every row value is +2**60, -2**60 or 1: where a word's large values cancel,
    its sum is the number of 1s that were added while the running sum was small (at 2**60 a 1 is lost), which
    depends on the order, so the kernel must add in numpy's (np.add.reduceat: the first row plus a pairwise sum
    in blocks of 8 and 128) and sum a line's words in first-occurrence order (numpy's sum(axis=0))."""
    import numpy as np

    pure = _fastlid.FastLid(lite_model_path(), native=False)
    big = np.float32(2.0 ** 60)
    pure._rows = np.random.default_rng(0).choice(np.array([big, -big, 1, 1], dtype=np.float32), pure._rows.shape)
    pure._rows[pure._vocab["</s>"]] = 0  # a one-word line's sum is then its word's vector, to the bit
    compiled = _fastlid.FastLid(lite_model_path(), native=False)
    compiled._rows = pure._rows
    vocab = [w.encode("utf-8", "surrogateescape") for w in pure._vocab]
    compiled._nat = compiled._native(vocab, list(pure._vocab.values()))
    assert compiled.native
    rng = random.Random(5)
    # and 300 words of 50-600 characters: over 128 rows, numpy's pairwise sum splits them in halves
    words = _words(rng, 3000) + ["".join(rng.choices("abcdefghijklmnopqrstuvwxyzé日", k=rng.randint(50, 600)))
                                 for _ in range(300)]
    for w in words:
        (ta, na), (tb, nb) = compiled.line_sum(w), pure.line_sum(w)
        assert na == nb and ta.tobytes() == tb.tobytes(), w[:80]
    _same_sums(compiled, pure, _lines(4))


def test_language_kernel_with_a_full_cache_equals_numpy(kernels, monkeypatch):
    monkeypatch.setattr(_fastlid, "_CACHE_LIMIT", 300)
    monkeypatch.setattr(_fastlid, "_CACHE_CHARS", 5000)
    compiled = _fastlid.FastLid(lite_model_path())
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    _same(compiled, pure, _lines(2, 3000))
    assert 0 < compiled._nat_lib.fastlid_cached(compiled._nat) <= 300


def test_language_kernel_after_a_huge_word_and_a_huge_line(kernels):
    """A 3M-character word (12M n-grams) and a line of 1.2M distinct words grow the kernel's scratch past what it
    keeps; it is given back after them and the lines after them still equal numpy's."""
    compiled = _fastlid.FastLid(lite_model_path())
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    word = "ab" * 1_500_000 + " ok"
    _same(compiled, pure, [word])
    many = " ".join(f"w{i:x}" for i in range(1_200_000))
    total, n = compiled.line_sum(many)
    assert n > 0 and np.isfinite(total).all()
    again = compiled.line_sum(many)  # 500,000 of its words now cached (the cache's bound), the rest computed again
    assert again[1] == n and again[0].tobytes() == total.tobytes()
    assert compiled._nat_lib.fastlid_cached(compiled._nat) == _fastlid._CACHE_LIMIT
    _same(compiled, pure, _lines(6, 600)[:60])


def test_language_kernel_on_lone_surrogates_equals_numpy(kernels):
    """Lone surrogates (a text decoded with surrogateescape, or JSON's "\\ud800") are encoded with surrogatepass on
    both paths, and a dictionary word with invalid UTF-8 (read with surrogateescape) matches the same text words."""
    compiled = _fastlid.FastLid(lite_model_path())
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    lines = ["text with a lone \ud800 surrogate", "\udcff \udc80abc caf\udce9 \ud83d\ude00 end", "\udfff"]
    _same(compiled, pure, lines)
    # a model whose dictionary holds the invalid bytes b"\xff\xfe": the word "\udcff\udcfe" is in it on both paths
    pure._vocab["\udcff\udcfe"] = 5
    vocab = [w.encode("utf-8", "surrogatepass") for w in pure._vocab]
    compiled._nat = compiled._native(vocab, list(pure._vocab.values()))
    _same(compiled, pure, ["x \udcff\udcfe y", "\udcff\udcfe"])
    assert pure.line_sum("\udcff\udcfe")[1] == _fastlid.FastLid(lite_model_path()).line_sum("\udcff\udcfe")[1] + 1


@pytest.mark.shared
def test_language_kernel_on_the_shared_web_pages(kernels):
    path = SHARED / "crawl" / "web-pages.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = [ln for ln in (json.loads(x)["text"].replace("\n", " ").strip() for x in f) if ln]
    compiled = _fastlid.FastLid(lite_model_path())
    pure = _fastlid.FastLid(lite_model_path(), native=False)
    assert _same(compiled, pure, lines) >= 2000


def test_missing_broken_or_stale_library_means_the_pure_path(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(_native.ENV, raising=False)
    want = [_fastlid.FastLid(lite_model_path(), native=False).predict(t) for t in _lines(3, 500)[:40]]
    broken = tmp_path / "broken.so"
    broken.write_bytes(b"\x7fELF not really a library")
    cases = [tmp_path / "missing.so", broken]
    cc = _compiler()
    if cc is not None:  # a library built from other sources: loadable, but its version says so
        src = tmp_path / "old.c"
        src.write_text("int winnow_kernels_version(void) { return 0; }\n")
        subprocess.run([cc, *CFLAGS, "-o", str(tmp_path / "old.so"), str(src)], check=True)
        cases.append(tmp_path / "old.so")
    for lib in cases:
        monkeypatch.setattr(_native, "LIB_PATH", lib)
        with caplog.at_level(logging.DEBUG, logger="winnow._native"):
            caplog.clear()
            fast = _fastlid.FastLid(lite_model_path())
            again = _fastlid.FastLid(lite_model_path())
        assert not fast.native and not again.native, lib
        logged = [r for r in caplog.records if r.name == "winnow._native"]
        assert len(logged) == 1 and logged[0].levelno == logging.DEBUG and str(lib) in logged[0].getMessage()
        assert [fast.predict(t) for t in _lines(3, 500)[:40]] == want


def test_pure_path_forced_by_the_environment(kernels, monkeypatch):
    assert _fastlid.FastLid(lite_model_path()).native
    monkeypatch.setenv(_native.ENV, "1")
    assert _native.kernels() is None
    assert not _fastlid.FastLid(lite_model_path()).native


def test_the_makefile_builds_the_library_before_setup_completes():
    """`make setup` (and so `make demo` and `make test`) builds the library from kernels.c with the flags the
    tests build it with (-ffp-contract=off: no fused multiply-add, whose rounding numpy does not do)."""
    make = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    so = "src/winnow/_native/_kernels.so"
    setup = next(ln for ln in make.splitlines() if ln.startswith("setup:"))
    assert "$(NATIVE)" in setup and f"NATIVE := {so}" in make
    rule = make[make.index("$(NATIVE): "):]
    assert "kernels.c" in rule.splitlines()[0] and all(flag in rule for flag in CFLAGS)
    if shutil.which("make") and _compiler():
        dry = subprocess.run(["make", "-n", "-B", so], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
        assert dry.returncode == 0 and "kernels.c" in dry.stdout


# --- gopher_repetition's n-gram statistics (ngram_top, ngram_dup) ------------------------------------------------
def _ngram_inputs(text: str):
    import numpy as np

    from winnow.steps import quality as Q

    ids = Q._spacy_ids(text)
    cum = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(Q._VOCAB.arrays[0][ids], out=cum[1:])
    return ids, cum


def test_ngram_kernels_equal_the_plain_python_scans(kernels):
    """ngram_top and ngram_dup equal datatrove's scans written plainly (and the numpy paths), on texts of few short
    words: many repeats, joins that collide across token boundaries ("ab c" and "a bc" joined are equal)."""
    from hypothesis import given, settings, strategies as st

    from winnow.steps import quality as Q

    word = st.text(alphabet="ab.,é😀", min_size=1, max_size=7)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.lists(word, max_size=150), st.integers(1, 4))
    def check(words, reps):
        text = " ".join(words * reps if reps > 1 and len(words) < 40 else words)
        ids, cum = _ngram_inputs(text)
        toks = Q._doc_words(ids)
        concat, offs = "".join(toks), cum.tolist()
        dup = Q._dup_ngrams_c(kernels, ids, cum, text=text)
        assert dup == {n: Q._dup_ngram_chars(concat, offs, n) if len(toks) >= n else 0 for n in range(5, 11)}
        assert dup == Q._dup_ngrams_np(ids, cum, text=text) == Q._dup_ngrams_c(kernels, ids, cum)
        top = Q._top_ngrams_c(kernels, ids, cum)
        assert top == {n: Q._top_ngram_chars(toks, n) for n in (2, 3, 4)} == Q._top_ngrams_np(ids, cum)

    check()


def test_gopher_repetition_measures_the_same_with_and_without_the_kernels(kernels, monkeypatch, real_docs):
    """Every page of the demo crawl: the same attributes (all thirteen fractions) and decision on both paths."""
    from winnow.document import Document
    from winnow.step import Context
    from winnow.steps.quality import GopherRepetition

    def measure():
        step = GopherRepetition()
        step.setup(Context())
        out = []
        for d in real_docs:
            doc = Document(id=d.id, text=d.text)
            rej = step.reject(doc)
            out.append((doc.attributes, rej))
        return out

    compiled = measure()
    monkeypatch.setenv(_native.ENV, "1")
    assert _native.kernels() is None
    assert measure() == compiled and len(compiled) >= 300


def _fineweb_chain(docs) -> list:
    """The four FineWeb filters chained as a run chains them (a document leaves at its first drop): each
    document's final text, attributes and drop."""
    from winnow.document import Document
    from winnow.step import Context
    from winnow.steps.quality import C4Quality, FineWebQuality, GopherQuality, GopherRepetition

    steps = [GopherRepetition(), GopherQuality(), C4Quality(filter_no_terminal_punct=False), FineWebQuality()]
    for st in steps:
        st.setup(Context())
    out = []
    for i, text in enumerate(docs):
        doc = Document(id=str(i), text=text)
        for st in steps:
            doc = st.process(doc)
            if doc.drop is not None:
                break
        out.append((doc.text, doc.attributes, doc.drop))
    return out


def test_fineweb_filters_measure_the_same_with_and_without_the_kernels(kernels, monkeypatch, real_docs):
    """Every page of the demo crawl through gopher_repetition, gopher_quality, c4_quality and fineweb_quality: the
    same texts, attributes and drops with the C chunk table and sentence walk as on the pure-Python paths."""
    texts = [d.text for d in real_docs]
    compiled = _fineweb_chain(texts)
    monkeypatch.setenv(_native.ENV, "1")
    assert _native.kernels() is None
    pure = _fineweb_chain(texts)
    assert len(compiled) >= 300 and pure == compiled
    assert sum(d is None for _, _, d in compiled) >= 20 and sum(d is not None for _, _, d in compiled) >= 20


@pytest.mark.shared
def test_fineweb_filters_on_the_shared_web_pages(kernels, monkeypatch):
    with gzip.open(SHARED / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = [json.loads(x)["text"] for x in f]
    compiled = _fineweb_chain(texts)
    monkeypatch.setenv(_native.ENV, "1")
    assert _fineweb_chain(texts) == compiled and len(compiled) >= 2000


# --- the chunk table (chunktab_*) and C4's sentence walk (sent_steps) -------------------------------------------
def test_python_whitespace_is_the_chunk_splits_table():
    """str.split() splits on the code points whose str.isspace() is true: every one of them is below U+3001, where
    the C split reads the table (so a newer Unicode adding whitespace above it would fail here first)."""
    from winnow.steps import quality as Q

    table = Q._ws_table()
    assert len(table) == 0x3001
    assert [i for i in range(0x110000) if chr(i).isspace()] == [i for i, w in enumerate(table) if w]


_WHITESPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())


def _chunk_run(texts: list[str], limit: int) -> list:
    """The chunk ids, bounds, joined code points and tokens of each text, entered in order in a fresh table that
    is reset whenever it holds more than ``limit`` chunks (as _doc_cids resets it), and every chunk's sentence
    walk code (C4) at the end."""
    from winnow.steps import _tokenize as tk
    from winnow.steps import quality as Q

    Q._VOCAB.__init__()
    out = []
    for t in texts:
        if Q._VOCAB.nchunks > limit:
            Q._VOCAB.__init__()
        memo: dict = {}
        cids = Q._chunk_cids(t, memo, True)
        starts, one_space = Q._chunk_bounds(t)
        if "chunks.bounds" in memo:  # the C split's own
            assert np.array_equal(memo["chunks.bounds"][0], starts)
            assert np.array_equal(memo["chunks.bounds"][1], one_space)
            joined = memo["chunks.joined"]
            assert joined.tobytes() == "".join(t.split()).encode("utf-32-le", "surrogatepass")
        words = Q._doc_words(Q._VOCAB.expand(cids))
        assert words == tk.datatrove_words(t)
        out.append((cids.tolist(), Q._VOCAB.nchunks, words))
    # the sentence walk of every chunk entered (C where the kernels are, else the Python sentencizer)
    doc_text = " ".join(texts)
    from winnow.document import Document

    Q._VOCAB._csent[:] = -1
    Q._c4_sentences(doc_text, Document(id="s", text=doc_text), [(0, len(doc_text))]) if doc_text.strip() else 0
    out.append(Q._VOCAB._csent[:Q._VOCAB.nchunks].tolist())
    return out


def test_chunk_table_and_sentence_walk_equal_the_pure_path(kernels, monkeypatch):
    """The C chunk split and table give the same chunk ids (so the same table, entry for entry, resets included),
    the same bounds and joined text, and C4's sentence walk the same codes, as the dict and Python paths, on texts
    of every Unicode whitespace, punctuation, sentence marks, emoji, lone surrogates, NUL and long chunks."""
    from hypothesis import given, settings, strategies as st

    alphabet = st.sampled_from(list(_WHITESPACE) + list("aZé.,!?;:'\"()[]-–—…%$&*/\\|@#0129") +
                               ["😀", "👍🏽", "\ud800", "\udfff", "\x00", "。", "؟", "।", "‼", "U.S.", "Mr.", "can't",
                                "e.g.", "http://x.org/a?b=1", ":)", "a" * 255, "b" * 256, "c" * 257, "=" * 300])

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(st.lists(st.lists(alphabet, max_size=60).map("".join), min_size=1, max_size=6), st.integers(3, 40))
    def check(texts, limit):
        texts = texts + texts[:2]  # chunks seen before, in the same table or after a reset
        monkeypatch.delenv(_native.ENV, raising=False)
        assert _native.kernels() is not None
        compiled = _chunk_run(texts, limit)
        monkeypatch.setenv(_native.ENV, "1")
        assert _native.kernels() is None
        assert _chunk_run(texts, limit) == compiled

    check()


def test_chunk_table_on_huge_chunks_and_pages(kernels, monkeypatch):
    """A 100,000-character word, a page of 70,000 distinct chunks (the table grows twice) and one of only
    whitespace: the same on both paths, and the long word is not kept in the table."""
    from winnow.steps import quality as Q

    rng = random.Random(5)
    texts = ["x" + "é" * 100_000 + " tail. " + "y" * 100_000 + "\u3000" + "x" + "é" * 100_000,
             " ".join(f"w{rng.randrange(10**9)}." for _ in range(70_000)), _WHITESPACE * 3, ""]
    compiled = _chunk_run(texts, 10**6)
    assert Q._VOCAB._ctab and 69_000 < Q._VOCAB.nchunks < 70_010
    monkeypatch.setenv(_native.ENV, "1")
    assert _chunk_run(texts, 10**6) == compiled


def test_chunk_table_is_started_afresh_when_the_kernels_come_or_go(kernels, monkeypatch):
    from winnow.steps import quality as Q

    monkeypatch.delenv(_native.ENV, raising=False)
    Q._reset_if_huge()
    assert Q._VOCAB._ctab and Q._VOCAB._lib is kernels
    gen = Q._VOCAB.generation
    Q._spacy_ids("some words here")
    assert Q._VOCAB.nchunks == 3 and not Q._VOCAB.chunks
    monkeypatch.setenv(_native.ENV, "1")
    Q._reset_if_huge()
    assert Q._VOCAB._ctab is None and Q._VOCAB.generation != gen and Q._VOCAB.nchunks == 0
    assert Q._doc_words(Q._spacy_ids("some words here")) == ["some", "words", "here"]
    assert Q._VOCAB.nchunks == 3 and len(Q._VOCAB.chunks) == 3


def test_duplicate_lines_and_paragraphs_equal_the_python_split(kernels, monkeypatch):
    """dup_pieces counts the same pieces, duplicates and duplicated characters as _dup_count_chars over
    re.split("\\n+", text) and re.split("\\n{2,}", text.strip()) (Python's whitespace stripped at both ends)."""
    from hypothesis import given, settings, strategies as st

    from winnow.steps import quality as Q
    from winnow.text import _PARAGRAPH_SPLIT

    monkeypatch.delenv(_native.ENV, raising=False)
    Q._reset_if_huge()
    assert Q._VOCAB._ctab

    def python(text):
        paras, lines = _PARAGRAPH_SPLIT.split(text.strip()), Q._NEWLINE_RUNS.split(text)
        return (len(paras), *Q._dup_count_chars(paras)), (len(lines), *Q._dup_count_chars(lines))

    piece = st.sampled_from(["\n", "\n", "\n\n", "\n\n\n", " ", "\r", "\u3000", "\x85", "\u2028", "a", "b", "ab",
                             "é", "😀", "\ud800", "\x00", "x" * 300])

    @settings(max_examples=500, deadline=None, derandomize=True)
    @given(st.lists(piece, max_size=40).map("".join))
    def check(text):
        assert Q._dup_pieces_c(text) == python(text)

    check()
    for text in ("", "\n", " \n\n ", ("same line\n" * 5000) + "\n\n".join(["para"] * 3000)):
        assert Q._dup_pieces_c(text) == python(text)


# --- threads and fork ----------------------------------------------------------------------------------------
def _run_script(kernels, code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with the library the fixture found (a kernel that corrupts its tables can
    abort the process, a deadlock can hang it: neither may take the test runner with it)."""
    import os
    import sys
    import textwrap

    src = Path(_native.__file__).resolve().parent.parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(Path(__file__).resolve().parent.parent)])}
    env.pop(_native.ENV, None)
    head = f"from winnow import _native\n_native.LIB_PATH = __import__('pathlib').Path({kernels._name!r})\n"
    return subprocess.run([sys.executable, "-c", head + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_a_model_shared_by_threads_gives_each_line_numpys_floats(kernels):
    """ctypes releases the GIL inside the kernel, whose word cache and scratch belong to the model: eight threads
    calling one model (a user's threads; the language step and stitched_document share lid.176 through
    _fastlid.load) corrupted its tables without the model's lock (glibc aborted: double free). Each line's sum
    must be the numpy path's, on both paths."""
    got = _run_script(kernels, """
        import random, threading
        from tests.test_native import _lines
        from winnow.steps import _fastlid
        from winnow.steps.langid import lite_model_path
        lines = _lines(5, 3000) + _lines(6, 3000)
        want = [(n, t.tobytes()) for t, n in map(_fastlid.FastLid(lite_model_path(), native=False).line_sum, lines)]
        for native in (None, False):
            shared = _fastlid.FastLid(lite_model_path(), native=native)
            assert shared.native == (native is None)
            bad = []
            def work(seed):
                order = list(range(len(lines)))
                random.Random(seed).shuffle(order)
                for i in order:
                    t, n = shared.line_sum(lines[i])
                    if (n, t.tobytes()) != want[i]:
                        bad.append(i)
            threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            assert not bad, (native, len(bad))
        print("ok")
    """)
    assert got.returncode == 0 and got.stdout.strip() == "ok", got.stderr[-2000:]


def test_a_child_forked_while_another_thread_holds_the_model_still_predicts(kernels):
    """A fork (multiprocessing's fork start method, os.fork) while another thread is inside the model: the child
    inherited the model's lock held, and waited on it forever; the kernel's tables may also be half-updated there.
    The child gets a fresh lock and, after such a fork, the numpy path (the same answer); a fork with the lock
    free keeps the kernel. The same for the library loader's lock."""
    got = _run_script(kernels, """
        import os, signal, threading
        from winnow import _native
        from winnow.steps import _fastlid
        from winnow.steps.langid import lite_model_path
        model = _fastlid.load(lite_model_path())
        assert model.native
        line = "bonjour tout le monde, comment allez-vous aujourd'hui"
        want = model.predict(line)

        def fork_and_predict():
            pid = os.fork()
            if pid == 0:
                signal.alarm(10)  # a deadlocked child is killed by the alarm: the parent sees the signal
                ok = model.predict(line) == want and _native.kernels() is not None
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)

        def child_native():
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.write(w, b"1" if model.native else b"0")
                os._exit(0)
            os.waitpid(pid, 0)
            return os.read(r, 1)

        results = [fork_and_predict(), child_native()]  # nothing held: the child keeps the kernel
        for lock in (lambda: model._lock, lambda: _native._lock):
            held, done = threading.Event(), threading.Event()
            def hold():
                with lock():
                    held.set()
                    done.wait()
            t = threading.Thread(target=hold)
            t.start()
            held.wait()
            results.append(fork_and_predict())
            done.set()
            t.join()
        assert results == [0, b"1", 0, 0], results
        assert model.native and model.predict(line) == want  # the parent is untouched
        print("ok")
    """)
    assert got.returncode == 0 and got.stdout.strip() == "ok", (got.stdout, got.stderr[-2000:])


def test_the_word_table_steps_from_many_threads_measure_what_one_thread_does(kernels):
    """gopher_repetition, gopher_quality, c4_quality and fineweb_quality share one token table per process (with
    the kernels, a C chunk table): eight threads, each with its own step, corrupted it (glibc aborted: "double free
    or corruption", "free(): invalid pointer"; on the pure path numpy raised on mismatched shapes and counts came
    out wrong). Each document must get the one-thread attributes, on both paths, with the table reset on the way
    (a small chunk limit). And a child forked while another thread is inside one of them still measures."""
    script = """
        import os, random, signal, sys, threading
        from winnow.document import Document
        from winnow.step import Context
        from winnow.steps import quality as Q
        Q._CHUNK_LIMIT = 10_000  # the table is reset now and then while the threads run
        rng = random.Random(1)
        texts = [" ".join(f"w{rng.randrange(10 ** 7)}" for _ in range(800)) + " The end. Of it all.\\n" * 20
                 for _ in range(80)]
        def chain():
            steps = [Q.GopherRepetition(), Q.GopherQuality(), Q.C4Quality(), Q.FineWebQuality()]
            for s in steps:
                s.setup(Context(on_drop="annotate"))
            return steps
        def run(steps, text):
            d = Document(id="x", text=text)
            for s in steps:
                d = s.process(d)
            return d.text, sorted((k, repr(v)) for k, v in d.attributes.items())
        want = [run(chain(), t) for t in texts]
        bad = []
        def work(seed):
            steps = chain()
            order = list(range(len(texts)))
            random.Random(seed).shuffle(order)
            for i in order:
                try:
                    if run(steps, texts[i]) != want[i]:
                        bad.append(i)
                except Exception as e:
                    bad.append(repr(e)[:200])
        threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert not bad, (len(bad), bad[:3])
        held, done = threading.Event(), threading.Event()
        def hold():
            with Q._VOCAB_LOCK:
                held.set()
                done.wait()
        t = threading.Thread(target=hold)
        t.start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)
            os._exit(0 if run(chain(), texts[3]) == want[3] else 3)
        _, status = os.waitpid(pid, 0)
        done.set()
        t.join()
        assert os.waitstatus_to_exitcode(status) == 0, os.waitstatus_to_exitcode(status)
        print("ok", Q._VOCAB._ctab is not None)
    """
    got = _run_script(kernels, script, timeout=300)
    assert got.returncode == 0 and got.stdout.split() == ["ok", "True"], (got.stdout, got.stderr[-2000:])
    pure = _run_script(kernels, "import os; os.environ['WINNOW_PURE_PYTHON'] = '1'\n" + textwrap.dedent(script),
                       timeout=300)
    assert pure.returncode == 0 and pure.stdout.split() == ["ok", "False"], (pure.stdout, pure.stderr[-2000:])


def test_joined_code_points_are_made_for_gopher_repetition_only_and_taken_out(kernels, monkeypatch):
    """The C split leaves the chunks' joined code points (4 bytes a character) only when gopher_repetition asks,
    and that step takes them out of the document's memo: no step leaves them on a document."""
    from winnow.document import Document
    from winnow.steps.quality import GopherQuality, GopherRepetition
    from winnow.text import segments

    monkeypatch.delenv(_native.ENV, raising=False)
    text = "One two three four five six. " * 40 + "Seven eight nine.\n\nTen eleven."
    doc = Document(id="q", text=text)
    GopherQuality().signals(doc)
    assert "chunks.bounds" in segments(doc)._memo and "chunks.joined" not in segments(doc)._memo
    doc = Document(id="r", text=text)
    compiled = GopherRepetition().signals(doc)
    assert "chunks.bounds" in segments(doc)._memo and "chunks.joined" not in segments(doc)._memo
    monkeypatch.setenv(_native.ENV, "1")
    assert GopherRepetition().signals(Document(id="p", text=text)) == compiled


# --- the compiled tokenizer (spacy_tok_*): the Python tokenizer's tokens, chunk for chunk -------------------------
_TOK_ALPHABET = "".join(map(chr, range(0x21, 0x7F))) + "’‘“”—–…°é£€²©ß·"  # ASCII and the commonest others
_TOKS: list = []  # two tokenizers, made once (each takes ~20 ms): the compiled path's and the reference


def _tok_compare(chunks: list[str]) -> int:
    """Asserts the compiled tokenizer (through SpacyEnglish.chunks_at, as gopher_repetition calls it) gives each
    chunk the tokens of the Python tokenizer (a fresh one, cache empty); the number of chunks the kernel decided."""
    from winnow.steps import _tokenize as tk

    chunks = [c for c in chunks if c and not any(ch.isspace() for ch in c)]
    page = " ".join(chunks)
    codes = np.frombuffer(page.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = np.array([len(c) for c in chunks], dtype=np.int64)
    starts = np.cumsum(lens + 1) - lens - 1
    ends = starts + lens
    if not _TOKS:
        _TOKS.extend([tk.SpacyEnglish(), tk.SpacyEnglish()])
    tok, ref = _TOKS
    tok._cache.clear()
    ref._cache.clear()
    got = tok.chunks_at(chunks, codes, starts, ends)
    for c, g in zip(chunks, got):
        assert g == ref.chunk(c), c
    lib, handle = tk._compiled(ref)
    ntok = np.empty(len(chunks), dtype=np.int32)
    bounds = np.empty(len(codes) + len(chunks) + 1, dtype=np.int64)
    assert lib.spacy_tok_chunks(handle, codes.ctypes.data, len(codes), starts.ctypes.data, ends.ctypes.data,
                                len(chunks), ntok.ctypes.data, bounds.ctypes.data, len(bounds)) >= 0
    return int((ntok > 0).sum())


def test_compiled_tokenizer_equals_python_on_every_short_chunk(kernels):
    """Every chunk of one and two characters of its alphabet, and of three over the ASCII characters the rules name
    plus letters, digits, the unit and currency letters and the commonest others; and every rule's literal (each prefix, suffix and infix
    alternative of the tables, each special case and split special case) alone, doubled and next to a letter, a
    capital, a digit, a dot and a quote on either side."""
    from winnow.steps import _tokenize as tk

    alphabet = tk._ALPHABET
    chunks = list(alphabet) + [a + b for a in alphabet for b in alphabet]
    small = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~aAsSUCmkT0’“”—…°"
    chunks += [a + b + c for a in small for b in small for c in small]
    masks, extra, blob = tk.compiled_rules(tk.SpacyEnglish())
    chars = {code: ch for ch, code in tk._CODE.items()}
    lits, p = set(), 0
    while p < len(blob):
        n = blob[p + 3]
        lit = "".join(chars[b] for b in blob[p + 4:p + 4 + n - (blob[p + 1] if blob[p] == tk._SPT_PORTH else 0)])
        lits.add(lit)
        p += 4 + n
    around = ["", "a", "AB", "0", ".", "'", "x.", ")"]
    chunks += [x + lit + y for lit in lits for x in around for y in around] + [lit * 2 for lit in lits]
    decided = _tok_compare(chunks)
    assert decided > 0.6 * len(chunks)  # the rest hold a '.' in the core (a URL?) or touch a special case


def test_compiled_tokenizer_equals_python_on_generated_chunks(kernels):
    """Random chunks of affix characters, letters, digits, pieces of special cases, URLs, emoticons, numbers with
    units, non-ASCII punctuation and letters, NUL, lone surrogates, 100k-character words."""
    from hypothesis import given, settings, strategies as st

    pieces = st.one_of(
        st.text(alphabet=_TOK_ALPHABET, min_size=1, max_size=4),
        st.sampled_from(["word", "Mr", "Mr.", "U.S.", "don't", "isn't", "it's", "'s", "n't", "e.g.", "a.m.", "10a.m.",
                         "C++", ":)", ":-)", "<3", "(:", "km", "km/h", "5", "3.5", "US$", "C$", "http://x.org/a?b=1",
                         "www.ex.com", "a@b.co", "--", "---", "...", "Goin'", "'em", "''", "vs.", "e", "s", "S", "y'all",
                         "’", "“", "”", "—", "–", "…", "é", "ß", "°F", "²", "\x00", "\ud800", "😀", "。"]),
        st.text(min_size=1, max_size=3))

    @settings(max_examples=800, deadline=None, derandomize=True)
    @given(st.lists(st.lists(pieces, min_size=1, max_size=6).map("".join), min_size=1, max_size=20))
    def check(chunks):
        _tok_compare(chunks)

    check()
    rng = random.Random(3)
    big = ["a" * 100_000, "(" * 300 + "a" + ")" * 300, "a" * 255 + ".", "a" * 256 + ",", "a" * 257 + ",",
           "".join(rng.choice(".,()'\"-aA0") for _ in range(256))]
    _tok_compare(big + ["".join(rng.choice(_TOK_ALPHABET) for _ in range(rng.randint(1, 256))) for _ in range(3000)])


def test_compiled_tokenizer_on_real_pages(kernels):
    """Every chunk of the golden pages (and of the shared web pages where present): the same tokens."""
    chunks = [c for line in (FIXTURES.parent / "quality" / "golden.jsonl").read_text(encoding="utf-8").splitlines()
              for c in json.loads(line)["text"].split()]
    pages = SHARED / "crawl" / "web-pages.jsonl.gz"
    if pages.exists():
        with gzip.open(pages, "rt", encoding="utf-8") as f:
            chunks += [c for line in f for c in json.loads(line)["text"].split()]
    chunks = list(dict.fromkeys(chunks))
    assert _tok_compare(chunks) > 0.7 * len(chunks)


def test_compiled_tokenizer_refuses_malformed_rules_and_bounds(kernels):
    """spacy_tok_new takes no record that runs past the buffer, is empty, names a class past 31 or a literal over
    16 bytes, or a split special case whose token lengths do not sum to its orth; spacy_tok_chunks takes no chunk
    outside the page and no output array too small for its tokens."""
    import ctypes

    from winnow.steps import _tokenize as tk

    masks, extra, blob = tk.compiled_rules(tk.SpacyEnglish())
    cls, ext = (ctypes.c_uint32 * 256)(*masks), (ctypes.c_uint32 * len(extra))(*extra)
    good = kernels.spacy_tok_new(cls, ext, len(extra), blob, len(blob))
    assert good
    for bad_extra in ([0x41], [0x7F], [0x10000], [0xE9, 0xE9], [0x100 + k for k in range(129)]):
        arr = (ctypes.c_uint32 * len(bad_extra))(*bad_extra)
        assert not kernels.spacy_tok_new(cls, arr, len(bad_extra), blob, len(blob)), bad_extra[:2]
    bad = [blob[:-1], blob + b"\x03", bytes([3, 255, 255, 0]), bytes([3, 40, 255, 1]) + b"x",
           bytes([3, 255, 255, 17]) + b"x" * 17, bytes([9, 255, 255, 1]) + b"x", bytes([2, 1, 255, 3]) + b"ab\x03",
           bytes([2, 0, 255, 2]) + b"ab", bytes([2, 2, 255, 3]) + b"a\x01\x01", bytes([2, 1, 255, 3]) + b"ab\x00"]
    for b in bad:
        assert not kernels.spacy_tok_new(cls, ext, len(extra), b, len(b)), b
    codes = np.frombuffer("ab, cd.".encode("utf-32-le"), dtype=np.uint32)
    ntok = np.zeros(2, dtype=np.int32)
    out = np.zeros(16, dtype=np.int64)
    for s, e, cap in (([0, 4], [3, 8], 16), ([-1, 4], [3, 7], 16), ([3, 4], [2, 7], 16), ([0, 4], [3, 7], 4)):
        s, e = np.array(s, dtype=np.int64), np.array(e, dtype=np.int64)
        assert kernels.spacy_tok_chunks(good, codes.ctypes.data, len(codes), s.ctypes.data, e.ctypes.data, 2,
                                        ntok.ctypes.data, out.ctypes.data, cap) == -1
    s, e = np.array([0, 4], dtype=np.int64), np.array([3, 7], dtype=np.int64)
    assert kernels.spacy_tok_chunks(good, codes.ctypes.data, len(codes), s.ctypes.data, e.ctypes.data, 2,
                                    ntok.ctypes.data, out.ctypes.data, 16) == 6
    assert ntok.tolist() == [2, 2] and out[:6].tolist() == [0, 2, 3, 4, 6, 7]
    kernels.spacy_tok_free(good)


def test_compiled_tokenizer_stands_down_on_rules_of_an_unknown_shape(kernels, monkeypatch):
    """A regenerated table with an alternative the ASCII reading does not know: no compiled tokenizer (the Python
    one tokenizes every chunk), rather than a guess."""
    from winnow.steps import _tokenize as tk

    monkeypatch.setattr(tk, "_SUFFIX", tk._SUFFIX + "|(?<=a)x+$")
    with pytest.raises(ValueError):
        tk.compiled_rules(tk.SpacyEnglish())
    monkeypatch.setattr(tk, "_COMPILED", {})
    assert tk._compiled(tk.SpacyEnglish()) is None
    assert tk.SpacyEnglish().chunks_at(["ax,"], np.array([97, 120, 44], dtype=np.uint32),
                                       np.array([0]), np.array([3])) == [("ax", ",")]
