"""Every result the Train/Dev/Test and Bias/Variance notebook states, recomputed."""

import functools

import numpy as np
import pytest
import sklearn.datasets

from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, notebook_definitions

nb = notebook_definitions(NOTEBOOKS["train_dev_test_bias_variance"])
points, labels = sklearn.datasets.make_moons(n_samples=1000, noise=0.35, random_state=0)
X, Y = points.T, labels.reshape(1, -1)
order = np.random.RandomState(1).permutation(1000)
for name, idx in (("train", order[:600]), ("dev", order[600:800]), ("test", order[800:])):
    nb[f"{name}_X"], nb[f"{name}_Y"] = X[:, idx], Y[:, idx]


nb["fitted"] = {}  # the notebook's own memo: each network is trained once per process
fit = nb["fit"]


def test_a_network_is_trained_once_and_reused_by_the_sections_after():
    first = fit([2, 1, 1], m=50)
    assert fit((2, 1, 1), 50, 0.0) is first


# Every network the notebook trains and reports on.
CITED_RUNS = {
    f"{layers} m={m} lambd={lambd}": functools.partial(fit, layers, m, lambd)
    for layers, m, lambd in [
        *(((2, 1, 1), 50, 0.0), ((2, 3, 1), 50, 0.0), ((2, 16, 1), 50, 0.0)),
        *(((2, 32, 32, 1), m, 0.0) for m in (25, 50, 100, 200, 400, 600)),
        ((2, 32, 32, 1), 50, 0.1),
        ((2, 32, 32, 1), 50, 1.0),
        ((2, 16, 1), 600, 0.0),
        ((2, 32, 32, 1), 600, 0.1),
    ]
}


def close(train_error, dev_error):
    """Errors on 50-600 and 200 examples are multiples of 0.1% or more: compare to 1e-9."""
    return pytest.approx((train_error, dev_error), abs=1e-9)


def test_the_split_is_600_200_200_with_balanced_classes():
    shares = [nb[f"{name}_Y"].mean() for name in ("train", "dev", "test")]
    assert [nb[f"{name}_Y"].shape[1] for name in ("train", "dev", "test")] == [600, 200, 200]
    assert shares == pytest.approx([0.50, 0.55, 0.45], abs=0.0051)  # printed to two decimals


def test_a_small_share_of_a_big_data_set_measures_the_error_precisely():
    def se(n):
        return np.sqrt(0.1 * 0.9 / n)

    assert se(200) == pytest.approx(0.0212, abs=1e-4) and se(10_000) == pytest.approx(0.003)


@pytest.fixture(scope="module")
def fits():
    sizes = {"1": (2, 1, 1), "3": (2, 3, 1), "16": (2, 16, 1), "2x32": (2, 32, 32, 1)}
    return {name: fit(layers)[:2] for name, layers in sizes.items()}


STANDARD_ERROR = np.sqrt(0.1 * 0.9 / 200)  # of a dev error near 10% on 200 examples


@pytest.fixture(scope="module")
def floor():
    value, error = nb["bayes_error"]()
    assert round(value, 3) == 0.113 and round(error, 3) == 0.001  # as printed
    return value


def test_the_floor_is_the_error_of_the_best_possible_classifier(floor):
    """Checked another way: the Bayes classifier's own mistakes on fresh make_moons data."""
    points, labels = sklearn.datasets.make_moons(n_samples=20000, noise=0.35, random_state=7)
    t = (np.arange(1000) + 0.5) * np.pi / 1000
    outer = np.stack([np.cos(t), np.sin(t)])
    inner = np.stack([1 - np.cos(t), 0.5 - np.sin(t)])
    density = [
        np.exp(-((points[:, :, None] - c) ** 2).sum(axis=1) / (2 * 0.35**2)).mean(axis=1)
        for c in (outer, inner)
    ]
    mistakes = np.mean((density[1] > density[0]) != labels)
    assert abs(mistakes - floor) < 3 * np.sqrt(floor * (1 - floor) / 20000)


def test_the_small_network_has_high_bias_and_the_big_one_high_variance(fits):
    assert fits["1"] == close(0.16, 0.17), "training error far above the floor, dev close to it"
    assert fits["3"] == close(0.10, 0.16)
    assert fits["16"] == close(0.08, 0.115)
    assert fits["2x32"] == close(0.0, 0.12), "no training error, 12 points worse on dev"
    assert abs(fits["16"][1] - 0.113) < STANDARD_ERROR, "16 units: dev error at the floor"
    assert fits["2x32"][0] < 0.113 - 0.1, "training error far below the floor"


def test_the_learning_curve_rises_in_training_and_falls_in_dev_to_the_floor(floor):
    curve = {m: fit((2, 32, 32, 1), m=m)[:2] for m in (25, 50, 100, 200, 400, 600)}
    assert curve[600][0] < floor < curve[600][1], "closing in on the floor from either side"
    assert curve[600][1] - floor < STANDARD_ERROR, "the dev error within one standard error"
    assert curve[25][1] - curve[600][1] == pytest.approx(0.08), "more data: 8 points off dev"
    assert curve[25][1] - curve[600][1] > 3.5 * STANDARD_ERROR, "four standard errors"
    train = [curve[m][0] for m in curve]
    assert (
        train == sorted(train) and train[0] == 0 and train[-1] == pytest.approx(0.0933, abs=1e-3)
    )
    assert curve[25][1] == pytest.approx(0.205) and curve[100][1] == pytest.approx(0.11)
    assert all(0.10 <= curve[m][1] <= 0.125 for m in (100, 200, 400, 600))
    assert curve[600][1] - curve[600][0] == pytest.approx(0.032, abs=1e-3), "the gap closes to 3"


def test_the_recipe_branches_do_what_the_text_says(fits):
    assert fits["1"][0] / fits["16"][0] == pytest.approx(2), "a bigger network halves it"
    assert fits["1"][1] - fits["16"][1] == pytest.approx(0.055)
    light = fit((2, 32, 32, 1), lambd=0.1)[:2]
    heavy = fit((2, 32, 32, 1), lambd=1.0)[:2]
    assert light == close(0.04, 0.095) and light[1] - light[0] == pytest.approx(0.055)
    assert heavy == close(0.16, 0.165), "too much regularization turns variance into bias"
    assert light[1] < 0.113 and fits["2x32"][1] - light[1] < 1.3 * STANDARD_ERROR


def test_the_final_model_is_chosen_on_dev_and_measured_once_on_test():
    final = {
        "16 units": fit((2, 16, 1), m=600),
        "2 x 32 units": fit((2, 32, 32, 1), m=600),
        "2 x 32 units, lambd 0.1": fit((2, 32, 32, 1), m=600, lambd=0.1),
    }
    chosen = min(final, key=lambda name: final[name][1])
    assert chosen == "2 x 32 units, lambd 0.1" and final[chosen][1] == pytest.approx(0.105)
    test_error = nb["errors"](final[chosen][2], nb["test_X"], nb["test_Y"])
    assert test_error == pytest.approx(0.13) and test_error - final[chosen][1] == pytest.approx(
        0.025
    )


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: run() for name, run in CITED_RUNS.items()}, elsewhere)
