"""WARC / WET readers on real Common Crawl, ClueWeb and Dolma WARC files, intact, truncated and corrupted."""

from __future__ import annotations

import gzip
import os
import uuid
import zlib
from pathlib import Path

import pytest
import zstandard

from winnow.document import Document, Quarantine
from winnow.io.warc import WarcReader, WetReader, decode_html
from winnow.registry import lookup

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "extract"
CC = FIX / "warcfile.warc.gz"
CLUEWEB = FIX / "clueweb-quirk.warc.gz"
DOLMA = FIX / "sample-0000.warc.gz"


def read(reader_cls, path) -> tuple[list[Document], list[Quarantine]]:
    docs, bad = [], []
    for item in reader_cls(paths=str(path)).read(str(path)):
        (bad if isinstance(item, Quarantine) else docs).append(item)
    return docs, bad


def warc_record(rtype: str, url: str, block: bytes, extra: str = "") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, rtype + url)}>\r\n{extra}"
            f"Content-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", mtime=0)


def http_response(status: str, ctype: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def test_registered():
    assert lookup("warc", "reader") is WarcReader
    assert lookup("wet", "reader") is WetReader


def test_common_crawl_responses_with_metadata():
    docs, bad = read(WarcReader, CC)
    assert bad == []
    assert len(docs) == 16  # the 16 response records; request/metadata/warcinfo records are not documents
    for d in docs:
        m = d.metadata
        assert d.id.startswith("urn:uuid:") and d.id == m["warc_record_id"]
        assert m["url"].startswith("http") and m["warc_date"].startswith("2020-08-08")
        assert m["http_status"] == 200 and m["content_type"] == "text/html"
        assert isinstance(m["html"], str) and "<" in m["html"] and m["charset"]
        assert d.text == ""  # html_extract fills it
    assert len({d.id for d in docs}) == 16


def test_legacy_charsets_are_decoded():
    docs = {d.metadata["url"]: d for d in read(WarcReader, CC)[0]}
    ru = docs["http://01spb.ru/company/"].metadata
    assert ru["charset"] == "cp1251" and ru["charset_source"] == "http"
    assert "О компании" in ru["html"]
    gbk = docs["http://041696.com/15477/list_6_4.html"].metadata  # no HTTP charset: the page's <meta> says gbk
    assert gbk["charset"] == "gb18030" and gbk["charset_source"] == "meta"
    assert "\ufffd" not in gbk["html"] and any("\u4e00" <= ch <= "\u9fff" for ch in gbk["html"])
    bom = docs["http://05925.net/index.php/vod/type/id/53.html"].metadata
    assert bom["charset_source"] == "bom" and not bom["html"].startswith("\ufeff")


def test_clueweb_quirks_lf_headers_euc_jp_and_false_content_encoding():
    docs, bad = read(WarcReader, CLUEWEB)
    assert bad == [] and len(docs) >= 20
    m = docs[0].metadata
    assert m["http_status"] == 200 and m["content_type"] == "text/html"  # LF-only HTTP header block parsed
    assert m["charset"] == "euc_jp" and m["http_charset"] == "EUC-JP"
    assert "ブラウニー" in m["html"]  # the title, decoded from EUC-JP; the gzip header was not believed


def test_angle_bracket_uris_are_unwrapped():
    docs, bad = read(WarcReader, DOLMA)
    assert bad == []
    assert docs[0].metadata["url"] == "https://www.semanticscholar.org/research/research-team"


def test_uncompressed_warc(tmp_path):
    plain = tmp_path / "cc.warc"
    plain.write_bytes(gzip.decompress(CC.read_bytes()))
    docs, bad = read(WarcReader, plain)
    assert bad == [] and len(docs) == 16


def test_truncated_file_quarantines_the_last_record_and_keeps_the_rest(tmp_path):
    data = CC.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:60000])  # inside the 6th response record
    docs, bad = read(WarcReader, cut)
    assert len(docs) == 5
    assert len(bad) == 1 and bad[0].reason == "truncated"
    assert "044545.com" in bad[0].message and bad[0].location.startswith("byte ")


def test_corrupt_region_is_quarantined_once_and_reading_resumes(tmp_path):
    data = bytearray(CC.read_bytes())
    data[20000:20100] = bytes(100)  # zeros inside the gzip member of the 2nd response record
    bad_file = tmp_path / "bad.warc.gz"
    bad_file.write_bytes(bytes(data))
    docs, bad = read(WarcReader, bad_file)
    assert [q.reason for q in bad] == ["corrupt_record"]
    urls = [d.metadata["url"] for d in docs]
    assert "http://01spb.ru/company/" not in urls  # the damaged record
    assert urls[0] == "http://003338.cn/l41/481397.html" and len(docs) == 15  # everything else


