"""Disk-backed building blocks of the corpus-wide dedup steps: sorted key tables, routed runs, and connected
components by repeated large-star / small-star rounds (Kiveris et al., "Connected Components in MapReduce and
Beyond", 2014).

Everything here works on numpy arrays saved as ``.npy`` files and read back memory-mapped, so a reduce task only
holds the slice of the corpus it is responsible for: a key range of a table, or one partition of the edge list.
The number of slices is derived from the data size and the step's memory budget, never from the number of
workers, and every sort carries a full tie-break, so the output is the same byte for byte on 1 or N workers.

On a remote run folder (``s3://...``) the same files live in the object store: a task fetches a whole file to a
local temporary copy where it needs all of it (the sorted keys it binary-searches, per-document lengths and ids) and
reads byte ranges where it needs one slice (a key range's ordinals, a routed run's rows).

Documents are named by a ``uid``: ``shard_index << 32 | ordinal`` where the shard index is the position of the
shard's name in sorted order and the ordinal is the document's position among the documents the shard collected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io.base import RemotePath, as_path, atomic_path, is_temp_name, local_copy, remote_fs, upload_batch

U64 = np.uint64
M64 = (1 << 64) - 1
# Edges leave the bucket phase routed to this many hash slots; the component phase, which only learns the edge
# count then, takes contiguous ranges of slots as its partitions.
VIRTUAL = 1024


# --- hashing -----------------------------------------------------------------------------------------------------

def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: a bijection on uint64 that spreads every input bit over the output."""
    z = np.asarray(x, dtype=U64) + U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
    return z ^ (z >> U64(31))


def partition_of(x: np.ndarray, parts: int) -> np.ndarray:
    if parts == 1:
        return np.zeros(len(x), dtype=np.int64)
    return ((mix64(x) >> U64(33)) % U64(parts)).astype(np.int64)


# --- files -------------------------------------------------------------------------------------------------------

def save(path: Path, arr: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(arr))


def load(path: Path | RemotePath) -> np.ndarray:
    with local_copy(path) as p:
        try:
            return np.load(p, mmap_mode="r")
        except ValueError:  # numpy cannot map a zero-length array; those are tiny anyway
            return np.load(p)


