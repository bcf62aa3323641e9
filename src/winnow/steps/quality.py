"""The published heuristic quality filters: Gopher quality and repetition, C4 (lines and bad words), FineWeb.

Each step reproduces a named reference decision for decision (``variant``):

* ``"datatrove"`` (default): datatrove's current code (0.10.x). Words come from spaCy's English tokenizer, which
  winnow re-implements without spaCy (``_tokenize``); ``bench/parity.py`` proves the agreement on real pages.
* ``"fineweb-2024-05"``: the code that built FineWeb (datatrove commit c72b1e4, 2024-05-02): NLTK words and
  sentences, occurrence-counted stop words, FineWeb ratios over all lines with ``<=``/``>=``. Needs NLTK and its
  English punkt data (see ``_nltk``).
* ``"c4-tfds"`` (``c4_quality`` only): the original TensorFlow Datasets C4 cleaning.

Thresholds are typed fields with the reference values as defaults; ``None`` switches a rule off, as datatrove's
falsy thresholds do. Signals are recorded as ``<step>.<signal>`` attributes and every compared threshold is
declared in ``THRESHOLDS`` so ``winnow whatif`` can re-decide without recomputing. Words, lines and paragraphs come
from ``winnow.text.segments`` so that a chain of these filters splits each document once.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, wraps
from itertools import chain
from importlib import resources
from typing import Any, ClassVar, Literal

from .. import _native
from ..document import Document
from ..registry import register
from ..document import Drop
from ..step import Context, Filter, Reject, after_interrupt
from ..text import segments
from . import _tokenize as tk

__all__ = ["GopherQuality", "GopherRepetition", "C4Quality", "C4BadWords", "FineWebQuality"]

Variant = Literal["datatrove", "fineweb-2024-05"]

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
# datatrove's symbol set: before 2024-06 the terminal punctuation of other scripts was not part of it
_PUNCT_NOW = frozenset(tk.DT_PUNCTUATION) | frozenset(tk.DT_TERMINAL_PUNCTUATION)
_PUNCT_2024 = frozenset(tk.DT_PUNCTUATION)
_TERMINAL_NOW = tuple(sorted(tk.DT_TERMINAL_PUNCTUATION))
_TERMINAL_2024 = (".", "'", '"', "!", "?")
_NEWLINE_RUNS = re.compile("\n+")


# --- words -----------------------------------------------------------------------------------------------------
def _words(doc: Document, variant: str) -> list[str]:
    """The reference's word list for ``variant``, computed once per document text and shared by the chain."""
    if variant == "fineweb-2024-05":
        return segments(doc).memo("words.nltk_en", _nltk().word_tokenize)
    return segments(doc).memo("words.spacy_en", tk.datatrove_words)


@lru_cache(maxsize=1)
def _nltk():
    """NLTK's English word and sentence tokenizers, as FineWeb and TFDS C4 used them.

    NLTK is optional (``pip install nltk``); its punkt parameters are data that NLTK downloads separately
    (``python -m nltk.downloader punkt_tab``, or put ``tokenizers/punkt_tab/english`` under a folder named in
    ``NLTK_DATA``). Only the historical variants need them; the default variant needs nothing."""
    try:
        import nltk
        from nltk.tokenize import sent_tokenize, word_tokenize
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("variants 'fineweb-2024-05' and 'c4-tfds' use NLTK: pip install nltk") from exc
    try:
        sent_tokenize("Punkt is here. Is it?")
    except LookupError as exc:
        raise RuntimeError(
            "variants 'fineweb-2024-05' and 'c4-tfds' need NLTK's English punkt data (tokenizers/punkt_tab/english): "
            "run `python -m nltk.downloader punkt_tab` or point NLTK_DATA at a folder that has it") from exc
    del nltk
    from types import SimpleNamespace

    return SimpleNamespace(word_tokenize=word_tokenize, sentence_count=lambda line: len(sent_tokenize(line)))


class _NeedsNltkForOldVariants:
    """Validation fails before a run, not in every shard's setup, when a historical variant lacks NLTK's data."""

    def validate(self) -> None:
        super().validate()  # type: ignore[misc]
        if getattr(self, "variant", "datatrove") != "datatrove":
            try:
                _nltk()
            except RuntimeError as exc:
                raise ValueError(str(exc)) from None


def _check_variant(step, allowed: tuple[str, ...]) -> None:
    if step.variant not in allowed:
        raise ValueError(f"{step.name}: unknown variant {step.variant!r}; expected one of {', '.join(allowed)}")


# --- per-token facts, cached across documents ----------------------------------------------------------------------
_NONSYM_NOW, _NONSYM_2024, _ALPHA = 1, 2, 4
# for C4's sentence walk in C (sent_steps): one of the sentencizer's marks; every character Unicode punctuation
_SENT_MARK, _ALL_PUNCT = 8, 16
_SENT_MARKS = frozenset(tk._SENT_PUNCT_CHARS)
_M64 = (1 << 64) - 1
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)


def _grown(a, n: int):
    """``a``, or a zero-padded copy of it with room for at least ``n`` entries (doubling)."""
    import numpy as np

    if n <= len(a):
        return a
    b = np.zeros(max(n, 2 * len(a)), dtype=a.dtype)
    b[:len(a)] = a
    return b


# ctypes releases the GIL during a call: the C chunk table is changed under this lock, so that threads sharing
# the process's table can at worst compute a document's ids twice (as on the pure path), never corrupt it
_CTAB_LOCK = threading.Lock()
# And one document at a time through the whole token table: _VOCAB is shared by every step of this module in the
# process, and a document's ids index its arrays, which another document's new chunks grow and a reset replaces.
# Threads calling these steps at once (a user's threads, one step object each) got wrong counts and numpy errors
# on mismatched shapes on the pure path, and without _CTAB_LOCK glibc aborted ("double free or corruption") with
# the C table. The executors run one document at a time per process, so the lock is never contended there.
# Reentrant: a step's reject calls its own signals.
_VOCAB_LOCK = threading.RLock()


def _one_at_a_time(method):
    @wraps(method)
    def locked(*args, **kwargs):
        with _VOCAB_LOCK:
            return method(*args, **kwargs)

    return locked


_GENERATIONS = iter(range(1 << 62))  # each table gets a new number: a document's memoised ids name theirs


