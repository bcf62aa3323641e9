"""Dedup against a reference index (``against``): crawl B deduplicated against crawl A's index keeps exactly what
deduplicating A+B together keeps of B, with A's documents deleted before the second run."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import orjson
import pytest

from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.base import open_read
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps import _dedup_store as store
from winnow.steps.dedup import ExactDedup, LineDedup, MinhashDedup, UrlDedup

from tests.helpers import write_jsonl
from tests.steps.test_dedup import _edit, _pages

CHROME = ["Cookie settings: we use cookies to improve your experience.",
          "Share this article on social media", "Subscribe to the weekly digest for more stories"]


def _crawls(real_docs):
    """A: 40 pages, some repeated inside A; B: 30 new pages, copies of A's pages (exact, edited, same URL) and of
    its own, and chrome lines shared across both."""
    rng = random.Random(5)
    pages = _pages(real_docs, 70)

    def rec(i, p, text=None, url=None, chrome=()):
        t = (text if text is not None else p.text) + "".join("\n" + c for c in chrome)
        return {"id": i, "text": t, "url": url or f"https://site.example/{p.id}"}

    a = [rec(f"A-{p.id}", p, chrome=CHROME[:k % 3]) for k, p in enumerate(pages[:40])]
    a += [rec(f"A-{p.id}-again", p, _edit(p.text, k % 3, rng)) for k, p in enumerate(pages[:6])]
    b = [rec(f"B-{p.id}", p, chrome=CHROME[:(k + 1) % 3]) for k, p in enumerate(pages[40:70])]
    for k, p in enumerate(pages[6:24]):  # copies of A's pages: exact, edited, or the same URL with other text
        kind, orig = k % 4, a[6 + k]["text"]
        text = orig if kind == 0 else _edit(orig, kind - 1, rng)
        url = f"https://site.example/{p.id}?utm_source=x" if kind == 2 else f"https://other.example/{k}"
        b.append(rec(f"B-copy-{p.id}", p, text, url))
    b += [rec(f"B-{p.id}-again", p, _edit(p.text, k % 3, rng)) for k, p in enumerate(pages[40:45])]
    rng.shuffle(b)
    return a, b


def _pipe(glob: str, step) -> Pipeline:
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=glob), steps=[step])])


def _records(run: Path, sub: str) -> dict[str, dict]:
    return {r["id"]: r for f in sorted((run / sub).rglob("*.jsonl*"))
            for r in map(orjson.loads, open_read(f).read().splitlines())}


STEPS = {
    "exact_dedup": lambda **kw: ExactDedup(**kw),
    "url_dedup": lambda **kw: UrlDedup(**kw),
    "minhash_dedup": lambda **kw: MinhashDedup(**kw),
    "line_dedup": lambda **kw: LineDedup(min_docs=3, **kw),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_against_a_reference_equals_deduplicating_both_and_keeping_the_references_copies(tmp_path, real_docs, name):
    a, b = _crawls(real_docs)
    for i in range(2):
        write_jsonl(tmp_path / "a" / f"a{i}.jsonl", a[i::2])
        write_jsonl(tmp_path / "b" / f"b{i}.jsonl", b[i::2])
        write_jsonl(tmp_path / "ab" / f"a{i}.jsonl", a[i::2])  # A's shards sort first: its copies are earlier
        write_jsonl(tmp_path / "ab" / f"b{i}.jsonl", b[i::2])
    make = STEPS[name]
    run_a, run_b, run_ab = tmp_path / "runA", tmp_path / "runB", tmp_path / "runAB"
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), make()), run_a, InlineExecutor(), log=False)
    run_pipeline(_pipe(str(tmp_path / "ab" / "*.jsonl"), make()), run_ab, InlineExecutor(), log=False)
    # Only the index stays of run A: its inputs, outputs and every other work file are gone.
    index = next((run_a / "work").glob("*/*/index.json")).parent
    man = orjson.loads((index / "index.json").read_bytes())
    assert man["format"] == "winnow-dedup-index" and man["version"] == 1 and man["step"] == name
    assert man["documents"] == len(a)
    shutil.rmtree(tmp_path / "a")
    for p in sorted(run_a.rglob("*"), reverse=True):
        if p.is_file() and not (p == index / "index.json" or p.parent == index / "c"):
            p.unlink()
    assert not list((run_a / "kept").rglob("*.jsonl*"))
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(run_a)])), run_b, InlineExecutor(),
                 log=False)

    kept_b, kept_ab = _records(run_b, "kept"), _records(run_ab, "kept")
    want = {i: r["text"] for i, r in kept_ab.items() if i.startswith("B-")}
    assert {i: r["text"] for i, r in kept_b.items()} == want
    rejected = _records(run_b, "rejected")
    from_ref = [r for r in rejected.values() if r["drop"]["reason"] == "duplicate_in_reference"]
    if name == "line_dedup":
        edits = [e for r in kept_b.values() for e in r.get("edits", []) if e["reason"] == "line_in_reference"]
        assert edits, "B's chrome lines are counted with A's"
        assert all(r["attributes"]["line_dedup.reference"] == [str(run_a)] for r in kept_b.values()
                   if any(e["reason"] == "line_in_reference" for e in r.get("edits", [])))
    else:
        assert len(from_ref) >= {"exact_dedup": 5, "url_dedup": 4, "minhash_dedup": 12}[name], name
        for r in from_ref:  # the drop names the reference and the kept copy there
            assert r["attributes"][f"{name}.reference"] == str(run_a)
            assert r["attributes"][f"{name}.kept_id"].startswith("A-")
        # a copy of another B document is an ordinary duplicate
        assert all(r["attributes"][f"{name}.kept_id"].startswith("B-") for r in rejected.values()
                   if r["drop"]["reason"] != "duplicate_in_reference")


def test_index_path_and_chained_references_and_mismatched_parameters(tmp_path, real_docs):
    a, b = _crawls(real_docs)
    write_jsonl(tmp_path / "a" / "a.jsonl", a)
    write_jsonl(tmp_path / "b" / "b.jsonl", b)
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), ExactDedup()), tmp_path / "A", InlineExecutor(), log=False)
    index = next((tmp_path / "A" / "work").glob("*/*/index.json"))
    # the index file itself, or its folder, works like the run folder; B's own index then serves a third crawl
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), ExactDedup(against=[str(index)])), tmp_path / "B",
                 LocalExecutor(workers=2, progress=False), log=False)
    write_jsonl(tmp_path / "c" / "c.jsonl", a[:3] + b[:3] + [{"id": "C-new", "text": "a page nobody had before"}])
    run_pipeline(_pipe(str(tmp_path / "c" / "*.jsonl"), ExactDedup(against=[str(index.parent), str(tmp_path / "B")])),
                 tmp_path / "C", InlineExecutor(), log=False)
    kept = _records(tmp_path / "C", "kept")
    assert set(kept) == {"C-new"}
    refs = {r["attributes"]["exact_dedup.reference"] for r in _records(tmp_path / "C", "rejected").values()}
    assert refs == {str(index.parent), str(tmp_path / "B")}
    # an index built with other parameters cannot be compared: said before anything is read
    with pytest.raises(ValueError, match="built with"):
        ExactDedup(normalize="none", against=[str(tmp_path / "A")]).references()
    with pytest.raises(ValueError, match="no exact_dedup index"):
        ExactDedup(against=[str(tmp_path / "nowhere")]).references()
    with pytest.raises(ValueError, match="written by"):
        m = orjson.loads(index.read_bytes())
        (tmp_path / "x").mkdir()
        (tmp_path / "x" / "index.json").write_bytes(orjson.dumps({**m, "step": "url_dedup"}))
        ExactDedup(against=[str(tmp_path / "x")]).references()


def test_reference_shards_are_read_in_slices(tmp_path, real_docs, monkeypatch):
    """Many small slices (a tiny memory budget) give the same decisions against a reference as one slice."""
    a, b = _crawls(real_docs)
    write_jsonl(tmp_path / "a" / "a.jsonl", a)
    write_jsonl(tmp_path / "b" / "b.jsonl", b)
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), MinhashDedup()), tmp_path / "A", InlineExecutor(), log=False)
    step = MinhashDedup(against=[str(tmp_path / "A")])
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), step), tmp_path / "B1", InlineExecutor(), log=False)
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 4)
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), step), tmp_path / "B4", InlineExecutor(), log=False)
    d1 = sorted((tmp_path / "B1" / "work").rglob("d/*.json"))
    d4 = sorted((tmp_path / "B4" / "work").rglob("d/*.json"))
    assert d1 and [p.read_bytes() for p in d1] == [p.read_bytes() for p in d4]
    assert _records(tmp_path / "B1", "rejected").keys() == _records(tmp_path / "B4", "rejected").keys()
