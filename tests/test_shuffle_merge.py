"""winnow shuffle-merge: tokenized shards into N files, one seeded global shuffle; nothing lost or doubled,
deterministic, resumable after a crash, on the inline and local executors and from the CLI."""

from __future__ import annotations

import collections
import os

import numpy as np
import orjson
import pytest

from winnow.cli import main
from winnow.document import Document
from winnow.errors import ConfigError
from winnow.io import tokenized
from winnow.io.tokenized import FORMATS, IDS, companion_path, read_tokenized
from winnow.shuffle_merge import assignments, shuffle_merge

from tests.conftest import sample_docs
from tests.io.test_tokenized import datatrove_read, megatron_read, nanogpt_read

DOCS = [Document(d.id, d.text[:400]) for d in sample_docs(120)]


def _inputs(folder, fmt, n_files=3):
    w = FORMATS[fmt]()  # bytes tokenizer, EOS appended
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n_files):
        h = w.open(folder / f"{k:05d}{w.extension}")
        for d in DOCS[k::n_files]:
            h.write(d)
        h.close()
    return str(folder / f"*{w.extension}")


def _read(path, fmt):
    if fmt == "megatron":
        return megatron_read(str(path)[: -len(".bin")])[0]
    if fmt == "datatrove":
        return datatrove_read(path)
    return nanogpt_read(path)[0]


def _outputs(folder, fmt, prefix="shuffled"):
    ext = FORMATS[fmt].extension
    return {p.name: p.read_bytes() for p in sorted(folder.glob(f"{prefix}_*{ext}"))}


@pytest.mark.parametrize("fmt", ["megatron", "datatrove", "nanogpt"])
def test_every_document_once_in_a_seeded_order(tmp_path, fmt):
    pattern = _inputs(tmp_path / "in", fmt)
    out = shuffle_merge([pattern], str(tmp_path / "out"), files=4, seed=7, executor="inline")
    assert out["docs"] == len(DOCS) and out["resumed"] == 0
    got = []
    for name in sorted(_outputs(tmp_path / "out", fmt)):
        docs = _read(tmp_path / "out" / name, fmt)
        assert docs  # 120 documents into 4 files: none empty
        got += docs
    want = [list(d.text.encode()) + [256] for d in DOCS]  # the bytes tokenizer's ids and its EOS
    assert collections.Counter(map(tuple, got)) == collections.Counter(map(tuple, want))
    assert got != sorted(want) and got != want  # shuffled, not concatenated
    # deterministic: the same seed writes the same bytes; another seed another order
    shuffle_merge([pattern], str(tmp_path / "again"), files=4, seed=7, executor="inline")
    assert _outputs(tmp_path / "again", fmt) == _outputs(tmp_path / "out", fmt)
    shuffle_merge([pattern], str(tmp_path / "other"), files=4, seed=8, executor="inline")
    assert _outputs(tmp_path / "other", fmt) != _outputs(tmp_path / "out", fmt)


def test_resume_after_a_crash_and_a_lost_file_writes_the_same_bytes(tmp_path, monkeypatch):
    pattern = _inputs(tmp_path / "in", "megatron")
    shuffle_merge([pattern], str(tmp_path / "clean"), files=3, seed=1, executor="inline")
    clean = _outputs(tmp_path / "clean", "megatron")
    # crash while writing the second output file
    real = tokenized._MegatronSink.append
    calls = {"n": 0}

    def flaky(self, ids, doc_id=None):
        calls["n"] += 1
        if calls["n"] == 50:
            raise OSError("disk went away")
        real(self, ids, doc_id)

    monkeypatch.setattr(tokenized._MegatronSink, "append", flaky)
    with pytest.raises(OSError, match="disk went away"):
        shuffle_merge([pattern], str(tmp_path / "out"), files=3, seed=1, executor="inline")
    monkeypatch.setattr(tokenized._MegatronSink, "append", real)
    left = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert left == ["shuffle-merge.json", "shuffled_00000.bin", "shuffled_00000.ids.jsonl",
                    "shuffled_00000.idx"]  # no partial file
    out = shuffle_merge([pattern], str(tmp_path / "out"), files=3, seed=1, executor="inline")
    assert out["resumed"] == 1 and _outputs(tmp_path / "out", "megatron") == clean
    # a lost output is written again, identically
    (tmp_path / "out" / "shuffled_00002.bin").unlink()
    out = shuffle_merge([pattern], str(tmp_path / "out"), files=3, seed=1, executor="inline")
    assert out["resumed"] == 2 and _outputs(tmp_path / "out", "megatron") == clean
    assert (tmp_path / "out" / "shuffled_00002.idx").read_bytes() == (tmp_path / "clean" / "shuffled_00002.idx").read_bytes()


