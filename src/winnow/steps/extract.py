"""``html_extract``: turn the raw HTML in ``metadata["html"]`` into the document's text.

Backends:

* ``resiliparse``  Resiliparse's main-content extraction as it ships (fast, generous: keeps sidebars, captions).
* ``trafilatura``  trafilatura's default extraction (precise, an order of magnitude slower; optional install).
* ``combined``     (default) the union of Resiliparse's main-content blocks and the page's other text blocks,
  cleaned by one block classifier. The page is parsed once; Resiliparse renders it twice from the same tree
  (main content, and all visible text outside <nav> and <footer>) as minimal HTML with links, so each block comes
  with its link density and its kind (heading, paragraph, list item, table row, code). A block is kept when
  Resiliparse's structural heuristics chose it and it does not look like boilerplate, or when Resiliparse dropped
  it but it is article-like prose inside the main region (recipe lists and tables that the main-content pass loses). Leading
  and trailing furniture (bylines, dates, "read more", comment forms, related links) is cut at the edges of the
  region where the long, link-poor prose lies; standfirst headings above it and prose right next to it join it.
  <noscript> content is rendered (some blogs ship the article only there). The text comes out in NFC without
  soft hyphens. See bench/results/extraction.md for what each part buys.

Hostile markup is bounded before it can make one page superlinear: a tag keeps its first 255 attributes and a
subtree deeper than 256 elements is flattened (no page of the evaluation sets comes near either; see
``cap_attributes`` and ``cap_depth``). Work and memory per page stay linear in its size.

Documents without HTML pass through untouched. Documents a WARC reader produced from a non-200 or non-HTML
response are rejected (``http_status``, ``not_html``); a page with no extractable main text is rejected
(``no_main_content``). Title and language hints from the page go into metadata.
"""

from __future__ import annotations

import ctypes
import html as htmllib
import re
import threading
import unicodedata
from dataclasses import dataclass

from .. import _native
from ..document import Document, Drop
from ..registry import register
from ..step import Step

__all__ = ["HtmlExtract", "extract", "page_hints", "BACKENDS"]

BACKENDS = ("combined", "resiliparse", "trafilatura")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xhtml", "text/xhtml")

# --- minimal-HTML block parsing ------------------------------------------------------------------------------
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|([^<]+)")
_BLOCK_TAGS = {"p": "p", "h1": "h", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h", "li": "li", "pre": "pre"}
_WS = re.compile(r"[ \t\r\f\v\xa0]+")
_LONG_HEADING = 200  # longer "headings" are paragraphs in heading tags (tuned on the three sets)


@dataclass(slots=True)
class Block:
    kind: str  # p | h | li | pre | row (table row) | text
    text: str
    link_chars: int = 0
    level: int = 0  # heading level
    in_main: bool = False
    keep: bool = False


_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r"<a\b[^>]*>([^<]*)</a>")
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_BR = re.compile(r"<br>\n?")
_KINDS = {"<p>": "p", "<li": "li", "<h1": "h", "<h2": "h", "<h3": "h", "<h4": "h", "<h5": "h", "<h6": "h"}


def parse_blocks(minimal_html: str, links: bool = True, memo: dict | None = None) -> list[Block]:
    """Split Resiliparse's ``minimal_html`` rendering into blocks. Resiliparse writes one block per line (a
    paragraph, a heading, a list item, a table row, a div's text); ``<br>`` and ``<pre>`` are the only things
    that span lines, so they are folded first. Line-wise string work keeps this a small part of the step's cost.

    A block depends on its line alone, so ``memo`` (line -> block fields) lets a second rendering of the same page
    reuse the first one's work: most lines of the main-content rendering are lines of the whole-page one. Lines
    are parsed with ``links`` as given, so one memo must only ever be used with one value of it.

    Where html_extract's compiled kernels are built, ``blocks_parse`` (_native/extract.c) parses the lines in C
    and the blocks are made from its arrays (the memo is then not needed); it gives up on what it does not mirror
    (<pre>, entities other than the four Resiliparse writes, ...) and this path parses the page instead."""
    if links:
        got = _blocks_c(minimal_html)
        if got is not None:
            return got
    pres: list[str] = []
    if "<pre>" in minimal_html:
        def _stash(m: re.Match) -> str:
            pres.append(htmllib.unescape(_TAG.sub("", m.group(1))).strip("\n"))
            return f"\n\x02{len(pres) - 1}\n"
        minimal_html = _PRE.sub(_stash, minimal_html)
    if "<br>" in minimal_html:
        minimal_html = _BR.sub(" ", minimal_html)
    blocks: list[Block] = []
    append = blocks.append
    for line in minimal_html.split("\n"):
        if not line:
            continue
        if line[0] == "\x02":
            append(Block("pre", pres[int(line[1:])]))
            continue
        if memo is not None:
            got = memo.get(line, _MISS)
            if got is _MISS:
                got = memo[line] = _parse_line(line, links)
            if got is not None:
                append(Block(*got))
            continue
        got = _parse_line(line, links)
        if got is not None:
            append(Block(*got))
    return blocks


_MISS = object()
_PARSE_MAX = 0x3FFFFFFF  # extract.c's blocks_parse: longer renderings go to the pure path (its offsets are int32)
_KIND_NAMES = ("p", "h", "li", "pre", "row", "text")  # extract.c's K_* codes
_CODECS = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}


def _parse_c(lib, minimal_html: str, slot: str) -> tuple | None:
    """blocks_parse into scratch buffers ``slot`` (texts, then five int32 per block): (blocks, width, texts, meta),
    or None where the kernel leaves the page to the pure path."""
    view = _native.str_units(minimal_html)
    if view is None:
        return None
    n, width = len(minimal_html), view[1]
    if n > _PARSE_MAX:  # refused by the kernel anyway: not worth 2 * n * width bytes of scratch first
        return None
    cap = minimal_html.count("\n") + 1
    out, meta = _scratch(slot + "out", 2 * n * width + 4), _scratch(slot + "meta", 20 * cap)
    nb = lib.blocks_parse(view[0], n, width, out, meta, cap)
    return None if nb < 0 else (nb, width, out, meta)


