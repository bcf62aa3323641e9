"""``winnow whatif RUN_DIR --set step.param=VALUE ...``: how the funnel would change under other thresholds,
decided from the signals the run recorded as attributes, without recomputing them.

A step takes part when it declares ``THRESHOLDS = {"param": ("attribute", op, "reason")}`` (drop when
attribute <op> param). Its new verdict is the first declared check that fails under the new parameters; a verdict
for a reason outside its THRESHOLDS (a check whatif cannot redo) stands as recorded. Steps without a change keep
their recorded verdicts.

A step that removes spans by a score (``line_noise``) declares ``EDIT_THRESHOLDS = {"param": ("attribute",
"reason")}``: it removes a span of that reason when its score >= param, records each removal's score in its edit
and the spans it kept with a score near the threshold as ``[[chars, score], ...]`` in the attribute (from
``EDIT_FLOOR`` up). whatif then counts the spans removed under the new value and moves the kept characters
accordingly; the later steps' verdicts on the changed text stand as recorded.

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

from .._terminal import shell_arg, shell_path
from ..errors import ConfigError
from ._run import RunInfo, doc_path, iter_terminal, load_run, require_finished, threshold_verdict, unread_records

__all__ = ["whatif", "compute_whatif", "compute_many", "resolve_sets", "replay", "UNKNOWN", "parse_sweep"]

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
        if not steps and stage is None and "." in who:
            # STAGE.STEP.PARAM, as `winnow run --set` and the resume refusal name it (main.length.min_chars was
            # "no step 'main.length' in this run")
            stage, who = who.split(".", 1)
            steps = [s for s in info.steps if (s.label == who or s.type == who) and s.stage == stage]
            if not steps:
                stage, who = None, f"{stage}.{who}"
        if not steps:
            known = sorted({s.label for s in info.steps})
            close = difflib.get_close_matches(who, known, n=2, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(f"--set {key}: no step {who!r} in this run{hint} (steps: {', '.join(known) or 'none'})")
        for st in steps:
            if not st.installed:
                raise ConfigError(f"--set {key}: step type {st.type!r} is not installed in this Python environment "
                                  "(a plugin?), so its thresholds are unknown here; install the package that "
                                  "provides it and run whatif again")
            replayable = list(st.thresholds) + [p for p in (*_replayable(st), *_edit_thresholds(st))
                                                 if p not in st.thresholds]
            if param not in replayable:
                declared = ", ".join(replayable) or "none"
                if param in st.params:
                    raise ConfigError(
                        f"--set {key}: step {st.label!r} does not declare {param!r} in THRESHOLDS, so its decisions "
                        f"cannot be replayed from recorded attributes (re-thresholdable: {declared}); rerun the "
                        f"pipeline with that parameter changed instead")
                close = difflib.get_close_matches(param, replayable + list(st.params), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"--set {key}: step {st.label!r} has no parameter {param!r}{hint} "
                                  f"(re-thresholdable: {declared})")
            out.setdefault(st.gpos, {})[param] = _checked_value(st, param, value, key)
    return out


def _replayable(st) -> tuple[str, ...]:
    """Parameters beyond THRESHOLDS that the step's own ``replay`` re-decides (a list of languages, a boolean)."""
    return tuple(getattr(st.step_cls, "REPLAYABLE", ()) or ())


def _edit_thresholds(st) -> dict[str, tuple[str, str]]:
    """Parameters that move which spans a step removes (see the module's docstring)."""
    return dict(getattr(st.step_cls, "EDIT_THRESHOLDS", None) or {})


