"""A document the writer cannot encode (a value a step or a user's function left that JSON or Parquet cannot hold)
is quarantined alone, with reason ``write_error``; the shard finishes, the ledger balances and the documents file
and its side file stay line-aligned. Before, the whole shard failed and no document of it was written."""

from __future__ import annotations

import orjson
import pytest

from winnow.document import Document
from winnow.io.jsonl import JsonlReader, JsonlWriter
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.pipeline import Pipeline, Stage
from winnow.results import open_run
from winnow.run import run_pipeline
from winnow.steps.generic import FunctionStep


def _tag(doc):
    n = int(doc.id[1:])
    if n % 7 == 3:
        return {"bad": {n}}  # a set: no JSON or Parquet value for it
    if n % 11 == 5 and "drop" in doc.text:
        return False  # rejected documents go through a writer too
    return {"ok": n}


def _input(tmp_path, n=60):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": f"text {i} drop"}) + b"\n" for i in range(n)))
    return src


WRITERS = {
    "jsonl": lambda: JsonlWriter(compression="none"),
    "jsonl_side": lambda: JsonlWriter(compression="none", fields=["id", "text"], side_files=True),
    "parquet": lambda: ParquetWriter(),
    "parquet_fields": lambda: ParquetWriter(fields=["id", "text", "metadata.bad"]),
    "parquet_side": lambda: ParquetWriter(fields=["id", "text"], side_files=True),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_an_unencodable_document_is_quarantined_alone(tmp_path, kind):
    src = _input(tmp_path)
    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src)), steps=[FunctionStep(function=_tag)],
                                  writer=WRITERS[kind]())])
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    run = open_run(tmp_path / "run")
    bad = {f"d{i}" for i in range(60) if i % 7 == 3}
    rej = {f"d{i}" for i in range(60) if i % 11 == 5 and f"d{i}" not in bad}
    quar = list(run.quarantined())
    assert {q["location"].split()[-1] for q in quar} == bad
    assert {q["reason"] for q in quar} == {"write_error"} and all("set" in q["message"] for q in quar)
    kept = [d.id for d in run.kept()]
    assert kept == [f"d{i}" for i in range(60) if f"d{i}" not in bad | rej]
    assert all(d.attributes["function.ok"] == int(d.id[1:]) for d in run.kept())  # side files still in step
    assert {d.id for d in run.rejected()} == rej
    assert run.counts["s1"] == {"in": 60, "kept": len(kept), "rejected": len(rej), "quarantined": len(bad)}
    # the report rebuilds the steps' counts from the records: a document quarantined at the writer went through
    # the steps (stats.json counts it there) but has no record; that is no ledger disagreement
    from winnow.report import load_run
    from winnow.report._collect import collect

    assert collect(load_run(tmp_path / "run"), workers=1).mismatches == []


def _tag_one(doc):
    return {"bad": {1}} if doc.id == "d3" else {"ok": 1}


def test_an_unencodable_document_before_a_corpus_step_is_quarantined_alone(tmp_path):
    # The corpus step collects a document before the pass writes it; a document its pass file cannot hold must not
    # be collected, or the apply pass (which reads the pass file) finds every later document out of step with what
    # was collected and quarantines the rest of the shard.
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": f"text number {i // 2}"}) + b"\n" for i in range(20)))
    from winnow.steps.dedup import ExactDedup

    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src)),
                                  steps=[FunctionStep(function=_tag_one), ExactDedup()])])
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    run = open_run(tmp_path / "run")
    quar = list(run.quarantined())
    assert [(q["location"].split()[-1], q["reason"]) for q in quar] == [("d3", "write_error")]
    # pairs of equal texts: the first of each kept, d2 (d3 never collected) too
    assert [d.id for d in run.kept()] == [f"d{i}" for i in range(0, 20, 2)]
    assert sorted(d.id for d in run.rejected()) == sorted(f"d{i}" for i in range(1, 20, 2) if i != 3)
    assert run.counts["s1"] == {"in": 20, "kept": 10, "rejected": 9, "quarantined": 1}


def _meta(doc):
    # metadata values Parquet's struct column cannot hold, on a run whose writer keeps no side file
    n = int(doc.id[1:])
    doc.metadata["n"] = n
    if n == 5:
        doc.metadata["n"] = "five"  # in the first row group, a type the group's other values cannot share
    if n == 13:
        doc.metadata["n"] = "thirteen"  # after the first row group, another type than the column's (int64)
    if n == 17:
        doc.metadata["n"] = 2 ** 70  # no Parquet (nor JSON) integer holds it
    if n == 21:
        doc.metadata["late"] = "a key no document of the first row group had"
    if n in (2, 22):
        doc.metadata["f"] = 2.5 if n == 2 else 3  # an int in a double column is a double: stored, not refused
    return True


@pytest.mark.parametrize("fmt", ["datatrove", "dolma"])
def test_parquet_without_side_files_quarantines_a_metadata_value_it_cannot_hold(tmp_path, fmt):
    # With side files a value the metadata struct cannot hold is null in the column and whole in the side file.
    # With side_files: false there is nowhere else for it: it was written as null (or its key left out), silently,
    # where the JSONL writer quarantines a document it cannot encode. It is now refused at write time and the
    # document quarantined (write_error) with a message naming the key; every kept document keeps its metadata.
    src = _input(tmp_path, n=30)
    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src)), steps=[FunctionStep(function=_meta)],
                                  writer=ParquetWriter(format=fmt, side_files=False, rows_per_group=8))])
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    run = open_run(tmp_path / "run")
    quar = {q["location"].split()[-1]: q for q in run.quarantined()}
    assert sorted(quar) == ["d13", "d17", "d21", "d5"]
    assert {q["reason"] for q in quar.values()} == {"write_error"}
    assert "'n'" in quar["d13"]["message"] and "'late'" in quar["d21"]["message"]
    reader = ParquetReader(paths=str(tmp_path / "run" / "kept" / "s1" / "**" / "*.parquet"), format=fmt)
    kept = [d for sh in reader.shards() for d in reader.read(sh)]
    assert len(kept) == 26 and run.counts["s1"]["quarantined"] == 4
    for d in kept:
        n = int(d.id[1:])
        assert d.metadata["n"] == n  # nothing nulled
        assert d.metadata.get("f") == ({2: 2.5, 22: 3.0}.get(n))


def _nested_empty(doc):
    doc.metadata["a"] = {"b": {}}
    return True


def test_parquet_with_side_files_leaves_a_nested_empty_dict_to_the_side_file(tmp_path):
    # Parquet cannot write a struct without fields: a metadata value holding an empty dict, typed into the struct
    # column, failed the whole file at close (every document of the shard). Left out of the column, it is whole in
    # the side file.
    src = _input(tmp_path, n=5)
    pipe = Pipeline(stages=[Stage("s1", reader=JsonlReader(paths=str(src)), steps=[FunctionStep(function=_nested_empty)],
                                  writer=ParquetWriter(format="datatrove"))])
    run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    reader = ParquetReader(paths=str(tmp_path / "run" / "kept" / "s1" / "*.parquet"), format="datatrove")
    got = [d for sh in reader.shards() for d in reader.read(sh)]
    assert [(d.id, d.metadata["a"]) for d in got] == [(f"d{i}", {"b": {}}) for i in range(5)]
