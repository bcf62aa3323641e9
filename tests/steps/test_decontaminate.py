"""decontaminate: a made-up benchmark planted into real pages at known places is found everywhere it was planted
and nowhere else; both variants; drop and edit; the index is built once per process."""

from __future__ import annotations

import gzip
import random

import orjson
import pytest

from winnow.document import Document, undo_edits
from winnow.step import Context
from winnow.steps import contamination as dc
from winnow.steps.contamination import Decontaminate, build_index, tokenize

from tests.conftest import SHARED, sample_docs

# An invented benchmark (no real evaluation set): question, answer, and a multiple-choice list.
BENCH = [
    {"question": "Which river did the imaginary kingdom of Varnholt use to carry timber from its northern forests?",
     "answer": "The Silverbrook, whose spring floods floated pine logs down to the sawmills at Kettering Ford."},
    {"question": "According to the almanac, what colour do the lanterns of the Glass Harbour festival turn at dusk?",
     "answer": "They glow a deep amber first and then shift to violet once the tide has turned fully."},
    {"question": "How many brass bells hang in the clock tower of the fictional town of Emberwick Hollow?",
     "answer": "Seventeen bells, each cast by a different family of founders over three hundred years."},
    {"question": "What did the traveller trade for passage across the salt marsh in the old ballad?",
     "answer": "A silver thimble, a map drawn on birch bark and the last verse of a song nobody remembered."},
    {"question": "Which ingredient makes the winter bread of the mountain villages turn green when it is baked?",
     "answer": "A paste of crushed nettle leaves folded into the dough together with goat butter and honey."},
]


def _write_bench(tmp_path, rows=BENCH, name="fable_qa.jsonl"):
    p = tmp_path / name
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return p


def _plant(docs, seed=5, every=3):
    """Insert a benchmark answer (with its question before it, for half of them) into every third document at a
    paragraph boundary; return the new documents and, for each planted one, (record number, start, end)."""
    rng = random.Random(seed)
    out, planted = [], {}
    for i, d in enumerate(docs):
        text = d.text
        if i % every == 0:
            k = rng.randrange(len(BENCH))
            piece = BENCH[k]["answer"] if i % 2 else BENCH[k]["question"] + "\n" + BENCH[k]["answer"]
            cuts = [j for j in range(len(text)) if text.startswith("\n", j)] or [len(text)]
            at = cuts[rng.randrange(len(cuts))]
            text = text[:at] + "\n" + piece + "\n" + text[at:]
            planted[d.id] = (k + 1, at + 1, at + 1 + len(piece))
        out.append(Document(d.id, text))
    return out, planted


@pytest.fixture(autouse=True)
def _fresh_index_cache():
    dc._INDEXES.clear()
    yield
    dc._INDEXES.clear()


@pytest.mark.parametrize("variant", ["gpt3", "datatrove"])
def test_every_planted_overlap_is_found_and_nothing_else(tmp_path, variant):
    bench = _write_bench(tmp_path)
    docs, planted = _plant(sample_docs(90))
    step = Decontaminate(benchmarks=[str(bench)], variant=variant, fields=["answer"], action="drop")
    step.validate()
    out = list(step(docs))
    flagged = {d.id for d in out if d.drop is not None}
    assert flagged == set(planted) and len(planted) == 30
    for d in out:
        if d.id in planted:
            rec = planted[d.id][0]
            assert d.drop.reason == "contaminated"
            assert d.attributes["decontaminate.benchmark"] == "fable_qa"
            assert d.attributes["decontaminate.record"] == rec
            ngram = d.attributes["decontaminate.ngram"]
            assert len(ngram.split()) == (13 if variant == "gpt3" else 12)
            assert ngram in " ".join(tokenize(BENCH[rec - 1]["answer"], variant)[0])
        else:
            assert d.attributes["decontaminate.matches"] == 0


