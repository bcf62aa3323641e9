"""A killed driver leaves no process behind (issue 11, item 12): SIGKILL, SIGTERM or SIGINT of a `winnow run`
driver with local-executor workers busy on shards; afterwards nothing of the run's process group is alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import write_jsonl

DRIVER = textwrap.dedent('''
    import os, sys, time
    from dataclasses import dataclass
    from winnow.registry import register
    from winnow.step import Map

    @register("_test_slow_kill")
    @dataclass
    class Slow(Map):
        marks: str = ""

        def map(self, doc):
            open(os.path.join(self.marks, str(os.getpid())), "w").close()  # "a worker is busy"
            time.sleep(0.5)
            return doc

    if __name__ == "__main__":
        from winnow.cli import main
        sys.exit(main(["run", sys.argv[1], "-o", sys.argv[2], "--workers", "2"]))
''')


def _alive_in_group(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_no_process_of_a_killed_run_survives(tmp_path, sig):
    import yaml

    for i in range(4):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", [{"id": f"{i}-{j}", "text": "x"} for j in range(200)])
    marks = tmp_path / "marks"
    marks.mkdir()
    cfg = {"executor": {"type": "local", "workers": 2},
           "stages": [{"name": "a", "reader": {"type": "jsonl", "paths": str(tmp_path / "in" / "*.jsonl")},
                       "steps": [{"type": "_test_slow_kill", "marks": str(marks)}]}]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "driver.py").write_text(DRIVER)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "p.yaml"),
                             str(tmp_path / "run")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    pgid = proc.pid
    try:
        deadline = time.time() + 60
        while len(list(marks.iterdir())) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert len(list(marks.iterdir())) >= 2, "the workers never started"
        os.kill(proc.pid, sig)  # the driver alone, as the OOM killer or a scheduler would
        proc.wait(timeout=30)
        deadline = time.time() + 15
        while _alive_in_group(pgid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive_in_group(pgid), subprocess.run(["ps", "-o", "pid,ppid,cmd", "-g", str(pgid)],
                                                          capture_output=True, text=True).stdout
        if sig != signal.SIGKILL:
            assert proc.returncode == 128 + sig  # 130 for Ctrl-C, 143 for SIGTERM, as shells and schedulers expect
            assert not (tmp_path / "run" / "winnow.lock").exists()  # released on the way out
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
