"""HTML extraction quality and speed, and WARC reading speed.

    .bench-venv-extract/bin/python bench/extraction.py [--data ../shared/data] [--limit N] [--warc]

Quality, on three sets with ground truth:

* scrapinghub-aeb (181 articles): the benchmark's own metric, re-implemented: \\w+ tokens, 4-gram shingle
  multisets, TP/FP/FN per page normalised to sum 1, precision and recall averaged over pages, F1 of the averages.
  The 12 peers' stored outputs are scored with the same code and printed beside winnow's rows.
* trafilatura-eval (990 multilingual pages): per snippet, "with" found = TP, missing = FN; "without" found = FP;
  substring match after whitespace normalisation; P/R/F1 over all snippets.
* cleaneval (739 pages): gold text with its <p>/<h>/<l> markers and URL line removed, scored with the AEB
  shingle metric.

Speed: every system extracts the same pages interleaved page by page (so that load from other processes hits
all of them alike) and is timed with ``time.process_time`` around each call: pages per CPU-second, i.e. pages per
second on one core. The machine is shared, so only the ratios in one run are meaningful.

Peers (trafilatura, warcio) come from the bench venv, never from winnow's dependencies.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from winnow.io.warc import decode_html  # noqa: E402
from winnow.steps.extract import extract  # noqa: E402

_TOK = re.compile(r"\w+")
_WS = re.compile(r"\s+")


# --- metrics ----------------------------------------------------------------------------------------------------
def _shingles(text: str, n: int = 4) -> Counter:
    toks = _TOK.findall(text or "")
    return Counter(tuple(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i:i + n])


def shingle_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp = sum(min(c, p[k]) for k, c in t.items() if k in p)
    fn = sum(t.values()) - tp
    fp = sum(p.values()) - tp
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def shingle_prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def prec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def rec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    ps = [prec(*r) for r in rows if r[0] + r[1] > 0]
    rs = [rec(*r) for r in rows if r[0] + r[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def snippet_prf(results: list[tuple[str, dict]]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for pred, truth in results:
        text = _WS.sub(" ", pred or "")
        for s in truth["with"]:
            if _WS.sub(" ", s) in text:
                tp += 1
            else:
                fn += 1
        for s in truth["without"]:
            if _WS.sub(" ", s) in text:
                fp += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


# --- data -------------------------------------------------------------------------------------------------------
def _html(raw: bytes) -> str:
    return decode_html(raw)[0]  # what the WARC reader and `winnow inspect` hand to html_extract


def load_aeb(root: Path, limit: int | None):
    gt = json.loads((root / "ground-truth.json").read_text())
    pages = []
    for key, v in list(gt.items())[:limit]:
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, v.get("url"), _html(raw), v.get("articleBody", "")))
    return pages


def load_aeb_peers(root: Path, keys: list[str]) -> dict[str, list[tuple[float, float, float]]]:
    gt = json.loads((root / "ground-truth.json").read_text())
    out = {}
    for path in sorted((root / "peer-outputs").glob("*.json")):
        data = json.loads(path.read_text())
        if "output" in data and "version" in data:
            data = data["output"]
        out[path.stem] = [shingle_tp_fp_fn(gt[k]["articleBody"], (data.get(k) or {}).get("articleBody", ""))
                          for k in keys]
    return out


def load_te(root: Path, limit: int | None):
    ev = json.loads((root / "evaldata.json").read_text())
    pages = []
    for url, v in list(ev.items())[:limit]:
        raw = gzip.decompress((root / "html" / (v["file"] + ".gz")).read_bytes())
        pages.append((v["file"], url, _html(raw), v))
    return pages


_MARK = re.compile(r"^\s*<[phl]>\s*", re.M)


def load_cleaneval(root: Path, limit: int | None):
    pages = []
    for part in ("dev", "final"):
        for gold in sorted((root / part / "gold").glob("*.txt.gz"), key=lambda p: int(p.name.split(".")[0])):
            inp = root / part / "input" / gold.name.replace(".txt.gz", ".html.gz")
            if not inp.exists():
                continue
            text = gzip.decompress(gold.read_bytes()).decode("utf-8", "replace")
            lines = text.split("\n")
            url = lines[0][4:].strip() if lines and lines[0].startswith("URL:") else None
            if url is not None:
                text = "\n".join(lines[1:])
            pages.append((f"{part}/{gold.name}", url, _html(gzip.decompress(inp.read_bytes())), _MARK.sub("", text)))
    return pages[:limit]


# --- systems ----------------------------------------------------------------------------------------------------
def systems() -> dict[str, Callable[[str, str | None], str]]:
    out: dict[str, Callable[[str, str | None], str]] = {
        "winnow combined": lambda h, u: extract(h, "combined", u),
        "winnow resiliparse (= resiliparse main_content)": lambda h, u: extract(h, "resiliparse", u),
    }
    try:
        import trafilatura

        out["trafilatura default"] = lambda h, u: trafilatura.extract(h, url=u) or ""
        out["trafilatura fast"] = lambda h, u: trafilatura.extract(h, url=u, fast=True) or ""
        out["trafilatura favor_precision"] = lambda h, u: trafilatura.extract(h, url=u, favor_precision=True) or ""
    except ImportError:
        print("(trafilatura not installed in this venv: peers skipped)", file=sys.stderr)
    return out


def run_all(pages, fns) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Each system on each page, interleaved; returns outputs and CPU seconds per system."""
    outs = {name: [] for name in fns}
    cpu = {name: 0.0 for name in fns}
    for _key, url, html, _truth in pages:
        for name, fn in fns.items():
            t = time.process_time()
            text = fn(html, url)
            cpu[name] += time.process_time() - t
            outs[name].append(text)
    return outs, cpu


