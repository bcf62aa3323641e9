"""The README's first command, end to end: `winnow demo` on the crawl shipped in the package."""

from __future__ import annotations

import subprocess
import sys

import orjson

from winnow.io.jsonl import JsonlReader


def test_demo_runs_the_default_pipeline_and_explains_the_specimen(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "winnow", "demo", "-o", str(out), "--workers", "2"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "312 in ->" in res.stdout and "[ledger balanced]" in res.stdout
    assert (out / "report.html").stat().st_size > 10_000
    stats = orjson.loads((out / "stats.json").read_bytes())["stages"][0]
    assert stats["in"] == 312 and stats["balanced"] and stats["kept"] > 150

    # The stitched specimen: every published rule keeps it; winnow removes its chrome, then drops it as stitched,
    # and the rejected record carries both decisions.
    rejected = [d for p in sorted((out / "rejected").rglob("*.jsonl.zst")) for d in JsonlReader(paths=str(p)).read(str(p))]
    spec = next(d for d in rejected if d.id == "specimen-stitched-page")
    assert spec.drop.step == "stitched_document" and spec.drop.reason == "stitched"
    assert spec.drop.value > spec.drop.threshold
    removed = {e.reason: [] for e in spec.edits}
    for e in spec.edits:
        removed[e.reason].append(e.removed)
    chrome = " ".join(removed.get("site_chrome", []) + removed.get("repeated_line", []))
    assert "To subscribe to this RSS feed" in chrome and "Making statements based on opinion" in chrome
    assert any("Click here to find out more" in r for r in removed.get("link_text", []))
    assert "Trotsky" in spec.text and "Mercader" in spec.text  # the on-topic text is still there
