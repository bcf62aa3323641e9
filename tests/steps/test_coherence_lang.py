"""The stitched-page model's fits per language group (winnow.steps._coherence_lang; stitched_model.json "groups")."""

import json
from importlib import resources
from pathlib import Path

import pytest

from winnow.document import Document
from winnow.steps import _coherence_lang as lang
from winnow.steps import coherence
from winnow.steps.coherence import StitchedDocument, analyse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "coherence"


def _jsonl(name):
    with open(FIXTURES / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_the_group_is_guessed_from_function_words_and_script():
    register = _jsonl("register-docs.jsonl")
    want = {"fr": "latin", "sv": "latin", "fi": "latin", "es": "latin", "zh": "other"}
    assert all(lang.guess(d["text"]) == want[d["lang"]] for d in register)
    articles = [lang.guess(d["text"]) for d in _jsonl("aeb-articles.jsonl")]
    # 35 of the 40 articles are English; of the others two are Portuguese, two Russian and one a table of sports
    # scores with too few function words to read as English.
    assert articles.count("en") == 35 and articles.count("other") == 2
    assert lang.guess("") == "other" and lang.guess("1234 5678") == "other"


def test_the_language_label_decides_when_there_is_one():
    en = _jsonl("aeb-articles.jsonl")[0]["text"]
    fr = _jsonl("register-docs.jsonl")[0]["text"]
    assert lang.group(en) == "en" and lang.group(fr) == "latin"
    assert lang.group(en, "fr") == "latin" and lang.group(fr, "en") == "en"
    assert lang.group(en, "zh") == "other" and lang.group(en, "zh-Hans") == "other" and lang.group(fr, "de") == "latin"
    # a label this module does not know, or none: the text's own look
    assert lang.group(fr, "xx") == "latin" and lang.group(en, None) == "en" and lang.group(en, "") == "en"


def test_the_model_file_has_a_fit_per_group_and_says_how_it_was_made():
    m = json.loads(resources.files("winnow").joinpath("data", "coherence", coherence.STITCHED_MODEL).read_text())
    # English only: the Latin-script and other-script fits lost recall against the pooled one once their bias was
    # set out of fold (bench/results/coherence.md, "Per-language page heads").
    assert set(m["groups"]) == {"en"} and m["group_languages"] == {"en": ["en/de"]}
    assert m["provenance"].startswith("bench/coherence_lang_heads.py --write --ship en")
    assert set(m["heads"]) == {"spun", "blocks"} and all(set(v) == {"spun", "blocks"} for v in m["groups"].values())
    assert set(coherence._group_models()) == {"en"}


def test_stitched_document_judges_a_page_by_its_group_fit_and_says_which():
    specimen = (FIXTURES / "stitched-page.txt").read_text(encoding="utf-8")
    doc = StitchedDocument().process(Document("s", specimen))
    assert doc.drop is not None and doc.attributes["stitched_document.head"] == "en"
    pooled = StitchedDocument(heads="pooled").process(Document("s", specimen))
    assert pooled.drop is not None and pooled.attributes["stitched_document.head"] == "pooled"
    a = analyse(specimen)
    for d, head in ((doc, "en"), (pooled, "pooled")):
        assert d.attributes["stitched_document.score"] == coherence._probability(coherence.doc_logits(a, head=head))
    # The specimen is one the pooled fit is sure of (its scattered chrome): that certainty stands under the English
    # fit (coherence.POOLED_SURE), which alone would score it 0.40.
    en_only = coherence._apply(coherence._group_models()["en"], coherence.doc_features(a))
    assert coherence._probability({h: v + coherence._chrome_bonus(a, 0) for h, v in en_only.items()}) < 0.5
    # An English page the two fits judge differently.
    text = next(d["text"] for d in _jsonl("aeb-articles.jsonl") if d["text"].startswith("Hong Kong is burning"))
    scores = {h: StitchedDocument(heads=h).process(Document("x", text)).attributes["stitched_document.score"]
              for h in ("language", "pooled")}
    assert scores["language"] != scores["pooled"]
    # The `language` step's label, when there is one, picks the fit (here a wrong one, to see that it is read):
    # a Finnish page is judged by the pooled fit (the Latin-script group has no fit of its own).
    labelled = Document("s", specimen)
    labelled.attributes["language.lang"] = "fi"
    labelled = StitchedDocument().process(labelled)
    assert labelled.attributes["stitched_document.head"] == "pooled"
    assert labelled.attributes["stitched_document.score"] == pooled.attributes["stitched_document.score"]
    with pytest.raises(ValueError, match="heads"):
        StitchedDocument(heads="english").validate()


def test_without_group_fits_every_page_gets_the_pooled_fit(monkeypatch):
    monkeypatch.setattr(coherence, "_group_models", lambda: {})
    specimen = (FIXTURES / "stitched-page.txt").read_text(encoding="utf-8")
    doc = StitchedDocument().process(Document("s", specimen))
    assert doc.attributes["stitched_document.head"] == "pooled"
    assert doc.attributes["stitched_document.score"] == coherence._probability(
        coherence.doc_logits(analyse(specimen), head="pooled"))
