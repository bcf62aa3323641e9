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
           "untouched", "spun_two", "block_short")
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--per-recipe", type=int, default=160, help="specimens per recipe and split")
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--only", nargs="*", default=RECIPES, help="build only these recipes")
    ap.add_argument("--out", default="bench/out/recipes")
    args = ap.parse_args(argv)
    pages, chrome = load(args.data)
    os.makedirs(args.out, exist_ok=True)
    cache: dict = {}
    for split in ("train", "test"):
        langs = sorted(lg for lg, lst in pages[split].items() if len(lst) >= 20)
        for recipe in (r for r in RECIPES if r in args.only):
            rng = random.Random(f"{args.seed}/{split}/{recipe}")
            rows = []
            while len(rows) < args.per_recipe:
                fam = recipe.split("_")[1] if recipe.startswith("inserted") else rng.choice(("web", "turku"))
                lang = langs[len(rows) % len(langs)]
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
