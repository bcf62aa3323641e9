"""Reading a finished run folder: the pipeline as it ran, its ledger, and every document's path through the steps.

The report, ``explain`` and ``whatif`` never re-run a step: everything comes from the records the run wrote.
A document's *terminal record* is the last one the run wrote for it: ``rejected/<stage>/...`` where it was dropped,
or ``kept/<stage>/...`` of a stage no later stage reads. Each terminal record carries every attribute and edit of
the steps it went through, so one streaming pass over terminal records rebuilds the whole funnel.

With ``on_drop: annotate`` nothing is dropped: every step's verdict is stored as the attribute ``<label>.drop``.
The funnel then shows where a routing run would have dropped each document: at its first failing verdict.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import orjson
import yaml

from ..document import Edit, undo_edits
from ..io.base import open_read
from ..sentences import sentence_spans

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class StepInfo:
    stage: str
    index: int  # position in the stage
    label: str  # name, or name#k when the stage uses the same step twice (as in stats.json)
    type: str
    params: dict[str, Any]
    # param -> (attribute key, op, reason): "drop when attribute <op> param"
    thresholds: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    kind: str = "step"
    gpos: int = 0  # position in the whole pipeline (all stages, in order)
    installed: bool = True  # False: a plugin's step type this interpreter cannot import (thresholds unknown)
    step_cls: Any = None  # the step's class, when installed (its REPLAYABLE parameters and replay)

    @property
    def key(self) -> str:
        return f"{self.stage}/{self.label}"


@dataclass
class RunInfo:
    run_dir: Path
    config: dict[str, Any]
    config_text: str
    stats: dict[str, Any]
    on_drop: str
    stages: list[dict[str, Any]]  # raw stage mappings of config.resolved.yaml
    steps: list[StepInfo]
    chains: dict[str, list[str]]  # stage -> stage names from the reading stage to it
    terminal_kept: list[str]  # stages whose kept output no later stage reads (and holds documents)
    # stages whose kept documents exist only as token ids (a megatron, datatrove or nanogpt writer, or a mix stage):
    # no record of them to read, so the report takes their counts from stats.json
    token_stages: list[str] = field(default_factory=list)
    token_outputs: list[str] = field(default_factory=list)  # those of them no later stage or mix reads

    @property
    def annotate(self) -> bool:
        return self.on_drop == "annotate"

    def stage_steps(self, stage: str) -> list[StepInfo]:
        return [s for s in self.steps if s.stage == stage]

    def chain_steps(self, stage: str) -> list[StepInfo]:
        return [s for st in self.chains[stage] for s in self.stage_steps(st)]

    def stage_stats(self, stage: str) -> dict[str, Any]:
        for sd in self.stats.get("stages", []):
            if sd["name"] == stage:
                return sd
        return {}


def _labels(types: list[str]) -> list[str]:
    out = []
    for i, t in enumerate(types):
        same = [j for j, u in enumerate(types) if u == t]
        out.append(t if len(same) == 1 else f"{t}#{same.index(i) + 1}")
    return out


def _step_class(type_name: str):
    from ..registry import lookup

    try:
        return lookup(type_name, "step")
    except Exception:  # a step from a plugin not installed here: the run's records still explain themselves
        return None


def _kind(cls) -> str:
    if cls is None:
        return "step"
    from ..step import CorpusStep, Filter, Map, Tagger

    for base, label in ((CorpusStep, "corpus"), (Filter, "filter"), (Tagger, "tagger"), (Map, "map")):
        if issubclass(cls, base):
            return label
    return "step"


def unfinished(run_dir: Any) -> str | None:
    """Why the run in ``run_dir`` has not finished (None: it has): no stats.json (interrupted or still running), or
    the shards its stats.json names as failed (written when a shard failed after its retries)."""
    path = run_dir / "stats.json"
    if not path.exists():
        return "no stats.json: interrupted, failed or still running"
    try:
        failed = orjson.loads(path.read_bytes()).get("failed")
    except (ValueError, AttributeError):
        return None  # the readers of stats.json say what is wrong with it
    if failed:
        shown = ", ".join(map(str, failed[:3])) + (f" and {len(failed) - 3:,} more" if len(failed) > 3 else "")
        return f"shard(s) {shown} failed; the others' records alone are there"
    return None


def require_finished(info: RunInfo, command: str) -> None:
    """Refuse a run folder whose run has not finished: its records lie in work/ and kept/ is partial, so whatif's
    funnel and apply's output would be those of a fraction of the documents (apply wrote 0 kept, silently)."""
    why = unfinished(info.run_dir)
    if why is not None:
        from ..errors import WinnowError

        raise WinnowError(f"{info.run_dir} holds a run that has not finished ({why}); {command} needs a finished "
                          "run: finish it first (the same winnow run command resumes it)")


