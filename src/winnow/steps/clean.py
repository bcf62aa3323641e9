"""Text cleaning that keeps the document: unicode repair and PII redaction.

Both steps edit text only through ``doc.replace_spans``, one small span per change, so every edit can be shown,
counted by reason and undone (``winnow explain``).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..document import Document
from ..registry import register
from ..step import Context, Map

__all__ = ["UnicodeFix", "Pii", "find_pii", "luhn_ok", "unicode_spans"]


# --- unicode_fix -------------------------------------------------------------------------------------------------

# An ASCII line without these cannot be changed by any fixer we enable (terminal escapes start with ESC, entities
# with "&", line breaks to normalise contain "\r").
_ASCII_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r&]")
_ODD_SPACES = re.compile("[\u2000-\u200a\u205f\u180e]")
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _classify(removed: str, replacement: str) -> str:
    if removed and removed[0] == "\x1b" or not replacement and all(unicodedata.category(c) in ("Cc", "Cf")
                                                                     for c in removed):
        return "control_char"
    if all(c in _LINE_BREAKS for c in removed) and all(c in _LINE_BREAKS for c in replacement):
        return "line_break"
    if replacement == " " and removed.isspace():
        return "whitespace"
    if unicodedata.normalize("NFC", removed) == replacement or unicodedata.normalize("NFKC", removed) == replacement:
        return "normalize"
    if "&" in removed and ";" in removed:
        return "html_entity"
    return "mojibake"


_TOKENS = re.compile(r"\s+|\S+")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")


def _char_spans(a: str, b: str, base: int, out: list) -> None:
    """Character-level edits turning a short string ``a`` into ``b`` (common prefix and suffix kept)."""
    p = 0
    n = min(len(a), len(b))
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    a_mid, b_mid = a[p:len(a) - s], b[p:len(b) - s]
    if len(a_mid) <= 2 or len(a_mid) * len(b_mid) > 40_000:
        ops = [[p, p + len(a_mid), p, p + len(b_mid)]]
    else:
        sm = difflib.SequenceMatcher(None, a_mid, b_mid, autojunk=False)
        ops = [[p + i1, p + i2, p + j1, p + j2] for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"]
    # Widen a character edit to the unit it belongs to, so "&amp;" -> "&" is one entity edit rather than
    # "amp;" deleted, and "\r\n" -> "\n" one line-break edit. What is added on either side is unchanged text,
    # so the same characters join the replacement.
    if "&" in a or "\r" in a:
        for op in ops:
            for m in _ENTITY.finditer(a):
                if m.start() < op[1] and m.end() > op[0] or m.start() <= op[0] < m.end():
                    left, right = max(0, op[0] - m.start()), max(0, m.end() - op[1])
                    op[0] -= left
                    op[2] -= left
                    op[1] += right
                    op[3] += right
            if op[0] > 0 and a[op[0] - 1] == "\r" and a[op[0]:op[1]] == "\n" and b[op[2]:op[3]] == "":
                op[0] -= 1  # the diff kept the "\r" and dropped the "\n": the same edit, said the usual way
                op[2] -= 1
            if a[op[0]:op[1]] == "\r" and a[op[1]:op[1] + 1] == "\n":
                op[1] += 1
                op[3] += 1
        merged: list[list[int]] = []
        for op in ops:
            if merged and op[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], op[1])
                merged[-1][3] = max(merged[-1][3], op[3])
            else:
                merged.append(op)
        ops = merged
    for i1, i2, j1, j2 in ops:
        removed, repl = a[i1:i2], b[j1:j2]
        out.append((base + i1, base + i2, _classify(removed, repl), repl, None))


def _token_changes(ta: list[str], tb: list[str], window: int = 32, k: int = 3) -> list[tuple[int, int, int, int]]:
    """Changed runs ``(i1, i2, j1, j2)`` between two token lists whose changes are local.

    Walks both lists; at a difference it resynchronises on the nearest run of ``k`` equal tokens within ``window``
    tokens (a general diff is quadratic on the thousands of tokens of a flattened page). Unchanged runs are
    checked equal, so applying the changes always rebuilds ``tb`` exactly; at worst a change is wider than
    needed."""
    out = []
    i = j = 0
    na, nb = len(ta), len(tb)
    while i < na and j < nb:
        if ta[i] == tb[j]:
            i += 1
            j += 1
            continue
        found = None
        for da in range(window):
            anchor = ta[i + da:i + da + k]
            if len(anchor) < k:
                break
            for db in range(window):
                if tb[j + db:j + db + k] == anchor:
                    found = (da, db)
                    break
            if found:
                break
        if found is None:
            break
        out.append((i, i + found[0], j, j + found[1]))
        i += found[0]
        j += found[1]
    if i < na or j < nb:
        out.append((i, na, j, nb))
    return out


def _diff_spans(a: str, b: str, base: int) -> list[tuple[int, int, str, str, None]]:
    """Small edits turning ``a`` into ``b``, as spans of ``a`` offset by ``base``.

    The diff runs on whitespace tokens first (ftfy's fixes are local: mostly the token lists align one to one)
    and on characters only inside the tokens that changed."""
    out: list[tuple[int, int, str, str, None]] = []
    ta, tb = _TOKENS.findall(a), _TOKENS.findall(b)
    pairs = [(0, len(ta), 0, len(tb))] if len(ta) == len(tb) else _token_changes(ta, tb)
    offs = [0]
    for t in ta:
        offs.append(offs[-1] + len(t))
    for i1, i2, j1, j2 in pairs:
        if i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                x, y = ta[i1 + k], tb[j1 + k]
                if x != y:
                    _char_spans(x, y, base + offs[i1 + k], out)
        else:
            _char_spans("".join(ta[i1:i2]), "".join(tb[j1:j2]), base + offs[i1], out)
    return out


_SCREEN: dict[tuple[bool, bool, bool], re.Pattern] = {}


def _screen(config: Any) -> re.Pattern:
    """A character class that every line ftfy could change must contain (NFC aside, checked separately).

    ftfy's mojibake test (a large regex) costs about a microsecond per character; a plain character class finds
    nothing in most clean lines far faster, so only the lines it flags go to ftfy. Built from ftfy's own tables:
    every character its badness expression can match, the controls and ligatures it removes, the line breaks it
    normalises and the Latin-1/Windows-1252 range its decoders work on."""
    key = (bool(config.unescape_html), bool(config.fix_latin_ligatures), bool(config.fix_character_width))
    pat = _SCREEN.get(key)
    if pat is None:
        from ftfy import badness, chardata

        chars: set[str] = set()
        src = badness.BADNESS_RE.pattern
        for i, ch in enumerate(src):
            if ord(ch) > 127:
                chars.add(ch)
                if i + 2 < len(src) and src[i + 1] == "-" and ord(src[i + 2]) > 127:
                    chars.update(chr(c) for c in range(ord(ch), ord(src[i + 2]) + 1))
        chars.update(chr(c) for c in range(0x80, 0x100))
        chars.update(chr(c) for c in chardata.CONTROL_CHARS)
        chars.update("\ufeff\ufffd\u2028\u2029\u200b\u200c\u200d")
        chars.update(chr(c) for c in range(0x206A, 0x2070))
        chars.update(chr(c) for c in range(0xFFF9, 0xFFFD))
        chars.update(chr(c) for c in range(0xD800, 0xE000))
        if config.fix_latin_ligatures:
            chars.update(chr(c) for c in chardata.LIGATURES)
        if config.fix_character_width:
            chars.update(chr(c) for c in chardata.WIDTH_MAP)
        cls = "".join(sorted(re.escape(c) for c in chars))
        ascii_part = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r" + ("&" if config.unescape_html else "")
        pat = _SCREEN[key] = re.compile(f"[{ascii_part}{cls}]|[\u2000-\u200a\u205f\u180e]")
    return pat


_GATES: dict[tuple[bool, bool, bool], Any] = {}


def _gates(config: Any) -> tuple[re.Pattern, int, re.Pattern, re.Pattern] | None:
    """(anchors, width, badness expression, others) that tell, without ftfy, that ftfy leaves a line as it is; None
    where ftfy's tables do not allow it (then every flagged line goes to ftfy).

    On a line in normal form, ftfy's fixers change nothing unless the line holds a character one of them acts on
    (``others``: entities, C1 and other controls, terminal escapes, line breaks, surrogates, ligatures, width) or
    looks like mojibake (``badness.is_bad``: its decoders run only then). The badness expression is a choice of
    short sequences (at most ``width`` characters), each holding a character of a class or literal whose characters
    are all outside ASCII (``anchors``): so a line has a match if and only if one starts within ``width`` before an
    anchor character, found by searching a few characters around each anchor instead of the whole line."""
    if config.uncurl_quotes:
        return None  # its quotes are in no table here
    key = (bool(config.unescape_html), bool(config.fix_latin_ligatures), bool(config.fix_character_width))
    if key in _GATES:
        return _GATES[key]
    gates = None
    try:
        from re import _parser

        from ftfy import badness, chardata

        bad = badness.BADNESS_RE
        tree = _parser.parse(bad.pattern, bad.flags)
        width = tree.getwidth()[1]
        branches = tree[0][1][1] if len(tree) == 1 and tree[0][0] is _parser.BRANCH else [tree]

        def chars(op, av) -> set[int] | None:
            if op is _parser.LITERAL:
                return {av}
            if op is _parser.IN and all(o in (_parser.LITERAL, _parser.RANGE) for o, _ in av):
                out: set[int] = set()
                for o, a in av:
                    out.update([a] if o is _parser.LITERAL else range(a[0], a[1] + 1))
                return out
            return None  # a category, a negated class, any character, a group, a repeat, an anchor

        anchors: set[int] = set()
        for branch in branches:
            sets = [c for c in (chars(op, av) for op, av in branch) if c and min(c) > 127]
            if not sets:
                raise ValueError("a branch without a character outside ASCII")
            for c in sets:
                anchors |= c
        if bad.flags & re.IGNORECASE or width > 64:
            raise ValueError("case-folded or long badness sequences")
        other = {ord(c) for c in "\x1b\r\x85\u2028\u2029"} | set(range(0x80, 0xA0)) | set(range(0xD800, 0xE000))
        other |= set(chardata.CONTROL_CHARS)
        if config.unescape_html:
            other.add(ord("&"))
        if config.fix_latin_ligatures:
            other |= set(chardata.LIGATURES)
        if config.fix_character_width:
            other |= set(chardata.WIDTH_MAP)

        def cls(cs: set[int]) -> re.Pattern:
            return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(cs)) + "]")

        gates = (cls(anchors), width, bad, cls(other))
    except Exception:  # another ftfy's tables: ftfy decides every flagged line, as before
        gates = None
    _GATES[key] = gates
    return gates


def _is_bad(segment: str, anchors: re.Pattern, width: int, bad: re.Pattern) -> bool:
    """``bool(bad.search(segment))``, searched only around the anchor characters (see _gates): a match ends at most
    ``width`` after the anchor it holds, and starts at most ``width`` before it."""
    n = len(segment)
    lo = hi = -1
    for m in anchors.finditer(segment):
        q = m.start()
        a, b = max(0, q - width + 1), min(n, q + width)
        if a > hi:  # a window apart from the one before: search that one
            if hi > lo and bad.search(segment, lo, hi):
                return True
            lo = a
        hi = b
    return hi > lo and bad.search(segment, lo, hi) is not None


def fix_screened(text: str, config: Any, screen: re.Pattern) -> str:
    """``ftfy.fix_text(text, config)``, with ftfy called only on the segments that it would change, as far as a
    cheaper test can tell: those holding a character of ``screen`` (``_screen(config)``) or not in the configured
    normal form, and of those, the ones that hold a character one of its fixers acts on or look like mojibake
    (``_gates``).

    fix_text fixes each line (a segment ending after "\\n", cut at ``max_decode_length``) on its own; only its
    ``unescape_html="auto"`` carries from one line to the next (off from the first line holding "<" on). The same
    loop here, with that state, skips the lines ftfy would leave as they are: a flagged page (an accent, a curly
    quote) has most of its lines clean, and ftfy's passes over each (its badness expression, its translate tables,
    about a microsecond per character together) were most of the step's time (e2e documents: unicode_fix 3.8 CPU s
    of the default pipeline's 39). tests/steps/test_clean.py holds it to fix_text."""
    from ftfy import fix_and_explain

    hits = [m.start() for m in screen.finditer(text)]
    norm = config.normalization
    nfc_whole = not norm or unicodedata.is_normalized(norm, text)
    gates = _gates(config)
    out: list[str] = []
    n, pos, h, nh = len(text), 0, 0, len(hits)
    cap = config.max_decode_length
    cut = False
    while pos < n:
        end = text.find("\n", pos) + 1
        if end == 0:
            end = n
        after_cut, cut = cut, end - pos > cap
        if cut:
            end = pos + cap
        segment = text[pos:end]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        while h < nh and hits[h] < pos:
            h += 1
        # a text in normal form has every line in it in normal form (a line ends at "\n", which combines with
        # nothing); a segment cut at max_decode_length, or starting at such a cut, is checked on its own
        denormal = (cut or after_cut or not nfc_whole) and norm and not unicodedata.is_normalized(norm, segment)
        if denormal or (h < nh and hits[h] < end and (gates is None or gates[3].search(segment)
                                                      or _is_bad(segment, *gates[:3]))):
            segment = fix_and_explain(segment, config)[0]
        out.append(segment)
        pos = end
    return "".join(out)


