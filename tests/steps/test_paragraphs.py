"""paragraph_language: Dolma's paragraph split and per-paragraph fastText labels; keep_main_only as explained edits."""

from __future__ import annotations

import re

import pytest

from winnow import Document, steps
from winnow.document import undo_edits
from winnow.steps.paragraphs import paragraph_spans

EN = ("The committee met on Tuesday to discuss the new library building, and most members agreed that the "
      "reading rooms should stay open until late in the evening during the examination weeks.")
EN2 = ("Several residents also asked whether the garden behind the old school could be turned into a small park "
       "with benches, trees and a playground for the children of the neighbourhood.")
FR = ("Le conseil municipal a décidé hier soir de rénover la bibliothèque du quartier, et les habitants pourront "
      "donner leur avis sur les nouveaux horaires pendant tout le mois prochain.")
RU = ("Вчера вечером городской совет решил отремонтировать старую библиотеку, и жители смогут высказать своё "
      "мнение о новом расписании в течение следующего месяца.")


def test_dolma_paragraph_split():
    # Dolma's split_paragraphs: every line with its break, blank lines left out
    text = "a\n\n  \nb c\nlast"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["a\n", "b c\n", "last"]
    ref = [(m.start(), m.end()) for m in re.finditer(r"([^\n]*\n|[^\n]+$)", text) if m.group(0).strip()]
    assert paragraph_spans(text) == ref
    assert paragraph_spans("") == [] and paragraph_spans("\n\n") == []


def test_tags_each_paragraph_and_the_main_language():
    text = f"{EN}\n{FR}\n\n{EN2}\n{RU}\n"
    doc = steps.paragraph_language().process(Document(id="m", text=text))
    rows = doc.attributes["paragraph_language.paragraphs"]
    assert [r[2] for r in rows] == ["en", "fr", "en", "ru"]
    assert all(r[3] > 0.5 for r in rows)
    assert [text[r[0]:r[1]].strip() for r in rows] == [EN, FR, EN2, RU]
    assert doc.attributes["paragraph_language.main"] == "en"
    assert doc.text == text and not doc.edits  # tagging only by default


def test_keep_main_only_removes_the_other_languages_as_edits():
    text = f"{EN}\n{FR}\n\n{EN2}\n{RU}"
    doc = steps.paragraph_language(keep_main_only=True).process(Document(id="m", text=text))
    assert doc.text == f"{EN}\n\n{EN2}\n"
    assert [(e.reason, e.removed.strip()) for e in doc.edits] == [("other_language", FR), ("other_language", RU)]
    assert all(e.score > 0.5 for e in doc.edits)
    assert undo_edits(doc.text, doc.edits) == text
    assert doc.attributes["paragraph_language.removed"] == 2


def test_unsure_short_lines_stay():
    text = f"{EN}\nOK\n{EN2}"
    doc = steps.paragraph_language(keep_main_only=True, min_score=0.99).process(Document(id="s", text=text))
    assert "OK" in doc.text


@pytest.mark.parametrize("text", ["", " ", "\n\n", "\t\n "])
def test_blank_documents(text):
    doc = steps.paragraph_language(keep_main_only=True).process(Document(id="b", text=text))
    assert doc.attributes["paragraph_language.main"] is None and doc.text == text
