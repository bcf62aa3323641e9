"""The README's Python example runs as written (on a copy of real pages placed where it expects them)."""

import os
import re
from pathlib import Path

import orjson

from tests.helpers import text_records, write_jsonl

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example(tmp_path, real_docs):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    write_jsonl(tmp_path / "data" / "a.jsonl.zst", text_records(real_docs, 0, 20))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    stats = orjson.loads((tmp_path / "out" / "stats.json").read_bytes())["stages"][0]
    assert stats["in"] == 20 and stats["balanced"]
    assert stats["steps"][0]["name"] == "gopher_quality" and stats["steps"][0]["docs_in"] == 20
