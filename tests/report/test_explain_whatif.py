"""explain and whatif answer from the run's records alone, and agree with the ledger and with real re-runs."""

from __future__ import annotations

import re
import shlex

import orjson
import pytest

from tests.report.runs import rich_pipeline, run
from winnow.cli import main
from winnow.errors import ConfigError
from winnow.report._run import iter_terminal, load_run
from winnow.report.explain import explain_record, find_records
from winnow.report.whatif import compute_whatif, resolve_sets


def _stats(run_dir):
    return orjson.loads((run_dir / "stats.json").read_bytes())["stages"][0]


def test_explain_every_document_adds_up_to_the_ledger(rich_route):
    info = load_run(rich_route)
    outcomes: dict[str, int] = {}
    dropped: dict[str, dict[str, int]] = {}
    for rec in iter_terminal(info):
        s = explain_record(info, rec)
        outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
        if s["outcome"] == "rejected":
            assert s["drop"] == rec.doc["drop"]
            step = s["dropped_at"].split("/")[1]
            dropped.setdefault(step, {})
            dropped[step][s["drop"]["reason"]] = dropped[step].get(s["drop"]["reason"], 0) + 1
            statuses = [st["status"] for st in s["steps"]]
            k = statuses.index("dropped")
            assert all(x == "not reached" for x in statuses[k + 1:])
    st = _stats(rich_route)
    assert outcomes == {"kept": st["kept"], "rejected": st["rejected"]}
    assert dropped == {x["name"]: x["dropped"] for x in st["steps"] if x["dropped"]}


def test_explain_cli_tells_a_rejected_documents_story(rich_route, capsys):
    info = load_run(rich_route)
    rec = next(r for r in iter_terminal(info) if r.where == "rejected" and r.doc["drop"]["step"] == "_rpt_words")
    did = rec.doc["id"]
    assert main(["explain", str(rich_route), did]) == 0
    out = capsys.readouterr().out
    d = rec.doc["drop"]
    assert f"REJECTED at main/_rpt_words: {d['reason']}" in out
    assert f"_rpt_words.n_words = {rec.doc['attributes']['_rpt_words.n_words']}" in out
    assert "removed" in out or rec.doc["edits"] == []  # the _rpt_lines edits on its path
    assert main(["explain", str(rich_route), did, "--json"]) == 0
    js = orjson.loads(capsys.readouterr().out)
    story = js["records"][0]
    assert story["outcome"] == "rejected" and story["drop"] == d
    lines = next(s for s in story["steps"] if s["step"] == "_rpt_lines")
    assert [(e["start"], e["end"], e["reason"]) for e in lines["edits"]] == \
        [(e["start"], e["end"], e["reason"]) for e in rec.doc["edits"]]
    assert main(["explain", str(rich_route), "no-such-id"]) == 1


def test_explain_finds_a_kept_document_in_an_annotate_run(rich_annotate):
    info = load_run(rich_annotate)
    rec = next(r for r in iter_terminal(info) if "_rpt_words.drop" in r.doc["attributes"])
    recs = find_records(info, rec.doc["id"])
    assert [r.where for r in recs] == ["kept"]
    s = explain_record(info, recs[0])
    assert s["outcome"] == "kept (annotated: would be dropped)"
    assert s["drop"]["reason"] == rec.doc["attributes"]["_rpt_words.drop"]["reason"] or s["dropped_at"] != "main/_rpt_words"


def _funnel(res):
    return [(s["step"], s["docs_in"], s["docs_out"], s["dropped"]) for s in res["steps"]]


def test_whatif_with_unchanged_thresholds_reproduces_the_ledger(rich_route, rich_annotate):
    for run_dir in (rich_route, rich_annotate):
        info = load_run(run_dir)
        res = compute_whatif(info, resolve_sets(info, {"_rpt_words.min_words": 100, "length.min_chars": 200}))
        assert res["newly_dropped"]["docs"] == res["newly_kept"]["docs"] == res["undetermined"]["docs"] == 0
        for s in res["steps"]:
            assert s["docs_in"][0] == s["docs_in"][1] and s["docs_out"][0] == s["docs_out"][1]
        st = _stats(run_dir)
        by = {x["name"]: x for x in st["steps"]}
        if info.annotate:  # every verdict, as the ledger counts them
            for s in res["steps"]:
                assert {r: v[0] for r, v in s["verdicts"].items() if v[0]} == by[s["step"]]["dropped"]
        else:
            assert res["kept"]["docs"] == [st["kept"]] * 2
            assert res["kept"]["chars"] == [st["passes"][0]["chars_out"]] * 2
            for s in res["steps"]:
                assert s["docs_in"][0] == by[s["step"]]["docs_in"]
                assert s["docs_out"][0] == by[s["step"]]["docs_out"]
                assert {r: v[0] for r, v in s["dropped"].items() if v[0]} == by[s["step"]]["dropped"]


