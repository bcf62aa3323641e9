"""Tokens in stats.json and the report: exact at the tokenize step, an estimate labelled as one at every other step,
and a mix stage's realised mixture (weights asked vs tokens realised, repetitions) shown in the page, rendered by
a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from tests.report.browser import Dom, load
from winnow.config import pipeline_from_dict
from winnow.io.tokenized import read_tokenized
from winnow.run import run_pipeline

CRAWL = "samples://crawl/part-0.jsonl.zst"


@pytest.fixture(scope="module")
def mix_run(tmp_path_factory) -> Path:
    raw = {"run": {"name": "tokens"}, "executor": {"type": "inline"},
           "stages": [
               {"name": "web", "reader": {"type": "jsonl", "paths": CRAWL},
                "steps": [{"type": "length", "min_chars": 500}, {"type": "c4_quality"}, {"type": "tokenize"}],
                "writer": {"type": "nanogpt"}},
               {"name": "short", "reader": {"type": "jsonl", "paths": CRAWL, "limit": 20},
                "writer": {"type": "nanogpt"}},
               {"name": "train", "mix": {"sources": {"web": 1, "short": 1}, "files": 2, "seed": 1}}]}
    run_dir = tmp_path_factory.mktemp("tokens") / "run"
    run_pipeline(pipeline_from_dict(raw), run_dir, "inline", log=False)
    return run_dir


def _stats(run_dir: Path) -> dict:
    return orjson.loads((run_dir / "stats.json").read_bytes())


def test_stats_hold_exact_tokens_at_the_tokenizer_and_labelled_estimates_elsewhere(mix_run):
    stats = _stats(mix_run)
    web = stats["stages"][0]
    steps = {s["name"]: s for s in web["steps"]}
    tok = steps["tokenize"]
    # exact: what the writer put on disk, less one EOS per document
    files = sorted((mix_run / "kept" / "web").glob("*.bin"))
    on_disk = sum(int(read_tokenized(p, "nanogpt").bounds[-1]) - len(read_tokenized(p, "nanogpt")) for p in files)
    assert tok["tokens_out"] == web["tokens_out"] == on_disk > 0
    assert tok["tokens_counted"] == tok["tokens_out"]  # min_tokens is 0: it dropped nothing
    ratio = stats["tokens"]["tokens_per_char"]
    assert stats["tokens"]["measured_at"] == "web/tokenize"
    assert abs(ratio - tok["tokens_counted"] / tok["tokens_counted_chars"]) < 1e-6
    # c4_quality edits text: the characters each step passed on shrink along the chain, and so do the estimates
    assert steps["length"]["chars_out"] >= steps["c4_quality"]["chars_out"] == tok["chars_out"] == web["passes"][-1]["chars_out"]
    for name in ("length", "c4_quality"):
        assert steps[name]["tokens_out_est"] == round(steps[name]["chars_out"] * stats["tokens"]["tokens_per_char"])
        assert "tokens_out" not in steps[name]  # never an exact-looking count where nothing was counted
    assert "tokens_out_est" not in tok


def test_report_shows_tokens_and_the_realised_mixture_in_chromium(mix_run):
    stats = _stats(mix_run)
    mixture = stats["stages"][2]["mixture"]
    page = load(mix_run / "report.html")
    assert page.console == [], page.console
    dom = Dom(page.dom)
    assert dom.count("table", "tokens") == 1 and dom.count("table", "mix") == 1
    html = page.dom
    mix_sec = re.search(r'<section id="mix">.*?</section>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", mix_sec, re.S)
    cells = {re.sub(r"<[^>]+>", "", r.split("</td>")[0]).strip(): re.sub(r"<[^>]+>", " ", r) for r in rows[1:]}
    assert set(cells) == {"short", "web"}
    for name, m in mixture.items():
        row = cells[name]
        for value in (f"{m['target_tokens']:,}", f"{m['tokens']:,}", f"{m['docs_not_selected']:,}",
                      f"{m['full_repetitions']} + {100 * m['partial']:.1f}%", f"({100 * m['share_asked']:.1f}%)"):
            assert value in row, (name, value, row)
    assert mixture["short"]["full_repetitions"] >= 1  # the short source was repeated, and the page says so
    tok_sec = re.search(r'<section id="tokens">.*?</section>', html, re.S).group(0)
    steps = {s["name"]: s for s in stats["stages"][0]["steps"]}
    assert re.search(rf"web / tokenize.*?{steps['tokenize']['tokens_out']:,}.*?exact", tok_sec, re.S)
    assert re.search(rf"web / length.*?≈ {steps['length']['tokens_out_est']:,}.*?estimate", tok_sec, re.S)
    # the kept documents are token ids without records: said, and not reported as a ledger disagreement
    text = " ".join(dom.text)
    assert "wrote their" in text and "as token ids" in text and "disagree" not in text
    # the summary cards count from stats.json: pages read -> documents in the mix, and the tokens written
    n_in = stats["stages"][0]["in"] + stats["stages"][1]["in"]
    assert f"{n_in:,} → {stats['stages'][2]['kept']:,}" in text
    assert f"{stats['stages'][2]['copies_out']:,} written with repetitions" in text and "tokenizer tokens" in text


def test_a_run_without_a_tokenizer_has_no_tokens_section(demo_run):
    html = (demo_run / "report.html").read_text()
    assert 'id="tokens"' not in html and 'id="mix"' not in html and "tokens" not in _stats(demo_run)


def test_whatif_says_a_token_stages_kept_documents_are_not_in_its_table(mix_run, capsys):
    # friction12: whatif on a run whose stage wrote tokens (a datatrove writer) printed "kept: 0 -> 0 documents"
    # with no word that the kept documents carry no record
    from winnow.cli import main

    kept = _stats(mix_run)["stages"][0]["kept"]
    assert main(["whatif", str(mix_run), "--set", "length.min_chars=800"]) == 0
    out = capsys.readouterr().out
    assert f"warning: stage(s) web, short wrote their {kept + 20:,} kept documents as token ids" in out