def test_other_arguments_or_changed_inputs_are_refused(tmp_path):
    pattern = _inputs(tmp_path / "in", "nanogpt")
    shuffle_merge([pattern], str(tmp_path / "out"), files=2, seed=1, executor="inline")
    with pytest.raises(ConfigError, match="another shuffle-merge"):
        shuffle_merge([pattern], str(tmp_path / "out"), files=2, seed=2, executor="inline")
    with pytest.raises(ConfigError, match="mix tokenized layouts"):
        ds = _inputs(tmp_path / "in", "datatrove")
        shuffle_merge([pattern, ds], str(tmp_path / "x"), files=2, executor="inline")
    with pytest.raises(ConfigError, match="no tokenized file"):
        shuffle_merge([str(tmp_path / "nothing" / "*.bin")], str(tmp_path / "y"), files=2, executor="inline")


def test_assignments_are_uniform_and_small():
    a = assignments(0, 3, 100_000, 10)
    assert a.dtype.itemsize == 1 and (a == assignments(0, 3, 100_000, 10)).all()
    counts = collections.Counter(a.tolist())
    assert sorted(counts) == list(range(10)) and min(counts.values()) > 9_000  # expected 10,000 each


def test_cli_on_the_local_executor(tmp_path, capsys):
    pattern = _inputs(tmp_path / "in", "datatrove")
    assert main(["shuffle-merge", pattern, "-o", str(tmp_path / "out"), "--files", "2", "--seed", "3",
                 "--workers", "2"]) == 0
    assert f"{len(DOCS):,} documents" in capsys.readouterr().out
    shuffle_merge([pattern], str(tmp_path / "inline"), files=2, seed=3, executor="inline")
    assert _outputs(tmp_path / "out", "datatrove") == _outputs(tmp_path / "inline", "datatrove")
    tf = read_tokenized(tmp_path / "out" / "shuffled_00000.ds", "datatrove")
    assert tf.tokenizer == "bytes"  # the metadata names the tokenizer, as datatrove's does


@pytest.mark.parametrize("fmt", ["megatron", "datatrove", "nanogpt"])
def test_an_empty_shard_is_read_and_merged(tmp_path, fmt):
    # a shard whose documents were all rejected still writes its (empty) files. np.memmap (nanoGPT's and Megatron's
    # readers) refuses an empty file, so such a shard is for shuffle-merge, whose reader takes it
    w = FORMATS[fmt]()
    (tmp_path / "in").mkdir()
    w.open(tmp_path / "in" / f"empty{w.extension}").close()
    assert len(read_tokenized(tmp_path / "in" / f"empty{w.extension}", fmt)) == 0
    pattern = _inputs(tmp_path / "in", fmt)
    out = shuffle_merge([pattern], str(tmp_path / "out"), files=2, seed=0, executor="inline")
    assert out["docs"] == len(DOCS) and len(out["plan"]["inputs"]) == 4


