"""The run report: ``report.html`` in the run folder, one static file that opens offline.

Built from the run folder alone (config.resolved.yaml, stats.json and the kept / rejected / quarantine records) in
one streaming pass, so it can be rebuilt at any time with ``winnow report RUN_DIR`` and costs no re-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.base import atomic_path
from ._collect import MODE_VALUES, Summary, collect
from ._html import (C_DROP, C_EDIT, C_KEPT, C_OTHER, CSP, bar_cell, esc, fmt_int, fmt_num, fmt_seconds,
                    fmt_short, funnel_svg, hbar_svg, histogram_svg, pct)
from ._run import load_run

__all__ = ["build_report", "render_report"]

TOP_GROUPS = 15


def build_report(run_dir: Path) -> Path:
    """Write ``run_dir/report.html`` and return its path."""
    from ..io.base import as_path

    run_dir = as_path(run_dir)  # a local folder or a URL (s3://bucket/run)
    html = render_report(run_dir)
    out = run_dir / "report.html"
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out


def render_report(run_dir: Path) -> str:
    info = load_run(run_dir)
    s = collect(info)
    body = [
        _header(s),
        _funnel(s),
        _tokens(s),
        _mixes(s),
        _reasons(s),
        _signals(s),
        _modes(s),
        _examples(s),
        _groups(s),
        _timing(s),
        _quarantine(s),
        _config(s),
    ]
    title = f"winnow report: {info.config.get('run', {}).get('name', 'run')}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
            f'<meta name="referrer" content="no-referrer">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{esc(title)}</title><style>{CSS}</style></head>\n<body><main>'
            + "\n".join(b for b in body if b) + "</main></body></html>\n")


# --- sections -------------------------------------------------------------------------------------------------

def _run_arg(info: Any) -> str:
    """The run folder as a shell argument, so the commands the report shows can be pasted as they are (a user reading
    RUN_DIR had to work out which folder it meant)."""
    from .._terminal import shell_path

    return shell_path(info.run_dir)


def _header(s: Summary) -> str:
    info = s.info
    run = info.config.get("run", {})
    kept_docs = s.kept.docs
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("funnel", "Funnel"), *((("tokens", "Tokens"),) if info.stats.get("tokens") else ()),
        *((("mix", "Mix"),) if any(sd.get("mixture") for sd in info.stats.get("stages", [])) else ()),
        ("reasons", "Removed by reason"), ("signals", "Signals"), ("examples", "Examples"),
        ("breakdown", "Language &amp; domain"), ("timing", "Run time"), ("quarantine", "Quarantine"),
        ("pipeline", "Pipeline")))
    mode = ""
    if info.annotate:
        mode = ('<p class="note">This run used <code>on_drop: annotate</code>: every document was kept and each '
                'verdict stored as the attribute <code>&lt;step&gt;.drop</code>. The funnel shows where a routing run '
                'would have dropped each document (at its first failing verdict); “verdicts” counts every failing '
                'verdict, as stats.json does. It would keep '
                + esc(fmt_int(sum(sd.get("would_keep", 0) for sd in info.stats.get("stages", [])
                                  if sd.get("name") in info.terminal_kept)))
                + f' documents; <code>winnow apply {esc(_run_arg(info))} -o OUT</code> writes them (optionally '
                're-thresholded, '
                'as <code>--set</code> in whatif) from the recorded verdicts.</p>')
    ledger = ""
    if s.mismatches:
        ledger = ('<p class="warn">The counts rebuilt from the documents disagree with stats.json: '
                  + "; ".join(esc(m) for m in s.mismatches[:10]) + "</p>")
    balanced = all(sd.get("balanced", True) for sd in info.stats.get("stages", []))
    # annotate runs keep everything: say "would keep" so nobody reads the simulated funnel as the output
    kept_word = "would pass every check" if info.annotate else "kept"
    cards = [
        ("documents", f"{fmt_int(s.input.docs + s.quarantined)} → {fmt_int(kept_docs)}",
         f"{pct(kept_docs, s.input.docs + s.quarantined)} {kept_word}"),
        ("characters", f"{fmt_short(s.input.chars)} → {fmt_short(s.kept.chars)}", f"{pct(s.kept.chars, s.input.chars)} kept"),
        ("whitespace tokens", f"{fmt_short(s.input.tokens)} → {fmt_short(s.kept.tokens)}",
         f"{pct(s.kept.tokens, s.input.tokens)} kept"),
        ("quarantined", fmt_int(s.quarantined), "records unreadable or failing a step"),
    ]
    if info.token_outputs:  # kept documents written as token ids have no records: the ledger's counts instead
        cards = _token_cards(s, kept_word) + cards[3:]
    cards += [
        ("run time", fmt_seconds(float(info.stats.get("seconds", 0) or 0)),
         f"{_plural(len(info.steps), 'step')}, {_plural(len(info.stages), 'stage')}"),
        ("ledger", "balanced" if balanced and not s.mismatches else "CHECK",
         "in = kept + rejected + quarantined" if balanced else "see stats.json"),
    ]
    cards_html = "".join(f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div>'
                         f'<div class="s">{esc(sub)}</div></div>' for k, v, sub in cards)
    return (f'<header><h1>winnow run report <span class="muted">· {esc(run.get("name", ""))}</span></h1>'
            f'<nav>{nav}</nav></header><section id="summary"><div class="cards">{cards_html}</div>{mode}{ledger}'
            f'</section>')


def _token_cards(s: Summary, kept_word: str) -> list[tuple[str, str, str]]:
    """The documents and tokens cards of a run whose final outputs (some of them) are token ids, from stats.json:
    documents read by the reading stages -> documents in the final outputs, and the tokenizer tokens written."""
    info = s.info
    by = {sd["name"]: sd for sd in info.stats.get("stages", [])}
    reading = [st["name"] for st in info.stages if "reader" in st]
    finals = list(info.terminal_kept) + list(info.token_outputs)
    n_in = sum(by.get(n, {}).get("in", 0) for n in reading)
    n_kept = sum(by.get(n, {}).get("kept", 0) for n in finals)
    copies = sum(by.get(n, {}).get("copies_out", 0) for n in finals)
    tokens = sum(by.get(n, {}).get("tokens_out", 0) for n in finals)
    sub = f"{pct(n_kept, n_in)} {kept_word}" + (f"; {fmt_int(copies)} written with repetitions" if copies else "")
    cards = [("documents", f"{fmt_int(n_in)} → {fmt_int(n_kept)}", sub + " (stats.json)")]
    cards.append(("characters", "–", "the kept documents are token ids: see Tokens"))
    cards.append(("tokenizer tokens", fmt_short(tokens) if tokens else "–",
                  "in the final outputs, exact" if tokens else "no tokenize step"))
    return cards


def _step_title(s: Summary, i: int) -> str:
    st = s.info.steps[i]
    return st.label if len(s.info.stages) == 1 else f"{st.stage} / {st.label}"


def _funnel(s: Summary) -> str:
    total = {"docs": s.input.docs, "chars": s.input.chars, "tokens": s.input.tokens}
    rows: list[dict[str, Any]] = [{"label": "input", **total}]
    for i, agg in enumerate(s.steps):
        r = {"label": _step_title(s, i), "docs": agg.docs_out.docs, "chars": agg.docs_out.chars,
             "tokens": agg.docs_out.tokens}
        r["docs_drop"] = sum(c.docs for c in agg.dropped.values())
        r["chars_drop"] = sum(c.chars for c in agg.dropped.values())
        r["tokens_drop"] = sum(c.tokens for c in agg.dropped.values())
        r["chars_edit"] = sum(c.chars for c in agg.edits.values())
        r["tokens_edit"] = sum(c.tokens for c in agg.edits.values())
        rows.append(r)
    rows.append({"label": "pass every check" if s.info.annotate else "kept", "docs": s.kept.docs, "chars": s.kept.chars, "tokens": s.kept.tokens})
    legend = (f'<div class="legend"><span><i style="background:{C_KEPT}"></i>left after the step</span>'
              f'<span><i style="background:{C_DROP}"></i>in documents the step dropped</span>'
              f'<span><i style="background:{C_EDIT}"></i>removed by the step’s edits</span></div>')
    # the table carries the exact numbers the bars draw
    # annotate: what is left after each step is what the run would keep (stats.json's would_keep), not its output
    out_label = "would keep" if s.info.annotate else "docs out"
    head = ("<tr><th>step</th><th>kind</th><th class=n>docs in</th>"
            f"<th class=n>{out_label}</th><th class=n>dropped</th>"
            "<th class=n>edited</th><th class=n>chars out</th><th class=n>tokens out</th><th>docs left</th></tr>")
    body = []
    for i, agg in enumerate(s.steps):
        st = s.info.steps[i]
        dropped = sum(c.docs for c in agg.dropped.values())
        edited = fmt_int(agg.edited_docs)
        if agg.normalised_docs:  # whitespace normalisation counted apart: it touches nearly every document
            edited += f' <span class="muted">+{fmt_int(agg.normalised_docs)} whitespace</span>'
        body.append(f"<tr><td>{esc(_step_title(s, i))}</td><td>{esc(st.kind)}</td>"
                    f"<td class=n>{fmt_int(agg.docs_in.docs)}</td><td class=n>{fmt_int(agg.docs_out.docs)}</td>"
                    f"<td class=n>{fmt_int(dropped)}</td><td class=n>{edited}</td>"
                    f"<td class=n>{fmt_int(agg.docs_out.chars)}</td><td class=n>{fmt_int(agg.docs_out.tokens)}</td>"
                    f"<td>{bar_cell(agg.docs_out.docs / (s.input.docs or 1))}</td></tr>")
    if not s.steps:
        body.append('<tr><td colspan=9 class="muted">this pipeline has no steps</td></tr>')
    return (f'<section id="funnel"><h2>Funnel</h2><p class="lead">What is left after each step, in documents, '
            f'characters and whitespace tokens (text split on whitespace: a tokenizer-free proxy). Characters and '
            f'tokens removed by edits are counted inside the removed spans.</p>{_token_stage_note(s)}{legend}'
            f'{funnel_svg(rows, total)}<table class="grid">{head}{"".join(body)}</table></section>')


def _tokens(s: Summary) -> str:
    """Tokenizer tokens after every step, from stats.json: exact at a step that counted them (tokenize), an
    estimate (characters x the measured tokens per character) everywhere else, each labelled."""
    info = s.info
    meta = info.stats.get("tokens")
    if not meta:
        return ""
    rows = []
    multi = len(info.stages) > 1
    for sd in info.stats.get("stages", []):
        if sd.get("type") == "mix":
            continue  # the Mix section has its tokens, source by source
        for st in sd.get("steps", []):
            name = f'{sd["name"]} / {st["name"]}' if multi else st["name"]
            if "tokens_out" in st:
                tok = f'<b>{fmt_int(st["tokens_out"])}</b> <span class="tag exact">exact</span>'
            elif "tokens_out_est" in st:
                tok = f'≈ {fmt_int(st["tokens_out_est"])} <span class="tag est">estimate</span>'
            else:
                tok = '<span class="muted">–</span>'
            chars = fmt_int(st["chars_out"]) if "chars_out" in st else '<span class="muted">–</span>'
            rows.append(f'<tr><td>{esc(name)}</td><td class=n>{fmt_int(st.get("docs_in", 0))}</td>'
                        f'<td class=n>{fmt_int(st.get("docs_out", 0))}</td><td class=n>{chars}</td>'
                        f'<td class=n>{tok}</td></tr>')
    head = ("<tr><th>step</th><th class=n>docs in</th><th class=n>docs out</th><th class=n>chars out</th>"
            "<th class=n>tokenizer tokens out</th></tr>")
    lead = (f'<p class="lead">Tokens of the documents each step passed on, from stats.json. Exact where a step '
            f'counted them with the tokenizer (<code>{esc(meta["measured_at"])}</code>). Every other figure is an '
            f'<b>estimate</b>: the step’s characters out × {esc(fmt_num(meta["tokens_per_char"]))} tokens per '
            f'character, the ratio the tokenizer gave on the {fmt_int(meta["docs"])} documents it counted '
            f'({fmt_int(meta["tokens"])} tokens in {fmt_int(meta["chars"])} characters). Text removed before the '
            f'tokenizer saw it (boilerplate, other languages) may tokenize denser or sparser, so the estimates for '
            f'the first steps are the roughest. BOS/EOS are not counted; the funnel above counts whitespace '
            f'tokens.</p>')
    return f'<section id="tokens"><h2>Tokens</h2>{lead}<table class="grid">{head}{"".join(rows)}</table></section>'


def _mixes(s: Summary) -> str:
    """Each mix stage's realised mixture (stats.json, from kept/<stage>/mixture.json): asked vs realised."""
    parts = []
    for sd in s.info.stats.get("stages", []):
        mixture = sd.get("mixture")
        if not mixture:
            continue
        rows = []
        for name, m in mixture.items():
            copies = ", ".join(f"{n}×: {fmt_int(c)}" for n, c in m.get("copies", {}).items())
            rows.append(f'<tr><td>{esc(name)}</td><td class=n>{esc(fmt_num(m["weight"]))} '
                        f'<span class="muted">({pct(m["share_asked"], 1)})</span></td>'
                        f'<td class=n>{fmt_int(m["target_tokens"])}</td>'
                        f'<td class=n>{fmt_int(m["tokens"])} <span class="muted">({pct(m["share"], 1)})</span>'
                        f'{bar_cell(m["share"])}</td><td class=n>{fmt_int(m["source_tokens"])}</td>'
                        f'<td class=n>{m["full_repetitions"]} + {pct(m["partial"], 1)}</td>'
                        f'<td class=n>{fmt_int(m["docs_selected"])} of {fmt_int(m["source_docs"])} '
                        f'<span class="muted">({fmt_int(m["docs_not_selected"])} not selected)</span></td>'
                        f'<td class=n>{fmt_int(m["docs"])}<div class="muted small">{esc(copies)}</div></td></tr>')
        head = ("<tr><th>source</th><th class=n>weight asked</th><th class=n>tokens asked</th>"
                "<th class=n>tokens realised (share)</th><th class=n>source tokens</th>"
                "<th class=n>repetitions</th><th class=n>documents selected</th>"
                "<th class=n>copies written</th></tr>")
        parts.append(f'<h3>stage {esc(sd["name"])} <span class="muted small">· {fmt_int(sd.get("tokens_out", 0))} '
                     f'tokens (asked {fmt_int(sd.get("tokens_asked", 0))}) · {fmt_int(sd.get("copies_out", 0))} '
                     f'documents written from {fmt_int(sd.get("kept", 0))} selected</span></h3>'
                     f'<div class="scroll"><table class="grid">{head}{"".join(rows)}</table></div>')
    if not parts:
        return ""
    return ('<section id="mix"><h2>Mix</h2><p class="lead">The training set each mix stage built: per source the '
            'weight asked and the tokens it was to give, what it gave, how often its documents were repeated (whole '
            'repetitions + the share of a seeded partial one) and how many were not selected. Tokens as written '
            '(BOS/EOS included). Each document’s count: <code>kept/&lt;stage&gt;/selection/</code>.</p>'
            + "".join(parts) + "</section>")