def _edit_replay(path, attrs: dict[str, Any], changes: dict[int, dict[str, Any]]
                 ) -> tuple[int, dict[int, tuple[str, int, int]], bool]:
    """(change of the final text's characters, {step position: (reason, spans removed as run, spans removed
    under the changes)}, whether a new value fell below what the step recorded) for one document."""
    delta, counts, below = 0, {}, False
    for j, st in enumerate(path.steps):
        ch = changes.get(st.gpos)
        et = _edit_thresholds(st)
        if not ch or not et or not path.reached[j]:
            continue
        for param, (attr, reason) in et.items():
            if param not in ch or ch[param] is None:
                continue
            new = float(ch[param])
            floor = float(getattr(st.step_cls, "EDIT_FLOOR", 0.0) or 0.0)
            below = below or new < floor
            mine = [e for e in path.edits[j] if e.get("reason") == reason and e.get("score") is not None]
            stay = [e for e in mine if e["score"] >= new]
            delta += sum(len(e.get("removed", "")) - len(e.get("replacement", "")) for e in mine if e["score"] < new)
            near = attrs.get(attr) or []
            more = [x for x in near if isinstance(x, list) and len(x) == 2 and x[1] >= new]
            delta -= sum(int(x[0]) for x in more)
            counts[st.gpos] = (reason, len(mine), len(stay) + len(more))
    return delta, counts, below


def _checked_value(st, param: str, value: Any, key: str) -> Any:
    """The value checked against the parameter's type as a pipeline file would be (lists, booleans, numbers), and
    against [0, 1] for a fraction. A null switches a threshold off."""
    import typing

    from .._components import check_type

    if value is None and param in st.thresholds:
        return None
    hint = typing.get_type_hints(st.step_cls).get(param) if st.step_cls is not None else None
    if hint is not None:
        value = check_type(value, hint, f"--set {key}")
    elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"--set {key}: expected a number, got {value!r}")
    if param in (getattr(st.step_cls, "FRACTIONS", ()) or ()) and value is not None and not 0 <= value <= 1:
        raise ConfigError(f"--set {key}: {param} is a fraction between 0 and 1, got {value!r}")
    return value


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
    edited: dict[int, dict[str, int]] = field(default_factory=dict)  # spans removed by reason (EDIT_THRESHOLDS)


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


def _recorded(path) -> list[Any]:
    old_v: list[Any] = []
    for j, st in enumerate(path.steps):
        # maps and taggers never drop: a document that now gets further passes them whatever it holds
        never_drops = st.kind in ("map", "tagger")
        old_v.append(path.verdicts[j] if path.reached[j] or never_drops else UNKNOWN)
    return old_v


def _replayed(path, attrs: dict[str, Any], old_v: list[Any], changes: dict[int, dict[str, Any]]) -> list[Any]:
    new_v: list[Any] = []
    for j, st in enumerate(path.steps):
        ch = changes.get(st.gpos)
        if ch is None:
            new_v.append(old_v[j])
            continue
        v = path.verdicts[j]
        params = {**st.params, **ch}
        if _replayable(st):  # the step re-decides itself from what it recorded (language: label and score)
            replayable = set(getattr(st.step_cls, "REPLAY_REASONS", ()) or ())
            decide = st.step_cls.replay
        else:
            # a parameter left null in the config is resolved by the step at run time (a variant's default):
            # whatif cannot redo that check, so its verdicts stand as recorded
            replayable = {r for p, (_a, _o, r) in st.thresholds.items() if params.get(p) is not None}
            decide = None
        if v is not None and v.get("reason") not in replayable:
            new_v.append(v)  # a check whatif cannot redo stands as recorded
            continue
        if decide is not None:
            decidable, reason, value, thr = decide(attrs, params)
        else:
            decidable, reason, value, thr = threshold_verdict(st, attrs, params)
        if not decidable:
            new_v.append(UNKNOWN)
        elif reason is None:
            new_v.append(None)
        else:
            new_v.append({"step": st.type, "reason": reason, "value": value, "threshold": thr})
    return new_v


def replay(info: RunInfo, rec, changes: dict[int, dict[str, Any]]) -> tuple[Any, list[Any], list[Any]]:
    """One document's (path, recorded verdicts, verdicts under ``changes``), one entry per step of its path:
    None (passes), a drop dict, or UNKNOWN (a routing run never ran the step on it). ``winnow apply`` writes the
    documents this decides, so the funnel whatif prints is the one apply produces."""
    path = doc_path(info, rec)
    old_v = _recorded(path)
    return path, old_v, _replayed(path, rec.doc.get("attributes") or {}, old_v, changes)


