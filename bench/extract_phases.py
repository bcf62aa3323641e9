"""html_extract's CPU by phase on the e2e WARC's pages, and its text with and without the compiled kernels.

    PYTHONPATH=src .venv/bin/python bench/extract_phases.py [--data ../shared/data] [--sets]

Phases (one process, ``time.process_time`` around each, pages as html_extract receives them: the 2,111 pages of
``crawl/web-pages.jsonl.gz``, each decoded as the WARC reader decodes it): the attribute cap, Resiliparse's parse,
the depth check, the page hints, the two renderings, then the Python side (blocks, main-content keys and _prose,
classification, the text). Then every page's text and hints with the kernels and with ``WINNOW_PURE_PYTHON=1``
(the pure path, the extractor's behaviour before the kernels), compared; ``--sets`` adds the pages of the three
extraction sets of bench/extraction.py (their F1 cannot change where the text does not)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from winnow import _native  # noqa: E402
from winnow.io.warc import decode_html  # noqa: E402
from winnow.steps import extract as E  # noqa: E402


def e2e_pages(data: Path) -> list[tuple[str, str]]:
    out = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.append((r["id"], decode_html(gzip.decompress((data / r["file"]).read_bytes()))[0]))
    return out


def phases(pages: list[str]) -> dict[str, float]:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    opts = dict(preserve_formatting="minimal_html", links=True, alt_texts=False, comments=False, post_meta=False,
                noscript=True, form_fields=False)
    t_: dict[str, float] = {}
    pt = time.process_time

    def add(k, t0):
        t1 = pt()
        t_[k] = t_.get(k, 0.0) + t1 - t0
        return t1

    for h in pages:
        t = pt()
        c = E.cap_attributes(h)
        t = add("cap_attributes", t)
        tree = HTMLTree.parse(c)
        t = add("parse (lexbor)", t)
        E.cap_depth(tree)
        t = add("cap_depth", t)
        E.page_hints(tree)
        t = add("page_hints", t)
        full = extract_plain_text(tree, main_content=False, skip_elements=E._SKIP_PAGE, **opts)
        t = add("whole-page rendering", t)
        main = extract_plain_text(tree, main_content=True, skip_elements=E._SKIP, **opts)
        t = add("main-content rendering", t)
        blocks, prose = E._combined_c(full, main) or E._combined_py(full, main)
        t = add("blocks, keys, _prose", t)
        E.classify(blocks, prose)
        t = add("classify", t)
        E.render(blocks)
        add("render", t)
    return t_


def texts(pages: list[tuple[str, str]]) -> list:
    out = []
    for _, h in pages:
        try:
            tree = E._tree(h)
            out.append((E.page_hints(tree), E.extract_combined(tree)))
        except Exception as e:  # noqa: BLE001 - the step turns this into extraction_failed
            out.append(type(e).__name__)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--sets", action="store_true", help="also compare the three extraction sets' pages")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    sets = {"e2e": e2e_pages(data)}
    if args.sets:
        import extraction as X

        ex = data / "extraction"
        sets["scrapinghub-aeb"] = [(p[0], p[2]) for p in X.load_aeb(ex / "scrapinghub-aeb", None)]
        sets["trafilatura-eval"] = [(p[0], p[2]) for p in X.load_te(ex / "trafilatura-eval", None)]
        sets["cleaneval"] = [(p[0], p[2]) for p in X.load_cleaneval(ex / "cleaneval", None)]
    print(f"kernels: {'built' if _native.extract_kernels() is not None else 'not built (pure path)'}")
    t_ = phases([h for _, h in sets["e2e"]])
    print(f"\n| phase ({len(sets['e2e'])} pages) | CPU s |\n|---|---:|")
    for k, v in t_.items():
        print(f"| {k} | {v:.2f} |")
    print(f"| **total** | **{sum(t_.values()):.2f}** |\n")
    for name, pages in sets.items():
        t0 = time.process_time()
        fast = texts(pages)
        t1 = time.process_time()
        os.environ[_native.ENV] = "1"
        try:
            pure = texts(pages)
        finally:
            del os.environ[_native.ENV]
        t2 = time.process_time()
        diff = [k for (k, _), a, b in zip(pages, fast, pure) if a != b]
        print(f"{name}: {len(pages)} pages, text and hints differ on {len(diff)} {diff[:5]}; "
              f"CPU s with kernels {t1 - t0:.2f}, pure {t2 - t1:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
