"""``winnow inspect``: run a pipeline's per-document steps on one file and show every decision.

The file is read by the reader its type implies, record by record: WARC (``.warc``, ``.warc.gz``: every response
record; ``.wet``: every conversion record), JSON Lines (every line), Parquet (every row). When the pipeline's own
reader is of that type its settings (``text_key``, ``id_key``, ...) apply. An HTML file is one page, anything else
one plain-text document; a folder is every file in it.

Corpus steps (deduplication) need the whole corpus and are skipped here; the output says so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import orjson

from ._terminal import json_printable, printable, shell_path
from .config import load_pipeline
from .document import Document, Quarantine
from .io.text import _decode_html
from .step import Context, CorpusStep

RED, DIM, BOLD, GREEN, RESET = "\x1b[31m", "\x1b[2m", "\x1b[1m", "\x1b[32m", "\x1b[0m"


def reader_for(path: str | Path, configured=None):
    """The reader a file's name implies (or None: one document), with the pipeline's reader settings when that
    reader is of the same type; of another type, the settings given (not defaults) that it also has, as --input
    switches a run's reader (`--set main.reader.text_key=content` on a .parquet file with the default pipeline's
    jsonl reader: the parquet reader read 'text')."""
    import dataclasses

    from .config import _fields, _implied_reader, build_component, component_to_dict
    from .registry import lookup

    kind = _implied_reader([Path(path).name])
    if kind is None:
        return None
    spec: dict = {"type": kind}
    if configured is not None and configured.name == kind:
        spec = component_to_dict(configured)
    elif configured is not None:
        defaults = {f.name: f.default for f in dataclasses.fields(configured)
                    if f.default is not dataclasses.MISSING}
        target = _fields(lookup(kind, "reader"))
        spec.update({k: v for k, v in component_to_dict(configured).items()
                     if k in target and k not in ("type", "paths") and (k not in defaults or defaults[k] != v)})
    spec["paths"] = str(path)
    return build_component("reader", spec, f"the reader for {path}")


def _documents(path: str, configured=None) -> Iterator[Document | Quarantine]:
    p = Path(path)
    if p.is_dir():
        for f in sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith(".")):
            yield from _documents(str(f), configured)
        return
    name = p.name.lower()
    reader = reader_for(p, configured)
    if reader is not None:
        yield from reader.read(str(p))
        return
    raw = p.read_bytes()
    if name.endswith((".html", ".htm", ".html.gz", ".htm.gz")) or raw[:1024].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        if name.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        yield Document(id=p.name, text="", metadata={"source": str(p), "html": _decode_html(raw)})
        return
    yield Document(id=p.name, text=raw.decode("utf-8", "replace"), metadata={"source": str(p)})


def run_steps(doc: Document, steps, annotate: bool = True) -> Document:
    """Apply steps in order. Unlike a run, every step sees the document (annotate), so all signals show; the
    first drop is the verdict."""
    first_drop = None
    for step in steps:
        doc = step.process(doc)
        if doc.drop is not None:
            if first_drop is None:
                first_drop = doc.drop
            doc.attributes[f"{step.name}.drop"] = doc.drop.to_dict()
            doc.drop = None
            if not annotate:
                break
    doc.drop = first_drop
    return doc


def inspect_path(path: str, pipeline: str, as_json: bool = False, color: bool = False,
                 sets: dict[str, Any] | None = None, limit: int | None = None) -> int:
    """``sets`` are ``--set`` keys, as ``winnow run`` takes them (``main.reader.text_key=content``,
    ``gopher_quality.min_words=10``). ``limit``: stop after that many records (documents or quarantined ones) (a corpus shard of 5,002 Parquet
    rows took 192 s through the default pipeline's steps, every one printed)."""
    from .runfolder import CONFIG_NAME

    if Path(path).is_dir() and (Path(path) / CONFIG_NAME).is_file():
        # friction11: a run folder was read as a folder of documents: its config, stats and report.html each
        # inspected as a page ("config.resolved.yaml DROPPED by language")
        shown = printable(shell_path(path), True)
        print(f"winnow: {shown} is a winnow run folder, not a folder of documents: its decisions are recorded; see "
              f"them with winnow explain {shown} ID, winnow report {shown} or winnow query {shown} \"SQL\". To run "
              f"the steps again on its kept documents: winnow inspect {shown}/kept/STAGE/00000.jsonl.zst (one "
              f"file)", file=sys.stderr)
        return 1
    pipe = load_pipeline(pipeline, sets)
    steps, skipped = [], []
    for stage in pipe.stages:
        for s in stage.steps:
            (skipped if isinstance(s, CorpusStep) else steps).append(s)
    configured = next((st.reader for st in pipe.stages if st.reader is not None), None)
    reader = reader_for(path, configured) if not Path(path).is_dir() else None
    lead = next((s for s in steps if getattr(s, "READS_TEXT", True)), None)  # url_filter may come first
    if getattr(reader, "yields_html", False) is True and not getattr(lead, "READS_HTML", False):
        from .steps.extract import HtmlExtract

        steps.insert(0, HtmlExtract())  # the page's text is empty until extracted
        if not as_json:
            print(f"(added html_extract first: {reader.name} records carry HTML and the pipeline's steps do not "
                  "start by extracting it)", file=sys.stderr)
    for s in steps:
        s.setup(Context(on_drop="annotate"))
    if skipped and not as_json:
        print(f"(skipped corpus-wide steps that need a whole run: {', '.join(s.name for s in skipped)})",
              file=sys.stderr)
    out = sys.stdout
    shown, quarantined, limited = 0, [], False
    for item in _documents(path, configured):
        if limit is not None and shown + len(quarantined) >= limit:
            limited = True
            # records, quarantined ones included: a file whose every line is bad printed all of them (review12)
            if not as_json:
                first = f"first {limit:,} records" if limit > 1 else "first record"
                print(f"(stopped after the {first}: --limit)", file=sys.stderr)
            break
        if isinstance(item, Quarantine):
            quarantined.append(item)
            if as_json:
                out.write(json_printable(orjson.dumps({"quarantined": item.to_dict()}).decode()) + "\n")
            else:
                print(f"QUARANTINED {printable(item.message, one_line=True)}")
            continue
        shown += 1
        doc = run_steps(item, steps)
        if as_json:
            line = orjson.dumps({
                "id": doc.id, "url": doc.metadata.get("url"), "kept": doc.drop is None, "drop": doc.drop.to_dict() if doc.drop else None,
                "attributes": doc.attributes,
                "edits": [{"start": e.start, "end": e.end, "step": e.step, "reason": e.reason, "removed": e.removed,
                           "score": e.score, **({"rule": e.rule} if e.rule is not None else {})}
                          for e in doc.edits],
                "text": doc.text}, option=orjson.OPT_SERIALIZE_NUMPY).decode()
            out.write(json_printable(line) + "\n")
            continue
        c = (lambda code, s: f"{code}{s}{RESET}") if color else (lambda code, s: s)
        d = doc.drop
        measured = "" if d is None or d.value is None else (
            f" (value {d.value:g})" if d.threshold is None else f" (value {d.value:g}, threshold {d.threshold:g})")
        # Everything from the document (id, url, attribute names and values, removed and kept text) is shown with its
        # control characters escaped: a crawled page must not drive the terminal (title, screen clear, ...).
        p = printable
        verdict = c(GREEN, "KEPT") if d is None else c(RED, p(f"DROPPED by {d.step}: {d.reason}{measured}", True))
        url = doc.metadata.get("url")
        print(c(BOLD, "== " + p(doc.id, True)) + (f"  {p(url, True)}" if url and url != doc.id else "")
              + f"  {verdict}")
        for k, v in doc.attributes.items():
            print(f"  {p(k, True)} = {p(v, True)}")
        if doc.edits:
            print(c(BOLD, f"  removed spans ({len(doc.edits)}):"))
            for e in doc.edits:
                snippet = e.removed.strip().replace("\n", " ")
                if len(snippet) > 160:
                    snippet = snippet[:157] + "..."
                score = f" score={e.score:.3f}" if e.score is not None else ""
                rule = f" rule={p(e.rule, True)}" if e.rule is not None else ""
                print(f"   [{p(e.step, True)}: {p(e.reason, True)}{rule}{score}] " + c(RED, p(snippet, True)))
        print(c(DIM, "  text after cleaning:"))
        print("  " + p(doc.text[:2000]).replace("\n", "\n  ") + (" ..." if len(doc.text) > 2000 else ""))
    stage = next((st.name for st in pipe.stages if st.reader is not None), "main")
    return _nothing_shown(path, shown, quarantined, stage, limited)


def _nothing_shown(path: str, shown: int, quarantined: list, stage: str = "main", limited: bool = False) -> int:
    """0 when some record was shown; otherwise say why on stderr (an empty file, or every record unreadable: most
    often the text under another field than the reader's ``text_key``) and return 1."""
    if shown:
        return 0
    if not quarantined:
        print(f"winnow: {printable(path, True)} holds no records to inspect", file=sys.stderr)
        return 1
    from .preflight import first_record_hints

    # the advice follows the reasons, as a run's refusal does: a file in another encoding or a JSON array is not
    # fixed by naming another text field
    reasons = {q.reason for q in quarantined}
    hints = [f"if the text sits under another field, name it: winnow inspect {printable(shell_path(path), True)} "
             f"--set {stage}.reader.text_key=FIELD (as winnow run takes it)"] if "missing_text" in reasons else []
    hints += first_record_hints(reasons - {"missing_text"}, stage)
    todo = "".join(f". {h[0].upper()}{h[1:]}" for h in hints)
    one = len(quarantined) == 1  # --limit 1: 'the first record ... was quarantined', not 'the first 1 records'
    which = ((f"the first record of {printable(path, True)} (--limit) was quarantined" if one else
              f"the first {len(quarantined)} records of {printable(path, True)} (--limit) were all quarantined")
             if limited else f"every record of {printable(path, True)} was quarantined ({len(quarantined)})")
    print(f"winnow: {which}{':' if one and limited else '; the first:'} "
          f"{printable(quarantined[0].message, one_line=True)}{todo}", file=sys.stderr)
    return 1
