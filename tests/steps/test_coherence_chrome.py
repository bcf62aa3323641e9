"""Chrome told by its shape (coherence._chrome): evidence for offtopic_sentences' site_chrome without phrase lists."""

import json
from importlib import resources

import pytest

from winnow.document import Document
from winnow.steps.coherence import _chrome as cc
from winnow.steps import coherence
from winnow.steps.coherence import CHROME_FAMILIES, OfftopicSentences, analyse, families_off

PROSE = [
    "Die Altstadt von Regensburg gehört seit 2006 zum Weltkulturerbe der UNESCO und zieht jedes Jahr viele Gäste an.",
    "Ihre Gassen sind eng, und viele Häuser stammen noch aus dem Mittelalter, als die Stadt reich am Handel war.",
    "Wer im Sommer kommt, sollte früh am Morgen zur Steinernen Brücke gehen, bevor die Reisegruppen eintreffen.",
    "Die Brücke wurde im zwölften Jahrhundert gebaut und galt lange als ein Wunder der Ingenieurskunst.",
    "Am Nachmittag lohnt sich ein Besuch im Dom, dessen Glasfenster zu den ältesten in Bayern zählen.",
    "Danach kann man am Donauufer eine Bratwurst in der historischen Wurstkuchl essen, die es seit Jahrhunderten gibt.",
    "Die Stadt ist mit dem Zug von München aus in anderthalb Stunden zu erreichen, und der Bahnhof liegt zentral.",
    "Abends spielen in den Biergärten am Fluss oft kleine Bands, und die Stimmung ist entspannt und freundlich.",
]


def _removed_by_shape(text):
    """What the shape model's removals() would take from ``text`` at threshold 0 (every candidate the guards do not
    keep): the guards are then all that stands between a line and removal."""
    a = analyse(text)
    return [text[s:e] for s, e, _, _ in cc.removals(a, threshold=0.0)]


def test_model_file_states_its_features_threshold_and_provenance():
    raw = resources.files("winnow").joinpath("data", "coherence", cc.MODEL).read_text(encoding="utf-8")
    m = json.loads(raw)
    assert tuple(m["features"]) == cc.SHAPE_FEATURES
    assert 0.5 <= m["threshold"] < 1.0
    assert m["provenance"]["script"].startswith("bench/coherence_chrome_shape.py")
    assert "silver" in m["provenance"]["data"]


def test_tables_are_content_whatever_the_model_says():
    # Rows of a table in a run (bars, or tabs): the academic lineage of the issue, a price list.
    rows = ["Advisor | Field | Dissertation | University", "Wilhelm Wundt | Psychology | 1856 | Heidelberg",
            "G. Stanley Hall | Psychology | 1878 | Harvard", "James M. Cattell | Psychometrics | 1886 | Leipzig"]
    text = "\n".join(PROSE[:4] + rows + PROSE[4:])
    assert not any(r in x or x in r for x in _removed_by_shape(text) for r in rows)
    tabbed = ["Montag\t9-18 Uhr", "Dienstag\t9-18 Uhr", "Mittwoch\tgeschlossen"]
    text = "\n".join(PROSE[:4] + tabbed + PROSE[4:])
    assert not any(r in x or x in r for x in _removed_by_shape(text) for r in tabbed)


def test_lists_are_content_whatever_the_model_says():
    items = ["- 200 g Mehl", "- 3 Eier", "- eine Prise Salz", "- 250 ml Milch"]
    numbered = ["1. Steinerne Brücke", "2. Dom St. Peter", "3. Wurstkuchl", "4. Porta Praetoria"]
    for lst in (items, numbered):
        text = "\n".join(PROSE[:4] + lst + PROSE[4:])
        assert not any(r in x for x in _removed_by_shape(text) for r in lst), lst


def test_headings_and_asides_are_content_whatever_the_model_says():
    heading = "Die Steinerne Brücke"
    aside = "Diese Liste ist nicht vollständig und zeigt sicher meine Vorlieben."
    text = "\n".join(PROSE[:2] + [heading] + PROSE[2:5] + [aside] + PROSE[5:])
    gone = _removed_by_shape(text)
    assert heading not in gone and aside not in gone
    # Without the paragraph it names (nothing shares its words after it), a short title-case line is not kept by
    # the heading guard: the guard fails without the shared stems.
    text = "\n".join(PROSE[:2] + ["Neueste Kommentare"] + PROSE[2:])
    assert "Neueste Kommentare" in _removed_by_shape(text)


def test_a_lone_line_with_one_bar_is_judged_not_kept_as_a_table(monkeypatch):
    line = "Bestseller | Neuheiten"
    text = "\n".join(PROSE[:4] + [line] + PROSE[4:])
    monkeypatch.setattr(coherence, "_trail_end", lambda t: None)  # the menu-trail rule off too
    with families_off(sorted(CHROME_FAMILIES)):  # so that the line is a candidate (the rules leave it)
        assert line in _removed_by_shape(text)


@pytest.mark.parametrize("line", ["• Mediathek", "7. Januar 2022", "Mitmachen | Spenden",
                                  "3. August 2015 · Filed under Allgemein"])
