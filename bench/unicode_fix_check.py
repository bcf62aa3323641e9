"""unicode_fix's shortcut around ftfy (winnow.steps.clean.fix_screened) against ftfy itself, on real text.

For every text: fix_screened == ftfy.fix_text, line by line the windowed badness test == ftfy's is_bad, and every
line the shortcut leaves alone is one ftfy's fix_and_explain leaves alone; with the CPU seconds of both.

    PYTHONPATH=src python bench/unicode_fix_check.py --data ../shared/data

Texts: the crawl pages' whole visible text and main text (crawl/web-pages.jsonl.gz, the HTML never fixed), the
non-English register documents (crawl/register-multiling, 11 languages) and the unicode fixtures of the tests.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts(data: Path) -> list[str]:
    out = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            out += [t for t in (rec.get("text"), rec.get("main_text")) if t]
    for p in sorted((data / "crawl/register-multiling").rglob("*.tsv.gz")):
        with gzip.open(p, "rt", encoding="utf-8", errors="surrogateescape") as f:
            out += [line.split("\t", 1)[1] for line in f if "\t" in line]
    fx = ROOT / "tests/fixtures/clean/unicode_samples.jsonl"
    out += [json.loads(line)["text"] for line in fx.read_text(encoding="utf-8").split("\n") if line]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    args = ap.parse_args()
    import ftfy
    from ftfy.badness import is_bad

    from winnow.step import Context
    from winnow.steps.clean import UnicodeFix, _gates, _is_bad, _screen, fix_screened

    step = UnicodeFix()
    step.setup(Context())
    cfg = step._config
    screen, gates = _screen(cfg), _gates(cfg)
    docs = texts(Path(args.data))
    print(f"{len(docs)} texts, {sum(map(len, docs)) / 1e6:.1f} M characters", flush=True)
    t0 = time.process_time()
    ref = [ftfy.fix_text(t, cfg) for t in docs]
    t1 = time.process_time()
    new = [fix_screened(t, cfg, screen) for t in docs]
    t2 = time.process_time()
    differ = sum(a != b for a, b in zip(ref, new))
    changed = sum(a != t for a, t in zip(ref, docs))
    lines = bad_diff = skipped_changed = 0
    for t in docs:
        for seg in re.findall(r"[^\n]*\n|[^\n]+", t):  # fix_text's lines
            lines += 1
            fast = _is_bad(seg, *gates[:3])
            bad_diff += fast != is_bad(seg)
            if not fast and not gates[3].search(seg) and unicodedata.is_normalized("NFC", seg):
                skipped_changed += ftfy.fix_and_explain(seg, cfg)[0] != seg
    print(f"ftfy.fix_text {t1 - t0:.2f} CPU s, fix_screened {t2 - t1:.2f} CPU s; {changed} texts changed by ftfy; "
          f"{differ} texts differ")
    print(f"{lines} lines: windowed badness test differs from is_bad on {bad_diff}; lines the shortcut would leave "
          f"that ftfy changes: {skipped_changed}")
    return 1 if differ or bad_diff or skipped_changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