def _npy_header(fs, p: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran order, dtype, offset of the data) of a remote .npy file, from ranged reads. np.save pads
    its header to a multiple of 64 bytes (128 for every array here), so the probe reads 128 bytes (64 if the
    file is that short) and the rest of a longer header only when there is one."""
    import io

    try:
        head = fs.cat_file(p, start=0, end=128)
    except OSError:
        head = fs.cat_file(p, start=0, end=64)
    major = head[6]
    start = (10 + int.from_bytes(head[8:10], "little")) if major == 1 else (12 + int.from_bytes(head[8:12], "little"))
    if start > len(head):
        head += fs.cat_file(p, start=len(head), end=start)
    f = io.BytesIO(head[:start])
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(f)
    return shape, fortran, dtype, start


def _parse_header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int] | None:
    """The header of a .npy file from its first bytes, or None when they do not hold all of it."""
    import io

    if len(head) < 12:
        return None
    start = (10 + int.from_bytes(head[8:10], "little")) if head[6] == 1 else (12 + int.from_bytes(head[8:12], "little"))
    if start > len(head):
        return None
    f = io.BytesIO(head[:start])
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(f)
    return shape, fortran, dtype, start


def load_rows(path: Path | RemotePath, a: int, b: int) -> np.ndarray:
    """Rows a..b of a saved array: a memory-mapped slice locally, ranged reads (header, rows) remotely."""
    return load_rows_many([(path, a, b)])[0]


def load_rows_many(specs: list[tuple[Path | RemotePath, int, int]]) -> list[np.ndarray]:
    """``load_rows`` for several (path, a, b); remotely, two rounds of concurrent ranged reads (headers, then rows)
    whatever the number of files."""
    if not specs:
        return []
    if not isinstance(specs[0][0], RemotePath):
        return [np.asarray(load(p)[a:b]) for p, a, b in specs]
    fs, _ = remote_fs(specs[0][0].url)
    paths = [remote_fs(p.url)[1] for p, _, _ in specs]
    layouts = _headers(fs, paths)
    for (path, _, _), lay in zip(specs, layouts):
        if lay is None:
            raise FileNotFoundError(str(path))
    return _rows(fs, paths, layouts, [(a, b) for _, a, b in specs])


Layout = tuple[tuple[int, ...], bool, np.dtype, int]


def _headers(fs, paths: list[str]) -> list[Layout | None]:
    """The .npy headers of several remote files in one round of concurrent reads (None for a missing file)."""
    heads = fs.cat_ranges(paths, [0] * len(paths), [128] * len(paths), on_error="return")
    out: list[Layout | None] = []
    for p, head in zip(paths, heads):
        if isinstance(head, FileNotFoundError):
            out.append(None)
            continue
        hdr = None if isinstance(head, BaseException) else _parse_header(head)
        out.append(hdr if hdr is not None else _npy_header(fs, p))
    return out


def _rows(fs, paths: list[str], layouts: list[Layout], ranges: list[tuple[int, int]]) -> list[np.ndarray]:
    out: list[np.ndarray | None] = [None] * len(paths)
    want, starts, ends = [], [], []
    for i, (p, (shape, fortran, dtype, start), (a, b)) in enumerate(zip(paths, layouts, ranges)):
        if fortran and len(shape) > 1:
            raise ValueError(f"{p}: Fortran-ordered arrays cannot be sliced by rows")
        rest = tuple(shape[1:])
        row = dtype.itemsize * int(np.prod(rest, dtype=np.int64))
        a, b = max(0, a), min(b, shape[0])
        if b <= a or row == 0:
            out[i] = np.zeros((0,) + rest, dtype=dtype)
            continue
        want.append((i, dtype, (b - a,) + rest))
        starts.append(start + a * row)
        ends.append(start + b * row)
    if want:
        data = fs.cat_ranges([paths[i] for i, _, _ in want], starts, ends)
        for (i, dtype, shape), d in zip(want, data):
            out[i] = np.frombuffer(d, dtype=dtype).reshape(shape)
    return out  # type: ignore[return-value]


def _locate(fs, paths: list[str], layouts: list[Layout], xs: list[int]) -> list[int]:
    """``searchsorted(keys, x, side="left")`` in sorted uint64 key files without fetching them: the keys are
    64-bit hashes, so x sits near n * x / 2**64; read a window of keys around that guess (four standard deviations
    wide), and widen it in the rare case (long runs of one key) where it does not bracket x. One round of
    concurrent ranged reads for all files, almost always."""
    res: list[int] = [0] * len(paths)
    width = {}
    for i, ((shape, _, _, _), x) in enumerate(zip(layouts, xs)):
        n = shape[0]
        if x <= 0 or n == 0:
            res[i] = 0
        else:
            width[i] = 2 * math.isqrt(n) + 64  # the position's standard deviation is at most sqrt(n) / 2
    while width:
        idx = sorted(width)
        lo_hi = []
        for i in idx:
            n, x, w = layouts[i][0][0], xs[i], width[i]
            est = (n * x) >> 64
            lo_hi.append((max(0, est - w), min(n, est + w + 1)))
        data = fs.cat_ranges([paths[i] for i in idx], [layouts[i][3] + 8 * a for i, (a, _) in zip(idx, lo_hi)],
                             [layouts[i][3] + 8 * b for i, (_, b) in zip(idx, lo_hi)])
        for i, (a, b), d in zip(idx, lo_hi, data):
            win = np.frombuffer(d, dtype=U64)
            x, n = xs[i], layouts[i][0][0]
            if (a == 0 or int(win[0]) < x) and (b == n or int(win[-1]) >= x):
                res[i] = a + int(np.searchsorted(win, U64(x), side="left"))
                del width[i]
            else:
                width[i] *= 16  # reaches the whole array after a few rounds at worst
    return res


def load_many(paths: list[Path | RemotePath]) -> list[np.ndarray | None]:
    """Whole arrays (None for a missing file): memory-mapped locally, fetched concurrently into memory remotely."""
    if not paths or not isinstance(paths[0], RemotePath):
        return [load(p) if p.exists() else None for p in paths]
    import io

    from ..io.base import read_many

    return [None if raw is None else np.load(io.BytesIO(raw)) for raw in read_many(paths)]


def save_routed(base: Path | RemotePath, route: np.ndarray, n_routes: int, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays grouped by destination ``route`` (0..n_routes-1) with an offsets index, so a later task for
    destination r reads only its slice of every run."""
    order = np.argsort(route, kind="stable")
    with upload_batch():
        for name, a in arrays.items():
            save(base.with_name(f"{base.name}.{name}.npy"), a[order])
    off = np.searchsorted(route[order], np.arange(n_routes + 1), side="left").astype(np.int64)
    save(base.with_name(f"{base.name}.off.npy"), off)  # written last: its presence marks a complete run


