"""Writers of tokenized data in the layouts trainers load, and readers of the same layouts (for shuffle-merge).

Every writer writes one shard's kept documents, whole: a document never straddles two files. Token ids come from
the ``tokenize`` step when it ran in the stage with the same tokenizer (no second encoding); otherwise the writer
encodes the text itself. Layouts (all little-endian):

``megatron``  Megatron-LM / NeMo's MMapIndexedDataset: ``<shard>.bin`` the tokens, ``<shard>.idx`` the index
              (``MMIDIDX\\0\\0``, version 1 as u64, dtype code u8, sequence count u64, document count u64 (= documents
              + 1), sequence lengths i32[], sequence byte offsets i64[], document indices i64[] = 0..n). One
              sequence per document, EOS appended (what ``preprocess_data.py --append-eod`` writes). Token dtype
              uint16 when the vocabulary has fewer than 65,500 ids, else int32 (Megatron's own rule).
``datatrove`` datatrove's DocumentTokenizer layout, read by nanotron's DatatroveFolderDataset: ``<shard>.ds`` the
              tokens (uint16, or uint32 when the vocabulary exceeds 65,536 ids), ``<shard>.ds.index`` every
              document's end offset in tokens as u64, ``<shard>.ds.metadata`` ("tokenizer|token size", the token
              count, a human-readable count). EOS appended after each document, as datatrove's post-processor does.
              (No ``.ds.loss``: winnow documents carry no no-loss ranges.)
``nanogpt``   nanoGPT's ``prepare.py`` layout, ``np.memmap(path, dtype=uint16)`` readable: ``<shard>.bin`` the flat
              tokens with EOS ("<|endoftext|>", GPT-2's 50256) after each document, uint16 (uint32 past 65,536 ids),
              plus ``<shard>.docs.npy``: the document boundaries as uint64, n + 1 of them from 0.

Beside each tokens file, ``<shard>.ids.jsonl`` (``doc_ids: true``, the default) names its documents: line i is
``{"id": ..., "start": S, "tokens": N}`` for the consumer's document i, whose tokens are positions S..S+N-1 of the
tokens file (BOS and EOS counted), so a token position leads back to its document (binary search on ``start``)
and the document to ``winnow explain``. The consumers' readers never open it: Megatron opens ``<prefix>.bin`` and
``.idx`` by name, nanoGPT its ``.bin``, datatrove's DatatroveFolderDataset lists ``*.ds`` files.

``bos`` (a token text, off by default) is prepended to each document in every layout; ``eos`` ("" for none) names
the token appended. The files of a shard are written under temporary names and renamed when the shard completes,
the companions first, so a tokens file under its final name always has its index beside it.
"""

from __future__ import annotations

import os
import struct
from array import array

import orjson
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator

import numpy as np

from ..document import Document
from ..registry import register
from .base import Writer, WriterHandle

__all__ = ["TokenizedWriter", "MegatronWriter", "DatatroveWriter", "NanoGPTWriter", "FORMATS", "read_tokenized",
           "companion_path", "TokenFile", "IDS"]

IDS = ".ids.jsonl"  # the document ids beside a tokens file (the module's docstring)

MEGATRON_HEADER = b"MMIDIDX\x00\x00"
# Megatron's DType codes (megatron/core/datasets/indexed_dataset.py)
_MEGATRON_CODES = {np.dtype(np.uint8): 1, np.dtype(np.int8): 2, np.dtype(np.int16): 3, np.dtype(np.int32): 4,
                   np.dtype(np.int64): 5, np.dtype(np.float64): 6, np.dtype(np.float32): 7, np.dtype(np.uint16): 8}
_MEGATRON_DTYPES = {v: k for k, v in _MEGATRON_CODES.items()}


def companion_path(main: Any, extension: str, companion: str) -> Any:
    """``<dir>/<shard><extension>`` -> ``<dir>/<shard><companion>`` (works on Path and RemotePath)."""
    name = main.name
    stem = name[: -len(extension)] if extension and name.endswith(extension) else name
    return main.parent / (stem + companion)


