"""``url_filter``: FineWeb's first filter, datatrove's ``URLFilter``, plus the block lists Dolma users bring.

The datatrove rules, in its order (the first that applies is the reason):

1. ``domain``: the registered domain (``tldextract``: ``news.bbc.co.uk`` -> ``bbc.co.uk``) is a blocked domain;
2. ``subdomain``: the full host name is a blocked domain;
3. ``url``: the whole URL, as written, is a blocked URL;
4. ``hard_blacklisted``: a banned word is one of the URL's words (split on runs of non-alphanumerics, case kept);
5. ``soft_blacklisted``: at least ``soft_word_threshold`` soft-banned words are among them;
6. ``blacklisted_subword``: a banned sub-word occurs in the URL lowercased with every non-alphanumeric removed.

Lists: datatrove's three word lists ship with winnow (``winnow/data/url_filter``, Apache-2.0, see SOURCE.md). Its
domain and URL lists are the UT1 blacklists of Université Toulouse Capitole (CC BY-SA 4.0, tens of MB), which winnow
does not ship: set ``blocklist`` to datatrove's ``url_filterblacklistsv0_3_0.tar.gz`` (``blocklist: datatrove``
finds it in an installed datatrove) or to a folder holding ``domains`` and ``urls`` files.

Dolma's lists, after the datatrove rules:

7. ``url_list``: link lists read as Dolma's URL taggers read them (the same line formats): a URL matches when its
   ``host[:port]/path``, lowercased, without scheme, query or trailing ``/``, is listed.
8. ``domain_list``: files read as Dolma's domain taggers read them: one domain a line, hosts-file lines
   (``0.0.0.0 example.com``), or ``||example.com^``; ``#``, ``;`` and ``!`` lines are comments. The URL's host
   (lowercased, one leading ``www.`` removed) matches exactly, with or without ``www.``. (Dolma strips the leading
   characters ``w`` and ``.`` instead of the prefix ``www.``, so ``wikipedia.org`` never matches there; winnow
   removes the prefix.)
9. ``adblock_rule``: Adblock Plus rules, the subset Dolma's URL blocker sees on a page URL: ``||domain^`` (that
   host and its subdomains), ``||domain/path`` and plain rules (a case-insensitive substring of the URL), ``!``
   comments. Left out, and counted in an info log line when the step sets up: exception rules
   (``@@``), rules with options (``$image``, ``$third-party``...), element hiding (``##``), wildcards (``*``),
   separators ``^`` other than at a domain anchor's end, start/end anchors (``|http``), and regex rules (``/re/``).
"""

from __future__ import annotations

import importlib.util
import io
import logging
import re
import tarfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Iterator, Literal
from urllib.parse import urlsplit

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject

__all__ = ["URLFilter", "read_domain_list", "read_link_list", "read_adblock_rules", "dolma_link"]

log = logging.getLogger(__name__)

_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+")  # datatrove's URL word split and normaliser
_DT_ARCHIVE = "url_filterblacklistsv0_3_0.tar.gz"
_DOLMA_LINE_URL = re.compile(r"(([a-z0-9\-_]+\.?){2,}|localhost|localdomain)")  # a host as Dolma's taggers read it
_HOSTS_LINE = re.compile(r"([0-9a-f.:]+)\s+" + _DOLMA_LINE_URL.pattern)
_ABP_DOMAIN = re.compile(r"\|+" + _DOLMA_LINE_URL.pattern + r"\^")


def _normalize(s: str) -> str:
    return _NON_ALNUM.sub("", s).lower()


def _word_list(lines: Iterable[str], normalize: bool) -> set[str]:
    # datatrove: a line whose first character is '#' is a comment; others are stripped (and normalised for words)
    return {(_normalize(x) if normalize else x.strip()) for x in lines if x and x[0] != "#"}


def _shipped(name: str) -> list[str]:
    return resources.files("winnow").joinpath("data/url_filter", name).read_text(encoding="utf-8").splitlines(True)


