"""Build the synthetic evaluation sets of the coherence detector, one folder per recipe, for leave-one-recipe-out.

Every set is built from real pages of ../shared/data (English/German web pages, register documents in 11 other
languages) split in two halves by a hash of the page: ``train`` pages and ``test`` pages never meet, so a page seen
in training is never a source of a test specimen. Recipes (each a way spinners build pages; see
bench/results/coherence.md):

* ``spun_unrel`` / ``spun_rel``: 2-8 source pages, sentences shuffled together (related = a seed page and the
  pages sharing most content words with it: a keyword stitch);
* ``block_unrel`` / ``block_rel``: 2-8 source pages, a contiguous run of 3-15 sentences from each, one run after
  another (how the specimen is made);
  half of them with 1-4 chrome lines of their family scattered in;
* ``spun_two``: 2-3 sources (related half of the time), 6-15 sentences each, shuffled;
* ``block_short``: 5-10 unrelated sources, runs of 2-5 sentences, no chrome;
* ``spun_dom``: 2-8 sources shuffled, one of them dominant (35-65% of the sentences), the rest a few each;
  related (nearest pages by tf-idf cosine) half of the time;
* ``block_long``: 2-8 sources, runs of 2-14 sentences, related by tf-idf half of the time, paragraphs allowed;
* ``block_side``: like ``block_long`` (2-6 sources), plus a block of other pages' titles (a sidebar, with or
  without a heading) or of made-up citations at a boundary or at the end;
* ``inserted_*``: a real page kept in order, 10-30% of its length added as sentences from unrelated pages plus
  2-5 chrome lines at random places; ``_web`` / ``_turku`` / ``_shop`` = the chrome family (lines of web pages
  outside their main content, en/de; lines humans labelled noise in turku-line-quality train, 6 languages; shop
  and booking furniture written for this benchmark, SHOP_CHROME);
* ``untouched``: the real pages themselves.

Each specimen is written one line (spaces) or with line breaks (half each). The language of a specimen is the
language of its pool, so leaving out a language is also a fold.

    .venv/bin/python bench/coherence_recipes.py [--data ../shared/data] [--per-recipe 160] [--out bench/out/recipes]
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import hashlib
import json
import os
import random
import sys

from winnow.sentences import sentence_spans
from winnow.steps.coherence import _TOKEN, _content

REGISTER = {
    "fr": "FrCORE/*.tsv.gz", "sv": "SvCORE/*.tsv.gz", "fi": "FinCORE/*.tsv.gz", "es": "SpaCORE/*.tsv.gz",
    "pt": "PtCORE/*.tsv.gz", "ca": "CaCORE/*.tsv.gz", "id": "IdCORE/*.tsv.gz", "ar": "ArCORE/*.tsv.gz",
    "hi": "HiCORE/*.tsv.gz", "ur": "UrCORE/*.tsv.gz", "zh": "SimChiCORE/*.tsv.gz",
}
RECIPES = ("spun_unrel", "spun_rel", "block_unrel", "block_rel", "inserted_web", "inserted_turku", "inserted_shop",
           "untouched", "spun_two", "block_short", "spun_dom", "block_long", "block_side")
# Recipes of the third round (page3): built by make_v3, with three layouts (one line, one sentence per line,
# paragraphs of 2-6 sentences), tf-idf neighbours for related sources, and sidebar/citation blocks. They change
# the shares and run lengths the first six never show: a dominant source, runs of 2-14, a block that is not prose.
V3 = ("spun_dom", "block_long", "block_side")
# How many sources and how many sentences from each, per stitched recipe: the first four are the recipes the detector
# was first built on; spun_two (two or three sources, many sentences each, related or not) and block_short (5-10
# sources, short runs of 2-5 sentences, no chrome) were added later so that leaving one recipe out also leaves out a
# source count and a run length the rest never show.
SHAPES = {"spun_two": ((2, 3), (6, 15)), "block_short": ((5, 10), (2, 5))}

# A chrome family written for this benchmark (not drawn from any data set, so no model here has seen it): the
# furniture of shops, booking and event sites, in six languages. Used only by ``inserted_shop``, to see how the
# detectors do on chrome of a kind they were not fitted on.
SHOP_CHROME = """
Add to cart | Add to wishlist
Free shipping on all orders over $50
Customers who bought this item also bought
Write a review
Only 3 left in stock - order soon.
Compare products (0)
Sort by: Price, low to high
Showing 1-24 of 312 results
Book now and save 15%
Check availability
Your basket is empty
Secure checkout with PayPal, Visa and Mastercard
Subscribe and get 10% off your first order!
Size guide | Delivery & returns
SKU: 48213-B Category: Kitchen
In den Warenkorb
Kostenloser Versand ab 29 EUR
Jetzt bestellen und sparen
Artikelnummer: 10293 | Lieferzeit 2-3 Werktage
Ajouter au panier
Livraison gratuite dès 49 EUR d'achat
Voir tous les produits
Trier par : Popularité
Añadir al carrito
Envío gratis en pedidos superiores a 30 EUR
Ver todos los productos
Lägg i varukorgen
Fri frakt över 499 kr
Visa alla produkter
Lisää ostoskoriin
Ilmainen toimitus yli 50 euron tilauksille
Näytä kaikki tuotteet
Tickets from 12.50 EUR - Buy tickets
Opening hours: Mon-Fri 9:00-18:00, Sat 10:00-16:00
""".strip().split("\n")


def half(text: str) -> str:
    return "train" if hashlib.sha1(text[:300].encode()).digest()[0] < 128 else "test"


def register_train(data: str, n: int, seed: int) -> list[tuple[str, str]]:
    """(lang, text) of up to ``n`` register documents of the train half (500+ characters, no machine translation),
    languages in sorted order, shuffled with ``seed``: all-content texts for the line and chrome models' scripts."""
    reg = []
    for lang, pat in sorted(REGISTER.items()):
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", pat))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for line in f:
                    labels, _, text = line.rstrip("\n").partition("\t")
                    if len(text) >= 500 and "MT" not in labels.split() and half(text) == "train":
                        reg.append((lang, text))
    random.Random(seed).shuffle(reg)
    return reg[:n]


