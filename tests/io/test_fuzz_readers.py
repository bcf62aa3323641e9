"""Fuzz every reader with damaged files (issue 11): random bytes, and valid files with bytes flipped, cut, inserted,
deleted or repeated. Whatever the bytes, a reader never raises; each item it yields is a well-formed Document or a
Quarantine naming the file and a position; and where the input says how many records it holds, the items account
for every one of them.

Derandomized (the same examples on every run) and bounded: each test's max_examples is set so the whole module
takes ~30 s on one core. The deadline is generous (10 s an example, against milliseconds measured): it catches a
hang or a blow-up on some mutation, never a loaded CI machine.
"""

from __future__ import annotations

import gzip
import re
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from winnow.document import Document, Drop, Quarantine
from winnow.io.base import Reader
from winnow.io.jsonl import JsonlReader
from winnow.io.parquet import ParquetReader, ParquetWriter
from winnow.io.text import TextFolderReader
from winnow.io.warc import WarcReader, WetReader

FUZZ = settings(derandomize=True, database=None, deadline=timedelta(seconds=10), print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_LOCATION = re.compile(r"^(file|line \d+|byte \d+|row \d+|rows \d+-\d+|row group \d+|document .*)$")


# --- seeds: small valid files of every format ----------------------------------------------------------------------

def _records() -> list[dict]:
    d = Document(id="w1", text="A winnow record.\nWith two lines and ünïcödé.", metadata={"url": "http://a.example/"},
                 attributes={"length.chars": 40, "score": 0.5}, drop=Drop("length", "too_short", 3.0, 10.0))
    d.remove_spans("clean", [(0, 2, "chrome", None)])
    return [
        {"id": "a", "text": "First document, plain and short.", "url": "http://x.example/a"},
        {"id": 7, "text": "Second: an integer id and a nested field.", "meta": {"k": [1, 2.5, None]}},
        d.to_dict(),
        {"text": "No id at all: the reader names it by file and line."},
        {"id": "e", "text": "Émoji 😀 and CJK 漢字 and RTL שלום."},
    ]


JSONL = b"".join(orjson.dumps(r) + b"\n" for r in _records())
SEEDS = {
    ".jsonl": JSONL,
    ".jsonl.gz": gzip.compress(JSONL, mtime=0),
    ".jsonl.zst": zstandard.ZstdCompressor(write_checksum=True).compress(JSONL[:200])
    + zstandard.ZstdCompressor().compress(JSONL[200:]),
}


def _warc_record(rtype: str, url: str, block: bytes, ctype: str = "application/http; msgtype=response") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, rtype + url)}>\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n")
    return head.encode() + block + b"\r\n\r\n"


def _http(body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


_WARC_RECORDS = [
    _warc_record("warcinfo", "", b"software: fuzz\r\n", "application/warc-fields"),
    _warc_record("response", "http://a.example/", _http(b"<html><body><p>Hello caf\xc3\xa9.</p></body></html>")),
    _warc_record("response", "http://b.example/",
                 _http(gzip.compress(b"<html><p>" + b"gzip body " * 50 + b"</p></html>", mtime=0),
                       "Content-Encoding: gzip\r\n")),
    _warc_record("conversion", "http://a.example/", b"Hello cafe, as plain text.", "text/plain"),
]
WARC_PLAIN = b"".join(_WARC_RECORDS)
WARC_GZ = b"".join(gzip.compress(r, mtime=0) for r in _WARC_RECORDS)
WARC_ZST = b"".join(zstandard.ZstdCompressor().compress(r) for r in _WARC_RECORDS)  # one frame per record


def _parquet_seed(tmp: Path) -> bytes:
    p = tmp / "seed.parquet"
    h = ParquetWriter(rows_per_group=2).open(p)
    for r in _records():
        rec = dict(r)
        if "metadata" not in rec:
            rec = {"id": str(rec.get("id", "x")), "text": rec["text"], "metadata": {"x": rec.get("url")},
                   "attributes": {}, "edits": [], "drop": None}
        h.write(Document.from_dict(rec))
    h.close()
    return p.read_bytes()


def _foreign_parquet_seed(tmp: Path) -> bytes:
    p = tmp / "foreign.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["one", "two", None], "url": ["u1", None, "u3"]}), p,
                   row_group_size=2)
    return p.read_bytes()


