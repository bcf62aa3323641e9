"""html_extract's compiled kernels (src/winnow/_native/extract.c): the same extracted text as the pure-Python path
on real pages and on hostile HTML, and the pure path wherever the library is absent, stale or switched off."""

from __future__ import annotations

import gzip
import logging
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from winnow import _native
from winnow.io.warc import decode_html
from winnow.steps import extract as E

SOURCE = Path(_native.__file__).with_name("extract.c")
FIX = Path(__file__).resolve().parent / "fixtures" / "extract"
CFLAGS = ["-O2", "-fPIC", "-shared", "-ffp-contract=off"]  # the Makefile's (its _extract.so rule)


@pytest.fixture
def lib(tmp_path, monkeypatch):
    """The library as `make setup` built it; where it is not built, built here from extract.c; skipped only where
    no C compiler is found."""
    if _native.pure_forced():
        monkeypatch.delenv(_native.ENV)
    got = _native.extract_kernels()
    if got is None:
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            pytest.skip("no C compiler: the compiled kernels cannot be built here")
        out = tmp_path / "_extract.so"
        subprocess.run([cc, *CFLAGS, "-o", str(out), str(SOURCE)], check=True)
        monkeypatch.setattr(_native, "EXTRACT_PATH", out)
        got = _native.extract_kernels()
    assert got is not None
    return got


def _pages() -> list[str]:
    return [decode_html(gzip.decompress(p.read_bytes()))[0] for p in sorted(FIX.glob("*.html.gz"))]


def _hostile() -> list[str]:
    many = " ".join(f"a{i}=x" for i in range(20000))
    return [
        "", "<", "<<>>", "\x00<p>\x00nul\x00</p>\x00", "<p a\x00b=1>x</p>", "<p>\ud800 lone surrogate \udfff</p>",
        "<div>" * 5000 + "<p>deep</p>" + "</div>" * 5000, "<ul><li>x" * 2000,
        f"<div {many}>text</div><p>after</p>", f"<p>x</p {many}>y", "<div " + many,
        "<img alt='" + "x" * 10_000_000 + "'><p>after a 10 MB attribute</p>",
        "<div " + " ".join(f"a{i}='>'" for i in range(400)) + ">quoted",
        f"<!-- <div {many}> -->", f"<script>s = '<div {many}>'</script><p>t</p>", f"<textarea><div {many}></textarea>",
        f"<script>var s = '<a b=\"';</script><div {many}>text</div>",
        # non-ASCII where a raw-text element's name is read: Python's case-insensitive match folds U+017F to 's'
        f"<\u017fcript><div {many}></\u017fcript>", f"<scr\u0131pt><div {many}></script>", f"<script></scr\u0130pt ><div {many}>",
        # ... so a tag name that folds onto "script" opens (or closes) a script for the regex, whose text hides
        # what a quote in it would otherwise swallow: each must still reach the tag with too many attributes
        f"<scr\u0131pt x><p a=\"</scr\u0131pt><b {many}>t", f"<script><p a=\"</scr\u0130pt><b {many}>t",
        f"<TEXTAREA><p a='</textare\u0430><i {many}>",
        f"<!---><b {many}>", f"<!--><b {many}>", f"<!-- x --!><b {many}>", f"<?x a='><b {many}>", f"</ a='><b {many}>",
        "caf\xe9 <p title='\u20ac'>\U0001f600 " + "<b x=1 y=2>" * 300, "\ufeff<p>bom</p>", "<p>\x85\xa0\u2028</p>",
        decode_html(b"<p>caf\xe9 \x81\x8d</p>", "windows-1252")[0], decode_html(b"\xff\xfe<\x00p\x00>\x00")[0],
    ]


