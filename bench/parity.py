"""Decision parity of winnow's published quality filters with datatrove's, on real documents.

Runs datatrove's filters (the reference) and winnow's steps on the same documents and prints, per filter and
variant, how often the keep/drop decision and the reason agree, plus the token-level agreement of winnow's
spaCy-free tokenizer with spaCy. It installs nothing: run it with a bench venv that has the peer (see
bench/results/parity.md for the exact setup):

    .bench-venv-quality/bin/python bench/parity.py                 # variant "datatrove" vs datatrove 0.10.1 (HEAD)
    .bench-venv-quality-2024/bin/python bench/parity.py --variant fineweb-2024-05   # vs datatrove at c72b1e4

Documents: ``<data>/crawl/web-pages.jsonl.gz`` (``text`` and ``main_text``), every ``.tsv.gz`` under
``<data>/crawl/register-multiling`` (non-English), and ``<data>/../specimens/stitched-page.txt``.

``--write-tables`` regenerates the spaCy rule tables at the end of ``src/winnow/steps/_tokenize.py`` (needs spaCy).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import time
from collections import Counter, defaultdict
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
    if limit:
        docs = docs[:: max(1, len(docs) // limit)][:limit]
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


if __name__ == "__main__" and "--write-tables" in sys.argv:
    write_tables()
    sys.exit(0)
