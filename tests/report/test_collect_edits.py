"""The report's per-step edit figures on a run with many edits (c4_quality's whitespace normalisation on real pages,
plus line edits), in both on_drop modes: the one-pass tally in ``_collect`` must give what walking each step's
edits separately gave (``DocPath.net_chars`` / ``net_tokens`` and a per-reason walk), document by document."""

from __future__ import annotations

import pytest

from tests.report import rpt_steps  # noqa: F401  (registers the test steps)
from tests.report.runs import run
from winnow.config import pipeline_from_dict
from winnow.document import NORMALISING_REASONS
from winnow.report._collect import collect
from winnow.report._run import doc_path, iter_records, load_run, terminal_files


def _pipeline(on_drop: str):
    return pipeline_from_dict({
        "run": {"name": "report-edits"}, "on_drop": on_drop, "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-[01].jsonl.zst"},
                    "steps": [{"type": "_rpt_lines"}, {"type": "c4_quality", "filter_no_terminal_punct": False},
                              {"type": "length", "min_chars": 200}],
                    "writer": {"type": "jsonl", "compression": "zstd"}}]})


def _reference(info):
    """The figures as computed before the one-pass tally: each step's edits walked once per figure."""
    docs_in, docs_out, dropped, edits, spans, edited, normalised = {}, {}, {}, {}, {}, {}, {}
    total_edits = 0
    for rec in iter_records(terminal_files(info)):
        path = doc_path(info, rec)
        n = len(path.steps)
        g = [s.gpos for s in path.steps]
        last = path.first_drop if path.first_drop is not None else n - 1
        after_c, after_t = [0] * n, [0] * n
        c, t = path.final_chars, path.final_tokens
        for j in range(n - 1, -1, -1):
            after_c[j], after_t[j] = c, t
            if path.reached[j] and (j <= last or info.annotate):
                c += path.net_chars(j)
                t += path.net_tokens(j)
        for j in range(min(last + 1, n)):
            es = path.edits[j]
            total_edits += len(es)
            before = (after_c[j] + (path.net_chars(j) if es else 0), after_t[j] + (path.net_tokens(j) if es else 0))
            docs_in.setdefault(g[j], []).append(before)
            if es:
                n_norm = sum(e.get("reason") in NORMALISING_REASONS for e in es)
                edited[g[j]] = edited.get(g[j], 0) + (n_norm < len(es))
                normalised[g[j]] = normalised.get(g[j], 0) + (n_norm > 0)
                by_reason: dict[str, list[int]] = {}
                for e in es:
                    acc = by_reason.setdefault(e.get("reason", "?"), [0, 0, 0])
                    acc[0] += 1
                    acc[1] += len(e.get("removed", "")) - len(e.get("replacement", ""))
                    acc[2] += len(e.get("removed", "").split()) - len(e.get("replacement", "").split())
                for r, (sp, ch, tk) in by_reason.items():
                    d = edits.setdefault(g[j], {}).setdefault(r, [0, 0, 0])
                    d[0], d[1], d[2] = d[0] + 1, d[1] + ch, d[2] + tk
                    spans.setdefault(g[j], {})[r] = spans.get(g[j], {}).get(r, 0) + sp
            if j == path.first_drop:
                r = path.verdicts[j].get("reason", "?")
                d = dropped.setdefault(g[j], {}).setdefault(r, [0, 0, 0])
                d[0], d[1], d[2] = d[0] + 1, d[1] + after_c[j], d[2] + after_t[j]
            else:
                docs_out.setdefault(g[j], []).append((after_c[j], after_t[j]))
    return docs_in, docs_out, dropped, edits, spans, edited, normalised, total_edits


@pytest.mark.parametrize("on_drop", ["route", "annotate"])
def test_edit_figures_equal_walking_each_steps_edits(on_drop, tmp_path):
    info = load_run(run(_pipeline(on_drop), tmp_path / "run"))
    s = collect(info, workers=1)
    docs_in, docs_out, dropped, edits, spans, edited, normalised, total_edits = _reference(info)
    assert total_edits > 1000  # many edits, whitespace normalisation among them
    assert any(r in NORMALISING_REASONS for e in edits.values() for r in e)

    def tot(pairs):
        return [len(pairs), sum(c for c, _ in pairs), sum(t for _, t in pairs)]

    for i, a in enumerate(s.steps):
        assert [a.docs_in.docs, a.docs_in.chars, a.docs_in.tokens] == tot(docs_in.get(i, []))
        assert [a.docs_out.docs, a.docs_out.chars, a.docs_out.tokens] == tot(docs_out.get(i, []))
        assert {r: [c.docs, c.chars, c.tokens] for r, c in a.dropped.items()} == dropped.get(i, {})
        # same reasons in the same (first-seen) order: the report lists them in that order
        assert [(r, [c.docs, c.chars, c.tokens]) for r, c in a.edits.items()] == list(edits.get(i, {}).items())
        assert a.edit_spans == spans.get(i, {})
        assert a.edited_docs == edited.get(i, 0)
        assert a.normalised_docs == normalised.get(i, 0)
    assert s.mismatches == []
