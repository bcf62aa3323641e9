"""What a writer puts in a record (``fields:``), and side files: the attributes, edits and drop of each document in
a file of their own, keyed by id, so the documents files hold only what a training job reads.

Layout (Dolma's: attribute files mirror the documents files)::

    kept/<stage>/00000.jsonl.zst                    {"id", "text", "url"}      (the writer's fields)
    attributes/kept/<stage>/00000.jsonl.zst         {"id", "metadata", "attributes", "edits", "drop"}
    rejected/<stage>/00000.p0.jsonl.zst             ...
    attributes/rejected/<stage>/00000.p0.jsonl.zst

or, for a writer with ``format: dolma``, each stage folder is a Dolma dataset (see ``stage_folder``)::

    kept/<stage>/documents/00000.jsonl.gz           Dolma's documents
    kept/<stage>/attributes/winnow/00000.jsonl.gz   Dolma attribute records, plus the side record's fields

A side record holds everything of the document but its text, one line per document in the same order as the
documents file, so the run's own readers (the next stage, the report, explain, whatif, apply) rebuild every
document exactly: the text from the documents file, the rest from the side file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import orjson

from ..document import Document
from .base import RemotePath, open_read, open_write

__all__ = ["normalize_fields", "check_fields", "select", "side_record", "side_path", "merge_side", "text_id_names",
           "DOC_EXTENSIONS", "stage_folder", "record_files", "locate", "DOLMA_SET"]

CORE = ("id", "text", "metadata", "attributes", "edits", "drop")
# the documents files' extensions, longest first (a side file's name is the documents file's stem + .jsonl.zst)
DOC_EXTENSIONS = (".jsonl.zst", ".jsonl.gz", ".jsonl", ".parquet")
SIDE_EXTENSION = ".jsonl.zst"


def normalize_fields(fields: list[str] | dict[str, str] | None) -> list[tuple[str, str]] | None:
    """``[id, text, url]`` or ``{id: id, content: text, link: url}`` -> [(output name, source), ...]."""
    if fields is None:
        return None
    if isinstance(fields, dict):
        return [(str(k), str(v)) for k, v in fields.items()]
    return [(str(f).rsplit(".", 1)[-1] if str(f).startswith(("metadata.", "attributes.")) else str(f), str(f))
            for f in fields]


def check_fields(fields: list[str] | dict[str, str] | None) -> None:
    """ValueError unless the selection names the id and the text (a side file is keyed by the id; a record
    without its text is no document) and its output names are distinct."""
    pairs = normalize_fields(fields)
    if pairs is None:
        return
    sources = [s for _, s in pairs]
    missing = [x for x in ("id", "text") if x not in sources]
    if missing:
        raise ValueError(f"fields must include {' and '.join(missing)} (renamed if you like: {{content: text}}); "
                         f"got {list(fields) if not isinstance(fields, dict) else fields}")
    outs = [o for o, _ in pairs]
    dup = sorted({o for o in outs if outs.count(o) > 1})
    if dup:
        raise ValueError(f"fields: output name(s) {dup} used twice")


def value_of(doc: Document, source: str) -> Any:
    if source in ("id", "text", "metadata", "attributes"):
        return getattr(doc, source)
    if source == "edits":
        return [e.to_dict() for e in doc.edits]
    if source == "drop":
        return doc.drop.to_dict() if doc.drop else None
    if source.startswith("metadata."):
        return doc.metadata.get(source[9:])
    if source.startswith("attributes."):
        return doc.attributes.get(source[11:])
    return doc.metadata.get(source)  # a bare name is a metadata key: url, date, ...


def select(doc: Document, pairs: list[tuple[str, str]] | None, side: bool) -> dict[str, Any]:
    """The record the documents file holds."""
    if pairs is None:
        if side:
            return {"id": doc.id, "text": doc.text, "metadata": doc.metadata}
        return doc.to_dict()
    return {out: value_of(doc, src) for out, src in pairs}


def side_record(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "metadata": doc.metadata, "attributes": doc.attributes,
            "edits": [e.to_dict() for e in doc.edits], "drop": doc.drop.to_dict() if doc.drop else None}


def text_id_names(fields: list[str] | dict[str, str] | None) -> tuple[str, str]:
    """The names the text and the id have in the documents files."""
    pairs = normalize_fields(fields) or [("id", "id"), ("text", "text")]
    by_src = {src: out for out, src in reversed(pairs)}
    return by_src.get("text", "text"), by_src.get("id", "id")


def _stem(name: str) -> str:
    for ext in DOC_EXTENSIONS:
        if name.endswith(ext):
            return name[: -len(ext)]
    return name.split(".", 1)[0]


# A writer with ``format: dolma`` lays each stage's folder out as a Dolma dataset, so that Dolma's own tools read it
# where it lies: ``dolma mix`` finds a documents file's attributes by replacing ``/documents/`` in its path with
# ``/attributes/<set>/`` (src/shard.rs, split_streams) and merges them line by line, requiring equal ids::
#
#     kept/<stage>/documents/00000.jsonl.gz            {"id", "text", "source", "added", "created", "metadata"}
#     kept/<stage>/attributes/winnow/00000.jsonl.gz    {"id", "attributes": {"winnow__<step>__<signal>": ...}, ...}
#     rejected/<stage>/documents/00000.p0.jsonl.gz     (and its attributes/winnow/ file)
DOLMA_DOCUMENTS = "documents"
DOLMA_SET = "winnow"  # the attribute set name winnow's signals carry in Dolma's "<set>__<tagger>__<name>" keys
_DOLMA_SET = DOLMA_SET
KINDS = ("kept", "rejected")


def stage_folder(base: Path | RemotePath, kind: str, stage: str, writer: Any) -> Path | RemotePath:
    """Where a writer puts a stage's documents files in a run (or apply) folder: ``<base>/<kind>/<stage>``, or its
    ``documents/`` folder for a writer in Dolma's layout."""
    folder = base / kind / stage
    return folder / DOLMA_DOCUMENTS if getattr(writer, "format", None) == "dolma" else folder


