"""The Hyperparameter Search checks catch the classic mistakes and name them."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest

from tests.helpers import PART_DIRS, load_module, named

checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "search_testCases")

STRETCHES = "equal stretches"
SHORT = "draw r over the whole of"
GRID = "values that repeat make a grid"
OTHER_LAW = "not uniform in"
TOO_EVEN = "more evenly than random draws ever are"

MISTAKES = [
    ("sample_learning_rate", lambda n, rng: rng.uniform(1e-4, 1, n), "90% of the rates above 0.1"),
    ("sample_learning_rate", lambda n, rng: 10 ** -(4 * np.random.rand(n)), "same seed"),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 1, n), r"outside \[0.0001, 1\]"),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, (1, n)), r"shape \("),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, 3), "must return"),
    # Issue #26: the grid of four decades, and ranges short of either end, passed.
    (
        "sample_learning_rate",
        lambda n, rng: 10.0 ** rng.randint(-4, 0, n),
        r"only 4 distinct values in 20000 draws \(0.0001, 0.001, 0.01, 0.1\)",
    ),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, -0.1, n), "nearest 1 is 0.79"),
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-3.9, 0, n), "nearest 0.0001 is"),
    ("sample_learning_rate", lambda n, rng: 10 ** np.round(rng.uniform(-4, 0, n), 2), GRID),
    # Every decade a quarter of the draws, but not uniform inside it: only the law's test sees it.
    (
        "sample_learning_rate",
        lambda n, rng: 10.0 ** (rng.randint(-4, 0, n) + rng.rand(n) ** 2),
        OTHER_LAW,
    ),
    ("sample_learning_rate", lambda n, rng: 10 ** (-4 * rng.beta(1.3, 1.3, n)), STRETCHES),
    (
        "sample_learning_rate",
        lambda n, rng: 10 ** rng.permutation(np.linspace(-4, 0, n)),
        TOO_EVEN,
    ),
    ("sample_beta", lambda n, rng: rng.uniform(0.9, 0.999, n), "only 9% of the values"),
    ("sample_beta", lambda n, rng: 10 ** rng.uniform(-3, -1, n), "look like 1 - beta"),
    ("sample_beta", lambda n, rng: 1 - 10 ** np.random.uniform(-3, -1, n), "same seed"),
    ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-3, -2, n), "nearest 0.9 is 0.99"),
    (
        "sample_beta",
        lambda n, rng: 1 - 10.0 ** rng.randint(-3, -1, n),
        r"only 2 distinct values in 20000 draws \(0.99, 0.999\)",
    ),
    ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-3, -1.1, n), SHORT),
    ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-2.9, -1, n), "nearest 0.999 is"),
    ("sample_beta", lambda n, rng: 1 - 10 ** (-3 + 2 * rng.beta(1.3, 1.3, n)), STRETCHES),
    (
        "sample_beta",
        lambda n, rng: 1 - 10 ** (-3 + (rng.randint(0, 4, n) + rng.rand(n) ** 2) / 2),
        OTHER_LAW,
    ),
    (
        "sample_beta",
        lambda n, rng: 1 - 10 ** rng.permutation(np.linspace(-3, -1, n)),
        TOO_EVEN,
    ),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name))


def test_a_law_that_is_not_uniform_in_the_values_gets_no_hint_about_uniform_values():
    with pytest.raises(AssertionError, match=STRETCHES) as failed:
        checks.verify_sample_beta(
            named(lambda n, rng: 1 - 10 ** (-3 + 2 * rng.beta(1.3, 1.3, n)), "sample_beta")
        )
    assert "look uniform" not in str(failed.value)


RIGHT = [
    ("sample_learning_rate", lambda n, rng: 10 ** rng.uniform(-4, 0, n)),
    ("sample_learning_rate", lambda n, rng: 10 ** (-4 * rng.rand(n))),  # the course's way
    ("sample_learning_rate", lambda n, rng: np.exp(rng.uniform(np.log(1e-4), 0, n))),
    ("sample_beta", lambda n, rng: 1 - 10 ** rng.uniform(-3, -1, n)),
    ("sample_beta", lambda n, rng: 1 - 10 ** (-1 - 2 * rng.rand(n))),
]


@pytest.mark.parametrize("name, function", RIGHT)
def test_any_right_way_of_sampling_passes(name, function):
    getattr(checks, f"verify_{name}")(named(function, name))


@pytest.mark.parametrize("name, function", [RIGHT[0], RIGHT[3]])
def test_right_samplers_that_draw_other_numbers_pass(name, function):
    # A right sampler fails the law's tests with probability 1e-6 or less: eight right samplers
    # that skip k numbers of rng before they draw (other numbers from the same seed) all pass.
    def skipping(k):
        return named(lambda n, rng: (rng.rand(k), function(n, rng))[1], name)

    for k in range(1, 9):
        getattr(checks, f"verify_{name}")(skipping(k))


@pytest.mark.parametrize("name", ["sample_learning_rate", "sample_beta"])
def test_the_public_check_prints_what_the_learners_sampler_gave(name):
    right = dict(RIGHT)[name]
    with redirect_stdout(io.StringIO()) as printed:
        getattr(checks, f"{name}_test")(named(right, name))
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"{name}(5, np.random.RandomState(1)):"
    shown = np.array(lines[1].split(), dtype=float)
    np.testing.assert_allclose(shown, right(5, np.random.RandomState(1)), rtol=1e-4)
    assert lines[2].startswith("20000 draws: 20000 distinct values, from ")
    assert "Kolmogorov-Smirnov test of r against U(" in lines[4]
    assert lines[-1] == "All tests passed."