# --- mutations --------------------------------------------------------------------------------------------------

_OPS = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]),
                          st.integers(0, 1 << 16), st.integers(0, 1 << 16), st.binary(max_size=12)), max_size=4)


def _mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for op, i, j, blob in ops:
        if not b:
            b.extend(blob)
            continue
        i %= len(b)
        if op == "flip":
            b[i] ^= (j % 255) + 1
        elif op == "cut":
            del b[i:]
        elif op == "insert":
            b[i:i] = blob
        elif op == "delete":
            del b[i:i + 1 + j % 64]
        else:
            b[i:i] = b[i:i + 1 + j % 256]
    return bytes(b)


def _file_bytes(seed: bytes):
    """Either the seed mutated, or bytes that share nothing with it."""
    return st.one_of(st.builds(_mutate, st.just(seed), _OPS), st.binary(max_size=400))


# --- what every reader promises -----------------------------------------------------------------------------------

def _read_all(reader: Reader) -> list[Document | Quarantine]:
    out = []
    for shard in reader.shards():
        out.extend(reader.read(shard))  # never raises: that is what is under test
    return out


def _check_items(items, source_prefix: str) -> None:
    for x in items:
        if isinstance(x, Quarantine):
            assert isinstance(x.source, str) and x.source.startswith(source_prefix), x
            assert _LOCATION.match(x.location), x
            assert x.reason and x.message and isinstance(x.excerpt, str), x
            orjson.dumps(x.to_dict())  # a quarantine record can be written
        else:
            assert isinstance(x, Document), x
            assert isinstance(x.id, str) and isinstance(x.text, str), x
            assert isinstance(x.metadata, dict) and isinstance(x.attributes, dict) and isinstance(x.edits, list)
            assert x.drop is None or isinstance(x.drop, Drop)
            x.to_json()  # and a document can be written


def _covered(items) -> int | None:
    """How many input records the items account for (a quarantine of rows a-b covers b-a+1); None if unknown."""
    n = 0
    for x in items:
        if isinstance(x, Document):
            n += 1
            continue
        m = re.match(r"rows (\d+)-(\d+)$", x.location)
        if m:
            n += int(m.group(2)) - int(m.group(1)) + 1
        elif x.location.startswith("row "):
            n += 1
        else:
            return None
    return n


# --- the tests -----------------------------------------------------------------------------------------------------