class _Vocab:
    """Every distinct token gets an id once per process, with what the filters ask of it: its length and its
    symbol and alphabetic flags; every distinct whitespace chunk gets a chunk id and the ids of its tokens (spaCy's
    split, variant "datatrove"), kept in flat arrays. A document's id array is then one C-level dict lookup per
    chunk and a numpy gather, with no per-token Python work (see _spacy_ids). The arrays grow by doubling, so a
    long run with a growing vocabulary pays amortised O(1) per new token or chunk.

    Where winnow's compiled kernels are built, the chunk table is theirs (chunktab in _native/kernels.c: a page's
    chunks split and looked up in C, only its new chunks handed back to be tokenized here); ``chunks`` then stays
    empty. The ids are the same either way (0, 1, ... in the order chunks were first entered)."""

    def __init__(self) -> None:
        import numpy as np

        lib = _native.kernels()
        with _CTAB_LOCK:
            old = getattr(self, "_ctab", None)
            # forgotten before it is freed: a budget stop can land just after the free (inside _reset_if_huge), and
            # the runner's reset (winnow.step.after_interrupt) then freed the same table again
            self._ctab = None
            if old:
                self._lib.chunktab_free(old)
            self._lib = lib
            # None (the dict below is the table) without the library, or if C could not allocate its table
            self._ctab = lib.chunktab_new(_ws_table(), len(_ws_table())) if lib is not None else None
        self.ids: dict[str, int] = {}
        self.strs: list[str] = []  # id -> token
        self.chars = 0  # characters held by the token table (bounded by _reset_if_huge)
        self.chunks: dict[str, int] = {}  # whitespace chunk -> chunk id
        self.generation = next(_GENERATIONS)
        cap = 1 << 16
        self._len = np.zeros(cap, dtype=np.int64)
        self._flags = np.zeros(cap, dtype=np.int8)
        # chunk id -> its tokens' ids: _flat[_cstart[c]:_cstart[c] + _ccount[c]]
        self._cstart = np.zeros(cap, dtype=np.int64)
        self._ccount = np.zeros(cap, dtype=np.int64)
        # chunk id -> the sentencizer's steps over its tokens, packed (see _c4_sentences); -1 until first needed
        self._csent = np.full(cap, -1, dtype=np.int64)
        self._flat = np.zeros(2 * cap, dtype=np.int64)
        self.nflat = 0
        self._pending: list[tuple[int, int, int]] = []  # new tokens (id, length, flags), written in _flush
        self._pending_chunks: list[tuple[int, ...]] = []  # token ids of the chunks entered since the last _flush

    def __del__(self) -> None:
        if getattr(self, "_ctab", None):
            self._lib.chunktab_free(self._ctab)
            self._ctab = None

    @property
    def nchunks(self) -> int:
        """Chunks in the chunk table (the C one where built, else ``chunks``)."""
        return self._lib.chunktab_size(self._ctab) if self._ctab else len(self.chunks)

    @property
    def arrays(self):
        return self._len, self._flags

    def add(self, w: str) -> int:
        i = len(self.ids)
        self.ids[w] = i
        self.strs.append(w)
        self.chars += len(w)
        if w.isalpha():  # no letter is in datatrove's symbol sets, nor Unicode punctuation (categories L* vs P*)
            f = _NONSYM_NOW | _NONSYM_2024 | _ALPHA
        else:
            chars = set(w)
            f = ((_NONSYM_NOW if not chars <= _PUNCT_NOW else 0) | (_NONSYM_2024 if not chars <= _PUNCT_2024 else 0)
                 | (_ALPHA if any(ch.isalpha() for ch in chars) else 0) | (_ALL_PUNCT if tk._is_punct(w) else 0))
        if w in _SENT_MARKS:
            f |= _SENT_MARK
        self._pending.append((i, len(w), f))
        return i

    def _flush(self) -> None:
        import numpy as np

        pend = self._pending
        if pend:
            self._len = _grown(self._len, pend[-1][0] + 1)
            self._flags = _grown(self._flags, len(self._len))
            idx, lens, flags = zip(*pend)
            idx = np.array(idx, dtype=np.int64)
            self._len[idx] = lens
            self._flags[idx] = flags
            pend.clear()
        new = self._pending_chunks
        if new:
            first = self.nchunks - len(new)
            self._put_chunks(first, new)
            self.nflat += sum(map(len, new))
            new.clear()

    def _put_chunks(self, first: int, tids: list[tuple[int, ...]]) -> None:
        """Write the token ids of chunks ``first``, ``first + 1``, ... at the end of the flat array (without
        claiming the space: ``_flush`` does, ``_spacy_ids`` borrows it for a document's uncached long chunks)."""
        import numpy as np

        counts = np.fromiter(map(len, tids), dtype=np.int64, count=len(tids))
        total = int(counts.sum())
        self._put_flat(first, counts, np.fromiter(chain.from_iterable(tids), dtype=np.int64, count=total))

    def _put_flat(self, first: int, counts, flat) -> None:
        """``_put_chunks`` given each chunk's token count and all their token ids in one array."""
        import numpy as np

        total = len(flat)
        end = first + len(counts)
        self._cstart = _grown(self._cstart, end)
        self._ccount = _grown(self._ccount, len(self._cstart))
        if len(self._csent) < len(self._cstart):
            self._csent = np.concatenate([self._csent, np.full(len(self._cstart) - len(self._csent), -1)])
        self._csent[first:end] = -1
        self._flat = _grown(self._flat, self.nflat + total)
        self._cstart[first:end] = self.nflat + np.cumsum(counts) - counts
        self._ccount[first:end] = counts
        self._flat[self.nflat:self.nflat + total] = flat

    def chunk_ids(self, chunks) -> dict[str, tuple[int, ...]]:
        """Enter the chunks of ``chunks`` that are not in ``self.chunks`` (tokenizing each once per process);
        returns the ids of those too long to keep (like the tokenizer's own cache, long chunks are not kept: they
        rarely repeat and would let a hostile input fill memory)."""
        ids, tokenize = self.ids, tk.spacy_english().chunk
        cmap = self.chunks
        pend = self._pending_chunks
        uncached: dict[str, tuple[int, ...]] = {}
        for c in chunks:
            if c not in cmap:
                toks = tokenize(c)
                tid = tuple([ids[t] if t in ids else self.add(t) for t in toks])
                if len(c) <= _CHUNK_MAX_CHARS:
                    cmap[c] = len(cmap)
                    pend.append(tid)
                else:
                    uncached[c] = tid
        self._flush()
        return uncached

    def enter(self, texts: list[str], firsts: list[int], nnew: int, at=None) -> None:
        """After the C table entered a page's new chunks (``texts[:nnew]``, ids in order) and found its distinct long
        chunks (``texts[nnew:]``, ids just past the table): tokenize each, in the order of their first occurrence
        (``firsts``) as ``chunk_ids`` does, and write their token ids (the long ones' without claiming the space).
        ``at``: (the page, its code points, the chunks' starts, their ends), for the compiled tokenizer."""
        import numpy as np

        k = len(texts)
        # entered ones and long ones are each in first-occurrence order already; interleave them only if both
        order = None if k == nnew or nnew == 0 else sorted(range(k), key=firsts.__getitem__)
        if at is None:
            toks = list(map(tk.spacy_english().chunk, texts if order is None else [texts[j] for j in order]))
            flat, counts = list(chain.from_iterable(toks)), list(map(len, toks))
        else:
            page, codes, a, b = at
            if order is not None:
                texts, a, b = [texts[j] for j in order], a[order], b[order]
            flat, counts = tk.spacy_english().tokens_at(page, texts, codes, a, b)
        get = self.ids.get
        tid = list(map(get, flat))  # one C-level pass; new tokens entered below, in order, as chunk_ids enters them
        if None in tid:
            add = self.add
            for q, i in enumerate(tid):
                if i is None:
                    i = get(flat[q])  # a token new to the table that an earlier chunk of this page entered
                    tid[q] = add(flat[q]) if i is None else i
        self._flush()
        counts = np.array(counts, dtype=np.int64)
        ids = np.array(tid, dtype=np.int64)
        if order is not None:  # back to id order: chunk j's run of ids is at tokenizing position pos[j]
            pos = np.empty(k, dtype=np.int64)
            pos[np.array(order, dtype=np.int64)] = np.arange(k, dtype=np.int64)
            starts = (np.cumsum(counts) - counts)[pos]
            counts = counts[pos]
            ends = np.cumsum(counts)
            ids = ids[np.repeat(starts - (ends - counts), counts) + np.arange(len(ids), dtype=np.int64)]
        split = int(counts[:nnew].sum())
        if nnew:
            self._put_flat(self.nchunks - nnew, counts[:nnew], ids[:split])
            self.nflat += split
        if k > nnew:  # the long ones' ids just past the table, their tokens past the claimed flat array
            self._put_flat(self.nchunks, counts[nnew:], ids[split:])

    def expand(self, cids):
        """The token ids of a document given its chunk ids: each chunk's run of the flat array, in order."""
        import numpy as np

        counts = self._ccount[cids]
        starts = self._cstart[cids]
        total = int(counts.sum())
        if total == len(cids) and (len(cids) == 0 or int(counts.min()) == 1):  # every chunk one token
            return self._flat[starts]
        ends = np.cumsum(counts)
        return self._flat[np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)]

    def id_array(self, words: list[str]):
        import numpy as np

        get = self.ids.get
        out = [get(w) for w in words]
        if None in out:
            out = [i if i is not None else (get(w) if w in self.ids else self.add(w)) for i, w in zip(out, words)]
            self._flush()
        return np.array(out, dtype=np.int64)


# The chunk cache follows the tokenizer's own bounds (entries, and no chunk longer than it keeps); about 100
# bytes an entry (dict slot, key, a few flat-array cells), so at most ~50 MB; the e2e corpus (1,209 long English
# pages) uses 185k entries.
_CHUNK_LIMIT = tk._CACHE_LIMIT
_CHUNK_MAX_CHARS = tk._CACHE_MAX_CHUNK
# The C table keeps its keys as 4-byte code points (~70 bytes an entry besides): reset past 32M code points (128
# MB), a bound a dict of Python strings does not need (the entry and length bounds above keep it under ~200 MB);
# the e2e corpus's 185k chunks hold ~1.5M code points.
_CHUNK_CHARS_LIMIT = 32_000_000
_WS_TABLE: list[bytes] = []


def _ws_table() -> bytes:
    """Code point -> whether Python's str.split() splits on it, for the code points up to U+3000 (none above is
    whitespace; tests/test_native.py checks every code point), as the C chunk split reads it."""
    if not _WS_TABLE:
        _WS_TABLE.append(bytes(chr(i).isspace() for i in range(0x3001)))
    return _WS_TABLE[0]


_FLAT_LIMIT = 16 * _CHUNK_LIMIT  # token ids held for cached chunks (1.2 per chunk on web text; 64 MB at most)
_VOCAB = _Vocab()


