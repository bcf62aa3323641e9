"""YAML pipeline file -> validated Python objects, and back.

Everything is checked before a document is read: the component type (with a "did you mean"), every parameter name
(same), every value against the parameter's type hint. ``${run.output_dir}``-style references to other keys of the
file are substituted first. ``dump`` writes the resolved pipeline, every default filled in, so a run folder records
exactly what ran.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import os
import re
import typing
from pathlib import Path
from typing import Any

import yaml

from ._components import check_type, component_to_dict  # check_type is re-exported (__all__)
from .errors import ConfigError
from .io.base import folder_walk, implied_reader, input_suffixes, walk_matches
from .io.base import listed as keep_listing
from .registry import lookup

__all__ = ["build_component", "component_to_dict", "load_pipeline", "pipeline_from_dict", "dump_pipeline",
           "check_type", "load_yaml", "parse_set_value"]

_REF = re.compile(r"\$\{([a-zA-Z0-9_.]+)\}")

# Bounds on a pipeline file, checked on the parsed node graph before anything is built from it. An alias (``*a``)
# makes a node appear again wherever it is used, so ~350 bytes of nested aliases expand to 10^8 values ("billion
# laughs"); PyYAML expands them all before winnow sees a key. 100,000 expanded values: the largest shipped
# pipeline (configs/commoncrawl.yaml) has about 200, so anchors shared between steps stay usable.
MAX_YAML_NODES = 100_000
MAX_YAML_BYTES = 4 * 1024 * 1024  # the shipped pipelines are under 10 KB
# A --set value is one value typed on a command line: anchors and aliases have no use there.
MAX_SET_NODES = 1_000


def _expanded_size(node: yaml.Node, limit: int, where: str) -> int:
    """How many nodes the document has once every alias is expanded, stopping as soon as it passes ``limit``.
    Shared nodes are counted once per use but visited once (memoised), so this is linear in the file's size."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        if key in active:
            raise ConfigError(f"{where}: a YAML alias refers to a node that contains it (a recursive alias)")
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for c in n.value:
                total += size(c)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > limit:
                    break
        active.discard(key)
        memo[key] = total
        if total > limit:
            raise ConfigError(f"{where}: the YAML expands to more than {limit:,} values (anchors and aliases "
                              "repeated inside each other, a 'billion laughs'); refused before expanding it")
        return total

    return size(node)


def load_yaml(text: str, where: str, max_nodes: int = MAX_YAML_NODES) -> Any:
    """``yaml.safe_load`` with the expansion of aliases bounded (checked before constructing anything) and every
    YAML problem (syntax, a ``!!python/...`` tag, nesting too deep for the parser) as a ConfigError."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{where}: {len(text):,} characters is too large for a pipeline file "
                          f"(at most {MAX_YAML_BYTES:,})")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, max_nodes, where)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{where}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def parse_set_value(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from ``--set``; the value is YAML (``100``, ``true``, ``[a, b]``), bounded and tag-free."""
    if "=" not in item:
        raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
    k, v = item.split("=", 1)
    if v.lstrip().startswith("*"):
        # a glob (--set main.reader.paths=*.jsonl.gz): YAML reads a leading * as an alias, which a one-value
        # document can never define, so it was always "not valid YAML: while scanning an alias". Spaces around it
        # go, as YAML drops them around any other value (' *.jsonl' matched no file).
        return k, v.strip()
    try:
        return k, load_yaml(v, f"--set {k}", MAX_SET_NODES)
    except ConfigError:
        # globs in a list (--set main.reader.paths=[*.jsonl, *.jsonl.gz]): the same aliases; read quoted
        quoted = _GLOB_ITEM.sub(r"\1'\2'", v)
        if quoted == v:
            raise
        try:
            return k, load_yaml(quoted, f"--set {k}", MAX_SET_NODES)
        except ConfigError:
            pass
        raise


# an item of a YAML flow list that starts with '*' (a glob, not an alias) and holds no quote, comma or bracket
_GLOB_ITEM = re.compile(r"((?:^|[\[,])\s*)(\*[^,\[\]'\"]*?)(?=\s*(?:[,\]]|$))")


