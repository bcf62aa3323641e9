"""One streaming pass over a run's terminal records, aggregated into what the report draws.

Memory is bounded whatever the corpus size: counters per step, reason, language and domain (domains and languages
folded into "(other)" past a cap), a bottom-k sample of values per signal, and a few example documents per reason
(each truncated).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..document import NORMALISING_REASONS
from ._html import drop_view, edit_view
from ._run import (BottomK, DocPath, Record, RunInfo, doc_hash, doc_path, iter_quarantine, iter_records, numeric,
                   stitched_sources, terminal_files)

SIGNAL_SAMPLE = 20_000  # values kept per signal for its histogram
EXAMPLES_PER_REASON = 4
MAX_GROUPS = 5_000  # distinct languages / domains counted exactly before folding into "(other)"
MAX_SIGNALS = 200
# Text attributes with few values (which tier or head of a step judged a document, and why; a label) are counted
# per value: at most MAX_MODES of them, and a key with more than MODE_VALUES distinct values (ids, URLs, free text)
# is left out: a table of counts only says something when the values are few.
MAX_MODES = 50
MODE_VALUES = 20
MODE_CHARS = 40  # a longer string is not a category


@dataclass
class Counts:
    docs: int = 0
    chars: int = 0
    tokens: int = 0

    def add(self, d: int, c: int, t: int) -> None:
        self.docs += d
        self.chars += c
        self.tokens += t


@dataclass
class StepAgg:
    docs_in: Counts = field(default_factory=Counts)
    docs_out: Counts = field(default_factory=Counts)
    dropped: dict[str, Counts] = field(default_factory=dict)  # reason -> removed documents (simulated in annotate)
    edits: dict[str, Counts] = field(default_factory=dict)  # reason -> edited docs / chars / tokens removed
    edit_spans: dict[str, int] = field(default_factory=dict)
    # reason -> {rule: spans} for the edits that name their rule (Edit.rule: offtopic_sentences' site_chrome, ...)
    edit_rules: dict[str, dict[str, int]] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)  # annotate: every verdict, as stats.json counts them
    edited_docs: int = 0  # documents with a content edit (whitespace normalisation apart, as stats.json counts)
    normalised_docs: int = 0  # documents whose whitespace or line breaks the step normalised
    # thresholds the drops recorded, per reason: the value a parameter left null in the config resolved to
    seen_thresholds: dict[str, set] = field(default_factory=dict)


@dataclass
class GroupAgg:
    docs_in: int = 0
    docs_kept: int = 0
    chars_in: int = 0
    chars_kept: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class Signal:
    key: str
    owner: int | None  # index into info.steps of the step that wrote it
    n: dict[str, int] = field(default_factory=lambda: {"kept": 0, "here": 0, "other": 0})
    lo: float = float("inf")
    hi: float = float("-inf")
    sample: BottomK = field(default_factory=lambda: BottomK(SIGNAL_SAMPLE))


@dataclass
class Summary:
    info: RunInfo
    steps: list[StepAgg]
    input: Counts
    kept: Counts
    quarantined: int
    quarantine_reasons: dict[str, int]
    quarantine_examples: dict[str, list[dict[str, Any]]]
    signals: dict[str, Signal]
    examples: dict[tuple[int, str, str], BottomK]  # (step, "drop"|"edit", reason) -> example docs
    languages: dict[str, GroupAgg]
    domains: dict[str, GroupAgg]
    lang_key: str | None
    has_urls: bool
    mismatches: list[str]
    modes: dict[str, dict[str, int]] = field(default_factory=dict)  # text attribute -> value -> documents


def domain_of(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _lang(attrs: dict[str, Any]) -> tuple[str | None, str | None]:
    v = attrs.get("language.lang")
    if isinstance(v, str):
        return "language.lang", v
    for k, v in attrs.items():
        if isinstance(v, str) and (k.endswith(".lang") or k.endswith(".language")):
            return k, v
    return None, None


def _bump(groups: dict[str, GroupAgg], key: str) -> GroupAgg:
    g = groups.get(key)
    if g is None:
        if len(groups) >= MAX_GROUPS:
            key = "(other)"
            g = groups.get(key)
        if g is None:
            g = groups[key] = GroupAgg()
    return g


def _example(rec: Record, path: DocPath, j: int, kind: str, reason: str) -> dict[str, Any]:
    """An example, its text view rendered now: bottom-k replaces an item only O(k log n) times over n documents,
    so rendering here is cheap, and only the windowed HTML (not the document) stays in memory."""
    d = rec.doc
    text = d.get("text") or ""
    meta = d.get("metadata") or {}
    attrs = d.get("attributes") or {}
    step = path.steps[j]
    prefix = step.label + "."
    edits = d.get("edits") or []
    if kind == "edit":
        mine = [e for e in path.edits[j] if e.get("reason") == reason]
        view = edit_view(text, edits, (step.type, reason), mine)
    else:
        view = drop_view(text, edits)
    return {
        "id": str(d.get("id")),
        "url": meta.get("url") if isinstance(meta.get("url"), str) else None,
        "text_len": len(text),
        "view": view,
        "verdict": path.verdicts[j],
        "signals": {k: v for k, v in attrs.items() if k.startswith(prefix) and not k.endswith(".drop")
                    and not isinstance(v, (dict, list))},
        "file": f"{rec.where}/{rec.stage}/{rec.path.name}",
        "sources": stitched_sources(d, path, j),
    }


@dataclass
class Partial:
    """What one scan of some terminal files gathered; partials merge in file order."""

    steps: list[StepAgg]
    inp: Counts
    kept: Counts
    signals: dict[str, Signal]
    examples: dict[tuple[int, str, str], BottomK]
    languages: dict[str, GroupAgg]
    domains: dict[str, GroupAgg]
    lang_key: str | None = None
    has_urls: bool = False
    modes: dict[str, dict[str, int] | None] = field(default_factory=dict)  # None: too many values, left out


def _count_mode(modes: dict[str, dict[str, int] | None], key: str, value: str, n: int = 1) -> None:
    counts = modes.get(key, {})
    if counts is None:
        return
    if key not in modes:
        if len(modes) >= MAX_MODES:
            return
        modes[key] = counts
    counts[value] = counts.get(value, 0) + n
    if len(counts) > MODE_VALUES:
        modes[key] = None


PARALLEL_BYTES = 16 << 20  # compressed output below which one process beats starting workers


def collect(info: RunInfo, workers: int | None = None) -> Summary:
    files = terminal_files(info)
    size = sum(p.stat().st_size for _, _, p in files)
    n = min(workers or os.cpu_count() or 1, len(files), 8)
    if n > 1 and size >= PARALLEL_BYTES:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # one task per file, merged in file order: the same result as one process, whatever the pool does
        try:
            with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn")) as pool:
                parts = list(pool.map(_scan, [info] * len(files), [[f] for f in files]))
        except (OSError, RuntimeError):  # no processes to be had here (sandbox, limits): one is enough
            parts = [_scan(info, files)]
    else:
        parts = [_scan(info, files)]
    part = _merge(info, parts)

    q_reasons: dict[str, int] = {}
    q_examples: dict[str, list[dict[str, Any]]] = {}
    nq = 0
    for rec in iter_quarantine(info):
        nq += 1
        r = str(rec.doc.get("reason", "?"))
        q_reasons[r] = q_reasons.get(r, 0) + 1
        lst = q_examples.setdefault(r, [])
        if len(lst) < EXAMPLES_PER_REASON:
            lst.append({k: str(rec.doc.get(k, ""))[:2000] for k in ("source", "location", "message", "excerpt")})

    summary = Summary(info, part.steps, part.inp, part.kept, nq, q_reasons, q_examples, part.signals, part.examples,
                      part.languages, part.domains, part.lang_key, part.has_urls, [],
                      {k: v for k, v in part.modes.items() if v is not None})
    summary.mismatches = check_against_stats(summary)
    return summary


def _merge(info: RunInfo, parts: list[Partial]) -> Partial:
    if len(parts) == 1:
        return parts[0]
    out = Partial([StepAgg() for _ in info.steps], Counts(), Counts(), {}, {}, {}, {})
    for p in parts:
        for a, b in zip(out.steps, p.steps):
            for f in ("docs_in", "docs_out"):
                getattr(a, f).add(getattr(b, f).docs, getattr(b, f).chars, getattr(b, f).tokens)
            for f in ("dropped", "edits"):
                mine = getattr(a, f)
                for r, c in getattr(b, f).items():
                    mine.setdefault(r, Counts()).add(c.docs, c.chars, c.tokens)
            for f in ("edit_spans", "flagged"):
                mine = getattr(a, f)
                for r, c in getattr(b, f).items():
                    mine[r] = mine.get(r, 0) + c
            for r, rules in b.edit_rules.items():
                mine_r = a.edit_rules.setdefault(r, {})
                for k, c in rules.items():
                    mine_r[k] = mine_r.get(k, 0) + c
            a.edited_docs += b.edited_docs
            a.normalised_docs += b.normalised_docs
            for r, ts in b.seen_thresholds.items():
                mine_t = a.seen_thresholds.setdefault(r, set())
                mine_t.update(sorted(ts)[:max(0, 4 - len(mine_t))])
        out.inp.add(p.inp.docs, p.inp.chars, p.inp.tokens)
        out.kept.add(p.kept.docs, p.kept.chars, p.kept.tokens)
        for k, sig in p.signals.items():
            mine = out.signals.get(k)
            if mine is None:
                if len(out.signals) >= MAX_SIGNALS:
                    continue
                mine = out.signals[k] = Signal(k, sig.owner)
            for c, v in sig.n.items():
                mine.n[c] += v
            mine.lo, mine.hi = min(mine.lo, sig.lo), max(mine.hi, sig.hi)
            mine.sample.absorb(sig.sample)
        for k, bk in p.examples.items():
            out.examples.setdefault(k, BottomK(bk.k)).absorb(bk)
        for mine, theirs in ((out.languages, p.languages), (out.domains, p.domains)):
            for key, g in theirs.items():
                ga = _bump(mine, key)
                ga.docs_in += g.docs_in
                ga.docs_kept += g.docs_kept
                ga.chars_in += g.chars_in
                ga.chars_kept += g.chars_kept
                for r, c in g.reasons.items():
                    ga.reasons[r] = ga.reasons.get(r, 0) + c
        out.lang_key = out.lang_key or p.lang_key
        out.has_urls = out.has_urls or p.has_urls
        for k, counts in p.modes.items():
            if counts is None:
                if k in out.modes or len(out.modes) < MAX_MODES:
                    out.modes[k] = None
                continue
            for v, n in counts.items():
                _count_mode(out.modes, k, v, n)
    return out


def _tally(edits: list[dict[str, Any]]) -> tuple[int, int, int, dict[str, list[int]], dict | None]:
    """One step's edits in one pass: net characters and whitespace tokens removed (``DocPath.net_chars`` and
    ``net_tokens``), how many only normalised whitespace, per reason (in first-seen order) [spans, chars,
    tokens] removed, and {(reason, rule): spans} of the edits that name their rule (None when none does)."""
    net_c = net_t = n_norm = 0
    by_reason: dict[str, list[int]] = {}
    by_rule: dict[tuple[str, str], int] | None = None
    for e in edits:
        r = e.get("reason", "?")
        ru = e.get("rule")
        if ru is not None:
            if by_rule is None:
                by_rule = {}
            by_rule[(r, ru)] = by_rule.get((r, ru), 0) + 1
        removed = e.get("removed", "")
        replacement = e.get("replacement", "")
        ch = len(removed) - len(replacement)
        tk = len(removed.split()) - len(replacement.split())
        net_c += ch
        net_t += tk
        if r in NORMALISING_REASONS:
            n_norm += 1
        acc = by_reason.get(r)
        if acc is None:
            by_reason[r] = [1, ch, tk]
        else:
            acc[0] += 1
            acc[1] += ch
            acc[2] += tk
    return net_c, net_t, n_norm, by_reason, by_rule


def _scan(info: RunInfo, files: list[tuple[str, str, Path]]) -> Partial:
    steps = [StepAgg() for _ in info.steps]
    gidx = {s.key: s.gpos for s in info.steps}
    inp, kept = Counts(), Counts()
    signals: dict[str, Signal] = {}
    examples: dict[tuple[int, str, str], BottomK] = {}
    languages: dict[str, GroupAgg] = {}
    domains: dict[str, GroupAgg] = {}
    lang_key = None
    has_urls = False
    modes: dict[str, dict[str, int] | None] = {}

    for rec in iter_records(files):
        path = doc_path(info, rec)
        doc = rec.doc
        did = str(doc.get("id"))
        n = len(path.steps)
        g = [gidx[s.key] for s in path.steps]
        last = path.first_drop if path.first_drop is not None else n - 1  # last step the doc passes through
        # text size after each step, walking back from the final text
        after_c = [0] * n
        after_t = [0] * n
        # each step's edits, tallied in one pass (a step such as c4_quality makes tens of thousands on a crawl)
        tallies = [_tally(es) if es else None for es in path.edits]
        c, t = path.final_chars, path.final_tokens
        for j in range(n - 1, -1, -1):
            after_c[j], after_t[j] = c, t
            tl = tallies[j]
            if tl is not None and path.reached[j] and (j <= last or info.annotate):
                c += tl[0]
                t += tl[1]
        in_c, in_t = c, t
        inp.add(1, in_c, in_t)
        # route mode keeps edits of steps after the drop out of the text; annotate mode counts them on the final
        # text, which the walk above already undid
        for j in range(n):
            sa = steps[g[j]]
            if j > last:
                if info.annotate and path.verdicts[j] is not None:
                    r = path.verdicts[j].get("reason", "?")
                    sa.flagged[r] = sa.flagged.get(r, 0) + 1
                continue
            tl = tallies[j]
            before_c = after_c[j] + (tl[0] if tl is not None else 0)
            before_t = after_t[j] + (tl[1] if tl is not None else 0)
            sa.docs_in.add(1, before_c, before_t)
            if tl is not None:
                _, _, n_norm, by_reason, by_rule = tl
                if by_rule is not None:
                    for (r, ru), c in by_rule.items():
                        rules = sa.edit_rules.setdefault(r, {})
                        rules[ru] = rules.get(ru, 0) + c
                sa.edited_docs += n_norm < len(path.edits[j])
                sa.normalised_docs += n_norm > 0
                for r, (spans, ch, tk) in by_reason.items():
                    sa.edits.setdefault(r, Counts()).add(1, ch, tk)
                    sa.edit_spans[r] = sa.edit_spans.get(r, 0) + spans
                    key = (g[j], "edit", r)
                    bk = examples.setdefault(key, BottomK(EXAMPLES_PER_REASON))
                    rank = doc_hash(did, f"edit:{r}")
                    bk.offer(rank, lambda: _example(rec, path, j, "edit", r))
            v = path.verdicts[j]
            if v is not None:
                r = v.get("reason", "?")
                if info.annotate:
                    sa.flagged[r] = sa.flagged.get(r, 0) + 1
            if v is not None and v.get("threshold") is not None:
                seen = sa.seen_thresholds.setdefault(r, set())
                if len(seen) < 4:
                    seen.add(v["threshold"])
            if j == path.first_drop:
                sa.dropped.setdefault(r, Counts()).add(1, after_c[j], after_t[j])
                key = (g[j], "drop", r)
                bk = examples.setdefault(key, BottomK(EXAMPLES_PER_REASON))
                bk.offer(doc_hash(did, f"drop:{r}"), lambda: _example(rec, path, j, "drop", r))
            else:
                sa.docs_out.add(1, after_c[j], after_t[j])
        is_kept = path.first_drop is None
        if is_kept:
            kept.add(1, path.final_chars, path.final_tokens)

        attrs = doc.get("attributes") or {}
        lk, lang = _lang(attrs)
        if lk:
            lang_key = lang_key or lk
        reason = None if is_kept else f"{path.steps[path.first_drop].label}: {path.verdicts[path.first_drop].get('reason')}"
        meta = doc.get("metadata") or {}
        dom = domain_of(meta.get("url"))
        has_urls = has_urls or dom is not None
        for groups, key in ((languages, lang or "(unknown)"), (domains, dom or "(no url)")):
            ga = _bump(groups, key)
            ga.docs_in += 1
            ga.chars_in += in_c
            if is_kept:
                ga.docs_kept += 1
                ga.chars_kept += path.final_chars
            else:
                ga.reasons[reason] = ga.reasons.get(reason, 0) + 1

        # signals: numeric attributes, split by what happened to the document
        labels = {s.label: j for j, s in enumerate(path.steps)}
        rank = None
        for k, v in attrs.items():
            if isinstance(v, str):
                if len(v) <= MODE_CHARS:
                    _count_mode(modes, k, v)
                continue
            x = numeric(v)
            if x is None:
                continue
            sig = signals.get(k)
            if sig is None:
                if len(signals) >= MAX_SIGNALS:
                    continue
                j = labels.get(k.split(".", 1)[0])
                sig = signals[k] = Signal(k, g[j] if j is not None else None)
            j = labels.get(k.split(".", 1)[0])
            if is_kept:
                cls = "kept"
            elif j is not None and path.verdicts[j] is not None:
                cls = "here"
            else:
                cls = "other"
            sig.n[cls] += 1
            sig.lo = min(sig.lo, x)
            sig.hi = max(sig.hi, x)
            if rank is None:
                rank = doc_hash(did, "signal")
            sig.sample.offer(rank, lambda x=x, cls=cls: (x, cls))

    return Partial(steps, inp, kept, signals, examples, languages, domains, lang_key, has_urls, modes)


def check_against_stats(s: Summary) -> list[str]:
    """The report's counts, rebuilt from the documents, must agree with the run's ledger (stats.json)."""
    out = []
    info = s.info
    # a step whose documents went on to a writer of token ids: the kept ones have no record to count from
    unrecorded = {st for t in info.token_stages for st in info.chains.get(t, [t])}
    for sd in info.stats.get("stages", []):
        by_label = {st["name"]: st for st in sd.get("steps", [])}
        # documents the writers could not encode: the steps counted them (stats.json), but they have no record,
        # only a quarantine entry; the counts rebuilt from the records may fall short by that many
        w = sum(p.get("quarantine_reasons", {}).get("write_error", 0) for p in sd.get("passes", []))
        for step in info.stage_steps(sd["name"]):
            st = by_label.get(step.label)
            if st is None:
                continue
            agg = s.steps[step.gpos]
            if info.annotate:
                if not _short_by(agg.flagged, st["dropped"], w):
                    out.append(f"{step.key}: verdicts {agg.flagged} vs stats.json {st['dropped']}")
                continue
            mine = {r: c.docs for r, c in agg.dropped.items()}
            if not _short_by(mine, st["dropped"], w):
                out.append(f"{step.key}: dropped {mine} vs stats.json {st['dropped']}")
            if sd["name"] in unrecorded:
                continue  # its drops are recorded (checked above); what it passed on, edits and all, may be token ids only
            if not st["docs_in"] - st.get("errors", 0) - w <= agg.docs_in.docs <= st["docs_in"] or (
                    not w and agg.docs_in.docs not in (st["docs_in"], st["docs_in"] - st.get("errors", 0))):
                out.append(f"{step.key}: {agg.docs_in.docs} documents in vs stats.json {st['docs_in']}")
            edited = st.get("edited", agg.edited_docs)
            if not edited - w <= agg.edited_docs <= edited:
                out.append(f"{step.key}: {agg.edited_docs} documents edited vs stats.json {st['edited']}")
            removed = sum(c.chars for c in agg.edits.values())
            if removed != st["chars_removed"] and not (w and removed < st["chars_removed"]):
                out.append(f"{step.key}: {removed} characters removed by edits vs stats.json {st['chars_removed']}")
    return out


def _short_by(mine: dict[str, int], theirs: dict[str, int], most: int) -> bool:
    """Whether ``mine`` equals ``theirs`` less at most ``most`` documents in all (none: equal)."""
    if not most:
        return mine == theirs
    short = 0
    for r in set(mine) | set(theirs):
        d = theirs.get(r, 0) - mine.get(r, 0)
        if d < 0:
            return False
        short += d
    return short <= most