def _datatrove_archive() -> Path:
    spec = importlib.util.find_spec("datatrove")  # found, never imported
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("blocklist: 'datatrove' needs datatrove installed (pip install datatrove), or give the path "
                         f"of its {_DT_ARCHIVE}")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / _DT_ARCHIVE
    if not path.is_file():
        raise ValueError(f"blocklist: the installed datatrove has no {path}")
    return path


def _blocklist_sets(spec: str) -> tuple[set[str], set[str]]:
    """(domains, URLs) from datatrove's archive or a folder with ``domains`` and ``urls`` files, read line by line
    into the sets (datatrove's domains file has 4.5 million lines: no list of them is ever held as well)."""
    path = _datatrove_archive() if spec == "datatrove" else Path(spec).expanduser()
    found: dict[str, set[str]] = {}
    if path.is_dir():
        for name in ("domains", "urls"):
            p = path / name
            if p.is_file():
                with open(p, encoding="utf-8", errors="replace") as f:
                    found[name] = _word_list(f, False)
        if not found:
            raise ValueError(f"blocklist: folder {path} has neither a 'domains' nor a 'urls' file")
    elif path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(path) as tar:
            for m in tar.getmembers():
                base = m.name.rsplit("/", 1)[-1]
                if m.isfile() and base in ("domains", "urls") and base not in found:
                    f = tar.extractfile(m)
                    assert f is not None
                    found[base] = _word_list(io.TextIOWrapper(f, encoding="utf-8", errors="replace"), False)
        if not found:
            raise ValueError(f"blocklist: archive {path} holds no 'domains' or 'urls' file")
    else:
        raise ValueError(f"blocklist: {spec!r} is neither 'datatrove', a folder with domains/urls files, nor a .tar.gz")
    return found.get("domains", set()), found.get("urls", set())


def _list_lines(lines: Iterable[str]) -> Iterator[str]:
    """A block list's lines as Dolma reads them: stripped, lowercased, without blanks and #, ; or ! comments."""
    for ln in lines:
        ln = ln.strip().lower()
        if ln and ln[0] not in "#;!":
            yield ln


def _hosts_line(ln: str, out: set[str], key: Callable[[str], str]) -> bool:
    """A hosts-file line ('0.0.0.0 host'): its host as ``key`` gives it, and its address too, as Dolma blocks both
    (never the local ones). False when the line is not one."""
    m = _HOSTS_LINE.match(ln)
    if not m:
        return False
    ip, host = m.group(1), m.group(2)
    if ip not in ("127.0.0.1", "0.0.0.0", "::1") and _is_ip(ip):
        out.add(ip)
    if host not in ("localhost", "localdomain"):
        out.add(key(host))
    return True


def read_domain_list(lines: Iterable[str]) -> set[str]:
    """Domains from a list as Dolma's domain taggers read it (plain, hosts-file and ``||domain^`` lines)."""
    out: set[str] = set()
    for ln in _list_lines(lines):
        if _hosts_line(ln, out, _host_key):
            continue
        m = _ABP_DOMAIN.match(ln)
        if m:
            out.add(_host_key(m.group(1)))
            continue
        if _DOLMA_LINE_URL.match(ln):
            host = _host(ln if "://" in ln else "http://" + ln)
            if host:
                out.add(_host_key(host))
    return out


def dolma_link(url: str) -> str:
    """A URL as Dolma's link taggers compare it: host[:port]/path, lowercased, no scheme, query or trailing "/"."""
    u = url.strip()
    try:
        p = urlsplit(u if "://" in u else "//" + u)
        port = p.port
    except ValueError:
        return ""
    host = p.hostname or ""
    return f"{host}{f':{port}' if port else ''}{p.path}".rstrip("/").lower()


def read_link_list(lines: Iterable[str]) -> set[str]:
    """Links from a list as Dolma's URL taggers read it (plain, hosts-file and ||domain^ lines)."""
    out: set[str] = set()
    for ln in _list_lines(lines):
        if _hosts_line(ln, out, dolma_link):
            continue
        if _DOLMA_LINE_URL.match(ln):
            out.add(dolma_link(ln))
            continue
        m = _ABP_DOMAIN.match(ln)
        if m:
            out.add(m.group(1))
    out.discard("")
    return out