@after_interrupt
def _fresh_table() -> None:
    # A step stopped inside the table's update (winnow.step.after_interrupt) leaves chunks entered without their
    # token ids, or ids without their lengths: start it afresh (its C table is only ever changed inside one C call,
    # which a Python-level interrupt cannot split, so freeing it in __init__ is safe). The generation changes, so
    # no document's memo reads the old ids.
    with _VOCAB_LOCK:  # (__init__ takes _CTAB_LOCK itself)
        _VOCAB.__init__()


def _after_fork_in_child() -> None:
    # forked while another thread held the lock (inside one of these steps): the lock would stay held in the child
    # and the table may be half-updated there; a fresh lock and a fresh table (the old C table is not freed: its
    # pointers may be half-written)
    global _CTAB_LOCK, _VOCAB_LOCK
    held = not _VOCAB_LOCK.acquire(blocking=False) or not _CTAB_LOCK.acquire(blocking=False)
    _CTAB_LOCK, _VOCAB_LOCK = threading.Lock(), threading.RLock()
    if held:
        _VOCAB._ctab = None
        _VOCAB.__init__()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_POW: dict[str, object] = {}


def _powers(n: int):
    """BASE**k and BASE_INV**k modulo 2**64 for k < n (grown on demand, by doubling: numpy's uint64 products wrap
    modulo 2**64, so each block is the previous one times BASE**k exactly; tests compare with pow)."""
    import numpy as np

    have = _POW.get("n", 0)
    if have < n:
        size = max(n, 2 * have, 1 << 14)
        fwd = np.empty(size, dtype=np.uint64)
        inv = np.empty(size, dtype=np.uint64)
        fwd[0] = inv[0] = 1
        k = 1
        while k < size:
            step = min(k, size - k)
            np.multiply(fwd[:step], np.uint64(pow(_BASE, k, 1 << 64)), out=fwd[k:k + step])
            np.multiply(inv[:step], np.uint64(pow(_BASE_INV, k, 1 << 64)), out=inv[k:k + step])
            k += step
        _POW.update(n=size, fwd=fwd, inv=inv)
    return _POW["fwd"], _POW["inv"]


def _doc_ids(doc: Document, variant: str, joined: bool = False):
    """The document's token id array (the reference's words for ``variant``), computed once, shared by the chain.
    ``joined``: where the C chunk split runs now, it also leaves the chunks' joined code points in the memo."""
    memo = segments(doc)._memo
    if variant == "fineweb-2024-05":
        # the ids name one table: one started afresh since (too large, or a step stopped midway: the runner's
        # reset_after_interrupt) between two steps of a window gave gopher_quality another table's lengths and flags
        got = memo.get("ids.nltk_en")
        if got is not None and got[0] == _VOCAB.generation:
            return got[1]
        ids = _fresh_ids(_words(doc, variant))
        memo["ids.nltk_en"] = (_VOCAB.generation, ids)
        return ids
    cids = _doc_cids(doc, joined)
    if memo.get("ids.spacy_en.cids") is not cids:
        memo["ids.spacy_en"] = _VOCAB.expand(cids)
        memo["ids.spacy_en.cids"] = cids
    return memo["ids.spacy_en"]


def _doc_cids(doc: Document, joined: bool = False):
    """The chunk ids of the document's whitespace chunks, computed once and shared by the chain (gopher_repetition
    computes them, gopher_quality, c4_quality and fineweb_quality read them). They name one table and, when the
    document has uncached long chunks, the table at one size: if a long run reset the table in between (or
    documents were batched between the steps), they are computed again rather than read wrong."""
    memo = segments(doc)._memo
    got = memo.get("cids.spacy_en")
    if got is not None and got[0] == _VOCAB.generation and (not got[1] or got[2] == _VOCAB.nchunks):
        return got[3]
    _reset_if_huge()
    cids = _chunk_cids(doc.text, memo, joined)
    size = _VOCAB.nchunks
    long = bool(len(cids)) and int(cids.max()) >= size
    memo["cids.spacy_en"] = (_VOCAB.generation, long, size, cids)
    return cids


def _doc_words(ids) -> list[str]:
    """The token strings of an id array (only the rare paths need them)."""
    strs = _VOCAB.strs
    return [strs[i] for i in ids.tolist()]


def _reset_if_huge() -> None:
    # Bound memory on endless vocabularies (numbers, URLs). Safe here: documents pass the chain one at a time and
    # a document's ids are computed before any step of the chain reads them.
    # A table is also started afresh when the kernels came or went (WINNOW_PURE_PYTHON, tests): its chunk table
    # is the C one only where they are used.
    v = _VOCAB
    if (len(v.ids) > 2_000_000 or v.nchunks > _CHUNK_LIMIT or v.chars > 64_000_000 or v.nflat > _FLAT_LIMIT
            or _native.kernels() is not v._lib or (v._ctab and v._lib.chunktab_chars(v._ctab) > _CHUNK_CHARS_LIMIT)):
        v.__init__()


def _fresh_ids(words: list[str]):
    _reset_if_huge()
    return _VOCAB.id_array(words)


def _chunk_cids(text: str, memo: dict | None = None, joined: bool = False):
    """The chunk ids of the whitespace chunks of ``text``, entering new ones; the document's uncached long chunks
    get ids just past the table, their token ids written past the flat array's end (valid until the next entry).
    With the C table, ``memo`` (a document's) also gets the chunks' bounds (for C4) and, if ``joined``, their
    joined code points (for the duplicate n-grams, which take them out: 4 bytes a character)."""
    import numpy as np

    if _VOCAB._ctab:
        return _chunk_cids_c(text, memo, joined)
    chunks = text.split()
    cmap = _VOCAB.chunks
    try:
        return np.fromiter(map(cmap.__getitem__, chunks), dtype=np.int64, count=len(chunks))
    except KeyError:
        # new chunks, entered in document order (ids never depend on set order, so never on the hash seed)
        long = _VOCAB.chunk_ids([c for c in dict.fromkeys(chunks) if c not in cmap])
        if not long:
            return np.fromiter(map(cmap.__getitem__, chunks), dtype=np.int64, count=len(chunks))
        base = len(cmap)
        local = {c: base + j for j, c in enumerate(long)}
        _VOCAB._put_chunks(base, list(long.values()))
        return np.fromiter((local[c] if c in local else cmap[c] for c in chunks), dtype=np.int64, count=len(chunks))


def _chunk_cids_c(text: str, memo: dict | None, want_joined: bool = False):
    """_chunk_cids by the C table (chunktab_split: str.split()'s chunks and their ids in one pass; Python
    tokenizes only the page's new chunks)."""
    import numpy as np

    v = _VOCAB
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(codes)
    cap = n // 2 + 1
    cids, starts, ends, fresh = (np.empty(cap, dtype=np.int64) for _ in range(4))
    one_space = np.empty(cap, dtype=np.uint8)
    counts = np.zeros(2, dtype=np.int64)
    joined = np.empty(n, dtype=np.uint32) if memo is not None and want_joined else None
    with _CTAB_LOCK:
        m = v._lib.chunktab_split(v._ctab, codes.ctypes.data, n, _CHUNK_MAX_CHARS, cap, cids.ctypes.data,
                                  starts.ctypes.data, ends.ctypes.data, one_space.ctypes.data, fresh.ctypes.data,
                                  counts.ctypes.data, None if joined is None else joined.ctypes.data)
    if m < 0:
        v.__init__()  # it may hold some of the page's chunks without their tokens: start afresh
        raise MemoryError("gopher_repetition's chunk table: out of memory")
    nnew, nlong = int(counts[0]), int(counts[1])
    starts, ends = starts[:m], ends[:m]
    if nnew or nlong:
        firsts = fresh[:nnew + nlong]
        a, b = starts[firsts], ends[firsts]
        v.enter([text[x:y] for x, y in zip(a.tolist(), b.tolist())], firsts.tolist(), nnew, (text, codes, a, b))
    if memo is not None:
        memo["chunks.bounds"] = (starts.copy(), one_space[:m].astype(bool))
        if joined is not None:
            memo["chunks.joined"] = joined[:int((ends - starts).sum())]
    return cids[:m].copy()


def _spacy_count(doc: Document) -> int:
    """len(datatrove's split_into_words(text)): the ids' length when a step already built them, else summed from
    the chunks' token counts without building the array (fineweb_quality, after C4's edit, needs only the count)."""
    seg = segments(doc)
    ids = seg._memo.get("ids.spacy_en")
    if ids is not None:
        return len(ids)

    def count(text: str) -> int:
        _reset_if_huge()
        return int(_VOCAB._ccount[_chunk_cids(text)].sum())

    return seg.memo("nwords.spacy_en", count)


