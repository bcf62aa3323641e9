"""The tree walker (winnow.steps._trees.logits, read by line_noise, the page model's tree heads, the chrome shape
model and the segment judge) gives the log-odds of its plain broadcast-indexing version, bit for bit."""

import numpy as np

from winnow.steps import _trees
from winnow.steps import noise_lines


def _random_model(rng, n_trees, depth, n_features):
    width = 2 ** depth - 1
    return {"feature": rng.integers(0, n_features, (n_trees, width)), "threshold": rng.normal(size=(n_trees, width)),
            "value": rng.normal(size=(n_trees, 2 ** depth)), "depth": depth, "bias": float(rng.normal()),
            "rate": 0.1}


def test_logits_are_the_plain_walks_bit_for_bit():
    rng = np.random.default_rng(11)
    for _ in range(200):
        n_features = int(rng.integers(1, 40))
        m = _random_model(rng, int(rng.integers(1, 60)), int(rng.integers(1, 6)), n_features)
        x = rng.normal(size=(int(rng.integers(0, 70)), n_features))
        x[rng.random(x.shape) < 0.2] = 0.0  # ties with thresholds of 0 are rare; equal values are not
        m["threshold"][rng.random(m["threshold"].shape) < 0.2] = 0.0
        for xx in (x, np.asfortranarray(x), x[:, ::-1][:, ::-1]):
            assert _trees.logits(m, xx).tobytes() == _trees.logits_plain(m, xx).tobytes()


def test_the_shipped_line_model_on_real_features_gives_the_plain_walks_bits():
    lines = [x for x in (noise_lines.__doc__ + "\nHome\nLogin | Register\n12/04/2021").split("\n") if x.strip()]
    x = noise_lines.line_features(lines)
    for stage in noise_lines._model()["stages"][:1]:
        assert _trees.logits(stage, x).tobytes() == _trees.logits_plain(stage, x).tobytes()


def test_a_feature_index_outside_the_rows_is_left_to_the_plain_walk():
    rng = np.random.default_rng(2)
    m = _random_model(rng, 5, 3, 4)
    m["feature"][0, 0] = -1  # the plain walk reads the last column (negative indexing), not another row's value
    x = rng.normal(size=(6, 4))
    assert _trees.logits(m, x).tobytes() == _trees.logits_plain(m, x).tobytes()