def test_whatif_predicts_a_real_rerun(rich_route, rich_annotate, tmp_path):
    """Loosen one threshold and tighten another; whatif on the annotate run must match the real routing run with
    those parameters exactly; on the routing run the tightening is exact and the loosening bounded."""
    sets = {"length.min_chars": 100, "_rpt_words.min_words": 50, "_rpt_words.max_mean_word_len": 6.0}
    actual_dir = run(rich_pipeline("route", min_chars=100, min_words=50, max_mean_word_len=6.0), tmp_path / "rerun")
    st = _stats(actual_dir)
    by = {x["name"]: x for x in st["steps"]}

    info = load_run(rich_annotate)
    res = compute_whatif(info, resolve_sets(info, sets))
    assert res["kept"]["docs"][1] == st["kept"]
    assert res["kept"]["chars"][1] == st["passes"][0]["chars_out"]
    for s in res["steps"]:
        assert s["docs_in"][1] == by[s["step"]]["docs_in"]
        assert s["docs_out"][1] == by[s["step"]]["docs_out"]
        assert {r: v[1] for r, v in s["dropped"].items() if v[1]} == by[s["step"]]["dropped"]
    assert res["newly_dropped"]["docs"] > 0 and res["newly_kept"]["docs"] > 0  # both directions exercised

    info = load_run(rich_route)
    res = compute_whatif(info, resolve_sets(info, sets))
    lo = res["kept"]["docs"][1]
    assert lo <= st["kept"] <= lo + res["undetermined"]["docs"]
    tight = compute_whatif(info, resolve_sets(info, {"_rpt_words.min_words": 300}))
    assert tight["undetermined"]["docs"] == 0
    assert tight["kept"]["docs"][1] == compute_whatif(
        load_run(rich_annotate), resolve_sets(load_run(rich_annotate), {"_rpt_words.min_words": 300}))["kept"]["docs"][1]


def test_whatif_refuses_what_it_cannot_replay(rich_route, capsys):
    info = load_run(rich_route)
    with pytest.raises(ConfigError, match="did you mean '_rpt_words'"):
        resolve_sets(info, {"rpt_word.min_words": 10})
    with pytest.raises(ConfigError, match="does not declare 'min_words' in THRESHOLDS"):
        resolve_sets(info, {"_rpt_lines.min_words": 10})  # a Map's parameter: only a rerun can tell
    with pytest.raises(ConfigError, match="did you mean 'min_words'"):
        resolve_sets(info, {"_rpt_words.min_word": 10})
    assert main(["whatif", str(rich_route), "--set", "_rpt_lines.min_words=1"]) == 2
    assert main(["whatif", str(rich_route), "--set", "_rpt_words.min_words=300"]) == 0
    out = capsys.readouterr().out
    assert "_rpt_words.min_words: 100 -> 300" in out and "newly dropped:" in out
    # the command it points to is one to paste: this run's folder and an id it names, quoted for a shell
    see = re.search(r"newly dropped: [\d,]+ \(e\.g\. ([^,;]+).*; see (.*)\)$", out, re.M)
    assert see and shlex.split(see.group(2)) == ["winnow", "explain", str(rich_route), see.group(1)], out
    assert main(["whatif", str(rich_route), "--set", "_rpt_words.min_words=300", "--json"]) == 0
    js = orjson.loads(capsys.readouterr().out)
    assert js["changes"] == [{"stage": "main", "step": "_rpt_words", "param": "min_words", "old": 100, "new": 300}]


