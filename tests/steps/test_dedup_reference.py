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


def _only_the_index_stays(run: Path, input_dir: Path) -> Path:
    """Delete the run's inputs, outputs and every work file but its index (index.json and its tables)."""
    index = next((run / "work").glob("*/*/index.json")).parent
    tables = index / orjson.loads((index / "index.json").read_bytes())["tables"]
    shutil.rmtree(input_dir)
    for p in sorted(run.rglob("*"), reverse=True):
        if p.is_file() and not (p == index / "index.json" or p.parent == tables):
            p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    return index


def _substring_crawls(real_docs):
    """A: real pages, a boilerplate paragraph on some, one passage repeated inside A. B: new pages carrying
    passages of 50-300 tokens copied from A, the boilerplate, a passage repeated inside B only, and one passage
    that straddles an A copy and a B repeat."""
    rng = random.Random(8)
    # spaced with single spaces: Python's split() also splits at no-break and thin spaces, the step's tokens do not
    pages = [" ".join(p.text.split()) for p in _pages(real_docs, 60)]
    boiler = " ".join(pages[0].split()[100:170])

    def plant(text: str, passage: str) -> str:
        w = text.split()
        at = rng.randrange(len(w))
        return " ".join(w[:at] + passage.split() + w[at:])

    def cut(text: str, n: int) -> str:
        w = text.split()
        a = rng.randrange(max(1, len(w) - n))
        return " ".join(w[a:a + n])

    a = [pages[i] if i % 4 else plant(pages[i], boiler) for i in range(30)]
    a[7] = plant(a[7], cut(a[3], 80))
    b = [pages[30 + i] if i % 5 else plant(pages[30 + i], boiler) for i in range(30)]
    for k, n in enumerate([50, 120, 300]):
        b[2 + k] = plant(b[2 + k], cut(a[10 + k], n))
    own = cut(b[20], 90)
    b[25] = plant(b[25], own)
    b[26] = plant(b[26], cut(a[15], 60) + " " + own.split(maxsplit=1)[1])  # A's copy runs into B's repeat
    return ([{"id": f"A-{i:02d}", "text": t} for i, t in enumerate(a)],
            [{"id": f"B-{i:02d}", "text": t} for i, t in enumerate(b)])


def test_substring_against_a_reference_equals_deduplicating_both(tmp_path, real_docs, monkeypatch):
    from winnow.steps import substring
    from winnow.steps.substring import SubstringDedup

    a, b = _substring_crawls(real_docs)
    for i in range(2):
        write_jsonl(tmp_path / "a" / f"a{i}.jsonl", a[i::2])
        write_jsonl(tmp_path / "b" / f"b{i}.jsonl", b[i::2])
        write_jsonl(tmp_path / "ab" / f"a{i}.jsonl", a[i::2])
        write_jsonl(tmp_path / "ab" / f"b{i}.jsonl", b[i::2])
    run_a, run_ab = tmp_path / "runA", tmp_path / "runAB"
    run_pipeline(_pipe(str(tmp_path / "ab" / "*.jsonl"), SubstringDedup(min_words=5)), run_ab, InlineExecutor(),
                 log=False)
    # A's index in 3 key ranges, B's run in ~10 partitions and 4 ranges: the merge meets tables cut differently
    real_parts = store.parts_for
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 3)
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), SubstringDedup(min_words=5)), run_a, InlineExecutor(),
                 log=False)
    index = _only_the_index_stays(run_a, tmp_path / "a")
    man = orjson.loads((index / "index.json").read_bytes())
    assert man["step"] == "substring_dedup" and man["version"] == 1 and man["params"] == {"min_length": 50}
    assert man["tables"] == "w" and len(man["shards"]) == 3 and man["documents"] == len(a)
    assert man["windows"] > 30 * 200  # every window of A, the ones seen once too
    assert not (index / "c").exists() and not list((run_a / "kept").rglob("*.jsonl*"))
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 4)
    monkeypatch.setattr(SubstringDedup, "BYTES_PER_TOKEN", (16 << 20) // 1500)
    outs = {}
    for name, ex in (("B1", InlineExecutor()), ("B2", LocalExecutor(workers=2, progress=False))):
        if name == "B2":  # spawned workers do not see the patches: the default slicing there
            monkeypatch.setattr(store, "parts_for", real_parts)
        run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), SubstringDedup(min_words=5, memory_mb=16,
                                                                           against=[str(run_a)])),
                     tmp_path / name, ex, log=False)
        outs[name] = {**_records(tmp_path / name, "kept"), **_records(tmp_path / name, "rejected")}
    assert outs["B1"] == outs["B2"]
    got, ab = outs["B1"], {**_records(run_ab, "kept"), **_records(run_ab, "rejected")}
    want = {i: r for i, r in ab.items() if i.startswith("B-")}
    assert got.keys() == want.keys()
    reasons = {}
    for i, r in got.items():
        assert r["text"] == want[i]["text"] and r.get("drop") == want[i].get("drop"), i
        # the same spans with the same counts (A's copies counted), only the reason says where the first copy is
        ge, we = r.get("edits", []), want[i].get("edits", [])
        assert [(e["start"], e["removed"], e["score"]) for e in ge] == [(e["start"], e["removed"], e["score"])
                                                                        for e in we], i
        for e in ge:
            reasons[e["reason"]] = reasons.get(e["reason"], 0) + 1
        if any(e["reason"] == "substring_in_reference" for e in ge):
            assert r["attributes"]["substring_dedup.reference"] == [str(run_a)]
    assert reasons.get("substring_in_reference", 0) >= 6 and reasons.get("repeated_substring", 0) >= 1, reasons
    # the boilerplate A already holds is removed from every B page carrying it, the first one too
    boiler = " ".join(_pages(real_docs, 1)[0].text.split()[100:170])
    for i in range(0, 30, 5):
        assert boiler not in " ".join(got[f"B-{i:02d}"]["text"].split()), i
    # the straddling copy is one span, named by the reference
    straddle = [e for e in got["B-26"]["edits"] if len(e["removed"].split()) >= 60 + 80]
    assert straddle and straddle[0]["reason"] == "substring_in_reference"


