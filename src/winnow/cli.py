"""The ``winnow`` command line: one subcommand per job (``winnow COMMAND -h`` for each)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from .errors import ConfigError, WinnowError

CONFIGS = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIG = CONFIGS / "default.yaml"

# What ``winnow --help`` says first (argparse lists the commands below it): the day-one path, in order.
DESCRIPTION = ("Turns raw web crawl into clean, deduplicated, explainable training text. First steps: winnow demo "
               "(the default pipeline on a shipped sample); winnow steps [NAME] (every step, reader and writer); "
               "winnow run default --input 'data/*.jsonl.gz' (a shipped pipeline on your files: .jsonl[.gz|.zst], "
               ".parquet, .warc.gz, .wet.gz, .txt or .html (a document a file), or a folder of them); "
               "winnow init default (a copy to edit); "
               "winnow explain RUN_DIR DOC_ID (why a document was kept or dropped). Coming from datatrove, Dolma "
               "or NeMo Curator: winnow steps takes their names too (winnow steps GopherQualityFilter, gopher_v1, "
               "FuzzyDuplicates); docs/migrating.md maps them.")


def _parse_set(items: list[str] | None) -> dict:
    from .config import parse_set_value  # bounded YAML: no alias bombs, tags are a message

    return dict(parse_set_value(item) for item in items or [])


def shipped_configs() -> dict[str, Path]:
    """The pipelines shipped in the package, by name (``fineweb`` -> .../configs/fineweb.yaml)."""
    return {p.stem: p for p in sorted(CONFIGS.glob("*.yaml"))}


def resolve_pipeline(arg: str) -> Path:
    """A pipeline file's path, or the name of a shipped pipeline (``winnow run fineweb``); a file that exists wins.
    A data file in its place (``winnow run data.jsonl``, the first thing a datatrove user types) is refused saying
    how to give it."""
    from .io.base import input_suffix

    p = Path(arg)
    data = input_suffix(p.name) is not None and not p.name.lower().endswith((".yaml", ".yml", ".json"))
    if data and (p.is_file() or glob_like(arg)):
        raise ConfigError(f"{arg} names input data, not a pipeline: give a pipeline and the files with --input, e.g. "
                          f"winnow run default --input '{arg}' (shipped pipelines: {', '.join(shipped_configs())}; "
                          "winnow steps lists what they can hold)")
    if p.exists():
        return p
    shipped = shipped_configs()
    name = arg[:-5] if arg.endswith(".yaml") else arg[:-4] if arg.endswith(".yml") else arg
    if "/" not in arg and name in shipped:
        return shipped[name]
    raise ConfigError(f"pipeline file {arg} does not exist (shipped pipelines, usable by name: "
                      f"{', '.join(shipped)}; winnow init NAME copies one here to edit)")


def glob_like(arg: str) -> bool:
    import glob

    return glob.has_magic(arg)


def _load(args):
    """The pipeline named on the command line with its --set and --input applied."""
    from .config import load_pipeline

    return load_pipeline(resolve_pipeline(args.pipeline), _parse_set(getattr(args, "set", None)),
                         getattr(args, "input", None))


def _unmatched_inputs(pipe) -> list[str]:
    """A warning for each reader whose input patterns match no file (a typo, or the wrong working folder)."""
    import glob

    from .io.base import expand_paths, is_remote, resolve_path

    out = []
    for st in pipe.stages:
        if st.mix is not None:  # a mix's files and other run folders: checked again (refused) when it runs
            for src in st.mix.source_list():
                if src.run is not None and not (Path(src.run).expanduser() / "config.resolved.yaml").exists():
                    out.append(f"stage {st.name}: mix source {src.name!r}: {src.run} is not a winnow run folder")
                for pat in src.paths or []:
                    if not glob.glob(os.path.expanduser(pat)):
                        out.append(f"stage {st.name}: mix source {src.name!r}: {pat!r} matches no file (relative to "
                                   f"{os.getcwd()})")
            continue
        paths = getattr(st.reader, "paths", None)
        if paths is None:
            continue
        for pat in [paths] if isinstance(paths, str) else list(paths):
            if is_remote(pat):
                continue  # listing a bucket is the run's business, not validation's
            found = [m for m in expand_paths(pat) if glob.glob(os.path.expanduser(resolve_path(m)))]
            if not found:
                out.append(f"stage {st.name}: input {pat!r} matches no file (relative to {os.getcwd()})")
    return out


def cmd_init(args) -> int:
    """``winnow init NAME``: copy a shipped pipeline into the working folder to edit."""
    shipped = shipped_configs()
    if args.name not in shipped:
        import difflib

        close = difflib.get_close_matches(args.name, shipped, n=1)
        raise ConfigError(f"no shipped pipeline {args.name!r}" + (f"; did you mean {close[0]!r}?" if close else "")
                          + f" (shipped: {', '.join(shipped)})")
    dest = Path(args.output or f"{args.name}.yaml")
    if dest.is_dir():
        dest = dest / f"{args.name}.yaml"
    if dest.exists() and not args.force:
        raise WinnowError(f"{dest} exists; give another path with -o, or --force to overwrite it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(shipped[args.name].read_text())
    print(f"wrote {dest} (the shipped {args.name} pipeline). Edit it (the reader's paths first), then:\n"
          f"  winnow validate {dest}\n  winnow run {dest}")
    return 0


def cmd_run(args) -> int:
    from .io.base import listing_scope

    with listing_scope():  # --input FOLDER's walk is the run's listing of it: the folder is walked once
        return _cmd_run(args)


def _cmd_run(args) -> int:
    from .run import format_stats, run_pipeline

    pipe = _load(args)
    executor = dict(pipe.executor)
    if args.executor and args.executor != executor.get("type"):
        executor = {"type": args.executor}  # another executor's parameters would not apply
    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers must be 0 (all cores) or more, got {args.workers}")
    if args.workers is not None:  # 0 too: all cores, over a pipeline file's workers (it was ignored)
        if executor.get("type") == "inline":
            raise ConfigError("--workers applies to the local and ray executors; the inline executor runs every "
                              "shard in this process (drop --workers, or add --executor local)")
        executor["workers"] = args.workers
    if args.address:
        if executor.get("type") != "ray":
            raise ConfigError("--address applies to the ray executor only (add --executor ray)")
        executor["address"] = args.address
    from .executors import validate_executor_spec

    executor = validate_executor_spec(executor)
    pipe.executor = executor
    from .io.base import as_path

    out = as_path(args.output or pipe.output_dir)  # a local folder or a URL (s3://bucket/run)
    from .errors import TooMuchQuarantined

    try:
        result = run_pipeline(pipe, out, executor, verify_files=args.verify)
    except TooMuchQuarantined as exc:  # the run finished: show its table, then fail with the reason
        if exc.result is not None:
            print(format_stats(exc.result.stats, out))
        raise
    print(format_stats(result.stats, out))
    if result.skipped_shards:
        print(f"resumed: {result.skipped_shards} shard pass(es) were already done and skipped")
    print(f"run folder: {out}" + (f"  report: {out / 'report.html'}" if (out / "report.html").exists() else ""))
    return 0


def cmd_demo(args) -> int:
    args.pipeline = str(DEFAULT_CONFIG)
    args.output = args.output or "./winnow-demo"
    return cmd_run(args)


def cmd_validate(args) -> int:
    from .io.base import listing_scope

    with listing_scope():  # --input FOLDER's walk serves the preflight too
        return _cmd_validate(args)


def _cmd_validate(args) -> int:
    from .config import dump_pipeline

    from .preflight import check_needed_fields, plan_notes

    pipe = _load(args)
    # reads the first documents: a step needing a field none of them has is refused; a glob matching no file only
    # warns (below): a pipeline may be checked before its data is there
    check_needed_fields(pipe, run=False)
    plan_notes(pipe)  # what tier auto will run here
    n_steps = sum(len(s.steps) for s in pipe.stages)
    print(f"{args.pipeline}: valid ({len(pipe.stages)} stage(s), {n_steps} step(s))")
    for warning in _unmatched_inputs(pipe):
        print(f"winnow: warning: {warning}", file=sys.stderr)
    if args.resolved:
        print(dump_pipeline(pipe))
    return 0


def cmd_steps(args) -> int:
    """``winnow steps``: every step, reader, writer, executor and stage type; ``winnow steps NAME``: one in full."""
    from .catalog import KINDS, components, describe, example_yaml, find, format_component

    kind = getattr(args, "kind", None)
    if getattr(args, "name", None):
        try:
            hits = find(args.name, kind)
        except ConfigError:
            from .catalog import find_peer
            from .peers import peer_hint

            hits = find_peer(args.name, kind)  # GopherQualityFilter, gopher_v1, FuzzyDuplicates: winnow's own
            if not hits:
                raise
            print(f"winnow: {peer_hint(args.name)}", file=sys.stderr)
        if args.json:
            rows = [{**describe(k, n, c, whole_doc=True), "example": example_yaml(k, n, c)} for k, n, c in hits]
            sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
            return 0
        print("\n\n".join(format_component(describe(k, n, c, whole_doc=True), example_yaml(k, n, c))
                           for k, n, c in hits))
        return 0
    comps = components(kind)
    rows = [describe(k, n, c) for k, n, c in comps]
    if args.json:
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
        return 0
    titles = {"step": "steps", "reader": "readers", "writer": "writers", "executor": "executors",
              "stage": "stage types (a stage's key instead of reader/from + steps + writer)"}
    first = True
    for k in KINDS:
        group = [r for r in rows if r["component"] == k]
        if not group:
            continue
        if not kind:
            print(("" if first else "\n") + f"== {titles[k]}")
        first = False
        for r in group:
            label = r["kind"] if k == "step" else k
            print(f"{r['name']}  [{label}]  {r['doc']}".rstrip())
            for p in r["params"]:
                print(f"    {p['name']}: {p['type']} = {p['default']!r}")
            if r.get("reasons"):
                print(f"    reasons: {', '.join(r['reasons'])}")
    if not kind:
        print("\nwinnow steps NAME shows one in full: every parameter's meaning, thresholds, and an example pipeline")
    return 0


def cmd_inspect(args) -> int:
    from .inspect import inspect_path

    if not Path(args.path).exists():
        print(f"winnow: no such file or folder: {args.path}", file=sys.stderr)
        return 1
    pipeline = str(resolve_pipeline(args.pipeline)) if args.pipeline else str(DEFAULT_CONFIG)
    if args.limit is not None and args.limit < 1:
        print("winnow: --limit takes a number of records, 1 or more", file=sys.stderr)
        return 2
    return inspect_path(args.path, pipeline, as_json=args.json,
                        color=sys.stdout.isatty() and not args.no_color, sets=_parse_set(args.set), limit=args.limit)


def cmd_report(args) -> int:
    from .report import build_report
    from .report._run import load_run, require_finished

    from .io.base import as_path

    # an unfinished run's report read "907 -> 0 kept ... ledger balanced": its records are still in work/
    require_finished(load_run(as_path(args.run_dir)), "report")
    path = build_report(as_path(args.run_dir))
    print(f"report: {path}")
    return 0


def cmd_query(args) -> int:
    from .query import format_table, query

    from .io.base import as_path

    try:
        cols, rows = query(as_path(args.run_dir), args.sql)
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .report._run import unfinished

    why = unfinished(as_path(args.run_dir))
    if why is not None:
        # the tables hold what the finished shards wrote; the rest is in work/ (a count of kept read 0, silently)
        print(f"winnow: warning: {args.run_dir} holds a run that has not finished ({why}); kept, rejected "
              "and quarantine hold only what its finished passes wrote", file=sys.stderr)
    if args.json:
        for r in rows:
            print(orjson.dumps(dict(zip(cols, r)), default=str).decode())
    else:
        print(format_table(cols, rows))
    return 0


def cmd_explain(args) -> int:
    from .report.explain import explain

    from .io.base import as_path

    return explain(as_path(args.run_dir), args.doc_id, as_json=args.json)


def cmd_whatif(args) -> int:
    from .report.whatif import whatif

    from .io.base import as_path

    from .report.whatif import parse_sweep

    sweep = parse_sweep(args.sweep) if args.sweep else None
    return whatif(as_path(args.run_dir), _parse_set(args.set), as_json=args.json, sweep=sweep)


def cmd_train_classifier(args) -> int:
    from .train import main as train_main

    return train_main(args)


def cmd_apply(args) -> int:
    from .apply import apply_cli

    return apply_cli(args.run_dir, _parse_set(args.set), args.output, as_json=args.json)


def cmd_shuffle_merge(args) -> int:
    from .shuffle_merge import shuffle_merge

    out = shuffle_merge(args.inputs, args.output, args.files, seed=args.seed, fmt=args.format,
                        executor={"type": args.executor, **({"address": args.address} if args.address else {})},
                        workers=args.workers)
    print(f"{out['docs']:,} documents, {out['tokens']:,} tokens in {len(out['outputs'])} files under {args.output}"
          + (f" ({out['resumed']} already done)" if out["resumed"] else ""))
    return 0


def cmd_mix(args) -> int:
    from .shuffle_merge import mix

    sources: dict[str, list[str]] = {}
    weights: dict[str, float] = {}
    for item in args.source:
        name, sep, rest = item.partition("=")
        weight, sep2, pattern = rest.partition(":")
        try:
            weights[name] = float(weight)
        except ValueError:
            raise ConfigError(f"--source {item!r}: expected NAME=WEIGHT:PATTERN, e.g. web=0.7:'run/kept/train/*.bin'")
        if not (sep and sep2 and name and pattern):
            raise ConfigError(f"--source {item!r}: expected NAME=WEIGHT:PATTERN, e.g. web=0.7:'run/kept/train/*.bin'")
        sources.setdefault(name, []).append(pattern)
    out = mix(sources, weights, args.output, args.files, seed=args.seed, tokens=args.tokens, fmt=args.format,
              executor={"type": args.executor}, workers=args.workers)
    for name, m in out["mixture"].items():
        print(f"{name}: {m['tokens']:,} tokens ({m['share']:.1%}), {m['docs']:,} documents, "
              f"{m['full_repetitions']} full repetitions + {m['partial']:.1%}")
    print(f"{out['tokens']:,} tokens in {len(out['outputs'])} files under {args.output} (each input document's "
          "copies: selection/ and mixture.json there)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="winnow", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)

    def add_input_opts(sp):
        sp.add_argument("--input", action="append", metavar="PATTERN",
                        help="the input files of the pipeline's reader (a glob, or files; repeat for several), e.g. --input "
                             "'data/*.jsonl.zst'; files of another type (*.parquet, *.warc.gz; *.txt, *.html: one document a file) "
                             "switch the reader")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a key of the pipeline file, e.g. --set run.name=x, "
                             "--set gopher_quality.min_words=100 (a step by its type), --set main.reader.paths=... "
                             "(a stage by its name), --set stages.0.steps.3.min_words=100")

    def add_run_opts(sp):
        sp.add_argument("-o", "--output", help="run folder (default: the pipeline's run.output_dir)")
        sp.add_argument("--executor", choices=["inline", "local", "ray"], help="override the pipeline's executor")
        sp.add_argument("--workers", type=int, help="worker processes (default: all cores)")
        sp.add_argument("--address", help="Ray cluster address (with --executor ray)")
        sp.add_argument("--verify", action="store_true",
                        help="re-count the records of every output file against the ledger (reads outputs again)")
        add_input_opts(sp)

    sp = sub.add_parser("run", help="run a pipeline file (resumes an interrupted run in the same folder)")
    sp.add_argument("pipeline", help="a pipeline file, or a shipped pipeline's name (default, commoncrawl, fineweb)")
    add_run_opts(sp)
    sp.set_defaults(fn=cmd_run)

    sp = sub.add_parser("demo", help="run the default pipeline on the sample crawl shipped in the package")
    add_run_opts(sp)
    sp.set_defaults(fn=cmd_demo)

    sp = sub.add_parser("validate", help="check a pipeline file without running it")
    sp.add_argument("pipeline", help="a pipeline file, or a shipped pipeline's name")
    add_input_opts(sp)
    sp.add_argument("--resolved", action="store_true", help="print the pipeline with every default filled in")
    sp.set_defaults(fn=cmd_validate)

    sp = sub.add_parser("init", help="copy a shipped pipeline (default, commoncrawl, fineweb) here to edit")
    sp.add_argument("name", help="the shipped pipeline's name")
    sp.add_argument("-o", "--output", help="where to write it (default: ./NAME.yaml)")
    sp.add_argument("--force", action="store_true", help="overwrite an existing file")
    sp.set_defaults(fn=cmd_init)

    sp = sub.add_parser("steps", help="list every step, reader, writer and executor with its parameters "
                                      "(winnow steps NAME: one in full, with an example pipeline)")
    sp.add_argument("name", nargs="?", help="a step, reader, writer or executor type, e.g. language or jsonl")
    sp.add_argument("--kind", choices=["step", "reader", "writer", "executor", "stage"], help="list only this kind")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(fn=cmd_steps)

    sp = sub.add_parser("inspect", help="run a pipeline's steps on a file (WARC, JSONL, Parquet: each record; HTML or "
                                        "text: one document) and show each decision")
    sp.add_argument("path")
    sp.add_argument("--pipeline", help="pipeline file (or shipped pipeline's name) whose steps to run "
                                       "(default: the default pipeline)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="override a key of the pipeline, as winnow run takes it, e.g. --set "
                         "main.reader.text_key=content, --set gopher_quality.min_words=100")
    sp.add_argument("--json", action="store_true", help="one JSON object per document")
    sp.add_argument("--limit", type=int, metavar="N", help="only the first N records, quarantined ones included (default: every record)")
    sp.add_argument("--no-color", action="store_true")
    sp.set_defaults(fn=cmd_inspect)

    sp = sub.add_parser("report", help="(re)build report.html for a run folder")
    sp.add_argument("run_dir")
    sp.set_defaults(fn=cmd_report)

    sp = sub.add_parser("query", help="SQL (DuckDB) over a run's records: tables docs, kept, rejected, quarantine, "
                                      "attributes")
    sp.add_argument("run_dir")
    sp.add_argument("sql", help="e.g. \"SELECT drop_reason, domain, count(*) FROM rejected GROUP BY ALL ORDER BY 3 "
                                "DESC\"")
    sp.add_argument("--json", action="store_true", help="one JSON object per row")
    sp.set_defaults(fn=cmd_query)

    sp = sub.add_parser("explain", help="where a document went in a run, and every decision on its path")
    sp.add_argument("run_dir")
    sp.add_argument("doc_id", help="a document id, its URL, or a prefix of its id that no other id starts with")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(fn=cmd_explain)

    sp = sub.add_parser("whatif", help="how the funnel would change under other thresholds")
    sp.add_argument("run_dir")
    sp.add_argument("--set", action="append", metavar="STEP.PARAM=VALUE",
                    help="a threshold to change (numbers, lists and booleans: 'language.languages=[en,de]'); "
                         "STAGE.STEP.PARAM changes one stage's step")
    sp.add_argument("--sweep", metavar="STEP.PARAM=V1,V2,...",
                    help="one table over several values of one parameter, e.g. gopher_quality.min_words=50,100,200")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(fn=cmd_whatif)
    sp = sub.add_parser("apply", help="write the documents a finished (annotate) run would keep, optionally "
                                      "re-thresholded, from its recorded verdicts; nothing is recomputed")
    sp.add_argument("run_dir")
    sp.add_argument("-o", "--output", required=True, help="new folder for kept/, rejected/ and stats.json")
    sp.add_argument("--set", action="append", metavar="STEP.PARAM=VALUE",
                    help="re-threshold a step first, as in whatif (e.g. gopher_quality.min_words=100)")
    sp.add_argument("--json", action="store_true", help="print the stats as JSON")
    sp.set_defaults(fn=cmd_apply)

    sp = sub.add_parser("shuffle-merge", help="merge tokenized shards (megatron, datatrove, nanogpt writers) into N "
                                              "files in one seeded global shuffle; resumable")
    sp.add_argument("inputs", nargs="+", help="tokenized files or globs, e.g. 'run/kept/main/*.bin'")
    sp.add_argument("-o", "--output", required=True, help="folder for the shuffled files and shuffle-merge.json")
    sp.add_argument("--files", type=int, required=True, help="number of output files")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--format", choices=["megatron", "datatrove", "nanogpt"], help="default: from the file names")
    sp.add_argument("--executor", choices=["inline", "local", "ray"], default="local")
    sp.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    sp.add_argument("--address", help="Ray cluster address (with --executor ray)")
    sp.set_defaults(fn=cmd_shuffle_merge)

    sp = sub.add_parser("mix", help="a training set from several tokenized sources weighted in tokens (repeating a "
                                    "short source, counted), shuffled into N files; the realised mixture is recorded")
    sp.add_argument("--source", action="append", required=True, metavar="NAME=WEIGHT:PATTERN",
                    help="a source, its weight in tokens and its tokenized files, e.g. web=0.7:'a/kept/train/*.bin'; "
                         "repeat for each source (and for several patterns of one source)")
    sp.add_argument("-o", "--output", required=True)
    sp.add_argument("--files", type=int, required=True, help="number of output files")
    sp.add_argument("--tokens", type=int, help="tokens in the mix (default: all the sources' tokens together)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--format", choices=["megatron", "datatrove", "nanogpt"], help="default: from the file names")
    sp.add_argument("--executor", choices=["inline", "local", "ray"], default="local")
    sp.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    sp.set_defaults(fn=cmd_mix)

    sp = sub.add_parser("train-classifier", help="train a fastText classifier or an embedding head on labelled text "
                                                 "(JSONL/Parquet, two folders, or a run folder) and write it with its "
                                                 "card",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # -h shows epoch, lr, ... defaults
    from .train import add_arguments

    add_arguments(sp)
    sp.set_defaults(fn=cmd_train_classifier)
    return p


# One worker per core is winnow's model (the local executor's workers run single-threaded too). Left alone, OpenBLAS
# and OpenMP start a thread per core in this process as well, and their spinning between numpy calls cost the
# default pipeline 74 CPU s instead of 53 under `executor: inline`, for no speed on a loaded machine
# (bench/results/e2e.md). Set before numpy loads (the CLI imports none until a command runs); a value set wins.
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# fsspec's backends and their clients: their errors name the operator's setup, not a bug of winnow's
_STORAGE_LIBRARIES = {"botocore", "aiobotocore", "boto3", "s3fs", "gcsfs", "adlfs", "google", "azure", "fsspec"}

_stopped_by = [2]  # the signal that interrupted the command (SIGINT unless SIGTERM's handler saw one)


def _on_sigterm(signum, frame):
    _stopped_by[0] = signum
    raise KeyboardInterrupt


def _parses_whole(argv: list[str]) -> bool:
    """Whether argparse takes the command as it is, every argument placed (``winnow run --input a.jsonl
    pipe.json``: the JSON pipeline file is the pipeline, not a second input file the shell expanded)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return not build_parser().parse_known_args(argv)[1]
        except SystemExit:  # an error (said again by the real parse), or --help (shown by it)
            return False


