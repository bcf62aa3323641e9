"""Corpus-wide deduplication: exact, near-duplicate (MinHash-LSH), repeated lines, and URLs.

Every step is a ``CorpusStep`` in three passes:

1. collect: each shard writes compact keys (hashes, MinHash band keys, line hashes) as key-sorted tables,
2. reduce: key ranges of those tables are grouped in parallel (``ctx.map``), near-duplicate buckets become edges,
   edges become connected components in partitioned large-star / small-star rounds, each component chooses its
   keeper, and one small decisions file per shard is written,
3. apply: each shard reads its own decisions and drops, annotates or edits its documents.

Memory: a reduce task holds one slice of the keys or edges, and the number of slices is computed from the data
size and ``memory_mb`` (per task, so peak RSS is about workers x memory_mb). Nothing depends on the number of
workers and every sort has a full tie-break, so 1 or N workers give byte-identical output. A killed reduce resumes
at the phase it was in (phase markers in the step's work folder).

Which document of a group is kept is declared by ``keep``: ``first`` (the earliest in corpus order: shard name,
then position in the shard) or ``longest`` (most characters, then the earliest).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import orjson

from ..document import Document, Drop
from ..io.base import as_path, atomic_path, remove_tree
from ..registry import register
from ..step import Context, CorpusStep
from . import _dedup_store as store

__all__ = ["ExactDedup", "MinhashDedup", "LineDedup", "UrlDedup", "MinHasher", "normalize_url", "tokens"]

_KEEP = ("first", "longest")


def _h128(s: str) -> tuple[int, int]:
    d = hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return int.from_bytes(d[:8], "little"), int.from_bytes(d[8:], "little")


INDEX_FORMAT = "winnow-dedup-index"
INDEX_VERSION = 1


@dataclass(frozen=True)
class Reference:
    """A reference index (``against``): the label the user gave, the folder of its key tables, its shards."""

    label: str
    tables: Any  # Path | RemotePath of the index's ``c/`` folder
    shards: tuple[str, ...]


class _DedupStep(CorpusStep):
    """Shared plumbing: per-document bookkeeping in collect, decisions by ordinal in apply, the Python API."""

    STYLE: ClassVar[str] = "hash"
    # Parameters that decide the keys an index holds: a reference must have been built with the same values.
    INDEX_PARAMS: ClassVar[tuple[str, ...]] = ()
    REF_REASON: ClassVar[str] = "duplicate_in_reference"

    # --- collect --------------------------------------------------------------------------------------------
    def start_collect(self, ctx: Context) -> None:
        self._lens: list[int] = []
        self._ids: list[str] = []
        self._start_tables()

    def _start_tables(self) -> None:
        self._k: list[int] = []
        self._k2: list[int] = []
        self._o: list[int] = []

    def collect(self, doc: Document) -> None:
        o = len(self._ids)
        # the document's own rows first: if they raise, the runner quarantines the document and it gets no ordinal
        # (pass 3 never sees it, and the next document takes this ordinal), so the rows it did add are taken back:
        # they would be counted as the next document's (a budget stop can land between any two appends)
        mark = self._rows_mark()
        try:
            self._collect(o, doc)
        except BaseException:
            self._rows_back(mark, o)
            raise
        self._ids.append(doc.id)
        self._lens.append(len(doc.text))

    def _rows_mark(self) -> tuple:
        # (substring_dedup keeps one array a document, appended whole: nothing to take back)
        if not hasattr(self, "_k"):
            return ()
        return len(self._k), len(self._k2), len(self._o)

    def _rows_back(self, mark: tuple, o: int) -> None:
        if not mark:
            return
        n = min(mark[0], len(self._k), len(self._k2), len(self._o))
        del self._k[n:], self._k2[n:], self._o[n:]

    def _collect(self, o: int, doc: Document) -> None:
        raise NotImplementedError

    def finish_collect(self, ctx: Context) -> None:
        w = store.ShardWriter(ctx.work_dir / "c", ctx.shard)
        self._write_tables(w)
        w.write_docs(self._lens, self._ids)  # written last: the reduce lists shards by this file

    def _write_tables(self, w: store.ShardWriter) -> None:
        w.write_table(0, np.array(self._k, dtype=np.uint64), np.array(self._o, dtype=np.uint32),
                      np.array(self._k2, dtype=np.uint64))

    def validate(self) -> None:
        """Every parameter's range before a run: a bad one used to surface in the reduce, after pass 1."""
        super().validate()
        against = getattr(self, "against", [])
        if not isinstance(against, list) or not all(isinstance(a, str) and a for a in against):
            raise ValueError(f"{self.name}: against must be a list of run folders or index folders")
        if against:  # a missing or mismatched index is said before the collect pass, not after it
            self.references()
        if hasattr(self, "keep"):
            self._check_keep()
        if getattr(self, "memory_mb", 1) < 16:
            raise ValueError(f"{self.name}: memory_mb must be at least 16 (the reduce's partitions), "
                             f"got {self.memory_mb}")

    # --- reduce ---------------------------------------------------------------------------------------------
    def _check_keep(self) -> None:
        if self.keep not in _KEEP:
            raise ValueError(f"{self.name}: keep must be one of {_KEEP}, not {self.keep!r}")

    def _group_exact(self, ctx: Context, folder: Path, shards: tuple[str, ...]) -> list[Path]:
        """Phase A for steps whose groups are final (equal keys): rows routed to the member's shard."""
        rows = _table_rows(folder, shards)
        parts = store.parts_for(rows, 96, self.memory_mb)
        out = ctx.work_dir / "a"
        out.mkdir(exist_ok=True)
        tasks = [store.TableTask(str(folder), shards, 0, p, parts, "exact", str(out / f"t0-{p:05d}"), self.keep,
                                 has_k2=True) for p in range(parts)]
        store.phase(ctx.work_dir, "groups", lambda: sum(ctx.map(store.run_table_task, tasks)))
        return [as_path(t.out) for t in tasks]

    def _decide(self, ctx: Context, folder: Path, shards: tuple[str, ...], runs: list[Path]) -> None:
        out = ctx.work_dir / "d"
        out.mkdir(exist_ok=True)
        tasks = [store.DecideTask(str(folder), shards, tuple(str(r) for r in runs), i, str(out / f"{s}.json"),
                                  self.STYLE) for i, s in enumerate(shards) if not store.is_ref(s)]
        store.phase(ctx.work_dir, "decide", lambda: sum(ctx.map(store.run_decide_task, tasks)))
        self._write_index(ctx, shards)

    def reduce(self, ctx: Context) -> None:
        self._check_keep()
        folder = ctx.work_dir / "c"
        shards = self._all_shards(folder)
        self._decide(ctx, folder, shards, self._group_exact(ctx, folder, shards))
        _cleanup(ctx.work_dir)

    # --- reference indexes (``against``) --------------------------------------------------------------------
    def _index_params(self) -> dict[str, Any]:
        return {p: getattr(self, p) for p in self.INDEX_PARAMS}

    def _index_manifest(self, ctx: Context, shards: tuple[str, ...]) -> dict[str, Any]:
        own = [s for s in shards if not store.is_ref(s)]
        return {"format": INDEX_FORMAT, "version": INDEX_VERSION, "step": self.name, "params": self._index_params(),
                "tables": "c", "shards": own, "signatures": bool(getattr(self, "verify", 0) > 0),
                "documents": int(sum(len(store.load(ctx.work_dir / "c" / f"{s}.len.npy")) for s in own)),
                "against": list(self.against)}

    def _write_index(self, ctx: Context, shards: tuple[str, ...]) -> None:
        """The manifest that makes this step's collected tables a reference index for later runs (docs/dedup.md)."""
        man = self._index_manifest(ctx, shards)
        with atomic_path(ctx.work_dir / "index.json") as tmp:
            tmp.write_bytes(orjson.dumps(man, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))

    def references(self) -> list[Reference]:
        """Resolve ``against``: each entry is an index folder (holding ``index.json``), that file itself, or a run
        folder holding exactly one index of this step. The reference's documents are never read."""
        out = []
        for entry in self.against:
            path = as_path(entry)
            if path.name == "index.json":
                path = path.parent
            if (path / "index.json").exists():
                found = [path]
            else:
                found = sorted({m.parent for m in (path / "work").glob("*/*/index.json")}, key=str)
                found = [f for f in found if orjson.loads((f / "index.json").read_bytes()).get("step") == self.name]
                if not found:
                    raise ValueError(f"{self.name}: against {entry!r}: no {self.name} index there (a run folder "
                                     f"whose {self.name} finished, or a folder holding index.json)")
                if len(found) > 1:
                    raise ValueError(f"{self.name}: against {entry!r}: {len(found)} {self.name} indexes in that run "
                                     f"({', '.join(str(f) for f in found)}); name one of those folders")
            man = orjson.loads((found[0] / "index.json").read_bytes())
            if man.get("format") != INDEX_FORMAT or man.get("version") != INDEX_VERSION:
                raise ValueError(f"{self.name}: against {entry!r}: not a version-{INDEX_VERSION} {INDEX_FORMAT} "
                                 f"(format {man.get('format')!r}, version {man.get('version')!r})")
            if man.get("step") != self.name:
                raise ValueError(f"{self.name}: against {entry!r}: that index was written by {man.get('step')}")
            mine = self._index_params()
            if man.get("params") != mine:
                raise ValueError(f"{self.name}: against {entry!r}: the index was built with {man.get('params')}, "
                                 f"this step has {mine}; its keys would not compare")
            if getattr(self, "verify", 0) > 0 and not man.get("signatures"):
                raise ValueError(f"{self.name}: against {entry!r}: the index holds no signatures (built with "
                                 f"verify: 0), so candidates cannot be verified; use verify: 0")
            out.append(Reference(entry, found[0] / man.get("tables", "c"), tuple(man["shards"])))
        return out

    def _all_shards(self, folder) -> tuple[str, ...]:
        """The references' shards first (their documents come first in corpus order), then this run's."""
        refs = tuple(store.ref_shard(r.label, str(r.tables), s) for r in self.references() for s in r.shards)
        return refs + tuple(store.shard_names(folder))

    # --- apply ----------------------------------------------------------------------------------------------
    def setup(self, ctx: Context) -> None:
        self._ord = 0
        self._rows: dict[int, list] = {}
        if ctx.work_dir is None:
            return
        path = ctx.work_dir / "d" / f"{ctx.shard}.json"
        try:  # one request on an object store, not an existence check and then a read
            raw = path.read_bytes()
        except FileNotFoundError:
            # The reduce writes one for every shard it collected, rows or none: missing beside the shard's tables, it
            # was lost (read as no decisions, every duplicate of the shard was kept unmarked); a shard never
            # collected (no documents reached the step) has neither
            if (ctx.work_dir / "c" / f"{ctx.shard}.len.npy").exists():
                raise ValueError(f"{path}: this run folder's {self.name} decisions for a collected shard are missing: "
                                 "the folder is damaged; run the pipeline again into a new folder") from None
            return
        try:
            self._rows = {r[0]: r[1:] for r in orjson.loads(raw)["rows"]}
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            # a decision file cut short or edited (orjson's error names no file): the stage stops on it (a retry
            # reads the same file), so the message says which file and what to do
            raise ValueError(f"{path}: this run folder's {self.name} decisions cannot be read ({exc!r}): the folder "
                             f"is damaged; run the pipeline again into a new folder") from exc

    def _row(self, doc: Document) -> list | None:
        o = self._ord
        self._ord += 1
        row = self._rows.get(o)
        if row is not None and row[0] != doc.id:
            raise RuntimeError(f"{self.name}: document {o} of this shard is {doc.id!r} but was collected as "
                               f"{row[0]!r}; the apply pass must see the documents the collect pass saw, in order")
        return row

    def skipped(self) -> None:
        # a document quarantined before this step in the apply pass keeps its ordinal: without this, every later
        # document of the shard was matched with the row of the one before it (a step_error each, or no decision)
        self._ord += 1

    def process(self, doc: Document) -> Document:
        row = self._row(doc)
        if row is None:
            return doc
        _, kept_id, cluster, size, is_keeper, reference = row
        name = self.name
        doc.attributes[f"{name}.cluster"] = cluster
        doc.attributes[f"{name}.cluster_size"] = size
        doc.attributes[f"{name}.kept_id"] = kept_id
        if reference is not None:  # the kept copy is in a reference index: say which, so explain can
            doc.attributes[f"{name}.reference"] = reference
        if not is_keeper:
            doc.drop = Drop(name, self.REASONS[0] if reference is None else self.REF_REASON, None, None)
        return doc

    # --- Python API -------------------------------------------------------------------------------------------
    def __call__(self, docs: Iterable[Document], ctx: Context | None = None) -> Iterator[Document]:
        """Collect, reduce and apply over an iterable in this process (documents are spooled to a temporary file
        between the passes, so memory stays bounded here too)."""
        tmp = Path(tempfile.mkdtemp(prefix="winnow-dedup-"))
        try:
            c = Context(work_dir=tmp / "w", shard="00000", map=lambda fn, xs: [fn(x) for x in xs])
            c.work_dir.mkdir()
            self.start_collect(c)
            with open(tmp / "docs.jsonl", "wb") as f:
                for d in docs:
                    self.collect(d)
                    f.write(d.to_json() + b"\n")
            self.finish_collect(c)
            self.reduce(c)
            self.setup(c)
            with open(tmp / "docs.jsonl", "rb") as f:
                for line in f:
                    yield self.process(Document.from_json(line))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _table_rows(folder, shards: tuple[str, ...]) -> int:
    return sum(len(store.load(store.shard_file(folder, s, "t0k"))) for s in shards)


