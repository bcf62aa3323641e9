"""Reading a run's outputs back from Python: the summary table, the counts, and the kept, rejected and quarantined
records as streams.

``run_pipeline`` returns a ``RunResult`` with these methods; ``open_run(RUN_DIR)`` gives the same for a run
folder written earlier (or by the CLI)::

    res = open_run("out")
    print(res.summary)
    for doc in res.kept():          # Documents, with their attributes and edits
        ...
    for doc in res.rejected():      # Documents with doc.drop: step, reason, value, threshold
        ...
    for rec in res.quarantined():   # dicts: source, location, reason, message (and the document, for a step error)
        ...
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import orjson
import yaml

from .document import NORMALISING_REASONS, Document
from .io.base import RemotePath, as_path, open_read

__all__ = ["RunOutputs", "open_run"]


class RunOutputs:
    """What a finished run folder holds, read lazily. Needs ``run_dir`` and ``stats`` (``stats.json``)."""

    run_dir: Path | RemotePath
    stats: dict[str, Any]

    @property
    def summary(self) -> str:
        """The table ``winnow run`` prints: per stage and step, documents in and out, drops and edits by reason."""
        return format_stats(self.stats, self.run_dir)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """``{stage: {"in", "kept", "rejected", "quarantined"}}``."""
        return {sd["name"]: {k: sd[k] for k in ("in", "kept", "rejected", "quarantined")}
                for sd in self.stats.get("stages", [])}

    def __getitem__(self, key: str) -> Any:
        # run_pipeline's result was read as the stats mapping (result["stages"]); that still works
        return self.stats[key]

    def _stages(self) -> list[dict[str, Any]]:
        cfg = as_path(self.run_dir) / "config.resolved.yaml"
        if cfg.exists():
            return list((yaml.safe_load(cfg.read_text()) or {}).get("stages") or [])
        return [{"name": sd["name"]} for sd in self.stats.get("stages", [])]

    def _names(self, stage: str | None, terminal: bool) -> list[str]:
        stages = self._stages()
        names = [st["name"] for st in stages]
        if stage is not None:
            if stage not in names:
                raise KeyError(f"no stage {stage!r} in {self.run_dir} (stages: {', '.join(names)})")
            return [stage]
        if terminal:  # kept documents of a stage that a later stage (or a mix) reads are not outputs of the run
            from .report._run import mix_reads

            read = {st.get("from") for st in stages} | {s for st in stages for s in mix_reads(st)}
            return [n for n in names if n not in read]
        return names

    def _token_stages(self) -> dict[str, str]:
        """Stages whose kept output is token ids, not documents: name -> what wrote it."""
        from .report._run import TOKEN_WRITERS

        out = {}
        for st in self._stages():
            kind = "mix" if "mix" in st else (st.get("writer") or {}).get("type")
            if kind == "mix" or kind in TOKEN_WRITERS:
                out[st["name"]] = kind
        return out

    def _files(self, where: str, names: list[str]) -> list[Path | RemotePath]:
        from .io.fields import record_files

        out = []
        for name in names:
            folder = as_path(self.run_dir) / where / name
            if isinstance(folder, RemotePath) or folder.exists():
                out.extend(record_files(folder))  # in either layout (Dolma's has them in documents/)
        return out

    def _documents(self, where: str, stage: str | None, terminal: bool,
                   skip: set[str] = frozenset()) -> Iterator[Document]:  # type: ignore[assignment]
        from .io.jsonl import JsonlReader
        from .io.parquet import ParquetReader

        from .io.fields import fields_for_file, merge_side_docs, side_path, text_id_names

        for path in self._files(where, [n for n in self._names(stage, terminal) if n not in skip]):
            # a writer with `fields` renamed the text and id and put the rest in a side file: read both
            side = side_path(path)
            has_side = side.exists()
            text_key, id_key = text_id_names(fields_for_file(path) if has_side else None)
            cls = ParquetReader if path.name.endswith(".parquet") else JsonlReader
            items = cls(text_key=text_key, id_key=id_key).read(str(path))
            for item in (merge_side_docs(items, side) if has_side else items):
                if not isinstance(item, Document):  # the run wrote whole lines; a damaged file says so
                    raise ValueError(f"{path}: {item.message}")
                yield item

    def kept(self, stage: str | None = None) -> Iterator[Document]:
        """The documents the run kept: by default those of its final stages (no later stage reads them). A stage
        written as token ids (megatron, datatrove, nanogpt writers, a mix stage) holds no documents: asked for by
        name, or when every final stage is one, this raises and says how to read them."""
        names = self._names(stage, terminal=True)
        tokens = self._token_stages()
        if names and all(n in tokens for n in names):
            from .errors import WinnowError

            raise WinnowError("; ".join(f"stage {n} wrote token ids ({tokens[n]}), not documents" for n in names)
                              + ": read them with winnow.io.tokenized.read_tokenized(path, format) (the files are "
                              f"in {as_path(self.run_dir) / 'kept'}/<stage>/)")
        return self._documents("kept", None if stage is None else stage, terminal=True,
                               skip=set(tokens) if stage is None else set())

    def rejected(self, stage: str | None = None) -> Iterator[Document]:
        """The documents a step dropped (``doc.drop`` says which step, why, the value and the threshold)."""
        return self._documents("rejected", stage, terminal=False)

    def quarantined(self, stage: str | None = None) -> Iterator[dict[str, Any]]:
        """Records that could not be read, or made a step fail: ``source``, ``location``, ``reason``, ``message``."""
        for path in self._files("quarantine", self._names(stage, terminal=False)):
            with open_read(path) as f:
                for line in f:
                    if line.strip():
                        yield orjson.loads(line)


class _OpenedRun(RunOutputs):
    def __init__(self, run_dir: Path | RemotePath, stats: dict[str, Any]):
        self.run_dir, self.stats = run_dir, stats

    def __repr__(self) -> str:
        return f"open_run({str(self.run_dir)!r})"


def open_run(run_dir: str | os.PathLike | RemotePath) -> RunOutputs:
    """A run folder's summary, counts and records (``kept()``, ``rejected()``, ``quarantined()``)."""
    from .errors import WinnowError

    path = as_path(run_dir)
    stats_path = path / "stats.json"
    if not stats_path.exists():
        raise WinnowError(f"{run_dir} is not a finished winnow run folder (no stats.json)")
    return _OpenedRun(path, orjson.loads(stats_path.read_bytes()))