def test_gpt3_edit_cuts_the_planted_text_with_its_window(tmp_path):
    bench = _write_bench(tmp_path)
    docs, planted = _plant(sample_docs(60))
    step = Decontaminate(benchmarks=[str(bench)], fields=["question", "answer"])  # gpt3: edit by default
    for d in step(docs):
        if d.id not in planted:
            assert not d.edits and d.drop is None
            continue
        rec, start, end = planted[d.id]
        if d.drop is not None:  # everything was within the windows, or pieces were too short
            assert d.drop.reason in ("contaminated", "too_many_pieces")
            continue
        assert all(e.reason == "contaminated" for e in d.edits)
        assert BENCH[rec - 1]["answer"] not in d.text
        before = undo_edits(d.text, d.edits)
        assert before[start:end].endswith(BENCH[rec - 1]["answer"])  # nothing lost: the cut text is recorded
        removed = [(e.start, e.end) for e in d.edits]
        # one cut spans the planted answer and 200 characters on each side (to the text's edges at most; its last
        # word ends one character before the period)
        a_start = end - len(BENCH[rec - 1]["answer"])
        assert any(s <= max(0, a_start - 200) and e >= min(len(before), end - 1 + 200) for s, e in removed)


def test_gpt3_drops_a_document_cut_into_too_many_pieces(tmp_path):
    bench = _write_bench(tmp_path)
    # pieces of 850 characters stay at least 450 long after the 200-character windows on both sides
    filler = "Plain unrelated sentences about gardening fill this part of the page at some length. " * 10
    text = ("\n".join(filler + "\n" + BENCH[i % 5]["answer"] for i in range(12))) + "\n" + filler
    d = next(iter(Decontaminate(benchmarks=[str(bench)], fields=["answer"])([Document("x", text)])))
    assert d.drop is not None and d.drop.reason == "too_many_pieces" and d.drop.value == 13


def test_datatrove_overlap_ngrams_span_query_and_answer(tmp_path):
    bench = _write_bench(tmp_path)
    q, a = BENCH[0]["question"], BENCH[0]["answer"]
    qw, aw = q.rstrip("?").split(), a.split()
    step = Decontaminate(benchmarks=[str(bench)], variant="datatrove", fields=["answer"], query_field="question")
    step.setup(Context())
    # the last 8 query words and the first 4 answer words: 12 words that only the overlap rule indexes
    straddle = Document("s", "Intro text. " + " ".join(qw[-8:] + aw[:4]) + " and then something else entirely.")
    query_only = Document("q", " ".join(qw))  # query-only n-grams are not indexed (datatrove's default)
    out = {d.id: d for d in step([straddle, query_only])}
    assert out["s"].drop is not None and out["s"].drop.reason == "contaminated"
    assert out["q"].drop is None
    # without the query field the straddling text is not found
    dc._INDEXES.clear()
    plain = Decontaminate(benchmarks=[str(bench)], variant="datatrove", fields=["answer"])
    assert next(iter(plain([Document("s", straddle.text)]))).drop is None


def test_datatrove_normalisation_matches_through_case_punctuation_accents_and_numbers(tmp_path):
    bench = _write_bench(tmp_path, [{"text": "The café opened in 1987 and served 42 kinds of tea to weary "
                                             "travellers every single day"}], "tea.txt.jsonl")
    doc = Document("d", "THE CAFE — opened in 2001, and served 7 kinds of tea, to weary travellers!!")
    step = Decontaminate(benchmarks=[str(bench)], variant="datatrove")
    assert next(iter(step([doc]))).drop is not None
    dc._INDEXES.clear()
    assert next(iter(Decontaminate(benchmarks=[str(bench)], variant="gpt3", n=12, action="drop")(
        [Document("d", doc.text)]))).drop is None  # gpt3 keeps digits and accents


def test_benchmark_formats_text_gzip_parquet_and_lists(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "lines.txt").write_text("\n".join(b["answer"] for b in BENCH) + "\n")
    with gzip.open(tmp_path / "g.jsonl.gz", "wb") as f:
        f.write(orjson.dumps({"choices": [BENCH[1]["answer"], "short"]}) + b"\n")
    pq.write_table(pa.table({"text": [BENCH[2]["answer"]]}), tmp_path / "p.parquet")
    idx_txt = build_index([str(tmp_path / "lines.txt")], "gpt3", 13, ["text"])
    assert len(idx_txt.records) == 5 and idx_txt.records[2] == ("lines", 3)
    idx_gz = build_index([str(tmp_path / "g.jsonl.gz")], "gpt3", 13, ["choices"])
    assert len(idx_gz.hashes) > 0 and idx_gz.records == [("g", 1)]
    idx_pq = build_index([str(tmp_path / "p.parquet")], "gpt3", 13, ["text"])
    assert idx_pq.records == [("p", 1)]
    with pytest.raises(ValueError, match="no record with a text in"):
        build_index([str(tmp_path / "p.parquet")], "gpt3", 13, ["question"])


