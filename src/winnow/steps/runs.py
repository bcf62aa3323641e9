"""``repetition``: Dolma's character-run repetition taggers as attributes, with an optional filter on their scores.

Dolma's definition (``repetitions_v1``): every non-overlapping match, left to right, of the regular expression
``(.+?)(\\s?\\1){3,}`` (a piece of a line repeated at least 4 times in a row, each copy optionally preceded by one
whitespace character). A match's score is how many times the piece occurs in the matched text (``str.count``).
Per document it records the highest score, the longest match and the fraction of characters inside matches
(Dolma's ``doc_max_score_repetition``, ``doc_max_length_repetition``, ``doc_frac_repetition``).
``paragraph_repetitions_v1`` runs the same expression on each line separately.

Dolma's token variants (``tokenizer_repetitions_v1``, ``paragraph_tokenizer_repetitions_v1``,
``tokenizer_repetitions_v2r2``) look for runs of 1 to 13 token ids repeated at least 3 times
(``periodic_runs``: Dolma's row-by-row method: the ids cut into rows of ``period``, rows equal to the row above, then
widened by the matching ends of the neighbouring rows) and report character spans through the tokenizer's offsets;
``tokenizer`` names the tokenizer.json (Dolma used ``allenai/eleuther-ai-gpt-neox-20b-pii-special`` from the Hub).

Run as written, the expression costs time quadratic in a line's length (a 14,000-character line: 4 s; a page
that is one 1 MB line: hours), because at every position the lazy group tries every length up to the line's end.
winnow finds the same matches without trying lengths that cannot work: the expression can only succeed at
position i with length k when the text right after the piece starts another copy of it (directly or after one
whitespace character). For k <= 32 that test is a vectorised comparison of the text with itself shifted by k; for
longer k the 32 characters at i must occur again k or k+1 characters later (a hash of every 32-character window).
Only at the (position, length) pairs that pass is the expression itself run, anchored, with the length fixed, so
the matches, their ends and scores are the expression's own. Tests compare both on random and real texts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Iterator, Literal

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject

__all__ = ["Repetition", "char_repetitions", "DOLMA_PATTERN"]

DOLMA_PATTERN = r"(.+?)(\s?\1){3,}"
_G = 32  # lengths up to _G are tested by shifted comparison, longer ones through _G-character window hashes


# Up to this many characters the expression runs as written: its quadratic cost is still below the vectorised
# search's fixed cost (every line of 150 corpus pages, CPU: 0 -> 6.2 s, 64 -> 3.7, 128 -> 2.9, 256 -> 2.8,
# 512 -> 4.3, 1024 -> 6.0).
_DIRECT = 256


@lru_cache(maxsize=1)
def _dolma_re() -> re.Pattern:
    return re.compile(DOLMA_PATTERN)


@lru_cache(maxsize=1)
def _ws_codes():
    import numpy as np

    # the characters `\s` matches in a str pattern; U+3000 is the highest Unicode whitespace character
    return np.array([c for c in range(0x3001) if re.match(r"\s", chr(c))], dtype=np.uint32)


@lru_cache(maxsize=4096)
def _fixed(k: int) -> re.Pattern:
    # the expression with its lazy group settled on k characters ('.' is any character but '\n')
    return re.compile(r"([^\n]{%d})(\s?\1){3,}" % k)


def _window_sums_equal(eq, k: int):
    """For each i: eq[i], ..., eq[i+k-1] all true (k consecutive equal characters), False where the window runs off."""
    import numpy as np

    n = len(eq)
    out = np.zeros(n, dtype=bool)
    if n >= k:
        c = np.concatenate(([0], np.cumsum(eq, dtype=np.int64)))
        out[: n - k + 1] = (c[k:] - c[: n - k + 1]) == k
    return out


def _three_more(pos_hash: Any, hv: int, i: int, k: int) -> bool:
    """Whether a piece of ``k`` (> _G) characters at ``i`` can have the three copies the expression needs: each
    copy starts k or k+1 characters after the one before, and begins with the piece's first _G characters (the
    window hash ``hv``). Only the first copy was looked for before: on a long line whose sentences recur far apart
    (a forum thread quoting its posts, 771,566 characters on one line in FinCORE) every such pair compiled and ran
    the expression for its distance: 12 s of CPU for the page, 30 s of wall time on a busy machine, where
    run.max_seconds_per_doc quarantined it (now 2.5 s)."""
    m = len(pos_hash)
    starts = {i}
    for _ in range(3):
        starts = {c + k + s for c in starts for s in (0, 1) if c + k + s < m and int(pos_hash[c + k + s]) == hv}
        if not starts:
            return False
    return True


def char_repetitions(text: str, direct_up_to: int | None = None) -> Iterator[tuple[int, int, int]]:
    """``(start, end, score)`` of every match of Dolma's expression in ``text``, as ``re.finditer`` finds them.
    ``direct_up_to``: texts this short run the expression as written (default ``_DIRECT``; tests pass 0 to check
    the vectorised search on short texts too)."""
    import numpy as np

    n = len(text)
    if n < 4:
        return
    if n <= (_DIRECT if direct_up_to is None else direct_up_to):  # short texts: the expression itself is cheaper than setting up the arrays
        for m in _dolma_re().finditer(text):
            yield m.start(), m.end(), m.group(0).count(m.group(1))
        return
    a = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ws = np.isin(a, _ws_codes())
    # characters from each position to the next line break: a piece never holds one
    nl = np.flatnonzero(a == 10)
    room = np.append(nl, n)[np.searchsorted(nl, np.arange(n))] - np.arange(n)
    short: list[tuple[Any, Any]] = []  # per k: (no-whitespace test, whitespace test) over positions
    cand = np.zeros(n, dtype=bool)
    for k in range(1, min(_G, n // 4) + 1):
        eq_k = a[:-k] == a[k:]
        eq_next = a[: -(k + 1)] == a[k + 1:]
        direct = _window_sums_equal(eq_k, k)  # text[i:i+k] == text[i+k:i+2k]
        spaced = _window_sums_equal(eq_next, k)  # text[i:i+k] == text[i+k+1:i+2k+1]
        d = np.zeros(n, dtype=bool)
        d[: len(direct)] = direct
        s = np.zeros(n, dtype=bool)
        s[: len(spaced)] = spaced
        s[: n - k] &= ws[k:]  # ... with a whitespace character between
        s[n - k:] = False
        fits = room >= k
        d &= fits
        s &= fits
        short.append((d, s))
        cand |= d | s
    short_cand = cand.copy()  # positions where some short length passes: the others skip the per-length test
    # longer pieces: the _G characters at i occur again k or k+1 characters later
    long_groups: dict[int, Any] = {}
    pos_hash = None
    if n >= 2 * _G + 2:
        m = n - _G + 1
        h = np.zeros(m, dtype=np.uint64)
        base = np.uint64(0x100000001B3)
        with np.errstate(over="ignore"):
            for t in range(_G):
                h = h * base + a[t: t + m].astype(np.uint64)
        order = np.argsort(h, kind="stable")
        hs = h[order]
        dup = np.zeros(m, dtype=bool)
        same_next = hs[1:] == hs[:-1]
        dup[order[1:][same_next]] = True
        dup[order[:-1][same_next]] = True
        dup &= room[:m] > _G  # a longer piece starting here must fit in its line
        cand[:m] |= dup
        pos_hash = h
        if dup.any():
            idx = np.flatnonzero(dup)
            for hv, p in zip(h[idx].tolist(), idx.tolist()):
                long_groups.setdefault(hv, []).append(p)  # ascending positions
    positions = np.flatnonzero(cand).tolist()
    pos = 0
    for i in positions:
        if i < pos:
            continue
        ks = [k for k, (d, s) in enumerate(short, 1) if d[i] or s[i]] if short_cand[i] else ()
        found = None
        for k in ks:
            mt = _fixed(k).match(text, i)
            if mt is not None:
                found = mt
                break
        if found is None and pos_hash is not None and i < len(pos_hash):
            hv = int(pos_hash[i])
            later = long_groups.get(hv)
            if later:
                limit = i + int(room[i])  # a piece never holds a line break
                long_ks = set()
                # a copy starts at most one character after the line's end
                for j in later[bisect_right(later, i + _G): bisect_right(later, limit + 1)]:
                    k = j - i
                    if k > _G and i + k <= limit and _three_more(pos_hash, hv, i, k):
                        long_ks.add(k)
                    if k - 1 > _G and i + k - 1 <= limit and ws[j - 1] and _three_more(pos_hash, hv, i, k - 1):
                        long_ks.add(k - 1)
                for k in sorted(long_ks):
                    mt = _fixed(k).match(text, i)
                    if mt is not None:
                        found = mt
                        break
        if found is not None:
            piece = found.group(1)
            yield found.start(), found.end(), found.group(0).count(piece)
            pos = found.end()


def _leading_true(row) -> int:
    """Length of the run of True at the start of a boolean row."""
    import numpy as np

    off = np.flatnonzero(~row)
    return int(off[0]) if len(off) else len(row)


def periodic_runs(ids, max_period: int = 13, min_period: int = 1) -> Iterator[tuple[int, int, int, int]]:
    """``(start, end, period, times)`` of runs of ``period`` ids repeated at least 3 times, period by period, as
    Dolma's ``find_periodic_sequences`` reports them (overlapping runs of different periods included)."""
    import numpy as np

    a = np.asarray(ids, dtype=np.int64)
    n = len(a)
    for p in range(min_period, min(max_period, n // 3) + 1):
        # rows of p ids; the last row is padded with -1 (a whole row of it when p divides n), so neither the last
        # row nor the first (compared, wrapping round, with the last) is ever equal to the one above
        rows = np.concatenate([a, np.full(p - n % p, -1, dtype=np.int64)]).reshape(-1, p)
        eq = rows == np.roll(rows, 1, axis=0)
        full = np.flatnonzero(eq.all(axis=1))
        if not len(full):
            continue
        breaks = np.flatnonzero(np.diff(full) != 1) + 1
        for grp in np.split(full, breaks):
            r0, r1 = int(grp[0]), int(grp[-1])
            tail = _leading_true(eq[r0 - 1][::-1])  # the row above the run ends with part of the period
            start = (r0 - 1) * p - (tail if 0 < tail < p else 0)
            end = (r1 + 1) * p + _leading_true(eq[r1 + 1])  # the row below starts with part of it
            times = (end - start) // p
            if times > 2:  # fewer repeats cannot be told apart by rows
                yield start, end, p, times


_VARIANTS = ("repetitions_v1", "paragraph_repetitions_v1", "tokenizer_repetitions_v1",
             "paragraph_tokenizer_repetitions_v1", "tokenizer_repetitions_v2r2")
_V2R2_CHUNK = 100_000  # Dolma's max_length of tokenizer_repetitions_v2r2
_TOKENIZERS: dict[str, Any] = {}


def _hf_tokenizer(spec: str) -> Any:
    tok = _TOKENIZERS.get(spec)
    if tok is None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ImportError("the token variants of repetition need Hugging Face tokenizers: pip install 'winnow[tokens]'") from exc
        from .tokens import resolve_tokenizer_file

        tok = _TOKENIZERS[spec] = Tokenizer.from_file(str(resolve_tokenizer_file(spec)))
    return tok


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Dolma's split_paragraphs(remove_empty=False): each line with its "\\n", offsets into the text."""
    start = 0
    while start < len(text):
        nl = text.find("\n", start)
        end = len(text) if nl < 0 else nl + 1
        yield start, text[start:end]
        start = end


@register("repetition")
@dataclass
class Repetition(Filter):
    """Dolma's repetition tagger: runs of a piece of text repeated 4+ times; max score, longest run, repeated fraction."""

    # Dolma's tagger: "repetitions_v1" (character runs in the whole text), "paragraph_repetitions_v1" (in each
    # line), "tokenizer_repetitions_v1" (token runs in the whole text), "paragraph_tokenizer_repetitions_v1" (in
    # each line, tokenized after a space as Dolma does), "tokenizer_repetitions_v2r2" (100,000-character chunks,
    # runs inside a longer one left out). The token variants need `tokenizer`.
    variant: Literal["repetitions_v1", "paragraph_repetitions_v1", "tokenizer_repetitions_v1",
                     "paragraph_tokenizer_repetitions_v1", "tokenizer_repetitions_v2r2"] = "repetitions_v1"
    # The tokenizer.json of the token variants: a path, an fsspec URL or hf://owner/repo/tokenizer.json (Dolma's:
    # hf://allenai/eleuther-ai-gpt-neox-20b-pii-special/tokenizer.json, fetched once into the model cache).
    tokenizer: str | None = None
    # Drop a document whose highest repetition score (times a piece repeats) is above this; null: tag only.
    max_score: float | None = None
    # Drop a document whose longest repeated run is longer than this many characters; null: tag only.
    max_length: int | None = None
    # Drop a document with more than this fraction of its characters inside repeated runs; null: tag only.
    max_frac: float | None = None
    # Runs recorded as [start, end, score] in repetition.spans (the first ones; the statistics use all).
    max_recorded_spans: int = 100

    REASONS: ClassVar[tuple[str, ...]] = ("repetition_score", "repetition_length", "repetition_frac")
    FRACTIONS = ("max_frac",)
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "max_score": ("repetition.max_score", ">", "repetition_score"),
        "max_length": ("repetition.max_length", ">", "repetition_length"),
        "max_frac": ("repetition.frac", ">", "repetition_frac"),
    }

    def validate(self) -> None:
        super().validate()
        if self.variant not in _VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; expected one of {', '.join(_VARIANTS)}")
        if "tokenizer" in self.variant and not self.tokenizer:
            raise ValueError(f"variant {self.variant} needs tokenizer: a tokenizer.json (Dolma used "
                             "hf://allenai/eleuther-ai-gpt-neox-20b-pii-special/tokenizer.json)")
        if self.max_recorded_spans < 0:
            raise ValueError("max_recorded_spans must not be negative")

    def setup(self, ctx: Context) -> None:
        if "tokenizer" in self.variant:
            self._tok = _hf_tokenizer(self.tokenizer or "")

    def _token_runs(self, text: str) -> list[tuple[int, int, int]]:
        enc = self._tok.encode(text, add_special_tokens=False)
        offs = enc.offsets
        return [(offs[s][0], offs[e - 1][1], times) for s, e, _, times in periodic_runs(enc.ids)]

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        v = self.variant
        if v == "paragraph_repetitions_v1":
            return [(off + s, off + e, sc) for off, line in _lines(text) for s, e, sc in char_repetitions(line)]
        if v == "repetitions_v1":
            return list(char_repetitions(text))
        if getattr(self, "_tok", None) is None:
            self.setup(Context())
        if v == "tokenizer_repetitions_v1":
            return self._token_runs(text)
        if v == "paragraph_tokenizer_repetitions_v1":
            # a leading space so the first word is tokenized as it is mid-text; offsets shifted back by one
            return [(off + s - 1, off + e - 1, sc) for off, line in _lines(text)
                    for s, e, sc in self._token_runs(" " + line)]
        out = []  # tokenizer_repetitions_v2r2
        for off in range(0, len(text), _V2R2_CHUNK):
            prev_s = prev_e = -1
            for s, e, sc in sorted(self._token_runs(text[off: off + _V2R2_CHUNK]), key=lambda r: (r[0], -r[1], -r[2])):
                if s >= prev_s and e <= prev_e:
                    continue  # inside the run kept before it
                prev_s, prev_e = s, e
                out.append((off + s, off + e, sc))
        return out

    def reject(self, doc: Document) -> Reject | None:
        text = doc.text
        spans = self.spans(text)
        max_score = max((s[2] for s in spans), default=0)
        max_len = max((e - s for s, e, _ in spans), default=0)
        frac = sum(e - s for s, e, _ in spans) / len(text) if spans else 0.0
        at = doc.attributes
        at["repetition.max_score"] = max_score
        at["repetition.max_length"] = max_len
        at["repetition.frac"] = frac
        at["repetition.count"] = len(spans)
        at["repetition.spans"] = [list(s) for s in spans[: self.max_recorded_spans]]
        if self.max_score is not None and max_score > self.max_score:
            return Reject("repetition_score", max_score, self.max_score)
        if self.max_length is not None and max_len > self.max_length:
            return Reject("repetition_length", max_len, self.max_length)
        if self.max_frac is not None and frac > self.max_frac:
            return Reject("repetition_frac", frac, self.max_frac)
        return None
