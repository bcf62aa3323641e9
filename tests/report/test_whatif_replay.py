"""whatif takes lists and booleans (a step's own replay: language's languages, fineweb_quality's
line_punct_exclude_zero), checks values against the parameter's type, and sweeps one parameter into one table; each
answer is compared with a real rerun."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from winnow.cli import main
from winnow.config import pipeline_from_dict
from winnow.errors import ConfigError
from winnow.report._run import load_run
from winnow.report.whatif import compute_many, compute_whatif, resolve_sets
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "clean" / "langid_samples.jsonl"
# no line ends with punctuation: line_punct_ratio 0, which line_punct_exclude_zero lets through
NO_PUNCT = "\n".join(["the river runs past the old mill and the bridge over it"] * 3 +
                     ["people walk there every morning with their dogs and children"] * 3)


def _records(real_docs):
    recs = [{"id": f"s{i}", "text": json.loads(line)["text"]}
            for i, line in enumerate(SAMPLES.read_text(encoding="utf-8").splitlines()) if line]
    return text_records(real_docs, 0, 80) + recs + [{"id": "nopunct", "text": NO_PUNCT}]


def _pipe(src: Path, on_drop: str, languages=("en",), exclude_zero=False, line_punct_thr=0.12):
    return pipeline_from_dict({"on_drop": on_drop, "executor": "inline", "stages": [{
        "name": "main", "reader": {"type": "jsonl", "paths": str(src)},
        "steps": [{"type": "language", "languages": list(languages), "min_score": 0.65},
                  {"type": "c4_quality", "filter_no_terminal_punct": False},
                  {"type": "fineweb_quality", "line_punct_exclude_zero": exclude_zero,
                   "line_punct_thr": line_punct_thr}]}]})


@pytest.fixture(scope="module")
def runs(tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp("whatif-replay")
    src = write_jsonl(tmp / "in.jsonl", _records(real_docs))

    def go(name, **kw):
        run_pipeline(_pipe(src, kw.pop("on_drop", "annotate"), **kw), tmp / name, "inline", log=False, report=False)
        return tmp / name

    return go


def _stats(run_dir):
    return orjson.loads((run_dir / "stats.json").read_bytes())["stages"][0]


def _first_failing(run_dir):
    """Per step, documents whose first failing verdict it gave (an annotate run's funnel)."""
    out: dict[str, int] = {}
    for p in sorted((run_dir / "kept" / "main").iterdir()):
        import zstandard

        for line in zstandard.decompress(p.read_bytes(), max_output_size=1 << 30).splitlines():
            attrs = orjson.loads(line)["attributes"]
            for step in ("language", "c4_quality", "fineweb_quality"):
                if f"{step}.drop" in attrs:
                    out[step] = out.get(step, 0) + 1
                    break
    return out


@pytest.mark.parametrize("sets,rerun", [
    ({"language.languages": ["en", "fr", "es"]}, {"languages": ("en", "fr", "es")}),
    ({"language.languages": []}, {"languages": ()}),
    ({"fineweb_quality.line_punct_exclude_zero": True}, {"exclude_zero": True}),
], ids=["languages", "every-language", "boolean"])
def test_lists_and_booleans_replay_exactly(runs, sets, rerun):
    base, actual = runs("base"), runs("rerun-" + "-".join(map(str, rerun.values())), **rerun)
    info = load_run(base)
    res = compute_whatif(info, resolve_sets(info, sets))
    want = _first_failing(actual)
    n = _stats(actual)["in"]
    assert res["kept"]["docs"][1] == n - sum(want.values())
    got = {s["step"]: sum(v[1] for v in s["dropped"].values()) for s in res["steps"]}
    assert {k: v for k, v in got.items() if v} == want
    assert res["newly_kept"]["docs"] > 0  # the change matters on these documents


def test_values_are_checked_against_the_parameter_type(runs, capsys):
    info = load_run(runs("base"))
    with pytest.raises(ConfigError, match=r"--set language.languages: expected a list, got str 'en'"):
        resolve_sets(info, {"language.languages": "en"})
    with pytest.raises(ConfigError, match="min_score is a fraction between 0 and 1, got 65"):
        resolve_sets(info, {"language.min_score": 65})
    # a boolean that decides line edits: refused for what it is, not as "expected a number"
    with pytest.raises(ConfigError, match="'filter_no_terminal_punct' .*cannot be replayed.*rerun the pipeline"):
        resolve_sets(info, {"c4_quality.filter_no_terminal_punct": True})
    assert main(["whatif", str(runs("base")), "--set", "language.languages=[en,fr]"]) == 0
    assert "language.languages: ['en'] -> ['en', 'fr']" in capsys.readouterr().out
    assert main(["whatif", str(runs("base")), "--set", "language.languages=[en]"]) == 0
    assert "language.languages: ['en'] -> ['en'] (the value the run used" in capsys.readouterr().out


def test_sweep_prints_one_table_matching_single_runs(runs, capsys):
    base = runs("base")
    values = [0.05, 0.12, 0.3]
    assert main(["whatif", str(base), "--sweep", "fineweb_quality.line_punct_thr=" + ",".join(map(str, values)),
                 "--set", "language.languages=[en,fr]"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sweep of fineweb_quality.line_punct_thr (as run: 0.12)")
    assert out[1] == "with language.languages: [en] -> [en,fr]"
    table = out[2:]
    assert table[0].split()[:3] == ["value", "kept", "docs"] and table[1].startswith("0.12 (as run)")
    info = load_run(base)
    for v, row in zip(values, table[2:5]):
        single = compute_whatif(info, resolve_sets(info, {"fineweb_quality.line_punct_thr": v,
                                                          "language.languages": ["en", "fr"]}))
        assert row.split()[0] == str(v) and row.split()[1] == f"{single['kept']['docs'][1]:,}"
    # a tighter threshold never keeps more
    kept = [int(r.split()[1].replace(",", "")) for r in table[2:5]]
    assert kept[0] >= kept[1] >= kept[2] and kept[0] > kept[2]
    assert main(["whatif", str(base), "--sweep", "language.languages=[en],[en,fr],[]", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["sweep"]["values"] == [["en"], ["en", "fr"], []]
    many = compute_many(info, [resolve_sets(info, {"language.languages": v}) for v in (["en"], ["en", "fr"], [])])
    assert [r["kept"] for r in js["results"]] == [r["kept"] for r in many]
    assert many[0]["kept"]["docs"][0] == many[0]["kept"]["docs"][1]  # the languages it ran with: no change
    # the value the run used is its "(as run)" row, not a second equal row (friction10: it was printed twice); with
    # another change (--set) it is a row of its own, as above
    assert main(["whatif", str(base), "--sweep", "fineweb_quality.line_punct_thr=0.05,0.12,0.3"]) == 0
    table = capsys.readouterr().out.splitlines()[1:]
    assert [r.split()[0] for r in table[:5]] == ["value", "0.12", "0.05", "0.3", "on_drop:"] and "(as run)" in table[1]


def test_a_whole_number_given_for_a_float_parameter_is_the_value_the_run_used(tmp_path, real_docs, capsys):
    # gopher_quality's min_mean_word_length is a float parameter whose default is the int 3: '--set ...=3' is read
    # as 3.0 and was shown as a change ('3 -> 3.0'), and '--sweep ...=3.0,4' printed the run's value twice
    src = write_jsonl(tmp_path / "in.jsonl", text_records(real_docs, 0, 20))
    run_pipeline(pipeline_from_dict({"on_drop": "annotate", "executor": "inline", "stages": [{
        "name": "main", "reader": {"type": "jsonl", "paths": str(src)}, "steps": [{"type": "gopher_quality"}]}]}),
        tmp_path / "run", "inline", log=False, report=False)
    assert main(["whatif", str(tmp_path / "run"), "--set", "gopher_quality.min_mean_word_length=3"]) == 0
    assert "min_mean_word_length: 3 -> 3.0 (the value the run used" in capsys.readouterr().out
    assert main(["whatif", str(tmp_path / "run"), "--sweep", "gopher_quality.min_mean_word_length=3.0,4"]) == 0
    table = capsys.readouterr().out.splitlines()[1:]
    assert [r.split()[0] for r in table[:3]] == ["value", "3", "4"] and "(as run)" in table[1]
