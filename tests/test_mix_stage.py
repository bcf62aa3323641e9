"""The mix stage: a pipeline stage that mixes earlier stages' (or another run's, or files') tokenized outputs by
weight in tokens. Every input document is accounted for (selected n times or not at all, recorded per document),
the output holds exactly those copies, the realised mixture is written beside it and into stats.json, and a
resumed run writes the same bytes."""

from __future__ import annotations

import collections

import numpy as np
import orjson
import pytest
import yaml

from winnow.config import pipeline_from_dict
from winnow import open_run
from winnow.cli import main
from winnow.errors import ConfigError, WinnowError
from winnow.io.tokenized import read_tokenized
from winnow.run import format_stats, run_pipeline

from tests.conftest import sample_docs

CRAWL = "samples://crawl/part-0.jsonl.zst"


def _pipeline(writer="megatron", mix=None, extra_stages=()):
    return {
        "run": {"name": "mix"}, "executor": {"type": "inline"},
        "stages": [
            {"name": "web", "reader": {"type": "jsonl", "paths": CRAWL},
             "steps": [{"type": "length", "min_chars": 500}, {"type": "tokenize"}], "writer": {"type": writer}},
            {"name": "short", "reader": {"type": "jsonl", "paths": CRAWL, "limit": 20}, "writer": {"type": writer}},
            *extra_stages,
            {"name": "train", "mix": mix or {"sources": {"web": 3, "short": 1}, "files": 2, "seed": 1}},
        ]}


def _docs(path, fmt="megatron"):
    tf = read_tokenized(path, fmt)
    return [tuple(tf.document(i).tolist()) for i in range(len(tf))]


def _outputs(folder, ext=".bin"):
    return {p.name: p.read_bytes() for p in sorted(folder.glob(f"mixed_*{ext}"))}


def _expected_from_selection(folder, fmt="megatron", root=None):
    """The multiset of documents the mix must hold: each source document times its recorded selection count (a
    source file inside the run folder ``root`` is named relative to it)."""
    acc = orjson.loads((folder / "mixture.json").read_bytes())
    want: collections.Counter = collections.Counter()
    for src in acc["sources"].values():
        for inp in src["inputs"]:
            sel = np.load(folder / inp["selection"])
            docs = _docs(root / inp["path"] if root is not None else inp["path"], fmt)
            assert len(sel) == len(docs) == inp["docs"]
            for d, n in zip(docs, sel.tolist()):
                want[d] += n
    return acc, want


def _copies(run_dir, folder, doc_id) -> int:
    """How many copies of a document the mix recorded selecting, over every source's inputs (from each input's ids
    file and its selection)."""
    from winnow.io.tokenized import IDS, companion_path

    acc = orjson.loads((folder / "mixture.json").read_bytes())
    n = 0
    for src in acc["sources"].values():
        for inp in src["inputs"]:
            sel = np.load(folder / inp["selection"]).tolist()
            ids = [orjson.loads(x)["id"] for x in companion_path(run_dir / inp["path"], ".bin", IDS).read_bytes()
                   .splitlines()]
            n += sum(c for i, c in zip(ids, sel) if i == doc_id)
    return n