def unicode_spans(text: str, config: Any, spaces: bool = True) -> list[tuple[int, int, str, str, None]]:
    """Edits that ftfy (with ``config``) would make to ``text``, as minimal ``(start, end, reason, repl, None)``."""
    if text.isascii() and not _ASCII_SUSPECT.search(text):
        return []
    screen = _screen(config)
    norm = config.normalization
    if not screen.search(text) and not (norm and not unicodedata.is_normalized(norm, text)):
        return []
    # ftfy's fix_text, run only on the lines the screen flags (fix_screened), then the edits are found by aligning
    # the two texts, so the result is ftfy's exactly, whatever its segmentation.
    fixed = fix_screened(text, config, screen)
    if spaces:
        fixed = _ODD_SPACES.sub(" ", fixed)
    if fixed == text:
        return []
    return _diff_spans(text, fixed, 0)


@register("unicode_fix")
@dataclass
class UnicodeFix(Map):
    """Repair mojibake and broken unicode with ftfy (NFC, control characters, line breaks); each fix is an edit."""

    normalization: str = "NFC"
    # Entities left by extraction ("&amp;") are decoded unless the text still holds markup ("<"), as ftfy does.
    unescape_html: bool = True
    # Off by default: they restyle correct text rather than repair it (curly quotes are right in many languages;
    # the width fix would turn Chinese full-width punctuation into ASCII).
    uncurl_quotes: bool = False
    fix_character_width: bool = False
    fix_latin_ligatures: bool = True
    # Typographic spaces (en/em/thin/hair, U+2000-U+200A) become plain spaces; no-break spaces are kept.
    fix_spaces: bool = True

    REASONS: ClassVar[tuple[str, ...]] = ("mojibake", "normalize", "control_char", "line_break", "html_entity",
                                          "whitespace")

    def setup(self, ctx: Context) -> None:
        try:
            import ftfy
        except ImportError as exc:
            raise ImportError("unicode_fix needs ftfy: pip install 'winnow[clean]'") from exc
        self._config = ftfy.TextFixerConfig(
            unescape_html="auto" if self.unescape_html else False,
            uncurl_quotes=self.uncurl_quotes,
            fix_character_width=self.fix_character_width,
            fix_latin_ligatures=self.fix_latin_ligatures,
            normalization=self.normalization or None,
            explain=False,
        )

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def map(self, doc: Document) -> Document:
        if getattr(self, "_config", None) is None:
            self.setup(Context())
        spans = unicode_spans(doc.text, self._config, self.fix_spaces)
        if spans:
            doc.replace_spans(self.name, spans)
        return doc


