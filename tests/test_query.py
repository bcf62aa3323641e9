"""``winnow query``: SQL over a run's kept, rejected and quarantined records and their attributes (real DuckDB)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from winnow.cli import main
from winnow.config import load_pipeline
from winnow.run import run_pipeline

from tests.helpers import text_records, write_jsonl

duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def run(tmp_path_factory, real_docs):
    tmp = tmp_path_factory.mktemp("q")
    recs = text_records(real_docs, 0, 40)
    src = write_jsonl(tmp / "in" / "a.jsonl", recs)
    (tmp / "in" / "a.jsonl").write_bytes(src.read_bytes() + b'{"id": "broken", "text": \n')  # one quarantined
    cfg = tmp / "p.yaml"
    cfg.write_text(yaml.safe_dump({"executor": {"type": "inline"}, "stages": [
        {"name": "a", "reader": {"type": "jsonl", "paths": str(src)},
         "steps": [{"type": "gopher_quality"}], "writer": {"type": "parquet", "format": "datatrove"}},
        {"name": "b", "from": "a", "steps": [{"type": "length", "min_chars": 6000}]}]}))
    res = run_pipeline(load_pipeline(cfg), tmp / "run", "inline", log=False)
    return tmp / "run", res


def _q(capsys, run_dir, sql, *extra):
    rc = main(["query", str(run_dir), sql, *extra])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_counts_match_the_ledger(run, capsys):
    run_dir, res = run
    stats = json.loads((run_dir / "stats.json").read_text())
    a, b = stats["stages"]
    rc, out, _ = _q(capsys, run_dir, "SELECT (SELECT count(*) FROM kept), (SELECT count(*) FROM rejected), "
                                     "(SELECT count(*) FROM quarantine)", "--json")
    assert rc == 0
    (row,) = [json.loads(x) for x in out.splitlines()]
    kept, rej, quar = row.values()
    assert kept == b["kept"] and rej == a["rejected"] + b["rejected"] and quar == a["quarantined"] == 1


def test_rejections_by_reason_and_domain_and_score_distributions(run, capsys):
    run_dir, _ = run
    rc, out, _ = _q(capsys, run_dir, "SELECT stage, drop_reason, count(*) AS n FROM rejected GROUP BY ALL ORDER BY "
                                     "ALL", "--json")
    rows = [json.loads(x) for x in out.splitlines()]
    assert rc == 0 and {r["stage"] for r in rows} == {"a", "b"}
    assert {"too_short"} <= {r["drop_reason"] for r in rows if r["stage"] == "b"}
    rc, out, _ = _q(capsys, run_dir, "SELECT count(*) FROM docs WHERE domain IS NOT NULL AND url LIKE '%' || domain "
                                     "|| '%'", "--json")
    assert json.loads(out)["count_star()"] > 0
    # the attributes table and the JSON column agree (the datatrove-format stage a: from its side files)
    rc, out, _ = _q(capsys, run_dir, "SELECT count(*) AS n, min(value) AS lo, max(value) AS hi FROM attributes "
                                     "WHERE name = 'gopher_quality.words'", "--json")
    r = json.loads(out)
    assert r["n"] == 40 and 0 <= r["lo"] <= r["hi"]
    rc, out, _ = _q(capsys, run_dir, """SELECT max(CAST(attributes->>'$."gopher_quality.words"' AS INT)) FROM docs""",
                    "--json")
    assert list(json.loads(out).values()) == [r["hi"]]
    rc, out, _ = _q(capsys, run_dir, "SELECT reason, location FROM quarantine")
    assert rc == 0 and "malformed_json" in out and "line 41" in out and "(1 row)" in out


def test_a_bad_query_is_a_message_not_a_traceback(run, capsys):
    rc, _, err = _q(capsys, run[0], "SELECT nope FROM kept")
    assert rc == 1 and "nope" in err and "tables: docs" in err
    rc, _, err = _q(capsys, run[0].parent, "SELECT 1")
    assert rc == 1 and "not a winnow run folder" in err