def test_a_mix_stage_accounts_for_every_document_and_resumes_byte_identical(tmp_path, capsys):
    run_dir = tmp_path / "run"
    res = run_pipeline(pipeline_from_dict(_pipeline()), run_dir, "inline", log=False, report=False)
    out = run_dir / "kept" / "train"
    acc, want = _expected_from_selection(out, root=run_dir)
    got = collections.Counter(d for name in _outputs(out) for d in _docs(out / name))
    assert got == want  # the outputs hold exactly the recorded copies: nothing lost, nothing doubled
    short, web = acc["sources"]["short"], acc["sources"]["web"]
    # the short source (20 documents) is repeated to reach its quarter; the long one is sampled
    assert short["full_repetitions"] >= 1 and web["full_repetitions"] == 0 and web["docs_not_selected"] > 0
    assert short["share_asked"] == 0.25 and abs(short["share"] - 0.25) < 0.02
    assert sum(int(k) * n for k, n in short["copies"].items()) == short["docs"]
    assert acc["docs_in"] == acc["docs_selected"] + acc["docs_not_selected"]
    # the ledger in stats.json: every input document selected (kept) or not (rejected: not_selected)
    sd = res.stats["stages"][2]
    web_kept, short_kept = res.stats["stages"][0]["kept"], res.stats["stages"][1]["kept"]
    assert sd["in"] == web_kept + short_kept == acc["docs_in"] and sd["balanced"]
    assert sd["rejected"] == acc["docs_not_selected"] and sd["steps"][0]["dropped"] == {"not_selected": sd["rejected"]}
    assert sd["copies_out"] == sum(got.values()) and sd["tokens_out"] == sum(len(d) * n for d, n in got.items())
    assert sd["mixture"]["short"]["full_repetitions"] == short["full_repetitions"]
    assert "short: weight 25.0% ->" in format_stats(res.stats)
    # the run's other readers: token ids are not documents, and say so; the card sizes them; explain still works
    with pytest.raises(WinnowError, match="stage train wrote token ids"):
        list(open_run(run_dir).kept())
    assert "| train (token ids, " in (run_dir / "kept" / "README.md").read_text()
    dropped = next(open_run(run_dir).rejected("web"))
    assert main(["explain", str(run_dir), dropped.id]) == 0
    kept_id = next(d.id for d in sample_docs(78) if len(d.text) >= 2000)  # part-0: what web read
    capsys.readouterr()
    assert main(["explain", str(run_dir), kept_id]) == 0  # kept as token ids: found by the ids file beside them
    told = capsys.readouterr().out  # both sources read it (short's limit of 20 takes it too), each names its span
    assert "kept by stage web as token ids" in told and "kept by stage short as token ids" in told
    import re

    for first, last, n in re.findall(r"tokens ([\d,]+)\.\.([\d,]+) \(([\d,]+) tokens\)", told):
        first, last, n = (int(x.replace(",", "")) for x in (first, last, n))
        assert last - first + 1 == n  # inclusive, as the README's "tokens S..S+N-1" (it printed S..S+N)
    # and in the mix (short, 20 documents, is repeated whole): train's ids files name each copy it holds
    copies = [line for line in told.splitlines() if "kept by stage train as token ids" in line]
    assert len(copies) == _copies(run_dir, out, kept_id) >= short["full_repetitions"] >= 1
    assert all("of kept/train/mixed_" in line for line in copies)
    clean = _outputs(out)
    # resume: a finished mix is skipped; one that died after writing some files finishes with the same bytes
    run_pipeline(pipeline_from_dict(_pipeline()), run_dir, "inline", log=False, report=False)
    assert _outputs(out) == clean
    (run_dir / "done" / "train" / "mix").unlink()
    (out / "mixed_00001.bin").unlink()
    (out / "mixture.json").unlink()
    res2 = run_pipeline(pipeline_from_dict(_pipeline()), run_dir, "inline", log=False, report=False)
    assert _outputs(out) == clean and res2.stats["stages"][2] == {**sd, "steps": res2.stats["stages"][2]["steps"]}
    # another seed: another mix of the same sources
    other = _pipeline(mix={"sources": {"web": 3, "short": 1}, "files": 2, "seed": 2})
    run_pipeline(pipeline_from_dict(other), tmp_path / "other", "inline", log=False, report=False)
    assert _outputs(tmp_path / "other" / "kept" / "train") != clean


def test_sources_from_another_run_folder_and_from_files(tmp_path):
    first = tmp_path / "first"
    run_pipeline(pipeline_from_dict(_pipeline(writer="nanogpt")), first, "inline", log=False, report=False)
    pipe = {"run": {"name": "mix2"}, "executor": {"type": "inline"},
            "stages": [{"name": "train", "mix": {
                "sources": {"crawl": {"weight": 1, "run": str(first), "stage": "web"},
                            "files": {"weight": 1, "paths": str(first / "kept" / "short" / "*.bin")}},
                "tokens": 200_000, "files": 1}}]}
    res = run_pipeline(pipeline_from_dict(pipe), tmp_path / "second", "inline", log=False, report=False)
    out = tmp_path / "second" / "kept" / "train"
    acc, want = _expected_from_selection(out, "nanogpt")
    got = collections.Counter(d for name in _outputs(out) for d in _docs(out / name, "nanogpt"))
    assert got == want and acc["tokens_asked"] == 200_000
    assert all(s["target_tokens"] == 100_000 for s in acc["sources"].values())
    assert res.stats["stages"][0]["balanced"]
    # another run's stage written with another tokenizer is refused: the same id would be another token
    other = tmp_path / "other-tok"
    raw_other = _pipeline(writer="nanogpt")
    raw_other["stages"] = raw_other["stages"][1:2]
    raw_other["stages"][0]["writer"] = {"type": "nanogpt", "tokenizer": "tiktoken:gpt2", "eos": ""}
    (other).mkdir()
    (other / "config.resolved.yaml").write_text(yaml.safe_dump(raw_other))  # its config is what is compared
    pipe_tok = {**pipe, "stages": [{"name": "train", "mix": {"sources": {
        "crawl": {"weight": 1, "run": str(first), "stage": "web"},
        "other": {"weight": 1, "run": str(other), "stage": "short"}}}}]}
    with pytest.raises(ConfigError, match="different tokenizers"):
        run_pipeline(pipeline_from_dict(pipe_tok), tmp_path / "fourth", "inline", log=False, report=False)
    # a source folder that is not there is named before anything is written
    pipe["stages"][0]["mix"]["sources"]["crawl"]["run"] = str(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="crawl.*not a winnow run folder"):
        run_pipeline(pipeline_from_dict(pipe), tmp_path / "third", "inline", log=False, report=False)