# --- sinks: one output file set, documents appended as id arrays ---------------------------------------------

class _Sink:
    """Appends whole documents (id arrays) to a tokens file and writes the index on close."""

    def __init__(self, main: Path, companions: dict[str, Path], dtype: np.dtype, tokenizer: str = ""):
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self._f = open(main, "wb")
        self._companions = companions
        self._tokenizer = tokenizer
        self.lengths = array("q")  # 8 bytes per document (a list of ints would be ~36)
        self._ids = open(companions[IDS], "wb") if IDS in companions else None
        self._start = 0

    def append(self, ids: np.ndarray, doc_id: Any = None) -> None:
        self._f.write(np.asarray(ids, dtype=self.dtype).tobytes())
        self.lengths.append(len(ids))
        if self._ids is not None:
            self._ids.write(orjson.dumps({"id": doc_id, "start": self._start, "tokens": len(ids)},
                                         option=orjson.OPT_APPEND_NEWLINE))
        self._start += len(ids)

    def close(self) -> None:
        self._f.close()
        if self._ids is not None:
            self._ids.close()
        self._write_index(np.frombuffer(self.lengths, dtype=np.int64) if self.lengths else np.zeros(0, np.int64))

    def _write_index(self, lengths: np.ndarray) -> None:
        raise NotImplementedError


class _MegatronSink(_Sink):
    def _write_index(self, lengths: np.ndarray) -> None:
        n = len(lengths)
        pointers = np.zeros(n, dtype="<i8")
        if n:
            np.cumsum(lengths[:-1] * self.dtype.itemsize, out=pointers[1:])
        with open(self._companions[".idx"], "wb") as f:
            f.write(MEGATRON_HEADER)
            f.write(struct.pack("<Q", 1))
            f.write(struct.pack("<B", _MEGATRON_CODES[np.dtype(self.dtype.type)]))
            f.write(struct.pack("<Q", n))
            f.write(struct.pack("<Q", n + 1))
            f.write(lengths.astype("<i4").tobytes())
            f.write(pointers.tobytes())
            f.write(np.arange(n + 1, dtype="<i8").tobytes())


class _DatatroveSink(_Sink):
    def _write_index(self, lengths: np.ndarray) -> None:
        ends = np.cumsum(lengths, dtype="<u8")
        self._companions[".ds.index"].write_bytes(ends.tobytes())
        total = int(ends[-1]) if len(ends) else 0
        self._companions[".ds.metadata"].write_text(
            f"{self._tokenizer}|{self.dtype.itemsize}\n{total}\n{_human(total)}")


class _NanoGPTSink(_Sink):
    def _write_index(self, lengths: np.ndarray) -> None:
        bounds = np.zeros(len(lengths) + 1, dtype="<u8")
        np.cumsum(lengths, out=bounds[1:])
        with open(self._companions[".docs.npy"], "wb") as f:
            np.save(f, bounds)


def _human(n: int) -> str:
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}T"
    return f"{n} T"


# --- the registered writers ---------------------------------------------------------------------------------

