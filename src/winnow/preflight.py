"""Refuse, before a run starts, what would make it fail (or do nothing) only after every pass had run.

Inputs (``check_inputs``): a local input path without wildcards that does not exist, or that is a folder for a
reader of files, is a configuration error naming it; the reader used to quarantine it as ``unreadable_file`` and the
run failed at its end, telling the user to raise ``run.max_quarantined``. Records (``check_first_records``): when
the first records read are all quarantined (a wrong ``text_key``, a file that is not the reader's format), the run
is refused with the first message of each reason and what to change, instead of running every pass to fail at the
end; an explicit ``run.max_quarantined`` turns this check off.

Fields: a step that needs a metadata field that its documents do not have.

A datatrove file read as a flat record used to put the URL at ``metadata["metadata"]["url"]``: ``url_dedup`` then
kept every duplicate, and nothing said why. Before a run starts, the documents of each reading stage's first shard
(at most ``SAMPLE`` of them, after the reader's own skip/sample/limit) are read, and every step that needs a
field (``url_dedup`` and ``url_filter`` the URL under their ``url_key``) must find it in at least one of them,
unless an earlier step writes it. ``c4_badwords`` without any ``language`` (and no ``language`` step before it)
only warns: it then applies its ``default_language`` list to every document, which can be what the user wants.

This is a sample: a field that appears only after the first SAMPLE documents of the first shard is reported as
missing. The message says exactly what was looked at, so such a case is clear; in practice every record of a
file has the same layout.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Iterable

from .document import Document
from .errors import ConfigError
from .io.base import reader_shards

__all__ = ["check_inputs", "check_first_records", "check_needed_fields", "plan_notes", "SAMPLE"]

SAMPLE = 1000  # documents read from the first shard: enough to see a file's layout, well under a second

# step type -> (the parameter naming the field, or the field itself; refuse (True) or warn (False))
NEEDS: dict[str, tuple[str, bool]] = {
    "url_dedup": ("url_key", True),  # refused only when the records hold a URL elsewhere (URL_OPTIONAL)
    "url_filter": ("url_key", True),
    "c4_badwords": ("language", False),
}
# Steps that keep every document without the field: with no URL anywhere in the records (plain text, a folder of
# .txt files) they have nothing to compare and only warn; a URL elsewhere (``meta.url``, a ``link`` key, a value
# starting with http) is the mapping mistake the refusal exists for. url_filter drops a document without a URL
# (its on_missing_url): refused either way.
URL_OPTIONAL = {"url_dedup"}
# step type -> metadata fields it writes for the steps after it
PRODUCES: dict[str, tuple[str, ...]] = {"language": ("language", "language_score")}


# The parts of a field name (split at non-letters and at camelCase): "WARC-Target-URI", "sourceUrl", "pageURLs", "url_hash".
_NAME_PARTS = re.compile(r"[A-Z]+s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_URL_WORDS = ("url", "uri", "link", "href")


def _url_like(key: str, value: Any) -> bool:
    """A field that names a URL (a part of its name opens or ends with url, uri, link or href: "sourceurl",
    "hyperlinks"; not a word that only holds the letters, as "jurisdiction", "security" or "during" do) or holds
    one (http:// or https://)."""
    return (any(w.startswith(_URL_WORDS) or w.rstrip("s").endswith(_URL_WORDS)
                for w in map(str.lower, _NAME_PARTS.findall(key)))
            or (isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))))


class _Sample:
    """What the preflight learns from the first records of a reader's first shard, read once: the quarantines
    before its first document (``check_first_records``) and the metadata keys of up to ``SAMPLE`` documents
    (``check_needed_fields``). Both used to read the shard from its start, one after the other."""

    def __init__(self, shard: str):
        self.shard = shard
        self.found = False  # a document was read
        self.n_q = 0  # records quarantined before the first document
        self.firsts: dict[str, str] = {}  # the first message of each quarantine reason before it
        self.keys: set[str] = set()  # metadata keys with a value in the documents read
        self.urls: set[str] = set()  # keys (``meta.url`` one level down) whose name or value looks like a URL
        self.n = 0  # documents read (at most SAMPLE)
        self.complete = False  # read as far as the keys need (SAMPLE documents or the shard's end)
        self.skipped = 0  # records over the preflight's record cap (not decoded; the run reads them)