def load(data: str):
    """pages[split][lang] = [text]; chrome[family][split] = [line]."""
    pages = collections.defaultdict(lambda: collections.defaultdict(list))
    chrome = {"web": collections.defaultdict(list), "turku": collections.defaultdict(list),
              "shop": collections.defaultdict(list)}
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            main = d.get("main_text") or ""
            sp = half(main or d.get("text") or "")
            if len(main) >= 500:
                pages[sp]["en/de"].append(main)
            main_lines = set(x.strip() for x in main.split("\n"))
            for x in (d.get("text") or "").split("\n"):
                x = x.strip()
                if x and x not in main_lines and 2 <= len(x.split()) <= 20:
                    chrome["web"][sp].append(x)
    for lang, pat in REGISTER.items():
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", pat))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for line in f:
                    labels, _, text = line.rstrip("\n").partition("\t")
                    if len(text) >= 500 and "MT" not in labels.split():
                        pages[half(text)][lang].append(text)
    for fn in sorted(glob.glob(os.path.join(data, "lines/turku-line-quality/*/train.json.gz"))):
        with gzip.open(fn, "rt") as f:
            for d in json.load(f):
                for x, y in zip(d["text"], d["labels"]):
                    x = x.strip()
                    if str(y) == "0" and len(x.split()) >= 2:
                        chrome["turku"][half(x)].append(x)
    for x in SHOP_CHROME:
        chrome["shop"][half(x)].append(x)
    return pages, chrome


def split_pool(pages, keep=("en", "de")) -> None:
    """pages[split]["en/de"] replaced by pools of the languages ``keep`` as lid.176 names them (coherence._lang).
    The en/de pool holds ~1,100 English and ~800 mostly German web pages: a page stitched from it at random mixed
    the two (73 of the 102 pages labelled German in the 160-a-recipe set were not German-only, most with English
    sentences), which no page stitched from one language does (bench/results/coherence.md, stop 28)."""
    from winnow.steps.coherence._lang import language
    for split in list(pages):
        mixed = pages[split].pop("en/de", [])
        for t in mixed:
            lg = language(t)
            if lg in keep:
                pages[split][lg].append(t)


