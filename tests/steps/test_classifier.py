"""The classifier step: fastText models at document, paragraph and line level, model loading from local files,
fsspec stores and hf:// addresses (on fsspec's memory filesystem: tests have no network), whatif and explain."""

from __future__ import annotations

import threading
from pathlib import Path

import fsspec
import pytest

from winnow.config import pipeline_from_dict
from winnow.document import Document, undo_edits
from winnow.step import Context
from winnow.steps import classify as clf
from winnow.steps.classify import Classifier, hf_url, model_input, resolve_model
from winnow.steps.langid import lite_model_path

from tests.conftest import sample_docs

LID = lite_model_path()


def _wrapper_predict(path, text):
    """What the fastText library itself says for the text as one line, label prefix removed (its binding's
    predict: the Python wrapper above it differs between fasttext-predict and the training binding, whose
    numpy-1 array call fails on numpy 2)."""
    import fasttext

    pairs = fasttext.load_model(str(path)).f.predict(" ".join(text.splitlines()) + "\n", -1, 0.0, "strict")
    return {lb.removeprefix("__label__"): float(p) for p, lb in pairs}


def test_document_scores_are_the_libraries_own():
    step = Classifier(model=str(LID), labels=["en", "de", "fr"])
    step.setup(Context())
    for d in sample_docs(40):
        doc = step.process(Document(d.id, d.text))
        want = _wrapper_predict(LID, d.text)
        for label in ("en", "de", "fr"):
            # a label the library leaves out (probability below ~1e-5) reads 0.0
            assert doc.attributes[f"classifier.lid_176.{label}"] == pytest.approx(want.get(label, 0.0), abs=1e-6)
        assert doc.drop is None  # no keep: a tagger
        assert not any(k.endswith("keep_score") for k in doc.attributes)


def test_keep_drops_below_the_minimum_and_min_score_overrides():
    en = "The committee published its annual report on the state of public libraries across the country today."
    de = "Der Ausschuss hat heute seinen Jahresbericht über den Zustand der öffentlichen Bibliotheken vorgelegt."
    step = Classifier(labels=["en"], keep={"en": 0.5})
    step.validate()
    out = list(step([Document("a", en), Document("b", de)]))
    assert out[0].drop is None and out[0].attributes["classifier.keep_label"] == "en"
    assert out[1].drop is not None and out[1].drop.reason == "low_score" and out[1].drop.threshold == 0.5
    assert out[1].drop.value == out[1].attributes["classifier.lid176.en"] == out[1].attributes["classifier.keep_score"]
    assert out[1].attributes["classifier.failed_label"] == "en"
    # min_score replaces every keep minimum (what whatif moves): a bar above the English score drops it too
    strict = Classifier(labels=["en"], keep={"en": 0.5}, min_score=0.99999)
    assert next(iter(strict([Document("a", en)]))).drop is not None


def test_line_level_removes_the_lines_below_threshold_with_the_label_as_reason():
    lines = ["The museum reopened on Saturday after a long renovation of its main hall and galleries.",
             "Das Museum wurde am Samstag nach einer langen Renovierung der Haupthalle wieder eröffnet.",
             "",
             "Visitors can now see the restored paintings in the east wing, free of charge until June.",
             "Le musée a rouvert samedi après une longue rénovation de son hall principal et des galeries."]
    text = "\n".join(lines)
    step = Classifier(labels=["en", "de", "fr"], keep={"en": 0.5}, level="line", record_segments=True)
    doc = next(iter(step([Document("x", text)])))
    assert doc.drop is None
    assert [e.reason for e in doc.edits] == ["de", "fr"]
    assert doc.text == lines[0] + "\n" + "\n" + lines[3]
    assert undo_edits(doc.text, doc.edits) == text  # nothing is lost
    assert doc.attributes["classifier.lid176.segments"] == 4
    assert doc.attributes["classifier.lid176.removed"] == 2
    spans = doc.attributes["classifier.lid176.spans"]
    assert [s[2] for s in spans] == ["en", "de", "en", "fr"]
    for e in doc.edits:  # the edit's score is the kept label's score of that line
        assert e.score == pytest.approx(_wrapper_predict(LID, e.removed.strip()).get("en", 0.0), abs=1e-6)
    # the document attribute is the character-weighted mean of the line scores
    per = [(len(ln), _wrapper_predict(LID, ln).get("en", 0.0)) for ln in lines if ln]
    mean = sum(w * p for w, p in per) / sum(w for w, _ in per)
    assert doc.attributes["classifier.lid176.en"] == pytest.approx(mean, abs=1e-6)