def test_furniture_no_phrase_list_names_is_removed_by_its_shape(line, monkeypatch):
    # Every chrome family's phrases off, and the family-free menu trails: only the shape model can find these lines.
    monkeypatch.setattr(coherence, "_trail_end", lambda t: None)
    text = "\n".join(PROSE[:4] + [line] + PROSE[4:])
    with families_off(sorted(CHROME_FAMILIES)):
        on = OfftopicSentences(chrome_shape_threshold=None).map(Document("x", text))  # the model file's threshold
        off = OfftopicSentences().map(Document("x", text))  # the default: off
    assert [e.removed.strip() for e in on.edits] == [line]
    assert on.edits[0].reason == "site_chrome" and on.edits[0].score >= cc._model()[1]
    assert on.edits[0].rule == "chrome_shape"
    assert off.edits == []
    assert all(p in on.text for p in PROSE)


def test_only_sentences_alone_on_their_line_are_judged():
    # The same furniture inside a line of running text (or a piece the splitter cut from a sentence) is left to the
    # phrase rules: of the model's removals read by hand, such pieces were mostly content.
    text = "\n".join(PROSE[:3] + [PROSE[3] + " Mediathek! " + PROSE[4]] + PROSE[5:])
    assert "Mediathek!" in [text[s.start:s.end] for s in analyse(text).sentences]  # a sentence of its own
    assert _removed_by_shape(text) == []
    text = "\n".join(PROSE[:3] + [PROSE[3], "• Mediathek", PROSE[4]] + PROSE[5:])
    assert _removed_by_shape(text) == ["• Mediathek"]


def test_without_the_model_file_nothing_is_removed(monkeypatch):
    monkeypatch.setattr(cc, "_model", lambda: None)
    text = "\n".join(PROSE[:4] + ["• Mediathek"] + PROSE[4:])
    assert cc.removals(analyse(text)) == []
    assert cc.chrome_probabilities(analyse(text)) == {}


def test_candidates_are_linear_on_a_page_flattened_to_one_line():
    # Whether a sentence stands alone on its line was read by slicing the whole line around it: quadratic on a
    # one-line page (about 3x the analysis at 20,000 sentences, 30 s at 100,000). Compared with the analysis of the
    # same page in the same process, with a wide margin.
    import random
    import time

    rng = random.Random(1)
    words = "river mountain garden kitchen engine planet music theory market doctor winter harbor library".split()
    text = " ".join("The {} and the {} met a {} near the {}.".format(*rng.sample(words, 4)) for _ in range(20000))
    t0 = time.process_time()
    a = analyse(text)
    t1 = time.process_time()
    found = cc.candidates(a)
    t2 = time.process_time()
    assert found == []  # no sentence is alone on its line
    assert t2 - t1 < max(0.5 * (t1 - t0), 0.05), (t1 - t0, t2 - t1)


def test_chrome_shape_threshold_is_a_fraction():
    # A negative threshold would remove every short line the rules left alone; 1.0 (off) and None (the file's) pass.
    with pytest.raises(ValueError, match="chrome_shape_threshold"):
        OfftopicSentences(chrome_shape_threshold=-0.5).validate()
    OfftopicSentences(chrome_shape_threshold=None).validate()
    OfftopicSentences(chrome_shape_threshold=1.0).validate()


def test_no_import_circle_with_the_steps_that_use_it():
    # coherence.py imports this module, and noise_lines.py imports coherence.py: reading their word lists from
    # them (even late, inside a function) closed a circle. Both lists live in _wordlists now.
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(cc))
    imported = {(n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.split(".")[-1] in ("coherence", "noise_lines") for m in imported), imported


@pytest.mark.parametrize("line", ["Tel: +49 89 123456 · Fax: +49 89 123457", "Info: (212) 555-0100",
                                  "E-Mail: info@musikschule-regensburg.de"])
def test_contact_lines_of_the_page_are_content_whatever_the_model_says(line):
    # At threshold 0 every candidate the guards let through is removed: the contact guard alone keeps these (the
    # same guard serves the e5 chrome judge, which reads _content_shaped, and the default intruder judge).
    text = "\n".join(PROSE[:4] + [line] + PROSE[4:])
    with families_off(sorted(CHROME_FAMILIES)):
        assert line not in _removed_by_shape(text)
    assert line in OfftopicSentences().map(Document("x", text)).text


def test_contact_finds_the_same_lines_without_trying_every_position_of_a_long_run():
    # The e-mail alternative tried every start inside a run of word characters with no "@" (quadratic: "a" x
    # 32,000 took 2.5 s in offtopic_sentences; tests/test_fuzz_steps.py's linear-time test caught it); anchored at
    # a run's start it finds the same matches.
    import re
    import time

    from winnow.steps.coherence._chrome import CONTACT

    old = re.compile(CONTACT.pattern.replace(r"(?<![\w.+-])", "", 1), re.IGNORECASE)
    for t in ["Mail: john.doe+news@example.com", "x.y@z.de and a@b.org", "café-owner@maison.fr", "tel: +49 30 1234",
              "no address here", "a@b", "foo@@bar.com", "(030) 123 4567", "user@@domain.example.com",
              "..name@site.io", "-a.b@c.de", "Name (at) example.com", "Telefon: 030 12"]:
        a, b = old.search(t), CONTACT.search(t)
        assert (a and a.span()) == (b and b.span()), t
    t = time.process_time()
    assert CONTACT.search("a" * 200_000) is None
    assert time.process_time() - t < 1.0  # quadratic: minutes
