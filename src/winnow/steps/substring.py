"""Exact-substring deduplication (Lee et al., "Deduplicating Training Data Makes Language Models Better", 2022).

A span of at least ``min_length`` tokens that occurs more than once in the corpus is removed from every occurrence
but the first (corpus order: shard name, then position in the shard). A **token** is a maximal run of
non-whitespace characters (whitespace: ASCII space, tab, line feed, vertical tab, form feed, carriage return), so
tokens keep their punctuation and case: the match is exact up to the spacing between tokens. 50 tokens are ~300
characters of English prose.

Equivalent formulation used here: every window of ``min_length`` consecutive tokens (inside one document) whose
content already occurred at an earlier position is covered; the union of the covered windows is removed. A span of
``m >= min_length`` tokens repeated from earlier has all its ``m - min_length + 1`` windows repeated, so the union is
exactly the later copies.

Passes (a ``CorpusStep``):

1. collect: each shard stores one 64-bit hash per token and the token count per document;
2. reduce, each phase resumable (markers in the step's work folder):
   * ``sa``: the corpus is cut into contiguous partitions of at most ``memory_mb`` worth of tokens. In each, the
     tokens (densely renumbered, documents separated by a 0) get a suffix array and LCP array (``pydivsufsort``,
     or a numpy prefix-doubling fallback, ``backend: doubling``); suffixes sharing their first ``min_length``
     tokens form a block. Each block writes one row: a 128-bit fingerprint of its window, its count and its
     earliest position, into a key-sorted table.
   * ``merge``: key ranges of those tables across partitions (the dedup steps' table machinery): a window's total
     count, and which partition holds its first occurrence.
   * ``mark``: per partition, every occurrence of a repeated window but the first is covered; overlapping covered
     windows merge into spans, each with the smallest total count among its windows (the number of times the whole
     span occurs when it is one copied passage; an upper bound otherwise).
   * ``decide``: one small decisions file per shard.
3. apply: each removal is an ``Edit`` with reason ``repeated_substring`` and the span's count as its score; a
   document left with fewer than ``min_words`` words is dropped (``too_short_after_dedup``).

Against a reference index (``against``): the merge phase also writes this run's distinct windows with their counts
(``w/``), and a later run's merge reads them as partitions that come before its own: a window the reference holds
is covered in every occurrence here (edit reason ``substring_in_reference``), and counts add up as in one run over
both corpora. No suffix array is built over the reference, and its documents are never read.

The partitions' suffix arrays are exact; across partitions windows are compared by their 128-bit fingerprint
(polynomial hashes of the token hashes under two bases), so results do not depend on the partitioning (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import orjson

from ..document import Document, Drop
from ..io.base import as_path, atomic_path, remove_tree
from ..registry import register
from ..step import Context
from . import _dedup_store as store
from .dedup import _P, _P_INV, _DedupStep

__all__ = ["SubstringDedup", "token_spans", "suffix_blocks"]

U64 = np.uint64
_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True
_P2 = 0x9E3779B97F4A7C15 | 1  # a second odd base: two independent 64-bit window hashes make the fingerprint
_P2_INV = pow(_P2, -1, 1 << 64)
# Working set of the ``sa`` and ``mark`` phases per token of a partition: the renumbered tokens (4), suffix and LCP
# arrays (2 x 8 at most), eligibility and order (8 + 8), two prefix hashes and their power tables (4 x 8), block
# ids (8) and sort temporaries. bench/dedup.py --substring measures the peak against this (bench/results/dedup.md).
BYTES_PER_TOKEN = 112


def _powers(base: int, n: int) -> np.ndarray:
    a = np.full(n, base, dtype=U64)
    if n:
        a[0] = 1
    return np.cumprod(a, dtype=U64)


def token_spans(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(64-bit token hashes, character starts, character ends) of the text's tokens."""
    data = text.encode("utf-8", "surrogatepass")
    b = np.frombuffer(data, dtype=np.uint8)
    if not len(b):
        z = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=U64), z, z
    tok = ~_WS[b]
    st = tok.copy()
    st[1:] &= ~tok[:-1]
    en = tok.copy()
    en[:-1] &= ~tok[1:]
    starts, ends = np.flatnonzero(st), np.flatnonzero(en) + 1
    if not len(starts):
        z = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=U64), z, z
    pw, inv = _powers(_P, len(b)), _powers(_P_INV, len(b))
    c = b.astype(U64) * pw
    c[~tok] = 0
    h = store.mix64(np.add.reduceat(c, starts) * inv[starts] ^ (ends - starts).astype(U64))
    lead = (b & 0xC0) != 0x80  # UTF-8 lead bytes: one per character (a lone surrogate is one too)
    cidx = np.cumsum(lead) - 1
    return h, cidx[starts].astype(np.int64), (cidx[ends - 1] + 1).astype(np.int64)


