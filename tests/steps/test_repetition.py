"""repetition: Dolma's repetitions_v1 / paragraph_repetitions_v1 taggers, their own test document as the golden case,
and winnow's faster search compared with the expression itself."""

from __future__ import annotations

import random
import re
import time

import pytest

from winnow import Document, steps
from winnow.steps.runs import DOLMA_PATTERN, char_repetitions

# Dolma tests/python/test_repetitions.py (Apache-2.0): its documents and the runs it expects
DOC_WITH_REPS = """
This is a text with repetitions.
This is a text with repetitions repetitions.
This is a text with repetitions repetitions repetitions.
This is a text with repetitions repetitions repetitions repetitions.

blah blah blah blah blah

No reps at the beginning of this sentence but MMMMMMMMMM

Seeing doubles: bass banana bass banana bass banana bass banana
"""
D0 = [" repetitions repetitions repetitions repetitions", "blah blah blah blah blah", "MMMMMMMMMM",
      " bass banana bass banana bass banana bass banana"]
D0_SCORES = [4, 5, 10, 4]
DOC_WITHOUT_REPS = """
This is a text without repetitions.

Absolutely no repetitions here.

There are double letters here and there but those don't count.
"""

_RX = re.compile(DOLMA_PATTERN)


def _reference(text):
    return [(m.start(), m.end(), m.group(0).count(m.group(1))) for m in _RX.finditer(text)]


@pytest.mark.parametrize("variant", ["repetitions_v1", "paragraph_repetitions_v1"])
def test_dolma_golden_document(variant):
    doc = steps.repetition(variant=variant).process(Document(id="0", text=DOC_WITH_REPS))
    spans = doc.attributes["repetition.spans"]
    assert [DOC_WITH_REPS[s:e] for s, e, _ in spans] == D0
    assert [sc for _, _, sc in spans] == D0_SCORES
    assert doc.attributes["repetition.max_score"] == 10  # doc_max_score_repetition: the M run
    assert doc.attributes["repetition.max_length"] == len(D0[0])  # doc_max_length_repetition
    assert doc.attributes["repetition.frac"] == sum(map(len, D0)) / len(DOC_WITH_REPS)  # doc_frac_repetition
    assert doc.drop is None  # a tagger unless a maximum is set
    none = steps.repetition(variant=variant).process(Document(id="1", text=DOC_WITHOUT_REPS))
    assert (none.attributes["repetition.max_score"], none.attributes["repetition.max_length"],
            none.attributes["repetition.frac"], none.attributes["repetition.spans"]) == (0, 0, 0.0, [])


def test_paragraph_variant_never_crosses_a_line_break():
    text = "ab\nab\nab\nab\n"
    assert steps.repetition().process(Document(id="x", text=text)).attributes["repetition.max_score"] == 4
    para = steps.repetition(variant="paragraph_repetitions_v1").process(Document(id="x", text=text))
    assert para.attributes["repetition.spans"] == []


def test_optional_filter_explains_the_drop():
    step = steps.repetition(max_score=8)
    d = step.process(Document(id="m", text="No reps here but MMMMMMMMMM"))
    assert (d.drop.reason, d.drop.value, d.drop.threshold) == ("repetition_score", 10, 8)
    d = steps.repetition(max_frac=0.5).process(Document(id="f", text="la la la la la la la la"))
    assert d.drop.reason == "repetition_frac" and d.drop.value == 1.0
    d = steps.repetition(max_length=5).process(Document(id="l", text="xyzxyzxyzxyz and more"))
    assert (d.drop.reason, d.drop.value) == ("repetition_length", 12)
    for text in ("", " ", "\n\n"):
        assert steps.repetition(max_score=1).process(Document(id="e", text=text)).drop is None


PIECES = ["a", "b", " ", "\n", "ab", "ba ", "x", "\t", "\u3000", "aa", " a", "abc" * 12, "q" * 40, "\u00a0", "é"]