def _gzip_members(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        out.append(d.decompress(data[pos:]))
        pos = len(data) - len(d.unused_data)
    return out


def test_zstd_warc_resumes_after_a_corrupt_frame(tmp_path):
    # The zstd WARC layout: one frame per record (here the real Common Crawl records, recompressed).
    frames = [zstandard.ZstdCompressor().compress(m) for m in _gzip_members(CC.read_bytes())]
    good = tmp_path / "cc.warc.zst"
    good.write_bytes(b"".join(frames))
    docs, bad = read(WarcReader, good)
    assert bad == [] and len(docs) == 16
    data = bytearray(good.read_bytes())
    start = len(frames[0]) + len(frames[1])  # frame 2: the first response record
    data[start + 2000:start + 2100] = bytes(100)
    damaged = tmp_path / "bad.warc.zst"
    damaged.write_bytes(bytes(data))
    docs, bad = read(WarcReader, damaged)
    assert [q.reason for q in bad] == ["corrupt_record"] and "resumed" in bad[0].message
    assert len(docs) == 15 and "http://003338.cn/l41/481397.html" not in [d.metadata["url"] for d in docs]


def test_zstd_warc_with_a_dictionary_reports_that_it_cannot_resume(tmp_path):
    frames = [zstandard.ZstdCompressor().compress(m) for m in _gzip_members(CC.read_bytes())]
    # A skippable frame (magic 0x184D2A5D) first is where a zstd WARC keeps its dictionary.
    blob = bytearray(b"\x5d\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"dict" + b"".join(frames))
    start = 12 + len(frames[0]) + len(frames[1])
    blob[start + 2000:start + 2100] = bytes(100)
    path = tmp_path / "dict.warc.zst"
    path.write_bytes(bytes(blob))
    docs, bad = read(WarcReader, path)
    assert [q.reason for q in bad] == ["corrupt_record"] and "cannot resume" in bad[0].message


def test_garbage_and_missing_files(tmp_path):
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(os.urandom(5000))
    docs, bad = read(WarcReader, junk)
    assert docs == [] and bad and all(q.reason in ("corrupt_record", "unreadable_file") for q in bad)
    docs, bad = read(WarcReader, tmp_path / "nope.warc.gz")
    assert docs == [] and [q.reason for q in bad] == ["unreadable_file"]


def test_non_html_and_non_200_become_documents_without_html(tmp_path):
    html = gzip.decompress((FIX / "aeb-1.html.gz").read_bytes())
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(
        warc_record("response", "https://example.org/ok", http_response("200 OK", "text/html; charset=utf-8", html),
                    "Content-Type: application/http; msgtype=response\r\n")
        + warc_record("response", "https://example.org/gone", http_response("404 Not Found", "text/html", html),
                      "Content-Type: application/http; msgtype=response\r\n")
        + warc_record("response", "https://example.org/logo.png",
                      http_response("200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
                      "Content-Type: application/http; msgtype=response\r\n")
        + warc_record("request", "https://example.org/ok", b"GET /ok HTTP/1.1\r\n\r\n"))
    docs, bad = read(WarcReader, path)
    assert bad == []
    by_url = {d.metadata["url"]: d.metadata for d in docs}
    assert set(by_url) == {"https://example.org/ok", "https://example.org/gone", "https://example.org/logo.png"}
    assert "html" in by_url["https://example.org/ok"]
    assert by_url["https://example.org/gone"]["http_status"] == 404 and "html" not in by_url["https://example.org/gone"]
    assert by_url["https://example.org/logo.png"]["content_type"] == "image/png"
    assert "html" not in by_url["https://example.org/logo.png"]


def test_wet_conversion_records(tmp_path):
    texts = ["Erste Seite mit Umlauten: äöü ß.\nZweite Zeile.", "Second page, plain English text."]
    path = tmp_path / "sample.warc.wet.gz"
    path.write_bytes(b"".join(
        warc_record("conversion", f"https://example.org/{i}", t.encode(),
                    f"WARC-Refers-To: <urn:uuid:{uuid.UUID(int=i + 1)}>\r\nContent-Type: text/plain\r\n"
                    f"WARC-Identified-Content-Language: {'deu' if i == 0 else 'eng'}\r\n")
        for i, t in enumerate(texts)))
    docs, bad = read(WetReader, path)
    assert bad == []
    assert [d.text for d in docs] == texts
    assert docs[0].metadata["language_hint"] == "deu" and docs[0].metadata["warc_refers_to"].startswith("urn:uuid:")
    assert docs[0].metadata["content_type"] == "text/plain" and docs[1].metadata["url"] == "https://example.org/1"


@pytest.mark.parametrize("payload,declared,expect,how", [
    ("Grüße aus Köln".encode("utf-8"), "iso-8859-1", "Grüße aus Köln", "utf8"),  # the server's label is wrong
    ("Привет, мир".encode("cp1251"), "windows-1251", "Привет, мир", "http"),
    ('<meta charset="shift_jis"><p>日本語のページ</p>'.encode("shift_jis"), None, "日本語のページ", "meta"),
    ("“quoted” – dash".encode("cp1252"), "latin-1", "“quoted” – dash", "http"),  # latin-1 means cp1252 on the web
    (b"\xef\xbb\xbf<p>bom</p>", None, "<p>bom</p>", "bom"),
])
def test_decode_html(payload, declared, expect, how):
    text, _codec, got_how = decode_html(payload, declared)
    assert expect in text and got_how == how


def test_decode_html_never_raises():
    rnd = os.urandom(4096)
    for declared in (None, "utf-8", "no-such-charset", "utf-16", "x-user-defined", "\x00", "base64", "rot13"):
        text, codec, how = decode_html(rnd, declared)
        assert isinstance(text, str) and codec and how
    assert decode_html(b"", None)[0] == ""


def test_payloads_decode_as_decode_html_says_whichever_path_reads_them(tmp_path):
    # Plain UTF-8 is decoded in place (no copy of the payload); BOMs, legacy bytes, a content encoding and an
    # empty body take the general path. Every one must come out as decode_html decodes the payload.
    page = "<html><body><p>Grüße, naïve café – 東京</p></body></html>"
    cases = {
        "utf8": ("text/html", page.encode(), b""),
        "utf8-bom": ("text/html", b"\xef\xbb\xbf" + page.encode(), b""),
        "utf16-bom": ("text/html", page.encode("utf-16"), b""),
        "latin": ("text/html; charset=iso-8859-1", page.encode("cp1252", "replace"), b""),
        "gzip": ("text/html", gzip.compress(page.encode(), mtime=0), b"Content-Encoding: gzip\r\n"),
        "empty": ("text/html", b"", b""),
        "lf-head": (None, page.encode(), b""),
    }
    blob = b""
    for name, (ctype, body, extra) in cases.items():
        if ctype is None:  # an LF-only head, as ClueWeb09 wrote them
            block = b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n" + body
        else:
            block = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n").encode() + extra + b"\r\n" + body
        blob += warc_record("response", f"https://example.org/{name}", block,
                            "Content-Type: application/http; msgtype=response\r\n")
    path = tmp_path / "enc.warc.gz"
    path.write_bytes(blob)
    docs, bad = read(WarcReader, path)
    assert bad == []
    got = {d.metadata["url"].rsplit("/", 1)[1]: d.metadata for d in docs}
    for name, (ctype, body, extra) in cases.items():
        declared = "iso-8859-1" if name == "latin" else None
        payload = gzip.decompress(body) if name == "gzip" else body
        html, codec, how = decode_html(payload, declared)
        assert (got[name]["html"], got[name]["charset"], got[name]["charset_source"]) == (html, codec, how), name
    assert got["utf8"]["html"] == page and got["utf8-bom"]["html"] == page and got["lf-head"]["html"] == page


@pytest.mark.parametrize("codec", ["bz2", "xz"])
def test_a_warc_compressed_with_bz2_or_xz_is_one_record_saying_how_to_recompress(tmp_path, codec):
    # FastWARC reads gzip and zstd only: a.warc.bz2 was one "corrupt or truncated WARC data ... Invalid WARC header"
    # record, which said nothing of why.
    import bz2
    import lzma

    raw = gzip.decompress((FIX / "warcfile.warc.gz").read_bytes())
    p = tmp_path / f"a.warc.{codec}"
    p.write_bytes(bz2.compress(raw) if codec == "bz2" else lzma.compress(raw))
    for reader in (WarcReader(paths=str(p)), WetReader(paths=str(p))):
        out = list(reader.read(str(p)))
        assert len(out) == 1 and isinstance(out[0], Quarantine) and out[0].reason == "unreadable_file"
        assert ("bzip2" if codec == "bz2" else "xz") in out[0].message and "gzip > " in out[0].message
    # the same WARC, gzipped, reads as before
    (tmp_path / "b.warc.gz").write_bytes(gzip.compress(raw))
    assert all(isinstance(d, Document) for d in WarcReader(paths=str(tmp_path / "b.warc.gz")).read(
        str(tmp_path / "b.warc.gz")))


def _chunked(body: bytes, size: int = 100) -> bytes:
    return b"".join(b"%x\r\n" % len(body[i:i + size]) + body[i:i + size] + b"\r\n"
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def test_http_bodies_as_servers_send_them_are_read_as_their_page(tmp_path):
    # Crawlers other than Common Crawl's store the body as the server sent it. Before: a chunked body kept its
    # chunk-size lines in the page's text, a chunked gzip body and a Brotli one were decoded as text (binary garbage
    # kept as a page), a UTF-16 page without a BOM was read as UTF-8 (NUL is valid UTF-8: its markup became its
    # text), and a PDF or a PNG served as text/html was kept as 150,000 characters of garbage.
    from winnow.steps.extract import HtmlExtract

    page = "<html><body><article><p>" + "Grüße from an ordinary page about the weather. " * 30 + "</p></article></body></html>"
    raw = page.encode()
    cases = {
        "chunked": (b"Transfer-Encoding: chunked\r\n", _chunked(raw)),
        "chunked-gzip": (b"Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n",
                         _chunked(gzip.compress(raw, mtime=0))),
        "dechunked-by-crawler": (b"Transfer-Encoding: chunked\r\n", raw),  # the header kept, the body plain
        "zstd": (b"Content-Encoding: zstd\r\n", zstandard.ZstdCompressor().compress(raw)),
        "utf16le": (b"", page.encode("utf-16-le")),
        "utf16be": (b"", page.encode("utf-16-be")),
    }
    try:
        import brotli
    except ImportError:
        brotli = None
    if brotli is not None:
        cases["br"] = (b"Content-Encoding: br\r\n", brotli.compress(raw))
    binary = {"pdf": b"%PDF-1.4\n" + os.urandom(3000), "png": b"\x89PNG\r\n\x1a\n" + os.urandom(3000)}
    blob = b""
    for name, (extra, body) in [*cases.items(), *((k, (b"", v)) for k, v in binary.items())]:
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + extra + b"\r\n" + body
        blob += warc_record("response", f"https://example.org/{name}", block,
                            "Content-Type: application/http; msgtype=response\r\n")
    path = tmp_path / "served.warc.gz"
    path.write_bytes(blob)
    docs, bad = read(WarcReader, path)
    assert bad == []
    got = {d.metadata["url"].rsplit("/", 1)[1]: d for d in docs}
    assert set(got) == {*cases, *binary}
    step = HtmlExtract()
    step.name = "html_extract"
    for name in cases:
        assert got[name].metadata["html"] == page, name
        d = step.process(got[name])
        assert d.drop is None and d.text.startswith("Grüße from an ordinary page") and len(d.text) < 1500, name
    # an empty chunked body: the 0 size line alone was kept as the page ("0\r\n\r\n"), html_extract's text "0"
    blob = warc_record("response", "https://example.org/empty", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                       "Content-Type: application/http; msgtype=response\r\n")
    (tmp_path / "empty.warc").write_bytes(blob)
    (empty,), _ = read(WarcReader, tmp_path / "empty.warc")
    assert empty.metadata["html"] == ""
    for name, ctype in (("pdf", "application/pdf"), ("png", "image/png")):
        d = step.process(got[name])
        assert d.metadata["content_type"] == ctype and d.metadata["declared_type"] == "text/html", name
        assert d.drop is not None and d.drop.reason == "not_html" and d.text == "", name


def test_a_brotli_body_with_a_brotli_package_that_cannot_bound_it_is_quarantined(tmp_path, monkeypatch):
    # brotli before 1.2 has no output_buffer_limit: the record was a bad_record "cannot be parsed: ... unexpected
    # keyword argument 'output_buffer_limit'" (review14); it names the package and the fix now
    brotli = pytest.importorskip("brotli")

    class Old:  # brotli 1.1's Decompressor.process(data)
        def process(self, data):
            raise AssertionError("decoded without a bound")

    monkeypatch.setattr(brotli, "Decompressor", Old)
    page = b"<html><body><p>" + b"a page about the weather " * 20 + b"</p></body></html>"
    blob = b"".join(warc_record("response", f"https://example.org/{name}", b"HTTP/1.1 200 OK\r\nContent-Type: "
                                b"text/html\r\n" + extra + b"\r\n" + page,
                                "Content-Type: application/http; msgtype=response\r\n")
                    for name, extra in (("br", b"Content-Encoding: br\r\n"), ("plain", b"")))
    (tmp_path / "a.warc").write_bytes(blob)
    docs, bad = read(WarcReader, tmp_path / "a.warc")
    assert [d.metadata["url"] for d in docs] == ["https://example.org/plain"]
    assert [q.reason for q in bad] == ["bad_http"] and "brotli>=1.2" in bad[0].message
