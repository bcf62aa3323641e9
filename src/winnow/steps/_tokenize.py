"""Word and sentence counts that match datatrove's English tokenizer (a blank spaCy ``en`` pipeline) without spaCy.

datatrove's Gopher, FineWeb and C4 filters decide on counts taken from spaCy's rule-based tokenizer and its
``sentencizer``. spaCy is a heavy dependency and its per-document overhead is most of those filters' time, so this
module re-implements the same published algorithm (whitespace chunks; special cases; prefix, suffix and infix rules;
URL match; the post-pass that re-merges special cases split by affixes) on spaCy's own rule tables, which are
generated into the end of this module by ``bench/parity.py --write-tables`` (MIT licensed, see the notice there).

Tokenization of a whitespace chunk never depends on its neighbours, so each distinct chunk is tokenized once per
process and cached: web text repeats its chunks, which makes the word split cost about a dict lookup per chunk.
``bench/parity.py`` checks the result token for token against spaCy on the evaluation corpus.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from functools import lru_cache
from itertools import chain

__all__ = ["SpacyEnglish", "spacy_english", "datatrove_words", "datatrove_sentence_count"]

_CACHE_LIMIT = 500_000  # distinct chunks kept per process; web text reuses most of them
# Chunks longer than this are not cached: they rarely repeat, and a cache bounded by entries alone let 300
# documents with one distinct 50 KB token each keep 15 MB (~24 GB at the entry limit). 256 chars holds every
# word and nearly every URL; with it the caches hold at most ~128M chars each, ~3M in practice.
_CACHE_MAX_CHUNK = 256
_LONG_CHUNK = 64  # longer chunks take the position-based affix loop (_split_affixes_long); shorter, the copying one
_AFFIX_WINDOW = 16  # first head/tail window searched for a prefix/suffix; doubled while a match reaches its edge
_AFFIX_MARGIN = 4  # room for the tables' look-arounds (at most 2 characters) at a window's edge
_URL_USERINFO = r"(?:\S+(?::\S*)?@)?"
_NON_SPACE_WS = re.compile(r"[^\S ]|  ")  # whitespace that spaCy keeps as a token of its own


def _is_punct(text: str) -> bool:
    # spaCy's lexical IS_PUNCT: every character in a Unicode P* category (False for "", like all([]) is True: keep it)
    for ch in text:
        if not unicodedata.category(ch).startswith("P"):
            return False
    return True


class SpacyEnglish:
    """The tokenizer of ``spacy.blank("en")`` (spaCy 3.x, faster_heuristics on) and its sentencizer, in Python."""

    def __init__(self) -> None:
        self._prefix = re.compile(_PREFIX).search
        self._suffix = re.compile(_SUFFIX).search
        self._infix = re.compile(_INFIX).finditer
        # spaCy's URL pattern opens with an optional user-info part, "\S+(?::\S*)?@", that backtracks
        # quadratically on a long chunk of ':'-separated text ("a:" * 10000 took 2.3 s, x4 per doubling).
        # "\S+@" accepts the same strings and, being greedy too, tries the same "@" positions in the same order
        # (last first), so every match is the same (tests/steps/test_quality.py compares both on random strings).
        self._url = re.compile(_URL.replace(_URL_USERINFO, "(?:\\S+@)?")).match
        self._specials: dict[str, tuple[str, ...]] = _SPECIALS
        self._special_max = max(map(len, _SPECIALS))
        self._punct_chars = frozenset(_SENT_PUNCT_CHARS)
        # Special cases that the affix rules would split are re-merged after tokenization (spaCy's special matcher):
        # index their affix-only tokenizations by first token.
        self._patterns: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for orth in self._specials:
            if any(ch.isspace() for ch in orth):
                continue  # whitespace specials only ever match whitespace tokens, which words() drops anyway
            if self._find_prefix(orth) or self._find_suffix(orth) or any(True for _ in self._infix(orth)):
                pattern = tuple(self._chunk_tokens(orth, specials=False))
                self._patterns.setdefault(pattern[0], []).append((pattern, orth))
        self._pattern_ends = frozenset(p[-1] for pats in self._patterns.values() for p, _ in pats)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._sent_cache: dict[str, tuple[int, bool, int, bool]] = {}

    # --- the affix algorithm on one whitespace-free chunk --------------------------------------------------------
    def _find_prefix(self, s: str) -> int:
        m = self._prefix(s)
        return m.end() - m.start() if m is not None else 0

    def _find_suffix(self, s: str) -> int:
        m = self._suffix(s)
        return m.end() - m.start() if m is not None else 0

    def _split_affixes(self, s: str, prefixes: list[str], suffixes: list[str], specials: bool) -> str:
        if len(s) > _LONG_CHUNK:
            return self._split_affixes_long(s, prefixes, suffixes, specials)
        sp = self._specials
        last = 0
        while s and len(s) != last:
            if specials and s in sp:
                break
            last = len(s)
            pre_len = self._find_prefix(s)
            if pre_len:
                prefix, minus_pre = s[:pre_len], s[pre_len:]
                if minus_pre and specials and minus_pre in sp:
                    prefixes.append(prefix)
                    return minus_pre
            suf_len = self._find_suffix(s[pre_len:])
            if suf_len:
                suffix, minus_suf = s[-suf_len:], s[:-suf_len]
                if minus_suf and specials and minus_suf in sp:
                    suffixes.append(suffix)
                    return minus_suf
            if pre_len and suf_len and pre_len + suf_len <= len(s):
                s = s[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                s = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                s = minus_suf
                suffixes.append(suffix)
        return s

    # spaCy's loop strips one prefix and one suffix per round, copying the rest and searching it for a suffix from
    # its first character: quadratic in a run of affix characters ('=' * 6250 took 6 s, 100 KB ~25 min). For long
    # chunks the same loop runs on indices into the chunk: the prefix is searched in a head window and the suffix
    # in a tail window, each widened (doubled) while its match reaches the window's far edge, and the special-case
    # table is only consulted for strings no longer than its longest entry. Both are exact for spaCy's tables:
    # every alternative has a bounded width (< _AFFIX_WINDOW - _AFFIX_MARGIN) and look-arounds of at most a
    # couple of characters, except runs such as '\.\.+', whose match reaches the window edge and widens it
    # (tests/steps/test_quality.py checks the tables, and this path against the simple loop on random strings).
    def _find_prefix_at(self, t: str, i: int, j: int) -> int:
        w = _AFFIX_WINDOW
        while True:
            if j - i <= w:
                return self._find_prefix(t[i:j])
            m = self._prefix(t[i:i + w])
            if m is None:
                return 0
            if m.end() < w - _AFFIX_MARGIN:
                return m.end() - m.start()
            w *= 2

    def _find_suffix_at(self, t: str, i: int, j: int) -> int:
        w = _AFFIX_WINDOW
        while True:
            p = j - w
            if p - _AFFIX_MARGIN <= i:
                return self._find_suffix(t[i:j])
            m = self._suffix(t, p, j)
            if m is None:
                return 0
            if m.start() > p:
                return m.end() - m.start()
            w *= 2

    def _split_affixes_long(self, t: str, prefixes: list[str], suffixes: list[str], specials: bool) -> str:
        """``_split_affixes`` on positions ``t[i:j]`` instead of copies: linear in the chunk's length."""
        sp = self._specials
        short = self._special_max if specials else -1
        i, j = 0, len(t)
        last = -1
        while i < j and j - i != last:
            n = j - i
            if n <= short and t[i:j] in sp:
                break
            last = n
            pre_len = self._find_prefix_at(t, i, j)
            if pre_len and 0 < n - pre_len <= short and t[i + pre_len:j] in sp:
                prefixes.append(t[i:i + pre_len])
                return t[i + pre_len:j]
            suf_len = self._find_suffix_at(t, i + pre_len, j)
            if suf_len and 0 < n - suf_len <= short and t[i:j - suf_len] in sp:
                suffixes.append(t[j - suf_len:j])
                return t[i:j - suf_len]
            if pre_len:
                prefixes.append(t[i:i + pre_len])
                i += pre_len
            if suf_len and (not pre_len or pre_len + suf_len <= n):
                suffixes.append(t[j - suf_len:j])
                j -= suf_len
        return t[i:j]

    def _attach(self, s: str, out: list[str], specials: bool) -> None:
        if not s:
            return
        if specials and s in self._specials:
            out.extend(self._specials[s])
            return
        if self._url(s):
            out.append(s)
            return
        start = 0
        for m in self._infix(s):
            a, b = m.start(), m.end()
            if a == 0:  # an infix at the very start never splits
                continue
            if a != start:
                out.append(s[start:a])
            if a != b:
                out.append(s[a:b])
            start = b
        if start < len(s):
            out.append(s[start:])

    def _chunk_tokens(self, chunk: str, specials: bool = True) -> list[str]:
        if specials and chunk in self._specials:
            return list(self._specials[chunk])
        prefixes: list[str] = []
        suffixes: list[str] = []
        core = self._split_affixes(chunk, prefixes, suffixes, specials)
        out = prefixes
        self._attach(core, out, specials)
        out.extend(reversed(suffixes))
        return out

    def _merge_specials(self, toks: list[str]) -> list[str]:
        # spaCy's post-pass: find token runs equal to a special case's affix split, keep the longest (then leftmost)
        # non-overlapping ones by their end points, and replace each by the special case's own tokens.
        patterns = self._patterns
        matches = []
        n = len(toks)
        for i, t in enumerate(toks):
            cands = patterns.get(t)
            if not cands:
                continue
            for pattern, orth in cands:
                k = len(pattern)
                if i + k <= n and tuple(toks[i:i + k]) == pattern:
                    matches.append((i, i + k, orth))
        if not matches:
            return toks
        matches.sort(key=lambda m: (m[1] - m[0], -m[0]))
        seen: set[int] = set()
        chosen = []
        for start, end, orth in reversed(matches):
            if start not in seen and end - 1 not in seen:
                chosen.append((start, end, orth))
            seen.update(range(start, end))
        chosen.sort()
        out: list[str] = []
        pos = 0
        for start, end, orth in chosen:
            out.extend(toks[pos:start])
            out.extend(self._specials[orth])
            pos = end
        out.extend(toks[pos:])
        return out

    def _one_round(self, s: str) -> tuple[str, ...] | None:
        """``chunk(s)`` from the affix loop's first round and the cached tokens of what it leaves, or None.

        Most new chunks are a word with punctuation around it ("simple.", "“Governor", "Kentucky!”"), whose word
        was seen alone. The loop's rounds after the first are the loop run afresh on what the first round leaves
        (it keeps no state between rounds but the lengths), so the raw tokens are [prefix] + raw(core) + [suffix].
        The special-case merge then matches the same runs in raw(core) as chunk(core) did, unless a run includes
        the prefix (the first token: a pattern starting with it) or the suffix (the last: a pattern ending with
        it); then, if the core is one token, the merge is run on the three tokens; otherwise None (the full
        path). Checked against the full path on random affix strings and real chunks (tests/steps/test_quality.py);
        on the e2e pages' 185k distinct chunks it took the first pass from 1.9 to 1.0 CPU s."""
        sp = self._specials
        if s in sp:
            return None
        pre_len = self._find_prefix(s)
        if pre_len and len(s) > pre_len and s[pre_len:] in sp:
            pre, core, suf = s[:pre_len], s[pre_len:], ""
        else:
            suf_len = self._find_suffix(s[pre_len:])
            if suf_len and len(s) > suf_len and s[:-suf_len] in sp:
                pre, core, suf = "", s[:-suf_len], s[-suf_len:]
            elif suf_len:  # the suffix was searched after the prefix, so the two never overlap
                pre, core, suf = s[:pre_len], s[pre_len:-suf_len], s[-suf_len:]
            elif pre_len:
                pre, core, suf = s[:pre_len], s[pre_len:], ""
            else:  # no affix: the loop stops at once and the chunk goes to the infix split whole
                out: list[str] = []
                self._attach(s, out, True)
                if len(out) > 1 and self._patterns:
                    out = self._merge_specials(out)
                return tuple(t for t in out if t)
        if not core:
            return None
        inner = self.chunk(core)
        if (not pre or pre not in self._patterns) and (not suf or suf not in self._pattern_ends):
            return ((pre,) if pre else ()) + inner + ((suf,) if suf else ())
        if len(inner) == 1 and core not in sp:
            # raw(core) is [core]: a merge to one token would have made core a special case itself
            return tuple(t for t in self._merge_specials([t for t in (pre, core, suf) if t]) if t)
        return None

    def chunk(self, chunk: str) -> tuple[str, ...]:
        """Tokens of one whitespace-free chunk, cached."""
        try:
            return self._cache[chunk]
        except KeyError:
            if chunk.isalpha() and chunk not in self._specials:
                # No rule of the tables matches a string of letters only (their letter classes sit in look-arounds
                # next to punctuation, digits or symbols); bench evidence: 510,944 distinct alphabetic chunks of the
                # corpus and every Unicode letter alone and next to "a" tokenize to themselves.
                res = (chunk,)
                if len(chunk) <= _CACHE_MAX_CHUNK:
                    if len(self._cache) >= _CACHE_LIMIT:
                        self._cache.clear()
                    self._cache[chunk] = res
                return res
            res = self._one_round(chunk) if len(chunk) <= _LONG_CHUNK else None
            if res is None:
                toks = self._chunk_tokens(chunk)
                if len(toks) > 1 and self._patterns:
                    toks = self._merge_specials(toks)
                # datatrove strips every token and drops empty ones; chunks hold no whitespace, so only "" could go
                res = tuple(t for t in toks if t)
            if len(chunk) <= _CACHE_MAX_CHUNK:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[chunk] = res
            return res

    def chunks_at(self, texts: list[str], codes, starts, ends) -> list[tuple[str, ...]]:
        """``[self.chunk(t) for t in texts]`` for chunks that sit at ``codes[starts[q]:ends[q]]`` (a page's code points,
        numpy uint32; starts, ends: int64 arrays): see ``tokens_at``."""
        flat, counts = self.tokens_at("\x00".join(texts), texts, codes, starts, ends, relative=True)
        out, pos = [], 0
        for m in counts:
            out.append(tuple(flat[pos:pos + m]))
            pos += m
        return out

    def tokens_at(self, text: str, texts: list[str], codes, starts, ends, relative: bool = False):
        """The tokens of the chunks ``texts`` (``text[starts[q]:ends[q]]``, whose code points ``codes`` holds: numpy
        uint32; starts, ends: int64 arrays), all in one list, and each chunk's number of tokens: what
        ``self.chunk`` gives each. The compiled tokenizer (kernels.c, spacy_tok_chunks) takes the chunks of its
        alphabet (_ALPHABET) it can decide, and the rest come here, with the same tokens (tests/test_native.py
        compares the two on generated and real chunks). ``relative``: ``text`` is not the page (the tokens are
        cut from ``texts`` instead; for tests)."""
        import numpy as np

        k = len(texts)
        tok = _compiled(self)
        if tok is None or k == 0:
            toks = [self.chunk(t) for t in texts]
            return list(chain.from_iterable(toks)), list(map(len, toks))
        lib, handle = tok
        ntok = np.empty(k, dtype=np.int32)
        cap = int((ends - starts).sum()) + k  # a chunk of n characters has at most n tokens, n + 1 bounds
        bounds = np.empty(cap, dtype=np.int64)
        w = lib.spacy_tok_chunks(handle, codes.ctypes.data, len(codes), starts.ctypes.data, ends.ctypes.data, k,
                                 ntok.ctypes.data, bounds.ctypes.data, cap)
        if w < 0:
            raise ValueError("spacy_tok_chunks: chunk bounds outside the page")
        bounds = bounds[:w]
        # each decided chunk's bounds run from its start to its end: a token from each bound but its last to the next
        m = ntok[ntok > 0].astype(np.int64)
        last = np.cumsum(m + 1) - 1
        is_last = np.zeros(w, dtype=bool)
        is_last[last] = True
        a = bounds[:-1][~is_last[:-1]]
        b = bounds[1:][~is_last[:-1]]
        if relative:  # cut from the chunks themselves, each a stretch of its own in "\x00".join(texts)
            shift = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]) - starts
            own = np.repeat(shift[ntok > 0], m)
            a, b = a + own, b + own
        flat = list(map(text.__getitem__, map(slice, a.tolist(), b.tolist())))
        counts = ntok.tolist()
        if 0 in counts:  # the chunks handed back: the Python tokenizer's tokens, spliced in (one pass)
            pos = (np.cumsum(ntok) - ntok).tolist()
            chunk, out, done = self.chunk, [], 0
            for q in np.flatnonzero(ntok == 0).tolist():
                out += flat[done:pos[q]]
                done = pos[q]
                toks = chunk(texts[q])
                out += toks
                counts[q] = len(toks)
            out += flat[done:]
            flat = out
        return flat, counts

    # --- what the filters use ---------------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """datatrove's ``split_into_words(text, "en")``: spaCy tokens, stripped, without whitespace tokens."""
        chunks = text.split()
        get = self._cache.__getitem__
        try:
            return list(chain.from_iterable(map(get, chunks)))
        except KeyError:
            # some chunk is new; tokenizing it may also clear the full cache, so use what chunk() returns
            cache, tokenize, out = self._cache, self.chunk, []
            for c in chunks:
                r = cache.get(c)
                out.extend(tokenize(c) if r is None else r)
            return out

    def _chunk_sentencizer(self, chunk: str) -> tuple[int, bool, int, bool]:
        """For the sentencizer state machine: (new starts, seen_period after) entering with seen_period False, True."""
        try:
            return self._sent_cache[chunk]
        except KeyError:
            pass
        r = self.sentencizer_steps(self.chunk(chunk))
        if len(chunk) <= _CACHE_MAX_CHUNK:
            if len(self._sent_cache) >= _CACHE_LIMIT:
                self._sent_cache.clear()
            self._sent_cache[chunk] = r
        return r

    def sentencizer_steps(self, toks) -> tuple[int, bool, int, bool]:
        """The sentencizer over one chunk's tokens: (new starts, seen_period after), entering with it False, True."""
        pc = self._punct_chars
        res = []
        for seen in (False, True):
            starts = 0
            for t in toks:
                in_pc = t in pc
                if seen and not in_pc and not _is_punct(t):
                    starts += 1
                    seen = False
                elif in_pc:
                    seen = True
            res += [starts, seen]
        return (res[0], res[1], res[2], res[3])

    def sentence_count(self, line: str) -> int:
        """Sentences spaCy's sentencizer finds in ``line`` (a line without newlines; 0 for an empty one)."""
        if not line:
            return 0
        if _NON_SPACE_WS.search(line) is None and not line[0].isspace():
            # the common case, chunks separated by single spaces: one cached state-machine step per chunk
            sc = self._sent_cache
            n, seen = 1, False
            for p in line.split(" "):
                r = sc.get(p)
                if r is None:
                    if not p:
                        continue
                    r = self._chunk_sentencizer(p)
                if seen:
                    n += r[2]
                    seen = r[3]
                else:
                    n += r[0]
                    seen = r[1]
            return n
        else:
            # Whitespace other than one separating space becomes a token (not punctuation): it can start a sentence.
            parts = re.split(r"(\s+)", line)
        n = 1
        seen = False
        first = True
        for p in parts:
            if not p:
                continue
            if p.isspace():
                tok_ws = p[1:] if (p[0] == " " and not first) else p
                if tok_ws:
                    if seen:
                        n += 1
                        seen = False
                first = False
                continue
            first = False
            s0, e0, s1, e1 = self._chunk_sentencizer(p)
            if seen:
                n += s1
                seen = e1
            else:
                n += s0
                seen = e0
        return n