def _token_stage_note(s: Summary) -> str:
    names = [n for n in s.info.token_stages if "mix" not in next((st for st in s.info.stages if st["name"] == n), {})]
    if not names:
        return ""
    kept = sum(s.info.stage_stats(n).get("kept", 0) for n in names)
    return (f'<p class="note">Stage(s) {esc(", ".join(names))} wrote their {fmt_int(kept)} kept documents as token '
            'ids, which carry no record: the funnel, signals and examples count only the documents their steps '
            'dropped; stats.json (and the Tokens table) has their full counts.</p>')


def _op_for(s: Summary, i: int, reason: str) -> tuple[str, str] | None:
    for param, (_attr, op, r) in s.info.steps[i].thresholds.items():
        if r == reason:
            return param, op
    return None


def _reasons(s: Summary) -> str:
    rows = []
    tot = s.input
    for i, agg in enumerate(s.steps):
        for r, c in sorted(agg.dropped.items(), key=lambda x: -x[1].docs):
            rows.append((c.chars, f'<tr><td>{esc(_step_title(s, i))}</td><td><span class="tag drop">drop</span> '
                         f'{esc(r)}</td><td class=n>{fmt_int(c.docs)}</td><td class=n>{pct(c.docs, tot.docs)}</td>'
                         f'<td class=n>{fmt_int(c.chars)}</td><td class=n>{pct(c.chars, tot.chars)}</td>'
                         f'<td class=n>{fmt_int(c.tokens)}</td><td class=n>{pct(c.tokens, tot.tokens)}</td>'
                         f'<td>{bar_cell(c.chars / (tot.chars or 1), C_DROP)}</td></tr>'))
        for r, c in sorted(agg.edits.items(), key=lambda x: -x[1].chars):
            spans = agg.edit_spans.get(r, 0)
            rules = sorted(agg.edit_rules.get(r, {}).items(), key=lambda x: (-x[1], x[0]))
            by_rule = ('<div class="muted">by rule: ' + ", ".join(f"{esc(k)} {fmt_int(n)}" for k, n in rules)
                       + "</div>") if rules else ""
            rows.append((c.chars, f'<tr><td>{esc(_step_title(s, i))}</td><td><span class="tag edit">edit</span> '
                         f'{esc(r)}{by_rule}</td><td class=n title="documents edited">{fmt_int(c.docs)} '
                         f'<span class="muted">({fmt_int(spans)} spans)</span></td><td class=n>{pct(c.docs, tot.docs)}'
                         f'</td><td class=n>{fmt_int(c.chars)}</td><td class=n>{pct(c.chars, tot.chars)}</td>'
                         f'<td class=n>{fmt_int(c.tokens)}</td><td class=n>{pct(c.tokens, tot.tokens)}</td>'
                         f'<td>{bar_cell(c.chars / (tot.chars or 1), C_EDIT)}</td></tr>'))
    if not rows:
        return ('<section id="reasons"><h2>Removed by reason</h2><p class="muted">Nothing was dropped or edited.</p>'
                '</section>')
    head = ("<tr><th>step</th><th>reason</th><th class=n>documents</th><th class=n>% docs</th>"
            "<th class=n>characters</th><th class=n>% chars</th><th class=n>tokens</th><th class=n>% tokens</th>"
            "<th>share of input characters</th></tr>")
    note = ""
    if s.info.annotate:
        flagged = [(i, r, n) for i, a in enumerate(s.steps) for r, n in a.flagged.items()]
        if flagged:
            note = ("<p class=note>Verdicts (every failing check, including documents an earlier step would already "
                    "have dropped): " + ", ".join(f"{esc(_step_title(s, i))}: {esc(r)} = {fmt_int(n)}"
                                                  for i, r, n in flagged) + "</p>")
    return (f'<section id="reasons"><h2>Removed by reason</h2><p class="lead">Each document is counted once, at the '
            f'step that dropped it; percentages are of the input. Sorted by characters removed within each step.</p>'
            f'<table class="grid">{head}{"".join(r for _, r in rows)}</table>{note}</section>')