def _interpolate(node: Any, root: dict) -> Any:
    if isinstance(node, str):
        def sub(m: re.Match) -> str:
            cur: Any = root
            for part in m.group(1).split("."):
                if not isinstance(cur, dict) or part not in cur:
                    raise ConfigError(f"reference ${{{m.group(1)}}} names no key of the pipeline file")
                cur = cur[part]
            return str(cur)
        return _REF.sub(sub, node)
    if isinstance(node, list):
        return [_interpolate(x, root) for x in node]
    if isinstance(node, dict):
        return {k: _interpolate(v, root) for k, v in node.items()}
    return node


def _fields(cls: type) -> dict[str, dataclasses.Field]:
    if not dataclasses.is_dataclass(cls):
        raise ConfigError(f"{cls.__name__} is not a dataclass; components must declare their parameters as fields")
    return {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_") and f.init}


def _normalize_spec(spec: Any) -> Any:
    """``"url_dedup"`` and the short form ``{minhash_dedup: {bands: 14}}`` (or ``{url_dedup: null}``) become
    ``{type: ..., **params}``; anything else is returned as it is, for the caller to judge."""
    if isinstance(spec, str):
        return {"type": spec}
    if isinstance(spec, dict) and "type" not in spec and len(spec) == 1:
        (type_name, params), = spec.items()
        if params is None or isinstance(params, dict):
            return {"type": type_name, **(params or {})}
    return spec


def build_component(kind: str, spec: Any, where: str) -> Any:
    spec = _normalize_spec(spec)
    if isinstance(spec, dict) and "type" not in spec and "name" in spec and set(spec) <= {"name", "params"}:
        # NeMo Curator's filter configs (heuristic_filter_en.yaml): {name: MODULE.CLASS, params: {...}}
        from .peers import peer_hint

        peer = peer_hint(str(spec["name"]))
        raise ConfigError(f"{where}: {{name: ..., params: ...}} is NeMo Curator's form; winnow's is {{type: NAME, "
                          f"PARAM: VALUE, ...}}" + (f": {peer}" if peer else ""))
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}: expected a mapping with a 'type' key, got {spec!r}")
    spec = dict(spec)
    type_name = spec.pop("type")
    try:
        cls = lookup(type_name, kind)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return build_from_class(cls, type_name, spec, where)


def build_from_class(cls: type, type_name: str, spec: dict[str, Any], where: str) -> Any:
    """An instance of ``cls`` from its parameters, each name and value checked, then its ``validate()``."""
    fields = _fields(cls)
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in spec.items():
        if key not in fields:
            from .peers import peer_param_hint

            close = difflib.get_close_matches(key, fields, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            peer = peer_param_hint(type_name, key) if isinstance(key, str) else None
            if peer:  # data_folder, language_threshold, num_buckets: a migrating user's name, not a typo
                hint = f": {peer}"
            known = ", ".join(fields) or "none"
            raise ConfigError(f"{where} ({type_name}): unknown parameter {key!r}{hint} (parameters: {known})")
        kwargs[key] = check_type(value, hints[key], f"{where} ({type_name}).{key}")
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} ({type_name}): {exc}") from None
    validate = getattr(obj, "validate", None)
    if callable(validate):
        try:
            validate()
        except ValueError as exc:
            raise ConfigError(f"{where} ({type_name}): {exc}") from None
    return obj