def sents(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def stems(text: str) -> frozenset:
    return frozenset(_content(_TOKEN.findall(text.lower())))


def join(parts: list[str], rng: random.Random) -> tuple[str, list[tuple[int, int]], str]:
    layout = rng.choice(("line", "breaks"))
    sep = " " if layout == "line" else "\n"
    out, spans, pos = [], [], 0
    for p in parts:
        p = " ".join(p.split())
        out.append(p)
        spans.append((pos, pos + len(p)))
        pos += len(p) + 1
    return sep.join(out), spans, layout


def pick_sources(pool, rng, k, related, cache):
    if related:
        seed = rng.choice(pool)
        ss = cache.setdefault(id(seed), stems(seed))
        scored = []
        for p in rng.sample(pool, min(len(pool), 150)):
            if p is seed:
                continue
            sp = cache.setdefault(id(p), stems(p))
            scored.append((-len(ss & sp) / (1 + len(sp)) ** 0.5, rng.random(), p))
        scored.sort()
        return [seed] + [p for _, _, p in scored[: k - 1]]
    return rng.sample(pool, min(k, len(pool)))


def make(recipe, pool, chrome_lines, rng, cache):
    """One specimen: dict(text, label, gold spans [(a, b, kind)], sources [source index per part])."""
    if recipe == "untouched":
        page = rng.choice(pool)
        if rng.random() < 0.34:
            return {"text": page.strip(), "label": 0, "gold": [], "layout": "original"}
        text, spans, layout = join(sents(page), rng)
        return {"text": text, "label": 0, "gold": [], "layout": layout}
    if recipe.startswith(("spun", "block")):
        (k_lo, k_hi), (n_lo, n_hi) = SHAPES.get(recipe, ((2, 8), (3, 15)))
        k = rng.randint(k_lo, k_hi)
        related = recipe.endswith("_rel") or (recipe == "spun_two" and rng.random() < 0.5)
        srcs = pick_sources(pool, rng, k, related, cache)
        parts, owner = [], []
        for j, page in enumerate(srcs):
            ss = [s for s in sents(page) if len(s.split()) >= 3]
            if len(ss) < max(3, n_lo):
                continue
            n = rng.randint(n_lo, min(n_hi, len(ss)))
            if recipe.startswith("spun"):
                chosen = rng.sample(ss, n)
            else:
                a = rng.randrange(0, len(ss) - n + 1)
                chosen = ss[a: a + n]
            parts.extend(chosen)
            owner.extend([j] * len(chosen))
        if recipe.startswith("spun"):
            order = list(range(len(parts)))
            rng.shuffle(order)
            parts, owner = [parts[i] for i in order], [owner[i] for i in order]
        if recipe != "block_short" and rng.random() < 0.5:
            # Half keep some of their sources' chrome (scraped sidebars, share buttons), scattered.
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(parts) + 1)
                parts.insert(at, rng.choice(chrome_lines))
                owner.insert(at, -1)
        text, spans, layout = join(parts, rng)
        return {"text": text, "label": 1, "gold": [], "owner": owner, "layout": layout}
    # inserted
    host = rng.choice(pool)
    hs = sents(host)
    items = [(s, None) for s in hs]
    n_host = sum(len(s) for s in hs)
    budget = rng.uniform(0.1, 0.3) * n_host
    added = 0
    while added < budget:
        other = [s for s in sents(rng.choice(pool)) if len(s.split()) >= 4]
        if not other:
            continue
        s = rng.choice(other)
        items.insert(rng.randrange(len(items) + 1), (s, "foreign"))
        added += len(s)
    for _ in range(rng.randint(2, 5)):
        items.insert(rng.randrange(len(items) + 1), (rng.choice(chrome_lines), "chrome"))
    text, spans, layout = join([s for s, _ in items], rng)
    gold = [(a, b, lab) for (a, b), (_, lab) in zip(spans, items) if lab]
    host_spans = [(a, b) for (a, b), (_, lab) in zip(spans, items) if not lab]
    return {"text": text, "label": 1, "gold": gold, "host": host_spans, "layout": layout}


# --------------------------------------------------------------------------------------------------------------
# Third-round recipes (make_v3)