def _shell_expanded_inputs(argv: list[str]) -> list[str]:
    """``--input data/*.jsonl.gz`` unquoted: the shell hands over every matching file, and argparse refused all but
    the first ("unrecognized arguments"). The input files right after an --input's value (existing files of a type
    a reader reads, as the shell's expansion gives them) each get their own --input; anything else is left for
    argparse to judge."""
    if not any(a == "--input" or a.startswith("--input=") for a in argv):
        return argv
    from .io.base import implied_reader

    from .config import _text_file_kind

    def data_file(a: str) -> bool:  # (a .txt or .html file too: the text reader's, --input notes.txt)
        return not a.startswith("-") and os.path.isfile(a) and (implied_reader([a]) is not None
                                                                or _text_file_kind(a) is not None)

    import glob

    out: list[str] = []
    last: tuple[int, str] | None = None  # the last name taken for the shell's: its --input's place, the name
    i = 0
    while i < len(argv):
        a = argv[i]
        out.append(a)
        i += 1
        if a == "--input" and i < len(argv):
            out.append(argv[i])
            i += 1
        elif not a.startswith("--input="):
            continue
        first = len(out) - 1  # the --input's own value (in `--input=X`, the whole argument)
        while i < len(argv) and data_file(argv[i]):
            # a name the shell expanded is a file, not a pattern: 'a*b.jsonl' also matched axb.jsonl (read twice)
            # and 'x[1].jsonl' matched nothing (left out, silently)
            last = (len(out), argv[i])
            out += ["--input", glob.escape(argv[i])]
            i += 1
        if len(out) - 1 > first:  # the shell expanded the first value too
            head, sep, value = out[first].partition("=") if out[first].startswith("--input=") else ("", "", out[first])
            if os.path.isfile(value):
                out[first] = head + sep + glob.escape(value)
    if last is not None and not _parses_whole(out):
        # `winnow run --input data/*.jsonl pipe.json`: the JSON pipeline file after the expanded names is the
        # pipeline (the jsonl reader reads .json files too, so it was taken for one more input, and "the following
        # arguments are required: pipeline"); put back where it was when that makes the command whole
        at, value = last
        alt = out[:at] + [value] + out[at + 2:]
        if _parses_whole(alt):
            return alt
    return out


