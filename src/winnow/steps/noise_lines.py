"""Noise lines: the navigation, forum metadata, tag lists, pagination and widget text left between a page's lines.

Line-based rules (C4's, Gopher's) catch a fixed list of shapes; much of what a person would strike out of a
crawled page is none of them: "Pages: 1 2 3 ... 12 Next >", "Posted in General Chat - Reply - Quote (3)", a menu
of fifty one-word lines, "Tags: gardening, roses, pruning". ``line_noise`` weighs cheap shape
signals of each line and its neighbours (length, terminal punctuation, capitals, digits and symbols, link/e-mail/
date shapes, separators, function words, web vocabulary, repetition inside the page, position, how prose-like
the page is around it) with a small gradient-boosted model, and removes the lines it finds noisy, each as an edit
with reason ``noise_line`` and the model's probability as its score.

The model (winnow/data/line_noise/model.json) is fitted by bench/line_noise_train.py; its provenance (data,
commit, held-out scores) is in the file. Without the file the step removes nothing and says so in an attribute.
Pages written on one line (no line breaks) are left alone: the model judges lines, not sentences.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from ..document import Document
from ..registry import register
from ..step import Map
from .coherence import _CJK, _TOKEN, _content
from . import _trees
from ._wordlists import FUNCTION, STOP
from ._packaged import packaged_model

__all__ = ["LineNoise", "line_features", "LINE_FEATURES", "noise_probabilities"]

MODEL = "model.json"

# Function words (short ones included: prose is full of them, menus and tag lists have none): _wordlists.
_FUNCTION = FUNCTION

# Words of a site's furniture rather than of a text: accounts, navigation, sharing, forum bookkeeping, in the
# languages of the training set and a few more. A shape signal among many, not a verdict on its own.
_WEB = frozenset(
    """
    home login logout log sign signin register registration password username account profile menu search
    navigation contact about imprint privacy cookie cookies policy terms copyright rights reserved sitemap rss
    feed subscribe newsletter share tweet facebook twitter instagram pinterest youtube linkedin whatsapp email
    e-mail comment comments reply replies quote posted post posts topic topics thread threads forum forums
    views view member members joined online offline admin moderator previous next page pages prev older newer
    archive archives tags tag labels categories category click download print permalink trackback advertisement
    advertise sponsored cart checkout wishlist basket shipping faq help support jump top
    startseite suche anmelden abmelden registrieren passwort benutzername impressum datenschutz kontakt
    kommentare kommentar antworten teilen weiter zurück seite seiten beiträge beitrag themen thema mitglied
    warenkorb kategorie kategorien schlagwörter
    accueil rechercher connexion inscription déconnexion commentaires commentaire répondre partager suivant
    précédent mentions légales panier catégorie catégories étiquettes sujet sujets messages membre
    inicio buscar registrarse contraseña comentarios comentario responder compartir siguiente anterior
    página páginas contacto carrito categoría categorías etiquetas tema temas mensajes miembro entradas
    etusivu haku kirjaudu rekisteröidy salasana kommentit kommentti vastaa jaa seuraava edellinen sivu sivut
    viestit viesti aihe aiheet jäsen ostoskori kategoriat avainsanat yhteystiedot
    hem sök logga registrera lösenord kommentarer kommentar svara dela nästa föregående sida sidor inlägg
    ämne ämnen medlem varukorg kategorier etiketter kontakta
    """.split()
) | frozenset(
    # The buttons and calls to action of a site (read more, see all, add to cart, book now, sign up, download),
    # written from knowledge of real sites in the languages of the evaluation sets and a few more: fr and sv have
    # no line labels to fit on, so what the model learns of these words from the other languages has to carry over.
    """
    read continue see show add buy order book booking subscribe unsubscribe follow likes
    download upload watch listen play share shares send submit save edit delete cancel close select
    filter sort results loading login signup sign-up newsletter cart items item price prices offer offers
    deals sale shop store shipping delivery returns update updated published author authors
    photo photos image images video videos gallery related popular latest trending recent advertisement ads
    cookies accept settings preferences skip continue reading translate
    lesen weiterlesen anzeigen zeigen hinzufügen kaufen bestellen buchen abonnieren folgen gefällt
    herunterladen ansehen anhören senden speichern bearbeiten löschen abbrechen schließen auswählen filtern
    sortieren ergebnisse preis preise angebot angebote versand lieferung aktualisiert veröffentlicht
    autor foto fotos bild bilder galerie beliebt neueste werbung einstellungen akzeptieren zurück sprache
    lire voir afficher ajouter acheter commander réserver réservation abonner
    abonnez-vous suivre aimer télécharger regarder écouter envoyer enregistrer modifier supprimer annuler
    fermer sélectionner filtrer trier résultats chargement inscrivez-vous connectez-vous prix offre offres
    livraison gratuite promo soldes boutique publié auteur photo vidéo vidéos galerie populaires
    derniers dernières récents publicité paramètres accepter retour langue newsletter découvrir
    identifiant identifiez-vous saisissez cliquez
    leer ver mostrar añadir comprar pedir reservar reserva suscribirse suscríbete seguir
    descargar mirar escuchar enviar guardar editar eliminar cancelar cerrar seleccionar filtrar ordenar
    resultados cargando precio precios oferta ofertas envío tienda actualizado publicado autor foto
    fotos vídeo galería populares últimas publicidad configuración aceptar volver idioma haz clic
    lue näytä osta tilaa varaa seuraa lataa katso kuuntele lähetä tallenna muokkaa
    poista peruuta sulje valitse suodata järjestä tulokset hinta hinnat tarjous tarjoukset toimitus
    ilmainen kauppa päivitetty julkaistu kirjoittaja kuva kuvat video galleria suosituimmat uusimmat
    mainos asetukset hyväksy takaisin kieli
    läs visa lägg köp beställ boka prenumerera följ gilla ladda titta lyssna skicka
    spara redigera radera avbryt stäng välj filtrera sortera resultat laddar pris priser erbjudande
    erbjudanden frakt leverans butik uppdaterad publicerad författare foto bilder galleri populära
    senaste annons inställningar acceptera tillbaka språk klicka
    """.split()
)

_TERMINAL = frozenset(".!?\u3002\uff01\uff1f\u0964\u061f\u06d4\"'\u201d\u2019)\u00bb")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|de|fr|fi|se|es|html?|php)\b|\S@\S+\.\w", re.IGNORECASE)
# Dates: numeric shapes, or a month name (in the languages of the training set) before a number.
_DATE_NUM_RX = r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d\d\b"
_DATE_MONTH_RX = (
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|avr|juil|sept|déc|ene|abr|ago|dic|"
    r"tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu|maj|okt)[a-zé]*\.?\s+\d")
_DATE = re.compile(_DATE_NUM_RX + "|" + _DATE_MONTH_RX, re.IGNORECASE)
_SEP = re.compile(r"\s[|\u00bb\u203a\u2022\u00b7/>\u2013\u2014-]\s|\|\||::|\u00bb|\u203a|\s\|")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7\u25cf\u25aa>\u2013\u2014+]|\d{1,3}[.)]\s|\[\d)")
_BULLET_SIGN = re.compile(r"^\s*[-*\u2022\u00b7\u25cf\u25aa>\u2013\u2014+]")
_MARKUP = re.compile(r"[\[\]{}<>]")
_DIGIT = re.compile(r"\d")
_SYMBOL = re.compile(r"[^\w\s]|_")  # neither a letter or digit nor a space


# The signals of one line, in the order the model file names them.
_OWN = (
    "log_chars", "log_words", "terminal", "colon_end", "ellipsis_end", "question_end", "caps", "all_caps",
    "digits", "symbols", "url", "date", "separators", "web", "function", "bullet", "markup", "mean_word_len",
    "repeated", "same_start", "edge", "rel_pos", "prose_dist", "before_prose", "after_prose", "topic_share",
    "has_stems",
)
_DOC = ("doc_terminal", "doc_log_words", "doc_log_lines", "doc_function", "rel_words")
# Layout signals that need no vocabulary (so they carry over to languages without line labels): a heading stands
# alone before prose, a menu is a long run of short lines of one shape.
_LAYOUT = ("next_prose", "prev_prose", "run_len", "shape_share")
LINE_FEATURES = _OWN + _DOC + tuple(
    f"{side}_{f}" for side in ("prev", "next") for f in ("log_words", "terminal", "caps", "function", "web")
) + ("win_log_words", "win_terminal", "win_function") + _LAYOUT


# The date shapes split in two: the numeric ones, and a month name before a number, which needs a whitespace then a
# digit somewhere in the line (a cheap scan that most lines fail). Every shape has a digit, so a line without one is
# no date (same answers as _DATE, a third of its CPU on the e2e pages: bench/line_noise_speed_check.py).
_DATE_NUM = re.compile(_DATE_NUM_RX, re.IGNORECASE)
_DATE_MONTH = re.compile(_DATE_MONTH_RX, re.IGNORECASE)
_SPACE_DIGIT = re.compile(r"\s\d")
# The same patterns without IGNORECASE, for an ASCII line lower-cased first (their letters are all lower case; on
# ASCII text lower() changes nothing else), which sre scans three times faster than a case-folding search.
_DATE_MONTH_LOWER = re.compile(_DATE_MONTH_RX)
_URL_LOWER = re.compile(_URL.pattern)


def _is_date(s: str, digits: int) -> bool:
    """``bool(_DATE.search(s))``, given the number of digits in ``s``."""
    if not digits:
        return False
    if _DATE_NUM.search(s):
        return True
    if _SPACE_DIGIT.search(s) is None:
        return False
    if s.isascii():
        return _DATE_MONTH_LOWER.search(s.lower()) is not None
    return _DATE_MONTH.search(s) is not None


def _is_url(s: str) -> bool:
    """``bool(_URL.search(s))``: every shape of _URL has a '.' or a ':' (neither has a case to fold)."""
    if "." not in s and ":" not in s:
        return False
    if s.isascii():
        return _URL_LOWER.search(s.lower()) is not None
    return _URL.search(s) is not None


# _WORD and coherence's _TOKEN as they read an ASCII string (a letter or digit of ASCII is [A-Za-z0-9]; no Indic sign
# or curly apostrophe), in plain classes sre scans two to three times faster than Unicode categories and alternations.
_WORD_ASCII = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
_TOKEN_ASCII = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _words(s: str) -> list[str]:
    """``_WORD.findall(s)``."""
    return (_WORD_ASCII if s.isascii() else _WORD).findall(s)


# An ASCII line's characters counted in C (bytes.translate deletes the others): digits (\d), and symbols
# (_SYMBOL: [^\w\s]|_, i.e. neither a letter or digit nor white space as sre reads ASCII, \x1c-\x1f included),
# and _MARKUP's brackets.
_NOT_DIGIT = bytes(c for c in range(128) if not chr(c).isdigit())
_NOT_SYMBOL = bytes(c for c in range(128) if chr(c).isalnum() or chr(c).isspace())
_MARKUP_CHARS = b"[]{}<>"


def _own(line: str) -> list[float]:
    s = line.strip()
    if s.isascii():
        return _own_ascii(s)
    words = _words(s)
    nw = len(words)
    # Lower-cased in one call: a word has no space and lower() makes none (a final sigma sees a space as the end of
    # its word, as it sees the end of a one-word string).
    low = " ".join(words).lower().split(" ") if words else []
    alpha = [w for w in words if w[0].isalpha()]
    na = max(1, len(alpha))
    nc = max(1, len(s))
    last = s[-1] if s else ""
    digits = len(_DIGIT.findall(s))
    return [
        math.log1p(len(s)), math.log1p(nw), float(last in _TERMINAL and not s.endswith(("...", "\u2026"))),
        float(last == ":"), float(s.endswith(("...", "\u2026"))), float(last in "?\uff1f\u061f"),
        sum(1 for w in alpha if w[0].isupper()) / na, sum(1 for w in alpha if len(w) > 1 and w.isupper()) / na,
        digits / nc, len(_SYMBOL.findall(s)) / nc,
        float(_is_url(s)), float(_is_date(s, digits)), min(5.0, len(_SEP.findall(s))),
        sum(map(_WEB.__contains__, low)) / max(1, nw), sum(map(_FUNCTION.__contains__, low)) / max(1, nw),
        float(bool(_BULLET.match(s))), min(4.0, len(_MARKUP.findall(s))),
        sum(map(len, words)) / max(1, nw),
    ]


def _own_ascii(s: str) -> list[float]:
    """_own of a stripped ASCII line: the same values, its character counts made in C and _SEP searched only
    where one of its characters stands (tests/steps/test_noise_lines.py holds it to _own's plain path)."""
    words = _WORD_ASCII.findall(s)
    nw = len(words)
    low = " ".join(words).lower().split(" ") if words else []
    alpha = [w for w in words if w[0].isalpha()]
    na = max(1, len(alpha))
    nc = max(1, len(s))
    last = s[-1] if s else ""
    b = s.encode("ascii")
    digits = len(b.translate(None, _NOT_DIGIT))
    dots = s.endswith(("...", "\u2026"))
    # every separator of _SEP holds one of | / > - : (the others are not ASCII)
    seps = min(5.0, len(_SEP.findall(s))) if ("|" in s or "-" in s or "/" in s or ">" in s or ":" in s) else 0.0
    return [
        math.log1p(len(s)), math.log1p(nw), float(last in _TERMINAL and not dots),
        float(last == ":"), float(dots), float(last in "?\uff1f\u061f"),
        sum(1 for w in alpha if w[0].isupper()) / na, sum(1 for w in alpha if len(w) > 1 and w.isupper()) / na,
        digits / nc, len(b.translate(None, _NOT_SYMBOL)) / nc,
        float(_is_url(s)), float(_is_date(s, digits)), seps,
        sum(map(_WEB.__contains__, low)) / max(1, nw), sum(map(_FUNCTION.__contains__, low)) / max(1, nw),
        float(bool(_BULLET.match(s))), min(4.0, len(b) - len(b.translate(None, _MARKUP_CHARS))),
        sum(map(len, words)) / max(1, nw),
    ]


def _stems(line: str) -> frozenset:
    """``frozenset(_content(_TOKEN.findall(line.lower())))``: a line without Chinese or Japanese (no token of it
    has any) skips _content's per-token script check."""
    low = line.lower()
    if low.isascii():
        toks = _TOKEN_ASCII.findall(low)
    else:
        toks = _TOKEN.findall(low)
        if _CJK.search(low):
            return frozenset(_content(toks))
    return frozenset([t[:5] for t in toks if len(t) >= 4 and t not in STOP])


def line_features(lines: list[str]) -> np.ndarray:
    """One row of LINE_FEATURES per line of ``lines`` (non-empty lines of one page, in order)."""
    return _features(lines)[0]


def _features(lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """line_features and the prose lines' mask (12+ words ending a sentence), which the guards need too."""
    n = len(lines)
    if not n:
        return np.zeros((0, len(LINE_FEATURES))), np.zeros(0, dtype=bool)
    own = np.array([_own(x) for x in lines])
    keys = [" ".join(x.split()).lower() for x in lines]
    counts: dict[str, int] = {}
    starts: dict[str, int] = {}
    first = []
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
        f = " ".join(k.split()[:2])
        first.append(f)
        starts[f] = starts.get(f, 0) + 1
    idx = np.arange(n)
    # Prose lines: 12+ words ending a sentence. Noise sits before, after and between the runs of prose.
    is_prose = (own[:, 1] >= math.log1p(12)) & (own[:, 2] > 0)
    prose = np.flatnonzero(is_prose)
    if len(prose):
        # distance to the nearest prose line, from its neighbours on either side (a lines x prose matrix was
        # quadratic: 4 GB and 20 s on a page of 32,000 lines, half of them prose)
        k = np.searchsorted(prose, idx)
        left = np.where(k > 0, idx - prose[np.maximum(k - 1, 0)], n)
        right = np.where(k < len(prose), prose[np.minimum(k, len(prose) - 1)] - idx, n)
        dist = np.minimum(left, right)
        before, after = (idx < prose[0]).astype(float), (idx > prose[-1]).astype(float)
    else:
        dist, before, after = np.full(n, 20), np.zeros(n), np.zeros(n)
    # Topic: the share of a line's content stems that other lines of the page have (a teaser of another
    # article, a menu item, shares little; a subheading or a list item of the text shares its words).
    stems = [_stems(x) for x in lines]
    df: dict[str, int] = {}
    for st in stems:
        for w in st:
            df[w] = df.get(w, 0) + 1
    topic = [sum(1 for w in st if df[w] >= 2) / len(st) if st else 0.0 for st in stems]
    extra = np.c_[
        [min(4.0, math.log(counts[k])) for k in keys],
        [min(4.0, math.log(starts[f])) if f else 0.0 for f in first],
        np.minimum(np.minimum(idx, n - 1 - idx), 5),
        idx / max(1, n - 1),
        np.log1p(np.minimum(dist, 20)), before, after, topic, [min(3.0, math.log1p(len(st))) for st in stems],
    ]
    lw, term, caps, func, web = own[:, 1], own[:, 2], own[:, 6], own[:, 14], own[:, 13]
    weights = np.exp(own[:, 1])  # prose share weighed by words, so one long paragraph outweighs a menu
    doc = np.c_[
        np.full(n, float((term * weights).sum() / weights.sum())), np.full(n, float(lw.mean())),
        np.full(n, math.log(n)), np.full(n, float((func * weights).sum() / weights.sum())),
        lw - float(np.median(lw)),
    ]
    cols = np.c_[lw, term, caps, func, web]
    pad = np.zeros((1, cols.shape[1]))
    prev = np.r_[pad, cols[:-1]]
    nxt = np.r_[cols[1:], pad]
    win3 = np.c_[lw, term, func]
    # Mean over the two lines before and after (not the line itself): a run of menu items or of prose.
    cs = np.r_[np.zeros((1, 3)), np.cumsum(win3, axis=0)]
    lo = np.maximum(idx - 2, 0)
    hi = np.minimum(idx + 3, n)
    cnt = np.maximum(hi - lo - 1, 1)[:, None]
    win = (cs[hi] - cs[lo] - win3) / cnt
    return np.c_[own, extra, doc, prev, nxt, win, _layout(own)], is_prose


def _layout(own: np.ndarray) -> np.ndarray:
    n = len(own)
    is_prose = (own[:, 1] >= math.log1p(12)) & (own[:, 2] > 0)
    nxt = np.r_[is_prose[1:], False].astype(float)
    prv = np.r_[False, is_prose[:-1]].astype(float)
    # The run of non-prose lines each line sits in (0 for prose): one line between paragraphs is a heading or a
    # caption, thirty are a menu or a listing.
    run = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and not is_prose[j]:
            j += 1
        run[i:j] = j - i
        i = max(j, i + 1)
    # Shape: word-count band, ends a sentence, starts with a capital or a digit; a menu repeats one shape.
    band = np.digitize(own[:, 1], [math.log1p(0.5), math.log1p(3.5), math.log1p(8.5), math.log1p(20.5)])
    key = band * 4 + 2 * (own[:, 2] > 0) + (own[:, 6] >= 0.5)
    share = np.bincount(key.astype(np.int64), minlength=24)[key.astype(np.int64)] / n
    return np.c_[nxt, prv, np.log1p(run), share]


# What the second stage adds to LINE_FEATURES: the first stage's probabilities around each line (noise comes in
# runs: a menu, a footer, a list of other articles' titles).
CONTEXT_FEATURES = ("p_self", "p_prev", "p_next", "p_win2", "p_win5", "p_doc")


def context_features(p: np.ndarray) -> np.ndarray:
    n = len(p)
    idx = np.arange(n)
    cs = np.r_[0.0, np.cumsum(p)]

    def win(k: int) -> np.ndarray:
        lo, hi = np.maximum(idx - k, 0), np.minimum(idx + k + 1, n)
        return (cs[hi] - cs[lo] - p) / np.maximum(hi - lo - 1, 1)

    return np.c_[p, np.r_[0.5, p[:-1]], np.r_[p[1:], 0.5], win(2), win(5), np.full(n, p.mean())]


@functools.cache
def _model() -> dict | None:
    m = packaged_model("line_noise", MODEL, LINE_FEATURES, "bench/line_noise_train.py", {"context": CONTEXT_FEATURES})
    if m is None:
        return None
    return {"stages": [runtime(s) for s in m["stages"]]}


runtime = _trees.load  # bench/line_noise_train.py reads a fitted model through it


def noise_probabilities(lines: list[str]) -> np.ndarray | None:
    """The model's probability that each line is noise (None without the model file)."""
    m = _model()
    if m is None:
        return None
    return predict_stages(m["stages"], line_features(lines))


def _probabilities(lines: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """noise_probabilities and the prose lines' mask (None, None without the model file)."""
    m = _model()
    if m is None:
        return None, None
    x, prose = _features(lines)
    return predict_stages(m["stages"], x), prose


def predict_stages(stages: list[dict], x: np.ndarray) -> np.ndarray:
    """Stage one on the line signals; each later stage on them plus the previous stage's probabilities around."""
    p = predict(stages[0], x)
    for st in stages[1:]:
        p = predict(st, np.c_[x, context_features(p)])
    return p


predict = _trees.probabilities


_TAB = re.compile(r"\t+")


def _cells(line: str) -> int:
    """Cells of a flattened table row: between bars ("|a|b|c|"), or between tabs ("a\t\tb\t\tc", how html_extract
    and resiliparse write a table's cells); 0 for a line of neither."""
    if line.count("|") >= 2:
        return sum(1 for c in line.split("|") if c.strip())
    s = line.strip()
    return sum(1 for c in _TAB.split(s) if c.strip()) if "\t" in s else 0


def _prose(lines: list[str]) -> np.ndarray:
    """Lines of 12+ words that end a sentence. The model judges a line by its page too (noise comes in runs), and
    on a noisy page it took the article's own sentences with the menus; the human labels strike such lines only
    as parts of whole pages of noise (forum listings): protecting them costs 0.5 points of recall on the held-out
    labels and gains as much precision (bench/results/coherence.md)."""
    out = np.zeros(len(lines), dtype=bool)
    for i, x in enumerate(lines):
        s = x.strip()
        if s and s[-1] in _TERMINAL and not s.endswith(("...", "\u2026")) and len(_words(s)) >= 12:
            out[i] = True
    return out


def _content_lines(lines: list[str], prose: np.ndarray | None = None) -> np.ndarray:
    """Lines the text itself is made of, kept whatever the model says: prose, items of a list inside the text,
    entries of a numbered list, rows of a table, and the headings above paragraphs and lists. (Short sentences on a line of their own between
    paragraphs were tried as a guard too and left out: the model rarely removes them there, and of the few it did on
    the Turku labels most were labelled noise: train 2 of 2, dev 8 of 11: teasers of other posts, shop notices.)"""
    if prose is None:
        prose = _prose(lines)
    items = _list_items(lines, prose) | _numbered(lines)
    return (prose | items | _table_rows(lines) | _tab_pairs(lines, prose) | _headings(lines, prose | items)
            | _intros(lines) | _code(lines))


def _intros(lines: list[str]) -> np.ndarray:
    """A sentence that announces what follows ("And its test suite, powered by Mocha and Chai:", "Es posible
    cambiar el idioma, pero para esto debes llenar 2 requisitos:"): 6+ words ending in ':', with a function word,
    not a link and not mostly site vocabulary ("Follow us on:", "Share this:" are too short or all site words). On
    the Turku train split's out-of-fold probabilities, 8 of the 11 such lines the model removed were labelled
    content; on a fresh sample of real pages 2 of 18 wrong removals were such lines."""
    out = np.zeros(len(lines), dtype=bool)
    for i, x in enumerate(lines):
        s = x.strip()
        if not s.endswith(":") or _is_url(s):
            continue
        words = [w.lower() for w in _words(s)]
        if len(words) >= 6 and any(w in _FUNCTION for w in words) and sum(w in _WEB for w in words) * 3 < len(words):
            out[i] = True
    return out


def _heading_shape(s: str) -> bool:
    words = _words(s)
    # A question may head its answer (an FAQ's "How do I apply?", "Hat ein Leasing versteckte Kosten?"); a line ending
    # in "." or "!" is a sentence. (On the Turku train split's leave-one-language-out probabilities the guard keeps two
    # more lines so, both labelled content; on real pages of half 0 of the sites, 92: FAQ questions and headlines
    # mostly, teasers and widget lines ending in "?" the rest.)
    if not 1 <= len(words) <= 12 or s[-1] in ".!" or _is_url(s) or len(_SEP.findall(s)) >= 2:
        return False
    # A heading has a word in it: a line of numbers and symbols alone ("8", "32", "\u00a9 2008 - 2020") above a
    # paragraph is a paragraph number or a footer (on the Turku train split's out-of-fold probabilities, 57 of the
    # 62 such lines the model removed and the guard kept were labelled noise; the others forum post dates).
    if not any(w[0].isalpha() for w in words):
        return False
    return sum(1 for w in words if w.lower() in _WEB) * 3 <= len(words)


def _headings(lines: list[str], below: np.ndarray | None = None) -> np.ndarray:
    """Headings: a short line (1-12 words) without a sentence's end, right before a line of prose or the first item
    of a list in the text (``below``; prose alone when not given), that is neither a link nor mostly site
    vocabulary ("Background", "Findings" above their paragraphs, "Recently fixed issues:" above its list). A menu
    item or a teaser is followed by more of its kind, not by the paragraph it announces. Not extended to a heading
    above a heading, a table or a short sentence: on the Turku line labels most such lines the model removes are
    sidebar and footer headers (train: 75 of 90 labelled noise; dev 111 of 164)."""
    if below is None:
        below = _prose(lines)
    out = np.zeros(len(lines), dtype=bool)
    for i in range(len(lines) - 1):
        if below[i + 1] and not below[i] and lines[i].strip() and _heading_shape(lines[i].strip()):
            # A line after a bullet sign is an item of a list ("- 13 of 15 people found this instruction helpful", a
            # menu's last "\u2022 Kontakt" above the text); it heads the paragraph below only when that paragraph
            # speaks of it (a content stem of the line recurs in it: "\u2022 Steuer" above "... Kreditzinsen von
            # der Steuer absetzen ..."). On the Turku train split's leave-one-language-out probabilities the heading
            # guard kept 48 bulleted lines the model removed, 36 of them labelled noise (review widgets' helpful
            # counts, comment labels).
            if _BULLET_SIGN.match(lines[i]) and not (_stems(lines[i]) & _stems(lines[i + 1])):
                continue
            out[i] = True
    return out


def _list_items(lines: list[str], prose: np.ndarray | None = None) -> np.ndarray:
    """Items of a list in the text: 2-40 bulleted or numbered lines in a row right after a paragraph or a line
    that announces them (ending in ':', not mostly site vocabulary), with prose again after them or announced by
    such a line (a list may end the text: "Here's my list:"). None may be a link. A menu or a category list comes
    before the text or after it, and nothing announces it."""
    out = np.zeros(len(lines), dtype=bool)
    if prose is None:
        prose = _prose(lines)
    after = np.r_[np.cumsum(prose[::-1])[::-1][1:], 0] > 0  # some prose line comes later
    i, n = 0, len(lines)
    while i < n:
        if not _BULLET.match(lines[i]) or i == 0:
            i += 1
            continue
        j = i
        while j < n and _BULLET.match(lines[j]):
            j += 1
        intro = lines[i - 1].strip()
        words = _words(intro)
        announced = intro.endswith(":") and sum(1 for w in words if w.lower() in _WEB) * 2 < len(words)
        if 2 <= j - i <= 40 and (prose[i - 1] or announced) and (announced or (j < n and after[j - 1])):
            items = lines[i:j]
            if not any(_is_url(x) for x in items):
                out[i:j] = True
        i = max(j, i + 1)
    return out


_NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[.)](?!\d)")


def _numbered(lines: list[str]) -> np.ndarray:
    """Entries of a numbered list of the text: 3+ lines whose leading numbers count up or down by one (1., 2., 3.;
    a ranking's 17., 16., 15.), at most 12 lines apart (an entry may have a paragraph of its own), none a link.
    A menu, a tag list or a footer is not numbered; an article's ranking, a list of tips, an album list is, and the
    model took single entries of them on real pages ("17. Roger Daltrey", "72. Dem Lautstärke-Pegel ...")."""
    nums = [(i, int(m.group(1))) for i, x in enumerate(lines) if (m := _NUMBERED.match(x))]
    out = np.zeros(len(lines), dtype=bool)
    k = 0
    while k < len(nums):
        j, step = k, 0
        while j + 1 < len(nums):
            d = nums[j + 1][1] - nums[j][1]
            if d in (1, -1) and d != -step and nums[j + 1][0] - nums[j][0] <= 12:
                step, j = d, j + 1
            else:
                break
        if j - k >= 2 and not any(_is_url(lines[i]) for i, _ in nums[k:j + 1]):
            out[[i for i, _ in nums[k:j + 1]]] = True
        k = j + 1
    return out


def _tab_pairs(lines: list[str], prose: np.ndarray) -> np.ndarray:
    """Rows of a two-column table inside the text: 3+ lines in a row of exactly two tab-separated cells (a term and
    its value: "Summenformel\t\tC2H6O", "Calcium channel blockers\t\tNorvasc (amlodipine), ..."), right after a
    paragraph (a prose line among the 3 lines above the first row), none a link. Bar-separated pairs are left out (the
    line labels call a forum listing's "|Forum||Message|" noise), and so are pairs away from prose (a footer's
    "Tel.:\tnumber", a sidebar's programme schedule). The Turku line labels hold no tabs, so they cannot judge this
    guard; on the real pages of half 0 of the sites (bench/coherence_removals.py's split) the model removed 68 rows
    of such tables, 56 of them content (pros and cons, release dates, a budget's outlook, a review's fields), 12
    furniture (a cookie table; an archive's repeated "by Thread / by Date", which the distinct-rows condition now
    leaves to the model)."""
    out = np.zeros(len(lines), dtype=bool)
    pair = [("\t" in x and "|" not in x and _cells(x) == 2 and not _is_url(x)) for x in lines]
    i, n = 0, len(lines)
    while i < n:
        if not pair[i]:
            i += 1
            continue
        j = i
        while j < n and pair[j]:
            j += 1
        # The rows of a table differ; a run that repeats a row is a menu laid out in cells ("by Thread\t\tby Date"
        # once per month of an archive).
        rows = [" ".join(x.split()) for x in lines[i:j]]
        if j - i >= 3 and prose[max(0, i - 3):i].any() and len(set(rows)) == len(rows):
            out[i:j] = True
        i = j
    return out


# A line of program code: it ends with a semicolon or an opening bracket ("return x;", "function Cow(name) {"), starts
# with a closing one ("}", "]);"), is punctuation alone with a bracket (")", "),"; a lone bullet is none), or is
# markup from a tag to a ">" ("</xsl:template>", "<item id='3'>"). A closing ")" at the end is not enough: a menu's
# "Archiv (12)" ends so. A template's unrendered placeholders ("{* loginWidget *}", "{{ title }}") and a comment
# form's formatting buttons (a short tag alone: "<strong>", "<em>") are a page's furniture, not code.
_CODE_LINE = re.compile(r"[;{\[(]$|^[}\]]|^[^\w\s]*[{}\[\]()][^\w\s]*$|^</?[A-Za-z][^<>]*>(?:.*>)?$")
_PLACEHOLDER = re.compile(r"\{[*{%]|^\s*<[a-z]{1,6}>\s*$")


def _code(lines: list[str]) -> np.ndarray:
    """Lines of a code sample in the text (JSON, SQL, a class's methods): a code-shaped line among 5 in a row (it and
    the two on either side) of which 3 or more look like code, and the lines within two of it. The model reads a lone "{" or "throw new Error(...);" as
    symbols without prose around them, and a post's code is its content (real pages, half 0 of the sites: a SQL
    tutorial's closing brackets, a JavaScript sample, a C# "Hello, world", a JSON structure)."""
    n = len(lines)
    code = np.zeros(n, dtype=bool)
    for i, x in enumerate(lines):
        s = x.strip()
        # the shapes of _CODE_LINE end in one of ";{[(>" or start with one of "}])(<" (a punctuation-only line with a
        # bracket too, but for rare ones like "-)"): a cheap test before the regex
        if s and (s[-1] in ";{[(>" or s[0] in "}])(<") and _CODE_LINE.search(s) and not _PLACEHOLDER.search(x):
            code[i] = True
    out = np.zeros(n, dtype=bool)
    if code.sum() < 3:
        return out
    cs = np.r_[0, np.cumsum(code)]
    idx = np.arange(n)
    lo, hi = np.maximum(idx - 2, 0), np.minimum(idx + 3, n)
    dense = (cs[hi] - cs[lo]) >= 3
    # the lines of the block between and around its code-shaped lines ("SELECT", "FROM", "class Program") belong to
    # it too: those within two lines of a code line in such a run
    for i in np.flatnonzero(dense & code):
        out[max(0, i - 2):i + 3] = True
    for i in np.flatnonzero(out):
        if _PLACEHOLDER.search(lines[i]):
            out[i] = False
    return out


def _table_rows(lines: list[str]) -> np.ndarray:
    """Rows of a table: 3+ lines in a row with the same number (3+) of cells between bars or tabs. A table is content
    (an academic lineage, a price list); the human line labels call tables noise on forum pages, whose listings have
    two cells or ragged rows ("|Forum||Message|"), so the model alone would take both. Tab-separated rows (the
    visible text of web pages) count too: of the article benchmark's lines in such tables, its ground truth puts 70
    of 94 in the article body (price and score tables); a fresh sample of real pages lost a price table's row."""
    out = np.zeros(len(lines), dtype=bool)
    cells = [_cells(x) for x in lines]
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and cells[i] >= 3 and cells[j + 1] == cells[i]:
            j += 1
        if j - i + 1 >= 3:
            out[i:j + 1] = True
        i = j + 1
    return out


@register("line_noise")
@dataclass
class LineNoise(Map):
    """Remove noise lines (menus, forum metadata, pagination, tag lists, widget text) judged by a small model."""

    # Remove a line when the model's probability that it is noise is at least this (headings before their paragraph,
    # list items inside the text, table rows and prose lines are kept whatever it says). At 0.5, on the human line
    # labels' dev split (6 languages; fr and sv without a train split), the default pipeline's line removals reach
    # precision 0.83, recall 0.58; of 141 of its removals on real pages read by hand 89% were right (0.6: 92%, 0.7:
    # 96%, with less recall), and 85 of a fresh sample of 90 from sites not read before, with the list guard applied
    # (bench/results/coherence.md, "Untouched pages and noise_line precision"). At 0.4: 0.80 / 0.63 on the line
    # labels, 88% right by hand, and more of the pages' headings and list items go (bench/results/coherence.md,
    # "Noise lines, second pass"). On the training set's out-of-fold probabilities (5 folds by document,
    # bench/line_noise_train.py --cv) F1 is flat from 0.4 to 0.5 (0.920) and 0.5 is the more precise end (P 0.909,
    # R 0.930; the Turku train lines alone, guards applied: P 0.709, R 0.733). `winnow whatif --set
    # line_noise.threshold=0.4` (or 0.6) replays it on a finished run.
    threshold: float = 0.5
    # Pages with fewer non-empty lines are left alone (a one-line page has no line structure to judge).
    min_lines: int = 3
    REASONS = ("noise_line",)
    FRACTIONS = ("threshold",)
    # winnow whatif --set line_noise.threshold=0.8: removals carry their probability as the edit's score, and the
    # lines kept with a probability of EDIT_FLOOR or more are recorded in line_noise.near as [chars, probability].
    EDIT_THRESHOLDS = {"threshold": ("line_noise.near", "noise_line")}
    EDIT_FLOOR = 0.3

    def map(self, doc: Document) -> Document:
        text = doc.text
        spans, pos = [], 0
        for ln in text.split("\n"):
            if ln.strip():
                spans.append((pos, pos + len(ln)))
            pos += len(ln) + 1
        if len(spans) < self.min_lines:
            return doc
        lines = [text[a:b] for a, b in spans]
        p, prose = _probabilities(lines)
        if p is None:
            doc.attributes[f"{self.name}.model"] = "missing"
            return doc
        p[_content_lines(lines, prose)] = 0.0
        out, near = [], []
        for (a, b), q in zip(spans, p):
            q = round(float(q), 3)  # rounded once: the edit's score is what whatif compares
            # The line with its line break, so no empty line is left behind.
            b = b + 1 if b < len(text) else b
            if q >= self.threshold:
                out.append((a, b, "noise_line", q))
            elif q >= self.EDIT_FLOOR:
                near.append([b - a, q])
        if out:
            doc.remove_spans(self.name, out)
        doc.attributes[f"{self.name}.removed"] = len(out)
        doc.attributes[f"{self.name}.near"] = near
        return doc
