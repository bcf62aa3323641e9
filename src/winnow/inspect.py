"""``winnow inspect``: run a pipeline's per-document steps on one file and show every decision.

Corpus steps (deduplication) need the whole corpus and are skipped here; the output says so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import orjson

from .config import load_pipeline
from .document import Document, Quarantine
from .io.jsonl import JsonlReader
from .io.text import _decode_html
from .step import Context, CorpusStep

RED, DIM, BOLD, GREEN, RESET = "\x1b[31m", "\x1b[2m", "\x1b[1m", "\x1b[32m", "\x1b[0m"


def _documents(path: str) -> Iterator[Document | Quarantine]:
    p = Path(path)
    name = p.name.lower()
    if ".jsonl" in name or name.endswith(".json"):
        yield from JsonlReader(paths=str(p)).read(str(p))
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


def inspect_path(path: str, pipeline: str, as_json: bool = False, color: bool = False) -> int:
    pipe = load_pipeline(pipeline)
    steps, skipped = [], []
    for stage in pipe.stages:
        for s in stage.steps:
            (skipped if isinstance(s, CorpusStep) else steps).append(s)
    for s in steps:
        s.setup(Context(on_drop="annotate"))
    if skipped and not as_json:
        print(f"(skipped corpus-wide steps that need a whole run: {', '.join(s.name for s in skipped)})",
              file=sys.stderr)
    out = sys.stdout
    for item in _documents(path):
        if isinstance(item, Quarantine):
            if as_json:
                out.write(orjson.dumps({"quarantined": item.to_dict()}).decode() + "\n")
            else:
                print(f"QUARANTINED {item.message}")
            continue
        doc = run_steps(item, steps)
        if as_json:
            out.write(orjson.dumps({
                "id": doc.id, "kept": doc.drop is None, "drop": doc.drop.to_dict() if doc.drop else None,
                "attributes": doc.attributes,
                "edits": [{"start": e.start, "end": e.end, "step": e.step, "reason": e.reason, "removed": e.removed,
                           "score": e.score} for e in doc.edits],
                "text": doc.text}, option=orjson.OPT_SERIALIZE_NUMPY).decode() + "\n")
            continue
        c = (lambda code, s: f"{code}{s}{RESET}") if color else (lambda code, s: s)
        verdict = c(GREEN, "KEPT") if doc.drop is None else c(RED, f"DROPPED by {doc.drop.step}: {doc.drop.reason} "
                                                                   f"(value {doc.drop.value}, threshold {doc.drop.threshold})")
        print(c(BOLD, f"== {doc.id}") + f"  {verdict}")
        for k, v in doc.attributes.items():
            print(f"  {k} = {v}")
        if doc.edits:
            print(c(BOLD, f"  removed spans ({len(doc.edits)}):"))
            for e in doc.edits:
                snippet = e.removed.strip().replace("\n", " ")
                if len(snippet) > 160:
                    snippet = snippet[:157] + "..."
                score = f" score={e.score:.3f}" if e.score is not None else ""
                print(f"   [{e.step}: {e.reason}{score}] " + c(RED, snippet))
        print(c(DIM, "  text after cleaning:"))
        print("  " + doc.text[:2000].replace("\n", "\n  ") + (" ..." if len(doc.text) > 2000 else ""))
    return 0