def _make_blocks(nb: int, width: int, out, meta) -> list[Block]:
    if nb == 0:
        return []
    m = memoryview(meta).cast("B").cast("i")[:5 * nb].tolist()
    text = ctypes.string_at(out, m[-1] * width).decode(_CODECS[width], "surrogatepass")
    kinds = _KIND_NAMES
    return [Block(kinds[m[i]], text[m[i + 3]:m[i + 4]], m[i + 2], m[i + 1]) for i in range(0, 5 * nb, 5)]


def _blocks_c(minimal_html: str) -> list[Block] | None:
    """parse_blocks(minimal_html) through the C kernel, or None where it is not built or leaves the page to the
    pure path. Its texts come back in one buffer of the rendering's own width, decoded once and sliced."""
    lib = _native.extract_kernels()
    if lib is None:
        return None
    got = _parse_c(lib, minimal_html, "a")
    return None if got is None else _make_blocks(*got)


def _combined_c(full_html: str, main_html: str) -> tuple[list[Block], list[bool]] | None:
    """extract_combined's blocks, main-content marks and _prose flags through the C kernels (blocks_parse on both
    renderings, blocks_match: the same keys and order as the pure path), or None for the pure path."""
    lib = _native.extract_kernels()
    if lib is None:
        return None
    full = _parse_c(lib, full_html, "a")
    main = _parse_c(lib, main_html, "b") if full is not None else None
    if main is None:
        return None
    (fnb, fw, fout, fmeta), (mnb, mw, mout, mmeta) = full, main
    flags = _scratch("flags", fnb + 1)
    if lib.blocks_match(fout, fw, fmeta, fnb, mout, mw, mmeta, mnb, flags):
        return None
    blocks = _make_blocks(*full)
    marks = ctypes.string_at(flags, fnb)
    for b, f in zip(blocks, marks):
        if f & 1:
            b.in_main = True
    return blocks, [f > 1 for f in marks]


_SCRATCH = threading.local()
_SCRATCH_KEEP = 1 << 24  # larger buffers (a rendering of several MB) are not kept after the page


def _scratch(name: str, size: int):
    """A reusable buffer of at least ``size`` bytes per thread (grown by doubling up to _SCRATCH_KEEP; the kernels
    write before they read, so old contents do not matter); a larger one is allocated for this page only."""
    if size > _SCRATCH_KEEP:
        return ctypes.create_string_buffer(size)
    buf = getattr(_SCRATCH, name, None)
    if buf is None or len(buf) < size:
        buf = ctypes.create_string_buffer(min(_SCRATCH_KEEP, max(size, 2 * len(buf) if buf is not None else 1 << 16)))
        setattr(_SCRATCH, name, buf)
    return buf


def _parse_line(line: str, links: bool) -> tuple[str, str, int, int] | None:
    """One rendered line's block fields (kind, text, link characters, heading level), or None for no block."""
    line = line.strip()
    if not line:
        return None
    kind, level, link = "text", 0, 0
    if line[0] == "<":
        kind = _KINDS.get(line[:3], "text")
        if kind == "h":
            level = int(line[2])
    if "<" in line:
        if links and "<a" in line:
            link = sum(len(x.strip()) for x in _LINK.findall(line))
        line = _TAG.sub("", line)
    if "&" in line:
        line = htmllib.unescape(line)
    if "\t\t" in line:
        kind = "row"
    else:
        line = line.strip()
    if not line:
        return None
    if kind == "h" and len(line) > _LONG_HEADING:
        kind, level = "p", 0  # a paragraph set in a heading tag (a standfirst, or bad markup), not a title
    return kind, line, min(link, len(line)), level


# --- block classification -------------------------------------------------------------------------------------
# Short lines that mark furniture in the languages of the evaluation sets (en, de, fr, es, it, pt, nl, pl).
_BOILER = re.compile(
    r"^\W*(?:"
    r"share|tweet|teilen|partager|compartir|condividi|print|drucken|e-?mail|whatsapp|facebook|twitter|pinterest|"
    r"linkedin|xing|related|read more|more from|more in|see also|you may also like|recommended|popular|trending|"
    r"most (?:read|popular|viewed)|tags?|schlagw[öo]rter|stichw[öo]rter|themen|topics|categories|kategorien?|"
    r"filed under|posted in|advert(?:isement)?|anzeige|werbung|sponsored|publicit[ée]|"
    r"comments?|kommentare?|leave a (?:reply|comment)|schreibe? einen kommentar|kommentar (?:verfassen|schreiben)|"
    r"antworten|reply|post a comment|publier un commentaire|deja un comentario|"
    r"newsletter|subscribe|abonnieren|sign up|anmelden|log ?in|registrieren|"
    r"copyright|©|\(c\)|all rights reserved|alle rechte vorbehalten|impressum|datenschutz|privacy|cookies?|"
    r"lesen sie (?:auch|mehr)|mehr zum thema|weitere artikel|das k[öo]nnte (?:dich|sie) (?:auch )?interessieren|"
    r"auch interessant|zum weiterlesen|weiterlesen|zur[üu]ck|zur startseite|nach oben|back to top|"
    r"foto|fotos|bild|bilder|photo|image|quelle|source|credit|titelbild|"
    r"lea tambi[ée]n|leer m[áa]s|lire aussi|voir aussi|leia tamb[ée]m|"
    r"your email address will not be published|(?:ihre|deine) e-mail-adresse wird nicht ver[öo]ffentlicht|"
    r"(?:möchten sie )?(?:den|diesen) artikel (?:mit anderen )?teilen|war (?:der|dieser) artikel (?:nützlich|hilfreich)|"
    r"was this (?:article|post|page) helpful|vergrößern|"
    r"(?:dieses \w+ )?(?:als )?pdf (?:herunterladen|download)|download (?:as )?pdf|kontakt|ansprechpartner(?:in)?|"
    r"contact us|"
    r"about the author|über den autor|über die autorin|author|autor(?:in)?|von|by|redaktion|"
    r"previous|next|vorheriger?|n[äa]chster?|zurück zur"
    r")(?:\b|\W|$)", re.I)