def test_the_index_is_built_once_per_process(tmp_path, monkeypatch):
    bench = _write_bench(tmp_path)
    calls = []
    real = dc.build_index
    monkeypatch.setattr(dc, "build_index", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(3):
        Decontaminate(benchmarks=[str(bench)], fields=["answer"]).setup(Context())
    assert len(calls) == 1


def test_no_benchmarks_checks_nothing_and_says_so():
    d = next(iter(Decontaminate()([Document("a", "any text")])))
    assert d.drop is None and d.attributes["decontaminate.checked"] is False


def test_missing_benchmark_files_fail_at_setup(tmp_path):
    with pytest.raises(FileNotFoundError, match="no benchmark file matches"):
        Decontaminate(benchmarks=[str(tmp_path / "none-*.jsonl")]).setup(Context())


@pytest.mark.parametrize("bad, msg", [({"variant": "gpt4"}, "variant must be"), ({"action": "tag"}, "action must"),
                                      ({"n": 0}, "n must be"), ({"query_field": "q"}, "use variant: datatrove")])
def test_validation(bad, msg):
    with pytest.raises(ValueError, match=msg):
        Decontaminate(**bad).validate()


@pytest.mark.shared
def test_planted_benchmark_on_the_shared_crawl(tmp_path):
    """Every page of the shared crawl (real pages, several languages): the planted overlaps and nothing else."""
    from winnow.io.jsonl import JsonlReader

    path = SHARED / "data" / "crawl" / "web-pages.jsonl.gz"
    docs = [d for d in JsonlReader(paths=str(path)).read(str(path)) if isinstance(d, Document)]
    assert len(docs) > 1000
    docs, planted = _plant(docs, seed=11, every=7)
    bench = _write_bench(tmp_path)
    for variant in ("gpt3", "datatrove"):
        dc._INDEXES.clear()
        step = Decontaminate(benchmarks=[str(bench)], variant=variant, fields=["answer"], action="drop")
        flagged = {d.id for d in step(Document(d.id, d.text) for d in docs) if d.drop is not None}
        assert flagged == set(planted), (variant, sorted(flagged ^ set(planted))[:5])


def test_validate_names_a_missing_benchmark_before_the_run(tmp_path):
    with pytest.raises(ValueError, match="no benchmark file matches"):
        Decontaminate(benchmarks=[str(tmp_path / "missing.jsonl")]).validate()


@pytest.mark.parametrize("action", ["drop", "edit"])
def test_whatif_replays_min_matches_and_max_pieces_exactly(tmp_path, action):
    from winnow.config import pipeline_from_dict
    from winnow.report._run import load_run
    from winnow.report.whatif import compute_whatif, resolve_sets
    from winnow.run import run_pipeline

    bench = _write_bench(tmp_path)
    docs, planted = _plant(sample_docs(60))
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps({"id": d.id, "text": d.text}) + b"\n" for d in docs))

    def pipe(on_drop, **params):
        return pipeline_from_dict({
            "run": {"name": "dc"}, "on_drop": on_drop, "executor": {"type": "inline"},
            "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": str(src)},
                        "steps": [{"type": "decontaminate", "benchmarks": [str(bench)], "fields": ["answer"],
                                   "action": action, **params}],
                        "writer": {"type": "jsonl"}}]})

    run_pipeline(pipe("annotate"), tmp_path / "a", "inline", log=False)
    info = load_run(tmp_path / "a")
    change = {"min_matches": 15} if action == "drop" else {"max_pieces": 1}
    run_pipeline(pipe("route", **change), tmp_path / "b", "inline", log=False)
    kept_b = load_run(tmp_path / "b").stats["stages"][0]["kept"]
    res = compute_whatif(info, resolve_sets(info, {f"decontaminate.{k}": v for k, v in change.items()}))
    assert res["undetermined"]["docs"] == 0
    assert res["kept"]["docs"][1] == kept_b
    assert res["kept"]["docs"][1] != res["kept"]["docs"][0]  # the change matters on these pages