def test_attribute_prefilter_never_passes_what_the_regex_stops(lib):
    # The kernel may say "cannot tell" (the regex then decides) but never "unchanged" where the regex scan stops at
    # a tag: random markup from the grammar's own pieces, at small limits so that tags reach them often.
    rng = random.Random(7)
    ascii_pieces = ["<", ">", "/", "=", '"', "'", " ", "\t", "\n", "\r", "\f", "!", "?", "-", "--", "<!--", "-->",
                    "--!>", "<!-->", "<!--->", "a", "B", "x=", "y='1'", 'z="2"', "script", "SCRIPT", "style", "title",
                    "Textarea", "xmp", "iframe", "noembed", "noframes", "</script", "</title", "</", "<?", "<!", "<s",
                    "<t", "<x", "<i", "<n", "<a", "<a ", "scr", "ipt", 'a="', "\x00"]
    other_pieces = ["scr\u0131pt", "</scr\u0130pt", "\xe9", "\u017f", "\u0131", "\u0130", "\u212a", "\u0101",
                    "\U0001f600", "\ud800", "\xa0"]
    decided = undecided = 0
    for limit in (1, 2, 3, 5):
        scan = E._scanner(limit)[0]
        for k in range(6000):
            pieces = ascii_pieces if k % 2 else ascii_pieces + other_pieces  # half ASCII: there it must decide
            t = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
            want = scan.match(t).end() == len(t)
            raw = t.encode("utf-8", "surrogatepass")
            view = _native.str_units(t)
            assert view is not None
            for got in (lib.attrs_ok(raw, len(raw), 1, limit), lib.attrs_ok(view[0], len(t), view[1], limit)):
                assert not (got and not want), (limit, t)
                if bool(got) == want:
                    decided += 1
                else:
                    undecided += 1
                    assert not t.isascii(), (limit, t)  # only a non-ASCII name can leave it undecided
    assert undecided < 0.1 * decided


def _text(html: str) -> str:
    try:
        return E.extract(html)
    except Exception as e:  # the step turns this into extraction_failed (lone surrogates: the parser's encoder)
        return type(e).__name__


def test_same_text_and_caps_with_and_without_the_library(lib, monkeypatch):
    pages = _pages() + _hostile()
    with_lib = [(E.cap_attributes(h), _text(h)) for h in pages]
    monkeypatch.setenv(_native.ENV, "1")
    assert _native.extract_kernels() is None
    pure = [(E.cap_attributes(h), _text(h)) for h in pages]
    assert with_lib == pure
    assert sum(c is not h for (c, _), h in zip(with_lib, pages)) >= 6  # the hostile tags were capped


def test_str_buffers_are_read_in_place_for_every_width(lib):
    for s in ("", "ascii <p>", "caf\xe9 <p>", "\u20ac <p>", "\U0001f600 <p>", "\ud800", "x" * 100000 + "\xe9"):
        view = _native.str_units(s)
        assert view is not None
        codec = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[view[1]]
        import ctypes

        assert ctypes.string_at(view[0], len(s) * view[1]) == s.encode(codec, "surrogatepass")

    class Sub(str):
        pass

    assert _native.str_units(Sub("<p>")) is None  # a subclass keeps its characters elsewhere: encoded instead
    assert E.cap_attributes(Sub("<p>x</p>")) == "<p>x</p>"


def test_missing_or_stale_library_falls_back_to_the_regex(tmp_path, monkeypatch, caplog):
    if _native.pure_forced():
        monkeypatch.delenv(_native.ENV)
    monkeypatch.setattr(_native, "EXTRACT_PATH", tmp_path / "absent.so")
    assert _native.extract_kernels() is None
    broken = tmp_path / "broken.so"
    broken.write_bytes(b"not an ELF library")
    with caplog.at_level(logging.DEBUG, logger="winnow._native"):
        assert _native.extract_kernels(broken) is None
    assert "not used" in caplog.text
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is not None:
        stale_src = tmp_path / "stale.c"
        stale_src.write_text(SOURCE.read_text().replace("int winnow_extract_version(void) { return",
                                                        "int winnow_extract_version(void) { return 1000 +"))
        stale = tmp_path / "stale.so"
        subprocess.run([cc, *CFLAGS, "-o", str(stale), str(stale_src)], check=True)
        assert _native.extract_kernels(stale) is None
    many = " ".join(f"a{i}=x" for i in range(300))
    assert E.cap_attributes(f"<p {many}>x") == "<p " + " ".join(f"a{i}=x" for i in range(E._MAX_ATTRS - 1)) + ">x"


def _pure_blocks(monkeypatch, html: str):
    with monkeypatch.context() as m:
        m.setenv(_native.ENV, "1")
        return E.parse_blocks(html)


