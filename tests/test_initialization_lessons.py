"""Every result the Initialization notebook states, recomputed from the notebook's own code."""

import functools

import numpy as np
import pytest

import init_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import (
    NOTEBOOKS,
    last_bit_growth,
    notebook_definitions,
    printed_costs,
    run_quietly,
)

LN2 = np.log(2)


nb = notebook_definitions(NOTEBOOKS["initialization"])
nb.update(zip(("train_X", "train_Y", "test_X", "test_Y"), init_utils.load_dataset()))


@functools.cache
def trained(name):
    """Train the notebook's model once per initialization, called as the notebook calls it:
    (parameters, what it printed)."""
    printing = {"random": {"print_every": 15000}, "xavier": {"print_cost": False}}
    return run_quietly(
        nb["model"], nb["train_X"], nb["train_Y"], initialization=name, **printing.get(name, {})
    )


def final_cost(parameters):
    return init_utils.compute_loss(
        init_utils.forward_propagation(nb["train_X"], parameters)[0], nb["train_Y"]
    )


def what_is_printed_of_the_random_run():
    """The large random run is chaotic: the notebook prints only what holds on every CPU."""
    parameters, printed = trained("random")
    return (*printed_costs(printed), nb["accuracy"](parameters, nb["train_X"], nb["train_Y"]),
            nb["accuracy"](parameters, nb["test_X"], nb["test_Y"]),
            round(final_cost(parameters), 3))  # fmt: skip


CITED_RUNS = {
    "zeros": lambda: trained("zeros")[0],
    "he": lambda: trained("he")[0],
    "xavier": lambda: trained("xavier")[0],
    "random, as printed": what_is_printed_of_the_random_run,
}


@pytest.fixture(scope="module")
def runs():
    """Printed costs and accuracies of the notebook's model for each initialization."""
    results = {}
    for name in ("zeros", "random", "he", "xavier"):
        parameters, printed = trained(name)
        results[name] = {
            "parameters": parameters,
            "costs": printed_costs(printed),
            "train": nb["accuracy"](parameters, nb["train_X"], nb["train_Y"]),
            "test": nb["accuracy"](parameters, nb["test_X"], nb["test_Y"]),
        }
    return results


def test_zero_initialization_never_moves_from_ln2_and_stays_at_50_percent(runs):
    zeros = runs["zeros"]
    assert len(zeros["costs"]) == 15
    np.testing.assert_allclose(zeros["costs"], LN2, rtol=0, atol=5e-7)  # printed to 6 decimals
    assert zeros["train"] == 0.5 and zeros["test"] == 0.5
    for l in (1, 2, 3):
        assert not np.any(zeros["parameters"][f"W{l}"]), f"W{l} moved away from zero"
    assert abs(zeros["parameters"]["b3"].item()) < 1e-12


def test_zero_initialization_predicts_one_class_everywhere(runs):
    a3, _ = init_utils.forward_propagation(nb["train_X"], runs["zeros"]["parameters"])
    assert np.all(a3 == 0.5)
    assert init_utils.compute_loss(a3, nb["train_Y"]) == pytest.approx(LN2, rel=1e-15)
    predictions = init_utils.predict_dec(runs["zeros"]["parameters"], nb["train_X"])
    assert np.unique(predictions).tolist() == [False]


def test_constant_initialization_never_breaks_symmetry_and_a_nudge_does():
    symmetric = nb["constant_initialization"]([2, 10, 5, 1], 0.5)
    history = nb["first_layer_trajectories"](symmetric)
    assert history.shape == (2000, 10)
    # Zero, or on some BLAS kernels (OpenBLAS's generic one) a difference in the last bit.
    assert np.ptp(history, axis=1).max() < 1e-15, "the hidden units became different"
    assert np.ptp(history[0]) < 1e-15 and np.ptp(history[-1] - history[0]) < 1e-15
    rng = np.random.RandomState(1)
    nudged = {
        k: v + 0.01 * rng.randn(*v.shape) if k[0] == "W" else v for k, v in symmetric.items()
    }
    assert np.ptp(nb["first_layer_trajectories"](nudged)[-1]) > 0.01