# --- pii ---------------------------------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_QUAD = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
# The local part may start with "_" ("__init__@example.com") and follow a dot (".email@..." keeps the dot, as a
# word boundary would); the domain is a host name, or an address literal with or without brackets
# ("user@123.123.123.123", "user@[IPv6:2001:db8::1]"): the whole address is one e-mail, so the user part never
# stays behind an <IP_ADDRESS> placeholder.
_EMAIL = re.compile(
    r"(?<![\w%+-])[A-Za-z0-9_](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
    rf"|{_QUAD}(?![\w-]|\.\d)"
    rf"|\[(?:{_QUAD}|IPv6:[0-9A-Fa-f:.]{{2,45}})\])"
)
_LOCAL_RUN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._%+-]{0,63}$")  # searched with endpos at the "@"
# "logo@2x.png" is a retina image name, not an address
_FILE_TLDS = frozenset("png jpg jpeg gif svg webp bmp ico css js json pdf html htm php mp4 mp3 zip".split())

_IPV4 = re.compile(rf"(?=\d)(?<![\w.:/-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w-]|\.\d)")
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(
    r"(?<![\w:.])(?:"
    rf"(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,7}}:(?:{_H}(?::{_H}){{0,6}})?"
    rf"|::{_H}(?::{_H}){{0,6}}"
    rf"|(?:{_H}:){{6}}{_OCTET}(?:\.{_OCTET}){{3}}"
    rf"|::ffff:{_OCTET}(?:\.{_OCTET}){{3}}"
    r")(?![\w:]|\.\w)"
)
# A leading lookahead gives the regex engine a first-character set to skip ahead with: several times faster than
# starting with the lookbehind.
# Numbers that only a separator-aware check can tell apart: phones, card numbers, dates, ISBNs, prices.
_NUMBERISH = re.compile(r"(?=[+(\d])(?:(?<![\w+.,/#$€£¥:-])|(?<=[^\W\d]|:)(?=[(+]))(?:\+|00)?\(?\d[\d ().\-/]{5,24}\d(?![\w€$£¥%-]|[.,:]\d)")
_CARD = re.compile(r"(?=\d)(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")