# Files a stage folder may hold that are not document records: a tokenized writer's token ids and indexes
# (winnow.io.tokenized) and a mix stage's records of its plan and realised mixture (winnow.shuffle_merge). Read as
# JSON lines, a binary file would yield whatever bytes happen to parse.
_NOT_RECORDS = (".bin", ".idx", ".ds", ".ds.index", ".ds.metadata", ".docs.npy", ".ids.jsonl", "mixture.json",
                "shuffle-merge.json")


def record_files(folder: Path | RemotePath) -> list[Path | RemotePath]:
    """The documents files of ``<run>/<kind>/<stage>`` in name order, in whichever layout the writer used (its
    ``documents/`` folder holds them in Dolma's); temporary files of an unfinished write are skipped."""
    from .base import is_temp_name

    def listing(d: Path | RemotePath) -> list[Path | RemotePath]:
        try:
            return sorted(d.iterdir(), key=lambda p: p.name)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files(entries: list[Path | RemotePath]) -> list[Path | RemotePath]:
        return [p for p in entries if not p.name.startswith(".") and not is_temp_name(p.name)
                and not p.name.endswith(_NOT_RECORDS) and p.is_file()]

    top = listing(folder)
    # one more listing only where there is a documents/ folder (on an object store each listing is a request)
    docs = [p for p in top if p.name == DOLMA_DOCUMENTS and p.is_dir()]
    return files(top) + (files(listing(docs[0])) if docs else [])


def locate(doc_path: Path | RemotePath) -> tuple[Path | RemotePath, str, str, bool] | None:
    """``(run folder, kind, stage, dolma layout)`` of a documents file under ``<run>/<kept|rejected>/<stage>/``
    (or its ``documents/`` folder), else None. Dolma's layout is taken first: a stage named ``documents`` in a run
    folder itself named ``kept`` or ``rejected`` would read as it."""
    parent = doc_path.parent
    if parent.name == DOLMA_DOCUMENTS and parent.parent.parent.name in KINDS:
        stage_dir = parent.parent
        return stage_dir.parent.parent, stage_dir.parent.name, stage_dir.name, True
    if parent.parent.name in KINDS:
        return parent.parent.parent, parent.parent.name, parent.name, False
    return None


