"""The README's Python example runs as written, saved as a script and run by a fresh interpreter as a user would
(on a copy of real pages placed where it expects them): in-process exec would hide a missing ``__main__`` guard,
which the local executor's spawned workers need."""

import re
import subprocess
import sys
from pathlib import Path

import orjson

from tests.helpers import text_records, write_jsonl

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example(tmp_path, real_docs):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    write_jsonl(tmp_path / "data" / "a.jsonl.zst", text_records(real_docs, 0, 20))
    (tmp_path / "example.py").write_text(code)
    proc = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = orjson.loads((tmp_path / "out" / "stats.json").read_bytes())["stages"][0]
    assert stats["in"] == 20 and stats["balanced"]
    assert stats["steps"][0]["name"] == "gopher_quality" and stats["steps"][0]["docs_in"] == 20
    # what the example prints: the summary, the counts, one line per rejected document, the kept ids
    out = proc.stdout.splitlines()
    assert out[0].startswith("stage main: 20 in -> ")
    assert f"'kept': {stats['kept']}, 'rejected': {stats['rejected']}" in proc.stdout
    rejected = [ln for ln in out if ln.split(" ")[1:2] in (["gopher_quality"], ["fineweb_quality"])]
    assert len(rejected) == stats["rejected"] > 0
    assert out[-1] == str([r["id"] for r in _kept_ids(tmp_path / "out")][:3])


def _kept_ids(run_dir):
    import zstandard

    for p in sorted((run_dir / "kept" / "main").iterdir()):
        for line in zstandard.decompress(p.read_bytes(), max_output_size=1 << 30).splitlines():
            yield orjson.loads(line)