# Headings a sidebar of other pages' titles may carry, per language (written for this benchmark).
SIDEBAR_HEADS = {
    "en/de": ["Related posts", "You may also like", "Most read", "Lesen Sie auch", "Weitere Artikel", "Popular now",
              "More from this section", "Das könnte Sie auch interessieren"],
    "fr": ["Lire aussi", "À voir aussi", "Les plus lus", "Articles similaires"],
    "sv": ["Läs också", "Mest läst", "Relaterade artiklar"], "fi": ["Lue myös", "Luetuimmat", "Aiheeseen liittyvät"],
    "es": ["Ver también", "Lo más leído", "Artículos relacionados"], "pt": ["Veja também", "Mais lidas", "Leia mais"],
    "ca": ["Vegeu també", "El més llegit"], "id": ["Baca juga", "Terpopuler", "Artikel terkait"],
    "ar": ["اقرأ أيضا", "الأكثر قراءة"], "hi": ["यह भी पढ़ें", "सबसे ज्यादा पढ़ी गई"], "ur": ["یہ بھی پڑھیں", "مزید خبریں"],
    "zh": ["相关文章", "热门阅读", "推荐阅读"],
}
SURNAMES = ("Smith Johnson Müller Schmidt Dubois Lefèvre García Martínez Silva Santos Andersson Johansson Virtanen "
            "Korhonen Rossi Bianchi Nowak Kowalski Wang Li Zhang Chen Kumar Sharma Khan Ahmed Hassan Tanaka Sato "
            "Kim Park Nguyen Hoffmann Becker Bernard Moreau Ferreira Costa Lindqvist Nieminen Haddad Gupta").split()
JOURNALS = ("Journal of {}", "{} Review", "Annals of {}", "Revue de {}", "Zeitschrift für {}", "Acta {}",
            "Proceedings of the International Conference on {}", "{} Quarterly", "Revista de {}", "Studies in {}")
FIELDS = ("Applied Psychology", "Economic History", "Linguistics", "Ecology", "Public Health", "Sociology",
          "Materials Science", "Education", "Political Science", "Marine Biology", "Geography", "Philosophy")


def _initials(rng):
    return " ".join(f"{rng.choice('ABCDEFGHJKLMNPRST')}." for _ in range(rng.randint(1, 2)))


def citation(rng, words):
    """One made-up reference in one of five common styles, its title drawn from ``words`` (the page's own words)."""
    names = [rng.choice(SURNAMES) for _ in range(rng.randint(1, 4))]
    year = rng.randint(1978, 2024)
    ws = rng.sample(words, min(len(words), rng.randint(3, 8))) if words else ["Untitled"]
    title = " ".join(ws)
    title = title[:1].upper() + title[1:]
    jour = rng.choice(JOURNALS).format(rng.choice(FIELDS))
    vol, iss, p0 = rng.randint(1, 80), rng.randint(1, 12), rng.randint(1, 900)
    pages = f"{p0}\u2013{p0 + rng.randint(5, 40)}" if rng.random() < 0.5 else f"{p0}-{p0 + rng.randint(5, 40)}"
    style = rng.randrange(5)
    if style == 0:
        auth = ", ".join(f"{n}, {_initials(rng)}" for n in names[:-1])
        auth = (auth + ", & " if auth else "") + f"{names[-1]}, {_initials(rng)}"
        doi = f" https://doi.org/10.{rng.randint(1000, 9999)}/{rng.randint(10000, 99999)}" if rng.random() < 0.5 else ""
        return f"{auth} ({year}). {title}. {jour}, {vol}({iss}), {pages}.{doi}"
    if style == 1:
        auth = ", ".join(f"{_initials(rng)} {n}" for n in names)
        return f"[{rng.randint(1, 60)}] {auth}, \u201c{title},\u201d {jour}, vol. {vol}, no. {iss}, pp. {pages}, {year}."
    if style == 2:
        more = " et al." if len(names) > 2 else ""
        return f"{names[0]}, {rng.choice(['Anna', 'Peter', 'Marie', 'Juan', 'Li', 'Omar', 'Eva'])}{more}. \"{title}.\" {jour} {vol}.{iss} ({year}): {pages}."
    if style == 3:
        city = rng.choice(["London", "Berlin", "Paris", "Madrid", "Stockholm", "Helsinki", "New York", "Leiden"])
        pub = rng.choice(["Routledge", "Springer", "Gallimard", "Suhrkamp", "Oxford University Press", "Brill"])
        return f"{names[0]}, {_initials(rng)} {year}. {title}. {city}: {pub}."
    return f"{' ; '.join(n.upper() + ' ' + _initials(rng) for n in names)} ({year}) : {title}, {jour}, n\u00b0 {iss}, p. {pages}."


