"""Rendering helpers: escaping, numbers, inline SVG charts and the annotated-text view.

Everything that comes from a run (document text, ids, URLs, metadata, attribute names, reasons) goes through
``esc`` and lands in text nodes or quoted attribute values, never in a URL, a tag name or a script. The report
holds no script at all, and its Content-Security-Policy forbids scripts and every network load, so a payload that
slipped through escaping would still neither run nor phone home.
"""

from __future__ import annotations

import html
import math
from typing import Any

# frame-ancestors is left out: browsers ignore it in a <meta> policy and say so on the console
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

C_KEPT = "#2a7f8f"
C_DROP = "#d1495b"
C_EDIT = "#edae49"
C_OTHER = "#9aa5b1"


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def fmt_int(n: float) -> str:
    return f"{int(n):,}"


def fmt_num(x: float | None) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    ax = abs(x)
    if ax >= 1e6 or (ax < 1e-3 and ax > 0):
        return f"{x:.3g}"
    if ax >= 100:
        return f"{x:,.1f}"
    return f"{x:.3g}" if ax < 1 else f"{x:.3f}".rstrip("0").rstrip(".")


def fmt_short(x: float) -> str:
    ax = abs(x)
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if ax >= div:
            v = x / div
            return f"{v:.1f}".rstrip("0").rstrip(".") + suf
    return fmt_num(x)


def pct(a: float, b: float) -> str:
    if not b:
        return "–"
    p = 100.0 * a / b
    return f"{p:.1f}%" if p >= 0.1 or p == 0 else "<0.1%"


def fmt_seconds(s: float) -> str:
    if s >= 60:
        return f"{int(s // 60)}m {s % 60:.0f}s"
    if s >= 1:
        return f"{s:.2f}s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f}ms"
    return f"{s * 1e6:.0f}µs"


def bar_cell(frac: float, color: str = C_KEPT) -> str:
    w = max(0.0, min(1.0, frac)) * 100
    return (f'<div class="cellbar"><div style="width:{w:.1f}%;background:{color}"></div></div>')


# --- histogram ------------------------------------------------------------------------------------------------

def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 12))
        v += step
    return out


