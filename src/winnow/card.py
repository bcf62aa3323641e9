"""The dataset card: ``kept/README.md``, in the format the Hugging Face Hub reads (YAML front matter with
``configs``/``data_files``, ``language``, ``size_categories``, a licence to fill in), so the kept folder can be pushed
as it is and ``load_dataset`` finds its files. Written at the end of every run from the run folder alone (stats.json,
config.resolved.yaml, the kept files); it never fails a run, and it holds nothing that changes between identical
runs (no time, no host), so a resumed run writes the same bytes.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import yaml

from .io.fields import DOLMA_DOCUMENTS, record_files

__all__ = ["write_card", "card_text"]

# Languages are counted on at most this many kept documents (the card says so when it stops): counting reads the
# documents again, and on a large run the first 200,000 name its languages as well as all of them would.
_LANG_DOCS = 200_000
# The Hub's size buckets (its size_categories tag values), by number of documents.
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
          (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")


def _size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>1T")


def _files(folder) -> list:
    return record_files(folder)  # in either layout (Dolma's has them in documents/)


def _pattern(files: list) -> str | None:
    exts = sorted({next((e for e in (".jsonl.zst", ".jsonl.gz", ".jsonl", ".parquet") if p.name.endswith(e)), "")
                   for p in files} - {""})
    return f"*{exts[0]}" if len(exts) == 1 else None


def card_text(run_dir) -> str:
    from .io.base import as_path
    from .report._run import _iter_file, load_run

    run_dir = as_path(run_dir)
    info = load_run(run_dir)
    cfg = info.config
    stats_by = {s["name"]: s for s in info.stats.get("stages", [])}
    stage_cfg = {st["name"]: st for st in info.stages}
    terminal = list(info.terminal_kept)
    kept_dir = run_dir / "kept"

    configs, size_rows, total_docs = [], [], 0
    native_parquet = []
    for i, name in enumerate(terminal):
        files = _files(kept_dir / name)
        st = stats_by.get(name, {})
        n_docs = int(st.get("kept", 0))
        total_docs += n_docs
        chars = sum(int(p.get("chars_out", 0)) for p in st.get("passes", [])[-1:])
        size_rows.append((name, n_docs, chars, len(files), sum(p.stat().st_size for p in files)))
        pat = _pattern(files)
        if pat is not None:
            inner = files[0].parent.name == DOLMA_DOCUMENTS and files[0].parent.parent.name == name
            sub = f"{DOLMA_DOCUMENTS}/" if inner else ""  # Dolma's layout
            entry: dict[str, Any] = {"config_name": name,
                                     "data_files": [{"split": "train", "path": f"{name}/{sub}{pat}"}]}
            if i == 0:
                entry["default"] = True
            configs.append(entry)
        writer = (stage_cfg.get(name, {}).get("writer") or {})
        if pat == "*.parquet" and (writer.get("format") or "winnow") == "winnow" and not writer.get("fields"):
            native_parquet.append(name)

    for name in info.token_outputs:  # token ids (a tokenized writer, a mix): sized, not loadable by datasets
        st = stats_by.get(name, {})
        files = [p for p in (kept_dir / name).iterdir() if p.is_file()] if (kept_dir / name).exists() else []
        n_docs = int(st.get("copies_out", st.get("kept", 0)))  # a mix: the documents written, copies counted
        total_docs += n_docs
        chars = sum(int(p.get("chars_out", 0)) for p in st.get("passes", [])[-1:])
        size_rows.append((f"{name} (token ids, {int(st.get('tokens_out', 0)):,} tokens)", n_docs, chars, len(files),
                          sum(p.stat().st_size for p in files)))

    langs: Counter[str] = Counter()
    counted = 0
    for name in terminal:
        for p in _files(kept_dir / name):
            for d in _iter_file(p):
                if counted >= _LANG_DOCS:
                    break
                counted += 1
                meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else d
                lang = meta.get("language")
                langs[lang if isinstance(lang, str) and lang else "unknown"] += 1
    codes = sorted(code for code in langs if _LANG_CODE.match(code))

    front: dict[str, Any] = {"pretty_name": str(cfg.get("run", {}).get("name") or run_dir.name),
                             "license": "other",
                             "license_name": "fill-in-the-licence-of-the-source-data"}
    if codes:
        front["language"] = codes
    front.update({"size_categories": [_size_category(total_docs)], "task_categories": ["text-generation"],
                  "tags": ["winnow", "web-crawl"], "configs": configs})

    out = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", "",
           f"# {front['pretty_name']}", "",
           "Text cleaned, filtered and deduplicated by winnow with the pipeline below (rejected documents, with the "
           "reason for each, are in the run folder, not here). The licence in the header is a placeholder: set the "
           "licence of the source data before publishing.", "",
           "## Size", "", "| config | documents | characters | files | bytes |", "|---|---:|---:|---:|---:|"]
    out += [f"| {n} | {d:,} | {c:,} | {f:,} | {b:,} |" for n, d, c, f, b in size_rows]
    out += ["", "## Languages", ""]
    if langs:
        note = f" (the first {_LANG_DOCS:,} kept documents)" if counted >= _LANG_DOCS else ""
        out += [f"Documents by `metadata.language`{note}:", "", "| language | documents |", "|---|---:|"]
        out += [f"| {lang} | {n:,} |" for lang, n in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))]
    else:
        out += ["No kept document."]
    out += ["", "## Pipeline", "", "```yaml",
            yaml.safe_dump({"stages": [{k: st[k] for k in ("name", "from", "reader", "steps", "writer", "mix") if k in st}
                                       for st in info.stages]}, sort_keys=False, allow_unicode=True).rstrip(),
            "```", "", "## What each step removed", "",
            "| stage | step | documents in | removed | by reason |", "|---|---|---:|---:|---|"]
    for sd in info.stats.get("stages", []):
        for step in sd.get("steps", []):
            dropped = step.get("dropped") or {}
            why = ", ".join(f"{r}: {n:,}" for r, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(f"| {sd['name']} | {step['name']} | {int(step.get('docs_in', 0)):,} | "
                       f"{sum(dropped.values()):,} | {why or '-'} |")
    quar = sum(int(sd.get("quarantined", 0)) for sd in info.stats.get("stages", []))
    out += ["", f"Unreadable or failing records (quarantined, not in the data): {quar:,}.", "", "## Loading", ""]
    if configs:
        path = configs[0]["data_files"][0]["path"]
        kind = "parquet" if path.endswith(".parquet") else "json"
        out += ["```python", "from datasets import load_dataset", "",
                f'ds = load_dataset("{kind}", data_files="{path}", split="train")  # from this folder', "```"]
    if native_parquet:
        out += ["", f"The Parquet files of {', '.join(native_parquet)} keep winnow's typed columns: `metadata` and "
                "`attributes` are lists of `{key, value}` entries whose value has one slot per type (bool, int, "
                "float, str, json); `format: datatrove` (or `fields`) writes plainer columns to publish."]
    return "\n".join(out) + "\n"


def write_card(run_dir, log: bool = True) -> None:
    """``kept/README.md``; a card that cannot be written is a warning, never a failed run."""
    from .io.base import as_path, atomic_path

    run_dir = as_path(run_dir)
    try:
        text = card_text(run_dir)
        with atomic_path(run_dir / "kept" / "README.md") as tmp:
            tmp.write_text(text, encoding="utf-8")
    except Exception as exc:  # the run's outputs stand; say why the card is missing
        if log:
            print(f"[winnow] dataset card not written: {type(exc).__name__}: {exc}", file=sys.stderr)