def _cleanup(work) -> None:
    """Intermediate runs are not needed once the decisions exist; the collected tables stay for inspection."""
    for sub in ("a", "cc", "k"):
        remove_tree(work / sub)


# --- exact ---------------------------------------------------------------------------------------------------

_NONWORD = re.compile(r"[\W_]+")


def normalize_text(text: str, mode: str) -> str:
    if mode == "none":
        return text
    if mode == "whitespace":
        return " ".join(text.split())
    if mode == "lowercase_punctuation":
        return " ".join(_NONWORD.sub(" ", text.lower()).split())
    raise ValueError(f"exact_dedup: normalize must be none, whitespace or lowercase_punctuation, not {mode!r}")


@register("exact_dedup")
@dataclass
class ExactDedup(_DedupStep):
    """Drop documents whose text equals an earlier one after a declared normalisation (128-bit content hash)."""

    normalize: str = "whitespace"  # none | whitespace | lowercase_punctuation
    keep: str = "first"  # first | longest
    memory_mb: int = 512
    # Reference indexes (run folders or index folders, docs/dedup.md): what they hold is dropped here, without
    # reading their documents; their copy counts as the earliest.
    against: list[str] = field(default_factory=list)
    REASONS = ("exact_duplicate", "duplicate_in_reference")
    INDEX_PARAMS = ("normalize",)

    def validate(self) -> None:
        super().validate()
        normalize_text("", self.normalize)  # raises ValueError naming the choices

    def _collect(self, o: int, doc: Document) -> None:
        k, k2 = _h128(normalize_text(doc.text, self.normalize))
        self._k.append(k)
        self._k2.append(k2)
        self._o.append(o)


