"""Every result the Normalizing Inputs notebook states, recomputed from the notebook's code."""

import functools

import numpy as np
import pytest

import nn_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, last_bit_growth, notebook_definitions

nb = notebook_definitions(NOTEBOOKS["normalizing_inputs"])
RATES = [10.0**k for k in range(-7, 0)] + [0.3]


@functools.cache
def make_data():
    rng = np.random.RandomState(0)
    m = 1000
    X = np.vstack([rng.normal(2000, 600, m), rng.normal(1.0, 0.3, m)])
    late = (X[0] - 2000) / 600 + (X[1] - 1.0) / 0.3 + rng.normal(0, 0.7, m) > 0
    Y = late.astype(int).reshape(1, m)
    mu, sigma = nb["fit_normalizer"](X[:, :600])
    return {
        "X": X[:, :600],
        "Y": Y[:, :600],
        "dev": X[:, 600:800],
        "dev_Y": Y[:, 600:800],
        "mu": mu,
        "sigma": sigma,
        "N": nb["normalize"](X[:, :600], mu, sigma),
        "centred": X[:, :600] - mu,
    }


@pytest.fixture(scope="module")
def data():
    return make_data()


def iteration_counts(inputs):
    """Section 3's search: iterations to a cost of 0.35 at each learning rate (None: never)."""
    data = make_data()
    return [nb["iterations_to"](0.35, data[inputs], data["Y"], rate)[0] for rate in RATES]


def network_at_the_best_rate():
    data = make_data()
    return nb["train"](data["N"], data["Y"], [2, 5, 2, 1], learning_rate=0.3, num_iterations=300,
                       seed=1)[0]  # fmt: skip


