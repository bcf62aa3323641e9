"""Dolma's own tools on a winnow run folder (issue 17): ``dolma mix`` filtering on winnow's attributes, and Dolma's
paragraph language tagger (``ft_lang_id_paragraph_v1``) next to winnow's ``paragraph_language``.

One winnow run (annotate, FineWeb's filters then ``paragraph_language``) writes ``format: dolma``. Then, without
moving a file:

1. ``dolma mix`` with one exclude rule per step (``winnow__<step>__drop``) must keep exactly what ``winnow apply``
   keeps (ids, order, text); a second mix with a threshold on a signal (``winnow__language__score``) must keep the
   documents whose recorded score passes it.
2. ``dolma tag`` runs Dolma's ``FastTextAllLanguageParagraphTagger`` on the run's documents. Dolma's tagger loads
   lid.176.bin from a URL, which cannot be fetched here; its class takes any fastText model through ``MODEL_PATH``,
   so a three-line tagger module points it at the lid.176.ftz winnow uses (the same model both sides). Its
   attribute set lands beside winnow's (``attributes/dolma_lid/``); winnow's reader merges it
   (``attributes: [dolma_lid]``) and each paragraph's top language and score are compared.

Dolma is not a dependency of winnow; it lives in a venv of its own (its pins need help from the resolver)::

    python3 -m venv .bench-venv-dolma
    .bench-venv-dolma/bin/pip install dolma==1.2.1 boto3==1.26.76 aiobotocore==2.5.0
    PYTHONPATH=src .venv/bin/python bench/dolma_peer.py --dolma .bench-venv-dolma/bin/dolma --limit 200

Documents: bench/parity.py's even sample of the shared corpus (web pages, non-English register documents, the
stitched specimen). CPU seconds: winnow's from its stats.json (one process, ``executor: inline``), Dolma's from the
child processes' rusage.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/parity.py's corpus sample

from parity import load_docs  # noqa: E402

STEPS = [{"type": "language", "languages": ["en"], "min_score": 0.65}, {"type": "gopher_repetition"},
         {"type": "gopher_quality"}, {"type": "c4_quality", "filter_no_terminal_punct": False},
         {"type": "fineweb_quality"}, {"type": "paragraph_language", "max_recorded": 1_000_000}]
VERDICT_STEPS = [s["type"] for s in STEPS if s["type"] != "paragraph_language"]
SET = "dolma_lid"  # the experiment name dolma tag writes its attribute set under
TAGGER = "ft_lang_id_paragraph_v1_ftz"
TAGGER_MODULE = f'''import os
from dolma import add_tagger
from dolma.taggers.language import FastTextAllLanguageParagraphTagger


@add_tagger("{TAGGER}")
class ParagraphLanguageFtz(FastTextAllLanguageParagraphTagger):
    """Dolma's ft_lang_id_paragraph_v1 with the model file given (it downloads lid.176.bin otherwise)."""
    MODEL_PATH = os.environ["DOLMA_LID_MODEL"]