_END = re.compile(
    r"^\W*(?:related(?: \w+)?|read more|more (?:from|in|on)|you may also like|recommended(?: for you)?|"
    r"most (?:read|popular)|popular (?:posts|articles|stories)|more stories|"
    r"comments?|\d+ comments?|kommentare?|\d+ kommentare?|leave a (?:reply|comment)|schreibe? einen kommentar|"
    r"kommentar (?:verfassen|schreiben)|lesen sie auch|mehr zum thema|weitere artikel|"
    r"das k[öo]nnte (?:dich|sie) auch interessieren|auch interessant|zum weiterlesen|"
    r"about the author|über den autor|über die autorin|tell us what you think|"
    r"lea tambi[ée]n|lire aussi|voir aussi|leia tamb[ée]m|"
    r"share this(?: \w+)?|diesen artikel teilen|artikel teilen|"
    r"ähnliche (?:beiträge|artikel|themen)|weitere (?:beiträge|artikel|news|nachrichten|themen)|"
    r"neueste (?:artikel|beiträge|nachrichten)|(?:die )?meistgelesenen?(?: .{0,40})?|top[- ]themen(?: .{0,30})?|"
    r"entdecke (?:weitere|mehr) .{0,40}|unsere partner(?: .{0,40})?|"
    r"vous aimerez (?:aussi|également)|sur le même (?:sujet|thème)|à lire (?:aussi|également)|"
    r"(?:también )?te (?:puede|podría) interesar|noticias relacionadas|potrebbe interessarti|leggi anche|"
    r"articoli correlati|czytaj (?:też|także|również)|zobacz (?:też|również)|"
    r"more (?:news|articles|stories|posts)(?: .{0,30})?|latest (?:news|articles|posts|stories)|"
    r"recent (?:posts|articles)|explore further)\W*$", re.I)
_SENTENCE_END = re.compile(r"[.!?…:;\"'»«“”)\]。！？]\s*$")


def _prose(b: Block) -> bool:
    """Long, link-poor and sentence-like: text nobody puts in a sidebar."""
    n = len(b.text)
    if b.kind in ("h", "row") or n < 60:
        return False
    ld = b.link_chars / n
    if ld > 0.35:
        return False
    words = b.text.count(" ") + 1
    cjk = n > 30 and words < n / 12  # CJK text has few spaces
    return (words >= 10 or cjk) and (n >= 150 or _SENTENCE_END.search(b.text) is not None or ld < 0.05)


def _boiler(b: Block) -> bool:
    n = len(b.text)
    if n and b.text[0] == "<" and b.kind != "pre" and _escaped_pixel(b.text):  # an escaped tracking pixel
        return True
    if n and b.link_chars / n > 0.6 and n < 300:
        return True
    if n < 90 and b.kind != "pre" and _BOILER.match(b.text) is not None:
        return True
    if n < 300 and _TEASER.match(b.text):
        return True
    return n < 160 and b.kind != "pre" and _CREDIT.search(b.text) is not None


_PIXEL = re.compile(r"<img\b[^>]*?(?:\b(?:height|width)\s*=\s*[\"']?[01][\"'\s/>]|display\s*:\s*none)", re.I)


def _escaped_pixel(text: str) -> bool:
    """A tracking pixel shown as text: a page that escaped its 1x1 or hidden <img> into the body ("&lt;img
    height=1 ...&gt;", seen on scrapinghub-aeb pages). Only such images, and only when tags are four fifths of the
    block: HTML shown as an example outside <pre> ("<form action=...>" on a tutorial page) is text."""
    return _PIXEL.match(text) is not None and len(_TAG.sub("", text).strip()) * 5 < len(text)


# Inline pointers to other articles, whatever their length: "Lesen Sie auch: <headline>".
_TEASER = re.compile(r"^\W*(?:lesen sie (?:auch|mehr|hier)|lies auch|read (?:more|also|next)|see also|related|"
                     r"mehr zum thema|auch interessant|das k[öo]nnte|lea tambi[ée]n|lee tambi[ée]n|lire aussi|"
                     r"[àa] lire aussi|leia tamb[ée]m|leggi anche|zobacz (?:te[żz]|r[óo]wnie[żz])|czytaj (?:te[żz]|"
                     r"tak[żz]e|r[óo]wnie[żz])|weiterlesen|mehr dazu|more on this)\b", re.I)


# Picture credits and captions: "(Foto: dpa)", "© Rike/pixelio.de", "Photo: Getty Images".
# The lookahead names every first character a match can have (the same letters, folded by the same re.I, as the
# alternatives' first letters): the same matches, and the search skips other positions at once (half the CPU of
# this search, ~0.15 s on the e2e WARC's pages; tests/steps/test_extract.py checks it against the plain pattern).
_CREDIT_ALTS = (r"©|\(c\)|\b(?:foto|fotos|photo|bild|image|credit|quelle|source|illustration|grafik|abbildung)\s*:|"
                r"\b(?:getty ?images|shutterstock|istock|imago|pixelio|dpa|reuters|afp|ap photo|picture alliance|"
                r"unsplash|pixabay)\b")