# The records this check reads are decoded in the driver, where nothing finds a record that kills the process (a
# worker's death is found by its position, winnow.pipeline.Position): a 31 MB line of empty JSON arrays took 1 GB
# here, and a driver with less memory failed (or crashed) before the run, on every try. The check reads records of
# at most this many bytes (33 MB of objects at worst); a longer one is left to the run.
_PREFLIGHT_RECORD_BYTES = 1 << 20


def _capped(reader: Any) -> Any:
    """``reader`` with its record cap lowered to _PREFLIGHT_RECORD_BYTES (the same reader where it has none)."""
    import dataclasses

    for name in ("max_record_bytes", "max_payload_bytes"):
        cap = getattr(reader, name, None)
        if isinstance(cap, int) and cap > _PREFLIGHT_RECORD_BYTES and dataclasses.is_dataclass(reader):
            try:
                return dataclasses.replace(reader, **{name: _PREFLIGHT_RECORD_BYTES})
            except (TypeError, ValueError):
                return reader
    return reader


def _read_sample(reader: Any, shard: str, keys: bool, sample: _Sample | None = None,
                 judge: bool = True) -> _Sample:
    """Read ``shard`` from its start until its first document (or SAMPLE quarantined records: ``judge``, the
    first-records check's limit), and on to SAMPLE documents when ``keys`` is asked for."""
    out = _Sample(shard) if sample is None else sample
    small = _capped(reader)
    items = small.read(shard)
    try:
        for item in items:
            if not isinstance(item, Document):
                if small is not reader and getattr(item, "reason", None) == "too_large":
                    # over the preflight's own cap only: the run reads it with the reader's, and may well make it a
                    # document, so it ends the judging as a document does (skipped, a shard of one 2 MiB page and
                    # one bad line was refused as 'all 1 record(s) read were quarantined', and a corpus of large
                    # records was read whole, up to 16 shards, looking for a small one); the keys sample counts it
                    # towards SAMPLE, unread
                    out.found = True
                    out.skipped += 1
                    if not keys:
                        return out
                    if out.n + out.skipped >= SAMPLE:
                        out.complete = True
                        return out
                    continue
                if not out.found:
                    out.n_q += 1
                    out.firsts.setdefault(str(getattr(item, "reason", "?")), str(getattr(item, "message", "")))
                    if judge and out.n_q >= SAMPLE:
                        return out
                continue
            out.found = True
            if not keys:
                return out
            out.n += 1
            if isinstance(item.metadata, dict):
                out.keys.update(k for k, v in item.metadata.items() if v not in (None, ""))
                for k, v in item.metadata.items():
                    if isinstance(v, dict):
                        out.urls.update(f"{k}.{k2}" for k2, v2 in v.items() if _url_like(str(k2), v2))
                    elif k != "html" and _url_like(str(k), v):
                        out.urls.add(str(k))
            if out.n + out.skipped >= SAMPLE:
                out.complete = True
                return out
        out.complete = True  # the shard's end
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    return out


def _sample_keys(reader: Any, samples: dict[int, _Sample] | None = None) -> tuple[set[str], int, str, set[str]]:
    """Metadata keys with a value in the first documents of the reader's first shard; how many were read; which
    shard; the keys whose name or value looks like a URL. From ``samples`` when check_first_records read them."""
    got = samples.get(id(reader)) if samples is not None else None
    if got is None or not got.complete:
        shards = reader_shards(reader)
        if not shards:
            return set(), 0, "", set()
        # the keys alone (run.max_quarantined set, or the first records all bad): read past quarantined records
        # to the documents, however many come first
        got = _read_sample(reader, shards[0], keys=True, judge=False)
    return got.keys, got.n, got.shard, got.urls


