"""The kept output is a Hugging Face dataset: it loads with the real ``datasets`` package, and the generated card
(kept/README.md) is in the Hub's format: its ``configs`` are what ``load_dataset`` on the folder uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from winnow.config import load_pipeline
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl


@pytest.fixture
def datasets(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return pytest.importorskip("datasets")


def _run(tmp_path: Path, real_docs, writer: dict) -> tuple[Path, dict]:
    recs = text_records(real_docs, 0, 40)
    for i, r in enumerate(recs):
        r["language"] = "en" if i % 4 else "de"
    src = write_jsonl(tmp_path / "in" / "a.jsonl", recs)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "run": {"name": "cards"}, "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "gopher_quality"}, {"type": "length", "min_chars": 2000}], "writer": writer}]}))
    run_pipeline(load_pipeline(cfg), tmp_path / "run", "inline", log=False)
    return tmp_path / "run", json.loads((tmp_path / "run" / "stats.json").read_text())


def _front(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


@pytest.mark.parametrize("writer,kind", [({"type": "jsonl"}, "json"),
                                         ({"type": "jsonl", "format": "datatrove"}, "json"),
                                         ({"type": "parquet", "format": "datatrove"}, "parquet"),
                                         ({"type": "parquet", "fields": ["id", "text", "url"]}, "parquet")])
def test_kept_output_loads_with_datasets_and_the_card_says_how(tmp_path, real_docs, datasets, writer, kind):
    run, stats = _run(tmp_path, real_docs, writer)
    n_kept = stats["stages"][0]["kept"]
    assert 0 < n_kept < 40
    kept = run / "kept"
    card = (kept / "README.md").read_text()
    front = _front(card)
    (conf,) = front["configs"]
    assert conf["config_name"] == "main" and conf["default"] is True
    path = conf["data_files"][0]["path"]
    ds = datasets.load_dataset(kind, data_files=str(kept / path), split="train", cache_dir=str(tmp_path / "c"))
    assert ds.num_rows == n_kept and {"id", "text"} <= set(ds.column_names)
    # the folder itself, read through the card's configs (what the Hub does with a pushed folder)
    ds2 = datasets.load_dataset(str(kept), split="train", cache_dir=str(tmp_path / "c2"))
    assert ds2.num_rows == n_kept and sorted(ds2["id"]) == sorted(ds["id"])
    assert front["size_categories"] == ["n<1K"] and front["license"] == "other"
    assert front["language"] == sorted({"en", "de"} & set(front["language"])) and "en" in front["language"]


def test_card_counts_come_from_the_ledger(tmp_path, real_docs):
    run, stats = _run(tmp_path, real_docs, {"type": "jsonl"})
    card = (run / "kept" / "README.md").read_text()
    st = stats["stages"][0]
    for step in st["steps"]:
        removed = sum(step["dropped"].values())
        assert f"| main | {step['name']} | {step['docs_in']:,} | {removed:,} |" in card
    assert f"| main | {st['kept']:,} |" in card and "## Pipeline" in card and "gopher_quality" in card
    en = card.split("| en | ")[1].split(" |")[0]
    assert 0 < int(en) <= st["kept"]


def test_native_parquet_loads_with_datasets_typed_columns_and_all(tmp_path, real_docs, datasets):
    # winnow's own Parquet (typed metadata/attributes, edits) used an Arrow map, which datasets refused
    run, _ = _run(tmp_path, real_docs, {"type": "parquet"})
    card = (run / "kept" / "README.md").read_text()
    assert "`{key, value}` entries" in card and "cannot load" not in card
    ds = datasets.load_dataset("parquet", data_files=str(run / "kept" / "main" / "*.parquet"), split="train",
                               cache_dir=str(tmp_path / "c"))
    from winnow import open_run

    kept = list(open_run(run).kept())
    assert ds.num_rows == len(kept) > 0
    row = ds[0]
    urls = [next((e["value"]["str"] for e in r["metadata"] if e["key"] == "url"), None) for r in ds]
    assert urls == [d.metadata.get("url") for d in kept] and any(urls)
    assert row["id"] == kept[0].id and row["text"] == kept[0].text