# --- url -----------------------------------------------------------------------------------------------------

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_ga|igshid|ref_src)$", re.I)


def normalize_url(url: str) -> str:
    """Scheme and host lower-cased, ``www.`` and default ports dropped, fragment and tracking parameters removed,
    the remaining query parameters sorted, a trailing slash dropped. http and https are the same page."""
    url = url.strip()
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    host = (p.hostname or "").rstrip(".")
    if not host:
        return ""  # no host: not a URL that two pages can share
    if host.startswith("www."):
        host = host[4:]
    port = p.port if p.port not in (None, 80, 443) else None
    netloc = host + (f":{port}" if port else "")
    path = re.sub(r"/{2,}", "/", p.path or "/")
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not _TRACKING.match(k)))
    return urlunsplit(("", netloc, path, query, ""))


@register("url_dedup")
@dataclass
class UrlDedup(_DedupStep):
    """Drop documents whose normalised URL (metadata field ``url_key``) was already seen; documents without one
    are kept."""

    url_key: str = "url"
    keep: str = "first"  # first | longest
    memory_mb: int = 512
    # Reference indexes (run folders or index folders, docs/dedup.md): what they hold is dropped here, without
    # reading their documents; their copy counts as the earliest.
    against: list[str] = field(default_factory=list)
    REASONS = ("duplicate_url", "duplicate_in_reference")
    INDEX_PARAMS = ()  # the key is the normalised URL, wherever it was read from

    def _collect(self, o: int, doc: Document) -> None:
        url = doc.metadata.get(self.url_key)
        if not isinstance(url, str) or not url.strip():
            return
        norm = normalize_url(url)
        if not norm:
            return
        k, k2 = _h128(norm)
        self._k.append(k)
        self._k2.append(k2)
        self._o.append(o)