def check_inputs(pipe: Any, run: bool = True) -> None:
    """Raise ConfigError for a local input path without wildcards that does not exist or cannot be read, for a
    folder given to a reader of files (every reader but ``text``, whose paths are folders), and for a glob whose
    folder cannot be listed (permission denied: the glob would match nothing, and the run say "no input matched").
    A glob that matches nothing is otherwise the run's own error (no shard); remote paths are the run's to list."""
    import glob
    import os

    from .io.base import input_suffix, is_remote, listed, literal_file, resolve_path

    for stage in pipe.stages:
        reader = stage.reader
        paths = getattr(reader, "paths", None) if reader is not None else None
        if paths is None:
            continue
        pats = [paths] if isinstance(paths, str) else list(paths)
        matched = 0
        for pat in pats:
            if not isinstance(pat, str) or is_remote(pat):
                matched += 1  # the run lists it
                continue
            local = os.path.expanduser(resolve_path(pat))
            where = f"stage {stage.name}: input {pat!r}"
            if glob.has_magic(pat) and not (not listed(local) and literal_file(local)):
                files = listed(local)  # listed once: the run's plan takes this listing (io.base.listing_scope)
                matched += bool(files)
                _check_types(stage.name, pat, reader, files)
                parts = []
                for c in local.split("/")[:-1]:  # the folder part before the first wildcard
                    if glob.has_magic(c):
                        break
                    parts.append(c)
                folder = ("/".join(parts) or "/") if parts else "."
                if os.path.isdir(folder) and not os.access(folder, os.R_OK | os.X_OK):
                    raise ConfigError(f"{where}: the folder {folder!r} cannot be listed (permission denied); "
                                      "run as a user who may read it, or copy the files elsewhere")
                # 'data/*' over folders (datatrove's and Dolma's layouts): each folder was quarantined
                # "Is a directory", and the advice was to raise max_quarantined
                dirs = sorted(f for f in files if os.path.isdir(f)) if getattr(reader, "name", "") != "text" else []
                if dirs:
                    shown = ", ".join(dirs[:3]) + (f" and {len(dirs) - 3:,} more" if len(dirs) > 3 else "")
                    # files beside the folders ('data/*' over data/a.jsonl and data/old/): the glob of the folders'
                    # files would take old/'s too, which the user may not want; name the files-only glob as well
                    beside = sorted({x for f in files if not os.path.isdir(f)
                                     and (x := input_suffix(os.path.basename(f))) is not None})
                    alone = (f", or only the files beside them, e.g. {pat + beside[0]!r}"
                             if pat.endswith("*") and len(beside) == 1 else "")
                    raise ConfigError(f"{where} matches {len(dirs):,} folder(s) ({shown}); the {reader.name} reader "
                                      f"reads files: give a glob of the files in them, e.g. "
                                      f"{folder_hint(folder, folder if parts else '.')!r}{alone}")
                continue
            if not os.path.exists(local):
                parent = os.path.dirname(os.path.abspath(local))
                while parent != os.path.dirname(parent) and not os.path.isdir(parent):
                    parent = os.path.dirname(parent)
                if not os.access(parent, os.X_OK):
                    raise ConfigError(f"{where} cannot be reached: permission denied on the folder {parent!r}")
                raise ConfigError(f"{where} does not exist (relative to {os.getcwd()}); check the path, or give "
                                  "a glob such as 'data/*.jsonl.gz'")
            is_dir = os.path.isdir(local)
            if not os.access(local, os.R_OK | (os.X_OK if is_dir else 0)):
                raise ConfigError(f"{where} cannot be read (permission denied); run as a user who may read it")
            if is_dir and getattr(reader, "name", "") != "text":
                raise ConfigError(f"{where} is a folder; the {reader.name} reader reads files: give a glob of the "
                                  f"files in it, e.g. {folder_hint(local, pat)!r} (winnow run NAME --input FOLDER "
                                  "finds them itself)")
            matched += 1
        if run and pats and not matched:  # refused before the run folder is made (validate only warns: cli)
            raise ConfigError(f"stage {stage.name}: no input matched {paths!r} (relative to {os.getcwd()}: a typo in "
                              "the path, or the wrong working folder?)")


