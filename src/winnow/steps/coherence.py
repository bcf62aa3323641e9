"""Stitched pages and the sentences that do not belong in them.

SEO spam pages are stitched from many sources: sentences from several articles on a keyword, shuffled, with the
chrome of the sites they were scraped from (Q&A boilerplate, sidebar question titles, "Click here to find out
more.") left in and no line breaks, so line-based filters cannot touch them. Cheap signals find them:

* site chrome is formulaic: it talks about the page rather than the topic (subscribe, RSS, comments, cookies),
  it is link text ("Related Topics .", "Read more"), forum metadata, table or navigation debris, or a list of
  sources. Families of phrasings seen across many sites, in several languages, not the text of one page;
* a stitched page has no local coherence: in a written text neighbouring sentences share more content words than
  distant ones (lexical cohesion), while shuffled sentences are as related to their neighbours as to any other
  sentence. ``cohesion_z`` measures it like a permutation test (about 0 for shuffled text);
* stitched pages mix topics (few sentences carry the page's main words) and scatter chrome between sentences;
* a sentence lifted from an unrelated page shares no content word with the rest; on a page that looks stitched,
  sentences must share a word the page repeats, and questions (Q&A sidebars list other questions' titles) more.

Everything works on content-word stems (first five letters of words of four or more letters that are not
function words; character bigrams for Chinese and Japanese), computed once per document and shared by both steps
through ``segments(doc).memo``. About 200-300 documents of 5 KB per second per core (bench/coherence.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..document import Document
from ..registry import register
from ..sentences import sentence_spans
from ..step import Filter, Map, Reject
from ..text import segments

__all__ = ["OfftopicSentences", "StitchedDocument", "analyse", "Analysis"]

# --------------------------------------------------------------------------------------------------------------
# Content words

# Letters plus the combining vowel signs of Indic and Arabic scripts (not \w in Python, so words would break).
_L = r"[^\W\d_]|[\u0900-\u0dff\u064b-\u065f\u0670]"
_TOKEN = re.compile(rf"(?:{_L})+(?:['\u2019](?:{_L})+)?", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
_MARKS = re.compile(r"[\u0900-\u0dff\u064b-\u065f\u0670]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Function words of four or more letters (shorter words are ignored anyway) in the languages of the evaluation
# sets. Stems, not words, are compared, so inflected forms of these collapse onto the same five letters.
_STOP = frozenset(
    """
    about above after again against also although always among another anyone anything around away because been
    before being below between both cannot could does doing done down during each either else enough even ever
    every from further had has have having here hers herself himself into itself just least less like made make
    many might more most much must myself neither never none often once only other others ours ourselves over
    perhaps quite rather really same several shall should since some something still such than that their theirs
    them themselves then there therefore these they thing things this those though through thus together too
    toward towards under until upon very want well were what whatever when where whether which while whom whose
    will with within without would your yours yourself also already another became become becomes came come
    comes going said says seem seems take takes taken took used uses using first last next back good great
    little long new old same high small large year years time times people way ways part
    aber alle allem allen aller alles also andere anderen auch auf aus bei beim bereits bin bis bist damit dann
    dass davon dazu dein deine dem den denen denn der deren des dessen die dies diese diesem diesen dieser dieses
    doch dort durch eine einem einen einer eines einige etwa euch euer falls fast für gegen gewesen habe haben
    hatte hatten hier hinter ihre ihrem ihren ihrer immer indem jede jedem jeden jeder jedoch jetzt kann kein
    keine können könnte machen mehr mein meine mich mit muss nach nicht nichts noch nun nur ohne oder sehr
    sein seine seinem seinen seiner selbst sich sie sind sollte sondern soll über unter viel viele vom von
    vor wann war waren warum was weil welche welchem welchen welcher wenn wer werden wie wieder will wir wird
    wurde wurden zum zur zwar zwischen
    alors aussi autre autres avait avant avec avoir cela celle celles celui cette ceux chaque comme comment dans
    depuis donc dont elle elles encore entre était étaient être fait faire leur leurs lors mais même mêmes moins
    nous notre nos ont où par parce pendant peut peu plus pour pourquoi puis quand quel quelle quelles quels
    sans selon sera sont sous tous tout toute toutes très trop vers vous votre vos ainsi après aucun aujourd
    algo algunos algunas ante antes aquel aquella cada como con contra cual cuales cuando desde donde durante
    ella ellas ellos entre esta estas este esto estos está están fueron había hacia hasta hay más mismo mucho
    muy nada nosotros otra otras otro otros para pero poco porque puede pueden sido sobre también tanto tiene
    tienen todo todos toda todas tras una unas unos usted vamos pela pelo pelos pelas isso isto esse essa
    aquele aquela ainda assim até cada como com contra depois desde entre então está estão foram isso mais
    muito muitos nós outro outra para pelo pode podem porque quando sobre também tem têm todo toda uma umas
    alla andra annan annat att bara blev bli blir både dem den denna denne dess dessa det detta dig din dina
    ditt eller efter från genom hade han hans har henne hennes honom hon här icke inom inte jag kan kunde man
    med mellan men mer mig min mina mitt mot mycket många när någon något några och också oss över på sedan
    sig sin sina sitt ska skulle som till under upp vad var vara varit vars vem vi vid vilka vilken vilket
    även ännu
    ainoa aina ehkä eikä eivät että heidän hän häntä hänen ilman itse jolla jolle jonka jossa josta jotka
    jotta kaikki kanssa kuin kuitenkin kun lisäksi mikä minä missä mitä mutta myös niin niiden nyt olemme olen
    olet olevan oli olivat olla ollut ovat paljon sekä sitä siitä sinä sitten tämä tässä tästä vaan vain voi
    voidaan yhä
    aixo això amb aquest aquesta aquests com dels des del els fins però quan també tots totes molt sobre seva
    seus seves més
    adalah akan atau bahwa bagi belum bisa dalam dan dari dengan juga karena kami kita lagi lebih masih mereka
    namun oleh pada para saat sangat saja sebagai sudah tersebut untuk yang ini itu ada tidak
    """.split()
)


def _content(tokens: list[str]) -> list[str]:
    """Content stems of one sentence's lower-cased tokens, in order (repeats kept)."""
    out: list[str] = []
    for tok in tokens:
        if not tok.isascii() and _CJK.search(tok):
            # Chinese/Japanese have no spaces: character bigrams of the CJK runs stand in for words.
            for run in _CJK_RUN.findall(tok):
                out.extend(map(str.__add__, run, run[1:]))
            continue
        if len(tok) < 4 or tok in _STOP:
            continue
        out.append(tok[:5])
    return out


