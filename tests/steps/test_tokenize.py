"""The tokenize step: token counts from a real tokenizer (a small BPE built here with `tokenizers` itself, since
tests have no network), tokenizer loading from local files, fsspec URLs and hf:// addresses, the min_tokens
filter, and the counts in stats.json."""

from __future__ import annotations

import fsspec
import numpy as np
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


# --- tiktoken from local files ---------------------------------------------------------------------------------

GPT2_SPLIT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def make_tiktoken(folder, merges: int = 80):
    """A byte-level BPE in tiktoken's own files, trained here (tests have no network): the 256 bytes, then each
    round's most frequent adjacent pair merged, over the demo crawl split with GPT-2's pattern; the ranks file in
    tiktoken's format (base64 token, rank) and the JSON that describes the encoding."""
    import base64
    import collections
    import json

    import regex

    words = collections.Counter(tuple(bytes([b]) for b in w.encode()) for t in TEXTS[:6]
                                for w in regex.findall(GPT2_SPLIT, t[:2000]))
    ranks = {bytes([i]): i for i in range(256)}
    for _ in range(merges):
        pairs: collections.Counter = collections.Counter()
        for w, n in words.items():
            for a, b in zip(w, w[1:]):
                pairs[a, b] += n
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))  # ties broken by the bytes: deterministic
        ranks.setdefault(a + b, len(ranks))
        merged = collections.Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.tiktoken").write_bytes(b"".join(base64.b64encode(t) + b" %d\n" % r for t, r in ranks.items()))
    desc = {"name": "tiny", "pat_str": GPT2_SPLIT, "mergeable_ranks": "tiny.tiktoken",
            "special_tokens": {"<|endoftext|>": len(ranks), "<|startoftext|>": len(ranks) + 1}}
    (folder / "tiny.json").write_text(json.dumps(desc))
    return folder / "tiny.json", ranks, desc


def test_tiktoken_from_a_local_ranks_file_round_trips_through_a_writer(tmp_path):
    tiktoken = pytest.importorskip("tiktoken")
    from tests.io.test_tokenized import megatron_read
    from winnow.io.tokenized import MegatronWriter

    path, ranks, desc = make_tiktoken(tmp_path / "enc")
    assert len(ranks) > 300  # merges were learnt: not a bytes tokenizer in disguise
    ref = tiktoken.Encoding("ref", pat_str=desc["pat_str"], mergeable_ranks=ranks, special_tokens=desc["special_tokens"])
    spec = f"tiktoken:{path}"
    step = Tokenize(tokenizer=spec)
    docs = [Document(str(i), t) for i, t in enumerate(TEXTS[:20])] + [Document("eos", "a <|endoftext|> b"),
                                                                      Document("utf8", "Größe ünd 東京 🎉")]
    out = list(step(docs))
    for d in out:
        want = ref.encode_ordinary(d.text)
        assert token_ids(d, step._tok) == want and d.attributes["tokenize.tokens"] == len(want)
        assert ref.decode(want) == d.text
    assert sum(d.attributes["tokenize.tokens"] for d in out) < sum(len(d.text.encode()) for d in out) * 0.8
    w = MegatronWriter(tokenizer=spec)  # EOS: the JSON's <|endoftext|>
    h = w.open(tmp_path / "shard.bin")
    for d in out:
        h.write(d)
    h.close()
    got, dtype = megatron_read(tmp_path / "shard")
    eos = desc["special_tokens"]["<|endoftext|>"]
    assert dtype == np.uint16 and got == [ref.encode_ordinary(d.text) + [eos] for d in out]
    assert [ref.decode(g[:-1]) for g in got] == [d.text for d in out]  # back to the kept text, every document


def test_tiktoken_local_files_refuse_what_they_cannot_load(tmp_path):
    pytest.importorskip("tiktoken")
    import json

    path, _, desc = make_tiktoken(tmp_path / "enc", merges=5)
    with pytest.raises(ValueError, match="holds no split pattern"):
        load_tokenizer(f"tiktoken:{tmp_path / 'enc' / 'tiny.tiktoken'}")
    with pytest.raises(FileNotFoundError, match="tokenizer not found"):
        load_tokenizer(f"tiktoken:{tmp_path / 'nope.json'}")
    (tmp_path / "bad.json").write_text(json.dumps({**desc, "mergeable_ranks": "enc/tiny.tiktoken", "pattern": "x"}))
    with pytest.raises(ValueError, match="unknown key"):
        load_tokenizer(f"tiktoken:{tmp_path / 'bad.json'}")
    (tmp_path / "enc" / "broken.tiktoken").write_text("QQ== 0\nnot-base64!! 1\n")
    (tmp_path / "broken.json").write_text(json.dumps({**desc, "mergeable_ranks": "enc/broken.tiktoken"}))
    with pytest.raises(ValueError, match="line 2 is not"):
        load_tokenizer(f"tiktoken:{tmp_path / 'broken.json'}")


def test_a_bare_hub_name_is_refused_before_the_run(tmp_path):
    # friction12: `tokenizer: gpt2` (datatrove's tokenizer_name_or_path) passed `winnow validate`, then failed every
    # shard of the tokenizing pass three times, after the passes before it had run
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    def stage(spec):
        return {"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": str(tmp_path / "x.jsonl")},
                            "steps": [{"type": "tokenize", "tokenizer": spec}],
                            "writer": {"type": "datatrove", "tokenizer": spec}}]}

    with pytest.raises(ConfigError) as exc:
        pipeline_from_dict(stage("gpt2"))
    msg = str(exc.value)
    assert "(tokenize): tokenizer 'gpt2': no such file" in msg and "writer (datatrove): tokenizer 'gpt2'" in msg
    assert "hf://openai-community/gpt2/tokenizer.json" in msg
    with pytest.raises(ConfigError, match="hf://meta-llama/Llama-3.1-8B/tokenizer.json"):
        pipeline_from_dict(stage("meta-llama/Llama-3.1-8B"))
    with pytest.raises(ConfigError) as exc:  # a path that is not there: no Hub advice ("hf://OWNER/tok.json/...")
        pipeline_from_dict(stage("tok/tokenizer.json"))
    assert "'tok/tokenizer.json': no such file (relative to " in str(exc.value) and "hf://" not in str(exc.value)
    local = make_tokenizer(tmp_path / "tokenizer.json")
    for spec in (str(local), "file://" + str(local), "bytes", "tiktoken:gpt2", "hf://o/r/tokenizer.json"):
        pipeline_from_dict(stage(spec))  # remote ones and tiktoken are checked when loaded, as before
    # a local tokenizer is loaded: an eos it does not have is refused now, not in the tokenizing pass
    raw = stage(str(local))
    raw["stages"][0]["writer"]["eos"] = "</s>"
    with pytest.raises(ConfigError, match=r"writer \(datatrove\): datatrove writer: the tokenizer .* has no token "
                                          r"'</s>' for eos"):
        pipeline_from_dict(raw)
    # a folder (as save_pretrained writes one) read "no such file" and the Hub advice; it names its tokenizer.json
    with pytest.raises(ConfigError, match=r"tokenizer '.*' is a folder; give the tokenizer.json in it: .*tokenizer"):
        pipeline_from_dict(stage(str(tmp_path)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"is a folder with no tokenizer.json"):
        pipeline_from_dict(stage(str(tmp_path / "empty")))