def side_path(doc_path: Path | RemotePath) -> Path | RemotePath:
    """``<run>/<kept|rejected>/<stage>/<name>`` -> ``<run>/attributes/<kept|rejected>/<stage>/<stem>.jsonl.zst``;
    in Dolma's layout ``<run>/<kind>/<stage>/documents/<name>`` -> ``<run>/<kind>/<stage>/attributes/winnow/<name>``
    (the same name, so the same codec: Dolma infers it from the extension; a Parquet documents file's side file is
    ``<stem>.jsonl.zst``, which Dolma's JSONL tools do not read either way)."""
    where = locate(doc_path)
    if where is not None and where[3]:
        name = doc_path.name if ".jsonl" in doc_path.name else _stem(doc_path.name) + SIDE_EXTENSION
        return doc_path.parent.parent / "attributes" / DOLMA_SET / name
    stage_dir = doc_path.parent
    kind_dir = stage_dir.parent
    return kind_dir.parent / "attributes" / kind_dir.name / stage_dir.name / (_stem(doc_path.name) + SIDE_EXTENSION)


def _is_span_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, list) and len(s) == 3 for s in v)


def dolma_side_record(doc: Document) -> dict[str, Any]:
    """The side record in Dolma's attribute format: ``attributes`` maps ``winnow__<step>__<signal>`` to one span
    over the whole text, ``[[0, len(text), value]]``, for every numeric signal (the form Dolma's mixer filters
    on); attributes already in Dolma's form (span lists read from Dolma files) stay as they are. What Dolma cannot
    hold (text, lists, mappings, booleans, keys that do not split at a dot) is in ``winnow_attributes``; metadata,
    edits and the drop as in winnow's side records. An annotate run's verdict ``<step>.drop`` is also the span
    ``winnow__<step>__drop`` (score 1.0), present only on documents the step would drop. ``decode_side`` gives
    the attributes back exactly."""
    spans: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    n = len(doc.text)
    for k, v in doc.attributes.items():
        step, dot, signal = str(k).partition(".")
        if signal == "drop" and isinstance(v, dict) and "__" not in step:
            # an annotate run's verdict: a span scored 1.0 for Dolma's mixer to exclude on
            # (`$.attributes[?(@.winnow__<step>__drop)]`); the verdict itself stays whole below
            spans[f"{_DOLMA_SET}__{step}__drop"] = [[0, n, 1.0]]
            rest[k] = v
            continue
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")
        if numeric and dot and step and signal and "__" not in step and "__" not in signal:
            spans[f"{_DOLMA_SET}__{step}__{signal}"] = [[0, n, v]]
        elif _is_span_list(v) and "__" in str(k) and not str(k).startswith(_DOLMA_SET + "__"):
            spans[k] = v
        else:
            rest[k] = v
    out = side_record(doc)
    out["attributes"] = spans
    out["winnow_attributes"] = rest
    return out


def decode_side(side: dict[str, Any]) -> dict[str, Any]:
    """A side record with winnow's attributes, whichever layout wrote it (winnow's or Dolma's)."""
    if "winnow_attributes" not in side:
        return side
    attrs: dict[str, Any] = {}
    for k, v in (side.get("attributes") or {}).items():
        if k.startswith(_DOLMA_SET + "__") and _is_span_list(v) and len(v) == 1:
            _, step, signal = k.split("__", 2)
            attrs[f"{step}.{signal}"] = v[0][2]
        else:
            attrs[k] = v
    attrs.update(side.get("winnow_attributes") or {})
    out = {k: v for k, v in side.items() if k != "winnow_attributes"}
    out["attributes"] = attrs
    return out


class SideWriter:
    def __init__(self, path: Path, fmt: str = "winnow"):
        self._f = open_write(path, 3)
        self._record = dolma_side_record if fmt == "dolma" else side_record

    def encode(self, doc: Document) -> bytes:
        return orjson.dumps(self._record(doc), option=orjson.OPT_SERIALIZE_NUMPY)

    def write_line(self, line: bytes) -> None:
        self._f.write(line)
        self._f.write(b"\n")

    def write(self, doc: Document) -> None:
        self.write_line(self.encode(doc))

    def close(self) -> None:
        self._f.close()


def iter_side(path: Path | RemotePath, needle: bytes | None = None) -> Iterator[dict[str, Any]]:
    with open_read(path) as f:
        for line in f:
            if line.strip() and (needle is None or needle in line):
                yield orjson.loads(line)