@settings(FUZZ, max_examples=300)
@given(data=_file_bytes(SEEDS[".jsonl"]))
def test_plain_jsonl_accounts_for_every_line(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("j") / "f.jsonl"
    p.write_bytes(data)
    items = _read_all(JsonlReader(paths=str(p), max_record_bytes=256))
    _check_items(items, str(p))
    # one item per line that is not blank: nothing silently skipped, nothing counted twice
    assert len(items) == sum(1 for line in data.split(b"\n") if line.strip())


@settings(FUZZ, max_examples=200)
@pytest.mark.parametrize("ext", [".jsonl.gz", ".jsonl.zst"])
@given(data=st.data())
def test_compressed_jsonl_never_raises(tmp_path_factory, ext, data):
    raw = data.draw(_file_bytes(SEEDS[ext]))
    p = tmp_path_factory.mktemp("j") / f"f{ext}"
    p.write_bytes(raw)
    items = _read_all(JsonlReader(paths=str(p), max_record_bytes=256))
    _check_items(items, str(p))
    # a damaged stream ends with one quarantine for the rest of the file; lines before it are each one item
    for x in items[:-1]:
        assert not (isinstance(x, Quarantine) and x.reason in ("truncated", "unreadable_file")), items


@settings(FUZZ, max_examples=150)
@pytest.mark.parametrize("kind", ["winnow", "foreign"])
@given(data=st.data())
def test_parquet_never_raises_and_accounts_for_every_row(tmp_path_factory, kind, data):
    tmp = tmp_path_factory.mktemp("p")
    seed = _parquet_seed(tmp) if kind == "winnow" else _foreign_parquet_seed(tmp)
    raw = data.draw(_file_bytes(seed))
    p = tmp / "f.parquet"
    p.write_bytes(raw)
    items = _read_all(ParquetReader(paths=str(p), max_record_bytes=4096))
    _check_items(items, str(p))
    try:
        n_rows = pq.ParquetFile(p).metadata.num_rows
    except Exception:
        return  # unreadable metadata: one "file" quarantine, checked above
    covered = _covered(items)
    if covered is not None:
        assert covered == n_rows, items


@settings(FUZZ, max_examples=150)
@given(a=_file_bytes(b"Plain text file.\nSecond line.\n"), b=_file_bytes(gzip.compress(b"gzip text file", mtime=0)))
def test_text_folder_gives_one_item_per_file(tmp_path_factory, a, b):
    folder = tmp_path_factory.mktemp("t")
    (folder / "a.txt").write_bytes(a)
    (folder / "b.txt.gz").write_bytes(b)
    for field in ("text", "html"):
        items = _read_all(TextFolderReader(paths=str(folder), pattern="*.txt*", field=field, max_file_bytes=2048))
        _check_items(items, str(folder))
        assert len(items) == 2


@settings(FUZZ, max_examples=200)
@pytest.mark.parametrize("ext", [".warc", ".warc.gz", ".warc.zst"])
@given(data=st.data())
def test_warc_and_wet_never_raise(tmp_path_factory, ext, data):
    raw = data.draw(_file_bytes({".warc": WARC_PLAIN, ".warc.gz": WARC_GZ, ".warc.zst": WARC_ZST}[ext]))
    p = tmp_path_factory.mktemp("w") / f"f{ext}"
    p.write_bytes(raw)
    for cls in (WarcReader, WetReader):
        items = _read_all(cls(paths=str(p), max_payload_bytes=4096))
        _check_items(items, str(p))
        offsets = [int(x.location.split()[1]) if isinstance(x, Quarantine) else x.metadata["warc_offset"]
                   for x in items if isinstance(x, Document) or x.location.startswith("byte ")]
        assert all(0 <= o <= len(raw) for o in offsets), items


def test_the_seeds_read_cleanly(tmp_path):
    """The unmutated seeds are valid: every record of each is a Document (so the fuzzing starts from real files)."""
    for ext, data in SEEDS.items():
        p = tmp_path / f"s{ext}"
        p.write_bytes(data)
        assert all(isinstance(x, Document) for x in _read_all(JsonlReader(paths=str(p)))) and data
    for seed in (_parquet_seed(tmp_path), _foreign_parquet_seed(tmp_path)):
        (tmp_path / "s.parquet").write_bytes(seed)
        items = _read_all(ParquetReader(paths=str(tmp_path / "s.parquet")))
        assert sum(isinstance(x, Document) for x in items) >= 2
    for ext, data in ((".warc", WARC_PLAIN), (".warc.gz", WARC_GZ), (".warc.zst", WARC_ZST)):
        p = tmp_path / f"s{ext}"
        p.write_bytes(data)
        docs = _read_all(WarcReader(paths=str(p)))
        assert [d.metadata["url"] for d in docs] == ["http://a.example/", "http://b.example/"]
        assert "gzip body" in docs[1].metadata["html"]
        assert [d.text for d in _read_all(WetReader(paths=str(p)))] == ["Hello cafe, as plain text."]


def test_a_run_over_damaged_files_of_every_reader_balances(tmp_path):
    """The same damage through the runner: every stage's ledger balances and every quarantine line names a file."""
    import random

    from winnow.pipeline import Pipeline, Stage
    from winnow.run import run_pipeline
    from winnow.steps.basic import LengthFilter
    from winnow.steps.extract import HtmlExtract

    rng = random.Random(11)

    def damaged(seed: bytes) -> bytes:
        return _mutate(seed, [(rng.choice(["flip", "cut", "insert", "delete", "repeat"]), rng.randrange(1 << 16),
                               rng.randrange(1 << 16), rng.randbytes(rng.randrange(12))) for _ in range(3)])

    parquet_seed = _parquet_seed(tmp_path)
    for i in range(6):
        for name, seed in ((f"j{i}.jsonl", SEEDS[".jsonl"]), (f"g{i}.jsonl.gz", SEEDS[".jsonl.gz"]),
                           (f"z{i}.jsonl.zst", SEEDS[".jsonl.zst"]), (f"p{i}.parquet", parquet_seed),
                           (f"w{i}.warc.gz", WARC_GZ), (f"t{i}.txt", b"some text\n")):
            (tmp_path / "in").mkdir(exist_ok=True)
            (tmp_path / "in" / name).write_bytes(damaged(seed))
    inp = tmp_path / "in"
    stages = [Stage("jsonl", reader=JsonlReader(paths=str(inp / "*.jsonl*")), steps=[LengthFilter(min_chars=5)]),
              Stage("parquet", reader=ParquetReader(paths=str(inp / "*.parquet")), steps=[LengthFilter(min_chars=5)]),
              Stage("warc", reader=WarcReader(paths=str(inp / "*.warc.gz")), steps=[HtmlExtract()]),
              Stage("text", reader=TextFolderReader(paths=str(inp), pattern="*.txt"), steps=[])]
    # max_quarantined=1: whole stages of damaged files are the point here, not a reason to stop
    res = run_pipeline(Pipeline(stages=stages, max_quarantined=1.0), tmp_path / "run", "inline", log=False)
    for st in res.stats["stages"]:
        assert st["balanced"] and st["in"] > 0, st
    assert sum(st["quarantined"] for st in res.stats["stages"]) > 0  # the damage was seen, and recorded
    for f in (tmp_path / "run" / "quarantine").rglob("*.jsonl"):
        for line in f.read_bytes().splitlines():
            q = orjson.loads(line)
            assert q["source"].startswith(str(inp)) and _LOCATION.match(q["location"]), q


@settings(FUZZ, max_examples=300)
@given(head=st.one_of(st.binary(max_size=64),
                      st.builds(lambda a, b: a + b, st.sampled_from([b"\x15\x00\x15", b"\x19\xfc", b"\x1b\xff\xff\xff\x0f"]),
                                st.binary(max_size=48))))
def test_parquet_page_header_walker_never_raises_anything_else_nor_spins(head):
    from winnow.io.parquet import _page_info

    try:
        unc, comp, n, kind, sub = _page_info(head)
    except (ValueError, IndexError):
        return
    assert 0 < n <= len(head) and comp >= 0


@settings(FUZZ, max_examples=300)
@given(data=st.binary(max_size=48), n=st.integers(1, 10**9), width=st.integers(1, 8))
def test_parquet_repetition_level_walker_never_raises_anything_else_nor_spins(data, n, width):
    # a hostile page's levels: a run of 0 levels or one past the bytes must end the walk, not loop on it
    from winnow.io.parquet import _longest_rows

    state = [0, 0, 1 << 20]
    try:
        done = _longest_rows(data, n, width, state)
    except (ValueError, IndexError):
        return
    assert not done or (state[0] >= 0 and state[1] >= 0 and state[2] >= 0)
