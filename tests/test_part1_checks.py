"""The Initialization checks pass the notebook's solutions and explain the classic mistakes."""

import numpy as np
import pytest

from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, notebook_definitions


@pytest.fixture(scope="module")
def checks():
    return load_module(PART_DIRS["init_utils"] / "testCases.py", "part1_testCases")


@pytest.fixture(scope="module")
def nb():
    return notebook_definitions(NOTEBOOKS["initialization"])


def drawn(scale, order=None):
    """An initializer drawing W[l] = randn(n[l], n[l-1]) * scale(dims, l) from RandomState(3)."""

    def initialize(layers_dims):
        rng = np.random.RandomState(3)
        parameters = {}
        for l in order or range(1, len(layers_dims)):
            parameters[f"W{l}"] = rng.randn(layers_dims[l], layers_dims[l - 1]) * scale(
                layers_dims, l
            )
            parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
        return parameters

    return initialize


def test_the_course_style_global_seed_also_passes(checks, capsys):
    def initialize_parameters_he(layers_dims):
        saved = np.random.get_state()
        np.random.seed(3)
        parameters = {}
        for l in range(1, len(layers_dims)):
            scale = np.sqrt(2.0 / layers_dims[l - 1])
            parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
            parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
        np.random.set_state(saved)
        return parameters

    checks.initialize_parameters_he_test(initialize_parameters_he)
    assert capsys.readouterr().out.endswith("\nAll tests passed.\n")


MISTAKES = [
    ("he", drawn(lambda d, l: np.sqrt(2 / d[l])), "use the previous layer's size n\\[l-1\\]"),
    ("he", drawn(lambda d, l: np.sqrt(1 / d[l - 1])), "Xavier's scale"),
    ("he", drawn(lambda d, l: 2 / d[l - 1]), "without the square root"),
    ("random", drawn(lambda d, l: 1.0), "the unscaled draws"),
    ("random", drawn(lambda d, l: 0.01), "scaled by 0.01 instead of 10"),
    (
        "random",
        lambda d: {k: v.T if k[0] == "W" else v for k, v in drawn(lambda d, l: 10.0)(d).items()},
        "transposed",
    ),
    (
        "random",
        lambda d: {**drawn(lambda d, l: 10.0)(d), "b1": np.ones((d[1], 1))},
        "b1 must be all zeros",
    ),
    (
        "random",
        lambda d: {k: v for k, v in drawn(lambda d, l: 10.0)(d).items() if k != "b2"},
        r"missing \['b2'\]",
    ),
    (
        "random",
        lambda d: {
            k: np.random.randn(*v.shape) * 10 if k[0] == "W" else v
            for k, v in drawn(lambda d, l: 10.0)(d).items()
        },
        "seed the generator with 3",
    ),
    ("he", drawn(lambda d, l: np.sqrt(2 / d[l - 1]), order=[2, 1]), "not the expected draws"),
    (
        "zeros",
        lambda d: {**drawn(lambda d, l: 0.0)(d), "W1": np.ones((d[1], d[0]))},
        "W1 must be all zeros",
    ),
    ("zeros", lambda d: [np.zeros(2)], "must return a dict"),
]


@pytest.mark.parametrize("name, initializer, diagnosis", MISTAKES)
def test_a_classic_mistake_fails_with_a_diagnosis(checks, name, initializer, diagnosis):
    initializer.__name__ = f"initialize_parameters_{name}"
    with pytest.raises(AssertionError, match=diagnosis) as failed:
        getattr(checks, f"initialize_parameters_{name}_test")(initializer)
    assert str(failed.value).count(", which is") <= 1, "one diagnosis, not several at once"