# Words that announce a number which is not a phone or an address even when it looks like one.
_NOT_CONTACT_CUE = re.compile(
    r"(?<!\w)(?:versions?|ver\.?|v|release|build|firmware|kernel|isbn(?:-1[03])?|issn|doi|section|§|chapter|clause|article|"
    r"art\.|figure|fig\.|table|step|patent|no\.|order|invoice|id|sku|ean|upc|gtin)\s*[:#]?\s*$",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    r"(?:(?<!\w)(?:tel|tél|phone|telephone|téléphone|telefon|telefono|teléfono|telefone|puh|puhelin|fax|mobile|mobil|"
    r"cell|call|ring|ringer|ringa|soita|gsm|whatsapp|hotline|ph|p|t|m|tlf|contact)"
    r"|電話|电话|手机|手機|传真|傳真)\.?\s*(?:\([^)]{0,20}\))?\s*[:.：]?\s*$",  # CJK cues follow other letters directly
    re.IGNORECASE,
)
# A number the cue words may vouch for: digit groups, each separator one mark with optional spaces around it
# ("0731 / 153 87-0", "0154-67-3200"; not "3200 - - 2020").
_LOOSE = re.compile(r"\+?\(? ?\d+ ?\)?(?:(?: ?[.\-/] ?| )?\(? ?\d+ ?\)?)*")
_DATE_LIKE = re.compile(r"(?:\d{4}([./-])\d{1,2}\1\d{1,2}|\d{1,2}([./-])\d{1,2}\2(?:\d{2}|\d{4}))"
                        r"(?:[ T]\d{1,2}(?:[.:]\d{2})?)?")