def test_substring_index_with_other_settings_is_refused_naming_both(tmp_path, real_docs):
    from winnow.steps.substring import SubstringDedup

    a, _ = _substring_crawls(real_docs)
    write_jsonl(tmp_path / "a" / "a.jsonl", a[:5])
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), SubstringDedup(min_length=30)), tmp_path / "A",
                 InlineExecutor(), log=False)
    with pytest.raises(ValueError, match=r"built with \{'min_length': 30\}, this step has \{'min_length': 50\}"):
        SubstringDedup(against=[str(tmp_path / "A")]).validate()
    with pytest.raises(ValueError, match="no substring_dedup index"):
        SubstringDedup(against=[str(tmp_path / "nowhere")]).validate()
    with pytest.raises(ValueError, match="written by exact_dedup"):
        run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), ExactDedup()), tmp_path / "E", InlineExecutor(),
                     log=False)
        SubstringDedup(against=[str(next((tmp_path / "E" / "work").glob("*/*/index.json")))]).validate()


def _semantic_crawls(real_docs):
    """A: 30 real pages and light revisions of 6 of them (A drops those); B: 20 new pages, revisions of 8 of A's
    pages, exact copies of 3, revisions of 2 of A's own revisions (A dropped those), revisions of 4 of B's pages."""
    from tests.steps.test_dedup_semantic import _paraphrase

    rng = random.Random(11)
    pages = [p for p in _pages(real_docs, 60)]
    a = [{"id": f"A-{p.id}", "text": p.text} for p in pages[:30]]
    a += [{"id": f"A-{p.id}-rev", "text": _paraphrase(p.text, rng)} for p in pages[:6]]
    b = [{"id": f"B-{p.id}", "text": p.text} for p in pages[30:50]]
    b += [{"id": f"B-rev-{p['id']}", "text": _paraphrase(p["text"], rng)} for p in a[6:14]]
    b += [{"id": f"B-copy-{p['id']}", "text": p["text"]} for p in a[14:17]]
    b += [{"id": f"B-rev-{p['id']}", "text": _paraphrase(p["text"], rng)} for p in a[30:32]]
    b += [{"id": f"B-{p.id}-rev", "text": _paraphrase(p.text, rng)} for p in pages[30:34]]
    rng.shuffle(b)
    return a, b


def _semantic_runs(tmp_path, real_docs, **kw):
    from winnow.steps.semantic import SemanticDedup

    a, b = _semantic_crawls(real_docs)
    for i in range(2):
        write_jsonl(tmp_path / "a" / f"a{i}.jsonl", a[i::2])
        write_jsonl(tmp_path / "b" / f"b{i}.jsonl", b[i::2])
        write_jsonl(tmp_path / "ab" / f"a{i}.jsonl", a[i::2])
        write_jsonl(tmp_path / "ab" / f"b{i}.jsonl", b[i::2])
    make = (lambda **more: SemanticDedup(model="hashing", threshold=0.9, **kw, **more))
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), make()), tmp_path / "runA", InlineExecutor(), log=False)
    run_pipeline(_pipe(str(tmp_path / "ab" / "*.jsonl"), make()), tmp_path / "runAB", InlineExecutor(), log=False)
    kept_a = set(_records(tmp_path / "runA", "kept"))
    index = _only_the_index_stays(tmp_path / "runA", tmp_path / "a")
    man = orjson.loads((index / "index.json").read_bytes())
    assert man["step"] == "semantic_dedup" and man["tables"] == "c" and man["documents"] == len(a)
    assert man["params"] == {"encoder": "hashing/1", "max_chunks": 4, "max_tokens": 256}
    assert man["kept"] == len(kept_a) < len(a)  # A dropped its own revisions; only what it kept is compared
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(tmp_path / "runA")])), tmp_path / "runB",
                 InlineExecutor(), log=False)
    return a, b, kept_a, make