def _damaged(path: Path, what: str) -> Exception:
    from ..errors import WinnowError

    return WinnowError(f"{path}: {what}: the run folder is damaged, or was written by another version of winnow")


def load_run(run_dir: str | Path) -> RunInfo:
    from ..io.base import as_path

    run_dir = as_path(run_dir)  # a local folder or a URL (s3://bucket/run)
    _WARNED.clear()  # each command loads its run once: a file passed over in part is said once per command
    cfg_path = run_dir / "config.resolved.yaml"
    if not cfg_path.exists():
        from ..errors import WinnowError

        raise WinnowError(f"{run_dir} is not a winnow run folder (no config.resolved.yaml)")
    text = cfg_path.read_text()
    try:
        cfg = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise _damaged(cfg_path, f"not valid YAML ({' '.join(str(exc).split())})") from None
    stats_path = run_dir / "stats.json"
    try:
        stats = orjson.loads(stats_path.read_bytes()) if stats_path.exists() else {"stages": []}
    except orjson.JSONDecodeError as exc:
        raise _damaged(stats_path, f"not valid JSON ({exc})") from None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("stages") or [], list) or \
            not all(isinstance(st, dict) and isinstance(st.get("name"), str) for st in cfg.get("stages") or []):
        raise _damaged(cfg_path, "not a pipeline whose stages each have a name")
    if not isinstance(stats, dict) or not isinstance(stats.get("stages"), list) or \
            not all(isinstance(st, dict) for st in stats["stages"]):
        raise _damaged(stats_path, "not the statistics of a run (a list of stages)")
    stages = cfg.get("stages") or []
    steps: list[StepInfo] = []
    for st in stages:
        raw_steps = [s if isinstance(s, dict) else {"type": s} for s in st.get("steps") or []]
        types = [s["type"] for s in raw_steps]
        for i, (spec, label) in enumerate(zip(raw_steps, _labels(types))):
            cls = _step_class(spec["type"])
            params = {k: v for k, v in spec.items() if k != "type"}
            thr = dict(getattr(cls, "THRESHOLDS", None) or {}) if cls is not None else {}
            steps.append(StepInfo(st["name"], i, label, spec["type"], params, thr,
                                  tuple(getattr(cls, "REASONS", ()) or ()), _kind(cls), len(steps), cls is not None,
                                  cls))
    chains: dict[str, list[str]] = {}
    for st in stages:
        src = st.get("from")
        chains[st["name"]] = (chains.get(src, []) if src else []) + [st["name"]]
    read_from = {st.get("from") for st in stages if st.get("from")} | {s for st in stages for s in mix_reads(st)}
    token_stages = [st["name"] for st in stages
                    if "mix" in st or (st.get("writer") or {}).get("type") in TOKEN_WRITERS]
    terminal = [st["name"] for st in stages if st["name"] not in read_from and st["name"] not in token_stages]
    return RunInfo(run_dir, cfg, text, stats, cfg.get("on_drop", "route"), stages, steps, chains, terminal,
                   token_stages, [n for n in token_stages if n not in read_from])


TOKEN_WRITERS = ("megatron", "datatrove", "nanogpt")  # writers of token ids (winnow.io.tokenized)