def test_mix_weights_tokens_repeats_a_short_source_and_records_the_mixture(tmp_path, capsys):
    from winnow.shuffle_merge import mix

    big = _inputs(tmp_path / "big", "nanogpt", n_files=3)  # 120 documents
    small_docs = [Document(f"s{d.id}", "SMALL " + d.text) for d in DOCS[:10]]  # not in the big source
    w = FORMATS["nanogpt"]()
    (tmp_path / "small").mkdir()
    h = w.open(tmp_path / "small" / "00000.bin")
    for d in small_docs:
        h.write(d)
    h.close()
    have_big = sum(len(d.text.encode()) + 1 for d in DOCS)
    have_small = sum(len(d.text.encode()) + 1 for d in small_docs)
    total = have_big  # ask for as many tokens as the big source has, half from each source
    out = mix({"big": [big], "small": [str(tmp_path / "small" / "*.bin")]}, {"big": 1, "small": 1},
              str(tmp_path / "out"), files=3, seed=5, tokens=total, executor="inline")
    m = out["mixture"]
    assert m["small"]["full_repetitions"] == (total // 2) // have_small >= 2  # the short source repeats
    assert m["big"]["full_repetitions"] == 0 and 0 < m["big"]["partial"] < 1
    longest = max(len(d.text.encode()) + 1 for d in DOCS)
    for name in ("big", "small"):  # at least the target, over it by less than one document
        assert m[name]["target_tokens"] <= m[name]["tokens"] < m[name]["target_tokens"] + longest
    got = []
    for name in sorted(_outputs(tmp_path / "out", "nanogpt", "mixed")):
        got += _read(tmp_path / "out" / name, "nanogpt")
    assert sum(map(len, got)) == out["tokens"] == m["big"]["tokens"] + m["small"]["tokens"]
    counts = collections.Counter(map(tuple, got))
    small_ids = [tuple(list(d.text.encode()) + [256]) for d in small_docs]
    reps = m["small"]["full_repetitions"]
    # every small document at least `reps` times, the partial repetition adds one copy to some
    mult = collections.Counter(small_ids)  # two pages may share their first 400 characters
    assert all(reps * n <= counts[t] <= (reps + 1) * n for t, n in mult.items())
    assert sum(counts[t] for t in mult) == m["small"]["docs"]
    # recorded beside the outputs, deterministic
    import orjson

    assert orjson.loads((tmp_path / "out" / "shuffle-merge.json").read_bytes())["mixture"] == m
    assert main(["mix", "--source", f"big=1:{big}", "--source", f"small=1:{tmp_path / 'small' / '*.bin'}",
                 "-o", str(tmp_path / "cli"), "--files", "3", "--seed", "5", "--tokens", str(total),
                 "--executor", "inline"]) == 0
    assert "full repetitions" in capsys.readouterr().out
    assert _outputs(tmp_path / "cli", "nanogpt", "mixed") == _outputs(tmp_path / "out", "nanogpt", "mixed")
    with pytest.raises(ConfigError, match="every source needs a weight"):
        mix({"a": [big]}, {"b": 1}, str(tmp_path / "x"), files=1)


@pytest.mark.parametrize("tokens", [600, 5_000, 21_000, 100_001])
def test_mix_realises_each_target_within_one_document_and_a_small_target_still_selects(tmp_path, tokens):
    # The partial repetition takes a seeded random order of each input file's documents up to and including the one
    # that reaches the file's budget, and each file's budget is what the source still lacks of its target through
    # that file: a source realises at least its target and less than one document more, however many files it has.
    # (A prefix that stayed within each file's budget fell short by up to a document per file, and selected nothing
    # when every file's share was under its first drawn document.)
    from winnow.shuffle_merge import mix

    big = _inputs(tmp_path / "big", "nanogpt", n_files=5)  # 120 documents of 400 characters, in 5 files
    small = _inputs(tmp_path / "small", "nanogpt", n_files=2)
    longest = max(len(d.text.encode()) + 1 for d in DOCS)
    for seed in (0, 1, 2):
        out = mix({"big": [big], "small": [small]}, {"big": 2, "small": 1}, str(tmp_path / f"out-{seed}"), files=2,
                  seed=seed, tokens=tokens, executor="inline")
        for m in out["mixture"].values():
            assert m["docs"] >= 1  # a target under every file's first document still selects documents
            assert m["target_tokens"] <= m["tokens"] < m["target_tokens"] + longest
        # (winnow's reader: an output may be empty, which nanoGPT's memory map refuses)
        got = sum(int(read_tokenized(tmp_path / f"out-{seed}" / n, "nanogpt").bounds[-1])
                  for n in _outputs(tmp_path / f"out-{seed}", "nanogpt", "mixed"))
        assert got == out["tokens"] == sum(m["tokens"] for m in out["mixture"].values())


@pytest.mark.parametrize("fmt", ["megatron", "datatrove", "nanogpt"])
def test_outputs_name_their_documents_in_ids_files_when_the_inputs_do(tmp_path, fmt):
    # The tokenized writers write <shard>.ids.jsonl beside each tokens file; a shuffle-merge's (and a mix's) outputs
    # wrote none, so `winnow explain` could not find a document they held. Each output names its documents now, in
    # its order, with the span of each in it; an input without an ids file (written with doc_ids: false, or by
    # another tool) leaves every output without one rather than some documents unnamed.
    pattern = _inputs(tmp_path / "in", fmt)
    shuffle_merge([pattern], str(tmp_path / "out"), files=3, seed=4, executor="inline")
    ext = FORMATS[fmt].extension
    by_id = {d.id: d.text for d in DOCS}
    seen = []
    for path in sorted((tmp_path / "out").glob(f"shuffled_*{ext}")):
        tf = read_tokenized(path, fmt)
        names = [orjson.loads(x) for x in companion_path(path, ext, IDS).read_bytes().splitlines()]
        assert len(names) == len(tf)
        for i, rec in enumerate(names):
            doc = tf.document(i)
            assert (rec["start"], rec["tokens"]) == (int(tf.bounds[i]), len(doc))
            assert bytes(doc.tolist()[:-1]).decode("utf-8", "replace") == by_id[rec["id"]]  # bytes tokenizer + EOS
            seen.append(rec["id"])
    assert sorted(seen) == sorted(by_id)
    companion_path(tmp_path / "in" / f"00001{ext}", ext, IDS).unlink()
    shuffle_merge([pattern], str(tmp_path / "none"), files=3, seed=4, executor="inline")
    assert not list((tmp_path / "none").glob(f"*{IDS}"))
    assert _outputs(tmp_path / "none", fmt) == _outputs(tmp_path / "out", fmt)  # the tokens are the same


def _rchar() -> int:
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def _names_by_whole_ids_files(out, ext, files, seed):
    """Each output's document ids as reading every input's ids file whole gives them (what the outputs held before
    the ids were grouped by output): the picked lines of each input in turn, then the output's permutation."""
    plan = orjson.loads((out / "shuffle-merge.json").read_bytes())["plan"]
    for j in range(files):
        ids = []
        for k, inp in enumerate(plan["inputs"]):
            lines = companion_path(out / inp["path"], ext, IDS).read_bytes().splitlines()  # absolute or in out
            here = assignments(seed, k, inp["docs"], files) == j
            if "budget" in inp:
                here &= np.load(out / inp["selection"]) > inp["rep"]
            ids += [orjson.loads(lines[i])["id"] for i in np.flatnonzero(here)]
        yield [ids[i] for i in np.random.default_rng([seed, files, j]).permutation(len(ids))]


def _names(out, ext, prefix):
    return [[orjson.loads(x)["id"] for x in companion_path(p, ext, IDS).read_bytes().splitlines()]
            for p in sorted(out.glob(f"{prefix}_*{ext}"))]


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="counts read() bytes in /proc/self/io (Linux)")
def test_each_output_reads_its_own_ids_only_and_names_its_documents_as_before(tmp_path, monkeypatch):
    # Every output task read every input's ids file whole: with F outputs the ids were read F times (with 1,000
    # outputs the largest I/O term) and a task held ~90 bytes per document of the largest input. Each input's ids
    # file is now read once and grouped by output, and a task reads its own range: the ids are read about twice
    # in all, whatever F, and each output names the same documents in the same order.
    from winnow import shuffle_merge as sm

    files, ext = 12, ".bin"
    pattern = _inputs(tmp_path / "in", "megatron")
    bare = _inputs(tmp_path / "bare", "megatron")
    for p in (tmp_path / "bare").glob(f"*{IDS}"):
        p.unlink()
    ids_bytes = sum(p.stat().st_size for p in (tmp_path / "in").glob(f"*{IDS}"))
    shuffle_merge([bare], str(tmp_path / "warm"), files=files, seed=2, executor="inline")  # imports read files too
    r0 = _rchar()
    shuffle_merge([bare], str(tmp_path / "without"), files=files, seed=2, executor="inline")
    r1 = _rchar()
    shuffle_merge([pattern], str(tmp_path / "out"), files=files, seed=2, executor="inline")
    r2 = _rchar()
    ids_read = (r2 - r1) - (r1 - r0)  # the same merge but for the ids files: their reads
    assert ids_bytes <= ids_read < 3 * ids_bytes, (ids_read, ids_bytes)  # reading them whole per task: 12x
    assert _names(tmp_path / "out", ext, "shuffled") == list(_names_by_whole_ids_files(tmp_path / "out", ext, files, 2))
    assert not (tmp_path / "out" / sm.BY_OUTPUT).exists()
    assert _outputs(tmp_path / "out", "megatron") == _outputs(tmp_path / "without", "megatron")

    # a mix's partial repetition (only the sampled documents of an input) and a whole one (the same file again)
    small = _inputs(tmp_path / "small", "megatron", n_files=2)
    out = sm.mix({"big": [pattern], "small": [small]}, {"big": 1, "small": 3}, str(tmp_path / "mix"), files=3, seed=5,
              executor="inline")
    assert out["mixture"]["small"]["full_repetitions"] >= 1 and 0 < out["mixture"]["small"]["partial"] < 1
    clean = _names(tmp_path / "mix", ext, "mixed")
    assert clean == list(_names_by_whole_ids_files(tmp_path / "mix", ext, 3, 5))

    # resumed after a crash in the second output: the ids grouped by output are gone, and written again the same
    real = tokenized._MegatronSink.append
    calls = {"n": 0}

    def flaky(self, ids, doc_id=None):
        calls["n"] += 1
        if calls["n"] == out["outputs"][0]["docs"] + 5:
            raise OSError("disk went away")
        real(self, ids, doc_id)

    monkeypatch.setattr(tokenized._MegatronSink, "append", flaky)
    with pytest.raises(OSError, match="disk went away"):
        sm.mix({"big": [pattern], "small": [small]}, {"big": 1, "small": 3}, str(tmp_path / "again"), files=3, seed=5,
            executor="inline")
    monkeypatch.setattr(tokenized._MegatronSink, "append", real)
    assert not (tmp_path / "again" / sm.BY_OUTPUT).exists()
    again = sm.mix({"big": [pattern], "small": [small]}, {"big": 1, "small": 3}, str(tmp_path / "again"), files=3,
                   seed=5, executor="inline")
    assert again["resumed"] == 1 and _names(tmp_path / "again", ext, "mixed") == clean
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").glob(f"mixed_*{IDS}")} == \
        {p.name: p.read_bytes() for p in (tmp_path / "mix").glob(f"mixed_*{IDS}")}


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="counts read() bytes in /proc/self/io (Linux)")
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_output_reads_its_own_documents_bounds_not_every_inputs_index(tmp_path, monkeypatch, fmt):
    # Every output task read every input's token index whole (~20 bytes per document of the corpus, F times with F
    # outputs). A task per input now reads its index once and writes its documents' bounds grouped by output; an
    # output task reads 16 bytes per document it holds, so the output tasks together read about 16 bytes per
    # document, whatever F, and write the same bytes as before.
    from winnow import shuffle_merge as sm

    files = 12
    pattern = _inputs(tmp_path / "in", fmt)
    for p in (tmp_path / "in").glob(f"*{IDS}"):  # the ids files' reads are test_each_output_reads_its_own_ids_only's
        p.unlink()
    docs = sum(len(read_tokenized(p, fmt)) for p in sorted((tmp_path / "in").glob(f"*{FORMATS[fmt].extension}")))
    shuffle_merge([pattern], str(tmp_path / "warm"), files=files, seed=3, executor="inline")  # imports read files too
    read = collections.Counter()
    real = sm._run_task

    def measured(task):
        r0 = _rchar()
        res = real(task)
        read[type(task).__name__] += _rchar() - r0
        return res

    monkeypatch.setattr(sm, "_run_task", measured)
    shuffle_merge([pattern], str(tmp_path / "out"), files=files, seed=3, executor="inline")
    # 16 bytes a document, plus a writer's own small reads (datatrove's, ~120 bytes an output); reading every index
    # whole read ~12 x 8 (datatrove) to 12 x 20 (megatron) bytes a document
    assert read["_OutputTask"] <= 16 * docs + 256 * files, (read, docs)
    assert not (tmp_path / "out" / sm.BY_OUTPUT).exists()
    assert _all(tmp_path / "out") == _all(tmp_path / "warm")  # the indexes too
    # resumed after the output tasks' first outputs were written: the same bytes
    (tmp_path / "out" / sm.output_name(orjson.loads((tmp_path / "out" / sm.PLAN_NAME).read_bytes())["plan"], 5)).unlink()
    again = shuffle_merge([pattern], str(tmp_path / "out"), files=files, seed=3, executor="inline")
    assert again["resumed"] == files - 1
    assert _all(tmp_path / "out") == _all(tmp_path / "warm")


