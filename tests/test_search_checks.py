"""The Hyperparameter Search checks catch the classic mistakes and name them."""

import numpy as np
import pytest

from tests.helpers import PART_DIRS, load_module, named

checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "search_testCases")

MISTAKES = [
    ("sample_learning_rate", lambda n, rng: rng.uniform(1e-4, 1, n), "90% of the rates above 0.1"),
    ("sample_learning_rate", lambda n, rng: 10 ** -(4 * np.random.rand(n)), "same seed"),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 1, n), r"outside \[0.0001, 1\]"),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, (1, n)), r"shape \("),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, 3), "must return"),
    ("sample_beta", lambda n, rng: rng.uniform(0.9, 0.999, n), "only 9% of the values"),
    ("sample_beta", lambda n, rng: 10 ** rng.uniform(-3, -1, n), "look like 1 - beta"),
    ("sample_beta", lambda n, rng: 1 - 10 ** np.random.uniform(-3, -1, n), "same seed"),
    ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-3, -2, n), "not 25% each"),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name))


@pytest.mark.parametrize(
    "name, function",
    [
        ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, n)),
        ("sample_learning_rate", lambda n, rng: 10 ** (-4 * rng.rand(n))),  # the course's way
        ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-3, -1, n)),
        ("sample_beta", lambda n, rng: 1 - 10 ** (-1 - 2 * rng.rand(n))),
    ],
)
def test_any_right_way_of_sampling_passes(name, function):
    getattr(checks, f"verify_{name}")(named(function, name))
