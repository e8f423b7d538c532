"""Every result the Regularization notebook states, recomputed from the notebook's own code."""

import numpy as np
import pytest

import reg_utils
from tests.helpers import NOTEBOOKS, notebook_definitions, printed_costs, run_quietly

LAMBDS = [0, 0.1, 0.3, 0.7, 1.5, 3, 10]
KEEP_PROBS = [1, 0.95, 0.86, 0.7, 0.5]


@pytest.fixture(scope="module")
def nb():
    namespace = notebook_definitions(NOTEBOOKS["reg_utils"])
    data = reg_utils.load_2D_dataset()
    namespace.update(zip(("train_X", "train_Y", "test_X", "test_Y"), data))
    return namespace


def scores(nb, parameters):
    return (
        nb["accuracy"](parameters, nb["train_X"], nb["train_Y"]),
        nb["accuracy"](parameters, nb["test_X"], nb["test_Y"]),
    )


@pytest.fixture(scope="module")
def sweeps(nb):
    """(train, test, parameters, printed costs) for every value of the notebook's two sweeps."""
    results = {}
    for name, values in (("lambd", LAMBDS), ("keep_prob", KEEP_PROBS)):
        for value in values:
            if (name, value) == ("keep_prob", 1):
                results[name, value] = results["lambd", 0]
                continue
            parameters, printed = run_quietly(
                nb["model"], nb["train_X"], nb["train_Y"], **{name: value}
            )
            costs = printed_costs(printed)
            results[name, value] = (*scores(nb, parameters), parameters, costs)
    return results


def test_the_unregularized_network_overfits_98_to_79(sweeps):
    train, test, *_ = sweeps["lambd", 0]
    assert (train, test) == (pytest.approx(0.98), pytest.approx(0.79))


def test_l2_with_lambd_0_7_gives_91_and_87_5(sweeps):
    assert sweeps["lambd", 0.7][:2] == (pytest.approx(0.91), pytest.approx(0.875))


def test_dropout_with_keep_prob_0_86_gives_93_5_and_88(sweeps):
    assert sweeps["keep_prob", 0.86][:2] == (pytest.approx(0.935), pytest.approx(0.88))


@pytest.mark.parametrize("setting", [("lambd", 0.7), ("keep_prob", 0.86)])
def test_regularization_raises_test_accuracy_and_shrinks_the_gap(sweeps, setting):
    train0, test0, *_ = sweeps["lambd", 0]
    train, test, *_ = sweeps[setting]
    assert test >= test0 + 0.05, "test accuracy should rise clearly"
    assert train < train0, "training accuracy should fall"
    assert train - test < (train0 - test0) / 3, "the gap should shrink to a few points"


@pytest.mark.parametrize("name, values", [("lambd", LAMBDS), ("keep_prob", KEEP_PROBS)])
def test_sweep_trades_training_accuracy_for_a_smaller_gap(sweeps, name, values):
    train = [sweeps[name, v][0] for v in values]
    gap = [sweeps[name, v][0] - sweeps[name, v][1] for v in values]
    assert gap[0] == pytest.approx(0.19)
    assert all(g < 0.1 for g in gap[1:]) and min(gap) < 0.04, gap
    assert max(train[1:]) < train[0] and train[-1] < train[0] - 0.05, train
    assert 0.88 <= train[-1] <= 0.90, "down to about 88-90% at the strongest setting"


def test_test_accuracy_peaks_at_the_courses_values_and_strong_l2_costs_test_accuracy(sweeps):
    lambd_test = {v: sweeps["lambd", v][1] for v in LAMBDS}
    keep_test = {v: sweeps["keep_prob", v][1] for v in KEEP_PROBS}
    assert max(lambd_test, key=lambd_test.get) == 0.7
    assert max(keep_test, key=keep_test.get) == 0.86
    assert lambd_test[10] == pytest.approx(0.85)
    assert lambd_test[10] <= lambd_test[0.7] - 0.02


def test_l2_shrinks_every_layer_by_4_to_8_and_dropout_much_less(sweeps):
    def norms(parameters):
        return np.array([np.linalg.norm(parameters[f"W{l}"]) for l in (1, 2, 3)])

    none = norms(sweeps["lambd", 0][2])
    l2 = norms(sweeps["lambd", 0.7][2])
    dropout = norms(sweeps["keep_prob", 0.86][2])
    assert np.all((none / l2 > 3.5) & (none / l2 < 8.5)), none / l2
    assert np.all(none / dropout < 1.6) and np.all(dropout > 2 * l2), (none, dropout, l2)


def test_the_course_frozen_mask_repeats_itself_and_a_shared_generator_does_not(nb):
    X, parameters = nb["train_X"][:, :5], reg_utils.initialize_parameters([2, 20, 3, 1])
    forward = nb["forward_propagation_with_dropout"]
    first = forward(X, parameters, 0.86, rng=np.random.RandomState(1))[1][1]
    again = forward(X, parameters, 0.86, rng=np.random.RandomState(1))[1][1]
    np.testing.assert_array_equal(first, again)
    rng = np.random.RandomState(1)
    assert not np.array_equal(
        forward(X, parameters, 0.86, rng=rng)[1][1], forward(X, parameters, 0.86, rng=rng)[1][1]
    )


def test_the_frozen_mask_scores_close_to_real_dropout(nb, sweeps):
    frozen = nb["train_with_frozen_mask"](nb["train_X"], nb["train_Y"], keep_prob=0.86)
    assert scores(nb, frozen) == (pytest.approx(0.925), pytest.approx(0.87))
    assert abs(scores(nb, frozen)[1] - sweeps["keep_prob", 0.86][1]) <= 0.015


def test_early_stopping_finds_the_dev_minimum_early_and_matches_l2(nb):
    history = nb["train_with_dev_curve"](nb["train_X"], nb["train_Y"], nb["test_X"], nb["test_Y"])
    iterations, train_costs, dev_costs, _ = zip(*history)
    best = int(np.argmin(dev_costs))
    assert iterations[best] == 300
    assert dev_costs[-1] > 4 * dev_costs[best], (
        "the dev cost climbs to over four times its minimum"
    )
    assert train_costs[-1] < train_costs[best] / 3, "while the training cost keeps falling"
    assert scores(nb, history[best][3]) == (pytest.approx(0.89), pytest.approx(0.86))


def test_dropout_costs_are_noisier_than_l2_costs(sweeps):
    l2_costs, dropout_costs = sweeps["lambd", 0.7][3], sweeps["keep_prob", 0.86][3]
    assert len(l2_costs) == len(dropout_costs) == 3
    assert l2_costs == sorted(l2_costs, reverse=True), "L2's printed cost only falls"
    assert dropout_costs[2] > dropout_costs[1], "dropout's rises between prints: thinned networks"
