"""Tokenized writers: every document read back with the consumer's reader gives the tokenizer's ids for its kept
text, with EOS/BOS where the consumer expects them.

The consumers' own readers (megatron-core's IndexedDataset, datatrove's / nanotron's DatatroveFolderDataset) import
torch, too heavy for the test environment; the readers below are re-implemented here from the formats' published
layouts (megatron/core/datasets/indexed_dataset.py's _IndexReader; datatrove's TokenizedFile), independently of
winnow.io.tokenized's own reader. nanoGPT's reader is one numpy call, used as nanoGPT's train.py makes it."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from winnow.config import pipeline_from_dict
from winnow.document import Document
from winnow.errors import ConfigError
from winnow.io.tokenized import DatatroveWriter, MegatronWriter, NanoGPTWriter, read_tokenized
from winnow.steps.tokens import Tokenize

from tests.conftest import sample_docs
from tests.steps.test_tokenize import make_tokenizer

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    return make_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


@pytest.fixture(scope="module")
def ref(tok_path):
    t = tokenizers.Tokenizer.from_file(str(tok_path))
    return lambda text: t.encode(text, add_special_tokens=False).ids, t.token_to_id("<|endoftext|>"), t.token_to_id("<s>")


def megatron_read(prefix):
    """Megatron's MMapIndexedDataset, from its layout: header, version, dtype code, counts, lengths, pointers."""
    idx = open(str(prefix) + ".idx", "rb").read()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    (version,) = struct.unpack("<Q", idx[9:17])
    (code,) = struct.unpack("<B", idx[17:18])
    seq_count, doc_count = struct.unpack("<QQ", idx[18:34])
    dtype = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32,
             8: np.uint16}[code]
    off = 34
    lengths = np.frombuffer(idx, np.int32, seq_count, off)
    off += lengths.nbytes
    pointers = np.frombuffer(idx, np.int64, seq_count, off)
    off += pointers.nbytes
    doc_idx = np.frombuffer(idx, np.int64, doc_count, off)
    assert version == 1 and off + doc_idx.nbytes == len(idx)
    data = np.memmap(str(prefix) + ".bin", dtype=dtype, mode="r")
    seqs = [np.frombuffer(data, dtype, int(n), int(p)).tolist() for n, p in zip(lengths, pointers)]
    # documents as Megatron groups sequences: doc_idx[i]..doc_idx[i+1]
    return [sum(seqs[doc_idx[i]:doc_idx[i + 1]], []) for i in range(doc_count - 1)], np.dtype(dtype)


def datatrove_read(path):
    """datatrove's TokenizedFile: tokens (uint16 or uint32 by the metadata's token size), u64 document ends."""
    first = open(str(path) + ".metadata").read().split("\n")
    token_size = int(first[0].rsplit("|", 1)[1])
    assert int(first[1]) >= 0
    tokens = np.fromfile(path, dtype=np.uint16 if token_size == 2 else np.uint32)
    ends = np.fromfile(str(path) + ".index", dtype=np.uint64)
    assert int(first[1]) == len(tokens) == (int(ends[-1]) if len(ends) else 0)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    return [tokens[s:e].tolist() for s, e in zip(starts, ends.astype(np.int64))]


def nanogpt_read(path, dtype=np.uint16):
    data = np.memmap(path, dtype=dtype, mode="r")  # nanoGPT's train.py
    bounds = np.load(str(path)[: -len(".bin")] + ".docs.npy")
    return [data[bounds[i]:bounds[i + 1]].tolist() for i in range(len(bounds) - 1)], data


def _write(writer, docs, path, step=None):
    h = writer.open(path)
    for d in docs:
        h.write(d)
    h.close()


def _docs():
    # the demo crawl plus the edge cases: an empty text, non-ASCII, the EOS text inside a document
    out = [Document(d.id, d.text) for d in sample_docs(40)]
    out += [Document("empty", ""), Document("utf8", "Größe ünd 東京 🎉"), Document("eos", "a <|endoftext|> b")]
    return out


