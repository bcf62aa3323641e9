"""``winnow explain RUN_DIR DOC_ID``: where one document went and every signal and decision on its path, read from
the run's records (nothing is re-run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from .._terminal import json_printable, printable
from ._run import OPS, QUOTE_CHARS, Record, RunInfo, _files, doc_path, iter_everything, load_run, numeric, stitched_sources

__all__ = ["explain", "find_records", "explain_record"]


def find_records(info: RunInfo, doc_id: str) -> list[Record]:
    # A cheap byte test before parsing: a record with this id holds the id as a JSON string somewhere.
    needle = orjson.dumps(str(doc_id))
    out = []
    for rec in iter_everything(info, needle):
        d = rec.doc
        if rec.where == "quarantine":
            d = d.get("document") or {}
        if str(d.get("id")) == str(doc_id):
            out.append(rec)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return orjson.dumps(v).decode()
    return str(v)


def explain_record(info: RunInfo, rec: Record) -> dict[str, Any]:
    """The story of one terminal record, step by step, as plain data."""
    path = doc_path(info, rec)
    doc = rec.doc
    attrs = doc.get("attributes") or {}
    steps = []
    for j, st in enumerate(path.steps):
        prefix = st.label + "."
        signals = {k: v for k, v in attrs.items() if k.startswith(prefix) and not k.endswith(".drop")}
        checks = []
        for param, (attr, op, reason) in st.thresholds.items():
            p = st.params.get(param)
            v = numeric(attrs.get(attr))
            if p is None or isinstance(p, bool):
                continue
            checks.append({"param": param, "threshold": p, "attribute": attr, "op": op, "value": v,
                           "reason": reason, "fails": None if v is None else bool(OPS[op](v, p))})
        verdict = path.verdicts[j]
        if not path.reached[j]:
            status = "not reached"
        elif verdict is not None and j == path.first_drop:
            status = "would drop" if info.annotate else "dropped"
        elif verdict is not None:
            status = "would drop (already dropped earlier)"
        elif path.edits[j]:
            status = "edited"
        else:
            status = "passed"
        edits = [{"reason": e.get("reason"), "start": e.get("start"), "end": e.get("end"),
                  "removed": e.get("removed", ""), "replacement": e.get("replacement", ""),
                  **({"score": e["score"]} if e.get("score") is not None else {}),
                  **({"rule": e["rule"]} if e.get("rule") is not None else {})} for e in path.edits[j]]
        entry = {"stage": st.stage, "step": st.label, "type": st.type, "kind": st.kind, "status": status,
                 "verdict": verdict, "signals": signals, "checks": checks, "edits": edits,
                 "chars_removed": path.net_chars(j)}
        # the settings behind a rule with no numeric threshold (language's languages: a wrong_language drop read
        # "(value 0.9985)" above "score >= min_score: ok" with nothing naming the languages it was held to)
        rule_params = {p: st.params[p] for p in getattr(st.step_cls, "REPLAYABLE", ()) or ()
                       if p not in st.thresholds and p in st.params}
        if rule_params:
            entry["rule_params"] = rule_params
        found = stitched_sources(doc, path, j)
        if found:
            entry["sources"] = found
        steps.append(entry)
    other_attrs = {k: v for k, v in attrs.items()
                   if not any(k.startswith(s.label + ".") for s in path.steps)}
    if info.annotate:
        outcome = "kept" if path.first_drop is None else "kept (annotated: would be dropped)"
    else:
        outcome = "kept" if rec.where == "kept" else "rejected"
    meta = doc.get("metadata") or {}
    return {
        "id": str(doc.get("id")), "outcome": outcome, "stage": rec.stage, "file": _rel(info, rec.path),
        "drop": doc.get("drop") or (path.verdicts[path.first_drop] if path.first_drop is not None else None),
        "dropped_at": (path.steps[path.first_drop].key if path.first_drop is not None else None),
        "url": meta.get("url"), "source": meta.get("source"),
        "chars": path.final_chars, "tokens": path.final_tokens,
        "text_preview": (doc.get("text") or "")[:300],
        "steps": steps, "other_attributes": other_attrs,
    }


def _rel(info: RunInfo, p: Path) -> str:
    try:
        return str(p.relative_to(info.run_dir))
    except ValueError:
        return str(p)


def _terminal(info: RunInfo, recs: list[Record]) -> list[Record]:
    """The records that end a document's path (normally one): rejected anywhere, or kept by a final stage."""
    return [r for r in recs if r.where == "rejected" or (r.where == "kept" and r.stage in info.terminal_kept)]