# --- WARC reading -----------------------------------------------------------------------------------------------
def write_warc(path: Path, pages: list[str], copies: int) -> int:
    """A gzip-per-record WARC of response records holding the benchmark pages (``copies`` times over)."""
    import uuid

    n = 0
    with open(path, "wb") as out:
        for c in range(copies):
            for i, html in enumerate(pages):
                body = html.encode("utf-8")
                http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://bench.invalid/{c}/{i}\r\n"
                        f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=n + 1)}>\r\n"
                        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n")
                out.write(gzip.compress(head.encode() + http + b"\r\n\r\n", compresslevel=6, mtime=0))
                n += 1
    return n


def warc_table(pages: list[str]) -> list[str]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from winnow.io.warc import WarcReader

    with tempfile.TemporaryDirectory(prefix="winnow-bench-warc-") as d:
        path = Path(d) / "pages.warc.gz"
        n = write_warc(path, pages, 2)
        size = path.stat().st_size
        results = []

        def timed(name, fn):
            t = time.process_time()
            count, nbytes = fn()
            dt = time.process_time() - t
            results.append((name, count, nbytes, dt))

        def fastwarc_read():
            c = b = 0
            with open(path, "rb") as f:
                for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                    b += len(rec.reader.read())
                    c += 1
            return c, b

        def warcio_read():
            from warcio.archiveiterator import ArchiveIterator as WIter

            c = b = 0
            with open(path, "rb") as f:
                for rec in WIter(f):
                    if rec.rec_type == "response":
                        b += len(rec.content_stream().read())
                        c += 1
            return c, b

        def winnow_read():
            c = b = 0
            r = WarcReader(paths=str(path))
            for doc in r.read(str(path)):
                c += 1
                b += len(doc.metadata.get("html", ""))
            return c, b

        timed("FastWARC (iterate + read payload)", fastwarc_read)
        try:
            import warcio  # noqa: F401

            timed("warcio (iterate + read payload)", warcio_read)
        except ImportError:
            results.append(("warcio (not installed in this venv)", 0, 0, 0.0))
        timed("winnow warc reader (FastWARC + HTTP split + charset decode)", winnow_read)
    lines = [f"WARC reading: {n} response records, {size / 1e6:.1f} MB gzip ({sum(map(len, pages)) * 2 / 1e6:.0f} MB "
             f"of HTML), one core", "",
             "| reader | records | records/s | MB/s (uncompressed) |", "|---|---:|---:|---:|"]
    for name, c, b, dt in results:
        if dt:
            lines.append(f"| {name} | {c} | {c / dt:,.0f} | {b / dt / 1e6:,.0f} |")
        else:
            lines.append(f"| {name} | - | - | - |")
    return lines