def _scale(vals: list[float]) -> str:
    """lin, log (all positive, spread over decades) or log1p (zeros plus a long tail: lengths, counts)."""
    lo, hi = vals[0], vals[-1]
    if lo > 0 and hi / lo > 50:
        return "log"
    med = vals[len(vals) // 2]
    if lo >= 0 and hi >= 100 and hi > 50 * max(med, 1.0):
        return "log1p"
    return "lin"


_EDGE = 1e300
_FWD = {"lin": lambda v: v, "log": lambda v: math.log10(v), "log1p": lambda v: math.log10(1.0 + v)}
_INV = {"lin": lambda u: u, "log": lambda u: 10 ** u, "log1p": lambda u: 10 ** u - 1.0}


def histogram_svg(values: list[tuple[float, str]], thresholds: list[tuple[str, str, float]], *, title: str,
                  width: int = 380, height: int = 200) -> str:
    """Stacked histogram of (value, class) pairs, classes kept / here / other, with threshold lines."""
    classes = (("kept", C_KEPT), ("here", C_DROP), ("other", C_OTHER))
    # Attribute values come from input records: ±1e308 made the axis span overflow to inf and the bins NaN (and
    # the whole report failed). Values beyond ±1e300 are drawn at the edge; every span below stays finite.
    values = [(min(max(v, -_EDGE), _EDGE), c) for v, c in values]
    thresholds = [(p, s, min(max(t, -_EDGE), _EDGE)) for p, s, t in thresholds]
    vs = sorted(v for v, _ in values)
    vlo, vhi = vs[0], vs[-1]
    mode = _scale(vs)
    fwd = _FWD[mode]
    # a threshold far outside the data (max_chars = 10M for 100k-character documents) would squash the histogram
    # into one bar: widen the axis only for thresholds near the data and name the others in the margin
    span = (fwd(vhi) - fwd(vlo)) or 1.0
    near, far = [], []
    for th in thresholds:
        t = th[2]
        ok = (mode == "lin" or t > (0 if mode == "log" else -1)) and \
            fwd(vlo) - span <= fwd(t) <= fwd(vhi) + span
        (near if ok else far).append(th)
    a, b = fwd(min([vlo] + [t for *_, t in near])), fwd(max([vhi] + [t for *_, t in near]))
    distinct = sorted(set(vs))
    integer = all(float(v).is_integer() for v in distinct)
    if mode == "lin" and integer and len(distinct) > 1 and b - a <= 40:
        a, b = a - 0.5, b + 0.5  # one bar per integer value
        nb = int(round(b - a))
    else:
        nb = 30
        if b == a:  # one value: a narrow bar in the middle, not a block filling the plot
            a, b = a - max(abs(a), 1.0), b + max(abs(b), 1.0)
        pad = (b - a) * 0.02
        a, b = a - pad, b + pad
    counts = [[0, 0, 0] for _ in range(nb)]
    ci = {c: i for i, (c, _) in enumerate(classes)}
    for v, c in values:
        k = int((fwd(v) - a) / (b - a) * nb)
        counts[min(max(k, 0), nb - 1)][ci[c]] += 1
    ymax = max((sum(c) for c in counts), default=1) or 1
    ml, mr, mb = 40, 12, 34
    mt = 8 + 13 * (len(near) + len(far))  # threshold labels sit above the plot, clear of bars and ticks
    pw, ph = width - ml - mr, height - mt - mb
    X = lambda u: ml + (u - a) / (b - a) * pw  # noqa: E731
    parts = [f'<svg class="hist" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{esc(title)}</title>']
    parts.append(f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" class="axis"/>')
    parts.append(f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" class="axis"/>')
    bw = pw / nb
    inv = _INV[mode]
    names = {"kept": "kept", "here": "dropped by this step", "other": "dropped by another step"}
    for k, cs in enumerate(counts):
        x0 = ml + k * bw
        y = mt + ph
        rng = f"{fmt_num(inv(a + k * (b - a) / nb))} – {fmt_num(inv(a + (k + 1) * (b - a) / nb))}"
        for (cname, color), n in zip(classes, cs):
            if not n:
                continue
            h = n / ymax * ph
            y -= h
            parts.append(f'<rect x="{x0 + 0.5:.2f}" y="{y:.2f}" width="{max(bw - 1, 0.8):.2f}" height="{h:.2f}" '
                         f'fill="{color}"><title>{esc(rng)}: {n:,} {names[cname]}</title></rect>')
    if mode == "lin":
        tick_u = [(t, t) for t in _nice_ticks(a, b)]
    else:
        first = 0 if mode == "log1p" else math.floor(a) - 1  # log1p: 0, 1, 10, ... (0.1 would sit on 0)
        ticks = ([0.0] if mode == "log1p" else []) + [10.0 ** e for e in range(first, math.ceil(b) + 1)]
        tick_u = [(fwd(t), t) for t in ticks if (t > 0 or mode == "log1p") and a <= fwd(t) <= b]
        if len(tick_u) > 7:
            tick_u = tick_u[::2]
    for u, t in tick_u:
        x = X(u)
        parts.append(f'<line x1="{x:.1f}" y1="{mt + ph}" x2="{x:.1f}" y2="{mt + ph + 4}" class="axis"/>')
        parts.append(f'<text x="{x:.1f}" y="{mt + ph + 15}" class="tick" text-anchor="middle">{esc(fmt_short(t))}</text>')
    parts.append(f'<text x="{ml - 4}" y="{mt + 8}" class="tick" text-anchor="end">{esc(fmt_short(ymax))}</text>')
    parts.append(f'<text x="{ml - 4}" y="{mt + ph}" class="tick" text-anchor="end">0</text>')
    if mode != "lin":
        parts.append(f'<text x="{ml + pw}" y="{height - 3}" class="tick" text-anchor="end">'
                     f'{"log scale" if mode == "log" else "log scale (1 + value)"}</text>')
    for i, (param, op, t) in enumerate(near):
        x = X(fwd(t))
        label_w = 6.2 * (len(param) + len(fmt_short(t)) + len(op) + 5)  # about 6px a character at 10.5px
        anchor = "start" if x + 4 + label_w <= width - 2 or x - 4 - label_w < 0 else "end"
        dx = 4 if anchor == "start" else -4
        ly = 11 + 13 * i
        parts.append(f'<line x1="{x:.1f}" y1="{ly - 9}" x2="{x:.1f}" y2="{mt + ph}" class="thr"/>')
        parts.append(f'<text x="{x + dx:.1f}" y="{ly}" class="thrlabel" text-anchor="{anchor}">'
                     f'{esc(param)} = {esc(fmt_short(t))}, {esc(op)}</text>')
    for i, (param, op, t) in enumerate(far):
        side = "←" if (mode != "lin" and t <= 0) or fwd(t) < fwd(vlo) else "→"
        parts.append(f'<text x="{ml + pw}" y="{11 + 13 * (len(near) + i)}" class="tick" text-anchor="end">'
                     f'{esc(param)} = {esc(fmt_short(t))}, {esc(op)}: off the chart {side}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- funnel ---------------------------------------------------------------------------------------------------

def funnel_svg(rows: list[dict[str, Any]], total: dict[str, float], *, width: int = 1100) -> str:
    """One row per step; for documents, characters and tokens a bar of what is left after the step, with the part
    the step removed (dropped documents red, edits amber) drawn after it."""
    metrics = (("docs", "documents"), ("chars", "characters"), ("tokens", "whitespace tokens"))
    label_w = 230
    col_w = (width - label_w) / 3
    row_h = 26
    top = 24
    height = top + row_h * len(rows) + 6
    parts = [f'<svg class="funnel" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>Funnel: what is left after each step</title>']
    for m, (key, name) in enumerate(metrics):
        x0 = label_w + m * col_w
        parts.append(f'<text x="{x0 + 4:.1f}" y="15" class="colhead">{esc(name)}</text>')
    for i, r in enumerate(rows):
        y = top + i * row_h
        if i % 2 == 0:
            parts.append(f'<rect x="0" y="{y}" width="{width}" height="{row_h}" class="zebra"/>')
        parts.append(f'<text x="6" y="{y + 17}" class="rowlabel">{esc(r["label"])}</text>')
        for m, (key, _) in enumerate(metrics):
            x0 = label_w + m * col_w + 4
            bw = col_w - 105
            tot = total[key] or 1
            left = r[key] / tot
            drop = r.get(key + "_drop", 0) / tot
            edit = r.get(key + "_edit", 0) / tot
            parts.append(f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(left * bw, 0):.1f}" height="{row_h - 10}" '
                         f'fill="{C_KEPT}"><title>{esc(r["label"])}: {fmt_int(r[key])} {key} left '
                         f'({pct(r[key], tot)})</title></rect>')
            xs = x0 + left * bw
            for frac, color, what in ((edit, C_EDIT, "removed by edits"), (drop, C_DROP, "in dropped documents")):
                if frac <= 0:
                    continue
                w = max(frac * bw, 1.5)
                n = r.get(key + ("_edit" if color == C_EDIT else "_drop"), 0)
                parts.append(f'<rect x="{xs:.1f}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{color}">'
                             f'<title>{esc(r["label"])}: {fmt_int(n)} {key} {what}</title></rect>')
                xs += w
            parts.append(f'<text x="{x0 + bw + 6:.1f}" y="{y + 17}" class="val">{esc(fmt_short(r[key]))} '
                         f'<tspan class="muted">{esc(pct(r[key], tot))}</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_svg(rows: list[tuple[str, float, str]], *, width: int = 700, unit: str = "") -> str:
    """Horizontal bars (label, value, tooltip) scaled to the largest."""
    row_h = 22
    label_w = 230
    height = row_h * len(rows) + 6
    vmax = max((v for _, v, _ in rows), default=1) or 1
    bw = width - label_w - 220
    parts = [f'<svg class="hbar" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>bars</title>']
    for i, (label, v, tip) in enumerate(rows):
        y = i * row_h + 3
        w = max(v / vmax * bw, 1 if v > 0 else 0)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" class="rowlabel" text-anchor="end">{esc(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{C_KEPT}">'
                     f'<title>{esc(tip)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 14}" class="val">{esc(tip)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- annotated text -------------------------------------------------------------------------------------------

def edit_pieces(text: str, edits: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Rebuild the document with every edit visible: ("keep", text), ("del", removed text, edit) and
    ("ins", replacement text, edit), in reading order. Offsets of a step index the text it saw, which holds the
    text later steps removed and not what they inserted, so each step is undone against the pieces that are not
    insertions, newest step first."""
    from ._run import _edit_groups

    pieces: list[list[Any]] = [["keep", text, None]]
    groups = _edit_groups(edits)

    def split(pos: int) -> int:
        """Index of the piece that starts at ``pos`` in the text seen so far (splitting one if needed)."""
        cur = 0
        for i, p in enumerate(pieces):
            if p[0] == "ins":
                continue
            n = len(p[1])
            if cur == pos:
                return i
            if cur < pos < cur + n:
                k = pos - cur
                pieces[i:i + 1] = [[p[0], p[1][:k], p[2]], [p[0], p[1][k:], p[2]]]
                return i + 1
            cur += n
        return len(pieces)

    for group in reversed(groups):
        shift = 0
        spans = []
        for e in group:
            o_start = e["start"] + shift
            rep = e.get("replacement", "")
            spans.append((o_start, o_start + len(rep), e))
            shift += len(rep) - (e["end"] - e["start"])
        for s, t, e in reversed(spans):  # right to left keeps the earlier offsets valid
            i = split(s)
            j = split(t) if t > s else i
            for p in pieces[i:j]:
                if p[0] != "ins":
                    p[0], p[2] = "ins", e
            pieces.insert(i, ["del", e.get("removed", ""), e])
    return [(k, t, e) for k, t, e in pieces if t]


def _elide(s: str, cap: int) -> str:
    if len(s) <= cap:
        return esc(visible(s))
    h = cap // 2
    return f'{esc(visible(s[:h]))}<span class="gap">[… {len(s) - 2 * h:,} characters …]</span>{esc(visible(s[-h:]))}'


def visible(s: str) -> str:
    """Removed text a reader could not see (a control character, a lone space) spelled out."""
    import unicodedata

    if s and not s.strip():
        return s.replace(" ", "␣").replace("\t", "⇥").replace("\n", "⏎\n").replace("\r", "␍")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn") and c not in "\n\t" for c in s):
        return "".join(f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn")
                       and c not in "\n\t" else c for c in s)
    return s


def annotated_text(text: str, edits: list[dict[str, Any]], focus: tuple[str, str] | None, *, context: int = 200,
                   max_marks: int = 8, span_cap: int = 1200) -> str:
    """HTML of the text before the edits, the spans of ``focus`` (step, reason) struck through in place with
    ``context`` characters around them; other steps' removals become small chips (their text in a tooltip) so they
    do not bury the spans the reader opened this example for; everything far from a focus span is folded."""
    pieces = edit_pieces(text, edits)
    starts, pos = [], 0
    for _, t, _ in pieces:
        starts.append(pos)
        pos += len(t)
    focus_idx = [i for i, (k, _, e) in enumerate(pieces)
                 if k != "keep" and e is not None and (focus is None or (e["step"], e["reason"]) == focus)]
    shown = focus_idx[:max_marks]
    windows: list[tuple[int, int]] = []
    for i in shown:
        lo, hi = starts[i] - context, starts[i] + len(pieces[i][1]) + context
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    shown_set = set(shown)
    out: list[str] = []
    folded = 0
    chip: list[Any] = [0, 0, 0, {}, ""]  # spans, chars removed, chars inserted, steps, tooltip text

    def flush_chip() -> None:
        if chip[0]:
            steps = ", ".join(chip[3])
            sign = f"−{chip[1]:,}" + (f" +{chip[2]:,}" if chip[2] else "")
            out.append(f'<span class="chip" title="{esc(chip[4][:400])}">{sign} {esc(steps)}</span>')
        chip[:] = [0, 0, 0, {}, ""]

    def fold() -> None:
        nonlocal folded
        flush_chip()
        if folded:
            out.append(f'<span class="gap">[… {folded:,} characters …]</span>')
            folded = 0

    for i, (kind, t, e) in enumerate(pieces):
        s0, s1 = starts[i], starts[i] + len(t)
        if i in shown_set:
            fold()
            tip = (f'{e["step"]}: {e["reason"]}' + (f' by rule {e["rule"]}' if e.get("rule") is not None else "")
                   + (f' (score {fmt_num(e["score"])})' if e.get("score") is not None else ""))
            tag = "del" if kind == "del" else "ins"
            out.append(f'<{tag} title="{esc(tip)}">{_elide(t, span_cap)}</{tag}>')
            continue
        inside = [(max(s0, w0), min(s1, w1)) for w0, w1 in windows if w0 < s1 and w1 > s0]
        if kind != "keep":
            if inside:
                if folded:
                    fold()
                # other steps' removals next to each other become one chip
                chip[0] += kind == "del"
                chip[1 if kind == "del" else 2] += len(t)
                chip[3][e["step"] if e else "edit"] = None
                if len(chip[4]) < 400:
                    chip[4] += f'{e["step"] if e else "edit"}: {e["reason"] if e else ""} {"−" if kind == "del" else "+"}'\
                               f'{t[:120]!r}\n'
            else:
                folded += len(t) if kind == "del" else 0
            continue
        cur = s0
        for a, b in inside:
            folded += a - cur
            piece = t[a - s0:b - s0]
            if chip[0] and not piece.strip() and not folded:
                cur = b
                continue  # only whitespace between two removals: keep the chip whole
            fold()
            out.append(esc(piece))
            cur = b
        folded += s1 - cur
    fold()
    if len(focus_idx) > len(shown):
        out.append(f'<span class="gap">[{len(focus_idx) - len(shown):,} more such spans not shown]</span>')
    return "".join(out)


DROP_TEXT_CAP = 1500  # characters of a dropped document shown


def drop_view(text: str, edits: list[dict[str, Any]]) -> str:
    """A dropped document as the step judged it; with the earlier edits summarised, and for a short text the text
    as it came in, because what earlier steps removed is often why it ended up too short."""
    shown = text[:DROP_TEXT_CAP]
    body = esc(shown) + (f'<span class="gap">[… {len(text) - len(shown):,} more characters …]</span>'
                         if len(text) > len(shown) else "")
    if not text.strip():
        body = f'<span class="gap">[{"empty" if not text else "only whitespace"}]</span>' + body
    before = ""
    if edits:
        by: dict[str, int] = {}
        for e in edits:
            k = f'{e.get("step")}: {e.get("reason")}'
            by[k] = by.get(k, 0) + 1
        before = ('<div class="verdict muted">earlier edits: ' + ", ".join(f"{esc(k)} ×{n:,}" for k, n in by.items())
                  + "</div>")
        if len(text) < 300:
            before += ('<div class="small muted">the text as it came in, edits struck through:</div>'
                       f'<pre class="text">{annotated_text(text, edits, None)}</pre>'
                       '<div class="small muted">the text the step judged:</div>')
    return f'{before}<pre class="text">{body}</pre>'


def edit_view(text: str, edits: list[dict[str, Any]], focus: tuple[str, str], mine: list[dict[str, Any]]) -> str:
    removed = sum(len(e.get("removed", "")) for e in mine)
    n = len(mine)
    head = (f'<div class="verdict">{n:,} span{"" if n == 1 else "s"} removed as <b>{esc(focus[1])}</b>, '
            f'{removed:,} character{"" if removed == 1 else "s"}</div>')
    return f'{head}<pre class="text">{annotated_text(text, edits, focus)}</pre>'
