"""Decision parity of winnow's published quality filters with datatrove's, on real documents.

Runs datatrove's filters (the reference) and winnow's steps on the same documents and prints, per filter and
variant, how often the keep/drop decision and the reason agree, plus the token-level agreement of winnow's
spaCy-free tokenizer with spaCy. It installs nothing: run it with a bench venv that has the peer (see
bench/results/parity.md for the exact setup):

    .bench-venv-quality/bin/python bench/parity.py                 # variant "datatrove" vs datatrove 0.10.1 (HEAD)
    .bench-venv-quality-2024/bin/python bench/parity.py --variant fineweb-2024-05   # vs datatrove at c72b1e4

Documents: ``<data>/crawl/web-pages.jsonl.gz`` (``text`` and ``main_text``), every ``.tsv.gz`` under
``<data>/crawl/register-multiling`` (non-English), and ``<data>/../specimens/stitched-page.txt``.

``--filters`` instead measures the filters and taggers added for datatrove and Dolma users (url_filter, c4_paragraph,
symbol_lines, regex, repetition, sample) against their references (see ``filters_parity``); it needs datatrove,
tldextract and pyahocorasick in the bench venv, and optionally Dolma's wheel (``pip install --no-deps dolma``) for
its adblock engine with ``--adblock-list``.

``--write-tables`` regenerates the spaCy rule tables at the end of ``src/winnow/steps/_tokenize.py`` (needs spaCy).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "# GENERATED below this line"


# --------------------------------------------------------------------------------------------------------------
# tables
def write_tables() -> None:
    import spacy
    from datatrove.utils import text as dt_text
    from spacy.attrs import ORTH

    nlp = spacy.blank("en")
    tok = nlp.tokenizer
    assert tok.token_match is None and tok.faster_heuristics, "the emulation assumes spaCy's English defaults"
    specials = {}
    for orth, subs in sorted(tok.rules.items()):
        specials[orth] = tuple(s.get(ORTH, s.get("ORTH")) for s in subs)
    sent = nlp.add_pipe("sentencizer")
    path = ROOT / "src/winnow/steps/_tokenize.py"
    src = path.read_text(encoding="utf-8")
    head = src[: src.index(MARK)]
    out = io.StringIO()
    out.write(MARK + " by `bench/parity.py --write-tables` from spaCy's English defaults; do not edit by hand.\n")
    out.write(f"# Source: spaCy {spacy.__version__} (https://spacy.io), MIT License, Copyright (C) 2016-2024 ExplosionAI GmbH,\n")
    out.write("# 2016 spaCy GmbH, 2015 Matthew Honnibal: the tokenizer's prefix/suffix/infix/URL patterns, its English special\n")
    out.write("# cases and the sentencizer's punctuation. The two punctuation sets at the end are datatrove's\n")
    out.write(f"# (datatrove {_version('datatrove')}, Apache-2.0, Copyright HuggingFace), used by its Gopher and FineWeb filters.\n")
    out.write("# fmt: off\n")
    out.write(f"_PREFIX = {tok.prefix_search.__self__.pattern!r}\n")
    out.write(f"_SUFFIX = {tok.suffix_search.__self__.pattern!r}\n")
    out.write(f"_INFIX = {tok.infix_finditer.__self__.pattern!r}\n")
    out.write(f"_URL = {tok.url_match.__self__.pattern!r}\n")
    out.write("_SPECIALS = {\n")
    for k, v in specials.items():
        out.write(f"    {k!r}: {v!r},\n")
    out.write("}\n")
    out.write(f"_SENT_PUNCT_CHARS = {''.join(sorted(sent.punct_chars))!r}\n")
    out.write(f"DT_PUNCTUATION = {dt_text.PUNCTUATION!r}\n")
    out.write(f"DT_TERMINAL_PUNCTUATION = {''.join(sorted(dt_text.TERMINAL_PUNCTUATION))!r}\n")
    out.write("# fmt: on\n")
    path.write_text(head + out.getvalue(), encoding="utf-8")
    print(f"wrote {len(specials)} special cases and the affix patterns into {path.relative_to(ROOT)}")


def _version(pkg: str) -> str:
    from importlib.metadata import version

    try:
        return version(pkg)
    except Exception:
        return "?"


# --------------------------------------------------------------------------------------------------------------
# documents
def load_docs(data: Path, limit: int | None = None) -> list[tuple[str, str, str]]:
    """(source, id, text) for every evaluation document; empty texts are skipped (no filter sees them)."""
    docs: list[tuple[str, str, str]] = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for field in ("text", "main_text"):
                t = rec.get(field)
                if t and t.strip():
                    docs.append((f"web:{field}", f"{rec['id']}:{field}", t))
    for p in sorted((data / "crawl/register-multiling").rglob("*.tsv.gz")):
        with gzip.open(p, "rt", encoding="utf-8", errors="replace") as f:
            for i, line in enumerate(f):
                _, _, t = line.rstrip("\n").partition("\t")
                if t.strip():
                    docs.append((f"multiling:{p.parent.name}", f"{p.parent.name}/{p.name}:{i}", t))
    spec = data.parent / "specimens/stitched-page.txt"
    if spec.exists():
        docs.append(("specimen", "stitched-page", spec.read_text(encoding="utf-8")))
    if limit:  # an even sample of each group (web, multiling); the specimen always stays
        out = []
        for g in ("web", "multiling", "specimen"):
            part = [d for d in docs if d[0].split(":")[0] == g]
            out += part if g == "specimen" else part[:: max(1, len(part) // limit)][:limit]
        docs = out
    return docs


# --------------------------------------------------------------------------------------------------------------
# tokens
def token_parity(docs) -> dict:
    """Token-for-token comparison of winnow's word split and sentence counts with spaCy's (datatrove's)."""
    from datatrove.utils.text import split_into_sentences, split_into_words

    from winnow.steps._tokenize import spacy_english

    tok = spacy_english()
    res = {"docs": 0, "docs_equal": 0, "tokens": 0, "lines": 0, "lines_equal": 0, "diff_examples": []}
    for src, did, text in docs:
        ref = split_into_words(text, "en")
        mine = tok.words(text)
        res["docs"] += 1
        res["tokens"] += len(ref)
        if ref == mine:
            res["docs_equal"] += 1
        elif len(res["diff_examples"]) < 20:
            i = next((k for k, (a, b) in enumerate(zip(ref, mine)) if a != b), min(len(ref), len(mine)))
            res["diff_examples"].append((did, ref[max(0, i - 3): i + 4], mine[max(0, i - 3): i + 4]))
        for line in text.splitlines()[:200]:
            line = line.strip()
            if not line:
                continue
            res["lines"] += 1
            a = len(split_into_sentences(line, "en"))
            b = tok.sentence_count(line)
            if a == b:
                res["lines_equal"] += 1
            elif len(res["diff_examples"]) < 40:
                res["diff_examples"].append((did, "sentences", a, b, line[:200]))
    return res


# --------------------------------------------------------------------------------------------------------------
# decisions
DT_REASONS = {  # datatrove's reason -> winnow's
    "gopher_short_doc": "too_few_words", "gopher_long_doc": "too_many_words",
    "gopher_below_avg_threshold": "short_mean_word_length", "gopher_above_avg_threshold": "long_mean_word_length",
    "gopher_too_many_hashes": "hash_word_ratio", "gopher_too_many_ellipsis": "ellipsis_word_ratio",
    "gopher_too_many_bullets": "bullet_lines_ratio", "gopher_too_many_end_ellipsis": "ellipsis_lines_ratio",
    "gopher_below_alpha_threshold": "alpha_words_ratio", "gopher_enough_stop_words": "too_few_stop_words",
    "document_removed_with_badwords": "badwords",
}


def _pairs(variant: str):
    """(filter name, datatrove filter, winnow step) for the variant."""
    from datatrove.pipeline import filters as F

    from winnow.steps import quality as Q

    old = variant == "fineweb-2024-05"
    pairs = [
        ("gopher_quality", F.GopherQualityFilter(), Q.GopherQuality(variant=variant)),
        ("gopher_repetition", F.GopherRepetitionFilter(), Q.GopherRepetition(variant=variant)),
        ("fineweb_quality", F.FineWebQualityFilter(), Q.FineWebQuality(variant=variant)),
        ("c4_quality", F.C4QualityFilter(), Q.C4Quality(variant=variant)),
    ]
    if old:  # FineWeb ran C4 without the terminal-punctuation line rule
        pairs.append(("c4_quality[no_terminal_punct=False]", F.C4QualityFilter(filter_no_terminal_punct=False),
                      Q.C4Quality(variant=variant, filter_no_terminal_punct=False)))
    else:
        bw = F.C4BadWordsFilter()
        # datatrove downloads the lists from the LDNOOBW repository at pinned commits; winnow ships those same
        # files (src/winnow/data/badwords/SOURCE.md), so point datatrove at them instead of the network.
        from importlib import resources

        import datatrove.pipeline.filters.c4_filters as c4mod

        c4mod.cached_asset_path_or_download = lambda url, **kw: str(
            resources.files("winnow").joinpath("data/badwords", url.rsplit("/", 1)[1]))
        pairs.append(("c4_badwords", bw, Q.C4BadWords()))
    for _, _, step in pairs:
        step.setup(None)
    return pairs


def _verdicts(batch, variant):
    from datatrove.data import Document as DTDoc

    from winnow.document import Document

    pairs = _pairs(variant)
    out = []
    for src, did, text in batch:
        row = {"src": src, "id": did}
        for name, ref, mine in pairs:
            d = DTDoc(text=text, id=did)
            try:
                r = ref.filter(d)
            except ZeroDivisionError:
                r = (False, "ZeroDivisionError")
            ref_keep = r is True
            ref_reason = None if ref_keep else (r[1] if isinstance(r, tuple) else "?")
            ref_reason = DT_REASONS.get(ref_reason, ref_reason)
            doc = Document(id=did, text=text)
            doc = mine.process(doc)
            my_keep = doc.drop is None
            my_reason = None if my_keep else doc.drop.reason
            text_ok = None
            if name.startswith("c4_quality") and ref_keep and my_keep:
                text_ok = d.text == doc.text
            row[name] = (ref_keep, ref_reason, my_keep, my_reason, text_ok)
        out.append(row)
    return out


def decision_parity(docs, variant: str, workers: int):
    from multiprocessing import get_context

    chunks = [docs[i: i + 50] for i in range(0, len(docs), 50)]
    rows = []
    t0 = time.time()

    def note(part):
        rows.extend(part)
        if len(rows) // 500 != (len(rows) - len(part)) // 500:
            print(f"  {len(rows)}/{len(docs)} documents ({time.time() - t0:.0f}s)", flush=True)

    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            for part in pool.imap_unordered(_verdicts_star, [(c, variant) for c in chunks]):
                note(part)
    else:
        for c in chunks:
            note(_verdicts(c, variant))
    order = {d[1]: i for i, d in enumerate(docs)}
    rows.sort(key=lambda r: order[r["id"]])
    return rows


def _verdicts_star(args):
    return _verdicts(*args)


def _group(src: str) -> str:
    return src if src.startswith("web") else src.split(":")[0]


def summarize(rows, variant: str) -> tuple[str, list]:
    names = [k for k in rows[0] if k not in ("src", "id")]
    groups = sorted({_group(r["src"]) for r in rows})
    lines = [f"### variant `{variant}`", "",
             "| filter | docs | ref drops | winnow drops | keep/drop agree | reason agree | C4 text equal | disagreements |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    disagreements = []
    for name in names:
        for g in ["all", *groups]:
            sel = [r for r in rows if g == "all" or _group(r["src"]) == g]
            n = len(sel)
            vs = [r[name] for r in sel]
            ref_drops = sum(1 for v in vs if not v[0])
            my_drops = sum(1 for v in vs if not v[2])
            keep_agree = sum(1 for v in vs if v[0] == v[2])
            reason_agree = sum(1 for v in vs if v[0] == v[2] and v[1] == v[3])
            texts = [v[4] for v in vs if v[4] is not None]
            text_eq = f"{100 * sum(texts) / len(texts):.2f}%" if texts else "-"
            lines.append(f"| {name if g == 'all' else '  ' + g} | {n} | {ref_drops} | {my_drops} | "
                         f"{100 * keep_agree / n:.2f}% | {100 * reason_agree / n:.2f}% | {text_eq} | {n - reason_agree} |")
        for r in rows:
            v = r[name]
            if v[0] != v[2] or v[1] != v[3] or v[4] is False:
                disagreements.append((name, r["id"], v))
    return "\n".join(lines), disagreements


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--variant", default="datatrove", choices=["datatrove", "fineweb-2024-05"])
    ap.add_argument("--limit", type=int, default=None, help="evenly sample this many documents of each group (web, multiling)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=0, help="also compare tokens with spaCy on this many documents")
    ap.add_argument("--out", default=None, help="append the tables to this markdown file")
    ap.add_argument("--write-tables", action="store_true")
    ap.add_argument("--filters", action="store_true", help="measure url_filter, c4_paragraph, symbol_lines, regex, "
                    "repetition and sample against their references instead")
    ap.add_argument("--adblock-list", default=None, help="with --filters: an Adblock Plus list to compare url_filter's "
                    "adblock subset with Dolma's engine on (e.g. Dolma's tests/data/urls/easylist.txt.gz)")
    ap.add_argument("--only", default=None, help="with --filters: comma-separated sections (url, c4_paragraph, "
                    "symbol_lines, regex, repetition, tokens, sample)")
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    if args.filters:
        filters_parity(data, args.limit, args.out, args.adblock_list,
                       set(args.only.split(",")) if args.only else None)
        return
    docs = load_docs(data, args.limit)
    counts = Counter(s.split(":")[0] for s, _, _ in docs)
    print(f"{len(docs)} documents: {dict(counts)}; datatrove {_version('datatrove')}, variant {args.variant}")
    t0 = time.time()
    rows = decision_parity(docs, args.variant, args.workers)
    table, dis = summarize(rows, args.variant)
    print(table)
    print(f"\n{len(dis)} disagreements ({time.time() - t0:.0f}s)")
    for d in dis[:50]:
        print("  ", d)
    report = [table, "", f"Disagreements: {len(dis)}", *[f"- `{n}` {i}: {v}" for n, i, v in dis[:50]]]
    spec = [r for r in rows if r["src"] == "specimen"]
    if spec:
        verdicts = ", ".join(f"{k}: {'keep' if v[2] else 'drop (' + str(v[3]) + ')'}"
                             for k, v in spec[0].items() if k not in ("src", "id"))
        print("specimen:", verdicts)
        report += ["", f"Specimen (stitched-page.txt), winnow = datatrove: {verdicts}"]
    if args.tokens:
        sample = docs[:: max(1, len(docs) // args.tokens)][: args.tokens]
        t0 = time.time()
        res = token_parity(sample)
        tl = (f"Tokens vs spaCy on {res['docs']} documents: {res['docs_equal']} identical word lists "
              f"({res['tokens']} tokens); sentence counts identical on {res['lines_equal']} of {res['lines']} lines "
              f"({time.time() - t0:.0f}s)")
        print(tl)
        for e in res["diff_examples"][:20]:
            print("  ", e)
        report += ["", tl]
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n".join(report) + "\n\n")


# --------------------------------------------------------------------------------------------------------------
# filters and taggers for datatrove and Dolma users
def _urls(data: Path) -> list[tuple[str, str]]:
    """(group, url): the corpus's page URLs, plus URLs built to exercise every datatrove rule from its own lists
    (every 20,000th UT1 domain bare, with www. and with a subdomain; every 400th listed URL; banned, soft-banned and
    sub-word entries put into paths), with near misses of each."""
    import random
    import tarfile

    from winnow.steps.url import _datatrove_archive, _shipped, _word_list

    out = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            u = json.loads(line).get("url")
            if u:
                out.append(("corpus", u))
    rng = random.Random(0)
    with tarfile.open(_datatrove_archive()) as tar:
        domains = tar.extractfile("domains").read().decode().splitlines()[::20000]
        urls = tar.extractfile("urls").read().decode().splitlines()[::400]
    for d in domains:
        out += [("synthetic", f"https://{d}/"), ("synthetic", f"http://www.{d}/page?x=1"),
                ("synthetic", f"https://cdn.{d}/a/b"), ("synthetic", f"https://{d}x.com/")]
    for u in urls:
        out += [("synthetic", f"http://{u}"), ("synthetic", u), ("synthetic", f"http://{u}/more")]
    words = sorted(_word_list(_shipped("banned_words.txt"), True))
    soft = sorted(_word_list(_shipped("soft_banned_words.txt"), True))
    subs = [ln.strip() for ln in _shipped("banned_subwords.txt") if ln.strip() and ln[0] != "#"]
    for w in words[::3]:
        out += [("synthetic", f"https://example.org/{w}-page"), ("synthetic", f"https://example.org/{w.upper()}/"),
                ("synthetic", f"https://{w}.example.org/x")]
    for _ in range(150):
        a, b = rng.sample(soft, 2)
        out += [("synthetic", f"https://example.net/{a}/{b}.html"), ("synthetic", f"https://example.net/{a}-page")]
    for sw in subs[::2]:
        out += [("synthetic", "https://example.com/" + sw.replace(" ", "-")),
                ("synthetic", "https://example.com/" + sw.replace(" ", "").upper())]
    return out


def filters_parity(data: Path, limit: int | None, out_path: str | None, adblock_list: str | None,
                   only: set[str] | None = None) -> None:
    """``only``: a subset of url, c4_paragraph, symbol_lines, regex, repetition, tokens, sample."""
    import re

    from datatrove.data import Document as DTDoc
    from datatrove.pipeline.filters import RegexFilter, URLFilter
    from datatrove.pipeline.filters.c4_filters import C4ParagraphFilter
    from datatrove.pipeline.formatters.symbol_lines_remover import SymbolLinesFormatter

    from winnow.document import Document, undo_edits
    from types import SimpleNamespace

    from winnow.steps import generic, lines, runs, url

    # the step classes by their registry names, imported directly (the registry would import every step family)
    S = SimpleNamespace(url_filter=url.URLFilter, c4_paragraph=lines.C4Paragraph, symbol_lines=lines.SymbolLines,
                        regex=generic.RegexStep, sample=generic.Sample, repetition=runs.Repetition)

    rows: list[str] = []
    notes: list[str] = []

    def row(name, ref, n, ref_drops, my_drops, agree, extra="-"):
        rows.append(f"| {name} | {ref} | {n} | {ref_drops} | {my_drops} | {100 * agree / max(n, 1):.2f}% | "
                    f"{n - agree} | {extra} |")

    def want(section):
        return only is None or section in only

    # url_filter vs URLFilter, integrated lists (FineWeb's configuration)
    t0 = time.process_time()
    urls = _urls(data) if want("url") else []
    ref = URLFilter()
    mine = S.url_filter(blocklist="datatrove")
    mine.setup(None)
    for group in ("corpus", "synthetic") if want("url") else ():
        sel = [u for g, u in urls if g == group]
        agree = rd = md = 0
        reasons = Counter()
        dis = []
        for u in sel:
            r = ref.filter(DTDoc(text="x", id="u", metadata={"url": u}))
            rr = None if r is True else r[1]
            d = mine.process(Document(id="u", text="x", metadata={"url": u}))
            mr = None if d.drop is None else d.drop.reason
            rd += rr is not None
            md += mr is not None
            agree += rr == mr
            reasons[rr] += 1
            if rr != mr and len(dis) < 10:
                dis.append((u, rr, mr))
        row(f"url_filter [{group}]", "datatrove URLFilter()", len(sel), rd, md, agree,
            "reasons: " + ", ".join(f"{k or 'keep'} {v}" for k, v in sorted(reasons.items(), key=lambda kv: str(kv[0]))))
        notes += [f"- url_filter {group} disagreement: {x}" for x in dis]
    if want("url"):
        notes.append(f"- url_filter: {len(urls)} URLs, {time.process_time() - t0:.1f} s CPU (both sides, list loading included)")

    # adblock subset vs Dolma's engine
    if adblock_list and want("url"):
        import importlib.machinery
        import importlib.util

        spec = importlib.util.find_spec("dolma")
        so = next(Path(next(iter(spec.submodule_search_locations))).glob("dolma.*.so"))
        loader = importlib.machinery.ExtensionFileLoader("dolma.dolma", str(so))
        mod = importlib.util.module_from_spec(importlib.util.spec_from_file_location("dolma.dolma", so, loader=loader))
        loader.exec_module(mod)
        from winnow.steps.url import _read_text, read_adblock_rules

        text = _read_text(adblock_list)
        rules = sorted({ln.strip() for ln in text.splitlines(True) if not ln.startswith("!")})
        engine = mod.UrlBlocker(rules=rules)
        ab = S.url_filter(adblock_files=[adblock_list], use_integrated_lists=False)
        ab.setup(None)
        dom, anch, subs, skipped = read_adblock_rules(text.splitlines())
        pick = [u for g, u in urls]
        # the list's own anchored domains as page URLs, so that rules fire
        pick += [f"https://{d}/" for d in sorted(dom)[::50]] + [f"https://www.{d}/x" for d in sorted(dom)[::50]]
        agree = rd = md = 0
        dis = []
        for u in pick:
            full = u if "://" in u else "http://" + u
            rb = engine.check_network_urls(url=full, source_url="", request_type="")
            mb = ab.process(Document(id="u", text="x", metadata={"url": u})).drop is not None
            rd += rb
            md += mb
            agree += rb == mb
            if rb != mb and len(dis) < 10:
                dis.append((u, rb, mb))
        row("url_filter adblock subset", "Dolma UrlBlocker (brave adblock)", len(pick), rd, md, agree,
            f"{len(dom)} ||domain^ + {sum(map(len, anch.values()))} ||domain/path + {len(subs)} plain rules used, "
            f"{skipped} skipped")
        notes += [f"- adblock disagreement (url, dolma blocks, winnow blocks): {x}" for x in dis]

    docs = load_docs(data, limit)
    # c4_paragraph vs C4ParagraphFilter
    ref, mine = C4ParagraphFilter(), S.c4_paragraph()
    agree = rd = md = 0
    for _, did, text in docs if want("c4_paragraph") else ():
        rk = ref.filter(DTDoc(text=text, id=did)) is True
        mk = mine.process(Document(id=did, text=text)).drop is None
        rd += not rk
        md += not mk
        agree += rk == mk
    if want("c4_paragraph"):
        row("c4_paragraph", "datatrove C4ParagraphFilter", len(docs), rd, md, agree)

    # symbol_lines vs SymbolLinesFormatter: the text must be identical and rebuild from the edits
    ref, mine = SymbolLinesFormatter(), S.symbol_lines()
    same = changed = rebuilt = 0
    for _, did, text in docs if want("symbol_lines") else ():
        expected = ref.format(text)
        d = mine.process(Document(id=did, text=text))
        same += d.text == expected
        changed += expected != text
        rebuilt += undo_edits(d.text, d.edits) == text
    if want("symbol_lines"):
        row("symbol_lines (output text)", "datatrove SymbolLinesFormatter", len(docs), changed, changed, same,
            f"texts changed {changed}; input rebuilt from edits {rebuilt}/{len(docs)}")

    # regex vs RegexFilter (datatrove: drop when found), a few patterns a user writes
    for pat in (r"(?i)copyright", r"(?i)lorem ipsum", r"\b\d{3}[-.]\d{3}[-.]\d{4}\b", r"(?m)^\s*(cookie|privacy)",
                r"[\u0600-\u06FF]{5,}") if want("regex") else ():
        ref, mine = RegexFilter(pat), S.regex(pattern=pat)
        agree = rd = md = 0
        for _, did, text in docs:
            rk = ref.filter(DTDoc(text=text, id=did))
            mk = mine.process(Document(id=did, text=text)).drop is None
            rd += not rk
            md += not mk
            agree += rk == mk
        row(f"regex `{pat}`", "datatrove RegexFilter", len(docs), rd, md, agree)

    # repetition vs Dolma's repetitions_v1 / paragraph_repetitions_v1 expression (restated: the tagger is the
    # expression plus split_paragraphs; its module needs Dolma's full dependency set)
    rx = re.compile(r"(.+?)(\s?\1){3,}")
    short = [d for d in docs if max(map(len, d[2].split("\n"))) <= 5000]  # the expression is quadratic per line
    for variant in ("repetitions_v1", "paragraph_repetitions_v1") if want("repetition") else ():
        mine = S.repetition(variant=variant, max_recorded_spans=10**9)
        same = n_spans = 0
        t_ref = t_mine = 0.0
        for _, did, text in short:
            t = time.process_time()
            if variant == "repetitions_v1":
                expect = [[m.start(), m.end(), m.group(0).count(m.group(1))] for m in rx.finditer(text)]
            else:
                expect = []
                for m0 in re.finditer(r"[^\n]*\n|[^\n]+$", text):
                    expect += [[m0.start() + m.start(), m0.start() + m.end(), m.group(0).count(m.group(1))]
                             for m in rx.finditer(m0.group(0))]
            t_ref += time.process_time() - t
            t = time.process_time()
            got = mine.process(Document(id=did, text=text)).attributes["repetition.spans"]
            t_mine += time.process_time() - t
            same += got == expect
            n_spans += len(expect)
        row(f"repetition [{variant}]", "Dolma's expression", len(short), "-", "-", same,
            f"{n_spans} runs; CPU {t_ref:.1f} s (expression) vs {t_mine:.1f} s (winnow)")
    if want("repetition"):
        notes.append(f"- repetition: documents with a line over 5,000 characters left out ({len(docs) - len(short)}): "
                     "the expression alone takes seconds to minutes on them")

    # token runs: winnow's periodic_runs vs Dolma's find_periodic_sequences (its utils module loaded from the
    # installed wheel by path: it needs only numpy) on the word ids of every document (Dolma's tokenizer, GPT-NeoX,
    # is not available offline; the run finder is the same whatever the ids are)
    try:
        import importlib.util

        import numpy as np

        if not want("tokens"):
            raise LookupError("not asked for")
        spec = importlib.util.find_spec("dolma")
        util_path = Path(next(iter(spec.submodule_search_locations))) / "taggers/repetitions/utils.py"
        uspec = importlib.util.spec_from_file_location("dolma_rep_utils", util_path)
        umod = importlib.util.module_from_spec(uspec)
        uspec.loader.exec_module(umod)
    except LookupError:
        pass
    except Exception as exc:  # Dolma's wheel is optional here
        notes.append(f"- token runs: Dolma's find_periodic_sequences not loadable ({exc}); not compared")
    else:
        vocab: dict[str, int] = {}
        same = n_runs = 0
        for _, did, text in docs:
            ids = np.array([vocab.setdefault(w, len(vocab)) for w in text.split()], dtype=np.int64)
            expect = [tuple(int(x) for x in r) for r in umod.find_periodic_sequences(ids, max_period=13)]
            same += expect == list(runs.periodic_runs(ids))
            n_runs += len(expect)
        row("repetition token runs", "Dolma find_periodic_sequences", len(docs), "-", "-", same,
            f"{n_runs} runs over whitespace-word ids (periods 1-13)")

    # sample: datatrove's SamplerFilter draws a random stream, so only the kept share is comparable
    for rate in (0.1, 0.5) if want("sample") else ():
        kept = sum(S.sample(rate=rate).process(Document(id=did, text=t)).drop is None for _, did, t in docs)
        notes.append(f"- sample rate={rate}: kept {kept}/{len(docs)} = {kept / len(docs):.3f}")

    table = ["| step | reference | docs | ref drops | winnow drops | agree | disagreements | notes |",
             "|---|---|---:|---:|---:|---:|---:|---|", *rows]
    print("\n".join(table))
    print("\n".join(notes))
    if out_path:
        with open(out_path, "a", encoding="utf-8") as f:
            f.write("\n".join(table) + "\n\n" + "\n".join(notes) + "\n\n")


# --------------------------------------------------------------------------------------------------------------
# test fixture
BLANK_TEXTS = {"empty": "", "space": " ", "newline": "\n", "blank-lines": "  \n\n \t \n", "unicode-spaces": "\xa0\u2003\n"}


def blank_cases(pairs=None) -> list[dict]:
    """The empty and whitespace-only documents with datatrove's verdicts: edge cases every filter must decide as it
    does (datatrove drops the empty text in gopher_repetition with "empty"; a lone newline is a duplicated line)."""
    from datatrove.data import Document as DTDoc

    out = []
    for key, t in BLANK_TEXTS.items():
        verdicts = {}
        for name, ref, _ in pairs or _pairs("datatrove"):
            d = DTDoc(text=t, id=key)
            r = ref.filter(d)
            reason = None if r is True else DT_REASONS.get(r[1], r[1])
            verdicts[name] = {"reason": reason, "text": d.text if name == "c4_quality" and r is True else None}
        out.append({"id": f"blank:{key}", "source": "synthetic", "url": None, "text": t, "datatrove": verdicts})
    return out


def write_fixture(data: Path, out: Path, per_reason: int = 2, max_chars: int = 12000) -> None:
    """Real pages from the permissively licensed sets with datatrove's verdicts, so that tests/steps/test_quality.py
    checks parity without datatrove: every (filter, reason) seen in a sample, ``per_reason`` pages each, plus keeps."""
    from datatrove.data import Document as DTDoc

    ok_sources = {"scrapinghub-aeb", "readability-testpages", "trafilatura-eval"}
    cands = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("source") not in ok_sources:
                continue
            for field in ("text", "main_text"):
                t = rec.get(field)
                if t and t.strip() and len(t) <= max_chars:
                    cands.append((rec, field, t))
    pairs = _pairs("datatrove")
    need = Counter()
    chosen = []
    for rec, field, t in cands[::3]:
        verdicts = {}
        for name, ref, _ in pairs:
            d = DTDoc(text=t, id=rec["id"])
            r = ref.filter(d)
            reason = None if r is True else DT_REASONS.get(r[1], r[1])
            verdicts[name] = {"reason": reason, "text": d.text if name == "c4_quality" and r is True else None}
        keys = [(n, v["reason"]) for n, v in verdicts.items()]
        if any(need[k] < per_reason for k in keys):
            for k in keys:
                need[k] += 1
            chosen.append({"id": f"{rec['id']}:{field}", "source": rec["source"], "url": rec.get("url"),
                           "text": t, "datatrove": verdicts})
    chosen += blank_cases(pairs)
    with open(out, "w", encoding="utf-8") as f:
        for c in chosen:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"wrote {len(chosen)} pages covering {sorted(need, key=str)} to {out}")


if __name__ == "__main__":
    if "--write-tables" in sys.argv:
        write_tables()
    elif "--append-blank-cases" in sys.argv:  # add blank_cases() to the existing fixture without re-sampling it
        with open(ROOT / "tests/fixtures/quality/golden.jsonl", "a", encoding="utf-8") as f:
            for c in blank_cases():
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
    elif "--write-fixture" in sys.argv:
        write_fixture((ROOT / "../shared/data").resolve(), ROOT / "tests/fixtures/quality/golden.jsonl")
    else:
        main()