def load_pipeline(path: str | Path, overrides: dict[str, Any] | None = None, inputs: list[str] | None = None):
    """Read and validate a pipeline file. ``overrides`` are ``--set`` keys (``run.name``, ``gopher_quality.min_words``,
    ``main.reader.paths``, ``stages.0.steps.3.min_words``); ``inputs`` are ``--input`` patterns for the reader."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"pipeline file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"pipeline file {path} cannot be read: {exc}") from None
    raw = load_yaml(text, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the pipeline file must be a mapping with 'stages'")
    if inputs:
        _apply_inputs(raw, list(inputs), path)
    # a reader's or writer's new type first (_set_key drops the parameters it does not take): a parameter set next
    # to it is then checked against the new type whatever the order given (--set main.writer.compression=gzip
    # --set main.writer.type=parquet dropped the compression the user asked for, without a word)
    for dotted, value in sorted((overrides or {}).items(), key=lambda kv: kv[0].rsplit(".", 1)[-1] != "type"):
        cur: Any = raw
        parts = _step_address(raw, dotted, path)
        for i, p in enumerate(parts):
            last = i == len(parts) - 1
            try:
                if isinstance(cur, list):
                    if last:
                        cur[int(p)] = value
                    else:
                        cur = cur[int(p)]
                elif isinstance(cur, dict):
                    if last:
                        _set_key(cur, p, value, parts)
                    else:
                        if isinstance(cur.get(p), str) and p in ("reader", "writer", "rejects", "executor"):
                            cur[p] = {"type": cur[p]}  # the short form (writer: parquet) gains parameters
                        cur = cur.setdefault(p, {})
                else:
                    raise TypeError
            except (ValueError, IndexError, TypeError, AttributeError):
                at = ".".join(parts[:i + 1])
                what = (f"{len(cur)} item(s), indexed from 0" if isinstance(cur, list)
                        else f"{type(cur).__name__} {cur!r}, not a mapping")
                raise ConfigError(f"--set {dotted}: {path} has no place {at!r} ({'.'.join(parts[:i]) or 'it'} is "
                                  f"{what})") from None
    try:
        return pipeline_from_dict(raw, where=str(path))
    except ConfigError as exc:
        if not overrides and not inputs:
            raise
        given = [f"--set {k}" for k in overrides or {}] + [f"--input {x}" for x in inputs or []]
        raise ConfigError(f"{exc}\n  (the pipeline as changed by {', '.join(given)})") from None





def _set_key(spec: dict, key: str, value: Any, parts: list[str]) -> None:
    """One ``--set`` on a mapping. ``--set main.writer.type=parquet`` on a jsonl writer keeps the parameters the
    new type also takes and drops the others, as ``--input x.parquet`` does for the reader (the shipped fineweb's
    ``compression: zstd`` stopped a switch to Parquet with "unknown parameter 'compression'", a key the user
    never wrote)."""
    kind = {"reader": "reader", "writer": "writer", "rejects": "writer"}.get(parts[-2] if len(parts) > 1 else "")
    if key == "type" and kind and isinstance(value, str) and spec.get("type") not in (None, value):
        try:
            fields = _fields(lookup(value, kind))
        except ConfigError:
            fields = None  # an unknown type: the validation below names it
        if fields is not None:
            for k in [k for k in spec if k != "type" and k not in fields]:
                del spec[k]
    spec[key] = value


def _expand_folders(patterns: list[str], reader_type: str, walks: dict[str, list[str]] | None = None) -> list[str]:
    """``--input FOLDER`` (as datatrove's and Dolma's readers take a folder): a glob per input suffix found under
    it, ``FOLDER/**/*.jsonl.gz``; refused when its files are of several reader types or of none. Kept as it is
    for the text reader, whose paths are folders. Each folder is walked once (``walks``: those walked already);
    what each glob matches is handed on to the run (``io.base.listed``), which does not list the folder again."""
    out = []
    walks = {} if walks is None else walks
    for pat in patterns:
        local = os.path.expanduser(pat)
        if reader_type == "text" or "://" in pat or glob.has_magic(pat) or not os.path.isdir(local):
            out.append(pat)
            continue
        if not os.access(local, os.R_OK | os.X_OK):
            raise ConfigError(f"--input {pat}: the folder cannot be listed (permission denied); run as a user who "
                              "may read it")
        if local not in walks:
            walks[local] = folder_walk(local)
        found = input_suffixes(local, walks[local])
        kinds = {_implied_reader([s]) for s in found}
        if not found:
            if _text_kinds(local, walks[local]) == {"text", "html"}:  # the text reader reads one field a run
                raise ConfigError(f"--input {pat}: the folder holds both .txt and .html files, which the text reader "
                                  "reads as different fields; give one kind per run, e.g. --input '"
                                  + pat.rstrip("/") + "/**/*.txt'")
            raise ConfigError(f"--input {pat}: the folder holds no .jsonl, .json, .ndjson, .parquet, .warc, .wet, .txt or "
                              ".html file (compressed or not); give a glob of its files instead")
        if len(kinds) > 1:
            listed = ", ".join(f"{n} *{s}" for s, n in sorted(found.items()))
            raise ConfigError(f"--input {pat}: the folder holds files for several readers ({listed}); give one "
                              "glob per run, e.g. --input '" + pat.rstrip("/") + "/**/*" + sorted(found)[0] + "'")
        for s in sorted(found):
            out.append(pat.rstrip("/") + "/**/*" + s)
            pattern, files = walk_matches(local, walks[local], s)
            if files is not None:
                keep_listing(pattern, files)
    return out


def _text_kinds(folder: str, walk: list[str] | None = None) -> set[str]:
    """Which of the text reader's fields a folder's files are for: "text" (.txt), "html" (.htm, .html)."""
    kinds = set()
    for f in walk if walk is not None else folder_walk(folder):
        name = os.path.basename(f).lower()
        kind = "text" if ".txt" in name else "html" if ".htm" in name else None
        if kind and os.path.isfile(f):
            kinds.add(kind)
    return kinds


def _text_file_kind(pattern: str) -> str | None:
    """The text reader's field for files (or a glob of them) named as plain text (.txt) or HTML (.htm, .html),
    compressed or not, and of no type another reader takes; None for anything else (a folder too)."""
    name = pattern.rsplit("/", 1)[-1].lower()
    if implied_reader([name]) is not None or os.path.isdir(os.path.expanduser(pattern)):
        return None
    stem = name.rstrip("*").removesuffix(".gz").removesuffix(".zst").removesuffix(".bz2").removesuffix(".xz")
    return "text" if stem.endswith(".txt") else "html" if stem.endswith((".htm", ".html")) else None


def _text_folder(folder: str, walk: list[str]) -> dict[str, str] | None:
    """The text reader's ``pattern`` and ``field`` for a folder of plain-text or HTML files (compressed or not),
    when it holds those and no file another reader takes; None otherwise. ``walk``: the folder's ``folder_walk``."""
    if input_suffixes(folder, walk):
        return None
    kinds = _text_kinds(folder, walk)
    if len(kinds) != 1:
        return None  # none, or both: _expand_folders' message says what the folder holds
    field = kinds.pop()
    return {"pattern": "**/*.txt*" if field == "text" else "**/*.htm*", "field": field}