# --- blocks of suffixes sharing their first L tokens -----------------------------------------------------------

def _eligible(doc_len: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sequence length, start of each document in the sequence, positions whose window of L tokens stays inside
    their document). The sequence is the documents' tokens, each document followed by a separator."""
    dstart = np.zeros(len(doc_len), dtype=np.int64)
    if len(doc_len) > 1:
        dstart[1:] = np.cumsum(doc_len[:-1] + 1)
    n = int(doc_len.sum() + len(doc_len))
    ok = np.zeros(n, dtype=bool)
    for_docs = np.flatnonzero(doc_len >= L)
    if len(for_docs):  # positions dstart .. dstart + len - L of each long enough document
        cnt = doc_len[for_docs] - L + 1
        first = np.repeat(dstart[for_docs], cnt)
        within = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        ok[first + within] = True
    return n, dstart, ok


def suffix_blocks(seq: np.ndarray, ok: np.ndarray, L: int, backend: str) -> tuple[np.ndarray, np.ndarray]:
    """(order, new): the eligible positions grouped so that positions with the same first L tokens are
    contiguous, and a flag at the start of each group. ``seq`` holds dense token ids >= 1 and separators 0."""
    if not ok.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    if backend == "divsufsort":
        try:
            from pydivsufsort import divsufsort, kasai
        except ImportError:  # the `dedup` extra is not installed: the plain doubling gives the same blocks, slower
            return suffix_blocks(seq, ok, L, "doubling")
        seq = np.ascontiguousarray(seq, dtype=np.uint32).copy()  # the library refuses read-only buffers
        sa = divsufsort(seq).astype(np.int64)
        lcp = kasai(seq, sa)  # lcp[r]: common prefix of the suffixes at ranks r and r + 1
        keep = ok[sa]
        prev = np.concatenate([[0], lcp[:-1]])[keep]
        order = sa[keep]
        # an ineligible suffix between two eligible ones shares fewer than L tokens with both (it holds a separator
        # within its first L), so an LCP >= L between neighbours in rank order is exactly "same window"
        new = prev < L
        new[0] = True
        return order, new
    if backend == "doubling":
        # Plain prefix doubling: rank of each position's first 2^a tokens, then its first L tokens as the pair of
        # ranks at q and q + L - 2^a. log2(L) + 1 sorts; kept as the reference the library is checked against.
        rank = seq.astype(np.int64)
        k = 1
        while 2 * k <= L:
            key = rank[:-k] * (int(rank.max()) + 1) + rank[k:]
            _, rank = np.unique(key, return_inverse=True)
            rank = rank.astype(np.int64)
            k *= 2
        m = len(seq) - L + 1
        cls_key = rank[:m] * (int(rank.max()) + 1) + rank[L - k:L - k + m]
        pos = np.flatnonzero(ok[:m])
        cls = cls_key[pos]
        o = np.lexsort((pos, cls))
        order, cls = pos[o], cls[o]
        new = np.ones(len(order), dtype=bool)
        new[1:] = cls[1:] != cls[:-1]
        return order, new
    raise ValueError(f"substring_dedup: backend must be divsufsort or doubling, not {backend!r}")


# --- reduce tasks ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartTask:
    folder: str  # the collected tables (c/)
    shards: tuple[str, ...]
    segments: tuple[tuple[int, int, int], ...]  # (shard index, first doc, end doc) in corpus order
    index: int
    out: str  # the partition's folder (p/)
    min_length: int
    backend: str


def _read_tokens(folder, shards, segments) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    toks, lens, sidx, ords = [], [], [], []
    for si, lo, hi in segments:
        nt = np.asarray(store.load(folder / f"{shards[si]}.ntok.npy"))
        off = np.concatenate([[0], np.cumsum(nt)])
        toks.append(store.load_rows(folder / f"{shards[si]}.tok.npy", int(off[lo]), int(off[hi])))
        lens.append(nt[lo:hi])
        sidx.append(np.full(hi - lo, si, dtype=np.int64))
        ords.append(np.arange(lo, hi, dtype=np.int64))
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    return cat(toks, U64), cat(lens, np.int64), cat(sidx, np.int64), cat(ords, np.int64)