# --------------------------------------------------------------------------------------------------------------
# Site chrome, link text, reference lists

def _rx(*parts: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# Boilerplate of Q&A sites, forums, CMSs, cookie banners and newsletters: sentences that speak about the page, the
# site or the reader's account instead of the topic. Each is a family of phrasings seen across many sites, not the
# text of one page.
_CHROME = _rx(
    r"back (?:them|it) up with (?:references|citations)",
    r"subscribe to (?:this|the|our) (?:rss|feed|channel|newsletter|blog|mailing list)",
    r"copy and paste (?:this|the) (?:url|link)",
    r"(?:in)?to your (?:rss|feed) reader",
    r"comments are not for extended discussion;?(?: this conversation has been(?: moved to chat)?)?",
    r"this conversation has been moved to chat",
    r"thanks for contributing an answer",
    r"please be sure to answer the question",
    r"not the answer you're looking for",
    r"browse other questions tagged",
    r"(?:sign up|log ?in|register) (?:or|to) (?:log ?in|sign up|register|post|comment|reply|continue|view)",
    r"post (?:as a guest|your answer|a comment)",
    r"required,? but never shown",
    r"by clicking [\"\u201c]?(?:post|accept|sign|submit)",
    r"(?:hot|related|linked) network questions",
    r"improve this (?:answer|question)",
    r"(?:add|show \d+ more) comments?\b",
    r"earn \d+ reputation",
    r"highly active question",
    r"(?:this|our) (?:site|website|page|blog) uses cookies",
    r"we use cookies",
    r"(?:accept|allow|manage) (?:all )?cookies",
    r"by (?:continuing to (?:use|browse)|using) (?:this|our) (?:site|website)",
    r"all rights reserved",
    r"(?:powered|proudly powered) by (?:wordpress|drupal|joomla|blogger|phpbb|vbulletin)",
    r"leave a (?:reply|comment)",
    r"your email address will not be published",
    r"required fields are marked",
    r"save my name,? email",
    r"you must be logged in",
    r"log ?in to (?:reply|comment|post)",
    r"skip to (?:main )?content",
    r"(?:sign up|subscribe) (?:for|to) (?:our|the) (?:newsletter|mailing list|updates)",
    r"follow us on (?:twitter|facebook|instagram|linkedin)",
    r"share (?:this|on) (?:facebook|twitter|post|article|page|story)",
    r"(?:privacy policy|terms of (?:use|service))\s*(?:[|\u00b7,]|and)",
    r"view (?:previous|next) topic",
    r"this (?:post|article|entry) was posted in",
    r"(?:posted|published) (?:by|in) \S+ (?:on|at) ",
    r"javascript (?:is )?(?:disabled|required)|enable javascript",
    r"alle rechte vorbehalten|diese (?:web)?seite verwendet cookies|tous droits r\u00e9serv\u00e9s",
    r"ce site utilise des cookies|todos los derechos reservados|(?:este|nuestro) (?:sitio|sitio web) utiliza cookies",
    r"alla r\u00e4ttigheter f\u00f6rbeh\u00e5llna|kaikki oikeudet pid\u00e4tet\u00e4\u00e4n|todos os direitos reservados",
    r"denna webbplats anv\u00e4nder cookies|t\u00e4m\u00e4 sivusto k\u00e4ytt\u00e4\u00e4 ev\u00e4steit\u00e4",
)

# Anchor text that survived extraction: short calls to action and widget titles.
_LINK = _rx(
    r"^(?:click|tap) here\b",
    r"\b(?:click|tap) here (?:to|for)\b",
    r"^(?:read|see|view|show|load|learn|find out|discover) (?:more|all|less|the full)\b",
    r"^find out more\b",
    r"^(?:continue reading|read the (?:full|rest)|more info(?:rmation)?|see also|back to top|next page|previous page)\b",
    r"^(?:related|similar|popular|recent|latest|trending|featured|recommended) "
    r"(?:topics?|posts?|articles?|questions?|stories|videos|searches|links|news|items|products)\b",
    r"^(?:author of|more from|more by|written by|posted by|filed under|tags?|categories|category|share this|share)\s*[:.]?\s*$",
    r"^(?:lue lis\u00e4\u00e4|l\u00e4s mer|leer m\u00e1s|lire la suite|en savoir plus|weiterlesen|mehr erfahren|"
    r"ver m\u00e1s|saiba mais|leia mais|baca juga|selengkapnya)\b",
)

# Words of a bibliography or a "sources" box.
_REFWORDS = re.compile(
    r"\b(?:biography|encyclop(?:a)?edia|university|wikipedia|dictionary|journal|press|retrieved|isbn|doi|"
    r"archived|vol|pp|edition|publisher|library|institute|review|magazine|site|history|educational)\b",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r",\s|\s[-\u2013|\u00b7\u2022]\s|;\s")
_WORDS = re.compile(r"\w+", re.UNICODE)
_WEB_WORDS = frozenset(
    """
    click subscribe subscribed unsubscribe rss feed url urls cookie cookies newsletter login logout signup
    sign password username email e-mail comment comments reply replies share shares tweet facebook twitter
    instagram pinterest whatsapp linkedin youtube browser website websites webpage homepage site sites download
    downloads upload menu privacy copyright reputation upvote downvote moderator moderators forum thread
    threads post posts posted register registered account inbox notifications notification app bookmark
    compartir comentarios comentario responder registrarse partager commentaires connexion inscription
    teilen kommentare anmelden registrieren dela kommentarer logga jaa kommentit kirjaudu rekisteröidy
    """.split()
)
_RULE_CHARS = frozenset("|_-=*~#+\u2022\u00b7\u00a7\u2013\u2014\u2500\u2550")

# Lines of a forum or CMS that carry metadata, not text: "Joined: 28 Nov 2003", "Posts: 1354", "© 2011 Croteam".
_META = re.compile(
    r"^(?:joined|posts|beitr\u00e4ge|location|wohnort|posted|registered|member since|replies|views|rank|"
    r"mitglied seit|inscrit le|messages|viestit|liittynyt|inl\u00e4gg|registrerad)\s*:\s*\S|"
    r"^(?:\u00a9|\(c\)|copyright\b)\s*(?:\d{4}|\w)",
    re.IGNORECASE,
)


# Every _CHROME phrasing contains one of these words: the expensive pattern only runs on sentences that have one.
_CHROME_TRIGGERS = frozenset(
    """
    references citations subscribe rss feed url reader discussion conversation contributing answer questions
    tagged sign log login register guest shown clicking network improve comment comments reputation active
    cookies rights reserved powered reply email published required logged skip newsletter mailing follow share
    privacy terms topic posted javascript rechte webseite seite droits site derechos sitio rättigheter oikeudet
    direitos webbplats sivusto
    """.split()
)


@dataclass(slots=True)
class Sentence:
    start: int
    end: int
    stems: frozenset
    n_words: int
    links: int = 0  # content stems shared with at least one other sentence
    strong: int = 0  # content stems shared with at least three other sentences
    reason: str | None = None
    score: float = 0.0
    # A chrome match that covers only part of the sentence: remove just this span.
    part: tuple[int, int] | None = None
    # Flagged by web vocabulary alone: confirmed only if it does not share the page's topic words.
    by_vocabulary: bool = False
    # Flagged as a short fragment with a detached final period: confirmed only if the page does not detach all
    # its periods (some corpora are tokenised that way).
    detached: bool = False


@dataclass(slots=True)
class Analysis:
    sentences: list[Sentence]
    n_content_sentences: int
    local_cohesion: float  # mean overlap of neighbouring sentences
    global_cohesion: float  # mean overlap of sentences two or more apart
    cohesion_z: float  # standard errors by which neighbours are closer than non-neighbours
    coverage: float  # share of content sentences on the page's main topic stems
    outlier_fraction: float  # content-rich sentences that share nothing with the rest
    chrome_fraction: float
    interleaved_chrome: int  # distinct chrome sentences isolated between real sentences, away from header/footer
    question_fraction: float
    score: float  # stitched-document score in [0, 1]

    @property
    def cohesion_ratio(self) -> float:
        return (self.local_cohesion + 0.01) / (self.global_cohesion + 0.01)


# Short title-case fragments with a detached final period ("Related Topics .") are anchor text glued on by
# extraction. Only cased scripts: some corpora put a space before every period.
_DETACHED = re.compile(r"^[A-Z\u00c0-\u00de][\w'-]*(?:\s[A-Z\u00c0-\u00de0-9&][\w'-]*){0,3}\s\.$")


def _chrome_reason(text: str, lowered: list[str], s: Sentence, offset: int) -> None:
    n_words = len(lowered)
    if n_words <= 7:
        if _LINK.search(text):
            s.reason, s.score = "link_text", 0.9
            return
        if _DETACHED.match(text):
            s.reason, s.score, s.detached = "link_text", 0.7, True
            return
    if not _CHROME_TRIGGERS.isdisjoint(lowered):
        m = _CHROME.search(text)
        if m:
            s.reason, s.score = "site_chrome", 0.95
            before = text[: m.start()].split()
            after = text[m.end():].lstrip(".,;: ")
            if len(before) <= 2 and after[:1].isupper() and len(after.split()) >= 5:
                # Chrome glued to the next real sentence by extraction ("...has been, Though I'm..."): cut only
                # the chrome clause.
                s.part = (offset, offset + len(text) - len(after))
            return
    bars = text.count("|") + text.count("\u00a6")
    if (bars >= 3 and n_words / (bars + 1) <= 5) or "||" in text or (bars >= 2 and text[0] == "|" == text[-1]):
        s.reason, s.score = "site_chrome", 0.9  # a navigation bar or table debris: "Home | About | Contact"
        return
    if n_words == 0 and not any(c.isdigit() for c in text) and any(c in _RULE_CHARS for c in text):
        # Layout debris: "_________", "||", "* * *". Stray punctuation ("...", "»") is left alone: harmless.
        s.reason, s.score = "site_chrome", 0.8
        return
    if n_words <= 8 and _META.match(text):
        s.reason, s.score = "site_chrome", 0.85
        return
    if 1 <= n_words <= 2 and all(w in _WEB_WORDS for w in lowered):
        s.reason, s.score = "link_text", 0.8  # a lone button: "Share", "Register", "COMPARTIR"
        return
    if n_words >= 8:
        seps = len(_SEPARATORS.findall(text))
        if seps >= 4:
            refs = len(_REFWORDS.findall(text))
            if refs >= 3:
                words = [w for w in text.split() if w[0].isalpha()]
                caps = sum(1 for w in words if w[0].isupper()) / max(1, len(words))
                if caps >= 0.5:
                    s.reason, s.score = "reference_list", round(min(1.0, 0.4 + 0.1 * refs + 0.3 * caps), 3)
                    return
    if 3 <= n_words <= 25:
        web = sum(1 for w in lowered if w in _WEB_WORDS)
        if web >= 2 and web / n_words >= 0.15:
            s.reason, s.score = "site_chrome", round(min(1.0, 0.5 + web / n_words), 3)
            s.by_vocabulary = True


def analyse(text: str, spans: list[tuple[int, int]] | None = None) -> Analysis:
    """Sentence spans with their chrome verdicts and topical links, and the document's coherence signals."""
    sents: list[Sentence] = []
    df: dict[str, int] = {}
    questions = 0
    # The plain letter pattern is several times faster; the one with combining marks only where they occur.
    token_re = _TOKEN if _MARKS.search(text) else _LETTERS
    for a, b in sentence_spans(text) if spans is None else spans:
        t = text[a:b]
        tokens = token_re.findall(t.lower())
        if t.isascii() or not _CJK.search(t):
            st = frozenset([w[:5] for w in tokens if len(w) >= 4 and w not in _STOP])
        else:
            st = frozenset(_content(tokens))
        s = Sentence(a, b, st, len(tokens))
        _chrome_reason(t, tokens, s, a)
        if t[-1] in "?\uff1f\u061f":
            questions += 1
        sents.append(s)
        for w in st:
            df[w] = df.get(w, 0) + 1
    n = max(1, len(sents))
    if sum(1 for s in sents if text[s.end - 2: s.end] == " .") > 0.2 * n:
        for s in sents:
            if s.detached:
                s.reason, s.score, s.detached = None, 0.0, False
    vocab = [s for s in sents if s.by_vocabulary]
    if len(vocab) > 0.25 * n:
        # A page about the web: its web vocabulary is its topic.
        for s in vocab:
            s.reason, s.score, s.by_vocabulary = None, 0.0, False
    else:
        topical: dict[str, int] = {}
        for s in sents:
            if s.reason is None:
                for w in s.stems:
                    topical[w] = topical.get(w, 0) + 1
        for s in vocab:
            if sum(1 for w in s.stems if w in topical) >= 2:
                s.reason, s.score, s.by_vocabulary = None, 0.0, False
    n_content = 0
    outliers = 0
    for s in sents:
        links = strong = 0
        for w in s.stems:
            c = df[w]
            if c >= 2:
                links += 1
                if c >= 4:
                    strong += 1
        s.links, s.strong = links, strong
        if len(s.stems) >= 3:
            n_content += 1
            if links == 0 and s.reason is None:
                outliers += 1
    local, glob, z = _cohesion(sents)
    chrome = sum(1 for s in sents if s.reason is not None)
    content_idx = [i for i, s in enumerate(sents) if s.reason is None and len(s.stems) >= 3]
    interleaved = 0
    if len(content_idx) >= 4:
        lo, hi = content_idx[1], content_idx[-2]
        # Distinct texts: a page repeating its own "Read More" under every teaser is not stitched.
        # Only chrome isolated between real sentences: a navigation block or a comment form is a run of chrome
        # lines that the page's own template put there; scraped fragments are scattered one by one.
        interleaved = len({text[s.start:s.end].lower() for i, s in enumerate(sents[lo:hi], lo)
                           if s.reason is not None and sents[i - 1].reason is None and sents[i + 1].reason is None})
    a = Analysis(
        sentences=sents,
        n_content_sentences=n_content,
        local_cohesion=local,
        global_cohesion=glob,
        cohesion_z=z,
        coverage=_coverage(sents, df),
        outlier_fraction=outliers / max(1, n_content),
        chrome_fraction=chrome / n,
        interleaved_chrome=interleaved,
        question_fraction=questions / n,
        score=0.0,
    )
    a.score = _stitched_score(a)
    return a


def _overlap(x: frozenset, y: frozenset) -> float:
    if not x or not y:
        return 0.0
    return len(x & y) / math.sqrt(len(x) * len(y))


def _cohesion(sents: list[Sentence]) -> tuple[float, float, float]:
    """Mean overlap of neighbouring content sentences, mean overlap of non-neighbours, and how many standard errors
    the first lies above the second (a permutation-style z: about 0 for shuffled text)."""
    xs = [s.stems for s in sents if len(s.stems) >= 2 and s.reason is None]
    n = len(xs)
    if n < 4:
        return 0.0, 0.0, 0.0
    norms = [math.sqrt(len(x)) for x in xs]
    local = sum(len(xs[i] & xs[i + 1]) / (norms[i] * norms[i + 1]) for i in range(n - 1)) / (n - 1)
    # Non-neighbour pairs: all of them for ordinary pages, a fixed spread of distances for long ones.
    dists = range(2, n) if n <= 60 else (2, 3, 4, 6, 9, 13, 19, 28, 41, 60)
    tot = tot2 = 0.0
    cnt = 0
    for d in dists:
        for i in range(n - d):
            v = len(xs[i] & xs[i + d])
            if v:
                v /= norms[i] * norms[i + d]
                tot += v
                tot2 += v * v
        cnt += max(0, n - d)
    mean = tot / cnt
    sd = math.sqrt(max(0.0, tot2 / cnt - mean * mean))
    z = (local - mean) / (sd / math.sqrt(n - 1) + 1e-3)
    return local, mean, z


def _coverage(sents: list[Sentence], df: dict[str, int]) -> float:
    """Share of content sentences that mention one of the page's three most frequent content stems."""
    if not df:
        return 0.0
    top = set(sorted(df, key=lambda w: (-df[w], w))[:3])  # ties broken by the word: no dependence on hash order
    xs = [s.stems for s in sents if len(s.stems) >= 3]
    return sum(1 for x in xs if not top.isdisjoint(x)) / max(1, len(xs))


def _stitched_score(a: Analysis, extra_chrome: int = 0) -> float:
    """Logistic combination of the signals, in [0, 1]; 0.5 is the default drop threshold.

    The topical part was fitted (logistic regression, bench/coherence.py's synthetic stitched pages against real
    pages in 12 languages, false positives weighted 3x; ``bench/coherence.py --fit``) and its bias lowered by 0.85
    so that about 1% of real pages score above 0.5. Chrome is added by hand: the synthetic pages use chrome the detector has never seen, so the
    fit cannot weigh it, and many kinds of chrome in the middle of a page are the plainest trace of scraping (two
    are common on real pages: a comment form, a "Read more"; they count from the third distinct one). Chrome counts
    fully only where the sentences around it do not follow one another (z <= 1) and not at all where they clearly
    do (z >= 3): scattered chrome in a coherent text is the site's template (teasers, captions), not stitching.
    """
    n = a.n_content_sentences
    if n < 8:
        return 0.0
    z = min(a.cohesion_z, 10.0)
    d = z / math.sqrt(n - 1)
    logit = (2.636 - 0.85
             - 0.619 * z - 1.214 * d + 0.05 * math.log(n) - 3.946 * a.coverage - 45.6 * a.global_cohesion
             + 1.0 * min(max(0, a.interleaved_chrome + extra_chrome - 2), 4) * min(1.0, max(0.0, (3.0 - z) / 2))
             + 2.0 * a.question_fraction)
    return round(1.0 / (1.0 + math.exp(-logit)), 4)


def _analysis(doc: Document) -> Analysis:
    seg = segments(doc)
    return seg.memo("coherence.analysis", lambda t: analyse(t, seg.sentences))


# --------------------------------------------------------------------------------------------------------------
# Steps

@register("offtopic_sentences")
@dataclass
class OfftopicSentences(Map):
    """Remove site chrome, link text, reference lists and sentences unrelated to the page's topic."""

    remove_chrome: bool = True
    remove_off_topic: bool = True
    # A sentence is off topic when it has at least this many content words and shares none with the rest of the
    # page; on pages that look stitched (score >= stitched_threshold) one shared word is not enough to stay.
    min_content_words: int = 6
    stitched_threshold: float = 0.5
    min_sentences: int = 12
    REASONS = ("site_chrome", "link_text", "reference_list", "off_topic")
    FRACTIONS = ("stitched_threshold",)

    def map(self, doc: Document) -> Document:
        a = _analysis(doc)
        spans = []
        stitched = a.score >= self.stitched_threshold
        n = len(a.sentences)
        for s in a.sentences:
            if s.reason is not None:
                if self.remove_chrome:
                    if s.part is not None:
                        spans.append((s.part[0], s.part[1], s.reason, s.score))
                    else:
                        spans.append((s.start, s.end, s.reason, s.score))
                continue
            if n < self.min_sentences or not self.remove_off_topic:
                continue
            k = len(s.stems)
            if k >= self.min_content_words and s.links == 0:
                spans.append((s.start, s.end, "off_topic", 1.0))
            elif stitched and k >= 4 and _loose(s, doc.text):
                spans.append((s.start, s.end, "off_topic", round(1.0 - s.links / k, 3)))
        if spans:
            doc.remove_spans(self.name, _widen(doc.text, spans))
        doc.attributes[f"{self.name}.removed"] = len(spans)
        return doc


def _loose(s: Sentence, text: str) -> bool:
    """On a stitched page, sentences need a firmer hold on the topic: a stem the page repeats (strong link).
    Questions are held to more: the sidebars of Q&A sites are lists of other questions' titles."""
    k = len(s.stems)
    if text[s.end - 1] in "?\uff1f\u061f":
        return s.strong == 0 or (s.strong <= 1 and s.links / k <= 0.34)
    return s.strong == 0 and s.links <= 1 and k >= 6


def _widen(text: str, spans: list) -> list:
    """Take the whitespace after each removed sentence with it, so no double spaces are left behind."""
    out = []
    spans = sorted(spans)
    for i, (a, b, r, sc) in enumerate(spans):
        limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        while b < limit and text[b] in " \t":
            b += 1
        out.append((a, b, r, sc))
    return out


@register("stitched_document")
@dataclass
class StitchedDocument(Filter):
    """Drop pages stitched together from unrelated sources (shuffled sentences, chrome, off-topic inserts)."""

    threshold: float = 0.5
    REASONS = ("stitched",)
    FRACTIONS = ("threshold",)
    THRESHOLDS = {"threshold": ("stitched_document.score", ">=", "stitched")}

    def reject(self, doc: Document) -> Reject | None:
        a = _analysis(doc)
        repeated = _repeated_inside(doc)
        score = _stitched_score(a, repeated) if repeated else a.score
        doc.attributes["stitched_document.score"] = score
        doc.attributes["stitched_document.repeated"] = repeated
        # The signals behind the score, for the report and for re-thresholding.
        doc.attributes["stitched_document.cohesion_z"] = round(a.cohesion_z, 3)
        doc.attributes["stitched_document.coverage"] = round(a.coverage, 3)
        doc.attributes["stitched_document.chrome_inside"] = a.interleaved_chrome
        return Reject("stitched", score, self.threshold) if score >= self.threshold else None


_CHROME_REASONS = frozenset({"site_chrome", "link_text", "reference_list"})


def _repeated_inside(doc: Document) -> int:
    """Distinct chrome sentences already removed from the middle of this page by earlier steps: ``line_dedup``
    (sentences many other pages of the corpus have: corpus-wide evidence) and ``offtopic_sentences`` (chrome found
    by pattern, so the verdict does not depend on the order of the two steps). Edit offsets index the text as it
    was, so positions are judged against the text's length before those edits."""
    edits = [e for e in doc.edits
             if (e.step == "line_dedup" and e.reason == "repeated_line")
             or (e.step == OfftopicSentences.name and e.reason in _CHROME_REASONS)]
    if not edits:
        return 0
    total = len(doc.text) + sum(len(e.removed) - len(e.replacement) for e in edits)
    inside = set()
    for step in {e.step for e in edits}:
        mine = sorted((e for e in edits if e.step == step), key=lambda e: e.start)
        for i, e in enumerate(mine):
            # Removed spans take their trailing spaces, so chrome that came in a run has spans a line break apart.
            if i > 0 and mine[i - 1].end + 3 >= e.start or i + 1 < len(mine) and e.end + 3 >= mine[i + 1].start:
                continue
            if 0.1 * total < e.start < 0.9 * total:
                inside.add(e.removed.strip().lower())
    return len(inside)