def test_constant_initialization_is_your_zeros_plus_the_value():
    parameters = nb["constant_initialization"]([2, 10, 5, 1], 0.5)
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l, (rows, columns) in enumerate([(10, 2), (5, 10), (1, 5)], start=1):
        np.testing.assert_array_equal(parameters[f"W{l}"], np.full((rows, columns), 0.5))
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((rows, 1)))


def test_xavier_is_hes_draws_with_half_the_variance():
    """Var(W) = 1 / n[l-1]: He's draws (seed 3) times sqrt(1/2)."""
    dims = [2, 10, 5, 1]
    xavier, he = nb["initialize_parameters_xavier"](dims), nb["initialize_parameters_he"](dims)
    rng = np.random.RandomState(3)
    for l in range(1, len(dims)):
        draws = rng.randn(dims[l], dims[l - 1])
        np.testing.assert_allclose(xavier[f"W{l}"], draws * np.sqrt(1 / dims[l - 1]), rtol=1e-15)
        np.testing.assert_allclose(xavier[f"W{l}"], he[f"W{l}"] * np.sqrt(0.5), rtol=1e-15)
        np.testing.assert_array_equal(xavier[f"b{l}"], np.zeros((dims[l], 1)))


@pytest.mark.parametrize(
    "given, exercise",
    [
        (lambda: nb["constant_initialization"]([2, 3, 1], 0.5), "initialize_parameters_zeros"),
        (lambda: nb["initialize_parameters_xavier"]([2, 3, 1]), "initialize_parameters_he"),
    ],
    ids=["constant", "xavier"],
)
def test_the_given_initializations_need_your_exercise(monkeypatch, given, exercise):
    """They hold no answer (issue #25): without the exercise they raise."""

    def not_done(layers_dims):
        raise NotImplementedError

    monkeypatch.setitem(nb, exercise, not_done)
    with pytest.raises(NotImplementedError):
        given()


def test_large_random_initialization_reaches_the_courses_83_and_86_percent(runs):
    assert runs["random"]["train"] == pytest.approx(0.83, abs=0.005)
    assert runs["random"]["test"] == pytest.approx(0.86, abs=0.005)


def test_large_random_initialization_starts_with_a_huge_cost(runs):
    first_random, first_he = runs["random"]["costs"][0], runs["he"]["costs"][0]
    assert first_random > 18, "the notebook says the first cost is above 18"
    assert first_he == pytest.approx(0.88, abs=0.005)
    assert first_random > 20 * LN2


def test_large_random_cost_is_the_share_of_saturated_mistakes_times_53_ln2():
    parameters = nb["initialize_parameters_random"]([2, 10, 5, 1])
    X, Y = nb["train_X"], nb["train_Y"]
    a3, cache = init_utils.forward_propagation(X, parameters)
    Z3 = cache.Z3
    saturated = (a3 == 0) | (a3 == 1)
    wrong = saturated & (a3 != Y)
    assert 1000 < np.median(np.abs(Z3)) < 10000, "the notebook says Z3 lands in the thousands"
    assert saturated.all()
    assert wrong.mean() == pytest.approx(0.5, abs=0.05)
    assert init_utils.compute_loss(a3, Y) == pytest.approx(wrong.mean() * 53 * LN2, rel=1e-12)
    exact = np.mean(np.where(Y == 1, np.logaddexp(0, -Z3), np.logaddexp(0, Z3)))
    assert exact > init_utils.compute_loss(a3, Y)


def test_large_random_ends_with_about_six_times_hes_cost(runs):
    ratio = final_cost(runs["random"]["parameters"]) / final_cost(runs["he"]["parameters"])
    assert 5.5 < ratio < 6.5


def step(parameters):
    """One iteration of the notebook's model (learning rate 0.01)."""
    a3, cache = init_utils.forward_propagation(nb["train_X"], parameters)
    grads = init_utils.backward_propagation(nb["train_X"], nb["train_Y"], cache)
    return init_utils.update_parameters(parameters, grads, 0.01)