'''


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _gz(p: Path) -> list[dict]:
    with gzip.open(p, "rb") as f:
        return [json.loads(x) for x in f if x.strip()]


def _dolma(dolma: str, args: list[str], env: dict | None = None) -> tuple[float, str]:
    c0 = _children_cpu()
    proc = subprocess.run([dolma, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise SystemExit(f"dolma {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return _children_cpu() - c0, proc.stderr


def _mix(dolma: str, work: Path, name: str, docs_glob: str, exclude: list[str]) -> tuple[list[tuple[str, str]], float]:
    out = work / f"mixed-{name}"
    shutil.rmtree(out, ignore_errors=True)
    cfg = {"streams": [{"name": name, "documents": [docs_glob], "attributes": ["winnow"],
                        "output": {"path": str(out), "max_size_in_bytes": 1 << 30}, "filter": {"exclude": exclude}}],
           "processes": 1, "work_dir": {"input": str(work / "wi"), "output": str(work / "wo")}}
    (work / f"{name}.json").write_text(json.dumps(cfg, indent=1))
    cpu, _ = _dolma(dolma, ["-c", str(work / f"{name}.json"), "mix"])
    return [(d["id"], d["text"]) for p in sorted(out.glob("*.gz")) for d in _gz(p)], cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--dolma", required=True, help="the `dolma` command of a venv with dolma==1.2.1")
    ap.add_argument("--limit", type=int, default=200, help="documents of each group (web, multiling)")
    ap.add_argument("--work", default="bench/out/dolma_peer")
    ap.add_argument("--out", default=None, help="append the results to this markdown file")
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    work = (ROOT / args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    import yaml

    from winnow.config import load_pipeline
    from winnow.document import Document
    from winnow.io.jsonl import JsonlReader
    from winnow.results import open_run
    from winnow.run import run_pipeline
    from winnow.steps.langid import lite_model_path

    docs = load_docs(data, args.limit)
    with open(work / "input.jsonl", "w", encoding="utf-8") as f:
        for src, did, text in docs:
            f.write(json.dumps({"id": did, "text": text, "source": src}) + "\n")
    groups = dict(Counter(s.split(":")[0] for s, _, _ in docs))
    cfg = work / "pipeline.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "on_drop": "annotate", "stages": [
        {"name": "main", "reader": {"type": "jsonl", "paths": str(work / "input.jsonl")}, "steps": STEPS,
         "writer": {"type": "jsonl", "format": "dolma"}}]}, sort_keys=False))
    run_dir = work / "run"
    run_pipeline(load_pipeline(cfg), run_dir, "inline", log=False)
    stats = json.loads((run_dir / "stats.json").read_text())
    step_s = {s["name"]: s.get("cpu_seconds", s["seconds"]) for s in stats["stages"][0]["steps"]}
    docs_glob = str(run_dir / "kept" / "main" / "documents" / "*.jsonl.gz")
    lines = [f"Documents: {len(docs)} ({groups}); winnow run (annotate, `format: dolma`): "
             f"`{run_dir.relative_to(ROOT)}`, {sorted(p.name for p in (run_dir / 'kept' / 'main').iterdir())}.", ""]

    # 1. dolma mix on the run folder as it lies
    from winnow.cli import main as winnow_main

    assert winnow_main(["apply", str(run_dir), "-o", str(work / "applied")]) == 0
    applied = [(d["id"], d["text"]) for p in sorted((work / "applied/kept/main/documents").glob("*.gz")) for d in _gz(p)]
    verdicts, cpu_v = _mix(args.dolma, work, "verdicts", docs_glob,
                           [f"$.attributes[?(@.winnow__{s}__drop)]" for s in VERDICT_STEPS])
    kept = list(open_run(run_dir).kept())
    want_sig = [(d.id, d.text) for d in kept if not d.attributes.get("language.score", 1.0) < 0.9]
    signal, cpu_s = _mix(args.dolma, work, "signal", docs_glob, [
        "$.attributes[?(@.winnow__language__score && @.winnow__language__score[0] && "
        "@.winnow__language__score[0][2] < 0.9)]"])
    lines += ["| dolma mix filter | winnow | dolma mix keeps | winnow keeps | identical (ids, order, text) | dolma CPU s |",
              "|---|---|---:|---:|---|---:|",
              f"| exclude `winnow__<step>__drop` for {len(VERDICT_STEPS)} steps | `winnow apply` | {len(verdicts)} | "
              f"{len(applied)} | {verdicts == applied} | {cpu_v:.1f} |",
              f"| exclude `winnow__language__score[0][2] < 0.9` | `language.score >= 0.9` in the run | {len(signal)} | "
              f"{len(want_sig)} | {signal == want_sig} | {cpu_s:.1f} |", ""]

    # 2. Dolma's paragraph language tagger, on lid.176.ftz, beside winnow's paragraph_language
    (work / "ftz_tagger.py").write_text(TAGGER_MODULE)
    model = str(lite_model_path())
    cpu_tag, _ = _dolma(args.dolma, ["tag", "--documents", docs_glob, "--tagger_modules", str(work / "ftz_tagger.py"),
                                     "--taggers", TAGGER, "--experiment", SET, "--processes", "1"],
                        env={"DOLMA_LID_MODEL": model})
    reader = JsonlReader(paths=docs_glob, format="dolma", attributes=[SET])
    both = [x for s in reader.shards() for x in reader.read(s)]
    assert all(isinstance(x, Document) for x in both), "every document read with Dolma's attribute set"
    prefix = f"{SET}__{TAGGER}__"
    n_para = same_bounds = same_lang = docs_same_main = 0
    max_diff = 0.0
    diffs: list[str] = []
    for d in both:
        ours = {(s, e): (lang, score) for s, e, lang, score in d.attributes["paragraph_language.paragraphs"]}
        theirs: dict[tuple[int, int], tuple[str, float]] = {}
        for key, spans in d.attributes.items():
            if key.startswith(prefix):
                for s, e, score in spans:
                    if (s, e) not in theirs or score > theirs[(s, e)][1]:
                        theirs[(s, e)] = (key[len(prefix):], score)
        n_para += len(ours)
        same_bounds += len(set(ours) & set(theirs))
        chars: Counter[str] = Counter()
        for (s, e), (lang, score) in theirs.items():
            chars[lang] += e - s
        main = min(chars, key=lambda k: (-chars[k], k)) if chars else None
        docs_same_main += main == d.attributes["paragraph_language.main"]
        for span, (lang, score) in ours.items():
            t = theirs.get(span)
            if t is None:
                continue
            if t[0] == lang:
                same_lang += 1
                max_diff = max(max_diff, abs(t[1] - score))
            elif len(diffs) < 10:
                diffs.append(f"{d.id} {span}: winnow {lang} {score}, Dolma {t[0]} {t[1]}")
        extra = set(theirs) - set(ours)
        if extra and len(diffs) < 10:
            diffs.append(f"{d.id}: Dolma paragraphs winnow lacks {sorted(extra)[:3]}")
    lines += ["| tagger | reference | docs | paragraphs | same bounds | same top language | max score diff "
              "(same language) | same main language | CPU s winnow / Dolma |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|",
              f"| paragraph_language | Dolma ft_lang_id_paragraph_v1 (`dolma tag`), both on lid.176.ftz | {len(both)} | "
              f"{n_para} | {same_bounds} | {same_lang} ({same_lang / max(1, n_para):.2%}) | {max_diff:.5f} | "
              f"{docs_same_main}/{len(both)} | {step_s.get('paragraph_language', 0):.1f} / {cpu_tag:.1f} |", ""]
    if diffs:
        lines += ["Differences:", *[f"- {x}" for x in diffs], ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    t0 = time.process_time()
    main()
    print(f"(this process: {time.process_time() - t0:.1f} CPU s)", file=sys.stderr)