@pytest.mark.parametrize("via_step", [True, False])
def test_megatron_round_trip(tmp_path, tok_path, ref, via_step):
    enc, eos, _ = ref
    docs = _docs()
    if via_step:  # the writer reuses the step's ids
        docs = list(Tokenize(tokenizer=str(tok_path))(docs))
    _write(MegatronWriter(tokenizer=str(tok_path)), docs, tmp_path / "s.bin")
    got, dtype = megatron_read(tmp_path / "s")
    assert dtype == np.uint16  # Megatron's choice for a vocabulary under 65,500
    assert got == [enc(d.text) + [eos] for d in docs]
    tf = read_tokenized(tmp_path / "s.bin", "megatron")  # winnow's own reader (shuffle-merge) agrees
    assert [tf.document(i).tolist() for i in range(len(tf))] == got


def test_datatrove_round_trip_with_bos_and_wide_tokens(tmp_path, tok_path, ref):
    enc, eos, bos = ref
    docs = _docs()
    _write(DatatroveWriter(tokenizer=str(tok_path), bos="<s>", dtype="uint32"), docs, tmp_path / "s.ds")
    assert datatrove_read(tmp_path / "s.ds") == [[bos] + enc(d.text) + [eos] for d in docs]
    _write(DatatroveWriter(tokenizer=str(tok_path)), docs, tmp_path / "t.ds")
    assert datatrove_read(tmp_path / "t.ds") == [enc(d.text) + [eos] for d in docs]
    assert (tmp_path / "t.ds").stat().st_size * 2 == (tmp_path / "s.ds").stat().st_size - 4 * len(docs)  # uint32 vs uint16, one BOS each


def test_nanogpt_round_trip_and_no_eos(tmp_path, tok_path, ref):
    enc, eos, _ = ref
    docs = _docs()
    _write(NanoGPTWriter(tokenizer=str(tok_path)), docs, tmp_path / "s.bin")
    got, data = nanogpt_read(tmp_path / "s.bin")
    assert got == [enc(d.text) + [eos] for d in docs]
    assert data.tolist() == sum((enc(d.text) + [eos] for d in docs), [])  # the flat stream a trainer samples
    _write(NanoGPTWriter(tokenizer=str(tok_path), eos=""), docs, tmp_path / "n.bin")
    assert nanogpt_read(tmp_path / "n.bin")[0] == [enc(d.text) for d in docs]


def test_bytes_tokenizer_uint16_and_missing_special(tmp_path):
    docs = [Document("a", "héllo"), Document("b", "")]
    _write(NanoGPTWriter(), docs, tmp_path / "s.bin")
    assert nanogpt_read(tmp_path / "s.bin")[0] == [list("héllo".encode()) + [256], [256]]
    with pytest.raises(ValueError, match="has no token '<eos>'"):
        NanoGPTWriter(eos="<eos>").open(tmp_path / "x.bin")
    with pytest.raises(ValueError, match="int32"):
        MegatronWriter(dtype="uint32").validate()