def _in_step(records: Iterator[Any], doc_id: str, owed: int) -> tuple[Any, Any]:
    """The record for ``doc_id`` among the next ``owed + 1`` of a side file that follows its documents file line
    by line: ``owed`` is how many lines of the documents file were quarantined since the last document (their
    side records are passed over). (record or None, the last record looked at)."""
    last = None
    for _ in range(owed + 1):
        last = next(records, None)
        if last is None:
            break
        if isinstance(last, dict) and str(last.get("id")) == doc_id:
            return last, last
    return None, last


def merge_side_docs(items: Iterator[Document | Any], side: Path | RemotePath) -> Iterator[Document | Any]:
    """Documents read from a documents file (with only its selected fields), made whole again from its side
    file. Quarantine records pass through; a document whose side record is missing or out of step is
    quarantined (a damaged file must not fail the shard, nor lose the document's verdicts silently)."""
    from ..document import Quarantine

    sides = iter_side(side)
    owed = 0
    for item in items:
        if not isinstance(item, Document):
            owed += 1  # a quarantined line of the documents file still has its side record
            yield item
            continue
        rec, last = _in_step(sides, item.id, owed)
        owed = 0
        if rec is None:
            got = None if not isinstance(last, dict) else last.get("id")
            yield Quarantine(str(side), f"document {item.id}", "side_mismatch",
                             f"{side}: side record for document {item.id!r} is missing or out of step with its "
                             f"documents file (found {got!r})", item.text[:200])
            continue
        yield Document.from_dict({**decode_side(rec), "text": item.text})


def merge_side(rows: Iterator[dict[str, Any]], sides: Iterator[dict[str, Any]], text_field: str, id_field: str,
               where: str) -> Iterator[dict[str, Any]]:
    """Whole winnow records from documents rows and their side records (same order, same ids)."""
    for row in rows:
        side = next(sides, None)
        side = decode_side(side) if side is not None else None
        rid = row.get(id_field)
        if side is None or str(side.get("id")) != str(rid):
            raise ValueError(f"{where}: side file out of step with the documents file at id {rid!r} "
                             f"(side record: {None if side is None else side.get('id')!r})")
        yield {"id": side["id"], "text": row.get(text_field), "metadata": side.get("metadata") or {},
               "attributes": side.get("attributes") or {}, "edits": side.get("edits") or [], "drop": side.get("drop")}


def _run_writers(config_path: str) -> dict[tuple[str, str], Any]:
    import yaml

    try:
        with open_read(config_path) as f:
            cfg = yaml.safe_load(f.read()) or {}
    except (FileNotFoundError, OSError):
        return {}
    out = {}
    for st in cfg.get("stages") or []:
        for kind, key in (("kept", "writer"), ("rejected", "rejects")):
            spec = st.get(key)
            out[(kind, st.get("name"))] = spec.get("fields") if isinstance(spec, dict) else None
    return out


def fields_for_file(doc_path: Path | RemotePath) -> list[str] | dict[str, str] | None:
    """The ``fields`` of the writer that wrote ``<run>/<kind>/<stage>/<file>``, from the run's resolved config."""
    where = locate(doc_path)
    if where is None:
        return None
    run_dir, kind, stage, _ = where
    # read per file (a few hundred bytes): a cache would go stale when a folder is rewritten by another run
    return _run_writers(str(run_dir / "config.resolved.yaml")).get((kind, stage))


# --- peers' layouts (``format:``) -----------------------------------------------------------------------------
# datatrove: its writers' default adapter writes the Document dataclass without its empty fields,
#   {"text", "id", "metadata": {...}} (src/datatrove/pipeline/writers/disk_base.py, _default_adapter); its readers
#   take text_key/id_key and merge "metadata" with every other field (src/datatrove/pipeline/readers/base.py).
# dolma: documents {"id", "text", "source", "added", "created", "metadata"} (docs/data-format.md; added and created
#   optional), attributes in files of the same name under attributes/<name>/ instead of documents/, one
#   {"id", "attributes": {"<name>__<tagger>__<attribute>": [[start, end, score], ...]}} per document, same order.

