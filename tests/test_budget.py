"""The per-document budget (issue 11): a step that runs too long or grows the worker's memory too much on one
document is stopped, the document quarantined with reason ``budget`` naming the step, and the run goes on."""

from __future__ import annotations

import time
from pathlib import Path
from dataclasses import dataclass

import orjson
import pytest

from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.jsonl import JsonlReader, JsonlWriter
from winnow.pipeline import Pipeline, Stage
from winnow.registry import register
from winnow.run import run_pipeline
from winnow.step import Map

from tests.helpers import write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@register("_test_budget_hog")
@dataclass
class Hog(Map):
    """Spins on documents whose text says "spin", sleeps on "sleep", allocates on "alloc"; others pass."""

    def map(self, doc):
        if doc.text == "spin":
            x = 0
            while True:  # pure Python: interrupted between bytecodes
                x += 1
        if doc.text == "sleep":
            time.sleep(3600)  # a C call: interrupted by the signal
        if doc.text == "alloc":
            hog = []
            for _ in range(40):  # up to 320 MiB, in steps slow enough for the 0.25 s tick to see
                hog.append(bytearray(8 << 20))
                time.sleep(0.03)
            raise AssertionError("the memory budget did not stop this document")
        if doc.text == "keep":  # grows the worker by 40 MiB and keeps it (a cache, or a window's documents)
            self._kept = getattr(self, "_kept", [])
            self._kept.extend(bytearray(8 << 20) for _ in range(5))
            time.sleep(0.6)  # long enough for the 0.25 s tick to look while this call runs
        if doc.text == "swallow":
            try:
                time.sleep(3600)
            except Exception:  # a step's own broad except must not swallow the budget
                pass
            time.sleep(3600)
        return doc


def _pipe(tmp_path, texts, **budget) -> Pipeline:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[_step()])], **budget)


def _step():
    from winnow.registry import lookup

    return lookup("_test_budget_hog", "step")()


def _quarantine(run) -> list[dict]:
    return [orjson.loads(line) for f in sorted((run / "quarantine" / "s").glob("*.jsonl"))
            for line in f.read_bytes().splitlines()]


def test_budget_stops_slow_documents_in_a_local_worker(tmp_path):
    texts = ["ok one", "spin", "ok two", "sleep", "swallow", "ok three"]
    t = time.perf_counter()
    with LocalExecutor(workers=1, progress=False) as ex:
        res = run_pipeline(_pipe(tmp_path, texts, max_seconds_per_doc=0.5), tmp_path / "run", ex, log=False,
                           report=False)
    assert time.perf_counter() - t < 60
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (6, 3, 3, True)
    q = _quarantine(tmp_path / "run")
    assert [r["document"]["id"] for r in q] == ["d1", "d3", "d4"]
    assert {r["reason"] for r in q} == {"budget"} and {r["step"] for r in q} == {"_test_budget_hog"}
    assert "step _test_budget_hog stopped on document d1: it ran longer than run.max_seconds_per_doc=0.5 s" \
        in q[0]["message"]


@pytest.mark.timeout(600, method="thread")  # pytest-timeout's signal method would hold SIGALRM
def test_budget_inline_and_disabled(tmp_path):
    res = run_pipeline(_pipe(tmp_path, ["ok", "spin"], max_seconds_per_doc=0.3), tmp_path / "run",
                       InlineExecutor(), log=False, report=False)
    assert res.stats["stages"][0]["quarantined"] == 1
    assert res.stats["stages"][0]["passes"][0]["quarantine_reasons"] == {"budget": 1}


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="RSS from /proc")
def test_memory_budget_stops_a_document_that_grows_the_worker(tmp_path):
    with LocalExecutor(workers=1, progress=False) as ex:
        res = run_pipeline(_pipe(tmp_path, ["ok", "alloc", "ok again"], max_memory_mb_per_doc=64), tmp_path / "run",
                           ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["kept"], s["quarantined"]) == (2, 1)
    (q,) = _quarantine(tmp_path / "run")
    assert q["reason"] == "budget" and "run.max_memory_mb_per_doc=64" in q["message"]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="RSS from /proc")
def test_memory_budget_blames_the_document_whose_step_call_grew_the_worker(tmp_path):
    # Each "keep" grows the worker by 40 MiB and keeps it; two of them are 80 MiB over the shard's start, past the
    # 64 MiB budget, but neither call grew it by more than 40. Measured from the shard's start (as before), d1 was
    # quarantined for what d0 left; measured from each call's start, only d2, which grew it by 320 MiB, is.
    with LocalExecutor(workers=1, progress=False) as ex:
        res = run_pipeline(_pipe(tmp_path, ["keep", "keep", "alloc", "keep", "ok"], max_memory_mb_per_doc=64),
                           tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["kept"], s["quarantined"]) == (4, 1)
    (q,) = _quarantine(tmp_path / "run")
    assert q["document"]["id"] == "d2" and q["reason"] == "budget"