@pytest.mark.parametrize("change,message", [
    (lambda p: p["stages"][2]["mix"]["sources"].update(books=1), "mixes 'books', which is not an earlier stage"),
    (lambda p: p["stages"][2]["mix"]["sources"].update(web=0), "weight must be a number > 0"),
    # two sources of one stage would count its documents twice in the ledger: one source with the summed weight
    (lambda p: p["stages"][2]["mix"]["sources"].update(again={"weight": 1, "from": "web"}),
     "sources 'again' and 'web' both read stage web"),
    (lambda p: p["stages"][2]["mix"]["sources"].update(web={"weight": 1, "frm": "web"}), "unknown key"),
    (lambda p: p["stages"][2]["mix"]["sources"].update(web={"weight": 1, "run": "x"}), "run needs a folder and stage"),
    (lambda p: p["stages"][2]["mix"].update(sources={}), "at least one source"),
    (lambda p: p["stages"][2]["mix"].update(files=0), "files must be >= 1"),
    (lambda p: p["stages"][2]["mix"].update(filez=2), "unknown parameter 'filez'; did you mean 'files'"),
    (lambda p: p["stages"][2].update(steps=[{"type": "length"}]), "a mix stage takes no steps"),
    (lambda p: p["stages"][1].update(writer={"type": "jsonl"}), "writes documents: a mix takes token ids"),
    (lambda p: p["stages"][1].update(writer={"type": "nanogpt"}), "different layouts"),
    (lambda p: p["stages"].append({"name": "after", "from": "train"}), "a mix stage, which writes token ids"),
    (lambda p: p.update(on_drop="annotate"), "would mix the documents that failed a check"),
    (lambda p: p["stages"][1].update(writer={"type": "megatron", "tokenizer": "tiktoken:cl100k_base"}),
     "different tokenizers"),
])
def test_the_config_is_checked_before_anything_runs(change, message):
    raw = _pipeline()
    change(raw)
    with pytest.raises(ConfigError, match=message):
        pipeline_from_dict(raw)


def test_validate_warns_about_mix_sources_that_are_not_there(tmp_path, capsys):
    raw = _pipeline(mix={"sources": {"web": 1, "old": {"weight": 1, "run": str(tmp_path / "gone"), "stage": "main"},
                                     "tok": {"weight": 1, "paths": str(tmp_path / "none" / "*.bin")}}})
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    assert main(["validate", str(tmp_path / "p.yaml")]) == 0
    err = capsys.readouterr().err
    assert "mix source 'old'" in err and "not a winnow run folder" in err and "mix source 'tok'" in err


def test_the_resolved_config_round_trips():
    from winnow.config import dump_pipeline, load_yaml

    pipe = pipeline_from_dict(_pipeline())
    again = pipeline_from_dict(load_yaml(dump_pipeline(pipe), "resolved"))
    assert dump_pipeline(again) == dump_pipeline(pipe) and again.stages[2].mix == pipe.stages[2].mix


def test_token_files_and_mix_records_are_not_document_records(tmp_path):
    from winnow.io.fields import record_files

    folder = tmp_path / "kept" / "train"
    folder.mkdir(parents=True)
    # token ids can hold any bytes, a whole JSON line included: read as records they would invent documents
    for name in ("mixed_00000.bin", "mixed_00000.idx", "a.ds", "a.ds.index", "a.ds.metadata", "b.docs.npy",
                 "mixture.json", "shuffle-merge.json", "00000.jsonl.zst"):
        (folder / name).write_bytes(b'{"id": "x", "text": "not a document"}\n')
    (folder / "selection").mkdir()
    assert [p.name for p in record_files(folder)] == ["00000.jsonl.zst"]


