"""fastText's top-1 prediction for hierarchical-softmax models (lid.176), with each word's input vector cached.

fastText represents a line as the mean of the input rows of its tokens: for each whitespace-separated word, the
word's own row (when the word is in the dictionary) and the rows of its character 2..4-grams (hashed into buckets;
in a quantised .ftz only the kept buckets have rows). The library recomputes every word's n-gram hashes and sums
every row for every document; web text repeats its words, so here each distinct word's rows are summed once (in
float64) and a document costs one cached lookup per word and one gather-and-sum of word vectors. The output layer
(a Huffman tree over the labels, a sigmoid per inner node) is evaluated as fastText does it, in float32 with the
same rounding steps and the same depth-first search with pruning, so the top label and its probability are the
library's own: bench/langid_exact.py compares them on the shared corpus (largest probability difference and
decisions, recorded in bench/results/e2e.md).

What this reads of the library (fastText 0.9.2, the version fasttext-predict and datatrove's fasttext wheels build):
``Dictionary::readWord`` (tokens split on the seven ASCII separators; reading a line stops at the word ``</s>``),
``getLine`` (label-shaped tokens, ``__label__...``, skipped), ``computeSubwords``/``hash`` (FNV-1a over bytes, each
byte sign-extended) and ``pushHash`` (the pruning map of a .ftz), ``ProductQuantizer::addcode``/``mulcode``,
``HierarchicalSoftmaxLoss::buildTree``/``dfs`` and ``FastText::predictLine``. Its code is not copied; the model file
is parsed here from its documented layout.

The only difference is float rounding inside the mean: fastText adds the rows one by one in float32, this sums
each word's rows in float64 (kept as float32) and the words in float64, so the hidden vector differs by fastText's
own float32 accumulation error and a probability by up to ~1e-5 on long pages (7.7e-6 the largest on the shared
corpus; with fastText's float32 sum put in its place, the rest of this gives the library's probability to the
bit). The language step lets the library decide within 5e-4 of its threshold, so its decisions are the library's.

Models this does not cover (word n-grams > 1, softmax or one-vs-all losses, unsupervised models, a file it cannot
parse) make ``load`` return None: the caller then uses the library.
"""

from __future__ import annotations

import ctypes
import math
import mmap
import os
import re
import struct
import threading
import weakref
from collections import Counter
from itertools import repeat
from pathlib import Path

import numpy as np

__all__ = ["FastLid", "load"]

_FT_MAGIC = 793712314
_EOS = "</s>"
_LABEL = "__label__"
# fastText's token separators (Dictionary::readWord); the text arrives with "\n" already replaced by spaces
_SEP = re.compile("[\t\r\v\f\x00]")
# Distinct words whose vectors are kept per model and process. When full, the cache keeps what it has and further
# new words are computed per document (a corpus's frequent words come early, so the cache keeps serving them);
# ~220 bytes a word (16 float32s, the dict entry and the string): ~45 MB at the limit. Tuned on the shared corpus
# (4,203 pages and main texts, 7M words, 500k distinct): bench/results/e2e.md.
_CACHE_LIMIT = 500_000
# And the characters of the cached words together: the key is the word, so the count alone would not bound memory
# on a corpus of long unique tokens (base64, minified code). The shared corpus's 500k distinct words hold 4.4M
# characters; this is 7x that (32-128 MB of keys at most, by CPython's 1-4 bytes per character).
_CACHE_CHARS = 32_000_000
_BATCH = 4096  # rows of new-word vectors computed per numpy pass (bounds the n-gram arrays to a few MB)
# One word's n-gram arrays cost ~180 bytes per character on the numpy path (its hashes, four index arrays of ~4
# n-grams a character, the gathered float32 rows and numpy's float64 copy of them): a 10 MB word peaked at 1.77 GB.
# Words longer than this are summed in windows of this many n-gram start characters and this many rows
# (_word_sums_long), so any word costs at most what one of 65,536 characters does (~12 MB); shorter words, nearly
# all real ones, keep the one-pass code. The value is that bound, not a tuned speed.
_LONG_WORD = 65_536
_WINDOW_CHARS = 65_536
_NODE_ROWS = 65_536