_ZIP4 = re.compile(r"\d{5}-\d{4}")  # US ZIP+4 ("MA 02110-1301")
_SLASH_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4,5}")
_THOUSANDS = re.compile(r"\d{1,3}(?:([ .])\d{3})(?:\1\d{3})*")
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}")
_TRUNK = re.compile(r"\(?0\d{1,4}\)?(?:[ ./-]\d{2,8}){1,5}")
_INTL = re.compile(r"(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(0?\d{1,4}\))?(?:[ .-]?\d{1,5}){2,6}")

REPLACEMENTS = {"email": "<EMAIL>", "ip_address": "<IP_ADDRESS>", "phone": "<PHONE>", "credit_card": "<CREDIT_CARD>"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_brand_ok(d: str) -> bool:
    """Issuer prefixes and lengths of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners,
    UnionPay, Maestro): a Luhn-valid number outside them is far more often an identifier than a card."""
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)
    p2, p4 = int(d[:2]), int(d[:4])
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if d.startswith("6011") or d.startswith("65") or 644 <= int(d[:3]) <= 649:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if p2 in (36, 38, 39) or 300 <= int(d[:3]) <= 305:
        return 14 <= n <= 19
    if p2 == 62:
        return 16 <= n <= 19
    if p2 in (50, 56, 57, 58, 67, 63):
        return 12 <= n <= 19
    return False


