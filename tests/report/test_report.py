"""report.html: built by every run, complete, consistent with the ledger, and rendered by a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.report.browser import Dom, load, png_pixels, screenshot
from winnow.document import Edit, undo_edits
from winnow.report import build_report
from winnow.report._collect import collect
from winnow.report._html import edit_pieces
from winnow.report._run import BottomK, iter_terminal, load_run


def _ledger(run_dir: Path) -> dict:
    return orjson.loads((run_dir / "stats.json").read_bytes())


def test_demo_run_writes_report_that_renders_in_chromium(demo_run, tmp_path):
    report = demo_run / "report.html"
    assert report.exists(), "run_pipeline must leave report.html in the run folder"
    page = load(report)
    assert page.console == [], f"console messages (errors, CSP violations): {page.console}"
    dom = Dom(page.dom)
    # the funnel: one row per step plus input and kept, bars drawn
    assert dom.count("svg", "funnel") == 1
    assert dom.count("rect", "funnel") >= 3 * 3
    # at least one signal histogram with bars (length records length.chars)
    assert dom.count("svg", "signals") >= 1 and dom.count("rect", "signals") >= 5
    text = " ".join(dom.text)
    stats = _ledger(demo_run)["stages"][0]
    assert f"{stats['in']:,} → {stats['kept']:,}" in text
    shot = screenshot(report, tmp_path / "demo.png", height=1400)
    px = png_pixels(shot).astype(int)
    non_white = (px.min(axis=2) < 235).mean()
    teal = (np.abs(px - np.array([0x2A, 0x7F, 0x8F])).sum(axis=2) < 20).sum()  # the funnel's "kept" colour
    assert non_white > 0.03, f"screenshot is nearly blank ({non_white:.3%} non-white pixels)"
    assert teal > 2000, f"funnel bars not painted ({teal} teal pixels)"


def test_rich_report_renders_edits_examples_and_plots(rich_route, tmp_path):
    report = rich_route / "report.html"
    page = load(report)
    assert page.console == []
    dom = Dom(page.dom)
    assert dom.count("svg", "signals") >= 4  # length.chars, ascii_share, n_words, mean_word_len
    assert dom.count("del", "examples") >= 5  # removed spans highlighted
    assert dom.count("details", "examples") >= 4  # 2 edit reasons + the drop reasons seen
    thr_lines = [a for t, a, s in dom.elements if t == "line" and a.get("class") == "thr"]
    assert len(thr_lines) >= 3  # min_chars, min_words, max_mean_word_len drawn
    text = " ".join(dom.text)
    assert "min_words = 100, drop below" in text
    assert "within ±10% of it" in text  # how many documents sit at the threshold
    assert "_rpt_lang.lang" in text and "nytimes.com" in text  # language and domain breakdowns


def test_report_numbers_match_the_ledger(rich_route):
    info = load_run(rich_route)
    s = collect(info)
    assert s.mismatches == []
    st = _ledger(rich_route)["stages"][0]
    assert s.input.docs == st["in"] and s.kept.docs == st["kept"]
    assert s.input.chars == st["passes"][0]["chars_in"] and s.kept.chars == st["passes"][0]["chars_out"]
    for agg, sst in zip(s.steps, st["steps"]):
        assert agg.docs_in.docs == sst["docs_in"] and agg.docs_out.docs == sst["docs_out"]
        assert {r: c.docs for r, c in agg.dropped.items()} == sst["dropped"]
        assert {r: n for r, n in agg.edit_spans.items()} == sst["edits"]
        assert sum(c.chars for c in agg.edits.values()) == sst["chars_removed"]
    # characters: what went in = what was kept + removed by edits + what the dropped documents held
    removed = sum(c.chars for a in s.steps for c in a.edits.values())
    dropped = sum(c.chars for a in s.steps for c in a.dropped.values())
    assert s.input.chars == s.kept.chars + removed + dropped
    tokens_removed = sum(c.tokens for a in s.steps for c in a.edits.values())
    tokens_dropped = sum(c.tokens for a in s.steps for c in a.dropped.values())
    # whitespace tokens of edits are counted inside the spans, so only approximately additive
    assert abs(s.input.tokens - (s.kept.tokens + tokens_removed + tokens_dropped)) < 0.01 * s.input.tokens


def test_annotate_report_simulates_the_routing_funnel(rich_annotate, rich_route):
    a = collect(load_run(rich_annotate))
    r = collect(load_run(rich_route))
    assert a.mismatches == []  # every verdict counted as stats.json counts it
    assert a.kept.docs == r.kept.docs and a.kept.chars == r.kept.chars
    for x, y in zip(a.steps, r.steps):
        assert {k: c.docs for k, c in x.dropped.items()} == {k: c.docs for k, c in y.dropped.items()}
        assert x.docs_out.chars == y.docs_out.chars
    html = (rich_annotate / "report.html").read_text()
    assert "on_drop: annotate" in html
    # the commands it shows name this run's folder, so they can be pasted as they are
    assert f"<code>winnow apply {rich_annotate} -o OUT</code>" in html
    assert f"<code>winnow explain {rich_annotate} ID</code>" in html and "RUN_DIR" not in html


def test_report_is_self_contained_and_deterministic(rich_route):
    first = (rich_route / "report.html").read_text()
    again = build_report(rich_route).read_text()
    assert first == again  # same run, same examples, same bytes
    assert "<script" not in first
    assert not re.search(r'\b(?:src|href)\s*=\s*"(?!#)', first), "the report must load nothing"
    assert "url(" not in first and "@import" not in first
    assert "Content-Security-Policy" in first


def test_edit_pieces_rebuild_both_texts(rich_route):
    """The highlighted view is exact: its kept+removed pieces are the text before the edits, kept+inserted the
    text after them (checked on every edited real document)."""
    info = load_run(rich_route)
    n = 0
    for rec in iter_terminal(info):
        edits = rec.doc["edits"]
        if not edits:
            continue
        n += 1
        pieces = edit_pieces(rec.doc["text"], edits)
        before = "".join(t for k, t, _ in pieces if k != "ins")
        after = "".join(t for k, t, _ in pieces if k != "del")
        assert after == rec.doc["text"]
        assert before == undo_edits(rec.doc["text"], [Edit.from_dict(e) for e in edits])
    assert n > 100


def test_edit_pieces_across_steps_with_replacements():
    from winnow.document import Document

    d = Document("x", "alpha beta gamma delta")
    d.replace_spans("a", [(0, 5, "r1", "ALPHA!", None), (11, 16, "r2", "", None)])  # "ALPHA! beta  delta"
    d.replace_spans("b", [(7, 12, "r3", "B", None)])
    pieces = edit_pieces(d.text, [e.to_dict() for e in d.edits])
    assert "".join(t for k, t, _ in pieces if k != "ins") == "alpha beta gamma delta"
    assert "".join(t for k, t, _ in pieces if k != "del") == d.text


def test_bottom_k_ignores_reading_order():
    items = [(f"id{i}", i) for i in range(1000)]
    from winnow.report._run import doc_hash

    def pick(seq):
        bk = BottomK(5)
        for did, v in seq:
            bk.offer(doc_hash(did), lambda v=v: v)
        return sorted(bk.items())

    assert pick(items) == pick(list(reversed(items))) == pick(items[500:] + items[:500])
    assert len(pick(items)) == 5


def test_report_survives_a_run_without_steps_or_outputs(tmp_path):
    from winnow.config import pipeline_from_dict
    from winnow.run import run_pipeline

    (tmp_path / "none.jsonl").write_bytes(b"")  # an input with no records (a path matching nothing is an error)
    pipe = pipeline_from_dict({"stages": [{"name": "s", "reader": {"type": "jsonl", "paths": str(tmp_path / "none*.jsonl")},
                                           "steps": []}], "executor": "inline"})
    from winnow.errors import TooMuchQuarantined

    with pytest.raises(TooMuchQuarantined, match="read no record"):  # a run that read nothing fails, report written
        run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    html = (tmp_path / "run" / "report.html").read_text()
    assert "this pipeline has no steps" in html


def test_parallel_scan_equals_one_process(rich_route, monkeypatch):
    """Big runs are scanned one file per worker process and merged in file order: same numbers, same examples,
    same signal samples as one process."""
    import winnow.report._collect as col

    info = load_run(rich_route)
    one = col.collect(info, workers=1)
    monkeypatch.setattr(col, "PARALLEL_BYTES", 0)
    many = col.collect(info, workers=2)

    def key(s):
        return (s.input, s.kept, [(a.docs_in, a.docs_out, a.dropped, a.edits, a.edit_spans, a.edited_docs)
                                  for a in s.steps],
                {k: [e["id"] for e in b.items()] for k, b in s.examples.items()},
                {k: (g.n, g.lo, g.hi, g.sample.items()) for k, g in s.signals.items()},
                {k: vars(g) for k, g in s.domains.items()}, {k: vars(g) for k, g in s.languages.items()}, s.modes)

    assert key(one) == key(many)
    assert {k: b.seen for k, b in one.examples.items()} == {k: b.seen for k, b in many.examples.items()}


def test_missing_chromium_fails_under_ci_and_skips_locally(monkeypatch):
    import pytest

    from tests.report import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        browser.chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        browser.chromium()


def test_text_signals_count_which_tier_and_head_judged_each_page(tmp_path):
    # stitched_document records which tier and language head judged a page (and why the embedding tier did not) as
    # text attributes; the report drew numeric attributes only, so the report did not say which ran.
    from collections import Counter

    from winnow.config import pipeline_from_dict
    from winnow.report import render_report
    from winnow.report._collect import MODE_VALUES, _count_mode
    from winnow.run import run_pipeline

    pipe = pipeline_from_dict({"executor": "inline", "stages": [{
        "name": "s", "reader": {"type": "jsonl", "paths": "samples://crawl/part-0.jsonl.zst"},
        "steps": [{"type": "stitched_document"}]}]})
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    want = Counter(d.doc["attributes"]["stitched_document.head"] for d in iter_terminal(load_run(tmp_path / "run"))
                   if "stitched_document.head" in (d.doc.get("attributes") or {}))
    s = collect(load_run(tmp_path / "run"))
    assert s.modes["stitched_document.head"] == dict(want) and sum(want.values()) > 0
    assert s.modes["stitched_document.tier"] == {"pairs": sum(want.values())}
    html = render_report(tmp_path / "run")
    assert 'id="modes"' in html and "stitched_document.head" in html
    # ids, URLs, free text: more than MODE_VALUES values, left out
    modes: dict = {}
    for i in range(MODE_VALUES + 1):
        _count_mode(modes, "x.id", f"v{i}")
    _count_mode(modes, "x.id", "v0")
    assert modes == {"x.id": None}


@pytest.mark.parametrize("name", ["-run", "my run", "it's", "naïve run"])
def test_the_commands_shown_name_the_run_folder_as_a_shell_reads_it(rich_annotate, tmp_path, monkeypatch, capsys,
                                                                    name):
    # the report, the run's table and whatif show commands to paste; the folder as given, quoted for a shell. A
    # relative folder with a leading '-' (`winnow report ./-run`: pathlib drops the './') read `winnow apply -run
    # -o OUT`, which argparse takes for an option
    import html as html_mod
    import shlex
    import shutil

    from winnow.cli import build_parser, main
    from winnow.results import format_stats

    monkeypatch.chdir(tmp_path)
    shutil.copytree(rich_annotate, tmp_path / name)
    assert main(["report", f"./{name}"]) == 0
    page = html_mod.unescape((tmp_path / name / "report.html").read_text())
    shown = re.findall(r"<code>(winnow (?:apply|explain) [^<]*)</code>", page)
    shown.append(format_stats(_ledger(tmp_path / name), Path(f"./{name}")).split("(write them: ")[1].split(")")[0])
    capsys.readouterr()
    assert main(["whatif", f"./{name}", "--set", "_rpt_words.min_words=300"]) == 0
    shown += re.findall(r"; see (winnow explain .*)\)$", capsys.readouterr().out, re.M)
    assert len(shown) == 4
    for cmd in shown:
        args = build_parser().parse_args(shlex.split(cmd)[1:])
        assert Path(args.run_dir).resolve() == (tmp_path / name).resolve(), cmd