def test_budget_is_a_run_option_in_yaml(tmp_path):
    import yaml

    from winnow.config import dump_pipeline, load_pipeline
    from winnow.errors import ConfigError

    cfg = {"run": {"max_seconds_per_doc": 2}, "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": "x"},
                                                           "steps": ["length"]}]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    pipe = load_pipeline(tmp_path / "p.yaml")
    assert pipe.max_seconds_per_doc == 2.0 and "max_seconds_per_doc: 2.0" in dump_pipeline(pipe)
    cfg["run"]["max_seconds_per_doc"] = "soon"
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="run.max_seconds_per_doc: expected a number"):
        load_pipeline(tmp_path / "p.yaml")
    cfg["run"]["max_seconds_per_doc"] = -1
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="must be >= 0"):
        load_pipeline(tmp_path / "p.yaml")


@register("_test_budget_killer")
@dataclass
class Killer(Map):
    """Kills its worker process on "die" (as the OOM killer would); blocks the timer's signal and sleeps on "hang"
    (a C call that never returns: the signal handler cannot run)."""

    def map(self, doc):
        import os
        import signal

        if doc.text == "die" or doc.text.startswith("die big "):
            os._exit(137)
        if doc.text.startswith("die once:"):  # the first attempt only (a marker file says it happened)
            marker = doc.text.split(":", 1)[1]
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(137)
        if doc.text == "hang":
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            time.sleep(3600)
        return doc


def _killer_pipe(tmp_path, texts, **budget) -> Pipeline:
    from winnow.registry import lookup

    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": f"e{i}", "text": "fine"} for i in range(20)])
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("_test_budget_killer", "step")()])], **budget)


@pytest.mark.parametrize("poison", ["die", "hang"])
def test_a_document_that_kills_its_worker_is_quarantined_and_the_run_goes_on(tmp_path, poison):
    with LocalExecutor(workers=2, retries=2, progress=False) as ex:
        res = run_pipeline(_killer_pipe(tmp_path, ["ok", "ok", poison, "ok"], max_seconds_per_doc=0.5),
                           tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (24, 23, 1, True)
    (q,) = _quarantine(tmp_path / "run")
    assert q["reason"] == "budget" and q["document"]["id"] == "d2"
    assert "the worker died 2 times while on it" in q["message"]


def test_a_worker_killed_once_names_its_document_and_the_outputs_are_as_without_it(tmp_path, capfd):
    # What a user saw after a worker was killed once (kill -9, the OOM killer): nothing. The shard was redone
    # silently, the ordinal the worker died on was in work/ only, and the dead worker's (and the pool's other
    # worker's) temporary files stayed in rejected/ and quarantine/ after the run.
    texts = ["ok", "ok", f"die once:{tmp_path / 'died'}", "ok"]
    with LocalExecutor(workers=2, retries=2, progress=True) as ex:
        res = run_pipeline(_killer_pipe(tmp_path, texts, max_seconds_per_doc=30), tmp_path / "run", ex, log=False,
                           report=False)
    assert (tmp_path / "died").exists()
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"]) == (24, 24, 0)
    stats = orjson.loads((tmp_path / "run" / "stats" / "s" / "p0" / "00000.json").read_bytes())
    assert stats["worker_deaths"] == [{"document": "d2", "ordinal": 3, "deaths": 1}]
    err = capfd.readouterr().err
    assert "s/p0/00000: a worker process died" in err and "a worker died while on document d2" in err
    left = [p for p in (tmp_path / "run").rglob("*") if p.name.startswith(".tmp-")]
    assert left == []
    with LocalExecutor(workers=2, progress=False) as ex:  # the same input, no death
        run_pipeline(_killer_pipe(tmp_path, texts, max_seconds_per_doc=30), tmp_path / "clean", ex, log=False,
                     report=False)
    for sub in ("kept", "rejected", "quarantine"):
        assert sorted(p.relative_to(tmp_path / "run") for p in (tmp_path / "run" / sub).rglob("*")) == \
            sorted(p.relative_to(tmp_path / "clean") for p in (tmp_path / "clean" / sub).rglob("*"))
        for f in (tmp_path / "clean" / sub).rglob("*"):
            if f.is_file():
                assert f.read_bytes() == (tmp_path / "run" / f.relative_to(tmp_path / "clean")).read_bytes(), f


def test_a_worker_killed_once_is_not_blamed_on_its_document(tmp_path):
    """One death (a node lost, an unrelated OOM) retries the shard with every document: only a second death on
    the same document marks it."""
    from winnow.pipeline import Position

    run = tmp_path / "run"
    p = Position(run, "s", 0, "00000")
    p.at(7)
    p.fd = None  # as if the process died here: nothing cleaned up
    assert Position(run, "s", 0, "00000").poison == {}
    again = Position(run, "s", 0, "00000")  # the retry dies on document 7 as well
    again.at(7)
    again.fd = None
    assert Position(run, "s", 0, "00000").poison == {7: 2}


@register("_test_budget_batch_killer")
@dataclass
class BatchKiller(Map):
    """Killer, scoring documents in batches of 4 (as embedding_classifier does)."""

    def batching(self) -> int:
        return 4

    def map(self, doc):
        import os

        if doc.text == "die":
            os._exit(137)
        return doc


def test_a_document_that_kills_its_worker_inside_a_batch_is_found_and_quarantined_alone(tmp_path):
    # d5 is the second of its batch (d4..d7): the attempt after a death inside a batch runs that batch one document
    # at a time, and a death on one of its documents counts the batch's death as that document's first. Before,
    # the batch's first document took the blame and the shard failed after its attempts.
    from winnow.registry import lookup

    texts = ["ok"] * 5 + ["die"] + ["ok"] * 6
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("_test_budget_batch_killer", "step")()])])
    with LocalExecutor(workers=1, retries=2, progress=False) as ex:
        res = run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (12, 11, 1, True)
    (q,) = _quarantine(tmp_path / "run")
    assert q["reason"] == "budget" and q["document"]["id"] == "d5"