def _what_to_do(exc: OSError) -> str:
    """The way out of an environment error that has one: a full disk or quota said only "No space left on device"
    (the write that failed names no file), with nothing on the finished shards or the resume."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ("; free space on the file system of the run folder (or of the temporary folder), then run the same "
                "command again: the shards that finished are kept and the run resumes from them")
    if exc.errno == errno.EROFS:
        return ("; that file system is mounted read-only: remount it read-write (a run resumes only in its own "
                "folder), or copy the run folder to a writable place")
    return ""


def main(argv: list[str] | None = None) -> int:
    for var in _ONE_THREAD:
        os.environ.setdefault(var, "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    if not _parses_whole(argv):  # only a command argparse refuses is read as an --input glob the shell expanded
        argv = _shell_expanded_inputs(argv)
    args = build_parser().parse_args(argv)
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a scheduler's stop, `kill`) unwinds like Ctrl-C: the executor kills its workers, the run folder's
        # lock is released, and the same command resumes. Without it the driver died and left workers running.
        signal.signal(signal.SIGTERM, _on_sigterm)
    _stopped_by[0] = signal.SIGINT
    try:
        return args.fn(args) or 0
    except ConfigError as exc:
        print(f"winnow: configuration error: {exc}", file=sys.stderr)
        return 2
    except WinnowError as exc:
        print(f"winnow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        how = "stopped (SIGTERM)" if _stopped_by[0] == signal.SIGTERM else "interrupted"
        print(f"winnow: {how}; run the same command again to resume", file=sys.stderr)
        return 128 + int(_stopped_by[0])  # 130 for Ctrl-C, 143 for SIGTERM: what a shell and a scheduler expect
    except BrokenPipeError:
        # the reader went away (`winnow steps | head`): not an error; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError, OSError) as exc:
        # a read-only run folder, a full disk, a path that is a file: the operator's environment, not a bug, so
        # a message naming the file rather than a traceback
        what = exc.strerror or type(exc).__name__
        where = f": {exc.filename}" if exc.filename else ""
        print(f"winnow: {what}{where}" + ("" if exc.strerror else f" ({exc})") + _what_to_do(exc), file=sys.stderr)
        return 1
    except Exception as exc:
        # a remote store's own error (no credentials, no such bucket, access denied) is the operator's setup, as an
        # OSError is: a message, not a traceback through fsspec; anything else is a bug and keeps its traceback
        if type(exc).__module__.split(".")[0] not in _STORAGE_LIBRARIES:
            raise
        print(f"winnow: the storage library could not reach a remote path: {type(exc).__name__}: {exc} (check the "
              "credentials, the bucket and the address)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
