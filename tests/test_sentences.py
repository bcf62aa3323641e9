from pathlib import Path

import pytest

from winnow.document import Document
from winnow.sentences import sentence_spans, split_sentences
from winnow.text import segments

FIXTURES = Path(__file__).parent / "fixtures" / "coherence"


@pytest.mark.parametrize(
    "text, expected",
    [
        # Abbreviations before names and numbers (all from the specimen).
        ("He became a leading spokesman of the St. Petersburg Soviet. Trotsky survived the incident.",
         ["He became a leading spokesman of the St. Petersburg Soviet.", "Trotsky survived the incident."]),
        ("Ramon Mercader, aka Frank Jackson, Aug. 31, 1940. \"He is gifted with practicality.",
         ["Ramon Mercader, aka Frank Jackson, Aug. 31, 1940.", "\"He is gifted with practicality."]),
        # A period detached by extraction still ends the sentence.
        ("The leader of the Bolsheviks - Vladimir Lenin . Together, they prepared the overthrow.",
         ["The leader of the Bolsheviks - Vladimir Lenin .", "Together, they prepared the overthrow."]),
        # "No." abbreviates before a number only.
        ("See No. 5 and Fig. 3 here. The answer was no. We left.",
         ["See No. 5 and Fig. 3 here.", "The answer was no.", "We left."]),
        # Initials.
        ("J. R. R. Tolkien wrote it. George W. Bush did not.", ["J. R. R. Tolkien wrote it.", "George W. Bush did not."]),
        ("Dr. Smith met Mrs. Jones at 3 p.m. on Monday. They talked.",
         ["Dr. Smith met Mrs. Jones at 3 p.m. on Monday.", "They talked."]),
        # Quotes close with their sentence; questions inside brackets.
        ('She said "Stop." Then she left.', ['She said "Stop."', "Then she left."]),
        ("Euler: a cat on his back (origin?). Click here.", ["Euler: a cat on his back (origin?).", "Click here."]),
        ("Was it true? \"Yes,\" he said! Fine.", ["Was it true?", "\"Yes,\" he said!", "Fine."]),
        # Lower case after a period, numbers, e.g.
        ("Values like 3.5 and e.g. the U.S. economy matter. Next one.",
         ["Values like 3.5 and e.g. the U.S. economy matter.", "Next one."]),
        # German ordinal dates and abbreviations.
        ("Am 3. Oktober wurde gefeiert, z.B. in Berlin. Danach ging es weiter.",
         ["Am 3. Oktober wurde gefeiert, z.B. in Berlin.", "Danach ging es weiter."]),
        # Chinese, Hindi, Arabic, Urdu terminators.
        ("今天天气很好。我们去公园吧！你来吗？", ["今天天气很好。", "我们去公园吧！", "你来吗？"]),
        ("यह पहला वाक्य है। यह दूसरा है।", ["यह पहला वाक्य है।", "यह दूसरा है।"]),
        ("هل أنت بخير؟ نعم أنا بخير.", ["هل أنت بخير؟", "نعم أنا بخير."]),
        ("یہ پہلا جملہ ہے۔ یہ دوسرا ہے۔", ["یہ پہلا جملہ ہے۔", "یہ دوسرا ہے۔"]),
        # Line breaks end sentences; soft wraps continued in lower case do not.
        ("NISSAN SENTRA\nNissan is hoping a sleek redesign\nwill pull in buyers. It is new.",
         ["NISSAN SENTRA", "Nissan is hoping a sleek redesign\nwill pull in buyers.", "It is new."]),
        # Stray closing marks stay with their sentence; a line of layout debris is its own unit.
        ("Wow... ! Next one.\n||\nok", ["Wow... !", "Next one.", "||", "ok"]),
        ("", []),
        ("   \n  ", []),
        ("No terminator at the end", ["No terminator at the end"]),
    ],
)
def test_split(text, expected):
    assert split_sentences(text) == expected


def test_spans_index_the_text_and_exclude_whitespace():
    text = FIXTURES.joinpath("stitched-page.txt").read_text(encoding="utf-8")
    spans = sentence_spans(text)
    assert 100 < len(spans) < 140
    prev_end = 0
    for a, b in spans:
        assert prev_end <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        assert text[prev_end:a].strip() == ""  # nothing is lost between sentences
        prev_end = b
    assert text[prev_end:].strip() == ""
    sentences = [text[a:b] for a, b in spans]
    assert "Ramon Mercader, aka Frank Jackson, Aug. 31, 1940." in sentences
    assert "Related Topics ." in sentences
    assert "Click here to find out more." in sentences
    assert any(s.startswith("He became a leading spokesman of the St. Petersburg Soviet (council)") for s in sentences)


def test_segments_share_the_spans():
    doc = Document("d", "One sentence here. Another one there.")
    seg = segments(doc)
    assert seg.sentences == [(0, 18), (19, 37)]
    assert seg.sentences is seg.sentences  # computed once
    doc.text = "Changed."
    assert segments(doc).sentences == [(0, 8)]


def test_terminator_scan_matches_the_plain_expression():
    """_TERM (one leading class, fast to scan) finds exactly what the plain alternation _TERM_PLAIN finds."""
    import itertools

    from winnow.sentences import _TERM, _TERM_PLAIN

    atoms = [".", "...", "!?", "\u2026", "\u3002", "\uff01\uff1f", "\uff0e", "\u0964", "\u0965\u061f", "\u06d4", "\n",
             "\"", "'", "\u201d", "\u2019\u00bb", ")", "]", "\u300d", "\uff09", "a", "B", " ", "\u00e9", "\u4e2d", "(",
             "\r\n"]
    texts = ["".join(p) for p in itertools.product(atoms, repeat=3)]
    texts += [(FIXTURES.parent.parent.parent / "src/winnow/sentences.py").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]
    assert sum(len(_TERM_PLAIN.findall(t)) for t in texts) > 10_000
    for t in texts:
        assert [m.span() for m in _TERM.finditer(t)] == [m.span() for m in _TERM_PLAIN.finditer(t)], repr(t)