def _check_types(stage: str, pat: str, reader: Any, files: list[str]) -> None:
    """Refuse a glob that matches files of another reader's type (``data/*`` holding ``x.parquet`` for the jsonl
    reader): read as JSON Lines, a Parquet file's bytes are quarantined line by line, or worse, parsed."""
    import os

    from .io.base import implied_reader

    name = getattr(reader, "name", "")
    if name not in ("jsonl", "parquet", "warc", "wet"):
        return
    other = [f for f in files if (t := implied_reader([os.path.basename(f)])) and t != name
             and {t, name} != {"warc", "wet"}]
    if other:
        shown = ", ".join(other[:3]) + (f" and {len(other) - 3:,} more" if len(other) > 3 else "")
        raise ConfigError(f"stage {stage}: input {pat!r} matches {len(other):,} file(s) the {name} reader cannot "
                          f"read ({shown}); narrow the glob to the {name} files, or read the others in a stage of "
                          "their own")


def folder_hint(folder: str, shown: str) -> str:
    """A glob for the input files inside ``folder`` (``data/**/*.jsonl.gz``), by the commonest suffix found."""
    from .io.base import input_suffixes

    suffixes = input_suffixes(folder)
    best = max(suffixes, key=lambda s: (suffixes[s], s)) if suffixes else ".jsonl"
    return f"{shown.rstrip('/')}/**/*{best}"


# What to change, by quarantine reason, when every record read so far was quarantined.
_FIRST_RECORD_HINTS = {
    # a whole file in another encoding: raising max_quarantined (the only advice it got) quarantines all of it
    "invalid_utf8": "the reader wants UTF-8: convert the file first, e.g. iconv -f cp1252 -t utf-8 FILE > "
                    "FILE.utf8.jsonl (Latin-1 or Windows text), or iconv -f utf-16 (a UTF-16 file, as some Windows "
                    "tools write)",
    "missing_text": "set the reader's text_key to the field that holds the text: --set {stage}.reader.text_key=FIELD",
    "malformed_json": "the reader wants JSON Lines, one object per line (--input picks the reader by the file name: "
                      ".jsonl, .parquet, .warc, .wet, .txt, .html); a JSON array or an indented file converts with jq -c '.[]' "
                      "FILE > FILE.jsonl",
    "not_an_object": "the reader wants one JSON object per line; a JSON array converts with jq -c '.[]' FILE > "
                     "FILE.jsonl",
}


def first_record_hints(reasons: Iterable[str], stage: str) -> list[str]:
    """What to change for records quarantined with these reasons, in the order of ``_FIRST_RECORD_HINTS``."""
    reasons = set(reasons)
    # lines of a file in another encoding also read as malformed JSON (UTF-16's NULs): then the conversion is the
    # fix, not jq
    return [h.format(stage=stage) for r, h in _FIRST_RECORD_HINTS.items() if r in reasons
            and not (r == "malformed_json" and "invalid_utf8" in reasons)]


def _first_records(reader: Any, max_shards: int, keys: bool = False,
                   samples: dict[int, _Sample] | None = None) -> tuple[bool, int, dict[str, str], bool]:
    """Read the reader's first shards until a document: (a document was found, records quarantined before it, the
    first message of each reason, every shard was read to its end). ``keys``: the first shard is read on to SAMPLE
    documents for ``_sample_keys`` as well, kept in ``samples`` (one read of it instead of two)."""
    shards = reader_shards(reader)
    acc = _Sample(shards[0] if shards else "")
    for i, shard in enumerate(shards[:max_shards]):
        _read_sample(reader, shard, keys and i == 0, acc)
        if i == 0 and keys and samples is not None:
            samples[id(reader)] = acc
        if acc.found:
            return True, acc.n_q, acc.firsts, False
        if acc.n_q >= SAMPLE:
            return False, acc.n_q, acc.firsts, False
    return False, acc.n_q, acc.firsts, len(shards) <= max_shards


