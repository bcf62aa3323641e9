"""url_filter: datatrove's URLFilter cases and Dolma's URL/domain blocker cases, as data."""

from __future__ import annotations

import tarfile

import pytest

from winnow import Document, steps
from winnow.steps.url import read_adblock_rules, read_domain_list


def _verdict(step, url):
    doc = step.process(Document(id="0", text="x", metadata={"url": url}))
    return True if doc.drop is None else doc.drop.reason


# datatrove tests/pipeline/filters/test_filters.py::test_url (0.10, Apache-2.0)
DT_URL_CASES = [
    ("https://blocked.com/some-sub-url?with=stuff", "domain"),
    ("https://hey.danger.org/some-sub-url?with=stuff", "domain"),
    ("http://hey.danger.org/some-sub-url?with=stuff", "domain"),
    ("http://www.danger.org/some-sub-url?with=stuff", "domain"),
    ("https://nice.com/some-sub-url?with=stuff", True),
    ("https://badsubdomain.nice.com/some-sub-url?with=stuff", "subdomain"),
    ("https://sdsd.badsubdomain.nice.com/some-sub-url?with=stuff", True),
    ("https://blocke.dcom/some-sub-url?with=stuff", True),
]


@pytest.mark.parametrize("url,expected", DT_URL_CASES)
def test_datatrove_url_filter_golden_cases(url, expected):
    step = steps.url_filter(extra_domains=["blocked.com", "danger.org", "badsubdomain.nice.com"])
    assert _verdict(step, url) == expected


def test_word_rules_follow_datatrove():
    step = steps.url_filter()  # the shipped lists
    assert _verdict(step, "https://example.com/bangbros-videos") == "hard_blacklisted"
    # datatrove splits the raw URL: case is kept, so an upper-case banned word is not a word match (the sub-word
    # rule, on the lowercased URL, still sees "xxx")
    assert _verdict(step, "https://example.com/BangBros-videos") is True
    assert _verdict(step, "https://example.com/XXX-videos") == "blacklisted_subword"
    d = step.process(Document(id="s", text="x", metadata={"url": "https://example.com/hot-babes-anus"}))
    assert d.drop.reason == "soft_blacklisted" and (d.drop.value, d.drop.threshold) == (2, 2)
    assert d.attributes["url_filter.soft_words"] == 2 and d.attributes["url_filter.rule"] == "anus,babes"
    assert _verdict(step, "https://example.com/hot-babes") is True  # one soft word is below the threshold
    # a sub-word is searched in the lowercased URL without its non-alphanumerics
    assert _verdict(step, "https://example.com/2-Girls-1-Cup") == "blacklisted_subword"
    assert _verdict(steps.url_filter(use_integrated_lists=False), "https://example.com/xxx") is True
    assert _verdict(steps.url_filter(use_integrated_lists=False, banned_words=["Foo-Bar"]),
                    "https://foobar.org/") == "hard_blacklisted"  # user words are normalised like datatrove's
    assert _verdict(steps.url_filter(extra_urls=["https://a.org/x"]), "https://a.org/x") == "url"


def test_missing_url_is_explicit():
    assert steps.url_filter().process(Document(id="n", text="x")).drop.reason == "no_url"
    assert steps.url_filter(on_missing_url="keep").process(Document(id="n", text="x")).drop is None
    d = steps.url_filter(url_key="source_url").process(Document(id="k", text="x", metadata={"source_url": "http://xxx.com"}))
    assert d.drop.reason == "hard_blacklisted"


def test_blocklist_from_an_archive_or_folder_like_datatroves(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "domains").write_text("casino-example.net\n#comment.com\n")
    (tmp_path / "lists" / "urls").write_text("http://ok.org/bad-page\n")
    with tarfile.open(tmp_path / "bl.tar.gz", "w:gz") as tar:  # datatrove's archive layout: domains, urls
        tar.add(tmp_path / "lists" / "domains", "domains")
        tar.add(tmp_path / "lists" / "urls", "urls")
    for spec in (str(tmp_path / "lists"), str(tmp_path / "bl.tar.gz")):
        step = steps.url_filter(blocklist=spec)
        step.validate()
        assert _verdict(step, "https://www.casino-example.net/") == "domain"
        assert _verdict(step, "http://ok.org/bad-page") == "url"
        assert _verdict(step, "http://ok.org/good-page") is True
        assert _verdict(step, "http://comment.com/") is True
    with pytest.raises(ValueError, match="neither"):
        steps.url_filter(blocklist=str(tmp_path / "nope")).validate()


