"""Dedup steps on real pages: exact, near-duplicate, repeated lines and URLs; determinism across workers and
partitions; the connected-components rounds against a plain union-find; the specimen's Q&A chrome."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import orjson
import pytest

from winnow.document import Document, undo_edits
from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.base import open_read
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage
from winnow.run import run_pipeline
from winnow.steps import _dedup_store as store
from winnow.steps.dedup import (ExactDedup, LineDedup, MinHasher, MinhashDedup, UrlDedup, normalize_text,
                                normalize_url, tokens)

from tests.helpers import collect_and_reduce, read_all, text_records, write_jsonl

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "dedup"


def _pages(real_docs, n=None):
    # pages with some vocabulary: lorem-ipsum test pages repeat a few dozen 5-grams and are not realistic copies
    docs = [d for d in real_docs if len(set(d.text.split())) >= 150 and d.id != "specimen-stitched-page"]
    return docs[:n] if n else docs


def _edit(text: str, kind: int, rng: random.Random) -> str:
    """Realistic near-duplicate edits: truncation, a few word substitutions, a changed footer."""
    words = text.split(" ")
    if kind == 0:
        return " ".join(words[: int(len(words) * 0.9)])
    if kind == 1:
        for i in rng.sample(range(len(words)), max(1, len(words) // 100)):
            words[i] = "changed"
        return " ".join(words)
    return text + "\n\nCopyright 2024 Example Media. All rights reserved. Subscribe to our newsletter."


def _shingles(text: str, n: int = 5) -> set:
    t = tokens(text)
    return {tuple(t[i:i + n]) for i in range(max(1, len(t) - n + 1))}


# --- signatures ----------------------------------------------------------------------------------------------

def test_signature_agreement_estimates_jaccard_and_is_batch_independent(real_docs):
    rng = random.Random(3)
    pages = _pages(real_docs, 40)
    pairs = [(p.text, _edit(p.text, i % 3, rng)) for i, p in enumerate(pages[:20])]
    pairs += [(pages[i].text, pages[i + 20].text) for i in range(20)]  # unrelated pages
    h = MinHasher(5, 256)
    flat = [t for pair in pairs for t in pair]
    sig, ok = h.signatures(flat)
    assert ok.all()
    errors = []
    for i, (a, b) in enumerate(pairs):
        sa, sb = _shingles(a), _shingles(b)
        true = len(sa & sb) / len(sa | sb)
        est = float((sig[2 * i] == sig[2 * i + 1]).mean())
        errors.append(abs(true - est))
    # 256 permutations: standard error <= 0.031; the mean absolute error is well under it
    assert np.mean(errors) < 0.03 and max(errors) < 0.12
    # signing documents one at a time gives the same signatures as one batch: shard splits cannot change results
    one = np.vstack([h.signatures([t])[0] for t in flat[:6]])
    assert np.array_equal(one, sig[:6])


def test_short_and_empty_documents():
    h = MinHasher(5, 64)
    sig, ok = h.signatures(["Two words.", "", "two  WORDS", "words two", "?!"])
    assert ok.tolist() == [True, False, True, True, False]
    assert np.array_equal(sig[0], sig[2]) and not np.array_equal(sig[0], sig[3])


def test_tokens_lowercase_without_punctuation_and_cjk_per_character():
    assert tokens("Hello, World! It's 2024.") == ["hello", "world", "it", "s", "2024"]
    assert tokens("“Quoted”—dash… café\u00a0naïve") == ["quoted", "dash", "café", "naïve"]
    assert tokens("日本語text") == ["日", "本", "語", "text"]


# --- steps through the Python API ------------------------------------------------------------------------------

def test_exact_dedup_normalisations_and_kept_id(real_docs):
    pages = _pages(real_docs, 30)
    docs = [Document(p.id, p.text) for p in pages]
    docs.append(Document("copy-ws", "  " + pages[3].text.replace(" ", "   ") + "\n"))
    docs.append(Document("copy-case", pages[5].text.upper().replace(".", "!")))
    out = {d.id: d for d in ExactDedup(normalize="whitespace")(docs)}
    assert out["copy-ws"].drop.reason == "exact_duplicate"
    assert out["copy-ws"].attributes["exact_dedup.kept_id"] == pages[3].id
    assert out[pages[3].id].drop is None and out[pages[3].id].attributes["exact_dedup.cluster_size"] == 2
    assert out["copy-case"].drop is None
    out = {d.id: d for d in ExactDedup(normalize="lowercase_punctuation")(docs)}
    assert out["copy-case"].drop is not None and out["copy-case"].attributes["exact_dedup.kept_id"] == pages[5].id
    out = {d.id: d for d in ExactDedup(normalize="none")(docs)}
    assert out["copy-ws"].drop is None
    assert normalize_text("A  b\n", "whitespace") == "A b"


def test_minhash_dedup_finds_edited_copies_and_spares_other_pages(real_docs):
    rng = random.Random(7)
    pages = _pages(real_docs, 60)
    docs = [Document(p.id, p.text) for p in pages]
    copies = {f"{p.id}-copy{k}": p.id for k, p in enumerate(pages[:24])}
    docs += [Document(f"{p.id}-copy{k}", _edit(p.text, k % 3, rng)) for k, p in enumerate(pages[:24])]
    out = {d.id: d for d in MinhashDedup()(docs)}
    dropped = {i for i, d in out.items() if d.drop is not None}
    # the copies come later in corpus order, so they are the ones dropped, each pointing at its original
    assert set(copies) <= dropped
    for c in copies:
        assert out[c].drop.reason == "near_duplicate"
        assert out[c].attributes["minhash_dedup.kept_id"] in (copies[c], out[copies[c]].attributes.get(
            "minhash_dedup.kept_id"))
    originals_dropped = {p.id for p in pages} & dropped
    # among the demo pages only the readability test pages that really are near-identical (lorem ipsum) cluster
    assert all(out[i].attributes["minhash_dedup.cluster_size"] >= 2 for i in originals_dropped)


def test_keep_longest_keeps_the_longer_document(real_docs):
    p = _pages(real_docs, 1)[0]
    short = " ".join(p.text.split(" ")[: int(len(p.text.split(" ")) * 0.95)])
    docs = [Document("short", short), Document("long", p.text)]
    first = {d.id: d for d in MinhashDedup(keep="first")(docs)}
    longest = {d.id: d for d in MinhashDedup(keep="longest")(docs)}
    assert first["long"].drop is not None and first["long"].attributes["minhash_dedup.kept_id"] == "short"
    assert longest["short"].drop is not None and longest["short"].attributes["minhash_dedup.kept_id"] == "long"


def test_url_dedup_normalises_urls():
    assert normalize_url("HTTPS://www.Example.com:443/a/b/?utm_source=x&b=2&a=1#top") == \
        normalize_url("http://example.com/a/b?a=1&b=2")
    assert normalize_url("https://example.com/a?id=1") != normalize_url("https://example.com/a?id=2")
    assert normalize_url("no host here") == ""
    docs = [Document("a", "x", {"url": "https://example.com/page"}),
            Document("b", "y", {"url": "http://www.example.com/page/?utm_medium=mail"}),
            Document("c", "z", {}), Document("d", "w", {"url": "https://example.com/other"})]
    out = {d.id: d for d in UrlDedup()(docs)}
    assert out["b"].drop.reason == "duplicate_url" and out["b"].attributes["url_dedup.kept_id"] == "a"
    assert [i for i, d in out.items() if d.drop] == ["b"]


def test_line_dedup_removes_lines_in_k_documents_with_edits_that_undo(real_docs):
    pages = _pages(real_docs, 20)
    chrome = "Cookie settings: we use cookies to improve your experience."
    docs = [Document(p.id, p.text + "\n" + chrome) for p in pages[:3]] + [Document(p.id, p.text) for p in pages[3:]]
    docs.append(Document("only-chrome", chrome + "\nShare this"))
    out = list(LineDedup(min_docs=3)(docs))
    by = {d.id: d for d in out}
    for d, orig in zip(out[:3], docs[:3]):
        assert chrome not in d.text
        assert any(e.reason == "repeated_line" and chrome in e.removed for e in d.edits)
        assert undo_edits(d.text, d.edits) == orig.text
    assert by["only-chrome"].drop.reason == "too_short_after_dedup"
    kept = list(LineDedup(min_docs=3, keep_first=True)(docs))
    assert chrome in kept[0].text and chrome not in kept[1].text
    # a line in fewer than min_docs documents stays
    assert all(chrome in d.text for d in LineDedup(min_docs=5)(docs[:3]))


def test_line_dedup_keeps_one_copy_of_a_page_copied_into_many_documents(real_docs):
    # A page near-copied into 5 documents (a small change each) lost its shared lines in every copy, so every copy
    # fell to too_short_after_dedup and none was left for minhash_dedup (friction10). The earliest copy keeps them
    # now; a page that only carries repeated chrome still loses it, and copy_share=1 gives the old behaviour.
    pages = _pages(real_docs, 12)
    page = pages[0].text
    chrome = "Cookie settings: we use cookies to improve your experience on this website today."
    copies = [Document(f"copy{i}", page + f"\nRevisited on day {i}.") for i in range(5)]
    others = [Document(p.id, p.text + "\n" + chrome) for p in pages[1:]]
    docs = others[:2] + copies + others[2:]
    out = {d.id: d for d in LineDedup(min_docs=3)(docs)}
    assert out["copy0"].drop is None and out["copy0"].text == copies[0].text
    assert out["copy0"].attributes["line_dedup.first_copy_kept"] > 5
    assert all(out[f"copy{i}"].drop.reason == "too_short_after_dedup" for i in range(1, 5))
    assert all(chrome not in out[d.id].text for d in others)  # chrome is no page's majority: removed everywhere
    assert all("line_dedup.first_copy_kept" not in out[d.id].attributes for d in others)
    old = {d.id: d for d in LineDedup(min_docs=3, copy_share=1.0)(docs)}
    assert all(old[f"copy{i}"].drop.reason == "too_short_after_dedup" for i in range(5))
    with pytest.raises(ValueError, match="copy_share"):
        LineDedup(copy_share=1.5).validate()


def test_line_dedup_removes_the_specimens_qa_chrome_once_it_recurs(real_docs):
    spec = next(d for d in real_docs if d.id == "specimen-stitched-page")
    corpus = [Document(p.id, p.text) for p in _pages(real_docs, 30)]
    corpus.append(Document("se-german", (FIX / "stackexchange-german.txt").read_text()))
    corpus += [Document(r["id"], r["text"]) for r in map(orjson.loads, (FIX / "qa-pages.jsonl").read_bytes().splitlines())]
    corpus.append(Document(spec.id, spec.text))
    out = {d.id: d for d in LineDedup(unit="sentence", min_docs=3)(corpus)}
    s = out[spec.id]
    removed = [e.removed.strip() for e in s.edits]
    assert removed == ["Making statements based on opinion; back them up with references or personal experience.",
                       "To subscribe to this RSS feed, copy and paste this URL into your RSS reader."]
    assert "RSS" not in s.text and "Making statements" not in s.text
    assert undo_edits(s.text, s.edits) == spec.text
    assert len(s.text.split()) > 2000 and s.drop is None  # the article text itself is untouched
    # with only the specimen and one other page carrying it, the chrome is not "recurring" at min_docs=3
    few = {d.id: d for d in LineDedup(unit="sentence", min_docs=3)(corpus[:30] + [corpus[-1], corpus[-2]])}
    assert not few[spec.id].edits


# --- connected components --------------------------------------------------------------------------------------

def _union_find(edges, nodes):
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


@pytest.mark.parametrize("parts", [1, 5])
def test_star_rounds_match_union_find(tmp_path, parts):
    rng = np.random.default_rng(parts)
    nodes = np.unique(rng.integers(0, 1 << 40, 3000, dtype=np.uint64))
    a = rng.choice(nodes, 2500)
    b = np.where(rng.random(2500) < 0.8, rng.choice(nodes, 2500), a)  # some chains, some self-loops
    keep = a != b
    a, b = a[keep], b[keep]
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    run = tmp_path / "edges"
    store.save_routed(run, store.partition_of(src, store.VIRTUAL), store.VIRTUAL, {"src": src, "dst": dst})
    labels = store.connected_components([run], parts, tmp_path, lambda f, xs: [f(x) for x in xs])
    got = {}
    for p in range(parts):
        d = store.read_routed(labels, p, ("node", "label"))
        got.update(zip(d["node"].tolist(), d["label"].tolist()))
    want = _union_find(list(zip(a.tolist(), b.tolist())), set(a.tolist()) | set(b.tolist()))
    assert got == want


# --- the pipeline: barriers, ledger, determinism ----------------------------------------------------------------

def _corpus(tmp_path, real_docs):
    rng = random.Random(11)
    pages = _pages(real_docs, 70)
    recs = text_records(pages)
    for k, r in enumerate(recs[:24]):
        # a few copies are the same page reached through a tracking link; the others are mirrors
        url = (r["url"] + "?utm_source=feed") if r["url"] and k % 5 == 0 else f"https://mirror.example/{k}"
        recs.append({"id": r["id"] + "-copy", "text": _edit(r["text"], k % 3, rng), "url": url})
    rng.shuffle(recs)
    for i in range(3):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", recs[i::3])
    return recs


def _pipe(tmp_path):
    return Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[UrlDedup(), ExactDedup(), MinhashDedup(), LineDedup()])])


def _outputs(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_all(folder).items()
            if k.startswith(("kept/", "rejected/")) or (k.startswith("work/") and "/d/" in k)}


def test_pipeline_is_byte_identical_on_one_or_two_workers_and_any_partitioning(tmp_path, real_docs, monkeypatch):
    recs = _corpus(tmp_path, real_docs)
    pipe = _pipe(tmp_path)
    a = run_pipeline(pipe, tmp_path / "a", InlineExecutor(), log=False)
    b = run_pipeline(pipe, tmp_path / "b", LocalExecutor(workers=2, progress=False), log=False)
    st = a.stats["stages"][0]
    assert st["balanced"] and st["in"] == len(recs)
    steps = {s["name"]: s for s in st["steps"]}
    assert steps["url_dedup"]["dropped"].get("duplicate_url", 0) >= 1
    assert steps["minhash_dedup"]["dropped"]["near_duplicate"] >= 12
    assert steps["line_dedup"]["edits"]["repeated_line"] > 100
    oa, ob = _outputs(tmp_path / "a"), _outputs(tmp_path / "b")
    assert oa and oa == ob
    # many small slices (as a tiny memory budget would give) change nothing either
    monkeypatch.setattr(store, "parts_for", lambda rows, per_row, mb: 4)
    c = run_pipeline(pipe, tmp_path / "c", InlineExecutor(), log=False)
    assert _outputs(tmp_path / "c") == oa
    assert c.stats["stages"][0]["kept"] == st["kept"]
    # every copy that minhash dropped names a kept document
    rej = [orjson.loads(x) for f in sorted((tmp_path / "a" / "rejected").rglob("*.jsonl*"))
           for x in open_read(f).read().splitlines()]
    near = [r for r in rej if r["drop"]["step"] == "minhash_dedup"]
    assert near and all(r["attributes"]["minhash_dedup.kept_id"] != r["id"] for r in near)


def test_reduce_resumes_at_the_phase_it_was_in(tmp_path, real_docs, monkeypatch):
    docs = [Document(p.id, p.text) for p in _pages(real_docs, 30)]
    docs += [Document(d.id + "-c", d.text[:-50]) for d in docs[:5]]

    def run(folder):
        return collect_and_reduce(MinhashDedup(), docs, folder)

    fresh = run(tmp_path / "fresh")
    assert len(orjson.loads(fresh)["rows"]) >= 10
    real_decide, calls = store.run_decide_task, []

    def killed(task):
        raise KeyboardInterrupt("killed while writing decisions")

    monkeypatch.setattr(store, "run_decide_task", killed)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed")
    assert (tmp_path / "resumed" / "buckets.done").exists() and not (tmp_path / "resumed" / "decide.done").exists()
    monkeypatch.setattr(store, "run_decide_task", real_decide)
    monkeypatch.setattr(store, "run_table_task", lambda t: calls.append(t))  # must not run again
    assert run(tmp_path / "resumed") == fresh and not calls


def test_units_are_content_spans():
    from winnow.steps.dedup import _unit_spans

    text = "  Title\n\nFirst para line one.\nline two.\n\n\n  • Footer link\n"
    lines = [text[s:e] for s, e in _unit_spans(text, "line")]
    assert lines == ["Title", "First para line one.", "line two.", "• Footer link"]
    paras = [text[s:e] for s, e in _unit_spans(text, "paragraph")]
    assert paras == ["Title", "First para line one.\nline two.", "• Footer link"]
    t2 = "One sentence here. Another one follows! Last?"
    sents = [t2[s:e] for s, e in _unit_spans(t2, "sentence")]
    assert sents == ["One sentence here.", "Another one follows!", "Last?"]


def test_a_collect_stopped_midway_takes_its_rows_back(monkeypatch):
    # A document whose collect raised (a budget stop lands between any two appends) gets no ordinal and the next
    # document takes it: the rows it had added were counted as that next document's (and the three row lists could
    # fall out of step). They are taken back now, for the row tables and for minhash's batch.
    from winnow.pipeline import BudgetExceeded
    from winnow.steps import dedup

    text = "\n".join(f"line number {i} of a page with enough words in it" for i in range(6))
    real = dedup._unit_key
    calls = {"n": 0}

    def key_then_stop(s, min_chars):
        calls["n"] += 1
        if calls["n"] == 4:
            raise BudgetExceeded("stopped midway")
        return real(s, min_chars)

    step = LineDedup(min_docs=2)
    step.start_collect(None)
    monkeypatch.setattr(dedup, "_unit_key", key_then_stop)
    with pytest.raises(BudgetExceeded):
        step.collect(Document("hostile", text))
    step.collect(Document("next", text))
    assert step._ids == ["next"] and step._o == [0] * 6 and len(step._k) == len(step._k2) == 6

    mh = MinhashDedup()
    mh.start_collect(None)
    real_sig = mh._hasher.signatures
    monkeypatch.setattr(dedup, "_BATCH_CHARS", 1)
    monkeypatch.setattr(mh._hasher, "signatures", lambda texts: (_ for _ in ()).throw(BudgetExceeded("x")))
    with pytest.raises(BudgetExceeded):
        mh.collect(Document("hostile", text))
    monkeypatch.setattr(mh._hasher, "signatures", real_sig)
    mh.collect(Document("next", text))
    assert mh._ids == ["next"] and mh._batch == [] and [o.tolist() for o in mh._key_ords] == [[0]]


@pytest.mark.parametrize("content", [b'{"rows": [[0, "a", tr', b"[]", b'{"rows": 5}'])
def test_a_damaged_decision_file_is_named_when_the_apply_pass_reads_it(tmp_path, content):
    # the stage stops on it (a ValueError in setup is not retried): the message must say which file and what to do
    from winnow.step import Context

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "00000.json").write_bytes(content)
    with pytest.raises(ValueError) as exc:
        ExactDedup().setup(Context(run_dir=tmp_path, stage="main", shard="00000", work_dir=tmp_path))
    assert str(tmp_path / "d" / "00000.json") in str(exc.value) and "run the pipeline again" in str(exc.value)


def test_a_decision_file_gone_from_a_shard_that_was_collected_is_named_not_read_as_no_duplicates(tmp_path):
    # a missing decision file read as "no decisions": every duplicate of the shard was kept, unmarked and
    # unexplained (the reduce writes one for every collected shard, rows or none); a shard never collected has none
    from winnow.step import Context

    docs = [Document(f"d{i}", "the same page text, word for word, again and again") for i in range(3)]
    collect_and_reduce(ExactDedup(), docs, tmp_path / "w")
    (tmp_path / "w" / "d" / "00000.json").unlink()
    with pytest.raises(ValueError) as exc:
        ExactDedup().setup(Context(run_dir=tmp_path, stage="main", shard="00000", work_dir=tmp_path / "w"))
    assert str(tmp_path / "w" / "d" / "00000.json") in str(exc.value) and "run the pipeline again" in str(exc.value)
    step = ExactDedup()
    step.setup(Context(run_dir=tmp_path, stage="main", shard="00001", work_dir=tmp_path / "w"))  # never collected
    assert step.process(Document("x", "text")).drop is None