class _Reader:
    def __init__(self, data: bytes):
        self.b, self.o = data, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.b, self.o)
        self.o += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype, n: int) -> np.ndarray:
        a = np.frombuffer(self.b, dtype=dtype, count=n, offset=self.o)
        self.o += a.nbytes
        return a

    def cstring(self) -> bytes:
        end = self.b.find(b"\0", self.o)
        if end < 0:
            raise ValueError("truncated model file")
        s = self.b[self.o:end]
        self.o = end + 1
        return s


def _matrix(r: _Reader, quant: bool) -> np.ndarray:
    """The matrix as float32 rows, decoded as fastText adds them (``alpha * centroid`` rounded to float32)."""
    if not quant:
        m, n = r.take("qq")
        return r.array(np.float32, m * n).reshape(m, n)
    qnorm = r.take("?")
    m, n = r.take("qq")
    codesize = r.take("i")
    codes = r.array(np.uint8, codesize)
    pq = _pq(r)
    rows = _decode(pq, codes, m)
    if qnorm:
        norm_codes = r.array(np.uint8, m)
        npq = _pq(r)
        norms = npq[0][0][norm_codes.astype(np.int64), 0]  # get_centroids(0, code)[0]
        rows = (norms[:, None] * rows).astype(np.float32)
    return rows


def _pq(r: _Reader):
    dim, nsubq, dsub, lastdsub = r.take("iiii")
    cent = r.array(np.float32, dim * 256)
    parts = []
    for m in range(nsubq):
        d = lastdsub if m == nsubq - 1 else dsub
        start = m * 256 * dsub
        parts.append(cent[start: start + 256 * d].reshape(256, d))
    return parts, nsubq


def _decode(pq, codes: np.ndarray, m: int) -> np.ndarray:
    parts, nsubq = pq
    codes = codes.reshape(m, nsubq).astype(np.int64)
    return np.ascontiguousarray(np.concatenate([parts[j][codes[:, j]] for j in range(nsubq)], axis=1),
                                dtype=np.float32)


def _ngram_hashes(sbuf: np.ndarray, starts: np.ndarray, clen: np.ndarray, room: np.ndarray, maxn: int) -> np.ndarray:
    """fastText's FNV-1a hash of every n-gram (n = 1..maxn) starting at each character: column n-1 for length n,
    where ``room`` (characters from the start to its word's end) allows it. ``sbuf`` holds the UTF-8 bytes
    sign-extended as fastText hashes them, ``starts`` each character's first byte, ``clen`` its byte count.
    FNV-1a runs byte by byte, so the hash of the n-gram starting at character k is the (n-1)-gram's hash carried
    on over character k+n-1's bytes: one pass per n over the characters, not one per byte offset."""
    prime = np.uint32(16777619)
    nc = len(starts)
    h = np.full(nc, 2166136261, dtype=np.uint32)
    hashes = np.zeros((nc, maxn), dtype=np.uint32)
    for n in range(1, maxn + 1):
        live = np.flatnonzero(room >= n)
        pos = live + (n - 1)
        hl = (h[live] ^ sbuf[starts[pos]]) * prime
        multi = np.flatnonzero(clen[pos] > 1)  # the rarer characters of several bytes
        for extra in range(1, 4):
            multi = multi[clen[pos[multi]] > extra]
            if not len(multi):
                break
            hl[multi] = (hl[multi] ^ sbuf[starts[pos[multi]] + extra]) * prime
        h[live] = hl
        hashes[live, n - 1] = hl
    return hashes