@pytest.mark.parametrize("cluster_size", [1000, 6, 3])  # one cluster in every run; 13 and 25 clusters in A+B
def test_semantic_against_a_reference_equals_deduplicating_both(tmp_path, real_docs, cluster_size):
    """B against A's index decides every B document exactly as the A+B run does (keep: first, so A's copies win):
    the same clusters (k-means over A's and B's embeddings in A+B order), the same kept one, the same similarity."""
    a, b, kept_a, _ = _semantic_runs(tmp_path, real_docs, cluster_size=cluster_size)
    ab = {**_records(tmp_path / "runAB", "kept"), **_records(tmp_path / "runAB", "rejected")}
    got = {**_records(tmp_path / "runB", "kept"), **_records(tmp_path / "runB", "rejected")}
    want = {i: r for i, r in ab.items() if i.startswith("B-")}
    assert got.keys() == want.keys()
    assert {i for i, r in got.items() if r.get("drop")} == {i for i, r in want.items() if r.get("drop")}
    clusters = {r["attributes"].get("semantic_dedup.cluster") for r in ab.values()} - {None}
    assert (len(clusters) == 1) == (cluster_size == 1000)

    def sem(at):
        return {k: v for k, v in at.items() if k.startswith("semantic_dedup.") and k != "semantic_dedup.reference"}
    n_ref = 0
    for i, r in got.items():
        ga, wa = r["attributes"], want[i]["attributes"]
        assert sem(ga) == sem(wa), i  # cluster, its size, the kept one and the similarity: all exactly
        if not r.get("drop"):
            continue
        by_a = wa["semantic_dedup.kept_id"].startswith("A-")  # the A+B run named an A document
        assert by_a == ("semantic_dedup.reference" in ga)
        assert r["drop"]["reason"] == ("duplicate_in_reference" if by_a else "semantic_duplicate")
        assert r["drop"]["value"] == want[i]["drop"]["value"]
        if r["drop"]["reason"] == "duplicate_in_reference":
            n_ref += 1
            assert ga["semantic_dedup.reference"] == str(tmp_path / "runA")
            assert r["drop"]["value"] >= 0.9 and r["drop"]["threshold"] == 0.9
    assert n_ref >= 11  # the 8 revisions and 3 copies of A's pages
    assert sum(1 for r in got.values() if (r.get("drop") or {}).get("reason") == "semantic_duplicate") >= 3


def test_semantic_against_with_many_clusters_follows_the_documented_rule(tmp_path, real_docs, monkeypatch):
    """Clusters come from A's and B's embeddings together and A's documents lead each cluster: every drop names a
    reference document at or above the threshold (recomputed here), exact copies always go (they fall in their
    original's cluster), and the output does not depend on the workers or on how clusters are grouped into tasks."""
    from winnow.steps.semantic import load_encoder

    a, b, kept_a, make = _semantic_runs(tmp_path, real_docs, cluster_size=6)
    got = {**_records(tmp_path / "runB", "kept"), **_records(tmp_path / "runB", "rejected")}
    text = {r["id"]: r["text"] for r in a + b}
    enc = load_encoder("hashing")
    by_ref = {i: r for i, r in got.items() if (r.get("drop") or {}).get("reason") == "duplicate_in_reference"}
    for i, r in by_ref.items():
        kid = r["attributes"]["semantic_dedup.kept_id"]
        assert kid in text and kid.startswith("A-")  # one A kept in the A+B order (here always one A's run kept)
        assert kid in kept_a
        v = enc.encode([text[i], text[kid]])
        assert abs(float(v[0] @ v[1]) - r["drop"]["value"]) <= 2e-5 and r["drop"]["value"] >= 0.9
    copies = {i for i in got if i.startswith("B-copy-")}
    assert len(copies) == 3 and copies <= set(by_ref)
    assert all(by_ref[i]["attributes"]["semantic_dedup.kept_id"] == i.removeprefix("B-copy-") for i in copies)
    assert len(by_ref) >= 8
    d1 = {p.name: p.read_bytes() for p in (tmp_path / "runB" / "work").rglob("d/*.json")}
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(tmp_path / "runA")])), tmp_path / "B2",
                 LocalExecutor(workers=2, progress=False), log=False)
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 3)  # clusters spread over 3 tasks
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(tmp_path / "runA")])), tmp_path / "B3",
                 InlineExecutor(), log=False)
    for other in ("B2", "B3"):
        assert d1 and {p.name: p.read_bytes() for p in (tmp_path / other / "work").rglob("d/*.json")} == d1
        assert _records(tmp_path / other, "rejected") == _records(tmp_path / "runB", "rejected")