def _implied_reader(patterns: list[str]) -> str | None:
    """The reader type every pattern's file name implies (``data/*.parquet`` -> parquet), or None."""
    return implied_reader(patterns)


def _apply_inputs(raw: dict, patterns: list[str], where: Path) -> None:
    """``--input PATTERN``: the paths of the pipeline's one reader. When the files are of another type than the
    reader reads (``*.parquet`` for a jsonl reader), the reader becomes that type, keeping the parameters the new
    type also has (``text_key``, ``id_key``)."""
    stages = raw.get("stages") if isinstance(raw.get("stages"), list) else []
    readers = [i for i, st in enumerate(stages) if isinstance(st, dict) and "reader" in st]
    if len(readers) != 1:
        names = ", ".join(str(stages[i].get("name", f"stage{i}")) for i in readers) or "none"
        raise ConfigError(f"--input: {where} has {len(readers)} stages with a reader ({names}); give each one's "
                          f"paths with --set STAGE.reader.paths=...")
    st = stages[readers[0]]
    spec = _normalize_spec(st["reader"])
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"--input: the reader of stage {st.get('name')!r} in {where} is not a mapping with 'type'")
    local = os.path.expanduser(patterns[0])
    walks: dict[str, list[str]] = {}  # each folder given is walked once (_expand_folders)
    if (len(patterns) == 1 and spec["type"] != "text" and "://" not in patterns[0] and not glob.has_magic(patterns[0])
            and os.path.isdir(local) and os.access(local, os.R_OK | os.X_OK)):
        walks[local] = folder_walk(local)
        text = _text_folder(local, walks[local])
        if text is not None:  # a folder of .txt or .html files: the text reader, one document per file
            keep = _fields(lookup("text", "reader"))
            st["reader"] = {"type": "text", **{k: v for k, v in spec.items() if k in keep and k not in (
                "type", "paths", "pattern", "field")}, "paths": patterns[0], **text}
            return
    folders: dict[str, dict[str, str]] = {}  # the folders of plain-text or HTML files given: their _text_folder

    def text_kind(pat: str) -> str | None:
        """_text_file_kind, and for a folder the kind of the text files it holds (friction13: --input notes/
        --input more/ was refused as 'the folder holds no ... .txt ... file', and --input notes/ --input extra.txt
        as 'files of several types (notes (?), extra.txt (text))')."""
        kind = _text_file_kind(pat)
        local = os.path.expanduser(pat)
        if (kind is None and spec["type"] != "text" and "://" not in pat and not glob.has_magic(pat)
                and os.path.isdir(local) and os.access(local, os.R_OK | os.X_OK)):
            if local not in walks:
                walks[local] = folder_walk(local)
            text = _text_folder(local, walks[local])
            if text is not None:
                folders[pat] = text
                kind = text["field"]
        return kind

    kinds = {text_kind(pat) for pat in patterns}
    if spec["type"] != "text" and len(kinds) == 1 and None not in kinds:
        # --input notes.txt (or docs/*.html): the text reader, one document per file, as for a folder of them; the
        # jsonl reader quarantined every line of it as malformed JSON and the run was refused ("The reader wants
        # JSON Lines"). A file given is read whatever the pattern, which picks the files of the folders given.
        keep = _fields(lookup("text", "reader"))
        st["reader"] = {"type": "text", **{k: v for k, v in spec.items() if k in keep and k not in (
            "type", "paths", "pattern", "field")}, "paths": patterns[0] if len(patterns) == 1 else patterns,
            **({"pattern": next(iter(folders.values()))["pattern"]} if folders else {}), "field": kinds.pop()}
        return
    if kinds - {None} and len(kinds) > 1:  # a.txt beside b.jsonl: the .txt was read as JSON Lines
        def reader_of(pat: str) -> str:
            local = os.path.expanduser(pat)
            if local in walks:  # a folder: the reader its files are for
                return _implied_reader(sorted(input_suffixes(local, walks[local]))) or "?"
            return _implied_reader([pat]) or "?"

        listed = ", ".join(f"{pat} ({text_kind(pat) or reader_of(pat)})" for pat in patterns)
        raise ConfigError(f"--input: the files are of several types ({listed}); a stage has one reader: run each "
                          "type on its own, or give it a stage of its own in a pipeline file")
    patterns = _expand_folders(patterns, str(spec["type"]), walks)
    paths: str | list[str] = patterns[0] if len(patterns) == 1 else patterns
    implied = _implied_reader(patterns)
    types = {pat: _implied_reader([pat]) for pat in patterns}
    if len({t for t in types.values() if t}) > 1:  # one reader reads one type: a .parquet read as JSON Lines
        listed = ", ".join(f"{pat} ({t})" for pat, t in types.items() if t)
        raise ConfigError(f"--input: the files are of several types ({listed}); a stage has one reader: run each "
                          "type on its own, or give it a stage of its own in a pipeline file")
    if implied and implied != spec["type"]:
        try:
            fields = _fields(lookup(implied, "reader"))
        except ConfigError:
            fields = {}
        spec = {"type": implied, **{k: v for k, v in spec.items() if k in fields and k not in ("type", "paths")}}
    st["reader"] = {**spec, "paths": paths}