def _window_keys(tok_seq: np.ndarray, pos: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """128-bit fingerprints of the L-token windows at ``pos`` (sequence positions), from the token hashes."""
    n = len(tok_seq)
    out = []
    for base, inv in ((_P, _P_INV), (_P2, _P2_INV)):
        c = np.zeros(n + 1, dtype=U64)
        np.cumsum(tok_seq * _powers(base, n), dtype=U64, out=c[1:])
        h = (c[pos + L] - c[pos]) * _powers(inv, n)[pos]
        out.append(store.mix64(h))
    return out[0], out[1]


def run_part_task(task: PartTask) -> int:
    """Suffix array of one partition: its blocks (same first L tokens) as a key-sorted table of fingerprints."""
    folder, out, L = as_path(task.folder), as_path(task.out), task.min_length
    tok, lens, sidx, ords = _read_tokens(folder, task.shards, task.segments)
    n, dstart, ok = _eligible(lens, L)
    tok_seq = np.zeros(n, dtype=U64)
    is_tok = np.ones(n, dtype=bool)
    is_tok[dstart + lens] = False  # the separators
    tok_seq[is_tok] = tok
    seq = np.zeros(n, dtype=np.uint32)
    if len(tok):
        _, dense = np.unique(tok, return_inverse=True)
        seq[is_tok] = dense.astype(np.uint32) + 1
    order, new = suffix_blocks(seq, ok, L, task.backend)
    starts = np.flatnonzero(new)
    cnt = np.diff(np.append(starts, len(order))).astype(np.int64)
    minpos = np.minimum.reduceat(order, starts) if len(order) else np.zeros(0, np.int64)
    k, k2 = _window_keys(tok_seq, minpos, L) if len(order) else (np.zeros(0, U64), np.zeros(0, U64))
    name = f"{task.index:05d}"
    for what, arr in (("order", order), ("bstart", starts.astype(np.int64)), ("cnt", cnt), ("minpos", minpos),
                      ("dstart", dstart), ("sidx", sidx), ("ords", ords)):
        store.save(out / f"{name}.{what}.npy", arr)
    w = store.ShardWriter(out, name)
    w.write_table(0, k, np.arange(len(k), dtype=np.uint32), k2)
    return int(len(starts))


@dataclass(frozen=True)
class MergeTask:
    folder: str  # p/
    parts: tuple[str, ...]  # the references' window tables (store.ref_shard names) first, then this run's partitions
    part: int
    n_ranges: int
    out: str
    index: str = ""  # where this key range's distinct windows go (the run's reference index, w/), "" for none
    ref_of: tuple[int, ...] = ()  # for each reference table: which ``against`` entry it belongs to


def run_merge_task(task: MergeTask) -> int:
    """One key range of every partition's window table: total count, and the partition with the first occurrence.
    Only windows occurring twice or more are written, routed to their partition. A reference's tables come first
    (their windows are earlier than any of this run's), count with their stored totals and are never routed; the
    run's own distinct windows of the range, with their counts in this run, become its index."""
    folder = as_path(task.folder)
    n_ref = len(task.ref_of)
    k, k2, uid = store.read_table_range(folder, task.parts, 0, task.part, task.n_ranges, True)
    pidx = (uid >> U64(32)).astype(np.int64)
    blk = (uid & U64(0xFFFFFFFF)).astype(np.int64)
    cnt = np.zeros(len(uid), dtype=np.int64)
    for p in np.unique(pidx):
        m = pidx == p
        cnt[m] = np.asarray(store.load(store.shard_file(folder, task.parts[p], "cnt")))[blk[m]]
    if len(k):
        o = np.lexsort((uid, k2, k))
        k, k2, uid, pidx, blk, cnt = k[o], k2[o], uid[o], pidx[o], blk[o], cnt[o]
        new = np.ones(len(k), dtype=bool)
        new[1:] = (k[1:] != k[:-1]) | (k2[1:] != k2[:-1])
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        total = np.add.reduceat(cnt, starts)[gid]
        own = pidx >= n_ref
        m = (total >= 2) & own
        # the reference holding the window's first occurrence (the first in against order), or -1
        first_p = pidx[starts][gid]
        ref = np.where(first_p < n_ref, np.asarray(task.ref_of + (-1,), dtype=np.int64)[np.minimum(first_p, n_ref)],
                       -1)
    else:
        new = m = own = np.zeros(0, dtype=bool)
        total = ref = np.zeros(0, dtype=np.int64)
    if task.index:
        _write_window_index(as_path(task.index), k[own], k2[own], cnt[own])
    store.save_routed(as_path(task.out), pidx[m] - n_ref, len(task.parts) - n_ref,
                      {"block": blk[m], "first": new[m].astype(np.uint8), "total": total[m], "ref": ref[m]})
    return int(m.sum())


def _write_window_index(base, k: np.ndarray, k2: np.ndarray, cnt: np.ndarray) -> None:
    """This run's distinct windows of one key range, sorted by (k, k2), with their occurrence counts in this run:
    what a later run reads as a reference (docs/dedup.md, "substring_dedup's index")."""
    if len(k):
        new = np.ones(len(k), dtype=bool)
        new[1:] = (k[1:] != k[:-1]) | (k2[1:] != k2[:-1])
        starts = np.flatnonzero(new)
        k, k2, cnt = k[starts], k2[starts], np.add.reduceat(cnt, starts)
    w = store.ShardWriter(base.parent, base.name)
    store.save(w.path("cnt"), np.asarray(cnt, dtype=np.int64))
    store.save(w.path("t0k2"), np.asarray(k2, dtype=U64))
    store.save(w.path("t0o"), np.arange(len(k), dtype=np.uint32))
    store.save(w.path("t0k"), np.asarray(k, dtype=U64))  # written last, like a shard's table


@dataclass(frozen=True)
class MarkTask:
    folder: str  # p/
    index: int
    inputs: tuple[str, ...]
    n_shards: int
    min_length: int
    out: str


def run_mark_task(task: MarkTask) -> int:
    """Cover every occurrence of a repeated window but its first; merge the covered windows into spans."""
    folder, L, name = as_path(task.folder), task.min_length, f"{task.index:05d}"
    ld = (lambda what: np.asarray(store.load(folder / f"{name}.{what}.npy")))
    order, bstart, cnt, minpos = ld("order"), ld("bstart"), ld("cnt"), ld("minpos")
    d = store.read_routed([as_path(p) for p in task.inputs], task.index, ("block", "first", "total", "ref"))
    nb = len(bstart)
    total = np.zeros(nb, dtype=np.int64)
    first = np.zeros(nb, dtype=bool)
    refbit = np.zeros(nb, dtype=np.int64)
    blk = d["block"].astype(np.int64)
    total[blk] = d["total"].astype(np.int64)
    first[blk] = d["first"].astype(bool)
    r = d["ref"].astype(np.int64)
    refbit[blk] = np.where(r >= 0, np.left_shift(1, np.maximum(r, 0)), 0)  # which reference holds it, as a bit
    gid = np.repeat(np.arange(nb), cnt)
    marked = (total[gid] >= 2) & ~(first[gid] & (order == minpos[gid]))
    q, tot, rb = order[marked], total[gid][marked], refbit[gid][marked]
    o = np.argsort(q, kind="stable")
    q, tot, rb = q[o], tot[o], rb[o]
    if len(q):
        new = np.ones(len(q), dtype=bool)
        new[1:] = q[1:] > q[:-1] + L  # windows that overlap or touch make one span
        s = np.flatnonzero(new)
        span_start, span_end = q[s], np.append(q[s[1:] - 1], q[-1]) + L
        span_cnt = np.minimum.reduceat(tot, s)
        span_ref = np.bitwise_or.reduceat(rb, s)
    else:
        span_start = span_end = span_cnt = span_ref = np.zeros(0, dtype=np.int64)
    dstart, sidx, ords = ld("dstart"), ld("sidx"), ld("ords")
    di = np.searchsorted(dstart, span_start, side="right") - 1
    store.save_routed(as_path(task.out), sidx[di] if len(di) else np.zeros(0, np.int64), task.n_shards,
                      {"ord": ords[di] if len(di) else np.zeros(0, np.int64), "t0": span_start - dstart[di],
                       "t1": span_end - dstart[di], "count": span_cnt, "ref": span_ref})
    return int(len(span_start))


@dataclass(frozen=True)
class SpanDecideTask:
    folder: str  # c/
    shards: tuple[str, ...]
    inputs: tuple[str, ...]
    shard_index: int
    out: str
    labels: tuple[str, ...] = ()  # the ``against`` entries, in order (a span's reference bits name them)


def run_span_decide_task(task: SpanDecideTask) -> int:
    info = store.DocInfo(as_path(task.folder), list(task.shards))
    d = store.read_routed([as_path(p) for p in task.inputs], task.shard_index, ("ord", "t0", "t1", "count", "ref"))
    o = np.lexsort((d["t0"], d["ord"]))
    rows: dict[int, list] = {}
    for od, t0, t1, c, rb in zip(*(d[n][o].tolist() for n in ("ord", "t0", "t1", "count", "ref"))):
        span = [t0, t1, c]
        if rb:  # some of the span's windows are in a reference index: the edit names those references
            span.append(sorted(lab for j, lab in enumerate(task.labels) if rb >> j & 1))
        rows.setdefault(od, []).append(span)
    out = [[od, info.doc_id((task.shard_index << 32) | od), spans] for od, spans in sorted(rows.items())]
    with atomic_path(as_path(task.out)) as tmp:
        tmp.write_bytes(orjson.dumps({"rows": out}))
    return len(out)


def partitions(ntoks: list[np.ndarray], budget_tokens: int) -> list[list[tuple[int, int, int]]]:
    """Cut the corpus (documents in order) into contiguous ranges of about ``budget_tokens`` tokens each: a
    document goes to the partition its first token falls in."""
    parts: dict[int, list[tuple[int, int, int]]] = {}
    base = 0
    for si, nt in enumerate(ntoks):
        off = base + np.concatenate([[0], np.cumsum(nt)[:-1]]) if len(nt) else np.zeros(0, np.int64)
        p = (off // max(budget_tokens, 1)).astype(np.int64)
        if len(p):
            cuts = np.flatnonzero(np.diff(p)) + 1
            for lo, hi in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(p)]]).tolist()):
                parts.setdefault(int(p[lo]), []).append((si, lo, hi))
        base += int(nt.sum())
    return [parts[k] for k in sorted(parts)]


