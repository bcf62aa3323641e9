"""The published quality filters: parity with datatrove on recorded real pages, and every rule at its threshold.

tests/fixtures/quality/golden.jsonl holds real pages (MIT / Apache-2.0 sets, see SOURCE.md there) with the verdicts
and C4 output text datatrove 0.10.1 gave them (written by ``bench/parity.py --write-fixture``), so parity is checked
here without datatrove. The threshold tests build documents just under and just over each rule's threshold.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from winnow.document import Document, undo_edits
from winnow.step import Context
from winnow.steps._tokenize import datatrove_sentence_count, datatrove_words
from winnow.steps.quality import C4BadWords, C4Quality, FineWebQuality, GopherQuality, GopherRepetition

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures/quality/golden.jsonl"
STEPS = {"gopher_quality": GopherQuality, "gopher_repetition": GopherRepetition, "fineweb_quality": FineWebQuality,
         "c4_quality": C4Quality, "c4_badwords": C4BadWords}


def _nltk_ready() -> bool:
    try:
        from nltk.tokenize import sent_tokenize

        sent_tokenize("A. B.")
        return True
    except Exception:
        return False


needs_nltk = pytest.mark.skipif(not _nltk_ready(), reason="NLTK with English punkt data not installed")


def run(step, text, **meta):
    step.setup(Context())
    return step.process(Document(id="t", text=text, metadata=meta))


# --- parity on real pages ---------------------------------------------------------------------------------------
def _golden():
    with open(GOLDEN, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("name", sorted(STEPS))
def test_real_pages_decide_as_datatrove(name):
    pages = _golden()
    step = STEPS[name]()
    step.setup(Context())
    checked = 0
    for page in pages:
        ref = page["datatrove"][name]
        doc = step.process(Document(id=page["id"], text=page["text"]))
        got = doc.drop.reason if doc.drop else None
        assert got == ref["reason"], (page["id"], got, ref["reason"])
        if name == "c4_quality" and got is None:
            assert doc.text == ref["text"], page["id"]
            assert undo_edits(doc.text, doc.edits) == page["text"]
        checked += 1
    assert checked == len(pages) >= 40


def test_golden_pages_cover_every_reason_seen():
    reasons = {(n, v["reason"]) for p in _golden() for n, v in p["datatrove"].items()}
    for name in STEPS:
        assert (name, None) in reasons
    assert {("gopher_quality", r) for r in ("too_few_words", "alpha_words_ratio", "too_few_stop_words")} <= reasons
    assert {("c4_quality", "too_few_sentences"), ("c4_quality", "lorem_ipsum"), ("c4_badwords", "badwords")} <= reasons


# --- the tokenizer ----------------------------------------------------------------------------------------------
# Expected values are spaCy 3.8.18's (datatrove's split_into_words / split_into_sentences) for these strings.
SPACY_CASES = [
    ("Mr. Smith isn't here:) (a.m.) U.S. e-mail http://x.com/a?b=1 don't. 3-4 ...",
     ["Mr.", "Smith", "is", "n't", "here", ":)", "(", "a.m.", ")", "U.S.", "e", "-", "mail", "http://x.com/a?b=1",
      "do", "n't", ".", "3", "-", "4", "..."], 2),
    ("Hello world. This is it!", ["Hello", "world", ".", "This", "is", "it", "!"], 2),
    ("Visit www.example.com/page, then call 555-1234 at 9:30a.m. today.",
     ["Visit", "www.example.com/page", ",", "then", "call", "555", "-", "1234", "at", "9:30a.m", ".", "today", "."], 2),
    ("“Quoted,” she said—then left… #tag @user 10% $5.00",
     ["“", "Quoted", ",", "”", "she", "said", "—", "then", "left", "…", "#", "tag", "@user", "10", "%", "$", "5.00"], 1),
    ("ЁЖ.Привет мир. 你好，世界。", ["ЁЖ.Привет", "мир", ".", "你好，世界", "。"], 2),
    ("Wait... what?! Yes.  No.\tMaybe.", ["Wait", "...", "what", "?", "!", "Yes", ".", "No", ".", "Maybe", "."], 4),
]


@pytest.mark.parametrize("text,words,sentences", SPACY_CASES)
def test_tokenizer_matches_spacy(text, words, sentences):
    assert datatrove_words(text) == words
    assert datatrove_sentence_count(text) == sentences


def test_word_split_survives_the_chunk_cache_filling_up(monkeypatch):
    from winnow.steps import _tokenize

    text = " ".join(f"w{i}x, ({i}) don't" for i in range(40))
    want = _tokenize.SpacyEnglish().words(text)
    assert want[:6] == ["w0x", ",", "(", "0", ")", "do"] and len(want) == 40 * 7 - 1  # "(8)": the emoticon 8)
    monkeypatch.setattr(_tokenize, "_CACHE_LIMIT", 5)
    assert _tokenize.SpacyEnglish().words(text) == want


def test_letter_only_fast_path_agrees_with_the_rules():
    import sys

    from winnow.steps._tokenize import spacy_english

    tok = spacy_english()
    letters = [chr(i) for i in range(0, sys.maxunicode + 1, 7) if chr(i).isalpha()]
    for w in letters + ["a" + ch for ch in letters] + ["Straße", "naïve", "мир", "你好"]:
        if w not in tok._specials:
            assert tok._chunk_tokens(w) == [w] == list(tok.chunk(w))
    assert tok.chunk("cannot") == ("can", "not")  # letters-only special cases still apply


# --- Gopher quality at each threshold -----------------------------------------------------------------------------
WORDS = ("house river garden window people little market winter summer animal picture country morning "
         "kitchen teacher bottle flower letter mother father island planet forest bridge castle").split()


def words(n, start=0):
    return [WORDS[(start + i) % len(WORDS)] for i in range(n)]


def sent(n, start=0):
    return " ".join(["the", "and", *words(n - 2, start)])


def gq(text, **kw):
    d = run(GopherQuality(**kw), text)
    return (d.drop.reason, d.drop.value, d.drop.threshold) if d.drop else None


def test_gopher_word_count_bounds():
    assert gq(sent(50)) is None
    assert gq(sent(49)) == ("too_few_words", 49, 50)
    big = sent(100_000)
    assert gq(big) is None
    assert gq(big + " house") == ("too_many_words", 100_001, 100_000)


def test_gopher_mean_word_length_bounds():
    three = ["the", "and", *(["cat", "dog", "sun"] * 20)]
    assert gq(" ".join(three)) is None  # mean exactly 3
    assert gq(" ".join(three[:-1] + ["ox"]))[0] == "short_mean_word_length"
    long = ["the", "and"] + ["abcdefghij"] * 52 + ["abcdefghijklmnop"]  # (6 + 520 + 16) / 55 = 9.85
    base = " ".join(long)
    assert gq(base) is None
    r = gq(base.replace("abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz" * 2))
    assert r[0] == "long_mean_word_length" and r[1] > 10


def test_gopher_hash_and_ellipsis_ratios():
    body = sent(90)
    assert gq(body + " #" * 10) is None  # 10 / 100 tokens
    assert gq(body[: body.rindex(" ")] + " #" * 11)[:1] == ("hash_word_ratio",)
    assert gq("... " * 10 + body) is None  # the line must not end in "..." (another rule)
    r = gq("... " * 11 + body[: body.rindex(" ")])
    assert r[0] == "ellipsis_word_ratio" and r[1] == pytest.approx(0.11)


def test_gopher_bullet_and_ellipsis_lines():
    lines = [sent(8, i) for i in range(10)]
    nine = "\n".join(("- " + ln if i < 9 else ln) for i, ln in enumerate(lines))
    assert gq(nine) is None
    assert gq("\n".join("• " + ln for ln in lines))[:3] == ("bullet_lines_ratio", 1.0, 0.9)
    three = "\n".join(ln + (" ..." if i < 3 else "") for i, ln in enumerate(lines))
    assert gq(three) is None
    four = "\n".join(ln + ("…" if i < 4 else "") for i, ln in enumerate(lines))
    assert gq(four)[:3] == ("ellipsis_lines_ratio", 0.4, 0.3)


def test_gopher_alpha_ratio_and_stop_words():
    alpha = sent(80)
    assert gq(alpha + " 1234" * 20) is None  # 80 / 100
    r = gq(alpha + " 1234" * 21)
    assert r[0] == "alpha_words_ratio" and r[1] < 0.8
    assert gq(" ".join(["the", "and", *words(60)])) is None
    assert gq(" ".join(["the", "the", *words(60)]))[:3] == ("too_few_stop_words", 1, 2)


@needs_nltk
def test_gopher_fineweb_2024_counts_stop_word_occurrences():
    text = " ".join(["the", "the", *words(60)])
    assert gq(text, variant="fineweb-2024-05") is None


# --- Gopher repetition at each threshold --------------------------------------------------------------------------
SYL = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]


def uniq(i):
    """A distinct lowercase word per i: no accidental n-gram repeats."""
    return SYL[i % 70] + SYL[(i // 70) % 70] + SYL[(i // 4900) % 70 + 1]


def uwords(n, start=0):
    return " ".join(uniq(start + i) for i in range(n))


def gr(text):
    step = GopherRepetition()
    d = run(step, text)
    return (d.drop.reason if d.drop else None), d.attributes


def crossing(make, attr, threshold, ks):
    """The two documents of adjacent k around the point where ``attr`` crosses ``threshold`` (the families are
    monotonic in k, so bisect)."""
    ks = list(ks)

    def under(i):
        return gr(make(ks[i]))[1][attr] <= threshold

    lo, hi = 0, len(ks) - 1
    side = under(lo)
    assert under(hi) != side, f"{attr} never crosses {threshold} over k in {ks[0]}..{ks[-1]}"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if under(mid) == side:
            lo = mid
        else:
            hi = mid
    a, b = make(ks[lo]), make(ks[hi])
    return (a, b) if side else (b, a)


@pytest.mark.parametrize("rule,attr,thr,make,ks", [
    ("dup_para_frac", "dup_para_frac", 0.3,
     lambda k: "\n\n".join(["ok"] * k + [uwords(40, 100 * i) for i in range(30 - k)]), range(1, 20)),
    ("dup_line_frac", "dup_line_frac", 0.3,
     lambda k: "\n".join(["ok"] * k + [uwords(40, 100 * i) for i in range(30 - k)]), range(1, 20)),
    ("dup_para_char_frac", "dup_para_char_frac", 0.2,
     lambda k: "\n\n".join([uwords(30, 5000)] * 2 + [uwords(3, 7000 + 10 * i) for i in range(6)] + [uwords(k, 0)]),
     range(200, 10, -2)),
    ("dup_line_char_frac", "dup_line_char_frac", 0.2,
     lambda k: "\n".join([uwords(30, 5000)] * 2 + [uwords(3, 7000 + 10 * i) for i in range(6)] + [uwords(k, 0)]),
     range(200, 10, -2)),
    ("top_2_gram", "top_2_gram_frac", 0.2,
     lambda k: " ".join(f"aa bb {uniq(i)}" for i in range(k)) + " " + uwords(60, 3000), range(1, 200)),
    ("top_3_gram", "top_3_gram_frac", 0.18,
     lambda k: " ".join(f"aa bb cc {uniq(i)}" for i in range(k)) + " " + uwords(60, 3000), range(1, 200)),
    ("top_4_gram", "top_4_gram_frac", 0.16,
     lambda k: " ".join(f"aa bb cc dd {uniq(i)}" for i in range(k)) + " " + uwords(60, 3000), range(1, 200)),
    *[(f"duplicated_{n}_n_grams", f"dup_{n}_gram_frac", thr,
       # ten copies of an n-word phrase: the shorter n-gram rules stay just below their (higher) thresholds
       (lambda n: lambda k: " ".join(f"{uwords(n, 9000)} {uwords(6, 100 * i)}" for i in range(10)) + " "
        + uwords(k, 20000))(n), range(0, 3000, 7))
      for n, thr in ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))],
])
def test_gopher_repetition_rule_at_threshold(rule, attr, thr, make, ks):
    under, over = crossing(make, f"gopher_repetition.{attr}", thr, ks)
    r_over, a_over = gr(over)
    r_under, a_under = gr(under)
    assert r_over == rule and a_over[f"gopher_repetition.{attr}"] > thr
    assert r_under != rule and a_under[f"gopher_repetition.{attr}"] <= thr
    # just around the threshold: the two documents differ by one step of the family
    assert a_over[f"gopher_repetition.{attr}"] - a_under[f"gopher_repetition.{attr}"] < 0.05


def test_gopher_repetition_concatenates_words_without_spaces_like_datatrove():
    # "ab c" and "a bc" are different 2-grams but the same 5..10-gram key once joined without spaces
    from winnow.steps.quality import _dup_ngrams_np, _doc_ids

    import numpy as np

    text = "ab cde fg hi jk x " + "a bcd efg hi jk"
    doc = Document(id="x", text=text)
    ids = _doc_ids(doc, "datatrove")
    from winnow.steps.quality import _VOCAB

    cum = np.concatenate([[0], np.cumsum(_VOCAB.arrays[0][ids])])
    assert _dup_ngrams_np(ids, cum, ns=[5])[5] == len("abcdefghijk")


# --- FineWeb quality ----------------------------------------------------------------------------------------------
def fw(text, **kw):
    d = run(FineWebQuality(**kw), text)
    return (d.drop.reason, d.drop.value, d.drop.threshold) if d.drop else None


def long_line(i, end="."):
    return uwords(7, 50 * i) + end


def test_fineweb_line_punct_ratio():
    assert fw("\n".join(long_line(i, "." if i < 3 else "") for i in range(25))) is None  # 3/25 = 0.12
    assert fw("\n".join(long_line(i, "." if i < 2 else "") for i in range(25)))[:3] == ("line_punct_ratio", 0.08, 0.12)
    assert fw("\n".join(long_line(i, "" if i else "!") for i in range(9)), line_punct_thr=0.11) is None


def test_fineweb_short_lines():
    lines = [long_line(i) if i >= 67 else uniq(i) + "." for i in range(100)]
    assert fw("\n".join(lines)) is None  # 67 short of 100
    lines[67] = uniq(67) + "."
    assert fw("\n".join(lines))[:3] == ("short_line_ratio", 0.68, 0.67)


def test_fineweb_duplicate_line_chars():
    def text(k):
        return "\n".join([long_line(0), long_line(0)] + [long_line(i) for i in range(1, k)])
    # one duplicated 48-char line: 48 / chars-without-newlines crosses 0.01 at about 4,800 characters
    assert fw(text(110)) is None
    r = fw(text(80))
    assert r[0] == "char_dup_ratio" and 0.01 < r[1] < 0.0135


def test_fineweb_list_ratio_and_empty():
    lines = [f"{uniq(2 * i) * 3} {uniq(2 * i + 1) * 3}." for i in range(20)]  # 3 tokens, 38 chars per line
    r = fw("\n".join(lines))
    assert r[0] == "list_ratio" and r[1] == pytest.approx(19 / 60)
    assert fw("\n".join(lines[:10]) + " " + uwords(6, 999)) is None  # 9 / 36
    assert fw(" \n\n\t\n") == ("empty", 0.0, None)


# --- C4 ----------------------------------------------------------------------------------------------------------
C4_PAGE = (
    "Home | About | Contact\n"  # no terminal punctuation
    "  The river runs through the old town and past the mill.  \n"
    "Yes it is.\n"  # 3 words: kept
    "Too short.\n"  # 2 words
    "Please enable JavaScript to view this site.\n"
    "Read our privacy policy before you sign up.\n"
    "The bridge was built in 1850 by the city council.[1] It still stands.\r\n"
    "A word " + "x" * 1001 + " too long.\n"
    "Citations[edit] go here now.\n"
    "The last line of the page ends the story here.\n"
)


def test_c4_removes_lines_as_edits_with_reasons():
    step = C4Quality()
    d = run(step, C4_PAGE)
    assert d.drop is None
    assert d.text == ("The river runs through the old town and past the mill.\nYes it is.\n"
                      "The bridge was built in 1850 by the city council. It still stands.\n"
                      "Citations go here now.\nThe last line of the page ends the story here.")
    reasons = {e.reason for e in d.edits}
    assert {"no_terminal_punct", "too_few_words", "javascript", "policy", "citation", "too_long_word",
            "whitespace"} <= reasons
    assert undo_edits(d.text, d.edits) == C4_PAGE
    assert d.attributes["c4_quality.sentences"] == 6


def test_c4_blank_lines_are_whitespace_not_short_lines():
    page = "\n\n".join(C4_PAGE.split("\n"))  # a blank line between every two lines, as extracted pages have
    plain = run(C4Quality(), C4_PAGE)
    d = run(C4Quality(), page)
    assert d.text == plain.text  # the same decision and output as the reference
    def removed(doc, reason):
        return sorted(e.removed for e in doc.edits if e.reason == reason)
    assert removed(d, "too_few_words") == removed(plain, "too_few_words") == ["Too short.\n"]
    assert sum(1 for e in d.edits if e.reason == "whitespace" and e.removed == "\n") >= C4_PAGE.count("\n") - 1


def test_c4_without_the_short_line_rule_a_blank_page_empties_cleanly():
    # The default pipeline runs c4_quality with min_words_per_line -1 after line_noise, which can leave only line
    # breaks; the ends' whitespace was then cut twice (overlapping edits: the document was quarantined).
    d = run(C4Quality(filter_no_terminal_punct=False, min_words_per_line=-1, min_num_sentences=-1), "\n\n \n\n")
    assert d.drop is None and d.text == ""
    assert undo_edits(d.text, d.edits) == "\n\n \n\n"


def test_c4_sentence_threshold_and_page_rules():
    five = "\n".join(f"This is line number {w} of the page." for w in words(5))
    assert run(C4Quality(), five).drop is None
    four = "\n".join(f"This is line number {w} of the page." for w in words(4))
    d = run(C4Quality(), four)
    assert (d.drop.reason, d.drop.value, d.drop.threshold) == ("too_few_sentences", 4, 5)
    assert run(C4Quality(), five + "\nLorem ipsum dolor sit amet.").drop.reason == "lorem_ipsum"
    assert run(C4Quality(), five + "\nfunction f() { return 1; }.").drop.reason == "curly_bracket"
    # a "{" on a line that an earlier line rule already removed does not drop the page (as in the reference)
    assert run(C4Quality(), five + "\nvar x = { a: 1 }").drop is None
    assert run(C4Quality(min_num_sentences=4), four).drop is None


@needs_nltk
def test_c4_tfds_variant():
    text = "\n".join(f"This is line {w} here." for w in words(3))  # 4 words per line: below TFDS's 5
    assert run(C4Quality(variant="c4-tfds"), text).drop.reason == "too_few_sentences"
    text = "\n".join(f"This is line {w} right here." for w in words(3))
    assert run(C4Quality(variant="c4-tfds"), text).drop is None


# --- bad words ---------------------------------------------------------------------------------------------------
def test_badwords_by_language_and_word_boundaries():
    assert run(C4BadWords(), "An assassin passed the class.").drop is None
    d = run(C4BadWords(), "What the fuck is this.")
    assert d.drop.reason == "badwords" and d.attributes["c4_badwords.word"] == "fuck"
    assert run(C4BadWords(), "Quelle merde.", language="fr").drop.reason == "badwords"
    assert run(C4BadWords(), "Quelle merde.", language="xx").drop is None
    with pytest.raises(ValueError):
        run(C4BadWords(fail_on_missing_language=True), "text", language="xx")


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="variant"):
        GopherQuality(variant="redpajama").setup(Context())


def test_specimen_like_page_and_signals_recorded():
    page = "\n".join(long_line(i) for i in range(40))
    d = run(GopherQuality(), page)
    assert {"gopher_quality.words", "gopher_quality.mean_word_length", "gopher_quality.stop_words"} <= set(d.attributes)
    assert all(ch in string.printable for ch in page)


def test_historical_variants_check_nltk_when_the_pipeline_is_validated():
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    cfg = {"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": "x.jsonl"},
                       "steps": [{"type": "c4_quality", "variant": "c4-tfds"}, {"type": "gopher_quality"}]}]}
    if _nltk_ready():
        assert pipeline_from_dict(cfg)
    else:  # before a run, not as a failure of every shard's setup
        with pytest.raises(ConfigError, match=r"steps\[0\] \(c4_quality\): .*punkt"):
            pipeline_from_dict(cfg)
    assert pipeline_from_dict({"stages": [{**cfg["stages"][0], "steps": [{"type": "c4_quality"}]}]})


# --- the tokenizer on hostile runs (issue 11, item 3) -------------------------------------------------------------
_AFFIX_ALPHABET = "=<>$#,\"'….-!?()[]{}*+%&@/\\:;_~^|`´‘’“”«»°a1Dxs3"


def test_affix_tables_fit_the_windowed_search():
    # _split_affixes_long is exact only if every prefix/suffix alternative is either bounded by the window (less
    # its margin) or a run that keeps matching when cut; a regenerated table that breaks this must fail here.
    import re._parser as sre_parse  # private, but only this test relies on it

    from winnow.steps import _tokenize as tk

    unbounded = sre_parse.MAXREPEAT
    for table in (tk._PREFIX, tk._SUFFIX):
        for alt in table.split("|"):
            try:
                lo, hi = sre_parse.parse(alt).getwidth()
            except Exception:
                continue  # a piece of a character class or group split at '|'
            if hi >= unbounded:
                assert alt.strip("^$") in (r"\.\.+",), alt
            else:
                assert hi < tk._AFFIX_WINDOW - tk._AFFIX_MARGIN, alt


def test_long_affix_path_gives_identical_tokens_to_the_simple_loop():
    from hypothesis import given, settings, strategies as st

    from winnow.steps._tokenize import SpacyEnglish

    tok = SpacyEnglish()

    def simple(s, specials):
        pre, suf = [], []
        saved = tok._split_affixes.__func__.__globals__["_LONG_CHUNK"]
        tok._split_affixes.__func__.__globals__["_LONG_CHUNK"] = 10**9
        try:
            core = tok._split_affixes(s, pre, suf, specials)
        finally:
            tok._split_affixes.__func__.__globals__["_LONG_CHUNK"] = saved
        return pre, core, suf

    @settings(max_examples=600, deadline=None, derandomize=True)
    @given(st.text(alphabet=_AFFIX_ALPHABET, min_size=1, max_size=80), st.booleans())
    def check(s, specials):
        pre, suf = [], []
        core = tok._split_affixes_long(s, pre, suf, specials)
        assert (pre, core, suf) == simple(s, specials)

    check()
    # and on long runs of every character the issue names, against the simple loop at a size it still manages
    for ch in ("=", "<", "$", "#", ",", '"', "'", "…", ".", "!?", "=a", "((", "a.", ".)"):
        s = ch * (300 // len(ch))
        for specials in (True, False):
            pre, suf = [], []
            assert (pre, tok._split_affixes_long(s, pre, suf, specials), suf) == simple(s, specials)


def test_first_round_shortcut_gives_the_full_path_tokens():
    """chunk() takes a chunk's tokens from one affix round plus the cached tokens of its core; the same tokens as
    the full affix loop and special-case merge, on random affix strings (around specials and their pieces, in
    every order of entry into the cache) and on every chunk of the golden pages."""
    from hypothesis import given, settings, strategies as st

    from winnow.steps._tokenize import SpacyEnglish

    full = SpacyEnglish()
    full._one_round = lambda s: None  # the plain path: every chunk through _chunk_tokens and the merge
    specials = sorted(full._specials)[::7] + ["Mr.", "don't", ":)", "(:", "a.m.", "U.S.", "e.g.", "'s", "n't"]
    piece = st.one_of(st.text(alphabet=_AFFIX_ALPHABET, min_size=1, max_size=3), st.sampled_from(specials),
                      st.sampled_from(["word", "Mr", "a", "s", "3", "km", "x"]))

    tok = SpacyEnglish()

    @settings(max_examples=1500, deadline=None, derandomize=True)
    @given(st.lists(piece, min_size=1, max_size=5))
    def check(parts):
        s = "".join(parts)
        tok._cache.clear()
        assert tok.chunk(s) == full.chunk(s)
        tok._cache.clear()
        for i in range(len(parts)):  # cores entered first, in some order, as a long run would have them
            tok.chunk("".join(parts[i:]))
        assert tok.chunk(s) == full.chunk(s)

    check()
    tok._cache.clear()
    for page in _golden():
        for c in page["text"].split():
            assert tok.chunk(c) == full.chunk(c), c


def test_c4_sentences_counted_together_equal_the_line_by_line_count():
    """C4 counts the kept lines' sentences together from the document's chunk ids (whitespace other than one space
    folded in as spaCy's whitespace tokens); the verdict, edits and counts equal the line-by-line sentencizer's on
    random lines of words, sentence marks, other punctuation, citations and odd whitespace, and the golden pages."""
    from hypothesis import given, settings, strategies as st

    from winnow.steps import quality as Q

    piece = st.sampled_from(["word", "Mr.", "end.", "a.b.c", "?!", "”", "(", "-", "...", "x", "U.S.", "[1]", "e.g.",
                             '"Hi."', "3.5", "ok,"])
    sep = st.sampled_from([" ", " ", " ", "  ", "\t", "\xa0", " \u3000 ", "\n", "\n", "\r\n", "\u2028"])
    steps = [C4Quality(), C4Quality(filter_no_terminal_punct=False, min_words_per_line=1)]

    def same(text):
        for step in steps:
            assert step._decide(text, Document(id="d", text=text)) == step._decide(text), text
            # the word count C4 hands fineweb_quality for its output text is that text's datatrove word count
            doc = step.process(Document(id="d", text=text))
            if doc.drop is None:
                handed = Q.segments(doc)._memo.get("nwords.spacy_en")
                assert handed is None or handed == len(datatrove_words(doc.text)), text
                assert Q._spacy_count(doc) == len(datatrove_words(doc.text))

    @settings(max_examples=600, deadline=None, derandomize=True)
    @given(st.lists(st.tuples(piece, sep), max_size=60))
    def check(parts):
        same("".join(p + s for p, s in parts))

    check()
    for page in _golden():
        same(page["text"])


def test_memoised_chunk_ids_are_recomputed_after_the_table_changed_under_them():
    """A document's chunk ids name one token table (and, with uncached long chunks, one size of it): when the table
    was reset or grew between two steps on the same document (a long run, or documents batched between steps),
    the later steps compute them again instead of reading other chunks' tokens."""
    from winnow.steps import quality as Q

    text = "Alpha beta. Gamma delta epsilon. " * 3 + "x" * 300 + ". Omega psi.\nZeta eta theta. Iota kappa. Lambda mu nu."
    fresh = [C4Quality()._decide(text), GopherQuality().signals(Document(id="f", text=text))]
    def reset():
        Q._VOCAB.__init__()
        Q._spacy_ids("filler tokens that take the first ids")

    for upset in (reset, lambda: Q._spacy_ids("other words " + "y" * 400 + " entered now")):
        doc = Document(id="a", text=text)
        GopherRepetition().signals(doc)  # ids and chunk ids memoised on the document
        upset()
        assert [C4Quality()._decide(text, doc), GopherQuality().signals(doc)] == fresh


def test_memoised_nltk_ids_are_recomputed_after_the_table_was_started_afresh(monkeypatch):
    """fineweb-2024-05's token ids (NLTK words) memoised by gopher_repetition name one token table: when it was
    started afresh before gopher_quality read them (too large, or the runner's reset after another document of the
    window was stopped: winnow.step.after_interrupt), gopher_quality took the new table's lengths and flags at the
    old ids (words 60 -> 51, mean_word_length 2.9 -> 4.47 here). Any word splitter shows it: NLTK's punkt data is
    not needed."""
    import re
    import types

    from winnow.steps import quality as Q

    monkeypatch.setattr(Q, "_nltk", lambda: types.SimpleNamespace(
        word_tokenize=lambda t: re.findall(r"\w+|[^\w\s]", t), sentence_count=lambda line: 1))
    text = "The cat sat on the mat and it was a very good day for all of the cats in town. " * 3
    rep, qual = GopherRepetition(variant="fineweb-2024-05"), GopherQuality(variant="fineweb-2024-05")
    want = qual.signals(Document(id="fresh", text=text))
    doc = Document(id="a", text=text)
    rep.signals(doc)  # ids memoised on the document
    Q._fresh_table()
    qual.signals(Document(id="b", text="Zebra quokka yak! Numbers 12 34 and words: alpha beta gamma delta."))
    assert qual.signals(doc) == want


def test_a_table_start_stopped_just_after_the_free_leaves_no_freed_table_behind():
    """A budget stop can land in _VOCAB.__init__ (from _reset_if_huge, under a step) just after the C table was
    freed; the runner's reset (winnow.step.after_interrupt) then started the table afresh and freed that table a
    second time (a double free: the worker aborts). The table is forgotten before it is freed."""
    from winnow import _native
    from winnow.pipeline import BudgetExceeded
    from winnow.steps import quality as Q

    real = _native.kernels()
    if real is None:
        pytest.skip("the compiled kernels are not built")
    Q._fresh_table()
    freed = []

    class StoppedAfterFree:
        def __getattr__(self, name):
            return getattr(real, name)

        def chunktab_free(self, p):
            real.chunktab_free(p)
            freed.append(p)
            raise BudgetExceeded("stopped just after the free")

    Q._VOCAB._lib = StoppedAfterFree()
    with pytest.raises(BudgetExceeded):
        Q._VOCAB.__init__()
    assert freed and Q._VOCAB._ctab != freed[0]
    Q._fresh_table()  # what the runner does next: no second free
    assert Q._VOCAB._ctab and Q._VOCAB._lib is real
    assert Q._doc_words(Q._spacy_ids("a table that works again")) == datatrove_words("a table that works again")


def test_punctuation_runs_tokenize_in_linear_time_and_are_not_cached():
    import time

    from winnow.steps import _tokenize as tk

    tok = tk.SpacyEnglish()

    def cpu(text):
        t = time.process_time()
        tok.words(text)
        tok.sentence_count(text)
        return time.process_time() - t

    # '=' * 6250 took 6 s and x4 per doubling (quadratic); now x2.
    for ch in ("=", "$", "'", "…"):
        small, big = cpu("x " + ch * 4000 + " y"), cpu("x " + ch * 16000 + " y")
        assert big < 10 * max(small, 0.01), (ch, small, big)
    before = len(tok._cache), len(tok._sent_cache)
    for k in range(30):
        tok.words(f"{k}" + "=" * 5000)
        tok.sentence_count(f"{k}" + "=" * 5000)
    assert (len(tok._cache), len(tok._sent_cache)) == before  # long chunks are not kept
    assert tok.words("a " + "=" * 5000 + " b") == ["a"] + ["="] * 5000 + ["b"]


def test_url_match_without_quadratic_user_info_is_the_same_match():
    import re

    from hypothesis import given, settings, strategies as st

    from winnow.steps import _tokenize as tk

    assert tk._URL_USERINFO in tk._URL  # a regenerated table that drops it must revisit the rewrite
    spacy_url = re.compile(tk._URL).match
    tok = tk.SpacyEnglish()

    @settings(max_examples=2000, deadline=None, derandomize=True)
    @given(st.sampled_from(["", "http://", "ftp://u", "u:p@", "www."]), st.text(alphabet="a1.:@/-_%?#=éA", max_size=16))
    def check(head, s):
        a, b = spacy_url(head + s), tok._url(head + s)
        assert (a and a.span()) == (b and b.span())

    check()
    import time

    def cpu(text):
        t = time.process_time()
        tok.words(text)
        return time.process_time() - t

    small, big = cpu("a:" * 2500), cpu("a:" * 10000)  # was x16 (2.3 s at 20 KB)
    assert big < 10 * max(small, 0.01), (small, big)


def test_chunk_id_cache_gives_datatrove_words():
    # The filters take a document's tokens from a per-chunk id cache; it must be spaCy's word list, token for token,
    # for texts seen first, texts whose chunks are all cached, and after the cache is emptied.
    from winnow.steps import quality as Q

    texts = [t for t, _, _ in SPACY_CASES] + [p["text"] for p in _golden()[:15]]
    for _ in range(2):
        for t in texts:
            assert Q._spacy_count(Document(id="c", text=t)) == len(datatrove_words(t))  # count only, cold chunks
            assert Q._doc_words(Q._spacy_ids(t)) == datatrove_words(t)
        Q._VOCAB.__init__()


def test_chunk_id_cache_keeps_no_long_chunks():
    from winnow.steps import quality as Q

    Q._VOCAB.__init__()
    text = "a " + "=" * 5000 + " b " + "x" * 300 + " c"
    assert Q._doc_words(Q._spacy_ids(text)) == datatrove_words(text)
    assert Q._doc_words(Q._spacy_ids(text)) == datatrove_words(text)  # again, the long chunks still uncached
    assert Q._VOCAB.nchunks == 3  # "a", "b", "c" (the C table where the kernels are built, else the dict)
    assert max(map(len, Q._VOCAB.chunks), default=0) <= 256


def test_hash_powers_grown_in_blocks_equal_pow():
    """The n-gram hashes' powers of BASE and BASE_INV, grown by doubling with numpy's wrapping uint64 products,
    equal pow(BASE, k, 2**64) (what the n-gram comparisons rely on)."""
    from winnow.steps import quality as Q

    fwd, inv = Q._powers(70_000)
    for k in (0, 1, 2, 3, 1000, 16383, 16384, 16385, 40_000, 69_999):
        assert int(fwd[k]) == pow(Q._BASE, k, 1 << 64) and int(inv[k]) == pow(Q._BASE_INV, k, 1 << 64)


def test_ngram_statistics_equal_the_plain_python_scans():
    """The numpy n-gram statistics (top 2-4-grams by token, duplicate 5-10-grams joined without spaces, screened
    by the characters after each boundary) equal datatrove's scans written plainly, on texts of few short words
    (many repeats, joins that collide across token boundaries, n-grams shorter and longer than the screen)."""
    from hypothesis import given, settings, strategies as st

    import numpy as np

    from winnow.steps import quality as Q

    word = st.text(alphabet="ab.,", min_size=1, max_size=7)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.lists(word, max_size=120), st.integers(1, 4))
    def check(words, reps):
        text = " ".join(words * reps if reps > 1 and len(words) < 40 else words)
        ids = Q._spacy_ids(text)
        toks = Q._doc_words(ids)
        assert toks == datatrove_words(text)
        cum = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(Q._VOCAB.arrays[0][ids], out=cum[1:])
        offs = cum.tolist()
        concat = "".join(toks)
        dup = Q._dup_ngrams_np(ids, cum, text=text)
        assert dup == {n: Q._dup_ngram_chars(concat, offs, n) if len(toks) >= n else 0 for n in range(5, 11)}
        assert Q._dup_ngrams_np(ids, cum) == dup  # joined from the tokens, as for other tokenizers
        assert Q._top_ngrams_np(ids, cum) == {n: Q._top_ngram_chars(toks, n) for n in (2, 3, 4)}

    check()