def _step_address(raw: dict, dotted: str, where: Path) -> list[str]:
    """Where a ``--set`` key points, as written in the file's structure:

    * a top-level key as written: ``run.name``, ``stages.0.reader.paths``
    * a stage by its name: ``main.reader.paths``, ``main.writer.compression`` (or, with one stage, ``reader.paths``)
    * a step by its type, as ``whatif`` names it: ``gopher_quality.min_words``, or ``main.gopher_quality.min_words``
      when the type appears in several stages -> ``stages.0.steps.6.min_words``
    """
    parts = dotted.split(".")
    if parts[0] in _TOP_KEYS:
        return parts
    stages = raw.get("stages") if isinstance(raw.get("stages"), list) else []
    stage_names = [(st.get("name") or f"stage{i}") if isinstance(st, dict) else None for i, st in enumerate(stages)]
    if len(parts) >= 2 and parts[0] in stage_names and parts[1] in _STAGE_KEYS:
        return ["stages", str(stage_names.index(parts[0])), *parts[1:]]
    if parts[0] in _STAGE_KEYS:
        if len(stages) == 1:
            return ["stages", "0", *parts]
        raise ConfigError(f"--set {dotted}: {parts[0]!r} is a key of each stage and {where} has {len(stages)}; "
                          f"prefix a stage name: " + " or ".join(f"{n}.{dotted}" for n in stage_names if n))
    if len(parts) < 2:
        raise ConfigError(f"--set {dotted}: expected KEY.PARAM=VALUE, e.g. {_example_key(stages, stage_names)}")
    stage = parts[0] if len(parts) >= 3 and parts[0] in stage_names else None
    step, param = (parts[1], parts[2:]) if stage else (parts[0], parts[1:])
    hits = []
    types: list[str] = []
    for si, st in enumerate(stages):
        if stage is not None and stage_names[si] != stage:
            continue
        for j, spec in enumerate((st.get("steps") or []) if isinstance(st, dict) else []):
            spec = _normalize_spec(spec)
            if isinstance(spec, dict):
                types.append(str(spec.get("type")))
                if spec.get("type") == step:
                    hits.append((si, j, spec))
    if len(hits) > 1:
        where_ = sorted({stage_names[si] for si, _, _ in hits})
        if len(where_) > 1:
            raise ConfigError(f"--set {dotted}: step {step!r} appears in stages {', '.join(where_)}; prefix the "
                              f"stage: " + " or ".join(f"{n}.{dotted}" for n in where_))
        j_s = ", ".join(str(j) for _, j, _ in hits)
        raise ConfigError(f"--set {dotted}: step {step!r} appears {len(hits)} times in stage {where_[0]} (steps "
                          f"{j_s}); address one by position: stages.{hits[0][0]}.steps.{hits[0][1]}.{'.'.join(param)}")
    if not hits:
        known = sorted(set(types)) + [n for n in stage_names if n] + list(_TOP_KEYS)
        close = difflib.get_close_matches(parts[0] if not stage else step, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"--set {dotted}: {step!r} is not a step of {'stage ' + stage if stage else where}"
                          f"{hint} (steps: {', '.join(sorted(set(types))) or 'none'}; stages: "
                          f"{', '.join(n for n in stage_names if n) or 'none'}; top-level keys: {', '.join(_TOP_KEYS)})")
    si, j, spec = hits[0]
    stages[si]["steps"][j] = spec  # in the long form, so the parameter sits next to "type"
    return ["stages", str(si), "steps", str(j), *param]