@dataclass
class _DyingJsonl(JsonlWriter):
    """JSON Lines, but the worker dies (as the OOM killer kills it) while encoding a document whose text is "die"."""

    def open(self, path, side=None):
        handle = super().open(path, side)
        encode = handle.encode

        def dying(doc):
            if doc.text == "die":
                import os

                os._exit(137)
            return encode(doc)

        handle.encode = dying
        return handle


def test_a_document_that_kills_its_worker_while_it_is_written_is_quarantined(tmp_path):
    # The writer runs after every step of the window (64 documents): a death there used to be blamed on none of
    # them (or on the window's last document), so every attempt died again and the shard failed. The document being
    # written is blamed: after two deaths on it, it is quarantined and the rest of the shard is written.
    texts = ["ok"] * 3 + ["die"] + ["ok"] * 3
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[_step()], writer=_DyingJsonl())])
    with LocalExecutor(workers=1, retries=2, progress=False) as ex:
        res = run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (7, 6, 1, True)
    (q,) = _quarantine(tmp_path / "run")
    assert q["reason"] == "budget" and q["document"]["id"] == "d3"


@pytest.mark.parametrize("workers", [1, 2])
def test_two_documents_that_kill_their_workers_in_two_shards_fail_no_shard(tmp_path, capfd, workers):
    # A worker's death failed every future of the pool, and each was charged an attempt: shards still queued
    # (never started) too. Two hostile documents in two shards (two deaths each before they are quarantined) then
    # used up the 3 attempts of every shard still to run, and the run failed naming shards with no hostile
    # document; the "running the shard again" line was printed once per queued shard. Only the shard of the
    # worker that died is charged now (with two workers, not the one torn down beside it either).
    from winnow.registry import lookup

    for f in range(6):
        texts = ["ok"] * 5 + (["die"] if f in (1, 4) else [])
        write_jsonl(tmp_path / "in" / f"{f}.jsonl", [{"id": f"f{f}d{i}", "text": t} for i, t in enumerate(texts)])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl"), shard_size_mb=0),
                                  steps=[lookup("_test_budget_killer", "step")()])], max_seconds_per_doc=30)
    with LocalExecutor(workers=workers, retries=2, progress=True) as ex:
        res = run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"]) == (32, 30, 2)
    assert sorted(r["document"]["id"] for r in _quarantine(tmp_path / "run")) == ["f1d5", "f4d5"]
    notes = [line for line in capfd.readouterr().err.splitlines() if "a worker process died" in line]
    assert {n.split(":")[0] for n in notes} == {"[winnow] s/p0/00001", "[winnow] s/p0/00004"}, notes