def title_of(page, rng):
    """A headline for a page: its first line when short, else the start of its first sentence, no final stop."""
    first = page.strip().split("\n", 1)[0].strip()
    if 3 <= len(first.split()) <= 14 and first[-1:] not in ".!?。":
        return first
    ss = sents(page)
    if not ss:
        return ""
    ws = ss[0].split()
    if len(ws) <= 2 and not _CJK_ANY(ss[0]):
        return ""
    t = " ".join(ws[: rng.randint(4, 11)]) if len(ws) > 4 else ss[0]
    if _CJK_ANY(t) and len(t) > 24:
        t = t[: rng.randint(10, 24)]
    return t.rstrip(".!?。,;: ")


def _CJK_ANY(t):
    return any("\u4e00" <= c <= "\u9fff" for c in t)


_IDF: dict = {}


def tfidf_sources(pool, rng, k):
    """A seed page and its k-1 nearest pages by tf-idf cosine of content stems (among 200 drawn from its pool)."""
    key = id(pool)
    if key not in _IDF:
        df = collections.Counter()
        vecs = []
        for p in pool:
            c = collections.Counter(w for s in [p] for w in _content(_TOKEN.findall(p.lower())))
            vecs.append(c)
            df.update(c.keys())
        n = len(pool)
        idf = {w: __import__("math").log(n / d) for w, d in df.items()}
        norm = []
        for c in vecs:
            norm.append(sum((v * idf[w]) ** 2 for w, v in c.items()) ** 0.5 or 1.0)
        _IDF[key] = (vecs, idf, norm)
    vecs, idf, norm = _IDF[key]
    i0 = rng.randrange(len(pool))
    cand = rng.sample(range(len(pool)), min(len(pool), 200))
    scored = []
    for j in cand:
        if j == i0:
            continue
        a, b = vecs[i0], vecs[j]
        if len(a) > len(b):
            a, b = b, a
        dot = sum(v * b.get(w, 0) * idf[w] ** 2 for w, v in a.items())
        scored.append((-dot / (norm[i0] * norm[j]), rng.random(), j))
    scored.sort()
    return [pool[i0]] + [pool[j] for _, _, j in scored[: k - 1]]


def join_v3(parts, rng, glue=None):
    """Like join, with a third layout: paragraphs of 2-6 sentences (``glue[i]``: part i must stay on its own line,
    for sidebar titles and citations in the layouts with breaks)."""
    layout = rng.choice(("line", "breaks", "paras"))
    if layout != "paras":
        sep = " " if layout == "line" else "\n"
        out = [" ".join(p.split()) for p in parts]
        return sep.join(out), layout
    out, para = [], []
    size = rng.randint(2, 6)
    for i, p in enumerate(parts):
        p = " ".join(p.split())
        if glue and glue[i]:
            if para:
                out.append(" ".join(para))
                para = []
            out.append(p)
            continue
        para.append(p)
        if len(para) >= size:
            out.append(" ".join(para))
            para, size = [], rng.randint(2, 6)
    if para:
        out.append(" ".join(para))
    return rng.choice(("\n\n", "\n")).join(out), layout