def test_python_whitespace_is_str_isspace_for_every_code_point(lib):
    import sys

    diff = [c for c in range(sys.maxunicode + 1) if bool(lib.py_isspace(c)) != chr(c).isspace()]
    assert diff == []


def test_block_parser_gives_the_pure_blocks_on_renderings_and_random_lines(lib, monkeypatch):
    from resiliparse.extract.html2text import extract_plain_text

    opts = dict(preserve_formatting="minimal_html", links=True, alt_texts=False, comments=False, post_meta=False,
                noscript=True, form_fields=False)
    renderings = []
    for html in _pages() + _hostile()[:12]:
        try:
            tree = E._tree(html)
        except Exception:  # noqa: BLE001 - lone surrogates: the parser refuses the page
            continue
        renderings += [extract_plain_text(tree, main_content=m, **opts) for m in (False, True)]
    rng = random.Random(11)
    pieces = ["<p>", "</p>", "<li>", "</li>", "<h2>", "</h2>", "<h1>", "<h7>", "<a href=\"x\">", "<a>", "</a>", "<ab>",
              "<b>", "<br>", "<br>\n", "\n", "\n\n", "\t\t", "\t", " ", "\xa0", "\u3000", "\x1c", "\x85", "\u2028",
              "&amp;", "&lt;", "&gt;", "&quot;", "&amp;lt;", "<", ">", "word", "Wort", "caf\xe9", "\u20ac", "\U0001f600",
              "x" * 150, "\u0101" * 70]
    # what it leaves to the pure path: <pre>, other entities, the stash mark, \b before a non-ASCII letter, surrogates
    undecidable = ["<pre>", "</pre>", "&copy;", "&amp", "&", "\x02", "<a\xe9>", "\ud800"]
    for k in range(3000):
        use = pieces if k % 2 else pieces + undecidable
        renderings.append("".join(rng.choice(use) for _ in range(rng.randint(0, 60))))
    # the edges: a 200- and a 201-character heading, a heading that is a table row, a link's stripped text
    renderings += ["<h2>" + "x" * 200 + "</h2>\n<h3>" + "y" * 201 + "</h3>", "<h2>a\t\tb</h2>",
                   "<p><a href='/'>\u3000 link \x85</a> and &quot;q&quot;</p>"]
    decided = 0
    for r in renderings:
        got = E._blocks_c(r)
        if got is not None:
            decided += 1
            assert got == _pure_blocks(monkeypatch, r), r
    assert decided > 0.4 * len(renderings)
    # the page's blocks with the library are the pure path's blocks (the real renderings all decided here)
    assert all(E._blocks_c(r) is not None for r in renderings[:2])