def _spacy_ids(text: str):
    """datatrove's split_into_words(text) as token ids: spaCy tokenizes each whitespace chunk on its own, so the
    document's ids are its chunks' cached ids concatenated (bench/e2e.py: this replaced a per-token dict lookup and
    list building that were a quarter of the FineWeb chain's time on long pages). Chunk ids and one gather cost
    the same as the chunks' id tuples did (0.7-0.9 s warm on the 1,209 e2e pages either way: the cost is the
    lookup of ~2.2M fresh chunk strings in a table of ~10^5; a per-document dict of distinct chunks in front of
    it was slower, 1.06 s); they keep the token ids in flat arrays, bounded with the table."""
    _reset_if_huge()
    return _VOCAB.expand(_chunk_cids(text))


# --- Gopher quality --------------------------------------------------------------------------------------------
@register("gopher_quality")
@dataclass
class GopherQuality(_NeedsNltkForOldVariants, Filter):
    """Gopher's quality rules (Rae et al. 2021) as datatrove applies them: word counts and lengths, symbols, bullets, stop words."""

    variant: Variant = "datatrove"
    min_words: int | None = 50
    max_words: int | None = 100_000
    min_mean_word_length: float | None = 3
    max_mean_word_length: float | None = 10
    max_hash_word_ratio: float | None = 0.1  # datatrove's max_symbol_word_ratio, for "#"
    max_ellipsis_word_ratio: float | None = 0.1  # datatrove's max_symbol_word_ratio, for "..." and "…"
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    min_alpha_words_ratio: float | None = 0.8  # datatrove's max_non_alpha_words_ratio (a minimum, despite the name)
    min_stop_words: int | None = 2
    stop_words: tuple[str, ...] = STOP_WORDS

    REASONS = ("too_few_words", "too_many_words", "short_mean_word_length", "long_mean_word_length",
               "hash_word_ratio", "ellipsis_word_ratio", "bullet_lines_ratio", "ellipsis_lines_ratio",
               "alpha_words_ratio", "too_few_stop_words")
    FRACTIONS = ("max_hash_word_ratio", "max_ellipsis_word_ratio", "max_bullet_lines_ratio",
                 "max_ellipsis_lines_ratio", "min_alpha_words_ratio")
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "min_words": ("gopher_quality.words", "<", "too_few_words"),
        "max_words": ("gopher_quality.words", ">", "too_many_words"),
        "min_mean_word_length": ("gopher_quality.mean_word_length", "<", "short_mean_word_length"),
        "max_mean_word_length": ("gopher_quality.mean_word_length", ">", "long_mean_word_length"),
        "max_hash_word_ratio": ("gopher_quality.hash_word_ratio", ">", "hash_word_ratio"),
        "max_ellipsis_word_ratio": ("gopher_quality.ellipsis_word_ratio", ">", "ellipsis_word_ratio"),
        "max_bullet_lines_ratio": ("gopher_quality.bullet_lines_ratio", ">", "bullet_lines_ratio"),
        "max_ellipsis_lines_ratio": ("gopher_quality.ellipsis_lines_ratio", ">", "ellipsis_lines_ratio"),
        "min_alpha_words_ratio": ("gopher_quality.alpha_words_ratio", "<", "alpha_words_ratio"),
        "min_stop_words": ("gopher_quality.stop_words", "<", "too_few_stop_words"),
    }

    def setup(self, ctx: Context) -> None:
        _check_variant(self, ("datatrove", "fineweb-2024-05"))
        if self.variant == "fineweb-2024-05":
            _nltk()

    @_one_at_a_time
    def signals(self, doc: Document) -> dict[str, float]:
        import numpy as np

        text = doc.text
        ids = _doc_ids(doc, self.variant)
        n_tokens = len(ids)
        lens, flags = _VOCAB.arrays
        f = flags[ids] if n_tokens else flags[:0]
        nonsym = (f & (_NONSYM_2024 if self.variant == "fineweb-2024-05" else _NONSYM_NOW)) != 0
        n_words = int(nonsym.sum())
        chars = int(lens[ids][nonsym].sum()) if n_words else 0
        alpha = int(((f & _ALPHA) != 0).sum())
        lines = segments(doc).memo("lines.splitlines", str.splitlines)
        n_lines = len(lines)
        bullets = ellipsis_lines = 0
        for ln in lines:
            s = ln.lstrip()
            if s.startswith("•") or s.startswith("-"):
                bullets += 1
            s = ln.rstrip()
            if s.endswith("...") or s.endswith("…"):
                ellipsis_lines += 1
        stop = set(self.stop_words)
        if self.variant == "fineweb-2024-05":
            n_stop = sum(1 for w in _words(doc, self.variant) if w in stop)  # FineWeb counted occurrences
        else:  # distinct stop words present: a mask over the token table picks them out in one gather
            mask = _stop_mask(tuple(sorted(stop)))
            hits = ids[mask[ids]] if n_tokens else ids
            n_stop = len(set(hits.tolist())) if len(hits) else 0
        return {
            "words": n_words,
            "mean_word_length": chars / n_words if n_words else 0.0,
            "hash_word_ratio": text.count("#") / n_tokens if n_tokens else 0.0,
            "ellipsis_word_ratio": (text.count("...") + text.count("…")) / n_tokens if n_tokens else 0.0,
            "bullet_lines_ratio": bullets / n_lines if n_lines else 0.0,
            "ellipsis_lines_ratio": ellipsis_lines / n_lines if n_lines else 0.0,
            "alpha_words_ratio": alpha / n_tokens if n_tokens else 0.0,
            "stop_words": n_stop,
        }

    @_one_at_a_time
    def reject(self, doc: Document) -> Reject | None:
        sig = self.signals(doc)
        for key, value in sig.items():
            doc.attributes[f"gopher_quality.{key}"] = value
        return _first_failure(self, sig, "gopher_quality.")


_STOP_MASKS: dict[tuple[str, ...], tuple[object, int, object]] = {}


def _stop_mask(stop: tuple[str, ...]):
    """A boolean array over the token table marking the ids of ``stop``; rebuilt when the table grew or was reset."""
    import numpy as np

    lens = _VOCAB.arrays[0]
    got = _STOP_MASKS.get(stop)
    if got is not None and got[0] is _VOCAB.ids and got[1] == len(_VOCAB.ids) and len(got[2]) == len(lens):
        return got[2]
    mask = np.zeros(len(lens), dtype=bool)
    known = [i for i in map(_VOCAB.ids.get, stop) if i is not None]
    mask[known] = True
    _STOP_MASKS[stop] = (_VOCAB.ids, len(_VOCAB.ids), mask)
    return mask


def _first_failure(step, sig: dict[str, float], prefix: str) -> Reject | None:
    """The first rule of ``step.THRESHOLDS`` (declaration order = the reference's order) that the signals fail."""
    for param, (attr, op, reason) in step.THRESHOLDS.items():
        thr = getattr(step, param)
        if not thr:  # None (or 0, like datatrove's falsy thresholds) switches the rule off
            continue
        v = sig[attr[len(prefix):]]
        if (v < thr if op == "<" else v > thr if op == ">" else v <= thr if op == "<=" else v >= thr):
            return Reject(reason, v, thr)
    return None


