"""What ``winnow steps`` shows: every registered step, reader and writer, and every executor, with its parameters
(type, default, and the comment written beside the field in its source), reasons, re-thresholdable checks and an
example pipeline that validates.

Parameter notes are read from the comments on or just above each dataclass field, so the text a developer writes
for the next developer is also what a user sees; nothing has to be kept in step in two places.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import io
import textwrap
import tokenize
import typing
from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["KINDS", "components", "describe", "example_yaml", "find", "python_hint"]

KINDS = ("step", "reader", "writer", "executor", "stage")
EXECUTORS = ("inline", "local", "ray")


def _stage_types() -> dict[str, type]:
    """Stage types other than the plain reader/from + steps + writer stage: a pipeline file's ``mix:`` key."""
    from .shuffle_merge import Mix

    return {"mix": Mix}


def _executor_cls(name: str) -> type:
    from .executors import _cls

    return _cls(name)


def components(kind: str | None = None) -> list[tuple[str, str, type]]:
    """``(kind, name, class)`` of everything a pipeline file can name, kinds in ``KINDS`` order, names sorted."""
    from .registry import names

    out: list[tuple[str, str, type]] = []
    for k in KINDS:
        if kind is not None and k != kind:
            continue
        if k == "executor":
            out.extend((k, n, _executor_cls(n)) for n in EXECUTORS)
        elif k == "stage":
            out.extend((k, n, cls) for n, cls in _stage_types().items())
        else:
            out.extend((k, n, cls) for n, cls in names(k).items())
    return out


def find(name: str, kind: str | None = None) -> list[tuple[str, str, type]]:
    """Every component called ``name`` (a reader and a writer may share one, as ``jsonl`` does)."""
    allc = components(kind)
    hits = [c for c in allc if c[1] == name]
    if not hits:
        known = sorted({n for _, n, _ in allc})
        from .peers import peer_hint

        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        peer = peer_hint(name)
        if peer:  # a datatrove/Dolma/NeMo Curator name: its counterpart, not the nearest spelling
            hint = f": {peer}"
        raise ConfigError(f"no step, reader, writer, executor or stage type named {name!r}{hint} (winnow steps lists "
                          "them all)")
    return hits


def find_peer(name: str, kind: str | None = None) -> list[tuple[str, str, type]]:
    """The winnow components a datatrove/Dolma/NeMo Curator name maps to (peers.PEERS), [] for none."""
    from .peers import peer_entry

    entry = peer_entry(name)
    out = []
    for target in entry[2] if entry else ():
        k, _, n = target.rpartition(":")
        out.extend(c for c in components(kind) if c[1] == n and (not k or c[0] == k))
    return out


def _fmt_type(hint: Any) -> str:
    s = getattr(hint, "__name__", None) if not typing.get_args(hint) else None
    return s or str(hint).replace("typing.", "")


