"""c4_paragraph and symbol_lines against the peers' own definitions and test inputs."""

from __future__ import annotations

import heapq

import pytest

from winnow import Document, steps
from winnow.document import undo_edits
from winnow.steps.lines import DT_SYMBOLS

# datatrove's tests/pipeline/filters/test_symbollines.py (datatrove 0.10, Apache-2.0): its input and expected output,
# kept as data so that the formatter's golden case runs without datatrove.
DT_SYMBOL_INPUT = (
    "-\n-\n-\n>> Harold Brantley is a 6-2, 283-pound Defensive Tackle from Hershey, PA. He is ranked No. 1385 in the "
    "country by 247Sports.\n\n\n>> Brantley is the No. 45 recruit in Pennsylvania (PA) and is the No. 89 Defensive "
    "Tackle in the nation.\n\n>> Brantley has a 247Sports rating of 80, making him a 3-star prospect.\n|\n|\n|\n"
    "hello ehehe -\n|\n- oi mate\n|\n\nbye")
DT_SYMBOL_OUTPUT = (
    ">> Harold Brantley is a 6-2, 283-pound Defensive Tackle from Hershey, PA. He is ranked No. 1385 in the "
    "country by 247Sports.\n\n\n>> Brantley is the No. 45 recruit in Pennsylvania (PA) and is the No. 89 Defensive "
    "Tackle in the nation.\n\n>> Brantley has a 247Sports rating of 80, making him a 3-star prospect.\n"
    "hello ehehe -\n- oi mate\n\nbye")


def _reference_symbol_lines(text: str, symbols=DT_SYMBOLS, replace_char: str = "") -> str:
    """datatrove's SymbolLinesFormatter.format, restated from its definition (the oracle of the property test)."""
    out, in_run = [], False
    for line in text.splitlines():
        sym = line.strip() != "" and all(c in symbols or c == " " for c in line)
        if sym and not in_run:
            if replace_char:
                out.append(replace_char)
            in_run = True
        elif not sym:
            out.append(line)
            in_run = False
    return "\n".join(out)


def _reference_paragraph_keep(text: str) -> bool:
    """TFDS mC4's / datatrove's paragraph_filter: at least 3 lines, the 3 longest all >= 200 characters."""
    lines = text.split("\n")
    return not (len(lines) < 3 or min(heapq.nlargest(3, [len(x) for x in lines])) < 200)


def test_symbol_lines_golden_case_from_datatrove():
    doc = steps.symbol_lines().process(Document(id="dt", text=DT_SYMBOL_INPUT))
    assert doc.text == DT_SYMBOL_OUTPUT
    assert doc.attributes["symbol_lines.removed_lines"] == 8
    assert {e.reason for e in doc.edits} == {"symbol_line"}
    assert undo_edits(doc.text, doc.edits) == DT_SYMBOL_INPUT  # nothing lost: the input rebuilds


@pytest.mark.parametrize("text", [
    "", "\n", "a\n", "|\na", "a\n|", "a\r\nb\rc\u2028d\n\n", "==\n--\n\n==\nx", " | \n\t|\n|", "a\n|\n|\nb\n|",
    "   \n|\n   ", "…\n。\n«»\nok\x0b|\x0cfin\x85", "\n\n|\n\n"])
@pytest.mark.parametrize("replace_char", ["", "\n"])
def test_symbol_lines_matches_the_definition_and_rebuilds(text, replace_char):
    step = steps.symbol_lines(replace_char=replace_char)
    doc = step.process(Document(id="x", text=text))
    assert doc.text == _reference_symbol_lines(text, replace_char=replace_char)
    assert undo_edits(doc.text, doc.edits) == text
    # a line break datatrove normalises is a line_break edit, never a symbol_line one
    assert all(e.reason == "symbol_line" or e.removed in ("\n", "\r", "\r\n", "\u2028", "\x0b", "\x0c", "\x85", "")
               for e in doc.edits)


def test_symbol_lines_user_symbols():
    doc = steps.symbol_lines(symbols=["*"]).process(Document(id="x", text="***\n---\nok"))
    assert doc.text == "---\nok"


def test_symbol_lines_validation():
    with pytest.raises(ValueError, match="single characters"):
        steps.symbol_lines(symbols=["ab"]).validate()


def _page(lens):
    return "\n".join("x" * n for n in lens)


@pytest.mark.parametrize("lens,keep", [
    ([200, 200, 200], True), ([200, 200, 199], False), ([500, 10, 300, 5, 250], True), ([1000, 1000], False),
    ([], False), ([199] * 50, False), ([0, 0, 0, 200, 200, 200], True)])
def test_c4_paragraph_decides_as_the_reference(lens, keep):
    text = _page(lens)
    assert _reference_paragraph_keep(text) is keep  # the oracle agrees with the case
    doc = steps.c4_paragraph().process(Document(id="p", text=text))
    assert (doc.drop is None) is keep
    n = sum(1 for x in lens if x >= 200)
    assert doc.attributes["c4_paragraph.paragraphs"] == n
    if not keep:
        assert (doc.drop.reason, doc.drop.value, doc.drop.threshold) == ("too_few_paragraphs", n, 3)


def test_c4_paragraph_on_real_pages_matches_the_reference(real_docs):
    step = steps.c4_paragraph()
    for d in real_docs[:120] + [Document(id="e", text=""), Document(id="w", text=" \n\n ")]:
        doc = step.process(Document(id=d.id, text=d.text))
        assert (doc.drop is None) is _reference_paragraph_keep(d.text), d.id


def test_c4_paragraph_counts_carriage_returns_as_the_reference_does():
    text = "\n".join(["x" * 199 + "\r"] * 3)  # 200 characters with the "\r": the reference counts it
    assert _reference_paragraph_keep(text)
    assert steps.c4_paragraph().process(Document(id="r", text=text)).drop is None