def _example_key(stages: list, stage_names: list) -> str:
    for st in stages:
        for spec in (st.get("steps") or []) if isinstance(st, dict) else []:
            spec = _normalize_spec(spec)
            if isinstance(spec, dict) and spec.get("type"):
                return f"{spec['type']}.PARAM=VALUE"
    return "run.name=x"


_TOP_KEYS = ("run", "executor", "on_drop", "stages")
_STAGE_KEYS = ("name", "reader", "from", "steps", "writer", "rejects", "mix")


def _check_html_steps(reader: Any, steps: list, where: str) -> None:
    # Without this, a WARC stage that forgot html_extract runs "successfully" and rejects every page as
    # too_few_words with value 0: the text field is empty until the HTML is extracted. Steps that decide from
    # metadata alone (READS_TEXT false: url_filter) may come before it.
    html_in = bool(getattr(reader, "yields_html", False))
    html_steps = [j for j, s in enumerate(steps) if getattr(s, "READS_HTML", False)]
    lead = next((j for j, s in enumerate(steps) if getattr(s, "READS_TEXT", True)), None)
    if html_in and (lead is None or not getattr(steps[lead], "READS_HTML", False)):
        first = (f"it starts with {steps[lead].name!r}" if lead is not None
                 else "it has no steps" if not steps else "it has no step that reads text")
        raise ConfigError(f"{where}: reader {reader.name!r} yields raw HTML (in metadata['html']) and the text is "
                          f"empty until it is extracted, so the first step must be html_extract; {first} (the "
                          "shipped commoncrawl and default pipelines start with it: winnow run commoncrawl --input "
                          "...; or put {type: html_extract} first; only a step that decides on metadata alone, "
                          "such as url_filter, may come before it)")
    late = [j for j in html_steps if j != lead]
    if late:
        raise ConfigError(f"{where}.steps[{late[0]}] ({steps[late[0]].name}): a step that reads raw HTML must be "
                          "the first step of its stage (after steps that decide on metadata alone, such as "
                          "url_filter): the steps before it would see empty text")