def _signals(s: Summary) -> str:
    sigs = sorted(s.signals.values(), key=lambda g: (g.owner if g.owner is not None else 10**9, g.key))
    if not sigs:
        return ('<section id="signals"><h2>Signals</h2><p class="muted">No numeric signals were recorded as '
                'attributes in this run.</p></section>')
    legend = (f'<div class="legend"><span><i style="background:{C_KEPT}"></i>kept</span>'
              f'<span><i style="background:{C_DROP}"></i>dropped by this signal’s step</span>'
              f'<span><i style="background:{C_OTHER}"></i>dropped by another step</span>'
              f'<span><i class="dash"></i>threshold (drop side named)</span></div>')
    figs = []
    for g in sigs:
        vals = g.sample.items()
        if not vals:
            continue
        thr = []
        if g.owner is not None:
            st = s.info.steps[g.owner]
            seen = s.steps[g.owner].seen_thresholds
            for param, (attr, op, reason) in st.thresholds.items():
                v = st.params.get(param)
                note = ""
                if v is None and len(seen.get(reason, ())) == 1:
                    v = next(iter(seen[reason]))  # null in the config, resolved by the step; its drops say to what
                    note = " (resolved at run time)"
                if attr == g.key and isinstance(v, (int, float)) and not isinstance(v, bool):
                    thr.append((param, f"{op} {fmt_num(v)}: {reason}{note}", float(v)))
        total = sum(g.n.values())
        sampled = (f' · histogram of a {len(vals):,}-document sample' if len(vals) < total else "")
        counts = " · ".join(f"{lbl} {fmt_int(g.n[c])}" for c, lbl in (("kept", "kept"), ("here", "dropped here"),
                                                                          ("other", "dropped elsewhere")) if g.n[c])
        side = {"<": "drop below", "<=": "drop at or below", ">": "drop above", ">=": "drop at or above"}
        svg = histogram_svg(vals, [(p, side.get(o.split(" ")[0], "drop"), t) for p, o, t in thr], title=g.key)
        scale = total / len(vals)

        def borderline(t: float) -> str:
            # how many documents a small change of this threshold would move: the ones within 10% of it
            if t == 0:
                return ""
            near = sum(1 for v, _ in vals if abs(v - t) <= 0.1 * abs(t)) * scale
            approx = "about " if scale > 1 else ""
            return f" · {approx}{fmt_int(round(near))} documents ({pct(near, total)}) within ±10% of it"

        thr_txt = "".join(f'<div class="muted small">threshold {esc(p)} {esc(o)}{esc(borderline(t))}</div>'
                          for p, o, t in thr)
        figs.append(f'<figure class="sig"><figcaption><b>{esc(g.key)}</b><div class="muted small">{counts} · range '
                    f'{esc(fmt_num(g.lo))} – {esc(fmt_num(g.hi))}{sampled}</div>{thr_txt}</figcaption>{svg}</figure>')
    route_note = ("" if s.info.annotate else " In a routing run a document dropped by an earlier step never reaches "
                  "later steps, so their signals only describe the documents that got that far.")
    return (f'<section id="signals"><h2>Signals</h2><p class="lead">Every numeric attribute the steps recorded, '
            f'kept vs dropped, with the step’s threshold drawn.{route_note}</p>{legend}'
            f'<div class="figs">{"".join(figs)}</div></section>')


