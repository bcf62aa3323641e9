"""``winnow whatif RUN_DIR --set step.param=VALUE ...``: how the funnel would change under other thresholds,
decided from the signals the run recorded as attributes, without recomputing them.

A step takes part when it declares ``THRESHOLDS = {"param": ("attribute", op, "reason")}`` (drop when
attribute <op> param). Its new verdict is the first declared check that fails under the new parameters; a verdict
for a reason outside its THRESHOLDS (a check whatif cannot redo) stands as recorded. Steps without a change keep
their recorded verdicts.

Exact for every document in an ``on_drop: annotate`` run (every step saw every document). In a routing run a
document dropped at step k never reached the steps after k, so when a looser threshold lets it through, its fate
at those steps is unknown: such documents are counted as *undetermined* and the kept count is given as a range.
Tighter thresholds are exact in both modes.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from ._run import RunInfo, doc_path, iter_terminal, load_run, threshold_verdict

__all__ = ["whatif", "compute_whatif", "resolve_sets", "replay", "UNKNOWN"]

UNKNOWN = object()
EXAMPLE_IDS = 10


def resolve_sets(info: RunInfo, sets: dict[str, object]) -> dict[int, dict[str, Any]]:
    """``{"step.param": value}`` -> ``{step position: {param: value}}``. ``step`` is a step's label (``length``,
    ``clean#2``) or ``stage/label``; a label used in several stages changes it in all of them."""
    out: dict[int, dict[str, Any]] = {}
    for key, value in sets.items():
        if "." not in key:
            raise ConfigError(f"--set {key}: expected STEP.PARAM=VALUE, e.g. gopher_quality.min_words=100")
        who, param = key.rsplit(".", 1)
        stage = None
        if "/" in who:
            stage, who = who.split("/", 1)
        steps = [s for s in info.steps if (s.label == who or s.type == who) and (stage is None or s.stage == stage)]
        if not steps:
            known = sorted({s.label for s in info.steps})
            close = difflib.get_close_matches(who, known, n=2, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(f"--set {key}: no step {who!r} in this run{hint} (steps: {', '.join(known) or 'none'})")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(f"--set {key}: expected a number, got {value!r}")
        for st in steps:
            if not st.installed:
                raise ConfigError(f"--set {key}: step type {st.type!r} is not installed in this Python environment "
                                  "(a plugin?), so its thresholds are unknown here; install the package that "
                                  "provides it and run whatif again")
            if param not in st.thresholds:
                declared = ", ".join(st.thresholds) or "none"
                if param in st.params:
                    raise ConfigError(
                        f"--set {key}: step {st.label!r} does not declare {param!r} in THRESHOLDS, so its decisions "
                        f"cannot be replayed from recorded attributes (re-thresholdable: {declared}); rerun the "
                        f"pipeline with that parameter changed instead")
                close = difflib.get_close_matches(param, list(st.thresholds) + list(st.params), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"--set {key}: step {st.label!r} has no parameter {param!r}{hint} "
                                  f"(re-thresholdable: {declared})")
            out.setdefault(st.gpos, {})[param] = value
    return out


@dataclass
class Side:
    """Funnel counts under one set of thresholds."""

    docs_in: dict[int, int] = field(default_factory=dict)
    docs_out: dict[int, int] = field(default_factory=dict)
    dropped: dict[int, dict[str, int]] = field(default_factory=dict)
    verdicts: dict[int, dict[str, int]] = field(default_factory=dict)  # every failing verdict (annotate's stats)
    kept_docs: int = 0
    kept_chars: int = 0
    kept_tokens: int = 0


def _walk(side: Side, gpos: list[int], verdicts: list[Any]) -> tuple[int | None, int | None]:
    """Count one document; return (first drop, first unknown) positions in its path."""
    for j, v in enumerate(verdicts):
        g = gpos[j]
        if v is UNKNOWN:
            return None, j
        side.docs_in[g] = side.docs_in.get(g, 0) + 1
        if v is not None:
            r = v.get("reason", "?")
            d = side.dropped.setdefault(g, {})
            d[r] = d.get(r, 0) + 1
            return j, None
        side.docs_out[g] = side.docs_out.get(g, 0) + 1
    return None, None


def _count_verdicts(side: Side, gpos: list[int], verdicts: list[Any]) -> None:
    for j, v in enumerate(verdicts):
        if v is not None and v is not UNKNOWN:
            r = v.get("reason", "?")
            d = side.verdicts.setdefault(gpos[j], {})
            d[r] = d.get(r, 0) + 1


def replay(info: RunInfo, rec, changes: dict[int, dict[str, Any]]) -> tuple[Any, list[Any], list[Any]]:
    """One document's (path, recorded verdicts, verdicts under ``changes``), one entry per step of its path:
    None (passes), a drop dict, or UNKNOWN (a routing run never ran the step on it). ``winnow apply`` writes the
    documents this decides, so the funnel whatif prints is the one apply produces."""
    path = doc_path(info, rec)
    attrs = rec.doc.get("attributes") or {}
    old_v: list[Any] = []
    for j, st in enumerate(path.steps):
        # maps and taggers never drop: a document that now gets further passes them whatever it holds
        never_drops = st.kind in ("map", "tagger")
        old_v.append(path.verdicts[j] if path.reached[j] or never_drops else UNKNOWN)
    new_v: list[Any] = []
    for j, st in enumerate(path.steps):
        ch = changes.get(st.gpos)
        if ch is None:
            new_v.append(old_v[j])
            continue
        v = path.verdicts[j]
        params = {**st.params, **ch}
        # a parameter left null in the config is resolved by the step at run time (a variant's default):
        # whatif cannot redo that check, so its verdicts stand as recorded
        replayable = {r for p, (_a, _o, r) in st.thresholds.items() if params.get(p) is not None}
        if v is not None and v.get("reason") not in replayable:
            new_v.append(v)  # a check whatif cannot redo stands as recorded
            continue
        decidable, reason, value, thr = threshold_verdict(st, attrs, params)
        if not decidable:
            new_v.append(UNKNOWN)
        elif reason is None:
            new_v.append(None)
        else:
            new_v.append({"step": st.type, "reason": reason, "value": value, "threshold": thr})
    return path, old_v, new_v


def compute_whatif(info: RunInfo, changes: dict[int, dict[str, Any]]) -> dict[str, Any]:
    old, new = Side(), Side()
    undetermined: dict[int, int] = {}
    newly_dropped: list[str] = []
    newly_kept: list[str] = []
    n_newly_dropped = n_newly_kept = 0
    und_chars = 0
    for rec in iter_terminal(info):
        path, old_v, new_v = replay(info, rec, changes)
        gpos = [s.gpos for s in path.steps]
        o_drop, _ = _walk(old, gpos, old_v)
        n_drop, n_unknown = _walk(new, gpos, new_v)
        if info.annotate:
            _count_verdicts(old, gpos, old_v)
            _count_verdicts(new, gpos, new_v)
        o_kept = o_drop is None
        did = str(rec.doc.get("id"))
        chars = path.final_chars
        if o_kept:
            old.kept_docs += 1
            old.kept_chars += chars
            old.kept_tokens += path.final_tokens
        if n_unknown is not None:
            g = gpos[n_unknown]
            undetermined[g] = undetermined.get(g, 0) + 1
            und_chars += chars
            continue
        n_kept = n_drop is None
        if n_kept:
            new.kept_docs += 1
            new.kept_chars += chars
            new.kept_tokens += path.final_tokens
        if o_kept and not n_kept:
            n_newly_dropped += 1
            if len(newly_dropped) < EXAMPLE_IDS:
                newly_dropped.append(did)
        elif n_kept and not o_kept:
            n_newly_kept += 1
            if len(newly_kept) < EXAMPLE_IDS:
                newly_kept.append(did)

    steps = []
    for st in info.steps:
        g = st.gpos
        reasons = sorted(set(old.dropped.get(g, {})) | set(new.dropped.get(g, {})) | set(old.verdicts.get(g, {}))
                         | set(new.verdicts.get(g, {})))
        row = {"stage": st.stage, "step": st.label, "changed": {k: [st.params.get(k), v] for k, v in
                                                               changes.get(g, {}).items()},
               "docs_in": [old.docs_in.get(g, 0), new.docs_in.get(g, 0)],
               "docs_out": [old.docs_out.get(g, 0), new.docs_out.get(g, 0)],
               "dropped": {r: [old.dropped.get(g, {}).get(r, 0), new.dropped.get(g, {}).get(r, 0)] for r in reasons}}
        if info.annotate:
            row["verdicts"] = {r: [old.verdicts.get(g, {}).get(r, 0), new.verdicts.get(g, {}).get(r, 0)]
                               for r in reasons}
        if g in undetermined:
            row["undetermined"] = undetermined[g]
        steps.append(row)
    n_und = sum(undetermined.values())
    warnings = []
    first_change = min(changes, default=None)
    corpus_after = [s.key for s in info.steps if s.kind == "corpus" and first_change is not None
                    and s.gpos > first_change]
    if corpus_after:
        warnings.append(f"{', '.join(corpus_after)} decided against the whole corpus as it ran; their verdicts are "
                        f"replayed as recorded (a duplicate whose kept twin is now dropped would in fact be kept)")
    for g in changes:
        st = info.steps[g]
        twins = [s for s in info.steps if s.type == st.type and s.gpos != g
                 and (s.stage in info.chains.get(st.stage, []) or st.stage in info.chains.get(s.stage, []))]
        if twins:
            warnings.append(f"{st.key}: {st.type} also runs as {', '.join(t.key for t in twins)} on the same "
                            f"documents; they record their signals under the same attribute names, so the values "
                            f"replayed are those of the last one that ran")
    return {
        "warnings": warnings,
        "run": str(info.run_dir), "mode": info.on_drop,
        "changes": [{"stage": s.stage, "step": s.label, "param": p, "old": s.params.get(p), "new": v}
                    for s in info.steps for p, v in changes.get(s.gpos, {}).items()],
        "steps": steps,
        "kept": {"docs": [old.kept_docs, new.kept_docs], "chars": [old.kept_chars, new.kept_chars],
                 "tokens": [old.kept_tokens, new.kept_tokens]},
        "newly_dropped": {"docs": n_newly_dropped, "ids": newly_dropped},
        "newly_kept": {"docs": n_newly_kept, "ids": newly_kept},
        "undetermined": {"docs": n_und, "chars": und_chars},
    }


def _arrow(o: int, n: int) -> str:
    if o == n:
        return f"{o:,}"
    return f"{o:,} → {n:,} ({n - o:+,})"


def format_whatif(res: dict[str, Any], info: RunInfo) -> str:
    lines = []
    multi = len(info.stages) > 1
    for c in res["changes"]:
        old = "null (resolved by the step at run time)" if c["old"] is None else c["old"]
        lines.append(f"{c['stage'] + '/' if multi else ''}{c['step']}.{c['param']}: {old} -> {c['new']}")
    if res["mode"] == "annotate":
        lines.append("on_drop: annotate: every step saw every document; the funnel counts each document at its first "
                     "failing verdict, as a routing run would drop it")
    rows = [("step", "docs in", "docs out", "dropped by reason")]
    for s in res["steps"]:
        name = f"{s['stage']}/{s['step']}" if multi else s["step"]
        if s["changed"]:
            name += " *"
        # changed reasons first, one line each, so a long list of reasons stays readable
        drops = sorted(s["dropped"].items(), key=lambda kv: (kv[1][0] == kv[1][1], -max(kv[1]), kv[0]))
        drop_txt = [f"{r} {_arrow(*v)}" for r, v in drops if max(v)] or ["-"]
        rows.append((name, _arrow(*s["docs_in"]), _arrow(*s["docs_out"]), drop_txt[0]))
        rows.extend(("", "", "", d) for d in drop_txt[1:])
        if s.get("undetermined"):
            rows.append(("", "", "", f"({s['undetermined']:,} undetermined here)"))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        lines.append("  ".join(x.ljust(w[i]) for i, x in enumerate(r)).rstrip())
    k = res["kept"]
    od, nd = k["docs"]
    oc, nc = k["chars"]
    pct = (lambda o, n: f"{(n - o) / o * 100:+.1f}%" if o else "n/a")  # noqa: E731
    lines.append(f"kept: {od:,} -> {nd:,} documents ({pct(od, nd)}), {oc:,} -> {nc:,} characters ({pct(oc, nc)})")
    for w in res.get("warnings", []):
        lines.append(f"warning: {w}")
    und = res["undetermined"]
    if und["docs"]:
        lines.append(f"undetermined: {und['docs']:,} documents ({und['chars']:,} characters) would now reach a step "
                     f"this routing run never ran on them, so kept is between {nd:,} and {nd + und['docs']:,}; "
                     f"rerun with on_drop: annotate for exact answers")
    for key, label in (("newly_dropped", "newly dropped"), ("newly_kept", "newly kept")):
        x = res[key]
        if x["docs"]:
            lines.append(f"{label}: {x['docs']:,} (e.g. {', '.join(x['ids'][:5])}; see winnow explain RUN_DIR ID)")
        else:
            lines.append(f"{label}: 0")
    return "\n".join(lines)


def whatif(run_dir: Path, sets: dict[str, object], as_json: bool = False) -> int:
    info = load_run(run_dir)
    changes = resolve_sets(info, sets)
    res = compute_whatif(info, changes)
    if as_json:
        sys.stdout.write(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(format_whatif(res, info))
    return 0
