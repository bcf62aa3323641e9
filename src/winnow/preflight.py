"""Refuse a run whose steps need a metadata field that its documents do not have.

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

import sys
from typing import Any

from .document import Document
from .errors import ConfigError

__all__ = ["check_needed_fields", "plan_notes", "SAMPLE"]

SAMPLE = 1000  # documents read from the first shard: enough to see a file's layout, well under a second

# step type -> (the parameter naming the field, or the field itself; refuse (True) or warn (False))
NEEDS: dict[str, tuple[str, bool]] = {
    "url_dedup": ("url_key", True),
    "url_filter": ("url_key", True),
    "c4_badwords": ("language", False),
}
# step type -> metadata fields it writes for the steps after it
PRODUCES: dict[str, tuple[str, ...]] = {"language": ("language", "language_score")}


def _sample_keys(reader: Any) -> tuple[set[str], int, str]:
    """Metadata keys with a value in the first documents of the reader's first shard; how many were read; which
    shard."""
    shards = reader.shards()
    if not shards:
        return set(), 0, ""
    keys: set[str] = set()
    n = 0
    items = reader.read(shards[0])
    try:
        for item in items:
            if not isinstance(item, Document):
                continue
            n += 1
            if isinstance(item.metadata, dict):
                keys.update(k for k, v in item.metadata.items() if v not in (None, ""))
            if n >= SAMPLE:
                break
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    return keys, n, shards[0]


def check_needed_fields(pipe: Any, log: bool = True) -> list[str]:
    """Raise ConfigError naming the step and the field when no sampled document has a field a step needs; return
    (and print, with ``log``) the warnings."""
    by_name = {s.name: s for s in pipe.stages}
    samples: dict[str, tuple[set[str], int, str]] = {}
    warnings: list[str] = []
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
                        if root.name not in samples:
                            samples[root.name] = _sample_keys(root.reader)
                        keys, n, shard = samples[root.name]
                        if n and fld not in keys:
                            have = ", ".join(sorted(keys)[:12]) or "none"
                            msg = (f"stage {stage.name}: step {step.name} needs the metadata field {fld!r}, but none "
                                   f"of the first {n:,} documents of {shard} has it (their metadata fields: {have})")
                            if refuse:
                                raise ConfigError(msg + f". Set {param} to the field that holds it, or map it with "
                                                  "the reader's fields: {" + f"{fld}: <path in the record>" + "}")
                            msg += (f"; it applies default_language={getattr(step, 'default_language', '?')!r} to "
                                    "every document (add a language step before it to use each one's language)")
                            warnings.append(msg)
                produced.update(PRODUCES.get(getattr(step, "name", ""), ()))
    if log:
        for w in warnings:
            print(f"[winnow] warning: {w}", file=sys.stderr)
    return warnings


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