def test_paragraph_level_keeps_separators_tidy():
    paras = ["An English paragraph about the weather, which was sunny and warm for most of the week.",
             "Ein deutscher Absatz über das Wetter, das die ganze Woche sonnig und warm war.",
             "Another English paragraph closes the page with a few words about the coming weekend."]
    text = "\n\n".join(paras) + "\n"
    doc = next(iter(Classifier(keep={"en": 0.5}, labels=["en"], level="paragraph")([Document("p", text)])))
    assert doc.text == paras[0] + "\n\n" + paras[2] + "\n"
    assert [e.reason for e in doc.edits] == ["de"]
    assert undo_edits(doc.text, doc.edits) == text
    # the last paragraph removed takes the separator before it
    doc = next(iter(Classifier(keep={"de": 0.5}, labels=["de"], level="paragraph")([Document("p", text)])))
    assert doc.text == paras[1] + "\n"


@pytest.mark.parametrize("bad, msg", [
    ({"level": "sentence"}, "level must be"),
    ({"keep": {"en": 1.5}}, "keep.en is a minimum probability"),
    ({"min_score": 0.5}, "min_score applies to the labels in keep"),
    ({"keep": {"en": 0.5}, "min_score": 0.5, "level": "line"}, "applies at document level"),
    ({"keep": {"en": 0.5}, "labels": ["de"]}, "labels leaves out"),
    ({"model": ""}, "model is required"),
])
def test_validation(bad, msg):
    with pytest.raises(ValueError, match=msg):
        Classifier(**bad).validate()


def test_unknown_label_is_named_at_setup():
    with pytest.raises(ValueError, match=r"no label\(s\) \['hq'\]"):
        Classifier(keep={"hq": 0.5}).setup(Context())


def test_missing_model_file_says_what_it_expects(tmp_path):
    with pytest.raises(FileNotFoundError, match="classifier model not found.*built-in name: lid176"):
        resolve_model(str(tmp_path / "nope.bin"))


# --- loading from stores ------------------------------------------------------------------------------------

@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    yield fs
    for p in fs.find("/"):
        fs.rm(p)


def test_local_and_file_url_load_in_place(tmp_path):
    assert resolve_model(str(LID)) == LID
    assert resolve_model("file://" + str(LID)) == LID


def test_fsspec_url_is_downloaded_once_into_the_cache(memfs, tmp_path):
    memfs.pipe("/models/lid.ftz", LID.read_bytes())
    cache = tmp_path / "cache"
    p = resolve_model("memory://models/lid.ftz", str(cache))
    assert p.is_file() and p.read_bytes() == LID.read_bytes() and cache in p.parents
    memfs.rm("/models/lid.ftz")  # the store forgets it: the cache still serves it
    assert resolve_model("memory://models/lid.ftz", str(cache)) == p
    # and the step runs the cached model
    step = Classifier(model="memory://models/lid.ftz", cache_dir=str(cache), labels=["en"])
    doc = next(iter(step([Document("a", "This sentence is written in plain English for the test.")])))
    assert doc.attributes["classifier.lid.en"] > 0.9
    with pytest.raises(FileNotFoundError, match="memory://models/other.ftz"):
        resolve_model("memory://models/other.ftz", str(cache))
    assert not [q for q in cache.rglob("*.part")]  # a failed download leaves no partial file