def test_same_matches_as_the_expression_on_random_texts():
    rng = random.Random(7)
    for _ in range(800):
        t = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 50)))
        assert list(char_repetitions(t, direct_up_to=0)) == _reference(t), repr(t)
    for _ in range(150):  # pieces longer than the shifted comparison covers, with optional separators
        parts = []
        for _ in range(rng.randint(1, 5)):
            piece = "".join(rng.choice("abcd \n") for _ in range(rng.randint(30, 70)))
            parts.append("".join(rng.choice(["", " ", "\t", "x"]) + piece for _ in range(rng.randint(1, 5))))
        t = "".join(parts)
        assert list(char_repetitions(t, direct_up_to=0)) == _reference(t), repr(t)


def test_same_matches_as_the_expression_on_real_pages(real_docs):
    # pages whose lines are short enough for the expression itself to run quickly (it is quadratic in a line)
    pages = [d for d in real_docs if max(map(len, d.text.split("\n"))) <= 1500][:25]
    assert len(pages) >= 20
    for d in pages:
        assert list(char_repetitions(d.text, direct_up_to=0)) == _reference(d.text), d.id


def test_a_long_line_costs_linear_time_not_quadratic():
    # the expression itself takes ~4 s on a 14,000-character line without repetition; n vs 4n must scale ~4x
    rng = random.Random(3)
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do"]

    def line(n):
        return " ".join(rng.choice(words) + rng.choice(["", ",", "."]) for _ in range(n // 6))[:n]

    small, big = line(20_000), line(80_000)
    best = []
    for text in (small, big):
        t = time.process_time()
        list(char_repetitions(text))
        best.append(time.process_time() - t)
    assert best[1] < 12 * best[0] + 0.5, best
    head = small[:2000]
    assert list(char_repetitions(head, direct_up_to=0)) == _reference(head)


def test_sentences_recurring_far_apart_on_one_line_run_few_long_pieces(monkeypatch):
    # A forum thread flattened to one line (FinCORE: 771,566 characters) quotes its posts again and again, far
    # apart: every pair of equal 32-character windows compiled and ran the expression for its distance (11,070
    # lengths here; the page took 12 s of CPU, past run.max_seconds_per_doc on a busy machine). A piece needs
    # three more copies, each one its length (or one more) further on: only lengths whose copies all begin run.
    from winnow.steps import runs

    rng = random.Random(11)
    words = ["talo", "auto", "kissa", "koira", "puu", "vesi", "kivi", "tie", "maa", "yo", "sana", "kieli"]
    posts = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 14))) + " ." for _ in range(60)]
    parts = [rng.choice(posts) for _ in range(900)]
    parts[400:400] = [posts[0]] * 4  # one real run of a long piece: four copies in a row
    text = " ".join(parts)
    long_lengths = []
    fixed = runs._fixed

    def counted(k):
        if k > runs._G:
            long_lengths.append(k)
        return fixed(k)

    monkeypatch.setattr(runs, "_fixed", counted)
    got = list(char_repetitions(text))
    assert len(set(long_lengths)) < 20, len(set(long_lengths))
    assert any(e - s >= 4 * len(posts[0]) for s, e, _ in got)  # the four copies were found
    monkeypatch.setattr(runs, "_fixed", fixed)
    head = text[:1800]
    assert list(char_repetitions(head, direct_up_to=0)) == _reference(head)