# --- the rules on a small alphabet, for the compiled tokenizer (_native/kernels.c, spacy_tok_*) ---------------------
_SPT_SPECIAL, _SPT_PORTH, _SPT_PRE_LIT, _SPT_PRE_DOTS, _SPT_SUF_LIT, _SPT_SUF_DOTS, _SPT_INF_LIT = range(1, 8)
_SPT_NONE = 255
# The characters the compiled tokenizer decides on (a chunk with any other goes to Python): printable ASCII, the
# printable Latin-1 supplement (accented letters, £, °, ², ©), and the quotes, dashes, bullets, ellipsis, primes,
# angle quotes, € and ™ of English web text; 128 beyond ASCII at most (the kernel's one-byte codes 0x80-0xFF).
# Chosen by script block, not by counting; on the e2e pages they cover ~96% of the new chunks with non-ASCII.
_EXTRA = (tuple(map(chr, range(0xA1, 0x100))) + tuple(map(chr, range(0x2010, 0x2028)))
          + ("\u2032", "\u2033", "\u2039", "\u203a", "\u20ac", "\u2122"))
_ALPHABET = tuple(map(chr, range(0x21, 0x7F))) + _EXTRA
_CODE = {ch: (ord(ch) if ch < "\x7f" else 0x80 + k - 0x5E) for k, ch in enumerate(_ALPHABET)}  # char -> its byte
_RX_CLASS = r"\[(?:\\.|[^\]\\])*\]"
_RX_LIT = r"(?:\\[^A-Za-z0-9]|[^\\\[\]().*+?{}^$|])+"  # a literal: escaped punctuation or plain characters


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (split at '|' outside classes and groups)."""
    out, cur, depth, in_class, esc = [], [], 0, False, False
    for ch in pattern:
        if esc:
            esc = False
        elif ch == "\\":
            esc = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return out


def _unescape(lit: str) -> str:
    return re.sub(r"\\(.)", r"\1", lit)


def _choices(part: str) -> list[str] | None:
    """The strings one piece of an alternative matches, in the order the regex tries them: a literal, a class of
    single characters, or a group of literals; only those of the alphabet's characters (None: not such a piece)."""
    if re.fullmatch(_RX_LIT, part):
        lits = [_unescape(part)]
    elif re.fullmatch(_RX_CLASS, part):
        cls = re.compile(part)
        lits = [c for c in _ALPHABET if cls.fullmatch(c)]
    elif part.startswith("(?:") and part.endswith(")") and all(re.fullmatch(_RX_LIT, a) for a in _alternatives(part[3:-1])):
        lits = [_unescape(a) for a in _alternatives(part[3:-1])]
    else:
        return None
    return [x for x in lits if all(c in _CODE for c in x)]


def _encode(x: str) -> bytes:
    return bytes(map(_CODE.__getitem__, x))


def compiled_rules(tok: SpacyEnglish) -> tuple[list[int], list[int], bytes]:
    """The tokenizer's tables restricted to the alphabet (_ALPHABET), as spacy_tok_new (kernels.c) takes them: 256
    class masks (by byte code), the code points of the codes 0x80, 0x81, ... and the rule records (see there).
    Every alternative of the prefix, suffix and infix patterns is read as a literal (or class, or group of
    literals) with optional one-character look-behind/look-ahead classes; its strings of the alphabet's characters
    become records, in the table's order. An alternative of another shape raises
    ValueError (a regenerated table the compiled path does not know: it is then not used). Infixes with a '.' are
    left out: the compiled path hands back every core holding one (only such a core can be a URL)."""
    classes: list[str] = []

    def cls_id(c: str) -> int:
        if c not in classes:
            classes.append(c)
        return classes.index(c)

    recs: list[tuple[int, int, int, str]] = []
    for alt in _alternatives(_PREFIX):
        body = alt[1:] if alt.startswith("^") else None
        if body == r"\.\.+":
            recs.append((_SPT_PRE_DOTS, _SPT_NONE, _SPT_NONE, ".."))
            continue
        m = re.fullmatch(rf"({_RX_LIT}|{_RX_CLASS})(?:\(\?!({_RX_CLASS})\))?", body or "")
        lits = _choices(m.group(1)) if m else None
        if lits is None:
            raise ValueError(f"prefix alternative of unknown shape: {alt[:80]!r}")
        ahead = cls_id(m.group(2)) if m.group(2) else _SPT_NONE
        recs += [(_SPT_PRE_LIT, _SPT_NONE, ahead, x) for x in lits]
    for alt in _alternatives(_SUFFIX):
        if alt == r"\.\.+$":
            recs.append((_SPT_SUF_DOTS, _SPT_NONE, _SPT_NONE, ".."))
            continue
        m = re.fullmatch(rf"(?:\(\?<=((?:{_RX_CLASS}|{_RX_LIT}){{1,2}})\))?(.+)\$", alt)
        lits = _choices(m.group(2)) if m else None
        if lits is None:
            raise ValueError(f"suffix alternative of unknown shape: {alt[:80]!r}")
        behind = re.findall(rf"{_RX_CLASS}|\\.|[^\[\\]", m.group(1) or "")
        if len(behind) > 2 or any(not re.fullmatch(_RX_CLASS, b) and not _choices(b) for b in behind):
            continue  # a look-behind on a character outside the alphabet: never matches here
        ids = [cls_id(b if re.fullmatch(_RX_CLASS, b) else "[" + re.escape(_unescape(b)) + "]") for b in behind]
        c1, c2 = ([_SPT_NONE] + ids)[-2:] if ids else (_SPT_NONE, _SPT_NONE)
        recs += [(_SPT_SUF_LIT, c1, c2, x) for x in lits]
    for alt in _alternatives(_INFIX):
        m = re.fullmatch(rf"(?:\(\?<=({_RX_CLASS})\))?(.+?)(?:\(\?=({_RX_CLASS})\))?", alt)
        lits = _choices(m.group(2)) if m else None
        if alt == r"\.\.+" or (lits is not None and any("." in x for x in lits)):
            continue  # needs a '.', and cores with a '.' are handed back
        if lits is None:
            raise ValueError(f"infix alternative of unknown shape: {alt[:80]!r}")
        c1 = cls_id(m.group(1)) if m.group(1) else _SPT_NONE
        c2 = cls_id(m.group(3)) if m.group(3) else _SPT_NONE
        recs += [(_SPT_INF_LIT, c1, c2, x) for x in lits]
    # the special cases (the compiled path hands back a chunk where one could apply) and the split ones with their
    # tokens (spaCy's merge post-pass: handed back where a run of tokens equals one's). A merge that gives the
    # tokens it replaces ("It's" -> "It", "'s") changes nothing, whichever matches it is chosen over: left out.
    recs += [(_SPT_SPECIAL, _SPT_NONE, _SPT_NONE, o) for o in tok._specials if 0 < len(o) < 256
             and all(c in _CODE for c in o)]
    for pats in tok._patterns.values():
        for pattern, orth in pats:
            if "".join(pattern) != orth:
                raise ValueError(f"a split special case whose tokens do not spell it: {orth!r}")
            if tuple(tok._specials[orth]) == pattern:
                continue
            if all(c in _CODE for c in orth) and len(orth) + len(pattern) < 256:
                recs.append((_SPT_PORTH, len(pattern), _SPT_NONE, _encode(orth) + bytes(map(len, pattern))))
    recs = [(t, c1, c2, x if isinstance(x, bytes) else _encode(x)) for t, c1, c2, x in recs]
    if len(classes) > 32 or len(_EXTRA) > 128 or any(
            len(x) > (255 if t in (_SPT_SPECIAL, _SPT_PORTH) else 16) for t, _, _, x in recs):
        raise ValueError("the rules do not fit the compiled tokenizer's records")
    compiled = [re.compile(c) for c in classes]
    chars = {code: ch for ch, code in _CODE.items()}
    masks = [sum(1 << k for k, c in enumerate(compiled) if b in chars and c.fullmatch(chars[b])) for b in range(256)]
    blob = b"".join(bytes([t, c1, c2, len(x)]) + x for t, c1, c2, x in recs)
    return masks, list(map(ord, _EXTRA)), blob


_COMPILED: dict[int, tuple] = {}  # id(library) -> (library, spacy_tok handle), kept for the process's life
_COMPILED_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    # a child forked while another thread held the lock (making the handle) would wait on it forever
    global _COMPILED_LOCK
    _COMPILED_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _compiled(tok: SpacyEnglish):
    """(library, handle) of the compiled tokenizer for the tables of this module, or None (no library, forced off,
    or tables it does not know: logged once)."""
    from .. import _native

    lib = _native.kernels()
    if lib is None:
        return None
    got = _COMPILED.get(id(lib))
    if got is None:
        with _COMPILED_LOCK:  # one handle per library (two threads making one each would leak one)
            got = _COMPILED.get(id(lib)) or _new_compiled(lib, tok)
            _COMPILED[id(lib)] = got
    return got if got[1] else None


def _new_compiled(lib, tok: SpacyEnglish) -> tuple:
    import ctypes

    try:
        masks, extra, blob = compiled_rules(tok)
        handle = lib.spacy_tok_new((ctypes.c_uint32 * 256)(*masks), (ctypes.c_uint32 * len(extra))(*extra),
                                   len(extra), blob, len(blob))
    except ValueError as e:
        import logging

        logging.getLogger(__name__).debug("compiled tokenizer not used: %s", e)
        handle = None
    return (lib, handle)  # the handle is only read after this (no lock needed), and kept for the process's life


@lru_cache(maxsize=1)
def spacy_english() -> SpacyEnglish:
    return SpacyEnglish()


def datatrove_words(text: str) -> list[str]:
    return spacy_english().words(text)


def datatrove_sentence_count(line: str) -> int:
    return spacy_english().sentence_count(line)