def check_first_records(pipe: Any, max_shards: int = 16, sample: set[str] | None = None,
                        samples: dict[int, _Sample] | None = None) -> None:
    """Raise ConfigError when the records a reading stage reads first are all quarantined: the first ``SAMPLE``
    of them, or every record of all its shards (at most ``max_shards``); the run would quarantine them and, with
    no ``run.max_quarantined``, fail at its end. Stops at the first document, so good input costs one record.
    Off when the pipeline sets ``run.max_quarantined`` (the user accepts quarantine). The stages named in
    ``sample`` have their first shard read on to SAMPLE documents, into ``samples`` (``check_needed_fields``)."""
    if getattr(pipe, "max_quarantined", None) is not None:
        return
    for stage in pipe.stages:
        if stage.reader is None:
            continue
        found, n_q, firsts, complete = _first_records(stage.reader, max_shards, stage.name in (sample or ()),
                                                      samples)
        if found or not n_q or not (complete or n_q >= SAMPLE):
            continue  # a document, nothing read at all (the run says: empty files), or too little seen to judge
        what = f"all {n_q:,} record(s)" if complete else f"the first {n_q:,} records"
        hints = first_record_hints(firsts, stage.name)
        detail = "; ".join(f"{r}: {m}" for r, m in firsts.items())
        todo = "".join(h + "; or " for h in hints) + "set run.max_quarantined (a share, 0..1) to run anyway"
        raise ConfigError(f"stage {stage.name}: {what} read were quarantined, none became a document ({detail}). "
                          + todo[0].upper() + todo[1:])


def check_needed_fields(pipe: Any, log: bool = True, run: bool = True) -> list[str]:
    """Raise ConfigError naming the step and the field when no sampled document has a field a step needs; return
    (and print, with ``log``) the warnings. Checks the inputs and the first records first (``check_inputs``,
    ``check_first_records``); ``run=False`` (``winnow validate``) lets a glob that matches no file pass."""
    check_inputs(pipe, run)
    by_name = {s.name: s for s in pipe.stages}
    read: dict[int, _Sample] = {}
    check_first_records(pipe, sample=_stages_to_sample(pipe, by_name), samples=read)
    samples: dict[str, tuple[set[str], int, str, set[str]]] = {}
    warnings: list[str] = []
    for stage, root, step, param, refuse, fld in _needed_fields(pipe, by_name):
        if root.name not in samples:
            samples[root.name] = _sample_keys(root.reader, read)
        keys, n, shard, urls = samples[root.name]
        if n and fld not in keys:
            have = ", ".join(sorted(keys)[:12]) or "none"
            msg = (f"stage {stage.name}: step {step.name} needs the metadata field {fld!r}, but none "
                   f"of the first {n:,} documents of {shard} has it (their metadata fields: {have})")
            if step.name in URL_OPTIONAL and not urls:
                warnings.append(msg + f", nor anything like a URL: {step.name} keeps every document "
                                "(nothing to compare); if they do have URLs, set "
                                f"{param} or the reader's fields")
                continue
            if refuse:
                raise ConfigError(msg + f". Set {param} to the field that holds it, or map it with "
                                  "the reader's fields: {" + f"{fld}: <path in the record>" + "}; "
                                  f"if the documents have none, leave {step.name} out of the "
                                  "pipeline (winnow init NAME copies a shipped one here to edit)")
            msg += (f"; it applies default_language={getattr(step, 'default_language', '?')!r} to "
                    "every document (add a language step before it to use each one's language)")
            warnings.append(msg)
    warnings += [w for st in pipe.stages if st.reader is not None and (w := _shared_stem_ids(st.name, st.reader))]
    if log:
        for w in warnings:
            print(f"[winnow] warning: {w}", file=sys.stderr)
    return warnings