def check_format(owner: Any) -> None:
    from .base import FORMATS, check_str

    check_str(owner, "format", FORMATS)
    if owner.format == "winnow":
        if getattr(owner, "attributes", None):
            raise ValueError("attributes (Dolma attribute sets to merge) needs format: dolma")
        return
    if hasattr(owner, "writes_side") and owner.fields is not None:
        raise ValueError(f"format: {owner.format} writes {owner.format}'s own fields; `fields` picks winnow's "
                         "(give one or the other)")
    attrs = getattr(owner, "attributes", None)
    if attrs is not None:
        if owner.format != "dolma":
            raise ValueError("attributes (Dolma attribute sets to merge) needs format: dolma")
        if not isinstance(attrs, list) or not all(isinstance(a, str) and a and "/" not in a for a in attrs):
            raise ValueError(f"attributes must be a list of attribute set names (folders under attributes/), "
                             f"got {attrs!r}")


def format_record(doc: Document, fmt: str) -> dict[str, Any]:
    """The documents-file record of ``doc`` in a peer's layout (the rest of the document is in the side file)."""
    if fmt == "datatrove":
        out: dict[str, Any] = {"text": doc.text, "id": doc.id}
        if doc.metadata:  # datatrove's adapter leaves empty fields out
            out["metadata"] = doc.metadata
        return out
    meta = dict(doc.metadata)
    src = meta.pop("source", "")
    out = {"id": doc.id, "text": doc.text, "source": src if isinstance(src, str) else str(src)}
    for k in ("added", "created"):
        if k in meta:
            out[k] = meta.pop(k)
    out["metadata"] = meta
    return out


def _run_side(shard: str) -> Path | RemotePath | None:
    """The side file of a documents file that a winnow run wrote (``<run>/<kept|rejected>/<stage>/<file>``)."""
    from .base import as_path
    from .shards import split_key

    path, rng = split_key(shard)
    p = as_path(path)
    if rng is not None or locate(p) is None:
        return None
    side = side_path(p)
    return side if side.exists() else None


def read_format(items: Iterator[Any], shard: str, fmt: str, attributes: list[str] | None) -> Iterator[Any]:
    """A reader's documents completed as the format says: from the run's side file when winnow wrote the file in
    a peer's layout, and (dolma) with the named attribute sets merged."""
    if fmt == "winnow":
        return items
    side = _run_side(shard)
    if side is not None:
        items = merge_side_docs(items, side)
    for name in attributes or ():
        if side is not None and name == DOLMA_SET and locate(_as_path(shard))[3]:
            continue  # winnow's own set in Dolma's layout: the side file just merged, decoded (not twice, raw)
        items = _merge_dolma_attributes(items, shard, name)
    return items


def _as_path(shard: str) -> Path | RemotePath:
    from .base import as_path
    from .shards import split_key

    return as_path(split_key(shard)[0])


def dolma_attribute_path(shard: str, name: str) -> str:
    from .shards import split_key

    path = split_key(shard)[0]
    if "/documents/" not in path:
        raise ValueError(f"{path}: a Dolma documents file lies under a documents/ folder (its attributes under "
                         f"attributes/{name}/)")
    head, _, tail = path.rpartition("/documents/")
    return f"{head}/attributes/{name}/{tail}"


def _merge_dolma_attributes(items: Iterator[Any], shard: str, name: str) -> Iterator[Any]:
    from ..document import Quarantine
    from .base import READ_ERRORS

    try:
        apath = dolma_attribute_path(shard, name)
        stream = open_read(apath)
    except (ValueError, *READ_ERRORS) as exc:
        yield Quarantine(shard, "file", "missing_attributes", f"{shard}: attribute set {name!r} cannot be read: {exc}")
        return
    def records() -> Iterator[Any]:
        for ln in stream:
            if ln.strip():
                try:
                    yield orjson.loads(ln)
                except orjson.JSONDecodeError:
                    yield None

    with stream:
        recs = records()
        owed = 0
        for item in items:
            if not isinstance(item, Document):
                owed += 1  # a quarantined documents line still has its attribute line: pass over it
                yield item
                continue
            rec, last = _in_step(recs, item.id, owed)
            owed = 0
            if rec is None or not isinstance(rec.get("attributes"), dict):
                rec = rec if rec is not None else last
                got = "nothing" if rec is None else repr(rec.get("id")) if isinstance(rec, dict) else "not an object"
                yield Quarantine(shard, f"document {item.id}", "attributes_mismatch",
                                 f"{apath}: the attribute record for document {item.id!r} is missing or out of step "
                                 f"(found {got}); Dolma's attribute files follow their documents file line by line")
                continue
            item.attributes.update(rec["attributes"])
            yield item
