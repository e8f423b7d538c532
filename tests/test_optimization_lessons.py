"""Every result the Optimization Methods notebook states, recomputed from the notebook's code."""

import functools

import numpy as np
import pytest

import opt_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, notebook_definitions, run_quietly

nb = notebook_definitions(NOTEBOOKS["optimization"])
nb["train_X"], nb["train_Y"] = opt_utils.load_dataset()
LAYERS = [2, 5, 2, 1]


def train(optimizer, **kwargs):
    """The notebook's model: the trained parameters."""
    return run_quietly(
        nb["model"], nb["train_X"], nb["train_Y"], LAYERS, optimizer, print_cost=False, **kwargs
    )[0]


OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")
RATES = np.geomspace(0.01, 1.0, 21)  # section 7's grid of learning rates

# Every run whose numbers the notebook prints: the eight models, the three batch sizes, the paths.
CITED_RUNS = {
    "gd": lambda: train("gd"),
    "momentum": lambda: train("momentum", beta=0.9),
    "rmsprop": lambda: train("rmsprop"),
    "adam": lambda: train("adam"),
    "gd, update_lr": lambda: train("gd", learning_rate=0.1, decay=nb["update_lr"]),
    "gd, schedule": lambda: train("gd", learning_rate=0.1, decay=nb["schedule_lr_decay"]),
    "momentum, schedule": lambda: train(
        "momentum", learning_rate=0.1, decay=nb["schedule_lr_decay"]
    ),
    "adam, schedule": lambda: train("adam", learning_rate=0.01, decay=nb["schedule_lr_decay"]),
    **{f"batch size {n}": functools.partial(nb["train_recording"], n) for n in (300, 64, 1)},
    "paths": lambda: [
        [np.linalg.norm(nb["path"](opt, rate)[-1]) for rate in RATES] for opt in OPTIMIZERS
    ],
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


@pytest.fixture(scope="module")
def runs():
    """(training accuracy, training cost) of each of the notebook's models."""
    results = {}
    for name in list(CITED_RUNS)[:8]:
        parameters = cited(name)
        cost = opt_utils.compute_cost(
            opt_utils.forward_propagation(nb["train_X"], parameters)[0], nb["train_Y"]
        )
        results[name] = (nb["accuracy"](parameters), cost)
    return results


def test_gd_and_momentum_stay_near_72_percent_and_adam_reaches_94(runs):
    assert runs["gd"][0] == pytest.approx(0.7167, abs=1e-4)
    assert runs["momentum"][0] == pytest.approx(0.7167, abs=1e-4)
    assert runs["adam"][0] == pytest.approx(0.9433, abs=1e-4)
    assert runs["rmsprop"][0] == pytest.approx(0.9433, abs=1e-4)
    assert runs["gd"][1] > 0.55 and runs["momentum"][1] > 0.55
    assert abs(runs["gd"][1] - runs["momentum"][1]) < 0.01, "momentum barely differs"
    assert runs["adam"][1] == pytest.approx(0.13, abs=0.01)
    assert runs["rmsprop"][1] == pytest.approx(0.13, abs=0.01)


def test_adam_beats_gradient_descent_on_train_accuracy_in_the_same_epochs(runs):
    assert runs["adam"][0] > runs["gd"][0] + 0.2


def test_inverse_time_decay_collapses_the_rate_and_the_schedule_matches_adam(runs):
    assert runs["gd, update_lr"][0] == pytest.approx(0.6533, abs=1e-4)
    assert nb["update_lr"](0.1, 4999, 1) == pytest.approx(2e-5)
    assert runs["gd, schedule"][0] == pytest.approx(0.9433, abs=1e-4)
    assert runs["momentum, schedule"][0] == pytest.approx(0.9533, abs=1e-4)
    assert runs["adam, schedule"][0] == pytest.approx(0.94, abs=1e-4)
    assert runs["adam, schedule"][0] <= runs["adam"][0], "Adam gains nothing from the schedule"
    assert 0.1 / 0.0007 == pytest.approx(140, rel=0.03)
    rates = [nb["schedule_lr_decay"](0.1, epoch, 1) for epoch in (0, 999, 1000, 2000, 3000, 4000)]
    assert rates[0] == rates[1] == 0.1 and rates[-1] == pytest.approx(0.1 / 5)
    factors = [later / earlier for earlier, later in zip(rates[1:], rates[2:], strict=False)]
    assert factors == pytest.approx([1 / 2, 2 / 3, 3 / 4, 4 / 5]), "halved only at the first step"
    assert nb["schedule_lr_decay"](0.1, 4999, 1) == pytest.approx(0.1 / 5)


def test_more_steps_per_epoch_means_more_progress_per_epoch():
    runs = {size: cited(f"batch size {size}") for size in (300, 64, 1)}
    final = {size: per_epoch[-1] for size, (per_epoch, _) in runs.items()}
    assert final[1] < final[64] < final[300]
    assert final[1] < 0.2 and final[300] > 0.68, "stochastic far ahead, batch nearly unmoved"
    assert [len(per_step) for _, per_step in runs.values()] == [100, 500, 30000]
    noise = {size: np.std(np.diff(per_step[:300])) for size, (_, per_step) in runs.items()}
    assert noise[1] > noise[64] > noise[300], (
        "the cost each step sees is noisier for small batches"
    )


def test_bias_correction_fixes_the_start_and_larger_beta_lags_more():
    rng = np.random.RandomState(0)
    days = np.arange(1, 366)
    season = 12 - 10 * np.cos(2 * np.pi * (days - 15) / 365)
    temperature = season + rng.normal(0, 3, size=days.size)
    raw_98 = nb["ewa"](temperature, 0.98)
    corrected = nb["ewa"](temperature, 0.98, correct=True)
    week = temperature[:7].mean()
    assert raw_98[:7].mean() < week / 5, "uncorrected, the first weeks sit near zero"
    assert abs(corrected[:7].mean() - week) < 1.0
    assert np.allclose(corrected[-30:], raw_98[-30:], rtol=2e-3), (
        "no difference once beta**t is tiny"
    )
    peak = days[season.argmax()]
    lag_90 = days[nb["ewa"](temperature, 0.9).argmax()] - peak
    lag_98 = days[raw_98.argmax()] - peak
    assert 5 <= lag_90 <= 12 and 33 <= lag_98 <= 47


def test_the_optimizer_paths_on_the_valley_each_at_its_best_rate():
    with np.errstate(over="ignore", invalid="ignore"):
        finals = dict(zip(OPTIMIZERS, np.array(cited("paths"))))
    best = {opt: RATES[int(np.nanargmin(d))] for opt, d in finals.items()}
    assert {opt: round(rate, 3) for opt, rate in best.items()} == {
        "gd": 0.063, "momentum": 0.398, "rmsprop": 0.501, "adam": 0.631
    }  # fmt: skip
    paths = {opt: nb["path"](opt, rate) for opt, rate in best.items()}

    def sign_changes(points):
        return int(np.sum(np.diff(np.sign(points[:, 1])) != 0))

    distance = {opt: round(float(np.linalg.norm(p[-1])), 2) for opt, p in paths.items()}
    assert distance == {"gd": 0.66, "momentum": 0.25, "rmsprop": 0.0, "adam": 0.23}
    converges = {opt: RATES[d < np.hypot(9, 2)].max() for opt, d in finals.items()}
    assert round(converges["gd"], 4) == 0.0794 < 2 / 25 < RATES[RATES > 0.08].min()
    assert all(converges[opt] == 1.0 for opt in ("momentum", "rmsprop", "adam"))
    assert 1.0 / (2 / 25) == 12.5, "twelve times gradient descent's limit"
    assert sign_changes(paths["gd"]) == 40
    assert paths["momentum"][:, 0].max() == pytest.approx(3.9, abs=0.05), "overshoots by 4"
    assert finals["momentum"][RATES >= 0.05].max() < 1.3
    assert abs(paths["rmsprop"][3, 1]) < 0.02, "on the valley floor in three steps"
    assert sign_changes(paths["rmsprop"]) == 35 and np.abs(paths["rmsprop"][3:, 1]).max() < 0.02
    assert paths["adam"][:, 0].max() == pytest.approx(1.8, abs=0.05)
    assert sign_changes(paths["adam"]) == 4


def test_momentum_steady_step_equals_gradient_descent_on_a_constant_slope():
    """v = beta v + (1 - beta) dW settles at dW: the same step as gradient descent."""
    parameters = {"W1": np.zeros((1, 2)), "b1": np.zeros((1, 1))}
    grads = {"dW1": np.array([[1.0, -2.0]]), "db1": np.zeros((1, 1))}
    v = nb["initialize_velocity"](parameters)
    for _ in range(200):
        before = parameters["W1"].copy()
        parameters, v = nb["update_parameters_with_momentum"](parameters, grads, v, 0.9, 0.1)
    np.testing.assert_allclose(before - parameters["W1"], 0.1 * grads["dW1"], rtol=1e-8)


def test_few_random_critical_points_are_minima_and_fewer_than_coin_flips():
    rng = np.random.RandomState(0)
    counts = {}
    for n in (1, 2, 3, 5, 10):
        H = rng.randn(5000, n, n)
        H = (H + H.transpose(0, 2, 1)) / 2
        counts[n] = int((np.linalg.eigvalsh(H) > 0).all(axis=1).sum())
    assert counts == {1: 2458, 2: 700, 3: 122, 5: 0, 10: 0}
    assert round(122 / 5000, 3) == 0.024, "2.4% in three dimensions"
    assert all(counts[n] < 5000 * 2.0**-n for n in (2, 3, 5)), "fewer than the coin flips"


def test_adam_leaves_the_saddle_at_once_and_momentum_is_slower_than_gradient_descent():
    runs = {opt: nb["leave_the_saddle"](opt) for opt in ("gd", "momentum", "adam")}
    plateau = {opt: int(np.sum(np.abs(c) < 1e-3)) for opt, c in runs.items()}
    arrival = {opt: int(np.argmax(c < -0.2)) for opt, c in runs.items()}
    assert plateau == {"gd": 76, "momentum": 117, "adam": 0}
    assert arrival == {"gd": 146, "momentum": 223, "adam": 19}
    assert runs["gd"][0] == pytest.approx(2.0) and all(
        c[-1] == pytest.approx(-0.25, abs=1e-3) for c in runs.values()
    )
    assert np.log(1e6) / np.log(1.1) == pytest.approx(145, abs=1), "w2 grows by 1.1 per step"


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