# --- MinHash -------------------------------------------------------------------------------------------------

_P = 0x100000001B3  # odd, so invertible modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)

# Tokenisation on UTF-8 bytes, vectorised: a word is a run of ASCII letters and digits or non-ASCII characters;
# ASCII punctuation and spaces separate words, and so do the common non-ASCII separators (U+2000-U+206F: dashes,
# curly quotes, bullets, ellipsis, odd spaces; U+00A0-U+00BF: no-break space, guillemets, middle dot; U+3000-U+303F:
# ideographic space and punctuation). Ideographs and kana (U+3040-U+9FFF) are one word per character, since those
# scripts do not separate words with spaces.
_WORD_BYTE = np.zeros(256, dtype=bool)
for _r in (range(48, 58), range(65, 91), range(97, 123), range(128, 256)):
    _WORD_BYTE[list(_r)] = True


def _word_mask(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is-word-byte mask, positions where a word must start even inside a run)."""
    w = _WORD_BYTE[b]
    if len(b) >= 3 and (b >= 0xC2).any():
        b0, b1 = b[:-2], b[1:-1]
        sep3 = np.flatnonzero(((b0 == 0xE2) & ((b1 == 0x80) | (b1 == 0x81))) | ((b0 == 0xE3) & (b1 == 0x80)))
        for k in range(3):
            w[sep3 + k] = False
        sep2 = np.flatnonzero((b[:-1] == 0xC2) & (b[1:] >= 0xA0) & (b[1:] <= 0xBF))
        w[sep2] = False
        w[sep2 + 1] = False
        cjk = np.flatnonzero(((b0 == 0xE3) & (b1 >= 0x81)) | ((b0 >= 0xE4) & (b0 <= 0xE9)))
        forced = np.concatenate([cjk, cjk + 3])
        forced = forced[forced < len(b)]
    else:
        forced = np.zeros(0, dtype=np.int64)
    return w, forced


def _word_starts(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, forced = _word_mask(b)
    start = w.copy()
    start[1:] &= ~w[:-1]
    if len(forced):
        start[forced] |= w[forced]
    return np.flatnonzero(start), w


def tokens(text: str) -> list[str]:
    """The words MinHash shingles are made of: lower-cased, punctuation dropped (see the byte rules above)."""
    data = text.lower().encode("utf-8", "surrogatepass")
    b = np.frombuffer(data, dtype=np.uint8)
    if not len(b):
        return []
    starts, w = _word_starts(b)
    gaps = np.append(np.flatnonzero(~w), len(b))
    ends = np.minimum(gaps[np.searchsorted(gaps, starts)], np.append(starts[1:], len(b)))
    return [data[a:e].decode("utf-8", "replace") for a, e in zip(starts.tolist(), ends.tolist())]


class MinHasher:
    """MinHash signatures of word n-gram sets for a batch of documents, with numpy only.

    Word hashes: one polynomial hash over the UTF-8 bytes of the whole batch, cut per word with ``add.reduceat``
    and re-based with modular inverse powers, then mixed. n-gram hashes combine n word hashes. Permutations are
    multiply-add-shift hashes ``(a*x + b) mod 2**64 >> 32`` of the 32-bit shingle hash, a strongly universal family.
    """

    def __init__(self, ngram: int, num_perm: int, seed: int = 1):
        self.ngram, self.num_perm = ngram, num_perm
        base = np.arange(2 * num_perm, dtype=np.uint64) + np.uint64(seed * 0x10000)
        r = store.mix64(base)
        self.a = (r[:num_perm] | np.uint64(1))[None, :]
        self.b = r[num_perm:][None, :]
        self.c = store.mix64(np.arange(ngram, dtype=np.uint64) + np.uint64(0xC0FFEE + seed)) | np.uint64(1)
        self._pow = np.ones(1, dtype=np.uint64)
        self._inv = np.ones(1, dtype=np.uint64)

    def _powers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._pow) < n:
            m = max(n, 2 * len(self._pow))
            for attr, base in (("_pow", _P), ("_inv", _P_INV)):
                a = np.full(m, base, dtype=np.uint64)
                a[0] = 1
                setattr(self, attr, np.cumprod(a, dtype=np.uint64))
        return self._pow[:n], self._inv[:n]

    def signatures(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(D x num_perm uint32 signatures, D bools: had at least one word) for a batch of texts."""
        D, K, n = len(texts), self.num_perm, self.ngram
        sig = np.full((K, D), 0xFFFFFFFF, dtype=np.uint64)
        # documents joined by a separator byte, so no word spans two of them
        parts = [t.lower().encode("utf-8", "surrogatepass") for t in texts]
        data = b"\n".join(parts)
        b = np.frombuffer(data, dtype=np.uint8)
        starts, w = _word_starts(b) if len(b) else (np.zeros(0, np.int64), np.zeros(0, bool))
        W = len(starts)
        if W == 0:
            return np.ascontiguousarray(sig.T).astype(np.uint32), np.zeros(D, dtype=bool)
        doc_off = np.zeros(D, dtype=np.int64)
        if D > 1:
            doc_off[1:] = np.cumsum([len(x) + 1 for x in parts[:-1]])
        wdoc = np.searchsorted(doc_off, starts, side="right") - 1
        counts = np.bincount(wdoc, minlength=D)
        pw, inv = self._powers(len(b))
        c = b.astype(np.uint64) * pw
        c[~w] = 0  # separators add nothing to the word before them
        h = store.mix64(np.add.reduceat(c, starts) * inv[starts])
        # n-grams that stay inside one document
        if W >= n:
            m = W - n + 1
            g = h[:m] * self.c[0]
            for t in range(1, n):
                g += h[t:t + m] * self.c[t]
            valid = wdoc[:m] == wdoc[n - 1:]
            sh, shd = g[valid], wdoc[:m][valid]
        else:
            sh = shd = np.zeros(0, dtype=np.uint64)
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):  # a document shorter than n words is one shingle of all its words
            wstart = np.concatenate([[0], np.cumsum(counts)[:-1]])
            extra = np.array([int(np.sum(h[wstart[d]:wstart[d] + counts[d]] * self.c[:counts[d]], dtype=np.uint64))
                              for d in short], dtype=np.uint64)
            sh = np.concatenate([sh, extra])
            shd = np.concatenate([shd, short]).astype(np.int64)
            order = np.argsort(shd, kind="stable")
            sh, shd = sh[order], shd[order]
        sh = store.mix64(sh) >> np.uint64(32)
        # permutations x shingles: the reduction then runs along contiguous memory (3-4x faster than the transpose)
        chunk = max(1, (1 << 21) // K)
        for r0 in range(0, len(sh), chunk):
            block = self.a.T * sh[None, r0:r0 + chunk]
            block += self.b.T
            block >>= np.uint64(32)
            dd = shd[r0:r0 + chunk]
            runs = np.flatnonzero(np.concatenate([[True], dd[1:] != dd[:-1]]))
            mins = np.minimum.reduceat(block, runs, axis=1)
            di = dd[runs]
            sig[:, di] = np.minimum(sig[:, di], mins)
        return np.ascontiguousarray(sig.T).astype(np.uint32), counts > 0

    @staticmethod
    def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
        """D x bands uint64: one hash of each band's rows."""
        D = sig.shape[0]
        out = np.empty((D, bands), dtype=np.uint64)
        for j in range(bands):
            h = np.full(D, 0x51ED270B + j, dtype=np.uint64)
            for t in range(j * rows, (j + 1) * rows):
                h = store.mix64(h ^ sig[:, t].astype(np.uint64))
            out[:, j] = h
        return out


_BATCH_CHARS = 2_000_000  # characters signed together: amortises numpy's call overhead, bounds the batch


@register("minhash_dedup")
@dataclass
class MinhashDedup(_DedupStep):
    """Near-duplicates by MinHash-LSH over word n-grams (bands x rows); one document per connected component kept."""

    # Defaults from bench/dedup.py's sweep on the labelled web set: 18 x 6 (LSH threshold ~0.62) with candidates
    # verified at 0.5 finds 80% of the edited copies with no false removal, where FineWeb's 14 x 8 (verify 0)
    # finds 65%; bands: 14, rows: 8, verify: 0 reproduces FineWeb.
    ngram: int = 5
    bands: int = 18
    rows: int = 6
    # Candidate pairs whose signatures agree on fewer than this share of permutations (an estimate of their
    # Jaccard similarity) are not linked: cuts the LSH curve's tail and the chains it builds. 0 turns it off.
    verify: float = 0.5
    seed: int = 1
    keep: str = "first"  # first | longest
    memory_mb: int = 512
    # Reference indexes (run folders or index folders, docs/dedup.md): what they hold is dropped here, without
    # reading their documents; their copy counts as the earliest.
    against: list[str] = field(default_factory=list)
    REASONS = ("near_duplicate", "duplicate_in_reference")
    INDEX_PARAMS = ("ngram", "bands", "rows", "seed")
    FRACTIONS = ("verify",)
    STYLE = "position"
    # bands x rows permutations are hashed per document and kept per document until the reduce: 1024 is ten times
    # the defaults (18 x 6) and FineWeb's 14 x 8; bands: 1000000 used to hang the first document's signature.
    MAX_PERMUTATIONS: ClassVar[int] = 1024
    MAX_NGRAM: ClassVar[int] = 64

    def validate(self) -> None:
        super().validate()
        if self.bands < 1 or self.rows < 1 or not 1 <= self.ngram <= self.MAX_NGRAM:
            raise ValueError(f"minhash_dedup: bands and rows must be at least 1 and ngram between 1 and "
                             f"{self.MAX_NGRAM}, got bands={self.bands}, rows={self.rows}, ngram={self.ngram}")
        if self.bands * self.rows > self.MAX_PERMUTATIONS:
            raise ValueError(f"minhash_dedup: bands x rows = {self.bands * self.rows:,} permutations per document, "
                             f"more than {self.MAX_PERMUTATIONS} (FineWeb uses 14 x 8 = 112)")

    def _start_tables(self) -> None:
        self._hasher = MinHasher(self.ngram, self.bands * self.rows, self.seed)
        self._batch: list[str] = []
        self._batch_ords: list[int] = []
        self._batch_chars = 0
        self._keys: list[np.ndarray] = []
        self._key_ords: list[np.ndarray] = []
        self._sigs: list[np.ndarray] = []
        self._sig_ords: list[np.ndarray] = []

    def _rows_mark(self) -> tuple:
        return len(self._batch), len(self._keys), len(self._key_ords), len(self._sigs), len(self._sig_ords)

    def _rows_back(self, mark: tuple, o: int) -> None:
        # The document's text leaves the batch; a flush it set off and that stopped midway is undone (the batch
        # is hashed again at the next one), one that finished keeps the other documents' rows and loses its own.
        batch, ords = self._batch, self._batch_ords
        n = min(len(batch), len(ords))
        del batch[n:], ords[n:]
        while ords and ords[-1] == o:
            batch.pop(), ords.pop()
        if ords:
            for lst, m in zip((self._keys, self._key_ords, self._sigs, self._sig_ords), mark[1:]):
                del lst[m:]
        else:
            n = min(len(self._keys), len(self._key_ords))
            del self._keys[n:], self._key_ords[n:]
            if self._keys and n > mark[1]:
                keep = self._key_ords[-1] != o
                self._keys[-1], self._key_ords[-1] = self._keys[-1][keep], self._key_ords[-1][keep]
            n = min(len(self._sigs), len(self._sig_ords))
            del self._sigs[n:], self._sig_ords[n:]
            if self._sigs and n > mark[3]:
                keep = self._sig_ords[-1] != o
                self._sigs[-1], self._sig_ords[-1] = self._sigs[-1][keep], self._sig_ords[-1][keep]
        self._batch_chars = sum(map(len, batch))

    def _collect(self, o: int, doc: Document) -> None:
        self._batch.append(doc.text)
        self._batch_ords.append(o)
        self._batch_chars += len(doc.text)
        if self._batch_chars >= _BATCH_CHARS:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        sig, ok = self._hasher.signatures(self._batch)
        # a document without words has nothing to compare (exact_dedup handles empty documents)
        self._keys.append(MinHasher.band_keys(sig[ok], self.bands, self.rows))
        self._key_ords.append(np.array(self._batch_ords, dtype=np.uint32)[ok])
        if self.verify > 0:
            self._sigs.append(sig)
            self._sig_ords.append(np.array(self._batch_ords, dtype=np.int64))
        self._batch, self._batch_ords, self._batch_chars = [], [], 0

    def _write_tables(self, w: store.ShardWriter) -> None:
        self._flush()
        keys = np.concatenate(self._keys) if self._keys else np.zeros((0, self.bands), dtype=np.uint64)
        ords = np.concatenate(self._key_ords) if self._key_ords else np.zeros(0, dtype=np.uint32)
        for j in range(self.bands):
            w.write_table(j, keys[:, j], ords)
        if self.verify > 0:  # rows by ordinal (documents without words hold an unused row)
            full = np.zeros((len(self._ids), self.bands * self.rows), dtype=np.uint32)
            if self._sigs:
                full[np.concatenate(self._sig_ords)] = np.concatenate(self._sigs)
            store.save(w.path("sig"), full)
        self._keys, self._key_ords, self._sigs, self._sig_ords = [], [], [], []

    def reduce(self, ctx: Context) -> None:
        self._check_keep()
        if self.bands < 1 or self.rows < 1 or self.ngram < 1:
            raise ValueError("minhash_dedup: ngram, bands and rows must be at least 1")
        folder = ctx.work_dir / "c"
        shards = self._all_shards(folder)
        work = ctx.work_dir
        rows = _table_rows(folder, shards)
        parts = store.parts_for(rows, 96, self.memory_mb)
        (work / "a").mkdir(exist_ok=True)
        tasks = [store.TableTask(str(folder), shards, j, p, parts, "edges", str(work / "a" / f"t{j:03d}-{p:05d}"),
                                 self.keep, verify=self.verify) for j in range(self.bands) for p in range(parts)]
        n_edges = store.phase(work, "buckets", lambda: sum(ctx.map(store.run_table_task, tasks)))
        edge_runs = [as_path(t.out) for t in tasks]
        if n_edges:
            # a star step holds its partition's edges several times over (sort, dedup, output): ~80 bytes/edge
            cc_parts = store.parts_for(n_edges, 80, self.memory_mb)
            (work / "cc").mkdir(exist_ok=True)

            def components() -> list[str]:  # names relative to the work folder: the marker must not hold paths
                return [p.name for p in store.connected_components(edge_runs, cc_parts, work / "cc", ctx.map)]

            labels = [str(work / "cc" / n) for n in store.phase(work, "components", components)]
            (work / "k").mkdir(exist_ok=True)
            ctasks = [store.ClusterTask(str(folder), shards, tuple(labels), p, self.keep, str(work / "k" / f"{p:05d}"))
                      for p in range(cc_parts)]
            store.phase(work, "clusters", lambda: sum(ctx.map(store.run_cluster_task, ctasks)))
            runs = [as_path(t.out) for t in ctasks]
        else:
            runs = []
        self._decide(ctx, folder, shards, runs)
        _cleanup(work)


# --- repeated lines ------------------------------------------------------------------------------------------

_LEAD = re.compile(r"^[\W\d_]+")
_PARA = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def _unit_spans(text: str, unit: str) -> list[tuple[int, int]]:
    """Content spans of the text's lines, paragraphs or sentences (surrounding whitespace excluded)."""
    if unit == "sentence":
        try:
            from ..sentences import sentence_spans
        except ImportError:  # the segmenter is optional here: fall back to terminal punctuation and line breaks
            sentence_spans = _simple_sentences
        return sentence_spans(text)
    if unit == "line":
        bounds = [m.start() for m in re.finditer("\n", text)]
        starts = [0] + [b + 1 for b in bounds]
        ends = bounds + [len(text)]
    elif unit == "paragraph":
        seps = list(_PARA.finditer(text))
        starts = [0] + [m.end() for m in seps]
        ends = [m.start() for m in seps] + [len(text)]
    else:
        raise ValueError(f"line_dedup: unit must be line, paragraph or sentence, not {unit!r}")
    out = []
    for s, e in zip(starts, ends):
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _simple_sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n.!?]+(?:[.!?]+[\"')\]]*|$)", text) if m.group().strip()]