def test_main_content_marks_and_prose_flags_match_the_pure_path(lib, monkeypatch):
    # blocks_match: keys (first 300 characters, Unicode whitespace runs as one space, first 200), counted marks in
    # order, and _prose's thresholds, against _combined_py on renderings built to sit on every edge.
    rng = random.Random(5)
    sentence = "The committee met on Tuesday to discuss the budget for the coming year."
    lines = ["<p>" + sentence + "</p>", "<p>" + sentence * 3 + "</p>", "<p>" + sentence[:59] + "</p>",
             "<p>" + ("x " * 30)[:60] + "</p>", "<p>" + ("word " * 12)[:59] + ".</p>", "<p>" + "w " * 74 + "w</p>",
             "<p>" + "w " * 75 + "</p>", "<p>" + "\u65e5\u672c\u8a9e" * 12 + "</p>", "<h2>" + sentence + "</h2>",
             "<p><a href='/'>" + "link " * 7 + "</a>" + "text " * 13 + "</p>",
             "<p><a href='/'>" + "l" * 21 + "</a>" + "text " * 8 + "and more words here</p>",
             "<p>" + "a\u3000b " * 40 + "</p>", "<p>" + "y" * 199 + " z" + "</p>", "<p>" + "y" * 299 + "  tail</p>",
             "<p>" + " " * 5 + "x" * 250 + "</p>", "<li>" + sentence + " \u201cquoted\u201d</li>",
             "<p>" + sentence[:-1] + " \u3002 \u2028</p>", "<p>caf\xe9 " + sentence + "</p>",
             "<p>\u20ac " + sentence + "</p>", "<p>\U0001f600 " + sentence + "</p>", "a\t\tb", "<p>short</p>"]
    pairs = []
    for k in range(400):
        full = [rng.choice(lines) for _ in range(rng.randint(0, 30))]
        main = [x for x in full if rng.random() < 0.5] + [rng.choice(lines) for _ in range(rng.randint(0, 3))]
        if k % 3 == 0:  # another width in one of the two renderings
            main = [x.replace("caf\xe9", "caf\u0101") for x in main]
        pairs.append(("\n".join(full), "\n".join(main)))
    # _prose's edges: lengths 59-61 and 149-151, 4-11 words (CJK-like below n/12), link shares on both sides of
    # 0.05 and 0.35, each sentence-ending character and a plain letter last
    ends = ".!?\u2026:;\"'\xbb\xab\u201c\u201d)]\u3002\uff01\uff1fx"
    for n in (59, 60, 61, 149, 150, 151):
        for words in (4, 5, 9, 10, 11):
            for link in {0, -(-n // 20) - 1, -(-n // 20), int(0.35 * n), int(0.35 * n) + 1}:
                for end in ends:
                    rest = n - max(link, 1) - (words - 1)  # characters left for words 2..n after the first
                    if link < 0 or words < 2 or rest < words - 1:
                        continue
                    sizes = [rest // (words - 1)] * (words - 1)
                    sizes[-1] += rest - sum(sizes)
                    body = " ".join("w" * k for k in sizes)[:-1] + end
                    first = f"<a href='/'>{'l' * link}</a>" if link else "f"
                    line = f"<p>{first} {body}</p>"
                    pairs.append((line, line if len(pairs) % 2 else ""))
    # keys: whitespace runs inside the first 300 characters, the 300th character, the 200th of the key
    key_a = "<p>a" + " " * 149 + "y" * 150 + "Q tail</p>"
    key_b = "<p>a" + " " * 149 + "y" * 150 + "R tail</p>"
    pairs += [(key_a, key_b), (key_a + "\n" + key_a, key_b), ("<p>" + "z" * 200 + "1</p>", "<p>" + "z" * 200 + "2</p>")]
    marked = prose_seen = 0
    for full, main in pairs:
        got = E._combined_c(full, main)
        assert got is not None
        with monkeypatch.context() as m:
            m.setenv(_native.ENV, "1")
            want = E._combined_py(full, main)
        assert got == want, (full, main)
        marked += sum(b.in_main for b in got[0])
        prose_seen += sum(got[1])
    assert marked > 1000 and prose_seen > 1000


def test_a_rendering_larger_than_the_kept_scratch_buffers(lib, monkeypatch):
    # Buffers above _SCRATCH_KEEP are allocated for the page only (memory does not stay at the largest page's size)
    big = "<p>" + "caf\xe9 " * 2_000_000 + "</p>\n<li><a href='/'>x</a> item</li>"
    assert 2 * len(big) + 4 > E._SCRATCH_KEEP
    got = E._combined_c(big, big)
    assert got is not None and [b.kind for b in got[0]] == ["p", "li"] and all(b.in_main for b in got[0])
    with monkeypatch.context() as m:
        m.setenv(_native.ENV, "1")
        assert got == E._combined_py(big, big)
    assert len(getattr(E._SCRATCH, "aout", b"")) <= E._SCRATCH_KEEP


def test_a_rendering_past_the_kernels_int32_offsets_goes_to_the_pure_path_before_any_scratch(lib, monkeypatch):
    # blocks_parse refuses renderings past 2**30 code units (int32 offsets); the wrapper must not first allocate
    # 2 * n * width bytes of scratch for them (8 GB for a 1G-character page). The bound is lowered to show it.
    page = "<p>" + "x" * 40 + "\n<p>y"

    def no_scratch(name, size):
        raise AssertionError(f"scratch of {size} bytes allocated for a page the kernel refuses")

    monkeypatch.setattr(E, "_PARSE_MAX", 10)
    monkeypatch.setattr(E, "_scratch", no_scratch)
    assert E._blocks_c(page) is None
    assert [b.text for b in E.parse_blocks(page)] == ["x" * 40, "y"]