# --- Gopher repetition -----------------------------------------------------------------------------------------
def _dup_count_chars(items: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    n = chars = 0
    for x in items:
        if x in seen:
            n += 1
            chars += len(x)
        else:
            seen.add(x)
    return n, chars


def _top_ngram_chars(words: list[str], n: int) -> int:
    """len(" ".join(g)) * count of the most frequent n-gram, the first seen winning ties (Counter.most_common)."""
    if len(words) < n:
        return 0
    counts = Counter(zip(*[words[i:len(words) - n + 1 + i] for i in range(n)]))
    best, best_c = None, 0
    for g, c in counts.items():  # insertion order = first occurrence
        if c > best_c:
            best, best_c = g, c
    return (sum(map(len, best)) + n - 1) * best_c


def _top_ngrams_np(ids, cum_len, ns=(2, 3, 4)) -> dict[int, int]:
    """_top_ngram_chars for several n at once on token ids (" ".join keeps tokens apart, so ids are exact).

    An n-gram can repeat only where its (n-1)-gram prefix repeats, so after the full count of 2-grams the longer
    n-grams are counted only at the positions whose shorter prefix occurs twice or more (usually a small part of a
    page), keyed by the prefix's group and the next token (no re-sort of the whole text per n); where nothing
    repeats, every count is 1 and the first n-gram wins the tie, as in Counter.most_common. ``{}`` when the keys
    would not fit in 64 bits (the caller then counts in Python)."""
    import numpy as np

    out = {}
    m = len(ids)
    if m == 0:
        return {n: 0 for n in ns}
    v = int(ids.max()) + 1
    pos = grp = None  # positions that may start a repeated n-gram, and their (n-1)-gram's group
    prev_n = None
    for n in sorted(ns):
        if m < n:
            out[n] = 0
            continue
        k = m - n + 1
        if pos is None or prev_n != n - 1:
            if v ** n >= 1 << 62:
                return {}
            p = np.arange(k)
            key = ids[:k].copy()
            for j in range(1, n):
                key = key * v + ids[j:j + k]
        else:
            keep = pos < k
            p = pos[keep]
            if m * v >= 1 << 62:
                return {}
            key = grp[keep] * v + ids[p + (n - 1)]
        c, i = 1, 0
        if len(p):
            _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
            inverse = inverse.ravel()
            top = int(counts.max())
            if top > 1:
                c, i = top, int(p[first[counts == top]].min())
            rep = counts[inverse] >= 2
            pos, grp = p[rep], inverse[rep].astype(np.int64)
        else:
            pos, grp = p, p
        prev_n = n
        out[n] = (int(cum_len[i + n] - cum_len[i]) + n - 1) * c
    return out


def _dup_ngram_chars(concat: str, offsets: list[int], n: int) -> int:
    """datatrove's scan: n-grams compared as words joined without spaces; a repeat adds its characters and skips n."""
    keys = [concat[a:b] for a, b in zip(offsets, offsets[n:])]
    seen: set[str] = set()
    i, m, chars = 0, len(keys), 0
    while i < m:
        k = keys[i]
        if k in seen:
            chars += len(k)
            i += n
        else:
            seen.add(k)
            i += 1
    return chars


# Candidate screen of _dup_ngrams_np: the first _SCREEN_CHARS characters after each token boundary. Tuned on the
# 1,209 English e2e pages (share of positions left as candidates, CPU of the function): 8 chars 29% (0.72 s),
# 12 chars 17% (0.61 s), 16 chars 24% (0.66 s: more 5-grams are shorter than the screen), 24 chars 69% (0.96 s).
_SCREEN_CHARS = 12


def _dup_ngrams_np(ids, cum_len, ns=range(5, 11), text: str | None = None) -> dict[int, int]:
    """_dup_ngram_chars for n = 5..10 in about one pass over the text.

    The n-grams are compared as their tokens joined without spaces, so they are substrings of the joined text S
    that start and end at token boundaries, and a repeated n-gram need not have a repeated (n-1)-gram prefix
    ("ab c d e f gh" and "a b c d e fgh"). Two equal such substrings of length >= C also agree on the C
    characters after their start; so one sort of the polynomial hashes of S[start:start + C] at every boundary,
    plus the boundaries whose shortest n-gram is under C characters, gives every position that can start a
    repeated n-gram for any n. Each n then hashes and sorts only those candidates (a few percent of a page) and
    walks the ones whose hash repeats in datatrove's order; a repeat is confirmed on the strings before it counts
    (a hash collision falls back to the exact scan)."""
    import numpy as np

    m = len(ids)
    out = {n: 0 for n in ns}
    ns = sorted(n for n in ns if m >= n)
    if not ns:
        return out
    total = int(cum_len[-1])
    concat = _joined_tokens(ids, total, text)
    fwd, inv = _powers(total + 1)
    # g[i]: sum of code point * BASE_INV**j for j < i; (g[b] - g[a]) * BASE**a hashes S[a:b] wherever it starts
    g = np.zeros(total + 1, dtype=np.uint64)
    codes = np.frombuffer(concat.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    np.cumsum(codes * inv[:total], out=g[1:])
    k = m - ns[0] + 1
    a = cum_len[:k]
    screen = (g[np.minimum(a + _SCREEN_CHARS, total)] - g[a]) * fwd[a]
    order = np.argsort(screen)
    same = np.flatnonzero(screen[order[1:]] == screen[order[:-1]])
    mark = (cum_len[ns[0]:ns[0] + k] - a) < _SCREEN_CHARS
    mark[order[same]] = True
    mark[order[same + 1]] = True
    cand = np.flatnonzero(mark)
    offs = None
    for n in ns:
        p = cand[:np.searchsorted(cand, m - n, side="right")]
        if len(p) < 2:
            continue
        s, e = cum_len[p], cum_len[p + n]
        h = (g[e] - g[s]) * fwd[s]
        h ^= (e - s).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # the length too
        o = np.argsort(h)
        same = np.flatnonzero(h[o[1:]] == h[o[:-1]])
        if not len(same):
            continue
        rep = np.zeros(len(p), dtype=bool)
        rep[o[same]] = True
        rep[o[same + 1]] = True
        # The walk visits every position except the n-1 after each repeat; a key seen once in the whole document
        # can never repeat, so only positions whose key occurs twice or more need looking at.
        sel = np.flatnonzero(rep)
        if offs is None:
            offs = cum_len.tolist()
        seen: dict[int, int] = {}
        chars = 0
        nxt = 0
        for q, key in zip(p[sel].tolist(), h[sel].tolist()):
            if q < nxt:
                continue
            j = seen.get(key)
            if j is None:
                seen[key] = q
                continue
            sub = concat[offs[q]:offs[q + n]]
            if sub != concat[offs[j]:offs[j + n]]:  # a hash collision: do it the slow, certain way
                chars = _dup_ngram_chars(concat, offs, n)
                break
            chars += len(sub)
            nxt = q + n
        out[n] = chars
    return out


def _top_ngrams_c(lib, ids, cum_len, ns=(2, 3, 4)) -> dict[int, int] | None:
    """_top_ngrams_np by winnow's compiled kernel (ngram_top: one hash-table pass per n; the same integers), or
    None when it ran out of memory."""
    import numpy as np

    ids = np.ascontiguousarray(ids, dtype=np.int64)
    cum = np.ascontiguousarray(cum_len, dtype=np.int64)
    out = {}
    for n in ns:
        r = lib.ngram_top(ids.ctypes.data, len(ids), n, cum.ctypes.data)
        if r < 0:
            return None
        out[n] = int(r)
    return out


def _joined_tokens(ids, total: int, text: str | None) -> str:
    """The page's tokens joined without separators (total characters). spaCy's tokens of a chunk concatenate to
    the chunk (it refuses special cases that change the text), so the text's chunks joined are the tokens joined;
    other tokenizers' (NLTK changes quotes) are joined themselves."""
    concat = "".join(text.split()) if text is not None else ""
    return concat if len(concat) == total else "".join(_doc_words(ids))


def _dup_ngrams_c(lib, ids, cum_len, ns=range(5, 11), text: str | None = None, codes=None) -> dict[int, int] | None:
    """_dup_ngrams_np by winnow's compiled kernel (ngram_dup: datatrove's walk itself, over the joined text's code
    points with a hash table whose hits are compared exactly), or None when it ran out of memory. ``codes``: the
    text's chunks' code points joined, as the C chunk split left them (used when they are the tokens' length)."""
    import numpy as np

    m = len(ids)
    out = {n: 0 for n in ns}
    todo = sorted(n for n in ns if m >= n)
    if not todo:
        return out
    total = int(cum_len[-1])
    if codes is None or len(codes) != total:
        concat = _joined_tokens(ids, total, text)
        codes = np.frombuffer(concat.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes = np.ascontiguousarray(codes, dtype=np.uint32)
    cum = np.ascontiguousarray(cum_len, dtype=np.int64)
    lo, hi = todo[0], todo[-1]
    res = np.zeros(hi - lo + 1, dtype=np.int64)
    if lib.ngram_dup(codes.ctypes.data, total, cum.ctypes.data, m, lo, hi, res.ctypes.data) != 0:
        return None
    for n in todo:
        out[n] = int(res[n - lo])
    return out


def _dup_pieces_c(text: str):
    """((paragraphs, duplicates, their chars), (lines, duplicates, their chars)) of ``text`` by the compiled
    kernel (dup_pieces: the pieces of _PARAGRAPH_SPLIT.split(text.strip()) and _NEWLINE_RUNS.split(text), found
    and compared in C), or None without the C chunk table (its whitespace table strips) or memory."""
    import numpy as np

    _reset_if_huge()
    v = _VOCAB
    if not v._ctab:
        return None
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    paras, lines = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    if (v._lib.dup_pieces(v._ctab, codes.ctypes.data, len(codes), 2, 1, paras.ctypes.data)
            or v._lib.dup_pieces(v._ctab, codes.ctypes.data, len(codes), 1, 0, lines.ctypes.data)):
        return None
    return tuple(paras.tolist()), tuple(lines.tolist())


@register("gopher_repetition")
@dataclass
class GopherRepetition(_NeedsNltkForOldVariants, Filter):
    """Gopher's repetition rules: duplicate lines and paragraphs, top 2-4-grams, duplicate 5-10-grams (character fractions)."""

    variant: Variant = "datatrove"
    dup_para_frac: float | None = 0.3
    dup_para_char_frac: float | None = 0.2
    dup_line_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    top_2_gram_frac: float | None = 0.20
    top_3_gram_frac: float | None = 0.18
    top_4_gram_frac: float | None = 0.16
    dup_5_gram_frac: float | None = 0.15
    dup_6_gram_frac: float | None = 0.14
    dup_7_gram_frac: float | None = 0.13
    dup_8_gram_frac: float | None = 0.12
    dup_9_gram_frac: float | None = 0.11
    dup_10_gram_frac: float | None = 0.10

    REASONS = ("empty", "dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac",
               "top_2_gram", "top_3_gram", "top_4_gram", "duplicated_5_n_grams", "duplicated_6_n_grams",
               "duplicated_7_n_grams", "duplicated_8_n_grams", "duplicated_9_n_grams", "duplicated_10_n_grams")
    FRACTIONS = ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac", "top_2_gram_frac",
                 "top_3_gram_frac", "top_4_gram_frac", *(f"dup_{n}_gram_frac" for n in range(5, 11)))
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "dup_para_frac": ("gopher_repetition.dup_para_frac", ">", "dup_para_frac"),
        "dup_para_char_frac": ("gopher_repetition.dup_para_char_frac", ">", "dup_para_char_frac"),
        "dup_line_frac": ("gopher_repetition.dup_line_frac", ">", "dup_line_frac"),
        "dup_line_char_frac": ("gopher_repetition.dup_line_char_frac", ">", "dup_line_char_frac"),
        **{f"top_{n}_gram_frac": (f"gopher_repetition.top_{n}_gram_frac", ">", f"top_{n}_gram") for n in (2, 3, 4)},
        **{f"dup_{n}_gram_frac": (f"gopher_repetition.dup_{n}_gram_frac", ">", f"duplicated_{n}_n_grams")
           for n in range(5, 11)},
    }

    def setup(self, ctx: Context) -> None:
        _check_variant(self, ("datatrove", "fineweb-2024-05"))
        if self.variant == "fineweb-2024-05":
            _nltk()

    @_one_at_a_time
    def signals(self, doc: Document) -> dict[str, float]:
        text = doc.text
        n_chars = len(text) or 1  # an empty text repeats nothing (datatrove divides by zero there)
        seg = segments(doc)
        import numpy as np

        pieces = _dup_pieces_c(text)  # the C table's split of the same pieces, where built
        if pieces is not None:
            (n_para, n_dup, dup_chars), lines_dup = pieces
        else:
            paras = seg.paragraphs
            n_para = len(paras)
            n_dup, dup_chars = _dup_count_chars(paras)
            lines = seg.memo("lines.newline_runs", _NEWLINE_RUNS.split)
            lines_dup = (len(lines), *_dup_count_chars(lines))
        sig = {"dup_para_frac": n_dup / n_para, "dup_para_char_frac": dup_chars / n_chars}
        n_lines, n_dup, dup_chars = lines_dup
        sig["dup_line_frac"] = n_dup / n_lines
        sig["dup_line_char_frac"] = dup_chars / n_chars

        ids = _doc_ids(doc, self.variant, joined=True)
        cum_len = np.zeros(len(ids) + 1, dtype=np.int64)
        if len(ids):
            np.cumsum(_VOCAB.arrays[0][ids], out=cum_len[1:])
        # winnow's compiled kernels where built (the same integers; ~10x less CPU for these two), else numpy
        lib = _native.kernels()
        top = (lib and _top_ngrams_c(lib, ids, cum_len)) or _top_ngrams_np(ids, cum_len) or {
            n: _top_ngram_chars(_doc_words(ids), n) for n in (2, 3, 4)}
        for n in (2, 3, 4):
            sig[f"top_{n}_gram_frac"] = top[n] / n_chars
        joined = text if self.variant == "datatrove" else None
        # the joined chunks' code points, left by the C chunk split of this text (spaCy's tokens of a chunk
        # concatenate to the chunk, so they are the tokens joined); taken out of the memo, it is needed once
        codes = seg._memo.pop("chunks.joined", None) if joined is not None else None
        dup = ((lib and _dup_ngrams_c(lib, ids, cum_len, text=joined, codes=codes))
               or _dup_ngrams_np(ids, cum_len, text=joined))
        for n in range(5, 11):
            sig[f"dup_{n}_gram_frac"] = dup[n] / n_chars
        return sig

    @_one_at_a_time
    def reject(self, doc: Document) -> Reject | None:
        if not doc.text and self.variant == "datatrove":
            # datatrove (0.10.x) drops the empty text here; FineWeb's 2024 code had no such check (it divided by
            # zero), so that variant keeps scoring it as a text that repeats nothing. Whitespace-only texts are
            # not "empty" to the reference: they are scored (a lone "\n" is a duplicated line).
            return Reject("empty", 0, None)
        sig = self.signals(doc)
        for key, value in sig.items():
            doc.attributes[f"gopher_repetition.{key}"] = value
        return _first_failure(self, sig, "gopher_repetition.")


# --- FineWeb quality -------------------------------------------------------------------------------------------
@register("fineweb_quality")
@dataclass
class FineWebQuality(_NeedsNltkForOldVariants, Filter):
    """FineWeb's own line rules: terminal punctuation, short lines, duplicated line characters, newline-to-word ratio."""

    variant: Variant = "datatrove"
    line_punct_thr: float | None = 0.12
    line_punct_exclude_zero: bool = False
    short_line_thr: float | None = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float | None = 0.01  # the blog post says 0.1; both code versions use 0.01
    new_line_ratio: float | None = 0.3

    REASONS = ("empty", "line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio")
    FRACTIONS = ("line_punct_thr", "short_line_thr", "char_duplicates_ratio")  # new_line_ratio may exceed 1
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "line_punct_thr": ("fineweb_quality.line_punct_ratio", "<", "line_punct_ratio"),
        "short_line_thr": ("fineweb_quality.short_line_ratio", ">", "short_line_ratio"),
        "char_duplicates_ratio": ("fineweb_quality.char_dup_ratio", ">", "char_dup_ratio"),
        "new_line_ratio": ("fineweb_quality.list_ratio", ">", "list_ratio"),
    }
    REPLAYABLE = ("line_punct_exclude_zero", *THRESHOLDS)  # the boolean too: whatif replays the whole rule
    REPLAY_REASONS = ("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio")

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        # reject's checks in its order, on the ratios it recorded (the old variant compares with <= and >=); a
        # ratio never measured (an empty text) or stored as null (an infinite one) leaves the verdict open only
        # when that check is reached
        old = params.get("variant") == "fineweb-2024-05"
        checks = (("line_punct_thr", "line_punct_ratio", lambda v, t: ((v <= t) if old else (v < t)) and not (
                      v == 0 and params.get("line_punct_exclude_zero"))),
                  ("short_line_thr", "short_line_ratio", lambda v, t: (v >= t) if old else (v > t)),
                  ("char_duplicates_ratio", "char_dup_ratio", lambda v, t: (v >= t) if old else (v > t)),
                  ("new_line_ratio", "list_ratio", lambda v, t: v > t))
        for param, key, fails in checks:
            t = params.get(param)
            if t is None:
                continue
            v = attrs.get(f"fineweb_quality.{key}")
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return False, None, None, None
            if fails(v, t):
                return True, key, v, t
        return True, None, None, None

    def setup(self, ctx: Context) -> None:
        _check_variant(self, ("datatrove", "fineweb-2024-05"))
        if self.variant == "fineweb-2024-05":
            _nltk()

    @_one_at_a_time
    def reject(self, doc: Document) -> Reject | None:
        text = doc.text
        seg = segments(doc)
        all_lines = seg.lines
        lines = seg.memo("lines.nonblank", lambda t: [ln for ln in t.split("\n") if ln.strip()])
        a = doc.attributes
        old = self.variant == "fineweb-2024-05"
        if not lines and not old:  # FineWeb's code had no such check: a blank text failed the punctuation ratio
            return Reject("empty", 0, None)
        base = all_lines if old else lines  # FineWeb's code counted empty lines in both ratios
        stop = _TERMINAL_2024 if old else _TERMINAL_NOW
        punct = sum(1 for ln in base if ln.endswith(stop)) / len(base)
        short_len = self.short_line_length
        short = sum(1 for ln in base if len(ln) <= short_len) / len(base)
        dup = _dup_count_chars(lines)[1] / max(1, len(text) - text.count("\n"))
        n_words = len(_words(doc, self.variant)) if old else _spacy_count(doc)
        listr = text.count("\n") / n_words if n_words else float("inf")
        a["fineweb_quality.line_punct_ratio"] = punct
        a["fineweb_quality.short_line_ratio"] = short
        a["fineweb_quality.char_dup_ratio"] = dup
        a["fineweb_quality.list_ratio"] = listr
        t = self.line_punct_thr
        if t is not None and ((punct <= t) if old else (punct < t)) and not (punct == 0 and self.line_punct_exclude_zero):
            return Reject("line_punct_ratio", punct, t)
        t = self.short_line_thr
        if t is not None and ((short >= t) if old else (short > t)):
            return Reject("short_line_ratio", short, t)
        t = self.char_duplicates_ratio
        if t is not None and ((dup >= t) if old else (dup > t)):
            return Reject("char_dup_ratio", dup, t)
        t = self.new_line_ratio
        if t is not None and listr > t:
            return Reject("list_ratio", listr, t)
        return None