# Dolma tests/python/test_urls.py (Apache-2.0): its domain list and the URLs it checks against it
DOLMA_DOMAINS = ["example.com\n", "0.0.0.0 example2.com\n", "::1 example3.com\n"]
DOLMA_DOMAIN_CASES = [("http://example.com", True), ("EXAMPLE.COM", True), ("https://example2.com", True),
                      ("example3.com", True), ("http://example4.com", False), ("http://example.com/foo", True)]


@pytest.mark.parametrize("url,blocked", DOLMA_DOMAIN_CASES)
def test_dolma_domain_list_golden_cases(tmp_path, url, blocked):
    f = tmp_path / "domains.txt"
    f.write_text("".join(DOLMA_DOMAINS))
    step = steps.url_filter(domain_files=[str(f)], use_integrated_lists=False)
    assert (_verdict(step, url) == "domain_list") is blocked


def test_domain_list_formats_and_the_www_prefix():
    got = read_domain_list(["# c", "; c", "! c", "www.Wikipedia.org", "||ads.example^", "1.2.3.4 evil.org",
                            "127.0.0.1 localhost", ""])
    assert got == {"wikipedia.org", "ads.example", "evil.org", "1.2.3.4"}


def test_www_is_a_prefix_not_a_set_of_characters(tmp_path):
    # Dolma strips the characters 'w' and '.', so its wikipedia.org entry never matches; winnow strips the prefix
    f = tmp_path / "d.txt"
    f.write_text("wikipedia.org\n")
    step = steps.url_filter(domain_files=[str(f)], use_integrated_lists=False)
    assert _verdict(step, "https://www.wikipedia.org/wiki/X") == "domain_list"
    assert _verdict(step, "https://wikipedia.org/") == "domain_list"
    assert _verdict(step, "https://en.wikipedia.org/") is True  # a domain list matches the host exactly


def test_adblock_subset(tmp_path):
    # Dolma's test_brave_adblocker rules (plain substring rules) and easylist's domain anchor for berush.com
    rules = ["! comment", "[Adblock Plus 2.0]", "-advertisement-icon.", "-advertisement-management/",
             "-advertisement.", "-advertisement/script.", "||berush.com^", "||pjatr.com^$image,script",
             "@@||good.com^", "example.org##.ad", "/banner/*/img^", "||ads.site.com/path/", "|http://x.org/"]
    f = tmp_path / "list.txt"
    f.write_text("\n".join(rules) + "\n")
    step = steps.url_filter(adblock_files=[str(f)], use_integrated_lists=False)
    assert _verdict(step, "http://example.com/-advertisement-icon.") == "adblock_rule"
    assert _verdict(step, "http://example.com/main-icon") is True
    assert _verdict(step, "berush.com") == "adblock_rule"
    assert _verdict(step, "https://cdn.berush.com/x") == "adblock_rule"
    assert _verdict(step, "https://notberush.com/x") is True
    assert _verdict(step, "example.com") is True
    assert _verdict(step, "https://pjatr.com/") is True  # a rule with options ($image) is skipped
    assert _verdict(step, "https://ads.site.com/path/x") == "adblock_rule"
    assert _verdict(step, "https://notads.site.com/path/x") is True
    assert _verdict(step, "https://ads.site.com/other") is True
    d, a, s, skipped = read_adblock_rules(rules)
    assert d == {"berush.com"} and a == {"ads.site.com": ["/path/"]} and skipped == 5


def test_url_filter_validation(tmp_path):
    with pytest.raises(ValueError, match="no such list file"):
        steps.url_filter(adblock_files=[str(tmp_path / "none.txt")]).validate()
    with pytest.raises(ValueError, match="soft_word_threshold"):
        steps.url_filter(soft_word_threshold=0).validate()


# Dolma tests/python/test_urls.py::test_links_tagger (Apache-2.0): its link list and the URLs it checks
DOLMA_LINKS = ["http://example.com/foo/bar\n", "https://example2.com/foo\n"]
DOLMA_LINK_CASES = [("http://example.com/foo/bar", True), ("https://example.com/foo/bar", True),
                    ("example.com/foo/bar/", True), ("http://example.com/foo/", False),
                    ("https://example.com/foo/bar/baz", False), ("s3://example2.com/foo", True),
                    ("https://example2.com/foo/bar", False)]


@pytest.mark.parametrize("url,blocked", DOLMA_LINK_CASES)
def test_dolma_link_list_golden_cases(tmp_path, url, blocked):
    f = tmp_path / "links.txt"
    f.write_text("".join(DOLMA_LINKS))
    step = steps.url_filter(url_files=[str(f)], use_integrated_lists=False)
    assert (_verdict(step, url) == "url_list") is blocked
