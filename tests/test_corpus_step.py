"""A corpus step splits its stage into passes with a barrier: it sees every shard before deciding."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from winnow.executors import InlineExecutor, LocalExecutor
from winnow.io.base import atomic_path
from winnow.io.jsonl import JsonlReader
from winnow.pipeline import Pipeline, Stage, plan_passes
from winnow.registry import register
from winnow.run import run_pipeline
from winnow.step import CorpusStep
from winnow.steps.basic import LengthFilter

from tests.helpers import read_all, text_records, write_jsonl


@register("_test_first_word_once")
@dataclass
class FirstWordOnce(CorpusStep):
    """Keeps one document per first word across the whole corpus (the lowest id), like a toy dedup."""

    REASONS = ("repeat_first_word",)

    def start_collect(self, ctx):
        self._rows = []

    def collect(self, doc):
        words = doc.text.split()
        self._rows.append((words[0] if words else "", doc.id))

    def finish_collect(self, ctx):
        with atomic_path(ctx.work_dir / f"rows-{ctx.shard}.json") as tmp:
            tmp.write_bytes(orjson.dumps(self._rows))

    def reduce(self, ctx):
        parts = ctx.map(_load, sorted(str(p) for p in ctx.work_dir.glob("rows-*.json")))
        keep = {}
        for rows in parts:
            for w, i in rows:
                if w not in keep or i < keep[w]:
                    keep[w] = i
        (ctx.work_dir / "keep.json").write_bytes(orjson.dumps(sorted(keep.values())))

    def setup(self, ctx):
        self._keep = set(orjson.loads((ctx.work_dir / "keep.json").read_bytes()))

    def process(self, doc):
        if doc.id not in self._keep:
            from winnow.document import Drop

            doc.drop = Drop(self.name, "repeat_first_word", None, None)
        return doc


def _load(path):
    return orjson.loads(open(path, "rb").read())


def test_plan_splits_at_corpus_steps():
    st = Stage("s", steps=[LengthFilter(), FirstWordOnce(), LengthFilter(), FirstWordOnce(), LengthFilter()])
    ps = plan_passes(st)
    assert [(p.apply, p.steps, p.collect) for p in ps] == [(None, (0,), 1), (1, (2,), 3), (3, (4,), None)]


def test_corpus_step_sees_all_shards_and_is_worker_count_independent(tmp_path, real_docs):
    docs = [d for d in real_docs if d.text.strip()]
    for i in range(3):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", text_records(docs, i * 90, 90))
    pipe = Pipeline(stages=[Stage("s", reader=JsonlReader(paths=str(tmp_path / "in" / "*.jsonl")),
                                  steps=[LengthFilter(min_chars=100), FirstWordOnce(), LengthFilter(min_chars=500)])])
    a = run_pipeline(pipe, tmp_path / "a", InlineExecutor(), log=False)
    b = run_pipeline(pipe, tmp_path / "b", LocalExecutor(workers=2, progress=False), log=False)
    sa = a.stats["stages"][0]
    assert sa["balanced"]
    dropped = next(s for s in sa["steps"] if s["name"] == "_test_first_word_once")["dropped"]
    firsts = [d.text.split()[0] for d in docs[:270] if len(d.text.strip()) >= 100]
    assert dropped["repeat_first_word"] == len(firsts) - len(set(firsts)) > 0
    out = lambda r: {k: v for k, v in read_all(r).items() if k.startswith(("kept/", "rejected/"))}
    assert out(tmp_path / "a") == out(tmp_path / "b")
    assert (tmp_path / "a" / "done" / "s" / "reduce0").exists()
