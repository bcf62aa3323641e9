"""The page-level stitched model of stitched_document: its model file's heads (logistic or boosted trees)."""

import numpy as np
import pytest

from winnow.steps import coherence
from winnow.steps import _trees
from winnow.steps.coherence import _apply


def test_tree_heads_walk_every_tree_to_its_leaf():
    # Two trees of depth 2 (nodes level by level: 0; 1, 2; leaves 0-3). Tree 0 splits on feature 0 at 1.0, then on
    # feature 1 at 0.0 (left) or at 5.0 (right); tree 1 splits on feature 1 at 2.0 and then sends everything left.
    inf = np.inf
    t = _trees.load({"trees": {"feature": [[0, 1, 1], [1, 0, 0]], "threshold": [[1.0, 0.0, 5.0], [2.0, inf, inf]],
                               "value": [[1.0, 2.0, 3.0, 4.0], [10.0, 0.0, 20.0, 0.0]], "depth": 2},
                     "rate": 0.5, "bias": -1.0})
    # x = (2, 1): tree 0 right (2 > 1) then left (1 <= 5): leaf 2 (3.0); tree 1 left (1 <= 2), left: leaf 0 (10.0).
    # x = (0, 3): tree 0 left then right (3 > 0): leaf 1 (2.0); tree 1 right (3 > 2) then left: leaf 2 (20.0).
    got = _trees.logits(t, np.array([[2.0, 1.0], [0.0, 3.0]]))
    assert got == pytest.approx([-1.0 + 0.5 * (3.0 + 10.0), -1.0 + 0.5 * (2.0 + 20.0)])
    assert _trees.probabilities(t, np.array([[0.0, 3.0]]))[0] == pytest.approx(1 / (1 + np.exp(-10.0)))
    # Heads of either kind side by side in one model.
    lr = (np.zeros(2), np.ones(2), np.array([1.0, -1.0]), 0.5)
    out = _apply({"trees": t, "lr": lr}, [0.0, 3.0])
    assert out["trees"] == pytest.approx(10.0) and out["lr"] == pytest.approx(0.5 - 3.0)


def test_shipped_page_models_load_and_score_the_specimen():
    coherence._model.cache_clear()
    for name in (coherence.STITCHED_MODEL, coherence.LEXICAL_MODEL):
        m = coherence._model(name)
        assert m is not None and set(m) == {"spun", "blocks"}


def _jsonl(name):
    import json
    from pathlib import Path

    with open(Path(__file__).parent.parent / "fixtures" / "coherence" / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_novelty_sees_each_new_source_start_afresh():
    # Runs of four unrelated real articles one after another: late on the page two sentences in a row bring nearly
    # only new words, and the last third reuses little of the first; the articles on their own reuse their words.
    from winnow.sentences import split_sentences
    from winnow.steps.coherence import analyse

    docs = _jsonl("aeb-articles.jsonl")
    stitched_reuse, own_reuse, peaks = [], [], 0
    for k in range(8):
        parts = docs[4 * k: 4 * k + 4]
        runs = [split_sentences(" ".join(d["text"].split()))[:8] for d in parts]
        a = analyse(" ".join(s for r in runs for s in r))
        stitched_reuse.append(a.reuse)
        peaks += a.novelty_peak > 0.85
        own_reuse += [analyse(" ".join(d["text"].split())).reuse for d in parts]
    assert peaks >= 6
    assert np.median(stitched_reuse) < np.median(own_reuse) - 0.1
    # Too short to judge: neutral values.
    short = analyse("One sentence about cats. Another about dogs and cats.")
    assert (short.novelty_late, short.novelty_peak, short.novelty_spikes, short.reuse) == (0.0, 0.0, 0.0, 0.0)