class _DyingOrjson:
    """orjson, but the process dies (as the OOM killer kills a worker building a record of 1 GB of small JSON
    objects, tests/io/test_hostile_input.py) while parsing a line whose text is "die"."""

    def __getattr__(self, name):
        return getattr(orjson, name)

    @staticmethod
    def loads(b):
        if b'"text":"die"' in b:
            import os

            os._exit(137)
        return orjson.loads(b)


@dataclass
class _DyingJsonlReader(JsonlReader):
    """JSON Lines; a worker dies while it parses a line whose text is "die" (no document in hand)."""

    def _read(self, shard):
        import multiprocessing

        import winnow.io.jsonl as jsonl_module

        if multiprocessing.parent_process() is not None:  # in a worker only, not in the test's own process
            jsonl_module.orjson = _DyingOrjson()
        return super()._read(shard)


@dataclass
class _DyingPluginReader(_DyingJsonlReader):
    """The same, as a plugin reader that reports no position to the runner."""

    READ_UNIT = ""


def _reading_run(tmp_path, name, reader_cls, texts, leave_out=""):
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts) if t != leave_out])
    pipe = Pipeline(stages=[Stage("s", reader=reader_cls(paths=str(tmp_path / "in" / "*.jsonl")), steps=[_step()])])
    with LocalExecutor(workers=1, retries=2, progress=False) as ex:
        res = run_pipeline(pipe, tmp_path / f"run-{name}", ex, log=False, report=False)
    return res.stats["stages"][0]


def test_a_record_that_kills_its_reader_twice_is_quarantined_with_its_line(tmp_path, capfd):
    # A worker killed while reading (between windows, no document in hand) blamed nothing: every attempt died on
    # the same line and the shard failed after 3 attempts ("worker process died"), its 6 good documents unwritten;
    # a resume did the same. The reader's line is its position now: killed twice there, the line is quarantined
    # (reader_died, file and line) and the others are written as by a run of the input without that line.
    texts = ["ok", "a", "b", "die", "c", "ok", "d"]
    s = _reading_run(tmp_path, "in", _DyingJsonlReader, texts)
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (7, 6, 1, True)
    (q,) = _quarantine(tmp_path / "run-in")
    assert (q["reason"], q["location"]) == ("reader_died", "line 4") and q["source"].endswith("a.jsonl")
    assert "died 2 times while reading it" in q["message"] and '"d3"' in q["excerpt"]
    err = capfd.readouterr().err
    assert "a worker died while reading line 4 of" in err and "reading it again" in err
    # the same documents, without the hostile line, never killed anything
    _reading_run(tmp_path, "clean", JsonlReader, texts, leave_out="die")
    for sub in ("kept/s", "rejected/s"):
        got = {p.name: p.read_bytes() for p in (tmp_path / "run-in" / sub).rglob("*") if p.is_file()}
        want = {p.name: p.read_bytes() for p in (tmp_path / "run-clean" / sub).rglob("*") if p.is_file()}
        assert got == want and (sub == "rejected/s" or got)


def test_a_reader_without_positions_stops_at_the_record_that_killed_it_twice(tmp_path):
    # A plugin's reader reports no position: the runner counts the records it asks for, and after two deaths at
    # record 4 reads up to it (one reader_died record says the rest was not read) instead of failing the shard.
    s = _reading_run(tmp_path, "in", _DyingPluginReader, ["ok", "a", "b", "die", "c", "ok", "d"])
    assert (s["in"], s["kept"], s["quarantined"], s["balanced"]) == (4, 3, 1, True)
    (q,) = _quarantine(tmp_path / "run-in")
    assert (q["reason"], q["location"]) == ("reader_died", "record 4")
    assert "were not read" in q["message"]


def test_the_record_of_a_document_that_killed_its_worker_twice_is_small(tmp_path):
    # The quarantine record of a skipped document held the whole document: one whose metadata took 1 GB to hold
    # (10 million small JSON arrays in a 31 MB line) killed its worker in the writer twice, then the third attempt
    # in orjson.dumps of that record (a crash under a 1.5 GB address-space limit), so the shard failed anyway.
    from winnow.registry import lookup

    big = {"id": "d1", "text": "die big " + "x" * 10_000, "m": [[] for _ in range(20_000)], "url": "https://a.example/"}
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "d0", "text": "ok"}, big, {"id": "d2", "text": "ok"}])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("_test_budget_killer", "step")()])])
    with LocalExecutor(workers=1, retries=2, progress=False) as ex:
        res = run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["quarantined"]) == (3, 2, 1)
    (f,) = (tmp_path / "run" / "quarantine" / "s").glob("*.jsonl")
    assert f.stat().st_size < 5000
    (q,) = _quarantine(tmp_path / "run")
    d = q["document"]
    assert d["id"] == "d1" and d["text"] == big["text"][:2000] and d["metadata"]["text_chars"] == len(big["text"])
    assert d["metadata"]["url"] == "https://a.example/" and d["metadata"]["left_out"] == ["m"]


