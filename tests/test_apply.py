"""``winnow apply``: an annotate run, applied, writes what a routing run of the same pipeline keeps, re-thresholded
or not, from the recorded verdicts alone."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
import yaml

from winnow.cli import main
from winnow.io.base import open_read

from tests.helpers import text_records, write_jsonl

STEPS = [{"type": "gopher_repetition"}, {"type": "gopher_quality"},
         {"type": "c4_quality", "filter_no_terminal_punct": False}, {"type": "fineweb_quality"}]


def _ids(folder: Path) -> list[str]:
    out = []
    for p in sorted(folder.rglob("*.jsonl.zst")):
        with open_read(p) as f:
            out += [orjson.loads(line)["id"] for line in f if line.strip()]
    return out


def _run(tmp_path: Path, src: Path, mode: str, name: str, sets: list[str] = ()) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "on_drop": mode, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(src)}, "steps": STEPS}]}))
    args = ["run", str(p), "-o", str(tmp_path / name)]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return tmp_path / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp("apply")
    src = write_jsonl(tmp / "in" / "a.jsonl", text_records(real_docs, 0, 120))
    return tmp, src, _run(tmp, src, "annotate", "ann")


@pytest.mark.parametrize("sets", [[], ["gopher_quality.min_words=120", "fineweb_quality.char_duplicates_ratio=0.05"]])
def test_annotate_then_apply_equals_route(runs, sets, capsys):
    tmp, src, ann = runs
    tag = "x" if sets else "plain"
    route = _run(tmp, src, "route", f"route-{tag}", sets)
    out = tmp / f"applied-{tag}"
    args = ["apply", str(ann), "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    printed = capsys.readouterr().out
    want = _ids(route / "kept")
    assert 0 < len(want) < 120
    assert _ids(out / "kept") == want  # same documents, same order
    assert sorted(_ids(out / "rejected")) == sorted(_ids(route / "rejected"))
    st = json.loads((out / "stats.json").read_text())["stages"][0]
    assert st["in"] == 120 == st["kept"] + st["rejected"] and st["balanced"]
    assert st["kept"] == len(want) and f"120 in -> {len(want)} kept" in printed
    # the same per-step funnel as the routing run, reason by reason
    rs = json.loads((route / "stats.json").read_text())["stages"][0]["steps"]
    same = ("docs_in", "docs_out", "dropped", "edited", "normalised", "edits", "chars_removed")
    assert [[s[k] for k in same] for s in st["steps"]] == [[s[k] for k in same] for s in rs]
    # rejected documents say why, as a routing run's do; kept ones carry no failing verdict
    with open_read(next((out / "rejected").rglob("*.jsonl.zst"))) as f:
        rej = [orjson.loads(line) for line in f]
    assert all(r["drop"] and r["drop"]["reason"] for r in rej)
    with open_read(next((out / "kept").rglob("*.jsonl.zst"))) as f:
        kept = [orjson.loads(line) for line in f]
    assert not any(k.endswith(".drop") for r in kept for k in r["attributes"])


def test_apply_refuses_a_foreign_folder_and_unknown_steps(runs, tmp_path, capsys):
    _, _, ann = runs
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thing.txt").write_text("x")
    assert main(["apply", str(ann), "-o", str(tmp_path / "busy")]) == 2
    assert "not the output of an earlier" in capsys.readouterr().err
    assert main(["apply", str(ann), "-o", str(tmp_path / "o"), "--set", "gopher_qualty.min_words=3"]) == 2
    assert "did you mean 'gopher_quality'" in capsys.readouterr().err
    # an earlier apply's folder is rewritten whole
    assert main(["apply", str(ann), "-o", str(tmp_path / "o2")]) == 0
    assert main(["apply", str(ann), "-o", str(tmp_path / "o2"), "--set", "gopher_quality.min_words=100000"]) == 0
    assert _ids(tmp_path / "o2" / "kept") == []


def test_apply_on_a_routing_run_keeps_what_it_cannot_decide_rejected(runs, capsys):
    tmp, src, _ = runs
    route = _run(tmp, src, "route", "route-src")
    out = tmp / "from-route"
    # looser: documents gopher_quality dropped never reached c4_quality and fineweb_quality: undetermined
    assert main(["apply", str(route), "-o", str(out), "--set", "gopher_quality.min_alpha_words_ratio=0"]) == 0
    printed = capsys.readouterr().out
    st = json.loads((out / "stats.json").read_text())
    s = st["stages"][0]
    assert st["undetermined"] > 0 and "undetermined" in printed
    assert s["in"] == 120 == s["kept"] + s["rejected"] and s["kept"] >= len(_ids(route / "kept"))
    # tighter is exact in a routing run too
    out2 = tmp / "from-route-tight"
    assert main(["apply", str(route), "-o", str(out2), "--set", "gopher_quality.min_words=400"]) == 0
    tight = _run(tmp, src, "route", "route-tight", ["gopher_quality.min_words=400"])
    assert _ids(out2 / "kept") == _ids(tight / "kept")


def test_apply_and_whatif_refuse_a_run_that_has_not_finished(runs, tmp_path, capsys):
    # an interrupted run's records lie in work/ and kept/ is partial: apply wrote 0 kept and whatif showed a funnel
    # of a fraction of the documents, both with rc 0 and no word of it; report drew "0 kept, ledger balanced"
    import shutil

    _, _, ann = runs
    cut = tmp_path / "cut"
    shutil.copytree(ann, cut)
    (cut / "stats.json").unlink()  # as an interrupted run leaves it (test_resume: no stats.json before the end)
    for argv in (["apply", str(cut), "-o", str(tmp_path / "o")],
                 ["whatif", str(cut), "--set", "gopher_quality.min_words=120"], ["report", str(cut)]):
        assert main(argv) == 1
        assert "holds a run that has not finished" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["explain", str(cut), _ids(ann / "kept")[0]]) == 0  # explain still reads what is there
    capsys.readouterr()
    assert main(["query", str(cut), "select count(*) from kept"]) == 0  # query too, saying what it reads
    assert "holds a run that has not finished" in capsys.readouterr().err
    assert main(["query", str(ann), "select count(*) from kept"]) == 0
    assert "not finished" not in capsys.readouterr().err


def test_a_run_whose_shard_failed_is_refused_until_it_is_resumed(tmp_path, capsys, real_docs):
    # a shard that fails after its retries ends the run with stats.json written (the finished shards balance), so
    # "no stats.json" did not tell it: whatif, apply and report read the other shards' documents alone, rc 0
    from dataclasses import dataclass

    from winnow.registry import register
    from winnow.step import Filter

    flag = tmp_path / "broken"

    @register("_test_fails_while_flagged")
    @dataclass
    class FailsWhileFlagged(Filter):
        flag: str = ""
        REASONS = ("never",)

        def setup(self, ctx):
            if ctx.shard == "00001" and Path(self.flag).exists():
                raise RuntimeError("disk on fire")

        def reject(self, doc):
            return None

    for i in range(2):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", text_records(real_docs, 40 * i, 40))
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "on_drop": "annotate", "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
         "steps": [{"type": "_test_fails_while_flagged", "flag": str(flag)}, *STEPS]}]}))
    run = ["run", str(p), "-o", str(tmp_path / "run")]
    flag.touch()
    assert main(run) == 1
    assert "00001" in capsys.readouterr().err and (tmp_path / "run" / "stats.json").exists()
    later = [["apply", str(tmp_path / "run"), "-o", str(tmp_path / "o")],
             ["whatif", str(tmp_path / "run"), "--set", "gopher_quality.min_words=120"], ["report", str(tmp_path / "run")]]
    for argv in later:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert "has not finished" in err and "00001" in err, err
    assert main(["query", str(tmp_path / "run"), "select count(*) from kept"]) == 0
    assert "has not finished" in capsys.readouterr().err
    # fixed and resumed with the same command: a finished run, never refused
    flag.unlink()
    assert main(run) == 0
    assert "failed" not in orjson.loads((tmp_path / "run" / "stats.json").read_bytes())
    for argv in later:
        assert main(argv) == 0, argv
    assert main(["query", str(tmp_path / "run"), "select count(*) from kept"]) == 0
    assert "not finished" not in capsys.readouterr().err
