"""CPU time and peak memory of one hostile document per shape (issue 11, items 1-3), each in its own process.

The shapes are the ones the issue names: deeply nested lists and divs, a tag with 200k attributes (html_extract,
combined backend), a run of one punctuation character (the spaCy-compatible tokenizer
of gopher_quality / gopher_repetition / fineweb_quality). `--baseline-src` runs the same shapes against another
checkout's src/ (e.g. `git worktree add /tmp/before 8175377`) for a before/after table.

    python bench/hostile_shapes.py [--baseline-src OTHER/src] [--timeout 30] [--out bench/results/hostile_shapes.md]

`--warc` (stop 29) measures the WARC path instead: each shape is one response record between two real-looking pages
in a .warc.gz, read by WarcReader and extracted by html_extract (the default pipeline's first step) in its own
process; the row gives that process's CPU seconds and peak RSS, and what became of the hostile record (kept with N
characters, dropped with a reason, or quarantined) and whether the pages around it came out whole.

    python bench/hostile_shapes.py --warc [--baseline-src OTHER/src] [--timeout 120]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["ul:20000", "ul:40000", "ulli:20000", "div:40000", "article:40000", "div:100000", "attrs:200000",
         "tok:6250", "tok:100000"]


WARC_CASES = ["nest_b_1e6_unclosed", "nest_b_5e6_unclosed", "nest_div_1e5", "table_1e6_cells", "br_1e6", "p_1e6",
              "attr_15MB", "attr_50MB", "record_100MB", "gzip", "deflate", "br", "zstd", "chunked", "chunked_gzip",
              "charset_lies", "utf16le_bom", "utf16le_nobom", "utf16be_nobom", "pdf_as_html", "png_as_html"]
_PAGE = (b"<html><head><title>t</title></head><body><article><p>"
         + b"This is a perfectly ordinary sentence about the weather today. " * 20 + b"</p></article></body></html>")


def _warc_shape(name: str) -> bytes:
    """The HTTP block of one hostile response record."""
    import gzip
    import zlib

    def http(body: bytes, headers: bytes = b"Content-Type: text/html; charset=utf-8\r\n") -> bytes:
        return b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n" + body

    def chunked(b: bytes) -> bytes:
        return b"".join(b"%x\r\n" % len(b[i:i + 1000]) + b[i:i + 1000] + b"\r\n"
                        for i in range(0, len(b), 1000)) + b"0\r\n\r\n"

    def enc(e: str, body: bytes) -> bytes:
        return http(body, b"Content-Type: text/html\r\nContent-Encoding: " + e.encode() + b"\r\n")

    page, html = _PAGE, b"<html><body>"
    if name == "br":
        import brotli  # not a winnow dependency: the row is skipped without it
    shapes = {
        "nest_b_1e6_unclosed": lambda: http(html + b"<b>" * 1_000_000 + b"deep text"),
        "nest_b_5e6_unclosed": lambda: http(html + b"<b>" * 5_000_000 + b"deep text"),
        "nest_div_1e5": lambda: http(html + b"<div>" * 100_000 + b"deep text" + b"</div>" * 100_000),
        "table_1e6_cells": lambda: http(html + b"<table>" + (b"<tr>" + b"<td>x</td>" * 1000 + b"</tr>") * 1000),
        "br_1e6": lambda: http(html + b"<p>" + b"word<br>" * 1_000_000 + b"</p>"),
        "p_1e6": lambda: http(html + b"<p>w</p>" * 1_000_000),
        "attr_15MB": lambda: http(html + b'<div title="' + b"a" * (15 << 20) + b'">text in div</div>'),
        "attr_50MB": lambda: http(html + b'<div title="' + b"a" * (50 << 20) + b'">text in div</div>'),
        "record_100MB": lambda: http(html + b"<p>" + b"x " * (50 << 20) + b"</p>"),
        "gzip": lambda: enc("gzip", gzip.compress(page, mtime=0)),
        "deflate": lambda: enc("deflate", zlib.compress(page)),
        "br": lambda: enc("br", brotli.compress(page)),
        "zstd": lambda: enc("zstd", __import__("zstandard").ZstdCompressor().compress(page)),
        "chunked": lambda: http(chunked(page), b"Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n"),
        "chunked_gzip": lambda: http(chunked(gzip.compress(page, mtime=0)),
                                     b"Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
                                     b"Content-Encoding: gzip\r\n"),
        "charset_lies": lambda: http(page.replace(b"weather", b"caf\xe9 na\xefve")),  # says utf-8, is cp1252
        "utf16le_bom": lambda: http(b"\xff\xfe" + page.decode().encode("utf-16-le"), b"Content-Type: text/html\r\n"),
        "utf16le_nobom": lambda: http(page.decode().encode("utf-16-le"),
                                      b"Content-Type: text/html; charset=utf-16le\r\n"),
        "utf16be_nobom": lambda: http(page.decode().encode("utf-16-be"), b"Content-Type: text/html\r\n"),
        "pdf_as_html": lambda: http(b"%PDF-1.4\n" + os.urandom(200_000), b"Content-Type: text/html\r\n"),
        "png_as_html": lambda: http(b"\x89PNG\r\n\x1a\n" + os.urandom(200_000), b"Content-Type: text/html\r\n"),
    }
    return shapes[name]()


def _warc_build(folder: Path) -> None:
    """One .warc.gz per shape: a plain page, the hostile record, a plain page (gzip members, as Common Crawl's)."""
    import gzip

    def rec(i: int, block: bytes) -> bytes:
        head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://x.example/{i}\r\n"
                f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{i:08d}>\r\n"
                f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n")
        return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=1, mtime=0)

    good = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + _PAGE
    for name in WARC_CASES:
        try:
            block = _warc_shape(name)
        except ImportError:
            continue
        (folder / f"{name}.warc.gz").write_bytes(rec(0, good) + rec(1, block) + rec(2, good))