_CREDIT = re.compile(r"(?=[©(fpbicqsgadru])(?:" + _CREDIT_ALTS + ")", re.I)
# Skipped in both renderings: captions and related-article boxes are furniture wherever they sit. (Broader
# patterns such as [class*=share] or [class*=author] also match <body> or article classes on real pages.)
_SKIP = ["figcaption", "[class*=caption]", "[class*=related]", "[id*=related]"]
# Skipped in the whole-page rendering only: <nav> and <footer> hold a page's menus, link lists and footers, which
# the classifier nearly always dropped, and on news and blog pages they are a fifth of the blocks it would otherwise
# parse, key and classify (trafilatura-eval's 990 pages: whole-page rendering 0.82 -> 0.64 CPU s, the Python after
# it ~20% less; bench/results/e2e.md). Resiliparse's main-content choice is left as it is (it drops most of them
# already: skipping them there too saved 4%). Extraction F1 (bench/extraction.py) with this and the escaped-pixel
# rule (_escaped_pixel), against without: scrapinghub-aeb 0.96664 -> 0.96687, trafilatura-eval 0.92435 -> 0.92515,
# CleanEval the same text on all 739 pages. (<nav> alone lost 0.0001 on aeb: the menu had stopped the region's
# lead above an escaped tracking pixel, which that rule now drops.)
_SKIP_PAGE = [*_SKIP, "nav", "footer"]
# Tuned on all three sets of bench/extraction.py (see bench/results/extraction.md): prose anchors further apart
# than _MAX_GAP blocks start a new run, where a block Resiliparse kept as content counts _GAP_MAIN of a block;
# a run joins the core when it holds _JOIN of the best run's prose; an end marker with the article resuming
# within _INLINE_BOX blocks is an inline box; below _FALLBACK of Resiliparse's main-content characters its
# choice is added to the region; standfirst headings are looked for up to _LEAD_WINDOW blocks above the region;
# a tail pattern in a paragraph of _TAIL_LONG characters or more counts only within its first _TAIL_EARLY.
_MAX_GAP = 15
_GAP_MAIN = 0.25
_JOIN = 0.12
_INLINE_BOX = 4
_FALLBACK = 0.5
_LEAD_WINDOW = 8
_TAIL_EARLY = 100
_TAIL_LONG = 150
_LINKED_SENT = 80  # shortest linked paragraph in the region kept as a sentence
_THIN_MAIN = 400  # main-content prose below this (chars) ...
_OUTSIDE = 10  # ... with this many times more prose on the page: anchors on all prose
_LEAD_MIN = 20  # shortest lead line taken into the region ("Liebe Leserin,")


def classify(blocks: list[Block], prose: list[bool] | None = None) -> None:
    """Set ``keep`` on the blocks of a whole-page rendering whose ``in_main`` marks Resiliparse's choice
    (``prose``: each block's _prose where already computed, by the compiled kernel)."""
    if not blocks:
        return
    if prose is None:
        prose = [_prose(b) for b in blocks]
    main_idx = [i for i, b in enumerate(blocks) if b.in_main]
    anchors = [i for i in main_idx if prose[i]]
    everywhere = [i for i, p in enumerate(prose) if p]
    inside = sum(len(blocks[i].text) for i in anchors)
    if inside < _THIN_MAIN and sum(len(blocks[i].text) for i in everywhere) > _OUTSIDE * inside:
        # Resiliparse chose a box with next to no prose (a recipe card, a comment) while the page holds ten times
        # more elsewhere: anchor on all of the page's prose.
        anchors = everywhere
    if not anchors:
        # No prose anywhere: a gallery, a shop listing, a form. Keep Resiliparse's choice minus furniture.
        for i in main_idx:
            blocks[i].keep = not _boiler(blocks[i])
        return
    lo, hi = _core(blocks, anchors)
    # The region may start a little before the first prose block: a lead sentence, a subheading, a list intro,
    # or prose right next to it that the main-content pass left out.
    while lo > 0 and _leads(blocks[lo - 1], prose[lo - 1]):
        lo -= 1
    # Title and standfirst: headings just above the article (news sites set the lead paragraph in <h2>/<h3>),
    # across short byline and date lines that stay out, up to the page's <h1>.
    lead: list[int] = []
    k = lo - 1
    while k >= 0 and lo - k <= _LEAD_WINDOW:
        b = blocks[k]
        if b.kind == "h":
            if not b.in_main or _boiler(b) or _END.match(b.text):
                break
            if b.level == 1:
                break
            lead.append(k)
        elif prose[k] or len(b.text) > 80:
            break
        k -= 1
    # ... and run a little after the last one, but stop at an end-of-article marker.
    j = hi + 1
    while j < len(blocks) and (blocks[j].in_main or prose[j]) and blocks[j].kind != "h" \
            and blocks[j].link_chars * 3 < len(blocks[j].text) and not _boiler(blocks[j]) \
            and not _END.match(blocks[j].text):
        hi = j
        j += 1
    for i in range(lo, hi + 1):
        b = blocks[i]
        # (the cheap tests first: the pattern runs on few blocks; every test here is free of side effects)
        if len(b.text) < 60 and i > lo and b.kind in ("h", "text", "p") and _END.match(b.text):
            # A "Related" / "Comments" heading inside the region: what follows is not the article, unless
            # long prose resumes (then it was a section title).
            rest = [k for k in range(i + 1, hi + 1) if prose[k] and blocks[k].in_main]
            if not rest:
                break
            continue
        if _boiler(b) and not _linked_sentence(b):
            continue
        if b.in_main:
            b.keep = True
        elif prose[i]:
            b.keep = True  # union: article prose the main-content pass missed
        elif b.kind in ("li", "row") and b.link_chars * 4 < len(b.text) and _near_kept(blocks, i):
            b.keep = True  # ingredient lists, tables inside the article
    for k in lead:
        blocks[k].keep = True
    _trim_tail(blocks)
    # Little prose and a thin core (a product page, a listing with one description): the region logic has
    # nothing to lean on, so Resiliparse's own choice minus furniture is added to it.
    kept = sum(len(b.text) for b in blocks if b.keep)
    if kept < _FALLBACK * sum(len(blocks[i].text) for i in main_idx):
        for i in main_idx:
            blocks[i].keep = blocks[i].keep or not _boiler(blocks[i]) and not _END.match(blocks[i].text)
    # Headings directly above kept text belong to it; a heading over nothing (or over a heading of its own
    # rank) is furniture.
    for i, b in enumerate(blocks):
        if b.keep and b.kind == "h":
            nxt = None
            for k in range(i + 1, min(len(blocks), i + 8)):
                if blocks[k].keep:
                    nxt = k
                    break
                if k > i + 3 and (prose[k] or len(blocks[k].text) > 80):
                    break  # a heading separated from the text by more than a byline is not its heading
            if nxt is None or blocks[nxt].kind == "h" and blocks[nxt].level <= b.level:
                b.keep = False