def _two_stage(on_drop, min_chars2=1000):
    from winnow.config import pipeline_from_dict

    return pipeline_from_dict({"on_drop": on_drop, "stages": [
        {"name": "clean", "reader": {"type": "jsonl", "paths": "samples://crawl/part-1.jsonl.zst"},
         "steps": [{"type": "_rpt_lines"}, {"type": "length", "min_chars": 200}],
         "writer": {"type": "parquet"}, "rejects": {"type": "parquet"}},
        {"name": "filter", "from": "clean",
         "steps": [{"type": "_rpt_words", "min_words": 100}, {"type": "length", "min_chars": min_chars2}],
         "writer": {"type": "jsonl", "compression": "zstd"}}]})


def test_two_stages_with_parquet_report_explain_and_whatif(tmp_path, capsys):
    """Stage 2 reads stage 1's Parquet output; documents carry stage 1's edits into stage 2; the same step type
    runs in both stages and `stage/step.param` picks one."""
    run_dir = run(_two_stage("route"), tmp_path / "two")
    info = load_run(run_dir)
    from winnow.report._collect import collect

    s = collect(info)
    assert s.mismatches == []
    stats = orjson.loads((run_dir / "stats.json").read_bytes())["stages"]
    assert s.input.docs == stats[0]["in"] and s.kept.docs == stats[1]["kept"]
    rec = next(r for r in iter_terminal(info) if r.where == "rejected" and r.stage == "filter")
    assert main(["explain", str(run_dir), rec.doc["id"]]) == 0
    out = capsys.readouterr().out
    assert "REJECTED at filter/" in out and "clean/_rpt_lines [map]: edited" in out
    assert "kept/clean/" in out  # found in stage 1's Parquet output too
    res = compute_whatif(info, resolve_sets(info, {"filter/length.min_chars": 500}))
    actual = orjson.loads((run(_two_stage("route", 500), tmp_path / "rerun") / "stats.json").read_bytes())["stages"]
    assert res["kept"]["docs"][1] == actual[1]["kept"] and res["undetermined"]["docs"] == 0
    assert res["warnings"]  # length runs in both stages: its attributes share one name
    # STAGE.STEP.PARAM as `winnow run --set` takes it (it was "no step 'filter.length' in this run")
    assert resolve_sets(info, {"filter.length.min_chars": 500}) == resolve_sets(info, {"filter/length.min_chars": 500})
    with pytest.raises(ConfigError, match="no step 'nostage.length' in this run"):
        resolve_sets(info, {"nostage.length.min_chars": 500})


def test_whatif_keeps_verdicts_of_parameters_resolved_at_run_time(rich_route):
    """A threshold left null in the config (a variant's default, resolved by the step) cannot be replayed: changing
    another parameter of the step must leave those drops as recorded, not quietly keep the documents."""
    info = load_run(rich_route)
    step = next(s for s in info.steps if s.type == "_rpt_words")
    step.params["min_words"] = None  # as if the config said `min_words: null`
    res = compute_whatif(info, {step.gpos: {"max_mean_word_len": 10.0}})
    row = next(s for s in res["steps"] if s["step"] == "_rpt_words")
    assert row["dropped"]["too_few_words"][1] == row["dropped"]["too_few_words"][0] > 0
    assert res["newly_kept"]["docs"] == 0


def test_explain_names_a_verdict_without_threshold_before_the_checks(demo_run, capsys):
    # The real language step drops a page for wrong_language (a rule with no threshold); its score may also be
    # below min_score. The story must lead with the real verdict, not let the failing threshold read as the reason.
    info = load_run(demo_run)
    rec = next(r for r in iter_terminal(info) if r.where == "rejected" and r.doc["drop"]["reason"] == "wrong_language")
    assert main(["explain", str(demo_run), rec.doc["id"]]) == 0
    out = capsys.readouterr().out
    assert "threshold None" not in out
    step = out[out.index("- language [filter]: dropped"):]
    assert step.splitlines()[1].strip().startswith("verdict: wrong_language")
    # and names the languages the page was held to (friction12: "(value 0.9985)" and "score ... : ok" only)
    assert step.splitlines()[1].endswith('(the step ran with languages=["en"])')  # the default pipeline's
    kept = next(r for r in iter_terminal(info) if r.where == "kept")
    assert main(["explain", str(demo_run), kept.doc["id"]]) == 0
    assert "not recorded" not in capsys.readouterr().out  # passing steps that had nothing to measure stay quiet