def read_adblock_rules(lines: Iterable[str]) -> tuple[set[str], dict[str, list[str]], list[str], int]:
    """(anchored domains, anchored domain -> path prefixes, substring rules, rules skipped) from Adblock Plus lines,
    the subset described above."""
    domains: set[str] = set()
    anchored: dict[str, list[str]] = {}
    subs: list[str] = []
    skipped = 0
    for ln in lines:
        ln = ln.strip()
        if not ln or ln.startswith("!") or ln.startswith("[adblock"):
            continue
        low = ln.lower()
        if low.startswith("@@") or "$" in low or "##" in low or "#@#" in low or "#?#" in low or "*" in low or (
                low.startswith("/") and low.endswith("/") and len(low) > 1):
            skipped += 1
            continue
        if low.startswith("||"):
            body = low[2:]
            if body.endswith("^") and "^" not in body[:-1] and "/" not in body and "|" not in body:
                domains.add(body[:-1].rstrip("."))
            elif "^" not in body and "|" not in body and re.match(r"[a-z0-9.\-_]+[/:]", body):
                # ||domain/path: that host or a subdomain, then a URL that goes on with the path
                cut = re.match(r"[a-z0-9.\-_]+", body).end()
                anchored.setdefault(body[:cut].rstrip("."), []).append(body[cut:])
            else:
                skipped += 1
            continue
        if "^" in low or "|" in low:
            skipped += 1
            continue
        subs.append(low)
    return domains, anchored, subs, skipped