@dataclass
class TokenizedWriter(Writer):
    """Base of the tokenized writers: its fields are every tokenized writer's parameters."""

    # the tokenizer (as the tokenize step takes it: tokenizer.json path/URL, hf://..., tiktoken:NAME, bytes); the
    # ids the tokenize step computed with the same tokenizer are reused
    tokenizer: str = "bytes"
    # token appended after each document ("" for none); a text the tokenizer has as one special token
    eos: str = "<|endoftext|>"
    # token prepended to each document ("" for none)
    bos: str = ""
    # uint16, uint32 (int32 for megatron) or auto (the narrowest the vocabulary fits, as the consumer chooses)
    dtype: str = "auto"
    cache_dir: str = ""
    # write <shard>.ids.jsonl beside the tokens: each document's id, first token position and token count, in the
    # tokens file's order (a token span back to its document); the consumers' readers do not open it
    doc_ids: bool = True

    COMPANIONS: ClassVar[tuple[str, ...]] = ()
    SINK: ClassVar[type] = _Sink
    tokenized: ClassVar[bool] = True  # a later stage cannot read these files as documents

    @property
    def companions(self) -> tuple[str, ...]:
        return self.COMPANIONS + ((IDS,) if self.doc_ids else ())

    def validate(self) -> None:
        if self.dtype not in ("auto", "uint16", "uint32", "int32"):
            raise ValueError(f"dtype must be auto, uint16, uint32 or int32, got {self.dtype!r}")
        from ..steps.tokens import check_tokenizer_spec, load_tokenizer

        check_tokenizer_spec(self.tokenizer)
        if ("://" not in self.tokenizer or self.tokenizer.startswith("file://")) \
                and not self.tokenizer.startswith("tiktoken:"):
            # a tokenizer at hand (a file, bytes, tiktoken's cache) is loaded now, once per process as the writer
            # loads it: an eos it lacks ("</s>" for a tokenizer with "<|endoftext|>") or ids too wide for dtype
            # failed every shard of the tokenizing pass after the passes before it had run. Remote addresses
            # and tiktoken (it may download an encoding it has not cached) are left to the run.
            self._specials(load_tokenizer(self.tokenizer, self.cache_dir))

    def token_dtype(self, vocab_size: int) -> np.dtype:
        if self.dtype != "auto":
            return np.dtype(self.dtype)
        return np.dtype(np.uint16 if vocab_size <= 65536 else np.uint32)

    def open(self, path: Path, companions: dict[str, Path] | None = None) -> "TokenizedHandle":
        from ..steps.tokens import load_tokenizer

        if companions is None:  # outside the runner: the companions lie beside the file under their own names
            companions = {c: companion_path(Path(path), self.extension, c) for c in self.companions}
        tok = load_tokenizer(self.tokenizer, self.cache_dir)
        specials, dtype = self._specials(tok)
        sink = self.SINK(Path(path), companions, dtype, self.tokenizer)
        return TokenizedHandle(tok, sink, specials[0], specials[1])

    def _specials(self, tok: Any) -> tuple[list[int | None], np.dtype]:
        """The eos and bos ids and the token dtype for this tokenizer, or a ValueError saying what does not fit."""
        specials = []
        for what, text in (("eos", self.eos), ("bos", self.bos)):
            tid = tok.token_id(text) if text else None
            if text and tid is None:
                raise ValueError(f"{self.name} writer: the tokenizer {self.tokenizer!r} has no token {text!r} for "
                                 f"{what} (set {what}: '' for none)")
            specials.append(tid)
        dtype = self.token_dtype(tok.vocab_size)
        if tok.vocab_size - 1 > np.iinfo(dtype).max:
            raise ValueError(f"{self.name} writer: ids up to {tok.vocab_size - 1} do not fit {dtype}")
        return specials, dtype


class TokenizedHandle(WriterHandle):
    def __init__(self, tok: Any, sink: _Sink, eos: int | None, bos: int | None):
        self._tok, self._sink, self._eos, self._bos = tok, sink, eos, bos

    def write(self, doc: Document) -> None:
        from ..steps.tokens import token_ids

        ids = token_ids(doc, self._tok)
        if ids is None:
            ids = self._tok.encode(doc.text)
        if self._bos is not None:
            ids = [self._bos, *ids]
        if self._eos is not None:
            ids = [*ids, self._eos]
        self._sink.append(ids, doc.id)

    def close(self) -> None:
        self._sink.close()


@register("megatron", kind="writer")
@dataclass
class MegatronWriter(TokenizedWriter):
    """Megatron-LM / NeMo indexed dataset (<shard>.bin + <shard>.idx), one sequence per document, EOS appended."""

    extension: ClassVar[str] = ".bin"
    COMPANIONS = (".idx",)
    SINK = _MegatronSink

    def validate(self) -> None:
        super().validate()
        if self.dtype == "uint32":
            raise ValueError("Megatron's index has no uint32 code: use int32 (or auto)")

    def token_dtype(self, vocab_size: int) -> np.dtype:
        if self.dtype != "auto":
            return np.dtype(self.dtype)
        return np.dtype(np.uint16 if vocab_size < 65500 else np.int32)  # Megatron's DType.optimal_dtype