def mix_reads(stage: dict[str, Any]) -> list[str]:
    """The earlier stages a mix stage's raw config reads (``sources: {NAME: WEIGHT}`` or ``{from: STAGE}``)."""
    sources = (stage.get("mix") or {}).get("sources") or {}
    out = []
    for name, spec in sources.items() if isinstance(sources, dict) else ():
        if not isinstance(spec, dict):
            out.append(name)
        elif not any(k in spec for k in ("run", "paths")):
            out.append(spec.get("from", name))
    return out


# --- reading records ----------------------------------------------------------------------------------------------

def _side_of(path: Path) -> Path | None:
    """The side file holding the attributes, edits and drop of a kept/ or rejected/ file written with
    ``side_files`` (or ``fields``), if there is one."""
    from ..io.fields import locate, side_path

    if locate(path) is None:
        return None

    side = side_path(path)
    return side if side.exists() else None


def _raw_rows(path: Path, id_field: str, want: str | None, needle: bytes | None) -> Iterator[dict[str, Any]]:
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path if isinstance(path, Path) else open_read(path))
        try:
            for batch in pf.iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    if want is None or str(row.get(id_field)) == want:
                        yield row
        finally:
            pf.close(force=True)
        return
    with open_read(path) as f:
        for line in f:
            if not line.strip() or (needle is not None and needle not in line):
                continue
            row = orjson.loads(line)
            if want is None or str(row.get(id_field)) == want:
                yield row


def _iter_with_side(path: Path, side: Path, needle: bytes | None) -> Iterator[dict[str, Any]]:
    from ..io.fields import fields_for_file, iter_side, merge_side, text_id_names

    text_field, id_field = text_id_names(fields_for_file(path))
    want = str(orjson.loads(needle)) if needle is not None else None
    sides = (s for s in iter_side(side, needle) if want is None or str(s.get("id")) == want)
    yield from merge_side(_raw_rows(path, id_field, want, needle), sides, text_field, id_field, str(path))


def unread_records(info: RunInfo, read: dict[str, int]) -> list[tuple[str, int, int]]:
    """(stage, records read, records its ledger says the run wrote) of each stage whose kept and rejected files gave
    fewer records than stats.json counts: lines that are not JSON or not a record (_well_formed) are passed over by
    the readers of a run folder. Documents a writer could not encode are counted but have no record."""
    out = []
    for sd in info.stats.get("stages", []):
        name = sd.get("name")
        unwritten = sum(p.get("quarantine_reasons", {}).get("write_error", 0) for p in sd.get("passes", []))
        want = sd.get("rejected", 0) + (sd.get("kept", 0) if name in info.terminal_kept else 0)
        if read.get(name, 0) < want - unwritten:
            out.append((name, read.get(name, 0), want))
    return out


def _well_formed(d: Any) -> bool:
    """Whether a record read back has the shape a run writes (the fields every reader of a run folder uses): a record
    edited by hand or by a script ("drop": "gopher", attributes a list) stopped explain, whatif, report and apply
    with a traceback. Such a record is passed over, as a line that is not JSON is."""
    return (isinstance(d, dict) and isinstance(d.get("drop"), (dict, type(None)))
            and isinstance(d.get("attributes", {}), dict) and isinstance(d.get("metadata", {}), dict)
            and isinstance(d.get("edits", []), list) and isinstance(d.get("text", ""), str)
            and isinstance(d.get("id", ""), (str, int)))


def _iter_file(path: Path, needle: bytes | None = None) -> Iterator[dict[str, Any]]:
    """The records of one file of a run folder. A file that cannot be read to its end (cut short by a full disk or an
    incomplete copy, overwritten) is a one-line error naming it, not a traceback from the decompressor."""
    from ..errors import WinnowError
    from ..io.base import READ_ERRORS

    n = not_json = odd = 0
    try:
        for d in _iter_file_raw(path, needle):
            if d is _NOT_JSON:
                not_json += 1
            elif _well_formed(d):
                n += 1
                yield d
            else:
                odd += 1
    except (*READ_ERRORS, ValueError) as exc:  # pyarrow's ArrowInvalid and orjson's errors are ValueErrors
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # the environment's (a permission, a missing file): the CLI names it
        raise WinnowError(f"{path}: damaged or cut short after {n:,} records ({type(exc).__name__}: {exc}); this "
                          f"command reads the run's records whole: restore the file from a copy, or run the pipeline "
                          f"again into a new folder") from None
    if (not_json or odd) and str(path) not in _WARNED:
        _warn_passed_over(path, not_json, odd)
        _WARNED.add(str(path))


