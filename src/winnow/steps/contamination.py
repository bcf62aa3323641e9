"""Benchmark decontamination: find documents that share long word n-grams with evaluation sets, and drop them or cut
the overlapping text out.

Two published rules, as variants:

* ``gpt3`` (Brown et al. 2020, appendix C): 13-grams of lowercased words (punctuation ignored). Each collision is
  removed with 200 characters on either side; the pieces left shorter than 200 characters go too, and a document
  cut into more than 10 pieces is dropped whole. (GPT-3 also ignored 13-grams frequent in the training corpus;
  that needs a corpus-wide count and is not done here.)
* ``datatrove`` (datatrove's ``NGramsDecontFilter``): 12-grams of text normalised as its ``simplify_text`` does
  (lowercase, punctuation removed, diacritics stripped, numbers replaced by 0); the index holds the n-grams of each
  answer (``fields``) and, when a ``query_field`` is given, the n-grams that span the end of the query and the start
  of the answer (datatrove's find_overlap_ngrams; query-only n-grams are not indexed, as its default). The first
  match drops the document.

Benchmarks are files the user supplies (JSONL, plain or compressed, Parquet, or text with one example per line);
nothing is downloaded. The index is built once per worker process in ``setup`` from those files: a sorted array
of 64-bit n-gram hashes with the benchmark record each came from (12 bytes per distinct n-gram, so 10^6 n-grams
take 12 MB; bench/results/classifier.md measures it). A match records the benchmark, the record and the n-gram.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator

import numpy as np

from ..document import Document
from ..registry import register
from ..step import Context, Filter, Reject

__all__ = ["Decontaminate", "BenchmarkIndex", "tokenize", "ngram_hashes", "build_index"]

_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits: punctuation, spaces and underscores separate words
_DIGITS = re.compile(r"\d+")
_P = np.uint64(0x100000001B3)  # odd multiplier of the polynomial n-gram hash (FNV's 64-bit prime)

VARIANTS = {"gpt3": {"n": 13, "action": "edit"}, "datatrove": {"n": 12, "action": "drop"}}


def _fold(tok: str) -> str:
    """datatrove-style word normalisation: diacritics stripped, every number one token "0"."""
    if not tok.isascii():
        tok = "".join(c for c in unicodedata.normalize("NFKD", tok) if not unicodedata.combining(c))
    if not tok.isalpha():
        tok = _DIGITS.sub("0", tok)
    return tok


def tokenize(text: str, variant: str) -> tuple[list[str], list[int], list[int]]:
    """Normalised words with their character offsets in ``text``."""
    words, starts, ends = [], [], []
    fold = variant == "datatrove"
    for m in _WORD.finditer(text):  # offsets into the text itself (lowercasing may change a string's length)
        w = m.group().lower()
        words.append(_fold(w) if fold else w)
        starts.append(m.start())
        ends.append(m.end())
    return words, starts, ends


def _word_hashes(words: list[str]) -> np.ndarray:
    # Python's string hash: 64-bit SipHash, computed in C and cached on the string. It differs between processes
    # (PYTHONHASHSEED), which is fine because each process builds its own index and only matches reach outputs.
    return np.fromiter((hash(w) for w in words), dtype=np.int64, count=len(words)).view(np.uint64)


def ngram_hashes(word_hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of every run of n consecutive words: sum of h[i+k] * P^(n-1-k), modulo 2^64."""
    m = len(word_hashes) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    h = word_hashes[:m].copy()
    for k in range(1, n):
        h *= _P
        h += word_hashes[k:k + m]
    return h


@dataclass
class BenchmarkIndex:
    hashes: np.ndarray  # sorted distinct n-gram hashes (uint64)
    record: np.ndarray  # for each, the position in ``records`` of the first benchmark record that has it (uint32)
    records: list[tuple[str, int]]  # (benchmark name, record number within its file, from 1)
    n: int

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.record.nbytes)

    def lookup(self, h: np.ndarray) -> np.ndarray:
        """Positions in ``h`` that are in the index."""
        if not len(h) or not len(self.hashes):
            return np.empty(0, dtype=np.int64)
        pos = np.searchsorted(self.hashes, h)
        pos[pos == len(self.hashes)] = 0
        return np.flatnonzero(self.hashes[pos] == h)

    def source(self, h: int) -> tuple[str, int]:
        i = int(np.searchsorted(self.hashes, np.uint64(h)))
        return self.records[int(self.record[i])]


def _benchmark_name(path: str) -> str:
    name = Path(path).name
    for ext in (".gz", ".zst", ".zstd", ".jsonl", ".json", ".parquet", ".txt"):
        name = name.removesuffix(ext)
    return name


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):  # multiple-choice options, several gold answers
        return [v for v in value if isinstance(v, str)]
    return []