def make_v3(recipe, pool, lang, chrome_lines, rng):
    k = rng.randint(2, 6 if recipe == "block_side" else 8)
    related = rng.random() < 0.5
    srcs = tfidf_sources(pool, rng, k) if related else rng.sample(pool, min(k, len(pool)))
    parts, owner, glue = [], [], []
    if recipe == "spun_dom":
        dom = rng.uniform(0.35, 0.65)
        total = rng.randint(14, 40)
        want = [max(3, round(dom * total))]
        rest = total - want[0]
        for j in range(1, len(srcs)):
            want.append(max(1, round(rest / (len(srcs) - 1) * rng.uniform(0.5, 1.5))))
        for j, page in enumerate(srcs):
            ss = [s for s in sents(page) if len(s.split()) >= 3 or _CJK_ANY(s)]
            if not ss:
                continue
            chosen = rng.sample(ss, min(len(ss), want[j]))
            parts.extend(chosen)
            owner.extend([j] * len(chosen))
        order = list(range(len(parts)))
        rng.shuffle(order)
        parts, owner = [parts[i] for i in order], [owner[i] for i in order]
        glue = [False] * len(parts)
    else:
        for j, page in enumerate(srcs):
            ss = [s for s in sents(page) if len(s.split()) >= 3 or _CJK_ANY(s)]
            if len(ss) < 2:
                continue
            n = rng.randint(2, min(14, len(ss)))
            a = rng.randrange(0, len(ss) - n + 1)
            parts.extend(ss[a: a + n])
            owner.extend([j] * n)
        glue = [False] * len(parts)
        if recipe == "block_side" and parts:
            # A block that is not prose: titles of other pages (a "related" sidebar) or made-up references.
            bounds = [i for i in range(1, len(owner)) if owner[i] != owner[i - 1]] + [len(parts)]
            at = rng.choice(bounds)
            if rng.random() < 0.55:
                block = [t for t in (title_of(rng.choice(pool), rng) for _ in range(rng.randint(3, 8))) if t]
                if rng.random() < 0.6:
                    block.insert(0, rng.choice(SIDEBAR_HEADS.get(lang, SIDEBAR_HEADS["en/de"])))
            else:
                words = [w for w in " ".join(rng.sample(parts, min(4, len(parts)))).split()
                         if len(w) >= 4 and w.isalpha()]
                block = [citation(rng, words) for _ in range(rng.randint(3, 8))]
                if rng.random() < 0.5:
                    block.insert(0, rng.choice(["References", "Literatur", "Bibliographie", "Referencias",
                                                "Källor", "Lähteet", "Referências", "Daftar Pustaka"]))
            parts[at:at] = block
            owner[at:at] = [-2] * len(block)
            glue[at:at] = [True] * len(block)
    if recipe != "block_side" and rng.random() < 0.3:
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(parts) + 1)
            parts.insert(at, rng.choice(chrome_lines))
            owner.insert(at, -1)
            glue.insert(at, True)
    text, layout = join_v3(parts, rng, glue)
    return {"text": text, "label": 1, "gold": [], "owner": owner, "layout": layout, "related": related}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--per-recipe", type=int, default=160, help="specimens per recipe and split")
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--only", nargs="*", default=RECIPES, help="build only these recipes")
    ap.add_argument("--out", default="bench/out/recipes")
    ap.add_argument("--langs", nargs="*", default=None, help="build from these pools only (e.g. en/de)")
    ap.add_argument("--pool-by-lid", action="store_true",
                    help="split the en/de pool by lid.176 into pools en and de (pages in other languages dropped), so "
                         "that a page is stitched from sources of one language, as in every other pool")
    args = ap.parse_args(argv)
    pages, chrome = load(args.data)
    if args.pool_by_lid:
        split_pool(pages)
    os.makedirs(args.out, exist_ok=True)
    cache: dict = {}
    for split in ("train", "test"):
        langs = sorted(lg for lg, lst in pages[split].items() if len(lst) >= 20 and (not args.langs or lg in args.langs))
        for recipe in (r for r in RECIPES if r in args.only):
            rng = random.Random(f"{args.seed}/{split}/{recipe}")
            rows = []
            while len(rows) < args.per_recipe:
                fam = recipe.split("_")[1] if recipe.startswith("inserted") else rng.choice(("web", "turku"))
                lang = langs[len(rows) % len(langs)]
                if recipe in V3:
                    d = make_v3(recipe, pages[split][lang], lang, chrome[fam][split], rng)
                else:
                    d = make(recipe, pages[split][lang], chrome[fam][split], rng, cache)
                if len(sentence_spans(d["text"])) < 12:
                    continue
                d.update(recipe=recipe, lang=lang, split=split)
                rows.append(d)
            with gzip.open(os.path.join(args.out, f"{split}.{recipe}.jsonl.gz"), "wt", encoding="utf-8") as f:
                for d in rows:
                    f.write(json.dumps(d, ensure_ascii=False) + "\n")
            print(split, recipe, len(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