# --- C4 --------------------------------------------------------------------------------------------------------
_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
_POLICY_RX = re.compile("|".join(map(re.escape, _POLICY)))  # one search instead of six substring tests
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on ("\r\n" is one break)
_C4_DEFAULTS = {  # variant -> (end marks, min words per line, min sentences)
    "datatrove": ((".", "?", "!", '"', "'"), 3, 5),
    "fineweb-2024-05": ((".", "?", "!", '"', "'"), 3, 5),
    "c4-tfds": ((".", "?", "!", '"'), 5, 3),
}


@register("c4_quality")
@dataclass
class C4Quality(_NeedsNltkForOldVariants, Filter):
    """C4's cleaning (Raffel et al. 2020): drops lines without terminal punctuation, short, javascript or policy lines (recorded as edits), then pages with too few sentences, lorem ipsum or "{"."""

    variant: Literal["datatrove", "fineweb-2024-05", "c4-tfds"] = "datatrove"
    remove_citations: bool = True
    filter_no_terminal_punct: bool = True  # FineWeb ran this step with False
    min_num_sentences: int | None = None  # None: the variant's (5; c4-tfds 3); -1 switches the check off
    min_words_per_line: int | None = None  # None: the variant's (3; c4-tfds 5); -1 switches the check off
    max_word_length: int = 1000  # -1 switches the check off
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True

    REASONS = ("too_long_word", "no_terminal_punct", "too_few_words", "javascript", "policy", "citation",
               "whitespace", "lorem_ipsum", "curly_bracket", "too_few_sentences")
    THRESHOLDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "min_num_sentences": ("c4_quality.sentences", "<", "too_few_sentences"),
    }

    def setup(self, ctx: Context) -> None:
        _check_variant(self, tuple(_C4_DEFAULTS))
        if self.variant != "datatrove":
            _nltk()

    def _limits(self) -> tuple[tuple[str, ...], int, int]:
        ends, words, sents = _C4_DEFAULTS[self.variant]
        return (ends, words if self.min_words_per_line is None else self.min_words_per_line,
                sents if self.min_num_sentences is None else self.min_num_sentences)

    @_one_at_a_time
    def process(self, doc: Document) -> Document:
        nwords: list[int] = []
        verdict, spans, n_sent, kept = self._decide(doc.text, doc, nwords)
        doc.attributes["c4_quality.sentences"] = n_sent
        doc.attributes["c4_quality.lines_kept"] = kept
        if verdict is not None:
            doc.drop = Drop(self.name, verdict.reason, _f(verdict.value), _f(verdict.threshold))
            return doc
        doc.replace_spans(self.name, spans)
        if nwords:
            # the output's words are the kept lines' chunks' tokens, counted above: fineweb_quality reads them
            segments(doc)._memo["nwords.spacy_en"] = nwords[0]
        return doc

    @_one_at_a_time
    def reject(self, doc: Document) -> Reject | None:
        """The page verdict alone, without editing the text (``process`` applies the line removals)."""
        return self._decide(doc.text, doc)[0]

    def _decide(self, text: str, doc: Document | None = None, nwords: list[int] | None = None):
        ends, min_words, min_sents = self._limits()
        count = tk.datatrove_sentence_count if self.variant == "datatrove" else _nltk().sentence_count
        # datatrove's variant counts the sentences of the kept lines (those without a citation removed) together
        # at the end, from the document's chunk ids (_c4_sentences)
        batch: list[tuple[int, int]] | None = [] if self.variant == "datatrove" and doc is not None else None
        # the output's word count comes along when every kept line is a run of the document's chunks
        all_batched = batch is not None and min_sents != -1
        tfds = self.variant == "c4-tfds"
        max_len = self.max_word_length
        kept: list[tuple] = []  # (line start, content start, content end, line end, citation spans)
        dropped: list[tuple[int, int, str]] = []  # whole raw lines (with their break) and why
        n_sent = 0
        pos = 0
        for raw in text.splitlines(keepends=True):
            start, pos = pos, pos + len(raw)
            body = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw and raw[-1] in _LINE_BREAKS else raw
            line = body.strip()
            a = start + (len(body) - len(body.lstrip()))
            # only whether the line has min_words words matters: split no further than that
            words = line.split(None, min_words) if min_words > 0 else line.split()
            reason = None
            cites: list[tuple[int, int]] = []
            if max_len != -1 and len(line) > max_len and max(map(len, line.split())) > max_len:
                reason = "too_long_word"
            else:
                if self.remove_citations and "[" in line:
                    cites = [(a + m.start(), a + m.end()) for m in _CITATION.finditer(line)]
                    if cites:
                        line = _CITATION.sub("", line)
                if tfds:  # TFDS counts words after removing citations; datatrove before
                    words = line.split(None, min_words) if min_words > 0 else line.split()
                if self.filter_no_terminal_punct and (not line.endswith(ends) or line.endswith("...")):
                    reason = "no_terminal_punct"
                elif len(words) < min_words:
                    reason = "too_few_words"
                else:
                    low = line.lower()
                    if self.filter_lorem_ipsum and "lorem ipsum" in low:
                        n_sent += _c4_sentences(text, doc, batch)
                        return Reject("lorem_ipsum", None, None), [], n_sent, len(kept)
                    if self.filter_javascript and "javascript" in low:
                        reason = "javascript"
                    elif self.filter_curly_bracket and "{" in line:
                        n_sent += _c4_sentences(text, doc, batch)
                        return Reject("curly_bracket", None, None), [], n_sent, len(kept)
                    elif self.filter_policy and _POLICY_RX.search(low) is not None:
                        reason = "policy"
            if reason is not None:
                # A blank line falls to the same rules as any other (the reference's decision), but counting it
                # as "too_few_words" made a page's line breaks read as thousands of removed short lines.
                dropped.append((start, pos, reason if line else "whitespace"))
                continue
            if min_sents != -1:
                if batch is not None and not cites and line:
                    batch.append((a, a + len(line)))
                else:
                    n_sent += count(line)
                    all_batched = all_batched and not cites and not line
            kept.append((start, a, a + len(body.strip()), pos, cites))
        n_sent += _c4_sentences(text, doc, batch, nwords if all_batched else None)
        if n_sent < min_sents:
            return Reject("too_few_sentences", n_sent, min_sents), [], n_sent, len(kept)
        return None, _c4_spans(text, kept, dropped), n_sent, len(kept)