def test_semantic_index_with_another_encoder_setting_is_refused_naming_both(tmp_path, real_docs):
    from winnow.steps.semantic import SemanticDedup

    a, _ = _semantic_crawls(real_docs)
    write_jsonl(tmp_path / "a" / "a.jsonl", a[:6])
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), SemanticDedup(model="hashing", max_tokens=128)),
                 tmp_path / "A", InlineExecutor(), log=False)
    with pytest.raises(ValueError, match=r"built with \{'encoder': 'hashing/1', 'max_chunks': 4, 'max_tokens': 128\}"
                                         r", this step has \{'encoder': 'hashing/1', 'max_chunks': 4, "
                                         r"'max_tokens': 256\}"):
        SemanticDedup(model="hashing", against=[str(tmp_path / "A")]).validate()


@pytest.mark.parametrize("name", ["substring_dedup", "semantic_dedup"])
def test_a_reduce_against_a_reference_resumes_at_the_phase_it_was_in(tmp_path, real_docs, monkeypatch, name):
    from winnow.document import Document
    from winnow.steps import semantic, substring

    from tests.helpers import collect_and_reduce

    if name == "substring_dedup":
        a, b = _substring_crawls(real_docs)
        make, mod, fn, done = (lambda **kw: substring.SubstringDedup(min_words=5, **kw)), substring, \
            "run_mark_task", "merge.done"
    else:
        a, b = _semantic_crawls(real_docs)
        make, mod, fn, done = (lambda **kw: semantic.SemanticDedup(model="hashing", threshold=0.9, **kw)), \
            semantic, "run_semantic_cluster_task", "assign.done"
    write_jsonl(tmp_path / "a" / "a.jsonl", a)
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), make()), tmp_path / "A", InlineExecutor(), log=False)
    _only_the_index_stays(tmp_path / "A", tmp_path / "a")
    docs = [Document(r["id"], r["text"]) for r in b]
    fresh = collect_and_reduce(make(against=[str(tmp_path / "A")]), docs, tmp_path / "fresh")
    assert b'"' + str(tmp_path / "A").encode() + b'"' in fresh  # decisions name the reference
    real = getattr(mod, fn)

    def killed(task):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(mod, fn, killed)
    with pytest.raises(KeyboardInterrupt):
        collect_and_reduce(make(against=[str(tmp_path / "A")]), docs, tmp_path / "resumed")
    assert (tmp_path / "resumed" / done).exists()
    monkeypatch.setattr(mod, fn, real)
    assert collect_and_reduce(make(against=[str(tmp_path / "A")]), docs, tmp_path / "resumed") == fresh


def test_semantic_reference_embeddings_may_be_float16(tmp_path, real_docs):
    """docs/dedup.md: an index's embeddings may be stored as float16 (half the size); they are read as float32."""
    import numpy as np

    from winnow.steps.semantic import SemanticDedup

    a, b = _semantic_crawls(real_docs)
    write_jsonl(tmp_path / "a" / "a.jsonl", a)
    write_jsonl(tmp_path / "b" / "b.jsonl", b)
    make = (lambda **kw: SemanticDedup(model="hashing", threshold=0.9, cluster_size=1000, **kw))
    run_pipeline(_pipe(str(tmp_path / "a" / "*.jsonl"), make()), tmp_path / "A", InlineExecutor(), log=False)
    index = _only_the_index_stays(tmp_path / "A", tmp_path / "a")
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(index)])), tmp_path / "B32",
                 InlineExecutor(), log=False)
    for f in (index / "c").glob("*.emb.npy"):
        e = np.load(f)
        assert e.dtype == np.float32
        np.save(f, e.astype(np.float16))
    run_pipeline(_pipe(str(tmp_path / "b" / "*.jsonl"), make(against=[str(index)])), tmp_path / "B16",
                 InlineExecutor(), log=False)
    r32, r16 = _records(tmp_path / "B32", "rejected"), _records(tmp_path / "B16", "rejected")
    by_ref = {i for i, r in r32.items() if r["drop"]["reason"] == "duplicate_in_reference"}
    assert len(by_ref) >= 11
    assert by_ref == {i for i, r in r16.items() if r["drop"]["reason"] == "duplicate_in_reference"}
    for i in by_ref:
        assert r16[i]["attributes"]["semantic_dedup.kept_id"] == r32[i]["attributes"]["semantic_dedup.kept_id"]
        assert abs(r16[i]["drop"]["value"] - r32[i]["drop"]["value"]) < 2e-3