def test_concurrent_loads_download_once(memfs, tmp_path, monkeypatch):
    memfs.pipe("/m/model.ftz", LID.read_bytes())
    opened = []
    real_open = fsspec.open

    def counting_open(url, *a, **k):
        opened.append(url)
        return real_open(url, *a, **k)

    monkeypatch.setattr(fsspec, "open", counting_open)
    results, errors = [], []
    barrier = threading.Barrier(6)

    def load():
        try:
            barrier.wait()
            results.append(resolve_model("memory://m/model.ftz", str(tmp_path)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
    assert opened == ["memory://m/model.ftz"]  # the lock made five of them wait for the first download


def test_hf_addresses(memfs, tmp_path, monkeypatch):
    assert hf_url("hf://mlfoundations/fasttext-oh-eli5/openhermes.bin") == \
        "https://huggingface.co/mlfoundations/fasttext-oh-eli5/resolve/main/openhermes.bin"
    assert hf_url("hf://o/r@v1.0/sub/m.bin").endswith("/o/r/resolve/v1.0/sub/m.bin")
    with pytest.raises(ValueError, match="hf://owner/repo/path"):
        hf_url("hf://owner/model.bin")
    # the whole hf:// path, served by a stand-in hub on the memory filesystem
    monkeypatch.setenv("HF_ENDPOINT", "memory://hub")
    memfs.pipe("/hub/someone/quality/resolve/main/model.ftz", LID.read_bytes())
    step = Classifier(model="hf://someone/quality/model.ftz", cache_dir=str(tmp_path), labels=["en"])
    doc = next(iter(step([Document("a", "This sentence is written in plain English for the test.")])))
    assert doc.attributes["classifier.model.en"] > 0.9


def test_the_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WINNOW_CACHE", str(tmp_path))
    assert clf.model_cache_dir() == tmp_path / "models"
    assert clf.model_cache_dir("/x/y") == Path("/x/y")


def test_model_input_is_one_line():
    assert model_input("a\nb\tc\n") == "a b\tc "


# --- in a run: whatif and explain -------------------------------------------------------------------------------

def _pipe(on_drop, min_score):
    return pipeline_from_dict({
        "run": {"name": "clf"}, "on_drop": on_drop, "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-0.jsonl.zst"},
                    "steps": [{"type": "classifier", "labels": ["en"], "keep": {"en": 0.5},
                               "min_score": min_score}],
                    "writer": {"type": "jsonl"}}]})


def test_whatif_moves_the_threshold_and_explain_names_label_and_score(tmp_path, capsys):
    from winnow.report._run import load_run
    from winnow.report.explain import explain
    from winnow.report.whatif import compute_whatif, resolve_sets
    from winnow.run import run_pipeline

    run_pipeline(_pipe("annotate", 0.9), tmp_path / "a", "inline", log=False)
    run_pipeline(_pipe("route", 0.97), tmp_path / "b", "inline", log=False)
    info = load_run(tmp_path / "a")
    res = compute_whatif(info, resolve_sets(info, {"classifier.min_score": 0.97}))
    kept_b = load_run(tmp_path / "b").stats["stages"][0]["kept"]
    assert res["kept"]["docs"][1] == kept_b
    assert res["kept"]["docs"][0] > kept_b > 0  # a real change, predicted exactly
    # the report plots the label score like every other signal
    assert "classifier.lid176.en" in (tmp_path / "b" / "report.html").read_text()
    # keep itself is replayable: the same threshold given as keep, and a label the run did not record
    res_keep = compute_whatif(info, resolve_sets(info, {"classifier.keep": {"en": 0.97}, "classifier.min_score": None}))
    assert res_keep["kept"]["docs"][1] == kept_b
    res_de = compute_whatif(info, resolve_sets(info, {"classifier.keep": {"de": 0.5}}))
    assert res_de["undetermined"]["docs"] == 78  # only 'en' was recorded: no document can be decided
    dropped = res["newly_dropped"]["ids"][0]
    capsys.readouterr()
    explain(tmp_path / "b", dropped)
    out = capsys.readouterr().out
    assert "REJECTED at main/classifier: low_score" in out
    assert "classifier.keep_score = " in out and "drop when < min_score=0.97: FAILS" in out
    assert "classifier.keep_label = en" in out


def test_validate_names_a_missing_model_file_before_the_run(tmp_path):
    with pytest.raises(ValueError, match="model: no such file"):
        Classifier(model=str(tmp_path / "nope.bin")).validate()
    Classifier(model="s3://bucket/model.bin").validate()  # a URL is checked when a worker fetches it
