"""Crawled text is hostile: every payload in a document (text, id, URL, attribute names and values, quarantined
bytes) must reach the page as text and execute nothing, even with the report's CSP taken away."""

from __future__ import annotations

from pathlib import Path

from tests.report.browser import Dom, load
from winnow.report._html import CSP, esc

PAYLOAD_TEXTS = [
    '<script>document.title="PWNED";document.body.setAttribute("data-pwned","script")</script>',
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "<a href=\"javascript:document.body.setAttribute('data-pwned','link')\">click me</a>",
    "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"><circle r=5 /></svg>",
]


def _without_csp(report: Path, out: Path) -> Path:
    html = report.read_text()
    meta = f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
    assert meta in html
    out.write_text(html.replace(meta, ""))
    return out


def _assert_inert(dom: Dom) -> None:
    for tag, attrs, _ in dom.elements:
        assert "data-pwned" not in attrs, f"a payload ran: <{tag} {attrs}>"
        assert tag not in ("script", "iframe", "img", "object", "embed", "base", "style") or \
            (tag == "style" and not attrs), f"a payload became an element: <{tag} {attrs}>"
        assert not any(k.startswith("on") for k in attrs), f"event handler attribute on <{tag}>: {attrs}"
        if tag == "a":
            assert (attrs.get("href") or "").startswith("#"), f"link out of the report: {attrs}"
        if tag == "meta":
            assert attrs.get("http-equiv") in (None, "Content-Security-Policy"), attrs


def test_hostile_documents_render_as_text_and_run_nothing(hostile_run, tmp_path):
    report = hostile_run / "report.html"
    html = report.read_text()
    # the payloads are in the report (examples, language table, quarantine), escaped
    for p in PAYLOAD_TEXTS:
        assert esc(p) in html or esc(p)[:60] in html, f"payload not shown: {p[:40]}"
    stripped = _without_csp(report, tmp_path / "no-csp.html")
    page = load(stripped)
    dom = Dom(page.dom)
    _assert_inert(dom)
    assert all("PWNED" not in line for line in page.console)
    assert "PWNED" not in page.dom.split("</title>")[0]  # the document's title was not rewritten
    text = "".join(dom.text)
    assert '<script>document.title="PWNED"' in text  # shown to the reader as the text it is
    assert "javascript:document.body.setAttribute('data-pwned','url')" in text  # the URL, as text
    assert "x<script>alert(1)</script>.score" in text  # an attribute name
    # and with the CSP in place: no console message at all (nothing blocked, nothing loaded)
    assert load(report).console == []


def test_the_detector_sees_an_unescaped_payload(hostile_run, tmp_path):
    """Control: the same checks catch a payload that is not escaped, so the test above can fail."""
    html = _without_csp(hostile_run / "report.html", tmp_path / "x.html").read_text()
    bad = tmp_path / "bad.html"
    bad.write_text(html.replace(esc(PAYLOAD_TEXTS[1]), PAYLOAD_TEXTS[1], 1))
    dom = Dom(load(bad).dom)
    try:
        _assert_inert(dom)
    except AssertionError as exc:
        assert "img" in str(exc) or "pwned" in str(exc)
    else:
        raise AssertionError("the XSS detector missed an unescaped <img onerror>")
    assert any("data-pwned" in a for _, a, _ in dom.elements)  # the handler really ran in Chromium