def pipeline_from_dict(raw: dict, where: str = "pipeline"):
    from .pipeline import Pipeline, Stage

    for key in raw:
        if key not in _TOP_KEYS:
            close = difflib.get_close_matches(key, _TOP_KEYS, n=1)
            raise ConfigError(f"{where}: unknown top-level key {key!r}"
                              + (f"; did you mean {close[0]!r}?" if close else f" (keys: {', '.join(_TOP_KEYS)})"))
    raw = _interpolate(raw, raw)
    run = raw.get("run") or {}
    if not isinstance(run, dict):
        raise ConfigError(f"{where}: 'run' must be a mapping")
    run_keys = ("name", "output_dir", "max_quarantined", "max_seconds_per_doc", "max_memory_mb_per_doc")
    unknown = set(run) - set(run_keys)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) under 'run': {sorted(unknown)} (keys: {', '.join(run_keys)})")
    checked = {key: check_type(run[key], hint, f"{where}: run.{key}")
               for key, hint in (("name", str), ("output_dir", str), ("max_seconds_per_doc", float),
                                 ("max_memory_mb_per_doc", int)) if key in run}
    budget = {k: checked[k] for k in ("max_seconds_per_doc", "max_memory_mb_per_doc") if k in checked}
    max_q = run.get("max_quarantined")
    if max_q is not None and (isinstance(max_q, bool) or not isinstance(max_q, (int, float))):
        raise ConfigError(f"{where}: run.max_quarantined must be a number between 0 and 1, got {max_q!r}")
    on_drop = raw.get("on_drop", "route")
    if on_drop not in ("route", "annotate"):
        raise ConfigError(f"{where}: on_drop must be 'route' or 'annotate', got {on_drop!r}")
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError(f"{where}: 'stages' must be a non-empty list")
    stages = []
    errors: list[str] = []  # every component's problem at once, not one per round of fix-and-rerun

    def build(kind: str, spec: Any, at: str) -> Any:
        try:
            return build_component(kind, spec, at)
        except ConfigError as exc:
            errors.append(str(exc))
            return None

    for i, st in enumerate(stages_raw):
        sw = f"{where}: stages[{i}]"
        if not isinstance(st, dict):
            raise ConfigError(f"{sw}: expected a mapping")
        for key in st:
            if key not in _STAGE_KEYS:
                close = difflib.get_close_matches(key, _STAGE_KEYS, n=1)
                raise ConfigError(f"{sw}: unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        name = st.get("name") or f"stage{i}"
        if "mix" in st:
            others = [k for k in ("reader", "from", "steps", "writer", "rejects") if k in st]
            if others:
                raise ConfigError(f"{sw} ({name}): a mix stage takes no {', '.join(others)}: its sources name what it "
                                  "reads and the output keeps their tokenized layout")
            from .shuffle_merge import Mix

            if not isinstance(st["mix"], dict):
                raise ConfigError(f"{sw}.mix: expected a mapping with sources, got {st['mix']!r}")
            try:
                stages.append(Stage(name=name, mix=build_from_class(Mix, "mix", dict(st["mix"]), f"{sw}.mix")))
            except ConfigError as exc:
                errors.append(str(exc))
            continue
        if ("reader" in st) == ("from" in st):
            raise ConfigError(f"{sw} ({name}): give exactly one of 'reader' or 'from' (a previous stage's name), or 'mix'")
        reader = build("reader", st["reader"], f"{sw}.reader") if "reader" in st else None
        steps_raw = st.get("steps") or []
        if not isinstance(steps_raw, list):
            raise ConfigError(f"{sw}.steps: expected a list")
        steps = [build("step", s, f"{sw}.steps[{j}]") for j, s in enumerate(steps_raw)]
        writer = build("writer", st.get("writer", "jsonl"), f"{sw}.writer")
        rejects = build("writer", st.get("rejects", "jsonl"), f"{sw}.rejects")
        if errors:
            continue
        _check_html_steps(reader, steps, f"{sw} ({name})")
        stages.append(Stage(name=name, reader=reader, source=st.get("from"), steps=steps, writer=writer,
                            rejects=rejects))
    executor = raw.get("executor") or {"type": "local"}
    if isinstance(executor, str):
        executor = {"type": executor}
    from .executors import validate_executor_spec

    try:
        executor = validate_executor_spec(executor, f"{where}: executor")
    except ConfigError as exc:
        errors.append(str(exc))
    if len(errors) == 1:
        raise ConfigError(errors[0])
    if errors:
        raise ConfigError(f"{len(errors)} problems:\n  - " + "\n  - ".join(errors))
    pipe = Pipeline(stages=stages, name=run.get("name", "winnow"), output_dir=run.get("output_dir", "./winnow-out"),
                    on_drop=on_drop, executor=executor,
                    max_quarantined=float(max_q) if max_q is not None else None, **budget)
    pipe.validate()
    return pipe


def dump_pipeline(pipe) -> str:
    return yaml.safe_dump(pipe.to_dict(), sort_keys=False, allow_unicode=True)
