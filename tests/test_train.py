"""winnow train-classifier: a model trained here is deterministic, says how good it is, and gives through the
classifier step exactly what the fastText library gives (labels and scores to 1e-6 on every validation document)."""

from __future__ import annotations

import json

import orjson
import pytest

from winnow.cli import main
from winnow.document import Document
from winnow.step import Context
from winnow.steps.classify import Classifier
from winnow.train import Example, TrainParams, load_records, split, train_classifier

from tests.conftest import sample_docs

fasttext = pytest.importorskip("fasttext")
if not hasattr(fasttext, "train_supervised"):  # only fasttext-predict is installed
    pytest.skip("the training binding (winnow[train]) is not installed", allow_module_level=True)


def _line_examples() -> list[Example]:
    """Real lines of the demo crawl, labelled by a rule a bag of words can learn: prose (a sentence of 8+ words
    ending in . ! or ?) against everything else (menus, buttons, captions)."""
    out = []
    for d in sample_docs(120):
        for line in d.text.split("\n"):
            s = line.strip()
            if not s:
                continue
            prose = len(s.split()) >= 8 and s[-1] in ".!?"
            out.append(Example(s, "prose" if prose else "other"))
    return out


@pytest.fixture(scope="module")
def examples():
    return _line_examples()


@pytest.fixture(scope="module")
def trained(examples, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "lines.bin"
    card = train_classifier(examples, out, TrainParams(epoch=3, dim=16, bucket=20_000, seed=7),
                            {"source": "test"})
    return out, card


def test_split_is_seeded_and_deterministic(examples):
    a_train, a_val = split(examples, 0.1, 1)
    b_train, b_val = split(examples, 0.1, 1)
    assert [e.text for e in a_val] == [e.text for e in b_val] and len(a_val) == round(len(examples) * 0.1)
    assert [e.text for e in split(examples, 0.1, 2)[1]] != [e.text for e in a_val]
    assert len(a_train) + len(a_val) == len(examples)


def test_classifier_gives_what_fasttext_gives_on_every_validation_document(trained, examples):
    path, card = trained
    _, val = split(examples, 0.1, 7)
    assert card["data"]["validation"] == len(val)
    lib = fasttext.load_model(str(path))
    step = Classifier(model=str(path))
    step.setup(Context())
    for ex in val:
        # the library's own predict (the binding under its Python wrapper, whose numpy-1 array call fails on
        # numpy 2), given the one line fastText's documentation asks for
        pairs = lib.f.predict(" ".join(ex.text.splitlines()) + "\n", -1, 0.0, "strict")
        labels = [lb for _, lb in pairs]
        want = {lb.removeprefix("__label__"): float(p) for p, lb in pairs}
        doc = step.process(Document("v", ex.text))
        got = {k.rsplit(".", 1)[1]: v for k, v in doc.attributes.items() if k.startswith("classifier.lines.")}
        assert set(got) == {"prose", "other"}
        for lb in got:
            assert got[lb] == pytest.approx(want.get(lb, 0.0), abs=1e-6)
        assert max(got, key=got.get) == labels[0].removeprefix("__label__")


def test_card_reports_validation_and_features(trained):
    path, card = trained
    v = card["validation"]
    # the rule is learnable from words: a model that learned nothing would sit near the majority rate
    assert v["macro_f1"] > 0.8, v
    conf = v["confusion"]["rows_true_cols_predicted"]
    assert sum(map(sum, conf)) == v["documents"]
    assert set(card["top_features"]) == {"other", "prose"} and len(card["top_features"]["prose"]) == 15
    md = (path.parent / "lines.bin.card.md").read_text()
    assert "Confusion matrix" in md and "macro F1" in md
    assert json.loads((path.parent / "lines.bin.card.json").read_text())["parameters"]["seed"] == 7


def test_same_seed_same_model_bytes(examples, tmp_path):
    sub = examples[:1500]
    p = TrainParams(epoch=2, dim=8, bucket=5_000, seed=3)
    train_classifier(sub, tmp_path / "a.bin", p)
    train_classifier(sub, tmp_path / "b.bin", p)
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_scores_make_integer_classes_with_mae_or_two_labels(tmp_path):
    rows = [{"text": d.text, "edu": min(5, len(d.text) // 3000)} for d in sample_docs(80)]
    f = tmp_path / "scored.jsonl"
    f.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ex = load_records([str(f)], score_field="edu")
    assert {e.label for e in ex} <= {str(i) for i in range(6)} and ex[0].score == rows[0]["edu"]
    card = train_classifier(ex, tmp_path / "edu.bin", TrainParams(epoch=2, dim=8, bucket=5_000, valid=0.25))
    assert "mae" in card["validation"] and card["validation"]["mae"] >= 0
    two = load_records([str(f)], score_field="edu", threshold=2)
    assert {e.label for e in two} == {"pos", "neg"}


def test_cli_from_folders_prints_model_and_yaml(tmp_path, capsys):
    docs = sample_docs(40)
    pos, neg = tmp_path / "pos", tmp_path / "neg"
    pos.mkdir()
    neg.mkdir()
    for i, d in enumerate(docs):
        lines = [s for s in d.text.split("\n") if s.strip()]
        (pos / f"{i}.txt").write_text("\n".join(s for s in lines if len(s.split()) >= 8))
        (neg / f"{i}.txt").write_text("\n".join(s for s in lines if len(s.split()) < 4))
    out = tmp_path / "m.bin"
    rc = main(["train-classifier", "--positives", str(pos), "--negatives", str(neg), "-o", str(out),
               "--epoch", "2", "--dim", "8", "--bucket", "5000", "--valid", "0.25"])
    text = capsys.readouterr().out
    assert rc == 0 and out.is_file()
    assert f"model: {out}" in text and "type: classifier" in text and f"model: {out}" in text
    assert "keep: {pos: 0.5}" in text


def test_cli_from_a_run_folder(tmp_path, capsys):
    from winnow.config import pipeline_from_dict
    from winnow.run import run_pipeline

    pipe = pipeline_from_dict({
        "run": {"name": "t"}, "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-0.jsonl.zst"},
                    "steps": [{"type": "gopher_quality"}], "writer": {"type": "jsonl"}}]})
    run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    rc = main(["train-classifier", "--run", str(tmp_path / "run"), "-o", str(tmp_path / "g.bin"),
               "--epoch", "2", "--dim", "8", "--bucket", "5000", "--valid", "0.3"])
    assert rc == 0
    card = json.loads((tmp_path / "g.bin.card.json").read_text())
    assert set(card["data"]["labels"]) == {"kept", "rejected"}
    assert card["data"]["documents"] == 78  # every document of the run, kept or rejected
    assert "keep: {kept: 0.5}" in capsys.readouterr().out


def test_run_folder_with_an_attribute_threshold_and_parquet_records(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from winnow.config import pipeline_from_dict
    from winnow.run import run_pipeline
    from winnow.train import load_run_labels

    pipe = pipeline_from_dict({
        "run": {"name": "t"}, "on_drop": "annotate", "executor": {"type": "inline"},
        "stages": [{"name": "main", "reader": {"type": "jsonl", "paths": "samples://crawl/part-0.jsonl.zst"},
                    "steps": [{"type": "gopher_quality"}], "writer": {"type": "jsonl"}}]})
    run_pipeline(pipe, tmp_path / "run", "inline", log=False)
    ex = load_run_labels(str(tmp_path / "run"), "gopher_quality.words", 500)
    assert len(ex) == 78 and {e.label for e in ex} == {"pos", "neg"}
    for e in ex:  # the label is the recorded attribute against the threshold
        assert (e.label == "pos") == (e.score >= 500)
    # the same examples through a Parquet file with text and label columns
    pq.write_table(pa.table({"text": [e.text for e in ex], "label": [e.label for e in ex]}), tmp_path / "l.parquet")
    again = load_records([str(tmp_path / "l.parquet")])
    assert [(e.text, e.label) for e in again] == [(e.text, e.label) for e in ex]


def test_cli_refuses_ambiguous_sources(tmp_path, capsys):
    assert main(["train-classifier", "--data", "x.jsonl", "--run", str(tmp_path)]) == 1
    assert "exactly one of" in capsys.readouterr().err


def test_a_model_that_answers_one_label_for_everything_is_called_out():
    from winnow.train import one_class_warning

    useless = {"macro_f1": 0.3182, "confusion": {"labels": ["news", "other"],
                                                  "rows_true_cols_predicted": [[17, 0], [13, 0]]}}
    assert "answers 'news' for every validation document" in one_class_warning(useless)
    useful = {"macro_f1": 0.93, "confusion": {"labels": ["news", "other"], "rows_true_cols_predicted": [[16, 1], [1, 12]]}}
    assert one_class_warning(useful) is None
    one_label_data = {"confusion": {"labels": ["a", "b"], "rows_true_cols_predicted": [[5, 0], [0, 0]]}}
    assert one_class_warning(one_label_data) is None  # nothing else to tell apart in the validation set


def test_train_classifier_help_shows_the_defaults(capsys):
    from winnow.cli import main

    with pytest.raises(SystemExit):
        main(["train-classifier", "-h"])
    out = capsys.readouterr().out
    assert "(default: 5)" in out and "(default: 0.1)" in out