# Author boxes: "Ich bin Steffi, ...", "X is the co-founder of ...", "Freier Autor in Berlin".
_BIO = (r"(?:^|\W)(?:ich bin|i am|i.m|je suis|sono|soy) (?-i:[A-ZÄÖÜ])\w+, |co-?founder|mitgründer|gründerin|\bblogger(?:in)?\b|"
        r"\bbloggt\b|freie[rn]? (?:autor|journalist)|freelance (?:writer|journalist)|has been writing|"
        r"schreibt (?:für|über)|leitet (?:das|die) (?:ressort|redaktion)|get (?:the latest|our)|"
        r"receive (?:new|our|the latest)|")
# What the last paragraphs of a page say when they are not the article: calls to subscribe or follow, app
# adverts, licence and citation notes, author bios, donation appeals.
_TAIL = re.compile(
    r"©|\b(?:newsletter|subscri|abonn|posteingang|inbox|e-mail-adresse|email address|benachrichtigung|"
    r"follow (?:us|the|our)|folg(?:en sie|t uns|e uns)|download (?:the|our)|\bapps?\b.{0,20}\b(?:ios|android)|"
    r"twitter|instagram|facebook|whatsapp|telegram|lizenz|licen[cs]e|cc-by|creative commons|"
    r"suggested citation|zitiervorschlag|zitierweise|kontakt ?:|contact ?:|"
    r"zobacz (?:również|też)|verwandte (?:artikel|beiträge|themen)|ähnliche (?:beiträge|artikel)|über diese reihe|"
    r"unterst[üu]tze|support (?:us|our)|ap[óo]yanos|[úu]nete|donat|spende|"
    r"\b(?:ist|is|est|es) (?:\w+ ){0,4}(?:redakteur|redakteurin|editor|reporter|autor|autorin|author|journalist|"
    r"korrespondent|correspondent|head of|chefredakt)|schreibt seit|writes (?:about|for)|" + _BIO +
    r"all rights reserved|alle rechte|copyright|impressum|datenschutz|privacy|cookie|"
    r"werbung|anzeige|advertis|sponsored|affiliate|partnerlink|provision\b)", re.I)


def _trim_tail(blocks: list[Block]) -> None:
    """Drop kept blocks from the end while they read like page furniture (at most a few, never long prose)."""
    kept = [i for i, b in enumerate(blocks) if b.keep]
    for i in reversed(kept[-4:]):
        b = blocks[i]
        if b.kind == "pre" or len(b.text) > 700 or len(kept) < 3:
            break
        m = _TAIL.search(b.text) if b.kind != "h" else None
        # In a long paragraph a late mention ("... on Twitter", "donations") is the article talking, not furniture.
        if b.kind == "h" or m is not None and (m.start() < _TAIL_EARLY or len(b.text) < _TAIL_LONG):
            b.keep = False
            kept.pop()
        else:
            break
    # The same at the top: consent and notification banners that sit right above the article.
    for i in kept[:2]:
        b = blocks[i]
        if len(b.text) < 600 and _HEAD.search(b.text) and len(kept) > 3:
            b.keep = False
        else:
            break


# Banners that sit right above the article: cookie consent, "enable JavaScript", push-notification prompts,
# disclaimers. (Phrased, because an article may well be about cookies or JavaScript.)
_HEAD = re.compile(
    r"\b(?:we use|uses|using|nutzen|verwenden|verwendet|setzen|utilisons|usamos|utilizamos|korzystamy z) "
    r"(?:\w+ ){0,2}cookies\b|\bcookies? (?:erleichtern|helfen|help|policy|richtlinie|settings|einstellungen)|"
    r"(?:enable|aktivieren sie|activate) javascript|javascript (?:aktivieren|is disabled|ist deaktiviert)|"
    r"benachrichtigung|notifications?\b|medical advice|disclaimer|affiliate", re.I)


def _core(blocks: list[Block], anchors: list[int]) -> tuple[int, int]:
    """First and last anchor of the article's core: anchors are grouped into runs that no wide stretch of
    non-prose blocks and no end-of-article marker separates; the run with the most prose wins, and neighbouring
    runs join it when they hold a fair share of its prose (articles interrupted by a gallery or an ad block)."""
    runs: list[list[int]] = [[anchors[0]]]
    breaks: list[bool] = []  # an end marker lies between run k and run k+1
    for prev, cur in zip(anchors, anchors[1:]):
        between = range(prev + 1, cur)
        # Blocks Resiliparse kept as content (a table of contents, a gallery, a job box inside the article) widen
        # a gap less than foreign text does.
        gap = sum(_GAP_MAIN if blocks[k].in_main else 1.0 for k in between)
        # An end marker ("Related", "Comments") followed by the article's prose within a few blocks is an inline
        # box, not the end.
        marker = gap > _INLINE_BOX and any(_END.match(blocks[k].text) for k in between)
        if marker or gap > _MAX_GAP:
            runs.append([cur])
            breaks.append(marker)
        else:
            runs[-1].append(cur)
    if len(runs) == 1:
        return anchors[0], anchors[-1]
    weight = [sum(len(blocks[i].text) for i in run) for run in runs]
    best = max(range(len(runs)), key=weight.__getitem__)
    lo = hi = best
    while lo > 0 and not breaks[lo - 1] and weight[lo - 1] >= _JOIN * weight[best]:
        lo -= 1
    while hi < len(runs) - 1 and not breaks[hi] and weight[hi + 1] >= _JOIN * weight[best]:
        hi += 1
    return runs[lo][0], runs[hi][-1]