def _modes(s: Summary) -> str:
    """Text attributes with few values, counted: which tier or head judged each page and why (stitched_document.tier,
    .tier_why, .head), a classifier's label. Nothing when the run recorded none."""
    if not s.modes:
        return ""
    rows = []
    for key in sorted(s.modes):
        counts = s.modes[key]
        total = sum(counts.values())
        cells = " · ".join(f"<code>{esc(v)}</code> {esc(fmt_int(n))} ({esc(pct(n, total))})"
                           for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append(f"<tr><td><code>{esc(key)}</code></td><td>{cells}</td></tr>")
    return (f'<section id="modes"><h2>Text signals</h2><p class="lead">Every text attribute with at most '
            f'{MODE_VALUES} values, counted over the documents that carry it (which tier or model head judged a page, '
            f'and why; a label).</p><table class="grid"><tr><th>attribute</th><th>documents by value</th></tr>'
            f'{"".join(rows)}</table></section>')


def _verdict_line(s: Summary, i: int, v: dict[str, Any] | None, reason: str) -> str:
    if not v:
        return ""
    val, thr = v.get("value"), v.get("threshold")
    opp = _op_for(s, i, reason)
    if val is None and thr is None:
        return f'<div class="verdict">reason <b>{esc(reason)}</b></div>'
    if opp and val is not None and thr is not None:
        param, op = opp
        return (f'<div class="verdict">value <b>{esc(fmt_num(val))}</b> {esc(op)} {esc(param)} = '
                f'<b>{esc(fmt_num(thr))}</b> → {esc(reason)}</div>')
    return (f'<div class="verdict">value <b>{esc(fmt_num(val))}</b> · threshold <b>{esc(fmt_num(thr))}</b> → '
            f'{esc(reason)}</div>')


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _doc_head(ex: dict[str, Any]) -> str:
    bits = [f'<span class="id">id <code>{esc(ex["id"])}</code></span>']
    if ex.get("url"):
        bits.append(f'<span class="url">{esc(ex["url"])}</span>')  # shown as text, never as a link
    bits.append(f'<span class="muted">{fmt_int(ex["text_len"])} chars · {esc(ex["file"])}</span>')
    return '<div class="dochead">' + " ".join(bits) + "</div>"


def _signals_line(ex: dict[str, Any]) -> str:
    if not ex.get("signals"):
        return ""
    items = list(ex["signals"].items())[:16]
    return '<div class="sigs">' + " ".join(
        f'<span><code>{esc(k)}</code> = {esc(fmt_num(v) if isinstance(v, (int, float)) else str(v)[:80])}</span>'
        for k, v in items) + "</div>"


def _sources_line(ex: dict[str, Any]) -> str:
    """The sources a stitched page was found made of, with the first sentences of each (stitched_document's
    clusters, read back against the text it judged)."""
    srcs = ex.get("sources")
    if not srcs:
        return ""
    items = "".join(
        f'<li>{_plural(len(src["sentences"]), "sentence")}: '
        + " · ".join(f"<q>{esc(q if len(q) <= 160 else q[:140] + ' … ')}</q>" for q in src["quotes"]) + "</li>"
        for src in srcs)
    return (f'<div class="sources"><span class="muted">stitched from {len(srcs)} sources '
            f'(the first sentences of each):</span><ol>{items}</ol></div>')


def _examples(s: Summary) -> str:
    blocks = []
    opened: set[str] = set()
    for (i, kind, reason), bk in sorted(s.examples.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        items = bk.items()
        total = bk.seen
        cards = []
        for ex in items:
            verdict = _verdict_line(s, i, ex["verdict"], reason) if kind == "drop" else ""
            cards.append(f'<div class="doc">{_doc_head(ex)}{verdict}{_signals_line(ex)}{_sources_line(ex)}'
                         f'{ex["view"]}</div>')
        tag = f'<span class="tag {kind}">{kind}</span>'
        # the first drop reason and the first edit reason start open, so the page shows what a verdict looks like
        is_open = " open" if kind not in opened else ""
        opened.add(kind)
        blocks.append(f'<details class="ex"{is_open}><summary>{tag} <b>{esc(_step_title(s, i))}</b>: {esc(reason)} '
                      f'<span class="muted">· {_plural(total, "document")}, {len(items)} shown</span></summary>'
                      f'{"".join(cards)}</details>')
    if not blocks:
        return ('<section id="examples"><h2>Examples</h2><p class="muted">No document was dropped or edited.</p>'
                '</section>')
    return (f'<section id="examples"><h2>Examples</h2><p class="lead">A few documents per drop and edit reason, '
            f'picked by a hash of their id (the same run always shows the same ones). Removed spans are '
            f'<del>struck through</del>, replacements <ins>underlined</ins>; long stretches are shortened. Open a '
            f'reason to see its documents; <code>winnow explain {esc(_run_arg(s.info))} ID</code> tells a document’s '
            f'whole story.</p>'
            f'{"".join(blocks)}</section>')


def _group_table(groups: dict, what: str, *, by_dropped: bool = False) -> str:
    if by_dropped:
        rows = sorted(((k, g) for k, g in groups.items() if g.docs_in > g.docs_kept),
                      key=lambda kv: (-(kv[1].docs_in - kv[1].docs_kept), kv[0]))
    else:
        rows = sorted(groups.items(), key=lambda kv: (-kv[1].docs_in, kv[0]))
    shown, rest = rows[:TOP_GROUPS], rows[TOP_GROUPS:]
    body = []
    for key, g in shown:
        top = max(g.reasons.items(), key=lambda x: x[1]) if g.reasons else None
        body.append(f"<tr><td>{esc(key)}</td><td class=n>{fmt_int(g.docs_in)}</td><td class=n>{fmt_int(g.docs_kept)}"
                    f"</td><td class=n>{pct(g.docs_kept, g.docs_in)}</td><td>{bar_cell(g.docs_kept / (g.docs_in or 1))}"
                    f"</td><td class=n>{fmt_int(g.chars_in)}</td><td class=n>{fmt_int(g.chars_kept)}</td>"
                    f"<td>{esc(f'{top[0]} ({top[1]:,})') if top else ''}</td></tr>")
    if rest:
        d = sum(g.docs_in for _, g in rest)
        k = sum(g.docs_kept for _, g in rest)
        body.append(f'<tr class="muted"><td>{len(rest):,} more</td><td class=n>{fmt_int(d)}</td>'
                    f'<td class=n>{fmt_int(k)}</td><td class=n>{pct(k, d)}</td><td></td><td></td><td></td><td></td></tr>')
    head = (f"<tr><th>{esc(what)}</th><th class=n>docs in</th><th class=n>kept</th><th class=n>kept %</th><th></th>"
            f"<th class=n>chars in</th><th class=n>chars kept</th><th>top drop reason</th></tr>")
    return f'<table class="grid">{head}{"".join(body)}</table>'


def _groups(s: Summary) -> str:
    parts = ['<section id="breakdown"><h2>By language and by source domain</h2>']
    if s.lang_key:
        parts.append(f'<h3>Language <span class="muted small">(attribute <code>{esc(s.lang_key)}</code>; '
                     f'“(unknown)” = dropped before language identification or not identified)</span></h3>')
        parts.append(_group_table(s.languages, "language"))
    else:
        parts.append('<h3>Language</h3><p class="muted">No step recorded a language (attribute '
                     '<code>language.lang</code>); add language identification to the pipeline to see this.</p>')
    if s.has_urls:
        parts.append('<h3>Source domain <span class="muted small">(from <code>metadata.url</code>, without '
                     '“www.”)</span></h3>')
        parts.append(_group_table(s.domains, "domain"))
        if any(g.docs_in > g.docs_kept for g in s.domains.values()):
            # the largest domains are rarely where filtering bites: list the ones that lost the most documents too
            parts.append('<h3>Domains that lost the most documents</h3>')
            parts.append(_group_table(s.domains, "domain", by_dropped=True))
    else:
        parts.append('<h3>Source domain</h3><p class="muted">The documents carry no <code>metadata.url</code>.</p>')
    parts.append("</section>")
    return "".join(parts)


def _timing(s: Summary) -> str:
    info = s.info
    rows = []
    total_steps = 0.0
    # CPU seconds when the run recorded them (wall seconds inflate under load, so shares would lie); a run folder
    # written before steps were CPU-timed shows its wall seconds and says so
    stats_steps = [st for sd in info.stats.get("stages", []) for st in sd.get("steps", [])]
    key = "cpu_seconds" if stats_steps and all("cpu_seconds" in st for st in stats_steps) else "seconds"
    for sd in info.stats.get("stages", []):
        for st in sd.get("steps", []):
            sec = float(st.get(key, 0.0))
            total_steps += sec
            name = st["name"] if len(info.stages) == 1 else f'{sd["name"]} / {st["name"]}'
            rows.append((name, sec, int(st.get("docs_in", 0))))
        done = info.run_dir / "done" / sd["name"]
        for marker in sorted(done.glob("reduce*")) if done.exists() else []:
            try:
                import orjson

                m = orjson.loads(marker.read_bytes())
                sec = float(m.get(key, m.get("seconds", 0.0)))
            except Exception:
                continue
            total_steps += sec
            name = f'{m.get("step", "?")}:reduce'
            rows.append((name if len(info.stages) == 1 else f'{sd["name"]} / {name}', sec, 0))
    if not rows:
        return '<section id="timing"><h2>Run time per step</h2><p class="muted">No timings recorded.</p></section>'
    wall = float(info.stats.get("seconds", 0) or 0)
    bars = [(n, sec, f"{fmt_seconds(sec)} · {pct(sec, total_steps)}"
             + (f" · {fmt_short(d / sec)} docs/s" if d and sec > 0 else "")) for n, sec, d in rows]
    what = ("CPU seconds spent inside each step, summed over all workers" if key == "cpu_seconds" else
            "Wall-clock seconds spent inside each step, summed over all workers (this run recorded no CPU times)")
    return (f'<section id="timing"><h2>Run time per step</h2><p class="lead">{what} ({fmt_seconds(total_steps)} in '
            f'steps; the run took {fmt_seconds(wall)} wall clock including reading, writing and start-up).</p>'
            f'{hbar_svg(bars)}</section>')


def _quarantine(s: Summary) -> str:
    if not s.quarantined:
        return ('<section id="quarantine"><h2>Quarantine</h2><p class="muted">No record was quarantined.</p>'
                '</section>')
    parts = [f'<section id="quarantine"><h2>Quarantine</h2><p class="lead">{_plural(s.quarantined, "record")} could '
             f'not be read or made a step fail; they are counted in the ledger and kept in quarantine/.</p>']
    for r, n in sorted(s.quarantine_reasons.items(), key=lambda x: -x[1]):
        exs = "".join(f'<div class="doc"><div class="dochead"><code>{esc(e["source"])}</code> '
                      f'{esc(e["location"])}</div><div>{esc(e["message"])}</div>'
                      + (f'<pre class="text">{esc(e["excerpt"])}</pre>' if e["excerpt"] else "") + "</div>"
                      for e in s.quarantine_examples.get(r, []))
        parts.append(f'<details class="ex"><summary><b>{esc(r)}</b> <span class="muted">· {fmt_int(n)}</span>'
                     f'</summary>{exs}</details>')
    parts.append("</section>")
    return "".join(parts)


def _config(s: Summary) -> str:
    rows = []
    for st in s.info.steps:
        thr = ", ".join(f"{p} ({a} {op} {fmt_num(st.params.get(p)) if st.params.get(p) is not None else '–'})"
                        for p, (a, op, _r) in st.thresholds.items())
        rows.append(f"<tr><td>{esc(st.stage)}</td><td>{esc(st.label)}</td><td>{esc(st.kind)}</td>"
                    f"<td>{esc(thr) or '<span class=muted>none declared</span>'}</td></tr>")
    table = ("<table class='grid'><tr><th>stage</th><th>step</th><th>kind</th><th>re-thresholdable with "
             "<code>winnow whatif</code> (drop when attribute op param)</th></tr>" + "".join(rows) + "</table>")
    return (f'<section id="pipeline"><h2>Pipeline</h2>{table}<details><summary>config.resolved.yaml</summary>'
            f'<pre class="text">{esc(s.info.config_text)}</pre></details></section>')


CSS = """
:root{--fg:#1d2430;--muted:#6b7685;--line:#e3e7ec;--bg:#fff;--soft:#f5f7f9}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:0 20px 60px}
header{position:sticky;top:0;background:rgba(255,255,255,.96);border-bottom:1px solid var(--line);padding:10px 0 6px;z-index:2}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 6px;padding-top:6px;border-top:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
nav a{margin-right:14px;color:#245d9c;text-decoration:none;font-size:13px}
.muted{color:var(--muted)}.small{font-size:12px}.lead{color:#3c4653;margin:4px 0 10px;max-width:900px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin-top:14px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:var(--soft)}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card .v{font-size:18px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .s{font-size:12px;color:var(--muted)}
.scroll{overflow-x:auto}
.note{background:#eef5fb;border-left:3px solid #5b8fc7;padding:6px 10px;max-width:900px}
.warn{background:#fdf0f0;border-left:3px solid #d1495b;padding:6px 10px}
table.grid{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
table.grid th,table.grid td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.grid th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cellbar{width:120px;height:10px;background:#eceff3;border-radius:2px;margin-top:4px}
.cellbar div{height:10px;border-radius:2px}
.legend{font-size:12px;color:var(--muted);margin:4px 0}
.legend span{margin-right:16px;white-space:nowrap}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border-radius:2px}
.legend i.dash{border-left:2px dashed #222;width:2px;border-radius:0}
svg text{font-family:inherit}
svg .axis{stroke:#8a94a0;stroke-width:1}
svg .tick{font-size:10px;fill:#5d6774}
svg .thr{stroke:#111;stroke-width:1.5;stroke-dasharray:4 3}
svg .thrlabel{font-size:10.5px;fill:#111;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .zebra{fill:#f7f8fa}
svg .rowlabel{font-size:12.5px;fill:#1d2430}
svg .colhead{font-size:12px;fill:#5d6774;font-weight:600}
svg .val{font-size:11.5px;fill:#1d2430}
svg .muted{fill:#7b8591}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
figure.sig{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
figure.sig figcaption{margin-bottom:4px;word-break:break-all}
figure.sig svg{max-width:100%;height:auto}
details.ex{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:4px 10px}
details.ex summary{cursor:pointer;padding:4px 0}
details.ex[open] summary{border-bottom:1px solid var(--line);margin-bottom:6px}
.tag{font-size:11px;padding:1px 6px;border-radius:8px;color:#fff;text-transform:uppercase}
.tag.drop{background:#d1495b}.tag.edit{background:#c98b1c}.tag.exact{background:#2f7d4f}.tag.est{background:#7b8591}
.doc{border-left:3px solid var(--line);padding:4px 10px;margin:10px 0}
.dochead{font-size:12.5px;margin-bottom:3px;word-break:break-all}
.dochead .url{color:#245d9c;margin:0 8px}
.verdict{font-size:13px;margin:2px 0}
.sigs{font-size:12px;color:#3c4653;margin:2px 0 4px}.sigs span{margin-right:12px}
pre.text{white-space:pre-wrap;word-wrap:break-word;font:12.5px/1.5 ui-monospace,"DejaVu Sans Mono",monospace;background:var(--soft);padding:8px;border-radius:4px;max-height:460px;overflow:auto;margin:4px 0}
del{background:#fbdde1;color:#8a1c2b;text-decoration:line-through;text-decoration-color:#d1495b}
ins{background:#e3f3e6;text-decoration:underline}
.chip{font:11px/1 system-ui,sans-serif;color:#6b7685;background:#eceff3;border:1px solid #d9dee4;border-radius:8px;padding:1px 5px;margin:0 2px;white-space:nowrap}
.gap{color:#7b8591;font-style:italic;background:#eceff3;border-radius:3px;padding:0 4px;margin:0 2px}
@media (max-width:900px){.cards{grid-template-columns:repeat(2,1fr)}}
"""