def _is_ip(s: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _host_key(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


_TLD: list[Any] = []


def _tld_extract() -> Any:
    """One extractor per process (parsing the suffix list takes most of a second). It reads the public-suffix
    snapshot inside the tldextract wheel: nothing is fetched, the same answer on every machine."""
    if not _TLD:
        try:
            from tldextract import TLDExtract
        except ImportError as exc:
            raise ImportError("url_filter needs tldextract: pip install 'winnow[url]'") from exc
        _TLD.append(TLDExtract(suffix_list_urls=(), cache_dir=None))
    return _TLD[0]


class _Substrings:
    """Any of many lowercase substrings in a text, without testing every rule on every URL: rules are indexed by
    their first 4 characters and only those starting at one of the text's 4-grams are compared."""

    K = 4

    def __init__(self, rules: Iterable[str]) -> None:
        self.short: list[str] = []
        self.index: dict[str, list[str]] = {}
        for r in sorted(set(rules)):
            if len(r) < self.K:
                self.short.append(r)
            else:
                self.index.setdefault(r[: self.K], []).append(r)

    def first(self, text: str) -> str | None:
        for r in self.short:
            if r in text:
                return r
        idx = self.index
        if idx:
            for i in range(len(text) - self.K + 1):
                cands = idx.get(text[i: i + self.K])
                if cands:
                    for r in cands:
                        if text.startswith(r, i):
                            return r
        return None


@register("url_filter")
@dataclass
class URLFilter(Filter):
    """Drop documents by URL: datatrove's URLFilter (FineWeb's first step: blocked domains/URLs, banned words) plus Dolma-style domain lists and adblock rules."""

    # "datatrove": datatrove 0.10's URLFilter rules and order.
    variant: Literal["datatrove"] = "datatrove"
    # Metadata field that holds the document's URL.
    url_key: str = "url"
    # What a document without a URL gets: "drop" (reason no_url, so a wrong url_key shows at once in the report)
    # or "keep". (datatrove stops the whole run with an assertion instead.)
    on_missing_url: Literal["drop", "keep"] = "drop"
    # URL words from soft_banned_words that drop a document (datatrove's default).
    soft_word_threshold: int = 2
    # datatrove's banned, soft-banned and banned-sub-word lists (shipped with winnow, Apache-2.0).
    use_integrated_lists: bool = True
    # datatrove's domain and URL block lists (the UT1 blacklists, CC BY-SA 4.0, not shipped): "datatrove" (its
    # url_filterblacklistsv0_3_0.tar.gz in an installed datatrove), the path of that archive, or a folder with
    # "domains" and "urls" files. null: none (FineWeb ran with them: set this to reproduce it).
    blocklist: str | None = None
    # More blocked domains, URLs and words, as datatrove's extra_domains, extra_urls, banned_words,
    # banned_subwords and soft_banned_words.
    extra_domains: list[str] = field(default_factory=list)
    extra_urls: list[str] = field(default_factory=list)
    banned_words: list[str] = field(default_factory=list)
    banned_subwords: list[str] = field(default_factory=list)
    soft_banned_words: list[str] = field(default_factory=list)
    # Domain list files read as Dolma's domain taggers read them (plain, hosts-file or ||domain^ lines).
    domain_files: list[str] = field(default_factory=list)
    # Link list files read as Dolma's URL taggers read them: a document's URL matches when its host[:port]/path
    # (lowercased; no scheme, query or trailing "/") is listed.
    url_files: list[str] = field(default_factory=list)
    # Adblock Plus rule files (EasyList, OISD, Brave lists; .gz too) checked on the page URL as Dolma's URL blocker
    # does: ||domain^ (that host and its subdomains), ||domain/path, plain rules (a substring, any case), !
    # comments. Skipped (counted in the log): exceptions @@, rules with $options, ## cosmetic rules, wildcards *,
    # other ^ and | anchors, /regex/ rules. On EasyList it decided as Dolma's engine on all of 4,420 URLs
    # (bench/results/parity.md).
    adblock_files: list[str] = field(default_factory=list)

    REASONS: ClassVar[tuple[str, ...]] = ("domain", "subdomain", "url", "hard_blacklisted", "soft_blacklisted",
                                          "blacklisted_subword", "domain_list", "url_list", "adblock_rule", "no_url")
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "soft_word_threshold": ("url_filter.soft_words", ">=", "soft_blacklisted")}
    READS_TEXT = False  # the URL alone: it may come before html_extract, as FineWeb's URLFilter does

    def validate(self) -> None:
        super().validate()
        if self.variant != "datatrove":
            raise ValueError(f"unknown variant {self.variant!r}; expected datatrove")
        if self.soft_word_threshold < 1:
            raise ValueError("soft_word_threshold must be at least 1")
        for f in [*self.domain_files, *self.url_files, *self.adblock_files]:
            if not Path(f).expanduser().is_file():
                raise ValueError(f"no such list file {f!r}")
        if self.blocklist is not None:
            # where the lists are, without reading them (datatrove's archive is 124 MB unpacked)
            path = _datatrove_archive() if self.blocklist == "datatrove" else Path(self.blocklist).expanduser()
            if not (path.is_dir() or (path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")))):
                raise ValueError(f"blocklist: {self.blocklist!r} is neither 'datatrove', a folder with domains/urls "
                                 "files, nor a .tar.gz")

    def setup(self, ctx: Context) -> None:
        self._tld = _tld_extract()
        domains = _word_list(self.extra_domains, False)
        urls = _word_list(self.extra_urls, False)
        banned = _word_list(self.banned_words, True)
        subwords = _word_list(self.banned_subwords, True)
        soft = _word_list(self.soft_banned_words, True)
        if self.use_integrated_lists:
            banned |= _word_list(_shipped("banned_words.txt"), True)
            subwords |= _word_list(_shipped("banned_subwords.txt"), True)
            soft |= _word_list(_shipped("soft_banned_words.txt"), True)
        if self.blocklist is not None:
            d_set, u_set = _blocklist_sets(self.blocklist)
            d_set |= domains  # the big set absorbs the small one, never the other way round
            u_set |= urls
            domains, urls = d_set, u_set
        self._domains, self._urls, self._banned, self._soft = domains, urls, banned, soft
        self._subwords = _Substrings(subwords)
        self._list_domains: set[str] = set()
        for f in self.domain_files:
            self._list_domains |= read_domain_list(_read_text(f).splitlines())
        self._list_links: set[str] = set()
        for f in self.url_files:
            self._list_links |= read_link_list(_read_text(f).splitlines())
        abp_domains: set[str] = set()
        abp_anchored: dict[str, list[str]] = {}
        abp_subs: list[str] = []
        skipped = 0
        for f in self.adblock_files:
            d, a, s, k = read_adblock_rules(_read_text(f).splitlines())
            abp_domains |= d
            for dom, tails in a.items():
                abp_anchored.setdefault(dom, []).extend(tails)
            abp_subs += s
            skipped += k
        self._abp_domains, self._abp_anchored = abp_domains, abp_anchored
        self._abp_subs = _Substrings(abp_subs)
        if skipped:
            log.info("url_filter: %d adblock rules outside the supported subset were skipped "
                     "(exceptions, options, wildcards, cosmetic, regex)", skipped)

    def reject(self, doc: Document) -> Reject | None:
        if getattr(self, "_tld", None) is None:
            self.setup(Context())
        url = doc.metadata.get(self.url_key)
        if not isinstance(url, str) or not url:
            doc.attributes["url_filter.rule"] = None
            return Reject("no_url", None, None) if self.on_missing_url == "drop" else None
        info = self._tld(url)
        words = set(_NON_ALNUM.split(url))
        n_soft = sum(1 for w in words if w in self._soft)
        doc.attributes["url_filter.soft_words"] = n_soft
        verdict = self._verdict(url, info, words, n_soft)
        doc.attributes["url_filter.rule"] = verdict[1] if verdict else None
        return verdict[0] if verdict else None

    def _verdict(self, url: str, info: Any, words: set[str], n_soft: int) -> tuple[Reject, str] | None:
        reg = info.top_domain_under_public_suffix if hasattr(info, "top_domain_under_public_suffix") \
            else info.registered_domain
        if reg in self._domains:
            return Reject("domain"), reg
        if info.fqdn in self._domains:
            return Reject("subdomain"), info.fqdn
        if url in self._urls:
            return Reject("url"), url
        hit = next((w for w in sorted(words) if w in self._banned), None)
        if hit is not None:
            return Reject("hard_blacklisted"), hit
        if n_soft >= self.soft_word_threshold:
            return Reject("soft_blacklisted", n_soft, self.soft_word_threshold), \
                ",".join(sorted(w for w in words if w in self._soft))
        sub = self._subwords.first(_normalize(url))
        if sub is not None:
            return Reject("blacklisted_subword"), sub
        if self._list_links:
            link = dolma_link(url)
            if link in self._list_links:
                return Reject("url_list"), link
        if self._list_domains or self._abp_domains or self._abp_anchored or self._abp_subs.short \
                or self._abp_subs.index:
            low = url.lower()
            full = low if "://" in low else "http://" + low
            host = _host(full)
            key = _host_key(host)
            if self._list_domains and key in self._list_domains:
                return Reject("domain_list"), key
            labels = host.split(".")
            after_host = full.split("://", 1)[1]
            after_host = after_host[len(host):] if after_host.startswith(host) else None
            for i in range(len(labels) - 1):
                d = ".".join(labels[i:])
                if d in self._abp_domains:
                    return Reject("adblock_rule"), f"||{d}^"
                tails = self._abp_anchored.get(d)
                if tails and after_host is not None:
                    t = next((t for t in tails if after_host.startswith(t)), None)
                    if t is not None:
                        return Reject("adblock_rule"), f"||{d}{t}"
            rule = self._abp_subs.first(low)
            if rule is not None:
                return Reject("adblock_rule"), rule
        return None


def _read_text(path: str) -> str:
    p = Path(path).expanduser()
    data = p.read_bytes()
    if p.name.endswith(".gz"):
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")
