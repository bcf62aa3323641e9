"""The shipped model files are read one way: absent is None, fitted on other features an error naming the refit."""

import pytest

from winnow.steps.coherence import _pairs as pairs
from winnow.steps import noise_lines
from winnow.steps._packaged import packaged_model


def test_a_shipped_model_reads_and_checks_its_features():
    m = packaged_model("coherence", pairs.PAIR_MODEL, pairs.PAIR_FEATURES)
    assert tuple(m["features"]) == pairs.PAIR_FEATURES
    with pytest.raises(ValueError, match="fitted on other features; refit it \\(bench/coherence_pairs.py\\)"):
        packaged_model("coherence", pairs.PAIR_MODEL, pairs.PAIR_FEATURES[:-1], "bench/coherence_pairs.py")
    with pytest.raises(ValueError, match="other context"):
        packaged_model("line_noise", noise_lines.MODEL, noise_lines.LINE_FEATURES, check={"context": ("x",)})
    assert packaged_model("coherence", "no_such_model.json", ()) is None