class FastLid:
    """The top-1 (label, probability) of a supervised hierarchical-softmax fastText model; see the module doc.

    ``native``: None (the default) computes each line's input vector with the compiled kernel when winnow's
    library is built (winnow/_native; the same floats as the numpy path, to the bit) and with numpy otherwise;
    False always uses numpy (the tests compare the two)."""

    def __init__(self, path: str | Path, native: bool | None = None):
        with open(path, "rb") as f:
            # mapped, not read: a dense model's input matrix (FineWeb's lid.176.bin: 128 MB) stays in the page cache,
            # shared with the library's copy and other workers, instead of another private copy
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        r = _Reader(data)
        magic, version = r.take("ii")
        if magic != _FT_MAGIC or version < 12:
            raise ValueError("not a fastText model of version 12")
        (dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn,
         _lr_update) = r.take("12i")
        r.take("d")
        if model != 3 or loss != 1 or word_ngrams > 1:  # sup, hs; word n-grams are not covered
            raise ValueError("only supervised hierarchical-softmax models without word n-grams")
        size, nwords, nlabels = r.take("iii")
        r.take("q")
        pruneidx_size = r.take("q")
        words, counts, types = [], [], []
        for _ in range(size):
            words.append(r.cstring())
            counts.append(r.take("q"))
            types.append(r.take("b"))
        prune = r.array(np.int32, 2 * max(pruneidx_size, 0)).reshape(-1, 2)
        quant_input = r.take("?")
        self._rows = _matrix(r, quant_input)
        qout = r.take("?")
        out = _matrix(r, quant_input and qout)
        if r.o != len(r.b) or self._rows.shape[1] != dim or out.shape != (nlabels, dim):
            raise ValueError("unexpected model layout")
        self.dim, self.minn, self.maxn, self.bucket, self.nwords = dim, minn, maxn, bucket, nwords
        # word -> id for words (type 0); labels (type 1) are tokens the line skips
        self._vocab = {w.decode("utf-8", "surrogateescape"): i for i, (w, t) in enumerate(zip(words, types))
                       if t == 0}
        self.labels = [w.decode("utf-8", "replace")[len(_LABEL):] if w.startswith(_LABEL.encode()) else
                       w.decode("utf-8", "replace") for w, t in zip(words, types) if t == 1]
        # bucket -> input row (pushHash): a .ftz keeps only some buckets; -1 for a dropped one
        if pruneidx_size < 0:
            self._bucket_row = None  # every bucket has its row nwords + bucket
        else:
            self._bucket_row = np.full(bucket, -1, dtype=np.int32)  # 8 MB for lid.176's 2M buckets
            if len(prune):
                self._bucket_row[prune[:, 0]] = nwords + prune[:, 1]
        self._out = np.ascontiguousarray(out, dtype=np.float32)
        self._tree(np.array([c for c, t in zip(counts, types) if t == 1], dtype=np.int64))
        self._lock = threading.Lock()
        self._reset()
        # the kernel's keys are the words as the text's words reach it (str -> UTF-8 with surrogatepass), so a
        # dictionary word with invalid UTF-8 (surrogateescape'd above) matches the same text words as self._vocab
        self._nat = None if native is False else self._native(
            [w.encode("utf-8", "surrogatepass") for w in self._vocab], list(self._vocab.values()))
        _LIVE.add(self)  # a child forked while another thread uses this model gets a working one (_after_fork)

    def _native(self, words: list[bytes], rows: list[int]):
        """The compiled kernel's state for this model (its tables borrow this object's arrays), or None where
        winnow's library is not built, forced off (WINNOW_PURE_PYTHON) or out of memory."""
        from .. import _native

        lib = _native.kernels()
        if lib is None:
            return None
        self._rows = np.ascontiguousarray(self._rows, dtype=np.float32)
        if self._bucket_row is not None:
            self._bucket_row = np.ascontiguousarray(self._bucket_row, dtype=np.int32)
        blob = b"".join(words)
        off = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=off[1:])
        row = np.asarray(rows, dtype=np.int32)
        handle = lib.fastlid_new(
            self._rows.ctypes.data, len(self._rows), self.dim, self.minn, self.maxn, self.nwords, self.bucket,
            None if self._bucket_row is None else self._bucket_row.ctypes.data, blob, off.ctypes.data,
            row.ctypes.data, len(words), _CACHE_LIMIT, _CACHE_CHARS)
        if not handle:
            _native.log.debug("fastlid_new: out of memory; the numpy path runs")
            return None
        self._nat_lib = lib
        self._nat_free = weakref.finalize(self, lib.fastlid_free, handle)
        return handle

    def _after_fork(self) -> None:
        """In a child forked while another thread of the parent held this model's lock (a user's threads and
        multiprocessing's fork start method): that lock is held forever in the child, and the call it guarded
        may have been inside the kernel with its tables half-updated (ctypes releases the GIL). The child gets a
        fresh lock, and after such a fork the numpy path (the same floats) and an empty numpy cache; the kernel's
        state is left unfreed (freeing half-updated pointers could crash)."""
        if self._lock.locked():
            if self._nat is not None:
                self._nat_free.detach()
                self._nat = None
            self._reset()
        self._lock = threading.Lock()

    @property
    def native(self) -> bool:
        """Whether lines are computed by the compiled kernel."""
        return self._nat is not None

    # --- the label tree (HierarchicalSoftmaxLoss::buildTree) ---
    def _tree(self, counts: np.ndarray) -> None:
        osz = len(counts)
        n = 2 * osz - 1
        left, right, count = [-1] * n, [-1] * n, [10 ** 15] * n
        count[:osz] = counts.tolist()
        leaf, node = osz - 1, osz
        for i in range(osz, n):
            mini = [0, 0]
            for j in range(2):
                if leaf >= 0 and count[leaf] < count[node]:
                    mini[j] = leaf
                    leaf -= 1
                else:
                    mini[j] = node
                    node += 1
            left[i], right[i] = mini
            count[i] = count[mini[0]] + count[mini[1]]
        self._osz, self._left, self._right = osz, left, right
        self._inner = self._out[: osz - 1]  # row node - osz of the output matrix is inner node `node`

    # --- word vectors ---
    def _reset(self) -> None:
        self._index: dict[str, int] = {"": 0}  # row 0: no word (two separators in a row), no input
        self._chars = 0  # the cached words' characters (_CACHE_CHARS)
        self._vec = np.zeros((1024, self.dim), dtype=np.float32)
        self._cnt = np.zeros(1024, dtype=np.int64)

    def _word_sums(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each word's input rows summed in float64, and how many rows: its own row if in the dictionary, and its
        character n-grams' rows (dropped buckets left out); none for "", a label token or a dictionary-less
        ``</s>`` (fastText gives those no input)."""
        minn, maxn, dim = self.minn, self.maxn, self.dim
        vocab = self._vocab
        wid = np.fromiter(map(vocab.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        # n-grams: every word but "", </s> (in the dictionary it is its own row only; outside it, nothing) and
        # label tokens (skipped by the line reader)
        gram_of = [i for i, w in enumerate(words) if w and w != _EOS and not w.startswith(_LABEL)] if maxn > 0 else []
        sums = np.zeros((len(words), dim))
        cnt = np.zeros(len(words), dtype=np.int64)
        if any(len(words[i]) > _LONG_WORD for i in gram_of):  # hostile input (base64, minified code): windowed
            for i in gram_of:
                if len(words[i]) > _LONG_WORD:
                    sums[i], cnt[i] = self._word_sums_long("<" + words[i] + ">")
            gram_of = [i for i in gram_of if len(words[i]) <= _LONG_WORD]
        if gram_of:
            enc = [("<" + words[i] + ">").encode("utf-8", "surrogatepass") for i in gram_of]
            buf = np.frombuffer(b"".join(enc), dtype=np.uint8)
            lens = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
            starts = np.flatnonzero((buf & 0xC0) != 0x80)  # UTF-8 character starts
            word_of = np.repeat(np.arange(len(enc)), lens)[starts]
            first = np.searchsorted(starts, np.cumsum(lens) - lens)  # each word's first character, in `starts`
            nchars = np.diff(np.append(first, len(starts)))
            local = np.arange(len(starts)) - first[word_of]
            clen = np.diff(np.append(starts, len(buf)))  # bytes per character
            sbuf = buf.view(np.int8).astype(np.int32).astype(np.uint32)  # int8 sign extension, as fastText hashes
            room = nchars[word_of] - local  # characters from k to the word's end
            hashes = _ngram_hashes(sbuf, starts, clen, room, maxn)
            lo = max(minn, 1)
            ns = np.arange(lo, maxn + 1)
            ok = ns[None, :] <= room[:, None]
            if lo == 1:  # 1-grams at the word's first or last character (BOW/EOW alone) are never counted
                ok &= ~((ns[None, :] == 1) & ((local[:, None] == 0) | (room[:, None] == 1)))
            kk, nn = np.nonzero(ok)  # row-major: by start character, then length, as fastText orders them
            b = (hashes[kk, nn + (lo - 1)] % np.uint32(self.bucket)).astype(np.int64)
            rows = self.nwords + b if self._bucket_row is None else self._bucket_row[b]
            keep = rows >= 0
            rows, owner = rows[keep], np.asarray(gram_of, dtype=np.int64)[word_of[kk[keep]]]
            if len(owner):  # n-grams come grouped by word: one reduceat over the groups
                cut = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
                sums[owner[cut]] = np.add.reduceat(self._rows[rows], cut, axis=0, dtype=np.float64)
                cnt[owner[cut]] = np.diff(np.append(cut, len(owner)))
        known = np.flatnonzero(wid >= 0)
        sums[known] += self._rows[wid[known]]
        cnt[known] += 1
        return sums, cnt

    def _window_rows(self, s: str, a: int, b: int) -> np.ndarray:
        """The kept rows of the n-grams of s ("<" word ">") that start at characters [a, b), in fastText's order
        (by start character, then length): _word_sums's computation on the characters [a, b + maxn - 1), which
        hold every such n-gram, with the 1-gram exclusions taken at the ends of the whole of s."""
        minn, maxn, total = self.minn, self.maxn, len(s)
        e = min(total, b + maxn - 1)
        buf = np.frombuffer(s[a:e].encode("utf-8", "surrogatepass"), dtype=np.uint8)
        starts = np.flatnonzero((buf & 0xC0) != 0x80)  # one per character (a lone surrogate: 3 bytes, 1 start)
        nc = len(starts)
        clen = np.diff(np.append(starts, len(buf)))
        sbuf = buf.view(np.int8).astype(np.int32).astype(np.uint32)
        # characters from each start to the piece's end: for a start before b, n <= room exactly when the n-gram
        # fits in s (the piece reaches s's end or holds maxn characters from there)
        room = e - a - np.arange(nc)
        hashes = _ngram_hashes(sbuf, starts, clen, room, maxn)
        lo = max(minn, 1)
        ns = np.arange(lo, maxn + 1)
        k = np.arange(a, b)  # start characters in s
        ok = ns[None, :] <= room[: b - a, None]
        if lo == 1:  # 1-grams at s's first or last character (BOW/EOW alone) are never counted
            ok &= ~((ns[None, :] == 1) & ((k[:, None] == 0) | (k[:, None] == total - 1)))
        kk, nn = np.nonzero(ok)
        bk = (hashes[kk, nn + (lo - 1)] % np.uint32(self.bucket)).astype(np.int64)
        rows = self.nwords + bk if self._bucket_row is None else self._bucket_row[bk]
        return rows[rows >= 0]

    def _word_sums_long(self, s: str) -> tuple[np.ndarray, int]:
        """_word_sums of one long word s ("<" word ">") in bounded memory, to the same bits. np.add.reduceat
        gives a segment's first row plus numpy's pairwise sum of the rest (blocks of up to 128 rows, halves cut at
        multiples of 8: the kernel's pairwise_rows), not a row-by-row sum, so a running total carried from window
        to window would round differently. Here a first pass counts the rows, and the pairwise tree over them is
        walked with each subtree of up to _NODE_ROWS rows summed by numpy itself (reduceat over a -0.0 row and
        the subtree's rows: -0.0 + x == x for every x), the rows coming in order from windows of start
        characters."""
        total, step = len(s), max(1, _WINDOW_CHARS)
        n = sum(len(self._window_rows(s, a, min(a + step, total))) for a in range(0, total, step))
        if n == 0:
            return np.zeros(self.dim), 0
        windows = (self._window_rows(s, a, min(a + step, total)) for a in range(0, total, step))
        pending: list[np.ndarray] = []
        have = 0

        def take(m: int) -> np.ndarray:  # the next m rows, in order
            nonlocal have
            while have < m:
                nxt = next(windows)
                pending.append(nxt)
                have += len(nxt)
            got = np.concatenate(pending) if len(pending) != 1 else pending[0]
            pending[:] = [got[m:]] if len(got) > m else []
            have -= m
            return got[:m]

        def pairwise(m: int) -> np.ndarray:
            if m <= 128 or m <= _NODE_ROWS:
                y = np.empty((m + 1, self.dim))
                y[0] = -0.0
                y[1:] = self._rows[take(m)]
                return np.add.reduceat(y, [0], axis=0)[0]
            half = m // 2
            half -= half % 8
            left = pairwise(half)
            return left + pairwise(m - half)

        first = self._rows[take(1)[0]].astype(np.float64)
        return (first + pairwise(n - 1) if n > 1 else first), n

    def _add_words(self, new: list[str]) -> None:
        """Cache each new word's row sum (float32) and number of rows, while there is room."""
        new = new[: max(0, _CACHE_LIMIT - len(self._index))]
        room = _CACHE_CHARS - self._chars
        if room < sum(map(len, new)):  # the words' characters would pass the limit: cache those that fit
            cum = np.cumsum(np.fromiter(map(len, new), dtype=np.int64, count=len(new)))
            new = new[: int(np.searchsorted(cum, room, side="right"))]
        self._chars += sum(map(len, new))
        for s in range(0, len(new), _BATCH):
            part = new[s: s + _BATCH]
            sums, cnt = self._word_sums(part)
            base = len(self._index)
            need = base + len(part)
            # Each array grows on its own and the index learns the words last: a document stopped by the runner's
            # budget between two of these lines leaves the cache consistent (rows written but not yet indexed)
            if need > len(self._vec):
                self._vec = np.concatenate((self._vec, np.zeros((max(need, 2 * len(self._vec)) - len(self._vec),
                                                                 self.dim), np.float32)))
            if need > len(self._cnt):
                self._cnt = np.concatenate((self._cnt, np.zeros(max(need, 2 * len(self._cnt)) - len(self._cnt),
                                                                dtype=np.int64)))
            self._vec[base:need] = sums
            self._cnt[base:need] = cnt
            self._index.update(zip(part, range(base, need)))

    def _hidden(self, words: list[str]) -> tuple[np.ndarray, int]:
        """The sum of the line's input rows and their number. Each distinct word's vector (its float64 row sum,
        kept as float32) is weighted by its count in the line and the products summed in first-occurrence order,
        whether the word was cached or not: the result never depends on what the cache held. (Counting first
        keeps the large cache's lookups to the line's distinct words, about a third of its words.)"""
        counts = Counter(words)
        uniq = list(counts)
        mult = np.fromiter(counts.values(), dtype=np.int64, count=len(uniq))
        with self._lock:
            index = self._index
            pos = list(map(index.get, uniq))  # None where a word is not cached
            if None in pos:
                self._add_words([w for w, p in zip(uniq, pos) if p is None])
                get = index.get
                pos = [get(w) if p is None else p for w, p in zip(uniq, pos)]
            if None in pos:  # the cache is full: the words it lacks are computed for this line
                hit = np.array([p is not None for p in pos])
                known = np.array([p for p in pos if p is not None], dtype=np.int64)
                sums, cnt = self._word_sums([w for w, p in zip(uniq, pos) if p is None])
                vecs = np.empty((len(uniq), self.dim), dtype=np.float32)
                n_rows = np.empty(len(uniq), dtype=np.int64)
                vecs[hit], n_rows[hit] = self._vec[known], self._cnt[known]
                vecs[~hit], n_rows[~hit] = sums, cnt
            else:
                idx = np.array(pos, dtype=np.int64)
                vecs, n_rows = self._vec[idx], self._cnt[idx]
        return (vecs * mult[:, None].astype(np.float64)).sum(axis=0), int(n_rows @ mult)

    def line_sum(self, line: str) -> tuple[np.ndarray, int]:
        """The sum of the line's input rows (float64) and their number: by the compiled kernel where it is loaded,
        else by numpy; the same floats either way."""
        got = self._hidden_native(line) if self._nat is not None else None
        if got is not None:
            return got
        if _SEP.search(line):
            line = _SEP.sub(" ", line)
        # "" (between two separators) is in the cache as an empty word: no filtering pass
        words = line.split(" ")
        if _EOS in line and _EOS in words:  # fastText's getLine stops at the end-of-sentence word
            words = words[: words.index(_EOS)]
        words.append(_EOS)  # the line's "\n"
        return self._hidden(words)

    def _hidden_native(self, line: str) -> tuple[np.ndarray, int] | None:
        """``_hidden`` of the line's words, split and summed by the compiled kernel (the same floats); None when
        the kernel ran out of memory (the numpy path then computes the line)."""
        # a lone surrogate encoded as _word_sums encodes it
        data = line.encode("utf-8", "surrogatepass")
        total = np.empty(self.dim, dtype=np.float64)
        n = ctypes.c_int64(0)
        with self._lock:
            rc = self._nat_lib.fastlid_hidden(self._nat, data, len(data), total.ctypes.data, ctypes.byref(n))
        return (total, n.value) if rc == 0 else None

    # --- prediction ---
    def predict(self, line: str) -> tuple[str, float] | None:
        """Top label and probability for one line (no "\\n" in it), what ``model.f.predict(line + "\\n", 1, 0.0)``
        returns; None where fastText returns no prediction."""
        total, n = self.line_sum(line)
        if n == 0:
            return None
        f32 = np.float32
        hidden = (total.astype(f32) * f32(1.0 / n)).astype(f32)
        # DenseMatrix::dotRow: a float32 sum over the dimensions in order
        # (a running sum along each row, np.add.accumulate, adds in that order: the same roundings in one call)
        d = np.add.accumulate(self._inner * hidden, axis=1, dtype=f32)[:, -1]
        # f = 1 / (1 + expf(-d)) (the division in double, stored as float); std_log(x) = log(float(x) + 1e-5)
        e = np.exp(-d.astype(np.float64)).astype(f32)
        f = (1.0 / (f32(1.0) + e).astype(np.float64)).astype(f32)
        f64 = f.astype(np.float64)
        log_right = np.log(f64 + 1e-5).astype(f32).tolist()
        log_left = np.log((1.0 - f64).astype(f32).astype(np.float64) + 1e-5).astype(f32).tolist()
        best, best_node = self._dfs(log_left, log_right)
        if best_node < 0:
            return None
        return self.labels[best_node], min(float(f32(math.exp(best))), 1.0)

    def _dfs(self, log_left: list[float], log_right: list[float]) -> tuple[float, int]:
        """HierarchicalSoftmaxLoss::dfs with k = 1 and threshold 0: the same visiting order and pruning (a node
        below the best leaf so far is not entered; an equal later leaf replaces it)."""
        floor = float(np.float32(math.log(0.0 + 1e-5)))
        osz, left, right = self._osz, self._left, self._right
        best, best_node = -math.inf, -1
        stack = [(2 * osz - 2, 0.0)]
        pack = struct.Struct("<f")
        while stack:
            node, score = stack.pop()
            if score < floor or (best_node >= 0 and score < best):
                continue
            if left[node] == -1:
                best, best_node = score, node
                continue
            i = node - osz
            # float32 sums, as fastText's `score + std_log(...)`; right pushed first so left is visited first
            stack.append((right[node], pack.unpack(pack.pack(score + log_right[i]))[0]))
            stack.append((left[node], pack.unpack(pack.pack(score + log_left[i]))[0]))
        return best, best_node


_MODELS: dict[str, FastLid | None] = {}
_LOAD = threading.Lock()
_LIVE: weakref.WeakSet[FastLid] = weakref.WeakSet()  # every model of this process, for _after_fork_in_child


def _after_fork_in_child() -> None:
    global _LOAD
    _LOAD = threading.Lock()  # held by another thread of the parent (loading a model) it would never be released
    for model in list(_LIVE):
        model._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def load(path: str | Path) -> FastLid | None:
    """The cached-vector predictor for the model at ``path``, once per process; None for a model it does not
    cover (the caller uses the library then)."""
    key = str(path)
    with _LOAD:
        if key not in _MODELS:
            try:
                _MODELS[key] = FastLid(path)
            except (ValueError, struct.error, OSError, IndexError):
                _MODELS[key] = None
        return _MODELS[key]