def _shared_stem_ids(stage: str, reader: Any) -> str | None:
    """A warning when records without an id would get the same ids in two files: the JSON Lines and Parquet readers
    name such a record FILE-STEM:LINE, and datatrove's and Dolma's layouts repeat file names across folders
    (a/00000.jsonl.gz, b/00000.jsonl.gz). Costs the listing (made already) and one record of one file."""
    if getattr(reader, "name", None) not in ("jsonl", "parquet"):
        return None
    from .io.shards import split_key

    by_stem: dict[str, dict[str, str]] = {}  # stem -> {file: its first shard key}
    for key in reader_shards(reader):
        path = split_key(key)[0]
        by_stem.setdefault(path.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0], {}).setdefault(path, key)
    stem, files = next(((k, v) for k, v in by_stem.items() if len(v) > 1), (None, {}))
    if stem is None:
        return None
    names = list(files)
    items = reader.read(files[names[0]])
    try:
        first = next((d for d in items if isinstance(d, Document)), None)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    if first is None or not re.fullmatch(re.escape(stem) + r":\d+", first.id):
        return None  # the records carry their ids
    more = f" and {len(names) - 2:,} more" if len(names) > 2 else ""
    return (f"stage {stage}: the records have no {getattr(reader, 'id_key', 'id')!r} field, so each gets the id "
            f"FILE-STEM:LINE, and {len(names):,} input files share the stem {stem!r} ({names[0]}, {names[1]}{more}): "
            f"their documents' ids repeat ({first.id} in each), and explain, side files and sample key on ids. Set "
            f"{stage}.reader.id_key to a field that holds a unique id, or give the files distinct names")


def _needed_fields(pipe: Any, by_name: dict[str, Any]):
    """Each (stage, its reading stage, step, parameter, refuse, field) where a step needs a metadata field that no
    step before it in the stage's chain of stages writes: what check_needed_fields looks for in the first records."""
    for stage in pipe.stages:
        chain = [stage]
        while chain[-1].reader is None and chain[-1].source in by_name:
            chain.append(by_name[chain[-1].source])
        root = chain[-1]
        if root.reader is None:
            continue
        produced: set[str] = set()
        for st in reversed(chain):
            for step in st.steps:
                need = NEEDS.get(getattr(step, "name", ""))
                if need is not None and st is stage:
                    param, refuse = need
                    fld = getattr(step, param, None) if param.endswith("_key") else param
                    if isinstance(fld, str) and fld not in produced:
                        yield stage, root, step, param, refuse, fld
                produced.update(PRODUCES.get(getattr(step, "name", ""), ()))


def _stages_to_sample(pipe: Any, by_name: dict[str, Any]) -> set[str]:
    """The reading stages whose documents' metadata keys check_needed_fields will look at (a step after them needs
    a field no earlier step writes): their first shard is read once for both checks."""
    return {root.name for _, root, *_ in _needed_fields(pipe, by_name)}


def plan_notes(pipe: Any, log: bool = True) -> list[str]:
    """What a step will do that its configuration leaves to the machine it runs on (stitched_document's tier auto:
    the embedding tier when its encoder is installed, else the pair tier), each step's ``plan_note()``; printed
    with ``log``, before the run starts, so the choice is not found out from the documents afterwards."""
    notes = []
    for stage in pipe.stages:
        for step in stage.steps:
            note = getattr(step, "plan_note", None)
            text = note() if callable(note) else None
            if text and text not in notes:
                notes.append(text)
    if log:
        for n in notes:
            print(f"[winnow] {n}", file=sys.stderr)
    return notes
