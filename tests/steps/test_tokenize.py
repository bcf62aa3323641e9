"""The tokenize step: token counts from a real tokenizer (a small BPE built here with `tokenizers` itself, since
tests have no network), tokenizer loading from local files, fsspec URLs and hf:// addresses, the min_tokens
filter, and the counts in stats.json."""

from __future__ import annotations

import fsspec
import orjson
import pytest

from winnow.config import pipeline_from_dict
from winnow.document import Document
from winnow.steps import tokens as tk
from winnow.steps.tokens import Tokenize, load_tokenizer, token_ids

from tests.conftest import sample_docs

tokenizers = pytest.importorskip("tokenizers")

TEXTS = [d.text for d in sample_docs(60)]


def make_tokenizer(path, vocab_size: int = 600):
    """A byte-level BPE trained on the demo crawl, with GPT-2's end-of-text token: what a real tokenizer.json holds."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>", "<s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(TEXTS, trainer)
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    return make_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


def test_counts_are_the_tokenizers_own(tok_path):
    ref = tokenizers.Tokenizer.from_file(str(tok_path))
    step = Tokenize(tokenizer=str(tok_path))
    docs = [Document(str(i), t) for i, t in enumerate(TEXTS)]
    out = list(step(docs))
    for doc, text in zip(out, TEXTS):
        want = ref.encode(text, add_special_tokens=False).ids
        assert doc.attributes["tokenize.tokens"] == len(want) > 0
        assert token_ids(doc, step._tok) == want  # the ids a tokenized writer reuses
    # ids are keyed on the text: a later edit makes them stale, and they are not reused
    doc = out[0]
    doc.text = doc.text + " more"
    assert token_ids(doc, step._tok) is None


def test_a_document_holding_the_eos_text_is_encoded_as_text(tok_path):
    step = Tokenize(tokenizer=str(tok_path))
    doc = next(iter(step([Document("a", "before <|endoftext|> after")])))
    eos = step._tok.token_id("<|endoftext|>")
    assert eos is not None and eos in token_ids(doc, step._tok)  # the text contains it; counted like the library
    ref = tokenizers.Tokenizer.from_file(str(tok_path))
    assert token_ids(doc, step._tok) == ref.encode("before <|endoftext|> after", add_special_tokens=False).ids


def test_bytes_tokenizer_and_min_tokens():
    step = Tokenize(min_tokens=4)  # default tokenizer: UTF-8 bytes
    out = list(step([Document("short", "hé"), Document("long", "hello")]))
    assert out[0].attributes["tokenize.tokens"] == 3 and out[0].drop.reason == "too_few_tokens"
    assert out[0].drop.value == 3 and out[0].drop.threshold == 4
    assert out[1].drop is None and token_ids(out[1], step._tok) == list(b"hello")


def test_validation_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="min_tokens"):
        Tokenize(min_tokens=-1).validate()
    with pytest.raises(ValueError, match="tokenizer is required"):
        Tokenize(tokenizer="").validate()
    with pytest.raises(FileNotFoundError, match="tokenizer not found"):
        load_tokenizer(str(tmp_path / "nope.json"))
    with pytest.raises(FileNotFoundError, match="tokenizer not found"):
        load_tokenizer("memory://nowhere/tokenizer.json", cache_dir=str(tmp_path))


def test_tiktoken_unavailable_offline_says_so(monkeypatch, tmp_path):
    pytest.importorskip("tiktoken")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # empty cache; no network in tests
    with pytest.raises(ValueError, match="tiktoken cannot load encoding 'not_an_encoding'"):
        load_tokenizer("tiktoken:not_an_encoding")


def test_fsspec_and_hf_addresses_download_once(tok_path, tmp_path, monkeypatch):
    fs = fsspec.filesystem("memory")
    try:
        fs.pipe("/store/tok.json", tok_path.read_bytes())
        monkeypatch.setenv("HF_ENDPOINT", "memory://hub")
        fs.pipe("/hub/someone/model/resolve/v2/tokenizer.json", tok_path.read_bytes())
        ref = tokenizers.Tokenizer.from_file(str(tok_path)).encode(TEXTS[0], add_special_tokens=False).ids
        for spec in ("memory://store/tok.json", "hf://someone/model@v2/tokenizer.json"):
            step = Tokenize(tokenizer=spec, cache_dir=str(tmp_path / "cache"))
            doc = next(iter(step([Document("a", TEXTS[0])])))
            assert token_ids(doc, step._tok) == ref
        cached = sorted(p.name for p in (tmp_path / "cache").rglob("*.json"))
        assert cached == ["tok.json", "tokenizer.json"]
        # a second load (another worker) finds the cached file: the source may be gone
        fs.rm("/store/tok.json")
        tk._LOADED.clear()
        assert load_tokenizer("memory://store/tok.json", cache_dir=str(tmp_path / "cache")).encode(TEXTS[0]) == ref
    finally:
        for p in fs.find("/"):
            fs.rm(p)


def test_a_run_counts_tokens_in_stats(tok_path, tmp_path):
    from winnow.run import run_pipeline

    pipe = pipeline_from_dict({
        "run": {"name": "tok"}, "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-0.jsonl.zst"},
                    "steps": [{"type": "length", "min_chars": 200},
                              {"type": "tokenize", "tokenizer": str(tok_path), "min_tokens": 1500}],
                    "writer": {"type": "jsonl"}}]})
    res = run_pipeline(pipe, tmp_path / "run", "inline", log=False, report=False)
    kept = list(res.kept())
    ref = tokenizers.Tokenizer.from_file(str(tok_path))
    assert kept and all(d.attributes["tokenize.tokens"] == len(ref.encode(d.text, add_special_tokens=False).ids)
                        for d in kept)
    stats = orjson.loads((tmp_path / "run" / "stats.json").read_bytes())
    stage = stats["stages"][0]
    assert stage["tokens_out"] == sum(d.attributes["tokenize.tokens"] for d in kept)
    from winnow.run import format_stats

    assert f"tokens kept: {stage['tokens_out']:,} (tokenize step)" in format_stats(stats)  # the run's summary
    step = next(s for s in stage["steps"] if s["name"] == "tokenize")
    assert step["dropped"].get("too_few_tokens", 0) > 0  # the filter is real on this data