def _iter_records(path: str) -> Iterator[dict[str, Any] | str]:
    from ..io.base import open_read

    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        from ..io.base import local_copy, as_path

        with local_copy(as_path(path)) as local:
            pf = pq.ParquetFile(local)
            try:
                for batch in pf.iter_batches(batch_size=4096):
                    yield from batch.to_pylist()
            finally:
                pf.close()
        return
    import orjson

    json_lines = ".jsonl" in Path(path).name or ".json" in Path(path).name
    with open_read(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            if json_lines:
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"decontaminate: benchmark {path} line {n} is not JSON: {exc}") from None
            else:
                yield line.decode("utf-8", errors="replace")


def build_index(files: list[str], variant: str, n: int, fields: list[str], query_field: str = "") -> BenchmarkIndex:
    chunks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    records: list[tuple[str, int]] = []
    for path in files:
        bench = _benchmark_name(path)
        found = 0
        for no, rec in enumerate(_iter_records(path), 1):
            if isinstance(rec, str):
                answers, query = [rec], ""
            else:
                answers = [t for f in fields for t in _texts(rec.get(f))]
                query = rec.get(query_field) if query_field else ""
                query = query if isinstance(query, str) else ""
            if not answers:
                continue
            found += 1
            q_hashes = _word_hashes(tokenize(query, variant)[0]) if query else None
            rid = len(records)
            records.append((bench, no))
            for ans in answers:
                a_hashes = _word_hashes(tokenize(ans, variant)[0])
                hs = [ngram_hashes(a_hashes, n)]
                if q_hashes is not None and len(q_hashes) and len(a_hashes):
                    # n-grams that start in the query and end in the answer: the last n-1 query words followed by
                    # the answer's first ones, each window holding at least one word of both
                    tail = q_hashes[-(n - 1):] if n > 1 else q_hashes[:0]
                    joined = np.concatenate([tail, a_hashes[: n - 1]])
                    # a window starting inside the tail holds query words, and (the tail being shorter than n)
                    # answer words too
                    hs.append(ngram_hashes(joined, n)[: len(tail)])
                for h in hs:
                    if len(h):
                        chunks.append(h)
                        owners.append(np.full(len(h), rid, dtype=np.uint32))
        if not found:
            raise ValueError(f"decontaminate: benchmark {path} has no record with a text in {fields}")
    if not chunks:
        return BenchmarkIndex(np.empty(0, np.uint64), np.empty(0, np.uint32), records, n)
    allh = np.concatenate(chunks)
    allr = np.concatenate(owners)
    order = np.argsort(allh, kind="stable")  # stable: of equal n-grams the first record is kept
    allh, allr = allh[order], allr[order]
    first = np.ones(len(allh), dtype=bool)
    first[1:] = allh[1:] != allh[:-1]
    return BenchmarkIndex(allh[first], allr[first], records, n)


_INDEXES: dict[tuple, BenchmarkIndex] = {}
_LOCK = threading.Lock()


def _fingerprint(files: list[str]) -> tuple:
    out = []
    for f in files:
        try:
            st = os.stat(f)
            out.append((f, st.st_size, st.st_mtime_ns))
        except OSError:  # a remote file: its name identifies it for the life of a worker
            out.append((f, None, None))
    return tuple(out)


