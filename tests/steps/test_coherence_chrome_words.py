"""Furniture told by its words (coherence.CHROME_WORDS): short lines worded around furniture nouns and verbs that no
phrase of CHROME_FAMILIES holds ("Your basket is empty", "Proceed to checkout"), on their own line and glued into
a page flattened to one line; and what stays (an author's short sentence, a name or a German noun running on)."""

from winnow.document import Document
from winnow.steps import coherence as C
from winnow.steps.coherence import OfftopicSentences, analyse, families_off

PROSE = [
    "The river flows through the old town and past the cathedral on its way to the sea.",
    "It was built in the twelfth century by monks who came from the abbey upstream.",
    "The bridge was rebuilt after the flood of 1910 and now carries a tram line.",
    "Visitors can climb the tower for a view over the whole valley and the hills beyond.",
    "The museum opens at nine every morning and closes late on Thursdays in summer.",
    "Most of the old houses along the quay were restored with money from the city.",
]


def _reasons(text):
    a = analyse(text)
    return {text[s.start:s.end]: s for s in a.sentences}


def _after(text):
    return OfftopicSentences().map(Document("x", text)).text


def test_reworded_furniture_on_its_own_line_is_removed():
    # None of these is a phrase of CHROME_FAMILIES: found by the words basket, checkout, unsubscribe, Warenkorb.
    for line in ("Your basket is empty", "Proceed to checkout", "Unsubscribe at any time.",
                 "Ihr Warenkorb ist leer", "购物车是空的"):
        text = "\n".join(PROSE[:3] + [line] + PROSE[3:])
        out = _after(text)
        assert line not in out, line
        assert all(p in out for p in PROSE), line


def test_reworded_furniture_glued_to_the_next_sentence_is_cut_off():
    text = " ".join(PROSE[:3]) + " Your basket is empty " + " ".join(PROSE[3:])
    out = _after(text)
    assert "basket" not in out
    assert all(p in out for p in PROSE)


def test_short_sentences_of_the_author_and_running_names_stay():
    for s in ("I found the password on the card.",  # a sentence of 5+ words with its full stop: one word is not enough
              "Checkout lines at Walmart were long.",  # a third of its words are not furniture
              "Basketball courts line the river.",  # "basketball" is not "basket"
              "Der Warenkorb Ihrer Kunden wird am Ende des Tages geleert und neu berechnet."):  # German nouns run on
        text = " ".join(PROSE[:3]) + " " + s + " " + " ".join(PROSE[3:])
        assert _reasons(text)[s].reason is None, s


def test_a_page_about_the_words_keeps_them():
    # The topical guard of by_vocabulary removals: a heading whose words the page's own sentences repeat.
    text = "\n".join(["Password managers", "A password manager stores every password in one vault.",
                      "Each password manager encrypts the vault with a master password."] + PROSE)
    assert "Password managers" in _after(text)


def test_families_off_switches_the_words_off_with_the_phrases():
    text = "\n".join(PROSE[:3] + ["Your basket is empty"] + PROSE[3:])
    assert _reasons(text)["Your basket is empty"].reason == "site_chrome"
    with families_off(["shop"]):
        assert _reasons(text)["Your basket is empty"].reason is None
    with families_off([], drop=lambda w: w == "basket"):
        assert _reasons(text)["Your basket is empty"].reason is None
    assert _reasons(text)["Your basket is empty"].reason == "site_chrome"


def test_words_are_filed_under_families_with_weights():
    words, _, cjk = C._words_table()
    assert words["checkout"] == 1.0 and words["share"] == 0.5 and cjk["购物车"] == 1.0
    assert set(C.CHROME_WORDS) >= set(C.CHROME_FAMILIES)


# Menu trails, family-free: link labels between menu separators, whatever their wording.

def test_a_menu_line_of_link_labels_is_removed_on_its_own_line():
    for line in ("Mentions légales | Politique de confidentialité", "Start › Reisen › Europa",
                 "Svenska | English | Suomi"):
        text = "\n".join(PROSE[:3] + [line] + PROSE[3:])
        out = _after(text)
        assert line not in out, line
        assert all(p in out for p in PROSE), line


def test_a_menu_glued_to_the_next_sentence_is_cut_off_and_the_sentence_stays():
    text = " ".join(PROSE[:3]) + " Über uns | Presse | Karriere " + " ".join(PROSE[3:])
    out = _after(text)
    assert "Presse" not in out and "Karriere" not in out
    assert all(p in out for p in PROSE)


def test_trails_that_are_content_stay():
    for line in ("Price list | 12,99 € | 14,99 €",  # measured values in its cells: a row of data
                 "Tel: 0123 456 | Fax: 0123 457",  # a firm's contact line
                 "x > 5 and y > 7",  # cells open in lower case: an expression
                 "NUMBEROFHOURS > 100"):  # a comparison in a manual's example (hand labels)
        text = "\n".join(PROSE[:3] + [line] + PROSE[3:])
        assert _reasons(text)[line].reason is None, line
    line = "Contact | Paris is the capital of France and its largest city."  # a sentence after the bar: not a label
    text = "\n".join(PROSE[:3] + [line] + PROSE[3:])
    assert "Paris is the capital of France and its largest city." in _after(text)
    rows = ["Name | Field | University", "Anna Berg | Physics | Uppsala", "Jan Holm | Chemistry | Lund"]
    text = "\n".join(PROSE[:3] + rows + PROSE[3:])  # a table: cells in a run of lines
    r = _reasons(text)
    assert all(r[x].reason is None for x in rows)


def test_guillemets_that_quote_are_no_trail():
    # Hand labels: a pair of guillemets around a heading's word, and one opening a quotation after a colon.
    for s in ("Composition « Olfactive » La recherche marketing Avant de créer le parfum, il faut définir sa cible.",
              "Cohen écrit : » Slobodan Milosevic, le dictateur disparu, a mis en mouvement la marée nationaliste."):
        assert C._trail_end(s) is None, s
    assert C._trail_end("Accueil » Actualités » Voyage") is not None


def test_a_glued_trail_ends_before_the_article_that_opens_the_next_sentence():
    # Hand labels: "Droits de l'homme | 10/04/2015 La France condamnée ..." lost "La".
    s = "Accueil | Droits de l'homme | 10/04/2015 La France condamnée par la Cour européenne pour non-application."
    assert s[:C._trail_end(s)] == "Accueil | Droits de l'homme | 10/04/2015"
    s = "Accueil | Actualités » Sekä Sanomalehtien liitto että Viestinnän Keskusliitto kritisoivat raporttia."
    assert s[:C._trail_end(s)] == "Accueil | Actualités »"


def test_a_trail_of_two_cells_glued_to_a_sentence_is_left():
    # Hand labels: a name inside a page's title, a menu path in the text's own instructions.
    for s in ("Cirkus Normal | Cirkusskola i Stockholm för barn och vuxna, med kurser varje vecka.",
              "Mene diagnostiikassa Tests → T.8 Single Lamp Test ja etsi lamppu joka syttyy."):
        assert C._trail_end(s) is None, s


def test_a_long_cjk_cell_is_no_label_and_brand_names_are_exact():
    s = "柏林赫塔VS拜仁前瞻：德甲第一集团大乱斗 拜仁急需抢分 | 来源：互联网 | 作者：探险者体育网"
    assert C._trail_end(s) is None
    assert C._vocabulary_chrome("La reddition fut totale.", ["la", "reddition", "fut", "totale"]) is None
