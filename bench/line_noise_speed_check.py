"""Same output, less CPU, for line_noise: the step on real pages, every output written (text, edits with their
scores, attributes, drop) with its CPU seconds, so two versions of the code can be compared exactly and side by side.

Pages: the crawl pages of ``<data>/crawl/web-pages.jsonl.gz`` (``--pages`` of them, each as its main text and as
its whole visible text), the coherence fixtures, and, with ``--e2e-run``, the documents as they enter line_noise in
the default pipeline on bench/e2e.py's WARC (a finished run of the default pipeline's steps before line_noise):

    python bench/e2e.py --data ../shared/data --runs none         # builds bench/out/e2e/pages.warc.gz
    python bench/line_noise_speed_check.py --pre-config > bench/out/noisespeed-pre.yaml
    winnow run bench/out/noisespeed-pre.yaml -o bench/out/noisespeed-pre   # the default steps before line_noise

    PYTHONPATH=src python bench/line_noise_speed_check.py --e2e-run bench/out/noisespeed-pre --out new.pkl
    python bench/line_noise_speed_check.py --compare old.pkl new.pkl
    # both versions in one invocation, alternating, each in its own process (CPU seconds of the step):
    python bench/line_noise_speed_check.py --e2e-run bench/out/noisespeed-pre --side-by-side <old>/src src --rounds 2
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _step_speed import ROOT, e2e_documents, main, timed  # noqa: E402


def inputs(data: Path, pages: int, e2e_run: str | None) -> list[tuple[str, dict]]:
    """[(name, Document record)]: crawl pages as main and whole text, the coherence fixtures, the e2e documents."""
    sys.path.insert(0, str(ROOT / "bench"))
    from coherence_glued_check import texts  # the same pages, as (name, text)

    out = [(name, {"id": name, "text": t}) for name, t in texts(data, pages)] if pages else []
    if e2e_run:
        out += e2e_documents(e2e_run)
    return out


def run(docs) -> tuple[list, dict]:
    from winnow.steps.noise_lines import LineNoise

    return timed(docs, [LineNoise()])


if __name__ == "__main__":
    main(__doc__, __file__, before="line_noise", prefix="noisespeed", inputs=inputs, run=run)
