"""``winnow shuffle-merge``: tokenized shards in, N files out, documents in one seeded global shuffle.

A trainer reads its files in order, so the documents of one crawl shard must not arrive together. This merges the
shards a run wrote with a tokenized writer (``megatron``, ``datatrove``, ``nanogpt``) into ``files`` output files of
the same layout:

1. Every document is sent to a uniformly random output file: input ``k``'s ``n`` documents draw their outputs from
   ``numpy.random.default_rng([seed, k])`` in one vectorised call, so the draw is recomputed identically wherever
   and whenever it is needed and never stored.
2. Output ``j`` gathers the (input, document) pairs sent to it, permutes them with ``default_rng([seed, files, j])``
   and copies each document's tokens (EOS/BOS included, as written) from the inputs' memory maps.

Each output file is thus a uniform random sample of the corpus in uniformly random order: what a global shuffle
gives a trainer reading files one after another. Memory per output task is the draw of one input at a time (a byte
per document of that input) plus 20 bytes per document of its own output, not of the corpus: 1 B documents into
1,000 files is 20 MB per task. The tokens are read through the page cache, never loaded whole; the token index of
each input is read once, by a task per input that writes its documents' (start, end) token offsets grouped by
output (``.by-output/<k>.bounds``), and an output task reads its own range of each (16 bytes per document it holds).

Document ids: when every input has its ``<shard>.ids.jsonl`` (the tokenized writers write one, ``doc_ids``), each
output gets one too, naming its documents in its order with their new first token and count, so ``winnow explain``
finds a document a mix or a shuffle-merge kept. Each input's token index and ids file are read once, by a task per
input that writes its documents' token bounds and ids lines grouped by output (``.by-output/<k>.bounds`` and
``<k>.jsonl`` in the output folder, removed when the outputs are done); an output task reads its own range of each,
16 bytes and a line per document it holds, and keeps one id per document of its output beside the 20 bytes.
(Every output task read every input's ids file and token index whole before: with 1,000 outputs, 1,000 times the
ids and the indexes, the largest I/O terms, and ~90 bytes per document of the largest input in memory in each
task.)

Resumable: the plan (inputs with sizes and document counts, seed, files, layout) is written first to
``shuffle-merge.json`` in the output folder; a later call with the same arguments skips every output whose tokens
file exists (each output's files are written under temporary names, the index first and the tokens file last), and
a call with other arguments or changed inputs is refused. An input inside the records' root folder (the run folder
for a mix stage, else the output folder) is named relative to it, one outside by its absolute path, so a run folder
copied or moved elsewhere resumes with the same plan and writes the same bytes. Outputs are independent tasks: they run on the inline,
local or Ray executor (``executor.map``). Inputs and output must be on a local or shared file system (memory maps).

``winnow mix`` (``mix``) is the same shuffle over several weighted sources, each repetition of a source one more
input; beside its outputs it writes ``mixture.json`` (the realised mixture and every input document's fate, summed)
and ``selection/<source>/<k>.npy`` (each document's number of copies). The ``mix`` stage type (``Mix``,
``run_mix_stage``) runs it inside a pipeline over earlier stages', other run folders' or any tokenized files, and
``mix_stage_stats`` makes its ledger entry in ``stats.json``.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import orjson

from .errors import ConfigError
from .io.base import atomic_path, remove_dead_temps
from .io.tokenized import FORMATS, IDS, _memmap, companion_path, read_tokenized, same_tokenizer

__all__ = ["shuffle_merge", "mix", "detect_format", "assignments", "partial_mask", "PLAN_NAME", "MIXTURE_NAME", "Mix",
           "run_mix_stage", "mix_stage_stats"]

PLAN_NAME = "shuffle-merge.json"
# The folder in the output folder that holds each input's token bounds and ids lines grouped by output while the
# outputs are written (_ByOutput); hidden, so no glob for the outputs' files meets it.
BY_OUTPUT = ".by-output"


def detect_format(path: str) -> str:
    """The tokenized layout of a file, from its name and its companions."""
    p = Path(path)
    if p.name.endswith(".ds"):
        return "datatrove"
    if p.name.endswith(".bin"):
        if companion_path(p, ".bin", ".idx").exists():
            return "megatron"
        if companion_path(p, ".bin", ".docs.npy").exists():
            return "nanogpt"
    raise ConfigError(f"{path}: not a tokenized file (megatron .bin + .idx, datatrove .ds + .ds.index, nanogpt "
                      ".bin + .docs.npy)")


def assignments(seed: int, input_index: int, n_docs: int, files: int) -> np.ndarray:
    """The output file of each document of one input: a pure function of (seed, input, count, files)."""
    dtype = np.uint8 if files <= 256 else np.uint16 if files <= 65536 else np.uint32
    return np.random.default_rng([seed, input_index]).integers(0, files, n_docs, dtype=dtype)


def _local_only(what: str, paths: list[str]) -> None:
    """Refuse a URL: the inputs are read and the outputs written as memory maps, on a local or shared file system
    (a URL output was written to a local folder 's3:/bucket/x', and said to be under s3://bucket/x)."""
    from .io.base import is_remote

    for p in paths:
        if is_remote(str(p)):
            raise ConfigError(f"{what} {p}: shuffle-merge and mix read and write tokens as memory maps, on a local or "
                              "shared file system, not an object store; write to a local folder and copy it (e.g. "
                              "aws s3 sync), or mount the bucket")


def _expand(inputs: list[str]) -> list[str]:
    _local_only("input", inputs)
    out: list[str] = []
    for pattern in inputs:
        hits = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not hits:
            raise ConfigError(f"no tokenized file matches {pattern}")
        out += [h for h in hits if not Path(h).name.startswith(".tmp")]
    if len(set(out)) != len(out):
        raise ConfigError("an input file is given twice")
    return sorted(out)


@dataclass
class _OutputTask:
    """Writes output file ``j``; picklable, so any executor ships it."""

    plan: dict[str, Any]
    output: str
    j: int
    root: str  # the absolute folder that the plan's relative input paths are relative to
    # per input, what _ByOutput returned: its token dtype and tokenizer, and the range of this output's documents
    # in BY_OUTPUT/<k>.bounds (and of its ids lines in BY_OUTPUT/<k>.jsonl; no "ids" when an input has no ids file,
    # and no output names its documents rather than some of them). None when every output was already written.
    groups: list[dict[str, Any]] | None = None

    def __call__(self) -> dict[str, Any]:
        plan, j = self.plan, self.j
        fmt, files, seed = plan["format"], plan["files"], plan["seed"]
        writer = FORMATS[fmt]
        main = Path(self.output) / output_name(plan, j)
        if main.exists():  # finished by an earlier call: its index was renamed into place before it
            return _count(main, fmt) | {"skipped": True}
        if self.groups is None:
            raise ConfigError(f"{main}: no grouping of the inputs for an output still to write")
        # per input in turn: which of its documents come here, and where their tokens are (the bounds _ByOutput
        # wrote grouped by output: 16 bytes per document of this output, not every input's index whole);
        # memory is 20 bytes per document of this output (and its id) plus one input's draw
        picks_in: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        tokens: list[np.ndarray] = []  # memory maps: pages come and go with the page cache
        tokenizer = ""
        with_ids = all("ids" in g for g in self.groups)
        doc_ids: list[Any] | None = [] if with_ids else None  # the picked documents' ids, in picks order
        by = Path(self.output) / BY_OUTPUT
        for k, (inp, g) in enumerate(zip(plan["inputs"], self.groups)):
            here = assignments(seed, k, inp["docs"], files) == j
            taken = _taken(inp, self.output)
            if taken is not None:
                here &= taken
            n = int(np.count_nonzero(here))
            a, b = g["docs"]
            if b - a != n:
                raise ConfigError(f"{by / f'{k}.bounds'} holds {b - a:,} documents for an output that takes {n:,} "
                                  "of its input: changed while the outputs were written")
            se = _read_bounds(by / f"{k}.bounds", a, b)
            if doc_ids is not None:
                doc_ids = _slice_ids(by / f"{k}.jsonl", g["ids"], n, doc_ids)
            picks_in.append(np.full(n, k, dtype=np.int32))
            starts.append(se[:, 0])
            ends.append(se[:, 1])
            path = Path(_at(self.root, inp["path"]))
            tokens.append(_memmap(path, np.dtype(g["dtype"])))
            tokenizer = tokenizer or g["tokenizer"]
        dtypes = {t.dtype.str for t in tokens}
        if len(dtypes) > 1:
            raise ConfigError(f"the inputs mix token widths {sorted(dtypes)}: written with different dtypes")
        dtype = tokens[0].dtype if tokens else np.dtype("<u2")
        src_in = np.concatenate(picks_in) if picks_in else np.zeros(0, np.int32)
        src_start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
        src_end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
        del picks_in, starts, ends
        order = np.random.default_rng([seed, files, j]).permutation(len(src_in))
        with contextlib.ExitStack() as stack:
            # entered first, left last: the index files are renamed into place before the tokens file, so a
            # tokens file under its final name (what resume looks for) always has its index beside it
            tmp = stack.enter_context(atomic_path(main))
            comps = {c: stack.enter_context(atomic_path(companion_path(main, writer.extension, c)))
                     for c in writer.COMPANIONS + ((IDS,) if doc_ids is not None else ())}
            sink = writer.SINK(tmp, comps, dtype, tokenizer)
            if doc_ids is None:
                for i in order:
                    sink.append(tokens[src_in[i]][src_start[i]:src_end[i]])
            else:
                for i in order:
                    sink.append(tokens[src_in[i]][src_start[i]:src_end[i]], doc_ids[i])
            sink.close()
        return {"file": main.name, "docs": len(order), "tokens": int(sum(sink.lengths)), "skipped": False}


def _read_bounds(path: Path, a: int, b: int) -> np.ndarray:
    """Documents ``a`` to ``b`` of an input's bounds grouped by output (_ByOutput): (start, end) token offsets, one
    row per document, read with one positioned read of their 16 bytes each."""
    if b == a:
        return np.zeros((0, 2), np.int64)
    with open(path, "rb", buffering=0) as f:
        f.seek(16 * a)
        data = bytearray()
        while len(data) < 16 * (b - a):
            chunk = f.read(16 * (b - a) - len(data))
            if not chunk:
                raise ConfigError(f"{path} is cut short: changed while the outputs were written")
            data += chunk
    return np.frombuffer(bytes(data), "<i8").reshape(-1, 2)


def _taken(inp: dict[str, Any], output: str) -> np.ndarray | None:
    """A mix's partial repetition: which documents of the input it takes (None: all). The driver drew the sample
    once and recorded it as each document's copies (one more than the whole repetitions when sampled): reading it is
    a byte per document, where drawing it again costs ~90 ns per document in every task."""
    if "budget" not in inp:
        return None
    return np.load(Path(output) / inp["selection"], mmap_mode="r") > inp["rep"]


def _slice_ids(path: Path, span: tuple[int, int], n: int, out: list[Any]) -> list[Any]:
    """``out`` with the ids of the ``n`` documents an output takes from one input appended: its range ``span`` of
    the input's ids lines grouped by output (_ByOutput), in the input's order."""
    with open(path, "rb", buffering=0) as f:  # buffered, a read after a seek reads on to a buffer's end
        f.seek(span[0])
        data = bytearray()
        while len(data) < span[1] - span[0]:
            chunk = f.read(span[1] - span[0] - len(data))
            if not chunk:
                break
            data += chunk
        lines = bytes(data).splitlines()
    if len(lines) != n:
        raise ConfigError(f"{path} holds {len(lines):,} ids for an output that takes {n:,} documents of its input: "
                          "changed while the outputs were written")
    out.extend(orjson.loads(x).get("id") for x in lines)
    return out


# Lines of an ids file handled at a time by _ByOutput: bounds the lists of lines and targets to ~1 MB (chosen on
# bench/shuffle_merge_ids.py: with 1 << 16 a task peaked at 11.9 MB for a 4.2 MB ids file, with 1 << 13 at 6.5 MB)
# while the loop's per-chunk cost stays negligible.
_IDS_CHUNK = 1 << 13


@dataclass
class _ByOutput:
    """Reads input ``k``'s token index once and writes each document's (start, end) token offsets as two int64,
    grouped by the output it goes to (those a mix's partial repetition does not take left out), each group in the
    input's order, to ``BY_OUTPUT/<k>.bounds``; with ``ids``, its ``<shard>.ids.jsonl`` too, the lines grouped the
    same way, to ``BY_OUTPUT/<k>.jsonl``. Returns each group's first document (``files`` + 1 of them) and byte offset
    of ids lines, the token dtype and the tokenizer. An output task then reads a range of each input's files: its
    own documents' bounds and ids, not every input's index and ids whole. Memory: about the size of the input's
    index and ids file, in one task per input rather than in every output task."""

    plan: dict[str, Any]
    output: str
    k: int
    root: str
    ids: bool = True

    def __call__(self) -> dict[str, Any]:
        plan, k = self.plan, self.k
        inp, files = plan["inputs"][k], plan["files"]
        tf = read_tokenized(_at(self.root, inp["path"]), plan["format"])
        if len(tf) != inp["docs"]:
            raise ConfigError(f"{inp['path']} changed since the plan was made ({len(tf)} documents, not "
                              f"{inp['docs']})")
        dest = assignments(plan["seed"], k, inp["docs"], files)
        taken = _taken(inp, self.output)
        # a document not taken goes to no output: sorted past the last (stable, so each group keeps input order)
        to = dest.astype(np.int64)
        if taken is not None:
            to[~taken] = files
        order = np.argsort(to, kind="stable")
        firsts = np.searchsorted(to[order], np.arange(files + 1)).tolist()
        order = order[:firsts[-1]]
        pairs = np.empty((len(order), 2), "<i8")
        pairs[:, 0], pairs[:, 1] = tf.bounds[order], tf.bounds[order + 1]
        info = {"docs": firsts, "dtype": tf.tokens.dtype.str, "tokenizer": tf.tokenizer}
        del tf, order, to
        with atomic_path(Path(self.output) / BY_OUTPUT / f"{k}.bounds") as tmp:
            tmp.write_bytes(pairs.tobytes())
        del pairs
        if not self.ids:
            return info
        path = companion_path(Path(_at(self.root, inp["path"])), FORMATS[plan["format"]].extension, IDS)
        groups = [bytearray() for _ in range(files)]
        n = 0
        with open(path, "rb") as f:
            while True:
                lines = list(itertools.islice(f, _IDS_CHUNK))
                if not lines:
                    break
                a, b = min(n, inp["docs"]), min(n + len(lines), inp["docs"])
                to = dest[a:b].tolist()
                if taken is not None:
                    to = [j if t else -1 for j, t in zip(to, taken[a:b].tolist())]
                for line, j in zip(lines, to):  # a line past the documents: counted below, and refused
                    if j >= 0:
                        groups[j] += line if line.endswith(b"\n") else line + b"\n"
                n += len(lines)
        if n != inp["docs"]:
            raise ConfigError(f"{path} names {n:,} documents, its tokens file holds {inp['docs']:,}: written by "
                              "another run, or cut short")
        offsets = [0]
        with atomic_path(Path(self.output) / BY_OUTPUT / f"{k}.jsonl") as tmp, open(tmp, "wb") as out:
            for g in groups:
                out.write(g)
                offsets.append(offsets[-1] + len(g))
        return info | {"offsets": offsets}


def output_name(plan: dict[str, Any], j: int) -> str:
    return f"{plan['prefix']}_{j:05d}{FORMATS[plan['format']].extension}"


def _count(main: Path, fmt: str) -> dict[str, Any]:
    tf = read_tokenized(main, fmt)
    return {"file": main.name, "docs": len(tf), "tokens": int(tf.bounds[-1])}


def _format_of(paths: list[str], fmt: str | None) -> str:
    formats = {detect_format(p) for p in paths} if fmt is None else {fmt}
    if len(formats) != 1:
        raise ConfigError(f"the inputs mix tokenized layouts: {sorted(formats)}")
    fmt = formats.pop()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown tokenized format {fmt!r} (one of {', '.join(FORMATS)})")
    return fmt


def _rel(path: str, root: str) -> str:
    """How the records name an input: relative to ``root`` (POSIX separators) when inside it, else absolute. A run
    folder's records then hold no path of the machine that wrote them, and a copy of the folder resumes."""
    a = os.path.abspath(path)
    r = os.path.relpath(a, os.path.abspath(root))
    return a if r == os.pardir or r.startswith(os.pardir + os.sep) or os.path.isabs(r) else Path(r).as_posix()


def _at(root: str, path: str) -> str:
    """An input's path as the records name it, back to a path to open (an absolute one is left as it is)."""
    return os.path.join(root, path)


def _list(paths: list[str], fmt: str, root: str) -> list[dict[str, Any]]:
    # each input's name and fingerprint (size, documents, tokens): a resumed plan is compared on these, so a copied
    # folder (new mtimes) resumes while a changed input is refused
    listed = []
    for p in paths:
        try:
            tf = read_tokenized(p, fmt)
        except ValueError as exc:  # a cut or damaged input: refused before anything is written, naming it
            raise ConfigError(f"input {exc}") from None
        st = os.stat(p)
        listed.append({"path": _rel(p, root), "bytes": st.st_size, "docs": len(tf), "tokens": int(tf.bounds[-1])})
    return listed


def shuffle_merge(inputs: list[str], output: str, files: int, seed: int = 0, fmt: str | None = None,
                  prefix: str = "shuffled", executor: dict[str, Any] | str | None = "local",
                  workers: int | None = None, root: str | None = None) -> dict[str, Any]:
    """Merge tokenized files into ``files`` outputs in ``output``; returns the summary also written to the plan.
    ``root`` (default ``output``): inputs inside it are recorded relative to it."""
    if files < 1:
        raise ConfigError(f"files must be >= 1, got {files}")
    _local_only("output folder", [output])
    root = os.path.abspath(output if root is None else root)
    paths = _expand(inputs)
    fmt = _format_of(paths, fmt)
    plan = {"format": fmt, "files": files, "seed": seed, "prefix": prefix, "inputs": _list(paths, fmt, root)}
    return _execute(plan, Path(output), executor, workers, root)


def _check_plan(plan: dict[str, Any], out: Path) -> None:
    """Refuses an output folder holding another shuffle-merge's plan (resuming it would mix two runs' files)."""
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / PLAN_NAME
    if plan_path.exists() and orjson.loads(plan_path.read_bytes()).get("plan") != plan:
        raise ConfigError(f"{plan_path} records another shuffle-merge (other inputs, input sizes, seed, files or "
                          "layout): use a new output folder, or the same arguments to resume")


def _execute(plan: dict[str, Any], out: Path, executor: Any, workers: int | None, root: str,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    _check_plan(plan, out)
    # a writer killed (kill -9, out of memory) left its partial output under a temporary name; the resume writes
    # that output again and left the partial one beside it, which Path.glob('*.bin') lists
    for folder in (out, out / BY_OUTPUT):
        remove_dead_temps(folder)
    plan_path = out / PLAN_NAME
    if not plan_path.exists():
        with atomic_path(plan_path) as tmp:
            tmp.write_bytes(orjson.dumps({"plan": plan}, option=orjson.OPT_INDENT_2))
    from .executors import Executor, make_executor

    def run(ex: Executor) -> tuple[list[dict[str, Any]], float]:
        files, inputs = plan["files"], plan["inputs"]
        todo = any(not (out / output_name(plan, j)).exists() for j in range(files))
        has_ids = all(companion_path(Path(_at(root, i["path"])), FORMATS[plan["format"]].extension, IDS).exists()
                      for i in inputs)
        per: list[list[dict[str, Any]] | None] = [None] * files
        cpu = 0.0
        try:
            if todo:  # regrouped on every call that writes an output: read once, whatever the outputs
                grouped = ex.map(_run_task, [_ByOutput(plan, str(out), k, root, has_ids) for k in range(len(inputs))])
                cpu = sum(g["cpu_seconds"] for g in grouped)
                per = [[{"docs": (g["docs"][j], g["docs"][j + 1]), "dtype": g["dtype"], "tokenizer": g["tokenizer"]}
                        | ({"ids": (g["offsets"][j], g["offsets"][j + 1])} if has_ids else {}) for g in grouped]
                       for j in range(files)]
            tasks = [_OutputTask(plan, str(out), j, root, per[j]) for j in range(files)]
            return ex.map(_run_task, tasks), cpu
        finally:  # a later call groups them again (an input may have been replaced meanwhile)
            shutil.rmtree(out / BY_OUTPUT, ignore_errors=True)

    if isinstance(executor, Executor):  # a run's own executor (the mix stage): used, not closed
        results, ids_cpu = run(executor)
    else:
        with make_executor(executor, workers=workers) as ex:
            results, ids_cpu = run(ex)
    docs_in = sum(i.get("take_docs", i["docs"]) for i in plan["inputs"])
    tokens_in = sum(i.get("take_tokens", i["tokens"]) for i in plan["inputs"])
    docs_out = sum(r["docs"] for r in results)
    tokens_out = sum(r["tokens"] for r in results)
    if (docs_in, tokens_in) != (docs_out, tokens_out):  # the ledger: nothing lost, nothing doubled
        raise ConfigError(f"shuffle-merge wrote {docs_out} documents / {tokens_out} tokens for {docs_in} / "
                          f"{tokens_in} read: an output file was changed since it was written")
    summary = {"plan": plan, **(extra or {}), "outputs": [{k: r[k] for k in ("file", "docs", "tokens")} for r in results],
               "docs": docs_out, "tokens": tokens_out, "resumed": sum(r["skipped"] for r in results),
               "cpu_seconds": round(ids_cpu + sum(r.get("cpu_seconds", 0.0) for r in results), 6)}
    with atomic_path(plan_path) as tmp:
        tmp.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def partial_mask(bounds: np.ndarray, budget: int, seed: int, k: int) -> np.ndarray:
    """The documents of one input that a mix takes for its last, partial repetition: a seeded random order, taken
    up to and including the document whose tokens reach ``budget`` (none for a budget <= 0, all when the input
    holds fewer tokens). Stopping before that document instead fell short of every budget and took nothing from an
    input whose first drawn document was longer than its budget."""
    lengths = np.diff(bounds)
    mask = np.zeros(len(lengths), dtype=bool)
    if budget <= 0:
        return mask
    perm = np.random.default_rng([seed, k, 1]).permutation(len(lengths))
    n = int(np.searchsorted(np.cumsum(lengths[perm]), budget, side="left")) + 1  # first running total >= budget
    mask[perm[:n]] = True
    return mask


def mix(sources: dict[str, list[str]], weights: dict[str, float], output: str, files: int, seed: int = 0,
        tokens: int | None = None, fmt: str | None = None, prefix: str = "mixed",
        executor: Any = "local", workers: int | None = None, root: str | None = None) -> dict[str, Any]:
    """A training set from several sources, weighted in tokens, in ``files`` shuffled files.

    Source s gets ``weights[s] / sum(weights) * tokens`` tokens (``tokens`` defaults to all the sources' tokens
    together): its documents are repeated whole ``floor(r)`` times (r = target / its tokens) and a seeded sample of
    them fills the rest, per input file in proportion to the file's tokens: file i's budget is what the source still
    lacks of its remainder's share through file i (``rest * tokens of files 0..i // source tokens`` minus what files
    0..i-1 took), and the file gives a seeded random order of its documents up to and including the one that reaches
    it (``partial_mask``). So a source realises at least its target and less than one document more, deterministically,
    with one input file's documents in memory at a time. Each repetition is a separate input of
    the shuffle, so copies of one document land in independent places. The realised mixture (tokens, documents,
    repetitions and share per source) is written to shuffle-merge.json beside the outputs as ``mixture``, and with
    every input document's fate to ``mixture.json`` (see ``MIXTURE_NAME``). Inputs inside ``root`` (the run folder
    for a mix stage; default ``output``) are named relative to it in both."""
    if files < 1:
        raise ConfigError(f"files must be >= 1, got {files}")
    if set(sources) != set(weights) or not sources:
        raise ConfigError(f"every source needs a weight: sources {sorted(sources)}, weights {sorted(weights)}")
    if any(not (w > 0) or not math.isfinite(w) for w in weights.values()):
        raise ConfigError(f"weights must be finite numbers > 0, got {weights}")
    from .runfolder import check_name

    for name in sources:
        check_name(name, "mix source name")  # it names the folder of its selection records
    _local_only("output folder", [output])
    root = os.path.abspath(output if root is None else root)
    expanded = {name: _expand(pats) for name, pats in sorted(sources.items())}
    owner: dict[str, str] = {}
    for name, ps in expanded.items():
        for p in ps:
            first = owner.setdefault(os.path.realpath(p), name)
            if first != name:  # refused rather than counted: one source with the summed weight is the same mix
                raise ConfigError(f"mix sources {first!r} and {name!r} both read {p}: its documents would be counted "
                                  "twice in the ledger; give them to one source (with the two weights summed)")
    fmt = _format_of([p for ps in expanded.values() for p in ps], fmt)
    listed = {name: _list(ps, fmt, root) for name, ps in expanded.items()}
    have = {name: sum(i["tokens"] for i in li) for name, li in listed.items()}
    for name, t in have.items():
        if t == 0:
            raise ConfigError(f"source {name!r} has no tokens")
    total = int(tokens) if tokens else sum(have.values())
    wsum = sum(weights.values())
    inputs: list[dict[str, Any]] = []
    mixture: dict[str, Any] = {}
    # source -> per input file: (whole repetitions, the partial repetition's sample as packed bits or None): a bit
    # per document of a partially repeated source until the records are written, not a byte per corpus document
    selection: dict[str, list[tuple[int, np.ndarray | None]]] = {}
    for name, li in listed.items():
        target = round(total * weights[name] / wsum)
        full, rest = divmod(target, have[name])
        got_docs = got_tokens = 0
        partial: dict[int, np.ndarray] = {}
        for rep in range(full + (1 if rest else 0)):
            through = part = 0  # the partial repetition: tokens of the files so far, and what they took
            for fi, inp in enumerate(li):
                v = {**inp, "source": name, "rep": rep}
                if rep == full:  # the partial repetition: what the source still lacks of the remainder's share
                    # through this file; a file that overshot (its last document crosses its budget) leaves less
                    # to the next, so the source ends at most one document over, never under
                    through += inp["tokens"]
                    v["budget"] = max(0, rest * through // have[name] - part)
                    v["selection"] = _selection_name(name, fi)
                    k = len(inputs)
                    tf = read_tokenized(_at(root, inp["path"]), fmt)
                    mask = partial_mask(tf.bounds, v["budget"], seed, k)
                    partial[fi] = np.packbits(mask)
                    v["take_docs"] = int(mask.sum())
                    v["take_tokens"] = int(np.diff(tf.bounds)[mask].sum())
                    part += v["take_tokens"]
                    del tf, mask
                got_docs += v.get("take_docs", v["docs"])
                got_tokens += v.get("take_tokens", v["tokens"])
                inputs.append(v)
        selection[name] = [(full, partial.get(fi)) for fi in range(len(li))]
        mixture[name] = {"weight": weights[name], "target_tokens": target, "source_tokens": have[name],
                         "tokens": got_tokens, "docs": got_docs, "full_repetitions": full,
                         "partial": round(rest / have[name], 6)}
    realised = sum(m["tokens"] for m in mixture.values()) or 1
    for m in mixture.values():
        m["share"] = round(m["tokens"] / realised, 6)
    plan = {"format": fmt, "files": files, "seed": seed, "prefix": prefix, "inputs": inputs}
    _check_plan(plan, Path(output))  # before any record is written: another mix's folder stays as it was
    copies = _write_selection(Path(output), listed, selection)
    summary = _execute(plan, Path(output), executor, workers, root, {"mixture": mixture})
    summary["accounting"] = _write_mixture(Path(output), plan, listed, copies, mixture, total, wsum)
    return summary


def _selection_name(source: str, fi: int) -> str:
    return f"selection/{source}/{fi:05d}.npy"


MIXTURE_NAME = "mixture.json"


def _write_selection(out: Path, listed: dict[str, list[dict[str, Any]]],
                     selection: dict[str, list[tuple[int, np.ndarray | None]]]) -> dict[str, dict[int, int]]:
    """Every input document's fate, one input file at a time: ``selection/<source>/<k>.npy`` holds, for input file
    k of the source, how many copies of each of its documents the mix takes (0: not selected), in the file's order.
    Written before the outputs, whose tasks read the partial repetition's sample from it; returns, per source, how
    many documents have each number of copies."""
    hist: dict[str, dict[int, int]] = {}
    for name, li in listed.items():
        counts: dict[int, int] = {}
        for fi, (inp, (full, packed)) in enumerate(zip(li, selection[name])):
            n = inp["docs"]
            dtype = np.uint8 if full < 255 else np.uint16 if full < 65535 else np.uint32
            sel = np.full(n, full, dtype=dtype)
            if packed is not None:
                sel += np.unpackbits(packed, count=n).astype(dtype)
            dest = out / _selection_name(name, fi)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(dest) as tmp, open(tmp, "wb") as f:
                np.save(f, sel)
            values, found = np.unique(sel, return_counts=True)
            for v, c in zip(values.tolist(), found.tolist()):
                counts[v] = counts.get(v, 0) + c
        hist[name] = counts
    return hist


def _write_mixture(out: Path, plan: dict[str, Any], listed: dict[str, list[dict[str, Any]]],
                   hist: dict[str, dict[int, int]], mixture: dict[str, Any], total: int, wsum: float) -> dict[str, Any]:
    """``mixture.json``: the realised mixture and every source's documents by number of copies, naming each input
    file's selection record; written after the outputs, so it describes finished files."""
    sources: dict[str, Any] = {}
    for name, li in listed.items():
        m, copies = mixture[name], hist[name]
        written = sum(v * n for v, n in copies.items())
        if written != m["docs"]:  # the selection records and the plan the outputs were written from must agree
            raise ConfigError(f"mix source {name!r}: the selection records {written} copies, the outputs hold "
                              f"{m['docs']}")
        files = [{"path": inp["path"], "docs": inp["docs"], "tokens": inp["tokens"],
                  "selection": _selection_name(name, fi)} for fi, inp in enumerate(li)]
        sources[name] = {**m, "share_asked": round(m["weight"] / wsum, 6), "source_docs": sum(i["docs"] for i in li),
                         "docs_selected": sum(n for v, n in copies.items() if v > 0), "docs_not_selected":
                         copies.get(0, 0), "copies": {str(v): n for v, n in sorted(copies.items())}, "inputs": files}
    acc = {"format": plan["format"], "files": plan["files"], "seed": plan["seed"], "tokens_asked": total,
           "docs_in": sum(s["source_docs"] for s in sources.values()),
           "docs_selected": sum(s["docs_selected"] for s in sources.values()),
           "docs_not_selected": sum(s["docs_not_selected"] for s in sources.values()),
           "docs_out": sum(s["docs"] for s in sources.values()),
           "tokens_out": sum(s["tokens"] for s in sources.values()), "sources": sources}
    with atomic_path(out / MIXTURE_NAME) as tmp:
        tmp.write_bytes(orjson.dumps(acc, option=orjson.OPT_INDENT_2))
    return acc


def _run_task(task: _OutputTask | _ByOutput) -> dict[str, Any]:
    import time

    c0 = time.process_time()
    out = task()
    return {**out, "cpu_seconds": time.process_time() - c0}  # the worker's CPU: a run's report sums steps' CPU


# --- mix as a stage of a pipeline ----------------------------------------------------------------------------

_SOURCE_KEYS = ("weight", "from", "run", "stage", "paths")


@dataclass
class MixSource:
    """One source of a mix stage, in its long form."""

    name: str
    weight: float
    stage: str | None = None  # an earlier stage of this run (``from``), or the stage of another run (``run``)
    run: str | None = None  # another run folder
    paths: list[str] | None = None  # tokenized files or globs


@dataclass
class Mix:
    """A stage that builds a training set from tokenized sources (earlier stages with a megatron, datatrove or
    nanogpt writer, another run folder's stage, or files), weighted in tokens: a short source is repeated whole
    (counted), and the last, partial repetition is a seeded sample (each file's documents in a seeded order up to
    and including the one that reaches its share, so a source gets at least its tokens and less than one document
    more); all of it shuffled into `files` files.

    Written to kept/<stage>/: the shuffled files (<prefix>_00000.bin ...), mixture.json (the realised mixture: per
    source the weight asked, target and realised tokens, repetitions, documents selected and not selected) and
    selection/<source>/<k>.npy (how many copies of each document of the source's k-th input file the mix holds, 0
    for none). Deterministic for a seed; a resumed run skips the files already written. The records name this run's
    files relative to the run folder, so a copied or moved run folder resumes an unfinished mix."""

    # NAME: WEIGHT (the earlier stage NAME), or NAME: {weight: W, from: STAGE} | {weight: W, run: RUN_DIR,
    # stage: STAGE} | {weight: W, paths: GLOB or [GLOB, ...]}; weights are relative shares of the mix's tokens.
    # Two sources may not read the same stage or file (its documents would count twice in the ledger): give one
    # source the summed weight.
    sources: dict[str, Any] = field(default_factory=dict)
    # tokens in the mix (0: all the sources' tokens together, each source then scaled to its share)
    tokens: int = 0
    # number of output files, each a uniform random sample of the mix in random order
    files: int = 1
    # the seed of every random choice (which documents fill a partial repetition, the shuffle)
    seed: int = 0
    # output file names: <prefix>_00000<extension>
    prefix: str = "mixed"

    name: ClassVar[str] = "mix"

    def source_list(self) -> list[MixSource]:
        """The sources in their long form, sorted by name; raises ValueError on a malformed one."""
        out = []
        for name, spec in sorted(self.sources.items()):
            where = f"sources.{name}"
            if not isinstance(spec, dict):
                spec = {"weight": spec}
            unknown = sorted(set(spec) - set(_SOURCE_KEYS))
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {unknown} (keys: {', '.join(_SOURCE_KEYS)})")
            w = spec.get("weight")
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w <= 0:
                raise ValueError(f"{where}: weight must be a number > 0, got {w!r}")
            given = [k for k in ("from", "run", "paths") if k in spec]
            if len(given) > 1:
                raise ValueError(f"{where}: give one of from, run or paths, not {' and '.join(given)}")
            kind = given[0] if given else "from"
            if "stage" in spec and kind != "run":
                raise ValueError(f"{where}: 'stage' goes with 'run' (another run folder); for a stage of this run "
                                 "use from")
            if kind == "from":
                stage = spec.get("from", name)
                if not isinstance(stage, str) or not stage:
                    raise ValueError(f"{where}.from: expected a stage name, got {stage!r}")
                out.append(MixSource(name, float(w), stage=stage))
            elif kind == "run":
                run, stage = spec.get("run"), spec.get("stage")
                if not isinstance(run, str) or not run or not isinstance(stage, str) or not stage:
                    raise ValueError(f"{where}: run needs a folder and stage a stage name of that run, got run={run!r} "
                                     f"stage={stage!r}")
                out.append(MixSource(name, float(w), stage=stage, run=run))
            else:
                paths = spec["paths"]
                paths = [paths] if isinstance(paths, str) else paths
                if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p for p in paths):
                    raise ValueError(f"{where}.paths: expected a glob or a list of globs, got {spec['paths']!r}")
                out.append(MixSource(name, float(w), paths=list(paths)))
        return out

    def validate(self) -> None:
        if not isinstance(self.sources, dict) or not self.sources:
            raise ValueError("sources: give at least one source (NAME: WEIGHT for an earlier stage)")
        from .runfolder import check_name

        for name in self.sources:
            try:
                check_name(name, "mix source name")
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        seen: dict[tuple[str | None, str | None], str] = {}
        for s in self.source_list():
            if s.paths is not None:
                continue  # files are compared once resolved (mix refuses a file read by two sources)
            first = seen.setdefault((s.run, s.stage), s.name)
            if first != s.name:
                where = f"stage {s.stage}" + (f" of run {s.run}" if s.run is not None else "")
                raise ValueError(f"sources {first!r} and {s.name!r} both read {where}: its documents would be counted "
                                 "twice in the ledger; give one source (with the two weights summed)")
        if self.files < 1:
            raise ValueError(f"files must be >= 1, got {self.files}")
        if self.tokens < 0:
            raise ValueError(f"tokens must be >= 0 (0: all the sources' tokens), got {self.tokens}")

    def stages_read(self) -> list[str]:
        """The earlier stages of this run whose outputs the mix reads."""
        return [s.stage for s in self.source_list() if s.run is None and s.paths is None]  # type: ignore[misc]

    def resolve(self, run_dir: Path, extensions: dict[str, list[str]]) -> dict[str, list[str]]:
        """Each source's tokenized files; ``extensions``: an earlier stage's name -> the extensions of its tokens
        files. Refuses a source whose folder or files do not exist, naming it."""
        out: dict[str, list[str]] = {}
        for s in self.source_list():
            if s.paths is not None:
                out[s.name] = list(s.paths)
                continue
            if s.run is None:
                folder, exts = run_dir / "kept" / s.stage, extensions[s.stage]  # type: ignore[index]
            else:
                other = Path(s.run).expanduser()
                if not (other / "config.resolved.yaml").exists():
                    raise ConfigError(f"mix source {s.name!r}: {s.run} is not a winnow run folder (no "
                                      "config.resolved.yaml)")
                folder, exts = other / "kept" / s.stage, [".bin", ".ds"]  # type: ignore[operator]
                if not folder.is_dir():
                    raise ConfigError(f"mix source {s.name!r}: run {s.run} has no kept output of a stage "
                                      f"{s.stage!r} ({folder})")
            found = [str(p) for ext in exts for p in sorted(folder.glob(f"*{ext}")) if not p.name.startswith(".")]
            if not found:
                raise ConfigError(f"mix source {s.name!r}: no tokenized file in {folder}")
            out[s.name] = found
        return out


def _other_run_config(run: str) -> dict[str, Any]:
    """Another run folder's config.resolved.yaml ({} when it cannot be read: resolve names the folder then)."""
    import yaml

    try:
        cfg = yaml.safe_load((Path(run).expanduser() / "config.resolved.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _other_run_tokenizer(run: str, stage: str) -> str | None:
    """The tokenizer another run folder's stage wrote its token ids with, from its config.resolved.yaml."""
    cfg = _other_run_config(run)
    for st in cfg.get("stages") or []:
        if isinstance(st, dict) and st.get("name") == stage:
            writer = st.get("writer") or {}
            return writer.get("tokenizer") if writer.get("type") in FORMATS else None
    return None


def run_mix_stage(pipe: Any, stage: Any, run_dir: Any, executor: Any, log: bool = True) -> dict[str, Any] | None:
    """Run (or resume, or skip when finished) a pipeline's mix stage into ``run_dir/kept/<stage>``; its completion
    marker ``done/<stage>/mix`` is written last."""
    import time

    from .io.base import RemotePath

    if isinstance(run_dir, RemotePath):
        raise ConfigError(f"stage {stage.name}: a mix stage reads its sources as memory maps; the run folder must be "
                          "on a local or shared file system, not an object store")
    marker = run_dir / "done" / stage.name / "mix"
    if marker.exists():
        return None
    spec: Mix = stage.mix
    exts = {st.name: [st.writer.extension] for st in pipe.stages if getattr(st.writer, "tokenized", False)}
    exts.update({st.name: [".bin", ".ds"] for st in pipe.stages if st.mix is not None})  # a mix of a mix
    # this run's stages are checked by validation; another run's stage says in its config what it was written with
    toks = {s.name: st.writer.tokenizer for s in spec.source_list() for st in pipe.stages
            if s.run is None and s.paths is None and st.name == s.stage and getattr(st.writer, "tokenized", False)}
    toks.update({s.name: t for s in spec.source_list() if s.run is not None
                 and (t := _other_run_tokenizer(s.run, s.stage)) is not None})  # type: ignore[arg-type]
    if not same_tokenizer(list(toks.values())):
        raise ConfigError(f"stage {stage.name}: its sources were tokenized with different tokenizers {toks}: their "
                          "ids mean different things")
    for s in spec.source_list():
        # what validation refuses inside one run: an annotate run's outputs hold the failing documents too
        if s.run is not None and _other_run_config(s.run).get("on_drop") == "annotate":
            raise ConfigError(f"stage {stage.name}: mix source {s.name!r} is an on_drop: annotate run ({s.run}): its "
                              "outputs hold the documents that failed a check too; mix a route run's, or what "
                              "winnow apply wrote of it")
    sources = spec.resolve(Path(run_dir), exts)
    weights = {s.name: s.weight for s in spec.source_list()}
    t0, c0 = time.perf_counter(), time.process_time()
    out = mix(sources, weights, str(run_dir / "kept" / stage.name), spec.files, seed=spec.seed,
              tokens=spec.tokens or None, prefix=spec.prefix, executor=executor, root=str(run_dir))
    # CPU: the driver's planning and records plus every output task's, wherever it ran
    from .executors.inline import InlineExecutor  # runs the tasks in this process: already in process_time

    cpu = time.process_time() - c0 + (0.0 if isinstance(executor, InlineExecutor) else out["cpu_seconds"])
    marker.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(marker) as tmp:
        tmp.write_bytes(orjson.dumps({"seconds": round(time.perf_counter() - t0, 6), "cpu_seconds": round(cpu, 6),
                                      "resumed": out["resumed"]}))
    return out


def mix_stage_stats(run_dir: Any, name: str) -> dict[str, Any]:
    """A mix stage's entry of stats.json, from its mixture.json: the ledger in the runner's terms (a document not
    selected counts as rejected with reason not_selected, as the sample step's would; kept = selected at least
    once) plus the copies written, the realised tokens and the mixture."""
    path = run_dir / "kept" / name / MIXTURE_NAME
    acc = orjson.loads(path.read_bytes()) if path.exists() else None
    marker = run_dir / "done" / name / "mix"
    timing = orjson.loads(marker.read_bytes()) if marker.exists() else {}
    n_in = acc["docs_in"] if acc else 0
    kept = acc["docs_selected"] if acc else 0
    rejected = acc["docs_not_selected"] if acc else 0
    step = {"name": "mix", "docs_in": n_in, "docs_out": kept, "would_keep": kept,
            "dropped": {"not_selected": rejected} if rejected else {}, "edited": 0, "normalised": 0, "edits": {},
            "chars_removed": 0, "errors": 0, "seconds": float(timing.get("seconds", 0.0)),
            "cpu_seconds": float(timing.get("cpu_seconds", 0.0))}
    tot = {"in": n_in, "kept": kept, "rejected": rejected, "quarantined": 0, "chars_in": 0, "chars_out": 0,
           "shards": 1 if acc else 0, "quarantine_reasons": {}, "quarantine_first": {}, "would_keep": kept,
           "tokens_out": acc["tokens_out"] if acc else 0}
    sd: dict[str, Any] = {"name": name, "type": "mix", "passes": [tot], "steps": [step], "in": n_in, "kept": kept,
                          "tokens_out": tot["tokens_out"], "would_keep": kept, "rejected": rejected,
                          "quarantined": 0, "quarantine_first": {}, "balanced": n_in == kept + rejected}
    if acc:
        sd["copies_out"] = acc["docs_out"]
        sd["mixture"] = {k: {f: v[f] for f in ("weight", "share_asked", "target_tokens", "tokens", "share",
                                               "source_tokens", "source_docs", "docs", "docs_selected",
                                               "docs_not_selected", "full_repetitions", "partial", "copies")}
                         for k, v in acc["sources"].items()}
        sd["tokens_asked"] = acc["tokens_asked"]
    return sd