@dataclass
class _Scenario:
    """The new side of one set of changes, with what only it knows."""

    changes: dict[int, dict[str, Any]]
    new: Side = field(default_factory=Side)
    undetermined: dict[int, int] = field(default_factory=dict)
    und_chars: int = 0
    newly_dropped: list[str] = field(default_factory=list)
    newly_kept: list[str] = field(default_factory=list)
    n_newly_dropped: int = 0
    n_newly_kept: int = 0
    below_floor: bool = False


def compute_whatif(info: RunInfo, changes: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return compute_many(info, [changes])[0]


def compute_many(info: RunInfo, scenarios: list[dict[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """``compute_whatif`` for several sets of changes (a sweep) in one pass over the run's records."""
    old = Side()
    scen = [_Scenario(ch) for ch in scenarios]
    read: dict[str, int] = {}
    for rec in iter_terminal(info):
        read[rec.stage] = read.get(rec.stage, 0) + 1
        path = doc_path(info, rec)
        attrs = rec.doc.get("attributes") or {}
        old_v = _recorded(path)
        gpos = [s.gpos for s in path.steps]
        o_drop, _ = _walk(old, gpos, old_v)
        if info.annotate:
            _count_verdicts(old, gpos, old_v)
        o_kept = o_drop is None
        did = str(rec.doc.get("id"))
        chars = path.final_chars
        if o_kept:
            old.kept_docs += 1
            old.kept_chars += chars
            old.kept_tokens += path.final_tokens
        for sc in scen:
            new = sc.new
            new_v = _replayed(path, attrs, old_v, sc.changes)
            delta, counts, below = _edit_replay(path, attrs, sc.changes)
            sc.below_floor = sc.below_floor or below
            for g, (reason, o, n_) in counts.items():
                for side, v in ((old, o), (new, n_)):
                    e = side.edited.setdefault(g, {})
                    e[reason] = e.get(reason, 0) + v
            n_drop, n_unknown = _walk(new, gpos, new_v)
            if info.annotate:
                _count_verdicts(new, gpos, new_v)
            if n_unknown is not None:
                g = gpos[n_unknown]
                sc.undetermined[g] = sc.undetermined.get(g, 0) + 1
                sc.und_chars += chars
                continue
            n_kept = n_drop is None
            if n_kept:
                new.kept_docs += 1
                new.kept_chars += chars + delta
                new.kept_tokens += path.final_tokens
            if o_kept and not n_kept:
                sc.n_newly_dropped += 1
                if len(sc.newly_dropped) < EXAMPLE_IDS:
                    sc.newly_dropped.append(did)
            elif n_kept and not o_kept:
                sc.n_newly_kept += 1
                if len(sc.newly_kept) < EXAMPLE_IDS:
                    sc.newly_kept.append(did)
    results = [_result(info, old, sc) for sc in scen]
    for name, got, want in unread_records(info, read):
        for res in results:  # the figures leave out what could not be read: say so (apply refuses)
            res["warnings"].append(f"stage {name}: {got:,} records read, but the run wrote {want:,}: "
                                   f"{want - got:,} line(s) of its files are not JSON or not a document's record "
                                   "(edited or damaged) and are left out of these figures")
    return results


def _result(info: RunInfo, old: Side, sc: _Scenario) -> dict[str, Any]:
    new, changes, undetermined = sc.new, sc.changes, sc.undetermined
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
        if g in new.edited:
            row["spans_removed"] = {r: [old.edited.get(g, {}).get(r, 0), n] for r, n in new.edited[g].items()}
        if g in undetermined:
            row["undetermined"] = undetermined[g]
        steps.append(row)
    n_und = sum(undetermined.values())
    warnings = []
    tokens_only = [n for n in info.token_stages
                   if "mix" not in next((st for st in info.stages if st["name"] == n), {})]
    if tokens_only:
        # a token writer keeps no document record: without this the table read "kept: 0 -> 0" and counted only the
        # documents the steps dropped (a datatrove user's FineWeb port with a datatrove writer, friction12)
        kept = sum(info.stage_stats(n).get("kept", 0) for n in tokens_only)
        warnings.append(f"stage(s) {', '.join(tokens_only)} wrote their {kept:,} kept documents as token ids, which "
                        "carry no record: the table counts only the documents the steps dropped, and 'kept' leaves "
                        "those out. To re-threshold every document, write the filtered documents (a jsonl or "
                        "parquet writer, on_drop: annotate) and tokenize them in a later stage")
    first_change = min(changes, default=None)
    corpus_after = [s.key for s in info.steps if s.kind == "corpus" and first_change is not None
                    and s.gpos > first_change]
    if corpus_after:
        warnings.append(f"{', '.join(corpus_after)} decided against the whole corpus as it ran; their verdicts are "
                        f"replayed as recorded (a duplicate whose kept twin is now dropped would in fact be kept)")
    if sc.below_floor:
        floors = {st.label: getattr(st.step_cls, "EDIT_FLOOR", None) for st in info.steps if st.gpos in changes
                  and _edit_thresholds(st)}
        warnings.append("below " + ", ".join(f"{k}'s recorded floor {v}" for k, v in floors.items()) + " the spans "
                        "a step kept were not recorded: removals are counted only down to the floor")
    if new.edited:
        warnings.append("removed spans are replayed on the characters kept; the later steps' verdicts on the changed "
                        "text stand as recorded")
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
        "newly_dropped": {"docs": sc.n_newly_dropped, "ids": sc.newly_dropped},
        "newly_kept": {"docs": sc.n_newly_kept, "ids": sc.newly_kept},
        "undetermined": {"docs": n_und, "chars": sc.und_chars},
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
        same = c["old"] is not None and _same_value(c["old"], c["new"])
        # friction11: "0.5 -> 0.5" and an unchanged table read as a change that did nothing
        lines.append(f"{c['stage'] + '/' if multi else ''}{c['step']}.{c['param']}: {old} -> {c['new']}"
                     + (" (the value the run used: this replays the run as it was)" if same else ""))
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
        drop_txt += [f"{r} spans removed {_arrow(*v)}" for r, v in sorted(s.get("spans_removed", {}).items())]
        if drop_txt[0] == "-" and len(drop_txt) > 1:
            drop_txt = drop_txt[1:]
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
            # the command to paste, quoted for a shell: an id is often a URL with & or ?
            see = f"winnow explain {shell_path(info.run_dir)} {shell_arg(x['ids'][0])}" if x["ids"] else ""
            lines.append(f"{label}: {x['docs']:,} (e.g. {', '.join(x['ids'][:5])}; see {see})")
        else:
            lines.append(f"{label}: 0")
    return "\n".join(lines)


def parse_sweep(item: str) -> tuple[str, list[Any]]:
    """``gopher_quality.min_words=50,100,200`` -> ("gopher_quality.min_words", [50, 100, 200]); values are YAML,
    so lists and booleans work too: ``language.languages=[en],[en,de]``, ``x.flag=true,false``."""
    from ..config import MAX_SET_NODES, load_yaml  # bounded YAML, as --set reads it

    if "=" not in item:
        raise ConfigError(f"--sweep expects STEP.PARAM=V1,V2,..., got {item!r}")
    key, raw = item.split("=", 1)
    values = load_yaml(f"[{raw}]", f"--sweep {key} (comma-separated YAML values)", MAX_SET_NODES)
    if not isinstance(values, list) or not values:
        raise ConfigError(f"--sweep {item}: give at least one value")
    return key, values


def _same_value(a: Any, b: Any) -> bool:
    """The value the run used, given again: numbers by value (a float parameter whose default is the int 3, given
    as --set ...=3, is 3.0: it read as a change, '3 -> 3.0'), anything else as it prints."""
    if type(a) in (int, float) and type(b) in (int, float):
        return a == b
    return _fmt_value(a) == _fmt_value(b)


def _fmt_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ",".join(str(x) for x in v) + "]"
    return "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def format_sweep(key: str, values: list[Any], results: list[dict[str, Any]], info: RunInfo) -> str:
    """One table: a row per value, the run as it was first."""
    first = results[0]
    swept = [c for c in first["changes"] if f"{c['step']}.{c['param']}" == key.split("/")[-1]
             or f"{c['stage']}/{c['step']}.{c['param']}" == key] or first["changes"][-1:]
    was = swept[0]["old"] if swept else None
    gs = {st.gpos for st in info.steps for c in swept if st.stage == c["stage"] and st.label == c["step"]}
    step_rows = [s for s in first["steps"] if any(st.gpos in gs and st.stage == s["stage"] and st.label == s["step"]
                                                  for st in info.steps)]
    label = swept[0]["step"] if swept else "step"
    lines = [f"sweep of {key} (as run: {_fmt_value(was)}) over {info.run_dir}"]
    others = [c for c in first["changes"] if c not in swept]
    for c in others:
        lines.append(f"with {c['step']}.{c['param']}: {_fmt_value(c['old'])} -> {_fmt_value(c['new'])}")
    head = ("value", "kept docs", "change", "kept chars", "change", f"dropped by {label}", "newly dropped",
            "newly kept", "undetermined")
    od, oc = first["kept"]["docs"][0], first["kept"]["chars"][0]

    def dropped(res: dict[str, Any], side: int) -> int:
        rows = [s for s in res["steps"] if any(s["stage"] == r["stage"] and s["step"] == r["step"] for r in step_rows)]
        return sum(v[side] for s in rows for v in s["dropped"].values())

    pct = (lambda o, n: f"{(n - o) / o * 100:+.1f}%" if o else "n/a")  # noqa: E731
    rows = [head, (f"{_fmt_value(was)} (as run)", f"{od:,}", "", f"{oc:,}", "", f"{dropped(first, 0):,}", "", "",
                   "")]
    for v, res in zip(values, results):
        if not others and _same_value(v, was) and not res["newly_dropped"]["docs"] \
                and not res["newly_kept"]["docs"]:
            continue  # the value the run used, alone: the "(as run)" row already is this row (friction10: twice)
        nd, nc = res["kept"]["docs"][1], res["kept"]["chars"][1]
        und = res["undetermined"]["docs"]
        rows.append((_fmt_value(v), f"{nd:,}", f"{nd - od:+,}", f"{nc:,}", pct(oc, nc), f"{dropped(res, 1):,}",
                     f"{res['newly_dropped']['docs']:,}", f"{res['newly_kept']['docs']:,}",
                     f"{und:,}" if und else "-"))
    w = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        lines.append("  ".join(x.rjust(w[i]) if i else x.ljust(w[i]) for i, x in enumerate(r)).rstrip())
    if info.annotate:
        lines.append("on_drop: annotate: exact for every document")
    elif any(res["undetermined"]["docs"] for res in results):
        lines.append("undetermined: documents that would now reach a step this routing run never ran on them; kept "
                     "is between the kept count and kept + undetermined (rerun with on_drop: annotate for exact "
                     "answers)")
    for warning in first.get("warnings", []):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def whatif(run_dir: Path, sets: dict[str, object], as_json: bool = False,
           sweep: tuple[str, list[Any]] | None = None) -> int:
    info = load_run(run_dir)
    require_finished(info, "whatif")
    if sweep is None:
        if not sets:
            raise ConfigError("whatif needs --set STEP.PARAM=VALUE or --sweep STEP.PARAM=V1,V2,...")
        res = compute_whatif(info, resolve_sets(info, sets))
        if as_json:
            sys.stdout.write(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode() + "\n")
        else:
            print(format_whatif(res, info))
        return 0
    key, values = sweep
    if key in sets:
        raise ConfigError(f"--sweep {key}: the same key is also given with --set")
    scenarios = []
    for v in values:
        scenarios.append(resolve_sets(info, {**sets, key: v}))
    results = compute_many(info, scenarios)
    if as_json:
        out = {"sweep": {"key": key, "values": values}, "results": results}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(format_sweep(key, values, results, info))
    return 0