def _doc_id(rec: Record) -> str:
    d = (rec.doc.get("document") or {}) if rec.where == "quarantine" else rec.doc
    return str(d.get("id"))


def _scan(info: RunInfo, query: str) -> tuple[str, list[Record], list[str]]:
    """Without an index: an exact id first (a byte test skips most records), then a URL or an id prefix."""
    recs = find_records(info, query)
    if recs:
        return "id", recs, []
    by_url: list[Record] = []
    by_prefix: dict[str, list[Record]] = {}
    for rec in iter_everything(info):
        d = (rec.doc.get("document") or {}) if rec.where == "quarantine" else rec.doc
        meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
        did = str(d.get("id"))
        if meta.get("url") == query:
            by_url.append(rec)
        elif d.get("id") is not None and did.startswith(query):
            by_prefix.setdefault(did, []).append(rec)
    if by_url:
        return "url", by_url, []
    if len(by_prefix) == 1:
        return "prefix", next(iter(by_prefix.values())), []
    return "", [], sorted(by_prefix)[:20]


def _indexed(info: RunInfo, query: str) -> tuple[str, list[Record], list[str]] | None:
    """The records of the document(s) a query names, from the run's index; None when there is no usable index."""
    from .index import load_index

    idx = load_index(info.run_dir)
    if idx is None:
        return None
    how, hits, candidates = idx.find(query)
    recs = []
    for h in hits:
        doc = idx.read(h)
        where, stage = h.file.split("/")[:2]
        rec = Record(stage, where, info.run_dir / h.file, doc or {})
        if doc is None or _doc_id(rec) != h.id:
            return None  # the files changed under the index: scan instead
        recs.append(rec)
    return how, recs, candidates


def find(info: RunInfo, query: str) -> tuple[str, list[Record], list[str]]:
    """``(how, records, candidates)`` for an id, a URL or a unique id prefix: how is "id", "url", "prefix" or ""
    (nothing found; ``candidates`` lists the ids an ambiguous prefix matched). Uses the index a run writes at its
    end (winnow.report.index) and falls back to reading every record file."""
    found = _indexed(info, query)
    return found if found is not None else _scan(info, query)


def _token_spans(info: RunInfo, query: str) -> list[tuple[str, Path, int, dict[str, Any]]]:
    """(stage, ids file, line number, its record) wherever a token stage kept a document with this id: the
    ``<shard>.ids.jsonl`` beside each tokens file (winnow.io.tokenized) names its documents in the file's order.
    Token files keep no text, so this is all a run holds of such a document past its last document record."""
    from ..io.tokenized import IDS

    out = []
    for stage in info.token_stages:
        for p in _files(info.run_dir / "kept" / stage):
            if not p.name.endswith(IDS):
                continue
            for i, line in enumerate(p.read_bytes().splitlines(), 1):
                rec = orjson.loads(line)
                if rec.get("id") == query:
                    out.append((stage, p, i, rec))
    return out