def _isbn_ok(d: str) -> bool:
    if len(d) == 13 and d[:3] in ("978", "979"):
        return sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(d)) % 10 == 0
    if len(d) == 10:
        return sum((10 - i) * int(c) for i, c in enumerate(d)) % 11 == 0
    return False


def _isbn_shaped(s: str, d: str) -> bool:
    """An ISBN as books print it: a valid checksum, and bare or hyphenated with a one-character check group.
    (One 10-digit phone number in eleven passes the ISBN-10 checksum by chance: the shape tells them apart.)"""
    if not _isbn_ok(d):
        return False
    if s.isdigit():
        return True
    return set(s) <= set("0123456789-") and len(s.rsplit("-", 1)[-1]) == 1


def _before(text: str, start: int, n: int = 24) -> str:
    return text[max(0, start - n):start]


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _CARD.finditer(text):
        s = m.group()
        seps = {c for c in s if not c.isdigit()}
        if len(seps) > 1:
            continue
        d = s.replace(" ", "").replace("-", "")
        if seps:
            groups = [len(g) for g in re.split(r"[ -]", s)]
            # the groupings printed on cards and typed into forms: 4-4-4-4(-3), 4-6-5, 4-6-4
            if not (all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4 or groups[:2] == [4, 6]):
                continue
        if _card_brand_ok(d) and luhn_ok(d) and not _isbn_ok(d):
            out.append((m.start(), m.end(), "credit_card"))
    return out