def _linked_sentence(b: Block) -> bool:
    # A whole sentence set as a link inside the article ("... Was sagt Professor Drosten dazu?") is still text.
    return b.in_main and b.kind == "p" and len(b.text) >= _LINKED_SENT and _SENTENCE_END.search(b.text) is not None \
        and not _TEASER.match(b.text)


def _leads(b: Block, prose: bool) -> bool:
    return (b.in_main or prose) and b.kind != "h" and len(b.text) >= _LEAD_MIN and b.link_chars * 2 < len(b.text) \
        and not _boiler(b)


def _near_kept(blocks: list[Block], i: int) -> bool:
    for k in range(max(0, i - 6), min(len(blocks), i + 7)):
        if k != i and blocks[k].in_main:
            return True
    return False


def render(blocks: list[Block]) -> str:
    out: list[str] = []
    prev = ""
    for b in blocks:
        if not b.keep:
            continue
        if b.kind == "li":
            text = "- " + b.text
            sep = "\n" if prev == "li" else "\n\n"
        elif b.kind == "row":
            text = " | ".join(c.strip() for c in b.text.split("\t\t"))
            sep = "\n" if prev == "row" else "\n\n"
        else:
            text = b.text
            sep = "\n\n"
        if out:
            out.append(sep)
        out.append(text)
        prev = b.kind
    return _normalize("".join(out))


def _normalize(text: str) -> str:
    # Soft hyphens are invisible hyphenation hints that split words for every later step (and snippet match);
    # decomposed umlauts (u + U+0308, as some CMSs write them) likewise compare unequal to the same word in NFC.
    if "\xad" in text:
        text = text.replace("\xad", "")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _key(text: str) -> str:
    # The two renderings can differ in whitespace at block edges (notably inside <pre>).
    return " ".join(text[:300].split())[:200]


# --- hostile markup: bounds that keep one page linear -------------------------------------------------------------
# Two shapes make the parser or the extractor superlinear, so one ~100 KB page could hold a worker for minutes
# or take gigabytes: thousands of attributes on one tag (the parser checks each new attribute name against all
# earlier ones: 200k attributes took 117 s) and very deep nesting (main-content extraction is quadratic in the
# depth of nested <div>/<article>; the rendering indents every level of nested lists, so 20k levels of <ul> took
# 2.4 GB). Both are capped where no real page reaches. Measured on the 2,241 pages of the shared extraction sets
# (bench/extraction.py's data): the most attributes on one element is 70 (p99 24), the deepest element sits 50
# levels below <html> (p99 35), the deepest list nesting is 9. Browsers do the same: Chrome's parser stops
# nesting at depth 512 and attaches deeper elements as siblings.
_MAX_ATTRS = 256  # attributes kept per tag (3.6x the most seen); later ones are dropped before parsing
_MAX_DEPTH = 256  # element depth below <html> (5x the deepest seen); deeper subtrees are flattened
# A page with more '<' than this is not parsed (extraction_failed, value: its count). Parsing and extraction cost
# ~100-350 bytes and 1-3 us a tag (1M unclosed <b>: 451 MB; a table of 10^6 cells, 2M '<': 599 MB, 2.9 s; 10^6 <p>:
# 685 MB, 5.6 s; 5M <b> in a 15 MB page: 2 GB), so past this the outcome would depend on the worker's memory. The
# 1,171 real pages of the extraction sets hold at most 19,629 (median 1,385); a Common Crawl record (1 MiB) cannot
# hold 2M tags.
_MAX_TAGS = 2_000_000


