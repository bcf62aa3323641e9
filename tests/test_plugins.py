"""A third-party package's steps, announced in the ``winnow.steps`` entry-point group, work from the CLI like
built-ins: listed by ``winnow steps``, validated, and run from a YAML file (a real installed distribution on
``sys.path``, in a fresh interpreter)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import text_records, write_jsonl

PLUGIN = '''
from dataclasses import dataclass
from winnow.registry import register
from winnow.step import Filter, Reject
from winnow.text import segments

@register("plugin_min_words")
@dataclass
class PluginMinWords(Filter):
    """Drops documents with fewer than min_words words (a test plugin)."""
    min_words: int = 50
    REASONS = ("too_short",)
    THRESHOLDS = {"min_words": ("plugin_min_words.words", "<", "too_short")}

    def reject(self, doc):
        n = len(segments(doc).words)
        doc.attributes["plugin_min_words.words"] = n
        return Reject("too_short", n, self.min_words) if n < self.min_words else None
'''


def _winnow(args, site: Path, cwd: Path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "winnow.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_entry_point_plugin_from_the_cli(tmp_path, real_docs):
    site = tmp_path / "site"
    (site / "winnow_test_plugin").mkdir(parents=True)
    (site / "winnow_test_plugin" / "__init__.py").write_text("")
    (site / "winnow_test_plugin" / "steps.py").write_text(PLUGIN)
    dist = site / "winnow_test_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: winnow-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[winnow.steps]\nmine = winnow_test_plugin.steps\n")

    listed = _winnow(["steps", "--json"], site, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "plugin_min_words" in {s["name"] for s in json.loads(listed.stdout)}

    write_jsonl(tmp_path / "in" / "a.jsonl.zst", text_records(real_docs, 0, 30))
    (tmp_path / "p.yaml").write_text(
        "executor: inline\nstages:\n  - name: main\n    reader: {type: jsonl, paths: in/*.jsonl.zst}\n"
        "    steps:\n      - plugin_min_words: {min_words: 400}\n")
    run = _winnow(["run", "p.yaml", "-o", "out"], site, tmp_path)
    assert run.returncode == 0, run.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())["stages"][0]
    step = stats["steps"][0]
    assert step["name"] == "plugin_min_words" and stats["in"] == 30 and stats["balanced"]
    assert 0 < stats["rejected"] < 30 and step["dropped"] == {"too_short": stats["rejected"]}

    (tmp_path / "bad.yaml").write_text((tmp_path / "p.yaml").read_text().replace("{min_words:", "{min_word:"))
    bad = _winnow(["validate", "bad.yaml"], site, tmp_path)
    assert bad.returncode != 0 and "did you mean 'min_words'" in bad.stderr

    # whatif re-thresholds the plugin's recorded signal where it is installed, and says why not where it is not
    ok = _winnow(["whatif", "out", "--set", "plugin_min_words.min_words=600"], site, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "plugin_min_words.min_words: 400 -> 600" in ok.stdout
    gone = _winnow(["whatif", "out", "--set", "plugin_min_words.min_words=600"], tmp_path / "empty", tmp_path)
    assert gone.returncode == 2 and "step type 'plugin_min_words' is not installed" in gone.stderr