def _explain_token_spans(info: RunInfo, query: str, spans: list, as_json: bool) -> int:
    rows = [{"id": query, "stage": stage, "where": "kept", "ids_file": _rel(info, p), "line": i,
             "tokens_file": _rel(info, p)[: -len(".ids.jsonl")] + ".*", "start": rec["start"], "tokens": rec["tokens"]}
            for stage, p, i, rec in spans]
    if as_json:
        print(json_printable(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()))
        return 0
    for r in rows:  # the range inclusive, as the README gives it (tokens S..S+N-1); it printed S..S+N
        print(printable(f"{query}: kept by stage {r['stage']} as token ids (a token file keeps no text): tokens "
                        f"{r['start']:,}..{r['start'] + r['tokens'] - 1:,} ({r['tokens']:,} tokens) of {r['tokens_file']}, "
                        f"named at line {r['line']} of {r['ids_file']}"))
    return 0


def explain(run_dir: Path, doc_id: str, as_json: bool = False) -> int:
    info = load_run(run_dir)
    query = doc_id
    how, recs, candidates = find(info, query)
    if candidates:
        print(f"winnow: {printable(repr(query))} is the start of {len(candidates)}{'+' if len(candidates) >= 20 else ''} "
              f"ids in {run_dir}; give more of it: {printable(', '.join(candidates[:10]))}", file=sys.stderr)
        return 1
    if not recs:
        spans = _token_spans(info, query)
        if spans:
            return _explain_token_spans(info, query, spans, as_json)
        tokens = ""
        if info.token_stages:
            tokens = (f"; stage(s) {', '.join(info.token_stages)} wrote their kept documents as token ids: their "
                      "<shard>.ids.jsonl files do not name it either")
        print(f"winnow: no document with id, URL or id prefix {printable(repr(query))} in {run_dir} (searched "
              f"kept/, rejected/ and quarantine/; a record the reader could not parse has no id{tokens})",
              file=sys.stderr)
        return 1
    ids = sorted({_doc_id(r) for r in recs})
    doc_id = ids[0]
    quarantined = [r for r in recs if r.where == "quarantine"]
    terminal = _terminal(info, recs)
    stories = [explain_record(info, r) for r in terminal]
    qs = [{"stage": r.stage, "file": _rel(info, r.path), "reason": r.doc.get("reason"),
           "message": r.doc.get("message")} for r in quarantined]
    seen_in = [{"where": r.where, "stage": r.stage, "file": _rel(info, r.path)} for r in recs]
    if as_json:
        sys.stdout.write(json_printable(orjson.dumps(
            {"id": doc_id if len(ids) == 1 else ids, "query": query, "matched_by": how, "records": stories,
             "quarantined": qs, "seen_in": seen_in},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()) + "\n")
        return 0
    out: list[str] = []
    if how == "url":
        out.append(f"URL {query} is document {', '.join(ids)}" if len(ids) == 1 else
                   f"URL {query} matches {len(ids)} documents: {', '.join(ids)}; each:")
    elif how == "prefix":
        out.append(f"{query}... is document {doc_id}")
    if len(stories) > 1 and len(ids) == 1:
        out.append(f"{len(stories)} documents carry the id {doc_id!r} (ids are not unique in the input); each:")
    for s in stories:
        out.extend(_story_lines(s, info))
    for q in qs:
        out.append(f"QUARANTINED in stage {q['stage']}: {q['reason']}: {q['message']}  ({q['file']})")
    out.append("records: " + ", ".join(f"{x['file']}" for x in seen_in))
    # every line is built from the run's records: ids, attribute names, removed text come from crawled pages
    print("\n".join(printable(line, one_line=True) for line in out))
    return 0


def _value_threshold(d: dict[str, Any]) -> str:
    if d.get("value") is None:
        return ""
    if d.get("threshold") is None:  # a rule with no numeric threshold (wrong_language, exact_duplicate)
        return f" (value {_fmt(d.get('value'))})"
    return f" (value {_fmt(d.get('value'))}, threshold {_fmt(d.get('threshold'))})"


def _cut(t: str) -> str:
    return t if len(t) <= QUOTE_CHARS else t[:QUOTE_CHARS - 25] + " … " + t[-20:]


def _story_lines(s: dict[str, Any], info: RunInfo) -> list[str]:
    lines = [f"document {s['id']}" + (f"  {s['url']}" if s.get("url") else "")]
    if s["outcome"] == "rejected" or s["dropped_at"]:
        d = s["drop"] or {}
        val = _value_threshold(d)
        lines.append(f"  {s['outcome'].upper()} at {s['dropped_at']}: {d.get('reason')}{val}  [{s['file']}]")
    else:
        lines.append(f"  KEPT  [{s['file']}]")
    lines.append(f"  final text: {s['chars']:,} characters, {s['tokens']:,} whitespace tokens")
    for st in s["steps"]:
        where = f"{st['stage']}/{st['step']}" if len(info.stages) > 1 else st["step"]
        lines.append(f"  - {where} [{st['kind']}]: {st['status']}")
        if st["status"] == "not reached":
            continue
        v = st["verdict"]
        failing = {c["reason"] for c in st["checks"] if c["fails"]}
        if v and v.get("reason") not in failing:
            # the verdict came from a rule with no declared threshold (language: wrong_language); say it first,
            # or a failing threshold line below would read as the reason
            val = _value_threshold(v)
            ran = "; ".join(f"{k}={_fmt(x)}" for k, x in (st.get("rule_params") or {}).items())
            lines.append(f"      verdict: {v.get('reason')}{val}" + (f"  (the step ran with {ran})" if ran else ""))
        for c in st["checks"]:
            if c["value"] is None:
                if v:  # a step that passed without recording a signal (it had nothing to measure): no line
                    lines.append(f"      {c['attribute']}: not recorded (check {c['op']} {c['param']}={_fmt(c['threshold'])})")
                continue
            mark = "FAILS" if c["fails"] else "ok"
            lines.append(f"      {c['attribute']} = {_fmt(c['value'])}  drop when {c['op']} {c['param']}="
                         f"{_fmt(c['threshold'])}: {mark}" + (f" ({c['reason']})" if c["fails"] else ""))
        checked = {c["attribute"] for c in st["checks"]}
        for k, v in st["signals"].items():
            if k not in checked:
                lines.append(f"      {k} = {_fmt(v)}")
        if st.get("sources"):
            layout = st["signals"].get(st["step"] + ".layout")
            how = {"blocks": ", one after another", "mixed": ", mixed together"}.get(layout, "")
            lines.append(f"      stitched from {len(st['sources'])} sources{how} (sentences of each, first quoted):")
            for n, src in enumerate(st["sources"], 1):
                quotes = " | ".join(repr(_cut(q.replace("\n", "⏎"))) for q in src["quotes"])
                lines.append(f"        source {n}: {len(src['sentences'])} sentences: {quotes}")
        if st["edits"]:
            by: dict[str, list[dict[str, Any]]] = {}
            for e in st["edits"]:
                by.setdefault(e["reason"], []).append(e)
            for r, es in by.items():
                rules: dict[str, int] = {}
                for e in es:
                    if e.get("rule") is not None:
                        rules[e["rule"]] = rules.get(e["rule"], 0) + 1
                by_rule = (" (by rule: " + ", ".join(f"{k} {n}" for k, n in rules.items()) + ")") if rules else ""
                lines.append(f"      removed {len(es)} span(s) as {r}, {sum(len(e['removed']) for e in es):,} chars"
                             f"{by_rule}:")
                for e in es[:5]:
                    txt = e["removed"].replace("\n", "⏎")
                    txt = txt if len(txt) <= 90 else txt[:60] + " … " + txt[-25:]
                    lines.append(f"        [{e['start']}:{e['end']}] {txt!r}"
                                 + (f" -> {e['replacement']!r}" if e["replacement"] else "")
                                 + (f"  rule {e['rule']}" if e.get("rule") is not None else ""))
                if len(es) > 5:
                    lines.append(f"        … {len(es) - 5} more")
    if s["other_attributes"]:
        lines.append("  other attributes: " + ", ".join(f"{k}={_fmt(v)}" for k, v in s["other_attributes"].items()))
    return lines
