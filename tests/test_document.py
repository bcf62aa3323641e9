from pathlib import Path

import pyarrow.parquet as pq

from winnow.document import Document, Drop, Edit, RecordError, undo_edits
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.io.jsonl import JsonlReader, JsonlWriter


def _rich_doc(text: str) -> Document:
    d = Document(id="a/1", text=text, metadata={"url": "https://example.org/x", "nested": {"k": [1, 2.5, None]}},
                 attributes={"gopher_quality.n_words": 812, "language.score": 0.97, "flag": True})
    d.remove_spans("clean", [(0, 5, "site_chrome", 0.9, "bar_menu")])
    d.replace_spans("pii", [(3, 8, "email", "<EMAIL>", None)])
    d.drop = Drop("gopher_quality", "too_few_words", 12.0, 50.0)
    return d


def test_json_round_trip_is_lossless(real_docs):
    d = _rich_doc(real_docs[0].text)
    back = Document.from_json(d.to_json())
    assert back == d
    assert back.edits[0] == Edit(0, 5, "clean", "site_chrome", real_docs[0].text[:5], "", 0.9, "bar_menu")
    assert back.edits[1].rule is None and "rule" not in back.edits[1].to_dict()  # absent, not null, when unnamed


def test_an_edits_rule_must_be_a_string():
    e = {"start": 0, "end": 1, "step": "s", "reason": "r", "removed": "x"}
    assert Edit.from_dict({**e, "rule": "menu_trail"}).rule == "menu_trail"
    assert Edit.from_dict({**e, "rule": None}).rule is None
    try:
        Edit.from_dict({**e, "rule": 3})
    except RecordError as exc:
        assert "'rule' must be a string" in str(exc)
    else:
        raise AssertionError("a numeric rule was accepted")


def test_parquet_and_jsonl_round_trip_are_lossless(tmp_path: Path, real_docs):
    docs = [_rich_doc(x.text) for x in real_docs[:20]] + [Document(id="plain", text="no extras")]
    for writer, reader_cls, name in ((ParquetWriter(rows_per_group=7), ParquetReader, "x.parquet"),
                                     (JsonlWriter(), JsonlReader, "x.jsonl.zst")):
        h = writer.open(tmp_path / name)
        for d in docs:
            h.write(d)
        h.close()
        back = list(reader_cls(paths=str(tmp_path / name)).read(str(tmp_path / name)))
        assert back == docs, name
    assert pq.ParquetFile(tmp_path / "x.parquet").metadata.num_row_groups == 3


def test_edits_record_removed_text_and_can_be_undone(real_docs):
    original = real_docs[3].text
    d = Document(id="x", text=original)
    n = len(original)
    d.remove_spans("a", [(n - 10, n, "tail", None), (0, 10, "head", 0.5)])  # any order
    d.replace_spans("b", [(5, 9, "pii", "<X>", None)])
    assert d.text == (original[10:n - 10][:5] + "<X>" + original[10:n - 10][9:])
    assert [e.reason for e in d.edits] == ["head", "tail", "pii"]
    assert undo_edits(d.text, d.edits) == original


def test_overlapping_spans_are_refused():
    d = Document(id="x", text="abcdefghij")
    try:
        d.remove_spans("a", [(0, 5, "r", None), (3, 7, "r", None)])
    except ValueError as exc:
        assert "overlapping" in str(exc)
    else:
        raise AssertionError("overlap accepted")