def _is_phone(s: str, text: str, start: int) -> bool:
    digits = sum(c.isdigit() for c in s)
    if not 7 <= digits <= 15:
        return False
    before = _before(text, start)
    if _NOT_CONTACT_CUE.search(before):
        return False
    if _DATE_LIKE.fullmatch(s) or _ZIP4.fullmatch(s) or _SLASH_DATE.fullmatch(s):
        return False
    d = "".join(c for c in s if c.isdigit())
    if _isbn_ok(d) and "isbn" in _before(text, start, 40).lower():
        return False
    if s.count("(") != s.count(")"):
        return False
    if _PHONE_CUE.search(before) and _LOOSE.fullmatch(s):
        return True
    if _INTL.fullmatch(s) and digits >= (8 if s[0] == "+" else 11):
        return True
    if _NANP.fullmatch(s):
        return True
    if _THOUSANDS.fullmatch(s):
        return False
    if _TRUNK.fullmatch(s) and 9 <= digits <= 12 and not _isbn_shaped(s, d):
        return True
    # Anything else (a bare digit run, an unusual grouping) only with a word like "tel" or "phone" before it.
    return False


def _phones_in(s: str, text: str, start: int) -> list[tuple[int, int, str]]:
    """Phones inside a candidate that is not one as a whole: the separators include the space, so two numbers
    side by side ("400-600-4100 010-52838050") or a number and what follows ("0154-67-3200 - - 2020") arrive
    as one run. Cut at spaces, longest piece first."""
    out = []
    pos = 0
    while pos < len(s):
        while pos < len(s) and s[pos] in " .-/":
            pos += 1
        rest = s[pos:]
        if not rest:
            break
        cuts = [len(rest)] + [i for i in range(len(rest) - 1, 0, -1) if rest[i] == " "]
        for cut in cuts:
            piece = rest[:cut].rstrip(" .-/")
            # a piece cut out at spaces must not be spaced itself: in a run of space-separated numbers (a table)
            # any three neighbours can look like a phone
            if " " in piece and piece[0] not in "+(":
                continue
            if piece and (piece[-1].isdigit() or piece[-1] == ")") and _is_phone(piece, text, start + pos):
                out.append((start + pos, start + pos + len(piece), "phone"))
                pos += len(piece)
                break
        else:
            nxt = rest.find(" ")
            if nxt < 0:
                break
            pos += nxt + 1
    return out


_PREV_TOKEN = re.compile(r"(\S+)\s+$")
_IP_CUE = frozenset("ip ipv4 address adresse addr server host hostname router gateway dns proxy client from to at "
                    "via localhost inet src dst source destination nameserver ping".split())


def _is_version(s: str, text: str, start: int) -> bool:
    """Software versions share the dotted-quad form ("Firefox 2.0.0.16"): a product name right before a quad
    whose middle parts are small says version, unless the word is about networks ("Server", "IP")."""
    before = _before(text, start, 40)
    if s.startswith("0.") or _NOT_CONTACT_CUE.search(before):
        return True
    m = _PREV_TOKEN.search(before)
    if m is None:
        return False
    word = m.group(1).strip("([:,;\"'").lower()
    if word in _IP_CUE or word.endswith(("-adresse", "-address")):
        return False
    octets = [int(x) for x in s.split(".")]
    name = m.group(1)
    capitalised = name[:1].isupper() and not name.isupper()
    return capitalised and octets[1] < 20 and octets[2] < 20


def _emails(text: str) -> list[tuple[int, int, str]]:
    """E-mail addresses, found from each "@" outwards: a regex scan of the whole text costs more than the rest of
    the PII search together."""
    out = []
    at = text.find("@")
    end = 0
    while at >= 0:
        if at >= end:
            lo = max(end, at - 64)
            m = _LOCAL_RUN.search(text, lo, at)
            if m is not None:
                m = _EMAIL.match(text, m.start())
                if m is not None and m.end() > at:
                    if m.group().rsplit(".", 1)[-1].lower() not in _FILE_TLDS:
                        out.append((m.start(), m.end(), "email"))
                    end = m.end()
        at = text.find("@", at + 1)
    return out


def _is_public(address: str) -> bool:
    # "Public" as datatrove's PIIFormatter means it: Python's ipaddress.is_global (not private, loopback,
    # link-local, shared, documentation or reserved space).
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return True  # a shape the parser refuses is redacted rather than kept