@register("datatrove", kind="writer")
@dataclass
class DatatroveWriter(TokenizedWriter):
    """datatrove/nanotron tokenized files (<shard>.ds + .ds.index + .ds.metadata), EOS after each document."""

    extension: ClassVar[str] = ".ds"
    COMPANIONS = (".ds.index", ".ds.metadata")
    SINK = _DatatroveSink

    def validate(self) -> None:
        super().validate()
        if self.dtype == "int32":
            raise ValueError("datatrove's token files are uint16 or uint32")


@register("nanogpt", kind="writer")
@dataclass
class NanoGPTWriter(TokenizedWriter):
    """nanoGPT-style flat token memmap (<shard>.bin, uint16/uint32) with EOS between documents, + <shard>.docs.npy
    document boundaries."""

    extension: ClassVar[str] = ".bin"
    COMPANIONS = (".docs.npy",)
    SINK = _NanoGPTSink


FORMATS: dict[str, type[TokenizedWriter]] = {"megatron": MegatronWriter, "datatrove": DatatroveWriter,
                                             "nanogpt": NanoGPTWriter}


# --- reading the layouts back (shuffle-merge; the tests read with the consumers' published readers) -----------

@dataclass
class TokenFile:
    """One tokenized file: its tokens as a read-only memmap and document boundaries (n + 1 offsets, in tokens)."""

    path: Path
    tokens: np.ndarray
    bounds: np.ndarray
    tokenizer: str = ""

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def document(self, i: int) -> np.ndarray:
        return self.tokens[self.bounds[i]:self.bounds[i + 1]]