@pytest.mark.parametrize("shape", ["\n", ".\n", "x" * 40 + "\n", "ab\n"])
def test_line_breaks_never_start_or_hold_a_piece(shape):
    # a text of line breaks was quadratic (every position looked like a candidate for every length)
    text = shape * (20_000 // len(shape))
    t = time.process_time()
    got = list(char_repetitions(text))
    assert time.process_time() - t < 5
    head = text[:1500]
    assert list(char_repetitions(head, direct_up_to=0)) == _reference(head)
    assert got[: len(_reference(head)) - 1] == _reference(head)[:-1]


def test_short_texts_run_the_expression_itself():
    text = "abab abab abab abab and MMMMM"
    assert list(char_repetitions(text)) == list(char_repetitions(text, direct_up_to=0)) == _reference(text)


def test_validation():
    with pytest.raises(ValueError, match="unknown variant"):
        steps.repetition(variant="tokenizer_repetitions_v3").validate()
    with pytest.raises(ValueError, match="fraction"):
        steps.repetition(max_frac=2).validate()


# Dolma tests/python/test_repetitions_utils.py (Apache-2.0): id strings and the runs find_periodic_sequences gives
PERIODIC_CASES = [
    ("5000007", 1, 1, [(1, 6, 1, 5)]),
    ("501010127", 2, 2, [(1, 7, 2, 3)]),
    ("5301040104010401", 4, 4, [(2, 16, 4, 3)]),
    ("04004004004030", 3, 3, [(0, 12, 3, 4)]),
    ("004646464639955055055046550", 2, 3, [(2, 10, 2, 4), (13, 22, 3, 3)]),
    ("123456789", 1, 10, []),
    ("112233445566778899", 1, 10, []),
]


@pytest.mark.parametrize("ids,lo,hi,expected", PERIODIC_CASES)
def test_periodic_runs_dolma_cases(ids, lo, hi, expected):
    from winnow.steps.runs import periodic_runs

    assert list(periodic_runs([int(c) for c in ids], max_period=hi, min_period=lo)) == expected


@pytest.fixture(scope="module")
def word_tokenizer(tmp_path_factory):
    """A word-level tokenizer.json (whitespace pre-tokenizer) built here: offsets are characters of the text."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    words = sorted(set(re.findall(r"\w+|[^\w\s]", DOC_WITH_REPS + " x a b")))
    tok = tokenizers.Tokenizer(WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return str(path)


def test_token_variants(word_tokenizer):
    v1 = steps.repetition(variant="tokenizer_repetitions_v1", tokenizer=word_tokenizer)
    doc = v1.process(Document(id="0", text=DOC_WITH_REPS))
    got = [(DOC_WITH_REPS[s:e], sc) for s, e, sc in doc.attributes["repetition.spans"]]
    assert ("blah blah blah blah blah", 5) in got
    assert ("repetitions repetitions repetitions repetitions", 4) in got
    assert ("bass banana bass banana bass banana bass banana", 4) in got
    text = "x x x x x x and more"  # period 1 (6 times) and period 2 (3 times) over the same characters
    all_runs = v1.process(Document(id="1", text=text)).attributes["repetition.spans"]
    assert all_runs == [[0, 11, 6], [0, 11, 3]]
    v2 = steps.repetition(variant="tokenizer_repetitions_v2r2", tokenizer=word_tokenizer)
    assert v2.process(Document(id="1", text=text)).attributes["repetition.spans"] == [[0, 11, 6]]
    para = steps.repetition(variant="paragraph_tokenizer_repetitions_v1", tokenizer=word_tokenizer)
    pd = para.process(Document(id="2", text="a b\n" + text))
    assert pd.attributes["repetition.spans"][0] == [4, 15, 6]  # offsets into the whole text
    with pytest.raises(ValueError, match="needs tokenizer"):
        steps.repetition(variant="tokenizer_repetitions_v1").validate()


def test_same_matches_as_the_expression_on_near_periodic_long_pieces():
    # A long piece (over the 32 characters the shifted comparison covers) is tried only where three further copies
    # can begin, each its length or one more after the one before: copies with and without the optional
    # whitespace mixed, pieces that are periodic themselves (their copies overlap at shorter distances), one
    # character changed in a piece or a copy, non-ASCII whitespace (U+3000, U+0085, U+2028) and astral characters.
    rng = random.Random(12)
    alphabets = ["ab", "abc ", "aé😀 ", "x\u3000y", "ab\x85", "ab\u2028c", "abcdefghij"]
    seps = ["", " ", "\t", "\u3000", "\x85", "\u2028", "x", "  ", "\n"]
    for _ in range(120):
        al = rng.choice(alphabets)
        size = rng.randint(33, 110)
        if rng.random() < 0.5:
            unit = "".join(rng.choice(al) for _ in range(rng.randint(1, 5)))
            piece = (unit * (size // len(unit) + 1))[:size]
        else:
            piece = "".join(rng.choice(al) for _ in range(size))
        t = "".join(rng.choice(al) for _ in range(rng.randint(0, 20)))
        t += "".join(rng.choice(seps) + piece for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.5:
            j = rng.randrange(len(t))
            t = t[:j] + rng.choice(al + "Q") + t[j + 1:]
        assert list(char_repetitions(t, direct_up_to=0)) == _reference(t), repr(t)