_NOT_JSON = object()  # what _iter_file_raw yields for a line that is not JSON (_iter_file counts it)
# files said once since load_run: explain reads a run's files twice (the lines holding its id, then all of them for
# the ids it resembles)
_WARNED: set[str] = set()


def _warn_passed_over(path: Path, not_json: int, odd: int) -> None:
    """Say that a file's lines were passed over: explain, report and query read past them without a word, so that a
    record edited by hand (or a line a script broke) was simply absent from their figures and answers."""
    import sys

    what = " and ".join(part for part in (f"{not_json:,} line(s) not JSON" if not_json else "",
                                          f"{odd:,} record(s) not of the shape a run writes (edited by hand or by a "
                                          "script?)" if odd else "") if part)
    print(f"[winnow] warning: {path}: {what} passed over; what this command shows leaves them out", file=sys.stderr,
          flush=True)


def _iter_file_raw(path: Path, needle: bytes | None = None) -> Iterator[dict[str, Any]]:
    side = _side_of(path)
    if side is not None:
        yield from _iter_with_side(path, side, needle)
        return
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        from ..io.parquet import _row_to_doc

        pf = pq.ParquetFile(path if isinstance(path, Path) else open_read(path))
        try:
            for batch in pf.iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    if needle is not None and needle.strip(b'"').decode() != str(row.get("id")):
                        continue
                    yield _row_to_doc(row).to_dict()
        finally:
            pf.close(force=True)
        return
    with open_read(path) as f:
        for line in f:
            if not line.strip() or (needle is not None and needle not in line):
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                # a run only writes whole lines; a damaged file is the ledger's business, not the report's: it is
                # counted and said (_iter_file)
                yield _NOT_JSON