@pytest.mark.parametrize("fmt", ["megatron", "datatrove", "nanogpt"])
def test_in_a_run_every_kept_document_is_in_the_shard_files(tmp_path, tok_path, ref, fmt, capsys):
    from winnow.run import run_pipeline

    enc, eos, _ = ref
    cfg = {"run": {"name": "tok"}, "executor": {"type": "inline"},
           "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-*.jsonl.zst"},
                       "steps": [{"type": "length", "min_chars": 300},
                                 {"type": "tokenize", "tokenizer": str(tok_path)}],
                       "writer": {"type": fmt, "tokenizer": str(tok_path)},
                       "rejects": {"type": "jsonl"}}]}
    # --verify re-counts every output file against the ledger: the token files by their index
    res = run_pipeline(pipeline_from_dict(cfg), tmp_path / "run", "inline", log=False, report=False,
                       verify_files=True)
    folder = tmp_path / "run" / "kept" / "main"
    ext = {"megatron": ".bin", "datatrove": ".ds", "nanogpt": ".bin"}[fmt]
    files = sorted(folder.glob("*" + ext))
    assert len(files) > 1 and not list(folder.glob(".tmp*"))

    def read(f):
        if fmt == "megatron":
            return megatron_read(str(f)[: -len(".bin")])[0]
        return datatrove_read(f) if fmt == "datatrove" else nanogpt_read(f)[0]

    def ids_in(shard):
        import orjson

        return [orjson.loads(x)["id"] for x in (folder / (shard.name + ".ids.jsonl")).read_bytes().splitlines()]

    def span_start(shard, line):  # tokens before the line's document in its file, by the consumer's reader
        return sum(len(d) for d in read(folder / (shard.name + ext))[: line - 1])
    got = []
    for f in files:  # one file per shard, each document whole inside one of them
        if fmt == "megatron":
            got += megatron_read(str(f)[: -len(".bin")])[0]
        elif fmt == "datatrove":
            got += datatrove_read(f)
        else:
            got += nanogpt_read(f)[0]
    kept = res.summary["stages"][0]["kept"] if isinstance(res.summary, dict) else None
    texts = [d.text for d in sample_docs() if len(d.text.strip()) >= 300]
    assert kept in (None, len(texts)) and got == [enc(t) + [eos] for t in texts]
    # every shard's ids file names its documents in order, and explain finds a document through the run
    import orjson

    ids = [orjson.loads(x)["id"] for f in files for x in (folder / (f.name[: -len(ext)] + ".ids.jsonl")).read_bytes().splitlines()]
    assert ids == [d.id for d in sample_docs() if len(d.text.strip()) >= 300]
    from winnow.report.explain import explain

    capsys.readouterr()
    last = ids[-1]  # in the last shard: its span starts past the first file's documents
    assert explain(tmp_path / "run", last, as_json=True) == 0
    (span,) = orjson.loads(capsys.readouterr().out)
    shard = folder / span["tokens_file"].split("/")[-1][:-2]
    assert span["stage"] == "main" and span["line"] == ids_in(shard).index(last) + 1
    enc_last = enc(next(d.text for d in sample_docs() if d.id == last)) + [eos]
    assert span["tokens"] == len(enc_last) and span["start"] == span_start(shard, span["line"])
    assert explain(tmp_path / "run", last) == 0
    assert f"tokens {span['start']:,}..{span['start'] + span['tokens'] - 1:,} ({span['tokens']:,} tokens)" in capsys.readouterr().out
    assert explain(tmp_path / "run", "no-such-document") == 1
    assert "ids.jsonl files do not name it" in capsys.readouterr().err
    from winnow.results import open_run

    assert [d.id for d in open_run(tmp_path / "run").rejected()]  # the ids files are not read as records
    # a later stage cannot read token files as documents
    cfg["stages"].append({"name": "again", "from": "main", "steps": []})
    with pytest.raises(ConfigError, match="writes token ids"):
        pipeline_from_dict(cfg).validate()


@pytest.mark.parametrize("fmt,name", [("megatron", "s.bin"), ("datatrove", "s.ds"), ("nanogpt", "s.bin")])
def test_ids_file_leads_each_token_span_back_to_its_document(tmp_path, tok_path, ref, fmt, name):
    import orjson

    from winnow.io.tokenized import FORMATS

    docs = _docs()
    _write(FORMATS[fmt](tokenizer=str(tok_path), bos="<s>"), docs, tmp_path / name)
    lines = [orjson.loads(x) for x in (tmp_path / "s.ids.jsonl").read_bytes().splitlines()]
    # the consumer's own reading of the tokens file: document i is the span the ids file's line i names
    if fmt == "megatron":
        got = megatron_read(tmp_path / "s")[0]
        flat = np.memmap(tmp_path / name, dtype=np.uint16, mode="r").tolist()
    elif fmt == "datatrove":
        got = datatrove_read(tmp_path / name)
        flat = np.fromfile(tmp_path / name, dtype=np.uint16).tolist()
    else:
        got, data = nanogpt_read(tmp_path / name)
        flat = data.tolist()
    assert [x["id"] for x in lines] == [d.id for d in docs] and len(got) == len(docs)
    for line, tokens in zip(lines, got):
        assert flat[line["start"]:line["start"] + line["tokens"]] == tokens and line["tokens"] == len(tokens)
    assert lines[-1]["start"] + lines[-1]["tokens"] == len(flat)
    # off: no ids file, the same tokens
    _write(FORMATS[fmt](tokenizer=str(tok_path), bos="<s>", doc_ids=False), docs, tmp_path / ("n" + name[1:]))
    assert not (tmp_path / "n.ids.jsonl").exists()
    assert (tmp_path / ("n" + name[1:])).read_bytes() == (tmp_path / name).read_bytes()