_SPACE_TABLE = None  # code point -> str.isspace(), for the code points up to U+3000 (none above is whitespace)


def _chunk_bounds(text: str):
    """Where the chunks of ``text.split()`` start and end, and whether the whitespace before each is one space,
    from a whitespace table over the code points (numpy)."""
    import numpy as np

    global _SPACE_TABLE
    if _SPACE_TABLE is None:
        _SPACE_TABLE = np.array([chr(i).isspace() for i in range(0x3001)] + [False])
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ws = _SPACE_TABLE[np.minimum(codes, 0x3001)]
    start = ~ws
    start[1:] &= ws[:-1]
    end = ~ws
    end[:-1] &= ws[1:]
    starts, ends = np.flatnonzero(start), np.flatnonzero(end) + 1
    one_space = np.zeros(len(starts), dtype=bool)
    if len(starts) > 1:
        one_space[1:] = (starts[1:] - ends[:-1] == 1) & (codes[ends[:-1]] == 32)
    return starts, one_space


def _c4_sentences(text: str, doc: Document | None, lines: list[tuple[int, int]] | None,
                  words: list[int] | None = None) -> int:
    """The sentences spaCy's sentencizer finds in the lines ``text[a:b]`` (stripped), counted together.

    Each line's chunks are a run of the document's chunks, so their steps come from the chunk ids that the chain
    already looked up (no string lookup per chunk, which was most of C4's time: 1.2 of 1.6 CPU s on the e2e
    pages). The sentencizer's state (a sentence mark seen) after a chunk is the same whatever it was before,
    unless every token of the chunk is punctuation other than a sentence mark, which leaves it as it was; so
    the state before a chunk is the one left by the nearest earlier chunk of its line that sets it (none: not
    seen), found for every chunk at once with a running maximum of their positions. Whitespace between two
    chunks other than one space is a token of its own to spaCy (not punctuation: it starts a sentence after a
    mark and clears the state), folded into the step of the chunk after it. The lines' word count (their chunks'
    tokens) is appended to ``words`` when given."""
    import numpy as np

    if not lines:
        return 0
    lines_copy = list(lines)
    lines.clear()  # counted once, whichever return of _decide comes first
    cids = _doc_cids(doc)
    seg = segments(doc)
    bounds = seg._memo.get("chunks.bounds") if seg.text is text else None  # left by the C chunk split
    starts, one_space = bounds if bounds is not None else _chunk_bounds(text)
    if len(starts) != len(cids):  # never seen; stay exact if it is
        return sum(tk.datatrove_sentence_count(text[a:b]) for a, b in lines_copy)
    ab = np.array(lines_copy, dtype=np.int64)
    lo = np.searchsorted(starts, ab[:, 0])
    counts = np.searchsorted(starts, ab[:, 1]) - lo
    first = np.cumsum(counts) - counts
    n = int(counts.sum())
    line_start = np.repeat(first, counts)
    at = np.repeat(lo - first, counts) + np.arange(n, dtype=np.int64)  # the chunks' positions in the document
    cc = cids[at]
    csent = _VOCAB._csent
    codes = csent[cc]
    if (codes < 0).any():
        flat, cstart, ccount, strs = _VOCAB._flat, _VOCAB._cstart, _VOCAB._ccount, _VOCAB.strs
        todo = np.unique(cc[codes < 0])
        lib = _native.kernels()
        if lib is not None:  # the same walk in C, from the tokens' flags (~0.4 CPU s less on the e2e pages)
            got = np.empty(len(todo), dtype=np.int64)
            lib.sent_steps(flat.ctypes.data, cstart.ctypes.data, ccount.ctypes.data, _VOCAB._flags.ctypes.data,
                           _SENT_MARK, _ALL_PUNCT, todo.ctypes.data, len(todo), got.ctypes.data)
            csent[todo] = got
        else:
            tok = tk.spacy_english()
            for c in todo.tolist():
                s0, e0, s1, e1 = tok.sentencizer_steps(
                    [strs[t] for t in flat[cstart[c]:cstart[c] + ccount[c]].tolist()])
                csent[c] = s0 | s1 << 24 | e0 << 48 | e1 << 49 if max(s0, s1) < 1 << 23 else -2
        codes = csent[cc]
        if (codes == -2).any():  # millions of sentence starts in one chunk: count those lines one by one
            return sum(tk.datatrove_sentence_count(text[a:b]) for a, b in lines_copy)
    mask = (1 << 24) - 1
    s0, s1, e0, e1 = codes & mask, (codes >> 24) & mask, (codes >> 48) & 1, (codes >> 49) & 1
    if (s0[e0 != e1].any() or s1[e0 != e1].any() or e0[e0 != e1].any()):  # a chunk keeping the state starts nothing
        return sum(tk.datatrove_sentence_count(text[a:b]) for a, b in lines_copy)
    ws = ~one_space[at]
    ws[first] = False  # a line's first chunk: the line is stripped, nothing before it
    # whitespace then the chunk: entering not seen, the whitespace does nothing; seen, it starts a sentence and
    # clears the state; either way the chunk is then entered not seen
    s1 = np.where(ws, s0 + 1, s1)
    e1 = np.where(ws, e0, e1)
    sets = e0 == e1
    last = np.maximum.accumulate(np.where(sets, np.arange(n, dtype=np.int64), -1))
    prev = np.empty(n, dtype=np.int64)
    prev[:1] = -1
    prev[1:] = last[:-1]
    seen = (prev >= line_start) & (e0[prev] == 1)
    if words is not None:
        words.append(int(_VOCAB._ccount[cc].sum()))
    return len(lines_copy) + int(np.where(seen, s1, s0).sum())