# --- main -------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--sets", default="aeb,te,cleaneval")
    ap.add_argument("--limit", type=int, default=None, help="pages per set (for a quick look)")
    ap.add_argument("--warc", action="store_true", help="also time WARC reading (FastWARC vs warcio)")
    ap.add_argument("--only", default=None, help="comma-separated substrings of system names to run")
    ap.add_argument("--out", default=None, help="write the tables as markdown to this file")
    args = ap.parse_args(argv)
    data = Path(args.data) / "extraction"
    fns = systems()
    if args.only:
        keys = [k.strip() for k in args.only.split(",")]
        fns = {n: f for n, f in fns.items() if any(k in n for k in keys)}
    md: list[str] = [f"Run: `{' '.join(['bench/extraction.py'] + (argv if argv is not None else sys.argv[1:]))}`, "
                     f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
                     f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine).", ""]
    speed_cpu = {n: 0.0 for n in fns}
    speed_pages = 0
    sets = args.sets.split(",")
    all_html: list[str] = []

    if "aeb" in sets:
        pages = load_aeb(data / "scrapinghub-aeb", args.limit)
        all_html += [p[2] for p in pages]
        outs, cpu = run_all(pages, fns)
        rows = []
        for name, texts in outs.items():
            trip = [shingle_tp_fp_fn(p[3], t) for p, t in zip(pages, texts)]
            rows.append((name, *shingle_prf(trip), len(pages) / cpu[name]))
            speed_cpu[name] += cpu[name]
        speed_pages += len(pages)
        peers = load_aeb_peers(data / "scrapinghub-aeb", [p[0] for p in pages])
        for name, trip in peers.items():
            rows.append((f"{name} (stored output)", *shingle_prf(trip), None))
        rows.sort(key=lambda r: -r[1])
        md += [f"### scrapinghub-aeb ({len(pages)} pages; shingle F1 as the benchmark computes it)", "",
               "| system | F1 | precision | recall | pages/s per core |", "|---|---:|---:|---:|---:|"]
        md += [f"| {n} | {f:.3f} | {p:.3f} | {r:.3f} | {'' if s is None else f'{s:,.0f}'} |" for n, f, p, r, s in rows]
        md.append("")
        print("\n".join(md[-len(rows) - 5:]), flush=True)

    if "te" in sets:
        pages = load_te(data / "trafilatura-eval", args.limit)
        all_html += [p[2] for p in pages]
        outs, cpu = run_all(pages, fns)
        rows = []
        for name, texts in outs.items():
            rows.append((name, *snippet_prf([(t, p[3]) for p, t in zip(pages, texts)]), len(pages) / cpu[name]))
            speed_cpu[name] += cpu[name]
        speed_pages += len(pages)
        rows.sort(key=lambda r: -r[1])
        md += [f"### trafilatura-eval ({len(pages)} pages; must / must-not snippets)", "",
               "| system | F1 | precision | recall | pages/s per core |", "|---|---:|---:|---:|---:|"]
        md += [f"| {n} | {f:.3f} | {p:.3f} | {r:.3f} | {s:,.0f} |" for n, f, p, r, s in rows]
        md.append("")
        print("\n".join(md[-len(rows) - 5:]), flush=True)

    if "cleaneval" in sets:
        pages = load_cleaneval(data / "cleaneval", args.limit)
        outs, cpu = run_all(pages, fns)
        rows = []
        for name, texts in outs.items():
            trip = [shingle_tp_fp_fn(p[3], t) for p, t in zip(pages, texts)]
            rows.append((name, *shingle_prf(trip), len(pages) / cpu[name]))
            speed_cpu[name] += cpu[name]
        speed_pages += len(pages)
        rows.sort(key=lambda r: -r[1])
        md += [f"### cleaneval ({len(pages)} pages; gold text without markers, shingle F1 as for aeb)", "",
               "| system | F1 | precision | recall | pages/s per core |", "|---|---:|---:|---:|---:|"]
        md += [f"| {n} | {f:.3f} | {p:.3f} | {r:.3f} | {s:,.0f} |" for n, f, p, r, s in rows]
        md.append("")
        print("\n".join(md[-len(rows) - 5:]), flush=True)

    if speed_pages:
        base = speed_cpu.get("trafilatura default")
        md += [f"### Speed over all {speed_pages} pages (CPU time, one core)", "",
               "| system | pages/s per core | x trafilatura default |", "|---|---:|---:|"]
        for name, c in sorted(speed_cpu.items(), key=lambda kv: kv[1]):
            ratio = f"{base / c:.1f}x" if base and c else ""
            md.append(f"| {name} | {speed_pages / c:,.0f} | {ratio} |")
        md.append("")
        print("\n".join(md[-len(speed_cpu) - 5:]), flush=True)

    if args.warc:
        if not all_html:
            all_html = [p[2] for p in load_aeb(data / "scrapinghub-aeb", args.limit)]
        lines = warc_table(all_html)
        md += ["### " + lines[0], *lines[1:], ""]
        print("\n".join(lines), flush=True)

    if args.out:
        Path(args.out).write_text("\n".join(md) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