def _all(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "shuffle-merge.json"}


def test_a_killed_writers_temporary_files_are_removed_by_the_resume(tmp_path):
    # kill -9 while an output is written leaves '.tmp-HOST-PID-shuffled_00001.bin' (and its .ids.jsonl) beside the
    # outputs; the resume wrote the output again and left them, a partial tokens file that Path.glob('*.bin') lists
    import subprocess
    import sys

    pattern = _inputs(tmp_path / "in", "nanogpt")
    out = tmp_path / "out"
    first = shuffle_merge([pattern], str(out), files=3, seed=1, executor="inline")
    code = ("import os, sys\nfrom winnow.io.base import atomic_path\nheld = []\nfor name in sys.argv[1:]:\n"
            "    held.append(atomic_path(name))\n    open(held[-1].__enter__(), 'wb').write(b'partial')\n"
            "os._exit(9)")  # killed inside the blocks: no rename, no clean-up
    names = [str(out / "shuffled_00001.bin"), str(out / "shuffled_00001.ids.jsonl"),
             str(out / ".by-output" / "0.bounds")]
    subprocess.run([sys.executable, "-c", code, *names], check=False,
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    left = sorted(p.name for p in out.rglob(".tmp-*"))
    assert len(left) == 3
    from winnow.io.base import atomic_path

    with atomic_path(out / "shuffled_00002.bin") as live:  # a temporary of a process still running stays
        live.write_bytes(b"being written")
        again = shuffle_merge([pattern], str(out), files=3, seed=1, executor="inline")
        assert sorted(p.name for p in out.rglob(".tmp-*")) == [live.name]
    assert again["resumed"] == 3 and again["docs"] == first["docs"]


def test_a_url_output_or_input_is_refused_not_written_to_a_local_folder(tmp_path, monkeypatch, capsys):
    # -o s3://bucket/x wrote a local folder 's3:/bucket/x' and said "... in 2 files under s3://bucket/x"
    monkeypatch.chdir(tmp_path)
    pattern = _inputs(tmp_path / "in", "nanogpt")
    for argv in (["shuffle-merge", pattern, "-o", "s3://bucket/x", "--files", "2"],
                 ["mix", "--source", f"a=1:{pattern}", "-o", "s3://bucket/x", "--files", "2"],
                 ["shuffle-merge", "s3://bucket/in/*.bin", "-o", "out", "--files", "2"]):
        assert main([*argv, "--executor", "inline"]) == 2, argv
        assert "local" in capsys.readouterr().err
    assert not (tmp_path / "s3:").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["megatron", "datatrove", "nanogpt"])
