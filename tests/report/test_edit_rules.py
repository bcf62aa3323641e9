"""An edit names the rule that made it (Edit.rule: offtopic_sentences' site_chrome has a dozen), through a real run:
the record (Parquet and JSONL), `winnow explain`, the report and `winnow steps`."""

from __future__ import annotations

import orjson

from tests.report.runs import run
from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.report import build_report
from winnow.report._run import iter_terminal, load_run
from winnow.steps.coherence import OfftopicSentences

_BODY = ("The harbour of the old town was rebuilt after the great storm of 1872. Its new quays were made of granite "
         "brought from the northern quarries by rail. Fishing boats still land their catch there every morning.")
_PAGES = {
    "menu": f"{_BODY}\nHome | About | Contact | Blog\n{_BODY}\nAll rights reserved.",
    "trail": f"Products | Garden Chairs\n{_BODY}\nRead more\n{_BODY}",
}


def _run(tmp_path, writer):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(orjson.dumps({"id": k, "text": t}).decode() + "\n" for k, t in _PAGES.items()))
    pipe = pipeline_from_dict({"executor": {"type": "inline"}, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(src)}, "steps": [{"type": "offtopic_sentences"}],
         "writer": {"type": writer}}]})
    return run(pipe, tmp_path / f"run-{writer}")


def test_the_rule_travels_from_the_step_to_explain_and_the_report(tmp_path, capsys):
    for writer in ("parquet", "jsonl"):
        run_dir = _run(tmp_path, writer)
        info = load_run(run_dir)
        recs = {r.doc["id"]: r.doc for r in iter_terminal(info)}
        got = {(e["removed"].strip(), e["reason"], e.get("rule")) for d in recs.values() for e in d["edits"]}
        assert got == {("Home | About | Contact | Blog", "site_chrome", "bar_menu"),
                       ("All rights reserved.", "site_chrome", "chrome_sentence"),
                       ("Products | Garden Chairs", "site_chrome", "menu_trail"),
                       ("Read more", "link_text", "link")}, writer
    assert main(["explain", str(run_dir), "menu"]) == 0
    out = capsys.readouterr().out
    assert "removed 2 span(s) as site_chrome" in out and "(by rule: bar_menu 1, chrome_sentence 1)" in out
    assert "'Home | About | Contact | Blog'  rule bar_menu" in out
    assert main(["explain", str(run_dir), "trail", "--json"]) == 0
    story = orjson.loads(capsys.readouterr().out)["records"][0]
    step = next(s for s in story["steps"] if s["step"] == "offtopic_sentences")
    assert {(e["reason"], e["rule"]) for e in step["edits"]} == {("site_chrome", "menu_trail"), ("link_text", "link")}
    html = build_report(run_dir).read_text()
    assert "by rule: bar_menu 1, chrome_sentence 1, menu_trail 1" in html
    assert "offtopic_sentences: site_chrome by rule bar_menu (score 0.9)" in html


def test_steps_lists_every_rule_with_its_reason(capsys):
    assert main(["steps", "offtopic_sentences"]) == 0
    out = capsys.readouterr().out
    assert "rules (each edit names its rule" in out
    for rule, (reason, _) in OfftopicSentences.RULES.items():
        assert f"  {rule} ({reason}): " in out
    assert set(r for r, _ in OfftopicSentences.RULES.values()) <= set(OfftopicSentences.REASONS)