def _unit_key(s: str, min_chars: int) -> tuple[int, int] | None:
    """Bullets, numbering, case and spacing do not make a line different."""
    norm = " ".join(_LEAD.sub("", s.lower()).split())
    if len(norm) < max(min_chars, 1):
        return None
    return _h128(norm)


@register("line_dedup")
@dataclass
class LineDedup(_DedupStep):
    """Remove lines (or paragraphs, sentences) that occur in at least ``min_docs`` documents of the corpus: site
    chrome, cookie banners, share buttons. A document left with fewer than ``min_words`` words is dropped."""

    unit: str = "line"  # line | paragraph | sentence
    min_docs: int = 3
    keep_first: bool = False  # keep the unit in the first document (corpus order) that has it
    min_chars: int = 1  # shorter units (after normalisation) are never counted or removed
    min_words: int = 10
    memory_mb: int = 512
    # Reference indexes (run folders or index folders, docs/dedup.md): what they hold is dropped here, without
    # reading their documents; their copy counts as the earliest.
    against: list[str] = field(default_factory=list)
    # A document more than this share of whose units are repeated is taken for a copy of a page (a mirror, a
    # syndicated article, a revisit that URL and exact dedup missed), not for a page with chrome: it keeps the
    # units it holds first in corpus order. Without this, a page copied into min_docs documents lost its shared
    # units in every copy and no copy was left for minhash_dedup to keep (friction10, stop 28: 4,928 of 7,760
    # pages of a corpus of ~12 near-copies a page; bench/near_copies.py measures both settings). 0.5 is no tuned
    # value but the definition "most of its units"; one document at most keeps a given unit this way (its earliest
    # holder), so chrome leaks into one page per line at most. 1.0 = off (every holder loses the unit, as before).
    copy_share: float = 0.5
    REASONS = ("repeated_line", "too_short_after_dedup", "line_in_reference")
    INDEX_PARAMS = ("unit", "min_chars")
    THRESHOLDS = {"min_words": ("line_dedup.words_left", "<", "too_short_after_dedup")}
    STYLE = "lines"

    def _units(self, text: str) -> list[tuple[int, int, tuple[int, int] | None]]:
        return [(s, e, _unit_key(text[s:e], self.min_chars)) for s, e in _unit_spans(text, self.unit)]

    def _collect(self, o: int, doc: Document) -> None:
        seen = set()
        for _, _, key in self._units(doc.text):
            if key is not None and key not in seen:
                seen.add(key)
                self._k.append(key[0])
                self._k2.append(key[1])
                self._o.append(o)

    def validate(self) -> None:
        super().validate()
        if self.min_docs < 2:  # checked before the run: it used to fail in the reduce, after pass 1
            raise ValueError(f"line_dedup: min_docs must be at least 2, got {self.min_docs}")
        _unit_spans("", self.unit)  # raises ValueError naming the choices
        if not 0.0 <= self.copy_share <= 1.0:
            raise ValueError(f"line_dedup: copy_share must be between 0 and 1 (1 = off), got {self.copy_share}")
        if self.min_chars < 0 or self.min_words < 0:
            raise ValueError(f"line_dedup: min_chars and min_words must be >= 0, got {self.min_chars}, "
                             f"{self.min_words}")

    def reduce(self, ctx: Context) -> None:
        if self.min_docs < 2:
            raise ValueError("line_dedup: min_docs must be at least 2")
        folder = ctx.work_dir / "c"
        shards = self._all_shards(folder)
        rows = _table_rows(folder, shards)
        parts = store.parts_for(rows, 96, self.memory_mb)
        (ctx.work_dir / "a").mkdir(exist_ok=True)
        tasks = [store.TableTask(str(folder), shards, 0, p, parts, "lines", str(ctx.work_dir / "a" / f"t0-{p:05d}"),
                                 "first", self.min_docs, self.keep_first, has_k2=True) for p in range(parts)]
        store.phase(ctx.work_dir, "groups", lambda: sum(ctx.map(store.run_table_task, tasks)))
        self._decide(ctx, folder, shards, [as_path(t.out) for t in tasks])
        _cleanup(ctx.work_dir)

    def process(self, doc: Document) -> Document:
        row = self._row(doc)
        if row is None:
            return doc
        # (rows of an index written before copy_share hold no earliest-holder flag: no document is a first copy)
        remove = {(u[0], u[1]): (u[2], u[3], len(u) > 4 and bool(u[4])) for u in row[1]}
        text = doc.text
        units = self._units(text)
        spans = []
        refs: set[str] = set()
        first_copy = 0
        if self.copy_share < 1.0:
            counted = [remove.get(key) for _, _, key in units if key is not None]
            hits = [h for h in counted if h is not None]
            if len(hits) > self.copy_share * len(counted):
                first_copy = sum(1 for h in hits if h[2])
        for i, (s, e, key) in enumerate(units):
            hit = remove.get(key) if key is not None else None
            if hit is not None and first_copy and hit[2]:
                continue  # a copy of a page keeps what it holds first (copy_share)
            if hit is not None:
                n, ref, _ = hit
                end = units[i + 1][0] if i + 1 < len(units) else len(text)  # the separator goes with the unit
                if i + 1 == len(units):
                    lo = spans[-1][1] if spans else 0
                    while s > lo and text[s - 1].isspace():  # last unit: take the separator before it instead
                        s -= 1
                # a unit the reference holds names it (the score stays the number of documents holding it)
                spans.append((s, end, "repeated_line" if ref is None else "line_in_reference", float(n)))
                if ref is not None:
                    refs.add(ref)
        doc.remove_spans(self.name, spans)
        words = len(doc.text.split())
        doc.attributes[f"{self.name}.removed"] = len(spans)
        if first_copy:
            doc.attributes[f"{self.name}.first_copy_kept"] = first_copy
        if refs:
            doc.attributes[f"{self.name}.reference"] = sorted(refs)
        doc.attributes[f"{self.name}.words_left"] = words
        if words < self.min_words:
            doc.drop = Drop(self.name, "too_short_after_dedup", float(words), float(self.min_words))
        return doc