@register("substring_dedup")
@dataclass
class SubstringDedup(_DedupStep):
    """Remove every span of at least ``min_length`` tokens that occurs earlier in the corpus (suffix arrays, as in
    Lee et al. 2022); each removal is an edit with the span's count."""

    # 50 tokens as in Lee et al. (their tokens are GPT-2 BPE pieces; a token here is a whitespace-separated word,
    # ~1.3 BPE pieces in English, so 50 words is a slightly longer, more conservative span).
    min_length: int = 50
    min_words: int = 10  # a document left with fewer words is dropped
    memory_mb: int = 512
    backend: str = "divsufsort"  # divsufsort (pydivsufsort) | doubling (numpy prefix doubling, slower)
    # Reference indexes (run folders or index folders, docs/dedup.md): spans they hold are removed here without
    # reading their documents (edit reason substring_in_reference); their copy counts as the earliest.
    against: list[str] = field(default_factory=list)
    REASONS = ("repeated_substring", "too_short_after_dedup", "substring_in_reference")
    THRESHOLDS = {"min_words": ("substring_dedup.words_left", "<", "too_short_after_dedup")}
    INDEX_PARAMS = ("min_length",)
    STYLE = "spans"
    BYTES_PER_TOKEN: ClassVar[int] = BYTES_PER_TOKEN
    MAX_REFERENCES: ClassVar[int] = 63  # a span names its references as bits of one int64

    def validate(self) -> None:
        super().validate()
        if self.min_length < 2:
            raise ValueError(f"substring_dedup: min_length must be at least 2 tokens, got {self.min_length}")
        if self.min_words < 0:
            raise ValueError(f"substring_dedup: min_words must be >= 0, got {self.min_words}")
        if self.backend not in ("divsufsort", "doubling"):
            raise ValueError(f"substring_dedup: backend must be divsufsort or doubling, not {self.backend!r}")
        if len(self.against) > self.MAX_REFERENCES:
            raise ValueError(f"substring_dedup: at most {self.MAX_REFERENCES} references in against, got "
                             f"{len(self.against)}")

    def _start_tables(self) -> None:
        self._tok: list[np.ndarray] = []

    def _collect(self, o: int, doc: Document) -> None:
        self._tok.append(token_spans(doc.text)[0])

    def _write_tables(self, w: store.ShardWriter) -> None:
        store.save(w.path("tok"), np.concatenate(self._tok) if self._tok else np.zeros(0, U64))
        store.save(w.path("ntok"), np.array([len(t) for t in self._tok], dtype=np.int64))
        self._tok = []

    def reduce(self, ctx: Context) -> None:
        self.validate()
        work = ctx.work_dir
        folder = work / "c"
        shards = tuple(store.shard_names(folder))
        ntoks = [np.asarray(store.load(folder / f"{s}.ntok.npy")) for s in shards]
        budget = max(1, self.memory_mb * (1 << 20) // self.BYTES_PER_TOKEN)
        plan = partitions(ntoks, budget)
        (work / "p").mkdir(exist_ok=True)
        tasks = [PartTask(str(folder), shards, tuple(seg), i, str(work / "p"), self.min_length, self.backend)
                 for i, seg in enumerate(plan)]
        store.phase(work, "sa", lambda: sum(ctx.map(run_part_task, tasks)))
        names = tuple(f"{i:05d}" for i in range(len(plan)))
        refs = self.references()
        ref_tables = tuple(store.ref_shard(r.label, str(r.tables), s) for r in refs for s in r.shards)
        ref_of = tuple(j for j, r in enumerate(refs) for _ in r.shards)
        ref_rows = sum(int(orjson.loads((r.tables.parent / "index.json").read_bytes())["windows"]) for r in refs)
        rows = sum(len(store.load(work / "p" / f"{n}.t0k.npy")) for n in names) + ref_rows
        n_ranges = store.parts_for(rows, 96, self.memory_mb)
        (work / "m").mkdir(exist_ok=True)
        (work / "w").mkdir(exist_ok=True)
        mtasks = [MergeTask(str(work / "p"), ref_tables + names, r, n_ranges, str(work / "m" / f"{r:05d}"),
                            str(work / "w" / f"{r:05d}"), ref_of) for r in range(n_ranges)]
        store.phase(work, "merge", lambda: sum(ctx.map(run_merge_task, mtasks)))
        (work / "k").mkdir(exist_ok=True)
        ktasks = [MarkTask(str(work / "p"), i, tuple(t.out for t in mtasks), len(shards), self.min_length,
                           str(work / "k" / f"{i:05d}")) for i in range(len(plan))]
        store.phase(work, "mark", lambda: sum(ctx.map(run_mark_task, ktasks)))
        (work / "d").mkdir(exist_ok=True)
        labels = tuple(r.label for r in refs)
        dtasks = [SpanDecideTask(str(folder), shards, tuple(t.out for t in ktasks), i, str(work / "d" / f"{s}.json"),
                                 labels) for i, s in enumerate(shards)]
        store.phase(work, "decide", lambda: sum(ctx.map(run_span_decide_task, dtasks)))
        self._ranges = n_ranges
        self._write_index(ctx, shards)
        for sub in ("p", "m", "k"):
            remove_tree(work / sub)

    def _index_manifest(self, ctx: Context, shards: tuple[str, ...]) -> dict[str, Any]:
        """The index is the run's distinct windows (w/, one key-sorted table per merge range with each window's
        count), not the collected token hashes: a later run compares fingerprints and builds no suffix array
        over the reference."""
        man = super()._index_manifest(ctx, shards)
        names = [f"{r:05d}" for r in range(self._ranges)]
        man.update(tables="w", shards=names,
                   windows=int(sum(len(store.load(ctx.work_dir / "w" / f"{n}.t0k.npy")) for n in names)))
        return man

    def process(self, doc: Document) -> Document:
        row = self._row(doc)
        if row is None:
            return doc
        text = doc.text
        _, cs, ce = token_spans(text)
        n = len(cs)
        spans = []
        refs: set[str] = set()
        for t0, t1, count, *ref in row[1]:
            if ref:
                refs.update(ref[0])
            if t1 > n:
                raise RuntimeError(f"substring_dedup: document {doc.id!r} has {n} tokens, the decision names "
                                   f"token {t1}; the apply pass must see the text the collect pass saw")
            s = int(cs[t0])
            if t1 < n:
                e = int(cs[t1])  # the whitespace after the span goes with it
            else:
                e = len(text)
                lo = spans[-1][1] if spans else 0
                s = int(ce[t0 - 1]) if t0 > 0 and int(ce[t0 - 1]) >= lo else s  # at the end: the space before
            spans.append((s, e, "substring_in_reference" if ref else "repeated_substring", float(count)))
        doc.remove_spans(self.name, spans)
        words = len(doc.text.split())
        doc.attributes[f"{self.name}.removed_tokens"] = int(sum(sp[1] - sp[0] for sp in row[1]))
        if refs:
            doc.attributes[f"{self.name}.reference"] = sorted(refs)
        doc.attributes[f"{self.name}.words_left"] = words
        if words < self.min_words:
            doc.drop = Drop(self.name, "too_short_after_dedup", float(words), float(self.min_words))
        return doc