def _kept_records(run) -> dict[str, dict]:
    import zstandard

    out = {}
    for f in sorted((run / "kept").rglob("*.jsonl*")):
        raw = f.read_bytes()
        if f.suffix == ".zst":
            raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
        for line in raw.splitlines():
            d = orjson.loads(line)
            out[d["id"]] = d
    return out


def test_a_step_stopped_inside_its_shared_token_table_leaves_later_documents_judged_alike(tmp_path, monkeypatch):
    # A step stopped midway through updating state it shares across documents (gopher's token table: chunks entered
    # without their token ids) judged every later document of the process with the broken table: speed28 saw
    # gopher_quality reject 45 of 311 documents instead of 15 after a budget stop. The runner now has the table
    # started afresh after any step it stopped (winnow.step.after_interrupt).
    from winnow.pipeline import BudgetExceeded
    from winnow.registry import lookup
    from winnow.steps import quality

    pages = [orjson.loads(x)["text"] for x in
             (FIXTURES / "coherence" / "aeb-articles.jsonl").read_bytes().splitlines()][:12]
    records = [{"id": f"p{i}", "text": t} for i, t in enumerate(pages)]

    def run(name: str, first: list[dict]) -> dict[str, dict]:
        write_jsonl(tmp_path / name / "in.jsonl", first + records)
        pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / name / "in.jsonl")),
                                      steps=[lookup("gopher_quality", "step")()], writer=JsonlWriter())])
        quality._fresh_table()
        run_pipeline(pipe, tmp_path / name / "run", InlineExecutor(), log=False, report=False)
        return _kept_records(tmp_path / name / "run")

    want = run("plain", [])
    stops = {"n": 0}

    def stopped_midway(real, python_table: bool):
        def f(self, *a, **k):
            stops["n"] += 1
            if stops["n"] == 1:  # the first document: its new chunks are in the table, their token ids are not
                if python_table:  # (the C table has entered them already when `enter` is called)
                    self.chunks[a[0][0]] = len(self.chunks)
                raise BudgetExceeded("stopped inside the table's update")
            return real(self, *a, **k)
        return f

    monkeypatch.setattr(quality._Vocab, "enter", stopped_midway(quality._Vocab.enter, False))
    monkeypatch.setattr(quality._Vocab, "chunk_ids", stopped_midway(quality._Vocab.chunk_ids, True))
    got = run("stopped", [{"id": "hostile", "text": "the " + pages[3]}])
    assert stops["n"] > 1
    assert _quarantine(tmp_path / "stopped" / "run")[0]["document"]["id"] == "hostile"
    # (metadata names each record's line, one further down with the hostile record first)
    assert {k: (d["text"], d["attributes"]) for k, d in got.items()} == \
        {k: (d["text"], d["attributes"]) for k, d in want.items()}


def test_a_document_that_kills_its_worker_twice_in_a_dedup_apply_pass_leaves_the_rest_matched(tmp_path):
    # The apply pass of a dedup step matches documents to its decisions by position (CorpusStep's contract). A
    # document skipped there after two worker deaths never reached the step, so every later document of the shard
    # was matched with the row of the one before it: 4 of 7 documents quarantined as step_error ('document 2 of
    # this shard is 'd3' but was collected as 'd2''), d2 kept without its cluster. The runner now announces the
    # skipped document to the step (CorpusStep.skipped).
    from winnow.registry import lookup

    texts = ["a", "die", "b", "b", "c", "c", "d"]
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[lookup("exact_dedup", "step")(normalize="none"),
                                         lookup("_test_budget_killer", "step")()])], max_seconds_per_doc=30)
    with LocalExecutor(workers=1, retries=2, progress=False) as ex:
        res = run_pipeline(pipe, tmp_path / "run", ex, log=False, report=False)
    s = res.stats["stages"][0]
    assert (s["in"], s["kept"], s["rejected"], s["quarantined"], s["balanced"]) == (7, 4, 2, 1, True)
    (q,) = _quarantine(tmp_path / "run")
    assert q["reason"] == "budget" and q["document"]["id"] == "d1"
    kept = _kept_records(tmp_path / "run")
    assert sorted(kept) == ["d0", "d2", "d4", "d6"]
    assert kept["d2"]["attributes"]["exact_dedup.cluster_size"] == 2
