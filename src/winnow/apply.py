"""``winnow apply RUN_DIR [--set step.param=VALUE ...] -o OUT``: write the documents a finished run would keep,
decided from the verdicts and signals it recorded, without recomputing anything (what Dolma's ``mix`` does after
``tag``).

The usual input is an ``on_drop: annotate`` run: every document is in ``kept/`` with each step's verdict as an
attribute, and apply routes it the way a routing run of the same pipeline would have. ``--set`` re-thresholds
steps first, with exactly whatif's replay (``winnow.report.whatif.replay``), so ``winnow whatif RUN --set X``
prints the funnel that ``winnow apply RUN --set X`` writes.

OUT is a run folder of its own: ``kept/<stage>/`` and ``rejected/<stage>/`` (each document with the ``drop`` that
removed it), one output file per input file with the stage's writers (``fields``, side files and all), and a
``stats.json`` whose ledger balances on its own: documents in = kept + rejected. From a routing run, a document
that a looser threshold would let through to steps it never reached cannot be decided: it stays rejected with its
recorded drop and is counted as *undetermined* (exact answers need an annotate run).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import yaml

from .document import NORMALISING_REASONS
from .errors import ConfigError
from .io.base import RemotePath, as_path, atomic_path, remove_tree
from .io.fields import stage_folder

__all__ = ["apply_run", "format_apply"]

MARKER = "applied.json"  # what makes OUT an apply folder (rewritable by another apply)


def _writer(spec: Any, where: str):
    from .config import build_component

    return build_component("writer", spec if spec is not None else "jsonl", where)


def _stem(name: str, extension: str) -> str:
    return name[: -len(extension)] if extension and name.endswith(extension) else name.split(".", 1)[0]


def _prepare_out(out: Path | RemotePath, run_dir: Path | RemotePath) -> None:
    if str(out).rstrip("/") == str(run_dir).rstrip("/"):
        raise ConfigError("apply writes a new folder: -o must not be the run folder itself")
    if out.exists() and any(True for _ in out.iterdir()):
        if not (out / MARKER).exists():
            raise ConfigError(f"{out} exists and is not the output of an earlier `winnow apply`; choose an empty or "
                              "new folder")
        for sub in ("kept", "rejected", "attributes"):  # an earlier apply's files: replaced whole
            remove_tree(out / sub)
    out.mkdir(parents=True, exist_ok=True)


def apply_run(run_dir: str | Path | RemotePath, sets: dict[str, object], out: str | Path | RemotePath) -> dict[str, Any]:
    from .report._run import iter_records, load_run, require_finished, terminal_files
    from .report.whatif import UNKNOWN, Side, _walk, replay, resolve_sets

    run_dir, out = as_path(run_dir), as_path(out)
    info = load_run(run_dir)
    require_finished(info, "apply")
    changes = resolve_sets(info, sets)
    _prepare_out(out, run_dir)
    stage_specs = {st["name"]: st for st in info.stages}
    writers = {name: (_writer(st.get("writer"), f"stage {name}.writer"), _writer(st.get("rejects"), f"stage {name}.rejects"))
               for name, st in stage_specs.items()}

    side = Side()
    edits: dict[int, dict[str, Any]] = {}  # step position -> edit counts, as a routing run's stats.json has them
    by_label: dict[str, set[str]] = {}
    for s in info.steps:
        by_label.setdefault(s.label, set()).add(s.stage)
    shared_labels = {label for label, stages in by_label.items() if len(stages) > 1}
    per_stage: dict[str, dict[str, int]] = {}
    undetermined = 0
    from .document import Document, Drop

    for stage, where, path in terminal_files(info):
        kept_w, rej_w = writers[stage]
        src_ext = (kept_w if where == "kept" else rej_w).extension
        stem = _stem(path.name, src_ext)
        counts = per_stage.setdefault(stage, {"in": 0, "kept": 0, "rejected": 0, "undetermined": 0})
        kept_path = stage_folder(out, "kept", stage, kept_w) / f"{stem}{kept_w.extension}"
        rej_path = stage_folder(out, "rejected", stage, rej_w) / f"{stem}{rej_w.extension}"
        with _Outputs(kept_w, kept_path) as kept_h, _Outputs(rej_w, rej_path) as rej_h:
            for rec in iter_records([(stage, where, path)]):
                p, _old_v, new_v = replay(info, rec, changes)
                gpos = [s.gpos for s in p.steps]
                n_drop, n_unknown = _walk(side, gpos, new_v)
                # edits of the steps the document passed through, and of the one that drops it (a routing run
                # records those: c4_quality removes lines, then judges the page)
                last = n_drop if n_drop is not None else (n_unknown - 1 if n_unknown is not None else len(gpos) - 1)
                for j in range(last + 1):
                    if p.edits[j]:
                        e = edits.setdefault(gpos[j], {"edited": 0, "normalised": 0, "chars_removed": 0, "edits": {}})
                        n_norm = sum(x.get("reason") in NORMALISING_REASONS for x in p.edits[j])
                        e["edited"] += n_norm < len(p.edits[j])
                        e["normalised"] += n_norm > 0
                        e["chars_removed"] += p.net_chars(j)
                        for x in p.edits[j]:
                            r = x.get("reason", "?")
                            e["edits"][r] = e["edits"].get(r, 0) + 1
                doc = Document.from_dict(rec.doc)
                counts["in"] += 1
                if info.annotate:
                    # the verdict attributes follow the new decisions: a kept document carries none that fail
                    for st, v in zip(p.steps, new_v):
                        for key in (f"{st.stage}/{st.label}.drop", f"{st.label}.drop"):
                            doc.attributes.pop(key, None)
                        if isinstance(v, dict):
                            # qualified by the stage where the run qualified it: a label used by several stages
                            doc.attributes[f"{st.stage}/{st.label}.drop" if st.label in shared_labels
                                           else f"{st.label}.drop"] = dict(v)
                if n_unknown is not None:
                    # a routing run never ran the later steps on it: it stays out, with its recorded drop
                    counts["undetermined"] += 1
                    undetermined += 1
                    counts["rejected"] += 1
                    rej_h.write(doc)
                    continue
                if n_drop is None:
                    doc.drop = None
                    counts["kept"] += 1
                    kept_h.write(doc)
                else:
                    doc.drop = Drop.from_dict(new_v[n_drop])
                    counts["rejected"] += 1
                    rej_h.write(doc)

    try:
        _check_all_read(info, per_stage)
    except Exception:
        for sub in ("kept", "rejected", "attributes"):  # what this apply wrote: the folder stays usable for a rerun
            remove_tree(out / sub)
        raise
    stages_out = []
    for st in info.stages:
        name = st["name"]
        c = per_stage.get(name, {"in": 0, "kept": 0, "rejected": 0, "undetermined": 0})
        steps = []
        for s in info.stage_steps(name):
            g = s.gpos
            e = edits.get(g, {"edited": 0, "normalised": 0, "chars_removed": 0, "edits": {}})
            steps.append({"name": s.label, "docs_in": side.docs_in.get(g, 0), "docs_out": side.docs_out.get(g, 0),
                          "would_keep": side.docs_out.get(g, 0), "dropped": dict(side.dropped.get(g, {})),
                          "edited": e["edited"], "normalised": e["normalised"], "edits": e["edits"],
                          "chars_removed": e["chars_removed"], "errors": 0})
        stages_out.append({"name": name, "in": c["in"], "kept": c["kept"], "would_keep": c["kept"],
                           "rejected": c["rejected"], "quarantined": 0, "undetermined": c["undetermined"],
                           "balanced": c["in"] == c["kept"] + c["rejected"], "passes": [], "steps": steps})
    stats = {"on_drop": "route", "applied_from": str(run_dir),
             "changes": [{"stage": s.stage, "step": s.label, "param": k, "old": s.params.get(k), "new": v}
                         for s in info.steps for k, v in changes.get(s.gpos, {}).items()],
             "source_quarantined": sum(sd.get("quarantined", 0) for sd in info.stats.get("stages", [])),
             "undetermined": undetermined, "stages": stages_out}
    # The pipeline as applied: the run's, with the new thresholds, routing. report/explain/whatif read OUT as a run.
    cfg = yaml.safe_load(info.config_text) or {}
    cfg["on_drop"] = "route"
    for s in info.steps:
        for k, v in changes.get(s.gpos, {}).items():
            spec = cfg["stages"][[x["name"] for x in cfg["stages"]].index(s.stage)]["steps"][s.index]
            if isinstance(spec, dict):
                spec[k] = v
    with atomic_path(out / "config.resolved.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    with atomic_path(out / "stats.json") as tmp:
        tmp.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
    with atomic_path(out / MARKER) as tmp:
        tmp.write_bytes(orjson.dumps({"from": str(run_dir), "changes": stats["changes"]}, option=orjson.OPT_INDENT_2))
    return stats


def _check_all_read(info: Any, per_stage: dict[str, dict[str, int]]) -> None:
    """Refuse to finish when fewer records were read than the run's ledger says it wrote: a line that is not JSON or
    not a record's shape (a file edited by hand) is passed over by the readers of a run folder, and apply wrote an
    output short by those documents under "[ledger balanced]"."""
    from .errors import WinnowError
    from .report._run import unread_records

    for name, got, want in unread_records(info, {k: c["in"] for k, c in per_stage.items()}):
        raise WinnowError(f"stage {name}: {got:,} records read, but the run wrote {want:,} (kept and rejected): "
                          f"{want - got:,} line(s) of its files not JSON or not a document's record (edited or "
                          f"damaged), so apply's output would lack them (it was removed); restore the files "
                          f"from a copy, or run the pipeline again. Nothing in {info.run_dir} was changed")


class _Outputs:
    """One output file written atomically; an output nothing was written to is not left behind (an input file
    whose documents all stay kept gets no empty rejected file)."""

    def __init__(self, writer, path):
        self.writer, self.path = writer, path
        self._ctx = None
        self._h = None
        self.n = 0

    def __enter__(self):
        return self

    def write(self, doc) -> None:
        if self._h is None:
            import contextlib

            from .pipeline import _open_writer

            self._stack = contextlib.ExitStack()
            tmp = self._stack.enter_context(atomic_path(self.path))
            self._h = _open_writer(self.writer, tmp, self.path, self._stack)  # with its side file, if any
        self._h.write(doc)
        self.n += 1

    def __exit__(self, et, ev, tb):
        if self._h is None:
            return False
        try:
            self._h.close()
        finally:
            self._stack.__exit__(et, ev, tb)
        return False


def format_apply(stats: dict[str, Any], out: Any) -> str:
    lines = [f"applied {stats['applied_from']}" + (" with " + ", ".join(
        f"{c['step']}.{c['param']}: {c['old']} -> {c['new']}" for c in stats["changes"]) if stats["changes"] else "")]
    for sd in stats["stages"]:
        lines.append(f"stage {sd['name']}: {sd['in']:,} in -> {sd['kept']:,} kept, {sd['rejected']:,} rejected  "
                     f"[ledger {'balanced' if sd['balanced'] else 'NOT BALANCED'}]")
        w = max([len(s["name"]) for s in sd["steps"]] + [4])
        lines.append(f"  {'step':<{w}}  {'in':>9}  {'out':>9}  dropped by reason")
        for s in sd["steps"]:
            reasons = ", ".join(f"{r}={n:,}" for r, n in sorted(s["dropped"].items(), key=lambda x: (-x[1], x[0])))
            lines.append(f"  {s['name']:<{w}}  {s['docs_in']:>9,}  {s['docs_out']:>9,}  {reasons}".rstrip())
    if stats["source_quarantined"]:
        lines.append(f"(the run also quarantined {stats['source_quarantined']:,} records; apply does not read them)")
    if stats["undetermined"]:
        lines.append(f"undetermined: {stats['undetermined']:,} documents would now reach steps this routing run never "
                     "ran on them; they stay rejected with their recorded drop (an annotate run decides them exactly)")
    lines.append(f"output: {out}")
    return "\n".join(lines)


def apply_cli(run_dir: str, sets: dict[str, object], out: str, as_json: bool = False) -> int:
    stats = apply_run(run_dir, sets, out)
    if as_json:
        sys.stdout.write(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(format_apply(stats, out))
    return 0