def _files(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


@dataclass
class Record:
    stage: str
    where: str  # "kept" | "rejected" | "quarantine" | "work"
    path: Path
    doc: dict[str, Any]


def _doc_files(folder: Path) -> list[Path]:
    """A kept/ or rejected/ stage folder's documents files, in either layout (Dolma's has them in documents/)."""
    from ..io.fields import record_files

    return record_files(folder)


def terminal_files(info: RunInfo) -> list[tuple[str, str, Path]]:
    """(stage, "rejected" | "kept", path) of every file holding documents' last records, in a fixed order."""
    out = [(st["name"], "rejected", p) for st in info.stages
           for p in _doc_files(info.run_dir / "rejected" / st["name"])]
    out += [(name, "kept", p) for name in info.terminal_kept for p in _doc_files(info.run_dir / "kept" / name)]
    return out


def iter_records(files: list[tuple[str, str, Path]], needle: bytes | None = None) -> Iterator[Record]:
    for stage, where, p in files:
        for d in _iter_file(p, needle):
            yield Record(stage, where, p, d)


def iter_terminal(info: RunInfo, needle: bytes | None = None) -> Iterator[Record]:
    """Every document's last record, streamed file by file in a fixed order."""
    return iter_records(terminal_files(info), needle)


def iter_quarantine(info: RunInfo, needle: bytes | None = None) -> Iterator[Record]:
    for st in info.stages:
        for p in _files(info.run_dir / "quarantine" / st["name"]):
            for d in _iter_file(p, needle):
                yield Record(st["name"], "quarantine", p, d)


def iter_everything(info: RunInfo, needle: bytes | None = None) -> Iterator[Record]:
    """All records of the run (for ``explain``): intermediate ones too, in pipeline order."""
    for st in info.stages:
        name = st["name"]
        work = info.run_dir / "work" / name
        if work.exists():
            for sub in sorted(p for p in work.iterdir() if p.is_dir() and p.name[:1] == "p" and p.name[1:].isdigit()):
                for p in _files(sub):
                    for d in _iter_file(p, needle):
                        yield Record(name, "work", p, d)
        for where in ("rejected", "kept"):
            if where == "kept" and name in info.token_stages:
                continue  # token ids (and a mix's JSON records), not documents
            for p in _doc_files(info.run_dir / where / name):
                for d in _iter_file(p, needle):
                    yield Record(name, where, p, d)
        for p in _files(info.run_dir / "quarantine" / name):
            for d in _iter_file(p, needle):
                yield Record(name, "quarantine", p, d)


# --- one document's path --------------------------------------------------------------------------------------

def ws_tokens(s: str) -> int:
    return len(s.split())


def _edit_groups(edits: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    # One step application's edits are contiguous with increasing offsets (as in document.undo_edits).
    groups: list[list[dict[str, Any]]] = []
    for e in edits:
        if groups and groups[-1][-1]["step"] == e["step"] and e["start"] >= groups[-1][-1]["end"]:
            groups[-1].append(e)
        else:
            groups.append([e])
    return groups


@dataclass
class DocPath:
    """What happened to one document, step by step (positions index ``steps``)."""

    steps: list[StepInfo]
    verdicts: list[dict[str, Any] | None]  # the step's drop (route: only the dropping step; annotate: every one)
    edits: list[list[dict[str, Any]]]  # edits each step made
    reached: list[bool]  # False after the drop in route mode
    first_drop: int | None
    final_chars: int
    final_tokens: int

    def net_chars(self, j: int) -> int:
        return sum(len(e.get("removed", "")) - len(e.get("replacement", "")) for e in self.edits[j])

    def net_tokens(self, j: int) -> int:
        return sum(ws_tokens(e.get("removed", "")) - ws_tokens(e.get("replacement", "")) for e in self.edits[j])


def doc_path(info: RunInfo, rec: Record) -> DocPath:
    steps = info.chain_steps(rec.stage)
    doc = rec.doc
    attrs = doc.get("attributes") or {}
    n = len(steps)
    verdicts: list[dict[str, Any] | None] = [None] * n
    reached = [True] * n
    drop = doc.get("drop")
    if info.annotate:
        for j, s in enumerate(steps):
            # a stage-qualified key wins where a runner writes one (the same label in two stages would collide)
            v = attrs.get(f"{s.stage}/{s.label}.drop", attrs.get(f"{s.label}.drop"))
            if isinstance(v, dict):
                verdicts[j] = v
    elif drop and rec.where == "rejected":
        cands = [j for j, s in enumerate(steps) if s.stage == rec.stage and s.type == drop.get("step")]
        if cands:
            exact = [j for j in cands if drop.get("threshold") is not None and any(
                _num(steps[j].params.get(p)) == drop.get("threshold") for p in steps[j].thresholds)]
            j = (exact or cands)[0]
            verdicts[j] = drop
            for k in range(j + 1, n):
                reached[k] = False
    first = next((j for j, v in enumerate(verdicts) if v is not None), None)
    # Assign edit groups to the steps that made them, in order (several stages may use one step type).
    per_step: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    j = 0
    for g in _edit_groups(doc.get("edits") or []):
        k = j
        while k < n and (steps[k].type != g[0]["step"] or not reached[k]):
            k += 1
        if k == n:
            # an edit by a step this pipeline does not know (e.g. from an earlier run): attribute it to no step
            continue
        per_step[k].extend(g)
        j = k + 1
    text = doc.get("text") or ""
    return DocPath(steps, verdicts, per_step, reached, first, len(text), ws_tokens(text))


# How many sentences of each source `explain` quotes, and how many characters of each: enough to see what each
# source is about without printing the page again (the sentence indices are all in the JSON).
SOURCE_QUOTES = 2
QUOTE_CHARS = 90


def _step_text(final: str, edits_after: list[dict[str, Any]]) -> str | None:
    """The text a step saw: the record's final text with every later step's edits undone (none on a page the
    step dropped). None when the recorded edits do not fit the text (a record edited by hand)."""
    if not edits_after:
        return final
    try:
        return undo_edits(final, [Edit.from_dict(e) for e in edits_after])
    except (KeyError, TypeError, ValueError):
        return None


def _sources(groups: Any, text: str | None) -> list[dict[str, Any]] | None:
    """stitched_document.clusters (sentence indices per source, in winnow.sentences order over the text the step
    judged) with the first sentences of each quoted; None when the indices do not fit the text's sentences (a
    record written by another version's splitter, or edited): then only the indices are shown."""
    if text is None or not isinstance(groups, list) or len(groups) < 2:
        return None
    if not all(isinstance(g, list) and g and all(isinstance(i, int) and not isinstance(i, bool) for i in g)
               for g in groups):
        return None
    spans = sentence_spans(text)
    if max(max(g) for g in groups) >= len(spans) or min(min(g) for g in groups) < 0:
        return None
    return [{"sentences": g, "quotes": [text[spans[i][0]:spans[i][1]] for i in g[:SOURCE_QUOTES]]} for g in groups]


def stitched_sources(doc: dict[str, Any], path: "DocPath", j: int) -> list[dict[str, Any]] | None:
    """The sources step ``j`` found the page stitched from (its ``<label>.clusters`` attribute), each with its
    sentence indices and first sentences quoted, or None."""
    groups = (doc.get("attributes") or {}).get(path.steps[j].label + ".clusters")
    if groups is None:
        return None
    later = [e for k in range(j + 1, len(path.steps)) for e in path.edits[k]]
    return _sources(groups, _step_text(doc.get("text") or "", later))


def _num(x: Any) -> float | None:
    try:
        return None if x is None or isinstance(x, bool) else float(x)
    except (TypeError, ValueError):
        return None


def numeric(x: Any) -> float | None:
    """The attribute as a number if it is one (booleans and non-finite values are not signals to plot)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def doc_hash(doc_id: str, salt: str = "") -> int:
    """A stable pseudo-random rank: sampling by smallest rank is deterministic and independent of shard order."""
    return int.from_bytes(hashlib.blake2b((salt + "\x00" + doc_id).encode(), digest_size=8).digest(), "big")


class BottomK:
    """Keep the k items with the smallest rank: a deterministic reservoir whose result does not depend on the
    order documents are read in."""

    def __init__(self, k: int):
        self.k = k
        self._heap: list[tuple[int, int, Any]] = []  # (-rank, tiebreak, item): a max-heap on rank
        self._n = 0
        self.seen = 0

    def offer(self, rank: int, make) -> None:
        """``make`` builds the item only when it is kept, so expensive copies are made for few documents."""
        self.seen += 1
        if len(self._heap) < self.k:
            self._n += 1
            heapq.heappush(self._heap, (-rank, self._n, make()))
        elif -self._heap[0][0] > rank:
            self._n += 1
            heapq.heapreplace(self._heap, (-rank, self._n, make()))

    def absorb(self, other: "BottomK") -> None:
        """Merge another reservoir's items (a parallel scan's); the union's k smallest are what one scan keeps."""
        self.seen += other.seen - len(other._heap)
        for neg, _, item in sorted(other._heap, key=lambda t: -t[0]):
            self.offer(-neg, lambda item=item: item)

    def would_keep(self, rank: int) -> bool:
        return len(self._heap) < self.k or -self._heap[0][0] > rank

    def items(self) -> list[Any]:
        return [it for _, _, it in sorted(self._heap, key=lambda t: -t[0])]


def threshold_verdict(step: StepInfo, attrs: dict[str, Any], params: dict[str, Any]) -> tuple[bool, str | None, Any, Any]:
    """(decidable, reason, value, threshold) of a step's declared thresholds on recorded attributes."""
    for param, (attr, op, reason) in step.thresholds.items():
        if param not in params or params[param] is None:
            continue
        v = numeric(attrs.get(attr))
        if v is None:
            return False, None, None, None
        if OPS[op](v, params[param]):
            return True, reason, v, params[param]
    return True, None, None, None