def _scanner(limit: int) -> re.Pattern:
    """A regex that walks HTML as the HTML tokenizer splits it (text, comments, bogus comments and doctypes,
    raw-text elements such as <script>, start and end tags with the attribute grammar of the spec: quoted values
    may hold '>' and '<') and stops at the first tag with ``limit`` or more attributes. Every quantifier is
    possessive and every token is consumed once, so the scan is linear (~400 MB/s)."""
    attr = (r"[\t\n\f\r /]*+[^\t\n\f\r />][^\t\n\f\r />=]*+"
            r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"?|'[^']*+'?|[^\t\n\f\r >]*+))?+")
    end = rf"(?:{attr}){{0,{limit - 1}}}+[\t\n\f\r /]*+(?:>|\Z)"  # fails on the limit-th attribute
    raw = "|".join(rf"(?i:{n})(?=[\t\n\f\r />]){end}(?:[^<]++|<(?!/(?i:{n})[\t\n\f\r />]))*+"
                   for n in ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"))
    scan = re.compile(
        r"(?:[^<]++|<(?:"
        r"!--(?:-?>|[\s\S]*?(?:--!?>|\Z))"  # comments, including the abrupt <!--> and <!--->
        r"|[!?][^>]*+>?|/(?![A-Za-z])[^>]*+>?"  # doctype, bogus comments, </ without a name
        rf"|(?=[sStTxXiInN])(?:{raw})"
        rf"|/?[A-Za-z][^\t\n\f\r />]*+{end}"
        r"|(?![A-Za-z!?/])))*+")
    head = re.compile(rf"</?[A-Za-z][^\t\n\f\r />]*+(?:{attr}){{{limit - 1}}}")
    rest = re.compile(rf"(?:{attr})*+[\t\n\f\r /]*+(?:>|\Z)")
    return scan, head, rest


_SCAN, _TAG_HEAD, _TAG_REST = _scanner(_MAX_ATTRS)


def cap_attributes(html: str) -> str:
    """``html`` with every tag cut to its first ``_MAX_ATTRS - 1`` attributes (the rest of the tag dropped,
    its '>' kept). Pages without such a tag (all real ones) come back as the same object.

    The scan follows the tokenizer outside foreign content (<svg>, <math>) and script-escape states; a page
    crafted to desynchronise it there can still reach the parser's quadratic case, which the runner's
    per-document budget then stops.

    Where html_extract's compiled kernels are built, a C walk of the page's UTF-8 bytes with the same grammar
    answers first (``attrs_ok`` in _native/extract.c: ~10x faster than the regex); it says "unchanged" only where
    the regex would match the whole page, and otherwise the regex below decides, so the result is the same."""
    lib = _native.extract_kernels()
    if lib is not None:
        view = _native.str_units(html)
        if view is not None:
            if lib.attrs_ok(view[0], len(html), view[1], _MAX_ATTRS):
                return html
        else:
            raw = html.encode("utf-8", "surrogatepass")
            if lib.attrs_ok(raw, len(raw), 1, _MAX_ATTRS):
                return html
    m = _SCAN.match(html)
    if m.end() == len(html):
        return html
    out: list[str] = []
    pos = 0
    while m.end() < len(html):
        p = m.end()
        head = _TAG_HEAD.match(html, p)
        rest = _TAG_REST.match(html, head.end())
        out.append(html[pos:head.end()])
        if html.endswith(">", 0, rest.end()) and rest.end() > head.end():
            out.append(">")
        pos = rest.end()
        m = _SCAN.match(html, pos)
    out.append(html[pos:])
    return "".join(out)


_DEEP = ":root" + " > *" * _MAX_DEPTH  # the elements at exactly _MAX_DEPTH
# Elements below _MAX_DEPTH that cap_depth flattens node by node in Python (~8 us and ~400 bytes a node: a 15 MB page
# of 5 million unclosed <b> took 42 CPU s and 3 GB there, and was stopped by the per-document budget). Past this many
# on a page, a deep subtree is rendered to plain text by Resiliparse in C instead and each of its lines becomes a
# paragraph. No real page has a node below _MAX_DEPTH at all; 20,000 keeps the exact flattening for every hostile
# test page of tests/steps/test_extract.py.
_MAX_FLAT = 20_000


def cap_depth(tree) -> None:
    """Flatten every subtree that starts at depth ``_MAX_DEPTH``: its text nodes, in document order, become
    children of the subtree's root, each run of text wrapped in a shallow copy of the element that held it (so a
    paragraph, a list item, a link or a <script> keeps its kind and attributes, but no longer its nesting). On a
    real page the selector matches nothing; its cost is one pass over the elements (~0.1 ms a page)."""
    doc = tree.document
    first = doc.query_selector(_DEEP) if doc is not None else None
    if first is None:
        return
    from resiliparse.parse.html import NodeType, traverse_dom

    budget = _MAX_FLAT
    collapsed = None
    if len(first.query_selector_all("*")) > budget:  # counted in C
        # before the search for every deep subtree, whose selector walks up to _MAX_DEPTH ancestors of each element
        # below (1.75 s for a chain of a million)
        _collapse(tree, first)
        collapsed = first
    for top in doc.query_selector_all(_DEEP):
        if collapsed is not None and top == collapsed:
            continue
        size = len(top.query_selector_all("*"))
        if size > budget:
            _collapse(tree, top)
            continue
        budget -= size
        nodes: list = []
        traverse_dom(top, lambda ctx: nodes.append(ctx.node))
        flat: list = []
        owner = run = items = None
        for node in nodes[1:]:
            kind = node.type
            if kind == NodeType.TEXT:
                parent = node.parent
                if parent == top:
                    flat.append(node)
                    owner = run = items = None
                    continue
                if parent != owner:
                    owner, run = parent, parent.clone_node(False)
                    if run.tag == "li":  # list items stay in a list (Resiliparse mis-indents a bare <li>)
                        if items is None:
                            items = tree.create_element("ul")
                            flat.append(items)
                        items.append_child(run)
                    else:
                        flat.append(run)
                        items = None
                run.append_child(node)
            elif kind == NodeType.ELEMENT and node.first_child is None:
                flat.append(node.clone_node(False))  # <br>, <img>, <hr>: they separate text
                owner = run = items = None
        for child in list(top.child_nodes):
            top.remove_child(child)
        for node in flat:
            top.append_child(node)


def _collapse(tree, top) -> None:
    """Replace the children of ``top`` (a deep subtree too large to flatten in Python) with one paragraph per line
    of its plain text, rendered by Resiliparse as the page's own text is (scripts and styles left out); lines past
    _MAX_FLAT are joined into the last paragraph, so the Python work stays bounded."""
    from resiliparse.extract.html2text import extract_plain_text

    text = extract_plain_text(top.html, preserve_formatting=True, main_content=False,
                              skip_elements=[*_SKIP_PAGE, "[hidden]", "template"],
                              links=False, alt_texts=False, comments=False, noscript=True, form_fields=False)
    for child in list(top.child_nodes):
        top.remove_child(child)
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > _MAX_FLAT:
        lines[_MAX_FLAT - 1:] = [" ".join(lines[_MAX_FLAT - 1:])]
    for line in lines:
        p = tree.create_element("p")
        p.append_child(tree.create_text_node(line))
        top.append_child(p)


# --- backends ---------------------------------------------------------------------------------------------------
def _tree(html: str):
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(cap_attributes(html))
    cap_depth(tree)
    return tree


def extract_combined(tree) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    opts = dict(preserve_formatting="minimal_html", links=True, alt_texts=False, comments=False, post_meta=False,
                noscript=True, form_fields=False)  # Blogger and others put the article in <noscript>
    # The whole page, then Resiliparse's main content: its blocks mark the page's blocks they match (by key, in
    # order). With the compiled kernels built, the parsing, keys and _prose run in C (_combined_c); the pure path
    # (_combined_py) gives the same blocks, marks and flags.
    full_html = extract_plain_text(tree, main_content=False, skip_elements=_SKIP_PAGE, **opts)
    main_html = extract_plain_text(tree, main_content=True, skip_elements=_SKIP, **opts)
    blocks, prose = _combined_c(full_html, main_html) or _combined_py(full_html, main_html)
    classify(blocks, prose)
    return render(blocks)


def _combined_py(full_html: str, main_html: str) -> tuple[list[Block], list[bool]]:
    """The whole-page blocks with Resiliparse's main-content choice marked (by key, in order) and their _prose:
    the pure path of what _combined_c computes with the compiled kernels."""
    memo: dict = {}
    full = parse_blocks(full_html, memo=memo)
    keys: dict[str, str] = {}
    main_keys: dict[str, int] = {}
    for b in parse_blocks(main_html, memo=memo):
        k = keys.get(b.text)
        if k is None:
            k = keys[b.text] = _key(b.text)
        main_keys[k] = main_keys.get(k, 0) + 1
    for b in full:
        k = keys.get(b.text)
        if k is None:
            k = keys[b.text] = _key(b.text)
        if main_keys.get(k):
            main_keys[k] -= 1
            b.in_main = True
    return full, [_prose(b) for b in full]


def extract_resiliparse(tree) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(tree, preserve_formatting=True, main_content=True)


def extract_trafilatura(html: str, url: str | None) -> str:
    try:
        import trafilatura
    except ImportError as exc:  # optional: pip install trafilatura
        raise RuntimeError("backend 'trafilatura' needs the trafilatura package (pip install trafilatura)") from exc
    return trafilatura.extract(html, url=url, include_tables=True, include_comments=False) or ""


def extract(html: str, backend: str = "combined", url: str | None = None) -> str:
    """Main text of one HTML page with the given backend (the step's work without the bookkeeping)."""
    if backend == "trafilatura":
        return extract_trafilatura(html, url)
    tree = _tree(html)
    return extract_combined(tree) if backend == "combined" else extract_resiliparse(tree)


_LANG_META = ("meta[http-equiv=content-language i]", "meta[property='og:locale']", "meta[name=language i]",
              "meta[name='dc.language' i]")


def page_hints(tree) -> dict[str, str]:
    """Title and declared language of a parsed page (declared by the page, not detected)."""
    out: dict[str, str] = {}
    try:
        title = (tree.title or "").strip()
        if title:
            out["title"] = _WS.sub(" ", title)[:500]
        root = tree.document.query_selector("html")
        lang = root.getattr("lang") or root.getattr("xml:lang") if root is not None else None
        if not lang and tree.head is not None:
            for sel in _LANG_META:
                el = tree.head.query_selector(sel)
                if el is not None and el.getattr("content"):
                    lang = el.getattr("content")
                    break
        if lang:
            out["lang_hint"] = lang.strip().replace("_", "-")[:35]
    except Exception:  # malformed attribute selectors on odd pages must not cost the text
        pass
    return out


class _TooManyTags(ValueError):
    pass


@register("html_extract")
@dataclass
class HtmlExtract(Step):
    """Extract main text from metadata['html'] (backends: combined, resiliparse, trafilatura); reject non-HTML,
    non-200 and empty pages."""

    backend: str = "combined"
    keep_html: bool = False
    min_chars: int = 1  # shorter extracted text: no_main_content
    REASONS = ("http_status", "not_html", "no_main_content", "extraction_failed")
    READS_HTML = True

    def validate(self) -> None:
        super().validate()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if self.backend == "trafilatura":
            import importlib.util

            # found without importing it (~0.5 s): a missing package is a message before the run, where setup's
            # probe failed every shard of the first pass three times
            if importlib.util.find_spec("trafilatura") is None:
                raise ValueError("backend 'trafilatura' needs the trafilatura package (pip install trafilatura); "
                                 "the default backend, combined, needs nothing more")

    def setup(self, ctx) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"html_extract: unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if self.backend == "trafilatura":
            extract_trafilatura("<html><body><p>probe</p></body></html>", None)  # fail at setup, not mid-shard

    def process(self, doc: Document) -> Document:
        meta = doc.metadata
        html = meta.get("html")
        if not isinstance(html, str):
            status = meta.get("http_status")
            if status is not None and status != 200:
                doc.drop = Drop(self.name, "http_status", float(status), 200.0)
            elif meta.get("content_type") and "warc_record_id" in meta and \
                    str(meta["content_type"]).split(";")[0].strip().lower() not in _HTML_TYPES:
                doc.drop = Drop(self.name, "not_html")
            return doc
        tags = html.count("<") if len(html) > _MAX_TAGS else 0  # only a page this long can have that many
        try:
            if tags > _MAX_TAGS:
                raise _TooManyTags(f"the page has {tags:,} '<' (tags), over {_MAX_TAGS:,}; not parsed")
            tree = _tree(html)
            meta.update(page_hints(tree))
            if self.backend == "combined":
                text = extract_combined(tree)
            elif self.backend == "resiliparse":
                text = extract_resiliparse(tree)
            else:
                text = extract_trafilatura(html, meta.get("url"))
        except RuntimeError:
            raise
        except Exception as exc:  # a pathological page is one dropped document, never a failed shard
            meta["extract_error"] = (str(exc) if isinstance(exc, _TooManyTags) else f"{type(exc).__name__}: {exc}")[:300]
            doc.drop = (Drop(self.name, "extraction_failed", float(tags), float(_MAX_TAGS)) if tags > _MAX_TAGS else
                        Drop(self.name, "extraction_failed"))
            text = ""
        if not self.keep_html:
            del meta["html"]
        meta["extractor"] = self.backend
        doc.text = text
        n = len(text.strip())
        doc.attributes[f"{self.name}.chars"] = n
        doc.attributes[f"{self.name}.html_chars"] = len(html)
        if doc.drop is None and n < self.min_chars:
            doc.drop = Drop(self.name, "no_main_content", float(n), float(self.min_chars))
        return doc