def test_large_random_cost_drops_fast_in_1000_iterations_then_slowly(runs):
    parameters = nb["initialize_parameters_random"]([2, 10, 5, 1])
    for _ in range(1000):
        parameters = step(parameters)
    after_1000 = final_cost(parameters)
    assert after_1000 < 1, "from 18.4 to below 1 in the first thousand iterations"
    assert final_cost(runs["random"]["parameters"]) > after_1000 / 2, "then slowly"


def test_large_random_prints_only_its_first_cost(runs):
    assert runs["random"]["costs"] == [pytest.approx(18.3684, abs=5e-5)]
    assert len(runs["he"]["costs"]) == 15


def test_the_large_random_start_turns_a_last_bit_change_into_another_run():
    """A change of one part in 1e16 of the starting weights grows beyond one part in 1e4 within
    300 iterations, and the runs still differ after 15000: the notebook says so, and prints
    only the first cost of this run."""
    start = nb["initialize_parameters_random"]([2, 10, 5, 1])
    after_300, after_15000 = last_bit_growth(step, start, [300, 15000])
    assert after_300 > 1e-4 and after_15000 > 1e-5


def test_he_initialization_reaches_the_courses_99_3_and_96_percent(runs):
    assert runs["he"]["train"] == pytest.approx(0.993, abs=0.0005)
    assert runs["he"]["test"] == pytest.approx(0.96, abs=0.005)


def test_he_beats_large_random_initialization_on_test_accuracy(runs):
    assert runs["he"]["test"] > runs["random"]["test"] + 0.05


def test_xavier_trains_well_but_he_ends_ahead_on_the_test_set(runs):
    assert runs["xavier"]["train"] >= 0.98
    assert runs["he"]["test"] > runs["xavier"]["test"]


def test_he_initialization_has_the_courses_first_weights():
    np.testing.assert_allclose(
        nb["initialize_parameters_he"]([2, 4, 1])["W1"],
        [
            [1.78862847, 0.43650985],
            [0.09649747, -1.8634927],
            [-0.2773882, -0.35475898],
            [-0.08274148, -0.62700068],
        ],
        atol=5e-9,
    )


@pytest.mark.parametrize("name", ["zeros", "random", "he"])
def test_initializers_reject_a_non_positive_layer_size(name):
    with pytest.raises(ValueError, match=r"layers_dims\[1\] must be a positive layer size"):
        nb[f"initialize_parameters_{name}"]([2, 0, 1])


def test_model_rejects_an_unknown_initialization():
    with pytest.raises(ValueError, match="initialization must be zeros, random, he or xavier"):
        nb["model"](nb["train_X"], nb["train_Y"], initialization="ones")


def test_deep_relu_network_vanishes_explodes_or_keeps_its_spread_by_scale():
    width = 100
    spread = {
        name: nb["activation_spread"](scale, width=width)
        for name, scale in {
            "small": 0.01,
            "large": 1.0,
            "xavier": np.sqrt(1 / width),
            "he": np.sqrt(2 / width),
        }.items()
    }
    per_layer = {name: (s[-1] / s[0]) ** (1 / 10) for name, s in spread.items()}
    # Equation (5): the per-layer factor on the standard deviation is scale * sqrt(n / 2).
    assert per_layer["small"] == pytest.approx(0.01 * np.sqrt(width / 2), rel=0.1)
    assert per_layer["large"] == pytest.approx(np.sqrt(width / 2), rel=0.1)
    assert per_layer["xavier"] == pytest.approx(1 / np.sqrt(2), rel=0.1)
    assert spread["small"][-1] / spread["small"][0] < 1e-10
    assert spread["large"][-1] / spread["large"][0] > 1e7
    assert 0.01 < spread["xavier"][-1] / spread["xavier"][0] < 0.1
    assert 0.5 < spread["he"][-1] / spread["he"][0] < 2
    assert np.all(spread["he"] / spread["he"][0] > 0.5) and np.all(
        spread["he"] / spread["he"][0] < 2
    )


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: run() for name, run in CITED_RUNS.items()}, elsewhere)