CITED_RUNS = {
    "raw counts": lambda: [-1 if n is None else n for n in iteration_counts("centred")],
    "normalized counts": lambda: [-1 if n is None else n for n in iteration_counts("N")],
    "network at the best rate": network_at_the_best_rate,
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def test_the_features_differ_in_scale_by_about_2000(data):
    assert 1500 < data["X"][0].std() / data["X"][1].std() < 2500


def test_normalizing_with_training_statistics_gives_0_and_1_on_train_only(data):
    np.testing.assert_allclose(data["N"].mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(data["N"].std(axis=1), 1, rtol=1e-12)
    dev = nb["normalize"](data["dev"], data["mu"], data["sigma"])
    assert np.all(np.abs(dev.mean(axis=1)) > 1e-3), "dev is transformed, not re-fitted"
    assert np.all(np.abs(dev.mean(axis=1)) < 0.2) and np.all(np.abs(dev.std(axis=1) - 1) < 0.1)


def test_one_example_normalized_by_its_own_statistics_becomes_zeros(data):
    one = data["dev"][:, :1]
    mu, sigma = nb["fit_normalizer"](one)
    assert not (one - mu).any() and not sigma.any()


def curvature_ratio(X):
    curvature = np.linalg.eigvalsh(X @ X.T / X.shape[1] / 4)
    return curvature[-1] / curvature[0], curvature[-1]


def test_the_raw_valley_is_millions_of_times_more_curved_and_normalized_round(data):
    raw_ratio, raw_top = curvature_ratio(data["centred"])
    normalized_ratio, normalized_top = curvature_ratio(data["N"])
    assert 3e6 < raw_ratio < 6e6 and normalized_ratio == pytest.approx(1.07, abs=0.01)
    assert 1e5 < raw_top / normalized_top < 1e6, "hundreds of thousands of times larger rates"


def test_at_the_minimum_the_normalized_bowl_is_4_6_times_longer_and_raw_millions(data):
    def ratio_at_minimum(X):
        w = nb["minimum"](X, data["Y"])
        assert np.linalg.norm(nb["logistic_cost_and_gradient"](w, X, data["Y"])[1]) < 1e-10
        curvature = np.linalg.eigvalsh(nb["hessian"](w, X))
        return curvature[-1] / curvature[0]

    assert round(ratio_at_minimum(data["N"]), 1) == 4.6
    assert f"{ratio_at_minimum(data['centred']):.1e}" == "7.3e+06"
    assert ratio_at_minimum(data["centred"]) / ratio_at_minimum(data["N"]) > 1e6, "a million"
    w_zero = np.linalg.eigvalsh(nb["hessian"](np.zeros((1, 2)), data["N"]))
    assert w_zero[-1] / w_zero[0] == pytest.approx(curvature_ratio(data["N"])[0], rel=1e-12)


def test_100_steps_barely_move_raw_and_nearly_converge_normalized(data):
    def descent(X, start, rate):
        path = nb["descend"](X, data["Y"], rate, 100, start)
        cost = [nb["logistic_cost_and_gradient"](path[[i]], X, data["Y"])[0] for i in (0, -1)]
        return path, cost

    raw_path, raw_cost = descent(
        data["centred"], [0.003, -8.0], 1.9 / curvature_ratio(data["centred"])[1]
    )
    _, normalized_cost = descent(data["N"], [-1.0, -1.5], 1.9 / curvature_ratio(data["N"])[1])
    assert raw_cost == [pytest.approx(1.489, abs=5e-4), pytest.approx(1.481, abs=5e-4)]
    assert np.ptp(raw_path[:, 1]) < 1e-3, "the path stays at the same w2"
    assert normalized_cost == [pytest.approx(1.619, abs=5e-4), pytest.approx(0.326, abs=5e-4)]


def test_raw_inputs_never_reach_the_target_and_normalized_take_300_iterations():
    assert cited("raw counts") == [-1] * len(RATES)
    normalized = dict(zip(RATES, cited("normalized counts")))
    assert normalized[0.3] == 300 and normalized[0.1] == 850
    assert min(n for n in normalized.values() if n > 0) == 300


def test_beyond_0_3_the_normalized_run_bounces_and_turns_chaotic(data):
    """Why the search stops at 0.3: at 0.5 the cost goes up between steps, and a last-bit change
    of the starting weights grows into another network."""
    costs = []

    def step(parameters):
        AL, caches = nn_utils.forward_propagation(data["N"], parameters)
        costs.append(nn_utils.compute_cost(AL, data["Y"]))
        grads = nn_utils.backward_propagation(AL, data["Y"], caches, parameters)
        return {k: v - 0.5 * grads["d" + k] for k, v in parameters.items()}

    start = nn_utils.initialize_parameters_deep([2, 5, 2, 1], "he", seed=1)
    (growth,) = last_bit_growth(step, start, [5000])
    assert np.any(np.diff(costs[::2]) > 0), "the cost goes up on some steps"
    assert growth > 1e-6


def test_raw_inputs_start_at_13_and_dead_relus_leave_the_cost_at_ln2(data):
    """Section 3's last lines, from the search's own runs (no training twice)."""
    runs = {rate: nb["iterations_to"](0.35, data["centred"], data["Y"], rate) for rate in RATES}
    assert round(runs[1e-7][1]["train_cost"][0], 1) == 13.1
    assert round(runs[1e-7][1]["train_cost"][-1], 1) == 12.6, "barely moves"
    for rate, (_, history, parameters) in runs.items():
        _, caches = nn_utils.forward_propagation(data["centred"], parameters)
        alive = (caches[1].Z > 0).any(axis=1).sum()
        if rate >= 1e-6:
            assert history["train_cost"][-1] == pytest.approx(np.log(2), abs=2e-3)
        assert alive == (0 if rate >= 1e-3 else 1)


def test_the_conclusions_reuse_the_search_run_at_300_iterations_without_retraining(data):
    """The parameters the search recorded at iteration 300 are those of a 300-iteration run."""
    count, history, _ = nb["iterations_to"](0.35, data["N"], data["Y"], 0.3)
    recorded = history["parameters"][history["iteration"].index(count)]
    fresh = cited("network at the best rate")
    assert count == 300 and all(np.array_equal(recorded[k], fresh[k]) for k in fresh)


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