@pytest.mark.parametrize("how", ["cut", "grown", "odd", "index_cut"])
def test_an_input_whose_tokens_do_not_match_its_index_is_refused_naming_it(tmp_path, fmt, how):
    # Megatron and datatrove inputs were mapped as they were: one token short, the last document came out cut and
    # the run ended "an output file was changed since it was written"; one token more, it was left out silently;
    # cut in the middle of a token, or an index cut, numpy's own ValueError named no file (a traceback from the CLI).
    pattern = _inputs(tmp_path / "in", fmt)
    ext = FORMATS[fmt].extension
    victim = tmp_path / "in" / f"00001{ext}"
    data = victim.read_bytes()
    if how == "index_cut":
        comp = {"megatron": ".idx", "datatrove": ".ds.index", "nanogpt": ".docs.npy"}[fmt]
        c = companion_path(victim, ext, comp)
        c.write_bytes(c.read_bytes()[:-5])
    else:
        victim.write_bytes({"cut": data[:-2], "grown": data + b"\x01\x00", "odd": data[:-1]}[how])
    with pytest.raises(ConfigError, match=f"input {victim}: "):
        shuffle_merge([pattern], str(tmp_path / "out"), files=2, fmt=fmt, executor="inline")
    assert not (tmp_path / "out").exists() or not _outputs(tmp_path / "out", fmt)