def _field_notes(cls: type) -> dict[str, str]:
    """``{field: comment}`` from the comment at the end of a field's line, or the comment lines right above it,
    in the class that declares the field (or the nearest base that does)."""
    notes: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass) or klass.__module__ == "builtins":
            continue
        try:
            src = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):  # no source (a compiled plugin): parameters without notes
            continue
        comments: dict[int, str] = {}  # line number (1-based) -> comment text
        code_lines: set[int] = set()
        try:
            for tok in tokenize.generate_tokens(io.StringIO(src).readline):
                if tok.type == tokenize.COMMENT:
                    comments[tok.start[0]] = tok.string.lstrip("#").strip()
                elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                      tokenize.ENDMARKER):
                    code_lines.add(tok.start[0])
            tree = ast.parse(src)
        except (SyntaxError, tokenize.TokenError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node in body:
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            end = node.end_lineno or node.lineno
            parts = [comments[n] for n in range(node.lineno, end + 1) if n in comments]
            if not parts:
                above = []
                n = node.lineno - 1
                while n >= 1 and n in comments and n not in code_lines:
                    above.append(comments[n])
                    n -= 1
                parts = list(reversed(above))
            if parts:  # a subclass that redeclares a field without a comment keeps its base's note
                notes[node.target.id] = " ".join(parts)
    return notes


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def _params(kind: str, name: str, cls: type) -> list[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    notes = _field_notes(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or not f.init:
            continue
        if kind == "executor" and not _file_settable(name, f.name, _default(f)):
            continue  # Python API only (a pipeline file cannot set it)
        out.append({"name": f.name, "type": _fmt_type(hints.get(f.name)), "default": _default(f),
                    "note": notes.get(f.name, "")})
    return out


def _file_settable(executor: str, param: str, value: Any) -> bool:
    from .executors import validate_executor_spec

    try:
        validate_executor_spec({"type": executor, param: value})
        return True
    except ConfigError:
        return False


def _doc(cls: type, whole: bool) -> str:
    doc = inspect.cleandoc(cls.__doc__ or "") if cls.__doc__ and cls.__doc__ is not _base_doc(cls) else ""
    if not whole:
        return " ".join(doc.split("\n\n")[0].split())  # the whole first paragraph, on one line
    return "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n") if p.strip())


def _base_doc(cls: type) -> str | None:
    # dataclasses gives a class without a docstring one like "JsonlWriter(compression: str = 'zstd', ...)"
    return cls.__doc__ if (cls.__doc__ or "").startswith(cls.__name__ + "(") else None


def _step_kind(cls: type) -> str:
    from .step import CorpusStep, Filter, Map, Tagger

    for base, label in ((CorpusStep, "corpus"), (Filter, "filter"), (Tagger, "tagger"), (Map, "map")):
        if issubclass(cls, base):
            return label
    return "step"


def describe(kind: str, name: str, cls: type, whole_doc: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "component": kind,
                           "kind": _step_kind(cls) if kind == "step" else kind,
                           "doc": _doc(cls, whole_doc), "params": _params(kind, name, cls)}
    if kind == "step":
        row["reasons"] = list(getattr(cls, "REASONS", ()))
        row["thresholds"] = [{"param": p, "attribute": a, "op": op, "reason": r}
                             for p, (a, op, r) in (getattr(cls, "THRESHOLDS", None) or {}).items()]
        row["replayable"] = list(getattr(cls, "REPLAYABLE", ()) or ())
        row["fractions"] = list(getattr(cls, "FRACTIONS", ()) or ())
        row["rules"] = [{"rule": k, "reason": r, "what": w}
                        for k, (r, w) in (getattr(cls, "RULES", None) or {}).items()]
        row["reads_html"] = bool(getattr(cls, "READS_HTML", False))
        row["reads_text"] = bool(getattr(cls, "READS_TEXT", True))
    elif kind == "reader":
        row["yields_html"] = bool(getattr(cls, "yields_html", False) is True)
    return row


def _yaml_value(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _spec(kind: str, name: str, cls: type) -> dict[str, Any]:
    return {"type": name, **{p["name"]: _yaml_value(p["default"]) for p in _params(kind, name, cls)}}


def example_yaml(kind: str, name: str, cls: type) -> str:
    """A whole pipeline file that uses the component with every parameter at its default: copy it, edit it, and
    ``winnow validate`` accepts it as it is."""
    spec = _spec(kind, name, cls)
    reader: dict[str, Any] = {"type": "jsonl", "paths": "data/*.jsonl.zst"}
    steps: list[Any] = [{"type": "length"}]
    doc: dict[str, Any] = {"run": {"name": "example", "output_dir": "./out"}}
    stage: dict[str, Any] = {"name": "main"}
    if kind == "step":
        if getattr(cls, "READS_HTML", False):
            reader = {"type": "warc", "paths": "crawl/*.warc.gz"}
        steps = [spec]
    elif kind == "reader":
        reader = spec
        if getattr(cls, "yields_html", False) is True:
            steps = [{"type": "html_extract"}]
    elif kind == "executor":
        doc["executor"] = spec
    elif kind == "stage":  # a mix of two earlier stages' tokenized outputs
        spec.pop("type")
        spec["sources"] = {"web": 3, "books": 1}
        doc["stages"] = [{"name": "web", "reader": reader, "steps": [{"type": "tokenize"}],
                          "writer": {"type": "megatron"}},
                         {"name": "books", "reader": {"type": "jsonl", "paths": "books/*.jsonl.zst"},
                          "steps": [{"type": "tokenize"}], "writer": {"type": "megatron"}},
                         {"name": "train", name: spec}]
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    stage["reader"] = reader
    stage["steps"] = steps
    if kind == "writer":
        stage["writer"] = spec
    doc["stages"] = [stage]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)


def python_hint(kind: str, name: str) -> str:
    ns = {"step": "steps", "reader": "readers", "writer": "writers"}.get(kind)
    if kind == "stage":
        return f"from winnow.shuffle_merge import Mix; Stage('train', {name}=Mix(sources={{'web': 3, 'books': 1}}))"
    if ns is None:
        return f'run_pipeline(pipe, "out", executor="{name}")'
    return f"from winnow import {ns}; {ns}.{name}(...)"


def format_component(row: dict[str, Any], example: str) -> str:
    """``winnow steps NAME``: one component in full."""
    kind = row["component"] + (f": {row['kind']}" if row["component"] == "step" else "")
    lines = [f"{row['name']}  [{kind}]"]
    for para in (row["doc"] or "(no description)").split("\n\n"):
        lines.extend("  " + ln for ln in textwrap.wrap(para, 100))
    if row["params"]:
        lines.append("parameters:")
        for p in row["params"]:
            lines.append(f"  {p['name']}: {p['type']} = {p['default']!r}")
            if p["note"]:
                lines.extend("      " + ln for ln in textwrap.wrap(p["note"], 100))
    else:
        lines.append("parameters: none")
    if row.get("reasons"):
        lines.append("reasons: " + ", ".join(row["reasons"]))
    if row.get("rules"):
        lines.append("rules (each edit names its rule, as `rule` in the record):")
        for r in row["rules"]:
            head = f"  {r['rule']} ({r['reason']}): "
            lines.extend(textwrap.wrap(r["what"], 100, initial_indent=head, subsequent_indent=" " * 6))
    if row.get("thresholds"):
        lines.append("thresholds (winnow whatif re-decides these from recorded attributes):")
        for t in row["thresholds"]:
            lines.append(f"  {t['param']}: drop when {t['attribute']} {t['op']} {t['param']}  ({t['reason']})")
    if row.get("replayable"):
        lines.append("also replayable by winnow whatif: " + ", ".join(row["replayable"]))
    if row.get("fractions"):
        lines.append("fractions, checked to lie in [0, 1]: " + ", ".join(row["fractions"]))
    if row.get("reads_html"):
        lines.append("reads raw HTML (metadata['html']): must be the first step of its stage (after steps that "
                     "decide on metadata alone, such as url_filter)")
    if row.get("reads_text") is False:
        lines.append("decides on metadata alone, not the text: it may come before html_extract")
    if row.get("yields_html"):
        lines.append("yields raw HTML: the stage's first step must be html_extract (url_filter, which reads the "
                     "URL alone, may come before it)")
    lines.append("example pipeline (every parameter at its default; winnow validate accepts it):")
    lines.extend("  " + ln for ln in example.rstrip().splitlines())
    lines.append("python: " + python_hint(row["component"], row["name"]))
    return "\n".join(lines)