def _f(x):
    return None if x is None else float(x)


def _c4_spans(text: str, kept, dropped) -> list[tuple[int, int, str, str, float | None]]:
    """Edits turning ``text`` into the reference's output, "\\n".join(kept stripped lines without citations).strip(),
    each removal with its reason: dropped lines (with their line break) by rule, citations, and whitespace."""
    spans: list[tuple[int, int, str, str, float | None]] = [(s, e, r, "", None) for s, e, r in dropped]
    last = len(kept) - 1
    for k, (start, a, b, end, cites) in enumerate(kept):
        if a > start:
            spans.append((start, a, "whitespace", "", None))
        spans.extend((s, e, "citation", "", None) for s, e in cites)
        if b < end:
            nl = text.find("\n", b, end) if k < last else -1
            if k < last and nl < 0:  # a break other than "\n" (\r, \u2028, ...) becomes "\n", as in the reference
                spans.append((b, end, "whitespace", "\n", None))
            elif nl >= 0:
                if nl > b:
                    spans.append((b, nl, "whitespace", "", None))
                if end > nl + 1:
                    spans.append((nl + 1, end, "whitespace", "", None))
            else:
                spans.append((b, end, "whitespace", "", None))
    spans.sort(key=lambda s: (s[0], s[1]))
    out = _apply(text, spans)
    want = out.strip()
    if want != out:  # citation removal left whitespace at an end of the joined text: the reference strips it
        lead, trail = len(out) - len(out.lstrip()), len(out) - len(out.rstrip())
        if not want:  # all whitespace (every line blank, the short-line rule off): the leading cut takes it all
            trail = 0
        spans = _strip_ends(text, spans, lead, trail)
        if _apply(text, spans) != want:  # never seen on the corpus; stay exact rather than clever
            spans = [(0, len(text), "whitespace", want, None)]
    return spans


def _apply(text: str, spans) -> str:
    parts, pos = [], 0
    for s, e, _, rep, _ in spans:
        parts.append(text[pos:s])
        parts.append(rep)
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def _strip_ends(text: str, spans, lead: int, trail: int):
    """Also remove the first ``lead`` and last ``trail`` characters that the spans keep."""
    kept_ranges = []
    pos = 0
    for s, e, *_ in spans:
        if s > pos:
            kept_ranges.append((pos, s))
        pos = max(pos, e)
    if pos < len(text):
        kept_ranges.append((pos, len(text)))
    extra = []
    for a, b in kept_ranges:
        if lead <= 0:
            break
        take = min(lead, b - a)
        extra.append((a, a + take, "whitespace", "", None))
        lead -= take
    for a, b in reversed(kept_ranges):
        if trail <= 0:
            break
        take = min(trail, b - a)
        extra.append((b - take, b, "whitespace", "", None))
        trail -= take
    return sorted(spans + extra, key=lambda s: (s[0], s[1]))


# --- C4 bad words ----------------------------------------------------------------------------------------------
_BADWORDS_ALLOWLIST = {"ja": {"sm", "グロ", "女の子"}, "zh": {"性"}}


@lru_cache(maxsize=None)
def _badwords_regex(lang: str) -> re.Pattern | None:
    try:
        raw = resources.files("winnow").joinpath("data/badwords", lang).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    words = {ln.strip() for ln in raw.splitlines()}
    # datatrove reads the file line by line, so a trailing empty line would add "" (it has none at these commits)
    for allow in _BADWORDS_ALLOWLIST.values():
        words -= allow
    alts = "|".join(re.escape(w) for w in words)
    if lang in ("ja", "th", "zh"):  # scripts without spaces: match anywhere
        return re.compile(alts)
    return re.compile(r"(?:\W|^)({})(?:\W|$)".format(alts))


@register("c4_badwords")
@dataclass
class C4BadWords(Filter):
    """C4's bad-words filter: drops pages that contain a word of the LDNOOBW list for their language (metadata "language")."""

    keep_fraction: float = 0.0
    seed: int | None = None
    default_language: str = "en"
    fail_on_missing_language: bool = False

    REASONS = ("badwords",)
    FRACTIONS = ("keep_fraction",)

    def setup(self, ctx: Context) -> None:
        import numpy as np

        self._uniform = np.random.default_rng(self.seed).uniform

    def reject(self, doc: Document) -> Reject | None:
        # the language step writes metadata["language"], as datatrove's language filter does
        lang = doc.metadata.get("language") or self.default_language
        rx = _badwords_regex(lang)
        if rx is None:
            if self.fail_on_missing_language:
                raise ValueError(f"c4_badwords: no word list for language {lang!r}")
            doc.attributes["c4_badwords.missing_language"] = lang
            return None
        m = rx.search(doc.text.lower())
        if m is None:
            return None
        found = m.group(1) if m.groups() else m.group(0)
        doc.attributes["c4_badwords.word"] = found
        if self.keep_fraction > 0.0:
            if not hasattr(self, "_uniform"):
                self.setup(Context())
            if self._uniform() < self.keep_fraction:
                return None
        return Reject("badwords", None, None)
