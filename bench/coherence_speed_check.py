"""Same output, less CPU, for both coherence steps: offtopic_sentences then stitched_document (as the default
pipeline chains them, on one Document object) on real pages, every output written (text, edits, attributes, drop)
with each step's CPU seconds, so two versions of the code can be compared exactly and side by side.

Pages: the crawl pages of ``<data>/crawl/web-pages.jsonl.gz`` (``--pages`` of them, each as its main text and as
its whole visible text, long pages included), the coherence fixtures, and, with ``--e2e-run``, the documents as
they enter offtopic_sentences in the default pipeline on bench/e2e.py's WARC (a finished run of the default
pipeline's steps up to line_noise, its line_dedup and line_noise edits included: stitched_document reads them):

    python bench/e2e.py --data ../shared/data --runs none         # builds bench/out/e2e/pages.warc.gz
    python bench/coherence_speed_check.py --pre-config > bench/out/cohspeed-pre.yaml
    winnow run bench/out/cohspeed-pre.yaml -o bench/out/cohspeed-pre   # the default steps up to line_noise

    PYTHONPATH=src python bench/coherence_speed_check.py --e2e-run bench/out/cohspeed-pre --out new.pkl
    python bench/coherence_speed_check.py --compare old.pkl new.pkl
    # both versions in one invocation, alternating, each in its own process (CPU seconds per step):
    python bench/coherence_speed_check.py --e2e-run bench/out/cohspeed-pre --side-by-side <old>/src src --rounds 2
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _step_speed import ROOT, e2e_documents, main, timed  # noqa: E402


def inputs(data: Path, pages: int, e2e_run: str | None) -> list[tuple[str, dict]]:
    """[(name, Document record)]: crawl pages as main and whole text, the coherence fixtures, the e2e documents."""
    sys.path.insert(0, str(ROOT / "bench"))
    from coherence_glued_check import texts  # the same pages, as (name, text)

    out = [(name, {"id": name.rsplit(":", 1)[0] if name.endswith((":main_text", ":text")) else name, "text": t})
           for name, t in texts(data, pages)]
    if e2e_run:
        out += e2e_documents(e2e_run)
    return out


def run(docs) -> tuple[list, dict]:
    from winnow.steps.coherence import OfftopicSentences, StitchedDocument

    return timed(docs, [OfftopicSentences(), StitchedDocument()])


if __name__ == "__main__":
    main(__doc__, __file__, before="offtopic_sentences", prefix="cohspeed", inputs=inputs, run=run)