# ----------------------------------------------------------------------------------------------------------------
# GENERATED below this line by `bench/parity.py --write-tables` from spaCy's English defaults; do not edit by hand.
# Source: spaCy 3.8.18 (https://spacy.io), MIT License, Copyright (C) 2016-2024 ExplosionAI GmbH,
# 2016 spaCy GmbH, 2015 Matthew Honnibal: the tokenizer's prefix/suffix/infix/URL patterns, its English special
# cases and the sentencizer's punctuation. The two punctuation sets at the end are datatrove's
# (datatrove 0.10.1, Apache-2.0, Copyright HuggingFace), used by its Gopher and FineWeb filters.
# fmt: off
_PREFIX = '^§|^%|^=|^—|^–|^\\+(?![0-9])|^…|^……|^,|^:|^;|^\\!|^\\?|^¿|^؟|^¡|^\\(|^\\)|^\\[|^\\]|^\\{|^\\}|^<|^>|^_|^#|^\\*|^&|^。|^？|^！|^，|^、|^；|^：|^～|^·|^।|^،|^۔|^؛|^٪|^\\.\\.+|^…|^\\\'|^"|^”|^“|^`|^‘|^´|^’|^‚|^,|^„|^»|^«|^「|^」|^『|^』|^（|^）|^〔|^〕|^【|^】|^《|^》|^〈|^〉|^〈|^〉|^⟦|^⟧|^\\$|^£|^€|^¥|^฿|^US\\$|^C\\$|^A\\$|^₽|^﷼|^₴|^₠|^₡|^₢|^₣|^₤|^₥|^₦|^₧|^₨|^₩|^₪|^₫|^€|^₭|^₮|^₯|^₰|^₱|^₲|^₳|^₴|^₵|^₶|^₷|^₸|^₹|^₺|^₻|^₼|^₽|^₾|^₿|^[\\u00A6\\u00A9\\u00AE\\u00B0\\u0482\\u058D\\u058E\\u060E\\u060F\\u06DE\\u06E9\\u06FD\\u06FE\\u07F6\\u09FA\\u0B70\\u0BF3-\\u0BF8\\u0BFA\\u0C7F\\u0D4F\\u0D79\\u0F01-\\u0F03\\u0F13\\u0F15-\\u0F17\\u0F1A-\\u0F1F\\u0F34\\u0F36\\u0F38\\u0FBE-\\u0FC5\\u0FC7-\\u0FCC\\u0FCE\\u0FCF\\u0FD5-\\u0FD8\\u109E\\u109F\\u1390-\\u1399\\u1940\\u19DE-\\u19FF\\u1B61-\\u1B6A\\u1B74-\\u1B7C\\u2100\\u2101\\u2103-\\u2106\\u2108\\u2109\\u2114\\u2116\\u2117\\u211E-\\u2123\\u2125\\u2127\\u2129\\u212E\\u213A\\u213B\\u214A\\u214C\\u214D\\u214F\\u218A\\u218B\\u2195-\\u2199\\u219C-\\u219F\\u21A1\\u21A2\\u21A4\\u21A5\\u21A7-\\u21AD\\u21AF-\\u21CD\\u21D0\\u21D1\\u21D3\\u21D5-\\u21F3\\u2300-\\u2307\\u230C-\\u231F\\u2322-\\u2328\\u232B-\\u237B\\u237D-\\u239A\\u23B4-\\u23DB\\u23E2-\\u2426\\u2440-\\u244A\\u249C-\\u24E9\\u2500-\\u25B6\\u25B8-\\u25C0\\u25C2-\\u25F7\\u2600-\\u266E\\u2670-\\u2767\\u2794-\\u27BF\\u2800-\\u28FF\\u2B00-\\u2B2F\\u2B45\\u2B46\\u2B4D-\\u2B73\\u2B76-\\u2B95\\u2B98-\\u2BC8\\u2BCA-\\u2BFE\\u2CE5-\\u2CEA\\u2E80-\\u2E99\\u2E9B-\\u2EF3\\u2F00-\\u2FD5\\u2FF0-\\u2FFB\\u3004\\u3012\\u3013\\u3020\\u3036\\u3037\\u303E\\u303F\\u3190\\u3191\\u3196-\\u319F\\u31C0-\\u31E3\\u3200-\\u321E\\u322A-\\u3247\\u3250\\u3260-\\u327F\\u328A-\\u32B0\\u32C0-\\u32FE\\u3300-\\u33FF\\u4DC0-\\u4DFF\\uA490-\\uA4C6\\uA828-\\uA82B\\uA836\\uA837\\uA839\\uAA77-\\uAA79\\uFDFD\\uFFE4\\uFFE8\\uFFED\\uFFEE\\uFFFC\\uFFFD\\U00010137-\\U0001013F\\U00010179-\\U00010189\\U0001018C-\\U0001018E\\U00010190-\\U0001019B\\U000101A0\\U000101D0-\\U000101FC\\U00010877\\U00010878\\U00010AC8\\U0001173F\\U00016B3C-\\U00016B3F\\U00016B45\\U0001BC9C\\U0001D000-\\U0001D0F5\\U0001D100-\\U0001D126\\U0001D129-\\U0001D164\\U0001D16A-\\U0001D16C\\U0001D183\\U0001D184\\U0001D18C-\\U0001D1A9\\U0001D1AE-\\U0001D1E8\\U0001D200-\\U0001D241\\U0001D245\\U0001D300-\\U0001D356\\U0001D800-\\U0001D9FF\\U0001DA37-\\U0001DA3A\\U0001DA6D-\\U0001DA74\\U0001DA76-\\U0001DA83\\U0001DA85\\U0001DA86\\U0001ECAC\\U0001F000-\\U0001F02B\\U0001F030-\\U0001F093\\U0001F0A0-\\U0001F0AE\\U0001F0B1-\\U0001F0BF\\U0001F0C1-\\U0001F0CF\\U0001F0D1-\\U0001F0F5\\U0001F110-\\U0001F16B\\U0001F170-\\U0001F1AC\\U0001F1E6-\\U0001F202\\U0001F210-\\U0001F23B\\U0001F240-\\U0001F248\\U0001F250\\U0001F251\\U0001F260-\\U0001F265\\U0001F300-\\U0001F3FA\\U0001F400-\\U0001F6D4\\U0001F6E0-\\U0001F6EC\\U0001F6F0-\\U0001F6F9\\U0001F700-\\U0001F773\\U0001F780-\\U0001F7D8\\U0001F800-\\U0001F80B\\U0001F810-\\U0001F847\\U0001F850-\\U0001F859\\U0001F860-\\U0001F887\\U0001F890-\\U0001F8AD\\U0001F900-\\U0001F90B\\U0001F910-\\U0001F93E\\U0001F940-\\U0001F970\\U0001F973-\\U0001F976\\U0001F97A\\U0001F97C-\\U0001F9A2\\U0001F9B0-\\U0001F9B9\\U0001F9C0-\\U0001F9C2\\U0001F9D0-\\U0001F9FF\\U0001FA60-\\U0001FA6D]'
_SUFFIX = '…$|……$|,$|:$|;$|\\!$|\\?$|¿$|؟$|¡$|\\($|\\)$|\\[$|\\]$|\\{$|\\}$|<$|>$|_$|#$|\\*$|&$|。$|？$|！$|，$|、$|；$|：$|～$|·$|।$|،$|۔$|؛$|٪$|\\.\\.+$|…$|\\\'$|"$|”$|“$|`$|‘$|´$|’$|‚$|,$|„$|»$|«$|「$|」$|『$|』$|（$|）$|〔$|〕$|【$|】$|《$|》$|〈$|〉$|〈$|〉$|⟦$|⟧$|[\\u00A6\\u00A9\\u00AE\\u00B0\\u0482\\u058D\\u058E\\u060E\\u060F\\u06DE\\u06E9\\u06FD\\u06FE\\u07F6\\u09FA\\u0B70\\u0BF3-\\u0BF8\\u0BFA\\u0C7F\\u0D4F\\u0D79\\u0F01-\\u0F03\\u0F13\\u0F15-\\u0F17\\u0F1A-\\u0F1F\\u0F34\\u0F36\\u0F38\\u0FBE-\\u0FC5\\u0FC7-\\u0FCC\\u0FCE\\u0FCF\\u0FD5-\\u0FD8\\u109E\\u109F\\u1390-\\u1399\\u1940\\u19DE-\\u19FF\\u1B61-\\u1B6A\\u1B74-\\u1B7C\\u2100\\u2101\\u2103-\\u2106\\u2108\\u2109\\u2114\\u2116\\u2117\\u211E-\\u2123\\u2125\\u2127\\u2129\\u212E\\u213A\\u213B\\u214A\\u214C\\u214D\\u214F\\u218A\\u218B\\u2195-\\u2199\\u219C-\\u219F\\u21A1\\u21A2\\u21A4\\u21A5\\u21A7-\\u21AD\\u21AF-\\u21CD\\u21D0\\u21D1\\u21D3\\u21D5-\\u21F3\\u2300-\\u2307\\u230C-\\u231F\\u2322-\\u2328\\u232B-\\u237B\\u237D-\\u239A\\u23B4-\\u23DB\\u23E2-\\u2426\\u2440-\\u244A\\u249C-\\u24E9\\u2500-\\u25B6\\u25B8-\\u25C0\\u25C2-\\u25F7\\u2600-\\u266E\\u2670-\\u2767\\u2794-\\u27BF\\u2800-\\u28FF\\u2B00-\\u2B2F\\u2B45\\u2B46\\u2B4D-\\u2B73\\u2B76-\\u2B95\\u2B98-\\u2BC8\\u2BCA-\\u2BFE\\u2CE5-\\u2CEA\\u2E80-\\u2E99\\u2E9B-\\u2EF3\\u2F00-\\u2FD5\\u2FF0-\\u2FFB\\u3004\\u3012\\u3013\\u3020\\u3036\\u3037\\u303E\\u303F\\u3190\\u3191\\u3196-\\u319F\\u31C0-\\u31E3\\u3200-\\u321E\\u322A-\\u3247\\u3250\\u3260-\\u327F\\u328A-\\u32B0\\u32C0-\\u32FE\\u3300-\\u33FF\\u4DC0-\\u4DFF\\uA490-\\uA4C6\\uA828-\\uA82B\\uA836\\uA837\\uA839\\uAA77-\\uAA79\\uFDFD\\uFFE4\\uFFE8\\uFFED\\uFFEE\\uFFFC\\uFFFD\\U00010137-\\U0001013F\\U00010179-\\U00010189\\U0001018C-\\U0001018E\\U00010190-\\U0001019B\\U000101A0\\U000101D0-\\U000101FC\\U00010877\\U00010878\\U00010AC8\\U0001173F\\U00016B3C-\\U00016B3F\\U00016B45\\U0001BC9C\\U0001D000-\\U0001D0F5\\U0001D100-\\U0001D126\\U0001D129-\\U0001D164\\U0001D16A-\\U0001D16C\\U0001D183\\U0001D184\\U0001D18C-\\U0001D1A9\\U0001D1AE-\\U0001D1E8\\U0001D200-\\U0001D241\\U0001D245\\U0001D300-\\U0001D356\\U0001D800-\\U0001D9FF\\U0001DA37-\\U0001DA3A\\U0001DA6D-\\U0001DA74\\U0001DA76-\\U0001DA83\\U0001DA85\\U0001DA86\\U0001ECAC\\U0001F000-\\U0001F02B\\U0001F030-\\U0001F093\\U0001F0A0-\\U0001F0AE\\U0001F0B1-\\U0001F0BF\\U0001F0C1-\\U0001F0CF\\U0001F0D1-\\U0001F0F5\\U0001F110-\\U0001F16B\\U0001F170-\\U0001F1AC\\U0001F1E6-\\U0001F202\\U0001F210-\\U0001F23B\\U0001F240-\\U0001F248\\U0001F250\\U0001F251\\U0001F260-\\U0001F265\\U0001F300-\\U0001F3FA\\U0001F400-\\U0001F6D4\\U0001F6E0-\\U0001F6EC\\U0001F6F0-\\U0001F6F9\\U0001F700-\\U0001F773\\U0001F780-\\U0001F7D8\\U0001F800-\\U0001F80B\\U0001F810-\\U0001F847\\U0001F850-\\U0001F859\\U0001F860-\\U0001F887\\U0001F890-\\U0001F8AD\\U0001F900-\\U0001F90B\\U0001F910-\\U0001F93E\\U0001F940-\\U0001F970\\U0001F973-\\U0001F976\\U0001F97A\\U0001F97C-\\U0001F9A2\\U0001F9B0-\\U0001F9B9\\U0001F9C0-\\U0001F9C2\\U0001F9D0-\\U0001F9FF\\U0001FA60-\\U0001FA6D]$|\'s$|\'S$|’s$|’S$|—$|–$|(?<=[0-9])\\+$|(?<=°[FfCcKk])\\.$|(?<=[0-9])(?:\\$|£|€|¥|฿|US\\$|C\\$|A\\$|₽|﷼|₴|₠|₡|₢|₣|₤|₥|₦|₧|₨|₩|₪|₫|€|₭|₮|₯|₰|₱|₲|₳|₴|₵|₶|₷|₸|₹|₺|₻|₼|₽|₾|₿)$|(?<=[0-9])(?:km|km²|km³|m|m²|m³|dm|dm²|dm³|cm|cm²|cm³|mm|mm²|mm³|ha|µm|nm|yd|in|ft|kg|g|mg|µg|t|lb|oz|m/s|km/h|kmh|mph|hPa|Pa|mbar|mb|MB|kb|KB|gb|GB|tb|TB|T|G|M|K|%|км|км²|км³|м|м²|м³|дм|дм²|дм³|см|см²|см³|мм|мм²|мм³|нм|кг|г|мг|м/с|км/ч|кПа|Па|мбар|Кб|КБ|кб|Мб|МБ|мб|Гб|ГБ|гб|Тб|ТБ|тбكم|كم²|كم³|م|م²|م³|سم|سم²|سم³|مم|مم²|مم³|كم|غرام|جرام|جم|كغ|ملغ|كوب|اكواب)$|(?<=[0-9a-z\\uFF41-\\uFF5A\\u00DF-\\u00F6\\u00F8-\\u00FF\\u0101\\u0103\\u0105\\u0107\\u0109\\u010B\\u010D\\u010F\\u0111\\u0113\\u0115\\u0117\\u0119\\u011B\\u011D\\u011F\\u0121\\u0123\\u0125\\u0127\\u0129\\u012B\\u012D\\u012F\\u0131\\u0133\\u0135\\u0137\\u0138\\u013A\\u013C\\u013E\\u0140\\u0142\\u0144\\u0146\\u0148\\u0149\\u014B\\u014D\\u014F\\u0151\\u0153\\u0155\\u0157\\u0159\\u015B\\u015D\\u015F\\u0161\\u0163\\u0165\\u0167\\u0169\\u016B\\u016D\\u016F\\u0171\\u0173\\u0175\\u0177\\u017A\\u017C\\u017E\\u017F\\u0180\\u0183\\u0185\\u0188\\u018C\\u018D\\u0192\\u0195\\u0199-\\u019B\\u019E\\u01A1\\u01A3\\u01A5\\u01A8\\u01AA\\u01AB\\u01AD\\u01B0\\u01B4\\u01B6\\u01B9\\u01BA\\u01BD-\\u01BF\\u01C6\\u01C9\\u01CC\\u01CE\\u01D0\\u01D2\\u01D4\\u01D6\\u01D8\\u01DA\\u01DC\\u01DD\\u01DF\\u01E1\\u01E3\\u01E5\\u01E7\\u01E9\\u01EB\\u01ED\\u01EF\\u01F0\\u01F3\\u01F5\\u01F9\\u01FB\\u01FD\\u01FF\\u0201\\u0203\\u0205\\u0207\\u0209\\u020B\\u020D\\u020F\\u0211\\u0213\\u0215\\u0217\\u0219\\u021B\\u021D\\u021F\\u0221\\u0223\\u0225\\u0227\\u0229\\u022B\\u022D\\u022F\\u0231\\u0233-\\u0239\\u023C\\u023F\\u0240\\u0242\\u0247\\u0249\\u024B\\u024D\\u024F\\u2C61\\u2C65\\u2C66\\u2C68\\u2C6A\\u2C6C\\u2C71\\u2C73\\u2C74\\u2C76-\\u2C7B\\uA723\\uA725\\uA727\\uA729\\uA72B\\uA72D\\uA72F-\\uA731\\uA733\\uA735\\uA737\\uA739\\uA73B\\uA73D\\uA73F\\uA741\\uA743\\uA745\\uA747\\uA749\\uA74B\\uA74D\\uA74F\\uA751\\uA753\\uA755\\uA757\\uA759\\uA75B\\uA75D\\uA75F\\uA761\\uA763\\uA765\\uA767\\uA769\\uA76B\\uA76D\\uA76F\\uA771-\\uA778\\uA77A\\uA77C\\uA77F\\uA781\\uA783\\uA785\\uA787\\uA78C\\uA78E\\uA791\\uA793-\\uA795\\uA797\\uA799\\uA79B\\uA79D\\uA79F\\uA7A1\\uA7A3\\uA7A5\\uA7A7\\uA7A9\\uA7AF\\uA7B5\\uA7B7\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E01\\u1E03\\u1E05\\u1E07\\u1E09\\u1E0B\\u1E0D\\u1E0F\\u1E11\\u1E13\\u1E15\\u1E17\\u1E19\\u1E1B\\u1E1D\\u1E1F\\u1E21\\u1E23\\u1E25\\u1E27\\u1E29\\u1E2B\\u1E2D\\u1E2F\\u1E31\\u1E33\\u1E35\\u1E37\\u1E39\\u1E3B\\u1E3D\\u1E3F\\u1E41\\u1E43\\u1E45\\u1E47\\u1E49\\u1E4B\\u1E4D\\u1E4F\\u1E51\\u1E53\\u1E55\\u1E57\\u1E59\\u1E5B\\u1E5D\\u1E5F\\u1E61\\u1E63\\u1E65\\u1E67\\u1E69\\u1E6B\\u1E6D\\u1E6F\\u1E71\\u1E73\\u1E75\\u1E77\\u1E79\\u1E7B\\u1E7D\\u1E7F\\u1E81\\u1E83\\u1E85\\u1E87\\u1E89\\u1E8B\\u1E8D\\u1E8F\\u1E91\\u1E93\\u1E95-\\u1E9D\\u1E9F\\u1EA1\\u1EA3\\u1EA5\\u1EA7\\u1EA9\\u1EAB\\u1EAD\\u1EAF\\u1EB1\\u1EB3\\u1EB5\\u1EB7\\u1EB9\\u1EBB\\u1EBD\\u1EBF\\u1EC1\\u1EC3\\u1EC5\\u1EC7\\u1EC9\\u1ECB\\u1ECD\\u1ECF\\u1ED1\\u1ED3\\u1ED5\\u1ED7\\u1ED9\\u1EDB\\u1EDD\\u1EDF\\u1EE1\\u1EE3\\u1EE5\\u1EE7\\u1EE9\\u1EEB\\u1EED\\u1EEF\\u1EF1\\u1EF3\\u1EF5\\u1EF7\\u1EF9\\u1EFB\\u1EFD\\u1EFFёа-яәөүҗңһα-ωάέίόώήύа-щюяіїєґѓѕјљњќѐѝ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F%²\\-\\+…|……|,|:|;|\\!|\\?|¿|؟|¡|\\(|\\)|\\[|\\]|\\{|\\}|<|>|_|#|\\*|&|。|？|！|，|、|；|：|～|·|।|،|۔|؛|٪(?:\\\'"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧)])\\.$|(?<=[A-Z\\uFF21-\\uFF3A\\u00C0-\\u00D6\\u00D8-\\u00DE\\u0100\\u0102\\u0104\\u0106\\u0108\\u010A\\u010C\\u010E\\u0110\\u0112\\u0114\\u0116\\u0118\\u011A\\u011C\\u011E\\u0120\\u0122\\u0124\\u0126\\u0128\\u012A\\u012C\\u012E\\u0130\\u0132\\u0134\\u0136\\u0139\\u013B\\u013D\\u013F\\u0141\\u0143\\u0145\\u0147\\u014A\\u014C\\u014E\\u0150\\u0152\\u0154\\u0156\\u0158\\u015A\\u015C\\u015E\\u0160\\u0162\\u0164\\u0166\\u0168\\u016A\\u016C\\u016E\\u0170\\u0172\\u0174\\u0176\\u0178\\u0179\\u017B\\u017D\\u0181\\u0182\\u0184\\u0186\\u0187\\u0189-\\u018B\\u018E-\\u0191\\u0193\\u0194\\u0196-\\u0198\\u019C\\u019D\\u019F\\u01A0\\u01A2\\u01A4\\u01A6\\u01A7\\u01A9\\u01AC\\u01AE\\u01AF\\u01B1-\\u01B3\\u01B5\\u01B7\\u01B8\\u01BC\\u01C4\\u01C7\\u01CA\\u01CD\\u01CF\\u01D1\\u01D3\\u01D5\\u01D7\\u01D9\\u01DB\\u01DE\\u01E0\\u01E2\\u01E4\\u01E6\\u01E8\\u01EA\\u01EC\\u01EE\\u01F1\\u01F4\\u01F6-\\u01F8\\u01FA\\u01FC\\u01FE\\u0200\\u0202\\u0204\\u0206\\u0208\\u020A\\u020C\\u020E\\u0210\\u0212\\u0214\\u0216\\u0218\\u021A\\u021C\\u021E\\u0220\\u0222\\u0224\\u0226\\u0228\\u022A\\u022C\\u022E\\u0230\\u0232\\u023A\\u023B\\u023D\\u023E\\u0241\\u0243-\\u0246\\u0248\\u024A\\u024C\\u024E\\u2C60\\u2C62-\\u2C64\\u2C67\\u2C69\\u2C6B\\u2C6D-\\u2C70\\u2C72\\u2C75\\u2C7E\\u2C7F\\uA722\\uA724\\uA726\\uA728\\uA72A\\uA72C\\uA72E\\uA732\\uA734\\uA736\\uA738\\uA73A\\uA73C\\uA73E\\uA740\\uA742\\uA744\\uA746\\uA748\\uA74A\\uA74C\\uA74E\\uA750\\uA752\\uA754\\uA756\\uA758\\uA75A\\uA75C\\uA75E\\uA760\\uA762\\uA764\\uA766\\uA768\\uA76A\\uA76C\\uA76E\\uA779\\uA77B\\uA77D\\uA77E\\uA780\\uA782\\uA784\\uA786\\uA78B\\uA78D\\uA790\\uA792\\uA796\\uA798\\uA79A\\uA79C\\uA79E\\uA7A0\\uA7A2\\uA7A4\\uA7A6\\uA7A8\\uA7AA-\\uA7AE\\uA7B0-\\uA7B4\\uA7B6\\uA7B8\\u1E00\\u1E02\\u1E04\\u1E06\\u1E08\\u1E0A\\u1E0C\\u1E0E\\u1E10\\u1E12\\u1E14\\u1E16\\u1E18\\u1E1A\\u1E1C\\u1E1E\\u1E20\\u1E22\\u1E24\\u1E26\\u1E28\\u1E2A\\u1E2C\\u1E2E\\u1E30\\u1E32\\u1E34\\u1E36\\u1E38\\u1E3A\\u1E3C\\u1E3E\\u1E40\\u1E42\\u1E44\\u1E46\\u1E48\\u1E4A\\u1E4C\\u1E4E\\u1E50\\u1E52\\u1E54\\u1E56\\u1E58\\u1E5A\\u1E5C\\u1E5E\\u1E60\\u1E62\\u1E64\\u1E66\\u1E68\\u1E6A\\u1E6C\\u1E6E\\u1E70\\u1E72\\u1E74\\u1E76\\u1E78\\u1E7A\\u1E7C\\u1E7E\\u1E80\\u1E82\\u1E84\\u1E86\\u1E88\\u1E8A\\u1E8C\\u1E8E\\u1E90\\u1E92\\u1E94\\u1E9E\\u1EA0\\u1EA2\\u1EA4\\u1EA6\\u1EA8\\u1EAA\\u1EAC\\u1EAE\\u1EB0\\u1EB2\\u1EB4\\u1EB6\\u1EB8\\u1EBA\\u1EBC\\u1EBE\\u1EC0\\u1EC2\\u1EC4\\u1EC6\\u1EC8\\u1ECA\\u1ECC\\u1ECE\\u1ED0\\u1ED2\\u1ED4\\u1ED6\\u1ED8\\u1EDA\\u1EDC\\u1EDE\\u1EE0\\u1EE2\\u1EE4\\u1EE6\\u1EE8\\u1EEA\\u1EEC\\u1EEE\\u1EF0\\u1EF2\\u1EF4\\u1EF6\\u1EF8\\u1EFA\\u1EFC\\u1EFEЁА-ЯӘӨҮҖҢҺΑ-ΩΆΈΊΌΏΉΎА-ЩЮЯІЇЄҐЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F][A-Z\\uFF21-\\uFF3A\\u00C0-\\u00D6\\u00D8-\\u00DE\\u0100\\u0102\\u0104\\u0106\\u0108\\u010A\\u010C\\u010E\\u0110\\u0112\\u0114\\u0116\\u0118\\u011A\\u011C\\u011E\\u0120\\u0122\\u0124\\u0126\\u0128\\u012A\\u012C\\u012E\\u0130\\u0132\\u0134\\u0136\\u0139\\u013B\\u013D\\u013F\\u0141\\u0143\\u0145\\u0147\\u014A\\u014C\\u014E\\u0150\\u0152\\u0154\\u0156\\u0158\\u015A\\u015C\\u015E\\u0160\\u0162\\u0164\\u0166\\u0168\\u016A\\u016C\\u016E\\u0170\\u0172\\u0174\\u0176\\u0178\\u0179\\u017B\\u017D\\u0181\\u0182\\u0184\\u0186\\u0187\\u0189-\\u018B\\u018E-\\u0191\\u0193\\u0194\\u0196-\\u0198\\u019C\\u019D\\u019F\\u01A0\\u01A2\\u01A4\\u01A6\\u01A7\\u01A9\\u01AC\\u01AE\\u01AF\\u01B1-\\u01B3\\u01B5\\u01B7\\u01B8\\u01BC\\u01C4\\u01C7\\u01CA\\u01CD\\u01CF\\u01D1\\u01D3\\u01D5\\u01D7\\u01D9\\u01DB\\u01DE\\u01E0\\u01E2\\u01E4\\u01E6\\u01E8\\u01EA\\u01EC\\u01EE\\u01F1\\u01F4\\u01F6-\\u01F8\\u01FA\\u01FC\\u01FE\\u0200\\u0202\\u0204\\u0206\\u0208\\u020A\\u020C\\u020E\\u0210\\u0212\\u0214\\u0216\\u0218\\u021A\\u021C\\u021E\\u0220\\u0222\\u0224\\u0226\\u0228\\u022A\\u022C\\u022E\\u0230\\u0232\\u023A\\u023B\\u023D\\u023E\\u0241\\u0243-\\u0246\\u0248\\u024A\\u024C\\u024E\\u2C60\\u2C62-\\u2C64\\u2C67\\u2C69\\u2C6B\\u2C6D-\\u2C70\\u2C72\\u2C75\\u2C7E\\u2C7F\\uA722\\uA724\\uA726\\uA728\\uA72A\\uA72C\\uA72E\\uA732\\uA734\\uA736\\uA738\\uA73A\\uA73C\\uA73E\\uA740\\uA742\\uA744\\uA746\\uA748\\uA74A\\uA74C\\uA74E\\uA750\\uA752\\uA754\\uA756\\uA758\\uA75A\\uA75C\\uA75E\\uA760\\uA762\\uA764\\uA766\\uA768\\uA76A\\uA76C\\uA76E\\uA779\\uA77B\\uA77D\\uA77E\\uA780\\uA782\\uA784\\uA786\\uA78B\\uA78D\\uA790\\uA792\\uA796\\uA798\\uA79A\\uA79C\\uA79E\\uA7A0\\uA7A2\\uA7A4\\uA7A6\\uA7A8\\uA7AA-\\uA7AE\\uA7B0-\\uA7B4\\uA7B6\\uA7B8\\u1E00\\u1E02\\u1E04\\u1E06\\u1E08\\u1E0A\\u1E0C\\u1E0E\\u1E10\\u1E12\\u1E14\\u1E16\\u1E18\\u1E1A\\u1E1C\\u1E1E\\u1E20\\u1E22\\u1E24\\u1E26\\u1E28\\u1E2A\\u1E2C\\u1E2E\\u1E30\\u1E32\\u1E34\\u1E36\\u1E38\\u1E3A\\u1E3C\\u1E3E\\u1E40\\u1E42\\u1E44\\u1E46\\u1E48\\u1E4A\\u1E4C\\u1E4E\\u1E50\\u1E52\\u1E54\\u1E56\\u1E58\\u1E5A\\u1E5C\\u1E5E\\u1E60\\u1E62\\u1E64\\u1E66\\u1E68\\u1E6A\\u1E6C\\u1E6E\\u1E70\\u1E72\\u1E74\\u1E76\\u1E78\\u1E7A\\u1E7C\\u1E7E\\u1E80\\u1E82\\u1E84\\u1E86\\u1E88\\u1E8A\\u1E8C\\u1E8E\\u1E90\\u1E92\\u1E94\\u1E9E\\u1EA0\\u1EA2\\u1EA4\\u1EA6\\u1EA8\\u1EAA\\u1EAC\\u1EAE\\u1EB0\\u1EB2\\u1EB4\\u1EB6\\u1EB8\\u1EBA\\u1EBC\\u1EBE\\u1EC0\\u1EC2\\u1EC4\\u1EC6\\u1EC8\\u1ECA\\u1ECC\\u1ECE\\u1ED0\\u1ED2\\u1ED4\\u1ED6\\u1ED8\\u1EDA\\u1EDC\\u1EDE\\u1EE0\\u1EE2\\u1EE4\\u1EE6\\u1EE8\\u1EEA\\u1EEC\\u1EEE\\u1EF0\\u1EF2\\u1EF4\\u1EF6\\u1EF8\\u1EFA\\u1EFC\\u1EFEЁА-ЯӘӨҮҖҢҺΑ-ΩΆΈΊΌΏΉΎА-ЩЮЯІЇЄҐЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F])\\.$'
_INFIX = '\\.\\.+|…|[\\u00A6\\u00A9\\u00AE\\u00B0\\u0482\\u058D\\u058E\\u060E\\u060F\\u06DE\\u06E9\\u06FD\\u06FE\\u07F6\\u09FA\\u0B70\\u0BF3-\\u0BF8\\u0BFA\\u0C7F\\u0D4F\\u0D79\\u0F01-\\u0F03\\u0F13\\u0F15-\\u0F17\\u0F1A-\\u0F1F\\u0F34\\u0F36\\u0F38\\u0FBE-\\u0FC5\\u0FC7-\\u0FCC\\u0FCE\\u0FCF\\u0FD5-\\u0FD8\\u109E\\u109F\\u1390-\\u1399\\u1940\\u19DE-\\u19FF\\u1B61-\\u1B6A\\u1B74-\\u1B7C\\u2100\\u2101\\u2103-\\u2106\\u2108\\u2109\\u2114\\u2116\\u2117\\u211E-\\u2123\\u2125\\u2127\\u2129\\u212E\\u213A\\u213B\\u214A\\u214C\\u214D\\u214F\\u218A\\u218B\\u2195-\\u2199\\u219C-\\u219F\\u21A1\\u21A2\\u21A4\\u21A5\\u21A7-\\u21AD\\u21AF-\\u21CD\\u21D0\\u21D1\\u21D3\\u21D5-\\u21F3\\u2300-\\u2307\\u230C-\\u231F\\u2322-\\u2328\\u232B-\\u237B\\u237D-\\u239A\\u23B4-\\u23DB\\u23E2-\\u2426\\u2440-\\u244A\\u249C-\\u24E9\\u2500-\\u25B6\\u25B8-\\u25C0\\u25C2-\\u25F7\\u2600-\\u266E\\u2670-\\u2767\\u2794-\\u27BF\\u2800-\\u28FF\\u2B00-\\u2B2F\\u2B45\\u2B46\\u2B4D-\\u2B73\\u2B76-\\u2B95\\u2B98-\\u2BC8\\u2BCA-\\u2BFE\\u2CE5-\\u2CEA\\u2E80-\\u2E99\\u2E9B-\\u2EF3\\u2F00-\\u2FD5\\u2FF0-\\u2FFB\\u3004\\u3012\\u3013\\u3020\\u3036\\u3037\\u303E\\u303F\\u3190\\u3191\\u3196-\\u319F\\u31C0-\\u31E3\\u3200-\\u321E\\u322A-\\u3247\\u3250\\u3260-\\u327F\\u328A-\\u32B0\\u32C0-\\u32FE\\u3300-\\u33FF\\u4DC0-\\u4DFF\\uA490-\\uA4C6\\uA828-\\uA82B\\uA836\\uA837\\uA839\\uAA77-\\uAA79\\uFDFD\\uFFE4\\uFFE8\\uFFED\\uFFEE\\uFFFC\\uFFFD\\U00010137-\\U0001013F\\U00010179-\\U00010189\\U0001018C-\\U0001018E\\U00010190-\\U0001019B\\U000101A0\\U000101D0-\\U000101FC\\U00010877\\U00010878\\U00010AC8\\U0001173F\\U00016B3C-\\U00016B3F\\U00016B45\\U0001BC9C\\U0001D000-\\U0001D0F5\\U0001D100-\\U0001D126\\U0001D129-\\U0001D164\\U0001D16A-\\U0001D16C\\U0001D183\\U0001D184\\U0001D18C-\\U0001D1A9\\U0001D1AE-\\U0001D1E8\\U0001D200-\\U0001D241\\U0001D245\\U0001D300-\\U0001D356\\U0001D800-\\U0001D9FF\\U0001DA37-\\U0001DA3A\\U0001DA6D-\\U0001DA74\\U0001DA76-\\U0001DA83\\U0001DA85\\U0001DA86\\U0001ECAC\\U0001F000-\\U0001F02B\\U0001F030-\\U0001F093\\U0001F0A0-\\U0001F0AE\\U0001F0B1-\\U0001F0BF\\U0001F0C1-\\U0001F0CF\\U0001F0D1-\\U0001F0F5\\U0001F110-\\U0001F16B\\U0001F170-\\U0001F1AC\\U0001F1E6-\\U0001F202\\U0001F210-\\U0001F23B\\U0001F240-\\U0001F248\\U0001F250\\U0001F251\\U0001F260-\\U0001F265\\U0001F300-\\U0001F3FA\\U0001F400-\\U0001F6D4\\U0001F6E0-\\U0001F6EC\\U0001F6F0-\\U0001F6F9\\U0001F700-\\U0001F773\\U0001F780-\\U0001F7D8\\U0001F800-\\U0001F80B\\U0001F810-\\U0001F847\\U0001F850-\\U0001F859\\U0001F860-\\U0001F887\\U0001F890-\\U0001F8AD\\U0001F900-\\U0001F90B\\U0001F910-\\U0001F93E\\U0001F940-\\U0001F970\\U0001F973-\\U0001F976\\U0001F97A\\U0001F97C-\\U0001F9A2\\U0001F9B0-\\U0001F9B9\\U0001F9C0-\\U0001F9C2\\U0001F9D0-\\U0001F9FF\\U0001FA60-\\U0001FA6D]|(?<=[0-9])[+\\-\\*^](?=[0-9-])|(?<=[a-z\\uFF41-\\uFF5A\\u00DF-\\u00F6\\u00F8-\\u00FF\\u0101\\u0103\\u0105\\u0107\\u0109\\u010B\\u010D\\u010F\\u0111\\u0113\\u0115\\u0117\\u0119\\u011B\\u011D\\u011F\\u0121\\u0123\\u0125\\u0127\\u0129\\u012B\\u012D\\u012F\\u0131\\u0133\\u0135\\u0137\\u0138\\u013A\\u013C\\u013E\\u0140\\u0142\\u0144\\u0146\\u0148\\u0149\\u014B\\u014D\\u014F\\u0151\\u0153\\u0155\\u0157\\u0159\\u015B\\u015D\\u015F\\u0161\\u0163\\u0165\\u0167\\u0169\\u016B\\u016D\\u016F\\u0171\\u0173\\u0175\\u0177\\u017A\\u017C\\u017E\\u017F\\u0180\\u0183\\u0185\\u0188\\u018C\\u018D\\u0192\\u0195\\u0199-\\u019B\\u019E\\u01A1\\u01A3\\u01A5\\u01A8\\u01AA\\u01AB\\u01AD\\u01B0\\u01B4\\u01B6\\u01B9\\u01BA\\u01BD-\\u01BF\\u01C6\\u01C9\\u01CC\\u01CE\\u01D0\\u01D2\\u01D4\\u01D6\\u01D8\\u01DA\\u01DC\\u01DD\\u01DF\\u01E1\\u01E3\\u01E5\\u01E7\\u01E9\\u01EB\\u01ED\\u01EF\\u01F0\\u01F3\\u01F5\\u01F9\\u01FB\\u01FD\\u01FF\\u0201\\u0203\\u0205\\u0207\\u0209\\u020B\\u020D\\u020F\\u0211\\u0213\\u0215\\u0217\\u0219\\u021B\\u021D\\u021F\\u0221\\u0223\\u0225\\u0227\\u0229\\u022B\\u022D\\u022F\\u0231\\u0233-\\u0239\\u023C\\u023F\\u0240\\u0242\\u0247\\u0249\\u024B\\u024D\\u024F\\u2C61\\u2C65\\u2C66\\u2C68\\u2C6A\\u2C6C\\u2C71\\u2C73\\u2C74\\u2C76-\\u2C7B\\uA723\\uA725\\uA727\\uA729\\uA72B\\uA72D\\uA72F-\\uA731\\uA733\\uA735\\uA737\\uA739\\uA73B\\uA73D\\uA73F\\uA741\\uA743\\uA745\\uA747\\uA749\\uA74B\\uA74D\\uA74F\\uA751\\uA753\\uA755\\uA757\\uA759\\uA75B\\uA75D\\uA75F\\uA761\\uA763\\uA765\\uA767\\uA769\\uA76B\\uA76D\\uA76F\\uA771-\\uA778\\uA77A\\uA77C\\uA77F\\uA781\\uA783\\uA785\\uA787\\uA78C\\uA78E\\uA791\\uA793-\\uA795\\uA797\\uA799\\uA79B\\uA79D\\uA79F\\uA7A1\\uA7A3\\uA7A5\\uA7A7\\uA7A9\\uA7AF\\uA7B5\\uA7B7\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E01\\u1E03\\u1E05\\u1E07\\u1E09\\u1E0B\\u1E0D\\u1E0F\\u1E11\\u1E13\\u1E15\\u1E17\\u1E19\\u1E1B\\u1E1D\\u1E1F\\u1E21\\u1E23\\u1E25\\u1E27\\u1E29\\u1E2B\\u1E2D\\u1E2F\\u1E31\\u1E33\\u1E35\\u1E37\\u1E39\\u1E3B\\u1E3D\\u1E3F\\u1E41\\u1E43\\u1E45\\u1E47\\u1E49\\u1E4B\\u1E4D\\u1E4F\\u1E51\\u1E53\\u1E55\\u1E57\\u1E59\\u1E5B\\u1E5D\\u1E5F\\u1E61\\u1E63\\u1E65\\u1E67\\u1E69\\u1E6B\\u1E6D\\u1E6F\\u1E71\\u1E73\\u1E75\\u1E77\\u1E79\\u1E7B\\u1E7D\\u1E7F\\u1E81\\u1E83\\u1E85\\u1E87\\u1E89\\u1E8B\\u1E8D\\u1E8F\\u1E91\\u1E93\\u1E95-\\u1E9D\\u1E9F\\u1EA1\\u1EA3\\u1EA5\\u1EA7\\u1EA9\\u1EAB\\u1EAD\\u1EAF\\u1EB1\\u1EB3\\u1EB5\\u1EB7\\u1EB9\\u1EBB\\u1EBD\\u1EBF\\u1EC1\\u1EC3\\u1EC5\\u1EC7\\u1EC9\\u1ECB\\u1ECD\\u1ECF\\u1ED1\\u1ED3\\u1ED5\\u1ED7\\u1ED9\\u1EDB\\u1EDD\\u1EDF\\u1EE1\\u1EE3\\u1EE5\\u1EE7\\u1EE9\\u1EEB\\u1EED\\u1EEF\\u1EF1\\u1EF3\\u1EF5\\u1EF7\\u1EF9\\u1EFB\\u1EFD\\u1EFFёа-яәөүҗңһα-ωάέίόώήύа-щюяіїєґѓѕјљњќѐѝ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F\\\'"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧])\\.(?=[A-Z\\uFF21-\\uFF3A\\u00C0-\\u00D6\\u00D8-\\u00DE\\u0100\\u0102\\u0104\\u0106\\u0108\\u010A\\u010C\\u010E\\u0110\\u0112\\u0114\\u0116\\u0118\\u011A\\u011C\\u011E\\u0120\\u0122\\u0124\\u0126\\u0128\\u012A\\u012C\\u012E\\u0130\\u0132\\u0134\\u0136\\u0139\\u013B\\u013D\\u013F\\u0141\\u0143\\u0145\\u0147\\u014A\\u014C\\u014E\\u0150\\u0152\\u0154\\u0156\\u0158\\u015A\\u015C\\u015E\\u0160\\u0162\\u0164\\u0166\\u0168\\u016A\\u016C\\u016E\\u0170\\u0172\\u0174\\u0176\\u0178\\u0179\\u017B\\u017D\\u0181\\u0182\\u0184\\u0186\\u0187\\u0189-\\u018B\\u018E-\\u0191\\u0193\\u0194\\u0196-\\u0198\\u019C\\u019D\\u019F\\u01A0\\u01A2\\u01A4\\u01A6\\u01A7\\u01A9\\u01AC\\u01AE\\u01AF\\u01B1-\\u01B3\\u01B5\\u01B7\\u01B8\\u01BC\\u01C4\\u01C7\\u01CA\\u01CD\\u01CF\\u01D1\\u01D3\\u01D5\\u01D7\\u01D9\\u01DB\\u01DE\\u01E0\\u01E2\\u01E4\\u01E6\\u01E8\\u01EA\\u01EC\\u01EE\\u01F1\\u01F4\\u01F6-\\u01F8\\u01FA\\u01FC\\u01FE\\u0200\\u0202\\u0204\\u0206\\u0208\\u020A\\u020C\\u020E\\u0210\\u0212\\u0214\\u0216\\u0218\\u021A\\u021C\\u021E\\u0220\\u0222\\u0224\\u0226\\u0228\\u022A\\u022C\\u022E\\u0230\\u0232\\u023A\\u023B\\u023D\\u023E\\u0241\\u0243-\\u0246\\u0248\\u024A\\u024C\\u024E\\u2C60\\u2C62-\\u2C64\\u2C67\\u2C69\\u2C6B\\u2C6D-\\u2C70\\u2C72\\u2C75\\u2C7E\\u2C7F\\uA722\\uA724\\uA726\\uA728\\uA72A\\uA72C\\uA72E\\uA732\\uA734\\uA736\\uA738\\uA73A\\uA73C\\uA73E\\uA740\\uA742\\uA744\\uA746\\uA748\\uA74A\\uA74C\\uA74E\\uA750\\uA752\\uA754\\uA756\\uA758\\uA75A\\uA75C\\uA75E\\uA760\\uA762\\uA764\\uA766\\uA768\\uA76A\\uA76C\\uA76E\\uA779\\uA77B\\uA77D\\uA77E\\uA780\\uA782\\uA784\\uA786\\uA78B\\uA78D\\uA790\\uA792\\uA796\\uA798\\uA79A\\uA79C\\uA79E\\uA7A0\\uA7A2\\uA7A4\\uA7A6\\uA7A8\\uA7AA-\\uA7AE\\uA7B0-\\uA7B4\\uA7B6\\uA7B8\\u1E00\\u1E02\\u1E04\\u1E06\\u1E08\\u1E0A\\u1E0C\\u1E0E\\u1E10\\u1E12\\u1E14\\u1E16\\u1E18\\u1E1A\\u1E1C\\u1E1E\\u1E20\\u1E22\\u1E24\\u1E26\\u1E28\\u1E2A\\u1E2C\\u1E2E\\u1E30\\u1E32\\u1E34\\u1E36\\u1E38\\u1E3A\\u1E3C\\u1E3E\\u1E40\\u1E42\\u1E44\\u1E46\\u1E48\\u1E4A\\u1E4C\\u1E4E\\u1E50\\u1E52\\u1E54\\u1E56\\u1E58\\u1E5A\\u1E5C\\u1E5E\\u1E60\\u1E62\\u1E64\\u1E66\\u1E68\\u1E6A\\u1E6C\\u1E6E\\u1E70\\u1E72\\u1E74\\u1E76\\u1E78\\u1E7A\\u1E7C\\u1E7E\\u1E80\\u1E82\\u1E84\\u1E86\\u1E88\\u1E8A\\u1E8C\\u1E8E\\u1E90\\u1E92\\u1E94\\u1E9E\\u1EA0\\u1EA2\\u1EA4\\u1EA6\\u1EA8\\u1EAA\\u1EAC\\u1EAE\\u1EB0\\u1EB2\\u1EB4\\u1EB6\\u1EB8\\u1EBA\\u1EBC\\u1EBE\\u1EC0\\u1EC2\\u1EC4\\u1EC6\\u1EC8\\u1ECA\\u1ECC\\u1ECE\\u1ED0\\u1ED2\\u1ED4\\u1ED6\\u1ED8\\u1EDA\\u1EDC\\u1EDE\\u1EE0\\u1EE2\\u1EE4\\u1EE6\\u1EE8\\u1EEA\\u1EEC\\u1EEE\\u1EF0\\u1EF2\\u1EF4\\u1EF6\\u1EF8\\u1EFA\\u1EFC\\u1EFEЁА-ЯӘӨҮҖҢҺΑ-ΩΆΈΊΌΏΉΎА-ЩЮЯІЇЄҐЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F\\\'"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧])|(?<=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F]),(?=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F])|(?<=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F0-9])(?:-|–|—|--|---|——|~)(?=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F])|(?<=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F0-9])[:<>=/](?=[A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u017F\\u0180-\\u01BF\\u01C4-\\u024F\\u2C60-\\u2C7B\\u2C7E\\u2C7F\\uA722-\\uA76F\\uA771-\\uA787\\uA78B-\\uA78E\\uA790-\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E00-\\u1EFFёа-яЁА-ЯәөүҗңһӘӨҮҖҢҺα-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎа-щюяіїєґА-ЩЮЯІЇЄҐѓѕјљњќѐѝЃЅЈЉЊЌЀЍ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F])'
_URL = '(?u)^(?:(?:[\\w\\+\\-\\.]{2,})://)?(?:\\S+(?::\\S*)?@)?(?:(?!(?:10|127)(?:\\.\\d{1,3}){3})(?!(?:169\\.254|192\\.168)(?:\\.\\d{1,3}){2})(?!172\\.(?:1[6-9]|2\\d|3[0-1])(?:\\.\\d{1,3}){2})(?:[1-9]\\d?|1\\d\\d|2[01]\\d|22[0-3])(?:\\.(?:1?\\d{1,2}|2[0-4]\\d|25[0-5])){2}(?:\\.(?:[1-9]\\d?|1\\d\\d|2[0-4]\\d|25[0-4]))|(?:(?:[A-Za-z0-9\\u00a1-\\uffff][A-Za-z0-9\\u00a1-\\uffff_-]{0,62})?[A-Za-z0-9\\u00a1-\\uffff]\\.)+(?:[a-z\\uFF41-\\uFF5A\\u00DF-\\u00F6\\u00F8-\\u00FF\\u0101\\u0103\\u0105\\u0107\\u0109\\u010B\\u010D\\u010F\\u0111\\u0113\\u0115\\u0117\\u0119\\u011B\\u011D\\u011F\\u0121\\u0123\\u0125\\u0127\\u0129\\u012B\\u012D\\u012F\\u0131\\u0133\\u0135\\u0137\\u0138\\u013A\\u013C\\u013E\\u0140\\u0142\\u0144\\u0146\\u0148\\u0149\\u014B\\u014D\\u014F\\u0151\\u0153\\u0155\\u0157\\u0159\\u015B\\u015D\\u015F\\u0161\\u0163\\u0165\\u0167\\u0169\\u016B\\u016D\\u016F\\u0171\\u0173\\u0175\\u0177\\u017A\\u017C\\u017E\\u017F\\u0180\\u0183\\u0185\\u0188\\u018C\\u018D\\u0192\\u0195\\u0199-\\u019B\\u019E\\u01A1\\u01A3\\u01A5\\u01A8\\u01AA\\u01AB\\u01AD\\u01B0\\u01B4\\u01B6\\u01B9\\u01BA\\u01BD-\\u01BF\\u01C6\\u01C9\\u01CC\\u01CE\\u01D0\\u01D2\\u01D4\\u01D6\\u01D8\\u01DA\\u01DC\\u01DD\\u01DF\\u01E1\\u01E3\\u01E5\\u01E7\\u01E9\\u01EB\\u01ED\\u01EF\\u01F0\\u01F3\\u01F5\\u01F9\\u01FB\\u01FD\\u01FF\\u0201\\u0203\\u0205\\u0207\\u0209\\u020B\\u020D\\u020F\\u0211\\u0213\\u0215\\u0217\\u0219\\u021B\\u021D\\u021F\\u0221\\u0223\\u0225\\u0227\\u0229\\u022B\\u022D\\u022F\\u0231\\u0233-\\u0239\\u023C\\u023F\\u0240\\u0242\\u0247\\u0249\\u024B\\u024D\\u024F\\u2C61\\u2C65\\u2C66\\u2C68\\u2C6A\\u2C6C\\u2C71\\u2C73\\u2C74\\u2C76-\\u2C7B\\uA723\\uA725\\uA727\\uA729\\uA72B\\uA72D\\uA72F-\\uA731\\uA733\\uA735\\uA737\\uA739\\uA73B\\uA73D\\uA73F\\uA741\\uA743\\uA745\\uA747\\uA749\\uA74B\\uA74D\\uA74F\\uA751\\uA753\\uA755\\uA757\\uA759\\uA75B\\uA75D\\uA75F\\uA761\\uA763\\uA765\\uA767\\uA769\\uA76B\\uA76D\\uA76F\\uA771-\\uA778\\uA77A\\uA77C\\uA77F\\uA781\\uA783\\uA785\\uA787\\uA78C\\uA78E\\uA791\\uA793-\\uA795\\uA797\\uA799\\uA79B\\uA79D\\uA79F\\uA7A1\\uA7A3\\uA7A5\\uA7A7\\uA7A9\\uA7AF\\uA7B5\\uA7B7\\uA7B9\\uA7FA\\uAB30-\\uAB5A\\uAB60-\\uAB64\\u0250-\\u02AF\\u1D00-\\u1D25\\u1D6B-\\u1D77\\u1D79-\\u1D9A\\u1E01\\u1E03\\u1E05\\u1E07\\u1E09\\u1E0B\\u1E0D\\u1E0F\\u1E11\\u1E13\\u1E15\\u1E17\\u1E19\\u1E1B\\u1E1D\\u1E1F\\u1E21\\u1E23\\u1E25\\u1E27\\u1E29\\u1E2B\\u1E2D\\u1E2F\\u1E31\\u1E33\\u1E35\\u1E37\\u1E39\\u1E3B\\u1E3D\\u1E3F\\u1E41\\u1E43\\u1E45\\u1E47\\u1E49\\u1E4B\\u1E4D\\u1E4F\\u1E51\\u1E53\\u1E55\\u1E57\\u1E59\\u1E5B\\u1E5D\\u1E5F\\u1E61\\u1E63\\u1E65\\u1E67\\u1E69\\u1E6B\\u1E6D\\u1E6F\\u1E71\\u1E73\\u1E75\\u1E77\\u1E79\\u1E7B\\u1E7D\\u1E7F\\u1E81\\u1E83\\u1E85\\u1E87\\u1E89\\u1E8B\\u1E8D\\u1E8F\\u1E91\\u1E93\\u1E95-\\u1E9D\\u1E9F\\u1EA1\\u1EA3\\u1EA5\\u1EA7\\u1EA9\\u1EAB\\u1EAD\\u1EAF\\u1EB1\\u1EB3\\u1EB5\\u1EB7\\u1EB9\\u1EBB\\u1EBD\\u1EBF\\u1EC1\\u1EC3\\u1EC5\\u1EC7\\u1EC9\\u1ECB\\u1ECD\\u1ECF\\u1ED1\\u1ED3\\u1ED5\\u1ED7\\u1ED9\\u1EDB\\u1EDD\\u1EDF\\u1EE1\\u1EE3\\u1EE5\\u1EE7\\u1EE9\\u1EEB\\u1EED\\u1EEF\\u1EF1\\u1EF3\\u1EF5\\u1EF7\\u1EF9\\u1EFB\\u1EFD\\u1EFFёа-яәөүҗңһα-ωάέίόώήύа-щюяіїєґѓѕјљњќѐѝ\\u1200-\\u137F\\u0980-\\u09FF\\u0591-\\u05F4\\uFB1D-\\uFB4F\\u0620-\\u064A\\u066E-\\u06D5\\u06E5-\\u06FF\\u0750-\\u077F\\u08A0-\\u08BD\\uFB50-\\uFBB1\\uFBD3-\\uFD3D\\uFD50-\\uFDC7\\uFDF0-\\uFDFB\\uFE70-\\uFEFC\\U0001EE00-\\U0001EEBB\\u0D80-\\u0DFF\\u0900-\\u097F\\u0C80-\\u0CFF\\u0B80-\\u0BFF\\u0C00-\\u0C7F\\uAC00-\\uD7AF\\u1100-\\u11FF\\u3040-\\u309F\\u30A0-\\u30FFー\\u4E00-\\u62FF\\u6300-\\u77FF\\u7800-\\u8CFF\\u8D00-\\u9FFF\\u3400-\\u4DBF\\U00020000-\\U000215FF\\U00021600-\\U000230FF\\U00023100-\\U000245FF\\U00024600-\\U000260FF\\U00026100-\\U000275FF\\U00027600-\\U000290FF\\U00029100-\\U0002A6DF\\U0002A700-\\U0002B73F\\U0002B740-\\U0002B81F\\U0002B820-\\U0002CEAF\\U0002CEB0-\\U0002EBEF\\u2E80-\\u2EFF\\u2F00-\\u2FDF\\u2FF0-\\u2FFF\\u3000-\\u303F\\u31C0-\\u31EF\\u3200-\\u32FF\\u3300-\\u33FF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\U0001F200-\\U0001F2FF\\U0002F800-\\U0002FA1F]{2,63}))(?::\\d{2,5})?(?:[/?#]\\S*)?$'
_SPECIALS = {
    '\t': ('\t',),
    '\n': ('\n',),
    ' ': (' ',),
    "'": ("'",),
    "''": ("''",),
    "'Cause": ("'Cause",),
    "'Cos": ("'Cos",),
    "'Coz": ("'Coz",),
    "'Cuz": ("'Cuz",),
    "'S": ("'S",),
    "'bout": ("'bout",),
    "'cause": ("'cause",),
    "'cos": ("'cos",),
    "'coz": ("'coz",),
    "'cuz": ("'cuz",),
    "'d": ("'d",),
    "'em": ("'em",),
    "'ll": ("'ll",),
    "'nuff": ("'nuff",),
    "'re": ("'re",),
    "'s": ("'s",),
    '(*_*)': ('(*_*)',),
    '(-8': ('(-8',),
    '(-:': ('(-:',),
    '(-;': ('(-;',),
    '(-_-)': ('(-_-)',),
    '(._.)': ('(._.)',),
    '(:': ('(:',),
    '(;': ('(;',),
    '(=': ('(=',),
    '(>_<)': ('(>_<)',),
    '(^_^)': ('(^_^)',),
    '(o:': ('(o:',),
    '(¬_¬)': ('(¬_¬)',),
    '(ಠ_ಠ)': ('(ಠ_ಠ)',),
    '(╯°□°）╯︵┻━┻': ('(╯°□°）╯︵┻━┻',),
    ')-:': (')-:',),
    '):': ('):',),
    '-_-': ('-_-',),
    '-__-': ('-__-',),
    '._.': ('._.',),
    '0.0': ('0.0',),
    '0.o': ('0.o',),
    '0_0': ('0_0',),
    '0_o': ('0_o',),
    '10a.m.': ('10', 'a.m.'),
    '10am': ('10', 'am'),
    '10p.m.': ('10', 'p.m.'),
    '10pm': ('10', 'pm'),
    '11a.m.': ('11', 'a.m.'),
    '11am': ('11', 'am'),
    '11p.m.': ('11', 'p.m.'),
    '11pm': ('11', 'pm'),
    '12a.m.': ('12', 'a.m.'),
    '12am': ('12', 'am'),
    '12p.m.': ('12', 'p.m.'),
    '12pm': ('12', 'pm'),
    '1a.m.': ('1', 'a.m.'),
    '1am': ('1', 'am'),
    '1p.m.': ('1', 'p.m.'),
    '1pm': ('1', 'pm'),
    '2a.m.': ('2', 'a.m.'),
    '2am': ('2', 'am'),
    '2p.m.': ('2', 'p.m.'),
    '2pm': ('2', 'pm'),
    '3a.m.': ('3', 'a.m.'),
    '3am': ('3', 'am'),
    '3p.m.': ('3', 'p.m.'),
    '3pm': ('3', 'pm'),
    '4a.m.': ('4', 'a.m.'),
    '4am': ('4', 'am'),
    '4p.m.': ('4', 'p.m.'),
    '4pm': ('4', 'pm'),
    '5a.m.': ('5', 'a.m.'),
    '5am': ('5', 'am'),
    '5p.m.': ('5', 'p.m.'),
    '5pm': ('5', 'pm'),
    '6a.m.': ('6', 'a.m.'),
    '6am': ('6', 'am'),
    '6p.m.': ('6', 'p.m.'),
    '6pm': ('6', 'pm'),
    '7a.m.': ('7', 'a.m.'),
    '7am': ('7', 'am'),
    '7p.m.': ('7', 'p.m.'),
    '7pm': ('7', 'pm'),
    '8)': ('8)',),
    '8-)': ('8-)',),
    '8-D': ('8-D',),
    '8D': ('8D',),
    '8a.m.': ('8', 'a.m.'),
    '8am': ('8', 'am'),
    '8p.m.': ('8', 'p.m.'),
    '8pm': ('8', 'pm'),
    '9a.m.': ('9', 'a.m.'),
    '9am': ('9', 'am'),
    '9p.m.': ('9', 'p.m.'),
    '9pm': ('9', 'pm'),
    ":'(": (":'(",),
    ":')": (":')",),
    ":'-(": (":'-(",),
    ":'-)": (":'-)",),
    ':(': (':(',),
    ':((': (':((',),
    ':(((': (':(((',),
    ':()': (':()',),
    ':)': (':)',),
    ':))': (':))',),
    ':)))': (':)))',),
    ':*': (':*',),
    ':-(': (':-(',),
    ':-((': (':-((',),
    ':-(((': (':-(((',),
    ':-)': (':-)',),
    ':-))': (':-))',),
    ':-)))': (':-)))',),
    ':-*': (':-*',),
    ':-/': (':-/',),
    ':-0': (':-0',),
    ':-3': (':-3',),
    ':->': (':->',),
    ':-D': (':-D',),
    ':-O': (':-O',),
    ':-P': (':-P',),
    ':-X': (':-X',),
    ':-]': (':-]',),
    ':-o': (':-o',),
    ':-p': (':-p',),
    ':-x': (':-x',),
    ':-|': (':-|',),
    ':-}': (':-}',),
    ':/': (':/',),
    ':0': (':0',),
    ':1': (':1',),
    ':3': (':3',),
    ':>': (':>',),
    ':D': (':D',),
    ':O': (':O',),
    ':P': (':P',),
    ':X': (':X',),
    ':]': (':]',),
    ':o': (':o',),
    ':o)': (':o)',),
    ':p': (':p',),
    ':x': (':x',),
    ':|': (':|',),
    ':}': (':}',),
    ':’(': (':’(',),
    ':’)': (':’)',),
    ':’-(': (':’-(',),
    ':’-)': (':’-)',),
    ';)': (';)',),
    ';-)': (';-)',),
    ';-D': (';-D',),
    ';D': (';D',),
    ';_;': (';_;',),
    '<.<': ('<.<',),
    '</3': ('</3',),
    '<3': ('<3',),
    '<33': ('<33',),
    '<333': ('<333',),
    '<space>': ('<space>',),
    '=(': ('=(',),
    '=)': ('=)',),
    '=/': ('=/',),
    '=3': ('=3',),
    '=D': ('=D',),
    '=[': ('=[',),
    '=]': ('=]',),
    '=|': ('=|',),
    '>.<': ('>.<',),
    '>.>': ('>.>',),
    '>:(': ('>:(',),
    '>:o': ('>:o',),
    '><(((*>': ('><(((*>',),
    '@_@': ('@_@',),
    'Adm.': ('Adm.',),
    "Ain't": ('Ai', "n't"),
    'Aint': ('Ai', 'nt'),
    'Ain’t': ('Ai', 'n’t'),
    'Ak.': ('Ak.',),
    'Ala.': ('Ala.',),
    'Apr.': ('Apr.',),
    "Aren't": ('Are', "n't"),
    'Arent': ('Are', 'nt'),
    'Aren’t': ('Are', 'n’t'),
    'Ariz.': ('Ariz.',),
    'Ark.': ('Ark.',),
    'Aug.': ('Aug.',),
    'Bros.': ('Bros.',),
    "C'mon": ("C'm", 'on'),
    'C++': ('C++',),
    'Calif.': ('Calif.',),
    "Can't": ('Ca', "n't"),
    "Can't've": ('Ca', "n't", "'ve"),
    'Cannot': ('Can', 'not'),
    'Cant': ('Ca', 'nt'),
    'Cantve': ('Ca', 'nt', 've'),
    'Can’t': ('Ca', 'n’t'),
    'Can’t’ve': ('Ca', 'n’t', '’ve'),
    'Co.': ('Co.',),
    'Colo.': ('Colo.',),
    'Conn.': ('Conn.',),
    'Corp.': ('Corp.',),
    "Could've": ('Could', "'ve"),
    "Couldn't": ('Could', "n't"),
    "Couldn't've": ('Could', "n't", "'ve"),
    'Couldnt': ('Could', 'nt'),
    'Couldntve': ('Could', 'nt', 've'),
    'Couldn’t': ('Could', 'n’t'),
    'Couldn’t’ve': ('Could', 'n’t', '’ve'),
    'Couldve': ('Could', 've'),
    'Could’ve': ('Could', '’ve'),
    'C’mon': ('C’m', 'on'),
    'D.C.': ('D.C.',),
    "Daren't": ('Dare', "n't"),
    'Darent': ('Dare', 'nt'),
    'Daren’t': ('Dare', 'n’t'),
    'Dec.': ('Dec.',),
    'Del.': ('Del.',),
    "Didn't": ('Did', "n't"),
    "Didn't've": ('Did', "n't", "'ve"),
    'Didnt': ('Did', 'nt'),
    'Didntve': ('Did', 'nt', 've'),
    'Didn’t': ('Did', 'n’t'),
    'Didn’t’ve': ('Did', 'n’t', '’ve'),
    "Doesn't": ('Does', "n't"),
    "Doesn't've": ('Does', "n't", "'ve"),
    'Doesnt': ('Does', 'nt'),
    'Doesntve': ('Does', 'nt', 've'),
    'Doesn’t': ('Does', 'n’t'),
    'Doesn’t’ve': ('Does', 'n’t', '’ve'),
    'Doin': ('Doin',),
    "Doin'": ("Doin'",),
    'Doin’': ('Doin’',),
    "Don't": ('Do', "n't"),
    "Don't've": ('Do', "n't", "'ve"),
    'Dont': ('Do', 'nt'),
    'Dontve': ('Do', 'nt', 've'),
    'Don’t': ('Do', 'n’t'),
    'Don’t’ve': ('Do', 'n’t', '’ve'),
    'Dr.': ('Dr.',),
    'E.G.': ('E.G.',),
    'E.g.': ('E.g.',),
    'Feb.': ('Feb.',),
    'Fla.': ('Fla.',),
    'Ga.': ('Ga.',),
    'Gen.': ('Gen.',),
    'Goin': ('Goin',),
    "Goin'": ("Goin'",),
    'Goin’': ('Goin’',),
    'Gonna': ('Gon', 'na'),
    'Gotta': ('Got', 'ta'),
    'Gov.': ('Gov.',),
    "Hadn't": ('Had', "n't"),
    "Hadn't've": ('Had', "n't", "'ve"),
    'Hadnt': ('Had', 'nt'),
    'Hadntve': ('Had', 'nt', 've'),
    'Hadn’t': ('Had', 'n’t'),
    'Hadn’t’ve': ('Had', 'n’t', '’ve'),
    "Hasn't": ('Has', "n't"),
    'Hasnt': ('Has', 'nt'),
    'Hasn’t': ('Has', 'n’t'),
    "Haven't": ('Have', "n't"),
    'Havent': ('Have', 'nt'),
    'Haven’t': ('Have', 'n’t'),
    'Havin': ('Havin',),
    "Havin'": ("Havin'",),
    'Havin’': ('Havin’',),
    "He'd": ('He', "'d"),
    "He'd've": ('He', "'d", "'ve"),
    "He'll": ('He', "'ll"),
    "He'll've": ('He', "'ll", "'ve"),
    "He's": ('He', "'s"),
    'Hed': ('He', 'd'),
    'Hedve': ('He', 'd', 've'),
    'Hellve': ('He', 'll', 've'),
    'Hes': ('He', 's'),
    'He’d': ('He', '’d'),
    'He’d’ve': ('He', '’d', '’ve'),
    'He’ll': ('He', '’ll'),
    'He’ll’ve': ('He', '’ll', '’ve'),
    'He’s': ('He', '’s'),
    "How'd": ('How', "'d"),
    "How'd've": ('How', "'d", "'ve"),
    "How'd'y": ('How', "'d", "'y"),
    "How'll": ('How', "'ll"),
    "How'll've": ('How', "'ll", "'ve"),
    "How're": ('How', "'re"),
    "How's": ('How', "'s"),
    "How've": ('How', "'ve"),
    'Howd': ('How', 'd'),
    'Howdve': ('How', 'd', 've'),
    'Howll': ('How', 'll'),
    'Howllve': ('How', 'll', 've'),
    'Howre': ('How', 're'),
    'Hows': ('How', 's'),
    'Howve': ('How', 've'),
    'How’d': ('How', '’d'),
    'How’d’ve': ('How', '’d', '’ve'),
    'How’d’y': ('How', '’d', '’y'),
    'How’ll': ('How', '’ll'),
    'How’ll’ve': ('How', '’ll', '’ve'),
    'How’re': ('How', '’re'),
    'How’s': ('How', '’s'),
    'How’ve': ('How', '’ve'),
    "I'd": ('I', "'d"),
    "I'd've": ('I', "'d", "'ve"),
    "I'll": ('I', "'ll"),
    "I'll've": ('I', "'ll", "'ve"),
    "I'm": ('I', "'m"),
    "I'ma": ('I', "'m", 'a'),
    "I've": ('I', "'ve"),
    'I.E.': ('I.E.',),
    'I.e.': ('I.e.',),
    'Ia.': ('Ia.',),
    'Id': ('I', 'd'),
    'Id.': ('Id.',),
    'Idve': ('I', 'd', 've'),
    'Ill.': ('Ill.',),
    'Illve': ('I', 'll', 've'),
    'Im': ('I', 'm'),
    'Ima': ('I', 'm', 'a'),
    'Inc.': ('Inc.',),
    'Ind.': ('Ind.',),
    "Isn't": ('Is', "n't"),
    'Isnt': ('Is', 'nt'),
    'Isn’t': ('Is', 'n’t'),
    "It'd": ('It', "'d"),
    "It'd've": ('It', "'d", "'ve"),
    "It'll": ('It', "'ll"),
    "It'll've": ('It', "'ll", "'ve"),
    "It's": ('It', "'s"),
    'Itd': ('It', 'd'),
    'Itdve': ('It', 'd', 've'),
    'Itll': ('It', 'll'),
    'Itllve': ('It', 'll', 've'),
    'It’d': ('It', '’d'),
    'It’d’ve': ('It', '’d', '’ve'),
    'It’ll': ('It', '’ll'),
    'It’ll’ve': ('It', '’ll', '’ve'),
    'It’s': ('It', '’s'),
    'Ive': ('I', 've'),
    'I’d': ('I', '’d'),
    'I’d’ve': ('I', '’d', '’ve'),
    'I’ll': ('I', '’ll'),
    'I’ll’ve': ('I', '’ll', '’ve'),
    'I’m': ('I', '’m'),
    'I’ma': ('I', '’m', 'a'),
    'I’ve': ('I', '’ve'),
    'Jan.': ('Jan.',),
    'Jr.': ('Jr.',),
    'Jul.': ('Jul.',),
    'Jun.': ('Jun.',),
    'Kan.': ('Kan.',),
    'Kans.': ('Kans.',),
    'Ky.': ('Ky.',),
    'La.': ('La.',),
    "Let's": ('Let', "'s"),
    'Let’s': ('Let', '’s'),
    'Lovin': ('Lovin',),
    "Lovin'": ("Lovin'",),
    'Lovin’': ('Lovin’',),
    'Ltd.': ('Ltd.',),
    "Ma'am": ("Ma'am",),
    'Mar.': ('Mar.',),
    'Mass.': ('Mass.',),
    "Mayn't": ('May', "n't"),
    "Mayn't've": ('May', "n't", "'ve"),
    'Maynt': ('May', 'nt'),
    'Mayntve': ('May', 'nt', 've'),
    'Mayn’t': ('May', 'n’t'),
    'Mayn’t’ve': ('May', 'n’t', '’ve'),
    'Ma’am': ('Ma’am',),
    'Md.': ('Md.',),
    'Messrs.': ('Messrs.',),
    'Mich.': ('Mich.',),
    "Might've": ('Might', "'ve"),
    "Mightn't": ('Might', "n't"),
    "Mightn't've": ('Might', "n't", "'ve"),
    'Mightnt': ('Might', 'nt'),
    'Mightntve': ('Might', 'nt', 've'),
    'Mightn’t': ('Might', 'n’t'),
    'Mightn’t’ve': ('Might', 'n’t', '’ve'),
    'Mightve': ('Might', 've'),
    'Might’ve': ('Might', '’ve'),
    'Minn.': ('Minn.',),
    'Miss.': ('Miss.',),
    'Mo.': ('Mo.',),
    'Mont.': ('Mont.',),
    'Mr.': ('Mr.',),
    'Mrs.': ('Mrs.',),
    'Ms.': ('Ms.',),
    'Mt.': ('Mt.',),
    "Must've": ('Must', "'ve"),
    "Mustn't": ('Must', "n't"),
    "Mustn't've": ('Must', "n't", "'ve"),
    'Mustnt': ('Must', 'nt'),
    'Mustntve': ('Must', 'nt', 've'),
    'Mustn’t': ('Must', 'n’t'),
    'Mustn’t’ve': ('Must', 'n’t', '’ve'),
    'Mustve': ('Must', 've'),
    'Must’ve': ('Must', '’ve'),
    'N.C.': ('N.C.',),
    'N.D.': ('N.D.',),
    'N.H.': ('N.H.',),
    'N.J.': ('N.J.',),
    'N.M.': ('N.M.',),
    'N.Y.': ('N.Y.',),
    'Neb.': ('Neb.',),
    'Nebr.': ('Nebr.',),
    "Needn't": ('Need', "n't"),
    "Needn't've": ('Need', "n't", "'ve"),
    'Neednt': ('Need', 'nt'),
    'Needntve': ('Need', 'nt', 've'),
    'Needn’t': ('Need', 'n’t'),
    'Needn’t’ve': ('Need', 'n’t', '’ve'),
    'Nev.': ('Nev.',),
    "Not've": ('Not', "'ve"),
    'Nothin': ('Nothin',),
    "Nothin'": ("Nothin'",),
    'Nothin’': ('Nothin’',),
    'Notve': ('Not', 've'),
    'Not’ve': ('Not', '’ve'),
    'Nov.': ('Nov.',),
    'Nuthin': ('Nuthin',),
    "Nuthin'": ("Nuthin'",),
    'Nuthin’': ('Nuthin’',),
    "O'clock": ("O'clock",),
    'O.O': ('O.O',),
    'O.o': ('O.o',),
    'O_O': ('O_O',),
    'O_o': ('O_o',),
    'Oct.': ('Oct.',),
    'Okla.': ('Okla.',),
    'Ol': ('Ol',),
    "Ol'": ("Ol'",),
    'Ol’': ('Ol’',),
    'Ore.': ('Ore.',),
    "Oughtn't": ('Ought', "n't"),
    "Oughtn't've": ('Ought', "n't", "'ve"),
    'Oughtnt': ('Ought', 'nt'),
    'Oughtntve': ('Ought', 'nt', 've'),
    'Oughtn’t': ('Ought', 'n’t'),
    'Oughtn’t’ve': ('Ought', 'n’t', '’ve'),
    'O’clock': ('O’clock',),
    'Pa.': ('Pa.',),
    'Ph.D.': ('Ph.D.',),
    'Prof.': ('Prof.',),
    'Rep.': ('Rep.',),
    'Rev.': ('Rev.',),
    'S.C.': ('S.C.',),
    'Sen.': ('Sen.',),
    'Sep.': ('Sep.',),
    'Sept.': ('Sept.',),
    "Shan't": ('Sha', "n't"),
    "Shan't've": ('Sha', "n't", "'ve"),
    'Shant': ('Sha', 'nt'),
    'Shantve': ('Sha', 'nt', 've'),
    'Shan’t': ('Sha', 'n’t'),
    'Shan’t’ve': ('Sha', 'n’t', '’ve'),
    "She'd": ('She', "'d"),
    "She'd've": ('She', "'d", "'ve"),
    "She'll": ('She', "'ll"),
    "She'll've": ('She', "'ll", "'ve"),
    "She's": ('She', "'s"),
    'Shedve': ('She', 'd', 've'),
    'Shellve': ('She', 'll', 've'),
    'Shes': ('She', 's'),
    'She’d': ('She', '’d'),
    'She’d’ve': ('She', '’d', '’ve'),
    'She’ll': ('She', '’ll'),
    'She’ll’ve': ('She', '’ll', '’ve'),
    'She’s': ('She', '’s'),
    "Should've": ('Should', "'ve"),
    "Shouldn't": ('Should', "n't"),
    "Shouldn't've": ('Should', "n't", "'ve"),
    'Shouldnt': ('Should', 'nt'),
    'Shouldntve': ('Should', 'nt', 've'),
    'Shouldn’t': ('Should', 'n’t'),
    'Shouldn’t’ve': ('Should', 'n’t', '’ve'),
    'Shouldve': ('Should', 've'),
    'Should’ve': ('Should', '’ve'),
    'Somethin': ('Somethin',),
    "Somethin'": ("Somethin'",),
    'Somethin’': ('Somethin’',),
    'St.': ('St.',),
    'Tenn.': ('Tenn.',),
    "That'd": ('That', "'d"),
    "That'd've": ('That', "'d", "'ve"),
    "That'll": ('That', "'ll"),
    "That'll've": ('That', "'ll", "'ve"),
    "That's": ('That', "'s"),
    'Thatd': ('That', 'd'),
    'Thatdve': ('That', 'd', 've'),
    'Thatll': ('That', 'll'),
    'Thatllve': ('That', 'll', 've'),
    'Thats': ('That', 's'),
    'That’d': ('That', '’d'),
    'That’d’ve': ('That', '’d', '’ve'),
    'That’ll': ('That', '’ll'),
    'That’ll’ve': ('That', '’ll', '’ve'),
    'That’s': ('That', '’s'),
    "There'd": ('There', "'d"),
    "There'd've": ('There', "'d", "'ve"),
    "There'll": ('There', "'ll"),
    "There'll've": ('There', "'ll", "'ve"),
    "There're": ('There', "'re"),
    "There's": ('There', "'s"),
    "There've": ('There', "'ve"),
    'Thered': ('There', 'd'),
    'Theredve': ('There', 'd', 've'),
    'Therell': ('There', 'll'),
    'Therellve': ('There', 'll', 've'),
    'Therere': ('There', 're'),
    'Theres': ('There', 's'),
    'Thereve': ('There', 've'),
    'There’d': ('There', '’d'),
    'There’d’ve': ('There', '’d', '’ve'),
    'There’ll': ('There', '’ll'),
    'There’ll’ve': ('There', '’ll', '’ve'),
    'There’re': ('There', '’re'),
    'There’s': ('There', '’s'),
    'There’ve': ('There', '’ve'),
    "These'd": ('These', "'d"),
    "These'd've": ('These', "'d", "'ve"),
    "These'll": ('These', "'ll"),
    "These'll've": ('These', "'ll", "'ve"),
    "These're": ('These', "'re"),
    "These've": ('These', "'ve"),
    'Thesed': ('These', 'd'),
    'Thesedve': ('These', 'd', 've'),
    'Thesell': ('These', 'll'),
    'Thesellve': ('These', 'll', 've'),
    'Thesere': ('These', 're'),
    'Theseve': ('These', 've'),
    'These’d': ('These', '’d'),
    'These’d’ve': ('These', '’d', '’ve'),
    'These’ll': ('These', '’ll'),
    'These’ll’ve': ('These', '’ll', '’ve'),
    'These’re': ('These', '’re'),
    'These’ve': ('These', '’ve'),
    "They'd": ('They', "'d"),
    "They'd've": ('They', "'d", "'ve"),
    "They'll": ('They', "'ll"),
    "They'll've": ('They', "'ll", "'ve"),
    "They're": ('They', "'re"),
    "They've": ('They', "'ve"),
    'Theyd': ('They', 'd'),
    'Theydve': ('They', 'd', 've'),
    'Theyll': ('They', 'll'),
    'Theyllve': ('They', 'll', 've'),
    'Theyre': ('They', 're'),
    'Theyve': ('They', 've'),
    'They’d': ('They', '’d'),
    'They’d’ve': ('They', '’d', '’ve'),
    'They’ll': ('They', '’ll'),
    'They’ll’ve': ('They', '’ll', '’ve'),
    'They’re': ('They', '’re'),
    'They’ve': ('They', '’ve'),
    "This'd": ('This', "'d"),
    "This'd've": ('This', "'d", "'ve"),
    "This'll": ('This', "'ll"),
    "This'll've": ('This', "'ll", "'ve"),
    "This's": ('This', "'s"),
    'Thisd': ('This', 'd'),
    'Thisdve': ('This', 'd', 've'),
    'Thisll': ('This', 'll'),
    'Thisllve': ('This', 'll', 've'),
    'Thiss': ('This', 's'),
    'This’d': ('This', '’d'),
    'This’d’ve': ('This', '’d', '’ve'),
    'This’ll': ('This', '’ll'),
    'This’ll’ve': ('This', '’ll', '’ve'),
    'This’s': ('This', '’s'),
    "Those'd": ('Those', "'d"),
    "Those'd've": ('Those', "'d", "'ve"),
    "Those'll": ('Those', "'ll"),
    "Those'll've": ('Those', "'ll", "'ve"),
    "Those're": ('Those', "'re"),
    "Those've": ('Those', "'ve"),
    'Thosed': ('Those', 'd'),
    'Thosedve': ('Those', 'd', 've'),
    'Thosell': ('Those', 'll'),
    'Thosellve': ('Those', 'll', 've'),
    'Thosere': ('Those', 're'),
    'Thoseve': ('Those', 've'),
    'Those’d': ('Those', '’d'),
    'Those’d’ve': ('Those', '’d', '’ve'),
    'Those’ll': ('Those', '’ll'),
    'Those’ll’ve': ('Those', '’ll', '’ve'),
    'Those’re': ('Those', '’re'),
    'Those’ve': ('Those', '’ve'),
    'V.V': ('V.V',),
    'V_V': ('V_V',),
    'Va.': ('Va.',),
    'Wash.': ('Wash.',),
    "Wasn't": ('Was', "n't"),
    'Wasnt': ('Was', 'nt'),
    'Wasn’t': ('Was', 'n’t'),
    "We'd": ('We', "'d"),
    "We'd've": ('We', "'d", "'ve"),
    "We'll": ('We', "'ll"),
    "We'll've": ('We', "'ll", "'ve"),
    "We're": ('We', "'re"),
    "We've": ('We', "'ve"),
    'Wed': ('We', 'd'),
    'Wedve': ('We', 'd', 've'),
    'Wellve': ('We', 'll', 've'),
    "Weren't": ('Were', "n't"),
    'Werent': ('Were', 'nt'),
    'Weren’t': ('Were', 'n’t'),
    'Weve': ('We', 've'),
    'We’d': ('We', '’d'),
    'We’d’ve': ('We', '’d', '’ve'),
    'We’ll': ('We', '’ll'),
    'We’ll’ve': ('We', '’ll', '’ve'),
    'We’re': ('We', '’re'),
    'We’ve': ('We', '’ve'),
    "What'd": ('What', "'d"),
    "What'd've": ('What', "'d", "'ve"),
    "What'll": ('What', "'ll"),
    "What'll've": ('What', "'ll", "'ve"),
    "What're": ('What', "'re"),
    "What's": ('What', "'s"),
    "What've": ('What', "'ve"),
    'Whatd': ('What', 'd'),
    'Whatdve': ('What', 'd', 've'),
    'Whatll': ('What', 'll'),
    'Whatllve': ('What', 'll', 've'),
    'Whatre': ('What', 're'),
    'Whats': ('What', 's'),
    'Whatve': ('What', 've'),
    'What’d': ('What', '’d'),
    'What’d’ve': ('What', '’d', '’ve'),
    'What’ll': ('What', '’ll'),
    'What’ll’ve': ('What', '’ll', '’ve'),
    'What’re': ('What', '’re'),
    'What’s': ('What', '’s'),
    'What’ve': ('What', '’ve'),
    "When'd": ('When', "'d"),
    "When'd've": ('When', "'d", "'ve"),
    "When'll": ('When', "'ll"),
    "When'll've": ('When', "'ll", "'ve"),
    "When're": ('When', "'re"),
    "When's": ('When', "'s"),
    "When've": ('When', "'ve"),
    'Whend': ('When', 'd'),
    'Whendve': ('When', 'd', 've'),
    'Whenll': ('When', 'll'),
    'Whenllve': ('When', 'll', 've'),
    'Whenre': ('When', 're'),
    'Whens': ('When', 's'),
    'Whenve': ('When', 've'),
    'When’d': ('When', '’d'),
    'When’d’ve': ('When', '’d', '’ve'),
    'When’ll': ('When', '’ll'),
    'When’ll’ve': ('When', '’ll', '’ve'),
    'When’re': ('When', '’re'),
    'When’s': ('When', '’s'),
    'When’ve': ('When', '’ve'),
    "Where'd": ('Where', "'d"),
    "Where'd've": ('Where', "'d", "'ve"),
    "Where'll": ('Where', "'ll"),
    "Where'll've": ('Where', "'ll", "'ve"),
    "Where're": ('Where', "'re"),
    "Where's": ('Where', "'s"),
    "Where've": ('Where', "'ve"),
    'Whered': ('Where', 'd'),
    'Wheredve': ('Where', 'd', 've'),
    'Wherell': ('Where', 'll'),
    'Wherellve': ('Where', 'll', 've'),
    'Wherere': ('Where', 're'),
    'Wheres': ('Where', 's'),
    'Whereve': ('Where', 've'),
    'Where’d': ('Where', '’d'),
    'Where’d’ve': ('Where', '’d', '’ve'),
    'Where’ll': ('Where', '’ll'),
    'Where’ll’ve': ('Where', '’ll', '’ve'),
    'Where’re': ('Where', '’re'),
    'Where’s': ('Where', '’s'),
    'Where’ve': ('Where', '’ve'),
    "Who'd": ('Who', "'d"),
    "Who'd've": ('Who', "'d", "'ve"),
    "Who'll": ('Who', "'ll"),
    "Who'll've": ('Who', "'ll", "'ve"),
    "Who're": ('Who', "'re"),
    "Who's": ('Who', "'s"),
    "Who've": ('Who', "'ve"),
    'Whod': ('Who', 'd'),
    'Whodve': ('Who', 'd', 've'),
    'Wholl': ('Who', 'll'),
    'Whollve': ('Who', 'll', 've'),
    'Whos': ('Who', 's'),
    'Whove': ('Who', 've'),
    'Who’d': ('Who', '’d'),
    'Who’d’ve': ('Who', '’d', '’ve'),
    'Who’ll': ('Who', '’ll'),
    'Who’ll’ve': ('Who', '’ll', '’ve'),
    'Who’re': ('Who', '’re'),
    'Who’s': ('Who', '’s'),
    'Who’ve': ('Who', '’ve'),
    "Why'd": ('Why', "'d"),
    "Why'd've": ('Why', "'d", "'ve"),
    "Why'll": ('Why', "'ll"),
    "Why'll've": ('Why', "'ll", "'ve"),
    "Why're": ('Why', "'re"),
    "Why's": ('Why', "'s"),
    "Why've": ('Why', "'ve"),
    'Whyd': ('Why', 'd'),
    'Whydve': ('Why', 'd', 've'),
    'Whyll': ('Why', 'll'),
    'Whyllve': ('Why', 'll', 've'),
    'Whyre': ('Why', 're'),
    'Whys': ('Why', 's'),
    'Whyve': ('Why', 've'),
    'Why’d': ('Why', '’d'),
    'Why’d’ve': ('Why', '’d', '’ve'),
    'Why’ll': ('Why', '’ll'),
    'Why’ll’ve': ('Why', '’ll', '’ve'),
    'Why’re': ('Why', '’re'),
    'Why’s': ('Why', '’s'),
    'Why’ve': ('Why', '’ve'),
    'Wis.': ('Wis.',),
    "Won't": ('Wo', "n't"),
    "Won't've": ('Wo', "n't", "'ve"),
    'Wont': ('Wo', 'nt'),
    'Wontve': ('Wo', 'nt', 've'),
    'Won’t': ('Wo', 'n’t'),
    'Won’t’ve': ('Wo', 'n’t', '’ve'),
    "Would've": ('Would', "'ve"),
    "Wouldn't": ('Would', "n't"),
    "Wouldn't've": ('Would', "n't", "'ve"),
    'Wouldnt': ('Would', 'nt'),
    'Wouldntve': ('Would', 'nt', 've'),
    'Wouldn’t': ('Would', 'n’t'),
    'Wouldn’t’ve': ('Would', 'n’t', '’ve'),
    'Wouldve': ('Would', 've'),
    'Would’ve': ('Would', '’ve'),
    'XD': ('XD',),
    'XDD': ('XDD',),
    "You'd": ('You', "'d"),
    "You'd've": ('You', "'d", "'ve"),
    "You'll": ('You', "'ll"),
    "You'll've": ('You', "'ll", "'ve"),
    "You're": ('You', "'re"),
    "You've": ('You', "'ve"),
    'Youd': ('You', 'd'),
    'Youdve': ('You', 'd', 've'),
    'Youll': ('You', 'll'),
    'Youllve': ('You', 'll', 've'),
    'Youre': ('You', 're'),
    'Youve': ('You', 've'),
    'You’d': ('You', '’d'),
    'You’d’ve': ('You', '’d', '’ve'),
    'You’ll': ('You', '’ll'),
    'You’ll’ve': ('You', '’ll', '’ve'),
    'You’re': ('You', '’re'),
    'You’ve': ('You', '’ve'),
    '[-:': ('[-:',),
    '[:': ('[:',),
    '[=': ('[=',),
    '\\")': ('\\")',),
    '\\n': ('\\n',),
    '\\t': ('\\t',),
    ']=': (']=',),
    '^_^': ('^_^',),
    '^__^': ('^__^',),
    '^___^': ('^___^',),
    'a.': ('a.',),
    'a.m.': ('a.m.',),
    "ain't": ('ai', "n't"),
    'aint': ('ai', 'nt'),
    'ain’t': ('ai', 'n’t'),
    'and/or': ('and/or',),
    "aren't": ('are', "n't"),
    'arent': ('are', 'nt'),
    'aren’t': ('are', 'n’t'),
    'b.': ('b.',),
    "c'mon": ("c'm", 'on'),
    'c.': ('c.',),
    "can't": ('ca', "n't"),
    "can't've": ('ca', "n't", "'ve"),
    'cannot': ('can', 'not'),
    'cant': ('ca', 'nt'),
    'cantve': ('ca', 'nt', 've'),
    'can’t': ('ca', 'n’t'),
    'can’t’ve': ('ca', 'n’t', '’ve'),
    'co.': ('co.',),
    "could've": ('could', "'ve"),
    "couldn't": ('could', "n't"),
    "couldn't've": ('could', "n't", "'ve"),
    'couldnt': ('could', 'nt'),
    'couldntve': ('could', 'nt', 've'),
    'couldn’t': ('could', 'n’t'),
    'couldn’t’ve': ('could', 'n’t', '’ve'),
    'couldve': ('could', 've'),
    'could’ve': ('could', '’ve'),
    'c’mon': ('c’m', 'on'),
    'd.': ('d.',),
    "daren't": ('dare', "n't"),
    'darent': ('dare', 'nt'),
    'daren’t': ('dare', 'n’t'),
    "didn't": ('did', "n't"),
    "didn't've": ('did', "n't", "'ve"),
    'didnt': ('did', 'nt'),
    'didntve': ('did', 'nt', 've'),
    'didn’t': ('did', 'n’t'),
    'didn’t’ve': ('did', 'n’t', '’ve'),
    "doesn't": ('does', "n't"),
    "doesn't've": ('does', "n't", "'ve"),
    'doesnt': ('does', 'nt'),
    'doesntve': ('does', 'nt', 've'),
    'doesn’t': ('does', 'n’t'),
    'doesn’t’ve': ('does', 'n’t', '’ve'),
    'doin': ('doin',),
    "doin'": ("doin'",),
    'doin’': ('doin’',),
    "don't": ('do', "n't"),
    "don't've": ('do', "n't", "'ve"),
    'dont': ('do', 'nt'),
    'dontve': ('do', 'nt', 've'),
    'don’t': ('do', 'n’t'),
    'don’t’ve': ('do', 'n’t', '’ve'),
    'e.': ('e.',),
    'e.g.': ('e.g.',),
    'em': ('em',),
    'f.': ('f.',),
    'g.': ('g.',),
    'goin': ('goin',),
    "goin'": ("goin'",),
    'goin’': ('goin’',),
    'gonna': ('gon', 'na'),
    'gotta': ('got', 'ta'),
    'h.': ('h.',),
    "hadn't": ('had', "n't"),
    "hadn't've": ('had', "n't", "'ve"),
    'hadnt': ('had', 'nt'),
    'hadntve': ('had', 'nt', 've'),
    'hadn’t': ('had', 'n’t'),
    'hadn’t’ve': ('had', 'n’t', '’ve'),
    "hasn't": ('has', "n't"),
    'hasnt': ('has', 'nt'),
    'hasn’t': ('has', 'n’t'),
    "haven't": ('have', "n't"),
    'havent': ('have', 'nt'),
    'haven’t': ('have', 'n’t'),
    'havin': ('havin',),
    "havin'": ("havin'",),
    'havin’': ('havin’',),
    "he'd": ('he', "'d"),
    "he'd've": ('he', "'d", "'ve"),
    "he'll": ('he', "'ll"),
    "he'll've": ('he', "'ll", "'ve"),
    "he's": ('he', "'s"),
    'hed': ('he', 'd'),
    'hedve': ('he', 'd', 've'),
    'hellve': ('he', 'll', 've'),
    'hes': ('he', 's'),
    'he’d': ('he', '’d'),
    'he’d’ve': ('he', '’d', '’ve'),
    'he’ll': ('he', '’ll'),
    'he’ll’ve': ('he', '’ll', '’ve'),
    'he’s': ('he', '’s'),
    "how'd": ('how', "'d"),
    "how'd've": ('how', "'d", "'ve"),
    "how'd'y": ('how', "'d", "'y"),
    "how'll": ('how', "'ll"),
    "how'll've": ('how', "'ll", "'ve"),
    "how're": ('how', "'re"),
    "how's": ('how', "'s"),
    "how've": ('how', "'ve"),
    'howd': ('how', 'd'),
    'howdve': ('how', 'd', 've'),
    'howll': ('how', 'll'),
    'howllve': ('how', 'll', 've'),
    'howre': ('how', 're'),
    'hows': ('how', 's'),
    'howve': ('how', 've'),
    'how’d': ('how', '’d'),
    'how’d’ve': ('how', '’d', '’ve'),
    'how’d’y': ('how', '’d', '’y'),
    'how’ll': ('how', '’ll'),
    'how’ll’ve': ('how', '’ll', '’ve'),
    'how’re': ('how', '’re'),
    'how’s': ('how', '’s'),
    'how’ve': ('how', '’ve'),
    "i'd": ('i', "'d"),
    "i'd've": ('i', "'d", "'ve"),
    "i'll": ('i', "'ll"),
    "i'll've": ('i', "'ll", "'ve"),
    "i'm": ('i', "'m"),
    "i'ma": ('i', "'m", 'a'),
    "i've": ('i', "'ve"),
    'i.': ('i.',),
    'i.e.': ('i.e.',),
    'id': ('i', 'd'),
    'idve': ('i', 'd', 've'),
    'illve': ('i', 'll', 've'),
    'im': ('i', 'm'),
    'ima': ('i', 'm', 'a'),
    "isn't": ('is', "n't"),
    'isnt': ('is', 'nt'),
    'isn’t': ('is', 'n’t'),
    "it'd": ('it', "'d"),
    "it'd've": ('it', "'d", "'ve"),
    "it'll": ('it', "'ll"),
    "it'll've": ('it', "'ll", "'ve"),
    "it's": ('it', "'s"),
    'itd': ('it', 'd'),
    'itdve': ('it', 'd', 've'),
    'itll': ('it', 'll'),
    'itllve': ('it', 'll', 've'),
    'it’d': ('it', '’d'),
    'it’d’ve': ('it', '’d', '’ve'),
    'it’ll': ('it', '’ll'),
    'it’ll’ve': ('it', '’ll', '’ve'),
    'it’s': ('it', '’s'),
    'ive': ('i', 've'),
    'i’d': ('i', '’d'),
    'i’d’ve': ('i', '’d', '’ve'),
    'i’ll': ('i', '’ll'),
    'i’ll’ve': ('i', '’ll', '’ve'),
    'i’m': ('i', '’m'),
    'i’ma': ('i', '’m', 'a'),
    'i’ve': ('i', '’ve'),
    'j.': ('j.',),
    'k.': ('k.',),
    'l.': ('l.',),
    "let's": ('let', "'s"),
    'let’s': ('let', '’s'),
    'll': ('ll',),
    'lovin': ('lovin',),
    "lovin'": ("lovin'",),
    'lovin’': ('lovin’',),
    'm.': ('m.',),
    "ma'am": ("ma'am",),
    "mayn't": ('may', "n't"),
    "mayn't've": ('may', "n't", "'ve"),
    'maynt': ('may', 'nt'),
    'mayntve': ('may', 'nt', 've'),
    'mayn’t': ('may', 'n’t'),
    'mayn’t’ve': ('may', 'n’t', '’ve'),
    'ma’am': ('ma’am',),
    "might've": ('might', "'ve"),
    "mightn't": ('might', "n't"),
    "mightn't've": ('might', "n't", "'ve"),
    'mightnt': ('might', 'nt'),
    'mightntve': ('might', 'nt', 've'),
    'mightn’t': ('might', 'n’t'),
    'mightn’t’ve': ('might', 'n’t', '’ve'),
    'mightve': ('might', 've'),
    'might’ve': ('might', '’ve'),
    "must've": ('must', "'ve"),
    "mustn't": ('must', "n't"),
    "mustn't've": ('must', "n't", "'ve"),
    'mustnt': ('must', 'nt'),
    'mustntve': ('must', 'nt', 've'),
    'mustn’t': ('must', 'n’t'),
    'mustn’t’ve': ('must', 'n’t', '’ve'),
    'mustve': ('must', 've'),
    'must’ve': ('must', '’ve'),
    'n.': ('n.',),
    "needn't": ('need', "n't"),
    "needn't've": ('need', "n't", "'ve"),
    'neednt': ('need', 'nt'),
    'needntve': ('need', 'nt', 've'),
    'needn’t': ('need', 'n’t'),
    'needn’t’ve': ('need', 'n’t', '’ve'),
    "not've": ('not', "'ve"),
    'nothin': ('nothin',),
    "nothin'": ("nothin'",),
    'nothin’': ('nothin’',),
    'notve': ('not', 've'),
    'not’ve': ('not', '’ve'),
    'nuff': ('nuff',),
    'nuthin': ('nuthin',),
    "nuthin'": ("nuthin'",),
    'nuthin’': ('nuthin’',),
    "o'clock": ("o'clock",),
    'o.': ('o.',),
    'o.0': ('o.0',),
    'o.O': ('o.O',),
    'o.o': ('o.o',),
    'o_0': ('o_0',),
    'o_O': ('o_O',),
    'o_o': ('o_o',),
    'ol': ('ol',),
    "ol'": ("ol'",),
    'ol’': ('ol’',),
    "oughtn't": ('ought', "n't"),
    "oughtn't've": ('ought', "n't", "'ve"),
    'oughtnt': ('ought', 'nt'),
    'oughtntve': ('ought', 'nt', 've'),
    'oughtn’t': ('ought', 'n’t'),
    'oughtn’t’ve': ('ought', 'n’t', '’ve'),
    'o’clock': ('o’clock',),
    'p.': ('p.',),
    'p.m.': ('p.m.',),
    'q.': ('q.',),
    'r.': ('r.',),
    's.': ('s.',),
    "shan't": ('sha', "n't"),
    "shan't've": ('sha', "n't", "'ve"),
    'shant': ('sha', 'nt'),
    'shantve': ('sha', 'nt', 've'),
    'shan’t': ('sha', 'n’t'),
    'shan’t’ve': ('sha', 'n’t', '’ve'),
    "she'd": ('she', "'d"),
    "she'd've": ('she', "'d", "'ve"),
    "she'll": ('she', "'ll"),
    "she'll've": ('she', "'ll", "'ve"),
    "she's": ('she', "'s"),
    'shedve': ('she', 'd', 've'),
    'shellve': ('she', 'll', 've'),
    'shes': ('she', 's'),
    'she’d': ('she', '’d'),
    'she’d’ve': ('she', '’d', '’ve'),
    'she’ll': ('she', '’ll'),
    'she’ll’ve': ('she', '’ll', '’ve'),
    'she’s': ('she', '’s'),
    "should've": ('should', "'ve"),
    "shouldn't": ('should', "n't"),
    "shouldn't've": ('should', "n't", "'ve"),
    'shouldnt': ('should', 'nt'),
    'shouldntve': ('should', 'nt', 've'),
    'shouldn’t': ('should', 'n’t'),
    'shouldn’t’ve': ('should', 'n’t', '’ve'),
    'shouldve': ('should', 've'),
    'should’ve': ('should', '’ve'),
    'somethin': ('somethin',),
    "somethin'": ("somethin'",),
    'somethin’': ('somethin’',),
    't.': ('t.',),
    "that'd": ('that', "'d"),
    "that'd've": ('that', "'d", "'ve"),
    "that'll": ('that', "'ll"),
    "that'll've": ('that', "'ll", "'ve"),
    "that's": ('that', "'s"),
    'thatd': ('that', 'd'),
    'thatdve': ('that', 'd', 've'),
    'thatll': ('that', 'll'),
    'thatllve': ('that', 'll', 've'),
    'thats': ('that', 's'),
    'that’d': ('that', '’d'),
    'that’d’ve': ('that', '’d', '’ve'),
    'that’ll': ('that', '’ll'),
    'that’ll’ve': ('that', '’ll', '’ve'),
    'that’s': ('that', '’s'),
    "there'd": ('there', "'d"),
    "there'd've": ('there', "'d", "'ve"),
    "there'll": ('there', "'ll"),
    "there'll've": ('there', "'ll", "'ve"),
    "there're": ('there', "'re"),
    "there's": ('there', "'s"),
    "there've": ('there', "'ve"),
    'thered': ('there', 'd'),
    'theredve': ('there', 'd', 've'),
    'therell': ('there', 'll'),
    'therellve': ('there', 'll', 've'),
    'therere': ('there', 're'),
    'theres': ('there', 's'),
    'thereve': ('there', 've'),
    'there’d': ('there', '’d'),
    'there’d’ve': ('there', '’d', '’ve'),
    'there’ll': ('there', '’ll'),
    'there’ll’ve': ('there', '’ll', '’ve'),
    'there’re': ('there', '’re'),
    'there’s': ('there', '’s'),
    'there’ve': ('there', '’ve'),
    "these'd": ('these', "'d"),
    "these'd've": ('these', "'d", "'ve"),
    "these'll": ('these', "'ll"),
    "these'll've": ('these', "'ll", "'ve"),
    "these're": ('these', "'re"),
    "these've": ('these', "'ve"),
    'thesed': ('these', 'd'),
    'thesedve': ('these', 'd', 've'),
    'thesell': ('these', 'll'),
    'thesellve': ('these', 'll', 've'),
    'thesere': ('these', 're'),
    'theseve': ('these', 've'),
    'these’d': ('these', '’d'),
    'these’d’ve': ('these', '’d', '’ve'),
    'these’ll': ('these', '’ll'),
    'these’ll’ve': ('these', '’ll', '’ve'),
    'these’re': ('these', '’re'),
    'these’ve': ('these', '’ve'),
    "they'd": ('they', "'d"),
    "they'd've": ('they', "'d", "'ve"),
    "they'll": ('they', "'ll"),
    "they'll've": ('they', "'ll", "'ve"),
    "they're": ('they', "'re"),
    "they've": ('they', "'ve"),
    'theyd': ('they', 'd'),
    'theydve': ('they', 'd', 've'),
    'theyll': ('they', 'll'),
    'theyllve': ('they', 'll', 've'),
    'theyre': ('they', 're'),
    'theyve': ('they', 've'),
    'they’d': ('they', '’d'),
    'they’d’ve': ('they', '’d', '’ve'),
    'they’ll': ('they', '’ll'),
    'they’ll’ve': ('they', '’ll', '’ve'),
    'they’re': ('they', '’re'),
    'they’ve': ('they', '’ve'),
    "this'd": ('this', "'d"),
    "this'd've": ('this', "'d", "'ve"),
    "this'll": ('this', "'ll"),
    "this'll've": ('this', "'ll", "'ve"),
    "this's": ('this', "'s"),
    'thisd': ('this', 'd'),
    'thisdve': ('this', 'd', 've'),
    'thisll': ('this', 'll'),
    'thisllve': ('this', 'll', 've'),
    'thiss': ('this', 's'),
    'this’d': ('this', '’d'),
    'this’d’ve': ('this', '’d', '’ve'),
    'this’ll': ('this', '’ll'),
    'this’ll’ve': ('this', '’ll', '’ve'),
    'this’s': ('this', '’s'),
    "those'd": ('those', "'d"),
    "those'd've": ('those', "'d", "'ve"),
    "those'll": ('those', "'ll"),
    "those'll've": ('those', "'ll", "'ve"),
    "those're": ('those', "'re"),
    "those've": ('those', "'ve"),
    'thosed': ('those', 'd'),
    'thosedve': ('those', 'd', 've'),
    'thosell': ('those', 'll'),
    'thosellve': ('those', 'll', 've'),
    'thosere': ('those', 're'),
    'thoseve': ('those', 've'),
    'those’d': ('those', '’d'),
    'those’d’ve': ('those', '’d', '’ve'),
    'those’ll': ('those', '’ll'),
    'those’ll’ve': ('those', '’ll', '’ve'),
    'those’re': ('those', '’re'),
    'those’ve': ('those', '’ve'),
    'u.': ('u.',),
    'v.': ('v.',),
    'v.s.': ('v.s.',),
    'v.v': ('v.v',),
    'v_v': ('v_v',),
    'vs.': ('vs.',),
    'w.': ('w.',),
    'w/o': ('w/o',),
    "wasn't": ('was', "n't"),
    'wasnt': ('was', 'nt'),
    'wasn’t': ('was', 'n’t'),
    "we'd": ('we', "'d"),
    "we'd've": ('we', "'d", "'ve"),
    "we'll": ('we', "'ll"),
    "we'll've": ('we', "'ll", "'ve"),
    "we're": ('we', "'re"),
    "we've": ('we', "'ve"),
    'wed': ('we', 'd'),
    'wedve': ('we', 'd', 've'),
    'wellve': ('we', 'll', 've'),
    "weren't": ('were', "n't"),
    'werent': ('were', 'nt'),
    'weren’t': ('were', 'n’t'),
    'weve': ('we', 've'),
    'we’d': ('we', '’d'),
    'we’d’ve': ('we', '’d', '’ve'),
    'we’ll': ('we', '’ll'),
    'we’ll’ve': ('we', '’ll', '’ve'),
    'we’re': ('we', '’re'),
    'we’ve': ('we', '’ve'),
    "what'd": ('what', "'d"),
    "what'd've": ('what', "'d", "'ve"),
    "what'll": ('what', "'ll"),
    "what'll've": ('what', "'ll", "'ve"),
    "what're": ('what', "'re"),
    "what's": ('what', "'s"),
    "what've": ('what', "'ve"),
    'whatd': ('what', 'd'),
    'whatdve': ('what', 'd', 've'),
    'whatll': ('what', 'll'),
    'whatllve': ('what', 'll', 've'),
    'whatre': ('what', 're'),
    'whats': ('what', 's'),
    'whatve': ('what', 've'),
    'what’d': ('what', '’d'),
    'what’d’ve': ('what', '’d', '’ve'),
    'what’ll': ('what', '’ll'),
    'what’ll’ve': ('what', '’ll', '’ve'),
    'what’re': ('what', '’re'),
    'what’s': ('what', '’s'),
    'what’ve': ('what', '’ve'),
    "when'd": ('when', "'d"),
    "when'd've": ('when', "'d", "'ve"),
    "when'll": ('when', "'ll"),
    "when'll've": ('when', "'ll", "'ve"),
    "when're": ('when', "'re"),
    "when's": ('when', "'s"),
    "when've": ('when', "'ve"),
    'whend': ('when', 'd'),
    'whendve': ('when', 'd', 've'),
    'whenll': ('when', 'll'),
    'whenllve': ('when', 'll', 've'),
    'whenre': ('when', 're'),
    'whens': ('when', 's'),
    'whenve': ('when', 've'),
    'when’d': ('when', '’d'),
    'when’d’ve': ('when', '’d', '’ve'),
    'when’ll': ('when', '’ll'),
    'when’ll’ve': ('when', '’ll', '’ve'),
    'when’re': ('when', '’re'),
    'when’s': ('when', '’s'),
    'when’ve': ('when', '’ve'),
    "where'd": ('where', "'d"),
    "where'd've": ('where', "'d", "'ve"),
    "where'll": ('where', "'ll"),
    "where'll've": ('where', "'ll", "'ve"),
    "where're": ('where', "'re"),
    "where's": ('where', "'s"),
    "where've": ('where', "'ve"),
    'whered': ('where', 'd'),
    'wheredve': ('where', 'd', 've'),
    'wherell': ('where', 'll'),
    'wherellve': ('where', 'll', 've'),
    'wherere': ('where', 're'),
    'wheres': ('where', 's'),
    'whereve': ('where', 've'),
    'where’d': ('where', '’d'),
    'where’d’ve': ('where', '’d', '’ve'),
    'where’ll': ('where', '’ll'),
    'where’ll’ve': ('where', '’ll', '’ve'),
    'where’re': ('where', '’re'),
    'where’s': ('where', '’s'),
    'where’ve': ('where', '’ve'),
    "who'd": ('who', "'d"),
    "who'd've": ('who', "'d", "'ve"),
    "who'll": ('who', "'ll"),
    "who'll've": ('who', "'ll", "'ve"),
    "who're": ('who', "'re"),
    "who's": ('who', "'s"),
    "who've": ('who', "'ve"),
    'whod': ('who', 'd'),
    'whodve': ('who', 'd', 've'),
    'wholl': ('who', 'll'),
    'whollve': ('who', 'll', 've'),
    'whos': ('who', 's'),
    'whove': ('who', 've'),
    'who’d': ('who', '’d'),
    'who’d’ve': ('who', '’d', '’ve'),
    'who’ll': ('who', '’ll'),
    'who’ll’ve': ('who', '’ll', '’ve'),
    'who’re': ('who', '’re'),
    'who’s': ('who', '’s'),
    'who’ve': ('who', '’ve'),
    "why'd": ('why', "'d"),
    "why'd've": ('why', "'d", "'ve"),
    "why'll": ('why', "'ll"),
    "why'll've": ('why', "'ll", "'ve"),
    "why're": ('why', "'re"),
    "why's": ('why', "'s"),
    "why've": ('why', "'ve"),
    'whyd': ('why', 'd'),
    'whydve': ('why', 'd', 've'),
    'whyll': ('why', 'll'),
    'whyllve': ('why', 'll', 've'),
    'whyre': ('why', 're'),
    'whys': ('why', 's'),
    'whyve': ('why', 've'),
    'why’d': ('why', '’d'),
    'why’d’ve': ('why', '’d', '’ve'),
    'why’ll': ('why', '’ll'),
    'why’ll’ve': ('why', '’ll', '’ve'),
    'why’re': ('why', '’re'),
    'why’s': ('why', '’s'),
    'why’ve': ('why', '’ve'),
    "won't": ('wo', "n't"),
    "won't've": ('wo', "n't", "'ve"),
    'wont': ('wo', 'nt'),
    'wontve': ('wo', 'nt', 've'),
    'won’t': ('wo', 'n’t'),
    'won’t’ve': ('wo', 'n’t', '’ve'),
    "would've": ('would', "'ve"),
    "wouldn't": ('would', "n't"),
    "wouldn't've": ('would', "n't", "'ve"),
    'wouldnt': ('would', 'nt'),
    'wouldntve': ('would', 'nt', 've'),
    'wouldn’t': ('would', 'n’t'),
    'wouldn’t’ve': ('would', 'n’t', '’ve'),
    'wouldve': ('would', 've'),
    'would’ve': ('would', '’ve'),
    'x.': ('x.',),
    'xD': ('xD',),
    'xDD': ('xDD',),
    "y'all": ("y'", 'all'),
    'y.': ('y.',),
    'yall': ('y', 'all'),
    "you'd": ('you', "'d"),
    "you'd've": ('you', "'d", "'ve"),
    "you'll": ('you', "'ll"),
    "you'll've": ('you', "'ll", "'ve"),
    "you're": ('you', "'re"),
    "you've": ('you', "'ve"),
    'youd': ('you', 'd'),
    'youdve': ('you', 'd', 've'),
    'youll': ('you', 'll'),
    'youllve': ('you', 'll', 've'),
    'youre': ('you', 're'),
    'youve': ('you', 've'),
    'you’d': ('you', '’d'),
    'you’d’ve': ('you', '’d', '’ve'),
    'you’ll': ('you', '’ll'),
    'you’ll’ve': ('you', '’ll', '’ve'),
    'you’re': ('you', '’re'),
    'you’ve': ('you', '’ve'),
    'y’all': ('y’', 'all'),
    'z.': ('z.',),
    '\xa0': ('\xa0',),
    '¯\\(ツ)/¯': ('¯\\(ツ)/¯',),
    '°C.': ('°', 'C', '.'),
    '°F.': ('°', 'F', '.'),
    '°K.': ('°', 'K', '.'),
    '°c.': ('°', 'c', '.'),
    '°f.': ('°', 'f', '.'),
    '°k.': ('°', 'k', '.'),
    'ä.': ('ä.',),
    'ö.': ('ö.',),
    'ü.': ('ü.',),
    'ಠ_ಠ': ('ಠ_ಠ',),
    'ಠ︵ಠ': ('ಠ︵ಠ',),
    '—': ('—',),
    '‘S': ('‘S',),
    '‘s': ('‘s',),
    '’': ('’',),
    '’Cause': ('’Cause',),
    '’Cos': ('’Cos',),
    '’Coz': ('’Coz',),
    '’Cuz': ('’Cuz',),
    '’S': ('’S',),
    '’bout': ('’bout',),
    '’cause': ('’cause',),
    '’cos': ('’cos',),
    '’coz': ('’coz',),
    '’cuz': ('’cuz',),
    '’d': ('’d',),
    '’em': ('’em',),
    '’ll': ('’ll',),
    '’nuff': ('’nuff',),
    '’re': ('’re',),
    '’s': ('’s',),
    '’’': ('’’',),
}
_SENT_PUNCT_CHARS = '!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼。꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？｡𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈'
DT_PUNCTUATION = '!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„\';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_."}►»\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f'
DT_TERMINAL_PUNCTUATION = '!.?։؝؞؟۔܀܁܂߹࠷࠹࠽࠾।॥၊။።፧፨᙮᜵᜶។៕៖៙៚᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᭽᭾᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼⹓⹔。꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？｡𐩖𐩗𐽕𐽖𐽗𐽘𐽙𐾆𐾇𐾈𐾉𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑥄𑥆𑩂𑩃𑪛𑪜𑱁𑱂𑻷𑻸\U00011f43\U00011f44𖩮𖩯𖫵𖬷𖬸𖭄𖺘𛲟𝪈'
# fmt: on