def test_a_mix_with_other_arguments_leaves_a_finished_mix_as_it_was(tmp_path):
    from winnow.shuffle_merge import mix

    run_pipeline(pipeline_from_dict(_pipeline()), tmp_path / "run", "inline", log=False, report=False)
    out = tmp_path / "run" / "kept" / "train"
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    sources = {"web": [str(tmp_path / "run" / "kept" / "web" / "*.bin")],
               "short": [str(tmp_path / "run" / "kept" / "short" / "*.bin")]}
    with pytest.raises(ConfigError, match="records another shuffle-merge"):
        mix(sources, {"web": 1, "short": 1}, str(out), files=2, seed=1, executor="inline")  # other weights
    assert {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


def test_a_source_from_another_annotate_run_is_refused(tmp_path):
    # An on_drop: annotate run's tokenized output holds the documents that failed a check too: mixing it from
    # another run would train on them, as a mix inside that run would (refused there by validation).
    first = tmp_path / "first"
    raw = _pipeline(writer="nanogpt")
    raw["stages"] = raw["stages"][:2]
    raw["on_drop"] = "annotate"
    run_pipeline(pipeline_from_dict(raw), first, "inline", log=False, report=False)
    pipe = {"run": {"name": "mix2"}, "executor": {"type": "inline"},
            "stages": [{"name": "train", "mix": {"sources": {"crawl": {"weight": 1, "run": str(first), "stage": "web"}}}}]}
    with pytest.raises(ConfigError, match="crawl.*on_drop: annotate"):
        run_pipeline(pipeline_from_dict(pipe), tmp_path / "second", "inline", log=False, report=False)
    assert not (tmp_path / "second" / "kept" / "train").exists()


def test_a_copied_run_folder_resumes_an_unfinished_mix_with_the_same_bytes(tmp_path):
    # The plan and mixture.json name this run's own files relative to the run folder: a run folder copied or moved
    # elsewhere (another disk, an archive restored) resumes its unfinished mix and writes the same bytes.
    import shutil

    run_dir = tmp_path / "run"
    run_pipeline(pipeline_from_dict(_pipeline()), run_dir, "inline", log=False, report=False)
    out = run_dir / "kept" / "train"
    clean = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and p.name != "shuffle-merge.json"}  # its summary holds CPU seconds and what was resumed
    for rec in ("shuffle-merge.json", "mixture.json"):
        assert str(tmp_path) not in (out / rec).read_text()  # no path of this machine in the records
    # the mix dies after its first output file: the marker, the second file and mixture.json are not there
    (run_dir / "done" / "train" / "mix").unlink()
    (out / "mixed_00001.bin").unlink()
    (out / "mixture.json").unlink()
    moved = tmp_path / "elsewhere" / "run"
    shutil.copytree(run_dir, moved)
    shutil.rmtree(run_dir)
    res = run_pipeline(pipeline_from_dict(_pipeline()), moved, "inline", log=False, report=False)
    out2 = moved / "kept" / "train"
    assert {p.relative_to(out2): p.read_bytes() for p in sorted(out2.rglob("*"))
            if p.is_file() and p.name != "shuffle-merge.json"} == clean
    assert orjson.loads((out2 / "shuffle-merge.json").read_bytes())["resumed"] == 1 and res.stats["stages"][2]["balanced"]
    acc, want = _expected_from_selection(out2, root=moved)
    assert collections.Counter(d for name in _outputs(out2) for d in _docs(out2 / name)) == want


def test_a_file_in_two_sources_is_refused(tmp_path):
    # the same documents under two names would be counted twice in mixture.json's docs_in and the stage's ledger
    from winnow.shuffle_merge import mix

    run_dir = tmp_path / "run"
    raw = _pipeline()
    raw["stages"] = raw["stages"][:2]
    run_pipeline(pipeline_from_dict(raw), run_dir, "inline", log=False, report=False)
    web = str(run_dir / "kept" / "web" / "*.bin")
    with pytest.raises(ConfigError, match="sources 'a' and 'b' both read .*00000.bin"):
        mix({"a": [web], "b": [str(run_dir / "kept" / "web" / "00000.bin")]}, {"a": 1, "b": 1}, str(tmp_path / "out"),
            files=1, executor="inline")
    assert not (tmp_path / "out").exists()
    # in a pipeline: this run's stage and another run's view of the same folder
    pipe = {"run": {"name": "mix2"}, "executor": {"type": "inline"},
            "stages": [{"name": "train", "mix": {"sources": {
                "a": {"weight": 1, "run": str(run_dir), "stage": "web"},
                "b": {"weight": 1, "paths": web}}}}]}
    with pytest.raises(ConfigError, match="sources 'a' and 'b' both read"):
        run_pipeline(pipeline_from_dict(pipe), tmp_path / "second", "inline", log=False, report=False)