def one_warc(path: str) -> str:
    """Runs in the child: reads the WARC and extracts every page; prints 'cpu_s peak_mb fate'."""
    from winnow.document import Quarantine
    from winnow.io.warc import WarcReader
    from winnow.steps.extract import HtmlExtract

    step = HtmlExtract()
    step.name = "html_extract"
    fates = []
    t = time.process_time()
    for item in WarcReader(paths=path).read(path):
        if isinstance(item, Quarantine):
            fates.append(f"quarantined {item.reason}")
            continue
        d = step.process(item)
        fates.append(f"{d.drop.reason} ({d.metadata.get('content_type')})" if d.drop else f"kept {len(d.text):,} ch")
    cpu = time.process_time() - t
    ok = len(fates) == 3 and fates[0] == fates[2] == "kept 1,259 ch"
    fate = fates[1] if ok else "; ".join(fates)
    return f"{cpu:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {fate}"


def measure_warc(src: Path, path: Path, timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    try:
        out = subprocess.run([sys.executable, __file__, "--warc-child", str(path)], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s (killed)"
    if out.returncode:
        return "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1][:80]
    cpu, mb, fate = out.stdout.strip().split(" ", 2)
    return f"{cpu} s / {mb} MB / {fate}"


def one(case: str) -> str:
    """Runs in the child: builds the shape, times the call, prints 'cpu_s peak_mb'."""
    shape, n = case.split(":")
    n = int(n)
    if shape.startswith("tok"):
        from winnow.steps._tokenize import SpacyEnglish

        tk = SpacyEnglish()
        text = "x " + "=" * n + " y"
        t = time.process_time()
        tk.words(text)
        tk.sentence_count(text)
    else:
        from winnow.steps.extract import extract

        html = {"ul": "<ul>" * n + "<li>x", "ulli": "<ul><li>x" * n,
                "attrs": "<div " + " ".join(f"a{i}=x" for i in range(n)) + ">text</div>"}.get(
            shape, f"<{shape}>" * n + "text" + f"</{shape}>" * n)
        html = "<html><body>" + html + "</body></html>"
        t = time.process_time()
        extract(html, "combined")
    return f"{time.process_time() - t:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"


def measure(src: Path, case: str, timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}  # that tree's winnow, not the installed one
    try:
        out = subprocess.run([sys.executable, __file__, "--child", case], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s (killed)"
    if out.returncode:
        return "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1][:80]
    cpu, mb = out.stdout.split()[-2:]
    return f"{cpu} s / {mb} MB"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", help=argparse.SUPPRESS)  # one case, in this process
    ap.add_argument("--warc", action="store_true", help="the WARC shapes (reader + html_extract) instead")
    ap.add_argument("--warc-child", help=argparse.SUPPRESS)
    ap.add_argument("--warc-build", help=argparse.SUPPRESS)
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.child:
        print(one(args.child))
        return 0
    if args.warc_child:
        print(one_warc(args.warc_child))
        return 0
    if args.warc_build:
        _warc_build(Path(args.warc_build))
        return 0
    if args.warc:
        import tempfile

        head = "| WARC record | " + ("before | " if args.baseline_src else "") + "this tree |"
        rows = [head, "|---" * (head.count("|") - 1) + "|"]
        with tempfile.TemporaryDirectory(prefix="winnow-warc-shapes-") as d:
            # built in a child: peak RSS survives exec, so a parent that held the 100 MB record would report it
            subprocess.run([sys.executable, __file__, "--warc-build", d], check=True)
            for name in WARC_CASES:
                path = Path(d) / f"{name}.warc.gz"
                if not path.exists():
                    continue
                cells = [measure_warc(args.baseline_src, path, args.timeout)] if args.baseline_src else []
                cells.append(measure_warc(ROOT / "src", path, args.timeout))
                rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
                print(rows[-1], flush=True)
        return 0
    head = "| shape | " + ("before | " if args.baseline_src else "") + "this tree |"
    rows = [head, "|---" * (head.count("|") - 1) + "|"]
    for case in CASES:
        cells = [measure(args.baseline_src, case, args.timeout)] if args.baseline_src else []
        cells.append(measure(ROOT / "src", case, args.timeout))
        rows.append(f"| `{case}` | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    if args.out:
        args.out.write_text("# Hostile document shapes: CPU seconds / peak RSS, one process each\n\n"
                            f"Command: `python bench/hostile_shapes.py{' --baseline-src <before>/src' if args.baseline_src else ''}"
                            f" --timeout {args.timeout:.0f}` (before = commit 8175377). The tokenizer cache's bound (no chunk over"
                            " 256 characters is kept) is a test, tests/steps/test_quality.py.\n\n" + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