def read_routed(bases: list[Path | RemotePath], r: int | tuple[int, int],
                names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The rows of every run routed to destination r (or to the destinations r[0] <= d < r[1])."""
    lo, hi = (r, r + 1) if isinstance(r, int) else r
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    if bases and isinstance(bases[0], RemotePath):
        # Every run's offsets, then every slice, each in one round of concurrent requests.
        offs = load_many([b.with_name(f"{b.name}.off.npy") for b in bases])
        specs = []
        for base, off in zip(bases, offs):
            if off is None:
                raise FileNotFoundError(f"{base}.off.npy")
            a, b = int(off[lo]), int(off[hi])
            if b > a:  # nothing routed here: no request
                specs += [(base.with_name(f"{base.name}.{n}.npy"), a, b) for n in names]
        rows = load_rows_many(specs)
        for j, arr in enumerate(rows):
            parts[names[j % len(names)]].append(arr)
        return {n: (np.concatenate(v) if v else np.zeros(0, U64)) for n, v in parts.items()}
    for base in bases:
        off = np.load(base.with_name(f"{base.name}.off.npy"))
        a, b = int(off[lo]), int(off[hi])
        for n in names:
            parts[n].append(np.asarray(load(base.with_name(f"{base.name}.{n}.npy"))[a:b]))
    return {n: (np.concatenate(v) if v else np.zeros(0, U64)) for n, v in parts.items()}


def routed_len(bases: list[Path | RemotePath]) -> int:
    return sum(int(load(b.with_name(f"{b.name}.off.npy"))[-1]) for b in bases)


# --- per-shard collected data ------------------------------------------------------------------------------------

@dataclass
class ShardWriter:
    """What one shard collects: per-document length and id, and key tables (key, ordinal) sorted by key."""

    folder: Path | RemotePath
    shard: str

    def path(self, what: str) -> Path | RemotePath:
        return self.folder / f"{self.shard}.{what}.npy"

    def write_docs(self, lengths: list[int], ids: list[str]) -> None:
        blob = "".join(ids).encode("utf-8", "surrogatepass")
        off = np.zeros(len(ids) + 1, dtype=np.int64)
        off[1:] = np.cumsum([len(i.encode("utf-8", "surrogatepass")) for i in ids])
        save(self.path("ids"), np.frombuffer(blob, dtype=np.uint8))
        save(self.path("ido"), off)
        save(self.path("len"), np.asarray(lengths, dtype=np.int64))

    def write_table(self, t: int, keys: np.ndarray, ords: np.ndarray, keys2: np.ndarray | None = None) -> None:
        keys = np.asarray(keys, dtype=U64)
        ords = np.asarray(ords, dtype=np.uint32)
        cols = (ords,) + ((np.asarray(keys2, dtype=U64),) if keys2 is not None else ()) + (keys,)
        order = np.lexsort(cols)
        if keys2 is not None:
            save(self.path(f"t{t}k2"), np.asarray(keys2, dtype=U64)[order])
        save(self.path(f"t{t}o"), ords[order])
        save(self.path(f"t{t}k"), keys[order])


# A reference index's shard (``against``) is named in a reduce's shard list as "<label>NUL<folder>NUL<shard>", so
# every task reads it from that folder and names it by its label; own shards are plain names (never holding NUL).
REF_SEP = "\x00"


def ref_shard(label: str, folder: str, name: str) -> str:
    return f"{label}{REF_SEP}{folder}{REF_SEP}{name}"


def is_ref(s: str) -> bool:
    return REF_SEP in s


def ref_label(s: str) -> str | None:
    return s.split(REF_SEP, 1)[0] if REF_SEP in s else None


def shard_file(folder: Path | RemotePath, s: str, what: str) -> Path | RemotePath:
    """The file ``what`` (``t0k``, ``len``, ``sig``, ...) of shard ``s``: in ``folder`` or, for a reference's
    shard, in the reference's folder."""
    if REF_SEP in s:
        _, f, name = s.split(REF_SEP)
        return as_path(f) / f"{name}.{what}.npy"
    return folder / f"{s}.{what}.npy"


def n_refs(shards) -> int:
    """References come first in a shard list (their uids are the smallest, so ``first`` keeps them)."""
    return sum(1 for s in shards if REF_SEP in s)


def shard_names(folder: Path | RemotePath) -> list[str]:
    # pathlib's glob matches hidden names: a killed worker's ``.tmp-...len.npy`` is no shard.
    return sorted(p.name[: -len(".len.npy")] for p in folder.glob("*.len.npy") if not is_temp_name(p.name))


class DocInfo:
    """Random access to the lengths and ids of collected documents by uid (memory-mapped, opened lazily)."""

    def __init__(self, folder: Path | RemotePath, shards: list[str]):
        self.folder, self.shards = folder, shards
        self._len: dict[int, np.ndarray] = {}
        self._ids: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._sig: dict[int, np.ndarray] = {}

    def lengths(self, uids: np.ndarray) -> np.ndarray:
        uids = np.asarray(uids, dtype=U64)
        out = np.zeros(len(uids), dtype=np.int64)
        sidx = (uids >> U64(32)).astype(np.int64)
        ords = (uids & U64(0xFFFFFFFF)).astype(np.int64)
        for s in np.unique(sidx):
            if s not in self._len:
                self._len[s] = load(shard_file(self.folder, self.shards[s], "len"))
            m = sidx == s
            out[m] = self._len[s][ords[m]]
        return out

    def signatures(self, uids: np.ndarray) -> np.ndarray:
        """MinHash signature rows by uid (only when the step stored them, for candidate verification)."""
        uids = np.asarray(uids, dtype=U64)
        sidx = (uids >> U64(32)).astype(np.int64)
        ords = (uids & U64(0xFFFFFFFF)).astype(np.int64)
        out = None
        for s in np.unique(sidx):
            if s not in self._sig:  # kept open: verification asks for the same shards chunk after chunk
                self._sig[s] = load(shard_file(self.folder, self.shards[s], "sig"))
            sig = self._sig[s]
            if out is None:
                out = np.zeros((len(uids), sig.shape[1]), dtype=sig.dtype)
            m = sidx == s
            out[m] = sig[ords[m]]
        return out if out is not None else np.zeros((0, 0), dtype=np.uint32)

    def doc_id(self, uid: int) -> str:
        s, o = uid >> 32, uid & 0xFFFFFFFF
        if s not in self._ids:
            self._ids[s] = (load(shard_file(self.folder, self.shards[s], "ids")),
                            np.asarray(load(shard_file(self.folder, self.shards[s], "ido"))))
        blob, off = self._ids[s]
        return bytes(blob[off[o]:off[o + 1]]).decode("utf-8", "surrogatepass")

    def position(self, uid: int) -> str:
        s = self.shards[uid >> 32]
        if REF_SEP in s:
            label, _, name = s.split(REF_SEP)
            return f"{label}/{name}:{uid & 0xFFFFFFFF}"
        return f"{s}:{uid & 0xFFFFFFFF}"

    def reference(self, uid: int) -> str | None:
        """The label of the reference index holding this document, or None for the run's own."""
        return ref_label(self.shards[uid >> 32])


def keep_order(uids: np.ndarray, info: DocInfo, keep: str) -> list[np.ndarray]:
    """Sort keys (for np.lexsort, least significant first) that put the document to keep first."""
    keys = [uids, -info.lengths(uids)] if keep == "longest" else [uids]
    refs = n_refs(info.shards)
    if refs:  # a reference's copy is kept whatever the rule: the reference corpus is already published
        keys.append((uids >> U64(32)) >= U64(refs))
    return keys


# --- phase A: group a key table --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableTask:
    """One key range of one table across all shards."""

    folder: str
    shards: tuple[str, ...]
    table: int
    part: int
    parts: int
    mode: str  # "exact" | "edges" | "lines"
    out: str
    keep: str = "first"
    min_docs: int = 2
    keep_first: bool = False
    has_k2: bool = False
    verify: float = 0.0  # edges: keep a bucket edge only if the signatures agree on at least this share


def _range(part: int, parts: int) -> tuple[int, int | None]:
    lo = (part << 64) // parts
    hi = ((part + 1) << 64) // parts
    return lo, (None if part == parts - 1 else hi)


def read_table_range(folder: Path | RemotePath, shards: tuple[str, ...], t: int, part: int, parts: int, has_k2: bool):
    lo, hi = _range(part, parts)
    ks, k2s, us = [], [], []
    if isinstance(folder, RemotePath):
        _read_table_range_remote(folder, shards, t, lo, hi, has_k2, ks, k2s, us)
    for si, s in enumerate(shards if not isinstance(folder, RemotePath) else ()):
        kp = shard_file(folder, s, f"t{t}k")
        if not kp.exists():
            continue
        keys = load(kp)
        a = int(np.searchsorted(keys, U64(lo), side="left"))
        b = len(keys) if hi is None else int(np.searchsorted(keys, U64(hi), side="left"))
        if b <= a:
            continue
        ks.append(np.asarray(keys[a:b]))
        us.append((U64(si) << U64(32)) | load_rows(shard_file(folder, s, f"t{t}o"), a, b).astype(U64))
        if has_k2:
            k2s.append(load_rows(shard_file(folder, s, f"t{t}k2"), a, b))
    if not ks:
        z = np.zeros(0, U64)
        return z, z, z
    k = np.concatenate(ks)
    return k, (np.concatenate(k2s) if has_k2 else np.zeros(len(k), U64)), np.concatenate(us)


REMOTE_GROUP = 64  # shards whose key ranges one round of concurrent requests fetches


def _read_table_range_remote(folder: RemotePath, shards: tuple[str, ...], t: int, lo: int, hi: int | None,
                             has_k2: bool, ks: list, k2s: list, us: list) -> None:
    """Only the key range of each shard travels: the range's ends are found by ranged reads around where uniform
    64-bit keys put them (``_locate``), then the keys, ordinals and second keys of the range are read. Three or four
    rounds of concurrent requests per group of shards, a few KB besides the rows themselves."""
    fs, _ = remote_fs(folder.url)
    for g in range(0, len(shards), REMOTE_GROUP):
        group = list(enumerate(shards))[g:g + REMOTE_GROUP]
        cols = ("k", "o", "k2") if has_k2 else ("k", "o")
        paths = [remote_fs(shard_file(folder, s, f"t{t}{c}").url)[1] for _, s in group for c in cols]
        layouts = _headers(fs, paths)
        nc = len(cols)
        have = [j for j in range(len(group)) if layouts[j * nc] is not None]
        for j in have:
            if layouts[j * nc][2] != np.dtype(U64) or len(layouts[j * nc][0]) != 1:
                raise ValueError(f"{paths[j * nc]}: a key table must be a 1-d uint64 array")
        kp = [paths[j * nc] for j in have]
        kl = [layouts[j * nc] for j in have]
        a_s = _locate(fs, kp, kl, [lo] * len(have))
        b_s = [lay[0][0] for lay in kl] if hi is None else _locate(fs, kp, kl, [hi] * len(have))
        sel = [(j, a, b) for j, a, b in zip(have, a_s, b_s) if b > a]
        rows = _rows(fs, [paths[j * nc + c] for j, _, _ in sel for c in range(nc)],
                     [layouts[j * nc + c] for j, _, _ in sel for c in range(nc)],
                     [(a, b) for _, a, b in sel for _ in range(nc)])
        for m, (j, _, _) in enumerate(sel):
            si = group[j][0]
            ks.append(rows[m * nc])
            us.append((U64(si) << U64(32)) | rows[m * nc + 1].astype(U64))
            if has_k2:
                k2s.append(rows[m * nc + 2])


def run_table_task(task: TableTask) -> int:
    """Group equal keys; write what the mode needs, routed to the next phase. Returns the rows written."""
    folder = as_path(task.folder)
    k, k2, uid = read_table_range(folder, task.shards, task.table, task.part, task.parts, task.has_k2)
    info = DocInfo(folder, list(task.shards))
    out = as_path(task.out)
    if len(k):
        order = np.lexsort(tuple(keep_order(uid, info, task.keep)) + (k2, k))
        k, k2, uid = k[order], k2[order], uid[order]
        new = np.ones(len(k), dtype=bool)
        new[1:] = (k[1:] != k[:-1]) | (k2[1:] != k2[:-1])
        gid = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        sizes = np.diff(np.append(starts, len(k)))
        gsize = sizes[gid]
        first = uid[starts][gid]
    else:
        gsize = first = np.zeros(0, np.int64)
    n_shards = len(task.shards)
    # Rows about a reference's own documents are never applied (only the run's shards are decided), and an edge
    # between two of them cannot change whether a run's document shares a component with the reference.
    own = (uid >> U64(32)) >= U64(n_refs(task.shards))
    if task.mode == "exact":
        m = (gsize >= 2) & own
        save_routed(out, (uid[m] >> U64(32)).astype(np.int64), n_shards,
                    {"uid": uid[m], "keeper": first[m].astype(U64), "size": gsize[m].astype(np.int64),
                     "k": k[m], "k2": k2[m]})
        return int(m.sum())
    if task.mode == "edges":
        m = (gsize >= 2) & (uid != first) & own
        a, b = first[m].astype(U64), uid[m]
        if task.verify > 0 and len(a):
            agree = np.zeros(len(a))
            for c0 in range(0, len(a), 65536):  # bounded: signatures of one chunk of edges at a time
                sa, sb = info.signatures(a[c0:c0 + 65536]), info.signatures(b[c0:c0 + 65536])
                agree[c0:c0 + 65536] = (sa == sb).mean(axis=1)
            a, b = a[agree >= task.verify], b[agree >= task.verify]
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        save_routed(out, partition_of(src, VIRTUAL), VIRTUAL, {"src": src, "dst": dst})
        return int(len(src))
    if task.mode == "lines":
        m = (gsize >= task.min_docs) & own
        if task.keep_first:
            m &= uid != first
        save_routed(out, (uid[m] >> U64(32)).astype(np.int64), n_shards,
                    {"uid": uid[m], "k": k[m], "k2": k2[m], "size": gsize[m].astype(np.int64),
                     "first": first[m].astype(U64)})
        return int(m.sum())
    raise ValueError(task.mode)


# --- phase B: connected components ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StarTask:
    inputs: tuple[str, ...]
    part: int
    parts: int
    op: str  # "large" | "small" | "label"
    out: str
    virtual: bool = False  # inputs are routed to VIRTUAL slots (the bucket phase's output)


def _read_edges(inputs: tuple[str, ...], part: int, parts: int, virtual: bool) -> tuple[np.ndarray, np.ndarray]:
    r = (part * VIRTUAL // parts, (part + 1) * VIRTUAL // parts) if virtual else part
    d = read_routed([as_path(p) for p in inputs], r, ("src", "dst"))
    src, dst = d["src"].astype(U64), d["dst"].astype(U64)
    if len(src):
        order = np.lexsort((dst, src))
        src, dst = src[order], dst[order]
        keep = np.ones(len(src), dtype=bool)
        keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst = src[keep], dst[keep]
    return src, dst


def _fingerprint(src: np.ndarray, dst: np.ndarray) -> int:
    if not len(src):
        return 0
    return int(np.sum(mix64(mix64(src) ^ dst), dtype=U64))


def run_star_task(task: StarTask) -> tuple[int, int]:
    """One partition (edges grouped by source node) of one large-star or small-star step. Returns the count and
    an order-independent fingerprint of the edges it read, so the driver can see when a step changed nothing."""
    src, dst = _read_edges(task.inputs, task.part, task.parts, task.virtual)
    fp = (len(src), _fingerprint(src, dst))
    out = as_path(task.out)
    if len(src):
        new = np.ones(len(src), dtype=bool)
        new[1:] = src[1:] != src[:-1]
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        nbr_min = np.minimum.reduceat(dst, starts)[gid]
        m_all = np.minimum(nbr_min, src)
    if task.op == "label":
        if len(src):
            nodes, labels = src[starts], m_all[starts]
        else:
            nodes = labels = np.zeros(0, U64)
        # route by label so that a whole component meets in one task of the next phase
        save_routed(out, partition_of(labels, task.parts), task.parts, {"node": nodes, "label": labels})
        return fp
    if not len(src):
        a = b = np.zeros(0, U64)
    elif task.op == "large":
        m = dst > src
        a, b = dst[m], m_all[m]
    elif task.op == "small":
        # smaller neighbours of each node: the group's minimum over dst < src
        smaller = dst < src
        big = np.full(len(dst), M64, dtype=U64)
        big[smaller] = dst[smaller]
        smin = np.minimum.reduceat(big, starts)[gid]
        has = smin != U64(M64)
        m1 = smaller & (dst != smin)
        first_of_group = new & has
        a = np.concatenate([dst[m1], src[first_of_group]])
        b = np.concatenate([smin[m1], smin[first_of_group]])
    else:
        raise ValueError(task.op)
    s2, d2 = np.concatenate([a, b]), np.concatenate([b, a])
    save_routed(out, partition_of(s2, task.parts), task.parts, {"src": s2, "dst": d2})
    return fp


def connected_components(edge_runs: list[Path | RemotePath], parts: int, work: Path | RemotePath, mapper,
                         max_steps: int = 200) -> list[Path | RemotePath]:
    """Alternate large-star and small-star until neither changes the edge set; the result is a forest of stars
    centred on each component's smallest uid. Returns runs of (node, label) routed by label."""
    inputs = [str(p) for p in edge_runs]
    history: list[tuple[int, int]] = []
    for step in range(max_steps):
        op = "large" if step % 2 == 0 else "small"
        outs = [str(work / f"s{step:03d}-{p:05d}") for p in range(parts)]
        fps = mapper(run_star_task, [StarTask(tuple(inputs), p, parts, op, outs[p], step == 0) for p in range(parts)])
        history.append((sum(c for c, _ in fps), sum(f for _, f in fps) & M64))
        # the input of this step equals the inputs of the two steps before: both operations are at a fixpoint
        if len(history) >= 3 and history[-1] == history[-2] == history[-3]:
            break
        inputs = outs
    else:
        raise RuntimeError(f"connected components did not converge in {max_steps} steps")
    outs = [str(work / f"label-{p:05d}") for p in range(parts)]
    mapper(run_star_task, [StarTask(tuple(inputs), p, parts, "label", outs[p], step == 0) for p in range(parts)])
    return [as_path(o) for o in outs]


# --- phase C: choose the keeper of each component --------------------------------------------------------------

@dataclass(frozen=True)
class ClusterTask:
    folder: str
    shards: tuple[str, ...]
    inputs: tuple[str, ...]
    part: int
    keep: str
    out: str


def run_cluster_task(task: ClusterTask) -> int:
    d = read_routed([as_path(p) for p in task.inputs], task.part, ("node", "label"))
    node, label = d["node"].astype(U64), d["label"].astype(U64)
    info = DocInfo(as_path(task.folder), list(task.shards))
    if len(node):
        order = np.lexsort(tuple(keep_order(node, info, task.keep)) + (label,))
        node, label = node[order], label[order]
        new = np.ones(len(node), dtype=bool)
        new[1:] = label[1:] != label[:-1]
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        size = np.diff(np.append(starts, len(node)))[gid]
        keeper = node[starts][gid]
    else:
        size = np.zeros(0, np.int64)
        keeper = np.zeros(0, U64)
    save_routed(as_path(task.out), (node >> U64(32)).astype(np.int64), len(task.shards),
                {"uid": node, "keeper": keeper, "size": size.astype(np.int64), "k": label,
                 "k2": np.zeros(len(node), U64)})
    return int(len(node))


def parts_for(rows: int, bytes_per_row: int, memory_mb: int) -> int:
    """Slices needed so one task's working set (rows x bytes_per_row) stays within the budget."""
    budget = max(memory_mb, 1) * (1 << 20)
    return max(1, -(-rows * bytes_per_row // budget))


def run_marker(work: Path | RemotePath, name: str) -> Path | RemotePath:
    return work / f"{name}.done"


def phase(work: Path | RemotePath, name: str, fn, *args: Any) -> Any:
    """Run a reduce phase unless a marker says it finished (a killed reduce resumes at the phase it was in)."""
    import orjson

    marker = run_marker(work, name)
    try:  # one request on an object store, not an existence check and then a read
        return orjson.loads(marker.read_bytes())
    except FileNotFoundError:
        pass
    result = fn(*args)
    with atomic_path(marker) as tmp:
        tmp.write_bytes(orjson.dumps(result))
    return result


# --- phase D: one decisions file per shard ----------------------------------------------------------------------

@dataclass(frozen=True)
class DecideTask:
    folder: str
    shards: tuple[str, ...]
    inputs: tuple[str, ...]
    shard_index: int
    out: str
    style: str  # "hash": cluster named by its content hash; "position": by its first document; "lines"


def run_decide_task(task: DecideTask) -> int:
    """Gather the rows of one shard and resolve the kept documents' ids, so the apply pass reads one small file."""
    import orjson

    info = DocInfo(as_path(task.folder), list(task.shards))
    bases = [as_path(p) for p in task.inputs]
    if task.style == "lines":
        d = read_routed(bases, task.shard_index, ("uid", "k", "k2", "size", "first"))
        order = np.lexsort((d["k2"], d["k"], d["uid"]))
        rows: dict[int, list] = {}
        for uid, k, k2, size, first in zip(*(d[n][order].tolist() for n in ("uid", "k", "k2", "size", "first"))):
            # the unit's earliest holder is in a reference index: the edit names that reference
            # (and whether this document is the unit's earliest holder: LineDedup.copy_share)
            rows.setdefault(uid & 0xFFFFFFFF, []).append([k, k2, size, info.reference(first), uid == first])
        out = [[o, info.doc_id((task.shard_index << 32) | o), units] for o, units in sorted(rows.items())]
    else:
        d = read_routed(bases, task.shard_index, ("uid", "keeper", "size", "k", "k2"))
        order = np.argsort(d["uid"], kind="stable")
        out = []
        for uid, keeper, size, k, k2 in zip(*(d[n][order].tolist() for n in ("uid", "keeper", "size", "k", "k2"))):
            cluster = f"{k:016x}{k2:016x}" if task.style == "hash" else info.position(k)
            out.append([uid & 0xFFFFFFFF, info.doc_id(uid), info.doc_id(keeper), cluster, size, uid == keeper,
                        info.reference(keeper)])
    with atomic_path(as_path(task.out)) as tmp:
        tmp.write_bytes(orjson.dumps({"rows": out}))
    return len(out)
