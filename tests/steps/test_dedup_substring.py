"""substring_dedup: planted repeated spans in real pages are all found and nothing else beyond what truly repeats
(checked against a brute-force window scan); the library suffix array and the numpy doubling agree; results do not
depend on the partitioning, the number of workers, or a resumed reduce."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import orjson
import pytest

from winnow.document import Document, undo_edits
from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps import substring
from winnow.steps.substring import SubstringDedup, token_spans

from tests.helpers import collect_and_reduce, read_all, write_jsonl
from tests.steps.test_dedup import _pages


def _brute(texts: list[str], L: int) -> list[list[tuple[int, int, int]]]:
    """Every window of L tokens seen at an earlier position is covered; covered windows that overlap or touch are
    one span; its count is the smallest number of occurrences among its windows."""
    toks = [t.split() for t in texts]
    count: dict[tuple, int] = {}
    for t in toks:
        for i in range(len(t) - L + 1):
            w = tuple(t[i:i + L])
            count[w] = count.get(w, 0) + 1
    seen: set = set()
    out = []
    for t in toks:
        spans: list[list[int]] = []
        for i in range(len(t) - L + 1):
            w = tuple(t[i:i + L])
            if w in seen:
                if spans and i <= spans[-1][1]:
                    spans[-1][1] = i + L
                    spans[-1][2] = min(spans[-1][2], count[w])
                else:
                    spans.append([i, i + L, count[w]])
            seen.add(w)
        out.append([tuple(s) for s in spans])
    return out


def _got(docs_out, texts) -> list[list[tuple[int, int, int]]]:
    """Token spans removed from each document, read back from its edits."""
    res = []
    for d, t in zip(docs_out, texts):
        _, cs, ce = token_spans(t)
        spans = []
        for e in sorted(d.edits, key=lambda e: e.start):
            assert e.reason == "repeated_substring"
            a = int(np.searchsorted(ce, e.start, side="right"))  # first token ending after the edit's start
            b = int(np.searchsorted(cs, e.start + len(e.removed), side="left"))
            spans.append((a, b, int(e.score)))
        res.append(spans)
    return res


@pytest.fixture
def tiny_partitions(monkeypatch):
    """About 300 tokens per partition at memory_mb=16: many suffix arrays and a cross-partition merge."""
    monkeypatch.setattr(SubstringDedup, "BYTES_PER_TOKEN", (16 << 20) // 300)


@pytest.mark.parametrize("backend", ["divsufsort", "doubling"])
@pytest.mark.parametrize("seed", [1, 2])
def test_matches_a_brute_force_window_scan(backend, seed, request):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3)]  # a tiny vocabulary: many natural repeats, overlapping and self-overlapping
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randrange(0, 60))) for _ in range(40)]
    texts += ["w1 " * 30, "  w1\tw1\n" * 5]
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    want = _brute(texts, 6)
    out = list(SubstringDedup(min_length=6, min_words=0, backend=backend)(docs))
    assert _got(out, texts) == want
    assert sum(len(s) for s in want) > 30
    request.getfixturevalue("tiny_partitions")
    assert _got(list(SubstringDedup(min_length=6, min_words=0, backend=backend, memory_mb=16)(docs)), texts) == want
    for d, t in zip(out, texts):
        assert undo_edits(d.text, d.edits) == t


def _planted(real_docs):
    """Real pages with planted copies: a boilerplate paragraph on every 5th page, and passages of 50 to 500 tokens
    copied from one page into another."""
    rng = random.Random(4)
    pages = [p.text for p in _pages(real_docs, 60)]
    boiler = " ".join(pages[0].split()[100:170])  # 70 tokens
    texts, planted = [], []
    for i, t in enumerate(pages[1:]):
        words = t.split()
        if i % 5 == 0:
            at = rng.randrange(len(words))
            words = words[:at] + boiler.split() + words[at:]
            planted.append((len(texts) + 1, boiler))
        texts.append(" ".join(words))
    texts.insert(0, pages[0])
    for k, n in enumerate([50, 80, 150, 300, 500]):
        src = texts[k + 1].split()
        a = rng.randrange(max(1, len(src) - n))
        passage = " ".join(src[a:a + n])
        dst = 30 + k
        w = texts[dst].split()
        at = rng.randrange(len(w))
        texts[dst] = " ".join(w[:at] + passage.split() + w[at:])
        planted.append((dst, passage))
    return texts, planted


def test_planted_spans_in_real_pages_are_all_found_and_nothing_else(real_docs):
    texts, planted = _planted(real_docs)
    docs = [Document(f"p{i:03d}", t) for i, t in enumerate(texts)]
    out = list(SubstringDedup(min_words=0)(docs))
    for i, passage in planted:  # each planted copy is removed, wholly (it comes after its source)
        assert passage not in out[i].text, (i, passage[:80])
        assert len(passage.split()) >= 50
    # the boilerplate stays in its first document
    assert planted[0][1] in " ".join(out[0].text.split())
    # nothing else: the removals are exactly what a window scan calls repeated (the pages' own chrome included)
    assert _got(out, texts) == _brute(texts, 50)
    # the boilerplate's removals count its copies and the original at least
    boiler = planted[0][1]
    boiler_edits = [e for i, _ in planted[:-5] for e in out[i].edits if boiler in " ".join(e.removed.split())]
    assert len(boiler_edits) == len(planted) - 5 and all(e.score >= 2 for e in boiler_edits)
    alone = [e for e in boiler_edits if " ".join(e.removed.split()) == boiler]  # not merged with a neighbour span
    assert len(alone) >= 5 and all(e.score >= len(planted) - 5 + 1 for e in alone)


def _corpus_files(tmp_path, real_docs):
    texts, _ = _planted(real_docs)
    recs = [{"id": f"p{i:03d}", "text": t} for i, t in enumerate(texts)]
    for i in range(3):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", recs[i::3])
    return recs


def _outputs(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(folder).items()
            if k.startswith(("kept/", "rejected/")) or (k.startswith("work/") and "/d/" in k)}


def test_byte_identical_on_one_or_two_workers_and_any_partitioning(tmp_path, real_docs, request, monkeypatch):
    recs = _corpus_files(tmp_path, real_docs)
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[SubstringDedup(memory_mb=16)])])
    a = run_pipeline(pipe, tmp_path / "a", InlineExecutor(), log=False)
    st = a.stats["stages"][0]
    assert st["balanced"] and st["in"] == len(recs)
    assert {s["name"]: s for s in st["steps"]}["substring_dedup"]["edits"]["repeated_substring"] >= 10
    run_pipeline(pipe, tmp_path / "b", LocalExecutor(workers=2, progress=False), log=False)
    oa = _outputs(tmp_path / "a")
    assert oa and oa == _outputs(tmp_path / "b")
    request.getfixturevalue("tiny_partitions")
    parts, real = [], substring.run_part_task
    monkeypatch.setattr(substring, "run_part_task", lambda t: parts.append(t) or real(t))
    run_pipeline(pipe, tmp_path / "c", InlineExecutor(), log=False)
    assert _outputs(tmp_path / "c") == oa
    assert len(parts) > 20  # many suffix arrays, merged across partitions


def test_reduce_resumes_at_the_phase_it_was_in(tmp_path, real_docs, monkeypatch):
    texts, _ = _planted(real_docs)
    docs = [Document(f"p{i:03d}", t) for i, t in enumerate(texts)]

    def run(folder):
        return collect_and_reduce(SubstringDedup(), docs, folder)

    fresh = run(tmp_path / "fresh")
    assert len(orjson.loads(fresh)["rows"]) >= 10
    real_mark, calls = substring.run_mark_task, []

    def killed(task):
        raise KeyboardInterrupt("killed while marking")

    monkeypatch.setattr(substring, "run_mark_task", killed)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed")
    assert (tmp_path / "resumed" / "merge.done").exists() and not (tmp_path / "resumed" / "mark.done").exists()
    monkeypatch.setattr(substring, "run_mark_task", real_mark)
    monkeypatch.setattr(substring, "run_part_task", lambda t: calls.append(t))  # must not run again
    assert run(tmp_path / "resumed") == fresh and not calls


def test_tokens_and_validation():
    h, cs, ce = token_spans("héllo,  wörld\tx\n")
    assert cs.tolist() == [0, 8, 14] and ce.tolist() == [6, 13, 15]
    assert h[0] != token_spans("hello,")[0][0] and len(token_spans(" \n ")[0]) == 0
    with pytest.raises(ValueError, match="min_length"):
        SubstringDedup(min_length=1).validate()
    with pytest.raises(ValueError, match="backend"):
        SubstringDedup(backend="naive").validate()
