"""``format: dolma`` writes each stage folder as a Dolma dataset that Dolma's own mixer reads where it lies:
``kept/<stage>/documents/<file>`` and ``kept/<stage>/attributes/winnow/<file>`` (the same name, the same line
order, gzip by default). Dolma's mixer (src/shard.rs in allenai/dolma) finds a documents file's attributes by
replacing ``/documents/`` in its path with ``/attributes/<set>/``, reads both line by line, fails on an id that
differs, merges the records' ``attributes`` and evaluates its filters on them.

The contract is checked here without Dolma (the path rule applied as Dolma applies it, a stand-in for the mixer's
merge and exclude rules); ``test_dolmas_own_mixer_filters_on_winnows_attributes`` runs Dolma's real mixer when its
``dolma`` command is found (``WINNOW_DOLMA=/path/to/bin/dolma`` or on PATH; it is not a dependency of winnow:
bench/results/parity.md says how to install it in a venv of its own)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest
import yaml

from winnow.config import load_pipeline
from winnow.results import open_run
from winnow.run import run_pipeline

from tests.helpers import read_all, text_records, write_jsonl

STEPS = [{"type": "gopher_quality"}, {"type": "length", "min_chars": 2000}]
LABELS = ["gopher_quality", "length"]


def _run(tmp_path: Path, real_docs, on_drop: str, n: int = 40) -> Path:
    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, n))
    cfg = tmp_path / f"{on_drop}.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "on_drop": on_drop, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(src)}, "steps": STEPS,
         "writer": {"type": "jsonl", "format": "dolma"}, "rejects": {"type": "jsonl", "format": "dolma"}}]}))
    run_dir = tmp_path / f"run-{on_drop}"
    run_pipeline(load_pipeline(cfg), run_dir, "inline", log=False, verify_files=True)  # verify: recounts the files
    return run_dir


def _gz_lines(p: Path) -> list[dict]:
    assert p.read_bytes()[:2] == b"\x1f\x8b", f"{p} is not gzip"
    with gzip.open(p, "rb") as f:
        return [orjson.loads(x) for x in f if x.strip()]


def _attribute_path(doc_path: Path, attr_set: str) -> Path:
    # Dolma's rule, as its mixer applies it: a string replacement on the documents file's path
    return Path(str(doc_path).replace("/documents/", f"/attributes/{attr_set}/"))


def _mix(doc_files: list[Path], attr_set: str, exclude: list[str]) -> list[tuple[str, str]]:
    """What Dolma's mixer keeps: documents merged with their attribute lines in order (an id that differs is an
    error there too), dropped when any of the ``exclude`` spans is present."""
    out = []
    for p in doc_files:
        docs, attrs = _gz_lines(p), _gz_lines(_attribute_path(p, attr_set))
        assert len(docs) == len(attrs)
        for d, a in zip(docs, attrs):
            assert a["id"] == d["id"]
            if not any(a["attributes"].get(k) for k in exclude):
                out.append((d["id"], d["text"]))
    return out


def _apply(run_dir: Path, out: Path, *sets: str) -> list[tuple[str, str]]:
    from winnow.cli import main

    args = ["apply", str(run_dir), "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    files = sorted((out / "kept" / "main" / "documents").glob("*.jsonl.gz"))
    return [(d["id"], d["text"]) for p in files for d in _gz_lines(p)]


def test_dolma_layout_is_the_one_dolmas_mixer_reads(tmp_path, real_docs):
    run_dir = _run(tmp_path, real_docs, "annotate")
    stage = run_dir / "kept" / "main"
    docs_dir, attr_dir = stage / "documents", stage / "attributes" / "winnow"
    names = sorted(p.name for p in docs_dir.iterdir())
    assert names == ["00000.jsonl.gz"] and sorted(p.name for p in attr_dir.iterdir()) == names
    assert not (run_dir / "attributes").exists()  # nothing in winnow's own side-file place
    n_verdicts = 0
    for p in sorted(docs_dir.iterdir()):
        docs, attrs = _gz_lines(p), _gz_lines(_attribute_path(p, "winnow"))
        assert [d["id"] for d in docs] == [a["id"] for a in attrs] and len(docs) == 40
        for d, a in zip(docs, attrs):
            assert set(d) <= {"id", "text", "source", "added", "created", "metadata"}
            assert a["attributes"], "every document carries its signals"
            for key, spans in a["attributes"].items():
                assert key.startswith("winnow__") and key.count("__") == 2, key
                for start, end, score in spans:  # Dolma's span form
                    assert isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(d["text"])
                    assert isinstance(score, (int, float)) and not isinstance(score, bool)
            for label in LABELS:
                verdict = a["winnow_attributes"].get(f"{label}.drop")
                assert (f"winnow__{label}__drop" in a["attributes"]) == isinstance(verdict, dict)
                n_verdicts += isinstance(verdict, dict)
    assert n_verdicts > 0
    # excluding every step's verdict keeps what winnow apply (a routing run's decisions) keeps, text and order
    mixed = _mix(sorted(docs_dir.iterdir()), "winnow", [f"winnow__{label}__drop" for label in LABELS])
    applied = _apply(run_dir, tmp_path / "applied")
    assert mixed == applied and 0 < len(applied) < 40
    # the apply folder is in the same layout
    assert (tmp_path / "applied" / "kept" / "main" / "attributes" / "winnow" / "00000.jsonl.gz").exists()


def test_run_folder_tools_read_the_dolma_layout(tmp_path, real_docs, capsys):
    from winnow.cli import main

    run_dir = _run(tmp_path, real_docs, "annotate")
    docs = _gz_lines(run_dir / "kept" / "main" / "documents" / "00000.jsonl.gz")
    kept = list(open_run(run_dir).kept())
    assert [d.id for d in kept] == [d["id"] for d in docs]
    # the side file gives the attributes back as winnow wrote them (numbers, verdicts as objects)
    assert all(isinstance(d.attributes["gopher_quality.words"], int) for d in kept)
    assert any(isinstance(d.attributes.get("length.drop"), dict) for d in kept)
    capsys.readouterr()
    assert main(["explain", str(run_dir), kept[0].id]) == 0
    out = capsys.readouterr().out
    assert "kept/main/documents/00000.jsonl.gz" in out and "gopher_quality" in out
    assert main(["whatif", str(run_dir), "--set", "length.min_chars=100000", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["kept"]["docs"][0] > 0 and res["kept"]["docs"][1] == 0  # read the recorded signals
    assert main(["query", str(run_dir), "SELECT count(*) AS n FROM kept", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["n"] == 40
    card = (run_dir / "kept" / "README.md").read_text()
    assert "path: main/documents/*.jsonl.gz" in card
    # a second run in the folder resumes: nothing rewritten
    before = read_all(run_dir)
    run_pipeline(load_pipeline(tmp_path / "annotate.yaml"), run_dir, "inline", log=False)
    after = read_all(run_dir)
    assert {k: v for k, v in after.items() if k.startswith(("kept/", "rejected/"))} == \
        {k: v for k, v in before.items() if k.startswith(("kept/", "rejected/"))}


def test_rejected_files_in_the_dolma_layout(tmp_path, real_docs):
    run_dir = _run(tmp_path, real_docs, "route")
    rej = run_dir / "rejected" / "main"
    files = sorted((rej / "documents").iterdir())
    assert [p.name for p in files] == ["00000.p0.jsonl.gz"]
    attrs = _gz_lines(_attribute_path(files[0], "winnow"))
    assert attrs and all(a["drop"]["step"] in LABELS for a in attrs)
    rejected = list(open_run(run_dir).rejected())
    assert [d.id for d in rejected] == [a["id"] for a in attrs] and all(d.drop for d in rejected)
    kept = list(open_run(run_dir).kept())
    assert len(kept) + len(rejected) == 40


def _dolma_bin() -> str | None:
    return os.environ.get("WINNOW_DOLMA") or shutil.which("dolma")


@pytest.mark.skipif(_dolma_bin() is None, reason="Dolma's `dolma` command is not installed (set WINNOW_DOLMA)")
def test_dolmas_own_mixer_filters_on_winnows_attributes(tmp_path, real_docs):
    run_dir = _run(tmp_path, real_docs, "annotate")
    docs_glob = str(run_dir / "kept" / "main" / "documents" / "*.jsonl.gz")

    def mix(name: str, exclude: list[str]) -> list[tuple[str, str]]:
        out = tmp_path / f"mixed-{name}"
        cfg = {"streams": [{"name": name, "documents": [docs_glob], "attributes": ["winnow"],
                            "output": {"path": str(out), "max_size_in_bytes": 1 << 30},
                            "filter": {"exclude": exclude}}],
               "processes": 1, "work_dir": {"input": str(tmp_path / "wi"), "output": str(tmp_path / "wo")}}
        (tmp_path / f"{name}.json").write_text(json.dumps(cfg))
        proc = subprocess.run([_dolma_bin(), "-c", str(tmp_path / f"{name}.json"), "mix"], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return [(d["id"], d["text"]) for p in sorted(out.glob("*.gz")) for d in _gz_lines(p)]

    # every step's verdict span excluded: exactly what winnow apply keeps, in order, with the same text
    verdicts = mix("verdicts", [f"$.attributes[?(@.winnow__{label}__drop)]" for label in LABELS])
    assert verdicts == _apply(run_dir, tmp_path / "applied") and 0 < len(verdicts) < 40
    # a threshold on a signal, as Dolma's own configs write them: the length step's own rule
    signal = mix("signal", ["$.attributes[?(@.winnow__length__chars && @.winnow__length__chars[0] && "
                            "@.winnow__length__chars[0][2] < 2000)]"])
    want = [(d.id, d.text) for d in open_run(run_dir).kept() if "length.drop" not in d.attributes]
    assert signal == want and len(want) < 40


def test_reading_the_dolma_layout_back_with_its_attribute_set_named(tmp_path, real_docs):
    from winnow.document import Document
    from winnow.io.jsonl import JsonlReader

    run_dir = _run(tmp_path, real_docs, "annotate")
    reader = JsonlReader(paths=str(run_dir / "kept" / "main" / "documents" / "*.jsonl.gz"), format="dolma",
                         attributes=["winnow"])
    got = [x for s in reader.shards() for x in reader.read(s)]
    assert all(isinstance(x, Document) for x in got)
    # the side file is winnow's set: merged once, decoded, not a second time as raw spans
    assert [d.to_dict() for d in got] == [d.to_dict() for d in open_run(run_dir).kept()]


@pytest.mark.skipif(_dolma_bin() is None, reason="Dolma's `dolma` command is not installed (set WINNOW_DOLMA)")
def test_dolmas_paragraph_tagger_agrees_with_paragraph_language(tmp_path, real_docs):
    """`dolma tag` writes Dolma's ft_lang_id_paragraph_v1 (pointed at lid.176.ftz, the model winnow ships: Dolma
    downloads lid.176.bin otherwise) into a winnow run folder; winnow reads that attribute set back and each
    paragraph's top language is the one paragraph_language recorded (bench/dolma_peer.py: the corpus sample)."""
    from winnow.document import Document
    from winnow.io.jsonl import JsonlReader
    from winnow.steps.langid import lite_model_path

    src = write_jsonl(tmp_path / "in" / "a.jsonl", text_records(real_docs, 0, 8))
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "paragraph_language", "max_recorded": 100000}],
         "writer": {"type": "jsonl", "format": "dolma"}}]}))
    run_pipeline(load_pipeline(cfg), tmp_path / "run", "inline", log=False)
    (tmp_path / "ftz_tagger.py").write_text(
        "import os\nfrom dolma import add_tagger\nfrom dolma.taggers.language import FastTextAllLanguageParagraphTagger\n"
        "@add_tagger('lid_ftz')\nclass T(FastTextAllLanguageParagraphTagger):\n"
        "    MODEL_PATH = os.environ['DOLMA_LID_MODEL']\n")
    docs_glob = str(tmp_path / "run" / "kept" / "main" / "documents" / "*.jsonl.gz")
    proc = subprocess.run([_dolma_bin(), "tag", "--documents", docs_glob, "--tagger_modules",
                           str(tmp_path / "ftz_tagger.py"), "--taggers", "lid_ftz", "--experiment", "lid",
                           "--processes", "1"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DOLMA_LID_MODEL": str(lite_model_path())})
    assert proc.returncode == 0, proc.stderr[-2000:]
    reader = JsonlReader(paths=docs_glob, format="dolma", attributes=["lid"])
    docs = [x for s in reader.shards() for x in reader.read(s)]
    assert len(docs) == 8 and all(isinstance(d, Document) for d in docs)
    n = 0
    for d in docs:
        top: dict[tuple[int, int], tuple[float, str]] = {}
        for key, spans in d.attributes.items():
            if key.startswith("lid__lid_ftz__"):
                for s, e, score in spans:
                    top[(s, e)] = max(top.get((s, e), (-1.0, "")), (score, key.rsplit("__", 1)[1]))
        ours = {(s, e): (lang, score) for s, e, lang, score in d.attributes["paragraph_language.paragraphs"]}
        assert set(top) == set(ours)
        for span, (lang, score) in ours.items():
            assert top[span][1] == lang and abs(top[span][0] - score) < 1e-4
            n += 1
    assert n > 50