def format_stats(stats: dict[str, Any], run_dir: object = None) -> str:
    """``run_dir``: the run folder, named in the commands the table suggests (the command to paste)."""
    from ._terminal import shell_path

    lines = []
    where = shell_path(run_dir) if run_dir is not None else "RUN_DIR"
    annotate = stats.get("on_drop") == "annotate"
    for sd in stats["stages"]:
        lines.append(f"stage {sd['name']}: {sd['in']:,} in -> {sd['kept']:,} kept, {sd['rejected']:,} rejected, "
                     f"{sd['quarantined']:,} quarantined  [ledger {'balanced' if sd['balanced'] else 'NOT BALANCED'}]")
        if sd.get("type") == "mix":
            lines.append(f"  mix: {sd.get('copies_out', 0):,} documents written ({sd['kept']:,} selected, repetitions "
                         f"counted), {sd['tokens_out']:,} tokens (asked {sd.get('tokens_asked', 0):,}; tokens as written, "
                         "BOS/EOS included)")
            for name, m in (sd.get("mixture") or {}).items():
                lines.append(f"    {name}: weight {m['share_asked']:.1%} -> {m['share']:.1%} of tokens, "
                             f"{m['full_repetitions']} full repetition(s) + {m['partial']:.1%}, "
                             f"{m['docs_not_selected']:,} of {m['source_docs']:,} documents not selected")
        elif sd.get("tokens_out"):  # the tokenize step counted the kept documents' tokens
            lines.append(f"  tokens kept: {sd['tokens_out']:,} (tokenize step)")
        if annotate:
            lines.append(f"  on_drop: annotate: every document was kept with its verdicts; would keep "
                         f"{sd.get('would_keep', sd['kept']):,} (write them: winnow apply {where} -o OUT)")
        w = max([len(s["name"]) for s in sd["steps"]] + [4])
        wk = f"  {'would keep':>10}" if annotate else ""
        # annotate: every document meets every step, so a rule's count is every document failing it, not only
        # those it would drop first (what whatif and apply count); the heading says which
        what = ("fails by rule (all documents; whatif/apply count first failures) / edits" if annotate
                else "dropped / edits by reason")
        # CPU seconds: what the step costs whatever else shares the cores (wall seconds stay in stats.json)
        lines.append(f"  {'step':<{w}}  {'in':>9}  {'out':>9}{wk}  {'edited':>7}  {'CPU s':>8}  {what}")
        for s in sd["steps"]:
            wk = f"  {s.get('would_keep', s['docs_out']):>10,}" if annotate else ""
            reasons = ", ".join(f"{r}={n:,}" for r, n in sorted(s["dropped"].items(), key=lambda x: -x[1]))
            # whitespace normalisation apart: C4's line cleaning trims nearly every document
            content = {r: n for r, n in s["edits"].items() if r not in NORMALISING_REASONS}
            norm = {r: n for r, n in s["edits"].items() if r in NORMALISING_REASONS}
            edits = ", ".join(f"{r}={n:,}" for r, n in sorted(content.items(), key=lambda x: -x[1]))
            norm_txt = (f"normalised {s.get('normalised', 0):,} docs: "
                        + ", ".join(f"{r}={n:,}" for r, n in sorted(norm.items(), key=lambda x: -x[1]))) if norm else ""
            detail = "; ".join(x for x in (reasons, ("edits: " + edits) if edits else "", norm_txt) if x)
            lines.append(f"  {s['name']:<{w}}  {s['docs_in']:>9,}  {s['docs_out']:>9,}{wk}  {s['edited']:>7,}  "
                         f"{s.get('cpu_seconds', s['seconds']):>8.2f}  {detail}")
        for p in sd["passes"]:
            if p["quarantine_reasons"]:
                lines.append("  quarantined: " + ", ".join(f"{r}={n}" for r, n in p["quarantine_reasons"].items()))
        for r, m in sd.get("quarantine_first", {}).items():
            lines.append(f"    first {r}: {m}")
    return "\n".join(lines)