@register("decontaminate")
@dataclass
class Decontaminate(Filter):
    """Drop documents (or cut out the text) sharing long word n-grams with benchmark files you supply (JSONL,
    Parquet, or text with one example per line); variants gpt3 (13-grams, cut with 200-character windows) and
    datatrove (NGramsDecontFilter: 12-grams of normalised text, drop). Records the benchmark, record and n-gram.

    The index is built once per worker from the files when the step starts. With no benchmarks the step checks
    nothing and says so in every document's attributes (decontaminate.checked = false).
    """

    benchmarks: list[str] = field(default_factory=list)  # files or globs, local or fsspec URLs
    variant: str = "gpt3"  # gpt3 | datatrove
    n: int | None = None  # n-gram length in words (default: the variant's, 13 or 12)
    action: str | None = None  # drop | edit (default: the variant's: gpt3 edits, datatrove drops)
    fields: list[str] = field(default_factory=lambda: ["text"])  # record fields holding the benchmark text
    query_field: str = ""  # the prompt's field, for n-grams spanning prompt and answer (datatrove)
    # a document with at least this many matching n-gram positions is contaminated (whatif can move it)
    min_matches: int = 1
    window: int = 200  # edit: characters removed on each side of a match (GPT-3)
    min_piece: int = 200  # edit: pieces shorter than this are removed too (GPT-3)
    max_pieces: int = 10  # edit: a document cut into more pieces than this is dropped (GPT-3)

    REASONS: ClassVar[tuple[str, ...]] = ("contaminated", "too_many_pieces")
    # whatif re-decides these from decontaminate.matches and .pieces (replay below): a plain THRESHOLDS entry
    # would be wrong in edit mode, where matching documents are cut, not dropped
    REPLAYABLE = ("min_matches", "max_pieces")
    REPLAY_REASONS = ("contaminated", "too_many_pieces")

    def validate(self) -> None:
        super().validate()
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {self.variant!r}")
        if self.action not in (None, "drop", "edit"):
            raise ValueError(f"action must be drop or edit, got {self.action!r}")
        if self.n is not None and self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.min_matches < 1:
            raise ValueError(f"min_matches must be at least 1, got {self.min_matches}")
        if self.query_field and self.variant != "datatrove":
            raise ValueError("query_field is datatrove's overlap rule; use variant: datatrove")
        if not self.fields:
            raise ValueError("fields names at least one record field holding benchmark text")
        from ..io.base import expand_paths, is_remote

        for pattern in self.benchmarks:  # said before a run starts, not by every worker's setup
            if not is_remote(pattern) and not any(Path(p).is_file() for p in expand_paths(pattern)):
                raise ValueError(f"no benchmark file matches {pattern!r}")

    @classmethod
    def replay(cls, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
        if attrs.get("decontaminate.checked") is False:
            return True, None, None, None
        m = attrs.get("decontaminate.matches")
        if isinstance(m, bool) or not isinstance(m, int):
            return False, None, None, None
        min_matches = params.get("min_matches") or 1
        if m < min_matches:
            return True, None, None, None
        mode = params.get("action") or VARIANTS.get(params.get("variant") or "gpt3", VARIANTS["gpt3"])["action"]
        if mode == "drop":
            return True, "contaminated", m, min_matches
        pieces = attrs.get("decontaminate.pieces")
        if isinstance(pieces, bool) or not isinstance(pieces, int):
            return False, None, None, None  # the run did not cut this document (a higher min_matches): unknown
        max_pieces = params.get("max_pieces", 10)
        if pieces > max_pieces:
            return True, "too_many_pieces", pieces, max_pieces
        if pieces == 0:
            return True, "contaminated", m, min_matches
        return True, None, None, None

    @property
    def ngram(self) -> int:
        return self.n or VARIANTS[self.variant]["n"]

    @property
    def mode(self) -> str:
        return self.action or VARIANTS[self.variant]["action"]

    def setup(self, ctx: Context) -> None:
        from ..io.base import expand_paths

        files = expand_paths(self.benchmarks) if self.benchmarks else []
        if self.benchmarks and not files:
            raise FileNotFoundError(f"decontaminate: no benchmark file matches {self.benchmarks}")
        key = (_fingerprint(files), self.variant, self.ngram, tuple(self.fields), self.query_field)
        with _LOCK:
            index = _INDEXES.get(key)
            if index is None:
                index = _INDEXES[key] = build_index(files, self.variant, self.ngram, list(self.fields),
                                                    self.query_field)
        self._index = index
        self._checked = bool(files)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def reject(self, doc: Document) -> Reject | None:
        if getattr(self, "_index", None) is None:
            self.setup(Context())
        attrs = doc.attributes
        if not self._checked:
            attrs["decontaminate.checked"] = False
            return None
        n = self.ngram
        words, starts, ends = tokenize(doc.text, self.variant)
        hashes = ngram_hashes(_word_hashes(words), n)
        hits = self._index.lookup(hashes)
        attrs["decontaminate.matches"] = int(len(hits))
        if len(hits) < self.min_matches:
            return None
        first = int(hits[0])
        bench, record = self._index.source(int(hashes[first]))
        attrs["decontaminate.benchmark"] = bench
        attrs["decontaminate.record"] = record
        attrs["decontaminate.ngram"] = " ".join(words[first:first + n])
        attrs["decontaminate.benchmarks"] = sorted({self._index.source(int(h))[0] for h in hashes[hits]})
        if self.mode == "drop":
            return Reject("contaminated", len(hits), self.min_matches)
        return self._cut(doc, [(starts[i], ends[i + n - 1]) for i in hits.tolist()])

    def _cut(self, doc: Document, matches: list[tuple[int, int]]) -> Reject | None:
        text = doc.text
        size = len(text)
        cuts: list[list[int]] = []
        for s, e in matches:  # matches come in text order
            s, e = max(0, s - self.window), min(size, e + self.window)
            if cuts and s <= cuts[-1][1]:
                cuts[-1][1] = max(cuts[-1][1], e)
            else:
                cuts.append([s, e])
        # the pieces between cuts; a piece too short to be worth keeping is cut too
        pieces, pos = [], 0
        for s, e in cuts:
            if s > pos:
                pieces.append((pos, s))
            pos = e
        if pos < size:
            pieces.append((pos, size))
        kept = [(s, e) for s, e in pieces if len(text[s:e].strip()) >= self.min_piece]
        doc.attributes["decontaminate.pieces"] = len(kept)
        if len(kept) > self.max_pieces:
            return Reject("too_many_pieces", len(kept), self.max_pieces)
        if not kept:
            return Reject("contaminated", len(matches), self.min_matches)
        spans, pos = [], 0
        for s, e in kept:
            if s > pos:
                # pieces stay apart as paragraphs, never spliced mid-sentence
                spans.append((pos, s, "contaminated", "" if pos == 0 else "\n\n", None))
            pos = e
        if pos < size:
            spans.append((pos, size, "contaminated", "", None))
        doc.replace_spans(self.name, spans)
        return None
