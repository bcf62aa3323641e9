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
gives a trainer reading files one after another. Memory per task is the draw and the index of one input at a time
(1 + 8 bytes per document of that input) plus 20 bytes per document of its own output, not of the corpus: 1 B
documents into 1,000 files is 20 MB per task. The tokens are read through the page cache, never loaded whole.

Resumable: the plan (inputs with sizes and document counts, seed, files, layout) is written first to
``shuffle-merge.json`` in the output folder; a later call with the same arguments skips every output whose tokens
file exists (each output's files are written under temporary names, the index first and the tokens file last), and
a call with other arguments or changed inputs is refused. Outputs are independent tasks: they run on the inline,
local or Ray executor (``executor.map``). Inputs and output must be on a local or shared file system (memory maps).
"""

from __future__ import annotations

import contextlib
import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .errors import ConfigError
from .io.base import atomic_path
from .io.tokenized import FORMATS, companion_path, read_tokenized

__all__ = ["shuffle_merge", "mix", "detect_format", "assignments", "partial_mask", "PLAN_NAME"]

PLAN_NAME = "shuffle-merge.json"


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


def _expand(inputs: list[str]) -> list[str]:
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

    def __call__(self) -> dict[str, Any]:
        plan, j = self.plan, self.j
        fmt, files, seed = plan["format"], plan["files"], plan["seed"]
        writer = FORMATS[fmt]
        main = Path(self.output) / output_name(plan, j)
        if main.exists():  # finished by an earlier call: its index was renamed into place before it
            return _count(main, fmt) | {"skipped": True}
        # per input in turn: which of its documents come here, and where their tokens are; its index is let go
        # before the next input's is read, so memory is 20 bytes per document of this output plus one input's index
        picks_in: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        tokens: list[np.ndarray] = []  # memory maps: pages come and go with the page cache
        tokenizer = ""
        for k, inp in enumerate(plan["inputs"]):
            tf = read_tokenized(inp["path"], fmt)
            if len(tf) != inp["docs"]:
                raise ConfigError(f"{inp['path']} changed since the plan was made ({len(tf)} documents, not "
                                  f"{inp['docs']})")
            here = assignments(seed, k, inp["docs"], files) == j
            if "budget" in inp:  # a mix's partial repetition: only its sample of the documents
                here &= partial_mask(tf.bounds, inp["budget"], seed, k)
            idx = np.flatnonzero(here)
            picks_in.append(np.full(len(idx), k, dtype=np.int32))
            starts.append(tf.bounds[idx])
            ends.append(tf.bounds[idx + 1])
            tokens.append(tf.tokens)
            tokenizer = tokenizer or tf.tokenizer
            del tf
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
                     for c in writer.COMPANIONS}
            sink = writer.SINK(tmp, comps, dtype, tokenizer)
            for i in order:
                sink.append(tokens[src_in[i]][src_start[i]:src_end[i]])
            sink.close()
        return {"file": main.name, "docs": len(order), "tokens": int(sum(sink.lengths)), "skipped": False}


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


def _list(paths: list[str], fmt: str) -> list[dict[str, Any]]:
    listed = []
    for p in paths:
        tf = read_tokenized(p, fmt)
        st = os.stat(p)
        listed.append({"path": os.path.abspath(p), "bytes": st.st_size, "docs": len(tf), "tokens": int(tf.bounds[-1])})
    return listed


def shuffle_merge(inputs: list[str], output: str, files: int, seed: int = 0, fmt: str | None = None,
                  prefix: str = "shuffled", executor: dict[str, Any] | str | None = "local",
                  workers: int | None = None) -> dict[str, Any]:
    """Merge tokenized files into ``files`` outputs in ``output``; returns the summary also written to the plan."""
    if files < 1:
        raise ConfigError(f"files must be >= 1, got {files}")
    paths = _expand(inputs)
    fmt = _format_of(paths, fmt)
    plan = {"format": fmt, "files": files, "seed": seed, "prefix": prefix, "inputs": _list(paths, fmt)}
    return _execute(plan, Path(output), executor, workers)


def _execute(plan: dict[str, Any], out: Path, executor: Any, workers: int | None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / PLAN_NAME
    if plan_path.exists():
        old = orjson.loads(plan_path.read_bytes())
        if old.get("plan") != plan:
            raise ConfigError(f"{plan_path} records another shuffle-merge (other inputs, input sizes, seed, files or "
                              "layout): use a new output folder, or the same arguments to resume")
    else:
        with atomic_path(plan_path) as tmp:
            tmp.write_bytes(orjson.dumps({"plan": plan}, option=orjson.OPT_INDENT_2))
    from .executors import make_executor

    tasks = [_OutputTask(plan, str(out), j) for j in range(plan["files"])]
    with make_executor(executor, workers=workers) as ex:
        results = ex.map(_run_task, tasks)
    docs_in = sum(i.get("take_docs", i["docs"]) for i in plan["inputs"])
    tokens_in = sum(i.get("take_tokens", i["tokens"]) for i in plan["inputs"])
    docs_out = sum(r["docs"] for r in results)
    tokens_out = sum(r["tokens"] for r in results)
    if (docs_in, tokens_in) != (docs_out, tokens_out):  # the ledger: nothing lost, nothing doubled
        raise ConfigError(f"shuffle-merge wrote {docs_out} documents / {tokens_out} tokens for {docs_in} / "
                          f"{tokens_in} read: an output file was changed since it was written")
    summary = {"plan": plan, **(extra or {}), "outputs": [{k: r[k] for k in ("file", "docs", "tokens")} for r in results],
               "docs": docs_out, "tokens": tokens_out, "resumed": sum(r["skipped"] for r in results)}
    with atomic_path(plan_path) as tmp:
        tmp.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def partial_mask(bounds: np.ndarray, budget: int, seed: int, k: int) -> np.ndarray:
    """The documents of one input that a mix takes for its last, partial repetition: a seeded random order, taken
    while the running token count stays within ``budget``."""
    lengths = np.diff(bounds)
    perm = np.random.default_rng([seed, k, 1]).permutation(len(lengths))
    take = perm[np.cumsum(lengths[perm]) <= budget]
    mask = np.zeros(len(lengths), dtype=bool)
    mask[take] = True
    return mask


def mix(sources: dict[str, list[str]], weights: dict[str, float], output: str, files: int, seed: int = 0,
        tokens: int | None = None, fmt: str | None = None, prefix: str = "mixed",
        executor: dict[str, Any] | str | None = "local", workers: int | None = None) -> dict[str, Any]:
    """A training set from several sources, weighted in tokens, in ``files`` shuffled files.

    Source s gets ``weights[s] / sum(weights) * tokens`` tokens (``tokens`` defaults to all the sources' tokens
    together): its documents are repeated whole ``floor(r)`` times (r = target / its tokens) and a seeded sample of
    them fills the rest, per input file in proportion to the file's tokens. Each repetition is a separate input of
    the shuffle, so copies of one document land in independent places. The realised mixture (tokens, documents,
    repetitions and share per source) is written to shuffle-merge.json beside the outputs as ``mixture``."""
    if files < 1:
        raise ConfigError(f"files must be >= 1, got {files}")
    if set(sources) != set(weights) or not sources:
        raise ConfigError(f"every source needs a weight: sources {sorted(sources)}, weights {sorted(weights)}")
    if any(not (w > 0) for w in weights.values()):
        raise ConfigError(f"weights must be > 0, got {weights}")
    expanded = {name: _expand(pats) for name, pats in sorted(sources.items())}
    fmt = _format_of([p for ps in expanded.values() for p in ps], fmt)
    listed = {name: _list(ps, fmt) for name, ps in expanded.items()}
    have = {name: sum(i["tokens"] for i in li) for name, li in listed.items()}
    for name, t in have.items():
        if t == 0:
            raise ConfigError(f"source {name!r} has no tokens")
    total = int(tokens) if tokens else sum(have.values())
    wsum = sum(weights.values())
    inputs: list[dict[str, Any]] = []
    mixture: dict[str, Any] = {}
    for name, li in listed.items():
        target = round(total * weights[name] / wsum)
        full, rest = divmod(target, have[name])
        got_docs = got_tokens = 0
        for rep in range(full + (1 if rest else 0)):
            for inp in li:
                v = {**inp, "source": name, "rep": rep}
                if rep == full:  # the partial repetition: this file's share of the remainder
                    v["budget"] = rest * inp["tokens"] // have[name]
                    k = len(inputs)
                    tf = read_tokenized(inp["path"], fmt)
                    mask = partial_mask(tf.bounds, v["budget"], seed, k)
                    v["take_docs"] = int(mask.sum())
                    v["take_tokens"] = int(np.diff(tf.bounds)[mask].sum())
                    del tf
                got_docs += v.get("take_docs", v["docs"])
                got_tokens += v.get("take_tokens", v["tokens"])
                inputs.append(v)
        mixture[name] = {"weight": weights[name], "target_tokens": target, "source_tokens": have[name],
                         "tokens": got_tokens, "docs": got_docs, "full_repetitions": full,
                         "partial": round(rest / have[name], 6)}
    realised = sum(m["tokens"] for m in mixture.values()) or 1
    for m in mixture.values():
        m["share"] = round(m["tokens"] / realised, 6)
    plan = {"format": fmt, "files": files, "seed": seed, "prefix": prefix, "inputs": inputs}
    return _execute(plan, Path(output), executor, workers, {"mixture": mixture})


def _run_task(task: _OutputTask) -> dict[str, Any]:
    return task()