def find_pii(text: str, kinds: frozenset[str] | set[str] = frozenset(REPLACEMENTS),
             # true: redact only globally routable IPs (datatrove's default); false: private and loopback ones too
    only_public_ips: bool = False) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, kind)`` spans of personal data in ``text``, in text order. With
    ``only_public_ips`` an IP address is personal data only when it is globally routable (datatrove's default)."""
    cands: list[tuple[int, int, str]] = []
    if "email" in kinds and "@" in text:
        cands.extend(_emails(text))
    has_digit = _DIGIT.search(text) is not None
    if not has_digit and ":" not in text:
        return _resolve(cands)
    if "credit_card" in kinds:
        cands.extend(_card_spans(text))
    if "ip_address" in kinds:
        for m in _IPV4.finditer(text):
            if not _is_version(m.group(), text, m.start()) and (not only_public_ips or _is_public(m.group())):
                cands.append((m.start(), m.end(), "ip_address"))
        if "::" in text or text.count(":") >= 7:
            for m in _IPV6.finditer(text):
                s = m.group()
                # "a::b" and the like are too short to be told from code; a real address has 3+ groups or a long one
                groups = [g for g in s.split(":") if g]
                if (len(groups) >= 3 or any(len(g) >= 3 for g in groups)) and (not only_public_ips or _is_public(s)):
                    cands.append((m.start(), m.end(), "ip_address"))
    if "phone" in kinds:
        for m in _NUMBERISH.finditer(text):
            s = m.group()
            # a candidate may carry a trailing ")" or a leading "(" that belongs to the prose
            start, end = m.start(), m.end()
            if s.startswith("(") and ")" not in s:
                s, start = s[1:], start + 1
            s2 = s.rstrip(" .-/")
            end -= len(s) - len(s2)
            s = s2
            if _is_phone(s, text, start):
                cands.append((start, end, "phone"))
            elif " " in s:
                cands.extend(_phones_in(s, text, start))
    return _resolve(cands)


_DIGIT = re.compile(r"\d")
_PRIORITY = {"email": 0, "credit_card": 1, "ip_address": 2, "phone": 3}


def _resolve(cands: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    if len(cands) < 2:
        return cands
    cands.sort(key=lambda c: (_PRIORITY[c[2]], c[0]))
    taken: list[tuple[int, int, str]] = []
    for c in cands:
        if all(c[1] <= t[0] or c[0] >= t[1] for t in taken):
            taken.append(c)
    taken.sort()
    return taken


@register("pii")
@dataclass
class Pii(Map):
    """Redact e-mail addresses, IP addresses, phone numbers and Luhn-valid card numbers with typed placeholders.
    IP addresses: every one by default (private and loopback ones too: an intranet address in a leaked log or a
    home router's address still points at a person or an organisation); ``only_public_ips: true`` keeps private,
    loopback, link-local and reserved ones as datatrove's PIIFormatter does."""

    kinds: list[str] = field(default_factory=lambda: ["email", "ip_address", "phone", "credit_card"])
    # true: redact only globally routable IPs (datatrove's default); false: private and loopback ones too
    only_public_ips: bool = False
    REASONS: ClassVar[tuple[str, ...]] = ("email", "ip_address", "phone", "credit_card")

    def setup(self, ctx: Context) -> None:
        unknown = set(self.kinds) - set(REPLACEMENTS)
        if unknown:
            raise ValueError(f"pii: unknown kinds {sorted(unknown)}; expected some of {sorted(REPLACEMENTS)}")
        self._kinds = frozenset(self.kinds)

    def map(self, doc: Document) -> Document:
        kinds = getattr(self, "_kinds", None)
        if kinds is None:
            self.setup(Context())
            kinds = self._kinds
        spans = find_pii(doc.text, kinds, self.only_public_ips)
        doc.attributes["pii.redactions"] = len(spans)
        if spans:
            doc.replace_spans(self.name, [(s, e, k, REPLACEMENTS[k], None) for s, e, k in spans])
        return doc