def _memmap(path: Path, dtype: np.dtype) -> np.ndarray:
    size = path.stat().st_size
    if size < dtype.itemsize:  # numpy refuses to map an empty file
        return np.zeros(0, dtype=dtype)
    # whole tokens only: a file cut in the middle of a token is then refused by read_tokenized, naming it
    return np.memmap(path, dtype=dtype, mode="r", shape=(size // dtype.itemsize,))


def read_tokenized(path: str | Path, fmt: str) -> TokenFile:
    """The file's tokens and document bounds; a ValueError naming the file when its index cannot be read or does not
    match its tokens (a file cut short or grown, an index cut, a file beside another's index). A Megatron or
    datatrove file of another size than its index says used to be read as it was: cut short, its last documents
    came out cut (or numpy's own error, naming no file); longer, the extra tokens were left out silently."""
    path = Path(path)
    try:
        tf = _read_tokenized(path, fmt)
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: its {fmt} index cannot be read ({exc}): the file or its index is cut or "
                         "damaged") from None
    except (struct.error, OSError, EOFError) as exc:
        raise ValueError(f"{path}: its {fmt} index cannot be read ({exc}): the file or its index is cut or "
                         "damaged") from None
    size = path.stat().st_size
    n_tokens = int(tf.bounds[-1]) if len(tf.bounds) else 0
    if size != n_tokens * tf.tokens.dtype.itemsize or (len(tf.bounds) > 1 and np.any(np.diff(tf.bounds) < 0)):
        raise ValueError(f"{path}: {size:,} bytes for the {n_tokens:,} tokens of {len(tf):,} documents its index "
                         f"gives ({tf.tokens.dtype.itemsize} bytes a token): the file is cut or grown, or the index "
                         "is another file's")
    return tf


def _read_tokenized(path: Path, fmt: str) -> TokenFile:
    ext = FORMATS[fmt].extension
    if fmt == "megatron":
        raw = companion_path(path, ext, ".idx").read_bytes()
        if raw[:9] != MEGATRON_HEADER:
            raise ValueError(f"{path}: not a Megatron index (header {raw[:9]!r})")
        version, code, n_seq, n_doc = struct.unpack_from("<QBQQ", raw, 9)
        if version != 1 or code not in _MEGATRON_DTYPES:
            raise ValueError(f"{path}: Megatron index version {version} / dtype code {code} unknown")
        off = 9 + 8 + 1 + 8 + 8
        lengths = np.frombuffer(raw, "<i4", n_seq, off)
        off += 4 * n_seq
        pointers = np.frombuffer(raw, "<i8", n_seq, off)
        off += 8 * n_seq
        docs = np.frombuffer(raw, "<i8", n_doc, off)
        if n_doc != n_seq + 1 or not np.array_equal(docs, np.arange(n_seq + 1)):
            raise ValueError(f"{path}: only one sequence per document is supported here")
        dtype = _MEGATRON_DTYPES[code]
        bounds = np.zeros(n_seq + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        if n_seq and not np.array_equal(pointers, bounds[:-1] * dtype.itemsize):
            raise ValueError(f"{path}: sequences are not contiguous")
        return TokenFile(path, _memmap(path, dtype), bounds)
    if fmt == "datatrove":
        meta = companion_path(path, ext, ".ds.metadata")
        name, size = "", 2
        if meta.exists():
            name, _, size_s = meta.read_text().split("\n", 1)[0].rpartition("|")
            size = int(size_s)
        ends = np.frombuffer(companion_path(path, ext, ".ds.index").read_bytes(), "<u8").astype(np.int64)
        bounds = np.concatenate([[0], ends]).astype(np.int64)
        return TokenFile(path, _memmap(path, np.dtype("<u2" if size == 2 else "<u4")), bounds, name)
    if fmt == "nanogpt":
        bounds = np.load(companion_path(path, ext, ".docs.npy")).astype(np.int64)
        n_tokens = int(bounds[-1])
        size = path.stat().st_size
        dtype = np.dtype("<u2") if size == 2 * n_tokens else np.dtype("<u4")
        if size != dtype.itemsize * n_tokens:
            raise ValueError(f"{path}: {size} bytes for {n_tokens} tokens")
        return TokenFile(path, _memmap(path, dtype), bounds)
    raise ValueError(f"unknown tokenized format {fmt!r} (one of {', '.join(FORMATS)})")


def iter_documents(path: str | Path, fmt: str) -> Iterator[np.ndarray]:
    tf = read_tokenized(path, fmt)
    for i in range(len(tf)):
        yield tf.document(i)


def count_documents(path: Any) -> int | None:
    """The number of documents in a tokenized file, from its index alone (``winnow run --verify``); None when the
    path is not a tokenized file. Works on Path and RemotePath."""
    name = path.name
    if name.endswith(".ds"):
        index = companion_path(path, ".ds", ".ds.index")
        return len(index.read_bytes()) // 8 if index.exists() else None
    if name.endswith(".bin"):
        idx = companion_path(path, ".bin", ".idx")
        if idx.exists():
            raw = idx.read_bytes()
            return struct.unpack_from("<Q", raw, 18)[0] if raw[:9] == MEGATRON_HEADER else None
        docs = companion_path(path, ".bin", ".docs.npy")
        if docs.exists():
            import io

            return len(np.load(io.BytesIO(docs.read_bytes()))) - 1
    return None


def _tokenizer_key(spec: str) -> str:
    # the same local file named two ways (tokenizer.json, ./tokenizer.json) is one tokenizer
    local = spec[len("tiktoken:"):] if spec.startswith("tiktoken:") else spec
    if "://" not in local and os.path.exists(local):
        return ("tiktoken:" if spec.startswith("tiktoken:") else "") + os.path.realpath(local)
    return spec


def same_tokenizer(specs: list[str]) -> bool:
    """Whether tokenized writers' ``tokenizer`` settings name one tokenizer (ids from two tokenizers must never be
    mixed: the same id is another token)."""
    return len({_tokenizer_key(s) for s in specs}) <= 1
