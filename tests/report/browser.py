"""Headless Chromium for the report tests: the DOM after load, the console, and a screenshot's pixels.

Debian's ``chromium`` package; ``.ci/run`` installs it. In CI (``CI=true``) a missing browser fails the tests that
need it instead of skipping them, so the report can never ship untested.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
_CONSOLE = re.compile(r"(?:INFO|WARNING|ERROR|VERBOSE\d*):CONSOLE(?:\(\d+\))?(?::\d+)?\]?\s*(.*)")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    msg = "headless Chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg + "; CI must run the browser tests")
    pytest.skip(msg)


@dataclass
class Page:
    dom: str
    console: list[str]
    stderr: str


def load(path: Path, *, timeout: float = 60) -> Page:
    """The page's DOM after load, and every console message it produced (CSP violations appear there too)."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as ud:
        p = subprocess.run([exe, *FLAGS, f"--user-data-dir={ud}", "--dump-dom", Path(path).resolve().as_uri()],
                           capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-2000:]
    console = [m.group(1) for line in p.stderr.splitlines() if (m := _CONSOLE.search(line))]
    return Page(p.stdout, console, p.stderr)


def screenshot(path: Path, out: Path, *, width: int = 1280, height: int = 2400, timeout: float = 60) -> Path:
    exe = chromium()
    with tempfile.TemporaryDirectory() as ud:
        p = subprocess.run([exe, *FLAGS, f"--user-data-dir={ud}", f"--window-size={width},{height}",
                            f"--screenshot={out}", Path(path).resolve().as_uri()],
                           capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0 and out.exists(), p.stderr[-2000:]
    return out


def png_pixels(path: Path):
    """An (height, width, 3) uint8 array of an 8-bit non-interlaced RGB(A) PNG: enough for Chromium's screenshots,
    without an imaging library."""
    import numpy as np

    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w * bpp + 1)
    out = np.zeros((h, w * bpp), dtype=np.uint8)
    prev = np.zeros(w * bpp, dtype=np.int64)
    for y in range(h):
        f = int(raw[y, 0])
        line = raw[y, 1:].astype(np.int64)
        if f == 1:  # Sub: a running sum per channel
            line = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1) & 255
        elif f == 2:
            line = (line + prev) & 255
        elif f in (3, 4):  # Average and Paeth depend on the reconstructed left byte: byte by byte
            cur = line.tolist()
            pv = prev.tolist()
            for i in range(len(cur)):
                a = cur[i - bpp] if i >= bpp else 0
                b = pv[i]
                if f == 3:
                    cur[i] = (cur[i] + (a + b) // 2) & 255
                else:
                    c = pv[i - bpp] if i >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            line = np.array(cur, dtype=np.int64)
        out[y] = line
        prev = line
    return out.reshape(h, w, bpp)[:, :, :3]


class Dom(HTMLParser):
    """Elements (tag, attrs, the id of the nearest section) and text of a page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], str | None]] = []
        self.text: list[str] = []
        self._sections: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._sections.append(a.get("id"))
        self.elements.append((tag, a, self._sections[-1] if self._sections else None))

    def handle_endtag(self, tag):
        if tag == "section" and self._sections:
            self._sections.pop()

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str, section: str | None = None) -> int:
        return sum(1 for t, _, s in self.elements if t == tag and (section is None or s == section))
